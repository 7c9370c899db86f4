/* hooks.c - the BPF object's lifecycle and its hooks into the kernel: choose, load, attach, detach. */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "msg.h"
#include "thread.h"
#include "mapwatch.skel.h"
#include "btfscan.h"
#include "catalog.h"
#include "fileid.h"
#include "hooks.h"
#include "proc.h"

#define TRACEFS_MAGIC 0x74726163
#define MW_MAX_PROGS (2 * MW_EV_MAX + 2 * MW_FN_SLOTS + 16) /* tracepoint pairs, function slots, the rest */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}


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
	mw_err_line("permission denied: loading BPF programs needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (README \"Privileges\"); run it with sudo");
	return -1;
}

static int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	mw_err_line("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	return -1;
}

/* 1: tracefs, and its events readable; 0: not tracefs; -1: tracefs that this
 * process cannot read (errno set). open(), not access(): access() judges the
 * real uid without capabilities, so CAP_DAC_READ_SEARCH would not count. */
static int tracefs_state(const char *dir)
{
	struct statfs st;
	char p[256];
	int fd;

	if (statfs(dir, &st) || st.f_type != TRACEFS_MAGIC)
		return 0;
	snprintf(p, sizeof(p), "%s/events", dir);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 1;
}

static int check_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	int denied = 0, e = 0;

	for (int i = 0; i < 2; i++) {
		int r = tracefs_state(dirs[i]);
		if (r > 0)
			return 0;
		if (r < 0 && !denied) {
			denied = 1;
			e = errno;
		}
	}
	if (denied) {
		mw_err_line("tracefs is mounted but this process cannot read it (%s): it is mode 0700; run as root or add CAP_DAC_READ_SEARCH to CAP_BPF and CAP_PERFMON",
			 strerror(e));
		return -1;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    tracefs_state("/sys/kernel/tracing") > 0)
		return 0;
	mw_err_line("tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs nodev /sys/kernel/tracing' as root",
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

/* The hook modes, best first. */
enum hook_mode { MODE_FUNCTION, MODE_TRACEPOINT, MODE_DISPATCHER };
static const char *const mode_names[] = { "function", "tracepoint", "dispatcher" };

/* How the do_mmap hook is attached. */
enum dm_mode { DM_NONE, DM_FENTRY, DM_KPROBE };

/* One function hook: the syscall entry function of one event in one ABI. */
struct fn_slot {
	int event;
	int compat; /* 0 native, 1 32-bit, 2 both (one function serves both ABIs: ask the task) */
	char func[64];
};

/* A link, and whether its program runs at an exit (those are detached
 * first when mapwatch stops: an entry left without its exit only leaves a
 * stale slot, an exit without its entry would be counted as unmatched). */
struct hlink {
	struct bpf_link *l;
	int fd;         /* a link made from a program fd (the lazy dispatcher's), when l is NULL; else -1 */
	bool exit;
};

/* A loaded program kept by its fd alone (the lazily loaded dispatcher's:
 * its libbpf instance is freed once they are loaded). */
struct fd_prog {
	int fd;
	bool exit;
};

struct mw_hooks {
	const struct mw_opts *o;
	struct mapwatch_bpf *skel;
	pthread_t disp_loader;          /* loading it (dispatcher_load_start) */
	bool disp_pending;              /* that thread not yet joined */
	struct mapwatch_bpf *disp_obj;  /* what it loaded, kept only for -vvv's verifier figures */
	struct fd_prog disp_progs[2];   /* its two programs (the instance itself is freed) */
	int ndisp_progs;
	int disp_err;                   /* how it failed */
	bool follow, compat;
	enum hook_mode mode;
	enum dm_mode dm;
	bool track;                     /* tracepoint mode: switch on 32-bit processes */
	struct hlink links[MW_MAX_PROGS];    /* attached for the whole run */
	int nlinks;
	struct hlink tp_links[MW_MAX_PROGS]; /* per-syscall tracepoints */
	int ntp;
	struct hlink disp_links[2];          /* the dispatcher */
	int ndisp;
	struct fn_slot fn[MW_FN_SLOTS];
	int nfn;
	char refused[512];              /* why better modes were refused */
	char skipped[1024];             /* hooks this kernel lacks */
	uint64_t to_disp, to_tp;        /* switches made */
	uint64_t gap_max_ns, gap_sum_ns;/* 32-bit start -> dispatcher live */
	uint64_t live_ns;               /* when the dispatcher was last attached */
	pthread_t detachers[16];        /* links being destroyed in the background */
	int ndetachers;
	/* the watcher: a thread of its own that switches hooks as 32-bit
	 * processes come and go, never waiting behind the event reader */
	struct ring_buffer *ctl;
	pthread_t watcher;
	bool watching;
	int stop_fd;                    /* eventfd: tells the watcher to end */
	pthread_mutex_t lock;           /* the switch state, between watcher and stats */
};

static void hlink_destroy(struct hlink *l)
{
	if (l->l)
		bpf_link__destroy(l->l);
	else if (l->fd >= 0)
		close(l->fd);
	l->l = NULL;
	l->fd = -1;
}

static bool hlink_set(const struct hlink *l)
{
	return l->l || l->fd >= 0;
}

static int hlink_fd(const struct hlink *l)
{
	return l->l ? bpf_link__fd(l->l) : l->fd;
}

static void *destroy_link(void *l)
{
	hlink_destroy(l);
	return NULL;
}

/* Destroy the links of ls[0..n) whose exit flag is exits (-1: every one), all at once.
 * Closing a tracepoint's perf link waits for an RCU grace period (30-80 ms
 * here); closed from one thread each, the waits overlap. */
static void destroy_links(struct hlink *ls, int n, int exits)
{
	pthread_t th[2 * MW_MAX_PROGS + 2];
	bool started[2 * MW_MAX_PROGS + 2] = { false };

	for (int i = 0; i < n && i < 2 * MW_MAX_PROGS + 2; i++)
		if (hlink_set(&ls[i]) && (exits < 0 || ls[i].exit == exits))
			started[i] = mw_thread_start(&th[i], destroy_link, &ls[i]) == 0;
	/* a thread's link is already cleared when it ends: join by started[] */
	for (int i = 0; i < n; i++) {
		if (i < 2 * MW_MAX_PROGS + 2 && started[i])
			pthread_join(th[i], NULL);
		else if (hlink_set(&ls[i]) && (exits < 0 || ls[i].exit == exits))
			hlink_destroy(&ls[i]);
	}
}

/* Links being destroyed off the watcher's thread, while the new hooks
 * already run (a switch need not wait for the grace periods). */
struct detach_job {
	struct hlink links[MW_MAX_PROGS];
	int n;
	__u32 *overlap; /* the BPF side's hooks_overlap: one switch less when done */
};

static void *detach_run(void *arg)
{
	struct detach_job *j = arg;

	destroy_links(j->links, j->n, true);
	destroy_links(j->links, j->n, false);
	__atomic_fetch_sub(j->overlap, 1, __ATOMIC_SEQ_CST);
	free(j);
	return NULL;
}

/* Destroy links[0..*n) in the background (in place when no thread can be
 * had); *n = 0. Ends the overlap the switch began (hooks_overlap). */
static void detach_later(struct mw_hooks *h, struct hlink *links, int *n)
{
	struct detach_job *j = *n ? calloc(1, sizeof(*j)) : NULL;

	if (!j) {
		destroy_links(links, *n, true);
		destroy_links(links, *n, false);
		*n = 0;
		__atomic_fetch_sub(&h->skel->bss->hooks_overlap, 1, __ATOMIC_SEQ_CST);
		return;
	}
	j->overlap = &h->skel->bss->hooks_overlap;
	memcpy(j->links, links, sizeof(*links) * *n);
	j->n = *n;
	*n = 0;
	if (h->ndetachers < 16 && mw_thread_start(&h->detachers[h->ndetachers], detach_run, j) == 0)
		h->ndetachers++;
	else
		detach_run(j);
}

static void join_detachers(struct mw_hooks *h)
{
	for (int i = 0; i < h->ndetachers; i++)
		pthread_join(h->detachers[i], NULL);
	h->ndetachers = 0;
}

static void append(char *buf, size_t n, const char *fmt, ...)
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

static const char *tracefs_dir(void)
{
	return tracefs_state("/sys/kernel/tracing") > 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Catalogue number of event ev in the native or 32-bit ABI of this machine; -1: none. */
static int catalog_nr(int ev, bool compat)
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	if (!d || !d->syscall)
		return -1;
	return compat ? mw_event_nr_compat(d) : mw_event_nr_native(d);
}

/* ---- function hooks: find the syscall entry functions in the kernel's BTF ---- */

/* The names the function that runs event ev in that ABI may have, best
 * first (empty strings after the last). From the catalogue: the native stem
 * (__x64_sys_<stem>, __arm64_sys_<stem>) and, on x86_64, the i386 entry by name. */
static void entry_candidates(int ev, bool compat, char cand[3][64])
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	memset(cand, 0, 3 * sizeof(cand[0]));
#if defined(__x86_64__)
	if (!compat)
		snprintf(cand[0], sizeof(cand[0]), "__x64_sys_%s", d->stem);
	else
		snprintf(cand[0], sizeof(cand[0]), "%s", d->i386_fn);
#elif defined(__aarch64__)
	/* arm EABI entries: the compat wrapper where one exists, else the native function */
	if (!compat) {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_sys_%s", d->stem);
	} else {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_compat_sys_%s%s",
			 ev == MW_EV_MMAP2 ? "aarch32_" : "", d->stem);
		snprintf(cand[1], sizeof(cand[1]), "__arm64_sys_%s", d->stem);
	}
