/* tracer.c - the command runner and the event loop (the BPF side is in hooks.c). */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "msg.h"
#include "thread.h"
#include "mapwatch.skel.h"
#include "alerts.h"
#include "catalog.h"
#include "format.h"
#include "collapse.h"
#include "fileid.h"
#include "hooks.h"
#include "metrics.h"
#include "options.h"
#include "proc.h"
#include "sink.h"
#include "strbuf.h"
#include "stack.h"
#include "summary.h"
#include "tracer.h"
#include "verify.h"

static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t child_done;
static volatile sig_atomic_t hup_seen;
/* Written by the handlers, watched beside the ring buffer: a signal that
 * arrives just before the main loop goes to sleep still wakes it at once
 * (a flag alone waited for the next --flush-ms timeout). */
static int sig_pipe[2] = { -1, -1 };

static void sig_wake(void)
{
	int e = errno;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "s", 1) < 0) {
		/* full: a wake-up is already pending */
	}
	errno = e;
}

static void on_signal(int sig)
{
	stop_sig = sig;
	sig_wake();
}

static void on_sighup(int sig)
{
	(void)sig;
	hup_seen = 1;
	sig_wake();
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_done = 1;
	sig_wake();
}

/* One epoll for the ring buffer's own epoll fd and the signal pipe. -1 on failure. */
static int wait_set(struct ring_buffer *rb)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -1;
	ev.data.fd = ring_buffer__epoll_fd(rb);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	ev.data.fd = sig_pipe[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	return ep;
fail:
	close(ep);
	return -1;
}

/* Sleep until a record is ready, a signal came, or ms passed. */
static void wait_for_work(int ep, int ms)
{
	struct epoll_event evs[2];
	char buf[64];
	int n = epoll_wait(ep, evs, 2, ms);

	/* empty the signal pipe only when it is ready (not one failing read per round) */
	for (int i = 0; i < n; i++)
		if (evs[i].data.fd == sig_pipe[0])
			while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
				;
}

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
};


/* ---- records ---- */

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int handle_rec(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const uint16_t *type = data;

	if (size < sizeof(*type))
		return 0;
	if (*type == MW_REC_PROC && size >= sizeof(struct mw_proc_rec)) {
		uint32_t pid;

		if (mw_proc_rec_decode(data, size, &t->path, &pid) == 0)
			mw_proc_set_exe(pid, t->path.p);
		t->proc_recs++;
		return 0;
	}
	if ((*type == MW_REC_FORK || *type == MW_REC_EXEC || *type == MW_REC_EXIT) &&
	    size >= sizeof(struct mw_task_rec)) {
		if (t->alerts)
			mw_alerts_task(t->alerts, data);
		/* its events all came before: its executable is not needed again */
		if (*type == MW_REC_EXIT)
			mw_proc_forget(((const struct mw_task_rec *)data)->pid);
		return 0;
	}
	if (*type == MW_REC_STACK) {
		if (t->stacks)
			mw_stacks_record(t->stacks, data, size);
		return 0;
	}
	struct mw_view v;
	struct mw_event verified;

	if (mw_event_decode(data, size, &t->path, &v))
		return 0;

	const struct mw_event *e = v.e;
	v.ts_ns = e->ts + t->boot_to_epoch;
	if (e->eff_flags & MW_EFFF_VERIFY) {
		/* a process stopped by --kill-wx for want of a verdict: judge it
		 * from its /proc/PID/maps, kill or continue it (the ring buffer is
		 * read-only: the completed record is a copy) */
		memcpy(&verified, e, sizeof verified);
		mw_verify_stopped(&verified, "/proc");
		v.e = &verified; /* e stays the record: its path data follows it */
	}
	if (e->flags & MW_F_EXE_UNSENT)
		mw_proc_forget(e->pid); /* its process record was lost: ask /proc */
	v.exe = mw_proc_exe(e->pid);
	v.container_id = mw_container_of_cgroup(e->cgroup_id);
	if (t->stacks) {
		/* what the stacks of later calls need to name files, even after the process exits */
		if (v.path && (e->file.kind == MW_FK_REGULAR || e->file.kind == MW_FK_DELETED))
			mw_stacks_learn_file(t->stacks, e->file.dev, e->file.ino, v.path);
		if (v.exe)
			mw_stacks_learn_exe(t->stacks, v.exe);
		if (e->flags & MW_F_STACK)
			v.stack = mw_stacks_take(t->stacks, e->pid, e->tid);
	}
	struct mw_rec rec = { .kind = MW_RK_EVENT, .ts_ns = v.ts_ns, .v = &v };
	mw_sinks_emit(&t->sinks, &rec);
	if (e->event < MW_EV_MAX)
		t->events_by[e->event]++;
	if (!t->o->alerts_only)
		t->written++;
	if (t->alerts) {
		struct mw_alert al[MW_ALERTS_MAX];
		int n = mw_alerts_event(t->alerts, &v, al, MW_ALERTS_MAX);
		for (int i = 0; i < n; i++) {
			if (al[i].kind < MW_AL_KIND_MAX && al[i].severity < 3)
				t->alerts_by[al[i].kind][al[i].severity]++;
			if (t->collapse && !mw_collapse_alert(t->collapse, &v, &al[i], v.ts_ns))
				continue; /* a repeat: counted, summarised at the end of its interval */
			rec = (struct mw_rec){ .kind = MW_RK_ALERT, .ts_ns = v.ts_ns, .v = &v, .al = &al[i] };
			mw_sinks_emit(&t->sinks, &rec);
			t->alerts_written++;
		}
	}
	return 0;
}

