/* Messenger and Instagram (Messenger Platform): webhook bodies, send requests, answers. */
#include "channel_test.h"

#include <jansson.h>

#define PAGE  "109876543210987"
#define PSID  "6543210987654321"
#define IG    "17841400000000001"
#define IGSID "987654321098765"

static struct inbound_list *parse_ok(enum channel_kind kind, const char *body, size_t len)
{
	struct meta_webhook *w = NULL;
	struct error e = { 0 };
	struct inbound_list *list;

	if (meta_webhook_new(kind, body, len, &w, &e) != 0)
		fail_msg("refused: %s", e.message);
	list = meta_webhook_events(w, TEST_NOW_MS);
	meta_webhook_free(w);
	assert_list_clean(list);
	return list;
}

static struct inbound_list *parse_fixture(enum channel_kind kind, const char *name)
{
	size_t len;
	char *body = fixture_read(name, &len);
	struct inbound_list *list = parse_ok(kind, body, len);
	free(body);
	return list;
}

/* A page webhook with one messaging item per argument (JSON members, without braces). */
static struct inbound_list *parse_items(enum channel_kind kind, const char *items)
{
	char body[8192];
	snprintf(body, sizeof(body),
	         "{\"object\":\"%s\",\"entry\":[{\"id\":\"%s\",\"time\":1764000000000,"
	         "\"messaging\":[%s]}]}",
	         kind == CHANNEL_INSTAGRAM ? "instagram" : "page",
	         kind == CHANNEL_INSTAGRAM ? IG : PAGE, items);
	return parse_ok(kind, body, strlen(body));
}

#define FROM_CUSTOMER                                                                         \
	"\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\"" PAGE "\"},\"timestamp\":" \
	"1764000000000"

static void test_messenger_text_fixture(void **state)
{
	struct inbound_list *list = parse_fixture(CHANNEL_MESSENGER, "messenger/text.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(list->skipped, 0);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->channel, CHANNEL_MESSENGER);
	assert_string_equal(ev->channel_id, PAGE);
	assert_string_equal(ev->contact_id, PSID);
	assert_null(ev->contact_name);
	assert_string_equal(ev->message_id,
	                    "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqM"
	                    "vK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P");
	assert_int_equal(ev->time_ms, 1764000000000LL);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.raw_type, "text");
	assert_string_equal(ev->msg.text, "Buenas, ¿tenéis cita para el jueves?");
	assert_null(ev->msg.payload);
	assert_null(ev->msg.app_id);
	inbound_list_free(list);
}

static void test_messenger_channel_ids(void **state)
{
	const char *body = "{\"object\":\"page\",\"entry\":[{\"id\":\"111\",\"messaging\":[]},"
	                   "{\"id\":222,\"messaging\":[]},{\"id\":\"111\"},{\"id\":\"\"},{}]}";
	struct meta_webhook *w = NULL;
	(void)state;

	assert_int_equal(meta_webhook_new(CHANNEL_MESSENGER, body, strlen(body), &w, NULL), 0);
	assert_int_equal(meta_webhook_channel_count(w), 2);
	assert_string_equal(meta_webhook_channel_id(w, 0), "111");
	assert_string_equal(meta_webhook_channel_id(w, 1), "222");
	meta_webhook_free(w);

	/* Each endpoint takes only its own object. */
	assert_int_equal(meta_webhook_new(CHANNEL_INSTAGRAM, body, strlen(body), &w, NULL),
	                 ERR_INVALID);
	assert_null(w);
}

