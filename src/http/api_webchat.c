/*
 * The visitor API of web chat channels (/api/v1/webchat/…), public and called from other
 * sites by widget.js: no login and no cookie, a visitor token in X-Visitor-Token instead
 * (never in a URL: the stream opens with a single-use ticket),
 * and CORS answers for the channel's allowed origins. A visitor's message takes the same road
 * as a provider's webhook: providers/ makes the inbound event, ingest.c stores and routes it.
 * Also GET /api/v1/demo, which tells the demo page its widget key in demo mode.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "http/api.h"
#include "ingest.h"
#include "scheduler/scheduler.h"

#define WIDGET_KEY_MAX 64

static bool is_listed(const char *origins, const char *origin)
{
	json_t *list = json_loads(origins, 0, NULL);
	bool is_found = false;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) is_found |= strcmp(json_string_value(v), origin) == 0;
	json_decref(list);
	return is_found;
}

/*
 * Lets the page's Origin read the answer, unless the channel (NULL while not yet known)
 * lists its origins and this is not one of them: that is refused, and the browser keeps
 * even the refusal from the page. Requests without an Origin are not from a page.
 */
static int check_origin(struct http_request *req, struct http_response *res,
                        const struct channel *ch, struct error *e)
{
	const char *origin = http_header(req, "Origin");
	if (origin == NULL)
		return 0;
	if (ch != NULL && ch->allowed_origins[0] != '\0' &&
	    !is_listed(ch->allowed_origins, origin)) {
		res->cors_origin = NULL;
		return error_set(e, ERR_FORBIDDEN, "this chat may not be embedded on %.100s",
		                 origin);
	}
	res->cors_origin = origin;
	return 0;
}

void api_webchat_preflight(struct http_request *req, struct http_response *res)
{
	check_origin(req, res, NULL, NULL);
	res->status = 204;
}

/* The active channel of visitor v, with the Origin checked against it. */
static int visitor_channel(struct http_request *req, struct http_response *res, struct store_tx *tx,
                           const struct webchat_visitor *v, struct channel *ch, struct error *e)
{
	int rc = channel_find_active(tx, CHANNEL_WEBCHAT, v->channel_id, ch, e);
	return rc < 0 ? rc : check_origin(req, res, ch, e);
}

/* The visitor named by X-Visitor-Token and its channel, with the Origin checked. */
static int find_visitor(struct http_request *req, struct http_response *res, struct store_tx *tx,
                        struct webchat_visitor *v, struct channel *ch, struct error *e)
{
	const char *token = http_header(req, "X-Visitor-Token");
	if (token == NULL)
		return error_set(e, ERR_UNAUTHENTICATED,
		                 "send the visitor token in X-Visitor-Token");
	int rc = webchat_visitor_find(tx, token, v, e);
	return rc < 0 ? rc : visitor_channel(req, res, tx, v, ch, e);
}

