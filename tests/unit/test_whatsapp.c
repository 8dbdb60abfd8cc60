/* WhatsApp Cloud API: webhook bodies into events, the send request, and its answers. */
#include "channel_test.h"

#include <jansson.h>

#define CHANNEL "106540352242922"

/* Parses a WhatsApp webhook body that must be accepted; the caller frees the list. */
static struct inbound_list *parse_ok(const char *body, size_t len)
{
	struct meta_webhook *w = NULL;
	struct error e = { 0 };
	struct inbound_list *list;

	if (meta_webhook_new(CHANNEL_WHATSAPP, body, len, &w, &e) != 0)
		fail_msg("refused: %s", e.message);
	list = meta_webhook_events(w, TEST_NOW_MS);
	meta_webhook_free(w);
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

static struct inbound_list *parse_str(const char *body)
{
	return parse_ok(body, strlen(body));
}

/* A webhook body with one change whose value is value_members (JSON members, no braces). */
static char *change_body(const char *value_members)
{
	static const char head[] =
	    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{"
	    "\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
	    "{\"phone_number_id\":\"" CHANNEL "\"},";
	size_t size = sizeof(head) + strlen(value_members) + 8;
	char *body = malloc(size);
	assert_non_null(body);
	snprintf(body, size, "%s%s}}]}]}", head, value_members);
	return body;
}

/* The events of a body with one message, given as a JSON object. */
static struct inbound_list *parse_message(const char *message)
{
	size_t size = strlen(message) + 64;
	char *members = malloc(size);
	char *body;
	struct inbound_list *list;

	assert_non_null(members);
	snprintf(members, size, "\"messages\":[%s]", message);
	body = change_body(members);
	list = parse_str(body);
	free(body);
	free(members);
	return list;
}

static void test_text_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("whatsapp/text.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(list->skipped, 0);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->channel, CHANNEL_WHATSAPP);
	assert_string_equal(ev->channel_id, CHANNEL);
	assert_string_equal(ev->contact_id, "34612345678");
	assert_string_equal(ev->contact_name, "Lucía Fernández");
	assert_string_equal(ev->message_id,
	                    "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=");
	assert_int_equal(ev->time_ms, 1764000000000LL);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.raw_type, "text");
	assert_string_equal(ev->msg.text, "Hola, quería información sobre un pedido");
	assert_false(ev->msg.is_text_truncated);
	assert_null(ev->msg.payload);
	assert_null(ev->msg.media_ref);
	assert_null(ev->msg.reply_to_id);
	assert_null(ev->msg.app_id);
	assert_null(ev->reason);
	inbound_list_free(list);
}

static void test_channel_ids_before_parsing(void **state)
{
	size_t len;
	char *body = fixture_read("whatsapp/batched.json", &len);
	struct meta_webhook *w = NULL;
	(void)state;

	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, body, len, &w, NULL), 0);
	assert_int_equal(meta_webhook_channel_count(w), 1);
	assert_string_equal(meta_webhook_channel_id(w, 0), CHANNEL);
	assert_null(meta_webhook_channel_id(w, 1));
	meta_webhook_free(w);
	free(body);
}

static void test_channel_ids_are_distinct_across_entries(void **state)
{
	const char *body =
	    "{\"object\":\"whatsapp_business_account\",\"entry\":["
	    "{\"id\":\"1\",\"changes\":[{\"value\":{\"metadata\":{\"phone_number_id\":\"111\"}}},"
	    "{\"value\":{\"metadata\":{\"phone_number_id\":\"222\"}}}]},"
	    "{\"id\":\"2\",\"changes\":[{\"value\":{\"metadata\":{\"phone_number_id\":\"111\"}}},"
	    "{\"value\":{\"metadata\":{\"phone_number_id\":\"bad id\"}}},"
	    "{\"value\":{\"metadata\":{}}}]}]}";
	struct meta_webhook *w = NULL;
	(void)state;

	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, body, strlen(body), &w, NULL), 0);
	assert_int_equal(meta_webhook_channel_count(w), 2);
	assert_string_equal(meta_webhook_channel_id(w, 0), "111");
	assert_string_equal(meta_webhook_channel_id(w, 1), "222");
	meta_webhook_free(w);
}

static void test_too_many_channels_is_refused(void **state)
{
	char *body = malloc(70 * 80 + 200);
	size_t n = 0;
	struct meta_webhook *w = NULL;
	struct error e = { 0 };
	(void)state;

	n += (size_t)sprintf(body + n, "{\"object\":\"whatsapp_business_account\",\"entry\":[");
	for (int i = 0; i < META_MAX_CHANNELS + 1; i++)
		n +=
		    (size_t)sprintf(body + n,
		                    "%s{\"changes\":[{\"value\":{\"metadata\":{\"phone_number_id\":"
		                    "\"%d\"}}}]}",
		                    i ? "," : "", 1000 + i);
	sprintf(body + n, "]}");
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, body, strlen(body), &w, &e),
	                 ERR_INVALID);
	assert_null(w);
	assert_non_null(strstr(e.message, "channels"));
	free(body);
}

