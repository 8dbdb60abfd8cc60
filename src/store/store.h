/*
 * The store: one interface to the database, whichever back end is behind it (SQLite or
 * PostgreSQL: sqlite.c, postgres.c; store.c holds what they share). Callers write portable SQL with
 * $1-style parameters and never see the back end's types. Work happens in transactions, each on one
 * pooled connection; write transactions are serialised, read transactions run side by side.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct store;      /* a database: a pool of connections */
struct store_tx;   /* a transaction on one of them */
struct store_rows; /* the rows of one query, read one at a time */

enum store_mode { STORE_READ, STORE_WRITE };
enum store_type { STORE_NULL, STORE_INT, STORE_TEXT };

struct store_value {
	enum store_type type;
	int64_t i;
	const char *s; /* borrowed; NUL-terminated */
};

#define SV_NULL         ((struct store_value){ .type = STORE_NULL })
#define SV_INT(v)       ((struct store_value){ .type = STORE_INT, .i = (v) })
#define SV_TEXT(v)      ((struct store_value){ .type = STORE_TEXT, .s = (v) })
#define SV_TEXT_NULL(v) ((v) != NULL ? SV_TEXT(v) : SV_NULL)
/* Expands to `array, count` for the args/nargs parameters below. */
#define STORE_ARGS(...)                                                 \
	(const struct store_value[]){ __VA_ARGS__ },                    \
	    (int)(sizeof((const struct store_value[]){ __VA_ARGS__ }) / \
	          sizeof(struct store_value))
#define STORE_NO_ARGS NULL, 0

/* Opens the database named by url (sqlite:PATH, postgres://… or libpq's host=… dbname=…);
 * pool_size connections (at least 2), and one more for group commit. A write waits up to
 * busy_timeout_ms for another's lock before failing with ERR_UNAVAILABLE. */
int store_open(const char *url, int pool_size, int busy_timeout_ms, struct store **out,
               struct error *e);
void store_close(struct store *st);

/* Applies pending migrations; refuses a database newer than this binary. */
int store_migrate(struct store *st, int *applied, struct error *e);
/* The schema version this binary brings, and the one the database holds. */
int store_schema_latest(void);
int store_schema_version(struct store *st, int *version, struct error *e);

/*
 * Group commit: work that can share a transaction with other callers' (webhooks). The
 * store's writer thread takes every job queued while it committed the previous group, runs
 * them one after the other in one write transaction and commits once, then calls each job's
 * done with run's result, or the commit's error when the commit failed. done runs on the
 * writer thread after the commit and may free the job.
 *
 * A job whose run fails (a negative result) is left out: the transaction is rolled back and
 * the group run again without it, so a run may be called more than once and only its last
 * call's work is committed. Hence run must set whatever it reports in arg afresh (counts, ids,
 * lists: freeing what an earlier call left there), and do nothing outside the transaction
 * (wake nobody, fill no cache, log no success): that is done's. An error that ends the whole
 * transaction (ERR_UNAVAILABLE: a full disk, a lost connection) fails every job that had not
 * failed on its own. A job may use savepoints of its own.
 */
struct store_job {
	int (*run)(struct store_tx *tx, void *arg);
	void (*done)(void *arg, int rc);
	void *arg;
	struct store_job *next; /* the store's queue */
};
void store_submit(struct store *st, struct store_job *job);
/* For a caller that waits (a worker thread): runs run(tx, arg) in the next group (run as
 * above: perhaps more than once) and returns once the group is committed: run's error, the
 * commit's, or 0. */
int store_run(struct store *st, int (*run)(struct store_tx *tx, void *arg), void *arg);

/*
 * The SQL the back end speaks, for the few statements that cannot be written once for both
 * (docs/DECISIONS.md lists them). Both back ends also know ascii_lower(text), which folds
 * A-Z only: SQLite's LIKE and lower() fold that way, PostgreSQL's do not.
 */
enum store_dialect { STORE_SQLITE, STORE_POSTGRES };
enum store_dialect store_dialect(const struct store_tx *tx);

/* Begins a transaction; NULL (logged) when no connection can be had. */
struct store_tx *store_begin(struct store *st, enum store_mode mode);
/* Commits and frees tx; on failure the work is rolled back and the error returned. */
int store_commit(struct store_tx *tx);
/* Rolls back and frees tx; tx may be NULL. */
void store_rollback(struct store_tx *tx);
/* A savepoint inside tx; store_savepoint_end keeps (keep) or undoes the work since. */
int store_savepoint(struct store_tx *tx);
int store_savepoint_end(struct store_tx *tx, bool keep);
/* fn(arg) runs after each write transaction commits, on the committing thread, before the
 * next write transaction can begin; NULL for none. */
void store_on_commit(struct store *st, void (*fn)(void *arg), void *arg);

