#!/bin/sh
# Installs the Debian packages jeton needs to build, run and test, once:
# quiet and quick when everything is already there.
set -eu
packages="gcc make pkg-config libmicrohttpd-dev libcjson-dev libsodium-dev libsqlite3-dev
libssl-dev zlib1g-dev python3 python3-pytest python3-requests python3-authlib
python3-requests-oauthlib curl wrk libpq-dev postgresql-15 chromium"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian: only install Debian's if absent.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "jeton: installing$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
