/*
 * The webhook sender: one thread driving libcurl's multi interface. A round, in one
 * transaction of the store's group commit, records the attempts that finished, builds the
 * bodies of new deliveries, takes back the leases of senders that died, and claims what may
 * go now — the oldest undelivered delivery of each conversation per endpoint, with a lease —
 * then the posts start. It never holds a transaction while waiting on the network; it is woken
 * by every commit (events/ calls webhook_sender_wake) and looks for others' work every second.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "webhooks/webhooks.h"

#define MAX_IN_FLIGHT 32
#define PER_HOST      8    /* connections to one endpoint's host */
#define PREPARE_BATCH 64   /* bodies built per round */
#define IDLE_POLL_MS  1000 /* how often an idle sender looks for work from others */

/* One post in flight. */
struct post {
	int64_t id;
	int64_t webhook_id;
	int attempts;
	char type[40];
	char *url;
	char *body;
	char *sealed_secret;
	char *headers[4];
	struct fetch fetch;
	int64_t started_ms;
	CURLcode code;
	char error[200]; /* why it failed without reaching the network */
	bool is_done;
};

struct webhook_sender {
	struct store *st;
	const struct seal *seal;
	const struct config *config;
	struct scheduler *scheduler;
	struct fetch_loop loop;
	char owner[TOKEN_TEXT_LEN];
	int64_t lease_ms;
	struct post *in_flight[MAX_IN_FLIGHT];
	int count;
};

static void post_free(struct post *p)
{
	fetch_clear(&p->fetch);
	for (size_t i = 0; i < sizeof(p->headers) / sizeof(p->headers[0]); i++)
		free(p->headers[i]);
	free(p->url);
	free(p->body);
	free(p->sealed_secret);
	free(p);
}

static char *header(const char *name, const char *value)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s: %s", name, value);
	return buf_take(&b);
}

/* Signs and starts the post; a secret that cannot be opened fails it at once. */
static void start_post(struct webhook_sender *s, struct post *p)
{
	p->started_ms = clock_now_ms();
	char *secret = seal_decrypt(s->seal, p->sealed_secret);
	if (secret == NULL) {
		snprintf(p->error, sizeof(p->error),
		         "the webhook's secret cannot be opened with this server's key");
		p->is_done = true;
		return;
	}
	char signature[WEBHOOK_SIGNATURE_MAX];
	size_t len = strlen(p->body);
	webhook_sign(secret, p->started_ms / 1000, p->body, len, signature);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	p->headers[0] = header("Content-Type", "application/json");
	p->headers[1] = header("User-Agent", "Centralita/" CENTRALITA_VERSION);
	p->headers[2] = header("X-Centralita-Event", p->type);
	p->headers[3] = header("X-Centralita-Signature", signature);
	fetch_post(&p->fetch, p->url, p->headers, 4, p->body, len, s->config->webhooks_timeout_ms,
	           WEBHOOK_ANSWER_MAX, p);
	fetch_guard(&p->fetch, s->config->webhooks_allow_private);
	curl_multi_add_handle(s->loop.multi, p->fetch.easy);
}

/* Why the attempt failed, for people ("" when it succeeded); *status is the HTTP status
 * answered (0: none). */
static void outcome(const struct webhook_sender *s, const struct post *p, long *status, char *why,
                    size_t size)
{
	*status = 0;
	why[0] = '\0';
	if (p->error[0] != '\0') {
		snprintf(why, size, "%s", p->error);
		return;
	}
	if (p->code != CURLE_OK) {
		if (p->fetch.refused[0] != '\0')
			snprintf(why, size, "%s", p->fetch.refused);
		else if (p->code == CURLE_OPERATION_TIMEDOUT)
			snprintf(why, size, "no answer within %d ms",
			         s->config->webhooks_timeout_ms);
		else
			snprintf(why, size, "could not post: %s", curl_easy_strerror(p->code));
		return;
	}
	curl_easy_getinfo(p->fetch.easy, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 300 && *status < 400)
		snprintf(why, size, "answered HTTP %ld (redirects are not followed)", *status);
	else if (*status < 200 || *status >= 300)
		snprintf(why, size, "answered HTTP %ld", *status);
}

