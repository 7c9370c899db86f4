/* options.h - the option table: one parser for the command line and for "name = value" lines of a config file. */
#ifndef MW_OPTIONS_H
#define MW_OPTIONS_H

#include <stddef.h>
#include "tracer.h"

/* What the user asked for besides tracing. */
enum mw_action { MW_ACT_RUN, MW_ACT_HELP, MW_ACT_LIST, MW_ACT_VERSION };

/* Does the option take a value? */
enum mw_optval {
	MW_OV_NONE,     /* a switch: --json; "--json=yes" is refused ("takes no value") */
	MW_OV_REQUIRED, /* --output FILE, --output=FILE, -oFILE, -o FILE */
};

#define MW_OF_CLI_ONLY (1u << 0) /* only on the command line (--help, --list), not in a config file */
#define MW_OF_LIST     (1u << 1) /* value is a comma-separated LIST; repeats add up */

struct mw_opt_def;
typedef int (*mw_opt_fn)(struct mw_opts *o, const struct mw_opt_def *d, const char *value,
			 char *err, size_t errlen);

/* One row of the option table. To add an option: one row in options.c's
 * table (name, short letter or 0, value kind, flags, handler, code) and one
 * line in main.c's --help text. */
struct mw_opt_def {
	const char *name;      /* long name, without "--" */
	char shortopt;         /* single-letter form, 0 if none */
	enum mw_optval val;
	unsigned flags;        /* MW_OF_* */
	mw_opt_fn apply;       /* value is NULL for MW_OV_NONE */
	int code;              /* handler's own selector (e.g. MW_OPT_PID for filters) */
};

/* Defaults: every syscall event, auto hook and compat, 4 MiB ring, 50 ms flush. */
void mw_opts_init(struct mw_opts *o);

/* Apply one option by its long name (without "--"; a config file's "name = value"
 * line maps to name and value). value must be NULL for a switch and non-NULL
 * for an option that takes one. Values are copied: the caller may free them.
 * Repeats of a LIST option add up; a repeated single-value option: the last one
 * counts. Returns 0, or -1 with a one-line reason in err (no "mapwatch: "
 * prefix, no newline, no "(try ...)" suffix: the caller adds its context).
 * Command-line-only options (help, list, version) are refused here. */
int mw_opt_apply(struct mw_opts *o, const char *name, const char *value, char *err, size_t errlen);

/* Parse argv (GNU style: --name VALUE, --name=VALUE, -x VALUE, -xVALUE,
 * bundled switches -sj, unique prefixes of long names, "--" ends the options
 * and starts COMMAND; the first non-option word is an error). Sets o->cmd.
 * Returns 0, or -1 with a one-line reason in err. */
int mw_opts_parse_argv(struct mw_opts *o, int argc, char **argv, char *err, size_t errlen);

/* Checks that need every option (combinations that trace nothing or that
 * contradict each other). Call once after argv and any config file. Returns 0
 * or -1 with a one-line reason in err. */
int mw_opts_finish(struct mw_opts *o, char *err, size_t errlen);

/* Frees what the option handlers copied (not o itself). */
void mw_opts_free(struct mw_opts *o);

/* 1 when option d was applied to o (by argv or by mw_opt_apply), else 0. */
int mw_opt_given(const struct mw_opts *o, const struct mw_opt_def *d);

/* The row for a long name (exact match); NULL if none. */
const struct mw_opt_def *mw_opt_lookup(const char *name);

#endif
