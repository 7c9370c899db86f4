/* test_regions.c - unit tests for the per-process region map (src/regions.c), checked against the kernel. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "regions.h"
#include "regions_dump.h"
#include "t.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG ((uint64_t)MW_PAGE_SIZE)
#define R_ PROT_READ
#define W_ PROT_WRITE
#define X_ PROT_EXEC
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static char dbuf[1 << 16];

static const char *dump(const struct mw_regions *t, uint32_t pid, unsigned attrs)
{
	mw_regions_format(t, pid, attrs, dbuf, sizeof dbuf);
	return dbuf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sorted, disjoint, page-aligned, attributes in range, equal neighbours merged. */
static int invariants_ok(const struct mw_regions *t, uint32_t pid)
{
	size_t n;
	const struct mw_region *r = mw_regions_list(t, pid, &n);

	for (size_t i = 0; i < n; i++) {
		if (r[i].start >= r[i].end || (r[i].start % PG) || (r[i].end % PG) || r[i].prot > 7 ||
		    r[i].was_writable > 1 || r[i].file_backed > 1 || r[i].growsdown > 1 ||
		    r[i].history_unknown > 1)
			return 0;
		if ((r[i].prot & W_) && !r[i].was_writable)
			return 0;
		if (i && r[i - 1].end > r[i].start)
			return 0;
		if (i && r[i - 1].end == r[i].start && r[i - 1].prot == r[i].prot &&
		    r[i - 1].was_writable == r[i].was_writable &&
		    r[i - 1].file_backed == r[i].file_backed && r[i - 1].growsdown == r[i].growsdown &&
		    r[i - 1].history_unknown == r[i].history_unknown)
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- hand cases */

TEST(regions_mmap_basic)
{
	struct mw_regions *t = mw_regions_new();

	CHECK(t != NULL);
	CHECK_INT(mw_regions_state(t, 1), MW_PROC_ABSENT);
	CHECK_STR(dump(t, 1, 0), "");
	CHECK_INT(mw_regions_mmap(t, 1, 0x10000, 1, R_ | W_, ANON), 0);
	CHECK_STR(dump(t, 1, 0), "10000-11000:rw-");
	CHECK_INT(mw_regions_state(t, 1), MW_PROC_PARTIAL);
	CHECK_INT(mw_regions_nprocs(t), 1);
	/* adjacent, equal: merged */
	CHECK_INT(mw_regions_mmap(t, 1, 0x11000, 0x1001, R_ | W_, ANON), 0);
	CHECK_STR(dump(t, 1, 0), "10000-13000:rw-");
	/* file-backed read-only neighbour */
	CHECK_INT(mw_regions_mmap(t, 1, 0x13000, 0x1000, R_, MAP_PRIVATE), 0);
	CHECK_STR(dump(t, 1, 0), "10000-13000:rw- 13000-14000:r--");
	CHECK_STR(dump(t, 1, MW_ATTR_ALL), "10000-13000:rw-W 13000-14000:r--F");
	/* other pid untouched */
	CHECK_INT(mw_regions_mmap(t, 2, 0x10000, 0x1000, X_, ANON | MAP_GROWSDOWN), 0);
	CHECK_STR(dump(t, 2, MW_ATTR_ALL), "10000-11000:--xG");
	CHECK_STR(dump(t, 1, 0), "10000-13000:rw- 13000-14000:r--");

	const struct mw_region *r = mw_regions_find(t, 1, 0x12fff);
	CHECK(r && r->start == 0x10000 && r->end == 0x13000 && r->was_writable);
	CHECK(mw_regions_find(t, 1, 0x14000) == NULL);
	CHECK(mw_regions_find(t, 1, 0xffff) == NULL);
	CHECK(mw_regions_find(t, 3, 0x10000) == NULL);
	size_t n = 99;
	CHECK(mw_regions_list(t, 3, &n) == NULL && n == 0);
	CHECK(mw_regions_list(t, 1, &n) != NULL && n == 2);

	/* bad arguments change nothing */
	errno = 0;
	CHECK_INT(mw_regions_mmap(t, 1, 0x10001, 0x1000, R_, ANON), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(mw_regions_mmap(t, 1, 0x20000, 0, R_, ANON), -1);
	CHECK_INT(mw_regions_mmap(t, 1, 0xfffffffffffff000ull, 0x1000, R_, ANON), -1);
	CHECK_INT(mw_regions_mmap(t, 1, 0x20000, UINT64_MAX, R_, ANON), -1);
	CHECK_STR(dump(t, 1, 0), "10000-13000:rw- 13000-14000:r--");
	/* the highest page that can be described */
	CHECK_INT(mw_regions_mmap(t, 9, 0xffffffffffffe000ull, 0x1000, R_, ANON), 0);
	CHECK_STR(dump(t, 9, 0), "ffffffffffffe000-fffffffffffff000:r--");

	/* huge pages: length rounded to the huge page size */
	CHECK_INT(mw_regions_mmap(t, 4, 0x40000000, 4096, R_ | W_, ANON | MAP_HUGETLB), 0);
	CHECK_STR(dump(t, 4, 0), "40000000-40200000:rw-");
	CHECK_INT(mw_regions_mmap(t, 5, 0x40000000, 4096, R_, ANON | MAP_HUGETLB | (30u << 26)), 0);
	CHECK_STR(dump(t, 5, 0), "40000000-80000000:r--");
	mw_regions_free(t);
	mw_regions_free(NULL);
}

TEST(regions_mprotect_split)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	mw_regions_mmap(t, 1, 0x10000, 0x5000, R_ | W_, ANON);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x12000, 0x1000, R_, &c), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_STICKY), "10000-12000:rw-W 12000-13000:r--W 13000-15000:rw-W");
	CHECK_INT(c.start, 0x12000);
	CHECK_INT(c.end, 0x13000);
	CHECK_INT(c.old_prot_or, R_ | W_);
	CHECK_INT(c.old_prot_and, R_ | W_);
	CHECK_INT(c.was_writable, 1);
	CHECK_INT(c.known_bytes, 0x1000);
	CHECK_INT(c.gap_bytes, 0);
	CHECK_INT(c.exec_added, 0);
	CHECK_INT(c.x_after_w, 0);
	CHECK_INT(c.history_unknown, 0);

	/* rounding of len; exec added to memory that was writable */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x12000, 1, R_ | X_, &c), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_STICKY), "10000-12000:rw-W 12000-13000:r-xW 13000-15000:rw-W");
	CHECK_INT(c.old_prot_or, R_);
	CHECK_INT(c.exec_added, 1);
	CHECK_INT(c.x_after_w, 1);
	CHECK_INT(c.xw_start, 0x12000);
	CHECK_INT(c.xw_end, 0x13000);

	/* range covering the three: old prots OR/AND */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x11000, 0x3000, R_, &c), 0);
	CHECK_STR(dump(t, 1, 0), "10000-11000:rw- 11000-14000:r-- 14000-15000:rw-");
	CHECK_INT(c.old_prot_or, R_ | W_ | X_);
	CHECK_INT(c.old_prot_and, R_);
	CHECK_INT(c.known_bytes, 0x3000);

	/* back to one region */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x10000, 0x5000, R_ | W_ | 0x8 /* PROT_SEM */, &c), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_ALL), "10000-15000:rw-W");

	/* len 0: nothing changes, out still filled */
	memset(&c, 0x55, sizeof c);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x10000, 0, X_, &c), 0);
	CHECK_INT(c.start, 0x10000);
	CHECK_INT(c.end, 0x10000);
	CHECK_INT(c.known_bytes, 0);
	CHECK_INT(c.x_after_w, 0);
	CHECK_STR(dump(t, 1, 0), "10000-15000:rw-");
	errno = 0;
	CHECK_INT(mw_regions_mprotect(t, 1, 0x10800, 0x1000, X_, NULL), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x10000, 0x1000, X_, NULL), 0);  /* out may be NULL */
	CHECK_STR(dump(t, 1, 0), "10000-11000:--x 11000-15000:rw-");
	CHECK(invariants_ok(t, 1));
	mw_regions_free(t);
}

