#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# jeton benchmark: wrk on loopback against `jeton serve` with a SQLite store
# of each size. First the ceiling: bare libmicrohttpd (bench/ceiling.c, same
# threads, flags and limits as jeton) answering a fixed body; every row then
# shows its rate as a share of the ceiling at the same connection count, and
# whether it meets its target (issue 13). Prints Markdown tables: the
# verification paths per store size, resources, OAuth, JWT.
#
# usage: bench/run.sh BIN
# environment:
#   BENCH_SIZES          store sizes in tokens        (default "10000 1000000")
#   BENCH_SECONDS        each verification run, s     (default 5)
#   BENCH_CREATE_SECONDS PAT creation duration, s     (default 5)
#   BENCH_CONNECTIONS    connection counts for GET /v1/me and
#                        GET /auth/verify             (default "16 64")
#   BENCH_CREATE_CONNECTIONS connections for creation (default "16 64")
#   BENCH_CEILING_SECONDS each ceiling run, s         (default BENCH_SECONDS)
#   BENCH_THREADS        serving threads of jeton and of the ceiling
#                        (default: the cores but the one wrk takes, at
#                        least one; jeton's own default is every core,
#                        as on a machine whose load comes over the network)
#   BENCH_PIN=1          wrk on the last core, the server (jeton, the
#                        ceiling) on the others, as docs/design.md's
#                        library figures were measured (default 0)
#   BENCH_OAUTH=0        skip the OAuth table                (default 1)
#   BENCH_OAUTH_SECONDS  duration of each OAuth run, s       (default 5)
#   BENCH_OAUTH_CONNECTIONS connections for the OAuth runs   (default 64)
#   BENCH_OAUTH_CODES    authorization codes put in the store (default
#                        20000 per second of BENCH_OAUTH_SECONDS + 10000)
#   BENCH_JWT=0          skip the JWT table                  (default 1)
#   BENCH_JWT_SECONDS    duration of each JWT run, s         (default BENCH_OAUTH_SECONDS)
#   BENCH_JWT_CONNECTIONS connections for the JWT runs       (default 64)
#   BENCH_KEEP=1         keep the temp dirs (printed) for a post-mortem
#   BENCH_PG=0           skip the SQLite/PostgreSQL table (bench/pg.sh)  (default 1)
#   BENCH_INVENTORY=0    skip the token inventory table (bench/inventory.sh,
#                        BENCH_INVENTORY_TOKENS tokens, default 1000000)  (default 1)
#   BENCH_TLS=0          skip the TLS table                  (default 1)
#   BENCH_TLS_SECONDS    each TLS run, s                     (default BENCH_SECONDS)
#   BENCH_TLS_CONNECTIONS connections for the TLS runs       (default BENCH_CONNECTIONS)
# The OAuth table is measured once, on the store of the first size: after the
# table's runs, the same server serves client_credentials issuance; then it is
# killed with SIGKILL and restarted on that store (durability check), and the
# new server serves introspection and the authorization-code exchange.
# The JWT table is measured on that same store and server, after the OAuth
# runs (or on the first server when BENCH_OAUTH=0): client_credentials
# issuance and GET /v1/me with one token, each for an opaque app and for a
# --token-format jwt app (EdDSA, the default), side by side.
# The TLS table is measured on the store of the first size too, once the
# servers above have stopped: GET /v1/me with the bench PAT on a server
# started with --tls-cert/--tls-key (a throw-away ECDSA P-256 certificate),
# wrk keeping its connections alive (one handshake each), beside the same
# request over plain HTTP.
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
SECS=${BENCH_SECONDS:-5}
CSECS=${BENCH_CREATE_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-"16 64"}
CCONNS=${BENCH_CREATE_CONNECTIONS:-"16 64"}
PY=${PYTHON:-/usr/bin/python3}
DO_OAUTH=${BENCH_OAUTH:-1}
OSECS=${BENCH_OAUTH_SECONDS:-5}
OCONNS=${BENCH_OAUTH_CONNECTIONS:-64}
OCODES=${BENCH_OAUTH_CODES:-$((OSECS * 20000 + 10000))}
DO_JWT=${BENCH_JWT:-1}
JSECS=${BENCH_JWT_SECONDS:-$OSECS}
JCONNS=${BENCH_JWT_CONNECTIONS:-64}
CEIL_SECS=${BENCH_CEILING_SECONDS:-$SECS}
DO_TLS=${BENCH_TLS:-1}
TSECS=${BENCH_TLS_SECONDS:-$SECS}
TCONNS=${BENCH_TLS_CONNECTIONS:-$CONNS}
PIN=${BENCH_PIN:-0}
NCPU=$(nproc)
SERVE_ON=() WRK_ON=() # taskset prefixes when pinned
if [[ $PIN == 1 && $NCPU -ge 2 ]]; then
	command -v taskset >/dev/null || { echo "bench: BENCH_PIN=1 needs taskset (util-linux)" >&2; exit 2; }
	SERVE_ON=(taskset -c "0-$((NCPU - 2))") WRK_ON=(taskset -c "$((NCPU - 1))")
	THREADS=${BENCH_THREADS:-$((NCPU - 1))}
else
	PIN=0
	# wrk takes a core: more serving threads than the cores it leaves
	# only make them preempt each other (docs/decisions.md, issue 13)
	THREADS=${BENCH_THREADS:-$((NCPU > 1 ? NCPU - 1 : 1))}
fi
# The best-known C peer, as measured on this machine (issue 13).
PEER="the best-known C peer verifies ~1,100-1,700 tokens/s on this machine"
REDIRECT=http://localhost:9/cb
REDIRECT_ENC=http%3A%2F%2Flocalhost%3A9%2Fcb
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 2; }

SERVER_PID=""
POLLER_PID=""
TMPDIRS=()
PROBLEMS=()
ROWS=()
RES_ROWS=()
OAUTH_ROWS=()
OAUTH_SIZE=""
OAUTH_DURABLE=""
JWT_ROWS=()
JWT_SIZE=""
JWT_NOTE=""
TLS_ROWS=()
TLS_SIZE=""

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
	[[ -n $CEIL_PID ]] && { kill -TERM "$CEIL_PID" 2>/dev/null; wait "$CEIL_PID" 2>/dev/null; } || true
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

