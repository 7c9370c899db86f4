/* format_json.c - the JSON line of an event (doc/JSON.md): its context keys (a thread's kept from line to line), the call, the file, what the kernel did. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "container.h"
#include "decode.h"
#include "decode_mem.h"
#include "format_int.h"
#include "proc.h"

/* A key (its text with the comma before and the colon after: ",\"name\":")
 * and its string value. */
static inline void key_str(struct strbuf *b, const char *key, const char *s)
{
	sb_puts(b, key);
	sb_json_str(b, s, strlen(s));
}

/* JSON for a SysV segment id: the segment's key, size and owner, from
 * /proc/sysvipc/shm of mapwatch's own ipc namespace, when it is there. */
static void shm_json(struct strbuf *b, uint64_t raw)
{
	struct mw_shm_info si;

	if (mw_shm_info((int)(int32_t)raw, &si))
		return;
	sb_printf(b, ",\"segment\":{\"key\":%d,\"size\":%" PRIu64 ",\"uid\":%u,\"cuid\":%u,\"cpid\":%d,\"perms\":\"0%o\"}",
		  si.key, si.size, si.uid, si.cuid, si.cpid, si.perms);
}

/* lead "key":"path" and, when the path is not valid UTF-8 (so the JSON string
 * had to replace bytes with U+FFFD), "keyHex":"<its exact bytes in hex>". */
static void path_json(struct strbuf *b, const char *lead, const char *key, const char *path)
{
	size_t n = path ? strlen(path) : 0;

	sb_puts(b, lead);
	sb_putc(b, '"');
	sb_puts(b, key);
	sb_puts(b, "\":");
	if (!path) {
		sb_puts(b, "null");
		return;
	}
	sb_json_str(b, path, n);
	if (!sb_utf8_valid(path, n)) {
		sb_puts(b, ",\"");
		sb_puts(b, key);
		sb_puts(b, "Hex\":\"");
		sb_hex_bytes(b, path, n);
		sb_putc(b, '"');
	}
}

/* What changes once a second, made then and not per line: the second in
 * decimal (JSON "timestamp" is it and nine digits of nanoseconds) and the
 * UTC date and time to the second. */
static __thread struct {
	time_t sec;
	size_t sec_len, head_len;
	char sec_digits[24];
	char head[64];
} clock_text = { .sec = (time_t)-1 };

