/* evidence.c - the run's evidence: chunk records to payloads, payloads to their alerts and to --capture DIR. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_abi.h"
#include "stack_abi.h"
#include "catalog.h"
#include "evidence.h"
#include "exehash.h"
#include "msg.h"

/* A region an alert found writable and executable, whose code may be
 * written after the copy made then: copied again at its munmap/mprotect. */
#define WX_REGIONS 256
struct wx_region {
	uint32_t pid;
	uint16_t kind;
	uint64_t start, end;
	uint64_t age;       /* 0: free */
	struct mw_event e;  /* the call that made it so: the trigger of an alert at the process's exit */
	char *path;         /* its file's path, NULL if none */
};

/* Captures of W+X memory made as a process exited (MW_CHUNK_EXIT), taken
 * at their last chunk, until the process's exit record asks for them. */
#define EXIT_HELD 16
struct exit_held {
	uint32_t pid;       /* 0: free */
	struct mw_payload p;
};

struct mw_evidence {
	struct wx_region wx[WX_REGIONS];
	uint64_t wx_tick;
	struct exit_held held[EXIT_HELD];
	struct mw_captures *caps;
	struct mw_store *store;  /* --capture DIR; NULL: payloads not saved */
	struct mw_yara *yara;    /* --yara; NULL: not scanned */
	struct mw_payload cur;  /* the payload of the event being judged */
	struct mw_exehash *exe; /* executables' sha256s */
	char exe_sha[65];       /* the one of the event being judged */
	char file_sha[65];      /* the sha256 of the file it mapped */
	int have;
	struct mw_evidence_stats st;
};

struct mw_evidence *mw_evidence_open(const struct mw_opts *o, bool by_rules, int *failed)
{
	struct mw_evidence *ev;
	char err[512];

	*failed = 0;
	if (!o->capture_dir && !o->yara && !by_rules)
		return NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev || !(ev->caps = mw_captures_new()) || !(ev->exe = mw_exehash_new())) {
		if (ev)
			mw_captures_free(ev->caps);
		mw_err_line("cannot set up --capture: %s", strerror(errno));
		free(ev);
		*failed = 1;
		return NULL;
	}
	if (o->yara && !(ev->yara = mw_yara_open(o->yara, err, sizeof(err)))) {
		mw_err_line("%s", err);
		mw_evidence_close(ev);
		*failed = 1;
		return NULL;
	}
	if (o->capture_dir && !(ev->store = mw_store_open(o->capture_dir, o->capture_quota, err, sizeof(err)))) {
		mw_err_line("%s", err);
		mw_evidence_close(ev);
		*failed = 1;
		return NULL;
	}
	return ev;
}

/* A capture made at a process's exit is whole: held for its exit record. */
static void exit_hold(struct mw_evidence *ev, const struct mw_chunk_rec *h)
{
	struct exit_held *x = NULL;
	struct mw_payload drop;

	for (int i = 0; i < EXIT_HELD && !x; i++)
		if (!ev->held[i].pid)
			x = &ev->held[i];
	if (!x) {
		ev->st.missing++; /* more exits in flight than held: this one is lost, counted */
		if (mw_captures_take(ev->caps, h->pid, h->tid, h->ts, "/proc", &drop) == 0)
			mw_payload_free(&drop);
		return;
	}
	if (mw_captures_take(ev->caps, h->pid, h->tid, h->ts, "/proc", &x->p)) {
		ev->st.missing++;
		return;
	}
	if (strcmp(x->p.at, "exit")) {
		/* this last chunk was not taken in (out of order): the thread's other capture */
		mw_payload_free(&x->p);
		ev->st.missing++;
		return;
	}
	x->pid = h->pid;
}

void mw_evidence_chunk(struct mw_evidence *ev, const void *rec, size_t size)
{
	struct mw_chunk_rec h;

	if (!ev)
		return;
	mw_captures_chunk(ev->caps, rec, size);
	if (size < sizeof(h))
		return;
	memcpy(&h, rec, offsetof(struct mw_chunk_rec, data));
	if ((h.flags & (MW_CHUNK_EXIT | MW_CHUNK_LAST)) == (MW_CHUNK_EXIT | MW_CHUNK_LAST) && h.pid)
		exit_hold(ev, &h);
}

