/* The queue side of the outbox: enqueue inside the caller's transaction, stats, backoff. */
#include "outbox/outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"

/* The outbox row of a stored message, its event, and the conversation's activity. */
static int queue_row(struct store_tx *tx, const struct outbox_text *t, int64_t id, int64_t now)
{
	int rc =
	    store_exec(tx,
	               "INSERT INTO outbox (account_id, message_id, conversation_id,"
	               " channel_id, state, next_attempt_at, queued_at)"
	               " VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
	               STORE_ARGS(SV_INT(t->account_id), SV_INT(id), SV_INT(t->conversation_id),
	                          SV_INT(t->channel_id), SV_INT(now)));
	if (rc >= 0)
		rc = events_emit_message(tx, "message.created", id, now);
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE conversations SET last_activity_at = $2, updated_at = $2"
		                " WHERE id = $1",
		                STORE_ARGS(SV_INT(t->conversation_id), SV_INT(now)));
	return rc;
}

/* A file's message: its details name the file, its media row holds it. */
static int enqueue_file(struct store_tx *tx, const struct outbox_text *t, int64_t now, int64_t *id)
{
	json_t *details = t->send != NULL ? json_deep_copy(t->send) : json_object();
	json_object_set_new(details, "file_name", json_string(t->file->file_name));
	json_object_set_new(details, "media_mime", json_string(t->file->mime_type));
	char *text = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(details);
	bool has_caption = t->text != NULL && t->text[0] != '\0';
	int rc = store_get_int(
	    tx,
	    "INSERT INTO messages (account_id, conversation_id, channel_id,"
	    " direction, sender, author_id, type, text, details, status,"
	    " created_at) VALUES ($1, $2, $3, 'out', $4, $5, $6, $7, $8,"
	    " 'queued', $9) RETURNING id",
	    STORE_ARGS(SV_INT(t->account_id), SV_INT(t->conversation_id), SV_INT(t->channel_id),
	               SV_TEXT(t->sender), t->author_id > 0 ? SV_INT(t->author_id) : SV_NULL,
	               SV_TEXT(t->file->kind), has_caption ? SV_TEXT(t->text) : SV_NULL,
	               SV_TEXT(text), SV_INT(now)),
	    id);
	free(text);
	if (rc >= 0)
		rc =
		    store_exec(tx,
		               "INSERT INTO media (message_id, account_id, channel_id, kind, ref,"
		               " mime_type, state, sha256, created_at) VALUES ($1, $2, $3, $4,"
		               " 'upload', $5, 'ready', $6, $7)",
		               STORE_ARGS(SV_INT(*id), SV_INT(t->account_id), SV_INT(t->channel_id),
		                          SV_TEXT(t->file->kind), SV_TEXT(t->file->mime_type),
		                          SV_TEXT(t->file->sha256), SV_INT(now)));
	return rc;
}

int outbox_enqueue(struct store_tx *tx, const struct outbox_text *t, int64_t now, int64_t *first_id,
                   size_t *parts, struct error *e)
{
	struct text_parts *p = NULL;
	if (t->file != NULL) {
		int64_t id = 0;
		int rc = enqueue_file(tx, t, now, &id);
		if (rc >= 0)
			rc = queue_row(tx, t, id, now);
		if (rc >= 0 && first_id != NULL)
			*first_id = id;
		if (rc >= 0 && parts != NULL)
			*parts = 1;
		return store_failed(e, rc);
	}
	bool is_template = json_object_get(t->send, "template") != NULL;
	/* A template's text is what the customer will read, not what is sent: it stays whole. */
	struct text_limit limit = is_template
	                              ? (struct text_limit){ TEXT_SPLIT_MAX_LEN, TEXT_UNIT_BYTES }
	                              : channel_text_limit(t->kind);
	int rc = text_split(t->text, strlen(t->text), limit, &p, e);
	if (rc < 0)
		return rc;
	char *details = t->send != NULL ? json_dumps(t->send, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	for (size_t i = 0; i < p->count && rc >= 0; i++) {
		int64_t id = 0;
		rc = store_get_int(tx,
		                   "INSERT INTO messages (account_id, conversation_id, channel_id,"
		                   " direction, sender, author_id, type, text, details, status,"
		                   " created_at) VALUES ($1, $2, $3, 'out', $4, $5, $6, $7, $8,"
		                   " 'queued', $9) RETURNING id",
		                   STORE_ARGS(SV_INT(t->account_id), SV_INT(t->conversation_id),
		                              SV_INT(t->channel_id), SV_TEXT(t->sender),
		                              t->author_id > 0 ? SV_INT(t->author_id) : SV_NULL,
		                              SV_TEXT(is_template ? "template" : "text"),
		                              SV_TEXT(p->parts[i]), SV_TEXT_NULL(details),
		                              SV_INT(now)),
		                   &id);
		if (rc >= 0)
			rc = queue_row(tx, t, id, now);
		if (rc >= 0 && i == 0 && first_id != NULL)
			*first_id = id;
	}
	if (rc >= 0 && parts != NULL)
		*parts = p->count;
	free(details);
	text_parts_free(p);
	return store_failed(e, rc);
}

int outbox_call(struct store_tx *tx, int64_t account_id, int64_t channel_id, const char *method,
                const json_t *params, int64_t now)
{
	char *text = json_dumps(params, JSON_COMPACT);
	int rc = store_exec(tx,
	                    "INSERT INTO provider_calls (account_id, channel_id, method, params,"
	                    " queued_at) VALUES ($1, $2, $3, $4, $5)",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(channel_id), SV_TEXT(method),
	                               SV_TEXT(text), SV_INT(now)));
	free(text);
	return rc < 0 ? rc : 0;
}

