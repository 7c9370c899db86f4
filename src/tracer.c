/* tracer.c - the run: outputs, hooks, the command, the event loop, shutdown (each record read is in tracer_rec.c, the BPF side in hooks.c, the command and --pid targets in command.c, what is reported besides events in report.c). */
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
#include "format.h"
#include "collapse.h"
#include "container.h"
#include "ctr_watch.h"
#include "fileid.h"
#include "hooks.h"
#include "metrics.h"
#include "options.h"
#include "policy.h"
#include "rules_compile.h"
#include "proc.h"
#include "sink.h"
#include "strbuf.h"
#include "stack.h"
#include "summary.h"
#include "tracer.h"
#include "tracer_int.h"
#include "command.h"

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

/* One epoll for the ring buffer map and the signal pipe. -1 on failure.
 * The ring is watched edge-triggered: a wait ends at the kernel's wake-up
 * (one when the queue crosses wake_bytes, exit.bpf.h) or at the poll period,
 * not whenever a record is there. Level-triggered, a busy reader came back at
 * once to every few records: 21,000 rounds a second of ~120 records at
 * 2.5 M events/s, each round paying its epoll_wait, counter read and write
 * (a quarter of its CPU in the counter read alone). */
static int wait_set(int rb_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -1;
	ev.data.fd = rb_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	ev.events = EPOLLIN;
	ev.data.fd = sig_pipe[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	return ep;
fail:
	close(ep);
	return -1;
}

#define MW_BUSY_WAIT_MS 4 /* the longest wait while records flow (the loop below) */

/* Sleep until the kernel wakes the reader (wait_set), a signal came, or ms passed. */
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

static void tracer_destroy(struct tracer *t)
{
	if (t->wait_fd > 0)
		close(t->wait_fd);
	ring_buffer__free(t->rb);
	mw_alerts_free(t->alerts);
	free(t->allow);
	mw_summary_free(t->summary);
	mw_stacks_free(t->stacks);
	mw_metrics_stop(t->metrics); /* it reads the programs' fds */
	t->metrics = NULL;
	mw_collapse_free(t->collapse);
	mw_evidence_close(t->evidence); /* what is queued for --capture DIR is written first */
	mw_ctr_watch_stop(t->ctr_watch); /* it reads ctr_rb */
	t->ctr_watch = NULL;
	sb_free(&t->notice_json);
	sb_free(&t->notice_table);
	mw_hooks_stop(t->hooks);
	t->hooks = NULL;
	t->skel = NULL;
	mw_sinks_close(&t->sinks);
	mw_policy_free(t->policy);
	sb_free(&t->path);
	mw_proc_clear();
	mw_ctr_clear();
	mw_format_free();
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

/* Is the traced map (the followed processes) empty? */
static bool traced_empty(struct tracer *t)
{
	uint32_t k;

	return bpf_map_get_next_key(bpf_map__fd(t->skel->maps.traced), NULL, &k) != 0;
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

/* SIGHUP: the file sinks reopen their files (logrotate moved them away),
 * and the rules files are read again. */
static void on_hangup(struct tracer *t)
{
	if (mw_sinks_reopen(&t->sinks))
		mw_err_line("SIGHUP: cannot reopen the output: %s (still writing to the old file)",
			 strerror(errno));
	if (t->policy && t->o->nrules)
		mw_rules_reload(t);
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
	if (o->cmd && (status = mw_cmd_check(o->cmd[0])))
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
	if (o->alerts && mw_rules_start(&t)) {
		mw_policy_free(t.policy);
		return 2;
	}
	if (!o->cmd && mw_targets_open(&o->filters, &tg)) {
		mw_policy_free(t.policy);
		return 2;
	}
	compat = o->compat < 0 ? mw_compat_supported() : o->compat;

	t.boot_to_epoch = mw_clock_ns(CLOCK_REALTIME) - mw_clock_ns(CLOCK_BOOTTIME);

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
		child = mw_cmd_spawn_held(o->cmd, &release_fd, &err_fd);
		if (child < 0) {
			mw_err_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
	}
	int ev_failed;
	bool capture_rules = t.policy && mw_policy_rules(t.policy)->capture;
	t.evidence = mw_evidence_open(o, capture_rules, &ev_failed);
	if (ev_failed)
		goto out;
	struct mw_hook_cfg hcfg;
	mw_hook_cfg_from_opts(&hcfg, o, child > 0 || o->filters.follow, compat);
	if (t.policy && (status = mw_rules_hooks(&t, &hcfg)))
		goto out;
	status = 1;
	t.hooks = mw_hooks_start(&hcfg);
	if (!t.hooks)
		goto out;
	t.skel = mw_hooks_skel(t.hooks);
	/* outputs opened only now: a run that fails before tracing leaves an
	 * existing --output file as it was */
	if (open_sinks(&t))
		goto out;
	mw_format_set_time(o->time_fmt, mw_clock_ns(CLOCK_REALTIME));
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
		if (child > 0)
			mw_alerts_set_command(t.alerts, (uint32_t)child);
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
		t.sum_start_ns = mw_clock_ns(CLOCK_MONOTONIC);
	}
	if (o->metrics && mw_start_metrics(&t))
		goto out;
	/* the ids the kernel saw in cgroup paths, for cgroups gone before they are looked up */
	mw_ctr_set_kernel_ids(bpf_map__fd(t.skel->maps.container_cache));
	t.ctr_watch = mw_ctr_watch_start(bpf_map__fd(t.skel->maps.ctr_rb), bpf_map__fd(t.skel->maps.ctr_verdict),
					 (o->filters.on & MW_FLT_CONTAINER) ? &o->filters.ctr : NULL);
	if (!t.ctr_watch) {
		mw_err_line("cannot start the container resolver: %s", strerror(errno));
		goto out;
	}
	int rb_fd = bpf_map__fd(t.skel->maps.rb);
	t.rb = ring_buffer__new(rb_fd, mw_handle_rec, &t, NULL);
	if (!t.rb || (t.wait_fd = wait_set(rb_fd)) < 0) {
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
	uint64_t next_sum = o->interval_ms ? mw_clock_ns(CLOCK_MONOTONIC) + o->interval_ms * 1000000ull : 0;
	bool busy = false; /* the last round read records */
	for (;;) {
		int wait_ms = t.seeding ? 0 : (int)o->poll_ms; /* seeding: between reads */
		/* While records flow, wait at most MW_BUSY_WAIT_MS: should a
		 * wake-up be missed (producers on many CPUs can pass the
		 * threshold together), the ring must not fill meanwhile (the
		 * default 4 MiB holds ~6 ms past its threshold at 600 MB/s). */
		if (busy && wait_ms > MW_BUSY_WAIT_MS)
			wait_ms = MW_BUSY_WAIT_MS;
		if (next_sum) {
			uint64_t now = mw_clock_ns(CLOCK_MONOTONIC);
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
		busy = err > 0;
		if (err < 0 && err != -EINTR) {
			mw_err_line("reading the ring buffer failed: %s", strerror(-err));
			status = 1;
			break;
		}
		if (t.seeding)
			seed_round(&t);
		mw_evidence_flush(t.evidence, mw_emit_scanned, &t, 0);
		mw_report_losses(&t);
		if (next_sum && mw_clock_ns(CLOCK_MONOTONIC) >= next_sum) {
			mw_write_summary(&t, true);
			next_sum += o->interval_ms * 1000000ull;
		}
		mw_report_repeats(&t, false);
		mw_publish_metrics(&t);
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
			bool none_left = mw_reap(child, &cmd_done, &status);
			if (cmd_done && (o->exit_with_command || none_left || stopping)) {
				/* their last events were committed before they exited */
				child = -1;
				mw_phase("command and its descendants gone");
				drain(&t);
				mw_phase("programs detached, buffer drained");
				break;
			}
		}
		if (tg.n && (o->filters.follow ? traced_empty(&t) : mw_targets_gone(&tg))) {
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
	mw_evidence_flush(t.evidence, mw_emit_scanned, &t, 10000); /* the alerts still at their scan */
	mw_report_losses(&t);
	if (t.summary && !werr)
		mw_write_summary(&t, o->interval_ms != 0);
	mw_report_repeats(&t, true);
	if (mw_sinks_flush(&t.sinks) && !werr)
		werr = errno;
	mw_sinks_drain(&t.sinks, 2000); /* what is queued for a peer: up to 2 s */
	t.hook_skipped_ns = 0; /* the miss counts too are read afresh: */
	mw_publish_metrics(&t); /* the last scrape sees what --stats prints */
	if (werr) {
		if (werr != EPIPE) /* a reader that went away (| head) is not an error to report */
			mw_err_line("writing events failed: %s", strerror(werr));
		if (child > 0 && !cmd_done) {
			/* tracing stopped; the command still decides the exit status */
			int st;
			if (waitpid(child, &st, 0) == child)
				status = mw_exit_status(st);
		}
		child = -1;
		if (werr != EPIPE)
			status = 1; /* events were lost: that is a failure */
	}
	mw_warn_switch_gaps(&t);
	if (o->stats)
		mw_print_stats(&t);
out:
	if (release_fd >= 0)
		close(release_fd); /* child sees EOF and exits 127 */
	if (err_fd >= 0)
		close(err_fd);
	if (child > 0 && !cmd_done)
		waitpid(child, NULL, 0);
	mw_targets_close(&tg);
	tracer_destroy(&t);
	mw_phase("programs unloaded, done");
	return status;
}
