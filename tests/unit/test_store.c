/* store/: migrations, parameters, transactions, error mapping, a newer schema refused, group
 * commit, hearing other servers' events, leadership and claim locks among several servers, the
 * copy from SQLite into PostgreSQL. */
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

#include "store/store.h"

static char path[512];

static int setup(void **state)
{
	test_db_new(path, sizeof(path), "test_store");
	struct store *st;
	struct error e;
	int applied = -1;
	assert_int_equal(store_open(path, 3, 5000, &st, &e), 0);
	assert_int_equal(store_migrate(st, &applied, &e), 0);
	int version = 0;
	assert_true(applied > 0);
	assert_int_equal(store_schema_version(st, &version, &e), 0);
	assert_int_equal(version, store_schema_latest());
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	store_close(*state);
	test_db_remove(path);
	return 0;
}

static void test_migrate_is_idempotent(void **state)
{
	struct error e;
	int applied = -1, version = 0;
	assert_int_equal(store_migrate(*state, &applied, &e), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(store_schema_version(*state, &version, &e), 0);
	assert_int_equal(version, store_schema_latest());
}

struct pair {
	int64_t a;
	char b[8];
};

static void read_pair(struct store_rows *r, void *item)
{
	struct pair *p = item;
	p->a = store_int(r, 0);
	snprintf(p->b, sizeof(p->b), "%s", store_text(r, 1));
}

/* Every row into its own item, in order; a failing statement gives no array. */
static void test_collect(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_READ);
	assert_non_null(tx);
	void *items = NULL;
	size_t n = 0;
	assert_int_equal(store_collect(tx,
	                               "SELECT 1, 'one' UNION ALL SELECT 2, 'two' UNION ALL"
	                               " SELECT $1, 'three'",
	                               STORE_ARGS(SV_INT(3)), sizeof(struct pair), read_pair,
	                               &items, &n),
	                 0);
	struct pair *pairs = items;
	assert_int_equal(n, 3);
	assert_int_equal(pairs[0].a, 1);
	assert_string_equal(pairs[1].b, "two");
	assert_int_equal(pairs[2].a, 3);
	assert_string_equal(pairs[2].b, "three");
	free(items);
	assert_int_equal(store_savepoint(tx), 0);
	assert_int_equal(store_collect(tx, "SELECT nonsense FROM nowhere", STORE_NO_ARGS,
	                               sizeof(struct pair), read_pair, &items, &n),
	                 ERR_INTERNAL);
	assert_null(items);
	assert_int_equal(n, 0);
	assert_int_equal(store_savepoint_end(tx, false), 0);
	/* One row, or ERR_NOT_FOUND that leaves the item as it was. */
	struct pair one = { 0 };
	assert_int_equal(
	    store_get_row(tx, "SELECT $1, 'x'", STORE_ARGS(SV_INT(9)), read_pair, &one), 0);
	assert_int_equal(one.a, 9);
	assert_int_equal(
	    store_get_row(tx, "SELECT 1, 'y' WHERE 1 = 0", STORE_NO_ARGS, read_pair, &one),
	    ERR_NOT_FOUND);
	assert_string_equal(one.b, "x");
	store_rollback(tx);
}

