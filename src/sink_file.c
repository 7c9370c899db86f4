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
	int fd;                /* -1: none (a failed rotation) */
	bool fifo;             /* fd is a pipe (asked once per fd, not per flush) */
	struct strbuf out;     /* lines not yet written, formatted here: one write(2) per flush or full buffer */
	size_t off;            /* out's first off bytes are written already (a rotation between) */
	uint64_t size;         /* bytes in the current file (written or buffered) */
	struct mw_sink_stats st;
	int err;               /* errno of a failure not yet reported by flush */
};

/* What the sink keeps before a write(2). The stdio stream it replaced asked
 * for 64 KiB, but glibc's setvbuf ignores the size without a buffer and
 * used st_blksize (4 KiB on tmpfs): 60 KiB more here, for a sixteenth of
 * the write calls (fmtbench to tmpfs: 16 KiB 510 ns per event, 64 KiB 479).
 * Lines are formatted straight into it (mw_rec_append): it is written out
 * before a line when less than LINE_ROOM is left, so a usual line never
 * makes it grow; one that does (a long --stack) is given back after. */
#define FILE_BUF (1u << 16)
#define LINE_ROOM 4096

static int open_stream(struct file_sink *f, bool append, uint64_t *size)
{
	int fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600); /* it lists every process's files */
	struct stat st;

	if (fd < 0)
		return -1;
	*size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return fd;
}

/* Write p[0..n) whole (short writes and EINTR retried). 0, or -1 with errno. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write what is buffered up to upto (the end of a rotated file's part). 0,
 * or -1 with f->err set (the first error kept). */
static int push_to(struct file_sink *f, size_t upto)
{
	size_t from = f->off;
	int rc = 0;

	if (upto > from && write_all(f->fd, f->out.p + from, upto - from)) {
		if (!f->err)
			f->err = errno;
		rc = -1;
	}
	f->off = upto;
	if (upto == f->out.len) {
		sb_reset(&f->out);
		f->off = 0;
		if (f->out.cap > 4 * FILE_BUF) {
			sb_free(&f->out); /* a huge line made it grow: back to the usual size */
			sb_room(&f->out, FILE_BUF - 1);
		}
	}
	return rc;
}

/* Write everything buffered. */
static int push(struct file_sink *f)
{
	return push_to(f, f->out.len);
}

static bool is_fifo(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* f writes to fd from now on (opened by open_stream, size bytes long). */
static void use_stream(struct file_sink *f, int fd, uint64_t size)
{
	f->fd = fd;
	f->fifo = is_fifo(fd);
	f->size = size;
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

/* Close the file (after writing what is buffered before upto), shift PATH.k
 * to PATH.k+1 (the last one removed) and PATH to PATH.1, then start a new PATH. */
static int rotate(struct file_sink *f, size_t upto)
{
	int nf;
	uint64_t size;

	push_to(f, upto);
	if (close(f->fd) && !f->err)
		f->err = errno;
	f->fd = -1;
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
	if (nf < 0) {
		f->err = errno;
		return -1;
	}
	use_stream(f, nf, size);
	f->st.rotations++;
	return 0;
}

static int file_write(struct mw_sink *s, struct mw_rec *r)
{
	struct file_sink *f = (struct file_sink *)s;
	size_t start, len;

	if (f->fd < 0) {
		errno = f->err ? f->err : EBADF;
		return -1;
	}
	if (f->out.len + LINE_ROOM > FILE_BUF && push(f)) {
		errno = f->err;
		return -1;
	}
	start = f->out.len;
	len = mw_rec_append(r, f->fmt, &f->out);
	if (!len) {
		f->st.dropped++;
		return 0; /* out of memory for this one line: counted, not fatal */
	}
	if (f->rotate_size && f->size > 0 && f->size + len > f->rotate_size && rotate(f, start)) {
		errno = f->err;
		return -1;
	}
	f->size += len;
	f->st.written++;
	return 0;
}

/* True when the output is a pipe whose reader has gone (mapwatch | head):
 * noticed even while no event is being written. */
static bool reader_gone(struct file_sink *f)
{
	struct pollfd p = { .fd = f->fd, .events = POLLOUT };

	if (!f->fifo)
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static int file_flush(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;

	if (f->fd < 0) {
		errno = f->err ? f->err : EBADF;
		return -1;
	}
	if (push(f) || f->err) {
		errno = f->err;
		return -1; /* nowhere to write: the tracer stops */
	}
	if (reader_gone(f)) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static int file_reopen(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;
	int nf;
	uint64_t size;

	if (!f->path)
		return 0; /* standard output stays what it is */
	if (f->fd >= 0)
		push(f);
	nf = open_stream(f, true, &size); /* logrotate may have moved it away, or not */
	if (nf < 0)
		return -1; /* keep writing to the old one */
	if (f->fd >= 0 && close(f->fd) && !f->err)
		f->err = errno;
	use_stream(f, nf, size);
	f->st.reopens++;
	return 0;
}

static void file_stats(struct mw_sink *s, struct mw_sink_stats *st)
{
	struct file_sink *f = (struct file_sink *)s;

	*st = f->st;
	st->connected = f->fd >= 0;
}

static void file_close(struct mw_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;

	if (f->fd >= 0) {
		push(f);
		if (f->path)
			close(f->fd);
	}
	sb_free(&f->out);
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
	if (!sb_room(&f->out, FILE_BUF - 1)) {
		sb_free(&f->out);
		free(f);
		mw_err_line("out of memory");
		return NULL;
	}
	if (!path || !strcmp(path, "-")) {
		f->base.name = "standard output";
		fflush(stdout); /* anything stdio holds goes first: the stream is written to fd 1 directly */
		f->fd = STDOUT_FILENO;
		f->fifo = is_fifo(f->fd);
		return &f->base;
	}
	f->path = strdup(path);
	if (!f->path) {
		sb_free(&f->out);
		free(f);
		mw_err_line("out of memory");
		return NULL;
	}
	f->base.name = f->path;
	uint64_t size;
	int fd = open_stream(f, append, &size);
	if (fd < 0) {
		mw_err_line("cannot open output file %s: %s", path, strerror(errno));
		sb_free(&f->out);
		free(f->path);
		free(f);
		return NULL;
	}
	use_stream(f, fd, size);
	return &f->base;
}