#else
	(void)d;
#endif
}

/* Name of the function that runs event ev in that ABI, found in BTF; NULL: none. */
static const char *find_entry_func(struct btf *vb, int ev, bool compat, char *buf, size_t n)
{
	char cand[3][64];

	entry_candidates(ev, compat, cand);
	for (int i = 0; i < 3; i++) {
		if (!cand[i][0])
			continue;
		if (btf__find_by_name_kind(vb, cand[i], BTF_KIND_FUNC) > 0) {
			snprintf(buf, n, "%.63s", cand[i]);
			return buf;
		}
	}
	return NULL;
}

/* Slots whose functions are one function under two names (x86 defines a
 * call without arguments once, __ia32_sys_munlockall an alias of
 * __x64_sys_munlockall): a second fentry on the same address is refused
 * (EBUSY), so they become one slot that asks the task its ABI. Addresses
 * from /proc/kallsyms; where they are hidden (all zero) nothing merges. */
static void merge_aliases(struct mw_hooks *h)
{
	unsigned long long addr[MW_FN_SLOTS] = { 0 };
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (!strstr(line, "_sys_") || sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		for (int i = 0; i < h->nfn; i++)
			if (!addr[i] && !strcmp(name, h->fn[i].func))
				addr[i] = a;
	}
	fclose(f);
	for (int i = 0; i < h->nfn; i++)
		for (int j = i + 1; j < h->nfn; j++) {
			if (!addr[i] || addr[i] != addr[j] || h->fn[i].event != h->fn[j].event)
				continue;
			h->fn[i].compat = 2;
			memmove(&h->fn[j], &h->fn[j + 1], (size_t)(h->nfn - j - 1) * sizeof(h->fn[0]));
			memmove(&addr[j], &addr[j + 1], (size_t)(h->nfn - j - 1) * sizeof(addr[0]));
			h->nfn--;
			j--;
		}
}

/* Fill h->fn with the selected calls' entry functions; note the missing ones. */
static void plan_functions(struct mw_hooks *h, struct btf *vb)
{
	h->nfn = 0;
	for (int ev = 0; ev < MW_EV_MAX; ev++) {
		if (!(h->o->event_mask & (1u << ev)))
			continue;
		for (int c = 0; c <= (h->compat ? 1 : 0); c++) {
			char name[64];
			int k;

			if (catalog_nr(ev, c) < 0)
				continue;
			if (!find_entry_func(vb, ev, c, name, sizeof(name))) {
				append(h->skipped, sizeof(h->skipped), "%s%s: no %s function in BTF",
				       mw_event_desc(ev)->name, c ? " (32-bit)" : "", c ? "32-bit entry" : "entry");
				continue;
			}
			for (k = 0; k < h->nfn && strcmp(h->fn[k].func, name); k++)
				;
			if (k < h->nfn) {
				h->fn[k].compat = 2; /* the same function serves both ABIs */
				continue;
			}
			if (h->nfn == MW_FN_SLOTS) {
				append(h->skipped, sizeof(h->skipped), "%s: no function slot left", name);
				continue;
			}
			h->fn[h->nfn].event = ev;
			h->fn[h->nfn].compat = c;
			snprintf(h->fn[h->nfn].func, sizeof(h->fn[h->nfn].func), "%s", name);
			h->nfn++;
		}
	}
#if defined(__x86_64__)
	/* i386 ipc(): shmat and shmdt made through the multiplexer, one slot for both */
	if (h->compat && (h->o->event_mask & ((1u << MW_EV_SHMAT) | (1u << MW_EV_SHMDT)))) {
		if (btf__find_by_name_kind(vb, MW_I386_IPC_FN, BTF_KIND_FUNC) <= 0) {
			append(h->skipped, sizeof(h->skipped), "shmat/shmdt through ipc() (32-bit): no %s in BTF",
			       MW_I386_IPC_FN);
		} else if (h->nfn == MW_FN_SLOTS) {
			append(h->skipped, sizeof(h->skipped), "%s: no function slot left", MW_I386_IPC_FN);
		} else {
			h->fn[h->nfn].event = MW_FN_IPC;
			h->fn[h->nfn].compat = 1;
			snprintf(h->fn[h->nfn].func, sizeof(h->fn[h->nfn].func), "%s", MW_I386_IPC_FN);
			h->nfn++;
		}
	}
#endif
	merge_aliases(h);
}

