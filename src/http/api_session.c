/* Sessions, the current user and personal API tokens: /api/v1/session, /me, /tokens. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "http/parse.h"

#define COOKIE_MAX_AGE (30 * 24 * 3600)

void api_health(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	int64_t one = 0;
	int rc = store_get_int(tx, "SELECT 1", STORE_NO_ARGS, &one);
	store_rollback(tx);
	if (rc < 0)
		http_reply_errorf(res, ERR_UNAVAILABLE, "the database is not answering");
	else
		http_reply_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

static void set_cookie(struct http_request *req, struct http_response *res, const char *value,
                       int max_age)
{
	bool is_https = strncmp(req->app->config->public_url, "https://", 8) == 0;
	snprintf(res->set_cookie, sizeof(res->set_cookie),
	         SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s", value, max_age,
	         is_https ? "; Secure" : "");
}

/* {"user": …} for req->who, with the CSRF token (csrf, when not NULL). */
static int answer_me(struct http_request *req, struct store_tx *tx, const char *csrf,
                     json_t **answer, struct error *e)
{
	struct user u;
	int rc = user_get(tx, req->who.account_id, req->who.user_id, &u, e);
	if (rc < 0)
		return rc;
	*answer = json_pack("{s:o}", "user", user_json(&u));
	if (csrf != NULL)
		json_object_set_new(*answer, "csrf_token", json_string(csrf));
	return 0;
}

/* A new session for req->who: its cookie token (to set) and its CSRF token. */
struct session {
	char token[TOKEN_TEXT_LEN];
	char csrf[TOKEN_TEXT_LEN];
};

static int login(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                 struct error *e)
{
	struct session *s = arg;
	int rc = auth_session_create(tx, &req->who, clock_now_ms(), s->token, s->csrf, e);
	return rc < 0 ? rc : answer_me(req, tx, s->csrf, answer, e);
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
	int rc = auth_login(req->app->store, email, password, now, &req->who, &retry_after, &e);
	json_decref(body);
	if (rc < 0) {
		res->retry_after = retry_after;
		http_reply_error(res, &e);
		return;
	}
	struct session session;
	if (api_run(req, res, STORE_WRITE, 200, login, &session) == 0)
		set_cookie(req, res, session.token, COOKIE_MAX_AGE);
	sodium_memzero(&session, sizeof(session));
}

static int logout(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	(void)arg;
	(void)answer;
	return req->is_cookie_auth ? auth_session_delete(tx, req->session_token, e) : 0;
}

void api_logout(struct http_request *req, struct http_response *res)
{
	if (api_run(req, res, STORE_WRITE, 200, logout, NULL) == 0)
		set_cookie(req, res, "", 0);
}

static int me(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
              struct error *e)
{
	(void)arg;
	return answer_me(req, tx, req->is_cookie_auth ? req->csrf : NULL, answer, e);
}

void api_me(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, me, NULL);
}

static int me_update(struct http_request *req, struct store_tx *tx, void *changes, json_t **answer,
                     struct error *e)
{
	struct user u;
	int64_t now = clock_now_ms();
	int rc = user_update(tx, req->who.account_id, req->who.user_id, changes, now, &u, e);
	/* Coming online frees a place: the queues of the user's teams may move. */
	if (rc == 0 && u.availability == AVAILABILITY_ONLINE)
		rc = team_fill_queues_of(tx, u.id, now, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "user", user_json(&u));
	return rc;
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
	if (rc < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_WRITE, 200, me_update, &in);
	json_decref(body);
}

static int tokens(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	(void)arg;
	struct api_token *items;
	size_t n;
	int rc = auth_token_list(tx, &req->who, &items, &n, e);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, api_token_json(&items[i]));
	free(items);
	*answer = json_pack("{s:o}", "tokens", arr);
	return 0;
}

void api_tokens_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, tokens, NULL);
}

/* The new token is answered once, and wiped from memory after. */
static int token_create(struct http_request *req, struct store_tx *tx, void *name, json_t **answer,
                        struct error *e)
{
	char token[API_TOKEN_LEN];
	int64_t id = 0;
	int rc = auth_token_create(tx, &req->who, name, clock_now_ms(), token, &id, e);
	if (rc == 0)
		*answer = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "name",
		                    (const char *)name, "token", token);
	sodium_memzero(token, sizeof(token));
	return rc;
}

static int token_delete(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                        struct error *e)
{
	(void)arg;
	(void)answer;
	return auth_token_delete(tx, &req->who, req->params[0], e);
}

void api_token_create(struct http_request *req, struct http_response *res)
{
	const char *name = NULL;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, TOKEN_NAME_MAX, &name, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, 201, token_create, (void *)name);
	json_decref(body);
}

void api_token_delete(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, token_delete, NULL);
}
