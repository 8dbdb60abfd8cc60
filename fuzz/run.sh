#!/usr/bin/env bash
# Runs libFuzzer targets for SECONDS seconds each (every target, or those named), seeded from
# the provider fixtures and fuzz/seeds/ and the corpus kept under BUILD_DIR/corpus, after
# replaying fuzz/regressions/<target>/. Each target's log goes to FUZZ_LOGS (default BUILD_DIR).
# Usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
set -euo pipefail
build=$1
seconds=$2
shift 2
logs=${FUZZ_LOGS:-$build}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../tests/fixtures
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for src in "$here"/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
for name in "${targets[@]}"; do
	bin=$build/$name
	corpus=$build/corpus/$name
	mkdir -p "$corpus"
	case $name in
	fuzz_meta)
		# The first byte picks WhatsApp (0), Messenger (1) or Instagram (2).
		for f in "$fixtures"/whatsapp/*.json; do { printf '\0'; cat "$f"; } >"$corpus/wa-$(basename "$f")"; done
		for f in "$fixtures"/messenger/*.json; do { printf '\1'; cat "$f"; } >"$corpus/fb-$(basename "$f")"; done
		for f in "$fixtures"/instagram/*.json; do { printf '\2'; cat "$f"; } >"$corpus/ig-$(basename "$f")"; done ;;
	fuzz_telegram) cp "$fixtures"/telegram/*.json "$corpus"/ ;;
	*) cp "$here"/seeds/"${name#fuzz_}"/* "$corpus"/ ;;
	esac
	if [ -d "$here/regressions/$name" ] && [ -n "$(ls -A "$here/regressions/$name")" ]; then
		"$bin" -runs=0 "$here/regressions/$name"/*
	fi
	log=$logs/$name.log
	if ! "$bin" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/$name-" "$corpus" >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		echo "$name found a crash; the input is in $build/$name-* (add it to fuzz/regressions/$name/)" >&2
		exit 1
	fi
	echo "$name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs in $seconds s, no finding"
done