# wrk output -> "req/s p50_ms p99_ms non2xx socket_errors requests cpu_us_per_request"
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
	/^server-cpu-ticks:/       { ticks = $2; hz = $3 }
	END {
		cpu = (ticks != "" && hz > 0 && reqs > 0) ? sprintf("%.1f", ticks / hz * 1e6 / reqs) : "?"
		printf "%s %s %s %d %d %s %s\n", (rps == "" ? "?" : rps), (p50 == "" ? "?" : p50),
			(p99 == "" ? "?" : p99), non2xx, sockerr, (reqs == "" ? "?" : reqs), cpu
	}' "$1"
}

# ---- rows: rate, share of the ceiling, target ------------------------------

declare -A CEIL=() CEIL_P99=() CEIL_CPU=() # connections -> the ceiling's req/s, p99, CPU/request
declare -A RATE=()             # "label size conns" -> req/s, for the flatness line
declare -A CPU=()              # "label size conns" -> server CPU per request, µs

share() { # A B: "87 %", A as a share of B, or "?"
	awk -v r="$1" -v c="$2" 'BEGIN {
		if (r !~ /^[0-9.]+$/ || c !~ /^[0-9.]+$/ || c == 0) print "?"
		else printf "%.0f %%\n", 100 * r / c }'
}

# CONNS: the ceiling measured again just before the row that follows (the
# machine's load moves both alike then), in PAIR_RPS and PAIR_CPU; the
# first measurement when the ceiling is no longer running
PAIR_RPS="" PAIR_CPU=""
pair_ceiling() {
	local c=$1 out r
	PAIR_RPS=${CEIL[$c]:-} PAIR_CPU=${CEIL_CPU[$c]:-}
	alive "$CEIL_PID" || return 0
	out=$CEIL_TMP/wrk-ceiling-pair-$c.txt
	CPU_PID=$CEIL_PID
	run_wrk "$out" -t1 -c"$c" -d"${SECS}s" --latency "http://127.0.0.1:$CEIL_PORT/"
	CPU_PID=""
	read -ra r < <(parse_wrk "$out")
	log "ceiling:   ${r[0]} req/s at $c connections, just before"
	PAIR_RPS=${r[0]} PAIR_CPU=${r[6]}
}

# CONNS: the verification target, 100 000/s or 75 % of the ceiling, whichever is lower
verify_target() {
	awk -v c="${PAIR_RPS:-${CEIL[$1]:-0}}" 'BEGIN { t = 0.75 * c; if (t > 100000 || t == 0) t = 100000; printf "%.0f\n", t }'
}

# "1 000" for 1000
thousands() { awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); o = ""
	while (length(s) > 3) { o = " " substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
	print s o }'; }

WRK=()
# TABLE LABEL SIZE CONNS OUT MIN_RPS MAX_P99_MS: appends a row to the array
# TABLE from wrk's output OUT: "| label | conns | req/s | of ceiling | p50 |
# p99 | target | met |"; problems for non-2xx and socket errors. MIN_RPS
# and MAX_P99_MS may be empty (no target). WRK gets parse_wrk's fields.
row() {
	local -n rows_=$1
	local label=$2 size=$3 conns=$4 out=$5 min=$6 p99max=$7 r target="" met=""
	read -ra r < <(parse_wrk "$out")
	WRK=("${r[@]}")
	log "[$size]   ${r[0]} req/s, p50 ${r[1]} ms, p99 ${r[2]} ms, ${r[5]} requests, ${r[3]} non-2xx"
	((r[3] == 0)) || problem "[$size] $label: ${r[3]} non-2xx/3xx responses of ${r[5]}"
	((r[4] == 0)) || problem "[$size] $label: ${r[4]} socket errors ($(grep 'Socket errors' "$out" | sed 's/^ *//'))"
	RATE["$label $size $conns"]=${r[0]}
	CPU["$label $size $conns"]=${r[6]}
	if [[ -n $min ]]; then
		target=">= $(thousands "$min")/s"
		met=$(awk -v r="${r[0]}" -v m="$min" 'BEGIN { print (r ~ /^[0-9.]+$/ && r + 0 >= m) ? "yes" : "no" }')
	fi
	if [[ -n $p99max ]]; then
		target+="${target:+, }p99 <= $p99max ms"
		[[ $met == no ]] || met=$(awk -v p="${r[2]}" -v m="$p99max" 'BEGIN { print (p ~ /^[0-9.]+$/ && p + 0 <= m) ? "yes" : "no" }')
	fi
	local crps=${PAIR_RPS:-${CEIL[$conns]:-}} ccpu=${PAIR_CPU:-${CEIL_CPU[$conns]:-}}
	rows_+=("| $label | $conns | $(thousands "${r[0]}") | $(thousands "$crps") | $(share "${r[0]}" "$crps") | ${r[1]} ms | ${r[2]} ms | ${r[6]} µs | $(share "$ccpu" "${r[6]}") | ${target:--} | ${met:--} |")
	PAIR_RPS="" PAIR_CPU=""
}

fail_row() { # TABLE LABEL CONNS
	local -n rows_=$1
	rows_+=("| $2 | $3 | FAIL | | | | | | | | no |")
}

TABLE_HEAD="| request | conns | req/s | ceiling req/s | of ceiling | p50 | p99 | server CPU/req | ceiling's CPU as a share | target | met |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |"

cpu_ticks() { # PID: user + system clock ticks the process has used, or nothing
	[[ -n $1 && -r /proc/$1/stat ]] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || true
}