/*
 * Wake-ups from the other servers on the same database. Every transaction that records events
 * notifies the others when it commits (PostgreSQL: NOTIFY from a trigger on events, 0036).
 * store_listen starts one thread with a connection of its own that waits for those
 * notifications and calls fn(arg) for each one another server (or anyone but this store) sent,
 * and once more after its connection was lost and made again, since what was sent meanwhile
 * is missed. fn must be quick and take no lock the store holds. NULL fn stops it; store_close
 * stops it too. Returns 1 when it listens, 0 when it does not: the back end has no other
 * servers to hear (SQLite: one server, whose own commits store_on_commit reports), or the
 * thread could not start (logged).
 */
int store_listen(struct store *st, void (*fn)(void *arg), void *arg);

/*
 * Runs one statement. Constraint violations give ERR_CONFLICT, a busy or full database or a
 * lost connection ERR_UNAVAILABLE, anything else ERR_INTERNAL (logged with the SQL, never
 * the values). After a failed statement a transaction goes on only from a savepoint taken
 * before it (store_savepoint_end(tx, false)): PostgreSQL refuses anything else until the
 * end, and commits nothing.
 */
int store_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct store_rows **rows);
/* 1 when a row is ready, 0 at the end, negative enum err on failure. */
int store_next(struct store_rows *rows);
bool store_is_null(struct store_rows *rows, int col);
int64_t store_int(struct store_rows *rows, int col);
/* Borrowed until the next store_next or store_rows_free; "" for NULL. */
const char *store_text(struct store_rows *rows, int col);
void store_rows_free(struct store_rows *rows);

/*
 * The one error a caller gives for a store call that failed: "the store failed", with rc's
 * code (the store has logged the details). Returns rc when it is negative and 0 otherwise,
 * so `return store_failed(e, rc);` ends a function either way.
 */
static inline int store_failed(struct error *e, int rc)
{
	return rc < 0 ? error_set(e, (enum err)rc, "the store failed") : 0;
}

/* Runs a statement that returns no rows; the number of rows changed, or negative enum err. */
int store_exec(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs);
/* Runs a statement whose first row's first column is an integer (count(*), RETURNING id);
 * ERR_NOT_FOUND when there is no row. */
int store_get_int(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  int64_t *out);
/*
 * Runs a statement and reads every row into an array of items of size bytes, read(rows,
 * item) filling one zeroed item from the current row: *out, of *n, to free (NULL on failure).
 */
int store_collect(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  size_t size, void (*read)(struct store_rows *rows, void *item), void **out,
                  size_t *n);
/* Runs a statement expected to give at most one row and reads it into out with read;
 * ERR_NOT_FOUND when there is none. */
int store_get_row(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                  void (*read)(struct store_rows *rows, void *item), void *out);
/* Runs a statement and collects every row's first column (ids): *out, of *n, to free. */
int store_get_ints(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                   int64_t **out, size_t *n);

/* copy.c */

/* One table that store_copy copied, and its rows. */
struct store_copy_count {
	char table[64];
	int64_t rows;
};

/*
 * Copies the whole of from (SQLite, at this binary's schema version) into to (PostgreSQL: no
 * tables at all, which it migrates first, or migrated and empty but for the default account)
 * in one transaction: ids kept, sequences set past them, every table's row count checked
 * before the commit. Refuses (ERR_UNPROCESSABLE, ERR_CONFLICT for a target with rows) before
 * writing anything. *counts, of *n, to free: each table and its rows, in the order copied.
 */
int store_copy(struct store *from, struct store *to, struct store_copy_count **counts, size_t *n,
               struct error *e);

/* store.c: several servers */

/*
 * Several servers on one database (PostgreSQL). Leadership is work that one server at a time
 * does (a Telegram channel's polling, the scheduler's timers): store_leader_try answers whether
 * this process holds the leadership named name, taking it when no other server holds it. Once
 * taken it is held until store_leader_release, store_close, or the loss of the database session
 * that holds it (a server killed, PostgreSQL restarted: the locks go with the session, and
 * another server's next try takes them). The session is checked at most once a second, so a
 * loss is seen within about a second of the next call. PostgreSQL: session advisory locks on a
 * connection of the store's own; SQLite: always held (one server per file). Any thread.
 */
bool store_leader_try(struct store *st, const char *name);
void store_leader_release(struct store *st, const char *name);
/* Whether other servers may work on this database: what they queue reaches this one only when
 * it looks (PostgreSQL), never on SQLite. */
bool store_is_shared(const struct store *st);
/* For claims that must not overlap across servers (the outbox's per conversation): a lock on
 * (space, id) that tx holds until it ends, taken only if free. 1 when taken (or tx holds it
 * already), 0 when another transaction holds it, negative enum err on failure. A statement
 * after it sees every transaction that held it before. SQLite has one writer at a time: 1. */
int store_tx_try_lock(struct store_tx *tx, int32_t space, int64_t id);

#endif
