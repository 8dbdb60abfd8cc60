/*
 * What routing learns from the team: the replies that fell back and those whose conversations
 * agents moved soon after routing placed them, remembered in the transaction that routed or
 * moved them, bounded, and turned into suggestions by routing/ (route_suggest). Admins see
 * them and dismiss them; adding one is an ordinary routing save. docs/ROUTING.md.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/internal.h"

/* Replies remembered per account and kind (fell back, moved), and for how long. */
#define REMEMBERED      300
#define REMEMBERED_DAYS 90
#define DAY_MS          (24 * 3600 * 1000LL)
/* A transfer this soon after routing placed a conversation says routing was wrong. */
#define MOVED_WITHIN_MS (30 * 60 * 1000LL)
/* A transfer out of the general inbox this soon after a fallback says where it belonged. */
#define FALLBACK_WITHIN_MS DAY_MS
/* Words an account may dismiss. */
#define DISMISSED_MAX 1000

/* One more sighting of a reply (team_id 0: it fell back; else its conversation was moved
 * there); a new one makes room by forgetting the account's least seen, then oldest, past
 * REMEMBERED, and whatever is older than REMEMBERED_DAYS. */
int routing_remember(struct store_tx *tx, int64_t account_id, const char *text, int64_t team_id,
                     int64_t now)
{
	int64_t seen = 0;
	int rc =
	    team_id == 0
	        ? store_get_int(tx,
	                        "INSERT INTO routing_replies (account_id, text, seen, last_seen)"
	                        " VALUES ($1, $2, 1, $3) ON CONFLICT (account_id, text)"
	                        " DO UPDATE SET seen = routing_replies.seen + 1,"
	                        " last_seen = $3 RETURNING seen",
	                        STORE_ARGS(SV_INT(account_id), SV_TEXT(text), SV_INT(now)), &seen)
	        : store_get_int(
	              tx,
	              "INSERT INTO routing_moves (account_id, text, team_id, seen, last_seen)"
	              " VALUES ($1, $2, $3, 1, $4) ON CONFLICT (account_id, text, team_id)"
	              " DO UPDATE SET seen = routing_moves.seen + 1, last_seen = $4"
	              " RETURNING seen",
	              STORE_ARGS(SV_INT(account_id), SV_TEXT(text), SV_INT(team_id), SV_INT(now)),
	              &seen);
	if (rc < 0 || seen != 1)
		return rc;
	const char *forget =
	    team_id == 0
	        ? "DELETE FROM routing_replies WHERE account_id = $1 AND (last_seen < $3"
	          " OR (id = (SELECT id FROM routing_replies WHERE account_id = $1 AND text <> $2"
	          " ORDER BY seen, last_seen, id LIMIT 1)"
	          " AND (SELECT count(*) FROM routing_replies WHERE account_id = $1) > $4))"
	        : "DELETE FROM routing_moves WHERE account_id = $1 AND (last_seen < $3"
	          " OR (id = (SELECT id FROM routing_moves WHERE account_id = $1 AND text <> $2"
	          " ORDER BY seen, last_seen, id LIMIT 1)"
	          " AND (SELECT count(*) FROM routing_moves WHERE account_id = $1) > $4))";
	return store_exec(tx, forget,
	                  STORE_ARGS(SV_INT(account_id), SV_TEXT(text),
	                             SV_INT(now - REMEMBERED_DAYS * DAY_MS), SV_INT(REMEMBERED)));
}

int routing_moved(struct store_tx *tx, int64_t account_id, int64_t id, int64_t from_team_id,
                  int64_t to_team_id, int64_t now, int64_t *option)
{
	struct store_rows *r;
	*option = -1;
	int rc = store_query(tx,
	                     "SELECT coalesce(routed_reply, ''), routed_at,"
	                     " coalesce(routed_team_id, 0), coalesce(routed_option, -1)"
	                     " FROM conversations WHERE id = $1 AND routed_at IS NOT NULL",
	                     STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) != 1) {
		store_rows_free(r);
		return rc;
	}
	char *reply = xstrdup(store_text(r, 0));
	int64_t at = store_int(r, 1), routed_team = store_int(r, 2),
	        routed_option = store_int(r, 3);
	store_rows_free(r);
	bool is_routed = routed_option >= 0;
	/* Routed somewhere and moved elsewhere soon after; or fallen back, and taken out of the
	 * general inbox to a team. */
	bool is_learnt = is_routed ? now - at <= MOVED_WITHIN_MS && routed_team != to_team_id
	                           : now - at <= FALLBACK_WITHIN_MS && from_team_id == 0;
	if (is_learnt && is_routed)
		*option = routed_option;
	if (is_learnt && reply[0] != '\0')
		rc = routing_remember(tx, account_id, reply, to_team_id, now);
	free(reply);
	/* Only the first transfer after routing says anything about it. */
	if (rc >= 0)
		rc = store_exec(tx, "UPDATE conversations SET routed_at = NULL WHERE id = $1",
		                STORE_ARGS(SV_INT(id)));
	return rc;
}

/* ---- Suggestions --------------------------------------------------------------------- */

/* The remembered replies of an account (team_id 0: fell back), seen in the last
 * REMEMBERED_DAYS; *texts owns their strings. */
