/*
 * The SQLite back end of the store (backend.h): WAL mode with synchronous=FULL, a small
 * prepared-statement cache per connection; the group writer's connection keeps its
 * sub-journal in memory and a larger page cache. Checkpoints run on a thread of their own,
 * never inside a commit. Knows nothing of the tables it stores.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "store/backend.h"

#define STMT_CACHE 64

extern const struct embed_file embed_migrations_sqlite[];

struct cached_stmt {
	const char *key; /* the caller's SQL pointer; the text is compared too */
	sqlite3_stmt *stmt;
	bool is_busy;
};

struct checkpointer;

struct conn {
	sqlite3 *db;
	struct cached_stmt cache[STMT_CACHE];
	int cache_len;
	struct checkpointer *checkpointer; /* the store's, whose thread this one's commits wake */
	bool is_group;                     /* the group writer's, which runs the checkpointer */
	bool is_writing;                   /* in a write transaction (begin's) */
};

struct rows {
	struct store_rows base;
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
 * thread at a time (the pool hands one to a transaction; the group writer and the
 * checkpointer have their own), so the multi-thread
 * mode (the connections are opened NOMUTEX already: this makes it the library's default);
 * and no memory statistics, which take a global mutex on every allocation and which nothing
 * reads (sqlite3_memory_used, sqlite3_status). SQLITE_MISUSE: the library was initialised
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

/*
 * Checkpoints, off the writer's path
 *
 * Every connection's auto-checkpoint is off: SQLite would run it inside the COMMIT that takes
 * the WAL past 1000 frames, copying them into the database and syncing it while the next
 * group waits. Instead each connection's commits (the WAL hook) wake the store's checkpointer
 * past CHECKPOINT_FRAMES, a thread with a connection of its own that copies the WAL into the
 * database with PASSIVE checkpoints, which wait for no reader and no writer. Once every frame
 * is in the database the writer's next transaction starts the WAL again from its beginning.
 * Frames a commit wrote meanwhile keep that from happening (under load, for ever): when only
 * a few are left (CHECKPOINT_TAIL), a RESTART copies them holding the write lock, taken only
 * when it is free, between two groups: the checkpointer watches for a moment when none of
 * its connections is in a write transaction, for a while, and has no busy handler (it never
 * waits on a lock). So the writer waits at most for those few frames, and no reader is
 * waited for. Durability is the commits' (synchronous=FULL syncs the WAL);
 * a checkpoint only moves pages.
 */

#define CHECKPOINT_FRAMES   1000  /* SQLite's auto-checkpoint threshold */
#define CHECKPOINT_TAIL     128   /* frames left that a RESTART may copy */
#define CHECKPOINT_PASSES   4     /* PASSIVE checkpoints in a row while they gain */
#define CHECKPOINT_GAP_US   20000 /* RESTARTs tried for so long, to find the writer idle */
#define CHECKPOINT_TRY_US   100   /* between two looks */
#define CHECKPOINT_PAUSE_MS 20    /* after a checkpoint that left frames behind */
#define CHECKPOINT_RETRY_MS 1000  /* frames left behind and no commit to wake it */
#define WAL_GROWING_FRAMES  (16 * CHECKPOINT_FRAMES) /* logged once, past this */

struct checkpointer {
	char *server_id; /* the store's: its connections find it by this */
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock; /* guards woken, is_wanted, is_stopping */
	pthread_cond_t woken;
	bool is_wanted;
	bool is_stopping;
	atomic_int writers;        /* its connections in a write transaction (begin's) */
	int users;                 /* the connections hooked to it; checkpointers_lock */
	struct checkpointer *next; /* checkpointers_lock */
};

static pthread_mutex_t checkpointers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct checkpointer *checkpointers; /* guarded by checkpointers_lock */

static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct checkpointer *k = arg;
	if (frames >= CHECKPOINT_FRAMES) {
		pthread_mutex_lock(&k->lock);
		k->is_wanted = true;
		pthread_cond_signal(&k->woken);
		pthread_mutex_unlock(&k->lock);
	}
	return SQLITE_OK;
}

/* Waits ms, or until a commit wants a checkpoint when is_wakeable; k->lock held. */
static void wait_ms(struct checkpointer *k, int ms, bool is_wakeable)
{
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += ms / 1000;
	at.tv_nsec += (long)(ms % 1000) * 1000000;
	at.tv_sec += at.tv_nsec / 1000000000;
	at.tv_nsec %= 1000000000;
	while (!k->is_stopping && !(is_wakeable && k->is_wanted))
		if (pthread_cond_timedwait(&k->woken, &k->lock, &at) != 0)
			break;
}

/* Copies what it can of the WAL into the database; true when frames are left behind. */
static bool checkpoint(struct checkpointer *k, bool *is_growing)
{
	int frames = 0, copied = 0, left = -1;
	int rc = SQLITE_OK;
	for (int i = 0; i < CHECKPOINT_PASSES && rc == SQLITE_OK; i++) {
		int before = left;
		rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
		                               &copied);
		left = frames - copied;
		if (left <= CHECKPOINT_TAIL || (before >= 0 && left >= before))
			break;
	}
	/* The writer holds its lock for a whole group: the gap between two is watched for
	 * (writers), briefly. A RESTART that finds the lock taken anyway is a PASSIVE one. */
	int64_t until = clock_mono_us() + CHECKPOINT_GAP_US;
	while (rc == SQLITE_OK && frames > 0 && left <= CHECKPOINT_TAIL) {
		if (atomic_load(&k->writers) == 0) {
			rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_RESTART,
			                               &frames, &copied);
			left = frames - copied;
			if (rc != SQLITE_BUSY)
				break;
			rc = SQLITE_OK;
		}
		if (clock_mono_us() >= until)
			break;
		usleep(CHECKPOINT_TRY_US);
	}
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_error("sqlite: checkpoint: %s (%d)", sqlite3_errmsg(k->db), rc);
	bool is_behind = rc != SQLITE_OK && rc != SQLITE_BUSY ? true : copied < frames;
	if (is_behind && frames >= WAL_GROWING_FRAMES && !*is_growing)
		log_warn("sqlite: the WAL has grown to %d frames, %d not yet in the database"
		         " (long reads keep them, or writes outpace the checkpoints): still trying",
		         frames, frames - copied);
	else if (!is_behind && *is_growing)
		log_info("sqlite: the WAL is in the database again");
	if (is_behind && frames >= WAL_GROWING_FRAMES)
		*is_growing = true;
	else if (!is_behind)
		*is_growing = false;
	return is_behind;
}

