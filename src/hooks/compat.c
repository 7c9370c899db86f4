/* hooks/compat.c - 32-bit processes in --hook tracepoint mode: the kernel's set of them, the watcher thread, and the switches between the per-syscall tracepoints and the dispatcher. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "msg.h"
#include "thread.h"
#include "mapwatch.skel.h"
#include "hooks/internal.h"


static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Attach the programs of kind k into links[*n] (of cap). When the other
 * set is attached (other), both are from here until one goes again: the
 * BPF side's hooks_overlap counts that (never in dispatcher mode, where a
 * stale mark would silence an exit). 0, or -1 after saying why. */
static int attach_beside(struct mw_hooks *h, enum prog_kind k, struct hlink *links, int *n, int cap, bool other)
{
	if (other)
		__atomic_fetch_add(&h->skel->bss->hooks_overlap, 1, __ATOMIC_SEQ_CST);
	if (mw_attach_kind(h, k, links, n, cap)) {
		if (other)
			__atomic_fetch_sub(&h->skel->bss->hooks_overlap, 1, __ATOMIC_SEQ_CST);
		return -1;
	}
	return 0;
}

/* The dispatcher on beside the per-syscall tracepoints (they stay
 * attached), then the store that makes it record native entries too: the
 * BPF side takes each call once across that store (entry_turn there; a
 * second exit finds the call handled). */
int mw_switch_to_dispatcher(struct mw_hooks *h)
{
	mw_join_detachers(h); /* a program attaches to a tracepoint once: the old link must be gone */
	if (!h->ndisp) {
		if (attach_beside(h, PK_DISP, h->disp_links, &h->ndisp, 2, h->ntp > 0))
			return -1;
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
	mw_join_detachers(h);
	if (!h->ntp) {
		/* started with 32-bit processes running: the overlap begins here */
		if (attach_beside(h, PK_TP, h->tp_links, &h->ntp, MW_MAX_PROGS, h->ndisp > 0))
			return -1;
	}
	__atomic_store_n(&h->skel->bss->disp_live, 0, __ATOMIC_SEQ_CST);
	if (h->ndisp)
		mw_detach_later(h, h->disp_links, &h->ndisp); /* ends the overlap */
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
void mw_seed_compat_procs(struct mw_hooks *h)
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
		if (h->cfg.follow && bpf_map_lookup_elem(tfd, &pid, &one))
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
int mw_hooks_settle(struct mw_hooks *h, const struct mw_compat_rec *rec)
{
	unsigned n = count_compat_procs(h);

	if (n && !h->ndisp) {
		if (mw_switch_to_dispatcher(h))
			return -1;
		h->to_disp++;
		if (rec) {
			uint64_t gap = h->live_ns - rec->ts;
			h->gap_sum_ns += gap;
			if (gap > h->gap_max_ns)
				h->gap_max_ns = gap;
			if (h->cfg.verbose)
				fprintf(stderr, "mapwatch: 32-bit process %u started: dispatcher attached %.0f us later, recording native calls too (per-syscall tracepoints idle)\n",
					rec->pid, gap / 1e3);
		} else if (h->cfg.verbose) {
			fprintf(stderr, "mapwatch: %u 32-bit process%s running: dispatcher attached\n", n,
				n == 1 ? "" : "es");
		}
	} else if (!n && (h->ndisp || !h->ntp)) {
		if (switch_to_tracepoints(h))
			return -1;
		if (rec) {
			h->to_tp++;
			if (h->cfg.verbose)
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
	mw_hooks_settle(h, r); /* a failure was reported; the hooks attached stay */
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
int mw_watch_start(struct mw_hooks *h)
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

void mw_watch_stop(struct mw_hooks *h)
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
	if (!h->ndisp && mw_switch_to_dispatcher(h) == 0) {
		h->to_disp++;
		if (h->cfg.verbose)
			fprintf(stderr, "mapwatch: %s is a 32-bit program: dispatcher attached before it starts, recording native calls too\n",
				cmd);
	}
	pthread_mutex_unlock(&h->lock);
}

