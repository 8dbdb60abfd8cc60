/*
 * hours/: the document refused for every kind of bad input, open or closed at a time, the next
 * opening and closing — across the daylight-saving changes of Europe/Madrid and
 * America/Mexico_City (which stopped changing in 2022) and over holidays — and {opens_at} in
 * both languages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hours/hours.h"

static struct hours *make(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	assert_non_null(doc);
	struct error e;
	struct hours *h = hours_new(doc, &e);
	if (h == NULL)
		fail_msg("refused: %s", e.message);
	json_decref(doc);
	return h;
}

/* UTC ms of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int hh, int mm)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm
	};
	return (int64_t)timegm(&tm) * 1000;
}

static void test_bad_documents(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "[]", "object" },
		{ "{\"week\": {}}", "time_zone" },
		{ "{\"time_zone\": \"Europe/Madriz\", \"week\": {}}", "time_zone" },
		{ "{\"time_zone\": \"../../etc/passwd\", \"week\": {}}", "time_zone" },
		{ "{\"time_zone\": \"/usr/share/zoneinfo/UTC\", \"week\": {}}", "time_zone" },
		{ "{\"time_zone\": \"UTC\"}", "week" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"lunes\": []}}", "week.lunes" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"14:00-09:00\"]}}",
		  "ends before" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"09:00-09:00\"]}}",
		  "ends before" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"09:00-14:00\", \"13:00-15:00\"]}}",
		  "overlap" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"9:00-14:00\"]}}",
		  "monday[0]" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"09:60-14:00\"]}}",
		  "monday[0]" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"24:00-24:30\"]}}",
		  "monday[0]" },
		{ "{\"time_zone\": \"UTC\", \"week\": {\"monday\": \"09:00-14:00\"}}",
		  "week.monday" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2026-02-30\"}]}",
		  "holidays[0].date" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2027-02-29\"}]}",
		  "holidays[0].date" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2026-13-01\"}]}",
		  "holidays[0].date" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2026-1-1\"}]}",
		  "holidays[0].date" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2026-12-25\"},"
		  " {\"date\": \"2026-12-25\"}]}",
		  "twice" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"holidays\": [{\"date\": \"2026-12-24\","
		  " \"hours\": [\"13:00-09:00\"]}]}",
		  "holidays[0].hours[0]" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"out_of_hours_message\": {\"fr\": \"x\"}}",
		  "languages" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"out_of_hours_message\": {\"es\": \"\"}}",
		  "out_of_hours_message.es" },
		{ "{\"time_zone\": \"UTC\", \"week\": {}, \"opens\": 1}", "unknown field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc = json_loads(bad[i][0], 0, NULL);
		assert_non_null(doc);
		struct error e;
		struct hours *h = hours_new(doc, &e);
		if (h != NULL)
			fail_msg("accepted %s", bad[i][0]);
		assert_int_equal(e.code, ERR_UNPROCESSABLE);
		if (strstr(e.message, bad[i][1]) == NULL)
			fail_msg("%s: '%s' does not say %s", bad[i][0], e.message, bad[i][1]);
		json_decref(doc);
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	struct hours *h =
	    make("{\"time_zone\": \"Europe/Madrid\", \"week\": {\"friday\":"
	         " [\"16:00-19:00\", \"09:00-14:00\"], \"monday\": [\"00:00-24:00\"]},"
	         " \"holidays\": [{\"date\": \"2028-02-29\", \"hours\": []}],"
	         " \"out_of_hours_message\": {\"en\": \"We open {opens_at}\"}}");
	json_t *out = hours_to_json(h);
	char *text = json_dumps(out, JSON_COMPACT);
	assert_string_equal(
	    text, "{\"time_zone\":\"Europe/Madrid\",\"week\":{\"monday\":[\"00:00-24:00\"],"
	          "\"friday\":[\"09:00-14:00\",\"16:00-19:00\"]},\"holidays\":[{\"date\":"
	          "\"2028-02-29\",\"hours\":[]}],\"out_of_hours_message\":{\"en\":\"We open "
	          "{opens_at}\"}}");
	free(text);
	json_decref(out);
	hours_free(h);
}

/* Madrid, 09:00-14:00 on weekdays: winter is UTC+1, summer UTC+2; in 2026 the clocks go
 * forward on 29 March and back on 25 October. */
