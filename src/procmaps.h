/* procmaps.h - one line of /proc/PID/maps read into a region. */
#ifndef MW_PROCMAPS_H
#define MW_PROCMAPS_H

#include "region.h"

/* Parse the line [line, end) (no newline) of a /proc/PID/maps file into *r:
 * its range, rwx, was_writable (writable now), file_backed (inode != 0),
 * growsdown ("[stack]" or "[stack:TID]"), history_unknown (1). 0, or -1
 * when the line is malformed. */
int mw_procmaps_line(const char *line, const char *end, struct mw_region *r);

#endif
