/* config.h - the --config file: "name = value" lines, each one a long option, handed to the option parser. */
#ifndef MW_CONFIG_H
#define MW_CONFIG_H

#include <stddef.h>

/* The file the systemd unit passes (and `make install` puts an example at). */
#define MW_CONFIG_DEFAULT "/etc/mapwatch/mapwatch.conf"

/* Called once per option line: name is the long option without "--", value
 * is NULL for a line that is a bare name (a switch such as "json"). Returns
 * 0, or -1 with a one-line reason in err. */
typedef int (*mw_config_fn)(void *ctx, const char *name, const char *value, char *err, size_t errlen);

/*
 * Read path and call apply for each option line, in file order.
 * Syntax: one option per line; blank lines and lines whose first non-blank
 * character is '#' are ignored; "name = value" (spaces around '=' and at
 * both ends are trimmed; a value in double quotes keeps its spaces, the
 * quotes are removed) or a bare "name" for a switch. A leading "--" on the
 * name is accepted. Lines are at most 4095 bytes; NUL bytes, a missing
 * name, "config" itself and unterminated quotes are errors.
 * Returns 0, or -1 with "PATH:LINE: reason" (or "PATH: reason" when the
 * file cannot be read) in err; the first bad line stops the reading.
 */
int mw_config_read(const char *path, mw_config_fn apply, void *ctx, char *err, size_t errlen);

#endif
