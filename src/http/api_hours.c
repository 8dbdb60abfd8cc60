/*
 * Business hours: /api/v1/business-hours (the account's) and /api/v1/teams/:id/business-hours
 * (a team's own, else it uses the account's). Everyone signed in reads them; admins change
 * them.
 */
#include "core/clock.h"
#include "http/api.h"
#include "scheduler/scheduler.h"

struct hours_call {
	bool is_team;  /* the team of the route's :id, else the account */
	json_t *doc;   /* PUT */
	bool is_reset; /* DELETE */
};

/* The call's team (0: the account); ERR_NOT_FOUND for no such team. */
static int owner(struct http_request *req, struct store_tx *tx, const struct hours_call *c,
                 int64_t *team_id, struct error *e)
{
	*team_id = 0;
	if (!c->is_team)
		return 0;
	struct actor admin = { .account_id = req->who.account_id, .role = ROLE_ADMIN };
	struct team t;
	int rc = team_get(tx, &admin, req->params[0], &t, e);
	*team_id = rc == 0 ? t.id : 0;
	return rc;
}

static int call(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	const struct hours_call *c = arg;
	int64_t team_id, now = clock_now_ms();
	int64_t account_id = req->who.account_id;
	int rc = owner(req, tx, c, &team_id, e);
	if (rc == 0 && c->doc != NULL)
		rc = business_hours_put(tx, account_id, team_id, c->doc, now, e);
	if (rc == 0 && c->is_reset)
		rc = business_hours_delete(tx, account_id, team_id, now, e);
	return rc < 0 ? rc : business_hours_json(tx, account_id, team_id, now, answer, e);
}

static void get(struct http_request *req, struct http_response *res, bool is_team)
{
	struct hours_call c = { .is_team = is_team };
	api_run(req, res, STORE_READ, 200, call, &c);
}

static void put(struct http_request *req, struct http_response *res, bool is_team)
{
	struct hours_call c = { .is_team = is_team, .doc = http_body_json(req, res) };
	if (c.doc == NULL)
		return;
	if (api_run(req, res, STORE_WRITE, 200, call, &c) == 0)
		scheduler_wake(req->app->scheduler); /* queued conversations look again now */
	json_decref(c.doc);
}

static void reset(struct http_request *req, struct http_response *res, bool is_team)
{
	struct hours_call c = { .is_team = is_team, .is_reset = true };
	if (api_run(req, res, STORE_WRITE, 200, call, &c) == 0)
		scheduler_wake(req->app->scheduler);
}

void api_hours_get(struct http_request *req, struct http_response *res)
{
	get(req, res, false);
}

void api_hours_put(struct http_request *req, struct http_response *res)
{
	put(req, res, false);
}

void api_hours_delete(struct http_request *req, struct http_response *res)
{
	reset(req, res, false);
}

void api_team_hours_get(struct http_request *req, struct http_response *res)
{
	get(req, res, true);
}

void api_team_hours_put(struct http_request *req, struct http_response *res)
{
	put(req, res, true);
}

void api_team_hours_delete(struct http_request *req, struct http_response *res)
{
	reset(req, res, true);
}
