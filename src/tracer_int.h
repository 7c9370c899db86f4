/* tracer_int.h - the run's state, shared by tracer.c (the loop), tracer_rec.c (each record read), report.c (what it reports besides events) and tracer_rules.c (the policy's part). Not for the rest of mapwatch. */
#ifndef MW_TRACER_INT_H
#define MW_TRACER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "mapwatch.h"
#include "alerts.h"
#include "evidence.h"
#include "collapse.h"
#include "metrics.h"
#include "options.h"
#include "policy.h"
#include "sink.h"
#include "strbuf.h"
#include "stack.h"
#include "summary.h"

struct ring_buffer;
struct mapwatch_bpf;
struct mw_hooks;

struct tracer {
	const struct mw_opts *o;
	struct mw_hooks *hooks;
	struct mapwatch_bpf *skel; /* the hooks' skeleton: its maps */
	struct ring_buffer *rb;
	int wait_fd;               /* wait_set(): the ring buffer and the signal pipe */
	struct mw_sinks sinks;
	struct strbuf path;
	uint64_t boot_to_epoch;
	uint64_t written;
	uint64_t proc_recs;
	struct mw_ctr_watch *ctr_watch; /* the container resolver thread */
	uint64_t hook_skipped, hook_skipped_ns; /* programs' recursion misses, and when read (metrics) */
	uint64_t reported_loss[MW_CNT_MAX];
	struct mw_alerts *alerts;
	bool seeding;                 /* seeding the region maps from /proc, in rounds */
	struct mw_seed_report seed;
	uint64_t alerts_written;
	struct mw_summary *summary;
	struct mw_stacks *stacks;   /* --stack */
	uint64_t sum_start_ns;      /* CLOCK_MONOTONIC of the last summary (or of the start) */
	uint64_t sum_lost;          /* MW_CNT_SUM_FULL at the last summary */
	uint64_t events_by[MW_EV_MAX];              /* events read, by name (metrics) */
	uint64_t alerts_by[MW_AL_KIND_MAX][3];      /* alerts raised, by kind and severity */
	struct mw_collapse *collapse;               /* --alert-rate; NULL: every alert in full */
	struct strbuf notice_json, notice_table;
	struct mw_metrics *metrics;                 /* --metrics; NULL: no endpoint */
	struct mw_policy *policy;                   /* the rules deciding alerts (with alerts on) */
	const char **allow;                         /* --allow and the rules' kernel part: the hooks' list */
	uint64_t alerts_ignored, alerts_limited;    /* withheld by an ignore rule (or none matched), by a rate limit */
	uint64_t reloads, reload_failures;          /* SIGHUP rule reloads */
	struct mw_evidence *evidence;               /* --capture; NULL: no payloads */
};

/* report.c */
uint64_t mw_clock_ns(clockid_t c);                   /* clock c in ns */
void mw_read_counters(struct tracer *t, uint64_t out[MW_CNT_MAX]); /* the kernel's counters, summed over CPUs */
void mw_report_repeats(struct tracer *t, bool all);  /* --alert-rate: the repeats' summaries due (all: every one) */
void mw_report_losses(struct tracer *t);             /* "lost" records for what was lost since the last call */
void mw_write_summary(struct tracer *t, bool interval); /* -c: a summary to the sinks */
void mw_publish_metrics(struct tracer *t);           /* the counters to --metrics */
int mw_start_metrics(struct tracer *t);              /* --metrics: 0, or -1 after saying why */
void mw_warn_switch_gaps(struct tracer *t);          /* stderr, when --hook tracepoint left 32-bit starts unseen */
void mw_print_stats(struct tracer *t);               /* --stats */
void mw_report_notice(struct tracer *t, const char *what, const char *message); /* a line of mapwatch's own, to every sink */

/* tracer_rec.c: each record read */
struct mw_view;
struct mw_alert;
int mw_handle_rec(void *ctx, void *data, size_t size); /* the ring buffer's callback (ctx: the tracer) */
void mw_emit_scanned(void *ctx, const struct mw_view *v, const struct mw_alert *al); /* an alert back from its --yara scan */

/* tracer_rules.c: the policy's part of the run */
struct mw_hook_cfg;
int mw_rules_start(struct tracer *t);    /* --rules or the defaults, before anything starts: 0, or 2 after every error */
int mw_rules_hooks(struct tracer *t, struct mw_hook_cfg *hcfg); /* the rules' kernel part into the hooks' configuration */
void mw_rules_reload(struct tracer *t);  /* SIGHUP: the rules again, swapped between two records */

#endif