# OUT wrk-args...; bounded by timeout(1) in case wrk hangs. Appends the
# CPU the server (CPU_PID, else SERVER_PID) used meanwhile, a figure the
# machine's load moves far less than the rate.
CPU_PID=""
run_wrk() {
	local out=$1 d pid=${CPU_PID:-$SERVER_PID} t0 t1
	shift
	d=$(printf '%s\n' "$@" | sed -n 's/^-d//p' | head -1)
	d=${d%s}
	t0=$(cpu_ticks "$pid")
	timeout --kill-after=5 $((${d:-10} + 30)) "${WRK_ON[@]}" wrk "$@" >"$out" 2>&1 || {
		problem "wrk exited with status $? ($(tail -n 3 "$out" | tr '\n' ' '))"
		return 0
	}
	t1=$(cpu_ticks "$pid")
	[[ -n $t0 && -n $t1 ]] && echo "server-cpu-ticks: $((t1 - t0)) $(getconf CLK_TCK)" >>"$out"
}

PORT="" STARTUP="" SERVER_LOG=""
start_server() { # LABEL TMP DB NAME: start serving DB, log in TMP/NAME.log; sets PORT, STARTUP
	local label=$1 tmp=$2 db=$3 name=$4 t0 t1 i first="" prc=0
	# start-up: from exec to the first 200 on /v1/ping, polled every 1 ms
	PORT=$(free_port)
	rm -f "$tmp/ready"
	"$PY" "$HERE/wait_ping.py" "$PORT" "$tmp/ready" 30 >"$tmp/ping.out" &
	POLLER_PID=$!
	for ((i = 0; i < 500; i++)); do [[ -e $tmp/ready ]] && break; sleep 0.01; done
	t0=$EPOCHREALTIME
	SERVER_LOG=$tmp/$name.log
	"${SERVE_ON[@]}" "$BIN" serve --listen "127.0.0.1:$PORT" --db "$db" --threads "$THREADS" \
		>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	# whichever ends first: the poller (answer or 30 s) or the server (crash)
	wait -n -p first "$POLLER_PID" "$SERVER_PID" || prc=$?
	if [[ $first == "$SERVER_PID" ]]; then
		SERVER_PID=""
		kill "$POLLER_PID" 2>/dev/null || true
		wait "$POLLER_PID" 2>/dev/null || true
		POLLER_PID=""
		problem "$label server exited (status $prc) during start-up: $(tail -n 5 "$tmp/$name.log" | tr '\n' ' ')"
		return 1
	fi
	POLLER_PID=""
	if ((prc != 0)); then
		problem "$label server did not answer GET /v1/ping 200 within 30 s: $(tail -n 5 "$tmp/$name.log" | tr '\n' ' ')"
		stop_server
		return 1
	fi
	t1=$(<"$tmp/ping.out")
	STARTUP=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f ms", (b - a) * 1000 }')
}

# ---- the ceiling ------------------------------------------------------------

