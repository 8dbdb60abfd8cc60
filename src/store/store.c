/*
 * The part of store.h that is the same for every back end: choosing the back end from the
 * URL, the pool of connections, one writer at a time (serialised here rather than by the
 * database), the group-commit writer thread with a connection of its own, the migration
 * runner, and the helpers built on store_query. The back ends (backend.h) do the rest.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "store/backend.h"

#define GROUP_MAX 64 /* jobs committed together at most */

struct store {
	const struct store_backend *be;
	void **conns;
	bool *is_in_use;
	int nconns;
	pthread_mutex_t lock; /* guards is_in_use */
	pthread_cond_t freed;
	pthread_mutex_t writer; /* held for the life of a write transaction */
	/* Group commit: the queue of jobs and the thread that runs them (started on demand). */
	void *group_conn;
	pthread_mutex_t queue_lock;
	pthread_cond_t queued;
	struct store_job *head, **tail;
	pthread_t group_thread;
	bool has_group_thread;
	bool is_closing;
	void (*on_commit)(void *arg); /* under writer */
	void *on_commit_arg;
	/* store_listen's: the URL and id it needs, and its thread (NULL: none). */
	char *url;
	char server_id[TOKEN_TEXT_LEN];
	pthread_mutex_t listen_lock;
	void *listener;
	/* Leadership (back ends with lock_take): the session that holds it, opened on first use. */
	pthread_mutex_t leader_lock; /* guards what follows */
	void *leader_conn;
	char **held; /* the names this process leads */
	size_t nheld, held_cap;
	int64_t checked_us;     /* when the session was last seen to last (monotonic) */
	bool is_leader_failing; /* logged once until it works again */
};

int store_open(const char *url, int pool_size, int busy_timeout_ms, struct store **out,
               struct error *e)
{
	const struct store_backend *be = NULL;
	if (strncmp(url, "sqlite:", 7) == 0)
		be = &store_sqlite;
	else if (config_db_is_postgres(url))
		be = &store_postgres;
	else
		return error_set(
		    e, ERR_INVALID,
		    "the database must be sqlite:PATH, postgres://… or host=… dbname=…");
	struct store *st = xcalloc(1, sizeof(*st));
	st->be = be;
	st->nconns = pool_size < 2 ? 2 : pool_size;
	st->conns = xcalloc((size_t)st->nconns, sizeof(*st->conns));
	st->is_in_use = xcalloc((size_t)st->nconns, sizeof(*st->is_in_use));
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->freed, NULL);
	pthread_mutex_init(&st->writer, NULL);
	pthread_mutex_init(&st->queue_lock, NULL);
	pthread_cond_init(&st->queued, NULL);
	st->tail = &st->head;
	st->url = xstrdup(url);
	token_generate(st->server_id);
	pthread_mutex_init(&st->listen_lock, NULL);
	pthread_mutex_init(&st->leader_lock, NULL);
	int rc = 0;
	st->group_conn = be->connect(url, st->server_id, busy_timeout_ms, true, e);
	if (st->group_conn == NULL)
		rc = ERR_UNAVAILABLE;
	for (int i = 0; i < st->nconns && rc == 0; i++)
		if ((st->conns[i] = be->connect(url, st->server_id, busy_timeout_ms, false, e)) ==
		    NULL)
			rc = ERR_UNAVAILABLE;
	if (rc < 0) {
		store_close(st);
		return e->code;
	}
	*out = st;
	return 0;
}

/* Several servers: leadership and claim locks */

#define LEADER_CHECK_US 1000000 /* the session holding leaderships is checked this often */

/* The leaderships held are gone (the session ended or was closed): forgets them. */
static void leaders_end(struct store *st)
{
	if (st->leader_conn != NULL)
		st->be->disconnect(st->leader_conn);
	st->leader_conn = NULL;
	for (size_t i = 0; i < st->nheld; i++)
		free(st->held[i]);
	st->nheld = 0;
}

