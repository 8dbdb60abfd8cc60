/*
 * libFuzzer: the routing configuration validator, then the matcher on the rest of the input,
 * and that text as the suggestions remember and read it (route_reply_key, route_suggest).
 * Input: a JSON configuration, a NUL byte, a customer's text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "routing/routing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int team_by_name(void *ctx, const char *name, int64_t *id)
{
	*id = (int64_t)strlen(name) + 1;
	return 0;
}

static const char *team_name(void *ctx, int64_t id)
{
	return "Soporte";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t doc_len = nul ? (size_t)(nul - p) : size;
	struct error e;
	json_t *doc = json_parse(p, doc_len, &e);
	struct route_teams teams = { NULL, team_by_name, team_name };
	struct route_problems problems = { 0 };
	struct route_config *cfg = doc ? route_config_new(doc, &teams, &problems) : NULL;
	json_decref(route_problems_to_json(&problems));
	route_problems_free(&problems);
	const char *text = nul ? nul + 1 : "";
	size_t text_len = nul ? size - doc_len - 1 : 0;
	char *copy = malloc(text_len + 1);
	memcpy(copy, text, text_len);
	copy[text_len] = '\0';
	free(route_normalize(copy, text_len));
	char *key = route_reply_key(copy, text_len);
	const struct route_reply_seen seen[] = { { key, 0, 2 }, { key, 7, 1 } };
	struct route_suggestion *s;
	size_t n = route_suggest(cfg, seen, 2, NULL, 0, ROUTE_MAX_SUGGESTIONS, &s);
	route_suggestions_free(s, n);
	free(key);
	if (cfg != NULL) {
		struct route_message msg = { ROUTE_MSG_TEXT, copy, NULL };
		struct route_decision *d = route_match(cfg, &msg);
		json_decref(route_decision_to_json(d, &teams));
		route_decision_free(d);
		json_decref(route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &teams));
		route_config_free(cfg);
	}
	free(copy);
	json_decref(doc);
	return 0;
}
