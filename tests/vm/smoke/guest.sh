# guest.sh - VM smoke test, run inside the guest: 32- and 64-bit mmap programs, plus the kernel features mapwatch needs.
fail=0
ok() { echo "smoke: ok   $*"; }
bad() { echo "smoke: FAIL $*"; fail=1; }

echo "smoke: kernel $(uname -r), $(nproc) cpu(s)"
./mmap64 && ok "64-bit static program" || bad "64-bit static program (status $?)"
./mmap32 && ok "32-bit static program (compat mmap2 + old_mmap)" || bad "32-bit static program (status $?)"
for f in /sys/kernel/btf/vmlinux /sys/kernel/tracing/events/raw_syscalls \
	/sys/kernel/tracing/events/raw_syscalls/sys_enter /sys/kernel/tracing/events/syscalls/sys_enter_mmap \
	/sys/fs/bpf /sys/fs/cgroup/cgroup.procs /dev/shm; do
	[ -e "$f" ] && ok "$f exists" || bad "$f missing"
done
# kprobes: the kernel's own list exists only with CONFIG_KPROBES.
[ -e /sys/kernel/tracing/kprobe_events ] && ok "kprobe_events present" || bad "kprobe_events missing"
# The 32-bit calls reach raw_syscalls:sys_enter with their i386 numbers (192 mmap2, 90 old_mmap).
t=/sys/kernel/tracing
if [ -d $t/events/raw_syscalls/sys_enter ]; then
	echo 'id == 192 || id == 90' >$t/events/raw_syscalls/sys_enter/filter
	echo >$t/trace
	echo 1 >$t/events/raw_syscalls/sys_enter/enable
	./mmap32 >/dev/null
	echo 0 >$t/events/raw_syscalls/sys_enter/enable
	grep mmap32 $t/trace | sed 's/^/smoke: trace: /'
	grep -q 'mmap32.*sys_enter: NR 192 ' $t/trace && ok "raw_syscalls saw i386 mmap2 (NR 192)" || bad "raw_syscalls did not see NR 192"
	grep -q 'mmap32.*sys_enter: NR 90 ' $t/trace && ok "raw_syscalls saw i386 old_mmap (NR 90)" || bad "raw_syscalls did not see NR 90"
	echo 0 >$t/events/raw_syscalls/sys_enter/filter
fi
[ $fail = 0 ] && echo "smoke: PASS" || echo "smoke: FAIL"
exit $fail
