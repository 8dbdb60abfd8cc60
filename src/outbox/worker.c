/*
 * The delivery worker: one thread driving libcurl's multi interface. It claims due messages
 * with a lease (one per conversation at a time, so order holds, across servers too), sends
 * them, classifies the answers (providers/), and records the outcomes of a round and claims
 * the next messages in one transaction, joining the store's group commit. When that fails,
 * each outcome is recorded alone, so a send the provider accepted is not sent again
 * unless the store is down. Web chat messages need no network: they are accepted at once.
 * A file goes as a multipart upload streamed from the file store (WhatsApp's takes two
 * requests: the upload, then the send by the media id it answered). It never holds a
 * transaction while waiting on the network.
 */
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "events/events.h"
#include "media/media.h"
#include "outbox/outbox.h"

#define ANSWER_MAX   (64 * 1024) /* bytes of a provider's answer kept for classifying */
#define IDLE_POLL_MS 1000        /* how often an idle worker looks for work from others */
#define RECORD_TRIES 3           /* attempts to record an outcome alone */
#define CLAIM_SPACE  0x4f555442  /* 'OUTB': store_tx_try_lock's space for conversations */

/* A file being sent, and what WhatsApp's second request needs once the upload answered. */
struct send_file {
	int fd;
	int64_t size;
	char kind[16];
	char mime_type[128];
	char *file_name;
	char *caption;
	char external_id[INBOUND_ID_MAX + 1];
	char recipient[INBOUND_ID_MAX + 1];
	char *token; /* wiped when freed */
	bool is_uploaded;
};

/* One message in flight. */
struct send {
	int64_t outbox_id;
	int64_t message_id;
	int64_t channel_id;
	enum channel_kind kind;
	int attempts;
	int64_t queued_at;
	struct fetch fetch;
	struct channel_request *req;
	struct send_result result;
	bool is_done; /* the result is known */
	bool is_call; /* a provider call (provider_calls), not a message: nothing to record */
	struct send_file *file; /* a file's send, NULL for a text */
};

struct outbox_worker {
	struct store *st;
	const struct seal *seal;
	const struct config *config;
	struct file_store *files;
	struct fetch_loop loop;
	char owner[TOKEN_TEXT_LEN];
	int64_t lease_ms;
	struct send *in_flight[OUTBOX_MAX_IN_FLIGHT];
	int count;
	int64_t next_claim_at;
};

static void send_free(struct send *s)
{
	fetch_clear(&s->fetch);
	channel_request_free(s->req);
	if (s->file != NULL) {
		if (s->file->fd >= 0)
			close(s->file->fd);
		free(s->file->file_name);
		free(s->file->caption);
		if (s->file->token != NULL)
			sodium_memzero(s->file->token, strlen(s->file->token));
		free(s->file->token);
		free(s->file);
	}
	free(s);
}

static int in_flight_on(const struct outbox_worker *w, int64_t channel_id)
{
	int n = 0;
	for (int i = 0; i < w->count; i++)
		n += w->in_flight[i]->channel_id == channel_id;
	return n;
}

