/*
 * Server configuration: defaults, then CENTRALITA_* environment, then flags (flags win).
 * Every value is checked when set; a bad one is refused with a message naming its source.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>

#include "core/address.h"
#include "core/err.h"
#include "core/log.h"

struct config {
	char db[1024];            /* sqlite:PATH or postgres://… */
	char listen_host[256];    /* from HOST:PORT */
	int listen_port;          /* 0 picks a free port */
	char public_url[512];     /* how providers and browsers reach us */
	bool is_public_url_given; /* by flag or environment, not the default */
	char secret_key_file[1024];
	int threads;                /* HTTP worker threads */
	int hash_threads;           /* the password hashing pool's threads */
	int login_address_failures; /* failed logins from one address before it is slowed */
	char graph_api_url[512];    /* Meta's Graph API, or a fake or proxy of it */
	char graph_api_version[16]; /* "v25.0" */
	char telegram_api_url[512]; /* the Telegram Bot API, or a fake or proxy of it */
	int send_timeout_s;         /* how long one send to a provider may take */
	int busy_timeout_ms;        /* how long a write waits for another's lock on the database */
	char web_dir[1024];         /* serve the web UI from here; empty: the copy built in */
	int sse_heartbeat_ms;       /* the event stream's keep-alive comment interval */
	int presence_grace_ms;   /* an online user goes away this long after their last stream; 0:
	                            never */
	int streams_per_user;    /* event streams one login (or web chat visitor) may hold open */
	int streams_per_address; /* event streams one client address may hold open */
	int connections_per_address; /* HTTP connections one client address may hold open */
	int header_timeout_ms;       /* how long a request's headers may take to arrive */
	int drain_timeout_ms;        /* how long requests in flight may take after SIGTERM */
	bool is_demo;                /* seed a demo account on a new database, serve /demo */
	char demo_language[3];       /* the demo account's language: "es" or "en" */
	bool webhooks_allow_private; /* webhooks may go to loopback and private addresses */
	int webhooks_timeout_ms;     /* how long one webhook delivery may take */
	char files_dir[1024];        /* where files live; empty: "files" beside the database */
	int media_max_bytes;         /* lowers every kind's file limit; 0: the kinds' own */
	int media_timeout_s;         /* how long one request of a file fetch may take */
	struct address_ranges
	    trusted_proxies;           /* whose X-Forwarded-For is believed; count 0: none */
	char metrics_token_file[1024]; /* GET /metrics's bearer token; empty: /metrics is off */
	enum log_level log_level;      /* lines below it are dropped */
	enum log_format log_format;
	bool is_access_logged; /* every request at info; off: only the refused webhooks and 5xx */
};

/* One settable item: flag --NAME, environment CENTRALITA_ENV. */
struct config_item {
	const char *flag;
	const char *env;
	const char *help;
};

extern const struct config_item config_items[]; /* ends with a NULL flag */

void config_defaults(struct config *c);
/* Applies every CENTRALITA_* variable that is set; the error names the variable.
 * On failure *c is left as it was, here and in config_set_flag. */
int config_from_env(struct config *c, struct error *e);
/* Sets the item whose flag is `flag` (without dashes); the error names the flag. */
int config_set_flag(struct config *c, const char *flag, const char *value, struct error *e);
/* The path part of a sqlite: URL, or NULL for other URLs. */
const char *config_sqlite_path(const struct config *c);
/* Whether db names a PostgreSQL database: postgres://, postgresql:// or libpq's key=value
 * form ("host=… dbname=…"). */
bool config_db_is_postgres(const char *db);

#endif
