/*
 * Satisfaction (CSAT): a team's question, asked through the outbox when one of its
 * conversations is resolved (buttons where the channel's native form carries them), and the
 * customer's rating, 1 to CSAT_SCALE, taken from their next message: recorded against the
 * conversation, its team and who resolved it, while the conversation stays resolved. Any other
 * message drops the question and reopens the conversation as usual (ingest).
 */
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "inbox/internal.h"
#include "outbox/outbox.h"

#define CSAT_PAYLOAD "csat-" /* a button's id: "csat-4" */

int csat_check_question(const char *in, char out[CSAT_QUESTION_MAX + 1], struct error *e)
{
	if (in[strspn(in, " \t\r\n")] == '\0') {
		out[0] = '\0';
		return 0;
	}
	return text_check_name("csat_question", in, CSAT_QUESTION_MAX, out, e);
}

/* The buttons 1 to CSAT_SCALE as the outbox keeps them, when the channel carries them. */
static json_t *rating_menu(enum channel_kind kind, const char *question)
{
	json_t *menu = json_array();
	for (int i = 1; i <= CSAT_SCALE; i++) {
		char id[16], title[4];
		snprintf(id, sizeof(id), CSAT_PAYLOAD "%d", i);
		snprintf(title, sizeof(title), "%d", i);
		json_array_append_new(menu, json_pack("{s:s,s:s}", "id", id, "title", title));
	}
	if (channel_menu_fits(kind, question, menu))
		return json_pack("{s:o}", "menu", menu);
	json_decref(menu);
	return NULL;
}

static void read_question(struct store_rows *r, void *item)
{
	snprintf(item, CSAT_QUESTION_MAX + 1, "%s", store_text(r, 0));
}

int csat_ask(struct store_tx *tx, const struct conversation *c, int64_t user_id, int64_t now,
             struct error *e)
{
	char question[CSAT_QUESTION_MAX + 1];
	if (c->team_id == 0 || !conversation_window_is_open(c, now))
		return 0;
	int rc = store_get_row(tx,
	                       "SELECT csat_question FROM teams WHERE id = $1"
	                       " AND csat_question IS NOT NULL",
	                       STORE_ARGS(SV_INT(c->team_id)), read_question, question);
	if (rc == ERR_NOT_FOUND)
		return 0;
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE csat_surveys SET state = 'dropped'"
		                " WHERE conversation_id = $1 AND state = 'asked'",
		                STORE_ARGS(SV_INT(c->id)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "INSERT INTO csat_surveys (account_id, conversation_id, team_id,"
		                " user_id, state, asked_at) VALUES ($1, $2, $3, $4, 'asked', $5)",
		                STORE_ARGS(SV_INT(c->account_id), SV_INT(c->id), SV_INT(c->team_id),
		                           user_id > 0 ? SV_INT(user_id) : SV_NULL, SV_INT(now)));
	if (rc >= 0) {
		json_t *menu = rating_menu(c->kind, question);
		struct outbox_text t = { .account_id = c->account_id,
			                 .conversation_id = c->id,
			                 .channel_id = c->channel_id,
			                 .kind = c->kind,
			                 .sender = "routing",
			                 .text = question,
			                 .send = menu };
		rc = outbox_enqueue(tx, &t, now, NULL, NULL, NULL);
		json_decref(menu);
	}
	return store_failed(e, rc);
}

int csat_reply_rating(struct store_tx *tx, int64_t conversation_id, const char *text,
                      const char *payload, int *rating)
{
	*rating = 0;
	int64_t asked = 0;
	int rc = store_get_int(tx,
	                       "SELECT count(*) FROM csat_surveys WHERE conversation_id = $1"
	                       " AND state = 'asked'",
	                       STORE_ARGS(SV_INT(conversation_id)), &asked);
	if (rc < 0 || asked == 0)
		return rc < 0 ? rc : 0;
	size_t prefix = strlen(CSAT_PAYLOAD);
	if (payload != NULL) {
		if (strncmp(payload, CSAT_PAYLOAD, prefix) == 0 && payload[prefix] >= '1' &&
		    payload[prefix] <= '0' + CSAT_SCALE && payload[prefix + 1] == '\0')
			*rating = payload[prefix] - '0';
	} else if (text != NULL) {
		*rating = route_rating(text, CSAT_SCALE);
	}
	return 0;
}

