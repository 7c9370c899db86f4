/* test_golden.c - byte-for-byte output of a fixed set of records (every call of the catalogue,
 * 32-bit calls, faults, files, hostile names, user memory, alerts, loss and notice lines) in
 * JSON and in the table, against tests/unit/golden/. The records are built here, decoded
 * with mw_event_decode() as the reader does, and written with mw_rec_line() as the sinks ask
 * for them. MW_GOLDEN_UPDATE=1 rewrites the files (only when the output is meant to change). */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "t.h"
#include "alert.h"
#include "capture.h"
#include "catalog.h"
#include "container.h"
#include "format.h"
#include "mapwatch.h"
#include "sink.h"

#define GOLDEN_DIR "tests/unit/golden/"

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: the same sequence on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Argument values that exercise the decoders: names, remainders, sign, widths. */
static uint64_t pick_arg(void)
{
	static const uint64_t palette[] = {
		0, 1, 2, 3, 4, 5, 7, 8, 0x10, 0x20, 0x22, 0x21, 0x32, 0x812, 0x100022, 0x40022,
		0x54040022ull, 0x84000022ull, 0x4000000, 0x7, 0x1000007, 0x3000000, 0x80, 0xffffffffull,
		0xfffffffffffff000ull, 0x7f0000001000ull, 4096, 8192, 65536, 0x8000000000000000ull,
		0x100, 0xff, 0x6, 0xa, 0x4000, 0x8000, 0x20000, 0x80000, 0x1f, 0xffff, 12, 100,
	};
	uint64_t r = rng();

	if (r % 5 == 0)
		return rng();
	return palette[(r >> 8) % (sizeof(palette) / sizeof(palette[0]))];
}

static int64_t pick_ret(unsigned ev)
{
	static const int64_t rets[] = { 0, -1, -9, -12, -13, -14, -22, -38, -4095, -4096, -512, 3, 0x7f1234567000ll, 42, 0xf7f00000ll };
	(void)ev;
	return rets[rng() % (sizeof(rets) / sizeof(rets[0]))];
}

struct rec {
	struct mw_event e;
	char tail[sizeof(struct mw_udata) + 512];
};

static void base(struct rec *r, unsigned ev, uint32_t pid)
{
	memset(r, 0, sizeof(*r));
	r->e.type = MW_REC_EVENT;
	r->e.event = (uint16_t)ev;
	r->e.syscall_nr = 9;
	r->e.ts = 1000000000ull * 3 + 123456789ull * (pid % 7);
	r->e.cgroup_id = 4242 + pid;
	r->e.pid = pid;
	r->e.tid = pid + 1;
	r->e.ppid = 1;
	r->e.ns_pid = pid % 1000;
	r->e.ns_tid = pid % 1000 + 1;
	r->e.ns_ppid = 0;
	r->e.uid = 1000;
	r->e.gid = 100;
	r->e.mntns = 4026531841u;
	r->e.pidns = 4026531836u;
	r->e.duration_ns = 1234 + pid;
	memcpy(r->e.comm, "worker", 7);
}

/* Path data as the BPF side writes it: leaf-first NUL-terminated components. */
static void set_path(struct rec *r, const char *const *leaf_first, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(leaf_first[i]) + 1;
		memcpy(r->tail + off, leaf_first[i], l);
		off += l;
	}
	r->e.path_len = (uint16_t)off;
}

struct out {
	struct strbuf json, table;
	struct strbuf text[MW_FMT_MAX];
	struct mw_sinks *sinks; /* set: the records go to these sinks instead */
};

static void emit(struct out *o, struct mw_rec *rec)
{
	const char *l;
	size_t n;

	if (o->sinks) {
		mw_sinks_emit(o->sinks, rec);
		return;
	}
	rec->text = o->text;
	rec->done = 0;
	l = mw_rec_line(rec, MW_FMT_JSON, &n);
	CHECK(l != NULL);
	if (l)
		sb_put(&o->json, l, n);
	l = mw_rec_line(rec, MW_FMT_TABLE, &n);
	CHECK(l != NULL);
	if (l)
		sb_put(&o->table, l, n);
}

