/* capture_store.c - --capture DIR: one file per payload, the same sha256 stored once, a byte quota, written by its own thread; failures counted, never blocking the reader. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "capture_store.h"
#include "thread.h"
#include "vec.h"

#define QUEUE_BYTES (64u << 20) /* payload bytes waiting for the writer at most */
#define SUFFIX ".bin"

struct job {
	struct job *next;
	char name[256];
	size_t len;
	uint8_t bytes[];
};

/* A file kept in DIR: its name (which sorts by time) and size. */
struct kept {
	char name[256];
	char sha[65];
	uint64_t size;
	bool written;       /* on disk (not still queued): counted in total, removable */
};

struct mw_store {
	char dir[4096];
	uint64_t quota;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle_cv; /* work queued; a job finished */
	struct job *head, *tail;
	size_t queued;
	bool stop;
	struct kept *k;     /* in name order (oldest first); writer thread + put under mu */
	size_t nk, capk;
	uint64_t total;     /* bytes of the kept files written */
	struct mw_store_stats st;
};

/* "<anything>-<64 hex>.bin": the sha256 part of a stored file's name. */
static int name_sha(const char *name, char sha[65])
{
	size_t n = strlen(name);

	if (n < 64 + 1 + strlen(SUFFIX) || strcmp(name + n - strlen(SUFFIX), SUFFIX) != 0)
		return -1;
	const char *h = name + n - strlen(SUFFIX) - 64;
	if (h[-1] != '-')
		return -1;
	for (int i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return -1;
	memcpy(sha, h, 64);
	sha[64] = 0;
	return 0;
}

static int kept_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kept *)a)->name, ((const struct kept *)b)->name);
}

static int kept_add(struct mw_store *s, const char *name, const char *sha, uint64_t size, bool written)
{
	if (mw_vec_grow((void **)&s->k, &s->capk, s->nk, sizeof(*s->k), 64))
		return -1;
	struct kept *e = &s->k[s->nk++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->sha, sizeof(e->sha), "%s", sha);
	e->size = size;
	e->written = written;
	if (written)
		s->total += size;
	return 0;
}

static const struct kept *kept_find(const struct mw_store *s, const char *sha)
{
	for (size_t i = s->nk; i-- > 0;)
		if (!strcmp(s->k[i].sha, sha))
			return &s->k[i];
	return NULL;
}

/* Oldest files written out until the written bytes fit the quota (mu
 * held); files still queued stay (they are the newest). */
static void enforce_quota(struct mw_store *s)
{
	char path[4096 + 260];
	size_t i = 0, j = 0;

	for (; i < s->nk; i++) {
		if (s->quota && s->total > s->quota && s->k[i].written) {
			snprintf(path, sizeof(path), "%s/%s", s->dir, s->k[i].name);
			if (unlink(path) == 0 || errno == ENOENT)
				s->st.quota_removed++;
			s->total -= s->k[i].size;
			continue;
		}
		if (j != i)
			s->k[j] = s->k[i];
		j++;
	}
	s->nk = j;
}

/* One file, written whole under a temporary name, then renamed: a reader
 * never sees half a payload. Returns 0 or an errno. */
