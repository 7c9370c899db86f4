/* summary_int.h - the summary's state and a report's groups, shared by summary.c (snapshots, groups) and summary_fmt.c (their text). */
#ifndef MW_SUMMARY_INT_H
#define MW_SUMMARY_INT_H

#include <stddef.h>
#include <stdint.h>
#include "container.h"
#include "strbuf.h"
#include "summary.h"

struct mw_sum_entry {
	struct mw_sum_key k;
	struct mw_sum_val v;
};

struct mw_sum_snap {
	struct mw_sum_entry *e;
	size_t n, cap;
};

struct mw_sum_row {          /* one event of one group, in one report */
	uint16_t event;
	uint64_t calls, errors, time_ns, mapped, unmapped, protected_;
};

struct mw_sum_err_count {
	uint16_t event, err;
	uint64_t n;
};

struct mw_sum_group {
	struct mw_sum_key k;       /* the key fields that identify the group */
	struct mw_ctr_info *ci;    /* container and pod modes: who (a copy), NULL for none */
	uint32_t tgid;             /* a caller (names an executable) */
	struct mw_sum_row *rows;
	size_t nrows;
	struct mw_sum_err_count *errs;
	size_t nerrs;
	struct mw_sum_row total;
};

struct mw_summary {
	struct mw_summary_opts o;
	struct mw_sum_snap cur, prev;
};

/* A group as strace -c's table (top_rows: the rows shown, 0 for all). */
void mw_sum_table_group(struct strbuf *b, const struct mw_summary *s, const struct mw_sum_group *g, unsigned top_rows);

/* A group as one JSON object of the report's "groups". */
void mw_sum_json_group(struct strbuf *b, const struct mw_summary *s, const struct mw_sum_group *g, unsigned top_rows);

#endif
