/* The scheduler's thread; see scheduler.h. */
#include "scheduler/scheduler.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xmalloc.h"

#define RETRY_MS    1000 /* after the store failed: try again this much later */
#define SHARED_MS   1000 /* with other servers: how often to look at what they wrote */
#define WAKE_GAP_MS 20   /* wake-ups after a look at the timers wait this long from it */

struct scheduler {
	struct store *store;
	const struct scheduler_job *jobs;
	size_t njobs;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool is_woken;
	bool is_stopping;
	bool is_leader;    /* runs every job, not only those on every server (the thread's own) */
	int64_t looked_at; /* when the thread last read the jobs' due times (its own) */
};

static bool runs(const struct scheduler *s, const struct scheduler_job *job)
{
	return s->is_leader || job->is_on_every_server;
}

/* The earliest due time of every job (0: none); ERR_* when the store failed. */
static int next_due(struct scheduler *s, int64_t *earliest)
{
	struct error e;
	struct store_tx *tx = store_begin(s->store, STORE_READ);
	int rc = tx != NULL ? 0 : ERR_UNAVAILABLE;
	*earliest = 0;
	for (size_t i = 0; i < s->njobs && rc == 0; i++) {
		int64_t due = 0;
		if (!runs(s, &s->jobs[i]))
			continue;
		rc = s->jobs[i].next_due(tx, &due, &e);
		if (rc < 0)
			log_warn("scheduler: %s: %s", s->jobs[i].name, e.message);
		else if (due > 0 && (*earliest == 0 || due < *earliest))
			*earliest = due;
	}
	store_rollback(tx);
	return rc;
}

/* A job that works outside transactions: one piece, when its work is due. */
static int work_due(struct scheduler *s, const struct scheduler_job *job, int64_t now,
                    struct error *e)
{
	int64_t due = 0;
	struct store_tx *tx = store_begin(s->store, STORE_READ);
	int rc = tx != NULL ? job->next_due(tx, &due, e)
	                    : error_set(e, ERR_UNAVAILABLE, "the database is not available");
	store_rollback(tx);
	if (rc == 0 && due > 0 && due <= now)
		rc = job->work(s, job->arg, now, e);
	return rc;
}

/* Runs every job whose work is due at now, each in its own write transaction. */
static int run_due(struct scheduler *s, int64_t now)
{
	int failed = 0;
	for (size_t i = 0; i < s->njobs; i++) {
		struct error e;
		int64_t due = 0;
		if (!runs(s, &s->jobs[i]))
			continue;
		if (s->jobs[i].run == NULL) {
			int rc = work_due(s, &s->jobs[i], now, &e);
			if (rc < 0) {
				log_warn("scheduler: %s: %s", s->jobs[i].name, e.message);
				failed = rc;
			}
			continue;
		}
		struct store_tx *tx = store_begin(s->store, STORE_WRITE);
		int rc = tx != NULL
		             ? s->jobs[i].next_due(tx, &due, &e)
		             : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
		if (rc == 0 && due > 0 && due <= now)
			rc = s->jobs[i].run(tx, now, &e);
		if (rc == 0)
			rc = store_commit(tx);
		else
			store_rollback(tx);
		if (rc < 0) {
			log_warn("scheduler: %s: %s", s->jobs[i].name, e.message);
			failed = rc;
		}
	}
	return failed;
}

/* Waits on the condition for ms at most; with the lock held. */
static void wait_ms(struct scheduler *s, int64_t ms)
{
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += ms / 1000;
	at.tv_nsec += (ms % 1000) * 1000000;
	at.tv_sec += at.tv_nsec / 1000000000;
	at.tv_nsec %= 1000000000;
	pthread_cond_timedwait(&s->cond, &s->lock, &at);
}

/*
 * Sleeps until the wall-clock time `until` (0: until woken), or a wake-up or stop. A wake-up
 * counts from WAKE_GAP_MS after the last look at the timers: every stored webhook wakes the
 * scheduler, and at thousands a second one look per gap does what one each did (18 % of the
 * server's CPU at full load, docs/BENCHMARK.md); what a webhook made due waits 20 ms at most.
 */
static void sleep_until(struct scheduler *s, int64_t until)
{
	int64_t gap_end = s->looked_at + WAKE_GAP_MS;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		int64_t now = clock_now_ms();
		if (s->is_stopping || (until > 0 && now >= until) ||
		    (s->is_woken && now >= gap_end))
			break;
		int64_t at = s->is_woken && (until == 0 || gap_end < until) ? gap_end : until;
		if (at == 0)
			pthread_cond_wait(&s->cond, &s->lock);
		else
			wait_ms(s, at - now);
	}
	s->is_woken = false;
	pthread_mutex_unlock(&s->lock);
}

bool scheduler_is_stopping(struct scheduler *s)
{
	pthread_mutex_lock(&s->lock);
	bool stopping = s->is_stopping;
	pthread_mutex_unlock(&s->lock);
	return stopping;
}

static void *run(void *arg)
{
	struct scheduler *s = arg;
	prctl(PR_SET_NAME, "scheduler");
	bool is_shared = store_is_shared(s->store);
	while (!scheduler_is_stopping(s)) {
		bool was_leader = s->is_leader;
		s->is_leader = store_leader_try(s->store, "scheduler");
		if (is_shared && s->is_leader != was_leader)
			log_info("scheduler: %s", s->is_leader
			                              ? "this server runs the timers now"
			                              : "another server may run the timers");
		int64_t now = clock_now_ms(), due = 0;
		s->looked_at = now;
		int rc = next_due(s, &due);
		if (rc == 0 && due > 0 && due <= now) {
			metrics_scheduler_lag(now - due);
			rc = run_due(s, now);
		}
		if (is_shared && rc == 0 && (due == 0 || due > now + SHARED_MS))
			due = now + SHARED_MS;
		if (rc < 0)
			sleep_until(s, clock_now_ms() + RETRY_MS);
		else if (due == 0 || due > now)
			sleep_until(s, due);
	}
	if (s->is_leader)
		store_leader_release(s->store, "scheduler");
	return NULL;
}

struct scheduler *scheduler_start(struct store *st, const struct scheduler_job *jobs, size_t n,
                                  struct error *e)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));
	s->store = st;
	s->jobs = jobs;
	s->njobs = n;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		error_set(e, ERR_INTERNAL, "cannot start the scheduler's thread");
		return NULL;
	}
	return s;
}

void scheduler_wake(struct scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->is_woken = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->is_stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
