/* capture_store.h - --capture DIR: one file per payload (named time-pid-kind-sha256.bin, mode 0600), the same sha256 stored once, a byte quota (oldest out), written by its own thread; failures counted, never blocking. */
#ifndef MW_CAPTURE_STORE_H
#define MW_CAPTURE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct mw_store;

struct mw_store_stats {
	uint64_t saved;         /* files written */
	uint64_t saved_bytes;
	uint64_t deduplicated;  /* payloads whose sha256 was already stored: not written again */
	uint64_t quota_removed; /* files removed for --capture-quota */
	uint64_t write_failed;  /* files that could not be written (disk full, DIR gone or unwritable) */
	uint64_t queue_dropped; /* payloads dropped: the writer's queue was full */
	int last_errno;         /* the last failure's errno (0: none) */
};

/* Open DIR (it must exist, be a directory and be writable: checked by
 * creating and removing a file) with a quota in bytes (0: none). Reads
 * the names already there (their sha256, their sizes) and starts the
 * writer thread. NULL with a one-line reason in err. */
struct mw_store *mw_store_open(const char *dir, uint64_t quota, char *err, size_t errlen);

/* Queue bytes[0..len) (copied) with sha256 hex for saving, made by host
 * pid at ts_ns (CLOCK_REALTIME) for an alert of kind (its name). Writes
 * the file's path into file (already stored: the existing one's). 0, or -1
 * when it is not saved (queue full: counted; file then ""). */
int mw_store_put(struct mw_store *s, const void *bytes, size_t len, const char *sha256, uint32_t pid,
		 uint64_t ts_ns, const char *kind, char *file, size_t filelen);

/* Wait up to wait_ms for what is queued to be written (the end of a run, before --stats). */
void mw_store_drain(struct mw_store *s, int wait_ms);

void mw_store_stats(struct mw_store *s, struct mw_store_stats *out);

/* Write what is queued, stop the thread, free s. NULL is a no-op. */
void mw_store_close(struct mw_store *s);

#endif
