/* Teams and their members, with the visibility rule for teams: admins see all, agents theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "events/events.h"
#include "inbox/inbox.h"
#include "inbox/internal.h"

#define TEAM_SELECT                                                                           \
	"SELECT t.id, t.account_id, t.name, t.created_at, t.updated_at,"                      \
	" (SELECT count(*) FROM team_members m WHERE m.team_id = t.id), t.assignment,"        \
	" t.online_only, t.max_open, t.reply_assigns, coalesce(t.first_response_minutes, 0)," \
	" coalesce(t.next_response_minutes, 0), coalesce(t.reassign_after_minutes, 0),"       \
	" t.reassign_offline, coalesce(t.csat_question, '') FROM teams t"

/* Agents see only the teams they belong to; $2 is the actor's user id, $3 1 for admins. */
#define TEAM_VISIBLE                                                             \
	" t.account_id = $1 AND ($3 = 1 OR EXISTS (SELECT 1 FROM team_members v" \
	" WHERE v.team_id = t.id AND v.user_id = $2))"

static const char *const assignment_names[] = { "manual", "round_robin", "balanced" };

const char *assignment_name(enum assignment a)
{
	return assignment_names[a];
}

static int parse_assignment(const char *s, enum assignment *out)
{
	for (int a = ASSIGN_MANUAL; a <= ASSIGN_BALANCED; a++) {
		if (strcmp(s, assignment_names[a]) == 0) {
			*out = (enum assignment)a;
			return 0;
		}
	}
	return -1;
}

static void read_team(struct store_rows *r, void *item)
{
	struct team *t = item;
	memset(t, 0, sizeof(*t));
	t->id = store_int(r, 0);
	t->account_id = store_int(r, 1);
	snprintf(t->name, sizeof(t->name), "%s", store_text(r, 2));
	t->created_at = store_int(r, 3);
	t->updated_at = store_int(r, 4);
	t->member_count = store_int(r, 5);
	parse_assignment(store_text(r, 6), &t->assignment);
	t->is_online_only = store_int(r, 7) != 0;
	t->max_open = (int)store_int(r, 8);
	t->does_reply_assign = store_int(r, 9) != 0;
	t->first_response_minutes = (int)store_int(r, 10);
	t->next_response_minutes = (int)store_int(r, 11);
	t->reassign_after_minutes = (int)store_int(r, 12);
	t->does_reassign_offline = store_int(r, 13) != 0;
	snprintf(t->csat_question, sizeof(t->csat_question), "%s", store_text(r, 14));
}

static int query_teams(struct store_tx *tx, const char *sql, const struct store_value *args,
                       int nargs, struct team **out, size_t *n, struct error *e)
{
	void *items;
	int rc = store_collect(tx, sql, args, nargs, sizeof(struct team), read_team, &items, n);
	*out = items;
	return store_failed(e, rc);
}

static int query_team(struct store_tx *tx, const char *sql, const struct store_value *args,
                      int nargs, struct team *out, struct error *e)
{
	int rc = store_get_row(tx, sql, args, nargs, read_team, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such team");
	return store_failed(e, rc);
}

int team_get(struct store_tx *tx, const struct actor *who, int64_t id, struct team *out,
             struct error *e)
{
	return query_team(tx, TEAM_SELECT " WHERE" TEAM_VISIBLE " AND t.id = $4",
	                  STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                             SV_INT(who->role), SV_INT(id)),
	                  out, e);
}

int team_list(struct store_tx *tx, const struct actor *who, struct team **out, size_t *n,
              struct error *e)
{
	int rc = query_teams(tx, TEAM_SELECT " WHERE t.account_id = $1 ORDER BY t.name_key, t.id",
	                     STORE_ARGS(SV_INT(who->account_id)), out, n, e);
	int64_t *mine = NULL;
	size_t nm = 0;
	if (rc == 0 &&
	    (rc = store_get_ints(tx, "SELECT team_id FROM team_members WHERE user_id = $1",
	                         STORE_ARGS(SV_INT(who->user_id)), &mine, &nm)) < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return store_failed(e, rc);
	}
	for (size_t i = 0; rc == 0 && i < *n; i++)
		for (size_t j = 0; j < nm && !(*out)[i].is_member; j++)
			(*out)[i].is_member = (*out)[i].id == mine[j];
	free(mine);
	return rc;
}