static void test_params_and_rows(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_non_null(tx);
	int64_t id = 0;
	assert_int_equal(store_get_int(tx,
	                               "INSERT INTO teams (account_id, name, name_key, created_at,"
	                               " updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
	                               STORE_ARGS(SV_INT(1), SV_TEXT("Soporte ñ"),
	                                          SV_TEXT("soporte ñ"), SV_INT(42)),
	                               &id),
	                 0);
	assert_true(id > 0);
	struct store_rows *r;
	/* Parameters may repeat and come in any order. */
	assert_int_equal(store_query(tx,
	                             "SELECT name, created_at, $2 + $2 FROM teams WHERE id = $1",
	                             STORE_ARGS(SV_INT(id), SV_INT(5)), &r),
	                 0);
	assert_int_equal(store_next(r), 1);
	assert_string_equal(store_text(r, 0), "Soporte ñ");
	assert_int_equal(store_int(r, 1), 42);
	assert_int_equal(store_int(r, 2), 10);
	assert_int_equal(store_next(r), 0);
	store_rows_free(r);
	/* A unique violation is a conflict, and the transaction goes on from the savepoint
	 * before it (on PostgreSQL a failed statement ends the transaction otherwise). */
	assert_int_equal(store_savepoint(tx), 0);
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO teams (account_id, name, name_key, created_at,"
	                            " updated_at) VALUES (1, 'x', 'soporte ñ', 0, 0)",
	                            STORE_NO_ARGS),
	                 ERR_CONFLICT);
	assert_int_equal(store_savepoint_end(tx, false), 0);
	assert_int_equal(store_savepoint(tx), 0);
	assert_int_equal(store_exec(tx, "UPDATE teams SET name = $1 WHERE id = $2",
	                            STORE_ARGS(SV_TEXT_NULL(NULL), SV_INT(id))),
	                 ERR_CONFLICT); /* NOT NULL */
	assert_int_equal(store_savepoint_end(tx, false), 0);
	assert_int_equal(
	    store_exec(tx, "UPDATE teams SET updated_at = 7 WHERE id = $1", STORE_ARGS(SV_INT(id))),
	    1);
	assert_int_equal(store_commit(tx), 0);
	int64_t n = 0;
	tx = store_begin(*state, STORE_READ);
	assert_int_equal(store_get_int(tx, "SELECT updated_at FROM teams WHERE id = $1",
	                               STORE_ARGS(SV_INT(id)), &n),
	                 0);
	assert_int_equal(n, 7);
	assert_int_equal(store_get_int(tx, "SELECT id FROM teams WHERE id = -1", STORE_NO_ARGS, &n),
	                 ERR_NOT_FOUND);
	/* Every row's first column; none is an empty list. */
	int64_t *ids = NULL;
	size_t count = 0;
	assert_int_equal(store_get_ints(tx, "SELECT id FROM teams WHERE id IN ($1, -1) ORDER BY id",
	                                STORE_ARGS(SV_INT(id)), &ids, &count),
	                 0);
	assert_int_equal(count, 1);
	assert_int_equal(ids[0], id);
	free(ids);
	assert_int_equal(
	    store_get_ints(tx, "SELECT id FROM teams WHERE id = -1", STORE_NO_ARGS, &ids, &count),
	    0);
	assert_int_equal(count, 0);
	assert_null(ids);
	assert_int_equal(store_savepoint(tx), 0);
	assert_int_equal(store_exec(tx, "SELECT nonsense FROM nowhere", STORE_NO_ARGS),
	                 ERR_INTERNAL);
	assert_int_equal(store_savepoint_end(tx, false), 0);
	assert_int_equal(store_exec(tx, "SELECT $2", STORE_ARGS(SV_INT(1))), ERR_INTERNAL);
	store_rollback(tx);
}

/* One buffer that holds one statement, then another: the cache of prepared statements (keyed
 * by the text's address on SQLite) runs each text, never the one prepared before it. */
static void test_statement_texts(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	char sql[160];
	int64_t n = 0;
	const char *selects[] = { "SELECT $1 + 1", "SELECT $1 + 2", "SELECT $1 + 2 + 10",
		                  "SELECT $1 + 2" };
	const int64_t sums[] = { 6, 7, 17, 7 };
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "%s", selects[i]);
		assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_INT(5)), &n), 0);
		assert_int_equal(n, sums[i]);
	}
	/* An INSERT with and without RETURNING id, from the same buffer. */
	const char *insert = "INSERT INTO teams (account_id, name, name_key, created_at,"
	                     " updated_at) VALUES (1, $1, $1, 0, 0)";
	snprintf(sql, sizeof(sql), "%s RETURNING id", insert);
	int64_t a = 0, b = 0;
	assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_TEXT("uno")), &a), 0);
	snprintf(sql, sizeof(sql), "%s", insert);
	assert_int_equal(store_exec(tx, sql, STORE_ARGS(SV_TEXT("dos"))), 1);
	snprintf(sql, sizeof(sql), "%s RETURNING id", insert);
	assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_TEXT("tres")), &b), 0);
	assert_int_equal(b, a + 2);
	/* A statement refused for a missing argument runs with all of them. */
	snprintf(sql, sizeof(sql), "SELECT $2 - $1");
	assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_INT(1)), &n), ERR_INTERNAL);
	assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_INT(1), SV_INT(4)), &n), 0);
	assert_int_equal(n, 3);
	store_rollback(tx);
}

static void test_rollback_discards(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO teams (account_id, name, name_key, created_at,"
	                            " updated_at) VALUES (1, 'Gone', 'gone', 0, 0)",
	                            STORE_NO_ARGS),
	                 1);
	store_rollback(tx);
	int64_t n = -1;
	tx = store_begin(*state, STORE_READ);
	assert_int_equal(store_get_int(tx, "SELECT count(*) FROM teams WHERE name_key = 'gone'",
	                               STORE_NO_ARGS, &n),
	                 0);
	store_rollback(tx);
	assert_int_equal(n, 0);
}

