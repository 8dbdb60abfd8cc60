/*
 * gen_inbox: the data set of scenario 4 (docs/BENCHMARK.md), written straight into a database
 * that `centralita migrate` created, with the server's schema — its triggers keep the search
 * indexes in step as they would in production. Bulk transactions of prepared statements,
 * without the journal (a failed run is simply thrown away). The spread: 4 channels, 10 teams,
 * 50 agents in one or two teams each, CONVERSATIONS conversations over about 80 % as many
 * contacts (a fifth of the contacts have a second conversation, on another channel), 1 to 9
 * messages each (MESSAGES in all), the newest conversations last, 30 % in the general inbox,
 * most of the rest assigned to one of their team's agents, tags on one in ten.
 *
 * Users authenticate with API tokens it makes up. Prints one JSON object: the generator's
 * version, the tokens of the admin and of an agent in two teams, that agent's id and teams,
 * a conversation with messages, and the word the benchmark searches for.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"

#define GEN_VERSION     3
#define TEAMS           10
#define AGENTS          50
#define CHANNELS        4
#define PER_TX          50000
#define DAY_MS          (24LL * 3600 * 1000)
#define START_MS        1764547200000LL /* 2025-12-01 */
#define SPAN_MS         (365 * DAY_MS)
#define ADMIN_TOKEN     "ctk_bench-admin-token-for-the-inbox-at-scale"
#define AGENT_TOKEN     "ctk_bench-agent-token-for-the-inbox-at-scale"
#define SEARCH_WORD     "portátil" /* in about 1 message in 1,200 */
#define SEARCH_WORD_URL "port%C3%A1til"

static sqlite3 *db;

