/*
 * Response targets and reassignment when nobody answers, both counted in the team's business
 * time: a customer's message waiting for an answer sets the conversation's due time (first
 * response, or next) and, when the team asks, when its assignee loses it; an agent's answer
 * ends both. The scheduler's job reassigns at reassign_at; metrics count targets met and
 * missed per team and agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "inbox/internal.h"

/* What a conversation's targets depend on. */
struct waiting {
	int64_t account_id, team_id, assignee_id;
	int64_t due_at, reassign_at; /* 0: none */
	bool has_answer;             /* an agent ever answered */
	struct team team;
};

static int read_waiting(struct store_tx *tx, int64_t id, struct waiting *w, struct error *e)
{
	struct store_rows *r;
	memset(w, 0, sizeof(*w));
	int rc = store_query(tx,
	                     "SELECT account_id, coalesce(team_id, 0), coalesce(assignee_id, 0),"
	                     " coalesce(due_at, 0), coalesce(reassign_at, 0),"
	                     " EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = v.id"
	                     " AND m.sender = 'agent') FROM conversations v WHERE v.id = $1",
	                     STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1) {
		w->account_id = store_int(r, 0);
		w->team_id = store_int(r, 1);
		w->assignee_id = store_int(r, 2);
		w->due_at = store_int(r, 3);
		w->reassign_at = store_int(r, 4);
		w->has_answer = store_int(r, 5) != 0;
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0 || w->team_id == 0)
		return ERR_NOT_FOUND;
	struct actor admin = { .account_id = w->account_id, .role = ROLE_ADMIN };
	return team_get(tx, &admin, w->team_id, &w->team, e);
}

/* now plus minutes of the team's business time; 0 when it never opens again. */
static int business_after(struct store_tx *tx, const struct waiting *w, int64_t now, int minutes,
                          int64_t *at, struct error *e)
{
	struct hours *h;
	int rc = business_hours_of_team(tx, w->account_id, w->team_id, &h, e);
	if (rc < 0)
		return rc;
	*at = hours_add_business(h, now, (int64_t)minutes * 60 * 1000);
	hours_free(h);
	return 0;
}

int targets_customer_wrote(struct store_tx *tx, int64_t id, int64_t now, struct error *e)
{
	struct waiting w;
	int rc = read_waiting(tx, id, &w, e);
	if (rc == ERR_NOT_FOUND)
		return 0;
	int minutes = w.has_answer ? w.team.next_response_minutes : w.team.first_response_minutes;
	int64_t due = 0, reassign = 0;
	if (rc == 0 && w.due_at == 0 && minutes > 0)
		rc = business_after(tx, &w, now, minutes, &due, e);
	if (rc == 0 && due > 0)
		rc = store_failed(
		    e, store_exec(tx,
		                  "INSERT INTO response_targets (account_id,"
		                  " conversation_id, team_id, kind, started_at, due_at)"
		                  " VALUES ($1, $2, $3, $4, $5, $6)",
		                  STORE_ARGS(SV_INT(w.account_id), SV_INT(id), SV_INT(w.team_id),
		                             SV_TEXT(w.has_answer ? "next" : "first"), SV_INT(now),
		                             SV_INT(due))));
	if (rc == 0 && w.reassign_at == 0 && w.assignee_id > 0 && w.team.reassign_after_minutes > 0)
		rc = business_after(tx, &w, now, w.team.reassign_after_minutes, &reassign, e);
	if (rc == 0 && (due > 0 || reassign > 0))
		rc = store_failed(
		    e, store_exec(tx,
		                  "UPDATE conversations SET due_at = coalesce($2, due_at),"
		                  " reassign_at = coalesce($3, reassign_at) WHERE id = $1",
		                  STORE_ARGS(SV_INT(id), due > 0 ? SV_INT(due) : SV_NULL,
		                             reassign > 0 ? SV_INT(reassign) : SV_NULL)));
	return rc < 0 ? rc : 0;
}

/* Ends the conversation's pending target: answered by user_id (met or missed by the due time)
 * or, with user_id 0, by a resolve (dropped when not yet due, missed when past it). */
