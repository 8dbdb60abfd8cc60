/* Routing configuration: /api/v1/routing (admins), its explain endpoint (the "try it" box), its
 * numbers and the suggestions learnt from the team's corrections. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

/* 422 with every problem: {"error": {"code", "message", "problems": [{"path", "reason"}]}}. */
static json_t *json_problems(const struct error *e, const struct route_problems *problems)
{
	return json_pack("{s:{s:s,s:s,s:o}}", "error", "code", err_code_name(e->code), "message",
	                 e->message, "problems", route_problems_to_json(problems));
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	*answer = routing_export(tx, req->who.account_id, e);
	return *answer != NULL ? 0 : e->code;
}

void api_routing_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

static int put(struct http_request *req, struct store_tx *tx, void *doc, json_t **answer,
               struct error *e)
{
	struct route_problems problems = { 0 };
	int rc = routing_save(tx, req->who.account_id, req->who.user_id, doc, clock_now_ms(),
	                      &problems, e);
	if (rc == ERR_UNPROCESSABLE)
		*answer = json_problems(e, &problems);
	route_problems_free(&problems);
	return rc < 0 ? rc : get(req, tx, NULL, answer, e);
}

void api_routing_put(struct http_request *req, struct http_response *res)
{
	json_t *doc = http_body_json(req, res);
	if (doc == NULL)
		return;
	api_run(req, res, STORE_WRITE, 200, put, doc);
	json_decref(doc);
}

/* The text to explain, and the configuration to explain it with (NULL: the saved one). */
struct explain {
	const char *text;
	json_t *config;
	const char *payload; /* a tap's payload, or NULL for typed text */
};

static int explain(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                   struct error *e)
{
	const struct explain *x = arg;
	struct route_config *cfg = NULL;
	struct route_problems problems = { 0 };
	int rc = routing_load(tx, req->who.account_id, x->config, &cfg, &problems, e);
	if (rc == ERR_UNPROCESSABLE)
		*answer = json_problems(e, &problems);
	else if (rc == 0 && cfg == NULL)
		rc = error_set(e, ERR_UNPROCESSABLE,
		               "no routing configuration is saved: send one in 'config'");
	else if (rc == 0)
		*answer = routing_explain(tx, req->who.account_id, cfg, x->text, x->payload, e);
	route_config_free(cfg);
	route_problems_free(&problems);
	return rc;
}

/* {"text": "…", "config": {…}?, "payload": "…"?}: which option the text (or a tap on a button
 * with that title and payload) would match, and why. */
void api_routing_explain(struct http_request *req, struct http_response *res)
{
	json_t *body = http_body_json(req, res);
	if (body == NULL)
		return;
	struct explain x = { json_string_value(json_object_get(body, "text")),
		             json_object_get(body, "config"),
		             json_string_value(json_object_get(body, "payload")) };
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) if (strcmp(key, "text") != 0 &&
	                                      strcmp(key, "config") != 0 &&
	                                      strcmp(key, "payload") != 0)
	{
		http_reply_errorf(res, ERR_INVALID, "unknown field '%.64s'", key);
		goto out;
	}
	const json_t *payload = json_object_get(body, "payload");
	if (payload != NULL && (!json_is_string(payload) || json_string_length(payload) > 1024)) {
		http_reply_errorf(res, ERR_INVALID,
		                  "'payload' must be a string of at most 1024 bytes");
		goto out;
	}
	if (x.text == NULL || json_string_length(json_object_get(body, "text")) > REPLY_TEXT_MAX) {
		http_reply_errorf(res, ERR_INVALID, "'text' must be a string of at most %d bytes",
		                  REPLY_TEXT_MAX);
		goto out;
	}
	api_run(req, res, STORE_READ, 200, explain, &x);
out:
	json_decref(body);
}

/* ?from=&to= in UTC ms; the last 7 days by default. */
void api_routing_stats(struct http_request *req, struct http_response *res)
{
	api_reply_range_report(req, res, routing_stats);
}

static int suggestions(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                       struct error *e)
{
	(void)arg;
	return routing_suggestions(tx, req->who.account_id, clock_now_ms(), answer, e);
}

void api_routing_suggestions(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, suggestions, NULL);
}

static int dismiss(struct http_request *req, struct store_tx *tx, void *text, json_t **answer,
                   struct error *e)
{
	return routing_dismiss(tx, req->who.account_id, text, clock_now_ms(), answer, e);
}

/* {"text": "averia"}: that word is never suggested again. */
void api_routing_dismiss(struct http_request *req, struct http_response *res)
{
	const char *text = NULL;
	const struct json_field fields[] = {
		{ "text", JSON_FIELD_STRING, true, ROUTE_MAX_ANSWER_BYTES, &text, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, 200, dismiss, (void *)text);
	json_decref(body);
}