static void test_batched_fixture_names_each_contact(void **state)
{
	struct inbound_list *list = parse_fixture("whatsapp/batched.json");
	(void)state;

	assert_int_equal(list->count, 2);
	assert_string_equal(list->events[0].contact_id, "34600000001");
	assert_string_equal(list->events[0].contact_name, "Ana");
	assert_string_equal(list->events[0].message_id, "wamid.batch-0001");
	assert_string_equal(list->events[0].msg.text, "1");
	assert_int_equal(list->events[0].time_ms, 1764000300000LL);
	assert_string_equal(list->events[1].contact_id, "34600000002");
	assert_string_equal(list->events[1].contact_name, "Bruno");
	assert_string_equal(list->events[1].message_id, "wamid.batch-0002");
	assert_string_equal(list->events[1].msg.text, "ventas");
	assert_int_equal(list->events[1].time_ms, 1764000301000LL);
	inbound_list_free(list);
}

static void test_image_fixture(void **state)
{
	struct inbound_list *list = parse_fixture("whatsapp/image.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_IMAGE);
	assert_string_equal(ev->msg.raw_type, "image");
	assert_string_equal(ev->msg.media_ref, "1003383421387256");
	assert_string_equal(ev->msg.media_mime, "image/jpeg");
	assert_string_equal(ev->msg.text, "El paquete llegó así");
	assert_null(ev->msg.file_name);
	assert_int_equal(ev->time_ms, 1764000180000LL);
	inbound_list_free(list);
}

static void test_interactive_fixtures(void **state)
{
	struct inbound_list *list = parse_fixture("whatsapp/interactive_button_reply.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(ev->msg.raw_type, "button_reply");
	assert_string_equal(ev->msg.text, "Ventas");
	assert_string_equal(ev->msg.payload, "opt-sales");
	assert_string_equal(ev->msg.reply_to_id,
	                    "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI1QjQ2RTk0QkY5QjU0RkUyMjUA");
	inbound_list_free(list);

	list = parse_fixture("whatsapp/interactive_list_reply.json");
	ev = &list->events[0];
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(ev->msg.raw_type, "list_reply");
	assert_string_equal(ev->msg.text, "Cataluña");
	assert_string_equal(ev->msg.payload, "region-cat");
	assert_string_equal(ev->contact_name, "Jordi Puig");
	inbound_list_free(list);
}

static void test_status_fixtures(void **state)
{
	struct inbound_list *list = parse_fixture("whatsapp/status_delivered.json");
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_STATUS);
	assert_int_equal(ev->status.state, INBOUND_DELIVERED);
	assert_string_equal(ev->message_id,
	                    "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA");
	assert_string_equal(ev->contact_id, "34612345678");
	assert_string_equal(ev->channel_id, CHANNEL);
	assert_int_equal(ev->time_ms, 1764000240000LL);
	assert_int_equal(ev->status.watermark_ms, 0);
	assert_int_equal(ev->status.error_code, 0);
	assert_null(ev->status.error_title);
	inbound_list_free(list);

	list = parse_fixture("whatsapp/status_failed.json");
	ev = &list->events[0];
	assert_int_equal(list->count, 1);
	assert_int_equal(ev->status.state, INBOUND_FAILED);
	assert_string_equal(ev->message_id,
	                    "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBJBNTMxQjlGQ0QxRDMyRjk4RkEA");
	assert_int_equal(ev->status.error_code, 131047);
	assert_string_equal(ev->status.error_title, "Re-engagement message");
	assert_int_equal(ev->time_ms, 1764090000000LL);
	inbound_list_free(list);
}

static void test_sent_and_read_statuses_and_unknown_ones(void **state)
{
	char *body = change_body(
	    "\"statuses\":[{\"id\":\"wamid.a\",\"status\":\"sent\",\"timestamp\":\"1764000001\","
	    "\"recipient_id\":\"34600000001\"},"
	    "{\"id\":\"wamid.a\",\"status\":\"read\",\"timestamp\":\"1764000002\"},"
	    "{\"id\":\"wamid.a\",\"status\":\"played\",\"timestamp\":\"1764000003\"},"
	    "{\"status\":\"read\"},"
	    "{\"id\":\"wamid.b\",\"status\":\"failed\",\"errors\":[{\"code\":131026,"
	    "\"message\":\"Message undeliverable\"}]}]");
	struct inbound_list *list = parse_str(body);
	(void)state;

	assert_int_equal(list->count, 4);
	assert_int_equal(list->events[0].status.state, INBOUND_SENT);
	assert_string_equal(list->events[0].contact_id, "34600000001");
	assert_int_equal(list->events[1].status.state, INBOUND_READ);
	assert_null(list->events[1].contact_id);
	assert_int_equal(list->events[1].time_ms, 1764000002000LL);
	assert_int_equal(list->events[2].kind, INBOUND_KIND_IGNORED);
	assert_non_null(strstr(list->events[2].reason, "'played'"));
	assert_int_equal(list->events[3].status.state, INBOUND_FAILED);
	assert_int_equal(list->events[3].status.error_code, 131026);
	/* Without a title, the error's message stands in. */
	assert_string_equal(list->events[3].status.error_title, "Message undeliverable");
	/* Without a timestamp, the time it arrived. */
	assert_int_equal(list->events[3].time_ms, TEST_NOW_MS);
	assert_int_equal(list->skipped, 1);
	assert_non_null(strstr(list->reasons[0], "status without a valid id"));
	inbound_list_free(list);
	free(body);
}

static void test_media_types(void **state)
{
	struct inbound_list *list;
	(void)state;

	list = parse_message("{\"from\":\"346\",\"id\":\"w1\",\"timestamp\":\"1764000000\","
	                     "\"type\":\"document\",\"document\":{\"id\":\"77\",\"filename\":"
	                     "\"factura.pdf\",\"mime_type\":\"application/pdf\",\"caption\":\"la "
	                     "de octubre\"}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_DOCUMENT);
	assert_string_equal(list->events[0].msg.media_ref, "77");
	assert_string_equal(list->events[0].msg.file_name, "factura.pdf");
	assert_string_equal(list->events[0].msg.media_mime, "application/pdf");
	assert_string_equal(list->events[0].msg.text, "la de octubre");
	assert_null(list->events[0].contact_name);
	inbound_list_free(list);

	list = parse_message(
	    "{\"from\":\"346\",\"id\":\"w2\",\"type\":\"audio\",\"audio\":"
	    "{\"id\":\"78\",\"mime_type\":\"audio/ogg; codecs=opus\",\"voice\":true}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_AUDIO);
	assert_string_equal(list->events[0].msg.media_ref, "78");
	assert_string_equal(list->events[0].msg.media_mime, "audio/ogg; codecs=opus");
	assert_null(list->events[0].msg.text);
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w3\",\"type\":\"video\",\"video\":{\"id\":"
	                     "\"79\"}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_VIDEO);
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w4\",\"type\":\"sticker\",\"sticker\":"
	                     "{\"id\":\"80\",\"animated\":false}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_STICKER);
	assert_string_equal(list->events[0].msg.media_ref, "80");
	inbound_list_free(list);

	/* A media message whose media id is missing is still the customer's message. */
	list = parse_message("{\"from\":\"346\",\"id\":\"w5\",\"type\":\"image\"}");
	assert_int_equal(list->count, 1);
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_IMAGE);
	assert_null(list->events[0].msg.media_ref);
	inbound_list_free(list);
}

static void test_location_and_contacts(void **state)
{
	struct inbound_list *list;
	(void)state;

	list =
	    parse_message("{\"from\":\"346\",\"id\":\"w1\",\"type\":\"location\",\"location\":"
	                  "{\"latitude\":41.3874,\"longitude\":2.1686,\"name\":\"Tienda Centro\","
	                  "\"address\":\"Plaça de Catalunya 1\"}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_LOCATION);
	assert_float_equal(list->events[0].msg.latitude, 41.3874, 1e-9);
	assert_float_equal(list->events[0].msg.longitude, 2.1686, 1e-9);
	assert_string_equal(list->events[0].msg.place_name, "Tienda Centro");
	assert_string_equal(list->events[0].msg.place_address, "Plaça de Catalunya 1");
	inbound_list_free(list);

	/* Integral coordinates are numbers too; out-of-range ones are a bad message. */
	list = parse_message("{\"from\":\"346\",\"id\":\"w2\",\"type\":\"location\",\"location\":"
	                     "{\"latitude\":-90,\"longitude\":180}}");
	assert_int_equal(list->count, 1);
	assert_float_equal(list->events[0].msg.latitude, -90.0, 0);
	assert_null(list->events[0].msg.place_name);
	inbound_list_free(list);
	list = parse_message("{\"from\":\"346\",\"id\":\"w3\",\"type\":\"location\",\"location\":"
	                     "{\"latitude\":91.0,\"longitude\":2.0}}");
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	assert_non_null(strstr(list->reasons[0], "coordinates"));
	inbound_list_free(list);
	list = parse_message("{\"from\":\"346\",\"id\":\"w4\",\"type\":\"location\",\"location\":"
	                     "{\"latitude\":\"41\",\"longitude\":2.0}}");
	assert_int_equal(list->skipped, 1);
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w5\",\"type\":\"contacts\",\"contacts\":["
	                     "{\"name\":{\"formatted_name\":\"Ana López\"},\"phones\":[{\"phone\":"
	                     "\"+34 600 000 001\",\"type\":\"CELL\"}]},"
	                     "{\"name\":{\"formatted_name\":\"Taller Pérez\"}}]}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_CONTACTS);
	assert_string_equal(list->events[0].msg.text, "Ana López +34 600 000 001\nTaller Pérez");
	inbound_list_free(list);
}

static void test_button_reaction_and_unsupported(void **state)
{
	struct inbound_list *list;
	(void)state;

	list = parse_message("{\"from\":\"346\",\"id\":\"w1\",\"type\":\"button\",\"button\":"
	                     "{\"payload\":\"OPT_SUPPORT\",\"text\":\"Soporte\"},\"context\":"
	                     "{\"from\":\"1555\",\"id\":\"wamid.template\"}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_REPLY);
	assert_string_equal(list->events[0].msg.raw_type, "button");
	assert_string_equal(list->events[0].msg.text, "Soporte");
	assert_string_equal(list->events[0].msg.payload, "OPT_SUPPORT");
	assert_string_equal(list->events[0].msg.reply_to_id, "wamid.template");
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w2\",\"type\":\"reaction\",\"reaction\":"
	                     "{\"message_id\":\"wamid.ours\",\"emoji\":\"\\ud83d\\udc4d\"}}");
	assert_int_equal(list->events[0].kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "reaction");
	assert_string_equal(list->events[0].msg.text, "\xf0\x9f\x91\x8d");
	assert_string_equal(list->events[0].msg.reply_to_id, "wamid.ours");
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w3\",\"type\":\"reaction\",\"reaction\":"
	                     "{\"message_id\":\"wamid.ours\"}}");
	assert_string_equal(list->events[0].msg.raw_type, "reaction_removed");
	assert_null(list->events[0].msg.text);
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w4\",\"type\":\"unsupported\",\"errors\":"
	                     "[{\"code\":131051,\"title\":\"Message type unknown\"}]}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "unsupported");
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w5\",\"type\":\"order\",\"order\":{}}");
	assert_string_equal(list->events[0].msg.raw_type, "order");
	inbound_list_free(list);

	list =
	    parse_message("{\"from\":\"346\",\"id\":\"w6\",\"type\":\"system\",\"system\":"
	                  "{\"body\":\"User changed number\",\"type\":\"user_changed_number\"}}");
	assert_string_equal(list->events[0].msg.raw_type, "system");
	assert_string_equal(list->events[0].msg.text, "User changed number");
	inbound_list_free(list);

	list = parse_message("{\"from\":\"346\",\"id\":\"w7\",\"type\":\"interactive\","
	                     "\"interactive\":{\"type\":\"nfm_reply\",\"nfm_reply\":{\"body\":"
	                     "\"Sent\",\"response_json\":\"{}\"}}}");
	assert_int_equal(list->events[0].msg.type, INBOUND_TYPE_UNSUPPORTED);
	assert_string_equal(list->events[0].msg.raw_type, "nfm_reply");
	assert_string_equal(list->events[0].msg.text, "Sent");
	inbound_list_free(list);

	/* No type at all: still stored, as unsupported "unknown". */
	list = parse_message("{\"from\":\"346\",\"id\":\"w8\"}");
	assert_int_equal(list->count, 1);
	assert_string_equal(list->events[0].msg.raw_type, "unknown");
	inbound_list_free(list);
}

static void test_echoes_from_the_business_app(void **state)
{
	char *body = change_body("\"message_echoes\":[{\"from\":\"15550783881\",\"to\":"
	                         "\"34612345678\",\"id\":\"wamid.echo1\",\"timestamp\":"
	                         "\"1764000400\",\"type\":\"text\",\"text\":{\"body\":\"Ya "
	                         "está enviado\"}}]");
	struct inbound_list *list = parse_str(body);
	const struct inbound_event *ev = &list->events[0];
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(ev->kind, INBOUND_KIND_ECHO);
	assert_string_equal(ev->contact_id, "34612345678");
	assert_string_equal(ev->message_id, "wamid.echo1");
	assert_string_equal(ev->msg.text, "Ya está enviado");
	assert_int_equal(ev->time_ms, 1764000400000LL);
	inbound_list_free(list);
	free(body);
}

static void test_value_errors_and_account_updates(void **state)
{
	char *body = change_body("\"errors\":[{\"code\":131000,\"title\":\"Something went "
	                         "wrong\"}]");
	struct inbound_list *list = parse_str(body);
	const char *update = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\","
	                     "\"time\":1764000000,\"changes\":[{\"field\":\"account_update\","
	                     "\"value\":{\"event\":\"VERIFIED_ACCOUNT\"}}]}]}";
	(void)state;

	assert_int_equal(list->count, 1);
	assert_int_equal(list->events[0].kind, INBOUND_KIND_IGNORED);
	assert_string_equal(list->events[0].reason,
	                    "WhatsApp reported error 131000: Something went wrong");
	assert_string_equal(list->events[0].channel_id, CHANNEL);
	inbound_list_free(list);
	free(body);

	list = parse_str(update);
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 0);
	inbound_list_free(list);

	list = parse_str("{\"object\":\"whatsapp_business_account\"}");
	assert_int_equal(list->count, 0);
	inbound_list_free(list);
	list = parse_str("{\"object\":\"whatsapp_business_account\",\"entry\":{}}");
	assert_int_equal(list->count, 0);
	inbound_list_free(list);
}