/* Can a fentry program load and attach on func (BTF type id) here? 0, or -1 with why. */
static int probe_fentry_id(int id, const char *func, char *why, size_t n)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	int fd, lfd;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mw_fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		snprintf(why, n, "the kernel refused to load fentry on %s: %s", func, strerror(errno));
		return -1;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (lfd < 0) {
		snprintf(why, n, "attaching fentry on %s failed: %s", func, strerror(errno));
		close(fd);
		return -1;
	}
	close(lfd);
	close(fd);
	return 0;
}

/* probe_fentry_id() on func, found in the parsed BTF vb. */
static int probe_fentry(struct btf *vb, const char *func, char *why, size_t n)
{
	int id = btf__find_by_name_kind(vb, func, BTF_KIND_FUNC);

	if (id <= 0) {
		snprintf(why, n, "%s is not in the kernel's BTF", func);
		return -1;
	}
	return probe_fentry_id(id, func, why, n);
}

/* The probe without libbpf's parse of the kernel's BTF (~50 ms): the first
 * selected call's native entry function, its id read from the raw BTF.
 * 1 when fentry is refused there (why says how: the full probe would say
 * the same, it tries the same function first), 0 when that cannot be told
 * this way (then the full probe decides). */
static int fentry_refused_quickly(struct mw_hooks *h, char *why, size_t n)
{
	char cand[3][64];
	size_t len = 0;
	void *raw;
	int ev, id;

	for (ev = 0; ev < MW_EV_MAX; ev++)
		if ((h->o->event_mask & (1u << ev)) && catalog_nr(ev, 0) >= 0)
			break;
	if (ev == MW_EV_MAX)
		return 0;
	entry_candidates(ev, false, cand);
	if (!cand[0][0] || !(raw = mw_read_file("/sys/kernel/btf/vmlinux", &len)))
		return 0;
	id = mw_btf_func_id(raw, len, cand[0]);
	free(raw);
	return id > 0 && probe_fentry_id(id, cand[0], why, n) != 0;
}

/* Is function mode possible? 0 with h->fn planned, or -1 with why. */
static int function_mode_possible(struct mw_hooks *h, char *why, size_t n)
{
	struct btf *vb;
	char save[sizeof(h->skipped)];
	int rc;

	if (fentry_refused_quickly(h, why, n))
		return -1;
	vb = btf__load_vmlinux_btf();

	if (!vb) {
		snprintf(why, n, "cannot read the kernel's BTF: %s", strerror(errno));
		return -1;
	}
	memcpy(save, h->skipped, sizeof(save));
	plan_functions(h, vb);
	if (h->nfn == 0) {
		snprintf(why, n, "none of the selected calls has an entry function in BTF");
		rc = -1;
	} else {
		rc = probe_fentry(vb, h->fn[0].func, why, n);
	}
	if (rc)
		memcpy(h->skipped, save, sizeof(save)); /* these skips were function mode's */
	btf__free(vb);
	return rc;
}

/* ---- the BPF object ---- */

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

/* Every program of the object (the lazy dispatcher's are kept apart, by fd: h->disp_progs). */
#define for_each_prog(h, p) bpf_object__for_each_program(p, (h)->skel->obj)

/* What a program of the object is, by its section and name. */
enum prog_kind { PK_OTHER, PK_TP, PK_DISP, PK_FN, PK_LIFE, PK_DM_FENTRY, PK_DM_KPROBE };

static enum prog_kind prog_kind(struct bpf_program *p, int *event, int *slot)
{
	const char *sec = bpf_program__section_name(p), *name = bpf_program__name(p);
	char ev[64];

	*event = -1;
	*slot = -1;
	if (sscanf(sec, "tracepoint/syscalls/sys_enter_%63s", ev) == 1 ||
	    sscanf(sec, "tracepoint/syscalls/sys_exit_%63s", ev) == 1) {
		*event = mw_event_by_name(ev);
		return PK_TP;
	}
	if (!strcmp(sec, "tp_btf/sys_enter") || !strcmp(sec, "tp_btf/sys_exit"))
		return PK_DISP;
	if (sscanf(name, "fn_enter_%d", slot) == 1 || sscanf(name, "fn_exit_%d", slot) == 1)
		return PK_FN;
	if (!strcmp(name, "on_fork") || !strcmp(name, "on_exec") || !strcmp(name, "on_task_exit"))
		return PK_LIFE;
	if (!strcmp(name, "dm_fentry") || !strcmp(name, "dm_fexit"))
		return PK_DM_FENTRY;
	if (!strcmp(name, "dm_kprobe") || !strcmp(name, "dm_kretprobe"))
		return PK_DM_KPROBE;
	return PK_OTHER;
}

static bool tracepoint_exists(const char *dir, const char *sec)
{
	char p[512];

	/* sec: tracepoint/syscalls/sys_enter_mmap -> DIR/events/syscalls/sys_enter_mmap */
	struct stat st;

	snprintf(p, sizeof(p), "%s/events/%s", dir, sec + strlen("tracepoint/"));
	return stat(p, &st) == 0; /* not access(): it ignores CAP_DAC_READ_SEARCH (tracefs is 0700) */
}

static void watch_stop(struct mw_hooks *h);

/* The kernel ends each per-syscall tracepoint's perf event under one
 * kernel-wide mutex, waiting for RCU grace periods there (35 ms a
 * tracepoint here, one after another however many threads close them:
 * 0.45 s of mapwatch's exit for a dozen). So the last references to the
 * links go to a process of their own (named mapwatch-close), which ends
 * them while mapwatch returns at once; the links closed here afterwards
 * are then not the last. By this time the programs record nothing
 * (reporting is off) and libbpf disables the perf events as it closes
 * them here. MAPWATCH_SYNC_DETACH=1: close them here, and wait. */
static int closer_hold = -1; /* write end of the pipe the closer waits on */

