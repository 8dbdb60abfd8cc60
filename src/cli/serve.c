/*
 * The server's lifecycle: the store opened and migrated, the first admin (or the demo), the
 * workers and the HTTP server started, and everything stopped in order on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int cli_open_store(struct config *c, int pool, struct store **st)
{
	struct error e;
	const char *path = config_sqlite_path(c);
	if (path != NULL)
		cli_make_parent_dir(path);
	if (store_open(c->db, pool, c->busy_timeout_ms, st, &e) < 0)
		return cli_fail("%s", e.message);
	int applied;
	if (store_migrate(*st, &applied, &e) < 0) {
		store_close(*st);
		*st = NULL;
		return cli_fail("%s", e.message);
	}
	return 0;
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
	int rc = demo_seed(st, seal, CLI_ACCOUNT_ID, c->public_url, out, &e);
	fclose(out);
	if (rc < 0)
		return cli_fail("cannot create the demo account: %s", e.message);
	return 0;
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

/* The file store: the configured folder, or "files" beside the SQLite database. */
static int open_files(struct config *c, struct file_store **out, struct error *e)
{
	const char *db = config_sqlite_path(c);
	if (c->files_dir[0] == '\0') {
		const char *slash = db != NULL ? strrchr(db, '/') : NULL;
		if (db == NULL)
			snprintf(c->files_dir, sizeof(c->files_dir), "./var/files");
		else if (slash == NULL)
			snprintf(c->files_dir, sizeof(c->files_dir), "files");
		else
			snprintf(c->files_dir, sizeof(c->files_dir), "%.*s/files",
			         (int)(slash - db), db);
	}
	cli_make_parent_dir(c->files_dir);
	return file_store_open_dir(c->files_dir, out, e);
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
	cli_make_parent_dir(c->secret_key_file);
	if (seal_open(c->secret_key_file, &seal, &e) < 0)
		return cli_fail("%s", e.message);
	if (cli_open_store(c, threads + hashers + 4, &st) != 0 ||
	    (c->is_demo && seed_demo(st, seal, c, &demo_told) != 0) || bootstrap_admin(st) != 0) {
		free(demo_told);
		store_close(st);
		seal_free(seal);
		return 1;
	}
	/* Block the stop signals in every thread; this one waits for them below. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct app app = { .store = st, .config = c, .seal = seal };
	struct media_fetcher fetcher = { .store = st, .seal = seal, .config = c };
	/* The timers the scheduler runs: work at due times kept in the database. */
	const struct scheduler_job timers[] = {
		{ "snooze", conversation_snooze_next_end, conversation_wake_snoozed, NULL, NULL },
		{ "media", media_fetch_next_due, NULL, media_fetch_work, &fetcher },
		{ "webhook retries", webhook_retry_next_due, webhook_retry_run, NULL, NULL },
	};
	token_generate(fetcher.owner);
	int rc = open_files(c, &app.files, &e);
	fetcher.files = app.files;
	/* A few logins wait for each hashing thread (a fraction of a second); more get 503. */
	app.hashing = rc == 0 ? pool_start(hashers, 4 * hashers, &e) : NULL;
	app.outbox = app.hashing ? outbox_worker_start(st, seal, c, &e) : NULL;
	app.scheduler =
	    app.outbox ? scheduler_start(st, timers, sizeof(timers) / sizeof(timers[0]), &e) : NULL;
	app.poller =
	    app.scheduler ? poller_start(st, seal, c, app.outbox, app.scheduler, &e) : NULL;
	app.events = app.poller ? events_hub_start(st, c, &e) : NULL;
	app.webhooks = app.events ? webhook_sender_start(st, seal, c, app.scheduler, &e) : NULL;
	if (app.webhooks != NULL)
		events_hub_listen(app.events, webhook_sender_wake, app.webhooks);
	struct http_server *srv = app.webhooks ? http_server_start(&app, http_route, &e) : NULL;
	if (srv == NULL) {
		free(demo_told);
		stop_workers(&app, seal);
		return cli_fail("%s", e.message);
	}
	printf("Centralita %s listening on http://%s:%d\n%s", CENTRALITA_VERSION, c->listen_host,
	       http_server_port(srv), demo_told != NULL ? demo_told : "");
	free(demo_told);
	fflush(stdout);
	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	log_info("received %s: finishing requests in flight",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_server_stop(srv, 10000);
	stop_workers(&app, seal);
	log_info("stopped");
	return 0;
}

int cli_migrate(const struct command *cmd, struct config *c, char **pos)
{
	struct store *st;
	struct error e;
	int version;
	if (cli_open_store(c, 2, &st) != 0)
		return 1;
	int rc = store_schema_version(st, &version, &e);
	store_close(st);
	if (rc < 0)
		return cli_fail("%s", e.message);
	printf("database at schema version %d\n", version);
	return 0;
}
