/* test_summary.c - summary reports: per-event rows, bytes by call kind, errno breakdown, interval differences, --top. */
#include <stdlib.h>
#include "t.h"
#include "summary.h"
#include "mapwatch.h"

static void put(struct mw_summary *s, uint32_t tgid, const char *comm, uint16_t ev, uint16_t err,
		uint64_t calls, uint64_t ns, uint64_t len1, uint64_t len2)
{
	struct mw_sum_key k = { .group = tgid, .event = ev, .err = err };
	struct mw_sum_val v = { .calls = calls, .time_ns = ns, .len1 = len1, .len2 = len2, .tgid = tgid };

	strncpy(k.comm, comm, sizeof(k.comm));
	CHECK(mw_summary_put(s, &k, &v) == 0);
}

TEST(summary_table_rows_bytes_errnos)
{
	struct mw_summary_opts o = { .by = MW_SUM_EVENT };
	struct mw_summary *s = mw_summary_new(&o);
	struct strbuf b = { 0 };

	mw_summary_begin(s);
	put(s, 0, "", MW_EV_MMAP, 0, 4, 4000, 4 * 8192, 0);
	put(s, 0, "", MW_EV_MMAP, 9, 2, 1000, 0, 0);
	put(s, 0, "", MW_EV_MMAP, 22, 1, 1000, 0, 0);
	put(s, 0, "", MW_EV_MREMAP, 0, 1, 2000, 4096, 16384);
	put(s, 0, "", MW_EV_MPROTECT, 0, 2, 2000, 8192, 5);
	mw_summary_report(s, &b, NULL, 0, 1.0, false, 0);
	CHECK(strstr(b.p, " 60.00    0.000006           0         7         3        32768                           mmap\n") != NULL);
	CHECK(strstr(b.p, " 20.00    0.000002           2         1                  16384         4096              mremap\n") != NULL);
	CHECK(strstr(b.p, "        8192 mprotect\n") != NULL);
	CHECK(strstr(b.p, "100.00    0.000010           1        10         3        49152         4096         8192 total\n") != NULL);
	CHECK(strstr(b.p, "errors: mmap: EBADF 2, EINVAL 1") != NULL);
	/* strace order: most time first */
	CHECK(strstr(b.p, " mmap\n") < strstr(b.p, " mremap\n"));
	sb_free(&b);
	mw_summary_free(s);
}

TEST(summary_interval_differences)
{
	struct mw_summary_opts o = { .by = MW_SUM_PROCESS, };
	struct mw_summary *s = mw_summary_new(&o);
	struct strbuf b = { 0 };

	mw_summary_begin(s);
	put(s, 10, "a", MW_EV_MUNMAP, 0, 3, 300, 3 * 4096, 0);
	mw_summary_report(s, NULL, &b, 5, 1.0, true, 0);
	CHECK(strstr(b.p, "\"hostProcessId\":10,\"processName\":\"a\",\"calls\":3,") != NULL);
	sb_reset(&b);
	/* the kernel's totals grow: the next report holds only the difference */
	mw_summary_begin(s);
	put(s, 10, "a", MW_EV_MUNMAP, 0, 5, 500, 5 * 4096, 0);
	put(s, 11, "b", MW_EV_MUNMAP, 22, 1, 100, 0, 0);
	mw_summary_report(s, NULL, &b, 6, 1.0, true, 2);
	CHECK(strstr(b.p, "\"hostProcessId\":10,\"processName\":\"a\",\"calls\":2,\"errors\":0,") != NULL);
	CHECK(strstr(b.p, "\"bytesUnmapped\":8192") != NULL);
	CHECK(strstr(b.p, "\"hostProcessId\":11,\"processName\":\"b\",\"calls\":1,\"errors\":1,") != NULL);
	CHECK(strstr(b.p, "\"errnos\":{\"EINVAL\":1}") != NULL);
	CHECK(strstr(b.p, "\"lost\":2,") != NULL);
	sb_reset(&b);
	/* nothing new: no groups */
	mw_summary_begin(s);
	put(s, 10, "a", MW_EV_MUNMAP, 0, 5, 500, 5 * 4096, 0);
	put(s, 11, "b", MW_EV_MUNMAP, 22, 1, 100, 0, 0);
	mw_summary_report(s, NULL, &b, 7, 1.0, true, 0);
	CHECK(strstr(b.p, "\"groups\":[]}") != NULL);
	sb_free(&b);
	mw_summary_free(s);
}

TEST(summary_top_groups)
{
	struct mw_summary_opts o = { .by = MW_SUM_COMM, .top = 1 };
	struct mw_summary *s = mw_summary_new(&o);
	struct strbuf b = { 0 };

	mw_summary_begin(s);
	put(s, 0, "small", MW_EV_MMAP, 0, 1, 10, 4096, 0);
	put(s, 0, "big", MW_EV_MMAP, 0, 7, 10, 4096, 0);
	put(s, 0, "big", MW_EV_MSYNC, 0, 1, 10, 4096, 0);
	mw_summary_report(s, &b, NULL, 0, 1.0, false, 0);
	CHECK(strstr(b.p, "comm big\n") == b.p);
	CHECK(strstr(b.p, "comm small") == NULL);
	CHECK(strstr(b.p, "(1 more groups not shown: --top 1)") != NULL);
	CHECK(mw_summary_by_value("container") == MW_SUM_CONTAINER);
	CHECK(mw_summary_by_value("thread") == -1);
	sb_free(&b);
	mw_summary_free(s);
}