/* An INSERT's RETURNING id (which SQLite's back end reads from the rowid rather than through
 * RETURNING): the new row's id, nothing when no row went in; on SQLite several rows are refused. */
static void test_insert_returning_id(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	int64_t a = 0, b = 0, n = 0;
	const char *one = "INSERT INTO teams (account_id, name, name_key, created_at, updated_at)"
	                  " SELECT 1, $1, $1, 0, 0 WHERE $2 = 1 RETURNING id";
	assert_int_equal(store_get_int(tx, one, STORE_ARGS(SV_TEXT("uno"), SV_INT(1)), &a), 0);
	assert_int_equal(store_get_int(tx, one, STORE_ARGS(SV_TEXT("dos"), SV_INT(1)), &b), 0);
	assert_int_equal(b, a + 1);
	assert_int_equal(
	    store_get_int(tx, "SELECT id FROM teams WHERE name_key = 'dos'", STORE_NO_ARGS, &n), 0);
	assert_int_equal(n, b);
	n = 0;
	assert_int_equal(store_get_int(tx, one, STORE_ARGS(SV_TEXT("tres"), SV_INT(0)), &n),
	                 ERR_NOT_FOUND);
	assert_int_equal(n, 0);
	struct store_rows *r;
	assert_int_equal(store_query(tx, one, STORE_ARGS(SV_TEXT("cuatro"), SV_INT(1)), &r), 0);
	assert_int_equal(store_next(r), 1);
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)store_int(r, 0));
	assert_string_equal(store_text(r, 0), text);
	assert_false(store_is_null(r, 0));
	assert_int_equal(store_next(r), 0);
	store_rows_free(r);
	if (!test_db_is_postgres()) {
		assert_int_equal(store_savepoint(tx), 0);
		assert_int_equal(store_get_int(tx,
		                               "INSERT INTO teams (account_id, name, name_key,"
		                               " created_at, updated_at) SELECT 1, name || '+',"
		                               " name_key || '+', 0, 0 FROM teams RETURNING id",
		                               STORE_NO_ARGS, &n),
		                 ERR_INTERNAL);
		assert_int_equal(store_savepoint_end(tx, false), 0);
	}
	store_rollback(tx);
}

/* SQLite: no CHECK lists its values with IN (migration 0041 says why), and the comparisons
 * that replaced them refuse what the lists refused. */
