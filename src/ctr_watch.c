/* ctr_watch.c - the resolver thread: each cgroup the kernel announces (MW_REC_CGROUP in ctr_rb, at its first call) is looked up while its container still runs, so that events read later and summaries name it after it is gone. */
#include <errno.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "filter_abi.h"
#include "container.h"
#include "ctr_match.h"
#include "ctr_watch.h"
#include "thread.h"

/* Cgroups that named no container at their first look, looked up again
 * after 5, 10, 20 and 40 ms: a runtime writes its state after it created the
 * cgroup and its init ran in it (the kernel announces the cgroup again when
 * the container's own program calls). Bounded: when full, the oldest wait
 * goes. */
#define RETRY_MAX 512
#define RETRY_FIRST_NS (5 * 1000 * 1000ull)
#define RETRY_LAST_NS (40 * 1000 * 1000ull)

struct retry {
	uint64_t cgid, due_ns, delay_ns;
};

struct mw_ctr_watch {
	struct ring_buffer *rb;
	int verdict_fd;
	const struct mw_ctr_match *m;
	pthread_t th;
	int stop;          /* atomic */
	uint64_t records;  /* atomic */
	struct retry retry[RETRY_MAX];
	unsigned nretry;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool judge(const struct mw_container *c, void *arg)
{
	return mw_ctr_match(arg, c);
}

/* Look cgid up (again when recheck) and tell the kernel the verdict: in,
 * out, or still pending while the cgroup may yet turn out a container. */
static void resolve(struct mw_ctr_watch *w, uint64_t cgid, bool recheck, uint64_t delay_ns)
{
	bool tentative, is_ctr;
	int in = mw_container_resolve(cgid, recheck, w->m ? judge : NULL, (void *)w->m, &tentative, &is_ctr);
	/* a judgement a name to come cannot change: --container all or none, alone, on a container */
	bool any_only = w->m && w->m->ctr.any && !w->m->pod.n && !w->m->ns.n;
	bool final = !tentative || (any_only && is_ctr);

	if (tentative && delay_ns <= RETRY_LAST_NS) {
		if (w->nretry == RETRY_MAX) /* full: the oldest gives way */
			memmove(&w->retry[0], &w->retry[1], --w->nretry * sizeof(w->retry[0]));
		w->retry[w->nretry++] = (struct retry){ cgid, mono_ns() + delay_ns, delay_ns };
	}
	/* the kernel drops the cgroup's calls from now on (NO), passes them
	 * (YES), or passes them and announces the cgroup again when another
	 * command calls in it (RECHECK: it may yet be named) */
	struct mw_ctr_verdict v = { 0 };
	bpf_map_lookup_elem(w->verdict_fd, &cgid, &v); /* its comm stays */
	v.v = !w->m || in > 0 ? MW_CTR_YES : final ? MW_CTR_NO : MW_CTR_PENDING;
	if (tentative)
		v.v |= MW_CTR_RECHECK;
	bpf_map_update_elem(w->verdict_fd, &cgid, &v, BPF_ANY);
}

static int on_rec(void *ctx, void *data, size_t size)
{
	struct mw_ctr_watch *w = ctx;
	const struct mw_cgroup_rec *r = data;

	if (size < sizeof(*r) || r->type != MW_REC_CGROUP)
		return 0;
	__atomic_add_fetch(&w->records, 1, __ATOMIC_RELAXED);
	/* a second announcement is a recheck (another command in a cgroup
	 * that named no container yet) */
	resolve(w, r->cgroup_id, true, RETRY_FIRST_NS);
	return 0;
}

/* The retries due; returns the ms until the next one (at most 100). */
static int retries(struct mw_ctr_watch *w)
{
	uint64_t now = mono_ns(), next = now + 100 * 1000000ull;
	unsigned n = w->nretry;
	struct retry due[RETRY_MAX];
	unsigned ndue = 0;

	w->nretry = 0;
	for (unsigned i = 0; i < n; i++) {
		if (w->retry[i].due_ns <= now)
			due[ndue++] = w->retry[i];
		else
			w->retry[w->nretry++] = w->retry[i];
	}
	for (unsigned i = 0; i < ndue; i++)
		resolve(w, due[i].cgid, true, due[i].delay_ns * 2);
	for (unsigned i = 0; i < w->nretry; i++)
		if (w->retry[i].due_ns < next)
			next = w->retry[i].due_ns;
	now = mono_ns();
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void *run(void *arg)
{
	struct mw_ctr_watch *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		int n = ring_buffer__poll(w->rb, retries(w));
		if (n < 0 && n != -EINTR)
			break;
	}
	ring_buffer__consume(w->rb);
	return NULL;
}

struct mw_ctr_watch *mw_ctr_watch_start(int ctr_rb_fd, int verdict_fd, const struct mw_ctr_match *m)
{
	struct mw_ctr_watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->verdict_fd = verdict_fd;
	w->m = m;
	w->rb = ring_buffer__new(ctr_rb_fd, on_rec, w, NULL);
	if (!w->rb) {
		err = errno;
		free(w);
		errno = err;
		return NULL;
	}
	err = mw_thread_start(&w->th, run, w);
	if (err) {
		ring_buffer__free(w->rb);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

uint64_t mw_ctr_watch_records(const struct mw_ctr_watch *w)
{
	return w ? __atomic_load_n(&w->records, __ATOMIC_RELAXED) : 0;
}

void mw_ctr_watch_stop(struct mw_ctr_watch *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->th, NULL);
	ring_buffer__free(w->rb);
	free(w);
}
