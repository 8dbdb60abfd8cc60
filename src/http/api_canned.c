/* Canned responses (/api/v1/canned-responses: everyone lists, admins change). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/xmalloc.h"
#include "http/api.h"

/* What a list asks for: the query, and the conversation to fill the texts for (0: none). */
struct canned_query {
	const char *q;
	int64_t conversation_id;
};

static int list(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	const struct canned_query *query = arg;
	struct canned_values v;
	if (query->conversation_id != 0) {
		int rc = canned_values_get(tx, &req->who, query->conversation_id, &v, e);
		if (rc < 0)
			return rc;
	}
	struct canned_response *items;
	size_t n;
	int rc = canned_list(tx, req->who.account_id, query->q, &items, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = canned_json(&items[i]);
		if (query->conversation_id != 0) {
			char *filled = canned_fill(items[i].text, &v);
			json_object_set_new(o, "filled_text", json_string(filled));
			free(filled);
		}
		json_array_append_new(arr, o);
	}
	free(items);
	*answer = json_pack("{s:o}", "canned_responses", arr);
	return 0;
}

void api_canned_list(struct http_request *req, struct http_response *res)
{
	struct canned_query query = { 0 };
	struct error e;
	if (api_query_text(req, "q", CANNED_QUERY_MAX, &query.q, &e) < 0 ||
	    api_query_int(req, "conversation_id", 1, INT64_MAX, 0, &query.conversation_id, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_READ, 200, list, &query);
}

/* {"canned_response": …} for id as stored. */
static int answer_canned(struct http_request *req, struct store_tx *tx, int64_t id, json_t **answer,
                         struct error *e)
{
	struct canned_response *c = xmalloc(sizeof(*c)); /* 4 KiB of text: not on the stack */
	int rc = canned_get(tx, req->who.account_id, id, c, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "canned_response", canned_json(c));
	free(c);
	return rc;
}

/* What a create or an update sets; NULL leaves a field as it is. */
struct canned_call {
	const char *shortcut;
	const char *text;
};

static int create(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct canned_call *c = arg;
	int64_t id = 0;
	int rc =
	    canned_create(tx, req->who.account_id, c->shortcut, c->text, clock_now_ms(), &id, e);
	return rc < 0 ? rc : answer_canned(req, tx, id, answer, e);
}

static int update(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct canned_call *c = arg;
	int rc = canned_update(tx, req->who.account_id, req->params[0], c->shortcut, c->text,
	                       clock_now_ms(), e);
	return rc < 0 ? rc : answer_canned(req, tx, req->params[0], answer, e);
}

static int delete (struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                   struct error *e)
{
	(void)arg;
	(void)answer;
	return canned_delete(tx, req->who.account_id, req->params[0], e);
}

/* A create (is_required) or an update from its body. */
static void change(struct http_request *req, struct http_response *res, bool is_required,
                   api_call call, int status)
{
	struct canned_call c = { 0 };
	const struct json_field fields[] = {
		{ "shortcut", JSON_FIELD_STRING, is_required, CANNED_SHORTCUT_MAX + 1, &c.shortcut,
		  NULL },
		{ "text", JSON_FIELD_STRING, is_required, CANNED_TEXT_MAX, &c.text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, status, call, &c);
	json_decref(body);
}

void api_canned_create(struct http_request *req, struct http_response *res)
{
	change(req, res, true, create, 201);
}

void api_canned_update(struct http_request *req, struct http_response *res)
{
	change(req, res, false, update, 200);
}

void api_canned_delete(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, delete, NULL);
}
