/*
 * The PostgreSQL back end of the store (backend.h), on libpq: a prepared-statement cache per
 * connection, integers sent as int8 and text left for the server to type from its context,
 * results read as text. A connection found lost is re-established before the next
 * transaction; the statement that met it fails with ERR_UNAVAILABLE and its transaction is
 * gone whole. Knows nothing of the tables it stores.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "store/backend.h"

#define STMT_CACHE 64
/* From PostgreSQL's catalog (pg_type.dat), whose header libpq-dev does not ship. */
#define INT8OID 20
#define TEXTOID 25

extern const struct embed_file embed_migrations_postgres[];

struct cached_stmt {
	const char *key; /* the caller's SQL pointer; the text is compared too */
	char *sql;
	int nparams; /* the highest $N in it */
};

struct conn {
	PGconn *pg;
	char setup[160]; /* the SET statements run on every new session */
	struct cached_stmt cache[STMT_CACHE];
	int cache_len;
};

struct rows {
	struct store_rows base;
	PGresult *res;
	int row, nrows;
};

/* SQLSTATE classes and codes (PostgreSQL's errcodes appendix) to the store's errors. */
static int map_error(PGconn *pg, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(pg) != CONNECTION_OK || state == NULL)
		return ERR_UNAVAILABLE;
	if (strncmp(state, "23", 2) == 0) /* integrity constraint violation */
		return ERR_CONFLICT;
	if (strncmp(state, "08", 2) == 0 ||  /* connection exception */
	    strncmp(state, "53", 2) == 0 ||  /* insufficient resources: disk full, memory */
	    strncmp(state, "57P", 3) == 0 || /* the server shutting down */
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || /* retry */
	    strcmp(state, "55P03") == 0)                                  /* lock_timeout */
		return ERR_UNAVAILABLE;
	return ERR_INTERNAL;
}

/* Logs a failure but never a value: data exceptions (class 22) quote them, so only their
 * code is logged; a conflict is the caller's to word. */
static int report(PGconn *pg, const PGresult *res, const char *sql)
{
	int err = map_error(pg, res);
	if (err == ERR_CONFLICT)
		return err;
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (state != NULL && strncmp(state, "22", 2) == 0)
		msg = "a value was refused";
	if (msg == NULL)
		msg = PQerrorMessage(pg);
	log_error("postgres: %s (%s) in: %.120s", msg, state ? state : "no state", sql);
	metrics_count(METRICS_STORE_ERRORS, NULL);
	return err;
}

static int exec_plain(struct conn *c, const char *sql)
{
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType s = PQresultStatus(res);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : report(c->pg, res, sql);
	PQclear(res);
	return rc;
}

static void forget_statements(struct conn *c)
{
	for (int i = 0; i < c->cache_len; i++)
		free(c->cache[i].sql);
	c->cache_len = 0;
}

static void close_conn(void *conn)
{
	struct conn *c = conn;
	forget_statements(c);
	PQfinish(c->pg);
	free(c);
}

static void ignore_notice(void *arg, const char *message)
{
}

/* What every new session needs: notices (CREATE … IF NOT EXISTS) kept out of the log, a
 * write that waits for another's lock failing after busy_timeout_ms, as on SQLite, and the
 * store's id, which the events' trigger sends in its notifications (0036). */
static int set_up_session(struct conn *c)
{
	PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
	return exec_plain(c, c->setup);
}

/* A new connection to url; the URL's own settings (expanded from dbname) override these
 * defaults. TCP keepalives find a connection a firewall dropped silently within a minute and a
 * half, the listening one above all, which would otherwise stay deaf for the kernel's two hours.
 * The leaders' (is_lock) also gives up on a silent server after 10 s (tcp_user_timeout) rather
 * than the kernel's quarter of an hour, so a leader cut off from the database stops believing
 * it leads about when the database lets another take over. */
static PGconn *connect_to(const char *url, bool is_lock)
{
	const char *const keys[] = { "connect_timeout",
		                     "application_name",
		                     "gssencmode",
		                     "keepalives_idle",
		                     "keepalives_interval",
		                     "keepalives_count",
		                     "tcp_user_timeout",
		                     "dbname",
		                     NULL };
	const char *const values[] = {
		"10", "centralita", "disable", "60", "10", "3", is_lock ? "10000" : "0", url, NULL
	};
	return PQconnectdbParams(keys, values, 1);
}