static void test_a_bad_message_among_good_ones_is_skipped(void **state)
{
	char *body = change_body(
	    "\"contacts\":[{\"profile\":{\"name\":\"Ana\"},\"wa_id\":\"34600000001\"}],"
	    "\"messages\":["
	    "{\"from\":\"34600000001\",\"id\":\"wamid.1\",\"type\":\"text\",\"text\":{\"body\":\"a\"}},"
	    "{\"from\":\"34600000001\",\"type\":\"text\",\"text\":{\"body\":\"no id\"}},"
	    "{\"id\":\"wamid.3\",\"type\":\"text\",\"text\":{\"body\":\"no from\"}},"
	    "{\"from\":\"34600000001\",\"id\":42,\"type\":\"text\"},"
	    "\"not an object\","
	    "{\"from\":\"34600000001\",\"id\":\"wamid.6\",\"type\":\"text\",\"text\":{\"body\":\"b\"}}"
	    "]");
	struct inbound_list *list = parse_str(body);
	(void)state;

	assert_int_equal(list->count, 2);
	assert_string_equal(list->events[0].message_id, "wamid.1");
	assert_string_equal(list->events[1].message_id, "wamid.6");
	assert_string_equal(list->events[1].msg.text, "b");
	assert_int_equal(list->skipped, 4);
	assert_int_equal(list->reason_count, 4);
	assert_string_equal(list->reasons[0], "WhatsApp message without a valid id");
	assert_string_equal(list->reasons[1], "WhatsApp message without a valid from");
	inbound_list_free(list);
	free(body);
}

