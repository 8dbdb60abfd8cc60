/* Sessions, the current user and personal API tokens: /api/v1/session, /me, /tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "http/parse.h"

#define COOKIE_MAX_AGE (30 * 24 * 3600)

/* Whether the store answers and the key is the one the database recorded: 200 when both
 * hold, else 503 naming what failed (for a load balancer and for monitoring). */
void api_health(struct http_request *req, struct http_response *res)
{
	struct error e = { 0 };
	struct store_tx *tx = store_begin(req->app->store, STORE_READ);
	int64_t one = 0;
	int rc = tx ? store_get_int(tx, "SELECT 1", STORE_NO_ARGS, &one) : ERR_UNAVAILABLE;
	bool is_store_ok = rc == 0;
	if (!is_store_ok)
		error_set(&e, ERR_UNAVAILABLE, "the database is not answering");
	bool is_key_ok = is_store_ok && secret_key_check(tx, req->app->seal, &e) == 0;
	store_rollback(tx);
	json_t *body = json_pack("{s:s,s:s,s:s}", "status", is_key_ok ? "ok" : "unavailable",
	                         "store", is_store_ok ? "ok" : "failing", "secret_key",
	                         !is_store_ok ? "unknown"
	                         : is_key_ok  ? "ok"
	                                      : "mismatch");
	if (!is_key_ok)
		json_object_set_new(body, "error",
		                    json_pack("{s:s,s:s}", "code", err_code_name(ERR_UNAVAILABLE),
		                              "message", e.message));
	http_reply_json(res, is_key_ok ? 200 : 503, body);
}

static void set_cookie(struct http_request *req, struct http_response *res, const char *value,
                       int max_age)
{
	bool is_https = strncmp(req->app->config->public_url, "https://", 8) == 0;
	snprintf(res->set_cookie, sizeof(res->set_cookie),
	         SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s", value, max_age,
	         is_https ? "; Secure" : "");
}

