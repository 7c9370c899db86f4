/* policy.h - the policy: which rule decides each alert (first match in order), with its action, rate limit and counters; reloads swap whole rule sets. */
#ifndef MW_POLICY_H
#define MW_POLICY_H

#include <stdint.h>
#include "alert.h"
#include "format.h"
#include "mapwatch.h"
#include "rules.h"

/* What became of an alert. */
enum mw_verdict {
	MW_PV_EMIT = 0,     /* write it (alert, capture, kill) */
	MW_PV_IGNORE = 1,   /* an ignore rule, or no rule matched */
	MW_PV_LIMITED = 2,  /* its rule's rate_limit was used up */
};

/* The container / Kubernetes identity of an event's process: the value of
 * key for v, or NULL when unknown (then a matcher on key does not match).
 * The enrichment that knows it installs it with mw_policy_set_ident(). */
typedef const char *(*mw_ident_fn)(const struct mw_view *v, enum mw_ident_key key); /* MW_ID_MAX: the container's id */

struct mw_policy;

/* A policy over rs (taken: freed with the policy). NULL when out of memory. */
struct mw_policy *mw_policy_new(struct mw_ruleset *rs);
void mw_policy_free(struct mw_policy *p);

/* Judge rs from now on (taken). The previous set stays allocated until
 * mw_policy_free(): alerts already made may point into it. Per-rule
 * counters of rules with the same name carry over. */
void mw_policy_swap(struct mw_policy *p, struct mw_ruleset *rs);

const struct mw_ruleset *mw_policy_rules(const struct mw_policy *p);

void mw_policy_set_ident(struct mw_policy *p, mw_ident_fn fn);

/* Where /proc is (executables' identity: PROC/PID/exe); "/proc" by default. */
void mw_policy_set_proc_root(struct mw_policy *p, const char *root);

/* A lifecycle record: an exec or exit forgets what is known of the pid's executable. */
void mw_policy_task(struct mw_policy *p, const struct mw_task_rec *r);

/* Decide alert al, raised by v: the first rule whose match matches and no
 * except does decides (an alert of a call the kernel killed, MW_F_ENFORCED,
 * is decided by the first kill rule). For MW_PV_EMIT, al gets the rule's
 * name, severity, MITRE id, tags, capture request and output text (slot:
 * 0..MW_ALERTS_MAX-1, which of the event's alerts this is: the output text
 * lives in the policy until the same slot is judged again). */
enum mw_verdict mw_policy_judge(struct mw_policy *p, const struct mw_view *v, struct mw_alert *al, int slot,
				uint64_t now_ns);

/* Does matcher m match alert al of v? (for tests) */
int mw_policy_match(struct mw_policy *p, const struct mw_match *m, const struct mw_view *v,
		    const struct mw_alert *al);

/* Alerts that no rule matched (so were not written). */
uint64_t mw_policy_unmatched(const struct mw_policy *p);

#endif
