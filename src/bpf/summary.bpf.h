/* summary.bpf.h - summary mode (-c): each call is added to a per-CPU map at exit instead of sent through the ring buffer. */
#ifndef MW_SUMMARY_BPF_H
#define MW_SUMMARY_BPF_H

#include "summary_abi.h"

const volatile bool summary_on = false;   /* -c: aggregate, send no per-call record */
const volatile __u8 summary_by = MW_SUM_EVENT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MW_SUM_MAX_KEYS);
	__type(key, struct mw_sum_key);
	__type(value, struct mw_sum_val);
} summary SEC(".maps");

/* Add the call in p, which returned ret, to the summary map. Keyed by the
 * event id, so every event of the catalogue is counted with no code here. */
static __always_inline void summary__add(const struct pending *p, long ret, __u64 id)
{
	struct mw_sum_key k = {};
	struct mw_sum_val *v;
	__u64 now = bpf_ktime_get_boot_ns();
	bool failed = ret < 0 && ret >= -4095;

	k.event = p->event;
	k.err = failed ? (__u16)-ret : 0;
	switch (summary_by) {
	case MW_SUM_PROCESS:
		k.group = id >> 32;
		task_comm(bpf_get_current_task_btf(), k.comm);
		break;
	case MW_SUM_COMM:
		task_comm(bpf_get_current_task_btf(), k.comm);
		break;
	case MW_SUM_EXE: {
		struct task_struct *t = bpf_get_current_task_btf();
		struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
		k.group = BPF_CORE_READ(ino, i_ino);
		k.group2 = BPF_CORE_READ(ino, i_sb, s_dev);
		break;
	}
	case MW_SUM_CONTAINER:
	case MW_SUM_POD:
		k.group = task_cgroup_id(bpf_get_current_task_btf());
		break;
	}
	v = bpf_map_lookup_elem(&summary, &k);
	if (!v) {
		struct mw_sum_val zero = {};
		bpf_map_update_elem(&summary, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&summary, &k);
		if (!v) {
			count(MW_CNT_SUM_FULL);
			return;
		}
	}
	v->calls++;
	v->time_ns += now - p->ts;
	if (!failed) {
		v->len1 += p->args[1];
		v->len2 += p->args[2];
	}
	v->tgid = id >> 32;
}

#endif
