/* mapwatch.bpf.c - kernel side: captures mapping syscalls at entry, emits one record per call at exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "mapwatch.h"
#include "calls.bpf.h"
#include "capture_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "maps.bpf.h"

/* ---- helpers ---- */
#define DM_KEY (1ull << 63)  /* pending key of a do_mmap call: never a real pid_tgid */

static __always_inline struct pending *pending_slot(__u64 key, bool create)
{
	struct pending_slots *ps = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0,
							create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!ps)
		return NULL;
	return (key & DM_KEY) ? &ps->dm : &ps->sys;
}

/* Store the call in progress; -1 when no storage could be had. */
static __always_inline int pending_put(__u64 key, const struct pending *p)
{
	struct pending *dst = pending_slot(key, true);

	if (!dst)
		return -1;
	*dst = *p;
	return 0;
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);
	if (c)
		(*c)++;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* The caller's command name, ids and cgroup by plain loads through the BTF
 * task pointer instead of the helpers, which cost more per event
 * (BENCHMARKS.md, "Measurements behind the code"). The same values: the
 * helpers read current's real ids mapped into the initial user namespace,
 * which is the kuid itself, and task_dfl_cgroup(current)->kn->id. comm is
 * always NUL-terminated in the task; a copy racing a rename is too. */
static __always_inline void task_comm(struct task_struct *t, char *dst)
{
	__builtin_memcpy(dst, t->comm, MW_TASK_COMM_LEN);
	dst[MW_TASK_COMM_LEN - 1] = 0;
}

static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	return t->cgroups->dfl_cgrp->kn->id;
}

static __always_inline __u32 current_uid(void)
{
	return bpf_get_current_task_btf()->cred->uid.val;
}

#include "filter.bpf.h"
#include "summary.bpf.h"
#include "stack.bpf.h"

/* Is the current thread in scope (not mapwatch, and traced when following)? */
static __always_inline bool in_scope(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (follow_only && !bpf_map_lookup_elem(&traced, &tgid))
		return false;
	return true;
}

#include "files.bpf.h"

/* ---- entry ---- */
/* Is a call of event ev by thread id (its slot under key) to be recorded
 * at its entry? Counts the calls turned away (another process of the host,
 * or the user's scope filters). */
static __always_inline bool entry_wanted(__u32 ev, __u64 id, __u64 key)
{
	if (!(event_mask & MW_EVBIT(ev)) || (id >> 32) == self_tgid)
		return false;
	if (!reporting) {
		/* attached, not yet recording (mapwatch is starting): the exit of
		 * this call must stay silent too, not count as an unmatched one */
		struct pending *p = pending_slot(key, true);
		if (p) {
			p->ts = 0;
			p->filtered = 1;
		}
		return false;
	}
	if (!in_scope(id >> 32)) {
		count(MW_CNT_OUT_OF_TREE); /* not the user's filters: another process of the host */
		return false;
	}
	if (!scope_ok(id)) {
		count(MW_CNT_FILTERED);
		return false;
	}
	return true;
}

