/*
 * scoreboard.h - the scoreboard record, shared by the monitor that writes
 * it (priv/sessionlog.c) and the admin tool that reads it (tools/ftpwho.c).
 *
 * Header-only and free of everything else in ftpd, so that ftpwho can
 * include it with nothing but common/.
 *
 * Each session's monitor keeps one file, RUN_DIR/<pid>.sess: RUN_DIR is
 * ftpd's run_dir (SCOREBOARD_DIR unless configured), <pid> the monitor's
 * pid in decimal, ".sess" SCOREBOARD_SUFFIX.  The file holds one record
 * of exactly SCOREBOARD_RECORD_SIZE bytes, rewritten whole in place by
 * one pwrite(2): KEY=VALUE lines, then newlines up to the size.  A reader
 * reads that many bytes and skips lines without SCOREBOARD_SEP (the
 * padding among them) and keys it does not know.
 *
 *	pid	the monitor's pid, as in the file name
 *	peer	the client's address
 *	user	the USER name, control bytes and blanks made '_'
 *	state	one word: idle, transfer
 *	since	start of the session, seconds since 1970
 *	cmd	the transfer under way, control bytes made '_'; may be empty
 *	bytes	bytes transferred so far in the session
 *	xbytes	bytes moved by the transfer under way (cmd); absent or
 *		empty when none is shown
 *	xsize	its size when known (a download of a regular file: the
 *		bytes it will move), else empty
 *	xrate	its rate in bytes per second, as the monitor measured it
 *		between the session's progress reports
 *
 * The monitor cuts user and cmd to less than SCOREBOARD_VALUE_MAX bytes,
 * and a reader keeps at most that many of any value.  user and cmd are
 * client text: a reader must not print them raw.
 */
#ifndef FTPD_FORMATS_SCOREBOARD_H
#define FTPD_FORMATS_SCOREBOARD_H

#define SCOREBOARD_DIR		"/run/ftpd"	/* run_dir's default */
#define SCOREBOARD_SUFFIX	".sess"
#define SCOREBOARD_RECORD_SIZE	1024
#define SCOREBOARD_VALUE_MAX	256

/* Strings, so that they paste into a format; a reader wants [0]. */
#define SCOREBOARD_SEP		"="
#define SCOREBOARD_EOL		"\n"	/* ends a line, and pads the record */

#define SCOREBOARD_PID		"pid"
#define SCOREBOARD_PEER		"peer"
#define SCOREBOARD_USER		"user"
#define SCOREBOARD_STATE	"state"
#define SCOREBOARD_SINCE	"since"
#define SCOREBOARD_CMD		"cmd"
#define SCOREBOARD_BYTES	"bytes"
#define SCOREBOARD_XBYTES	"xbytes"
#define SCOREBOARD_XSIZE	"xsize"
#define SCOREBOARD_XRATE	"xrate"

/* One line of the record as a printf format: key, then conv for its value. */
#define SCOREBOARD_LINE(key, conv)	key SCOREBOARD_SEP conv SCOREBOARD_EOL

#endif
