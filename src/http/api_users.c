/* Users: /api/v1/users. Everyone signed in may list colleagues; only admins change them. */
#include <stdlib.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"

void api_users_list(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct user *users;
	size_t n;
	struct error e;
	int rc = user_list(tx, req->who.account_id, &users, &n, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_user(&users[i]));
	free(users);
	http_reply_json(res, 200, json_pack("{s:o}", "users", list));
}

void api_user_get(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct user u;
	struct error e;
	int rc = user_get(tx, req->who.account_id, req->params[0], &u, &e);
	store_rollback(tx);
	if (rc < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, json_pack("{s:o}", "user", json_user(&u)));
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
	struct store_tx *tx = NULL;
	if (auth_password_hash(password, hash, &e) < 0)
		http_reply_error(res, &e);
	else
		tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct user_changes in = { .email = email,
			                   .name = name,
			                   .role = role,
			                   .password_hash = hash,
			                   .is_active = 1 };
		struct user u;
		int rc = user_create(tx, req->who.account_id, &in, clock_now_ms(), &u, &e);
		if (api_finish(res, tx, rc, &e) == 0) {
			json_t *out = json_pack("{s:o}", "user", json_user(&u));
			if (generated[0] != '\0')
				json_object_set_new(out, "password", json_string(generated));
			http_reply_json(res, 201, out);
		}
	}
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
	struct user_changes in = { .email = email,
		                   .name = name,
		                   .role = role,
		                   .availability = availability,
		                   .is_active = has_active ? is_active : -1 };
	struct store_tx *tx = NULL;
	if (password != NULL && auth_password_hash(password, hash, &e) < 0) {
		http_reply_error(res, &e);
		goto out;
	}
	if (password != NULL)
		in.password_hash = hash;
	tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct user u;
		int rc = inbox_user_update(tx, req->who.account_id, req->params[0], &in,
		                           clock_now_ms(), &u, &e);
		if (api_finish(res, tx, rc, &e) == 0)
			http_reply_json(res, 200, json_pack("{s:o}", "user", json_user(&u)));
	}
out:
	json_decref(body);
}