/* The kinds whose alert is about memory the call made executable. */
static int wants_payload(unsigned kind)
{
	return kind == MW_AL_WX_MAPPING || kind == MW_AL_WX_MPROTECT || kind == MW_AL_X_AFTER_W ||
	       kind == MW_AL_EXEC_FILELESS;
}

static void wx_forget(struct wx_region *r)
{
	free(r->path);
	r->path = NULL;
	r->age = 0;
}

static void wx_remember(struct mw_evidence *ev, const struct mw_view *v, const struct mw_alert *a)
{
	uint32_t pid = v->e->pid;
	struct wx_region *slot = &ev->wx[0];

	for (int i = 0; i < WX_REGIONS; i++) {
		struct wx_region *r = &ev->wx[i];
		if (r->age && r->pid == pid && r->start == a->start) {
			slot = r;
			break;
		}
		if (r->age < slot->age)
			slot = r;
	}
	wx_forget(slot);
	*slot = (struct wx_region){ .pid = pid, .kind = a->kind, .start = a->start, .end = a->end, .age = ++ev->wx_tick,
				    .e = *v->e, .path = v->path ? strdup(v->path) : NULL };
	/* what follows the record in the ring buffer is not kept */
	slot->e.flags &= ~(uint32_t)(MW_F_CAPTURE | MW_F_STACK | MW_F_UDATA);
	slot->e.path_len = 0;
}

static struct wx_region *wx_find(struct mw_evidence *ev, uint32_t pid, uint64_t addr)
{
	for (int i = 0; i < WX_REGIONS; i++)
		if (ev->wx[i].age && ev->wx[i].pid == pid && addr >= ev->wx[i].start && addr < ev->wx[i].end)
			return &ev->wx[i];
	return NULL;
}

void mw_evidence_task_exit(struct mw_evidence *ev, uint32_t pid)
{
	for (int i = 0; ev && i < WX_REGIONS; i++)
		if (ev->wx[i].age && ev->wx[i].pid == pid)
			wx_forget(&ev->wx[i]);
	for (int i = 0; ev && pid && i < EXIT_HELD; i++)
		if (ev->held[i].pid == pid) {
			mw_payload_free(&ev->held[i].p);
			ev->held[i].pid = 0;
		}
}

int mw_evidence_exit_alert(struct mw_evidence *ev, uint32_t pid, const char *exe, uint64_t ts_ns,
			   struct mw_view *v, struct mw_alert *al)
{
	if (!ev || !pid)
		return 0; /* (pid 0 marks a free slot) */
	mw_evidence_done(ev);
	for (int i = 0; i < EXIT_HELD; i++) {
		struct exit_held *x = &ev->held[i];
		if (x->pid != pid)
			continue;
		x->pid = 0;
		struct wx_region *r = wx_find(ev, pid, x->p.addr);
		if (!r) {
			mw_payload_free(&x->p); /* W+X memory no alert named (the region map let it pass) */
			continue;
		}
		ev->cur = x->p;
		memset(&x->p, 0, sizeof(x->p));
		ev->have = 1;
		ev->st.payloads++;
		ev->st.bytes += ev->cur.len;
		ev->st.truncated += ev->cur.truncated;
		int n = 0;
		struct mw_alert *a = mw_alert_add(al, &n, (enum mw_alert_kind)r->kind);
		mw_alert_region(a, r->start, r->end);
		a->payload = &ev->cur;
		/* the process is gone: its executable by the path it had */
		const char *h = mw_exehash_get(ev->exe, "/proc", pid, exe);
		snprintf(ev->exe_sha, sizeof(ev->exe_sha), "%s", h ? h : "");
		a->exe_sha256 = h ? ev->exe_sha : NULL;
		memset(v, 0, sizeof(*v));
		v->e = &r->e;
		v->path = r->path;
		v->exe = exe;
		v->ts_ns = ts_ns;
		if (ev->store && ev->cur.len)
			mw_store_put(ev->store, ev->cur.bytes, ev->cur.len, ev->cur.sha256, pid, ts_ns,
				     mw_alert_kind_name(a->kind), ev->cur.file, sizeof(ev->cur.file));
		return 1;
	}
	return 0;
}