static void test_messenger_quick_reply_and_postback_fixtures(void **state)
{
	struct inbound_list *list = parse_fixture(CHANNEL_MESSENGER, "messenger/quick_reply.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(ev->msg.raw_type, "quick_reply");
	assert_string_equal(ev->msg.text, "Ventas");
	assert_string_equal(ev->msg.payload, "OPT_SALES");
	assert_string_equal(ev->message_id, "m_quickreply_0001");
	assert_int_equal(ev->time_ms, 1764000060000LL);
	inbound_list_free(list);

	list = parse_fixture(CHANNEL_MESSENGER, "messenger/postback.json");
	ev = &list->events[0];
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(ev->msg.raw_type, "postback");
	assert_string_equal(ev->msg.text, "Hablar con soporte");
	assert_string_equal(ev->msg.payload, "OPT_SUPPORT");
	assert_string_equal(ev->message_id, "m_postback_0001");
	assert_string_equal(ev->contact_id, PSID);
	inbound_list_free(list);
}

static void test_messenger_image_fixture(void **state)
{
	struct inbound_list *list = parse_fixture(CHANNEL_MESSENGER, "messenger/image.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_IMAGE);
	assert_string_equal(ev->msg.raw_type, "image");
	assert_string_equal(ev->msg.media_ref,
	                    "https://scontent.example.invalid/v/t1.15752-9/photo.jpg");
	assert_null(ev->msg.text);
	assert_string_equal(ev->message_id, "m_image_0001");
	inbound_list_free(list);
}

static void test_messenger_echo_fixture(void **state)
{
	struct inbound_list *list = parse_fixture(CHANNEL_MESSENGER, "messenger/echo.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_ECHO);
	/* The customer is the recipient of an echo. */
	assert_string_equal(ev->contact_id, PSID);
	assert_string_equal(ev->channel_id, PAGE);
	assert_string_equal(ev->message_id, "m_echo_0001");
	assert_string_equal(ev->msg.text, "Te respondo desde la app de la página");
	assert_string_equal(ev->msg.app_id, "1517776481860111");
	assert_int_equal(ev->time_ms, 1764000180000LL);
	inbound_list_free(list);
}

static void test_messenger_delivery_and_read_fixture(void **state)
{
	struct inbound_list *list =
	    parse_fixture(CHANNEL_MESSENGER, "messenger/delivery_read.json");
	(void)state;

	assert_int_equal(list->count, 3);
	assert_int_equal(list->events[0].kind, INBOUND_KIND_STATUS);
	assert_int_equal(list->events[0].status.state, INBOUND_DELIVERED);
	assert_string_equal(list->events[0].message_id, "m_sent_by_us_0001");
	assert_int_equal(list->events[0].status.watermark_ms, 0);
	assert_string_equal(list->events[0].contact_id, PSID);
	assert_int_equal(list->events[1].status.state, INBOUND_DELIVERED);
	assert_null(list->events[1].message_id);
	assert_int_equal(list->events[1].status.watermark_ms, 1764000239000LL);
	assert_int_equal(list->events[2].status.state, INBOUND_READ);
	assert_null(list->events[2].message_id);
	assert_int_equal(list->events[2].status.watermark_ms, 1764000240500LL);
	assert_int_equal(list->events[2].time_ms, 1764000241000LL);
	assert_string_equal(list->events[2].contact_id, PSID);
	assert_string_equal(list->events[2].channel_id, PAGE);
	inbound_list_free(list);
}

static void test_instagram_fixtures(void **state)
{
	struct inbound_list *list = parse_fixture(CHANNEL_INSTAGRAM, "instagram/text.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->channel, CHANNEL_INSTAGRAM);
	assert_string_equal(ev->channel_id, IG);
	assert_string_equal(ev->contact_id, IGSID);
	assert_string_equal(ev->msg.text, "Hola! Soy de Sevilla");
	assert_int_equal(ev->time_ms, 1764000000400LL);
	assert_string_equal(ev->message_id,
	                    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM"
	                    "2Njg0MTcxMDMwMTI0NDI1OTE4OTY1MDIzMzI5MzU3Mg");
	inbound_list_free(list);

	list = parse_fixture(CHANNEL_INSTAGRAM, "instagram/echo.json");
	ev = &list->events[0];
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_ECHO);
	assert_string_equal(ev->contact_id, IGSID);
	assert_string_equal(ev->msg.text, "¡Sí! Te paso el enlace");
	assert_null(ev->msg.app_id);
	inbound_list_free(list);

	/* A story reply is the customer's text, answering the story (kept as id and URL). */
	list = parse_fixture(CHANNEL_INSTAGRAM, "instagram/story_reply.json");
	ev = &list->events[0];
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.text, "¿Este modelo está en talla M?");
	assert_string_equal(ev->msg.reply_to_id, "17900000000000001");
	assert_string_equal(ev->msg.story_url, "https://lookaside.example.invalid/story.jpg");
	inbound_list_free(list);
}

static void test_several_attachments_become_several_events(void **state)
{
	struct inbound_list *list = parse_items(
	    CHANNEL_MESSENGER,
	    "{" FROM_CUSTOMER ",\"message\":{\"mid\":\"m_1\",\"text\":\"mira\",\"attachments\":["
	    "{\"type\":\"image\",\"payload\":{\"url\":\"https://cdn.example/a.jpg\"}},"
	    "{\"type\":\"video\",\"payload\":{\"url\":\"https://cdn.example/b.mp4\"}},"
	    "{\"type\":\"file\",\"payload\":{\"url\":\"https://cdn.example/c.pdf\"}},"
	    "{\"type\":\"audio\",\"payload\":{\"url\":\"javascript:alert(1)\"}},"
	    "{\"type\":\"image\",\"payload\":{\"url\":\"https://cdn.example/s.png\","
	    "\"sticker_id\":369239263222822}},"
	    "{\"type\":\"location\",\"title\":\"Casa\",\"payload\":{\"coordinates\":{\"lat\":"
	    "37.3891,\"long\":-5.9845}}},"
	    "{\"type\":\"fallback\",\"payload\":{\"url\":\"https://example.org/\"}},"
	    "{\"payload\":{}}]}}");
	const struct inbound_event *ev = list->events;
	(void)state;

	assert_int_equal(list->count, 8);
	assert_string_equal(ev[0].message_id, "m_1");
	assert_int_equal(ev[0].msg.type, INBOUND_TYPE_IMAGE);
	assert_string_equal(ev[0].msg.text, "mira");
	assert_string_equal(ev[0].msg.media_ref, "https://cdn.example/a.jpg");
	assert_string_equal(ev[1].message_id, "m_1#2");
	assert_int_equal(ev[1].msg.type, INBOUND_TYPE_VIDEO);
	assert_null(ev[1].msg.text);
	assert_string_equal(ev[1].contact_id, PSID);
	assert_int_equal(ev[1].time_ms, 1764000000000LL);
	assert_int_equal(ev[2].msg.type, INBOUND_TYPE_DOCUMENT);
	assert_string_equal(ev[2].msg.raw_type, "file");
	/* Only http(s) URLs are kept. */
	assert_int_equal(ev[3].msg.type, INBOUND_TYPE_AUDIO);
	assert_null(ev[3].msg.media_ref);
	assert_int_equal(ev[4].msg.type, INBOUND_TYPE_STICKER);
	assert_string_equal(ev[4].msg.raw_type, "sticker");
	assert_int_equal(ev[5].msg.type, INBOUND_TYPE_LOCATION);
	assert_float_equal(ev[5].msg.latitude, 37.3891, 1e-9);
	assert_float_equal(ev[5].msg.longitude, -5.9845, 1e-9);
	assert_string_equal(ev[5].msg.place_name, "Casa");
	assert_int_equal(ev[6].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(ev[6].msg.raw_type, "fallback");
	assert_string_equal(ev[6].msg.media_ref, "https://example.org/");
	assert_string_equal(ev[7].msg.raw_type, "unknown");
	assert_string_equal(ev[7].message_id, "m_1#8");
	inbound_list_free(list);
}

static void test_instagram_shares_reactions_deletions_and_reads(void **state)
{
	struct inbound_list *list = parse_items(
	    CHANNEL_INSTAGRAM,
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000000000,\"message\":{\"mid\":\"ig_1\",\"attachments\":[{\"type\":\"ig_reel\","
	    "\"payload\":{\"url\":\"https://lookaside.example/reel\",\"title\":\"Reel\"}}]}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000001000,\"reaction\":{\"mid\":\"ig_ours\",\"action\":\"react\",\"reaction\":"
	    "\"love\",\"emoji\":\"\\u2764\"}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000002000,\"reaction\":{\"mid\":\"ig_ours\",\"action\":\"unreact\"}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000003000,\"message\":{\"mid\":\"ig_2\",\"is_deleted\":true}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000004000,\"read\":{\"mid\":\"ig_ours\"}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000005000,\"message\":{\"mid\":\"ig_3\",\"is_unsupported\":true}},"
	    "{\"sender\":{\"id\":\"" IGSID "\"},\"recipient\":{\"id\":\"" IG "\"},\"timestamp\":"
	    "1764000006000,\"message\":{\"mid\":\"ig_4\",\"text\":\"ok\",\"reply_to\":{\"mid\":"
	    "\"ig_ours\"}}}");
	const struct inbound_event *ev = list->events;
	(void)state;

	assert_int_equal(list->count, 7);
	assert_int_equal(ev[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(ev[0].msg.raw_type, "ig_reel");
	assert_string_equal(ev[0].msg.media_ref, "https://lookaside.example/reel");

	assert_int_equal(ev[1].kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev[1].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(ev[1].msg.raw_type, "reaction");
	assert_string_equal(ev[1].msg.text, "\xe2\x9d\xa4");
	assert_string_equal(ev[1].msg.reply_to_id, "ig_ours");
	assert_string_equal(ev[1].message_id, "ig_ours:reaction:1764000001000");
	assert_string_equal(ev[2].msg.raw_type, "reaction_removed");
	assert_null(ev[2].msg.text);
	assert_string_equal(ev[2].message_id, "ig_ours:reaction:1764000002000");

	assert_int_equal(ev[3].kind, INBOUND_KIND_IGNORED);
	assert_string_equal(ev[3].reason, "Instagram: the customer deleted message ig_2");
	assert_string_equal(ev[3].contact_id, IGSID);

	assert_int_equal(ev[4].kind, INBOUND_KIND_STATUS);
	assert_int_equal(ev[4].status.state, INBOUND_READ);
	assert_string_equal(ev[4].message_id, "ig_ours");
	assert_int_equal(ev[4].status.watermark_ms, 0);

	assert_string_equal(ev[5].msg.raw_type, "unsupported");
	assert_int_equal(ev[6].msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev[6].msg.reply_to_id, "ig_ours");
	assert_null(ev[6].msg.story_url);
	inbound_list_free(list);
}

static void test_other_events_are_ignored_with_a_reason(void **state)
{
	struct inbound_list *list = parse_items(
	    CHANNEL_MESSENGER,
	    "{" FROM_CUSTOMER ",\"optin\":{\"ref\":\"x\"}},"
	    "{" FROM_CUSTOMER "},"
	    "{" FROM_CUSTOMER ",\"postback\":{\"title\":\"Empezar\",\"payload\":\"GET_STARTED\"}}");
	(void)state;

	assert_int_equal(list->count, 3);
	assert_int_equal(list->events[0].kind, INBOUND_KIND_IGNORED);
	assert_string_equal(list->events[0].reason, "Messenger event 'optin' is not handled");
	assert_string_equal(list->events[1].reason, "Messenger event '(none)' is not handled");
	/* A postback without a mid (before Graph v11) gets one from who tapped and when. */
	assert_string_equal(list->events[2].message_id, "postback:" PSID ":1764000000000");
	assert_string_equal(list->events[2].msg.payload, "GET_STARTED");
	inbound_list_free(list);

	/* Standby (another app has the thread) and feed changes are not for the inbox. */
	const char *standby =
	    "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE "\",\"standby\":[{" FROM_CUSTOMER
	    ",\"message\":{\"mid\":\"m\",\"text\":\"x\"}}],"
	    "\"changes\":[{\"field\":\"feed\",\"value\":{}}]}]}";
	list = parse_ok(CHANNEL_MESSENGER, standby, strlen(standby));
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 0);
	inbound_list_free(list);
}

static void test_bad_items_are_skipped_and_good_ones_kept(void **state)
{
	struct inbound_list *list = parse_items(
	    CHANNEL_MESSENGER,
	    "{" FROM_CUSTOMER ",\"message\":{\"text\":\"no mid\"}},"
	    "{\"recipient\":{\"id\":\"" PAGE
	    "\"},\"message\":{\"mid\":\"m_x\",\"text\":\"no sender\"}},"
	    "{\"sender\":{\"id\":\"" PAGE "\"},\"message\":{\"mid\":\"m_y\",\"is_echo\":true}},"
	    "{" FROM_CUSTOMER ",\"delivery\":{}},"
	    "{" FROM_CUSTOMER ",\"delivery\":{\"mids\":[\"m_ok\", 7, \"m ok\"]}},"
	    "{" FROM_CUSTOMER ",\"reaction\":{\"action\":\"react\"}},"
	    "42,"
	    "{" FROM_CUSTOMER ",\"message\":{\"mid\":\"m_good\",\"text\":\"bien\"}}");
	(void)state;

	assert_int_equal(list->count, 2);
	assert_string_equal(list->events[0].message_id, "m_ok");
	assert_int_equal(list->events[0].status.state, INBOUND_DELIVERED);
	assert_string_equal(list->events[1].message_id, "m_good");
	assert_int_equal(list->skipped, 8);
	assert_int_equal(list->reason_count, INBOUND_MAX_REASONS);
	assert_string_equal(list->reasons[0], "Messenger message without a valid mid");
	assert_string_equal(list->reasons[1], "Messenger message without a valid sender id");
	assert_string_equal(list->reasons[2], "Messenger message without a valid recipient id");
	assert_string_equal(list->reasons[3], "Messenger receipt without mids or watermark");
	inbound_list_free(list);

	const char *no_entry_id = "{\"object\":\"page\",\"entry\":[{\"messaging\":[{" FROM_CUSTOMER
	                          ",\"message\":{\"mid\":\"m\",\"text\":\"x\"}}]}]}";
	list = parse_ok(CHANNEL_MESSENGER, no_entry_id, strlen(no_entry_id));
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	assert_string_equal(list->reasons[0], "Messenger entry without a valid id");
	inbound_list_free(list);
}

static void test_watermarks_out_of_range_become_now(void **state)
{
	struct inbound_list *list = parse_items(
	    CHANNEL_MESSENGER,
	    "{" FROM_CUSTOMER ",\"read\":{\"watermark\":32503680000000}},"
	    "{\"sender\":{\"id\":\"" PSID "\"},\"timestamp\":-5,\"read\":{\"watermark\":1}},"
	    "{\"sender\":{\"id\":\"" PSID "\"},\"timestamp\":\"1764000000000\",\"message\":"
	    "{\"mid\":\"m\",\"text\":\"t\"}}");
	(void)state;

	assert_int_equal(list->count, 3);
	assert_int_equal(list->events[0].status.watermark_ms, TEST_NOW_MS);
	assert_int_equal(list->events[1].status.watermark_ms, TEST_NOW_MS);
	assert_int_equal(list->events[1].time_ms, TEST_NOW_MS);
	/* Messenger times are integers in ms; digits in a string are read the same way. */
	assert_int_equal(list->events[2].time_ms, 1764000000000LL);
	inbound_list_free(list);
}

static void test_every_item_of_a_body_is_read(void **state)
{
	size_t n_items = 2000;
	size_t size = n_items * 200 + 256;
	char *body = malloc(size);
	size_t n = (size_t)snprintf(
	    body, size, "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE "\",\"messaging\":[");
	struct inbound_list *list;
	(void)state;

	/* One delivery listing 1500 mids and a watermark: a status for each, and the watermark. */
	n += (size_t)snprintf(body + n, size - n, "{" FROM_CUSTOMER ",\"delivery\":{\"mids\":[");
	for (size_t i = 0; i < 1500; i++)
		n += (size_t)snprintf(body + n, size - n, "%s\"m%zu\"", i ? "," : "", i);
	n += (size_t)snprintf(body + n, size - n, "],\"watermark\":1764000000000}}]}]}");
	list = parse_ok(CHANNEL_MESSENGER, body, n);
	assert_int_equal(list->count, 1501);
	assert_string_equal(list->events[1499].message_id, "m1499");
	assert_null(list->events[1500].message_id);
	inbound_list_free(list);

	/* 1200 attachments of one message: an event each. */
	n = (size_t)snprintf(body, size,
	                     "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE
	                     "\",\"messaging\":[{" FROM_CUSTOMER
	                     ",\"message\":{\"mid\":\"m\",\"attachments\":[");
	for (size_t i = 0; i < 1200; i++)
		n += (size_t)snprintf(body + n, size - n, "%s{\"type\":\"image\"}", i ? "," : "");
	n += (size_t)snprintf(body + n, size - n, "]}}]}]}");
	list = parse_ok(CHANNEL_MESSENGER, body, n);
	assert_int_equal(list->count, 1200);
	assert_string_equal(list->events[999].message_id, "m#1000");
	assert_string_equal(list->events[1199].message_id, "m#1200");
	inbound_list_free(list);
	free(body);
}

static void parse_any(enum channel_kind kind, const char *data, size_t len)
{
	struct meta_webhook *w = NULL;
	if (meta_webhook_new(kind, data, len, &w, NULL) != 0) {
		assert_null(w);
		return;
	}
	for (size_t i = 0; i < meta_webhook_channel_count(w); i++)
		assert_id_clean(meta_webhook_channel_id(w, i));
	struct inbound_list *list = meta_webhook_events(w, TEST_NOW_MS);
	assert_list_clean(list);
	inbound_list_free(list);
	meta_webhook_free(w);
}

static void parse_messenger(const char *data, size_t len)
{
	parse_any(CHANNEL_MESSENGER, data, len);
}

static void parse_instagram(const char *data, size_t len)
{
	parse_any(CHANNEL_INSTAGRAM, data, len);
}

static void test_garbled_fixtures_never_crash(void **state)
{
	static const char *const messenger[] = {
		"messenger/text.json",  "messenger/quick_reply.json",   "messenger/postback.json",
		"messenger/image.json", "messenger/delivery_read.json", "messenger/echo.json",
	};
	static const char *const instagram[] = {
		"instagram/text.json",
		"instagram/echo.json",
		"instagram/story_reply.json",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(messenger) / sizeof(messenger[0]); i++) {
		size_t len;
		char *body = fixture_read(messenger[i], &len);
		garble(body, len, 300, parse_messenger);
		free(body);
	}
	for (size_t i = 0; i < sizeof(instagram) / sizeof(instagram[0]); i++) {
		size_t len;
		char *body = fixture_read(instagram[i], &len);
		garble(body, len, 300, parse_instagram);
		free(body);
	}
}

static void test_send_requests(void **state)
{
	struct channel_send s = {
		.kind = CHANNEL_MESSENGER,
		.api_url = CHANNEL_GRAPH_API_URL,
		.api_version = "v24.0",
		.token = "EAAPage|token",
		.recipient = PSID,
		.text = "¡Hola! 😀",
	};
	struct channel_request *r = NULL;
	json_t *body;
	(void)state;

	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "https://graph.facebook.com/v24.0/me/messages");
	assert_null(strstr(r->url, "access_token"));
	assert_int_equal(r->header_count, 2);
	assert_string_equal(r->headers[0], "Content-Type: application/json");
	assert_string_equal(r->headers[1], "Authorization: Bearer EAAPage|token");
	body = json_loads(r->body, 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(body, "recipient"), "id")), PSID);
	assert_string_equal(json_string_value(json_object_get(body, "messaging_type")), "RESPONSE");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(body, "message"), "text")), s.text);
	json_decref(body);
	channel_request_free(r);

	s.kind = CHANNEL_INSTAGRAM;
	s.recipient = IGSID;
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->url, "https://graph.facebook.com/v24.0/me/messages");
	assert_non_null(strstr(r->body, "\"id\":\"" IGSID "\""));
	channel_request_free(r);
}

