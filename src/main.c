/*
 * centralita: the command line. Parses the sub-command and its flags (defaults, then
 * CENTRALITA_* environment, then flags), then calls into the modules. Exit status 2 for
 * usage errors, 1 for failures, 0 for success.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/seal.h"
#include "core/token.h"
#include "demo.h"
#include "http/http.h"
#include "inbox/inbox.h"
#include "simulate.h"
#include "store/store.h"

#define MAX_POSITIONAL 4
#define ACCOUNT_ID     1 /* one company per server for now; every table is ready for more */

/* A sub-command's own flag, beyond the configuration items. */
struct cli_flag {
	const char *name;
	const char *help;
	const char *value;
	bool is_secret; /* also --NAME-file PATH: kept out of the process list */
};

struct command {
	const char *name;
	const char *usage;
	const char *summary;
	int npositional;
	struct cli_flag *flags; /* ends with a NULL name; may be NULL */
	bool uses_config;
	int (*run)(const struct command *cmd, struct config *c, char **pos);
};

static void usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "centralita: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'centralita %s--help')\n", cmd);
	va_end(ap);
	exit(2);
}

static void print_help(const struct command *cmd)
{
	printf("usage: centralita %s\n\n%s\n", cmd->usage, cmd->summary);
	bool has_flags = cmd->uses_config || (cmd->flags && cmd->flags[0].name);
	if (has_flags)
		printf("\nflags:\n");
	for (struct cli_flag *f = cmd->flags; f && f->name; f++) {
		printf("  --%-18s %s\n", f->name, f->help);
		char file_flag[64];
		snprintf(file_flag, sizeof(file_flag), "%s-file PATH", f->name);
		if (f->is_secret)
			printf(
			    "  --%-18s the same from the first line of PATH (- reads standard input),\n"
			    "  %20s out of sight of other users, unlike a flag in the process list\n",
			    file_flag, "");
	}
	for (int i = 0; cmd->uses_config && config_items[i].flag; i++)
		printf("  --%-18s %s [%s]\n", config_items[i].flag, config_items[i].help,
		       config_items[i].env);
}