/* Seed the alert engine's region maps from /proc for every process, ~10 ms
 * per reader round (seeding a busy host took over a second, and events that
 * waited meanwhile came out late), and once done say on stderr how many were
 * seeded and why any failed. */
static void seed_round(struct tracer *t)
{
	struct mw_seed_report *rp = &t->seed;
	int rc = mw_alerts_seed_step(t->alerts, (uint32_t)getpid(), rp, 10 * 1000000ull);

	if (rc > 0)
		return;
	t->seeding = false;
	if (rc < 0) {
		mw_err_line("cannot list /proc to seed the region maps (%s): processes are seeded at their first event",
			 strerror(rp->dir_errno));
		return;
	}
	struct mw_seed_report r = *rp;
	fprintf(stderr, "mapwatch: region maps seeded from /proc for %u processes", r.seeded);
	if (r.gone || r.denied || r.other) {
		fprintf(stderr, "; %u failed (", r.gone + r.denied + r.other);
		const char *sep = "";
		if (r.gone)
			fprintf(stderr, "%u exited before their maps were read", r.gone), sep = ", ";
		if (r.denied)
			fprintf(stderr, "%s%u permission denied", sep, r.denied), sep = ", ";
		if (r.other)
			fprintf(stderr, "%s%u %s", sep, r.other, strerror(r.other_errno));
		fputc(')', stderr);
	}
	fputc('\n', stderr);
}

/* ---- counters ---- */

/* The kernel's counters, summed over CPUs. Read after every reader round
 * (report_losses): one BPF_MAP_LOOKUP_BATCH for all of them, where it was
 * one lookup per counter (12 bpf(2) calls a round, ~10 % of the reader's
 * CPU at 400,000 events/s); per counter where the kernel lacks the batch
 * operation for this map type. */
static void read_counters(struct tracer *t, uint64_t out[MW_CNT_MAX])
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
static void report_repeats(struct tracer *t, bool all)
{
	if (t->collapse)
		mw_collapse_tick(t->collapse, all ? UINT64_MAX : clock_ns(CLOCK_REALTIME), emit_repeats, t);
}

