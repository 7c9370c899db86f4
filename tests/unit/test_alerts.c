/* test_alerts.c - unit tests for the alert engine (src/alerts.c): synthetic event sequences, exact alert sets. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "alerts.h"
#include "regions_dump.h"
#include "fileid.h"
#include "format.h"
#include "t.h"

#define R_ PROT_READ
#define W_ PROT_WRITE
#define X_ PROT_EXEC
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define PG 4096ull
#define KDEV(ma, mi) (((uint32_t)(ma) << 20) | (uint32_t)(mi))

static struct mw_alerts *A;
static struct mw_alert out[8];
static int nout;
static const char *exe_now = "/usr/bin/prog";
static int allowed_now; /* events carry MW_EFFF_ALLOWED */
static char sum[4096];

/* ---- building events ---- */

static struct mw_event base(uint32_t pid, unsigned id, int64_t ret)
{
	static const int nr[] = { 9, 192, 11, 10, 329, 25, 26, 0 };
	struct mw_event e;

	memset(&e, 0, sizeof e);
	e.type = MW_REC_EVENT;
	e.event = (uint16_t)id;
	e.syscall_nr = (uint16_t)nr[id < 8 ? id : 7];
	e.pid = e.tid = e.ns_pid = e.ns_tid = pid;
	e.ppid = e.ns_ppid = 1;
	e.ts = 5;
	e.ret = ret;
	memcpy(e.comm, "prog", 5);
	return e;
}

static int feed_view(const struct mw_event *e0, const char *path)
{
	struct mw_event e = *e0;
	struct mw_view v = { .e = &e, .path = path, .exe = exe_now, .ts_ns = 1700000000123456789ull };

	if (allowed_now)
		e.eff_flags |= MW_EFFF_ALLOWED; /* the kernel's --allow verdict */
	nout = mw_alerts_event(A, &v, out, 8);
	return nout;
}

/* Summary of the last alerts: "kind[start-end]{rwx W M}" joined by spaces. */
static const char *S(void)
{
	size_t o = 0;

	sum[0] = 0;
	for (int i = 0; i < nout && o < sizeof sum - 100; i++) {
		const struct mw_alert *x = &out[i];
		o += (size_t)snprintf(sum + o, sizeof sum - o, "%s%s", i ? " " : "", mw_alert_kind_name(x->kind));
		if (x->has_region)
			o += (size_t)snprintf(sum + o, sizeof sum - o, "[%" PRIx64 "-%" PRIx64 "]", x->start, x->end);
		if (x->prev_known)
			o += (size_t)snprintf(sum + o, sizeof sum - o, "{%c%c%c%s%s}", (x->prev_prot & R_) ? 'r' : '-',
					      (x->prev_prot & W_) ? 'w' : '-', (x->prev_prot & X_) ? 'x' : '-',
					      x->was_writable ? " W" : "", x->prev_mixed ? " M" : "");
	}
	return sum;
}

static struct mw_event ev_mmap(uint32_t pid, int64_t ret, uint64_t addr, uint64_t len, unsigned prot,
			       unsigned flags)
{
	struct mw_event e = base(pid, MW_EV_MMAP, ret);

	e.args[0] = addr;
	e.args[1] = len;
	e.args[2] = prot;
	e.args[3] = flags;
	e.args[4] = (flags & MAP_ANONYMOUS) ? (uint64_t)-1 : 3;
	return e;
}

static const char *mmap_anon(uint32_t pid, int64_t ret, uint64_t len, unsigned prot)
{
	struct mw_event e = ev_mmap(pid, ret, 0, len, prot, ANON);
	feed_view(&e, NULL);
	return S();
}

static void set_file(struct mw_event *e, unsigned kind, unsigned fflags, uint32_t rdev)
{
	e->flags |= MW_F_HAS_FILE;
	e->file.kind = (uint16_t)kind;
	e->file.flags = (uint16_t)fflags;
	e->file.rdev = rdev;
	e->file.ino = 42;
	e->file.dev = KDEV(0, 5);
	e->file.mode = kind == MW_FK_CHARDEV ? 020666 : 0100644;
}

static const char *mmap_file(uint32_t pid, int64_t ret, uint64_t len, unsigned prot, unsigned flags,
			     unsigned kind, unsigned fflags, uint32_t rdev, const char *path)
{
	struct mw_event e = ev_mmap(pid, ret, 0, len, prot, flags);
	set_file(&e, kind, fflags, rdev);
	feed_view(&e, path);
	return S();
}

static struct mw_event ev_mprotect(uint32_t pid, uint64_t addr, uint64_t len, unsigned prot, int64_t ret)
{
	struct mw_event e = base(pid, MW_EV_MPROTECT, ret);

	e.args[0] = addr;
	e.args[1] = len;
	e.args[2] = prot;
	return e;
}

static const char *mprot(uint32_t pid, uint64_t addr, uint64_t len, unsigned prot)
{
	struct mw_event e = ev_mprotect(pid, addr, len, prot, 0);
	feed_view(&e, NULL);
	return S();
}

static const char *pkey_mprot(uint32_t pid, uint64_t addr, uint64_t len, unsigned prot)
{
	struct mw_event e = base(pid, MW_EV_PKEY_MPROTECT, 0);
	e.args[0] = addr;
	e.args[1] = len;
	e.args[2] = prot;
	e.args[3] = 0;
	feed_view(&e, NULL);
	return S();
}

static const char *munmap_(uint32_t pid, uint64_t addr, uint64_t len)
{
	struct mw_event e = base(pid, MW_EV_MUNMAP, 0);
	e.args[0] = addr;
	e.args[1] = len;
	feed_view(&e, NULL);
	return S();
}

static const char *mremap_(uint32_t pid, uint64_t old, uint64_t olds, uint64_t news, unsigned flags,
			   uint64_t newa, int64_t ret)
{
	struct mw_event e = base(pid, MW_EV_MREMAP, ret);
	e.args[0] = old;
	e.args[1] = olds;
	e.args[2] = news;
	e.args[3] = flags;
	e.args[4] = newa;
	feed_view(&e, NULL);
	return S();
}

static void task(unsigned type, uint32_t pid, uint32_t ppid)
{
	struct mw_task_rec r = { .type = (uint16_t)type, .pid = pid, .ppid = ppid, .ts = 9 };
	mw_alerts_task(A, &r);
}

static const char *dump(uint32_t pid)
{
	static char buf[4096];
	mw_regions_format(mw_alerts_regions(A), pid, MW_ATTR_STICKY, buf, sizeof buf);
	return buf;
}

/* A fresh engine without /proc seeding (synthetic pids may exist on the host). */
static void fresh(void)
{
	mw_alerts_free(A);
	A = mw_alerts_new();
	mw_alerts_set_proc_root(A, NULL);
	exe_now = "/usr/bin/prog";
	allowed_now = 0;
	nout = 0;
}

static void done(void)
{
	mw_alerts_free(A);
	A = NULL;
}

/* ---- a small JSON syntax checker (strict enough for our output) ---- */

static const char *jp;
static int jvalue(void);

static void jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\t' || *jp == '\r')
		jp++;
}

static int jstring(void)
{
	if (*jp++ != '"')
		return 0;
	while (*jp && *jp != '"') {
		if ((unsigned char)*jp < 0x20)
			return 0;
		if (*jp == '\\') {
			jp++;
			if (*jp == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", jp[i]) || !jp[i])
						return 0;
				jp += 5;
				continue;
			}
			if (!*jp || !strchr("\"\\/bfnrt", *jp))
				return 0;
		}
		jp++;
	}
	return *jp++ == '"';
}

static int jvalue(void)
{
	jws();
	if (*jp == '{' || *jp == '[') {
		char close = *jp == '{' ? '}' : ']';
		int obj = *jp == '{';
		jp++;
		jws();
		if (*jp == close) {
			jp++;
			return 1;
		}
		for (;;) {
			jws();
			if (obj) {
				if (!jstring())
					return 0;
				jws();
				if (*jp++ != ':')
					return 0;
			}
			if (!jvalue())
				return 0;
			jws();
			if (*jp == ',') {
				jp++;
				continue;
			}
			return *jp++ == close;
		}
	}
	if (*jp == '"')
		return jstring();
	if (!strncmp(jp, "true", 4) || !strncmp(jp, "null", 4)) {
		jp += 4;
		return 1;
	}
	if (!strncmp(jp, "false", 5)) {
		jp += 5;
		return 1;
	}
	const char *s = jp;
	if (*jp == '-')
		jp++;
	while (*jp >= '0' && *jp <= '9')
		jp++;
	return jp > s && jp[-1] != '-';
}

