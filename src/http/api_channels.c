/* Channels: /api/v1/channels (admins). Credentials go in, only hints come out. */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

void channel_webhook_url(const struct channel *c, const char *public_url, char *out, size_t size)
{
	if (c->kind == CHANNEL_TELEGRAM)
		snprintf(out, size, "%s/webhooks/telegram/%lld", public_url, (long long)c->id);
	else
		snprintf(out, size, "%s/webhooks/%s", public_url, channel_kind_name(c->kind));
}

void channel_widget_snippet(const struct channel *c, const char *public_url, char *out, size_t size)
{
	snprintf(out, size, "<script src=\"%s/widget.js\" data-key=\"%s\" async></script>",
	         public_url, c->external_id);
}

static const char *id_field(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "phone_number_id";
	case CHANNEL_MESSENGER:
		return "page_id";
	case CHANNEL_INSTAGRAM:
		return "instagram_account_id";
	case CHANNEL_WEBCHAT:
		return "widget_key";
	default:
		return "bot_id";
	}
}

static json_t *json_time(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

json_t *json_channel(const struct channel *c, const char *public_url)
{
	char url[1024];
	channel_webhook_url(c, public_url, url, sizeof(url));
	json_t *hints = json_loads(c->hints, 0, NULL);
	json_t *credentials = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(hints, key, v)
	    json_object_set_new(credentials, key, json_pack("{s:b,s:O}", "set", 1, "last4", v));
	json_decref(hints);
	json_t *out =
	    json_pack("{s:I,s:s,s:s,s:s,s:b,s:s,s:o,s:o,s:o,s:o,s:I,s:I}", "id", (json_int_t)c->id,
	              "kind", channel_kind_name(c->kind), "name", c->name, id_field(c->kind),
	              c->external_id, "active", c->is_active, "webhook_url", url, "credentials",
	              credentials, "last_inbound_at", json_time(c->last_inbound_at), "last_error",
	              c->last_error[0] ? json_string(c->last_error) : json_null(), "last_error_at",
	              json_time(c->last_error_at), "created_at", (json_int_t)c->created_at,
	              "updated_at", (json_int_t)c->updated_at);
	if (c->kind == CHANNEL_TELEGRAM)
		json_object_set_new(out, "mode",
		                    json_string(c->is_polling ? "polling" : "webhook"));
	if (c->kind == CHANNEL_WEBCHAT) {
		char snippet[1024];
		channel_widget_snippet(c, public_url, snippet, sizeof(snippet));
		json_object_del(out, "webhook_url");
		json_object_set_new(out, "snippet", json_string(snippet));
		json_object_set_new(out, "allowed_origins",
		                    c->allowed_origins[0] ? json_loads(c->allowed_origins, 0, NULL)
		                                          : json_null());
	}
	return out;
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
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_channel(&items[i], req->app->config->public_url));
	free(items);
	*answer = json_pack("{s:o}", "channels", arr);
	return 0;
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
	if (rc == 0)
		*answer =
		    json_pack("{s:o}", "channel", json_channel(&c, req->app->config->public_url));
	return rc;
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
	if (rc == 0)
		*answer =
		    json_pack("{s:o}", "channel", json_channel(&c, req->app->config->public_url));
	return rc;
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
	};
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	if (api_run(req, res, STORE_WRITE, 201, create, &in) == 0)
		poller_wake(req->app->poller);
	json_decref(body);
}

void api_channel_remove(struct http_request *req, struct http_response *res)
{
	if (api_run(req, res, STORE_WRITE, 200, remove_channel, NULL) == 0)
		poller_wake(req->app->poller);
}
