/*
 * A small pool of threads for slow CPU work (password hashing) kept off the HTTP workers:
 * jobs wait in a bounded queue and a full queue refuses at once, so a flood of such work
 * costs a fixed number of cores and bytes, never the threads that answer everyone else.
 */
#ifndef CORE_POOL_H
#define CORE_POOL_H

#include "core/err.h"

/* Embedded in the caller's own job state; run is called once, on a pool thread. */
struct pool_job {
	void (*run)(struct pool_job *job);
	struct pool_job *next; /* private */
};

struct pool;

/* Starts threads workers that share a queue of at most max_waiting jobs not yet running. */
struct pool *pool_start(int threads, int max_waiting, struct error *e);
/* Queues job: 0, or ERR_UNAVAILABLE when the queue is full or the pool stopping (job is then
 * the caller's again). */
int pool_submit(struct pool *p, struct pool_job *job);
/* Runs what is queued, then stops the threads and frees the pool; p may be NULL. */
void pool_stop(struct pool *p);

#endif