static void test_checks_compared(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	if (!test_db_is_postgres()) {
		int64_t n = -1;
		assert_int_equal(
		    store_get_int(tx,
		                  "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		                  " AND sql LIKE '% IN (''%'",
		                  STORE_NO_ARGS, &n),
		    0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(
	    store_exec(tx,
	               "INSERT INTO teams (account_id, name, name_key, assignment,"
	               " created_at, updated_at) VALUES (1, 'x', 'x', 'lottery', 0, 0)",
	               STORE_NO_ARGS),
	    ERR_CONFLICT);
	store_rollback(tx);
}

static void test_newer_database_refused(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_int_equal(store_exec(tx, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
	                            STORE_NO_ARGS),
	                 1);
	assert_int_equal(store_commit(tx), 0);
	struct error e;
	int applied;
	assert_int_equal(store_migrate(*state, &applied, &e), ERR_UNPROCESSABLE);
	assert_non_null(strstr(e.message, "newer than this binary"));
}

/* Group commit: jobs that insert a team each; the one repeating a name fails alone. */
struct team_job {
	struct store_job job;
	const char *key;
	int rc;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_done = PTHREAD_COND_INITIALIZER;
static int jobs_left;

static int insert_team(struct store_tx *tx, void *arg)
{
	const struct team_job *j = arg;
	/* A savepoint inside the job's own, undone: it leaves nothing. */
	int rc = store_savepoint(tx);
	if (rc == 0)
		rc = store_exec(tx,
		                "INSERT INTO teams (account_id, name, name_key, created_at,"
		                " updated_at) VALUES (1, 'inner', 'inner', 0, 0)",
		                STORE_NO_ARGS);
	if (rc >= 0)
		rc = store_savepoint_end(tx, false);
	if (rc >= 0)
		rc = store_exec(tx,
		                "INSERT INTO teams (account_id, name, name_key, created_at,"
		                " updated_at) VALUES (1, $1, $1, 0, 0)",
		                STORE_ARGS(SV_TEXT(j->key)));
	return rc < 0 ? rc : 0;
}

/* A job's done: its rc, and one job fewer to wait for. */
static void job_finished(int *out, int rc)
{
	pthread_mutex_lock(&jobs_lock);
	*out = rc;
	jobs_left--;
	pthread_cond_signal(&jobs_done);
	pthread_mutex_unlock(&jobs_lock);
}

static void team_done(void *arg, int rc)
{
	job_finished(&((struct team_job *)arg)->rc, rc);
}

static void test_group_commit(void **state)
{
	struct store *st = *state;
	struct team_job jobs[] = {
		{ .key = "g1" }, { .key = "g2" }, { .key = "g1" }, { .key = "g4" }, { .key = "g5" }
	};
	int n = (int)(sizeof(jobs) / sizeof(jobs[0]));
	/* The writer waits behind this transaction, so the jobs queue up into groups. */
	struct store_tx *hold = store_begin(st, STORE_WRITE);
	jobs_left = n;
	for (int i = 0; i < n; i++) {
		jobs[i].job =
		    (struct store_job){ .run = insert_team, .done = team_done, .arg = &jobs[i] };
		store_submit(st, &jobs[i].job);
	}
	store_rollback(hold);
	pthread_mutex_lock(&jobs_lock);
	while (jobs_left > 0)
		pthread_cond_wait(&jobs_done, &jobs_lock);
	pthread_mutex_unlock(&jobs_lock);
	for (int i = 0; i < n; i++)
		assert_int_equal(jobs[i].rc, i == 2 ? ERR_CONFLICT : 0);
	/* store_run waits, and answers the job's own error. */
	struct team_job again = { .key = "g5" };
	assert_int_equal(store_run(st, insert_team, &again), ERR_CONFLICT);
	struct team_job more = { .key = "g6" };
	assert_int_equal(store_run(st, insert_team, &more), 0);
	int64_t count = 0;
	struct store_tx *tx = store_begin(st, STORE_READ);
	assert_int_equal(store_get_int(tx,
	                               "SELECT count(*) FROM teams WHERE name_key IN"
	                               " ('g1', 'g2', 'g4', 'g5', 'g6')",
	                               STORE_NO_ARGS, &count),
	                 0);
	assert_int_equal(count, 5);
	assert_int_equal(store_get_int(tx, "SELECT count(*) FROM teams WHERE name_key = 'inner'",
	                               STORE_NO_ARGS, &count),
	                 0);
	assert_int_equal(count, 0);
	store_rollback(tx);
}

/* The integer sql gives for key, read in a transaction of its own. */
static int64_t count_of(struct store *st, const char *sql, const char *key)
{
	int64_t n = -1;
	struct store_tx *tx = store_begin(st, STORE_READ);
	assert_non_null(tx);
	assert_int_equal(store_get_int(tx, sql, STORE_ARGS(SV_TEXT(key)), &n), 0);
	store_rollback(tx);
	return n;
}

/*
 * Groups with failing jobs, made deterministic by a gate: a first job that holds the writer
 * until every other job is queued, so those run as the next group, in order. Each job writes
 * its name into group_log (no unique key: a copy left by a replay would count) and reports
 * its rows in the job, which a replay must set afresh.
 */
enum log_fail { LOG_OK, LOG_FAIL_STATEMENT, LOG_FAIL_RETURN, LOG_LOSE_CONNECTION };

struct log_job {
	struct store_job job;
	const char *name;
	enum log_fail fail;
	int runs;
	int64_t rows; /* what its last run counted of its own rows */
	int rc;
};

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool is_gate_in, is_gate_open;

static int run_gate(struct store_tx *tx, void *arg)
{
	pthread_mutex_lock(&gate_lock);
	is_gate_in = true;
	pthread_cond_broadcast(&gate_cond);
	while (!is_gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return 0;
}

static int run_log(struct store_tx *tx, void *arg)
{
	struct log_job *j = arg;
	j->runs++;
	int rc =
	    store_exec(tx, "INSERT INTO group_log (job) VALUES ($1)", STORE_ARGS(SV_TEXT(j->name)));
	if (rc >= 0)
		rc = store_get_int(tx, "SELECT count(*) FROM group_log WHERE job = $1",
		                   STORE_ARGS(SV_TEXT(j->name)), &j->rows);
	/* A failed statement (PostgreSQL then refuses the rest of the transaction), or a job
	 * that gives up after writing. */
	if (rc >= 0 && j->fail == LOG_FAIL_STATEMENT)
		rc = store_exec(tx, "INSERT INTO group_log (job) VALUES (NULL)", STORE_NO_ARGS);
	if (rc >= 0 && j->fail == LOG_FAIL_RETURN)
		rc = ERR_NOT_FOUND;
	if (rc >= 0 && j->fail == LOG_LOSE_CONNECTION)
		rc = store_exec(tx, "SELECT pg_terminate_backend(pg_backend_pid())", STORE_NO_ARGS);
	return rc < 0 ? rc : 0;
}

static void log_done(void *arg, int rc)
{
	job_finished(&((struct log_job *)arg)->rc, rc);
}

/* Runs jobs as one group behind the gate, and waits for every done. */
static void run_log_group(struct store *st, struct log_job *jobs, int n)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_true(store_exec(tx, "CREATE TABLE IF NOT EXISTS group_log (job TEXT NOT NULL)",
	                       STORE_NO_ARGS) >= 0);
	assert_int_equal(store_commit(tx), 0);
	struct log_job gate = { .name = "gate" };
	gate.job = (struct store_job){ .run = run_gate, .done = log_done, .arg = &gate };
	is_gate_in = is_gate_open = false;
	jobs_left = n + 1;
	store_submit(st, &gate.job);
	pthread_mutex_lock(&gate_lock);
	while (!is_gate_in)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < n; i++) {
		jobs[i].job =
		    (struct store_job){ .run = run_log, .done = log_done, .arg = &jobs[i] };
		store_submit(st, &jobs[i].job);
	}
	pthread_mutex_lock(&gate_lock);
	is_gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	pthread_mutex_lock(&jobs_lock);
	while (jobs_left > 0)
		pthread_cond_wait(&jobs_done, &jobs_lock);
	pthread_mutex_unlock(&jobs_lock);
	assert_int_equal(gate.rc, 0);
}

static int64_t count_logged(struct store *st, const char *name)
{
	return count_of(st, "SELECT count(*) FROM group_log WHERE job = $1", name);
}

/* A middle job fails: the group runs again without it; the job before it, run twice, leaves
 * one copy of its work and counts it once. */
static void test_group_replays_without_failed_job(void **state)
{
	struct store *st = *state;
	struct log_job jobs[] = { { .name = "a" },
		                  { .name = "b", .fail = LOG_FAIL_STATEMENT },
		                  { .name = "c" } };
	run_log_group(st, jobs, 3);
	assert_int_equal(jobs[0].rc, 0);
	assert_int_equal(jobs[1].rc, ERR_CONFLICT);
	assert_int_equal(jobs[2].rc, 0);
	assert_int_equal(jobs[0].runs, 2);
	assert_int_equal(jobs[1].runs, 1);
	assert_int_equal(jobs[2].runs, 1);
	assert_int_equal(jobs[0].rows, 1);
	assert_int_equal(count_logged(st, "a"), 1);
	assert_int_equal(count_logged(st, "b"), 0);
	assert_int_equal(count_logged(st, "c"), 1);
}

/* Two jobs fail, one by a failed statement and one by its answer: three passes, and every
 * other job committed once. */
static void test_group_two_failing_jobs(void **state)
{
	struct store *st = *state;
	struct log_job jobs[] = { { .name = "a" },
		                  { .name = "b", .fail = LOG_FAIL_STATEMENT },
		                  { .name = "c" },
		                  { .name = "d", .fail = LOG_FAIL_RETURN },
		                  { .name = "e" } };
	run_log_group(st, jobs, 5);
	const int rcs[] = { 0, ERR_CONFLICT, 0, ERR_NOT_FOUND, 0 };
	const int runs[] = { 3, 1, 2, 1, 1 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(jobs[i].rc, rcs[i]);
		assert_int_equal(jobs[i].runs, runs[i]);
		assert_int_equal(count_logged(st, jobs[i].name), rcs[i] == 0 ? 1 : 0);
		if (rcs[i] == 0)
			assert_int_equal(jobs[i].rows, 1);
	}
}

/* A job that kills its own connection midway, as a restart of PostgreSQL would. */
static int insert_then_lose(struct store_tx *tx, void *arg)
{
	int rc = insert_team(tx, arg);
	if (rc == 0)
		rc = store_exec(tx, "SELECT pg_terminate_backend(pg_backend_pid())", STORE_NO_ARGS);
	return rc < 0 ? rc : 0;
}

static int64_t count_teams(struct store *st, const char *key)
{
	return count_of(st, "SELECT count(*) FROM teams WHERE name_key = $1", key);
}

/* PostgreSQL: a lost connection fails its request with ERR_UNAVAILABLE and leaves none of
 * its work; the next transaction finds the connection made again. */
static void test_lost_connection(void **state)
{
	struct store *st = *state;
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_non_null(tx);
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO teams (account_id, name, name_key, created_at,"
	                            " updated_at) VALUES (1, 'lost', 'lost', 0, 0)",
	                            STORE_NO_ARGS),
	                 1);
	assert_int_equal(
	    store_exec(tx, "SELECT pg_terminate_backend(pg_backend_pid())", STORE_NO_ARGS),
	    ERR_UNAVAILABLE);
	assert_int_equal(store_commit(tx), ERR_UNAVAILABLE);
	/* Every pooled connection is tried in turn: each begins again. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(count_teams(st, "lost"), 0);
	/* In a group: the whole group fails, and the next one commits. */
	struct team_job lost = { .key = "lost" };
	assert_int_equal(store_run(st, insert_then_lose, &lost), ERR_UNAVAILABLE);
	assert_int_equal(count_teams(st, "lost"), 0);
	assert_int_equal(store_run(st, insert_team, &lost), 0);
	assert_int_equal(count_teams(st, "lost"), 1);
	/* A job that failed on its own keeps its error; the loss fails every other job, those
	 * that ran and those that had not yet. */
	struct log_job jobs[] = { { .name = "a" },
		                  { .name = "b", .fail = LOG_FAIL_STATEMENT },
		                  { .name = "c", .fail = LOG_LOSE_CONNECTION },
		                  { .name = "d" } };
	run_log_group(st, jobs, 4);
	const int rcs[] = { ERR_UNAVAILABLE, ERR_CONFLICT, ERR_UNAVAILABLE, ERR_UNAVAILABLE };
	const int runs[] = { 2, 1, 1, 0 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(jobs[i].rc, rcs[i]);
		assert_int_equal(jobs[i].runs, runs[i]);
		assert_int_equal(count_logged(st, jobs[i].name), 0);
	}
	struct log_job after = { .name = "after" };
	run_log_group(st, &after, 1);
	assert_int_equal(after.rc, 0);
	assert_int_equal(count_logged(st, "after"), 1);
}

/* store_listen's callback counts what it heard; the test waits for a count (10 s at most). */
static pthread_mutex_t heard_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heard_cond = PTHREAD_COND_INITIALIZER;
static int heard;

static void hear(void *arg)
{
	pthread_mutex_lock(&heard_lock);
	heard++;
	pthread_cond_signal(&heard_cond);
	pthread_mutex_unlock(&heard_lock);
}

static int wait_heard(int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&heard_lock);
	while (heard < n && pthread_cond_timedwait(&heard_cond, &heard_lock, &until) == 0)
		;
	int got = heard;
	pthread_mutex_unlock(&heard_lock);
	return got;
}

