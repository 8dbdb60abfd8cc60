/*
 * The router state machine, table first: each scenario is a conversation's life as a list of
 * events, and after each one the state, the actions (in order) and the audit line it must
 * produce. Then the placeholders, whose values are untrusted.
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

#define HOUR INT64_C(3600000)

#define OPTIONS                                                                        \
	"'options': [{'answers': ['1', 'soporte', 'btn-soporte'], 'team': 'Soporte'}," \
	" {'answers': ['2', 'ventas', 'comprar'], 'team': 'Ventas', 'reply': 'R2'},"   \
	" {'answers': ['3', 'horario'], 'reply': 'R3 {contact_name}'}]"

enum config_id { FULL, FIRST, FOREVER, OFF, NONE };

static const char *const config_docs[] = {
	/* FULL: every message, three attempts, the default 24 h pause */
	[FULL] = "{'welcome_message': 'W', 'fallback_message': 'F', 'give_up_message': 'G',"
	         " 'assignment_message': 'A {contact_name} / {team}', " OPTIONS "}",
	/* FIRST: the first message may route at once; one attempt, no give-up message */
	[FIRST] = "{'welcome_message': 'W', 'fallback_message': 'F', 'max_attempts': 1,"
	          " 'match_first_message': true, " OPTIONS "}",
	/* FOREVER: ask for ever; routing again on every reopening */
	[FOREVER] = "{'welcome_message': 'W', 'fallback_message': 'F', 'max_attempts': 0,"
	            " 'reopen_routing_after_hours': 0, " OPTIONS "}",
	[OFF] = "{'enabled': false, 'welcome_message': 'W', 'fallback_message': 'F', " OPTIONS "}",
	[NONE] = NULL, /* no routing configured */
};

struct event_spec {
	enum router_event_kind kind;
	enum route_message_kind message;
	const char *text;
	const char *payload;
	int64_t resolved_at, now;
};

#define FIRST_TEXT(t)                                               \
	{                                                           \
		ROUTER_FIRST_MESSAGE, ROUTE_MSG_TEXT, t, NULL, 0, 0 \
	}
#define FIRST_PHOTO                                                     \
	{                                                               \
		ROUTER_FIRST_MESSAGE, ROUTE_MSG_OTHER, NULL, NULL, 0, 0 \
	}
#define REPLY(t)                                                       \
	{                                                              \
		ROUTER_CUSTOMER_MESSAGE, ROUTE_MSG_TEXT, t, NULL, 0, 0 \
	}
#define PHOTO                                                              \
	{                                                                  \
		ROUTER_CUSTOMER_MESSAGE, ROUTE_MSG_OTHER, NULL, NULL, 0, 0 \
	}
#define BUTTON(t, id)                                                       \
	{                                                                   \
		ROUTER_CUSTOMER_MESSAGE, ROUTE_MSG_INTERACTIVE, t, id, 0, 0 \
	}
#define REOPEN(t, at, now)                                                 \
	{                                                                  \
		ROUTER_REOPENING_MESSAGE, ROUTE_MSG_TEXT, t, NULL, at, now \
	}
#define HUMAN                                                            \
	{                                                                \
		ROUTER_HUMAN_TAKEOVER, ROUTE_MSG_OTHER, NULL, NULL, 0, 0 \
	}
#define BACK                                                              \
	{                                                                 \
		ROUTER_BACK_TO_ROUTING, ROUTE_MSG_OTHER, NULL, NULL, 0, 0 \
	}

/* The state after a step: waiting in routing after n unrecognised replies, or not routing. */
#define ROUTING(n) true, n
#define DONE       false, 0

struct step {
	struct event_spec ev;
	bool is_routing;
	int attempts;
	const char *actions; /* "assign 2 | send R2"; "" for none; NULL ends the scenario */
	const char *audit;   /* the whole line, or NULL for none */
};

struct scenario {
	const char *name;
	enum config_id config;
	struct router_state start;
	struct step steps[7];
};

