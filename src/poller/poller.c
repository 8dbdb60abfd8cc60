/* The Telegram poller; see poller.h. Never holds a transaction while waiting on the network. */
#include "poller/poller.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "ingest.h"

#define MAX_BOTS        256
#define ANSWER_MAX      (4 * 1024 * 1024)
#define QUICK_EMPTY_MS  1000 /* an empty answer sooner than this waits before polling again */
#define LEADER_RETRY_MS 1000 /* a channel another server polls: how often to try to take it */

enum call { CALL_NONE, CALL_DELETE_WEBHOOK, CALL_GET_UPDATES, CALL_SET_WEBHOOK };

struct bot {
	int64_t channel_id;
	char leader_name[40]; /* the leadership of its calls (store_leader_try) */
	bool is_leader;
	bool has_tried; /* to take the leadership, once at least */
	bool is_polling;
	bool is_webhook_set;     /* webhook mode: setWebhook succeeded */
	bool is_webhook_cleared; /* polling mode: deleteWebhook succeeded */
	bool is_seen;            /* still active at the last refresh */
	int64_t offset;
	struct channel_secrets secrets;
	enum call call;
	struct fetch fetch;
	struct channel_request *req;
	int64_t started_at;
	int64_t next_at;
	int failures;
};

struct poller {
	struct store *st;
	const struct seal *seal;
	const struct config *config;
	struct outbox_worker *outbox;
	struct scheduler *scheduler; /* fetches the files of stored messages */
	pthread_t thread;
	CURLM *multi;
	atomic_bool is_stopping;
	atomic_bool is_woken;
	struct bot *bots[MAX_BOTS];
	int count;
	int64_t refresh_at;
};

static void end_call(struct poller *p, struct bot *b)
{
	if (b->fetch.easy != NULL)
		curl_multi_remove_handle(p->multi, b->fetch.easy);
	fetch_clear(&b->fetch);
	channel_request_free(b->req);
	b->req = NULL;
	b->call = CALL_NONE;
}

static void bot_free(struct poller *p, struct bot *b)
{
	end_call(p, b);
	if (b->is_leader)
		store_leader_release(p->st, b->leader_name);
	channel_secrets_clear(&b->secrets);
	free(b);
}

static struct bot *find_bot(struct poller *p, int64_t channel_id)
{
	for (int i = 0; i < p->count; i++)
		if (p->bots[i]->channel_id == channel_id)
			return p->bots[i];
	return NULL;
}

/* Reads the active Telegram channels: adds new ones, drops removed ones. */
static void refresh(struct poller *p, int64_t now)
{
	p->refresh_at = now + POLL_REFRESH_MS; /* also when the store fails: no spinning */
	struct store_tx *tx = store_begin(p->st, STORE_READ);
	struct store_rows *r = NULL;
	if (tx == NULL || store_query(tx,
	                              "SELECT id, telegram_mode, telegram_offset,"
	                              " coalesce(telegram_webhook_at, 0) FROM channels"
	                              " WHERE kind = 'telegram' AND is_active = 1",
	                              STORE_NO_ARGS, &r) < 0) {
		store_rollback(tx);
		return;
	}
	for (int i = 0; i < p->count; i++)
		p->bots[i]->is_seen = false;
	while (store_next(r) == 1) {
		int64_t id = store_int(r, 0);
		struct bot *b = find_bot(p, id);
		bool is_polling = strcmp(store_text(r, 1), "polling") == 0;
		if (b == NULL && p->count < MAX_BOTS) {
			b = xcalloc(1, sizeof(*b));
			struct error e;
			if (channel_secrets_get(tx, p->seal, id, &b->secrets, &e) < 0) {
				log_error("poller: channel %lld: %s", (long long)id, e.message);
				free(b);
				continue;
			}
			b->channel_id = id;
			snprintf(b->leader_name, sizeof(b->leader_name), "telegram:%lld",
			         (long long)id);
			b->offset = store_int(r, 2);
			b->is_polling = is_polling;
			b->is_webhook_set = store_int(r, 3) > 0;
			b->next_at = now;
			p->bots[p->count++] = b;
		}
		if (b != NULL)
			b->is_seen = true;
	}
	store_rows_free(r);
	store_rollback(tx);
	int kept = 0;
	for (int i = 0; i < p->count; i++) {
		if (p->bots[i]->is_seen)
			p->bots[kept++] = p->bots[i];
		else
			bot_free(p, p->bots[i]);
	}
	p->count = kept;
}

