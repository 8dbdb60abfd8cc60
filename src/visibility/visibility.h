/*
 * visibility/: the one rule of who may see a conversation, in the two forms it is applied —
 * SQL for every query of inbox/, C for the event hub, which decides from memory. An admin
 * sees every conversation of their account; an agent sees, of their account, those assigned
 * to them, the general inbox (no team) and the conversations of the teams they belong to; a
 * restricted agent only those assigned to them. Both forms are the same clauses, in the same
 * order; tests/unit/test_visibility.c holds them equal over generated actors and
 * conversations. What a masked actor sees of a contact's phone and e-mail is here too.
 */
#ifndef VISIBILITY_VISIBILITY_H
#define VISIBILITY_VISIBILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts/accounts.h"

/* $1 account, $2 user, $3 the actor's enum role (0 agent, 1 admin, 2 restricted): what the
 * actor may see of `conversations v`. */
#define CONVERSATION_VISIBLE                                                                     \
	" v.account_id = $1 AND ($3 = 1 OR v.assignee_id = $2 OR ($3 = 0 AND (v.team_id IS NULL" \
	" OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = v.team_id"                 \
	" AND tm.user_id = $2))))"

/* One row of team_members. */
struct team_membership {
	int64_t user_id;
	int64_t team_id;
};

/* CONVERSATION_VISIBLE for a conversation of account_id with team_id and assignee_id (0:
 * none), given every membership (m[0..n)) of now. */
bool visibility_sees(const struct actor *who, int64_t account_id, int64_t team_id,
                     int64_t assignee_id, const struct team_membership *m, size_t n);

/* The longest masked phone or e-mail, NUL included ("•" is three bytes). */
#define VISIBILITY_MASKED_MAX 256

/* What a masked actor (struct actor's is_masked) sees of a phone number: the first three
 * digits and the last two, the others as "•", grouped ("+34 6•• ••• •22"). */
void visibility_mask_phone(const char *phone, char out[VISIBILITY_MASKED_MAX]);
/* And of an e-mail address: the first character and the last part of the domain
 * ("l•••@•••.com"). */
void visibility_mask_email(const char *email, char out[VISIBILITY_MASKED_MAX]);

#endif
