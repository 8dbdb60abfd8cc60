/* Teams and their members, with the visibility rule for teams: admins see all, agents theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/inbox.h"
#include "inbox/internal.h"

#define TEAM_SELECT                                                      \
	"SELECT t.id, t.account_id, t.name, t.created_at, t.updated_at," \
	" (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) FROM teams t"

/* Agents see only the teams they belong to; $2 is the actor's user id, $3 1 for admins. */
#define TEAM_VISIBLE                                                             \
	" t.account_id = $1 AND ($3 = 1 OR EXISTS (SELECT 1 FROM team_members v" \
	" WHERE v.team_id = t.id AND v.user_id = $2))"

static void read_team(struct store_rows *r, struct team *t)
{
	memset(t, 0, sizeof(*t));
	t->id = store_int(r, 0);
	t->account_id = store_int(r, 1);
	snprintf(t->name, sizeof(t->name), "%s", store_text(r, 2));
	t->created_at = store_int(r, 3);
	t->updated_at = store_int(r, 4);
	t->member_count = store_int(r, 5);
}

static int query_teams(struct store_tx *tx, const char *sql, const struct store_value *args,
                       int nargs, struct team **out, size_t *n, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	struct team *teams = NULL;
	size_t len = 0, cap = 0;
	while ((rc = store_next(r)) == 1) {
		teams = xgrow(teams, &cap, len, sizeof(*teams));
		read_team(r, &teams[len++]);
	}
	store_rows_free(r);
	if (rc < 0) {
		free(teams);
		return error_set(e, rc, "the store failed");
	}
	*out = teams;
	*n = len;
	return 0;
}

static int query_team(struct store_tx *tx, const char *sql, const struct store_value *args,
                      int nargs, struct team *out, struct error *e)
{
	struct team *teams;
	size_t n;
	int rc = query_teams(tx, sql, args, nargs, &teams, &n, e);
	if (rc < 0)
		return rc;
	if (n > 0)
		*out = teams[0];
	free(teams);
	return n > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no such team");
}

int team_get(struct store_tx *tx, const struct actor *who, int64_t id, struct team *out,
             struct error *e)
{
	return query_team(tx, TEAM_SELECT " WHERE" TEAM_VISIBLE " AND t.id = $4",
	                  STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                             SV_INT(who->role == ROLE_ADMIN), SV_INT(id)),
	                  out, e);
}

int team_list(struct store_tx *tx, const struct actor *who, struct team **out, size_t *n,
              struct error *e)
{
	return query_teams(tx, TEAM_SELECT " WHERE" TEAM_VISIBLE " ORDER BY t.name_key, t.id",
	                   STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                              SV_INT(who->role == ROLE_ADMIN)),
	                   out, n, e);
}

/* Checks a team name and computes its case-folded key; *key is freed by the caller. */
static int check_team_name(const char *name, char out[TEAM_NAME_MAX + 1], char **key,
                           struct error *e)
{
	int rc = inbox_check_name("name", name, TEAM_NAME_MAX, out, e);
	if (rc < 0)
		return rc;
	*key = inbox_fold(out);
	return *key != NULL ? 0 : error_set(e, ERR_INVALID, "'name' is not valid UTF-8");
}

int team_find_name(struct store_tx *tx, int64_t account_id, const char *name, struct team *out,
                   struct error *e)
{
	char clean[TEAM_NAME_MAX + 1];
	char *key;
	int rc = check_team_name(name, clean, &key, e);
	if (rc < 0)
		return rc;
	rc = query_team(tx, TEAM_SELECT " WHERE t.account_id = $1 AND t.name_key = $2",
	                STORE_ARGS(SV_INT(account_id), SV_TEXT(key)), out, e);
	free(key);
	return rc;
}

