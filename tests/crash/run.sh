#!/usr/bin/env bash
# Runs tests/crash/crash.mjs in a new mount namespace, where it may mount the tmpfs of the
# disk-full test: an unprivileged user namespace (unshare --user --map-root-user --mount), or,
# as root where user namespaces are not allowed, a plain mount namespace. Fails when neither
# can be made: the disk-full test is part of the crash test, never skipped. Under
# scripts/with-postgres.sh (CENTRALITA_TEST_PG set) it runs on PostgreSQL instead, with no
# namespace: the cluster's own processes are killed and started again, and a full disk is the
# database server's to handle, not this one's (crash.mjs says so).
# Usage: [scripts/with-postgres.sh] tests/crash/run.sh CENTRALITA_BINARY KILLS SECONDS_BETWEEN_KILLS
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${CENTRALITA_TEST_PG:-}" ]; then
	CENTRALITA_BIN=$bin exec node "$here/crash.mjs" "$2" "$3"
elif unshare --user --map-root-user --mount true 2>/dev/null; then
	ns=(unshare --user --map-root-user --mount)
elif [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
	ns=(unshare --mount)
else
	echo "crashtest: FAIL: cannot make a mount namespace for the disk-full test" \
		"(enable unprivileged user namespaces, or run as root)" >&2
	exit 1
fi
CENTRALITA_BIN=$bin exec "${ns[@]}" node "$here/crash.mjs" "$2" "$3"