static void test_a_change_without_its_channel_is_skipped(void **state)
{
	const char *body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":["
	                   "{\"value\":{\"messages\":[{\"from\":\"1\",\"id\":\"x\"}]}},"
	                   "{\"value\":{\"metadata\":{\"phone_number_id\":\"" CHANNEL "\"},"
	                   "\"messages\":[{\"from\":\"1\",\"id\":\"y\"}]}}]}]}";
	struct inbound_list *list = parse_str(body);
	(void)state;

	assert_int_equal(list->count, 1);
	assert_string_equal(list->events[0].message_id, "y");
	assert_int_equal(list->skipped, 1);
	assert_non_null(strstr(list->reasons[0], "phone_number_id"));
	inbound_list_free(list);
}

static void test_times_out_of_range_become_now(void **state)
{
	static const char *const stamps[] = {
		"\"32503680000\"",          /* the year 3000 */
		"\"99999999999999999999\"", /* more digits than an int64 holds */
		"\"-1764000000\"",
		"\"17640e0000\"",
		"\"\"",
		"1764000000.5",
		"\"946684799\"", /* 1999-12-31T23:59:59Z */
		"9223372036854775807",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		char msg[256];
		snprintf(msg, sizeof(msg),
		         "{\"from\":\"346\",\"id\":\"w\",\"timestamp\":%s,\"type\":\"text\"}",
		         stamps[i]);
		struct inbound_list *list = parse_message(msg);
		assert_int_equal(list->count, 1);
		assert_int_equal(list->events[0].time_ms, TEST_NOW_MS);
		inbound_list_free(list);
	}
	/* Up to a day ahead of our clock is believed (clocks differ); integers are read too. */
	struct inbound_list *list = parse_message(
	    "{\"from\":\"346\",\"id\":\"w\",\"timestamp\":\"1764186400\",\"type\":\"text\"}");
	assert_int_equal(list->events[0].time_ms, 1764186400000LL);
	inbound_list_free(list);
	list = parse_message("{\"from\":\"346\",\"id\":\"w\",\"timestamp\":946684800}");
	assert_int_equal(list->events[0].time_ms, 946684800000LL);
	inbound_list_free(list);
}