static void close_in_background(const struct hlink *ls, int n)
{
	int keep[2 * MW_MAX_PROGS + 3], nk = 0, maxfd = 0, hold[2];
	DIR *d;
	struct dirent *de;
	pid_t pid;

	if (n < 2 || getenv("MAPWATCH_SYNC_DETACH") || closer_hold >= 0 || pipe2(hold, O_CLOEXEC))
		return;
	keep[nk++] = hold[0];
	for (int i = 0; i < n && nk < (int)(sizeof(keep) / sizeof(keep[0])); i++)
		if (hlink_fd(&ls[i]) >= 0)
			keep[nk++] = hlink_fd(&ls[i]);
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			if (atoi(de->d_name) > maxfd)
				maxfd = atoi(de->d_name);
		closedir(d);
	}
	pid = d ? fork() : -1;
	if (pid < 0) {
		close(hold[0]);
		close(hold[1]);
		return;
	}
	if (pid == 0) {
		char c;
		/* only async-signal-safe calls here: the parent has threads */
		if (fork() != 0)
			_exit(0); /* the closer is nobody's child to wait for */
		prctl(PR_SET_NAME, "mapwatch-close", 0, 0, 0);
		for (int fd = 0; fd <= maxfd; fd++) {
			bool k = false;
			for (int i = 0; i < nk && !k; i++)
				k = keep[i] == fd;
			if (!k)
				close(fd);
		}
		/* hold the links until mapwatch has let go of its own references
		 * (closer_release(), or its exit): then these are the last */
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0); /* the kernel closes the links now */
	}
	close(hold[0]);
	closer_hold = hold[1];
	waitpid(pid, NULL, 0);
}

/* Let the closer go: every reference of mapwatch's own to the programs is gone. */
static void closer_release(void)
{
	if (closer_hold >= 0)
		close(closer_hold);
	closer_hold = -1;
}

/* Detach everything: the switching first, then every program at once,
 * after telling them to stop recording (so no call is taken for an
 * unmatched exit while mapwatch stops). */
static void hooks_detach(struct mw_hooks *h)
{
	struct hlink all[MW_MAX_PROGS + 2 + MW_MAX_PROGS];
	int n = 0;

	watch_stop(h);
	join_detachers(h);
	for (int i = 0; i < h->nlinks; i++)
		all[n++] = h->links[i];
	for (int i = 0; i < h->ntp; i++)
		all[n++] = h->tp_links[i];
	for (int i = 0; i < h->ndisp; i++)
		all[n++] = h->disp_links[i];
	/* the programs stop recording first: with nothing recorded or counted
	 * any more, the order in which links go does not matter, and one round
	 * of closes (one RCU grace period, all overlapping) ends them all */
	if (h->skel && h->skel->bss)
		h->skel->bss->reporting = false;
	if (n) {
		close_in_background(all, n);
		destroy_links(all, n, -1);
		mw_phase(closer_hold >= 0 ? "links closed (their last references with mapwatch-close)" : "links closed");
	}
	h->nlinks = h->ntp = h->ndisp = 0;
}

static void hooks_unload(struct mw_hooks *h)
{
	hooks_detach(h);
	if (h->disp_pending) {
		pthread_join(h->disp_loader, NULL);
		h->disp_pending = false;
	}
	mapwatch_bpf__destroy(h->disp_obj);
	h->disp_obj = NULL;
	h->disp_err = 0;
	for (int i = 0; i < h->ndisp_progs; i++)
		close(h->disp_progs[i].fd);
	h->ndisp_progs = 0;
	mapwatch_bpf__destroy(h->skel);
	h->skel = NULL;
	closer_release();
}

/* ---- the dispatcher, loaded beside the rest ----
 * Verifying the programs is most of mapwatch's start-up, and the
 * dispatcher (one pair for every call of both ABIs) is the costliest pair
 * to verify (0.18 s of 0.3 s here). In tracepoint mode it is needed only
 * once a 32-bit process runs, so it is loaded on a thread of its own while
 * tracing starts: a second instance of the object whose every map, global
 * and .rodata is h->skel's; its two programs are kept by fd
 * (h->disp_progs) and the instance freed. Whoever attaches it first waits
 * for that load (dispatcher_ready()); a 32-bit process that starts before
 * it is attached is counted (hooks.switchGap) as before. */