/* Marks a message failed for good, with the provider's code and a sentence for people. */
static int fail_for_good(struct store_tx *tx, const struct send *s, long code, const char *reason,
                         int64_t now)
{
	log_warn("outbox: message %lld on channel %lld failed: %s (%ld)", (long long)s->message_id,
	         (long long)s->channel_id, reason, code);
	int rc =
	    store_exec(tx,
	               "UPDATE outbox SET state = 'failed', lease_owner = NULL, lease_until = NULL,"
	               " last_error = $2, last_error_code = $3 WHERE id = $1",
	               STORE_ARGS(SV_INT(s->outbox_id), SV_TEXT(reason), SV_INT(code)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE messages SET status = 'failed', error_code = $2,"
		                " error_title = $3 WHERE id = $1",
		                STORE_ARGS(SV_INT(s->message_id), SV_INT(code), SV_TEXT(reason)));
	if (rc >= 0)
		rc = events_emit_message(tx, "message.updated", s->message_id, now);
	if (rc >= 0)
		rc = channel_note_error(tx, s->channel_id, reason, now);
	return rc;
}

/* Hands curl s's request: a multipart form streaming s's file, or a JSON body. */
static void start_request(struct outbox_worker *w, struct send *s)
{
	const struct channel_request *r = s->req;
	long timeout_ms = (long)w->config->send_timeout_s * 1000;
	if (r->file_field != NULL) {
		const struct fetch_form form = { .names = r->field_names,
			                         .values = r->field_values,
			                         .field_count = r->field_count,
			                         .file_field = r->file_field,
			                         .file_name = r->file_name,
			                         .file_mime = r->file_mime,
			                         .file_fd = s->file->fd,
			                         .file_size = s->file->size };
		fetch_post_form(&s->fetch, r->url, r->headers, r->header_count, &form, timeout_ms,
		                ANSWER_MAX, s);
	} else {
		fetch_post(&s->fetch, r->url, r->headers, r->header_count, r->body, r->body_len,
		           timeout_ms, ANSWER_MAX, s);
	}
	curl_multi_add_handle(w->loop.multi, s->fetch.easy);
}

static void refuse(struct send *s, const char *reason)
{
	s->result.outcome = SEND_PERMANENT;
	snprintf(s->result.reason, sizeof(s->result.reason), "%s", reason);
	s->is_done = true;
}

/* The request for s's file: WhatsApp's send by media_id once its upload answered one. */
static int file_request(struct outbox_worker *w, struct send *s, const char *token, const char *tag,
                        const char *media_id, struct error *e)
{
	const struct config *c = w->config;
	const struct send_file *f = s->file;
	const struct channel_file cf = { .kind = f->kind,
		                         .mime_type = f->mime_type,
		                         .file_name = f->file_name,
		                         .caption = f->caption,
		                         .media_id = media_id };
	const struct channel_send cs = {
		.kind = s->kind,
		.api_url = s->kind == CHANNEL_TELEGRAM ? c->telegram_api_url : c->graph_api_url,
		.api_version = c->graph_api_version,
		.channel_id = f->external_id,
		.token = token,
		.recipient = f->recipient,
		.tag = tag,
		.file = &cf,
	};
	channel_request_free(s->req);
	s->req = NULL;
	return channel_request_new(&cs, &s->req, e);
}

/* A claimed message (or provider call), as read from the store. */
struct claim {
	struct send *s;
	int64_t conversation_id;
	bool is_channel_active;
	char external_id[INBOUND_ID_MAX + 1];
	char recipient[INBOUND_ID_MAX + 1];
	char *text;
	json_t *details; /* what goes beside or instead of the text (outbox_text's send); a
	                    provider call's params */
	char method[32]; /* a provider call's */
	struct channel_secrets secrets;
	/* A file's message: its content, kind and type ("" for a text). */
	char file_sha256[MEDIA_SHA256_HEX];
	char file_kind[16];
	char file_mime[128];
};

/* Opens c's file and starts its first request. */
static void start_file(struct outbox_worker *w, struct send *s, const struct claim *c)
{
	struct send_file *f = xcalloc(1, sizeof(*f));
	f->fd = -1;
	s->file = f;
	snprintf(f->kind, sizeof(f->kind), "%s", c->file_kind);
	snprintf(f->mime_type, sizeof(f->mime_type), "%s", c->file_mime);
	const char *name = json_string_value(json_object_get(c->details, "file_name"));
	f->file_name = xstrdup(name != NULL ? name : "file");
	f->caption = xstrdup(c->text);
	snprintf(f->external_id, sizeof(f->external_id), "%s", c->external_id);
	snprintf(f->recipient, sizeof(f->recipient), "%s", c->recipient);
	const char *token =
	    s->kind == CHANNEL_TELEGRAM ? c->secrets.bot_token : c->secrets.access_token;
	struct error e;
	int rc = file_store_open(w->files, c->file_sha256, &f->fd, &f->size, &e);
	if (rc < 0) {
		log_error("outbox: message %lld: file %s: %s", (long long)s->message_id,
		          c->file_sha256, e.message);
		refuse(s, "The file is missing from the file store.");
		return;
	}
	if (s->kind == CHANNEL_WHATSAPP && token != NULL)
		f->token = xstrdup(token);
	const char *tag = json_string_value(json_object_get(c->details, "tag"));
	if (file_request(w, s, token, tag, NULL, &e) < 0) {
		refuse(s, e.message);
		return;
	}
	start_request(w, s);
}

/* Builds the request and hands it to curl; on a refused request the send fails for good.
 * Web chat has no provider: its message is delivered here, and the visitor's stream (events/)
 * picks it up from the `sent` that this round records. */
static int start_send(struct outbox_worker *w, struct send *s, const struct claim *claimed)
{
	const struct config *c = w->config;
	const struct channel_secrets *sec = &claimed->secrets;
	const json_t *details = claimed->details;
	if (s->kind == CHANNEL_WEBCHAT) {
		s->result.outcome = SEND_ACCEPTED;
		s->is_done = true;
		return 0;
	}
	if (claimed->file_sha256[0] != '\0') {
		start_file(w, s, claimed);
		return 0;
	}
	struct channel_send cs = {
		.kind = s->kind,
		.api_url = s->kind == CHANNEL_TELEGRAM ? c->telegram_api_url : c->graph_api_url,
		.api_version = c->graph_api_version,
		.channel_id = claimed->external_id,
		.token = s->kind == CHANNEL_TELEGRAM ? sec->bot_token : sec->access_token,
		.recipient = claimed->recipient,
		.text = claimed->text,
		.template = json_object_get(details, "template"),
		.tag = json_string_value(json_object_get(details, "tag")),
		.menu = json_object_get(details, "menu"),
	};
	struct error e;
	if (channel_request_new(&cs, &s->req, &e) < 0) {
		refuse(s, e.message);
		return -1;
	}
	start_request(w, s);
	return 0;
}

/* Makes a provider call (its row is already gone): a Bot API method on a Telegram channel. */
static void start_call(struct outbox_worker *w, struct send *s, const char *method, json_t *params,
                       const struct channel_secrets *sec)
{
	struct error e;
	if (s->kind != CHANNEL_TELEGRAM || sec->bot_token == NULL ||
	    telegram_call_new(w->config->telegram_api_url, sec->bot_token, method,
	                      json_incref(params), &s->req, &e) < 0) {
		s->result.outcome = SEND_PERMANENT;
		snprintf(s->result.reason, sizeof(s->result.reason), "cannot call %s", method);
		s->is_done = true;
		return;
	}
	fetch_post(&s->fetch, s->req->url, s->req->headers, s->req->header_count, s->req->body,
	           s->req->body_len, (long)w->config->send_timeout_s * 1000, ANSWER_MAX, s);
	curl_multi_add_handle(w->loop.multi, s->fetch.easy);
}

/* Whether another message of conversation c is ahead of message o (not failed, lower id) or
 * in flight (a higher id committed first by another server: ids are not commit order). */
#define AHEAD_OF(o, c)                                                                      \
	"NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = " c " AND p.id <> " o \
	" AND (p.state = 'sending'"                                                         \
	" OR (p.id < " o " AND p.state <> 'failed')))"
#define CANDIDATES                                                                       \
	"SELECT o.id, o.message_id, o.channel_id, o.attempts, o.queued_at, ch.kind,"     \
	" ch.external_id, ch.is_active, i.external_id, coalesce(m.text, ''), m.details," \
	" coalesce(md.sha256, ''), coalesce(md.kind, ''),"                               \
	" coalesce(md.mime_type, ''), o.conversation_id FROM outbox o"                   \
	" JOIN channels ch ON ch.id = o.channel_id"                                      \
	" JOIN conversations v ON v.id = o.conversation_id"                              \
	" JOIN contact_identities i ON i.id = v.identity_id"                             \
	" JOIN messages m ON m.id = o.message_id"                                        \
	" LEFT JOIN media md ON md.message_id = o.message_id"                            \
	" WHERE o.state = 'pending' AND o.next_attempt_at <= $1"                         \
	" AND " AHEAD_OF("o.id", "o.conversation_id") " ORDER BY o.next_attempt_at, o.id LIMIT $2"

#define CLAIM                                                                         \
	"UPDATE outbox SET state = 'sending', lease_owner = $2, lease_until = $3,"    \
	" attempts = attempts + 1 WHERE id = $1 AND state = 'pending' AND " AHEAD_OF( \
	    "outbox.id", "outbox.conversation_id")

/* The due messages at the head of their conversations, read before the round's job; its claim
 * checks each again. */
static int read_candidates(struct store_tx *tx, int64_t now, int limit, struct claim *out, int *n)
{
	struct store_rows *r;
	int rc = store_query(tx, CANDIDATES, STORE_ARGS(SV_INT(now), SV_INT(limit)), &r);
	if (rc < 0)
		return rc;
	*n = 0;
	while ((rc = store_next(r)) == 1) {
		struct claim *c = &out[(*n)++];
		memset(c, 0, sizeof(*c));
		c->s = xcalloc(1, sizeof(*c->s));
		c->s->outbox_id = store_int(r, 0);
		c->s->message_id = store_int(r, 1);
		c->s->channel_id = store_int(r, 2);
		c->s->attempts = (int)store_int(r, 3) + 1;
		c->s->queued_at = store_int(r, 4);
		channel_kind_parse(store_text(r, 5), &c->s->kind);
		snprintf(c->external_id, sizeof(c->external_id), "%s", store_text(r, 6));
		c->is_channel_active = store_int(r, 7) != 0;
		snprintf(c->recipient, sizeof(c->recipient), "%s", store_text(r, 8));
		c->text = xstrdup(store_text(r, 9));
		c->details = store_is_null(r, 10) ? NULL : json_loads(store_text(r, 10), 0, NULL);
		snprintf(c->file_sha256, sizeof(c->file_sha256), "%s", store_text(r, 11));
		snprintf(c->file_kind, sizeof(c->file_kind), "%s", store_text(r, 12));
		snprintf(c->file_mime, sizeof(c->file_mime), "%s", store_text(r, 13));
		c->conversation_id = store_int(r, 14);
	}
	store_rows_free(r);
	return rc;
}

/* When the next waiting message falls due, or the idle poll if that is sooner. */
static int64_t next_due(struct outbox_worker *w, int64_t now)
{
	int64_t at = now + IDLE_POLL_MS, due = 0;
	struct store_tx *tx = store_begin(w->st, STORE_READ);
	if (tx != NULL &&
	    store_get_int(tx,
	                  "SELECT coalesce(min(next_attempt_at), 0) FROM outbox"
	                  " WHERE state = 'pending' AND next_attempt_at > $1",
	                  STORE_ARGS(SV_INT(now)), &due) == 0 &&
	    due > 0 && due < at)
		at = due;
	store_rollback(tx);
	return at;
}

/* How many of the first n due messages the round wants are on the channel. */
static int wanted_on(const struct claim *found, const bool *is_wanted, int n, int64_t channel_id)
{
	int count = 0;
	for (int i = 0; i < n; i++)
		count += is_wanted[i] && found[i].s->channel_id == channel_id;
	return count;
}

/*
 * The messages a round found due (the first `due`), those it means to take (`is_wanted`: their
 * channel has room) and those it took with a lease; then the provider calls it took.
 */
struct round_claims {
	struct claim found[OUTBOX_MAX_IN_FLIGHT * 3];
	bool is_wanted[OUTBOX_MAX_IN_FLIGHT * 3];
	bool is_taken[OUTBOX_MAX_IN_FLIGHT * 3];
	int n;
	int due;
	int wanted;
	bool is_read_full; /* it read as many due messages as it asked for */
	bool has_calls;    /* provider calls wait */
	bool has_expired;  /* leases of workers that died expired */
};

/* Takes up to room provider calls: they are deleted as they are taken (made once at most);
 * on PostgreSQL those another server is taking are skipped rather than waited for. */
#define CALLS(lock)                                                                         \
	"DELETE FROM provider_calls WHERE id IN (SELECT id FROM provider_calls ORDER BY id" \
	" LIMIT $1" lock ") RETURNING channel_id, method, params"
static int claim_calls(struct outbox_worker *w, struct store_tx *tx, int room,
                       struct round_claims *r)
{
	struct store_rows *rows;
	int first = r->n;
	bool is_pg = store_dialect(tx) == STORE_POSTGRES;
	int rc = store_query(tx, is_pg ? CALLS(" FOR UPDATE SKIP LOCKED") : CALLS(""),
	                     STORE_ARGS(SV_INT(room)), &rows);
	if (rc < 0)
		return rc;
	while ((rc = store_next(rows)) == 1) {
		struct claim *c = &r->found[r->n];
		memset(c, 0, sizeof(*c));
		c->s = xcalloc(1, sizeof(*c->s));
		c->s->is_call = true;
		c->s->channel_id = store_int(rows, 0);
		c->s->kind = CHANNEL_TELEGRAM;
		snprintf(c->method, sizeof(c->method), "%s", store_text(rows, 1));
		c->details = json_loads(store_text(rows, 2), 0, NULL);
		r->is_taken[r->n++] = true;
	}
	store_rows_free(rows);
	for (int i = first; i < r->n && rc >= 0; i++) {
		struct claim *c = &r->found[i];
		struct error e;
		if (channel_secrets_get(tx, w->seal, c->s->channel_id, &c->secrets, &e) < 0)
			r->is_taken[i] = false;
	}
	return rc < 0 ? rc : 0;
}

/*
 * What a round may do, read in a transaction of its own before its job, so that the group
 * writer does not read and join the due messages (a tenth of its time, docs/BENCHMARK.md): the
 * due messages, those it means to take, and whether provider calls or expired leases wait.
 */
static int find_due(struct outbox_worker *w, int64_t now, struct round_claims *r)
{
	int room = OUTBOX_MAX_IN_FLIGHT - w->count;
	struct store_tx *tx = store_begin(w->st, STORE_READ);
	if (tx == NULL)
		return ERR_UNAVAILABLE;
	int64_t waiting = 0;
	int rc = read_candidates(tx, now, room * 2, r->found, &r->n);
	if (rc >= 0)
		rc = store_get_int(
		    tx,
		    "SELECT CASE WHEN EXISTS (SELECT 1 FROM provider_calls) THEN 1"
		    " ELSE 0 END + CASE WHEN EXISTS (SELECT 1 FROM outbox"
		    " WHERE state = 'sending' AND lease_until < $1) THEN 2 ELSE 0 END",
		    STORE_ARGS(SV_INT(now)), &waiting);
	store_rollback(tx);
	r->due = r->n;
	r->is_read_full = r->n == room * 2;
	r->has_calls = waiting & 1;
	r->has_expired = waiting & 2;
	/* A removed channel's messages are failed; of the others, what the channels have room
	 * for. */
	for (int i = 0; i < r->due; i++) {
		const struct send *s = r->found[i].s;
		r->is_wanted[i] = !r->found[i].is_channel_active ||
		                  (r->wanted < room &&
		                   in_flight_on(w, s->channel_id) +
		                           wanted_on(r->found, r->is_wanted, i, s->channel_id) <
		                       OUTBOX_MAX_PER_CHANNEL);
		r->wanted += r->is_wanted[i];
	}
	return rc < 0 ? rc : 0;
}

/* Takes the wanted messages with a lease, in the round's transaction; then provider calls. */
static int claim(struct outbox_worker *w, struct store_tx *tx, int64_t now, struct round_claims *r)
{
	int room = OUTBOX_MAX_IN_FLIGHT - w->count;
	struct claim *found = r->found;
	bool *is_taken = r->is_taken;
	int taken = 0;
	/* Leases of workers that died come back once they expire. */
	int rc =
	    !r->has_expired
	        ? 0
	        : store_exec(tx,
	                     "UPDATE outbox SET state = 'pending', lease_owner = NULL,"
	                     " lease_until = NULL WHERE state = 'sending' AND lease_until < $1",
	                     STORE_ARGS(SV_INT(now)));
	for (int i = 0; i < r->due && rc >= 0; i++) {
		struct claim *c = &found[i];
		if (!r->is_wanted[i])
			continue;
		if (!c->is_channel_active) {
			rc = fail_for_good(tx, c->s, 0, "the channel was removed", now);
			continue;
		}
		/* One claim in a conversation at a time across servers; the claim's own check
		 * then sees every claim committed before (docs/DECISIONS.md). */
		rc = store_tx_try_lock(tx, CLAIM_SPACE, c->conversation_id);
		if (rc == 1)
			rc = store_exec(tx, CLAIM,
			                STORE_ARGS(SV_INT(c->s->outbox_id), SV_TEXT(w->owner),
			                           SV_INT(now + w->lease_ms)));
		if (rc == 1) {
			struct error e;
			rc = channel_secrets_get(tx, w->seal, c->s->channel_id, &c->secrets, &e);
			is_taken[i] = rc == 0;
			taken += rc == 0;
		}
	}
	if (rc >= 0 && r->has_calls && taken < room)
		rc = claim_calls(w, tx, room - taken, r);
	return rc < 0 ? rc : 0;
}

/* No claims. Not the found messages: 192 of them are about 160 KB, and each is cleared when it
 * is filled (read_candidates, claim_calls). */
static void claims_empty(struct round_claims *r)
{
	memset(r->is_wanted, 0, sizeof(r->is_wanted));
	memset(r->is_taken, 0, sizeof(r->is_taken));
	r->n = r->due = r->wanted = 0;
	r->is_read_full = r->has_calls = r->has_expired = false;
}

/* Frees what a round found and did not start, and forgets it: the claims start empty. */
static void claims_clear(struct round_claims *r)
{
	for (int i = 0; i < r->n; i++) {
		struct claim *c = &r->found[i];
		if (c->s != NULL)
			send_free(c->s);
		channel_secrets_clear(&c->secrets);
		free(c->text);
		json_decref(c->details);
	}
	claims_empty(r);
}

/* Back to what the round found due, none taken: for its job run again. */
static void claims_restart(struct round_claims *r)
{
	int n = r->n;
	r->n = r->due;
	for (int i = 0; i < n; i++) {
		struct claim *c = &r->found[i];
		r->is_taken[i] = false;
		channel_secrets_clear(&c->secrets);
		if (i < r->due)
			continue;
		send_free(c->s);
		c->s = NULL;
		json_decref(c->details);
		c->details = NULL;
	}
}

/* Once the round committed (is_committed), starts sending what it took; frees the rest. */
static void start_claimed(struct outbox_worker *w, struct round_claims *r, bool is_committed,
                          int ndone, int64_t now)
{
	int taken = 0;
	for (int i = 0; i < r->n; i++) {
		struct claim *c = &r->found[i];
		if (!is_committed || !r->is_taken[i])
			continue;
		w->in_flight[w->count++] = c->s;
		taken++;
		if (c->s->is_call)
			start_call(w, c->s, c->method, c->details, &c->secrets);
		else
			start_send(w, c->s, c);
		c->s = NULL; /* in flight now */
	}
	bool is_more = r->is_read_full && taken > 0;
	claims_clear(r);
	/* More may be due (a full read that took some), or the sends just recorded let the next
	 * messages of their conversations go: look again at once. */
	w->next_claim_at = is_committed && !is_more && ndone == 0 ? next_due(w, now) : now;
}

/* What happened to a finished send, written in tx. */
static int record(struct outbox_worker *w, struct store_tx *tx, struct send *s, int64_t now)
{
	struct send_result *r = &s->result;
	if (s->is_call) {
		if (r->outcome != SEND_ACCEPTED)
			log_warn("outbox: a call on channel %lld failed: %s",
			         (long long)s->channel_id, r->reason);
		return 0;
	}
	if (r->outcome == SEND_ACCEPTED) {
		const char *id = r->message_id[0] ? r->message_id : NULL;
		/* A Meta echo of this very send may have been stored first: it is this message. */
		int rc =
		    id == NULL
		        ? 0
		        : store_exec(tx,
		                     "DELETE FROM messages WHERE channel_id = $1"
		                     " AND provider_message_id = $2 AND sender = 'provider_app'",
		                     STORE_ARGS(SV_INT(s->channel_id), SV_TEXT(id)));
		if (rc >= 0)
			rc = store_exec(
			    tx,
			    "UPDATE messages SET status = 'sent', provider_message_id = $2"
			    " WHERE id = $1",
			    STORE_ARGS(SV_INT(s->message_id), SV_TEXT_NULL(id)));
		if (rc >= 0)
			rc = events_emit_message(tx, "message.updated", s->message_id, now);
		if (rc >= 0)
			rc = store_exec(tx, "DELETE FROM outbox WHERE id = $1",
			                STORE_ARGS(SV_INT(s->outbox_id)));
		return rc;
	}
	if (r->outcome == SEND_PERMANENT || now - s->queued_at >= OUTBOX_GIVE_UP_MS) {
		char reason[300];
		snprintf(reason, sizeof(reason), "%s%s",
		         r->outcome == SEND_PERMANENT ? "" : "gave up after 24 hours: ", r->reason);
		return fail_for_good(tx, s, r->code, reason, now);
	}
	uint32_t random;
	token_random_bytes(&random, sizeof(random));
	double jitter = (double)random / (double)UINT32_MAX * 2.0 - 1.0;
	int64_t delay = clock_backoff_ms(s->attempts, jitter, r->retry_after_s);
	log_info("outbox: message %lld: %s; retry %d in %lld ms", (long long)s->message_id,
	         r->reason, s->attempts, (long long)delay);
	int rc = store_exec(
	    tx,
	    "UPDATE outbox SET state = 'pending', lease_owner = NULL, lease_until = NULL,"
	    " next_attempt_at = $2, last_error = $3, last_error_code = $4"
	    " WHERE id = $1 AND lease_owner = $5",
	    STORE_ARGS(SV_INT(s->outbox_id), SV_INT(now + delay), SV_TEXT(r->reason),
	               SV_INT(r->code), SV_TEXT(w->owner)));
	/* The thread and the list show a message waiting after a failure, and why. */
	if (rc > 0)
		rc = events_emit_message(tx, "message.updated", s->message_id, now);
	if (rc >= 0)
		rc = channel_note_error(tx, s->channel_id, r->reason, now);
	return rc;
}

/* WhatsApp answered a file's upload: on to the send by the media id it gave; false when the
 * send goes on. */
static bool uploaded(struct outbox_worker *w, struct send *s, long status)
{
	char id[INBOUND_ID_MAX + 1];
	struct error e;
	if (whatsapp_upload_read(status, s->fetch.answer.data, s->fetch.answer.len, id, sizeof(id),
	                         &s->result) < 0)
		return true;
	s->file->is_uploaded = true;
	fetch_clear(&s->fetch);
	if (file_request(w, s, s->file->token, NULL, id, &e) < 0) {
		refuse(s, e.message);
		return true;
	}
	start_request(w, s);
	return false;
}

/* Reads a finished request's answer into s->result; false when s goes on with another. */
static bool classify(struct outbox_worker *w, struct send *s, CURLcode code)
{
	long status = 0;
	if (code == CURLE_OK)
		curl_easy_getinfo(s->fetch.easy, CURLINFO_RESPONSE_CODE, &status);
	if (s->file != NULL && s->kind == CHANNEL_WHATSAPP && !s->file->is_uploaded &&
	    code == CURLE_OK) {
		if (!uploaded(w, s, status))
			return false;
	} else {
		channel_send_classify(s->kind, status, s->fetch.answer.data, s->fetch.answer.len,
		                      &s->result);
	}
	metrics_count(METRICS_SENDS, channel_kind_name(s->kind));
	if (s->result.outcome != SEND_ACCEPTED)
		metrics_count(METRICS_SEND_FAILURES, channel_kind_name(s->kind));
	if (code != CURLE_OK) {
		log_warn("outbox: POST %s: %s", s->req->url_for_log, curl_easy_strerror(code));
		snprintf(s->result.reason, sizeof(s->result.reason),
		         "could not reach the provider: %s", curl_easy_strerror(code));
	}
	return true;
}

/* The finished sends, taken out of the in-flight list; how many. */
static int take_finished(struct outbox_worker *w, struct send **done)
{
	int ndone = 0, left = 0;
	struct send *s;
	CURLcode code;
	while ((s = fetch_next_done(w->loop.multi, &code)) != NULL)
		s->is_done = classify(w, s, code);
	for (int i = 0; i < w->count; i++) {
		s = w->in_flight[i];
		if (s->is_done)
			done[ndone++] = s;
		else
			w->in_flight[left++] = s;
	}
	w->count = left;
	return ndone;
}

/* Records one outcome in a transaction of its own, trying again while the store is busy. */
static void record_alone(struct outbox_worker *w, struct send *s, int64_t now)
{
	int rc = ERR_UNAVAILABLE;
	for (int try = 0; try < RECORD_TRIES && rc == ERR_UNAVAILABLE; try++) {
		if (try > 0)
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 * try }, NULL);
		struct store_tx *tx = store_begin(w->st, STORE_WRITE);
		rc = tx == NULL ? ERR_UNAVAILABLE : record(w, tx, s, now);
		rc = rc >= 0 ? store_commit(tx) : (store_rollback(tx), rc);
	}
	if (rc < 0)
		log_error("outbox: could not record the result of message %lld; its lease will "
		          "expire and it will be sent again",
		          (long long)s->message_id);
}