static void test_send_text_limits(void **state)
{
	char text[3000];
	struct channel_send s = {
		.kind = CHANNEL_MESSENGER,
		.api_url = CHANNEL_GRAPH_API_URL,
		.api_version = CHANNEL_GRAPH_VERSION,
		.token = "t",
		.recipient = PSID,
		.text = text,
	};
	struct channel_request *r = NULL;
	(void)state;

	/* Messenger: 2000 UTF-16 units; an emoji counts two. */
	memset(text, 'a', 2000);
	text[2000] = '\0';
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	channel_request_free(r);
	memcpy(text + 1996, "\xf0\x9f\x98\x80", 4); /* 1996 + 2 units */
	text[2000] = '\0';
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	channel_request_free(r);
	memset(text, 'a', 1999);
	memcpy(text + 1999, "\xf0\x9f\x98\x80", 5); /* 1999 + 2 units */
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);

	/* Instagram: 999 bytes; "ñ" is two. */
	s.kind = CHANNEL_INSTAGRAM;
	memset(text, 'a', 997);
	memcpy(text + 997, "\xc3\xb1", 3);
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	channel_request_free(r);
	memset(text, 'a', 998);
	memcpy(text + 998, "\xc3\xb1", 3);
	assert_int_equal(channel_request_new(&s, &r, NULL), ERR_INVALID);
}