static void die(const char *what)
{
	fprintf(stderr, "gen_inbox: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static sqlite3_stmt *prepare(const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die(sql);
	return s;
}

/* Binds the arguments described by types ('i' int64, 't' text, 'n' null) and runs s once. */
static void run(sqlite3_stmt *s, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
		else if (types[i] == 't')
			sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(s, i + 1);
	}
	va_end(ap);
	if (sqlite3_step(s) != SQLITE_DONE)
		die(sqlite3_sql(s));
	sqlite3_reset(s);
}

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t n) /* xorshift64: uniform enough in [0, n) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static const char *const first_names[] = {
	"María",  "Carmen", "Ana",    "Laura",   "Lucía",  "Marta",     "Sofía",   "Elena",
	"Paula",  "Julia",  "José",   "Antonio", "Manuel", "Francisco", "David",   "Juan",
	"Javier", "Daniel", "Carlos", "Pablo",   "Sergio", "Jorge",     "Alberto", "Raúl",
	"Núria",  "Jordi",  "Iker",   "Ainhoa",  "Xabier", "Noa",       "Hugo",    "Martín",
};
static const char *const last_names[] = {
	"García", "Rodríguez", "González", "Fernández", "López",  "Martínez",  "Sánchez",
	"Pérez",  "Gómez",     "Martín",   "Jiménez",   "Ruiz",   "Hernández", "Díaz",
	"Moreno", "Muñoz",     "Álvarez",  "Romero",    "Alonso", "Gutiérrez", "Navarro",
	"Torres", "Domínguez", "Vázquez",  "Ramos",     "Gil",    "Ramírez",   "Serrano",
};
static const char *const products[] = {
	"impresora", "router",    "móvil",     "televisor",  "lavadora", "nevera",
	"tablet",    "monitor",   "teclado",   "ratón",      "cascos",   "altavoz",
	"cafetera",  "aspirador", "horno",     "microondas", "cámara",   "reloj",
	"consola",   "patinete",  "bicicleta", "colchón",    "sofá",     "lámpara",
};
/* @: a product (the search word one time in 481), #: an order number. */
static const char *const templates[] = {
	"Hola, buenos días",
	"Buenas tardes, tengo un problema con mi @",
	"Mi pedido # todavía no ha llegado",
	"¿Podéis decirme cuándo llega el @?",
	"Gracias, muy amables",
	"El @ que compré no enciende",
	"Quiero devolver el @, pedido #",
	"¿Tenéis el @ en stock?",
	"Ya está solucionado, gracias",
	"Os mando una foto del @",
	"¿Cuánto cuesta el envío a Sevilla?",
	"Perfecto, quedo a la espera",
	"Hola, le atiende el equipo de soporte. ¿En qué podemos ayudarle?",
	"Hemos revisado su pedido #: sale mañana",
	"¿Nos puede indicar el número de serie del @?",
	"Le enviamos la etiqueta de devolución por correo",
	"La factura del pedido # no me aparece",
	"¿Hacéis descuento si compro dos @?",
	"Ok",
	"No funciona el código de descuento",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void message_text(char *out, size_t size)
{
	const char *t = templates[rnd(COUNT(templates))];
	size_t len = 0;
	for (; *t != '\0' && len + 16 < size; t++) {
		if (*t == '@') {
			uint32_t p = rnd(COUNT(products) * 20 + 1);
			const char *product = p == 0 ? SEARCH_WORD : products[p % COUNT(products)];
			len += (size_t)snprintf(out + len, size - len, "%s", product);
		} else if (*t == '#') {
			len += (size_t)snprintf(out + len, size - len, "%u", 100000 + rnd(900000));
		} else {
			out[len++] = *t;
		}
	}
	out[len] = '\0';
}

static const char *const tags[] = { "vip", "devolucion", "factura", "urgente", "envio" };
static const char *const statuses[] = { "resolved", "resolved", "resolved", "resolved",
	                                "resolved", "resolved", "resolved", "open",
	                                "open",     "pending",  "snoozed",  "routing" };

struct setup {
	int64_t channels[CHANNELS];
	int64_t teams[TEAMS];
	int64_t agents[AGENTS];
	int agent_teams[AGENTS][2]; /* team indexes; [1] is -1 for one team */
};

static void setup_people(struct setup *s, int64_t now)
{
	static const char *const kinds[CHANNELS] = { "whatsapp", "messenger", "instagram",
		                                     "telegram" };
	char text[128], hash[TOKEN_HASH_LEN];
	sqlite3_stmt *ch =
	    prepare("INSERT INTO channels (account_id, kind, name, external_id, credentials, hints,"
	            " is_active, created_at, updated_at) VALUES (1, ?, ?, ?, '', '{}', 0, ?, ?)"
	            " RETURNING id");
	for (int i = 0; i < CHANNELS; i++) {
		snprintf(text, sizeof(text), "gen-%d", i);
		/* Inactive, as a channel with no credentials is: the poller leaves Telegram's
		 * alone, and the server's start finds nothing sealed with another key. */
		sqlite3_bind_text(ch, 1, kinds[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(ch, 2, kinds[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(ch, 3, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ch, 4, now);
		sqlite3_bind_int64(ch, 5, now);
		if (sqlite3_step(ch) != SQLITE_ROW)
			die("channels");
		s->channels[i] = sqlite3_column_int64(ch, 0);
		sqlite3_reset(ch);
	}
	sqlite3_finalize(ch);
	sqlite3_stmt *team = prepare("INSERT INTO teams (account_id, name, name_key, created_at,"
	                             " updated_at) VALUES (1, ?, ?, ?, ?)");
	for (int i = 0; i < TEAMS; i++) {
		snprintf(text, sizeof(text), "equipo %d", i + 1);
		run(team, "ttii", text, text, (long long)now, (long long)now);
		s->teams[i] = sqlite3_last_insert_rowid(db);
	}
	sqlite3_finalize(team);
	sqlite3_stmt *user = prepare("INSERT INTO users (account_id, email, name, role,"
	                             " password_hash, created_at, updated_at)"
	                             " VALUES (1, ?, ?, ?, '!', ?, ?)");
	sqlite3_stmt *member = prepare("INSERT INTO team_members (account_id, team_id, user_id,"
	                               " created_at) VALUES (1, ?, ?, ?)");
	sqlite3_stmt *token = prepare("INSERT INTO api_tokens (account_id, user_id, name,"
	                              " token_hash, created_at) VALUES (1, ?, 'bench', ?, ?)");
	run(user, "tttii", "bench-admin@example.com", "Bench admin", "admin", (long long)now,
	    (long long)now);
	token_hash(ADMIN_TOKEN, strlen(ADMIN_TOKEN), hash);
	run(token, "iti", (long long)sqlite3_last_insert_rowid(db), hash, (long long)now);
	for (int i = 0; i < AGENTS; i++) {
		snprintf(text, sizeof(text), "agent%d@example.com", i + 1);
		run(user, "tttii", text, text, "agent", (long long)now, (long long)now);
		s->agents[i] = sqlite3_last_insert_rowid(db);
		/* Agent i is in team i % TEAMS, and every other agent in the next team too. */
		s->agent_teams[i][0] = i % TEAMS;
		s->agent_teams[i][1] = i % 2 == 0 ? (i + 1) % TEAMS : -1;
		for (int k = 0; k < 2 && s->agent_teams[i][k] >= 0; k++)
			run(member, "iii", (long long)s->teams[s->agent_teams[i][k]],
			    (long long)s->agents[i], (long long)now);
	}
	token_hash(AGENT_TOKEN, strlen(AGENT_TOKEN), hash);
	run(token, "iti", (long long)s->agents[0], hash, (long long)now);
	sqlite3_finalize(user);
	sqlite3_finalize(member);
	sqlite3_finalize(token);
}

/* An agent of team t (index), at random. */
static int64_t team_agent(const struct setup *s, int t)
{
	for (;;) {
		int a = (int)rnd(AGENTS);
		if (s->agent_teams[a][0] == t || s->agent_teams[a][1] == t)
			return s->agents[a];
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%d\n", GEN_VERSION);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: gen_inbox DB_FILE CONVERSATIONS MESSAGES | --version\n");
		return 2;
	}
	long long nconv = atoll(argv[2]), nmsg = atoll(argv[3]);
	if (nconv < 1 || nmsg < nconv) {
		fprintf(stderr, "gen_inbox: give at least one message per conversation\n");
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		die("opening the database");
	exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;"
	     "PRAGMA temp_store=MEMORY; BEGIN");
	struct setup s;
	int64_t now = START_MS + SPAN_MS;
	setup_people(&s, now);
	long long ncontacts = nconv * 4 / 5;
	sqlite3_stmt *contact = prepare("INSERT INTO contacts (id, account_id, name, phone,"
	                                " created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)");
	sqlite3_stmt *identity = prepare(
	    "INSERT INTO contact_identities (id, account_id, contact_id, channel_id, external_id,"
	    " name, created_at) VALUES (?, 1, ?, ?, ?, ?, ?)");
	sqlite3_stmt *conv = prepare(
	    "INSERT INTO conversations (id, account_id, channel_id, contact_id, identity_id,"
	    " status, team_id, assignee_id, last_customer_at, last_activity_at, resolved_at,"
	    " snoozed_until, created_at, updated_at, last_read_message_id)"
	    " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_stmt *msg = prepare(
	    "INSERT INTO messages (id, account_id, conversation_id, channel_id, direction, sender,"
	    " author_id, type, text, provider_message_id, status, created_at)"
	    " VALUES (?, 1, ?, ?, ?, ?, ?, 'text', ?, ?, ?, ?)");
	sqlite3_stmt *tag = prepare(
	    "INSERT INTO conversation_tags (conversation_id, name, created_at) VALUES (?, ?, ?)");
	char name[96], phone[24], external[32], text[160], pmid[32];
	long long left = nmsg, mid = 0, sample_conv = 0;
	for (long long i = 0; i < nconv; i++) {
		/* Conversation i+1 is contact (i % ncontacts)+1's, on its first channel the first
		 * time and on the next channel the second: one identity per conversation. */
		long long c = i % ncontacts + 1, id = i + 1;
		int chan = (int)((c + (i >= ncontacts)) % CHANNELS);
		int64_t created = START_MS + SPAN_MS * i / nconv;
		if (i < ncontacts) {
			snprintf(name, sizeof(name), "%s %s", first_names[rnd(COUNT(first_names))],
			         last_names[rnd(COUNT(last_names))]);
			snprintf(phone, sizeof(phone), "+346%08lld", c);
			run(contact, "ittii", c, name, phone, (long long)created,
			    (long long)created);
		}
		snprintf(external, sizeof(external), "%lld", 34600000000LL + c);
		run(identity, "iiitti", id, c, (long long)s.channels[chan], external, name,
		    (long long)created);
		/* 1 to 9 messages, MESSAGES in all. */
		long long rest = nconv - i - 1;
		long long k = 1 + rnd(9);
		if (k > left - rest)
			k = left - rest;
		if (i == nconv - 1 || k < 1)
			k = i == nconv - 1 ? left : 1;
		left -= k;
		const char *status = statuses[rnd(COUNT(statuses))];
		int t = rnd(10) < 3 ? -1 : (int)rnd(TEAMS);
		int64_t assignee = t < 0 ? (rnd(10) == 0 ? s.agents[rnd(AGENTS)] : 0)
		                         : (rnd(10) < 8 ? team_agent(&s, t) : 0);
		if (strcmp(status, "routing") == 0)
			t = -1, assignee = 0;
		int64_t at = created, last_in = 0, first_mid = mid + 1;
		for (long long j = 0; j < k; j++) {
			bool in = j % 2 == 0;
			at += 1000 + rnd(600000);
			message_text(text, sizeof(text));
			mid++;
			snprintf(pmid, sizeof(pmid), "gen.%012lld", mid);
			if (in)
				last_in = at;
			sqlite3_bind_int64(msg, 1, mid);
			sqlite3_bind_int64(msg, 2, id);
			sqlite3_bind_int64(msg, 3, s.channels[chan]);
			sqlite3_bind_text(msg, 4, in ? "in" : "out", -1, SQLITE_STATIC);
			sqlite3_bind_text(msg, 5,
			                  in         ? "contact"
			                  : assignee ? "agent"
			                             : "routing",
			                  -1, SQLITE_STATIC);
			if (!in && assignee)
				sqlite3_bind_int64(msg, 6, assignee);
			else
				sqlite3_bind_null(msg, 6);
			sqlite3_bind_text(msg, 7, text, -1, SQLITE_STATIC);
			sqlite3_bind_text(msg, 8, pmid, -1, SQLITE_STATIC);
			sqlite3_bind_text(msg, 9, in ? "received" : "delivered", -1, SQLITE_STATIC);
			sqlite3_bind_int64(msg, 10, at);
			if (sqlite3_step(msg) != SQLITE_DONE)
				die("messages");
			sqlite3_reset(msg);
			sqlite3_clear_bindings(msg);
		}
		bool resolved = strcmp(status, "resolved") == 0;
		sqlite3_bind_int64(conv, 1, id);
		sqlite3_bind_int64(conv, 2, s.channels[chan]);
		sqlite3_bind_int64(conv, 3, c);
		sqlite3_bind_int64(conv, 4, id);
		sqlite3_bind_text(conv, 5, status, -1, SQLITE_STATIC);
		if (t >= 0)
			sqlite3_bind_int64(conv, 6, s.teams[t]);
		if (assignee)
			sqlite3_bind_int64(conv, 7, assignee);
		sqlite3_bind_int64(conv, 8, last_in);
		sqlite3_bind_int64(conv, 9, at);
		if (resolved)
			sqlite3_bind_int64(conv, 10, at);
		if (strcmp(status, "snoozed") == 0)
			sqlite3_bind_int64(conv, 11, now + DAY_MS);
		sqlite3_bind_int64(conv, 12, created);
		sqlite3_bind_int64(conv, 13, at);
		sqlite3_bind_int64(conv, 14, resolved ? mid : first_mid - 1);
		if (sqlite3_step(conv) != SQLITE_DONE)
			die("conversations");
		sqlite3_reset(conv);
		sqlite3_clear_bindings(conv);
		if (rnd(10) == 0)
			run(tag, "iti", id, tags[rnd(COUNT(tags))], (long long)at);
		if (k >= 5 && t < 0) /* in the general inbox: every agent sees it */
			sample_conv = id;
		if (id % PER_TX == 0)
			exec("COMMIT; BEGIN");
	}
	sqlite3_finalize(contact);
	sqlite3_finalize(identity);
	sqlite3_finalize(conv);
	sqlite3_finalize(msg);
	sqlite3_finalize(tag);
	/* The triggers queued the rows for the search indexes; this indexes them, as the server's
	 * commits do (migration 0040). */
	exec("DELETE FROM search_index_now; COMMIT");
	exec("PRAGMA journal_mode=WAL");
	sqlite3_close(db);
	printf("{\"version\":%d,\"conversations\":%lld,\"messages\":%lld,\"contacts\":%lld,"
	       "\"admin_token\":\"%s\",\"agent_token\":\"%s\",\"agent_id\":%lld,"
	       "\"agent_teams\":[%lld,%lld],\"conversation_id\":%lld,\"search\":\"%s\","
	       "\"search_url\":\"%s\"}\n",
	       GEN_VERSION, nconv, nmsg, ncontacts, ADMIN_TOKEN, AGENT_TOKEN,
	       (long long)s.agents[0], (long long)s.teams[s.agent_teams[0][0]],
	       (long long)s.teams[s.agent_teams[0][1]], sample_conv, SEARCH_WORD, SEARCH_WORD_URL);
	return 0;
}
