/* hooks.c - the BPF object's lifecycle and its hooks into the kernel: choose, load, attach, detach. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "mapwatch.skel.h"
#include "alerts.h"
#include "catalog.h"
#include "hooks.h"

#define TRACEFS_MAGIC 0x74726163
#define MW_MAX_PROGS (2 * MW_EV_MAX + 16) /* a pair per catalogue row, raw, lifecycle, do_mmap */

struct mw_hooks {
	const struct mw_opts *o;
	struct mapwatch_bpf *skel;
	struct bpf_link *links[MW_MAX_PROGS];
	bool link_is_exit[MW_MAX_PROGS]; /* detached first (see hooks_detach) */
	int nlinks;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static void die_line(const char *fmt, ...)
{
	va_list ap;

	fputs("mapwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- environment checks ---- */


static int have_cap(int cap)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> cap) & 1;
}

static int check_privileges(void)
{
	/* CAP_SYS_ADMIN 21, CAP_PERFMON 38, CAP_BPF 39 */
	if (geteuid() == 0 || have_cap(21) || (have_cap(38) && have_cap(39)))
		return 0;
	die_line("permission denied: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON); run it with sudo");
	return -1;
}

static int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	die_line("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	return -1;
}

static int is_tracefs(const char *dir)
{
	struct statfs st;
	char p[256];

	snprintf(p, sizeof(p), "%s/events", dir);
	return statfs(dir, &st) == 0 && st.f_type == TRACEFS_MAGIC && access(p, R_OK) == 0;
}

static int check_tracefs(void)
{
	if (is_tracefs("/sys/kernel/tracing") || is_tracefs("/sys/kernel/debug/tracing"))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    is_tracefs("/sys/kernel/tracing"))
		return 0;
	die_line("tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs nodev /sys/kernel/tracing' as root",
		 strerror(errno));
	return -1;
}

