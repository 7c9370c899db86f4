#!/bin/sh
# vm.sh - the hook-mode benchmark in the Debian 6.1 VM (qemu TCG, 1 CPU): function vs tracepoint mode in the same boot; prints medians and ratios.
# Usage: sh bench/vm.sh [ROUNDS]. TCG timing is slow and distorted: the ratios say whether
# anything runs on a path, not what it costs on hardware.
set -u
cd "$(dirname "$0")/.." || exit 1
g=build/vm/benchguest
rm -rf "$g" && mkdir -p "$g" || exit 1
make -s static >/dev/null || exit 1
cp build/mapwatch-static "$g/mapwatch"
gcc -O2 -static -o "$g/getppid_loop" bench/getppid_loop.c || exit 1
gcc -O2 -static -o "$g/mmap_loop" bench/mmap_loop.c || exit 1
{ echo "ROUNDS=${1:-5}"; cat bench/vm/guest.sh; } >"$g/guest.sh"
tests/vm/run-vm.sh "$g" 900 >build/vm/bench.out 2>&1 || { tail -n 20 build/vm/bench.out; exit 1; }
log=build/vm/benchguest.run/console.log
grep -E "^guest:|Hooks here" "$log"
python3 - "$log" <<'PY'
import statistics, sys
v = {}
for l in open(sys.argv[1]):
    if l.startswith("@@BENCH ") and "failed" not in l:
        _, r, c, w, ns = l.split()
        v.setdefault((c, w), []).append(float(ns))
for l in open(sys.argv[1]):
    if "failed" in l and l.startswith("@@BENCH"):
        print(l.strip())
for w in ("getppid", "mmap_pair"):
    base = statistics.median(v[("untraced", w)])
    for c in ("untraced", "function", "tracepoint"):
        x = v.get((c, w))
        if x:
            m = statistics.median(x)
            print(f"{w:10} {c:11} median {m:9.0f} ns  {m / base:5.2f}x  {m - base:+8.0f} ns  (n={len(x)}, range {min(x):.0f}-{max(x):.0f})")
PY