static void test_madrid_across_daylight_saving(void **state)
{
	(void)state;
	struct hours *h = make("{\"time_zone\": \"Europe/Madrid\", \"week\": {"
	                       "\"monday\": [\"09:00-14:00\"], \"tuesday\": [\"09:00-14:00\"],"
	                       "\"wednesday\": [\"09:00-14:00\"], \"thursday\": [\"09:00-14:00\"],"
	                       "\"friday\": [\"09:00-14:00\"], \"sunday\": [\"01:30-03:30\"]}}");
	/* Friday 27 March (winter): 09:00 local is 08:00 UTC. */
	assert_false(hours_is_open(h, utc(2026, 3, 27, 7, 59)));
	assert_true(hours_is_open(h, utc(2026, 3, 27, 8, 0)));
	assert_false(hours_is_open(h, utc(2026, 3, 27, 13, 0)));
	/* Sunday 29 March opens at 01:30 (winter, 00:30 UTC); at 02:00 the clocks jump to 03:00,
	 * so it is open an hour of real time, until 03:30 (summer, 01:30 UTC). */
	assert_int_equal(hours_next_open(h, utc(2026, 3, 27, 13, 0)), utc(2026, 3, 29, 0, 30));
	assert_true(hours_is_open(h, utc(2026, 3, 29, 1, 0)));
	assert_int_equal(hours_next_close(h, utc(2026, 3, 29, 0, 30)), utc(2026, 3, 29, 1, 30));
	assert_false(hours_is_open(h, utc(2026, 3, 29, 1, 30)));
	assert_int_equal(hours_next_open(h, utc(2026, 3, 29, 1, 30)), utc(2026, 3, 30, 7, 0));
	assert_int_equal(hours_next_close(h, utc(2026, 3, 30, 7, 0)), utc(2026, 3, 30, 12, 0));
	/* On 25 October 01:30 is still summer time (23:30 UTC the day before); the hour from
	 * 02:00 happens twice, so it stays open three hours, until 03:30 winter time. After
	 * that, 09:00 is 08:00 UTC again. */
	assert_int_equal(hours_next_open(h, utc(2026, 10, 24, 12, 0)), utc(2026, 10, 24, 23, 30));
	assert_int_equal(hours_next_close(h, utc(2026, 10, 24, 23, 30)), utc(2026, 10, 25, 2, 30));
	assert_int_equal(hours_next_open(h, utc(2026, 10, 25, 3, 0)), utc(2026, 10, 26, 8, 0));
	hours_free(h);
}

/* Mexico City kept UTC-6 all year from 30 October 2022; before, it changed in April and
 * October. */
static void test_mexico_city(void **state)
{
	(void)state;
	struct hours *h = make("{\"time_zone\": \"America/Mexico_City\", \"week\": {"
	                       "\"saturday\": [\"10:00-13:00\"]}}");
	/* Summer 2022 (UTC-5): 10:00 local is 15:00 UTC. */
	assert_int_equal(hours_next_open(h, utc(2022, 7, 1, 0, 0)), utc(2022, 7, 2, 15, 0));
	/* Summer 2026, no daylight saving any more: 10:00 is 16:00 UTC. */
	assert_int_equal(hours_next_open(h, utc(2026, 7, 1, 0, 0)), utc(2026, 7, 4, 16, 0));
	assert_true(hours_is_open(h, utc(2026, 7, 4, 18, 59)));
	assert_false(hours_is_open(h, utc(2026, 7, 4, 19, 0)));
	hours_free(h);
}

