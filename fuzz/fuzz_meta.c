/* libFuzzer: Meta webhook bodies (WhatsApp, Messenger, Instagram), the first byte picks the kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum channel_kind kind = (enum channel_kind)(data[0] % 3);
	struct meta_webhook *w = NULL;
	struct error e;
	if (meta_webhook_new(kind, (const char *)data + 1, size - 1, &w, &e) == 0) {
		for (size_t i = 0; i < meta_webhook_channel_count(w); i++)
			(void)meta_webhook_channel_id(w, i);
		inbound_list_free(meta_webhook_events(w, 1764000000000));
		meta_webhook_free(w);
	}
	/* The signature header is a C string; the body is raw bytes. */
	char *header = malloc(size + 1);
	memcpy(header, data, size);
	header[size] = '\0';
	(void)meta_signature_verify(header, (const char *)data, size, "secret");
	free(header);
	return 0;
}
