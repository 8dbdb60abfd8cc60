/* Conversations and their messages: /api/v1/conversations/… (the visibility rule is in inbox/). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

#define MESSAGES_PAGE 50

static json_t *json_or_null(int64_t v)
{
	return v > 0 ? json_integer(v) : json_null();
}

json_t *json_conversation(const struct conversation *c, int64_t now)
{
	return json_pack("{s:I,s:{s:I,s:s},s:{s:I,s:s},s:s,s:o,s:o,s:b,s:o,s:I,s:I,s:I}", "id",
	                 (json_int_t)c->id, "channel", "id", (json_int_t)c->channel_id, "kind",
	                 channel_kind_name(c->kind), "contact", "id", (json_int_t)c->contact_id,
	                 "name", c->contact_name, "status", c->status, "team_id",
	                 json_or_null(c->team_id), "assignee_id", json_or_null(c->assignee_id),
	                 "window_open", conversation_window_is_open(c, now), "last_customer_at",
	                 json_or_null(c->last_customer_at), "last_activity_at",
	                 (json_int_t)c->last_activity_at, "created_at", (json_int_t)c->created_at,
	                 "updated_at", (json_int_t)c->updated_at);
}

json_t *json_message(const struct message *m)
{
	json_t *details = m->details ? json_loads(m->details, 0, NULL) : NULL;
	json_t *out =
	    json_pack("{s:I,s:I,s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:I}", "id",
	              (json_int_t)m->id, "conversation_id", (json_int_t)m->conversation_id,
	              "direction", m->is_inbound ? "in" : "out", "sender", m->sender, "author_id",
	              json_or_null(m->author_id), "type", m->type, "raw_type",
	              m->raw_type ? json_string(m->raw_type) : json_null(), "text",
	              m->text ? json_string(m->text) : json_null(), "details",
	              details ? details : json_object(), "status", m->status, "error_code",
	              json_or_null(m->error_code), "error_title",
	              m->error_title ? json_string(m->error_title) : json_null(), "edited_at",
	              json_or_null(m->edited_at), "created_at", (json_int_t)m->created_at);
	return out;
}

void api_conversation_get(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct conversation c;
	struct error e;
	int rc = conversation_get(tx, &req->who, req->params[0], &c, &e);
	store_rollback(tx);
	if (rc < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(
		    res, 200,
		    json_pack("{s:o}", "conversation", json_conversation(&c, clock_now_ms())));
}

void api_messages_list(struct http_request *req, struct http_response *res)
{
	struct error e;
	int64_t before, limit;
	if (api_query_int(req, "before", 1, INT64_MAX, 0, &before, &e) < 0 ||
	    api_query_int(req, "limit", 1, 200, MESSAGES_PAGE, &limit, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct message *list;
	size_t n;
	int rc = message_list(tx, &req->who, req->params[0], before, (int)limit, &list, &n, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_message(&list[i]));
	json_t *body = json_pack("{s:o}", "messages", arr);
	/* The cursor for the next (older) page, when this one was full. */
	json_object_set_new(body, "next_before",
	                    n == (size_t)limit ? json_integer(list[n - 1].id) : json_null());
	message_list_free(list, n);
	http_reply_json(res, 200, body);
}

void api_reply(struct http_request *req, struct http_response *res)
{
	const char *text = NULL;
	const struct json_field fields[] = {
		{ "text", JSON_FIELD_STRING, true, REPLY_TEXT_MAX, &text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		goto out;
	struct error e;
	int64_t first = 0;
	size_t parts = 0;
	int rc = conversation_reply(tx, &req->who, req->params[0], text, clock_now_ms(), &first,
	                            &parts, &e);
	if (api_finish(res, tx, rc, &e) < 0)
		goto out;
	outbox_worker_wake(req->app->outbox);
	json_t *ids = json_array();
	for (size_t i = 0; i < parts; i++)
		json_array_append_new(ids, json_integer(first + (json_int_t)i));
	http_reply_json(res, 201, json_pack("{s:o,s:s}", "message_ids", ids, "status", "queued"));
out:
	json_decref(body);
}

void api_outbox_stats(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct outbox_stats s;
	struct error e;
	int rc = outbox_stats(tx, req->who.account_id, clock_now_ms(), &s, &e);
	store_rollback(tx);
	if (rc < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200,
		                json_pack("{s:I,s:I,s:I,s:I,s:I}", "pending", (json_int_t)s.pending,
		                          "retrying", (json_int_t)s.retrying, "in_flight",
		                          (json_int_t)s.in_flight, "failed", (json_int_t)s.failed,
		                          "oldest_pending_ms", (json_int_t)s.oldest_pending_ms));
}

void api_back_to_routing(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	size_t queued = 0;
	int rc = conversation_back_to_routing(tx, &req->who, req->params[0], clock_now_ms(),
	                                      &queued, &e);
	if (api_finish(res, tx, rc, &e) < 0)
		return;
	if (queued > 0)
		outbox_worker_wake(req->app->outbox);
	tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct conversation c;
	if (conversation_get(tx, &req->who, req->params[0], &c, &e) < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(
		    res, 200,
		    json_pack("{s:o}", "conversation", json_conversation(&c, clock_now_ms())));
	store_rollback(tx);
}