/* Does p run at a call's exit (sys_exit, fexit, kretprobe, a task's exit)? */
static bool prog_is_exit(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return strstr(sec, "exit") || strstr(sec, "kretprobe");
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

/* dst gets src's .rodata and map sizes, then src's maps themselves. 0, or -errno. */
static int share_maps(struct mapwatch_bpf *dst, const struct mapwatch_bpf *src)
{
	struct bpf_map *m;

	memcpy(dst->rodata, src->rodata, sizeof(*src->rodata));
	bpf_object__for_each_map(m, dst->obj) {
		const struct bpf_map *sm = bpf_object__find_map_by_name(src->obj, bpf_map__name(m));
		int err = sm ? bpf_map__reuse_fd(m, bpf_map__fd(sm)) : -ENOENT;
		if (err)
			return err;
	}
	return 0;
}

static void *dispatcher_loader(void *arg)
{
	struct mw_hooks *h = arg;
	struct mapwatch_bpf *two = mapwatch_bpf__open();
	struct bpf_program *p;
	int err = two ? 0 : -errno;

	release_object_bytes(); /* read again by this open: out before the load, the peak */

	err = err ?: share_maps(two, h->skel);
	if (!err) {
		bpf_object__for_each_program(p, two->obj) {
			int ev, slot;
			bool want = prog_kind(p, &ev, &slot) == PK_DISP;
			bpf_program__set_autoload(p, want);
			if (want && h->o->verbose >= 3)
				verifier_stats_ask(p);
		}
		err = mapwatch_bpf__load(two);
	}
	/* keep the two programs by their fds and free the instance: libbpf's
	 * copy of the object (its BTF, every program's instructions) was ~17
	 * MiB of mapwatch's 46 MiB resident; only -vvv's figures need it */
	if (!err) {
		bpf_object__for_each_program(p, two->obj) {
			int ev, slot, fd;
			if (!bpf_program__autoload(p) || prog_kind(p, &ev, &slot) != PK_DISP ||
			    h->ndisp_progs >= (int)(sizeof(h->disp_progs) / sizeof(h->disp_progs[0])))
				continue;
			fd = fcntl(bpf_program__fd(p), F_DUPFD_CLOEXEC, 3);
			if (fd < 0) {
				err = -errno;
				break;
			}
			h->disp_progs[h->ndisp_progs].fd = fd;
			h->disp_progs[h->ndisp_progs++].exit = prog_is_exit(p);
		}
	}
	if (err || h->o->verbose < 3) {
		mapwatch_bpf__destroy(two);
		two = NULL;
	}
	h->disp_err = err;
	h->disp_obj = two;
	malloc_trim(0);
	return NULL;
}

/* Start loading the dispatcher on its own thread; loaded here if no thread can be had. */
static void dispatcher_load_start(struct mw_hooks *h)
{
	h->disp_pending = mw_thread_start(&h->disp_loader, dispatcher_loader, h) == 0;
	if (!h->disp_pending)
		dispatcher_loader(h);
}

/* Wait for the dispatcher's load, if one is under way. 0 when its programs
 * are loaded (in h->skel, or kept by fd in h->disp_progs), or -1 after saying why not. */
static int dispatcher_ready(struct mw_hooks *h)
{
	if (h->disp_pending) {
		pthread_join(h->disp_loader, NULL);
		h->disp_pending = false;
		mw_phase("dispatcher loaded");
		if (h->disp_obj)
			verifier_stats_print(h->disp_obj->obj);
		mapwatch_bpf__destroy(h->disp_obj);
		h->disp_obj = NULL;
		if (h->disp_err)
			mw_err_line("loading the dispatcher (for 32-bit processes) failed: %s (run with -vv for libbpf's messages and the verifier log)",
				    strerror(-h->disp_err));
	}
	return h->disp_err ? -1 : 0;
}

/* Attach p into links[*n] (of cap). 0, or -errno. */
static int attach_into(struct bpf_program *p, struct hlink *links, int *n, int cap)
{
	struct bpf_link *l;

	if (*n >= cap)
		return -E2BIG;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	links[*n].l = l;
	links[*n].fd = -1;
	links[*n].exit = prog_is_exit(p);
	(*n)++;
	return 0;
}

/* Attach programs kept by fd (the lazy dispatcher's tp_btf pair), entries
 * first, into links[*n] (of cap). 0, or -1 after saying why. */
static int attach_fds(const struct fd_prog *ps, int nps, struct hlink *links, int *n, int cap)
{
	for (int exits = 0; exits < 2; exits++) {
		for (int i = 0; i < nps; i++) {
			int fd;

			if (ps[i].exit != exits)
				continue;
			fd = *n < cap ? bpf_raw_tracepoint_open(NULL, ps[i].fd) : -E2BIG;
			if (fd < 0) {
				mw_err_line("attaching the dispatcher's %s program failed: %s", exits ? "exit" : "entry",
					    strerror(-fd));
				return -1;
			}
			links[*n].l = NULL;
			links[*n].fd = fd;
			links[*n].exit = exits;
			(*n)++;
		}
	}
	return 0;
}

/* Attach every loaded program of kind k into links[*n]. 0, or -1 after saying why. */
static int attach_kind(struct mw_hooks *h, enum prog_kind k, struct hlink *links, int *n, int cap)
{
	struct bpf_program *p;

	/* entries first, then exits: a call that began before its entry
	 * program was attached then also ends before its exit program is,
	 * unless it spans the whole attach (not taken for an unmatched exit) */
	for (int exits = 0; exits < 2; exits++) {
		for_each_prog(h, p) {
			int ev, slot, err;

			if (!bpf_program__autoload(p) || prog_kind(p, &ev, &slot) != k || prog_is_exit(p) != exits)
				continue;
			err = attach_into(p, links, n, cap);
			if (err) {
				mw_err_line("attaching %s (%s) failed: %s", bpf_program__name(p),
					 bpf_program__section_name(p), strerror(-err));
				return -1;
			}
		}
	}
	return 0;
}

/* The dispatcher on beside the per-syscall tracepoints (they stay
 * attached), then the store that makes it record native entries too: the
 * BPF side takes each call once across that store (entry_turn there; a
 * second exit finds the call handled). */
static int switch_to_dispatcher(struct mw_hooks *h)
{
	if (dispatcher_ready(h))
		return -1;
	join_detachers(h); /* a program attaches to a tracepoint once: the old link must be gone */
	if (!h->ndisp) {
		/* both sets attached from here until the dispatcher goes again */
		__atomic_fetch_add(&h->skel->bss->hooks_overlap, 1, __ATOMIC_SEQ_CST);
		if (h->ndisp_progs ? attach_fds(h->disp_progs, h->ndisp_progs, h->disp_links, &h->ndisp, 2)
				   : attach_kind(h, PK_DISP, h->disp_links, &h->ndisp, 2)) {
			__atomic_fetch_sub(&h->skel->bss->hooks_overlap, 1, __ATOMIC_SEQ_CST);
			return -1;
		}
	}
	/* the hand-over: the dispatcher records native entries from this
	 * store on, the per-syscall tracepoints decline them */
	__atomic_store_n(&h->skel->bss->disp_live, 1, __ATOMIC_SEQ_CST);
	h->live_ns = boot_ns();
	return 0;
}

/* The reverse: the per-syscall tracepoints record (attached the first
 * time), the dispatcher goes (its tp_btf links close off this thread). */
static int switch_to_tracepoints(struct mw_hooks *h)
{
	join_detachers(h);
	if (!h->ntp && attach_kind(h, PK_TP, h->tp_links, &h->ntp, MW_MAX_PROGS))
		return -1;
	__atomic_store_n(&h->skel->bss->disp_live, 0, __ATOMIC_SEQ_CST);
	if (h->ndisp)
		detach_later(h, h->disp_links, &h->ndisp); /* ends the overlap */
	return 0;
}

/* Is the file at path a 32-bit program of this machine's compat ABI? */
static bool file_is_compat(const char *p)
{
	unsigned char e[20];
	int fd;
	ssize_t r;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	r = read(fd, e, sizeof(e));
	close(fd);
	if (r < (ssize_t)sizeof(e) || memcmp(e, "\177ELF", 4) || e[4] != 1 /* ELFCLASS32 */)
		return false;
	unsigned machine = e[5] == 1 ? e[18] | e[19] << 8 : e[19] | e[18] << 8;
#if defined(__x86_64__)
	return machine == 3;  /* EM_386 (x32 programs are EM_X86_64: native calls) */
#elif defined(__aarch64__)
	return machine == 40; /* EM_ARM */
#else
	return false;
#endif
}

/* Does /proc/PID/exe hold a 32-bit program of this machine's compat ABI? */
static bool exe_is_compat(const char *pid)
{
	char p[300];

	snprintf(p, sizeof(p), "/proc/%s/exe", pid);
	return file_is_compat(p);
}

/* Enter the 32-bit processes already running (in scope) into compat_procs. */
static void seed_compat_procs(struct mw_hooks *h)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int fd = bpf_map__fd(h->skel->maps.compat_procs);
	int tfd = bpf_map__fd(h->skel->maps.traced);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long v = strtoul(de->d_name, &end, 10);
		uint32_t pid = (uint32_t)v;
		uint64_t now = boot_ns();
		uint8_t one;

		if (*end || !v || pid == (uint32_t)getpid() || !exe_is_compat(de->d_name))
			continue;
		if (h->follow && bpf_map_lookup_elem(tfd, &pid, &one))
			continue;
		if (bpf_map_update_elem(fd, &pid, &now, BPF_NOEXIST))
			continue;
		__atomic_fetch_add(&h->skel->bss->compat_live, 1, __ATOMIC_SEQ_CST);
		/* it may have exited before it was entered: its exit then removed nothing */
		if (kill((pid_t)pid, 0) && errno == ESRCH && bpf_map_delete_elem(fd, &pid) == 0)
			__atomic_fetch_add(&h->skel->bss->compat_live, -1, __ATOMIC_SEQ_CST);
	}
	closedir(d);
}

