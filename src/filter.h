/* filter.h - parses the filter options and loads them into the BPF programs (which apply them in the kernel). */
#ifndef MW_FILTER_H
#define MW_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "filter_abi.h"
#include "ctr_match.h"

struct mapwatch_bpf;

/* Filter options, as getopt_long codes in main.c. */
enum mw_filter_opt {
	MW_OPT_PID = 2000, MW_OPT_TID, MW_OPT_COMM, MW_OPT_UID, MW_OPT_EXE, MW_OPT_CGROUP,
	MW_OPT_CONTAINER, MW_OPT_MNTNS, MW_OPT_PIDNS, MW_OPT_PROT_ALL, MW_OPT_PROT_ANY,
	MW_OPT_FLAGS_ALL, MW_OPT_FLAGS_ANY, MW_OPT_FDKIND, MW_OPT_PATH, MW_OPT_FAILED,
	MW_OPT_SUCCEEDED, MW_OPT_ERRNO, MW_OPT_MINLEN, MW_OPT_FOLLOW, MW_OPT_POD, MW_OPT_K8SNS,
};

struct mw_keyset {
	unsigned n;
	uint64_t v[64];          /* numeric keys (pid, uid, ns, cgroup id) */
};

struct mw_filters {
	uint32_t on, neg;        /* MW_FLT_* bits */
	bool follow;             /* --pid also covers descendants (traced map) */
	struct mw_keyset pid, tid, uid, mntns, pidns, cgroup;
	unsigned ncomm;
	char comm[64][16];
	unsigned nexe, npath;
	struct mw_inode_key exe[64], path[64];
	uint32_t prot_all, prot_any;
	uint8_t prot_none;       /* --prot-any none: also calls asking for PROT_NONE */
	uint64_t flags_all, flags_any;
	uint32_t type_all, type_any;
	uint32_t fdkind;
	uint64_t min_len;
	uint8_t result;          /* 1 failed, 2 succeeded */
	uint64_t errno_bits[64];
	struct mw_ctr_match ctr;  /* --container, --pod, --k8s-namespace (MW_FLT_CONTAINER): judged in user space */
};

/* Add one filter option's argument (a comma-separated list, spaces around
 * words trimmed; a leading ! or != negates the whole option). Repeats add up.
 * On a bad argument writes one line naming the option and the offending word
 * into err (no prefix, no newline) and returns -1 (exit 2). */
int mw_filter_add(struct mw_filters *f, int opt, const char *arg, char *err, size_t errlen);

/* Final consistency checks (e.g. --follow without --pid); -1 with a one-line reason in err. */
int mw_filter_finish(struct mw_filters *f, char *err, size_t errlen);

/* Write the filter configuration into the skeleton's read-only data (before load). */
void mw_filter_rodata(const struct mw_filters *f, struct mapwatch_bpf *skel);

/* Fill the filter maps (after load). Returns 0 or a negative errno. */
int mw_filter_maps(const struct mw_filters *f, struct mapwatch_bpf *skel);

#endif
