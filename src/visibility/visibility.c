/* The visibility rule in C; see visibility.h. Keep the clauses in CONVERSATION_VISIBLE's
 * order. */
#include "visibility/visibility.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"

bool visibility_sees(const struct actor *who, int64_t account_id, int64_t team_id,
                     int64_t assignee_id, const struct team_membership *m, size_t n)
{
	if (account_id != who->account_id)
		return false;
	if (who->role == ROLE_ADMIN || assignee_id == who->user_id)
		return true;
	if (who->role != ROLE_AGENT)
		return false;
	if (team_id == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (m[i].user_id == who->user_id && m[i].team_id == team_id)
			return true;
	return false;
}

#define DOT "\xe2\x80\xa2" /* U+2022 BULLET */

void visibility_mask_phone(const char *phone, char out[VISIBILITY_MASKED_MAX])
{
	char digits[VISIBILITY_MASKED_MAX / 4];
	size_t n = 0;
	for (const char *p = phone; *p != '\0' && n < sizeof(digits); p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	struct buf b = BUF_INIT;
	if (phone[0] == '+')
		buf_puts(&b, "+");
	for (size_t i = 0; i < n; i++) {
		if (i == 2 || (i > 2 && (i - 2) % 3 == 0))
			buf_puts(&b, " ");
		if (n >= 7 && (i < 3 || i >= n - 2))
			buf_append(&b, &digits[i], 1);
		else
			buf_puts(&b, DOT);
	}
	snprintf(out, VISIBILITY_MASKED_MAX, "%s", b.data ? b.data : "");
	buf_free(&b);
}

void visibility_mask_email(const char *email, char out[VISIBILITY_MASKED_MAX])
{
	const char *at = strrchr(email, '@');
	const char *tld = at ? strrchr(at, '.') : NULL;
	if (at == NULL || at == email || tld == NULL || strlen(tld) > 32) {
		snprintf(out, VISIBILITY_MASKED_MAX, DOT DOT DOT);
		return;
	}
	size_t first = 1; /* the bytes of the first character, which is before the '@' */
	while (((unsigned char)email[first] & 0xC0) == 0x80)
		first++;
	snprintf(out, VISIBILITY_MASKED_MAX, "%.*s" DOT DOT DOT "@" DOT DOT DOT "%s", (int)first,
	         email, tld);
}
