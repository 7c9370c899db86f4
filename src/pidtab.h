/* pidtab.h - a table of fixed-size entries keyed by process id (open addressing), the store of the per-process state. */
#ifndef MW_PIDTAB_H
#define MW_PIDTAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Entries of esz bytes (suitably aligned for any type), one per pid. Zero-
 * initialise the struct and set esz before first use; mw_pidtab_free
 * releases the table (not what entries point to). Adding or removing an
 * entry may move others: entry pointers are valid until the next
 * mw_pidtab_add or mw_pidtab_del. Not thread-safe.
 */
struct mw_pidtab {
	unsigned char *slot;   /* nslots slots of stride bytes; nslots a power of two */
	size_t esz, stride, nslots, count;
};

void mw_pidtab_free(struct mw_pidtab *t);

/* pid's entry, or NULL. */
void *mw_pidtab_get(const struct mw_pidtab *t, uint32_t pid);

/* pid's entry, added zero-filled when absent (*added = 1 then, when added
 * is not NULL); NULL with errno ENOMEM. */
void *mw_pidtab_add(struct mw_pidtab *t, uint32_t pid, int *added);

/* Remove the entry e (from get or add). */
void mw_pidtab_del(struct mw_pidtab *t, void *e);

/* Walk the entries: start with *i = 0; NULL at the end. The table must not
 * change during the walk. *pid gets the entry's pid when pid is not NULL. */
void *mw_pidtab_next(const struct mw_pidtab *t, size_t *i, uint32_t *pid);

#endif
