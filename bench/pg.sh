#!/usr/bin/env bash
# The benchmark on PostgreSQL (make bench; make bench BENCH=pg runs only this): scenarios 1 and
# 2 of docs/BENCHMARK.md with one server and with two servers on one database, and the
# reference they are read against: PostgreSQL alone committing the same rows through the
# store (bench/store_ref), one message per transaction and 64. Every figure is also given as a
# fraction (or, for a latency, a multiple) of that reference. Runs beside the cluster of
# scripts/with-postgres.sh, which make bench starts with fsync on (CENTRALITA_TEST_PG_DURABLE);
# writes bench/results/<date>-<commit>-pg.json. BENCH_SHORT=1 runs every step briefly, to check
# that it works (its figures are not to be quoted, and no results file is written).
# Usage: scripts/with-postgres.sh bench/pg.sh BUILD_DIR
# shellcheck disable=SC2119 # start_server takes a wrapper command; none here
set -euo pipefail

build=$(cd "${1:?usage: bench/pg.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
[ -n "${CENTRALITA_TEST_PG:-}" ] || {
	say "no PostgreSQL cluster: run it as scripts/with-postgres.sh bench/pg.sh BUILD_DIR"
	exit 2
}
export CENTRALITA_FILES_DIR=$tmp/files # on PostgreSQL nothing is beside the database

# Full run, or a short one that only checks every step works.
short=false
if [ -n "${BENCH_SHORT:-}" ]; then
	short=true
	ref1_n=300 ref64_n=3200 closed_s=2 open_s=3 conns_list="4 64"
else
	ref1_n=3000 ref64_n=28800 closed_s=4 open_s=10 conns_list="1 4 16 64 256"
fi

new_db() { # name: the URL of a new database of that name on the cluster
	psql -X -q -v ON_ERROR_STOP=1 -d "$CENTRALITA_TEST_PG dbname=postgres" \
		-c "CREATE DATABASE $1" >/dev/null
	echo "$CENTRALITA_TEST_PG dbname=$1"
}

ratio() { # a b: a / b with two decimals
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

# The servers of the configuration being measured: pids and ports, stopped on the way out.
pids=()
ports=()
trap 'for p in "${pids[@]}"; do stop_pid "$p"; done; cleanup' EXIT

cpu_of_servers() { # user + system ticks of every server so far
	local t=0 p
	for p in "${pids[@]}"; do t=$((t + $(cpu_ticks "$p"))); done
	echo "$t"
}

# The load generator over every server; its JSON gains the servers' CPU per answer.
load() {
	local cpu0 cpu1 out list
	list=$(
		IFS=,
		echo "${ports[*]}"
	)
	cpu0=$(cpu_of_servers)
	out=$("$tools/loadgen" --port "$list" --phone-number-id "$phone_number_id" \
		--app-secret "$app_secret" "$@")
	cpu1=$(cpu_of_servers)
	local ok
	ok=$(json_get "$out" ok)
	printf '%s,"server_cpu_us_per_request":%s}' "${out%\}}" \
		"$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$ok" \
			'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
}

commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$here/.." status --porcelain -- src bench CMakeLists.txt ':!bench/results' 2>/dev/null)" ] || commit=$commit-dirty
date=$(date -u +%Y-%m-%d)
pg_version=$(psql -X -A -t -d "$CENTRALITA_TEST_PG dbname=postgres" -c 'SHOW server_version' | cut -d ' ' -f 1)
fsync=$(psql -X -A -t -d "$CENTRALITA_TEST_PG dbname=postgres" -c 'SHOW fsync')
load_avg=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "PostgreSQL $pg_version (fsync $fsync) on $(nproc) cores; load average $load_avg at the start"

# The reference: the store alone on PostgreSQL, the same rows and code as the server's writer.
say "reference: PostgreSQL commits through the store (1 and 64 messages per transaction)"
url=$(new_db ref1)
setup_account "$url"
ref1=$("$tools/store_ref" "$url" "$ref1_n" 1 2>>"$tmp/ref.log")
url=$(new_db ref64)
setup_account "$url"
ref64=$("$tools/store_ref" "$url" "$ref64_n" 64 2>>"$tmp/ref.log")
ref1_rate=$(json_get "$ref1" rate)
ref64_rate=$(json_get "$ref64" rate)
commit_us=$(awk -v r="$ref1_rate" 'BEGIN { printf "%.0f", 1e6 / r }') # one reference commit

start_fake --seconds 600

# One configuration: n servers on a new database; scenario 1 (closed loop at several
# concurrencies, then open loop at half the best) and 2 (the agent's stream, on the last server,
# while webhooks arrive on all). Sets the JSON of each figure in r_<n>_*.
measure() {
	local n=$1 url best='' out wa=34600000000 half token
	url=$(new_db "servers_$n")
	setup_account "$url"
	add_agent "$url"
	pids=()
	ports=()
	for _ in $(seq "$n"); do
		CENTRALITA_DB=$url start_server
		pids+=("$server_pid")
		ports+=("$port")
	done
	server_pid=
	sleep 1
	local closed=()
	for conns in $conns_list; do
		say "$n server(s): ingest, closed loop, $conns connections, $closed_s s"
		out=$(load --conns "$conns" --seconds "$closed_s" --wa-base "$wa" --id-prefix "c$n-$conns")
		closed+=("$out")
		if [ -z "$best" ] || [ "$(json_get "$out" rate)" -gt "$(json_get "$best" rate)" ]; then
			best=$out
		fi
		wa=$((wa + 100000))
	done
	half=$(($(json_get "$best" rate) / 2))
	half=$((half - half % 100))
	half=$((half > 100 ? half : 100))
	say "$n server(s): ingest, open loop, $half per second (half the best) for $open_s s"
	open=$(load --rate "$half" --conns 256 --seconds "$open_s" --drain-seconds 10 --wa-base "$wa" \
		--id-prefix "half$n")
	port=${ports[-1]}
	token=$(agent_token)
	local events=()
	for rate in 200 1000; do
		say "$n server(s): webhooks at $rate per second for $open_s s, the agent's stream on server $n"
		events+=("$(load --rate "$rate" --conns 256 --seconds "$open_s" --drain-seconds 10 \
			--wa-base $((34700000000 + rate * 100000 + n * 10000)) --id-prefix "sse$n-$rate" \
			--events-token "$token" --events-port "${ports[-1]}")")
	done
	for p in "${pids[@]}"; do stop_pid "$p"; done
	pids=()
	printf -v "r_${n}_best" '%s' "$best"
	printf -v "r_${n}_half" '%s' "$half"
	printf -v "r_${n}_open" '%s' "$open"
	printf -v "r_${n}_closed" '%s' "$(
		IFS=,
		echo "${closed[*]}"
	)"
	printf -v "r_${n}_events200" '%s' "${events[0]}"
	printf -v "r_${n}_events1000" '%s' "${events[1]}"
}
measure 1
measure 2

