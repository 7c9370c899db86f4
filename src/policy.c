/* policy.c - evaluation of the rules (rules.h) for each alert: matchers, excepts, first match, rate limits, output templates, per-rule counters, and the swap of a reloaded set. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "catalog.h"
#include "policy.h"
#include "strbuf.h"

#define EXE_SLOTS 1024  /* executables' identities cached, by pid */
#define EXE_CHAIN 16    /* the file and the directories above it */

struct exe_id {
	uint32_t pid;       /* 0: empty */
	uint8_t n;          /* identities in chain: [0] the file, then its directories; 0: unknown */
	struct { uint64_t dev, ino; } chain[EXE_CHAIN];
};

struct mw_policy {
	struct mw_ruleset *rs;
	struct mw_ruleset **retired;
	unsigned nretired;
	mw_ident_fn ident;
	char proc_root[128];
	struct exe_id exe[EXE_SLOTS];
	struct strbuf msg[MW_ALERTS_MAX];
	uint64_t unmatched;
	/* which argument is prot / mmap flags / length, per event id */
	int8_t arg_prot[MW_EV_MAX], arg_flags[MW_EV_MAX], arg_len[MW_EV_MAX];
};

struct mw_policy *mw_policy_new(struct mw_ruleset *rs)
{
	struct mw_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->rs = rs;
	snprintf(p->proc_root, sizeof(p->proc_root), "/proc");
	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		p->arg_prot[i] = (int8_t)(d ? mw_event_arg_by_fmt(d, MW_D_PROT) : -1);
		p->arg_flags[i] = (int8_t)(d ? mw_event_arg_by_fmt(d, MW_D_MMAP_FLAGS) : -1);
		p->arg_len[i] = (int8_t)(d ? mw_event_arg_by_fmt(d, MW_D_LEN) : -1);
	}
	return p;
}

void mw_policy_free(struct mw_policy *p)
{
	if (!p)
		return;
	mw_ruleset_free(p->rs);
	for (unsigned i = 0; i < p->nretired; i++)
		mw_ruleset_free(p->retired[i]);
	free(p->retired);
	for (int i = 0; i < MW_ALERTS_MAX; i++)
		sb_free(&p->msg[i]);
	free(p);
}

void mw_policy_swap(struct mw_policy *p, struct mw_ruleset *rs)
{
	struct mw_ruleset **g = realloc(p->retired, sizeof(*g) * (p->nretired + 1));

	if (!g) {
		mw_ruleset_free(rs); /* out of memory: the old set stays */
		return;
	}
	p->retired = g;
	for (unsigned i = 0; i < rs->n; i++)
		for (unsigned j = 0; j < p->rs->n; j++)
			if (!strcmp(rs->r[i].name, p->rs->r[j].name))
				rs->r[i].st = p->rs->r[j].st;
	p->retired[p->nretired++] = p->rs;
	p->rs = rs;
}

const struct mw_ruleset *mw_policy_rules(const struct mw_policy *p)
{
	return p->rs;
}

void mw_policy_set_ident(struct mw_policy *p, mw_ident_fn fn)
{
	p->ident = fn;
}

void mw_policy_set_proc_root(struct mw_policy *p, const char *root)
{
	snprintf(p->proc_root, sizeof(p->proc_root), "%s", root);
}

void mw_policy_task(struct mw_policy *p, const struct mw_task_rec *r)
{
	if (r->type != MW_REC_EXEC && r->type != MW_REC_EXIT)
		return;
	struct exe_id *x = &p->exe[r->pid % EXE_SLOTS];
	if (x->pid == r->pid)
		x->pid = 0;
}

/* The identity of v's executable: the file /proc/PID/exe points to (its
 * own inode, whatever path or name it was started by), then the directories
 * above it along the path the kernel reported, looked up in the process's
 * own root (/proc/PID/root: a container's /usr/lib/jvm is not the host's).
 * Directories count only while that path still leads to the same file.
 * Cached per pid until its exec or exit. */
