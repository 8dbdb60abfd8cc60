/*
 * libmicrohttpd plumbing: the epoll thread pool, body collection with the 1 MiB cap,
 * turning handler responses into HTTP, the access log and the graceful stop; and the
 * connection limits: descriptors, per client address, a deadline for each request's headers,
 * and no ambiguous framing. Nothing here knows a route: the caller hands in the routes
 * (http_routes), so the plumbing never calls up into them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "http/http.h"

/* Open connections and event streams; each needs a file descriptor (ulimit -n), and
 * DESCRIPTOR_RESERVE are kept for the rest (the store's files, the outbox's and the poller's
 * sends, the key, epoll), so the server never runs out and stops accepting. A stream's socket
 * leaves libmicrohttpd for the hub once its headers are made, so the two share the rest:
 * libmicrohttpd's connections a quarter of it (requests are short), the streams (each an
 * agent's tab, held for hours) the other three quarters. */
#define CONNECTION_LIMIT   16384
#define DESCRIPTOR_RESERVE 512
/* libmicrohttpd's memory per connection, held as long as it is open (an event stream's whole
 * life): the request's headers and the answer's. Its default, 32 KiB, made 10,000 idle event
 * streams cost 320 MB; a request whose headers do not fit is answered 431. */
#define CONNECTION_MEMORY 4096
/* How far past its limit a body announced too large is still read (and dropped) before the
 * 413, so that the client reads the answer rather than a reset connection. */
#define HTTP_DISCARD_MAX (8ULL * 1024 * 1024)

/* A connection waiting for a request's headers: cut once its deadline passed. */
struct waiting {
	struct waiting *prev, *next;
	int fd;
	int64_t deadline_ms;
	bool is_listed;
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
	const struct http_routes *routes; /* given by the caller */
	atomic_int in_flight;
	atomic_bool is_large_taken; /* one request at a time may bring a body past HTTP_BODY_MAX */
	int header_timeout_ms;
	pthread_t watchdog;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	struct waiting *waiting;
	bool is_stopping;
};

/* One request's state, from its first callback to its completion. */
struct exchange {
	struct http_request req; /* first: http_resume finds the exchange from it */
	int64_t start_us;
	int status;
	char reason[256]; /* the answer's, for the log */
	size_t body_max;
	bool has_large; /* it holds the server's one place for a large body */
	bool is_too_large;
	bool is_refused; /* answered before its body: ambiguous framing, or a large one waits */
	bool is_deferred;
	atomic_bool is_answered; /* http_resume was called */
	http_finish finish;      /* a deferred answer's, until it is called */
	void *finish_arg;
};

static enum MHD_Result add_head_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	buf_printf(cls, "%s: %s\r\n", key, value);
	return MHD_YES;
}

/*
 * An event stream's answer: its status line and r's headers are written by the hub, and the
 * socket is the hub's from then on, to write the stream and close it at its end ("Connection:
 * close": the body ends with the connection). libmicrohttpd forgets the connection: MHD_NO
 * closes it, and with MHD_USE_TURBO it closes its descriptor without shutting the socket
 * down, so the hub's copy of the descriptor stays open.
 */
static enum MHD_Result hand_over(struct MHD_Connection *c, struct exchange *x,
                                 struct MHD_Response *r, struct events_sub *s)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = info != NULL ? fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd < 0) {
		log_error("http: cannot keep an event stream's socket: %s", strerror(errno));
		events_sub_close(s);
		return MHD_NO;
	}
	int on = 1, off = 0; /* each write leaves at once, as libmicrohttpd's did */
	setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	char date[64];
	struct tm tm;
	time_t now = time(NULL);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
	struct buf head = BUF_INIT;
	buf_printf(&head, "HTTP/1.1 %d %s\r\nDate: %s\r\n", x->status,
	           MHD_get_reason_phrase_for((unsigned int)x->status), date);
	MHD_get_response_headers(r, add_head_line, &head);
	buf_puts(&head, "Connection: close\r\n\r\n");
	events_sub_start(s, fd, head.data, head.len);
	buf_free(&head);
	return MHD_NO;
}

/* A deferred answer's finish, once: on the connection's thread, when it resumes or (the
 * client gone) ends. */
static void finish_once(struct exchange *x, struct http_response *res)
{
	if (x->finish == NULL)
		return;
	x->finish(x->finish_arg, res);
	x->finish = NULL;
}