row() { printf '%-58s %-50s %s\n' "$@"; }
latency() { # json prefix: "p50 / p99 / max ms" and the p50 and p99 as multiples of one commit
	local p50 p99
	p50=$(json_get "$1" "${2}p50_us")
	p99=$(json_get "$1" "${2}p99_us")
	echo "$(ms "$p50") / $(ms "$p99") / $(ms "$(json_get "$1" "${2}max_us")") ms" \
		"(x$(ratio "$p50" "$commit_us") / x$(ratio "$p99" "$commit_us"))"
}
table=$(
	row "what (PostgreSQL)" "measured" "of the reference"
	row "reference: store commits, 1 message/transaction" \
		"$ref1_rate/s, $(json_get "$ref1" cpu_us_per_message) us CPU each, $(ms "$commit_us") ms a commit" "1"
	row "reference: store commits, 64 messages/transaction" \
		"$ref64_rate/s, $(json_get "$ref64" cpu_us_per_message) us CPU each" "1"
	for n in 1 2; do
		best_var=r_${n}_best half_var=r_${n}_half open_var=r_${n}_open
		best=${!best_var}
		rate=$(json_get "$best" rate)
		row "1 ingest, $n server(s): max sustained" \
			"$rate/s ($(json_get "$best" conns) conns), $(json_get "$best" server_cpu_us_per_request) us CPU each" \
			"$(ratio "$rate" "$ref64_rate") of 64/tx, $(ratio "$rate" "$ref1_rate") of 1/tx"
		row "1 ingest, $n server(s), ${!half_var}/s: p50 / p99 / max" "$(latency "${!open_var}" "")" \
			"(x one commit)"
		for r in 200 1000; do
			name=r_${n}_events$r
			json=${!name}
			row "2 to the agent's stream, $n server(s), $r/s: p50 / p99 / max" \
				"$(latency "$json" event_) ($(json_get "$json" events) of $(json_get "$json" sent))" \
				"(x one commit)"
		done
	done
)
echo
echo "Centralita benchmark on PostgreSQL $pg_version (fsync $fsync), $date, commit $commit${BENCH_SHORT:+ (short run: not to be quoted)}"
echo "$table"

if [ "$short" = true ]; then
	echo
	echo "a short run: no results file written"
	exit 0
fi
mkdir -p "$here/results"
result=$here/results/$date-$commit-pg.json
# shellcheck disable=SC2154 # r_1_* and r_2_*: set by measure through printf -v
cat >"$result.tmp" <<EOF
{
  "date": "$date",
  "commit": "$commit",
  "postgres": {"version": "$pg_version", "fsync": "$fsync"},
  "machine": {"cores": $(nproc), "load_average_at_start": "$load_avg"},
  "reference": {"store_1_per_tx": $ref1, "store_64_per_tx": $ref64},
  "one_server": {"closed_loop": [$r_1_closed], "best_closed_loop": $r_1_best,
                 "open_loop_half": $r_1_open, "to_the_agent": {"at_200": $r_1_events200, "at_1000": $r_1_events1000}},
  "two_servers": {"closed_loop": [$r_2_closed], "best_closed_loop": $r_2_best,
                  "open_loop_half": $r_2_open, "to_the_agent": {"at_200": $r_2_events200, "at_1000": $r_2_events1000}}
}
EOF
mv "$result.tmp" "$result"
echo
echo "written: bench/results/$(basename "$result")"
