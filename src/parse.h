/* parse.h - the small parsers the option and filter code share: list words and bounded numbers. */
#ifndef MW_PARSE_H
#define MW_PARSE_H

#include <stdint.h>

/* Split the next word off a comma-separated list, trimming spaces and tabs
 * around it. *s advances; returns NULL at the end. Empty words are returned
 * as "" (the caller decides). Writes NULs into the list. */
char *mw_list_next(char **s);

/* Parse a decimal (or 0x hex) unsigned number in [min, max] with an optional
 * K/M/G/T suffix (binary units) when suffix != 0. Overflow, a sign, spaces or
 * trailing junk fail. Returns 0 or -1. */
int mw_parse_u64(const char *s, uint64_t min, uint64_t max, int suffix, uint64_t *out);

#endif
