#!/usr/bin/env bash
# Installs the Debian packages a profile needs, asking apt-get only for what is missing.
# Usage: scripts/deps.sh run|bench|test
# Not root: prints the exact command to run and fails.
set -euo pipefail

profile=${1:-run}
packages=(gcc libc6-dev make cmake pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
	libcurl4-openssl-dev libsodium-dev libutf8proc-dev libpq-dev libcsv-dev)
commands=()
case "$profile" in
run) ;;
bench)
	# postgresql: the benchmark's PostgreSQL part runs beside a throwaway cluster.
	packages+=(postgresql)
	;;
test)
	# chromium: the browser tests drive it headless through playwright-core.
	# clang and its runtime: the libFuzzer targets.
	# postgresql: the throwaway cluster of scripts/with-postgres.sh (pg_trgm is in it).
	# nginx: the README's proxy set-up, followed in tests/blackbox/nginx.test.js.
	# systemd: systemd-analyze checks contrib/centralita.service (tests/blackbox/systemd.test.js).
	packages+=(libcmocka-dev clang-format sqlite3 clang libclang-rt-14-dev chromium postgresql nginx
		systemd)
	# Node may come from elsewhere than Debian; only ask for Debian's when there is none.
	command -v node >/dev/null 2>&1 || packages+=(nodejs)
	command -v npm >/dev/null 2>&1 || packages+=(npm)
	;;
*)
	echo "usage: $0 run|bench|test" >&2
	exit 2
	;;
esac

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Missing Debian packages. Run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
