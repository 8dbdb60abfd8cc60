/* Shared inside inbox/ only: the user row reader behind every user query. */
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

#endif
