/* Named threads: the name is given by the creator, so it is set when thread_start returns. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "core/thread.h"

int thread_start(pthread_t *thread, const char *name, void *(*run)(void *), void *arg)
{
	int rc = pthread_create(thread, NULL, run, arg);
	if (rc == 0)
		pthread_setname_np(*thread, name);
	return rc;
}
