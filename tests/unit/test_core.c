/* core/: buffers, the error table, configuration sources and checks, JSON field reading, the
 * log's escaping, the address rule for URLs an admin typed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fetch.h"
#include "core/json.h"
#include "core/log.h"
#include "core/utf8.h"

static void test_buf_grows_and_takes(void **state)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.len, strlen(b.data));
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_puts(&b, "hola");
	buf_putc(&b, '!');
	char *s = buf_take(&b);
	assert_string_equal(s, "hola!");
	assert_null(b.data);
	free(s);
	buf_free(&b);
}

static void test_err_table(void **state)
{
	static const struct {
		enum err code;
		int status;
		const char *name;
	} cases[] = {
		{ ERR_BAD_JSON, 400, "invalid_json" },
		{ ERR_INVALID, 400, "invalid_request" },
		{ ERR_UNAUTHENTICATED, 401, "unauthenticated" },
		{ ERR_CSRF, 403, "csrf_token_invalid" },
		{ ERR_FORBIDDEN, 403, "forbidden" },
		{ ERR_NOT_FOUND, 404, "not_found" },
		{ ERR_CONFLICT, 409, "conflict" },
		{ ERR_TOO_LARGE, 413, "payload_too_large" },
		{ ERR_UNPROCESSABLE, 422, "unprocessable" },
		{ ERR_RATE_LIMITED, 429, "too_many_attempts" },
		{ ERR_UNAVAILABLE, 503, "unavailable" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(err_http_status(cases[i].code), cases[i].status);
		assert_string_equal(err_code_name(cases[i].code), cases[i].name);
	}
	struct error e;
	assert_int_equal(error_set(&e, ERR_CONFLICT, "team %s", "Soporte"), ERR_CONFLICT);
	assert_string_equal(e.message, "team Soporte");
}

static void test_config_sources(void **state)
{
	struct config c;
	struct error e;
	config_defaults(&c);
	assert_string_equal(c.db, "sqlite:./var/centralita.db");
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 8080);
	assert_string_equal(config_sqlite_path(&c), "./var/centralita.db");
	assert_int_equal(c.busy_timeout_ms, 5000);

	setenv("CENTRALITA_LISTEN", "0.0.0.0:9000", 1);
	setenv("CENTRALITA_PUBLIC_URL", "https://chat.example.com/", 1);
	assert_int_equal(config_from_env(&c, &e), 0);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_string_equal(c.public_url, "https://chat.example.com");
	assert_int_equal(config_set_flag(&c, "listen", "[::1]:7000", &e), 0);
	assert_int_equal(config_set_flag(&c, "busy-timeout", "250", &e), 0);
	assert_int_equal(c.busy_timeout_ms, 250);
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 7000);

	setenv("CENTRALITA_THREADS", "many", 1);
	setenv("CENTRALITA_LISTEN", "0.0.0.0:9000", 1);
	assert_int_equal(config_from_env(&c, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "CENTRALITA_THREADS"));
	assert_int_equal(c.listen_port, 7000); /* nothing applied */
	unsetenv("CENTRALITA_THREADS");
	unsetenv("CENTRALITA_LISTEN");
	unsetenv("CENTRALITA_PUBLIC_URL");

	static const char *bad[][2] = {
		{ "listen", "8080" },      { "listen", ":8080" },       { "listen", "h:70000" },
		{ "listen", "h:" },        { "db", "mysql://x" },       { "db", "sqlite:" },
		{ "public-url", "x.com" }, { "threads", "0" },          { "threads", "65" },
		{ "busy-timeout", "99" },  { "busy-timeout", "60001" }, { "busy-timeout", "1s" },
		{ "nope", "1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_set_flag(&c, bad[i][0], bad[i][1], &e), ERR_INVALID);
		assert_non_null(strstr(e.message, bad[i][0]));
	}
	assert_int_equal(config_set_flag(&c, "web-dir", "/nonexistent", &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "index.html"));
	/* Refused values changed nothing. */
	assert_int_equal(c.listen_port, 7000);
	assert_int_equal(c.busy_timeout_ms, 250);
	assert_int_equal(config_set_flag(&c, "db", "postgres://u@h/db", &e), 0);
	assert_null(config_sqlite_path(&c));
	assert_int_equal(config_set_flag(&c, "db", "host=/run/pg dbname=centralita", &e), 0);
	assert_string_equal(c.db, "host=/run/pg dbname=centralita");
	assert_int_equal(config_set_flag(&c, "db", "=x", &e), ERR_INVALID);
	assert_int_equal(config_set_flag(&c, "db", "centralita.db", &e), ERR_INVALID);
}

