/* summary.h - summary mode (-c): turns the kernel's per-CPU summary map into strace -c tables or JSON reports. */
#ifndef MW_SUMMARY_H
#define MW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include "summary_abi.h"
#include "strbuf.h"

struct mw_summary_opts {
	enum mw_sum_by by;
	unsigned top;      /* keep the N largest groups (event mode: events); 0 = all */
};

struct mw_summary;

/* A summary with no calls yet; NULL when out of memory. */
struct mw_summary *mw_summary_new(const struct mw_summary_opts *o);

/* Free it; NULL is a no-op. */
void mw_summary_free(struct mw_summary *s);

/* "event", "process", ... for enum mw_sum_by; parse back: -1 if unknown. */
const char *mw_summary_by_name(enum mw_sum_by by);
int mw_summary_by_value(const char *name);

/* Start a new snapshot of the kernel's totals. */
void mw_summary_begin(struct mw_summary *s);

/* Add one key's value (already summed over CPUs) to the snapshot begun last.
 * Returns 0, or -1 when out of memory. */
int mw_summary_put(struct mw_summary *s, const struct mw_sum_key *k, const struct mw_sum_val *v);

/* Read every key of the kernel's summary map (a BPF_MAP_TYPE_PERCPU_HASH
 * of struct mw_sum_key -> struct mw_sum_val, fd) into a new snapshot.
 * Returns 0, or a negative errno. */
int mw_summary_read_map(struct mw_summary *s, int fd);

/* Append the report of what the last snapshot adds to the one the previous
 * report covered (everything, for the first report) to tbl as text (when
 * not NULL) and to json as one JSON object (when not NULL; no newline). The
 * text is a table per group as strace -c prints it (% time, seconds,
 * usecs/call, calls, errors) plus bytes mapped / unmapped / protected by
 * successful calls, then the errno breakdown of failures; it ends without
 * a newline. ts_ns is the report's time (epoch ns), seconds the time it
 * covers, interval true for a periodic report (the text gets a header
 * line), lost the calls the kernel could not count since the last report
 * (summary map full). That snapshot then becomes the baseline. */
void mw_summary_report(struct mw_summary *s, struct strbuf *tbl, struct strbuf *json, uint64_t ts_ns,
		       double seconds, bool interval, uint64_t lost);

#endif
