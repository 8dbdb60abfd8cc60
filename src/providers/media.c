/*
 * Where a customer's file is: the lookup request (WhatsApp's media id, Telegram's getFile)
 * and what its answer says. No I/O; media/ performs the requests and keeps the bytes.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

#define MIME_MAX      127 /* bytes of a MIME type worth keeping */
#define FILE_PATH_MAX 256 /* bytes of a Telegram file_path */

int media_lookup_new(const struct channel_send *s, const char *ref, struct channel_request **out,
                     struct error *e)
{
	*out = NULL;
	if (s->kind == CHANNEL_MESSENGER || s->kind == CHANNEL_INSTAGRAM)
		return 0;
	if (s->kind == CHANNEL_TELEGRAM)
		return telegram_call_new(s->api_url, s->token, "getFile",
		                         json_pack("{s:s}", "file_id", ref), out, e);
	if (s->kind != CHANNEL_WHATSAPP)
		return error_set(e, ERR_INVALID, "this channel has no provider files");
	size_t len = strlen(ref);
	if (len == 0 || len > 64 || strspn(ref, "0123456789") != len)
		return error_set(e, ERR_INVALID, "a WhatsApp media id is a number");
	int rc = request_check_token(s->token, NULL, e);
	if (rc < 0)
		return rc;
	struct buf path = BUF_INIT;
	buf_printf(&path, "/%s/%s", s->api_version, ref);
	*out = request_start(s->api_url, path.data, NULL);
	buf_free(&path);
	(*out)->method = "GET";
	free((*out)->headers[0]); /* a GET has no body, so no content type */
	(*out)->headers[0] = NULL;
	(*out)->header_count = 0;
	request_bearer(*out, s->token);
	return 0;
}

char *media_mime_clean(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strcspn(s, "; \t");
	const char *slash = memchr(s, '/', len);
	const char *tchar =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-";
	if (len == 0 || len > MIME_MAX || slash == NULL || slash == s || slash == s + len - 1 ||
	    strspn(s, tchar) != (size_t)(slash - s) ||
	    strspn(slash + 1, tchar) != len - (size_t)(slash - s) - 1)
		return NULL;
	char *out = xstrndup(s, len);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* WhatsApp writes a file's SHA-256 in hex or in base64. */
static bool sha256_read(const char *s, unsigned char out[32])
{
	size_t len = s != NULL ? strlen(s) : 0, bin = 0;
	if (len == 64)
		return sodium_hex2bin(out, 32, s, len, NULL, &bin, NULL) == 0 && bin == 32;
	if (len == 44)
		return sodium_base642bin(out, 32, s, len, NULL, &bin, NULL,
		                         sodium_base64_VARIANT_ORIGINAL) == 0 &&
		       bin == 32;
	return false;
}

/* A JSON integer or a string of digits (WhatsApp writes file_size either way); -1 otherwise. */
static int64_t size_read(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
	const char *s = json_string_value(v);
	size_t len = s != NULL ? strlen(s) : 0;
	if (len == 0 || len > 15 || strspn(s, "0123456789") != len)
		return -1;
	return strtoll(s, NULL, 10);
}

static int url_read(const char *url, struct media_source *src)
{
	size_t len = url != NULL ? strlen(url) : 0;
	if (len == 0 || len > INBOUND_URL_MAX || strcspn(url, " \t\r\n") != len ||
	    (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		return -1;
	src->url = xstrdup(url);
	src->url_for_log = xstrndup(url, strcspn(url, "?"));
	return 0;
}

static int unreadable(struct send_result *out, const char *what)
{
	out->outcome = SEND_PERMANENT;
	send_reason(out, "%s", what);
	return -1;
}

static int whatsapp_read(const json_t *root, struct media_source *src, struct send_result *out)
{
	if (url_read(jstr(root, "url"), src) < 0)
		return unreadable(out, "WhatsApp answered no usable URL for the file.");
	src->is_bearer = true;
	src->mime_type = media_mime_clean(jstr(root, "mime_type"));
	src->has_sha256 = sha256_read(jstr(root, "sha256"), src->sha256);
	src->size = size_read(json_object_get(root, "file_size"));
	return 0;
}

static int telegram_read(const struct channel_send *s, const json_t *root, struct media_source *src,
                         struct send_result *out)
{
	const json_t *file = jobj(root, "result");
	const char *path = jstr(file, "file_path");
	size_t len = path != NULL ? strlen(path) : 0;
	if (len == 0 || len > FILE_PATH_MAX || path[0] == '/' || strstr(path, "..") != NULL ||
	    strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") !=
	        len)
		return unreadable(out, "Telegram answered no usable path for the file.");
	struct buf url = BUF_INIT, log = BUF_INIT;
	size_t base = strlen(s->api_url);
	while (base > 0 && s->api_url[base - 1] == '/')
		base--;
	buf_printf(&url, "%.*s/file/bot%s/%s", (int)base, s->api_url, s->token, path);
	buf_printf(&log, "%.*s/file/bot<token>/%s", (int)base, s->api_url, path);
	src->url = buf_take(&url);
	src->url_for_log = buf_take(&log);
	src->size = size_read(json_object_get(file, "file_size"));
	return 0;
}

int media_source_read(const struct channel_send *s, const char *ref, long http_status,
                      const char *body, size_t len, struct media_source *src,
                      struct send_result *out)
{
	memset(src, 0, sizeof(*src));
	memset(out, 0, sizeof(*out));
	src->size = -1;
	if (s->kind == CHANNEL_MESSENGER || s->kind == CHANNEL_INSTAGRAM)
		return url_read(ref, src) == 0 ? 0
		                               : unreadable(out, "The file's link is not a URL.");
	json_t *root = body != NULL ? json_parse(body, len, NULL) : NULL;
	if (s->kind == CHANNEL_TELEGRAM)
		telegram_classify(http_status, root, out);
	else
		graph_classify(s->kind, http_status, root, out);
	int rc = -1;
	/* The send classifier speaks of messages; a lookup refused for good is about the file. */
	const char *description = jstr(root, "description");
	if (out->outcome == SEND_PERMANENT && description != NULL &&
	    strstr(description, "too big") != NULL)
		send_reason(out,
		            "The file is too large for Telegram's bots to download (over 20 MB).");
	else if (out->outcome == SEND_PERMANENT && http_status >= 400)
		send_reason(out, "The provider no longer has the file (HTTP %ld, error %ld).",
		            http_status, out->code);
	if (out->outcome == SEND_ACCEPTED) {
		memset(out, 0, sizeof(*out));
		rc = s->kind == CHANNEL_TELEGRAM ? telegram_read(s, root, src, out)
		                                 : whatsapp_read(root, src, out);
	}
	json_decref(root);
	if (rc < 0)
		media_source_clear(src);
	return rc;
}

void media_source_clear(struct media_source *src)
{
	free(src->url);
	free(src->url_for_log);
	free(src->mime_type);
	memset(src, 0, sizeof(*src));
	src->size = -1;
}