static void insert_event(struct store *st)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_non_null(tx);
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO events (account_id, kind, data, created_at)"
	                            " VALUES (1, 'test', '{}', 0)",
	                            STORE_NO_ARGS),
	                 1);
	assert_int_equal(store_commit(tx), 0);
}

/* PostgreSQL: a store hears the events another store (another server) commits, and once more
 * when its listening connection was lost and made again. (It passes over its own, which it
 * hears of in-process: that saves a round and is not a guarantee, so not tested.) SQLite has
 * nothing to hear. */
static void test_listen(void **state)
{
	struct store *st = *state, *other;
	struct error e;
	heard = 0;
	if (!test_db_is_postgres()) {
		assert_int_equal(store_listen(st, hear, NULL), 0);
		return;
	}
	assert_int_equal(store_listen(st, hear, NULL), 1);
	assert_int_equal(store_open(path, 2, 5000, &other, &e), 0);
	insert_event(st);
	insert_event(other);
	int n = wait_heard(1);
	assert_true(n >= 1);
	struct store_tx *tx = store_begin(other, STORE_WRITE);
	assert_int_equal(store_exec(tx,
	                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	                            " WHERE query = 'LISTEN centralita_events'"
	                            " AND datname = current_database()",
	                            STORE_NO_ARGS),
	                 1);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(wait_heard(n + 1), n + 1); /* listening again */
	insert_event(other);
	assert_int_equal(wait_heard(n + 2), n + 2);
	assert_int_equal(store_listen(st, NULL, NULL), 0);
	store_close(other);
}

