/* capture.h - evidence payloads: the chunk records of one capture put back together (capture_abi.h), unreadable pages read again from /proc/PID/mem, and their sha256. Saving them is capture_store.h. */
#ifndef MW_CAPTURE_H
#define MW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* The bytes of a region a call made executable, as one alert carries them. */
struct mw_payload {
	uint8_t *bytes;        /* owned (mw_payload_free) */
	size_t len;            /* bytes captured (whole pages) */
	uint64_t addr;         /* user address of bytes[0] */
	uint64_t region_len;   /* bytes of the region the call made executable */
	bool truncated;        /* len < region_len: --capture-max, the kernel's budget or a lost chunk */
	uint32_t unread;       /* pages neither the kernel nor /proc/PID/mem could read (zeros here) */
	uint32_t from_proc;    /* pages the kernel could not read, read from /proc/PID/mem */
	char sha256[65];       /* hex, of bytes[0..len) */
	char file[512];        /* where --capture saved it ("" when not saved) */
	const char *at;        /* "syscall": copied at the call's exit; a call's name: at its entry (before);
				* "exit": as its process exited (MW_CHUNK_EXIT) */
	bool before;           /* copied at the entry of a munmap/mprotect of W+X memory (MW_CHUNK_ENTRY) */
};

struct mw_captures;

/* Reassembly state for the chunks in flight; NULL on allocation failure. */
struct mw_captures *mw_captures_new(void);
void mw_captures_free(struct mw_captures *c);

/* One MW_REC_CHUNK record of size bytes (ignored when malformed). */
void mw_captures_chunk(struct mw_captures *c, const void *rec, size_t size);

/* The capture of thread tid made by the call that entered at ts, into out
 * (its bytes owned by out); proc is "/proc" (tests: another root). 0, or
 * -1 when none is held (its chunks were lost). */
int mw_captures_take(struct mw_captures *c, uint32_t pid, uint32_t tid, uint64_t ts, const char *proc,
		     struct mw_payload *out);

/* Captures whose event never came (their chunks dropped), and chunks that were malformed. */
uint64_t mw_captures_orphans(const struct mw_captures *c);

/* sha256 of data as 64 hex digits and a NUL into hex. 0, or -1 (libcrypto failed). */
int mw_sha256_hex(const void *data, size_t len, char hex[65]);

void mw_payload_free(struct mw_payload *p);

#endif
