/* libFuzzer: splitting long texts for each provider's limit (the first byte picks the limit). */
#include <stddef.h>
#include <stdint.h>

#include "providers/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct text_limit limit = channel_text_limit((enum channel_kind)(data[0] % 5));
	if (data[0] & 0x80)
		limit.max = 4 + data[0] % 60;
	struct text_parts *parts = NULL;
	struct error e;
	if (text_split((const char *)data + 1, size - 1, limit, &parts, &e) == 0)
		text_parts_free(parts);
	return 0;
}
