/*
 * The demo account: everything goes through the inbox's own functions (users, teams, the
 * channel, the routing document), as an admin would do it, in one transaction; nothing
 * here writes a table by itself.
 */
#include "demo.h"

#include <jansson.h>
#include <string.h>

#include "core/clock.h"
#include "core/token.h"
#include "inbox/inbox.h"

#define PASSWORD_LEN 16

static const char *const team_names[] = { "Soporte", "Ventas", "Marketing", "Contabilidad" };

static const struct {
	const char *email, *name, *role;
	int teams[2]; /* indices into team_names, -1 for none */
} people[] = {
	{ "admin@demo.local", "Admin", "admin", { -1, -1 } },
	{ "ana@demo.local", "Ana", "agent", { 0, 1 } },
	{ "bruno@demo.local", "Bruno", "agent", { 2, 3 } },
};

#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static const char routing_doc[] =
    "{\"enabled\": true,"
    " \"welcome_message\": \"¡Hola! ¿Con qué área quieres hablar? 1. Soporte 2. Ventas"
    " 3. Marketing 4. Contabilidad\","
    " \"fallback_message\": \"Perdona, no te he entendido. Responde con un número del 1 al 4"
    " o con el nombre del área.\","
    " \"assignment_message\": \"Gracias. Te atiende el equipo de {team}: enseguida te"
    " escribimos.\","
    " \"max_attempts\": 3,"
    " \"give_up_message\": \"Un compañero te atenderá enseguida.\","
    " \"options\": ["
    "  {\"answers\": [\"1\", \"soporte\", \"ayuda\", \"problema\", \"no funciona\"],"
    "   \"team\": \"Soporte\"},"
    "  {\"answers\": [\"2\", \"ventas\", \"comprar\", \"precio\", \"presupuesto\"],"
    "   \"team\": \"Ventas\"},"
    "  {\"answers\": [\"3\", \"marketing\", \"publicidad\", \"prensa\", \"colaboración\"],"
    "   \"team\": \"Marketing\"},"
    "  {\"answers\": [\"4\", \"contabilidad\", \"factura\", \"pago\", \"cobro\"],"
    "   \"team\": \"Contabilidad\"}]}";

static int add_people(struct store_tx *tx, int64_t account_id, const int64_t *team_ids,
                      char passwords[NPEOPLE][PASSWORD_LEN + 1], int64_t now, struct error *e)
{
	int rc = 0;
	for (size_t i = 0; i < NPEOPLE && rc == 0; i++) {
		char token[TOKEN_TEXT_LEN], hash[AUTH_HASH_MAX];
		token_generate(token);
		memcpy(passwords[i], token, PASSWORD_LEN);
		passwords[i][PASSWORD_LEN] = '\0';
		rc = auth_password_hash(passwords[i], hash, e);
		struct user_changes in = { .email = people[i].email,
			                   .name = people[i].name,
			                   .role = people[i].role,
			                   .password_hash = hash,
			                   .is_active = 1 };
		struct user u;
		if (rc == 0)
			rc = user_create(tx, account_id, &in, now, &u, e);
		for (int k = 0; k < 2 && rc == 0 && people[i].teams[k] >= 0; k++)
			rc = team_member_add(tx, account_id, team_ids[people[i].teams[k]], u.id,
			                     now, e);
	}
	return rc;
}

static int seed(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                char passwords[NPEOPLE][PASSWORD_LEN + 1], struct channel *ch, struct error *e)
{
	int64_t now = clock_now_ms(), team_ids[4];
	int rc = 0;
	for (int i = 0; i < 4 && rc == 0; i++) {
		struct team t;
		rc = team_create(tx, account_id, team_names[i], now, &t, e);
		team_ids[i] = t.id;
		/* Support and sales hand new conversations out in turn: assignment at work. */
		if (rc == 0 && i < 2)
			rc = team_update(tx, account_id, t.id,
			                 &(struct team_changes){ .assignment = "round_robin",
			                                         .is_online_only = -1,
			                                         .max_open = -1,
			                                         .does_reply_assign = -1 },
			                 now, &t, e);
	}
	if (rc == 0)
		rc = add_people(tx, account_id, team_ids, passwords, now, e);
	struct channel_input in = { .kind = "webchat", .name = "Web (demo)" };
	if (rc == 0)
		rc = channel_create(tx, seal, account_id, &in, now, ch, e);
	json_t *doc = rc == 0 ? json_loads(routing_doc, 0, NULL) : NULL;
	struct route_problems problems = { 0 };
	if (doc != NULL)
		rc = routing_save(tx, account_id, 0, doc, now, &problems, e);
	route_problems_free(&problems);
	json_decref(doc);
	return rc;
}

int demo_seed(struct store *st, const struct seal *seal, int64_t account_id, const char *public_url,
              FILE *out, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int64_t users = 0;
	char passwords[NPEOPLE][PASSWORD_LEN + 1];
	struct channel ch;
	int rc = user_count(tx, &users, e);
	if (rc == 0 && users == 0)
		rc = seed(tx, seal, account_id, passwords, &ch, e);
	if (rc < 0 || users > 0) {
		store_rollback(tx);
		return rc;
	}
	if ((rc = store_commit(tx)) < 0)
		return error_set(e, rc, "the demo account could not be saved");
	fprintf(out, "Demo mode: created a demo account (passwords shown once).\n");
	for (size_t i = 0; i < NPEOPLE; i++)
		fprintf(out, "  %-6s %-18s password: %s\n", people[i].role, people[i].email,
		        passwords[i]);
	fprintf(out,
	        "  Be the customer at %s/demo and the agent at %s/ (Ana: Soporte, Ventas,"
	        " both round robin; Bruno: Marketing, Contabilidad).\n",
	        public_url, public_url);
	fflush(out);
	return 0;
}
