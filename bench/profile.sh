#!/usr/bin/env bash
# Profiles the ingest path: the server of BUILD_DIR (make bench builds it with -O2 -g) on a
# fresh database, loaded by the load generator with signed WhatsApp webhooks, closed loop.
#   callgrind  the server under valgrind --tool=callgrind, 4 connections for 10 s (about a
#              thousand webhooks at valgrind's speed); prints inclusive instruction counts of
#              the handler's parts. Counts only user-space instructions: no time in the kernel,
#              no waiting for the disk.
#   perf       perf record -e cpu-clock (a software clock, for machines without hardware
#              counters) with DWARF call graphs, 16 connections for 5 s at full speed; prints the
#              server's CPU time by library and the handler's parts, kernel included.
#   syscalls   strace -c -f, 1 connection for 5 s: system calls per webhook.
#   wait       where the open loop's slow requests wait: the server run under strace -f
#              --seccomp-bpf (only the traced calls stop it) timing each fdatasync and fsync
#              (BENCH_WAIT_CALLS=fdatasync,fsync,pwrite64 adds the writes, at a cost) with its
#              thread and file (the WAL, or the database: a checkpoint) while webhooks arrive at
#              2,000/s for 10 s; prints the load's latencies, then per thread, call and file the
#              calls, their total and longest time and how many took over 1 and 10 ms, then the
#              15 slowest calls with their second from the load's start. Each traced call costs
#              some microseconds more: compare the load's figures with run.sh's.
# The raw data stays in BUILD_DIR/profile/.
# Usage: bench/profile.sh BUILD_DIR [callgrind|perf|syscalls|wait]
set -euo pipefail

build=$(cd "${1:?usage: bench/profile.sh BUILD_DIR [callgrind|perf|syscalls|wait]}" && pwd)
mode=${2:-callgrind}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
out=$build/profile
mkdir -p "$out"

# The handler, the parts of it the report names, and the outbox worker's rounds.
parts='api_webhook_meta|meta_webhook_new|meta_webhook_events|verify_meta|channel_find_external'
parts+='|channel_secrets_get|meta_signature_verify|ingest_events|run_group|run_job|answer'
parts+='|commit_or_undo|store_savepoint|http_reply_json|on_request|on_completed|log_info'
parts+='|routing_step|shared_config_get|outbox_enqueue|events_emit|events_emit_message'
parts+='|record_and_claim|claim|record|run_round'

setup_account "$CENTRALITA_DB"
start_fake --seconds 120
case $mode in
callgrind)
	start_server valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out"
	loadgen --conns 4 --seconds 10 --drain-seconds 30 >"$out/load.json"
	stop_pid "$server_pid"
	server_pid=
	echo "load: $(cat "$out/load.json")"
	callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$out/callgrind.out" >"$out/callgrind.txt"
	n=$(json_get "$(cat "$out/load.json")" ok)
	# Instructions per webhook, inclusive, and as a share of the handler's (the worker's
	# claim and finish_round run beside it, for the replies routing queued).
	grep -E ":($parts|sqlite3_step|json_loadb|calloc|crypto_auth_hmacsha256_update)( |$)" \
		"$out/callgrind.txt" | awk -v n="$n" '{
			ir = $1; gsub(",", "", ir)
			sub(/^ *[0-9,]+ *\( *[0-9.]+%\) +/, ""); name = $1
			sub(/^\/.*\/src\//, "src/", name) # listed by absolute path too, or instead
			if (name ~ /\.h:/ || seen[name]++) next # inlined from headers, or seen
			if (name ~ /api_webhook_meta/) handler = ir
			rows[++k] = ir; names[k] = name
		} END {
			printf "%12s %9s  %s\n", "Ir/webhook", "handler", "function (inclusive)"
			for (i = 1; i <= k; i++)
				printf "%12.0f %8.1f%%  %s\n", rows[i] / n, 100 * rows[i] / handler, names[i]
		}'
	# The whole server's, every thread's: compare builds by this.
	grep -m1 'PROGRAM TOTALS' "$out/callgrind.txt" | awk -v n="$n" \
		'{ ir = $1; gsub(",", "", ir); printf "%12.0f           the server in all\n", ir / n }'
	;;
