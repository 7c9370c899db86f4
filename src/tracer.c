/* tracer.c - BPF lifecycle (open, configure, load, attach), the command runner and the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "mapwatch.skel.h"
#include "alerts.h"
#include "catalog.h"
#include "format.h"
#include "proc.h"
#include "strbuf.h"
#include "tracer.h"

#define TRACEFS_MAGIC 0x74726163

static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t child_done;
static volatile sig_atomic_t hup_seen;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void on_sighup(int sig)
{
	(void)sig;
	hup_seen = 1;
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_done = 1;
}

struct tracer {
	const struct mw_opts *o;
	struct mapwatch_bpf *skel;
	struct ring_buffer *rb;
	FILE *out;
	struct strbuf line;
	struct strbuf path;
	uint64_t boot_to_epoch;
	uint64_t written;
	uint64_t proc_recs;
	uint64_t reported_loss[MW_CNT_MAX];
	struct bpf_link *links[32];
	bool link_is_exit[32];  /* detached first at the end (see detach_all) */
	int nlinks;
	struct mw_alerts *alerts;
	uint64_t alerts_written;
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
	/* arm64 kernels run AArch32 tasks only with CONFIG_COMPAT on a CPU that has EL0 AArch32. */
	return access("/proc/sys/abi", F_OK) == 0;
#else
	return 0;
#endif
}

/* ---- records ---- */

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void flush_line(struct tracer *t)
{
	sb_putc(&t->line, '\n');
	fwrite(t->line.p, 1, t->line.len, t->out);
	sb_reset(&t->line);
}

/* True when the output is a pipe whose reader has gone (mapwatch | head):
 * noticed even while no event is being written. */
static bool reader_gone(FILE *out)
{
	struct pollfd p = { .fd = fileno(out), .events = POLLOUT };
	struct stat st;

	if (fstat(p.fd, &st) || !S_ISFIFO(st.st_mode))
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
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

	if ((e->flags & MW_F_HAS_FILE) && e->file.kind != MW_FK_BADFD && e->file.kind != MW_FK_NONE) {
		mw_path_rebuild(&t->path, e->path, plen, &e->file);
		v.path = t->path.p;
	}
	if (e->flags & MW_F_EXE_UNSENT)
		mw_proc_forget(e->pid); /* its process record was lost: ask /proc */
	v.exe = mw_proc_exe(e->pid);
	v.container_id = mw_container_of_cgroup(e->cgroup_id);
	if (!t->o->alerts_only) {
		if (t->o->json)
			mw_format_json(&t->line, &v);
		else
			mw_format_table(&t->line, &v);
		flush_line(t);
		t->written++;
	}
	if (t->alerts) {
		struct mw_alert al[MW_ALERTS_MAX];
		int n = mw_alerts_event(t->alerts, &v, al, MW_ALERTS_MAX);
		for (int i = 0; i < n; i++) {
			if (t->o->json)
				mw_alert_json(&t->line, &v, &al[i]);
			else
				mw_alert_table(&t->line, &v, &al[i]);
			flush_line(t);
			t->alerts_written++;
		}
	}
	return 0;
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

static const char *const loss_names[MW_CNT_MAX] = {
	[MW_CNT_RB_FULL] = "ring_buffer_full",
	[MW_CNT_PROC_RB_FULL] = "process_record_ring_buffer_full",
	[MW_CNT_NO_ENTRY] = "unmatched_exit",
	[MW_CNT_PENDING_FULL] = "pending_map_full",
	[MW_CNT_TRACED_FULL] = "traced_map_full",
};


/* Report losses that happened since the last report, in the output stream. */
static void report_losses(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];

	read_counters(t, c);
	for (int k = 0; k < MW_CNT_MAX; k++) {
		if (!loss_names[k] || c[k] == t->reported_loss[k])
			continue;
		uint64_t n = c[k] - t->reported_loss[k];
		t->reported_loss[k] = c[k];
		if (t->o->json)
			sb_printf(&t->line, "{\"timestamp\":%llu,\"eventName\":\"lost\",\"reason\":\"%s\",\"count\":%llu,\"total\":%llu}",
				  (unsigned long long)(clock_ns(CLOCK_REALTIME)), loss_names[k],
				  (unsigned long long)n, (unsigned long long)c[k]);
		else if (k == MW_CNT_TRACED_FULL)
			sb_printf(&t->line, "*** lost the events of %llu new processes (%s: not followed), %llu in total",
				  (unsigned long long)n, loss_names[k], (unsigned long long)c[k]);
		else
			sb_printf(&t->line, "*** lost %llu events (%s), %llu in total",
				  (unsigned long long)n, loss_names[k], (unsigned long long)c[k]);
		flush_line(t);
	}
}