static struct cli_flag *find_flag(const struct command *cmd, const char *name)
{
	for (struct cli_flag *f = cmd->flags; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* The secret flag that --name (NAME-file) reads from a file, or NULL. */
static struct cli_flag *find_secret_file_flag(const struct command *cmd, const char *name)
{
	size_t len = strlen(name);
	if (len <= 5 || strcmp(name + len - 5, "-file") != 0)
		return NULL;
	for (struct cli_flag *f = cmd->flags; f && f->name; f++)
		if (f->is_secret && strlen(f->name) == len - 5 &&
		    strncmp(f->name, name, len - 5) == 0)
			return f;
	return NULL;
}

/* A secret's value from the first line of path ("-": standard input), to keep until exit. */
static const char *read_secret(const char *prefix, const char *flag, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (f == NULL)
		usage_error(prefix, "--%s-file: cannot open %s: %s", flag, path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (!is_stdin)
		fclose(f);
	if (n > 0)
		line[strcspn(line, "\r\n")] = '\0';
	if (n <= 0 || line[0] == '\0') {
		free(line);
		usage_error(prefix, "--%s-file: %s has no value on its first line", flag,
		            is_stdin ? "standard input" : path);
	}
	return line;
}

/* Parses argv (after the sub-command's words) into flags and positional arguments. */
static void parse_args(const struct command *cmd, int argc, char **argv, struct config *c,
                       char **pos)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s ", cmd->name);
	int npos = 0;
	struct error e;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_help(cmd);
			exit(0);
		}
		if (strncmp(arg, "-", 1) != 0 || strcmp(arg, "-") == 0) {
			if (npos == cmd->npositional)
				usage_error(prefix, "unexpected argument '%s'", arg);
			pos[npos++] = argv[i];
			continue;
		}
		char name[64];
		const char *value = NULL;
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (strncmp(arg, "--", 2) != 0 || len - 2 >= sizeof(name))
			usage_error(prefix, "unknown flag %s", arg);
		memcpy(name, arg + 2, len - 2);
		name[len - 2] = '\0';
		struct cli_flag *own = find_flag(cmd, name);
		struct cli_flag *from_file = find_secret_file_flag(cmd, name);
		bool is_config = false;
		for (int k = 0; cmd->uses_config && config_items[k].flag; k++)
			is_config |= strcmp(config_items[k].flag, name) == 0;
		if (own == NULL && from_file == NULL && !is_config)
			usage_error(prefix, "unknown flag --%s", name);
		if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			usage_error(prefix, "--%s needs a value", name);
		if (from_file != NULL)
			from_file->value = read_secret(prefix, from_file->name, value);
		else if (own != NULL)
			own->value = value;
		else if (config_set_flag(c, name, value, &e) < 0)
			usage_error(prefix, "%s", e.message);
	}
	if (npos != cmd->npositional)
		usage_error(prefix, "expected: centralita %s", cmd->usage);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "centralita: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

/* Creates the directory holding path when it is missing (one level, mode 0700). */
static void make_parent_dir(const char *path)
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

static int open_store(struct config *c, int pool, struct store **st)
{
	struct error e;
	const char *path = config_sqlite_path(c);
	if (path != NULL)
		make_parent_dir(path);
	if (store_open(c->db, pool, c->busy_timeout_ms, st, &e) < 0)
		return fail("%s", e.message);
	int applied;
	if (store_migrate(*st, &applied, &e) < 0) {
		store_close(*st);
		return fail("%s", e.message);
	}
	return 0;
}

/* On the first start (no active admin yet): the first admin, from the environment or with a random
 * password. */
static int bootstrap_admin(struct store *st)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	int64_t admins = 0;
	struct error e;
	int rc = tx ? user_count_admins(tx, ACCOUNT_ID, &admins, &e)
	            : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	store_rollback(tx);
	if (rc < 0)
		return fail("%s", e.message);
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
		return fail("CENTRALITA_ADMIN_PASSWORD: %s", e.message);
	struct user_changes in = { .email = email,
		                   .name = "Admin",
		                   .role = "admin",
		                   .password_hash = hash,
		                   .is_active = 1 };
	struct user u;
	tx = store_begin(st, STORE_WRITE);
	rc = tx ? user_create(tx, ACCOUNT_ID, &in, clock_now_ms(), &u, &e) : ERR_UNAVAILABLE;
	if (rc == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc < 0)
		return fail("cannot create the first admin: %s", e.message);
	printf("First start: created the admin account.\n  e-mail:   %s\n", u.email);
	if (generated[0] != '\0')
		printf("  password: %s   (shown once: change it after logging in)\n", generated);
	fflush(stdout);
	return 0;
}

/* Demo mode on a new database: the demo account, before bootstrap_admin would make one. */
static int seed_demo(struct store *st, const struct seal *seal, const struct config *c)
{
	struct error e;
	if (demo_seed(st, seal, ACCOUNT_ID, c->public_url, stdout, &e) < 0)
		return fail("cannot create the demo account: %s", e.message);
	return 0;
}

/* Snoozed conversations whose time has come are open again. */
static void wake_snoozed(struct store *st)
{
	struct error e;
	int64_t due = 0;
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL ||
	    store_get_int(tx,
	                  "SELECT count(*) FROM conversations WHERE status = 'snoozed'"
	                  " AND snoozed_until <= $1",
	                  STORE_ARGS(SV_INT(clock_now_ms())), &due) < 0 ||
	    due == 0) {
		store_rollback(tx);
		return;
	}
	store_rollback(tx);
	tx = store_begin(st, STORE_WRITE);
	if (tx != NULL && conversation_wake_snoozed(tx, clock_now_ms(), &e) == 0)
		store_commit(tx);
	else
		store_rollback(tx);
}

