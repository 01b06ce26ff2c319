#!/bin/bash
# banned.sh - fail if a banned libc function is called in common/ or ftpd/.
#
# Run by `make check` from the top of the tree (or from anywhere: it finds
# the tree from its own path).  Comments and string literals are stripped
# roughly (enough for our style) before a word-boundary search for "name(".
# Prints every offending FILE:LINE and exits 1, or prints "banned.sh: ok".
set -u
cd "$(dirname "$0")/.." || exit 2

banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|system|popen'
shopt -s nullglob
files=(common/*.c ftpd/*.c ftpd/*/*.c)
if [ ${#files[@]} -eq 0 ]; then
	echo "banned.sh: ok"
	exit 0
fi

hits=$(awk -v re="(^|[^A-Za-z0-9_])($banned)[ \t]*\\\\(" '
FNR == 1 { incomment = 0 }
{
	line = $0; out = ""
	while (length(line) > 0) {
		if (incomment) {
			e = index(line, "*/")
			if (e == 0) { line = ""; break }
			line = substr(line, e + 2); incomment = 0
			continue
		}
		c = substr(line, 1, 1); two = substr(line, 1, 2)
		if (two == "/*") {
			incomment = 1; line = substr(line, 3); continue
		}
		if (two == "//") break
		if (c == "\"" || c == "\047") {
			# skip a string or character literal
			q = c; i = 2
			while (i <= length(line)) {
				d = substr(line, i, 1)
				if (d == "\\") { i += 2; continue }
				if (d == q) break
				i++
			}
			out = out q q; line = substr(line, i + 1)
			continue
		}
		out = out c; line = substr(line, 2)
	}
	if (out ~ re)
		printf "%s:%d: %s\n", FILENAME, FNR, $0
}' "${files[@]}")

if [ -n "$hits" ]; then
	echo "banned.sh: banned functions used:" >&2
	echo "$hits" >&2
	exit 1
fi
echo "banned.sh: ok"
