/* test_strbuf.c - unit tests for the growable buffer and its JSON / terminal escaping (src/strbuf.c). */
#include <stdint.h>
#include <stdlib.h>

#include "strbuf.h"
#include "t.h"

static const char *js(struct strbuf *b, const char *s, size_t n)
{
	sb_reset(b);
	sb_json_str(b, s, n);
	return b->p;
}

static const char *tx(struct strbuf *b, const char *s, size_t n)
{
	sb_reset(b);
	sb_text_str(b, s, n);
	return b->p;
}

/* lit must be a string literal; its length counts embedded NULs */
#define JS(lit) js(&b, lit, sizeof(lit) - 1)
#define TX(lit) tx(&b, lit, sizeof(lit) - 1)

/* --- independent reference helpers (written differently from strbuf.c) --- */

/* Decodes one UTF-8 sequence by computing the code point and rejecting
 * overlong forms, surrogates and values above U+10FFFF afterwards.
 * Returns its length, or 0 when s[0] does not start a valid sequence. */
static size_t ref_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2; v = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; v = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static void ref_put_cp(struct strbuf *o, uint32_t cp)
{
	if (cp < 0x80) {
		sb_putc(o, (char)cp);
	} else if (cp < 0x800) {
		sb_putc(o, (char)(0xc0 | (cp >> 6)));
		sb_putc(o, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_putc(o, (char)(0xe0 | (cp >> 12)));
		sb_putc(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(o, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_putc(o, (char)(0xf0 | (cp >> 18)));
		sb_putc(o, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sb_putc(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(o, (char)(0x80 | (cp & 0x3f)));
	}
}

/* What JSON decoding of sb_json_str's output must give: the input with
 * every byte that does not belong to a valid sequence replaced by U+FFFD. */
static void ref_replace(struct strbuf *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	sb_put(o, "", 0);
	while (i < n) {
		uint32_t cp;
		size_t len = ref_utf8(u + i, n - i, &cp);
		if (len) {
			sb_put(o, s + i, len);
			i += len;
		} else {
			ref_put_cp(o, 0xfffd);
			i++;
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p[k]);
		if (h < 0)
			return -1;
		*v = (*v << 4) | (uint32_t)h;
	}
	return 0;
}

/* A strict RFC 8259 string-literal validator and decoder: j[0..n) must be
 * exactly one string literal. It also enforces this project's stronger rule
 * that no control character (C0, DEL, C1) appears unescaped. Decoded UTF-8
 * is appended to out. Returns 0 if valid, -1 otherwise. */
static int json_decode(const char *j, size_t n, struct strbuf *out)
{
	const unsigned char *u = (const unsigned char *)j;

	sb_put(out, "", 0);
	if (n < 2 || j[0] != '"' || j[n - 1] != '"')
		return -1;
	for (size_t i = 1; i < n - 1;) {
		unsigned char c = u[i];
		if (c < 0x20 || c == 0x7f || c == '"')
			return -1;
		if (c == '\\') {
			if (i + 1 >= n - 1)
				return -1;
			char e = j[i + 1];
			i += 2;
			switch (e) {
			case '"': sb_putc(out, '"'); break;
			case '\\': sb_putc(out, '\\'); break;
			case '/': sb_putc(out, '/'); break;
			case 'b': sb_putc(out, '\b'); break;
			case 'f': sb_putc(out, '\f'); break;
			case 'n': sb_putc(out, '\n'); break;
			case 'r': sb_putc(out, '\r'); break;
			case 't': sb_putc(out, '\t'); break;
			case 'u': {
				uint32_t v, lo;
				if (i + 4 > n - 1 || hex4(j + i, &v))
					return -1;
				i += 4;
				if (v >= 0xdc00 && v <= 0xdfff)
					return -1;          /* lone low surrogate */
				if (v >= 0xd800 && v <= 0xdbff) {
					if (i + 6 > n - 1 || j[i] != '\\' || j[i + 1] != 'u' ||
					    hex4(j + i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return -1;
					i += 6;
					v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
				}
				ref_put_cp(out, v);
				break;
			}
			default:
				return -1;
			}
			continue;
		}
		uint32_t cp;
		size_t len = ref_utf8(u + i, n - 1 - i, &cp);
		if (!len || (cp >= 0x80 && cp <= 0x9f))
			return -1;
		sb_put(out, j + i, len);
		i += len;
	}
	return 0;
}

/* Reverses sb_text_str and checks its output is safe for a terminal: no
 * C0/DEL/C1 control, only valid UTF-8, escapes only \\ \n \t \r \xNN
 * (lower-case hex). Returns 0 if so, -1 otherwise. */
static int text_decode(const char *t, size_t n, struct strbuf *out)
{
	const unsigned char *u = (const unsigned char *)t;

	sb_put(out, "", 0);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '\\') {
			if (i + 1 >= n)
				return -1;
			char e = t[i + 1];
			i += 2;
			if (e == '\\')
				sb_putc(out, '\\');
			else if (e == 'n')
				sb_putc(out, '\n');
			else if (e == 't')
				sb_putc(out, '\t');
			else if (e == 'r')
				sb_putc(out, '\r');
			else if (e == 'x') {
				if (i + 2 > n)
					return -1;
				int h = hexval(t[i]), l = hexval(t[i + 1]);
				if (h < 0 || l < 0 || (t[i] >= 'A' && t[i] <= 'F') ||
				    (t[i + 1] >= 'A' && t[i + 1] <= 'F'))
					return -1;
				sb_putc(out, (char)(h * 16 + l));
				i += 2;
			} else
				return -1;
			continue;
		}
		uint32_t cp;
		size_t len = ref_utf8(u + i, n - i, &cp);
		if (!len || (cp >= 0x80 && cp <= 0x9f))
			return -1;
		sb_put(out, t + i, len);
		i += len;
	}
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Random bytes biased towards the interesting ones. */
static size_t random_hostile(char *buf, size_t max)
{
	static const unsigned char pick[] = {
		0x00, 0x01, 0x07, 0x08, '\t', '\n', 0x0b, 0x0c, '\r', 0x1b, 0x1f,
		' ', '"', '\\', '/', 'a', 'z', 'u', 'x', '0', 0x7f,
		0x80, 0x85, 0x8f, 0x90, 0x9b, 0x9f, 0xa0, 0xa8, 0xbf,
		0xc0, 0xc1, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xee, 0xef,
		0xf0, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff,
	};
	size_t n = rnd() % (max + 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t r = rnd();
		buf[i] = (r & 1) ? (char)pick[(r >> 1) % sizeof(pick)] : (char)(r >> 8);
	}
	return n;
}

/* Random well-formed UTF-8 covering every length and the edge code points. */
static size_t random_valid(char *buf, size_t max_cps)
{
	static const uint32_t edge[] = {
		0x0, 0x1f, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 0x7ff, 0x800, 0x2028, 0x2029,
		0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff, '"', '\\',
	};
	struct strbuf o = { 0 };
	size_t n = rnd() % (max_cps + 1);

	for (size_t i = 0; i < n; i++) {
		uint32_t r = rnd(), cp;
		switch (r % 5) {
		case 0: cp = edge[(r >> 3) % (sizeof(edge) / sizeof(edge[0]))]; break;
		case 1: cp = (r >> 3) % 0x80; break;
		case 2: cp = 0x80 + (r >> 3) % 0x780; break;
		case 3: cp = 0x800 + (r >> 3) % 0xf800; break;
		default: cp = 0x10000 + (r >> 3) % 0x100000; break;
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		ref_put_cp(&o, cp);
	}
	size_t len = o.len;
	if (len)
		memcpy(buf, o.p, len);
	sb_free(&o);
	return len;
}

/* ------------------------------- buffer -------------------------------- */

TEST(strbuf_basic)
{
	struct strbuf b = { 0 };

	CHECK(b.p == NULL);
	sb_free(&b);                       /* safe on a zeroed strbuf */
	sb_free(&b);
	sb_put(&b, "", 0);                 /* an empty append still gives "" */
	CHECK(b.p != NULL);
	CHECK_STR(b.p, "");
	CHECK_INT(b.len, 0);
	sb_putc(&b, 'x');
	sb_puts(&b, "yz");
	sb_put(&b, "1234", 2);
	sb_printf(&b, "-%d-%s-%#x", 42, "s", 255u);
	CHECK_STR(b.p, "xyz12-42-s-0xff");
	CHECK_INT(b.len, 15);
	CHECK(b.cap > b.len);
	CHECK(!b.oom);

	/* embedded NUL: len counts it */
	sb_reset(&b);
	sb_put(&b, "a\0b", 3);
	CHECK_INT(b.len, 3);
	CHECK(memcmp(b.p, "a\0b\0", 4) == 0);

	/* reset keeps the allocation */
	char *p = b.p;
	size_t cap = b.cap;
	sb_reset(&b);
	CHECK(b.p == p);
	CHECK_INT(b.cap, cap);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.p, "");

	sb_free(&b);
	CHECK(b.p == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
	CHECK_INT(b.oom, 0);
}

TEST(strbuf_growth)
{
	struct strbuf b = { 0 };
	const size_t N = 200000;

	for (size_t i = 0; i < N; i++)
		sb_putc(&b, (char)('a' + i % 26));
	CHECK(!b.oom);
	CHECK_INT(b.len, N);
	CHECK(b.cap >= N + 1);
	CHECK_INT(strlen(b.p), N);
	int bad = 0;
	for (size_t i = 0; i < N; i++)
		bad += b.p[i] != (char)('a' + i % 26);
	CHECK_INT(bad, 0);

	/* mixed appends */
	sb_reset(&b);
	size_t want = 0;
	for (int i = 0; i < 20000; i++) {
		sb_printf(&b, "%d,", i);
		want += (size_t)snprintf(NULL, 0, "%d,", i);
		sb_puts(&b, "ab");
		sb_put(&b, "xyz", 3);
		want += 5;
	}
	CHECK(!b.oom);
	CHECK_INT(b.len, want);
	CHECK_INT(strlen(b.p), want);
	CHECK(strncmp(b.p, "0,abxyz1,abxyz2,", 16) == 0);
	CHECK_STR(b.p + b.len - 11, "19999,abxyz");

	/* printf output longer than any internal scratch buffer */
	sb_reset(&b);
	sb_printf(&b, "[%0*d]", 5000, 7);
	CHECK_INT(b.len, 5002);
	CHECK(b.p[0] == '[' && b.p[1] == '0' && b.p[5000] == '7' && b.p[5001] == ']');
	CHECK(b.p[5002] == '\0');
	sb_free(&b);
}

TEST(strbuf_self_append)
{
	struct strbuf b = { 0 };

	sb_puts(&b, "abc");
	for (int i = 0; i < 12; i++)
		sb_put(&b, b.p, b.len);          /* doubles; source moves on realloc */
	CHECK_INT(b.len, 3 << 12);
	int bad = 0;
	for (size_t i = 0; i < b.len; i++)
		bad += b.p[i] != "abc"[i % 3];
	CHECK_INT(bad, 0);

	sb_reset(&b);
	sb_puts(&b, "0123456789");
	sb_puts(&b, b.p + 5);                    /* suffix of itself */
	CHECK_STR(b.p, "0123456789" "56789");

	/* printf arguments that point into the buffer itself, long and short */
	sb_reset(&b);
	for (int i = 0; i < 300; i++)
		sb_putc(&b, 'q');
	sb_printf(&b, "|%s|", b.p);
	CHECK_INT(b.len, 602);
	CHECK(b.p[300] == '|' && b.p[301] == 'q' && b.p[601] == '|');
	sb_reset(&b);
	sb_puts(&b, "hi");
	sb_printf(&b, "<%s>", b.p);
	CHECK_STR(b.p, "hi<hi>");
	sb_free(&b);
}

TEST(strbuf_oom_state)
{
	struct strbuf b = { 0 };

	sb_puts(&b, "keep");
	/* a size that cannot be allocated: sets oom, leaves contents alone */
	sb_put(&b, "x", SIZE_MAX);
	CHECK_INT(b.oom, 1);
	CHECK_STR(b.p, "keep");
	CHECK_INT(b.len, 4);
	/* every append is now a no-op */
	sb_putc(&b, 'a');
	sb_puts(&b, "bc");
	sb_printf(&b, "%d", 5);
	sb_json_str(&b, "j", 1);
	sb_text_str(&b, "t", 1);
	CHECK_STR(b.p, "keep");
	CHECK_INT(b.len, 4);
	CHECK_INT(b.oom, 1);
	/* reset makes it usable again */
	sb_reset(&b);
	CHECK_INT(b.oom, 0);
	sb_puts(&b, "ok");
	CHECK_STR(b.p, "ok");
	sb_put(&b, "x", SIZE_MAX - 2);
	CHECK_INT(b.oom, 1);
	CHECK_STR(b.p, "ok");
	sb_free(&b);
	CHECK_INT(b.oom, 0);

	/* oom on a zeroed buffer: p stays NULL, no crash */
	sb_put(&b, "x", SIZE_MAX);
	CHECK_INT(b.oom, 1);
	CHECK(b.p == NULL);
	sb_free(&b);
}

/* -------------------------------- JSON --------------------------------- */

TEST(json_plain_and_controls)
{
	struct strbuf b = { 0 };

	CHECK_STR(JS(""), "\"\"");
	CHECK_STR(JS("/usr/lib/libc.so.6"), "\"/usr/lib/libc.so.6\"");
	CHECK_STR(JS("a\nb"), "\"a\\nb\"");
	CHECK_STR(JS("say \"hi\""), "\"say \\\"hi\\\"\"");
	CHECK_STR(JS("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	CHECK_STR(JS("\x1b[31mred"), "\"\\u001b[31mred\"");
	CHECK_STR(JS("a\tb"), "\"a\\tb\"");
	CHECK_STR(JS("a\rb"), "\"a\\u000db\"");
	CHECK_STR(JS("\x01\x08\x0c\x1f"), "\"\\u0001\\u0008\\u000c\\u001f\"");
	CHECK_STR(JS("x\x7fy"), "\"x\\u007fy\"");
	CHECK_STR(JS("}\",\"evil\":\"1"), "\"}\\\",\\\"evil\\\":\\\"1\"");

	/* NUL in the middle: n includes it */
	CHECK_STR(JS("a\0b"), "\"a\\u0000b\"");
	CHECK_INT(b.len, 10);
	CHECK_STR(js(&b, "a\0b", 1), "\"a\"");

	/* C1 controls (U+0080..U+009F) are escaped; U+00A0 is not */
	CHECK_STR(JS("\xc2\x80"), "\"\\u0080\"");
	CHECK_STR(JS("\xc2\x85" "x"), "\"\\u0085x\"");
	CHECK_STR(JS("\xc2\x9b" "31m"), "\"\\u009b31m\"");
	CHECK_STR(JS("\xc2\x9f"), "\"\\u009f\"");
	CHECK_STR(JS("\xc2\xa0"), "\"\xc2\xa0\"");
	/* line/paragraph separators */
	CHECK_STR(JS("\xe2\x80\xa8|\xe2\x80\xa9"), "\"\\u2028|\\u2029\"");

	/* every single byte value: output is a valid JSON string */
	for (int c = 0; c < 256; c++) {
		char in = (char)c;
		struct strbuf d = { 0 };
		js(&b, &in, 1);
		CHECK(json_decode(b.p, b.len, &d) == 0);
		if (c < 0x80)
			CHECK(d.len == 1 && (unsigned char)d.p[0] == c);
		else
			CHECK_STR(d.p, "\xef\xbf\xbd");
		sb_free(&d);
	}
	sb_free(&b);
}

TEST(json_valid_utf8_passes)
{
	struct strbuf b = { 0 };

	CHECK_STR(JS("caf\xc3\xa9"), "\"caf\xc3\xa9\"");                    /* 2 bytes */
	CHECK_STR(JS("\xe2\x82\xac" "5"), "\"\xe2\x82\xac" "5\"");          /* 3 bytes */
	CHECK_STR(JS("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");          /* 4 bytes */
	CHECK_STR(JS("\xe6\x97\xa5\xe6\x9c\xac"), "\"\xe6\x97\xa5\xe6\x9c\xac\"");
	/* boundaries that are valid */
	CHECK_STR(JS("\xc2\xa0"), "\"\xc2\xa0\"");                          /* U+00A0 */
	CHECK_STR(JS("\xdf\xbf"), "\"\xdf\xbf\"");                          /* U+07FF */
	CHECK_STR(JS("\xe0\xa0\x80"), "\"\xe0\xa0\x80\"");                  /* U+0800 */
	CHECK_STR(JS("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");                  /* U+D7FF */
	CHECK_STR(JS("\xee\x80\x80"), "\"\xee\x80\x80\"");                  /* U+E000 */
	CHECK_STR(JS("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");                  /* U+FFFD */
	CHECK_STR(JS("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"");                  /* U+FFFF */
	CHECK_STR(JS("\xf0\x90\x80\x80"), "\"\xf0\x90\x80\x80\"");          /* U+10000 */
	CHECK_STR(JS("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");          /* U+10FFFF */
	sb_free(&b);
}

TEST(json_invalid_utf8)
{
	struct strbuf b = { 0 };
#define R "\\ufffd"

	/* stray continuation bytes and bytes that never appear */
	CHECK_STR(JS("\x80"), "\"" R "\"");
	CHECK_STR(JS("a\xbf" "b"), "\"a" R "b\"");
	CHECK_STR(JS("\xfe\xff"), "\"" R R "\"");
	/* overlong */
	CHECK_STR(JS("\xc0\x80"), "\"" R R "\"");
	CHECK_STR(JS("\xc1\xbf"), "\"" R R "\"");
	CHECK_STR(JS("\xc0\xaf"), "\"" R R "\"");                 /* overlong '/' */
	CHECK_STR(JS("\xe0\x80\x80"), "\"" R R R "\"");
	CHECK_STR(JS("\xe0\x9f\xbf"), "\"" R R R "\"");
	CHECK_STR(JS("\xf0\x80\x80\x80"), "\"" R R R R "\"");
	CHECK_STR(JS("\xf0\x8f\xbf\xbf"), "\"" R R R R "\"");
	/* surrogates, alone and as a CESU-8 pair */
	CHECK_STR(JS("\xed\xa0\x80"), "\"" R R R "\"");
	CHECK_STR(JS("\xed\xbf\xbf"), "\"" R R R "\"");
	CHECK_STR(JS("\xed\xa0\xbd\xed\xb8\x80"), "\"" R R R R R R "\"");
	/* above U+10FFFF and old 5/6-byte forms */
	CHECK_STR(JS("\xf4\x90\x80\x80"), "\"" R R R R "\"");
	CHECK_STR(JS("\xf5\x80\x80\x80"), "\"" R R R R "\"");
	CHECK_STR(JS("\xf8\x88\x80\x80\x80"), "\"" R R R R R "\"");
	CHECK_STR(JS("\xfc\x84\x80\x80\x80\x80"), "\"" R R R R R R "\"");
	/* truncated at the end */
	CHECK_STR(JS("\xc3"), "\"" R "\"");
	CHECK_STR(JS("a\xe2\x82"), "\"a" R R "\"");
	CHECK_STR(JS("\xf0\x9f\x98"), "\"" R R R "\"");
	/* truncated by the next character */
	CHECK_STR(JS("\xe2\x82" "A"), "\"" R R "A\"");
	CHECK_STR(JS("\xc3\xc3\xa9"), "\"" R "\xc3\xa9\"");
	CHECK_STR(JS("\xf0\x9f" "\xe2\x82\xac"), "\"" R R "\xe2\x82\xac\"");
	CHECK_STR(JS("\xe2\n"), "\"" R "\\n\"");
	CHECK_STR(JS("\xff\""), "\"" R "\\\"\"");
	CHECK_STR(JS("\xc2\x00" "x"), "\"" R "\\u0000x\"");
#undef R
	sb_free(&b);
}

/* Random hostile input: always a valid JSON string that decodes to the input
 * with each bad byte replaced; valid UTF-8 round-trips exactly. */
TEST(json_random_round_trip)
{
	struct strbuf b = { 0 }, d = { 0 }, want = { 0 };
	char in[128];
	int bad_valid = 0, bad_decode = 0, bad_valid2 = 0, bad_decode2 = 0;

	for (int it = 0; it < 20000; it++) {
		size_t n = random_hostile(in, 64);
		js(&b, in, n);
		sb_reset(&d);
		sb_reset(&want);
		bad_valid += json_decode(b.p, b.len, &d) != 0;
		ref_replace(&want, in, n);
		bad_decode += d.len != want.len || memcmp(d.p, want.p, d.len) != 0;

		n = random_valid(in, 30);
		js(&b, in, n);
		sb_reset(&d);
		bad_valid2 += json_decode(b.p, b.len, &d) != 0;
		bad_decode2 += d.len != n || (n && memcmp(d.p, in, n) != 0);
	}
	CHECK_INT(bad_valid, 0);
	CHECK_INT(bad_decode, 0);
	CHECK_INT(bad_valid2, 0);
	CHECK_INT(bad_decode2, 0);
	sb_free(&b);
	sb_free(&d);
	sb_free(&want);
}

TEST(json_validator_self_check)
{
	struct strbuf d = { 0 };

	/* the validator must reject what the escaper must never produce */
	CHECK(json_decode("\"ok\"", 4, &d) == 0);
	CHECK(json_decode("\"a\nb\"", 5, &d) != 0);
	CHECK(json_decode("\"a\"b\"", 5, &d) != 0);
	CHECK(json_decode("\"\\x41\"", 6, &d) != 0);
	CHECK(json_decode("\"\\ud800\"", 8, &d) != 0);
	CHECK(json_decode("\"\x80\"", 3, &d) != 0);
	CHECK(json_decode("\"\x7f\"", 3, &d) != 0);
	CHECK(json_decode("\"\xc2\x85\"", 4, &d) != 0);
	CHECK(json_decode("\"\\\"", 3, &d) != 0);
	CHECK(json_decode("\"", 1, &d) != 0);
	sb_reset(&d);
	CHECK(json_decode("\"\\ud83d\\ude00\"", 14, &d) == 0);
	CHECK_STR(d.p, "\xf0\x9f\x98\x80");
	sb_free(&d);
}

/* -------------------------------- text --------------------------------- */

TEST(text_plain_and_controls)
{
	struct strbuf b = { 0 };

	CHECK_STR(TX(""), "");
	CHECK(b.p != NULL);
	CHECK_STR(TX("python3"), "python3");
	CHECK_STR(TX("say \"hi\" 'x' /tmp"), "say \"hi\" 'x' /tmp");
	CHECK_STR(TX("a\nb"), "a\\nb");
	CHECK_STR(TX("a\tb\rc"), "a\\tb\\rc");
	CHECK_STR(TX("C:\\dir"), "C:\\\\dir");
	CHECK_STR(TX("\\x1b"), "\\\\x1b");               /* a literal backslash-x stays distinguishable */
	CHECK_STR(TX("\x1b[2J"), "\\x1b[2J");
	CHECK_STR(TX("a\0b"), "a\\x00b");
	CHECK_INT(b.len, 6);
	CHECK_STR(TX("\x01\x08\x0b\x0c\x1f"), "\\x01\\x08\\x0b\\x0c\\x1f");
	CHECK_STR(TX("x\x7fy"), "x\\x7fy");
	/* C1 controls: each byte as \xNN */
	CHECK_STR(TX("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
	CHECK_STR(TX("\xc2\x80"), "\\xc2\\x80");
	CHECK_STR(TX("\xc2\x85"), "\\xc2\\x85");
	CHECK_STR(TX("\xc2\x9f"), "\\xc2\\x9f");
	/* a forged second line */
	CHECK_STR(TX("evil\n12:00:00.000000     1     1 init      mmap"),
		  "evil\\n12:00:00.000000     1     1 init      mmap");
	sb_free(&b);
}

TEST(text_utf8)
{
	struct strbuf b = { 0 };

	/* valid printable UTF-8 passes */
	CHECK_STR(TX("\xc2\xa0"), "\xc2\xa0");
	CHECK_STR(TX("caf\xc3\xa9"), "caf\xc3\xa9");
	CHECK_STR(TX("\xe2\x82\xac"), "\xe2\x82\xac");
	CHECK_STR(TX("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	CHECK_STR(TX("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");
	CHECK_STR(TX("\xed\x9f\xbf"), "\xed\x9f\xbf");
	/* invalid: every byte as \xNN, lower-case hex */
	CHECK_STR(TX("\x80"), "\\x80");
	CHECK_STR(TX("\xff\xfe"), "\\xff\\xfe");
	CHECK_STR(TX("\xc0\x80"), "\\xc0\\x80");
	CHECK_STR(TX("\xe0\x9f\xbf"), "\\xe0\\x9f\\xbf");
	CHECK_STR(TX("\xf0\x8f\xbf\xbf"), "\\xf0\\x8f\\xbf\\xbf");
	CHECK_STR(TX("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	CHECK_STR(TX("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	CHECK_STR(TX("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
	CHECK_STR(TX("\xe2\x82" "A"), "\\xe2\\x82A");
	CHECK_STR(TX("a\xe2\x82"), "a\\xe2\\x82");
	CHECK_STR(TX("\xc3\xc3\xa9"), "\\xc3\xc3\xa9");
	CHECK_STR(TX("\xe2\x1b"), "\\xe2\\x1b");
	sb_free(&b);
}

/* Random hostile input: output is terminal-safe and decodes back exactly. */
TEST(text_random_round_trip)
{
	struct strbuf b = { 0 }, d = { 0 };
	char in[128];
	int bad_safe = 0, bad_back = 0, bad_pass = 0;

	for (int it = 0; it < 20000; it++) {
		size_t n = (it & 1) ? random_hostile(in, 64) : random_valid(in, 30);
		tx(&b, in, n);
		sb_reset(&d);
		bad_safe += text_decode(b.p, b.len, &d) != 0;
		bad_back += d.len != n || (n && memcmp(d.p, in, n) != 0);
		/* valid UTF-8 without controls or backslash comes out unchanged */
		if (!(it & 1)) {
			int plain = 1;
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)in[i];
				if (c < 0x20 || c == 0x7f || c == '\\' ||
				    (c == 0xc2 && i + 1 < n && (unsigned char)in[i + 1] < 0xa0))
					plain = 0;
			}
			if (plain)
				bad_pass += b.len != n || (n && memcmp(b.p, in, n) != 0);
		}
	}
	CHECK_INT(bad_safe, 0);
	CHECK_INT(bad_back, 0);
	CHECK_INT(bad_pass, 0);
	sb_free(&b);
	sb_free(&d);
}

TEST(strbuf_number_appends)
{
	struct strbuf b = { 0 };

	sb_put_u64(&b, 0);
	sb_putc(&b, ' ');
	sb_put_u64(&b, 18446744073709551615ull);
	sb_putc(&b, ' ');
	sb_put_i64(&b, -1);
	sb_putc(&b, ' ');
	sb_put_i64(&b, (-9223372036854775807ll - 1));
	sb_putc(&b, ' ');
	sb_put_i64(&b, 4096);
	sb_putc(&b, ' ');
	sb_put_hex(&b, 0);
	sb_putc(&b, ' ');
	sb_put_hex(&b, 0x7f3c2a1b0000ull);
	sb_putc(&b, ' ');
	sb_put_hex(&b, 0xffffffffffffffffull);
	CHECK_STR(b.p, "0 18446744073709551615 -1 -9223372036854775808 4096 0x0 0x7f3c2a1b0000 0xffffffffffffffff");
	sb_free(&b);
}
