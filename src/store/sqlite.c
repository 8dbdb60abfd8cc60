/*
 * The SQLite back end of store.h: WAL mode with synchronous=FULL, a pool of connections,
 * one writer at a time (serialised here rather than by SQLite's busy loop), and a small
 * prepared-statement cache per connection. Knows nothing of the tables it stores.
 */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define STMT_CACHE 64

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

static int open_conn(const char *path, struct conn *c, struct error *e)
{
	int rc = sqlite3_open_v2(
	    path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return error_set(e, ERR_UNAVAILABLE, "cannot open database %s: %s", path,
		                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(c->db, 5000);
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

int store_open(const char *url, int pool_size, struct store **out, struct error *e)
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
	int rc = 0;
	for (int i = 0; i < st->nconns && rc == 0; i++)
		rc = open_conn(path, &st->conns[i], e);
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
	for (int i = 0; i < st->nconns; i++)
		if (st->conns[i].db != NULL)
			close_conn(&st->conns[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->freed);
	pthread_mutex_destroy(&st->writer);
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

struct store_tx *store_begin(struct store *st, enum store_mode mode)
{
	struct store_tx *tx = xmalloc(sizeof(*tx));
	tx->st = st;
	tx->is_write = mode == STORE_WRITE;
	if (tx->is_write)
		pthread_mutex_lock(&st->writer);
	tx->c = acquire(st);
	if (exec_plain(tx->c, tx->is_write ? "BEGIN IMMEDIATE" : "BEGIN") < 0) {
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

int store_commit(struct store_tx *tx)
{
	int rc = exec_plain(tx->c, "COMMIT");
	if (rc < 0)
		exec_plain(tx->c, "ROLLBACK");
	end_tx(tx);
	return rc;
}

void store_rollback(struct store_tx *tx)
{
	if (tx == NULL)
		return;
	if (!sqlite3_get_autocommit(tx->c->db))
		exec_plain(tx->c, "ROLLBACK");
	end_tx(tx);
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
