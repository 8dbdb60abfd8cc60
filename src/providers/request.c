/*
 * The pieces every provider's builder and classifier share: kinds by name, text limits,
 * the request shell (URL, headers, JSON body) and the reasons a send failed. No I/O, and
 * nothing here knows a provider: the providers call down into this file, send.c calls them.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

const char *channel_kind_name(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "whatsapp";
	case CHANNEL_MESSENGER:
		return "messenger";
	case CHANNEL_INSTAGRAM:
		return "instagram";
	case CHANNEL_TELEGRAM:
		return "telegram";
	case CHANNEL_WEBCHAT:
		return "webchat";
	}
	return "unknown";
}

int channel_kind_parse(const char *name, enum channel_kind *out)
{
	for (int k = CHANNEL_WHATSAPP; k <= CHANNEL_WEBCHAT; k++) {
		if (strcmp(name, channel_kind_name((enum channel_kind)k)) == 0) {
			*out = (enum channel_kind)k;
			return 0;
		}
	}
	return ERR_INVALID;
}

const char *channel_kind_label(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "WhatsApp";
	case CHANNEL_MESSENGER:
		return "Messenger";
	case CHANNEL_INSTAGRAM:
		return "Instagram";
	case CHANNEL_TELEGRAM:
		return "Telegram";
	case CHANNEL_WEBCHAT:
		break;
	}
	return "?";
}

struct text_limit channel_text_limit(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_MESSENGER:
		return (struct text_limit){ 2000, TEXT_UNIT_UTF16 };
	case CHANNEL_INSTAGRAM:
		return (struct text_limit){ 999, TEXT_UNIT_BYTES };
	case CHANNEL_WEBCHAT:
		return (struct text_limit){ WEBCHAT_TEXT_MAX, TEXT_UNIT_BYTES };
	case CHANNEL_WHATSAPP:
	case CHANNEL_TELEGRAM:
		break;
	}
	return (struct text_limit){ 4096, TEXT_UNIT_UTF16 };
}

void channel_request_free(struct channel_request *r)
{
	if (r == NULL)
		return;
	free(r->url);
	free(r->url_for_log);
	for (size_t i = 0; i < r->header_count; i++)
		free(r->headers[i]);
	free(r->body);
	free(r->file_name);
	free(r->file_mime);
	for (size_t i = 0; i < r->field_count; i++) {
		free(r->field_names[i]);
		free(r->field_values[i]);
	}
	free(r);
}

static char *join_url(const char *base, size_t base_len, const char *path)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%.*s%s", (int)base_len, base, path);
	return buf_take(&b);
}

struct channel_request *request_start(const char *base, const char *path, const char *log_path)
{
	struct channel_request *r = xcalloc(1, sizeof(*r));
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	r->method = "POST";
	r->url = join_url(base, len, path);
	r->url_for_log = join_url(base, len, log_path != NULL ? log_path : path);
	r->headers[r->header_count++] = xstrdup("Content-Type: application/json");
	return r;
}

void request_bearer(struct channel_request *r, const char *token)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "Authorization: Bearer %s", token);
	r->headers[r->header_count++] = buf_take(&b);
}

void request_body(struct channel_request *r, json_t *root)
{
	r->body = json_dumps(root, JSON_COMPACT);
	if (r->body == NULL) {
		fprintf(stderr, "centralita: out of memory serialising a request\n");
		abort();
	}
	r->body_len = strlen(r->body);
	json_decref(root);
}

bool http_is_transient(long http_status)
{
	return http_status < 200 || http_status == 408 || http_status == 429 || http_status >= 500;
}

void send_reason(struct send_result *out, const char *fmt, ...)
{
	char line[2 * sizeof(out->reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reason_quote(out->reason, sizeof(out->reason), line);
}

void send_reason_named(struct send_result *out, const char *template, const char *name)
{
	struct buf b = BUF_INIT;
	const char *mark;

	while ((mark = strstr(template, "{}")) != NULL) {
		buf_append(&b, template, (size_t)(mark - template));
		buf_puts(&b, name);
		template = mark + 2;
	}
	buf_puts(&b, template);
	reason_quote(out->reason, sizeof(out->reason), b.data);
	buf_free(&b);
}