/* Checks a team name and computes its case-folded key; *key is freed by the caller. */
static int check_team_name(const char *name, char out[TEAM_NAME_MAX + 1], char **key,
                           struct error *e)
{
	int rc = text_check_name("name", name, TEAM_NAME_MAX, out, e);
	if (rc < 0)
		return rc;
	*key = text_fold(out);
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
		return error_rule(e, ERR_CONFLICT, "team_name_taken", "name", 0,
		                  "a team with that name already exists");
	if (rc < 0)
		return store_failed(e, rc);
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	return team_get(tx, &admin, id, out, e);
}

int team_update(struct store_tx *tx, int64_t account_id, int64_t id, const struct team_changes *in,
                int64_t now, struct team *out, struct error *e)
{
	char clean[TEAM_NAME_MAX + 1], question[CSAT_QUESTION_MAX + 1];
	char *key = NULL;
	enum assignment assignment;
	int rc =
	    in->csat_question != NULL ? csat_check_question(in->csat_question, question, e) : 0;
	if (rc == 0 && in->name != NULL)
		rc = check_team_name(in->name, clean, &key, e);
	if (rc < 0)
		return rc;
	if (in->assignment != NULL && parse_assignment(in->assignment, &assignment) < 0)
		rc = error_set(e, ERR_INVALID,
		               "'assignment' must be \"manual\", \"round_robin\" or \"balanced\"");
	else if (in->max_open != -1 && (in->max_open < 0 || in->max_open > 1000))
		rc = error_set(e, ERR_INVALID, "'max_open' must be from 0 (no cap) to 1000");
	const int *minutes[] = { &in->first_response_minutes, &in->next_response_minutes,
		                 &in->reassign_after_minutes };
	static const char *const minute_names[] = { "first_response_minutes",
		                                    "next_response_minutes",
		                                    "reassign_after_minutes" };
	for (int i = 0; i < 3 && rc == 0; i++)
		if (*minutes[i] < -1 || *minutes[i] > TEAM_MINUTES_MAX)
			rc = error_set(
			    e, ERR_INVALID,
			    "'%s' must be from 1 to %d minutes (30 days), or null for none",
			    minute_names[i], TEAM_MINUTES_MAX);
	if (rc == 0)
		rc = store_exec(
		    tx,
		    "UPDATE teams SET name = coalesce($3, name),"
		    " name_key = coalesce($4, name_key), assignment = coalesce($5, assignment),"
		    " online_only = coalesce($6, online_only), max_open = coalesce($7, max_open),"
		    " reply_assigns = coalesce($9, reply_assigns),"
		    " reassign_offline = coalesce($13, reassign_offline),"
		    " updated_at = $8,"
		    " first_response_minutes = CASE $10 WHEN -1 THEN first_response_minutes"
		    " WHEN 0 THEN NULL ELSE $10 END,"
		    " next_response_minutes = CASE $11 WHEN -1 THEN next_response_minutes"
		    " WHEN 0 THEN NULL ELSE $11 END,"
		    " reassign_after_minutes = CASE $12 WHEN -1 THEN reassign_after_minutes"
		    " WHEN 0 THEN NULL ELSE $12 END,"
		    " csat_question = CASE $14 WHEN 1 THEN nullif($15, '') ELSE csat_question END"
		    " WHERE account_id = $1 AND id = $2",
		    STORE_ARGS(
		        SV_INT(account_id), SV_INT(id), SV_TEXT_NULL(in->name ? clean : NULL),
		        SV_TEXT_NULL(key), SV_TEXT_NULL(in->assignment),
		        in->is_online_only >= 0 ? SV_INT(in->is_online_only != 0) : SV_NULL,
		        in->max_open >= 0 ? SV_INT(in->max_open) : SV_NULL, SV_INT(now),
		        in->does_reply_assign >= 0 ? SV_INT(in->does_reply_assign != 0) : SV_NULL,
		        SV_INT(in->first_response_minutes), SV_INT(in->next_response_minutes),
		        SV_INT(in->reassign_after_minutes),
		        in->does_reassign_offline >= 0 ? SV_INT(in->does_reassign_offline != 0)
		                                       : SV_NULL,
		        SV_INT(in->csat_question != NULL),
		        SV_TEXT(in->csat_question != NULL ? question : "")));
	free(key);
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "team_name_taken", "name", 0,
		                  "a team with that name already exists");
	if (rc == ERR_INVALID)
		return rc;
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0)
		return error_set(e, ERR_NOT_FOUND, "no such team");
	/* A new method or a higher cap may let waiting conversations go to someone now. */
	rc = team_fill_queue(tx, id, now, e);
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	return rc < 0 ? rc : team_get(tx, &admin, id, out, e);
}

