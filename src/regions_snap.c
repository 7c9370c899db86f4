/* regions_snap.c - a copy of one process's regions over a range, taken before a call changes them, and what the range held (for the alert rules). */
#include "regions_snap.h"

#include <stdlib.h>
#include <sys/mman.h>

#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define WX (PROT_WRITE | PROT_EXEC)

void mw_snap_free(struct mw_snap *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Copy the regions of pid overlapping [lo, hi), clipped to it. */
void mw_snap_take(struct mw_snap *s, const struct mw_regions *t, uint32_t pid, uint64_t lo,
		      uint64_t hi)
{
	size_t n, i, k;
	const struct mw_region *r = mw_regions_list(t, pid, &n);

	s->n = 0;
	i = mw_regions_end_after(r, n, lo);  /* first region ending after lo */
	for (k = i; k < n && r[k].start < hi; k++)
		;
	if (k - i > s->cap) {
		struct mw_region *nv = realloc(s->v, (k - i) * sizeof *nv);
		if (!nv)
			return;  /* described as unknown: alerts lose only their previousProt */
		s->v = nv;
		s->cap = k - i;
	}
	for (; i < k; i++) {
		struct mw_region c = r[i];
		if (c.start < lo)
			c.start = lo;
		if (c.end > hi)
			c.end = hi;
		s->v[s->n++] = c;
	}
}

/* What the snapshot held in [lo, hi), into al's previous-protection fields. */
void mw_snap_describe(const struct mw_snap *s, uint64_t lo, uint64_t hi, struct mw_alert *al)
{
	uint64_t known = 0;
	unsigned por = 0, pand = RWX;
	int ww = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t b = s->v[i].start > lo ? s->v[i].start : lo;
		uint64_t e = s->v[i].end < hi ? s->v[i].end : hi;
		if (b >= e)
			continue;
		known += e - b;
		por |= s->v[i].prot;
		pand &= s->v[i].prot;
		ww |= s->v[i].was_writable;
	}
	al->prev_known = known != 0;
	al->prev_prot = known ? (uint8_t)por : 0;
	al->prev_mixed = known && (por != pand || known < hi - lo);
	al->was_writable = known && ww;
}

/* Smallest range holding the parts of the snapshot inside [lo, hi) that
 * lack PROT_EXEC (and, with need_w, were writable now or earlier). 0 if none. */
int mw_snap_exec_added(const struct mw_snap *s, uint64_t lo, uint64_t hi, int need_w,
			   uint64_t *rs, uint64_t *re)
{
	int found = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t b = s->v[i].start > lo ? s->v[i].start : lo;
		uint64_t e = s->v[i].end < hi ? s->v[i].end : hi;
		if (b >= e || (s->v[i].prot & PROT_EXEC) || (need_w && !s->v[i].was_writable))
			continue;
		if (!found)
			*rs = b;
		*re = e;
		found = 1;
	}
	return found;
}

/* 1 when [lo, hi) was entirely known and already writable and executable
 * before the call: a W+X request there changes nothing (no new alert). */
int mw_snap_all_wx(const struct mw_snap *s, uint64_t lo, uint64_t hi)
{
	uint64_t at = lo;

	for (size_t i = 0; i < s->n && at < hi; i++) {
		if (s->v[i].end <= at)
			continue;
		if (s->v[i].start > at || (s->v[i].prot & WX) != WX)
			return 0;
		at = s->v[i].end;
	}
	return at >= hi;
}
