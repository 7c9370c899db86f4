/* mmshare.h - processes that share one memory (clone(CLONE_VM) without CLONE_THREAD, vfork): which process's region map holds their memory. */
#ifndef MW_MMSHARE_H
#define MW_MMSHARE_H

#include <stdint.h>

/*
 * A child made with CLONE_VM (vfork, or clone(CLONE_VM) without
 * CLONE_THREAD) is a process of its own that maps, writes and protects the
 * memory of its parent: its calls must change the one region map of that
 * memory, not a copy. The table says, for each such process, which process
 * (the "owner") the alert engine keeps the memory's map under. The owner of
 * a chain (a CLONE_VM child of a CLONE_VM child) is the first process. A
 * sharer leaves at its exec (a new memory) or exit; when the owner leaves
 * while sharers remain, one of them becomes the owner of the rest
 * (mw_mmshare_leave says which, so that the map moves to it).
 */
struct mw_mmshare;

/* A new, empty table; NULL when out of memory. */
struct mw_mmshare *mw_mmshare_new(void);

/* Free it; NULL is a no-op. */
void mw_mmshare_free(struct mw_mmshare *s);

/* The process whose region map holds pid's memory: pid itself unless pid shares another's. */
uint32_t mw_mmshare_owner(const struct mw_mmshare *s, uint32_t pid);

/* child was made sharing parent's memory. Returns 0, or -1 (out of memory:
 * the child keeps a copy of its own, as before). */
int mw_mmshare_add(struct mw_mmshare *s, uint32_t child, uint32_t parent);

/* pid no longer uses the memory (exec, exit). Returns the process that
 * owns the memory from now on when pid owned it and sharers remain (the
 * caller moves the map from pid to it), else 0. */
uint32_t mw_mmshare_leave(struct mw_mmshare *s, uint32_t pid);

/* Number of sharers (for tests). */
unsigned mw_mmshare_count(const struct mw_mmshare *s);

#endif
