/*
 * GET /api/v1/events: the event stream as Server-Sent Events. The connection is answered
 * with a content-reader response that copies what the hub (events/) buffered for it; with
 * nothing to send, the reader suspends the connection instead of blocking a thread, and
 * the hub resumes it when it buffers more. A thousand idle streams cost no thread.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "http/api.h"
#include "http/parse.h"

#define READ_BLOCK 4096 /* the most libmicrohttpd asks for at a time */

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
	if (n == -1)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n == -2 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
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

void api_events(struct http_request *req, struct http_response *res)
{
	const char *text = http_header(req, "Last-Event-ID");
	if (text == NULL)
		text = http_query(req, "last_event_id");
	int64_t last_id = -1;
	if (text != NULL && !http_parse_event_id(text, &last_id)) {
		http_reply_errorf(res, ERR_INVALID, "Last-Event-ID must be an event id (digits)");
		return;
	}
	struct events_waker waker = { .sleep = sleep_connection,
		                      .wake = wake_connection,
		                      .ctx = req->conn };
	struct error e;
	if (events_subscribe(req->app->events, &req->who, last_id, &waker, &res->stream, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	res->status = 200;
	res->content_type = "text/event-stream; charset=utf-8";
}