void api_webchat_session(struct http_request *req, struct http_response *res)
{
	const char *key = NULL, *token = NULL, *name_in = NULL;
	const struct json_field fields[] = {
		{ "key", JSON_FIELD_STRING, true, WIDGET_KEY_MAX, &key, NULL },
		{ "token", JSON_FIELD_STRING, false, WEBCHAT_TOKEN_LEN, &token, NULL },
		{ "name", JSON_FIELD_STRING, false, WEBCHAT_NAME_MAX, &name_in, NULL },
	};
	check_origin(req, res, NULL, NULL);
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	char name[WEBCHAT_NAME_MAX + 1], issued[WEBCHAT_TOKEN_LEN];
	struct webchat_visitor v = { 0 };
	struct channel ch;
	struct error e;
	bool is_resumed = false;
	int rc = name_in != NULL ? text_check_name("name", name_in, WEBCHAT_NAME_MAX, name, &e) : 0;
	struct store_tx *tx = rc == 0 ? api_begin(req, res, STORE_WRITE) : NULL;
	if (rc < 0) {
		http_reply_error(res, &e);
		goto out;
	}
	if (tx == NULL)
		goto out;
	rc = channel_find_external(tx, CHANNEL_WEBCHAT, key, &ch, &e);
	if (rc == ERR_NOT_FOUND)
		rc = error_set(&e, ERR_NOT_FOUND, "no web chat has this key");
	if (rc == 0)
		rc = check_origin(req, res, &ch, &e);
	/* A token of this channel resumes its chat; anything else starts a new one. */
	if (rc == 0 && token != NULL)
		is_resumed = webchat_visitor_find(tx, token, &v, &e) == 0 && v.channel_id == ch.id;
	if (rc == 0 && !is_resumed)
		rc = webchat_visitor_create(tx, &ch, name_in ? name : NULL, req->address,
		                            clock_now_ms(), issued, &v, &res->retry_after, &e);
	/* The widget asks for the name and e-mail until the visitor gave them or began. */
	bool ask = rc == 0 && ch.ask_contact && v.identity_id == 0 && v.email[0] == '\0';
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_json(res, is_resumed ? 200 : 201,
		                json_pack("{s:s,s:b,s:b,s:b}", "token", is_resumed ? token : issued,
		                          "resumed", is_resumed, "has_conversation",
		                          v.identity_id != 0, "ask_contact", ask));
out:
	json_decref(body);
}

void api_webchat_send(struct http_request *req, struct http_response *res)
{
	const char *text = NULL, *client_id = NULL;
	const struct json_field fields[] = {
		{ "text", JSON_FIELD_STRING, true, WEBCHAT_TEXT_MAX, &text, NULL },
		{ "client_id", JSON_FIELD_STRING, true, WEBCHAT_CLIENT_ID_MAX, &client_id, NULL },
	};
	check_origin(req, res, NULL, NULL);
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	struct inbound_list *list = NULL;
	struct ingest_counts c = { 0 };
	struct webchat_visitor v;
	struct channel ch;
	struct error e;
	int64_t now = clock_now_ms();
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		goto out;
	int rc = find_visitor(req, res, tx, &v, &ch, &e);
	if (rc == 0)
		rc = webchat_visitor_may_write(tx, &v, now, &res->retry_after, &e);
	if (rc == 0)
		rc = webchat_message_parse(v.id, v.name[0] ? v.name : NULL, client_id, text, now,
		                           &list, &e);
	if (rc == 0)
		rc = ingest_events(tx, &ch, list, now, &c, &e);
	/* The first message made the contact: it gets the e-mail the visitor gave. */
	if (rc == 0 && v.identity_id == 0)
		rc = store_failed(&e, webchat_visitor_sync_contact(tx, &v));
	if (api_finish(res, tx, rc, &e) == 0) {
		if (c.queued > 0)
			outbox_worker_wake(req->app->outbox);
		scheduler_wake(req->app->scheduler); /* as a webhook's */
		http_reply_json(res, c.duplicates > 0 ? 200 : 201,
		                json_pack("{s:I,s:b}", "message_id", (json_int_t)c.message_id,
		                          "duplicate", c.duplicates > 0));
	}
out:
	inbound_list_free(list);
	json_decref(body);
}

void api_webchat_contact(struct http_request *req, struct http_response *res)
{
	const char *name = NULL, *email = NULL;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, WEBCHAT_NAME_MAX, &name, NULL },
		{ "email", JSON_FIELD_STRING, true, USER_EMAIL_MAX, &email, NULL },
	};
	check_origin(req, res, NULL, NULL);
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	struct webchat_visitor v;
	struct channel ch;
	struct error e;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		goto out;
	int rc = find_visitor(req, res, tx, &v, &ch, &e);
	if (rc == 0)
		rc = webchat_visitor_set_contact(tx, &v, name, email, &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_json(res, 200, json_pack("{s:s,s:s}", "name", v.name, "email", v.email));
out:
	json_decref(body);
}

