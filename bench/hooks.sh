#!/bin/sh
# hooks.sh - the hook-mode benchmark (issue #12): floors of each hook kind by the harness's own programs, mapwatch per mode, with and without a 32-bit process; interleaved rounds, medians.
# Usage: sh bench/hooks.sh [ROUNDS]   (root; builds what it needs under build/bench-hooks)
# Writes build/bench-hooks/hooks.csv (round,config,workload,ns) and prints a table of medians:
# ns per getppid call, ns per mmap+munmap pair (mapwatch writing JSON to a file), ratio to
# untraced and ns added. Workload pinned to CPU 0, tracers to CPU 1. The workload's own CPU time
# (CLOCK_PROCESS_CPUTIME_ID: its syscalls and the BPF programs they run, not the time other
# processes of a shared machine took the CPU) is what is measured.
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-7}
B=build/bench-hooks
mkdir -p "$B" || exit 1
[ "$(id -u)" = 0 ] || { echo "hooks.sh: needs root" >&2; exit 1; }
make -s all >/dev/null || exit 1
gcc -O2 -o "$B/getppid_loop" bench/getppid_loop.c || exit 1
gcc -O2 -o "$B/mmap_loop" bench/mmap_loop.c || exit 1
gcc -O2 -Wall -o "$B/floor" bench/floor.c -lbpf || exit 1
for f in TP TPBTF COMPAT RECORD RECBTF; do
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -DFLOOR_$f -Ivmlinux/x86 -c bench/floor.bpf.c -o "$B/floor_$f.o" || exit 1
done
has32=0
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$B/sleep32.c"
gcc -m32 -static -O1 -o "$B/sleep32" "$B/sleep32.c" 2>/dev/null && "$B/sleep32" & p=$!; sleep 0.2
kill $p 2>/dev/null && has32=1; wait $p 2>/dev/null
MW=build/mapwatch
N_GP=${N_GP:-400000}
N_MM=${N_MM:-40000}
CSV=$B/hooks.csv
echo "round,config,workload,ns" >"$CSV"

run_workloads() { # CONFIG ROUND
	g=$(taskset -c 0 "$B/getppid_loop" "$N_GP" | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p')
	m=$(taskset -c 0 "$B/mmap_loop" -n "$N_MM" | sed -n 's/.*cpu_ns_per_pair=\([0-9.]*\).*/\1/p')
	echo "$2,$1,getppid,$g" >>"$CSV"
	echo "$2,$1,mmap_pair,$m" >>"$CSV"
}

wait_line() { # FILE TEXT: until FILE has TEXT (60 s)
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 1200 ] && return 1
		sleep 0.05
	done
}

# mw_auto: the default (function mode where fentry is allowed; else the dispatcher where the
# kernel runs 32-bit code, else tracepoint mode); mw_tracepoint: --hook tracepoint, no 32-bit
# process (the per-syscall tracepoints alone: the default before 32-bit coverage from the first
# instruction was required); mw_tracepoint_with_32bit: the same while a 32-bit process runs
CONFIGS="untraced floor_tp floor_record floor_tpbtf floor_compat floor_recbtf mw_auto mw_tracepoint mw_events_all mw_dispatcher"
[ $has32 = 1 ] && CONFIGS="$CONFIGS mw_tracepoint_with_32bit"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		s32=""
		case $c in
		untraced) run_workloads $c $r ;;
		floor_*)
			f=$(echo "${c#floor_}" | tr a-z A-Z)
			taskset -c 1 "$B/floor" "$B/floor_$f.o" >"$B/floor.out" & fp=$!
			wait_line "$B/floor.out" ready && run_workloads $c $r
			kill -INT $fp; wait $fp ;;
		mw_*)
			case $c in
			mw_auto) set -- ;;
			mw_tracepoint) set -- --hook tracepoint ;;
			mw_events_all) set -- --events all ;; # the whole memory family (issue #14)
			mw_dispatcher) set -- --hook dispatcher ;;
			mw_tracepoint_with_32bit) "$B/sleep32" & s32=$!; sleep 0.2; set -- --hook tracepoint ;;
			esac
			taskset -c 1 "$MW" -v --json -o "$B/events.json" "$@" 2>"$B/mw.err" & mp=$!
			wait_line "$B/mw.err" "mapwatch: attached" && sleep 0.3 && run_workloads $c $r
			kill -INT $mp; wait $mp
			# its last links are closed by a process of its own after it exits:
			# the next configuration must not run beside them
			i=0; while pgrep -x mapwatch-close >/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
			[ -n "$s32" ] && { kill $s32; wait $s32 2>/dev/null; }
			grep -q "dispatcher now\|hook dispatcher" "$B/mw.err" && echo "  ($c: dispatcher attached)" >&2
			rm -f "$B/events.json" ;;
		esac
	done
	echo "round $r/$ROUNDS done; foreign programs on the syscall path now: $(bpftool prog show 2>/dev/null | grep -cE 'name (raw_enter|disp_enter) ') sys_enter, $(bpftool prog show 2>/dev/null | grep -cE 'name enter_mmap ') sys_enter_mmap (other tracers of this shared machine; mapwatch's own are gone between configs)" >&2
	r=$((r + 1))
done
python3 - "$CSV" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for w in ("getppid", "mmap_pair"):
    for r in rows:
        if r["workload"] == w and r["ns"]:
            med.setdefault((r["config"], w), []).append(float(r["ns"]))
configs = []
for r in rows:
    if r["config"] not in configs:
        configs.append(r["config"])
base = {w: statistics.median(med[("untraced", w)]) for w in ("getppid", "mmap_pair")}
print(f"{'config':22} {'getppid ns':>10} {'ratio':>6} {'added':>6}   {'mmap pair ns':>12} {'ratio':>6} {'added':>7}  rounds")
for c in configs:
    out = f"{c:22}"
    for w, width in (("getppid", 10), ("mmap_pair", 12)):
        v = med.get((c, w))
        if not v:
            out += f" {'-':>{width}} {'-':>6} {'-':>7}  "
            continue
        m = statistics.median(v)
        out += f" {m:>{width}.0f} {m / base[w]:>5.2f}x {m - base[w]:>+6.0f}  "
    print(out + f" {len(med.get((c, 'getppid'), []))}")
PY