CEILING_NOTE="" CEIL_PID="" CEIL_PORT="" CEIL_TMP=""
# bare libmicrohttpd at every connection count the tables use; fills CEIL.
# It keeps running (idle) for pair_ceiling.
ceiling_bench() {
	local tmp bin port pid c out i conns=() r
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/jeton-bench.XXXXXX")
	TMPDIRS+=("$tmp")
	bin=$tmp/ceiling
	if ! ${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -I"$HERE/../src" -o "$bin" "$HERE/ceiling.c" \
		-lmicrohttpd -pthread 2>"$tmp/cc.err"; then
		problem "ceiling: bench/ceiling.c did not build: $(head -n 5 "$tmp/cc.err" | tr '\n' ' ')"
		return 1
	fi
	port=$(free_port)
	"${SERVE_ON[@]}" "$bin" "$port" "$THREADS" 2>"$tmp/ceiling.log" &
	pid=$!
	CPU_PID=$pid
	for ((i = 0; i < 200; i++)); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
		sleep 0.02
	done
	# every distinct connection count, in order
	for c in $CONNS $CCONNS $OCONNS $JCONNS; do
		[[ -n ${CEIL[$c]:-} ]] && continue
		log "ceiling: bare libmicrohttpd, wrk -t1 -c$c -d${CEIL_SECS}s"
		out=$tmp/wrk-ceiling-$c.txt
		run_wrk "$out" -t1 -c"$c" -d"${CEIL_SECS}s" --latency "http://127.0.0.1:$port/"
		read -ra r < <(parse_wrk "$out")
		log "ceiling:   ${r[0]} req/s, p50 ${r[1]} ms, p99 ${r[2]} ms"
		CEIL[$c]=${r[0]} CEIL_P99[$c]=${r[2]} CEIL_CPU[$c]=${r[6]}
		conns+=("$(thousands "${r[0]}") req/s at $c connections (p99 ${r[2]} ms, ${r[6]} µs CPU/req)")
	done
	CPU_PID=""
	CEIL_PID=$pid CEIL_PORT=$port CEIL_TMP=$tmp
	CEILING_NOTE=$(IFS=';'; echo "${conns[*]}" | sed 's/;/, /g')
}

# ---- OAuth ----------------------------------------------------------------

O_CC_AUTH="" O_CODE_AUTH="" O_CODE_CLIENT=""
# app JSON file (jeton app create --json) -> "client_id base64(client_id:client_secret)"
app_auth() {
	"$PY" -c 'import base64, json, sys
a = json.load(open(sys.argv[1]))
print(a["client_id"], base64.b64encode((a["client_id"] + ":" + a["client_secret"]).encode()).decode())' "$1"
}

json_field() { # FILE KEY: the string value of KEY in the JSON object in FILE, or nothing
	"$PY" -c 'import json, sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception:
    v = None
print(v if isinstance(v, str) else "")' "$1" "$2"
}

oauth_prepare() { # N TMP DB: the two apps and the authorization codes, before the server starts
	local n=$1 tmp=$2 db=$3 space_id line
	log "[$n] OAuth: 2 apps, $OCODES authorization codes"
	if ! "$BIN" app create --db "$db" --name bench --scopes "read_content" --json \
		>"$tmp/app-cc.json" 2>"$tmp/app-cc.err" || ! line=$(app_auth "$tmp/app-cc.json"); then
		problem "[$n] 'app create --name bench' failed: $(tail -n 5 "$tmp/app-cc.err" "$tmp/app-cc.json" | tr '\n' ' ')"
		return 1
	fi
	O_CC_AUTH=${line#* }
	if ! "$BIN" app create --db "$db" --name codes --redirect-uri "$REDIRECT" --scopes read_content --json \
		>"$tmp/app-code.json" 2>"$tmp/app-code.err" || ! line=$(app_auth "$tmp/app-code.json"); then
		problem "[$n] 'app create --name codes' failed: $(tail -n 5 "$tmp/app-code.err" "$tmp/app-code.json" | tr '\n' ' ')"
		return 1
	fi
	O_CODE_CLIENT=${line%% *} O_CODE_AUTH=${line#* }
	if ! space_id=$("$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT id FROM spaces WHERE name = ?", ("bench",)).fetchone()[0])' "$db" 2>"$tmp/space-id.err"); then
		problem "[$n] no space 'bench' in the store: $(tail -n 2 "$tmp/space-id.err" | tr '\n' ' ')"
		return 1
	fi
	if ! "$PY" "$HERE/oauth_codes.py" "$db" "$OCODES" "$tmp/codes.txt" "$O_CODE_CLIENT" \
		admin@localhost "$space_id" "$REDIRECT"; then
		problem "[$n] storing the authorization codes failed"
		return 1
	fi
}

# OUT LABEL MIN_RPS: a row of the OAuth table
oauth_row() { row OAUTH_ROWS "$2" "$OAUTH_SIZE" "$OCONNS" "$1" "$3" ""; }
oauth_fail_row() { fail_row OAUTH_ROWS "$1" "$OCONNS"; }

# N TMP DB PORT: runs on the server SERVER_PID serving DB on PORT; kills it
# and leaves SERVER_PID the restarted one (or "" if the restart failed)
oauth_bench() {
	local n=$1 tmp=$2 db=$3 port=$4 url code out last="" curl_ok=0 rows wrk_ok me_code="-" ok
	local used="" avail="" rc=0
	local l_cc="client_credentials issuance (durable)" t_cc=30000
	local l_in="introspection (jtc_ token)" t_in=80000
	local l_ex="authorization-code exchange" t_ex=5000
	local wrk_args=(-t1 -c"$OCONNS" -d"${OSECS}s" --latency)
	url=http://127.0.0.1:$port

	# 1. client_credentials, then the durability check
	code=$(curl -s -o "$tmp/cc-first.json" -w '%{http_code}' --max-time 5 -H "Authorization: Basic $O_CC_AUTH" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data grant_type=client_credentials \
		"$url/oauth/token" || true)
	if [[ $code == 200 ]]; then
		curl_ok=1 last=$(json_field "$tmp/cc-first.json" access_token)
	else
		problem "[$n] POST /oauth/token (client_credentials) answered $code: $(head -c 300 "$tmp/cc-first.json" 2>/dev/null)"
	fi
	log "[$n] POST /oauth/token client_credentials: wrk -t1 -c$OCONNS -d${OSECS}s"
	out=$tmp/wrk-cc.txt
	run_wrk "$out" "${wrk_args[@]}" -s "$HERE/form_post.lua" -H "Authorization: Basic $O_CC_AUTH" \
		"$url/oauth/token" -- grant_type=client_credentials
	oauth_row "$out" "$l_cc" "$t_cc"
	wrk_ok=$((${WRK[5]//\?/0} - WRK[3]))
	if ! alive "$SERVER_PID"; then
		wait "$SERVER_PID" 2>/dev/null || rc=$?
		problem "[$n] server died (status $rc) during client_credentials issuance: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"
	else
		# the last token before the kill
		code=$(curl -s -o "$tmp/cc-last.json" -w '%{http_code}' --max-time 5 -H "Authorization: Basic $O_CC_AUTH" \
			-H 'Content-Type: application/x-www-form-urlencoded' --data grant_type=client_credentials \
			"$url/oauth/token" || true)
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
		if [[ $code == 200 ]]; then
			curl_ok=$((curl_ok + 1)) last=$(json_field "$tmp/cc-last.json" access_token)
		else
			last=""
			problem "[$n] POST /oauth/token just before the kill answered $code: $(head -c 300 "$tmp/cc-last.json" 2>/dev/null)"
		fi
	fi
	SERVER_PID=""

	log "[$n] restart on the same store after SIGKILL"
	if ! start_server "[$n] restart after SIGKILL:" "$tmp" "$db" server2; then
		OAUTH_DURABLE="durable: no (the server did not restart on the store)"
		oauth_fail_row "$l_in" "$t_in"; oauth_fail_row "$l_ex" "$t_ex"
		return
	fi
	url=http://127.0.0.1:$PORT
	log "[$n] server pid $SERVER_PID on port $PORT, up in $STARTUP"
	rows=$("$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM oauth_tokens WHERE kind = ?", ("client",)).fetchone()[0])' "$db" 2>&1) || rows="? ($rows)"
	if [[ -n $last ]]; then
		me_code=$(curl -s -o "$tmp/me-last.json" -w '%{http_code}' --max-time 5 \
			-H "Authorization: Bearer $last" "$url/v1/me" || true)
	fi
	ok=yes
	[[ $rows =~ ^[0-9]+$ ]] && ((rows >= wrk_ok + curl_ok)) || ok=no
	[[ $me_code == 200 ]] || ok=no
	OAUTH_DURABLE="durable: $ok (after kill -9 right after the issuance run and a restart: $rows client tokens in oauth_tokens; wrk completed ${WRK[5]} requests, $wrk_ok of them 2xx, plus $curl_ok issued by curl; GET /v1/me with the last token issued before the kill: $me_code)"
	[[ $ok == yes ]] || problem "[$n] not durable: $rows client tokens stored, $((wrk_ok + curl_ok)) answered 200 (wrk $wrk_ok + curl $curl_ok); GET /v1/me with the last token: $me_code $(head -c 200 "$tmp/me-last.json" 2>/dev/null)"

	# 2. introspection of a client token
	[[ -n $last ]] || last=$(json_field "$tmp/cc-first.json" access_token)
	code=$(curl -s -o "$tmp/introspect.json" -w '%{http_code}' --max-time 5 -H "Authorization: Basic $O_CC_AUTH" \
		--data "token=$last" "$url/oauth/introspect" || true)
	[[ $code == 200 ]] && grep -q '"active":[[:space:]]*true' "$tmp/introspect.json" ||
		problem "[$n] POST /oauth/introspect answered $code: $(head -c 300 "$tmp/introspect.json" 2>/dev/null)"
	log "[$n] POST /oauth/introspect: wrk -t1 -c$OCONNS -d${OSECS}s"
	out=$tmp/wrk-introspect.txt
	run_wrk "$out" "${wrk_args[@]}" -s "$HERE/form_post.lua" -H "Authorization: Basic $O_CC_AUTH" \
		"$url/oauth/introspect" -- "token=$last"
	oauth_row "$out" "$l_in" "$t_in"
	if ! alive "$SERVER_PID"; then
		problem "[$n] server died during introspection: $(tail -n 5 "$tmp/server2.log" | tr '\n' ' ')"
		oauth_fail_row "$l_ex" "$t_ex"
		return
	fi

	# 3. authorization-code exchange: the first code by curl, the others by wrk, each once
	code=$(curl -s -o "$tmp/exchange.json" -w '%{http_code}' --max-time 5 -H "Authorization: Basic $O_CODE_AUTH" \
		--data "grant_type=authorization_code&code=$(head -n 1 "$tmp/codes.txt")&redirect_uri=$REDIRECT_ENC" \
		"$url/oauth/token" || true)
	[[ $code == 200 ]] || problem "[$n] POST /oauth/token (authorization_code) answered $code: $(head -c 300 "$tmp/exchange.json" 2>/dev/null)"
	tail -n +2 "$tmp/codes.txt" >"$tmp/codes-wrk.txt"
	log "[$n] POST /oauth/token authorization_code: wrk -t1 -c$OCONNS -d${OSECS}s, $((OCODES - 1)) codes"
	out=$tmp/wrk-exchange.txt
	run_wrk "$out" "${wrk_args[@]}" -s "$HERE/code_exchange.lua" -H "Authorization: Basic $O_CODE_AUTH" \
		"$url/oauth/token" -- "$tmp/codes-wrk.txt" "$REDIRECT_ENC" 1
	oauth_row "$out" "$l_ex" "$t_ex"
	read -r used avail < <(sed -n 's/^codes: used \([0-9]*\) of \([0-9]*\)$/\1 \2/p' "$out") || true
	if [[ -z ${used:-} ]]; then
		problem "[$n] code exchange: wrk printed no 'codes: used' line"
	elif ((used > avail)); then
		problem "[$n] code exchange: the $avail codes ran out (set BENCH_OAUTH_CODES higher or BENCH_OAUTH_SECONDS lower)"
	fi
	alive "$SERVER_PID" || problem "[$n] server died during the code exchange: $(tail -n 5 "$tmp/server2.log" | tr '\n' ' ')"
}

# ---- JWT --------------------------------------------------------------------

J_OPAQUE_AUTH="" J_JWT_AUTH=""
jwt_prepare() { # N TMP DB: an opaque and a JWT client_credentials app, before the server starts
	local n=$1 tmp=$2 db=$3 line
	log "[$n] JWT: 2 apps (opaque, --token-format jwt)"
	if ! "$BIN" app create --db "$db" --name jwt-bench-opaque --scopes read_content --json \
		>"$tmp/app-jo.json" 2>"$tmp/app-jo.err" || ! line=$(app_auth "$tmp/app-jo.json"); then
		problem "[$n] 'app create --name jwt-bench-opaque' failed: $(tail -n 5 "$tmp/app-jo.err" "$tmp/app-jo.json" | tr '\n' ' ')"
		return 1
	fi
	J_OPAQUE_AUTH=${line#* }
	if ! "$BIN" app create --db "$db" --name jwt-bench --scopes read_content --token-format jwt --json \
		>"$tmp/app-jwt.json" 2>"$tmp/app-jwt.err" || ! line=$(app_auth "$tmp/app-jwt.json"); then
		problem "[$n] 'app create --name jwt-bench --token-format jwt' failed: $(tail -n 5 "$tmp/app-jwt.err" "$tmp/app-jwt.json" | tr '\n' ' ')"
		return 1
	fi
	J_JWT_AUTH=${line#* }
}

# N TMP URL AUTH NAME: one client_credentials token by curl (sets J_TOKEN; "" on failure)
J_TOKEN=""
jwt_issue_one() {
	local n=$1 tmp=$2 url=$3 auth=$4 name=$5 code
	J_TOKEN=""
	code=$(curl -s -o "$tmp/$name.json" -w '%{http_code}' --max-time 5 -H "Authorization: Basic $auth" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data grant_type=client_credentials \
		"$url/oauth/token" || true)
	if [[ $code == 200 ]]; then
		J_TOKEN=$(json_field "$tmp/$name.json" access_token)
	else
		problem "[$n] JWT table: POST /oauth/token ($name) answered $code: $(head -c 300 "$tmp/$name.json" 2>/dev/null)"
	fi
}

# OUT LABEL MIN_RPS: a row of the JWT table; false when the server died
jwt_row() {
	row JWT_ROWS "$2" "$JWT_SIZE" "$JCONNS" "$1" "$3" ""
	alive "$SERVER_PID" || { problem "[$JWT_SIZE] server died during $2"; return 1; }
}

# N TMP PORT: runs on the server SERVER_PID; fills JWT_ROWS
jwt_bench() {
	local n=$1 tmp=$2 port=$3 url opaque="" jwt="" hdr kind auth out code target
	local wrk_args=(-t1 -c"$JCONNS" -d"${JSECS}s" --latency)
	url=http://127.0.0.1:$port

	jwt_issue_one "$n" "$tmp" "$url" "$J_OPAQUE_AUTH" jwt-opaque-first && opaque=$J_TOKEN
	jwt_issue_one "$n" "$tmp" "$url" "$J_JWT_AUTH" jwt-jwt-first && jwt=$J_TOKEN
	[[ -z $opaque || $opaque == jtc_* ]] || problem "[$n] JWT table: the opaque app issued '${opaque:0:20}...', not a jtc_ token"
	if [[ -n $jwt ]]; then
		hdr=$("$PY" -c 'import base64, json, sys
h = sys.argv[1].split(".")[0]
print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))).get("alg", "?"))' "$jwt" 2>/dev/null) || hdr="?"
		[[ $jwt == eyJ*.*.* ]] || problem "[$n] JWT table: the jwt app issued '${jwt:0:20}...', not a JWT"
		JWT_NOTE="JWT: alg $hdr, ${#jwt} bytes; opaque: ${#opaque} bytes"
	fi

	for kind in opaque jwt; do
		if [[ $kind == opaque ]]; then auth=$J_OPAQUE_AUTH; else auth=$J_JWT_AUTH; fi
		log "[$n] JWT table: POST /oauth/token client_credentials ($kind app): wrk -t1 -c$JCONNS -d${JSECS}s"
		out=$tmp/wrk-jwt-cc-$kind.txt
		run_wrk "$out" "${wrk_args[@]}" -s "$HERE/form_post.lua" -H "Authorization: Basic $auth" \
			"$url/oauth/token" -- grant_type=client_credentials
		jwt_row "$out" "client_credentials issuance ($kind app)" "" || return 1
	done
	for kind in opaque jwt; do
		if [[ $kind == opaque ]]; then auth=$opaque; else auth=$jwt; fi
		if [[ -z $auth ]]; then
			fail_row JWT_ROWS "GET /v1/me ($kind client token)" "$JCONNS"
			continue
		fi
		code=$(curl -s -o "$tmp/jwt-me-$kind.json" -w '%{http_code}' --max-time 5 \
			-H "Authorization: Bearer $auth" "$url/v1/me" || true)
		[[ $code == 200 ]] || problem "[$n] JWT table: GET /v1/me with the $kind token answered $code: $(head -c 300 "$tmp/jwt-me-$kind.json" 2>/dev/null)"
		log "[$n] JWT table: GET /v1/me ($kind token): wrk -t1 -c$JCONNS -d${JSECS}s"
		out=$tmp/wrk-jwt-me-$kind.txt
		run_wrk "$out" "${wrk_args[@]}" -H "Authorization: Bearer $auth" "$url/v1/me"
		target=""
		[[ $kind == opaque ]] || target=90000
		jwt_row "$out" "GET /v1/me ($kind client token)" "$target" || return 1
	done
}

# ---- TLS --------------------------------------------------------------------

# N TMP DB TOKEN: a server of DB serving HTTPS; GET /v1/me with TOKEN at each
# of TCONNS, beside the plain HTTP rows of the same size; fills TLS_ROWS
tls_bench() {
	local n=$1 tmp=$2 db=$3 token=$4 c out i code plain
	log "[$n] TLS: a throw-away CA and certificate"
	if ! { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$tmp/ca.key" -out "$tmp/ca.pem" -subj "/CN=jeton bench CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" \
			-out "$tmp/tls.csr" -subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/san.ext" &&
		openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
			-set_serial 1 -days 1 -extfile "$tmp/san.ext" -out "$tmp/tls.pem"; } \
		>"$tmp/openssl.log" 2>&1; then
		problem "[$n] TLS: openssl could not make a certificate: $(tail -n 3 "$tmp/openssl.log" | tr '\n' ' ')"
		return 1
	fi
	PORT=$(free_port)
	SERVER_LOG=$tmp/server-tls.log
	"${SERVE_ON[@]}" "$BIN" serve --listen "127.0.0.1:$PORT" --db "$db" --threads "$THREADS" \
		--tls-cert "$tmp/tls.pem" --tls-key "$tmp/tls.key" >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	code=""
	for ((i = 0; i < 300; i++)); do # 30 s at most
		alive "$SERVER_PID" || break
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$tmp/ca.pem" \
			"https://127.0.0.1:$PORT/v1/ping" || true)
		[[ $code == 200 ]] && break
		sleep 0.1
	done
	if [[ $code != 200 ]]; then
		problem "[$n] TLS: the server did not answer GET /v1/ping over HTTPS: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')"
		stop_server
		return 1
	fi
	code=$(curl -s -o "$tmp/me-tls.json" -w '%{http_code}' --max-time 5 --cacert "$tmp/ca.pem" \
		-H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/v1/me" || true)
	[[ $code == 200 ]] || problem "[$n] TLS: GET /v1/me answered $code: $(head -c 300 "$tmp/me-tls.json" 2>/dev/null)"
	for c in $TCONNS; do
		if ! alive "$SERVER_PID"; then
			fail_row TLS_ROWS "GET /v1/me (PAT) over HTTPS" "$c"
			continue
		fi
		log "[$n] GET /v1/me over HTTPS: wrk -t1 -c$c -d${TSECS}s"
		out=$tmp/wrk-tls-$c.txt
		run_wrk "$out" -t1 -c"$c" -d"${TSECS}s" --latency \
			-H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/v1/me"
		# compared with plain HTTP, in the columns the other tables give the ceiling
		plain="GET /v1/me (PAT) $n $c"
		PAIR_RPS=${RATE[$plain]:-} PAIR_CPU=${CPU[$plain]:-}
		[[ -n $PAIR_RPS ]] || PAIR_RPS="?"
		row TLS_ROWS "GET /v1/me (PAT) over HTTPS" "$n" "$c" "$out" "" ""
		alive "$SERVER_PID" || problem "[$n] server died during GET /v1/me over HTTPS: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')"
	done
	stop_server
	case $STOP_RC in
	0 | 143) ;;
	*) problem "[$n] the TLS server exited with status $STOP_RC after SIGTERM: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')" ;;
	esac
}

bench_size() {
	local n=$1 tmp db token port startup out rss rc code c path what target p99max
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/jeton-bench.XXXXXX")
	TMPDIRS+=("$tmp")
	db=$tmp/jeton.db
	# the key-encryption key of the JWT signing keys (init and serve create it),
	# kept with the store rather than in the current directory
	export JETON_KEY_FILE=$tmp/jeton.key
	local row_fail="| $(thousands "$n") tokens: FAIL | | | | | | | | | | no |"

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
	# all of the machine's dirty data, not only the seed's: what an earlier
	# phase left (the OAuth runs' store, killed and deleted) is otherwise
	# written back during this size's runs, taking their CPU
	sync

	if ((DO_OAUTH)) && ! oauth_prepare "$n" "$tmp" "$db"; then
		DO_OAUTH=0
		OAUTH_ROWS+=("| (store preparation failed) | FAIL | | | | |")
	fi

	if ((DO_JWT)) && ! jwt_prepare "$n" "$tmp" "$db"; then
		DO_JWT=0
		JWT_ROWS+=("| (store preparation failed) | FAIL | | | FAIL | | |")
	fi

	if ! start_server "[$n]" "$tmp" "$db" server; then
		ROWS+=("$row_fail"); return
	fi
	port=$PORT startup=$STARTUP
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

	code=$(curl -s -o "$tmp/verify.txt" -w '%{http_code}' --max-time 5 \
		-H "Authorization: Bearer $token" "http://127.0.0.1:$port/auth/verify" || true)
	[[ $code == 200 ]] || problem "[$n] GET /auth/verify answered $code"

	# the verification paths at each connection count: p99 <= 1 ms at 16
	# connections, <= 2 ms at 64 (issue 13); none for other counts
	ROWS+=("| **$(thousands "$n") tokens in the store** | | | | | | | | | | |")
	for path in /v1/me /auth/verify; do
		what="GET $path (PAT)"
		for c in $CONNS; do
			case $c in 16) p99max=1 ;; 64) p99max=2 ;; *) p99max="" ;; esac
			if ! alive "$SERVER_PID"; then
				fail_row ROWS "$what" "$c"
				continue
			fi
			pair_ceiling "$c"
			log "[$n] $what: wrk -t1 -c$c -d${SECS}s"
			out=$tmp/wrk-${path//\//_}-$c.txt
			run_wrk "$out" -t1 -c"$c" -d"${SECS}s" --latency \
				-H "Authorization: Bearer $token" "http://127.0.0.1:$port$path"
			row ROWS "$what" "$n" "$c" "$out" "$(verify_target "$c")" "$p99max"
			alive "$SERVER_PID" || problem "[$n] server died during $what: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')"
		done
	done

	for c in $CCONNS; do
		if alive "$SERVER_PID"; then
			log "[$n] POST /v1/users/me/access_tokens: wrk -t1 -c$c -d${CSECS}s"
			out=$tmp/wrk-create-$c.txt
			run_wrk "$out" -t1 -c"$c" -d"${CSECS}s" --latency -s "$HERE/create_pat.lua" \
				-H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/users/me/access_tokens"
			row ROWS "PAT creation (durable)" "$n" "$c" "$out" 20000 ""
			alive "$SERVER_PID" || problem "[$n] server died during PAT creation: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')"
		else
			fail_row ROWS "PAT creation (durable)" "$c"
		fi
	done

	rss="?"
	if alive "$SERVER_PID"; then
		rss=$(awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$SERVER_PID/status")
	fi
	if ((DO_OAUTH)); then
		if alive "$SERVER_PID"; then
			oauth_bench "$n" "$tmp" "$db" "$port"
		else
			oauth_fail_row "(server down)" ""
		fi
	fi
	if ((DO_JWT)); then
		if alive "$SERVER_PID"; then
			jwt_bench "$n" "$tmp" "$PORT" || true
		else
			fail_row JWT_ROWS "(server down)" "$JCONNS"
		fi
	fi
	stop_server
	rc=$STOP_RC
	# 143 = killed by the signal without a handler: not graceful, but not a crash
	case $rc in
	0 | 143) ;;
	*) problem "[$n] server exited with status $rc after SIGTERM: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')" ;;
	esac
	local f
	for f in "$tmp"/server*.log; do
		if grep -qiE 'sanitizer|segmentation|assert|abort' "$f"; then
			problem "[$n] $(basename "$f"): $(grep -iE 'sanitizer|segmentation|assert|abort' "$f" | head -n 3 | tr '\n' ' ')"
		fi
	done

	if ((DO_TLS)); then
		tls_bench "$n" "$tmp" "$db" "$token" || fail_row TLS_ROWS "GET /v1/me (PAT) over HTTPS" "-"
	fi

	# peak RSS <= 32 MiB with 1 000 000 tokens, start-up <= 50 ms (issue 13)
	local rss_ok start_ok
	rss_ok=$(awk -v r="${rss% MiB}" 'BEGIN { print (r ~ /^[0-9.]+$/ && r + 0 <= 32) ? "yes" : "no" }')
	start_ok=$(awk -v t="${startup% ms}" 'BEGIN { print (t ~ /^[0-9]+$/ && t + 0 <= 50) ? "yes" : "no" }')
	RES_ROWS+=("| $(thousands "$n") | $rss | $rss_ok | $startup | $start_ok |")
	if [[ ${BENCH_KEEP:-0} != 1 ]]; then
		rm -rf "$tmp"
	fi
}

