/* tracer.c - the command runner and the event loop (the BPF side is in hooks.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "mapwatch.skel.h"
#include "alerts.h"
#include "catalog.h"
#include "format.h"
#include "collapse.h"
#include "hooks.h"
#include "metrics.h"
#include "proc.h"
#include "sink.h"
#include "strbuf.h"
#include "summary.h"
#include "tracer.h"

static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t child_done;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_done = 1;
}

struct tracer {
	const struct mw_opts *o;
	struct mw_hooks *hooks;
	struct mapwatch_bpf *skel; /* the hooks' skeleton: its maps */
	struct ring_buffer *rb;
	struct mw_sinks sinks;
	struct strbuf path;
	uint64_t boot_to_epoch;
	uint64_t written;
	uint64_t proc_recs;
	uint64_t reported_loss[MW_CNT_MAX];
	struct mw_alerts *alerts;
	uint64_t alerts_written;
	struct mw_summary *summary;
	uint64_t sum_start_ns;      /* CLOCK_MONOTONIC of the last summary (or of the start) */
	uint64_t sum_lost;          /* MW_CNT_SUM_FULL at the last summary */
	uint64_t events_by[MW_EV_MAX];              /* events read, by name (metrics) */
	uint64_t alerts_by[MW_AL_KIND_MAX][3];      /* alerts raised, by kind and severity */
	struct mw_collapse *collapse;               /* --alert-rate; NULL: every alert in full */
	struct strbuf notice_json, notice_table;
	struct mw_metrics *metrics;                 /* --metrics; NULL: no endpoint */
};

