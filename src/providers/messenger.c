/*
 * The Messenger Platform, which Messenger and Instagram share: the "messaging" items of a
 * page or instagram webhook entry (messages, postbacks, receipts, reactions, echoes) and the
 * text send request. The envelope and the signature are meta.c's, Graph errors graph.c's.
 * No I/O here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "providers/internal.h"

/* What one messaging item of a Messenger or Instagram entry is read with. */
struct messaging {
	enum channel_kind kind;
	const char *channel_id;
	int64_t now_ms;
	struct inbound_list *list;
	const json_t *item;
	char *sender;    /* the customer, except in echoes */
	char *recipient; /* the page or IG account, except in echoes */
	int64_t time_ms;
};

/* Starts an event from the item's channel, time and the given contact (copied). */
static void event_start(const struct messaging *m, struct inbound_event *ev, enum inbound_kind kind,
                        const char *contact)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->channel = m->kind;
	ev->channel_id = xstrdup(m->channel_id);
	ev->contact_id = contact != NULL ? xstrdup(contact) : NULL;
	ev->time_ms = m->time_ms;
}

/* Fills m from one entry of message.attachments. */
static void read_attachment(const json_t *att, struct inbound_message *m)
{
	const char *type = jstr(att, "type");
	json_t *payload = jobj(att, "payload");

	m->raw_type = field_text(json_object_get(att, "type"), INBOUND_NAME_MAX, NULL);
	if (m->raw_type == NULL)
		m->raw_type = xstrdup("unknown");
	m->media_ref = field_url(json_object_get(payload, "url"));
	m->type = INBOUND_TYPE_UNSUPPORTED;
	if (type == NULL)
		return;
	if (strcmp(type, "image") == 0 && json_object_get(payload, "sticker_id") != NULL) {
		m->type = INBOUND_TYPE_STICKER;
		free(m->raw_type);
		m->raw_type = xstrdup("sticker");
	} else if (strcmp(type, "image") == 0) {
		m->type = INBOUND_TYPE_IMAGE;
	} else if (strcmp(type, "audio") == 0) {
		m->type = INBOUND_TYPE_AUDIO;
	} else if (strcmp(type, "video") == 0) {
		m->type = INBOUND_TYPE_VIDEO;
	} else if (strcmp(type, "file") == 0) {
		m->type = INBOUND_TYPE_DOCUMENT;
	} else if (strcmp(type, "location") == 0) {
		json_t *at = jobj(payload, "coordinates");
		if (location_read(json_object_get(at, "lat"), json_object_get(at, "long"), m)) {
			m->type = INBOUND_TYPE_LOCATION;
			m->place_name =
			    field_text(json_object_get(att, "title"), INBOUND_NAME_MAX, NULL);
		}
	}
}

/* Copies what every attachment of one message shares: contact, reply context, app. */
static void copy_shared(const struct inbound_event *from, struct inbound_event *to)
{
	to->kind = from->kind;
	to->channel = from->channel;
	to->channel_id = xstrdup(from->channel_id);
	to->contact_id = xstrdup(from->contact_id);
	to->time_ms = from->time_ms;
	if (from->msg.reply_to_id != NULL)
		to->msg.reply_to_id = xstrdup(from->msg.reply_to_id);
	if (from->msg.story_url != NULL)
		to->msg.story_url = xstrdup(from->msg.story_url);
	if (from->msg.app_id != NULL)
		to->msg.app_id = xstrdup(from->msg.app_id);
}

/*
 * One event per attachment: the first keeps the mid and the text as its caption, the n-th
 * (n >= 2) gets "<mid>#<n>" so that each stays a distinct, stable dedupe key.
 */