static void test_holidays_and_never(void **state)
{
	(void)state;
	struct hours *h =
	    make("{\"time_zone\": \"UTC\", \"week\": {\"thursday\": [\"09:00-17:00\"],"
	         " \"friday\": [\"09:00-17:00\"]}, \"holidays\": ["
	         "{\"date\": \"2026-12-24\", \"hours\": [\"09:00-13:00\"]},"
	         "{\"date\": \"2026-12-25\"}]}");
	assert_true(hours_is_open(h, utc(2026, 12, 24, 12, 0)));
	assert_false(hours_is_open(h, utc(2026, 12, 24, 14, 0)));
	assert_int_equal(hours_next_close(h, utc(2026, 12, 24, 9, 0)), utc(2026, 12, 24, 13, 0));
	/* Christmas Day (a Friday) is closed: next is Thursday 31 December. */
	assert_int_equal(hours_next_open(h, utc(2026, 12, 24, 14, 0)), utc(2026, 12, 31, 9, 0));
	hours_free(h);
	h = make("{\"time_zone\": \"UTC\", \"week\": {}}");
	assert_int_equal(hours_next_open(h, utc(2026, 12, 24, 14, 0)), 0);
	hours_free(h);
	/* Round the clock: it never closes. */
	h = make(
	    "{\"time_zone\": \"UTC\", \"week\": {\"monday\": [\"00:00-24:00\"], \"tuesday\":"
	    " [\"00:00-24:00\"], \"wednesday\": [\"00:00-24:00\"], \"thursday\":"
	    " [\"00:00-24:00\"], \"friday\": [\"00:00-24:00\"], \"saturday\": [\"00:00-24:00\"],"
	    " \"sunday\": [\"00:00-24:00\"]}}");
	assert_int_equal(hours_next_close(h, utc(2026, 12, 24, 14, 0)), 0);
	hours_free(h);
}

/* Business time: the clock stops out of hours, over nights and weekends and a DST change. */
static void test_business_time(void **state)
{
	(void)state;
	struct hours *h = make("{\"time_zone\": \"Europe/Madrid\", \"week\": {"
	                       "\"friday\": [\"09:00-14:00\"], \"monday\": [\"09:00-14:00\"]}}");
	const int64_t minute = 60 * 1000;
	/* Friday 27 March 2026 13:50 (12:50 UTC) + 30 min: 10 on Friday, 20 on Monday 30 March,
	 * which is summer time (07:00 UTC opening). */
	assert_int_equal(hours_add_business(h, utc(2026, 3, 27, 12, 50), 30 * minute),
	                 utc(2026, 3, 30, 7, 20));
	/* Started out of hours: counted from the opening. */
	assert_int_equal(hours_add_business(h, utc(2026, 3, 28, 10, 0), 60 * minute),
	                 utc(2026, 3, 30, 8, 0));
	assert_int_equal(hours_add_business(NULL, 1000, minute), 1000 + minute);
	hours_free(h);
	h = make("{\"time_zone\": \"UTC\", \"week\": {}}");
	assert_int_equal(hours_add_business(h, utc(2026, 3, 28, 10, 0), minute), 0);
	hours_free(h);
}

static void test_saying_the_opening(void **state)
{
	(void)state;
	struct hours *h = make("{\"time_zone\": \"Europe/Madrid\", \"week\": {},"
	                       " \"out_of_hours_message\": {\"es\": \"Abrimos {opens_at}.\"}}");
	char out[HOURS_OPENING_MAX];
	int64_t friday = utc(2026, 3, 27, 18, 0); /* 19:00 in Madrid */
	const struct {
		int64_t at;
		const char *es, *en;
	} cases[] = {
		{ utc(2026, 3, 27, 19, 30), "hoy a las 20:30", "today at 20:30" },
		{ utc(2026, 3, 28, 0, 0), "mañana a la 1:00", "tomorrow at 1:00" },
		{ utc(2026, 3, 30, 7, 0), "el lunes a las 9:00", "on Monday at 9:00" },
		{ utc(2026, 4, 6, 7, 0), "el 6 de abril a las 9:00", "on 6 April at 9:00" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hours_say_opening(h, friday, cases[i].at, "es", out);
		assert_string_equal(out, cases[i].es);
		hours_say_opening(h, friday, cases[i].at, "en", out);
		assert_string_equal(out, cases[i].en);
	}
	const char *used;
	assert_string_equal(hours_message(h, "en", &used), "Abrimos {opens_at}.");
	assert_string_equal(used, "es");
	hours_free(h);
	assert_string_equal(hours_language_of("Hola, quiero comprar"), "es");
	assert_string_equal(hours_language_of("Hello, I want to buy"), "en");
	assert_string_equal(hours_language_of("¿Qué precio tiene?"), "es");
	assert_null(hours_language_of("ok 123"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_madrid_across_daylight_saving),
		cmocka_unit_test(test_mexico_city),
		cmocka_unit_test(test_holidays_and_never),
		cmocka_unit_test(test_business_time),
		cmocka_unit_test(test_saying_the_opening),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
