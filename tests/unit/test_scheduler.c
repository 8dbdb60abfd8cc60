/*
 * scheduler/: a job whose work is due runs, in a write transaction that is committed, and a
 * due time set later is picked up on scheduler_wake(); a job that works outside transactions
 * can write in its own and is ended by scheduler_stop(). Waits are on a condition (with a
 * generous deadline), never a fixed sleep.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

#include "core/clock.h"
#include "scheduler/scheduler.h"

static char path[512];

/* The job's state: its due time (0: nothing due) and how often it ran, under lock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t ran;
	int64_t due;
	int runs;
} job = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static int next_due(struct store_tx *tx, int64_t *due, struct error *e)
{
	(void)tx;
	(void)e;
	pthread_mutex_lock(&job.lock);
	*due = job.due;
	pthread_mutex_unlock(&job.lock);
	return 0;
}

/* Marks its run in the database too, so the test sees the transaction was committed. */
static int run(struct store_tx *tx, int64_t now, struct error *e)
{
	int rc = store_exec(tx, "INSERT INTO runs (at) VALUES ($1)", STORE_ARGS(SV_INT(now)));
	if (rc < 0)
		return store_failed(e, rc);
	pthread_mutex_lock(&job.lock);
	job.due = 0;
	job.runs++;
	pthread_cond_broadcast(&job.ran);
	pthread_mutex_unlock(&job.lock);
	return 0;
}

static const struct scheduler_job jobs[] = { { .name = "test", .next_due = next_due, .run = run } };

/* Waits until the job has run `runs` times; false after 10 s. */
static bool wait_runs(int runs)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&job.lock);
	int rc = 0;
	while (job.runs < runs && rc == 0)
		rc = pthread_cond_timedwait(&job.ran, &job.lock, &until);
	bool ok = job.runs >= runs;
	pthread_mutex_unlock(&job.lock);
	return ok;
}

static void set_due(int64_t due)
{
	pthread_mutex_lock(&job.lock);
	job.due = due;
	pthread_mutex_unlock(&job.lock);
}

static int64_t count_runs(struct store *st)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	int64_t n = -1;
	assert_int_equal(store_get_int(tx, "SELECT count(*) FROM runs", STORE_NO_ARGS, &n), 0);
	store_rollback(tx);
	return n;
}

static void test_runs_what_is_due(void **state)
{
	(void)state;
	test_db_new(path, sizeof(path), "test_scheduler");
	struct store *st;
	struct error e;
	assert_int_equal(store_open(path, 3, 5000, &st, &e), 0);
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_true(store_exec(tx, "CREATE TABLE runs (at BIGINT)", STORE_NO_ARGS) >= 0);
	assert_int_equal(store_commit(tx), 0);

	/* Due already when it starts: it runs at once. */
	set_due(clock_now_ms() - 1000);
	struct scheduler *s = scheduler_start(st, jobs, 1, &e);
	assert_non_null(s);
	assert_true(wait_runs(1));

	/* A due time set later, in the near future: the wake-up makes it look again, and its
	 * run is committed (two rows). */
	set_due(clock_now_ms() + 200);
	scheduler_wake(s);
	assert_true(wait_runs(2));
	/* The run's rows are visible once the scheduler committed, just after it ran. */
	int64_t deadline = clock_now_ms() + 10000;
	while (count_runs(st) < 2 && clock_now_ms() < deadline)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	assert_int_equal(count_runs(st), 2);

	scheduler_stop(s);
	store_close(st);
	test_db_remove(path);
}

/* A job that works outside transactions: it writes in a transaction of its own (none is held
 * for it), then waits for the network until the scheduler stops, which ends its wait. */
static int work(struct scheduler *s, void *arg, int64_t now, struct error *e)
{
	struct store *st = arg;
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	int rc = tx != NULL
	             ? store_exec(tx, "INSERT INTO runs (at) VALUES ($1)", STORE_ARGS(SV_INT(now)))
	             : ERR_UNAVAILABLE;
	rc = rc >= 0 ? store_commit(tx) : (store_rollback(tx), rc);
	if (rc < 0)
		return store_failed(e, rc);
	pthread_mutex_lock(&job.lock);
	job.runs++;
	pthread_cond_broadcast(&job.ran);
	pthread_mutex_unlock(&job.lock);
	while (!scheduler_is_stopping(s))
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	return 0;
}

static void test_work_outside_transactions_ends_on_stop(void **state)
{
	(void)state;
	test_db_new(path, sizeof(path), "test_scheduler_work");
	struct store *st;
	struct error e;
	assert_int_equal(store_open(path, 3, 5000, &st, &e), 0);
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_true(store_exec(tx, "CREATE TABLE runs (at BIGINT)", STORE_NO_ARGS) >= 0);
	assert_int_equal(store_commit(tx), 0);
	const struct scheduler_job working[] = {
		{ .name = "work", .next_due = next_due, .work = work, .arg = st },
	};
	pthread_mutex_lock(&job.lock);
	job.runs = 0;
	pthread_mutex_unlock(&job.lock);
	set_due(clock_now_ms() - 1000);
	struct scheduler *s = scheduler_start(st, working, 1, &e);
	assert_non_null(s);
	assert_true(wait_runs(1));
	assert_int_equal(count_runs(st), 1);
	scheduler_stop(s); /* returns: the work saw the stop */
	store_close(st);
	test_db_remove(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_what_is_due),
		cmocka_unit_test(test_work_outside_transactions_ends_on_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
