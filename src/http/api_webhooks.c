/* The company's webhook endpoints (/api/v1/webhooks, admins only) and their delivery logs. */
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/fetch.h"
#include "http/api.h"

static int list(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	(void)arg;
	json_t *w = webhook_list(tx, req->who.account_id, e);
	if (w == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "webhooks", w);
	return 0;
}

void api_webhooks_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, list, NULL);
}

/* {"webhook": …}, with "secret" when one was just made. */
static int answer_webhook(struct http_request *req, struct store_tx *tx, int64_t id,
                          const char *secret, json_t **answer, struct error *e)
{
	json_t *w = webhook_get(tx, req->who.account_id, id, e);
	if (w == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "webhook", w);
	if (secret != NULL)
		json_object_set_new(*answer, "secret", json_string(secret));
	return 0;
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	return answer_webhook(req, tx, req->params[0], NULL, answer, e);
}

void api_webhook_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

/* A create's or an update's body; NULL leaves a field as it is. */
struct webhook_call {
	const char *url;
	const json_t *events;
	bool is_enabled;
	bool has_enabled;
	char secret[WEBHOOK_SECRET_LEN];
};

static int create(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	struct webhook_call *c = arg;
	int64_t id = 0;
	int rc = webhook_create(tx, req->app->seal, req->who.account_id, c->url, c->events,
	                        clock_now_ms(), &id, c->secret, e);
	return rc < 0 ? rc : answer_webhook(req, tx, id, c->secret, answer, e);
}

static int update(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct webhook_call *c = arg;
	const struct webhook_changes in = { .url = c->url,
		                            .events = c->events,
		                            .is_enabled = c->has_enabled ? c->is_enabled : -1 };
	int rc = webhook_update(tx, req->who.account_id, req->params[0], &in, clock_now_ms(), e);
	return rc < 0 ? rc : answer_webhook(req, tx, req->params[0], NULL, answer, e);
}

/* A create (is_create) or an update from its body; the URL is checked (resolved) before
 * any transaction begins. */
static void change(struct http_request *req, struct http_response *res, bool is_create)
{
	struct webhook_call c = { 0 };
	const struct json_field fields[] = {
		{ "url", JSON_FIELD_STRING, is_create, FETCH_URL_MAX, &c.url, NULL },
		{ "events", JSON_FIELD_VALUE, is_create, 0, &c.events, NULL },
		{ "enabled", JSON_FIELD_BOOL, false, 0, &c.is_enabled, &c.has_enabled },
	};
	json_t *body = api_read_body(req, res, fields, is_create ? 2 : 3);
	if (body == NULL)
		return;
	struct error e;
	if (c.url != NULL &&
	    fetch_check_url(c.url, req->app->config->webhooks_allow_private, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_WRITE, is_create ? 201 : 200, is_create ? create : update,
		        &c);
	sodium_memzero(c.secret, sizeof(c.secret));
	json_decref(body);
}

void api_webhook_create(struct http_request *req, struct http_response *res)
{
	change(req, res, true);
}

void api_webhook_update(struct http_request *req, struct http_response *res)
{
	change(req, res, false);
}

static int delete (struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                   struct error *e)
{
	(void)arg;
	(void)answer;
	return webhook_delete(tx, req->who.account_id, req->params[0], e);
}

void api_webhook_delete(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, delete, NULL);
}

static int rotate(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	char *secret = arg;
	int rc = webhook_rotate_secret(tx, req->app->seal, req->who.account_id, req->params[0],
	                               clock_now_ms(), secret, e);
	return rc < 0 ? rc : answer_webhook(req, tx, req->params[0], secret, answer, e);
}

void api_webhook_rotate_secret(struct http_request *req, struct http_response *res)
{
	char secret[WEBHOOK_SECRET_LEN] = "";
	api_run(req, res, STORE_WRITE, 200, rotate, secret);
	sodium_memzero(secret, sizeof(secret));
}

static int log_of(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	(void)arg;
	json_t *d = webhook_log(tx, req->who.account_id, req->params[0], e);
	if (d == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "deliveries", d);
	return 0;
}

void api_webhook_deliveries(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, log_of, NULL);
}

static int resend(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	(void)arg;
	(void)answer;
	return webhook_resend(tx, req->who.account_id, req->params[0], req->params[1],
	                      clock_now_ms(), e);
}

void api_webhook_resend(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, resend, NULL);
}
