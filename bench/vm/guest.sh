# guest.sh - the hook-mode benchmark inside the Debian 6.1 VM (TCG): getppid and mmap+munmap loops untraced, under --hook function and under --hook tracepoint, interleaved.
cd /mw || exit 1
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo "guest: kernel $(uname -r)"
./mapwatch --list | tail -n 1
wait_attached() { i=0; while ! grep -q "mapwatch: attached" /tmp/mw.err; do i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.1; done; }
r=1
while [ $r -le ${ROUNDS:-5} ]; do
	for c in untraced function tracepoint; do
		if [ $c != untraced ]; then
			./mapwatch -v --json -o /tmp/ev.json --hook $c 2>/tmp/mw.err & mp=$!
			wait_attached || { echo "@@BENCH $r $c failed: $(tail -n 2 /tmp/mw.err)"; kill $mp; continue; }
		fi
		g=$(./getppid_loop 100000 | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p')
		m=$(./mmap_loop -n 10000 | sed -n 's/.*cpu_ns_per_pair=\([0-9.]*\).*/\1/p')
		echo "@@BENCH $r $c getppid $g"
		echo "@@BENCH $r $c mmap_pair $m"
		if [ $c != untraced ]; then
			kill -INT $mp; wait $mp
		fi
	done
	r=$((r + 1))
done