static const struct exe_id *exe_of(struct mw_policy *p, const struct mw_view *v)
{
	uint32_t pid = v->e->pid;
	struct exe_id *x = &p->exe[pid % EXE_SLOTS];
	char path[PATH_MAX];
	struct stat st;
	int root_len;

	if (x->pid == pid && pid)
		return x;
	memset(x, 0, sizeof(*x));
	x->pid = pid;
	snprintf(path, sizeof(path), "%s/%u/exe", p->proc_root, pid);
	if (stat(path, &st))
		return x; /* gone: unknown, so no exe matcher matches */
	x->chain[0].dev = st.st_dev;
	x->chain[0].ino = st.st_ino;
	x->n = 1;
	if (!v->exe || v->exe[0] != '/')
		return x;
	root_len = snprintf(path, sizeof(path), "%s/%u/root", p->proc_root, pid);
	if (root_len < 0 || (size_t)root_len + strlen(v->exe) >= sizeof(path))
		return x;
	memcpy(path + root_len, v->exe, strlen(v->exe) + 1);
	if (stat(path, &st) || st.st_dev != x->chain[0].dev || st.st_ino != x->chain[0].ino)
		return x; /* the path leads elsewhere now: the file alone */
	for (char *slash = strrchr(path + root_len, '/'); slash && x->n < EXE_CHAIN;
	     slash = strrchr(path + root_len, '/')) {
		if (slash == path + root_len)
			slash[1] = 0; /* the root itself */
		else
			*slash = 0;
		if (stat(path, &st))
			break;
		x->chain[x->n].dev = st.st_dev;
		x->chain[x->n].ino = st.st_ino;
		x->n++;
		if (slash == path + root_len)
			break;
	}
	return x;
}

static bool exe_match(struct mw_policy *p, const struct mw_match *m, const struct mw_view *v)
{
	const struct exe_id *x = exe_of(p, v);

	for (unsigned i = 0; i < m->nexe; i++) {
		const struct mw_rule_exe *e = &m->exe[i];
		if (!e->found)
			continue;
		for (unsigned k = 0; k < x->n; k++) {
			if (k > 0 && !e->is_dir)
				break;
			if (x->chain[k].dev == e->dev && x->chain[k].ino == e->ino)
				return true;
		}
	}
	return false;
}

