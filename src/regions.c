/* regions.c - per-process region map: open-addressing pid table, each process a sorted region array. */
#include "regions.h"
#include "pidtab.h"
#include "procmaps.h"
#include "vec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG ((uint64_t)MW_PAGE_SIZE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/*
 * A process's regions live in buf[off .. off+n) of an allocation of cap
 * entries, with free room on both sides: a change near the front moves the
 * front part, one near the back moves the tail, whichever is shorter. New
 * mappings of a process usually land just above its lowest few regions
 * (top-down placement), so most changes move few entries.
 */
struct proc {
	uint8_t state;
	uint64_t seeded_at;  /* mw_regions_set_seeded_at(); 0: not read from /proc */
	size_t off, n, cap;
	struct mw_region *buf;
};

struct vec {
	struct mw_region *v;
	size_t n, cap;
};

struct mw_regions {
	struct mw_pidtab procs;  /* pid -> struct proc */
	struct vec in, out;  /* scratch: regions to insert, and the final slice */
};

/* ---- small helpers ---- */

static struct mw_region *R(const struct proc *p)
{
	return p->buf ? p->buf + p->off : NULL; /* NULL + 0 is undefined (found by fuzz_maps) */
}

int mw_region_same_attrs(const struct mw_region *a, const struct mw_region *b)
{
	return a->prot == b->prot && a->was_writable == b->was_writable &&
	       a->file_backed == b->file_backed && a->growsdown == b->growsdown &&
	       a->history_unknown == b->history_unknown;
}

static int einval(void)
{
	errno = EINVAL;
	return -1;
}

/* Round len up to a multiple of unit (a power of two); -1 on overflow. */
static int round_len(uint64_t len, uint64_t unit, uint64_t *out)
{
	if (len > UINT64_MAX - (unit - 1))
		return -1;
	*out = (len + unit - 1) & ~(unit - 1);
	return 0;
}

/* Checks addr alignment and rounds len; sets *end. 0 on success. */
static int make_range(uint64_t addr, uint64_t len, uint64_t unit, uint64_t *end)
{
	uint64_t rl;

	if ((addr & (PG - 1)) || round_len(len, unit, &rl) || rl > UINT64_MAX - addr)
		return einval();
	*end = addr + rl;
	return 0;
}

/* Room for want regions in v. 0, or -1 with errno ENOMEM. */
static int vec_reserve(struct vec *v, size_t want)
{
	return mw_vec_reserve((void **)&v->v, &v->cap, want, sizeof *v->v, 16);
}

/* Append (caller reserved room). Empty ranges are dropped. */
static void vec_push(struct vec *v, const struct mw_region *r)
{
	if (r->start < r->end)
		v->v[v->n++] = *r;
}

/* ---- per-process sorted array ---- */

