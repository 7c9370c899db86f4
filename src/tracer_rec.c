/* tracer_rec.c - the reader's work per record: lifecycle, chunk and stack records to their keepers; an event decoded, completed (--kill-wx's verdict, executable, container, stack) and written; its alerts through the policy to the sinks. */
#include <string.h>
#include "capture_abi.h"
#include "container.h"
#include "ctr_match.h"
#include "format.h"
#include "proc.h"
#include "tracer_int.h"
#include "verify.h"

/* An alert that waited for its --yara scan, with the container identity it
 * had when it was raised (the scanner keeps a copy: yarascan.c). */
void mw_emit_scanned(void *ctx, const struct mw_view *v, const struct mw_alert *al)
{
	struct tracer *t = ctx;
	struct mw_rec rec = { .kind = MW_RK_ALERT, .ts_ns = v->ts_ns, .v = v, .al = al };

	mw_sinks_emit(&t->sinks, &rec);
	t->alerts_written++;
}

/* Who the cgroup of an event is (container.c: looked up once per cgroup,
 * mostly by the resolver thread already); whether it is in the scope of
 * --container, --pod, --k8s-namespace (the kernel passes a cgroup's calls
 * until the resolver has judged it). */
static bool judge_cgroup(struct tracer *t, const struct mw_event *e, const struct mw_container **ctr)
{
	char comm[MW_TASK_COMM_LEN + 1];

	memcpy(comm, e->comm, MW_TASK_COMM_LEN);
	comm[MW_TASK_COMM_LEN] = 0;
	*ctr = mw_container_get(e->cgroup_id, comm);
	return !(t->o->filters.on & MW_FLT_CONTAINER) || mw_ctr_match(&t->o->filters.ctr, *ctr);
}

static void emit_alerts(struct tracer *t, const struct mw_view *v, struct mw_alert *al, int n);

/* Process tr->pid exited: its W+X memory the kernel copied as it exited,
 * as alerts (evidence.h: "capturedAt":"exit"). */
static void exit_evidence(struct tracer *t, const struct mw_task_rec *tr)
{
	const char *exe = mw_proc_exe(tr->pid);
	struct mw_alert al[1];
	struct mw_view v;

	while (mw_evidence_exit_alert(t->evidence, tr->pid, exe, tr->ts + t->boot_to_epoch, &v, al)) {
		if (!judge_cgroup(t, v.e, &v.ctr))
			continue;
		v.container_id = v.ctr ? v.ctr->id : NULL;
		emit_alerts(t, &v, al, 1);
	}
}

int mw_handle_rec(void *ctx, void *data, size_t size)
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
		if (t->policy)
			mw_policy_task(t->policy, data);
		/* its events all came before: its executable is not needed again */
		if (*type == MW_REC_EXIT) {
			if (t->alerts)
				exit_evidence(t, data);
			mw_proc_forget(((const struct mw_task_rec *)data)->pid);
			mw_evidence_task_exit(t->evidence, ((const struct mw_task_rec *)data)->pid);
		}
		return 0;
	}
	if (*type == MW_REC_CHUNK) {
		mw_evidence_chunk(t->evidence, data, size);
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
	if (!judge_cgroup(t, e, &v.ctr))
		return 0; /* a call of a cgroup out of scope, made before the kernel knew */
	v.container_id = v.ctr ? v.ctr->id : NULL;
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
	/* an exec of a fileless program and a code_write are sent for the alerts: an event line only when asked for */
	int line = (e->event != MW_EV_EXEC && e->event != MW_EV_CODE_WRITE) || (t->o->event_mask & MW_EVBIT(e->event));
	if (line)
		mw_sinks_emit(&t->sinks, &rec);
	if (e->event < MW_EV_MAX)
		t->events_by[e->event]++;
	if (!t->o->alerts_only && line) /* the kernel's "seen" does not count those sent for the alerts alone */
		t->written++;
	if (t->alerts) {
		struct mw_alert al[MW_ALERTS_MAX];
		int n = mw_alerts_event(t->alerts, &v, al, MW_ALERTS_MAX);
		n = mw_evidence_attach(t->evidence, &v, al, n, MW_ALERTS_MAX); /* the payload of the call, if copied */
		emit_alerts(t, &v, al, n);
	}
	return 0;
}

/* Alerts al[0..n) raised by v: the policy, repeats folded, --yara's wait, the sinks. */
static void emit_alerts(struct tracer *t, const struct mw_view *v, struct mw_alert *al, int n)
{
	for (int i = 0; i < n; i++) {
		/* the policy: the first rule that matches decides */
		enum mw_verdict pv = t->policy ? mw_policy_judge(t->policy, v, &al[i], i, v->ts_ns) : MW_PV_EMIT;
		if (pv != MW_PV_EMIT) {
			if (pv == MW_PV_LIMITED)
				t->alerts_limited++;
			else
				t->alerts_ignored++;
			continue;
		}
		if (!al[i].capture && !t->o->capture_dir && !t->o->yara)
			al[i].payload = NULL; /* copied for the capture rules only */
		if (al[i].kind < MW_AL_KIND_MAX && al[i].severity < 3)
			t->alerts_by[al[i].kind][al[i].severity]++;
		if (t->collapse && !mw_collapse_alert(t->collapse, v, &al[i], v->ts_ns))
			continue; /* a repeat: counted, summarised at the end of its interval */
		if (mw_evidence_defer(t->evidence, v, &al[i]))
			continue; /* --yara: written after its scan (mw_evidence_flush) */
		struct mw_rec rec = { .kind = MW_RK_ALERT, .ts_ns = v->ts_ns, .v = v, .al = &al[i] };
		mw_sinks_emit(&t->sinks, &rec);
		t->alerts_written++;
	}
}
