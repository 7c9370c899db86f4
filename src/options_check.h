/* options_check.h - the checks across options, once every option is given. */
#ifndef MW_OPTIONS_CHECK_H
#define MW_OPTIONS_CHECK_H

#include <stddef.h>
#include "options.h"

/* Checks that need every option (combinations that trace nothing or that
 * contradict each other). Call once after argv and any config file. Returns 0
 * or -1 with a one-line reason in err. */
int mw_opts_finish(struct mw_opts *o, char *err, size_t errlen);

#endif
