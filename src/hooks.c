/* hooks.c - the hooks' public face: start (choose, load, attach), describe, announce, statistics, detach, stop. The work is in src/hooks/. */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "msg.h"
#include "mapwatch.skel.h"
#include "hooks/internal.h"

const char *const mw_hook_mode_names[] = {
	[MW_HOOK_AUTO] = "auto",
	[MW_HOOK_TRACEPOINT] = "tracepoint",
	[MW_HOOK_DISPATCHER] = "dispatcher",
	[MW_HOOK_FUNCTION] = "function",
};

void mw_hooks_append(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 3 >= n)
		return;
	if (len)
		len += snprintf(buf + len, n - len, "; ");
	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

void mw_hook_cfg_from_opts(struct mw_hook_cfg *c, const struct mw_opts *o, bool follow, bool compat)
{
	const char *tmax = getenv("MAPWATCH_TRACED_MAX"), *sync = getenv("MAPWATCH_SYNC_DETACH");

	*c = (struct mw_hook_cfg){
		.hook = o->hook,
		.compat = compat,
		.follow = follow,
		.event_mask = o->event_mask,
		.buffer_size = o->buffer_size,
		.lifecycle = o->lifecycle,
		.alerts = o->alerts,
		.kill_wx = o->kill_wx,
		.allow = o->allow,
		.nallow = o->nallow,
		.summary = o->summary,
		.summary_by = o->summary_by,
		.stack_depth = o->stack_depth,
		.capture_max = o->capture_dir || o->yara ? o->capture_max : 0,
		.capture_rate = o->capture_rate,
		.filters = &o->filters,
		.verbose = o->verbose,
		.traced_max = tmax && atoi(tmax) > 0 ? (uint32_t)atoi(tmax) : 0,
		.sync_detach = sync && *sync && strcmp(sync, "0"),
		.no_callsite = getenv("MAPWATCH_NO_CALLSITE") && strcmp(getenv("MAPWATCH_NO_CALLSITE"), "0"),
	};
}

struct mw_hooks *mw_hooks_start(const struct mw_hook_cfg *cfg)
{
	struct mw_hooks *h = calloc(1, sizeof(*h));

	if (!h) {
		mw_err_line("out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	h->stop_fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if (mw_hooks_load_all(h)) {
		mw_hooks_unload(h); /* what was loaded or attached before the failure */
		free(h);
		return NULL;
	}
	mw_phase("programs attached");
	malloc_trim(0);
	return h;
}

struct mapwatch_bpf *mw_hooks_skel(struct mw_hooks *h)
{
	return h->skel;
}

const char *mw_hooks_describe(struct mw_hooks *h, char *buf, size_t n)
{
	size_t len = 0;

	len += snprintf(buf + len, n - len, "%s", mw_hook_mode_names[h->mode]);
	if (h->mode == MW_HOOK_FUNCTION && len < n) {
		len += snprintf(buf + len, n - len, " (fentry/fexit on");
		for (int i = 0; i < h->nfn && len < n; i++)
			len += snprintf(buf + len, n - len, " %s", h->fn[i].func);
		if (len < n)
			len += snprintf(buf + len, n - len, ")");
	} else if (h->track && len < n) {
		len += snprintf(buf + len, n - len, " (per-syscall tracepoints; one tp_btf dispatcher instead while a 32-bit process runs: each 32-bit start is unseen until it is attached, int 0x80 from 64-bit programs while none runs)");
	} else if (h->mode == MW_HOOK_TRACEPOINT && len < n) {
		len += snprintf(buf + len, n - len, " (per-syscall tracepoints; 32-bit calls not traced)");
	} else if (len < n) {
		len += snprintf(buf + len, n - len, " (one tp_btf pair on every syscall%s)",
				h->cfg.compat ? ": every 32-bit call seen from the first instruction" : "");
	}
	if (h->refused[0] && len < n)
		len += snprintf(buf + len, n - len, "; refused: %s", h->refused);
	if (h->skipped[0] && len < n)
		snprintf(buf + len, n - len, "; skipped: %s", h->skipped);
	return buf;
}

const char *mw_hooks_probe(const struct mw_hook_cfg *cfg, char *buf, size_t n)
{
	struct mw_hooks *h;

	mw_hooks_libbpf_print(0);
	if (geteuid() != 0 && !mw_have_cap(21)) {
		snprintf(buf, n, "unknown: probing needs root");
		return buf;
	}
	if (mw_check_tracefs()) {
		snprintf(buf, n, "unknown: no tracefs");
		return buf;
	}
	h = mw_hooks_start(cfg);
	if (!h) {
		snprintf(buf, n, "none: the programs do not load here (run mapwatch -v to see why)");
		return buf;
	}
	mw_hooks_describe(h, buf, n);
	mw_hooks_stop(h);
	return buf;
}

/* -v: what is attached, said once mapwatch records (tracer.c calls it
 * right after turning reporting on): a line that said "attached" while
 * calls were still ignored sent users (and hooks/switch_on_32bit) off
 * too early. */
void mw_hooks_announce(struct mw_hooks *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->track)
		/* said without -v: this mode can miss 32-bit calls */
		fprintf(stderr, "mapwatch: warning: --hook tracepoint: a 32-bit program started by another process runs unseen until the dispatcher is attached (counted: --stats hooks.switchGap), and int 0x80 from 64-bit programs is seen only while it is; --hook auto sees both\n");
	if (h->cfg.verbose) {
		enum mw_hook mode = h->mode;
		enum dm_mode dm = h->dm;
		int n = h->nlinks + h->ntp + h->ndisp;
		const char *compat = !h->cfg.compat ? "not traced"
				     : h->track ? "traced once the dispatcher is attached"
						: "traced from their first instruction, int 0x80 from 64-bit tasks too";
		fprintf(stderr, "mapwatch: attached %d programs (hook %s%s, 32-bit tasks %s%s)\n", n,
			mw_hook_mode_names[mode],
			h->track ? (h->ndisp ? ": dispatcher now, 32-bit processes running" : ": per-syscall tracepoints now, dispatcher while a 32-bit process runs") : "",
			compat,
			dm == DM_FENTRY ? ", do_mmap by fentry/fexit" : dm == DM_KPROBE ? ", do_mmap by kprobe/kretprobe" : "");
		if (h->refused[0])
			fprintf(stderr, "mapwatch: better hooks refused: %s\n", h->refused);
		if (h->skipped[0])
			fprintf(stderr, "mapwatch: hooks this kernel lacks (calls not traced): %s\n", h->skipped);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Runs of the program behind fd that the kernel skipped (recursion misses); 0 without one. */
static uint64_t prog_runs_missed(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.recursion_misses : 0;
}

void mw_hooks_get_stats(struct mw_hooks *h, struct mw_hooks_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = "none";
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	st->mode = mw_hook_mode_names[h->mode];
	st->switching = h->track;
	st->compat_from_start = h->cfg.compat && !h->track;
	st->to_disp = h->to_disp;
	st->to_tp = h->to_tp;
	st->gap_max_ns = h->gap_max_ns;
	if (h->skel) {
		struct bpf_program *p;
		for_each_prog(h, p)
			st->missed += prog_runs_missed(bpf_program__fd(p));
	}
	pthread_mutex_unlock(&h->lock);
}

void mw_hooks_detach(struct mw_hooks *h)
{
	if (h)
		mw_hooks_detach_all(h);
}

void mw_hooks_stop(struct mw_hooks *h)
{
	if (!h)
		return;
	mw_hooks_unload(h);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

