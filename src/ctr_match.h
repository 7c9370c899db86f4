/* ctr_match.h - the filters judged on a container's identity in user space: --container NAME|ID|IMAGE|all|none, --pod, --k8s-namespace. */
#ifndef MW_CTR_MATCH_H
#define MW_CTR_MATCH_H

#include <stdbool.h>

struct mw_container;

#define MW_CTR_WORDS 16
#define MW_CTR_WORD_MAX 256

/* One option's words (OR), negated or not. */
struct mw_ctr_words {
	unsigned n;
	bool neg, any;    /* any: the word "all" (any container; "none": negated) */
	bool given, neg_given; /* the option was given; negated (!) */
	char w[MW_CTR_WORDS][MW_CTR_WORD_MAX];
};

struct mw_ctr_match {
	struct mw_ctr_words ctr, pod, ns;  /* --container, --pod, --k8s-namespace (AND) */
};

/* Whether any of the three options was given. */
bool mw_ctr_match_on(const struct mw_ctr_match *m);

/* Whether a process of container c (NULL: none, the host) is in scope.
 * --container: an id prefix of 3 characters or more (case ignored), the
 * name, or the image (as the runtime names it, or without its registry
 * and tag); "all": any container, "none" (all negated): the host. --pod:
 * the pod's name. --k8s-namespace: the pod's namespace. */
bool mw_ctr_match(const struct mw_ctr_match *m, const struct mw_container *c);

#endif