static const char *const loss_names[MW_CNT_MAX] = {
	[MW_CNT_RB_FULL] = "ring_buffer_full",
	[MW_CNT_PROC_RB_FULL] = "process_record_ring_buffer_full",
	[MW_CNT_NO_ENTRY] = "unmatched_exit",
	[MW_CNT_PENDING_FULL] = "pending_map_full",
	[MW_CNT_TRACED_FULL] = "traced_map_full", /* a count of processes, not events */
};


/* Report losses that happened since the last report, in the output stream. */
static void report_losses(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];

	read_counters(t, c);
	for (int k = 0; k < MW_CNT_MAX; k++) {
		if (!loss_names[k] || c[k] == t->reported_loss[k])
			continue;
		struct mw_rec rec = { .kind = MW_RK_LOST, .ts_ns = clock_ns(CLOCK_REALTIME),
				      .reason = loss_names[k], .count = c[k] - t->reported_loss[k],
				      .total = c[k] };
		t->reported_loss[k] = c[k];
		mw_sinks_emit(&t->sinks, &rec);
	}
}

/* Report what the kernel counted since the last summary (-c), to the sinks. */
static void write_summary(struct tracer *t, bool interval)
{
	uint64_t c[MW_CNT_MAX], now = clock_ns(CLOCK_MONOTONIC), ts = clock_ns(CLOCK_REALTIME);
	struct strbuf tbl = { 0 }, js = { 0 };
	int err = mw_summary_read_map(t->summary, bpf_map__fd(t->skel->maps.summary));

	if (err) {
		mw_err_line("reading the summary map failed: %s", strerror(-err));
		return;
	}
	read_counters(t, c);
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

/* Hand the counters to the --metrics endpoint. */
static void publish_metrics(struct tracer *t)
{
	struct mw_metrics_snap *m;

	if (!t->metrics || !(m = calloc(1, sizeof(*m))))
		return;
	memcpy(m->events, t->events_by, sizeof(m->events));
	m->written = t->written;
	read_counters(t, m->bpf);
	m->loss_names = loss_names;
	m->proc_recs = t->proc_recs;
	/* the programs' miss counts cost a syscall each: read once a second */
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (!t->hook_skipped_ns || now - t->hook_skipped_ns >= 1000000000ull) {
		struct mw_hooks_stats hs;
		mw_hooks_get_stats(t->hooks, &hs);
		t->hook_skipped = hs.missed;
		t->hook_skipped_ns = now;
	}
	m->hook_skipped = t->hook_skipped;
	memcpy(m->alerts, t->alerts_by, sizeof(m->alerts));
	if (t->alerts) {
		struct mw_alerts_stats st;
		mw_alerts_get_stats(t->alerts, &st);
		m->alerts_suppressed = st.suppressed;
	}
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++)
		m->alerts_collapsed[k] = mw_collapse_folded(t->collapse, k);
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
static int start_metrics(struct tracer *t)
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
	publish_metrics(t);
	return 0;
}

/* How 32-bit calls are seen, for --stats: "fromStart" (every one, from a
 * task's first instruction), "afterSwitch" (--hook tracepoint), "off". */
static const char *compat_word(const struct mw_hooks_stats *hs)
{
	return hs->compat_from_start ? "fromStart" : hs->switching ? "afterSwitch" : "off";
}

/* A run whose hooks left 32-bit starts unseen says so on stderr, --stats or not. */
static void warn_switch_gaps(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];
	struct mw_hooks_stats hs;

	mw_hooks_get_stats(t->hooks, &hs);
	if (!hs.switching)
		return;
	read_counters(t, c);
	if (c[MW_CNT_HOOK_GAP])
		mw_err_line("warning: %llu 32-bit process start%s ran before the dispatcher was attached (longest window %llu us): their first calls may be missing; --hook auto sees them",
			    (unsigned long long)c[MW_CNT_HOOK_GAP], c[MW_CNT_HOOK_GAP] == 1 ? "" : "s",
			    (unsigned long long)(hs.gap_max_ns / 1000));
}