static void clock_at(time_t sec)
{
	struct tm tm;
	int n;

	if (sec == clock_text.sec)
		return;
	gmtime_r(&sec, &tm);
	n = snprintf(clock_text.head, sizeof(clock_text.head), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	clock_text.head_len = n > 0 && (size_t)n < sizeof(clock_text.head) ? (size_t)n : strlen(clock_text.head);
	clock_text.sec_len = (size_t)(cur_u64(clock_text.sec_digits, (unsigned long long)sec) - clock_text.sec_digits);
	clock_text.sec = sec;
}

/* ts_ns as mw_put_utc writes it, through a cursor (at most 64 + 10 bytes);
 * ns9 (when not NULL) holds the nine digits of its nanoseconds already. */
static char *cur_utc(char *q, uint64_t ts_ns, int digits, const char *ns9)
{
	time_t sec = (time_t)(ts_ns / 1000000000ull);

	clock_at(sec);
	q = cur_put(q, clock_text.head, clock_text.head_len);
	/* all nine digits written, the first `digits` kept */
	if (ns9)
		memcpy(q, ns9, 9);
	else
		cur_dec_fixed(q, ts_ns % 1000000000ull, 9);
	q += digits < 0 ? 0 : digits > 9 ? 9 : digits;
	*q++ = 'Z';
	return q;
}

/* "timestamp":N,"time":"..." of ts_ns (at most 20 + 10 + 74 + 1 bytes): the
 * nanoseconds' digits made once for both. */
static char *cur_timestamps(char *q, uint64_t ts_ns)
{
	char *ns9;

	if (ts_ns < 1000000000ull) {
		q = cur_u64(q, ts_ns);
		q = CUR_LIT(q, ",\"time\":\"");
		q = cur_utc(q, ts_ns, 9, NULL);
	} else {
		clock_at((time_t)(ts_ns / 1000000000ull));
		q = cur_put(q, clock_text.sec_digits, clock_text.sec_len);
		ns9 = q;
		q = cur_dec_fixed(q, ts_ns % 1000000000ull, 9);
		q = CUR_LIT(q, ",\"time\":\"");
		q = cur_utc(q, ts_ns, 9, ns9);
	}
	*q++ = '"';
	return q;
}

void mw_put_utc(struct strbuf *b, uint64_t ts_ns, int digits)
{
	char *q = sb_room(b, 64 + 10);

	if (q)
		sb_commit(b, (size_t)(cur_utc(q, ts_ns, digits, NULL) - q));
}

static void file_json(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_file *f = &v->e->file;

	const char *kind = mw_file_kind_name(f->kind);

	sb_puts(b, ",\"file\":{\"kind\":");
	sb_json_str(b, kind, strlen(kind));
	if (f->kind != MW_FK_BADFD && f->kind != MW_FK_NONE) {
		path_json(b, ",", "path", v->path);
		sb_puts(b, ",\"device\":\"");
		sb_put_u64(b, MW_MAJOR(f->dev));
		sb_putc(b, ':');
		sb_put_u64(b, MW_MINOR(f->dev));
		sb_puts(b, "\",\"major\":");
		sb_put_u64(b, MW_MAJOR(f->dev));
		sb_puts(b, ",\"minor\":");
		sb_put_u64(b, MW_MINOR(f->dev));
		sb_puts(b, ",\"inode\":");
		sb_put_u64(b, f->ino);
		if (f->kind == MW_FK_CHARDEV || f->kind == MW_FK_BLOCKDEV) {
			sb_puts(b, ",\"rdev\":\"");
			sb_put_u64(b, MW_MAJOR(f->rdev));
			sb_putc(b, ':');
			sb_put_u64(b, MW_MINOR(f->rdev));
			sb_putc(b, '"');
		}
		sb_puts(b, ",\"mode\":\"0");
		sb_put_oct(b, f->mode);
		sb_puts(b, (f->flags & MW_FILE_DELETED) ? "\",\"deleted\":true" : "\",\"deleted\":false");
		sb_puts(b, (f->flags & MW_FILE_TMPFS) ? ",\"tmpfs\":true,\"fsMagic\":\"" : ",\"tmpfs\":false,\"fsMagic\":\"");
		sb_put_hex(b, f->fs_magic);
		sb_putc(b, '"');
		if (f->flags & MW_FILE_PATH_TRUNC)
			sb_puts(b, ",\"pathTruncated\":true");
	}
	sb_putc(b, '}');
}

static void json_task_context(struct strbuf *b, const struct mw_view *v);

/* The context keys from "processId" to "containerId": the same for every
 * event of a thread until its ids, names or executable change. */
static void json_task_keys(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;

	/* the ten ids written in place (the longest key is 23 bytes) */
	char *q = sb_room(b, 10 * (24 + CUR_U64_MAX)), *q0 = q;
	if (!q)
		return;
	q = cur_u64(CUR_LIT(q, ",\"processId\":"), e->ns_pid);
	q = cur_u64(CUR_LIT(q, ",\"threadId\":"), e->ns_tid);
	q = cur_u64(CUR_LIT(q, ",\"parentProcessId\":"), e->ns_ppid);
	q = cur_u64(CUR_LIT(q, ",\"hostProcessId\":"), e->pid);
	q = cur_u64(CUR_LIT(q, ",\"hostThreadId\":"), e->tid);
	q = cur_u64(CUR_LIT(q, ",\"hostParentProcessId\":"), e->ppid);
	q = cur_u64(CUR_LIT(q, ",\"userId\":"), e->uid);
	q = cur_u64(CUR_LIT(q, ",\"groupId\":"), e->gid);
	q = cur_u64(CUR_LIT(q, ",\"mountNamespace\":"), e->mntns);
	q = cur_u64(CUR_LIT(q, ",\"pidNamespace\":"), e->pidns);
	sb_commit(b, (size_t)(q - q0));
	sb_puts(b, ",\"processName\":");
	sb_json_str(b, e->comm, strnlen(e->comm, sizeof(e->comm)));
	sb_puts(b, ",\"executable\":{");
	path_json(b, "", "path", v->exe);
	sb_puts(b, "},\"cgroupId\":");
	sb_put_u64(b, e->cgroup_id);
	sb_puts(b, ",\"containerId\":");
	if (v->container_id)
		sb_json_str(b, v->container_id, strlen(v->container_id));
	else
		sb_puts(b, "\"\"");
}

/* What json_task_keys' text depends on, compared as bytes. */
struct task_key {
	uint32_t ids[10];     /* pid, tid, ppid, ns_pid, ns_tid, ns_ppid, uid, gid, mntns, pidns */
	uint64_t cgroup_id;
	char comm[MW_TASK_COMM_LEN];
	uint8_t has_exe, has_cid;
};

static void task_key_of(struct task_key *k, const struct mw_view *v)
{
	const struct mw_event *e = v->e;

	memset(k, 0, sizeof(*k));
	k->ids[0] = e->pid, k->ids[1] = e->tid, k->ids[2] = e->ppid;
	k->ids[3] = e->ns_pid, k->ids[4] = e->ns_tid, k->ids[5] = e->ns_ppid;
	k->ids[6] = e->uid, k->ids[7] = e->gid, k->ids[8] = e->mntns, k->ids[9] = e->pidns;
	k->cgroup_id = e->cgroup_id;
	memcpy(k->comm, e->comm, sizeof(k->comm));
	k->has_exe = v->exe != NULL;
	k->has_cid = v->container_id != NULL;
}

/* One entry: the reader sees runs of events from the same thread (a busy
 * process is what makes the reader busy). The executable and container
 * strings are compared by content, not by pointer (a freed string's
 * address can come back with another path). */
static struct {
	struct task_key key;
	struct strbuf exe, cid, text;
	int valid;
} task_cache;

static int same_str(const struct strbuf *kept, const char *s)
{
	if (!s)
		return 1; /* the key's has_* flag says it is absent in both */
	size_t n = strlen(s);
	return kept->len == n && !memcmp(kept->p, s, n);
}

/* The "container" and "kubernetes" objects (Tracee's keys; "" where unknown). */
static void json_ctr_keys(struct strbuf *b, const struct mw_container *c)
{
	if (!c) {
		sb_puts(b, ",\"container\":{\"id\":\"\",\"name\":\"\",\"image\":\"\",\"imageDigest\":\"\",\"runtime\":\"\"},"
			   "\"kubernetes\":{\"podName\":\"\",\"podNamespace\":\"\",\"podUID\":\"\"}");
		return;
	}
	key_str(b, ",\"container\":{\"id\":", c->id);
	key_str(b, ",\"name\":", c->name);
	key_str(b, ",\"image\":", c->image);
	key_str(b, ",\"imageDigest\":", c->image_digest);
	key_str(b, ",\"runtime\":", c->runtime);
	key_str(b, "},\"kubernetes\":{\"podName\":", c->pod_name);
	key_str(b, ",\"podNamespace\":", c->pod_namespace);
	key_str(b, ",\"podUID\":", c->pod_uid);
	sb_putc(b, '}');
}

void mw_format_json_context(struct strbuf *b, const struct mw_view *v)
{
	json_task_context(b, v);
	json_ctr_keys(b, v->ctr);
}

static void json_task_context(struct strbuf *b, const struct mw_view *v)
{
	struct task_key k;

	/* the hottest code of the reader: fixed keys and numbers written in place, no printf */
	char *q = sb_room(b, 32 + CUR_U64_MAX + 10 + 64 + 10 + 1), *q0 = q;
	if (!q)
		return;
	q = CUR_LIT(q, "{\"schemaVersion\":" MW_SCHEMA_VERSION_STR ",\"timestamp\":");
	q = cur_timestamps(q, v->ts_ns);
	sb_commit(b, (size_t)(q - q0));
	task_key_of(&k, v);
	if (task_cache.valid && !memcmp(&k, &task_cache.key, sizeof(k)) && same_str(&task_cache.exe, v->exe) &&
	    same_str(&task_cache.cid, v->container_id)) {
		sb_put(b, task_cache.text.p, task_cache.text.len);
		return;
	}
	size_t start = b->len;
	json_task_keys(b, v);
	if (b->oom)
		return;
	sb_reset(&task_cache.text);
	sb_reset(&task_cache.exe);
	sb_reset(&task_cache.cid);
	sb_put(&task_cache.text, b->p + start, b->len - start);
	if (v->exe)
		sb_puts(&task_cache.exe, v->exe);
	if (v->container_id)
		sb_puts(&task_cache.cid, v->container_id);
	task_cache.key = k;
	task_cache.valid = !task_cache.text.oom && !task_cache.exe.oom && !task_cache.cid.oom;
}

/* Free what the formatters keep between lines (at exit, for leak checkers). */
void mw_format_free(void)
{
	sb_free(&task_cache.text);
	sb_free(&task_cache.exe);
	sb_free(&task_cache.cid);
	task_cache.valid = 0;
	mw_format_core_free();
}

/* The keys of what the kernel did: effectiveProt and its VMA, personality,
 * old_mmap arguments read at exit, --allow verdict. */
static void effect_json(struct strbuf *b, const struct mw_event *e)
{
	int ep = mw_effective_prot(e);
	const char *err = mw_eff_error_name(e);

	if (ep >= 0) {
		sb_puts(b, ",\"effectiveProt\":\"");
		mw_decode_prot(b, (uint64_t)ep);
		if (e->eff_flags & MW_EFFF_FROM_PROC) { /* /proc shows rwx and s/p only */
			sb_puts(b, (e->vm_flags & MW_VM_SHARED) ? "\",\"vmShared\":true" : "\",\"vmShared\":false");
		} else {
			sb_puts(b, "\",\"vmFlags\":\"");
			sb_put_hex(b, e->vm_flags);
			sb_puts(b, (e->vm_flags & MW_VM_SHARED) ? "\",\"vmShared\":true" : "\",\"vmShared\":false");
			sb_puts(b, (e->vm_flags & MW_VM_MAYWRITE) ? ",\"vmMayWrite\":true" : ",\"vmMayWrite\":false");
		}
		sb_puts(b, ",\"vmaStart\":\"");
		sb_put_hex(b, e->vma_start);
		sb_puts(b, "\",\"vmaEnd\":\"");
		sb_put_hex(b, e->vma_end);
		sb_putc(b, '"');
	} else if (err) {
		sb_printf(b, ",\"effectiveProt\":null,\"effectiveProtError\":\"%s\"", err);
	}
	if (e->personality & MW_READ_IMPLIES_EXEC)
		sb_printf(b, ",\"personality\":\"0x%x\",\"readImpliesExec\":true", e->personality);
	if (e->eff_flags & MW_EFFF_ARGS_REREAD)
		sb_puts(b, ",\"argsReadAtExit\":true");
	if (e->eff_flags & MW_EFFF_ALLOWED)
		sb_puts(b, ",\"allowed\":true");
	if (e->eff_flags & MW_EFFF_FROM_PROC)
		sb_puts(b, ",\"effectiveFrom\":\"/proc/PID/maps\""); /* --kill-wx stopped it to look */
}

/* ,"decoded":"..." of argument i, when it has a decoded text. */
static void decoded_json(struct strbuf *b, const struct mw_view *v, const struct mw_arg_desc *a, int i, uint64_t x)
{
	struct txt t;
	int plain = mw_decoded(v, a, i, x, &t);
	char *q;

	if (!t.n)
		return;
	if (!plain) {
		sb_puts(b, ",\"decoded\":");
		sb_json_str(b, t.p, t.n);
		return;
	}
	q = sb_room(b, 13 + t.n + 1);
	if (!q)
		return;
	memcpy(q, ",\"decoded\":\"", 12);
	memcpy(q + 12, t.p, t.n);
	q[12 + t.n] = '"';
	sb_commit(b, 13 + t.n);
}

/* The keys from "eventId" to "args":[ of a syscall (not do_mmap, exec):
 * bounded, written through one cursor (at most ct->json_head.n + 64 bytes). */
static char *call_keys(char *q, const struct mw_event *e, const struct call_text *ct)
{
	q = cur_put(q, ct->json_head.p, ct->json_head.n);
	q = cur_u64(q, e->syscall_nr);
	if (e->flags & MW_F_COMPAT)
		q = CUR_LIT(q, ",\"abi\":\"" MW_ABI_COMPAT "\"");
	else
		q = CUR_LIT(q, ",\"abi\":\"" MW_ABI_NATIVE "\"");
	return q;
}

/* From "returnValue" to "args":[ (at most RESULT_MAX bytes). */
#define RESULT_MAX 512
static char *result_keys(char *q, const struct mw_event *e, const struct mw_event_desc *d)
{
	q = CUR_LIT(q, ",\"returnValue\":");
	q = cur_i64(q, e->ret);
	if (mw_is_error(e->ret)) {
		size_t n;
		const char *en = mw_errno_name_n((int)-e->ret, &n);
		q = CUR_LIT(q, ",\"errno\":");
		if (en && n <= 64) {
			*q++ = '"';
			q = cur_put(q, en, n);
			*q++ = '"';
		} else {
			q = CUR_LIT(q, "null");
		}
	}
	q = CUR_LIT(q, ",\"durationNs\":");
	q = cur_u64(q, e->duration_ns);
	int nargs = d->nargs;
	if (e->flags & MW_F_ARGS_FAULT)
		nargs = 1; /* old_mmap's struct could not be read: its pointer is all there is */
	q = CUR_LIT(q, ",\"argsNum\":");
	q = cur_u64(q, (unsigned)nargs);
	if (e->flags & MW_F_COMPAT)
		q = CUR_LIT(q, ",\"contextFlags\":{\"isCompat\":true}");
	else
		q = CUR_LIT(q, ",\"contextFlags\":{\"isCompat\":false}");
	if (e->flags & MW_F_TOCTOU)
		q = CUR_LIT(q, ",\"toctou\":true");
	if (e->flags & MW_F_ARGS_FAULT)
		q = CUR_LIT(q, ",\"argsFault\":true");
	if (e->flags & MW_F_EXIT_ONLY)
		q = CUR_LIT(q, ",\"exitOnly\":true,\"argsFrom\":\"registers at exit\"");
	if (e->flags & MW_F_IPC)
		q = CUR_LIT(q, ",\"viaIpc\":true");
	if (d->ret == MW_R_BRK) {
		if (mw_brk_failed(e->args[0], e->ret))
			q = CUR_LIT(q, ",\"brkFailed\":true");
		else
			q = CUR_LIT(q, ",\"brkFailed\":false");
	}
	q = CUR_LIT(q, ",\"args\":[");
	if (e->flags & MW_F_ARGS_FAULT) {
		q = CUR_LIT(q, "{\"name\":\"arg\",\"type\":\"pointer\",\"value\":\"");
		q = cur_hex(q, e->args[0]);
		q = CUR_LIT(q, "\",\"tags\":\"U,TOCTOU\",\"unreadable\":true}");
	}
	return q;
}

void mw_format_json(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);
	char *q, *q0;

	if (!d)
		return;
	const struct call_text *ct = mw_call_text(e->event);
	mw_format_json_context(b, v);
	if (e->event == MW_EV_DO_MMAP || e->event == MW_EV_EXEC || e->event == MW_EV_CODE_WRITE) {
		/* not a syscall: say which syscall, if any, the kernel was serving */
		sb_printf(b, ",\"eventId\":\"%u\",\"eventName\":\"%s\",\"syscall\":\"\",\"syscallNr\":%d,\"abi\":\"%s\",\"inMappingSyscall\":%s",
			  e->event, d->name, e->syscall_nr == 0xffff ? -1 : (int)e->syscall_nr,
			  (e->flags & MW_F_COMPAT) ? MW_ABI_COMPAT : MW_ABI_NATIVE,
			  (e->flags & MW_F_IN_SYSCALL) ? "true" : "false");
		if (e->flags & MW_F_NO_VMFLAGS)
			sb_puts(b, ",\"vmFlagsKnown\":false");
		if (!(q = q0 = sb_room(b, RESULT_MAX)))
			return;
	} else {
		if (!(q = q0 = sb_room(b, ct->json_head.n + 64 + RESULT_MAX)))
			return;
		q = call_keys(q, e, ct);
	}
	q = result_keys(q, e, d);
	sb_commit(b, (size_t)(q - q0));
	for (int i = 0; i < d->nargs && !(e->flags & MW_F_ARGS_FAULT); i++) {
		const struct mw_arg_desc *a = &d->args[i];
		const struct txt *tags = &ct->json_tags[(e->flags & MW_F_TOCTOU) != 0][i];

		if (!(q = q0 = sb_room(b, ct->json_arg[i].n + 2 + CUR_U64_MAX + tags->n)))
			return;
		q = cur_put(q, ct->json_arg[i].p, ct->json_arg[i].n);
		if (a->type == MW_T_POINTER) {
			*q++ = '"';
			q = cur_hex(q, e->args[i]);
			*q++ = '"';
		} else if (a->type == MW_T_INT) {
			q = cur_i64(q, mw_arg_signed(a, e->args[i]));
		} else {
			q = cur_u64(q, e->args[i]);
		}
		q = cur_put(q, tags->p, tags->n);
		sb_commit(b, (size_t)(q - q0));
		decoded_json(b, v, a, i, e->args[i]);
		if (a->fmt == MW_D_SHMID)
			shm_json(b, e->args[i]);
		if (a->fmt == MW_D_PGOFF) {
			sb_puts(b, ",\"bytes\":");
			sb_put_u64(b, (uint64_t)e->args[i] * 4096);
		}
		sb_putc(b, '}');
	}
	sb_putc(b, ']');
	if (e->flags & MW_F_HAS_FILE)
		file_json(b, v);
	effect_json(b, e);
	sb_putc(b, '}');
}
