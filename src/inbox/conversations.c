/*
 * Conversations and their messages, through the visibility rule (CONVERSATION_VISIBLE):
 * every query that touches a conversation for a person goes through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "events/events.h"
#include "inbox/internal.h"
#include "outbox/outbox.h"

#define CONVERSATION_FIELDS                                                                 \
	"v.id, v.account_id, v.channel_id, ch.kind, v.contact_id, c.name, v.status,"        \
	" coalesce(v.team_id, 0), coalesce(v.assignee_id, 0), v.routing_attempts,"          \
	" coalesce(v.last_customer_at, 0), v.last_activity_at, coalesce(v.resolved_at, 0)," \
	" v.created_at, v.updated_at, coalesce(v.due_at, 0)"
#define CONVERSATION_FROM       \
	" FROM conversations v" \
	" JOIN channels ch ON ch.id = v.channel_id JOIN contacts c ON c.id = v.contact_id"
#define CONVERSATION_COLUMNS CONVERSATION_FIELDS CONVERSATION_FROM

static const char *const status_names[] = { "routing", "open", "pending", "snoozed", "resolved" };

const char *conversation_status_name(enum conversation_status status)
{
	return status_names[status];
}

int conversation_status_parse(const char *name, enum conversation_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum conversation_status)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

int conversation_statuses_parse(const char *list, char *out, size_t size)
{
	size_t len = 1;
	if (size < 2)
		return ERR_INVALID;
	snprintf(out, size, ",");
	for (const char *p = list;; p++) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char word[16], marked[20];
		enum conversation_status status;
		if (n == 0 || n >= sizeof(word))
			return ERR_INVALID;
		memcpy(word, p, n);
		word[n] = '\0';
		snprintf(marked, sizeof(marked), ",%s,", word);
		if (conversation_status_parse(word, &status) < 0 || strstr(out, marked) != NULL ||
		    len + n + 1 >= size)
			return ERR_INVALID;
		snprintf(out + len, size - len, "%s,", word);
		len += n + 1;
		if (end == NULL)
			return 0;
		p = end;
	}
}

static void read_conversation(struct store_rows *r, void *item)
{
	struct conversation *c = item;
	memset(c, 0, sizeof(*c));
	c->id = store_int(r, 0);
	c->account_id = store_int(r, 1);
	c->channel_id = store_int(r, 2);
	channel_kind_parse(store_text(r, 3), &c->kind);
	c->contact_id = store_int(r, 4);
	snprintf(c->contact_name, sizeof(c->contact_name), "%s", store_text(r, 5));
	conversation_status_parse(store_text(r, 6), &c->status);
	c->team_id = store_int(r, 7);
	c->assignee_id = store_int(r, 8);
	c->routing_attempts = (int)store_int(r, 9);
	c->last_customer_at = store_int(r, 10);
	c->last_activity_at = store_int(r, 11);
	c->resolved_at = store_int(r, 12);
	c->created_at = store_int(r, 13);
	c->updated_at = store_int(r, 14);
	c->due_at = store_int(r, 15);
}

int conversation_get(struct store_tx *tx, const struct actor *who, int64_t id,
                     struct conversation *out, struct error *e)
{
	int rc = store_get_row(
	    tx, "SELECT " CONVERSATION_COLUMNS " WHERE" CONVERSATION_VISIBLE " AND v.id = $4",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_INT(who->role),
	               SV_INT(id)),
	    read_conversation, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such conversation");
	return store_failed(e, rc);
}

int conversation_take_over(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                           struct conversation *out, struct error *e)
{
	int rc = conversation_get(tx, who, id, out, e);
	if (rc < 0 || out->status != STATUS_ROUTING)
		return rc;
	struct router_event takeover = { .kind = ROUTER_HUMAN_TAKEOVER };
	rc = routing_step(tx, id, &takeover, now, NULL, e);
	return rc < 0 ? rc : conversation_get(tx, who, id, out, e);
}

bool conversation_window_is_open(const struct conversation *c, int64_t now)
{
	if (c->kind == CHANNEL_TELEGRAM || c->kind == CHANNEL_WEBCHAT)
		return true;
	int64_t window = c->kind == CHANNEL_MESSENGER ? HUMAN_AGENT_WINDOW_MS : REPLY_WINDOW_MS;
	return c->last_customer_at > 0 && now - c->last_customer_at < window;
}

/* Queues what an agent sends (send: the outbox's extras, may be NULL): replying to a
 * resolved or snoozed conversation opens it. */
static int queue_agent_message(struct store_tx *tx, const struct actor *who,
                               const struct conversation *c, const char *text, const json_t *send,
                               const struct outbox_file *file, int64_t now, int64_t *first_id,
                               size_t *parts, struct error *e)
{
	int rc =
	    store_exec(tx,
	               "UPDATE conversations SET status = 'open', updated_at = $2 WHERE id = $1"
	               " AND status IN ('resolved', 'snoozed')",
	               STORE_ARGS(SV_INT(c->id), SV_INT(now)));
	bool is_reopened = rc > 0;
	if (is_reopened)
		rc = csat_drop(tx, c->id);
	if (rc >= 0 && is_reopened)
		rc = events_emit_conversation(tx, c->id, "status", NULL, now);
	if (rc < 0)
		return store_failed(e, rc);
	struct outbox_text t = { .account_id = c->account_id,
		                 .conversation_id = c->id,
		                 .channel_id = c->channel_id,
		                 .kind = c->kind,
		                 .sender = "agent",
		                 .author_id = who->user_id,
		                 .text = text,
		                 .send = send,
		                 .file = file };
	rc = targets_answered(tx, c->id, who->user_id, now, e);
	return rc < 0 ? rc : outbox_enqueue(tx, &t, now, first_id, parts, e);
}

