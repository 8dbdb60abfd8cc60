/*
 * The welcome's menu as each provider's native choices: WhatsApp reply buttons (up to 3) or a
 * list (up to 10), Messenger and Instagram quick replies (up to 13), a Telegram inline
 * keyboard. What a provider's form cannot carry (too many
 * options, a label or a text too long) is sent as the plain text menu instead. No I/O here.
 */
#include <string.h>

#include "providers/internal.h"

#define WA_BUTTONS_MAX    3
#define WA_BUTTON_CHARS   20
#define WA_ROWS_MAX       10
#define WA_ROW_CHARS      24
#define WA_BODY_CHARS     1024
#define QUICK_REPLIES_MAX 13
#define QUICK_REPLY_CHARS 20
#define TELEGRAM_KEYS_MAX 100
#define TELEGRAM_DATA_MAX 64  /* bytes of callback_data */
#define WA_LIST_BUTTON    "☰" /* the list's opening button: no words, so no language */

static size_t chars(const char *s)
{
	return text_units(s, strlen(s), TEXT_UNIT_UTF16);
}

/* The longest title of the menu's items, in characters; SIZE_MAX when one is malformed. */
static size_t longest_title(const json_t *menu)
{
	size_t longest = 0, i;
	const json_t *item;
	json_array_foreach(menu, i, item)
	{
		const char *id = jstr(item, "id"), *title = jstr(item, "title");
		if (id == NULL || title == NULL || strlen(id) > TELEGRAM_DATA_MAX ||
		    title[0] == '\0')
			return SIZE_MAX;
		if (chars(title) > longest)
			longest = chars(title);
	}
	return longest;
}

bool channel_menu_fits(enum channel_kind kind, const char *text, const json_t *menu)
{
	size_t n = json_array_size(menu), longest = longest_title(menu);
	size_t body = text != NULL ? chars(text) : SIZE_MAX;
	struct text_limit limit = channel_text_limit(kind);
	if (n == 0 || longest == SIZE_MAX || body == SIZE_MAX || body == 0)
		return false;
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return body <= WA_BODY_CHARS &&
		       ((n <= WA_BUTTONS_MAX && longest <= WA_BUTTON_CHARS) ||
		        (n <= WA_ROWS_MAX && longest <= WA_ROW_CHARS));
	case CHANNEL_MESSENGER:
	case CHANNEL_INSTAGRAM:
		return text_units(text, strlen(text), limit.unit) <= limit.max &&
		       n <= QUICK_REPLIES_MAX && longest <= QUICK_REPLY_CHARS;
	case CHANNEL_TELEGRAM:
		return body <= limit.max && n <= TELEGRAM_KEYS_MAX;
	case CHANNEL_WEBCHAT: /* the widget has no buttons yet */
		break;
	}
	return false;
}

json_t *whatsapp_menu_interactive(const char *text, const json_t *menu)
{
	size_t i;
	const json_t *item;
	json_t *choices = json_array();
	bool is_buttons =
	    json_array_size(menu) <= WA_BUTTONS_MAX && longest_title(menu) <= WA_BUTTON_CHARS;
	json_array_foreach(menu, i, item)
	{
		json_t *id = json_object_get(item, "id"), *title = json_object_get(item, "title");
		json_array_append_new(
		    choices, is_buttons ? json_pack("{s:s,s:{s:O,s:O}}", "type", "reply", "reply",
		                                    "id", id, "title", title)
		                        : json_pack("{s:O,s:O}", "id", id, "title", title));
	}
	if (is_buttons)
		return json_pack("{s:s,s:{s:s},s:{s:o}}", "type", "button", "body", "text", text,
		                 "action", "buttons", choices);
	return json_pack("{s:s,s:{s:s},s:{s:s,s:[{s:o}]}}", "type", "list", "body", "text", text,
	                 "action", "button", WA_LIST_BUTTON, "sections", "rows", choices);
}

json_t *messenger_quick_replies(const json_t *menu)
{
	size_t i;
	const json_t *item;
	json_t *out = json_array();
	json_array_foreach(menu, i, item) json_array_append_new(
	    out, json_pack("{s:s,s:O,s:O}", "content_type", "text", "title",
	                   json_object_get(item, "title"), "payload", json_object_get(item, "id")));
	return out;
}

json_t *telegram_inline_keyboard(const json_t *menu)
{
	size_t i;
	const json_t *item;
	json_t *rows = json_array();
	json_array_foreach(menu, i, item) json_array_append_new(
	    rows, json_pack("[{s:O,s:O}]", "text", json_object_get(item, "title"), "callback_data",
	                    json_object_get(item, "id")));
	return json_pack("{s:o}", "inline_keyboard", rows);
}