int team_create(struct store_tx *tx, int64_t account_id, const char *name, int64_t now,
                struct team *out, struct error *e)
{
	char clean[TEAM_NAME_MAX + 1];
	char *key;
	int rc = check_team_name(name, clean, &key, e);
	if (rc < 0)
		return rc;
	int64_t id;
	rc = store_get_int(
	    tx,
	    "INSERT INTO teams (account_id, name, name_key, created_at, updated_at)"
	    " VALUES ($1, $2, $3, $4, $4) RETURNING id",
	    STORE_ARGS(SV_INT(account_id), SV_TEXT(clean), SV_TEXT(key), SV_INT(now)), &id);
	free(key);
	if (rc == ERR_CONFLICT)
		return error_set(e, ERR_CONFLICT, "a team with that name already exists");
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	return team_get(tx, &admin, id, out, e);
}

int team_rename(struct store_tx *tx, int64_t account_id, int64_t id, const char *name, int64_t now,
                struct team *out, struct error *e)
{
	char clean[TEAM_NAME_MAX + 1];
	char *key;
	int rc = check_team_name(name, clean, &key, e);
	if (rc < 0)
		return rc;
	rc = store_exec(
	    tx,
	    "UPDATE teams SET name = $3, name_key = $4, updated_at = $5"
	    " WHERE account_id = $1 AND id = $2",
	    STORE_ARGS(SV_INT(account_id), SV_INT(id), SV_TEXT(clean), SV_TEXT(key), SV_INT(now)));
	free(key);
	if (rc == ERR_CONFLICT)
		return error_set(e, ERR_CONFLICT, "a team with that name already exists");
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	if (rc == 0)
		return error_set(e, ERR_NOT_FOUND, "no such team");
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	return team_get(tx, &admin, id, out, e);
}

int team_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	bool is_routed;
	int rc = routing_uses_team(tx, account_id, id, &is_routed, e);
	if (rc < 0)
		return rc;
	if (is_routed)
		return error_set(
		    e, ERR_CONFLICT,
		    "routing sends conversations to this team: change the routing first");
	/* Its conversations fall back to the general inbox (team_id ON DELETE SET NULL). */
	rc = store_exec(tx, "DELETE FROM teams WHERE account_id = $1 AND id = $2",
	                STORE_ARGS(SV_INT(account_id), SV_INT(id)));
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	return rc > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no such team");
}

int team_member_add(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t user_id,
                    int64_t now, struct error *e)
{
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	struct team t;
	struct user u;
	int rc = team_get(tx, &admin, team_id, &t, e);
	if (rc < 0)
		return rc;
	rc = user_get(tx, account_id, user_id, &u, e);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_UNPROCESSABLE, "no user with id %lld", (long long)user_id);
	if (rc < 0)
		return rc;
	if (!u.is_active)
		return error_set(e, ERR_UNPROCESSABLE, "the user is deactivated");
	rc = store_exec(
	    tx,
	    "INSERT INTO team_members (account_id, team_id, user_id, created_at)"
	    " VALUES ($1, $2, $3, $4)",
	    STORE_ARGS(SV_INT(account_id), SV_INT(team_id), SV_INT(user_id), SV_INT(now)));
	if (rc == ERR_CONFLICT)
		return error_set(e, ERR_CONFLICT, "the user is already a member of the team");
	return rc < 0 ? error_set(e, rc, "the store failed") : 0;
}

int team_member_remove(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t user_id,
                       struct error *e)
{
	int rc = store_exec(tx,
	                    "DELETE FROM team_members WHERE account_id = $1 AND team_id = $2"
	                    " AND user_id = $3",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(team_id), SV_INT(user_id)));
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	return rc > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "the user is not a member of the team");
}

int team_members(struct store_tx *tx, int64_t account_id, int64_t team_id, struct user **out,
                 size_t *n, struct error *e)
{
	return users_query(tx,
	                   "SELECT " USER_COLUMNS " FROM users u JOIN team_members m"
	                   " ON m.user_id = u.id WHERE m.account_id = $1 AND m.team_id = $2"
	                   " ORDER BY u.name, u.id",
	                   STORE_ARGS(SV_INT(account_id), SV_INT(team_id)), out, n, e);
}