static struct conn *open_session(const char *url, const char *server_id, int busy_timeout_ms,
                                 bool is_lock, struct error *e)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	snprintf(c->setup, sizeof(c->setup),
	         "SET lock_timeout = %d; SET client_min_messages = warning;"
	         " SET centralita.server = '%s'",
	         busy_timeout_ms, server_id);
	c->pg = connect_to(url, is_lock);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		/* libpq's message names the host and the database, never the password. */
		const char *why = c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory";
		error_set(e, ERR_UNAVAILABLE, "cannot connect to PostgreSQL: %.200s", why);
		goto fail;
	}
	if (set_up_session(c) < 0) {
		error_set(e, ERR_UNAVAILABLE, "cannot set up the PostgreSQL session");
		goto fail;
	}
	return c;
fail:
	close_conn(c);
	return NULL;
}

static void *open_conn(const char *url, const char *server_id, int busy_timeout_ms, bool is_group,
                       struct error *e)
{
	return open_session(url, server_id, busy_timeout_ms, false, e);
}

/* A lost connection is made again (its prepared statements are gone with it). */
static int ensure_connected(struct conn *c)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		return 0;
	forget_statements(c);
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK || set_up_session(c) < 0) {
		log_error("postgres: cannot reconnect: %s", PQerrorMessage(c->pg));
		return ERR_UNAVAILABLE;
	}
	log_info("postgres: reconnected");
	return 0;
}

/*
 * A write runs under store.c's write lock, so READ COMMITTED sees what SQLite's single
 * writer would; a read sees one snapshot throughout, as a SQLite read transaction does.
 */
static int begin(void *conn, bool is_write)
{
	struct conn *c = conn;
	const char *sql = is_write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ";
	int rc = ensure_connected(c);
	if (rc == 0)
		rc = exec_plain(c, sql);
	/* A connection that died while idle is found only now: once more on a new one. */
	if (rc < 0 && PQstatus(c->pg) != CONNECTION_OK && ensure_connected(c) == 0)
		rc = exec_plain(c, sql);
	return rc;
}

static bool is_tx_lost(void *conn)
{
	struct conn *c = conn;
	PGTransactionStatusType s = PQtransactionStatus(c->pg);
	return PQstatus(c->pg) != CONNECTION_OK || s == PQTRANS_IDLE || s == PQTRANS_UNKNOWN;
}

static void rollback(void *conn)
{
	struct conn *c = conn;
	if (!is_tx_lost(c))
		exec_plain(c, "ROLLBACK");
}

/* PostgreSQL answers COMMIT of a failed transaction by rolling it back without an error;
 * here that is an error, as the caller went on after a failure it should have undone. */
static int commit(void *conn)
{
	struct conn *c = conn;
	if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
		log_error("postgres: commit of a transaction that had failed: rolled back");
		rollback(c);
		return ERR_INTERNAL;
	}
	int rc = exec_plain(c, "COMMIT");
	if (rc < 0)
		rollback(c);
	return rc;
}

static int savepoint(void *conn)
{
	return exec_plain(conn, "SAVEPOINT job");
}

static int savepoint_end(void *conn, bool keep)
{
	int rc = keep ? 0 : exec_plain(conn, "ROLLBACK TO SAVEPOINT job");
	return rc < 0 ? rc : exec_plain(conn, "RELEASE SAVEPOINT job");
}

/*
 * SQLite's spelling of what PostgreSQL spells otherwise, rewritten here so that callers
 * write one statement (store.h): json_object(k, v, …) is json_build_object (both keep the
 * keys' order). A new copy of sql, to free.
 */
static char *rewrite(const char *sql)
{
	static const char from[] = "json_object(", to[] = "json_build_object(";
	struct buf b = { 0 };
	const char *p = sql;
	for (const char *q; (q = strstr(p, from)) != NULL; p = q + strlen(from)) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, to);
	}
	buf_puts(&b, p);
	return buf_take(&b);
}

/* The highest $N in sql, marking each N that appears in used[N - 1] (up to nargs). A $ in a
 * string literal is never followed by digits in our SQL. */