/* Decode r as the reader does and write it (and the alerts given) in both formats. */
static void emit_event(struct out *o, struct rec *r, const char *exe, const char *cid,
		       const struct mw_alert *al, int nal)
{
	struct strbuf path = { 0 };
	struct mw_view v;

	if (mw_event_decode(r, sizeof(r->e) + r->e.path_len, &path, &v)) {
		sb_free(&path);
		return;
	}
	v.ts_ns = r->e.ts + 1700000000000000000ull;
	v.exe = exe;
	v.container_id = cid;
	/* a container's identity: names from a runtime's state are outside input */
	struct mw_container ctr = { .id = cid ? cid : "", .name = "web\x1b[31m\"x\xff", .image = "docker.io/library/busybox:1.36",
				    .image_digest = "sha256:0123abcd", .runtime = "containerd", .pod_name = "web-7f9c",
				    .pod_namespace = "shop", .pod_uid = "5e1a7c1e-0000-4000-8000-000000000001" };
	v.ctr = cid ? &ctr : NULL;
	struct mw_rec rec = { .kind = MW_RK_EVENT, .ts_ns = v.ts_ns, .v = &v };
	emit(o, &rec);
	for (int i = 0; i < nal; i++) {
		rec = (struct mw_rec){ .kind = MW_RK_ALERT, .ts_ns = v.ts_ns, .v = &v, .al = &al[i] };
		emit(o, &rec);
	}
	sb_free(&path);
}

static void file_of(struct rec *r, unsigned kind, unsigned flags)
{
	r->e.flags |= MW_F_HAS_FILE;
	r->e.file.kind = (uint16_t)kind;
	r->e.file.flags = (uint16_t)flags;
	r->e.file.ino = 1234567;
	r->e.file.dev = (8u << 20) | 1;
	r->e.file.rdev = (1u << 20) | 5;
	r->e.file.mode = 0100755;
	r->e.file.fs_magic = 0xef53;
}

