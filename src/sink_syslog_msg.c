/* sink_syslog_msg.c - the syslog sink's messages: one record as an RFC 5424 message (header, the [mapwatch@32473] structured data, the JSON line as body). */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <string.h>
#include "capture.h"
#include "catalog.h"
#include "container.h"
#include "sink_syslog_msg.h"

int mw_syslog_alert_sev(unsigned sev)
{
	return sev == MW_SEV_HIGH ? MW_SLSEV_CRIT : sev == MW_SEV_MEDIUM ? MW_SLSEV_WARNING : MW_SLSEV_NOTICE;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void sd_value(struct strbuf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			sb_putc(b, '\\');
		sb_putc(b, *s);
	}
}

static void sd_param(struct strbuf *b, const char *name, const char *val)
{
	sb_putc(b, ' ');
	sb_puts(b, name);
	sb_put(b, "=\"", 2);
	sd_value(b, val);
	sb_putc(b, '"');
}

static void sd_param_u(struct strbuf *b, const char *name, unsigned long long v)
{
	sb_putc(b, ' ');
	sb_puts(b, name);
	sb_put(b, "=\"", 2);
	sb_put_u64(b, v);
	sb_putc(b, '"');
}

/* The command name as printable ASCII only: SD values must stay one line. */
static void comm_ascii(char *out, const char *comm)
{
	int i;

	for (i = 0; i < MW_TASK_COMM_LEN - 1 && comm[i]; i++)
		out[i] = comm[i] > 0x20 && comm[i] < 0x7f ? comm[i] : '?';
	out[i] = 0;
}

/* A parameter whose value came from outside (a path, a runtime's state, a
 * rule's name): control characters and invalid UTF-8 escaped (\xNN), one
 * line; none when empty. */
static void sd_param_text(struct strbuf *b, struct strbuf *x, const char *name, const char *val)
{
	if (!val || !*val || !x)
		return;
	sb_reset(x);
	sb_text_str(x, val, strlen(val));
	if (x->p && !x->oom)
		sd_param(b, name, x->p);
}

/* An alert's evidence (evidence.h), as the JSON line's "payload", "yara",
 * "executableSha256" and "mappedFileSha256" say it. */
static void sd_evidence(struct strbuf *b, struct strbuf *x, const struct mw_alert *al)
{
	const struct mw_payload *p = al->payload;

	if (p) {
		sd_param(b, "payloadSha256", p->sha256);
		sd_param_u(b, "payloadBytes", p->len);
		sd_param(b, "payloadTruncated", p->truncated ? "true" : "false");
		sd_param(b, "payloadCapturedAt", p->at ? p->at : "syscall");
		sd_param_text(b, x, "payloadFile", p->file[0] ? p->file : NULL);
	}
	if (al->yara_state == MW_YARA_SCANNED) {
		sb_puts(b, " yara=\"");
		if (al->yara_text && x) {
			sb_reset(x);
			sb_text_str(x, al->yara_text, strlen(al->yara_text));
			if (x->p && !x->oom)
				sd_value(b, x->p);
		}
		sb_putc(b, '"');
	} else if (al->yara_state == MW_YARA_DROPPED || al->yara_state == MW_YARA_ERROR) {
		sd_param(b, "yaraScan", al->yara_state == MW_YARA_DROPPED ? "dropped" : "failed");
	}
	if (al->exe_sha256)
		sd_param(b, "executableSha256", al->exe_sha256);
	if (al->file_sha256)
		sd_param(b, "mappedFileSha256", al->file_sha256);
}

void mw_syslog_build(struct strbuf *b, struct strbuf *scratch, const struct mw_syslog_hdr *h, struct mw_rec *r,
		     int sev, const char *msgid)
{
	size_t len;
	const char *json;

	sb_reset(b);
	sb_putc(b, '<');
	sb_put_i64(b, h->facility * 8 + sev);
	sb_put(b, ">1 ", 3);
	mw_put_utc(b, r->ts_ns, 6); /* RFC 5424: microseconds */
	sb_putc(b, ' ');
	sb_puts(b, h->hostname);
	sb_puts(b, " mapwatch ");
	sb_puts(b, h->pidstr);
	sb_putc(b, ' ');
	sb_puts(b, msgid);
	sb_putc(b, ' ');
	if (r->v) {
		const struct mw_event *e = r->v->e;
		char comm[MW_TASK_COMM_LEN];
		comm_ascii(comm, e->comm);
		sb_puts(b, "[mapwatch@32473");
		if (r->al) {
			sd_param(b, "kind", mw_alert_kind_name(r->al->kind));
			sd_param(b, "severity", mw_alert_severity_name(r->al->severity));
			sd_param(b, "mitre", r->al->mitre);
		}
		sd_param(b, "event", mw_event_desc(e->event)->name);
		sd_param_u(b, "pid", e->pid);
		sd_param_u(b, "tid", e->tid);
		sd_param_u(b, "uid", e->uid);
		sd_param(b, "comm", comm);
		sd_param_text(b, scratch, "exe", r->v->exe);
		sd_param_text(b, scratch, "container", r->v->container_id);
		if (r->v->ctr) {
			sd_param_text(b, scratch, "containerName", r->v->ctr->name);
			sd_param_text(b, scratch, "image", r->v->ctr->image);
			sd_param_text(b, scratch, "pod", r->v->ctr->pod_name);
			sd_param_text(b, scratch, "podNamespace", r->v->ctr->pod_namespace);
		}
		if (r->al && r->al->has_region) {
			sb_puts(b, " start=\"");
			sb_put_hex(b, r->al->start);
			sb_puts(b, "\" end=\"");
			sb_put_hex(b, r->al->end);
			sb_putc(b, '"');
		}
		if (r->al)
			sd_evidence(b, scratch, r->al);
		sb_putc(b, ']');
	} else if (r->kind == MW_RK_LOST) {
		sb_puts(b, "[mapwatch@32473");
		sd_param(b, "reason", r->reason);
		sd_param_u(b, "count", r->count);
		sd_param_u(b, "total", r->total);
		sb_putc(b, ']');
	} else {
		sb_putc(b, '-');
	}
	json = mw_rec_line(r, MW_FMT_JSON, &len);
	if (json) {
		sb_putc(b, ' ');
		sb_put(b, json, len - 1); /* without the newline */
	}
}
