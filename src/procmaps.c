/* procmaps.c - one line of /proc/PID/maps read into a region (the region map's seed). */
#include "procmaps.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

struct cursor {
	const char *s, *end;
};

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Unsigned number in base 16 or 10 with at least one digit; no overflow. */
static int parse_num(struct cursor *c, int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = c->s;

	while (c->s < c->end) {
		int d = base == 16 ? hexval(*c->s) : (*c->s >= '0' && *c->s <= '9' ? *c->s - '0' : -1);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		c->s++;
	}
	*out = v;
	return c->s > start ? 0 : -1;
}

static int expect(struct cursor *c, char ch)
{
	if (c->s < c->end && *c->s == ch) {
		c->s++;
		return 0;
	}
	return -1;
}

static int skip_spaces(struct cursor *c)
{
	const char *start = c->s;

	while (c->s < c->end && (*c->s == ' ' || *c->s == '\t'))
		c->s++;
	return c->s > start ? 0 : -1;
}

/* One line (without its newline) into *r. 0 on success. */
int mw_procmaps_line(const char *line, const char *end, struct mw_region *r)
{
	struct cursor c = { line, end };
	uint64_t start, stop, off, major, minor, inode;
	char perm[4];

	if (parse_num(&c, 16, &start) || expect(&c, '-') || parse_num(&c, 16, &stop) ||
	    skip_spaces(&c) || end - c.s < 4)
		return -1;
	memcpy(perm, c.s, 4);
	c.s += 4;
	if ((perm[0] != 'r' && perm[0] != '-') || (perm[1] != 'w' && perm[1] != '-') ||
	    (perm[2] != 'x' && perm[2] != '-') || (perm[3] != 'p' && perm[3] != 's'))
		return -1;
	if (skip_spaces(&c) || parse_num(&c, 16, &off) || skip_spaces(&c) ||
	    parse_num(&c, 16, &major) || expect(&c, ':') || parse_num(&c, 16, &minor) ||
	    skip_spaces(&c) || parse_num(&c, 10, &inode))
		return -1;
	if (c.s < c.end && skip_spaces(&c))
		return -1;  /* junk glued to the inode number */
	if (start >= stop || (start & (MW_PAGE_SIZE - 1)) || (stop & (MW_PAGE_SIZE - 1)))
		return -1;
	static const char stack[] = "[stack]";
	size_t plen = (size_t)(c.end - c.s);
	memset(r, 0, sizeof *r);
	r->start = start;
	r->end = stop;
	r->prot = (uint8_t)((perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
			    (perm[2] == 'x' ? PROT_EXEC : 0));
	r->was_writable = perm[1] == 'w';
	r->file_backed = inode != 0;
	r->growsdown = plen >= sizeof stack - 1 && !memcmp(c.s, stack, sizeof stack - 2) &&
		       (c.s[sizeof stack - 2] == ']' || c.s[sizeof stack - 2] == ':');
	r->history_unknown = 1;
	return 0;
}