static int scan_params(const char *sql, bool *used, int nargs)
{
	int highest = 0;
	for (const char *p = strchr(sql, '$'); p != NULL; p = strchr(p + 1, '$')) {
		int n = atoi(p + 1);
		if (n > highest)
			highest = n;
		if (n >= 1 && n <= nargs)
			used[n - 1] = true;
	}
	return highest;
}

/*
 * The name of sql's prepared statement on c ("" for none: the cache is full), preparing it
 * the first time. Integers are int8 and text is text; a NULL is left for the server to
 * type from its context, unless the statement does not use it (PostgreSQL refuses a
 * parameter it cannot type): a caller may hand every statement of a family the same values.
 */
static int prepare(struct conn *c, const char *sql, const struct store_value *args, int nargs,
                   char name[16])
{
	int nparams = -1;
	for (int i = 0; i < c->cache_len && nparams < 0; i++) {
		if (c->cache[i].key == sql && strcmp(c->cache[i].sql, sql) == 0) {
			snprintf(name, 16, "s%d", i);
			nparams = c->cache[i].nparams;
		}
	}
	bool *used = xcalloc((size_t)nargs + 1, sizeof(*used));
	Oid *types = xcalloc((size_t)nargs + 1, sizeof(*types));
	int rc = 0;
	if (nparams < 0)
		nparams = scan_params(sql, used, nargs);
	if (nparams > nargs) {
		log_error("postgres: parameter $%d has no value in: %.120s", nparams, sql);
		rc = ERR_INTERNAL;
	}
	if (rc < 0 || name[0] != '\0')
		goto out;
	for (int i = 0; i < nargs; i++)
		types[i] = args[i].type == STORE_INT    ? INT8OID
		           : args[i].type == STORE_TEXT ? TEXTOID
		           : used[i]                    ? 0
		                                        : TEXTOID;
	if (c->cache_len < STMT_CACHE)
		snprintf(name, 16, "s%d", c->cache_len);
	char *text = rewrite(sql);
	PGresult *res = PQprepare(c->pg, name, text, nargs, types);
	free(text);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : report(c->pg, res, sql);
	PQclear(res);
	if (rc == 0 && name[0] != '\0')
		c->cache[c->cache_len++] =
		    (struct cached_stmt){ .key = sql, .sql = xstrdup(sql), .nparams = nparams };
out:
	free(used);
	free(types);
	return rc;
}

static int query(void *conn, const char *sql, const struct store_value *args, int nargs,
                 struct store_rows **rows)
{
	struct conn *c = conn;
	const char **values = xcalloc((size_t)nargs + 1, sizeof(*values));
	char(*ints)[24] = xcalloc((size_t)nargs + 1, sizeof(*ints));
	for (int i = 0; i < nargs; i++) {
		if (args[i].type == STORE_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)args[i].i);
			values[i] = ints[i];
		} else if (args[i].type == STORE_TEXT) {
			values[i] = args[i].s;
		}
	}
	char name[16] = "";
	int rc = prepare(c, sql, args, nargs, name);
	PGresult *res = NULL;
	if (rc == 0) {
		res = PQexecPrepared(c->pg, name, nargs, values, NULL, NULL, 0);
		ExecStatusType s = PQresultStatus(res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
			rc = report(c->pg, res, sql);
	}
	/* An unnamed statement lasts only until the next one: nothing to free. */
	free(values);
	free(ints);
	if (rc < 0) {
		PQclear(res);
		return rc;
	}
	struct rows *r = xcalloc(1, sizeof(*r));
	*r = (struct rows){
		.base.be = &store_postgres, .res = res, .row = -1, .nrows = PQntuples(res)
	};
	*rows = &r->base;
	return 0;
}

static int next(struct store_rows *rows)
{
	struct rows *r = (struct rows *)rows;
	if (r->row + 1 >= r->nrows)
		return 0;
	r->row++;
	return 1;
}

static bool is_null(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	return PQgetisnull(r->res, r->row, col) != 0;
}