int mw_evidence_attach(struct mw_evidence *ev, const struct mw_view *v, struct mw_alert *al, int n, int max)
{
	const struct mw_event *e = v->e;
	int want = 0;

	if (!ev)
		return n;
	for (int i = 0; i < n; i++)
		if ((al[i].kind == MW_AL_WX_MAPPING || al[i].kind == MW_AL_WX_MPROTECT) && al[i].has_region)
			wx_remember(ev, v, &al[i]);
	mw_evidence_done(ev);
	ev->exe_sha[0] = 0;
	if (n > 0 || (e->flags & MW_F_CAPTURE)) {
		/* every alert names its executable's sha256 (a yara-held copy keeps its own) */
		const char *h = mw_exehash_get(ev->exe, "/proc", e->pid, v->exe);
		snprintf(ev->exe_sha, sizeof(ev->exe_sha), "%s", h ? h : "");
		for (int i = 0; i < n; i++)
			al[i].exe_sha256 = h ? ev->exe_sha : NULL;
		/* the file the call mapped: through /proc/PID/map_files while the mapping lives, else its path */
		if (n > 0 && (e->flags & MW_F_HAS_FILE) && e->eff_status == MW_EFF_OK &&
		    e->file.kind != MW_FK_CHARDEV && e->file.kind != MW_FK_BLOCKDEV) {
			char mf[96];
			snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", e->pid, (unsigned long long)e->vma_start,
				 (unsigned long long)e->vma_end);
			const char *fh = mw_filehash_get(ev->exe, mf, e->file.kind == MW_FK_REGULAR ? v->path : NULL);
			snprintf(ev->file_sha, sizeof(ev->file_sha), "%s", fh ? fh : "");
			for (int i = 0; i < n; i++)
				al[i].file_sha256 = fh ? ev->file_sha : NULL;
		}
	}
	if (!(e->flags & MW_F_CAPTURE))
		return n;
	for (int i = 0; i < n; i++)
		want |= wants_payload(al[i].kind);
	if (mw_captures_take(ev->caps, e->pid, e->tid, e->ts, "/proc", &ev->cur)) {
		ev->st.missing++;
		return n;
	}
	ev->have = 1;
	if (ev->cur.before) {
		/* W+X memory about to be unmapped or changed: its code as it is now */
		const struct mw_event_desc *d = mw_event_desc(e->event);
		struct wx_region *r = wx_find(ev, e->pid, ev->cur.addr);
		ev->cur.at = d ? d->name : "?";
		if (!want && r && n < max && n < MW_ALERTS_MAX) {
			struct mw_alert *x = mw_alert_add(al, &n, (enum mw_alert_kind)r->kind);
			mw_alert_region(x, r->start, r->end);
			if (ev->exe_sha[0])
				x->exe_sha256 = ev->exe_sha;
			want = 1;
		}
		if (r && e->event == MW_EV_MUNMAP)
			wx_forget(r);
	}
	if (!want)
		return n; /* copied for a call no alert names (a JIT's flip the region map let pass) */
	ev->st.payloads++;
	ev->st.bytes += ev->cur.len;
	ev->st.truncated += ev->cur.truncated;
	const char *kind = "exec";
	for (int i = 0; i < n; i++) {
		if (wants_payload(al[i].kind)) {
			kind = mw_alert_kind_name(al[i].kind);
			break;
		}
	}
	if (ev->store && ev->cur.len)
		mw_store_put(ev->store, ev->cur.bytes, ev->cur.len, ev->cur.sha256, e->pid, v->ts_ns, kind,
			     ev->cur.file, sizeof(ev->cur.file));
	for (int i = 0; i < n; i++)
		if (wants_payload(al[i].kind))
			al[i].payload = &ev->cur;
	return n;
}

void mw_evidence_done(struct mw_evidence *ev)
{
	if (!ev || !ev->have)
		return;
	mw_payload_free(&ev->cur);
	ev->have = 0;
}

void mw_evidence_stats(struct mw_evidence *ev, struct mw_evidence_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!ev)
		return;
	*out = ev->st;
	out->orphans = mw_captures_orphans(ev->caps);
	mw_store_stats(ev->store, &out->store);
	mw_yara_stats(ev->yara, &out->yara);
	mw_exehash_counts(ev->exe, &out->exe_hashed, &out->exe_cached);
}