static const struct scenario scenarios[] = {
	{ "a team after the welcome",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("2"), DONE, "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched '2'; assigned to Ventas" },
	    { REPLY("1"), DONE, "", NULL } } },
	{ "an answer straight away (FAQ)",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("¿Horario?"), DONE, "unassign | send R3 Lucía",
	      "routing: option 3 matched 'horario'; answered, to the general inbox" } } },
	{ "a typing slip",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("quiero comprr"), DONE, "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched 'comprar' (typing slip: 'comprr'); assigned to "
	      "Ventas" } } },
	{ "a number word, and a negated mention set aside",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("no quiero comprar"), ROUTING(1), "send F",
	      "routing: not understood (only negated answers: 'comprar' after 'no'); fallback "
	      "sent, attempt 1 of 3" },
	    { REPLY("No es de ventas, la primera"), DONE, "assign 1 | send A Lucía / Soporte",
	      "routing: option 1 matched '1' (number word: 'primera'; set aside, negated: "
	      "'ventas' after 'no'); assigned to Soporte" } } },
	{ "a negated mention beside the winner",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("no es de soporte, quiero comprr"), DONE,
	      "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched 'comprar' (typing slip: 'comprr'; set aside, negated: "
	      "'soporte' after 'no'); assigned to Ventas" } } },
	{ "a button, by its id",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { BUTTON("Hablar con alguien", "btn-soporte"), DONE,
	      "assign 1 | send A Lucía / Soporte",
	      "routing: option 1 matched 'btn-soporte' (button id); assigned to Soporte" } } },
	{ "a button, by its title",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { BUTTON("Ventas", "x-99"), DONE, "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched 'ventas'; assigned to Ventas" } } },
	{ "giving up replaces the last fallback",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("¿hola?"), ROUTING(1), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 1 of 3" },
	    { PHOTO, ROUTING(2), "send F",
	      "routing: not understood (not a text); fallback sent, attempt 2 of 3" },
	    { REPLY("👍"), DONE, "unassign | send G",
	      "routing: not understood (no words); gave up after 3, to the general inbox" },
	    { REPLY("1"), DONE, "", NULL } } },
	{ "a match after misses",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("x"), ROUTING(1), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 1 of 3" },
	    { REPLY("1 o 2"), ROUTING(2), "send F",
	      "routing: not understood (options 1 and 2 matched equally); fallback sent, "
	      "attempt 2 of 3" },
	    { REPLY("soporte"), DONE, "assign 1 | send A Lucía / Soporte",
	      "routing: option 1 matched 'soporte'; assigned to Soporte" } } },
	{ "a human wins",
	  FULL,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { HUMAN, DONE, "", "routing: stopped, an agent took over" },
	    { REPLY("2"), DONE, "", NULL },
	    { HUMAN, DONE, "", NULL } } },
	{ "back to routing",
	  FULL,
	  { 0 },
	  { { BACK, ROUTING(0), "unassign | send W",
	      "routing: sent back by an agent; welcome sent" },
	    { REPLY("3"), DONE, "unassign | send R3 Lucía",
	      "routing: option 3 matched '3'; answered, to the general inbox" } } },
	{ "back to routing counts attempts afresh",
	  FULL,
	  { .is_routing = true, .attempts = 2 },
	  { { BACK, ROUTING(0), "unassign | send W",
	      "routing: sent back by an agent; welcome sent" },
	    { REPLY("x"), ROUTING(1), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 1 of 3" } } },
	{ "a customer message outside routing", FULL, { 0 }, { { REPLY("1"), DONE, "", NULL } } },
	{ "reopened within the pause",
	  FULL,
	  { 0 },
	  { { REOPEN("2", 0, 24 * HOUR - 1), DONE, "", "routing: reopened where it was" } } },
	{ "reopened after the pause",
	  FULL,
	  { 0 },
	  { { REOPEN("2", 0, 24 * HOUR), ROUTING(0), "unassign | send W",
	      "routing: reopened 24 h or more after it was resolved; welcome sent" },
	    { REPLY("2"), DONE, "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched '2'; assigned to Ventas" } } },
	{ "reopened while routing: routing goes on",
	  FULL,
	  { .is_routing = true, .attempts = 1 },
	  { { REOPEN("ventas", 1000, 2000), DONE, "assign 2 | send R2 | send A Lucía / Ventas",
	      "routing: option 2 matched 'ventas'; assigned to Ventas" } } },
	{ "reopened while routing: attempts go on",
	  FULL,
	  { .is_routing = true, .attempts = 2 },
	  { { REOPEN("nada", 1000, 2000), DONE, "unassign | send G",
	      "routing: not understood (no answer matched); gave up after 3, to the general "
	      "inbox" } } },
	{ "reopened with a clock behind",
	  FULL,
	  { 0 },
	  { { REOPEN("2", 10 * HOUR, 5 * HOUR), DONE, "", "routing: reopened where it was" } } },
	{ "reopened at the edges of time",
	  FULL,
	  { 0 },
	  { { REOPEN("2", INT64_MAX, INT64_MIN), DONE, "", "routing: reopened where it was" },
	    { REOPEN("hola", INT64_MIN, INT64_MAX), ROUTING(0), "unassign | send W",
	      "routing: reopened 24 h or more after it was resolved; welcome sent" } } },
	{ "the first message routes at once",
	  FIRST,
	  { 0 },
	  { { FIRST_TEXT("Quiero comprar"), DONE, "assign 2 | send R2",
	      "routing: option 2 matched 'comprar'; assigned to Ventas" } } },
	{ "the first message is a FAQ",
	  FIRST,
	  { 0 },
	  { { FIRST_TEXT("horario"), DONE, "unassign | send R3 Lucía",
	      "routing: option 3 matched 'horario'; answered, to the general inbox" } } },
	{ "a first message that matches nothing gets the welcome, not a fallback",
	  FIRST,
	  { 0 },
	  { { FIRST_TEXT("1 o 2"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("nada"), DONE, "unassign",
	      "routing: not understood (no answer matched); gave up after 1, to the general "
	      "inbox" } } },
	{ "a first photo gets the welcome",
	  FIRST,
	  { 0 },
	  { { FIRST_PHOTO, ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" } } },
	{ "a reopening message routes at once",
	  FIRST,
	  { 0 },
	  { { REOPEN("soporte", 0, 48 * HOUR), DONE, "assign 1",
	      "routing: option 1 matched 'soporte'; assigned to Soporte" } } },
	{ "asking for ever",
	  FOREVER,
	  { 0 },
	  { { FIRST_TEXT("hola"), ROUTING(0), "unassign | send W",
	      "routing: new conversation; welcome sent" },
	    { REPLY("?"), ROUTING(1), "send F",
	      "routing: not understood (no words); fallback sent, attempt 1" },
	    { REPLY("a"), ROUTING(2), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 2" },
	    { PHOTO, ROUTING(3), "send F",
	      "routing: not understood (not a text); fallback sent, attempt 3" },
	    { REPLY("b"), ROUTING(4), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 4" },
	    { REPLY("c"), ROUTING(5), "send F",
	      "routing: not understood (no answer matched); fallback sent, attempt 5" } } },
	{ "no pause: every reopening routes again",
	  FOREVER,
	  { 0 },
	  { { REOPEN("hola", 1000, 1000), ROUTING(0), "unassign | send W",
	      "routing: reopened 0 h or more after it was resolved; welcome sent" } } },
	{ "routing off",
	  OFF,
	  { 0 },
	  { { FIRST_TEXT("1"), DONE, "unassign", "routing: off; to the general inbox" },
	    { BACK, DONE, "", "routing: off; not sent back" },
	    { REOPEN("1", 0, 100 * HOUR), DONE, "", "routing: reopened where it was" } } },
	{ "routing turned off while waiting",
	  OFF,
	  { .is_routing = true, .attempts = 1 },
	  { { REPLY("1"), DONE, "unassign",
	      "routing: turned off while waiting; to the general inbox" } } },
	{ "no routing configured",
	  NONE,
	  { 0 },
	  { { FIRST_TEXT("1"), DONE, "unassign", "routing: off; to the general inbox" } } },
	{ "no routing configured while waiting",
	  NONE,
	  { .is_routing = true },
	  { { REOPEN("1", 0, 100 * HOUR), DONE, "unassign",
	      "routing: turned off while waiting; to the general inbox" } } },
};

static struct route_config *configs[NONE + 1];

static int setup(void **state)
{
	(void)state;
	for (int i = FULL; i < NONE; i++)
		configs[i] = test_config(config_docs[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = FULL; i < NONE; i++)
		route_config_free(configs[i]);
	return 0;
}

/* "assign 2 | send R2": the actions as one line, to compare with the table. */
static char *describe(const struct router_result *r)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < r->count; i++) {
		const struct router_action *a = &r->actions[i];
		if (i > 0)
			buf_puts(&b, " | ");
		switch (a->kind) {
		case ROUTER_SEND_TEXT:
			buf_printf(&b, "send %s", a->text);
			break;
		case ROUTER_ASSIGN_TEAM:
			buf_printf(&b, "assign %lld", (long long)a->team_id);
			break;
		case ROUTER_UNASSIGN:
			buf_puts(&b, "unassign");
			break;
		}
	}
	return buf_take(&b);
}

/* What the header promises for every result. */
static void check_invariants(const char *name, size_t step, const struct router_result *r)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct router_action *a = &r->actions[i];
		bool is_placement = a->kind != ROUTER_SEND_TEXT;
		if (is_placement && i != 0)
			fail_msg("%s, step %zu: a team change after a text", name, step);
		if ((a->kind == ROUTER_SEND_TEXT) != (a->text != NULL))
			fail_msg("%s, step %zu: text on a non-send action or none on a send", name,
			         step);
		if (a->kind == ROUTER_ASSIGN_TEAM && r->state.is_routing)
			fail_msg("%s, step %zu: assigned yet still routing", name, step);
	}
	if (r->count > 0 && r->audit == NULL)
		fail_msg("%s, step %zu: actions without an audit line", name, step);
	if ((r->audit == NULL) != (r->line.code == NULL))
		fail_msg("%s, step %zu: an audit line without its code, or a code without a line",
		         name, step);
	if (r->outcome == ROUTER_MATCHED && (r->line.option != r->option + 1 || !r->line.answer))
		fail_msg("%s, step %zu: a match's line without its option and answer", name, step);
	if ((r->outcome == ROUTER_FELL_BACK || r->outcome == ROUTER_GAVE_UP) &&
	    (r->line.reason == NULL || r->line.attempt < 1))
		fail_msg("%s, step %zu: a miss's line without its reason and attempt", name, step);
}

static void run_scenario(const struct scenario *s)
{
	struct router_state state = s->start;
	for (size_t i = 0; i < sizeof(s->steps) / sizeof(s->steps[0]); i++) {
		const struct step *st = &s->steps[i];
		if (st->actions == NULL)
			break;
		struct router_event ev = {
			.kind = st->ev.kind,
			.message = { .kind = st->ev.message,
			             .text = st->ev.text,
			             .payload = st->ev.payload },
			.resolved_at_ms = st->ev.resolved_at,
			.contact_name = "Lucía",
			.teams = &test_directory,
		};
		struct router_result r;
		router_step(&state, &ev, configs[s->config], st->ev.now, &r);
		char *actions = describe(&r);
		if (strcmp(actions, st->actions) != 0)
			fail_msg("%s, step %zu: actions '%s', want '%s'", s->name, i, actions,
			         st->actions);
		if ((r.audit == NULL) != (st->audit == NULL) ||
		    (r.audit != NULL && strcmp(r.audit, st->audit) != 0))
			fail_msg("%s, step %zu: audit '%s', want '%s'", s->name, i,
			         r.audit ? r.audit : "(none)", st->audit ? st->audit : "(none)");
		if (r.state.is_routing != st->is_routing || r.state.attempts != st->attempts)
			fail_msg("%s, step %zu: state %d/%d, want %d/%d", s->name, i,
			         r.state.is_routing, r.state.attempts, st->is_routing,
			         st->attempts);
		check_invariants(s->name, i, &r);
		state = r.state;
		free(actions);
		router_result_free(&r);
	}
}

static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
}

/* What each step counts as in the numbers: welcome, match (and which), fallback, give-up. */
static void test_outcomes(void **state)
{
	(void)state;
	static const struct {
		enum router_event_kind kind;
		bool is_routing;
		int attempts;
		const char *text;
		enum router_outcome want;
		size_t option;
	} rows[] = {
		{ ROUTER_FIRST_MESSAGE, false, 0, "hola", ROUTER_WELCOMED, 0 },
		{ ROUTER_CUSTOMER_MESSAGE, true, 0, "2", ROUTER_MATCHED, 1 },
		{ ROUTER_CUSTOMER_MESSAGE, true, 0, "nada", ROUTER_FELL_BACK, 0 },
		{ ROUTER_CUSTOMER_MESSAGE, true, 2, "nada", ROUTER_GAVE_UP, 0 },
		{ ROUTER_CUSTOMER_MESSAGE, false, 0, "2", ROUTER_NOTHING, 0 },
		{ ROUTER_HUMAN_TAKEOVER, true, 0, NULL, ROUTER_NOTHING, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct router_state st = { .is_routing = rows[i].is_routing,
			                   .attempts = rows[i].attempts };
		struct router_event ev = { .kind = rows[i].kind,
			                   .message = { .kind = ROUTE_MSG_TEXT,
			                                .text = rows[i].text } };
		struct router_result r;
		router_step(&st, &ev, configs[FULL], 0, &r);
		assert_int_equal(r.outcome, rows[i].want);
		if (rows[i].want == ROUTER_MATCHED)
			assert_int_equal(r.option, rows[i].option);
		router_result_free(&r);
	}
}

/* ---- Placeholders ---- */

/* The text of the last action after replying "2" (Ventas) in routing under FULL. */
static char *assignment_for(const char *contact, const struct route_teams *teams, char **audit)
{
	struct router_state state = { .is_routing = true };
	struct router_event ev = {
		.kind = ROUTER_CUSTOMER_MESSAGE,
		.message = { .kind = ROUTE_MSG_TEXT, .text = "2" },
		.contact_name = contact,
		.teams = teams,
	};
	struct router_result r;
	router_step(&state, &ev, configs[FULL], 0, &r);
	assert_int_equal(r.count, 3);
	char *text = r.actions[2].text;
	r.actions[2].text = NULL;
	*audit = r.audit;
	r.audit = NULL;
	router_result_free(&r);
	return text;
}

struct placeholder_row {
	const char *contact;
	const char *want;
};

/* A contact's name is put in as it is, never read again for placeholders; none takes the
 * spaces before it along ("¡Hola {contact_name}!" is "¡Hola!"). */
static const struct placeholder_row placeholder_rows[] = {
	{ "Lucía", "A Lucía / Ventas" },
	{ "{team}", "A {team} / Ventas" },
	{ "{contact_name}", "A {contact_name} / Ventas" },
	{ "{contact_name}{team}", "A {contact_name}{team} / Ventas" },
	{ "<b>Ana</b> & 'Co'", "A <b>Ana</b> & 'Co' / Ventas" },
	/* No name of their own: no gap where it would be. */
	{ "", "A / Ventas" },
	{ NULL, "A / Ventas" },
};

static void test_placeholders(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(placeholder_rows) / sizeof(placeholder_rows[0]); i++) {
		char *audit;
		char *got = assignment_for(placeholder_rows[i].contact, &test_directory, &audit);
		if (strcmp(got, placeholder_rows[i].want) != 0)
			fail_msg("placeholder row %zu: '%s', want '%s'", i, got,
			         placeholder_rows[i].want);
		free(got);
		free(audit);
	}
}

/* route_fill, as canned responses use it too: only the placeholders given are filled, a
 * missing value takes the spaces before it, a long one is cut at a whole character. */
static void test_fill(void **state)
{
	(void)state;
	char long_name[ROUTE_MAX_NAME_BYTES + 8];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memcpy(long_name + ROUTE_MAX_NAME_BYTES - 1, "\xc3\xa9", 2); /* "é" across the cut */
	const struct route_value values[] = {
		{ "{a}", "x" }, { "{none}", NULL }, { "{empty}", "" }, { "{long}", long_name }
	};
	static const char *const rows[][2] = {
		{ "{a} {b} {a}", "x {b} x" },
		{ "Hola  {none}, {empty}!", "Hola,!" },
		{ "{none}", "" },
		{ "{a}{none}", "x" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = route_fill(rows[i][0], values, 4);
		assert_string_equal(got, rows[i][1]);
		free(got);
	}
	char *got = route_fill("{long}", values, 4);
	assert_int_equal(strlen(got), ROUTE_MAX_NAME_BYTES - 1);
	free(got);
}

/* Without a way to name teams, {team} is empty (taking the space before it along) and the
 * audit line gives the id. */
static void test_no_team_names(void **state)
{
	(void)state;
	char *audit;
	char *got = assignment_for("Lucía", NULL, &audit);
	assert_string_equal(got, "A Lucía /");
	assert_string_equal(audit, "routing: option 2 matched '2'; assigned to team 2");
	free(got);
	free(audit);
}

static char long_name[300];

static const char *long_team_name(void *ctx, int64_t id)
{
	(void)ctx;
	(void)id;
	return long_name;
}

/* Names are cut to ROUTE_MAX_NAME_BYTES, between characters. */
static void test_long_names(void **state)
{
	(void)state;
	for (size_t i = 0; i + 2 < sizeof(long_name); i += 2)
		memcpy(long_name + i, "é", 2);
	struct route_teams teams = test_directory;
	teams.team_name = long_team_name;
	char *audit;
	char *got = assignment_for(long_name, &teams, &audit);
	/* "A " + 128 bytes + " / " + 128 bytes: 64 'é' each */
	assert_int_equal(strlen(got), 2 + 128 + 3 + 128);
	assert_memory_equal(got + 2, long_name, 128);
	assert_memory_equal(got + 2 + 128, " / ", 3);
	free(got);
	free(audit);
}

/* A message at the limit stays within it, however long the names put into it. */
static void test_filled_message_bound(void **state)
{
	(void)state;
	struct buf doc = BUF_INIT;
	buf_puts(&doc, "{'welcome_message': 'W', 'fallback_message': 'F', 'assignment_message': '");
	for (int i = 0; i < ROUTE_MAX_MESSAGE_BYTES - 2 * ROUTE_MAX_NAME_BYTES; i++)
		buf_putc(&doc, 'a');
	buf_puts(&doc, "{contact_name}{team}', " OPTIONS "}");
	struct route_config *cfg = test_config(doc.data);
	memset(long_name, 'n', sizeof(long_name) - 1);
	struct route_teams teams = test_directory;
	teams.team_name = long_team_name;
	struct router_state st = { .is_routing = true };
	struct router_event ev = {
		.kind = ROUTER_CUSTOMER_MESSAGE,
		.message = { .kind = ROUTE_MSG_TEXT, .text = "soporte" },
		.contact_name = long_name,
		.teams = &teams,
	};
	struct router_result r;
	router_step(&st, &ev, cfg, 0, &r);
	assert_int_equal(r.count, 2);
	assert_int_equal(strlen(r.actions[1].text), ROUTE_MAX_MESSAGE_BYTES);
	router_result_free(&r);
	route_config_free(cfg);
	buf_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_no_team_names),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_filled_message_bound),
	};
	size_t steps = 0;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		for (size_t j = 0; j < sizeof(scenarios[i].steps) / sizeof(scenarios[i].steps[0]) &&
		                   scenarios[i].steps[j].actions != NULL;
		     j++)
			steps++;
	printf("router table: %zu scenarios, %zu steps\n", sizeof(scenarios) / sizeof(scenarios[0]),
	       steps);
	return cmocka_run_group_tests(tests, setup, teardown);
}
