#!/bin/bash
# layering.sh - fail when the tree's privilege boundary or its layering is
# broken by an #include (see ftpd/DESIGN.md, "The tree").
#
#  1. ftpd/priv/ (code that runs as root after a client connects) includes
#     only common/, priv/, formats/ and the shared headers that hold no
#     parser of client bytes:
#     the configuration, the monitor protocol, the role entries, the
#     bounce rule, TLS context set-up, CPU pinning and the seccomp filters.
#     Nothing of cmd/, user/, front/, the TLS relay or the session state.
#  2. ftpd/tools/ includes only common/ and ftpd/formats/.
#  2a. ftpd/accounts/ (the account service, its own program) includes
#     only common/, accounts/, formats/ and the configuration; nothing
#     of the daemon, and priv/ nothing of it (the rule above).
#  2b. ftpd/events/ (the event runner, a role of the master) includes
#     only common/, events/, formats/, the configuration, roles.h and
#     sandbox.h: nothing of the sessions' parsers nor of priv/.
#  3. common/ includes nothing of ftpd/.
#  4. No two modules of ftpd/ include each other's headers (an import
#     cycle between a.c and b.c through a.h and b.h).
#
# Usage: layering.sh [TREE]   (default: the tree this script is in)
#        layering.sh --self-test   plants one violation of each rule in a
#        copy of the tree and fails unless each is caught.
# Prints every offending FILE:LINE and exits 1, or prints "layering.sh: ok".
set -u
top=$(cd "$(dirname "$0")/.." && pwd) || exit 2

priv_allowed='^(common/[a-z_]+\.h|plan/[a-z_]+\.h|priv/[a-z_]+\.h|formats/[a-z_]+\.h|config\.h|config_check\.h|config_keys\.def|monproto\.h|roles\.h|bounce\.h|tls/tls\.h|tls/tls_identity\.h|cpupin\.h|sandbox\.h)$'
tools_allowed='^(common/[a-z_]+\.h|formats/[a-z_]+\.h)$'
accounts_allowed='^(common/[a-z_]+\.h|plan/[a-z_]+\.h|accounts/[a-z_]+\.h|formats/[a-z_]+\.h|config\.h|config_keys\.def)$'
events_allowed='^(common/[a-z_]+\.h|plan/[a-z_]+\.h|events/[a-z_]+\.h|formats/[a-z_]+\.h|config\.h|config_keys\.def|roles\.h|sandbox\.h)$'

# FILE:LINE:HEADER for every quoted include of the files given.
includes() {
	grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$@" |
	    sed -E 's/^([^:]*):([0-9]+):.*"([^"]+)".*/\1:\2:\3/'
}

check_tree() {
	local tree=$1 bad=0 f line hdr
	cd "$tree" || return 2
	shopt -s nullglob
	while IFS=: read -r f line hdr; do
		[[ $hdr =~ $priv_allowed ]] && continue
		echo "$f:$line: priv/ includes \"$hdr\" (parser side)"
		bad=1
	done < <(includes ftpd/priv/*.[ch] /dev/null)
	while IFS=: read -r f line hdr; do
		[[ $hdr =~ $tools_allowed ]] && continue
		echo "$f:$line: tools/ includes \"$hdr\" (only common/, formats/)"
		bad=1
	done < <(includes ftpd/tools/*.[ch] /dev/null)
	while IFS=: read -r f line hdr; do
		[[ $hdr =~ $accounts_allowed ]] && continue
		echo "$f:$line: accounts/ includes \"$hdr\" (its own program)"
		bad=1
	done < <(includes ftpd/accounts/*.[ch] /dev/null)
	while IFS=: read -r f line hdr; do
		[[ $hdr =~ $events_allowed ]] && continue
		echo "$f:$line: events/ includes \"$hdr\" (the event runner)"
		bad=1
	done < <(includes ftpd/events/*.[ch] /dev/null)
	while IFS=: read -r f line hdr; do
		[[ $hdr != */* && -e common/$hdr ]] && continue
		echo "$f:$line: common/ includes \"$hdr\""
		bad=1
	done < <(includes common/*.[ch] /dev/null)
	# Module a (a.c) includes b.h and module b (b.c) includes a.h.
	local pairs
	pairs=$(includes ftpd/*.c ftpd/*/*.c /dev/null | awk -F: '
	{
		src = $1; sub(/^ftpd\//, "", src); sub(/\.c$/, "", src)
		hdr = $3; sub(/\.h$/, "", hdr)
		if (hdr != src && hdr !~ /^common\//) {
			uses[src, hdr] = $1 ":" $2
			list[n++] = src SUBSEP hdr
		}
	}
	END {
		for (i = 0; i < n; i++) {
			split(list[i], p, SUBSEP)
			if (p[1] < p[2] && (p[2], p[1]) in uses)
				printf "%s and %s: %s.c and %s.c include each other\n",
				    uses[p[1], p[2]], uses[p[2], p[1]], p[1], p[2]
		}
	}')
	if [ -n "$pairs" ]; then
		echo "$pairs"
		bad=1
	fi
	return $bad
}

self_test() {
	local tmp rc=0 out
	tmp=$(mktemp -d /tmp/layering.XXXXXX) || exit 2
	trap 'rm -rf "$tmp"' EXIT
	plant() {	# FILE LINE-TO-ADD EXPECTED-WORDS
		rm -rf "$tmp/t" && mkdir -p "$tmp/t" || exit 2
		(cd "$top" && tar --exclude='*.o' -cf - common ftpd) |
		    tar -C "$tmp/t" -xf - || exit 2
		printf '%s\n' "$2" >>"$tmp/t/$1"
		out=$(check_tree "$tmp/t") && {
			echo "layering.sh: self-test: $1 + '$2' not caught"
			rc=1
			return
		}
		grep -q "$3" <<<"$out" || {
			echo "layering.sh: self-test: $1: wrong report: $out"
			rc=1
		}
	}
	(check_tree "$top" >/dev/null) || {
		echo "layering.sh: self-test needs a clean tree first"; exit 1; }
	plant ftpd/priv/monitor.c '#include "cmd/ctl.h"' 'parser side'
	plant ftpd/priv/auth.h '#include "user/policy.h"' 'parser side'
	plant ftpd/priv/master.c '#include "session.h"' 'parser side'
	plant ftpd/priv/auth.c '#include "accounts/backend.h"' 'parser side'
	plant ftpd/accounts/worker.c '#include "priv/auth.h"' 'its own program'
	plant ftpd/tools/ftpwho.c '#include "config.h"' 'only common'
	plant ftpd/events/runner.c '#include "priv/evsend.h"' 'event runner'
	plant common/buf.c '#include "config.h"' 'common/ includes'
	plant ftpd/user/route.c '#include "user/xfer.h"' 'include each other'
	plant ftpd/cmd/ctl.c '#include "cmd/cmd.h"' 'include each other'
	[ $rc = 0 ] && echo "layering.sh: self-test: all 10 violations caught"
	exit $rc
}

if [ "${1:-}" = --self-test ]; then
	self_test
fi
out=$(check_tree "${1:-$top}")
rc=$?
if [ $rc != 0 ]; then
	echo "layering.sh: the tree's layering is broken:" >&2
	echo "$out" >&2
	exit 1
fi
echo "layering.sh: ok"