static void push_attachments(const struct messaging *m, struct inbound_event *first,
                             const json_t *atts)
{
	struct inbound_event shared = { 0 };
	const json_t *att;
	size_t i;

	copy_shared(first, &shared);
	shared.message_id = xstrdup(first->message_id);
	json_array_foreach(atts, i, att)
	{
		struct inbound_event ev = { 0 };
		char id[INBOUND_ID_MAX + 32];
		if (i == 0) {
			read_attachment(att, &first->msg);
			inbound_list_push(m->list, first);
			continue;
		}
		snprintf(id, sizeof(id), "%s#%zu", shared.message_id, i + 1);
		copy_shared(&shared, &ev);
		ev.message_id = id_from(id);
		if (ev.message_id == NULL) {
			inbound_list_skip(m->list, "%s attachment %zu: its id would be too long",
			                  channel_kind_label(m->kind), i + 1);
			inbound_event_clear(&ev);
			continue;
		}
		read_attachment(att, &ev.msg);
		inbound_list_push(m->list, &ev);
	}
	inbound_event_clear(&shared);
}

static void read_reply_to(const json_t *message, struct inbound_message *msg)
{
	json_t *reply_to = jobj(message, "reply_to");
	json_t *story = jobj(reply_to, "story");

	if (story != NULL) {
		msg->reply_to_id = field_id_or_int(json_object_get(story, "id"));
		msg->story_url = field_url(json_object_get(story, "url"));
	} else {
		msg->reply_to_id = field_id(json_object_get(reply_to, "mid"));
	}
}

