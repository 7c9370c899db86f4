/* stack_abi.h - the user-stack record (--stack) shared by the BPF unwinder and the symbolizer. */
#ifndef MW_STACK_ABI_H
#define MW_STACK_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MW_STACK_MAX 127        /* most frames --stack-depth allows */
#define MW_REC_STACK 16         /* record type: struct mw_stack_rec, sent just before its event */
#define MW_F_STACK (1u << 12)   /* struct mw_event.flags: a stack record of this thread precedes it */

/* struct mw_stack_frame.flags */
#define MW_SF_IP    0x0         /* how it was found: the user instruction pointer */
#define MW_SF_SCAN  0x1         /* a return address found on the stack (a caller without frame pointer) */
#define MW_SF_FP    0x2         /* the frame-pointer chain */
#define MW_SF_HOW   0x3
#define MW_SF_FILE  0x4         /* in a file mapping: ino/dev/off name the file and offset in it */
#define MW_SF_VDSO  0x8         /* in the vDSO */

/* struct mw_stack_rec.flags: why the walk stopped */
#define MW_ST_END       0x1     /* the frame-pointer chain ended with a zero frame pointer */
#define MW_ST_DEPTH     0x2     /* --stack-depth frames taken: there may be more */
#define MW_ST_CUT       0x4     /* the chain went somewhere that is not a frame (no frame pointers) */
#define MW_ST_NOFP      0x8     /* no frame pointer found at all */
#define MW_ST_BUSY      0x10    /* the mmap lock was held: mappings could not be read */

struct mw_stack_frame {
	__u64 addr;   /* user address (a return address, except the first frame) */
	__u64 off;    /* MW_SF_FILE: offset in the file; otherwise offset from the mapping's start */
	__u64 ino;    /* MW_SF_FILE: inode of the mapped file */
	__u32 dev;    /* MW_SF_FILE: its device, kernel encoding (major << 20 | minor) */
	__u16 flags;  /* MW_SF_* */
	__u16 pad;
};

struct mw_stack_rec {
	__u16 type;      /* MW_REC_STACK */
	__u16 nframes;
	__u32 pid, tid;  /* host ids of the caller */
	__u16 flags;     /* MW_ST_* */
	__u16 compat;    /* 1: a 32-bit task */
	struct mw_stack_frame f[];
};

#endif /* MW_STACK_ABI_H */
