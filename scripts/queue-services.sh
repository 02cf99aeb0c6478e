#!/usr/bin/env bash
# Private PostgreSQL and Redis instances for n8n's queue mode, from Debian's packages, listening on
# 127.0.0.1 only and keeping their data in a throwaway folder.
#
# Usage: scripts/queue-services.sh COMMAND
#   start           installs `postgresql` and `redis-server` with apt-get when missing, starts both
#                   on free ports (or reuses running ones) and prints their settings
#   stop            stops both; the data stays until the folder is removed
#   status          prints the settings and exits 0 when both run, exits 1 otherwise
#   create-db NAME  creates an empty database NAME (letters, digits, underscores)
#   drop-db NAME    drops database NAME, closing its open connections
#   purge           stops both and deletes the folder with their data
#
# Environment:
#   KARLA_QUEUE_SERVICES_DIR  folder for data, logs and settings (default: a folder in /tmp named
#                             after this checkout, so two clones do not share instances)
#
# `start` and `status` print KEY=value lines on standard output: KARLA_PG_HOST, KARLA_PG_PORT,
# KARLA_PG_USER, KARLA_PG_PASSWORD, KARLA_PG_DATABASE, KARLA_REDIS_HOST, KARLA_REDIS_PORT, and
# from `start` also KARLA_QUEUE_SERVICES_STARTED (the services this call started: postgres, redis,
# both or none). Progress goes to standard error.
#
# These instances are for tests: PostgreSQL runs with fsync off, and Redis saves nothing to disk.
set -euo pipefail

project_dir="$(cd "$(dirname "$0")/.." && pwd)"
checkout_id="$(printf '%s' "$project_dir" | sha1sum | cut -c1-10)"
# /tmp and not $TMPDIR, because when this runs as root, PostgreSQL runs as the `postgres` user,
# which must be able to reach its data folder.
state_dir="${KARLA_QUEUE_SERVICES_DIR:-/tmp/karla-queue-services-$checkout_id}"
pg_data="$state_dir/postgres"
pg_socket_dir="$state_dir/postgres-socket"
pg_log="$state_dir/postgres.log"
redis_dir="$state_dir/redis"
settings_file="$state_dir/settings.env"

pg_user=karla
pg_database=karla

step() { echo "[queue-services] $*" >&2; }
fail() {
	echo "[queue-services] error: $*" >&2
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the owner of the PostgreSQL data: `postgres` when this script runs as root,
# because PostgreSQL refuses to run as root, and the calling user otherwise.
as_pg_owner() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	node -e "const s = require('net').createServer();
s.listen(0, '127.0.0.1', () => { process.stdout.write(String(s.address().port)); s.close(); });"
}

port_is_free() {
	node -e "const s = require('net').createServer();
s.once('error', () => process.exit(1));
s.listen(Number(process.argv[1]), '127.0.0.1', () => s.close(() => process.exit(0)));" "$1"
}

pg_bin_dir() {
	local dir
	dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
		echo "$dir"
	elif command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v pg_ctl)"
	fi
}

install_packages() {
	local missing=()
	[ -n "$(pg_bin_dir)" ] && command -v psql >/dev/null 2>&1 || missing+=(postgresql)
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
		missing+=(redis-server)
	[ "${#missing[@]}" -eq 0 ] && return 0

	step "installing ${missing[*]} with apt-get"
	local apt=(apt-get)
	if ! is_root; then
		command -v sudo >/dev/null 2>&1 ||
			fail "${missing[*]} missing; install them as root: apt-get install ${missing[*]}"
		apt=(sudo -n apt-get)
	fi
	# Where the init system allows it, Debian's maintainer scripts also start system-wide services on
	# the default ports. The instances below do not use them.
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

read_setting() {
	[ -f "$settings_file" ] || return 0
	sed -n "s/^$1=//p" "$settings_file" | tail -n 1
}

write_settings() {
	local pg_port="$1" pg_password="$2" redis_port="$3"
	umask 077
	cat >"$settings_file.tmp" <<ENV
KARLA_PG_HOST=127.0.0.1
KARLA_PG_PORT=$pg_port
KARLA_PG_USER=$pg_user
KARLA_PG_PASSWORD=$pg_password
KARLA_PG_DATABASE=$pg_database
KARLA_REDIS_HOST=127.0.0.1
KARLA_REDIS_PORT=$redis_port
ENV
	mv "$settings_file.tmp" "$settings_file"
}

pg_running() {
	local bin
	bin="$(pg_bin_dir)"
	[ -n "$bin" ] && [ -f "$pg_data/PG_VERSION" ] &&
		as_pg_owner "$bin/pg_ctl" status -D "$pg_data" >/dev/null 2>&1
}

redis_running() {
	local port
	port="$(read_setting KARLA_REDIS_PORT)"
	[ -n "$port" ] && [ -f "$redis_dir/redis.pid" ] &&
		kill -0 "$(cat "$redis_dir/redis.pid")" 2>/dev/null &&
		[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]
}

init_postgres() {
	local bin="$1" password="$2"
	step "creating a PostgreSQL cluster in $pg_data"
	rm -rf "$pg_data"
	mkdir -p "$pg_data" "$pg_socket_dir"
	local password_file="$state_dir/initdb-password"
	printf '%s\n' "$password" >"$password_file"
	if is_root; then
		chown postgres: "$pg_data" "$pg_socket_dir" "$password_file"
	fi
	chmod 700 "$pg_data"
	# The superuser gets a password, and every TCP connection must present it.
	as_pg_owner "$bin/initdb" -D "$pg_data" -U "$pg_user" --pwfile="$password_file" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
		>"$state_dir/initdb.log" 2>&1 || {
		cat "$state_dir/initdb.log" >&2
		fail "initdb failed"
	}
	rm -f "$password_file"
}

start_postgres() {
	local bin="$1" port="$2" password="$3"
	if [ ! -f "$pg_data/PG_VERSION" ]; then
		init_postgres "$bin" "$password"
	fi
	mkdir -p "$pg_socket_dir"
	if is_root; then
		touch "$pg_log"
		chown postgres: "$pg_socket_dir" "$pg_log"
	fi
	step "starting PostgreSQL on 127.0.0.1:$port"
	# fsync, synchronous_commit and full_page_writes are off because the data is thrown away, so a
	# crash that corrupts it costs only a test run. The server must not inherit the lock on fd 9
	# (9>&-), or it would hold the lock until it stops.
	as_pg_owner "$bin/pg_ctl" start -D "$pg_data" -l "$pg_log" -w -t 60 -o "-p $port \
-c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_socket_dir -c max_connections=200 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 9>&- || {
		tail -n 20 "$pg_log" >&2
		fail "PostgreSQL did not start"
	}
	PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$pg_user" -d postgres -tAq \
		-c "SELECT 1 FROM pg_database WHERE datname = '$pg_database'" | grep -q 1 ||
		PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$pg_user" "$pg_database"
}

