/*
 * Helpers shared by the routing tests: a fixed team directory behind struct route_teams,
 * and configs made from JSON text. Header-only (static inline) so each test stays one file.
 */
#ifndef TESTS_ROUTING_TEST_H
#define TESTS_ROUTING_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "routing/routing.h"

struct test_team {
	int64_t id;
	const char *name;
};

static const struct test_team test_teams[] = {
	{ 1, "Soporte" },  { 2, "Ventas" }, { 3, "Alcalá" },   { 4, "Administración" },
	{ 11, "Support" }, { 12, "Sales" }, { 14, "Billing" },
};

static inline int test_team_by_name(void *ctx, const char *name, int64_t *id)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(test_teams) / sizeof(test_teams[0]); i++) {
		if (strcmp(test_teams[i].name, name) == 0) {
			*id = test_teams[i].id;
			return 0;
		}
	}
	return -8;
}

static inline const char *test_team_name(void *ctx, int64_t id)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(test_teams) / sizeof(test_teams[0]); i++)
		if (test_teams[i].id == id)
			return test_teams[i].name;
	return NULL;
}

static const struct route_teams test_directory = {
	.ctx = NULL,
	.team_by_name = test_team_by_name,
	.team_name = test_team_name,
};

/* JSON from text written with ' for " (so tables stay readable); a new reference. */
static inline json_t *test_json(const char *quoted)
{
	char *text = strdup(quoted);
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (doc == NULL)
		fail_msg("bad test JSON (%s) in: %s", je.text, text);
	free(text);
	return doc;
}

/* A config from test_json text that must be valid; the test fails naming the first problem. */
static inline struct route_config *test_config(const char *quoted)
{
	json_t *doc = test_json(quoted);
	struct route_problems problems = { 0 };
	struct route_config *cfg = route_config_new(doc, &test_directory, &problems);
	if (cfg == NULL)
		fail_msg("test config refused: %s: %s", problems.items[0].path,
		         problems.items[0].reason);
	route_problems_free(&problems);
	json_decref(doc);
	return cfg;
}

#endif