/* --stats: the counts on stderr, as lines for people (README "--stats"
 * explains each one) or, with --json, as one JSON object. */
static void print_stats(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];
	struct mw_alerts_stats st = { 0 };
	bool tree = t->o->cmd || t->o->filters.follow;
	uint64_t folded = 0;
	struct strbuf b = { 0 };

#define U(x) ((unsigned long long)(x))
	read_counters(t, c);
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
		sb_printf(&b, ",\"hooks\":{\"mode\":\"%s\",\"compat\":\"%s\",\"toDispatcher\":%llu,\"toTracepoints\":%llu,"
			  "\"switchGap\":%llu,\"longestWindowUs\":%llu,\"skippedRuns\":%llu}", hs.mode, compat_word(&hs),
			  U(hs.to_disp), U(hs.to_tp), U(c[MW_CNT_HOOK_GAP]), U(hs.gap_max_ns / 1000), U(hs.missed));
		if (t->alerts)
			sb_printf(&b, ",\"alerts\":{\"raised\":%llu,\"written\":%llu,\"silencedByAllow\":%llu,"
				  "\"collapsed\":%llu,\"seededFromProc\":%llu,\"seedFailed\":%llu}",
				  U(st.raised), U(t->alerts_written), U(st.suppressed), U(folded), U(st.seeded),
				  U(st.seed_failed));
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
		if (hs.switching)
			sb_printf(&b, "mapwatch: hooks: %llu switches to the dispatcher, %llu back to tracepoints; %llu 32-bit process starts before the dispatcher was attached (longest window %llu us)\n",
				  U(hs.to_disp), U(hs.to_tp), U(c[MW_CNT_HOOK_GAP]), U(hs.gap_max_ns / 1000));
		if (t->alerts) {
			sb_printf(&b, "mapwatch: alerts raised %llu, written %llu, silenced by --allow %llu; processes seeded from /proc %llu (failed %llu)\n",
				  U(st.raised), U(t->alerts_written), U(st.suppressed), U(st.seeded), U(st.seed_failed));
			if (t->collapse)
				sb_printf(&b, "mapwatch: alerts written in full %llu, repeats counted in summaries %llu (--alert-rate %u)\n",
					  U(t->alerts_written), U(folded), t->o->alert_rate);
		}
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

static void tracer_destroy(struct tracer *t)
{
	if (t->wait_fd > 0)
		close(t->wait_fd);
	ring_buffer__free(t->rb);
	mw_alerts_free(t->alerts);
	mw_summary_free(t->summary);
	mw_stacks_free(t->stacks);
	mw_metrics_stop(t->metrics); /* it reads the programs' fds */
	t->metrics = NULL;
	mw_collapse_free(t->collapse);
	sb_free(&t->notice_json);
	sb_free(&t->notice_table);
	mw_hooks_stop(t->hooks);
	t->hooks = NULL;
	t->skel = NULL;
	mw_sinks_close(&t->sinks);
	sb_free(&t->path);
	mw_proc_clear();
	mw_format_free();
}

/* ---- command runner ---- */

/* Give the command the signal state a shell would: every disposition back
 * to its default (mapwatch ignores SIGPIPE, and an ignored signal survives
 * exec: `yes | head -1` complained of a broken pipe) and no signal blocked. */
