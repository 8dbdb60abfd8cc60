/*
 * Web chat visitors: their tokens, the rate limits, and the one view of a conversation a
 * visitor has (its own messages and what was sent to it). A visitor never reaches another
 * visitor's conversation: every query here starts from the visitor's own identity.
 */
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "inbox/internal.h"

/* The visitor's conversations: those of its contact identity on the channel. */
#define VISITOR_CONVERSATIONS "SELECT id FROM conversations WHERE identity_id = $1"

/* Seconds until the oldest of the counted ones leaves the window (at least 1). */
static int seconds_left(int64_t oldest, int64_t window, int64_t now)
{
	int64_t ms = oldest + window - now;
	return ms > 1000 ? (int)((ms + 999) / 1000) : 1;
}

/* How many rows sql counts since `since`, and the oldest one's time. */
static int count_since(struct store_tx *tx, const char *sql, struct store_value key, int64_t since,
                       int64_t *count, int64_t *oldest)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, STORE_ARGS(key, SV_INT(since)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1) {
		*count = store_int(r, 0);
		*oldest = store_int(r, 1);
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int webchat_visitor_create(struct store_tx *tx, const struct channel *ch, const char *name,
                           const char *address, int64_t now, char token_out[WEBCHAT_TOKEN_LEN],
                           struct webchat_visitor *out, int *retry_after_s, struct error *e)
{
	int64_t count = 0, oldest = 0;
	int rc = count_since(tx,
	                     "SELECT count(*), coalesce(min(created_at), 0) FROM webchat_visitors"
	                     " WHERE address = $1 AND created_at > $2",
	                     SV_TEXT(address), now - WEBCHAT_SESSIONS_WINDOW, &count, &oldest);
	if (rc < 0)
		return store_failed(e, rc);
	if (count >= WEBCHAT_SESSIONS_LIMIT) {
		*retry_after_s = seconds_left(oldest, WEBCHAT_SESSIONS_WINDOW, now);
		return error_set(e, ERR_RATE_LIMITED,
		                 "too many new chats from this address; try again later");
	}
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	token_generate(token);
	snprintf(token_out, WEBCHAT_TOKEN_LEN, "wvt_%s", token);
	token_hash(token_out, strlen(token_out), hash);
	memset(out, 0, sizeof(*out));
	rc = store_get_int(tx,
	                   "INSERT INTO webchat_visitors (account_id, channel_id, token_hash, name,"
	                   " address, created_at, last_seen_at)"
	                   " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
	                   STORE_ARGS(SV_INT(ch->account_id), SV_INT(ch->id), SV_TEXT(hash),
	                              SV_TEXT_NULL(name), SV_TEXT(address), SV_INT(now)),
	                   &out->id);
	if (rc < 0)
		return store_failed(e, rc);
	out->channel_id = ch->id;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	return 0;
}

/* The visitor whose column `key` (token_hash or id) is value, on an active channel. */
static int find_visitor_by(struct store_tx *tx, const char *sql, struct store_value value,
                           struct webchat_visitor *out, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, STORE_ARGS(value), &r);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1) {
		out->id = store_int(r, 0);
		out->channel_id = store_int(r, 1);
		snprintf(out->name, sizeof(out->name), "%s", store_text(r, 2));
		out->identity_id = store_int(r, 3);
		snprintf(out->email, sizeof(out->email), "%s", store_text(r, 4));
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	return rc == 1 ? 0
	               : error_set(e, ERR_UNAUTHENTICATED,
	                           "this chat is unknown or closed; start a new one");
}

#define VISITOR_SELECT                                                                              \
	"SELECT v.id, v.channel_id, coalesce(v.name, ''), coalesce(i.id, 0), coalesce(v.email, '')" \
	" FROM webchat_visitors v JOIN channels c ON c.id = v.channel_id AND c.is_active = 1"       \
	" LEFT JOIN contact_identities i ON i.channel_id = v.channel_id"                            \
	" AND i.external_id = 'web-' || v.id"

int webchat_visitor_find(struct store_tx *tx, const char *token, struct webchat_visitor *out,
                         struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	token_hash(token, strlen(token), hash);
	return find_visitor_by(tx, VISITOR_SELECT " WHERE v.token_hash = $1", SV_TEXT(hash), out,
	                       e);
}

