/*
 * Media files: POST /api/v1/conversations/:id/uploads keeps an agent's file to attach to a
 * reply (the body, streamed to the file store's spool by the server, is the file). GET
 * /api/v1/messages/:id/media answers a message's stored file to whoever may
 * see its conversation (the one visibility rule; anyone else gets 404, as for the message),
 * with one byte range when asked (audio and video seek). A file is named by its MIME type
 * only when a browser can show that type without running anything; everything else is a
 * download. Every file goes out with nosniff (server.c) and a sandbox CSP, so an uploaded
 * HTML or SVG can never run script in our origin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/api.h"

#define FILE_CSP "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"

/* The types a browser renders without script, as the literal the answer names. */
static const char *safe_type(const char *mime)
{
	static const char *const safe[] = {
		"image/jpeg",      "image/png",       "image/gif", "image/webp", "audio/ogg",
		"audio/mpeg",      "audio/mp4",       "audio/aac", "audio/amr",  "audio/opus",
		"audio/wav",       "audio/webm",      "video/mp4", "video/3gpp", "video/webm",
		"video/quicktime", "application/pdf",
	};
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		if (strcmp(mime, safe[i]) == 0)
			return safe[i];
	return NULL;
}

/* Content-Disposition for a download: an ASCII stand-in for old clients and the UTF-8 name
 * percent-encoded (RFC 6266); "file" when the customer gave none. */
static void disposition(char *out, size_t size, const char *kind, const char *name)
{
	char ascii[101], encoded[301];
	size_t a = 0, n = 0;
	if (name == NULL || name[0] == '\0')
		name = "file";
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		bool is_plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
		if (a < sizeof(ascii) - 1)
			ascii[a++] = is_plain ? (char)*p : '_';
		if (is_plain && n < sizeof(encoded) - 1)
			encoded[n++] = (char)*p;
		else if (!is_plain && n < sizeof(encoded) - 3)
			n += (size_t)snprintf(encoded + n, 4, "%%%02X", *p);
	}
	ascii[a] = '\0';
	encoded[n] = '\0';
	snprintf(out, size, "%s; filename=\"%s\"; filename*=UTF-8''%s", kind, ascii, encoded);
}

static bool read_number(const char **p, uint64_t *out)
{
	size_t digits = strspn(*p, "0123456789");
	if (digits == 0 || digits > 18)
		return false;
	*out = strtoull(*p, NULL, 10);
	*p += digits;
	return true;
}

/*
 * The one range of "bytes=a-b", "bytes=a-" or "bytes=-n" in a file of size bytes: 1 with
 * [*from, *from + *len), 0 to answer the whole file (no header, several ranges, or a header
 * this parser does not read, as RFC 9110 allows), ERR_RANGE when it lies outside the file.
 */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len)
{
	uint64_t a = 0, b = size - 1;
	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	const char *p = h + 6;
	if (*p == '-') {
		p++;
		if (!read_number(&p, &b) || *p != '\0')
			return 0;
		if (b == 0)
			return ERR_RANGE;
		a = b >= size ? 0 : size - b;
		b = size - 1;
	} else {
		if (!read_number(&p, &a) || *p++ != '-')
			return 0;
		if (*p != '\0' && (!read_number(&p, &b) || *p != '\0' || b < a))
			return 0;
		if (a >= size)
			return ERR_RANGE;
		if (b >= size)
			b = size - 1;
	}
	*from = a;
	*len = b - a + 1;
	return 1;
}

void api_message_media(struct http_request *req, struct http_response *res)
{
	struct message_file f;
	struct error e;
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	int rc = message_file_get(tx, &req->who, req->params[0], &f, &e);
	store_rollback(tx);
	api_reply_file(req, res, rc, &f, &e);
}