/* The attempt's row in the log, and what it means for the delivery and its endpoint: done,
 * or a retry later; an endpoint failing for its whole period is disabled. Sets *is_retry. */
static int record(struct webhook_sender *s, struct store_tx *tx, const struct post *p, int64_t now,
                  bool *is_retry)
{
	long status;
	char why[300];
	outcome(s, p, &status, why, sizeof(why));
	char *answer = utf8_clean_copy(p->fetch.answer.data ? p->fetch.answer.data : "",
	                               p->fetch.answer.len, WEBHOOK_ANSWER_MAX);
	/* The endpoint may have been deleted meanwhile, and its deliveries with it. */
	int rc = store_exec(
	    tx,
	    "INSERT INTO webhook_attempts (delivery_id, webhook_id, attempted_at, status,"
	    " duration_ms, error, answer) SELECT $1, $2, $3, CASE WHEN $4 > 0 THEN $4 END, $5, $6,"
	    " $7"
	    " WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)",
	    STORE_ARGS(SV_INT(p->id), SV_INT(p->webhook_id), SV_INT(p->started_ms), SV_INT(status),
	               SV_INT(now - p->started_ms), why[0] ? SV_TEXT(why) : SV_NULL,
	               SV_TEXT(answer)));
	free(answer);
	if (rc >= 0 && why[0] == '\0') {
		rc = store_exec(
		    tx,
		    "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $2,"
		    " lease_owner = NULL, lease_until = NULL"
		    " WHERE id = $1 AND lease_owner = $3",
		    STORE_ARGS(SV_INT(p->id), SV_INT(now), SV_TEXT(s->owner)));
		if (rc >= 0)
			rc =
			    store_exec(tx, "UPDATE webhooks SET failing_since = NULL WHERE id = $1",
			               STORE_ARGS(SV_INT(p->webhook_id)));
		return rc < 0 ? rc : 0;
	}
	uint32_t random;
	token_random_bytes(&random, sizeof(random));
	double jitter = (double)random / (double)UINT32_MAX * 2.0 - 1.0;
	int64_t delay = clock_backoff_ms(p->attempts, jitter, 0);
	log_info("webhooks: delivery %lld to webhook %lld: %s; retry %d in %lld ms",
	         (long long)p->id, (long long)p->webhook_id, why, p->attempts, (long long)delay);
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "UPDATE webhook_deliveries SET state = 'waiting', next_attempt_at = $2,"
		    " lease_owner = NULL, lease_until = NULL"
		    " WHERE id = $1 AND lease_owner = $3",
		    STORE_ARGS(SV_INT(p->id), SV_INT(now + delay), SV_TEXT(s->owner)));
	*is_retry |= rc > 0;
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE webhooks SET failing_since = coalesce(failing_since, $2)"
		                " WHERE id = $1",
		                STORE_ARGS(SV_INT(p->webhook_id), SV_INT(p->started_ms)));
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "UPDATE webhooks SET is_enabled = 0, disabled_at = $2, updated_at = $2,"
		    " disabled_reason = 'every attempt failed for ' || (($2 - failing_since) / 1000)"
		    " || ' s; the last one: ' || $3"
		    " WHERE id = $1 AND is_enabled = 1 AND failing_since <= $2 - disable_after_ms",
		    STORE_ARGS(SV_INT(p->webhook_id), SV_INT(now), SV_TEXT(why)));
	if (rc > 0)
		log_warn(
		    "webhooks: webhook %lld disabled: every attempt failed for its period (%s)",
		    (long long)p->webhook_id, why);
	return rc < 0 ? rc : 0;
}

/* The deliveries (d, of endpoint w) that may go at $1: ready, with a body, on an enabled
 * endpoint, and the oldest undelivered one of their conversation for that endpoint. */
#define CLAIMABLE                                                                 \
	"d.state = 'pending' AND d.next_attempt_at <= $1 AND w.is_enabled = 1"    \
	" AND d.payload IS NOT NULL AND (d.conversation_id IS NULL OR NOT EXISTS" \
	" (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id"  \
	" AND p.conversation_id = d.conversation_id AND p.id < d.id"              \
	" AND p.state <> 'delivered'))"

/* Whether a round would find work: bodies to build, leases to take back or deliveries to
 * claim. A read, so an idle sender woken by every commit (its own rounds' too) writes
 * nothing and is not woken again. */