size_t mw_regions_end_after(const struct mw_region *r, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First index whose region ends after addr. */
static size_t idx_end_after(const struct proc *p, uint64_t addr)
{
	return mw_regions_end_after(R(p), p->n, addr);
}

/* First index >= from whose region starts at or after addr. */
static size_t idx_start_at(const struct proc *p, size_t from, uint64_t addr)
{
	const struct mw_region *r = R(p);
	size_t lo = from, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].start >= addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static const struct mw_region *proc_find(const struct proc *p, uint64_t addr)
{
	size_t i = idx_end_after(p, addr);

	if (i < p->n && R(p)[i].start <= addr)
		return &R(p)[i];
	return NULL;
}

/* New allocation with tail room >= extra (and head room), contents copied. */
static int relocate(struct proc *p, size_t extra)
{
	size_t need = p->n + extra;
	size_t cap = need * 2 + 8;
	struct mw_region *nb = malloc(cap * sizeof *nb);

	if (!nb) {
		errno = ENOMEM;
		return -1;
	}
	size_t off = (cap - need) / 2;
	if (p->n)
		memcpy(nb + off, R(p), p->n * sizeof *nb);
	free(p->buf);
	p->buf = nb;
	p->cap = cap;
	p->off = off;
	return 0;
}

static size_t tail_room(const struct proc *p)
{
	return p->cap - p->off - p->n;
}

/* Ensure that any sequence of replace() calls growing the array by extra
 * entries in total cannot fail. */
static int reserve(struct proc *p, size_t extra)
{
	return tail_room(p) >= extra ? 0 : relocate(p, extra);
}

/* Replace entries [i, j) by the k entries of ins (which must not point into
 * p's buffer). Fails only with ENOMEM, before changing anything. */
static int replace(struct proc *p, size_t i, size_t j, const struct mw_region *ins, size_t k)
{
	const size_t sz = sizeof *ins;
	size_t old = j - i, head = i, tail = p->n - j;

	if (k > old) {
		size_t d = k - old;
		int front = p->off >= d && (head <= tail || tail_room(p) < d);
		if (!front && tail_room(p) < d) {
			if (relocate(p, d))
				return -1;
			front = p->off >= d && head <= tail;
		}
		if (front) {
			memmove(p->buf + p->off - d, p->buf + p->off, head * sz);
			p->off -= d;
		} else {
			memmove(R(p) + j + d, R(p) + j, tail * sz);
		}
		p->n += d;
	} else if (k < old) {
		size_t d = old - k;
		if (head < tail) {
			memmove(R(p) + d, R(p), head * sz);
			p->off += d;
		} else {
			memmove(R(p) + j - d, R(p) + j, tail * sz);
		}
		p->n -= d;
	}
	if (k)
		memcpy(R(p) + i, ins, k * sz);
	return 0;
}

/*
 * Make [s, e) hold exactly the k regions of ins (sorted, disjoint, inside
 * [s, e); may be t->in.v), keeping the parts of overlapping regions outside
 * [s, e) and merging equal neighbours. All-or-nothing.
 */
static int put_range(struct mw_regions *t, struct proc *p, uint64_t s, uint64_t e,
		  const struct mw_region *ins, size_t k)
{
	struct vec *o = &t->out;
	const struct mw_region *r = R(p);
	size_t i = idx_end_after(p, s);
	size_t j = idx_start_at(p, i, e);

	if (vec_reserve(o, k + 2))
		return -1;
	o->n = 0;
	if (i < j && r[i].start < s) {
		struct mw_region left = r[i];
		left.end = s;
		vec_push(o, &left);
	}
	for (size_t x = 0; x < k; x++)
		vec_push(o, &ins[x]);
	if (i < j && r[j - 1].end > e) {
		struct mw_region right = r[j - 1];
		right.start = e;
		vec_push(o, &right);
	}
	/* merge equal neighbours inside the slice */
	size_t w = 0;
	for (size_t x = 1; x < o->n; x++) {
		if (o->v[w].end == o->v[x].start && mw_region_same_attrs(&o->v[w], &o->v[x]))
			o->v[w].end = o->v[x].end;
		else
			o->v[++w] = o->v[x];
	}
	if (o->n)
		o->n = w + 1;
	/* and with the regions around it */
	if (o->n && i > 0 && r[i - 1].end == o->v[0].start && mw_region_same_attrs(&r[i - 1], &o->v[0])) {
		o->v[0].start = r[i - 1].start;
		i--;
	}
	if (o->n && j < p->n && r[j].start == o->v[o->n - 1].end &&
	    mw_region_same_attrs(&r[j], &o->v[o->n - 1])) {
		o->v[o->n - 1].end = r[j].end;
		j++;
	}
	return replace(p, i, j, o->v, o->n);
}

/* ---- process table ---- */

static struct proc *lookup(const struct mw_regions *t, uint32_t pid)
{
	return mw_pidtab_get(&t->procs, pid);
}

/* pid's entry, created empty (MW_PROC_PARTIAL) if absent; NULL on ENOMEM.
 * May move other entries: pointers from lookup() become invalid. */
static struct proc *get_or_add(struct mw_regions *t, uint32_t pid)
{
	int added;
	struct proc *p = mw_pidtab_add(&t->procs, pid, &added);

	if (p && added)
		p->state = MW_PROC_PARTIAL;
	return p;
}

static void remove_slot(struct mw_regions *t, struct proc *p)
{
	free(p->buf);
	mw_pidtab_del(&t->procs, p);
}

/* p holds buf[off .. off+n) from now on (an allocation of cap entries, now
 * p's, or NULL), in state; what it held before is freed. */
static void adopt(struct proc *p, struct mw_region *buf, size_t off, size_t n, size_t cap, uint8_t state)
{
	free(p->buf);
	p->buf = buf;
	p->off = off;
	p->n = n;
	p->cap = cap;
	p->state = state;
}

/* ---- public API ---- */

struct mw_regions *mw_regions_new(void)
{
	struct mw_regions *t = calloc(1, sizeof *t);

	if (!t)
		errno = ENOMEM;
	else
		t->procs.esz = sizeof(struct proc);
	return t;
}

void mw_regions_free(struct mw_regions *t)
{
	if (!t)
		return;
	struct proc *p;
	for (size_t i = 0; (p = mw_pidtab_next(&t->procs, &i, NULL));)
		free(p->buf);
	mw_pidtab_free(&t->procs);
	free(t->in.v);
	free(t->out.v);
	free(t);
}

size_t mw_regions_nprocs(const struct mw_regions *t)
{
	return t->procs.count;
}

enum mw_proc_state mw_regions_state(const struct mw_regions *t, uint32_t pid)
{
	const struct proc *p = lookup(t, pid);

	return p ? (enum mw_proc_state)p->state : MW_PROC_ABSENT;
}

const struct mw_region *mw_regions_list(const struct mw_regions *t, uint32_t pid, size_t *n)
{
	const struct proc *p = lookup(t, pid);

	*n = p ? p->n : 0;
	return p && p->n ? R(p) : NULL;
}

const struct mw_region *mw_regions_find(const struct mw_regions *t, uint32_t pid, uint64_t addr)
{
	const struct proc *p = lookup(t, pid);

	return p ? proc_find(p, addr) : NULL;
}

int mw_regions_mmap(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
		    uint64_t prot, uint64_t flags)
{
	uint64_t unit = PG, end;

	if (flags & MAP_HUGETLB) {
		unsigned shift = (unsigned)(flags >> MAP_HUGE_SHIFT) & 0x3f;
		unit = shift ? (shift >= 12 && shift < 63 ? (uint64_t)1 << shift : 0) : (uint64_t)2 << 20;
		if (!unit)
			return einval();
	}
	if (len == 0 || make_range(addr, len, unit, &end))
		return einval();
	struct proc *p = get_or_add(t, pid);
	if (!p)
		return -1;
	struct mw_region r = {
		.start = addr, .end = end,
		.prot = (uint8_t)(prot & RWX),
		.was_writable = (prot & PROT_WRITE) != 0,
		.file_backed = !(flags & MAP_ANONYMOUS),
		.growsdown = (flags & MAP_GROWSDOWN) != 0,
		.history_unknown = 0,
	};
	return put_range(t, p, addr, end, &r, 1);
}

int mw_regions_munmap(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len)
{
	uint64_t end;

	if (len == 0 || make_range(addr, len, PG, &end))
		return einval();
	struct proc *p = get_or_add(t, pid);
	if (!p)
		return -1;
	return put_range(t, p, addr, end, NULL, 0);
}

/* Apply prot to [s, e) of p (s < e), describing the old contents in *c. */
static int do_mprotect(struct mw_regions *t, struct proc *p, uint64_t s, uint64_t e, uint8_t np,
		       struct mw_prot_change *c)
{
	size_t i = idx_end_after(p, s), j = idx_start_at(p, i, e);
	const struct mw_region *r = R(p);
	struct vec *in = &t->in;
	uint64_t cur = s;

	if (vec_reserve(in, 2 * (j - i) + 1))
		return -1;
	in->n = 0;
	for (size_t x = i; x <= j; x++) {
		uint64_t a = x < j ? (r[x].start > s ? r[x].start : s) : e;
		if (cur < a) {  /* gap in the model */
			struct mw_region g = {
				.start = cur, .end = a, .prot = np,
				.was_writable = (np & PROT_WRITE) != 0,
				.history_unknown = 1,
			};
			vec_push(in, &g);
			c->gap_bytes += a - cur;
			c->history_unknown = 1;
		}
		if (x == j)
			break;
		uint64_t b = r[x].end < e ? r[x].end : e;
		uint8_t op = r[x].prot;
		struct mw_region nr = r[x];
		nr.start = a;
		nr.end = b;
		nr.prot = np;
		nr.was_writable = r[x].was_writable || (np & PROT_WRITE);
		vec_push(in, &nr);
		c->old_prot_and = c->known_bytes ? (c->old_prot_and & op) : op;
		c->old_prot_or |= op;
		c->known_bytes += b - a;
		if (r[x].was_writable)
			c->was_writable = 1;
		if (r[x].history_unknown)
			c->history_unknown = 1;
		if (!(op & PROT_EXEC) && (np & PROT_EXEC)) {
			c->exec_added = 1;
			if (r[x].was_writable) {
				if (!c->x_after_w)
					c->xw_start = a;
				c->x_after_w = 1;
				c->xw_end = b;
			}
		}
		cur = b;
	}
	return put_range(t, p, s, e, in->v, in->n);
}

/* Shared by mprotect and mprotect_enomem; stop == 0: the whole range,
 * else only up to the first gap of the model (nothing if addr is in one). */
static int mprotect_common(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
			   uint64_t prot, int stop_at_gap, struct mw_prot_change *out)
{
	struct mw_prot_change c;
	uint64_t s = addr, e;

	memset(&c, 0, sizeof c);
	if (make_range(addr, len, PG, &e))
		return -1;
	struct proc *p = get_or_add(t, pid);
	if (!p)
		return -1;
	if (stop_at_gap) {
		const struct mw_region *r = R(p);
		size_t i = idx_end_after(p, s);
		uint64_t cur = s;
		while (i < p->n && r[i].start <= cur && cur < e)
			cur = r[i++].end;
		if (cur < e)
			e = cur;
	}
	if (s < e && (prot & PROT_GROWSDOWN)) {
		const struct mw_region *r = R(p);
		size_t i = idx_end_after(p, s);
		if (i < p->n && r[i].start <= s && r[i].growsdown) {
			while (i > 0 && r[i - 1].end == r[i].start && r[i - 1].growsdown &&
			       r[i - 1].prot == r[i].prot)
				i--;
			s = r[i].start;
		}
	}
	c.start = s < e ? s : addr;
	c.end = s < e ? e : addr;
	if (s < e && do_mprotect(t, p, s, e, (uint8_t)(prot & RWX), &c))
		return -1;
	if (out)
		*out = c;
	return 0;
}

int mw_regions_mprotect(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
			uint64_t prot, struct mw_prot_change *out)
{
	return mprotect_common(t, pid, addr, len, prot, 0, out);
}

int mw_regions_mprotect_enomem(struct mw_regions *t, uint32_t pid, uint64_t addr, uint64_t len,
			       uint64_t prot, struct mw_prot_change *out)
{
	return mprotect_common(t, pid, addr, len, prot, 1, out);
}

int mw_regions_mremap(struct mw_regions *t, uint32_t pid, uint64_t old_addr, uint64_t old_size,
		      uint64_t new_size, uint64_t flags, uint64_t new_addr)
{
	uint64_t old_end, new_end;

	if (new_size == 0 || make_range(old_addr, old_size, PG, &old_end) ||
	    make_range(new_addr, new_size, PG, &new_end))
		return einval();
	old_size = old_end - old_addr;
	new_size = new_end - new_addr;
	struct proc *p = get_or_add(t, pid);
	if (!p)
		return -1;

	const struct mw_region *r = R(p);
	struct vec *in = &t->in;
	int moved = new_addr != old_addr;
	int keep_old = !old_size || (moved && (flags & MREMAP_DONTUNMAP));
	in->n = 0;

	if (!old_size) {
		const struct mw_region *src = proc_find(p, old_addr);
		if (vec_reserve(in, 1))
			return -1;
		if (src) {
			struct mw_region nr = *src;
			nr.start = new_addr;
			nr.end = new_end;
			vec_push(in, &nr);
		}
	} else {
		uint64_t copy = old_size < new_size ? old_size : new_size;
		size_t i = idx_end_after(p, old_addr);
		size_t j = idx_start_at(p, i, old_addr + copy);
		if (vec_reserve(in, j - i + 1))
			return -1;
		for (size_t x = i; x < j; x++) {
			struct mw_region nr = r[x];
			if (nr.start < old_addr)
				nr.start = old_addr;
			if (nr.end > old_addr + copy)
				nr.end = old_addr + copy;
			nr.start = nr.start - old_addr + new_addr;
			nr.end = nr.end - old_addr + new_addr;
			vec_push(in, &nr);
		}
		if (new_size > old_size) {
			const struct mw_region *last = proc_find(p, old_end - PG);
			if (last) {
				struct mw_region ext = *last;
				ext.start = new_addr + old_size;
				ext.end = new_end;
				vec_push(in, &ext);
			}
		}
	}
	/* Unmapping the old range may split one region (+1 entry); placing the
	 * pieces adds at most 2 each. Reserve all of it so that no step after the
	 * first can fail. */
	if (reserve(p, 2 * in->n + 3) || vec_reserve(&t->out, in->n + 3))
		return -1;
	if (!keep_old) {
		uint64_t from = moved ? old_addr : old_addr + (new_size < old_size ? new_size : old_size);
		if (from < old_end && put_range(t, p, from, old_end, NULL, 0))
			return -1;
	}
	if (moved && (flags & MREMAP_FIXED) && old_size == new_size) {
		/* A pure move: each piece lands at its own offset; what the
		 * destination holds facing holes of the old range stays. */
		for (size_t x = 0; x < in->n; x++)
			if (put_range(t, p, in->v[x].start, in->v[x].end, &in->v[x], 1))
				return -1;
		return 0;
	}
	return put_range(t, p, new_addr, new_end, in->v, in->n);
}

int mw_regions_set_seeded_at(struct mw_regions *t, uint32_t pid, uint64_t ts)
{
	struct proc *p = get_or_add(t, pid);

	if (!p)
		return -1;
	p->seeded_at = ts;
	return 0;
}

uint64_t mw_regions_seeded_at(const struct mw_regions *t, uint32_t pid)
{
	const struct proc *p = lookup(t, pid);
	return p ? p->seeded_at : 0;
}

int mw_regions_fork(struct mw_regions *t, uint32_t parent, uint32_t child)
{
	if (parent == child)
		return 0;
	const struct proc *pp = lookup(t, parent);
	struct mw_region *copy = NULL;
	size_t n = pp ? pp->n : 0;
	uint8_t state = pp ? pp->state : MW_PROC_PARTIAL;

	if (n) {
		copy = malloc(n * sizeof *copy);
		if (!copy) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(copy, R(pp), n * sizeof *copy);
	}
	struct proc *c = get_or_add(t, child);  /* may move pp: not used after this */
	if (!c) {
		free(copy);
		return -1;
	}
	adopt(c, copy, 0, n, n, state);
	c->seeded_at = 0;
	return 0;
}

int mw_regions_exec(struct mw_regions *t, uint32_t pid)
{
	struct proc *p = get_or_add(t, pid);

	if (!p)
		return -1;
	adopt(p, NULL, 0, 0, 0, MW_PROC_PARTIAL);
	p->seeded_at = 0;
	return 0;
}

void mw_regions_exit(struct mw_regions *t, uint32_t pid)
{
	struct proc *p = lookup(t, pid);

	if (p)
		remove_slot(t, p);
}

/* ---- seeding from /proc/PID/maps ---- */

int mw_regions_seed_maps(struct mw_regions *t, uint32_t pid, const char *text, size_t len,
			 size_t *bad_lines)
{
	struct proc tmp;
	size_t bad = 0;
	int count = 0;
	const char *s = text, *end = text + len;

	memset(&tmp, 0, sizeof tmp);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		const char *ce = le;
		if (ce > s && ce[-1] == '\r')
			ce--;
		if (ce > s) {
			struct mw_region r;
			if (mw_procmaps_line(s, ce, &r)) {
				bad++;
			} else {
				if (put_range(t, &tmp, r.start, r.end, &r, 1)) {
					free(tmp.buf);
					return -1;
				}
				if (count < INT_MAX)
					count++;
			}
		}
		s = nl ? nl + 1 : end;
	}
	struct proc *p = get_or_add(t, pid);
	if (!p) {
		free(tmp.buf);
		return -1;
	}
	adopt(p, tmp.buf, tmp.off, tmp.n, tmp.cap, MW_PROC_COMPLETE);
	if (bad_lines)
		*bad_lines = bad;
	return count;
}
