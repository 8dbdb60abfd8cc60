/*
 * The routing configuration document: what is accepted, what is refused (every problem, with
 * its path and reason), and what export writes back. Documents are written with ' for " to
 * keep the table readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "core/buf.h"
#include "routing/routing.h"
#include "routing_test.h"

/* The example document. */
static const char example[] =
    "{'enabled': true,"
    " 'welcome_message': '¡Hola! Responde con un número: 1 Soporte 2 Ventas 3 Horario',"
    " 'fallback_message': 'Perdona, no te he entendido. Responde 1, 2 o 3.',"
    " 'assignment_message': 'Gracias, {contact_name}. Te atiende el equipo de {team}.',"
    " 'max_attempts': 3,"
    " 'give_up_message': 'Un compañero te atenderá enseguida.',"
    " 'match_first_message': false,"
    " 'reopen_routing_after_hours': 24,"
    " 'options': ["
    "  {'answers': ['1', 'soporte', 'ayuda'], 'team': 'Soporte'},"
    "  {'answers': ['2', 'ventas', 'comprar'], 'team': 'Ventas', 'reply': 'Te pasamos con "
    "ventas.'},"
    "  {'answers': ['3', 'horario'], 'reply': 'Abrimos de 9 a 18 h.'}"
    " ]}";

/* Fields every document below needs, so each row shows only what it is about. */
#define MESSAGES "'welcome_message': 'Hola', 'fallback_message': 'Perdona'"
#define OPTION   "{'answers': ['1'], 'team': 'Soporte'}"

static struct route_config *parse(const char *s, struct route_problems *problems)
{
	json_t *doc = test_json(s);
	struct route_config *cfg = route_config_new(doc, &test_directory, problems);
	json_decref(doc);
	return cfg;
}

static void test_example_accepted(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	struct route_config *cfg = parse(example, &problems);
	assert_non_null(cfg);
	assert_int_equal(problems.count, 0);
	assert_true(route_config_is_enabled(cfg));

	/* Export by name writes the document that was read, field for field. */
	json_t *want = test_json(example);
	json_t *got = route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &test_directory);
	assert_true(json_equal(want, got));
	json_decref(got);
	json_decref(want);
	route_config_free(cfg);
	route_problems_free(&problems);
}

/* The store keeps ids; read back, the document names the teams again. */
static void test_round_trip_by_id(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	struct route_config *cfg = parse(example, &problems);
	json_t *stored = route_config_to_json(cfg, ROUTE_TEAM_BY_ID, NULL);
	json_t *options = json_object_get(stored, "options");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(options, 0), "team")),
	                 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(options, 1), "team")),
	                 2);
	assert_null(json_object_get(json_array_get(options, 2), "team"));

	struct route_config *again = route_config_new(stored, &test_directory, &problems);
	assert_non_null(again);
	json_t *a = route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &test_directory);
	json_t *b = route_config_to_json(again, ROUTE_TEAM_BY_NAME, &test_directory);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	json_decref(stored);
	route_config_free(again);
	route_config_free(cfg);
	route_problems_free(&problems);
}

/* Optional fields take their defaults, and export writes them out. */
static void test_defaults(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	struct route_config *cfg =
	    parse("{" MESSAGES ", 'assignment_message': '', 'give_up_message': null,"
	          " 'options': [{'answers': ['1'], 'team': 'Soporte', 'reply': ''}]}",
	          &problems);
	assert_non_null(cfg);
	json_t *got = route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &test_directory);
	json_t *want = test_json("{'enabled': true, " MESSAGES ", 'max_attempts': 3,"
	                         " 'match_first_message': false, 'reopen_routing_after_hours': 24,"
	                         " 'options': [{'answers': ['1'], 'team': 'Soporte'}]}");
	assert_true(json_equal(want, got));
	json_decref(got);
	json_decref(want);
	route_config_free(cfg);
	route_problems_free(&problems);
}

