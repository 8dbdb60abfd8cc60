/* WhatsApp webhook bodies for the benchmark, and the mix of contacts and texts. */
#include "webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/xmalloc.h"

#define ANSWER_LAG 64 /* greetings between a contact's greeting and their answer */

static const char *const texts[] = {
	[WEBHOOK_GREETING] = "Hola, quería información sobre un pedido",
	[WEBHOOK_ANSWER] = "1",
	[WEBHOOK_THANKS] = "Gracias",
};

const char *webhook_text(enum webhook_kind kind)
{
	return texts[kind];
}

size_t webhook_body(const struct webhook_message *m, char out[WEBHOOK_BODY_MAX])
{
	uint64_t wa_id = m->wa_base + m->contact;
	int n = snprintf(
	    out, WEBHOOK_BODY_MAX,
	    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","
	    "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
	    "{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"%s\"},"
	    "\"contacts\":[{\"profile\":{\"name\":\"Cliente %" PRIu32 "\"},\"wa_id\":\"%" PRIu64
	    "\"}],\"messages\":[{\"from\":\"%" PRIu64 "\",\"id\":\"wamid.%s.%" PRIu64 "\","
	    "\"timestamp\":\"%" PRId64 "\",\"type\":\"text\",\"text\":{\"body\":\"%s\"}}]},"
	    "\"field\":\"messages\"}]}]}",
	    m->phone_number_id, m->contact, wa_id, wa_id, m->id_prefix, m->seq, m->now_s,
	    texts[m->kind]);
	if (n < 0 || n >= WEBHOOK_BODY_MAX) {
		fprintf(stderr, "webhook body longer than %d bytes\n", WEBHOOK_BODY_MAX);
		abort();
	}
	return (size_t)n;
}

void webhook_mix_init(struct webhook_mix *m, uint32_t contacts)
{
	*m = (struct webhook_mix){ .contacts = contacts, .has_written = xcalloc(contacts, 1) };
}

void webhook_mix_free(struct webhook_mix *m)
{
	free(m->has_written);
	m->has_written = NULL;
}

uint32_t webhook_mix_next(struct webhook_mix *m, enum webhook_kind *kind)
{
	uint64_t k = m->next++;
	*kind = (enum webhook_kind)(k % 3);
	/* Greeting number g, and the answer and thanks of the contacts that greeted 64 and 128
	 * greetings before it, counted modulo the contacts. */
	uint64_t lag = (uint64_t)*kind * ANSWER_LAG;
	uint32_t contact = (uint32_t)((k / 3 + (uint64_t)m->contacts * 2 - lag) % m->contacts);
	if (m->has_written[contact]) {
		m->replies++;
	} else {
		m->has_written[contact] = 1;
		m->firsts++;
	}
	return contact;
}
