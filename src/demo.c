/*
 * The demo account: everything goes through the inbox's own functions (users, teams, the
 * channel, the routing document), as an admin would do it, in one transaction. The one table
 * of its own is demo_logins, the demo users' passwords, so that `centralita demo logins` can
 * print them again: nothing else is ever stored in clear, and only the demo writes it.
 */
#include "demo.h"

#include <jansson.h>
#include <string.h>

#include "core/clock.h"
#include "core/token.h"
#include "inbox/inbox.h"

#define PASSWORD_LEN 16
#define NTEAMS       4

/* The demo in one language: its teams, and routing's messages and answers for them. */
struct demo_words {
	const char *language;
	const char *teams[NTEAMS];
	const char *welcome, *fallback, *assignment, *give_up;
	const char *answers[NTEAMS][5];
};

static const struct demo_words words[] = {
	{ "es",
	  { "Soporte", "Ventas", "Marketing", "Contabilidad" },
	  "¡Hola! ¿Con qué área quieres hablar? 1. Soporte 2. Ventas 3. Marketing 4. Contabilidad",
	  "Perdona, no te he entendido. Responde con un número del 1 al 4 o con el nombre del "
	  "área.",
	  "Gracias. Te atiende el equipo de {team}: enseguida te escribimos.",
	  "Un compañero te atenderá enseguida.",
	  { { "1", "soporte", "ayuda", "problema", "no funciona" },
	    { "2", "ventas", "comprar", "precio", "presupuesto" },
	    { "3", "marketing", "publicidad", "prensa", "colaboración" },
	    { "4", "contabilidad", "factura", "pago", "cobro" } } },
	{ "en",
	  { "Support", "Sales", "Marketing", "Accounting" },
	  "Hello! Which team would you like to talk to? 1. Support 2. Sales 3. Marketing 4. Accounting",
	  "Sorry, I did not understand. Answer with a number from 1 to 4 or the team's name.",
	  "Thank you. The {team} team will write to you in a moment.",
	  "A colleague will be with you shortly.",
	  { { "1", "support", "help", "problem", "not working" },
	    { "2", "sales", "buy", "price", "quote" },
	    { "3", "marketing", "advertising", "press", "partnership" },
	    { "4", "accounting", "invoice", "payment", "refund" } } },
};

static const struct {
	const char *email, *name, *role;
	int teams[2]; /* indices into a demo_words' teams, -1 for none */
} people[] = {
	{ "admin@demo.local", "Admin", "admin", { -1, -1 } },
	{ "ana@demo.local", "Ana", "agent", { 0, 1 } },
	{ "bruno@demo.local", "Bruno", "agent", { 2, 3 } },
};

#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static const struct demo_words *words_for(const char *language)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].language, language) == 0)
			return &words[i];
	return &words[0];
}

static json_t *routing_doc(const struct demo_words *w)
{
	json_t *options = json_array();
	for (int i = 0; i < NTEAMS; i++) {
		json_t *answers = json_array();
		for (int k = 0; k < 5; k++)
			json_array_append_new(answers, json_string(w->answers[i][k]));
		json_array_append_new(
		    options, json_pack("{s:o,s:s}", "answers", answers, "team", w->teams[i]));
	}
	return json_pack("{s:b,s:s,s:s,s:s,s:i,s:s,s:o}", "enabled", 1, "welcome_message",
	                 w->welcome, "fallback_message", w->fallback, "assignment_message",
	                 w->assignment, "max_attempts", 3, "give_up_message", w->give_up, "options",
	                 options);
}

