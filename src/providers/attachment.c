/*
 * Sending a file: which types and sizes each provider takes, and the request that sends one —
 * multipart/form-data, since our server has no public URL a provider could fetch the file
 * from. The request names the file; the outbox streams the bytes into it. No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

#define MB (1024LL * 1024)

enum { WA = 1, MS = 2, IG = 4, TG = 8, WC = 16, ALL = 31 };

/* The types agents may send, their kind, and the channels whose provider takes them
 * (docs/CHANNELS.md gives the providers' pages). */
static const struct file_type {
	const char *mime;
	const char *kind;
	int channels;
} file_types[] = {
	{ "image/jpeg", "image", ALL },
	{ "image/png", "image", ALL },
	{ "image/gif", "image", MS | IG | TG | WC },
	{ "audio/aac", "audio", WA | MS | IG | TG | WC },
	{ "audio/amr", "audio", WA | TG },
	{ "audio/mpeg", "audio", WA | MS | TG | WC },
	{ "audio/mp4", "audio", ALL },
	{ "audio/ogg", "audio", WA | TG | WC },
	{ "audio/wav", "audio", MS | IG | TG | WC },
	{ "video/mp4", "video", ALL },
	{ "video/3gpp", "video", WA | MS | TG },
	{ "video/quicktime", "video", MS | IG | TG },
	{ "video/webm", "video", MS | IG | TG | WC },
	{ "application/pdf", "document", ALL },
	{ "text/plain", "document", WA | MS | TG | WC },
	{ "application/msword", "document", WA | MS | TG | WC },
	{ "application/vnd.ms-excel", "document", WA | MS | TG | WC },
	{ "application/vnd.ms-powerpoint", "document", WA | MS | TG | WC },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document",
	  WA | MS | TG | WC },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document",
	  WA | MS | TG | WC },
	{ "application/vnd.openxmlformats-officedocument.presentationml.presentation", "document",
	  WA | MS | TG | WC },
};

/* The most bytes kind's provider takes in a file of file_kind; the kinds' own limits are
 * WhatsApp's, which web chat follows too. */
static int64_t provider_limit(enum channel_kind kind, const char *file_kind)
{
	bool is_image = strcmp(file_kind, "image") == 0;
	bool is_document = strcmp(file_kind, "document") == 0;
	int64_t own = is_image ? 5 * MB : is_document ? 100 * MB : 16 * MB;
	int64_t provider = own;
	switch (kind) {
	case CHANNEL_MESSENGER:
		provider = 25 * MB;
		break;
	case CHANNEL_INSTAGRAM:
		provider = is_image ? 8 * MB : 25 * MB;
		break;
	case CHANNEL_TELEGRAM: /* a bot's multipart upload: photos 10 MB, other files 50 MB */
		provider = is_image ? 10 * MB : 50 * MB;
		break;
	case CHANNEL_WHATSAPP:
	case CHANNEL_WEBCHAT:
		break;
	}
	return provider < own ? provider : own;
}

static const char *size_text(int64_t bytes, char *out, size_t size)
{
	if (bytes % MB == 0)
		snprintf(out, size, "%lld MB", (long long)(bytes / MB));
	else
		snprintf(out, size, "%lld bytes", (long long)bytes);
	return out;
}

int channel_file_check(enum channel_kind kind, const char *mime_type, int64_t size,
                       int64_t max_bytes, const char **file_kind, struct error *e)
{
	const struct file_type *t = NULL;
	int bit = 1 << kind;
	for (size_t i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (strcmp(file_types[i].mime, mime_type) == 0)
			t = &file_types[i];
	if (t == NULL)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "files of type %s cannot be sent: send an image (JPEG, PNG), "
		                 "audio, video or a document such as a PDF",
		                 mime_type);
	if ((t->channels & bit) == 0)
		return error_set(e, ERR_UNPROCESSABLE, "%s does not take files of type %s",
		                 kind == CHANNEL_WEBCHAT ? "web chat" : channel_kind_label(kind),
		                 mime_type);
	if (size <= 0)
		return error_set(e, ERR_INVALID, "the file is empty");
	int64_t limit = provider_limit(kind, t->kind);
	if (max_bytes > 0 && max_bytes < limit)
		limit = max_bytes;
	if (size > limit) {
		char text[32];
		return error_set(e, ERR_UNPROCESSABLE, "%s files on %s may be at most %s", t->kind,
		                 kind == CHANNEL_WEBCHAT ? "web chat" : channel_kind_label(kind),
		                 size_text(limit, text, sizeof(text)));
	}
	if (file_kind != NULL)
		*file_kind = t->kind;
	return 0;
}

