#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: initdb in a temporary directory, a
# free TCP port on 127.0.0.1 and a unix socket in that directory, trust authentication for
# one superuser, no fsync (nothing in it outlives the run). The command finds the cluster in
# CENTRALITA_TEST_PG (a libpq key=value string without dbname) and CENTRALITA_TEST_PG_URL (the
# same as a postgres:// URL base, without the database), and a test that stops and starts it
# (the crash test) its data directory, pg_ctl and the user it runs as in CENTRALITA_TEST_PG_DATA,
# CENTRALITA_TEST_PG_CTL and CENTRALITA_TEST_PG_USER; the cluster is stopped and its
# directory removed when the command ends, however it ends. PostgreSQL refuses to run as
# root, so as root the cluster runs as the unprivileged user nobody. CENTRALITA_TEST_PG_DURABLE=1
# keeps fsync and full-page writes on, as a real server runs: the benchmark measures with it.
# Usage: [CENTRALITA_TEST_PG_DURABLE=1] scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

[ $# -gt 0 ] || {
	echo "usage: $0 COMMAND [ARGS...]" >&2
	exit 2
}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || {
	echo "PostgreSQL is not installed: run scripts/deps.sh test" >&2
	exit 1
}

durability="-c fsync=off -c full_page_writes=off"
[ "${CENTRALITA_TEST_PG_DURABLE:-}" = 1 ] && durability="-c fsync=on -c full_page_writes=on"

dir=$(mktemp -d "${TMPDIR:-/tmp}/centralita-pg.XXXXXX")
as=()
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$dir"
	as=(runuser -u nobody --)
fi
started=0
stop() {
	[ $started -eq 1 ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop || true
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as[@]}" "$bin/initdb" -D "$dir/data" -U centralita --auth=trust -E UTF8 --locale=C.UTF-8 \
	>"$dir/initdb.log" 2>&1 || {
	cat "$dir/initdb.log" >&2
	exit 1
}
# A port picked at random and tried: a clash makes the start fail, and the next one is tried.
for attempt in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 40000))
	if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
		    $durability -c max_connections=300 \
		    -c shared_buffers=64MB"; then
		started=1
		break
	fi
done
[ $started -eq 1 ] || {
	echo "cannot start PostgreSQL:" >&2
	tail -n 20 "$dir/server.log" >&2
	exit 1
}

export CENTRALITA_TEST_PG="host=$dir port=$port user=centralita"
export CENTRALITA_TEST_PG_URL="postgres://centralita@127.0.0.1:$port"
export CENTRALITA_TEST_PG_DATA="$dir/data" CENTRALITA_TEST_PG_CTL="$bin/pg_ctl"
export CENTRALITA_TEST_PG_USER="$(id -un)"
[ ${#as[@]} -gt 0 ] && CENTRALITA_TEST_PG_USER=nobody
status=0
"$@" || status=$?
exit $status