static bool u64_in(const uint64_t *v, unsigned n, uint64_t x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool str_in(const struct mw_strlist *l, const char *s)
{
	for (unsigned i = 0; s && i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static bool arg_of(const struct mw_policy *p, const int8_t *idx, const struct mw_event *e, uint64_t *out)
{
	if (e->event >= MW_EV_MAX || idx[e->event] < 0)
		return false;
	*out = e->args[idx[e->event]];
	return true;
}

int mw_policy_match(struct mw_policy *p, const struct mw_match *m, const struct mw_view *v,
		    const struct mw_alert *al)
{
	const struct mw_event *e = v->e;
	uint32_t has = m->has;
	uint64_t a;

	if ((has & MW_MK_KIND) && !(al->kind < 32 && (m->kinds & (1u << al->kind))))
		return 0;
	if ((has & MW_MK_EVENT) && !(e->event < 64 && (m->events & MW_EVBIT(e->event))))
		return 0;
	if ((has & MW_MK_UID) && !u64_in(m->uid, m->nuid, e->uid))
		return 0;
	if ((has & MW_MK_CGROUP) && !u64_in(m->cgroup, m->ncgroup, e->cgroup_id))
		return 0;
	if ((has & MW_MK_COMM)) {
		char comm[MW_TASK_COMM_LEN + 1];
		memcpy(comm, e->comm, MW_TASK_COMM_LEN);
		comm[MW_TASK_COMM_LEN] = 0;
		if (!str_in(&m->comm, comm))
			return 0;
	}
	if ((has & MW_MK_PROT_ALL) && !(arg_of(p, p->arg_prot, e, &a) && (a & m->prot_all) == m->prot_all))
		return 0;
	if ((has & MW_MK_PROT_ANY) && !(arg_of(p, p->arg_prot, e, &a) && (a & m->prot_any)))
		return 0;
	if ((has & MW_MK_FLAGS_ALL) && !(arg_of(p, p->arg_flags, e, &a) && (a & m->flags_all) == m->flags_all))
		return 0;
	if ((has & MW_MK_FLAGS_ANY) && !(arg_of(p, p->arg_flags, e, &a) && (a & m->flags_any)))
		return 0;
	if ((has & MW_MK_LENGTH) && !(arg_of(p, p->arg_len, e, &a) && a >= m->len_min && a <= m->len_max))
		return 0;
	if ((has & MW_MK_FDKIND) && !(e->file.kind < 32 && (m->fdkind & (1u << e->file.kind))))
		return 0;
	if ((has & MW_MK_ERRNO)) {
		if (!mw_is_error(e->ret))
			return 0;
		uint64_t err = (uint64_t)-e->ret;
		if (!(m->errno_bits[err / 64] & (1ull << (err % 64))))
			return 0;
	}
	if ((has & MW_MK_PATH)) {
		bool ok = false;
		for (unsigned i = 0; v->path && i < m->path.n && !ok; i++)
			ok = !strncmp(v->path, m->path.v[i], strlen(m->path.v[i]));
		if (!ok)
			return 0;
	}
	for (unsigned k = 0; k < MW_ID_MAX; k++) {
		if (!(has & (MW_MK_CONTAINER << k)))
			continue;
		/* a container by its name, or by its id (key MW_ID_MAX of the ident function) */
		if (!str_in(&m->ident[k], p->ident ? p->ident(v, k) : NULL) &&
		    !(k == MW_ID_CONTAINER && p->ident && str_in(&m->ident[k], p->ident(v, MW_ID_MAX))))
			return 0;
	}
	/* last: the only matcher that may read /proc */
	if ((has & MW_MK_EXE) && !exe_match(p, m, v))
		return 0;
	return 1;
}

static bool rule_applies(struct mw_policy *p, const struct mw_rule *r, const struct mw_view *v,
			 const struct mw_alert *al)
{
	if (!mw_policy_match(p, &r->match, v, al))
		return false;
	for (unsigned i = 0; i < r->nexcept; i++)
		if (mw_policy_match(p, &r->except[i], v, al))
			return false;
	return true;
}

static void render(struct strbuf *b, const char *t, const struct mw_rule *r, const struct mw_view *v,
		   const struct mw_alert *al)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);

	sb_reset(b);
	for (const char *s = t; *s; s++) {
		const char *end = *s == '{' ? strchr(s, '}') : NULL;
		if (!end) {
			sb_putc(b, *s);
			continue;
		}
		size_t n = (size_t)(end - s - 1);
		const char *f = s + 1;
#define IS(x) (n == sizeof(x) - 1 && !strncmp(f, x, n))
		if (IS("rule"))
			sb_puts(b, r->name);
		else if (IS("kind"))
			sb_puts(b, mw_alert_kind_name(al->kind));
		else if (IS("severity"))
			sb_puts(b, mw_alert_severity_name(al->severity));
		else if (IS("comm"))
			sb_put(b, e->comm, strnlen(e->comm, MW_TASK_COMM_LEN));
		else if (IS("pid"))
			sb_put_u64(b, e->pid);
		else if (IS("uid"))
			sb_put_u64(b, e->uid);
		else if (IS("exe"))
			sb_puts(b, v->exe ? v->exe : "?");
		else if (IS("event"))
			sb_puts(b, d ? d->name : "?");
		else if (IS("path"))
			sb_puts(b, v->path ? v->path : "");
		else if (IS("container"))
			sb_puts(b, v->container_id ? v->container_id : "");
		else
			sb_put(b, s, n + 2);
#undef IS
		s = end;
	}
	sb_putc(b, 0); /* a C string for the alert (the writers escape it) */
}

static void apply(struct mw_policy *p, struct mw_rule *r, const struct mw_view *v, struct mw_alert *al, int slot)
{
	al->rule = r->name;
	al->rule_in_table = !r->builtin;
	al->capture = r->action == MW_RA_CAPTURE;
	if (r->severity >= 0)
		al->severity = (uint16_t)r->severity;
	if (r->mitre)
		al->mitre = r->mitre;
	al->tags = r->tags;
	al->message = NULL;
	if (r->output && slot >= 0 && slot < MW_ALERTS_MAX) {
		render(&p->msg[slot], r->output, r, v, al);
		al->message = p->msg[slot].p;
	}
}

enum mw_verdict mw_policy_judge(struct mw_policy *p, const struct mw_view *v, struct mw_alert *al, int slot,
				uint64_t now_ns)
{
	struct mw_ruleset *rs = p->rs;

	if (v->e->flags & MW_F_ENFORCED) {
		/* the kernel killed it: a kill is always reported, by the kill rule */
		for (unsigned i = 0; i < rs->n; i++)
			if (rs->r[i].action == MW_RA_KILL) {
				rs->r[i].st.matched++;
				rs->r[i].st.emitted++;
				apply(p, &rs->r[i], v, al, slot);
				return MW_PV_EMIT;
			}
		return MW_PV_EMIT; /* no kill rule (not reached: the kernel kills only for one) */
	}
	for (unsigned i = 0; i < rs->n; i++) {
		struct mw_rule *r = &rs->r[i];
		if (!rule_applies(p, r, v, al))
			continue;
		r->st.matched++;
		if (r->action == MW_RA_IGNORE)
			return MW_PV_IGNORE;
		if (r->rate_count) {
			if (!r->rate_start_ns || now_ns - r->rate_start_ns >= r->rate_per_ns || now_ns < r->rate_start_ns) {
				r->rate_start_ns = now_ns ? now_ns : 1;
				r->rate_used = 0;
			}
			if (r->rate_used >= r->rate_count) {
				r->st.limited++;
				return MW_PV_LIMITED;
			}
			r->rate_used++;
		}
		r->st.emitted++;
		apply(p, r, v, al, slot);
		return MW_PV_EMIT;
	}
	p->unmatched++;
	return MW_PV_IGNORE;
}

uint64_t mw_policy_unmatched(const struct mw_policy *p)
{
	return p->unmatched;
}
