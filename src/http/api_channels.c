/* Channels: /api/v1/channels (admins). Credentials go in, only hints come out. */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

/* A channel as the API answers it, with its undelivered messages still in the outbox. */
static json_t *channel_answer(struct http_request *req, struct store_tx *tx,
                              const struct channel *c, struct error *e)
{
	int64_t failed, retrying;
	if (outbox_channel_undelivered(tx, c->id, &failed, &retrying, e) < 0)
		return NULL;
	json_t *o = channel_json(c, req->app->config->public_url);
	json_object_set_new(
	    o, "undelivered",
	    json_pack("{s:I,s:I}", "failed", (json_int_t)failed, "retrying", (json_int_t)retrying));
	return o;
}

/* {"channel": {…}} */
static int answer_channel(struct http_request *req, struct store_tx *tx, const struct channel *c,
                          json_t **answer, struct error *e)
{
	json_t *o = channel_answer(req, tx, c, e);
	if (o == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "channel", o);
	return 0;
}

static int list(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	(void)arg;
	struct channel *items;
	size_t n;
	int rc = channel_list(tx, req->who.account_id, &items, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *c = channel_answer(req, tx, &items[i], e);
		rc = c != NULL ? json_array_append_new(arr, c) : e->code;
	}
	free(items);
	if (rc == 0)
		*answer = json_pack("{s:o}", "channels", arr);
	else
		json_decref(arr);
	return rc;
}

void api_channels_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, list, NULL);
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	struct channel c;
	int rc = channel_get(tx, req->who.account_id, req->params[0], &c, e);
	return rc < 0 ? rc : answer_channel(req, tx, &c, answer, e);
}

void api_channel_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

static int create(struct http_request *req, struct store_tx *tx, void *in, json_t **answer,
                  struct error *e)
{
	struct channel c;
	int rc = channel_create(tx, req->app->seal, req->who.account_id, in, clock_now_ms(), &c, e);
	return rc < 0 ? rc : answer_channel(req, tx, &c, answer, e);
}

static int remove_channel(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                          struct error *e)
{
	(void)arg;
	(void)answer;
	return channel_remove(tx, req->who.account_id, req->params[0], clock_now_ms(), e);
}

void api_channel_create(struct http_request *req, struct http_response *res)
{
	struct channel_input in = { 0 };
	const struct json_field fields[] = {
		{ "kind", JSON_FIELD_STRING, true, 16, &in.kind, NULL },
		{ "name", JSON_FIELD_STRING, true, CHANNEL_NAME_MAX, &in.name, NULL },
		{ "phone_number_id", JSON_FIELD_STRING, false, 64, &in.phone_number_id, NULL },
		{ "page_id", JSON_FIELD_STRING, false, 64, &in.page_id, NULL },
		{ "instagram_account_id", JSON_FIELD_STRING, false, 64, &in.instagram_account_id,
		  NULL },
		{ "access_token", JSON_FIELD_STRING, false, CHANNEL_SECRET_MAX, &in.access_token,
		  NULL },
		{ "app_secret", JSON_FIELD_STRING, false, 256, &in.app_secret, NULL },
		{ "verify_token", JSON_FIELD_STRING, false, 256, &in.verify_token, NULL },
		{ "bot_token", JSON_FIELD_STRING, false, 256, &in.bot_token, NULL },
		{ "mode", JSON_FIELD_STRING, false, 16, &in.mode, NULL },
		{ "allowed_origins", JSON_FIELD_VALUE, false, 0, &in.allowed_origins, NULL },
		{ "waba_id", JSON_FIELD_STRING, false, 64, &in.waba_id, NULL },
		{ "ask_contact", JSON_FIELD_BOOL, false, 0, &in.ask_contact, NULL },
	};
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	if (api_run(req, res, STORE_WRITE, 201, create, &in) == 0) {
		poller_wake(req->app->poller);
		scheduler_wake(req->app->scheduler); /* its templates are due */
	}
	json_decref(body);
}

/* What a PATCH changes: the one field it names. */
struct channel_change {
	const json_t *waba_id; /* NULL: not given */
	bool has_ask_contact;
	bool ask_contact;
};

static int update(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct channel_change *in = arg;
	struct channel c;
	int64_t now = clock_now_ms();
	int rc = in->has_ask_contact
	             ? channel_set_ask_contact(tx, req->who.account_id, req->params[0],
	                                       in->ask_contact, now, &c, e)
	             : channel_set_waba(tx, req->who.account_id, req->params[0],
	                                json_string_value(in->waba_id), now, &c, e);
	if (rc == 0)
		*answer =
		    json_pack("{s:o}", "channel", channel_json(&c, req->app->config->public_url));
	return rc;
}

void api_channel_update(struct http_request *req, struct http_response *res)
{
	struct channel_change in = { 0 };
	const struct json_field fields[] = {
		{ "waba_id", JSON_FIELD_VALUE, false, 0, &in.waba_id, NULL },
		{ "ask_contact", JSON_FIELD_BOOL, false, 0, &in.ask_contact, &in.has_ask_contact },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	if ((in.waba_id != NULL) == in.has_ask_contact)
		http_reply_errorf(res, ERR_INVALID, "send one of 'waba_id' and 'ask_contact'");
	else if (in.waba_id != NULL && !json_is_null(in.waba_id) &&
	         (!json_is_string(in.waba_id) || json_string_length(in.waba_id) > 64))
		http_reply_errorf(res, ERR_INVALID, "'waba_id' must be a numeric id or null");
	else if (api_run(req, res, STORE_WRITE, 200, update, &in) == 0)
		scheduler_wake(req->app->scheduler);
	json_decref(body);
}

static int templates(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                     struct error *e)
{
	(void)arg;
	json_t *list = NULL;
	int rc = template_list(tx, req->who.account_id, req->params[0], &list, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "templates", list);
	return rc;
}

void api_channel_templates(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, templates, NULL);
}

/* The sync waits on the Graph API with no transaction open, then answers the list it stored. */
void api_channel_templates_sync(struct http_request *req, struct http_response *res)
{
	struct error e;
	if (template_sync(req->app->store, req->app->seal, req->app->config, req->who.account_id,
	                  req->params[0], clock_now_ms(), NULL, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	api_run(req, res, STORE_READ, 200, templates, NULL);
}

void api_channel_remove(struct http_request *req, struct http_response *res)
{
	if (api_run(req, res, STORE_WRITE, 200, remove_channel, NULL) == 0)
		poller_wake(req->app->poller);
}