static int json_ok(const char *s)
{
	jp = s;
	if (!jvalue())
		return 0;
	jws();
	return *jp == 0;
}

/* ---- tests ---- */

TEST(alerts_wx_mapping)
{
	fresh();
	CHECK_STR(mmap_anon(101, 0x10000, 2 * PG, R_ | W_ | X_), "wx_mapping[10000-12000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(out[0].mitre, "T1055");
	CHECK_STR(mmap_anon(101, 0x20000, 100, W_ | X_), "wx_mapping[20000-21000]");  /* length rounded */
	/* near misses: not both W and X, or the call failed */
	CHECK_STR(mmap_anon(101, 0x30000, PG, R_ | W_), "");
	CHECK_STR(mmap_anon(101, 0x40000, PG, R_ | X_), "");
	CHECK_STR(mmap_anon(101, -ENOMEM, PG, R_ | W_ | X_), "");
	CHECK_STR(mmap_anon(101, -EPERM, PG, R_ | W_ | X_), "");
	/* MAP_FIXED over a known region: its previous protection is reported */
	struct mw_event e = ev_mmap(101, 0x30000, 0x30000, PG, R_ | W_ | X_, ANON | MAP_FIXED);
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[30000-31000]{rw- W}");
	/* half over a known page, half over nothing */
	e = ev_mmap(101, 0x3f000, 0x3f000, 2 * PG, R_ | W_ | X_, ANON | MAP_FIXED);
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[3f000-41000]{r-x M}");
	/* killed at entry by --kill-wx: the kernel answered EINTR, the alert stays */
	e = ev_mmap(101, -EINTR, 0, PG, R_ | W_ | X_, ANON);
	e.flags |= MW_F_ENFORCED;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping");
	CHECK_STR(dump(101), "10000-12000:rwxW 20000-21000:-wxW 30000-31000:rwxW 3f000-41000:rwxW");
	done();
}

TEST(alerts_wx_mprotect_only_once)
{
	fresh();
	CHECK_STR(mmap_anon(102, 0x20000, 2 * PG, R_ | W_), "");
	/* RW -> RWX: one alert, wx_mprotect; the writable history is in it */
	CHECK_STR(mprot(102, 0x20000, 2 * PG, R_ | W_ | X_), "wx_mprotect[20000-22000]{rw- W}");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(out[0].mitre, "T1055");
	/* R -> RWX by pkey_mprotect */
	CHECK_STR(mmap_anon(102, 0x30000, PG, R_), "");
	CHECK_STR(pkey_mprot(102, 0x30000, PG, R_ | W_ | X_), "wx_mprotect[30000-31000]{r--}");
	/* already RWX: no transition, no second alert (node re-protecting its code cache) */
	CHECK_STR(mprot(102, 0x30000, PG, R_ | W_ | X_), "");
	CHECK_STR(mprot(102, 0x30000, PG, W_ | X_), "");
	/* partly RWX: the rest is a transition */
	CHECK_STR(mmap_anon(102, 0x31000, PG, R_), "");
	CHECK_STR(mprot(102, 0x30000, 2 * PG, R_ | W_ | X_), "wx_mprotect[30000-32000]{rwx W M}"); /* M: mixed previous prot */
	/* unknown memory (the model never saw it): reported without a previous prot */
	CHECK_STR(mprot(102, 0x90000, PG, W_ | X_), "wx_mprotect[90000-91000]");
	/* failed, or empty: nothing */
	struct mw_event e = ev_mprotect(102, 0x20000, PG, R_ | W_ | X_, -EACCES);
	feed_view(&e, NULL);
	CHECK_STR(S(), "");
	CHECK_STR(mprot(102, 0x20000, 0, R_ | W_ | X_), "");
	/* enforced and refused: judged from the arguments, the map untouched */
	CHECK_STR(mmap_anon(102, 0x50000, PG, R_), "");
	e = ev_mprotect(102, 0x50000, PG, R_ | W_ | X_, -EINTR);
	e.flags |= MW_F_ENFORCED;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[50000-51000]{r--}");
	CHECK_STR(dump(102), "20000-22000:rwxW 30000-32000:rwxW 50000-51000:r-- 90000-91000:-wxW");
	done();
}

TEST(alerts_x_after_w)
{
	fresh();
	CHECK_STR(mmap_anon(103, 0x30000, 4 * PG, R_ | W_), "");
	/* one page of four made executable */
	CHECK_STR(mprot(103, 0x31000, PG, R_ | X_), "x_after_w[31000-32000]{rw- W}");
	CHECK_INT(out[0].severity, MW_SEV_MEDIUM);
	CHECK_STR(out[0].mitre, "T1027.002");
	/* already executable: no new alert */
	CHECK_STR(mprot(103, 0x31000, PG, R_ | X_), "");
	CHECK_STR(mprot(103, 0x31000, PG, X_), "");
	/* a JIT flipping the page back and forth: each W->X flip alerts */
	CHECK_STR(mprot(103, 0x31000, PG, R_ | W_), "");
	CHECK_STR(mprot(103, 0x31000, PG, R_ | X_), "x_after_w[31000-32000]{rw- W}");
	/* RW -> R -> RX: writable earlier counts (sticky) */
	CHECK_STR(mprot(103, 0x33000, PG, R_), "");
	CHECK_STR(mprot(103, 0x33000, PG, R_ | X_), "x_after_w[33000-34000]{r-- W}");
	/* pkey_mprotect is the same */
	CHECK_STR(pkey_mprot(103, 0x32000, PG, X_), "x_after_w[32000-33000]{rw- W}");
	/* a range of a writable part and a never-writable part: only the first */
	CHECK_STR(mmap_anon(103, 0x40000, PG, R_ | W_), "");
	CHECK_STR(mmap_anon(103, 0x41000, PG, R_), "");
	CHECK_STR(mprot(103, 0x40000, 2 * PG, R_ | X_), "x_after_w[40000-41000]{rw- W}");
	done();
}

TEST(alerts_near_misses)
{
	fresh();
	/* RW then RO */
	CHECK_STR(mmap_anon(104, 0x10000, PG, R_ | W_), "");
	CHECK_STR(mprot(104, 0x10000, PG, R_), "");
	CHECK_STR(mprot(104, 0x10000, PG, PROT_NONE), "");
	/* RX mapping of a regular file */
	CHECK_STR(mmap_file(104, 0x20000, 3 * PG, R_ | X_, MAP_PRIVATE, MW_FK_REGULAR, 0, 0, "/usr/lib/libc.so.6"), "");
	CHECK_STR(mmap_file(104, 0x30000, PG, R_, MAP_PRIVATE | MAP_FIXED, MW_FK_REGULAR, 0, 0, "/usr/lib/libc.so.6"), "");
	/* read-only anonymous memory made executable: never writable */
	CHECK_STR(mmap_anon(104, 0x40000, PG, R_), "");
	CHECK_STR(mprot(104, 0x40000, PG, R_ | X_), "");
	/* memory the model never saw (no history): no x_after_w */
	CHECK_STR(mprot(104, 0x50000, PG, R_ | X_), "");
	/* a regular file mapped R, made RX (the loader's way) */
	CHECK_STR(mmap_file(104, 0x60000, PG, R_, MAP_PRIVATE, MW_FK_REGULAR, 0, 0, "/usr/lib/x.so"), "");
	CHECK_STR(mprot(104, 0x60000, PG, R_ | X_), "");
	/* msync raises nothing; do_mmap inside a mapping syscall is left to the
	 * syscall's own event; a kernel-made one is judged but changes no region */
	struct mw_event e = base(104, MW_EV_MSYNC, 0);
	e.args[0] = 0x10000;
	e.args[1] = PG;
	e.args[2] = MS_SYNC;
	CHECK_INT(feed_view(&e, NULL), 0);
	e = ev_mmap(104, 0x70000, 0, PG, R_ | W_ | X_, ANON);
	e.event = MW_EV_DO_MMAP;
	e.flags |= MW_F_IN_SYSCALL;
	CHECK_INT(feed_view(&e, NULL), 0);
	e.flags &= ~MW_F_IN_SYSCALL;
	CHECK_INT(feed_view(&e, NULL), 1);
	CHECK_STR(dump(104), "10000-11000:---W 20000-23000:r-x 30000-31000:r-- 40000-41000:r-x "
			     "50000-51000:r-x 60000-61000:r-x");
	done();
}

TEST(alerts_mprotect_enomem_partial)
{
	fresh();
	CHECK_STR(mmap_anon(105, 0x50000, PG, R_ | W_), "");
	/* the kernel changed the first page, then failed at the hole */
	struct mw_event e = ev_mprotect(105, 0x50000, 3 * PG, R_ | X_, -ENOMEM);
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[50000-51000]{rw- W}");
	CHECK_STR(dump(105), "50000-51000:r-xW");
	/* another error changes nothing and raises nothing */
	CHECK_STR(mmap_anon(105, 0x60000, PG, R_ | W_), "");
	e = ev_mprotect(105, 0x60000, PG, R_ | X_, -EACCES);
	feed_view(&e, NULL);
	CHECK_STR(S(), "");
	CHECK_STR(dump(105), "50000-51000:r-xW 60000-61000:rw-W");
	/* ENOMEM at the first page (nothing there): nothing */
	e = ev_mprotect(105, 0x80000, PG, R_ | W_ | X_, -ENOMEM);
	feed_view(&e, NULL);
	CHECK_STR(S(), "");
	/* the same call killed at entry: judged from its arguments */
	e.flags |= MW_F_ENFORCED;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[80000-81000]");
	CHECK_STR(dump(105), "50000-51000:r-xW 60000-61000:rw-W");
	done();
}

TEST(alerts_growsdown)
{
	fresh();
	struct mw_event e = ev_mmap(106, 0x90000, 0, 4 * PG, R_ | W_, ANON | MAP_GROWSDOWN);
	feed_view(&e, NULL);
	CHECK_STR(S(), "");
	/* ld.so's execstack: the change reaches down to the start of the mapping */
	CHECK_STR(mprot(106, 0x93000, PG, R_ | W_ | X_ | PROT_GROWSDOWN), "wx_mprotect[90000-94000]{rw- W}");
	done();
}

TEST(alerts_exec_fileless)
{
	fresh();
	CHECK_STR(mmap_file(107, 0x10000, PG, R_ | X_, MAP_SHARED, MW_FK_MEMFD, MW_FILE_TMPFS, 0, "/memfd:jit"),
		  "exec_fileless[10000-11000]");
	CHECK_INT(out[0].fileless, MW_FL_MEMFD);
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(out[0].mitre, "T1620");
	CHECK_STR(mmap_file(107, 0x20000, PG, R_ | X_, MAP_PRIVATE, MW_FK_DELETED, MW_FILE_DELETED, 0, "/tmp/x"),
		  "exec_fileless[20000-21000]");
	CHECK_INT(out[0].fileless, MW_FL_DELETED);
	CHECK_STR(mmap_file(107, 0x30000, PG, X_, MAP_PRIVATE, MW_FK_REGULAR, MW_FILE_DELETED, 0, "/tmp/y"),
		  "exec_fileless[30000-31000]");
	CHECK_INT(out[0].fileless, MW_FL_DELETED);
	CHECK_STR(mmap_file(107, 0x40000, PG, R_ | X_, MAP_SHARED, MW_FK_SHM, MW_FILE_TMPFS, 0, "/dev/shm/p"),
		  "exec_fileless[40000-41000]");
	CHECK_INT(out[0].fileless, MW_FL_TMPFS);
	CHECK_STR(mmap_file(107, 0x50000, PG, R_ | X_, MAP_PRIVATE, MW_FK_REGULAR, MW_FILE_TMPFS, 0, "/run/x"),
		  "exec_fileless[50000-51000]");
	CHECK_INT(out[0].fileless, MW_FL_TMPFS);
	/* W+X memfd: both */
	CHECK_STR(mmap_file(107, 0x60000, PG, R_ | W_ | X_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:a"),
		  "wx_mapping[60000-61000] exec_fileless[60000-61000]");
	/* not executable, failed, or MAP_ANONYMOUS (fd ignored by the kernel): nothing */
	CHECK_STR(mmap_file(107, 0x70000, PG, R_ | W_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:b"), "");
	CHECK_STR(mmap_file(107, -EACCES, PG, R_ | X_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:b"), "");
	CHECK_STR(mmap_file(107, 0x80000, PG, R_ | X_, ANON, MW_FK_MEMFD, 0, 0, "/memfd:b"), "");
	/* memfd mapped R, then made executable: caught through the fileless map */
	CHECK_STR(mmap_file(107, 0x90000, 2 * PG, R_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:c"), "");
	CHECK_STR(mprot(107, 0x90000, PG, R_ | X_), "exec_fileless[90000-91000]{r--}");
	CHECK_INT(out[0].fileless, MW_FL_REGION);
	CHECK_STR(mprot(107, 0x90000, PG, R_ | X_), "");
	/* memfd RW, then RX: x_after_w and exec_fileless */
	CHECK_STR(mprot(107, 0x70000, PG, R_ | X_), "x_after_w[70000-71000]{rw- W} exec_fileless[70000-71000]{rw- W}");
	/* unmapped, or replaced by anonymous memory: no longer fileless */
	CHECK_STR(munmap_(107, 0x91000, PG), "");
	CHECK_STR(mmap_anon(107, 0x91000, PG, R_), "");
	CHECK_STR(mprot(107, 0x91000, PG, R_ | X_), "");
	/* moved by mremap: still fileless at its new place */
	CHECK_STR(mmap_file(107, 0xa0000, PG, R_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:d"), "");
	CHECK_STR(mremap_(107, 0xa0000, PG, PG, MREMAP_MAYMOVE, 0, 0xb0000), "");
	CHECK_STR(mprot(107, 0xa0000, PG, R_ | X_), "");
	CHECK_STR(mprot(107, 0xb0000, PG, R_ | X_), "exec_fileless[b0000-b1000]{r--}");
	done();
}

TEST(alerts_device_mapping)
{
	fresh();
	CHECK_STR(mmap_file(108, 0x10000, PG, R_ | W_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(1, 1), "/dev/mem"),
		  "device_mapping[10000-11000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(out[0].mitre, "T1014");
	CHECK_INT(out[0].rdev, KDEV(1, 1));
	CHECK_STR(mmap_file(108, 0x20000, PG, R_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(1, 2), "/dev/kmem"),
		  "device_mapping[20000-21000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(mmap_file(108, 0x30000, PG, R_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(1, 4), "/dev/port"),
		  "device_mapping[30000-31000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	/* /dev/zero and /dev/null are anonymous memory: no device alert */
	CHECK_STR(mmap_file(108, 0x40000, PG, R_ | W_, MAP_PRIVATE, MW_FK_CHARDEV, 0, KDEV(1, 5), "/dev/zero"), "");
	CHECK_STR(mmap_file(108, 0x48000, PG, R_ | W_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(1, 5), "/dev/zero"), "");
	CHECK_STR(mmap_file(108, 0x4c000, PG, R_, MAP_PRIVATE, MW_FK_CHARDEV, 0, KDEV(1, 3), "/dev/null"), "");
	/* other char devices: info */
	CHECK_STR(mmap_file(108, 0x40000, PG, R_ | W_, MAP_PRIVATE | MAP_FIXED, MW_FK_CHARDEV, 0, KDEV(1, 9), "/dev/urandom"),
		  "device_mapping[40000-41000]{rw- W}");
	CHECK_INT(out[0].severity, MW_SEV_INFO);
	CHECK_STR(out[0].mitre, "T1068");
	CHECK_STR(mmap_file(108, 0x50000, PG, R_ | W_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(195, 0), "/dev/nvidia0"),
		  "device_mapping[50000-51000]");
	CHECK_INT(out[0].severity, MW_SEV_INFO);
	CHECK_STR(mmap_file(108, 0x60000, PG, R_ | W_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(2, 1), "/dev/x"),
		  "device_mapping[60000-61000]");
	CHECK_INT(out[0].severity, MW_SEV_INFO);
	/* W+X device mapping: both; W+X /dev/zero: only the W+X one */
	CHECK_STR(mmap_file(108, 0x70000, PG, R_ | W_ | X_, MAP_PRIVATE, MW_FK_CHARDEV, 0, KDEV(10, 1), "/dev/x"),
		  "wx_mapping[70000-71000] device_mapping[70000-71000]");
	CHECK_STR(mmap_file(108, 0x78000, PG, R_ | W_ | X_, MAP_PRIVATE, MW_FK_CHARDEV, 0, KDEV(1, 5), "/dev/zero"),
		  "wx_mapping[78000-79000]");
	/* block device, failed mapping, /dev/mem refused: nothing */
	CHECK_STR(mmap_file(108, 0x80000, PG, R_, MAP_SHARED, MW_FK_BLOCKDEV, 0, KDEV(8, 0), "/dev/sda"), "");
	CHECK_STR(mmap_file(108, -EPERM, PG, R_, MAP_SHARED, MW_FK_CHARDEV, 0, KDEV(1, 1), "/dev/mem"), "");
	done();
}

TEST(alerts_fork_child_only)
{
	fresh();
	CHECK_STR(mmap_anon(200, 0x60000, PG, R_ | W_), "");
	CHECK_STR(mmap_file(200, 0x70000, PG, R_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:m"), "");
	task(MW_REC_FORK, 201, 200);
	CHECK_STR(dump(201), "60000-61000:rw-W 70000-71000:r--");
	/* the child makes the inherited RW region executable: alert in the child */
	struct mw_event e = ev_mprotect(201, 0x60000, PG, R_ | X_, 0);
	CHECK_INT(feed_view(&e, NULL), 1);
	CHECK_STR(S(), "x_after_w[60000-61000]{rw- W}");
	/* inherited fileless region */
	CHECK_STR(mprot(201, 0x70000, PG, R_ | X_), "exec_fileless[70000-71000]{r--}");
	/* the parent's map is its own */
	CHECK_STR(dump(200), "60000-61000:rw-W 70000-71000:r--");
	CHECK_STR(mprot(200, 0x60000, PG, R_), "");
	CHECK_STR(dump(201), "60000-61000:r-xW 70000-71000:r-x");
	/* a thread "fork" (pid == ppid) is ignored */
	task(MW_REC_FORK, 200, 200);
	CHECK_STR(dump(200), "60000-61000:r--W 70000-71000:r--");
	/* fork from an unknown parent: the child is unknown too */
	task(MW_REC_FORK, 203, 202);
	CHECK_INT(mw_regions_state(mw_alerts_regions(A), 203), MW_PROC_ABSENT);
	/* a stale entry of a reused child pid is replaced */
	task(MW_REC_FORK, 201, 202);
	CHECK_INT(mw_regions_state(mw_alerts_regions(A), 201), MW_PROC_ABSENT);
	done();
}

TEST(alerts_exec_and_exit_reset)
{
	fresh();
	CHECK_STR(mmap_anon(300, 0x80000, PG, R_ | W_), "");
	CHECK_STR(mmap_file(300, 0x90000, PG, R_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:m"), "");
	task(MW_REC_EXEC, 300, 0);
	CHECK_STR(dump(300), "");
	/* the old image's history is gone */
	CHECK_STR(mprot(300, 0x80000, PG, R_ | X_), "");
	CHECK_STR(mprot(300, 0x90000, PG, R_ | X_), "");
	/* exit drops the process */
	CHECK_STR(mmap_anon(301, 0x80000, PG, R_ | W_), "");
	task(MW_REC_EXIT, 301, 0);
	CHECK_INT(mw_regions_state(mw_alerts_regions(A), 301), MW_PROC_ABSENT);
	CHECK_STR(mprot(301, 0x80000, PG, R_ | X_), "");
	task(99, 300, 0); /* unknown record type: ignored */
	CHECK_STR(dump(300), "80000-81000:r-x 90000-91000:r-x");
	done();
}

static char root[64];

static void write_maps(uint32_t pid, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%u", root, (unsigned)pid);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/%u/maps", root, (unsigned)pid);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm_maps(uint32_t pid)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%u/maps", root, (unsigned)pid);
	unlink(p);
	snprintf(p, sizeof p, "%s/%u", root, (unsigned)pid);
	rmdir(p);
}

TEST(alerts_seed_from_proc)
{
	static const char maps[] =
		"00400000-00401000 r-xp 00000000 08:01 123 /usr/bin/x\n"
		"00600000-00601000 rw-p 00000000 00:00 0          [heap]\n"
		"7f0000000000-7f0000001000 r--s 00000000 00:01 77 /memfd:jit (deleted)\n"
		"7f0000010000-7f0000011000 r--p 00000000 00:00 0 \n"
		"7f0000020000-7f0000021000 r--s 00000000 00:1a 78 /dev/shm/blob\n"
		"7f0000030000-7f0000031000 r--p 00000000 08:01 79 /usr/lib/old.so (deleted)\n"
		"7f0000040000-7f0000041000 r--p 00000000 08:01 80 /usr/lib/ok.so\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
	struct mw_alerts_stats st;

	snprintf(root, sizeof root, "/tmp/mw-unit-alerts-%d", (int)getpid());
	mkdir(root, 0755);
	write_maps(500, maps);
	fresh();
	CHECK_INT(mw_alerts_set_proc_root(A, root), 0);
	/* first sight of 500: seeded before the event */
	CHECK_STR(mprot(500, 0x600000, PG, R_ | X_), "x_after_w[600000-601000]{rw- W}");
	CHECK_STR(mprot(500, 0x7f0000000000, PG, R_ | X_), "exec_fileless[7f0000000000-7f0000001000]{r--}");
	CHECK_STR(mprot(500, 0x7f0000010000, PG, R_ | X_), "");
	CHECK_STR(mprot(500, 0x7f0000020000, PG, R_ | X_), "exec_fileless[7f0000020000-7f0000021000]{r--}");
	CHECK_STR(mprot(500, 0x7f0000030000, PG, R_ | X_), "exec_fileless[7f0000030000-7f0000031000]{r--}");
	CHECK_STR(mprot(500, 0x7f0000040000, PG, R_ | X_), "");
	CHECK_STR(mprot(500, 0x7ffd00020000, PG, R_ | W_ | X_ | PROT_GROWSDOWN),
		  "wx_mprotect[7ffd00000000-7ffd00021000]{rw- W}");
	mw_alerts_get_stats(A, &st);
	CHECK_INT(st.seeded, 1);
	CHECK_INT(st.seed_failed, 0);
	CHECK_INT(mw_regions_state(mw_alerts_regions(A), 500), MW_PROC_COMPLETE);
	/* a fork child of a known parent copies it; of an unknown one, reads its own maps */
	task(MW_REC_FORK, 501, 500);
	CHECK_STR(mprot(501, 0x600000, PG, R_ | W_), "");
	write_maps(503, "00600000-00601000 rw-p 00000000 00:00 0 [heap]\n");
	task(MW_REC_FORK, 503, 502);
	CHECK_STR(mprot(503, 0x600000, PG, R_ | X_), "x_after_w[600000-601000]{rw- W}");
	mw_alerts_get_stats(A, &st);
	CHECK_INT(st.seeded, 2);
	/* after exec: forgotten, seeded again at the next event */
	write_maps(500, "00600000-00601000 r--p 00000000 00:00 0 [heap]\n"
			"00700000-00701000 rw-p 00000000 00:00 0\n");
	task(MW_REC_EXEC, 500, 0);
	CHECK_STR(mprot(500, 0x600000, PG, R_ | X_), "");
	CHECK_STR(mprot(500, 0x700000, PG, R_ | X_), "x_after_w[700000-701000]{rw- W}");
	CHECK_STR(mprot(500, 0x7f0000000000, PG, R_ | X_), "");
	mw_alerts_get_stats(A, &st);
	CHECK_INT(st.seeded, 3);
	/* a process gone before its /proc could be read: empty, read once only */
	CHECK_STR(mprot(504, 0x600000, PG, R_ | X_), "");
	CHECK_STR(mprot(504, 0x600000, PG, R_ | W_), "");
	mw_alerts_get_stats(A, &st);
	CHECK_INT(st.seed_failed, 1);
	CHECK_INT(st.seeded, 3);
	CHECK_INT(st.raised, 7);
	rm_maps(500);
	rm_maps(503);
	rmdir(root);
	done();
}

TEST(alerts_allow)
{
	struct mw_alerts_stats st;

	fresh();
	/* the kernel's verdict decides, not the path the task sees */
	CHECK_STR(mmap_anon(600, 0x10000, PG, R_ | W_), "");
	allowed_now = 1;
	exe_now = "/usr/bin/anything";
	CHECK_STR(mmap_anon(600, 0x20000, PG, R_ | W_ | X_), "");
	/* an allowed process raises nothing, but its map is kept */
	CHECK_STR(mprot(600, 0x10000, PG, R_ | X_), "");
	CHECK_STR(dump(600), "10000-11000:r-xW 20000-21000:rwxW");
	allowed_now = 0;
	CHECK_STR(mmap_anon(600, 0x40000, PG, R_ | W_ | X_), "wx_mapping[40000-41000]");
	CHECK_STR(mprot(600, 0x10000, PG, R_ | W_), "");
	CHECK_STR(mprot(600, 0x10000, PG, R_ | X_), "x_after_w[10000-11000]{rw- W}");
	mw_alerts_get_stats(A, &st);
	CHECK_INT(st.suppressed, 2);
	CHECK_INT(st.raised, 2);
	done();

	/* the identity --allow loads into the kernel: the inode, through links */
	char dir[64], real[96], link[96];
	struct stat sr, sd;
	struct mw_inode_key k1, k2, k3;
	snprintf(dir, sizeof dir, "/tmp/mw-unit-allow-%d", (int)getpid());
	snprintf(real, sizeof real, "%s/real-prog", dir);
	snprintf(link, sizeof link, "%s/link-prog", dir);
	mkdir(dir, 0755);
	FILE *f = fopen(real, "w");
	if (f)
		fclose(f);
	CHECK_INT(symlink(real, link), 0);
	CHECK_INT(mw_path_key(real, &k1, NULL), 0);
	CHECK_INT(mw_path_key(link, &k2, NULL), 0);
	CHECK_INT(mw_path_key(dir, &k3, NULL), 0);
	CHECK_INT(stat(real, &sr), 0);
	CHECK_INT(stat(dir, &sd), 0);
	CHECK_INT(k1.ino, sr.st_ino);
	CHECK_INT(k2.ino, sr.st_ino);
	CHECK_INT(k1.dev, (major(sr.st_dev) << 20) | minor(sr.st_dev));
	CHECK_INT(k3.ino, sd.st_ino);
	CHECK_INT(mw_path_key("/no/such/exe", &k1, NULL), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(mw_path_key("", &k1, NULL), -1);
	CHECK_INT(mw_path_key(NULL, &k1, NULL), -1);
	CHECK_INT(errno, ENOENT);
	struct stat so;
	CHECK_INT(mw_path_key(dir, &k3, &so), 0);
	CHECK(S_ISDIR(so.st_mode));
	unlink(link);
	unlink(real);
	rmdir(dir);
}

/* One kernel dev_t encoding for filters, --allow, alerts and stacks. */
TEST(fileid_kdev)
{
	CHECK_INT(mw_kdev(makedev(1, 5)), KDEV(1, 5));
	CHECK_INT(mw_kdev(makedev(259, 0xfffff)), KDEV(259, 0xfffff));
	CHECK_INT(mw_kdev_make(8, 17), KDEV(8, 17));
	CHECK_INT(mw_kdev_major(KDEV(4095, 3)), 4095);
	CHECK_INT(mw_kdev_minor(KDEV(4095, 3)), 3);
	CHECK_INT(mw_kdev_minor(mw_kdev_make(1, 0x100001)), 1); /* 20 minor bits, as the kernel keeps */
}

/* What the kernel did decides: effective prot read from the VMA at exit. */
TEST(alerts_effective_prot)
{
	struct mw_event e;

	fresh();
	/* READ_IMPLIES_EXEC: asked RW, got RWX */
	e = ev_mmap(800, 0x10000, 0, PG, R_ | W_, MAP_PRIVATE | MAP_ANONYMOUS);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC | MW_VM_MAYWRITE;
	e.vma_start = 0x10000;
	e.vma_end = 0x11000;
	e.personality = MW_READ_IMPLIES_EXEC;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[10000-11000]");
	CHECK(!out[0].judged_on_request);
	CHECK_STR(dump(800), "10000-11000:rwxW");
	/* a racing old_mmap: the struct said RWX, the kernel read RW */
	e = ev_mmap(800, 0x20000, 0, PG, R_ | W_ | X_, MAP_PRIVATE | MAP_ANONYMOUS);
	e.flags |= MW_F_COMPAT | MW_F_TOCTOU;
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_WRITE;
	feed_view(&e, NULL);
	CHECK_STR(S(), "");
	CHECK_STR(dump(800), "10000-11000:rwxW 20000-21000:rw-W");
	/* and the other way round */
	e = ev_mmap(800, 0x30000, 0, PG, R_, MAP_PRIVATE | MAP_ANONYMOUS);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[30000-31000]");
	/* old_mmap unreadable at entry and exit: the VMA is judged */
	e = ev_mmap(800, 0x40000, 0, 0, 0, 0);
	e.flags |= MW_F_COMPAT | MW_F_TOCTOU | MW_F_ARGS_FAULT;
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC;
	e.vma_start = 0x40000;
	e.vma_end = 0x42000;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[40000-42000]");
	/* lookup contended: judged on the request, and the alert says so */
	e = ev_mmap(800, 0x50000, 0, PG, R_ | W_, MAP_PRIVATE | MAP_ANONYMOUS);
	e.eff_status = MW_EFF_BUSY;
	e.personality = MW_READ_IMPLIES_EXEC;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[50000-51000]");
	CHECK(out[0].judged_on_request);
	struct strbuf b = { 0 };
	struct mw_view v = { .e = &e, .exe = exe_now, .ts_ns = 1 };
	mw_alert_json(&b, &v, &out[0]);
	CHECK(json_ok(b.p));
	CHECK(strstr(b.p, "\"judgedOn\":\"requestedProt\",\"effectiveProtError\":\"EBUSY\"") != NULL);
	CHECK(strstr(b.p, "\"readImpliesExec\":true") != NULL);
	sb_reset(&b);
	mw_alert_table(&b, &v, &out[0]);
	CHECK(strstr(b.p, "[effective prot unknown: EBUSY]") != NULL);
	CHECK(strstr(b.p, "[judged on the request") != NULL);
	sb_free(&b);
	/* mprotect: RW then RX, effective; x_after_w from the effective prot */
	e = ev_mprotect(800, 0x20000, PG, R_ | X_, 0);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_EXEC;
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[20000-21000]{rw- W}");
	/* mprotect RW under READ_IMPLIES_EXEC: the kernel made it RWX */
	e = ev_mprotect(800, 0x20000, PG, R_ | W_, 0);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[20000-21000]{r-x W}");
	/* a kill is always reported, even where the map would stay silent */
	allowed_now = 1;
	e = ev_mprotect(800, 0x60000, PG, R_ | W_ | X_, -EINTR);
	e.flags |= MW_F_ENFORCED;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[60000-61000]");
	done();
}

TEST(alerts_compat_32bit)
{
	fresh();
	/* mmap2 of a 32-bit task */
	struct mw_event e = base(700, MW_EV_MMAP2, 0xf7f00000);
	e.flags = MW_F_COMPAT;
	e.args[1] = PG;
	e.args[2] = R_ | W_ | X_;
	e.args[3] = ANON;
	e.args[4] = (uint64_t)-1;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[f7f00000-f7f01000]");
	/* a return value sign-extended from 32 bits is the same address */
	e.ret = (int32_t)0xf7d00000;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mapping[f7d00000-f7d01000]");
	/* old_mmap (reported as mmap), then mprotect, both 32-bit */
	e = ev_mmap(700, 0xf7e00000, 0, 2 * PG, R_ | W_, ANON);
	e.syscall_nr = 90;
	e.flags = MW_F_COMPAT | MW_F_TOCTOU;
	CHECK_INT(feed_view(&e, NULL), 0);
	e = ev_mprotect(700, 0xf7e00000, PG, R_ | X_, 0);
	e.syscall_nr = 125;
	e.flags = MW_F_COMPAT;
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[f7e00000-f7e01000]{rw- W}");
	/* mmap2 of a memfd with PROT_EXEC; of /dev/mem */
	e = base(700, MW_EV_MMAP2, 0xf7c00000);
	e.flags = MW_F_COMPAT;
	e.args[1] = PG;
	e.args[2] = R_ | X_;
	e.args[3] = MAP_SHARED;
	e.args[4] = 5;
	e.args[5] = 0;
	set_file(&e, MW_FK_MEMFD, 0, 0);
	feed_view(&e, "/memfd:x");
	CHECK_STR(S(), "exec_fileless[f7c00000-f7c01000]");
	e.ret = 0xf7b00000;
	e.args[2] = R_;
	set_file(&e, MW_FK_CHARDEV, 0, KDEV(1, 1));
	feed_view(&e, "/dev/mem");
	CHECK_STR(S(), "device_mapping[f7b00000-f7b01000]");
	/* old_mmap whose argument struct could not be read: nothing */
	e = ev_mmap(700, 0xf7a00000, 0, PG, R_ | W_ | X_, ANON);
	e.flags = MW_F_COMPAT | MW_F_TOCTOU | MW_F_ARGS_FAULT;
	CHECK_INT(feed_view(&e, NULL), 0);
	CHECK_STR(dump(700), "f7b00000-f7b01000:r-- f7c00000-f7c01000:r-x f7d00000-f7d01000:rwxW "
			     "f7e00000-f7e01000:r-xW f7e01000-f7e02000:rw-W f7f00000-f7f01000:rwxW");
	done();
}

TEST(alerts_mremap_keeps_history)
{
	fresh();
	CHECK_STR(mmap_anon(800, 0x10000, 2 * PG, R_ | W_), "");
	CHECK_STR(mprot(800, 0x10000, 2 * PG, R_), "");
	CHECK_STR(mremap_(800, 0x10000, 2 * PG, 4 * PG, MREMAP_MAYMOVE, 0, 0x40000), "");
	CHECK_STR(mprot(800, 0x40000, 4 * PG, R_ | X_), "x_after_w[40000-44000]{r-- W}");
	/* failed mremap: nothing moves */
	CHECK_STR(mremap_(800, 0x40000, 4 * PG, 8 * PG, 0, 0, -ENOMEM), "");
	CHECK_STR(dump(800), "40000-44000:r-xW");
	done();
}

TEST(alerts_max_and_order)
{
	struct mw_alert few[2];

	fresh();
	struct mw_event e = ev_mmap(900, 0x10000, 0, PG, R_ | W_ | X_, MAP_SHARED);
	set_file(&e, MW_FK_MEMFD, 0, 0);
	struct mw_view v = { .e = &e, .path = "/memfd:x", .exe = "/x" };
	CHECK_INT(mw_alerts_event(A, &v, few, 1), 1);
	CHECK_INT(few[0].kind, MW_AL_WX_MAPPING);
	e.ret = 0x20000;
	CHECK_INT(mw_alerts_event(A, &v, few, 0), 0);
	e.ret = 0x30000;
	CHECK_INT(mw_alerts_event(A, &v, few, 2), 2);
	CHECK_INT(few[1].kind, MW_AL_EXEC_FILELESS);
	CHECK_STR(mw_alert_kind_name(MW_AL_KIND_MAX), "?");
	CHECK_STR(mw_alert_severity_name(7), "?");
	CHECK_STR(mw_alert_kind_name(MW_AL_DEVICE_MAPPING), "device_mapping");
	done();
	mw_alerts_free(NULL);
}

/* Alert line for the last alert of event e (view with path). */
static void render(struct strbuf *b, const struct mw_event *e, const char *path, const char *exe,
		   const struct mw_alert *al, int json)
{
	struct mw_view v = { .e = e, .path = path, .exe = exe, .ts_ns = 1700000000123456789ull };
	sb_reset(b);
	if (json)
		mw_alert_json(b, &v, al);
	else
		mw_alert_table(b, &v, al);
}

TEST(alerts_json_line)
{
	struct strbuf b = { 0 }, ev = { 0 };

	fresh();
	CHECK_STR(mmap_anon(1000, 0x7f0000030000, 2 * PG, R_ | W_), "");
	struct mw_event e = ev_mprotect(1000, 0x7f0000031000, PG, R_ | X_, 0);
	e.uid = 1000;
	e.gid = 100;
	e.cgroup_id = 77;
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[7f0000031000-7f0000032000]{rw- W}");
	render(&b, &e, NULL, "/usr/bin/prog", &out[0], 1);
	CHECK(json_ok(b.p));
	struct mw_view v = { .e = &e, .exe = "/usr/bin/prog", .ts_ns = 1700000000123456789ull };
	mw_format_json(&ev, &v);
	const char *want_head =
		"{\"schemaVersion\":2,\"timestamp\":1700000000123456789,\"time\":\"2023-11-14T22:13:20.123456789Z\",\"processId\":1000,\"threadId\":1000,\"parentProcessId\":1,"
		"\"hostProcessId\":1000,\"hostThreadId\":1000,\"hostParentProcessId\":1,\"userId\":1000,"
		"\"groupId\":100,\"mountNamespace\":0,\"pidNamespace\":0,\"processName\":\"prog\","
		"\"executable\":{\"path\":\"/usr/bin/prog\"},\"cgroupId\":77,\"containerId\":\"\","
		"\"container\":{\"id\":\"\",\"name\":\"\",\"image\":\"\",\"imageDigest\":\"\",\"runtime\":\"\"},"
		"\"kubernetes\":{\"podName\":\"\",\"podNamespace\":\"\",\"podUID\":\"\"},"
		"\"eventId\":\"1000\",\"eventName\":\"alert\",\"syscall\":\"mprotect\",\"returnValue\":0,"
		"\"argsNum\":0,\"args\":[],\"contextFlags\":{\"isCompat\":false},"
		"\"alert\":{\"kind\":\"x_after_w\",\"severity\":\"medium\",\"mitre\":\"T1027.002\","
		"\"technique\":\"Obfuscated Files or Information: Software Packing\","
		"\"description\":\"memory that was writable made executable (JIT, unpacker or staged code)\","
		"\"action\":\"reported\",\"judgedOn\":\"requestedProt\",\"regionStart\":\"0x7f0000031000\",\"regionEnd\":\"0x7f0000032000\","
		"\"previousProt\":\"PROT_READ|PROT_WRITE\",\"wasWritable\":true},\"trigger\":";
	CHECK(b.p && !strncmp(b.p, want_head, strlen(want_head)));
	if (b.p && strncmp(b.p, want_head, strlen(want_head)))
		fprintf(stderr, "  got  %s\n  want %s...\n", b.p, want_head);
	/* the trigger is the event line itself */
	CHECK(b.p && b.len == strlen(want_head) + ev.len + 1 && !strncmp(b.p + strlen(want_head), ev.p, ev.len) &&
	      b.p[b.len - 1] == '}');

	/* killed, device, hostile names: escaped, still valid JSON */
	e = ev_mmap(1000, -EINTR, 0, PG, R_ | W_ | X_, MAP_PRIVATE);
	e.flags |= MW_F_ENFORCED;
	static const char hostile[] = "a\nb\x1b[31m\"";
	memcpy(e.comm, hostile, sizeof hostile);
	set_file(&e, MW_FK_CHARDEV, 0, KDEV(1, 1));
	feed_view(&e, "/dev/\"m\x1b\n");
	CHECK_STR(S(), "wx_mapping device_mapping");
	render(&b, &e, "/dev/\"m\x1b\n", "/x\"y", &out[1], 1);
	CHECK(json_ok(b.p));
	CHECK(strstr(b.p, "\"action\":\"killed\"") != NULL);
	CHECK(strstr(b.p, "\"device\":{\"path\":\"/dev/\\\"m\\u001b\\n\",\"rdev\":\"1:1\"}") != NULL);
	CHECK(strstr(b.p, "\"processName\":\"a\\nb\\u001b[31m\\\"\"") != NULL);
	CHECK(strstr(b.p, "\"severity\":\"high\",\"mitre\":\"T1014\",\"technique\":\"Rootkit\"") != NULL);
	CHECK(strstr(b.p, "regionStart") == NULL);
	CHECK(strstr(b.p, "\"returnValue\":-4,") != NULL);
	CHECK(!strchr(b.p, '\n') && !strchr(b.p, '\x1b'));

	/* mixed previous protection; fileless cause; compat flag */
	CHECK_STR(mmap_anon(1000, 0x50000, PG, R_ | W_), "");
	CHECK_STR(mmap_anon(1000, 0x51000, PG, R_), "");
	e = ev_mprotect(1000, 0x50000, 2 * PG, R_ | W_ | X_, 0);
	e.flags = MW_F_COMPAT;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[50000-52000]{rw- W M}");
	render(&b, &e, NULL, NULL, &out[0], 1);
	CHECK(json_ok(b.p));
	CHECK(strstr(b.p, "\"previousProt\":\"PROT_READ|PROT_WRITE\",\"previousProtMixed\":true,\"wasWritable\":true}") != NULL);
	CHECK(strstr(b.p, "\"isCompat\":true") != NULL);
	CHECK(strstr(b.p, "\"executable\":{\"path\":null}") != NULL);
	CHECK_STR(mmap_file(1000, 0x60000, PG, R_ | X_, MAP_SHARED, MW_FK_MEMFD, 0, 0, "/memfd:z"),
		  "exec_fileless[60000-61000]");
	e = ev_mmap(1000, 0x60000, 0, PG, R_ | X_, MAP_SHARED);
	set_file(&e, MW_FK_MEMFD, 0, 0);
	render(&b, &e, "/memfd:z", NULL, &out[0], 1);
	CHECK(json_ok(b.p));
	CHECK(strstr(b.p, "\"fileless\":\"memfd\"},\"trigger\":{") != NULL);
	CHECK(strstr(b.p, "previousProt") == NULL);
	sb_free(&b);
	sb_free(&ev);
	done();
}

TEST(alerts_table_line)
{
	struct strbuf b = { 0 }, t = { 0 }, call = { 0 };

	fresh();
	CHECK_STR(mmap_anon(1100, 0x30000, 2 * PG, R_ | W_), "");
	CHECK_STR(mprot(1100, 0x30000, PG, R_), "");
	struct mw_event e = ev_mprotect(1100, 0x30000, PG, R_ | X_, 0);
	memcpy(e.comm, "ev\x1bil", 6);
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[30000-31000]{r-- W}");
	render(&b, &e, NULL, NULL, &out[0], 0);
	struct mw_view v = { .e = &e, .ts_ns = 1700000000123456789ull };
	mw_format_table(&t, &v);
	mw_format_call(&call, &v);
	/* same columns as the event line, then ALERT ... and the call */
	size_t plen = t.len - call.len;
	struct strbuf want = { 0 };
	sb_put(&want, t.p, plen);
	sb_puts(&want, "ALERT medium x_after_w T1027.002: mprotect(addr=0x30000, len=4096, "
		       "prot=PROT_READ|PROT_EXEC) = 0 [previous PROT_READ, was writable]");
	CHECK_STR(b.p, want.p);
	CHECK(strstr(b.p, "ev\\x1bil") != NULL);

	/* mixed, killed, 32-bit */
	CHECK_STR(mmap_anon(1100, 0x51000, PG, R_), "");
	e = ev_mprotect(1100, 0x30000, 0x22000, R_ | W_ | X_, -EINTR);
	e.flags = MW_F_ENFORCED | MW_F_COMPAT;
	e.syscall_nr = 125;
	feed_view(&e, NULL);
	CHECK_STR(S(), "wx_mprotect[30000-52000]{rwx W M}");
	render(&b, &e, NULL, NULL, &out[0], 0);
	CHECK(strstr(b.p, " ALERT high wx_mprotect T1055: mprotect(addr=0x30000, len=139264, "
			  "prot=PROT_READ|PROT_WRITE|PROT_EXEC) = -1 EINTR (Interrupted system call) [32-bit] "
			  "[previous PROT_READ|PROT_WRITE|PROT_EXEC, partly] [killed]") != NULL);
	/* a new mapping has no previous protection */
	e = ev_mmap(1100, 0x70000, 0, PG, R_ | W_ | X_, ANON);
	feed_view(&e, NULL);
	render(&b, &e, NULL, NULL, &out[0], 0);
	CHECK(strstr(b.p, "fd=-1, off=0) = 0x70000") != NULL && !strstr(b.p, "previous"));
	sb_free(&b);
	sb_free(&t);
	sb_free(&call);
	sb_free(&want);
	done();
}

/* dropped_code: the kernel's file-age flags on an executable file VMA, judged when the call asked for exec */
static const char *dropped(unsigned prot, unsigned effflags, unsigned age, int mprotect_call)
{
	struct mw_event e = mprotect_call ? ev_mprotect(301, 0x50000, PG, prot, 0)
					  : ev_mmap(301, 0x50000, 0, PG, prot, MAP_PRIVATE);
	if (!mprotect_call)
		set_file(&e, MW_FK_REGULAR, 0, 0);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | ((prot & X_) ? MW_VM_EXEC : 0);
	e.vma_start = 0x50000, e.vma_end = 0x51000;
	e.eff_flags = (uint16_t)effflags;
	e.file_age_s = (uint16_t)age;
	feed_view(&e, "/tmp/x.so");
	return S();
}

TEST(alerts_dropped_code)
{
	fresh();
	CHECK_STR(dropped(R_ | X_, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 0, 0), "dropped_code[50000-51000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_INT(out[0].dropped, MW_DR_WRITTEN_AFTER_START);
	CHECK_STR(out[0].mitre, "T1129");
	CHECK_STR(dropped(R_ | X_, MW_EFFF_FILE_AGE | MW_EFFF_CHANGED_AFTER_START, 65535, 0), "dropped_code[50000-51000]");
	CHECK_INT(out[0].severity, MW_SEV_MEDIUM);
	CHECK_INT(out[0].dropped, MW_DR_CHANGED_AFTER_START);
	CHECK_STR(dropped(R_ | X_, MW_EFFF_FILE_AGE, MW_DROPPED_WINDOW_S - 1, 0), "dropped_code[50000-51000]");
	CHECK_INT(out[0].dropped, MW_DR_RECENT);
	CHECK_INT(out[0].severity, MW_SEV_MEDIUM);
	/* mprotect adding exec to a file region judged the same way */
	CHECK_STR(dropped(R_ | X_, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 3, 1), "dropped_code[50000-51000]");
	/* near misses: an old file, no exec asked, no age known */
	CHECK_STR(dropped(R_ | X_, MW_EFFF_FILE_AGE, MW_DROPPED_WINDOW_S, 0), "");
	CHECK_STR(dropped(R_, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 0, 0), "");
	CHECK_STR(dropped(R_ | X_, 0, 0, 0), "");
	/* JSON and table say why */
	dropped(R_ | X_, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 7, 0);
	{
		struct mw_event e = ev_mmap(301, 0x50000, 0, PG, R_ | X_, MAP_PRIVATE);
		struct mw_view v = { .e = &e, .path = "/tmp/x.so", .exe = exe_now };
		struct strbuf b = { 0 };
		mw_alert_json(&b, &v, &out[0]);
		CHECK(json_ok(b.p));
		CHECK(strstr(b.p, "\"dropped\":{\"cause\":\"writtenAfterStart\",\"ageSeconds\":7}") != NULL);
		sb_reset(&b);
		mw_alert_table(&b, &v, &out[0]);
		CHECK(strstr(b.p, " [file written after the process began, written 7s ago]") != NULL);
		sb_free(&b);
	}
	done();
}

/* An event whose VMA the kernel found aliased (src/bpf/alias.bpf.h). */
static struct mw_event ev_aliased(uint32_t pid, unsigned id, uint64_t addr, unsigned vmf, unsigned aflags)
{
	struct mw_event e = id == MW_EV_MPROTECT ? ev_mprotect(pid, addr, PG, vmf & 7, 0)
						  : ev_mmap(pid, (int64_t)addr, 0, PG, vmf & 7, MAP_SHARED);
	if (id != MW_EV_MPROTECT)
		set_file(&e, MW_FK_REGULAR, 0, 0);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = vmf | MW_VM_SHARED | MW_VM_MAYREAD | MW_VM_MAYWRITE;
	e.vma_start = addr;
	e.vma_end = addr + PG;
	e.eff_flags = (uint16_t)aflags;
	e.alias_pid = 2999;
	e.alias_addr = 0x90000;
	return e;
}

TEST(alerts_wx_alias)
{
	fresh();
	/* executable view, writable view elsewhere (and the file open for writing) */
	struct mw_event e = ev_aliased(2000, MW_EV_MMAP, 0x10000, R_ | X_, MW_EFFF_ALIAS_VIEW | MW_EFFF_ALIAS_FD);
	feed_view(&e, "/tmp/f");
	CHECK_STR(S(), "wx_alias[10000-11000]");
	CHECK_INT(out[0].severity, MW_SEV_HIGH);
	CHECK_STR(out[0].mitre, "T1055");
	CHECK_INT(out[0].alias_via, MW_ALIAS_WRITABLE_VIEW);
	CHECK_INT(out[0].alias_pid, 2999);
	CHECK(out[0].alias_addr == 0x90000 && out[0].alias_fd == 1);
	/* the reverse order: a writable shared view of pages executable elsewhere */
	e = ev_aliased(2000, MW_EV_MMAP, 0x20000, R_ | W_, MW_EFFF_ALIAS_XVIEW);
	feed_view(&e, "/tmp/f");
	CHECK_STR(S(), "wx_alias[20000-21000]");
	CHECK_INT(out[0].alias_via, MW_ALIAS_EXEC_VIEW);
	CHECK_INT(out[0].alias_fd, 0);
	/* an mprotect of a file open for writing: no view named */
	e = ev_aliased(2000, MW_EV_MPROTECT, 0x20000, R_ | X_, MW_EFFF_ALIAS_FD);
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[20000-21000]{rw- W} wx_alias[20000-21000]");
	CHECK_INT(out[1].alias_via, MW_ALIAS_OPEN_FD);
	CHECK_INT(out[1].alias_pid, 0);
	CHECK_INT(out[1].severity, MW_SEV_MEDIUM);
	/* near misses: no alias flag, a failed call, no VMA read, a call that maps by itself */
	e = ev_aliased(2000, MW_EV_MMAP, 0x30000, R_ | X_, 0);
	CHECK_INT(feed_view(&e, "/tmp/f"), 0);
	e = ev_aliased(2000, MW_EV_MMAP, 0x40000, R_ | X_, MW_EFFF_ALIAS_VIEW);
	e.ret = -EACCES;
	CHECK_INT(feed_view(&e, "/tmp/f"), 0);
	e = ev_aliased(2000, MW_EV_MMAP, 0x40000, R_ | X_, MW_EFFF_ALIAS_VIEW);
	e.eff_status = MW_EFF_BUSY;
	CHECK_INT(feed_view(&e, "/tmp/f"), 0);
	e = ev_aliased(2000, MW_EV_MMAP, 0x40000, R_ | X_, MW_EFFF_ALIAS_VIEW);
	e.event = MW_EV_SHMAT; /* shmat's segments are alerts_family.c's */
	feed_view(&e, NULL);
	CHECK(strstr(S(), "wx_alias") == NULL);
	/* killed by --kill-wx for it: reported as the wx_alias, no wx_mapping added */
	e = ev_aliased(2000, MW_EV_MMAP, 0x50000, R_ | X_, MW_EFFF_ALIAS_VIEW);
	e.flags |= MW_F_ENFORCED;
	feed_view(&e, "/tmp/f");
	CHECK_STR(S(), "wx_alias[50000-51000]");
	/* --allow silences it */
	allowed_now = 1;
	e = ev_aliased(2000, MW_EV_MMAP, 0x60000, R_ | X_, MW_EFFF_ALIAS_VIEW);
	CHECK_INT(feed_view(&e, "/tmp/f"), 0);
	allowed_now = 0;
	done();
}

TEST(alerts_clone_vm_shares_one_map)
{
	fresh();
	struct mw_task_rec r = { .type = MW_REC_FORK, .flags = MW_TASK_F_SHARED_MM, .pid = 3101, .ppid = 3100 };
	CHECK_STR(mmap_anon(3100, 0x10000, PG, R_), "");
	mw_alerts_task(A, &r);
	/* the vfork/CLONE_VM child maps and writes memory; the parent flips it RX */
	CHECK_STR(mmap_anon(3101, 0x20000, PG, R_ | W_), "");
	CHECK_STR(mprot(3100, 0x20000, PG, R_ | X_), "x_after_w[20000-21000]{rw- W}");
	/* and the other way round: the child flips the parent's page */
	CHECK_STR(mmap_anon(3100, 0x30000, PG, R_ | W_), "");
	CHECK_STR(mprot(3101, 0x30000, PG, R_ | X_), "x_after_w[30000-31000]{rw- W}");
	CHECK_STR(dump(3101), "");
	/* a grandchild of the same memory joins the same map */
	r.pid = 3102, r.ppid = 3101;
	mw_alerts_task(A, &r);
	CHECK_STR(mmap_anon(3102, 0x40000, PG, R_ | W_), "");
	/* the parent exits: the map moves to a child that still uses the memory */
	task(MW_REC_EXIT, 3100, 0);
	CHECK_STR(mprot(3102, 0x40000, PG, R_ | X_), "x_after_w[40000-41000]{rw- W}");
	CHECK_STR(mprot(3101, 0x20000, PG, R_ | W_), "");
	CHECK_STR(mprot(3102, 0x20000, PG, R_ | X_), "x_after_w[20000-21000]{rw- W}");
	/* exec gives the child a memory of its own: the other keeps the map */
	task(MW_REC_EXEC, 3101, 0);
	CHECK_STR(mmap_anon(3102, 0x50000, PG, R_ | W_), "");
	CHECK_STR(mprot(3102, 0x50000, PG, R_ | X_), "x_after_w[50000-51000]{rw- W}");
	/* a plain fork copies: the child's writes are not the parent's */
	r.flags = 0, r.pid = 3104, r.ppid = 3102;
	mw_alerts_task(A, &r);
	CHECK_STR(mmap_anon(3104, 0x60000, PG, R_ | W_), "");
	CHECK_STR(mmap_anon(3102, 0x60000, PG, R_), "");
	CHECK_STR(mprot(3102, 0x60000, PG, R_ | X_), "");
	done();
}

TEST(alerts_written_pages_of_unknown_history)
{
	fresh();
	/* a gap in the map (the kernel mapped it at exec: .bss, stack) made RX */
	struct mw_event e = ev_mprotect(3200, 0x10000, PG, R_ | X_, 0);
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_EXEC | MW_VM_MAYREAD | MW_VM_MAYWRITE | MW_VM_MAYEXEC;
	e.vma_start = 0x10000, e.vma_end = 0x11000;
	e.eff_flags = MW_EFFF_ANON_WRITTEN;
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[10000-11000]");
	CHECK_INT(out[0].anon_written, 1);
	/* never written (no private copies): nothing */
	e.args[0] = e.vma_start = 0x20000, e.vma_end = 0x21000;
	e.eff_flags = 0;
	CHECK_INT(feed_view(&e, NULL), 0);
	/* known history wins: a read-only page mapped by a traced call, written by no one */
	CHECK_STR(mmap_anon(3200, 0x30000, PG, R_), "");
	e.args[0] = e.vma_start = 0x30000, e.vma_end = 0x31000;
	e.eff_flags = MW_EFFF_ANON_WRITTEN;
	CHECK_INT(feed_view(&e, NULL), 0);
	/* a known RW page: the ordinary x_after_w, not this one */
	CHECK_STR(mmap_anon(3200, 0x40000, PG, R_ | W_), "");
	e.args[0] = e.vma_start = 0x40000, e.vma_end = 0x41000;
	feed_view(&e, NULL);
	CHECK_STR(S(), "x_after_w[40000-41000]{rw- W}");
	CHECK_INT(out[0].anon_written, 0);
	done();
}
