/* hooks/load.c - the BPF object: which programs load in which mode (a table from the skeleton and the catalogue), its settings, the load, and the first attach. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fileid.h"
#include "catalog.h"
#include "filter.h"
#include "msg.h"
#include "mw_calls.h"
#include "mapwatch.skel.h"
#include "hooks/internal.h"
#include "summary_abi.h"

/* ---- -vvv: what the verifier spent on each program ----
 * Log level 4 gives only the statistics lines ("processed N insns",
 * "verification time", "stack depth" per subprogram): the figures that
 * decide whether a program fits an older kernel's limits (1M instructions,
 * 512 bytes of combined stack) and what start-up costs. */
#define MW_STATS_LOG 2048

static void verifier_stats_ask(struct bpf_program *p)
{
	char *buf = calloc(1, MW_STATS_LOG);

	if (buf && bpf_program__set_log_buf(p, buf, MW_STATS_LOG) == 0)
		bpf_program__set_log_level(p, 4);
	else
		free(buf);
}

static void verifier_stats_print(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		size_t n;
		char *buf = (char *)bpf_program__log_buf(p, &n);

		if (!buf)
			continue;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
			if (!strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
			    !strncmp(line, "stack depth", 11))
				fprintf(stderr, "mapwatch: verifier: %s: %s\n", bpf_program__name(p), line);
		bpf_program__set_log_buf(p, NULL, 0);
		free(buf);
	}
}


/* ---- what each program is: a table from the skeleton and the catalogue ---- */

static void prog_add(struct mw_hooks *h, const struct bpf_program *p, enum prog_kind k, int ev, int slot, bool exit)
{
	if (h->nprogs < MW_MAX_PROGS)
		h->progs[h->nprogs++] = (struct prog_info){ .prog = p, .kind = k, .event = ev, .slot = slot, .exit = exit };
}

/* One enter/exit pair per syscall row of the catalogue (the BPF side
 * defines them from the same rows: mapwatch.bpf.c's NATIVE_ROW), 64
 * function slots (hooks.bpf.h's FN_SLOT), and the rest by name. */
