/* exehash.c - the sha256 of a process's executable, cached by (device, inode, mtime, ctime). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "exehash.h"

#define ENTRIES 256

struct entry {
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	uint64_t used;   /* 0: empty */
	char hex[65];
};

struct mw_exehash {
	struct entry e[ENTRIES];
	uint64_t tick, hashed, cached;
	char out[65];
};

struct mw_exehash *mw_exehash_new(void)
{
	return calloc(1, sizeof(struct mw_exehash));
}

void mw_exehash_free(struct mw_exehash *h)
{
	free(h);
}

static int same(const struct entry *e, const struct stat *st)
{
	return e->used && e->dev == st->st_dev && e->ino == st->st_ino && e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec && e->ctime.tv_sec == st->st_ctim.tv_sec &&
	       e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int hash_fd(int fd, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int n = 0;
	ssize_t r;
	int rc = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(ctx, buf, (size_t)r))
			goto out;
	if (r < 0 || !EVP_DigestFinal_ex(ctx, md, &n) || n != 32)
		goto out;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *mw_exehash_get(struct mw_exehash *h, const char *proc, uint32_t pid, const char *path)
{
	char p[64];

	snprintf(p, sizeof(p), "%s/%u/exe", proc, pid);
	return mw_filehash_get(h, p, path);
}

const char *mw_filehash_get(struct mw_exehash *h, const char *first, const char *path)
{
	struct stat st;
	struct entry *slot;
	int fd;

	if (!h)
		return NULL;
	fd = first ? open(first, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 && path && path[0] == '/')
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	slot = &h->e[0];
	for (int i = 0; i < ENTRIES; i++) {
		if (same(&h->e[i], &st)) {
			h->e[i].used = ++h->tick;
			h->cached++;
			close(fd);
			memcpy(h->out, h->e[i].hex, sizeof(h->out));
			return h->out;
		}
		if (h->e[i].used < slot->used)
			slot = &h->e[i];
	}
	if (hash_fd(fd, h->out)) {
		close(fd);
		return NULL;
	}
	close(fd);
	h->hashed++;
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	slot->mtime = st.st_mtim;
	slot->ctime = st.st_ctim;
	slot->used = ++h->tick;
	memcpy(slot->hex, h->out, sizeof(slot->hex));
	return h->out;
}

void mw_exehash_counts(const struct mw_exehash *h, uint64_t *hashed, uint64_t *cached)
{
	*hashed = h ? h->hashed : 0;
	*cached = h ? h->cached : 0;
}
