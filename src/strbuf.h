/* strbuf.h - growable output buffer and the escaping rules for JSON and table text. */
#ifndef MW_STRBUF_H
#define MW_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
	char *p;     /* NUL-terminated contents (NULL until first append) */
	size_t len;  /* bytes used, excluding the NUL */
	size_t cap;
	int oom;     /* set when an allocation failed; appends become no-ops */
};

/* Append helpers. On allocation failure they set b->oom and leave b usable. */
void sb_put(struct strbuf *b, const char *s, size_t n);
void sb_puts(struct strbuf *b, const char *s);
void sb_putc(struct strbuf *b, char c);
void sb_put_slow(struct strbuf *b, const char *s, size_t n);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for n more bytes and the NUL: a pointer to where they go (b->len
 * unchanged: the caller adds what it wrote with sb_commit), or NULL with
 * b->oom set. */
char *sb_grow(struct strbuf *b, size_t n);
static inline char *sb_room(struct strbuf *b, size_t n)
{
	if (__builtin_expect(b->p != NULL && n < b->cap - b->len && !b->oom, 1))
		return b->p + b->len;
	return sb_grow(b, n);
}
static inline void sb_commit(struct strbuf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

/* Inline forms of sb_put, sb_puts and sb_putc for the per-event code: the
 * common case (room left, no failure) is a bounds test and a copy, and
 * sb_puts of a literal has its length folded by the compiler (no strlen).
 * A file that defines MW_STRBUF_INLINE before its first #include gets them
 * under the usual names; elsewhere the calls stay calls (inlined in every
 * file they made the program's text 40 KB larger, and its RSS with it). */
static inline void sb_put_i(struct strbuf *b, const char *s, size_t n)
{
	/* with room left nothing moves, so s may point into b itself; a
	 * constant size too big to copy inline (a test of the limits) goes
	 * straight to the checks of the slow path */
	if (__builtin_constant_p(n) && n > 4096) {
		sb_put_slow(b, s, n);
		return;
	}
	if (__builtin_expect(b->p != NULL && n < b->cap - b->len && !b->oom, 1)) {
		memmove(b->p + b->len, s, n);
		sb_commit(b, n);
		return;
	}
	sb_put_slow(b, s, n);
}
static inline void sb_puts_i(struct strbuf *b, const char *s)
{
	sb_put_i(b, s, strlen(s));
}
static inline void sb_putc_i(struct strbuf *b, char c)
{
	if (__builtin_expect(b->p != NULL && 1 < b->cap - b->len && !b->oom, 1)) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	sb_put_slow(b, &c, 1);
}

#ifdef MW_STRBUF_INLINE
#define sb_put sb_put_i
#define sb_puts sb_puts_i
#define sb_putc sb_putc_i
#endif

/* Writing through a cursor: code that knows a bound on what it writes takes
 * the room once (q = sb_room(b, bound)), writes with these (each returns the
 * position after what it wrote; no bounds tests, no length updates), and
 * ends with sb_commit(b, q - start). */
static inline char *cur_put(char *q, const void *s, size_t n)
{
	memcpy(q, s, n);
	return q + n;
}
/* a string literal: its length is a constant, the copy a few moves */
#define CUR_LIT(q, lit) cur_put((q), "" lit, sizeof(lit) - 1)
/* v in decimal, written in place (at most 20 bytes) */
char *cur_u64(char *q, unsigned long long v);
/* v in decimal with a '-' when negative (at most 20 bytes) */
char *cur_i64(char *q, long long v);
/* v (below 10^n) in exactly n decimal digits, zeros in front (n at most 20) */
char *cur_dec_fixed(char *q, unsigned long long v, unsigned n);
/* "0x" and v in lower-case hex (at most 18 bytes) */
char *cur_hex(char *q, unsigned long long v);
#define CUR_U64_MAX 20
#define CUR_HEX_MAX 18

/* Fast number appends (no printf): decimal unsigned, decimal signed, and
 * "0x" + lowercase hex, written in place (one room test, no copy). */
void sb_put_u64(struct strbuf *b, unsigned long long v);
void sb_put_i64(struct strbuf *b, long long v);
void sb_put_hex(struct strbuf *b, unsigned long long v);
/* v in octal, no prefix (printf's %o). */
void sb_put_oct(struct strbuf *b, unsigned long long v);
/* v in decimal, right-aligned in a field of width columns (printf's %*llu). */
void sb_put_u64_w(struct strbuf *b, unsigned long long v, unsigned width);

void sb_reset(struct strbuf *b);   /* len = 0, keeps the allocation */
void sb_free(struct strbuf *b);    /* frees and zeroes; safe on a zeroed strbuf */

/* Append s[0..n) as a JSON string literal, quotes included. Every control
 * character is escaped (\n, \t, \" , \\, others as \u00XX, DEL as \u007f);
 * valid UTF-8 passes through; each byte of an invalid UTF-8 sequence
 * (overlong, surrogate, > U+10FFFF, truncated, stray continuation) becomes
 * U+FFFD written as \ufffd. */
void sb_json_str(struct strbuf *b, const char *s, size_t n);

/* 1 when s[0..n) is well-formed UTF-8 (the rules sb_json_str applies), 0 if not. */
int sb_utf8_valid(const char *s, size_t n);

/* Append s[0..n) as lower-case hex digits, two per byte. */
void sb_hex_bytes(struct strbuf *b, const char *s, size_t n);

/* Append s[0..n) for a human terminal: printable ASCII and valid UTF-8
 * (except C1 controls) pass through; backslash becomes \\, \n \t \r as such,
 * ESC as \x1b, any other control or invalid byte as \xNN. No quotes added. */
void sb_text_str(struct strbuf *b, const char *s, size_t n);

#endif
