/* fuzz_escape.c - libFuzzer harness: the JSON and table escapers round trip (JSON parses back to the exact bytes when they are UTF-8, to U+FFFD otherwise; the table form unescapes to the exact bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jsoncheck.h"
#include "strbuf.h"

/* Undo sb_text_str: \\ \n \t \r \xNN. */
static size_t unescape_text(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[k++] = s[i];
			continue;
		}
		if (++i >= n)
			abort();
		switch (s[i]) {
		case '\\': out[k++] = '\\'; break;
		case 'n': out[k++] = '\n'; break;
		case 't': out[k++] = '\t'; break;
		case 'r': out[k++] = '\r'; break;
		case 'x': {
			unsigned v = 0;
			if (i + 2 >= n)
				abort();
			for (int d = 1; d <= 2; d++) {
				char h = s[i + d];
				v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
			}
			out[k++] = (char)v;
			i += 2;
			break;
		}
		default: abort();
		}
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf b = { 0 };
	const char *s = (const char *)data;
	char *dec = malloc(size * 4 + 8);
	size_t n = 0;

	if (!dec)
		return 0;
	sb_json_str(&b, s, size);
	if (!b.oom) {
		struct jc c = { b.p, b.p + b.len, 0 };
		if (jc_string(&c, dec, &n) || c.p != c.end)
			abort(); /* not one valid JSON string */
		if (sb_utf8_valid(s, size) && (n != size || memcmp(dec, s, size)))
			abort(); /* valid UTF-8 must come back byte for byte */
		if (!sb_utf8_valid(dec, n))
			abort(); /* what comes back is always UTF-8 */
	}
	sb_reset(&b);
	sb_text_str(&b, s, size);
	if (!b.oom) {
		for (size_t i = 0; i < b.len; i++)
			if ((unsigned char)b.p[i] < 0x20 || b.p[i] == 0x7f)
				abort(); /* no control byte reaches a terminal */
		n = unescape_text(b.p, b.len, dec);
		if (n != size || memcmp(dec, s, size))
			abort();
	}
	sb_free(&b);
	free(dec);
	return 0;
}