/* SQLite has one server per file: it always leads. */
static void test_leader_alone(void **state)
{
	struct store *st = *state;
	assert_false(store_is_shared(st));
	assert_true(store_leader_try(st, "scheduler"));
	assert_true(store_leader_try(st, "scheduler"));
	store_leader_release(st, "scheduler");
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_int_equal(store_tx_try_lock(tx, 1, 7), 1);
	store_rollback(tx);
}

/* Whether st takes name within two seconds: a closed session's locks are let go once its
 * backend has ended, a moment after the close. */
static bool leads_soon(struct store *st, const char *name)
{
	for (int i = 0; i < 100; i++) {
		if (store_leader_try(st, name))
			return true;
		usleep(20 * 1000);
	}
	return false;
}

/* PostgreSQL: a second store on the database stands for another server. One leads each name
 * at a time; a release or the leader's end (its session closed) lets the other take it. */
static void test_leader_among_servers(void **state)
{
	struct store *one = *state, *two;
	struct error e;
	assert_true(store_is_shared(one));
	assert_int_equal(store_open(path, 2, 5000, &two, &e), 0);
	assert_true(store_leader_try(one, "telegram:1"));
	assert_true(store_leader_try(one, "telegram:1"));
	assert_false(store_leader_try(two, "telegram:1"));
	assert_true(store_leader_try(two, "telegram:2"));
	assert_false(store_leader_try(one, "telegram:2"));
	store_leader_release(one, "telegram:1");
	assert_true(store_leader_try(two, "telegram:1"));
	assert_false(store_leader_try(one, "telegram:1"));
	store_close(two);
	assert_true(leads_soon(one, "telegram:1"));
	assert_true(leads_soon(one, "telegram:2"));
}

