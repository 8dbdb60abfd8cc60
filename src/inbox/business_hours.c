/*
 * Business hours in the store: the account's document and the teams' own (hours/ reads and
 * checks them), whether a team is open, the out-of-hours message a customer gets, and the
 * scheduler's job that hands each queued conversation to its team's method when it opens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "inbox/internal.h"

/* The stored document of the account (team_id 0) or of one team, or NULL. */
static int stored(struct store_tx *tx, int64_t account_id, int64_t team_id, json_t **out)
{
	struct store_rows *r;
	*out = NULL;
	int rc = store_query(tx,
	                     "SELECT document FROM business_hours WHERE account_id = $1"
	                     " AND coalesce(team_id, 0) = $2",
	                     STORE_ARGS(SV_INT(account_id), SV_INT(team_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		*out = json_loads(store_text(r, 0), 0, NULL);
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int business_hours_of_team(struct store_tx *tx, int64_t account_id, int64_t team_id,
                           struct hours **out, struct error *e)
{
	json_t *doc = NULL;
	*out = NULL;
	int rc = team_id > 0 ? stored(tx, account_id, team_id, &doc) : 0;
	if (rc >= 0 && doc == NULL)
		rc = stored(tx, account_id, 0, &doc);
	if (rc < 0)
		return store_failed(e, rc);
	if (doc == NULL)
		return 0;
	struct error bad;
	*out = hours_new(doc, &bad);
	if (*out == NULL) /* saved checked; a zone gone from tzdata since */
		log_error("business hours of account %lld team %lld no longer validate: %s",
		          (long long)account_id, (long long)team_id, bad.message);
	json_decref(doc);
	return 0;
}

int business_hours_json(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t now,
                        json_t **out, struct error *e)
{
	json_t *own = NULL;
	struct hours *h = NULL;
	int rc = stored(tx, account_id, team_id, &own);
	if (rc < 0)
		return store_failed(e, rc);
	if ((rc = business_hours_of_team(tx, account_id, team_id, &h, e)) < 0) {
		json_decref(own);
		return rc;
	}
	int64_t opens = h != NULL ? hours_next_open(h, now) : now;
	*out =
	    json_pack("{s:o,s:b,s:b,s:o}", "business_hours", own ? own : json_null(), "inherited",
	              own == NULL && h != NULL, "open_now", h == NULL || hours_is_open(h, now),
	              "next_open_at", opens > 0 ? json_integer(opens) : json_null());
	hours_free(h);
	return 0;
}

/* A schedule changed: every queued conversation of the account looks again at once. */
static int queues_look_again(struct store_tx *tx, int64_t account_id, int64_t now)
{
	return store_exec(tx,
	                  "UPDATE conversations SET queued_until = $2"
	                  " WHERE account_id = $1 AND queued_until IS NOT NULL",
	                  STORE_ARGS(SV_INT(account_id), SV_INT(now)));
}

int business_hours_put(struct store_tx *tx, int64_t account_id, int64_t team_id, const json_t *doc,
                       int64_t now, struct error *e)
{
	if (team_id > 0 && json_object_get(doc, "welcome_when_closed") != NULL)
		return error_set(
		    e, ERR_UNPROCESSABLE,
		    "'welcome_when_closed' belongs to the account's hours: the welcome "
		    "goes out before a team is chosen");
	struct hours *h = hours_new(doc, e);
	if (h == NULL)
		return e->code;
	json_t *clean = hours_to_json(h);
	char *text = json_dumps(clean, JSON_COMPACT);
	hours_free(h);
	json_decref(clean);
	int rc = store_exec(tx,
	                    "DELETE FROM business_hours WHERE account_id = $1"
	                    " AND coalesce(team_id, 0) = $2",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(team_id)));
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "INSERT INTO business_hours (account_id, team_id, document, updated_at)"
		    " VALUES ($1, $2, $3, $4)",
		    STORE_ARGS(SV_INT(account_id), team_id > 0 ? SV_INT(team_id) : SV_NULL,
		               SV_TEXT(text), SV_INT(now)));
	if (rc >= 0)
		rc = queues_look_again(tx, account_id, now);
	free(text);
	return store_failed(e, rc < 0 ? rc : 0);
}

int business_hours_delete(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t now,
                          struct error *e)
{
	int rc = store_exec(tx,
	                    "DELETE FROM business_hours WHERE account_id = $1"
	                    " AND coalesce(team_id, 0) = $2",
	                    STORE_ARGS(SV_INT(account_id), SV_INT(team_id)));
	if (rc == 0)
		return error_set(e, ERR_NOT_FOUND, "no business hours of its own to remove");
	if (rc > 0)
		rc = queues_look_again(tx, account_id, now);
	return store_failed(e, rc < 0 ? rc : 0);
}

int business_hours_team_is_open(struct store_tx *tx, int64_t account_id, int64_t team_id,
                                int64_t now, int64_t *opens_at, struct error *e)
{
	struct hours *h;
	int rc = business_hours_of_team(tx, account_id, team_id, &h, e);
	if (rc < 0)
		return rc;
	bool is_open = h == NULL || hours_is_open(h, now);
	if (opens_at != NULL)
		*opens_at = is_open ? now : hours_next_open(h, now);
	hours_free(h);
	return is_open ? 1 : 0;
}

int business_hours_defer_welcome(struct store_tx *tx, int64_t account_id, int64_t now,
                                 struct error *e)
{
	struct hours *h;
	int rc = business_hours_of_team(tx, account_id, 0, &h, e);
	if (rc < 0)
		return rc;
	bool defers = h != NULL && !hours_welcome_when_closed(h) && !hours_is_open(h, now);
	hours_free(h);
	return defers ? 1 : 0;
}

char *business_hours_closed_message(struct store_tx *tx, int64_t account_id, int64_t team_id,
                                    int64_t now, const char *language)
{
	struct hours *h;
	struct error e;
	if (business_hours_of_team(tx, account_id, team_id, &h, &e) < 0 || h == NULL)
		return NULL;
	char *text = NULL;
	const char *used, *message = hours_message(h, language, &used);
	int64_t opens = hours_next_open(h, now);
	if (message != NULL && !hours_is_open(h, now)) {
		char opening[HOURS_OPENING_MAX] = "";
		if (opens > 0)
			hours_say_opening(h, now, opens, used, opening);
		struct buf b = BUF_INIT;
		for (const char *p = message; *p != '\0';) {
			const char *at = strstr(p, "{opens_at}");
			size_t len = at != NULL ? (size_t)(at - p) : strlen(p);
			buf_append(&b, p, len);
			if (at == NULL)
				break;
			buf_puts(&b, opening);
			p = at + strlen("{opens_at}");
		}
		text = buf_take(&b);
	}
	hours_free(h);
	return text;
}

int business_hours_next_due(struct store_tx *tx, int64_t *due, struct error *e)
{
	/* The condition lets both back ends read conversations_queued (partial): without it, every
	 * conversation is read, at each look of the scheduler. */
	int rc = store_get_int(tx,
	                       "SELECT coalesce(min(queued_until), 0) FROM conversations"
	                       " WHERE queued_until IS NOT NULL",
	                       STORE_NO_ARGS, due);
	return store_failed(e, rc);
}

#define DUE_BATCH 256

int business_hours_open_queues(struct store_tx *tx, int64_t now, struct error *e)
{
	int64_t ids[DUE_BATCH], teams[DUE_BATCH];
	int n = 0;
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT id, coalesce(team_id, 0) FROM conversations"
	                     " WHERE queued_until <= $1 ORDER BY queued_until, last_activity_at, id"
	                     " LIMIT 256",
	                     STORE_ARGS(SV_INT(now)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	while ((rc = store_next(r)) == 1 && n < DUE_BATCH) {
		ids[n] = store_int(r, 0);
		teams[n++] = store_int(r, 1);
	}
	store_rows_free(r);
	/* Each is the team's method's again; still closed (the hours changed), it is queued
	 * until the next opening. One taken meanwhile has nothing more to wait for. */
	for (int i = 0; i < n && rc >= 0; i++) {
		rc = store_exec(tx, "UPDATE conversations SET queued_until = NULL WHERE id = $1",
		                STORE_ARGS(SV_INT(ids[i])));
		int64_t waiting = 0;
		if (rc >= 0 && teams[i] > 0)
			rc = store_get_int(
			    tx,
			    "SELECT count(*) FROM conversations WHERE id = $1"
			    " AND assignee_id IS NULL AND status IN ('open', 'pending')",
			    STORE_ARGS(SV_INT(ids[i])), &waiting);
		if (rc >= 0 && waiting > 0)
			rc = team_assign(tx, teams[i], ids[i], now, NULL, e);
	}
	return rc < 0 ? store_failed(e, rc) : 0;
}
