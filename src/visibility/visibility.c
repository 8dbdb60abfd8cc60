/* The visibility rule in C; see visibility.h. Keep the clauses in CONVERSATION_VISIBLE's
 * order. */
#include "visibility/visibility.h"

bool visibility_sees(const struct actor *who, int64_t account_id, int64_t team_id,
                     int64_t assignee_id, const struct team_membership *m, size_t n)
{
	if (account_id != who->account_id)
		return false;
	if (who->role == ROLE_ADMIN || team_id == 0 || assignee_id == who->user_id)
		return true;
	for (size_t i = 0; i < n; i++)
		if (m[i].user_id == who->user_id && m[i].team_id == team_id)
			return true;
	return false;
}
