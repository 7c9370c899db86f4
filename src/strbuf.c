/* strbuf.c - growable output buffer with JSON and terminal-text escaping of untrusted bytes. */
#define MW_STRBUF_INLINE
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_MIN_CAP 64

/* Make room for `extra` more bytes plus the NUL. Returns 0 on success, -1
 * (with b->oom set) when the size overflows or the allocation fails. After
 * a successful call b->p is never NULL, so even an empty append leaves a
 * valid "" behind. */
static int sb_reserve(struct strbuf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (extra > SIZE_MAX - 1 - b->len) {
		b->oom = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (b->p && need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : SB_MIN_CAP;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	char *np = realloc(b->p, cap);
	if (!np) {
		b->oom = 1;
		return -1;
	}
	if (!b->p)
		np[0] = '\0';
	b->p = np;
	b->cap = cap;
	return 0;
}

char *sb_grow(struct strbuf *b, size_t n)
{
	return sb_reserve(b, n) ? NULL : b->p + b->len;
}

void sb_put_slow(struct strbuf *b, const char *s, size_t n)
{
	/* s may point into b's own storage, which a realloc would move. */
	uintptr_t base = (uintptr_t)b->p, at = (uintptr_t)s;
	int inside = b->p && at >= base && at - base < b->cap;
	size_t off = inside ? (size_t)(at - base) : 0;

	if (sb_reserve(b, n))
		return;
	if (inside)
		s = b->p + off;
	if (n)
		memmove(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

#undef sb_put
#undef sb_puts
#undef sb_putc
void sb_put(struct strbuf *b, const char *s, size_t n)
{
	sb_put_i(b, s, n);
}

void sb_puts(struct strbuf *b, const char *s)
{
	sb_put_i(b, s, strlen(s));
}

void sb_putc(struct strbuf *b, char c)
{
	sb_putc_i(b, c);
}
#define sb_put sb_put_i
#define sb_puts sb_puts_i
#define sb_putc sb_putc_i

/* "00" "01" ... "99": two digits per division. */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* v in decimal, right-aligned at end (at most 20 digits); returns the first digit. */
static char *u64_digits(char *end, unsigned long long v)
{
	char *q = end;
	unsigned w;

	while (v > 0xffffffffull) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, digits2 + 2 * r, 2);
	}
	/* the rest in 32-bit arithmetic (cheaper divisions) */
	for (w = (unsigned)v; w >= 100; w /= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (w % 100), 2);
	}
	if (w >= 10) {
		q -= 2;
		memcpy(q, digits2 + 2 * w, 2);
	} else {
		*--q = (char)('0' + w);
	}
	return q;
}

/* Decimal digits of v (1..20). */
static unsigned u64_len(unsigned long long v)
{
	unsigned n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

char *cur_u64(char *q, unsigned long long v)
{
	if (v < 10) {
		*q = (char)('0' + v);
		return q + 1;
	}
	if (v < 100) {
		memcpy(q, digits2 + 2 * v, 2);
		return q + 2;
	}
	q += u64_len(v);
	u64_digits(q, v);
	return q;
}

char *cur_dec_fixed(char *q, unsigned long long v, unsigned n)
{
	char *first = u64_digits(q + n, v);

	memset(q, '0', (size_t)(first - q));
	return q + n;
}

char *cur_i64(char *q, long long v)
{
	if (v < 0) {
		*q++ = '-';
		return cur_u64(q, 0ull - (unsigned long long)v);
	}
	return cur_u64(q, (unsigned long long)v);
}

static const char hexd[] = "0123456789abcdef";

char *cur_hex(char *q, unsigned long long v)
{
	unsigned n = v ? (unsigned)(64 - __builtin_clzll(v) + 3) / 4 : 1;

	q[0] = '0';
	q[1] = 'x';
	q += 2 + n;
	for (char *p = q; n--; v >>= 4)
		*--p = hexd[v & 15];
	return q;
}

void sb_put_u64(struct strbuf *b, unsigned long long v)
{
	char *q = sb_room(b, CUR_U64_MAX);

	if (q)
		sb_commit(b, (size_t)(cur_u64(q, v) - q));
}

void sb_put_u64_w(struct strbuf *b, unsigned long long v, unsigned width)
{
	unsigned n = u64_len(v);
	size_t pad = width > n ? width - n : 0;
	char *q = sb_room(b, pad + n);

	if (!q)
		return;
	memset(q, ' ', pad);
	u64_digits(q + pad + n, v);
	sb_commit(b, pad + n);
}

void sb_put_i64(struct strbuf *b, long long v)
{
	char *q = sb_room(b, CUR_U64_MAX + 1);

	if (q)
		sb_commit(b, (size_t)(cur_i64(q, v) - q));
}

void sb_put_hex(struct strbuf *b, unsigned long long v)
{
	char *q = sb_room(b, CUR_HEX_MAX);

	if (q)
		sb_commit(b, (size_t)(cur_hex(q, v) - q));
}

void sb_put_oct(struct strbuf *b, unsigned long long v)
{
	char tmp[22];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + (v & 7));
		v >>= 3;
	} while (v);
	sb_put(b, tmp + i, sizeof(tmp) - i);
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	/* Format into a local buffer first, so that arguments pointing into
	 * b->p stay valid, then a second time only if it did not fit. */
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;   /* encoding error: treat like a failed append */
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_put(b, big, (size_t)n);
	free(big);
}

