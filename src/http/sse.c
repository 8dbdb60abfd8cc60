/*
 * GET /api/v1/events: the event stream as Server-Sent Events. The handler subscribes; the
 * server writes the answer's headers, and the hub (events/) writes the stream to the socket
 * from then on (server.c's hand_over): an open stream costs no thread and no HTTP
 * connection's memory.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "http/api.h"
#include "http/parse.h"

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
	struct events_login login = { .is_session = req->is_cookie_auth };
	/* The router authenticated the request by one of these. */
	snprintf(login.token, sizeof(login.token), "%s",
	         req->is_cookie_auth ? req->session_token : http_header(req, "Authorization") + 7);
	int64_t last_id;
	struct error e;
	int rc = resume_id(req, &last_id, &e);
	if (rc == 0)
		rc = events_subscribe(req->app->events, &req->who, &login, req->address, last_id,
		                      &res->stream, &e);
	sodium_memzero(login.token, sizeof(login.token));
	if (rc < 0)
		http_reply_error(res, &e);
	else
		answer_stream(res);
}

/* GET /api/v1/webchat/stream?ticket=…: a visitor's stream (EventSource cannot send headers). */
void api_webchat_stream(struct http_request *req, struct http_response *res)
{
	int64_t last_id, identity_id;
	struct error e;
	if (resume_id(req, &last_id, &e) < 0 ||
	    api_webchat_stream_visitor(req, res, &identity_id, &e) < 0 ||
	    events_subscribe_visitor(req->app->events, identity_id, req->address, last_id,
	                             &res->stream, &e) < 0)
		http_reply_error(res, &e);
	else
		answer_stream(res);
}