TEST(regions_x_after_w)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	/* never writable: exec added but no x_after_w */
	mw_regions_mmap(t, 1, 0x20000, 0x3000, R_, ANON);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x20000, 0x3000, R_ | X_, &c), 0);
	CHECK_INT(c.exec_added, 1);
	CHECK_INT(c.x_after_w, 0);
	CHECK_INT(c.was_writable, 0);

	/* writable earlier (sticky) */
	mw_regions_mmap(t, 1, 0x30000, 0x1000, R_ | W_, ANON);
	mw_regions_mprotect(t, 1, 0x30000, 0x1000, R_, &c);
	CHECK_INT(c.x_after_w, 0);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x30000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	CHECK_INT(c.was_writable, 1);

	/* writable now */
	mw_regions_mmap(t, 1, 0x38000, 0x1000, W_, ANON);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x38000, 0x1000, W_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);

	/* made W+X by one call from read-only: not x_after_w (a W+X alert instead) */
	mw_regions_mmap(t, 1, 0x40000, 0x1000, R_, ANON);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x40000, 0x1000, R_ | W_ | X_, &c), 0);
	CHECK_INT(c.exec_added, 1);
	CHECK_INT(c.x_after_w, 0);
	/* ... but it is sticky now; dropping W keeps X: not newly added */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x40000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.exec_added, 0);
	CHECK_INT(c.x_after_w, 0);
	mw_regions_mprotect(t, 1, 0x40000, 0x1000, R_, &c);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x40000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);

	/* a range over a never-written part, a gap and a once-written part */
	mw_regions_mprotect(t, 1, 0x20000, 0x3000, R_, NULL);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x20000, 0x11000, R_, &c), 0);
	CHECK_INT(c.known_bytes, 0x4000);
	CHECK_INT(c.gap_bytes, 0xd000);
	CHECK_INT(c.history_unknown, 1);
	CHECK_STR(dump(t, 1, MW_ATTR_STICKY | MW_ATTR_UNKNOWN),
		  "20000-23000:r-- 23000-30000:r--U 30000-31000:r--W 38000-39000:-wxW 40000-41000:r-xW");
	CHECK_INT(mw_regions_mprotect(t, 1, 0x20000, 0x11000, R_ | X_, &c), 0);
	CHECK_INT(c.gap_bytes, 0);
	CHECK_INT(c.known_bytes, 0x11000);
	CHECK_INT(c.history_unknown, 1);
	CHECK_INT(c.x_after_w, 1);
	CHECK_INT(c.xw_start, 0x30000);
	CHECK_INT(c.xw_end, 0x31000);
	CHECK_INT(c.old_prot_or, R_);
	CHECK_INT(c.old_prot_and, R_);
	/* hull spanning two writable parts with a non-writable one between */
	mw_regions_mprotect(t, 1, 0x20000, 0x11000, R_, NULL);
	mw_regions_mprotect(t, 1, 0x21000, 0x1000, R_ | W_, NULL);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x20000, 0x11000, R_ | X_, &c), 0);
	CHECK_INT(c.xw_start, 0x21000);
	CHECK_INT(c.xw_end, 0x31000);
	mw_regions_free(t);
}

