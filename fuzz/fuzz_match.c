/*
 * libFuzzer: the text normaliser and the matcher on a fixed, valid configuration (fuzz_routing
 * fuzzes the validator, where most inputs never reach the matcher), then the router's step,
 * which fills placeholders with the contact's name. Input: one byte choosing the message and
 * event kinds and the attempts so far, then text, NUL, button payload, NUL, contact name.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "routing/routing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
    "{\"welcome_message\": \"¡Hola {contact_name}! 1 Soporte 2 Ventas 3 Horario\","
    " \"fallback_message\": \"Perdona, {contact_name}, no te he entendido.\","
    " \"assignment_message\": \"Gracias, {contact_name}. Te atiende {team}.\","
    " \"max_attempts\": 2, \"give_up_message\": \"Un compañero te atenderá.\","
    " \"match_first_message\": true, \"options\": ["
    " {\"answers\": [\"1\", \"soporte\", \"ayuda técnica\", \"no funciona\"], \"team\": \"Soporte\"},"
    " {\"answers\": [\"2\", \"ventas\", \"comprar\", \"precio\"], \"team\": \"Ventas\","
    "  \"reply\": \"Te pasamos con ventas, {contact_name}.\"},"
    " {\"answers\": [\"3\", \"horario\", \"alcalá de henares\", \"東京\", \"ß straße\"],"
    "  \"reply\": \"Abrimos de 9 a 18 h.\"}]}";

static int team_by_name(void *ctx, const char *name, int64_t *id)
{
	*id = strcmp(name, "Soporte") == 0 ? 1 : 2;
	return 0;
}

static const char *team_name(void *ctx, int64_t id)
{
	return id == 1 ? "Soporte" : "Ventas";
}

static struct route_config *load_config(const struct route_teams *teams)
{
	struct error e;
	json_t *doc = json_parse(config, strlen(config), &e);
	struct route_problems problems = { 0 };
	struct route_config *cfg = doc ? route_config_new(doc, teams, &problems) : NULL;
	json_decref(doc);
	route_problems_free(&problems);
	if (cfg == NULL)
		abort();
	return cfg;
}

/* The next NUL-terminated piece of the input, as a new string. */
static char *piece(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t len = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	char *s = malloc(len + 1);
	memcpy(s, *p, len);
	s[len] = '\0';
	*p = nul ? nul + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct route_teams teams = { NULL, team_by_name, team_name };
	static struct route_config *cfg;
	if (cfg == NULL)
		cfg = load_config(&teams);
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1, *end = data + size;
	char *text = piece(&p, end);
	char *payload = piece(&p, end);
	char *name = piece(&p, end);

	free(route_normalize(text, strlen(text)));
	struct router_event ev = {
		.kind = (enum router_event_kind)(data[0] % 5),
		.message = { (enum route_message_kind)((data[0] >> 3) % 3), text,
		             (data[0] & 0x40) ? payload : NULL },
		.resolved_at_ms = 1764000000000 - (int64_t)(data[0] >> 5) * 3600000 * 12,
		.contact_name = (data[0] & 0x80) ? name : NULL,
		.teams = &teams,
	};
	struct route_decision *d = route_match(cfg, &ev.message);
	json_decref(route_decision_to_json(d, &teams));
	route_decision_free(d);

	struct router_state state = { (data[0] & 0x20) != 0, (data[0] >> 2) % 4 };
	struct router_result r;
	router_step(&state, &ev, cfg, 1764000000000, &r);
	for (size_t i = 0; i < r.count; i++)
		if (r.actions[i].kind == ROUTER_SEND_TEXT &&
		    strlen(r.actions[i].text) > ROUTE_MAX_MESSAGE_BYTES)
			abort();
	router_result_free(&r);
	free(text);
	free(payload);
	free(name);
	return 0;
}
