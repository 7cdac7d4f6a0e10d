#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# jeton benchmark: wrk on loopback against `jeton serve` with a SQLite store
# of each size; prints a Markdown table.
#
# usage: bench/run.sh BIN
# environment:
#   BENCH_SIZES          store sizes in tokens        (default "10000 1000000")
#   BENCH_SECONDS        GET /v1/me duration, s       (default 10)
#   BENCH_CREATE_SECONDS PAT creation duration, s     (default 5)
#   BENCH_CONNECTIONS    connections for GET /v1/me   (default 64)
#   BENCH_CREATE_CONNECTIONS connections for creation (default 16)
#   BENCH_KEEP=1         keep the temp dirs (printed) for a post-mortem
# Exit status: 0 when every step worked and the server answered only 2xx,
# 1 otherwise (the problems are listed after the table).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi
BIN=$(realpath "$1")
[[ -x $BIN ]] || { echo "bench: $BIN is not executable" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZES=${BENCH_SIZES:-"10000 1000000"}
SECS=${BENCH_SECONDS:-10}
CSECS=${BENCH_CREATE_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-64}
CCONNS=${BENCH_CREATE_CONNECTIONS:-16}
PY=${PYTHON:-/usr/bin/python3}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 2; }

SERVER_PID=""
POLLER_PID=""
TMPDIRS=()
PROBLEMS=()
ROWS=()

log() { echo "bench: $*" >&2; }
problem() { PROBLEMS+=("$*"); log "PROBLEM: $*"; }

