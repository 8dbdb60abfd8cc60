/* Users: /api/v1/users. Everyone signed in may list colleagues; only admins change them. */
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

static int list(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                struct error *e)
{
	(void)arg;
	struct user *users;
	size_t n;
	int rc = user_list(tx, req->who.account_id, &users, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, user_json(&users[i]));
	free(users);
	*answer = json_pack("{s:o}", "users", arr);
	return 0;
}

void api_users_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, list, NULL);
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	struct user u;
	int rc = user_get(tx, req->who.account_id, req->params[0], &u, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "user", user_json(&u));
	return rc;
}

void api_user_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

/* A create or an update: what it sets, and the password generated for a create (or ""). */
struct user_call {
	struct user_changes in;
	const char *generated;
};

static int create(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct user_call *c = arg;
	struct user u;
	int rc = user_create(tx, req->who.account_id, &c->in, clock_now_ms(), &u, e);
	if (rc < 0)
		return rc;
	*answer = json_pack("{s:o}", "user", user_json(&u));
	if (c->generated[0] != '\0')
		json_object_set_new(*answer, "password", json_string(c->generated));
	return 0;
}

static int update(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct user_call *c = arg;
	struct user u;
	int rc =
	    user_update(tx, req->who.account_id, req->params[0], &c->in, clock_now_ms(), &u, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "user", user_json(&u));
	return rc;
}

/* A create without a password gets a random one, answered once. */
void api_user_create(struct http_request *req, struct http_response *res)
{
	const char *email = NULL, *name = NULL, *role = NULL, *password = NULL;
	const struct json_field fields[] = {
		{ "email", JSON_FIELD_STRING, true, USER_EMAIL_MAX, &email, NULL },
		{ "name", JSON_FIELD_STRING, true, USER_NAME_MAX, &name, NULL },
		{ "role", JSON_FIELD_STRING, true, 16, &role, NULL },
		{ "password", JSON_FIELD_STRING, false, USER_PASSWORD_MAX, &password, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 4);
	if (body == NULL)
		return;
	char generated[TOKEN_TEXT_LEN] = "";
	if (password == NULL) {
		token_generate(generated);
		generated[16] = '\0';
		password = generated;
	}
	struct error e;
	char hash[AUTH_HASH_MAX];
	struct user_call c = { .in = { .email = email,
		                       .name = name,
		                       .role = role,
		                       .password_hash = hash,
		                       .is_active = 1 },
		               .generated = generated };
	if (auth_password_hash(password, hash, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_WRITE, 201, create, &c);
	json_decref(body);
}

void api_user_update(struct http_request *req, struct http_response *res)
{
	const char *email = NULL, *name = NULL, *role = NULL, *password = NULL;
	const char *availability = NULL;
	bool is_active = true, has_active = false;
	const struct json_field fields[] = {
		{ "email", JSON_FIELD_STRING, false, USER_EMAIL_MAX, &email, NULL },
		{ "name", JSON_FIELD_STRING, false, USER_NAME_MAX, &name, NULL },
		{ "role", JSON_FIELD_STRING, false, 16, &role, NULL },
		{ "availability", JSON_FIELD_STRING, false, 16, &availability, NULL },
		{ "password", JSON_FIELD_STRING, false, USER_PASSWORD_MAX, &password, NULL },
		{ "active", JSON_FIELD_BOOL, false, 0, &is_active, &has_active },
	};
	json_t *body = api_read_body(req, res, fields, 6);
	if (body == NULL)
		return;
	struct error e;
	char hash[AUTH_HASH_MAX];
	struct user_call c = { .in = { .email = email,
		                       .name = name,
		                       .role = role,
		                       .availability = availability,
		                       .password_hash = password != NULL ? hash : NULL,
		                       .is_active = has_active ? is_active : -1 },
		               .generated = "" };
	if (password != NULL && auth_password_hash(password, hash, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_WRITE, 200, update, &c);
	json_decref(body);
}