static void test_json_parse_limits(void **state)
{
	struct error e;
	char deep[200];
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	assert_null(json_parse(deep, 130, &e));
	assert_int_equal(e.code, ERR_BAD_JSON);
	json_t *ok = json_parse(deep + 1, 128, &e); /* 64 levels are fine */
	assert_non_null(ok);
	json_decref(ok);
	/* Brackets inside strings do not count. */
	const char *quoted =
	    "{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}";
	ok = json_parse(quoted, strlen(quoted), &e);
	assert_non_null(ok);
	json_decref(ok);
	assert_null(json_parse("{\"a\":1,\"a\":2}", 13, &e));
	assert_null(json_parse("{\"a\":\"\\u0000\"}", 14, &e));
	assert_null(json_parse("{\"a\":\"\xc3\x28\"}", 10, &e));
}

static void test_json_read_fields(void **state)
{
	const char *name = NULL;
	bool active = false, has_active = false;
	json_int_t n = 0;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_STRING, true, 5, &name, NULL },
		{ "active", JSON_FIELD_BOOL, false, 0, &active, &has_active },
		{ "n", JSON_FIELD_INT, false, 0, &n, NULL },
	};
	struct error e;
	static const char *bad[] = {
		"[]",
		"{}",
		"{\"name\":1}",
		"{\"name\":\"toolong\"}",
		"{\"name\":\"a\",\"x\":1}",
		"{\"name\":\"a\",\"active\":1}",
		"{\"name\":\"a\",\"n\":1.5}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_parse(bad[i], strlen(bad[i]), &e);
		assert_int_equal(json_read_fields(j, fields, 3, &e), ERR_INVALID);
		assert_null(name);
		json_decref(j);
	}
	const char *good = "{\"name\":\"héla\",\"active\":true,\"n\":7}";
	json_t *j = json_parse(good, strlen(good), &e);
	assert_non_null(j);
	assert_int_equal(json_read_fields(j, fields, 3, &e), 0);
	assert_string_equal(name, "héla");
	assert_true(active && has_active);
	assert_int_equal(n, 7);
	json_decref(j);
}

static void test_json_read_any_value(void **state)
{
	(void)state;
	const json_t *tags = NULL;
	const struct json_field fields[] = {
		{ "tags", JSON_FIELD_VALUE, true, 0, &tags, NULL },
	};
	struct error e;
	const char *text = "{\"tags\":[\"vip\",null]}";
	json_t *j = json_parse(text, strlen(text), &e);
	assert_int_equal(json_read_fields(j, fields, 1, &e), 0);
	assert_true(json_is_array(tags) && json_array_size(tags) == 2);
	json_decref(j);
	/* Any value is taken, but the field is still required and names are still checked. */
	static const char *bad[] = { "{}", "{\"tags\":null,\"x\":1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_parse(bad[i], strlen(bad[i]), &e);
		assert_int_equal(json_read_fields(j, fields, 1, &e), ERR_INVALID);
		json_decref(j);
	}
}

