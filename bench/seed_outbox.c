/*
 * seed_outbox: queues replies for the outbox benchmark straight into a stopped server's
 * database, through outbox_enqueue() — the code the API's replies go through — spread
 * round-robin over the conversations already there (so each conversation's replies leave in
 * order, as the worker requires), 5,000 per transaction. Prints one JSON object, with how
 * many messages the outbox then holds in all ("waiting": these and any queued before).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "outbox/outbox.h"

#define PER_TX 5000

struct target {
	int64_t account_id, conversation_id, channel_id;
	enum channel_kind kind;
};

static void fail(const char *what, const struct error *e) __attribute__((noreturn));

static void fail(const char *what, const struct error *e)
{
	fprintf(stderr, "seed_outbox: %s: %s\n", what, e != NULL ? e->message : "failed");
	exit(1);
}

/* The conversations to reply in, oldest first. */
static struct target *read_targets(struct store *st, size_t *n)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	struct store_rows *r;
	if (tx == NULL ||
	    store_query(tx,
	                "SELECT v.account_id, v.id, v.channel_id, ch.kind"
	                " FROM conversations v JOIN channels ch ON ch.id = v.channel_id"
	                " WHERE ch.is_active = 1 ORDER BY v.id",
	                STORE_NO_ARGS, &r) < 0)
		fail("reading the conversations", NULL);
	struct target *list = NULL;
	size_t cap = 0;
	*n = 0;
	int rc;
	while ((rc = store_next(r)) == 1) {
		list = xgrow(list, &cap, *n, sizeof(*list));
		struct target *t = &list[(*n)++];
		t->account_id = store_int(r, 0);
		t->conversation_id = store_int(r, 1);
		t->channel_id = store_int(r, 2);
		channel_kind_parse(store_text(r, 3), &t->kind);
	}
	store_rows_free(r);
	store_rollback(tx);
	if (rc < 0 || *n == 0)
		fail("reading the conversations", NULL);
	return list;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: seed_outbox DB_URL COUNT\n");
		return 2;
	}
	long count = atol(argv[2]);
	if (count < 1 || count > 10000000) {
		fprintf(stderr, "seed_outbox: COUNT 1-10000000\n");
		return 2;
	}
	struct store *st;
	struct error e;
	if (store_open(argv[1], 2, 5000, &st, &e) < 0)
		fail("opening the database", &e);
	size_t n;
	struct target *targets = read_targets(st, &n);
	int64_t start = clock_mono_us(), now = clock_now_ms();
	for (long i = 0; i < count; i += PER_TX) {
		struct store_tx *tx = store_begin(st, STORE_WRITE);
		if (tx == NULL)
			fail("beginning", NULL);
		for (long j = i; j < i + PER_TX && j < count; j++) {
			const struct target *t = &targets[(size_t)j % n];
			struct outbox_text text = {
				.account_id = t->account_id,
				.conversation_id = t->conversation_id,
				.channel_id = t->channel_id,
				.kind = t->kind,
				.sender = "routing",
				.text =
				    "Gracias por escribirnos. Una persona del equipo le responde enseguida.",
			};
			if (outbox_enqueue(tx, &text, now, NULL, NULL, &e) < 0)
				fail("queueing", &e);
		}
		if (store_commit(tx) < 0)
			fail("committing", NULL);
	}
	double seconds = (double)(clock_mono_us() - start) / 1e6;
	int64_t waiting = 0;
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL || store_get_int(tx, "SELECT count(*) FROM outbox WHERE state <> 'failed'",
	                                STORE_NO_ARGS, &waiting) < 0)
		fail("counting the outbox", NULL);
	store_rollback(tx);
	printf("{\"queued\":%ld,\"conversations\":%zu,\"seconds\":%.3f,\"waiting\":%lld}\n", count,
	       n, seconds, (long long)waiting);
	free(targets);
	store_close(st);
	return 0;
}