int webchat_ticket_issue(struct store_tx *tx, const struct webchat_visitor *v, int64_t now,
                         char ticket_out[WEBCHAT_TOKEN_LEN], struct error *e)
{
	char ticket[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	int rc = store_exec(tx, "DELETE FROM webchat_stream_tickets WHERE expires_at <= $1",
	                    STORE_ARGS(SV_INT(now)));
	token_generate(ticket);
	snprintf(ticket_out, WEBCHAT_TOKEN_LEN, "wst_%s", ticket);
	token_hash(ticket_out, strlen(ticket_out), hash);
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "INSERT INTO webchat_stream_tickets (ticket_hash, visitor_id, expires_at)"
		    " VALUES ($1, $2, $3)",
		    STORE_ARGS(SV_TEXT(hash), SV_INT(v->id), SV_INT(now + WEBCHAT_TICKET_TTL_MS)));
	return store_failed(e, rc);
}

int webchat_ticket_take(struct store_tx *tx, const char *ticket, int64_t now,
                        struct webchat_visitor *out, struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	int64_t visitor_id = 0;
	token_hash(ticket, strlen(ticket), hash);
	int rc = store_get_int(tx,
	                       "DELETE FROM webchat_stream_tickets WHERE ticket_hash = $1"
	                       " AND expires_at > $2 RETURNING visitor_id",
	                       STORE_ARGS(SV_TEXT(hash), SV_INT(now)), &visitor_id);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_UNAUTHENTICATED,
		                 "this stream ticket is unknown, used or expired: ask for a new one"
		                 " (POST /api/v1/webchat/stream-ticket)");
	if (rc < 0)
		return store_failed(e, rc);
	return find_visitor_by(tx, VISITOR_SELECT " WHERE v.id = $1", SV_INT(visitor_id), out, e);
}

int webchat_visitor_may_write(struct store_tx *tx, const struct webchat_visitor *v, int64_t now,
                              int *retry_after_s, struct error *e)
{
	/* The visitor's row first: on PostgreSQL its lock queues this visitor's writes on every
	 * server until they commit, so the count below sees the others' messages (one SQLite
	 * file has one writer). A refusal rolls the update back. */
	int rc = store_exec(tx, "UPDATE webchat_visitors SET last_seen_at = $2 WHERE id = $1",
	                    STORE_ARGS(SV_INT(v->id), SV_INT(now)));
	int64_t count = 0, oldest = 0;
	if (rc >= 0)
		rc = count_since(tx,
		                 "SELECT count(*), coalesce(min(created_at), 0) FROM messages"
		                 " WHERE conversation_id IN (" VISITOR_CONVERSATIONS ")"
		                 " AND direction = 'in' AND created_at > $2",
		                 SV_INT(v->identity_id), now - WEBCHAT_MESSAGES_WINDOW, &count,
		                 &oldest);
	if (rc < 0)
		return store_failed(e, rc);
	if (count >= WEBCHAT_MESSAGES_LIMIT) {
		*retry_after_s = seconds_left(oldest, WEBCHAT_MESSAGES_WINDOW, now);
		return error_set(e, ERR_RATE_LIMITED, "too many messages; wait a moment");
	}
	return 0;
}

/* What a visitor may read: its own messages, and ours once they left the outbox. */
#define VISITOR_MAY_READ " (m.direction = 'in' OR m.status IN ('sent', 'delivered', 'read'))"