/* A round's work in the store: the outcomes of the finished sends, then the next claims. */
struct round {
	struct outbox_worker *w;
	struct send **done;
	int ndone;
	bool is_claiming;
	bool is_claimed;
	int64_t now;
	struct round_claims claims;
};

/* In the store's group commit (the worker thread waits meanwhile); the claim in a savepoint,
 * so a failed claim keeps the outcomes. A group may run it again: the claims start afresh. */
static int record_and_claim(struct store_tx *tx, void *arg)
{
	struct round *r = arg;
	int rc = 0;
	claims_restart(&r->claims);
	r->is_claimed = false;
	for (int i = 0; i < r->ndone && rc >= 0; i++)
		rc = record(r->w, tx, r->done[i], r->now);
	if (rc >= 0 && r->is_claiming && (rc = store_savepoint(tx)) == 0) {
		r->is_claimed = claim(r->w, tx, r->now, &r->claims) == 0;
		rc = store_savepoint_end(tx, r->is_claimed);
	}
	return rc < 0 ? rc : 0;
}

/* Finds what is due, records the round and claims the next messages in one commit (none when
 * there is nothing to write); if that fails, records each outcome alone. Then sends what was
 * claimed. */
static void run_round(struct outbox_worker *w, struct send **done, int ndone, bool is_claiming,
                      int64_t now)
{
	struct round r; /* not zeroed whole (claims_empty) */
	r.w = w;
	r.done = done;
	r.ndone = ndone;
	r.is_claiming = is_claiming;
	r.is_claimed = false;
	r.now = now;
	struct round_claims *c = &r.claims;
	claims_empty(c);
	if (is_claiming && find_due(w, now, c) < 0) {
		log_error("outbox: cannot read the due messages");
		claims_clear(c);
		r.is_claiming = false;
	}
	bool is_writing =
	    ndone > 0 || (r.is_claiming && (c->wanted > 0 || c->has_calls || c->has_expired));
	int rc = is_writing ? store_run(w->st, record_and_claim, &r) : 0;
	if (!is_writing)
		r.is_claimed = r.is_claiming;
	if (rc < 0) {
		log_error("outbox: recording %d results%s failed", ndone,
		          is_claiming ? " and claiming" : "");
		for (int i = 0; i < ndone; i++)
			record_alone(w, done[i], now);
	}
	for (int i = 0; i < ndone; i++)
		send_free(done[i]);
	if (is_claiming)
		start_claimed(w, c, rc >= 0 && r.is_claimed, ndone, now);
}

