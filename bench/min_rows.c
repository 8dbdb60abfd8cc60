/*
 * min_rows: the floor for ingest — how fast SQLite alone commits the rows the benchmark's
 * messages need at the least, with raw prepared statements: no Centralita store code, no
 * routing, no JSON beyond the event row's data. On a database bench/run.sh migrated and set up
 * as the server's (same tables, indexes and triggers — the full-text triggers fire, and each
 * transaction indexes its rows before COMMIT as the server's do — the channel, Soporte), with
 * the server's settings (WAL, synchronous=FULL, foreign keys, the
 * group writer's memory sub-journal and 16 MiB cache), it writes MESSAGES messages of the load
 * generator's mix (bench/webhook.h), BATCH per transaction, and prints one JSON object with
 * the rate and the CPU time per message (the rest of the wall time is waiting for the disk).
 *
 * Every message first looks up its contact's identity and open conversation (one SELECT), then
 * writes, by what it is:
 *   first message (no identity yet, a third of the mix): the contact, its identity, the
 *     conversation (in routing), the message, its event, and the welcome: its outgoing message
 *     and outbox row (outbox.message_id references messages) — 7 rows;
 *   in a conversation in routing (the answer "1", a third): the message, its event, the
 *     conversation updated once (assigned to Soporte, activity), the assignment message and its
 *     outbox row — 4 rows and an update (any other text there: the fallback reply instead, the
 *     conversation's activity only);
 *   otherwise (the thanks, a third): the message, its event, the conversation's activity — 2
 *     rows and an update.
 * Not written, though the server writes them today: a duplicate check (the unique index on
 * the provider's id does it: INSERT … ON CONFLICT DO NOTHING), savepoints, conversation.created
 * events, routing's audit lines, events for the replies, response targets.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/xmalloc.h"
#include "webhook.h"

#define PHONE_NUMBER_ID "106540352242922"
#define WA_BASE         UINT64_C(34600000000)

static sqlite3 *db;

static void fail(const char *what) __attribute__((noreturn));

static void fail(const char *what)
{
	fprintf(stderr, "min_rows: %s: %s\n", what, db != NULL ? sqlite3_errmsg(db) : "failed");
	exit(1);
}

static sqlite3_stmt *prepare(const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		fail(sql);
	return s;
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail(sql);
}

/* Steps s once: 1 with a row to read (reset it after), 0 when done (reset already). */
static int step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		fail(sqlite3_sql(s));
	sqlite3_reset(s);
	return 0;
}

