#!/bin/sh
# syslog_calls.sh - the syslog writer's system calls (root): MAPWATCH host-wide, JSON to tmpfs and every event
# to --syslog udp://127.0.0.1 (a relay that reads and drops), while mmap_loop -k fail makes 100,000
# calls/s for 3 s; perf counts sendto, sendmmsg and futex calls of the mapwatch process.
# usage: sh bench/syslog_calls.sh MAPWATCH
MW=$1 PORT=51533 TMP=$(mktemp -d /tmp/syslog_calls.XXXXXX)
gcc -O2 -o "$TMP/mmap_loop" "$(dirname "$0")/mmap_loop.c" || exit 1
python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.bind(("127.0.0.1", '$PORT'))
while True:
    s.recv(70000)' &
RELAY=$!
$MW --json -o "$TMP/out" --stats --syslog udp://127.0.0.1:$PORT 2>"$TMP/err" &
PID=$!
sleep 3 # attached by then (about 1 s on this machine; the counts below start later anyway)
perf stat -x, -e syscalls:sys_enter_sendto,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_futex -p $PID -o "$TMP/perf" -- sleep 4 &
PERF=$!
sleep 0.3
"$TMP/mmap_loop" -n 1000000000 -r 100000 -t 3 -k fail >/dev/null
wait $PERF
kill -INT $PID; wait $PID
kill $RELAY; wait $RELAY 2>/dev/null
echo "$MW: $(grep -o '"outputs".*' "$TMP/err" | head -c 300)"
grep -v '^#' "$TMP/perf" | grep -v '^$' | cut -d, -f1,3
rm -rf "$TMP"