int csat_answer(struct store_tx *tx, int64_t conversation_id, int rating, int64_t now)
{
	int rc = store_exec(tx,
	                    "UPDATE csat_surveys SET state = 'answered', rating = $2,"
	                    " answered_at = $3 WHERE conversation_id = $1 AND state = 'asked'",
	                    STORE_ARGS(SV_INT(conversation_id), SV_INT(rating), SV_INT(now)));
	return rc < 0 ? rc : events_emit_conversation(tx, conversation_id, "csat", NULL, now);
}

int csat_drop(struct store_tx *tx, int64_t conversation_id)
{
	int rc = store_exec(tx,
	                    "UPDATE csat_surveys SET state = 'dropped'"
	                    " WHERE conversation_id = $1 AND state = 'asked'",
	                    STORE_ARGS(SV_INT(conversation_id)));
	return rc < 0 ? rc : 0;
}

int csat_json(struct store_tx *tx, int64_t conversation_id, json_t **out, struct error *e)
{
	struct store_rows *r;
	*out = json_null();
	int rc = store_query(tx,
	                     "SELECT s.state, coalesce(s.rating, 0), coalesce(s.user_id, 0),"
	                     " coalesce(u.name, ''), s.asked_at, coalesce(s.answered_at, 0)"
	                     " FROM csat_surveys s LEFT JOIN users u ON u.id = s.user_id"
	                     " WHERE s.conversation_id = $1 ORDER BY s.id DESC LIMIT 1",
	                     STORE_ARGS(SV_INT(conversation_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1) {
		int64_t rating = store_int(r, 1), agent = store_int(r, 2),
		        answered = store_int(r, 5);
		json_decref(*out);
		*out = json_pack("{s:s,s:o,s:o,s:o,s:I,s:o}", "state", store_text(r, 0), "rating",
		                 rating > 0 ? json_integer(rating) : json_null(), "agent_id",
		                 agent > 0 ? json_integer(agent) : json_null(), "agent_name",
		                 agent > 0 ? json_string(store_text(r, 3)) : json_null(),
		                 "asked_at", (json_int_t)store_int(r, 4), "answered_at",
		                 answered > 0 ? json_integer(answered) : json_null());
	}
	store_rows_free(r);
	return store_failed(e, rc < 0 ? rc : 0);
}

/* Rows of (id, name, count, sum of ratings, ratings of 4 or more) as [{id_key, "name",
 * "count", "mean", "satisfied_share"}]; an id of 0 (a team or user gone) is null. */
static int rating_groups(struct store_tx *tx, const char *sql, int64_t account_id, int64_t from,
                         int64_t to, const char *id_key, json_t **out)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to)), &r);
	if (rc < 0)
		return rc;
	*out = json_array();
	while ((rc = store_next(r)) == 1) {
		int64_t id = store_int(r, 0), n = store_int(r, 2);
		json_array_append_new(
		    *out, json_pack("{s:o,s:o,s:I,s:f,s:f}", id_key,
		                    id > 0 ? json_integer(id) : json_null(), "name",
		                    id > 0 ? json_string(store_text(r, 1)) : json_null(), "count",
		                    (json_int_t)n, "mean", (double)store_int(r, 3) / (double)n,
		                    "satisfied_share", (double)store_int(r, 4) / (double)n));
	}
	store_rows_free(r);
	return rc;
}

/* The answered surveys of [$2, $3) by the column `by` of csat_surveys joined to `names`. */
#define RATINGS_BY(by, names)                                                          \
	"SELECT coalesce(s." by ", 0), coalesce(n.name, ''), count(*), sum(s.rating)," \
	" sum(CASE WHEN s.rating >= 4 THEN 1 ELSE 0 END) FROM csat_surveys s"          \
	" LEFT JOIN " names " n ON n.id = s." by " WHERE s.account_id = $1"            \
	" AND s.state = 'answered' AND s.answered_at >= $2 AND s.answered_at < $3"     \
	" GROUP BY coalesce(s." by ", 0), coalesce(n.name, '')"                        \
	" ORDER BY coalesce(n.name, ''), coalesce(s." by ", 0)"

int csat_metrics(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                 struct error *e)
{
	json_t *teams = NULL, *agents = NULL;
	int rc = rating_groups(tx, RATINGS_BY("team_id", "teams"), account_id, from, to, "team_id",
	                       &teams);
	if (rc >= 0)
		rc = rating_groups(tx, RATINGS_BY("user_id", "users"), account_id, from, to,
		                   "user_id", &agents);
	if (rc < 0) {
		json_decref(teams);
		json_decref(agents);
		return store_failed(e, rc);
	}
	*out = json_pack("{s:o,s:o}", "teams", teams, "agents", agents);
	return 0;
}