int mw_evidence_defer(struct mw_evidence *ev, const struct mw_view *v, struct mw_alert *al)
{
	if (!ev || !ev->yara || !al->payload)
		return 0;
	return mw_yara_defer(ev->yara, v, al) == 0;
}

void mw_evidence_flush(struct mw_evidence *ev, mw_yara_emit_fn emit, void *ctx, int wait_ms)
{
	if (!ev)
		return;
	mw_yara_flush(ev->yara, emit, ctx, wait_ms);
	if (wait_ms > 0)
		mw_store_drain(ev->store, wait_ms); /* the end of a run: --stats counts every file */
}

void mw_evidence_stats_text(struct mw_evidence *ev, struct strbuf *b, int json)
{
	struct mw_evidence_stats s;

	if (!ev)
		return;
	mw_evidence_stats(ev, &s);
	if (json)
		sb_printf(b, ",\"evidence\":{\"payloads\":%llu,\"bytes\":%llu,\"truncated\":%llu,\"chunksLost\":%llu,"
			  "\"orphans\":%llu,\"saved\":%llu,\"savedBytes\":%llu,\"deduplicated\":%llu,"
			  "\"quotaRemoved\":%llu,\"writeFailed\":%llu,\"queueDropped\":%llu,\"executablesHashed\":%llu,"
			  "\"executableHashesCached\":%llu,\"lastError\":\"%s\"}",
			  (unsigned long long)s.payloads, (unsigned long long)s.bytes,
			  (unsigned long long)s.truncated, (unsigned long long)s.missing,
			  (unsigned long long)s.orphans, (unsigned long long)s.store.saved,
			  (unsigned long long)s.store.saved_bytes, (unsigned long long)s.store.deduplicated,
			  (unsigned long long)s.store.quota_removed, (unsigned long long)s.store.write_failed,
			  (unsigned long long)s.store.queue_dropped, (unsigned long long)s.exe_hashed,
			  (unsigned long long)s.exe_cached, s.store.last_errno ? strerror(s.store.last_errno) : "");
	if (ev->yara) /* the same counters, in the same order, in either form */
		sb_printf(b, json ? ",\"yara\":{\"rules\":%llu,\"files\":%llu,\"compileMs\":%llu,\"scanned\":%llu,"
				    "\"matched\":%llu,\"dropped\":%llu,\"failed\":%llu}"
				  : "mapwatch: yara: %llu rules from %llu files compiled in %llu ms; payloads scanned %llu, "
				    "matched %llu, written unscanned (queue full) %llu, scans failed %llu\n",
			  (unsigned long long)s.yara.rules, (unsigned long long)s.yara.files,
			  (unsigned long long)(s.yara.compile_ns / 1000000), (unsigned long long)s.yara.scanned,
			  (unsigned long long)s.yara.matched, (unsigned long long)s.yara.dropped,
			  (unsigned long long)s.yara.errors);
	if (!json)
		sb_printf(b, "mapwatch: evidence: payloads %llu (%llu bytes, %llu truncated, %llu lost), saved %llu, "
			  "deduplicated %llu, removed for the quota %llu, write failures %llu%s%s%s, queue drops %llu\n",
			  (unsigned long long)s.payloads, (unsigned long long)s.bytes,
			  (unsigned long long)s.truncated, (unsigned long long)s.missing,
			  (unsigned long long)s.store.saved, (unsigned long long)s.store.deduplicated,
			  (unsigned long long)s.store.quota_removed, (unsigned long long)s.store.write_failed,
			  s.store.last_errno ? " (last: " : "", s.store.last_errno ? strerror(s.store.last_errno) : "",
			  s.store.last_errno ? ")" : "", (unsigned long long)s.store.queue_dropped);
}

void mw_evidence_close(struct mw_evidence *ev)
{
	if (!ev)
		return;
	mw_evidence_done(ev);
	for (int i = 0; i < WX_REGIONS; i++)
		wx_forget(&ev->wx[i]);
	for (int i = 0; i < EXIT_HELD; i++)
		mw_payload_free(&ev->held[i].p);
	mw_yara_close(ev->yara);
	mw_store_close(ev->store);
	mw_captures_free(ev->caps);
	mw_exehash_free(ev->exe);
	free(ev);
}
