/*
 * The WhatsApp Cloud API: the "messages" and "smb_message_echoes" changes of a
 * whatsapp_business_account webhook (customer messages, our messages' statuses, echoes of
 * what the business sent from the WhatsApp Business app) and the text send request. The
 * envelope and the signature are meta.c's, Graph errors graph.c's. No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

#define CONTACT_CARDS_MAX 10 /* cards of a contacts message summarised in its text */

const json_t *whatsapp_change_channel(const json_t *change)
{
	return json_object_get(jobj(jobj(change, "value"), "metadata"), "phone_number_id");
}

/* The profile name of wa_id in value.contacts[], or NULL. */
static char *contact_name(const json_t *contacts, const char *wa_id)
{
	const json_t *c;
	size_t i;

	json_array_foreach(contacts, i, c)
	{
		const char *id = jstr(c, "wa_id");
		if (id != NULL && strcmp(id, wa_id) == 0)
			return field_text(json_object_get(jobj(c, "profile"), "name"),
			                  INBOUND_NAME_MAX, NULL);
	}
	return NULL;
}

static void read_media(const json_t *media, struct inbound_message *msg)
{
	msg->media_ref = field_id(json_object_get(media, "id"));
	msg->media_mime = field_text(json_object_get(media, "mime_type"), INBOUND_NAME_MAX, NULL);
	msg->file_name = field_text(json_object_get(media, "filename"), INBOUND_NAME_MAX, NULL);
	msg->text = field_text(json_object_get(media, "caption"), INBOUND_TEXT_MAX,
	                       &msg->is_text_truncated);
}

/* "Ana López +34 600 000 001", one line per card. */
static void read_contacts(const json_t *cards, struct inbound_message *msg)
{
	struct buf b = BUF_INIT;
	const json_t *card;
	size_t i;

	json_array_foreach(cards, i, card)
	{
		const char *name = jstr(jobj(card, "name"), "formatted_name");
		const char *phone = jstr(json_array_get(jarr(card, "phones"), 0), "phone");
		if (i == CONTACT_CARDS_MAX)
			break;
		if (b.len > 0)
			buf_putc(&b, '\n');
		buf_puts(&b, name != NULL ? name : "?");
		if (phone != NULL)
			buf_printf(&b, " %s", phone);
	}
	if (b.len > 0)
		msg->text = text_clean(b.data, b.len, INBOUND_TEXT_MAX, &msg->is_text_truncated);
	buf_free(&b);
}

static void read_reply(const json_t *reply, const char *raw_type, struct inbound_message *msg)
{
	msg->type = INBOUND_TYPE_REPLY;
	msg->raw_type = xstrdup(raw_type);
	msg->text = field_text(json_object_get(reply, "title"), INBOUND_NAME_MAX, NULL);
	msg->payload = field_text(json_object_get(reply, "id"), INBOUND_PAYLOAD_MAX, NULL);
}

static void read_interactive(const json_t *interactive, struct inbound_message *msg)
{
	const char *type = jstr(interactive, "type");
	const json_t *reply = type != NULL ? jobj(interactive, type) : NULL;

	if (reply != NULL &&
	    (strcmp(type, "button_reply") == 0 || strcmp(type, "list_reply") == 0)) {
		read_reply(reply, type, msg);
		return;
	}
	msg->type = INBOUND_TYPE_UNSUPPORTED;
	msg->raw_type = field_text(json_object_get(interactive, "type"), INBOUND_NAME_MAX, NULL);
	if (msg->raw_type == NULL)
		msg->raw_type = xstrdup("interactive");
	msg->text =
	    field_text(json_object_get(reply, "body"), INBOUND_TEXT_MAX, &msg->is_text_truncated);
}

static void read_reaction(const json_t *reaction, struct inbound_message *msg)
{
	const char *emoji = jstr(reaction, "emoji");
	bool is_removed = emoji == NULL || emoji[0] == '\0';

	msg->type = INBOUND_TYPE_UNSUPPORTED;
	msg->raw_type = xstrdup(is_removed ? "reaction_removed" : "reaction");
	if (!is_removed)
		msg->text = field_text(json_object_get(reaction, "emoji"), INBOUND_NAME_MAX, NULL);
	msg->reply_to_id = field_id(json_object_get(reaction, "message_id"));
}

/* The message types that carry one media object under their own name. */
static bool media_type(const char *type, enum inbound_type *out)
{
	static const struct {
		const char *name;
		enum inbound_type type;
	} media[] = {
		{ "image", INBOUND_TYPE_IMAGE },     { "audio", INBOUND_TYPE_AUDIO },
		{ "video", INBOUND_TYPE_VIDEO },     { "document", INBOUND_TYPE_DOCUMENT },
		{ "sticker", INBOUND_TYPE_STICKER },
	};
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (strcmp(type, media[i].name) == 0) {
			*out = media[i].type;
			return true;
		}
	return false;
}

