/* Teams and members: /api/v1/teams. Agents see their own teams; admins see and change all. */
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

void api_teams_list(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct team *teams;
	size_t n;
	struct error e;
	int rc = team_list(tx, &req->who, &teams, &n, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *team = json_team(&teams[i]);
		json_object_set_new(team, "is_member", json_boolean(teams[i].is_member));
		json_array_append_new(list, team);
	}
	free(teams);
	http_reply_json(res, 200, json_pack("{s:o}", "teams", list));
}

/* Answers {"team": {…, "members": […]}} for a team the actor can see. */
static void reply_team(struct http_request *req, struct http_response *res, struct store_tx *tx,
                       int64_t id, int status)
{
	struct team t;
	struct user *members = NULL;
	size_t n = 0;
	struct error e;
	int rc = team_get(tx, &req->who, id, &t, &e);
	if (rc == 0)
		rc = team_members(tx, req->who.account_id, id, &members, &n, &e);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *team = json_team(&t);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_user(&members[i]));
	free(members);
	json_object_set_new(team, "members", list);
	http_reply_json(res, status, json_pack("{s:o}", "team", team));
}

void api_team_get(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	reply_team(req, res, tx, req->params[0], 200);
	store_rollback(tx);
}

/* Runs a team change (given arg) in a write transaction, then answers the team as it is. */
typedef int (*team_change)(struct http_request *req, struct store_tx *tx, const void *arg,
                           int64_t *id, struct error *e);

static void change_team(struct http_request *req, struct http_response *res, team_change change,
                        const void *arg, int status)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	int64_t id = req->params[0];
	int rc = change(req, tx, arg, &id, &e);
	if (api_finish(res, tx, rc, &e) < 0)
		return;
	tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	reply_team(req, res, tx, id, status);
	store_rollback(tx);
}

static int create(struct http_request *req, struct store_tx *tx, const void *name, int64_t *id,
                  struct error *e)
{
	struct team t;
	int rc = team_create(tx, req->who.account_id, name, clock_now_ms(), &t, e);
	if (rc == 0)
		*id = t.id;
	return rc;
}

static int update(struct http_request *req, struct store_tx *tx, const void *changes, int64_t *id,
                  struct error *e)
{
	struct team t;
	return team_update(tx, req->who.account_id, *id, changes, clock_now_ms(), &t, e);
}

static int add_member(struct http_request *req, struct store_tx *tx, const void *user_id,
                      int64_t *id, struct error *e)
{
	return team_member_add(tx, req->who.account_id, *id, *(const int64_t *)user_id,
	                       clock_now_ms(), e);
}

static int remove_member(struct http_request *req, struct store_tx *tx, const void *user_id,
                         int64_t *id, struct error *e)
{
	return team_member_remove(tx, req->who.account_id, *id, *(const int64_t *)user_id, e);
}

void api_team_create(struct http_request *req, struct http_response *res)
{
	const char *name = NULL;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, TEAM_NAME_MAX, &name, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	change_team(req, res, create, name, 201);
	json_decref(body);
}

void api_team_update(struct http_request *req, struct http_response *res)
{
	struct team_changes in = { .is_online_only = -1, .max_open = -1 };
	bool is_online_only = false, has_online_only = false, has_max = false;
	json_int_t max_open = 0;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, false, TEAM_NAME_MAX, &in.name, NULL },
		{ "assignment", JSON_FIELD_STRING, false, 16, &in.assignment, NULL },
		{ "online_only", JSON_FIELD_BOOL, false, 0, &is_online_only, &has_online_only },
		{ "max_open", JSON_FIELD_INT, false, 0, &max_open, &has_max },
	};
	json_t *body = api_read_body(req, res, fields, 4);
	if (body == NULL)
		return;
	if (has_online_only)
		in.is_online_only = is_online_only;
	if (has_max)
		in.max_open = (int)max_open;
	if (has_max && (max_open < 0 || max_open > 1000))
		http_reply_errorf(res, ERR_INVALID, "'max_open' must be from 0 (no cap) to 1000");
	else
		change_team(req, res, update, &in, 200);
	json_decref(body);
}

void api_team_delete(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	int rc = team_delete(tx, req->who.account_id, req->params[0], &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_empty(res);
}

void api_team_member_add(struct http_request *req, struct http_response *res)
{
	json_int_t user_id = 0;
	const struct json_field fields[] = {
		{ "user_id", JSON_FIELD_INT, true, 0, &user_id, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	int64_t uid = user_id;
	change_team(req, res, add_member, &uid, 201);
	json_decref(body);
}

void api_team_member_remove(struct http_request *req, struct http_response *res)
{
	change_team(req, res, remove_member, &req->params[1], 200);
}