static bool has_work(struct webhook_sender *s, int64_t now)
{
	int64_t n = 1;
	struct store_tx *tx = store_begin(s->st, STORE_READ);
	if (tx != NULL &&
	    store_get_int(tx,
	                  "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE payload IS NULL)"
	                  " OR EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'sending'"
	                  " AND lease_until < $1) OR EXISTS (SELECT 1 FROM webhook_deliveries d"
	                  " JOIN webhooks w ON w.id = d.webhook_id WHERE " CLAIMABLE ")",
	                  STORE_ARGS(SV_INT(now)), &n) < 0)
		n = 1; /* let the round find out */
	store_rollback(tx);
	return n != 0;
}

static void read_claim(struct store_rows *r, void *item)
{
	struct post **p = item;
	*p = xcalloc(1, sizeof(**p));
	(*p)->id = store_int(r, 0);
	(*p)->webhook_id = store_int(r, 1);
	(*p)->attempts = (int)store_int(r, 2) + 1;
	snprintf((*p)->type, sizeof((*p)->type), "%s", store_text(r, 3));
	(*p)->body = xstrdup(store_text(r, 4));
	(*p)->url = xstrdup(store_text(r, 5));
	(*p)->sealed_secret = xstrdup(store_text(r, 6));
}

/* The deliveries that may go now, with a lease: *claimed, of *n, to start after the commit. */
static int claim(struct webhook_sender *s, struct store_tx *tx, int64_t now, struct post ***claimed,
                 size_t *n)
{
	*claimed = NULL;
	*n = 0;
	/* Leases of senders that died come back once they expire. */
	int rc = store_exec(tx,
	                    "UPDATE webhook_deliveries SET state = 'pending', lease_owner = NULL,"
	                    " lease_until = NULL WHERE state = 'sending' AND lease_until < $1",
	                    STORE_ARGS(SV_INT(now)));
	struct post **found = NULL;
	size_t nfound = 0;
	if (rc >= 0)
		rc = store_collect(
		    tx,
		    "SELECT d.id, d.webhook_id, d.attempts, d.type, d.payload, w.url, w.secret"
		    " FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
		    " WHERE " CLAIMABLE " ORDER BY d.id LIMIT $2",
		    STORE_ARGS(SV_INT(now), SV_INT(MAX_IN_FLIGHT - s->count)), sizeof(*found),
		    read_claim, (void **)&found, &nfound);
	for (size_t i = 0; i < nfound; i++) {
		if (rc >= 0)
			rc = store_exec(
			    tx,
			    "UPDATE webhook_deliveries SET state = 'sending',"
			    " lease_owner = $2, lease_until = $3, attempts = attempts + 1"
			    " WHERE id = $1 AND state = 'pending'",
			    STORE_ARGS(SV_INT(found[i]->id), SV_TEXT(s->owner),
			               SV_INT(now + s->lease_ms)));
		if (rc == 1)
			found[(*n)++] = found[i];
		else
			post_free(found[i]);
	}
	*claimed = found;
	return rc < 0 ? rc : 0;
}

/* A round's work in the store. */
struct round {
	struct webhook_sender *s;
	struct post **done;
	int ndone;
	bool is_claiming;
	int64_t now;
	bool is_retry; /* a retry was scheduled: the scheduler hears of it */
	struct post **claimed;
	size_t nclaimed;
};

/* The claims a round took, freed: after a failed claim, and before a group runs the round
 * again. */
static void round_unclaim(struct round *r)
{
	for (size_t i = 0; i < r->nclaimed; i++)
		post_free(r->claimed[i]);
	free(r->claimed);
	r->claimed = NULL;
	r->nclaimed = 0;
}

/* In the store's group commit: the outcomes, then in a savepoint the bodies and the claims,
 * so a failure there keeps the outcomes. A group may run it again: it starts afresh. */