static void *checkpoint_loop(void *arg)
{
	struct checkpointer *k = arg;
	bool is_behind = false, is_growing = false;
	pthread_mutex_lock(&k->lock);
	while (!k->is_stopping) {
		if (!k->is_wanted) {
			if (is_behind)
				wait_ms(k, CHECKPOINT_RETRY_MS, true);
			else
				pthread_cond_wait(&k->woken, &k->lock);
			if (!is_behind || k->is_stopping)
				continue;
		}
		k->is_wanted = false;
		pthread_mutex_unlock(&k->lock);
		is_behind = checkpoint(k, &is_growing);
		pthread_mutex_lock(&k->lock);
		if (is_behind)
			wait_ms(k, CHECKPOINT_PAUSE_MS, false);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* The store's checkpointer, with its thread, for its group writer's connection to path. */
static struct checkpointer *checkpointer_start(const char *path, const char *server_id)
{
	struct checkpointer *k = xcalloc(1, sizeof(*k));
	int rc = sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("sqlite: no checkpoints on a thread: cannot open %s: %s", path,
		          k->db ? sqlite3_errmsg(k->db) : sqlite3_errstr(rc));
		goto fail;
	}
	/* A checkpoint needs the WAL open, which the connection's first read does. */
	sqlite3_wal_autocheckpoint(k->db, 0);
	rc = sqlite3_exec(k->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_error("sqlite: no checkpoints on a thread: %s", sqlite3_errmsg(k->db));
		goto fail;
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&k->woken, &attr);
	pthread_condattr_destroy(&attr);
	if (thread_start(&k->thread, "store-ckpt", checkpoint_loop, k) != 0) {
		log_error("sqlite: cannot start the checkpoint thread");
		pthread_mutex_destroy(&k->lock);
		pthread_cond_destroy(&k->woken);
		goto fail;
	}
	k->server_id = xstrdup(server_id);
	pthread_mutex_lock(&checkpointers_lock);
	k->next = checkpointers;
	checkpointers = k;
	pthread_mutex_unlock(&checkpointers_lock);
	return k;
fail:
	sqlite3_close(k->db);
	free(k);
	return NULL;
}

/* Stops the thread (the group writer's connection is closing); the rest goes with the last
 * connection (checkpointer_leave). */
static void checkpointer_stop(struct checkpointer *k)
{
	pthread_mutex_lock(&k->lock);
	k->is_stopping = true;
	pthread_cond_signal(&k->woken);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	sqlite3_close(k->db);
	k->db = NULL;
}

/* Hooks c's commits to its store's checkpointer; without one (its thread could not start)
 * they keep SQLite's auto-checkpoint. */
static void checkpointer_join(struct conn *c, struct checkpointer *k, const char *server_id)
{
	pthread_mutex_lock(&checkpointers_lock);
	if (k == NULL)
		for (k = checkpointers; k != NULL && strcmp(k->server_id, server_id) != 0;
		     k = k->next)
			;
	if (k != NULL)
		k->users++;
	pthread_mutex_unlock(&checkpointers_lock);
	c->checkpointer = k;
	if (k != NULL)
		sqlite3_wal_hook(c->db, on_wal_commit, k); /* which ends the auto-checkpoint */
}

static void checkpointer_leave(struct conn *c)
{
	struct checkpointer *k = c->checkpointer;
	if (k == NULL)
		return;
	if (c->is_group)
		checkpointer_stop(k);
	pthread_mutex_lock(&checkpointers_lock);
	bool is_last = --k->users == 0;
	if (is_last) {
		struct checkpointer **p = &checkpointers;
		while (*p != k)
			p = &(*p)->next;
		*p = k->next;
	}
	pthread_mutex_unlock(&checkpointers_lock);
	if (!is_last)
		return;
	if (k->db != NULL)
		checkpointer_stop(k);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->woken);
	free(k->server_id);
	free(k);
}