/* Number of 32-bit processes in scope now (entries of compat_procs). */
static unsigned count_compat_procs(struct mw_hooks *h)
{
	int64_t n = __atomic_load_n(&h->skel->bss->compat_live, __ATOMIC_SEQ_CST);

	return n > 0 ? (unsigned)n : 0;
}

/* Attach the hooks that fit the 32-bit processes now in scope. rec: the
 * change that prompted it (NULL at start). 0, or -1 after saying why. */
static int hooks_settle(struct mw_hooks *h, const struct mw_compat_rec *rec)
{
	unsigned n = count_compat_procs(h);

	if (n && !h->ndisp) {
		if (switch_to_dispatcher(h))
			return -1;
		h->to_disp++;
		if (rec) {
			uint64_t gap = h->live_ns - rec->ts;
			h->gap_sum_ns += gap;
			if (gap > h->gap_max_ns)
				h->gap_max_ns = gap;
			if (h->o->verbose)
				fprintf(stderr, "mapwatch: 32-bit process %u started: dispatcher attached %.0f us later, recording native calls too (per-syscall tracepoints idle)\n",
					rec->pid, gap / 1e3);
		} else if (h->o->verbose) {
			fprintf(stderr, "mapwatch: %u 32-bit process%s running: dispatcher attached\n", n,
				n == 1 ? "" : "es");
		}
	} else if (!n && (h->ndisp || !h->ntp)) {
		if (switch_to_tracepoints(h))
			return -1;
		if (rec) {
			h->to_tp++;
			if (h->o->verbose)
				fprintf(stderr, "mapwatch: no 32-bit process left (%u ended): per-syscall tracepoints recording again, dispatcher detached\n",
					rec->pid);
		}
	}
	return 0;
}

