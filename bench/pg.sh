#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# jeton on SQLite and on PostgreSQL side by side (issue 12): the same four
# requests against `jeton serve` on an SQLite file and on a database of a
# throw-away PostgreSQL 15 cluster (tests/pg/cluster.sh: fsync on,
# synchronous_commit on), then the PostgreSQL durability check: kill -9
# right after the issuance run, restart, and every client token answered 200
# must be in the database. Prints one Markdown table; bench/run.sh calls it.
#
# usage: bench/pg.sh BIN
# environment:
#   BENCH_PG_SECONDS      each run, s                          (default 5)
#   BENCH_PG_CONNECTIONS  connections for verification, introspection
#                         and issuance                          (default 64)
#   BENCH_CREATE_CONNECTIONS  connections for PAT creation      (default 16)
#   BENCH_PG_PORT         the cluster's port                    (default 25599)
# Exit status: 0 when every step worked and every answer was 2xx, else 1.
set -euo pipefail

BIN=$(realpath "${1:?usage: bench/pg.sh BIN}")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=${BENCH_PG_SECONDS:-5}
CONNS=${BENCH_PG_CONNECTIONS:-64}
CCONNS=${BENCH_CREATE_CONNECTIONS:-16}
PGPORT=${BENCH_PG_PORT:-25599}
PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jeton-bench-pg.XXXXXX")
PGDIR=$(mktemp -d /tmp/jeton-bench-pgdata.XXXXXX) # the postgres user must reach it
SERVER_PID=""
PROBLEMS=()
declare -A RATE=() # "store label" -> req/s

log() { echo "bench/pg: $*" >&2; }
problem() { PROBLEMS+=("$*"); log "PROBLEM: $*"; }