int mw_compat_supported(void)
{
#if defined(__x86_64__)
	/* Ask the kernel itself: a 32-bit getpid through int 0x80 in a child.
	 * A kernel without ia32 emulation (or with it disabled at boot) kills
	 * the child with SIGSEGV. */
	pid_t p = fork();
	int st;

	if (p < 0)
		return 1; /* cannot tell: assume it can, costing only speed */
	if (p == 0) {
		long r;
		int devnull = open("/dev/null", O_WRONLY);
		/* a sanitizer's fault handler must not report the expected SIGSEGV */
		if (devnull >= 0)
			dup2(devnull, 2);
		signal(SIGSEGV, SIG_DFL);
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		_exit(r > 0 ? 0 : 3);
	}
	if (waitpid(p, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#elif defined(__aarch64__)
	/* arm64 kernels run AArch32 tasks only with CONFIG_COMPAT on a CPU that
	 * has AArch32 at EL0; /proc/sys/abi exists with CONFIG_COMPAT alone (qemu
	 * -cpu a64fx has it and cannot run armhf programs). Ask the kernel, as
	 * `linux32` does: personality(PER_LINUX32) is EINVAL without AArch32 EL0.
	 * In a child, so that mapwatch's own personality is left alone. */
	pid_t p = fork();
	int st;

	if (p < 0)
		return 1; /* cannot tell: assume it can, costing only speed */
	if (p == 0)
		_exit(personality(PER_LINUX32) == -1 ? 3 : 0);
	if (waitpid(p, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#else
	return 0;
#endif
}

/* ---- BPF set-up ---- */

struct prog_sel {
	struct bpf_program *prog;
	int event; /* -1: not an event program */
	int kind;  /* 0 native tracepoint, 1 raw, 2 lifecycle, 3 do_mmap fentry/fexit, 4 do_mmap kprobes,
		    * 5 tracepoint of a call this ABI lacks (never loaded) */
};

static int collect_progs(struct mapwatch_bpf *s, struct prog_sel *ps)
{
	int n = 0;
	/* one enter/exit pair per syscall row of include/mw_calls.h */
#define NP_SYS(name, ev)                                                                 \
	{                                                                                \
		int k = mw_event_nr_native(mw_event_desc(ev)) >= 0 ? 0 : 5;             \
		ps[n++] = (struct prog_sel){ s->progs.enter_##name, ev, k };             \
		ps[n++] = (struct prog_sel){ s->progs.exit_##name, ev, k };              \
	}
#define NP_KFN(name, ev)
#define NP_ROW(id, ID, name, kind, ...) NP_##kind(name, MW_EV_##ID)
	MW_CALLS(NP_ROW)
#undef NP_ROW
#undef NP_SYS
#undef NP_KFN
	ps[n++] = (struct prog_sel){ s->progs.raw_enter, -1, 1 };
	ps[n++] = (struct prog_sel){ s->progs.raw_exit, -1, 1 };
	ps[n++] = (struct prog_sel){ s->progs.on_fork, -1, 2 };
	ps[n++] = (struct prog_sel){ s->progs.on_exec, -1, 2 };
	ps[n++] = (struct prog_sel){ s->progs.on_task_exit, -1, 2 };
	ps[n++] = (struct prog_sel){ s->progs.dm_fentry, MW_EV_DO_MMAP, 3 };
	ps[n++] = (struct prog_sel){ s->progs.dm_fexit, MW_EV_DO_MMAP, 3 };
	ps[n++] = (struct prog_sel){ s->progs.dm_kprobe, MW_EV_DO_MMAP, 4 };
	ps[n++] = (struct prog_sel){ s->progs.dm_kretprobe, MW_EV_DO_MMAP, 4 };
	return n;
}

/* How the do_mmap hook is attached. */
enum dm_mode { DM_NONE, DM_FENTRY, DM_KPROBE };

/* Does this kernel's do_mmap take vm_flags (6.3+)? -1 when BTF has no do_mmap. */
static int do_mmap_has_vmflags(void)
{
	struct btf *vb = btf__load_vmlinux_btf();
	int rc = -1;

	if (!vb)
		return -1;
	int id = btf__find_by_name_kind(vb, "do_mmap", BTF_KIND_FUNC);
	if (id > 0) {
		const struct btf_type *fn = btf__type_by_id(vb, id);
		const struct btf_type *proto = btf__type_by_id(vb, fn->type);
		const struct btf_param *par = btf_params(proto);
		rc = btf_vlen(proto) > 5 && !strcmp(btf__name_by_offset(vb, par[5].name_off), "vm_flags");
	}
	btf__free(vb);
	return rc;
}

static int hooks_load(struct mw_hooks *h, bool follow, bool compat, enum dm_mode dm, char *why,
		       size_t whylen);

static void *destroy_link(void *l)
{
	bpf_link__destroy(l);
	return NULL;
}

/* Detach the links whose link_is_exit equals exits, all at once. Closing a
 * tracepoint's perf link waits for an RCU grace period (30-80 ms here);
 * one after the other that was most of a short command's run time (0.9 s
 * of 1.28 s). Closed from one thread each, the waits overlap. */
static void detach_some(struct mw_hooks *h, bool exits)
{
	pthread_t th[MW_MAX_PROGS];
	bool started[MW_MAX_PROGS] = { false };

	for (int i = 0; i < h->nlinks; i++)
		if (h->links[i] && h->link_is_exit[i] == exits)
			started[i] = pthread_create(&th[i], NULL, destroy_link, h->links[i]) == 0;
	for (int i = 0; i < h->nlinks; i++) {
		if (!h->links[i] || h->link_is_exit[i] != exits)
			continue;
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(h->links[i]);
		h->links[i] = NULL;
	}
}

/* Detach everything: the exit programs first (they count and emit events;
 * an entry left without its exit only leaves a stale slot), so no call is
 * taken for an unmatched exit while mapwatch stops. */
static void hooks_detach(struct mw_hooks *h)
{
	detach_some(h, true);
	detach_some(h, false);
	h->nlinks = 0;
}

static void hooks_unload(struct mw_hooks *h)
{
	hooks_detach(h);
	mapwatch_bpf__destroy(h->skel);
	h->skel = NULL;
}

/* Load everything, with the do_mmap hook when asked: fentry/fexit first,
 * kprobe/kretprobe next; the first that loads and attaches wins. */
static int hooks_load_all(struct mw_hooks *h, bool follow, bool compat)
{
	char why_f[256] = "", why_k[256] = "";

	if (!(h->o->event_mask & (1u << MW_EV_DO_MMAP)))
		return hooks_load(h, follow, compat, DM_NONE, NULL, 0) ? -1 : 0;
	if (hooks_load(h, follow, compat, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		return 0;
	hooks_unload(h);
	if (hooks_load(h, follow, compat, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		return 0;
	hooks_unload(h);
	die_line("event do_mmap needs a kernel-function hook and none works here: fentry/fexit on do_mmap: %s; kprobe/kretprobe on do_mmap: %s",
		 why_f, why_k);
	return -1;
}

static int hooks_load(struct mw_hooks *h, bool follow, bool compat, enum dm_mode dm, char *why,
		       size_t whylen)
{
	const struct mw_opts *o = h->o;
	struct prog_sel ps[MW_MAX_PROGS];
	int n, err;
	bool raw = o->hook == MW_HOOK_RAW || (o->hook == MW_HOOK_AUTO && compat);
	int vmf = dm != DM_NONE ? do_mmap_has_vmflags() : 0;

	if (dm != DM_NONE && vmf < 0) {
		snprintf(why, whylen, "do_mmap is not in the kernel's BTF");
		return -1;
	}
	if (dm == DM_FENTRY && !vmf) {
		snprintf(why, whylen, "this do_mmap has the pre-6.3 signature, whose stack arguments fentry cannot take");
		return -1;
	}
	h->skel = mapwatch_bpf__open();
	if (!h->skel) {
		die_line("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	h->skel->rodata->self_tgid = getpid();
	h->skel->rodata->follow_only = follow;
	h->skel->rodata->event_mask = o->event_mask;
	h->skel->rodata->raw_native = o->hook == MW_HOOK_RAW;
	h->skel->rodata->wake_bytes = o->buffer_size / 8;
	h->skel->rodata->lifecycle_recs = o->lifecycle || o->alerts;
	h->skel->rodata->kill_wx = o->kill_wx;
	h->skel->rodata->allow_on = o->nallow > 0;
	h->skel->rodata->dm_has_vmflags = vmf > 0;
	h->skel->rodata->summary_on = o->summary;
	h->skel->rodata->summary_by = (uint8_t)o->summary_by;
	mw_filter_rodata(&o->filters, h->skel);
	/* test knob: a small traced map, to see a full one reported as a loss */
	const char *tmax = getenv("MAPWATCH_TRACED_MAX");
	if (tmax && atoi(tmax) > 0)
		bpf_map__set_max_entries(h->skel->maps.traced, (uint32_t)atoi(tmax));
	err = bpf_map__set_max_entries(h->skel->maps.rb, o->buffer_size);
	if (err) {
		die_line("cannot size the ring buffer to %zu bytes: %s", o->buffer_size, strerror(-err));
		return -1;
	}
	n = collect_progs(h->skel, ps);
	for (int i = 0; i < n; i++) {
		bool want;
		if (ps[i].kind == 0)
			want = o->hook != MW_HOOK_RAW && (o->event_mask & (1u << ps[i].event));
		else if (ps[i].kind == 1)
			want = raw;
		else if (ps[i].kind == 3)
			want = dm == DM_FENTRY;
		else if (ps[i].kind == 4)
			want = dm == DM_KPROBE;
		else if (ps[i].kind == 5)
			want = false;
		else
			want = ps[i].prog != h->skel->progs.on_fork || follow || o->lifecycle || o->alerts;
		bpf_program__set_autoload(ps[i].prog, want);
	}
	err = mapwatch_bpf__load(h->skel);
	if (err && dm != DM_NONE) {
		snprintf(why, whylen, "loading failed: %s", strerror(-err));
		return -1;
	}
	if (err) {
		if (err == -EPERM || errno == EPERM)
			die_line("the kernel refused to load the BPF programs (permission denied): run as root with CAP_BPF and CAP_PERFMON, and check kernel.unprivileged_bpf_disabled / lockdown");
		else
			die_line("loading the BPF programs failed: %s (run with -vv for libbpf's messages and the verifier log)",
				 strerror(-err));
		return -1;
	}
	err = mw_filter_maps(&o->filters, h->skel);
	if (err) {
		die_line("cannot load the filters into the kernel: %s", strerror(-err));
		return -1;
	}
	/* --allow identities, before anything attaches: the kernel caches each
	 * process's verdict at its first event */
	for (int i = 0; i < o->nallow; i++) {
		struct mw_inode_key k;
		uint8_t one = 1;
		if (mw_allow_key(o->allow[i], &k) ||
		    bpf_map__update_elem(h->skel->maps.allow_ino, &k, sizeof(k), &one, sizeof(one), BPF_ANY)) {
			die_line("cannot load --allow %s into the kernel: %s", o->allow[i], strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!bpf_program__autoload(ps[i].prog))
			continue;
		struct bpf_link *l = bpf_program__attach(ps[i].prog);
		if (!l && ps[i].kind >= 3) {
			snprintf(why, whylen, "attaching %s failed: %s", bpf_program__section_name(ps[i].prog),
				 strerror(errno));
			return -1;
		}
		if (!l && errno == ENOENT && ps[i].kind == 0) {
			/* a call this kernel lacks (Debian's arm64 6.1 has no pkeys,
			 * so no sys_enter_pkey_mprotect): not traced, and said so */
			if (o->verbose)
				fprintf(stderr, "mapwatch: hooks this kernel lacks (calls not traced): %s: no such tracepoint\n",
					bpf_program__section_name(ps[i].prog));
			continue;
		}
		if (!l) {
			err = -errno;
			die_line("attaching %s failed: %s (is tracefs mounted at /sys/kernel/tracing?)",
				 bpf_program__section_name(ps[i].prog), strerror(-err));
			return -1;
		}
		const char *sec = bpf_program__section_name(ps[i].prog);
		h->link_is_exit[h->nlinks] = strstr(sec, "exit") || strstr(sec, "kretprobe");
		h->links[h->nlinks++] = l;
	}
	if (o->verbose)
		fprintf(stderr, "mapwatch: attached %d programs (hook %s, 32-bit tasks %s%s)\n", h->nlinks,
			o->hook == MW_HOOK_RAW ? "raw_syscalls" : "tracepoints",
			raw ? "traced" : "not traced",
			dm == DM_FENTRY ? ", do_mmap by fentry/fexit" : dm == DM_KPROBE ? ", do_mmap by kprobe/kretprobe" : "");
	return 0;
}

const char *mw_do_mmap_availability(char *buf, size_t n)
{
	struct mw_opts o = { .event_mask = 1u << MW_EV_DO_MMAP, .hook = MW_HOOK_TRACEPOINT,
			     .buffer_size = 4096 };
	struct mw_hooks t = { .o = &o };
	char why_f[256] = "", why_k[256] = "";

	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0 && !have_cap(21)) {
		snprintf(buf, n, "unknown: probing needs root");
		return buf;
	}
	if (hooks_load(&t, false, false, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		snprintf(buf, n, "available (fentry/fexit)");
	else if (hooks_unload(&t), hooks_load(&t, false, false, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		snprintf(buf, n, "available (kprobe/kretprobe)");
	else
		snprintf(buf, n, "unavailable: fentry: %s; kprobe: %s", why_f, why_k);
	hooks_unload(&t);
	return buf;
}

int mw_hooks_check_env(bool verbose)
{
	libbpf_set_print(verbose ? libbpf_verbose : libbpf_quiet);
	return check_privileges() || check_btf() || check_tracefs() ? -1 : 0;
}

struct mw_hooks *mw_hooks_start(const struct mw_opts *o, bool follow, bool compat)
{
	struct mw_hooks *h = calloc(1, sizeof(*h));

	if (!h) {
		die_line("out of memory");
		return NULL;
	}
	h->o = o;
	if (hooks_load_all(h, follow, compat)) {
		hooks_unload(h); /* what was loaded or attached before the failure */
		free(h);
		return NULL;
	}
	return h;
}

struct mapwatch_bpf *mw_hooks_skel(struct mw_hooks *h)
{
	return h->skel;
}

void mw_hooks_detach(struct mw_hooks *h)
{
	if (h)
		hooks_detach(h);
}

void mw_hooks_stop(struct mw_hooks *h)
{
	if (!h)
		return;
	hooks_unload(h);
	free(h);
}