static int read_replies(struct store_tx *tx, int64_t account_id, int64_t now,
                        struct route_reply_seen **out, size_t *n)
{
	struct store_rows *r;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc = store_query(
	    tx,
	    "SELECT text, 0, seen FROM routing_replies WHERE account_id = $1 AND last_seen >= $2"
	    " UNION ALL SELECT m.text, m.team_id, m.seen FROM routing_moves m"
	    " WHERE m.account_id = $1 AND m.last_seen >= $2 ORDER BY 3 DESC, 1, 2 LIMIT $3",
	    STORE_ARGS(SV_INT(account_id), SV_INT(now - REMEMBERED_DAYS * DAY_MS),
	               SV_INT(2 * REMEMBERED)),
	    &r);
	while (rc >= 0 && (rc = store_next(r)) == 1) {
		*out = xgrow(*out, &cap, *n, sizeof(**out));
		(*out)[(*n)++] = (struct route_reply_seen){ xstrdup(store_text(r, 0)),
			                                    store_int(r, 1), store_int(r, 2) };
	}
	if (rc >= 0)
		store_rows_free(r);
	return rc;
}

static int read_dismissed(struct store_tx *tx, int64_t account_id, char ***out, size_t *n)
{
	struct store_rows *r;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc = store_query(tx, "SELECT text FROM routing_dismissed WHERE account_id = $1",
	                     STORE_ARGS(SV_INT(account_id)), &r);
	while (rc >= 0 && (rc = store_next(r)) == 1) {
		*out = xgrow(*out, &cap, *n, sizeof(**out));
		(*out)[(*n)++] = xstrdup(store_text(r, 0));
	}
	if (rc >= 0)
		store_rows_free(r);
	return rc;
}

/* "fell back 4 times, moved to Soporte 3 times; already an answer of option 2". */
static json_t *why_of(const struct route_suggestion *s, const char *team)
{
	char text[256];
	size_t n = 0;
	if (s->fallbacks > 0)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "fell back %lld time%s",
		                      (long long)s->fallbacks, s->fallbacks == 1 ? "" : "s");
	if (s->moves > 0 && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%smoved to %s %lld time%s",
		                      n > 0 ? ", " : "", team, (long long)s->moves,
		                      s->moves == 1 ? "" : "s");
	if (s->conflict != ROUTE_CONFLICT_NONE && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "; %s option %d",
		         s->conflict == ROUTE_CONFLICT_DUPLICATE ? "already an answer of"
		                                                 : "would tie with",
		         s->conflict_option + 1);
	return json_string(text);
}

static json_t *suggestion_json(struct store_tx *tx, int64_t account_id,
                               const struct route_suggestion *s)
{
	struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	struct team t = { 0 };
	bool has_team = s->team_id != 0 && team_get(tx, &admin, s->team_id, &t, NULL) >= 0;
	json_t *conflict =
	    s->conflict == ROUTE_CONFLICT_NONE
	        ? json_null()
	        : json_pack("{s:s,s:i}", "kind",
	                    s->conflict == ROUTE_CONFLICT_DUPLICATE ? "duplicate" : "tie", "option",
	                    s->conflict_option);
	return json_pack("{s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "text", s->text, "count",
	                 (json_int_t)s->count, "fallbacks", (json_int_t)s->fallbacks, "moves",
	                 (json_int_t)s->moves, "team_id",
	                 has_team ? json_integer(s->team_id) : json_null(), "team",
	                 has_team ? json_string(t.name) : json_null(), "option",
	                 s->option >= 0 ? json_integer(s->option) : json_null(), "conflict",
	                 conflict, "why", why_of(s, has_team ? t.name : "another team"));
}

int routing_suggestions(struct store_tx *tx, int64_t account_id, int64_t now, json_t **out,
                        struct error *e)
{
	struct route_config *cfg = NULL;
	struct route_problems problems = { 0 };
	struct route_reply_seen *replies = NULL;
	char **dismissed = NULL;
	size_t nreplies = 0, ndismissed = 0;
	int rc = routing_load(tx, account_id, NULL, &cfg, &problems, e);
	route_problems_free(&problems);
	if (rc < 0)
		return rc;
	if ((rc = read_replies(tx, account_id, now, &replies, &nreplies)) >= 0)
		rc = read_dismissed(tx, account_id, &dismissed, &ndismissed);
	if (rc >= 0) {
		struct route_suggestion *s;
		size_t n = route_suggest(cfg, replies, nreplies, (const char *const *)dismissed,
		                         ndismissed, ROUTE_MAX_SUGGESTIONS, &s);
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, suggestion_json(tx, account_id, &s[i]));
		route_suggestions_free(s, n);
		*out = json_pack("{s:o}", "suggestions", list);
	}
	for (size_t i = 0; i < nreplies; i++)
		free((char *)replies[i].text);
	free(replies);
	for (size_t i = 0; i < ndismissed; i++)
		free(dismissed[i]);
	free(dismissed);
	route_config_free(cfg);
	return store_failed(e, rc);
}

int routing_dismiss(struct store_tx *tx, int64_t account_id, const char *text, int64_t now,
                    json_t **out, struct error *e)
{
	char *word = route_normalize(text, strlen(text));
	int64_t count = 0;
	int rc = 0;
	if (word[0] == '\0') {
		rc = error_set(e, ERR_INVALID, "'text' must hold a letter or a digit");
		goto out;
	}
	rc = store_get_int(tx, "SELECT count(*) FROM routing_dismissed WHERE account_id = $1",
	                   STORE_ARGS(SV_INT(account_id)), &count);
	if (rc >= 0 && count >= DISMISSED_MAX) {
		rc = error_set(e, ERR_UNPROCESSABLE, "at most %d words can be dismissed",
		               DISMISSED_MAX);
		goto out;
	}
	if (rc >= 0)
		rc = store_exec(tx,
		                "INSERT INTO routing_dismissed (account_id, text, created_at)"
		                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		                STORE_ARGS(SV_INT(account_id), SV_TEXT(word), SV_INT(now)));
	if (rc >= 0)
		*out = json_pack("{s:s}", "dismissed", word);
	rc = store_failed(e, rc);
out:
	free(word);
	return rc;
}
