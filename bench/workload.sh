#!/bin/sh
# workload.sh - a real workload host-wide (issue #12): compile a small C file 20 times and run `python3 -c pass` 50 times, untraced and under mapwatch per mode; wall and CPU seconds, medians of interleaved rounds.
# Usage: sh bench/workload.sh [ROUNDS]   (root). mapwatch traces the whole host and writes JSON to a file.
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-3}
B=build/bench-hooks
mkdir -p "$B"
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$B/small.c"
work() { # prints "wall cpu" in seconds (CPU: user+sys of the workload and its children)
	python3 - "$B" <<'PY'
import os, subprocess, sys, time
b = sys.argv[1]
t0 = time.time(); r0 = os.times()
for _ in range(20):
    subprocess.run(["gcc", "-O1", "-c", "-o", f"{b}/small.o", f"{b}/small.c"], check=True)
for _ in range(50):
    subprocess.run(["python3", "-c", "pass"], check=True)
r1 = os.times()
print(f"{time.time() - t0:.3f} {r1.children_user - r0.children_user + r1.children_system - r0.children_system:.3f}")
PY
}
wait_line() { i=0; while ! grep -q "$2" "$1" 2>/dev/null; do i=$((i + 1)); [ $i -gt 1200 ] && return 1; sleep 0.05; done; }
echo "round,config,wall_s,cpu_s" >"$B/workload.csv"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in untraced tracepoint dispatcher; do
		if [ $c != untraced ]; then
			build/mapwatch -v --json -o "$B/wl.json" --hook $c 2>"$B/wl.err" & mp=$!
			wait_line "$B/wl.err" "mapwatch: attached" || { kill $mp; continue; }
		fi
		echo "$r,$c,$(work | tr ' ' ',')" >>"$B/workload.csv"
		[ $c != untraced ] && { kill -INT $mp; wait $mp; rm -f "$B/wl.json"; }
	done
	r=$((r + 1))
done
python3 - "$B/workload.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
base = {k: statistics.median(float(r[k]) for r in rows if r["config"] == "untraced") for k in ("wall_s", "cpu_s")}
for c in ("untraced", "tracepoint", "dispatcher"):
    w = [float(r["wall_s"]) for r in rows if r["config"] == c]
    u = [float(r["cpu_s"]) for r in rows if r["config"] == c]
    if w:
        print(f"{c:11} wall {statistics.median(w):6.2f} s ({statistics.median(w) / base['wall_s']:.2f}x)  "
              f"cpu {statistics.median(u):6.2f} s ({statistics.median(u) / base['cpu_s']:.2f}x)  n={len(w)}")
PY
