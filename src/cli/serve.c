/*
 * The server's lifecycle: the store opened and migrated, the first admin (or the demo), the
 * workers and the HTTP server started, and everything stopped in order on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/token.h"
#include "demo.h"
#include "http/http.h"
#include "inbox/inbox.h"
#include "media/media.h"
#include "webhooks/webhooks.h"

void cli_make_parent_dir(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		log_warn("cannot create directory %s: %s", dir, strerror(errno));
}

/* Why the folder holding path cannot be written, or NULL: SQLite writes the -wal and -shm
 * files beside the database, so a read-only folder fails every start. */
static const char *unwritable_dir(const char *path, char *dir, size_t size)
{
	snprintf(dir, size, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return access(dir, W_OK) == 0 ? NULL : strerror(errno);
}

int cli_open_store(struct config *c, int pool, bool may_create, struct store **st)
{
	struct error e;
	const char *path = config_sqlite_path(c);
	*st = NULL;
	if (path != NULL && !may_create && access(path, F_OK) != 0)
		return cli_refuse("no database at %s (from --db, CENTRALITA_DB or the default "
		                  "sqlite:./var/centralita.db): give --db, or create it with "
		                  "'centralita migrate'",
		                  path);
	if (path != NULL && may_create)
		cli_make_parent_dir(path);
	char dir[1024];
	const char *why = path != NULL ? unwritable_dir(path, dir, sizeof(dir)) : NULL;
	if (why != NULL)
		return cli_refuse(
		    "cannot write in %s, the database's folder (%s): the server writes "
		    "the database and its -wal and -shm files there; give its user "
		    "write access (chown or chmod, or ReadWritePaths=%s under systemd)",
		    dir, why, dir);
	if (store_open(c->db, pool, c->busy_timeout_ms, st, &e) < 0)
		return cli_refuse("%s", e.message);
	int applied;
	if (store_migrate(*st, &applied, &e) < 0) {
		store_close(*st);
		*st = NULL;
		return cli_refuse("%s", e.message);
	}
	return 0;
}

int cli_open_key(const struct config *c, struct store *st, bool start_over, struct seal **out)
{
	struct error e;
	cli_make_parent_dir(c->secret_key_file);
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	int rc = tx ? secret_key_open(tx, c->secret_key_file, start_over, clock_now_ms(), out, &e)
	            : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (rc == 0 && (rc = store_commit(tx)) < 0) {
		error_set(&e, rc, "cannot record the secret key's fingerprint");
		seal_free(*out);
		*out = NULL;
	} else if (rc < 0) {
		store_rollback(tx);
	}
	return rc < 0 ? cli_refuse("%s", e.message) : 0;
}

/* On the first start (no active admin yet): the first admin, from the environment or with a
 * random password. */
static int bootstrap_admin(struct store *st)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	int64_t admins = 0;
	struct error e;
	int rc = tx ? user_count_admins(tx, CLI_ACCOUNT_ID, &admins, &e)
	            : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	store_rollback(tx);
	if (rc < 0)
		return cli_fail("%s", e.message);
	if (admins > 0)
		return 0;
	const char *email = getenv("CENTRALITA_ADMIN_EMAIL");
	const char *password = getenv("CENTRALITA_ADMIN_PASSWORD");
	char generated[TOKEN_TEXT_LEN] = "";
	if (email == NULL || email[0] == '\0')
		email = "admin@example.com";
	if (password == NULL || password[0] == '\0') {
		token_generate(generated);
		generated[16] = '\0';
		password = generated;
	}
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(password, hash, &e) < 0)
		return cli_fail("CENTRALITA_ADMIN_PASSWORD: %s", e.message);
	struct user_changes in = { .email = email,
		                   .name = "Admin",
		                   .role = "admin",
		                   .password_hash = hash,
		                   .is_active = 1 };
	struct user u;
	tx = store_begin(st, STORE_WRITE);
	rc = tx ? user_create(tx, CLI_ACCOUNT_ID, &in, clock_now_ms(), &u, &e) : ERR_UNAVAILABLE;
	if (rc == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc < 0)
		return cli_fail("cannot create the first admin: %s", e.message);
	printf("First start: created the admin account.\n  e-mail:   %s\n", u.email);
	if (generated[0] != '\0')
		printf("  password: %s   (shown once: change it after logging in)\n", generated);
	fflush(stdout);
	return 0;
}

/* *told (to free) gets what the demo's creation has to say, the passwords: printed after the
 * server says it listens, so that they are the last lines and do not scroll away. */
static int seed_demo(struct store *st, const struct seal *seal, const struct config *c, char **told)
{
	struct error e;
	size_t len = 0;
	FILE *out = open_memstream(told, &len);
	if (out == NULL)
		return cli_fail("cannot create the demo account: out of memory");
	int rc = demo_seed(st, seal, CLI_ACCOUNT_ID, c, out, &e);
	fclose(out);
	if (rc < 0)
		return cli_fail("cannot create the demo account: %s", e.message);
	return 0;
}

