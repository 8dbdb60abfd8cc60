/* Conversations and their messages: /api/v1/conversations/… (the visibility rule is in inbox/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "http/parse.h"
#include "scheduler/scheduler.h"

#define MESSAGES_PAGE      50
#define CONVERSATIONS_PAGE 25

/* A page of messages: older than before (0: the newest), at most limit. */
struct page {
	int64_t before;
	int limit;
};

static int messages(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                    struct error *e)
{
	const struct page *p = arg;
	struct message *list;
	size_t n;
	int rc = message_list(tx, &req->who, req->params[0], p->before, p->limit, &list, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, message_json(&list[i]));
	*answer = json_pack("{s:o}", "messages", arr);
	/* The cursor for the next (older) page, when this one was full. */
	json_object_set_new(*answer, "next_before",
	                    n == (size_t)p->limit ? json_integer(list[n - 1].id) : json_null());
	message_list_free(list, n);
	return 0;
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
	struct page page = { before, (int)limit };
	api_run(req, res, STORE_READ, 200, messages, &page);
}

/* A reply is a text, a file (an upload, with the text as its caption) or a WhatsApp
 * template. */
struct reply_input {
	const char *text;
	int64_t upload_id; /* 0: none */
	struct template_request template;
};

static int reply(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	const struct reply_input *in = arg;
	int64_t first = 0, now = clock_now_ms();
	size_t parts = 1;
	int rc =
	    in->upload_id > 0
	        ? conversation_send_file(tx, &req->who, req->params[0], in->upload_id, in->text,
	                                 req->app->config->media_max_bytes, now, &first, &parts, e)
	    : in->text != NULL ? conversation_reply(tx, &req->who, req->params[0], in->text, now,
	                                            &first, &parts, e)
	                       : conversation_send_template(tx, &req->who, req->params[0],
	                                                    &in->template, now, &first, e);
	if (rc < 0)
		return rc;
	json_t *ids = json_array();
	for (size_t i = 0; i < parts; i++)
		json_array_append_new(ids, json_integer(first + (json_int_t)i));
	*answer = json_pack("{s:o,s:s}", "message_ids", ids, "status", "queued");
	return 0;
}

/* {"name", "language", "parameters"?}: read into t; the body keeps the strings. */
static int read_template(const json_t *v, struct template_request *t, struct error *e)
{
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, 512, &t->name, NULL },
		{ "language", JSON_FIELD_STRING, true, 16, &t->language, NULL },
		{ "parameters", JSON_FIELD_VALUE, false, 0, &t->parameters, NULL },
	};
	if (!json_is_object(v))
		return error_set(e, ERR_INVALID,
		                 "'template' must be an object with name, language and parameters");
	return json_read_fields(v, fields, sizeof(fields) / sizeof(fields[0]), e);
}

void api_reply(struct http_request *req, struct http_response *res)
{
	struct reply_input in = { 0 };
	const json_t *template = NULL;
	json_int_t upload_id = 0;
	const struct json_field fields[] = {
		{ "text", JSON_FIELD_STRING, false, REPLY_TEXT_MAX, &in.text, NULL },
		{ "template", JSON_FIELD_VALUE, false, 0, &template, NULL },
		{ "upload_id", JSON_FIELD_INT, false, 0, &upload_id, NULL },
	};
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	struct error e;
	in.upload_id = upload_id;
	if (json_object_get(body, "upload_id") != NULL && upload_id <= 0)
		http_reply_errorf(res, ERR_INVALID, "'upload_id' must be an upload's id");
	else if (template != NULL ? in.text != NULL || upload_id != 0
	                          : in.text == NULL && upload_id == 0)
		http_reply_errorf(
		    res, ERR_INVALID,
		    "send 'text', 'upload_id' (with 'text' as its caption) or 'template'");
	else if (template != NULL && read_template(template, &in.template, &e) < 0)
		http_reply_error(res, &e);
	else if (api_run(req, res, STORE_WRITE, 201, reply, &in) == 0)
		outbox_worker_wake(req->app->outbox);
	json_decref(body);
}

static int start(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	const struct conversation_start *in = arg;
	int64_t id = 0, now = clock_now_ms();
	struct conversation c;
	int rc = conversation_start(tx, &req->who, in, now, &id, e);
	if (rc == 0)
		rc = conversation_get(tx, &req->who, id, &c, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "conversation", conversation_json(&c, now));
	return rc;
}

