/* jsoncheck.h - a strict JSON validator and string decoder for the fuzz harnesses (RFC 8259 syntax; no DOM). */
#ifndef MW_JSONCHECK_H
#define MW_JSONCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jc { const char *p, *end; int depth; };

static int jc_value(struct jc *c);

static void jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int jc_hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char h = p[i];
		*v <<= 4;
		if (h >= '0' && h <= '9') *v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f') *v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F') *v |= (unsigned)(h - 'A' + 10);
		else return -1;
	}
	return 0;
}

static size_t jc_put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
	if (cp < 0x10000) { o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 63));
		o[2] = (char)(0x80 | (cp & 63)); return 3; }
	o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 63));
	o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* A string at c->p (the opening quote); decoded bytes to out (may be NULL),
 * their count to *n. Raw control characters are errors. 0 or -1. */
static int jc_string(struct jc *c, char *out, size_t *n)
{
	size_t k = 0;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		char tmp[4];
		size_t l = 1;
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return -1;
			char e = c->p[1];
			c->p += 2;
			switch (e) {
			case '"': tmp[0] = '"'; break;
			case '\\': tmp[0] = '\\'; break;
			case '/': tmp[0] = '/'; break;
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				unsigned cp, lo;
				if (c->end - c->p < 4 || jc_hex4(c->p, &cp))
					return -1;
				c->p += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || jc_hex4(c->p + 2, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -1;
					c->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return -1;
				}
				l = jc_put_utf8(tmp, cp);
				break;
			}
			default: return -1;
			}
		} else {
			tmp[0] = (char)ch;
			c->p++;
		}
		if (out)
			memcpy(out + k, tmp, l);
		k += l;
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	if (n)
		*n = k;
	return 0;
}

static int jc_number(struct jc *c)
{
	const char *s = c->p;
	if (c->p < c->end && *c->p == '-') c->p++;
	if (c->p >= c->end) return -1;
	if (*c->p == '0') c->p++;
	else if (*c->p >= '1' && *c->p <= '9') while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
	else return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
	}
	return c->p > s ? 0 : -1;
}

static int jc_lit(struct jc *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return -1;
	c->p += n;
	return 0;
}

static int jc_value(struct jc *c)
{
	jc_ws(c);
	if (c->p >= c->end || ++c->depth > 64) return -1;
	int rc;
	switch (*c->p) {
	case '{':
		c->p++; jc_ws(c);
		if (c->p < c->end && *c->p == '}') { c->p++; rc = 0; break; }
		for (;;) {
			jc_ws(c);
			if (jc_string(c, NULL, NULL)) return -1;
			jc_ws(c);
			if (c->p >= c->end || *c->p != ':') return -1;
			c->p++;
			if (jc_value(c)) return -1;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') { c->p++; continue; }
			if (c->p < c->end && *c->p == '}') { c->p++; break; }
			return -1;
		}
		rc = 0;
		break;
	case '[':
		c->p++; jc_ws(c);
		if (c->p < c->end && *c->p == ']') { c->p++; rc = 0; break; }
		for (;;) {
			if (jc_value(c)) return -1;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') { c->p++; continue; }
			if (c->p < c->end && *c->p == ']') { c->p++; break; }
			return -1;
		}
		rc = 0;
		break;
	case '"': rc = jc_string(c, NULL, NULL); break;
	case 't': rc = jc_lit(c, "true"); break;
	case 'f': rc = jc_lit(c, "false"); break;
	case 'n': rc = jc_lit(c, "null"); break;
	default: rc = jc_number(c); break;
	}
	c->depth--;
	return rc;
}

/* 1 when s[0..n) is exactly one JSON value (an object for our lines). */
static int json_valid(const char *s, size_t n)
{
	struct jc c = { s, s + n, 0 };
	if (jc_value(&c)) return 0;
	jc_ws(&c);
	return c.p == c.end;
}

#endif
