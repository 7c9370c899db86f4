/* rules_compile.c - the checks across a rule set and its kernel part: kill rules and what may come before them, duplicate names, the --allow list; --allow and --kill-wx as rules; the whole set the options ask for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alert.h"
#include "rules.h"
#include "rules_compile.h"
#include "rules_yaml.h"

#define WX_KINDS ((1u << MW_AL_WX_MAPPING) | (1u << MW_AL_WX_MPROTECT))

/* Can this rule decide a W+X alert (one the kernel would kill)? */
static bool may_match_wx(const struct mw_rule *r)
{
	return !(r->match.has & MW_MK_KIND) || (r->match.kinds & WX_KINDS);
}

/* An ignore rule by exe alone (no other key, no except). */
static bool exe_ignore(const struct mw_rule *r)
{
	return r->action == MW_RA_IGNORE && r->match.has == MW_MK_EXE && !r->nexcept;
}

static void allow_add(struct mw_ruleset *rs, const struct mw_match *m)
{
	for (unsigned i = 0; i < m->nexe; i++) {
		if (!m->exe[i].found)
			continue;
		char **g = realloc(rs->allow, sizeof(*g) * (rs->nallow + 1));
		if (!g)
			mw_rules_oom();
		rs->allow = g;
		rs->allow[rs->nallow++] = mw_rules_strdup(m->exe[i].path);
	}
}

struct ck {
	mw_rules_err_fn err;
	void *ctx;
	unsigned errors;
};

/* One error about rule r, at its place: "FILE:LINE:COL: ..." (a and b fill fmt's two %s). */
static void rule_err(struct ck *l, const struct mw_rule *r, const char *fmt, const char *a, const char *b)
{
	char msg[768], line[1024];

	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(line, sizeof(line), "%s:%u:%u: %s", r->file, r->line, r->col, msg);
	l->errors++;
	if (l->err)
		l->err(l->ctx, line);
}

unsigned mw_rules_finish(struct mw_ruleset *rs, mw_rules_err_fn err, void *ctx)
{
	struct ck l = { .err = err, .ctx = ctx };
	int kill_at = -1;

	for (unsigned i = 0; i < rs->n; i++) {
		struct mw_rule *r = &rs->r[i];
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(rs->r[j].name, r->name))
				rule_err(&l, r, "rule name '%s' is used twice (first at %s)", r->name, rs->r[j].file);
		if (r->action != MW_RA_KILL)
			continue;
		/* the kernel kills W+X requesters in scope, minus the --allow list */
		const struct mw_match *m = &r->match;
		if (!(m->has & MW_MK_KIND) || (m->kinds & ~WX_KINDS))
			rule_err(&l, r, "kill rule '%s': the kernel kills only W+X requests: give match.kind wx_mapping and/or wx_mprotect%s",
				 r->name, "");
		if (m->has & ~(uint32_t)MW_MK_KIND)
			rule_err(&l, r, "kill rule '%s': the kill is decided in the kernel, which matches only on kind; %s",
				 r->name, "other match keys need user space: use action alert, or scope mapwatch itself (--uid, --cgroup, --exe)");
		for (unsigned k = 0; k < r->nexcept; k++)
			if (r->except[k].has != MW_MK_EXE)
				rule_err(&l, r, "kill rule '%s': an except of a kill rule can only name exe (the kernel's --allow list)%s",
					 r->name, "");
		if (r->rate_count)
			rule_err(&l, r, "kill rule '%s': the kernel cannot rate-limit a kill%s", r->name, "");
		if (kill_at < 0)
			kill_at = (int)i;
	}
	/* The leading ignores by exe alone go to the kernel's --allow list, which
	 * silences every alert of those executables (alerts.c) and spares them
	 * the kill: exactly what those rules say, as nothing comes before them.
	 * Later ones are judged in user space (an earlier rule may decide first). */
	for (unsigned i = 0; i < rs->n; i++)
		rs->capture |= rs->r[i].action == MW_RA_CAPTURE;
	unsigned prefix = 0;
	while (prefix < rs->n && exe_ignore(&rs->r[prefix]))
		allow_add(rs, &rs->r[prefix++].match);
	if (kill_at >= 0) {
		rs->kill_wx = true;
		/* the kill rule's exe excepts: the same list (no alert of theirs either, as --allow) */
		for (unsigned k = 0; k < rs->r[kill_at].nexcept; k++)
			allow_add(rs, &rs->r[kill_at].except[k]);
		/* what comes first must be decided in the kernel as well */
		for (int j = (int)prefix; j < kill_at; j++) {
			struct mw_rule *r = &rs->r[j];
			if (!may_match_wx(r))
				continue;
			if (exe_ignore(r))
				rule_err(&l, r, "rule '%s' is an ignore by exe before kill rule '%s': the kernel can spare an executable only through its --allow list, which silences all its alerts: put it before every other rule",
					 r->name, rs->r[kill_at].name);
			else
				rule_err(&l, r, "rule '%s' comes before kill rule '%s' and may decide W+X alerts on conditions only user space sees, while the kernel kills them: move it after the kill rule, narrow its kind, or make it an ignore by exe alone at the top",
					 r->name, rs->r[kill_at].name);
		}
	}
	rs->errors += l.errors;
	return l.errors;
}

