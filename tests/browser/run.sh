#!/bin/sh
# jeton's browser tests: Debian's Chromium driven by playwright-core, run by
# Node's own test runner. Installs what is missing (quietly), then runs.
#   JETON_BIN=/abs/build/jeton tests/browser/run.sh [node --test args...]
# Screenshots go to build/screenshots/, or to $JETON_SCREENSHOTS. Never downloads a browser.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

: "${JETON_BIN:=$here/../../build/jeton}"
case "$JETON_BIN" in /*) ;; *) JETON_BIN="$(pwd)/$JETON_BIN" ;; esac
if [ ! -x "$JETON_BIN" ]; then
	echo "browser tests: jeton binary not found at $JETON_BIN (build it, or set JETON_BIN)" >&2
	exit 3
fi
export JETON_BIN

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if [ ! -x /usr/bin/chromium ]; then
	echo "browser tests: installing Debian's chromium"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || true
	$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
	echo "browser tests: installing Node.js"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || true
	$sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# playwright-core never downloads a browser, but say so anyway
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/playwright-core/package.json ] ||
	[ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi

# every wait inside is bounded; this bounds the whole run as well
exec timeout -k 10 300 node --test "$@"
