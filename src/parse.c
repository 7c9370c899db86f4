/* parse.c - the small parsers the option and filter code share: list words and bounded numbers. */
#include "parse.h"

#include <string.h>

char *mw_list_next(char **s)
{
	char *w, *end;

	if (!*s)
		return NULL;
	w = *s;
	end = strchr(w, ',');
	if (end) {
		*end = '\0';
		*s = end + 1;
	} else {
		*s = NULL;
	}
	while (*w == ' ' || *w == '\t')
		w++;
	end = w + strlen(w);
	while (end > w && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return w;
}

int mw_parse_u64(const char *s, uint64_t min, uint64_t max, int suffix, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	int base = 10;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	if (p == s || (base == 16 && p == s + 2))
		return -1;
	if (suffix && *p) {
		switch (*p) {
		case 'k': case 'K': mul = 1ull << 10; break;
		case 'm': case 'M': mul = 1ull << 20; break;
		case 'g': case 'G': mul = 1ull << 30; break;
		case 't': case 'T': mul = 1ull << 40; break;
		default: return -1;
		}
		p++;
		if (*p == 'i' && p[1] == 'B') /* 4MiB */
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p)
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	v *= mul;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