perf)
	start_server
	perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -p "$server_pid" \
		-o "$out/perf.data" -- sleep 6 2>/dev/null &
	perf_pid=$!
	sleep 0.5
	loadgen --conns 16 --seconds 5 >"$out/load.json"
	wait "$perf_pid" || true
	echo "load: $(cat "$out/load.json")"
	perf report -i "$out/perf.data" --no-children --sort dso -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 12
	perf report -i "$out/perf.data" --children --sort sym -g none 2>/dev/null >"$out/perf.txt"
	grep -E "\] ($parts|fdatasync|__libc_pwrite|__libc_sendmsg|sqlite3_step|json_loadb)\b" \
		"$out/perf.txt" | head -n 40
	;;
syscalls)
	start_server
	timeout 8 strace -f -c -o "$out/strace.txt" -p "$server_pid" 2>/dev/null &
	strace_pid=$!
	sleep 0.5
	loadgen --conns 1 --seconds 5 >"$out/load.json"
	wait "$strace_pid" || true
	n=$(json_get "$(cat "$out/load.json")" ok)
	echo "load: $(cat "$out/load.json")"
	awk -v n="$n" 'NR > 2 && $NF != "total" && $4 ~ /^[0-9]+$/ {
		printf "%-16s %8d calls  %6.2f per webhook\n", $NF, $4, $4 / n }' "$out/strace.txt" |
		sort -k2 -n -r | head -n 15
	;;
wait)
	start_server strace -f --seccomp-bpf -ttt -T -y -o "$out/wait.strace" \
		-e trace="${BENCH_WAIT_CALLS:-fdatasync,fsync}"
	sleep 1
	# The server is strace's child (stopped by pid on the way out: strace would leave it
	# running); its threads by id, for the report.
	child=$(cat "/proc/$server_pid/task/$server_pid/children")
	child=${child%% *}
	extra_pid=$child
	for t in /proc/"$child"/task/*; do
		echo "${t##*/} $(cat "$t/comm")"
	done >"$out/threads.txt"
	start_s=$(date +%s.%N)
	loadgen --rate 2000 --conns 256 --seconds 10 --drain-seconds 10 >"$out/load.json"
	stop_pid "$child" # strace ends with it
	extra_pid=
	stop_pid "$server_pid"
	server_pid=
	echo "load: $(cat "$out/load.json")"
	# A call another thread interrupts is split: "<unfinished ...>", then "<... resumed>".
	awk -v start="$start_s" 'FNR == NR { name[$1] = $2; next }
	$3 !~ /^</ {
		call = $3; sub(/\(.*/, "", call)
		file = $3; sub(/^[^<]*</, "", file); sub(/>.*/, "", file); sub(/.*\//, "", file)
		began[$1] = $2; what[$1] = call " " file
	}
	/ = -?[0-9]+ <[0-9.]+>$/ {
		d = $NF; gsub(/[<>]/, "", d); d *= 1000
		k = ($1 in name ? name[$1] : $1) " " what[$1]
		n[k]++; sum[k] += d; if (d > max[k]) max[k] = d
		over1[k] += d > 1; over10[k] += d > 10
		printf "%9.3f ms  at %5.2f s  %s\n", d, began[$1] - start, k > slow
	} END {
		printf "%-44s %7s %9s %9s %6s %6s\n", "thread call file", "calls", "total ms", "max ms", ">1ms", ">10ms"
		fflush()
		for (k in n)
			printf "%-44s %7d %9.1f %9.3f %6d %6d\n", k, n[k], sum[k], max[k], over1[k], over10[k] | "sort -k5 -n -r"
	}' slow="$out/wait.slow" "$out/threads.txt" "$out/wait.strace"
	echo "slowest:"
	sort -n -r "$out/wait.slow" | head -n 15
	;;
*)
	echo "usage: bench/profile.sh BUILD_DIR [callgrind|perf|syscalls|wait]" >&2
	exit 2
	;;
esac
