/* Routing configuration: /api/v1/routing (admins) and its explain endpoint, the "try it" box. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

/* 422 with every problem: {"error": {"code", "message", "problems": [{"path", "reason"}]}}. */
static void reply_problems(struct http_response *res, const struct error *e,
                           const struct route_problems *problems)
{
	json_t *body =
	    json_pack("{s:{s:s,s:s,s:o}}", "error", "code", err_code_name(e->code), "message",
	              e->message, "problems", route_problems_to_json(problems));
	http_reply_json(res, err_http_status(e->code), body);
}

void api_routing_get(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct error e;
	json_t *doc = routing_export(tx, req->who.account_id, &e);
	store_rollback(tx);
	if (doc == NULL)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, doc);
}

void api_routing_put(struct http_request *req, struct http_response *res)
{
	json_t *doc = http_body_json(req, res);
	if (doc == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		goto out;
	struct error e;
	struct route_problems problems = { 0 };
	int rc = routing_save(tx, req->who.account_id, req->who.user_id, doc, clock_now_ms(),
	                      &problems, &e);
	if (rc == ERR_UNPROCESSABLE) {
		store_rollback(tx);
		reply_problems(res, &e, &problems);
	} else if (api_finish(res, tx, rc, &e) == 0) {
		tx = api_begin(req, res, STORE_READ);
		json_t *saved = tx ? routing_export(tx, req->who.account_id, &e) : NULL;
		store_rollback(tx);
		if (saved != NULL)
			http_reply_json(res, 200, saved);
		else if (tx != NULL)
			http_reply_error(res, &e);
	}
	route_problems_free(&problems);
out:
	json_decref(doc);
}

/* {"text": "…", "config": {…}?}: which option the text would match, and why. */
void api_routing_explain(struct http_request *req, struct http_response *res)
{
	json_t *body = http_body_json(req, res);
	if (body == NULL)
		return;
	struct error e;
	json_t *config = json_object_get(body, "config");
	const char *text = json_string_value(json_object_get(body, "text"));
	const char *key;
	json_t *v;
	json_object_foreach(body, key,
	                    v) if (strcmp(key, "text") != 0 && strcmp(key, "config") != 0)
	{
		http_reply_errorf(res, ERR_INVALID, "unknown field '%.64s'", key);
		goto out;
	}
	if (text == NULL || json_string_length(json_object_get(body, "text")) > REPLY_TEXT_MAX) {
		http_reply_errorf(res, ERR_INVALID, "'text' must be a string of at most %d bytes",
		                  REPLY_TEXT_MAX);
		goto out;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		goto out;
	struct route_config *cfg = NULL;
	struct route_problems problems = { 0 };
	int rc = routing_load(tx, req->who.account_id, config, &cfg, &problems, &e);
	if (rc == ERR_UNPROCESSABLE)
		reply_problems(res, &e, &problems);
	else if (rc < 0)
		http_reply_error(res, &e);
	else if (cfg == NULL)
		http_reply_errorf(res, ERR_UNPROCESSABLE,
		                  "no routing configuration is saved: send one in 'config'");
	else
		http_reply_json(res, 200, routing_explain(tx, req->who.account_id, cfg, text, &e));
	store_rollback(tx);
	route_config_free(cfg);
	route_problems_free(&problems);
out:
	json_decref(body);
}

/* ?from=&to= in UTC ms; the last 7 days by default. */
void api_routing_stats(struct http_request *req, struct http_response *res)
{
	api_reply_range_report(req, res, routing_stats);
}