/* Connections */

static void close_conn(void *conn)
{
	struct conn *c = conn;
	checkpointer_leave(c);
	for (int i = 0; i < c->cache_len; i++)
		sqlite3_finalize(c->cache[i].stmt);
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
	/* The group writer's connection comes first (store_open): the checkpointer with it. */
	c->is_group = is_group;
	checkpointer_join(c, is_group ? checkpointer_start(path, server_id) : NULL, server_id);
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
	int rc = exec_cached(c, is_write ? sql_begin_immediate : sql_begin);
	if (rc == 0 && is_write && c->checkpointer != NULL) {
		c->is_writing = true;
		atomic_fetch_add(&c->checkpointer->writers, 1);
	}
	return rc;
}

static void write_ended(struct conn *c)
{
	if (c->is_writing)
		atomic_fetch_sub(&c->checkpointer->writers, 1);
	c->is_writing = false;
}

static bool is_tx_lost(void *conn)
{
	return sqlite3_get_autocommit(((struct conn *)conn)->db) != 0;
}

static void rollback(void *conn)
{
	if (!is_tx_lost(conn))
		exec_cached(conn, sql_rollback);
	write_ended(conn);
}

/* Commits; on failure rolls back (unless SQLite already did) and returns the error. */
static int commit(void *conn)
{
	int rc = exec_cached(conn, sql_commit);
	if (rc < 0)
		rollback(conn);
	write_ended(conn);
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

/* A prepared statement for sql, from the cache when it is there and free. */
static int prepare(struct conn *c, const char *sql, struct rows *r)
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

static int query(void *conn, const char *sql, const struct store_value *args, int nargs,
                 struct store_rows **rows)
{
	struct rows *r = xcalloc(1, sizeof(*r));
	r->base.be = &store_sqlite;
	r->c = conn;
	int rc = prepare(r->c, sql, r);
	if (rc == 0)
		rc = bind_args(r->c, r->stmt, args, nargs, sql);
	if (rc < 0) {
		rows_free(&r->base);
		return rc;
	}
	*rows = &r->base;
	return 0;
}

static int next(struct store_rows *rows)
{
	struct rows *r = (struct rows *)rows;
	int rc = sqlite3_step(r->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return report(r->c, rc, sqlite3_sql(r->stmt));
}

static bool is_null(struct store_rows *rows, int col)
{
	return sqlite3_column_type(((struct rows *)rows)->stmt, col) == SQLITE_NULL;
}

static int64_t get_int(struct store_rows *rows, int col)
{
	return sqlite3_column_int64(((struct rows *)rows)->stmt, col);
}

static const char *text(struct store_rows *rows, int col)
{
	const unsigned char *s = sqlite3_column_text(((struct rows *)rows)->stmt, col);
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
		sqlite3_clear_bindings(r->stmt);
		r->cached->is_busy = false;
	} else if (r->stmt != NULL) {
		sqlite3_finalize(r->stmt);
	}
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