static void test_overlong_fields(void **state)
{
	size_t big = INBOUND_TEXT_MAX + 5000;
	char *text = malloc(big + 1);
	char *msg = malloc(big + 1024);
	char long_id[INBOUND_ID_MAX + 2];
	char name[2000];
	struct inbound_list *list;
	(void)state;

	/* "x" then "ñ"s (two bytes each): the even cap falls inside an "ñ", which must go whole. */
	size_t k = (big - 1) / 2;
	text[0] = 'x';
	for (size_t i = 0; i < k; i++)
		memcpy(text + 1 + 2 * i, "\xc3\xb1", 2);
	text[1 + 2 * k] = '\0';
	snprintf(msg, big + 1024,
	         "{\"from\":\"346\",\"id\":\"w1\",\"type\":\"text\",\"text\":{\"body\":\"%s\"}}",
	         text);
	list = parse_message(msg);
	assert_int_equal(list->count, 1);
	assert_true(list->events[0].msg.is_text_truncated);
	assert_int_equal(strlen(list->events[0].msg.text), INBOUND_TEXT_MAX - 1);
	assert_true(utf8_is_clean(list->events[0].msg.text, strlen(list->events[0].msg.text)));
	inbound_list_free(list);

	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	snprintf(msg, big + 1024, "{\"from\":\"346\",\"id\":\"%s\",\"type\":\"text\"}", long_id);
	list = parse_message(msg);
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, 1);
	inbound_list_free(list);
	long_id[INBOUND_ID_MAX] = '\0';
	snprintf(msg, big + 1024, "{\"from\":\"346\",\"id\":\"%s\",\"type\":\"text\"}", long_id);
	list = parse_message(msg);
	assert_int_equal(list->count, 1);
	assert_int_equal(strlen(list->events[0].message_id), INBOUND_ID_MAX);
	inbound_list_free(list);

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(msg, big + 1024,
	         "\"contacts\":[{\"profile\":{\"name\":\"%s\"},\"wa_id\":\"346\"}],"
	         "\"messages\":[{\"from\":\"346\",\"id\":\"w\",\"type\":\"text\"}]",
	         name);
	char *body = change_body(msg);
	list = parse_str(body);
	assert_int_equal(strlen(list->events[0].contact_name), INBOUND_NAME_MAX);
	inbound_list_free(list);
	free(body);
	free(msg);
	free(text);
}