/* The user behind req->who, answered with the CSRF token when the session is a cookie. */
static void reply_me(struct http_request *req, struct http_response *res, struct store_tx *tx,
                     int status, const char *csrf)
{
	struct user u;
	struct error e;
	if (user_get(tx, req->who.account_id, req->who.user_id, &u, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *body = json_pack("{s:o}", "user", user_json(&u));
	if (csrf != NULL)
		json_object_set_new(body, "csrf_token", json_string(csrf));
	http_reply_json(res, status, body);
}

void api_login(struct http_request *req, struct http_response *res)
{
	const char *email = NULL, *password = NULL;
	const struct json_field fields[] = {
		{ "email", JSON_FIELD_STRING, true, USER_EMAIL_MAX, &email, NULL },
		{ "password", JSON_FIELD_STRING, true, USER_PASSWORD_MAX, &password, NULL },
	};
	/* Login CSRF: a page elsewhere must not log the browser into another account. */
	if (!http_is_own_origin(http_header(req, "Origin"), http_header(req, "Host"),
	                        req->app->config->public_url)) {
		http_reply_errorf(res, ERR_FORBIDDEN, "log in from this server's own pages");
		return;
	}
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	struct error e;
	int retry_after = 0;
	int64_t now = clock_now_ms();
	const struct auth_source src = { req->address, req->app->config->login_address_failures };
	int rc =
	    auth_login(req->app->store, &src, email, password, now, &req->who, &retry_after, &e);
	json_decref(body);
	if (rc < 0) {
		res->retry_after = retry_after;
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	char token[TOKEN_TEXT_LEN], csrf[TOKEN_TEXT_LEN];
	struct user me;
	rc = auth_session_create(tx, &req->who, now, token, csrf, &e);
	/* Logging in is coming to work: online, so the team's conversations can reach them, and
	 * their presence starts again from the streams this login opens. */
	if (rc == 0)
		rc = user_get(tx, req->who.account_id, req->who.user_id, &me, &e);
	if (rc == 0)
		rc = store_failed(&e, user_presence_reset(tx, me.id));
	if (rc == 0 && me.availability != AVAILABILITY_ONLINE)
		rc = inbox_user_update(
		    tx, req->who.account_id, req->who.user_id,
		    &(struct user_changes){ .availability = "online", .is_active = -1 }, now, &me,
		    &e);
	if (api_finish(res, tx, rc, &e) < 0)
		return;
	tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	set_cookie(req, res, token, COOKIE_MAX_AGE);
	reply_me(req, res, tx, 200, csrf);
	store_rollback(tx);
}

void api_logout(struct http_request *req, struct http_response *res)
{
	struct error e = { 0 };
	int rc = 0;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	if (req->is_cookie_auth)
		rc = auth_session_delete(tx, req->session_token, &e);
	if (api_finish(res, tx, rc, &e) < 0)
		return;
	set_cookie(req, res, "", 0);
	http_reply_empty(res);
}

void api_me(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	reply_me(req, res, tx, 200, req->is_cookie_auth ? req->csrf : NULL);
	store_rollback(tx);
}

void api_me_update(struct http_request *req, struct http_response *res)
{
	const char *name = NULL, *availability = NULL, *password = NULL, *current = NULL;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, false, USER_NAME_MAX, &name, NULL },
		{ "availability", JSON_FIELD_STRING, false, 16, &availability, NULL },
		{ "password", JSON_FIELD_STRING, false, USER_PASSWORD_MAX, &password, NULL },
		{ "current_password", JSON_FIELD_STRING, false, USER_PASSWORD_MAX, &current, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 4);
	if (body == NULL)
		return;
	struct error e;
	char hash[AUTH_HASH_MAX];
	struct user_changes in = { .name = name, .availability = availability, .is_active = -1 };
	int rc = 0;
	if (password != NULL) {
		rc = current == NULL
		         ? error_set(&e, ERR_INVALID, "'current_password' is required to change it")
		         : auth_password_verify(req->app->store, req->who.user_id, current, &e);
		if (rc == 0)
			rc = auth_password_hash(password, hash, &e);
		in.password_hash = hash;
	}
	struct store_tx *tx = rc == 0 ? api_begin(req, res, STORE_WRITE) : NULL;
	if (rc < 0)
		http_reply_error(res, &e);
	if (tx == NULL)
		goto out;
	struct user u;
	rc = inbox_user_update(tx, req->who.account_id, req->who.user_id, &in, clock_now_ms(), &u,
	                       &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_json(res, 200, json_pack("{s:o}", "user", user_json(&u)));
out:
	json_decref(body);
}

void api_tokens_list(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct api_token *tokens;
	size_t n;
	struct error e;
	int rc = auth_token_list(tx, &req->who, &tokens, &n, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, api_token_json(&tokens[i]));
	free(tokens);
	http_reply_json(res, 200, json_pack("{s:o}", "tokens", list));
}

void api_token_create(struct http_request *req, struct http_response *res)
{
	const char *name = NULL;
	json_int_t expires_at = 0;
	bool is_revoked = true, has_expiry = false;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, TOKEN_NAME_MAX, &name, NULL },
		{ "expires_at", JSON_FIELD_INT, false, 0, &expires_at, &has_expiry },
		{ "revoke_on_password_change", JSON_FIELD_BOOL, false, 0, &is_revoked, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 3);
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		/* A given 0 is a time long past, not "never". */
		struct api_token t = { .created_at = clock_now_ms(),
			               .expires_at =
			                   has_expiry && expires_at == 0 ? -1 : expires_at,
			               .is_revoked_by_new_password = is_revoked };
		snprintf(t.name, sizeof(t.name), "%s", name);
		char token[API_TOKEN_LEN];
		struct error e;
		int rc = auth_token_create(tx, &req->who, &t, t.created_at, token, &t.id, &e);
		if (api_finish(res, tx, rc, &e) == 0) {
			json_t *out = api_token_json(&t);
			json_object_set_new(out, "token", json_string(token));
			http_reply_json(res, 201, out);
		}
	}
	json_decref(body);
}

void api_token_delete(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	int rc = auth_token_delete(tx, &req->who, req->params[0], &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_empty(res);
}