/* Accepted documents at the edges of the rules. */
static const char *const accepted[] = {
	/* braces that are not placeholders are text */
	"{'welcome_message': 'Hola { } {} {a b} {{contact_name}}', 'fallback_message': 'x',"
	" 'options': [" OPTION "]}",
	/* every placeholder where it is allowed */
	"{'welcome_message': 'Hola {contact_name}', 'fallback_message': '{contact_name}?',"
	" 'assignment_message': '{team} {contact_name}', 'give_up_message': '{contact_name}',"
	" 'options': [{'answers': ['1'], 'reply': 'Hola {contact_name}'}]}",
	/* tabs and line breaks are fine in messages */
	"{'welcome_message': '1\\tSoporte\\r\\n2\\tVentas', 'fallback_message': 'x',"
	" 'options': [" OPTION "]}",
	/* a team by id, and null for none */
	"{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 2},"
	" {'answers': ['2'], 'team': null, 'reply': 'r'}]}",
	/* the bounds themselves */
	"{" MESSAGES ", 'max_attempts': 0, 'reopen_routing_after_hours': 0, 'options': [" OPTION
	"]}",
	"{" MESSAGES ", 'max_attempts': 20, 'reopen_routing_after_hours': 8760, 'enabled': false,"
	" 'match_first_message': true, 'options': [" OPTION "]}",
	/* an answer and a longer one containing it, in different options */
	"{" MESSAGES ", 'options': [{'answers': ['soporte'], 'team': 'Soporte'},"
	" {'answers': ['soporte de ventas'], 'team': 'Ventas'}]}",
};

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		struct route_problems problems = { 0 };
		struct route_config *cfg = parse(accepted[i], &problems);
		if (cfg == NULL)
			fail_msg("accepted[%zu] refused: %s: %s", i, problems.items[0].path,
			         problems.items[0].reason);
		route_config_free(cfg);
		route_problems_free(&problems);
	}
}

struct want_problem {
	const char *path;
	const char *reason; /* a part of the reason */
};

struct refused {
	const char *doc;
	size_t count; /* problems expected, all of them */
	struct want_problem problems[5];
};

