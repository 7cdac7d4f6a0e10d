#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The admins' token inventory at scale (issue 14): a SQLite store holding
# BENCH_INVENTORY_TOKENS tokens (half PATs of 1,000 users, half OAuth access
# and refresh tokens of 10 apps, spread over two years, a third never used),
# then GET /v1/tokens with each filter, a deep page (the cursor of page 1,000
# of 100) and a dry-run count, each timed on loopback as the median of 5.
# Prints a Markdown table.
#
# usage: bench/inventory.sh BIN
# environment: BENCH_INVENTORY_TOKENS (default 1000000), BENCH_KEEP=1
set -euo pipefail
BIN=$(readlink -f "$1")
N=${BENCH_INVENTORY_TOKENS:-1000000}
dir=$(mktemp -d /tmp/jeton-bench-inventory.XXXXXX)
[[ ${BENCH_KEEP:-0} = 1 ]] || trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
pid=
db=$dir/jeton.db
cd "$dir" # jeton init writes its key file here
"$BIN" --db "$db" init >/dev/null
now=$(date +%s)
half=$((N / 2))
sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO users(email, friendly_name, created_at) SELECT 'u' || i || '@bench.test', 'u' || i, $now FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO apps(client_id, name, redirect_uris, grants, scopes, access_ttl, refresh_ttl, created_at)
  SELECT 'benchapp' || i, 'app ' || i, 'https://app.test/cb', 'authorization_code refresh_token',
         'read_content', 3600, 2592000, $now FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $half)
INSERT INTO pats(user_id, name, token_hash, display_prefix, scopes, created_at, expires_at,
                 last_used_at, last_used_ip)
  SELECT 2 + i % 1000, 'pat ' || i, randomblob(32), 'jtp_xxxx', 'read_content',
         $now - 63072000 + i * (63072000 / $half),
         CASE WHEN i % 4 = 0 THEN NULL ELSE $now + (i % 400) * 86400 END,
         CASE WHEN i % 3 = 0 THEN NULL ELSE $now - (i % 200) * 86400 END,
         CASE WHEN i % 3 = 0 THEN NULL ELSE '203.0.113.' || (i % 250) END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $half)
INSERT INTO oauth_tokens(token_hash, kind, app_id, user_id, space_id, family_id, scopes,
                         created_at, expires_at, last_used_at)
  SELECT randomblob(32), CASE WHEN i % 2 = 0 THEN 'access' ELSE 'refresh' END,
         1 + i % 10, 2 + i % 1000, NULL, i / 2, 'read_content',
         $now - 63072000 + i * (63072000 / $half), $now - 63072000 + i * (63072000 / $half) + 3600,
         CASE WHEN i % 3 = 0 THEN NULL ELSE $now - (i % 200) * 86400 END
  FROM n;
COMMIT;
ANALYZE;
SQL
token=$("$BIN" --db "$db" token create --user admin@localhost --name bench)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --db "$db" serve --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/ping" >/dev/null && break; sleep 0.1; done

# The median of 5 timings of GET path, in ms; the answer's item count too.
time_get() {
	local url="http://127.0.0.1:$port$1" times=() t
	for _ in 1 2 3 4 5; do
		t=$(curl -s -o "$dir/body" -w '%{time_total}' -H "Authorization: Bearer $token" "$url")
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}'
}
count() { python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(len(b["items"]) if "items" in b else b.get("count", b))' "$dir/body"; }

deep=$(python3 - "$port" "$token" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
before = None
for _ in range(1000):
    url = f"http://127.0.0.1:{port}/v1/tokens?limit=100" + (f"&before={before}" if before else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    before = json.load(urllib.request.urlopen(req))["next_before"]
print(before)
PY
)

echo
echo "### Token inventory: $N tokens (SQLite), GET /v1/tokens, median of 5"
echo
echo "| query | items | ms |"
echo "| --- | --- | --- |"
for q in "limit=100" "limit=100&before=$deep" "user=u500@bench.test&limit=100" "app=benchapp3&limit=100" \
	"kind=pat&limit=100" "status=expired&limit=100" "unused_for=90d&limit=100" \
	"expires_within=7d&limit=100" "created_before=2025-06-01&limit=100"; do
	ms=$(time_get "/v1/tokens?$q")
	label=${q//$deep/CURSOR(page 1001)}
	echo "| \`$label\` | $(count) | $ms |"
done
t=$(curl -s -o "$dir/body" -w '%{time_total}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"unused_for": "90d", "dry_run": true}' "http://127.0.0.1:$port/v1/tokens/revoke")
echo "| POST /v1/tokens/revoke \`{\"unused_for\": \"90d\", \"dry_run\": true}\` | count $(count) | $(awk -v t="$t" 'BEGIN{printf "%.1f", t*1000}') |"