cleanup() {
	local rc=$?
	[[ -n $SERVER_PID ]] && kill -KILL "$SERVER_PID" 2>/dev/null
	"$HERE/../tests/pg/cluster.sh" stop "$PGDIR" 2>/dev/null || true
	rm -rf "$TMP" "$PGDIR"
	exit "$rc"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wrk output -> "req/s non2xx socket_errors requests"
parse_wrk() {
	awk '/^Requests\/sec:/ { rps = sprintf("%.0f", $2) }
	/Non-2xx or 3xx responses:/ { non2xx = $NF }
	/Socket errors:/ { gsub(",", ""); sockerr = $4 + $6 + $8 + $10 }
	/ requests in / { reqs = $1 }
	END { printf "%s %d %d %s\n", (rps == "" ? "?" : rps), non2xx, sockerr, (reqs == "" ? 0 : reqs) }' "$1"
}

WRK=()
# STORE LABEL CONNS wrk-args...: one timed run; RATE and WRK set
measure() {
	local store=$1 label=$2 conns=$3 out
	shift 3
	out=$TMP/wrk-$store-$(printf '%s' "$label" | tr -c 'A-Za-z0-9' _).txt
	log "$store: $label: wrk -t1 -c$conns -d${SECS}s"
	timeout --kill-after=5 $((SECS + 30)) wrk -t1 -c"$conns" -d"${SECS}s" "$@" >"$out" 2>&1 ||
		problem "$store: $label: wrk exited with status $?"
	read -ra WRK < <(parse_wrk "$out")
	RATE["$store $label"]=${WRK[0]}
	((WRK[1] == 0)) || problem "$store: $label: ${WRK[1]} non-2xx answers of ${WRK[3]}"
	((WRK[2] == 0)) || problem "$store: $label: ${WRK[2]} socket errors"
	log "$store:   ${WRK[0]} req/s"
}

PORT=""
start_server() { # STORE LOCATION NAME
	local i
	PORT=$(free_port)
	"$BIN" serve --listen "127.0.0.1:$PORT" --db "$2" >"$TMP/$1-$3.log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 300; i++)); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/v1/ping" && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	problem "$1: the server did not start: $(tail -n 3 "$TMP/$1-$3.log" | tr '\n' ' ')"
	SERVER_PID=""
	return 1
}

# STORE LOCATION COUNT_CMD...: the four rows on one store; for PostgreSQL
# (COUNT_CMD given) the durability check after the issuance run
bench_store() {
	local store=$1 db=$2 token auth app last="" first url out curl_ok=0 rows code
	shift 2
	export JETON_KEY_FILE=$TMP/$store.key
	if ! { "$BIN" init --db "$db" && "$BIN" space add --db "$db" bench &&
		"$BIN" space grant --db "$db" bench admin@localhost editor; } >"$TMP/$store-init.log" 2>&1 ||
		! token=$("$BIN" token create --db "$db" --user admin@localhost --name bench 2>>"$TMP/$store-init.log") ||
		! "$BIN" app create --db "$db" --name bench --scopes read_content --json >"$TMP/$store-app.json" 2>>"$TMP/$store-init.log"; then
		problem "$store: setting up the store failed: $(tail -n 3 "$TMP/$store-init.log" | tr '\n' ' ')"
		return
	fi
	token=$(printf '%s' "$token" | tr -d '[:space:]')
	auth=$("$PY" -c 'import base64, json, sys
a = json.load(open(sys.argv[1]))
print(base64.b64encode((a["client_id"] + ":" + a["client_secret"]).encode()).decode())' "$TMP/$store-app.json")
	start_server "$store" "$db" serve || return
	url=http://127.0.0.1:$PORT
	first=$(curl -s --max-time 5 -H "Authorization: Basic $auth" --data grant_type=client_credentials \
		"$url/oauth/token" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') ||
		problem "$store: the first client_credentials request failed"

	measure "$store" "GET /v1/me (PAT)" "$CONNS" -H "Authorization: Bearer $token" "$url/v1/me"
	measure "$store" "introspection" "$CONNS" -s "$HERE/form_post.lua" -H "Authorization: Basic $auth" \
		"$url/oauth/introspect" -- "token=$first"
	measure "$store" "PAT creation (durable)" "$CCONNS" -s "$HERE/create_pat.lua" \
		-H "Authorization: Bearer $token" "$url/v1/users/me/access_tokens"
	measure "$store" "client_credentials issuance (durable)" "$CONNS" -s "$HERE/form_post.lua" \
		-H "Authorization: Basic $auth" "$url/oauth/token" -- grant_type=client_credentials
	local wrk_ok=$((WRK[3] - WRK[1]))
	if (($# == 0)); then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
		return
	fi
	# durability: one more by curl, kill -9, count, restart, use the last one
	last=$(curl -s --max-time 5 -H "Authorization: Basic $auth" --data grant_type=client_credentials \
		"$url/oauth/token" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') &&
		curl_ok=2 || problem "$store: the last client_credentials request before the kill failed"
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	rows=$("$@" 2>&1) || rows="? ($rows)"
	start_server "$store" "$db" restarted || return
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $last" \
		"http://127.0.0.1:$PORT/v1/me" || true)
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	local ok=yes
	[[ $rows =~ ^[0-9]+$ ]] && ((rows >= wrk_ok + curl_ok)) && [[ $code == 200 ]] || ok=no
	DURABLE="durable: $ok (kill -9 right after the issuance run, then a restart: $rows client tokens in the database; $wrk_ok answered 2xx to wrk and $curl_ok to curl; GET /v1/me with the last one before the kill: $code)"
	[[ $ok == yes ]] || problem "PostgreSQL: not durable: $DURABLE"
}

DURABLE="durable: not checked"
LATENCY=""
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
log "SQLite"
bench_store sqlite "$TMP/jeton.db"
log "PostgreSQL 15: a throw-away cluster on port $PGPORT"
if ! pgurl=$("$HERE/../tests/pg/cluster.sh" start "$PGDIR" "$PGPORT"); then
	problem "the PostgreSQL cluster did not start (is postgresql-15 installed? is port $PGPORT free?)"
else
	psql "$pgurl" -qAtc "CREATE DATABASE jeton_bench" >/dev/null
	pgdb=${pgurl%/postgres}/jeton_bench
	settings=$(psql "$pgdb" -qAtc "SELECT string_agg(name || '=' || setting, ', ') FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')")
	bench_store postgres "$pgdb" psql "$pgdb" -qAtc "SELECT count(*) FROM oauth_tokens WHERE kind = 'client'"
	# two nodes on one database: nodes' end-to-end test measures how soon a
	# revocation on one is refused by the other, and prints it
	NODES_TEST=$HERE/../tests/e2e/test_pg_cross_node_changes.py
	if [[ -f $NODES_TEST ]]; then
		log "two nodes: $(basename "$NODES_TEST") (revocations)"
		JETON_TEST_PG=$pgurl JETON_BIN=$BIN timeout 300 "$PY" -m pytest -q -s -p no:cacheprovider \
			"$NODES_TEST" -k revocations_reach >"$TMP/nodes.txt" 2>&1 ||
			problem "two-node revocation test failed: $(tail -n 3 "$TMP/nodes.txt" | tr '\n' ' ')"
		LATENCY=$(sed -n 's/^.*cross-node revocation, \(.*\) (target.*$/\1/p' "$TMP/nodes.txt" | head -n 1)
	fi
fi

# LABEL TARGET: "| label | conns | SQLite | PostgreSQL | target | met |"
line() {
	local label=$1 conns=$2 target=$3 s=${RATE["sqlite $1"]:-FAIL} p=${RATE["postgres $1"]:-FAIL} met=- goal=-
	if [[ -n $target ]]; then
		goal=">= $target/s on PostgreSQL"
		met=$(awk -v r="$p" -v t="$target" 'BEGIN { print (r ~ /^[0-9]+$/ && r + 0 >= t) ? "yes" : "no" }')
	fi
	echo "| $label | $conns | $s | $p | $goal | $met |"
}
echo
echo "SQLite and PostgreSQL 15 side by side: jeton serve on one node, wrk -t1 -d${SECS}s each, same machine; PostgreSQL: a throw-away cluster, ${settings:-settings unknown}"
echo "load average before: $LOAD_BEFORE; after: $(uptime | sed 's/.*load average: //') (the machine is shared: figures are noisy)"
echo
echo "| request | conns | SQLite req/s | PostgreSQL req/s | target | met |"
echo "| --- | ---: | ---: | ---: | --- | :---: |"
line "GET /v1/me (PAT)" "$CONNS" ""
line "introspection" "$CONNS" ""
line "client_credentials issuance (durable)" "$CONNS" 10000
line "PAT creation (durable)" "$CCONNS" 8000
echo "| two-node revocation latency | | | ${LATENCY:-not measured (tests/e2e/test_pg_cross_node_changes.py prints it)} | p99 <= 100 ms | |"
echo
echo "PostgreSQL $DURABLE"
if ((${#PROBLEMS[@]})); then
	echo
	echo "problems:"
	printf -- '- %s\n' "${PROBLEMS[@]}"
	exit 1
fi