void api_webchat_history(struct http_request *req, struct http_response *res)
{
	check_origin(req, res, NULL, NULL);
	struct webchat_visitor v;
	struct channel ch;
	struct error e;
	int64_t after;
	json_t *messages = NULL;
	int rc = api_query_int(req, "after", 0, INT64_MAX, 0, &after, &e);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	rc = find_visitor(req, res, tx, &v, &ch, &e);
	if (rc == 0 && (messages = webchat_history(tx, &v, after, clock_now_ms(), &e)) == NULL)
		rc = e.code;
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_json(res, 200, json_pack("{s:O}", "messages", messages));
	json_decref(messages);
}

/* A file of the visitor's chat (a sent one, or its own), as agents get theirs. */
void api_webchat_media(struct http_request *req, struct http_response *res)
{
	check_origin(req, res, NULL, NULL);
	struct webchat_visitor v;
	struct channel ch;
	struct message_file f = { 0 };
	struct error e;
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	int rc = find_visitor(req, res, tx, &v, &ch, &e);
	if (rc == 0)
		rc = webchat_message_file(tx, &v, req->params[0], &f, &e);
	store_rollback(tx);
	api_reply_file(req, res, rc, &f, &e);
}

/* POST /api/v1/webchat/stream-ticket: what opens the visitor's stream once, in the URL that
 * EventSource cannot put headers beside. */
void api_webchat_ticket(struct http_request *req, struct http_response *res)
{
	check_origin(req, res, NULL, NULL);
	struct webchat_visitor v;
	struct channel ch;
	struct error e;
	char ticket[WEBCHAT_TOKEN_LEN];
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	int rc = find_visitor(req, res, tx, &v, &ch, &e);
	if (rc == 0 && v.identity_id == 0)
		rc = error_set(&e, ERR_CONFLICT, "the chat has no messages yet: write one first");
	if (rc == 0)
		rc = webchat_ticket_issue(tx, &v, clock_now_ms(), ticket, &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_json(res, 201,
		                json_pack("{s:s,s:I}", "ticket", ticket, "expires_in",
		                          (json_int_t)(WEBCHAT_TICKET_TTL_MS / 1000)));
	sodium_memzero(ticket, sizeof(ticket));
}

int api_webchat_stream_visitor(struct http_request *req, struct http_response *res,
                               int64_t *identity_id, struct error *e)
{
	check_origin(req, res, NULL, NULL);
	const char *ticket = http_query(req, "ticket");
	if (http_query(req, "token") != NULL)
		return error_set(
		    e, ERR_INVALID,
		    "the visitor token never goes in a URL (access logs keep URLs): POST"
		    " /api/v1/webchat/stream-ticket with X-Visitor-Token, then open the"
		    " stream with ?ticket=");
	if (ticket == NULL)
		return error_set(
		    e, ERR_UNAUTHENTICATED,
		    "open the stream with ?ticket= (POST /api/v1/webchat/stream-ticket)");
	struct webchat_visitor v = { 0 };
	struct channel ch;
	struct store_tx *tx = store_begin(req->app->store, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int rc = webchat_ticket_take(tx, ticket, clock_now_ms(), &v, e);
	if (rc < 0) {
		store_rollback(tx);
		return rc;
	}
	rc = visitor_channel(req, res, tx, &v, &ch, e);
	/* Spent, whatever comes next: a ticket opens at most one stream. */
	if (store_commit(tx) < 0 && rc == 0)
		rc = error_set(e, ERR_UNAVAILABLE, "the database is not available");
	*identity_id = v.identity_id;
	return rc;
}

void api_demo(struct http_request *req, struct http_response *res)
{
	if (!req->app->config->is_demo) {
		http_reply_errorf(res, ERR_NOT_FOUND, "demo mode is off");
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct channel ch;
	struct error e;
	int rc = webchat_demo_channel(tx, &ch, &e);
	store_rollback(tx);
	if (rc < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, json_pack("{s:s}", "widget_key", ch.external_id));
}