static __always_inline int on_enter_aux(__u16 ev, __u16 nr, __u16 flags, const __u64 *a, __u64 aux)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	struct pending *p;
	struct scratch *s = NULL;
	bool has_file = false, path_hit = false;

	if (!entry_wanted(ev, id, id))
		return 0;
	ts = bpf_ktime_get_boot_ns();
	/* built in place in the thread's slot; ts, written last, marks it valid */
	p = pending_slot(id, true);
	if (!p) {
		count(MW_CNT_PENDING_FULL);
		return 0;
	}
	p->ts = 0;
	p->event = ev;
	p->nr = nr;
	p->flags = flags;
	p->has_path = 0;
	p->filtered = 0;
	p->exited = 0;
	p->handoff = 0;
	__builtin_memcpy(p->args, a, sizeof(p->args));
	__builtin_memset(&p->file, 0, sizeof(p->file));
	p->aux = aux;
	if (mw_has_udata(ev)) {
		struct pending_slots *ps = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0, 0);
		if (ps) {
			udata_pass_ev(&ps->ud, ev, a, flags & MW_F_COMPAT, false);
			p->flags |= MW_F_UDATA;
		}
	}

	if (mw_entry(ev) == MW_IN_MMAPFD && !(flags & MW_F_ARGS_FAULT) && !(a[3] & MW_MAP_ANONYMOUS)) {
		s = get_scratch();
		if (s && resolve_fd((struct task_struct *)bpf_get_current_task(), (int)a[4], &p->file,
				    &s->pb, &path_hit)) {
			s->pb.flags = p->file.flags;
			has_file = true;
		}
		p->flags |= MW_F_HAS_FILE;
	}
	if (!args_ok(ev, a, &p->file, p->flags & MW_F_HAS_FILE, has_file, path_hit)) {
		count(MW_CNT_FILTERED);
		p->filtered = 1; /* so the exit is not taken for a lost entry */
		return 0;
	}
	/* enforcement (--kill-wx) is decided at exit, on what the kernel did */
	if (has_file && s && !summary_on && bpf_map_update_elem(&pending_path, &id, &s->pb, BPF_ANY) == 0)
		p->has_path = 1;
	/* evidence: a W+X region's bytes before munmap or mprotect changes them (capture.bpf.h) */
	if (capture_max && !summary_on && (ev == MW_EV_MUNMAP || ev == MW_EV_MPROTECT || ev == MW_EV_PKEY_MPROTECT) &&
	    mw_capture_wx_before(a[0], a[1], ts, id))
		p->flags |= MW_F_CAPTURE;
	p->ts = ts;
	return 0;
}

static __always_inline int on_enter(__u16 ev, __u16 nr, __u16 flags, const __u64 *a)
{
	return on_enter_aux(ev, nr, flags, a, 0);
}

#include "exit.bpf.h"

/* Tracepoint mode tracking 32-bit tasks: while the dispatcher is attached
 * beside the per-syscall tracepoints, both run at a native call's entry
 * and disp_live says which of them records it. The flag can change
 * between the two runs of one entry, so a hook that declines leaves a
 * hand-over mark in the thread's slot, and a hook told to decline that
 * finds the mark records the call after all: every entry is recorded at
 * least once (twice is harmless, the second run rewrites the same slot).
 * Exits need no turn: the first exit reports, the second finds the call
 * handled (pending.exited). True when this hook records the entry. */
static __always_inline bool entry_turn(bool live_says_mine)
{
	struct pending *p;

	if (!track_compat || live_says_mine)
		return true;
	p = pending_slot(bpf_get_current_pid_tgid(), true);
	if (!p || p->ts)
		return false; /* recorded by the other hook */
	if (p->handoff)
		return true;  /* declined by the other hook: ours after all */
	p->handoff = 1;
	return false;
}

/* ---- native syscalls through the per-syscall tracepoints ---- */
/* The kernel refuses to attach a program that reads past the tracepoint's
 * record (EACCES), so each reads only its syscall's n arguments. */
#define ARG(i, n) ((i) < (n) ? ctx->args[(i) < (n) ? (i) : 0] : 0)
#define NATIVE(name, ev, nr, n)                                                  \
	SEC("tracepoint/syscalls/sys_enter_" #name)                              \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)                  \
	{                                                                        \
		__u64 a[6] = { ARG(0, n), ARG(1, n), ARG(2, n),                  \
			       ARG(3, n), ARG(4, n), ARG(5, n) };                \
		if (!entry_turn(!disp_live))                                     \
			return 0; /* the dispatcher records */                   \
		return on_enter(ev, nr, 0, a);                                   \
	}                                                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                               \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                        \
		return on_exit(ev, nr, 0, ctx->ret);                             \
	}

/* one enter/exit pair per syscall row of the catalogue; user space loads
 * only those with a number in this ABI whose event is selected */
#define NATIVE_SYS(name, ev, nr, n) NATIVE(name, ev, nr, n)
#define NATIVE_KFN(name, ev, nr, n)
#define NATIVE_ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, ...) \
	NATIVE_##kind(name, MW_EV_##ID, MW_NR_NATIVE(x86_64, i386, arm64, arm), nargs)
MW_CALLS(NATIVE_ROW)

#include "codewrite.bpf.h" /* code_write: writes into executable memory by other routes (alerts) */

#include "hooks.bpf.h"

#include "lifecycle.bpf.h"

#include "do_mmap.bpf.h"