static void start_call(struct poller *p, struct bot *b, enum call call, int64_t now)
{
	static const char *const methods[] = { "", "deleteWebhook", "getUpdates", "setWebhook" };
	json_t *params;
	long timeout_ms = (long)p->config->send_timeout_s * 1000;
	if (call == CALL_GET_UPDATES) {
		params = json_pack("{s:I,s:i,s:[s,s,s]}", "offset", (json_int_t)b->offset,
		                   "timeout", POLL_TIMEOUT_S, "allowed_updates", "message",
		                   "edited_message", "callback_query");
		timeout_ms = (POLL_TIMEOUT_S + 10) * 1000L;
	} else if (call == CALL_SET_WEBHOOK) {
		char url[1024];
		snprintf(url, sizeof(url), "%s/webhooks/telegram/%lld", p->config->public_url,
		         (long long)b->channel_id);
		params = json_pack("{s:s,s:s,s:[s,s,s]}", "url", url, "secret_token",
		                   b->secrets.webhook_secret, "allowed_updates", "message",
		                   "edited_message", "callback_query");
	} else {
		params = json_object();
	}
	struct error e;
	if (telegram_call_new(p->config->telegram_api_url, b->secrets.bot_token, methods[call],
	                      params, &b->req, &e) < 0) {
		log_error("poller: channel %lld: %s", (long long)b->channel_id, e.message);
		b->next_at = now + POLL_MAX_BACKOFF_MS;
		return;
	}
	fetch_post(&b->fetch, b->req->url, b->req->headers, b->req->header_count, b->req->body,
	           b->req->body_len, timeout_ms, ANSWER_MAX, b);
	curl_multi_add_handle(p->multi, b->fetch.easy);
	b->call = call;
	b->started_at = now;
}

/* Notes a failed call on the channel and backs off: 1 s doubling to a minute. */
static void failed(struct poller *p, struct bot *b, const char *what, int retry_after_s,
                   int64_t now)
{
	int64_t delay = POLL_MAX_BACKOFF_MS;
	if (b->failures < 6)
		delay = 1000LL << b->failures;
	if ((int64_t)retry_after_s * 1000 > delay)
		delay = (int64_t)retry_after_s * 1000;
	b->failures++;
	b->next_at = now + delay;
	log_warn("poller: channel %lld: %s", (long long)b->channel_id, what);
	struct store_tx *tx = store_begin(p->st, STORE_WRITE);
	if (tx != NULL && channel_note_error(tx, b->channel_id, what, now) == 0)
		store_commit(tx);
	else
		store_rollback(tx);
}

/* A batch of updates and the offset that confirms them, committed together. */
struct update_batch {
	struct ingest_job job; /* first: save_offset finds the batch from it */
	int64_t channel_id;
	int64_t next_offset;
};

static int save_offset(struct store_tx *tx, struct ingest_job *j)
{
	const struct update_batch *u = (const struct update_batch *)j;
	int rc = store_exec(tx, "UPDATE channels SET telegram_offset = $2 WHERE id = $1",
	                    STORE_ARGS(SV_INT(u->channel_id), SV_INT(u->next_offset)));
	return store_failed(&j->e, rc);
}

/* Stores the updates and the offset that confirms them, through the group commit. */
static int store_updates(struct poller *p, struct bot *b, const struct inbound_list *events,
                         int64_t next_offset, int64_t now, size_t *stored, struct error *e)
{
	struct channel ch;
	struct store_tx *tx = store_begin(p->st, STORE_READ);
	int rc = tx != NULL ? channel_find_active(tx, CHANNEL_TELEGRAM, b->channel_id, &ch, e)
	                    : error_set(e, ERR_UNAVAILABLE, "the database is not available");
	store_rollback(tx);
	if (rc < 0)
		return rc;
	struct update_batch u = { .job = { .channels = &ch,
		                           .channel_count = 1,
		                           .events = events,
		                           .now = now,
		                           .also = save_offset },
		                  .channel_id = b->channel_id,
		                  .next_offset = next_offset };
	rc = ingest_run(p->st, &u.job);
	if (rc < 0)
		*e = u.job.e;
	*stored = u.job.counts.stored;
	return rc;
}

static void finish_updates(struct poller *p, struct bot *b, long status, int64_t now)
{
	struct inbound_list *events = NULL;
	int64_t next_offset;
	int retry_after;
	struct error e;
	size_t stored = 0;
	int rc = telegram_updates_parse(status, b->fetch.answer.data, b->fetch.answer.len, now,
	                                b->offset, &events, &next_offset, &retry_after, &e);
	if (rc == 0 && events->count + events->skipped > 0)
		rc = store_updates(p, b, events, next_offset, now, &stored, &e);
	if (rc < 0) {
		failed(p, b, e.message, retry_after, now);
	} else {
		for (size_t i = 0; i < events->reason_count; i++)
			log_warn("poller: channel %lld: skipped: %s", (long long)b->channel_id,
			         events->reasons[i]);
		b->offset = next_offset;
		b->failures = 0;
		bool is_quick_empty = events->count == 0 && now - b->started_at < QUICK_EMPTY_MS;
		b->next_at = is_quick_empty ? now + QUICK_EMPTY_MS : now;
		if (stored > 0) {
			outbox_worker_wake(p->outbox);
			scheduler_wake(p->scheduler);
		}
	}
	inbound_list_free(events);
}

