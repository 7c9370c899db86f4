/* thread.h - mapwatch's helper threads: started with every signal blocked. */
#ifndef MW_THREAD_H
#define MW_THREAD_H
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* pthread_create() with all signals blocked in the new thread, so that
 * SIGCHLD, SIGINT, SIGHUP... always reach the main thread and wake its
 * poll at once (a signal taken by a helper thread left the main loop
 * asleep until its next timeout). 0, or an error number. */
int mw_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* End a helper thread that waits on cv under mu until *stop: sets *stop
 * (under mu), wakes it, and joins it. */
void mw_thread_stop(pthread_t t, pthread_mutex_t *mu, pthread_cond_t *cv, bool *stop);

/* *until = ms milliseconds from now on CLOCK_REALTIME (the clock of
 * pthread_cond_timedwait). */
void mw_deadline_ms(struct timespec *until, int ms);

#endif