static void die_line(const char *fmt, ...)
{
	va_list ap;

	fputs("mapwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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
		const struct mw_proc_rec *r = data;
		size_t len = r->path_len < size - sizeof(*r) ? r->path_len : size - sizeof(*r);
		struct mw_file f = { .flags = (uint16_t)r->flags };

		mw_path_rebuild(&t->path, r->path, len, &f);
		if (t->path.p)
			mw_proc_set_exe(r->pid, t->path.p);
		t->proc_recs++;
		return 0;
	}
	if ((*type == MW_REC_FORK || *type == MW_REC_EXEC || *type == MW_REC_EXIT) &&
	    size >= sizeof(struct mw_task_rec)) {
		if (t->alerts)
			mw_alerts_task(t->alerts, data);
		return 0;
	}
	if (*type != MW_REC_EVENT || size < sizeof(struct mw_event))
		return 0;

	const struct mw_event *e = data;
	size_t plen = e->path_len < size - sizeof(*e) ? e->path_len : size - sizeof(*e);
	struct mw_view v = { .e = e, .ts_ns = e->ts + t->boot_to_epoch };

	if ((e->flags & MW_F_UDATA) && plen >= sizeof(struct mw_udata))
		v.udata = (const struct mw_udata *)e->path;
	if ((e->flags & MW_F_HAS_FILE) && e->file.kind != MW_FK_BADFD && e->file.kind != MW_FK_NONE) {
		mw_path_rebuild(&t->path, e->path, plen, &e->file);
		v.path = t->path.p;
	}
	v.exe = mw_proc_exe(e->pid);
	v.container_id = mw_container_of_cgroup(e->cgroup_id);
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

/* Seed the alert engine's region maps from /proc for every process and say
 * on stderr how many were seeded and why any failed. */
static void seed_report(struct tracer *t)
{
	struct mw_seed_report r;

	if (mw_alerts_seed_all(t->alerts, (uint32_t)getpid(), &r)) {
		die_line("cannot list /proc to seed the region maps (%s): processes are seeded at their first event",
			 strerror(r.dir_errno));
		return;
	}
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

static void read_counters(struct tracer *t, uint64_t out[MW_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(t->skel->maps.counters);
	uint64_t *vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(uint64_t));

	memset(out, 0, sizeof(uint64_t) * MW_CNT_MAX);
	if (!vals)
		return;
	for (uint32_t k = 0; k < MW_CNT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
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
		die_line("reading the summary map failed: %s", strerror(-err));
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
		die_line("%s", err);
		return -1;
	}
	publish_metrics(t);
	return 0;
}

static void print_stats(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];

	read_counters(t, c);
	uint64_t lost = c[MW_CNT_RB_FULL] + c[MW_CNT_NO_ENTRY] + c[MW_CNT_PENDING_FULL];
	fprintf(stderr,
		"mapwatch: events seen %llu, written %llu, lost %llu (ring buffer full %llu, unmatched exit %llu, pending map full %llu), filtered in kernel %llu; process records %llu, lost %llu\n",
		(unsigned long long)c[MW_CNT_SEEN], (unsigned long long)t->written,
		(unsigned long long)lost, (unsigned long long)c[MW_CNT_RB_FULL],
		(unsigned long long)c[MW_CNT_NO_ENTRY], (unsigned long long)c[MW_CNT_PENDING_FULL],
		(unsigned long long)c[MW_CNT_FILTERED], (unsigned long long)t->proc_recs,
		(unsigned long long)c[MW_CNT_PROC_RB_FULL]);
	if (t->alerts) {
		struct mw_alerts_stats st;
		mw_alerts_get_stats(t->alerts, &st);
		fprintf(stderr, "mapwatch: alerts raised %llu, silenced by --allow %llu; processes seeded from /proc %llu (failed %llu)\n",
			(unsigned long long)st.raised, (unsigned long long)st.suppressed,
			(unsigned long long)st.seeded, (unsigned long long)st.seed_failed);
		if (t->collapse) {
			uint64_t folded = 0;
			for (unsigned k = 0; k < MW_AL_KIND_MAX; k++)
				folded += mw_collapse_folded(t->collapse, k);
			fprintf(stderr, "mapwatch: alerts written in full %llu, repeats counted in summaries %llu (--alert-rate %u)\n",
				(unsigned long long)t->alerts_written, (unsigned long long)folded, t->o->alert_rate);
		}
	}
	for (int i = 0; i < t->sinks.n; i++) {
		struct mw_sink *s = t->sinks.s[i];
		struct mw_sink_stats ss = { 0 };
		if (!s->ops->stats)
			continue;
		s->ops->stats(s, &ss);
		fprintf(stderr, "mapwatch: output %s: written %llu, dropped %llu, reconnects %llu, rotations %llu, reopens %llu\n",
			s->name, (unsigned long long)ss.written, (unsigned long long)ss.dropped,
			(unsigned long long)ss.reconnects, (unsigned long long)ss.rotations,
			(unsigned long long)ss.reopens);
	}
}

static void tracer_destroy(struct tracer *t)
{
	ring_buffer__free(t->rb);
	mw_alerts_free(t->alerts);
	mw_summary_free(t->summary);
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
}

/* ---- command runner ---- */

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
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
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

/* The outputs o asks for. Returns 0, or -1 after printing why. */
static int open_sinks(struct tracer *t)
{
	const struct mw_opts *o = t->o;
	enum mw_fmt fmt = o->json ? MW_FMT_JSON : MW_FMT_TABLE;
	unsigned stream_mask = o->alerts_only ? MW_RKM_ALL & ~MW_RKM(MW_RK_EVENT) : MW_RKM_ALL;
	struct mw_sink *s = mw_sink_file_new(o->output, fmt, false, o->rotate_size, o->rotate_keep);

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
	if (o->syslog_url) {
		bool events = o->syslog_events < 0 ? !o->alerts_only : o->syslog_events > 0;
		s = mw_sink_syslog_new(o->syslog_url, o->syslog_facility, events, o->syslog_queue);
		if (!s || mw_sinks_add(&t->sinks, s))
			return -1;
	}
	return 0;
}

int mw_run(const struct mw_opts *o)
{
	struct tracer t = { .o = o };
	int status = 1, release_fd = -1, err_fd = -1, werr = 0;
	pid_t child = -1;
	bool compat = false;
	struct sigaction sa = { 0 };

	if (mw_hooks_check_env(o->verbose >= 2)) /* -vv: libbpf's own messages */
		return 1;
	for (int i = 0; i < o->nallow; i++) {
		struct mw_inode_key k;
		if (mw_allow_key(o->allow[i], &k)) {
			die_line("--allow %s: cannot stat it (%s): give an existing executable or directory",
				 o->allow[i], strerror(errno));
			return 2;
		}
	}
	if (o->hook == MW_HOOK_AUTO)
		compat = o->compat < 0 ? mw_compat_supported() : o->compat;

	if (open_sinks(&t))
		return 1;
	t.boot_to_epoch = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->cmd) {
		sa.sa_handler = on_sigchld;
		sa.sa_flags = SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
		child = spawn_held(o->cmd, &release_fd, &err_fd);
		if (child < 0) {
			die_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
	}
	t.hooks = mw_hooks_start(o, child > 0 || o->filters.follow, compat);
	if (!t.hooks)
		goto out;
	t.skel = mw_hooks_skel(t.hooks);
	if (child > 0) {
		uint32_t k = child;
		uint8_t one = 1;
		if (bpf_map__update_elem(t.skel->maps.traced, &k, sizeof(k), &one, sizeof(one), BPF_ANY)) {
			die_line("cannot register the command's pid: %s", strerror(errno));
			goto out;
		}
	}
	if (o->alerts) {
		t.alerts = mw_alerts_new();
		if (!t.alerts) {
			die_line("cannot set up the alert engine: %s", strerror(errno));
			goto out;
		}
		if (o->alert_rate && !(t.collapse = mw_collapse_new(o->alert_rate))) {
			die_line("cannot set up alert collapsing: %s", strerror(errno));
			goto out;
		}
		/* processes older than mapwatch: their regions' history from
		 * now, not from their first call seen (a -- COMMAND run has
		 * none in scope: the command execs after this point) */
		if (!o->cmd)
			seed_report(&t);
	}
	if (o->summary) {
		struct mw_summary_opts so = { .by = o->summary_by, .top = o->summary_top };
		t.summary = mw_summary_new(&so);
		if (!t.summary) {
			die_line("cannot set up the summary: %s", strerror(errno));
			goto out;
		}
		t.sum_start_ns = clock_ns(CLOCK_MONOTONIC);
	}
	if (o->metrics && start_metrics(&t))
		goto out;
	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.rb), handle_rec, &t, NULL);
	if (!t.rb) {
		die_line("cannot set up the ring buffer reader: %s", strerror(errno));
		goto out;
	}
	if (child > 0) {
		int e = 0;
		ssize_t r;
		/* everything is attached: let the command exec */
		if (write(release_fd, "g", 1) != 1) {
			die_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
		close(release_fd);
		release_fd = -1;
		r = read(err_fd, &e, sizeof(e));
		close(err_fd);
		err_fd = -1;
		if (r == sizeof(e)) {
			die_line("cannot run %s: %s", o->cmd[0], strerror(e));
			waitpid(child, NULL, 0);
			child = -1;
			status = 127;
			goto out;
		}
	} else if (o->verbose) {
		fprintf(stderr, "mapwatch: tracing all processes; Ctrl-C to stop\n");
	}

	status = 0;
	uint64_t next_sum = o->interval_ms ? clock_ns(CLOCK_MONOTONIC) + o->interval_ms * 1000000ull : 0;
	for (;;) {
		int wait_ms = (int)o->poll_ms;
		if (next_sum) {
			uint64_t now = clock_ns(CLOCK_MONOTONIC);
			uint64_t left = next_sum > now ? (next_sum - now + 999999) / 1000000 : 0;
			if (left < (uint64_t)wait_ms)
				wait_ms = (int)left;
		}
		int err = ring_buffer__poll(t.rb, wait_ms);
		if (err < 0 && err != -EINTR) {
			die_line("reading the ring buffer failed: %s", strerror(-err));
			status = 1;
			break;
		}
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
		if (child > 0 && child_done) {
			int st;
			pid_t w = waitpid(child, &st, WNOHANG);
			if (w == child) {
				/* its last events were committed before it exited */
				ring_buffer__consume(t.rb);
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				child = -1;
				break;
			}
			child_done = 0;
		}
		if (stop_sig) {
			if (child > 0) {
				kill(child, stop_sig);
				stop_sig = 0;
				continue; /* wait for the command to end */
			}
			ring_buffer__consume(t.rb);
			break;
		}
	}
	report_losses(&t);
	if (t.summary && !werr)
		write_summary(&t, o->interval_ms != 0);
	report_repeats(&t, true);
	if (mw_sinks_flush(&t.sinks) && !werr)
		werr = errno;
	mw_sinks_drain(&t.sinks, 2000); /* what is queued for a peer: up to 2 s */
	publish_metrics(&t); /* the last scrape sees what --stats prints */
	if (werr) {
		if (werr != EPIPE) /* a reader that went away (| head) is not an error to report */
			die_line("writing events failed: %s", strerror(werr));
		if (child > 0) {
			/* tracing stopped; the command still decides the exit status */
			int st;
			if (waitpid(child, &st, 0) == child)
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			child = -1;
		}
		if (werr != EPIPE)
			status = 1; /* events were lost: that is a failure */
	}
	if (o->stats)
		print_stats(&t);
out:
	if (release_fd >= 0)
		close(release_fd); /* child sees EOF and exits 127 */
	if (err_fd >= 0)
		close(err_fd);
	if (child > 0)
		waitpid(child, NULL, 0);
	tracer_destroy(&t);
	return status;
}