/* Runs an INSERT and returns the new row's id, or 0 when it inserted nothing. */
static int64_t insert(sqlite3_stmt *s)
{
	step(s);
	return sqlite3_changes(db) > 0 ? sqlite3_last_insert_rowid(db) : 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *text)
{
	sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

static int64_t one_int(const char *sql)
{
	sqlite3_stmt *s = prepare(sql);
	if (step(s) != 1)
		fail(sql);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t now_us(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU time of this process so far, user and system, in microseconds. */
static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* One message of the mix, made before the clock starts. */
struct input {
	uint32_t contact;
	enum webhook_kind kind;
};

static struct {
	sqlite3_stmt *find, *contact, *identity, *conversation, *message, *event, *reply, *outbox,
	    *touch, *assign;
} q;

static void prepare_all(void)
{
	q.find = prepare("SELECT i.id, i.contact_id, v.id, v.status = 'routing', v.team_id"
	                 " FROM contact_identities i LEFT JOIN conversations v"
	                 " ON v.identity_id = i.id AND v.status <> 'resolved'"
	                 " WHERE i.channel_id = ?1 AND i.external_id = ?2");
	q.contact = prepare("INSERT INTO contacts (account_id, name, phone, created_at, updated_at)"
	                    " VALUES (?1, ?2, ?3, ?4, ?4)");
	q.identity = prepare("INSERT INTO contact_identities (account_id, contact_id, channel_id,"
	                     " external_id, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	q.conversation = prepare("INSERT INTO conversations (account_id, channel_id, contact_id,"
	                         " identity_id, status, routing_attempts, last_customer_at,"
	                         " last_activity_at, created_at, updated_at)"
	                         " VALUES (?1, ?2, ?3, ?4, 'routing', 1, ?5, ?5, ?5, ?5)");
	q.message = prepare("INSERT INTO messages (account_id, conversation_id, channel_id,"
	                    " direction, sender, type, raw_type, text, provider_message_id, status,"
	                    " created_at) VALUES (?1, ?2, ?3, 'in', 'contact', 'text', 'text', ?4,"
	                    " ?5, 'received', ?6) ON CONFLICT DO NOTHING");
	q.event = prepare("INSERT INTO events (account_id, conversation_id, team_id, kind, data,"
	                  " created_at) VALUES (?1, ?2, ?3, 'message.created', ?4, ?5)");
	q.reply = prepare("INSERT INTO messages (account_id, conversation_id, channel_id,"
	                  " direction, sender, type, text, status, created_at)"
	                  " VALUES (?1, ?2, ?3, 'out', 'routing', 'text', ?4, 'queued', ?5)");
	q.outbox = prepare("INSERT INTO outbox (account_id, message_id, conversation_id,"
	                   " channel_id, state, next_attempt_at, queued_at)"
	                   " VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)");
	q.touch = prepare("UPDATE conversations SET last_customer_at = ?2, last_activity_at = ?2,"
	                  " updated_at = ?2 WHERE id = ?1");
	q.assign = prepare("UPDATE conversations SET status = 'open', team_id = ?3,"
	                   " routed_team_id = ?3, routed_at = ?2, last_customer_at = ?2,"
	                   " last_activity_at = ?2, updated_at = ?2 WHERE id = ?1");
}

static void finalize_all(void)
{
	sqlite3_stmt **all = (sqlite3_stmt **)&q;
	for (size_t i = 0; i < sizeof(q) / sizeof(*all); i++)
		sqlite3_finalize(all[i]);
}

struct place {
	int64_t account, channel, team; /* the channel's account, the channel, Soporte */
	int64_t identity, contact, conversation, conversation_team;
	int is_routing;
};

/* Reads the message's identity and open conversation into p; 0 when the identity is new. */
static int find(struct place *p, const char *external_id)
{
	sqlite3_bind_int64(q.find, 1, p->channel);
	bind_text(q.find, 2, external_id);
	if (step(q.find) == 0)
		return 0;
	p->identity = sqlite3_column_int64(q.find, 0);
	p->contact = sqlite3_column_int64(q.find, 1);
	p->conversation = sqlite3_column_int64(q.find, 2);
	p->is_routing = sqlite3_column_int(q.find, 3);
	p->conversation_team = sqlite3_column_int64(q.find, 4);
	sqlite3_reset(q.find);
	return 1;
}

static void create_conversation(struct place *p, const char *external_id, const char *name,
                                int64_t now)
{
	char phone[32];
	snprintf(phone, sizeof(phone), "+%s", external_id);
	sqlite3_bind_int64(q.contact, 1, p->account);
	bind_text(q.contact, 2, name);
	bind_text(q.contact, 3, phone);
	sqlite3_bind_int64(q.contact, 4, now);
	p->contact = insert(q.contact);
	sqlite3_bind_int64(q.identity, 1, p->account);
	sqlite3_bind_int64(q.identity, 2, p->contact);
	sqlite3_bind_int64(q.identity, 3, p->channel);
	bind_text(q.identity, 4, external_id);
	bind_text(q.identity, 5, name);
	sqlite3_bind_int64(q.identity, 6, now);
	p->identity = insert(q.identity);
	sqlite3_bind_int64(q.conversation, 1, p->account);
	sqlite3_bind_int64(q.conversation, 2, p->channel);
	sqlite3_bind_int64(q.conversation, 3, p->contact);
	sqlite3_bind_int64(q.conversation, 4, p->identity);
	sqlite3_bind_int64(q.conversation, 5, now);
	p->conversation = insert(q.conversation);
	p->is_routing = 1;
	p->conversation_team = 0;
}

/* The message and its event; 0 when the message was stored already. */
static int store_message(const struct place *p, const char *text, const char *provider_id,
                         int64_t now)
{
	sqlite3_bind_int64(q.message, 1, p->account);
	sqlite3_bind_int64(q.message, 2, p->conversation);
	sqlite3_bind_int64(q.message, 3, p->channel);
	bind_text(q.message, 4, text);
	bind_text(q.message, 5, provider_id);
	sqlite3_bind_int64(q.message, 6, now);
	int64_t id = insert(q.message);
	if (id == 0)
		return 0;
	char data[160];
	snprintf(data, sizeof(data),
	         "{\"message_id\":%" PRId64 ",\"direction\":\"in\",\"sender\":\"contact\","
	         "\"status\":\"received\",\"conversation_id\":%" PRId64 "}",
	         id, p->conversation);
	sqlite3_bind_int64(q.event, 1, p->account);
	sqlite3_bind_int64(q.event, 2, p->conversation);
	if (p->conversation_team != 0)
		sqlite3_bind_int64(q.event, 3, p->conversation_team);
	else
		sqlite3_bind_null(q.event, 3);
	bind_text(q.event, 4, data);
	sqlite3_bind_int64(q.event, 5, now);
	insert(q.event);
	return 1;
}

/* Routing's reply: an outgoing message and its outbox row. */
static void queue_reply(const struct place *p, const char *text, int64_t now)
{
	sqlite3_bind_int64(q.reply, 1, p->account);
	sqlite3_bind_int64(q.reply, 2, p->conversation);
	sqlite3_bind_int64(q.reply, 3, p->channel);
	bind_text(q.reply, 4, text);
	sqlite3_bind_int64(q.reply, 5, now);
	int64_t id = insert(q.reply);
	sqlite3_bind_int64(q.outbox, 1, p->account);
	sqlite3_bind_int64(q.outbox, 2, id);
	sqlite3_bind_int64(q.outbox, 3, p->conversation);
	sqlite3_bind_int64(q.outbox, 4, p->channel);
	sqlite3_bind_int64(q.outbox, 5, now);
	insert(q.outbox);
}

static void update_conversation(const struct place *p, int is_assigned, int64_t now)
{
	sqlite3_stmt *s = is_assigned ? q.assign : q.touch;
	sqlite3_bind_int64(s, 1, p->conversation);
	sqlite3_bind_int64(s, 2, now);
	if (is_assigned)
		sqlite3_bind_int64(s, 3, p->team);
	step(s);
}

/* What the messages were: the first of their contact, routed in a conversation in routing, the
 * others. */
struct counts {
	uint64_t firsts, routed, others;
};

static void ingest(struct place *p, const struct input *in, uint64_t seq, int64_t now,
                   struct counts *c)
{
	char external_id[24], name[32], provider_id[48], reply[128];
	snprintf(external_id, sizeof(external_id), "%" PRIu64, WA_BASE + in->contact);
	snprintf(name, sizeof(name), "Cliente %" PRIu32, in->contact);
	snprintf(provider_id, sizeof(provider_id), "wamid.min.%" PRIu64, seq);
	const char *text = webhook_text(in->kind);
	if (!find(p, external_id)) {
		create_conversation(p, external_id, name, now);
		if (store_message(p, text, provider_id, now)) {
			snprintf(reply, sizeof(reply),
			         "¡Hola, %s! Responde con un número: 1 Soporte, 2 Ventas.", name);
			queue_reply(p, reply, now);
			c->firsts++;
		}
		return;
	}
	if (!store_message(p, text, provider_id, now))
		return;
	if (p->is_routing) {
		int is_assigned = in->kind == WEBHOOK_ANSWER;
		update_conversation(p, is_assigned, now);
		if (is_assigned)
			snprintf(reply, sizeof(reply),
			         "Gracias, %s. Te atiende el equipo de Soporte.", name);
		else
			snprintf(reply, sizeof(reply),
			         "Perdona, no te he entendido. Responde 1 o 2.");
		queue_reply(p, reply, now);
		c->routed++;
	} else {
		update_conversation(p, 0, now);
		c->others++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: min_rows sqlite:PATH MESSAGES BATCH\n");
		return 2;
	}
	const char *path = strncmp(argv[1], "sqlite:", 7) == 0 ? argv[1] + 7 : argv[1];
	long messages = atol(argv[2]), batch = atol(argv[3]);
	if (messages < 1 || messages > 3000000 || batch < 1 || batch > messages) {
		fprintf(stderr, "min_rows: MESSAGES 1-3000000, BATCH 1-MESSAGES\n");
		return 2;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		fail("opening the database");
	exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	     " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;");
	struct place p = {
		.channel =
		    one_int("SELECT id FROM channels WHERE external_id = '" PHONE_NUMBER_ID "'"),
		.account = one_int("SELECT account_id FROM channels"
		                   " WHERE external_id = '" PHONE_NUMBER_ID "'"),
		.team = one_int("SELECT id FROM teams WHERE name = 'Soporte'"),
	};
	prepare_all();
	/* As many contacts as keep a third of the messages first messages (webhook.h). */
	struct webhook_mix mix;
	webhook_mix_init(&mix, (uint32_t)(messages / 3 > 10000 ? messages / 3 + 1 : 10000));
	struct input *in = xcalloc((size_t)messages, sizeof(*in));
	for (long i = 0; i < messages; i++)
		in[i].contact = webhook_mix_next(&mix, &in[i].kind);
	int64_t now = now_us(CLOCK_REALTIME) / 1000;
	int64_t start = now_us(CLOCK_MONOTONIC), cpu_start = cpu_us();
	struct counts c = { 0 };
	for (long i = 0; i < messages; i += batch) {
		exec("BEGIN IMMEDIATE");
		for (long j = i; j < i + batch && j < messages; j++)
			ingest(&p, &in[j], (uint64_t)j, now, &c);
		exec("DELETE FROM search_index_now; COMMIT"); /* as the server commits (sqlite.c) */
	}
	double seconds = (double)(now_us(CLOCK_MONOTONIC) - start) / 1e6;
	double cpu_per_message = (double)(cpu_us() - cpu_start) / (double)messages;
	uint64_t stored = c.firsts + c.routed + c.others;
	printf("{\"batch\":%ld,\"messages\":%ld,\"stored\":%" PRIu64 ",\"seconds\":%.3f,"
	       "\"rate\":%.0f,\"cpu_us_per_message\":%.0f,\"firsts\":%" PRIu64
	       ",\"routed\":%" PRIu64 ",\"others\":%" PRIu64 "}\n",
	       batch, messages, stored, seconds, (double)messages / seconds, cpu_per_message,
	       c.firsts, c.routed, c.others);
	free(in);
	webhook_mix_free(&mix);
	finalize_all();
	sqlite3_close(db);
	return stored == (uint64_t)messages ? 0 : 1;
}