/* A member who replies to an unassigned conversation of their team becomes its assignee,
 * unless the team turned that off (reply_assigns). */
static int assign_replier(struct store_tx *tx, const struct actor *who,
                          const struct conversation *c, int64_t now, struct error *e)
{
	if (c->assignee_id != 0 || c->team_id == 0)
		return 0;
	int64_t does_assign = 0;
	int rc = store_get_int(tx,
	                       "SELECT t.reply_assigns FROM teams t JOIN team_members m"
	                       " ON m.team_id = t.id WHERE t.id = $1 AND m.user_id = $2",
	                       STORE_ARGS(SV_INT(c->team_id), SV_INT(who->user_id)), &does_assign);
	if (rc == ERR_NOT_FOUND || (rc == 0 && does_assign == 0))
		return 0;
	if (rc < 0)
		return store_failed(e, rc);
	return conversation_assign(tx, who, c->id, who->user_id, now, e);
}

/* What every reply does first: the takeover, the window's check, the replier's assignment, and
 * Meta's tag for a late reply (*send, to release). */
static int reply_begin(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                       struct conversation *out, json_t **send, struct error *e)
{
	/* A human reply ends routing; replying to a resolved conversation reopens it. A refused
	 * reply changes nothing: the caller rolls back. */
	struct conversation *c = out;
	*send = NULL;
	int rc = conversation_take_over(tx, who, id, now, c, e);
	if (rc < 0)
		return rc;
	if (!conversation_window_is_open(c, now))
		return error_set(e, ERR_CONFLICT,
		                 "more than %s have passed since the customer's last message: "
		                 "%s does not take a free-form reply now%s",
		                 c->kind == CHANNEL_MESSENGER ? "7 days" : "24 hours",
		                 channel_kind_name(c->kind),
		                 c->kind == CHANNEL_WHATSAPP ? " (send a template)" : "");
	if ((rc = assign_replier(tx, who, c, now, e)) < 0)
		return rc;
	/* Meta's rule: a human's reply after 24 hours (within 7 days) is tagged as one. */
	if (c->kind == CHANNEL_MESSENGER && now - c->last_customer_at >= REPLY_WINDOW_MS)
		*send = json_pack("{s:s}", "tag", "HUMAN_AGENT");
	return 0;
}

int conversation_reply(struct store_tx *tx, const struct actor *who, int64_t id, const char *text,
                       int64_t now, int64_t *first_id, size_t *parts, struct error *e)
{
	struct conversation c;
	json_t *send = NULL;
	int rc = reply_begin(tx, who, id, now, &c, &send, e);
	if (rc == 0)
		rc = queue_agent_message(tx, who, &c, text, send, NULL, now, first_id, parts, e);
	json_decref(send);
	return rc;
}

/* Characters (code points) of valid UTF-8. */
static size_t characters(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int conversation_send_file(struct store_tx *tx, const struct actor *who, int64_t id,
                           int64_t upload_id, const char *caption, int64_t max_bytes, int64_t now,
                           int64_t *first_id, size_t *parts, struct error *e)
{
	struct conversation c;
	struct upload u;
	json_t *send = NULL;
	bool has_caption = caption != NULL && caption[0] != '\0';
	int rc = reply_begin(tx, who, id, now, &c, &send, e);
	if (rc == 0)
		rc = upload_get(tx, c.account_id, c.id, upload_id, &u, e);
	/* The limits again: the operator may have lowered them since the upload. */
	if (rc == 0)
		rc = channel_file_check(c.kind, u.mime_type, u.size, max_bytes, NULL, e);
	bool is_apart = c.kind == CHANNEL_MESSENGER || c.kind == CHANNEL_INSTAGRAM;
	if (rc == 0 && has_caption && !is_apart && characters(caption) > CHANNEL_CAPTION_MAX)
		rc = error_set(e, ERR_UNPROCESSABLE, "a caption is at most %d characters",
		               CHANNEL_CAPTION_MAX);
	const struct outbox_file file = { .kind = u.kind,
		                          .sha256 = u.sha256,
		                          .mime_type = u.mime_type,
		                          .file_name = u.file_name };
	if (rc == 0)
		rc = queue_agent_message(tx, who, &c, is_apart ? NULL : caption, send, &file, now,
		                         first_id, parts, e);
	size_t more = 0;
	if (rc == 0 && has_caption && is_apart)
		rc = queue_agent_message(tx, who, &c, caption, send, NULL, now, NULL, &more, e);
	if (rc == 0 && parts != NULL)
		*parts += more;
	json_decref(send);
	return rc;
}

int conversation_send_template(struct store_tx *tx, const struct actor *who, int64_t id,
                               const struct template_request *t, int64_t now, int64_t *message_id,
                               struct error *e)
{
	struct conversation c;
	int rc = conversation_take_over(tx, who, id, now, &c, e);
	if (rc < 0)
		return rc;
	if (c.kind != CHANNEL_WHATSAPP)
		return error_set(e, ERR_UNPROCESSABLE, "templates are sent on WhatsApp only");
	json_t *send = NULL;
	char *rendered = NULL;
	rc = template_prepare(tx, c.channel_id, t->name, t->language, t->parameters, &send,
	                      &rendered, e);
	if (rc == 0)
		rc = queue_agent_message(tx, who, &c, rendered, send, NULL, now, message_id, NULL,
		                         e);
	json_decref(send);
	free(rendered);
	return rc;
}

int message_retry(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                  int64_t message_id, int64_t now, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, conversation_id, &c, e);
	return rc < 0 ? rc : outbox_retry_now(tx, conversation_id, message_id, now, e);
}

static char *text_or_null(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? NULL : xstrdup(store_text(r, col));
}

