/*
 * The route table and what happens before a handler runs: path matching (":id" segments
 * are positive integers, a ":name" segment is copied as it is), authentication by bearer API token
 * or session cookie, the CSRF check for cookie-authenticated writes, and the role check for admin
 * routes. Handlers that check or hash a password run on the hashing pool, never on an HTTP
 * worker: argon2id takes a core and 64 MiB for a good part of a second.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/api.h"
#include "http/parse.h"

/* Who may call a route; HASHING is or-ed in for a handler that checks or hashes a password,
 * FILE_BODY for one whose body is a file (body_to_file). */
enum access { PUBLIC, USER, ADMIN, LEVEL = 3, HASHING = 4, FILE_BODY = 8 };

struct route {
	const char *method;
	const char *pattern;
	enum access access;
	http_handler handler;
};

static const struct route routes[] = {
	{ "GET", "/healthz", PUBLIC, api_health },
	{ "GET", "/metrics", PUBLIC, api_prometheus },
	{ "GET", "/webhooks/whatsapp", PUBLIC, api_webhook_verify },
	{ "POST", "/webhooks/whatsapp", PUBLIC, api_webhook_meta },
	{ "GET", "/webhooks/messenger", PUBLIC, api_webhook_verify },
	{ "POST", "/webhooks/messenger", PUBLIC, api_webhook_meta },
	{ "GET", "/webhooks/instagram", PUBLIC, api_webhook_verify },
	{ "POST", "/webhooks/instagram", PUBLIC, api_webhook_meta },
	{ "POST", "/webhooks/telegram/:id", PUBLIC, api_webhook_telegram },
	{ "POST", "/api/v1/session", PUBLIC | HASHING, api_login },
	{ "DELETE", "/api/v1/session", USER, api_logout },
	{ "GET", "/api/v1/me", USER, api_me },
	{ "PATCH", "/api/v1/me", USER | HASHING, api_me_update },
	{ "GET", "/api/v1/tokens", USER, api_tokens_list },
	{ "POST", "/api/v1/tokens", USER, api_token_create },
	{ "DELETE", "/api/v1/tokens/:id", USER, api_token_delete },
	{ "GET", "/api/v1/account", USER, api_account_get },
	{ "PATCH", "/api/v1/account", ADMIN, api_account_update },
	{ "GET", "/api/v1/business-hours", USER, api_hours_get },
	{ "PUT", "/api/v1/business-hours", ADMIN, api_hours_put },
	{ "DELETE", "/api/v1/business-hours", ADMIN, api_hours_delete },
	{ "GET", "/api/v1/teams/:id/business-hours", USER, api_team_hours_get },
	{ "PUT", "/api/v1/teams/:id/business-hours", ADMIN, api_team_hours_put },
	{ "DELETE", "/api/v1/teams/:id/business-hours", ADMIN, api_team_hours_delete },
	{ "GET", "/api/v1/users", USER, api_users_list },
	{ "POST", "/api/v1/users", ADMIN | HASHING, api_user_create },
	{ "GET", "/api/v1/users/:id", USER, api_user_get },
	{ "PATCH", "/api/v1/users/:id", ADMIN | HASHING, api_user_update },
	{ "GET", "/api/v1/channels", ADMIN, api_channels_list },
	{ "POST", "/api/v1/channels", ADMIN, api_channel_create },
	{ "GET", "/api/v1/channels/:id", ADMIN, api_channel_get },
	{ "PATCH", "/api/v1/channels/:id", ADMIN, api_channel_update },
	{ "GET", "/api/v1/channels/:id/templates", USER, api_channel_templates },
	{ "POST", "/api/v1/channels/:id/templates/sync", ADMIN, api_channel_templates_sync },
	{ "DELETE", "/api/v1/channels/:id", ADMIN, api_channel_remove },
	{ "GET", "/api/v1/conversations/counts", USER, api_conversation_counts },
	{ "GET", "/api/v1/conversations/:id", USER, api_conversation_get },
	{ "GET", "/api/v1/conversations/:id/messages", USER, api_messages_list },
	{ "POST", "/api/v1/conversations/:id/messages", USER, api_reply },
	{ "POST", "/api/v1/conversations/:id/messages/:id/retry", USER, api_message_retry },
	{ "POST", "/api/v1/conversations/:id/routing", USER, api_back_to_routing },
	{ "GET", "/api/v1/messages/:id/media", USER, api_message_media },
	{ "POST", "/api/v1/conversations/:id/uploads", USER | FILE_BODY, api_upload },
	{ "GET", "/api/v1/outbox/stats", ADMIN, api_outbox_stats },
	{ "GET", "/api/v1/events", USER, api_events },
	{ "GET", "/api/v1/routing", ADMIN, api_routing_get },
	{ "PUT", "/api/v1/routing", ADMIN, api_routing_put },
	{ "POST", "/api/v1/routing/explain", ADMIN, api_routing_explain },
	{ "GET", "/api/v1/routing/stats", ADMIN, api_routing_stats },
	{ "GET", "/api/v1/routing/suggestions", ADMIN, api_routing_suggestions },
	{ "POST", "/api/v1/routing/suggestions/dismiss", ADMIN, api_routing_dismiss },
	{ "GET", "/api/v1/teams", USER, api_teams_list },
	{ "POST", "/api/v1/teams", ADMIN, api_team_create },
	{ "GET", "/api/v1/teams/:id", USER, api_team_get },
	{ "PATCH", "/api/v1/teams/:id", ADMIN, api_team_update },
	{ "DELETE", "/api/v1/teams/:id", ADMIN, api_team_delete },
	{ "POST", "/api/v1/teams/:id/members", ADMIN, api_team_member_add },
	{ "DELETE", "/api/v1/teams/:id/members/:id", ADMIN, api_team_member_remove },
	{ "GET", "/api/v1/conversations", USER, api_conversations_list },
	{ "POST", "/api/v1/conversations", USER, api_conversation_start },
	{ "POST", "/api/v1/conversations/:id/transfer", USER, api_conversation_transfer },
	{ "POST", "/api/v1/conversations/:id/assign", USER, api_conversation_assign },
	{ "POST", "/api/v1/conversations/:id/unassign", USER, api_conversation_unassign },
	{ "POST", "/api/v1/conversations/:id/resolve", USER, api_conversation_resolve },
	{ "POST", "/api/v1/conversations/:id/reopen", USER, api_conversation_reopen },
	{ "POST", "/api/v1/conversations/:id/snooze", USER, api_conversation_snooze },
	{ "POST", "/api/v1/conversations/:id/read", USER, api_conversation_read },
	{ "POST", "/api/v1/conversations/:id/notes", USER, api_conversation_note },
	{ "PUT", "/api/v1/conversations/:id/tags/:name", USER, api_conversation_tag_put },
	{ "DELETE", "/api/v1/conversations/:id/tags/:name", USER, api_conversation_tag_delete },
	{ "GET", "/api/v1/conversations/:id/events", USER, api_conversation_events },
	{ "GET", "/api/v1/conversations/:id/notes", USER, api_conversation_notes },
	{ "GET", "/api/v1/canned-responses", USER, api_canned_list },
	{ "POST", "/api/v1/canned-responses", ADMIN, api_canned_create },
	{ "PATCH", "/api/v1/canned-responses/:id", ADMIN, api_canned_update },
	{ "DELETE", "/api/v1/canned-responses/:id", ADMIN, api_canned_delete },
	{ "GET", "/api/v1/metrics", ADMIN, api_metrics },
	{ "GET", "/api/v1/contacts", USER, api_contacts_list },
	{ "GET", "/api/v1/contacts/export", ADMIN, api_contacts_export },
	{ "POST", "/api/v1/contacts/import", ADMIN, api_contacts_import },
	{ "GET", "/api/v1/contacts/:id", USER, api_contact_get },
	{ "PATCH", "/api/v1/contacts/:id", USER, api_contact_update },
	{ "POST", "/api/v1/contacts/:id/merge", USER, api_contact_merge },
	{ "GET", "/api/v1/contact-attributes", USER, api_contact_attributes_list },
	{ "POST", "/api/v1/contact-attributes", ADMIN, api_contact_attribute_create },
	{ "DELETE", "/api/v1/contact-attributes/:name", ADMIN, api_contact_attribute_delete },
	{ "GET", "/api/v1/webhooks", ADMIN, api_webhooks_list },
	{ "POST", "/api/v1/webhooks", ADMIN, api_webhook_create },
	{ "GET", "/api/v1/webhooks/:id", ADMIN, api_webhook_get },
	{ "PATCH", "/api/v1/webhooks/:id", ADMIN, api_webhook_update },
	{ "DELETE", "/api/v1/webhooks/:id", ADMIN, api_webhook_delete },
	{ "POST", "/api/v1/webhooks/:id/secret", ADMIN, api_webhook_rotate_secret },
	{ "GET", "/api/v1/webhooks/:id/deliveries", ADMIN, api_webhook_deliveries },
	{ "POST", "/api/v1/webhooks/:id/deliveries/:id/resend", ADMIN, api_webhook_resend },
	{ "OPTIONS", "/api/v1/webchat/session", PUBLIC, api_webchat_preflight },
	{ "POST", "/api/v1/webchat/session", PUBLIC, api_webchat_session },
	{ "OPTIONS", "/api/v1/webchat/messages", PUBLIC, api_webchat_preflight },
	{ "GET", "/api/v1/webchat/messages", PUBLIC, api_webchat_history },
	{ "OPTIONS", "/api/v1/webchat/messages/:id/media", PUBLIC, api_webchat_preflight },
	{ "GET", "/api/v1/webchat/messages/:id/media", PUBLIC, api_webchat_media },
	{ "POST", "/api/v1/webchat/messages", PUBLIC, api_webchat_send },
	{ "OPTIONS", "/api/v1/webchat/contact", PUBLIC, api_webchat_preflight },
	{ "POST", "/api/v1/webchat/contact", PUBLIC, api_webchat_contact },
	{ "OPTIONS", "/api/v1/webchat/stream-ticket", PUBLIC, api_webchat_preflight },
	{ "POST", "/api/v1/webchat/stream-ticket", PUBLIC, api_webchat_ticket },
	{ "OPTIONS", "/api/v1/webchat/stream", PUBLIC, api_webchat_preflight },
	{ "GET", "/api/v1/webchat/stream", PUBLIC, api_webchat_stream },
	{ "GET", "/api/v1/demo", PUBLIC, api_demo },
};

