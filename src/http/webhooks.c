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
#include "core/xmalloc.h"
#include "http/api.h"
#include "ingest.h"
#include "scheduler/scheduler.h"

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

/* A verified delivery on its way through the store's group commit. */
struct webhook {
	struct ingest_job ingest;
	struct http_request *req;
	struct meta_webhook *meta;
	struct inbound_list *events;
	int rc;                    /* the commit's */
	size_t found;              /* channels of ours the body names, signed or not */
	struct channel channels[]; /* those whose app secret signed it */
};

static void webhook_free(struct webhook *h)
{
	inbound_list_free(h->events);
	meta_webhook_free(h->meta);
	free(h);
}

/* After the group's commit, on the writer's thread: the connection resumes, and answers on
 * its own thread (finish). */
static void committed(struct ingest_job *j, int rc)
{
	struct webhook *h = (struct webhook *)j;
	h->rc = rc;
	http_resume(h->req);
}

static void finish(void *arg, struct http_response *res)
{
	struct webhook *h = arg;
	struct ingest_job *j = &h->ingest;
	struct app *app = h->req->app;
	if (h->rc < 0 && j->is_own)
		http_reply_error(res, &j->e);
	else if (h->rc < 0)
		http_reply_errorf(res, h->rc, "the change could not be saved; nothing changed");
	else
		http_reply_json(res, 200,
		                json_pack("{s:I,s:I}", "stored", (json_int_t)j->counts.stored,
		                          "duplicates", (json_int_t)j->counts.duplicates));
	if (h->rc == 0 && j->counts.queued > 0)
		outbox_worker_wake(app->outbox);
	/* Files to fetch after this answer; routing may have queued a conversation until its
	 * team opens, or started a reassignment timer. */
	if (h->rc == 0 && j->counts.stored > 0)
		scheduler_wake(app->scheduler);
	webhook_free(h);
}

/* Hands a verified delivery to the group commit; the answer comes after its commit. */
static void submit(struct http_request *req, struct webhook *h, int64_t now)
{
	h->req = req;
	h->ingest.channels = h->channels;
	h->ingest.events = h->events;
	h->ingest.now = now;
	h->ingest.done = committed;
	http_defer(req, finish, h);
	ingest_submit(req->app->store, &h->ingest);
}

/* Finds the channels of ours a Meta body names and keeps those whose app secret signed it;
 * in a read transaction, so the writer is not held while secrets are opened. */
static int verify_meta(struct http_request *req, const struct meta_webhook *w,
                       enum channel_kind kind, struct webhook *h, struct error *e)
{
	const char *signature = http_header(req, "X-Hub-Signature-256");
	struct store_tx *tx = store_begin(req->app->store, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int rc = 0;
	for (size_t i = 0; i < meta_webhook_channel_count(w) && rc == 0; i++) {
		struct channel ch;
		struct channel_secrets secrets;
		const char *id = meta_webhook_channel_id(w, i);
		rc = channel_find_external(tx, kind, id, &ch, e);
		if (rc == ERR_NOT_FOUND) {
			log_warn("webhook %s: no channel of ours is %.64s; ignored",
			         channel_kind_name(kind), id);
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = channel_secrets_get(tx, req->app->seal, ch.id, &secrets, e);
		if (rc < 0)
			break;
		h->found++;
		if (meta_signature_verify(signature, req->body.data, req->body.len,
		                          secrets.app_secret) == 0) {
			h->channels[h->ingest.channel_count++] = ch;
		} else {
			log_warn("webhook %s: bad signature for channel %lld",
			         channel_kind_name(kind), (long long)ch.id);
		}
		channel_secrets_clear(&secrets);
	}
	store_rollback(tx);
	return rc;
}

static void log_skipped(const char *what, const struct inbound_list *list)
{
	for (size_t i = 0; i < list->reason_count; i++)
		log_warn("webhook %s: skipped: %s", what, list->reasons[i]);
}

static struct webhook *webhook_new(size_t channels)
{
	return xcalloc(1, sizeof(struct webhook) + channels * sizeof(struct channel));
}

void api_webhook_meta(struct http_request *req, struct http_response *res)
{
	enum channel_kind kind = path_kind(req->path);
	struct meta_webhook *w = NULL;
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
	struct webhook *h = webhook_new(meta_webhook_channel_count(w));
	h->meta = w;
	int rc = verify_meta(req, w, kind, h, &e);
	/* A body naming no channel of ours is ignored; one that ours did not sign is refused. */
	if (rc == 0 && h->found > 0 && h->ingest.channel_count == 0)
		rc = error_set(&e, ERR_BAD_SIGNATURE, "the signature does not verify");
	if (rc < 0 || h->found == 0) {
		if (rc < 0)
			http_reply_error(res, &e);
		else
			http_reply_json(res, 200,
			                json_pack("{s:i,s:i}", "stored", 0, "duplicates", 0));
		webhook_free(h);
		return;
	}
	h->events = meta_webhook_events(w, now);
	log_skipped(channel_kind_name(kind), h->events);
	submit(req, h, now);
}

void api_webhook_telegram(struct http_request *req, struct http_response *res)
{
	struct channel_secrets secrets = { 0 };
	struct webhook *h = webhook_new(1);
	struct error e;
	int64_t now = clock_now_ms();
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL) {
		webhook_free(h);
		return;
	}
	int rc = channel_find_active(tx, CHANNEL_TELEGRAM, req->params[0], &h->channels[0], &e);
	if (rc == 0)
		rc = channel_secrets_get(tx, req->app->seal, h->channels[0].id, &secrets, &e);
	store_rollback(tx);
	if (rc == 0 && !telegram_secret_verify(http_header(req, "X-Telegram-Bot-Api-Secret-Token"),
	                                       secrets.webhook_secret))
		rc = error_set(&e, ERR_BAD_SIGNATURE,
		               "X-Telegram-Bot-Api-Secret-Token is missing or wrong");
	channel_secrets_clear(&secrets);
	if (rc == 0)
		rc = telegram_update_parse(req->body.data ? req->body.data : "", req->body.len, now,
		                           &h->events, &e);
	if (rc < 0) {
		http_reply_error(res, &e);
		webhook_free(h);
		return;
	}
	log_skipped("telegram", h->events);
	h->ingest.channel_count = 1;
	submit(req, h, now);
}