static void print_stats(struct tracer *t)
{
	uint64_t c[MW_CNT_MAX];

	read_counters(t, c);
	uint64_t lost = c[MW_CNT_RB_FULL] + c[MW_CNT_NO_ENTRY] + c[MW_CNT_PENDING_FULL];
	fprintf(stderr,
		"mapwatch: events seen %llu, written %llu, lost %llu (ring buffer full %llu, unmatched exit %llu, pending map full %llu), filtered in kernel %llu; process records %llu, lost %llu",
		(unsigned long long)c[MW_CNT_SEEN], (unsigned long long)t->written,
		(unsigned long long)lost, (unsigned long long)c[MW_CNT_RB_FULL],
		(unsigned long long)c[MW_CNT_NO_ENTRY], (unsigned long long)c[MW_CNT_PENDING_FULL],
		(unsigned long long)c[MW_CNT_FILTERED], (unsigned long long)t->proc_recs,
		(unsigned long long)c[MW_CNT_PROC_RB_FULL]);
	/* rare conditions, named only when they happened */
	if (c[MW_CNT_EXIT_ONLY])
		fprintf(stderr, "; reported from the exit alone (seccomp) %llu",
			(unsigned long long)c[MW_CNT_EXIT_ONLY]);
	if (c[MW_CNT_TRACED_FULL])
		fprintf(stderr, "; processes not followed (traced map full) %llu",
			(unsigned long long)c[MW_CNT_TRACED_FULL]);
	fputc('\n', stderr);
	if (t->alerts) {
		struct mw_alerts_stats st;
		mw_alerts_get_stats(t->alerts, &st);
		fprintf(stderr, "mapwatch: alerts raised %llu, silenced by --allow %llu; processes seeded from /proc %llu (failed %llu)\n",
			(unsigned long long)st.raised, (unsigned long long)st.suppressed,
			(unsigned long long)st.seeded, (unsigned long long)st.seed_failed);
	}
}

/* ---- BPF set-up ---- */

struct prog_sel {
	struct bpf_program *prog;
	int event; /* -1: not an event program */
	int kind;  /* 0 native tracepoint, 1 raw, 2 lifecycle, 3 do_mmap fentry/fexit, 4 do_mmap kprobes */
};