/* Advisory locks granted in the test's database. */
static int64_t advisory_locks(struct store *st)
{
	int64_t held = -1;
	struct store_tx *tx = store_begin(st, STORE_READ);
	assert_non_null(tx);
	assert_int_equal(store_get_int(tx,
	                               "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
	                               " AND granted AND database = (SELECT oid FROM pg_database"
	                               " WHERE datname = current_database())",
	                               STORE_NO_ARGS, &held),
	                 0);
	store_rollback(tx);
	return held;
}

/* PostgreSQL: the session holding the leaderships is killed (as a restart would do): the
 * leader finds out at its next check and takes them again on a new session, since nobody
 * else holds them. */
static void test_leader_session_lost(void **state)
{
	struct store *st = *state;
	assert_true(store_leader_try(st, "scheduler"));
	assert_int_equal(advisory_locks(st), 1);
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_non_null(tx);
	assert_true(store_exec(tx,
	                       "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE"
	                       " locktype = 'advisory' AND database = (SELECT oid FROM"
	                       " pg_database WHERE datname = current_database())",
	                       STORE_NO_ARGS) >= 0);
	assert_int_equal(store_commit(tx), 0);
	/* Until the check (at most a second later) it still believes it leads; then it leads
	 * again on a new session. */
	int64_t held = 0;
	for (int i = 0; i < 100 && held != 1; i++) {
		assert_true(store_leader_try(st, "scheduler"));
		if ((held = advisory_locks(st)) != 1)
			usleep(50 * 1000);
	}
	assert_int_equal(held, 1);
}

/* PostgreSQL: a claim lock is one transaction's until it ends. */
static void test_tx_try_lock(void **state)
{
	struct store *one = *state, *two;
	struct error e;
	assert_int_equal(store_open(path, 2, 5000, &two, &e), 0);
	struct store_tx *a = store_begin(one, STORE_WRITE), *b = store_begin(two, STORE_WRITE);
	assert_int_equal(store_tx_try_lock(a, 1, 42), 1);
	assert_int_equal(store_tx_try_lock(a, 1, 42), 1);
	assert_int_equal(store_tx_try_lock(b, 1, 42), 0);
	assert_int_equal(store_tx_try_lock(b, 2, 42), 1);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_tx_try_lock(b, 1, 42), 1);
	store_rollback(b);
	store_close(two);
}

static void test_bad_url(void **state)
{
	struct store *st = NULL;
	struct error e;
	assert_int_equal(store_open("mysql://x", 2, 5000, &st, &e), ERR_INVALID);
	assert_int_equal(store_open("host=/nonexistent dbname=x", 2, 5000, &st, &e),
	                 ERR_UNAVAILABLE);
	assert_int_equal(store_open("sqlite:/nonexistent-dir/x/y.db", 2, 5000, &st, &e),
	                 ERR_UNAVAILABLE);
	assert_null(st);
}