static void test_control_characters_are_replaced(void **state)
{
	struct inbound_list *list =
	    parse_message("{\"from\":\"346\",\"id\":\"w\",\"type\":\"text\",\"text\":{\"body\":"
	                  "\"a\\u0007b\\u001bc\\u007fd\\te\\nf\"}}");
	(void)state;
	assert_string_equal(list->events[0].msg.text, "a\xef\xbf\xbd"
	                                              "b\xef\xbf\xbd"
	                                              "c\xef\xbf\xbd"
	                                              "d\te\nf");
	inbound_list_free(list);

	/* Ids with control characters or spaces are not ids. */
	list = parse_message("{\"from\":\"34\\u00016\",\"id\":\"w\",\"type\":\"text\"}");
	assert_int_equal(list->count, 0);
	inbound_list_free(list);
	list = parse_message("{\"from\":\"346\",\"id\":\"w x\",\"type\":\"text\"}");
	assert_int_equal(list->count, 0);
	inbound_list_free(list);
}

static void test_bad_bodies_are_refused(void **state)
{
	static const char *const malformed[] = {
		"",
		"{",
		"not json",
		"{\"object\":\"whatsapp_business_account\",}",
		/* jansson refuses NUL and invalid UTF-8 inside strings */
		"{\"object\":\"whatsapp_business_account\",\"x\":\"a\\u0000b\"}",
		"{\"object\":\"whatsapp_business_account\",\"x\":\"\xc3\x28\"}",
		"{\"object\":\"whatsapp_business_account\",\"x\":\"\xed\xa0\x80\"}",
		"{\"object\":\"whatsapp_business_account\",\"x\":\"\\ud800\"}",
		"{\"object\":\"whatsapp_business_account\",\"object\":\"page\"}",
	};
	struct meta_webhook *w = (struct meta_webhook *)1;
	struct error e = { 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(
		    meta_webhook_new(CHANNEL_WHATSAPP, malformed[i], strlen(malformed[i]), &w, &e),
		    ERR_BAD_JSON);
		assert_null(w);
	}
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, "[]", 2, &w, &e), ERR_INVALID);
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, "{}", 2, &w, &e), ERR_INVALID);
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, "{\"object\":\"page\"}", 17, &w, &e),
	                 ERR_INVALID);
	assert_non_null(strstr(e.message, "whatsapp_business_account"));
	assert_int_equal(meta_webhook_new(CHANNEL_TELEGRAM, "{}", 2, &w, &e), ERR_INVALID);
}

static void test_a_json_bomb_is_refused(void **state)
{
	size_t depth = 100000;
	char *bomb = malloc(2 * depth + 64);
	size_t n = (size_t)sprintf(bomb, "{\"object\":\"whatsapp_business_account\",\"entry\":");
	struct meta_webhook *w = NULL;
	struct error e = { 0 };
	(void)state;

	memset(bomb + n, '[', depth);
	memset(bomb + n + depth, ']', depth);
	bomb[n + 2 * depth] = '}';
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, bomb, n + 2 * depth + 1, &w, &e),
	                 ERR_BAD_JSON);
	assert_non_null(strstr(e.message, "64"));
	/* 63 levels inside the object still parse. */
	memset(bomb + n, '[', 63);
	memset(bomb + n + 63, ']', 63);
	bomb[n + 126] = '}';
	assert_int_equal(meta_webhook_new(CHANNEL_WHATSAPP, bomb, n + 127, &w, &e), 0);
	meta_webhook_free(w);
	free(bomb);
}

static void test_every_item_of_a_body_is_read(void **state)
{
	size_t million = 1000000;
	char *items = malloc(3 * million + 32);
	size_t n = (size_t)sprintf(items, "\"messages\":[");
	struct inbound_list *list;
	(void)state;

	/* A million junk items: each is skipped and counted, the reasons kept bounded. */
	for (size_t i = 0; i < million; i++) {
		memcpy(items + n, "{},", 3);
		n += 3;
	}
	items[n - 1] = ']';
	items[n] = '\0';
	char *body = change_body(items);
	list = parse_str(body);
	assert_int_equal(list->count, 0);
	assert_int_equal(list->skipped, million);
	assert_int_equal(list->reason_count, INBOUND_MAX_REASONS);
	inbound_list_free(list);
	free(body);

	/* 3000 good messages: every one is kept, in order. */
	n = (size_t)sprintf(items, "\"messages\":[");
	for (int i = 0; i < 3000; i++)
		n += (size_t)sprintf(items + n, "%s{\"from\":\"3\",\"id\":\"w%d\"}", i ? "," : "",
		                     i);
	sprintf(items + n, "]");
	body = change_body(items);
	list = parse_str(body);
	assert_int_equal(list->count, 3000);
	assert_string_equal(list->events[0].message_id, "w0");
	assert_string_equal(list->events[2999].message_id, "w2999");
	inbound_list_free(list);
	free(body);
	free(items);
}

