/* format.c - JSON and table renderings of an event (doc/JSON.md, doc/TABLE.md). */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "catalog.h"
#include "decode.h"
#include "decode_mem.h"
#include "proc.h"
#include "format.h"
#include "container.h"
#include <stdio.h>

#define MW_MAJOR(d) ((unsigned)((d) >> 20))
#define MW_MINOR(d) ((unsigned)((d) & 0xfffff))

int mw_is_error(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

void mw_path_rebuild(struct strbuf *out, const char *data, size_t len, const struct mw_file *f)
{
	const char *comp[MW_PATH_DEPTH + 1];
	size_t clen[MW_PATH_DEPTH + 1];
	int n = 0;
	size_t i = 0;

	sb_reset(out);
	while (i < len && n <= MW_PATH_DEPTH) {
		size_t l = strnlen(data + i, len - i);
		comp[n] = data + i;
		clen[n++] = l;
		i += l + 1;
	}
	if (f && f->kind == MW_FK_ANON_INODE && n <= 1) {
		sb_puts(out, "anon_inode:");
		if (n)
			sb_put(out, comp[0], clen[0]);
		return;
	}
	if (f && f->kind == MW_FK_SOCKET && (n == 0 || (n == 1 && clen[0] == 0))) {
		sb_printf(out, "socket:[%" PRIu64 "]", (uint64_t)f->ino);
		return;
	}
	if (f && (f->flags & MW_FILE_PATH_TRUNC))
		sb_puts(out, "...");
	for (int k = n - 1; k >= 0; k--) {
		sb_putc(out, '/');
		sb_put(out, comp[k], clen[k]);
	}
	if (n == 0)
		sb_putc(out, '/');
}

int mw_event_decode(const void *data, size_t size, struct strbuf *path, struct mw_view *v)
{
	const struct mw_event *e = data;
	size_t plen;

	if (size < sizeof(*e) || e->type != MW_REC_EVENT || !mw_event_desc(e->event))
		return -1; /* an unknown event id would write an empty line (found by fuzz_record) */
	plen = e->path_len < size - sizeof(*e) ? e->path_len : size - sizeof(*e);
	memset(v, 0, sizeof(*v));
	v->e = e;
	if ((e->flags & MW_F_UDATA) && plen >= sizeof(struct mw_udata))
		v->udata = (const struct mw_udata *)e->path;
	if ((e->flags & MW_F_HAS_FILE) && e->file.kind != MW_FK_BADFD && e->file.kind != MW_FK_NONE) {
		mw_path_rebuild(path, e->path, plen, &e->file);
		v->path = path->p;
	}
	return 0;
}

int mw_proc_rec_decode(const void *data, size_t size, struct strbuf *path, uint32_t *pid)
{
	const struct mw_proc_rec *r = data;
	struct mw_file f = { 0 };
	size_t len;

	if (size < sizeof(*r) || r->type != MW_REC_PROC)
		return -1;
	len = r->path_len < size - sizeof(*r) ? r->path_len : size - sizeof(*r);
	f.flags = (uint16_t)r->flags;
	mw_path_rebuild(path, r->path, len, &f);
	*pid = r->pid;
	return path->p ? 0 : -1;
}

/* The text of a call that is the same for every event of it, made once per
 * process: JSON's ,"eventId":...,"syscallNr": and each argument's
 * {"name":...,"value": and ,"tags":"..." (without and with TOCTOU), the
 * table's "name(" and "arg=" / ", arg=". Lengths known, so no strlen per event. */
struct txt {
	const char *p;
	size_t n;
};
struct call_text {
	struct txt json_head;          /* ,"eventId":"N","eventName":"x","syscall":"x","syscallNr": */
	struct txt json_arg[6];        /* {"name":"a","type":"t","value":  (a comma before all but the first) */
	struct txt json_tags[2][6];    /* ,"tags":"U"  /  ,"tags":"U,TOCTOU" */
	struct txt table_open;         /* name( */
	struct txt table_arg[6];       /* a=  /  , a= */
};
static struct call_text call_texts[MW_EV_MAX];
static int call_text_ready[MW_EV_MAX]; /* 1 once call_texts[ev] is complete (acquire/release) */
static pthread_mutex_t call_text_mu = PTHREAD_MUTEX_INITIALIZER;

/* Made when the call is first formatted, all its texts in one allocation of
 * the exact size (a buffer per text held ~60 KB for the whole catalogue);
 * built as offsets into b, turned into pointers at the end. */
static void call_text_make(unsigned ev, struct call_text *c)
{
	const struct mw_event_desc *d = mw_event_desc(ev);
	struct strbuf b = { 0 };
	struct txt *all[1 + 1 + 6 * 4];
	size_t off[1 + 1 + 6 * 4 + 1], n = 0;

#define MARK(t) do { (t)->n = b.len - off[n]; all[n] = (t); n++; off[n] = b.len; } while (0)
	off[0] = 0;
	sb_puts(&b, ",\"eventId\":\""); /* Tracee: EventID int `json:"eventId,string"` */
	sb_put_u64(&b, ev);
	sb_puts(&b, "\",\"eventName\":\"");
	sb_puts(&b, d->name);
	sb_puts(&b, "\",\"syscall\":\"");
	sb_puts(&b, d->name);
	sb_puts(&b, "\",\"syscallNr\":");
	MARK(&c->json_head);
	sb_puts(&b, d->name);
	sb_putc(&b, '(');
	MARK(&c->table_open);
	for (int i = 0; i < d->nargs && i < 6; i++) {
		const struct mw_arg_desc *a = &d->args[i];
		char tags[32];

		sb_puts(&b, i ? ",{\"name\":\"" : "{\"name\":\"");
		sb_puts(&b, a->name);
		sb_puts(&b, "\",\"type\":\"");
		sb_puts(&b, mw_arg_type_name(a->type));
		sb_puts(&b, "\",\"value\":");
		MARK(&c->json_arg[i]);
		for (int t = 0; t < 2; t++) {
			sb_puts(&b, ",\"tags\":\"");
			sb_puts(&b, mw_tags_str(a->tags, tags));
			if (t)
				sb_puts(&b, tags[0] ? ",TOCTOU" : "TOCTOU");
			sb_putc(&b, '"');
			MARK(&c->json_tags[t][i]);
		}
		sb_puts(&b, i ? ", " : "");
		sb_puts(&b, a->name);
		sb_putc(&b, '=');
		MARK(&c->table_arg[i]);
	}
#undef MARK
	char *text = b.oom || !b.p ? NULL : malloc(b.len + 1);
	if (text)
		memcpy(text, b.p, b.len + 1);
	for (size_t k = 0; k < n; k++) {
		all[k]->p = text ? text + off[k] : "";
		if (!text)
			all[k]->n = 0; /* out of memory: short lines, as after any failed append */
	}
	sb_free(&b);
}

static const struct call_text *call_text(unsigned ev)
{
	struct call_text *c = &call_texts[ev];

	if (!__atomic_load_n(&call_text_ready[ev], __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&call_text_mu);
		if (!call_text_ready[ev]) {
			call_text_make(ev, c);
			__atomic_store_n(&call_text_ready[ev], 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&call_text_mu);
	}
	return c;
}

static inline void put_txt(struct strbuf *b, struct txt t)
{
	sb_put(b, t.p, t.n);
}

#if defined(__aarch64__)
#define MW_ABI_NATIVE "arm64"
#define MW_ABI_COMPAT "arm"
#else
#define MW_ABI_NATIVE "x86_64"
#define MW_ABI_COMPAT "i386"
#endif

/* Abi name of the caller for an event. */
static const char *abi_name(const struct mw_event *e)
{
#if defined(__aarch64__)
	return (e->flags & MW_F_COMPAT) ? "arm" : "arm64";
#else
	return (e->flags & MW_F_COMPAT) ? "i386" : "x86_64";
#endif
}

/* An argument's value in the type the catalogue gives it. */
static int64_t arg_signed(const struct mw_arg_desc *a, uint64_t raw)
{
	return a->type == MW_T_INT ? (int64_t)(int32_t)raw : (int64_t)raw;
}

/* The user memory read for argument i, if any. */
static const struct mw_udata *udata_of(const struct mw_view *v, int i, int *slot)
{
	const struct mw_udata *u = v->udata;

	if (!u)
		return NULL;
	for (int k = 0; k < MW_UDATA_SLOTS; k++)
		if (u->arg[k] == i) {
			*slot = k;
			return u;
		}
	return NULL;
}

static void decode_arg(struct strbuf *b, const struct mw_view *v, const struct mw_arg_desc *a, int i, uint64_t x)
{
	int k;
	const struct mw_udata *u;

	if (a->tags & MW_TAG_W32)
		x = (uint32_t)x; /* the kernel reads an int: the upper half of the register is not seen */
	switch (a->fmt) {
	case MW_D_PROT: mw_decode_prot(b, x); break;
	case MW_D_MMAP_FLAGS: mw_decode_mmap_flags(b, x); break;
	case MW_D_MREMAP_FLAGS: mw_decode_mremap_flags(b, x); break;
	case MW_D_MSYNC_FLAGS: mw_decode_msync_flags(b, x); break;
	default:
		if (MW_D_IS_UMEM_IN(a->fmt) || MW_D_IS_UMEM_OUT(a->fmt)) {
			u = udata_of(v, i, &k);
			mw_decode_udata(b, a->fmt, x, u ? (const unsigned char *)u->data[k] : NULL,
					u ? u->len[k] : MW_UDATA_UNREAD, u ? u->trunc[k] : 0,
					(v->e->flags & MW_F_COMPAT) != 0);
		} else {
			mw_decode_mem_arg(b, a->fmt, x);
		}
		break;
	}
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

void mw_put_utc(struct strbuf *b, uint64_t ts_ns, int digits)
{
	/* the date and time to the second change once a second: made then, not per line */
	static __thread time_t last = (time_t)-1;
	static __thread char head[64];
	static __thread size_t head_len;
	time_t sec = (time_t)(ts_ns / 1000000000ull);
	unsigned ns = (unsigned)(ts_ns % 1000000000ull);
	char frac[9];

	if (sec != last) {
		struct tm tm;
		gmtime_r(&sec, &tm);
		int n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		head_len = n > 0 && (size_t)n < sizeof(head) ? (size_t)n : strlen(head);
		last = sec;
	}
	for (int i = 8; i >= 0; i--, ns /= 10)
		frac[i] = (char)('0' + ns % 10);
	if (digits < 0)
		digits = 0;
	sb_put(b, head, head_len);
	sb_put(b, frac, (size_t)(digits > 9 ? 9 : digits));
	sb_putc(b, 'Z');
}

/* RFC 3339 UTC time with nanoseconds, quoted. */
static void rfc3339(struct strbuf *b, uint64_t ts_ns)
{
	sb_putc(b, '"');
	mw_put_utc(b, ts_ns, 9);
	sb_putc(b, '"');
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

/* The decoded text of one argument, reused from line to line. */
static struct strbuf tmp;

static void json_task_context(struct strbuf *b, const struct mw_view *v);

/* The context keys from "processId" to "containerId": the same for every
 * event of a thread until its ids, names or executable change. */
static void json_task_keys(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;

	sb_puts(b, ",\"processId\":");
	sb_put_u64(b, e->ns_pid);
	sb_puts(b, ",\"threadId\":");
	sb_put_u64(b, e->ns_tid);
	sb_puts(b, ",\"parentProcessId\":");
	sb_put_u64(b, e->ns_ppid);
	sb_puts(b, ",\"hostProcessId\":");
	sb_put_u64(b, e->pid);
	sb_puts(b, ",\"hostThreadId\":");
	sb_put_u64(b, e->tid);
	sb_puts(b, ",\"hostParentProcessId\":");
	sb_put_u64(b, e->ppid);
	sb_puts(b, ",\"userId\":");
	sb_put_u64(b, e->uid);
	sb_puts(b, ",\"groupId\":");
	sb_put_u64(b, e->gid);
	sb_puts(b, ",\"mountNamespace\":");
	sb_put_u64(b, e->mntns);
	sb_puts(b, ",\"pidNamespace\":");
	sb_put_u64(b, e->pidns);
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
	static const struct mw_container none = { "", "", "", "", "", "", "", "" };

	if (!c)
		c = &none;
	sb_puts(b, ",\"container\":{\"id\":");
	sb_json_str(b, c->id, strlen(c->id));
	sb_puts(b, ",\"name\":");
	sb_json_str(b, c->name, strlen(c->name));
	sb_puts(b, ",\"image\":");
	sb_json_str(b, c->image, strlen(c->image));
	sb_puts(b, ",\"imageDigest\":");
	sb_json_str(b, c->image_digest, strlen(c->image_digest));
	sb_puts(b, ",\"runtime\":");
	sb_json_str(b, c->runtime, strlen(c->runtime));
	sb_puts(b, "},\"kubernetes\":{\"podName\":");
	sb_json_str(b, c->pod_name, strlen(c->pod_name));
	sb_puts(b, ",\"podNamespace\":");
	sb_json_str(b, c->pod_namespace, strlen(c->pod_namespace));
	sb_puts(b, ",\"podUID\":");
	sb_json_str(b, c->pod_uid, strlen(c->pod_uid));
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

	/* the hottest code of the reader: fixed keys and number appends, no printf */
	sb_puts(b, "{\"schemaVersion\":" MW_SCHEMA_VERSION_STR ",\"timestamp\":");
	sb_put_u64(b, v->ts_ns);
	sb_puts(b, ",\"time\":");
	rfc3339(b, v->ts_ns);
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
	sb_free(&tmp);
}

int mw_effective_prot(const struct mw_event *e)
{
	if (e->eff_status != MW_EFF_OK)
		return -1;
	return (int)(e->vm_flags & (MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC)); /* same bits as PROT_* */
}

const char *mw_eff_error_name(const struct mw_event *e)
{
	switch (e->eff_status) {
	case MW_EFF_BUSY: return "EBUSY";
	case MW_EFF_NOVMA: return "ENOENT";
	case MW_EFF_ERROR: return "error";
	default: return NULL;
	}
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

void mw_format_json(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);

	if (!d)
		return;
	const struct call_text *ct = call_text(e->event);
	mw_format_json_context(b, v);
	if (e->event == MW_EV_DO_MMAP || e->event == MW_EV_EXEC || e->event == MW_EV_CODE_WRITE) {
		/* not a syscall: say which syscall, if any, the kernel was serving */
		sb_printf(b, ",\"eventId\":\"%u\",\"eventName\":\"%s\",\"syscall\":\"\",\"syscallNr\":%d,\"abi\":\"%s\",\"inMappingSyscall\":%s",
			  e->event, d->name, e->syscall_nr == 0xffff ? -1 : (int)e->syscall_nr, abi_name(e),
			  (e->flags & MW_F_IN_SYSCALL) ? "true" : "false");
		if (e->flags & MW_F_NO_VMFLAGS)
			sb_puts(b, ",\"vmFlagsKnown\":false");
	} else {
		put_txt(b, ct->json_head);
		sb_put_u64(b, e->syscall_nr);
		if (e->flags & MW_F_COMPAT)
			sb_puts(b, ",\"abi\":\"" MW_ABI_COMPAT "\"");
		else
			sb_puts(b, ",\"abi\":\"" MW_ABI_NATIVE "\"");
	}
	sb_puts(b, ",\"returnValue\":");
	sb_put_i64(b, e->ret);
	if (mw_is_error(e->ret)) {
		const char *en = mw_errno_name((int)-e->ret);
		sb_puts(b, ",\"errno\":");
		if (en) {
			sb_putc(b, '"');
			sb_puts(b, en);
			sb_putc(b, '"');
		} else {
			sb_puts(b, "null");
		}
	}
	sb_puts(b, ",\"durationNs\":");
	sb_put_u64(b, e->duration_ns);
	int nargs = d->nargs;
	if (e->flags & MW_F_ARGS_FAULT)
		nargs = 1; /* old_mmap's struct could not be read: its pointer is all there is */
	sb_puts(b, ",\"argsNum\":");
	sb_put_u64(b, (unsigned)nargs);
	/* if/else, not ?: between literals: a copy of one of two constant
	 * lengths became a rep movsq, ~10 % of this function's time */
	if (e->flags & MW_F_COMPAT)
		sb_puts(b, ",\"contextFlags\":{\"isCompat\":true}");
	else
		sb_puts(b, ",\"contextFlags\":{\"isCompat\":false}");
	if (e->flags & MW_F_TOCTOU)
		sb_puts(b, ",\"toctou\":true");
	if (e->flags & MW_F_ARGS_FAULT)
		sb_puts(b, ",\"argsFault\":true");
	if (e->flags & MW_F_EXIT_ONLY)
		sb_puts(b, ",\"exitOnly\":true,\"argsFrom\":\"registers at exit\"");
	if (e->flags & MW_F_IPC)
		sb_puts(b, ",\"viaIpc\":true");
	if (d->ret == MW_R_BRK)
		sb_puts(b, mw_brk_failed(e->args[0], e->ret) ? ",\"brkFailed\":true" : ",\"brkFailed\":false");
	sb_puts(b, ",\"args\":[");
	if (e->flags & MW_F_ARGS_FAULT) {
		sb_puts(b, "{\"name\":\"arg\",\"type\":\"pointer\",\"value\":\"");
		sb_put_hex(b, e->args[0]);
		sb_puts(b, "\",\"tags\":\"U,TOCTOU\",\"unreadable\":true}");
	}
	for (int i = 0; i < d->nargs && !(e->flags & MW_F_ARGS_FAULT); i++) {
		const struct mw_arg_desc *a = &d->args[i];

		put_txt(b, ct->json_arg[i]);
		if (a->type == MW_T_POINTER) {
			sb_putc(b, '"');
			sb_put_hex(b, e->args[i]);
			sb_putc(b, '"');
		} else if (a->type == MW_T_INT) {
			sb_put_i64(b, arg_signed(a, e->args[i]));
		} else {
			sb_put_u64(b, e->args[i]);
		}
		put_txt(b, ct->json_tags[(e->flags & MW_F_TOCTOU) != 0][i]);
		sb_reset(&tmp);
		decode_arg(&tmp, v, a, i, e->args[i]);
		if (tmp.len) {
			sb_puts(b, ",\"decoded\":");
			sb_json_str(b, tmp.p, tmp.len);
		}
		if (a->fmt == MW_D_SHMID)
			shm_json(b, e->args[i]);
		if (a->fmt == MW_D_PGOFF)
			sb_printf(b, ",\"bytes\":%" PRIu64, (uint64_t)e->args[i] * 4096);
		sb_putc(b, '}');
	}
	sb_putc(b, ']');
	if (e->flags & MW_F_HAS_FILE)
		file_json(b, v);
	effect_json(b, e);
	sb_putc(b, '}');
}

void mw_format_call(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);

	if (!d)
		return;
	const struct call_text *ct = call_text(e->event);
	put_txt(b, ct->table_open);
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

		put_txt(b, ct->table_arg[i]);
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
				sb_put_i64(b, arg_signed(a, x));
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
		default:
			decode_arg(b, v, a, i, x);
			break;
		}
	}
	sb_puts(b, ") = ");
	if (mw_is_error(e->ret)) {
		const char *en = mw_errno_name((int)-e->ret);
		if (en) {
			sb_put(b, "-1 ", 3);
			sb_puts(b, en);
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
	char d[6];

	for (int i = 5; i >= 0; i--, us /= 10)
		d[i] = (char)('0' + us % 10);
	sb_put(b, d, 6);
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

void mw_format_table_prefix(struct strbuf *b, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	size_t start;

	mw_format_time(b, v->ts_ns);
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
}

void mw_format_table(struct strbuf *b, const struct mw_view *v)
{
	mw_format_table_prefix(b, v);
	sb_putc(b, ' ');
	mw_format_call(b, v);
}
