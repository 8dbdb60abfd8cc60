/* Teams and members: /api/v1/teams. Agents see their own teams; admins see and change all. */
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

static int list(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	(void)arg;
	struct team *teams;
	size_t n;
	int rc = team_list(tx, &req->who, &teams, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *team = team_json(&teams[i]);
		json_object_set_new(team, "is_member", json_boolean(teams[i].is_member));
		json_array_append_new(arr, team);
	}
	free(teams);
	*answer = json_pack("{s:o}", "teams", arr);
	return 0;
}

void api_teams_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, list, NULL);
}

/* {"team": {…, "members": […]}} for team id, which the actor can see. */
static int answer_team(struct http_request *req, struct store_tx *tx, int64_t id, json_t **answer,
                       struct error *e)
{
	struct team t;
	struct user *members = NULL;
	size_t n = 0;
	int rc = team_get(tx, &req->who, id, &t, e);
	if (rc == 0)
		rc = team_members(tx, req->who.account_id, id, &members, &n, e);
	if (rc < 0)
		return rc;
	json_t *team = team_json(&t);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, user_json(&members[i]));
	free(members);
	json_object_set_new(team, "members", arr);
	*answer = json_pack("{s:o}", "team", team);
	return 0;
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	return answer_team(req, tx, req->params[0], answer, e);
}

void api_team_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

static int create(struct http_request *req, struct store_tx *tx, void *name, json_t **answer,
                  struct error *e)
{
	struct team t;
	int rc = team_create(tx, req->who.account_id, name, clock_now_ms(), &t, e);
	return rc < 0 ? rc : answer_team(req, tx, t.id, answer, e);
}

static int update(struct http_request *req, struct store_tx *tx, void *changes, json_t **answer,
                  struct error *e)
{
	struct team t;
	int64_t id = req->params[0];
	int rc = team_update(tx, req->who.account_id, id, changes, clock_now_ms(), &t, e);
	return rc < 0 ? rc : answer_team(req, tx, id, answer, e);
}

static int add_member(struct http_request *req, struct store_tx *tx, void *user_id, json_t **answer,
                      struct error *e)
{
	int64_t id = req->params[0];
	int rc = team_member_add(tx, req->who.account_id, id, *(const int64_t *)user_id,
	                         clock_now_ms(), e);
	return rc < 0 ? rc : answer_team(req, tx, id, answer, e);
}

static int remove_member(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                         struct error *e)
{
	(void)arg;
	int64_t id = req->params[0];
	int rc = team_member_remove(tx, req->who.account_id, id, req->params[1], e);
	return rc < 0 ? rc : answer_team(req, tx, id, answer, e);
}

static int delete (struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                   struct error *e)
{
	(void)arg;
	(void)answer;
	return team_delete(tx, req->who.account_id, req->params[0], e);
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
	api_run(req, res, STORE_WRITE, 201, create, (void *)name);
	json_decref(body);
}

void api_team_update(struct http_request *req, struct http_response *res)
{
	struct team_changes in = { .is_online_only = -1,
		                   .max_open = -1,
		                   .does_reply_assign = -1,
		                   .does_reassign_offline = -1,
		                   .first_response_minutes = -1,
		                   .next_response_minutes = -1,
		                   .reassign_after_minutes = -1 };
	bool is_online_only = false, has_online_only = false, has_max = false;
	bool does_reply_assign = false, has_reply_assigns = false;
	bool does_reassign_offline = false, has_reassign_offline = false;
	json_int_t max_open = 0;
	const json_t *minutes[3] = { NULL, NULL, NULL }, *question = NULL;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, false, TEAM_NAME_MAX, &in.name, NULL },
		{ "assignment", JSON_FIELD_STRING, false, 16, &in.assignment, NULL },
		{ "online_only", JSON_FIELD_BOOL, false, 0, &is_online_only, &has_online_only },
		{ "max_open", JSON_FIELD_INT, false, 0, &max_open, &has_max },
		{ "reply_assigns", JSON_FIELD_BOOL, false, 0, &does_reply_assign,
		  &has_reply_assigns },
		{ "first_response_minutes", JSON_FIELD_VALUE, false, 0, &minutes[0], NULL },
		{ "next_response_minutes", JSON_FIELD_VALUE, false, 0, &minutes[1], NULL },
		{ "reassign_after_minutes", JSON_FIELD_VALUE, false, 0, &minutes[2], NULL },
		{ "reassign_when_offline", JSON_FIELD_BOOL, false, 0, &does_reassign_offline,
		  &has_reassign_offline },
		{ "csat_question", JSON_FIELD_VALUE, false, 0, &question, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 10);
	if (body == NULL)
		return;
	if (has_online_only)
		in.is_online_only = is_online_only;
	if (has_reply_assigns)
		in.does_reply_assign = does_reply_assign;
	if (has_reassign_offline)
		in.does_reassign_offline = does_reassign_offline;
	if (has_max)
		in.max_open = (int)max_open;
	int *out[3] = { &in.first_response_minutes, &in.next_response_minutes,
		        &in.reassign_after_minutes };
	bool is_bad_minutes = false;
	for (int i = 0; i < 3; i++) {
		json_int_t v = json_integer_value(minutes[i]);
		if (minutes[i] == NULL)
			continue;
		if (json_is_null(minutes[i]))
			*out[i] = 0;
		else if (json_is_integer(minutes[i]) && v >= 1 && v <= TEAM_MINUTES_MAX)
			*out[i] = (int)v;
		else
			is_bad_minutes = true;
	}
	if (question != NULL)
		in.csat_question = json_is_null(question) ? "" : json_string_value(question);
	if (question != NULL && in.csat_question == NULL)
		http_reply_errorf(res, ERR_INVALID,
		                  "'csat_question' must be a text, or null for none");
	else if (has_max && (max_open < 0 || max_open > 1000))
		http_reply_errorf(res, ERR_INVALID, "'max_open' must be from 0 (no cap) to 1000");
	else if (is_bad_minutes)
		http_reply_errorf(res, ERR_INVALID,
		                  "'first_response_minutes', 'next_response_minutes' and"
		                  " 'reassign_after_minutes' are 1 to %d minutes (30 days), or null"
		                  " for none",
		                  TEAM_MINUTES_MAX);
	else
		api_run(req, res, STORE_WRITE, 200, update, &in);
	json_decref(body);
}

void api_team_delete(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, delete, NULL);
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
	api_run(req, res, STORE_WRITE, 201, add_member, &uid);
	json_decref(body);
}

void api_team_member_remove(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, remove_member, NULL);
}
