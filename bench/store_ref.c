/*
 * store_ref: the reference point for ingest — how fast the store commits the rows webhooks
 * write, with the server's own code and settings (store/sqlite.c: WAL, synchronous=FULL) and
 * no HTTP. On a database bench/run.sh set up as the server's (channel, teams, routing), it
 * parses MESSAGES webhook bodies (bench/webhook.h: the load generator's mix) before the clock
 * starts, then times ingest_events() — routing and events included — and the commit, BATCH
 * messages per transaction. Prints one JSON object,
 * with the CPU time per message (the rest of the wall time is waiting for the disk).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/clock.h"
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

/* The store at url and its WhatsApp channel in *ch. */
static struct store *open_store(const char *url, struct channel *ch)
{
	struct store *st;
	struct error e;
	if (store_open(url, 2, 5000, &st, &e) < 0)
		fail("opening the database", &e);
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL || channel_find_external(tx, CHANNEL_WHATSAPP, PHONE_NUMBER_ID, ch, &e) < 0)
		fail("finding the channel", &e);
	store_rollback(tx);
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
	if (argc != 4) {
		fprintf(stderr, "usage: store_ref DB_URL MESSAGES BATCH\n");
		return 2;
	}
	long messages = atol(argv[2]), batch = atol(argv[3]);
	if (messages < 1 || messages > 1000000 || batch < 1 || batch > messages) {
		fprintf(stderr, "store_ref: MESSAGES 1-1000000, BATCH 1-MESSAGES\n");
		return 2;
	}
	struct channel ch;
	struct store *st = open_store(argv[1], &ch);
	struct inbound_list **lists = xcalloc((size_t)messages, sizeof(*lists));
	struct webhook_mix mix;
	webhook_mix_init(&mix, 10000);
	int64_t now = clock_now_ms();
	for (long i = 0; i < messages; i++) {
		char body[WEBHOOK_BODY_MAX];
		struct webhook_message m = { .phone_number_id = PHONE_NUMBER_ID,
			                     .id_prefix = "ref",
			                     .seq = (uint64_t)i,
			                     .wa_base = 34600000000ULL,
			                     .now_s = now / 1000 };
		m.contact = webhook_mix_next(&mix, &m.kind);
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
	       mix.firsts, mix.replies);
	for (long i = 0; i < messages; i++)
		inbound_list_free(lists[i]);
	free(lists);
	webhook_mix_free(&mix);
	store_close(st);
	return stored == (size_t)messages ? 0 : 1;
}