#define TP_ROW_SYS(name, ev)                                                       \
	prog_add(h, h->skel->progs.enter_##name, PK_TP, ev, -1, false);            \
	prog_add(h, h->skel->progs.exit_##name, PK_TP, ev, -1, true);
#define TP_ROW_KFN(name, ev)
#define TP_ROW(id, ID, name, kind, ...) TP_ROW_##kind(name, MW_EV_##ID)
#define FN_SLOT(i)                                                                 \
	prog_add(h, h->skel->progs.fn_enter_##i, PK_FN, -1, i, false);             \
	prog_add(h, h->skel->progs.fn_exit_##i, PK_FN, -1, i, true);

/* code_write's route hooks (hooks.bpf.h, from mw_calls.h's MW_ROUTES): a
 * sys_exit tracepoint per route (tracepoint mode) and the fexit slots
 * (function mode); the dispatcher takes them by number (fill_nr_event). */
#define RT_TP(ID, name, ...) prog_add(h, h->skel->progs.cw_exit_##name, PK_ROUTE, MW_RT_##ID, -1, true);
#define RT_SLOT(i) prog_add(h, h->skel->progs.rt_exit_##i, PK_RT, -1, i, true);
static void mw_codewrite_progs(struct mw_hooks *h)
{
	MW_ROUTES(RT_TP)
	MW_RT_SLOT_LIST(RT_SLOT)
}
#undef RT_TP
#undef RT_SLOT

static void progs_table(struct mw_hooks *h)
{
	h->nprogs = 0;
	MW_CALLS(TP_ROW)
	MW_FN_SLOT_LIST(FN_SLOT)
	prog_add(h, h->skel->progs.disp_enter, PK_DISP, -1, -1, false);
	prog_add(h, h->skel->progs.disp_exit, PK_DISP, -1, -1, true);
	prog_add(h, h->skel->progs.on_fork, PK_LIFE, -1, -1, false);
	prog_add(h, h->skel->progs.on_exec, PK_LIFE, -1, -1, false);
	prog_add(h, h->skel->progs.on_task_exit, PK_LIFE, -1, -1, true);
	prog_add(h, h->skel->progs.dm_fentry, PK_DM_FENTRY, -1, -1, false);
	prog_add(h, h->skel->progs.dm_fexit, PK_DM_FENTRY, -1, -1, true);
	prog_add(h, h->skel->progs.dm_kprobe, PK_DM_KPROBE, -1, -1, false);
	prog_add(h, h->skel->progs.dm_kretprobe, PK_DM_KPROBE, -1, -1, true);
	mw_codewrite_progs(h);
}
#undef TP_ROW
#undef TP_ROW_SYS
#undef TP_ROW_KFN
#undef FN_SLOT

/* p's row; a program the table lacks is PK_OTHER (loaded as the object
 * says, attached for the whole run). */
const struct prog_info *mw_prog_info(const struct mw_hooks *h, const struct bpf_program *p)
{
	static const struct prog_info other = { .kind = PK_OTHER, .event = -1, .slot = -1 };

	for (int i = 0; i < h->nprogs; i++)
		if (h->progs[i].prog == p)
			return &h->progs[i];
	return &other;
}

/* An instance of the object is open: the pages of the object embedded in
 * the binary (8 MiB, read by libbpf at open, which copies what it keeps)
 * leave mapwatch's resident set. A read-only file mapping: read again (the
 * dispatcher's instance is opened later), they fault in from the file,
 * unchanged. */
static void release_object_bytes(void)
{
	size_t sz, pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)mapwatch_bpf__elf_bytes(&sz);
	uintptr_t lo = (a + pg - 1) & ~(uintptr_t)(pg - 1), hi = (a + sz) & ~(uintptr_t)(pg - 1);

	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Fill the nr_event map from the catalogue: every event (do_mmap needs to
 * know a mapping syscall is in progress; on_enter checks --events), 32-bit
 * numbers only when 32-bit tasks are traced. In alerts mode, code_write's
 * routes for the dispatcher to judge: both ABIs in dispatcher mode, the
 * 32-bit ones in tracepoint mode (whose sys_exit tracepoints see the
 * native calls). */
static int nr_put(int fd, int nr, bool compat, uint8_t v)
{
	uint32_t k = (uint32_t)nr + (compat ? MW_NR_SLOTS : 0);

	if (nr < 0 || nr >= MW_NR_SLOTS)
		return 0;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

static int fill_nr_event(struct mw_hooks *h)
{
	int fd = bpf_map__fd(h->skel->maps.nr_event), err = 0;
	bool routes = (h->cfg.alerts || h->cfg.kill_wx) && h->mode != MW_HOOK_FUNCTION;

	for (int c = 0; c <= (h->cfg.compat ? 1 : 0); c++) {
		for (int ev = 0; ev < MW_EV_MAX && !err; ev++)
			err = nr_put(fd, mw_catalog_nr(ev, c), c, (uint8_t)(ev + 1));
		for (int rt = MW_RT_NONE + 1; routes && (c || h->mode == MW_HOOK_DISPATCHER) && rt < MW_RT_MAX && !err; rt++)
			err = nr_put(fd, mw_route_nr(rt, c), c, (uint8_t)(MW_NR_ROUTE + rt));
	}
	return err;
}

/* Aim a function-mode program at its slot's function: 0, or -1 with why. */
static int target_slot(struct bpf_program *p, const struct fn_slot *slot, char *why, size_t whylen)
{
	int err = bpf_program__set_attach_target(p, 0, slot->func);

	if (err)
		snprintf(why, whylen, "cannot target %s: %s", slot->func, strerror(-err));
	return err ? -1 : 0;
}

static int hooks_load(struct mw_hooks *h, enum mw_hook mode, enum dm_mode dm, char *why, size_t whylen)
{
	const struct mw_hook_cfg *o = &h->cfg;
	struct bpf_program *p;
	const char *tdir = mw_tracefs_dir();
	int err;
	int vmf = dm != DM_NONE ? mw_do_mmap_has_vmflags() : 0;
	bool disp = mode == MW_HOOK_DISPATCHER || (mode == MW_HOOK_TRACEPOINT && h->cfg.compat);

	if (dm != DM_NONE && vmf < 0) {
		snprintf(why, whylen, "do_mmap is not in the kernel's BTF");
		return -1;
	}
	if (dm == DM_FENTRY && !vmf) {
		snprintf(why, whylen, "this do_mmap has the pre-6.3 signature, whose stack arguments fentry cannot take");
		return -1;
	}
	h->mode = mode;
	h->dm = dm;
	h->track = mode == MW_HOOK_TRACEPOINT && h->cfg.compat;
	h->skel = mapwatch_bpf__open();
	if (!h->skel) {
		mw_err_line("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	mw_phase("BPF object opened");
	release_object_bytes(); /* libbpf has its copy: not resident while it loads */
	progs_table(h);
	struct stat root;
	if (stat("/", &root) == 0)
		h->skel->rodata->root_dev = mw_kdev(root.st_dev);
	h->skel->rodata->self_tgid = getpid();
	h->skel->rodata->follow_only = h->cfg.follow;
	h->skel->rodata->event_mask = o->event_mask;
	h->skel->rodata->wake_bytes = o->buffer_size / 8;
	h->skel->rodata->lifecycle_recs = o->lifecycle || o->alerts;
	if (o->alerts) {
		/* file ages for dropped_code, in the kernel's CLOCK_REALTIME (inode times) */
		struct timespec rt, bt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_BOOTTIME, &bt);
		h->skel->rodata->real_minus_boot_ns = (int64_t)(rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
	}
	h->skel->rodata->kill_wx = o->kill_wx;
	h->skel->rodata->codewrite_on = o->alerts || o->kill_wx;
	h->skel->rodata->allow_on = o->nallow > 0;
	h->skel->rodata->dm_has_vmflags = vmf > 0;
	h->skel->rodata->track_compat = h->track;
	for (int i = 0; mode == MW_HOOK_FUNCTION && i < h->nfn; i++) {
		h->skel->rodata->fn_event[i] = (uint8_t)h->fn[i].event;
		h->skel->rodata->fn_compat[i] = (uint8_t)h->fn[i].compat;
	}
	for (int i = 0; mode == MW_HOOK_FUNCTION && i < h->nrt; i++) {
		h->skel->rodata->rt_route[i] = (uint8_t)h->rt[i].event;
		h->skel->rodata->rt_compat[i] = (uint8_t)h->rt[i].compat;
	}
	h->skel->rodata->summary_on = o->summary;
	h->skel->rodata->summary_by = (uint8_t)o->summary_by;
	/* user space names each cgroup while it runs: for the events, or a summary by container or pod */
	h->skel->rodata->ctr_announce = !o->summary || o->summary_by == MW_SUM_CONTAINER || o->summary_by == MW_SUM_POD;
	h->skel->rodata->stack_on = o->stack_depth > 0;
	h->skel->rodata->stack_depth = o->stack_depth;
	h->skel->rodata->capture_max = o->capture_max;
	h->skel->rodata->capture_rate = o->capture_rate;
	h->skel->rodata->callsite_on = (o->alerts || o->kill_wx) && !o->no_callsite;
	mw_filter_rodata(o->filters, h->skel);
	if (o->traced_max) /* test knob: a small traced map, to see a full one reported as a loss */
		bpf_map__set_max_entries(h->skel->maps.traced, o->traced_max);
	err = bpf_map__set_max_entries(h->skel->maps.rb, o->buffer_size);
	if (err) {
		mw_err_line("cannot size the ring buffer to %zu bytes: %s", o->buffer_size, strerror(-err));
		return -1;
	}
	bpf_object__for_each_program(p, h->skel->obj) {
		const struct prog_info *pi = mw_prog_info(h, p);
		int ev = pi->event, slot = pi->slot;
		bool want = true;

		switch (pi->kind) {
		case PK_TP:
			want = mode == MW_HOOK_TRACEPOINT && ev >= 0 && (o->event_mask & MW_EVBIT(ev)) &&
			       mw_catalog_nr(ev, false) >= 0; /* mmap2 has no native tracepoint on 64-bit */
			if (want && !mw_tracepoint_exists(tdir, bpf_program__section_name(p))) {
				want = false;
				if (strstr(bpf_program__section_name(p), "sys_enter_"))
					mw_hooks_append(h->skipped, sizeof(h->skipped), "%s: no tracepoint %s",
					       mw_event_desc(ev)->name, bpf_program__section_name(p) + 11);
			}
			break;
		case PK_DISP:
			want = disp;
			break;
		case PK_FN:
			want = mode == MW_HOOK_FUNCTION && slot >= 0 && slot < h->nfn;
			if (want && target_slot(p, &h->fn[slot], why, whylen))
				return -1;
			break;
		case PK_LIFE:
			want = p != h->skel->progs.on_fork || o->follow || o->lifecycle || o->alerts || h->track;
			break;
		case PK_DM_FENTRY:
			want = dm == DM_FENTRY;
			break;
		case PK_DM_KPROBE:
			want = dm == DM_KPROBE;
			break;
		case PK_ROUTE: /* only alerts judge them; a kernel without the call's tracepoint lacks the call */
			want = (o->alerts || o->kill_wx) && mode == MW_HOOK_TRACEPOINT &&
			       mw_tracepoint_exists(tdir, bpf_program__section_name(p));
			break;
		case PK_RT: /* plan_routes found the slots' functions (alerts only) */
			want = mode == MW_HOOK_FUNCTION && slot >= 0 && slot < h->nrt;
			if (want && target_slot(p, &h->rt[slot], why, whylen))
				return -1;
			break;
		case PK_OTHER:
			want = bpf_program__autoload(p);
			break;
		}
		bpf_program__set_autoload(p, want);
		if (want && o->verbose >= 3)
			verifier_stats_ask(p);
	}
	mw_phase("BPF object opened and set up");
	err = mapwatch_bpf__load(h->skel);
	mw_phase("programs verified and loaded");
	if (o->verbose >= 3)
		verifier_stats_print(h->skel->obj);
	if (err && (dm != DM_NONE || mode == MW_HOOK_FUNCTION)) {
		snprintf(why, whylen, "loading failed: %s", strerror(-err));
		return -1;
	}
	if (err) {
		if (err == -EPERM || errno == EPERM)
			mw_err_line("the kernel refused to load the BPF programs (permission denied): run as root with CAP_BPF and CAP_PERFMON, and check kernel.unprivileged_bpf_disabled / lockdown");
		else
			mw_err_line("loading the BPF programs failed: %s (run with -vv for libbpf's messages and the verifier log)",
				 strerror(-err));
		return -1;
	}
	err = mw_filter_maps(o->filters, h->skel);
	if (err) {
		mw_err_line("cannot load the filters into the kernel: %s", strerror(-err));
		return -1;
	}
	err = fill_nr_event(h);
	if (err) {
		mw_err_line("cannot fill the syscall-number map: %s", strerror(-err));
		return -1;
	}
	/* --allow identities, before anything attaches: the kernel caches each
	 * process's verdict at its first event */
	for (int i = 0; i < o->nallow; i++) {
		struct mw_inode_key k;
		uint8_t one = 1;
		if (mw_path_key(o->allow[i], &k, NULL) ||
		    bpf_map__update_elem(h->skel->maps.allow_ino, &k, sizeof(k), &one, sizeof(one), BPF_ANY)) {
			mw_err_line("cannot load --allow %s into the kernel: %s", o->allow[i], strerror(errno));
			return -1;
		}
	}
	/* do_mmap first: its failure means another do_mmap hook is tried */
	for_each_prog(h, p) {
		enum prog_kind k = mw_prog_info(h, p)->kind;

		if (!bpf_program__autoload(p) || (k != PK_DM_FENTRY && k != PK_DM_KPROBE))
			continue;
		err = mw_attach_into(h, p, h->links, &h->nlinks, MW_MAX_PROGS);
		if (err) {
			snprintf(why, whylen, "attaching %s failed: %s", bpf_program__section_name(p), strerror(-err));
			return -1;
		}
	}
	if (mode == MW_HOOK_FUNCTION) {
		for_each_prog(h, p) {
			int slot = mw_prog_info(h, p)->slot;

			if (!bpf_program__autoload(p) || mw_prog_info(h, p)->kind != PK_FN)
				continue;
			err = mw_attach_into(h, p, h->links, &h->nlinks, MW_MAX_PROGS);
			if (err) {
				snprintf(why, whylen, "attaching fentry/fexit on %s failed: %s", h->fn[slot].func,
					 strerror(-err));
				return -1;
			}
		}
	}
	/* lifecycle before the /proc scan, so a 32-bit process cannot slip between */
	if (mw_attach_kind(h, PK_LIFE, h->links, &h->nlinks, MW_MAX_PROGS) ||
	    mw_attach_kind(h, PK_ROUTE, h->links, &h->nlinks, MW_MAX_PROGS) ||
	    mw_attach_kind(h, PK_RT, h->links, &h->nlinks, MW_MAX_PROGS) ||
	    mw_attach_kind(h, PK_OTHER, h->links, &h->nlinks, MW_MAX_PROGS))
		return -1;
	if (mode == MW_HOOK_DISPATCHER) {
		if (mw_switch_to_dispatcher(h))
			return -1;
	} else if (mode == MW_HOOK_TRACEPOINT) {
		if (h->track)
			mw_seed_compat_procs(h);
		if (mw_hooks_settle(h, NULL) || (h->track && mw_watch_start(h)))
			return -1;
	}
	return 0;
}

/* Load in mode, with the do_mmap hook when asked: fentry/fexit first,
 * kprobe/kretprobe next; the first that loads and attaches wins.
 * 0; -1 after printing why; -2 (function mode only) with why in h->refused. */
static int hooks_load_dm(struct mw_hooks *h, enum mw_hook mode)
{
	char why_f[256] = "", why_k[256] = "", why[300] = "";
	char save[sizeof(h->skipped)];

	memcpy(save, h->skipped, sizeof(save));
	if (!(h->cfg.event_mask & MW_EVBIT(MW_EV_DO_MMAP))) {
		if (hooks_load(h, mode, DM_NONE, why, sizeof(why)) == 0)
			return 0;
		mw_hooks_unload(h);
		memcpy(h->skipped, save, sizeof(save));
		if (mode != MW_HOOK_FUNCTION)
			return -1;
		mw_hooks_append(h->refused, sizeof(h->refused), "function: %s", why);
		return -2;
	}
	if (hooks_load(h, mode, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		return 0;
	mw_hooks_unload(h);
	memcpy(h->skipped, save, sizeof(save));
	if (hooks_load(h, mode, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		return 0;
	mw_hooks_unload(h);
	memcpy(h->skipped, save, sizeof(save));
	if (mode == MW_HOOK_FUNCTION) {
		mw_hooks_append(h->refused, sizeof(h->refused), "function: %s", why_f);
		return -2;
	}
	mw_err_line("event do_mmap needs a kernel-function hook and none works here: fentry/fexit on do_mmap: %s; kprobe/kretprobe on do_mmap: %s",
		 why_f, why_k);
	return -1;
}

/* Try the hook modes o->hook allows, best first. Where function hooks are
 * refused and 32-bit tasks are traced, auto takes the dispatcher: the
 * per-syscall tracepoints never see a 32-bit call, and attaching the
 * dispatcher when a 32-bit program starts leaves that program's first
 * instructions unseen (and int 0x80 from a 64-bit task unseen always). */
int mw_hooks_load_all(struct mw_hooks *h)
{
	enum mw_hook want = h->cfg.hook;
	char why[300];
	int rc;

	if (want == MW_HOOK_AUTO || want == MW_HOOK_FUNCTION) {
		int refused = mw_function_mode_refused(h, why, sizeof(why));
		mw_phase(refused ? "function hooks probed: refused" : "function hooks probed: possible");
		if (!refused) {
			rc = hooks_load_dm(h, MW_HOOK_FUNCTION);
			if (rc != -2)
				return rc;
		} else {
			mw_hooks_append(h->refused, sizeof(h->refused), "function: %s", why);
		}
		if (want == MW_HOOK_FUNCTION) {
			mw_err_line("--hook function is not possible here (%s): use --hook auto", h->refused);
			return -1;
		}
	}
	if (want == MW_HOOK_TRACEPOINT && h->cfg.compat && (h->cfg.alerts || h->cfg.kill_wx)) {
		mw_err_line("--hook tracepoint leaves each 32-bit program's first instructions (and int 0x80 from 64-bit programs) unseen, which --alerts, --alerts-only and --kill-wx cannot allow: use --hook auto (or dispatcher), or --compat off if no 32-bit code may run here");
		return -1;
	}
	return hooks_load_dm(h, want == MW_HOOK_DISPATCHER || (want == MW_HOOK_AUTO && h->cfg.compat) ? MW_HOOK_DISPATCHER
												 : MW_HOOK_TRACEPOINT);
}

const char *mw_do_mmap_availability(char *buf, size_t n)
{
	static const struct mw_filters none;
	static struct mw_hooks t; /* large: not on the stack */
	char why_f[256] = "", why_k[256] = "";

	memset(&t, 0, sizeof(t));
	t.cfg = (struct mw_hook_cfg){ .event_mask = MW_EVBIT(MW_EV_DO_MMAP), .hook = MW_HOOK_TRACEPOINT,
				      .buffer_size = 4096, .filters = &none };
	t.stop_fd = -1;
	mw_hooks_libbpf_print(0);
	if (geteuid() != 0 && !mw_have_cap(21)) {
		snprintf(buf, n, "unknown: probing needs root");
		return buf;
	}
	/* no syscall is selected: nothing but do_mmap (and lifecycle) is attached */
	if (hooks_load(&t, MW_HOOK_TRACEPOINT, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		snprintf(buf, n, "available (fentry/fexit)");
	else if (mw_hooks_unload(&t), hooks_load(&t, MW_HOOK_TRACEPOINT, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		snprintf(buf, n, "available (kprobe/kretprobe)");
	else
		snprintf(buf, n, "unavailable: fentry: %s; kprobe: %s", why_f, why_k);
	mw_hooks_unload(&t);
	return buf;
}