int team_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	/* Its conversations fall back to the general inbox (team_id ON DELETE SET NULL); the
	 * teams the saved routing sends to are kept (routing_teams, ON DELETE RESTRICT). */
	int rc = store_exec(tx, "DELETE FROM teams WHERE account_id = $1 AND id = $2",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(id)));
	if (rc == ERR_CONFLICT)
		return error_rule(
		    e, ERR_CONFLICT, "team_in_routing", NULL, 0,
		    "routing sends conversations to this team: change the routing first");
	if (rc < 0)
		return store_failed(e, rc);
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
	if (rc < 0)
		return store_failed(e, rc);
	/* The new member may take what waits in the team's queue. */
	return team_fill_queue(tx, team_id, now, e);
}

int team_member_remove(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t user_id,
                       struct error *e)
{
	int rc = store_exec(tx,
	                    "DELETE FROM team_members WHERE account_id = $1 AND team_id = $2"
	                    " AND user_id = $3",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(team_id), SV_INT(user_id)));
	if (rc < 0)
		return store_failed(e, rc);
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

/* A member who could take a conversation, with how many they have open. */
struct candidate {
	int64_t user_id;
	int64_t open;
	char name[USER_NAME_MAX + 1];
};

#define MAX_CANDIDATES 256

/* The team's active members (online ones only when it says so) below its cap, by user id. */
static int read_candidates(struct store_tx *tx, const struct team *t, struct candidate *out, int *n)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT u.id, u.name, (SELECT count(*) FROM conversations c"
	                     " WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending'))"
	                     " FROM team_members m JOIN users u ON u.id = m.user_id"
	                     " WHERE m.team_id = $1 AND u.is_active = 1"
	                     " AND ($2 = 0 OR u.availability = 'online') ORDER BY u.id",
	                     STORE_ARGS(SV_INT(t->id), SV_INT(t->is_online_only)), &r);
	if (rc < 0)
		return rc;
	*n = 0;
	while ((rc = store_next(r)) == 1 && *n < MAX_CANDIDATES) {
		struct candidate c = { .user_id = store_int(r, 0), .open = store_int(r, 2) };
		snprintf(c.name, sizeof(c.name), "%s", store_text(r, 1));
		if (t->max_open == 0 || c.open < t->max_open)
			out[(*n)++] = c;
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* Round robin: the first after the last one given a conversation; balanced: the least busy. */
static const struct candidate *choose(const struct team *t, int64_t last, const struct candidate *c,
                                      int n)
{
	if (n == 0)
		return NULL;
	const struct candidate *best = &c[0];
	for (int i = 0; i < n; i++) {
		if (t->assignment == ASSIGN_ROUND_ROBIN && c[i].user_id > last)
			return &c[i];
		if (t->assignment == ASSIGN_BALANCED && c[i].open < best->open)
			best = &c[i];
	}
	return best;
}

/* The team by id alone (routing knows no actor), and who round robin gave the last one to. */
static int team_of(struct store_tx *tx, int64_t team_id, struct team *t, int64_t *last)
{
	struct store_rows *r;
	int rc = store_query(tx, TEAM_SELECT " WHERE t.id = $1", STORE_ARGS(SV_INT(team_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		read_team(r, t);
	store_rows_free(r);
	if (rc < 1)
		return rc < 0 ? rc : ERR_NOT_FOUND;
	return store_get_int(tx,
	                     "SELECT coalesce(last_assigned_user_id, 0) FROM teams WHERE id = $1",
	                     STORE_ARGS(SV_INT(team_id)), last);
}

int team_assign(struct store_tx *tx, int64_t team_id, int64_t conversation_id, int64_t now,
                int64_t *assignee, struct error *e)
{
	return team_assign_other(tx, team_id, conversation_id, now, 0, false, assignee, e);
}

/* Leaves out the member `other` when someone else can take it, or always when is_never. */
static void leave_out(int64_t other, bool is_never, struct candidate *c, int *n)
{
	int kept = 0;
	for (int i = 0; i < *n; i++)
		if (c[i].user_id != other)
			c[kept++] = c[i];
	if (kept > 0 || is_never)
		*n = kept;
}

int team_assign_other(struct store_tx *tx, int64_t team_id, int64_t conversation_id, int64_t now,
                      int64_t other, bool is_never, int64_t *assignee, struct error *e)
{
	struct team t;
	int64_t last = 0;
	struct candidate *cands = NULL;
	int n = 0;
	if (assignee != NULL)
		*assignee = 0;
	int rc = team_of(tx, team_id, &t, &last);
	if (rc < 0 || t.assignment == ASSIGN_MANUAL)
		goto out;
	/* Out of hours it waits in the queue until the team opens (the scheduler's job). */
	int64_t opens_at = 0;
	rc = business_hours_team_is_open(tx, t.account_id, team_id, now, &opens_at, e);
	if (rc == 0) {
		rc = store_exec(
		    tx, "UPDATE conversations SET queued_until = $2 WHERE id = $1",
		    STORE_ARGS(SV_INT(conversation_id), opens_at > 0 ? SV_INT(opens_at) : SV_NULL));
		goto out;
	}
	if (rc < 0)
		goto out;
	cands = xcalloc(MAX_CANDIDATES, sizeof(*cands));
	rc = read_candidates(tx, &t, cands, &n);
	leave_out(other, is_never, cands, &n);
	const struct candidate *who = rc == 0 ? choose(&t, last, cands, n) : NULL;
	if (who == NULL)
		goto out;
	rc = store_exec(tx,
	                "UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1",
	                STORE_ARGS(SV_INT(conversation_id), SV_INT(who->user_id), SV_INT(now)));
	if (rc >= 0)
		rc = store_exec(tx, "UPDATE teams SET last_assigned_user_id = $2 WHERE id = $1",
		                STORE_ARGS(SV_INT(team_id), SV_INT(who->user_id)));
	if (rc >= 0)
		rc = events_emit_conversation(tx, conversation_id, "assignment", NULL, now);
	if (rc >= 0) {
		char line[USER_NAME_MAX + TEAM_NAME_MAX + 64];
		snprintf(line, sizeof(line), "%s: assigned to %s (%s)", t.name, who->name,
		         t.assignment == ASSIGN_ROUND_ROBIN ? "round robin" : "fewest open");
		const char *method =
		    t.assignment == ASSIGN_ROUND_ROBIN ? "round_robin" : "balanced";
		rc = conversation_line_add(tx, t.account_id, conversation_id, "assignment", 0, line,
		                           json_pack("{s:s,s:s,s:s,s:s}", "code", "auto_assigned",
		                                     "team", t.name, "name", who->name, "method",
		                                     method),
		                           now);
	}
	if (rc >= 0 && assignee != NULL)
		*assignee = who->user_id;
out:
	free(cands);
	return rc < 0 && rc != ERR_NOT_FOUND ? store_failed(e, rc) : 0;
}

int team_fill_queue(struct store_tx *tx, int64_t team_id, int64_t now, struct error *e)
{
	for (;;) {
		int64_t waiting = 0, assignee = 0;
		int rc = store_get_int(tx,
		                       "SELECT id FROM conversations WHERE team_id = $1"
		                       " AND assignee_id IS NULL AND status IN ('open', 'pending')"
		                       " ORDER BY last_activity_at, id LIMIT 1",
		                       STORE_ARGS(SV_INT(team_id)), &waiting);
		if (rc == ERR_NOT_FOUND)
			return 0;
		if (rc < 0)
			return store_failed(e, rc);
		rc = team_assign(tx, team_id, waiting, now, &assignee, e);
		if (rc < 0 || assignee == 0)
			return rc;
	}
}

int team_reassign_if_away(struct store_tx *tx, int64_t conversation_id, int64_t now,
                          struct error *e)
{
	int64_t team_id = 0, keeps = 0;
	int rc = store_get_int(tx,
	                       "SELECT coalesce(c.team_id, 0) FROM conversations c WHERE c.id = $1"
	                       " AND c.team_id IS NOT NULL",
	                       STORE_ARGS(SV_INT(conversation_id)), &team_id);
	if (rc == ERR_NOT_FOUND)
		return 0;
	if (rc == 0)
		rc = store_get_int(tx,
		                   "SELECT count(*) FROM conversations c JOIN users u"
		                   " ON u.id = c.assignee_id JOIN teams t ON t.id = c.team_id"
		                   " JOIN team_members m ON m.team_id = t.id AND m.user_id = u.id"
		                   " WHERE c.id = $1 AND u.is_active = 1"
		                   " AND (t.online_only = 0 OR u.availability = 'online')",
		                   STORE_ARGS(SV_INT(conversation_id)), &keeps);
	int64_t account_id = 0;
	if (rc >= 0 && keeps > 0)
		rc = store_get_int(tx, "SELECT account_id FROM conversations WHERE id = $1",
		                   STORE_ARGS(SV_INT(conversation_id)), &account_id);
	if (rc >= 0 && keeps > 0 &&
	    (rc = business_hours_team_is_open(tx, account_id, team_id, now, NULL, e)) == 0)
		keeps = 0; /* out of its team's hours, nobody is available */
	if (rc < 0)
		return store_failed(e, rc);
	if (keeps > 0)
		return 0;
	rc = store_exec(tx, "UPDATE conversations SET assignee_id = NULL WHERE id = $1",
	                STORE_ARGS(SV_INT(conversation_id)));
	return rc < 0 ? store_failed(e, rc)
	              : team_assign(tx, team_id, conversation_id, now, NULL, e);
}

/* The queues of every team the user is in. */
static int fill_queues_of(struct store_tx *tx, int64_t user_id, int64_t now, struct error *e)
{
	struct store_rows *r;
	int64_t ids[MAX_CANDIDATES];
	int n = 0;
	int rc = store_query(tx, "SELECT team_id FROM team_members WHERE user_id = $1",
	                     STORE_ARGS(SV_INT(user_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	while ((rc = store_next(r)) == 1 && n < MAX_CANDIDATES)
		ids[n++] = store_int(r, 0);
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	for (int i = 0; i < n && rc >= 0; i++)
		rc = team_fill_queue(tx, ids[i], now, e);
	return rc < 0 ? rc : 0;
}

int inbox_user_update(struct store_tx *tx, int64_t account_id, int64_t id,
                      const struct user_changes *in, int64_t now, struct user *out, struct error *e)
{
	int rc = user_update(tx, account_id, id, in, now, out, e);
	/* Coming online frees a place: the queues of the user's teams may move. Going offline
	 * hands their conversations back in the teams that ask for it. */
	if (rc == 0 && out->is_active && out->availability == AVAILABILITY_ONLINE)
		rc = fill_queues_of(tx, id, now, e);
	else if (rc == 0 && in->availability != NULL && out->availability == AVAILABILITY_OFFLINE)
		rc = targets_assignee_offline(tx, id, now, e);
	return rc;
}

json_t *team_json(const struct team *t)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:s,s:b,s:i,s:b,s:b,s:I,s:I,s:I}", "id", (json_int_t)t->id, "name", t->name,
	    "assignment", assignment_name(t->assignment), "online_only", t->is_online_only,
	    "max_open", t->max_open, "reply_assigns", t->does_reply_assign, "reassign_when_offline",
	    t->does_reassign_offline, "member_count", (json_int_t)t->member_count, "created_at",
	    (json_int_t)t->created_at, "updated_at", (json_int_t)t->updated_at);
	const int minutes[] = { t->first_response_minutes, t->next_response_minutes,
		                t->reassign_after_minutes };
	static const char *const names[] = { "first_response_minutes", "next_response_minutes",
		                             "reassign_after_minutes" };
	for (int i = 0; i < 3; i++)
		json_object_set_new(o, names[i],
		                    minutes[i] > 0 ? json_integer(minutes[i]) : json_null());
	json_object_set_new(o, "csat_question",
	                    t->csat_question[0] ? json_string(t->csat_question) : json_null());
	return o;
}
