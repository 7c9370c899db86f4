# pipeline.sh - one capacity-style run of the whole reader (root): mapwatch host-wide, FORMAT to
# a tmpfs file, pinned to CPU 1, while mmap_loop -k fail (mmap of length 0, munmap of an unaligned
# address) runs on CPU 0 for SECONDS at RATE calls/s (0: as fast as it can). Prints one line:
# label, calls/s achieved, events seen, written, lost, mapwatch's CPU seconds (utime+stime from
# /proc/PID/stat while the workload ran) and CPU ns per event seen, peak RSS (VmHWM), bytes per
# event written and the floor of the output medium: the CPU that writing those bytes alone to a
# new tmpfs file costs, per event (dd, 64 KiB writes).
# usage: sh bench/pipeline.sh MAPWATCH LABEL [SECONDS] [RATE] [EXTRA MAPWATCH ARGS...]
#   e.g. sh bench/pipeline.sh build/mapwatch new 4 0 --json
set -u
MW=$1 LABEL=$2 SECS=${3:-4} RATE=${4:-0}
shift 2
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
TMP=$(mktemp -d /dev/shm/mwpipe.XXXXXX)
LOOP=$TMP/mmap_loop
gcc -O2 -o "$LOOP" "$(dirname "$0")/mmap_loop.c" || exit 1
HZ=$(getconf CLK_TCK)
taskset -c 1 "$MW" --output "$TMP/out" --stats "$@" 2>"$TMP/err" &
PID=$!
# ready when it holds the munmap exit program through a link
i=0
while [ $i -lt 300 ]; do
	grep -qs "exit_munmap\|disp_exit" "$TMP/err" && break
	n=$(bpftool prog show 2>/dev/null | grep -c "name exit_munmap\|name disp_exit")
	[ "$n" -gt 0 ] && [ -s "$TMP/out" -o $i -gt 20 ] && break
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
t0=$(awk '{print $14 + $15}' /proc/$PID/stat)
taskset -c 0 "$LOOP" -n 1000000000 -r "$RATE" -t "$SECS" -k fail >"$TMP/loop"
t1=$(awk '{print $14 + $15}' /proc/$PID/stat)
hwm=$(awk '/^VmHWM:/{print $2}' /proc/$PID/status)
kill -INT $PID
wait $PID
cps=$(tr ' ' '\n' <"$TMP/loop" | sed -n 's/^calls_per_s=//p')
set -- $(sed -n 's/.*events seen \([0-9]*\), written \([0-9]*\), lost \([0-9]*\).*/\1 \2 \3/p' "$TMP/err" | tail -n 1)
if [ $# != 3 ]; then
	set -- $(python3 -c 'import json, sys
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("{") and "\"stats\":\"mapwatch\"" in line:
        st = json.loads(line)
        print(st["eventsSeen"], st["eventsWritten"], st["eventsLost"])' "$TMP/err")
fi
seen=${1:-0} written=${2:-0} lost=${3:-0}
# the output medium's floor: the same number of bytes written to a new file on the same tmpfs in
# the file sink's 64 KiB writes, nothing formatted (dd's user+system CPU per event written)
bytes=$(stat -c %s "$TMP/out")
/usr/bin/time -o "$TMP/floor.time" -f "%U %S" dd if=/dev/zero of="$TMP/floor" bs=65536 count=$((bytes / 65536 + 1)) 2>/dev/null
floor=$(tail -n 1 "$TMP/floor.time")
awk -v l="$LABEL" -v c="$cps" -v s="$seen" -v w="$written" -v x="$lost" -v t=$((t1 - t0)) -v hz="$HZ" -v h="$hwm" \
	-v by="$bytes" -v fl="$floor" \
	'BEGIN { cpu = t / hz; split(fl, f, " "); fcpu = f[1] + f[2]
	printf "%s calls/s=%s seen=%s written=%s lost=%s cpu_s=%.2f ns_per_event=%.0f hwm_kb=%s bytes_per_event=%.0f sink_floor_ns_per_event=%.0f\n",
		l, c, s, w, x, cpu, s ? cpu * 1e9 / s : 0, h, w ? by / w : 0, w ? fcpu * 1e9 / w : 0 }'
rm -rf "$TMP"
