/* Telegram Bot API: Updates into events, the sendMessage request, and its answers. */
#include "channel_test.h"

#include <jansson.h>

#define MARTA "5123456789"
#define TOKEN "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
/* An Update from `from` (a User object) dated `date`. */
#define FROM_AT                                                                                   \
	"{\"update_id\":1,\"message\":{\"message_id\":1,\"from\":%s,\"chat\":{\"id\":1,\"type\":" \
	"\"private\"},\"date\":%s,\"text\":\"x\"}}"

static struct inbound_list *parse_ok(const char *body, size_t len)
{
	struct inbound_list *list = NULL;
	struct error e = { 0 };

	if (telegram_update_parse(body, len, TEST_NOW_MS, &list, &e) != 0)
		fail_msg("refused: %s", e.message);
	assert_list_clean(list);
	return list;
}

static struct inbound_list *parse_fixture(const char *name)
{
	size_t len;
	char *body = fixture_read(name, &len);
	struct inbound_list *list = parse_ok(body, len);
	free(body);
	return list;
}

/* An Update whose message, in Marta's private chat, has the given extra members. */
static struct inbound_list *parse_message(const char *members)
{
	char body[4096];
	snprintf(body, sizeof(body),
	         "{\"update_id\":1,\"message\":{\"message_id\":9,\"from\":{\"id\":" MARTA
	         ",\"is_bot\":false,\"first_name\":\"Marta\"},\"chat\":{\"id\":" MARTA
	         ",\"type\":\"private\"},\"date\":1764000000,%s}}",
	         members);
	return parse_ok(body, strlen(body));
}

static void test_text_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/text.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(list->skipped, 0);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->channel, CHANNEL_TELEGRAM);
	assert_null(ev->channel_id);
	assert_string_equal(ev->contact_id, MARTA);
	assert_string_equal(ev->contact_name, "Marta Gómez");
	assert_string_equal(ev->message_id, MARTA ":4821");
	assert_int_equal(ev->time_ms, 1764000000000LL);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.raw_type, "text");
	assert_string_equal(ev->msg.text, "Hola, necesito ayuda con mi factura");
	assert_null(ev->msg.reply_to_id);
	assert_null(ev->msg.media_ref);
	inbound_list_free(list);
}

static void test_start_command_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/start_command.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	/* Commands stay text: routing decides what /start means. */
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.text, "/start");
	assert_string_equal(ev->contact_name, "Marta");
	assert_string_equal(ev->message_id, MARTA ":4820");
	assert_int_equal(ev->time_ms, 1763999990000LL);
	inbound_list_free(list);
}

static void test_photo_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/photo.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_IMAGE);
	assert_string_equal(ev->msg.raw_type, "photo");
	assert_string_equal(ev->msg.media_ref, "AgACAgQAAxkBAAIBY2cAAQ_large");
	assert_string_equal(ev->msg.text, "la factura");
	assert_string_equal(ev->message_id, MARTA ":4822");
	inbound_list_free(list);
}

static void test_edited_message_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/edited_message.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_EDIT);
	/* The id of the message it edits, and the time of the edit. */
	assert_string_equal(ev->message_id, MARTA ":4821");
	assert_int_equal(ev->time_ms, 1764000030000LL);
	assert_string_equal(ev->msg.text, "Hola, necesito ayuda con mi factura de octubre");
	assert_string_equal(ev->contact_id, MARTA);
	inbound_list_free(list);
}

static void test_group_message_fixture_is_ignored(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/group_message.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_IGNORED);
	assert_string_equal(ev->reason, "Telegram message in a 'supergroup' chat ignored: only "
	                                "private chats are served");
	assert_null(ev->message_id);
	assert_int_equal(ev->time_ms, 1764000200000LL);
	inbound_list_free(list);
}

static void test_callback_query_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("telegram/callback_query.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(ev->msg.raw_type, "callback_query");
	assert_string_equal(ev->msg.payload, "opt-accounting");
	/* The fixture's message no longer shows its keyboard: the data stands for the label. */
	assert_string_equal(ev->msg.text, "opt-accounting");
	assert_string_equal(ev->message_id, "cb:2205391746138372901");
	assert_string_equal(ev->msg.reply_to_id, MARTA ":4823");
	assert_string_equal(ev->contact_id, MARTA);
	assert_string_equal(ev->contact_name, "Marta");
	assert_int_equal(ev->time_ms, TEST_NOW_MS);
	inbound_list_free(list);
}

