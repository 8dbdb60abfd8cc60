/*
 * The WhatsApp webhooks the benchmark sends: one customer text message per body, shaped like
 * the Cloud API's (see shared/fixtures/whatsapp/text.json). Shared by the load generator and
 * the store reference so that both write the same rows.
 */
#ifndef BENCH_WEBHOOK_H
#define BENCH_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_BODY_MAX 1024

/* What one message is: which contact (0 … contacts-1) and whether it is their first. */
struct webhook_message {
	const char *phone_number_id; /* the channel's */
	const char *id_prefix;       /* makes message ids unique across runs on one database */
	uint64_t seq;                /* makes message ids unique within a run */
	uint64_t wa_base;            /* wa_id = wa_base + contact */
	uint32_t contact;
	int is_first;  /* a first message greets; a reply answers the welcome menu */
	int64_t now_s; /* the provider's timestamp */
};

/* Writes the body into out (WEBHOOK_BODY_MAX bytes); returns its length. */
size_t webhook_body(const struct webhook_message *m, char out[WEBHOOK_BODY_MAX]);

/*
 * Picks contacts uniformly at random from `count` (a fixed xorshift sequence, so every run
 * offers the same mix) and remembers which have written, so callers know first messages
 * from replies.
 */
struct webhook_contacts {
	uint32_t count;
	uint64_t state;
	unsigned char *has_written;
	uint64_t firsts;
	uint64_t replies;
};

void webhook_contacts_init(struct webhook_contacts *c, uint32_t count, uint64_t seed);
void webhook_contacts_free(struct webhook_contacts *c);
/* The next contact; *is_first tells whether this is their first message. */
uint32_t webhook_contacts_next(struct webhook_contacts *c, int *is_first);

#endif
