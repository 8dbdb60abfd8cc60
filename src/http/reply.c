/* Request look-ups and response builders shared by every handler; see http.h. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "http/http.h"
#include "http/parse.h"

const char *http_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_query(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Joins every X-Forwarded-For header, in order, as one list (a proxy may add its own). */
static enum MHD_Result join_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct buf *list = cls;
	if (strcasecmp(key, "X-Forwarded-For") == 0) {
		if (list->len > 0)
			buf_putc(list, ',');
		buf_puts(list, value);
	}
	return MHD_YES;
}

void http_client_address(struct http_request *req, char out[ADDRESS_TEXT_MAX])
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info != NULL ? info->client_addr : NULL;
	struct address peer;
	char text[ADDRESS_TEXT_MAX] = "";
	out[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
		          sizeof(text));
	if (!address_parse(text, strlen(text), &peer))
		return;
	const struct address_ranges *trusted = &req->app->config->trusted_proxies;
	struct buf forwarded = { 0 };
	if (address_ranges_contain(trusted, &peer))
		MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_forwarded, &forwarded);
	struct address client = address_client(&peer, forwarded.len > 0 ? forwarded.data : NULL,
	                                       http_header(req, "X-Real-IP"), trusted);
	buf_free(&forwarded);
	address_format(&client, out, ADDRESS_TEXT_MAX);
}

json_t *http_body_json(struct http_request *req, struct http_response *res)
{
	struct error e;
	/* A page elsewhere can post text/plain without asking, never application/json. */
	if (!http_is_json_type(http_header(req, "Content-Type"))) {
		http_reply_errorf(res, ERR_MEDIA_TYPE,
		                  "send the body as JSON, with Content-Type: application/json");
		return NULL;
	}
	json_t *body = json_parse(req->body.data ? req->body.data : "", req->body.len, &e);
	if (body == NULL)
		http_reply_error(res, &e);
	return body;
}

void http_reply_json(struct http_response *res, int status, json_t *body)
{
	res->status = status;
	buf_reset(&res->body);
	char *text = json_dumps(body, JSON_COMPACT);
	if (text != NULL) {
		buf_puts(&res->body, text);
		free(text);
	}
	json_decref(body);
}

void http_reply_error(struct http_response *res, const struct error *e)
{
	snprintf(res->reason, sizeof(res->reason), "%s", e->message);
	json_t *error =
	    json_pack("{s:s,s:s}", "code", err_code_name(e->code), "message", e->message);
	if (e->rule != NULL) {
		json_object_set_new(error, "rule", json_string(e->rule));
		if (e->field[0] != '\0')
			json_object_set_new(error, "field", json_string(e->field));
		if (e->limit != 0)
			json_object_set_new(error, "limit", json_integer(e->limit));
	}
	http_reply_json(res, err_http_status(e->code), json_pack("{s:o}", "error", error));
}

void http_reply_errorf(struct http_response *res, enum err code, const char *fmt, ...)
{
	struct error e = { .code = code };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	http_reply_error(res, &e);
}

void http_reply_empty(struct http_response *res)
{
	http_reply_json(res, 200, json_pack("{s:b}", "ok", 1));
}

void http_reply_text(struct http_response *res, int status, const char *text)
{
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
}