static void test_callback_query_takes_the_button_label(void **state)
{
	const char *body =
	    "{\"update_id\":2,\"callback_query\":{\"id\":\"77\",\"from\":{\"id\":" MARTA
	    ",\"first_name\":\"Marta\"},\"message\":{\"message_id\":5,\"chat\":{\"id\":" MARTA
	    ",\"type\":\"private\"},\"date\":1764000000,\"text\":\"¿Equipo?\",\"reply_markup\":"
	    "{\"inline_keyboard\":[[{\"text\":\"Ventas\",\"callback_data\":\"opt-sales\"}],"
	    "[{\"text\":\"Contabilidad\",\"callback_data\":\"opt-accounting\"},"
	    "{\"text\":\"Web\",\"url\":\"https://example.org\"}]]}},\"data\":\"opt-accounting\"}}";
	struct inbound_list *list = parse_ok(body, strlen(body));
	(void)state;

	assert_string_equal(list->events[0].msg.text, "Contabilidad");
	assert_string_equal(list->events[0].msg.payload, "opt-accounting");
	assert_string_equal(list->events[0].message_id, "cb:77");
	inbound_list_free(list);

	const char *game = "{\"update_id\":3,\"callback_query\":{\"id\":\"78\",\"from\":{\"id\":1},"
	                   "\"game_short_name\":\"g\"}}";
	list = parse_ok(game, strlen(game));
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "callback_game");
	assert_null(list->events[0].msg.reply_to_id);
	inbound_list_free(list);

	const char *group =
	    "{\"update_id\":4,\"callback_query\":{\"id\":\"79\",\"from\":{\"id\":1},"
	    "\"message\":{\"message_id\":1,\"chat\":{\"id\":-100,\"type\":"
	    "\"group\"}},\"data\":\"x\"}}";
	list = parse_ok(group, strlen(group));
	assert_int_equal(list->events[0].kind, INBOUND_KIND_IGNORED);
	inbound_list_free(list);

	const char *no_id = "{\"update_id\":5,\"callback_query\":{\"from\":{\"id\":1},\"data\":"
	                    "\"x\"}}";
	list = parse_ok(no_id, strlen(no_id));
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	assert_string_equal(list->reasons[0], "Telegram callback query without a valid id");
	inbound_list_free(list);
}