static void read_message(const struct messaging *m, const json_t *message)
{
	bool is_echo = json_is_true(json_object_get(message, "is_echo"));
	json_t *quick = jobj(message, "quick_reply");
	json_t *atts = jarr(message, "attachments");
	struct inbound_event ev;
	struct inbound_message *msg = &ev.msg;

	event_start(m, &ev, is_echo ? INBOUND_KIND_ECHO : INBOUND_KIND_MESSAGE,
	            is_echo ? m->recipient : m->sender);
	if (ev.contact_id == NULL) {
		inbound_list_skip(m->list, "%s message without a valid %s id",
		                  channel_kind_label(m->kind), is_echo ? "recipient" : "sender");
		goto fail;
	}
	ev.message_id = field_id(json_object_get(message, "mid"));
	if (ev.message_id == NULL) {
		inbound_list_skip(m->list, "%s message without a valid mid",
		                  channel_kind_label(m->kind));
		goto fail;
	}
	if (json_is_true(json_object_get(message, "is_deleted"))) {
		char reason[INBOUND_NAME_MAX];
		snprintf(reason, sizeof(reason), "%s: the customer deleted message %.64s",
		         channel_kind_label(m->kind), ev.message_id);
		ev.kind = INBOUND_KIND_IGNORED;
		ev.reason = xstrdup(reason);
		inbound_list_push(m->list, &ev);
		return;
	}
	read_reply_to(message, msg);
	if (is_echo)
		msg->app_id = field_id_or_int(json_object_get(message, "app_id"));
	msg->text =
	    field_text(json_object_get(message, "text"), INBOUND_TEXT_MAX, &msg->is_text_truncated);
	if (quick != NULL) {
		msg->type = INBOUND_TYPE_REPLY;
		msg->raw_type = xstrdup("quick_reply");
		msg->payload =
		    field_text(json_object_get(quick, "payload"), INBOUND_PAYLOAD_MAX, NULL);
	} else if (json_array_size(atts) > 0) {
		push_attachments(m, &ev, atts);
		return;
	} else if (msg->text != NULL) {
		msg->type = INBOUND_TYPE_TEXT;
		msg->raw_type = xstrdup("text");
	} else {
		msg->type = INBOUND_TYPE_UNSUPPORTED;
		msg->raw_type =
		    xstrdup(json_is_true(json_object_get(message, "is_unsupported")) ? "unsupported"
		                                                                     : "unknown");
	}
	inbound_list_push(m->list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

static void read_postback(const struct messaging *m, const json_t *postback)
{
	struct inbound_event ev;

	event_start(m, &ev, INBOUND_KIND_MESSAGE, m->sender);
	if (ev.contact_id == NULL) {
		inbound_list_skip(m->list, "%s postback without a valid sender id",
		                  channel_kind_label(m->kind));
		goto fail;
	}
	ev.message_id = field_id(json_object_get(postback, "mid"));
	if (ev.message_id == NULL) {
		/* Before Graph v11 postbacks had no mid: who tapped, and when, names one. */
		char id[INBOUND_ID_MAX + 64];
		snprintf(id, sizeof(id), "postback:%s:%" PRId64, m->sender, m->time_ms);
		ev.message_id = id_from(id);
	}
	if (ev.message_id == NULL) {
		inbound_list_skip(m->list, "%s postback without a usable id",
		                  channel_kind_label(m->kind));
		goto fail;
	}
	ev.msg.type = INBOUND_TYPE_REPLY;
	ev.msg.raw_type = xstrdup("postback");
	ev.msg.text = field_text(json_object_get(postback, "title"), INBOUND_NAME_MAX, NULL);
	ev.msg.payload =
	    field_text(json_object_get(postback, "payload"), INBOUND_PAYLOAD_MAX, NULL);
	inbound_list_push(m->list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

/* A STATUS by message id (mid not NULL) or by watermark. */
static void push_status(const struct messaging *m, enum inbound_delivery state, const json_t *mid,
                        int64_t watermark_ms)
{
	struct inbound_event ev;

	event_start(m, &ev, INBOUND_KIND_STATUS, m->sender);
	ev.status.state = state;
	if (mid != NULL) {
		ev.message_id = field_id(mid);
		if (ev.message_id == NULL) {
			inbound_list_skip(m->list, "%s status with an invalid message id",
			                  channel_kind_label(m->kind));
			inbound_event_clear(&ev);
			return;
		}
	} else {
		ev.status.watermark_ms = watermark_ms;
	}
	inbound_list_push(m->list, &ev);
}

/*
 * delivery: {"mids": [...], "watermark": ms} and read: {"watermark": ms} on Messenger, read:
 * {"mid": "..."} on Instagram. Each mid gives a STATUS by id, the watermark one by watermark.
 */
static void read_receipt(const struct messaging *m, const json_t *receipt,
                         enum inbound_delivery state)
{
	const json_t *mids = jarr(receipt, "mids");
	const json_t *mid = json_object_get(receipt, "mid");
	const json_t *v;
	json_int_t watermark;
	bool has_watermark = jint(receipt, "watermark", &watermark);
	size_t i;

	if (m->sender == NULL) {
		inbound_list_skip(m->list, "%s receipt without a valid sender id",
		                  channel_kind_label(m->kind));
		return;
	}
	if (mid == NULL && json_array_size(mids) == 0 && !has_watermark) {
		inbound_list_skip(m->list, "%s receipt without mids or watermark",
		                  channel_kind_label(m->kind));
		return;
	}
	if (mid != NULL)
		push_status(m, state, mid, 0);
	json_array_foreach(mids, i, v) push_status(m, state, v, 0);
	if (has_watermark)
		push_status(m, state, NULL, time_clamp(true, watermark, 1, m->now_ms));
}

/*
 * A reaction is a MESSAGE of type UNSUPPORTED ("reaction", or "reaction_removed" when the
 * customer takes it back) answering the message it reacts to. It has no id of its own: the
 * reacted message, the word "reaction" and the time make one.
 */
static void read_reaction(const struct messaging *m, const json_t *reaction)
{
	const char *action = jstr(reaction, "action");
	bool is_removed = action != NULL && strcmp(action, "unreact") == 0;
	char id[INBOUND_ID_MAX + 64];
	struct inbound_event ev;

	event_start(m, &ev, INBOUND_KIND_MESSAGE, m->sender);
	ev.msg.reply_to_id = field_id(json_object_get(reaction, "mid"));
	if (ev.contact_id == NULL || ev.msg.reply_to_id == NULL) {
		inbound_list_skip(m->list, "%s reaction without a valid sender or mid",
		                  channel_kind_label(m->kind));
		goto fail;
	}
	snprintf(id, sizeof(id), "%s:reaction:%" PRId64, ev.msg.reply_to_id, m->time_ms);
	ev.message_id = id_from(id);
	if (ev.message_id == NULL) {
		inbound_list_skip(m->list, "%s reaction: its id would be too long",
		                  channel_kind_label(m->kind));
		goto fail;
	}
	ev.msg.type = INBOUND_TYPE_UNSUPPORTED;
	ev.msg.raw_type = xstrdup(is_removed ? "reaction_removed" : "reaction");
	if (!is_removed)
		ev.msg.text =
		    field_text(json_object_get(reaction, "emoji"), INBOUND_NAME_MAX, NULL);
	inbound_list_push(m->list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

/* The first member of item that is not sender, recipient or timestamp: the event's name. */
static const char *event_name(const json_t *item)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)item, key, v)
	{
		if (strcmp(key, "sender") != 0 && strcmp(key, "recipient") != 0 &&
		    strcmp(key, "timestamp") != 0)
			return key;
	}
	return "(none)";
}

static void read_messaging(struct messaging *m)
{
	const json_t *item = m->item;
	json_t *v;

	m->sender = field_id_or_int(json_object_get(jobj(item, "sender"), "id"));
	m->recipient = field_id_or_int(json_object_get(jobj(item, "recipient"), "id"));
	m->time_ms = time_from_json(json_object_get(item, "timestamp"), 1, m->now_ms);
	if ((v = jobj(item, "message")) != NULL)
		read_message(m, v);
	else if ((v = jobj(item, "postback")) != NULL)
		read_postback(m, v);
	else if ((v = jobj(item, "delivery")) != NULL)
		read_receipt(m, v, INBOUND_DELIVERED);
	else if ((v = jobj(item, "read")) != NULL)
		read_receipt(m, v, INBOUND_READ);
	else if ((v = jobj(item, "reaction")) != NULL)
		read_reaction(m, v);
	else
		inbound_list_ignore(m->list, m->kind, m->channel_id, m->time_ms,
		                    "%s event '%.64s' is not handled", channel_kind_label(m->kind),
		                    event_name(item));
	free(m->sender);
	free(m->recipient);
	m->sender = m->recipient = NULL;
}

void messenger_entry_events(enum channel_kind kind, const json_t *entry, int64_t now_ms,
                            struct inbound_list *list)
{
	struct messaging m = { .kind = kind, .now_ms = now_ms, .list = list };
	char *channel = field_id_or_int(json_object_get(entry, "id"));
	const json_t *item;
	size_t i;

	json_array_foreach(jarr(entry, "messaging"), i, item)
	{
		if (channel == NULL) {
			inbound_list_skip(list, "%s entry without a valid id",
			                  channel_kind_label(kind));
			continue;
		}
		if (!json_is_object(item)) {
			inbound_list_skip(list, "%s messaging item is not an object",
			                  channel_kind_label(kind));
			continue;
		}
		m.channel_id = channel;
		m.item = item;
		read_messaging(&m);
	}
	free(channel);
}

struct channel_request *messenger_request(const struct channel_send *s)
{
	char path[64];
	struct channel_request *r;

	if (s->file != NULL)
		return messenger_file_request(s);
	snprintf(path, sizeof(path), "/%s/me/messages", s->api_version);
	r = request_start(s->api_url, path, NULL);
	request_bearer(r, s->token);
	json_t *body = json_pack("{s:{s:s}, s:s, s:{s:s}}", "recipient", "id", s->recipient,
	                         "messaging_type", "RESPONSE", "message", "text", s->text);
	if (s->menu != NULL)
		json_object_set_new(json_object_get(body, "message"), "quick_replies",
		                    messenger_quick_replies(s->menu));
	/* A human's reply after the 24-hour window (within 7 days) carries Meta's tag. */
	if (s->tag != NULL) {
		json_object_set_new(body, "messaging_type", json_string("MESSAGE_TAG"));
		json_object_set_new(body, "tag", json_string(s->tag));
	}
	request_body(r, body);
	return r;
}
