/*
 * The SQLite back end of the store (backend.h): WAL mode with synchronous=FULL, a small
 * prepared-statement cache per connection; the group writer's connection keeps its
 * sub-journal in memory and a larger page cache. Knows nothing of the tables it stores,
 * and of the statements only that an INSERT ending in RETURNING id adds one row (rowid_len).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xmalloc.h"
#include "store/backend.h"

#define STMT_CACHE 64

extern const struct embed_file embed_migrations_sqlite[];

/* Which of the caller's arguments each of a statement's parameters takes: arg[i] for SQLite's
 * parameter i + 1 ($k takes argument k), read once when the statement is prepared. */
struct params {
	int count;
	int *arg;
};

struct cached_stmt {
	const char *key; /* the caller's SQL pointer; the text is compared too */
	sqlite3_stmt *stmt;
	size_t len;    /* of the text prepared (rowid_len) */
	bool is_rowid; /* the caller's text goes on with " RETURNING id" */
	bool is_busy;
	struct params params;
};

struct conn {
	sqlite3 *db;
	struct cached_stmt cache[STMT_CACHE];
	int cache_len;
	sqlite3_int64 changes_at_begin; /* sqlite3_total_changes64 when the transaction began */
	bool has_search_queue;          /* the schema has search_index_now (seen once, kept) */
	bool is_group;                  /* the group writer's */
	int64_t indexed_at_us;          /* when its commit last indexed what waits (the group's) */
};

struct rows {
	struct store_rows base;
	struct conn *c;
	sqlite3_stmt *stmt;
	struct cached_stmt *cached; /* NULL when the statement is finalised on free */
	struct params own;          /* an uncached statement's, freed with it */
	bool is_rowid;              /* its one row is the rowid it inserted (rowid_len) */
	bool is_stepped;
	int64_t rowid;
	char rowid_text[24];
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
	if (err != ERR_CONFLICT) {
		log_error("sqlite: %s (%d) in: %.120s", sqlite3_errmsg(c->db), rc, sql);
		metrics_count(METRICS_STORE_ERRORS, NULL);
	}
	return err;
}

static int exec_plain(struct conn *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : report(c, rc, sql);
}

