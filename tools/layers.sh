#!/bin/sh
# SPDX-License-Identifier: MIT
# Keeps the layering of src/ honest: a file may include the headers of its
# own module and of any module on a lower line below, never of a module on
# its own line or above. Run by make lint; prints every include that breaks
# the rule, and fails. A new module gets a line here on purpose.
set -eu
cd "$(dirname "$0")/.."

# Lowest first. On one line: peers, which never include each other.
LAYERS='
util
crypto
http store token
keys
app audit auth
render server
web
api console oauth
cli
main
'

find src -name '*.[ch]' | sort | xargs awk -v layers="$LAYERS" '
BEGIN {
	n = split(layers, lines, "\n")
	for (i = 1; i <= n; i++) {
		k = split(lines[i], mods, " ")
		for (j = 1; j <= k; j++)
			level[mods[j]] = i
	}
}
FNR == 1 {
	split(FILENAME, parts, "/")
	mod = parts[2] == "main.c" ? "main" : parts[2]
	if (!(mod in level)) {
		printf "%s: module %s has no line in tools/layers.sh\n", FILENAME, mod
		bad = 1
	}
}
/^#include "[a-z_]+\// {
	dep = $2
	gsub(/^"|\/.*$/, "", dep)
	if (dep == mod || !(mod in level))
		next
	if (!(dep in level) || level[dep] >= level[mod]) {
		printf "%s:%d: %s includes %s, which is not below it (tools/layers.sh)\n",
		       FILENAME, FNR, mod, dep
		bad = 1
	}
}
END { exit bad }
'
