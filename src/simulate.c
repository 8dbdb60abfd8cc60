/* Provider webhook bodies for one customer text; see simulate.h. */
#include "simulate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/token.h"

static char *whatsapp(const char *external_id, const char *from, const char *name, const char *text,
                      const char *mid, int64_t now_ms)
{
	char seconds[24];
	snprintf(seconds, sizeof(seconds), "%lld", (long long)(now_ms / 1000));
	json_t *value =
	    json_pack("{s:s,s:{s:s,s:s},s:[{s:{s:s},s:s}],s:[{s:s,s:s,s:s,s:s,s:{s:s}}]}",
	              "messaging_product", "whatsapp", "metadata", "display_phone_number",
	              external_id, "phone_number_id", external_id, "contacts", "profile", "name",
	              name, "wa_id", from, "messages", "from", from, "id", mid, "timestamp",
	              seconds, "type", "text", "text", "body", text);
	json_t *body =
	    json_pack("{s:s,s:[{s:s,s:[{s:s,s:o}]}]}", "object", "whatsapp_business_account",
	              "entry", "id", external_id, "changes", "field", "messages", "value", value);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

/* Messenger and Instagram share the Messenger Platform's envelope. */
static char *messaging(enum channel_kind kind, const char *external_id, const char *from,
                       const char *text, const char *mid, int64_t now_ms)
{
	json_t *body = json_pack(
	    "{s:s,s:[{s:s,s:I,s:[{s:{s:s},s:{s:s},s:I,s:{s:s,s:s}}]}]}", "object",
	    kind == CHANNEL_MESSENGER ? "page" : "instagram", "entry", "id", external_id, "time",
	    (json_int_t)now_ms, "messaging", "sender", "id", from, "recipient", "id", external_id,
	    "timestamp", (json_int_t)now_ms, "message", "mid", mid, "text", text);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

static char *telegram(const char *from, const char *name, const char *text, int64_t now_ms)
{
	char *end;
	long long user = strtoll(from, &end, 10);
	if (*from == '\0' || *end != '\0' || user <= 0)
		return NULL;
	unsigned int id;
	token_random_bytes(&id, sizeof(id));
	json_int_t message_id = (json_int_t)(id & 0x7fffffff);
	json_t *person =
	    json_pack("{s:I,s:b,s:s}", "id", (json_int_t)user, "is_bot", 0, "first_name", name);
	json_t *chat = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)user, "type", "private",
	                         "first_name", name);
	json_t *body = json_pack("{s:I,s:{s:I,s:o,s:o,s:I,s:s}}", "update_id", message_id,
	                         "message", "message_id", message_id, "from", person, "chat", chat,
	                         "date", (json_int_t)(now_ms / 1000), "text", text);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

char *simulate_payload(enum channel_kind kind, const char *external_id, const char *from,
                       const char *name, const char *text, int64_t now_ms)
{
	char random[TOKEN_TEXT_LEN], mid[TOKEN_TEXT_LEN + 16];
	token_generate(random);
	switch (kind) {
	case CHANNEL_WHATSAPP:
		snprintf(mid, sizeof(mid), "wamid.sim-%s", random);
		return whatsapp(external_id, from, name, text, mid, now_ms);
	case CHANNEL_MESSENGER:
	case CHANNEL_INSTAGRAM:
		snprintf(mid, sizeof(mid), "m_sim-%s", random);
		return messaging(kind, external_id, from, text, mid, now_ms);
	case CHANNEL_TELEGRAM:
		return telegram(from, name, text, now_ms);
	case CHANNEL_WEBCHAT: /* the widget posts to the visitor API, not to a webhook */
		break;
	}
	return NULL;
}
