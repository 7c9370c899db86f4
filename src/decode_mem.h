/* decode_mem.h - names for the memory family's flag sets (MADV_*, MCL_*, MPOL_*, SHM_*, MFD_*, ...) and its user-memory arguments. */
#ifndef MW_DECODE_MEM_H
#define MW_DECODE_MEM_H

#include <stdint.h>
#include "mapwatch.h"
#include "strbuf.h"

/* Append the strace decoding of v for the flag-set decoders of
 * include/mw_calls.h (MW_D_MADV .. MW_D_RFP_FLAGS). Unknown values and
 * bits print as strace 6 prints them: a value or a word with no known bit
 * as "0x4d" followed by a comment naming the set (MADV_???), a remainder
 * after known bits as "|0x..". Returns 1, or 0 (nothing appended) for a
 * decoder that is not one of these. */
int mw_decode_mem_arg(struct strbuf *b, enum mw_arg_fmt fmt, uint64_t v);

/* code_write's route by its number (enum mw_cw_via): "ptrace", "process_vm_writev",
 * "proc_mem", "userfaultfd"; NULL when unknown. */
const char *mw_cw_via_name(uint64_t via);

/* Append what a user-memory argument (MW_D_USTR, MW_D_NODEMASK, ...)
 * pointed to, as strace prints it: "name" quoted, node masks as
 * [0x00000000000001] (words of the caller's long, zero-padded), arrays as
 * [a, b] (at most 32 elements, then ...). len == MW_UDATA_UNREAD (not read:
 * NULL, a fault, a failed call) prints the pointer (or NULL) instead.
 * compat: the caller ran the 32-bit ABI (4-byte longs and pointers). */
void mw_decode_udata(struct strbuf *b, enum mw_arg_fmt fmt, uint64_t ptr, const unsigned char *d,
		     unsigned len, int trunc, int compat);

/* True when brk(addr) was refused: the kernel answered the old break. */
int mw_brk_failed(uint64_t addr, int64_t ret);

#endif