static int end_target(struct store_tx *tx, int64_t id, int64_t user_id, int64_t now)
{
	int rc = store_exec(tx,
	                    "UPDATE response_targets SET ended_at = $2,"
	                    " outcome = CASE WHEN $2 <= due_at THEN (CASE WHEN $3 = 0 THEN"
	                    " 'dropped' ELSE 'met' END) ELSE 'missed' END,"
	                    " user_id = coalesce((SELECT u.id FROM users u WHERE u.id = $3),"
	                    " (SELECT v.assignee_id FROM conversations v WHERE v.id = $1))"
	                    " WHERE conversation_id = $1 AND ended_at IS NULL",
	                    STORE_ARGS(SV_INT(id), SV_INT(now), SV_INT(user_id)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE conversations SET due_at = NULL, reassign_at = NULL"
		                " WHERE id = $1",
		                STORE_ARGS(SV_INT(id)));
	return rc < 0 ? rc : 0;
}

int targets_answered(struct store_tx *tx, int64_t id, int64_t user_id, int64_t now, struct error *e)
{
	return store_failed(e, end_target(tx, id, user_id, now));
}

int targets_resolved(struct store_tx *tx, int64_t id, int64_t now, struct error *e)
{
	return store_failed(e, end_target(tx, id, 0, now));
}

int targets_next_reassignment(struct store_tx *tx, int64_t *due, struct error *e)
{
	/* The condition lets both back ends read conversations_reassign (partial): without it,
	 * every conversation is read, at each look of the scheduler. */
	int rc = store_get_int(tx,
	                       "SELECT coalesce(min(reassign_at), 0) FROM conversations"
	                       " WHERE reassign_at IS NOT NULL",
	                       STORE_NO_ARGS, due);
	return store_failed(e, rc);
}

/* One conversation whose assignee stayed silent (or, is_offline, went offline): back to the
 * team, whose method picks someone else (the silent one only when nobody else can take it,
 * the offline one never); a timeline line and an event. */
static int reassign(struct store_tx *tx, int64_t id, int64_t now, bool is_offline, struct error *e)
{
	struct waiting w;
	int rc = read_waiting(tx, id, &w, e);
	if (rc == ERR_NOT_FOUND)
		return 0;
	int minutes = w.team.reassign_after_minutes;
	if (rc < 0 || w.assignee_id == 0 ||
	    (is_offline ? !w.team.does_reassign_offline : minutes == 0))
		return rc;
	char before[USER_NAME_MAX + 1] = "", after[USER_NAME_MAX + 1] = "";
	struct user u;
	if (user_get(tx, w.account_id, w.assignee_id, &u, e) == 0)
		snprintf(before, sizeof(before), "%s", u.name);
	struct events_place was = { w.team_id, w.assignee_id };
	int64_t assignee = 0;
	rc = store_failed(e, store_exec(tx,
	                                "UPDATE conversations SET assignee_id = NULL"
	                                " WHERE id = $1",
	                                STORE_ARGS(SV_INT(id))));
	if (rc == 0)
		rc = team_assign_other(tx, w.team_id, id, now, w.assignee_id, is_offline, &assignee,
		                       e);
	if (rc == 0 && assignee > 0 && user_get(tx, w.account_id, assignee, &u, e) == 0)
		snprintf(after, sizeof(after), "%s", u.name);
	char why[32], line[2 * USER_NAME_MAX + 96];
	if (is_offline)
		snprintf(why, sizeof(why), "went offline");
	else
		snprintf(why, sizeof(why), "did not answer in %d min", minutes);
	json_t *detail =
	    json_pack("{s:s,s:s,s:s}", "code", assignee > 0 ? "reassigned" : "requeued", "why",
	              is_offline ? "offline" : "silent", "from", before);
	if (!is_offline)
		json_object_set_new(detail, "minutes", json_integer(minutes));
	if (assignee > 0) {
		snprintf(line, sizeof(line), "%s %s: assigned to %s", before, why, after);
		json_object_set_new(detail, "to", json_string(after));
	} else {
		snprintf(line, sizeof(line), "%s %s: back in the queue", before, why);
	}
	/* The silence timer starts again for the new assignee while the customer still waits. */
	int64_t next = 0;
	if (rc == 0 && assignee > 0 && minutes > 0 && (!is_offline || w.reassign_at != 0))
		rc = business_after(tx, &w, now, minutes, &next, e);
	if (rc == 0)
		rc = store_failed(
		    e, store_exec(tx, "UPDATE conversations SET reassign_at = $2 WHERE id = $1",
		                  STORE_ARGS(SV_INT(id), next > 0 ? SV_INT(next) : SV_NULL)));
	if (rc == 0)
		rc = store_failed(e, conversation_line_add(tx, w.account_id, id, "reassignment", 0,
		                                           line, detail, now));
	else
		json_decref(detail);
	if (rc == 0)
		rc = store_failed(e, events_emit_conversation(tx, id, "reassignment", &was, now));
	return rc;
}

/* Each of ids (n of them, taken) reassigned as reassign says. */
static int reassign_each(struct store_tx *tx, int64_t *ids, size_t n, int64_t now, bool is_offline,
                         struct error *e)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if (!is_offline)
			rc =
			    store_failed(e, store_exec(tx,
			                               "UPDATE conversations SET reassign_at = NULL"
			                               " WHERE id = $1",
			                               STORE_ARGS(SV_INT(ids[i]))));
		if (rc == 0)
			rc = reassign(tx, ids[i], now, is_offline, e);
	}
	free(ids);
	return rc < 0 ? rc : 0;
}

