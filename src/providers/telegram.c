/*
 * The Telegram Bot API: the webhook's secret-token check, one Update read into events
 * (private chats only: a support inbox does not serve groups or channels), the sendMessage
 * request and its answer. Message ids are "<chat id>:<message_id>", since Telegram numbers
 * messages per chat. No I/O here.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

bool telegram_secret_verify(const char *header, const char *secret)
{
	unsigned char a[crypto_hash_sha256_BYTES], b[crypto_hash_sha256_BYTES];

	if (header == NULL || secret == NULL || secret[0] == '\0')
		return false;
	/* Hashing first makes the comparison constant-time in the lengths too. */
	crypto_hash_sha256(a, (const unsigned char *)header, strlen(header));
	crypto_hash_sha256(b, (const unsigned char *)secret, strlen(secret));
	return sodium_memcmp(a, b, sizeof(a)) == 0;
}

/* "<chat id>:<message id>" from a Message (or MaybeInaccessibleMessage), or NULL. */
static char *message_key(const json_t *msg)
{
	json_int_t chat, id;
	char key[64];

	if (!jint(jobj(msg, "chat"), "id", &chat) || !jint(msg, "message_id", &id))
		return NULL;
	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT, chat, id);
	return xstrdup(key);
}

/* "First Last", else the username, else NULL. */
static char *user_name(const json_t *user)
{
	const char *first = jstr(user, "first_name"), *last = jstr(user, "last_name");
	struct buf b = BUF_INIT;
	char *name = NULL;

	if (first != NULL)
		buf_puts(&b, first);
	if (last != NULL && last[0] != '\0') {
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, last);
	}
	if (b.len == 0 && jstr(user, "username") != NULL)
		buf_puts(&b, jstr(user, "username"));
	if (b.len > 0)
		name = text_clean(b.data, b.len, INBOUND_NAME_MAX, NULL);
	buf_free(&b);
	return name;
}

/* The file_id of the largest PhotoSize. */
static char *largest_photo(const json_t *sizes)
{
	const json_t *best = NULL, *p;
	json_int_t best_area = -1;
	size_t i;

	json_array_foreach(sizes, i, p)
	{
		json_int_t w = 0, h = 0;
		jint(p, "width", &w);
		jint(p, "height", &h);
		if (w >= 0 && h >= 0 && w <= 100000 && h <= 100000 && w * h >= best_area) {
			best = p;
			best_area = w * h;
		}
	}
	return field_id(json_object_get(best, "file_id"));
}

/* Message fields holding a file, in the order they are tried (animation before document). */
static const struct {
	const char *key;
	enum inbound_type type;
} file_kinds[] = {
	{ "voice", INBOUND_TYPE_AUDIO },      { "audio", INBOUND_TYPE_AUDIO },
	{ "video_note", INBOUND_TYPE_VIDEO }, { "animation", INBOUND_TYPE_VIDEO },
	{ "video", INBOUND_TYPE_VIDEO },      { "document", INBOUND_TYPE_DOCUMENT },
	{ "sticker", INBOUND_TYPE_STICKER },
};

/* Message contents we do not store but name, so they are never dropped silently. */
static const char *const unsupported_kinds[] = {
	"poll", "dice", "game", "story", "invoice", "paid_media", "giveaway", "checklist",
};

static void read_contact_card(const json_t *card, struct inbound_message *msg)
{
	struct buf b = BUF_INIT;
	char *name = user_name(card);
	const char *phone = jstr(card, "phone_number");

	buf_puts(&b, name != NULL ? name : "?");
	if (phone != NULL)
		buf_printf(&b, " %s", phone);
	msg->text = text_clean(b.data, b.len, INBOUND_TEXT_MAX, &msg->is_text_truncated);
	buf_free(&b);
	free(name);
}

