/* Canned responses (/api/v1/canned-responses: everyone lists, admins change). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/xmalloc.h"
#include "http/api.h"

static json_t *json_canned(const struct canned_response *c)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I}", "id", (json_int_t)c->id, "shortcut", c->shortcut,
	                 "text", c->text, "created_at", (json_int_t)c->created_at, "updated_at",
	                 (json_int_t)c->updated_at);
}

void api_canned_list(struct http_request *req, struct http_response *res)
{
	const char *q = http_query(req, "q");
	if (q != NULL && strlen(q) > CANNED_QUERY_MAX) {
		http_reply_errorf(res, ERR_INVALID, "'q' is longer than %d bytes",
		                  CANNED_QUERY_MAX);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct canned_response *list;
	size_t n;
	struct error e;
	int rc = canned_list(tx, req->who.account_id, q, &list, &n, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_canned(&list[i]));
	free(list);
	http_reply_json(res, 200, json_pack("{s:o}", "canned_responses", arr));
}

/* Commits a change to canned response *id (rc, e), then answers it as stored. */
static void reply_canned(struct http_request *req, struct http_response *res, struct store_tx *tx,
                         int rc, int64_t id, struct error *e, int status)
{
	struct canned_response *c = xmalloc(sizeof(*c)); /* 4 KiB of text: not on the stack */
	if (rc == 0)
		rc = canned_get(tx, req->who.account_id, id, c, e);
	if (api_finish(res, tx, rc, e) == 0)
		http_reply_json(res, status, json_pack("{s:o}", "canned_response", json_canned(c)));
	free(c);
}

void api_canned_create(struct http_request *req, struct http_response *res)
{
	const char *shortcut = NULL, *text = NULL;
	const struct json_field fields[] = {
		{ "shortcut", JSON_FIELD_STRING, true, CANNED_SHORTCUT_MAX + 1, &shortcut, NULL },
		{ "text", JSON_FIELD_STRING, true, CANNED_TEXT_MAX, &text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct error e;
		int64_t id = 0;
		int rc =
		    canned_create(tx, req->who.account_id, shortcut, text, clock_now_ms(), &id, &e);
		reply_canned(req, res, tx, rc, id, &e, 201);
	}
	json_decref(body);
}

void api_canned_update(struct http_request *req, struct http_response *res)
{
	const char *shortcut = NULL, *text = NULL;
	const struct json_field fields[] = {
		{ "shortcut", JSON_FIELD_STRING, false, CANNED_SHORTCUT_MAX + 1, &shortcut, NULL },
		{ "text", JSON_FIELD_STRING, false, CANNED_TEXT_MAX, &text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct error e;
		int rc = canned_update(tx, req->who.account_id, req->params[0], shortcut, text,
		                       clock_now_ms(), &e);
		reply_canned(req, res, tx, rc, req->params[0], &e, 200);
	}
	json_decref(body);
}

void api_canned_delete(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	int rc = canned_delete(tx, req->who.account_id, req->params[0], &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_empty(res);
}
