/*
 * The SQLite back end of store.h: WAL mode with synchronous=FULL, a pool of connections,
 * one writer at a time (serialised here rather than by SQLite's busy loop), a small
 * prepared-statement cache per connection, and the group-commit writer thread with a
 * connection of its own (its page cache stays warm). Knows nothing of the tables it stores.
 */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"

#define STMT_CACHE 64
#define GROUP_MAX  64 /* jobs committed together at most */

extern const struct embed_file embed_migrations_sqlite[];

struct cached_stmt {
	const char *key; /* the caller's SQL pointer; the text is compared too */
	sqlite3_stmt *stmt;
	bool is_busy;
};

struct conn {
	sqlite3 *db;
	bool is_in_use;
	struct cached_stmt cache[STMT_CACHE];
	int cache_len;
};

struct store {
	struct conn *conns;
	int nconns;
	pthread_mutex_t lock; /* guards is_in_use */
	pthread_cond_t freed;
	pthread_mutex_t writer; /* held for the life of a write transaction */
	/* Group commit: the queue of jobs and the thread that runs them (started on demand). */
	struct conn group_conn;
	pthread_mutex_t queue_lock;
	pthread_cond_t queued;
	struct store_job *head, **tail;
	pthread_t group_thread;
	bool has_group_thread;
	bool is_closing;
	void (*on_commit)(void *arg); /* under writer */
	void *on_commit_arg;
};

struct store_tx {
	struct store *st;
	struct conn *c;
	bool is_write;
};

struct store_rows {
	struct conn *c;
	sqlite3_stmt *stmt;
	struct cached_stmt *cached; /* NULL when the statement is finalised on free */
};

static int map_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return ERR_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
		return ERR_UNAVAILABLE;
	default:
		return ERR_INTERNAL;
	}
}

static int report(struct conn *c, int rc, const char *sql)
{
	int err = map_error(rc);
	if (err != ERR_CONFLICT)
		log_error("sqlite: %s (%d) in: %.120s", sqlite3_errmsg(c->db), rc, sql);
	return err;
}

static int exec_plain(struct conn *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : report(c, rc, sql);
}

