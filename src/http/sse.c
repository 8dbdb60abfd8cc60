/*
 * GET /api/v1/events: the event stream as Server-Sent Events. The connection is answered
 * with a content-reader response that copies what the hub (events/) buffered for it; with
 * nothing to send, the reader suspends the connection instead of blocking a thread, and
 * the hub resumes it when it buffers more. A thousand idle streams cost no thread.
 */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "http/api.h"
#include "http/parse.h"

#define READ_BLOCK 1024 /* held by each stream for its life */

static void sleep_connection(void *conn)
{
	MHD_suspend_connection(conn);
}

static void wake_connection(void *conn)
{
	MHD_resume_connection(conn);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = events_sub_read(cls, buf, max);
	return n == -1 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void close_stream(void *cls)
{
	events_sub_close(cls);
}

struct MHD_Response *sse_response(struct events_sub *s)
{
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, READ_BLOCK,
	                                                           read_stream, s, close_stream);
	if (r == NULL) {
		events_sub_close(s);
		return NULL;
	}
	/* Proxies such as nginx would otherwise hold the events back in their buffers. */
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return r;
}

static struct events_waker waker_of(struct http_request *req)
{
	return (struct events_waker){ .sleep = sleep_connection,
		                      .wake = wake_connection,
		                      .ctx = req->conn };
}

/* Where the client resumes: Last-Event-ID, else ?last_event_id= (for polyfills); -1 for
 * neither. */
static int resume_id(struct http_request *req, int64_t *out, struct error *e)
{
	const char *text = http_header(req, "Last-Event-ID");
	if (text == NULL)
		text = http_query(req, "last_event_id");
	*out = -1;
	if (text != NULL && !http_parse_event_id(text, out))
		return error_set(e, ERR_INVALID, "Last-Event-ID must be an event id (digits)");
	return 0;
}

static void answer_stream(struct http_response *res)
{
	res->status = 200;
	res->content_type = "text/event-stream; charset=utf-8";
}

void api_events(struct http_request *req, struct http_response *res)
{
	struct events_waker waker = waker_of(req);
	struct events_login login = { .is_session = req->is_cookie_auth };
	/* The router authenticated the request by one of these. */
	snprintf(login.token, sizeof(login.token), "%s",
	         req->is_cookie_auth ? req->session_token : http_header(req, "Authorization") + 7);
	int64_t last_id;
	struct error e;
	int rc = resume_id(req, &last_id, &e);
	if (rc == 0)
		rc = events_subscribe(req->app->events, &req->who, &login, req->address, last_id,
		                      &waker, &res->stream, &e);
	sodium_memzero(login.token, sizeof(login.token));
	if (rc < 0)
		http_reply_error(res, &e);
	else
		answer_stream(res);
}

/* GET /api/v1/webchat/stream?ticket=…: a visitor's stream (EventSource cannot send headers). */
void api_webchat_stream(struct http_request *req, struct http_response *res)
{
	struct events_waker waker = waker_of(req);
	int64_t last_id, identity_id;
	struct error e;
	if (resume_id(req, &last_id, &e) < 0 ||
	    api_webchat_stream_visitor(req, res, &identity_id, &e) < 0 ||
	    events_subscribe_visitor(req->app->events, identity_id, req->address, last_id, &waker,
	                             &res->stream, &e) < 0)
		http_reply_error(res, &e);
	else
		answer_stream(res);
}
