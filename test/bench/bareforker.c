/*
 * bareforker.c - the machine's limit for the sessions workload.
 *
 *     bareforker PORT PROCS
 *
 * A forking "server" that does the least an anonymous session of the
 * sessions workload needs: 220, then 331 for USER, 230 for PASS, 257 for
 * PWD and 221 for QUIT, whatever was asked.  No configuration, no logs, no
 * checks: it measures what forks, exits and page faults cost on this
 * machine, the floor under any forking server.
 *
 * PROCS 1 is the classic one-process-per-session server.  PROCS 3 has the
 * shape of a privilege-separated session, as in ftpd: the process forked
 * for the connection (ftpd's monitor) forks one child for the dialogue up
 * to PASS (ftpd's front), waits for it, and forks another for the rest
 * (ftpd's user process).  The children inherit the socket, so no bytes
 * pass between processes: the difference between the two is the cost of
 * the processes alone.
 *
 * Every process is waited for, so the listener's cutime and cstime (what
 * bench.py reads) hold the CPU of all sessions.  Listens on 127.0.0.1
 * only; SIGTERM ends it.  Not part of ftpd.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_LEN	512
#define IO_TIMEOUT_MS	30000
#define REAP_MS		100

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int
say(int fd, const char *text)
{
	size_t n = strlen(text);

	return write(fd, text, n) == (ssize_t)n ? 0 : -1;
}

/* One command line into line (NUL-terminated, CRLF dropped).  0 or -1. */
static int
get_line(int fd, char *line, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	char c;

	while (n + 1 < size) {
		if (poll(&pfd, 1, IO_TIMEOUT_MS) != 1 || read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r')
			line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

/* Answer commands until the one starting with last; 0 when it came. */
static int
dialogue(int fd, const char *last)
{
	char line[LINE_MAX_LEN];

	for (;;) {
		if (get_line(fd, line, sizeof(line)) == -1)
			return -1;
		if (strncasecmp(line, "USER", 4) == 0)
			(void)say(fd, "331 Password.\r\n");
		else if (strncasecmp(line, "PASS", 4) == 0)
			(void)say(fd, "230 In.\r\n");
		else if (strncasecmp(line, "PWD", 3) == 0)
			(void)say(fd, "257 \"/\"\r\n");
		else if (strncasecmp(line, "QUIT", 4) == 0)
			(void)say(fd, "221 Bye.\r\n");
		else
			(void)say(fd, "500 ?\r\n");
		if (strncasecmp(line, last, strlen(last)) == 0)
			return 0;
	}
}

/* Answer up to last in a child process; wait for it.  0 or -1. */
static int
in_child(int fd, const char *last)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(dialogue(fd, last) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void
session(int fd, int procs)
{
	if (say(fd, "220 Ready.\r\n") == -1)
		return;
	if (procs == 1) {
		(void)dialogue(fd, "QUIT");
		return;
	}
	if (in_child(fd, "PASS") == 0)
		(void)in_child(fd, "QUIT");
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct sigaction sa;
	struct pollfd pfd;
	int lfd, fd, procs, one = 1;
	long port;
	pid_t pid;

	if (argc != 3 || (port = strtol(argv[1], NULL, 10)) < 1 ||
	    port > 65535 || ((procs = atoi(argv[2])) != 1 && procs != 3)) {
		fprintf(stderr, "usage: bareforker PORT 1|3\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		perror("bareforker: sigaction");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1024) == -1) {
		perror("bareforker: listen");
		return 1;
	}
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!stop) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (poll(&pfd, 1, REAP_MS) != 1)
			continue;
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if ((pid = fork()) == 0) {
			(void)close(lfd);
			session(fd, procs);
			_exit(0);
		}
		if (pid == -1)
			perror("bareforker: fork");
		(void)close(fd);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}