static const struct refused refused[] = {
	{ "[]", 1, { { "", "must be a JSON object" } } },
	{ "{" MESSAGES ", 'colour': 'red', 'options': [" OPTION "]}",
	  1,
	  { { "colour", "unknown field" } } },
	{ "{" MESSAGES ", 'enabled': 'yes', 'options': [" OPTION "]}",
	  1,
	  { { "enabled", "must be true or false" } } },
	{ "{" MESSAGES ", 'match_first_message': 1, 'options': [" OPTION "]}",
	  1,
	  { { "match_first_message", "must be true or false" } } },
	/* messages */
	{ "{'fallback_message': 'x', 'options': [" OPTION "]}",
	  1,
	  { { "welcome_message", "is required" } } },
	{ "{'welcome_message': 'x', 'options': [" OPTION "]}",
	  1,
	  { { "fallback_message", "is required" } } },
	{ "{'welcome_message': ' \\n ', 'fallback_message': null, 'options': [" OPTION "]}",
	  2,
	  { { "welcome_message", "must not be empty" }, { "fallback_message", "is required" } } },
	{ "{'welcome_message': 5, 'fallback_message': ['x'], 'options': [" OPTION "]}",
	  2,
	  { { "welcome_message", "must be a string" },
	    { "fallback_message", "must be a string" } } },
	{ "{'welcome_message': 'Hola\\u0007', 'fallback_message': 'x', 'options': [" OPTION "]}",
	  1,
	  { { "welcome_message", "control characters" } } },
	{ "{'welcome_message': 'Hola {team}', 'fallback_message': 'x', 'options': [" OPTION "]}",
	  1,
	  { { "welcome_message", "{team} is only available in assignment_message" } } },
	{ "{'welcome_message': 'Hola {nombre}', 'fallback_message': 'x', 'options': [" OPTION "]}",
	  1,
	  { { "welcome_message", "unknown placeholder {nombre}; the only placeholder here is "
	                         "{contact_name}" } } },
	{ "{" MESSAGES ", 'assignment_message': '{equipo} y {Team}', 'options': [" OPTION "]}",
	  2,
	  { { "assignment_message", "unknown placeholder {equipo}; the placeholders are "
	                            "{contact_name} and {team}" },
	    { "assignment_message", "unknown placeholder {Team}" } } },
	{ "{" MESSAGES ", 'give_up_message': '{team}', 'options': [" OPTION "]}",
	  1,
	  { { "give_up_message", "{team} is only available" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'reply': 'Te atiende {team}'}]}",
	  1,
	  { { "options[0].reply", "{team} is only available" } } },
	/* numbers */
	{ "{" MESSAGES ", 'max_attempts': -1, 'options': [" OPTION "]}",
	  1,
	  { { "max_attempts", "must be a whole number from 0 to 20" } } },
	{ "{" MESSAGES ", 'max_attempts': 21, 'options': [" OPTION "]}",
	  1,
	  { { "max_attempts", "from 0 to 20" } } },
	{ "{" MESSAGES ", 'max_attempts': '3', 'options': [" OPTION "]}",
	  1,
	  { { "max_attempts", "whole number" } } },
	{ "{" MESSAGES ", 'max_attempts': 2.5, 'options': [" OPTION "]}",
	  1,
	  { { "max_attempts", "whole number" } } },
	{ "{" MESSAGES ", 'reopen_routing_after_hours': 8761, 'options': [" OPTION "]}",
	  1,
	  { { "reopen_routing_after_hours", "from 0 to 8760" } } },
	/* options */
	{ "{" MESSAGES "}", 1, { { "options", "is required" } } },
	{ "{" MESSAGES ", 'options': {}}", 1, { { "options", "must be an array" } } },
	{ "{" MESSAGES ", 'options': []}", 1, { { "options", "needs at least one option" } } },
	{ "{" MESSAGES ", 'options': [1, " OPTION "]}",
	  1,
	  { { "options[0]", "must be an object" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 'Soporte', 'teams': 'x'}]}",
	  1,
	  { { "options[0].teams", "unknown field" } } },
	{ "{" MESSAGES ", 'options': [{'team': 'Soporte'}]}",
	  1,
	  { { "options[0].answers", "is required" } } },
	{ "{" MESSAGES ", 'options': [{'answers': [], 'team': 'Soporte'}]}",
	  1,
	  { { "options[0].answers", "needs at least one answer" } } },
	{ "{" MESSAGES ", 'options': [{'answers': '1', 'team': 'Soporte'}]}",
	  1,
	  { { "options[0].answers", "must be an array of strings" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1', 2], 'team': 'Soporte'}]}",
	  1,
	  { { "options[0].answers[1]", "must be a string" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['!!!', '👍', '1'], 'team': 'Soporte'}]}",
	  2,
	  { { "options[0].answers[0]", "is empty after normalisation" },
	    { "options[0].answers[1]", "is empty after normalisation" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['a\\u0001b'], 'team': 'Soporte'}]}",
	  1,
	  { { "options[0].answers[0]", "control characters" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1']}]}",
	  1,
	  { { "options[0]", "needs a team, a reply or both" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'reply': ' ', 'team': null}]}",
	  1,
	  { { "options[0]", "needs a team, a reply or both" } } },
	/* an unknown team is one problem, not also "needs a team" */
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 'Marketing'}]}",
	  1,
	  { { "options[0].team", "there is no team called 'Marketing'" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 'soporte'}]}",
	  1,
	  { { "options[0].team", "there is no team called 'soporte'" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 99}]}",
	  1,
	  { { "options[0].team", "there is no team with id 99" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': true}]}",
	  1,
	  { { "options[0].team", "must be a team's name" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1'], 'team': 'Soporte', 'reply': 7}]}",
	  1,
	  { { "options[0].reply", "must be a string" } } },
	/* the same answer twice, after normalisation */
	{ "{" MESSAGES ", 'options': [{'answers': ['Soporte'], 'team': 'Soporte'},"
	  " {'answers': ['2', 'soporte!'], 'team': 'Ventas'}]}",
	  1,
	  { { "options[1].answers[1]", "is the same as options[0].answers[0] after normalisation "
	                               "('soporte')" } } },
	{ "{" MESSAGES
	  ", 'options': [{'answers': ['ayuda', 'Ayuda', 'AYUDA'], 'team': 'Soporte'}]}",
	  2,
	  { { "options[0].answers[1]", "is the same as options[0].answers[0]" },
	    { "options[0].answers[2]", "is the same as options[0].answers[0]" } } },
	{ "{" MESSAGES ", 'options': [{'answers': ['1', 'facturación'], 'team': 'Soporte'},"
	  " {'answers': ['1️⃣', 'Facturacion'], 'team': 'Ventas'}]}",
	  2,
	  { { "options[1].answers[0]", "is the same as options[0].answers[0] after normalisation "
	                               "('1')" },
	    { "options[1].answers[1]", "is the same as options[0].answers[1]" } } },
	/* many problems at once, all named, in document order */
	{ "{'welcome_message': '', 'fallback_message': 'x {nombre}', 'max_attempts': 99,"
	  " 'options': [{'answers': ['?'], 'team': 'Nadie'}]}",
	  5,
	  { { "welcome_message", "must not be empty" },
	    { "fallback_message", "unknown placeholder {nombre}" },
	    { "max_attempts", "from 0 to 20" },
	    { "options[0].answers[0]", "is empty after normalisation" },
	    { "options[0].team", "there is no team called 'Nadie'" } } },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refused *r = &refused[i];
		struct route_problems problems = { 0 };
		struct route_config *cfg = parse(r->doc, &problems);
		if (cfg != NULL)
			fail_msg("refused[%zu] was accepted", i);
		if (problems.count != r->count)
			fail_msg("refused[%zu]: %zu problems, want %zu; first: %s: %s", i,
			         problems.count, r->count, problems.items[0].path,
			         problems.items[0].reason);
		for (size_t j = 0; j < r->count; j++) {
			const struct route_problem *p = &problems.items[j];
			if (strcmp(p->path, r->problems[j].path) != 0 ||
			    strstr(p->reason, r->problems[j].reason) == NULL)
				fail_msg("refused[%zu] problem %zu: '%s: %s', want '%s: …%s…'", i,
				         j, p->path, p->reason, r->problems[j].path,
				         r->problems[j].reason);
		}
		route_problems_free(&problems);
	}
}

/*
 * A document of k options of n answers each: prefix and the answer's number ("a7"), or with
 * is_unique also the option's number ("a3x7"), which keeps answers apart across options.
 */
static char *many(size_t k, size_t n, const char *prefix, bool is_unique)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{" MESSAGES ", 'options': [");
	for (size_t o = 0; o < k; o++) {
		buf_puts(&b, o > 0 ? ", {'answers': [" : "{'answers': [");
		for (size_t a = 0; a < n; a++) {
			buf_printf(&b, a > 0 ? ", '%s" : "'%s", prefix);
			if (is_unique)
				buf_printf(&b, "%zux", o);
			buf_printf(&b, "%zu'", a);
		}
		buf_printf(&b, "], 'reply': 'r%zu'}", o);
	}
	buf_puts(&b, "]}");
	return buf_take(&b);
}

static size_t count_problems(const char *doc, struct route_problems *problems)
{
	struct route_config *cfg = parse(doc, problems);
	assert_null(cfg);
	return problems->count;
}

static void test_bounds(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };

	char *doc = many(ROUTE_MAX_OPTIONS, ROUTE_MAX_ANSWERS, "a", true);
	struct route_config *cfg = parse(doc, &problems);
	assert_non_null(cfg);
	route_config_free(cfg);
	free(doc);

	doc = many(1, ROUTE_MAX_ANSWERS + 1, "a", true);
	assert_int_equal(count_problems(doc, &problems), 1);
	assert_string_equal(problems.items[0].path, "options[0].answers");
	assert_string_equal(problems.items[0].reason, "has 101 answers; at most 100");
	route_problems_free(&problems);
	free(doc);

	doc = many(ROUTE_MAX_OPTIONS + 1, 1, "x", true);
	assert_int_equal(count_problems(doc, &problems), 1);
	assert_string_equal(problems.items[0].path, "options");
	assert_string_equal(problems.items[0].reason, "has 51 options; at most 50");
	route_problems_free(&problems);
	free(doc);

	/* An answer of 200 bytes is fine, 201 is not. */
	char answer[ROUTE_MAX_ANSWER_BYTES + 2];
	memset(answer, 'a', sizeof(answer) - 1);
	answer[ROUTE_MAX_ANSWER_BYTES] = '\0';
	doc = many(1, 1, answer, false); /* 200 bytes and the number: 201 */
	assert_int_equal(count_problems(doc, &problems), 1);
	assert_string_equal(problems.items[0].path, "options[0].answers[0]");
	assert_string_equal(problems.items[0].reason, "is 201 bytes long; at most 200");
	route_problems_free(&problems);
	free(doc);
	answer[ROUTE_MAX_ANSWER_BYTES - 1] = '\0';
	doc = many(1, 1, answer, false);
	cfg = parse(doc, &problems);
	assert_non_null(cfg);
	route_config_free(cfg);
	free(doc);
}

/* 4096 bytes per message, each placeholder counted at ROUTE_MAX_NAME_BYTES. */
static void test_message_length(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	char text[ROUTE_MAX_MESSAGE_BYTES + 2];
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	struct buf b = BUF_INIT;

	text[ROUTE_MAX_MESSAGE_BYTES] = '\0';
	buf_printf(&b,
	           "{'welcome_message': '%s', 'fallback_message': 'x', 'options': [" OPTION "]}",
	           text);
	struct route_config *cfg = parse(b.data, &problems);
	assert_non_null(cfg);
	route_config_free(cfg);

	text[ROUTE_MAX_MESSAGE_BYTES] = 'a';
	buf_reset(&b);
	buf_printf(&b,
	           "{'welcome_message': '%s', 'fallback_message': 'x', 'options': [" OPTION "]}",
	           text);
	assert_int_equal(count_problems(b.data, &problems), 1);
	assert_string_equal(problems.items[0].path, "welcome_message");
	assert_string_equal(problems.items[0].reason,
	                    "is 4097 bytes long, counting each placeholder as 128; at most 4096");
	route_problems_free(&problems);

	/* {contact_name} is 14 bytes but counts as 128. */
	memcpy(text + ROUTE_MAX_MESSAGE_BYTES - 128, "{contact_name}", 14);
	text[ROUTE_MAX_MESSAGE_BYTES - 128 + 14] = '\0';
	buf_reset(&b);
	buf_printf(&b, "{" MESSAGES ", 'assignment_message': '%s', 'options': [" OPTION "]}", text);
	cfg = parse(b.data, &problems);
	assert_non_null(cfg);
	route_config_free(cfg);
	text[ROUTE_MAX_MESSAGE_BYTES - 128 + 14] = 'a';
	text[ROUTE_MAX_MESSAGE_BYTES - 128 + 15] = '\0';
	buf_reset(&b);
	buf_printf(&b, "{" MESSAGES ", 'assignment_message': '%s', 'options': [" OPTION "]}", text);
	assert_int_equal(count_problems(b.data, &problems), 1);
	assert_string_equal(problems.items[0].path, "assignment_message");
	assert_non_null(strstr(problems.items[0].reason, "is 4097 bytes long"));
	route_problems_free(&problems);
	buf_free(&b);
}

/* A long unknown key is quoted in part, never split inside a character. */
static void test_long_key(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	struct buf b = BUF_INIT;
	buf_puts(&b, "{" MESSAGES ", 'options': [" OPTION "], 'x");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "é");
	buf_puts(&b, "': 1}");
	assert_int_equal(count_problems(b.data, &problems), 1);
	/* 'x' and 31 two-byte é make 63 bytes; a 32nd would pass 64. */
	assert_int_equal(strlen(problems.items[0].path), 63);
	assert_string_equal(problems.items[0].reason, "unknown field");
	route_problems_free(&problems);
	buf_free(&b);
}