static void test_utf8_clean(void **state)
{
	assert_true(utf8_is_clean("hola, ñandú 🎉\n", strlen("hola, ñandú 🎉\n")));
	assert_false(utf8_is_clean("a\0b", 3));
	assert_false(utf8_is_clean("\xc3\x28", 2));
	assert_false(utf8_is_clean("\xed\xa0\x80", 3)); /* a lone surrogate */
	assert_false(utf8_is_clean("bell\a", 5));
	assert_false(utf8_is_clean("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
}

/* What log_warn wrote to stderr, read back from a file put in its place. */
static void test_utf8_clean_copy(void **state)
{
	char *c = utf8_clean_copy("ok\x01\xff ñ\n", 8, 100);
	assert_string_equal(c, "ok?? ñ\n");
	free(c);
	c = utf8_clean_copy("añb", 4, 2); /* never half a character */
	assert_string_equal(c, "a");
	free(c);
}

/* fetch_address_refusal of an address in text, NULL for a public one. */
static const char *refusal(const char *text)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
		return fetch_address_refusal((struct sockaddr *)&v4);
	assert_int_equal(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
	return fetch_address_refusal((struct sockaddr *)&v6);
}

static void test_fetch_address_rule(void **state)
{
	const char *refused[][2] = {
		{ "127.0.0.1", "a loopback address" },
		{ "127.255.0.9", "a loopback address" },
		{ "::1", "a loopback address" },
		{ "0.0.0.0", "an unspecified address" },
		{ "::", "an unspecified address" },
		{ "10.20.30.40", "a private address" },
		{ "172.16.0.1", "a private address" },
		{ "172.31.255.255", "a private address" },
		{ "192.168.1.1", "a private address" },
		{ "fd00:ec2::254", "a private address" },
		{ "169.254.169.254", "the cloud metadata address" },
		{ "169.254.1.1", "a link-local address" },
		{ "fe80::1", "a link-local address" },
		{ "100.100.100.200", "a shared (carrier-grade NAT) address" },
		{ "::ffff:127.0.0.1", "a loopback address" },
		{ "::ffff:10.0.0.1", "a private address" },
		{ "64:ff9b::a9fe:a9fe", "the cloud metadata address" },
		{ "2002:c0a8:0101::1", "a private address" },
		{ "224.0.0.1", "a multicast address" },
		{ "ff02::1", "a multicast address" },
		{ "255.255.255.255", "a reserved address" },
		{ "198.18.0.1", "a reserved address" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *why = refusal(refused[i][0]);
		if (why == NULL || strcmp(why, refused[i][1]) != 0)
			fail_msg("%s: expected %s, got %s", refused[i][0], refused[i][1],
			         why ? why : "public");
	}
	const char *public[] = { "8.8.8.8",        "172.15.255.255", "172.32.0.1",
		                 "100.63.255.255", "203.0.113.9",    "2001:4860:4860::8888",
		                 "::ffff:8.8.8.8" };
	for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
		if (refusal(public[i]) != NULL)
			fail_msg("%s refused: %s", public[i], refusal(public[i]));
}

static void test_fetch_check_url(void **state)
{
	struct error e;
	assert_int_equal(fetch_check_url("https://203.0.113.9:8443/hook?x=1", false, &e), 0);
	assert_int_equal(fetch_check_url("http://[2001:db8::1]/", false, &e), 0);
	assert_int_equal(fetch_check_url("http://127.0.0.1:9/", false, &e), ERR_UNPROCESSABLE);
	assert_non_null(strstr(e.message, "127.0.0.1, a loopback address"));
	assert_int_equal(fetch_check_url("http://[::1]/", false, &e), ERR_UNPROCESSABLE);
	assert_int_equal(fetch_check_url("http://127.0.0.1:9/", true, &e), 0);
	assert_int_equal(fetch_check_url("file:///etc/passwd", true, &e), ERR_INVALID);
	assert_int_equal(fetch_check_url("HTTP://example.com/", true, &e), ERR_INVALID);
	assert_int_equal(fetch_check_url("http://", true, &e), ERR_INVALID);
	char url[FETCH_URL_MAX + 2];
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "http://x/", 9);
	assert_int_equal(fetch_check_url(url, true, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "longer than 2048"));
	url[FETCH_URL_MAX] = '\0';
	assert_int_equal(fetch_check_url(url, true, &e), 0);
}

static void logged(char *out, size_t size, const char *value)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	log_warn("value [%s] end", value);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void test_log_escapes_control_bytes(void **state)
{
	char line[8192];
	logged(line, sizeof(line), "a\nFAKE 2026 error forged\r\tb\\c\x01\x7f ñ");
	assert_non_null(
	    strstr(line, " warn value [a\\nFAKE 2026 error forged\\r\\tb\\\\c\\x01\\x7f ñ] end\n"));
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1); /* one line */
	/* A value longer than a line is cut, never split across lines. */
	char big[3000];
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	logged(line, sizeof(line), big);
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_takes),
		cmocka_unit_test(test_err_table),
		cmocka_unit_test(test_config_sources),
		cmocka_unit_test(test_json_parse_limits),
		cmocka_unit_test(test_json_read_fields),
		cmocka_unit_test(test_json_read_any_value),
		cmocka_unit_test(test_utf8_clean),
		cmocka_unit_test(test_utf8_clean_copy),
		cmocka_unit_test(test_fetch_address_rule),
		cmocka_unit_test(test_fetch_check_url),
		cmocka_unit_test(test_log_escapes_control_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
