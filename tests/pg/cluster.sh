#!/bin/sh
# A throw-away PostgreSQL 15 cluster for the tests, on a loopback port, in
# a temporary directory, run as the unprivileged "postgres" user.
#   tests/pg/cluster.sh start DIR PORT   prints the connection string
#   tests/pg/cluster.sh stop DIR
#   tests/pg/cluster.sh restart DIR      (stop -m fast, start again)
set -eu
BIN=/usr/lib/postgresql/15/bin
cmd=$1 dir=$2
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
	port=$3
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$BIN/initdb" -D "$dir/data" -A trust -U jeton -E UTF8 --no-sync >/dev/null
	fi
	as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" \
		start >/dev/null
	echo "$port" >"$dir/port"
	echo "postgres://jeton@127.0.0.1:$port/postgres"
	;;
stop)
	as_pg "$BIN/pg_ctl" -D "$dir/data" -w -t 30 -m fast stop >/dev/null 2>&1 || true
	;;
restart)
	port=$(cat "$dir/port")
	as_pg "$BIN/pg_ctl" -D "$dir/data" -w -t 30 -m fast stop >/dev/null 2>&1 || true
	as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null
	;;
*)
	echo "usage: $0 start DIR PORT | stop DIR | restart DIR" >&2
	exit 2
	;;
esac
