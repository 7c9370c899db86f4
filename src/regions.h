/* regions.h - per-process map of memory regions (prot, sticky "was writable") kept from mapping syscalls. */
#ifndef MW_REGIONS_H
#define MW_REGIONS_H

#include <stddef.h>
#include <stdint.h>
#include "region.h"

/*
 * A table of processes keyed by host tgid. Each process holds an ordered set
 * of disjoint regions [start, end) with their current protection and a
 * sticky bit that records whether the region was ever writable. The alert
 * "x_after_w" (PROT_EXEC newly given to memory that was writable now or
 * earlier in its life) is decided from what mw_regions_mprotect() returns.
 *
 * Conventions for every function below:
 * - Pages are MW_PAGE_SIZE bytes. Addresses passed in must be page-aligned
 *   (the kernel fails the call otherwise); lengths are rounded up to whole
 *   pages, as the kernel does. A range whose end would pass 2^64 is refused.
 * - Apply only calls the kernel reported as successful, in the order the
 *   kernel performed them; the model does not re-check what the kernel
 *   already decided (for example a mmap() answer that overlaps regions the
 *   model holds replaces them: the model was stale).
 * - A pid the table does not hold yet is added, empty, by any call that
 *   changes it (its state is then MW_PROC_PARTIAL).
 * - Functions returning int return 0 on success and -1 with errno set on
 *   failure (EINVAL for bad arguments, ENOMEM when memory ran out). A failed
 *   call changes no region (though pid may have been added, empty).
 * - Pointers into the table (mw_regions_list, mw_regions_find) stay valid
 *   until the next call that changes the table.
 * - prot arguments may carry any bits; only PROT_READ|PROT_WRITE|PROT_EXEC
 *   are kept (plus PROT_GROWSDOWN's meaning for mprotect).
 * - Not thread-safe: one table, one thread at a time.
 * - Threads share their process's entry (key by tgid). A vfork child shares
 *   its parent's memory until it execs; the model treats it as a fork.
 */

/* How much the table knows about a process. */
enum mw_proc_state {
	MW_PROC_ABSENT = 0,    /* not in the table */
	MW_PROC_PARTIAL = 1,   /* created by an event or reset by exec: regions mapped
	                        * before (or by the ELF loader) may be missing */
	MW_PROC_COMPLETE = 2,  /* seeded from /proc/PID/maps (or forked from such a
	                        * process): a gap in the model is unmapped memory */
};

/* What mw_regions_mprotect() found in the range before changing it. "Known"
 * parts are those the model had regions for; "gap" parts are those it had
 * none for (a successful mprotect proves they are mapped: they are filled
 * with the new prot, history_unknown set, was_writable = new prot has W). */
struct mw_prot_change {
	uint64_t start, end;      /* the range applied: page-rounded, and for
	                           * PROT_GROWSDOWN extended down to the start of
	                           * the growsdown mapping */
	uint64_t known_bytes;     /* bytes of the range in known parts */
	uint64_t gap_bytes;       /* bytes of the range in gap parts */
	int old_prot_or;          /* OR of the previous rwx bits of the known parts (0 if none) */
	int old_prot_and;         /* AND of them (0 if there is no known part) */
	int was_writable;         /* some known part was writable now or earlier */
	int history_unknown;      /* some part was a gap or has history_unknown set */
	int exec_added;           /* some known part lacked PROT_EXEC and gets it */
	int x_after_w;            /* some known part lacked PROT_EXEC, gets it, and was
	                           * writable now or earlier: raise the x_after_w alert.
	                           * (A part made writable and executable by this very
	                           * call does not count: that is a W+X mapping, which
	                           * the caller sees from the new prot itself.) */
	uint64_t xw_start, xw_end; /* smallest range holding every x_after_w part (0, 0 if none) */
};

struct mw_regions;

/* A new, empty table; NULL when out of memory. */
struct mw_regions *mw_regions_new(void);

/* Free the table and everything in it; NULL is a no-op. */
void mw_regions_free(struct mw_regions *t);

/* Number of processes in the table. */
size_t mw_regions_nprocs(const struct mw_regions *t);

/* State of pid (MW_PROC_ABSENT when the table does not hold it). */
enum mw_proc_state mw_regions_state(const struct mw_regions *t, uint32_t pid);

/* The regions of pid, sorted by address and disjoint; *n is set to their
 * count (0 and NULL returned for an absent or empty process). Adjacent
 * regions always differ in some attribute: equal neighbours are merged. */
const struct mw_region *mw_regions_list(const struct mw_regions *t, uint32_t pid, size_t *n);

/* The region of pid holding addr, or NULL. O(log n). */
const struct mw_region *mw_regions_find(const struct mw_regions *t, uint32_t pid, uint64_t addr);

/* A successful mmap/mmap2 that returned addr. [addr, addr+len) replaces
 * whatever the model held there (MAP_FIXED semantics). len is rounded up to
 * pages, or with MAP_HUGETLB to the huge page size of flags (2 MiB when the
 * size bits are 0). The new region is writable-sticky iff prot has
 * PROT_WRITE, file-backed iff flags lack MAP_ANONYMOUS, growsdown iff flags
 * have MAP_GROWSDOWN. len == 0 is refused (EINVAL). */
int mw_regions_mmap(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
		    uint64_t prot, uint64_t flags);