int message_list(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                 int64_t before_id, int limit, struct message **out, size_t *n, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, conversation_id, &c, e);
	if (rc < 0)
		return rc;
	struct store_rows *r;
	rc = store_query(
	    tx,
	    "SELECT m.id, m.conversation_id, m.direction, m.sender, coalesce(m.author_id, 0),"
	    " m.type, m.raw_type, m.text, m.details, m.status, coalesce(m.error_code, 0),"
	    " m.error_title, coalesce(m.edited_at, 0), m.created_at, coalesce(u.name, ''),"
	    " coalesce(md.state, ''), md.error, coalesce(f.sha256, ''), coalesce(f.size, 0),"
	    " coalesce(f.mime_type, ''), coalesce(o.state, ''), coalesce(o.attempts, 0),"
	    " coalesce(o.next_attempt_at, 0), o.last_error"
	    " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
	    " LEFT JOIN media md ON md.message_id = m.id LEFT JOIN files f ON f.sha256 = md.sha256"
	    " LEFT JOIN outbox o ON o.message_id = m.id"
	    " WHERE m.conversation_id = $1 AND ($2 = 0 OR m.id < $2)"
	    " ORDER BY m.id DESC LIMIT $3",
	    STORE_ARGS(SV_INT(conversation_id), SV_INT(before_id), SV_INT(limit)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	struct message *list = NULL;
	size_t len = 0, cap = 0;
	while ((rc = store_next(r)) == 1) {
		list = xgrow(list, &cap, len, sizeof(*list));
		struct message *m = &list[len++];
		memset(m, 0, sizeof(*m));
		m->id = store_int(r, 0);
		m->conversation_id = store_int(r, 1);
		m->is_inbound = strcmp(store_text(r, 2), "in") == 0;
		snprintf(m->sender, sizeof(m->sender), "%s", store_text(r, 3));
		m->author_id = store_int(r, 4);
		snprintf(m->type, sizeof(m->type), "%s", store_text(r, 5));
		m->raw_type = text_or_null(r, 6);
		m->text = text_or_null(r, 7);
		m->details = text_or_null(r, 8);
		snprintf(m->status, sizeof(m->status), "%s", store_text(r, 9));
		m->error_code = store_int(r, 10);
		m->error_title = text_or_null(r, 11);
		m->edited_at = store_int(r, 12);
		m->created_at = store_int(r, 13);
		snprintf(m->author_name, sizeof(m->author_name), "%s", store_text(r, 14));
		snprintf(m->media_state, sizeof(m->media_state), "%s", store_text(r, 15));
		m->media_error = text_or_null(r, 16);
		snprintf(m->file_sha256, sizeof(m->file_sha256), "%s", store_text(r, 17));
		m->file_size = store_int(r, 18);
		snprintf(m->file_mime, sizeof(m->file_mime), "%s", store_text(r, 19));
		snprintf(m->outbox_state, sizeof(m->outbox_state), "%s", store_text(r, 20));
		m->attempts = store_int(r, 21);
		m->next_attempt_at = store_int(r, 22);
		m->last_error = text_or_null(r, 23);
	}
	store_rows_free(r);
	if (rc < 0) {
		message_list_free(list, len);
		return store_failed(e, rc);
	}
	*out = list;
	*n = len;
	return 0;
}

void message_list_free(struct message *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].raw_type);
		free(list[i].text);
		free(list[i].details);
		free(list[i].error_title);
		free(list[i].media_error);
		free(list[i].last_error);
	}
	free(list);
}

void message_file_read(struct store_rows *r, void *item)
{
	struct message_file *f = item;
	snprintf(f->state, sizeof(f->state), "%s", store_text(r, 0));
	snprintf(f->sha256, sizeof(f->sha256), "%s", store_text(r, 1));
	f->size = store_int(r, 2);
	snprintf(f->mime_type, sizeof(f->mime_type), "%s", store_text(r, 3));
	json_t *details = json_loads(store_text(r, 4), 0, NULL);
	const char *name = json_string_value(json_object_get(details, "file_name"));
	f->file_name = name != NULL ? xstrdup(name) : NULL;
	json_decref(details);
}

int message_file_get(struct store_tx *tx, const struct actor *who, int64_t id,
                     struct message_file *out, struct error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = store_get_row(tx,
	                       "SELECT" MESSAGE_FILE_COLUMNS
	                       " JOIN conversations v ON v.id = m.conversation_id"
	                       " WHERE" CONVERSATION_VISIBLE " AND m.id = $4",
	                       STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                                  SV_INT(who->role), SV_INT(id)),
	                       message_file_read, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such file");
	return store_failed(e, rc);
}

int conversation_back_to_routing(struct store_tx *tx, const struct actor *who, int64_t id,
                                 int64_t now, size_t *queued, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	if (c.status == STATUS_RESOLVED)
		return error_set(e, ERR_CONFLICT, "the conversation is resolved: reopen it first");
	struct router_event back = { .kind = ROUTER_BACK_TO_ROUTING };
	return routing_step(tx, id, &back, now, queued, e);
}

/*
 * The list. Each view has its own statement, so that SQLite reads the index that matches it
 * — conversations_team for general (no team) and team:<id>, conversations_assignee for mine,
 * conversations_activity otherwise — in the list's order, and stops at the page's end.
 * Parameters: $1 account, $2 user, $3 1 for admins (the visibility rule), $4 the view (unused:
 * it picks the statement), $5 team,
 * $6 status, $7 channel, $8 assignee, $9 tag, $10 q as a LIKE pattern, $11 and $12 the
 * cursor, $13 the page's size, $14 PREVIEW_CHARS, $15 q as a full-text query, $16 the most
 * conversations counted, $17 the one conversation of a detail, $18 due before (0: any).
 */
