/* report.c - what a run reports besides events: losses, alert repeats, -c summaries, --metrics, --stats and the 32-bit switch warning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "container.h"
#include "ctr_watch.h"
#include "msg.h"
#include "mapwatch.skel.h"
#include "format.h"
#include "hooks.h"
#include "tracer_int.h"

uint64_t mw_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The kernel's counters, summed over CPUs. Read after every reader round
 * (mw_report_losses): one BPF_MAP_LOOKUP_BATCH for all of them, where it was
 * one lookup per counter (12 bpf(2) calls a round, ~10 % of the reader's
 * CPU at 400,000 events/s); per counter where the kernel lacks the batch
 * operation for this map type. */
void mw_read_counters(struct tracer *t, uint64_t out[MW_CNT_MAX])
{
	static uint64_t *vals; /* MW_CNT_MAX x CPUs, kept: this runs every round */
	static int ncpu;
	static bool no_batch;
	int fd = bpf_map__fd(t->skel->maps.counters);

	memset(out, 0, sizeof(uint64_t) * MW_CNT_MAX);
	if (!vals) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu < 1)
			ncpu = 1;
		vals = calloc((size_t)ncpu * MW_CNT_MAX, sizeof(uint64_t));
		if (!vals)
			return;
	}
	if (!no_batch) {
		uint32_t keys[MW_CNT_MAX] = { 0 }, next = 0, count = MW_CNT_MAX;
		int err;

		/* defined before the call, for valgrind, which does not know what the batch writes */
		memset(vals, 0, (size_t)ncpu * MW_CNT_MAX * sizeof(uint64_t));
		err = bpf_map_lookup_batch(fd, NULL, &next, keys, vals, &count, NULL);

		if ((err == 0 || err == -ENOENT) && count == MW_CNT_MAX) {
			for (uint32_t i = 0; i < count; i++)
				for (int c = 0; c < ncpu; c++)
					if (keys[i] < MW_CNT_MAX)
						out[keys[i]] += vals[(size_t)i * (size_t)ncpu + (size_t)c];
			return;
		}
		no_batch = true;
		memset(out, 0, sizeof(uint64_t) * MW_CNT_MAX);
	}
	for (uint32_t k = 0; k < MW_CNT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
}

static void emit_repeats(void *ctx, const struct mw_collapse_summary *cs)
{
	struct tracer *t = ctx;
	struct mw_rec rec = { .kind = MW_RK_NOTICE, .ts_ns = cs->last_ns, .notice_severity = cs->severity };

	sb_reset(&t->notice_json);
	sb_reset(&t->notice_table);
	mw_collapse_json(&t->notice_json, cs);
	mw_collapse_table(&t->notice_table, cs);
	if (t->notice_json.oom || t->notice_table.oom)
		return;
	rec.notice_json = t->notice_json.p;
	rec.notice_table = t->notice_table.p;
	mw_sinks_emit(&t->sinks, &rec);
}

/* Summaries of the collapsing intervals that ended (all of them at exit). */
void mw_report_repeats(struct tracer *t, bool all)
{
	if (t->collapse)
		mw_collapse_tick(t->collapse, all ? UINT64_MAX : mw_clock_ns(CLOCK_REALTIME), emit_repeats, t);
}

static const char *const loss_names[MW_CNT_MAX] = {
	[MW_CNT_RB_FULL] = "ring_buffer_full",
	[MW_CNT_PROC_RB_FULL] = "process_record_ring_buffer_full",
	[MW_CNT_NO_ENTRY] = "unmatched_exit",
	[MW_CNT_PENDING_FULL] = "pending_map_full",
	[MW_CNT_TRACED_FULL] = "traced_map_full", /* a count of processes, not events */
	[MW_CNT_CAP_RB_FULL] = "capture_ring_buffer_full", /* captures cut short (capture.bpf.h) */
};