static void default_signals(void)
{
	/* the raw call: glibc's wrappers refuse its internal signals (32, 33),
	 * which a sanitizer runtime may have set to ignored */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Fork the command, stopped before execvp until release_fd is written. */
static pid_t spawn_held(char **cmd, int *release_fd, int *err_fd)
{
	int go[2], er[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;
		int e;
		close(go[1]);
		close(er[0]);
		default_signals();
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* the tracer gave up */
		execvp(cmd[0], cmd);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	*release_fd = go[1];
	*err_fd = er[0];
	return pid;
}

/* Can cmd be run? As env(1) and timeout(1) answer: 127 when it is not
 * found (not in PATH, no such file), 126 when it is found but cannot be run
 * (a directory, no execute permission); 0 when it can. Prints one line. */
static int check_command(const char *cmd)
{
	const char *path = getenv("PATH");
	struct stat st;
	char buf[4096];
	int denied = 0;

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st)) {
			mw_err_line("cannot run %s: %s", cmd, strerror(errno));
			return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
		}
		if (S_ISDIR(st.st_mode) || access(cmd, X_OK)) {
			mw_err_line("cannot run %s: %s", cmd, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
			return 126;
		}
		return 0;
	}
	for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; ; ) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (stat(buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = 1;
		}
		if (!end)
			break;
		p = end + 1;
	}
	mw_err_line("cannot run %s: %s", cmd, denied ? "Permission denied" : "command not found in PATH");
	return denied ? 126 : 127;
}

/* The outputs o asks for. Returns 0, or -1 after printing why. */
static int open_sinks(struct tracer *t)
{
	const struct mw_opts *o = t->o;
	enum mw_fmt fmt = o->json ? MW_FMT_JSON : MW_FMT_TABLE;
	unsigned stream_mask = o->alerts_only ? MW_RKM_ALL & ~MW_RKM(MW_RK_EVENT) : MW_RKM_ALL;
	struct mw_sink *s = mw_sink_file_new(o->output, fmt, o->append, o->rotate_size, o->rotate_keep);

	if (!s)
		return -1;
	s->mask = stream_mask;
	if (mw_sinks_add(&t->sinks, s))
		return -1;
	if (o->also_stdout && o->output && strcmp(o->output, "-")) {
		s = mw_sink_file_new(NULL, fmt, false, 0, 0);
		if (!s || mw_sinks_add(&t->sinks, s))
			return -1;
		s->mask = stream_mask;
	}
	for (int i = 0; i < o->nsyslog; i++) {
		bool events = o->syslog_events < 0 ? !o->alerts_only : o->syslog_events > 0;
		s = mw_sink_syslog_new(o->syslog_url[i], o->syslog_facility, events, o->syslog_queue);
		if (!s || mw_sinks_add(&t->sinks, s))
			return -1;
	}
	return 0;
}

/* --pid targets: one pidfd each, readable once the process has exited. */
struct targets {
	int fd[64];
	int n;
};

/* Check that every --pid names a live process now and open its pidfd.
 * Returns -1 after a one-line error. */
static int targets_open(const struct mw_filters *f, struct targets *tg)
{
	tg->n = 0;
	if (!(f->on & MW_FLT_PID) && !f->follow)
		return 0;
	if (f->neg & MW_FLT_PID)
		return 0; /* "every process but these": nothing to wait for */
	for (unsigned i = 0; i < f->pid.n && tg->n < 64; i++) {
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)f->pid.v[i], 0);
		if (fd < 0 && errno == ESRCH) {
			mw_err_line("--pid %llu: no such process (give the pid of a running process; see ps -e)",
				 (unsigned long long)f->pid.v[i]);
			for (int k = 0; k < tg->n; k++)
				close(tg->fd[k]);
			tg->n = 0;
			return -1;
		}
		if (fd >= 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			tg->fd[tg->n++] = fd;
		}
	}
	return 0;
}

/* True once every target has exited. */
static bool targets_gone(const struct targets *tg)
{
	struct pollfd p[64];

	for (int i = 0; i < tg->n; i++)
		p[i] = (struct pollfd){ .fd = tg->fd[i], .events = POLLIN };
	return poll(p, tg->n, 0) == tg->n;
}

static void targets_close(struct targets *tg)
{
	for (int i = 0; i < tg->n; i++)
		close(tg->fd[i]);
	tg->n = 0;
}

