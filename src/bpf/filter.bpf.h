/* filter.bpf.h - in-kernel filters: scope (who) at entry, arguments at entry, result at exit. */
#ifndef MW_FILTER_BPF_H
#define MW_FILTER_BPF_H

#include "filter_abi.h"

/* Which filters are on (MW_FLT_* bits) and which of them are negated. */
const volatile __u32 flt_on = 0;
const volatile __u32 flt_neg = 0;
const volatile __u32 flt_prot_all = 0, flt_prot_any = 0;
const volatile __u8 flt_prot_none = 0;                      /* --prot-any none: PROT_NONE matches too */
const volatile __u64 flt_flags_all = 0, flt_flags_any = 0;  /* MAP_* bits */
const volatile __u32 flt_type_all = 0, flt_type_any = 0;    /* mapping type (flags & 0xf), 0: none */
const volatile __u32 flt_fdkind = 0;                        /* bit per enum mw_file_kind */
const volatile __u64 flt_min_len = 0;
const volatile __u8 flt_result = 0;                         /* 1 failed only, 2 succeeded only */
const volatile __u64 flt_errno[64] = {};                    /* bitmap of errnos 0..4095 */
/* User space names each cgroup while it runs (off only for -c grouped by
 * something else than containers). */
const volatile bool ctr_announce = false;
/* --container all (in) or none (!in) alone: a cgroup whose path holds a
 * 64-hex-digit id is a container, judged in the kernel from its first call */
const volatile bool flt_ctr_any = false;
const volatile bool flt_ctr_any_in = false;

#define SET_MAP(name, ktype)                           \
	struct {                                       \
		__uint(type, BPF_MAP_TYPE_HASH);       \
		__uint(max_entries, MW_MAX_FILTER_KEYS); \
		__type(key, ktype);                    \
		__type(value, __u8);                   \
	} name SEC(".maps")

SET_MAP(f_pid, __u32);
SET_MAP(f_tid, __u32);
SET_MAP(f_uid, __u32);
SET_MAP(f_mntns, __u32);
SET_MAP(f_pidns, __u32);
SET_MAP(f_cgroup, __u64);
SET_MAP(f_comm, struct mw_comm_key);
SET_MAP(f_exe, struct mw_inode_key);
SET_MAP(f_pathdir, struct mw_inode_key);

/* Container id of a cgroup (by id), computed when the cgroup is first
 * seen (ctr_seen) and read by user space (container.c) for a cgroup that is
 * gone before user space could look it up. */
struct container_val {
	__u8 len;       /* 0: not in a container */
	char id[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct container_val);
} container_cache SEC(".maps");

static __always_inline bool on(__u32 bit)
{
	return flt_on & bit;
}

/* A filter's verdict, with its negation applied. */
static __always_inline bool verdict(__u32 bit, bool match)
{
	return (flt_neg & bit) ? !match : match;
}

static __always_inline struct mw_inode_key inode_key(struct inode *ino)
{
	struct mw_inode_key k = {};

	k.ino = BPF_CORE_READ(ino, i_ino);
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	return k;
}

/* cgroup of the task or one of its ancestors is in f_cgroup. */
static __always_inline bool cgroup_match(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	for (int i = 0; i < 16 && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);
		if (bpf_map_lookup_elem(&f_cgroup, &id))
			return true;
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	return false;
}

/* bpf_loop's context must live on the stack: the name itself is read from
 * the per-CPU scratch (evpath), which is free at entry. */
struct hexscan_ctx {
	__u32 run;
	__s32 found;  /* start of a 64-hex-digit run, -1 if none */
};