/* ascii_lower(text): A-Z folded, every other byte kept (store.h). */
static void ascii_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *in = sqlite3_value_text(argv[0]);
	if (in == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	int n = sqlite3_value_bytes(argv[0]);
	char *out = sqlite3_malloc(n + 1);
	if (out == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (int i = 0; i <= n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
	sqlite3_result_text(ctx, out, n, sqlite3_free);
}

/* The library, configured once per process */

static pthread_once_t configured = PTHREAD_ONCE_INIT;

/*
 * Before SQLite initialises, which it does on the first open. A connection is used by one
 * thread at a time (the pool hands one to a transaction; the group writer has its own), so the
 * multi-thread mode (the connections are opened NOMUTEX already: this makes it the library's
 * default); and no memory statistics, which take a global mutex on every allocation and which
 * nothing reads (sqlite3_memory_used, sqlite3_status). SQLITE_MISUSE: the library was initialised
 * before the store opened (by the program around it), and keeps its defaults.
 * No lookaside allocator: Debian's library is built with SQLITE_OMIT_LOOKASIDE, where
 * SQLITE_DBCONFIG_LOOKASIDE does nothing.
 */
static void configure(void)
{
	int rc = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	if (rc == SQLITE_OK)
		rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (rc != SQLITE_OK)
		log_warn("sqlite: cannot configure the library (%s): it keeps its defaults",
		         sqlite3_errstr(rc));
	rc = sqlite3_initialize();
	if (rc != SQLITE_OK)
		log_error("sqlite: cannot initialise the library: %s", sqlite3_errstr(rc));
}

/* Connections */

static void close_conn(void *conn)
{
	struct conn *c = conn;
	for (int i = 0; i < c->cache_len; i++) {
		sqlite3_finalize(c->cache[i].stmt);
		free(c->cache[i].params.arg);
	}
	sqlite3_close(c->db);
	free(c);
}

static void *open_conn(const char *url, const char *server_id, int busy_timeout_ms, bool is_group,
                       struct error *e)
{
	const char *path = url + strlen("sqlite:");
	struct conn *c = xcalloc(1, sizeof(*c));
	pthread_once(&configured, configure);
	int rc = sqlite3_open_v2(
	    path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error_set(e, ERR_UNAVAILABLE, "cannot open database %s: %s", path,
		          c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	c->is_group = is_group;
	sqlite3_busy_timeout(c->db, busy_timeout_ms);
	sqlite3_create_function(c->db, "ascii_lower", 1,
	                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                        ascii_lower, NULL, NULL);
	if (exec_plain(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                  "PRAGMA foreign_keys=ON;") < 0) {
		error_set(e, ERR_UNAVAILABLE, "cannot set up database %s: %s", path,
		          sqlite3_errmsg(c->db));
		goto fail;
	}
	/*
	 * The group writer's connection: its jobs' savepoints and statements keep the pages they
	 * change in a sub-journal, which SQLite spills to a temporary file past 64 KiB (a job
	 * writes about 20 pages); in memory it costs no system call. 16 MiB of page cache
	 * (SQLite's default is 2) keeps the recent pages of every table a message writes.
	 */
	if (is_group && exec_plain(c, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;") < 0) {
		error_set(e, ERR_UNAVAILABLE, "cannot set up database %s", path);
		goto fail;
	}
	return c;
fail:
	close_conn(c);
	return NULL;
}

static const char sql_begin[] = "BEGIN";
static const char sql_begin_immediate[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT job";
static const char sql_release[] = "RELEASE job";
static const char sql_rollback_to[] = "ROLLBACK TO job";

static int query(void *conn, const char *sql, const struct store_value *args, int nargs,
                 struct store_rows **rows);
static int changes(struct store_rows *rows);
static int next(struct store_rows *rows);
static void rows_free(struct store_rows *rows);
static int64_t get_int(struct store_rows *rows, int col);

/* Runs a statement without arguments from the connection's cache (BEGIN, COMMIT…). */
static int exec_cached(struct conn *c, const char *sql)
{
	struct store_rows *r;
	int rc = query(c, sql, STORE_NO_ARGS, &r);
	if (rc < 0)
		return rc;
	while ((rc = next(r)) == 1)
		;
	rows_free(r);
	return rc < 0 ? rc : 0;
}

static int begin(void *conn, bool is_write)
{
	struct conn *c = conn;
	c->changes_at_begin = sqlite3_total_changes64(c->db);
	return exec_cached(c, is_write ? sql_begin_immediate : sql_begin);
}

static bool is_tx_lost(void *conn)
{
	return sqlite3_get_autocommit(((struct conn *)conn)->db) != 0;
}

static void rollback(void *conn)
{
	if (!is_tx_lost(conn))
		exec_cached(conn, sql_rollback);
}

/* The rows that wait for the search indexes, written into them before a COMMIT (migration
 * 0040 says why): at every write transaction's, but the group writer's at most every
 * SEARCH_INDEX_US, since a batch of hundreds of rows costs FTS5 less than half as much a row
 * as one of a group's tens (docs/BENCHMARK.md), and a search reads what waits too. A
 * database without the schema's migrations (the store's own tests) has no such view. */
#define SEARCH_INDEX_US (100 * 1000)
static const char sql_index_pending[] = "DELETE FROM search_index_now";
static const char sql_has_search_queue[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'search_index_now'";

static int index_pending(struct conn *c)
{
	if (!c->has_search_queue) {
		struct store_rows *r;
		int rc = query(c, sql_has_search_queue, STORE_NO_ARGS, &r);
		if (rc < 0)
			return rc;
		if ((rc = next(r)) == 1)
			c->has_search_queue = get_int(r, 0) > 0;
		rows_free(r);
		if (rc < 0 || !c->has_search_queue)
			return rc < 0 ? rc : 0;
	}
	return exec_cached(c, sql_index_pending);
}

/* Commits (a transaction that changed rows may index its pending rows first); on failure rolls
 * back (unless SQLite already did) and returns the error. */
static int commit(void *conn)
{
	struct conn *c = conn;
	int64_t now_us = c->is_group ? clock_mono_us() : 0;
	bool is_due = !c->is_group || now_us - c->indexed_at_us >= SEARCH_INDEX_US;
	int rc = 0;
	if (is_due && sqlite3_total_changes64(c->db) != c->changes_at_begin) {
		rc = index_pending(c);
		c->indexed_at_us = now_us;
	}
	if (rc == 0)
		rc = exec_cached(conn, sql_commit);
	if (rc < 0)
		rollback(conn);
	return rc;
}

static int savepoint(void *conn)
{
	return exec_cached(conn, sql_savepoint);
}

static int savepoint_end(void *conn, bool keep)
{
	int rc = keep ? 0 : exec_cached(conn, sql_rollback_to);
	return rc < 0 ? rc : exec_cached(conn, sql_release);
}

static const char rowid_end[] = " RETURNING id";

/*
 * The length of sql to prepare: without its end when it is an INSERT that ends in RETURNING id
 * (and has no ON CONFLICT clause, after which the rowid need not be the row's). SQLite runs a
 * RETURNING clause through an ephemeral table that each execution builds and drops (and an
 * INSERT … SELECT that has one through a second); every table's id is its rowid (INTEGER
 * PRIMARY KEY), so the rowid inserted is what those statements return, one row each (an
 * INSERT of several rows is refused in next_rowid). docs/BENCHMARK.md measured it.
 */
static size_t rowid_len(const char *sql, bool *is_rowid)
{
	size_t n = strlen(sql), e = sizeof(rowid_end) - 1;
	*is_rowid = n > e && strncmp(sql, "INSERT ", 7) == 0 &&
	            strcmp(sql + n - e, rowid_end) == 0 && strstr(sql, " ON CONFLICT ") == NULL;
	return *is_rowid ? n - e : n;
}

/* Whether sql is the text cs was prepared from (the pointer matched: a caller's buffer may
 * hold another text since). */
static bool is_cached_sql(const struct cached_stmt *cs, const char *sql)
{
	return strncmp(sqlite3_sql(cs->stmt), sql, cs->len) == 0 &&
	       (cs->is_rowid ? strcmp(sql + cs->len, rowid_end) == 0 : sql[cs->len] == 0);
}

/* The parameters of stmt: each named $k takes argument k (k ≥ 1); anything else is refused. */
static int params_of(sqlite3_stmt *stmt, const char *sql, struct params *p)
{
	p->count = sqlite3_bind_parameter_count(stmt);
	p->arg = p->count > 0 ? xcalloc((size_t)p->count, sizeof(*p->arg)) : NULL;
	for (int i = 0; i < p->count; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i + 1);
		p->arg[i] = name != NULL && name[0] == '$' ? atoi(name + 1) : 0;
		if (p->arg[i] < 1) {
			log_error("sqlite: parameter %s is not $1, $2… in: %.120s",
			          name ? name : "?", sql);
			free(p->arg);
			p->arg = NULL;
			return ERR_INTERNAL;
		}
	}
	return 0;
}

/* A prepared statement for sql, from the cache when it is there and free. */
static int prepare(struct conn *c, const char *sql, struct rows *r)
{
	for (int i = 0; i < c->cache_len; i++) {
		struct cached_stmt *cs = &c->cache[i];
		if (cs->key == sql && !cs->is_busy && is_cached_sql(cs, sql)) {
			cs->is_busy = true;
			r->stmt = cs->stmt;
			r->cached = cs;
			r->is_rowid = cs->is_rowid;
			return 0;
		}
	}
	size_t n = rowid_len(sql, &r->is_rowid);
	int rc = sqlite3_prepare_v3(c->db, sql, (int)n, SQLITE_PREPARE_PERSISTENT, &r->stmt, NULL);
	if (rc != SQLITE_OK)
		return report(c, rc, sql);
	if ((rc = params_of(r->stmt, sql, &r->own)) < 0)
		return rc;
	if (c->cache_len < STMT_CACHE) {
		struct cached_stmt *cs = &c->cache[c->cache_len++];
		*cs = (struct cached_stmt){ .key = sql,
			                    .stmt = r->stmt,
			                    .len = n,
			                    .is_rowid = r->is_rowid,
			                    .is_busy = true,
			                    .params = r->own };
		r->own = (struct params){ 0 };
		r->cached = cs;
	}
	return 0;
}

static int bind_args(struct conn *c, struct rows *r, const struct store_value *args, int nargs,
                     const char *sql)
{
	const struct params *p = r->cached != NULL ? &r->cached->params : &r->own;
	for (int i = 0; i < p->count; i++) {
		int k = p->arg[i];
		if (k > nargs) {
			log_error("sqlite: parameter $%d has no value in: %.120s", k, sql);
			return ERR_INTERNAL;
		}
		const struct store_value *v = &args[k - 1];
		int rc = SQLITE_OK;
		if (v->type == STORE_INT)
			rc = sqlite3_bind_int64(r->stmt, i + 1, v->i);
		else if (v->type == STORE_TEXT)
			rc = sqlite3_bind_text(r->stmt, i + 1, v->s, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(r->stmt, i + 1);
		if (rc != SQLITE_OK)
			return report(c, rc, sql);
	}
	return 0;
}

static int query(void *conn, const char *sql, const struct store_value *args, int nargs,
                 struct store_rows **rows)
{
	struct rows *r = xcalloc(1, sizeof(*r));
	r->base.be = &store_sqlite;
	r->c = conn;
	int rc = prepare(r->c, sql, r);
	if (rc == 0)
		rc = bind_args(r->c, r, args, nargs, sql);
	if (rc < 0) {
		rows_free(&r->base);
		return rc;
	}
	*rows = &r->base;
	return 0;
}

/* An INSERT of rowid_len: one row, the rowid, when it inserted one (none when it did not). */
static int next_rowid(struct rows *r)
{
	if (r->is_stepped)
		return 0;
	r->is_stepped = true;
	int rc = sqlite3_step(r->stmt);
	if (rc != SQLITE_DONE)
		return report(r->c, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, sqlite3_sql(r->stmt));
	int n = sqlite3_changes(r->c->db);
	if (n > 1) {
		log_error("sqlite: RETURNING id of an INSERT of %d rows in: %.120s", n,
		          sqlite3_sql(r->stmt));
		return ERR_INTERNAL;
	}
	r->rowid = sqlite3_last_insert_rowid(r->c->db);
	return n;
}

static int next(struct store_rows *rows)
{
	struct rows *r = (struct rows *)rows;
	if (r->is_rowid)
		return next_rowid(r);
	int rc = sqlite3_step(r->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return report(r->c, rc, sqlite3_sql(r->stmt));
}

static bool is_null(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	return !r->is_rowid && sqlite3_column_type(r->stmt, col) == SQLITE_NULL;
}

static int64_t get_int(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	return r->is_rowid ? r->rowid : sqlite3_column_int64(r->stmt, col);
}

static const char *text(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	if (r->is_rowid) {
		snprintf(r->rowid_text, sizeof(r->rowid_text), "%lld", (long long)r->rowid);
		return r->rowid_text;
	}
	const unsigned char *s = sqlite3_column_text(r->stmt, col);
	return s != NULL ? (const char *)s : "";
}

static int changes(struct store_rows *rows)
{
	return sqlite3_changes(((struct rows *)rows)->c->db);
}

static void rows_free(struct store_rows *rows)
{
	struct rows *r = (struct rows *)rows;
	if (r->cached != NULL) {
		sqlite3_reset(r->stmt);
		r->cached->is_busy = false;
	} else if (r->stmt != NULL) {
		sqlite3_finalize(r->stmt);
	}
	free(r->own.arg);
	free(r);
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

static int apply(struct store_tx *tx, const struct embed_file *f, int version, int64_t now_ms)
{
	struct conn *c = tx->conn;
	bool is_rebuild = strncmp(f->data, FOREIGN_KEYS_OFF, strlen(FOREIGN_KEYS_OFF)) == 0;
	int rc = is_rebuild ? exec_plain(c, "PRAGMA foreign_keys=OFF") : 0;
	if (rc == 0)
		rc = exec_plain(c, "BEGIN IMMEDIATE");
	if (rc == 0) {
		rc = exec_plain(c, f->data);
		if (rc == 0 && is_rebuild)
			rc = check_foreign_keys(tx);
		if (rc == 0)
			rc = store_record_migration(tx, f, version, now_ms);
		if (rc == 0)
			rc = exec_plain(c, "COMMIT");
		if (rc < 0)
			exec_plain(c, "ROLLBACK");
	}
	if (is_rebuild)
		exec_plain(c, "PRAGMA foreign_keys=ON");
	return rc;
}

const struct store_backend store_sqlite = {
	.dialect = STORE_SQLITE,
	.migrations = embed_migrations_sqlite,
	.connect = open_conn,
	.disconnect = close_conn,
	.begin = begin,
	.commit = commit,
	.rollback = rollback,
	.savepoint = savepoint,
	.savepoint_end = savepoint_end,
	.is_tx_lost = is_tx_lost,
	.query = query,
	.next = next,
	.is_null = is_null,
	.get_int = get_int,
	.text = text,
	.changes = changes,
	.rows_free = rows_free,
	.apply = apply,
};
