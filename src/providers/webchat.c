/*
 * Web chat: the widget's message, already read from the visitor API's JSON body, checked
 * and turned into the canonical inbound event, so it takes the same road into the inbox as
 * the providers' webhooks (ingest.c). There is no provider to verify or send to.
 */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

static bool is_client_id(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	return n > 0 && n <= WEBCHAT_CLIENT_ID_MAX && s[n] == '\0';
}

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

int webchat_message_parse(int64_t visitor_id, const char *name, const char *client_id,
                          const char *text, int64_t now_ms, struct inbound_list **out,
                          struct error *e)
{
	size_t len = strlen(text);
	if (!is_client_id(client_id))
		return error_set(e, ERR_INVALID, "'client_id' must be 1 to %d of A-Z a-z 0-9 _ -",
		                 WEBCHAT_CLIENT_ID_MAX);
	if (len > WEBCHAT_TEXT_MAX)
		return error_set(e, ERR_INVALID, "'text' is longer than %d bytes",
		                 WEBCHAT_TEXT_MAX);
	if (is_blank(text))
		return error_set(e, ERR_INVALID, "'text' is empty");
	if (!utf8_is_clean(text, len))
		return error_set(e, ERR_INVALID, "'text' holds control characters");
	char contact[32], mid[32 + WEBCHAT_CLIENT_ID_MAX];
	snprintf(contact, sizeof(contact), "web-%lld", (long long)visitor_id);
	snprintf(mid, sizeof(mid), "web-%lld:%s", (long long)visitor_id, client_id);
	struct inbound_event ev = {
		.kind = INBOUND_KIND_MESSAGE,
		.channel = CHANNEL_WEBCHAT,
		.contact_id = xstrdup(contact),
		.contact_name = name != NULL && !is_blank(name)
		                    ? text_clean(name, strlen(name), INBOUND_NAME_MAX, NULL)
		                    : NULL,
		.message_id = xstrdup(mid),
		.time_ms = now_ms,
		.msg = { .type = INBOUND_TYPE_TEXT,
		         .raw_type = xstrdup("text"),
		         .text = xstrdup(text) },
	};
	*out = inbound_list_new();
	inbound_list_push(*out, &ev);
	return 0;
}