TEST(regions_mprotect_enomem)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	mw_regions_mmap(t, 1, 0x10000, 0x2000, R_ | W_, ANON);
	mw_regions_mmap(t, 1, 0x12000, 0x1000, R_, MAP_PRIVATE);
	mw_regions_mmap(t, 1, 0x14000, 0x1000, R_ | W_, ANON);
	/* the kernel changed [0x11000, 0x13000) then failed at the hole */
	CHECK_INT(mw_regions_mprotect_enomem(t, 1, 0x11000, 0x4000, R_ | X_, &c), 0);
	CHECK_STR(dump(t, 1, 0), "10000-11000:rw- 11000-12000:r-x 12000-13000:r-x 14000-15000:rw-");
	CHECK_INT(c.start, 0x11000);
	CHECK_INT(c.end, 0x13000);
	CHECK_INT(c.x_after_w, 1);
	CHECK_INT(c.xw_start, 0x11000);
	CHECK_INT(c.xw_end, 0x12000);
	CHECK_INT(c.gap_bytes, 0);
	/* start unmapped: nothing */
	CHECK_INT(mw_regions_mprotect_enomem(t, 1, 0x13000, 0x2000, R_ | X_, &c), 0);
	CHECK_INT(c.start, c.end);
	CHECK_INT(c.known_bytes, 0);
	CHECK_STR(dump(t, 1, 0), "10000-11000:rw- 11000-12000:r-x 12000-13000:r-x 14000-15000:rw-");
	/* no hole: like mprotect */
	CHECK_INT(mw_regions_mprotect_enomem(t, 1, 0x14000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	mw_regions_free(t);
}

TEST(regions_munmap_partial)
{
	struct mw_regions *t = mw_regions_new();

	mw_regions_mmap(t, 1, 0x10000, 0x10000, R_ | W_, ANON);
	mw_regions_mprotect(t, 1, 0x14000, 0x4000, R_, NULL);
	mw_regions_mprotect(t, 1, 0x18000, 0x4000, R_ | X_, NULL);
	CHECK_STR(dump(t, 1, 0), "10000-14000:rw- 14000-18000:r-- 18000-1c000:r-x 1c000-20000:rw-");
	/* cuts the tail of one, all of the next, the head of the third */
	CHECK_INT(mw_regions_munmap(t, 1, 0x12000, 0x8000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-12000:rw- 1a000-1c000:r-x 1c000-20000:rw-");
	/* a hole in the middle of one */
	CHECK_INT(mw_regions_munmap(t, 1, 0x1d000, 0xfff), 0);
	CHECK_STR(dump(t, 1, 0), "10000-12000:rw- 1a000-1c000:r-x 1c000-1d000:rw- 1e000-20000:rw-");
	/* exactly one region */
	CHECK_INT(mw_regions_munmap(t, 1, 0x1a000, 0x2000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-12000:rw- 1c000-1d000:rw- 1e000-20000:rw-");
	/* nothing there */
	CHECK_INT(mw_regions_munmap(t, 1, 0x50000, 0x1000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-12000:rw- 1c000-1d000:rw- 1e000-20000:rw-");
	/* bad arguments */
	errno = 0;
	CHECK_INT(mw_regions_munmap(t, 1, 0x10000, 0), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(mw_regions_munmap(t, 1, 0x10100, 0x1000), -1);
	/* everything */
	CHECK_INT(mw_regions_munmap(t, 1, 0, 0x100000), 0);
	CHECK_STR(dump(t, 1, 0), "");
	CHECK_INT(mw_regions_state(t, 1), MW_PROC_PARTIAL);
	mw_regions_free(t);
}

TEST(regions_map_fixed_replaces)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	mw_regions_mmap(t, 1, 0x10000, 0x4000, R_ | W_, ANON);
	mw_regions_mmap(t, 1, 0x14000, 0x4000, R_, MAP_PRIVATE);
	mw_regions_mmap(t, 1, 0x18000, 0x4000, R_ | W_, ANON);
	CHECK_INT(mw_regions_mmap(t, 1, 0x12000, 0x8000, R_, MAP_PRIVATE | MAP_FIXED), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_STICKY | MW_ATTR_FILE),
		  "10000-12000:rw-W 12000-1a000:r--F 1a000-1c000:rw-W");
	/* the new mapping is fresh memory: the old sticky bit is gone */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x12000, 0x2000, R_ | X_, &c), 0);
	CHECK_INT(c.exec_added, 1);
	CHECK_INT(c.x_after_w, 0);
	/* covering everything exactly */
	CHECK_INT(mw_regions_mmap(t, 1, 0x10000, 0xc000, 0, ANON | MAP_FIXED), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_ALL), "10000-1c000:---");
	/* inside one region */
	CHECK_INT(mw_regions_mmap(t, 1, 0x11000, 0x1000, R_ | W_ | X_, ANON | MAP_FIXED), 0);
	CHECK_STR(dump(t, 1, 0), "10000-11000:--- 11000-12000:rwx 12000-1c000:---");
	CHECK(invariants_ok(t, 1));
	mw_regions_free(t);
}

TEST(regions_mremap_in_place)
{
	struct mw_regions *t = mw_regions_new();

	mw_regions_mmap(t, 1, 0x10000, 0x4000, R_ | W_, ANON);
	mw_regions_mmap(t, 1, 0x20000, 0x1000, R_, ANON);
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x4000, 0x2000, 0, 0x10000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-12000:rw- 20000-21000:r--");
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x2000, 0x5000, 0, 0x10000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-15000:rw- 20000-21000:r--");
	/* growth takes the attributes of the last old page */
	mw_regions_mprotect(t, 1, 0x14000, 0x1000, R_, NULL);
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x5000, 0x7000, MREMAP_MAYMOVE, 0x10000), 0);
	CHECK_STR(dump(t, 1, MW_ATTR_STICKY), "10000-14000:rw-W 14000-17000:r--W 20000-21000:r--");
	/* sizes rounded: 0x6001 and 0x7000 are the same pages */
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x6001, 0x7000, 0, 0x10000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-14000:rw- 14000-17000:r-- 20000-21000:r--");
	/* shrink a part of a region */
	CHECK_INT(mw_regions_mremap(t, 1, 0x14000, 0x3000, 0x1000, 0, 0x14000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-14000:rw- 14000-15000:r-- 20000-21000:r--");
	/* grow into what the model thought mapped: replaced */
	CHECK_INT(mw_regions_mremap(t, 1, 0x14000, 0x1000, 0xd000, 0, 0x14000), 0);
	CHECK_STR(dump(t, 1, 0), "10000-14000:rw- 14000-21000:r--");
	errno = 0;
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x1000, 0, 0, 0x10000), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(mw_regions_mremap(t, 1, 0x10010, 0x1000, 0x1000, 0, 0x10010), -1);
	CHECK(invariants_ok(t, 1));
	mw_regions_free(t);
}

TEST(regions_mremap_move)
{
	struct mw_regions *t = mw_regions_new();
	const unsigned ST = MW_ATTR_STICKY;

	mw_regions_mmap(t, 1, 0x10000, 0x3000, R_ | W_, ANON);
	mw_regions_mprotect(t, 1, 0x11000, 0x1000, R_ | X_, NULL);
	mw_regions_mmap(t, 1, 0x80000, 0x1000, R_, ANON);
	/* pure move over something: replaced; sticky bits travel */
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x3000, 0x3000, MREMAP_MAYMOVE | MREMAP_FIXED,
				    0x7f000), 0);
	CHECK_STR(dump(t, 1, ST), "7f000-80000:rw-W 80000-81000:r-xW 81000-82000:rw-W");
	/* move + grow (kernel-chosen address) */
	CHECK_INT(mw_regions_mremap(t, 1, 0x7f000, 0x3000, 0x5000, MREMAP_MAYMOVE, 0x200000), 0);
	CHECK_STR(dump(t, 1, 0), "200000-201000:rw- 201000-202000:r-x 202000-205000:rw-");
	/* move + shrink: the tail is dropped */
	CHECK_INT(mw_regions_mremap(t, 1, 0x200000, 0x5000, 0x1800, MREMAP_MAYMOVE | MREMAP_FIXED,
				    0x300000), 0);
	CHECK_STR(dump(t, 1, 0), "300000-301000:rw- 301000-302000:r-x");
	/* DONTUNMAP: the old range stays */
	CHECK_INT(mw_regions_mremap(t, 1, 0x300000, 0x2000, 0x2000, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
				    0x400000), 0);
	CHECK_STR(dump(t, 1, ST),
		  "300000-301000:rw-W 301000-302000:r-xW 400000-401000:rw-W 401000-402000:r-xW");
	/* the moved copy keeps its history: exec on the once-writable page */
	struct mw_prot_change c;
	mw_regions_mprotect(t, 1, 0x400000, 0x1000, R_, NULL);
	CHECK_INT(mw_regions_mprotect(t, 1, 0x400000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	mw_regions_munmap(t, 1, 0x300000, 0x200000);

	/* old_size == 0 duplicates a shared mapping */
	mw_regions_mmap(t, 1, 0x500000, 0x2000, R_ | W_, MAP_SHARED | MAP_ANONYMOUS);
	CHECK_INT(mw_regions_mremap(t, 1, 0x501000, 0, 0x3000, MREMAP_MAYMOVE, 0x600000), 0);
	CHECK_STR(dump(t, 1, 0), "500000-502000:rw- 600000-603000:rw-");

	/* a pure move over a hole of the old range leaves the destination's
	 * matching part alone (Linux >= 6.17 moves several mappings at once) */
	mw_regions_munmap(t, 1, 0, 0x1000000);
	mw_regions_mmap(t, 1, 0x10000, 0x1000, R_, ANON);
	mw_regions_mmap(t, 1, 0x12000, 0x1000, R_ | W_, ANON);
	mw_regions_mmap(t, 1, 0x20000, 0x3000, X_, ANON);
	CHECK_INT(mw_regions_mremap(t, 1, 0x10000, 0x3000, 0x3000, MREMAP_MAYMOVE | MREMAP_FIXED,
				    0x20000), 0);
	CHECK_STR(dump(t, 1, 0), "20000-21000:r-- 21000-22000:--x 22000-23000:rw-");
	/* not a pure move (kernel-chosen address): the whole destination is replaced */
	mw_regions_munmap(t, 1, 0x21000, 0x1000);
	mw_regions_mmap(t, 1, 0x40000, 0x3000, X_, ANON);
	CHECK_INT(mw_regions_mremap(t, 1, 0x20000, 0x3000, 0x3000, MREMAP_MAYMOVE, 0x40000), 0);
	CHECK_STR(dump(t, 1, 0), "40000-41000:r-- 42000-43000:rw-");

	/* the model never saw the old range: nothing appears, stale data goes */
	mw_regions_mmap(t, 1, 0x710000, 0x1000, R_, ANON);
	CHECK_INT(mw_regions_mremap(t, 1, 0x700000, 0x1000, 0x1000, MREMAP_MAYMOVE, 0x710000), 0);
	CHECK(mw_regions_find(t, 1, 0x710000) == NULL);
	CHECK(invariants_ok(t, 1));
	mw_regions_free(t);
}

TEST(regions_fork_exec_exit)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	mw_regions_mmap(t, 100, 0x10000, 0x2000, R_ | W_, ANON);
	mw_regions_mprotect(t, 100, 0x10000, 0x2000, R_, NULL);
	mw_regions_mmap(t, 100, 0x20000, 0x1000, R_, MAP_PRIVATE);
	CHECK_INT(mw_regions_fork(t, 100, 200), 0);
	CHECK_INT(mw_regions_nprocs(t), 2);
	CHECK_INT(mw_regions_state(t, 200), MW_PROC_PARTIAL);
	CHECK_STR(dump(t, 200, MW_ATTR_ALL), "10000-12000:r--W 20000-21000:r--F");
	CHECK_INT(mw_regions_compare(t, 100, t, 200, 0, UINT64_MAX, MW_ATTR_ALL, NULL), 0);

	/* exec permission in the child only: x_after_w there, parent untouched */
	CHECK_INT(mw_regions_mprotect(t, 200, 0x11000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	CHECK_STR(dump(t, 200, 0), "10000-11000:r-- 11000-12000:r-x 20000-21000:r--");
	CHECK_STR(dump(t, 100, 0), "10000-12000:r-- 20000-21000:r--");
	mw_regions_munmap(t, 200, 0x20000, 0x1000);
	CHECK_STR(dump(t, 100, 0), "10000-12000:r-- 20000-21000:r--");
	/* and the parent's own history is its own */
	CHECK_INT(mw_regions_mprotect(t, 100, 0x10000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	CHECK_STR(dump(t, 200, 0), "10000-11000:r-- 11000-12000:r-x");

	/* a second fork onto a stale child replaces it */
	CHECK_INT(mw_regions_fork(t, 100, 200), 0);
	CHECK_STR(dump(t, 200, 0), "10000-11000:r-x 11000-12000:r-- 20000-21000:r--");
	CHECK_INT(mw_regions_fork(t, 100, 100), 0);
	CHECK_INT(mw_regions_nprocs(t), 2);

	/* unknown parent: empty partial child */
	CHECK_INT(mw_regions_fork(t, 999, 300), 0);
	CHECK_INT(mw_regions_state(t, 300), MW_PROC_PARTIAL);
	CHECK_STR(dump(t, 300, 0), "");
	CHECK_INT(mw_regions_state(t, 999), MW_PROC_ABSENT);

	/* exec resets, exit drops */
	CHECK_INT(mw_regions_exec(t, 200), 0);
	CHECK_STR(dump(t, 200, 0), "");
	CHECK_INT(mw_regions_state(t, 200), MW_PROC_PARTIAL);
	CHECK_INT(mw_regions_mmap(t, 200, 0x30000, 0x1000, R_, ANON), 0);
	CHECK_STR(dump(t, 200, 0), "30000-31000:r--");
	mw_regions_exit(t, 200);
	CHECK_INT(mw_regions_state(t, 200), MW_PROC_ABSENT);
	CHECK_STR(dump(t, 200, 0), "");
	mw_regions_exit(t, 12345);
	CHECK_INT(mw_regions_nprocs(t), 2);
	CHECK_STR(dump(t, 100, 0), "10000-11000:r-x 11000-12000:r-- 20000-21000:r--");
	/* exec of an unknown pid creates it */
	CHECK_INT(mw_regions_exec(t, 400), 0);
	CHECK_INT(mw_regions_state(t, 400), MW_PROC_PARTIAL);

	/* a seeded parent gives a complete child */
	const char *maps = "10000-11000 rw-p 00000000 00:00 0\n";
	CHECK_INT(mw_regions_seed_maps(t, 500, maps, strlen(maps), NULL), 1);
	CHECK_INT(mw_regions_fork(t, 500, 501), 0);
	CHECK_INT(mw_regions_state(t, 501), MW_PROC_COMPLETE);
	CHECK_INT(mw_regions_exec(t, 501), 0);
	CHECK_INT(mw_regions_state(t, 501), MW_PROC_PARTIAL);
	mw_regions_free(t);
}

TEST(regions_growsdown)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;

	mw_regions_mmap(t, 1, 0xf000, 0x1000, R_ | W_, ANON);
	mw_regions_mmap(t, 1, 0x10000, 0x4000, R_ | W_, ANON | MAP_GROWSDOWN);
	CHECK_STR(dump(t, 1, MW_ATTR_GROWSDOWN), "f000-10000:rw- 10000-14000:rw-G");
	CHECK_INT(mw_regions_mprotect(t, 1, 0x12000, 0x1000, R_ | W_ | X_ | PROT_GROWSDOWN, &c), 0);
	CHECK_INT(c.start, 0x10000);
	CHECK_INT(c.end, 0x13000);
	CHECK_INT(c.known_bytes, 0x3000);
	CHECK_STR(dump(t, 1, MW_ATTR_GROWSDOWN), "f000-10000:rw- 10000-13000:rwxG 13000-14000:rw-G");
	/* without the flag, or on a normal mapping, the range is as given */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x12000, 0x1000, R_, &c), 0);
	CHECK_INT(c.start, 0x12000);
	CHECK_INT(mw_regions_mprotect(t, 1, 0xf000, 0x1000, R_ | PROT_GROWSDOWN, &c), 0);
	CHECK_INT(c.start, 0xf000);
	/* the walk stops where the prot differs (a separate mapping in the kernel) */
	CHECK_INT(mw_regions_mprotect(t, 1, 0x13000, 0x1000, R_ | PROT_GROWSDOWN, &c), 0);
	CHECK_INT(c.start, 0x13000);
	CHECK_STR(dump(t, 1, MW_ATTR_GROWSDOWN), "f000-10000:r-- 10000-12000:rwxG 12000-14000:r--G");
	mw_regions_free(t);
}

static const char seed_text[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234                       /usr/bin/cat\n"
	"55d0c0a02000-55d0c0a06000 r-xp 00002000 08:01 1234                       /usr/bin/cat\n"
	"55d0c0a0a000-55d0c0a0b000 rw-p 00009000 08:01 1234                       /usr/bin/cat\n"
	"55d0c1e00000-55d0c1e21000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1e2c000000-7f1e2c021000 rw-s 00000000 00:05 4242                       /dev/zero (deleted)\n"
	"7f1e2c100000-7f1e2c101000 ---p 00000000 00:00 0 \n"
	"7f1e2c101000-7f1e2c102000 rwxp 00000000 00:00 0\r\n"
	"\n"
	"garbage line\n"
	"10000-10800 r--p 00000000 00:00 0\n"
	"20000-10000 r--p 00000000 00:00 0\n"
	"30000-31000 r?-p 00000000 00:00 0\n"
	"40000-41000 r--p 00000000 00:00 0x\n"
	"50000-51000 r--p 00000000 00:00\n"
	"7ffd4d8e0000-7ffd4d901000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd4d9f0000-7ffd4d9f4000 r--p 00000000 00:00 0                          [vvar]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

TEST(regions_seed_parse)
{
	struct mw_regions *t = mw_regions_new();
	struct mw_prot_change c;
	size_t bad = 99;

	mw_regions_mmap(t, 7, 0x1000, 0x1000, R_, ANON);  /* replaced by the seed */
	CHECK_INT(mw_regions_seed_maps(t, 7, seed_text, strlen(seed_text), &bad), 10);
	CHECK_INT(bad, 6);
	CHECK_INT(mw_regions_state(t, 7), MW_PROC_COMPLETE);
	CHECK_STR(dump(t, 7, MW_ATTR_ALL),
		  "55d0c0a00000-55d0c0a02000:r--FU 55d0c0a02000-55d0c0a06000:r-xFU "
		  "55d0c0a0a000-55d0c0a0b000:rw-WFU 55d0c1e00000-55d0c1e21000:rw-WU "
		  "7f1e2c000000-7f1e2c021000:rw-WFU 7f1e2c100000-7f1e2c101000:---U "
		  "7f1e2c101000-7f1e2c102000:rwxWU 7ffd4d8e0000-7ffd4d901000:rw-WGU "
		  "7ffd4d9f0000-7ffd4d9f4000:r--U ffffffffff600000-ffffffffff601000:--xU");
	/* seeded writable memory counts as was_writable */
	mw_regions_mprotect(t, 7, 0x55d0c1e00000, 0x1000, R_, NULL);
	CHECK_INT(mw_regions_mprotect(t, 7, 0x55d0c1e00000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 1);
	CHECK_INT(c.history_unknown, 1);
	/* seeded read-only memory: unknown history, no x_after_w */
	CHECK_INT(mw_regions_mprotect(t, 7, 0x7ffd4d9f0000, 0x1000, R_ | X_, &c), 0);
	CHECK_INT(c.x_after_w, 0);
	CHECK_INT(c.exec_added, 1);
	CHECK_INT(c.history_unknown, 1);
	/* the seeded stack grows down */
	CHECK_INT(mw_regions_mprotect(t, 7, 0x7ffd4d8f0000, 0x1000, R_ | W_ | X_ | PROT_GROWSDOWN, &c),
		  0);
	CHECK_INT(c.start, 0x7ffd4d8e0000);

	/* text length is honoured (no NUL needed); empty text: empty, complete */
	CHECK_INT(mw_regions_seed_maps(t, 8, seed_text, 30, &bad), 0);
	CHECK_INT(bad, 1);
	CHECK_INT(mw_regions_seed_maps(t, 8, seed_text, (size_t)(strchr(seed_text, '\n') - seed_text),
				       &bad), 1);
	CHECK_INT(bad, 0);
	CHECK_STR(dump(t, 8, 0), "55d0c0a00000-55d0c0a02000:r--");
	CHECK_INT(mw_regions_seed_maps(t, 8, "", 0, NULL), 0);
	CHECK_INT(mw_regions_state(t, 8), MW_PROC_COMPLETE);
	CHECK_STR(dump(t, 8, 0), "");
	/* overlapping or unsorted lines: later ones win, result stays sorted */
	const char *odd = "20000-30000 rw-p 0 00:00 0\n10000-11000 r--p 0 00:00 0\n"
			  "28000-29000 r-xp 0 00:00 0\n";
	CHECK_INT(mw_regions_seed_maps(t, 8, odd, strlen(odd), NULL), 3);
	CHECK_STR(dump(t, 8, 0), "10000-11000:r-- 20000-28000:rw- 28000-29000:r-x 29000-30000:rw-");
	CHECK(invariants_ok(t, 8));
	mw_regions_free(t);
}

/* mw_regions_seed_maps() with the contents of the file at path, or of
 * "/proc/<pid>/maps" when path is NULL (the engine reads the file itself:
 * alerts.c). -1 with the errno of the read, or ENOMEM. */
static int seed_file(struct mw_regions *t, uint32_t pid, const char *path, size_t *bad_lines)
{
	char name[64];

	if (!path) {
		snprintf(name, sizeof name, "/proc/%u/maps", (unsigned)pid);
		path = name;
	}
	size_t len;
	char *buf = mw_read_file(path, &len);
	if (!buf)
		return -1;
	int ret = mw_regions_seed_maps(t, pid, buf, len, bad_lines);
	int e = errno;
	free(buf);
	errno = e;
	return ret;
}

static int a_function(void)
{
	return 42;
}

TEST(regions_seed_self)
{
	struct mw_regions *t = mw_regions_new();
	size_t bad = 99;
	int local = a_function();
	uint32_t me = (uint32_t)getpid();

	int n = seed_file(t, me, NULL, &bad);
	CHECK(n > 3);
	CHECK_INT(bad, 0);
	CHECK_INT(mw_regions_state(t, me), MW_PROC_COMPLETE);
	const struct mw_region *r = mw_regions_find(t, me, (uint64_t)(uintptr_t)&local);
	CHECK(r && (r->prot & (R_ | W_)) == (R_ | W_) && r->was_writable);
	r = mw_regions_find(t, me, (uint64_t)(uintptr_t)a_function);
	CHECK(r && (r->prot & X_) && !(r->prot & W_) && r->file_backed);
	CHECK(invariants_ok(t, me));
	/* same through an explicit path */
	CHECK_INT(seed_file(t, 1, "/proc/self/maps", NULL) > 3, 1);
	errno = 0;
	CHECK_INT(seed_file(t, 2, "/nonexistent/maps", NULL), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(mw_regions_state(t, 2), MW_PROC_ABSENT);
	mw_regions_free(t);
}

TEST(regions_compare_format)
{
	struct mw_regions *a = mw_regions_new(), *b = mw_regions_new();
	uint64_t at = 0;

	mw_regions_mmap(a, 1, 0x10000, 0x2000, R_ | W_, ANON);
	mw_regions_mmap(a, 1, 0x12000, 0x1000, R_ | W_, MAP_PRIVATE);
	mw_regions_mmap(b, 2, 0x10000, 0x3000, R_ | W_, ANON);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0, UINT64_MAX, 0, &at), 0);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0, UINT64_MAX, MW_ATTR_FILE, &at), 1);
	CHECK_INT(at, 0x12000);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0x11000, 0x12000, MW_ATTR_FILE, &at), 0);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0x11000, 0x11000, MW_ATTR_ALL, &at), 0);
	mw_regions_munmap(b, 2, 0x11000, 0x1000);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0, UINT64_MAX, 0, &at), 1);
	CHECK_INT(at, 0x11000);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0x12000, 0x20000, 0, &at), 0);
	mw_regions_mprotect(b, 2, 0x12000, 0x1000, R_, NULL);
	CHECK_INT(mw_regions_compare(a, 1, b, 2, 0x12000, 0x20000, 0, &at), 1);
	CHECK_INT(at, 0x12000);
	/* one side longer */
	mw_regions_mmap(b, 3, 0x10000, 0x1000, R_, ANON);
	mw_regions_mmap(a, 3, 0x10000, 0x2000, R_, ANON);
	CHECK_INT(mw_regions_compare(a, 3, b, 3, 0, UINT64_MAX, 0, &at), 1);
	CHECK_INT(at, 0x11000);
	/* absent == empty */
	CHECK_INT(mw_regions_compare(a, 77, b, 78, 0, UINT64_MAX, MW_ATTR_ALL, &at), 0);
	mw_regions_exec(b, 78);
	CHECK_INT(mw_regions_compare(a, 77, b, 78, 0, UINT64_MAX, MW_ATTR_ALL, NULL), 0);
	CHECK_INT(mw_regions_compare(a, 1, b, 78, 0, UINT64_MAX, 0, &at), 1);
	CHECK_INT(at, 0x10000);

	/* format: snprintf-like */
	char small[12];
	size_t full = mw_regions_format(a, 1, MW_ATTR_ALL, small, sizeof small);
	CHECK_INT(full, strlen("10000-12000:rw-W 12000-13000:rw-WF"));
	CHECK_STR(small, "10000-12000");
	CHECK_INT(mw_regions_format(a, 1, 0, NULL, 0), strlen("10000-12000:rw- 12000-13000:rw-"));
	mw_regions_free(a);
	mw_regions_free(b);
}