alive() { # PID: running and not a zombie
	[[ -n $1 && -r /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

STOP_RC=0
stop_server() { # SIGTERM, wait at most 5 s, then SIGKILL; exit status in STOP_RC
	local pid=$SERVER_PID i rc=0
	STOP_RC=0
	[[ -n $pid ]] || return 0
	SERVER_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		problem "server (pid $pid) still running 5 s after SIGTERM; sent SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	STOP_RC=$rc
}

cleanup() {
	local rc=$?
	[[ -n $POLLER_PID ]] && kill "$POLLER_PID" 2>/dev/null || true
	[[ -n $SERVER_PID ]] && stop_server
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		((${#TMPDIRS[@]})) && log "kept ${TMPDIRS[*]}"
	else
		((${#TMPDIRS[@]})) && rm -rf "${TMPDIRS[@]}"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wrk output -> "req/s p50_ms p99_ms non2xx socket_errors requests"
parse_wrk() {
	awk '
	function fmt(x) { # milliseconds, 3 significant digits
		if (x < 1) return sprintf("%.3f", x)
		if (x < 10) return sprintf("%.2f", x)
		if (x < 100) return sprintf("%.1f", x)
		return sprintf("%.0f", x)
	}
	function ms(v) {
		if (v ~ /us$/) return fmt(v / 1000)
		if (v ~ /ms$/) return fmt(v + 0)
		if (v ~ /m$/)  return fmt(v * 60000)
		if (v ~ /s$/)  return fmt(v * 1000)
		return "?"
	}
	/^ +50% /                  { p50 = ms($2) }
	/^ +99% /                  { p99 = ms($2) }
	/^Requests\/sec:/          { rps = sprintf("%.0f", $2) }
	/Non-2xx or 3xx responses:/ { non2xx = $NF }
	/Socket errors:/ { gsub(",", ""); sockerr = $4 + $6 + $8 + $10 }
	/ requests in /            { reqs = $1 }
	END {
		printf "%s %s %s %d %d %s\n", (rps == "" ? "?" : rps), (p50 == "" ? "?" : p50),
			(p99 == "" ? "?" : p99), non2xx, sockerr, (reqs == "" ? "?" : reqs)
	}' "$1"
}

run_wrk() { # OUT wrk-args...; bounded by timeout(1) in case wrk hangs
	local out=$1 d
	shift
	d=$(printf '%s\n' "$@" | sed -n 's/^-d//p' | head -1)
	d=${d%s}
	timeout --kill-after=5 $((${d:-10} + 30)) wrk "$@" >"$out" 2>&1 || {
		problem "wrk exited with status $? ($(tail -n 3 "$out" | tr '\n' ' '))"
		return 0
	}
}

bench_size() {
	local n=$1 tmp db token port t0 t1 startup out get create rss rc code
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/jeton-bench.XXXXXX")
	TMPDIRS+=("$tmp")
	db=$tmp/jeton.db
	local row_fail="| $n | FAIL | | | | | | |"

	log "[$n] init"
	if ! "$BIN" init --db "$db" >"$tmp/init.log" 2>&1; then
		problem "[$n] '$BIN init' failed: $(tail -n 5 "$tmp/init.log" | tr '\n' ' ')"
		ROWS+=("$row_fail"); return
	fi
	# read_content comes only from space roles (docs/api.md): without a space
	# the admin does not hold it, and creating a read_content PAT is a 400.
	if ! { "$BIN" space add --db "$db" bench && "$BIN" space grant --db "$db" bench admin@localhost editor; } \
		>"$tmp/space.log" 2>&1; then
		problem "[$n] 'space add/grant' failed: $(tail -n 5 "$tmp/space.log" | tr '\n' ' ')"
		ROWS+=("$row_fail"); return
	fi
	if ! token=$("$BIN" token create --db "$db" --user admin@localhost --name bench 2>"$tmp/token.err"); then
		problem "[$n] 'token create' failed: $(tail -n 5 "$tmp/token.err" | tr '\n' ' ')"
		ROWS+=("$row_fail"); return
	fi
	token=$(printf '%s' "$token" | tr -d '[:space:]')
	[[ $token == jtp_* ]] || problem "[$n] 'token create' printed '$token', not a jtp_ token"

	log "[$n] seeding $((n - 1)) tokens"
	if ! "$PY" "$HERE/seed.py" "$db" $((n - 1)) admin@localhost; then
		problem "[$n] seeding failed"
		ROWS+=("$row_fail"); return
	fi
	sync "$db" 2>/dev/null || true

	# start-up: from exec to the first 200 on /v1/ping, polled every 1 ms
	port=$(free_port)
	rm -f "$tmp/ready"
	"$PY" "$HERE/wait_ping.py" "$port" "$tmp/ready" 30 >"$tmp/ping.out" &
	POLLER_PID=$!
	for ((i = 0; i < 500; i++)); do [[ -e $tmp/ready ]] && break; sleep 0.01; done
	t0=$EPOCHREALTIME
	"$BIN" serve --listen "127.0.0.1:$port" --db "$db" >"$tmp/server.log" 2>&1 &
	SERVER_PID=$!
	# whichever ends first: the poller (answer or 30 s) or the server (crash)
	local first="" prc=0
	wait -n -p first "$POLLER_PID" "$SERVER_PID" || prc=$?
	if [[ $first == "$SERVER_PID" ]]; then
		SERVER_PID=""
		kill "$POLLER_PID" 2>/dev/null || true
		wait "$POLLER_PID" 2>/dev/null || true
		POLLER_PID=""
		problem "[$n] server exited (status $prc) during start-up: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"
		ROWS+=("$row_fail"); return
	fi
	POLLER_PID=""
	if ((prc != 0)); then
		problem "[$n] server did not answer GET /v1/ping 200 within 30 s: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"
		stop_server
		ROWS+=("$row_fail"); return
	fi
	t1=$(<"$tmp/ping.out")
	startup=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f ms", (b - a) * 1000 }')
	log "[$n] server pid $SERVER_PID on port $port, up in $startup"

	# sanity: one request of each kind must succeed before timing many
	code=$(curl -s -o "$tmp/me.json" -w '%{http_code}' --max-time 5 \
		-H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/me" || true)
	[[ $code == 200 ]] || problem "[$n] GET /v1/me answered $code: $(head -c 300 "$tmp/me.json" 2>/dev/null)"
	code=$(curl -s -o "$tmp/create.json" -w '%{http_code}' --max-time 5 -X POST \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"name":"b","scopes":["read_content"]}' \
		"http://127.0.0.1:$port/v1/users/me/access_tokens" || true)
	[[ $code == 201 ]] || problem "[$n] POST /v1/users/me/access_tokens answered $code: $(head -c 300 "$tmp/create.json" 2>/dev/null)"

	log "[$n] GET /v1/me: wrk -t1 -c$CONNS -d${SECS}s"
	out=$tmp/wrk-me.txt
	run_wrk "$out" -t1 -c"$CONNS" -d"${SECS}s" --latency \
		-H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/me"
	get=($(parse_wrk "$out"))
	log "[$n]   ${get[0]} req/s, p50 ${get[1]} ms, p99 ${get[2]} ms, ${get[5]} requests"
	((get[3] == 0)) || problem "[$n] GET /v1/me: ${get[3]} non-2xx/3xx responses"
	((get[4] == 0)) || problem "[$n] GET /v1/me: ${get[4]} socket errors ($(grep 'Socket errors' "$out" | sed 's/^ *//'))"
	alive "$SERVER_PID" || problem "[$n] server died during GET /v1/me: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"

	if alive "$SERVER_PID"; then
		log "[$n] POST /v1/users/me/access_tokens: wrk -t1 -c$CCONNS -d${CSECS}s"
		out=$tmp/wrk-create.txt
		run_wrk "$out" -t1 -c"$CCONNS" -d"${CSECS}s" --latency -s "$HERE/create_pat.lua" \
			-H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/users/me/access_tokens"
		create=($(parse_wrk "$out"))
		log "[$n]   ${create[0]} req/s, p99 ${create[2]} ms, ${create[5]} requests"
		((create[3] == 0)) || problem "[$n] PAT creation: ${create[3]} non-2xx/3xx responses"
		((create[4] == 0)) || problem "[$n] PAT creation: ${create[4]} socket errors ($(grep 'Socket errors' "$out" | sed 's/^ *//'))"
		alive "$SERVER_PID" || problem "[$n] server died during PAT creation: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"
	else
		create=("-" "-" "-" 0 0 0)
	fi

	rss="?"
	if alive "$SERVER_PID"; then
		rss=$(awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$SERVER_PID/status")
	fi
	stop_server
	rc=$STOP_RC
	# 143 = killed by the signal without a handler: not graceful, but not a crash
	case $rc in
	0 | 143) ;;
	*) problem "[$n] server exited with status $rc after SIGTERM: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')" ;;
	esac
	if grep -qiE 'sanitizer|segmentation|assert|abort' "$tmp/server.log"; then
		problem "[$n] server log: $(grep -iE 'sanitizer|segmentation|assert|abort' "$tmp/server.log" | head -n 3 | tr '\n' ' ')"
	fi

	ROWS+=("| $n | ${get[0]} | ${get[1]} ms | ${get[2]} ms | ${create[0]} | ${create[2]} ms | $rss | $startup |")
	if [[ ${BENCH_KEEP:-0} != 1 ]]; then
		rm -rf "$tmp"
	fi
}

T_START=$SECONDS
VERSION=$("$BIN" version 2>&1 | head -n 1 || true)
for n in $SIZES; do
	bench_size "$n"
done

echo
echo "jeton: ${VERSION:-?} ($BIN)"
echo "machine: $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr); wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') shares the cores"
echo "store: admin@localhost, editor of one space, holds the bench PAT; the other tokens are seeded rows"
echo "GET /v1/me: wrk -t1 -c$CONNS -d${SECS}s; PAT create: POST /v1/users/me/access_tokens, wrk -t1 -c$CCONNS -d${CSECS}s; start-up: exec to first 200 on /v1/ping"
echo
echo "| store tokens | GET /v1/me req/s | p50 | p99 | PAT create/s | create p99 | peak RSS | start-up |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "total bench time: $((SECONDS - T_START)) s"
if ((${#PROBLEMS[@]})); then
	echo
	echo "problems:"
	printf -- '- %s\n' "${PROBLEMS[@]}"
	exit 1
fi
