#!/bin/bash
# run.sh - `make fuzz`: run every libFuzzer target for a bounded time, two at a time; print a table.
#
# Usage: [FUZZ_CORPUS=DIR] run.sh FUZZ_BUILD_DIR SECONDS [TARGET...]
# Seeds come from tests/fuzz/corpus/NAME (NAME = the target without "fuzz_"); what a run
# finds goes to FUZZ_CORPUS/NAME (default FUZZ_BUILD_DIR/corpus; kept between runs, never
# into the repository), with a running total of executions in FUZZ_CORPUS/NAME.execs.
# A crash leaves FUZZ_BUILD_DIR/crashes/NAME-*; the exit status is then 1.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$1 SECS=$2
C=${FUZZ_CORPUS:-$B/corpus}
shift 2
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=($(cd "$B/fuzz" && ls fuzz_* 2>/dev/null))
[ ${#TARGETS[@]} -gt 0 ] || { echo "fuzz: no targets in $B/fuzz" >&2; exit 1; }
JOBS=${FUZZ_JOBS:-$(nproc)}
mkdir -p "$B/crashes" "$B/logs"

run_one() {
	local t=$1 name=${1#fuzz_} seeds=()
	mkdir -p "$C/$name"
	[ -d "$ROOT/tests/fuzz/corpus/$name" ] && seeds+=("$ROOT/tests/fuzz/corpus/$name")
	# -rss_limit_mb: ASan keeps freed memory in quarantine; 2 GB is plenty and bounded
	timeout $((SECS + 60)) "$B/fuzz/$t" -max_total_time="$SECS" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$B/crashes/$name-" \
		"$C/$name" "${seeds[@]}" >"$B/logs/$name.log" 2>&1
	echo $? >"$B/logs/$name.rc"
}

for t in "${TARGETS[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	run_one "$t" &
done
wait

fail=0
printf '%-16s %12s %10s %8s  %s\n' target executions exec/s corpus result
for t in "${TARGETS[@]}"; do
	name=${t#fuzz_}
	rc=$(cat "$B/logs/$name.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/logs/$name.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$B/logs/$name.log" | tail -1)
	n=$(ls "$C/$name" | wc -l)
	if [ "$rc" = 0 ]; then res=ok; else res="FAILED (exit $rc, see $B/logs/$name.log)"; fail=1; fi
	printf '%-16s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$n" "$res"
	# running total of executions per target, kept with the corpus
	[ -n "$execs" ] && echo "$(date -u +%FT%TZ) $execs" >>"$C/$name.execs"
done
exit $fail
