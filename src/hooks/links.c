/* hooks/links.c - attaching programs, and their links' end: in parallel, in the background, or by a process of their own at exit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "msg.h"
#include "thread.h"
#include "mapwatch.skel.h"
#include "hooks/internal.h"


static void hlink_destroy(struct hlink *l)
{
	if (l->l)
		bpf_link__destroy(l->l);
	l->l = NULL;
}

static bool hlink_set(const struct hlink *l)
{
	return l->l != NULL;
}

static int hlink_fd(const struct hlink *l)
{
	return l->l ? bpf_link__fd(l->l) : -1;
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
void mw_detach_later(struct mw_hooks *h, struct hlink *links, int *n)
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

void mw_join_detachers(struct mw_hooks *h)
{
	for (int i = 0; i < h->ndetachers; i++)
		pthread_join(h->detachers[i], NULL);
	h->ndetachers = 0;
}


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

static void close_in_background(const struct hlink *ls, int n, bool sync_detach)
{
	int keep[2 * MW_MAX_PROGS + 3], nk = 0, maxfd = 0, hold[2];
	DIR *d;
	struct dirent *de;
	pid_t pid;

	if (n < 2 || sync_detach || closer_hold >= 0 || pipe2(hold, O_CLOEXEC))
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
void mw_hooks_detach_all(struct mw_hooks *h)
{
	struct hlink all[MW_MAX_PROGS + 2 + MW_MAX_PROGS];
	int n = 0;

	mw_watch_stop(h);
	mw_join_detachers(h);
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
		close_in_background(all, n, h->cfg.sync_detach);
		destroy_links(all, n, -1);
		mw_phase(closer_hold >= 0 ? "links closed (their last references with mapwatch-close)" : "links closed");
	}
	h->nlinks = h->ntp = h->ndisp = 0;
}

void mw_hooks_unload(struct mw_hooks *h)
{
	mw_hooks_detach_all(h);
	mapwatch_bpf__destroy(h->skel);
	h->skel = NULL;
	closer_release();
}

/* Attach p into links[*n] (of cap). 0, or -errno. */
int mw_attach_into(struct mw_hooks *h, struct bpf_program *p, struct hlink *links, int *n, int cap)
{
	struct bpf_link *l;

	if (*n >= cap)
		return -E2BIG;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	links[*n].l = l;
	links[*n].exit = mw_prog_info(h, p)->exit;
	(*n)++;
	return 0;
}

/* Attach every loaded program of kind k into links[*n]. 0, or -1 after saying why. */
int mw_attach_kind(struct mw_hooks *h, enum prog_kind k, struct hlink *links, int *n, int cap)
{
	struct bpf_program *p;

	/* entries first, then exits: a call that began before its entry
	 * program was attached then also ends before its exit program is,
	 * unless it spans the whole attach (not taken for an unmatched exit) */
	for (int exits = 0; exits < 2; exits++) {
		for_each_prog(h, p) {
			const struct prog_info *pi = mw_prog_info(h, p);
			int err;

			if (!bpf_program__autoload(p) || pi->kind != k || pi->exit != exits)
				continue;
			err = mw_attach_into(h, p, links, n, cap);
			if (err) {
				mw_err_line("attaching %s (%s) failed: %s", bpf_program__name(p),
					 bpf_program__section_name(p), strerror(-err));
				return -1;
			}
		}
	}
	return 0;
}