int channel_file_name_check(const char *name, struct error *e)
{
	size_t len = name != NULL ? strlen(name) : 0;
	if (len == 0 || len > CHANNEL_FILE_NAME_MAX)
		return error_set(e, ERR_INVALID, "a file name is 1 to %d bytes",
		                 CHANNEL_FILE_NAME_MAX);
	bool has_control = !utf8_is_clean(name, len) || strpbrk(name, "\t\r\n\x7f") != NULL;
	/* C1 controls, U+0080 to U+009F, are 0xC2 0x80-0x9F in UTF-8. */
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		has_control |= p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
	if (has_control)
		return error_set(e, ERR_INVALID, "a file name may not hold control characters");
	if (strpbrk(name, "/\\") != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return error_set(e, ERR_INVALID, "a file name may not hold a path (/ or \\)");
	return 0;
}

void request_field(struct channel_request *r, const char *name, const char *value)
{
	r->field_names[r->field_count] = xstrdup(name);
	r->field_values[r->field_count++] = xstrdup(value);
}

/* The request shell for a multipart upload: no JSON content type (curl writes the form's). */
static struct channel_request *form_start(const char *base, const char *path, const char *log_path,
                                          const char *file_field, const struct channel_file *f)
{
	struct channel_request *r = request_start(base, path, log_path);
	free(r->headers[0]);
	r->headers[0] = NULL;
	r->header_count = 0;
	r->file_field = file_field;
	r->file_name = xstrdup(f->file_name);
	r->file_mime = xstrdup(f->mime_type);
	return r;
}

static bool has_caption(const struct channel_file *f)
{
	return f->caption != NULL && f->caption[0] != '\0';
}

/* WhatsApp: upload to /{phone-number-id}/media, then send the media by the id it answered. */
struct channel_request *whatsapp_file_request(const struct channel_send *s)
{
	const struct channel_file *f = s->file;
	char path[160];
	struct channel_request *r;
	if (f->media_id == NULL) {
		snprintf(path, sizeof(path), "/%s/%s/media", s->api_version, s->channel_id);
		r = form_start(s->api_url, path, NULL, "file", f);
		request_bearer(r, s->token);
		request_field(r, "messaging_product", "whatsapp");
		request_field(r, "type", f->mime_type);
		return r;
	}
	snprintf(path, sizeof(path), "/%s/%s/messages", s->api_version, s->channel_id);
	r = request_start(s->api_url, path, NULL);
	request_bearer(r, s->token);
	json_t *media = json_pack("{s:s}", "id", f->media_id);
	if (has_caption(f) && strcmp(f->kind, "audio") != 0)
		json_object_set_new(media, "caption", json_string(f->caption));
	if (strcmp(f->kind, "document") == 0)
		json_object_set_new(media, "filename", json_string(f->file_name));
	request_body(r, json_pack("{s:s, s:s, s:s, s:s, s:o}", "messaging_product", "whatsapp",
	                          "recipient_type", "individual", "to", s->recipient, "type",
	                          f->kind, f->kind, media));
	return r;
}

/* Messenger and Instagram: the Send API with the attachment uploaded as "filedata". */
struct channel_request *messenger_file_request(const struct channel_send *s)
{
	const struct channel_file *f = s->file;
	char path[64];
	snprintf(path, sizeof(path), "/%s/me/messages", s->api_version);
	struct channel_request *r = form_start(s->api_url, path, NULL, "filedata", f);
	request_bearer(r, s->token);
	const char *type = strcmp(f->kind, "document") == 0 ? "file" : f->kind;
	json_t *recipient = json_pack("{s:s}", "id", s->recipient);
	json_t *message = json_pack("{s:{s:s, s:{s:b}}}", "attachment", "type", type, "payload",
	                            "is_reusable", 0);
	char *text = json_dumps(recipient, JSON_COMPACT);
	request_field(r, "recipient", text);
	free(text);
	text = json_dumps(message, JSON_COMPACT);
	request_field(r, "message", text);
	free(text);
	json_decref(recipient);
	json_decref(message);
	request_field(r, "messaging_type", s->tag != NULL ? "MESSAGE_TAG" : "RESPONSE");
	if (s->tag != NULL)
		request_field(r, "tag", s->tag);
	return r;
}

/* Telegram: the method that shows the file best, with the file in the part it names. */
struct channel_request *telegram_file_request(const struct channel_send *s)
{
	const struct channel_file *f = s->file;
	const char *method = "sendDocument", *field = "document";
	if (strcmp(f->mime_type, "image/jpeg") == 0 || strcmp(f->mime_type, "image/png") == 0)
		method = "sendPhoto", field = "photo";
	else if (strcmp(f->mime_type, "audio/mpeg") == 0 || strcmp(f->mime_type, "audio/mp4") == 0)
		method = "sendAudio", field = "audio";
	else if (strcmp(f->mime_type, "video/mp4") == 0)
		method = "sendVideo", field = "video";
	char path[512], log_path[64];
	snprintf(path, sizeof(path), "/bot%s/%s", s->token, method);
	snprintf(log_path, sizeof(log_path), "/bot<token>/%s", method);
	struct channel_request *r = form_start(s->api_url, path, log_path, field, f);
	request_field(r, "chat_id", s->recipient);
	if (has_caption(f))
		request_field(r, "caption", f->caption);
	return r;
}

int request_check_file(const struct channel_send *s, struct error *e)
{
	const struct channel_file *f = s->file;
	int rc = request_check_target(s, e);
	if (rc == 0)
		rc = channel_file_name_check(f->file_name, e);
	if (rc == 0 && channel_file_check(s->kind, f->mime_type, 1, 0, NULL, e) < 0)
		rc = ERR_INVALID;
	if (rc == 0 && s->tag != NULL &&
	    (s->kind != CHANNEL_MESSENGER || strcmp(s->tag, "HUMAN_AGENT") != 0))
		rc = error_set(e, ERR_INVALID, "only Messenger takes the HUMAN_AGENT tag");
	if (rc == 0 && has_caption(f) && !utf8_is_clean(f->caption, strlen(f->caption)))
		rc = error_set(e, ERR_INVALID, "the caption is not clean UTF-8");
	if (rc == 0 && f->media_id != NULL &&
	    (s->kind != CHANNEL_WHATSAPP || request_check_token(f->media_id, "0123456789", e) < 0))
		rc = error_set(e, ERR_INVALID, "a WhatsApp media id is a number");
	if (rc == 0 && s->kind == CHANNEL_WEBCHAT)
		rc = error_set(e, ERR_INVALID, "web chat files need no request");
	return rc;
}

int whatsapp_upload_read(long http_status, const char *body, size_t len, char *id, size_t size,
                         struct send_result *out)
{
	json_t *root = body != NULL ? json_parse(body, len, NULL) : NULL;
	const char *media_id = jstr(root, "id");
	size_t n = media_id != NULL ? strlen(media_id) : 0;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (http_status == 200 && n > 0 && n < size && strspn(media_id, "0123456789") == n) {
		snprintf(id, size, "%s", media_id);
		rc = 0;
	} else if (http_status == 200) {
		out->outcome = SEND_PERMANENT;
		send_reason(out, "WhatsApp answered the file's upload without a media id.");
	} else {
		graph_classify(CHANNEL_WHATSAPP, http_status, root, out);
	}
	json_decref(root);
	return rc;
}