static size_t body_max(const char *method, const char *path)
{
	return strcmp(method, "POST") == 0 && strcmp(path, "/api/v1/contacts/import") == 0
	           ? HTTP_IMPORT_MAX
	           : HTTP_BODY_MAX;
}

/* Fills req->who from a bearer token or the session cookie. */
static int authenticate(struct http_request *req, struct error *e)
{
	const char *authz = http_header(req, "Authorization");
	const char *cookie = http_cookie(req, SESSION_COOKIE);
	if (authz == NULL && cookie == NULL)
		return error_set(e, ERR_UNAUTHENTICATED, "log in or send an API token");
	struct store_tx *tx = store_begin(req->app->store, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int rc;
	if (authz != NULL) {
		if (strncmp(authz, "Bearer ", 7) == 0)
			rc = auth_token_lookup(tx, authz + 7, clock_now_ms(), &req->who, e);
		else
			rc = error_set(e, ERR_UNAUTHENTICATED,
			               "the Authorization header must be 'Bearer TOKEN'");
	} else {
		rc = auth_session_lookup(tx, cookie, clock_now_ms(), &req->who, req->csrf, e);
		if (rc == 0) {
			req->is_cookie_auth = true;
			snprintf(req->session_token, sizeof(req->session_token), "%s", cookie);
		}
	}
	store_rollback(tx);
	return rc;
}

static bool is_safe_method(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static int check_access(struct http_request *req, const struct route *r, struct error *e)
{
	enum access level = r->access & LEVEL;
	if (level == PUBLIC)
		return 0;
	int rc = authenticate(req, e);
	if (rc < 0)
		return rc;
	if (req->is_cookie_auth && !is_safe_method(req->method)) {
		const char *sent = http_header(req, "X-CSRF-Token");
		if (sent == NULL || !token_equal(sent, req->csrf))
			return error_set(e, ERR_CSRF,
			                 "send the session's CSRF token in X-CSRF-Token");
	}
	if (level == ADMIN && req->who.role != ROLE_ADMIN)
		return error_set(e, ERR_FORBIDDEN, "only admins may do this");
	return 0;
}

static int body_to_file(struct http_request *req, int64_t *max, struct error *e)
{
	int64_t params[HTTP_MAX_PARAMS];
	char name[HTTP_NAME_MAX + 1];
	const struct route *r = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && r == NULL; i++)
		if ((routes[i].access & FILE_BODY) && strcmp(routes[i].method, req->method) == 0 &&
		    http_path_match(routes[i].pattern, req->path, params, name))
			r = &routes[i];
	if (r == NULL)
		return 0;
	int rc = check_access(req, r, e);
	if (rc < 0)
		return rc;
	int64_t operator_max = req->app->config->media_max_bytes;
	*max =
	    operator_max > 0 && operator_max < CHANNEL_FILE_MAX ? operator_max : CHANNEL_FILE_MAX;
	return 1;
}

struct hashing_call {
	struct pool_job job;
	struct http_request *req;
	http_handler handler;
	struct http_response res; /* the handler's, until the connection resumes */
};

static void run_hashing(struct pool_job *job)
{
	struct hashing_call *call = (struct hashing_call *)job;
	call->handler(call->req, &call->res);
	http_resume(call->req);
}

static void finish_hashing(void *arg, struct http_response *res)
{
	struct hashing_call *call = arg;
	*res = call->res;
	free(call);
}

/* The connection waits (no thread held) for a place on the hashing pool; when every place
 * is taken it is turned away at once, since waiting longer would only pile up. */
static void call_hashing(struct http_request *req, http_handler handler)
{
	struct hashing_call *call = xmalloc(sizeof(*call));
	*call = (struct hashing_call){ .job.run = run_hashing, .req = req, .handler = handler };
	http_defer(req, finish_hashing, call);
	if (pool_submit(req->app->hashing, &call->job) == 0)
		return;
	call->res.retry_after = 1;
	http_reply_errorf(&call->res, ERR_UNAVAILABLE,
	                  "too many logins at once; try again in a second");
	http_resume(req);
}

static void dispatch(struct http_request *req, struct http_response *res)
{
	bool is_path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (!http_path_match(r->pattern, req->path, req->params, req->name))
			continue;
		is_path_known = true;
		/* HEAD is answered as GET: libmicrohttpd sends the headers only. */
		bool is_head_of_get =
		    strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
		if (strcmp(r->method, req->method) != 0 && !is_head_of_get)
			continue;
		struct error e;
		if (check_access(req, r, &e) < 0) {
			http_reply_error(res, &e);
			return;
		}
		if (r->access & HASHING)
			call_hashing(req, r->handler);
		else
			r->handler(req, res);
		return;
	}
	if (is_path_known)
		http_reply_errorf(res, ERR_METHOD, "%s is not allowed here", req->method);
	else if (!http_static(req, res))
		http_reply_errorf(res, ERR_NOT_FOUND, "no such endpoint");
}

const struct http_routes http_routes = { dispatch, body_max, body_to_file };