/* Report losses that happened since the last report, in the output stream. */
void mw_report_losses(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];

	mw_read_counters(t, c);
	for (int k = 0; k < MW_CNT_MAX; k++) {
		if (!loss_names[k] || c[k] == t->reported_loss[k])
			continue;
		struct mw_rec rec = { .kind = MW_RK_LOST, .ts_ns = mw_clock_ns(CLOCK_REALTIME),
				      .reason = loss_names[k], .count = c[k] - t->reported_loss[k],
				      .total = c[k] };
		t->reported_loss[k] = c[k];
		mw_sinks_emit(&t->sinks, &rec);
	}
}

/* Report what the kernel counted since the last summary (-c), to the sinks. */
void mw_write_summary(struct tracer *t, bool interval)
{
	uint64_t c[MW_CNT_MAX], now = mw_clock_ns(CLOCK_MONOTONIC), ts = mw_clock_ns(CLOCK_REALTIME);
	struct strbuf tbl = { 0 }, js = { 0 };
	int err = mw_summary_read_map(t->summary, bpf_map__fd(t->skel->maps.summary));

	if (err) {
		mw_err_line("reading the summary map failed: %s", strerror(-err));
		return;
	}
	mw_read_counters(t, c);
	mw_summary_report(t->summary, &tbl, &js, ts, (now - t->sum_start_ns) / 1e9, interval,
			  c[MW_CNT_SUM_FULL] - t->sum_lost);
	t->sum_lost = c[MW_CNT_SUM_FULL];
	t->sum_start_ns = now;
	struct mw_rec rec = { .kind = MW_RK_NOTICE, .ts_ns = ts, .notice_json = js.p ? js.p : "{}",
			      .notice_table = tbl.p ? tbl.p : "" };
	mw_sinks_emit(&t->sinks, &rec);
	sb_free(&tbl);
	sb_free(&js);
}

/* A line of mapwatch's own about its rules, to every sink (syslog too):
 * JSON {"timestamp","eventName":"rules_notice","notice":WHAT,"message"}. */
void mw_report_notice(struct tracer *t, const char *what, const char *message)
{
	uint64_t ts = mw_clock_ns(CLOCK_REALTIME);
	struct strbuf js = { 0 }, tbl = { 0 };

	sb_puts(&js, "{\"timestamp\":");
	sb_put_u64(&js, ts);
	sb_puts(&js, ",\"eventName\":\"rules_notice\",\"notice\":");
	sb_json_str(&js, what, strlen(what));
	sb_puts(&js, ",\"message\":");
	sb_json_str(&js, message, strlen(message));
	sb_putc(&js, '}');
	sb_puts(&tbl, "mapwatch: ");
	sb_puts(&tbl, what);
	sb_puts(&tbl, ": ");
	sb_text_str(&tbl, message, strlen(message));
	struct mw_rec rec = { .kind = MW_RK_NOTICE, .ts_ns = ts, .notice_json = js.p ? js.p : "{}",
			      .notice_table = tbl.p ? tbl.p : "", .notice_severity = MW_SEV_MEDIUM };
	mw_sinks_emit(&t->sinks, &rec);
	sb_free(&js);
	sb_free(&tbl);
}