void api_conversation_start(struct http_request *req, struct http_response *res)
{
	struct conversation_start in = { 0 };
	json_int_t channel = 0, team = 0;
	const json_t *template = NULL;
	const struct json_field fields[] = {
		{ "channel_id", JSON_FIELD_INT, true, 0, &channel, NULL },
		{ "to", JSON_FIELD_STRING, true, 32, &in.to, NULL },
		{ "team_id", JSON_FIELD_INT, false, 0, &team, NULL },
		{ "template", JSON_FIELD_VALUE, true, 0, &template, NULL },
	};
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	struct error e;
	in.channel_id = channel;
	in.team_id = team;
	if (channel <= 0 || team < 0)
		http_reply_errorf(res, ERR_INVALID, "'channel_id' and 'team_id' must be ids");
	else if (read_template(template, &in.template, &e) < 0)
		http_reply_error(res, &e);
	else if (api_run(req, res, STORE_WRITE, 201, start, &in) == 0)
		outbox_worker_wake(req->app->outbox);
	json_decref(body);
}

static int retry(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	(void)arg;
	int rc = message_retry(tx, &req->who, req->params[0], req->params[1], clock_now_ms(), e);
	if (rc == 0)
		*answer = json_pack("{s:I,s:s}", "message_id", (json_int_t)req->params[1], "status",
		                    "queued");
	return rc;
}

void api_message_retry(struct http_request *req, struct http_response *res)
{
	if (api_run(req, res, STORE_WRITE, 200, retry, NULL) == 0)
		outbox_worker_wake(req->app->outbox);
}

static int stats(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	(void)arg;
	struct outbox_stats s;
	int rc = outbox_stats(tx, req->who.account_id, clock_now_ms(), &s, e);
	if (rc == 0)
		*answer = outbox_stats_json(&s);
	return rc;
}

void api_outbox_stats(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, stats, NULL);
}

static int back_to_routing(struct http_request *req, struct store_tx *tx, void *queued,
                           json_t **answer, struct error *e)
{
	struct conversation c;
	int64_t now = clock_now_ms();
	int rc = conversation_back_to_routing(tx, &req->who, req->params[0], now, queued, e);
	if (rc == 0)
		rc = conversation_get(tx, &req->who, req->params[0], &c, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "conversation", conversation_json(&c, now));
	return rc;
}

void api_back_to_routing(struct http_request *req, struct http_response *res)
{
	size_t queued = 0;
	if (api_run(req, res, STORE_WRITE, 200, back_to_routing, &queued) == 0 && queued > 0)
		outbox_worker_wake(req->app->outbox);
}

/* The query's view and status; ERR_FORBIDDEN when an agent asks for view=all. */
static int read_view(struct http_request *req, struct conversation_filter *f, struct error *e)
{
	const char *view = http_query(req, "view");
	const char *end;
	if (view == NULL)
		f->view = VIEW_VISIBLE;
	else if (strcmp(view, "general") == 0)
		f->view = VIEW_GENERAL;
	else if (strcmp(view, "mine") == 0)
		f->view = VIEW_MINE;
	else if (strncmp(view, "team:", 5) == 0 &&
	         http_parse_decimal(view + 5, '\0', &end, &f->team_id) && f->team_id > 0)
		f->view = VIEW_TEAM;
	else if (strcmp(view, "all") == 0 && req->who.role == ROLE_ADMIN)
		f->view = VIEW_ALL;
	else if (strcmp(view, "all") == 0)
		return error_set(e, ERR_FORBIDDEN, "only admins may see every conversation");
	else
		return error_set(e, ERR_INVALID, "'view' must be general, mine, team:<id> or all");
	const char *status = http_query(req, "status");
	if (status == NULL ||
	    conversation_statuses_parse(status, f->statuses, sizeof(f->statuses)) == 0)
		return 0;
	return error_set(e, ERR_INVALID,
	                 "'status' must be routing, open, pending, snoozed or resolved, or several "
	                 "of them separated by commas");
}

