/*
 * Admin metrics: open conversations now (per team and per agent), and for a time range the
 * first-response and resolution times per team, the team being the one a conversation has
 * now (none: the general inbox), and the satisfaction ratings (csat.c). Percentiles are exact, by
 * nearest rank over every value.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/inbox.h"

/* Durations of one kind in one group. */
struct series {
	int64_t *v;
	size_t n, cap;
};

struct group {
	int64_t team_id; /* 0: the general inbox */
	json_t *name;
	int64_t conversations;
	struct series first_response, resolution;
};

static void series_add(struct series *s, int64_t v)
{
	s->v = xgrow(s->v, &s->cap, s->n, sizeof(*s->v));
	s->v[s->n++] = v;
}

static int compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The p-th percentile by nearest rank: the value at rank ceil(p/100 * n), 1-based. */
static json_t *percentile(const struct series *s, int p)
{
	if (s->n == 0)
		return json_null();
	size_t rank = (s->n * (size_t)p + 99) / 100;
	return json_integer(s->v[rank - 1]);
}

static json_t *series_json(struct series *s)
{
	if (s->n > 0)
		qsort(s->v, s->n, sizeof(*s->v), compare);
	return json_pack("{s:o,s:o,s:I}", "median", percentile(s, 50), "p90", percentile(s, 90),
	                 "count", (json_int_t)s->n);
}

/* Runs sql ($1 account) yielding (id, name, count) rows as [{id_key, "name", "count"}]. */
static int counts(struct store_tx *tx, const char *sql, int64_t account_id, const char *id_key,
                  json_t **out)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0)
		return rc;
	*out = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(
		    *out, json_pack("{s:I,s:s,s:I}", id_key, (json_int_t)store_int(r, 0), "name",
		                    store_text(r, 1), "count", (json_int_t)store_int(r, 2)));
	store_rows_free(r);
	return rc;
}

static int open_counts(struct store_tx *tx, int64_t account_id, json_t **out)
{
	json_t *teams = NULL, *agents = NULL;
	int64_t general = 0;
	int rc = store_get_int(tx,
	                       "SELECT count(*) FROM conversations WHERE account_id = $1"
	                       " AND team_id IS NULL AND status <> 'resolved'",
	                       STORE_ARGS(SV_INT(account_id)), &general);
	if (rc >= 0)
		rc = counts(tx,
		            "SELECT t.id, t.name, (SELECT count(*) FROM conversations v"
		            " WHERE v.team_id = t.id AND v.status <> 'resolved')"
		            " FROM teams t WHERE t.account_id = $1 ORDER BY t.name, t.id",
		            account_id, "team_id", &teams);
	if (rc >= 0)
		rc = counts(tx,
		            "SELECT u.id, u.name, (SELECT count(*) FROM conversations v"
		            " WHERE v.assignee_id = u.id AND v.status <> 'resolved')"
		            " FROM users u WHERE u.account_id = $1 AND u.is_active = 1"
		            " ORDER BY u.name, u.id",
		            account_id, "user_id", &agents);
	if (rc < 0) {
		json_decref(teams);
		json_decref(agents);
		return rc;
	}
	*out = json_pack("{s:I,s:o,s:o}", "general", (json_int_t)general, "teams", teams, "agents",
	                 agents);
	return 0;
}

/* The general inbox, then every team by name. */
static int read_groups(struct store_tx *tx, int64_t account_id, struct group **out, size_t *n)
{
	struct store_rows *r;
	int rc =
	    store_query(tx, "SELECT id, name FROM teams WHERE account_id = $1 ORDER BY name, id",
	                STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0)
		return rc;
	size_t cap = 0;
	*out = xgrow(*out, &cap, 0, sizeof(**out));
	(*out)[0] = (struct group){ .team_id = 0, .name = json_string("General") };
	*n = 1;
	while ((rc = store_next(r)) == 1) {
		*out = xgrow(*out, &cap, *n, sizeof(**out));
		(*out)[(*n)++] = (struct group){ .team_id = store_int(r, 0),
			                         .name = json_string(store_text(r, 1)) };
	}
	store_rows_free(r);
	return rc;
}

static struct group *group_of(struct group *g, size_t n, int64_t team_id)
{
	for (size_t i = 0; i < n; i++)
		if (g[i].team_id == team_id)
			return &g[i];
	return NULL;
}

/*
 * Per conversation created in [from, to): its team, its first customer message and the first
 * agent reply at or after it (NULL when none). Then per conversation resolved in [from, to):
 * its team and the time from creation to resolution.
 */
static int read_durations(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to,
                          struct group *g, size_t n)
{
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT x.team, x.first_in, (SELECT min(a.created_at) FROM messages a"
	    " WHERE a.conversation_id = x.id AND a.sender = 'agent' AND a.created_at >= x.first_in)"
	    " FROM (SELECT v.id, coalesce(v.team_id, 0) AS team, (SELECT min(m.created_at)"
	    " FROM messages m WHERE m.conversation_id = v.id AND m.sender = 'contact') AS first_in"
	    " FROM conversations v WHERE v.account_id = $1 AND v.created_at >= $2"
	    " AND v.created_at < $3) x",
	    STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to)), &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		struct group *grp = group_of(g, n, store_int(r, 0));
		if (grp == NULL)
			continue;
		grp->conversations++;
		if (!store_is_null(r, 1) && !store_is_null(r, 2))
			series_add(&grp->first_response, store_int(r, 2) - store_int(r, 1));
	}
	store_rows_free(r);
	if (rc < 0)
		return rc;
	rc = store_query(tx,
	                 "SELECT coalesce(team_id, 0), resolved_at - created_at FROM conversations"
	                 " WHERE account_id = $1 AND resolved_at >= $2 AND resolved_at < $3",
	                 STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to)), &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		struct group *grp = group_of(g, n, store_int(r, 0));
		if (grp != NULL)
			series_add(&grp->resolution, store_int(r, 1));
	}
	store_rows_free(r);
	return rc;
}

int metrics_get(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                struct error *e)
{
	struct group *g = NULL;
	size_t n = 0;
	json_t *open = NULL;
	int rc = open_counts(tx, account_id, &open);
	if (rc >= 0)
		rc = read_groups(tx, account_id, &g, &n);
	if (rc >= 0)
		rc = read_durations(tx, account_id, from, to, g, n);
	json_t *teams = json_array();
	for (size_t i = 0; i < n; i++) {
		if (rc >= 0)
			json_array_append_new(
			    teams,
			    json_pack("{s:o,s:O,s:I,s:o,s:o}", "team_id",
			              g[i].team_id > 0 ? json_integer(g[i].team_id) : json_null(),
			              "name", g[i].name, "conversations",
			              (json_int_t)g[i].conversations, "first_response_ms",
			              series_json(&g[i].first_response), "resolution_ms",
			              series_json(&g[i].resolution)));
		json_decref(g[i].name);
		free(g[i].first_response.v);
		free(g[i].resolution.v);
	}
	free(g);
	if (rc < 0) {
		json_decref(open);
		json_decref(teams);
		return store_failed(e, rc);
	}
	json_t *targets = NULL, *csat = NULL;
	if ((rc = targets_metrics(tx, account_id, from, to, to, &targets, e)) < 0 ||
	    (rc = csat_metrics(tx, account_id, from, to, &csat, e)) < 0) {
		json_decref(open);
		json_decref(teams);
		json_decref(targets);
		return rc;
	}
	*out =
	    json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "from", (json_int_t)from, "to", (json_int_t)to,
	              "open", open, "teams", teams, "response_targets", targets, "csat", csat);
	return 0;
}
