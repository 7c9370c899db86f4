/* filter_abi.h - filter configuration shared by the BPF filters and the user-space filter parser. */
#ifndef MW_FILTER_ABI_H
#define MW_FILTER_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MW_MAX_FILTER_KEYS 1024
#define MW_CGNAME_MAX 256

/* One bit per filter (flt_on / flt_neg). */
enum {
	MW_FLT_PID = 1u << 0,
	MW_FLT_TID = 1u << 1,
	MW_FLT_COMM = 1u << 2,
	MW_FLT_UID = 1u << 3,
	MW_FLT_EXE = 1u << 4,
	MW_FLT_CGROUP = 1u << 5,
	MW_FLT_CONTAINER = 1u << 6, /* --container, --pod, --k8s-namespace: user space's verdict by cgroup */
	MW_FLT_MNTNS = 1u << 7,
	MW_FLT_PIDNS = 1u << 8,
	MW_FLT_PROT_ALL = 1u << 9,
	MW_FLT_PROT_ANY = 1u << 10,
	MW_FLT_FLAGS_ALL = 1u << 11,
	MW_FLT_FLAGS_ANY = 1u << 12,
	MW_FLT_FDKIND = 1u << 13,
	MW_FLT_PATH = 1u << 14,
	MW_FLT_MINLEN = 1u << 15,
	MW_FLT_RESULT = 1u << 16, /* --failed / --succeeded */
	MW_FLT_ERRNO = 1u << 17,
};

#define MW_FLT_SCOPE (MW_FLT_PID | MW_FLT_TID | MW_FLT_COMM | MW_FLT_UID | MW_FLT_EXE | \
		      MW_FLT_CGROUP | MW_FLT_CONTAINER | MW_FLT_MNTNS | MW_FLT_PIDNS)
#define MW_FLT_ARGS (MW_FLT_PROT_ALL | MW_FLT_PROT_ANY | MW_FLT_FLAGS_ALL | MW_FLT_FLAGS_ANY | \
		     MW_FLT_FDKIND | MW_FLT_PATH | MW_FLT_MINLEN)

/* ctr_verdict: what user space said of a cgroup (container.c, ctr_watch.c).
 * The verdict (v & MW_CTR_VERDICT): MW_CTR_PENDING from the cgroup's first
 * call until it is judged (calls pass, user space decides), MW_CTR_NO: out
 * of --container/--pod/--k8s-namespace's scope (its calls are dropped),
 * MW_CTR_YES. MW_CTR_RECHECK: no runtime describes the cgroup yet (its
 * state may come after the cgroup): announce it again when another command
 * calls in it. */
enum { MW_CTR_NO = 0, MW_CTR_YES = 1, MW_CTR_PENDING = 2, MW_CTR_VERDICT = 3, MW_CTR_RECHECK = 4 };

struct mw_ctr_verdict {
	__u8 v;
	__u8 pad[7];
	char comm[16];   /* the command that made the last announcement */
};

struct mw_comm_key {
	char comm[16];
};

/* A file identity: kernel dev_t encoding (major << 20 | minor) and inode. */
struct mw_inode_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

#endif