int targets_assignee_offline(struct store_tx *tx, int64_t user_id, int64_t now, struct error *e)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = store_get_ints(tx,
	                        "SELECT v.id FROM conversations v JOIN teams t ON t.id = v.team_id"
	                        " WHERE v.assignee_id = $1 AND v.status IN ('open', 'pending')"
	                        " AND t.reassign_offline = 1 ORDER BY v.last_activity_at, v.id",
	                        STORE_ARGS(SV_INT(user_id)), &ids, &n);
	return rc < 0 ? store_failed(e, rc) : reassign_each(tx, ids, n, now, true, e);
}

int targets_reassign_due(struct store_tx *tx, int64_t now, struct error *e)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = store_get_ints(tx,
	                        "SELECT id FROM conversations WHERE reassign_at <= $1"
	                        " ORDER BY reassign_at, id LIMIT 256",
	                        STORE_ARGS(SV_INT(now)), &ids, &n);
	return rc < 0 ? store_failed(e, rc) : reassign_each(tx, ids, n, now, false, e);
}

/* Met and missed of one grouping (team or agent) as [{id, name, met, missed}]. */
static int count_by(struct store_tx *tx, const char *sql, int64_t account_id, int64_t from,
                    int64_t to, int64_t now, json_t **out)
{
	struct store_rows *r;
	int rc = store_query(
	    tx, sql, STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to), SV_INT(now)), &r);
	if (rc < 0)
		return rc;
	*out = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(
		    *out, json_pack("{s:I,s:s,s:I,s:I}", "id", (json_int_t)store_int(r, 0), "name",
		                    store_text(r, 1), "met", (json_int_t)store_int(r, 2), "missed",
		                    (json_int_t)store_int(r, 3)));
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* Of `response_targets x` falling due in [$2, $3): met, and missed (answered late, or still
 * waiting past its due time at $4). */
#define TARGET_COUNTS                                                                  \
	" sum(CASE WHEN x.outcome = 'met' THEN 1 ELSE 0 END),"                         \
	" sum(CASE WHEN x.outcome = 'missed' OR (x.outcome IS NULL AND x.due_at < $4)" \
	" THEN 1 ELSE 0 END)"
#define TARGET_RANGE " x.account_id = $1 AND x.due_at >= $2 AND x.due_at < $3"

int targets_metrics(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, int64_t now,
                    json_t **out, struct error *e)
{
	json_t *teams = NULL, *agents = NULL;
	int rc = count_by(tx,
	                  "SELECT t.id, t.name," TARGET_COUNTS " FROM response_targets x"
	                  " JOIN teams t ON t.id = x.team_id WHERE" TARGET_RANGE
	                  " GROUP BY t.id, t.name ORDER BY t.id",
	                  account_id, from, to, now, &teams);
	if (rc == 0)
		rc = count_by(tx,
		              "SELECT u.id, u.name," TARGET_COUNTS " FROM response_targets x"
		              " JOIN conversations v ON v.id = x.conversation_id"
		              " JOIN users u ON u.id = coalesce(x.user_id, v.assignee_id)"
		              " WHERE" TARGET_RANGE " GROUP BY u.id, u.name ORDER BY u.id",
		              account_id, from, to, now, &agents);
	if (rc < 0) {
		json_decref(teams);
		json_decref(agents);
		return store_failed(e, rc);
	}
	*out = json_pack("{s:o,s:o}", "teams", teams, "agents", agents);
	return 0;
}