/* A successful munmap: removes [addr, addr+len), splitting regions that
 * overlap it partly. len == 0 is refused (EINVAL), as the kernel does. */
int mw_regions_munmap(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len);

/* A successful mprotect or pkey_mprotect: sets the rwx bits of
 * [addr, addr+len) to prot, splitting regions at the range ends. Sticky bits
 * are kept and set where prot has PROT_WRITE. With PROT_GROWSDOWN in prot and
 * addr inside a growsdown region, the range starts at the start of that
 * mapping (its contiguous growsdown regions of the same prot), as the kernel
 * does. len == 0 changes nothing. When out is not NULL it is filled (even for
 * len == 0) with what the range held before; see struct mw_prot_change. */
int mw_regions_mprotect(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
			uint64_t prot, struct mw_prot_change *out);

/* An mprotect or pkey_mprotect that FAILED with ENOMEM. Linux changes the
 * mappings from addr up to the first hole of the range and only then fails
 * (it changes nothing when addr itself is unmapped), so a caller ignoring
 * failures would miss e.g. mprotect(jit, len reaching past its end, RX).
 * This applies prot to [addr, first hole of the model's regions in the
 * range) like mw_regions_mprotect() and fills *out the same way
 * (out->start == out->end when nothing was applied). For a MW_PROC_PARTIAL
 * process a gap of the model may be mapped memory it did not see: the part
 * beyond it is then left unchanged. (Other errors, such as EACCES from a
 * later mapping, can also leave earlier mappings changed; they are not
 * modelled.) */
int mw_regions_mprotect_enomem(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
			       uint64_t prot, struct mw_prot_change *out);

/* A successful mremap(old_addr, old_size, new_size, flags, ...) that returned
 * new_addr. Sizes are rounded up to pages. With S = min(old_size, new_size):
 * - new_addr == old_addr: in place; a shrink unmaps the tail, a growth adds
 *   [old+old_size, old+new_size) with the attributes of the region holding
 *   the last old page.
 * - new_addr != old_addr: moved; the regions of [old, old+S) reappear at
 *   the same offsets from new_addr with their attributes (sticky bits
 *   included), a growth extends them as above, and [old, old+old_size) is
 *   unmapped unless flags has MREMAP_DONTUNMAP (then the old range stays
 *   mapped as it was). What the model held at [new, new+new_size) is
 *   replaced, except for a pure move (MREMAP_FIXED, old_size == new_size):
 *   since Linux 6.17 that may span several mappings and holes, and the
 *   destination parts facing holes of the old range are left as they were.
 * - old_size == 0 (duplicate a shared mapping): [new, new+new_size) gets the
 *   attributes of the region holding old_addr; the old one stays.
 * Parts of the old range the model had no region for stay unknown (nothing
 * is mapped for them at the new place). new_size == 0 is refused (EINVAL). */
int mw_regions_mremap(struct mw_regions *t, uint32_t pid, uint64_t old_addr, uint64_t old_size,
		      uint64_t new_size, uint64_t flags, uint64_t new_addr);

/* When pid's regions were read from /proc (CLOCK_BOOTTIME ns, taken before
 * the read): an event older than that may already show in them. 0 (the
 * default, and after fork, exec or a new seed without it): never. Returns 0,
 * or -1 when pid could not be added. */
int mw_regions_set_seeded_at(struct mw_regions *t, uint32_t pid, uint64_t ts);
uint64_t mw_regions_seeded_at(const struct mw_regions *t, uint32_t pid);

/* fork/clone without CLONE_VM: child gets a copy of parent's regions and
 * state (replacing any stale entry of child). An absent parent gives an
 * empty MW_PROC_PARTIAL child. parent == child is a no-op. */
int mw_regions_fork(struct mw_regions *t, uint32_t parent, uint32_t child);

/* A successful execve: pid's regions are dropped and its state becomes
 * MW_PROC_PARTIAL (the ELF loader's mappings are not seen; seed again to
 * learn them). */
int mw_regions_exec(struct mw_regions *t, uint32_t pid);

/* Process exit: pid leaves the table (absent pid: no-op). */
void mw_regions_exit(struct mw_regions *t, uint32_t pid);

/* Replace pid's regions with those described by text[0..len), the format of
 * /proc/PID/maps ("start-end perms offset dev inode [path]" per line; the
 * text need not be NUL-terminated). Each region gets the rwx bits of perms,
 * was_writable = has 'w', file_backed = inode != 0, growsdown for "[stack]",
 * and history_unknown = 1. The state becomes MW_PROC_COMPLETE. Lines that do
 * not parse (or are not page-aligned, or have end <= start) are skipped and
 * counted in *bad_lines when bad_lines is not NULL. Returns the number of
 * regions read (lines accepted), or -1 with errno (ENOMEM). */
int mw_regions_seed_maps(struct mw_regions *t, uint32_t pid, const char *text, size_t len,
			 size_t *bad_lines);

/* The first index of r[0..n) (sorted, disjoint) whose region ends after
 * addr; n when none does. */
size_t mw_regions_end_after(const struct mw_region *r, size_t n, uint64_t addr);

/* 1 when a and b have the same protection and attributes. */
int mw_region_same_attrs(const struct mw_region *a, const struct mw_region *b);

#endif