static void exec_all(struct store *st, const char *sql)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	assert_non_null(tx);
	assert_true(store_exec(tx, sql, STORE_NO_ARGS) >= 0);
	assert_int_equal(store_commit(tx), 0);
}

static char *text_of(struct store *st, const char *sql)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	struct store_rows *r;
	assert_non_null(tx);
	assert_int_equal(store_query(tx, sql, STORE_NO_ARGS, &r), 0);
	assert_int_equal(store_next(r), 1);
	char *out = strdup(store_is_null(r, 0) ? "(null)" : store_text(r, 0));
	store_rows_free(r);
	store_rollback(tx);
	return out;
}

/* PostgreSQL (the target): a SQLite database copied whole — texts with quotes, line breaks and
 * accents, NULLs, an integer past 2^53, JSON — and the events' sequence past the id SQLite gave
 * last, though its row is gone; a blob is refused and leaves the target empty; a second copy
 * is refused, the target having rows. */
static void test_copy(void **state)
{
	struct store *to = *state, *from;
	struct error e;
	char source[600];
	const char *tmp = getenv("CENTRALITA_TEST_TMP");
	snprintf(source, sizeof(source), "sqlite:%s/test_copy_%d.db", tmp ? tmp : "/tmp", getpid());
	unlink(source + 7);
	int applied;
	assert_int_equal(store_open(source, 2, 5000, &from, &e), 0);
	assert_int_equal(store_migrate(from, &applied, &e), 0);
	exec_all(from, "INSERT INTO teams (account_id, name, name_key, created_at, updated_at)"
	               " VALUES (1, 'Ventas \"y\" ''más''\nlínea', 'ventas', 9007199254740993, 0)");
	exec_all(from, "INSERT INTO events (account_id, kind, data, created_at) VALUES"
	               " (1, 'a', '{\"k\": [1, null]}', 1), (1, 'b', '{}', 2), (1, 'c', '{}', 3)");
	exec_all(from, "DELETE FROM events WHERE kind = 'c'");
	exec_all(from, "INSERT INTO teams (account_id, name, name_key, created_at, updated_at)"
	               " VALUES (1, 'blob', X'00ff', 0, 0)");
	struct store_copy_count *counts;
	size_t n;
	assert_int_equal(store_copy(from, to, &counts, &n, &e), ERR_UNPROCESSABLE);
	assert_non_null(strstr(e.message, "teams"));
	char *teams = text_of(to, "SELECT count(*) FROM teams");
	assert_string_equal(teams, "0");
	free(teams);

	exec_all(from, "DELETE FROM teams WHERE name = 'blob'");
	assert_int_equal(store_copy(from, to, &counts, &n, &e), 0);
	bool has_events = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(counts[i].table, "events") == 0)
			has_events = counts[i].rows == 2;
	assert_true(has_events);
	free(counts);
	char *a = text_of(from, "SELECT name || '|' || created_at FROM teams");
	char *b = text_of(to, "SELECT name || '|' || created_at FROM teams");
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = text_of(to, "SELECT string_agg(kind || data, ',' ORDER BY id) FROM events");
	assert_string_equal(a, "a{\"k\": [1, null]},b{}");
	free(a);
	exec_all(
	    to, "INSERT INTO events (account_id, kind, data, created_at) VALUES (1, 'd', '{}', 4)");
	a = text_of(to, "SELECT max(id) FROM events");
	assert_string_equal(a, "4");
	free(a);

	assert_int_equal(store_copy(from, to, &counts, &n, &e), ERR_CONFLICT);
	store_close(from);
	char file[640];
	unlink(source + 7);
	snprintf(file, sizeof(file), "%s-wal", source + 7);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", source + 7);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_texts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_returning_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_compared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_replays_without_failed_job, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_group_two_failing_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen, setup, teardown),
		cmocka_unit_test(test_bad_url),
	};
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test_setup_teardown(test_leader_alone, setup, teardown),
	};
	const struct CMUnitTest postgres_tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_among_servers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_session_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_try_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_db_is_postgres())
		failed += cmocka_run_group_tests(postgres_tests, NULL, NULL);
	else
		failed += cmocka_run_group_tests(sqlite_tests, NULL, NULL);
	return failed;
}