TEST(regions_many_pids)
{
	struct mw_regions *t = mw_regions_new();
	const uint32_t N = 100000;
	int bad = 0;

	for (uint32_t i = 0; i < N; i++)
		if (mw_regions_mmap(t, i * 7919u, 0x10000 + (uint64_t)i * PG, PG, R_, ANON))
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(mw_regions_nprocs(t), N);
	for (uint32_t i = 0; i < N; i += 2)
		mw_regions_exit(t, i * 7919u);
	CHECK_INT(mw_regions_nprocs(t), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		const struct mw_region *r = mw_regions_find(t, i * 7919u, 0x10000 + (uint64_t)i * PG);
		if ((i % 2) ? !r : (r != NULL || mw_regions_state(t, i * 7919u) != MW_PROC_ABSENT))
			bad++;
	}
	CHECK_INT(bad, 0);
	for (uint32_t i = 1; i < N; i += 2)
		mw_regions_exit(t, i * 7919u);
	CHECK_INT(mw_regions_nprocs(t), 0);
	CHECK_INT(mw_regions_mmap(t, 0, 0x10000, PG, R_, ANON), 0);
	CHECK_INT(mw_regions_mmap(t, UINT32_MAX, 0x10000, PG, W_, ANON), 0);
	CHECK_STR(dump(t, 0, 0), "10000-11000:r--");
	CHECK_STR(dump(t, UINT32_MAX, 0), "10000-11000:-w-");
	mw_regions_free(t);
}

