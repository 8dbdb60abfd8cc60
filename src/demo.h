/*
 * demo: the account `make run` starts with (CENTRALITA_DEMO=1) so a newcomer can play the
 * customer and the agent within a minute: four teams, an admin and two agents with random
 * passwords printed once, a web chat channel and a department menu routing in Spanish.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>
#include <stdio.h>

#include "core/seal.h"
#include "store/store.h"

/* Seeds account_id when the database has no users yet (else does nothing) in one
 * transaction, then prints the logins and the addresses to try to out. */
int demo_seed(struct store *st, const struct seal *seal, int64_t account_id, const char *public_url,
              FILE *out, struct error *e);

#endif
