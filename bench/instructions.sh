#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instructions per request, counted by callgrind: a measure of jeton's own
# work that does not move with the machine's load, unlike wrk's figures.
#
# usage: bench/instructions.sh BIN [N]
#   N requests of each kind on one keep-alive connection (default 2000),
#   after N/10 to warm up. Prints a table: instructions per request for
#   each kind, the server's whole process (every thread, the kernel not
#   counted); first the ceiling, bare libmicrohttpd (bench/ceiling.c)
#   answering GET /. BENCH_TOP=K also prints the K functions with the most
#   instructions (self) per request for each kind.
# environment: BENCH_KINDS (default "ping me verify introspect me_jwt create cc"),
#   BENCH_KEEP=1 keeps the callgrind dumps (for callgrind_annotate --tree=caller)
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BIN [N]" >&2; exit 2; }
BIN=$(realpath "$1")
N=${2:-2000}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
KINDS=${BENCH_KINDS:-"ping me verify introspect me_jwt create cc"}
TOP=${BENCH_TOP:-0}
command -v valgrind >/dev/null || { echo "bench: valgrind not found (apt-get install valgrind)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jeton-instr.XXXXXX")
PID=""
cleanup() {
	[[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
export JETON_KEY_FILE=$TMP/jeton.key
db=$TMP/jeton.db

"$BIN" init --db "$db" >/dev/null 2>&1
"$BIN" space add --db "$db" bench >/dev/null
"$BIN" space grant --db "$db" bench admin@localhost editor >/dev/null
pat=$("$BIN" token create --db "$db" --user admin@localhost --name bench | tr -d '[:space:]')
basic() { # app JSON -> base64(client_id:client_secret)
	"$PY" -c 'import base64, json, sys
a = json.load(open(sys.argv[1]))
print(base64.b64encode((a["client_id"] + ":" + a["client_secret"]).encode()).decode())' "$1"
}
"$BIN" app create --db "$db" --name cc --scopes read_content --json >"$TMP/cc.json"
"$BIN" app create --db "$db" --name jwt --scopes read_content --token-format jwt --json >"$TMP/jwt.json"
cc_auth=$(basic "$TMP/cc.json")
jwt_auth=$(basic "$TMP/jwt.json")

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# the ceiling, alone first
${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -I"$HERE/../src" -o "$TMP/ceiling" "$HERE/ceiling.c" -lmicrohttpd -pthread
port=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out.%p" \
	"$TMP/ceiling" "$port" "$(nproc)" >"$TMP/ceiling.log" 2>&1 &
PID=$!
for ((i = 0; i < 600; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.1
done
"$PY" "$HERE/instr_client.py" "$port" "$PID" "$TMP" "$N" "ceiling=GET,/," >"$TMP/dumps.txt"
kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
PID=""

port=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out.%p" \
	"$BIN" serve --listen "127.0.0.1:$port" --db "$db" >"$TMP/server.log" 2>&1 &
PID=$!
for ((i = 0; i < 600; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/v1/ping" && break
	sleep 0.1
done
issue() { # BASIC -> an access token
	curl -sf -H "Authorization: Basic $1" --data grant_type=client_credentials \
		"http://127.0.0.1:$port/oauth/token" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
jtc=$(issue "$cc_auth")
jwt=$(issue "$jwt_auth")

specs=()
for k in $KINDS; do
	case $k in
	ping) specs+=("ping=GET,/v1/ping,") ;;
	me) specs+=("me=GET,/v1/me,Bearer $pat") ;;
	verify) specs+=("verify=GET,/auth/verify,Bearer $pat") ;;
	introspect) specs+=("introspect=POST,/oauth/introspect,Basic $cc_auth,token=$jtc") ;;
	me_jwt) specs+=("me_jwt=GET,/v1/me,Bearer $jwt") ;;
	create) specs+=("create=POST,/v1/users/me/access_tokens,Bearer $pat,{\"name\":\"b\",\"scopes\":[\"read_content\"]}") ;;
	cc) specs+=("cc=POST,/oauth/token,Basic $cc_auth,grant_type=client_credentials") ;;
	*) echo "bench: unknown kind $k" >&2; exit 2 ;;
	esac
done

echo "jeton: $("$BIN" version 2>&1 | head -n 1) ($BIN)"
echo "callgrind, $N requests of each kind on one keep-alive connection, after $((N / 10 > 50 ? N / 10 : 50)) to warm up"
echo
echo "| request | instructions per request |"
echo "| --- | ---: |"
"$PY" "$HERE/instr_client.py" "$port" "$PID" "$TMP" "$N" "${specs[@]}" >>"$TMP/dumps.txt"
while read -r kind file; do
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$file")
	echo "| $kind | $((total / N)) |"
done <"$TMP/dumps.txt"
if ((TOP > 0)); then
	while read -r kind file; do
		echo
		echo "$kind: top $TOP functions (self), instructions per request"
		callgrind_annotate --inclusive=no --threshold=100 "$file" 2>/dev/null |
			awk -v n="$N" -v top="$TOP" '
			/^-+$/ { sep++ ; next }
			sep >= 3 && $1 ~ /^[0-9,]+$/ && !/PROGRAM TOTALS/ && shown < top {
				ir = $1; gsub(",", "", ir)
				fn = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", fn)
				printf "  %8.0f  %s\n", ir / n, fn; shown++
			}'
	done <"$TMP/dumps.txt"
fi
