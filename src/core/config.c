/* Configuration sources and their checks; see config.h. */
#include "core/config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct config_item config_items[] = {
	{ "db", "CENTRALITA_DB",
	  "database: sqlite:PATH or postgres://URL (sqlite:./var/centralita.db)" },
	{ "listen", "CENTRALITA_LISTEN", "address to serve on, HOST:PORT (127.0.0.1:8080)" },
	{ "public-url", "CENTRALITA_PUBLIC_URL",
	  "URL providers and browsers use to reach this server (where it listens; other commands"
	  " use the one the server last started with)" },
	{ "secret-key-file", "CENTRALITA_SECRET_KEY_FILE",
	  "key that encrypts channel credentials, created while no channel is connected (./var/secret.key)" },
	{ "threads", "CENTRALITA_THREADS", "HTTP worker threads, 1-64 (number of cores)" },
	{ "hash-threads", "CENTRALITA_HASH_THREADS",
	  "threads that check passwords (64 MiB each), 1-64 (a quarter of the cores, at least 1)" },
	{ "login-address-failures", "CENTRALITA_LOGIN_ADDRESS_FAILURES",
	  "failed logins from one client address before it is slowed down, 1-1000000 (50)" },
	{ "graph-api-url", "CENTRALITA_GRAPH_API_URL",
	  "Meta's Graph API base URL (https://graph.facebook.com)" },
	{ "graph-api-version", "CENTRALITA_GRAPH_API_VERSION",
	  "Graph API version for sends (v25.0)" },
	{ "telegram-api-url", "CENTRALITA_TELEGRAM_API_URL",
	  "the Telegram Bot API base URL (https://api.telegram.org)" },
	{ "send-timeout", "CENTRALITA_SEND_TIMEOUT",
	  "seconds one send to a provider may take, 1-120 (30)" },
	{ "busy-timeout", "CENTRALITA_BUSY_TIMEOUT_MS",
	  "milliseconds a write waits for another process's lock on the database, 100-60000 (5000)" },
	{ "web-dir", "CENTRALITA_WEB_DIR",
	  "serve the web UI from this folder instead of the built-in copy (for development)" },
	{ "sse-heartbeat", "CENTRALITA_SSE_HEARTBEAT_MS",
	  "milliseconds between keep-alive comments on idle event streams, 100-60000 (15000)" },
	{ "presence-grace", "CENTRALITA_PRESENCE_GRACE_MS",
	  "milliseconds after an online user's last event stream (their last inbox tab) closed"
	  " that they go away, 1000-86400000, or 0 for never (120000)" },
	{ "streams-per-user", "CENTRALITA_STREAMS_PER_USER",
	  "event streams one login or web chat visitor may have open, 1-100000 (20)" },
	{ "streams-per-address", "CENTRALITA_STREAMS_PER_ADDRESS",
	  "event streams one client address may have open, 1-100000 (500)" },
	{ "connections-per-address", "CENTRALITA_CONNECTIONS_PER_ADDRESS",
	  "HTTP connections one client address may have open, 1-100000 (1000)" },
	{ "header-timeout", "CENTRALITA_HEADER_TIMEOUT_MS",
	  "milliseconds a request's headers may take to arrive, 100-600000 (20000)" },
	{ "drain-timeout", "CENTRALITA_DRAIN_TIMEOUT_MS",
	  "milliseconds the requests in flight may take to finish after SIGTERM, 0-600000 (10000)" },
	{ "demo", "CENTRALITA_DEMO",
	  "1: on a new database, create a demo account (printed at start) and serve /demo (0)" },
	{ "demo-language", "CENTRALITA_DEMO_LANGUAGE",
	  "es or en: the language of the demo account's teams and routing messages (es)" },
	{ "webhooks-allow-private", "CENTRALITA_WEBHOOKS_ALLOW_PRIVATE",
	  "1: webhooks may go to loopback, private and link-local addresses (receivers on this"
	  " network) (0)" },
	{ "webhooks-timeout", "CENTRALITA_WEBHOOKS_TIMEOUT_MS",
	  "milliseconds one webhook delivery may take, 100-30000 (10000)" },
	{ "files-dir", "CENTRALITA_FILES_DIR",
	  "folder for media files (\"files\" beside the SQLite database, ./var/files otherwise)" },
	{ "media-max-bytes", "CENTRALITA_MEDIA_MAX_BYTES",
	  "lowers the largest file of every kind to this many bytes, 1-104857600 (images 5 MB,"
	  " audio and video 16 MB, documents 100 MB)" },
	{ "media-timeout", "CENTRALITA_MEDIA_TIMEOUT",
	  "seconds one request of a file's download may take, 1-3600 (300)" },
	{ "trusted-proxies", "CENTRALITA_TRUSTED_PROXIES",
	  "addresses and CIDR ranges of the reverse proxies whose X-Forwarded-For and X-Real-IP"
	  " name the client, separated by commas (none)" },
	{ "log-level", "CENTRALITA_LOG_LEVEL",
	  "the least serious lines logged: debug, info, warn or error (info)" },
	{ "log-format", "CENTRALITA_LOG_FORMAT", "text, or json: one JSON object per line (text)" },
	{ "access-log", "CENTRALITA_ACCESS_LOG",
	  "1: a line for every request; 0: only for refused webhooks and server errors (1)" },
	{ "metrics-token-file", "CENTRALITA_METRICS_TOKEN_FILE",
	  "a file (mode 0600) whose first line is the bearer token GET /metrics asks for; without"
	  " it /metrics is off" },
	{ NULL, NULL, NULL },
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->db, sizeof(c->db), "sqlite:./var/centralita.db");
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 8080;
	snprintf(c->public_url, sizeof(c->public_url), "http://127.0.0.1:8080");
	snprintf(c->secret_key_file, sizeof(c->secret_key_file), "./var/secret.key");
	c->threads = 0;      /* resolved to the core count by the server */
	c->hash_threads = 0; /* resolved to a quarter of the cores by the server */
	c->login_address_failures = 50;
	snprintf(c->graph_api_url, sizeof(c->graph_api_url), "https://graph.facebook.com");
	snprintf(c->graph_api_version, sizeof(c->graph_api_version), "v25.0");
	snprintf(c->telegram_api_url, sizeof(c->telegram_api_url), "https://api.telegram.org");
	c->send_timeout_s = 30;
	c->busy_timeout_ms = 5000;
	c->sse_heartbeat_ms = 15000;
	c->presence_grace_ms = 120000;
	snprintf(c->demo_language, sizeof(c->demo_language), "es");
	c->streams_per_user = 20;
	c->streams_per_address = 500;
	c->connections_per_address = 1000;
	c->header_timeout_ms = 20000;
	c->drain_timeout_ms = 10000;
	c->webhooks_timeout_ms = 10000;
	c->media_timeout_s = 300;
	c->log_level = LOG_INFO;
	c->log_format = LOG_TEXT;
	c->is_access_logged = true;
}

