/* regions_snap.h - a copy of one process's regions over a range, taken before a call changes them, and what the range held. */
#ifndef MW_REGIONS_SNAP_H
#define MW_REGIONS_SNAP_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "regions.h"

/* The regions of one process inside a window, clipped to it, copied before
 * a call changes them, so that what the range held can be described
 * afterwards. Zero-initialised is empty; mw_snap_free releases it. */
struct mw_snap {
	struct mw_region *v;
	size_t n, cap;
};

void mw_snap_free(struct mw_snap *s);

/* Copy the regions of pid overlapping [lo, hi), clipped to it (out of
 * memory: an empty copy, described as unknown). */
void mw_snap_take(struct mw_snap *s, const struct mw_regions *t, uint32_t pid, uint64_t lo, uint64_t hi);

/* What the snapshot held in [lo, hi), into al's previous-protection fields
 * (prev_known, prev_prot, prev_mixed, was_writable). */
void mw_snap_describe(const struct mw_snap *s, uint64_t lo, uint64_t hi, struct mw_alert *al);

/* Smallest range [*rs, *re) holding the parts of the snapshot inside
 * [lo, hi) that lack PROT_EXEC (and, with need_w, were writable now or
 * earlier). 0 if none. */
int mw_snap_exec_added(const struct mw_snap *s, uint64_t lo, uint64_t hi, int need_w, uint64_t *rs, uint64_t *re);

/* 1 when [lo, hi) was entirely known and already writable and executable. */
int mw_snap_all_wx(const struct mw_snap *s, uint64_t lo, uint64_t hi);

#endif
