/* capture_abi.h - evidence records (--capture, --yara, call_from_anon) shared by the BPF exit and user space. */
#ifndef MW_CAPTURE_ABI_H
#define MW_CAPTURE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MW_REC_CHUNK 17          /* record type: struct mw_chunk_rec, sent just before its event */
#define MW_F_CAPTURE (1u << 11)  /* struct mw_event.flags: chunk records of this thread precede it */
#define MW_F_CALL_ANON (1u << 13) /* struct mw_event.flags: the user IP at the call lies in memory
				   * not backed by a regular file (anonymous, memfd, tmpfs, deleted) */
#define MW_F_CALL_ANON_RET (1u << 14) /* with MW_F_CALL_ANON: not the IP (a file's) but the return
				       * address the call left points into such executable memory */

#define MW_CHUNK_BYTES 4096      /* one page per chunk record */
#define MW_CAPTURE_MAX_DEFAULT (1024 * 1024)
#define MW_CAPTURE_RATE_DEFAULT (16 * 1024 * 1024) /* bytes per second over all captures */

/* struct mw_chunk_rec.flags */
#define MW_CHUNK_UNREAD 0x1      /* the page could not be read in the kernel (not present): data is zeros */
#define MW_CHUNK_TRUNC  0x2      /* the region is longer than the capture (--capture-max, budget) */
#define MW_CHUNK_BUDGET 0x4      /* the per-second byte budget cut the capture */
#define MW_CHUNK_LAST   0x8      /* the capture's last chunk */
#define MW_CHUNK_ENTRY  0x10     /* copied at the entry of a munmap/mprotect of W+X memory: its bytes before the call */
#define MW_CHUNK_EXIT   0x20     /* copied as its process exited (W+X memory still so): no event follows; the
				  * capture is whole at its MW_CHUNK_LAST chunk, before the MW_REC_EXIT record */

/* One page of a region that became executable, copied at the call's exit,
 * before the task returns to user space. A capture is the chunks of one
 * thread with the same ts (the event's entry time), index 0 .. count-1. */
struct mw_chunk_rec {
	__u16 type;        /* MW_REC_CHUNK */
	__u16 flags;       /* MW_CHUNK_* */
	__u32 pid, tid;    /* host ids */
	__u32 index;       /* page number in the capture */
	__u32 count;       /* pages the capture holds */
	__u32 pad;
	__u64 ts;          /* the event's ts */
	__u64 addr;        /* user address of this page */
	__u64 region_len;  /* bytes of the region the call made executable */
	__u8 data[MW_CHUNK_BYTES];
};

#endif /* MW_CAPTURE_ABI_H */