static void classify_fixture(enum channel_kind kind, const char *name, long status,
                             struct send_result *out)
{
	size_t len;
	char *body = fixture_read(name, &len);
	channel_send_classify(kind, status, body, len, out);
	free(body);
}

static void test_send_answers(void **state)
{
	struct send_result r;
	(void)state;

	classify_fixture(CHANNEL_MESSENGER, "graph/messenger_send_response.json", 200, &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);
	assert_string_equal(r.message_id, "m_sent_by_us_0001");
	assert_string_equal(r.reason, "");

	classify_fixture(CHANNEL_MESSENGER, "graph/messenger_outside_window.json", 400, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.code, 10);
	assert_int_equal(r.subcode, 2018278);
	assert_string_equal(r.reason, "The customer last wrote more than 24 hours ago, so "
	                              "Messenger no longer accepts a reply.");

	classify_fixture(CHANNEL_INSTAGRAM, "graph/invalid_token_190.json", 400, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.code, 190);
	assert_string_equal(r.reason, "The channel's Instagram access token is invalid or has "
	                              "expired: reconnect the channel.");

	classify_fixture(CHANNEL_MESSENGER, "graph/rate_limited_80007.json", 400, &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);

	const char *denied = "{\"error\":{\"message\":\"(#10) Permission denied\",\"code\":10}}";
	channel_send_classify(CHANNEL_MESSENGER, 400, denied, strlen(denied), &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason, "The channel lacks the Messenger permission to send this "
	                              "message.");

	const char *unavailable = "{\"error\":{\"message\":\"(#551) This person isn't available "
	                          "right now.\",\"code\":551,\"error_subcode\":1545041}}";
	channel_send_classify(CHANNEL_MESSENGER, 400, unavailable, strlen(unavailable), &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.subcode, 1545041);
	assert_non_null(strstr(r.reason, "cannot be reached"));

	const char *no_user = "{\"error\":{\"message\":\"(#100) No matching user found\","
	                      "\"code\":100,\"error_subcode\":2018001}}";
	channel_send_classify(CHANNEL_MESSENGER, 400, no_user, strlen(no_user), &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason, "Messenger knows no user with this id.");

	const char *temporary = "{\"error\":{\"message\":\"Temporary send message failure\","
	                        "\"code\":1200}}";
	channel_send_classify(CHANNEL_MESSENGER, 500, temporary, strlen(temporary), &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);

	const char *page_limit = "{\"error\":{\"message\":\"(#613) Calls exceeded\",\"code\":613}}";
	channel_send_classify(CHANNEL_MESSENGER, 400, page_limit, strlen(page_limit), &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messenger_text_fixture),
		cmocka_unit_test(test_messenger_channel_ids),
		cmocka_unit_test(test_messenger_quick_reply_and_postback_fixtures),
		cmocka_unit_test(test_messenger_image_fixture),
		cmocka_unit_test(test_messenger_echo_fixture),
		cmocka_unit_test(test_messenger_delivery_and_read_fixture),
		cmocka_unit_test(test_instagram_fixtures),
		cmocka_unit_test(test_several_attachments_become_several_events),
		cmocka_unit_test(test_instagram_shares_reactions_deletions_and_reads),
		cmocka_unit_test(test_other_events_are_ignored_with_a_reason),
		cmocka_unit_test(test_bad_items_are_skipped_and_good_ones_kept),
		cmocka_unit_test(test_watermarks_out_of_range_become_now),
		cmocka_unit_test(test_every_item_of_a_body_is_read),
		cmocka_unit_test(test_garbled_fixtures_never_crash),
		cmocka_unit_test(test_send_requests),
		cmocka_unit_test(test_send_text_limits),
		cmocka_unit_test(test_send_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
