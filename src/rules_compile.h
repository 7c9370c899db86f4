/* rules_compile.h - the checks across a rule set, its kernel part (kill, allow), the shorthand options as rules, and the whole set the options ask for. */
#ifndef MW_RULES_COMPILE_H
#define MW_RULES_COMPILE_H

#include <stdbool.h>
#include "rules.h"

/* The checks across rules, once all are added (kill rules and what comes
 * before them, duplicate names) and the kernel part: kill_wx, and allow
 * (the ignore rules by exe alone before any other rule, the kill rule's
 * exe excepts).
 * Returns the number of errors. */
unsigned mw_rules_finish(struct mw_ruleset *rs, mw_rules_err_fn err, void *ctx);

/* The shorthand options as rules, placed first: --allow EXE (ignore by exe),
 * then --kill-wx (kill wx_mapping, wx_mprotect). Returns 0 or -1 (ENOMEM). */
int mw_rules_add_shorthands(struct mw_ruleset *rs, const char *const *allow, int nallow, bool kill_wx);

/* The whole set the options ask for: the files and directories in paths
 * (none: the embedded defaults), the shorthands first, then the checks.
 * Returns the number of errors (0: rs is ready). */
unsigned mw_rules_build(struct mw_ruleset *rs, const char *const *paths, int npaths, const char *const *allow,
			int nallow, bool kill_wx, mw_rules_err_fn err, void *ctx);

#endif