static __always_inline bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static long hexscan_step(__u32 i, struct hexscan_ctx *c)
{
	struct scratch *s = get_scratch();

	__u32 idx = i, nidx = i + 1;

	if (!s)
		return 1;
	/* opaque to clang, so the masks below stay for the verifier */
	asm volatile("" : "+r"(idx), "+r"(nidx));
	idx &= MW_CGNAME_MAX - 1;
	nidx &= MW_CGNAME_MAX - 1;
	char ch = s->evpath[idx];
	if (!ch)
		return 1;
	if (!is_hex(ch)) {
		c->run = 0;
		return 0;
	}
	if (++c->run == 64 && !is_hex(s->evpath[nidx])) {
		c->found = i - 63;
		return 1;
	}
	return 0;
}

static __always_inline bool prefix_is(const char *s, const char *pre, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != pre[i])
			return false;
	return true;
}

static __always_inline bool is_conmon(const char *name)
{
	return prefix_is(name, "libpod-conmon-", 14) || prefix_is(name, "crio-conmon-", 12);
}

/* The container id in the task's cgroup path (docker, containerd, cri-o,
 * podman layouts all put a 64-hex-digit id in one component's name),
 * computed once per cgroup and cached. */
static __always_inline struct container_val *task_container(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u64 key = BPF_CORE_READ(cg, kn, id);
	struct container_val *cv = bpf_map_lookup_elem(&container_cache, &key);
	struct scratch *s;

	if (cv)
		return cv;
	s = get_scratch();
	if (!s)
		return NULL;
	struct container_val *v = (struct container_val *)s->pb.data;
	v->len = 0;
	for (int lvl = 0; lvl < 8 && cg; lvl++) {
		struct hexscan_ctx hc = { .run = 0, .found = -1 };
		const char *name = BPF_CORE_READ(cg, kn, name);
		if (bpf_probe_read_kernel_str(s->evpath, MW_CGNAME_MAX, name) > 0) {
			/* podman's and CRI-O's monitor (libpod-conmon-<id>.scope,
			 * crio-conmon-<id>.scope) runs on the host's side */
			if (is_conmon(s->evpath))
				break;
			bpf_loop(MW_CGNAME_MAX, hexscan_step, &hc, 0);
			if (hc.found >= 0 && hc.found <= MW_CGNAME_MAX - 64) {
				__u32 off = hc.found;
				if (off > MW_CGNAME_MAX - 64)
					off = MW_CGNAME_MAX - 64;
				bpf_probe_read_kernel(v->id, 64, &s->evpath[off]);
				/* ids compare in lower case (the filter's words are) */
				for (int k = 0; k < 64; k++)
					if (v->id[k] >= 'A' && v->id[k] <= 'F')
						v->id[k] += 'a' - 'A';
				v->len = 64;
				break;
			}
		}
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	bpf_map_update_elem(&container_cache, &key, v, BPF_ANY);
	return bpf_map_lookup_elem(&container_cache, &key);
}

/* User space's verdict on a cgroup (enum MW_CTR_*, filter_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct mw_ctr_verdict);
} ctr_verdict SEC(".maps");

/* The announcements (MW_REC_CGROUP), apart from the events: user space's
 * resolver reads them at once, not behind a backlog of events. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ctr_rb SEC(".maps");

/* A MW_REC_CGROUP record asking user space to look the cgroup up. */
static __always_inline void ctr_announce_rec(__u64 cgid)
{
	struct mw_cgroup_rec r = { .type = MW_REC_CGROUP, .cgroup_id = cgid };

	if (bpf_ringbuf_output(&ctr_rb, &r, sizeof(r), BPF_RB_FORCE_WAKEUP))
		count(MW_CNT_CGROUP_RB_FULL);
}

/* The verdict on the task's cgroup. Its first call, and then each call of
 * another command while user space has not decided (the runtime's init
 * runs in the cgroup before it writes the state that names the container;
 * the container's own program comes after), announce the cgroup. */
/* A subprogram of its own: its locals (the verdict, the comm, the record)
 * stay off the callers' frames (the exits' call chains must stay under 512
 * bytes of stack on Debian 6.1's verifier). */
static __noinline __u8 ctr_seen(struct task_struct *task)
{
	__u64 cgid = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	struct mw_ctr_verdict *v = bpf_map_lookup_elem(&ctr_verdict, &cgid), nv = { .v = MW_CTR_PENDING };
	union {
		char c[16];
		__u64 w[2];
	} comm;

	if (v && !(v->v & MW_CTR_RECHECK) && (v->v & MW_CTR_VERDICT) != MW_CTR_PENDING)
		return v->v & MW_CTR_VERDICT;
	task_comm(bpf_get_current_task_btf(), comm.c); /* plain loads, no helper copy */
	if (v) { /* announce again when another command calls (an exec'd container program) */
		__u64 *kept = (__u64 *)v->comm;
		if (kept[0] == comm.w[0] && kept[1] == comm.w[1])
			return v->v & MW_CTR_VERDICT;
		kept[0] = comm.w[0];
		kept[1] = comm.w[1];
		ctr_announce_rec(cgid);
		return v->v & MW_CTR_VERDICT;
	}
	((__u64 *)nv.comm)[0] = comm.w[0];
	((__u64 *)nv.comm)[1] = comm.w[1];
	/* the id in its cgroup's path, kept for user space in case the cgroup
	 * is gone by the time it reads the announcement; with --container all
	 * or none, a cgroup that holds one is judged here at once */
	struct container_val *cv = task_container(task);
	if (flt_ctr_any && cv && cv->len)
		nv.v = flt_ctr_any_in ? MW_CTR_YES : MW_CTR_NO;
	if (bpf_map_update_elem(&ctr_verdict, &cgid, &nv, BPF_NOEXIST) == 0)
		ctr_announce_rec(cgid);
	return nv.v;
}

/* The scope filters but the container's. */
static __always_inline bool scope_filters_ok(__u64 id)
{
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct task_struct *task;

	if (on(MW_FLT_PID) && !verdict(MW_FLT_PID, bpf_map_lookup_elem(&f_pid, &tgid)))
		return false;
	if (on(MW_FLT_TID) && !verdict(MW_FLT_TID, bpf_map_lookup_elem(&f_tid, &tid)))
		return false;
	if (on(MW_FLT_UID)) {
		__u32 uid = current_uid();
		if (!verdict(MW_FLT_UID, bpf_map_lookup_elem(&f_uid, &uid)))
			return false;
	}
	if (on(MW_FLT_COMM)) {
		struct mw_comm_key k = {};
		task_comm(bpf_get_current_task_btf(), k.comm);
		if (!verdict(MW_FLT_COMM, bpf_map_lookup_elem(&f_comm, &k)))
			return false;
	}
	task = (struct task_struct *)bpf_get_current_task();
	if (on(MW_FLT_EXE)) {
		struct mw_inode_key k = inode_key(BPF_CORE_READ(task, mm, exe_file, f_inode));
		if (!verdict(MW_FLT_EXE, bpf_map_lookup_elem(&f_exe, &k)))
			return false;
	}
	if (on(MW_FLT_MNTNS)) {
		__u32 ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
		if (!verdict(MW_FLT_MNTNS, bpf_map_lookup_elem(&f_mntns, &ns)))
			return false;
	}
	if (on(MW_FLT_PIDNS)) {
		struct pid *tp = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(tp, level) & 31;
		struct upid up = {};
		bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level]);
		__u32 ns = BPF_CORE_READ(up.ns, ns.inum);
		if (!verdict(MW_FLT_PIDNS, bpf_map_lookup_elem(&f_pidns, &ns)))
			return false;
	}
	if (on(MW_FLT_CGROUP) && !verdict(MW_FLT_CGROUP, cgroup_match(task)))
		return false;
	return true;
}

