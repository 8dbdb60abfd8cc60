/*
 * Provider webhooks: Meta's GET handshake, signed Meta POSTs (WhatsApp, Messenger,
 * Instagram) and Telegram updates. A POST is answered 200 only after its events are
 * committed; a store failure is 503 so the provider retries and nothing is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/api.h"
#include "ingest.h"

/* The Meta kind a /webhooks/<kind> path serves. */
static enum channel_kind path_kind(const char *path)
{
	if (strcmp(path, "/webhooks/whatsapp") == 0)
		return CHANNEL_WHATSAPP;
	if (strcmp(path, "/webhooks/messenger") == 0)
		return CHANNEL_MESSENGER;
	return CHANNEL_INSTAGRAM;
}

void api_webhook_verify(struct http_request *req, struct http_response *res)
{
	enum channel_kind kind = path_kind(req->path);
	const char *mode = http_query(req, "hub.mode");
	const char *token = http_query(req, "hub.verify_token");
	const char *challenge = http_query(req, "hub.challenge");
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct error e;
	int rc = token != NULL ? channel_find_verify_token(tx, kind, token, &e)
	                       : error_set(&e, ERR_FORBIDDEN, "no verify token");
	store_rollback(tx);
	if (rc == ERR_UNAVAILABLE || rc == ERR_INTERNAL) {
		http_reply_error(res, &e);
		return;
	}
	if (rc < 0 || meta_subscription_verify(mode, token, challenge, token) < 0) {
		log_warn("webhook %s: refused a subscription handshake", channel_kind_name(kind));
		http_reply_errorf(res, ERR_FORBIDDEN, "the verify token matches no channel");
		return;
	}
	http_reply_text(res, 200, challenge);
}

/* The channels a Meta body names: how many are ours, and those whose app secret signed it. */
struct signed_channels {
	struct channel list[META_MAX_CHANNELS];
	size_t count;
	size_t found;
};

static int verify_meta(struct http_request *req, struct store_tx *tx, const struct meta_webhook *w,
                       enum channel_kind kind, struct signed_channels *out, struct error *e)
{
	const char *signature = http_header(req, "X-Hub-Signature-256");
	out->count = 0;
	out->found = 0;
	for (size_t i = 0; i < meta_webhook_channel_count(w); i++) {
		struct channel ch;
		struct channel_secrets secrets;
		const char *id = meta_webhook_channel_id(w, i);
		int rc = channel_find_external(tx, kind, id, &ch, e);
		if (rc == ERR_NOT_FOUND) {
			log_warn("webhook %s: no channel of ours is %.64s; ignored",
			         channel_kind_name(kind), id);
			continue;
		}
		if (rc == 0)
			rc = channel_secrets_get(tx, req->app->seal, ch.id, &secrets, e);
		if (rc < 0)
			return rc;
		out->found++;
		if (meta_signature_verify(signature, req->body.data, req->body.len,
		                          secrets.app_secret) == 0) {
			out->list[out->count++] = ch;
		} else {
			log_warn("webhook %s: bad signature for channel %lld",
			         channel_kind_name(kind), (long long)ch.id);
		}
		channel_secrets_clear(&secrets);
	}
	return 0;
}

static void log_skipped(const char *what, const struct inbound_list *list)
{
	for (size_t i = 0; i < list->reason_count; i++)
		log_warn("webhook %s: skipped: %s", what, list->reasons[i]);
	if (list->is_truncated)
		log_warn("webhook %s: more than %d items; the rest were not read", what,
		         INBOUND_MAX_EVENTS);
}

void api_webhook_meta(struct http_request *req, struct http_response *res)
{
	enum channel_kind kind = path_kind(req->path);
	struct meta_webhook *w = NULL;
	struct inbound_list *events = NULL;
	struct error e;
	int64_t now = clock_now_ms();
	if (http_header(req, "X-Hub-Signature-256") == NULL) {
		http_reply_errorf(res, ERR_BAD_SIGNATURE, "X-Hub-Signature-256 is missing");
		return;
	}
	if (meta_webhook_new(kind, req->body.data ? req->body.data : "", req->body.len, &w, &e) <
	    0) {
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		goto out;
	struct signed_channels *ours = calloc(1, sizeof(*ours));
	int rc = ours != NULL ? verify_meta(req, tx, w, kind, ours, &e)
	                      : error_set(&e, ERR_UNAVAILABLE, "out of memory");
	/* A body naming no channel of ours is ignored; one that ours did not sign is refused. */
	if (rc == 0 && ours->found > 0 && ours->count == 0)
		rc = error_set(&e, ERR_BAD_SIGNATURE, "the signature does not verify");
	struct ingest_counts total = { 0 };
	if (rc == 0 && ours->count > 0) {
		events = meta_webhook_events(w, now);
		log_skipped(channel_kind_name(kind), events);
		for (size_t i = 0; i < ours->count && rc == 0; i++) {
			struct ingest_counts c;
			rc = ingest_events(tx, &ours->list[i], events, now, &c, &e);
			total.stored += c.stored;
			total.duplicates += c.duplicates;
			total.queued += c.queued;
		}
	}
	free(ours);
	if (api_finish(res, tx, rc, &e) == 0) {
		if (total.queued > 0)
			outbox_worker_wake(req->app->outbox);
		http_reply_json(res, 200,
		                json_pack("{s:I,s:I}", "stored", (json_int_t)total.stored,
		                          "duplicates", (json_int_t)total.duplicates));
	}
out:
	inbound_list_free(events);
	meta_webhook_free(w);
}

void api_webhook_telegram(struct http_request *req, struct http_response *res)
{
	struct inbound_list *events = NULL;
	struct channel_secrets secrets = { 0 };
	struct channel ch;
	struct error e;
	int64_t now = clock_now_ms();
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	int rc = channel_find_active(tx, CHANNEL_TELEGRAM, req->params[0], &ch, &e);
	if (rc == 0)
		rc = channel_secrets_get(tx, req->app->seal, ch.id, &secrets, &e);
	if (rc == 0 && !telegram_secret_verify(http_header(req, "X-Telegram-Bot-Api-Secret-Token"),
	                                       secrets.webhook_secret))
		rc = error_set(&e, ERR_BAD_SIGNATURE,
		               "X-Telegram-Bot-Api-Secret-Token is missing or wrong");
	channel_secrets_clear(&secrets);
	if (rc == 0)
		rc = telegram_update_parse(req->body.data ? req->body.data : "", req->body.len, now,
		                           &events, &e);
	struct ingest_counts c = { 0 };
	if (rc == 0) {
		log_skipped("telegram", events);
		rc = ingest_events(tx, &ch, events, now, &c, &e);
	}
	if (api_finish(res, tx, rc, &e) == 0) {
		if (c.queued > 0)
			outbox_worker_wake(req->app->outbox);
		http_reply_json(res, 200,
		                json_pack("{s:I,s:I}", "stored", (json_int_t)c.stored, "duplicates",
		                          (json_int_t)c.duplicates));
	}
	inbound_list_free(events);
}