static int copy_value(char *dst, size_t size, const char *value)
{
	if (strlen(value) >= size || value[0] == '\0')
		return -1;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int set_listen(struct config *c, const char *value)
{
	const char *colon = strrchr(value, ':');
	if (colon == NULL || colon == value)
		return -1;
	size_t hostlen = (size_t)(colon - value);
	const char *host = value;
	if (host[0] == '[' && hostlen >= 2 && host[hostlen - 1] == ']') {
		host++;
		hostlen -= 2;
	}
	int port;
	if (hostlen == 0 || hostlen >= sizeof(c->listen_host) ||
	    parse_int(colon + 1, 0, 65535, &port) < 0)
		return -1;
	memcpy(c->listen_host, host, hostlen);
	c->listen_host[hostlen] = '\0';
	c->listen_port = port;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* An http(s) URL without its trailing slashes. */
static int set_url(char *dst, size_t size, const char *value, const char **expected)
{
	*expected = "an http:// or https:// URL";
	if (!has_prefix(value, "http://") && !has_prefix(value, "https://"))
		return -1;
	if (copy_value(dst, size, value) < 0)
		return -1;
	size_t len = strlen(dst);
	while (len > 0 && dst[len - 1] == '/')
		dst[--len] = '\0';
	return 0;
}

static bool has_index_html(const char *dir)
{
	char path[1100];
	int n = snprintf(path, sizeof(path), "%s/index.html", dir);
	return n > 0 && (size_t)n < sizeof(path) && access(path, R_OK) == 0;
}

/* Returns 0, or -1 with *expected naming what the value should look like. */
static int set_item(struct config *c, int item, const char *value, const char **expected)
{
	const char *flag = config_items[item].flag;
	if (strcmp(flag, "db") == 0) {
		*expected = "sqlite:PATH, postgres://… or host=… dbname=…";
		if (!(has_prefix(value, "sqlite:") && value[7] != '\0') &&
		    !config_db_is_postgres(value))
			return -1;
		return copy_value(c->db, sizeof(c->db), value);
	}
	if (strcmp(flag, "listen") == 0) {
		*expected = "HOST:PORT";
		return set_listen(c, value);
	}
	if (strcmp(flag, "public-url") == 0) {
		c->is_public_url_given = true;
		return set_url(c->public_url, sizeof(c->public_url), value, expected);
	}
	if (strcmp(flag, "graph-api-url") == 0)
		return set_url(c->graph_api_url, sizeof(c->graph_api_url), value, expected);
	if (strcmp(flag, "telegram-api-url") == 0)
		return set_url(c->telegram_api_url, sizeof(c->telegram_api_url), value, expected);
	if (strcmp(flag, "graph-api-version") == 0) {
		*expected = "a version like v25.0";
		if (value[0] != 'v' || strspn(value + 1, "0123456789.") != strlen(value + 1) ||
		    !isdigit((unsigned char)value[1]))
			return -1;
		return copy_value(c->graph_api_version, sizeof(c->graph_api_version), value);
	}
	if (strcmp(flag, "secret-key-file") == 0) {
		*expected = "a file path";
		return copy_value(c->secret_key_file, sizeof(c->secret_key_file), value);
	}
	if (strcmp(flag, "send-timeout") == 0) {
		*expected = "seconds, from 1 to 120";
		return parse_int(value, 1, 120, &c->send_timeout_s);
	}
	if (strcmp(flag, "busy-timeout") == 0) {
		*expected = "milliseconds, from 100 to 60000";
		return parse_int(value, 100, 60000, &c->busy_timeout_ms);
	}
	if (strcmp(flag, "sse-heartbeat") == 0) {
		*expected = "milliseconds, from 100 to 60000";
		return parse_int(value, 100, 60000, &c->sse_heartbeat_ms);
	}
	if (strcmp(flag, "presence-grace") == 0) {
		*expected = "milliseconds, 0 or from 1000 to 86400000";
		return parse_int(value, 0, 86400000, &c->presence_grace_ms) < 0 ||
		               (c->presence_grace_ms > 0 && c->presence_grace_ms < 1000)
		           ? -1
		           : 0;
	}
	if (strcmp(flag, "streams-per-user") == 0) {
		*expected = "a whole number from 1 to 100000";
		return parse_int(value, 1, 100000, &c->streams_per_user);
	}
	if (strcmp(flag, "streams-per-address") == 0) {
		*expected = "a whole number from 1 to 100000";
		return parse_int(value, 1, 100000, &c->streams_per_address);
	}
	if (strcmp(flag, "connections-per-address") == 0) {
		*expected = "a whole number from 1 to 100000";
		return parse_int(value, 1, 100000, &c->connections_per_address);
	}
	if (strcmp(flag, "header-timeout") == 0) {
		*expected = "milliseconds, from 100 to 600000";
		return parse_int(value, 100, 600000, &c->header_timeout_ms);
	}
	if (strcmp(flag, "drain-timeout") == 0) {
		*expected = "milliseconds, from 0 to 600000";
		return parse_int(value, 0, 600000, &c->drain_timeout_ms);
	}
	if (strcmp(flag, "demo") == 0 || strcmp(flag, "webhooks-allow-private") == 0) {
		*expected = "1 or 0";
		if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
			return -1;
		*(flag[0] == 'd' ? &c->is_demo : &c->webhooks_allow_private) = value[0] == '1';
		return 0;
	}
	if (strcmp(flag, "demo-language") == 0) {
		*expected = "es or en";
		if (strcmp(value, "es") != 0 && strcmp(value, "en") != 0)
			return -1;
		return copy_value(c->demo_language, sizeof(c->demo_language), value);
	}
	if (strcmp(flag, "webhooks-timeout") == 0) {
		*expected = "milliseconds, from 100 to 30000";
		return parse_int(value, 100, 30000, &c->webhooks_timeout_ms);
	}
	if (strcmp(flag, "web-dir") == 0) {
		*expected = "a folder holding index.html";
		return has_index_html(value) ? copy_value(c->web_dir, sizeof(c->web_dir), value)
		                             : -1;
	}
	if (strcmp(flag, "files-dir") == 0) {
		*expected = "a folder path";
		return copy_value(c->files_dir, sizeof(c->files_dir) - 64, value);
	}
	if (strcmp(flag, "media-max-bytes") == 0) {
		*expected = "bytes, from 1 to 104857600";
		return parse_int(value, 1, 104857600, &c->media_max_bytes);
	}
	if (strcmp(flag, "media-timeout") == 0) {
		*expected = "seconds, from 1 to 3600";
		return parse_int(value, 1, 3600, &c->media_timeout_s);
	}
	if (strcmp(flag, "metrics-token-file") == 0) {
		*expected = "a file path";
		return copy_value(c->metrics_token_file, sizeof(c->metrics_token_file), value);
	}
	if (strcmp(flag, "log-level") == 0) {
		static const char *const levels[] = { "debug", "info", "warn", "error" };
		*expected = "debug, info, warn or error";
		for (int i = 0; i < 4; i++)
			if (strcmp(value, levels[i]) == 0) {
				c->log_level = (enum log_level)i;
				return 0;
			}
		return -1;
	}
	if (strcmp(flag, "log-format") == 0) {
		*expected = "text or json";
		if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
			return -1;
		c->log_format = value[0] == 'j' ? LOG_JSON : LOG_TEXT;
		return 0;
	}
	if (strcmp(flag, "access-log") == 0) {
		*expected = "1 or 0";
		if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
			return -1;
		c->is_access_logged = value[0] == '1';
		return 0;
	}
	if (strcmp(flag, "trusted-proxies") == 0) {
		*expected = "IPv4 or IPv6 addresses or CIDR ranges separated by commas, at most 32";
		return address_ranges_parse(value, &c->trusted_proxies) ? 0 : -1;
	}
	if (strcmp(flag, "login-address-failures") == 0) {
		*expected = "a whole number from 1 to 1000000";
		return parse_int(value, 1, 1000000, &c->login_address_failures);
	}
	*expected = "a whole number from 1 to 64";
	return parse_int(value, 1, 64,
	                 strcmp(flag, "threads") == 0 ? &c->threads : &c->hash_threads);
}

static int find_item(const char *flag)
{
	for (int i = 0; config_items[i].flag != NULL; i++)
		if (strcmp(config_items[i].flag, flag) == 0)
			return i;
	return -1;
}

int config_set_flag(struct config *c, const char *flag, const char *value, struct error *e)
{
	int item = find_item(flag);
	const char *expected = "";
	struct config next = *c;
	if (item < 0)
		return error_set(e, ERR_INVALID, "unknown flag --%s", flag);
	if (set_item(&next, item, value, &expected) < 0)
		return error_set(e, ERR_INVALID, "--%s: expected %s, got '%.200s'", flag, expected,
		                 value);
	*c = next;
	return 0;
}

int config_from_env(struct config *c, struct error *e)
{
	struct config next = *c;
	for (int i = 0; config_items[i].flag != NULL; i++) {
		const char *value = getenv(config_items[i].env);
		const char *expected = "";
		if (value == NULL)
			continue;
		if (set_item(&next, i, value, &expected) < 0)
			return error_set(e, ERR_INVALID, "%s: expected %s, got '%.200s'",
			                 config_items[i].env, expected, value);
	}
	*c = next;
	return 0;
}

bool config_db_is_postgres(const char *db)
{
	if (has_prefix(db, "postgres://") || has_prefix(db, "postgresql://"))
		return true;
	const char *p = db;
	while (islower((unsigned char)*p) || *p == '_')
		p++;
	while (*p == ' ')
		p++;
	return p != db && *p == '=';
}

const char *config_sqlite_path(const struct config *c)
{
	return has_prefix(c->db, "sqlite:") ? c->db + 7 : NULL;
}
