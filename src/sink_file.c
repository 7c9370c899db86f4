/* sink_file.c - the event stream sink: table or JSON lines to a file or standard output, with size rotation and SIGHUP reopen. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "msg.h"
#include "sink.h"

struct file_sink {
	struct mw_sink base;
	char *path;            /* NULL: standard output */
	enum mw_fmt fmt;
	bool append;
	uint64_t rotate_size;  /* 0: never */
	unsigned rotate_keep;
	FILE *out;
	uint64_t size;         /* bytes in the current file */
	struct mw_sink_stats st;
	int err;               /* errno of a failure not yet reported by flush */
};

static FILE *open_stream(struct file_sink *f, bool append, uint64_t *size)
{
	int fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600); /* it lists every process's files */
	struct stat st;
	FILE *out;

	if (fd < 0)
		return NULL;
	out = fdopen(fd, "w");
	if (!out) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	*size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return out;
}

/* PATH.N for rotation (N 0: PATH itself). */
static char *numbered(const char *path, unsigned n)
{
	size_t len = strlen(path) + 12;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, n ? "%s.%u" : "%s", path, n);
	return p;
}

/* Close the file, shift PATH.k to PATH.k+1 (the last one removed) and
 * PATH to PATH.1, then start a new PATH. */
static int rotate(struct file_sink *f)
{
	FILE *nf;
	uint64_t size;

	if (fclose(f->out) && !f->err)
		f->err = errno;
	f->out = NULL;
	if (f->rotate_keep == 0) {
		if (truncate(f->path, 0) && errno != ENOENT && !f->err)
			f->err = errno;
	} else {
		for (unsigned k = f->rotate_keep; k >= 1; k--) {
			char *from = numbered(f->path, k - 1), *to = numbered(f->path, k);
			if (from && to)
				rename(from, to); /* a missing PATH.k is fine */
			free(from);
			free(to);
		}
	}
	nf = open_stream(f, false, &size);
	if (!nf) {
		f->err = errno;
		return -1;
	}
	f->out = nf;
	f->size = size;
	f->st.rotations++;
	return 0;
}

static int file_write(struct mw_sink *s, struct mw_rec *r)
{
	struct file_sink *f = (struct file_sink *)s;
	size_t len;
	const char *line = mw_rec_line(r, f->fmt, &len);

	if (!f->out) {
		errno = f->err ? f->err : EBADF;
		return -1;
	}
	if (!line) {
		f->st.dropped++;
		return 0; /* out of memory for this one line: counted, not fatal */
	}
	if (f->rotate_size && f->size > 0 && f->size + len > f->rotate_size && rotate(f)) {
		errno = f->err;
		return -1;
	}
	fwrite(line, 1, len, f->out);
	f->size += len;
	f->st.written++;
	if (ferror(f->out)) {
		if (!f->err)
			f->err = errno;
		return -1;
	}
	return 0;
}

/* True when the output is a pipe whose reader has gone (mapwatch | head):
 * noticed even while no event is being written. */
static bool reader_gone(FILE *out)
{
	struct pollfd p = { .fd = fileno(out), .events = POLLOUT };
	struct stat st;

	if (fstat(p.fd, &st) || !S_ISFIFO(st.st_mode))
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static int file_flush(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;

	if (!f->out) {
		errno = f->err ? f->err : EBADF;
		return -1;
	}
	if (fflush(f->out) || ferror(f->out)) {
		if (!f->err)
			f->err = errno;
		errno = f->err;
		return -1; /* nowhere to write: the tracer stops */
	}
	if (reader_gone(f->out)) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static int file_reopen(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;
	FILE *nf;
	uint64_t size;

	if (!f->path)
		return 0; /* standard output stays what it is */
	if (f->out)
		fflush(f->out);
	nf = open_stream(f, true, &size); /* logrotate may have moved it away, or not */
	if (!nf)
		return -1; /* keep writing to the old one */
	if (f->out && fclose(f->out) && !f->err)
		f->err = errno;
	f->out = nf;
	f->size = size;
	f->st.reopens++;
	return 0;
}

static void file_stats(struct mw_sink *s, struct mw_sink_stats *st)
{
	struct file_sink *f = (struct file_sink *)s;

	*st = f->st;
	st->connected = f->out != NULL;
}

static void file_close(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;

	if (f->out && f->path)
		fclose(f->out);
	else if (f->out)
		fflush(f->out);
	free(f->path);
	free(f);
}

static const struct mw_sink_ops file_ops = {
	.write = file_write,
	.flush = file_flush,
	.reopen = file_reopen,
	.stats = file_stats,
	.close = file_close,
};

struct mw_sink *mw_sink_file_new(const char *path, enum mw_fmt fmt, bool append,
				 uint64_t rotate_size, unsigned rotate_keep)
{
	struct file_sink *f = calloc(1, sizeof(*f));

	if (!f) {
		mw_err_line("out of memory");
		return NULL;
	}
	f->base.ops = &file_ops;
	f->base.mask = MW_RKM_ALL;
	f->base.essential = true;
	f->fmt = fmt;
	f->append = append;
	f->rotate_size = rotate_size;
	f->rotate_keep = rotate_keep;
	if (!path || !strcmp(path, "-")) {
		f->base.name = "standard output";
		f->out = stdout;
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		return &f->base;
	}
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		mw_err_line("out of memory");
		return NULL;
	}
	f->base.name = f->path;
	f->out = open_stream(f, append, &f->size);
	if (!f->out) {
		mw_err_line("cannot open output file %s: %s", path, strerror(errno));
		free(f->path);
		free(f);
		return NULL;
	}
	return &f->base;
}
