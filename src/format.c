/* format.c - what both renderings of an event share (doc/JSON.md, doc/TABLE.md): records decoded into views, each call's fixed texts, arguments decoded for people; the JSON itself is in format_json.c, the table in format_table.c. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "decode.h"
#include "decode_mem.h"
#include "format_int.h"

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

/* Each call's fixed texts (format_int.h), made once. */
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

const struct call_text *mw_call_text(unsigned ev)
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

/* Formats whose value is all there is (no decoded text). */
static int value_only(unsigned fmt)
{
	switch (fmt) {
	case MW_D_HEX:
	case MW_D_DEC:
	case MW_D_FD:
	case MW_D_PGOFF:
	case MW_D_LEN:
	case MW_D_SHMID:
	case MW_D_MAXNODE:
	case MW_D_COUNT:
		return 1;
	default:
		return 0;
	}
}

/* 1 when s[0..n) goes into a JSON string as it is. */
static int json_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* The decoded text of one argument when the cache does not hold it. */
static struct strbuf tmp;

/* Flag words decoded before, by format and value: a busy process makes the
 * same few calls, so the same few words (PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)
 * come back on every line. Direct-mapped, per thread. */
#define MEMO_SLOTS 64
#define MEMO_TEXT 86
static __thread struct memo {
	uint64_t x;
	uint8_t fmt, n, plain, used;
	char s[MEMO_TEXT];
} memo[MEMO_SLOTS];

static void decode_flags(struct strbuf *b, unsigned fmt, uint64_t x)
{
	switch (fmt) {
	case MW_D_PROT: mw_decode_prot(b, x); break;
	case MW_D_MMAP_FLAGS: mw_decode_mmap_flags(b, x); break;
	case MW_D_MREMAP_FLAGS: mw_decode_mremap_flags(b, x); break;
	case MW_D_MSYNC_FLAGS: mw_decode_msync_flags(b, x); break;
	default: mw_decode_mem_arg(b, fmt, x); break;
	}
}

int mw_decoded(const struct mw_view *v, const struct mw_arg_desc *a, int i, uint64_t x, struct txt *t)
{
	int k;
	const struct mw_udata *u;

	t->p = "";
	t->n = 0;
	if (value_only(a->fmt))
		return 1;
	if (a->tags & MW_TAG_W32)
		x = (uint32_t)x; /* the kernel reads an int: the upper half of the register is not seen */
	sb_reset(&tmp);
	if (MW_D_IS_UMEM_IN(a->fmt) || MW_D_IS_UMEM_OUT(a->fmt)) {
		u = udata_of(v, i, &k);
		mw_decode_udata(&tmp, a->fmt, x, u ? (const unsigned char *)u->data[k] : NULL,
				u ? u->len[k] : MW_UDATA_UNREAD, u ? u->trunc[k] : 0,
				(v->e->flags & MW_F_COMPAT) != 0);
	} else {
		struct memo *m = &memo[((x * 0x9e3779b97f4a7c15ull) >> 58) ^ (a->fmt & (MEMO_SLOTS - 1))];
		if (m->used && m->x == x && m->fmt == a->fmt) {
			t->p = m->s;
			t->n = m->n;
			return m->plain;
		}
		decode_flags(&tmp, a->fmt, x);
		if (!tmp.oom && tmp.len < MEMO_TEXT) {
			m->x = x;
			m->fmt = (uint8_t)a->fmt;
			m->n = (uint8_t)tmp.len;
			m->plain = (uint8_t)json_plain(tmp.p ? tmp.p : "", tmp.len);
			memcpy(m->s, tmp.p ? tmp.p : "", tmp.len);
			m->used = 1;
			t->p = m->s;
			t->n = m->n;
			return m->plain;
		}
	}
	if (tmp.oom || !tmp.p)
		return 1;
	t->p = tmp.p;
	t->n = tmp.len;
	return json_plain(tmp.p, tmp.len);
}

const char *mw_errno_name_n(int err, size_t *n)
{
	/* the length of each name, measured once */
	static __thread uint8_t len[160];
	const char *en = mw_errno_name(err);

	if (!en)
		return NULL;
	if (err > 0 && err < (int)sizeof(len)) {
		if (!len[err])
			len[err] = (uint8_t)strlen(en);
		*n = len[err];
	} else {
		*n = strlen(en);
	}
	return en;
}

void mw_format_core_free(void)
{
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