/* --stats: what each rule decided, and the policy's own counts. */
static void rules_stats(struct tracer *t, struct strbuf *b, bool json)
{
	const struct mw_ruleset *rs = mw_policy_rules(t->policy);
#define U(x) ((unsigned long long)(x))
	if (json) {
		sb_printf(b, ",\"policy\":{\"ignored\":%llu,\"rateLimited\":%llu,\"unmatched\":%llu,\"reloads\":%llu,"
			  "\"reloadFailures\":%llu,\"rules\":[", U(t->alerts_ignored), U(t->alerts_limited),
			  U(mw_policy_unmatched(t->policy)), U(t->reloads), U(t->reload_failures));
		for (unsigned i = 0; i < rs->n; i++) {
			const struct mw_rule *r = &rs->r[i];
			sb_puts(b, i ? ",{\"name\":" : "{\"name\":");
			sb_json_str(b, r->name, strlen(r->name));
			sb_printf(b, ",\"action\":\"%s\",\"matched\":%llu,\"written\":%llu,\"rateLimited\":%llu}",
				  mw_rule_action_name(r->action), U(r->st.matched), U(r->st.emitted), U(r->st.limited));
		}
		sb_puts(b, "]}");
		return;
	}
	sb_printf(b, "mapwatch: rules: %u; alerts withheld by ignore rules %llu, by rate limits %llu, matched by no rule %llu; reloads %llu (refused %llu)\n",
		  rs->n, U(t->alerts_ignored - mw_policy_unmatched(t->policy)), U(t->alerts_limited),
		  U(mw_policy_unmatched(t->policy)), U(t->reloads), U(t->reload_failures));
	for (unsigned i = 0; i < rs->n; i++) {
		const struct mw_rule *r = &rs->r[i];
		if (r->st.matched)
			sb_printf(b, "mapwatch: rule %s (%s): matched %llu, written %llu, rate-limited %llu\n", r->name,
				  mw_rule_action_name(r->action), U(r->st.matched), U(r->st.emitted), U(r->st.limited));
	}
#undef U
}

/* --stats: --capture's counts, evidence.c's and the kernel's (c: its counters). */
static void capture_stats(struct tracer *t, struct strbuf *b, const uint64_t *c, bool json)
{
	mw_evidence_stats_text(t->evidence, b, json);
	if (json)
		sb_printf(b, ",\"capture\":{\"pagesCopied\":%llu,\"ringBufferFull\":%llu,\"budgetSpent\":%llu}",
			  (unsigned long long)c[MW_CNT_CAP_PAGES], (unsigned long long)c[MW_CNT_CAP_RB_FULL],
			  (unsigned long long)c[MW_CNT_CAP_BUDGET]);
	else
		sb_printf(b, "mapwatch: capture in the kernel: pages copied %llu, captures cut short by a full ring buffer %llu, by the byte budget %llu\n",
			  (unsigned long long)c[MW_CNT_CAP_PAGES], (unsigned long long)c[MW_CNT_CAP_RB_FULL],
			  (unsigned long long)c[MW_CNT_CAP_BUDGET]);
}

/* Hand the counters to the --metrics endpoint. */
void mw_publish_metrics(struct tracer *t)
{
	struct mw_metrics_snap *m;

	if (!t->metrics || !(m = calloc(1, sizeof(*m))))
		return;
	memcpy(m->events, t->events_by, sizeof(m->events));
	m->written = t->written;
	mw_read_counters(t, m->bpf);
	m->loss_names = loss_names;
	m->proc_recs = t->proc_recs;
	mw_ctr_stats(&m->ctr);
	/* the programs' miss counts cost a syscall each: read once a second */
	uint64_t now = mw_clock_ns(CLOCK_MONOTONIC);
	if (!t->hook_skipped_ns || now - t->hook_skipped_ns >= 1000000000ull) {
		struct mw_hooks_stats hs;
		mw_hooks_get_stats(t->hooks, &hs);
		t->hook_skipped = hs.missed;
		t->hook_skipped_ns = now;
	}
	m->hook_skipped = t->hook_skipped;
	memcpy(m->alerts, t->alerts_by, sizeof(m->alerts));
	if (t->policy) {
		const struct mw_ruleset *rs = mw_policy_rules(t->policy);
		for (unsigned i = 0; i < rs->n && i < MW_METRICS_RULES; i++) {
			snprintf(m->rules[i].name, sizeof(m->rules[i].name), "%s", rs->r[i].name);
			snprintf(m->rules[i].action, sizeof(m->rules[i].action), "%s", mw_rule_action_name(rs->r[i].action));
			m->rules[i].matched = rs->r[i].st.matched;
			m->rules[i].written = rs->r[i].st.emitted;
			m->rules[i].limited = rs->r[i].st.limited;
		}
		m->nrules = rs->n < MW_METRICS_RULES ? (int)rs->n : MW_METRICS_RULES;
		m->rules_reloads = t->reloads;
		m->rules_reload_failures = t->reload_failures;
	}
	if (t->alerts) {
		struct mw_alerts_stats st;
		mw_alerts_get_stats(t->alerts, &st);
		m->alerts_suppressed = st.suppressed;
	}
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++)
		m->alerts_collapsed[k] = mw_collapse_folded(t->collapse, k);
	if (t->evidence) {
		struct mw_evidence_stats es;
		mw_evidence_stats(t->evidence, &es);
		m->evidence_on = 1;
		m->evidence_payloads = es.payloads;
		m->evidence_bytes = es.bytes;
		m->evidence_saved = es.store.saved;
		m->evidence_write_failed = es.store.write_failed;
		m->evidence_queue_dropped = es.store.queue_dropped;
		m->evidence_quota_removed = es.store.quota_removed;
		m->yara_matched = es.yara.matched;
		m->yara_dropped = es.yara.dropped;
	}
	for (int i = 0; i < t->sinks.n; i++) {
		struct mw_sink *s = t->sinks.s[i];
		snprintf(m->sinks[m->nsinks].name, sizeof(m->sinks[0].name), "%s", s->name);
		if (s->ops->stats)
			s->ops->stats(s, &m->sinks[m->nsinks].st);
		m->nsinks++;
	}
	mw_metrics_publish(t->metrics, m);
	free(m);
}

