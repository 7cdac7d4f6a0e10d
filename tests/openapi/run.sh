#!/bin/sh
# Validates jeton's API description (docs/openapi.json) with a real OpenAPI
# 3.1 validator from npm, under Node's own test runner. Installs what is
# missing (quietly), then runs.
#   tests/openapi/run.sh [node --test args...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! command -v node >/dev/null 2>&1; then
	echo "openapi: installing Node.js"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || true
	$sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -f node_modules/@seriousme/openapi-schema-validator/package.json ] ||
	[ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
exec timeout -k 10 120 node --test "$@"
