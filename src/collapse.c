/* collapse.c - folds repeated alerts (same kind, process and region) into one count per interval (--alert-rate). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collapse.h"

struct entry {
	uint8_t used;
	uint16_t kind, severity;
	uint32_t pid;
	uint64_t start, end;
	uint64_t window_ns;       /* start of the current interval */
	uint64_t count, first_ns, last_ns;
	char comm[16];
};

struct mw_collapse {
	uint64_t interval_ns;
	unsigned interval_s;
	size_t used;
	uint64_t folded[MW_AL_KIND_MAX];
	struct entry t[MW_COLLAPSE_KEYS * 2]; /* open addressing, half full at most */
};

#define NSLOTS (MW_COLLAPSE_KEYS * 2)

struct mw_collapse *mw_collapse_new(unsigned interval_s)
{
	struct mw_collapse *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->interval_s = interval_s ? interval_s : 1;
	c->interval_ns = (uint64_t)c->interval_s * 1000000000ull;
	return c;
}

void mw_collapse_free(struct mw_collapse *c)
{
	free(c);
}

static size_t hash(uint16_t kind, uint32_t pid, uint64_t start, uint64_t end)
{
	uint64_t h = 0x9e3779b97f4a7c15ull * (kind + 1);
	h ^= pid + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= start + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= end + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	return (size_t)(h % NSLOTS);
}

int mw_collapse_alert(struct mw_collapse *c, const struct mw_view *v, const struct mw_alert *al,
		      uint64_t now_ns)
{
	uint64_t start = al->has_region ? al->start : 0, end = al->has_region ? al->end : 0;
	size_t i = hash(al->kind, v->e->pid, start, end);

	for (;; i = (i + 1) % NSLOTS) {
		struct entry *e = &c->t[i];
		if (!e->used)
			break;
		if (e->kind == al->kind && e->pid == v->e->pid && e->start == start && e->end == end) {
			if (!e->count)
				e->first_ns = now_ns;
			e->count++;
			e->last_ns = now_ns;
			if (al->kind < MW_AL_KIND_MAX)
				c->folded[al->kind]++;
			return 0;
		}
	}
	if (c->used >= MW_COLLAPSE_KEYS)
		return 1; /* table full: in full, never dropped */
	struct entry *e = &c->t[i];
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->kind = al->kind;
	e->severity = al->severity;
	e->pid = v->e->pid;
	e->start = start;
	e->end = end;
	e->window_ns = now_ns;
	memcpy(e->comm, v->e->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = 0;
	c->used++;
	return 1;
}

/* Remove slot i and re-place the run of entries after it (linear probing). */
static void erase(struct mw_collapse *c, size_t i)
{
	c->t[i].used = 0;
	c->used--;
	for (size_t j = (i + 1) % NSLOTS; c->t[j].used; j = (j + 1) % NSLOTS) {
		struct entry e = c->t[j];
		c->t[j].used = 0;
		size_t k = hash(e.kind, e.pid, e.start, e.end);
		while (c->t[k].used)
			k = (k + 1) % NSLOTS;
		c->t[k] = e;
	}
}

int mw_collapse_tick(struct mw_collapse *c, uint64_t now_ns,
		     void (*emit)(void *ctx, const struct mw_collapse_summary *s), void *ctx)
{
	int n = 0;

	if (!c || !c->used)
		return 0;
	for (size_t i = 0; i < NSLOTS; i++) {
		struct entry *e = &c->t[i];
		if (!e->used || (now_ns != UINT64_MAX && now_ns - e->window_ns < c->interval_ns))
			continue;
		if (e->count) {
			struct mw_collapse_summary s = {
				.kind = e->kind, .severity = e->severity, .pid = e->pid,
				.start = e->start, .end = e->end, .count = e->count,
				.first_ns = e->first_ns, .last_ns = e->last_ns, .interval_s = c->interval_s,
			};
			memcpy(s.comm, e->comm, sizeof(s.comm));
			emit(ctx, &s);
			n++;
			e->count = 0;
			e->window_ns = now_ns;
			if (now_ns == UINT64_MAX)
				e->window_ns = 0;
		} else {
			erase(c, i);
			i--; /* the slot may hold a moved entry now (i wraps to SIZE_MAX then 0: fine) */
		}
	}
	return n;
}

uint64_t mw_collapse_folded(const struct mw_collapse *c, unsigned kind)
{
	return c && kind < MW_AL_KIND_MAX ? c->folded[kind] : 0;
}

void mw_collapse_json(struct strbuf *b, const struct mw_collapse_summary *s)
{
	sb_puts(b, "{\"timestamp\":");
	sb_put_u64(b, s->last_ns);
	sb_puts(b, ",\"eventName\":\"alert_repeats\",\"processId\":");
	sb_put_u64(b, s->pid);
	sb_puts(b, ",\"processName\":");
	sb_json_str(b, s->comm, strlen(s->comm));
	sb_puts(b, ",\"alert\":{\"kind\":\"");
	sb_puts(b, mw_alert_kind_name(s->kind));
	sb_puts(b, "\",\"severity\":\"");
	sb_puts(b, mw_alert_severity_name(s->severity));
	sb_puts(b, "\"");
	if (s->start || s->end) {
		sb_puts(b, ",\"regionStart\":\"");
		sb_put_hex(b, s->start);
		sb_puts(b, "\",\"regionEnd\":\"");
		sb_put_hex(b, s->end);
		sb_puts(b, "\"");
	}
	sb_puts(b, "},\"count\":");
	sb_put_u64(b, s->count);
	sb_puts(b, ",\"firstTimestamp\":");
	sb_put_u64(b, s->first_ns);
	sb_puts(b, ",\"intervalSeconds\":");
	sb_put_u64(b, s->interval_s);
	sb_putc(b, '}');
}

void mw_collapse_table(struct strbuf *b, const struct mw_collapse_summary *s)
{
	sb_printf(b, "*** ALERT %s %s repeated %llu more times (pid %u ", mw_alert_severity_name(s->severity),
		  mw_alert_kind_name(s->kind), (unsigned long long)s->count, s->pid);
	sb_text_str(b, s->comm, strlen(s->comm));
	if (s->start || s->end)
		sb_printf(b, ", region 0x%llx-0x%llx", (unsigned long long)s->start, (unsigned long long)s->end);
	sb_printf(b, ") within %u s", s->interval_s);
}