/* Start the --metrics endpoint (after the programs are loaded). */
int mw_start_metrics(struct tracer *t)
{
	struct bpf_program *p;
	int fds[64], n = 0;
	const char *names[64];
	char err[256];

	bpf_object__for_each_program(p, t->skel->obj) {
		if (n < 64 && bpf_program__fd(p) >= 0) {
			fds[n] = bpf_program__fd(p);
			names[n++] = bpf_program__name(p);
		}
	}
	t->metrics = mw_metrics_start(t->o->metrics, bpf_map__fd(t->skel->maps.rb), fds, names, n, err,
				      sizeof(err));
	if (!t->metrics) {
		mw_err_line("%s", err);
		return -1;
	}
	mw_publish_metrics(t);
	return 0;
}

/* How 32-bit calls are seen, for --stats: "fromStart" (every one, from a
 * task's first instruction), "afterSwitch" (--hook tracepoint), "off". */
static const char *compat_word(const struct mw_hooks_stats *hs)
{
	return hs->compat_from_start ? "fromStart" : hs->switching ? "afterSwitch" : "off";
}

/* A run whose hooks left 32-bit starts unseen says so on stderr, --stats or not. */
void mw_warn_switch_gaps(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];
	struct mw_hooks_stats hs;

	mw_hooks_get_stats(t->hooks, &hs);
	if (!hs.switching)
		return;
	mw_read_counters(t, c);
	if (c[MW_CNT_HOOK_GAP])
		mw_err_line("warning: %llu 32-bit process start%s ran before the dispatcher was attached (longest window %llu us): their first calls may be missing; --hook auto sees them",
			    (unsigned long long)c[MW_CNT_HOOK_GAP], c[MW_CNT_HOOK_GAP] == 1 ? "" : "s",
			    (unsigned long long)(hs.gap_max_ns / 1000));
}

/* --stats: the counts on stderr, as lines for people (README "--stats"
 * explains each one) or, with --json, as one JSON object. */
void mw_print_stats(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];
	struct mw_alerts_stats st = { 0 };
	bool tree = t->o->cmd || t->o->filters.follow;
	uint64_t folded = 0;
	struct strbuf b = { 0 };