/* A rule the options make (--allow, --kill-wx), named after its option. */
static struct mw_rule *option_rule(struct mw_ruleset *rs, const char *option, const char *description,
				   enum mw_rule_action action)
{
	struct mw_rule *r = mw_rule_append(rs);
	char file[32];

	snprintf(file, sizeof(file), "--%s", option);
	r->name = mw_rules_strdup(option);
	r->description = mw_rules_strdup(description);
	r->file = mw_rules_strdup(file);
	r->builtin = true;
	r->action = action;
	return r;
}

int mw_rules_add_shorthands(struct mw_ruleset *rs, const char *const *allow, int nallow, bool kill_wx)
{
	unsigned add = (nallow ? 1 : 0) + (kill_wx ? 1 : 0);
	if (!add)
		return 0;
	struct mw_ruleset tmp = { 0 };
	if (nallow) {
		struct mw_rule *r = option_rule(&tmp, "allow", "--allow: no alert and no kill for these executables",
						MW_RA_IGNORE);
		r->match.has = MW_MK_EXE;
		for (int i = 0; i < nallow; i++) {
			char *real = realpath(allow[i], NULL); /* options.c checked it exists */
			mw_match_add_exe(&r->match, real ? real : allow[i]);
			free(real);
		}
	}
	if (kill_wx) {
		struct mw_rule *r = option_rule(&tmp, "kill-wx", "--kill-wx: kill every W+X requester in scope",
						MW_RA_KILL);
		r->match.has = MW_MK_KIND;
		r->match.kinds = WX_KINDS;
	}
	/* first, before the files' rules */
	struct mw_rule *g = realloc(rs->r, sizeof(*g) * (rs->n + add));
	if (!g)
		mw_rules_oom();
	rs->r = g;
	memmove(rs->r + add, rs->r, rs->n * sizeof(*rs->r));
	memcpy(rs->r, tmp.r, add * sizeof(*rs->r));
	rs->n += add;
	rs->cap = rs->n;
	free(tmp.r);
	return 0;
}

unsigned mw_rules_build(struct mw_ruleset *rs, const char *const *paths, int npaths, const char *const *allow,
			int nallow, bool kill_wx, mw_rules_err_fn err, void *ctx)
{
	unsigned errors = 0;

	if (!npaths)
		errors += mw_rules_parse(rs, "00-default.yaml (built in)", mw_default_rules, mw_default_rules_len,
					 true, err, ctx);
	for (int i = 0; i < npaths; i++)
		errors += mw_rules_load_path(rs, paths[i], err, ctx);
	mw_rules_add_shorthands(rs, allow, nallow, kill_wx);
	errors += mw_rules_finish(rs, err, ctx); /* over the rules without errors */
	rs->errors = errors;
	return errors;
}
