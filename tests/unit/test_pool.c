/* core/pool: jobs run on the pool's threads, a full queue refuses at once, stop runs the rest. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/pool.h"

/* Jobs hold until the gate opens, so the queue can be filled while they run. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static bool is_open;
static int running, done;

static void held(struct pool_job *job)
{
	(void)job;
	pthread_mutex_lock(&lock);
	running++;
	pthread_cond_broadcast(&changed);
	while (!is_open)
		pthread_cond_wait(&changed, &lock);
	done++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void test_bounded_queue(void **state)
{
	(void)state;
	struct error e;
	struct pool *p = pool_start(2, 3, &e);
	assert_non_null(p);
	struct pool_job jobs[6];
	for (int i = 0; i < 6; i++)
		jobs[i].run = held;
	/* Two run (once both started, none waits), three wait, the sixth is refused. */
	assert_int_equal(pool_submit(p, &jobs[0]), 0);
	assert_int_equal(pool_submit(p, &jobs[1]), 0);
	pthread_mutex_lock(&lock);
	while (running < 2)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
	for (int i = 2; i < 5; i++)
		assert_int_equal(pool_submit(p, &jobs[i]), 0);
	assert_int_equal(pool_submit(p, &jobs[5]), ERR_UNAVAILABLE);
	/* Stopping runs what was queued. */
	pthread_mutex_lock(&lock);
	is_open = true;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	pool_stop(p);
	assert_int_equal(done, 5);
	assert_int_equal(running, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
