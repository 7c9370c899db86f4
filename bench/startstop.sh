#!/bin/sh
# startstop.sh - what a short command costs under mapwatch and its peers: wall time of `TOOL -- /bin/true`, start to exit, interleaved rounds, medians; and where mapwatch's time goes (-vvv timeline).
#
# Usage (root): sh bench/startstop.sh      (make bench runs it after run.sh)
# Settings from the environment:
#   STARTSTOP_REPS   rounds (default 15); each round runs every configuration once, in turn
#   MAPWATCH         binary (default build/mapwatch)
#   BENCH_OUT        results folder (default bench/results): startstop.csv (every run), startstop.md (the table)
# Configurations: untraced; mapwatch (as shipped: --hook auto, the dispatcher where fentry is
# refused and 32-bit code runs); mapwatch-tracepoint (--hook tracepoint: the per-syscall
# tracepoints, and the dispatcher loaded beside them for 32-bit processes); mapwatch-sync
# (MAPWATCH_SYNC_DETACH=1: the links closed before mapwatch exits, as before issue #10's
# start/stop work); strace -f, bpftrace and perf trace where installed (a peer that is missing is
# left out and the table says so).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
REPS=${STARTSTOP_REPS:-15}
MW=${MAPWATCH:-$ROOT/build/mapwatch}
OUT=${BENCH_OUT:-$ROOT/bench/results}
[ "$(id -u)" = 0 ] || { echo "startstop.sh: needs root (mapwatch, bpftrace and perf trace load BPF programs)" >&2; exit 1; }
[ -x "$MW" ] || { echo "startstop.sh: $MW not built (make)" >&2; exit 1; }
mkdir -p "$OUT"
csv=$OUT/startstop.csv
md=$OUT/startstop.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

configs="untraced mapwatch mapwatch-tracepoint mapwatch-sync"
missing=""
if command -v strace >/dev/null; then configs="$configs strace"; else missing="$missing strace"; fi
if command -v bpftrace >/dev/null; then configs="$configs bpftrace"; else missing="$missing bpftrace"; fi
if command -v perf >/dev/null && perf trace -e mmap -- /bin/true >/dev/null 2>&1; then
	configs="$configs perf-trace"
else
	missing="$missing perf-trace"
fi

now_ns() { date +%s%N; }

# run_one CONFIG: one run of /bin/true under CONFIG; prints the wall time in ms
run_one() {
	t0=$(now_ns)
	case $1 in
	untraced) /bin/true ;;
	mapwatch) "$MW" -o /dev/null -- /bin/true ;;
	mapwatch-tracepoint) "$MW" --hook tracepoint -o /dev/null -- /bin/true ;;
	mapwatch-sync) MAPWATCH_SYNC_DETACH=1 "$MW" -o /dev/null -- /bin/true ;;
	strace) strace -f -o /dev/null -e trace=mmap,munmap,mprotect /bin/true ;;
	bpftrace) bpftrace -e 'tracepoint:syscalls:sys_enter_mmap { @n = count(); }' -c /bin/true >/dev/null ;;
	perf-trace) perf trace -o /dev/null -e mmap,munmap,mprotect -- /bin/true ;;
	esac >/dev/null 2>&1
	rc=$?
	t1=$(now_ns)
	[ $rc = 0 ] || echo "startstop.sh: $1 exited $rc" >&2
	echo $(( (t1 - t0) / 1000 ))
}

echo "config,round,wall_us" >"$csv"
for r in $(seq 1 "$REPS"); do
	for c in $configs; do
		echo "$c,$r,$(run_one "$c")" >>"$csv"
		# let the previous run's background link closes (mapwatch-close) finish first
		while pgrep -x mapwatch-close >/dev/null; do sleep 0.05; done
	done
done

# where mapwatch's own time goes: its -vvv timeline, medians over the rounds
for r in $(seq 1 "$REPS"); do
	"$MW" -vvv -o /dev/null -- /bin/true 2>&1 | sed -n 's/^mapwatch: +\([0-9.]*\) ms \(.*\)$/\1|\2/p' >"$tmp/phases.$r"
	while pgrep -x mapwatch-close >/dev/null; do sleep 0.05; done
done

# host-wide: from exec to the "attached" line (-v), per hook mode; then SIGINT
attached_ms() { # ARGS...: ms from start to "mapwatch: attached" on stderr, or "" (60 s)
	# a fresh file: a grep that found the last run's line would signal this
	# run before its handlers exist (a background job ignores SIGINT until then)
	rm -f "$tmp/hw.err"
	t0=$(now_ns)
	"$MW" -v -o /dev/null "$@" 2>"$tmp/hw.err" & p=$!
	i=0
	while ! grep -q "mapwatch: attached" "$tmp/hw.err" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 60000 ] && break
		kill -0 $p 2>/dev/null || break
		sleep 0.001
	done
	t1=$(now_ns)
	kill -INT $p 2>/dev/null; wait $p 2>/dev/null
	while pgrep -x mapwatch-close >/dev/null; do sleep 0.05; done
	grep -q "mapwatch: attached" "$tmp/hw.err" && echo $(( (t1 - t0) / 1000 ))
}
echo "config,round,attached_us" >"$tmp/attached.csv"
for r in $(seq 1 "$REPS"); do
	for c in auto tracepoint; do
		if [ $c = auto ]; then v=$(attached_ms); else v=$(attached_ms --hook tracepoint); fi
		[ -n "$v" ] && echo "host-wide --hook $c,$r,$v" >>"$tmp/attached.csv"
	done
done

python3 - "$csv" "$md" "$tmp" "$REPS" "$missing" <<'EOF'
import csv, glob, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
md, tmp, reps, missing = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].split()
by = {}
for r in rows:
    by.setdefault(r["config"], []).append(int(r["wall_us"]) / 1000)
base = statistics.median(by["untraced"])
out = ["# Start and stop: `TOOL -- /bin/true`", "",
       f"{reps} interleaved rounds, wall time from start to exit, medians (bench/startstop.sh).", "",
       "| configuration | median ms | min ms | max ms | added to an untraced run, ms |",
       "|---|---:|---:|---:|---:|"]
for c, v in by.items():
    m = statistics.median(v)
    out.append(f"| {c} | {m:.1f} | {min(v):.1f} | {max(v):.1f} | {m - base:.1f} |")
if missing:
    out += ["", "Not installed here, so not measured: " + ", ".join(missing) + "."]
att = {}
for r in csv.DictReader(open(tmp + "/attached.csv")):
    att.setdefault(r["config"], []).append(int(r["attached_us"]) / 1000)
if att:
    out += ["", "Host-wide, from exec to the `attached` line (`-v`; every selected call seen from there on):", "",
            "| configuration | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
    for c, v in att.items():
        out.append(f"| {c} | {statistics.median(v):.1f} | {min(v):.1f} | {max(v):.1f} |")
phases = {}
order = []
for f in sorted(glob.glob(tmp + "/phases.*")):
    for line in open(f):
        t, what = line.rstrip("\n").split("|", 1)
        if what not in phases:
            order.append(what)
        phases.setdefault(what, []).append(float(t))
out += ["", "mapwatch's own timeline (-vvv), milliseconds since it started, medians:", "",
        "| step | at ms |", "|---|---:|"]
for w in order:
    out.append(f"| {w} | {statistics.median(phases[w]):.1f} |")
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
EOF