static void *run(void *arg)
{
	struct outbox_worker *w = arg;
	struct send *done[OUTBOX_MAX_IN_FLIGHT];
	for (;;) {
		bool is_stopping = atomic_load(&w->loop.is_stopping);
		if (is_stopping && w->count == 0)
			break;
		int running;
		curl_multi_perform(w->loop.multi, &running);
		int ndone = take_finished(w, done);
		int64_t now = clock_now_ms();
		/* Woken, or sends done: the next message of those conversations may go now. */
		if (atomic_exchange(&w->loop.is_woken, false) || ndone > 0)
			w->next_claim_at = now;
		bool is_claiming =
		    !is_stopping && now >= w->next_claim_at && w->count < OUTBOX_MAX_IN_FLIGHT;
		if (ndone > 0 || is_claiming) {
			/* Start the new sends and read what finished meanwhile before waiting. */
			run_round(w, done, ndone, is_claiming, now);
			continue;
		}
		int64_t wait = w->next_claim_at - clock_now_ms();
		if (wait > IDLE_POLL_MS)
			wait = IDLE_POLL_MS;
		if (wait > 0 || w->count == OUTBOX_MAX_IN_FLIGHT)
			curl_multi_poll(w->loop.multi, NULL, 0, wait > 0 ? (int)wait : IDLE_POLL_MS,
			                NULL);
	}
	return NULL;
}

struct outbox_worker *outbox_worker_start(struct store *st, const struct seal *seal,
                                          const struct config *config, struct file_store *files,
                                          struct error *e)
{
	struct outbox_worker *w = xcalloc(1, sizeof(*w));
	w->st = st;
	w->files = files;
	w->seal = seal;
	w->config = config;
	/* A lease outlives the longest send and the store's wait to record it, so only a dead
	 * worker's leases expire. */
	w->lease_ms = (int64_t)config->send_timeout_s * 1000 + config->busy_timeout_ms;
	token_generate(w->owner);
	if (fetch_loop_start(&w->loop, "outbox", OUTBOX_MAX_PER_CHANNEL, OUTBOX_MAX_IN_FLIGHT, run,
	                     w) != 0) {
		free(w);
		error_set(e, ERR_UNAVAILABLE, "cannot start the delivery thread");
		return NULL;
	}
	return w;
}

void outbox_worker_wake(struct outbox_worker *w)
{
	if (w == NULL)
		return;
	fetch_loop_wake(&w->loop);
}

void outbox_worker_stop(struct outbox_worker *w)
{
	if (w == NULL)
		return;
	fetch_loop_stop(&w->loop);
	free(w);
}