static int run_round_tx(struct store_tx *tx, void *arg)
{
	struct round *r = arg;
	struct error e;
	int rc = 0;
	r->is_retry = false;
	round_unclaim(r);
	for (int i = 0; i < r->ndone && rc >= 0; i++)
		rc = record(r->s, tx, r->done[i], r->now, &r->is_retry);
	if (rc < 0 || !r->is_claiming || (rc = store_savepoint(tx)) < 0)
		return rc < 0 ? rc : 0;
	int crc = webhook_prepare(tx, PREPARE_BATCH, &e);
	if (crc < 0)
		log_error("webhooks: cannot build delivery bodies: %s", e.message);
	else
		crc = claim(r->s, tx, r->now, &r->claimed, &r->nclaimed);
	if (crc < 0)
		round_unclaim(r);
	return store_savepoint_end(tx, crc >= 0);
}

static void run_round(struct webhook_sender *s, struct post **done, int ndone, bool is_claiming)
{
	struct round r = { .s = s,
		           .done = done,
		           .ndone = ndone,
		           .is_claiming = is_claiming,
		           .now = clock_now_ms() };
	int rc = store_run(s->st, run_round_tx, &r);
	if (rc < 0)
		log_error(
		    "webhooks: recording %d attempts failed; their leases will expire and they "
		    "will be sent again",
		    ndone);
	if (rc >= 0 && r.is_retry)
		scheduler_wake(s->scheduler);
	for (int i = 0; i < ndone; i++)
		post_free(done[i]);
	for (size_t i = 0; i < r.nclaimed; i++) {
		if (rc < 0) {
			post_free(r.claimed[i]);
			continue;
		}
		s->in_flight[s->count++] = r.claimed[i];
		start_post(s, r.claimed[i]);
	}
	free(r.claimed);
}

/* The finished posts, taken out of the in-flight list; how many. */
static int take_finished(struct webhook_sender *s, struct post **done)
{
	int ndone = 0, left = 0;
	struct post *p;
	CURLcode code;
	while ((p = fetch_next_done(s->loop.multi, &code)) != NULL) {
		p->code = code;
		p->is_done = true;
	}
	for (int i = 0; i < s->count; i++) {
		p = s->in_flight[i];
		if (p->is_done)
			done[ndone++] = p;
		else
			s->in_flight[left++] = p;
	}
	s->count = left;
	return ndone;
}

static void *run(void *arg)
{
	struct webhook_sender *s = arg;
	struct post *done[MAX_IN_FLIGHT];
	int64_t next_look = 0;
	for (;;) {
		bool is_stopping = atomic_load(&s->loop.is_stopping);
		if (is_stopping && s->count == 0)
			break;
		int running;
		curl_multi_perform(s->loop.multi, &running);
		int ndone = take_finished(s, done);
		int64_t now = clock_now_ms();
		bool is_woken = atomic_exchange(&s->loop.is_woken, false);
		bool is_claiming = !is_stopping && s->count < MAX_IN_FLIGHT &&
		                   (is_woken || ndone > 0 || now >= next_look);
		if (is_claiming) {
			next_look = now + IDLE_POLL_MS;
			is_claiming = ndone > 0 || has_work(s, now);
		}
		if (ndone > 0 || is_claiming) {
			run_round(s, done, ndone, is_claiming);
			continue;
		}
		curl_multi_poll(s->loop.multi, NULL, 0, IDLE_POLL_MS, NULL);
	}
	return NULL;
}

struct webhook_sender *webhook_sender_start(struct store *st, const struct seal *seal,
                                            const struct config *config,
                                            struct scheduler *scheduler, struct error *e)
{
	struct webhook_sender *s = xcalloc(1, sizeof(*s));
	s->st = st;
	s->seal = seal;
	s->config = config;
	s->scheduler = scheduler;
	/* A lease outlives the longest post and the store's wait to record it. */
	s->lease_ms = (int64_t)config->webhooks_timeout_ms + config->busy_timeout_ms;
	token_generate(s->owner);
	if (fetch_loop_start(&s->loop, "webhooks", PER_HOST, MAX_IN_FLIGHT, run, s) != 0) {
		free(s);
		error_set(e, ERR_UNAVAILABLE, "cannot start the webhook sender's thread");
		return NULL;
	}
	return s;
}

void webhook_sender_wake(void *arg)
{
	struct webhook_sender *s = arg;
	if (s != NULL)
		fetch_loop_wake(&s->loop);
}

void webhook_sender_stop(struct webhook_sender *s)
{
	if (s == NULL)
		return;
	fetch_loop_stop(&s->loop);
	free(s);
}