static void golden_records(struct out *o)
{
	struct rec r;
	static const char *const exes[] = { "/usr/bin/worker", NULL, "/tmp/x\xff\"y\\z", "/opt/\xe2\x80\xa8line" };
	static const char *const cids[] = { NULL, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
	static const char *const comms[] = { "worker", "a\x1b[31mred\n", "\xc3\x28\xc2\x9b\x7f\"\\tab\t", "sixteen_chars_xx" };
	static const char *const p1[] = { "libc.so.6", "x86_64-linux-gnu", "lib", "usr" };
	static const char *const p2[] = { "evil\n\x1b]0;t\x07\xfe\xc0\xaf name \"q\" \\", "tmp" };
	static const char *const p3[] = { "[eventfd]" };
	static const char *const p4[] = { "memfd:payload (deleted)" };

	rng_state = 0x9e3779b97f4a7c15ull;
	/* every call, several random argument sets each, both ABIs, success and failure */
	for (unsigned ev = 0; ev < MW_EV_MAX; ev++) {
		const struct mw_event_desc *d = mw_event_desc(ev);
		if (!d)
			continue;
		for (int k = 0; k < 12; k++) {
			base(&r, ev, 100 + ev * 16 + (unsigned)k);
			for (int i = 0; i < 6; i++)
				r.e.args[i] = i < d->nargs ? pick_arg() : 0;
			if (d->args[0].fmt == MW_D_SHMID || d->args[1].fmt == MW_D_SHMID)
				for (int i = 0; i < d->nargs; i++)
					if (d->args[i].fmt == MW_D_SHMID)
						r.e.args[i] = 0x7ffffff0; /* no such segment: nothing from /proc */
			r.e.ret = pick_ret(ev);
			if (k & 1) {
				r.e.flags |= MW_F_COMPAT;
				r.e.syscall_nr = 192;
			}
			memcpy(r.e.comm, comms[k % 4], strlen(comms[k % 4]) < 16 ? strlen(comms[k % 4]) + 1 : 16);
			if (k == 3 && d->nargs >= 5) {
				file_of(&r, MW_FK_REGULAR, 0);
				set_path(&r, p1, 4);
			}
			if (k == 5 && d->nargs >= 5) {
				file_of(&r, MW_FK_DELETED, MW_FILE_DELETED | MW_FILE_TMPFS);
				set_path(&r, p2, 2);
			}
			if (k == 7 && d->nargs >= 5) {
				file_of(&r, MW_FK_CHARDEV, 0);
				static const char *const dev[] = { "mem", "dev" };
				set_path(&r, dev, 2);
			}
			if (k == 9)
				r.e.ret = -(int64_t)(rng() % 140);
			if (k == 10) {
				r.e.eff_status = MW_EFF_OK;
				r.e.vm_flags = 0x7 | (rng() & 0x1f8);
				r.e.vma_start = 0x7f0000000000ull;
				r.e.vma_end = 0x7f0000004000ull;
				r.e.personality = 0x0400000;
			}
			if (k == 11)
				r.e.eff_status = (uint16_t)(2 + rng() % 3);
			/* user memory for the family's pointer arguments */
			if (k % 4 == 2) {
				struct mw_udata *u = (struct mw_udata *)r.tail;
				int slot = 0;
				memset(u, 0, sizeof(*u));
				u->arg[0] = u->arg[1] = 0xff;
				for (int i = 0; i < d->nargs && slot < MW_UDATA_SLOTS; i++) {
					enum mw_arg_fmt f = d->args[i].fmt;
					if (!MW_D_IS_UMEM_IN(f) && !MW_D_IS_UMEM_OUT(f))
						continue;
					u->arg[slot] = (uint8_t)i;
					if (f == MW_D_USTR) {
						static const char nm[] = "jit\x01code\xff\xe2\x82\xac\"\\";
						memcpy(u->data[slot], nm, sizeof(nm));
						u->len[slot] = sizeof(nm);
					} else {
						for (int j = 0; j < 64; j++)
							u->data[slot][j] = (char)(rng() & (j & 1 ? 0xff : 0x03));
						u->len[slot] = (uint16_t)(8 + 8 * (rng() % 7));
						u->trunc[slot] = (uint8_t)(rng() % 3);
					}
					slot++;
				}
				if (slot) {
					r.e.flags |= MW_F_UDATA;
					r.e.path_len = sizeof(*u);
				}
			}
			emit_event(o, &r, exes[k % 4], cids[(k / 4) % 2], NULL, 0);
		}
	}

	/* i386 old_mmap: struct unreadable, read at exit, TOCTOU */
	base(&r, MW_EV_MMAP, 7000);
	r.e.args[0] = 0x8;
	r.e.ret = -14;
	r.e.syscall_nr = 90;
	r.e.flags = MW_F_COMPAT | MW_F_TOCTOU | MW_F_ARGS_FAULT;
	emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	base(&r, MW_EV_MMAP, 7001);
	r.e.args[1] = 4096, r.e.args[2] = 7, r.e.args[3] = 0x22, r.e.args[4] = 0xffffffff;
	r.e.ret = 0xf7f00000;
	r.e.syscall_nr = 90;
	r.e.flags = MW_F_COMPAT | MW_F_TOCTOU;
	r.e.eff_flags = MW_EFFF_ARGS_REREAD | MW_EFFF_ALLOWED;
	emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	/* seccomp refusal, ipc shmat */
	base(&r, MW_EV_MPROTECT, 7002);
	r.e.args[0] = 0x1000, r.e.args[1] = 4096, r.e.args[2] = 7;
	r.e.ret = -1;
	r.e.flags = MW_F_EXIT_ONLY;
	emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	base(&r, MW_EV_SHMAT, 7003);
	r.e.args[0] = 0x7ffffff1, r.e.args[2] = 0x8000;
	r.e.ret = 0xf7000000;
	r.e.flags = MW_F_COMPAT | MW_F_IPC;
	emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	/* do_mmap in and out of a syscall, without vm_flags */
	for (int k = 0; k < 3; k++) {
		base(&r, MW_EV_DO_MMAP, 7010 + (unsigned)k);
		r.e.args[1] = 4096, r.e.args[2] = 8192, r.e.args[3] = 5, r.e.args[4] = 0x75, r.e.args[5] = 0x812;
		r.e.ret = 0x7f0000000000ll;
		r.e.syscall_nr = k == 0 ? 9 : k == 1 ? 59 : 0xffff;
		r.e.flags = (k == 0 ? MW_F_IN_SYSCALL : 0) | (k == 2 ? MW_F_NO_VMFLAGS : 0);
		file_of(&r, k == 1 ? MW_FK_MEMFD : MW_FK_REGULAR, k == 1 ? MW_FILE_DELETED : 0);
		set_path(&r, p4, 1);
		emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	}
	/* pseudo files, truncated path, bad fd, block device */
	static const unsigned kinds[] = { MW_FK_ANON_INODE, MW_FK_SOCKET, MW_FK_REGULAR, MW_FK_BADFD, MW_FK_BLOCKDEV,
					  MW_FK_SHM, MW_FK_FIFO, MW_FK_UNKNOWN };
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		base(&r, MW_EV_MMAP, 7020 + k);
		r.e.args[1] = 4096, r.e.args[2] = 5, r.e.args[3] = 2, r.e.args[4] = 3 + k, r.e.args[5] = 4096 * k;
		r.e.ret = 0x7f0000000000ll;
		file_of(&r, kinds[k], k == 2 ? MW_FILE_PATH_TRUNC : 0);
		if (kinds[k] == MW_FK_ANON_INODE)
			set_path(&r, p3, 1);
		else if (kinds[k] != MW_FK_SOCKET)
			set_path(&r, p1, 4);
		r.e.eff_status = MW_EFF_OK;
		r.e.vm_flags = 0x75;
		r.e.eff_flags = k == 4 ? MW_EFFF_FROM_PROC : 0;
		r.e.vma_start = 0x7f0000000000ull;
		r.e.vma_end = 0x7f0000001000ull;
		emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	}

	/* alerts of every kind, with what each can carry */
	struct mw_alert al[MW_ALERTS_MAX];
	for (int kind = 0; kind < MW_AL_KIND_MAX; kind++) {
		int n = 0;
		struct mw_alert *a = mw_alert_add(al, &n, (enum mw_alert_kind)kind);
		base(&r, kind == MW_AL_WX_MAPPING || kind == MW_AL_DEVICE_MAPPING ? MW_EV_MMAP : MW_EV_MPROTECT,
		     8000 + (unsigned)kind);
		r.e.args[0] = 0x7f0000000000ull, r.e.args[1] = 8192, r.e.args[2] = 7, r.e.args[3] = 0x22;
		r.e.args[4] = 0xffffffff;
		r.e.ret = r.e.event == MW_EV_MMAP ? 0x7f0000000000ll : 0;
		r.e.flags = kind == 2 ? MW_F_ENFORCED : 0;
		mw_alert_region(a, 0x7f0000000000ull, 0x7f0000002000ull);
		if (kind == MW_AL_X_AFTER_W || kind == MW_AL_WX_MPROTECT) {
			a->prev_known = 1;
			a->prev_prot = 3;
			a->prev_mixed = kind == MW_AL_WX_MPROTECT;
			a->was_writable = 1;
		}
		/* evidence: a payload (saved, scanned with matches), and one
		 * truncated, read partly from /proc, unsaved, its scan dropped */
		static struct mw_payload pl[2] = {
			{ .len = 8192, .addr = 0x7f0000000000ull, .region_len = 8192, .at = "syscall",
			  .sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			  .file = "/var/lib/mapwatch/cap\"ture/20231114T221320.000000000Z-pid8002-x_after_w-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.bin" },
			{ .len = 4096, .addr = 0x7f0000000000ull, .region_len = 8192, .truncated = true, .unread = 1,
			  .from_proc = 2, .at = "syscall",
			  .sha256 = "ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7" },
		};
		if (kind == MW_AL_X_AFTER_W) {
			a->payload = &pl[0];
			a->yara_state = MW_YARA_SCANNED;
			a->yara_json = "\"mw_marker\",\"packer_upx\"";
			a->yara_text = "mw_marker,packer_upx";
			a->severity = MW_SEV_HIGH;
			a->exe_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
		}
		if (kind == MW_AL_WX_MPROTECT) {
			a->payload = &pl[1];
			a->yara_state = MW_YARA_DROPPED;
			/* copied as its process exited */
			static struct mw_payload at_exit;
			at_exit = pl[1];
			at_exit.at = "exit";
			a->payload = &at_exit;
			a->file_sha256 = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
		}
		if (kind == MW_AL_EXEC_FILELESS) {
			a->fileless = MW_FL_MEMFD;
			a->chain = MW_CHAIN_MEMFD_MMAP;
			a->chain_memfd = 1;
			a->chain_fd = 3;
			a->chain_pid = 8003;
			a->chain_flags = 1;
			strcpy(a->chain_name, "pay\x1bload\xff");
			file_of(&r, MW_FK_MEMFD, MW_FILE_DELETED | MW_FILE_TMPFS);
			set_path(&r, p4, 1);
		}
		if (kind == MW_AL_DEVICE_MAPPING) {
			a->rdev = (1u << 20) | 1;
			file_of(&r, MW_FK_CHARDEV, 0);
			static const char *const dev[] = { "mem", "dev" };
			set_path(&r, dev, 2);
		}
		if (kind == MW_AL_DROPPED_CODE) {
			a->dropped = MW_DR_WRITTEN_AFTER_START;
			a->file_age_s = 3;
			a->severity = MW_SEV_HIGH;
		}
		if (kind == MW_AL_WX_ALIAS) {
			a->alias_via = MW_ALIAS_WRITABLE_VIEW;
			a->alias_fd = 1;
			a->alias_pid = 8123;
			a->alias_addr = 0x7f0000100000ull;
			a = mw_alert_add(al, &n, MW_AL_WX_ALIAS);
			mw_alert_region(a, 0x7f0000000000ull, 0x7f0000002000ull);
			a->alias_via = MW_ALIAS_EXEC_VIEW;
			a->alias_pid = 8124;
			a->alias_addr = 0x7f0000200000ull;
			a = mw_alert_add(al, &n, MW_AL_WX_ALIAS);
			a->alias_via = MW_ALIAS_OPEN_FD;
			a->alias_fd = 1;
		}
		if (kind == MW_AL_WX_MAPPING) {
			a->judged_on_request = 1;
			a = mw_alert_add(al, &n, MW_AL_EXEC_FILELESS);
			a->fileless = MW_FL_REGION;
		}
		emit_event(o, &r, kind == 1 ? NULL : "/usr/bin/jit", cids[kind & 1], al, n);
	}

	/* loss reports and notices */
	struct mw_rec lost = { .kind = MW_RK_LOST, .ts_ns = 1700000003000000000ull, .reason = "ring_buffer_full",
			       .count = 12345, .total = 67890 };
	emit(o, &lost);
	lost.reason = "unmatched_exit";
	lost.count = 1;
	lost.total = 1;
	emit(o, &lost);
	struct mw_rec note = { .kind = MW_RK_NOTICE, .ts_ns = 1700000003000000000ull,
			       .notice_json = "{\"eventName\":\"notice\",\"text\":\"x\"}", .notice_table = "*** notice x" };
	emit(o, &note);
}

