/* mmshare.c - processes that share one memory (CLONE_VM, vfork): which process's region map holds their memory. */
#include "mmshare.h"

#include <stdlib.h>

/* A short list: CLONE_VM children are rare and live briefly (vfork's exec). */
struct share {
	uint32_t pid, owner;
};

struct mw_mmshare {
	struct share *v;
	unsigned n, cap;
};

struct mw_mmshare *mw_mmshare_new(void)
{
	return calloc(1, sizeof(struct mw_mmshare));
}

void mw_mmshare_free(struct mw_mmshare *s)
{
	if (!s)
		return;
	free(s->v);
	free(s);
}

static int find(const struct mw_mmshare *s, uint32_t pid)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i].pid == pid)
			return (int)i;
	return -1;
}

uint32_t mw_mmshare_owner(const struct mw_mmshare *s, uint32_t pid)
{
	int i = s && s->n ? find(s, pid) : -1;
	return i < 0 ? pid : s->v[i].owner;
}

int mw_mmshare_add(struct mw_mmshare *s, uint32_t child, uint32_t parent)
{
	uint32_t owner = mw_mmshare_owner(s, parent);

	if (child == owner)
		return 0;
	mw_mmshare_leave(s, child); /* a reused pid: its old sharing is over */
	if (s->n == s->cap) {
		unsigned nc = s->cap ? 2 * s->cap : 16;
		struct share *nv = realloc(s->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = (struct share){ .pid = child, .owner = owner };
	return 0;
}

uint32_t mw_mmshare_leave(struct mw_mmshare *s, uint32_t pid)
{
	uint32_t heir = 0;
	int i;

	if (!s || !s->n)
		return 0;
	i = find(s, pid);
	if (i >= 0) {
		s->v[i] = s->v[--s->n];
		return 0;
	}
	/* pid may own the memory: the first sharer takes it over */
	for (unsigned k = 0; k < s->n;) {
		if (s->v[k].owner != pid) {
			k++;
		} else if (!heir) {
			heir = s->v[k].pid;
			s->v[k] = s->v[--s->n];
		} else {
			s->v[k++].owner = heir;
		}
	}
	return heir;
}

unsigned mw_mmshare_count(const struct mw_mmshare *s)
{
	return s ? s->n : 0;
}