static void finish(struct poller *p, struct bot *b, CURLcode code, int64_t now)
{
	long status = 0;
	struct error e;
	curl_easy_getinfo(b->fetch.easy, CURLINFO_RESPONSE_CODE, &status);
	enum call call = b->call;
	if (code != CURLE_OK) {
		char what[256];
		snprintf(what, sizeof(what), "could not reach Telegram: %s",
		         curl_easy_strerror(code));
		failed(p, b, what, 0, now);
	} else if (call == CALL_GET_UPDATES) {
		finish_updates(p, b, status, now);
	} else if (telegram_answer_ok(status, b->fetch.answer.data, b->fetch.answer.len, &e) < 0) {
		failed(p, b, e.message, 0, now);
	} else if (call == CALL_DELETE_WEBHOOK) {
		b->is_webhook_cleared = true;
		b->failures = 0;
		b->next_at = now;
	} else {
		b->is_webhook_set = true;
		b->failures = 0;
		struct store_tx *tx = store_begin(p->st, STORE_WRITE);
		if (tx != NULL && store_exec(tx,
		                             "UPDATE channels SET telegram_webhook_at = $2,"
		                             " last_error = NULL WHERE id = $1",
		                             STORE_ARGS(SV_INT(b->channel_id), SV_INT(now))) >= 0)
			store_commit(tx);
		else
			store_rollback(tx);
		log_info("poller: channel %lld: webhook registered", (long long)b->channel_id);
	}
	end_call(p, b);
}

/* Whether the bot has a call to make when its time comes: a webhook set needs none. */
static bool is_waiting(const struct bot *b)
{
	return b->call == CALL_NONE && (b->is_polling || !b->is_webhook_set);
}

/*
 * Whether this server makes b's calls: one server at a time does, so that two never poll one
 * bot (Telegram ends one poll with a 409) or register its webhook twice. A server taking a
 * channel over goes on from the offset its last poller stored.
 */
static bool leads(struct poller *p, struct bot *b)
{
	bool was_leader = b->is_leader, is_first = !b->has_tried;
	b->has_tried = true;
	b->is_leader = store_leader_try(p->st, b->leader_name);
	if (b->is_leader == was_leader && !is_first)
		return b->is_leader;
	if (store_is_shared(p->st))
		log_info("poller: channel %lld: %s", (long long)b->channel_id,
		         b->is_leader ? "this server makes its calls now"
		                      : "another server makes its calls");
	struct store_tx *tx = b->is_leader && !is_first ? store_begin(p->st, STORE_READ) : NULL;
	if (tx != NULL)
		store_get_int(tx, "SELECT telegram_offset FROM channels WHERE id = $1",
		              STORE_ARGS(SV_INT(b->channel_id)), &b->offset);
	store_rollback(tx);
	return b->is_leader;
}

static void step(struct poller *p, int64_t now)
{
	for (int i = 0; i < p->count; i++) {
		struct bot *b = p->bots[i];
		if (!is_waiting(b) || b->next_at > now)
			continue;
		if (!leads(p, b)) {
			b->next_at = now + LEADER_RETRY_MS;
			continue;
		}
		if (b->is_polling)
			start_call(p, b,
			           b->is_webhook_cleared ? CALL_GET_UPDATES : CALL_DELETE_WEBHOOK,
			           now);
		else if (!b->is_webhook_set)
			start_call(p, b, CALL_SET_WEBHOOK, now);
	}
}

static void *run(void *arg)
{
	struct poller *p = arg;
	while (!atomic_load(&p->is_stopping)) {
		int64_t now = clock_now_ms();
		if (atomic_exchange(&p->is_woken, false) || now >= p->refresh_at)
			refresh(p, now);
		step(p, now);
		int running;
		curl_multi_perform(p->multi, &running);
		CURLMsg *m;
		int queued;
		while ((m = curl_multi_info_read(p->multi, &queued)) != NULL) {
			struct bot *b;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&b);
			finish(p, b, m->data.result, clock_now_ms());
		}
		/* Until the next refresh or call, or a transfer's progress: never a busy loop. */
		now = clock_now_ms();
		int64_t wait = p->refresh_at - now;
		for (int i = 0; i < p->count; i++)
			if (is_waiting(p->bots[i]) && p->bots[i]->next_at - now < wait)
				wait = p->bots[i]->next_at - now;
		if (wait > 0)
			curl_multi_poll(p->multi, NULL, 0, (int)(wait < 1000 ? wait : 1000), NULL);
	}
	for (int i = 0; i < p->count; i++)
		bot_free(p, p->bots[i]);
	p->count = 0;
	return NULL;
}

struct poller *poller_start(struct store *st, const struct seal *seal, const struct config *config,
                            struct outbox_worker *outbox, struct scheduler *scheduler,
                            struct error *e)
{
	struct poller *p = xcalloc(1, sizeof(*p));
	p->st = st;
	p->seal = seal;
	p->config = config;
	p->outbox = outbox;
	p->scheduler = scheduler;
	p->multi = curl_multi_init();
	if (thread_start(&p->thread, "poller", run, p) != 0) {
		curl_multi_cleanup(p->multi);
		free(p);
		error_set(e, ERR_UNAVAILABLE, "cannot start the Telegram poller");
		return NULL;
	}
	return p;
}

void poller_wake(struct poller *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->is_woken, true);
	curl_multi_wakeup(p->multi);
}

void poller_stop(struct poller *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->is_stopping, true);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	curl_multi_cleanup(p->multi);
	free(p);
}