static int cmd_serve(const struct command *cmd, struct config *c, char **pos)
{
	struct store *st = NULL;
	struct seal *seal = NULL;
	struct error e;
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int threads = c->threads > 0 ? c->threads : cores;
	int hashers = c->hash_threads > 0 ? c->hash_threads : cores / 4 > 0 ? cores / 4 : 1;
	make_parent_dir(c->secret_key_file);
	if (seal_open(c->secret_key_file, &seal, &e) < 0)
		return fail("%s", e.message);
	if (open_store(c, threads + hashers + 3, &st) != 0 ||
	    (c->is_demo && seed_demo(st, seal, c) != 0) || bootstrap_admin(st) != 0) {
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
	/* A few logins wait for each hashing thread (a fraction of a second); more get 503. */
	app.hashing = pool_start(hashers, 4 * hashers, &e);
	app.outbox = app.hashing ? outbox_worker_start(st, seal, c, &e) : NULL;
	app.poller = app.outbox ? poller_start(st, seal, c, app.outbox, &e) : NULL;
	app.events = app.poller ? events_hub_start(st, c, &e) : NULL;
	struct http_server *srv = app.events ? http_server_start(&app, &e) : NULL;
	if (srv == NULL) {
		pool_stop(app.hashing);
		events_hub_stop(app.events);
		poller_stop(app.poller);
		outbox_worker_stop(app.outbox);
		store_close(st);
		seal_free(seal);
		return fail("%s", e.message);
	}
	printf("Centralita %s listening on http://%s:%d\n", CENTRALITA_VERSION, c->listen_host,
	       http_server_port(srv));
	fflush(stdout);
	/* While waiting for a stop signal, the main thread wakes snoozed conversations. */
	int sig;
	struct timespec second = { .tv_sec = 1 };
	while ((sig = sigtimedwait(&stop, NULL, &second)) < 0)
		wake_snoozed(st);
	log_info("received %s: finishing requests in flight",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_server_stop(srv, 10000);
	pool_stop(app.hashing);
	events_hub_stop(app.events);
	poller_stop(app.poller);
	outbox_worker_stop(app.outbox);
	store_close(st);
	seal_free(seal);
	log_info("stopped");
	return 0;
}

static int cmd_migrate(const struct command *cmd, struct config *c, char **pos)
{
	struct store *st;
	struct error e;
	int version;
	if (open_store(c, 2, &st) != 0)
		return 1;
	int rc = store_schema_version(st, &version, &e);
	store_close(st);
	if (rc < 0)
		return fail("%s", e.message);
	printf("database at schema version %d\n", version);
	return 0;
}

/* Runs fn in a write transaction on a migrated store; prints e's message on failure. */
static int with_tx(struct config *c,
                   int (*fn)(struct store_tx *, char **, const struct config *, struct error *),
                   char **pos)
{
	struct store *st;
	if (open_store(c, 2, &st) != 0)
		return 1;
	struct error e = { 0 };
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	int rc = tx ? fn(tx, pos, c, &e)
	            : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (rc == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	store_close(st);
	if (rc < 0)
		return fail("%s", e.message[0] ? e.message : "the change could not be saved");
	return 0;
}

static struct cli_flag user_add_flags[] = {
	{ "name", "the person's name (defaults to the part of the e-mail before @)", NULL, false },
	{ "role", "admin or agent (agent)", NULL, false },
	{ "password", "the password (a random one is printed when omitted)", NULL, true },
	{ NULL, NULL, NULL, false },
};

static struct cli_flag passwd_flags[] = {
	{ "password", "the new password (a random one is printed when omitted)", NULL, true },
	{ NULL, NULL, NULL, false },
};

/* The password from a flag, or a random one printed once. */
static const char *password_or_random(const char *given, char generated[TOKEN_TEXT_LEN])
{
	if (given != NULL)
		return given;
	token_generate(generated);
	generated[16] = '\0';
	return generated;
}

static int user_add(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	char generated[TOKEN_TEXT_LEN] = "", name[USER_NAME_MAX + 1], hash[AUTH_HASH_MAX];
	const char *password = password_or_random(user_add_flags[2].value, generated);
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(pos[0], "@"), pos[0]);
	struct user_changes in = { .email = pos[0],
		                   .name = user_add_flags[0].value ? user_add_flags[0].value : name,
		                   .role =
		                       user_add_flags[1].value ? user_add_flags[1].value : "agent",
		                   .password_hash = hash,
		                   .is_active = 1 };
	struct user u;
	int rc = auth_password_hash(password, hash, e);
	if (rc == 0)
		rc = user_create(tx, ACCOUNT_ID, &in, clock_now_ms(), &u, e);
	if (rc == 0) {
		printf("user %lld %s (%s)\n", (long long)u.id, u.email, role_name(u.role));
		if (generated[0] != '\0')
			printf("password: %s\n", generated);
	}
	return rc;
}

static int user_passwd(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	char generated[TOKEN_TEXT_LEN] = "", hash[AUTH_HASH_MAX];
	const char *password = password_or_random(passwd_flags[0].value, generated);
	struct user u;
	int rc = auth_password_hash(password, hash, e);
	if (rc == 0)
		rc = user_find_email(tx, pos[0], &u, e);
	struct user_changes in = { .password_hash = hash, .is_active = -1 };
	if (rc == 0)
		rc = user_update(tx, u.account_id, u.id, &in, clock_now_ms(), &u, e);
	if (rc == 0 && generated[0] != '\0')
		printf("password: %s\n", generated);
	return rc;
}

static int user_deactivate(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct user u;
	struct user_changes in = { .is_active = 0 };
	int rc = user_find_email(tx, pos[0], &u, e);
	if (rc == 0)
		rc = user_update(tx, u.account_id, u.id, &in, clock_now_ms(), &u, e);
	return rc;
}

static int user_print_list(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct user *users;
	size_t n;
	int rc = user_list(tx, ACCOUNT_ID, &users, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\n", (long long)users[i].id, users[i].email,
		       role_name(users[i].role), users[i].is_active ? "active" : "deactivated",
		       users[i].name);
	if (rc == 0)
		free(users);
	return rc;
}

static int team_add(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_create(tx, ACCOUNT_ID, pos[0], clock_now_ms(), &t, e);
	if (rc == 0)
		printf("team %lld %s\n", (long long)t.id, t.name);
	return rc;
}

static int team_print_list(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct actor admin = { .account_id = ACCOUNT_ID, .role = ROLE_ADMIN };
	struct team *teams;
	size_t n;
	int rc = team_list(tx, &admin, &teams, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%lld members\n", (long long)teams[i].id, teams[i].name,
		       (long long)teams[i].member_count);
	if (rc == 0)
		free(teams);
	return rc;
}

static int team_rename_cmd(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_find_name(tx, ACCOUNT_ID, pos[0], &t, e);
	if (rc == 0)
		rc = team_update(
		    tx, ACCOUNT_ID, t.id,
		    &(struct team_changes){ .name = pos[1], .is_online_only = -1, .max_open = -1 },
		    clock_now_ms(), &t, e);
	return rc;
}

static int team_delete_cmd(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_find_name(tx, ACCOUNT_ID, pos[0], &t, e);
	if (rc == 0)
		rc = team_delete(tx, ACCOUNT_ID, t.id, e);
	return rc;
}

/* Finds the team named pos[0] and the user with e-mail pos[1]. */
static int team_and_user(struct store_tx *tx, char **pos, struct team *t, struct user *u,
                         struct error *e)
{
	int rc = team_find_name(tx, ACCOUNT_ID, pos[0], t, e);
	if (rc == 0)
		rc = user_find_email(tx, pos[1], u, e);
	return rc;
}

static int member_add(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct team t;
	struct user u;
	int rc = team_and_user(tx, pos, &t, &u, e);
	if (rc == 0)
		rc = team_member_add(tx, ACCOUNT_ID, t.id, u.id, clock_now_ms(), e);
	return rc;
}

static int member_remove(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct team t;
	struct user u;
	int rc = team_and_user(tx, pos, &t, &u, e);
	if (rc == 0)
		rc = team_member_remove(tx, ACCOUNT_ID, t.id, u.id, e);
	return rc;
}

static struct cli_flag channel_flags[] = {
	{ "name", "the channel's display name (required)", NULL, false },
	{ "phone-number-id", "WhatsApp: the phone number id", NULL, false },
	{ "page-id", "Messenger: the page id", NULL, false },
	{ "instagram-account-id", "Instagram: the account id", NULL, false },
	{ "access-token", "WhatsApp, Messenger, Instagram: the access token", NULL, true },
	{ "app-secret", "WhatsApp, Messenger, Instagram: the app secret", NULL, true },
	{ "verify-token", "WhatsApp, Messenger, Instagram: the webhook verify token", NULL, true },
	{ "bot-token", "Telegram: the bot token from BotFather", NULL, true },
	{ "mode", "Telegram: webhook (default) or polling", NULL, false },
	{ "allowed-origins", "webchat: origins that may embed it, comma-separated (any)", NULL,
	  false },
	{ NULL, NULL, NULL, false },
};

static int channel_add(struct store_tx *tx, char **pos, const struct config *c, struct error *e)
{
	struct channel_input in = {
		.kind = pos[0],
		.name = channel_flags[0].value,
		.phone_number_id = channel_flags[1].value,
		.page_id = channel_flags[2].value,
		.instagram_account_id = channel_flags[3].value,
		.access_token = channel_flags[4].value,
		.app_secret = channel_flags[5].value,
		.verify_token = channel_flags[6].value,
		.bot_token = channel_flags[7].value,
		.mode = channel_flags[8].value,
	};
	const char *origins = channel_flags[9].value;
	json_t *list = origins != NULL ? json_array() : NULL;
	for (const char *p = origins; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		json_array_append_new(list, json_stringn(p, strcspn(p, ",")));
	in.allowed_origins = list;
	struct seal *seal;
	struct channel ch;
	make_parent_dir(c->secret_key_file);
	int rc = seal_open(c->secret_key_file, &seal, e);
	if (rc == 0) {
		rc = channel_create(tx, seal, ACCOUNT_ID, &in, clock_now_ms(), &ch, e);
		seal_free(seal);
	}
	json_decref(list);
	if (rc == 0) {
		char url[1024];
		if (ch.kind == CHANNEL_WEBCHAT)
			channel_widget_snippet(&ch, c->public_url, url, sizeof(url));
		else
			channel_webhook_url(&ch, c->public_url, url, sizeof(url));
		printf("channel %lld %s %s\n%s: %s\n", (long long)ch.id, channel_kind_name(ch.kind),
		       ch.name, ch.kind == CHANNEL_WEBCHAT ? "embed code" : "webhook URL", url);
	}
	return rc;
}

static int channel_print_list(struct store_tx *tx, char **pos, const struct config *c,
                              struct error *e)
{
	struct channel *list;
	size_t n;
	int rc = channel_list(tx, ACCOUNT_ID, &list, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\n", (long long)list[i].id,
		       channel_kind_name(list[i].kind), list[i].external_id,
		       list[i].is_active ? "active" : "removed", list[i].name);
	if (rc == 0)
		free(list);
	return rc;
}

static int channel_remove_cmd(struct store_tx *tx, char **pos, const struct config *c,
                              struct error *e)
{
	char *end;
	long long id = strtoll(pos[0], &end, 10);
	if (*end != '\0' || id <= 0)
		return error_set(e, ERR_INVALID, "'%s' is not a channel id", pos[0]);
	return channel_remove(tx, ACCOUNT_ID, id, clock_now_ms(), e);
}

static struct cli_flag simulate_flags[] = {
	{ "channel", "the channel's id (required)", NULL, false },
	{ "from", "the customer: phone (WhatsApp), PSID, IGSID or Telegram user id", NULL, false },
	{ "name", "the customer's display name (Cliente)", NULL, false },
	{ "text", "what the customer writes", NULL, false },
	{ "payload", "post this file as the webhook body instead of building one", NULL, false },
	{ "url", "the server to post to (the public URL)", NULL, false },
	{ NULL, NULL, NULL, false },
};

static size_t collect(char *data, size_t size, size_t n, void *out)
{
	buf_append(out, data, size * n);
	return size * n;
}

/* Posts body to url with one extra header; prints the answer. 0 when it was 200. */
static int post_webhook(const char *url, const char *header, const char *body)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = curl_slist_append(headers, header);
	struct buf answer = BUF_INIT;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		fprintf(stderr, "centralita: cannot post to %s: %s\n", url, curl_easy_strerror(rc));
	else
		printf("%ld %s\n", status, answer.data ? answer.data : "");
	buf_free(&answer);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK && status == 200 ? 0 : 1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}

static int cmd_simulate(const struct command *cmd, struct config *c, char **pos)
{
	const char *channel = simulate_flags[0].value, *from = simulate_flags[1].value;
	const char *name = simulate_flags[2].value, *text = simulate_flags[3].value;
	const char *payload = simulate_flags[4].value, *url = simulate_flags[5].value;
	char *end;
	long long id = channel ? strtoll(channel, &end, 10) : 0;
	if (channel == NULL || *end != '\0' || id <= 0)
		usage_error("simulate ", "--channel needs a channel id");
	if (payload == NULL && (from == NULL || text == NULL))
		usage_error("simulate ", "give --from and --text, or --payload");
	struct store *st;
	struct seal *seal;
	struct error e;
	struct channel ch;
	struct channel_secrets secrets = { 0 };
	if (seal_open(c->secret_key_file, &seal, &e) < 0)
		return fail("%s", e.message);
	if (open_store(c, 2, &st) != 0) {
		seal_free(seal);
		return 1;
	}
	struct store_tx *tx = store_begin(st, STORE_READ);
	int rc = tx ? channel_get(tx, ACCOUNT_ID, id, &ch, &e)
	            : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (rc == 0 && strcmp(channel_kind_name(ch.kind), pos[0]) != 0)
		rc = error_set(&e, ERR_INVALID, "channel %lld is a %s channel", id,
		               channel_kind_name(ch.kind));
	if (rc == 0 && ch.kind == CHANNEL_WEBCHAT)
		rc = error_set(
		    &e, ERR_INVALID,
		    "web chat messages come from the widget's visitor API, not a webhook");
	if (rc == 0)
		rc = channel_secrets_get(tx, seal, ch.id, &secrets, &e);
	store_rollback(tx);
	store_close(st);
	seal_free(seal);
	if (rc < 0)
		return fail("%s", e.message);
	char *body = payload ? read_file(payload)
	                     : simulate_payload(ch.kind, ch.external_id, from,
	                                        name ? name : "Cliente", text, clock_now_ms());
	char target[1100], header[300];
	if (body == NULL) {
		channel_secrets_clear(&secrets);
		return fail(payload ? "cannot read %s" : "--from must be a numeric user id for %s",
		            payload ? payload : "telegram");
	}
	if (ch.kind == CHANNEL_TELEGRAM) {
		snprintf(target, sizeof(target), "%s/webhooks/telegram/%lld",
		         url ? url : c->public_url, id);
		snprintf(header, sizeof(header), "X-Telegram-Bot-Api-Secret-Token: %s",
		         secrets.webhook_secret);
	} else {
		char signature[META_SIGNATURE_LEN];
		meta_signature_header(body, strlen(body), secrets.app_secret, signature);
		snprintf(target, sizeof(target), "%s/webhooks/%s", url ? url : c->public_url,
		         pos[0]);
		snprintf(header, sizeof(header), "X-Hub-Signature-256: %s", signature);
	}
	channel_secrets_clear(&secrets);
	rc = post_webhook(target, header, body);
	free(body);
	return rc;
}

static void print_json(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(doc);
}

static int routing_export_cmd(struct store_tx *tx, char **pos, const struct config *c,
                              struct error *e)
{
	json_t *doc = routing_export(tx, ACCOUNT_ID, e);
	if (doc == NULL)
		return e->code;
	print_json(doc);
	return 0;
}

static int routing_import_cmd(struct store_tx *tx, char **pos, const struct config *c,
                              struct error *e)
{
	char *text = read_file(pos[0]);
	if (text == NULL)
		return error_set(e, ERR_INVALID, "cannot read %s", pos[0]);
	json_t *doc = json_parse(text, strlen(text), e);
	free(text);
	if (doc == NULL)
		return e->code;
	struct route_problems problems = { 0 };
	int rc = routing_save(tx, ACCOUNT_ID, 0, doc, clock_now_ms(), &problems, e);
	for (size_t i = 0; i < problems.count; i++)
		fprintf(stderr, "  %s: %s\n",
		        problems.items[i].path[0] ? problems.items[i].path : "(document)",
		        problems.items[i].reason);
	route_problems_free(&problems);
	json_decref(doc);
	if (rc == 0)
		printf("routing configuration saved\n");
	return rc;
}

static int routing_explain_cmd(struct store_tx *tx, char **pos, const struct config *c,
                               struct error *e)
{
	struct route_config *cfg;
	struct route_problems problems = { 0 };
	int rc = routing_load(tx, ACCOUNT_ID, NULL, &cfg, &problems, e);
	route_problems_free(&problems);
	if (rc == 0 && cfg == NULL)
		rc = error_set(e, ERR_UNPROCESSABLE, "no routing configuration is saved");
	if (rc == 0)
		print_json(routing_explain(tx, ACCOUNT_ID, cfg, pos[0], e));
	route_config_free(cfg);
	return rc;
}

#define TX_COMMAND(fn_name, tx_fn)                                                  \
	static int fn_name(const struct command *cmd, struct config *c, char **pos) \
	{                                                                           \
		return with_tx(c, tx_fn, pos);                                      \
	}
TX_COMMAND(cmd_user_add, user_add)
TX_COMMAND(cmd_user_list, user_print_list)
TX_COMMAND(cmd_user_passwd, user_passwd)
TX_COMMAND(cmd_user_deactivate, user_deactivate)
TX_COMMAND(cmd_team_add, team_add)
TX_COMMAND(cmd_team_list, team_print_list)
TX_COMMAND(cmd_team_rename, team_rename_cmd)
TX_COMMAND(cmd_team_delete, team_delete_cmd)
TX_COMMAND(cmd_member_add, member_add)
TX_COMMAND(cmd_member_remove, member_remove)
TX_COMMAND(cmd_channel_add, channel_add)
TX_COMMAND(cmd_routing_export, routing_export_cmd)
TX_COMMAND(cmd_routing_import, routing_import_cmd)
TX_COMMAND(cmd_routing_explain, routing_explain_cmd)
TX_COMMAND(cmd_channel_list, channel_print_list)
TX_COMMAND(cmd_channel_remove, channel_remove_cmd)

static int cmd_version(const struct command *cmd, struct config *c, char **pos)
{
	printf("centralita %s (schema %d)\n", CENTRALITA_VERSION, store_schema_latest());
	return 0;
}

static int cmd_help(const struct command *cmd, struct config *c, char **pos);

static const struct command commands[] = {
	{ "serve", "serve [flags]", "Serves the web inbox, the API and the webhooks.", 0, NULL,
	  true, cmd_serve },
	{ "migrate", "migrate [--db URL]", "Brings the database schema up to date.", 0, NULL, true,
	  cmd_migrate },
	{ "user add", "user add EMAIL [--name NAME] [--role admin|agent] [--password-file PATH]",
	  "Creates a user.", 1, user_add_flags, true, cmd_user_add },
	{ "user list", "user list", "Lists the users.", 0, NULL, true, cmd_user_list },
	{ "user passwd", "user passwd EMAIL [--password-file PATH]",
	  "Sets a user's password and ends their sessions.", 1, passwd_flags, true,
	  cmd_user_passwd },
	{ "user deactivate", "user deactivate EMAIL",
	  "Deactivates a user: they can no longer log in.", 1, NULL, true, cmd_user_deactivate },
	{ "team add", "team add NAME", "Creates a team.", 1, NULL, true, cmd_team_add },
	{ "team list", "team list", "Lists the teams.", 0, NULL, true, cmd_team_list },
	{ "team rename", "team rename NAME NEW-NAME", "Renames a team.", 2, NULL, true,
	  cmd_team_rename },
	{ "team delete", "team delete NAME",
	  "Deletes a team; its conversations move to the general inbox.", 1, NULL, true,
	  cmd_team_delete },
	{ "team member add", "team member add TEAM EMAIL", "Adds a user to a team.", 2, NULL, true,
	  cmd_member_add },
	{ "team member remove", "team member remove TEAM EMAIL", "Removes a user from a team.", 2,
	  NULL, true, cmd_member_remove },
	{ "channel add",
	  "channel add whatsapp|messenger|instagram|telegram|webchat --name NAME [flags]",
	  "Connects a channel and prints the webhook URL to give the provider (for a web chat, "
	  "the embed code to paste into the site).",
	  1, channel_flags, true, cmd_channel_add },
	{ "channel list", "channel list", "Lists the channels.", 0, NULL, true, cmd_channel_list },
	{ "channel remove", "channel remove ID",
	  "Removes a channel; its conversations stay in the inbox.", 1, NULL, true,
	  cmd_channel_remove },
	{ "routing export", "routing export", "Prints the routing configuration (teams by name).",
	  0, NULL, true, cmd_routing_export },
	{ "routing import", "routing import FILE",
	  "Validates and saves a routing configuration; prints every problem when refused.", 1,
	  NULL, true, cmd_routing_import },
	{ "routing explain", "routing explain TEXT",
	  "Shows which option a customer's TEXT would match, and why.", 1, NULL, true,
	  cmd_routing_explain },
	{ "simulate",
	  "simulate KIND --channel ID --from USER --text TEXT [--name NAME] [--url URL]",
	  "Posts a correctly signed customer message to the running server, as the provider would.",
	  1, simulate_flags, true, cmd_simulate },
	{ "version", "version", "Prints the version.", 0, NULL, false, cmd_version },
	{ "help", "help", "Lists the sub-commands.", 0, NULL, false, cmd_help },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(const struct command *cmd, struct config *c, char **pos)
{
	printf("Centralita %s: a shared inbox for WhatsApp, Messenger, Instagram and Telegram.\n\n"
	       "usage:\n",
	       CENTRALITA_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("  centralita %-28s %s\n", commands[i].name, commands[i].summary);
	printf("\n'centralita COMMAND --help' tells more.\n");
	return 0;
}

/* How many words of argv (from index 1) spell the command's name; 0 when they do not. */
static int words_matching(const char *name, int argc, char **argv)
{
	int words = 0;
	const char *p = name;
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (strncmp(p, argv[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
			return 0;
		words++;
		p += len;
		if (*p == '\0')
			return words;
		p++;
	}
	return 0;
}

/* `centralita user` and the like: lists the group's commands. */
static int group_help(int argc, char **argv)
{
	size_t len = strlen(argv[1]);
	bool is_group = false;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strncmp(commands[i].name, argv[1], len) == 0 && commands[i].name[len] == ' ') {
			if (!is_group)
				printf("usage:\n");
			is_group = true;
			printf("  centralita %s\n", commands[i].usage);
		}
	}
	if (!is_group)
		usage_error("", "unknown command '%s'", argv[1]);
	bool wants_help = argc > 2 && (strcmp(argv[argc - 1], "--help") == 0 ||
	                               strcmp(argv[argc - 1], "-h") == 0);
	return wants_help ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_help(NULL, NULL, NULL), 2;
	const struct command *cmd = NULL;
	int words = 0;
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if ((words = words_matching(commands[i].name, argc, argv)) > 0)
			cmd = &commands[i];
	if (cmd == NULL)
		return group_help(argc, argv);
	/* The database, its -wal and -shm, the key and their folder: for the service's user only.
	 */
	umask(077);
	if (token_init() < 0)
		return fail("libsodium could not start");
	struct config c;
	struct error e;
	config_defaults(&c);
	if (cmd->uses_config && config_from_env(&c, &e) < 0)
		usage_error("", "%s", e.message);
	char *pos[MAX_POSITIONAL] = { 0 };
	parse_args(cmd, argc - 1 - words, argv + 1 + words, &c, pos);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmd->run(cmd, &c, pos);
	curl_global_cleanup();
	return rc;
}