/* ------------------------------------------------- per-page shadow model */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

struct spage {
	uint8_t mapped, prot, ww, file, gd, unk;
};

struct shadow {
	uint64_t base;   /* address of page 0 */
	size_t np;
	struct spage *pg;
};

static void sh_mmap(struct shadow *s, size_t first, size_t n, int prot, int flags)
{
	for (size_t k = first; k < first + n; k++) {
		struct spage p = { 1, (uint8_t)(prot & 7), (prot & W_) != 0, !(flags & MAP_ANONYMOUS),
				   (flags & MAP_GROWSDOWN) != 0, 0 };
		s->pg[k] = p;
	}
}

static void sh_munmap(struct shadow *s, size_t first, size_t n)
{
	memset(s->pg + first, 0, n * sizeof *s->pg);
}

/* Expected mw_prot_change computed page by page. */
static void sh_mprotect(struct shadow *s, size_t first, size_t n, int prot, int enomem,
			struct mw_prot_change *c)
{
	size_t b = first, e = first + n;
	uint8_t np = (uint8_t)(prot & 7);

	memset(c, 0, sizeof *c);
	if (enomem) {
		size_t cur = first;
		while (cur < e && s->pg[cur].mapped)
			cur++;
		e = cur;
	}
	if (b < e && (prot & PROT_GROWSDOWN) && s->pg[b].mapped && s->pg[b].gd)
		while (b > 0 && s->pg[b - 1].mapped && s->pg[b - 1].gd &&
		       s->pg[b - 1].prot == s->pg[b].prot)
			b--;
	c->start = s->base + (b < e ? b : first) * PG;
	c->end = s->base + (b < e ? e : first) * PG;
	int any = 0;
	for (size_t k = b; k < e; k++) {
		struct spage *p = &s->pg[k];
		uint64_t a = s->base + k * PG;
		if (!p->mapped) {
			struct spage g = { 1, np, (np & W_) != 0, 0, 0, 1 };
			*p = g;
			c->gap_bytes += PG;
			c->history_unknown = 1;
			continue;
		}
		c->old_prot_or |= p->prot;
		c->old_prot_and = any ? (c->old_prot_and & p->prot) : p->prot;
		any = 1;
		c->known_bytes += PG;
		c->was_writable |= p->ww;
		c->history_unknown |= p->unk;
		if (!(p->prot & X_) && (np & X_)) {
			c->exec_added = 1;
			if (p->ww) {
				if (!c->x_after_w)
					c->xw_start = a;
				c->x_after_w = 1;
				c->xw_end = a + PG;
			}
		}
		p->prot = np;
		p->ww |= (np & W_) != 0;
	}
}