/* Fills msg from a message (or echo) object; NULL, or why it cannot be stored. */
static const char *read_content(const json_t *m, struct inbound_message *msg)
{
	const char *type = jstr(m, "type");

	msg->type = INBOUND_TYPE_UNSUPPORTED;
	msg->reply_to_id = field_id(json_object_get(jobj(m, "context"), "id"));
	if (type == NULL) {
		msg->raw_type = xstrdup("unknown");
		return NULL;
	}
	if (strcmp(type, "text") == 0) {
		msg->type = INBOUND_TYPE_TEXT;
		msg->text = field_text(json_object_get(jobj(m, "text"), "body"), INBOUND_TEXT_MAX,
		                       &msg->is_text_truncated);
	} else if (media_type(type, &msg->type)) {
		read_media(jobj(m, type), msg);
	} else if (strcmp(type, "location") == 0) {
		const json_t *loc = jobj(m, "location");
		if (!location_read(json_object_get(loc, "latitude"),
		                   json_object_get(loc, "longitude"), msg))
			return "location without valid coordinates";
		msg->type = INBOUND_TYPE_LOCATION;
		msg->place_name = field_text(json_object_get(loc, "name"), INBOUND_NAME_MAX, NULL);
		msg->place_address =
		    field_text(json_object_get(loc, "address"), INBOUND_NAME_MAX, NULL);
	} else if (strcmp(type, "contacts") == 0) {
		msg->type = INBOUND_TYPE_CONTACTS;
		read_contacts(jarr(m, "contacts"), msg);
	} else if (strcmp(type, "interactive") == 0) {
		read_interactive(jobj(m, "interactive"), msg);
		return NULL;
	} else if (strcmp(type, "button") == 0) {
		const json_t *button = jobj(m, "button");
		msg->type = INBOUND_TYPE_REPLY;
		msg->text = field_text(json_object_get(button, "text"), INBOUND_NAME_MAX, NULL);
		msg->payload =
		    field_text(json_object_get(button, "payload"), INBOUND_PAYLOAD_MAX, NULL);
	} else if (strcmp(type, "reaction") == 0) {
		free(msg->reply_to_id);
		msg->reply_to_id = NULL;
		read_reaction(jobj(m, "reaction"), msg);
		return NULL;
	} else if (strcmp(type, "system") == 0) {
		msg->text = field_text(json_object_get(jobj(m, "system"), "body"), INBOUND_TEXT_MAX,
		                       &msg->is_text_truncated);
	}
	msg->raw_type = field_text(json_object_get(m, "type"), INBOUND_NAME_MAX, NULL);
	return NULL;
}

/* What the items of one change share. */
struct change {
	const char *channel_id;
	const json_t *contacts;
	int64_t now_ms;
	struct inbound_list *list;
};

static void read_message(const struct change *c, const json_t *m, enum inbound_kind kind)
{
	const char *what = kind == INBOUND_KIND_ECHO ? "echo" : "message";
	struct inbound_event ev = { .kind = kind, .channel = CHANNEL_WHATSAPP };
	const char *why;

	ev.channel_id = xstrdup(c->channel_id);
	ev.contact_id = field_id(json_object_get(m, kind == INBOUND_KIND_ECHO ? "to" : "from"));
	ev.message_id = field_id(json_object_get(m, "id"));
	if (ev.contact_id == NULL || ev.message_id == NULL) {
		inbound_list_skip(
		    c->list, "WhatsApp %s without a valid %s", what,
		    ev.contact_id == NULL ? (kind == INBOUND_KIND_ECHO ? "to" : "from") : "id");
		goto fail;
	}
	if (kind == INBOUND_KIND_MESSAGE)
		ev.contact_name = contact_name(c->contacts, ev.contact_id);
	ev.time_ms = time_from_json(json_object_get(m, "timestamp"), 1000, c->now_ms);
	why = read_content(m, &ev.msg);
	if (why != NULL) {
		inbound_list_skip(c->list, "WhatsApp %s %.64s: %s", what, ev.message_id, why);
		goto fail;
	}
	inbound_list_push(c->list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

static bool state_read(const char *s, enum inbound_delivery *out)
{
	static const struct {
		const char *name;
		enum inbound_delivery state;
	} states[] = {
		{ "sent", INBOUND_SENT },
		{ "delivered", INBOUND_DELIVERED },
		{ "read", INBOUND_READ },
		{ "failed", INBOUND_FAILED },
	};
	for (size_t i = 0; s != NULL && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i].name) == 0) {
			*out = states[i].state;
			return true;
		}
	return false;
}

