/*
 * The WhatsApp webhooks the benchmark sends: one customer text message per body, shaped like
 * the Cloud API's (see shared/fixtures/whatsapp/text.json), in a fixed mix. Shared by the
 * load generator and the store reference so that both write the same rows.
 */
#ifndef BENCH_WEBHOOK_H
#define BENCH_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_BODY_MAX 1024

/* What a message is to routing (bench/routing.json). */
enum webhook_kind {
	WEBHOOK_GREETING, /* a contact's first message: routing sends the welcome menu */
	WEBHOOK_ANSWER,   /* "1": routing assigns the conversation to Soporte, with a message */
	WEBHOOK_THANKS,   /* in an assigned conversation: stored, nothing sent */
};

struct webhook_message {
	const char *phone_number_id; /* the channel's */
	const char *id_prefix;       /* makes message ids unique across runs on one database */
	uint64_t seq;                /* makes message ids unique within a run */
	uint64_t wa_base;            /* wa_id = wa_base + contact */
	uint32_t contact;
	enum webhook_kind kind;
	int64_t now_s; /* the provider's timestamp */
};

/* The text of a message of that kind. */
const char *webhook_text(enum webhook_kind kind);

/* Writes the body into out (WEBHOOK_BODY_MAX bytes); returns its length. */
size_t webhook_body(const struct webhook_message *m, char out[WEBHOOK_BODY_MAX]);

/*
 * The mix: contacts write in threes — a greeting, the answer to the menu 64 greetings later,
 * thanks 64 greetings after that — so a third of the messages are first messages, a third are
 * routed, a third only stored, whatever the length of the run (up to 3 × contacts messages;
 * then the contacts write again, into their open conversations). The first 128 greetings'
 * partners are contacts that have not greeted yet: those few start with an answer.
 */
struct webhook_mix {
	uint32_t contacts;
	uint64_t next;
	unsigned char *has_written;
	uint64_t firsts;  /* messages from a contact not seen before */
	uint64_t replies; /* the others */
};

void webhook_mix_init(struct webhook_mix *m, uint32_t contacts);
void webhook_mix_free(struct webhook_mix *m);
/* The next message's contact and kind. */
uint32_t webhook_mix_next(struct webhook_mix *m, enum webhook_kind *kind);

#endif
