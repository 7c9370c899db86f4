/* floor.bpf.c - the benchmark's own floor programs: the least a hook of each kind costs (they return at once). */
/* Built five times (bench/hooks.sh): -DFLOOR_TP (the syscalls:sys_enter/exit tracepoints of
 * mmap and munmap, the two calls of the benchmark's loop), -DFLOOR_TPBTF (tp_btf
 * sys_enter/sys_exit), -DFLOOR_COMPAT (tp_btf sys_enter/sys_exit reading TS_COMPAT with a
 * direct BTF load, as the dispatcher does), -DFLOOR_RECORD (the same tracepoints as FLOOR_TP
 * doing the least a tracer that reports each call with its entry time and duration must do:
 * a clock read at entry kept in task storage, a second at exit, and a record of mapwatch's
 * size written to a ring buffer, which floor.c drains), -DFLOOR_RECBTF (that record from tp_btf
 * sys_enter/sys_exit, for mmap and munmap only: the dispatcher's hook). */
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
SEC("tracepoint/syscalls/sys_enter_munmap")
int floor_enter_munmap(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_exit_munmap")
int floor_exit_munmap(void *ctx) { return 0; }
#elif defined(FLOOR_RECORD) || defined(FLOOR_RECBTF)
#define FLOOR_REC_BYTES 208 /* sizeof(struct mw_event) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} rb SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} entry_ts SEC(".maps");
struct floor_rec {
	__u64 ts, dur;
	__s64 ret;
	__u64 pid_tgid;
	char rest[FLOOR_REC_BYTES - 32];
};
static __always_inline int rec_enter(void)
{
	__u64 *ts = bpf_task_storage_get(&entry_ts, bpf_get_current_task_btf(), 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_boot_ns();
	return 0;
}
static __always_inline int rec_exit(long ret)
{
	__u64 *ts = bpf_task_storage_get(&entry_ts, bpf_get_current_task_btf(), 0, 0);
	struct floor_rec *r;
	if (!ts || !*ts)
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (r) {
		r->ts = *ts;
		r->dur = bpf_ktime_get_boot_ns() - *ts;
		r->ret = ret;
		r->pid_tgid = bpf_get_current_pid_tgid();
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	}
	*ts = 0;
	return 0;
}
#if defined(FLOOR_RECBTF)
/* the same record from tp_btf sys_enter/sys_exit: only mmap (9) and munmap (11) */
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long nr)
{
	return nr == 9 || nr == 11 ? rec_enter() : 0;
}
SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	return nr == 9 || nr == 11 ? rec_exit(ret) : 0;
}
#else
SEC("tracepoint/syscalls/sys_enter_mmap")
int floor_enter(void *ctx) { return rec_enter(); }
SEC("tracepoint/syscalls/sys_exit_mmap")
int floor_exit(struct trace_event_raw_sys_exit *ctx) { return rec_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_munmap")
int floor_enter_munmap(void *ctx) { return rec_enter(); }
SEC("tracepoint/syscalls/sys_exit_munmap")
int floor_exit_munmap(struct trace_event_raw_sys_exit *ctx) { return rec_exit(ctx->ret); }
#endif
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