static void sh_mremap(struct shadow *s, size_t of, size_t os, size_t ns, int flags, size_t nf)
{
	struct spage *tmp = calloc(ns ? ns : 1, sizeof *tmp);
	int moved = nf != of;

	if (!tmp)
		abort();
	if (!os) {
		for (size_t k = 0; k < ns; k++)
			if (s->pg[of].mapped)
				tmp[k] = s->pg[of];
	} else {
		size_t copy = os < ns ? os : ns;
		for (size_t k = 0; k < copy; k++)
			tmp[k] = s->pg[of + k];
		for (size_t k = os; k < ns; k++)
			if (s->pg[of + os - 1].mapped)
				tmp[k] = s->pg[of + os - 1];
		if (moved && !(flags & MREMAP_DONTUNMAP))
			sh_munmap(s, of, os);
		else if (!moved && ns < os)
			sh_munmap(s, of + ns, os - ns);
	}
	int pure = moved && (flags & MREMAP_FIXED) && os == ns && os;
	for (size_t k = 0; k < ns; k++)
		if (!pure || tmp[k].mapped)
			s->pg[nf + k] = tmp[k];
	free(tmp);
}

/* Model of pid equals the shadow page by page (all attributes), nothing
 * outside the shadow's window, and the model's invariants hold. */
static int sh_same(const struct shadow *s, const struct mw_regions *t, uint32_t pid, uint64_t *bad_at)
{
	size_t n, k = 0;
	const struct mw_region *r = mw_regions_list(t, pid, &n);
	uint64_t hi = s->base + s->np * PG;

	*bad_at = 0;
	if (!invariants_ok(t, pid))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].start < s->base || r[i].end > hi) {
			*bad_at = r[i].start;
			return 0;
		}
		size_t from = (size_t)((r[i].start - s->base) / PG), to = (size_t)((r[i].end - s->base) / PG);
		for (; k < from; k++)
			if (s->pg[k].mapped) {
				*bad_at = s->base + k * PG;
				return 0;
			}
		for (; k < to; k++) {
			const struct spage *p = &s->pg[k];
			if (!p->mapped || p->prot != r[i].prot || p->ww != r[i].was_writable ||
			    p->file != r[i].file_backed || p->gd != r[i].growsdown ||
			    p->unk != r[i].history_unknown) {
				*bad_at = s->base + k * PG;
				return 0;
			}
		}
	}
	for (; k < s->np; k++)
		if (s->pg[k].mapped) {
			*bad_at = s->base + k * PG;
			return 0;
		}
	return 1;
}

static int same_change(const struct mw_prot_change *a, const struct mw_prot_change *b)
{
	return a->start == b->start && a->end == b->end && a->known_bytes == b->known_bytes &&
	       a->gap_bytes == b->gap_bytes && a->old_prot_or == b->old_prot_or &&
	       a->old_prot_and == b->old_prot_and && a->was_writable == b->was_writable &&
	       a->history_unknown == b->history_unknown && a->exec_added == b->exec_added &&
	       a->x_after_w == b->x_after_w && a->xw_start == b->xw_start && a->xw_end == b->xw_end;
}

/* A byte length covering n pages, sometimes not a page multiple. */
static uint64_t jitter_len(size_t n)
{
	if (!n)
		return 0;
	return (uint64_t)n * PG - (rnd_below(4) ? 0 : rnd_below((unsigned)PG));
}

static const int prots[] = { 0, R_, R_ | W_, R_ | X_, R_ | W_ | X_, W_, X_, W_ | X_ };