static enum MHD_Result queue(struct MHD_Connection *c, struct exchange *x,
                             struct http_response *res)
{
	size_t len = res->body.len;
	char *data = buf_take(&res->body);
	struct MHD_Response *r =
	    res->has_file ? MHD_create_response_from_fd_at_offset64(res->file_len, res->file_fd,
	                                                            res->file_offset)
	                  : MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL && res->has_file)
		close(res->file_fd);
	if (r == NULL || res->has_file)
		free(data);
	if (r == NULL && res->stream != NULL)
		events_sub_close(res->stream);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        res->content_type ? res->content_type
	                                          : "application/json; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        res->cache_control ? res->cache_control : "no-store");
	if (res->etag[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, res->etag);
	if (res->csp != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, res->csp);
	if (res->content_disposition[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
		                        res->content_disposition);
	if (res->content_range[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, res->content_range);
	if (res->has_file || res->content_range[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (res->content_encoding != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, res->content_encoding);
	if (res->is_encoding_varied)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (res->cors_origin != NULL) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", res->cors_origin);
		MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST");
		MHD_add_response_header(r, "Access-Control-Allow-Headers",
		                        "Content-Type, X-Visitor-Token");
		MHD_add_response_header(r, "Access-Control-Max-Age", "600");
		MHD_add_response_header(r, "Vary", "Origin");
	}
	if (res->set_cookie[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, res->set_cookie);
	if (x->is_refused) /* the rest of the connection's bytes cannot be trusted */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (res->retry_after > 0) {
		char seconds[16];
		snprintf(seconds, sizeof(seconds), "%d", res->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	}
	x->status = res->status;
	memcpy(x->reason, res->reason, sizeof(x->reason));
	if (res->stream != NULL) /* proxies such as nginx would hold the events back otherwise */
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
	if (res->stream != NULL && strcmp(x->req.method, "HEAD") == 0) {
		events_sub_close(res->stream); /* the headers only, which libmicrohttpd sends */
		res->stream = NULL;
	}
	enum MHD_Result ok = res->stream != NULL
	                         ? hand_over(c, x, r, res->stream)
	                         : MHD_queue_response(c, (unsigned int)res->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result too_large(struct MHD_Connection *c, struct exchange *x)
{
	struct http_response res = { 0 };
	http_reply_errorf(&res, ERR_TOO_LARGE, "the body is larger than %zu bytes", x->body_max);
	return queue(c, x, &res);
}

/* A body announced over the limit is answered 413 at once when the client waits for a go
 * (Expect: 100-continue) or announced more than HTTP_DISCARD_MAX past the limit. Otherwise the
 * client may be sending it already, and closing on a body half read resets the connection,
 * often before the client has read the answer: the body is read and dropped as it comes, as a
 * chunked one is, and answered at its end. */
static bool is_answered_at_once(struct MHD_Connection *c, const struct exchange *x,
                                unsigned long long length)
{
	const char *expect =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	return (expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
	       length - x->body_max > HTTP_DISCARD_MAX;
}

/* Answers e before the body is read. */
static enum MHD_Result refuse(struct MHD_Connection *c, struct exchange *x, const struct error *e)
{
	struct http_response res = { 0 };
	x->is_refused = true;
	http_reply_error(&res, e);
	return queue(c, x, &res);
}

/* A file route's body goes to a draft in the file store's spool as it comes: an upload never
 * sits in memory, and what the handler does not keep is deleted (upload_end). */
static enum MHD_Result upload_begin(struct MHD_Connection *c, struct exchange *x, int64_t max)
{
	struct error e;
	x->body_max = (size_t)max;
	x->req.upload = xcalloc(1, sizeof(*x->req.upload));
	if (file_draft_begin(x->req.app->files, max, x->req.upload, &e) < 0) {
		free(x->req.upload);
		x->req.upload = NULL;
		return refuse(c, x, &e);
	}
	return MHD_YES;
}

static void upload_end(struct exchange *x)
{
	if (x->req.upload == NULL)
		return;
	file_draft_drop(x->req.upload);
	free(x->req.upload);
	x->req.upload = NULL;
}

/* Appends a piece of body; false once it cannot be kept (too large, or the disk failed). */
static bool body_append(struct exchange *x, const char *data, size_t len)
{
	if (x->req.upload != NULL)
		return file_draft_write(x->req.upload, data, len) || !x->req.upload->is_too_large;
	if (x->req.body.len + len > x->body_max)
		return false;
	buf_append(&x->req.body, data, len);
	return true;
}

/* The large body was handled: its place goes to the next one before the answer leaves, so a
 * client that sends another as soon as it has this answer finds the place free. */
static void release_large(struct http_server *srv, struct exchange *x)
{
	if (!x->has_large)
		return;
	buf_free(&x->req.body);
	x->has_large = false;
	atomic_store(&srv->is_large_taken, false);
}

/* A route that takes large bodies (body_max) takes them one at a time: whoever sends one
 * while another is on its way is told to try again, so they never add up in memory. */
static enum MHD_Result take_large(struct http_server *srv, struct MHD_Connection *c,
                                  struct exchange *x)
{
	bool is_free = false;
	if (atomic_compare_exchange_strong(&srv->is_large_taken, &is_free, true)) {
		x->has_large = true;
		return MHD_YES;
	}
	x->is_refused = true;
	struct http_response res = { .retry_after = 5 };
	http_reply_errorf(&res, ERR_UNAVAILABLE, "another large upload is under way; try again");
	return queue(c, x, &res);
}

/* How a request's headers frame its body. */
struct framing {
	int lengths, encodings;
	const char *encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct framing *f = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->lengths++;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encodings++;
		f->encoding = value;
	}
	return MHD_YES;
}

/* Why the body's framing is ambiguous (a proxy could read another request into it), or NULL.
 * libmicrohttpd 0.9.75 would take the first Content-Length, or Transfer-Encoding over it. */
static const char *framing_error(struct MHD_Connection *c)
{
	struct framing f = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	if (f.lengths > 1)
		return "more than one Content-Length";
	if (f.encodings > 1)
		return "more than one Transfer-Encoding";
	if (f.lengths > 0 && f.encodings > 0)
		return "both Content-Length and Transfer-Encoding";
	if (f.encodings > 0 && strcasecmp(f.encoding, "chunked") != 0)
		return "a Transfer-Encoding other than chunked";
	return NULL;
}

static enum MHD_Result refuse_framing(struct MHD_Connection *c, struct exchange *x, const char *why)
{
	struct http_response res = { 0 };
	x->is_refused = true;
	http_reply_errorf(&res, ERR_INVALID, "ambiguous request framing: %s", why);
	return queue(c, x, &res);
}

/* Lists w to be cut unless a request's headers arrive within the deadline. */
static void wait_start(struct http_server *srv, struct waiting *w)
{
	pthread_mutex_lock(&srv->lock);
	w->deadline_ms = clock_now_ms() + srv->header_timeout_ms;
	if (!w->is_listed) {
		w->prev = NULL;
		w->next = srv->waiting;
		if (w->next != NULL)
			w->next->prev = w;
		srv->waiting = w;
		w->is_listed = true;
	}
	pthread_mutex_unlock(&srv->lock);
}

static void unlist(struct http_server *srv, struct waiting *w)
{
	if (!w->is_listed)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		srv->waiting = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->is_listed = false;
}

static void wait_end(struct http_server *srv, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (info == NULL || info->socket_context == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	unlist(srv, info->socket_context);
	pthread_mutex_unlock(&srv->lock);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct waiting *w = xcalloc(1, sizeof(*w));
		w->fd = info != NULL ? info->connect_fd : -1;
		*socket_context = w;
		wait_start(srv, w);
	} else if (*socket_context != NULL) {
		/* Before libmicrohttpd closes the socket: the watchdog never shuts another's. */
		pthread_mutex_lock(&srv->lock);
		unlist(srv, *socket_context);
		pthread_mutex_unlock(&srv->lock);
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* Shuts the connections whose headers are late: libmicrohttpd then reads their end and closes
 * them. Its own timeout counts from the last byte, which a client trickling bytes renews. */
static void *watch(void *arg)
{
	struct http_server *srv = arg;
	int period_ms = srv->header_timeout_ms < 4000 ? srv->header_timeout_ms / 4 : 1000;
	pthread_mutex_lock(&srv->lock);
	while (!srv->is_stopping) {
		int64_t now = clock_now_ms();
		for (struct waiting *w = srv->waiting, *next; w != NULL; w = next) {
			next = w->next;
			if (w->deadline_ms > now)
				continue;
			if (w->fd >= 0)
				shutdown(w->fd, SHUT_RDWR);
			unlist(srv, w);
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += period_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&srv->cond, &srv->lock, &until);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
	struct http_server *srv = cls;
	struct exchange *x = *state;
	if (x == NULL) {
		x = xcalloc(1, sizeof(*x));
		x->start_us = clock_mono_us();
		x->req.app = srv->app;
		x->req.conn = c;
		x->req.method = method;
		x->req.path = url;
		http_client_address(&x->req, x->req.address);
		*state = x;
		atomic_fetch_add(&srv->in_flight, 1);
		wait_end(srv, c);
		const char *framing = framing_error(c);
		if (framing != NULL)
			return refuse_framing(c, x, framing);
		x->body_max = srv->routes->body_max(method, url);
		struct error e;
		int64_t file_max = 0;
		int to_file = srv->routes->body_to_file(&x->req, &file_max, &e);
		if (to_file < 0)
			return refuse(c, x, &e);
		if (to_file > 0)
			x->body_max = (size_t)file_max;
		const char *length =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned long long announced = length != NULL ? strtoull(length, NULL, 10) : 0;
		if (announced > x->body_max) {
			x->is_too_large = true;
			return is_answered_at_once(c, x, announced) ? too_large(c, x) : MHD_YES;
		}
		if (to_file > 0)
			return upload_begin(c, x, file_max);
		return x->body_max > HTTP_BODY_MAX ? take_large(srv, c, x) : MHD_YES;
	}
	if (*upload_size > 0) {
		if (!x->is_too_large && !x->is_refused &&
		    !body_append(x, upload_data, *upload_size))
			x->is_too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->is_refused)
		return MHD_YES;
	if (x->is_too_large)
		return x->status != 0 ? MHD_YES : too_large(c, x);
	if (x->is_deferred) { /* called again once http_resume woke it */
		if (!atomic_load(&x->is_answered))
			return MHD_YES;
		struct http_response later = { 0 };
		finish_once(x, &later);
		release_large(srv, x);
		return queue(c, x, &later);
	}
	struct http_response res = { 0 };
	srv->routes->route(&x->req, &res);
	if (x->is_deferred)
		return MHD_YES;
	release_large(srv, x);
	return queue(c, x, &res);
}

void http_defer(struct http_request *req, http_finish finish, void *arg)
{
	struct exchange *x = (struct exchange *)req;
	x->is_deferred = true;
	x->finish = finish;
	x->finish_arg = arg;
	MHD_suspend_connection(req->conn);
}

void http_resume(struct http_request *req)
{
	struct exchange *x = (struct exchange *)req;
	atomic_store(&x->is_answered, true);
	MHD_resume_connection(req->conn);
}

/* The access log's line, and the webhook counters (GET /metrics). The line: a server error at
 * error, a refused webhook at warn (a provider's request refused needs the operator: a wrong
 * secret, a removed channel), the rest at info, or at debug with the access log off. Errors
 * say why. */
static void record_answer(struct http_server *srv, const struct exchange *x)
{
	bool is_error = x->status >= 400;
	bool is_webhook = strncmp(x->req.path, "/webhooks/", 10) == 0;
	if (is_webhook) {
		char kind[16];
		snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(x->req.path + 10, "/"),
		         x->req.path + 10);
		metrics_count(is_error ? METRICS_WEBHOOKS_REFUSED : METRICS_WEBHOOKS_RECEIVED,
		              kind);
	}
	enum log_level level = x->status >= 500                     ? LOG_ERROR
	                       : is_error && is_webhook             ? LOG_WARN
	                       : srv->app->config->is_access_logged ? LOG_INFO
	                                                            : LOG_DEBUG;
	const struct log_request line = {
		.address = x->req.address,
		.method = x->req.method,
		.path = x->req.path,
		.status = x->status,
		.duration_us = (long long)(clock_mono_us() - x->start_us),
		.reason = is_error && x->reason[0] != '\0' ? x->reason : NULL,
	};
	log_request(level, &line);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
	struct http_server *srv = cls;
	struct exchange *x = *state;
	if (x == NULL)
		return;
	if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK) { /* kept alive: the next request's turn */
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (info != NULL && info->socket_context != NULL)
			wait_start(srv, info->socket_context);
	}
	if (x->is_deferred && atomic_load(&x->is_answered)) { /* resumed, the client gone */
		struct http_response dropped = { 0 };
		finish_once(x, &dropped);
		buf_free(&dropped.body);
	}
	record_answer(srv, x);
	if (x->has_large)
		atomic_store(&srv->is_large_taken, false);
	buf_free(&x->req.body);
	upload_end(x);
	free(x);
	*state = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

/* Decodes %XX as libmicrohttpd would, unless the text holds "%00": that is left encoded, so a
 * NUL can never cut a path or an argument short (and "%" is in no path a route accepts). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strstr(s, "%00") != NULL ? strlen(s) : MHD_http_unescape(s);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	/* A client that went away is no news, and neither is an event stream handed to the hub
	 * (hand_over says when that fails). */
	bool is_gone = strstr(line, "no longer available") != NULL ||
	               strstr(line, "reset by peer") != NULL ||
	               strstr(line, "Broken pipe") != NULL ||
	               strstr(line, "Application reported internal error") != NULL;
	if (is_gone)
		log_debug("http: %s", line);
	else
		log_warn("http: %s", line);
}

static void stop_watchdog(struct http_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->is_stopping = true;
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	pthread_join(srv->watchdog, NULL);
}

/* Raises the descriptor limit to what the system allows and answers how many connections
 * and streams together leave DESCRIPTOR_RESERVE of it to the rest. */
static unsigned int descriptor_budget(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return 256;
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			getrlimit(RLIMIT_NOFILE, &lim);
	}
	rlim_t open = lim.rlim_cur;
	rlim_t limit = open > 2 * DESCRIPTOR_RESERVE ? open - DESCRIPTOR_RESERVE : open / 2;
	if (limit > CONNECTION_LIMIT)
		limit = CONNECTION_LIMIT;
	log_info("serving at most %llu connections and %llu event streams (%llu file descriptors)",
	         (unsigned long long)(limit / 4), (unsigned long long)(limit - limit / 4),
	         (unsigned long long)open);
	return (unsigned int)limit;
}

int http_listen(const struct config *cfg, struct error *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char port[16];
	snprintf(port, sizeof(port), "%d", cfg->listen_port);
	if (getaddrinfo(cfg->listen_host, port, &hints, &ai) != 0 || ai == NULL) {
		error_set(e, ERR_INVALID, "cannot resolve the listen address %s", cfg->listen_host);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
		freeaddrinfo(ai);
		return fd;
	}
	int err = errno;
	freeaddrinfo(ai);
	if (fd >= 0)
		close(fd);
	const char *host = cfg->listen_host;
	bool is_v6 = strchr(host, ':') != NULL;
	error_set(e, ERR_UNAVAILABLE, "cannot listen on %s%s%s:%d: %s%s", is_v6 ? "[" : "", host,
	          is_v6 ? "]" : "", cfg->listen_port, strerror(err),
	          err == EADDRINUSE ? " (another program has that port: stop it, or give another "
	                              "with --listen)"
	          : err == EACCES   ? " (ports below 1024 need privileges: use a higher one "
	                              "behind the proxy)"
	                            : "");
	return -1;
}

struct http_server *http_server_start(struct app *app, const struct http_routes *routes,
                                      int listener, struct error *e)
{
	const struct config *cfg = app->config;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads =
	    cfg->threads > 0 ? (unsigned int)cfg->threads : (unsigned int)(cores > 0 ? cores : 2);
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->app = app;
	srv->routes = routes;
	srv->header_timeout_ms = cfg->header_timeout_ms;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	if (thread_start(&srv->watchdog, "http-deadline", watch, srv) != 0) {
		error_set(e, ERR_UNAVAILABLE, "cannot start the HTTP server's watchdog");
		close(listener);
		goto fail;
	}
	unsigned int budget = descriptor_budget();
	events_hub_set_total(app->events, (int)(budget - budget / 4));
	/* MHD_USE_TURBO: hand_over needs its closing without shutdown(). */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listener, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60, MHD_OPTION_CONNECTION_LIMIT,
	    budget / 4, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)cfg->connections_per_address, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (srv->daemon != NULL)
		return srv;
	error_set(e, ERR_UNAVAILABLE, "cannot serve on %s:%d", cfg->listen_host, cfg->listen_port);
	close(listener);
	stop_watchdog(srv);
fail:
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return NULL;
}

int http_server_port(struct http_server *srv)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : -1;
}

void http_server_stop(struct http_server *srv, int wait_ms)
{
	/* Closed, not only left unwatched: connections the kernel would queue on it would hang. */
	MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	events_hub_end(srv->app->events);
	for (int waited = 0;
	     (atomic_load(&srv->in_flight) > 0 || events_hub_streams(srv->app->events) > 0) &&
	     waited < wait_ms;
	     waited += 10)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	MHD_stop_daemon(srv->daemon);
	stop_watchdog(srv);
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
