/* sink.c - the set of output sinks: offers each record to the sinks that take it, formatting its text once per format. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include <errno.h>
#include <stdlib.h>
#include "sink.h"
#include "stack.h"

/* Append r's text in format f, newline included, to b. */
static void format_rec(struct mw_rec *r, enum mw_fmt f, struct strbuf *b)
{
	size_t start = b->len;

	switch (r->kind) {
	case MW_RK_EVENT:
		if (f == MW_FMT_JSON)
			mw_format_json(b, r->v);
		else
			mw_format_table(b, r->v);
		break;
	case MW_RK_ALERT:
		if (f == MW_FMT_JSON)
			mw_alert_json(b, r->v, r->al);
		else
			mw_alert_table(b, r->v, r->al);
		break;
	case MW_RK_LOST:
		if (f == MW_FMT_JSON)
			sb_printf(b, "{\"timestamp\":%llu,\"eventName\":\"lost\",\"reason\":\"%s\",\"count\":%llu,\"total\":%llu}",
				  (unsigned long long)r->ts_ns, r->reason, (unsigned long long)r->count,
				  (unsigned long long)r->total);
		else
			sb_printf(b, "*** lost %llu events (%s), %llu in total", (unsigned long long)r->count,
				  r->reason, (unsigned long long)r->total);
		break;
	default:
		sb_puts(b, f == MW_FMT_JSON ? r->notice_json : r->notice_table);
		break;
	}
	if ((r->kind == MW_RK_EVENT || r->kind == MW_RK_ALERT) && r->v->stack) {
		/* --stack: the call's stack, inside the object or on the lines below */
		if (f == MW_FMT_JSON && b->len > start && b->p[b->len - 1] == '}') {
			b->p[--b->len] = 0;
			mw_stack_json(b, r->v->stack);
			sb_putc(b, '}');
		} else if (f == MW_FMT_TABLE) {
			mw_stack_table(b, r->v->stack);
		}
	}
	sb_putc(b, '\n');
}

const char *mw_rec_line(struct mw_rec *r, enum mw_fmt f, size_t *len)
{
	if (!(r->done & (1u << f))) {
		struct strbuf *b = &r->text[f];
		sb_reset(b);
		format_rec(r, f, b);
		if (b->oom)
			return NULL;
		r->at[f] = b;
		r->at_off[f] = 0;
		r->at_len[f] = b->len;
		r->done |= 1u << f;
	}
	if (len)
		*len = r->at_len[f];
	return r->at[f]->p + r->at_off[f];
}

size_t mw_rec_append(struct mw_rec *r, enum mw_fmt f, struct strbuf *dst)
{
	size_t start = dst->len;

	if (r->done & (1u << f)) {
		sb_put(dst, r->at[f]->p + r->at_off[f], r->at_len[f]);
	} else {
		format_rec(r, f, dst);
		if (!dst->oom) {
			r->at[f] = dst;
			r->at_off[f] = start;
			r->at_len[f] = dst->len - start;
			r->done |= 1u << f;
		}
	}
	if (dst->oom) {
		/* the part of the line that fit goes: the buffer holds whole lines only */
		dst->oom = 0;
		dst->len = start;
		if (dst->p)
			dst->p[start] = '\0';
		return 0;
	}
	return dst->len - start;
}

int mw_sinks_add(struct mw_sinks *ss, struct mw_sink *s)
{
	if (ss->n == MW_SINKS_MAX) {
		s->ops->close(s);
		errno = ENOSPC;
		return -1;
	}
	ss->s[ss->n++] = s;
	return 0;
}

bool mw_sinks_want(const struct mw_sinks *ss, enum mw_rec_kind k)
{
	for (int i = 0; i < ss->n; i++)
		if (ss->s[i]->mask & MW_RKM(k))
			return true;
	return false;
}

int mw_sinks_emit(struct mw_sinks *ss, struct mw_rec *r)
{
	int rc = 0;

	r->text = ss->text;
	r->done = 0;
	for (int i = 0; i < ss->n; i++) {
		struct mw_sink *s = ss->s[i];
		if (!(s->mask & MW_RKM(r->kind)))
			continue;
		if (s->ops->write(s, r) && s->essential && !ss->failed) {
			ss->failed = s;
			rc = -1;
		}
	}
	return rc;
}

int mw_sinks_flush(struct mw_sinks *ss)
{
	int rc = 0, err = 0;

	for (int i = 0; i < ss->n; i++) {
		struct mw_sink *s = ss->s[i];
		if (s->ops->flush(s) && s->essential && !rc) {
			err = errno;
			if (!ss->failed)
				ss->failed = s;
			rc = -1;
		}
	}
	if (rc)
		errno = err;
	return rc;
}

int mw_sinks_reopen(struct mw_sinks *ss)
{
	int rc = 0, err = 0;

	for (int i = 0; i < ss->n; i++) {
		struct mw_sink *s = ss->s[i];
		if (s->ops->reopen && s->ops->reopen(s) && !rc) {
			err = errno;
			rc = -1;
		}
	}
	if (rc)
		errno = err;
	return rc;
}

void mw_sinks_drain(struct mw_sinks *ss, unsigned wait_ms)
{
	for (int i = 0; i < ss->n; i++)
		if (ss->s[i]->ops->drain)
			ss->s[i]->ops->drain(ss->s[i], wait_ms);
}

void mw_sinks_close(struct mw_sinks *ss)
{
	for (int i = 0; i < ss->n; i++)
		ss->s[i]->ops->close(ss->s[i]);
	ss->n = 0;
	for (int f = 0; f < MW_FMT_MAX; f++)
		sb_free(&ss->text[f]);
}
