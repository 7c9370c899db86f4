/* options_parse.c - options applied by name (a config file's lines) and from argv (GNU style), through the option table (options.c). */
#include "options_parse.h"

#include <stdio.h>
#include <string.h>

/* shown: how the user wrote the option ("-c", "--comm"), for messages. */
static int apply_def(struct mw_opts *o, const struct mw_opt_def *d, const char *shown, const char *value,
		     char *err, size_t n)
{
	size_t nopts;
	const struct mw_opt_def *tab = mw_opt_table(&nopts);

	if (d->val == MW_OV_NONE && value)
		return mw_opt_fail(err, n, "option '%s' takes no value (got '%s')", shown, value);
	if (d->val == MW_OV_REQUIRED && !value)
		return mw_opt_fail(err, n, "option '%s' needs a value", shown);
	if (value && !strcmp(value, "--"))
		return mw_opt_fail(err, n, "option '%s' needs a value before '--'", shown);
	if ((size_t)(d - tab) < sizeof(o->given))
		o->given[d - tab] = 1;
	return d->apply(o, d, value, err, n);
}

static int opt_apply(struct mw_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	const struct mw_opt_def *d = mw_opt_lookup(name);
	char shown[64];

	if (!d)
		return mw_opt_fail(err, errlen, "unknown option '%s'", name);
	if (d->flags & MW_OF_CLI_ONLY)
		return mw_opt_fail(err, errlen, "option '%s' only makes sense on the command line", name);
	snprintf(shown, sizeof(shown), "--%s", d->name);
	return apply_def(o, d, shown, value, err, errlen);
}

/* Long option by exact name or unique prefix (as getopt_long does). */
static const struct mw_opt_def *find_long(const char *name, size_t len, char *err, size_t n)
{
	size_t nopts;
	const struct mw_opt_def *hit = NULL, *table = mw_opt_table(&nopts);
	int hits = 0;

	if (!len) {
		mw_opt_fail(err, n, "unknown option '--%s'", name);
		return NULL;
	}

	for (size_t i = 0; i < nopts; i++) {
		if (strncmp(table[i].name, name, len))
			continue;
		if (strlen(table[i].name) == len)
			return &table[i];
		hit = &table[i];
		hits++;
	}
	if (hits == 1)
		return hit;
	if (hits > 1)
		mw_opt_fail(err, n, "option '--%.*s' is ambiguous", (int)len, name);
	else
		mw_opt_fail(err, n, "unknown option '--%.*s'", (int)len, name);
	return NULL;
}

static const struct mw_opt_def *find_short(char c)
{
	size_t nopts;
	const struct mw_opt_def *table = mw_opt_table(&nopts);

	for (size_t i = 0; i < nopts; i++)
		if (table[i].shortopt == c)
			return &table[i];
	return NULL;
}

static int parse_argv(struct mw_opts *o, int argc, char **argv, char *err, size_t n)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (i + 1 >= argc)
				return mw_opt_fail(err, n, "'--' must be followed by a command to run");
			o->cmd = &argv[i + 1];
			return 0;
		}
		if (a[0] != '-' || !a[1])
			return mw_opt_fail(err, n, "unexpected argument '%s': put the command after '--'", a);
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct mw_opt_def *d = find_long(name, len, err, n);
			const char *value = eq ? eq + 1 : NULL;
			char shown[64];

			if (!d)
				return -1;
			snprintf(shown, sizeof(shown), "--%s", d->name);
			if (d->val == MW_OV_REQUIRED && !value) {
				if (i + 1 >= argc)
					return mw_opt_fail(err, n, "option '%s' needs a value", shown);
				value = argv[++i];
			}
			if (apply_def(o, d, shown, value, err, n))
				return -1;
			continue;
		}
		/* one or more single-letter options: -sj, -oFILE, -o FILE */
		for (const char *p = a + 1; *p; p++) {
			const struct mw_opt_def *d = find_short(*p);
			char shown[3] = { '-', *p, 0 };
			const char *value = NULL;

			if (!d)
				return mw_opt_fail(err, n, "unknown option '-%c'", *p);
			if (d->val == MW_OV_REQUIRED) {
				if (p[1])
					value = p + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else
					return mw_opt_fail(err, n, "option '%s' needs a value", shown);
			}
			if (apply_def(o, d, shown, value, err, n))
				return -1;
			if (value)
				break;
		}
	}
	return 0;
}

int mw_opt_apply(struct mw_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	return mw_opt_clean(err, errlen, opt_apply(o, name, value, err, errlen));
}

int mw_opts_parse_argv(struct mw_opts *o, int argc, char **argv, char *err, size_t n)
{
	return mw_opt_clean(err, n, parse_argv(o, argc, argv, err, n));
}