/* Also clears oom: the contents are gone, so nothing is truncated any more
 * and the buffer can be reused for the next record. */
void sb_reset(struct strbuf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p)
		b->p[0] = '\0';
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

/* Length (2..4) of the well-formed multi-byte UTF-8 sequence at s[0..n), or
 * 0 when s[0] does not start one (ASCII, stray continuation byte, C0/C1 lead
 * bytes that could only encode overlong forms, F5..FF, an overlong 3- or
 * 4-byte form, a UTF-16 surrogate U+D800..U+DFFF, a code point above
 * U+10FFFF, or a sequence cut short by the end of input or by a byte that
 * is not a continuation byte). Follows Table 3-7 of the Unicode standard. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;   /* range allowed for the 2nd byte */

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;          /* below: overlong */
		else if (c == 0xed)
			hi = 0x9f;          /* above: surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;          /* below: overlong */
		else if (c == 0xf4)
			hi = 0x8f;          /* above: > U+10FFFF */
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Code point of a well-formed sequence of length len (2..4). */
static uint32_t utf8_cp(const unsigned char *s, size_t len)
{
	uint32_t cp = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

int sb_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		l = utf8_len(u + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

void sb_hex_bytes(struct strbuf *b, const char *s, size_t n)
{
	char *q;

	if (n > SIZE_MAX / 2 || !(q = sb_room(b, 2 * n))) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		q[2 * i] = hexd[(unsigned char)s[i] >> 4];
		q[2 * i + 1] = hexd[(unsigned char)s[i] & 15];
	}
	sb_commit(b, 2 * n);
}

/* What the two escapers below share. Copies the run of bytes from s[i] on
 * that need no escape (printable ASCII other than the backslash and quote;
 * the text escaper passes the backslash again) and returns where it ends. */
static inline size_t put_plain(struct strbuf *b, const char *s, size_t i, size_t n, unsigned char quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = i;

	while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != quote && u[run] != '\\')
		run++;
	if (run > i)
		sb_put(b, s + i, run - i);
	return run;
}

/* A backslash, newline or tab as both escapers write it (two characters):
 * 1, or 0 when c is none of them. */
static inline int put_short_escape(struct strbuf *b, unsigned char c)
{
	const char *e = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : NULL;

	if (!e)
		return 0;
	sb_put(b, e, 2);
	return 1;
}

/* Escaping choices beyond the header's contract, all still valid JSON that
 * decodes to the same text: C1 controls U+0080..U+009F are written as
 * \u0080..\u009f (they are control characters too), and U+2028/U+2029 as
 * \u2028/\u2029 (raw, they end a line in JavaScript). \r, \b and \f use the
 * \u00XX form like the other controls. Hex digits are lower case. */
void sb_json_str(struct strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	sb_putc(b, '"');
	while (i < n && !b->oom) {
		unsigned char c = u[i];
		size_t run = put_plain(b, s, i, n, '"');

		if (run > i) {
			i = run;
		} else if (c == '"') {
			sb_put(b, "\\\"", 2);
			i++;
		} else if (put_short_escape(b, c)) {
			i++;
		} else if (c < 0x80) {
			/* other C0 controls and DEL */
			char e[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
			sb_put(b, e, 6);
			i++;
		} else {
			size_t len = utf8_len(u + i, n - i);
			if (!len) {
				sb_put(b, "\\ufffd", 6);
				i++;
				continue;
			}
			uint32_t cp = utf8_cp(u + i, len);
			if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029) {
				char e[6] = { '\\', 'u', hexd[cp >> 12], hexd[(cp >> 8) & 15],
					      hexd[(cp >> 4) & 15], hexd[cp & 15] };
				sb_put(b, e, 6);
			} else {
				sb_put(b, s + i, len);
			}
			i += len;
		}
	}
	sb_putc(b, '"');
}

static void put_hex_byte(struct strbuf *b, unsigned char c)
{
	char e[4] = { '\\', 'x', hexd[c >> 4], hexd[c & 15] };
	sb_put(b, e, 4);
}

/* Output is printable ASCII plus well-formed non-control UTF-8 only, and the
 * escaping is reversible (\\ for a backslash). Hex digits are lower case.
 * A C1 control (C2 80..C2 9F) is written as its two bytes: \xc2\x9b. */
void sb_text_str(struct strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n && !b->oom) {
		unsigned char c = u[i];
		size_t run = put_plain(b, s, i, n, '\\');

		if (run > i) {
			i = run;
		} else if (put_short_escape(b, c)) {
			i++;
		} else if (c == '\r') {
			sb_put(b, "\\r", 2);
			i++;
		} else if (c < 0x80) {
			/* ESC (\x1b) and every other C0 control, and DEL */
			put_hex_byte(b, c);
			i++;
		} else {
			size_t len = utf8_len(u + i, n - i);
			if (len && utf8_cp(u + i, len) > 0x9f) {
				sb_put(b, s + i, len);
				i += len;
			} else if (len) {
				for (size_t k = 0; k < len; k++)
					put_hex_byte(b, u[i + k]);
				i += len;
			} else {
				put_hex_byte(b, c);
				i++;
			}
		}
	}
	if (!b->p)
		sb_put(b, "", 0);   /* an empty string still leaves "" in b->p */
}
