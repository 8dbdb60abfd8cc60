/*
 * The Messenger Platform, which Messenger and Instagram share, and what every Meta webhook
 * has in common (WhatsApp included): the X-Hub-Signature-256 check, the GET handshake, the
 * {"object", "entry": [...]} envelope, and Graph API error answers. WhatsApp's own payload
 * lives in whatsapp.c. No I/O here.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

struct meta_webhook {
	enum channel_kind kind;
	json_t *root;
	char *ids[META_MAX_CHANNELS];
	size_t id_count;
};

static void hmac(const char *body, size_t len, const char *app_secret,
                 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)app_secret, strlen(app_secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, out);
}

void meta_signature_header(const char *body, size_t len, const char *app_secret,
                           char out[META_SIGNATURE_LEN])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac(body, len, app_secret, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, META_SIGNATURE_LEN - 7, mac, sizeof(mac));
}

int meta_signature_verify(const char *header, const char *body, size_t len, const char *app_secret)
{
	static const char prefix[] = "sha256=";
	unsigned char expected[crypto_auth_hmacsha256_BYTES];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	size_t mac_len = 0;
	const char *hex_end = NULL;
	int rc = ERR_BAD_SIGNATURE;

	if (header == NULL || app_secret == NULL || app_secret[0] == '\0' ||
	    (body == NULL && len > 0))
		goto out;
	if (strncmp(header, prefix, sizeof(prefix) - 1) != 0)
		goto out;
	header += sizeof(prefix) - 1;
	if (strlen(header) != 2 * sizeof(mac))
		goto out;
	if (sodium_hex2bin(mac, sizeof(mac), header, 2 * sizeof(mac), NULL, &mac_len, &hex_end) !=
	        0 ||
	    mac_len != sizeof(mac) || *hex_end != '\0')
		goto out;

	hmac(body, len, app_secret, expected);
	if (sodium_memcmp(expected, mac, sizeof(mac)) == 0)
		rc = 0;
out:
	sodium_memzero(expected, sizeof(expected));
	return rc;
}

int meta_subscription_verify(const char *mode, const char *verify_token, const char *challenge,
                             const char *expected_token)
{
	if (mode == NULL || strcmp(mode, "subscribe") != 0 || challenge == NULL ||
	    verify_token == NULL || expected_token == NULL || expected_token[0] == '\0')
		return ERR_FORBIDDEN;
	size_t len = strlen(challenge);
	if (len == 0 || len > 64)
		return ERR_FORBIDDEN;
	for (size_t i = 0; i < len; i++)
		if (challenge[i] < 0x21 || challenge[i] > 0x7e || challenge[i] == '<' ||
		    challenge[i] == '>' || challenge[i] == '&')
			return ERR_FORBIDDEN;
	return token_equal(verify_token, expected_token) ? 0 : ERR_FORBIDDEN;
}

static const char *object_name(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "whatsapp_business_account";
	case CHANNEL_MESSENGER:
		return "page";
	case CHANNEL_INSTAGRAM:
		return "instagram";
	case CHANNEL_TELEGRAM:
	case CHANNEL_WEBCHAT:
		break;
	}
	return NULL;
}

/* Adds id to the distinct ids; -1 when there would be more than META_MAX_CHANNELS. */
static int add_channel(struct meta_webhook *w, const char *id)
{
	if (id == NULL)
		return 0;
	for (size_t i = 0; i < w->id_count; i++)
		if (strcmp(w->ids[i], id) == 0)
			return 0;
	if (w->id_count == META_MAX_CHANNELS)
		return -1;
	w->ids[w->id_count++] = xstrdup(id);
	return 0;
}

