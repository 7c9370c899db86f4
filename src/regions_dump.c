/* regions_dump.c - a process's region map as text, and two maps compared (tests, the model against the kernel's view). */
#include "regions_dump.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

static size_t fmt_region(const struct mw_region *r, unsigned attrs, char *tmp, size_t tsz)
{
	int n = snprintf(tmp, tsz, "%llx-%llx:%c%c%c%s%s%s%s", (unsigned long long)r->start,
			 (unsigned long long)r->end, (r->prot & PROT_READ) ? 'r' : '-',
			 (r->prot & PROT_WRITE) ? 'w' : '-', (r->prot & PROT_EXEC) ? 'x' : '-',
			 (attrs & MW_ATTR_STICKY) && r->was_writable ? "W" : "",
			 (attrs & MW_ATTR_FILE) && r->file_backed ? "F" : "",
			 (attrs & MW_ATTR_GROWSDOWN) && r->growsdown ? "G" : "",
			 (attrs & MW_ATTR_UNKNOWN) && r->history_unknown ? "U" : "");
	return n > 0 ? (size_t)n : 0;
}

size_t mw_regions_format(const struct mw_regions *t, uint32_t pid, unsigned attrs, char *buf,
			 size_t size)
{
	size_t n, total = 0;
	const struct mw_region *r = mw_regions_list(t, pid, &n);
	char tmp[96];

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = fmt_region(&r[i], attrs, tmp + 1, sizeof tmp - 1);
		const char *piece = i ? tmp : tmp + 1;
		if (i) {
			tmp[0] = ' ';
			l++;
		}
		if (total < size) {
			size_t room = size - 1 - total, c = l < room ? l : room;
			memcpy(buf + total, piece, c);
			buf[total + c] = '\0';
		}
		total += l;
	}
	return total;
}

/* Walks the regions of one process clipped to [lo, hi), merging neighbours
 * that are equal in the selected attributes (others zeroed). */
struct run_iter {
	const struct mw_region *r;
	size_t n, i;
	uint64_t lo, hi;
	unsigned attrs;
};

static void masked(const struct mw_region *src, unsigned attrs, struct mw_region *dst)
{
	memset(dst, 0, sizeof *dst);
	dst->start = src->start;
	dst->end = src->end;
	dst->prot = src->prot & RWX;
	if (attrs & MW_ATTR_STICKY)
		dst->was_writable = src->was_writable;
	if (attrs & MW_ATTR_FILE)
		dst->file_backed = src->file_backed;
	if (attrs & MW_ATTR_GROWSDOWN)
		dst->growsdown = src->growsdown;
	if (attrs & MW_ATTR_UNKNOWN)
		dst->history_unknown = src->history_unknown;
}

static int run_next(struct run_iter *it, struct mw_region *out)
{
	if (it->i >= it->n || it->r[it->i].start >= it->hi)
		return 0;
	masked(&it->r[it->i++], it->attrs, out);
	if (out->start < it->lo)
		out->start = it->lo;
	if (out->end > it->hi)
		out->end = it->hi;
	while (it->i < it->n && it->r[it->i].start == out->end && out->end < it->hi) {
		struct mw_region nx;
		masked(&it->r[it->i], it->attrs, &nx);
		if (!mw_region_same_attrs(&nx, out))
			break;
		out->end = nx.end < it->hi ? nx.end : it->hi;
		it->i++;
	}
	return 1;
}

static void run_init(struct run_iter *it, const struct mw_regions *t, uint32_t pid, uint64_t lo,
		     uint64_t hi, unsigned attrs)
{
	it->r = mw_regions_list(t, pid, &it->n);
	it->i = mw_regions_end_after(it->r, it->n, lo);
	it->lo = lo;
	it->hi = hi;
	it->attrs = attrs;
}

int mw_regions_compare(const struct mw_regions *a, uint32_t pid_a, const struct mw_regions *b,
		       uint32_t pid_b, uint64_t lo, uint64_t hi, unsigned attrs, uint64_t *diff_at)
{
	struct run_iter ia, ib;
	struct mw_region ra, rb;
	uint64_t at;

	if (lo >= hi)
		return 0;
	run_init(&ia, a, pid_a, lo, hi, attrs);
	run_init(&ib, b, pid_b, lo, hi, attrs);
	for (;;) {
		int ga = run_next(&ia, &ra), gb = run_next(&ib, &rb);
		if (!ga && !gb)
			return 0;
		if (!ga || !gb)
			at = ga ? ra.start : rb.start;
		else if (ra.start != rb.start)
			at = ra.start < rb.start ? ra.start : rb.start;
		else if (!mw_region_same_attrs(&ra, &rb))
			at = ra.start;
		else if (ra.end != rb.end)
			at = ra.end < rb.end ? ra.end : rb.end;
		else
			continue;
		if (diff_at)
			*diff_at = at;
		return 1;
	}
}
