/* collapse.h - alert collapsing (--alert-rate): repeats of one alert kind for one process and region become a count per interval. */
#ifndef MW_COLLAPSE_H
#define MW_COLLAPSE_H

#include <stdint.h>
#include "alert.h"
#include "format.h"

/*
 * Sits between the alert engine and the sinks. The key of an alert is
 * (kind, pid, region start, region end). The first alert of a key is
 * reported in full; the repeats that follow are counted, and once per
 * interval each key with repeats yields one summary (kind, severity, pid,
 * comm, region, count). A key whose interval passes with no repeat is
 * forgotten, so its next alert is reported in full again. When the table
 * is full (MW_COLLAPSE_KEYS keys) an alert of a new key is reported in
 * full: nothing is ever dropped without being counted. Not thread-safe.
 */

#define MW_COLLAPSE_KEYS 16384

struct mw_collapse_summary {
	uint16_t kind, severity;
	uint32_t pid;
	char comm[16];
	uint64_t start, end;       /* 0, 0 when the alert has no region */
	uint64_t count;            /* repeats folded in this interval */
	uint64_t first_ns, last_ns; /* their times (ns since the epoch) */
	unsigned interval_s;
};

struct mw_collapse;

/* A collapser with an interval of interval_s seconds (>= 1). NULL when out
 * of memory. */
struct mw_collapse *mw_collapse_new(unsigned interval_s);
void mw_collapse_free(struct mw_collapse *c);

/* One alert al raised by v at now_ns (ns since the epoch). Returns 1 when
 * it is to be reported in full, 0 when it was folded into its key's count. */
int mw_collapse_alert(struct mw_collapse *c, const struct mw_view *v, const struct mw_alert *al,
		      uint64_t now_ns);

/* Close the intervals that have ended by now_ns (all of them when
 * now_ns is UINT64_MAX: at exit): calls emit once per key with repeats, in
 * no particular order. Returns the number of summaries emitted. */
int mw_collapse_tick(struct mw_collapse *c, uint64_t now_ns,
		     void (*emit)(void *ctx, const struct mw_collapse_summary *s), void *ctx);

/* Repeats folded so far, by kind (for --stats and metrics). */
uint64_t mw_collapse_folded(const struct mw_collapse *c, unsigned kind);

/* Format a summary: a JSON object ("eventName":"alert_repeats") or a table
 * line, no newline. */
void mw_collapse_json(struct strbuf *b, const struct mw_collapse_summary *s);
void mw_collapse_table(struct strbuf *b, const struct mw_collapse_summary *s);

#endif