void api_reply_file(struct http_request *req, struct http_response *res, int rc,
                    struct message_file *file, struct error *error)
{
	struct message_file f = *file;
	struct error e = *error;
	if (rc == 0 && strcmp(f.state, "ready") != 0)
		rc = error_set(&e, ERR_CONFLICT,
		               strcmp(f.state, "pending") == 0
		                   ? "the file is still being fetched from the provider"
		                   : "the file could not be fetched from the provider");
	int fd = -1;
	int64_t size = 0;
	if (rc == 0 && (rc = file_store_open(req->app->files, f.sha256, &fd, &size, &e)) < 0) {
		log_error("media: message %lld: file %s: %s", (long long)req->params[0], f.sha256,
		          e.message);
		rc = error_set(&e, ERR_INTERNAL, "the file is missing from the file store");
	}
	uint64_t from = 0, len = (uint64_t)size;
	int ranged =
	    rc == 0 ? parse_range(http_header(req, "Range"), (uint64_t)size, &from, &len) : 0;
	if (rc == 0 && ranged < 0) {
		snprintf(res->content_range, sizeof(res->content_range), "bytes */%lld",
		         (long long)size);
		rc = error_set(&e, ERR_RANGE, "the range lies outside the file's %lld bytes",
		               (long long)size);
	}
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		free(f.file_name);
		http_reply_error(res, &e);
		res->csp = FILE_CSP;
		return;
	}
	const char *type = safe_type(f.mime_type);
	res->status = ranged ? 206 : 200;
	res->content_type = type != NULL ? type : "application/octet-stream";
	res->csp = FILE_CSP;
	res->cache_control = "private, max-age=86400";
	snprintf(res->etag, sizeof(res->etag), "\"%.64s\"", f.sha256);
	disposition(res->content_disposition, sizeof(res->content_disposition),
	            type != NULL ? "inline" : "attachment", f.file_name);
	if (ranged)
		snprintf(res->content_range, sizeof(res->content_range), "bytes %llu-%llu/%lld",
		         (unsigned long long)from, (unsigned long long)(from + len - 1),
		         (long long)size);
	res->has_file = true;
	res->file_fd = fd;
	res->file_offset = from;
	res->file_len = len;
	free(f.file_name);
}

/* An upload's checks and row, in the transaction: the draft is kept under its hash first, so a
 * row never names a file that is not there. */
struct upload_call {
	struct file_draft *draft;
	struct upload_input in;
	char sha256[MEDIA_SHA256_HEX];
};

static int upload(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	struct upload_call *u = arg;
	struct upload out;
	int rc = upload_check(tx, &req->who, req->params[0], u->in.mime_type, u->in.size,
	                      u->in.max_bytes, NULL, e);
	if (rc == 0)
		rc = file_store_put(req->app->files, u->draft, u->sha256, e);
	if (rc == 0)
		rc = upload_create(tx, &req->who, req->params[0], &u->in, clock_now_ms(), &out, e);
	if (rc == 0)
		*answer =
		    json_pack("{s:{s:I,s:s,s:s,s:s,s:I,s:s}}", "upload", "id", (json_int_t)out.id,
		              "kind", out.kind, "mime_type", u->in.mime_type, "file_name",
		              u->in.file_name, "size", (json_int_t)u->in.size, "sha256", u->sha256);
	return rc;
}

void api_upload(struct http_request *req, struct http_response *res)
{
	struct file_draft *d = req->upload;
	const char *name = http_query(req, "name");
	char *mime = media_mime_clean(http_header(req, "Content-Type"));
	struct error e;
	int rc = 0;
	if (d == NULL || d->is_failed)
		rc = error_set(&e, ERR_UNAVAILABLE, "the file could not be written; try again");
	else if (name == NULL)
		rc = error_set(&e, ERR_INVALID, "name the file: ?name=invoice.pdf");
	else if ((rc = channel_file_name_check(name, &e)) < 0)
		;
	else if (mime == NULL)
		rc = error_set(&e, ERR_INVALID, "send the file's type as its Content-Type");
	else if (d->size == 0)
		rc = error_set(&e, ERR_INVALID, "the file is empty");
	if (rc < 0) {
		http_reply_error(res, &e);
		free(mime);
		return;
	}
	struct upload_call u = { .draft = d,
		                 .in = { .mime_type = mime,
		                         .file_name = name,
		                         .size = d->size,
		                         .max_bytes = req->app->config->media_max_bytes } };
	file_draft_digest(d, u.sha256);
	u.in.sha256 = u.sha256;
	api_run(req, res, STORE_WRITE, 201, upload, &u);
	free(mime);
}
