/* summary.c - summary mode (-c): snapshots of the kernel's summary map, grouped, one report per interval (the text of a group: summary_fmt.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "catalog.h"
#include "decode.h"
#include "format.h"
#include "container.h"
#include "proc.h"
#include "summary.h"
#include "summary_int.h"
#include "vec.h"

#define MW_SUM_EVENTS 256  /* event ids a report can hold (the key's event is 16 bits; ids beyond are folded) */

static const char *const by_names[] = {
	[MW_SUM_EVENT] = "event", [MW_SUM_PROCESS] = "process", [MW_SUM_COMM] = "comm",
	[MW_SUM_EXE] = "exe", [MW_SUM_CONTAINER] = "container", [MW_SUM_POD] = "pod",
};

const char *mw_summary_by_name(enum mw_sum_by by)
{
	return (unsigned)by < sizeof(by_names) / sizeof(by_names[0]) ? by_names[by] : "?";
}

int mw_summary_by_value(const char *name)
{
	for (unsigned i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (!strcmp(name, by_names[i]))
			return (int)i;
	return -1;
}

struct mw_summary *mw_summary_new(const struct mw_summary_opts *o)
{
	struct mw_summary *s = calloc(1, sizeof(*s));

	if (s)
		s->o = *o;
	return s;
}

void mw_summary_free(struct mw_summary *s)
{
	if (!s)
		return;
	free(s->cur.e);
	free(s->prev.e);
	free(s);
}

void mw_summary_begin(struct mw_summary *s)
{
	s->cur.n = 0;
}

int mw_summary_put(struct mw_summary *s, const struct mw_sum_key *k, const struct mw_sum_val *v)
{
	struct mw_sum_snap *c = &s->cur;

	if (mw_vec_grow((void **)&c->e, &c->cap, c->n, sizeof(*c->e), 256))
		return -1;
	c->e[c->n].k = *k;
	c->e[c->n].v = *v;
	c->n++;
	return 0;
}

int mw_summary_read_map(struct mw_summary *s, int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	struct mw_sum_key k, next;
	struct mw_sum_val *vals, sum;
	int err = 0;
	bool first = true;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	mw_summary_begin(s);
	while (bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue; /* cannot happen: keys are never deleted */
		memset(&sum, 0, sizeof(sum));
		for (int c = 0; c < ncpu; c++) {
			sum.calls += vals[c].calls;
			sum.time_ns += vals[c].time_ns;
			sum.len1 += vals[c].len1;
			sum.len2 += vals[c].len2;
			if (vals[c].tgid)
				sum.tgid = vals[c].tgid;
		}
		if (mw_summary_put(s, &k, &sum)) {
			err = -ENOMEM;
			break;
		}
	}
	free(vals);
	return err;
}

/* qsort that accepts an empty (NULL) array */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct mw_sum_entry *)a)->k, &((const struct mw_sum_entry *)b)->k, sizeof(struct mw_sum_key));
}

/* Bytes a successful call maps, unmaps and protects, from its summed arguments. */
static void add_bytes(struct mw_sum_row *r, uint16_t ev, const struct mw_sum_val *v)
{
	const struct mw_event_desc *d = mw_event_desc(ev);
	unsigned cl = d ? d->classes : 0;

	/* what the call does, from its catalogue row; a call that both unmaps
	 * and maps (mremap) gives its old size up and its new size arrives */
	if ((cl & (MW_CL_MAPS | MW_CL_UNMAPS)) == (MW_CL_MAPS | MW_CL_UNMAPS)) {
		r->unmapped += v->len1;
		r->mapped += v->len2;
	} else if (cl & MW_CL_MAPS) {
		r->mapped += v->len1;
	} else if (cl & MW_CL_UNMAPS) {
		r->unmapped += v->len1;
	} else if (cl & MW_CL_PROTECTS) {
		r->protected_ += v->len1;
	}
}

/* A group's own copy of a container's identity (the cache may evict it). */
static struct mw_ctr_info *ctr_copy(const struct mw_container *c)
{
	struct mw_ctr_info *ci = calloc(1, sizeof(*ci));

	if (!ci)
		return NULL;
	snprintf(ci->id, sizeof(ci->id), "%s", c->id);
	snprintf(ci->name, sizeof(ci->name), "%s", c->name);
	snprintf(ci->image, sizeof(ci->image), "%s", c->image);
	snprintf(ci->image_digest, sizeof(ci->image_digest), "%s", c->image_digest);
	snprintf(ci->runtime, sizeof(ci->runtime), "%s", c->runtime);
	snprintf(ci->pod_name, sizeof(ci->pod_name), "%s", c->pod_name);
	snprintf(ci->pod_namespace, sizeof(ci->pod_namespace), "%s", c->pod_namespace);
	snprintf(ci->pod_uid, sizeof(ci->pod_uid), "%s", c->pod_uid);
	return ci;
}

