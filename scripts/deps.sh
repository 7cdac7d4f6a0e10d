#!/bin/sh
# Installs the Debian packages jeton needs, once: quiet and quick when
# everything is already there.
#   scripts/deps.sh build   to build and run jeton
#   scripts/deps.sh test    and to run the whole test suite
#   scripts/deps.sh bench   and to run make bench
#   scripts/deps.sh deb     and to build the Debian package (make deb)
set -eu
what=${1:-build}
packages="gcc make python3 libmicrohttpd-dev libcjson-dev libsodium-dev libsqlite3-dev
libpq-dev libssl-dev zlib1g-dev libqrencode-dev libgnutls28-dev"
case "$what" in
test) packages="$packages python3-pytest python3-pytest-xdist python3-requests python3-jsonschema
python3-authlib python3-requests-oauthlib python3-jwt python3-cryptography curl sqlite3 postgresql-15
chromium clang-format pgbouncer oathtool openssl debhelper dpkg-dev" ;;
deb) packages="$packages debhelper dpkg-dev" ;;
bench) packages="$packages curl wrk postgresql-15 openssl" ;;
esac
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian: only install Debian's if absent.
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0
echo "jeton: installing$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
