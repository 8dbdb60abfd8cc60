/* WhatsApp webhook bodies for the benchmark, and the random walk over its contacts. */
#include "webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/xmalloc.h"

size_t webhook_body(const struct webhook_message *m, char out[WEBHOOK_BODY_MAX])
{
	uint64_t wa_id = m->wa_base + m->contact;
	const char *text = m->is_first ? "Hola, quería información sobre un pedido" : "1";
	int n = snprintf(
	    out, WEBHOOK_BODY_MAX,
	    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","
	    "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
	    "{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"%s\"},"
	    "\"contacts\":[{\"profile\":{\"name\":\"Cliente %" PRIu32 "\"},\"wa_id\":\"%" PRIu64
	    "\"}],\"messages\":[{\"from\":\"%" PRIu64 "\",\"id\":\"wamid.%s.%" PRIu64 "\","
	    "\"timestamp\":\"%" PRId64 "\",\"type\":\"text\",\"text\":{\"body\":\"%s\"}}]},"
	    "\"field\":\"messages\"}]}]}",
	    m->phone_number_id, m->contact, wa_id, wa_id, m->id_prefix, m->seq, m->now_s, text);
	if (n < 0 || n >= WEBHOOK_BODY_MAX) {
		fprintf(stderr, "webhook body longer than %d bytes\n", WEBHOOK_BODY_MAX);
		abort();
	}
	return (size_t)n;
}

void webhook_contacts_init(struct webhook_contacts *c, uint32_t count, uint64_t seed)
{
	c->count = count;
	c->state = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	c->has_written = xcalloc(count, 1);
	c->firsts = 0;
	c->replies = 0;
}

void webhook_contacts_free(struct webhook_contacts *c)
{
	free(c->has_written);
	c->has_written = NULL;
}

uint32_t webhook_contacts_next(struct webhook_contacts *c, int *is_first)
{
	c->state ^= c->state << 13;
	c->state ^= c->state >> 7;
	c->state ^= c->state << 17;
	uint32_t contact = (uint32_t)(c->state % c->count);
	*is_first = !c->has_written[contact];
	c->has_written[contact] = 1;
	if (*is_first)
		c->firsts++;
	else
		c->replies++;
	return contact;
}