static int collect_channels(struct meta_webhook *w, struct error *e)
{
	json_t *entry, *change;
	size_t i, j;

	json_array_foreach(jarr(w->root, "entry"), i, entry)
	{
		if (w->kind != CHANNEL_WHATSAPP) {
			char *id = field_id_or_int(json_object_get(entry, "id"));
			int rc = add_channel(w, id);
			free(id);
			if (rc < 0)
				goto too_many;
			continue;
		}
		json_array_foreach(jarr(entry, "changes"), j, change)
		{
			char *id = field_id(whatsapp_change_channel(change));
			int rc = add_channel(w, id);
			free(id);
			if (rc < 0)
				goto too_many;
		}
	}
	return 0;
too_many:
	return error_set(e, ERR_INVALID, "the webhook names more than %d channels",
	                 META_MAX_CHANNELS);
}

int meta_webhook_new(enum channel_kind kind, const char *body, size_t len,
                     struct meta_webhook **out, struct error *e)
{
	const char *object = object_name(kind);
	struct meta_webhook *w = NULL;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	if (object == NULL)
		return error_set(e, ERR_INVALID, "%s has no Meta webhook", channel_kind_name(kind));
	root = json_parse(body, len, e);
	if (root == NULL)
		return ERR_BAD_JSON;
	if (!json_is_object(root) || jstr(root, "object") == NULL ||
	    strcmp(jstr(root, "object"), object) != 0) {
		rc = error_set(e, ERR_INVALID, "not a %s webhook: \"object\" must be \"%s\"",
		               channel_kind_name(kind), object);
		goto fail;
	}
	w = xcalloc(1, sizeof(*w));
	w->kind = kind;
	w->root = root;
	rc = collect_channels(w, e);
	if (rc < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w != NULL)
		meta_webhook_free(w);
	else
		json_decref(root);
	return rc;
}

void meta_webhook_free(struct meta_webhook *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->id_count; i++)
		free(w->ids[i]);
	json_decref(w->root);
	free(w);
}

size_t meta_webhook_channel_count(const struct meta_webhook *w)
{
	return w->id_count;
}

const char *meta_webhook_channel_id(const struct meta_webhook *w, size_t i)
{
	return i < w->id_count ? w->ids[i] : NULL;
}

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

static const char *kind_label(enum channel_kind kind)
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
		if (inbound_list_is_full(m->list))
			break;
		snprintf(id, sizeof(id), "%s#%zu", shared.message_id, i + 1);
		copy_shared(&shared, &ev);
		ev.message_id = id_from(id);
		if (ev.message_id == NULL) {
			inbound_list_skip(m->list, "%s attachment %zu: its id would be too long",
			                  kind_label(m->kind), i + 1);
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
		inbound_list_skip(m->list, "%s message without a valid %s id", kind_label(m->kind),
		                  is_echo ? "recipient" : "sender");
		goto fail;
	}
	ev.message_id = field_id(json_object_get(message, "mid"));
	if (ev.message_id == NULL) {
		inbound_list_skip(m->list, "%s message without a valid mid", kind_label(m->kind));
		goto fail;
	}
	if (json_is_true(json_object_get(message, "is_deleted"))) {
		char reason[INBOUND_NAME_MAX];
		snprintf(reason, sizeof(reason), "%s: the customer deleted message %.64s",
		         kind_label(m->kind), ev.message_id);
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
		                  kind_label(m->kind));
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
		inbound_list_skip(m->list, "%s postback without a usable id", kind_label(m->kind));
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
			                  kind_label(m->kind));
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
	bool is_first = true;
	size_t i;

	if (m->sender == NULL) {
		inbound_list_skip(m->list, "%s receipt without a valid sender id",
		                  kind_label(m->kind));
		return;
	}
	if (mid == NULL && json_array_size(mids) == 0 && !has_watermark) {
		inbound_list_skip(m->list, "%s receipt without mids or watermark",
		                  kind_label(m->kind));
		return;
	}
	if (mid != NULL) {
		push_status(m, state, mid, 0);
		is_first = false;
	}
	json_array_foreach(mids, i, v)
	{
		if (!is_first && inbound_list_is_full(m->list))
			return;
		is_first = false;
		push_status(m, state, v, 0);
	}
	if (has_watermark && (is_first || !inbound_list_is_full(m->list)))
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
		                  kind_label(m->kind));
		goto fail;
	}
	snprintf(id, sizeof(id), "%s:reaction:%" PRId64, ev.msg.reply_to_id, m->time_ms);
	ev.message_id = id_from(id);
	if (ev.message_id == NULL) {
		inbound_list_skip(m->list, "%s reaction: its id would be too long",
		                  kind_label(m->kind));
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
		                    "%s event '%.64s' is not handled", kind_label(m->kind),
		                    event_name(item));
	free(m->sender);
	free(m->recipient);
	m->sender = m->recipient = NULL;
}

