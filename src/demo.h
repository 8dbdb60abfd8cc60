/*
 * demo: the account `make run` starts with (CENTRALITA_DEMO=1) so a newcomer can play the
 * customer and the agent within a minute: four teams, an admin and two agents with random
 * passwords, a web chat channel and a department menu routing, in Spanish or English
 * (--demo-language). The demo users' passwords are kept (demo_logins) to be printed again.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/seal.h"
#include "store/store.h"

/* Seeds account_id when the database has no users yet (else does nothing) in one
 * transaction, then prints the logins and the addresses to try to out. */
int demo_seed(struct store *st, const struct seal *seal, int64_t account_id, const struct config *c,
              FILE *out, struct error *e);
/* Prints each demo user's login: the password it was given, unless it has been changed since
 * (or the user deactivated). ERR_NOT_FOUND when the database has no demo account. */
int demo_logins_print(struct store_tx *tx, FILE *out, struct error *e);

#endif