#define CONVERSATION_FILTER                                                   \
	" AND ($6 = '' OR $6 LIKE '%,' || v.status || ',%')"                  \
	" AND ($7 = 0 OR v.channel_id = $7)"                                  \
	" AND ($8 = 0 OR v.assignee_id = $8) AND ($18 = 0 OR v.due_at < $18)" \
	" AND ($9 = '' OR EXISTS (SELECT 1 FROM conversation_tags g"          \
	" WHERE g.conversation_id = v.id AND g.name = $9))"

/* q: the conversations with a message someone wrote (routing's automatic ones are in every
 * conversation: migration 0040) or a contact that contains it, A-Z folded (SQLite's LIKE). On
 * SQLite the FTS5 trigram tables and the rows waiting for them (0040) give the candidates and
 * LIKE keeps those that really contain it (see search_query); on PostgreSQL the pg_trgm
 * indexes of ascii_lower() serve the LIKE itself (migrations 0011, 0040). */
#define SEARCH_MATCHES(message_candidates, contact_candidates, like)                       \
	" AND v.id IN (SELECT s.conversation_id FROM messages s WHERE" message_candidates  \
	" s.sender <> 'routing' AND"                                                       \
	" " like("s.text") " UNION SELECT w.id FROM conversations w WHERE w.contact_id IN" \
	                   " (SELECT k.id FROM contacts k WHERE" contact_candidates        \
	                   " (" like("k.name") " OR " like("k.phone") ")))"
#define SQLITE_LIKE(column)   column " LIKE $10 ESCAPE '\\'"
#define POSTGRES_LIKE(column) "ascii_lower(" column ") LIKE ascii_lower($10) ESCAPE '\\'"
#define SQLITE_SEARCH                                                                          \
	SEARCH_MATCHES(" s.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $15" \
	               " UNION ALL SELECT id FROM messages_fts_pending) AND",                  \
	               " k.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH $15" \
	               " UNION ALL SELECT id FROM contacts_fts_pending) AND",                  \
	               SQLITE_LIKE)
#define POSTGRES_SEARCH SEARCH_MATCHES("", "", POSTGRES_LIKE)

/* How many outgoing messages of v were not delivered (OUTBOX_UNDELIVERED). */
#define UNDELIVERED_SQL                                                    \
	" (SELECT count(*) FROM messages f WHERE f.conversation_id = v.id" \
	" AND" OUTBOX_UNDELIVERED("f", "v.id") ")"

/*
 * The two orders (conversation_sort): by the newest activity, or by the soonest due time
 * (those without a target last, by id). Each has its key, its ORDER BY and its cursor: the
 * rows after the key and id of the previous page's last.
 */
#define NO_DUE_TIME_MS  999999999999999999 /* after any due time, and 18 digits as cursors are */
#define SQL_INT_(n)     #n
#define SQL_INT(n)      SQL_INT_(n)
#define NO_DUE_TIME     SQL_INT(NO_DUE_TIME_MS)
#define ORDER_ACTIVITY  " ORDER BY v.last_activity_at DESC, v.id DESC"
#define CURSOR_ACTIVITY " AND (v.last_activity_at, v.id) < ($11, $12)"
#define ORDER_DUE       " ORDER BY coalesce(v.due_at, " NO_DUE_TIME "), v.id"
#define CURSOR_DUE      " AND (coalesce(v.due_at, " NO_DUE_TIME "), v.id) > ($11, $12)"

/* A page: the matches' ids (and, with q, how many match) from `ids`, then their details. */
#define PAGE_SQL(order, ids)                                                                       \
	"SELECT " CONVERSATION_FIELDS ", coalesce(c.phone, ''), coalesce(t.name, ''),"             \
	" coalesce(u.name, ''), coalesce(m.id, 0), coalesce(m.direction, ''),"                     \
	" coalesce(substr(m.text, 1, CAST($14 AS INTEGER)), m.type), coalesce(m.created_at, 0),"   \
	" (SELECT count(*) FROM messages i WHERE i.conversation_id = v.id"                         \
	" AND i.direction = 'in' AND i.id > v.last_read_message_id), p.total,"                     \
	" coalesce(m.sender, ''), coalesce(m.author_id, 0), coalesce(a.name, '')," UNDELIVERED_SQL \
	" FROM (" ids ") p JOIN conversations v ON v.id = p.id"                                    \
	" JOIN channels ch ON ch.id = v.channel_id JOIN contacts c ON c.id = v.contact_id"         \
	" LEFT JOIN teams t ON t.id = v.team_id LEFT JOIN users u ON u.id = v.assignee_id"         \
	" LEFT JOIN messages m ON m.id = (SELECT max(id) FROM messages"                            \
	" WHERE conversation_id = v.id) LEFT JOIN users a ON a.id = m.author_id" order