/* Do two keys belong to the same group? */
static bool same_group(enum mw_sum_by by, const struct mw_sum_group *g, const struct mw_sum_key *k,
		       const struct mw_container *c)
{
	switch (by) {
	case MW_SUM_EVENT:
		return true;
	case MW_SUM_PROCESS:
		return g->k.group == k->group && !memcmp(g->k.comm, k->comm, sizeof(k->comm));
	case MW_SUM_COMM:
		return !memcmp(g->k.comm, k->comm, sizeof(k->comm));
	case MW_SUM_EXE:
		return g->k.group == k->group && g->k.group2 == k->group2;
	case MW_SUM_CONTAINER:
		return (!g->ci && !c) || (g->ci && c && !strcmp(g->ci->id, c->id));
	case MW_SUM_POD:
		return (!g->ci && !c) ||
		       (g->ci && c && !strcmp(g->ci->pod_name, c->pod_name) && !strcmp(g->ci->pod_namespace, c->pod_namespace));
	}
	return false;
}

static void *grow(void *p, size_t n, size_t size)
{
	/* capacity doubles at powers of two */
	if (n && (n & (n - 1)))
		return p;
	return realloc(p, (n ? n * 2 : 4) * size);
}

static struct mw_sum_row *group_row(struct mw_sum_group *g, uint16_t ev)
{
	for (size_t i = 0; i < g->nrows; i++)
		if (g->rows[i].event == ev)
			return &g->rows[i];
	struct mw_sum_row *r = grow(g->rows, g->nrows, sizeof(*r));
	if (!r)
		return NULL;
	g->rows = r;
	r = &g->rows[g->nrows++];
	memset(r, 0, sizeof(*r));
	r->event = ev;
	return r;
}

static void add_err(struct mw_sum_group *g, uint16_t ev, uint16_t err, uint64_t n)
{
	for (size_t i = 0; i < g->nerrs; i++)
		if (g->errs[i].event == ev && g->errs[i].err == err) {
			g->errs[i].n += n;
			return;
		}
	struct mw_sum_err_count *e = grow(g->errs, g->nerrs, sizeof(*e));
	if (!e)
		return;
	g->errs = e;
	g->errs[g->nerrs++] = (struct mw_sum_err_count){ ev, err, n };
}