static void parse_any(const char *data, size_t len)
{
	struct meta_webhook *w = NULL;
	if (meta_webhook_new(CHANNEL_WHATSAPP, data, len, &w, NULL) != 0) {
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

static void test_garbled_fixtures_never_crash(void **state)
{
	static const char *const fixtures[] = {
		"whatsapp/text.json",
		"whatsapp/batched.json",
		"whatsapp/image.json",
		"whatsapp/interactive_button_reply.json",
		"whatsapp/interactive_list_reply.json",
		"whatsapp/status_delivered.json",
		"whatsapp/status_failed.json",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		char *body = fixture_read(fixtures[i], &len);
		garble(body, len, 300, parse_any);
		free(body);
	}
}

static struct channel_send send_of(const char *text)
{
	return (struct channel_send){
		.kind = CHANNEL_WHATSAPP,
		.api_url = CHANNEL_GRAPH_API_URL,
		.api_version = CHANNEL_GRAPH_VERSION,
		.channel_id = CHANNEL,
		.token = "EAAG-token_value",
		.recipient = "34612345678",
		.text = text,
	};
}

static void test_send_request(void **state)
{
	struct channel_send s = send_of("Hola \"Lucía\"\n¿En qué te ayudo?");
	struct channel_request *r = NULL;
	json_error_t je;
	json_t *body;
	(void)state;

	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "https://graph.facebook.com/v25.0/" CHANNEL "/messages");
	assert_string_equal(r->url_for_log, r->url);
	assert_int_equal(r->header_count, 2);
	assert_string_equal(r->headers[0], "Content-Type: application/json");
	assert_string_equal(r->headers[1], "Authorization: Bearer EAAG-token_value");
	assert_int_equal(r->body_len, strlen(r->body));
	body = json_loads(r->body, 0, &je);
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 5);
	assert_string_equal(json_string_value(json_object_get(body, "messaging_product")),
	                    "whatsapp");
	assert_string_equal(json_string_value(json_object_get(body, "recipient_type")),
	                    "individual");
	assert_string_equal(json_string_value(json_object_get(body, "to")), "34612345678");
	assert_string_equal(json_string_value(json_object_get(body, "type")), "text");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(body, "text"), "body")), s.text);
	json_decref(body);
	channel_request_free(r);

	/* A local fake or a proxy, with a trailing slash. */
	s.api_url = "http://127.0.0.1:9999/graph/";
	assert_int_equal(channel_request_new(&s, &r, NULL), 0);
	assert_string_equal(r->url, "http://127.0.0.1:9999/graph/v25.0/" CHANNEL "/messages");
	channel_request_free(r);
}

static void test_send_request_refuses_unsafe_fields(void **state)
{
	char over[5000];
	struct channel_send s;
	struct channel_request *r = (struct channel_request *)1;
	struct error e = { 0 };
	(void)state;

	s = send_of("hola");
	s.token = "tok\r\nX-Injected: 1";
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	assert_null(r);
	s.token = "tok en";
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	s.token = "";
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	s.token = NULL;
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);

	s = send_of("hola");
	s.channel_id = "1065/../me";
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "phone number id"));
	s.channel_id = NULL;
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);

	s = send_of("hola");
	s.recipient = "+34 612";
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);

	static const char *const versions[] = { "v25",  "25.0", "v25.0/",    "v.0",
		                                "v25.", "",     "v25.0?x=1", "v123456.0" };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		s = send_of("hola");
		s.api_version = versions[i];
		assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	}
	s.api_version = NULL;
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);

	static const char *const urls[] = { "ftp://graph.facebook.com", "graph.facebook.com",
		                            "https://graph.facebook.com?x=1", "https://a b",
		                            "https://graph.facebook.com#f" };
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		s = send_of("hola");
		s.api_url = urls[i];
		assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	}

	s = send_of("");
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	s = send_of("\xc3\x28");
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	memset(over, 'a', 4097);
	over[4097] = '\0';
	s = send_of(over);
	assert_int_equal(channel_request_new(&s, &r, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "split"));
	over[4096] = '\0';
	assert_int_equal(channel_request_new(&s, &r, &e), 0);
	channel_request_free(r);
}

static void classify_fixture(const char *name, long status, struct send_result *out)
{
	size_t len;
	char *body = fixture_read(name, &len);
	channel_send_classify(CHANNEL_WHATSAPP, status, body, len, out);
	free(body);
}