/* Is the traced map (the followed processes) empty? */
static bool traced_empty(struct tracer *t)
{
	uint32_t k;

	return bpf_map_get_next_key(bpf_map__fd(t->skel->maps.traced), NULL, &k) != 0;
}

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reap what has exited: the command (its status kept in *status) and any
 * descendant handed to mapwatch as their subreaper. Returns true when no
 * child is left at all. */
static bool reap(pid_t child, bool *cmd_done, int *status)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w > 0) {
			if (w == child) {
				*cmd_done = true;
				*status = exit_status(st);
			}
			continue;
		}
		return w < 0 && errno == ECHILD;
	}
}

struct detach_job {
	struct mw_hooks *hooks;
	atomic_bool done;
};

static void *detach_thread(void *arg)
{
	struct detach_job *j = arg;

	mw_hooks_detach(j->hooks);
	atomic_store(&j->done, true);
	return NULL;
}

/* Stop tracing: detach every program (so nothing more is counted or
 * committed), then read what is left: seen = written + lost holds.
 * Detaching takes an RCU grace period per link (up to a second on a
 * loaded host): it runs on a thread of its own while this one goes on
 * reading and flushing every few milliseconds, so the records made
 * meanwhile are not held back until the end. */
static void drain(struct tracer *t)
{
	struct detach_job j = { .hooks = t->hooks };
	pthread_t th;

	atomic_init(&j.done, false);
	if (mw_thread_start(&th, detach_thread, &j)) {
		mw_hooks_detach(t->hooks);
	} else {
		while (!atomic_load(&j.done)) {
			ring_buffer__poll(t->rb, 10);
			ring_buffer__consume(t->rb);
			mw_sinks_flush(&t->sinks);
		}
		pthread_join(th, NULL);
	}
	ring_buffer__consume(t->rb);
}

/* SIGHUP: the file sinks reopen their files (logrotate moved them away). */
static void on_hangup(struct tracer *t)
{
	if (mw_sinks_reopen(&t->sinks))
		mw_err_line("SIGHUP: cannot reopen the output: %s (still writing to the old file)",
			 strerror(errno));
}

