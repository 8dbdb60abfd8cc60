/* The worker pool: one mutex and condition variable over a FIFO of jobs. */
#include "core/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/xmalloc.h"

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct pool_job *head, *tail;
	int waiting, max_waiting;
	bool is_stopping;
	int threads;
	pthread_t thread[];
};

static void *work(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->is_stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		struct pool_job *job = p->head;
		if (job == NULL)
			break;
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->waiting--;
		pthread_mutex_unlock(&p->lock);
		job->run(job);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *pool_start(int threads, int max_waiting, struct error *e)
{
	struct pool *p = xcalloc(1, sizeof(*p) + (size_t)threads * sizeof(pthread_t));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->max_waiting = max_waiting;
	for (; p->threads < threads; p->threads++) {
		if (pthread_create(&p->thread[p->threads], NULL, work, p) != 0) {
			error_set(e, ERR_INTERNAL, "could not start a worker thread");
			pool_stop(p);
			return NULL;
		}
	}
	return p;
}

int pool_submit(struct pool *p, struct pool_job *job)
{
	int rc = 0;
	pthread_mutex_lock(&p->lock);
	if (p->is_stopping || p->waiting >= p->max_waiting) {
		rc = ERR_UNAVAILABLE;
	} else {
		job->next = NULL;
		if (p->tail != NULL)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->waiting++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void pool_stop(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->is_stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->threads; i++)
		pthread_join(p->thread[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