TEST(regions_random_model_vs_shadow)
{
	enum { NP = 256, OPS = 20000 };
	const uint32_t pid = 7;
	struct mw_regions *t = mw_regions_new();
	struct shadow s = { 0x10000000, NP, calloc(NP, sizeof(struct spage)) };
	int fails = 0, xw = 0;
	uint64_t at;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int op = 0; op < OPS && !fails; op++) {
		unsigned kind = rnd_below(100);
		size_t first = rnd_below(NP), n = 1 + rnd_below(24);
		if (first + n > NP)
			n = NP - first;
		uint64_t addr = s.base + first * PG;
		int prot = prots[rnd_below(8)];
		char what[160];

		if (kind < 25) {
			static const int fl[] = { ANON, MAP_PRIVATE, MAP_SHARED | MAP_ANONYMOUS,
						  ANON | MAP_GROWSDOWN };
			int flags = fl[rnd_below(4)] | MAP_FIXED;
			snprintf(what, sizeof what, "mmap %zu+%zu prot %d flags %#x", first, n, prot, flags);
			CHECK_INT(mw_regions_mmap(t, pid, addr, jitter_len(n), (uint64_t)prot, (uint64_t)flags), 0);
			sh_mmap(&s, first, n, prot, flags);
		} else if (kind < 50) {
			struct mw_prot_change got, want;
			int enomem = rnd_below(8) == 0;
			if (rnd_below(8) == 0)
				prot |= PROT_GROWSDOWN;
			snprintf(what, sizeof what, "mprotect%s %zu+%zu prot %#x", enomem ? "_enomem" : "",
				 first, n, prot);
			int rc = enomem ? mw_regions_mprotect_enomem(t, pid, addr, jitter_len(n), (uint64_t)prot, &got)
					: mw_regions_mprotect(t, pid, addr, jitter_len(n), (uint64_t)prot, &got);
			CHECK_INT(rc, 0);
			sh_mprotect(&s, first, n, prot, enomem, &want);
			if (!same_change(&got, &want)) {
				fprintf(stderr, "  op %d %s: change differs\n", op, what);
				fails++;
			}
			xw += got.x_after_w;
		} else if (kind < 65) {
			snprintf(what, sizeof what, "munmap %zu+%zu", first, n);
			CHECK_INT(mw_regions_munmap(t, pid, addr, jitter_len(n)), 0);
			sh_munmap(&s, first, n);
		} else if (kind < 97) {
			size_t os = 1 + rnd_below(16), ns = 1 + rnd_below(16), nf;
			int flags;
			unsigned v = rnd_below(6);
			if (v == 3 || v == 5)
				ns = os;
			if (v == 4)
				os = 0;
			size_t span = (os > ns ? os : ns);
			if (first + span > NP)
				first = NP - span;
			if (v == 0) {
				nf = first;
				flags = rnd_below(2) ? MREMAP_MAYMOVE : 0;
			} else {
				size_t olen = os ? os : 1;
				do
					nf = rnd_below((unsigned)(NP - ns + 1));
				while (nf < first + olen && first < nf + ns);
				flags = v == 5 ? MREMAP_MAYMOVE | MREMAP_DONTUNMAP
				      : v == 3 ? MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP
				      : v == 1 && rnd_below(2) ? MREMAP_MAYMOVE
				      : MREMAP_MAYMOVE | MREMAP_FIXED;
			}
			snprintf(what, sizeof what, "mremap %zu+%zu -> %zu+%zu flags %d", first, os, nf, ns, flags);
			CHECK_INT(mw_regions_mremap(t, pid, s.base + first * PG, jitter_len(os), jitter_len(ns),
						    (uint64_t)flags, s.base + nf * PG), 0);
			sh_mremap(&s, first, os, ns, flags, nf);
		} else if (kind < 99) {
			snprintf(what, sizeof what, "fork");
			CHECK_INT(mw_regions_fork(t, pid, pid + 1), 0);
			CHECK_INT(mw_regions_compare(t, pid, t, pid + 1, 0, UINT64_MAX, MW_ATTR_ALL, NULL), 0);
			mw_regions_exit(t, pid + 1);
		} else {
			snprintf(what, sizeof what, "exec");
			CHECK_INT(mw_regions_exec(t, pid), 0);
			sh_munmap(&s, 0, NP);
		}
		if (!sh_same(&s, t, pid, &at)) {
			fprintf(stderr, "  op %d %s: model differs from shadow at %#llx\n", op, what,
				(unsigned long long)at);
			fails++;
		}
	}
	CHECK_INT(fails, 0);
	CHECK(xw > 100);
	free(s.pg);
	mw_regions_free(t);
}

/* 100k random model operations on one process with thousands of regions. */
TEST(regions_perf)
{
	enum { NP = 1 << 13, OPS = 100000 };
	struct mw_regions *t = mw_regions_new();
	const uint64_t base = 0x7f0000000000ull;
	size_t n, maxn = 0;

	rng_state = 12345;
	double t0 = now_s();
	for (int op = 0; op < OPS; op++) {
		uint64_t a = base + (uint64_t)rnd_below(NP) * PG, len = (1 + rnd_below(8)) * PG;
		switch (rnd_below(4)) {
		case 0:
			mw_regions_mmap(t, 1, a, len, (uint64_t)prots[rnd_below(8)], ANON);
			break;
		case 1:
			mw_regions_mprotect(t, 1, a, len, (uint64_t)prots[rnd_below(8)], NULL);
			break;
		case 2:
			mw_regions_munmap(t, 1, a, len / 2 + 1);
			break;
		default:
			mw_regions_mremap(t, 1, a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
					  base + (uint64_t)rnd_below(NP) * PG + (uint64_t)NP * PG);
			break;
		}
		mw_regions_list(t, 1, &n);
		if (n > maxn)
			maxn = n;
	}
	double dt = now_s() - t0;
	mw_regions_list(t, 1, &n);
	printf("  regions_perf: %d model ops in %.3f s (%zu regions at the end, %zu at most)\n", OPS,
	       dt, n, maxn);
	CHECK(maxn > 5000);
	CHECK(invariants_ok(t, 1));
	CHECK(dt < 30.0);  /* a loose bound that still catches a quadratic blow-up under valgrind */
	mw_regions_free(t);
}

/* ------------------------------------------ random real syscalls vs model */

static long k_mmap(uint64_t a, uint64_t len, int prot, int flags)
{
	return syscall(SYS_mmap, a, len, prot, flags, -1, 0);
}

static uint64_t reserve_window(uint64_t len)
{
	static const uint64_t hints[] = { 0x3e0000000000ull, 0x200000000000ull, 0x40000000000ull,
					  0x7000000000ull, 0x1000000000ull };
	const int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		long r = k_mmap(hints[i], len, PROT_NONE, fl | MAP_FIXED_NOREPLACE);
		if (r != -1 && (uint64_t)r == hints[i])
			return hints[i];
		if (r != -1)
			syscall(SYS_munmap, (uint64_t)r, len);
	}
	long r = k_mmap(0, len, PROT_NONE, fl);
	return r == -1 ? 0 : (uint64_t)r;
}

/*
 * 100000 random mmap/mprotect/pkey_mprotect/munmap/mremap calls on a window
 * of this very process (guard pages around it are never touched, so nothing
 * can grow out of it), each successful one applied to the model and to the
 * shadow; every 1000 calls the model is compared with /proc/self/maps
 * (rwx bits, merged) and with the shadow (every attribute, page by page).
 */