/* Without q: read in the list's order (from the view's index, by activity), to the page's end. */
#define LIST_SQL(order, index, view, search)                                                  \
	PAGE_SQL(ORDER_##order, "SELECT v.id, 0 AS total FROM conversations v" index          \
	                        " WHERE" CONVERSATION_VISIBLE view search CONVERSATION_FILTER \
	                            CURSOR_##order ORDER_##order " LIMIT $13")
/* With q: every match is found anyway, so they are counted on the way (the cursor aside). */
#define SEARCH_SQL(order, index, view, search)                                       \
	PAGE_SQL(ORDER_##order,                                                      \
	         "SELECT id, total FROM (SELECT v.id, v.last_activity_at, v.due_at," \
	         " count(*) OVER () AS total FROM conversations v" index             \
	         " WHERE" CONVERSATION_VISIBLE view search CONVERSATION_FILTER       \
	         ") v WHERE TRUE" CURSOR_##order ORDER_##order " LIMIT $13")
#define LIST_BY_ACTIVITY(index, view, search)   LIST_SQL(ACTIVITY, index, view, search)
#define SEARCH_BY_ACTIVITY(index, view, search) SEARCH_SQL(ACTIVITY, index, view, search)
#define LIST_BY_DUE(index, view, search)        LIST_SQL(DUE, index, view, search)
#define SEARCH_BY_DUE(index, view, search)      SEARCH_SQL(DUE, index, view, search)
#define COUNT_SQL(index, view, search)                              \
	"SELECT count(*) FROM (SELECT 1 FROM conversations v" index \
	" WHERE" CONVERSATION_VISIBLE view search CONVERSATION_FILTER " LIMIT $16) n"
#define VIEW_GENERAL_SQL " AND v.team_id IS NULL"
#define VIEW_MINE_SQL    " AND v.assignee_id = $2"
#define VIEW_TEAM_SQL    " AND v.team_id = $5"
#define VIEW_ONE_SQL     " AND v.id = $17"
/* The detail: the list's item of one conversation, by its id. */
#define VIEW_ONE (VIEW_ALL + 1)

/*
 * By view (VIEW_VISIBLE and VIEW_ALL differ only in who may ask), then without and with q.
 * SQLite is told the index: without statistics it would take conversations_activity for
 * every view (the account, then the order). With q, the matches drive: their conversations
 * are looked up by id and sorted, however few. PostgreSQL's planner has statistics, and no
 * such syntax.
 */
#define BY_ACTIVITY " INDEXED BY conversations_activity"
#define BY_TEAM     " INDEXED BY conversations_team"
#define BY_ASSIGNEE " INDEXED BY conversations_assignee"
#define BY_MATCH    " NOT INDEXED"
#define VIEW_ROW(SQL, SEARCH, index, match, search, view)         \
	{                                                         \
		SQL(index, view, ""), SEARCH(match, view, search) \
	}
#define VIEW_STATEMENTS(SQL, SEARCH, activity, team, assignee, match, search)      \
	{                                                                          \
		VIEW_ROW(SQL, SEARCH, activity, match, search, ""),                \
		    VIEW_ROW(SQL, SEARCH, team, match, search, VIEW_GENERAL_SQL),  \
		    VIEW_ROW(SQL, SEARCH, assignee, match, search, VIEW_MINE_SQL), \
		    VIEW_ROW(SQL, SEARCH, team, match, search, VIEW_TEAM_SQL),     \
		    VIEW_ROW(SQL, SEARCH, activity, match, search, ""),            \
		    VIEW_ROW(SQL, SEARCH, "", match, search, VIEW_ONE_SQL)         \
	}
#define DIALECTS(SQL, SEARCH)                                                                    \
	{                                                                                        \
		[STORE_SQLITE] = VIEW_STATEMENTS(SQL, SEARCH, BY_ACTIVITY, BY_TEAM, BY_ASSIGNEE, \
		                                 BY_MATCH, SQLITE_SEARCH),                       \
		[STORE_POSTGRES] = VIEW_STATEMENTS(SQL, SEARCH, "", "", "", "", POSTGRES_SEARCH) \
	}
static const char *const list_sql[][STORE_POSTGRES + 1][VIEW_ONE + 1][2] = {
	[SORT_ACTIVITY] = DIALECTS(LIST_BY_ACTIVITY, SEARCH_BY_ACTIVITY),
	[SORT_DUE] = DIALECTS(LIST_BY_DUE, SEARCH_BY_DUE),
};
static const char *const count_sql[][VIEW_ONE + 1][2] = DIALECTS(COUNT_SQL, COUNT_SQL);

char *inbox_like_pattern(const char *q)
{
	size_t len = q != NULL ? strlen(q) : 0;
	char *out = xmalloc(2 * len + 3), *p = out;
	if (q != NULL) {
		*p++ = '%';
		for (size_t i = 0; i < len; i++) {
			if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
				*p++ = '\\';
			*p++ = q[i];
		}
		*p++ = '%';
	}
	*p = '\0';
	return out;
}

/* The length of the UTF-8 character that starts at s (1 for a stray byte). */
static size_t char_len(const char *s)
{
	size_t n = 1;
	while (s[n] != '\0' && ((unsigned char)s[n] & 0xC0) == 0x80)
		n++;
	return n;
}

size_t conversation_query_chars(const char *q)
{
	size_t n = 0;
	for (; *q != '\0'; q += char_len(q))
		n++;
	return n;
}

/*
 * The full-text query that finds q's candidates in the trigram indexes: the trigrams (three
 * characters) at every third character, and the last, each quoted ("" for a quote), all
 * required: "imp" "res" "ora" for "impresora". Every text that contains q contains them; a
 * few that do not may too, and LIKE drops those. q has at least 3 characters; "" when NULL.
 */
static char *search_query(const char *q)
{
	size_t len = q != NULL ? strlen(q) : 0;
	/* Each byte in at most two trigrams, doubled when a quote; 3 more bytes per trigram. */
	char *out = xmalloc(6 * len + 16), *p = out;
	size_t chars = q != NULL ? conversation_query_chars(q) : 0;
	const char *c = q;
	for (size_t i = 0; q != NULL && i + 3 <= chars; i++, c += char_len(c)) {
		if (i % 3 != 0 && i + 3 != chars)
			continue;
		*p++ = '"';
		const char *t = c;
		for (int k = 0; k < 3; k++)
			for (size_t b = char_len(t); b > 0; b--, t++) {
				if (*t == '"')
					*p++ = '"';
				*p++ = *t;
			}
		*p++ = '"';
		*p++ = ' ';
	}
	*p = '\0';
	return out;
}

static void read_item(struct store_rows *r, struct conversation_item *it)
{
	memset(it, 0, sizeof(*it));
	read_conversation(r, &it->c);
	snprintf(it->contact_phone, sizeof(it->contact_phone), "%s", store_text(r, 16));
	snprintf(it->team_name, sizeof(it->team_name), "%s", store_text(r, 17));
	snprintf(it->assignee_name, sizeof(it->assignee_name), "%s", store_text(r, 18));
	it->last_message_id = store_int(r, 19);
	snprintf(it->last_direction, sizeof(it->last_direction), "%s", store_text(r, 20));
	it->last_preview = text_or_null(r, 21);
	it->last_message_at = store_int(r, 22);
	it->unread = store_int(r, 23);
	snprintf(it->last_sender, sizeof(it->last_sender), "%s", store_text(r, 25));
	it->last_author_id = store_int(r, 26);
	snprintf(it->last_author_name, sizeof(it->last_author_name), "%s", store_text(r, 27));
	it->undelivered = store_int(r, 28);
}

/* The statements' parameters (above) for f; like and match are q's two patterns. */
#define FILTER_ARGS 18
static void filter_args(const struct actor *who, const struct conversation_filter *f,
                        const char *like, const char *match, struct store_value *args)
{
	/* No cursor: from the first, after (0, 0) by due time, before (INT64_MAX, INT64_MAX) by
	 * activity. */
	int64_t start = f->sort == SORT_DUE ? 0 : INT64_MAX;
	int64_t after_at = f->after_id != 0 ? f->after_key : start;
	int64_t after_id = f->after_id != 0 ? f->after_id : start;
	struct store_value v[FILTER_ARGS] = { SV_INT(who->account_id),
		                              SV_INT(who->user_id),
		                              SV_INT(who->role),
		                              SV_INT(f->view),
		                              SV_INT(f->team_id),
		                              SV_TEXT(f->statuses),
		                              SV_INT(f->channel_id),
		                              SV_INT(f->assignee_id),
		                              SV_TEXT(f->tag != NULL ? f->tag : ""),
		                              SV_TEXT(like),
		                              SV_INT(after_at),
		                              SV_INT(after_id),
		                              SV_INT(f->limit),
		                              SV_INT(PREVIEW_CHARS),
		                              SV_TEXT(match),
		                              SV_INT(CONVERSATION_COUNT_MAX + 1),
		                              SV_INT(f->id),
		                              SV_INT(f->due_before) };
	memcpy(args, v, sizeof(v));
}

int64_t conversation_sort_key(const struct conversation *c, enum conversation_sort sort)
{
	if (sort == SORT_ACTIVITY)
		return c->last_activity_at;
	return c->due_at != 0 ? c->due_at : NO_DUE_TIME_MS;
}

int conversation_list(struct store_tx *tx, const struct actor *who,
                      const struct conversation_filter *f, struct conversation_item **out,
                      size_t *n, int64_t *total, struct error *e)
{
	char *like = inbox_like_pattern(f->q), *match = search_query(f->q);
	bool is_search = f->q != NULL;
	struct store_rows *r = NULL;
	struct conversation_item *list = NULL;
	size_t len = 0, cap = 0;
	struct store_value args[FILTER_ARGS];
	filter_args(who, f, like, match, args);
	/* The page follows the cursor; the count ignores it. A search counts its matches while
	 * finding them; the count is read on its own when there is no page to carry it. */
	int view = f->id != 0 ? VIEW_ONE : (int)f->view;
	int rc = store_query(tx, list_sql[f->sort][store_dialect(tx)][view][is_search], args,
	                     FILTER_ARGS, &r);
	if (rc < 0)
		goto out;
	*total = -1;
	while ((rc = store_next(r)) == 1) {
		list = xgrow(list, &cap, len, sizeof(*list));
		read_item(r, &list[len++]);
		if (is_search)
			*total = store_int(r, 24);
	}
	store_rows_free(r);
	r = NULL;
	if (rc < 0 || *total >= 0)
		goto out;
	args[10] = SV_INT(INT64_MAX);
	args[11] = SV_INT(INT64_MAX);
	rc = store_get_int(tx, count_sql[store_dialect(tx)][view][is_search], args, FILTER_ARGS,
	                   total);
out:
	store_rows_free(r);
	free(like);
	free(match);
	if (rc < 0) {
		conversation_items_free(list, len);
		return store_failed(e, rc);
	}
	*out = list;
	*n = len;
	return 0;
}

/* The list's total for f (a view and a status, no q), up to CONVERSATION_COUNT_MAX + 1. */
static int conversation_count(struct store_tx *tx, const struct actor *who,
                              const struct conversation_filter *f, int64_t *n, struct error *e)
{
	struct store_value args[FILTER_ARGS];
	filter_args(who, f, "", "", args);
	int rc = store_get_int(tx, count_sql[store_dialect(tx)][f->view][0], args, FILTER_ARGS, n);
	return store_failed(e, rc);
}

/* The conversations not resolved with unread customer messages among all who may see. */
static int conversation_count_unread(struct store_tx *tx, const struct actor *who, int64_t *n,
                                     struct error *e)
{
	int rc = store_get_int(
	    tx,
	    "SELECT count(*) FROM (SELECT 1 FROM conversations v WHERE" CONVERSATION_VISIBLE
	    " AND v.status <> 'resolved' AND EXISTS (SELECT 1 FROM messages i"
	    " WHERE i.conversation_id = v.id AND i.direction = 'in'"
	    " AND i.id > v.last_read_message_id) LIMIT $4) n",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_INT(who->role),
	               SV_INT(CONVERSATION_COUNT_MAX + 1)),
	    n);
	return store_failed(e, rc);
}

/* A count of the counts' answer: at most CONVERSATION_COUNT_MAX, named in `capped` past it. */
static json_int_t capped_count(json_t *capped, const char *key, int64_t n)
{
	if (n <= CONVERSATION_COUNT_MAX)
		return (json_int_t)n;
	json_array_append_new(capped, json_string(key));
	return CONVERSATION_COUNT_MAX;
}

/* The navigation's numbers in one answer: open conversations in each view the person has
 * (general, mine and their teams; every team and all for admins; mine alone for restricted
 * agents), the unread ones, and those due within CONVERSATION_DUE_SOON_MS or overdue. */
int conversation_counts_json(struct store_tx *tx, const struct actor *who, int64_t now,
                             json_t **answer, struct error *e)
{
	static const char *const names[] = {
		[VIEW_GENERAL] = "general", [VIEW_MINE] = "mine", [VIEW_ALL] = "all"
	};
	bool is_admin = who->role == ROLE_ADMIN;
	int first = who->role == ROLE_RESTRICTED ? VIEW_MINE : VIEW_GENERAL;
	int last = is_admin ? VIEW_ALL : who->role == ROLE_RESTRICTED ? VIEW_MINE : VIEW_TEAM;
	struct team *teams = NULL;
	size_t n = 0;
	struct conversation_filter f = { .statuses = ",open," };
	int64_t count = 0;
	int rc = team_list(tx, who, &teams, &n, e);
	json_t *views = json_object(), *capped = json_array();
	for (int v = first; rc == 0 && v <= last; v++) {
		for (size_t i = 0; i < (v == VIEW_TEAM ? n : 1) && rc == 0; i++) {
			if (v == VIEW_TEAM && !teams[i].is_member && !is_admin)
				continue;
			char key[32];
			f.view = (enum conversation_view)v;
			f.team_id = v == VIEW_TEAM ? teams[i].id : 0;
			if (v == VIEW_TEAM)
				snprintf(key, sizeof(key), "team:%lld", (long long)f.team_id);
			else
				snprintf(key, sizeof(key), "%s", names[v]);
			if ((rc = conversation_count(tx, who, &f, &count, e)) == 0)
				json_object_set_new(views, key,
				                    json_integer(capped_count(capped, key, count)));
		}
	}
	if (rc == 0)
		rc = conversation_count_unread(tx, who, &count, e);
	json_int_t unread = capped_count(capped, "unread", count);
	/* Open ones close to or past their response target. */
	f = (struct conversation_filter){ .statuses = ",open,",
		                          .due_before = now + CONVERSATION_DUE_SOON_MS };
	if (rc == 0)
		rc = conversation_count(tx, who, &f, &count, e);
	free(teams);
	if (rc < 0) {
		json_decref(views);
		json_decref(capped);
		return rc;
	}
	json_int_t due = capped_count(capped, "due", count);
	*answer = json_pack("{s:o,s:I,s:I,s:o}", "views", views, "unread", unread, "due", due,
	                    "capped", capped);
	return 0;
}

void conversation_items_free(struct conversation_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].last_preview);
	free(items);
}

