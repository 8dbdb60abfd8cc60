/* Inside webhooks/: reading nullable columns into JSON. */
#ifndef WEBHOOKS_INTERNAL_H
#define WEBHOOKS_INTERNAL_H

#include <jansson.h>

#include "store/store.h"

static inline json_t *webhook_int_or_null(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? json_null() : json_integer(store_int(r, col));
}

static inline json_t *webhook_text_or_null(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? json_null() : json_string(store_text(r, col));
}

#endif