static int write_file(const char *dir, const char *name, const uint8_t *b, size_t len)
{
	char tmp[4096 + 260], path[4096 + 260];
	int fd, e = 0;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno;
	while (off < len) {
		ssize_t w = write(fd, b + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e)
		unlink(tmp);
	return e;
}

static void *writer(void *arg)
{
	struct mw_store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->head)
			break;
		struct job *j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);
		int e = write_file(s->dir, j->name, j->bytes, j->len);
		pthread_mutex_lock(&s->mu);
		s->queued -= j->len;
		if (e) {
			s->st.write_failed++;
			s->st.last_errno = e;
			/* not kept: a later payload with this sha256 is written again */
			for (size_t i = 0; i < s->nk; i++) {
				if (!strcmp(s->k[i].name, j->name)) {
					memmove(s->k + i, s->k + i + 1, (s->nk - i - 1) * sizeof(*s->k));
					s->nk--;
					break;
				}
			}
		} else {
			s->st.saved++;
			s->st.saved_bytes += j->len;
			for (size_t i = 0; i < s->nk; i++) {
				if (!strcmp(s->k[i].name, j->name)) {
					s->k[i].written = true;
					s->total += j->len;
					break;
				}
			}
			enforce_quota(s);
		}
		free(j);
		pthread_cond_broadcast(&s->idle_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The files a previous run left: their sha256s and sizes, oldest first. */
static void scan_dir(struct mw_store *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	char sha[65];
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (name_sha(de->d_name, sha) || strlen(de->d_name) >= sizeof(s->k[0].name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		kept_add(s, de->d_name, sha, (uint64_t)st.st_size, true);
	}
	closedir(d);
	if (s->nk > 1)
		qsort(s->k, s->nk, sizeof(*s->k), kept_cmp);
}

struct mw_store *mw_store_open(const char *dir, uint64_t quota, char *err, size_t errlen)
{
	struct mw_store *s;
	struct stat st;
	char probe[4096 + 64];
	int fd;

	if (strlen(dir) >= sizeof(s->dir) - 1) {
		snprintf(err, errlen, "--capture '%s': the name is too long", dir);
		return NULL;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "--capture '%s': %s (create the directory first)", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--capture '%s' is not a directory", dir);
		return NULL;
	}
	snprintf(probe, sizeof(probe), "%s/.mapwatch-probe-%d", dir, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "--capture '%s' is not writable: %s (choose a directory mapwatch can write)", dir,
			 strerror(errno));
		return NULL;
	}
	close(fd);
	unlink(probe);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->quota = quota;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->idle_cv, NULL);
	scan_dir(s);
	pthread_mutex_lock(&s->mu);
	enforce_quota(s);
	pthread_mutex_unlock(&s->mu);
	int e = mw_thread_start(&s->thr, writer, s);
	if (e) {
		snprintf(err, errlen, "cannot start the --capture writer: %s", strerror(e));
		free(s->k);
		free(s);
		return NULL;
	}
	return s;
}

/* "kind" limited to the characters a file name takes without quoting. */
static void clean_word(char *dst, size_t n, const char *w)
{
	size_t i = 0;

	for (; w && *w && i + 1 < n; w++)
		dst[i++] = ((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') || *w == '_') ? *w : '_';
	dst[i] = 0;
}

int mw_store_put(struct mw_store *s, const void *bytes, size_t len, const char *sha256, uint32_t pid,
		 uint64_t ts_ns, const char *kind, char *file, size_t filelen)
{
	char name[256], word[48], stamp[32];
	const struct kept *old;
	struct job *j;
	struct tm tm;
	time_t sec = (time_t)(ts_ns / 1000000000ull);

	file[0] = 0;
	pthread_mutex_lock(&s->mu);
	old = kept_find(s, sha256);
	if (old) {
		s->st.deduplicated++;
		snprintf(file, filelen, "%s/%s", s->dir, old->name);
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	if (s->queued + len > QUEUE_BYTES) {
		s->st.queue_dropped++;
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	j = malloc(sizeof(*j) + len);
	if (!j) {
		s->st.queue_dropped++;
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	clean_word(word, sizeof(word), kind);
	snprintf(name, sizeof(name), "%s.%09lluZ-pid%u-%s-%s%s", stamp, (unsigned long long)(ts_ns % 1000000000ull),
		 pid, word, sha256, SUFFIX);
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->len = len;
	j->next = NULL;
	memcpy(j->bytes, bytes, len);
	/* kept from now on: the same sha256 queued again is not written twice */
	kept_add(s, name, sha256, len, false);
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	s->queued += len;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	snprintf(file, filelen, "%s/%s", s->dir, name);
	return 0;
}

void mw_store_drain(struct mw_store *s, int wait_ms)
{
	struct timespec until;

	if (!s)
		return;
	mw_deadline_ms(&until, wait_ms);
	pthread_mutex_lock(&s->mu);
	while (s->head || s->queued)
		if (pthread_cond_timedwait(&s->idle_cv, &s->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->mu);
}

void mw_store_stats(struct mw_store *s, struct mw_store_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

void mw_store_close(struct mw_store *s)
{
	if (!s)
		return;
	mw_thread_stop(s->thr, &s->mu, &s->cv, &s->stop);
	free(s->k);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->idle_cv);
	free(s);
}
