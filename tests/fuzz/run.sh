#!/bin/sh
# run.sh - runs every libFuzzer harness in build/fuzz for SECONDS (default 10) from the corpus in tests/fuzz/corpus/NAME;
# prints "PASS fuzz/NAME: N runs, cov C, ft F" per harness (FAIL with the crash file) and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-10}
passed=0 failed=0
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin#build/fuzz/fuzz_}
	work=build/fuzz/corpus-$name
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$work" "$seeds"
	log=build/fuzz/$name.log
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/"$name"- "$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS fuzz/$name: ${runs:-?} runs in ${secs} s, cov ${cov:-?}, ft ${ft:-?}"
	else
		failed=$((failed + 1))
		crash=$(ls -t build/fuzz/"$name"-* 2>/dev/null | head -n 1)
		echo "FAIL fuzz/$name: exit $rc, input saved as ${crash:-?} (log $log):"
		grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$log" | sed 's/^/    /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