/* Who is calling: evaluated at entry. A caller in scope whose cgroup is new
 * has it announced to user space (its container looked up while it runs);
 * --container, --pod, --k8s-namespace: user space's verdict on the cgroup. */
static __always_inline bool scope_ok(__u64 id)
{
	__u8 cv;

	if ((flt_on & MW_FLT_SCOPE) && !scope_filters_ok(id))
		return false;
	if (!ctr_announce && !on(MW_FLT_CONTAINER))
		return true;
	cv = ctr_seen((struct task_struct *)bpf_get_current_task());
	return !on(MW_FLT_CONTAINER) || cv != MW_CTR_NO;
}

/* Which argument holds prot / mmap flags / length comes from the catalogue (mw_arg_by_fmt). */

static __always_inline bool flags_match(__u64 flags, __u64 bits, __u32 type, bool all)
{
	bool tmatch = type && (flags & 0xf) == type;

	if (all)
		return (flags & bits) == bits && (!type || tmatch);
	return (flags & bits) || tmatch;
}

/* What is asked: evaluated at entry, file already resolved. */
static __always_inline bool args_ok(__u16 ev, const __u64 *a, const struct mw_file *f, bool fd_used,
				    bool has_file, bool path_hit)
{
	if (!(flt_on & MW_FLT_ARGS))
		return true;
	if (on(MW_FLT_PROT_ALL | MW_FLT_PROT_ANY)) {
		int pi = mw_arg_by_fmt(ev, MW_D_PROT);
		if (pi < 0)
			return false; /* the event has no prot: an argument filter cannot match it */
		__u64 prot = a[pi & 7];
		if (on(MW_FLT_PROT_ALL) && !verdict(MW_FLT_PROT_ALL, (prot & flt_prot_all) == flt_prot_all))
			return false;
		if (on(MW_FLT_PROT_ANY) && !verdict(MW_FLT_PROT_ANY, (prot & flt_prot_any) != 0 ||
							   (flt_prot_none && !(prot & 7))))
			return false;
	}
	if (on(MW_FLT_FLAGS_ALL | MW_FLT_FLAGS_ANY)) {
		int fi = mw_arg_by_fmt(ev, MW_D_MMAP_FLAGS);
		if (fi < 0)
			return false;
		__u64 fl = a[fi & 7];
		if (on(MW_FLT_FLAGS_ALL) &&
		    !verdict(MW_FLT_FLAGS_ALL, flags_match(fl, flt_flags_all, flt_type_all, true)))
			return false;
		if (on(MW_FLT_FLAGS_ANY) &&
		    !verdict(MW_FLT_FLAGS_ANY, flags_match(fl, flt_flags_any, flt_type_any, false)))
			return false;
	}
	if (on(MW_FLT_FDKIND)) {
		/* the calls that map a file or anonymous memory: those with mmap flags */
		if (mw_arg_by_fmt(ev, MW_D_MMAP_FLAGS) < 0)
			return false;
		__u32 kind = fd_used ? f->kind : MW_FK_NONE; /* includes badfd */
		if (!verdict(MW_FLT_FDKIND, (flt_fdkind >> (kind & 31)) & 1))
			return false;
	}
	if (on(MW_FLT_PATH)) {
		if (!has_file)
			return false;
		if (!verdict(MW_FLT_PATH, path_hit))
			return false;
	}
	if (on(MW_FLT_MINLEN)) {
		int li = mw_arg_by_fmt(ev, MW_D_LEN);
		if (li < 0 || a[li & 7] < flt_min_len)
			return false; /* a call without a length cannot be that long */
	}
	return true;
}

/* What the kernel answered: evaluated at exit. */
static __always_inline bool result_ok(long ret)
{
	bool failed = ret < 0 && ret >= -4095;

	if (!(flt_on & (MW_FLT_RESULT | MW_FLT_ERRNO)))
		return true;
	if (flt_result == 1 && !failed)
		return false;
	if (flt_result == 2 && failed)
		return false;
	if (on(MW_FLT_ERRNO)) {
		__u32 e = failed ? (__u32)-ret : 0;
		bool hit = failed && ((flt_errno[(e >> 6) & 63] >> (e & 63)) & 1);
		if (!verdict(MW_FLT_ERRNO, hit))
			return false;
	}
	return true;
}

#endif