TEST(regions_random_kernel)
{
	enum { G = 16, W = 512, TOT = W + 2 * G, OPS = 100000, EVERY = 1000 };
	const uint32_t pid = (uint32_t)getpid();
	const int AF = MAP_PRIVATE | MAP_ANONYMOUS;
	struct mw_regions *t = mw_regions_new(), *k = mw_regions_new();
	uint64_t base = reserve_window((uint64_t)TOT * PG);
	struct shadow s = { base, TOT, calloc(TOT, sizeof(struct spage)) };
	int fails = 0, ok[5] = { 0 }, tried[5] = { 0 }, xw = 0, enomem_partial = 0, checks = 0;
	size_t sum_regions = 0, sum_mapped = 0;
	uint64_t at;

	CHECK(base != 0);
	if (!base || !s.pg)
		return;
	mw_regions_mmap(t, pid, base, (uint64_t)TOT * PG, PROT_NONE, AF | MAP_NORESERVE);
	sh_mmap(&s, 0, TOT, PROT_NONE, AF);
	rng_state = 0x2545f4914f6cdd1dull;
	double t0 = now_s();
	for (int op = 0; op < OPS && !fails; op++) {
		unsigned kind = rnd_below(100);
		size_t first = G + rnd_below(W), n = 1 + rnd_below(12);
		if (first + n > G + W)
			n = G + W - first;
		uint64_t addr = base + first * PG, len = jitter_len(n);
		int prot = prots[rnd_below(8)];

		if (kind < 30) {  /* mmap */
			int flags = (rnd_below(8) ? AF : MAP_SHARED | MAP_ANONYMOUS) |
				    (rnd_below(16) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
			tried[0]++;
			long r = k_mmap(addr, len, prot, flags);
			if (r != -1 && (uint64_t)r != addr) {
				syscall(SYS_munmap, (uint64_t)r, len);  /* not placed in the window */
				goto check;
			}
			if (r != -1) {
				ok[0]++;
				CHECK_INT(mw_regions_mmap(t, pid, addr, len, (uint64_t)prot, (uint64_t)flags), 0);
				sh_mmap(&s, first, n, prot, flags);
			}
		} else if (kind < 65) {  /* mprotect / pkey_mprotect */
			int pk = rnd_below(8) == 0;
			struct mw_prot_change got, want;
			tried[1]++;
			long r = pk ? syscall(SYS_pkey_mprotect, addr, len, prot, -1)
				    : syscall(SYS_mprotect, addr, len, prot);
			if (r == 0) {
				ok[1]++;
				CHECK_INT(mw_regions_mprotect(t, pid, addr, len, (uint64_t)prot, &got), 0);
				sh_mprotect(&s, first, n, prot, 0, &want);
			} else if (errno == ENOMEM) {
				/* Linux changed the part before the first hole */
				CHECK_INT(mw_regions_mprotect_enomem(t, pid, addr, len, (uint64_t)prot, &got), 0);
				sh_mprotect(&s, first, n, prot, 1, &want);
				enomem_partial += got.start < got.end;
			} else {
				goto check;
			}
			if (!same_change(&got, &want)) {
				fprintf(stderr, "  op %d: mprotect change differs from shadow\n", op);
				fails++;
			}
			xw += got.x_after_w;
		} else if (kind < 75) {  /* munmap */
			tried[2]++;
			if (syscall(SYS_munmap, addr, len) == 0) {
				ok[2]++;
				CHECK_INT(mw_regions_munmap(t, pid, addr, len), 0);
				sh_munmap(&s, first, n);
			}
		} else {  /* mremap */
			size_t os = 1 + rnd_below(16), ns = 1 + rnd_below(16), nf;
			unsigned v = rnd_below(5);
			int flags;
			if (v == 2 || v == 3)
				ns = os;
			if (v == 4)
				os = 0;
			size_t span = os > ns ? os : ns;
			if (first + span > G + W)
				first = G + W - span;
			if (v == 0) {
				nf = first;
				flags = 0;  /* MREMAP_MAYMOVE could leave the window */
			} else {
				nf = G + rnd_below((unsigned)(W - ns + 1));
				flags = MREMAP_MAYMOVE | MREMAP_FIXED | (v == 3 ? MREMAP_DONTUNMAP : 0);
			}
			uint64_t oa = base + first * PG, na = base + nf * PG;
			uint64_t olen = jitter_len(os), nlen = jitter_len(ns);
			tried[3 + (v == 4)]++;
			long r = syscall(SYS_mremap, oa, olen, nlen, flags, na);
			if (r != -1 && (uint64_t)r != na) {
				fprintf(stderr, "  op %d: mremap went to %#lx, not %#llx\n", op, r,
					(unsigned long long)na);
				fails++;
				break;
			}
			if (r != -1) {
				ok[3 + (v == 4)]++;
				CHECK_INT(mw_regions_mremap(t, pid, oa, olen, nlen, (uint64_t)flags, na), 0);
				sh_mremap(&s, first, os, ns, flags, nf);
			}
		}
	check:
		if ((op + 1) % EVERY == 0 || op + 1 == OPS) {
			size_t bad = 0;
			checks++;
			if (seed_file(k, 1, "/proc/self/maps", &bad) < 0 || bad) {
				fprintf(stderr, "  op %d: reading /proc/self/maps failed\n", op);
				fails++;
			} else if (mw_regions_compare(t, pid, k, 1, base, base + (uint64_t)TOT * PG, 0, &at)) {
				fprintf(stderr, "  op %d: model differs from /proc/self/maps at page %lld\n", op,
					(long long)((at - base) / PG));
				mw_regions_compare(t, pid, k, 1, 0, UINT64_MAX, 0, &at);
				fprintf(stderr, "  model:  %s\n", dump(t, pid, 0));
				fails++;
			}
			if (!sh_same(&s, t, pid, &at)) {
				fprintf(stderr, "  op %d: model differs from shadow at page %lld\n", op,
					(long long)((at - base) / PG));
				fails++;
			}
			size_t nr;
			mw_regions_list(t, pid, &nr);
			sum_regions += nr;
			for (size_t p = 0; p < TOT; p++)
				sum_mapped += s.pg[p].mapped;
		}
	}
	double dt = now_s() - t0;
	size_t nreg;
	mw_regions_list(t, pid, &nreg);
	printf("  regions_random_kernel: %d syscalls in %.3f s, %d checkpoints (%.0f regions, %.0f%% "
	       "of the window mapped on average); ok/tried: mmap %d/%d mprotect %d/%d munmap %d/%d "
	       "mremap %d/%d mremap(old_size 0) %d/%d; enomem partial %d; x_after_w %d\n",
	       OPS, dt, checks, checks ? (double)sum_regions / checks : 0.0,
	       checks ? 100.0 * (double)sum_mapped / ((double)checks * TOT) : 0.0, ok[0], tried[0],
	       ok[1], tried[1], ok[2], tried[2], ok[3], tried[3], ok[4], tried[4], enomem_partial, xw);
	CHECK_INT(fails, 0);
	/* the comparison does see a difference when there is one */
	if (nreg) {
		const struct mw_region *r = mw_regions_list(t, pid, &nreg);
		uint64_t a = r[nreg / 2].start;
		mw_regions_mprotect(t, pid, a, PG, (r[nreg / 2].prot ^ R_) & 7, NULL);
		CHECK_INT(mw_regions_compare(t, pid, k, 1, base, base + (uint64_t)TOT * PG, 0, &at), 1);
		CHECK_INT(at, a);
	}
	CHECK(ok[0] > 1000 && ok[1] > 1000 && ok[2] > 1000 && ok[3] > 100);
	syscall(SYS_munmap, base, (uint64_t)TOT * PG);
	free(s.pg);
	mw_regions_free(t);
	mw_regions_free(k);
}

/* found by fuzz_maps: seeding a process from maps text began with pointer
 * arithmetic on a NULL buffer (UB that clang's sanitizer reports) */
TEST(regions_seed_maps_from_nothing)
{
	struct mw_regions *t = mw_regions_new();
	const char *text = "5600351ef000-5600351f1000 r--p 00000000 fe:00 24 /bin/cat\n";
	size_t bad = 0, n = 0;

	CHECK(t != NULL);
	CHECK_INT(mw_regions_seed_maps(t, 7, "", 0, &bad), 0);
	CHECK_INT(mw_regions_seed_maps(t, 8, "junk\n", 5, &bad), 0);
	CHECK_INT(bad, 1);
	CHECK_INT(mw_regions_seed_maps(t, 9, text, strlen(text), &bad), 1);
	mw_regions_list(t, 9, &n);
	CHECK_INT(n, 1);
	mw_regions_free(t);
}
