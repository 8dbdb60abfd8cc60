/* Shared inside inbox/ only: the user row reader behind every user query, and the human
 * takeover every agent action starts with. */
#ifndef INBOX_INTERNAL_H
#define INBOX_INTERNAL_H

#include "inbox/inbox.h"

/* The columns read_user expects, from `users u`. */
#define USER_COLUMNS                                                                \
	"u.id, u.account_id, u.email, u.name, u.role, u.availability, u.is_active," \
	" u.created_at, u.updated_at"

/* Runs sql (selecting USER_COLUMNS) and collects the users; *out is freed by the caller. */
int users_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct user **out, size_t *n, struct error *e);

/* conversation_get, then the end of routing when it was routing: a human always wins. */
int conversation_take_over(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                           struct conversation *out, struct error *e);

#endif