int outbox_retry_now(struct store_tx *tx, int64_t conversation_id, int64_t message_id, int64_t now,
                     struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT m.status, coalesce(o.state, ''), coalesce(o.attempts, 0)"
	                     " FROM messages m LEFT JOIN outbox o ON o.message_id = m.id"
	                     " WHERE m.id = $1 AND m.conversation_id = $2 AND m.direction = 'out'"
	                     " AND m.sender IN ('agent', 'routing')",
	                     STORE_ARGS(SV_INT(message_id), SV_INT(conversation_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	char status[16] = "", state[16] = "";
	int64_t attempts = 0;
	if ((rc = store_next(r)) == 1) {
		snprintf(status, sizeof(status), "%s", store_text(r, 0));
		snprintf(state, sizeof(state), "%s", store_text(r, 1));
		attempts = store_int(r, 2);
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0)
		return error_set(e, ERR_NOT_FOUND, "this conversation has no such message to send");
	if (strcmp(state, "sending") == 0)
		return error_set(e, ERR_CONFLICT, "the message is being sent right now");
	bool is_waiting = strcmp(state, "pending") == 0 && attempts > 0;
	if (strcmp(status, "failed") != 0 && !is_waiting)
		return error_set(e, ERR_CONFLICT, "nothing to retry: the message is %s",
		                 state[0] ? "queued and has not failed" : status);
	if (state[0] != '\0')
		rc = store_exec(
		    tx,
		    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2,"
		    " queued_at = $2, lease_owner = NULL, lease_until = NULL"
		    " WHERE message_id = $1",
		    STORE_ARGS(SV_INT(message_id), SV_INT(now)));
	else
		rc = store_exec(
		    tx,
		    "INSERT INTO outbox (account_id, message_id, conversation_id, channel_id,"
		    " state, next_attempt_at, queued_at) SELECT account_id, id,"
		    " conversation_id, channel_id, 'pending', $2, $2 FROM messages"
		    " WHERE id = $1",
		    STORE_ARGS(SV_INT(message_id), SV_INT(now)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE messages SET status = 'queued', error_code = NULL,"
		                " error_title = NULL WHERE id = $1",
		                STORE_ARGS(SV_INT(message_id)));
	if (rc >= 0)
		rc = events_emit_message(tx, "message.updated", message_id, now);
	return store_failed(e, rc);
}

int outbox_channel_undelivered(struct store_tx *tx, int64_t channel_id, int64_t *failed,
                               int64_t *retrying, struct error *e)
{
	struct store_rows *r;
	*failed = *retrying = 0;
	int rc =
	    store_query(tx,
	                "SELECT coalesce(sum(CASE WHEN o.state = 'failed' THEN 1 ELSE 0 END), 0),"
	                " coalesce(sum(CASE WHEN o.state <> 'failed' THEN 1 ELSE 0 END), 0)"
	                " FROM outbox o JOIN messages m ON m.id = o.message_id"
	                " WHERE o.channel_id = $1 AND (o.state = 'failed' OR o.attempts > 0)"
	                " AND" OUTBOX_UNDELIVERED("m", "m.conversation_id"),
	                STORE_ARGS(SV_INT(channel_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1) {
		*failed = store_int(r, 0);
		*retrying = store_int(r, 1);
	}
	store_rows_free(r);
	return store_failed(e, rc);
}

int outbox_stats(struct store_tx *tx, int64_t account_id, int64_t now, struct outbox_stats *out,
                 struct error *e)
{
	struct store_rows *r;
	memset(out, 0, sizeof(*out));
	int rc = store_query(tx,
	                     "SELECT coalesce(sum(CASE WHEN state = 'pending' AND attempts = 0"
	                     " THEN 1 ELSE 0 END), 0),"
	                     " coalesce(sum(CASE WHEN state = 'pending' AND attempts > 0"
	                     " THEN 1 ELSE 0 END), 0),"
	                     " coalesce(sum(CASE WHEN state = 'sending' THEN 1 ELSE 0 END), 0),"
	                     " coalesce(sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0),"
	                     " coalesce(min(CASE WHEN state <> 'failed' THEN queued_at END), 0)"
	                     " FROM outbox WHERE account_id = $1",
	                     STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1) {
		out->pending = store_int(r, 0);
		out->retrying = store_int(r, 1);
		out->in_flight = store_int(r, 2);
		out->failed = store_int(r, 3);
		int64_t oldest = store_int(r, 4);
		out->oldest_pending_ms = oldest > 0 && now > oldest ? now - oldest : 0;
	}
	store_rows_free(r);
	return store_failed(e, rc);
}

json_t *outbox_stats_json(const struct outbox_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "pending", (json_int_t)s->pending, "retrying",
	                 (json_int_t)s->retrying, "in_flight", (json_int_t)s->in_flight, "failed",
	                 (json_int_t)s->failed, "oldest_pending_ms",
	                 (json_int_t)s->oldest_pending_ms);
}