/* Fills msg from a file field (voice, video, document…) of a Message. */
static bool read_file_kind(const json_t *m, struct inbound_message *msg, const char **raw)
{
	for (size_t i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++) {
		const json_t *file = jobj(m, file_kinds[i].key);
		if (file == NULL)
			continue;
		msg->type = file_kinds[i].type;
		msg->media_ref = field_id(json_object_get(file, "file_id"));
		msg->media_mime =
		    field_text(json_object_get(file, "mime_type"), INBOUND_NAME_MAX, NULL);
		msg->file_name =
		    field_text(json_object_get(file, "file_name"), INBOUND_NAME_MAX, NULL);
		if (msg->type == INBOUND_TYPE_STICKER)
			msg->text =
			    field_text(json_object_get(file, "emoji"), INBOUND_NAME_MAX, NULL);
		*raw = file_kinds[i].key;
		return true;
	}
	return false;
}

static const char *unsupported_kind(const json_t *m)
{
	for (size_t i = 0; i < sizeof(unsupported_kinds) / sizeof(unsupported_kinds[0]); i++)
		if (json_object_get(m, unsupported_kinds[i]) != NULL)
			return unsupported_kinds[i];
	return "unknown";
}

/* Fills msg from a Message; NULL, or why it cannot be stored. */
static const char *read_content(const json_t *m, struct inbound_message *msg)
{
	const char *raw;
	const json_t *v;
	bool has_caption = false;

	msg->type = INBOUND_TYPE_UNSUPPORTED;
	if (json_is_string(json_object_get(m, "text"))) {
		msg->type = INBOUND_TYPE_TEXT;
		msg->text = field_text(json_object_get(m, "text"), INBOUND_TEXT_MAX,
		                       &msg->is_text_truncated);
		raw = "text";
	} else if ((v = jarr(m, "photo")) != NULL) {
		msg->type = INBOUND_TYPE_IMAGE;
		msg->media_ref = largest_photo(v);
		has_caption = true;
		raw = "photo";
	} else if ((v = jobj(m, "venue")) != NULL || (v = jobj(m, "location")) != NULL) {
		bool is_venue = json_object_get(m, "venue") != NULL;
		const json_t *at = is_venue ? jobj(v, "location") : v;
		if (!location_read(json_object_get(at, "latitude"),
		                   json_object_get(at, "longitude"), msg))
			return "location without valid coordinates";
		msg->type = INBOUND_TYPE_LOCATION;
		if (is_venue) {
			msg->place_name =
			    field_text(json_object_get(v, "title"), INBOUND_NAME_MAX, NULL);
			msg->place_address =
			    field_text(json_object_get(v, "address"), INBOUND_NAME_MAX, NULL);
		}
		raw = is_venue ? "venue" : "location";
	} else if ((v = jobj(m, "contact")) != NULL) {
		msg->type = INBOUND_TYPE_CONTACTS;
		read_contact_card(v, msg);
		raw = "contact";
	} else if (read_file_kind(m, msg, &raw)) {
		has_caption = msg->type != INBOUND_TYPE_STICKER;
	} else {
		raw = unsupported_kind(m);
	}
	if (has_caption)
		msg->text = field_text(json_object_get(m, "caption"), INBOUND_TEXT_MAX,
		                       &msg->is_text_truncated);
	msg->raw_type = xstrdup(raw);
	return NULL;
}

static const char *chat_type(const json_t *msg)
{
	const char *type = jstr(jobj(msg, "chat"), "type");
	return type != NULL ? type : "(none)";
}

