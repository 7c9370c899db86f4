/* decode.h - names for the flag words and error numbers of the mapping syscalls. */
#ifndef MW_DECODE_H
#define MW_DECODE_H

#include <stdint.h>
#include "strbuf.h"

/* Each appends the strace-style decoding of a flag word to b: names joined
 * by '|', any unknown remainder as a hex number (0x...) last; a zero word as
 * the decoder's zero name (PROT_NONE) or "0". */

/* PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN|PROT_GROWSUP, 0 = PROT_NONE */
void mw_decode_prot(struct strbuf *b, uint64_t prot);

/* Mapping type first (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, or the
 * raw type value 0x.. if none of these), then MAP_FIXED, MAP_ANONYMOUS,
 * MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED,
 * MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB,
 * MAP_SYNC, MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED, then the huge page size
 * from bits 26..31: MAP_HUGE_2MB, MAP_HUGE_1GB, or MAP_HUGE_<n> where n is
 * the size (64KB, 512KB, 1MB, 8MB, 16MB, 32MB, 256MB, 512MB, 2GB, 16GB, or
 * 1<<shift as "MAP_HUGE_SHIFT_<shift>" otherwise), then the unknown remainder. */
void mw_decode_mmap_flags(struct strbuf *b, uint64_t flags);

/* MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, 0 = "0" */
void mw_decode_mremap_flags(struct strbuf *b, uint64_t flags);

/* MS_ASYNC|MS_INVALIDATE|MS_SYNC, 0 = "0" */
void mw_decode_msync_flags(struct strbuf *b, uint64_t flags);

/* "EINVAL" for 22 etc. (positive errno); NULL when the number has no name. */
const char *mw_errno_name(int err);

/* Parse one flag name of the given family back to its value ("PROT_WRITE",
 * case-insensitive, prefix optional: "write", "W"/"X"/"R" for prot).
 * Returns 0 and sets *val, or -1 if unknown. family: "prot", "mmap",
 * "mremap", "msync". Used by the filter parser. */
int mw_flag_value(const char *family, const char *name, uint64_t *val);

/* Parse an errno name ("EACCES", case-insensitive) or number. Returns the
 * positive errno, or -1 if unknown. */
int mw_errno_value(const char *name);

#endif