static int collect_progs(struct mapwatch_bpf *s, struct prog_sel *ps)
{
	int n = 0;
#define NP(name, ev)                                                          \
	ps[n++] = (struct prog_sel){ s->progs.enter_##name, ev, 0 };          \
	ps[n++] = (struct prog_sel){ s->progs.exit_##name, ev, 0 };
	NP(mmap, MW_EV_MMAP)
	NP(munmap, MW_EV_MUNMAP)
	NP(mprotect, MW_EV_MPROTECT)
	NP(pkey_mprotect, MW_EV_PKEY_MPROTECT)
	NP(mremap, MW_EV_MREMAP)
	NP(msync, MW_EV_MSYNC)
#undef NP
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

static int tracer_load(struct tracer *t, bool follow, bool compat, enum dm_mode dm, char *why,
		       size_t whylen);

static void *destroy_link(void *l)
{
	bpf_link__destroy(l);
	return NULL;
}

/* Detach the programs whose link_is_exit equals exits, all at once.
 * Closing a tracepoint's perf link waits for an RCU grace period (28-80 ms
 * here); done one after the other that was most of mapwatch's run time for
 * a short command. Closed from one thread each, the waits overlap. */
static void detach_some(struct tracer *t, bool exits)
{
	pthread_t th[32];
	bool started[32] = { false };

	for (int i = 0; i < t->nlinks; i++)
		if (t->links[i] && t->link_is_exit[i] == exits)
			started[i] = pthread_create(&th[i], NULL, destroy_link, t->links[i]) == 0;
	for (int i = 0; i < t->nlinks; i++) {
		if (!t->links[i] || t->link_is_exit[i] != exits)
			continue;
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(t->links[i]);
		t->links[i] = NULL;
	}
}

/* Detach everything: the exit programs first (they count and emit events;
 * an entry left without its exit only leaves a stale slot), so that no
 * call is taken for an unmatched exit while mapwatch stops. */
static void detach_all(struct tracer *t)
{
	detach_some(t, true);
	detach_some(t, false);
	t->nlinks = 0;
}

static void tracer_unload(struct tracer *t)
{
	detach_all(t);
	mapwatch_bpf__destroy(t->skel);
	t->skel = NULL;
}

/* Load everything, with the do_mmap hook when asked: fentry/fexit first,
 * kprobe/kretprobe next; the first that loads and attaches wins. */
static int tracer_load_all(struct tracer *t, bool follow, bool compat)
{
	char why_f[256] = "", why_k[256] = "";

	if (!(t->o->event_mask & (1u << MW_EV_DO_MMAP)))
		return tracer_load(t, follow, compat, DM_NONE, NULL, 0) ? -1 : 0;
	if (tracer_load(t, follow, compat, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		return 0;
	tracer_unload(t);
	if (tracer_load(t, follow, compat, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		return 0;
	tracer_unload(t);
	die_line("event do_mmap needs a kernel-function hook and none works here: fentry/fexit on do_mmap: %s; kprobe/kretprobe on do_mmap: %s",
		 why_f, why_k);
	return -1;
}

static int tracer_load(struct tracer *t, bool follow, bool compat, enum dm_mode dm, char *why,
		       size_t whylen)
{
	const struct mw_opts *o = t->o;
	struct prog_sel ps[32];
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
	t->skel = mapwatch_bpf__open();
	if (!t->skel) {
		die_line("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->follow_only = follow;
	t->skel->rodata->event_mask = o->event_mask;
	t->skel->rodata->raw_native = o->hook == MW_HOOK_RAW;
	t->skel->rodata->wake_bytes = o->buffer_size / 8;
	t->skel->rodata->lifecycle_recs = o->lifecycle || o->alerts;
	t->skel->rodata->kill_wx = o->kill_wx;
	t->skel->rodata->dm_has_vmflags = vmf > 0;
	mw_filter_rodata(&o->filters, t->skel);
	err = bpf_map__set_max_entries(t->skel->maps.rb, o->buffer_size);
	if (err) {
		die_line("cannot size the ring buffer to %zu bytes: %s", o->buffer_size, strerror(-err));
		return -1;
	}
	/* test knob: a small traced map, to see a full one reported as a loss */
	const char *tmax = getenv("MAPWATCH_TRACED_MAX");
	if (tmax && atoi(tmax) > 0)
		bpf_map__set_max_entries(t->skel->maps.traced, (uint32_t)atoi(tmax));
	n = collect_progs(t->skel, ps);
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
		else
			want = ps[i].prog != t->skel->progs.on_fork || follow || o->lifecycle || o->alerts;
		bpf_program__set_autoload(ps[i].prog, want);
	}
	err = mapwatch_bpf__load(t->skel);
	if (err && dm != DM_NONE) {
		snprintf(why, whylen, "loading failed: %s", strerror(-err));
		return -1;
	}
	if (err) {
		if (err == -EPERM || errno == EPERM)
			die_line("the kernel refused to load the BPF programs (permission denied): run as root with CAP_BPF and CAP_PERFMON, and check kernel.unprivileged_bpf_disabled / lockdown");
		else
			die_line("loading the BPF programs failed: %s (run with --verbose for the verifier log)",
				 strerror(-err));
		return -1;
	}
	err = mw_filter_maps(&o->filters, t->skel);
	if (err) {
		die_line("cannot load the filters into the kernel: %s", strerror(-err));
		return -1;
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
		if (!l) {
			err = -errno;
			die_line("attaching %s failed: %s (is tracefs mounted at /sys/kernel/tracing?)",
				 bpf_program__section_name(ps[i].prog), strerror(-err));
			return -1;
		}
		const char *sec = bpf_program__section_name(ps[i].prog);
		t->link_is_exit[t->nlinks] = strstr(sec, "exit") || strstr(sec, "kretprobe");
		t->links[t->nlinks++] = l;
	}
	if (o->verbose)
		fprintf(stderr, "mapwatch: attached %d programs (hook %s, 32-bit tasks %s%s)\n", t->nlinks,
			o->hook == MW_HOOK_RAW ? "raw_syscalls" : "tracepoints",
			raw ? "traced" : "not traced",
			dm == DM_FENTRY ? ", do_mmap by fentry/fexit" : dm == DM_KPROBE ? ", do_mmap by kprobe/kretprobe" : "");
	return 0;
}

static void tracer_destroy(struct tracer *t)
{
	ring_buffer__free(t->rb);
	mw_alerts_free(t->alerts);
	tracer_unload(t);
	sb_free(&t->line);
	sb_free(&t->path);
	mw_proc_clear();
}

const char *mw_do_mmap_availability(char *buf, size_t n)
{
	struct mw_opts o = { .event_mask = 1u << MW_EV_DO_MMAP, .hook = MW_HOOK_TRACEPOINT,
			     .buffer_size = 4096 };
	struct tracer t = { .o = &o };
	char why_f[256] = "", why_k[256] = "";

	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0 && !have_cap(21)) {
		snprintf(buf, n, "unknown: probing needs root");
		return buf;
	}
	if (tracer_load(&t, false, false, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		snprintf(buf, n, "available (fentry/fexit)");
	else if (tracer_unload(&t), tracer_load(&t, false, false, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		snprintf(buf, n, "available (kprobe/kretprobe)");
	else
		snprintf(buf, n, "unavailable: fentry: %s; kprobe: %s", why_f, why_k);
	tracer_unload(&t);
	return buf;
}

/* ---- command runner ---- */

/* Give the command the signal state a shell would: every disposition back
 * to its default (mapwatch ignores SIGPIPE, and an ignored signal survives
 * exec: `yes | head -1` would complain about a broken pipe) and no signal
 * blocked. */
static void default_signals(void)
{
	sigset_t none;

	/* the raw call: glibc's wrappers refuse its internal signals (32, 33),
	 * which a sanitizer runtime may have set to ignored */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };

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

/* SIGHUP: open --output again under its name (after logrotate moved the old
 * file away) and go on writing there; on failure keep the old stream. */
static void reopen_output(struct tracer *t)
{
	FILE *f;

	if (!t->o->output || t->out == stdout)
		return;
	fflush(t->out);
	f = fopen(t->o->output, "ae");
	if (!f) {
		die_line("SIGHUP: cannot reopen output file %s: %s (still writing to the old file)",
			 t->o->output, strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	fclose(t->out);
	t->out = f;
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
	for (unsigned i = 0; i < f->pid.n; i++) {
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)f->pid.v[i], 0);
		if (fd < 0 && errno == ESRCH) {
			die_line("--pid %llu: no such process (give the pid of a running process; see ps -e)",
				 (unsigned long long)f->pid.v[i]);
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
 * descendant that was handed to mapwatch as their subreaper. Returns true
 * when no child is left at all. */
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

/* Stop tracing: detach every program (so nothing more is committed), then
 * read what is left in the ring buffer, so seen = written + lost holds. */
static void drain(struct tracer *t)
{
	detach_all(t);
	ring_buffer__consume(t->rb);
}

int mw_run(const struct mw_opts *o)
{
	struct tracer t = { .o = o };
	struct targets tg = { .n = 0 };
	int status = 1, release_fd = -1, err_fd = -1;
	pid_t child = -1;
	bool compat = false, cmd_done = false;
	struct sigaction sa = { 0 };

	libbpf_set_print(o->verbose ? libbpf_verbose : libbpf_quiet);
	if (check_privileges() || check_btf() || check_tracefs())
		return 1;
	if (!o->cmd && targets_open(&o->filters, &tg))
		return 2;
	if (o->hook == MW_HOOK_AUTO)
		compat = o->compat < 0 ? mw_compat_supported() : o->compat;

	if (o->output) {
		t.out = fopen(o->output, "we"); /* the command must not inherit it */
		if (!t.out) {
			die_line("cannot open output file %s: %s", o->output, strerror(errno));
			targets_close(&tg);
			return 1;
		}
	} else {
		t.out = stdout;
	}
	setvbuf(t.out, NULL, _IOFBF, 1 << 16);
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
			die_line("cannot start %s: %s", o->cmd[0], strerror(errno));
			goto out;
		}
	}
	if (tracer_load_all(&t, child > 0 || o->filters.follow, compat))
		goto out;
	if (child > 0) {
		uint32_t k = child;
		uint8_t one = 1;
		if (bpf_map__update_elem(t.skel->maps.traced, &k, sizeof(k), &one, sizeof(one), BPF_ANY)) {
			die_line("cannot register the command's pid: %s", strerror(errno));
			goto out;
		}
	}
	if (o->alerts) {
		t.alerts = mw_alerts_new(o->allow, o->nallow);
		if (!t.alerts) {
			die_line("cannot set up the alert engine: %s", strerror(errno));
			goto out;
		}
	}
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
	for (;;) {
		/* Records are submitted without a wake-up (one wake per threshold
		 * crossing only), so a poll that times out proves nothing: read
		 * whatever is there on every round. No record waits longer than
		 * one poll period (--flush-ms). */
		int err = ring_buffer__poll(t.rb, (int)o->poll_ms);
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(t.rb);
		if (err < 0 && err != -EINTR) {
			die_line("reading the ring buffer failed: %s", strerror(-err));
			status = 1;
			break;
		}
		report_losses(&t);
		if (fflush(t.out) || ferror(t.out))
			break; /* nowhere to write: stop tracing (reported below) */
		if (reader_gone(t.out)) {
			errno = EPIPE;
			break;
		}
		if (hup_seen) {
			hup_seen = 0;
			reopen_output(&t);
		}
		if (child > 0 && child_done) {
			child_done = 0;
			bool none_left = reap(child, &cmd_done, &status);
			if (cmd_done && (o->exit_with_command || none_left)) {
				/* their last events were committed before they exited */
				child = -1;
				drain(&t);
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
				continue; /* wait for the command to end */
			}
			drain(&t);
			break;
		}
	}
	int werr = errno;
	report_losses(&t);
	fflush(t.out);
	if (ferror(t.out) || werr == EPIPE) {
		werr = ferror(t.out) ? errno : werr;
		if (werr != EPIPE) /* a reader that went away (| head) is not an error to report */
			die_line("writing events failed: %s", strerror(werr));
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
	if (o->stats)
		print_stats(&t);
out:
	if (release_fd >= 0)
		close(release_fd); /* child sees EOF and exits 127 */
	if (err_fd >= 0)
		close(err_fd);
	if (child > 0 && !cmd_done)
		waitpid(child, NULL, 0);
	if (t.out && t.out != stdout)
		fclose(t.out);
	else if (t.out)
		fflush(stdout);
	targets_close(&tg);
	tracer_destroy(&t);
	return status;
}
