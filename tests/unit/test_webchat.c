/* Web chat: a visitor's message into the canonical inbound event, and what is refused. */
#include "channel_test.h"

static void test_a_message_becomes_one_text_event(void **state)
{
	(void)state;
	struct inbound_list *list = NULL;
	struct error e = { 0 };
	assert_int_equal(
	    webchat_message_parse(42, "Lucía", "c-1_x", "hola\n¿qué tal?", TEST_NOW_MS, &list, &e),
	    0);
	assert_int_equal(list->count, 1);
	const struct inbound_event *ev = &list->events[0];
	assert_int_equal(ev->kind, INBOUND_KIND_MESSAGE);
	assert_int_equal(ev->channel, CHANNEL_WEBCHAT);
	assert_null(ev->channel_id);
	assert_string_equal(ev->contact_id, "web-42");
	assert_string_equal(ev->contact_name, "Lucía");
	assert_string_equal(ev->message_id, "web-42:c-1_x");
	assert_int_equal(ev->time_ms, TEST_NOW_MS);
	assert_int_equal(ev->msg.type, INBOUND_TYPE_TEXT);
	assert_string_equal(ev->msg.text, "hola\n¿qué tal?");
	inbound_list_free(list);
	/* No name, or a blank one: the contact is named by ingest. */
	assert_int_equal(webchat_message_parse(7, "  ", "a", "x", TEST_NOW_MS, &list, &e), 0);
	assert_null(list->events[0].contact_name);
	inbound_list_free(list);
}

static void test_bad_messages_are_refused(void **state)
{
	(void)state;
	char *long_text = malloc(WEBCHAT_TEXT_MAX + 2);
	memset(long_text, 'a', WEBCHAT_TEXT_MAX + 1);
	long_text[WEBCHAT_TEXT_MAX + 1] = '\0';
	const struct {
		const char *client_id, *text;
	} cases[] = {
		{ "a", "" },
		{ "a", " \t\r\n" },
		{ "a", "a\x1b" },
		{ "a", "\xff" },
		{ "", "hola" },
		{ "a b", "hola" },
		{ "a/b", "hola" },
		{ "ñ", "hola" },
		{ "a", long_text },
		{ "0123456789012345678901234567890123456789012345678901234567890123x", "hola" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct inbound_list *list = NULL;
		struct error e = { 0 };
		assert_int_equal(webchat_message_parse(1, NULL, cases[i].client_id, cases[i].text,
		                                       TEST_NOW_MS, &list, &e),
		                 ERR_INVALID);
		assert_null(list);
		assert_true(e.message[0] != '\0');
	}
	/* Exactly the limit is fine. */
	struct inbound_list *list = NULL;
	long_text[WEBCHAT_TEXT_MAX] = '\0';
	assert_int_equal(webchat_message_parse(1, NULL, "a", long_text, TEST_NOW_MS, &list, NULL),
	                 0);
	inbound_list_free(list);
	free(long_text);
}

static void test_replies_are_split_at_4096_bytes(void **state)
{
	(void)state;
	assert_int_equal(channel_text_limit(CHANNEL_WEBCHAT).max, WEBCHAT_TEXT_MAX);
	assert_int_equal(channel_text_limit(CHANNEL_WEBCHAT).unit, TEXT_UNIT_BYTES);
	enum channel_kind kind;
	assert_int_equal(channel_kind_parse("webchat", &kind), 0);
	assert_int_equal(kind, CHANNEL_WEBCHAT);
	assert_string_equal(channel_kind_name(CHANNEL_WEBCHAT), "webchat");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_message_becomes_one_text_event),
		cmocka_unit_test(test_bad_messages_are_refused),
		cmocka_unit_test(test_replies_are_split_at_4096_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
