/* options_check.c - the checks across options, once every option is given (argv and config file). */
#include "options_check.h"

#include <string.h>

#include "catalog.h"
#include "filter.h"

/* Events with no number in the native ABI (only 32-bit tasks make them). */
static uint64_t compat_only_events(void)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		if (!d || !d->syscall)
			continue;
#if defined(__aarch64__)
		int native = d->nr_arm64;
#else
		int native = d->nr_x86_64;
#endif
		if (native < 0)
			m |= MW_EVBIT(i);
	}
	return m;
}

static int finish(struct mw_opts *o, char *err, size_t n)
{
	uint64_t syscalls = o->event_mask & ~MW_EVBIT(MW_EV_DO_MMAP);

	if (mw_filter_finish(&o->filters, err, n))
		return -1;
	if (syscalls && !(syscalls & ~compat_only_events())) {
		if (o->compat == 0)
			return mw_opt_fail(err, n, "the events chosen are made only by 32-bit tasks, and --compat off ignores those: nothing would be traced");
	}
	if (o->cmd && (o->filters.on & (MW_FLT_PID | MW_FLT_TID) || o->filters.follow))
		return mw_opt_fail(err, n, "--pid/--tid/--follow select processes that already run; with -- COMMAND only COMMAND's tree is traced: drop one of them");
	if (o->alerts && ((o->filters.on & (MW_FLT_ARGS | MW_FLT_RESULT | MW_FLT_ERRNO)) ||
			  (o->event_mask & mw_class_mask(MW_CL_MAPPING)) != mw_class_mask(MW_CL_MAPPING)))
		return mw_opt_fail(err, n, "alerts need every mapping call of the processes in scope: use scope filters (--pid, --comm, --uid, ...) with them, not argument filters or an --events list that leaves a syscall out (adding do_mmap is fine)");
	if (o->alerts && !o->events_given)
		o->event_mask |= mw_class_mask(MW_CL_ALERTS); /* shmat, shmdt, brk, madvise, memfd_create */
	if (o->summary && o->stack_depth)
		return mw_opt_fail(err, n, "-c/--summary sends no call to user space: it cannot print stacks (-k/--stack)");
	if (o->summary_opt && !o->summary)
		return mw_opt_fail(err, n, "%s needs -c/--summary", o->summary_opt);
	if (o->summary && o->alerts)
		return mw_opt_fail(err, n, "-c/--summary counts calls in the kernel and sends none to user space: it cannot raise alerts (--alerts, --alerts-only, --kill-wx)");
	if (o->append && (!o->output || !strcmp(o->output, "-")))
		return mw_opt_fail(err, n, "--append needs --output FILE");
	if (o->kill_wx && (o->filters.on & MW_FLT_COMM))
		return mw_opt_fail(err, n, "--comm matches the task's own name, which any process renames (prctl PR_SET_NAME): --kill-wx refuses it as a scope; use --exe, --cgroup, --uid, --pid or -- COMMAND");
	if (o->nallow && !o->alerts)
		return mw_opt_fail(err, n, "--allow only makes sense with --alerts, --alerts-only or --kill-wx");
	if ((mw_opt_given(o, mw_opt_lookup("capture-max")) || mw_opt_given(o, mw_opt_lookup("capture-quota")) ||
	     mw_opt_given(o, mw_opt_lookup("capture-rate"))) && !o->capture_dir && !o->yara)
		return mw_opt_fail(err, n, "--capture-max, --capture-quota and --capture-rate need --capture DIR or --yara RULES");
	if (mw_opt_given(o, mw_opt_lookup("capture-quota")) && !o->capture_dir)
		return mw_opt_fail(err, n, "--capture-quota needs --capture DIR");
	if (o->exit_with_command && !o->cmd)
		return mw_opt_fail(err, n, "--exit-with-command needs a command after --");
	return 0;
}

int mw_opts_finish(struct mw_opts *o, char *err, size_t n)
{
	return mw_opt_clean(err, n, finish(o, err, n));
}