static void read_status(const struct change *c, const json_t *st)
{
	struct inbound_event ev = { .kind = INBOUND_KIND_STATUS, .channel = CHANNEL_WHATSAPP };
	const json_t *error = json_array_get(jarr(st, "errors"), 0);
	json_int_t code = 0;

	ev.channel_id = xstrdup(c->channel_id);
	ev.message_id = field_id(json_object_get(st, "id"));
	ev.contact_id = field_id(json_object_get(st, "recipient_id"));
	ev.time_ms = time_from_json(json_object_get(st, "timestamp"), 1000, c->now_ms);
	if (ev.message_id == NULL) {
		inbound_list_skip(c->list, "WhatsApp status without a valid id");
		goto fail;
	}
	if (!state_read(jstr(st, "status"), &ev.status.state)) {
		char reason[INBOUND_NAME_MAX];
		snprintf(reason, sizeof(reason), "WhatsApp status '%.32s' of %.64s is not handled",
		         jstr(st, "status") != NULL ? jstr(st, "status") : "(none)", ev.message_id);
		ev.kind = INBOUND_KIND_IGNORED;
		ev.reason = text_clean(reason, strlen(reason), INBOUND_NAME_MAX, NULL);
		inbound_list_push(c->list, &ev);
		return;
	}
	if (jint(error, "code", &code))
		ev.status.error_code = (long)code;
	ev.status.error_title = field_text(json_object_get(error, "title"), INBOUND_NAME_MAX, NULL);
	if (ev.status.error_title == NULL)
		ev.status.error_title =
		    field_text(json_object_get(error, "message"), INBOUND_NAME_MAX, NULL);
	inbound_list_push(c->list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

static void read_error(const struct change *c, const json_t *error)
{
	json_int_t code = 0;
	char title[128];

	jint(error, "code", &code);
	reason_quote(title, sizeof(title),
	             jstr(error, "title") != NULL ? jstr(error, "title") : jstr(error, "message"));
	inbound_list_ignore(c->list, CHANNEL_WHATSAPP, c->channel_id, c->now_ms,
	                    "WhatsApp reported error %" JSON_INTEGER_FORMAT ": %s", code, title);
}

void whatsapp_change_events(const json_t *change, int64_t now_ms, struct inbound_list *list)
{
	const json_t *value = jobj(change, "value");
	const json_t *messages = jarr(value, "messages");
	const json_t *echoes = jarr(value, "message_echoes");
	const json_t *statuses = jarr(value, "statuses");
	const json_t *errors = jarr(value, "errors");
	char *channel = field_id(whatsapp_change_channel(change));
	struct change c = { channel, jarr(value, "contacts"), now_ms, list };
	const json_t *item;
	size_t i;

	if (channel == NULL) {
		if (json_array_size(messages) + json_array_size(echoes) +
		        json_array_size(statuses) + json_array_size(errors) >
		    0)
			inbound_list_skip(list, "WhatsApp change without a valid phone_number_id");
		return;
	}
	json_array_foreach(messages, i, item)
	{
		read_message(&c, item, INBOUND_KIND_MESSAGE);
	}
	json_array_foreach(echoes, i, item)
	{
		read_message(&c, item, INBOUND_KIND_ECHO);
	}
	json_array_foreach(statuses, i, item)
	{
		read_status(&c, item);
	}
	json_array_foreach(errors, i, item)
	{
		read_error(&c, item);
	}
	free(channel);
}

struct channel_request *whatsapp_request(const struct channel_send *s)
{
	char path[160];
	struct channel_request *r;

	if (s->file != NULL)
		return whatsapp_file_request(s);
	if (s->template != NULL)
		return whatsapp_template_request(s);
	snprintf(path, sizeof(path), "/%s/%s/messages", s->api_version, s->channel_id);
	r = request_start(s->api_url, path, NULL);
	request_bearer(r, s->token);
	if (s->menu != NULL)
		request_body(r, json_pack("{s:s, s:s, s:s, s:s, s:o}", "messaging_product",
		                          "whatsapp", "recipient_type", "individual", "to",
		                          s->recipient, "type", "interactive", "interactive",
		                          whatsapp_menu_interactive(s->text, s->menu)));
	else
		request_body(r, json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "messaging_product",
		                          "whatsapp", "recipient_type", "individual", "to",
		                          s->recipient, "type", "text", "text", "body", s->text));
	return r;
}
