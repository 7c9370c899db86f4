/* exehash.h - the sha256 of a process's executable (or a mapped file), cached by (device, inode, mtime, ctime) so a busy host reads each file once. */
#ifndef MW_EXEHASH_H
#define MW_EXEHASH_H

#include <stdint.h>

struct mw_exehash;

struct mw_exehash *mw_exehash_new(void);
void mw_exehash_free(struct mw_exehash *h);

/* The sha256 (hex) of the executable of host pid (its /proc/PID/exe, else
 * path when the process is gone; proc: "/proc"), or NULL when neither can
 * be read. The string lives until the next call. */
const char *mw_exehash_get(struct mw_exehash *h, const char *proc, uint32_t pid, const char *path);

/* The same for any file: first (a /proc link such as /proc/PID/map_files/A-B,
 * opened through), else path. */
const char *mw_filehash_get(struct mw_exehash *h, const char *first, const char *path);

/* Files hashed (cache misses) and answers from the cache. */
void mw_exehash_counts(const struct mw_exehash *h, uint64_t *hashed, uint64_t *cached);

#endif