static void test_content_types(void **state)
{
	struct inbound_list *list;
	(void)state;

	list = parse_message("\"voice\":{\"file_id\":\"v1\",\"mime_type\":\"audio/ogg\","
	                     "\"duration\":3}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_AUDIO);
	assert_string_equal(list->events[0].msg.raw_type, "voice");
	assert_string_equal(list->events[0].msg.media_ref, "v1");
	assert_string_equal(list->events[0].msg.media_mime, "audio/ogg");
	inbound_list_free(list);

	/* An animation also carries "document" for old clients: it is a video. */
	list =
	    parse_message("\"animation\":{\"file_id\":\"a1\"},\"document\":{\"file_id\":\"a1\"}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_VIDEO);
	assert_string_equal(list->events[0].msg.raw_type, "animation");
	inbound_list_free(list);

	list = parse_message("\"document\":{\"file_id\":\"d1\",\"file_name\":\"factura.pdf\","
	                     "\"mime_type\":\"application/pdf\"},\"caption\":\"octubre\"");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_DOCUMENT);
	assert_string_equal(list->events[0].msg.file_name, "factura.pdf");
	assert_string_equal(list->events[0].msg.text, "octubre");
	inbound_list_free(list);

	list = parse_message("\"sticker\":{\"file_id\":\"s1\",\"emoji\":\"\\ud83d\\ude00\"}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_STICKER);
	assert_string_equal(list->events[0].msg.text, "\xf0\x9f\x98\x80");
	inbound_list_free(list);

	list = parse_message("\"video_note\":{\"file_id\":\"n1\"}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_VIDEO);
	assert_string_equal(list->events[0].msg.raw_type, "video_note");
	inbound_list_free(list);

	list = parse_message("\"location\":{\"latitude\":40.4168,\"longitude\":-3.7038}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_LOCATION);
	assert_string_equal(list->events[0].msg.raw_type, "location");
	assert_float_equal(list->events[0].msg.latitude, 40.4168, 1e-9);
	assert_float_equal(list->events[0].msg.longitude, -3.7038, 1e-9);
	assert_null(list->events[0].msg.place_name);
	inbound_list_free(list);

	list = parse_message("\"venue\":{\"location\":{\"latitude\":40.4,\"longitude\":-3.7},"
	                     "\"title\":\"Oficina\",\"address\":\"Gran Vía 1\"},"
	                     "\"location\":{\"latitude\":40.4,\"longitude\":-3.7}");
	assert_string_equal(list->events[0].msg.raw_type, "venue");
	assert_string_equal(list->events[0].msg.place_name, "Oficina");
	assert_string_equal(list->events[0].msg.place_address, "Gran Vía 1");
	inbound_list_free(list);

	list = parse_message("\"location\":{\"latitude\":400,\"longitude\":-3.7}");
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	assert_string_equal(list->reasons[0],
	                    "Telegram message " MARTA ":9: location without valid coordinates");
	inbound_list_free(list);

	list = parse_message("\"contact\":{\"phone_number\":\"+34600000001\",\"first_name\":"
	                     "\"Ana\",\"last_name\":\"López\"}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_CONTACTS);
	assert_string_equal(list->events[0].msg.text, "Ana López +34600000001");
	inbound_list_free(list);

	list = parse_message("\"poll\":{\"id\":\"p\",\"question\":\"?\"}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "poll");
	inbound_list_free(list);

	list = parse_message("\"new_kind_of_thing\":{}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "unknown");
	inbound_list_free(list);

	list = parse_message("\"text\":\"sí\",\"reply_to_message\":{\"message_id\":4824,\"chat\":"
	                     "{\"id\":" MARTA ",\"type\":\"private\"},\"date\":1764000201}");
	assert_string_equal(list->events[0].msg.reply_to_id, MARTA ":4824");
	inbound_list_free(list);
}

static void test_what_is_not_a_private_customer_chat(void **state)
{
	struct inbound_list *list;
	const char *bot = "{\"update_id\":1,\"message\":{\"message_id\":1,\"from\":{\"id\":7,"
	                  "\"is_bot\":true,\"first_name\":\"B\"},\"chat\":{\"id\":7,\"type\":"
	                  "\"private\"},\"date\":1764000000,\"text\":\"hi\"}}";
	const char *post = "{\"update_id\":1,\"channel_post\":{\"message_id\":1,\"chat\":{\"id\":"
	                   "-1001,\"type\":\"channel\"},\"date\":1764000000,\"text\":\"news\"}}";
	const char *member = "{\"update_id\":1,\"my_chat_member\":{\"chat\":{\"id\":1,\"type\":"
	                     "\"private\"},\"from\":{\"id\":1},\"date\":1764000000}}";
	(void)state;

	list = parse_ok(bot, strlen(bot));
	assert_int_equal(list->events[0].kind, INBOUND_KIND_IGNORED);
	assert_string_equal(list->events[0].reason, "Telegram message from a bot ignored");
	inbound_list_free(list);
	list = parse_ok(post, strlen(post));
	assert_int_equal(list->count, 1);
	assert_int_equal(list->events[0].kind, INBOUND_KIND_IGNORED);
	inbound_list_free(list);
	/* Update types a support inbox does not use: no events, no error. */
	list = parse_ok(member, strlen(member));
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 0);
	inbound_list_free(list);
}

static void test_bad_updates(void **state)
{
	static const char *const malformed[] = {
		"",
		"{",
		"{\"update_id\":1,}",
		"{\"update_id\":1,\"message\":{\"text\":\"\\u0000\"}}",
		"{\"update_id\":1,\"message\":{\"text\":\"\xff\"}}",
	};
	static const char *const invalid[] = {
		"[]",
		"{}",
		"{\"update_id\":\"1\"}",
		"{\"update_id\":1.5}",
	};
	struct inbound_list *list = (struct inbound_list *)1;
	struct error e = { 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(telegram_update_parse(malformed[i], strlen(malformed[i]),
		                                       TEST_NOW_MS, &list, &e),
		                 ERR_BAD_JSON);
		assert_null(list);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		assert_int_equal(
		    telegram_update_parse(invalid[i], strlen(invalid[i]), TEST_NOW_MS, &list, &e),
		    ERR_INVALID);
		assert_null(list);
	}

	/* A bare JSON value: refused, whether or not the JSON reader takes non-containers. */
	assert_true(telegram_update_parse("\"update_id\"", 11, TEST_NOW_MS, &list, &e) < 0);
	assert_null(list);

	/* A JSON bomb. */
	size_t depth = 10000;
	char *bomb = malloc(2 * depth + 32);
	size_t n = (size_t)sprintf(bomb, "{\"update_id\":1,\"x\":");
	memset(bomb + n, '[', depth);
	memset(bomb + n + depth, ']', depth);
	bomb[n + 2 * depth] = '}';
	assert_int_equal(telegram_update_parse(bomb, n + 2 * depth + 1, TEST_NOW_MS, &list, &e),
	                 ERR_BAD_JSON);
	free(bomb);

	/* Fields missing or of the wrong type make a bad message, not a bad update. */
	const char *no_from = "{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":1,"
	                      "\"type\":\"private\"},\"date\":1764000000,\"text\":\"x\"}}";
	list = parse_ok(no_from, strlen(no_from));
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	assert_string_equal(list->reasons[0], "Telegram message without a valid from.id");
	inbound_list_free(list);
	const char *no_id = "{\"update_id\":1,\"message\":{\"from\":{\"id\":1},\"chat\":{\"id\":1,"
	                    "\"type\":\"private\"},\"date\":32503680000,\"text\":\"x\"}}";
	list = parse_ok(no_id, strlen(no_id));
	assert_int_equal(list->skipped, 1);
	assert_string_equal(list->reasons[0],
	                    "Telegram message without a valid chat.id or message_id");
	inbound_list_free(list);
}

static void test_times_and_names(void **state)
{
	struct inbound_list *list;
	char body[512];
	(void)state;

	snprintf(body, sizeof(body), FROM_AT, "{\"id\":1,\"username\":\"marta_g\"}", "32503680000");
	list = parse_ok(body, strlen(body));
	assert_string_equal(list->events[0].contact_name, "marta_g");
	assert_int_equal(list->events[0].time_ms, TEST_NOW_MS);
	inbound_list_free(list);

	snprintf(body, sizeof(body), FROM_AT, "{\"id\":1,\"first_name\":\"M\",\"last_name\":\"\"}",
	         "-1");
	list = parse_ok(body, strlen(body));
	assert_string_equal(list->events[0].contact_name, "M");
	assert_int_equal(list->events[0].time_ms, TEST_NOW_MS);
	inbound_list_free(list);

	snprintf(body, sizeof(body), FROM_AT, "{\"id\":-9223372036854775807}", "1e300");
	list = parse_ok(body, strlen(body));
	assert_null(list->events[0].contact_name);
	assert_string_equal(list->events[0].contact_id, "-9223372036854775807");
	assert_int_equal(list->events[0].time_ms, TEST_NOW_MS);
	inbound_list_free(list);
}

static void parse_any(const char *data, size_t len)
{
	struct inbound_list *list = NULL;
	if (telegram_update_parse(data, len, TEST_NOW_MS, &list, NULL) != 0) {
		assert_null(list);
		return;
	}
	assert_list_clean(list);
	inbound_list_free(list);
}

static void test_garbled_fixtures_never_crash(void **state)
{
	static const char *const fixtures[] = {
		"telegram/text.json",           "telegram/start_command.json",
		"telegram/photo.json",          "telegram/callback_query.json",
		"telegram/edited_message.json", "telegram/group_message.json",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		char *body = fixture_read(fixtures[i], &len);
		garble(body, len, 500, parse_any);
		free(body);
	}
}

static struct channel_send send_of(const char *text)
{
	return (struct channel_send){
		.kind = CHANNEL_TELEGRAM,
		.api_url = CHANNEL_TELEGRAM_API_URL,
		.token = TOKEN,
		.recipient = MARTA,
		.text = text,
	};
}

static void test_send_request(void **state)
{
	struct channel_send s = send_of("¡Hola! Responde con un número: 1 Soporte 2 Ventas");
	struct channel_request *r = NULL;
	json_t *body;
	(void)state;

	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "https://api.telegram.org/bot" TOKEN "/sendMessage");
	assert_string_equal(r->url_for_log, "https://api.telegram.org/bot<token>/sendMessage");
	assert_int_equal(r->header_count, 1);
	assert_string_equal(r->headers[0], "Content-Type: application/json");
	body = json_loads(r->body, 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 2);
	assert_true(json_is_integer(json_object_get(body, "chat_id")));
	assert_int_equal(json_integer_value(json_object_get(body, "chat_id")), 5123456789LL);
	assert_string_equal(json_string_value(json_object_get(body, "text")), s.text);
	json_decref(body);
	channel_request_free(r);

	s.api_url = "http://127.0.0.1:8081";
	s.recipient = "-1001234567890";
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->url, "http://127.0.0.1:8081/bot" TOKEN "/sendMessage");
	assert_non_null(strstr(r->body, "\"chat_id\":-1001234567890"));
	channel_request_free(r);
}

static void test_send_request_refuses_unsafe_fields(void **state)
{
	struct channel_send s;
	struct channel_request *r = NULL;
	char text[8200];
	(void)state;

	s = send_of("hola");
	s.token = "123:abc/../../getMe?";
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
	s.token = "123:abc%2F";
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
	s = send_of("hola");
	s.recipient = "@marta";
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
	s.recipient = "-";
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
	s.recipient = "99999999999999999999";
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);

	/* 4096 UTF-16 units: 2048 emoji fit, one more does not. */
	for (int i = 0; i < 2048; i++)
		memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4);
	text[4 * 2048] = '\0';
	s = send_of(text);
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	channel_request_free(r);
	memcpy(text + 4 * 2048, "a", 2);
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
}

static void classify_fixture(const char *name, long status, struct send_result *out)
{
	size_t len;
	char *body = fixture_read(name, &len);
	channel_send_classify(CHANNEL_TELEGRAM, status, body, len, out);
	free(body);
}

static void classify_str(long status, const char *body, struct send_result *out)
{
	channel_send_classify(CHANNEL_TELEGRAM, status, body, body ? strlen(body) : 0, out);
}

static void test_send_answers(void **state)
{
	struct send_result r;
	(void)state;

	classify_fixture("telegram/send_message_response.json", 200, &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);
	assert_string_equal(r.message_id, MARTA ":4824");
	assert_string_equal(r.reason, "");

	classify_fixture("telegram/send_message_403.json", 403, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.code, 403);
	assert_string_equal(r.reason, "The customer has blocked the bot.");

	classify_fixture("telegram/send_message_429.json", 429, &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_int_equal(r.code, 429);
	assert_int_equal(r.retry_after_s, 7);

	classify_str(403,
	             "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: user is "
	             "deactivated\"}",
	             &r);
	assert_string_equal(r.reason, "The customer's Telegram account is deactivated.");
	classify_str(403,
	             "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot can't "
	             "initiate conversation with a user\"}",
	             &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason, "Telegram does not let the bot write to this chat "
	                              "(Forbidden: bot can't initiate conversation with a user).");
	classify_str(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}", &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_non_null(strstr(r.reason, "bot token"));
	classify_str(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}", &r);
	assert_non_null(strstr(r.reason, "bot token"));
	classify_str(400,
	             "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat "
	             "not found\"}",
	             &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason, "Telegram knows no chat with this customer.");
	classify_str(400,
	             "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: "
	             "message text is empty\"}",
	             &r);
	assert_string_equal(r.reason,
	                    "Telegram refused the message (Bad Request: message text is empty).");
	classify_str(502, "<html>502 Bad Gateway</html>", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_int_equal(r.retry_after_s, 0);
	classify_str(0, NULL, &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_string_equal(r.reason, "No answer from Telegram; sending again later.");
	classify_str(429,
	             "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":"
	             "99999999}}",
	             &r);
	assert_int_equal(r.retry_after_s, 86400);
	/* ok:true without the message: accepted, as sending again would repeat it. */
	classify_str(200, "{\"ok\":true,\"result\":{}}", &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);
	assert_string_equal(r.message_id, "");
	classify_str(200, "{\"ok\":false,\"error_code\":400,\"description\":\"odd\"}", &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_fixture),
		cmocka_unit_test(test_start_command_fixture),
		cmocka_unit_test(test_photo_fixture),
		cmocka_unit_test(test_edited_message_fixture),
		cmocka_unit_test(test_group_message_fixture_is_ignored),
		cmocka_unit_test(test_callback_query_fixture),
		cmocka_unit_test(test_callback_query_takes_the_button_label),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_what_is_not_a_private_customer_chat),
		cmocka_unit_test(test_bad_updates),
		cmocka_unit_test(test_times_and_names),
		cmocka_unit_test(test_garbled_fixtures_never_crash),
		cmocka_unit_test(test_send_request),
		cmocka_unit_test(test_send_request_refuses_unsafe_fields),
		cmocka_unit_test(test_send_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
