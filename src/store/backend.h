/*
 * What a back end (sqlite.c, postgres.c) gives store.c: connections, transactions on one of
 * them, statements and their rows. store.c owns everything that is the same for both: the
 * pool, the write lock, group commit, the migration runner and the helpers built on
 * store_query. Not part of the store's public face: only the store's own files include it.
 */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include "core/embed.h"
#include "store/store.h"

/* The first member of each back end's rows, so store.c can dispatch on it. */
struct store_rows {
	const struct store_backend *be;
};

struct store_backend {
	enum store_dialect dialect;
	const struct embed_file *migrations; /* NNNN_what.sql, in order */
	/* One connection to url (the whole of what store_open was given); NULL with e set.
	 * server_id names this store in the notifications its transactions send. */
	void *(*connect)(const char *url, const char *server_id, int busy_timeout_ms, bool is_group,
	                 struct error *e);
	void (*disconnect)(void *conn);
	/* Begins a transaction on conn, first re-establishing it when it was lost. */
	int (*begin)(void *conn, bool is_write);
	/* Commits; on failure the work is undone and the error returned. */
	int (*commit)(void *conn);
	/* Undoes the open transaction, if any is still open. */
	void (*rollback)(void *conn);
	int (*savepoint)(void *conn);
	int (*savepoint_end)(void *conn, bool keep);
	/* The transaction ended without being asked to (a full disk, a lost connection). */
	bool (*is_tx_lost)(void *conn);
	int (*query)(void *conn, const char *sql, const struct store_value *args, int nargs,
	             struct store_rows **rows);
	int (*next)(struct store_rows *rows);
	bool (*is_null)(struct store_rows *rows, int col);
	int64_t (*get_int)(struct store_rows *rows, int col);
	const char *(*text)(struct store_rows *rows, int col);
	/* The rows the statement of rows changed, once it has run to its end. */
	int (*changes)(struct store_rows *rows);
	void (*rows_free)(struct store_rows *rows);
	/* Applies one migration and records it (store_record_migration) in one transaction of
	 * its own on tx's connection, which has none open; the write lock is held. */
	int (*apply)(struct store_tx *tx, const struct embed_file *f, int version, int64_t now_ms);
	/* store_listen's thread: started on url, it calls fn(arg) for every notification whose
	 * server_id is not this store's (NULL: the back end has none to hear). */
	void *(*listen_start)(const char *url, const char *server_id, void (*fn)(void *arg),
	                      void *arg);
	void (*listen_stop)(void *listener);
	/* Several servers (store_leader_try, store_tx_try_lock); NULL where a database has one
	 * server (SQLite). A connection of its own whose session holds the leaders' locks and
	 * runs no transactions; on it, take name's lock (1, or 0 when another session holds
	 * it), check that the session lasts (0), let go of name. A failure means the session
	 * may be gone, and every lock it held with it: store.c closes the connection. */
	void *(*lock_connect)(const char *url, const char *server_id, struct error *e);
	int (*lock_take)(void *conn, const char *name);
	int (*lock_check)(void *conn);
	void (*lock_release)(void *conn, const char *name);
	/* A transaction-level lock on (space, id) in conn's open transaction: 1 taken, 0 not. */
	int (*tx_try_lock)(void *conn, int32_t space, int64_t id);
};

extern const struct store_backend store_sqlite;
extern const struct store_backend store_postgres;

struct store_tx {
	struct store *st;
	void *conn;
	bool is_write;
};

/* The row of schema_migrations that says f was applied. */
int store_record_migration(struct store_tx *tx, const struct embed_file *f, int version,
                           int64_t now_ms);

#endif