/* Booleans come as t and f: 1 and 0, as SQLite has them. */
static int64_t get_int(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	const char *v = PQgetvalue(r->res, r->row, col);
	if (v[0] == 't' || v[0] == 'f')
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static const char *text(struct store_rows *rows, int col)
{
	struct rows *r = (struct rows *)rows;
	return PQgetvalue(r->res, r->row, col);
}

static int changes(struct store_rows *rows)
{
	return atoi(PQcmdTuples(((struct rows *)rows)->res));
}

static void rows_free(struct store_rows *rows)
{
	struct rows *r = (struct rows *)rows;
	PQclear(r->res);
	free(r);
}

/* The whole file in one simple-protocol exchange (several statements), in a transaction
 * with the row that records it: DDL is transactional in PostgreSQL. */
static int apply(struct store_tx *tx, const struct embed_file *f, int version, int64_t now_ms)
{
	struct conn *c = tx->conn;
	int rc = begin(c, true);
	if (rc < 0)
		return rc;
	rc = exec_plain(c, f->data);
	if (rc == 0)
		rc = store_record_migration(tx, f, version, now_ms);
	/* Statements prepared before may name what the migration changed. */
	if (rc == 0)
		rc = exec_plain(c, "COMMIT; DEALLOCATE ALL");
	if (rc < 0)
		rollback(c);
	forget_statements(c);
	return rc;
}

/*
 * Listening for the other servers (store_listen): a thread on a connection of its own, in
 * LISTEN on the channel the events' trigger notifies (0036), that waits in poll() for its
 * socket or for the pipe that asks it to end. A notification whose payload is another id than
 * this store's wakes fn; a lost connection is made again every LISTEN_RETRY_MS, then wakes fn
 * once, for whatever was sent while it was down.
 */
#define LISTEN_CHANNEL  "centralita_events"
#define LISTEN_RETRY_MS 1000

struct listener {
	PGconn *pg;
	bool is_lost; /* the thread's, once started */
	char server_id[64];
	void (*fn)(void *arg);
	void *arg;
	int stop[2]; /* a pipe: readable once listen_stop wants the thread to end */
	pthread_t thread;
};

static bool listen_on(PGconn *pg)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return false;
	PQsetNoticeProcessor(pg, ignore_notice, NULL);
	PGresult *res = PQexec(pg, "LISTEN " LISTEN_CHANNEL);
	bool is_ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return is_ok;
}

/* Waits up to ms (-1: for ever) for the socket fd (-1: none) or the stop pipe: false once
 * the thread must end. */
static bool listen_wait(struct listener *l, int fd, int ms, bool *is_readable)
{
	struct pollfd fds[2] = { { .fd = l->stop[0], .events = POLLIN },
		                 { .fd = fd, .events = POLLIN } };
	*is_readable = false;
	int n = poll(fds, fd >= 0 ? 2 : 1, ms);
	if (n < 0 && errno != EINTR) {
		log_error("postgres: cannot wait for notifications: %s", strerror(errno));
		return false;
	}
	if (n > 0 && fds[0].revents != 0)
		return false;
	*is_readable = n > 0 && fds[1].revents != 0;
	return true;
}

/* Reads what arrived: whether another server sent anything; false when the connection is
 * lost. */
static bool listen_read(struct listener *l, bool *is_woken)
{
	if (PQconsumeInput(l->pg) == 0 || PQstatus(l->pg) != CONNECTION_OK)
		return false;
	for (PGnotify *n; (n = PQnotifies(l->pg)) != NULL; PQfreemem(n))
		*is_woken = *is_woken || strcmp(n->extra, l->server_id) != 0;
	return true;
}

static void *listen_run(void *arg)
{
	struct listener *l = arg;
	bool is_readable;
	for (;;) {
		if (l->is_lost) {
			if (!listen_wait(l, -1, LISTEN_RETRY_MS, &is_readable))
				break;
			PQreset(l->pg);
			if (!listen_on(l->pg))
				continue;
			l->is_lost = false;
			log_info("postgres: listening for the other servers again");
			l->fn(l->arg);
			continue;
		}
		int fd = PQsocket(l->pg);
		if (!listen_wait(l, fd, -1, &is_readable))
			break;
		bool is_woken = false;
		if (fd < 0 || (is_readable && !listen_read(l, &is_woken))) {
			log_error("postgres: the connection that listens for the other servers was"
			          " lost; reconnecting");
			l->is_lost = true;
		}
		if (is_woken)
			l->fn(l->arg);
	}
	return NULL;
}