static void leader_failed(struct store *st, const char *what)
{
	if (!st->is_leader_failing)
		log_warn("store: %s: any work led here may be taken over by another server", what);
	st->is_leader_failing = true;
	leaders_end(st);
}

static bool is_held(const struct store *st, const char *name, size_t *at)
{
	for (size_t i = 0; i < st->nheld; i++) {
		if (strcmp(st->held[i], name) == 0) {
			*at = i;
			return true;
		}
	}
	return false;
}

bool store_leader_try(struct store *st, const char *name)
{
	const struct store_backend *be = st->be;
	struct error e;
	size_t at;
	if (be->lock_take == NULL)
		return true;
	pthread_mutex_lock(&st->leader_lock);
	int64_t now = clock_mono_us();
	if (st->nheld > 0 && now - st->checked_us >= LEADER_CHECK_US) {
		if (be->lock_check(st->leader_conn) < 0)
			leader_failed(st, "the session holding this server's leaderships was lost");
		st->checked_us = now;
	}
	bool is_leader = is_held(st, name, &at);
	if (!is_leader && st->leader_conn == NULL &&
	    (st->leader_conn = be->lock_connect(st->url, st->server_id, &e)) == NULL)
		leader_failed(st, e.message);
	int rc = is_leader || st->leader_conn == NULL ? 0 : be->lock_take(st->leader_conn, name);
	if (rc < 0)
		leader_failed(st, "cannot take a leadership");
	if (rc == 1) {
		if (st->nheld == 0)
			st->checked_us = now;
		st->held = xgrow(st->held, &st->held_cap, st->nheld, sizeof(*st->held));
		st->held[st->nheld++] = xstrdup(name);
		st->is_leader_failing = false;
		is_leader = true;
	}
	pthread_mutex_unlock(&st->leader_lock);
	return is_leader;
}

void store_leader_release(struct store *st, const char *name)
{
	size_t at;
	if (st->be->lock_take == NULL)
		return;
	pthread_mutex_lock(&st->leader_lock);
	if (is_held(st, name, &at)) {
		st->be->lock_release(st->leader_conn, name);
		free(st->held[at]);
		st->held[at] = st->held[--st->nheld];
	}
	pthread_mutex_unlock(&st->leader_lock);
}

bool store_is_shared(const struct store *st)
{
	return st->be->lock_take != NULL;
}

int store_tx_try_lock(struct store_tx *tx, int32_t space, int64_t id)
{
	return tx->st->be->tx_try_lock != NULL ? tx->st->be->tx_try_lock(tx->conn, space, id) : 1;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_listen(st, NULL, NULL);
	pthread_mutex_lock(&st->queue_lock);
	st->is_closing = true;
	pthread_cond_signal(&st->queued);
	pthread_mutex_unlock(&st->queue_lock);
	if (st->has_group_thread)
		pthread_join(st->group_thread, NULL);
	if (st->group_conn != NULL)
		st->be->disconnect(st->group_conn);
	for (int i = 0; i < st->nconns; i++)
		if (st->conns[i] != NULL)
			st->be->disconnect(st->conns[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->freed);
	pthread_mutex_destroy(&st->writer);
	pthread_mutex_destroy(&st->queue_lock);
	pthread_cond_destroy(&st->queued);
	pthread_mutex_destroy(&st->listen_lock);
	leaders_end(st);
	pthread_mutex_destroy(&st->leader_lock);
	free(st->held);
	free(st->url);
	free(st->conns);
	free(st->is_in_use);
	free(st);
}

static void acquire(struct store_tx *tx)
{
	struct store *st = tx->st;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		for (int i = 0; i < st->nconns; i++) {
			if (!st->is_in_use[i]) {
				st->is_in_use[i] = true;
				pthread_mutex_unlock(&st->lock);
				tx->conn = st->conns[i];
				return;
			}
		}
		pthread_cond_wait(&st->freed, &st->lock);
	}
}

