/*
 * Canned responses: an account's shortcuts (/horario) and the texts agents insert with them.
 * Placeholders ({contact_name}, {agent_name}, {team_name}) are stored as typed, and filled
 * (route_fill, as routing's messages are) when listed for a conversation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/internal.h"
#include "routing/routing.h"

#define CANNED_COLUMNS "id, shortcut, text, created_at, updated_at"

/* The shortcut without its optional leading '/', checked: 1..CANNED_SHORTCUT_MAX of
 * a-z 0-9 - _ (lowercase is required, as for tags, so what is typed is what is stored). */
static int check_shortcut(const char *in, const char **out, struct error *e)
{
	const char *s = in[0] == '/' ? in + 1 : in;
	size_t len = strlen(s);
	if (len < 1 || len > CANNED_SHORTCUT_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != len)
		return error_rule(e, ERR_INVALID, "shortcut_invalid", "shortcut", 0,
		                  "'shortcut' is 1 to %d of a-z, 0-9, '-' and '_' (lowercase),"
		                  " optionally after a '/'",
		                  CANNED_SHORTCUT_MAX);
	*out = s;
	return 0;
}

static int check_text(const char *text, struct error *e)
{
	if (text[strspn(text, " \t\r\n")] == '\0')
		return error_set(e, ERR_INVALID, "'text' must not be empty");
	if (strlen(text) > CANNED_TEXT_MAX)
		return error_set(e, ERR_INVALID, "'text' is longer than %d bytes", CANNED_TEXT_MAX);
	return 0;
}

/* A clash is the shortcut's; any other failure the store's. */
static int failed(struct error *e, int rc)
{
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "shortcut_taken", "shortcut", 0,
		                  "that shortcut is in use");
	return store_failed(e, rc);
}

static void read_canned(struct store_rows *r, void *item)
{
	struct canned_response *c = item;
	c->id = store_int(r, 0);
	snprintf(c->shortcut, sizeof(c->shortcut), "%s", store_text(r, 1));
	snprintf(c->text, sizeof(c->text), "%s", store_text(r, 2));
	c->created_at = store_int(r, 3);
	c->updated_at = store_int(r, 4);
}

int canned_list(struct store_tx *tx, int64_t account_id, const char *q,
                struct canned_response **out, size_t *n, struct error *e)
{
	const char *text = q != NULL ? q : "";
	const char *prefix = text[0] == '/' ? text + 1 : text;
	void *items;
	/* ascii_lower() folds A-Z only, which is the documented match. */
	int rc = store_collect(
	    tx,
	    "SELECT " CANNED_COLUMNS " FROM canned_responses"
	    " WHERE account_id = $1 AND ($2 = ''"
	    " OR substr(shortcut, 1, length($3)) = ascii_lower($3)"
	    " OR instr(ascii_lower(text), ascii_lower($2)) > 0)"
	    " ORDER BY shortcut LIMIT $4",
	    STORE_ARGS(SV_INT(account_id), SV_TEXT(text), SV_TEXT(prefix), SV_INT(CANNED_LIST_MAX)),
	    sizeof(struct canned_response), read_canned, &items, n);
	*out = items;
	return rc < 0 ? failed(e, rc) : 0;
}

int canned_get(struct store_tx *tx, int64_t account_id, int64_t id, struct canned_response *out,
               struct error *e)
{
	int rc = store_get_row(tx,
	                       "SELECT " CANNED_COLUMNS " FROM canned_responses"
	                       " WHERE id = $1 AND account_id = $2",
	                       STORE_ARGS(SV_INT(id), SV_INT(account_id)), read_canned, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such canned response");
	return rc < 0 ? failed(e, rc) : 0;
}

int canned_create(struct store_tx *tx, int64_t account_id, const char *shortcut, const char *text,
                  int64_t now, int64_t *id, struct error *e)
{
	const char *s;
	if (check_shortcut(shortcut, &s, e) < 0 || check_text(text, e) < 0)
		return e->code;
	int rc = store_get_int(
	    tx,
	    "INSERT INTO canned_responses (account_id, shortcut, text,"
	    " created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
	    STORE_ARGS(SV_INT(account_id), SV_TEXT(s), SV_TEXT(text), SV_INT(now)), id);
	return failed(e, rc);
}

int canned_update(struct store_tx *tx, int64_t account_id, int64_t id, const char *shortcut,
                  const char *text, int64_t now, struct error *e)
{
	const char *s = NULL;
	if ((shortcut != NULL && check_shortcut(shortcut, &s, e) < 0) ||
	    (text != NULL && check_text(text, e) < 0))
		return e->code;
	int rc = store_exec(tx,
	                    "UPDATE canned_responses SET shortcut = coalesce($3, shortcut),"
	                    " text = coalesce($4, text), updated_at = $5"
	                    " WHERE id = $1 AND account_id = $2",
	                    STORE_ARGS(SV_INT(id), SV_INT(account_id), SV_TEXT_NULL(s),
	                               SV_TEXT_NULL(text), SV_INT(now)));
	if (rc < 0)
		return failed(e, rc);
	return rc == 0 ? error_set(e, ERR_NOT_FOUND, "no such canned response") : 0;
}

int canned_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	int rc = store_exec(tx, "DELETE FROM canned_responses WHERE id = $1 AND account_id = $2",
	                    STORE_ARGS(SV_INT(id), SV_INT(account_id)));
	if (rc < 0)
		return failed(e, rc);
	return rc == 0 ? error_set(e, ERR_NOT_FOUND, "no such canned response") : 0;
}

json_t *canned_json(const struct canned_response *c)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I}", "id", (json_int_t)c->id, "shortcut", c->shortcut,
	                 "text", c->text, "created_at", (json_int_t)c->created_at, "updated_at",
	                 (json_int_t)c->updated_at);
}

static void read_values(struct store_rows *r, void *item)
{
	struct canned_values *v = item;
	snprintf(v->contact_name, sizeof(v->contact_name), "%s", store_text(r, 0));
	snprintf(v->agent_name, sizeof(v->agent_name), "%s", store_text(r, 1));
	snprintf(v->team_name, sizeof(v->team_name), "%s", store_text(r, 2));
}

int canned_values_get(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                      struct canned_values *out, struct error *e)
{
	int rc = store_get_row(tx,
	                       "SELECT " CONTACT_OWN_NAME
	                       ", u.name, coalesce(t.name, '') FROM conversations v"
	                       " JOIN contacts c ON c.id = v.contact_id"
	                       " JOIN contact_identities i ON i.id = v.identity_id"
	                       " JOIN users u ON u.id = $2 LEFT JOIN teams t ON t.id = v.team_id"
	                       " WHERE" CONVERSATION_VISIBLE " AND v.id = $4",
	                       STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                                  SV_INT(who->role), SV_INT(conversation_id)),
	                       read_values, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such conversation");
	return store_failed(e, rc);
}

char *canned_fill(const char *text, const struct canned_values *v)
{
	const struct route_value values[] = { { "{contact_name}", v->contact_name },
		                              { "{agent_name}", v->agent_name },
		                              { "{team_name}", v->team_name } };
	return route_fill(text, values, 3);
}