T_START=$SECONDS
VERSION=$("$BIN" version 2>&1 | head -n 1 || true)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ceiling_bench || true
for n in $SIZES; do
	if ((DO_OAUTH)); then OAUTH_SIZE=$n; fi
	if ((DO_JWT)); then JWT_SIZE=$n; fi
	if ((DO_TLS)); then TLS_SIZE=$n; fi
	bench_size "$n"
	DO_OAUTH=0 # the OAuth table: once, on the first store
	DO_JWT=0   # the JWT table too
	DO_TLS=0   # and the TLS table
done
if [[ -n $CEIL_PID ]]; then
	kill -TERM "$CEIL_PID" 2>/dev/null || true
	wait "$CEIL_PID" 2>/dev/null || true
	CEIL_PID=""
fi

echo
echo "jeton: ${VERSION:-?} ($BIN)"
echo "load before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr); wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') $([[ $PIN == 1 ]] && echo "on core $((NCPU - 1)), the server on the others" || echo "shares the cores"); serving threads: $THREADS"
echo "store: admin@localhost, editor of one space, holds the bench PAT; the other tokens are seeded rows"
echo "ceiling: bare libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null || echo '?'), $THREADS threads, jeton's flags and limits, one fixed answer (bench/ceiling.c), wrk -t1 -d${CEIL_SECS}s: ${CEILING_NOTE:-not measured}"
echo "peer: $PEER"
echo "verification: GET /v1/me and GET /auth/verify with the bench PAT, wrk -t1 -d${SECS}s at $(echo $CONNS | sed 's/ \([^ ]*\)$/ and \1/; s/ \([^ ]*\) and/, \1 and/g') connections; PAT creation: POST /v1/users/me/access_tokens, wrk -t1 -d${CSECS}s at $(echo $CCONNS | sed 's/ \([^ ]*\)$/ and \1/; s/ \([^ ]*\) and/, \1 and/g') connections"
echo "targets: verification >= 100 000/s or >= 75 % of the ceiling, whichever is lower; p99 <= 1 ms at 16 connections, <= 2 ms at 64"
echo "server CPU/req: the server's user + system CPU time over the run divided by the requests answered; unlike the rate, the load of other processes hardly moves it; the ceiling's CPU per request as a share of it is how close to the library's own cost the row comes"
echo "ceiling req/s: for the verification rows, the ceiling measured again just before, at the same connections (the load moves both alike then); for the others, the first measurement above"
echo
echo "$TABLE_HEAD"
printf '%s\n' "${ROWS[@]}"
flat=()
set -- $SIZES
if (($# >= 2)); then
	for path in /v1/me /auth/verify; do
		for c in $CONNS; do
			a=${RATE["GET $path (PAT) $1 $c"]:-} b=${RATE["GET $path (PAT) ${!#} $c"]:-}
			[[ -n $a && -n $b ]] || continue
			flat+=("$path at $c: $(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b ~ /^[0-9.]+$/) printf "%.0f %%", 100 * b / a; else print "?" }')")
		done
	done
	echo
	echo "flat (rate with $(thousands "${!#}") tokens as a share of the rate with $(thousands "$1")): $(IFS=';'; echo "${flat[*]}" | sed 's/;/, /g')"
fi
echo
echo "| store tokens | peak RSS | <= 32 MiB | start-up (exec to first 200 on /v1/ping) | <= 50 ms |"
echo "| ---: | ---: | :---: | ---: | :---: |"
printf '%s\n' "${RES_ROWS[@]}"
if [[ -n $OAUTH_SIZE ]]; then
	echo
	echo "OAuth, store of $OAUTH_SIZE tokens: wrk -t1 -c$OCONNS -d${OSECS}s each; confidential apps, client_secret_basic; issuance on the server above, then kill -9, restart on the same store, introspection and code exchange on the new server; $OCODES codes stored beforehand (scopes read_content, no PKCE, with a refresh token)"
	echo
	echo "$TABLE_HEAD"
	if ((${#OAUTH_ROWS[@]})); then
		printf '%s\n' "${OAUTH_ROWS[@]}"
	else
		echo "| (not measured: the server did not start) | | FAIL | | | | | | | | no |"
	fi
	echo
	echo "${OAUTH_DURABLE:-durable: not checked}"
fi
if [[ -n $JWT_SIZE ]]; then
	echo
	echo "JWT access tokens, store of $JWT_SIZE tokens, default signing (EdDSA): wrk -t1 -c$JCONNS -d${JSECS}s each, on the server of the $([[ -n $OAUTH_SIZE ]] && echo "OAuth runs" || echo "table above"); two client_credentials apps (read_content), one opaque, one --token-format jwt; GET /v1/me with one token of each (jeton checks a JWT's signature when the token is not in its 1 s cache, then the stored record). ${JWT_NOTE}"
	echo
	echo "$TABLE_HEAD"
	if ((${#JWT_ROWS[@]})); then
		printf '%s\n' "${JWT_ROWS[@]}"
	else
		echo "| (not measured: see the problems below) | | FAIL | | | | | | | | no |"
	fi
fi
if [[ -n $TLS_SIZE ]]; then
	echo
	echo "TLS, store of $TLS_SIZE tokens: GET /v1/me with the bench PAT over HTTPS (jeton serve --tls-cert/--tls-key, an ECDSA P-256 certificate; TLS 1.3 as wrk's OpenSSL and jeton's GnuTLS agree), wrk -t1 -d${TSECS}s, connections kept alive (one handshake each); the comparison columns give GET /v1/me over plain HTTP at the same connections, from the table above"
	echo
	echo "| request | conns | req/s | plain HTTP req/s | of plain HTTP | p50 | p99 | server CPU/req | plain HTTP's CPU as a share | target | met |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |"
	if ((${#TLS_ROWS[@]})); then
		printf '%s\n' "${TLS_ROWS[@]}"
	else
		echo "| (not measured: see the problems below) | | FAIL | | | | | | | | no |"
	fi
fi
# SQLite and PostgreSQL side by side, on a throw-away PostgreSQL cluster
if [[ ${BENCH_PG:-1} != 0 ]] && ! "$HERE/pg.sh" "$BIN"; then
	problem "bench/pg.sh: see its problems above"
fi
# The admins' token inventory (GET /v1/tokens) on a store of a million tokens
if [[ ${BENCH_INVENTORY:-1} != 0 ]] && ! "$HERE/inventory.sh" "$BIN"; then
	problem "bench/inventory.sh failed"
fi
echo
echo "total bench time: $((SECONDS - T_START)) s"
if ((${#PROBLEMS[@]})); then
	echo
	echo "problems:"
	printf -- '- %s\n' "${PROBLEMS[@]}"
	exit 1
fi
