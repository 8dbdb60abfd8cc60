/* http/parse.c: path patterns, whole numbers, Last-Event-ID and the conversation cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/parse.h"

static void test_path_match(void **state)
{
	int64_t p[HTTP_MAX_PARAMS] = { 0 };
	char name[HTTP_NAME_MAX + 1];
	assert_true(http_path_match("/api/v1/teams/:id/members/:id", "/api/v1/teams/7/members/12",
	                            p, name));
	assert_int_equal(p[0], 7);
	assert_int_equal(p[1], 12);
	assert_true(http_path_match("/a/:id/tags/:name", "/a/3/tags/urgente", p, name));
	assert_string_equal(name, "urgente");
	static const char *const refused[] = {
		"/a/0/tags/x",  "/a/01/tags/x", "/a/-1/tags/x",
		"/a/1x/tags/x", "/a//tags/x",   "/a/1/tags/",
		"/a/1/tags/x/", "/a/1/tags",    "/a/1234567890123456789/tags/x",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_false(http_path_match("/a/:id/tags/:name", refused[i], p, name));
}

static void test_numbers(void **state)
{
	int64_t v = 0;
	const char *end;
	assert_true(http_parse_int("200", 1, 200, &v));
	assert_int_equal(v, 200);
	assert_false(http_parse_int("201", 1, 200, &v));
	assert_false(http_parse_int("", 1, 200, &v));
	assert_false(http_parse_int("5x", 1, 200, &v));
	assert_false(http_parse_int("99999999999999999999", 1, INT64_MAX, &v));
	assert_true(http_parse_event_id("0", &v));
	assert_true(http_parse_event_id("123456789012345678", &v));
	assert_int_equal(v, 123456789012345678);
	assert_false(http_parse_event_id("1234567890123456789", &v));
	assert_false(http_parse_event_id("-1", &v));
	assert_false(http_parse_event_id(" 1", &v));
	assert_true(http_parse_decimal("42", '\0', &end, &v));
	assert_int_equal(v, 42);
	assert_false(http_parse_decimal("042", '\0', &end, &v));
}

static void test_cursor(void **state)
{
	char text[HTTP_CURSOR_TEXT_MAX];
	int64_t at = 0, id = 0;
	http_cursor_encode(1764000000000, 42, text);
	assert_string_equal(text, "MTc2NDAwMDAwMDAwMC40Mg");
	assert_true(http_cursor_decode(text, &at, &id));
	assert_int_equal(at, 1764000000000);
	assert_int_equal(id, 42);
	http_cursor_encode(999999999999999999, 999999999999999999, text);
	assert_true(http_cursor_decode(text, &at, &id));
	assert_int_equal(id, 999999999999999999);
	static const char *const refused[] = {
		"",
		"MTc2NDAwMDAwMDAwMC40Mg==", /* padding */
		"MTc2NDAwMDAwMDAwMC40Mg!",
		"MTc2NDAwMDAwMDAwMC4w", /* "1764000000000.0": id 0 */
		"MDE3NjQuNDI",          /* "01764.42": leading zero */
		"MTc2NA",               /* "1764": no id */
		"LTEuNDI",              /* "-1.42" */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_false(http_cursor_decode(refused[i], &at, &id));
}

static void test_json_type(void **state)
{
	(void)state;
	assert_true(http_is_json_type("application/json"));
	assert_true(http_is_json_type("Application/JSON; charset=utf-8"));
	assert_true(http_is_json_type(" application/json ;charset=UTF-8"));
	assert_false(http_is_json_type(NULL));
	assert_false(http_is_json_type(""));
	assert_false(http_is_json_type("text/plain"));
	assert_false(http_is_json_type("application/jsonp"));
	assert_false(http_is_json_type("application/json-patch+json"));
	assert_false(http_is_json_type("multipart/form-data; x=application/json"));
}

static void test_own_origin(void **state)
{
	(void)state;
	const char *pub = "https://inbox.example.com/base";
	assert_true(http_is_own_origin(NULL, "anything", pub));
	assert_true(http_is_own_origin("http://127.0.0.1:8080", "127.0.0.1:8080", pub));
	assert_true(http_is_own_origin("https://INBOX.example.com", "127.0.0.1:8080", pub));
	assert_true(http_is_own_origin("https://inbox.example.com", NULL, pub));
	assert_false(http_is_own_origin("https://evil.example", "127.0.0.1:8080", pub));
	assert_false(http_is_own_origin("null", "127.0.0.1:8080", pub));
	assert_false(http_is_own_origin("http://127.0.0.1:8081", "127.0.0.1:8080", pub));
	assert_false(http_is_own_origin("http://127.0.0.1:8080/x", "127.0.0.1:8080", pub));
	assert_false(http_is_own_origin("https://inbox.example.com.evil", "h", pub));
	assert_false(http_is_own_origin("http://h", NULL, "not a url"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_match), cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_cursor),     cmocka_unit_test(test_json_type),
		cmocka_unit_test(test_own_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