static void messaging_entry_events(const struct meta_webhook *w, const json_t *entry,
                                   int64_t now_ms, struct inbound_list *list)
{
	struct messaging m = { .kind = w->kind, .now_ms = now_ms, .list = list };
	char *channel = field_id_or_int(json_object_get(entry, "id"));
	const json_t *item;
	size_t i;

	json_array_foreach(jarr(entry, "messaging"), i, item)
	{
		if (inbound_list_is_full(list))
			break;
		if (channel == NULL) {
			inbound_list_skip(list, "%s entry without a valid id", kind_label(w->kind));
			continue;
		}
		if (!json_is_object(item)) {
			inbound_list_skip(list, "%s messaging item is not an object",
			                  kind_label(w->kind));
			continue;
		}
		m.channel_id = channel;
		m.item = item;
		read_messaging(&m);
	}
	free(channel);
}

struct inbound_list *meta_webhook_events(const struct meta_webhook *w, int64_t now_ms)
{
	struct inbound_list *list = inbound_list_new();
	const json_t *entry, *change;
	size_t i, j;

	json_array_foreach(jarr(w->root, "entry"), i, entry)
	{
		if (w->kind != CHANNEL_WHATSAPP) {
			messaging_entry_events(w, entry, now_ms, list);
			continue;
		}
		json_array_foreach(jarr(entry, "changes"), j, change)
		    whatsapp_change_events(change, now_ms, list);
	}
	return list;
}

/* How a Graph API error code (and, when not 0, subcode) is handled; {} names the provider. */
struct graph_rule {
	long code;
	long subcode;
	enum send_outcome outcome;
	int retry_after_s;
	const char *reason;
};

