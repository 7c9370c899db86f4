/* capture.c - evidence payloads: the chunk records of one capture put back together, unreadable pages read again from /proc/PID/mem, their sha256 (OpenSSL's EVP). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "capture.h"
#include "capture_abi.h"

/* A thread has at most one call in flight, so one capture per thread is in
 * flight at a time; a few threads' captures may interleave in the buffer.
 * One capture's chunks come in order (one program run reserves them one
 * after the other); when the buffer is full the rest are not sent, so a
 * chunk out of order is malformed and memory grows only with what came. */
#define SLOTS 64

struct slot {
	uint32_t pid, tid;     /* tid 0: free */
	uint64_t ts;
	uint64_t addr, region_len;
	uint32_t count;        /* pages expected */
	uint32_t got;          /* pages received: 0 .. got-1, in order */
	uint32_t cap;          /* pages bytes holds */
	uint16_t flags;        /* OR of the chunks' MW_CHUNK_TRUNC/BUDGET */
	uint8_t *bytes;        /* got pages, grown as they come */
	uint8_t *unread;       /* per page (count): 1 the kernel could not read it */
	uint64_t age;          /* last chunk's sequence number (eviction) */
};

struct mw_captures {
	struct slot s[SLOTS];
	uint64_t seq;
	uint64_t orphans;
};

struct mw_captures *mw_captures_new(void)
{
	return calloc(1, sizeof(struct mw_captures));
}

static void slot_clear(struct slot *s)
{
	free(s->bytes);
	free(s->unread);
	memset(s, 0, sizeof(*s));
}

void mw_captures_free(struct mw_captures *c)
{
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		slot_clear(&c->s[i]);
	free(c);
}

static struct slot *slot_of(struct mw_captures *c, uint32_t tid)
{
	for (int i = 0; i < SLOTS; i++)
		if (c->s[i].tid == tid)
			return &c->s[i];
	return NULL;
}

void mw_captures_chunk(struct mw_captures *c, const void *rec, size_t size)
{
	struct mw_chunk_rec r;
	struct slot *s;

	if (!c || size < sizeof(r)) {
		if (c)
			c->orphans++;
		return;
	}
	memcpy(&r, rec, sizeof(r));
	if (r.tid == 0 || r.count == 0 || r.count > (1u << 16) || r.index >= r.count) {
		c->orphans++;
		return;
	}
	s = slot_of(c, r.tid);
	if (s && (s->ts != r.ts || s->count != r.count || r.index != s->got)) {
		/* the thread's earlier capture: its event never came */
		c->orphans++;
		slot_clear(s);
		s = NULL;
		if (r.index != 0)
			return; /* the rest of the capture dropped: counted once */
	}
	if (!s) {
		if (r.index != 0) {
			c->orphans++; /* the start of this capture was lost */
			return;
		}
		s = slot_of(c, 0);
		if (!s) {
			/* every slot taken: the oldest goes */
			s = &c->s[0];
			for (int i = 1; i < SLOTS; i++)
				if (c->s[i].age < s->age)
					s = &c->s[i];
			c->orphans++;
			slot_clear(s);
		}
		s->unread = calloc(r.count, 1);
		if (!s->unread) {
			slot_clear(s);
			c->orphans++;
			return;
		}
		s->pid = r.pid;
		s->tid = r.tid;
		s->ts = r.ts;
		s->count = r.count;
		s->addr = r.addr - (uint64_t)r.index * MW_CHUNK_BYTES;
		s->region_len = r.region_len;
	}
	if (s->got == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		if (cap > s->count)
			cap = s->count;
		uint8_t *b = realloc(s->bytes, (size_t)cap * MW_CHUNK_BYTES);
		if (!b) {
			slot_clear(s);
			c->orphans++;
			return;
		}
		s->bytes = b;
		s->cap = cap;
	}
	s->age = ++c->seq;
	s->flags |= r.flags & (MW_CHUNK_TRUNC | MW_CHUNK_BUDGET | MW_CHUNK_ENTRY | MW_CHUNK_EXIT);
	s->unread[r.index] = (r.flags & MW_CHUNK_UNREAD) != 0;
	memcpy(s->bytes + (size_t)r.index * MW_CHUNK_BYTES, r.data, MW_CHUNK_BYTES);
	s->got++;
}

int mw_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		hex[0] = 0;
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Pages the kernel could not read (not present: a file page not yet mapped
 * in, swapped out), read through /proc/PID/mem, which faults them in, while
 * the process lives. Anonymous pages never touched read as zeros both ways. */
static void read_again(struct slot *s, const char *proc, struct mw_payload *out)
{
	char path[64];
	int fd = -1;

	for (uint32_t i = 0; i < s->got; i++) {
		if (!s->unread[i])
			continue;
		if (fd < 0) {
			snprintf(path, sizeof(path), "%s/%u/mem", proc, s->pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd >= 0 && pread(fd, s->bytes + (size_t)i * MW_CHUNK_BYTES, MW_CHUNK_BYTES,
				     (off_t)(s->addr + (uint64_t)i * MW_CHUNK_BYTES)) == MW_CHUNK_BYTES) {
			out->from_proc++;
		} else {
			memset(s->bytes + (size_t)i * MW_CHUNK_BYTES, 0, MW_CHUNK_BYTES);
			out->unread++;
		}
	}
	if (fd >= 0)
		close(fd);
}

int mw_captures_take(struct mw_captures *c, uint32_t pid, uint32_t tid, uint64_t ts, const char *proc,
		     struct mw_payload *out)
{
	struct slot *s = c ? slot_of(c, tid) : NULL;
	uint32_t whole;

	memset(out, 0, sizeof(*out));
	if (!s || s->ts != ts || !tid)
		return -1;
	whole = s->got; /* the pages up to the first one lost in the ring buffer */
	read_again(s, proc, out);
	out->bytes = s->bytes;
	s->bytes = NULL;
	out->len = (size_t)whole * MW_CHUNK_BYTES;
	out->addr = s->addr;
	out->region_len = s->region_len;
	out->truncated = (s->flags & MW_CHUNK_TRUNC) || whole < s->count || out->len < s->region_len;
	out->at = (s->flags & MW_CHUNK_EXIT) ? "exit" : "syscall";
	out->before = (s->flags & MW_CHUNK_ENTRY) != 0;
	if (mw_sha256_hex(out->bytes ? out->bytes : (const uint8_t *)"", out->len, out->sha256))
		snprintf(out->sha256, sizeof(out->sha256), "%s", "unknown");
	slot_clear(s);
	return 0;
}

uint64_t mw_captures_orphans(const struct mw_captures *c)
{
	return c ? c->orphans : 0;
}

void mw_payload_free(struct mw_payload *p)
{
	if (!p)
		return;
	free(p->bytes);
	p->bytes = NULL;
	p->len = 0;
}
