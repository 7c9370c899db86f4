#!/bin/sh
# codewrite.sh - the cost of code_write's route hooks (issue #22): getppid, openat+close (read-only;
# for writing, of a file nobody maps and of one mapped executable), write, ioctl (FIONREAD on a pipe) and the mmap loop, untraced, under a baseline mapwatch (BASE, e.g. main's build) and this one, with --alerts-only (the hooks loaded) and plain tracing (not loaded); interleaved rounds, medians.
# Usage: BASE=/path/to/baseline/mapwatch sh bench/codewrite.sh [ROUNDS]   (root)
# Writes build/bench-cw/cw.csv (round,config,workload,ns) and prints medians: CPU ns per call of the
# workload (CLOCK_PROCESS_CPUTIME_ID: its syscalls and the BPF programs they run), workload on CPU 0,
# mapwatch on CPU 1, host-wide, JSON to a file.
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}
B=build/bench-cw
BASE=${BASE:-}
mkdir -p "$B" || exit 1
[ "$(id -u)" = 0 ] || { echo "codewrite.sh: needs root" >&2; exit 1; }
[ -n "$BASE" ] && [ -x "$BASE" ] || { echo "codewrite.sh: set BASE to a baseline mapwatch binary" >&2; exit 2; }
gcc -O2 -o "$B/getppid_loop" bench/getppid_loop.c || exit 1
gcc -O2 -o "$B/mmap_loop" bench/mmap_loop.c || exit 1
gcc -O2 -Wall -o "$B/file_loop" bench/file_loop.c || exit 1
CSV=$B/cw.csv
echo "round,config,workload,ns" >"$CSV"

run_workloads() { # CONFIG ROUND
	echo "$2,$1,getppid,$(taskset -c 0 "$B/getppid_loop" 400000 | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,openat_close,$(taskset -c 0 "$B/file_loop" open 100000 | sed -n 's/.*cpu_ns_per_iter=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,openw_close,$(taskset -c 0 "$B/file_loop" openw 100000 | sed -n 's/.*cpu_ns_per_iter=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,openw_mapped,$(taskset -c 0 "$B/file_loop" openw_mapped 100000 | sed -n 's/.*cpu_ns_per_iter=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,write,$(taskset -c 0 "$B/file_loop" write 200000 | sed -n 's/.*cpu_ns_per_iter=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,ioctl,$(taskset -c 0 "$B/file_loop" ioctl 200000 | sed -n 's/.*cpu_ns_per_iter=\([0-9.]*\).*/\1/p')" >>"$CSV"
	echo "$2,$1,mmap_pair,$(taskset -c 0 "$B/mmap_loop" -n 40000 | sed -n 's/.*cpu_ns_per_pair=\([0-9.]*\).*/\1/p')" >>"$CSV"
}

wait_line() { # FILE TEXT: until FILE has TEXT (120 s)
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 2400 ] && return 1
		sleep 0.05
	done
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in untraced base_alerts cw_alerts base_plain cw_plain; do
		case $c in
		untraced) run_workloads $c $r; continue ;;
		base_alerts) set -- "$BASE" --alerts-only ;;
		cw_alerts) set -- build/mapwatch --alerts-only ;;
		base_plain) set -- "$BASE" ;;
		cw_plain) set -- build/mapwatch ;;
		esac
		taskset -c 1 "$@" -v --json -o "$B/out.json" 2>"$B/mw.err" & mp=$!
		wait_line "$B/mw.err" "mapwatch: attached" && sleep 0.3 && run_workloads $c $r
		kill -INT $mp; wait $mp
		i=0; while pgrep -x mapwatch-close >/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		rm -f "$B/out.json"
	done
	echo "round $r/$ROUNDS done" >&2
	r=$((r + 1))
done
python3 - "$CSV" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ws = ("getppid", "openat_close", "openw_close", "openw_mapped", "write", "ioctl", "mmap_pair")
med, configs = {}, []
for r in rows:
    if r["config"] not in configs:
        configs.append(r["config"])
    if r["ns"]:
        med.setdefault((r["config"], r["workload"]), []).append(float(r["ns"]))
print(f"{'config':12}" + "".join(f" {w + ' ns':>16}" for w in ws) + "  rounds")
for c in configs:
    out = f"{c:12}"
    for w in ws:
        v = med.get((c, w))
        out += f" {statistics.median(v):>16.0f}" if v else f" {'-':>16}"
    print(out + f"  {len(med.get((c, 'getppid'), []))}")
PY