static void listener_free(struct listener *l)
{
	PQfinish(l->pg);
	for (int i = 0; i < 2; i++)
		if (l->stop[i] >= 0)
			close(l->stop[i]);
	free(l);
}

static void *listen_start(const char *url, const char *server_id, void (*fn)(void *arg), void *arg)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	snprintf(l->server_id, sizeof(l->server_id), "%s", server_id);
	l->fn = fn;
	l->arg = arg;
	l->stop[0] = l->stop[1] = -1;
	if (pipe(l->stop) != 0 || fcntl(l->stop[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(l->stop[1], F_SETFD, FD_CLOEXEC) != 0)
		goto fail;
	if ((l->pg = connect_to(url, false)) == NULL)
		goto fail;
	/* Listening before the return, so that every commit after it is heard; a connection
	 * refused now is tried again on the thread. */
	if ((l->is_lost = !listen_on(l->pg)))
		log_error("postgres: cannot listen for the other servers: %s; trying again",
		          PQerrorMessage(l->pg));
	if (thread_start(&l->thread, "store-listen", listen_run, l) != 0)
		goto fail;
	return l;
fail:
	log_error("postgres: cannot start listening for the other servers");
	listener_free(l);
	return NULL;
}

static void listen_stop(void *listener)
{
	struct listener *l = listener;
	while (write(l->stop[1], "", 1) < 0 && errno == EINTR)
		;
	pthread_join(l->thread, NULL);
	listener_free(l);
}

/* Several servers: the leaders' session advisory locks, keyed (LEADER_SPACE, a hash of the
 * name), and the claims' transaction locks. Two 32-bit keys never meet the events' one 64-bit
 * key (0030), whatever their values. */

#define LEADER_SPACE 0x4c454144 /* 'LEAD' */

/* FNV-1a: a name's key (two names sharing one would be led by one server together). */
static int64_t name_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return (int64_t)(h & 0x7fffffff);
}

/* The first column of sql's one row as 1/0 (t/f); negative enum err on failure. */
static int get_bool(struct conn *c, const char *sql, int64_t space, int64_t key)
{
	struct store_rows *r;
	int rc = query(c, sql, STORE_ARGS(SV_INT(space), SV_INT(key)), &r);
	if (rc < 0)
		return rc;
	rc = next(r) == 1 ? (int)get_int(r, 0) : ERR_INTERNAL;
	rows_free(r);
	return rc;
}

/* The leaders' session: when it ends the database lets go of its locks. A dead peer is found
 * by the database within about 11 s (keepalives: 5 s idle, then 3 probes 2 s apart), and a
 * killed server at once (its socket closes). */
static void *lock_connect(const char *url, const char *server_id, struct error *e)
{
	struct conn *c = open_session(url, server_id, 0, true, e);
	if (c != NULL && exec_plain(c, "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval"
	                               " = 2; SET tcp_keepalives_count = 3") < 0) {
		close_conn(c);
		error_set(e, ERR_UNAVAILABLE, "cannot set up the leaders' PostgreSQL session");
		return NULL;
	}
	return c;
}

static int lock_take(void *conn, const char *name)
{
	return get_bool(conn,
	                "SELECT pg_try_advisory_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))",
	                LEADER_SPACE, name_key(name));
}

static int lock_check(void *conn)
{
	return exec_plain(conn, "SELECT 1");
}

static void lock_release(void *conn, const char *name)
{
	get_bool(conn, "SELECT pg_advisory_unlock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))",
	         LEADER_SPACE, name_key(name));
}

static int tx_try_lock(void *conn, int32_t space, int64_t id)
{
	return get_bool(
	    conn, "SELECT pg_try_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))",
	    space, id & 0x7fffffff);
}

const struct store_backend store_postgres = {
	.dialect = STORE_POSTGRES,
	.migrations = embed_migrations_postgres,
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
	.listen_start = listen_start,
	.listen_stop = listen_stop,
	.lock_connect = lock_connect,
	.lock_take = lock_take,
	.lock_check = lock_check,
	.lock_release = lock_release,
	.tx_try_lock = tx_try_lock,
};
