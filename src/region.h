/* region.h - one region of a process's memory as the region maps keep it (the type alone: regions.h keeps them). */
#ifndef MW_REGION_H
#define MW_REGION_H

#include <stdint.h>

#define MW_PAGE_SIZE 4096u

struct mw_region {
	uint64_t start, end;          /* [start, end), page-aligned, start < end */
	uint8_t prot;                 /* current PROT_READ|PROT_WRITE|PROT_EXEC bits */
	uint8_t was_writable;         /* 1: PROT_WRITE now or at some earlier time (sticky) */
	uint8_t file_backed;          /* 1: mapped from a file (not MAP_ANONYMOUS / inode != 0) */
	uint8_t growsdown;            /* 1: MAP_GROWSDOWN mapping or the "[stack]" of a seed */
	uint8_t history_unknown;      /* 1: the model did not see this memory being mapped
	                               * (seeded from /proc, or a gap a successful mprotect
	                               * proved mapped): was_writable == 0 proves nothing */
};

#endif
