/* regions_dump.h - a process's region map as text, and two maps compared (tests, the model against the kernel's view). */
#ifndef MW_REGIONS_DUMP_H
#define MW_REGIONS_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include "regions.h"

/* Attribute selectors for mw_regions_format() and mw_regions_compare().
 * The rwx bits are always included. */
#define MW_ATTR_STICKY    0x1u  /* was_writable, shown as 'W' */
#define MW_ATTR_FILE      0x2u  /* file_backed, shown as 'F' */
#define MW_ATTR_GROWSDOWN 0x4u  /* growsdown, shown as 'G' */
#define MW_ATTR_UNKNOWN   0x8u  /* history_unknown, shown as 'U' */
#define MW_ATTR_ALL       0xfu

/* Write pid's regions as text into buf (snprintf-like: at most size bytes,
 * always NUL-terminated when size > 0) and return the length the whole text
 * has. Regions are separated by one space, each "start-end:rwx" with start
 * and end in lower-case hex without 0x and rwx as in /proc maps ('-' for a
 * missing bit), followed by the letters of the attributes selected in attrs
 * that are set: 'W' was_writable, 'F' file_backed, 'G' growsdown,
 * 'U' history_unknown. Example: "10000-12000:rw-W 12000-13000:r-xW".
 * An absent or empty process gives "". */
size_t mw_regions_format(const struct mw_regions *t, uint32_t pid, unsigned attrs, char *buf,
			 size_t size);

/* Compare process pid_a of table a with pid_b of table b inside [lo, hi):
 * regions are clipped to the window, and adjacent regions whose rwx bits and
 * attrs-selected attributes are equal are merged on both sides first (so a
 * model can be compared with the kernel's view, where VMAs merge). Returns 0
 * when both describe the same pages with the same attributes, 1 otherwise,
 * and then sets *diff_at (when not NULL) to the lowest address where they
 * differ. An absent process compares as an empty one. */
int mw_regions_compare(const struct mw_regions *a, uint32_t pid_a, const struct mw_regions *b,
		       uint32_t pid_b, uint64_t lo, uint64_t hi, unsigned attrs, uint64_t *diff_at);

#endif