static void release(struct store_tx *tx)
{
	struct store *st = tx->st;
	pthread_mutex_lock(&st->lock);
	for (int i = 0; i < st->nconns; i++)
		if (st->conns[i] == tx->conn)
			st->is_in_use[i] = false;
	pthread_cond_signal(&st->freed);
	pthread_mutex_unlock(&st->lock);
}

/* Transactions */

enum store_dialect store_dialect(const struct store_tx *tx)
{
	return tx->st->be->dialect;
}

struct store_tx *store_begin(struct store *st, enum store_mode mode)
{
	struct store_tx *tx = xmalloc(sizeof(*tx));
	tx->st = st;
	tx->is_write = mode == STORE_WRITE;
	if (tx->is_write)
		pthread_mutex_lock(&st->writer);
	acquire(tx);
	if (st->be->begin(tx->conn, tx->is_write) < 0) {
		release(tx);
		if (tx->is_write)
			pthread_mutex_unlock(&st->writer);
		free(tx);
		return NULL;
	}
	return tx;
}

static void end_tx(struct store_tx *tx)
{
	release(tx);
	if (tx->is_write)
		pthread_mutex_unlock(&tx->st->writer);
	free(tx);
}

/* Commits, then tells the on_commit callback of a write that committed. */
static int commit(struct store_tx *tx)
{
	int rc = tx->st->be->commit(tx->conn);
	if (rc >= 0 && tx->is_write && tx->st->on_commit != NULL)
		tx->st->on_commit(tx->st->on_commit_arg);
	return rc;
}

int store_commit(struct store_tx *tx)
{
	int rc = commit(tx);
	end_tx(tx);
	return rc;
}

void store_on_commit(struct store *st, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&st->writer);
	st->on_commit = fn;
	st->on_commit_arg = arg;
	pthread_mutex_unlock(&st->writer);
}

int store_listen(struct store *st, void (*fn)(void *arg), void *arg)
{
	if (st->be->listen_start == NULL)
		return 0;
	pthread_mutex_lock(&st->listen_lock);
	if (st->listener != NULL)
		st->be->listen_stop(st->listener);
	st->listener = fn != NULL ? st->be->listen_start(st->url, st->server_id, fn, arg) : NULL;
	int rc = st->listener != NULL;
	pthread_mutex_unlock(&st->listen_lock);
	return rc;
}

void store_rollback(struct store_tx *tx)
{
	if (tx == NULL)
		return;
	tx->st->be->rollback(tx->conn);
	end_tx(tx);
}

int store_savepoint(struct store_tx *tx)
{
	return tx->st->be->savepoint(tx->conn);
}

int store_savepoint_end(struct store_tx *tx, bool keep)
{
	return tx->st->be->savepoint_end(tx->conn, keep);
}

/* Group commit */

/*
 * One group: the jobs one after the other in one write transaction, one commit, then every
 * job's done. A job that fails may leave some of its work behind, so the transaction is
 * rolled back and the group run again without it: a savepoint per job would cost every job
 * (two statements, and SQLite's search index flushes at each) to spare the rare failure
 * (docs/DECISIONS.md). Each pass commits, drops one job, or ends the group, so a group of n
 * jobs runs at most n + 1 passes.
 */
