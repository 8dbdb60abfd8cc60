/*
 * The HTTP server: libmicrohttpd with its own epoll thread pool, JSON answers, the route
 * table, authentication (session cookie + CSRF token, or bearer API token) and the access
 * log. Handlers get a parsed request and fill a response; they never touch libmicrohttpd.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/address.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/token.h"
#include "events/events.h"
#include "inbox/inbox.h"
#include "media/media.h"
#include "outbox/outbox.h"
#include "poller/poller.h"
#include "scheduler/scheduler.h"
#include "store/store.h"
#include "webhooks/webhooks.h"

#define HTTP_BODY_MAX   (1024 * 1024)
#define HTTP_IMPORT_MAX (32 * 1024 * 1024) /* the contact import's CSV */
#define HTTP_MAX_PARAMS 4
#define HTTP_NAME_MAX   256
#define SESSION_COOKIE  "centralita_session"

/* What every handler can reach: shared, read-only after start. */
struct app {
	struct store *store;
	const struct config *config;
	const struct seal *seal;
	struct outbox_worker *outbox;    /* woken after a commit that queued messages */
	struct poller *poller;           /* woken when Telegram channels change */
	struct events_hub *events;       /* the event stream's subscriptions */
	struct scheduler *scheduler;     /* woken after a commit that set a due time */
	struct webhook_sender *webhooks; /* hears of every commit through the event hub */
	struct pool *hashing;            /* where passwords are checked and hashed (core/pool.h) */
	struct file_store *files;        /* media files' bytes (media/media.h) */
	char metrics_token_hash[TOKEN_HASH_LEN]; /* GET /metrics's token, hashed; "" when off */
};

struct http_request {
	struct app *app;
	void *conn; /* the libmicrohttpd connection, for header and query look-ups */
	const char *method;
	const char *path;
	char address[ADDRESS_TEXT_MAX]; /* the client's (http_client_address), "" when unknown */
	struct buf body;
	int64_t params[HTTP_MAX_PARAMS]; /* numeric path segments matched by ":id" */
	/* Set by the router for authenticated routes. */
	struct actor who;
	bool is_cookie_auth;
	char session_token[TOKEN_TEXT_LEN];
	char csrf[TOKEN_TEXT_LEN];
	char name[HTTP_NAME_MAX + 1]; /* the path segment matched by ":name" */
	/* A file route's body (the routes' body_to_file), written to the file store's spool as it
	 * came rather than kept in body; NULL for other routes. The handler keeps it
	 * (file_store_put) or leaves it, and the server drops what is left. */
	struct file_draft *upload;
};

struct http_response {
	int status;
	struct buf body;
	const char *content_type;
	char set_cookie[256];
	int retry_after;  /* seconds; 0 for none */
	char reason[256]; /* an error's message, for the log (http_reply_error); "" for none */
	/* For answers other than the API's (the web UI's files, the event stream, downloads). */
	const char *cache_control;     /* NULL: no-store */
	const char *csp;               /* a Content-Security-Policy, or NULL */
	const char *content_encoding;  /* "gzip" for a compressed web UI file, or NULL */
	bool is_encoding_varied;       /* the answer depends on Accept-Encoding (Vary) */
	char etag[TOKEN_HASH_LEN + 2]; /* quoted; empty for none */
	struct events_sub *stream;     /* the event stream: the hub writes the body, not body */
	char content_disposition[512]; /* a download's, or "" */
	const char *cors_origin;       /* the visitor API: an Origin allowed to read the answer */
	/* A stored file's answer: file_len bytes of file_fd (taken: closed after the answer)
	 * from file_offset, instead of body. */
	bool has_file;
	int file_fd;
	uint64_t file_offset;
	uint64_t file_len;
	char content_range[80]; /* "bytes a-b/size" (206) or "bytes *\/size" (416); "" for none */
};

typedef void (*http_handler)(struct http_request *req, struct http_response *res);

/* Request helpers. */
const char *http_header(struct http_request *req, const char *name);
const char *http_cookie(struct http_request *req, const char *name);
const char *http_query(struct http_request *req, const char *name);
/* The client's IP address as text ("" when unknown): the peer's, or when the peer is one of
 * --trusted-proxies the one its X-Forwarded-For (or X-Real-IP) names (core/address.h). The
 * server sets req->address with it before any handler runs; everything reads that. */
void http_client_address(struct http_request *req, char out[ADDRESS_TEXT_MAX]);
/* Parses the body as a JSON object; on failure answers the error and returns NULL. */
json_t *http_body_json(struct http_request *req, struct http_response *res);

/* Response helpers. http_reply_json takes the reference to body. */
void http_reply_json(struct http_response *res, int status, json_t *body);
void http_reply_error(struct http_response *res, const struct error *e);
void http_reply_errorf(struct http_response *res, enum err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_reply_empty(struct http_response *res);
/* A text/plain answer (Meta's handshake echoes its challenge). */
void http_reply_text(struct http_response *res, int status, const char *text);

/*
 * Answering later: http_defer keeps the connection waiting (no thread held) after the
 * handler returns without an answer; http_resume, from any thread, wakes it, and the server's
 * thread that serves the connection calls finish(arg, res) for the answer, exactly once (its
 * answer dropped when the client went away meanwhile). So the work after the wait (building
 * the answer, freeing what the request held) is not done by the thread that resumes: the
 * store's writer. The handler must call http_defer before anything may resume it.
 */
typedef void (*http_finish)(void *arg, struct http_response *res);
void http_defer(struct http_request *req, http_finish finish, void *arg);
void http_resume(struct http_request *req);

/* What the server asks of the routes (routes.c's http_routes): the server itself knows no
 * route, so the plumbing never calls up into them. */
struct http_routes {
	/* Finds the handler, authenticates and checks CSRF and role, then calls it. */
	http_handler route;
	/* The most bytes of body a request to path may bring: HTTP_BODY_MAX but for the
	 * routes that take large bodies. */
	size_t (*body_max)(const char *method, const char *path);
	/* Whether req's body goes to a file (an upload): 1 when it does and req may send it
	 * (authenticated, CSRF checked), with *max the most bytes it may bring; 0 for other
	 * routes; the error otherwise, answered before the body is read. */
	int (*body_to_file)(struct http_request *req, int64_t *max, struct error *e);
};
extern const struct http_routes http_routes;
/* The web UI (http/static.c): answers GET and HEAD of index.html and /assets/ files for any
 * path outside /api/ and /webhooks/, and returns true; false for those, left to the caller. */
bool http_static(struct http_request *req, struct http_response *res);

/* The server. */
struct http_server;
/* Binds the configured listen address and listens: the socket, or -1 with e saying which
 * address and why. Done before anything is written at start, so a taken port changes
 * nothing. */
int http_listen(const struct config *cfg, struct error *e);
/* Serves on the listening socket (which it takes), routes answering every request. */
struct http_server *http_server_start(struct app *app, const struct http_routes *routes,
                                      int listener, struct error *e);
/* The port actually bound (useful when the configured port is 0). */
int http_server_port(struct http_server *srv);
/* Stops accepting at once (the listening socket is closed, so a proxy moves on), lets the
 * requests in flight finish (at most wait_ms), then stops. */
void http_server_stop(struct http_server *srv, int wait_ms);

#endif
