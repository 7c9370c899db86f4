/* summary_abi.h - keys and values of the in-kernel summary map (-c), shared by BPF and user space. */
#ifndef MW_SUMMARY_ABI_H
#define MW_SUMMARY_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MW_SUM_MAX_KEYS 16384  /* distinct (group, event, errno) keys kept in the kernel */

/* What a summary groups calls by (--summary-by). */
enum mw_sum_by {
	MW_SUM_EVENT = 0,      /* one table for everything in scope */
	MW_SUM_PROCESS = 1,    /* key.group = tgid, key.comm = comm */
	MW_SUM_COMM = 2,       /* key.comm = comm */
	MW_SUM_EXE = 3,        /* key.group = executable inode, key.group2 = its device */
	MW_SUM_CONTAINER = 4,  /* key.group = cgroup id (user space maps it to a container) */
	MW_SUM_POD = 5,        /* key.group = cgroup id (user space maps it to a Kubernetes pod) */
};

struct mw_sum_key {
	__u64 group;
	__u32 group2;
	__u16 event;   /* enum mw_event_id */
	__u16 err;     /* errno of a failed call; 0 for a successful one */
	char comm[16]; /* zeroed unless grouping by process or comm */
};

/* Per CPU: user space sums the CPUs' values. */
struct mw_sum_val {
	__u64 calls;
	__u64 time_ns;   /* exit - entry, summed */
	__u64 len1;      /* args[1] of successful calls, summed (the length of most calls) */
	__u64 len2;      /* args[2] of successful calls, summed (mremap's new size) */
	__u32 tgid;      /* the last caller (names an executable's group) */
	__u32 pad;
};

#endif /* MW_SUMMARY_ABI_H */
