/* rules_yaml.h - reading the rules files' YAML (libyaml's document): errors with file, line and column, scalars, lists, a mapping's pairs. */
#ifndef MW_RULES_YAML_H
#define MW_RULES_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#define MW_LIST_MAX 256        /* values in one list */

struct mw_ruleset;

/* One document being read, and where its errors go. */
struct mw_yaml_ld {
	struct mw_ruleset *rs;   /* what the rules go into */
	yaml_document_t *doc;
	const char *file;        /* its name, for the errors */
	bool builtin;            /* the embedded default rules */
	void (*err)(void *ctx, const char *line);  /* mw_rules_err_fn */
	void *ctx;
	unsigned errors;
};

/* One error line "FILE:LINE:COLUMN: message" (at n, or 1:1 when n is
 * NULL; control characters become '?') to l->err; counts it. */
void mw_yaml_err(struct mw_yaml_ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The document's node i. */
yaml_node_t *mw_yaml_node(struct mw_yaml_ld *l, int i);

/* A scalar's text (no NUL inside), else NULL after an error naming what. */
const char *mw_yaml_scalar(struct mw_yaml_ld *l, yaml_node_t *n, const char *what);

/* Whether n is a mapping; if not, an error "<what> must be a mapping <form>"
 * (form: its keys, as "{min: BYTES, max: BYTES}"). */
bool mw_yaml_mapping(struct mw_yaml_ld *l, yaml_node_t *n, const char *what, const char *form);

/* Walk the pairs of the mapping n: start with *p = NULL; each call moves
 * to the next pair whose key is a scalar (an error names each other key),
 * sets *k and *v, and returns the key's text; NULL after the last. */
const char *mw_yaml_next_pair(struct mw_yaml_ld *l, yaml_node_t *n, yaml_node_pair_t **p, yaml_node_t **k,
			      yaml_node_t **v);

/* Call fn for each value of a list key (a sequence of at most MW_LIST_MAX
 * scalars, or one scalar); errors for anything else and for an empty list. */
typedef int (*mw_yaml_item_fn)(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg);
void mw_yaml_each(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, mw_yaml_item_fn fn, void *arg);

/* Out of memory while reading or compiling rules: a line on stderr, exit 1. */
void mw_rules_oom(void) __attribute__((noreturn));

/* strdup and realloc (n elements of size bytes) that exit on failure. */
char *mw_rules_strdup(const char *s);
void *mw_rules_grow(void *p, size_t n, size_t size);

#endif
