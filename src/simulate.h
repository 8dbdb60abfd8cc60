/*
 * simulate: the webhook body a provider would send for one customer text, so that demos and
 * people trying the routing need no provider account. `centralita simulate` signs it with
 * the channel's secret and posts it to the running server.
 */
#ifndef SIMULATE_H
#define SIMULATE_H

#include <stdint.h>

#include "providers/providers.h"

/*
 * The body (to free) of a customer message `text` from `from` (a wa_id, PSID, IGSID or, for
 * Telegram, a numeric user id) with display name `name`, to the channel the provider knows
 * as external_id, at now_ms, with a fresh random message id. NULL when from is not numeric
 * for Telegram.
 */
char *simulate_payload(enum channel_kind kind, const char *external_id, const char *from,
                       const char *name, const char *text, int64_t now_ms);

#endif
