/*
 * store_ref: the reference point for ingest — how fast the store commits the rows webhooks
 * write, with the server's own code and settings (store/sqlite.c: WAL, synchronous=FULL) and
 * no HTTP. It creates a fresh database, one WhatsApp channel, parses MESSAGES webhook bodies
 * (bench/webhook.h: the load generator's mix) before the clock starts, then times
 * ingest_events() and the commit, BATCH messages per transaction. Prints one JSON object,
 * with the CPU time per message (the rest of the wall time is waiting for the disk).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/clock.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "inbox/inbox.h"
#include "ingest.h"
#include "webhook.h"

#define PHONE_NUMBER_ID "106540352242922"

static void fail(const char *what, const struct error *e) __attribute__((noreturn));

static void fail(const char *what, const struct error *e)
{
	fprintf(stderr, "store_ref: %s: %s\n", what, e != NULL ? e->message : "failed");
	exit(1);
}

/* A fresh, migrated store at path with one WhatsApp channel in *ch. */
static struct store *open_fresh(const char *path, const char *key_file, struct channel *ch)
{
	char url[1100];
	struct store *st;
	struct seal *seal;
	struct error e;
	int applied;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	if (store_open(url, 2, &st, &e) < 0 || store_migrate(st, &applied, &e) < 0)
		fail("opening the database", &e);
	if (seal_open(key_file, &seal, &e) < 0)
		fail("opening the key", &e);
	struct channel_input in = { .kind = "whatsapp",
		                    .name = "Bench",
		                    .phone_number_id = PHONE_NUMBER_ID,
		                    .access_token = "bench-access-token",
		                    .app_secret = "bench-app-secret",
		                    .verify_token = "bench-verify-token" };
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL || channel_create(tx, seal, 1, &in, clock_now_ms(), ch, &e) < 0 ||
	    store_commit(tx) < 0)
		fail("creating the channel", &e);
	seal_free(seal);
	return st;
}

/* CPU time of this process so far, user and system, in microseconds. */
static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: store_ref DB_PATH KEY_FILE MESSAGES BATCH\n");
		return 2;
	}
	long messages = atol(argv[3]), batch = atol(argv[4]);
	if (messages < 1 || messages > 1000000 || batch < 1 || batch > messages) {
		fprintf(stderr, "store_ref: MESSAGES 1-1000000, BATCH 1-MESSAGES\n");
		return 2;
	}
	if (token_init() < 0) {
		fprintf(stderr, "libsodium could not start\n");
		return 1;
	}
	struct channel ch;
	struct store *st = open_fresh(argv[1], argv[2], &ch);
	struct inbound_list **lists = xcalloc((size_t)messages, sizeof(*lists));
	struct webhook_contacts contacts;
	webhook_contacts_init(&contacts, 10000, 1);
	int64_t now = clock_now_ms();
	for (long i = 0; i < messages; i++) {
		char body[WEBHOOK_BODY_MAX];
		struct webhook_message m = { .phone_number_id = PHONE_NUMBER_ID,
			                     .id_prefix = "ref",
			                     .seq = (uint64_t)i,
			                     .wa_base = 34600000000ULL,
			                     .now_s = now / 1000 };
		m.contact = webhook_contacts_next(&contacts, &m.is_first);
		size_t len = webhook_body(&m, body);
		struct meta_webhook *w;
		struct error e;
		if (meta_webhook_new(CHANNEL_WHATSAPP, body, len, &w, &e) < 0)
			fail("parsing a body", &e);
		lists[i] = meta_webhook_events(w, now);
		meta_webhook_free(w);
	}
	int64_t start = clock_mono_us(), cpu_start = cpu_us();
	size_t stored = 0;
	for (long i = 0; i < messages; i += batch) {
		struct store_tx *tx = store_begin(st, STORE_WRITE);
		struct error e = { 0 };
		if (tx == NULL)
			fail("beginning", NULL);
		for (long j = i; j < i + batch && j < messages; j++) {
			struct ingest_counts c;
			if (ingest_events(tx, &ch, lists[j], now, &c, &e) < 0)
				fail("ingesting", &e);
			stored += c.stored;
		}
		if (store_commit(tx) < 0)
			fail("committing", NULL);
	}
	double seconds = (double)(clock_mono_us() - start) / 1e6;
	double cpu_per_message = (double)(cpu_us() - cpu_start) / (double)messages;
	printf("{\"batch\":%ld,\"messages\":%ld,\"stored\":%zu,\"seconds\":%.3f,\"rate\":%.0f,"
	       "\"cpu_us_per_message\":%.0f,\"firsts\":%" PRIu64 ",\"replies\":%" PRIu64 "}\n",
	       batch, messages, stored, seconds, (double)messages / seconds, cpu_per_message,
	       contacts.firsts, contacts.replies);
	for (long i = 0; i < messages; i++)
		inbound_list_free(lists[i]);
	free(lists);
	webhook_contacts_free(&contacts);
	store_close(st);
	return stored == (size_t)messages ? 0 : 1;
}