start_redis() {
	local port="$1"
	mkdir -p "$redis_dir"
	step "starting Redis on 127.0.0.1:$port"
	redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --save '' \
		--appendonly no --daemonize yes --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" \
		--logfile "$redis_dir/redis.log" 9>&-
	local attempt
	for attempt in $(seq 1 50); do
		[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	tail -n 20 "$redis_dir/redis.log" >&2 || true
	fail "Redis did not answer PING on port $port"
}

command_start() {
	install_packages
	local bin
	bin="$(pg_bin_dir)"
	[ -n "$bin" ] || fail "PostgreSQL binaries not found in /usr/lib/postgresql/*/bin or on PATH"

	local pg_port pg_password redis_port started=()
	pg_port="$(read_setting KARLA_PG_PORT)"
	pg_password="$(read_setting KARLA_PG_PASSWORD)"
	redis_port="$(read_setting KARLA_REDIS_PORT)"
	if [ -z "$pg_password" ] || [ ! -f "$pg_data/PG_VERSION" ]; then
		pg_password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
		rm -rf "$pg_data"
	fi

	if ! pg_running; then
		if [ -z "$pg_port" ] || ! port_is_free "$pg_port"; then pg_port="$(free_port)"; fi
		start_postgres "$bin" "$pg_port" "$pg_password"
		started+=(postgres)
	fi
	if ! redis_running; then
		if [ -z "$redis_port" ] || ! port_is_free "$redis_port"; then redis_port="$(free_port)"; fi
		# The system may hand out the port PostgreSQL just took during its own lookup again.
		while [ "$redis_port" = "$pg_port" ] || ! port_is_free "$redis_port"; do
			redis_port="$(free_port)"
		done
		start_redis "$redis_port"
		started+=(redis)
	fi
	write_settings "$pg_port" "$pg_password" "$redis_port"

	cat "$settings_file"
	case "${#started[@]}" in
	0) echo "KARLA_QUEUE_SERVICES_STARTED=none" ;;
	2) echo "KARLA_QUEUE_SERVICES_STARTED=both" ;;
	*) echo "KARLA_QUEUE_SERVICES_STARTED=${started[0]}" ;;
	esac
}

command_stop() {
	local bin
	bin="$(pg_bin_dir)"
	if pg_running; then
		step "stopping PostgreSQL"
		as_pg_owner "$bin/pg_ctl" stop -D "$pg_data" -m fast -w >&2
	fi
	if [ -f "$redis_dir/redis.pid" ]; then
		local pid
		pid="$(cat "$redis_dir/redis.pid")"
		if kill -0 "$pid" 2>/dev/null; then
			step "stopping Redis (pid $pid)"
			kill "$pid"
			local attempt
			for attempt in $(seq 1 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		rm -f "$redis_dir/redis.pid"
	fi
}

command_status() {
	if pg_running && redis_running; then
		cat "$settings_file"
		return 0
	fi
	pg_running && step "PostgreSQL runs" || step "PostgreSQL is stopped"
	redis_running && step "Redis runs" || step "Redis is stopped"
	return 1
}

run_sql() {
	local sql="$1"
	pg_running || fail "PostgreSQL is not running: run scripts/queue-services.sh start"
	PGPASSWORD="$(read_setting KARLA_PG_PASSWORD)" "$(pg_bin_dir)/psql" -h 127.0.0.1 \
		-p "$(read_setting KARLA_PG_PORT)" -U "$pg_user" -d postgres -v ON_ERROR_STOP=1 -q -c "$sql" >&2
}

database_name() {
	[[ "${1:-}" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
		fail "invalid database name '${1:-}': use letters, digits and underscores"
	echo "$1"
}

mkdir -p "$state_dir"
chmod 755 "$state_dir"
# Serialises concurrent calls, for example two test files starting the services at once.
exec 9>"$state_dir/.lock"
flock 9

case "${1:-}" in
start) command_start ;;
stop) command_stop ;;
status) command_status ;;
create-db) run_sql "CREATE DATABASE \"$(database_name "${2:-}")\"" ;;
drop-db) run_sql "DROP DATABASE IF EXISTS \"$(database_name "${2:-}")\" WITH (FORCE)" ;;
purge)
	command_stop
	exec 9>&-
	rm -rf "$state_dir"
	;;
*)
	echo "Usage: scripts/queue-services.sh start|stop|status|create-db NAME|drop-db NAME|purge" >&2
	exit 2
	;;
esac
