/* test_strbuf_num.c - the number writers of strbuf.h (cursor and appends) against printf. */
#include <stdio.h>
#include "t.h"
#include "strbuf.h"

/* The in-place number writers against printf, at every digit-count and
 * 32-bit boundary (10^k - 1, 10^k, 2^32 - 1, 2^32, ...) and the extremes. */
TEST(strbuf_cursor_numbers)
{
	unsigned long long vals[200];
	int n = 0;
	char want[64], got[64], *q;

	vals[n++] = 0;
	for (unsigned long long p = 1; n < 60; p *= 10) {
		vals[n++] = p - 1;
		vals[n++] = p;
		vals[n++] = p + 1;
		if (p > 1000000000000000000ull)
			break;
	}
	for (int k = 1; k < 64; k++) {
		vals[n++] = (1ull << k) - 1;
		vals[n++] = 1ull << k;
	}
	vals[n++] = 18446744073709551615ull;
	for (int i = 0; i < n; i++) {
		unsigned long long v = vals[i];

		snprintf(want, sizeof(want), "%llu", v);
		q = cur_u64(got, v);
		*q = 0;
		CHECK_STR(got, want);
		snprintf(want, sizeof(want), "%lld", (long long)v);
		q = cur_i64(got, (long long)v);
		*q = 0;
		CHECK_STR(got, want);
		snprintf(want, sizeof(want), "0x%llx", v);
		q = cur_hex(got, v);
		*q = 0;
		CHECK_STR(got, want);
		CHECK(q - got <= CUR_HEX_MAX);
		snprintf(want, sizeof(want), "%020llu", v);
		q = cur_dec_fixed(got, v, 20);
		*q = 0;
		CHECK_STR(got, want);
		if (v < 1000000000ull) {
			snprintf(want, sizeof(want), "%09llu", v);
			q = cur_dec_fixed(got, v, 9);
			*q = 0;
			CHECK_STR(got, want);
		}
		struct strbuf b = { 0 };
		snprintf(want, sizeof(want), "%*llu", 6, v);
		sb_put_u64_w(&b, v, 6);
		CHECK_STR(b.p, want);
		sb_free(&b);
	}
	/* a literal through the cursor, then committed */
	struct strbuf b = { 0 };
	q = sb_room(&b, 40);
	char *q0 = q;
	q = CUR_LIT(q, "{\"n\":");
	q = cur_u64(q, 4096);
	*q++ = '}';
	sb_commit(&b, (size_t)(q - q0));
	CHECK_STR(b.p, "{\"n\":4096}");
	CHECK_INT(b.len, 10);
	sb_free(&b);
}
