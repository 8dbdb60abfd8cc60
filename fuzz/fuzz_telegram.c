/* libFuzzer: Telegram Update bodies, getUpdates answers and send answers. */
#include <stddef.h>
#include <stdint.h>

#include "providers/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbound_list *list = NULL;
	struct error e;
	int64_t next;
	int retry;
	const char *body = (const char *)data;
	if (telegram_update_parse(body, size, 1764000000000, &list, &e) == 0)
		inbound_list_free(list);
	if (telegram_updates_parse(200, body, size, 1764000000000, 5, &list, &next, &retry, &e) ==
	    0)
		inbound_list_free(list);
	struct send_result r;
	channel_send_classify(CHANNEL_TELEGRAM, 400, body, size, &r);
	channel_send_classify(CHANNEL_WHATSAPP, 400, body, size, &r);
	return 0;
}