static int add_people(struct store_tx *tx, int64_t account_id, const int64_t *team_ids, int64_t now,
                      struct error *e)
{
	int rc = 0;
	for (size_t i = 0; i < NPEOPLE && rc == 0; i++) {
		char token[TOKEN_TEXT_LEN], password[PASSWORD_LEN + 1], hash[AUTH_HASH_MAX];
		token_generate(token);
		memcpy(password, token, PASSWORD_LEN);
		password[PASSWORD_LEN] = '\0';
		rc = auth_password_hash(password, hash, e);
		struct user_changes in = { .email = people[i].email,
			                   .name = people[i].name,
			                   .role = people[i].role,
			                   .password_hash = hash,
			                   .is_active = 1 };
		struct user u;
		if (rc == 0)
			rc = user_create(tx, account_id, &in, now, &u, e);
		if (rc == 0)
			rc = store_failed(
			    e,
			    store_exec(
			        tx, "INSERT INTO demo_logins (user_id, password) VALUES ($1, $2)",
			        STORE_ARGS(SV_INT(u.id), SV_TEXT(password))));
		for (int k = 0; k < 2 && rc == 0 && people[i].teams[k] >= 0; k++)
			rc = team_member_add(tx, account_id, team_ids[people[i].teams[k]], u.id,
			                     now, e);
	}
	return rc;
}

static int seed(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                const struct demo_words *w, struct error *e)
{
	int64_t now = clock_now_ms(), team_ids[NTEAMS];
	int rc = 0;
	for (int i = 0; i < NTEAMS && rc == 0; i++) {
		struct team t;
		rc = team_create(tx, account_id, w->teams[i], now, &t, e);
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
		rc = add_people(tx, account_id, team_ids, now, e);
	struct channel_input in = { .kind = "webchat", .name = "Web (demo)" };
	struct channel ch;
	if (rc == 0)
		rc = channel_create(tx, seal, account_id, &in, now, &ch, e);
	json_t *doc = rc == 0 ? routing_doc(w) : NULL;
	struct route_problems problems = { 0 };
	if (doc != NULL)
		rc = routing_save(tx, account_id, 0, doc, now, &problems, e);
	route_problems_free(&problems);
	json_decref(doc);
	return rc;
}

int demo_seed(struct store *st, const struct seal *seal, int64_t account_id, const struct config *c,
              FILE *out, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	const struct demo_words *w = words_for(c->demo_language);
	int64_t users = 0;
	int rc = user_count(tx, &users, e);
	if (rc == 0 && users == 0)
		rc = seed(tx, seal, account_id, w, e);
	if (rc < 0 || users > 0) {
		store_rollback(tx);
		return rc;
	}
	if ((rc = store_commit(tx)) < 0)
		return error_set(e, rc, "the demo account could not be saved");
	fprintf(out, "Demo mode: created a demo account (`centralita demo logins` prints these"
	             " again).\n");
	if ((tx = store_begin(st, STORE_READ)) == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	rc = demo_logins_print(tx, out, e);
	store_rollback(tx);
	fprintf(out,
	        "  Be the customer at %s/demo and the agent at %s/ (Ana: %s, %s, both round"
	        " robin; Bruno: %s, %s).\n",
	        c->public_url, c->public_url, w->teams[0], w->teams[1], w->teams[2], w->teams[3]);
	fflush(out);
	return rc;
}

int demo_logins_print(struct store_tx *tx, FILE *out, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT u.role, u.email, d.password, u.password_hash, u.is_active"
	                     " FROM demo_logins d JOIN users u ON u.id = d.user_id ORDER BY u.id",
	                     STORE_NO_ARGS, &r);
	if (rc < 0)
		return store_failed(e, rc);
	int n = 0;
	while ((rc = store_next(r)) == 1) {
		n++;
		/* A password changed since is the person's own now: it is not shown. */
		if (store_int(r, 4) == 0)
			fprintf(out, "  %-6s %-18s (deactivated)\n", store_text(r, 0),
			        store_text(r, 1));
		else if (!auth_password_matches(store_text(r, 3), store_text(r, 2)))
			fprintf(out, "  %-6s %-18s (password changed since)\n", store_text(r, 0),
			        store_text(r, 1));
		else
			fprintf(out, "  %-6s %-18s password: %s\n", store_text(r, 0),
			        store_text(r, 1), store_text(r, 2));
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	return n > 0 ? 0
	             : error_set(e, ERR_NOT_FOUND,
	                         "this database has no demo account (start the server with --demo 1"
	                         " on a new database)");
}