#define U(x) ((unsigned long long)(x))
	mw_read_counters(t, c);
	struct mw_ctr_stats cs;
	mw_ctr_stats(&cs);
	uint64_t lost = c[MW_CNT_RB_FULL] + c[MW_CNT_NO_ENTRY] + c[MW_CNT_PENDING_FULL];
	struct mw_hooks_stats hs;
	mw_hooks_get_stats(t->hooks, &hs);
	if (t->alerts)
		mw_alerts_get_stats(t->alerts, &st);
	for (unsigned k = 0; t->collapse && k < MW_AL_KIND_MAX; k++)
		folded += mw_collapse_folded(t->collapse, k);
	if (t->o->json) {
		sb_printf(&b, "{\"schemaVersion\":1,\"stats\":\"mapwatch\",\"eventsSeen\":%llu,\"eventsWritten\":%llu,"
			  "\"eventsLost\":%llu,\"lost\":{\"ringBufferFull\":%llu,\"unmatchedExit\":%llu,\"pendingMapFull\":%llu},"
			  "\"filteredInKernel\":%llu,\"outsideTracedTree\":%llu,\"processRecords\":%llu,\"processRecordsLost\":%llu",
			  U(c[MW_CNT_SEEN]), U(t->written), U(lost), U(c[MW_CNT_RB_FULL]), U(c[MW_CNT_NO_ENTRY]),
			  U(c[MW_CNT_PENDING_FULL]), U(c[MW_CNT_FILTERED]), U(c[MW_CNT_OUT_OF_TREE]),
			  U(t->proc_recs), U(c[MW_CNT_PROC_RB_FULL]));
		sb_printf(&b, ",\"exitOnly\":%llu,\"tracedMapFull\":%llu", U(c[MW_CNT_EXIT_ONLY]), U(c[MW_CNT_TRACED_FULL]));
		sb_printf(&b, ",\"containers\":{\"lookups\":%llu,\"named\":%llu,\"namedLate\":%llu,\"unresolved\":%llu,\"stateErrors\":%llu,"
			  "\"gone\":%llu,\"cacheEntries\":%llu,\"evictions\":%llu,\"lookupUsMax\":%llu,\"lookupUsMean\":%llu,"
			  "\"announced\":%llu,\"announcementsLost\":%llu}",
			  U(cs.lookups), U(cs.containers), U(cs.late), U(cs.unresolved), U(cs.state_errors), U(cs.gone), U(cs.entries),
			  U(cs.evictions), U(cs.lookup_max_ns / 1000), U(cs.lookups ? cs.lookup_ns / cs.lookups / 1000 : 0),
			  U(mw_ctr_watch_records(t->ctr_watch)), U(c[MW_CNT_CGROUP_RB_FULL]));
		sb_printf(&b, ",\"hooks\":{\"mode\":\"%s\",\"compat\":\"%s\",\"toDispatcher\":%llu,\"toTracepoints\":%llu,"
			  "\"switchGap\":%llu,\"longestWindowUs\":%llu,\"skippedRuns\":%llu}", hs.mode, compat_word(&hs),
			  U(hs.to_disp), U(hs.to_tp), U(c[MW_CNT_HOOK_GAP]), U(hs.gap_max_ns / 1000), U(hs.missed));
		if (t->alerts)
			sb_printf(&b, ",\"alerts\":{\"raised\":%llu,\"written\":%llu,\"silencedByAllow\":%llu,"
				  "\"collapsed\":%llu,\"seededFromProc\":%llu,\"seedFailed\":%llu}",
				  U(st.raised), U(t->alerts_written), U(st.suppressed), U(folded), U(st.seeded),
				  U(st.seed_failed));
		if (t->policy)
			rules_stats(t, &b, true);
		if (t->evidence)
			capture_stats(t, &b, c, true);
		sb_puts(&b, ",\"outputs\":[");
	} else {
		sb_printf(&b, "mapwatch: events seen %llu, written %llu%s, lost %llu (ring buffer full %llu, unmatched exit %llu, pending map full %llu), filtered in kernel %llu",
			  U(c[MW_CNT_SEEN]), U(t->written), t->o->alerts_only ? " (--alerts-only: alerts only)" : "",
			  U(lost), U(c[MW_CNT_RB_FULL]), U(c[MW_CNT_NO_ENTRY]), U(c[MW_CNT_PENDING_FULL]),
			  U(c[MW_CNT_FILTERED]));
		if (tree)
			sb_printf(&b, "; calls of processes outside the traced tree %llu", U(c[MW_CNT_OUT_OF_TREE]));
		/* rare conditions, named only when they happened */
		if (c[MW_CNT_EXIT_ONLY])
			sb_printf(&b, "; reported from the exit alone (seccomp) %llu", U(c[MW_CNT_EXIT_ONLY]));
		if (c[MW_CNT_TRACED_FULL])
			sb_printf(&b, "; processes not followed (traced map full) %llu", U(c[MW_CNT_TRACED_FULL]));
		if (hs.missed)
			sb_printf(&b, "; hook runs the kernel skipped (another BPF program was running on that CPU) %llu",
				  U(hs.missed));
		sb_printf(&b, "\nmapwatch: process records (executable paths) read %llu, lost %llu\n",
			  U(t->proc_recs), U(c[MW_CNT_PROC_RB_FULL]));
		if (cs.lookups)
			sb_printf(&b, "mapwatch: cgroups looked up %llu (containers named by their runtime %llu, containers no runtime's state describes %llu, gone before the lookup %llu), state files unreadable or malformed %llu; cached %llu, evicted %llu; lookup time mean %llu us, longest %llu us\n",
				  U(cs.lookups), U(cs.containers), U(cs.unresolved), U(cs.gone), U(cs.state_errors),
				  U(cs.entries), U(cs.evictions), U(cs.lookup_ns / cs.lookups / 1000), U(cs.lookup_max_ns / 1000));
		if (hs.switching)
			sb_printf(&b, "mapwatch: hooks: %llu switches to the dispatcher, %llu back to tracepoints; %llu 32-bit process starts before the dispatcher was attached (longest window %llu us)\n",
				  U(hs.to_disp), U(hs.to_tp), U(c[MW_CNT_HOOK_GAP]), U(hs.gap_max_ns / 1000));
		if (t->alerts) {
			sb_printf(&b, "mapwatch: alerts raised %llu, written %llu, silenced by --allow %llu; processes seeded from /proc %llu (failed %llu)\n",
				  U(st.raised), U(t->alerts_written), U(st.suppressed), U(st.seeded), U(st.seed_failed));
			if (t->collapse)
				sb_printf(&b, "mapwatch: alerts written in full %llu, repeats counted in summaries %llu (--alert-rate %u)\n",
					  U(t->alerts_written), U(folded), t->o->alert_rate);
			if (t->policy)
				rules_stats(t, &b, false);
		}
		if (t->evidence)
			capture_stats(t, &b, c, false);
	}
	int nout = 0;
	for (int i = 0; i < t->sinks.n; i++) {
		struct mw_sink *s = t->sinks.s[i];
		struct mw_sink_stats ss = { 0 };
		if (!s->ops->stats)
			continue;
		s->ops->stats(s, &ss);
		if (t->o->json) {
			sb_puts(&b, nout++ ? ",{\"name\":" : "{\"name\":");
			sb_json_str(&b, s->name, strlen(s->name));
			sb_printf(&b, ",\"written\":%llu,\"dropped\":%llu,\"reconnects\":%llu,\"rotations\":%llu,\"reopens\":%llu}",
				  U(ss.written), U(ss.dropped), U(ss.reconnects), U(ss.rotations), U(ss.reopens));
		} else {
			sb_printf(&b, "mapwatch: output %s: written %llu, dropped %llu, reconnects %llu, rotations %llu, reopens %llu\n",
				  s->name, U(ss.written), U(ss.dropped), U(ss.reconnects), U(ss.rotations), U(ss.reopens));
		}
	}
	if (t->o->json)
		sb_puts(&b, "]}\n");
#undef U
	if (!b.oom)
		fputs(b.p, stderr);
	sb_free(&b);
}
