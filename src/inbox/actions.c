/*
 * What agents do to a conversation they may see: transfer, assign, resolve, reopen, snooze,
 * mark read, notes and tags. Each change is a line in the conversation's timeline naming who
 * made it; none sends anything to the customer.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events/events.h"
#include "inbox/internal.h"

#define EVENT_TEXT_MAX 512

/* The name `sql` selects for (id, account), or fallback when there is no such row. */
static int name_of(struct store_tx *tx, const char *sql, int64_t account_id, int64_t id,
                   const char *fallback, char *out, size_t size)
{
	struct store_rows *r;
	snprintf(out, size, "%s", fallback);
	int rc = store_query(tx, sql, STORE_ARGS(SV_INT(id), SV_INT(account_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		snprintf(out, size, "%s", store_text(r, 0));
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

static int team_name(struct store_tx *tx, int64_t account_id, int64_t id, char *out, size_t size)
{
	return name_of(tx, "SELECT name FROM teams WHERE id = $1 AND account_id = $2", account_id,
	               id, "the general inbox", out, size);
}

int conversation_line_add(struct store_tx *tx, int64_t account_id, int64_t conversation_id,
                          const char *kind, int64_t user_id, const char *text, json_t *detail,
                          int64_t now)
{
	char *d = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_decref(detail);
	int rc = store_exec(
	    tx,
	    "INSERT INTO conversation_events (account_id, conversation_id, kind, user_id,"
	    " text, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	    STORE_ARGS(SV_INT(account_id), SV_INT(conversation_id), SV_TEXT(kind),
	               user_id > 0 ? SV_INT(user_id) : SV_NULL, SV_TEXT(text), SV_TEXT_NULL(d),
	               SV_INT(now)));
	free(d);
	return rc;
}

/* Adds a line to c's timeline: the actor's name, then the formatted rest; detail (taken, may
 * be NULL) is its structure, to which the actor's name is added. c is the conversation as it
 * was before the change; action (NULL: the conversation did not change) names the change on
 * the event stream. */
__attribute__((format(printf, 8, 9))) static int
record(struct store_tx *tx, const struct actor *who, const struct conversation *c, int64_t now,
       const char *kind, const char *action, json_t *detail, const char *fmt, ...)
{
	char name[USER_NAME_MAX + 1], rest[EVENT_TEXT_MAX], line[sizeof(name) + sizeof(rest) + 1];
	int rc = name_of(tx, "SELECT name FROM users WHERE id = $1 AND account_id = $2",
	                 who->account_id, who->user_id, "someone", name, sizeof(name));
	if (rc < 0) {
		json_decref(detail);
		return rc;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s %s", name, rest);
	if (detail != NULL)
		json_object_set_new(detail, "actor", json_string(name));
	rc = conversation_line_add(tx, c->account_id, c->id, kind, who->user_id, line, detail, now);
	/* Whoever saw it before the change hears of it, even when it left their sight. */
	if (rc >= 0 && action != NULL)
		rc = events_emit_conversation(
		    tx, c->id, action, &(struct events_place){ c->team_id, c->assignee_id }, now);
	return rc < 0 ? rc : 0;
}

int conversation_record_line(struct store_tx *tx, const struct actor *who,
                             const struct conversation *c, int64_t now, const char *kind,
                             const char *text)
{
	return record(tx, who, c, now, kind, NULL, NULL, "%s", text);
}

/* Maps a store failure to the error the API answers. */

int conversation_transfer(struct store_tx *tx, const struct actor *who, int64_t id, int64_t team_id,
                          int64_t now, struct error *e)
{
	struct conversation c;
	int rc = conversation_take_over(tx, who, id, now, &c, e);
	if (rc < 0)
		return rc;
	int64_t found;
	rc = store_get_int(tx, "SELECT id FROM teams WHERE id = $1 AND account_id = $2",
	                   STORE_ARGS(SV_INT(team_id), SV_INT(who->account_id)), &found);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_UNPROCESSABLE, "there is no team %lld", (long long)team_id);
	char from[TEAM_NAME_MAX + 1], to[TEAM_NAME_MAX + 1];
	if (rc < 0 || (rc = team_name(tx, c.account_id, c.team_id, from, sizeof(from))) < 0 ||
	    (rc = team_name(tx, c.account_id, team_id, to, sizeof(to))) < 0)
		return store_failed(e, rc);
	rc = store_exec(tx,
	                "UPDATE conversations SET team_id = $2, assignee_id = NULL, updated_at = $3"
	                " WHERE id = $1",
	                STORE_ARGS(SV_INT(id), SV_INT(team_id), SV_INT(now)));
	if (rc >= 0)
		rc = record(tx, who, &c, now, "transfer", "transfer",
		            json_pack("{s:s,s:o,s:s}", "code", "transferred", "from",
		                      c.team_id != 0 ? json_string(from) : json_null(), "to", to),
		            "moved it from %s to %s", from, to);
	/* Soon after routing placed it: routing was wrong, which its numbers count (the line
	 * just written, as `moved` against the option) and the suggestions learn from. */
	int64_t routed_option = -1;
	if (rc >= 0)
		rc = routing_moved(tx, c.account_id, id, c.team_id, team_id, now, &routed_option);
	if (rc >= 0 && routed_option >= 0)
		rc =
		    store_exec(tx,
		               "UPDATE conversation_events SET outcome = 'moved', option_index = $2"
		               " WHERE id = (SELECT max(id) FROM conversation_events"
		               " WHERE conversation_id = $1)",
		               STORE_ARGS(SV_INT(id), SV_INT(routed_option)));
	if (rc < 0)
		return store_failed(e, rc);
	/* In its new team, the team's assignment method gives it to someone. */
	return team_assign(tx, team_id, id, now, NULL, e);
}

/* Why user u may not have conversation c, as an ERR_UNPROCESSABLE; 0 when they may. */
static int check_assignee(struct store_tx *tx, const struct conversation *c, const struct user *u,
                          struct error *e)
{
	if (!u->is_active)
		return error_set(e, ERR_UNPROCESSABLE, "%s is deactivated", u->name);
	if (c->team_id == 0)
		return 0;
	int64_t one;
	int rc = store_get_int(tx, "SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2",
	                       STORE_ARGS(SV_INT(c->team_id), SV_INT(u->id)), &one);
	if (rc == ERR_NOT_FOUND) {
		char team[TEAM_NAME_MAX + 1];
		if ((rc = team_name(tx, c->account_id, c->team_id, team, sizeof(team))) < 0)
			return store_failed(e, rc);
		return error_set(e, ERR_UNPROCESSABLE,
		                 "%s is not a member of %s, the conversation's team", u->name,
		                 team);
	}
	return store_failed(e, rc);
}

int conversation_assign(struct store_tx *tx, const struct actor *who, int64_t id, int64_t user_id,
                        int64_t now, struct error *e)
{
	struct conversation c;
	int rc = conversation_take_over(tx, who, id, now, &c, e);
	if (rc < 0)
		return rc;
	struct user u = { 0 };
	if (user_id != 0) {
		rc = user_get(tx, who->account_id, user_id, &u, e);
		if (rc == ERR_NOT_FOUND)
			return error_set(e, ERR_UNPROCESSABLE, "there is no user %lld",
			                 (long long)user_id);
		if (rc < 0 || (rc = check_assignee(tx, &c, &u, e)) < 0)
			return rc;
	}
	rc = store_exec(
	    tx, "UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1",
	    STORE_ARGS(SV_INT(id), user_id != 0 ? SV_INT(user_id) : SV_NULL, SV_INT(now)));
	if (rc >= 0)
		rc = user_id != 0
		         ? record(tx, who, &c, now, "assignment", "assignment",
		                  json_pack("{s:s,s:s}", "code", "assigned", "name", u.name),
		                  "assigned it to %s", u.name)
		         : record(tx, who, &c, now, "assignment", "assignment",
		                  json_pack("{s:s}", "code", "unassigned"), "unassigned it");
	return store_failed(e, rc);
}

/* Sets the status (and when it was resolved, until when it sleeps) and records why. */
static int set_status(struct store_tx *tx, const struct actor *who, const struct conversation *c,
                      enum conversation_status status, int64_t until, int64_t now, const char *line,
                      json_t *detail, struct error *e)
{
	int rc = store_exec(tx,
	                    "UPDATE conversations SET status = $2, updated_at = $3,"
	                    " resolved_at = CASE WHEN $2 = 'resolved' THEN $3 ELSE resolved_at END,"
	                    " snoozed_until = $4 WHERE id = $1",
	                    STORE_ARGS(SV_INT(c->id), SV_TEXT(conversation_status_name(status)),
	                               SV_INT(now), until != 0 ? SV_INT(until) : SV_NULL));
	if (rc < 0)
		json_decref(detail);
	if (rc == ERR_CONFLICT)
		return error_set(e, ERR_CONFLICT,
		                 "the contact has a newer conversation on this channel");
	if (rc < 0 || (rc = record(tx, who, c, now, "status", "status", detail, "%s", line)) < 0)
		return store_failed(e, rc);
	return 0;
}

int conversation_resolve(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                         struct error *e)
{
	struct conversation c;
	int rc = conversation_take_over(tx, who, id, now, &c, e);
	if (rc < 0)
		return rc;
	if (c.status == STATUS_RESOLVED)
		return error_set(e, ERR_CONFLICT, "the conversation is already resolved");
	rc = set_status(tx, who, &c, STATUS_RESOLVED, 0, now, "resolved it",
	                json_pack("{s:s}", "code", "resolved"), e);
	if (rc == 0)
		rc = targets_resolved(tx, id, now, e);
	if (rc == 0)
		rc = csat_ask(tx, &c, who->user_id, now, e);
	/* Its agent has a place free: the team's queue may move. */
	if (rc == 0 && c.team_id != 0)
		rc = team_fill_queue(tx, c.team_id, now, e);
	return rc;
}

int conversation_reopen(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                        struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	if (c.status != STATUS_RESOLVED && c.status != STATUS_SNOOZED)
		return error_set(e, ERR_CONFLICT,
		                 "only a resolved or snoozed conversation reopens");
	rc = store_failed(e, csat_drop(tx, id));
	return rc < 0 ? rc
	              : set_status(tx, who, &c, STATUS_OPEN, 0, now, "reopened it",
	                           json_pack("{s:s}", "code", "reopened"), e);
}

int conversation_snooze(struct store_tx *tx, const struct actor *who, int64_t id, int64_t until,
                        int64_t now, struct error *e)
{
	struct conversation c;
	int rc = conversation_take_over(tx, who, id, now, &c, e);
	if (rc < 0)
		return rc;
	if (until <= now)
		return error_set(e, ERR_UNPROCESSABLE, "'until' must be in the future");
	if (c.status == STATUS_RESOLVED)
		return error_set(e, ERR_CONFLICT, "the conversation is resolved: reopen it first");
	char line[64];
	time_t secs = (time_t)(until / 1000);
	struct tm tm;
	strftime(line, sizeof(line), "snoozed it until %Y-%m-%d %H:%M UTC", gmtime_r(&secs, &tm));
	return set_status(tx, who, &c, STATUS_SNOOZED, until, now, line,
	                  json_pack("{s:s,s:I}", "code", "snoozed", "until", (json_int_t)until), e);
}

int conversation_mark_read(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                           struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	rc = store_exec(tx,
	                "UPDATE conversations SET last_read_message_id = coalesce((SELECT max(id)"
	                " FROM messages WHERE conversation_id = $1), 0) WHERE id = $1",
	                STORE_ARGS(SV_INT(id)));
	/* Its unread count changed for everyone who sees it. */
	if (rc >= 0)
		rc = events_emit_conversation(tx, id, "read", NULL, now);
	return store_failed(e, rc);
}

int conversation_note_add(struct store_tx *tx, const struct actor *who, int64_t id,
                          const char *text, int64_t now, json_t **note, struct error *e)
{
	int64_t note_id = 0;
	if (text[strspn(text, " \t\r\n")] == '\0')
		return error_set(e, ERR_INVALID, "'text' must not be empty");
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	rc = store_get_int(tx,
	                   "INSERT INTO conversation_notes (account_id, conversation_id, author_id,"
	                   " text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	                   STORE_ARGS(SV_INT(c.account_id), SV_INT(id), SV_INT(who->user_id),
	                              SV_TEXT(text), SV_INT(now)),
	                   &note_id);
	if (rc < 0 ||
	    (rc = record(tx, who, &c, now, "note", NULL, json_pack("{s:s}", "code", "noted"),
	                 "added a note")) < 0 ||
	    (rc = events_emit(tx, id, "note.created", "note_id", note_id, now)) < 0)
		return store_failed(e, rc);
	*note = json_pack("{s:I,s:I,s:I,s:s,s:I}", "id", (json_int_t)note_id, "conversation_id",
	                  (json_int_t)id, "author_id", (json_int_t)who->user_id, "text", text,
	                  "created_at", (json_int_t)now);
	return 0;
}

bool inbox_is_tag_name(const char *name)
{
	size_t len = strlen(name);
	return len >= 1 && len <= TAG_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == len;
}

int conversation_tag(struct store_tx *tx, const struct actor *who, int64_t id, const char *name,
                     bool is_added, int64_t now, struct error *e)
{
	if (!inbox_is_tag_name(name))
		return error_set(e, ERR_INVALID,
		                 "a tag is 1 to %d of a-z, 0-9, '-' and '_' (lowercase)",
		                 TAG_NAME_MAX);
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	if (is_added)
		rc = store_exec(tx,
		                "INSERT INTO conversation_tags (conversation_id, name, created_at)"
		                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		                STORE_ARGS(SV_INT(id), SV_TEXT(name), SV_INT(now)));
	else
		rc = store_exec(
		    tx, "DELETE FROM conversation_tags WHERE conversation_id = $1 AND name = $2",
		    STORE_ARGS(SV_INT(id), SV_TEXT(name)));
	/* Only a change is worth a line in the timeline. */
	if (rc > 0)
		rc = is_added ? record(tx, who, &c, now, "tag", "tags",
		                       json_pack("{s:s,s:s}", "code", "tagged", "tag", name),
		                       "tagged it '%s'", name)
		              : record(tx, who, &c, now, "tag", "tags",
		                       json_pack("{s:s,s:s}", "code", "untagged", "tag", name),
		                       "removed the tag '%s'", name);
	return store_failed(e, rc);
}

json_t *conversation_tags(struct store_tx *tx, int64_t id, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT name FROM conversation_tags WHERE conversation_id = $1"
	                     " ORDER BY name",
	                     STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *tags = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(tags, json_string(store_text(r, 0)));
	store_rows_free(r);
	if (rc < 0) {
		json_decref(tags);
		store_failed(e, rc);
		return NULL;
	}
	return tags;
}

/* Rows of (id, kind, user_id, text, created_at, detail) of a conversation the actor may see, by
 * the query sql (its $1 is the conversation's id), as a JSON array; NULL on failure. A detail
 * is answered as `line` (null when there is none). */
static json_t *line_json(struct store_rows *r, int col)
{
	json_t *line = store_is_null(r, col) ? NULL : json_loads(store_text(r, col), 0, NULL);
	return line != NULL ? line : json_null();
}

static json_t *conversation_lines(struct store_tx *tx, const struct actor *who, int64_t id,
                                  const char *sql, struct error *e)
{
	struct conversation c;
	struct store_rows *r;
	if (conversation_get(tx, who, id, &c, e) < 0)
		return NULL;
	int rc = store_query(tx, sql, STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *events = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(
		    events,
		    json_pack("{s:I,s:s,s:o,s:s,s:I,s:o}", "id", (json_int_t)store_int(r, 0),
		              "kind", store_text(r, 1), "user_id",
		              store_is_null(r, 2) ? json_null() : json_integer(store_int(r, 2)),
		              "text", store_text(r, 3), "created_at", (json_int_t)store_int(r, 4),
		              "line", line_json(r, 5)));
	store_rows_free(r);
	if (rc < 0) {
		json_decref(events);
		store_failed(e, rc);
		return NULL;
	}
	return events;
}

json_t *conversation_events(struct store_tx *tx, const struct actor *who, int64_t id,
                            struct error *e)
{
	return conversation_lines(
	    tx, who, id,
	    "SELECT id, kind, user_id, text, created_at, detail FROM conversation_events"
	    " WHERE conversation_id = $1 ORDER BY id",
	    e);
}

json_t *conversation_notes(struct store_tx *tx, const struct actor *who, int64_t id,
                           struct error *e)
{
	return conversation_lines(tx, who, id,
	                          "SELECT id, 'note', author_id, text, created_at, NULL"
	                          " FROM conversation_notes WHERE conversation_id = $1 ORDER BY id",
	                          e);
}
