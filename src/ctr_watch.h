/* ctr_watch.h - the resolver thread: reads the kernel's announcements of new cgroups (ctr_rb) and looks each up at once, off the event path; judges it for the container filters and tells the kernel (ctr_verdict). */
#ifndef MW_CTR_WATCH_H
#define MW_CTR_WATCH_H

#include <stdint.h>

struct mw_ctr_match;
struct mw_ctr_watch;

/* Start the thread on ring buffer ctr_rb_fd; with m (the filters, NULL: none)
 * each verdict goes into map verdict_fd (cgroup id -> 0 out, 1 in). NULL
 * with errno set when it cannot start. */
struct mw_ctr_watch *mw_ctr_watch_start(int ctr_rb_fd, int verdict_fd, const struct mw_ctr_match *m);

/* Announcements read so far. */
uint64_t mw_ctr_watch_records(const struct mw_ctr_watch *w);

/* Read what is left, stop the thread and free it (NULL: nothing). */
void mw_ctr_watch_stop(struct mw_ctr_watch *w);

#endif
