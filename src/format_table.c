/* format_table.c - the table line of an event (doc/TABLE.md): time, process columns and the call as strace prints it. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "container.h"
#include "decode.h"
#include "format_int.h"

/* The table's " (errno text)": strerror's text copied once per errno with its length. */
static void put_errno_text(struct strbuf *b, int err)
{
	static __thread struct {
		unsigned char n; /* 0: not looked up yet */
		char s[63];
	} cache[160];
	const char *et;
	size_t n;

	if (err > 0 && err < (int)(sizeof(cache) / sizeof(cache[0])) && cache[err].n) {
		et = cache[err].s;
		n = cache[err].n - 1u;
	} else {
		et = mw_errno_text(err);
		if (!et)
			return;
		n = strlen(et);
		if (err > 0 && err < (int)(sizeof(cache) / sizeof(cache[0])) && n < sizeof(cache[0].s)) {
			memcpy(cache[err].s, et, n);
			cache[err].n = (unsigned char)(n + 1);
		}
	}
	sb_put(b, " (", 2);
	sb_put(b, et, n);
	sb_putc(b, ')');
}

static int returns_address(unsigned ev)
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	return d && (d->ret == MW_R_ADDR || d->ret == MW_R_BRK);
}

void mw_format_call(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);

	if (!d)
		return;
	const struct call_text *ct = mw_call_text(e->event);
	sb_put(b, ct->table_open.p, ct->table_open.n);
	int nargs = d->nargs;
	if (e->flags & MW_F_ARGS_FAULT) {
		/* old_mmap's struct was unreadable: its pointer, nothing invented (strace: mmap(0x8)) */
		sb_put_hex(b, e->args[0]);
		nargs = 0;
	}
	for (int i = 0; i < nargs; i++) {
		const struct mw_arg_desc *a = &d->args[i];
		uint64_t x = e->args[i];

		/* mremap's new_address means something only with MREMAP_FIXED (strace omits it) */
		if (e->event == MW_EV_MREMAP && i == 4 && !(e->args[3] & 2))
			break;

		sb_put(b, ct->table_arg[i].p, ct->table_arg[i].n);
		if (e->event == MW_EV_DO_MMAP && i == 4 && (e->flags & MW_F_NO_VMFLAGS)) {
			sb_putc(b, '?'); /* this kernel's do_mmap takes no vm_flags */
			continue;
		}
		switch (a->fmt) {
		case MW_D_HEX:
			if (x == 0)
				sb_puts(b, a->type == MW_T_POINTER ? "NULL" : "0");
			else
				sb_put_hex(b, x);
			break;
		case MW_D_DEC:
		case MW_D_LEN:
		case MW_D_SHMID:
		case MW_D_MAXNODE:
		case MW_D_COUNT:
			/* an unsigned long stays unsigned: 2^63 and more are lengths, not negatives */
			if (a->type == MW_T_INT)
				sb_put_i64(b, mw_arg_signed(a, x));
			else
				sb_put_u64(b, x);
			break;
		case MW_D_FD:
			sb_put_i64(b, (int32_t)x);
			if ((e->flags & MW_F_HAS_FILE) && e->file.kind == MW_FK_BADFD)
				sb_puts(b, "<bad fd>");
			else if ((e->flags & MW_F_HAS_FILE) && v->path) {
				sb_putc(b, '<');
				sb_text_str(b, v->path, strlen(v->path));
				if (e->file.flags & MW_FILE_DELETED)
					sb_puts(b, " (deleted)");
				if (e->file.kind == MW_FK_CHARDEV || e->file.kind == MW_FK_BLOCKDEV) {
					sb_puts(b, e->file.kind == MW_FK_CHARDEV ? " char " : " block ");
					sb_put_u64(b, MW_MAJOR(e->file.rdev));
					sb_putc(b, ':');
					sb_put_u64(b, MW_MINOR(e->file.rdev));
				}
				sb_putc(b, '>');
			}
			break;
		case MW_D_PGOFF:
			sb_put_u64(b, x);
			if (x) {
				sb_puts(b, " (off=");
				sb_put_hex(b, x * 4096);
				sb_putc(b, ')');
			}
			break;
		default: {
			struct txt t;
			mw_decoded(v, a, i, x, &t);
			sb_put(b, t.p, t.n);
			break;
		}
		}
	}
	sb_puts(b, ") = ");
	if (mw_is_error(e->ret)) {
		size_t n;
		const char *en = mw_errno_name_n((int)-e->ret, &n);
		if (en) {
			sb_put(b, "-1 ", 3);
			sb_put(b, en, n);
		} else {
			sb_puts(b, "-1 errno ");
			sb_put_i64(b, -e->ret);
		}
		put_errno_text(b, (int)-e->ret);
	} else if (returns_address(e->event)) {
		sb_put_hex(b, (uint64_t)e->ret);
	} else {
		sb_put_i64(b, e->ret);
	}
	if (e->event == MW_EV_DO_MMAP) {
		if ((e->flags & MW_F_HAS_FILE) && v->path) {
			sb_puts(b, " <");
			sb_text_str(b, v->path, strlen(v->path));
			if (e->file.flags & MW_FILE_DELETED)
				sb_puts(b, " (deleted)");
			sb_putc(b, '>');
		}
		if (e->flags & MW_F_IN_SYSCALL) {
			sb_puts(b, " [in mapping syscall ");
			sb_put_u64(b, e->syscall_nr);
			sb_putc(b, ']');
		} else if (e->syscall_nr != 0xffff) {
			sb_puts(b, " [kernel, during syscall ");
			sb_put_u64(b, e->syscall_nr);
			sb_putc(b, ']');
		} else
			sb_puts(b, " [kernel]");
	}
	if (e->flags & MW_F_COMPAT)
		sb_puts(b, " [32-bit]");
	if (e->flags & MW_F_TOCTOU)
		sb_puts(b, " [args from user memory]");
	if (e->flags & MW_F_IPC)
		sb_puts(b, " [via ipc]");
	if (e->flags & MW_F_ARGS_FAULT)
		sb_puts(b, " [args unreadable]");
	if (e->flags & MW_F_EXIT_ONLY)
		sb_puts(b, " [no entry, refused before it ran (seccomp?): args from registers at exit]");
	if (e->eff_flags & MW_EFFF_ARGS_REREAD)
		sb_puts(b, " [args read at exit]");
	/* the protection the kernel gave, when it is not what was asked */
	int ep = mw_effective_prot(e);
	int asked = (e->event == MW_EV_MMAP || e->event == MW_EV_MMAP2 || e->event == MW_EV_MPROTECT ||
		     e->event == MW_EV_PKEY_MPROTECT) && !(e->flags & MW_F_ARGS_FAULT)
			    ? (int)(e->args[2] & 7) : -1;
	if (ep >= 0 && ep != asked) {
		sb_puts(b, " [effective ");
		mw_decode_prot(b, (uint64_t)ep);
		sb_putc(b, ']');
	} else if (mw_eff_error_name(e)) {
		sb_puts(b, " [effective prot unknown: ");
		sb_puts(b, mw_eff_error_name(e));
		sb_putc(b, ']');
	}
	if (e->personality & MW_READ_IMPLIES_EXEC)
		sb_puts(b, " [READ_IMPLIES_EXEC]");
}

