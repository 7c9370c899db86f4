/* pidtab.c - a table of fixed-size entries keyed by process id: open addressing, linear probing, backward-shift deletion. */
#include "pidtab.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/* Each slot: this header, then the entry at offset HDR. */
struct hdr {
	uint32_t pid;
	uint8_t used;
};

#define HDR ((sizeof(struct hdr) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

static size_t hash_pid(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static struct hdr *at(const struct mw_pidtab *t, size_t i)
{
	return (struct hdr *)(void *)(t->slot + i * t->stride);
}

void mw_pidtab_free(struct mw_pidtab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->nslots = t->count = 0;
}

static size_t find(const struct mw_pidtab *t, uint32_t pid)
{
	size_t mask = t->nslots - 1;

	for (size_t i = hash_pid(pid) & mask;; i = (i + 1) & mask)
		if (!at(t, i)->used || at(t, i)->pid == pid)
			return i;
}

void *mw_pidtab_get(const struct mw_pidtab *t, uint32_t pid)
{
	if (!t->nslots)
		return NULL;
	struct hdr *h = at(t, find(t, pid));
	return h->used ? (unsigned char *)h + HDR : NULL;
}

static int grow(struct mw_pidtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	size_t stride = t->stride ? t->stride
				  : HDR + ((t->esz + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1));
	struct mw_pidtab nt = { .esz = t->esz, .stride = stride, .nslots = n, .count = t->count };

	nt.slot = calloc(n, stride);
	if (!nt.slot) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < t->nslots; i++)
		if (at(t, i)->used)
			memcpy(at(&nt, find(&nt, at(t, i)->pid)), at(t, i), stride);
	free(t->slot);
	*t = nt;
	return 0;
}

void *mw_pidtab_add(struct mw_pidtab *t, uint32_t pid, int *added)
{
	void *e = mw_pidtab_get(t, pid);

	if (added)
		*added = !e;
	if (e)
		return e;
	if ((t->count + 1) * 2 > t->nslots && grow(t))
		return NULL;
	struct hdr *h = at(t, find(t, pid));
	memset(h, 0, t->stride);
	h->used = 1;
	h->pid = pid;
	t->count++;
	return (unsigned char *)h + HDR;
}

void mw_pidtab_del(struct mw_pidtab *t, void *e)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)((unsigned char *)e - HDR - t->slot) / t->stride, j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!at(t, j)->used)
			break;
		size_t k = hash_pid(at(t, j)->pid) & mask;
		/* slot j may move to the hole at i unless its home k lies cyclically in (i, j] */
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			memcpy(at(t, i), at(t, j), t->stride);
			i = j;
		}
	}
	at(t, i)->used = 0;
	t->count--;
}

void *mw_pidtab_next(const struct mw_pidtab *t, size_t *i, uint32_t *pid)
{
	for (; *i < t->nslots; (*i)++) {
		struct hdr *h = at(t, *i);
		if (h->used) {
			(*i)++;
			if (pid)
				*pid = h->pid;
			return (unsigned char *)h + HDR;
		}
	}
	return NULL;
}
