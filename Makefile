# ftpd - top-level build.  `make`, `make check`, `make run`, `make install`.
# Dependencies come from pkg-config; `make deps` installs them with apt-get
# when run as root (and is run first by `make run` and `make check`).

CC	?= cc
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	 = $(PREFIX)/sbin
BINDIR	 = $(PREFIX)/bin
MANDIR	 = $(PREFIX)/share/man
PYTHON	?= python3

PKGS	 = openssl libxcrypt libseccomp zlib pam
# The account service (ftpd-accounts) alone links the database and
# directory clients: the sessions, forked from the master, never map them.
ACCT_PKGS = sqlite3 libpq libmariadb ldap lber
# The build's pkg-config modules and the Debian packages that carry them.
BUILD_DEPS = openssl:libssl-dev libxcrypt:libcrypt-dev zlib:zlib1g-dev \
	     libseccomp:libseccomp-dev pam:libpam0g-dev \
	     sqlite3:libsqlite3-dev libpq:libpq-dev \
	     libmariadb:libmariadb-dev ldap:libldap-dev
MISSING_BUILD = $(strip $(shell command -v pkg-config >/dev/null 2>&1 || \
	echo pkg-config; for d in $(BUILD_DEPS); do \
	pkg-config --exists $${d%%:*} 2>/dev/null || echo $${d#*:}; done))
# Goals that install what is missing themselves (as root), or need nothing.
SELF_INSTALLING = deps test-deps check check-asan run fuzz clean
# Anything else stops at once, before the compiler meets a missing header,
# with the one line that fixes it.
ifneq ($(filter-out $(SELF_INSTALLING),$(or $(MAKECMDGOALS),all)),)
ifneq ($(MISSING_BUILD),)
$(error missing build packages; run:  sudo apt-get install -y \
$(MISSING_BUILD)   (as root `make deps` does it; `make run` and `make check` \
install them themselves))
endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ACCT_CFLAGS := $(shell pkg-config --cflags $(ACCT_PKGS) 2>/dev/null)
ACCT_LIBS  := $(shell pkg-config --libs $(ACCT_PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

OPT	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wformat=2 -Werror
HARDEN	 = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
SAN	?=
# Headers are named from the top (common/buf.h) or from ftpd/ (config.h,
# priv/auth.h), so a file says which part of the tree it depends on.
INCLUDES = -I. -Iftpd
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SAN) \
	     $(INCLUDES) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(SAN) $(LDFLAGS)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:.c=.o)
# The daemon is every .c under ftpd/ and its role folders but the admin
# tools, each of which is one file of ftpd/tools/, and the account
# service (ftpd/accounts/, its own program).
FTPD_DIRS  := ftpd $(filter-out ftpd/tools/ ftpd/accounts/,$(wildcard ftpd/*/))
FTPD_SRC   := $(foreach d,$(FTPD_DIRS),$(wildcard $(d:/=)/*.c))
FTPD_OBJ   := $(FTPD_SRC:.c=.o)
FTPD_LIBOBJ := $(filter-out ftpd/main.o,$(FTPD_OBJ))
ACCT_SRC   := $(wildcard ftpd/accounts/*.c)
ACCT_OBJ   := $(ACCT_SRC:.c=.o)
ACCT_LIBOBJ := $(filter-out ftpd/accounts/service.o,$(ACCT_OBJ))
# What the account service shares with the daemon: the configuration,
# its wire format to the authentication child.
ACCT_SHARED := ftpd/config.o ftpd/formats/acctproto.o
UNIT_SRC   := $(wildcard test/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:.c=.o)
HEADERS    := $(wildcard common/*.h ftpd/*.h ftpd/*/*.h ftpd/*.def)

# The tools' sources are in ftpd/tools/; the programs stay where users
# and scripts find them (ftpd/ftpasswd, ftpd/ftpwho).
TOOL_BINS = ftpd/ftpasswd ftpd/ftpwho
BINS	 = ftpd/ftpd ftpd/ftpd-accounts $(TOOL_BINS)


.PHONY: all deps test-deps check unit integration check-asan run install clean fuzz bench

all: $(BINS)

common/libcommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^

ftpd/ftpd: $(FTPD_OBJ) common/libcommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(FTPD_OBJ) common/libcommon.a $(PKG_LIBS)

ftpd/ftpd-accounts: $(ACCT_OBJ) $(ACCT_SHARED) common/libcommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(ACCT_OBJ) $(ACCT_SHARED) \
	    common/libcommon.a $(ACCT_LIBS) -lseccomp

# ftpasswd also keeps accounts in an SQLite database (-b sqlite:PATH).
ftpd/ftpasswd: ftpd/tools/ftpasswd.o common/libcommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $< common/libcommon.a $(PKG_LIBS) \
	    $(shell pkg-config --libs sqlite3 2>/dev/null)

ftpd/ftpwho: ftpd/tools/ftpwho.o common/libcommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $< common/libcommon.a $(PKG_LIBS)

%.o: %.c $(HEADERS)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

ftpd/accounts/%.o: ftpd/accounts/%.c $(HEADERS)
	$(CC) $(CFLAGS_ALL) $(ACCT_CFLAGS) -c -o $@ $<

test/unit/%.o: test/unit/%.c $(HEADERS)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -Wno-shadow -c -o $@ $<

test/unit/run_unit: $(UNIT_OBJ) $(FTPD_LIBOBJ) $(ACCT_LIBOBJ) common/libcommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(FTPD_LIBOBJ) $(ACCT_LIBOBJ) \
	    common/libcommon.a $(PKG_LIBS) $(ACCT_LIBS) $(CHECK_LIBS)

# Shell tail shared by the dependency targets: install the Debian packages
# named in $$missing when root, else print the one command to run.
INSTALL_MISSING = if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq || true) && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	      </dev/null || exit 1; \
	  else \
	    echo "missing packages; run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Install missing build and test dependencies (Debian/Ubuntu).
deps:
	@missing="$(if $(MISSING_BUILD), $(MISSING_BUILD))"; \
	pkg-config --exists check 2>/dev/null || missing="$$missing check"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	$(INSTALL_MISSING)

# Tools the integration tests drive (real clients; the Go one is built
# offline from Debian's gocode tree by test_tls_clients.py).
test-deps:
	@missing=""; \
	for p in curl lftp ftp python3 wget yafc rclone sqlite3; do \
	  command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  missing="$$missing postgresql"; \
	[ -x /usr/sbin/mariadbd ] || missing="$$missing mariadb-server"; \
	[ -x /usr/sbin/slapd ] || missing="$$missing slapd"; \
	command -v ldapsearch >/dev/null 2>&1 || missing="$$missing ldap-utils"; \
	command -v go >/dev/null 2>&1 || missing="$$missing golang-go"; \
	[ -d /usr/share/gocode/src/github.com/jlaffaye/ftp ] || \
	  missing="$$missing golang-github-jlaffaye-ftp-dev"; \
	$(INSTALL_MISSING)
	@# Optional: only the test behind a real HAProxy needs it (it skips,
	@# saying so, when haproxy cannot be installed).
	@PATH="$$PATH:/usr/sbin:/sbin"; command -v haproxy >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy \
	      </dev/null >/dev/null 2>&1; } || \
	  echo "haproxy not installed: the HAProxy test will be skipped"

check: deps test-deps
	$(MAKE) all test/unit/run_unit
	test/banned.sh
	test/layering.sh
	test/unit/run_unit
	$(PYTHON) test/integration/run.py

unit: all test/unit/run_unit
	test/unit/run_unit

integration: all
	$(PYTHON) test/integration/run.py

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer,
# built into a separate tree so the normal build is untouched.
check-asan: deps test-deps
	rm -rf .asan && mkdir -p .asan && \
	  git ls-files -z --cached --others --exclude-standard | \
	  tar --null -T - -cf - | tar -C .asan -xf -
	$(MAKE) -C .asan all test/unit/run_unit \
	    OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
	cd .asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 test/unit/run_unit
	cd .asan && ASAN_OPTIONS=detect_leaks=0 FTPD_ASAN=1 \
	    $(PYTHON) test/integration/run.py

# Serve ./ on 127.0.0.1:2121, anonymous read-only, TLS offered with a
# throwaway self-signed certificate.
# The run directory (scoreboard, empty_dir, the throwaway certificate and
# key) is made outside the served tree, so that anonymous clients cannot
# list or fetch it, and removed when the server stops.
run: deps
	$(MAKE) all
	@d=$$(mktemp -d /tmp/ftpd-run.XXXXXX) || exit 1; \
	trap 'rm -rf "$$d"' EXIT INT TERM; \
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	  -nodes -days 30 -subj /CN=localhost -keyout "$$d/key.pem" \
	  -out "$$d/cert.pem" 2>/dev/null || exit 1; \
	echo "ftpd: serving $(CURDIR) on ftp://127.0.0.1:2121/ (anonymous," \
	  "read-only, AUTH TLS offered); Ctrl-C stops it"; \
	ftpd/ftpd -f /dev/null -o listen=127.0.0.1:2121 -o anonymous=yes \
	  -o anon_root=$(CURDIR) -o anon_user=nobody -o system_users=no \
	  -o log=stderr -o tls_cert="$$d/cert.pem" -o tls_key="$$d/key.pem" \
	  -o run_dir="$$d" -o empty_dir="$$d/empty" \
	  -o deny_file=$(CURDIR)/etc/ftpusers -o pasv_address=127.0.0.1

# libFuzzer targets (clang): each runs FUZZ_SECONDS (default 60) on its
# seed corpus in test/fuzz/corpus/NAME; crashes land in test/fuzz/out/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = ctl path portarg conf users proxyhdr
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	     $(INCLUDES) $(PKG_CFLAGS) -fsanitize=address,undefined
fuzz: deps
	@missing=""; command -v clang >/dev/null 2>&1 || \
	  missing="clang libclang-rt-dev"; $(INSTALL_MISSING)
	rm -rf .fuzz && mkdir -p .fuzz test/fuzz/out
	for f in $(COMMON_SRC) $(FTPD_SRC); do \
	  case $$f in ftpd/main.c) continue;; esac; \
	  clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $$f \
	    -o .fuzz/$$(echo $$f | tr / _).o || exit 1; done
	for t in $(FUZZ_TARGETS); do \
	  clang $(FUZZ_FLAGS) -fsanitize=fuzzer test/fuzz/fuzz_$$t.c \
	    .fuzz/*.o $(PKG_LIBS) -o .fuzz/fuzz_$$t || exit 1; done
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p .fuzz/corpus_$$t && \
	  .fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -artifact_prefix=test/fuzz/out/$$t- -print_final_stats=1 \
	    .fuzz/corpus_$$t test/fuzz/corpus/$$t 2>&1 | \
	    grep -E 'Done|stat::number_of_executed_units|ERROR|SUMMARY' \
	    || exit 1; \
	  ls test/fuzz/out/$$t-* >/dev/null 2>&1 && exit 1; \
	  echo "fuzz_$$t: clean for $(FUZZ_SECONDS) s"; done

# Benchmark against vsftpd, proftpd and pure-ftpd unpacked from Debian
# packages (root, loopback only, several minutes; not part of check).
# BENCH_ARGS, e.g. "--servers ftpd --workloads retr,stor --runs 1"; results
# accumulate in test/bench/.data/results.json ("--report" prints them).
BENCH_ARGS ?= --fresh
# ACCT_BENCH=no skips the per-login cost of each account source
# (test/bench/acctbench.py: real PostgreSQL, MariaDB and slapd).
ACCT_BENCH ?= yes
bench: all test/bench/loadgen test/bench/hashcost test/bench/bareforker
	$(PYTHON) test/bench/bench.py $(BENCH_ARGS)
	[ "$(ACCT_BENCH)" = no ] || $(PYTHON) test/bench/acctbench.py

test/bench/loadgen: test/bench/loadgen.c common/libcommon.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< common/libcommon.a \
	    $(PKG_LIBS) -lpthread

test/bench/bareforker: test/bench/bareforker.c
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $<

test/bench/hashcost: test/bench/hashcost.c ftpd/priv/hugemap.o
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< ftpd/priv/hugemap.o $(PKG_LIBS)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 ftpd/ftpd $(DESTDIR)$(SBINDIR)/ftpd
	install -m 755 ftpd/ftpd-accounts $(DESTDIR)$(SBINDIR)/ftpd-accounts
	install -m 755 ftpd/ftpasswd $(DESTDIR)$(SBINDIR)/ftpasswd
	install -m 755 ftpd/ftpwho $(DESTDIR)$(BINDIR)/ftpwho
	install -m 644 man/ftpd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/ftpd.8 man/ftpasswd.8 man/ftpwho.8 \
	    $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -f common/*.o common/libcommon.a ftpd/*.o ftpd/*/*.o $(BINS) test/unit/*.o \
	    test/unit/run_unit test/bench/loadgen test/bench/hashcost \
	    test/bench/bareforker
	rm -rf .asan .fuzz
