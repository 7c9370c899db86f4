/* thread.h - mapwatch's helper threads: started with every signal blocked. */
#ifndef MW_THREAD_H
#define MW_THREAD_H
#include <pthread.h>

/* pthread_create() with all signals blocked in the new thread, so that
 * SIGCHLD, SIGINT, SIGHUP... always reach the main thread and wake its
 * poll at once (a signal taken by a helper thread left the main loop
 * asleep until its next timeout). 0, or an error number. */
int mw_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