/* The table's other time formats, on one record. */
static void golden_times(struct out *o)
{
	static const int fmts[] = { MW_TIME_EPOCH, MW_TIME_RELATIVE, MW_TIME_ISO, MW_TIME_LOCAL, MW_TIME_UTC };
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	struct rec r;

	setenv("TZ", "UTC", 1);
	tzset();
	for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		mw_format_set_time((enum mw_time_fmt)fmts[i], 1700000001000000000ull);
		base(&r, MW_EV_MUNMAP, 9000 + i);
		r.e.args[0] = 0x1001, r.e.args[1] = 4096;
		r.e.ret = -22;
		emit_event(o, &r, "/bin/x", NULL, NULL, 0);
	}
	if (tz) {
		setenv("TZ", tz, 1);
		free(tz);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)sz + 1);
		if (p && fread(p, 1, (size_t)sz, f) == (size_t)sz) {
			p[sz] = 0;
			*n = (size_t)sz;
		} else {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

static void compare(const char *name, const struct strbuf *got)
{
	char path[256];
	size_t n = 0;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s", name);
	if (getenv("MW_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "wb");
		CHECK(f != NULL);
		if (f) {
			CHECK(fwrite(got->p, 1, got->len, f) == got->len);
			CHECK(fclose(f) == 0);
		}
		return;
	}
	char *want = slurp(path, &n);
	CHECK(want != NULL);
	if (!want) {
		fprintf(stderr, "  cannot read %s (run from the repository root)\n", path);
		return;
	}
	CHECK_INT(got->len, n);
	size_t i = 0;
	while (i < n && i < got->len && want[i] == got->p[i])
		i++;
	if (i < n || i < got->len) {
		size_t line = 1;
		for (size_t k = 0; k < i; k++)
			line += want[k] == '\n';
		t_failed_checks++;
		fprintf(stderr, "  %s: first difference at byte %zu (line %zu)\n", path, i, line);
	}
	free(want);
}

/* The syslog sink's messages for the same records, read from a unix
 * datagram socket by a thread of the test; the host name and pid (the
 * only parts that depend on the machine) replaced by HOST and PID. */
struct syslog_rx {
	int fd;
	volatile int stop;
	struct strbuf got;
};

static void *syslog_rx_main(void *arg)
{
	struct syslog_rx *rx = arg;
	static char buf[1 << 16];

	for (;;) {
		struct pollfd p = { .fd = rx->fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0) {
			if (rx->stop)
				break;
			continue;
		}
		ssize_t n = recv(rx->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			sb_put(&rx->got, buf, (size_t)n);
			sb_putc(&rx->got, '\n');
		}
	}
	return NULL;
}

static void replace_all(struct strbuf *b, const char *from, const char *to)
{
	struct strbuf out = { 0 };
	size_t fl = strlen(from);
	const char *p = b->p ? b->p : "", *q;

	while ((q = strstr(p, from))) {
		sb_put(&out, p, (size_t)(q - p));
		sb_puts(&out, to);
		p = q + fl;
	}
	sb_puts(&out, p);
	sb_free(b);
	*b = out;
}

TEST(golden_syslog)
{
	struct syslog_rx rx = { .fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char url[128], host[256] = "", from[300], to[64];
	pthread_t th;

	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/mw-golden-syslog.%d", (int)getpid());
	unlink(a.sun_path);
	CHECK(rx.fd >= 0 && bind(rx.fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(pthread_create(&th, NULL, syslog_rx_main, &rx) == 0);
	snprintf(url, sizeof(url), "unix:%s", a.sun_path);
	struct mw_sinks ss = { 0 };
	struct mw_sink *s = mw_sink_syslog_new(url, 16, true, 64u << 20);
	CHECK(s != NULL && mw_sinks_add(&ss, s) == 0);
	struct out o = { .sinks = &ss };
	mw_format_set_time(MW_TIME_UTC, 0);
	golden_records(&o);
	mw_format_set_time(MW_TIME_LOCAL, 0);
	mw_sinks_close(&ss); /* delivers what is queued */
	usleep(200000);
	rx.stop = 1;
	pthread_join(th, NULL);
	close(rx.fd);
	unlink(a.sun_path);
	gethostname(host, sizeof(host) - 1);
	snprintf(from, sizeof(from), " %s mapwatch %d ", host, (int)getpid());
	snprintf(to, sizeof(to), " HOST mapwatch PID ");
	replace_all(&rx.got, from, to);
	compare("syslog.txt", &rx.got);
	sb_free(&rx.got);
}

TEST(golden_output)
{
	struct out o = { 0 };

	mw_format_set_time(MW_TIME_UTC, 0);
	golden_records(&o);
	golden_times(&o);
	mw_format_set_time(MW_TIME_LOCAL, 0);
	compare("events.json", &o.json);
	compare("events.txt", &o.table);
	sb_free(&o.json);
	sb_free(&o.table);
	for (int f = 0; f < MW_FMT_MAX; f++)
		sb_free(&o.text[f]);
}

/* The context keys kept from the thread's last line: a line made with that
 * copy is the line made from scratch, when the executable's text changes in
 * the same storage, the container appears, a name or an id changes. */
TEST(golden_task_keys_cache)
{
	struct rec r;
	char exe[32] = "/bin/first";
	struct strbuf warm = { 0 }, cold = { 0 };
	struct mw_view v;

	base(&r, MW_EV_MUNMAP, 4000);
	r.e.ret = -22;
	for (int step = 0; step < 8; step++) {
		if (step == 2)
			strcpy(exe, "/bin/second"); /* same pointer, other text */
		if (step == 4)
			r.e.comm[0] = 'W';
		if (step == 5)
			r.e.uid = 0;
		if (step == 6)
			r.e.cgroup_id++;
		CHECK(mw_event_decode(&r, sizeof(r.e), NULL, &v) == 0);
		v.exe = step == 7 ? NULL : exe;
		v.container_id = step >= 3 ? "abc" : NULL;
		sb_reset(&warm);
		mw_format_json(&warm, &v);
		mw_format_free();
		sb_reset(&cold);
		mw_format_json(&cold, &v);
		CHECK_STR(warm.p, cold.p);
		sb_reset(&warm);
		mw_format_json(&warm, &v); /* the copy just made */
		CHECK_STR(warm.p, cold.p);
	}
	sb_free(&warm);
	sb_free(&cold);
	mw_format_free();
}

/* The same records through file sinks, which format each line straight into
 * their own buffers (mw_rec_append): a JSON file rotated at 64 KiB (each
 * line that crosses the size starts the new file), a second JSON file that
 * takes every line from the first one's buffer, a table file. Put back
 * together, the files are the golden files byte for byte. */
TEST(golden_file_sinks)
{
	char dir[] = "/tmp/mw-golden-files.XXXXXX", rot[300], copy[300], table[300], p[320];
	struct mw_sinks ss = { 0 };
	struct mw_sink *s;
	struct mw_sink_stats st = { 0 };
	struct strbuf got = { 0 };
	size_t n = 0;
	char *d;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(rot, sizeof(rot), "%s/rot.json", dir);
	snprintf(copy, sizeof(copy), "%s/copy.json", dir);
	snprintf(table, sizeof(table), "%s/events.txt", dir);
	s = mw_sink_file_new(rot, MW_FMT_JSON, false, 65536, 64);
	CHECK(s != NULL && mw_sinks_add(&ss, s) == 0);
	s = mw_sink_file_new(copy, MW_FMT_JSON, false, 0, 0);
	CHECK(s != NULL && mw_sinks_add(&ss, s) == 0);
	s = mw_sink_file_new(table, MW_FMT_TABLE, false, 0, 0);
	CHECK(s != NULL && mw_sinks_add(&ss, s) == 0);
	struct out o = { .sinks = &ss };
	mw_format_set_time(MW_TIME_UTC, 0);
	golden_records(&o);
	golden_times(&o);
	mw_format_set_time(MW_TIME_LOCAL, 0);
	CHECK(mw_sinks_flush(&ss) == 0);
	ss.s[0]->ops->stats(ss.s[0], &st);
	CHECK(st.rotations >= 5);
	mw_sinks_close(&ss);
	for (int k = 64; k >= 0; k--) {
		if (k)
			snprintf(p, sizeof(p), "%s.%d", rot, k);
		else
			snprintf(p, sizeof(p), "%s", rot);
		if (!(d = slurp(p, &n)))
			continue;
		CHECK(n <= 65536); /* no line of these is longer than a file */
		sb_put(&got, d, n);
		free(d);
		unlink(p);
	}
	compare("events.json", &got);
	sb_reset(&got);
	const char *const others[2][2] = { { copy, "events.json" }, { table, "events.txt" } };
	for (int i = 0; i < 2; i++) {
		d = slurp(others[i][0], &n);
		CHECK(d != NULL);
		sb_reset(&got);
		if (d)
			sb_put(&got, d, n);
		free(d);
		compare(others[i][1], &got);
		unlink(others[i][0]);
	}
	sb_free(&got);
	CHECK(rmdir(dir) == 0);
}
