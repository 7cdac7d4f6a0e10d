#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The admins' token inventory at scale (issue 14): a store holding
# BENCH_INVENTORY_TOKENS tokens (half PATs of 1,000 users, half OAuth access
# and refresh tokens of 10 apps, spread over two years, a third never used;
# the access tokens carry a jti, as JWTs do), then GET /v1/tokens with each
# filter, deep pages (the cursor of page 1,001 of 100) and dry-run counts,
# each timed on loopback as the median of 5. The same data on SQLite and on a
# throw-away PostgreSQL 15 cluster (tests/pg/cluster.sh), side by side.
# Prints a Markdown table.
#
# usage: bench/inventory.sh BIN
# environment: BENCH_INVENTORY_TOKENS (default 1000000), BENCH_INVENTORY_PG=0
# (SQLite only; default: PostgreSQL too when PostgreSQL 15 is installed),
# BENCH_INVENTORY_PG_PORT (default 25598), BENCH_KEEP=1 (keep the files)
set -euo pipefail
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${BENCH_INVENTORY_TOKENS:-1000000}
PGPORT=${BENCH_INVENTORY_PG_PORT:-25598}
PG=${BENCH_INVENTORY_PG:-1}
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || PG=0
dir=$(mktemp -d /tmp/jeton-bench-inventory.XXXXXX)
pgdir=
pid=
cleanup() {
	[[ -n $pid ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	[[ -n $pgdir ]] && (cd / && "$HERE/../tests/pg/cluster.sh" stop "$pgdir")
	[[ ${BENCH_KEEP:-0} = 1 ]] || rm -rf "$dir" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT
cd "$dir"
export JETON_KEY_FILE=$dir/jeton.key # its own, whatever the caller (run.sh) set
now=$(date +%s)
half=$((N / 2))

# The rows, in one dialect-neutral form: $1 is the number source, a
# recursive CTE on SQLite, generate_series on PostgreSQL; $2 32 random bytes;
# $3 the jti of access token i.
seed_sql() {
	local series=$1 random32=$2 jti=$3
	cat <<SQL
BEGIN;
$(printf "$series" 1000) INSERT INTO users(email, friendly_name, created_at)
  SELECT 'u' || i || '@bench.test', 'u' || i, $now FROM n;
$(printf "$series" 10) INSERT INTO apps(client_id, name, redirect_uris, grants, scopes, access_ttl, refresh_ttl, created_at)
  SELECT 'benchapp' || i, 'app ' || i, 'https://app.test/cb', 'authorization_code refresh_token',
         'read_content', 3600, 2592000, $now FROM n;
$(printf "$series" $half) INSERT INTO pats(user_id, name, token_hash, display_prefix, scopes, created_at, expires_at,
                 last_used_at, last_used_ip)
  SELECT 2 + i % 1000, 'pat ' || i, $random32, 'jtp_xxxx', 'read_content',
         $now - 63072000 + i * (63072000 / $half),
         CASE WHEN i % 4 = 0 THEN NULL ELSE $now + (i % 400) * 86400 END,
         CASE WHEN i % 3 = 0 THEN NULL ELSE $now - (i % 200) * 86400 END,
         CASE WHEN i % 3 = 0 THEN NULL ELSE '203.0.113.' || (i % 250) END
  FROM n;
$(printf "$series" $half) INSERT INTO oauth_tokens(token_hash, kind, app_id, user_id, space_id, family_id, scopes,
                         created_at, expires_at, last_used_at, jti)
  SELECT $random32, CASE WHEN i % 2 = 0 THEN 'access' ELSE 'refresh' END,
         1 + i % 10, 2 + i % 1000, NULL, i / 2, 'read_content',
         $now - 63072000 + i * (63072000 / $half), $now - 63072000 + i * (63072000 / $half) + 3600,
         CASE WHEN i % 3 = 0 THEN NULL ELSE $now - (i % 200) * 86400 END,
         CASE WHEN i % 2 = 0 THEN $jti END
  FROM n;
COMMIT;
ANALYZE;
SQL
}

# STORE LOCATION: a store of N tokens at LOCATION.
seed() {
	"$BIN" --db "$2" init >/dev/null 2>&1
	if [[ $1 = sqlite ]]; then
		{ echo "PRAGMA journal_mode = WAL;"
		  seed_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)" \
			"randomblob(32)" "printf('%022d', i)"; } | sqlite3 "$2" >/dev/null
	else
		seed_sql "WITH n(i) AS (SELECT generate_series(1, %d))" \
			"decode(md5(random()::text) || md5(random()::text), 'hex')" "lpad(i::text, 22, '0')" |
			psql -q -v ON_ERROR_STOP=1 "$2" >/dev/null
	fi
}

# GET path with the bench token: the median of 5 timings in ms; the body in $dir/body.
time_get() {
	local url="http://127.0.0.1:$port$1" times=() t
	for _ in 1 2 3 4 5; do
		t=$(curl -s --max-time 30 -o "$dir/body" -w '%{time_total}' -H "Authorization: Bearer $token" "$url")
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}'
}
# POST /v1/tokens/revoke with body: the median of 5 in ms.
time_revoke() {
	local times=() t
	for _ in 1 2 3 4 5; do
		t=$(curl -s --max-time 30 -o "$dir/body" -w '%{time_total}' -H "Authorization: Bearer $token" \
			-H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$port/v1/tokens/revoke")
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}'
}
count() { python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(len(b["items"]) if "items" in b else "count %s" % b.get("count", b))' "$dir/body"; }

# The cursor of page 1,001 of 100 of GET /v1/tokens?QUERY.
deep() {
	python3 - "$port" "$token" "$1" <<'PY'
import json, sys, urllib.request
port, token, query = sys.argv[1:4]
before = None
for _ in range(1000):
    url = f"http://127.0.0.1:{port}/v1/tokens?limit=100&{query}" + (f"&before={before}" if before else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    before = json.load(urllib.request.urlopen(req, timeout=30))["next_before"]
    if before is None:
        sys.exit("bench/inventory.sh: fewer than 1,001 pages of 100 for " + (query or "all tokens"))
print(before)
PY
}

LABELS=()
declare -A ITEMS=() MS=()
# LABEL STORE MS: one measurement.
record() {
	[[ -n ${ITEMS[$1]:-} ]] || LABELS+=("$1")
	ITEMS[$1]=$(count)
	MS[$1,$2]=$3
}

# STORE LOCATION: serves a seeded store and times every query.
measure() {
	local store=$1 location=$2 q
	token=$("$BIN" --db "$location" token create --user admin@localhost --name bench)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# a retention longer than the data's two years: the purge leaves it whole
	"$BIN" --db "$location" serve --listen "127.0.0.1:$port" --retention 3650 >"$dir/serve-$store.log" 2>&1 &
	pid=$!
	local up=""
	for _ in $(seq 100); do
		curl -sf --max-time 1 "http://127.0.0.1:$port/v1/ping" >/dev/null && { up=1; break; }
		sleep 0.1
	done
	[[ -n $up ]] || { echo "bench/inventory.sh: the $store server did not answer /v1/ping" >&2; return 1; }
	local page expired
	page=$(deep "")
	expired=$(deep "status=expired")
	local jti=$(printf '%022d' $((half / 2 * 2)))
	local ids=$(python3 -c 'import json; print(json.dumps({"ids": ["pat:%d" % (i * 4999) for i in range(1, 51)] + ["access:%d" % (i * 4998) for i in range(1, 51)], "dry_run": True}))')
	for q in "limit=100" "limit=100&before=$page" "user=u500@bench.test&limit=100" "app=benchapp3&limit=100" \
		"kind=pat&limit=100" "status=expired&limit=100" "status=expired&limit=100&before=$expired" \
		"unused_for=90d&limit=100" "expires_within=7d&limit=100" "created_before=2025-06-01&limit=100" \
		"jti=$jti"; do
		local ms=$(time_get "/v1/tokens?$q")
		local label=${q//$page/CURSOR(page 1001)}
		label=${label//$expired/CURSOR(page 1001)}
		label=${label//$jti/JTI}
		record "\`GET /v1/tokens?$label\`" "$store" "$ms"
	done
	record "\`POST /v1/tokens/revoke {\"unused_for\": \"90d\", \"dry_run\": true}\`" "$store" \
		"$(time_revoke '{"unused_for": "90d", "dry_run": true}')"
	record "\`POST /v1/tokens/revoke {\"ids\": [100 refs], \"dry_run\": true}\`" "$store" "$(time_revoke "$ids")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

seed sqlite "$dir/jeton.db"
measure sqlite "$dir/jeton.db"
stores=sqlite
if [[ $PG = 1 ]]; then
	pgdir=$(mktemp -d /tmp/jeton-bench-inventory-pg.XXXXXX) # the postgres user must reach it
	url=$(cd / && "$HERE/../tests/pg/cluster.sh" start "$pgdir" "$PGPORT")
	psql -q "$url" -c 'CREATE DATABASE jeton_bench'
	url=${url%/postgres}/jeton_bench
	seed postgres "$url"
	measure postgres "$url"
	stores="sqlite postgres"
fi

echo
echo "### Token inventory: $N tokens, median of 5 (ms)"
echo
if [[ $PG = 1 ]]; then
	echo "| query | items | SQLite | PostgreSQL |"
	echo "| --- | --- | --- | --- |"
else
	echo "| query | items | SQLite |"
	echo "| --- | --- | --- |"
fi
for l in "${LABELS[@]}"; do
	line="| $l | ${ITEMS[$l]} |"
	for s in $stores; do line+=" ${MS[$l,$s]:-} |"; done
	echo "$line"
done