int mw_run(const struct mw_opts *o)
{
	struct targets tg = { .n = 0 };
	bool cmd_done = false, stopping = false;
	struct tracer t = { .o = o };
	int status = 1, release_fd = -1, err_fd = -1, werr = 0;
	pid_t child = -1;
	bool compat = false;
	struct sigaction sa = { 0 };

	mw_phase_on(o->verbose);
	mw_phase("options read");
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC)) {
		mw_err_line("cannot create a pipe: %s", strerror(errno));
		return 1;
	}
	if (o->cmd && (status = check_command(o->cmd[0])))
		return status;
	status = 1;
	if (mw_hooks_check_env(o->verbose >= 2)) /* -vv: libbpf's own messages */
		return 1;
	for (int i = 0; i < o->nallow; i++) {
		struct mw_inode_key k;
		if (mw_path_key(o->allow[i], &k, NULL)) {
			mw_err_line("--allow %s: cannot stat it (%s): give an existing executable or directory",
				 o->allow[i], strerror(errno));
			return 2;
		}
	}
	if (!o->cmd && targets_open(&o->filters, &tg))
		return 2;
	compat = o->compat < 0 ? mw_compat_supported() : o->compat;

	t.boot_to_epoch = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sighup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->cmd) {
		sa.sa_handler = on_sigchld;
		sa.sa_flags = SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
		/* descendants orphaned by the command are re-parented to mapwatch,
		 * which waits for them all, like strace -f */
		if (!o->exit_with_command)
			prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		child = spawn_held(o->cmd, &release_fd, &err_fd);
		if (child < 0) {
			mw_err_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
	}
	struct mw_hook_cfg hcfg;
	mw_hook_cfg_from_opts(&hcfg, o, child > 0 || o->filters.follow, compat);
	t.hooks = mw_hooks_start(&hcfg);
	if (!t.hooks)
		goto out;
	t.skel = mw_hooks_skel(t.hooks);
	/* outputs opened only now: a run that fails before tracing leaves an
	 * existing --output file as it was */
	if (open_sinks(&t))
		goto out;
	mw_format_set_time(o->time_fmt, clock_ns(CLOCK_REALTIME));
	if (o->verbose)
		fprintf(stderr, "mapwatch: ring buffer %zu KiB, events written at least every %u ms, output %s (%s)\n",
			o->buffer_size >> 10, o->poll_ms, o->output && strcmp(o->output, "-") ? o->output : "standard output",
			o->json ? "JSON lines" : "table");
	if (child > 0) {
		uint32_t k = child;
		uint8_t one = 1;
		if (bpf_map__update_elem(t.skel->maps.traced, &k, sizeof(k), &one, sizeof(one), BPF_ANY)) {
			mw_err_line("cannot register the command's pid: %s", strerror(errno));
			goto out;
		}
	}
	if (o->alerts) {
		t.alerts = mw_alerts_new();
		if (!t.alerts) {
			mw_err_line("cannot set up the alert engine: %s", strerror(errno));
			goto out;
		}
		if (o->alert_rate && !(t.collapse = mw_collapse_new(o->alert_rate))) {
			mw_err_line("cannot set up alert collapsing: %s", strerror(errno));
			goto out;
		}
		/* processes older than mapwatch: their regions' history from
		 * now, not from their first call seen (a -- COMMAND run has
		 * none in scope: the command execs after this point) */
		if (!o->cmd) {
			t.seeding = true;
			seed_round(&t);
		}
	}
	if (o->stack_depth) {
		t.stacks = mw_stacks_new();
		if (!t.stacks) {
			mw_err_line("cannot set up the stack symbolizer: %s", strerror(errno));
			goto out;
		}
	}
	if (o->summary) {
		struct mw_summary_opts so = { .by = o->summary_by, .top = o->summary_top };
		t.summary = mw_summary_new(&so);
		if (!t.summary) {
			mw_err_line("cannot set up the summary: %s", strerror(errno));
			goto out;
		}
		t.sum_start_ns = clock_ns(CLOCK_MONOTONIC);
	}
	if (o->metrics && start_metrics(&t))
		goto out;
	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.rb), handle_rec, &t, NULL);
	if (!t.rb || (t.wait_fd = wait_set(t.rb)) < 0) {
		mw_err_line("cannot set up the ring buffer reader: %s", strerror(errno));
		goto out;
	}
	/* everything is attached and the reader is about to run: record from
	 * now on (records made while the programs attached one by one waited
	 * up to a second on a busy machine) */
	t.skel->bss->reporting = true;
	mw_hooks_announce(t.hooks);
	mw_notify("READY=1"); /* systemd (Type=notify): every call from here on is seen */
	if (child > 0) {
		int e = 0;
		ssize_t r;
		/* a 32-bit command gets the dispatcher before its first call */
		mw_hooks_before_exec(t.hooks, o->cmd[0]);
		/* everything is attached: let the command exec */
		mw_phase("command released");
		if (write(release_fd, "g", 1) != 1) {
			mw_err_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
		close(release_fd);
		release_fd = -1;
		r = read(err_fd, &e, sizeof(e));
		close(err_fd);
		err_fd = -1;
		if (r == sizeof(e)) {
			mw_err_line("cannot run %s: %s", o->cmd[0], strerror(e));
			waitpid(child, NULL, 0);
			child = -1;
			status = e == ENOENT || e == ENOTDIR ? 127 : 126;
			goto out;
		}
	} else if (o->verbose) {
		fprintf(stderr, "mapwatch: tracing all processes; Ctrl-C to stop\n");
	}

	status = 0;
	uint64_t next_sum = o->interval_ms ? clock_ns(CLOCK_MONOTONIC) + o->interval_ms * 1000000ull : 0;
	for (;;) {
		int wait_ms = t.seeding ? 0 : (int)o->poll_ms; /* seeding: between reads */
		if (next_sum) {
			uint64_t now = clock_ns(CLOCK_MONOTONIC);
			uint64_t left = next_sum > now ? (next_sum - now + 999999) / 1000000 : 0;
			if (left < (uint64_t)wait_ms)
				wait_ms = (int)left;
		}
		/* Records are submitted without a wake-up (one wake per threshold
		 * crossing only), so a poll that times out proves nothing: read
		 * whatever is there on every round. No record waits longer than
		 * one poll period (--flush-ms). */
		wait_for_work(t.wait_fd, wait_ms);
		int err = ring_buffer__consume(t.rb);
		if (err < 0 && err != -EINTR) {
			mw_err_line("reading the ring buffer failed: %s", strerror(-err));
			status = 1;
			break;
		}
		if (t.seeding)
			seed_round(&t);
		report_losses(&t);
		if (next_sum && clock_ns(CLOCK_MONOTONIC) >= next_sum) {
			write_summary(&t, true);
			next_sum += o->interval_ms * 1000000ull;
		}
		report_repeats(&t, false);
		publish_metrics(&t);
		if (mw_sinks_flush(&t.sinks)) {
			werr = errno; /* nowhere to write: stop tracing (reported below) */
			break;
		}
		if (hup_seen) {
			hup_seen = 0;
			on_hangup(&t);
		}
		if (child > 0 && child_done) {
			child_done = 0;
			bool none_left = reap(child, &cmd_done, &status);
			if (cmd_done && (o->exit_with_command || none_left || stopping)) {
				/* their last events were committed before they exited */
				child = -1;
				mw_phase("command and its descendants gone");
				drain(&t);
				mw_phase("programs detached, buffer drained");
				break;
			}
		}
		if (tg.n && (o->filters.follow ? traced_empty(&t) : targets_gone(&tg))) {
			drain(&t);
			fprintf(stderr, "mapwatch: %s exited; stopping\n",
				o->filters.follow ? "every traced process (--pid and its descendants)"
						  : tg.n > 1 ? "every --pid process" : "the --pid process");
			break;
		}
		if (stop_sig) {
			if (child > 0 && !cmd_done) {
				kill(child, stop_sig);
				stop_sig = 0;
				stopping = true; /* end with the command, as asked */
				continue; /* wait for the command to end */
			}
			drain(&t);
			break;
		}
	}
	mw_notify("STOPPING=1");
	report_losses(&t);
	if (t.summary && !werr)
		write_summary(&t, o->interval_ms != 0);
	report_repeats(&t, true);
	if (mw_sinks_flush(&t.sinks) && !werr)
		werr = errno;
	mw_sinks_drain(&t.sinks, 2000); /* what is queued for a peer: up to 2 s */
	t.hook_skipped_ns = 0; /* the miss counts too are read afresh: */
	publish_metrics(&t); /* the last scrape sees what --stats prints */
	if (werr) {
		if (werr != EPIPE) /* a reader that went away (| head) is not an error to report */
			mw_err_line("writing events failed: %s", strerror(werr));
		if (child > 0 && !cmd_done) {
			/* tracing stopped; the command still decides the exit status */
			int st;
			if (waitpid(child, &st, 0) == child)
				status = exit_status(st);
		}
		child = -1;
		if (werr != EPIPE)
			status = 1; /* events were lost: that is a failure */
	}
	warn_switch_gaps(&t);
	if (o->stats)
		print_stats(&t);
out:
	if (release_fd >= 0)
		close(release_fd); /* child sees EOF and exits 127 */
	if (err_fd >= 0)
		close(err_fd);
	if (child > 0 && !cmd_done)
		waitpid(child, NULL, 0);
	targets_close(&tg);
	tracer_destroy(&t);
	mw_phase("programs unloaded, done");
	return status;
}