static int group_cmp(const void *a, const void *b)
{
	const struct mw_sum_group *x = a, *y = b;

	if (x->total.calls != y->total.calls)
		return x->total.calls > y->total.calls ? -1 : 1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

/* strace -c order: most time first */
static int row_cmp(const void *a, const void *b)
{
	const struct mw_sum_row *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns > y->time_ns ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return (int)x->event - (int)y->event;
}

/* --top in event mode: most calls first */
static int row_calls_cmp(const void *a, const void *b)
{
	const struct mw_sum_row *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return (int)x->event - (int)y->event;
}

static int err_cmp(const void *a, const void *b)
{
	const struct mw_sum_err_count *x = a, *y = b;

	if (x->event != y->event)
		return (int)x->event - (int)y->event;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (int)x->err - (int)y->err;
}

/* Build the groups of (cur - prev). Returns the number of groups; *out is malloc'd. */
static size_t build_groups(struct mw_summary *s, struct mw_sum_group **out)
{
	struct mw_sum_group *gs = NULL;
	size_t ng = 0, last = 0;

	sort(s->prev.e, s->prev.n, sizeof(struct mw_sum_entry), key_cmp);
	for (size_t i = 0; i < s->cur.n; i++) {
		const struct mw_sum_entry *c = &s->cur.e[i];
		const struct mw_sum_entry *p = !s->prev.n ? NULL : bsearch(c, s->prev.e, s->prev.n, sizeof(struct mw_sum_entry), key_cmp);
		struct mw_sum_val d = c->v;
		const struct mw_container *cont = NULL;

		if (p) {
			d.calls -= p->v.calls;
			d.time_ns -= p->v.time_ns;
			d.len1 -= p->v.len1;
			d.len2 -= p->v.len2;
		}
		if (!d.calls)
			continue;
		if (s->o.by == MW_SUM_CONTAINER || s->o.by == MW_SUM_POD)
			cont = mw_container_get(c->k.group, NULL);
		if (s->o.by == MW_SUM_POD && cont && !cont->pod_name[0])
			cont = NULL; /* a container in no pod */
		struct mw_sum_group *g = NULL;
		if (ng && same_group(s->o.by, &gs[last], &c->k, cont)) {
			g = &gs[last];
		} else {
			for (size_t j = 0; j < ng; j++)
				if (same_group(s->o.by, &gs[j], &c->k, cont)) {
					g = &gs[j];
					last = j;
					break;
				}
		}
		if (!g) {
			struct mw_sum_group *n = grow(gs, ng, sizeof(*n));
			if (!n)
				continue;
			gs = n;
			g = &gs[ng];
			memset(g, 0, sizeof(*g));
			g->k = c->k;
			g->ci = cont ? ctr_copy(cont) : NULL;
			last = ng++;
		}
		if (d.tgid)
			g->tgid = d.tgid;
		struct mw_sum_row *r = group_row(g, c->k.event);
		if (!r)
			continue;
		r->calls += d.calls;
		r->time_ns += d.time_ns;
		g->total.calls += d.calls;
		g->total.time_ns += d.time_ns;
		if (c->k.err) {
			r->errors += d.calls;
			g->total.errors += d.calls;
			add_err(g, c->k.event, c->k.err, d.calls);
		} else {
			add_bytes(r, c->k.event, &d);
			add_bytes(&g->total, c->k.event, &d);
		}
	}
	sort(gs, ng, sizeof(*gs), group_cmp);
	for (size_t j = 0; j < ng; j++) {
		sort(gs[j].rows, gs[j].nrows, sizeof(struct mw_sum_row), row_cmp);
		sort(gs[j].errs, gs[j].nerrs, sizeof(struct mw_sum_err_count), err_cmp);
	}
	*out = gs;
	return ng;
}

static void free_groups(struct mw_sum_group *gs, size_t ng)
{
	for (size_t j = 0; j < ng; j++) {
		free(gs[j].rows);
		free(gs[j].errs);
		free(gs[j].ci);
	}
	free(gs);
}

void mw_summary_report(struct mw_summary *s, struct strbuf *tbl, struct strbuf *json, uint64_t ts_ns,
		       double seconds, bool interval, uint64_t lost)
{
	struct mw_sum_group *gs = NULL;
	size_t ng = build_groups(s, &gs), shown = ng;
	unsigned top_rows = 0;
	struct mw_sum_group empty = { 0 };

	if (s->o.by == MW_SUM_EVENT)
		top_rows = s->o.top;
	else if (s->o.top && ng > s->o.top)
		shown = s->o.top;
	if (s->o.by == MW_SUM_EVENT && top_rows && ng)
		sort(gs[0].rows, gs[0].nrows, sizeof(struct mw_sum_row), row_calls_cmp);
	if (json) {
		struct strbuf *b = json;
		sb_printf(b, "{\"schemaVersion\":" MW_SCHEMA_VERSION_STR ",\"timestamp\":%llu,\"eventName\":\"summary\",\"summaryBy\":\"%s\",\"seconds\":%.6f,"
			  "\"interval\":%s,\"lost\":%llu,\"groupsNotShown\":%zu,\"groups\":[",
			  (unsigned long long)ts_ns, mw_summary_by_name(s->o.by), seconds,
			  interval ? "true" : "false", (unsigned long long)lost, ng - shown);
		for (size_t j = 0; j < shown; j++) {
			if (j)
				sb_putc(b, ',');
			mw_sum_json_group(b, s, &gs[j], top_rows);
		}
		sb_puts(b, "]}");
	}
	if (tbl) {
		struct strbuf *b = tbl;
		size_t start = b->len;
		if (interval) {
			time_t t = (time_t)(ts_ns / 1000000000ull);
			struct tm tm;
			char when[32];
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
			sb_printf(b, "--- summary at %s.%06llu, %.3f s ---\n", when,
				  (unsigned long long)(ts_ns % 1000000000ull / 1000), seconds);
		}
		if (!ng && s->o.by == MW_SUM_EVENT)
			mw_sum_table_group(b, s, &empty, 0);
		else if (!ng)
			sb_puts(b, "(no calls)\n");
		for (size_t j = 0; j < shown; j++) {
			if (j)
				sb_putc(b, '\n');
			mw_sum_table_group(b, s, &gs[j], top_rows);
		}
		if (shown < ng)
			sb_printf(b, "(%zu more groups not shown: --top %u)\n", ng - shown, s->o.top);
		if (lost)
			sb_printf(b, "*** %llu calls not counted: the summary map is full (%u keys)\n",
				  (unsigned long long)lost, MW_SUM_MAX_KEYS);
		if (b->len > start && b->p[b->len - 1] == '\n')
			b->p[--b->len] = 0; /* the writer ends the record */
	}
	free_groups(gs, ng);
	/* this snapshot is the next report's baseline */
	struct mw_sum_snap t = s->prev;
	s->prev = s->cur;
	s->cur = t;
	s->cur.n = 0;
}
