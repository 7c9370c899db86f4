/* tracer_rules.c - the run's policy: the rules loaded before tracing, their kernel part in the hooks' configuration, SIGHUP's reload, and the container keys they match on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "hooks.h"
#include "msg.h"
#include "rules.h"
#include "rules_compile.h"
#include "tracer_int.h"

/* The rules' errors while tracing: stderr, and a notice to every sink
 * (syslog included) so that a fleet sees why its rules were refused. */
static void rules_err_tracing(void *ctx, const char *line)
{
	struct tracer *t = ctx;

	mw_err_line("SIGHUP: %s", line);
	mw_report_notice(t, "rules", line);
}

static void rules_err_start(void *ctx, const char *line)
{
	fprintf(stderr, "%s\n", line);
}

/* The policy's container keys, from the enrichment (container.h) the view carries. */
static const char *rules_ident(const struct mw_view *v, enum mw_ident_key key)
{
	const struct mw_container *c = v->ctr;

	if (!c)
		return NULL;
	switch (key) {
	case MW_ID_CONTAINER: return c->name;
	case MW_ID_IMAGE: return c->image;
	case MW_ID_POD: return c->pod_name;
	case MW_ID_NAMESPACE: return c->pod_namespace;
	default: return c->id; /* MW_ID_MAX: the id */
	}
}

/* The rules the options ask for, before anything starts. Returns 0, or 2
 * after printing every error. */
int mw_rules_start(struct tracer *t)
{
	const struct mw_opts *o = t->o;
	struct mw_ruleset *rs = mw_ruleset_new();

	if (!rs || !(t->policy = mw_policy_new(rs))) {
		mw_ruleset_free(rs);
		mw_err_line("cannot set up the rules: %s", strerror(ENOMEM));
		return 2;
	}
	mw_policy_set_ident(t->policy, rules_ident);
	unsigned errors = mw_rules_build(rs, o->rules, o->nrules, o->allow, o->nallow, o->kill_wx, rules_err_start, t);
	if (errors) {
		mw_err_line("%u error%s in the rules: not tracing (mapwatch --check-rules PATH checks them)", errors,
			    errors == 1 ? "" : "s");
		return 2;
	}
	return 0;
}

/* The rules' kernel part (a kill rule: --kill-wx; exe-only ignores: --allow)
 * into the hooks' configuration. Returns 0, or the exit status after saying
 * why (2: a usage error, 1: out of memory). */
int mw_rules_hooks(struct tracer *t, struct mw_hook_cfg *hcfg)
{
	const struct mw_opts *o = t->o;
	const struct mw_ruleset *rs = mw_policy_rules(t->policy);

	if (rs->kill_wx && !o->kill_wx && (o->filters.on & MW_FLT_COMM)) {
		/* as options.c refuses --kill-wx --comm */
		mw_err_line("a kill rule with --comm as the scope: --comm matches the task's own name, which any process renames; use --exe, --cgroup, --uid, --pid or -- COMMAND");
		return 2;
	}
	hcfg->kill_wx = hcfg->kill_wx || rs->kill_wx;
	if (rs->capture && !hcfg->capture_max)
		hcfg->capture_max = o->capture_max; /* a capture rule: the kernel copies payloads */
	if (rs->nallow) {
		t->allow = calloc((size_t)o->nallow + rs->nallow, sizeof(*t->allow));
		if (!t->allow) {
			mw_err_line("cannot set up the rules: %s", strerror(ENOMEM));
			return 1;
		}
		for (int i = 0; i < o->nallow; i++)
			t->allow[i] = o->allow[i];
		for (unsigned i = 0; i < rs->nallow; i++)
			t->allow[o->nallow + i] = rs->allow[i];
		hcfg->allow = t->allow;
		hcfg->nallow = o->nallow + (int)rs->nallow;
	}
	return 0;
}

/* The allow lists of two rule sets name the same executables. */
static bool same_allow(const struct mw_ruleset *a, const struct mw_ruleset *b)
{
	if (a->nallow != b->nallow)
		return false;
	for (unsigned i = 0; i < a->nallow; i++)
		if (strcmp(a->allow[i], b->allow[i]))
			return false;
	return true;
}

/* SIGHUP, --rules given: load them again and swap between two records (this
 * thread reads the ring buffer: no event is judged by both sets or by
 * none). A set that does not validate, or would change what the kernel
 * decides (kill, allow: fixed at load), leaves the old one in place. */
void mw_rules_reload(struct tracer *t)
{
	const struct mw_opts *o = t->o;
	struct mw_ruleset *rs = mw_ruleset_new();
	const struct mw_ruleset *old = mw_policy_rules(t->policy);
	unsigned errors;

	if (!rs) {
		rules_err_tracing(t, "rules not reloaded: out of memory (the old rules stay)");
		t->reload_failures++;
		return;
	}
	errors = mw_rules_build(rs, o->rules, o->nrules, o->allow, o->nallow, o->kill_wx, rules_err_tracing, t);
	if (!errors && (rs->kill_wx != old->kill_wx || !same_allow(rs, old))) {
		rules_err_tracing(t, "rules not reloaded: they change what the kernel decides (a kill rule, or an ignore by exe alone); restart mapwatch for that (the old rules stay)");
		errors = 1;
	}
	if (!errors && rs->capture && !t->evidence) {
		rules_err_tracing(t, "rules not reloaded: a capture rule needs the kernel's copying, off since start (no --capture, --yara or capture rule then); restart mapwatch for that (the old rules stay)");
		errors = 1;
	}
	if (errors) {
		char line[160];
		snprintf(line, sizeof(line), "rules not reloaded: %u error%s (the old rules stay)", errors,
			 errors == 1 ? "" : "s");
		if (errors != 1 || rs->errors)
			rules_err_tracing(t, line);
		mw_ruleset_free(rs);
		t->reload_failures++;
		return;
	}
	mw_policy_swap(t->policy, rs);
	t->reloads++;
	fprintf(stderr, "mapwatch: SIGHUP: %u rules loaded\n", rs->n);
}

