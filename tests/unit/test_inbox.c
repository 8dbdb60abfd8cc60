/* inbox/: the pure rules — login lock schedule, e-mail folding, name checks, status words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inbox/inbox.h"

static void test_lock_schedule(void **state)
{
	static const int expected[][2] = {
		{ 0, 0 }, { 1, 0 },  { 4, 0 },    { 5, 1 },    { 6, 2 },      { 7, 4 },
		{ 8, 8 }, { 9, 16 }, { 10, 900 }, { 11, 900 }, { 1000, 900 },
	};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_int_equal(auth_lock_seconds(expected[i][0], 5, 900), expected[i][1]);
	assert_int_equal(auth_lock_seconds(49, 50, 60), 0);
	assert_int_equal(auth_lock_seconds(50, 50, 60), 1);
	assert_int_equal(auth_lock_seconds(54, 50, 60), 16);
	assert_int_equal(auth_lock_seconds(55, 50, 60), 60);
}

static void test_fold_email(void **state)
{
	static const char *good[][2] = {
		{ "Ana@Example.COM", "ana@example.com" },
		{ "ÑANDÚ@correo.es", "ñandú@correo.es" },
		{ "admin@localhost", "admin@localhost" },
	};
	char out[USER_EMAIL_MAX + 1];
	struct error e;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(text_fold_email(good[i][0], out, &e), 0);
		assert_string_equal(out, good[i][1]);
	}
	static const char *bad[] = { "",        "plain",   "@example.com", "ana@",        "a@b@c",
		                     "a b@c.d", "<a@b.c>", "a@b.c\n",      "\xc3\x28@b.c" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(text_fold_email(bad[i], out, &e), ERR_INVALID);
	char longest[USER_EMAIL_MAX + 2];
	memset(longest, 'a', sizeof(longest));
	longest[10] = '@';
	longest[USER_EMAIL_MAX] = '\0';
	assert_int_equal(text_fold_email(longest, out, &e), 0);
	longest[USER_EMAIL_MAX] = 'a';
	longest[USER_EMAIL_MAX + 1] = '\0';
	assert_int_equal(text_fold_email(longest, out, &e), ERR_INVALID);
}

static void test_check_name(void **state)
{
	char out[16];
	struct error e;
	assert_int_equal(text_check_name("name", "  Soporte  ", 10, out, &e), 0);
	assert_string_equal(out, "Soporte");
	assert_int_equal(text_check_name("name", "Atención", 10, out, &e), 0);
	assert_int_equal(text_check_name("name", "   ", 10, out, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "'name'"));
	assert_int_equal(text_check_name("name", "0123456789a", 10, out, &e), ERR_INVALID);
	assert_int_equal(text_check_name("name", "a\tb", 10, out, &e), ERR_INVALID);
	assert_int_equal(text_check_name("name", "a\x1b[31m", 10, out, &e), ERR_INVALID);
}

static void test_fold(void **state)
{
	char *k = text_fold("MÁRKETING Straße");
	assert_string_equal(k, "márketing strasse");
	free(k);
	assert_null(text_fold("\xff"));
}

/* Every status reads back from its name; anything else, even a different case, is refused. */
static void test_conversation_status(void **state)
{
	enum conversation_status s = STATUS_OPEN;
	for (int i = STATUS_ROUTING; i <= STATUS_RESOLVED; i++) {
		assert_int_equal(conversation_status_parse(conversation_status_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(conversation_status_name(STATUS_SNOOZED), "snoozed");
	assert_int_equal(conversation_status_parse("Resolved", &s), ERR_INVALID);
	assert_int_equal(conversation_status_parse("", &s), ERR_INVALID);
	assert_int_equal(s, STATUS_RESOLVED);
}

static void test_conversation_statuses(void **state)
{
	char out[48];
	assert_int_equal(conversation_statuses_parse("open,routing", out, sizeof(out)), 0);
	assert_string_equal(out, ",open,routing,");
	assert_int_equal(
	    conversation_statuses_parse("routing,open,pending,snoozed,resolved", out, sizeof(out)),
	    0);
	assert_string_equal(out, ",routing,open,pending,snoozed,resolved,");
	assert_int_equal(conversation_statuses_parse("resolved", out, sizeof(out)), 0);
	assert_string_equal(out, ",resolved,");
	const char *bad[] = { "",          ",",    "open,",       ",open",      "open,,routing",
		              "open,open", "Open", "open,closed", "openrouting" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(conversation_statuses_parse(bad[i], out, sizeof(out)),
		                 ERR_INVALID);
	assert_int_equal(conversation_statuses_parse("open", out, 6), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_schedule),
		cmocka_unit_test(test_fold_email),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_conversation_status),
		cmocka_unit_test(test_conversation_statuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