int webchat_message_file(struct store_tx *tx, const struct webchat_visitor *v, int64_t id,
                         struct message_file *out, struct error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = store_get_row(
	    tx,
	    "SELECT" MESSAGE_FILE_COLUMNS " WHERE m.conversation_id IN (" VISITOR_CONVERSATIONS ")"
	    " AND m.id = $2 AND" VISITOR_MAY_READ,
	    STORE_ARGS(SV_INT(v->identity_id), SV_INT(id)), message_file_read, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such file");
	return store_failed(e, rc);
}

/* A history item's file, when it has a stored one: {url, name, size, mime_type}. */
static json_t *history_file(struct store_rows *r, int64_t id)
{
	if (strcmp(store_text(r, 7), "ready") != 0)
		return json_null();
	char url[64];
	snprintf(url, sizeof(url), "/api/v1/webchat/messages/%lld/media", (long long)id);
	json_t *details = json_loads(store_text(r, 10), 0, NULL);
	json_t *name = json_object_get(details, "file_name");
	json_t *file = json_pack("{s:s,s:O,s:I,s:s}", "url", url, "name",
	                         json_is_string(name) ? name : json_null(), "size",
	                         (json_int_t)store_int(r, 8), "mime_type", store_text(r, 9));
	json_decref(details);
	return file;
}

json_t *webchat_history(struct store_tx *tx, const struct webchat_visitor *v, int64_t after,
                        int64_t now, struct error *e)
{
	/* The visitor's own words, and what left the outbox for it (not what still waits). */
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT m.id, m.direction, m.sender, m.text, m.status, m.created_at, u.name,"
	    " coalesce(md.state, ''), coalesce(f.size, 0), coalesce(f.mime_type, ''),"
	    " coalesce(m.details, '{}'), m.type FROM messages m"
	    " LEFT JOIN users u ON u.id = m.author_id LEFT JOIN media md ON md.message_id = m.id"
	    " LEFT JOIN files f ON f.sha256 = md.sha256"
	    " WHERE m.conversation_id IN (" VISITOR_CONVERSATIONS ") AND m.id > $2"
	    " AND" VISITOR_MAY_READ " ORDER BY m.id DESC LIMIT $3",
	    STORE_ARGS(SV_INT(v->identity_id), SV_INT(after), SV_INT(WEBCHAT_HISTORY_MAX)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *list = json_array();
	int64_t newest = 0;
	while ((rc = store_next(r)) == 1) {
		int64_t id = store_int(r, 0);
		json_t *m = json_pack(
		    "{s:I,s:s,s:s,s:s,s:o,s:s,s:I,s:o,s:o}", "id", (json_int_t)id, "direction",
		    store_text(r, 1), "sender", store_text(r, 2), "type", store_text(r, 11), "text",
		    store_is_null(r, 3) ? json_null() : json_string(store_text(r, 3)), "status",
		    store_text(r, 4), "created_at", (json_int_t)store_int(r, 5), "agent_name",
		    store_is_null(r, 6) ? json_null() : json_string(store_text(r, 6)), "file",
		    history_file(r, id));
		json_array_insert_new(list, 0, m);
		if (newest == 0)
			newest = store_int(r, 0);
	}
	store_rows_free(r);
	if (rc >= 0 && newest > 0)
		rc = events_emit_messages(
		    tx, "message.updated", now,
		    "UPDATE messages SET status = 'delivered' WHERE conversation_id IN"
		    " (" VISITOR_CONVERSATIONS ") AND direction = 'out' AND status = 'sent'"
		    " AND id > $2 AND id <= $3 RETURNING id",
		    STORE_ARGS(SV_INT(v->identity_id), SV_INT(after), SV_INT(newest)));
	if (rc < 0) {
		json_decref(list);
		store_failed(e, rc);
		return NULL;
	}
	return list;
}

int webchat_visitor_set_contact(struct store_tx *tx, struct webchat_visitor *v, const char *name,
                                const char *email, struct error *e)
{
	char clean[WEBCHAT_NAME_MAX + 1], folded[USER_EMAIL_MAX + 1];
	int rc = text_check_name("name", name, WEBCHAT_NAME_MAX, clean, e);
	if (rc == 0)
		rc = text_fold_email(email, folded, e);
	if (rc < 0)
		return rc;
	rc = store_exec(tx, "UPDATE webchat_visitors SET name = $2, email = $3 WHERE id = $1",
	                STORE_ARGS(SV_INT(v->id), SV_TEXT(clean), SV_TEXT(folded)));
	snprintf(v->name, sizeof(v->name), "%s", clean);
	snprintf(v->email, sizeof(v->email), "%s", folded);
	if (rc >= 0)
		rc = webchat_visitor_sync_contact(tx, v);
	return store_failed(e, rc);
}

int webchat_visitor_sync_contact(struct store_tx *tx, const struct webchat_visitor *v)
{
	if (v->name[0] == '\0' && v->email[0] == '\0')
		return 0;
	/* A name that is only the identity's id is ingest's stand-in, not the contact's own. */
	return store_exec(
	    tx,
	    "UPDATE contacts SET email = coalesce(email, nullif($3, '')),"
	    " name = CASE WHEN name = 'web-' || $2 AND $4 <> '' THEN $4 ELSE name END"
	    " WHERE id = (SELECT contact_id FROM contact_identities WHERE channel_id = $1"
	    " AND external_id = 'web-' || $2)",
	    STORE_ARGS(SV_INT(v->channel_id), SV_INT(v->id), SV_TEXT(v->email), SV_TEXT(v->name)));
}

int webchat_demo_channel(struct store_tx *tx, struct channel *out, struct error *e)
{
	int64_t id = 0;
	int rc =
	    store_get_int(tx,
	                  "SELECT min(id) FROM channels WHERE kind = 'webchat' AND is_active = 1"
	                  " HAVING count(*) > 0",
	                  STORE_NO_ARGS, &id);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_NOT_FOUND, "there is no web chat to try");
	return rc < 0 ? store_failed(e, rc) : channel_find_active(tx, CHANNEL_WEBCHAT, id, out, e);
}