static int on_ctl_rec(void *ctx, void *data, size_t size)
{
	struct mw_hooks *h = ctx;
	const struct mw_compat_rec *r = data;

	if (size < sizeof(*r) || r->type != MW_REC_COMPAT)
		return 0;
	pthread_mutex_lock(&h->lock);
	hooks_settle(h, r); /* a failure was reported; the hooks attached stay */
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void *watch_run(void *arg)
{
	struct mw_hooks *h = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, got[2];

	if (ep < 0)
		return NULL;
	ev.data.fd = ring_buffer__epoll_fd(h->ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = h->stop_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	for (;;) {
		int n = epoll_wait(ep, got, 2, -1);
		bool stop = false;

		for (int i = 0; i < n; i++)
			stop |= got[i].data.fd == h->stop_fd;
		if (stop)
			break;
		if (n > 0 || errno == EINTR)
			ring_buffer__consume(h->ctl);
		else
			break;
	}
	close(ep);
	return NULL;
}

/* Start the watcher thread (tracepoint mode with 32-bit tracing). 0, or -1 after saying why. */
static int watch_start(struct mw_hooks *h)
{
	h->ctl = ring_buffer__new(bpf_map__fd(h->skel->maps.ctl_rb), on_ctl_rec, h, NULL);
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!h->ctl || h->stop_fd < 0 || mw_thread_start(&h->watcher, watch_run, h)) {
		mw_err_line("cannot watch for 32-bit processes: %s", strerror(errno));
		return -1;
	}
	h->watching = true;
	return 0;
}

static void watch_stop(struct mw_hooks *h)
{
	uint64_t one = 1;

	if (h->watching) {
		if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(h->watcher);
		pthread_join(h->watcher, NULL);
		h->watching = false;
	}
	if (h->stop_fd > 0)
		close(h->stop_fd);
	h->stop_fd = -1;
	ring_buffer__free(h->ctl);
	h->ctl = NULL;
}

/* Fill the nr_event map from the catalogue: every event (do_mmap needs to
 * know a mapping syscall is in progress; on_enter checks --events), 32-bit
 * numbers only when 32-bit tasks are traced. */
static int fill_nr_event(struct mw_hooks *h)
{
	int fd = bpf_map__fd(h->skel->maps.nr_event);

	for (int ev = 0; ev < MW_EV_MAX; ev++) {
		for (int c = 0; c <= (h->compat ? 1 : 0); c++) {
			int nr = catalog_nr(ev, c);
			uint32_t k = (uint32_t)nr + (c ? MW_NR_SLOTS : 0);
			uint8_t v = (uint8_t)(ev + 1);

			if (nr < 0 || nr >= MW_NR_SLOTS)
				continue;
			if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

static int hooks_load(struct mw_hooks *h, enum hook_mode mode, enum dm_mode dm, char *why, size_t whylen)
{
	const struct mw_opts *o = h->o;
	struct bpf_program *p;
	const char *tdir = tracefs_dir();
	int err;
	int vmf = dm != DM_NONE ? do_mmap_has_vmflags() : 0;
	bool disp = mode == MODE_DISPATCHER || (mode == MODE_TRACEPOINT && h->compat);
	/* tracepoint mode: the dispatcher is loaded beside the rest (see dispatcher_loader) */
	bool lazy_disp = mode == MODE_TRACEPOINT && h->compat && !getenv("MAPWATCH_DISPATCHER_AT_START");

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
	h->track = mode == MODE_TRACEPOINT && h->compat;
	h->skel = mapwatch_bpf__open();
	if (!h->skel) {
		mw_err_line("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	mw_phase("BPF object opened");
	release_object_bytes(); /* libbpf has its copy: not resident while it loads */
	h->skel->rodata->self_tgid = getpid();
	h->skel->rodata->follow_only = h->follow;
	h->skel->rodata->event_mask = o->event_mask;
	h->skel->rodata->wake_bytes = o->buffer_size / 8;
	h->skel->rodata->lifecycle_recs = o->lifecycle || o->alerts;
	h->skel->rodata->kill_wx = o->kill_wx;
	h->skel->rodata->allow_on = o->nallow > 0;
	h->skel->rodata->dm_has_vmflags = vmf > 0;
	h->skel->rodata->track_compat = h->track;
	for (int i = 0; mode == MODE_FUNCTION && i < h->nfn; i++) {
		h->skel->rodata->fn_event[i] = (uint8_t)h->fn[i].event;
		h->skel->rodata->fn_compat[i] = (uint8_t)h->fn[i].compat;
	}
	h->skel->rodata->summary_on = o->summary;
	h->skel->rodata->summary_by = (uint8_t)o->summary_by;
	h->skel->rodata->stack_on = o->stack_depth > 0;
	h->skel->rodata->stack_depth = o->stack_depth;
	mw_filter_rodata(&o->filters, h->skel);
	/* test knob: a small traced map, to see a full one reported as a loss */
	const char *tmax = getenv("MAPWATCH_TRACED_MAX");
	if (tmax && atoi(tmax) > 0)
		bpf_map__set_max_entries(h->skel->maps.traced, (uint32_t)atoi(tmax));
	err = bpf_map__set_max_entries(h->skel->maps.rb, o->buffer_size);
	if (err) {
		mw_err_line("cannot size the ring buffer to %zu bytes: %s", o->buffer_size, strerror(-err));
		return -1;
	}
	bpf_object__for_each_program(p, h->skel->obj) {
		int ev, slot;
		bool want = true;

		switch (prog_kind(p, &ev, &slot)) {
		case PK_TP:
			want = mode == MODE_TRACEPOINT && ev >= 0 && (o->event_mask & (1u << ev)) &&
			       catalog_nr(ev, false) >= 0; /* mmap2 has no native tracepoint on 64-bit */
			if (want && !tracepoint_exists(tdir, bpf_program__section_name(p))) {
				want = false;
				if (strstr(bpf_program__section_name(p), "sys_enter_"))
					append(h->skipped, sizeof(h->skipped), "%s: no tracepoint %s",
					       mw_event_desc(ev)->name, bpf_program__section_name(p) + 11);
			}
			break;
		case PK_DISP:
			want = disp && !lazy_disp;
			break;
		case PK_FN:
			want = mode == MODE_FUNCTION && slot >= 0 && slot < h->nfn;
			if (want)
				err = bpf_program__set_attach_target(p, 0, h->fn[slot].func);
			if (want && err) {
				snprintf(why, whylen, "cannot target %s: %s", h->fn[slot].func, strerror(-err));
				return -1;
			}
			break;
		case PK_LIFE:
			want = strcmp(bpf_program__name(p), "on_fork") || h->follow || o->lifecycle ||
			       o->alerts || h->track;
			break;
		case PK_DM_FENTRY:
			want = dm == DM_FENTRY;
			break;
		case PK_DM_KPROBE:
			want = dm == DM_KPROBE;
			break;
		case PK_OTHER:
			want = bpf_program__autoload(p);
			break;
		}
		bpf_program__set_autoload(p, want);
	}
	mw_phase("BPF object opened and set up");
	err = mapwatch_bpf__load(h->skel);
	mw_phase(lazy_disp ? "programs verified and loaded (the dispatcher on its own thread)" : "programs verified and loaded");
	if (o->verbose >= 3)
		verifier_stats_print(h->skel->obj);
	if (err && (dm != DM_NONE || mode == MODE_FUNCTION)) {
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
	if (lazy_disp)
		dispatcher_load_start(h);
	err = mw_filter_maps(&o->filters, h->skel);
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
		int ev, slot;
		enum prog_kind k = prog_kind(p, &ev, &slot);

		if (!bpf_program__autoload(p) || (k != PK_DM_FENTRY && k != PK_DM_KPROBE))
			continue;
		err = attach_into(p, h->links, &h->nlinks, MW_MAX_PROGS);
		if (err) {
			snprintf(why, whylen, "attaching %s failed: %s", bpf_program__section_name(p), strerror(-err));
			return -1;
		}
	}
	if (mode == MODE_FUNCTION) {
		for_each_prog(h, p) {
			int ev, slot;

			if (!bpf_program__autoload(p) || prog_kind(p, &ev, &slot) != PK_FN)
				continue;
			err = attach_into(p, h->links, &h->nlinks, MW_MAX_PROGS);
			if (err) {
				snprintf(why, whylen, "attaching fentry/fexit on %s failed: %s", h->fn[slot].func,
					 strerror(-err));
				return -1;
			}
		}
	}
	/* lifecycle before the /proc scan, so a 32-bit process cannot slip between */
	if (attach_kind(h, PK_LIFE, h->links, &h->nlinks, MW_MAX_PROGS) ||
	    attach_kind(h, PK_OTHER, h->links, &h->nlinks, MW_MAX_PROGS))
		return -1;
	if (mode == MODE_DISPATCHER) {
		if (switch_to_dispatcher(h))
			return -1;
	} else if (mode == MODE_TRACEPOINT) {
		if (h->track)
			seed_compat_procs(h);
		if (hooks_settle(h, NULL) || (h->track && watch_start(h)))
			return -1;
	}
	return 0;
}

/* Load in mode, with the do_mmap hook when asked: fentry/fexit first,
 * kprobe/kretprobe next; the first that loads and attaches wins.
 * 0; -1 after printing why; -2 (function mode only) with why in h->refused. */
static int hooks_load_dm(struct mw_hooks *h, enum hook_mode mode)
{
	char why_f[256] = "", why_k[256] = "", why[300] = "";
	char save[sizeof(h->skipped)];

	memcpy(save, h->skipped, sizeof(save));
	if (!(h->o->event_mask & (1u << MW_EV_DO_MMAP))) {
		if (hooks_load(h, mode, DM_NONE, why, sizeof(why)) == 0)
			return 0;
		hooks_unload(h);
		memcpy(h->skipped, save, sizeof(save));
		if (mode != MODE_FUNCTION)
			return -1;
		append(h->refused, sizeof(h->refused), "function: %s", why);
		return -2;
	}
	if (hooks_load(h, mode, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		return 0;
	hooks_unload(h);
	memcpy(h->skipped, save, sizeof(save));
	if (hooks_load(h, mode, DM_KPROBE, why_k, sizeof(why_k)) == 0)
		return 0;
	hooks_unload(h);
	memcpy(h->skipped, save, sizeof(save));
	if (mode == MODE_FUNCTION) {
		append(h->refused, sizeof(h->refused), "function: %s", why_f);
		return -2;
	}
	mw_err_line("event do_mmap needs a kernel-function hook and none works here: fentry/fexit on do_mmap: %s; kprobe/kretprobe on do_mmap: %s",
		 why_f, why_k);
	return -1;
}

/* Try the hook modes o->hook allows, best first. */
static int hooks_load_all(struct mw_hooks *h)
{
	enum mw_hook want = h->o->hook;
	char why[300];
	int rc;

	if (want == MW_HOOK_AUTO || want == MW_HOOK_FUNCTION) {
		int possible = function_mode_possible(h, why, sizeof(why));
		mw_phase(possible ? "function hooks probed: refused" : "function hooks probed: possible");
		if (possible == 0) {
			rc = hooks_load_dm(h, MODE_FUNCTION);
			if (rc != -2)
				return rc;
		} else {
			append(h->refused, sizeof(h->refused), "function: %s", why);
		}
		if (want == MW_HOOK_FUNCTION) {
			mw_err_line("--hook function is not possible here (%s): use --hook auto", h->refused);
			return -1;
		}
	}
	return hooks_load_dm(h, want == MW_HOOK_DISPATCHER ? MODE_DISPATCHER : MODE_TRACEPOINT);
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
	/* no syscall is selected: nothing but do_mmap (and lifecycle) is attached */
	if (hooks_load(&t, MODE_TRACEPOINT, DM_FENTRY, why_f, sizeof(why_f)) == 0)
		snprintf(buf, n, "available (fentry/fexit)");
	else if (hooks_unload(&t), hooks_load(&t, MODE_TRACEPOINT, DM_KPROBE, why_k, sizeof(why_k)) == 0)
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
		mw_err_line("out of memory");
		return NULL;
	}
	h->o = o;
	h->follow = follow;
	h->compat = compat;
	h->stop_fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if (hooks_load_all(h)) {
		hooks_unload(h); /* what was loaded or attached before the failure */
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

	len += snprintf(buf + len, n - len, "%s", mode_names[h->mode]);
	if (h->mode == MODE_FUNCTION && len < n) {
		len += snprintf(buf + len, n - len, " (fentry/fexit on");
		for (int i = 0; i < h->nfn && len < n; i++)
			len += snprintf(buf + len, n - len, " %s", h->fn[i].func);
		if (len < n)
			len += snprintf(buf + len, n - len, ")");
	} else if (h->track && len < n) {
		len += snprintf(buf + len, n - len, " (per-syscall tracepoints; one tp_btf dispatcher instead while a 32-bit process runs)");
	} else if (h->mode == MODE_TRACEPOINT && len < n) {
		len += snprintf(buf + len, n - len, " (per-syscall tracepoints; 32-bit calls not traced)");
	} else if (len < n) {
		len += snprintf(buf + len, n - len, " (one tp_btf pair on every syscall)");
	}
	if (h->refused[0] && len < n)
		len += snprintf(buf + len, n - len, "; refused: %s", h->refused);
	if (h->skipped[0] && len < n)
		snprintf(buf + len, n - len, "; skipped: %s", h->skipped);
	return buf;
}

void mw_hooks_before_exec(struct mw_hooks *h, const char *cmd)
{
	char p[4096];
	bool is32 = false;

	if (!h || !h->track || !cmd)
		return;
	if (strchr(cmd, '/')) {
		is32 = file_is_compat(cmd);
	} else {
		const char *path = getenv("PATH");
		if (!path)
			path = "/usr/local/bin:/usr/bin:/bin";
		while (*path && !is32) {
			size_t n = strcspn(path, ":");
			snprintf(p, sizeof(p), "%.*s%s%s", (int)n, path, n ? "/" : "", cmd);
			if (access(p, X_OK) == 0) {
				is32 = file_is_compat(p);
				break; /* execvp runs the first one found */
			}
			path += n + (path[n] == ':');
		}
	}
	if (!is32)
		return;
	pthread_mutex_lock(&h->lock);
	if (!h->ndisp && switch_to_dispatcher(h) == 0) {
		h->to_disp++;
		if (h->o->verbose)
			fprintf(stderr, "mapwatch: %s is a 32-bit program: dispatcher attached before it starts, recording native calls too\n",
				cmd);
	}
	pthread_mutex_unlock(&h->lock);
}

const char *mw_hooks_probe(const struct mw_opts *o, char *buf, size_t n)
{
	struct mw_hooks *h;

	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0 && !have_cap(21)) {
		snprintf(buf, n, "unknown: probing needs root");
		return buf;
	}
	if (check_tracefs()) {
		snprintf(buf, n, "unknown: no tracefs");
		return buf;
	}
	h = mw_hooks_start(o, false, o->compat < 0 ? mw_compat_supported() : o->compat);
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
	if (!h || !h->o->verbose)
		return;
	pthread_mutex_lock(&h->lock);
	enum hook_mode mode = h->mode;
	enum dm_mode dm = h->dm;
	int n = h->nlinks + h->ntp + h->ndisp;
	fprintf(stderr, "mapwatch: attached %d programs (hook %s%s, 32-bit tasks %s%s)\n", n,
		mode_names[mode],
		h->track ? (h->ndisp ? ": dispatcher now, 32-bit processes running" : ": per-syscall tracepoints now, dispatcher while a 32-bit process runs") : "",
		h->compat ? "traced" : "not traced",
		dm == DM_FENTRY ? ", do_mmap by fentry/fexit" : dm == DM_KPROBE ? ", do_mmap by kprobe/kretprobe" : "");
	if (h->refused[0])
		fprintf(stderr, "mapwatch: better hooks refused: %s\n", h->refused);
	if (h->skipped[0])
		fprintf(stderr, "mapwatch: hooks this kernel lacks (calls not traced): %s\n", h->skipped);
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
	st->mode = mode_names[h->mode];
	st->switching = h->track;
	st->to_disp = h->to_disp;
	st->to_tp = h->to_tp;
	st->gap_max_ns = h->gap_max_ns;
	if (h->skel) {
		struct bpf_program *p;
		for_each_prog(h, p)
			st->missed += prog_runs_missed(bpf_program__fd(p));
		for (int i = 0; i < h->ndisp_progs; i++)
			st->missed += prog_runs_missed(h->disp_progs[i].fd);
	}
	pthread_mutex_unlock(&h->lock);
}

void mw_hooks_detach(struct mw_hooks *h)
{
	if (h)
		hooks_detach(h);
}

/* Hooks left to the process's exit (mw_hooks_stop_at_exit): still reachable. */
static struct mw_hooks *volatile left_to_exit;

void mw_hooks_stop_at_exit(struct mw_hooks *h)
{
	if (h && h->disp_pending) {
		/* the dispatcher is still being verified for a run that is over:
		 * the exit ends that load (the verifier stops on a fatal signal)
		 * rather than mapwatch waiting the rest of it out */
		hooks_detach(h);
		left_to_exit = h;
		mw_phase("dispatcher load left to the exit");
		return;
	}
	mw_hooks_stop(h);
}

void mw_hooks_stop(struct mw_hooks *h)
{
	if (!h)
		return;
	hooks_unload(h);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