static void run_group(struct store *st, struct store_job **jobs, int n)
{
	int results[GROUP_MAX] = { 0 }; /* < 0: the job failed on its own, and is left out */
	struct store_tx tx = { .st = st, .conn = st->group_conn, .is_write = true };
	int rc;
	pthread_mutex_lock(&st->writer);
	for (;;) {
		rc = st->be->begin(tx.conn, true);
		bool is_job_failed = false;
		for (int i = 0; i < n && rc == 0 && !is_job_failed; i++) {
			if (results[i] < 0)
				continue;
			results[i] = jobs[i]->run(&tx, jobs[i]->arg);
			/* Some errors (a full disk, a lost connection) end the whole transaction:
			 * the group fails. */
			if (st->be->is_tx_lost(tx.conn))
				rc = ERR_UNAVAILABLE;
			is_job_failed = results[i] < 0;
		}
		if (rc < 0 || !is_job_failed)
			break;
		st->be->rollback(tx.conn);
	}
	int64_t started_us = clock_mono_us();
	if (rc == 0)
		rc = commit(&tx);
	else
		st->be->rollback(tx.conn);
	if (rc == 0)
		metrics_group(n, clock_mono_us() - started_us);
	pthread_mutex_unlock(&st->writer);
	/* When the group failed, so did every job that had not failed on its own. */
	for (int i = 0; i < n; i++)
		jobs[i]->done(jobs[i]->arg, rc < 0 && results[i] >= 0 ? rc : results[i]);
}

static void *group_writer(void *arg)
{
	struct store *st = arg;
	struct store_job *jobs[GROUP_MAX];
	pthread_mutex_lock(&st->queue_lock);
	for (;;) {
		while (st->head == NULL && !st->is_closing)
			pthread_cond_wait(&st->queued, &st->queue_lock);
		if (st->head == NULL)
			break;
		int n = 0;
		for (; st->head != NULL && n < GROUP_MAX; st->head = st->head->next)
			jobs[n++] = st->head;
		if (st->head == NULL)
			st->tail = &st->head;
		pthread_mutex_unlock(&st->queue_lock);
		run_group(st, jobs, n);
		pthread_mutex_lock(&st->queue_lock);
	}
	pthread_mutex_unlock(&st->queue_lock);
	return NULL;
}

void store_submit(struct store *st, struct store_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&st->queue_lock);
	if (!st->has_group_thread) {
		if (thread_start(&st->group_thread, "store-writer", group_writer, st) != 0) {
			pthread_mutex_unlock(&st->queue_lock);
			log_error("store: cannot start the group-commit thread");
			job->done(job->arg, ERR_UNAVAILABLE);
			return;
		}
		st->has_group_thread = true;
	}
	*st->tail = job;
	st->tail = &job->next;
	pthread_cond_signal(&st->queued);
	pthread_mutex_unlock(&st->queue_lock);
}

/* store_run's job: the caller's run, and what the caller waits on. */
struct waited_job {
	struct store_job job;
	int (*run)(struct store_tx *tx, void *arg);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_done;
	int rc;
};

static int run_waited(struct store_tx *tx, void *arg)
{
	struct waited_job *j = arg;
	return j->run(tx, j->arg);
}

static void done_waited(void *arg, int rc)
{
	struct waited_job *j = arg;
	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->is_done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

int store_run(struct store *st, int (*run)(struct store_tx *tx, void *arg), void *arg)
{
	struct waited_job j = { .run = run, .arg = arg };
	j.job = (struct store_job){ .run = run_waited, .done = done_waited, .arg = &j };
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	store_submit(st, &j.job);
	pthread_mutex_lock(&j.lock);
	while (!j.is_done)
		pthread_cond_wait(&j.cond, &j.lock);
	pthread_mutex_unlock(&j.lock);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
	return j.rc;
}

/* Statements and rows */

int store_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct store_rows **rows)
{
	return tx->st->be->query(tx->conn, sql, args, nargs, rows);
}

int store_next(struct store_rows *rows)
{
	return rows->be->next(rows);
}

bool store_is_null(struct store_rows *rows, int col)
{
	return rows->be->is_null(rows, col);
}

int64_t store_int(struct store_rows *rows, int col)
{
	return rows->be->get_int(rows, col);
}

const char *store_text(struct store_rows *rows, int col)
{
	return rows->be->text(rows, col);
}

void store_rows_free(struct store_rows *rows)
{
	if (rows != NULL)
		rows->be->rows_free(rows);
}

int store_exec(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1)
		;
	if (rc == 0)
		rc = r->be->changes(r);
	store_rows_free(r);
	return rc;
}

