/* libFuzzer: the web chat widget's message (name, client id and text, split at NUL bytes)
 * turned into the inbound event. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 3);
	memcpy(copy, data, size);
	memset(copy + size, 0, 3);
	/* Three NULs after the input: each part ends inside the copy, even when missing. */
	const char *name = copy;
	const char *client_id = name + strlen(name) + 1;
	const char *text = client_id + strlen(client_id) + 1;
	struct inbound_list *list = NULL;
	struct error e;
	if (webchat_message_parse(7, name[0] != '\0' ? name : NULL, client_id, text, 1764000000000,
	                          &list, &e) == 0)
		inbound_list_free(list);
	free(copy);
	return 0;
}