static const struct graph_rule graph_rules[] = {
	{ 1, 0, SEND_TRANSIENT, 0, "{} had an unexpected problem; sending again later." },
	{ 2, 0, SEND_TRANSIENT, 0, "{} is temporarily unavailable; sending again later." },
	{ 4, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this app may call it; sending again later." },
	{ 17, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this account may call it; sending again later." },
	{ 32, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this page may call it; sending again later." },
	{ 613, 0, SEND_TRANSIENT, 0, "{} rate limit reached; sending again later." },
	{ 1200, 0, SEND_TRANSIENT, 0, "{} had a temporary send failure; sending again later." },
	{ 80007, 0, SEND_TRANSIENT, 0,
	  "{} rate limit reached for this business account; sending again later." },
	{ 130429, 0, SEND_TRANSIENT, 0,
	  "{} throughput limit reached for this number; sending again later." },
	{ 131000, 0, SEND_TRANSIENT, 0, "{} had an unexpected problem; sending again later." },
	{ 131016, 0, SEND_TRANSIENT, 0, "{} is temporarily unavailable; sending again later." },
	{ 131048, 0, SEND_TRANSIENT, 0,
	  "{} limits this number after messages were flagged as spam; sending again later." },
	{ 131056, 0, SEND_TRANSIENT, 6,
	  "Too many messages to this customer in a short time; sending again shortly." },
	{ 190, 0, SEND_PERMANENT, 0,
	  "The channel's {} access token is invalid or has expired: reconnect the channel." },
	{ 10, 2018278, SEND_PERMANENT, 0,
	  "The customer last wrote more than 24 hours ago, so {} no longer accepts a reply." },
	{ 10, 0, SEND_PERMANENT, 0, "The channel lacks the {} permission to send this message." },
	{ 100, 2018001, SEND_PERMANENT, 0, "{} knows no user with this id." },
	{ 551, 0, SEND_PERMANENT, 0,
	  "The customer cannot be reached on {} right now (blocked or unavailable)." },
	{ 131026, 0, SEND_PERMANENT, 0, "{} could not deliver to this number." },
	{ 131047, 0, SEND_PERMANENT, 0,
	  "The customer last wrote more than 24 hours ago, so {} only accepts a template message now." },
	{ 131051, 0, SEND_PERMANENT, 0, "{} does not support this type of message." },
	{ 131031, 0, SEND_PERMANENT, 0, "The {} business account is locked." },
	{ 368, 0, SEND_PERMANENT, 0,
	  "The {} account is temporarily blocked for policy violations." },
};

static const struct graph_rule *graph_rule_find(long code, long subcode)
{
	for (size_t i = 0; i < sizeof(graph_rules) / sizeof(graph_rules[0]); i++)
		if (graph_rules[i].code == code &&
		    (graph_rules[i].subcode == 0 || graph_rules[i].subcode == subcode))
			return &graph_rules[i];
	return NULL;
}

static void graph_accepted(enum channel_kind kind, const json_t *root, struct send_result *out)
{
	const json_t *id;

	if (kind == CHANNEL_WHATSAPP)
		id = json_object_get(json_array_get(jarr(root, "messages"), 0), "id");
	else
		id = json_object_get(root, "message_id");
	out->outcome = SEND_ACCEPTED;
	char *copy = field_id(id);
	if (copy != NULL)
		snprintf(out->message_id, sizeof(out->message_id), "%s", copy);
	free(copy);
}

void graph_classify(enum channel_kind kind, long http_status, const json_t *root,
                    struct send_result *out)
{
	const char *name = kind_label(kind);
	const json_t *error = jobj(root, "error");
	json_int_t code = 0, subcode = 0;
	char quoted[160];

	if (http_status >= 200 && http_status < 300 && error == NULL) {
		graph_accepted(kind, root, out);
		return;
	}
	jint(error, "code", &code);
	jint(error, "error_subcode", &subcode);
	out->code = (long)code;
	out->subcode = (long)subcode;
	out->outcome = http_is_transient(http_status) ? SEND_TRANSIENT : SEND_PERMANENT;
	if (code >= 200 && code <= 299) {
		out->outcome = SEND_PERMANENT;
		send_reason(out,
		            "The channel lacks the %s permission to send messages (error %ld).",
		            name, out->code);
		return;
	}
	const struct graph_rule *rule = graph_rule_find(out->code, out->subcode);
	if (rule != NULL) {
		out->outcome = rule->outcome;
		out->retry_after_s = rule->retry_after_s;
		send_reason_named(out, rule->reason, name);
		return;
	}
	reason_quote(quoted, sizeof(quoted), jstr(error, "message"));
	if (http_status == 0)
		send_reason(out, "No answer from %s; sending again later.", name);
	else if (error == NULL && out->outcome == SEND_TRANSIENT)
		send_reason(out, "%s answered HTTP %ld; sending again later.", name, http_status);
	else if (error == NULL)
		send_reason(out, "%s refused the message (HTTP %ld).", name, http_status);
	else if (out->outcome == SEND_TRANSIENT)
		send_reason(out, "%s failed (error %ld: %s); sending again later.", name, out->code,
		            quoted);
	else
		send_reason(out, "%s refused the message (error %ld: %s).", name, out->code,
		            quoted);
}

struct channel_request *messenger_request(const struct channel_send *s)
{
	char path[64];
	struct channel_request *r;

	snprintf(path, sizeof(path), "/%s/me/messages", s->api_version);
	r = request_start(s->api_url, path, NULL);
	request_bearer(r, s->token);
	request_body(r, json_pack("{s:{s:s}, s:s, s:{s:s}}", "recipient", "id", s->recipient,
	                          "messaging_type", "RESPONSE", "message", "text", s->text));
	return r;
}
