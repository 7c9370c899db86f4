/* decode.h - names for the flag words and error numbers of the mapping syscalls. */
#ifndef MW_DECODE_H
#define MW_DECODE_H

#include <stdint.h>
#include "strbuf.h"

/* Each appends the strace-style decoding of a flag word to b: names joined
 * by '|', any unknown remainder as a hex number last (|0x80, or
 * "0x80 (MREMAP_??? comment)" when no bit has a name); a zero word as the
 * decoder's zero name (PROT_NONE) or "0". */

/* PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN|PROT_GROWSUP, 0 = PROT_NONE */
void mw_decode_prot(struct strbuf *b, uint64_t prot);

/* strace's rendering (decode.c says where it differs): the mapping type
 * first (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_DROPPABLE, MAP_FILE
 * for 0, else "0x4 (MAP_??? comment)"), then MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT,
 * MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE,
 * MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC,
 * MAP_FIXED_NOREPLACE, then the huge page size from bits 26..31
 * (MAP_HUGE_2MB with MAP_HUGETLB and a named size, else N<<MAP_HUGE_SHIFT),
 * then the unknown remainder as |0x... . */
void mw_decode_mmap_flags(struct strbuf *b, uint64_t flags);

/* MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, 0 = "0" */
void mw_decode_mremap_flags(struct strbuf *b, uint64_t flags);

/* MS_SYNC|MS_ASYNC|MS_INVALIDATE (strace's order), 0 = "0" */
void mw_decode_msync_flags(struct strbuf *b, uint64_t flags);

/* The text strace shows after the name ("Permission denied" for 13, as
 * strerror; "To be restarted if SA_RESTART is set" for ERESTARTSYS); NULL
 * when there is none. */
const char *mw_errno_text(int err);

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
