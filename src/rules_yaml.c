/* rules_yaml.c - reading the rules files' YAML: errors with file, line and column, scalars, lists, a mapping's pairs; and what reading does when memory runs out. */
#include "rules_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mw_yaml_err(struct mw_yaml_ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++) /* one line, whatever the file held */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	snprintf(line, sizeof(line), "%s:%lu:%lu: %s", l->file, n ? (unsigned long)n->start_mark.line + 1 : 1ul,
		 n ? (unsigned long)n->start_mark.column + 1 : 1ul, msg);
	l->errors++;
	if (l->err)
		l->err(l->ctx, line);
}

yaml_node_t *mw_yaml_node(struct mw_yaml_ld *l, int i)
{
	return yaml_document_get_node(l->doc, i);
}

/* A scalar's text (no NUL inside), else NULL after an error. */
const char *mw_yaml_scalar(struct mw_yaml_ld *l, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		mw_yaml_err(l, n, "%s must be a single value", what);
		return NULL;
	}
	const char *s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		mw_yaml_err(l, n, "%s holds a NUL byte", what);
		return NULL;
	}
	return s;
}

bool mw_yaml_mapping(struct mw_yaml_ld *l, yaml_node_t *n, const char *what, const char *form)
{
	if (n->type == YAML_MAPPING_NODE)
		return true;
	mw_yaml_err(l, n, "%s must be a mapping %s", what, form);
	return false;
}

const char *mw_yaml_next_pair(struct mw_yaml_ld *l, yaml_node_t *n, yaml_node_pair_t **p, yaml_node_t **k,
			      yaml_node_t **v)
{
	for (*p = *p ? *p + 1 : n->data.mapping.pairs.start; *p < n->data.mapping.pairs.top; (*p)++) {
		*k = mw_yaml_node(l, (*p)->key);
		*v = mw_yaml_node(l, (*p)->value);
		const char *ks = mw_yaml_scalar(l, *k, "a key");
		if (ks)
			return ks;
	}
	return NULL;
}

/* Call fn for each value of a list key (a sequence of scalars, or one scalar). */
void mw_yaml_each(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, mw_yaml_item_fn fn, void *arg)
{
	if (n->type == YAML_SCALAR_NODE) {
		const char *s = mw_yaml_scalar(l, n, key);
		if (s)
			fn(l, n, key, s, arg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		mw_yaml_err(l, n, "%s must be a value or a list of values", key);
		return;
	}
	unsigned count = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = mw_yaml_node(l, *it);
		if (++count > MW_LIST_MAX) {
			mw_yaml_err(l, v, "%s: more than %d values", key, MW_LIST_MAX);
			return;
		}
		const char *s = mw_yaml_scalar(l, v, key);
		if (s)
			fn(l, v, key, s, arg);
	}
	if (!count)
		mw_yaml_err(l, n, "%s: an empty list matches nothing; leave the key out to match everything", key);
}

/* Out of memory while reading rules: nothing sensible is left to do. */
void mw_rules_oom(void)
{
	fputs("mapwatch: out of memory\n", stderr);
	exit(1);
}

char *mw_rules_strdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		mw_rules_oom();
	return d;
}

void *mw_rules_grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, n * size);
	if (!q)
		mw_rules_oom();
	return q;
}