int conversation_snooze_next_end(struct store_tx *tx, int64_t *due, struct error *e)
{
	int rc = store_get_int(tx,
	                       "SELECT coalesce(min(snoozed_until), 0) FROM conversations"
	                       " WHERE status = 'snoozed'",
	                       STORE_NO_ARGS, due);
	return store_failed(e, rc);
}

int conversation_wake_snoozed(struct store_tx *tx, int64_t now, struct error *e)
{
	struct store_rows *r;
	int64_t ids[256];
	int n = 0;
	int rc = store_query(tx,
	                     "SELECT id, account_id FROM conversations WHERE status = 'snoozed'"
	                     " AND snoozed_until <= $1 ORDER BY snoozed_until LIMIT 256",
	                     STORE_ARGS(SV_INT(now)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	int64_t accounts[256];
	while ((rc = store_next(r)) == 1) {
		accounts[n] = store_int(r, 1);
		ids[n++] = store_int(r, 0);
	}
	store_rows_free(r);
	for (int i = 0; i < n && rc >= 0; i++) {
		rc = store_exec(tx,
		                "UPDATE conversations SET status = 'open', snoozed_until = NULL,"
		                " updated_at = $2 WHERE id = $1",
		                STORE_ARGS(SV_INT(ids[i]), SV_INT(now)));
		if (rc >= 0)
			rc = conversation_line_add(tx, accounts[i], ids[i], "status", 0,
			                           "the snooze ended: open again",
			                           json_pack("{s:s}", "code", "snooze_ended"), now);
		if (rc >= 0)
			rc = events_emit_conversation(tx, ids[i], "status", NULL, now);
	}
	return store_failed(e, rc);
}

static json_t *json_or_null(int64_t v)
{
	return v > 0 ? json_integer(v) : json_null();
}

/* "overdue" past the current target, "soon" within CONVERSATION_DUE_SOON_MS of it. */
static json_t *due_state(const struct conversation *c, int64_t now)
{
	if (c->due_at == 0)
		return json_null();
	return json_string(now > c->due_at                               ? "overdue"
	                   : c->due_at - now <= CONVERSATION_DUE_SOON_MS ? "soon"
	                                                                 : "later");
}

json_t *conversation_json(const struct conversation *c, int64_t now)
{
	return json_pack(
	    "{s:I,s:{s:I,s:s},s:{s:I,s:s},s:s,s:o,s:o,s:b,s:o,s:I,s:I,s:I,s:o,s:o}", "id",
	    (json_int_t)c->id, "channel", "id", (json_int_t)c->channel_id, "kind",
	    channel_kind_name(c->kind), "contact", "id", (json_int_t)c->contact_id, "name",
	    c->contact_name, "status", conversation_status_name(c->status), "team_id",
	    json_or_null(c->team_id), "assignee_id", json_or_null(c->assignee_id), "window_open",
	    conversation_window_is_open(c, now), "last_customer_at",
	    json_or_null(c->last_customer_at), "last_activity_at", (json_int_t)c->last_activity_at,
	    "created_at", (json_int_t)c->created_at, "updated_at", (json_int_t)c->updated_at,
	    "due_at", json_or_null(c->due_at), "due", due_state(c, now));
}

static json_t *json_named(int64_t id, const char *name)
{
	return id > 0 ? json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", name) : json_null();
}

/* The media keys of a message's details, pulled out into their own object with the state of
 * its file (null: none). */
static json_t *take_media(const struct message *m, json_t *details)
{
	static const char *const keys[][2] = { { "media_ref", "ref" },
		                               { "media_mime", "mime_type" },
		                               { "file_name", "file_name" } };
	json_t *media = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(details, keys[i][0]);
		if (v != NULL) {
			json_object_set(media, keys[i][1], v);
			json_object_del(details, keys[i][0]);
		}
	}
	if (m->media_state[0] != '\0') {
		char url[64];
		bool is_ready = strcmp(m->media_state, "ready") == 0;
		snprintf(url, sizeof(url), "/api/v1/messages/%lld/media", (long long)m->id);
		json_object_set_new(media, "url", is_ready ? json_string(url) : json_null());
		json_object_set_new(media, "state", json_string(m->media_state));
		json_object_set_new(media, "error",
		                    m->media_error ? json_string(m->media_error) : json_null());
		json_object_set_new(media, "size",
		                    is_ready ? json_integer(m->file_size) : json_null());
		json_object_set_new(media, "sha256",
		                    is_ready ? json_string(m->file_sha256) : json_null());
		if (is_ready)
			json_object_set_new(media, "mime_type", json_string(m->file_mime));
	}
	if (json_object_size(media) > 0)
		return media;
	json_decref(media);
	return json_null();
}

/* Where a message stands in the outbox (null once out of it): queued, retrying after a failed
 * attempt, sending, or failed for good; with the failed attempts, the next one's time and the
 * last failure's reason. */
static json_t *delivery_json(const struct message *m)
{
	if (m->outbox_state[0] == '\0')
		return json_null();
	bool is_waiting = strcmp(m->outbox_state, "pending") == 0;
	const char *state = !is_waiting ? m->outbox_state : m->attempts > 0 ? "retrying" : "queued";
	return json_pack("{s:s,s:I,s:o,s:o}", "state", state, "attempts", (json_int_t)m->attempts,
	                 "next_attempt_at", json_or_null(is_waiting ? m->next_attempt_at : 0),
	                 "reason", m->last_error ? json_string(m->last_error) : json_null());
}

json_t *message_json(const struct message *m)
{
	json_t *details = m->details ? json_loads(m->details, 0, NULL) : NULL;
	if (details == NULL)
		details = json_object();
	json_t *media = take_media(m, details);
	bool is_failed = m->error_code != 0 || m->error_title != NULL;
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:I,s:o}", "id",
	                 (json_int_t)m->id, "conversation_id", (json_int_t)m->conversation_id,
	                 "direction", m->is_inbound ? "in" : "out", "sender", m->sender, "user",
	                 json_named(m->author_id, m->author_name), "type", m->type, "raw_type",
	                 m->raw_type ? json_string(m->raw_type) : json_null(), "text",
	                 m->text ? json_string(m->text) : json_null(), "media", media, "details",
	                 details, "status", m->status, "error",
	                 is_failed ? json_pack("{s:o,s:s}", "code", json_or_null(m->error_code),
	                                       "message", m->error_title ? m->error_title : "")
	                           : json_null(),
	                 "edited_at", json_or_null(m->edited_at), "created_at",
	                 (json_int_t)m->created_at, "delivery", delivery_json(m));
}