static void read_message(struct inbound_list *list, const json_t *m, enum inbound_kind kind,
                         int64_t now_ms)
{
	const char *what = kind == INBOUND_KIND_EDIT ? "edited message" : "message";
	const json_t *from = jobj(m, "from");
	struct inbound_event ev = { .kind = kind, .channel = CHANNEL_TELEGRAM };
	const char *why;

	ev.time_ms = time_from_json(
	    json_object_get(m, kind == INBOUND_KIND_EDIT ? "edit_date" : "date"), 1000, now_ms);
	if (strcmp(chat_type(m), "private") != 0) {
		inbound_list_ignore(
		    list, CHANNEL_TELEGRAM, NULL, ev.time_ms,
		    "Telegram %s in a '%.32s' chat ignored: only private chats are served", what,
		    chat_type(m));
		return;
	}
	if (json_is_true(json_object_get(from, "is_bot"))) {
		inbound_list_ignore(list, CHANNEL_TELEGRAM, NULL, ev.time_ms,
		                    "Telegram %s from a bot ignored", what);
		return;
	}
	ev.contact_id = field_id_or_int(json_object_get(from, "id"));
	ev.message_id = message_key(m);
	if (ev.contact_id == NULL || ev.message_id == NULL) {
		inbound_list_skip(list, "Telegram %s without a valid %s", what,
		                  ev.contact_id == NULL ? "from.id" : "chat.id or message_id");
		goto fail;
	}
	ev.contact_name = user_name(from);
	ev.msg.reply_to_id = message_key(jobj(m, "reply_to_message"));
	why = read_content(m, &ev.msg);
	if (why != NULL) {
		inbound_list_skip(list, "Telegram %s %s: %s", what, ev.message_id, why);
		goto fail;
	}
	inbound_list_push(list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

/* The label of the inline button whose callback_data is data, or NULL. */
static char *button_label(const json_t *message, const char *data)
{
	const json_t *rows = jarr(jobj(message, "reply_markup"), "inline_keyboard");
	const json_t *row, *button;
	size_t i, j;

	json_array_foreach(rows, i, row)
	{
		json_array_foreach(row, j, button)
		{
			const char *cb = jstr(button, "callback_data");
			if (cb != NULL && strcmp(cb, data) == 0)
				return field_text(json_object_get(button, "text"), INBOUND_NAME_MAX,
				                  NULL);
		}
	}
	return NULL;
}

/*
 * A tapped inline button: a REPLY whose payload is the button's callback_data and whose text
 * is its label when the message still shows it (else the data). It answers the bot message
 * that carried the keyboard. Callback queries have no date: now_ms is their time.
 */
static void read_callback(struct inbound_list *list, const json_t *cq, int64_t now_ms)
{
	const json_t *message = jobj(cq, "message");
	const char *data = jstr(cq, "data");
	struct inbound_event ev = { .kind = INBOUND_KIND_MESSAGE, .channel = CHANNEL_TELEGRAM };
	const char *id = jstr(cq, "id");
	char key[INBOUND_ID_MAX + 8];

	ev.time_ms = now_ms;
	if (message != NULL && strcmp(chat_type(message), "private") != 0) {
		inbound_list_ignore(list, CHANNEL_TELEGRAM, NULL, now_ms,
		                    "Telegram button in a '%.32s' chat ignored: only private chats "
		                    "are served",
		                    chat_type(message));
		return;
	}
	ev.contact_id = field_id_or_int(json_object_get(jobj(cq, "from"), "id"));
	snprintf(key, sizeof(key), "cb:%s", id != NULL ? id : "");
	ev.message_id = id != NULL ? id_from(key) : NULL;
	if (ev.contact_id == NULL || ev.message_id == NULL) {
		inbound_list_skip(list, "Telegram callback query without a valid %s",
		                  ev.contact_id == NULL ? "from.id" : "id");
		goto fail;
	}
	ev.contact_name = user_name(jobj(cq, "from"));
	ev.msg.reply_to_id = message_key(message);
	if (data == NULL) {
		ev.msg.type = INBOUND_TYPE_UNSUPPORTED;
		ev.msg.raw_type = xstrdup("callback_game");
	} else {
		ev.msg.type = INBOUND_TYPE_REPLY;
		ev.msg.raw_type = xstrdup("callback_query");
		ev.msg.payload = field_text(json_object_get(cq, "data"), INBOUND_PAYLOAD_MAX, NULL);
		ev.msg.text = button_label(message, data);
		if (ev.msg.text == NULL)
			ev.msg.text =
			    field_text(json_object_get(cq, "data"), INBOUND_NAME_MAX, NULL);
	}
	inbound_list_push(list, &ev);
	return;
fail:
	inbound_event_clear(&ev);
}

/* Reads one Update object into list. */
static void read_update(struct inbound_list *list, const json_t *root, int64_t now_ms)
{
	const json_t *v;

	if ((v = jobj(root, "message")) != NULL)
		read_message(list, v, INBOUND_KIND_MESSAGE, now_ms);
	else if ((v = jobj(root, "edited_message")) != NULL)
		read_message(list, v, INBOUND_KIND_EDIT, now_ms);
	else if ((v = jobj(root, "callback_query")) != NULL)
		read_callback(list, v, now_ms);
	else if (jobj(root, "channel_post") != NULL || jobj(root, "edited_channel_post") != NULL)
		inbound_list_ignore(list, CHANNEL_TELEGRAM, NULL, now_ms,
		                    "Telegram channel post ignored: only private chats are served");
}

int telegram_update_parse(const char *body, size_t len, int64_t now_ms, struct inbound_list **out,
                          struct error *e)
{
	json_t *root = json_parse(body, len, e);
	json_int_t update_id;

	*out = NULL;
	if (root == NULL)
		return ERR_BAD_JSON;
	if (!jint(root, "update_id", &update_id)) {
		json_decref(root);
		return error_set(e, ERR_INVALID, "not a Telegram update: no integer update_id");
	}
	*out = inbound_list_new();
	read_update(*out, root, now_ms);
	json_decref(root);
	return 0;
}

/* The description of a {"ok": false} answer as the error, with its retry_after. */
static int answer_error(const json_t *root, long http_status, int *retry_after_s, struct error *e)
{
	json_int_t wait = 0;
	const char *description = jstr(root, "description");
	if (retry_after_s != NULL)
		*retry_after_s =
		    jint(jobj(root, "parameters"), "retry_after", &wait) && wait > 0 && wait < 86400
		        ? (int)wait
		        : 0;
	return error_set(e, ERR_UNAVAILABLE, "Telegram answered %ld: %.200s", http_status,
	                 description != NULL ? description : "no description");
}

int telegram_updates_parse(long http_status, const char *body, size_t len, int64_t now_ms,
                           int64_t offset, struct inbound_list **out, int64_t *next_offset,
                           int *retry_after_s, struct error *e)
{
	json_t *root = json_parse(body != NULL ? body : "", len, e);
	const json_t *result, *update;
	size_t i;

	*out = NULL;
	*next_offset = offset;
	*retry_after_s = 0;
	if (root == NULL)
		return ERR_BAD_JSON;
	if (!json_is_true(json_object_get(root, "ok"))) {
		int rc = answer_error(root, http_status, retry_after_s, e);
		json_decref(root);
		return rc;
	}
	if ((result = jarr(root, "result")) == NULL) {
		json_decref(root);
		return error_set(e, ERR_INVALID, "getUpdates answered no result array");
	}
	*out = inbound_list_new();
	json_array_foreach(result, i, update)
	{
		json_int_t id;
		if (!jint(update, "update_id", &id)) {
			inbound_list_skip(*out, "Telegram update without an integer update_id");
			continue;
		}
		if (id >= *next_offset)
			*next_offset = id + 1;
		read_update(*out, update, now_ms);
	}
	json_decref(root);
	return 0;
}

int telegram_answer_ok(long http_status, const char *body, size_t len, struct error *e)
{
	json_t *root = json_parse(body != NULL ? body : "", len, e);
	int rc = 0;
	if (root == NULL)
		return ERR_BAD_JSON;
	if (!json_is_true(json_object_get(root, "ok")))
		rc = answer_error(root, http_status, NULL, e);
	json_decref(root);
	return rc;
}

int telegram_call_new(const char *api_url, const char *token, const char *method, json_t *params,
                      struct channel_request **out, struct error *e)
{
	char path[512], log_path[128];
	size_t digits = strspn(token, "0123456789");

	*out = NULL;
	if (digits == 0 || token[digits] != ':' ||
	    strspn(token + digits + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                               "0123456789_-") != strlen(token + digits + 1) ||
	    strlen(token) > 256 ||
	    strspn(method, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	        strlen(method)) {
		json_decref(params);
		return error_set(e, ERR_INVALID, "not a bot token or method");
	}
	snprintf(path, sizeof(path), "/bot%s/%s", token, method);
	snprintf(log_path, sizeof(log_path), "/bot<token>/%s", method);
	*out = request_start(api_url, path, log_path);
	request_body(*out, params);
	return 0;
}

json_t *telegram_callback_calls(const struct inbound_event *ev)
{
	const char *raw = ev->msg.raw_type;
	if (ev->channel != CHANNEL_TELEGRAM || raw == NULL || strcmp(raw, "callback_query") != 0 ||
	    ev->message_id == NULL || strncmp(ev->message_id, "cb:", 3) != 0)
		return NULL;
	json_t *calls = json_pack("[{s:s,s:{s:s}}]", "method", "answerCallbackQuery", "params",
	                          "callback_query_id", ev->message_id + 3);
	long long chat = 0, message = 0;
	if (ev->msg.reply_to_id != NULL &&
	    sscanf(ev->msg.reply_to_id, "%lld:%lld", &chat, &message) == 2)
		json_array_append_new(calls,
		                      json_pack("{s:s,s:{s:I,s:I,s:{s:[]}}}", "method",
		                                "editMessageReplyMarkup", "params", "chat_id",
		                                (json_int_t)chat, "message_id", (json_int_t)message,
		                                "reply_markup", "inline_keyboard"));
	return calls;
}

struct channel_request *telegram_request(const struct channel_send *s)
{
	char path[512];
	struct channel_request *r;

	if (s->file != NULL)
		return telegram_file_request(s);
	snprintf(path, sizeof(path), "/bot%s/sendMessage", s->token);
	r = request_start(s->api_url, path, "/bot<token>/sendMessage");
	json_t *body = json_pack("{s:I, s:s}", "chat_id",
	                         (json_int_t)strtoll(s->recipient, NULL, 10), "text", s->text);
	if (s->menu != NULL)
		json_object_set_new(body, "reply_markup", telegram_inline_keyboard(s->menu));
	request_body(r, body);
	return r;
}

/* 403 comes with a description naming the cause; these are the ones a person can act on. */
static void forbidden_reason(const char *description, const char *quoted, struct send_result *out)
{
	if (description != NULL && strstr(description, "blocked") != NULL)
		send_reason(out, "The customer has blocked the bot.");
	else if (description != NULL && strstr(description, "deactivated") != NULL)
		send_reason(out, "The customer's Telegram account is deactivated.");
	else
		send_reason(out, "Telegram does not let the bot write to this chat (%s).", quoted);
}

void telegram_classify(long http_status, const json_t *root, struct send_result *out)
{
	const json_t *result = jobj(root, "result");
	const char *description = jstr(root, "description");
	json_int_t code = 0, retry_after = 0;
	char quoted[160];

	if (http_status >= 200 && http_status < 300 && json_is_true(json_object_get(root, "ok"))) {
		char *key = message_key(result);
		out->outcome = SEND_ACCEPTED;
		if (key != NULL)
			snprintf(out->message_id, sizeof(out->message_id), "%s", key);
		free(key);
		return;
	}
	jint(root, "error_code", &code);
	out->code = (long)code;
	reason_quote(quoted, sizeof(quoted), description);
	if (jint(jobj(root, "parameters"), "retry_after", &retry_after) || code == 429 ||
	    http_status == 429) {
		out->outcome = SEND_TRANSIENT;
		out->retry_after_s = retry_after < 0       ? 0
		                     : retry_after > 86400 ? 86400
		                                           : (int)retry_after;
		send_reason(out, "Telegram asks the bot to slow down; sending again later.");
	} else if (http_is_transient(http_status) || code >= 500) {
		out->outcome = SEND_TRANSIENT;
		if (http_status == 0)
			send_reason(out, "No answer from Telegram; sending again later.");
		else
			send_reason(out, "Telegram failed (HTTP %ld); sending again later.",
			            http_status);
	} else if (code == 401 || code == 404 ||
	           (code == 0 && (http_status == 401 || http_status == 404))) {
		out->outcome = SEND_PERMANENT;
		send_reason(out, "Telegram does not accept the bot token: reconnect the channel.");
	} else if (code == 403 || (code == 0 && http_status == 403)) {
		out->outcome = SEND_PERMANENT;
		forbidden_reason(description, quoted, out);
	} else {
		out->outcome = SEND_PERMANENT;
		if (description != NULL && strstr(description, "chat not found") != NULL)
			send_reason(out, "Telegram knows no chat with this customer.");
		else if (description != NULL)
			send_reason(out, "Telegram refused the message (%s).", quoted);
		else
			send_reason(out, "Telegram refused the message (HTTP %ld).", http_status);
	}
}