static enum mw_time_fmt time_fmt = MW_TIME_LOCAL;
static uint64_t time_start_ns;

void mw_format_set_time(enum mw_time_fmt fmt, uint64_t start_ns)
{
	time_fmt = fmt;
	time_start_ns = start_ns;
}

int mw_time_fmt_value(const char *name)
{
	static const char *const names[] = { "local", "utc", "iso", "epoch", "relative" };

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

/* d in decimal with exactly 6 digits (microseconds). */
static void put_micros(struct strbuf *b, unsigned us)
{
	char *q = sb_room(b, 6);

	if (q)
		sb_commit(b, (size_t)(cur_dec_fixed(q, us % 1000000, 6) - q));
}

void mw_format_time(struct strbuf *b, uint64_t ts_ns)
{
	/* The calendar part changes once a second (time zone changes included,
	 * which happen on a second): made with localtime_r/gmtime_r once per
	 * second and format, not per line. */
	static __thread time_t last = (time_t)-1;
	static __thread int last_fmt = -1;
	static __thread char head[48], tail[16];
	static __thread size_t head_len, tail_len;
	time_t sec = (time_t)(ts_ns / 1000000000ull);
	unsigned ns = (unsigned)(ts_ns % 1000000000ull);
	struct tm tm;
	char z[8];
	int n;

	switch (time_fmt) {
	case MW_TIME_EPOCH:
		sb_put_u64(b, (unsigned long long)sec);
		sb_putc(b, '.');
		put_micros(b, ns / 1000);
		return;
	case MW_TIME_RELATIVE: {
		uint64_t d = ts_ns > time_start_ns ? ts_ns - time_start_ns : 0;
		sb_put_u64(b, d / 1000000000ull);
		sb_putc(b, '.');
		put_micros(b, (unsigned)(d % 1000000000ull / 1000));
		return;
	}
	default:
		break;
	}
	if (sec != last || (int)time_fmt != last_fmt) {
		tail[0] = 0;
		switch (time_fmt) {
		case MW_TIME_UTC:
			gmtime_r(&sec, &tm);
			n = snprintf(head, sizeof(head), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
			strcpy(tail, "Z");
			break;
		case MW_TIME_ISO:
			localtime_r(&sec, &tm);
			if (!strftime(z, sizeof(z), "%z", &tm))
				strcpy(z, "+0000");
			n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
				     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
			snprintf(tail, sizeof(tail), "%.3s:%s", z, z + 3);
			break;
		case MW_TIME_LOCAL:
		default:
			localtime_r(&sec, &tm);
			n = snprintf(head, sizeof(head), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
			break;
		}
		head_len = n > 0 && (size_t)n < sizeof(head) ? (size_t)n : strlen(head);
		tail_len = strlen(tail);
		last = sec;
		last_fmt = (int)time_fmt;
	}
	sb_put(b, head, head_len);
	put_micros(b, ns / 1000);
	sb_put(b, tail, tail_len);
}

/* The columns after the time of the last line without a container: the
 * same for every event of a thread (the reader sees runs of them). */
static __thread struct {
	uint32_t pid, tid;
	char comm[MW_TASK_COMM_LEN];
	int valid;
	size_t n;
	char text[160];
} cols;

void mw_format_table_prefix(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	size_t start, from;

	mw_format_time(b, v->ts_ns);
	if (!v->ctr && cols.valid && cols.pid == e->pid && cols.tid == e->tid &&
	    !memcmp(cols.comm, e->comm, sizeof(cols.comm))) {
		sb_put(b, cols.text, cols.n);
		return;
	}
	from = b->len;
	sb_putc(b, ' ');
	sb_put_u64_w(b, e->pid, 6);
	sb_putc(b, ' ');
	sb_put_u64_w(b, e->tid, 6);
	sb_putc(b, ' ');
	start = b->len;
	sb_text_str(b, e->comm, strnlen(e->comm, MW_TASK_COMM_LEN));
	if (v->ctr) { /* comm@container: which program in which container */
		char name[MW_CTR_STR_MAX];
		mw_ctr_display(v->ctr, name, sizeof(name));
		sb_putc(b, '@');
		sb_text_str(b, name, strlen(name));
	}
	/* pad the (escaped) command name to a 16-column field */
	for (size_t w = b->len - start; w < 16; w++)
		sb_putc(b, ' ');
	cols.valid = 0;
	if (!v->ctr && !b->oom && b->len - from <= sizeof(cols.text)) {
		cols.pid = e->pid;
		cols.tid = e->tid;
		memcpy(cols.comm, e->comm, sizeof(cols.comm));
		cols.n = b->len - from;
		memcpy(cols.text, b->p + from, cols.n);
		cols.valid = 1;
	}
}

void mw_format_table(struct strbuf *b, const struct mw_view *v)
{
	mw_format_table_prefix(b, v);
	sb_putc(b, ' ');
	mw_format_call(b, v);
}