static void test_send_answers(void **state)
{
	struct send_result r;
	(void)state;

	classify_fixture("graph/whatsapp_send_response.json", 200, &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);
	assert_string_equal(r.message_id,
	                    "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA");
	assert_string_equal(r.reason, "");
	assert_int_equal(r.code, 0);

	classify_fixture("graph/whatsapp_send_131047.json", 400, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.code, 131047);
	assert_string_equal(r.message_id, "");
	assert_string_equal(r.reason, "The customer last wrote more than 24 hours ago, so WhatsApp "
	                              "only accepts a template message now.");

	classify_fixture("graph/rate_limited_80007.json", 400, &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_int_equal(r.code, 80007);
	assert_int_equal(r.retry_after_s, 0);
	assert_non_null(strstr(r.reason, "WhatsApp rate limit"));

	classify_fixture("graph/invalid_token_190.json", 401, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_int_equal(r.code, 190);
	assert_int_equal(r.subcode, 463);
	assert_string_equal(r.reason, "The channel's WhatsApp access token is invalid or has "
	                              "expired: reconnect the channel.");
}

static void classify_str(long status, const char *body, struct send_result *out)
{
	channel_send_classify(CHANNEL_WHATSAPP, status, body, body ? strlen(body) : 0, out);
}

static void test_send_answers_without_a_fixture(void **state)
{
	struct send_result r;
	(void)state;

	classify_str(
	    400, "{\"error\":{\"message\":\"(#131056) pair rate limit hit\",\"code\":131056}}", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_int_equal(r.retry_after_s, 6);

	classify_str(400, "{\"error\":{\"message\":\"(#130429) Rate limit hit\",\"code\":130429}}",
	             &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	classify_str(400, "{\"error\":{\"message\":\"(#4) Too many calls\",\"code\":4}}", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	classify_str(500, "{\"error\":{\"message\":\"Something went wrong\",\"code\":131000}}", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);

	/* Permission errors span 200-299. */
	classify_str(403, "{\"error\":{\"message\":\"(#230) Requires permission\",\"code\":230}}",
	             &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_non_null(strstr(r.reason, "permission"));

	/* An unknown code: permanent for 4xx with the provider's words, transient for 5xx. */
	classify_str(400, "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"code\":100}}",
	             &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason,
	                    "WhatsApp refused the message (error 100: (#100) Invalid parameter).");
	classify_str(503, "{\"error\":{\"message\":\"Busy\",\"code\":99999}}", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_int_equal(r.code, 99999);

	/* Answers that are not Graph JSON. */
	classify_str(502, "<html>Bad Gateway</html>", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_string_equal(r.reason, "WhatsApp answered HTTP 502; sending again later.");
	classify_str(0, NULL, &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	assert_string_equal(r.reason, "No answer from WhatsApp; sending again later.");
	classify_str(429, "", &r);
	assert_int_equal(r.outcome, SEND_TRANSIENT);
	classify_str(404, NULL, &r);
	assert_int_equal(r.outcome, SEND_PERMANENT);
	assert_string_equal(r.reason, "WhatsApp refused the message (HTTP 404).");

	/* Accepted without a usable id: accepted all the same (sending again would repeat it). */
	classify_str(200, "{\"messages\":[{}]}", &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);
	assert_string_equal(r.message_id, "");
	classify_str(200, "not json", &r);
	assert_int_equal(r.outcome, SEND_ACCEPTED);

	/* The provider's message is cleaned and cut before it reaches the inbox. */
	char body[2000];
	char noise[1500];
	memset(noise, 'z', sizeof(noise) - 1);
	noise[sizeof(noise) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"\\u0007%s\",\"code\":7}}", noise);
	classify_str(400, body, &r);
	assert_true(strlen(r.reason) < sizeof(r.reason));
	assert_true(utf8_is_clean(r.reason, strlen(r.reason)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_fixture),
		cmocka_unit_test(test_channel_ids_before_parsing),
		cmocka_unit_test(test_channel_ids_are_distinct_across_entries),
		cmocka_unit_test(test_too_many_channels_is_refused),
		cmocka_unit_test(test_batched_fixture_names_each_contact),
		cmocka_unit_test(test_image_fixture),
		cmocka_unit_test(test_interactive_fixtures),
		cmocka_unit_test(test_status_fixtures),
		cmocka_unit_test(test_sent_and_read_statuses_and_unknown_ones),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_location_and_contacts),
		cmocka_unit_test(test_button_reaction_and_unsupported),
		cmocka_unit_test(test_echoes_from_the_business_app),
		cmocka_unit_test(test_value_errors_and_account_updates),
		cmocka_unit_test(test_a_bad_message_among_good_ones_is_skipped),
		cmocka_unit_test(test_a_change_without_its_channel_is_skipped),
		cmocka_unit_test(test_times_out_of_range_become_now),
		cmocka_unit_test(test_overlong_fields),
		cmocka_unit_test(test_control_characters_are_replaced),
		cmocka_unit_test(test_bad_bodies_are_refused),
		cmocka_unit_test(test_a_json_bomb_is_refused),
		cmocka_unit_test(test_every_item_of_a_body_is_read),
		cmocka_unit_test(test_garbled_fixtures_never_crash),
		cmocka_unit_test(test_send_request),
		cmocka_unit_test(test_send_request_refuses_unsafe_fields),
		cmocka_unit_test(test_send_answers),
		cmocka_unit_test(test_send_answers_without_a_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