/* Without --public-url (or its environment), the server is where it listens: a wildcard
 * address is reached on loopback from this machine. */
static void default_public_url(struct config *c, int listener)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	if (c->is_public_url_given || getsockname(listener, (struct sockaddr *)&sa, &len) != 0)
		return;
	int port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
	                                    : ntohs(((struct sockaddr_in *)&sa)->sin_port);
	const char *host = c->listen_host;
	bool is_v6 = strchr(host, ':') != NULL;
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		host = is_v6 ? "::1" : "127.0.0.1";
	snprintf(c->public_url, sizeof(c->public_url), "http://%s%s%s:%d", is_v6 ? "[" : "", host,
	         is_v6 ? "]" : "", port);
}

static int record_public_url(struct store *st, const struct config *c)
{
	struct error e;
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	int rc = tx != NULL ? public_url_record(tx, c->public_url, clock_now_ms(), &e)
	                    : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (tx != NULL)
		rc = rc == 0 ? store_commit(tx) : (store_rollback(tx), rc);
	return rc < 0 ? cli_fail("cannot record the public URL: %s", e.message) : 0;
}

/* Stops what started (each stop takes NULL), the last started first, then the store and key. */
static void stop_workers(struct app *app, struct seal *seal)
{
	pool_stop(app->hashing);
	if (app->events != NULL)
		events_hub_listen(app->events, NULL, NULL);
	webhook_sender_stop(app->webhooks);
	events_hub_stop(app->events);
	poller_stop(app->poller);
	scheduler_stop(app->scheduler);
	outbox_worker_stop(app->outbox);
	file_store_close(app->files);
	store_close(app->store);
	seal_free(seal);
}

void cli_files_dir(struct config *c)
{
	const char *db = config_sqlite_path(c);
	const char *slash = db != NULL ? strrchr(db, '/') : NULL;
	if (c->files_dir[0] != '\0')
		return;
	if (db == NULL)
		snprintf(c->files_dir, sizeof(c->files_dir), "./var/files");
	else if (slash == NULL)
		snprintf(c->files_dir, sizeof(c->files_dir), "files");
	else
		snprintf(c->files_dir, sizeof(c->files_dir), "%.*s/files", (int)(slash - db), db);
}