/* Past ROUTE_MAX_PROBLEMS, problems are counted, and the JSON says how many more. */
static void test_problem_cap(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	char *doc = many(3, ROUTE_MAX_ANSWERS, "?", false);
	/* Each answer is '?' and a number: not empty, but equal across the three options. */
	assert_int_equal(count_problems(doc, &problems), ROUTE_MAX_PROBLEMS);
	assert_int_equal(problems.omitted, 2 * ROUTE_MAX_ANSWERS - ROUTE_MAX_PROBLEMS);
	json_t *list = route_problems_to_json(&problems);
	assert_int_equal(json_array_size(list), ROUTE_MAX_PROBLEMS + 1);
	json_t *first = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(first, "path")),
	                    "options[1].answers[0]");
	assert_string_equal(json_string_value(json_object_get(first, "reason")),
	                    "is the same as options[0].answers[0] after normalisation ('0')");
	json_t *last = json_array_get(list, ROUTE_MAX_PROBLEMS);
	assert_string_equal(json_string_value(json_object_get(last, "path")), "");
	assert_string_equal(json_string_value(json_object_get(last, "reason")),
	                    "100 more problems");
	json_decref(list);
	route_problems_free(&problems);
	free(doc);
}

/* A team deleted after the config was saved: export shows its id, and saving it back says
 * the team is gone. */
static const char *name_except_ventas(void *ctx, int64_t id)
{
	return id == 2 ? NULL : test_team_name(ctx, id);
}

static void test_deleted_team(void **state)
{
	(void)state;
	struct route_problems problems = { 0 };
	struct route_config *cfg = parse(example, &problems);
	struct route_teams without = test_directory;
	without.team_name = name_except_ventas;
	json_t *doc = route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &without);
	json_t *options = json_object_get(doc, "options");
	assert_string_equal(json_string_value(json_object_get(json_array_get(options, 0), "team")),
	                    "Soporte");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(options, 1), "team")),
	                 2);
	assert_null(route_config_new(doc, &without, &problems));
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "options[1].team");
	assert_string_equal(problems.items[0].reason, "there is no team with id 2");
	json_decref(doc);
	route_config_free(cfg);
	route_problems_free(&problems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_accepted), cmocka_unit_test(test_round_trip_by_id),
		cmocka_unit_test(test_defaults),         cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),          cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_message_length),   cmocka_unit_test(test_long_key),
		cmocka_unit_test(test_problem_cap),      cmocka_unit_test(test_deleted_team),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