static int open_conn(const char *path, int busy_timeout_ms, struct conn *c, struct error *e)
{
	int rc = sqlite3_open_v2(
	    path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return error_set(e, ERR_UNAVAILABLE, "cannot open database %s: %s", path,
		                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(c->db, busy_timeout_ms);
	if (exec_plain(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                  "PRAGMA foreign_keys=ON;") < 0)
		return error_set(e, ERR_UNAVAILABLE, "cannot set up database %s: %s", path,
		                 sqlite3_errmsg(c->db));
	return 0;
}

static void close_conn(struct conn *c)
{
	for (int i = 0; i < c->cache_len; i++)
		sqlite3_finalize(c->cache[i].stmt);
	sqlite3_close(c->db);
}

int store_open(const char *url, int pool_size, int busy_timeout_ms, struct store **out,
               struct error *e)
{
	if (strncmp(url, "sqlite:", 7) != 0)
		return error_set(e, ERR_INVALID, "this build supports only sqlite: databases");
	const char *path = url + 7;
	struct store *st = xcalloc(1, sizeof(*st));
	st->nconns = pool_size < 2 ? 2 : pool_size;
	st->conns = xcalloc((size_t)st->nconns, sizeof(*st->conns));
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->freed, NULL);
	pthread_mutex_init(&st->writer, NULL);
	pthread_mutex_init(&st->queue_lock, NULL);
	pthread_cond_init(&st->queued, NULL);
	st->tail = &st->head;
	int rc = open_conn(path, busy_timeout_ms, &st->group_conn, e);
	/*
	 * The group writer's connection: its jobs' savepoints and statements keep the pages they
	 * change in a sub-journal, which SQLite spills to a temporary file past 64 KiB (a job
	 * writes about 20 pages); in memory it costs no system call. 16 MiB of page cache
	 * (SQLite's default is 2) keeps the recent pages of every table a message writes.
	 */
	if (rc == 0 &&
	    exec_plain(&st->group_conn, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;") < 0)
		rc = error_set(e, ERR_UNAVAILABLE, "cannot set up database %s", path);
	for (int i = 0; i < st->nconns && rc == 0; i++)
		rc = open_conn(path, busy_timeout_ms, &st->conns[i], e);
	if (rc < 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->queue_lock);
	st->is_closing = true;
	pthread_cond_signal(&st->queued);
	pthread_mutex_unlock(&st->queue_lock);
	if (st->has_group_thread)
		pthread_join(st->group_thread, NULL);
	if (st->group_conn.db != NULL)
		close_conn(&st->group_conn);
	for (int i = 0; i < st->nconns; i++)
		if (st->conns[i].db != NULL)
			close_conn(&st->conns[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->freed);
	pthread_mutex_destroy(&st->writer);
	pthread_mutex_destroy(&st->queue_lock);
	pthread_cond_destroy(&st->queued);
	free(st->conns);
	free(st);
}

static struct conn *acquire(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	for (;;) {
		for (int i = 0; i < st->nconns; i++) {
			if (!st->conns[i].is_in_use) {
				st->conns[i].is_in_use = true;
				pthread_mutex_unlock(&st->lock);
				return &st->conns[i];
			}
		}
		pthread_cond_wait(&st->freed, &st->lock);
	}
}

static void release(struct store *st, struct conn *c)
{
	pthread_mutex_lock(&st->lock);
	c->is_in_use = false;
	pthread_cond_signal(&st->freed);
	pthread_mutex_unlock(&st->lock);
}

static const char sql_begin[] = "BEGIN";
static const char sql_begin_immediate[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT job";
static const char sql_release[] = "RELEASE job";
static const char sql_rollback_to[] = "ROLLBACK TO job";

/* Runs a statement without arguments from the connection's cache (BEGIN, COMMIT…). */
static int exec_cached(struct store_tx *tx, const char *sql)
{
	int rc = store_exec(tx, sql, STORE_NO_ARGS);
	return rc < 0 ? rc : 0;
}

struct store_tx *store_begin(struct store *st, enum store_mode mode)
{
	struct store_tx *tx = xmalloc(sizeof(*tx));
	tx->st = st;
	tx->is_write = mode == STORE_WRITE;
	if (tx->is_write)
		pthread_mutex_lock(&st->writer);
	tx->c = acquire(st);
	if (exec_cached(tx, tx->is_write ? sql_begin_immediate : sql_begin) < 0) {
		release(st, tx->c);
		if (tx->is_write)
			pthread_mutex_unlock(&st->writer);
		free(tx);
		return NULL;
	}
	return tx;
}

static void end_tx(struct store_tx *tx)
{
	release(tx->st, tx->c);
	if (tx->is_write)
		pthread_mutex_unlock(&tx->st->writer);
	free(tx);
}

/* Commits; on failure rolls back (unless SQLite already did) and returns the error. */
static int commit_or_undo(struct store_tx *tx)
{
	int rc = exec_cached(tx, sql_commit);
	if (rc < 0 && !sqlite3_get_autocommit(tx->c->db))
		exec_cached(tx, sql_rollback);
	else if (rc >= 0 && tx->is_write && tx->st->on_commit != NULL)
		tx->st->on_commit(tx->st->on_commit_arg);
	return rc;
}

int store_commit(struct store_tx *tx)
{
	int rc = commit_or_undo(tx);
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

void store_rollback(struct store_tx *tx)
{
	if (tx == NULL)
		return;
	if (!sqlite3_get_autocommit(tx->c->db))
		exec_cached(tx, sql_rollback);
	end_tx(tx);
}

int store_savepoint(struct store_tx *tx)
{
	return exec_cached(tx, sql_savepoint);
}

int store_savepoint_end(struct store_tx *tx, bool keep)
{
	int rc = keep ? 0 : exec_cached(tx, sql_rollback_to);
	return rc < 0 ? rc : exec_cached(tx, sql_release);
}

/* One group: every job in its savepoint, one commit, then every job's done. */
static void run_group(struct store *st, struct store_job **jobs, int n)
{
	int results[GROUP_MAX];
	struct store_tx tx = { .st = st, .c = &st->group_conn, .is_write = true };
	pthread_mutex_lock(&st->writer);
	int rc = exec_cached(&tx, sql_begin_immediate);
	for (int i = 0; i < n; i++) {
		results[i] = rc;
		if (rc < 0)
			continue;
		rc = store_savepoint(&tx);
		if (rc == 0)
			results[i] = jobs[i]->run(&tx, jobs[i]->arg);
		/* Some errors (a full disk, I/O) end the whole transaction: the group fails. */
		if (rc == 0 && sqlite3_get_autocommit(tx.c->db))
			rc = ERR_UNAVAILABLE;
		if (rc == 0)
			rc = store_savepoint_end(&tx, results[i] >= 0);
	}
	if (rc == 0)
		rc = commit_or_undo(&tx);
	else if (!sqlite3_get_autocommit(tx.c->db))
		exec_cached(&tx, sql_rollback);
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

/* A prepared statement for sql, from the cache when it is there and free. */
static int prepare(struct conn *c, const char *sql, struct store_rows *r)
{
	for (int i = 0; i < c->cache_len; i++) {
		struct cached_stmt *cs = &c->cache[i];
		if (cs->key == sql && !cs->is_busy && strcmp(sqlite3_sql(cs->stmt), sql) == 0) {
			cs->is_busy = true;
			r->stmt = cs->stmt;
			r->cached = cs;
			return 0;
		}
	}
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->stmt, NULL);
	if (rc != SQLITE_OK)
		return report(c, rc, sql);
	r->cached = NULL;
	if (c->cache_len < STMT_CACHE) {
		struct cached_stmt *cs = &c->cache[c->cache_len++];
		*cs = (struct cached_stmt){ .key = sql, .stmt = r->stmt, .is_busy = true };
		r->cached = cs;
	}
	return 0;
}

static int bind_args(struct conn *c, sqlite3_stmt *stmt, const struct store_value *args, int nargs,
                     const char *sql)
{
	int n = sqlite3_bind_parameter_count(stmt);
	for (int i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);
		int k = name != NULL && name[0] == '$' ? atoi(name + 1) : 0;
		if (k < 1 || k > nargs) {
			log_error("sqlite: parameter %s has no value in: %.120s", name ? name : "?",
			          sql);
			return ERR_INTERNAL;
		}
		const struct store_value *v = &args[k - 1];
		int rc = SQLITE_OK;
		if (v->type == STORE_INT)
			rc = sqlite3_bind_int64(stmt, i, v->i);
		else if (v->type == STORE_TEXT)
			rc = sqlite3_bind_text(stmt, i, v->s, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(stmt, i);
		if (rc != SQLITE_OK)
			return report(c, rc, sql);
	}
	return 0;
}

int store_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct store_rows **rows)
{
	struct store_rows *r = xcalloc(1, sizeof(*r));
	r->c = tx->c;
	int rc = prepare(tx->c, sql, r);
	if (rc == 0)
		rc = bind_args(tx->c, r->stmt, args, nargs, sql);
	if (rc < 0) {
		store_rows_free(r);
		return rc;
	}
	*rows = r;
	return 0;
}

int store_next(struct store_rows *r)
{
	int rc = sqlite3_step(r->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return report(r->c, rc, sqlite3_sql(r->stmt));
}

bool store_is_null(struct store_rows *r, int col)
{
	return sqlite3_column_type(r->stmt, col) == SQLITE_NULL;
}

int64_t store_int(struct store_rows *r, int col)
{
	return sqlite3_column_int64(r->stmt, col);
}

const char *store_text(struct store_rows *r, int col)
{
	const unsigned char *s = sqlite3_column_text(r->stmt, col);
	return s != NULL ? (const char *)s : "";
}

void store_rows_free(struct store_rows *r)
{
	if (r == NULL)
		return;
	if (r->cached != NULL) {
		sqlite3_reset(r->stmt);
		sqlite3_clear_bindings(r->stmt);
		r->cached->is_busy = false;
	} else if (r->stmt != NULL) {
		sqlite3_finalize(r->stmt);
	}
	free(r);
}

int store_exec(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1)
		;
	store_rows_free(r);
	return rc < 0 ? rc : sqlite3_changes(tx->c->db);
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

/* Migrations: files named NNNN_what.sql, applied in order, each in its own transaction. */

int store_schema_latest(void)
{
	int latest = 0;
	for (const struct embed_file *f = embed_migrations_sqlite; f->name != NULL; f++)
		latest = atoi(f->name);
	return latest;
}

static const char create_migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

int store_schema_version(struct store *st, int *version, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int64_t v = 0;
	int rc = exec_plain(tx->c, create_migrations_table);
	if (rc == 0)
		rc = store_get_int(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations",
		                   STORE_NO_ARGS, &v);
	if (rc == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc < 0)
		return error_set(e, rc, "cannot read the schema version");
	*version = (int)v;
	return 0;
}

/*
 * A migration whose first line is this rebuilds a table that others reference (SQLite's
 * 12-step ALTER TABLE): it runs with foreign keys off, which SQLite ignores inside a
 * transaction, so the pragma is set on the connection before BEGIN; the migration commits
 * only when PRAGMA foreign_key_check finds nothing, and foreign keys are on again after.
 */
#define FOREIGN_KEYS_OFF "-- centralita: foreign_keys=off\n"

static int check_foreign_keys(struct store_tx *tx)
{
	struct store_rows *r;
	int rc = store_query(tx, "PRAGMA foreign_key_check", STORE_NO_ARGS, &r);
	if (rc < 0)
		return rc;
	rc = store_next(r);
	if (rc == 1)
		log_error("sqlite: a migration broke a foreign key (table %s, row %lld)",
		          store_text(r, 0), (long long)store_int(r, 1));
	store_rows_free(r);
	return rc == 1 ? ERR_INTERNAL : rc;
}

static int apply(struct store *st, const struct embed_file *f, int version, int64_t now_ms)
{
	bool is_rebuild = strncmp(f->data, FOREIGN_KEYS_OFF, strlen(FOREIGN_KEYS_OFF)) == 0;
	pthread_mutex_lock(&st->writer);
	struct store_tx tx = { .st = st, .c = acquire(st), .is_write = true };
	int rc = is_rebuild ? exec_plain(tx.c, "PRAGMA foreign_keys=OFF") : 0;
	if (rc == 0)
		rc = exec_plain(tx.c, "BEGIN IMMEDIATE");
	if (rc == 0) {
		rc = exec_plain(tx.c, f->data);
		if (rc == 0 && is_rebuild)
			rc = check_foreign_keys(&tx);
		if (rc == 0)
			rc = store_exec(
			    &tx,
			    "INSERT INTO schema_migrations (version, name, applied_at)"
			    " VALUES ($1, $2, $3)",
			    STORE_ARGS(SV_INT(version), SV_TEXT(f->name), SV_INT(now_ms)));
		if (rc >= 0)
			rc = exec_plain(tx.c, "COMMIT");
		if (rc < 0)
			exec_plain(tx.c, "ROLLBACK");
	}
	if (is_rebuild)
		exec_plain(tx.c, "PRAGMA foreign_keys=ON");
	release(st, tx.c);
	pthread_mutex_unlock(&st->writer);
	return rc < 0 ? rc : 0;
}

int store_migrate(struct store *st, int *applied, struct error *e)
{
	int current;
	int rc = store_schema_version(st, &current, e);
	if (rc < 0)
		return rc;
	int latest = store_schema_latest();
	if (current > latest)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the database is at schema version %d, newer than this binary "
		                 "knows (%d): run a newer centralita",
		                 current, latest);
	*applied = 0;
	for (const struct embed_file *f = embed_migrations_sqlite; f->name != NULL; f++) {
		int version = atoi(f->name);
		if (version <= current)
			continue;
		rc = apply(st, f, version, clock_now_ms());
		if (rc < 0)
			return error_set(e, rc, "migration %s failed", f->name);
		log_info("store: applied migration %s", f->name);
		(*applied)++;
	}
	return 0;
}