void cli_release_database(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int open_files(struct config *c, struct file_store **out, struct error *e)
{
	cli_files_dir(c);
	cli_make_parent_dir(c->files_dir);
	return file_store_open_dir(c->files_dir, out, e);
}

int cli_hold_database(const char *path, bool is_exclusive, int *fd)
{
	*fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path == NULL)
		return 0;
	if (*fd < 0)
		return cli_refuse("cannot open %s: %s", path, strerror(errno));
	if (flock(*fd, (is_exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	int failed = errno;
	close(*fd);
	*fd = -1;
	if (failed != EWOULDBLOCK)
		return cli_refuse("cannot lock %s: %s", path, strerror(failed));
	if (is_exclusive)
		return cli_refuse(
		    "the database %s is in use by a running server: stop it first "
		    "(systemctl stop centralita), so that nothing it writes is left behind",
		    path);
	return cli_refuse(
	    "the database %s is being copied (centralita copy): start the server once "
	    "the copy is done",
	    path);
}

/* GET /metrics's bearer token, hashed into out ("" when the setting is not given): the first
 * line of the file, kept from group and others as the key is. 0, or the exit status after
 * saying why not (CLI_EXIT_REFUSED). */
static int read_metrics_token(const struct config *c, char out[TOKEN_HASH_LEN])
{
	const char *path = c->metrics_token_file;
	char line[512];
	struct stat st;
	out[0] = '\0';
	if (path[0] == '\0')
		return 0;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return cli_refuse("--metrics-token-file: cannot read %s: %s", path,
		                  strerror(errno));
	int rc = 0;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		rc = cli_refuse(
		    "the metrics token file %s is open to its group or others (mode %04o):"
		    " chmod 600 %s",
		    path, (unsigned int)(st.st_mode & 07777), path);
	else if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	if (rc != 0)
		return rc;
	size_t len = strcspn(line, "\r\n");
	if (len < 16 || len > 256)
		rc = cli_refuse("the metrics token in %s must be 16 to 256 characters on its first"
		                " line (openssl rand -hex 32 makes one)",
		                path);
	else
		token_hash(line, len, out);
	sodium_memzero(line, sizeof(line));
	return rc;
}

int cli_serve(const struct command *cmd, struct config *c, char **pos)
{
	struct store *st = NULL;
	struct seal *seal = NULL;
	char *demo_told = NULL;
	struct error e;
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int threads = c->threads > 0 ? c->threads : cores;
	int hashers = c->hash_threads > 0 ? c->hash_threads : cores / 4 > 0 ? cores / 4 : 1;
	/* Everything that can refuse the start comes before anything is written: a taken port
	 * leaves a new database without an admin printed to nobody. */
	bool start_over = cli_flag(cmd, "new-secret-key") != NULL;
	char metrics_token_hash[TOKEN_HASH_LEN];
	int rc = read_metrics_token(c, metrics_token_hash);
	int held = -1; /* the database file's lock, released after the store is closed */
	if (rc == 0)
		rc = cli_open_store(c, threads + hashers + 4, true, &st);
	if (rc == 0)
		rc = cli_hold_database(config_sqlite_path(c), false, &held);
	if (rc == 0)
		rc = cli_open_key(c, st, start_over, &seal);
	int listener = rc == 0 ? http_listen(c, &e) : -1;
	if (rc == 0 && listener < 0)
		rc = cli_refuse("%s", e.message);
	if (rc == 0)
		default_public_url(c, listener);
	if (rc == 0 &&
	    (record_public_url(st, c) != 0 ||
	     (c->is_demo && seed_demo(st, seal, c, &demo_told) != 0) || bootstrap_admin(st) != 0))
		rc = 1;
	if (rc != 0) {
		free(demo_told);
		if (listener >= 0)
			close(listener);
		store_close(st);
		seal_free(seal);
		cli_release_database(held);
		return rc;
	}
	/* Block the stop signals in every thread; this one waits for them below. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct app app = { .store = st, .config = c, .seal = seal };
	memcpy(app.metrics_token_hash, metrics_token_hash, sizeof(app.metrics_token_hash));
	struct media_fetcher fetcher = { .store = st, .seal = seal, .config = c };
	struct template_syncer syncer = { .st = st, .seal = seal, .config = c };
	/* The timers the scheduler runs: work at due times kept in the database; the last field
	 * says the job may run on every server at once (it claims its work), else one runs it. */
	const struct scheduler_job timers[] = {
		{ "snooze", conversation_snooze_next_end, conversation_wake_snoozed, NULL, NULL,
		  false },
		{ "media", media_fetch_next_due, NULL, media_fetch_work, &fetcher, true },
		{ "business hours", business_hours_next_due, business_hours_open_queues, NULL, NULL,
		  false },
		{ "reassignment", targets_next_reassignment, targets_reassign_due, NULL, NULL,
		  false },
		{ "webhook retries", webhook_retry_next_due, webhook_retry_run, NULL, NULL, false },
		{ "templates", template_sync_next_due, NULL, template_sync_due, &syncer, true },
		{ "login throttle", auth_throttle_next_prune, auth_throttle_prune, NULL, NULL,
		  false },
	};
	token_generate(fetcher.owner);
	rc = open_files(c, &app.files, &e);
	fetcher.files = app.files;
	/* A few logins wait for each hashing thread (a fraction of a second); more get 503. */
	app.hashing = rc == 0 ? pool_start(hashers, 4 * hashers, &e) : NULL;
	app.outbox = app.hashing ? outbox_worker_start(st, seal, c, app.files, &e) : NULL;
	app.scheduler =
	    app.outbox ? scheduler_start(st, timers, sizeof(timers) / sizeof(timers[0]), &e) : NULL;
	app.poller =
	    app.scheduler ? poller_start(st, seal, c, app.outbox, app.scheduler, &e) : NULL;
	app.events = app.poller ? events_hub_start(st, c, &e) : NULL;
	app.webhooks = app.events ? webhook_sender_start(st, seal, c, app.scheduler, &e) : NULL;
	if (app.webhooks != NULL)
		events_hub_listen(app.events, webhook_sender_wake, app.webhooks);
	struct http_server *srv = NULL;
	if (app.webhooks != NULL)
		srv = http_server_start(&app, &http_routes, listener, &e);
	else
		close(listener);
	if (srv == NULL) {
		free(demo_told);
		stop_workers(&app, seal);
		cli_release_database(held);
		return cli_fail("%s", e.message);
	}
	printf("Centralita %s listening on http://%s:%d\n%s", CENTRALITA_VERSION, c->listen_host,
	       http_server_port(srv), demo_told != NULL ? demo_told : "");
	free(demo_told);
	fflush(stdout);
	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	log_info("received %s: no longer accepting; finishing requests in flight (at most %d ms)",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT", c->drain_timeout_ms);
	http_server_stop(srv, c->drain_timeout_ms);
	stop_workers(&app, seal);
	cli_release_database(held);
	log_info("stopped");
	return 0;
}

int cli_migrate(const struct command *cmd, struct config *c, char **pos)
{
	struct store *st;
	struct error e;
	int version;
	int rc = cli_open_store(c, 2, true, &st);
	if (rc != 0)
		return rc;
	rc = store_schema_version(st, &version, &e);
	store_close(st);
	if (rc < 0)
		return cli_fail("%s", e.message);
	printf("database at schema version %d\n", version);
	return 0;
}