static int read_filter(struct http_request *req, struct conversation_filter *f, struct error *e)
{
	int64_t limit;
	memset(f, 0, sizeof(*f));
	if (read_view(req, f, e) < 0 ||
	    api_query_int(req, "channel", 1, INT64_MAX, 0, &f->channel_id, e) < 0 ||
	    api_query_int(req, "assignee", 1, INT64_MAX, 0, &f->assignee_id, e) < 0 ||
	    api_query_int(req, "due_before", 1, INT64_MAX, 0, &f->due_before, e) < 0 ||
	    api_query_int(req, "limit", 1, CONVERSATION_PAGE_MAX, CONVERSATIONS_PAGE, &limit, e) <
	        0)
		return -1;
	f->limit = (int)limit;
	f->tag = http_query(req, "tag");
	if (api_query_text(req, "q", CONVERSATION_QUERY_MAX, &f->q, e) < 0)
		return -1;
	if (f->q != NULL && conversation_query_chars(f->q) < CONVERSATION_QUERY_MIN)
		return error_set(e, ERR_INVALID, "'q' needs at least %d characters",
		                 CONVERSATION_QUERY_MIN);
	const char *sort = http_query(req, "sort");
	if (sort != NULL && strcmp(sort, "due") == 0)
		f->sort = SORT_DUE;
	else if (sort != NULL && strcmp(sort, "activity") != 0)
		return error_set(e, ERR_INVALID, "'sort' must be activity or due");
	const char *cursor = http_query(req, "cursor");
	return cursor != NULL ? api_cursor_decode(cursor, &f->after_key, &f->after_id, e) : 0;
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	json_t *c = NULL;
	int rc = conversation_detail_json(tx, &req->who, req->params[0], clock_now_ms(), &c, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "conversation", c);
	return rc;
}

void api_conversation_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

static int list(struct http_request *req, struct store_tx *tx, void *filter, json_t **answer,
                struct error *e)
{
	const struct conversation_filter *f = filter;
	struct conversation_item *items;
	size_t n;
	int64_t total;
	int rc = conversation_list(tx, &req->who, f, &items, &n, &total, e);
	if (rc < 0)
		return rc;
	int64_t now = clock_now_ms();
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, conversation_item_json(&req->who, &items[i], now));
	char cursor[HTTP_CURSOR_TEXT_MAX];
	if (n == (size_t)f->limit)
		http_cursor_encode(conversation_sort_key(&items[n - 1].c, f->sort),
		                   items[n - 1].c.id, cursor);
	bool is_capped = total > CONVERSATION_COUNT_MAX;
	*answer = json_pack("{s:o,s:I,s:b,s:o}", "conversations", arr, "total",
	                    (json_int_t)(is_capped ? CONVERSATION_COUNT_MAX : total),
	                    "total_capped", is_capped, "next_cursor",
	                    n == (size_t)f->limit ? json_string(cursor) : json_null());
	conversation_items_free(items, n);
	return 0;
}