int store_get_int(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  int64_t *out)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	rc = store_next(r);
	if (rc == 1)
		*out = store_int(r, 0);
	/* Step to the end so a RETURNING statement finishes its work before the reset. */
	int more = rc == 1 ? store_next(r) : 0;
	store_rows_free(r);
	if (rc < 0)
		return rc;
	if (more < 0)
		return more;
	return rc == 1 ? 0 : ERR_NOT_FOUND;
}

int store_collect(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  size_t size, void (*read)(struct store_rows *rows, void *item), void **out,
                  size_t *n)
{
	struct store_rows *r;
	size_t cap = 0;
	char *items = NULL;
	*out = NULL;
	*n = 0;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		items = xgrow(items, &cap, *n, size);
		memset(items + *n * size, 0, size);
		read(r, items + (*n)++ * size);
	}
	store_rows_free(r);
	if (rc < 0) {
		free(items);
		*n = 0;
		return rc;
	}
	*out = items;
	return 0;
}

int store_get_row(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  void (*read)(struct store_rows *rows, void *item), void *out)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		read(r, out);
	store_rows_free(r);
	return rc < 0 ? rc : rc == 1 ? 0 : ERR_NOT_FOUND;
}

int store_get_ints(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                   int64_t **out, size_t *n)
{
	struct store_rows *r;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		*out = xgrow(*out, &cap, *n, sizeof(**out));
		(*out)[(*n)++] = store_int(r, 0);
	}
	store_rows_free(r);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* Migrations: files named NNNN_what.sql, applied in order, each in its own transaction. The
 * two back ends' folders are numbered in step, so a version means the same schema on both. */

static int latest_of(const struct store_backend *be)
{
	int latest = 0;
	for (const struct embed_file *f = be->migrations; f->name != NULL; f++)
		latest = atoi(f->name);
	return latest;
}

int store_schema_latest(void)
{
	return latest_of(&store_sqlite);
}

int store_schema_version(struct store *st, int *version, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int64_t v = 0;
	int rc = store_exec(tx,
	                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY"
	                    " KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	                    STORE_NO_ARGS);
	if (rc >= 0)
		rc = store_get_int(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations",
		                   STORE_NO_ARGS, &v);
	if (rc >= 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc < 0)
		return error_set(e, rc, "cannot read the schema version");
	*version = (int)v;
	return 0;
}

int store_record_migration(struct store_tx *tx, const struct embed_file *f, int version,
                           int64_t now_ms)
{
	int rc = store_exec(tx,
	                    "INSERT INTO schema_migrations (version, name, applied_at)"
	                    " VALUES ($1, $2, $3)",
	                    STORE_ARGS(SV_INT(version), SV_TEXT(f->name), SV_INT(now_ms)));
	return rc < 0 ? rc : 0;
}

static int apply(struct store *st, const struct embed_file *f, int version)
{
	pthread_mutex_lock(&st->writer);
	struct store_tx tx = { .st = st, .is_write = true };
	acquire(&tx);
	int rc = st->be->apply(&tx, f, version, clock_now_ms());
	release(&tx);
	pthread_mutex_unlock(&st->writer);
	return rc;
}

int store_migrate(struct store *st, int *applied, struct error *e)
{
	int current;
	int rc = store_schema_version(st, &current, e);
	if (rc < 0)
		return rc;
	int latest = latest_of(st->be);
	if (current > latest)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the database is at schema version %d, newer than this binary "
		                 "knows (%d): run a newer centralita",
		                 current, latest);
	*applied = 0;
	for (const struct embed_file *f = st->be->migrations; f->name != NULL; f++) {
		int version = atoi(f->name);
		if (version <= current)
			continue;
		rc = apply(st, f, version);
		if (rc < 0)
			return error_set(e, rc, "migration %s failed", f->name);
		log_info("store: applied migration %s", f->name);
		(*applied)++;
	}
	return 0;
}
