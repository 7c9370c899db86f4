/* options_parse.h - options applied by name (a config file's lines) and from argv, through the option table. */
#ifndef MW_OPTIONS_PARSE_H
#define MW_OPTIONS_PARSE_H

#include <stddef.h>
#include "options.h"

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

#endif