json_t *conversation_item_json(const struct actor *who, const struct conversation_item *it,
                               int64_t now)
{
	json_t *o = conversation_json(&it->c, now);
	char masked[VISIBILITY_MASKED_MAX];
	const char *phone = it->contact_phone;
	if (phone[0] && who->is_masked) {
		visibility_mask_phone(phone, masked);
		phone = masked;
	}
	json_object_set_new(json_object_get(o, "contact"), "phone",
	                    phone[0] ? json_string(phone) : json_null());
	json_object_set_new(o, "team", json_named(it->c.team_id, it->team_name));
	json_object_set_new(o, "assignee", json_named(it->c.assignee_id, it->assignee_name));
	json_object_set_new(o, "last_message",
	                    it->last_message_id == 0
	                        ? json_null()
	                        : json_pack("{s:I,s:s,s:s,s:o,s:s,s:I}", "id",
	                                    (json_int_t)it->last_message_id, "direction",
	                                    it->last_direction, "sender", it->last_sender, "author",
	                                    json_named(it->last_author_id, it->last_author_name),
	                                    "preview", it->last_preview ? it->last_preview : "",
	                                    "created_at", (json_int_t)it->last_message_at));
	json_object_set_new(o, "unread_count", json_integer(it->unread));
	json_object_set_new(o, "undelivered_count", json_integer(it->undelivered));
	return o;
}

int conversation_detail_json(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                             json_t **out, struct error *e)
{
	struct conversation_filter f = { .id = id, .limit = 1 };
	struct conversation_item *items = NULL;
	size_t n = 0;
	int64_t total;
	json_t *tags = NULL;
	int rc = conversation_list(tx, who, &f, &items, &n, &total, e);
	if (rc == 0 && n == 0)
		rc = error_set(e, ERR_NOT_FOUND, "no such conversation");
	if (rc == 0 && (tags = conversation_tags(tx, f.id, e)) == NULL)
		rc = e->code;
	json_t *csat = NULL;
	if (rc == 0 && (rc = csat_json(tx, f.id, &csat, e)) < 0)
		json_decref(tags);
	if (rc == 0) {
		*out = conversation_item_json(who, &items[0], now);
		json_object_set_new(*out, "tags", tags);
		json_object_set_new(*out, "csat", csat);
	}
	conversation_items_free(items, n);
	return rc;
}