void api_conversations_list(struct http_request *req, struct http_response *res)
{
	struct conversation_filter f;
	struct error e;
	if (read_filter(req, &f, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	api_run(req, res, STORE_READ, 200, list, &f);
}

/* The navigation's numbers in one answer (conversation_counts_json). */
static int counts(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	(void)arg;
	return conversation_counts_json(tx, &req->who, clock_now_ms(), answer, e);
}

void api_conversation_counts(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, counts, NULL);
}

/*
 * An action on conversation :id, given its body's value (or none), and the answer: the
 * conversation as it is now, or null when the action took it out of the caller's sight (a
 * transfer to a team they are not in).
 */
typedef int (*action_fn)(struct store_tx *tx, const struct actor *who, int64_t id, int64_t value,
                         int64_t now, struct error *e);

struct action {
	action_fn act;
	int64_t value;
};

static int act(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	const struct action *a = arg;
	int64_t now = clock_now_ms();
	struct conversation c;
	int rc = a->act(tx, &req->who, req->params[0], a->value, now, e);
	if (rc < 0)
		return rc;
	rc = conversation_get(tx, &req->who, req->params[0], &c, e);
	if (rc == ERR_NOT_FOUND)
		*answer = json_pack("{s:n}", "conversation");
	else if (rc == 0)
		*answer = json_pack("{s:o}", "conversation", conversation_json(&c, now));
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* An action whose body is one integer field (required). */
static void int_action(struct http_request *req, struct http_response *res, const char *field,
                       action_fn fn)
{
	json_int_t value = 0;
	const struct json_field fields[] = {
		{ field, JSON_FIELD_INT, true, 0, &value, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	json_decref(body);
	struct action a = { fn, value };
	/* Committed, a snooze's end or a transfer's or assignment's timers may be due sooner
	 * than the scheduler knows. */
	if (api_run(req, res, STORE_WRITE, 200, act, &a) == 0)
		scheduler_wake(req->app->scheduler);
}

/* An action without a body. */
static void plain_action(struct http_request *req, struct http_response *res, action_fn fn)
{
	struct action a = { fn, 0 };
	api_run(req, res, STORE_WRITE, 200, act, &a);
}

static int assign(struct store_tx *tx, const struct actor *who, int64_t id, int64_t user_id,
                  int64_t now, struct error *e)
{
	if (user_id <= 0)
		return error_set(e, ERR_INVALID, "'user_id' must be a user's id");
	return conversation_assign(tx, who, id, user_id, now, e);
}

void api_conversation_transfer(struct http_request *req, struct http_response *res)
{
	int_action(req, res, "team_id", conversation_transfer);
}

void api_conversation_assign(struct http_request *req, struct http_response *res)
{
	int_action(req, res, "user_id", assign);
}

void api_conversation_snooze(struct http_request *req, struct http_response *res)
{
	int_action(req, res, "until", conversation_snooze);
}

static int unassign(struct store_tx *tx, const struct actor *who, int64_t id, int64_t value,
                    int64_t now, struct error *e)
{
	(void)value;
	return conversation_assign(tx, who, id, 0, now, e);
}

static int resolve(struct store_tx *tx, const struct actor *who, int64_t id, int64_t value,
                   int64_t now, struct error *e)
{
	(void)value;
	return conversation_resolve(tx, who, id, now, e);
}

static int reopen(struct store_tx *tx, const struct actor *who, int64_t id, int64_t value,
                  int64_t now, struct error *e)
{
	(void)value;
	return conversation_reopen(tx, who, id, now, e);
}

static int mark_read(struct store_tx *tx, const struct actor *who, int64_t id, int64_t value,
                     int64_t now, struct error *e)
{
	(void)value;
	return conversation_mark_read(tx, who, id, now, e);
}

void api_conversation_unassign(struct http_request *req, struct http_response *res)
{
	plain_action(req, res, unassign);
}

void api_conversation_resolve(struct http_request *req, struct http_response *res)
{
	plain_action(req, res, resolve);
}

void api_conversation_reopen(struct http_request *req, struct http_response *res)
{
	plain_action(req, res, reopen);
}

void api_conversation_read(struct http_request *req, struct http_response *res)
{
	plain_action(req, res, mark_read);
}

static int note(struct http_request *req, struct store_tx *tx, void *text, json_t **answer,
                struct error *e)
{
	json_t *n = NULL;
	int rc = conversation_note_add(tx, &req->who, req->params[0], text, clock_now_ms(), &n, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "note", n);
	return rc;
}

void api_conversation_note(struct http_request *req, struct http_response *res)
{
	const char *text = NULL;
	const struct json_field fields[] = {
		{ "text", JSON_FIELD_STRING, true, NOTE_TEXT_MAX, &text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, 201, note, (void *)text);
	json_decref(body);
}

/* Tags or untags conversation :id with :name (is_added), and answers its tags. */
static int tag(struct http_request *req, struct store_tx *tx, void *is_added, json_t **answer,
               struct error *e)
{
	json_t *tags = NULL;
	int rc = conversation_tag(tx, &req->who, req->params[0], req->name, *(bool *)is_added,
	                          clock_now_ms(), e);
	if (rc == 0 && (tags = conversation_tags(tx, req->params[0], e)) == NULL)
		rc = e->code;
	if (rc == 0)
		*answer = json_pack("{s:o}", "tags", tags);
	return rc;
}

void api_conversation_tag_put(struct http_request *req, struct http_response *res)
{
	bool is_added = true;
	api_run(req, res, STORE_WRITE, 200, tag, &is_added);
}

void api_conversation_tag_delete(struct http_request *req, struct http_response *res)
{
	bool is_added = false;
	api_run(req, res, STORE_WRITE, 200, tag, &is_added);
}

/* {name: [...]} with what lines() gives for the conversation :id. */
struct lines {
	const char *name;
	json_t *(*lines)(struct store_tx *, const struct actor *, int64_t, struct error *);
};

static int lines(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	const struct lines *l = arg;
	json_t *list = l->lines(tx, &req->who, req->params[0], e);
	if (list == NULL)
		return e->code;
	*answer = json_pack("{s:o}", l->name, list);
	return 0;
}

void api_conversation_events(struct http_request *req, struct http_response *res)
{
	struct lines l = { "events", conversation_events };
	api_run(req, res, STORE_READ, 200, lines, &l);
}

void api_conversation_notes(struct http_request *req, struct http_response *res)
{
	struct lines l = { "notes", conversation_notes };
	api_run(req, res, STORE_READ, 200, lines, &l);
}
