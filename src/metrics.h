/* metrics.h - the --metrics endpoint: Prometheus text exposition of the tracer's counters over HTTP, served by its own thread. */
#ifndef MW_METRICS_H
#define MW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "container.h"
#include "mapwatch.h"
#include "sink.h"
#include "strbuf.h"

#define MW_METRICS_RULES 128 /* rules published per rule (the rest only in --stats) */

/* What the tracer publishes (once per reader round, and at the end). */
struct mw_metrics_snap {
	uint64_t events[MW_EV_MAX];        /* events read from the kernel, by enum mw_event_id */
	uint64_t written;                  /* event lines written to the stream */
	uint64_t bpf[MW_CNT_MAX];          /* the kernel's counters (enum mw_counter) */
	const char *const *loss_names;     /* [MW_CNT_MAX]: reason label of each loss counter, NULL if not one */
	uint64_t proc_recs;                /* process records read */
	struct mw_ctr_stats ctr;           /* container lookups (container.c) */
	uint64_t hook_skipped;             /* program runs the kernel skipped (mw_hooks_stats.missed) */
	uint64_t alerts[MW_AL_KIND_MAX][3]; /* alerts emitted, by kind and severity */
	uint64_t alerts_suppressed;        /* silenced by --allow */
	uint64_t alerts_collapsed[MW_AL_KIND_MAX]; /* repeats folded into a count (--alert-rate) */
	int evidence_on;                   /* --capture/--yara: the evidence_* counters below are valid */
	uint64_t evidence_payloads, evidence_bytes, evidence_saved, evidence_write_failed,
		evidence_queue_dropped, evidence_quota_removed, yara_matched, yara_dropped;
	int nsinks;
	struct {
		char name[128];
		struct mw_sink_stats st;
	} sinks[MW_SINKS_MAX];
	/* the policy (src/policy.h), when alerts are on: per rule (the first MW_METRICS_RULES) */
	int nrules;
	struct {
		char name[64], action[8];
		uint64_t matched, written, limited;
	} rules[MW_METRICS_RULES];
	uint64_t rules_reloads, rules_reload_failures;
};

/* Counters of the endpoint itself (for tests and --stats). */
struct mw_metrics_http_stats {
	uint64_t served;    /* 200 answers */
	uint64_t refused;   /* 4xx/5xx answers and connections closed for time or size */
};

struct mw_metrics;

/* Listen on addr ("PORT", "HOST:PORT", "[V6]:PORT"; HOST defaults to
 * 127.0.0.1) and serve GET /metrics from a thread. rb_fd is the ring
 * buffer map (its fill is reported; -1: not reported); prog_fds[0..nprogs)
 * are the loaded BPF programs (run time reported when
 * kernel.bpf_stats_enabled is 1; the fds must stay open until
 * mw_metrics_stop()). Anything but "GET /metrics" gets a one-line refusal;
 * a request must arrive whole within 2 s and 4 KiB; at most 64 connections
 * are served at once, more are refused at once; none of it can block the
 * tracer. Returns NULL with a one-line reason in err. */
struct mw_metrics *mw_metrics_start(const char *addr, int rb_fd, const int *prog_fds,
				    const char *const *prog_names, int nprogs, char *err, size_t errlen);

/* Check a --metrics address ("PORT", "HOST:PORT", "[V6]:PORT", HOST numeric,
 * 127.0.0.1 by default) and split it. Returns 0, or -1 with a one-line
 * reason in err. */
int mw_metrics_parse_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen,
			  char *err, size_t errlen);

/* Replace the published snapshot (copied). */
void mw_metrics_publish(struct mw_metrics *m, const struct mw_metrics_snap *s);

/* The endpoint's own counters. */
void mw_metrics_http_stats(struct mw_metrics *m, struct mw_metrics_http_stats *st);

/* Stop the thread, close the socket, free m. NULL is a no-op. */
void mw_metrics_stop(struct mw_metrics *m);

/* Append the exposition text for s (and the endpoint's own counters, NULL
 * for none) to b: every family with # HELP and # TYPE, names
 * mapwatch_..._total for counters, label values escaped. */
void mw_metrics_format(struct strbuf *b, const struct mw_metrics_snap *s,
		       const struct mw_metrics_http_stats *hs);

#endif
