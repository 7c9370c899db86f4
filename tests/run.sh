#!/bin/sh
# run.sh - the whole test suite: unit (ASan/UBSan and valgrind), integration (root, real kernel), VM (second kernel, 32-bit ABI; x86_64 and arm64).
# Prints each suite's PASS/FAIL lines and ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0 skipped=0
log=$(mktemp)

# suite NAME CMD...: run CMD, echo its output, add its last "N passed, N failed[, N skipped]" line
suite() {
	name=$1; shift
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: no summary line (exit status $rc)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exit status $rc with no failed test (sanitizer or valgrind error?)"
		failed=$((failed + 1))
	fi
}

suite "unit tests (ASan+UBSan)" build/unit-asan
suite "unit tests (valgrind)" valgrind -q --error-exitcode=99 --leak-check=full build/unit
suite "doc/EVENTS.md is the catalogue's" build/eventsdoc --check doc/EVENTS.md
# every parser fed arbitrary input for 10 s per harness (make fuzz: FUZZ_TIME, default 60 s)
suite "fuzz (libFuzzer + ASan/UBSan, 10 s per harness)" sh tests/fuzz/run.sh 10
for t in tests/integration/test_*.py; do
	suite "integration $(basename "$t" .py) (ASan+UBSan build)" env MAPWATCH=build/mapwatch-asan python3 "$t"
done
if [ -x tests/vm/test.sh ]; then
	suite "vm: second kernel and 32-bit ABI" tests/vm/test.sh
	suite "vm arm64: arm64 kernel and 32-bit ARM (EABI) tasks" tests/vm/test.sh --arch arm64
fi
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
