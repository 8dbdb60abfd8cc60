/* Starting the server's own threads, each named (as ps and /proc show it) before it runs,
 * so whoever looks at the process right after start finds every thread by its name.
 */
#ifndef CORE_THREAD_H
#define CORE_THREAD_H

#include <pthread.h>

/* pthread_create, then the name (at most 15 bytes). 0, or pthread_create's error. */
int thread_start(pthread_t *thread, const char *name, void *(*run)(void *), void *arg);

#endif
