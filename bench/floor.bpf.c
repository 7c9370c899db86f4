/* floor.bpf.c - the benchmark's own floor programs: the least a hook of each kind costs (they return at once). */
/* Built three times (bench/hooks.sh): -DFLOOR_TP (the syscalls:sys_enter/exit_mmap
 * tracepoints), -DFLOOR_TPBTF (tp_btf sys_enter/sys_exit), -DFLOOR_COMPAT (tp_btf
 * sys_enter/sys_exit reading TS_COMPAT with a direct BTF load, as the dispatcher does). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";
__u64 sink;

#if defined(FLOOR_TP)
SEC("tracepoint/syscalls/sys_enter_mmap")
int floor_enter(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_exit_mmap")
int floor_exit(void *ctx) { return 0; }
#elif defined(FLOOR_TPBTF)
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long nr) { return 0; }
SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret) { return 0; }
#elif defined(FLOOR_COMPAT)
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long nr)
{
	if (bpf_get_current_task_btf()->thread_info.status & 2)
		sink++;
	return 0;
}
SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	if (bpf_get_current_task_btf()->thread_info.status & 2)
		sink++;
	return 0;
}
#endif
