/* Checks and folding of the names and e-mails people type; see accounts.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "accounts/accounts.h"
#include "core/utf8.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int text_check_name(const char *field, const char *in, size_t max, char *out, struct error *e)
{
	size_t len = strlen(in);
	while (len > 0 && is_space(*in)) {
		in++;
		len--;
	}
	while (len > 0 && is_space(in[len - 1]))
		len--;
	if (len == 0)
		return error_rule(e, ERR_INVALID, "required", field, 0, "'%s' must not be empty",
		                  field);
	if (len > max)
		return error_rule(e, ERR_INVALID, "too_long", field, (long long)max,
		                  "'%s' is longer than %zu bytes", field, max);
	if (!utf8_is_clean(in, len) || memchr(in, '\n', len) || memchr(in, '\r', len) ||
	    memchr(in, '\t', len))
		return error_rule(e, ERR_INVALID, "bad_characters", field, 0,
		                  "'%s' has characters that are not allowed", field);
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

int text_fold_email(const char *in, char *out, struct error *e)
{
	size_t len = strlen(in);
	if (len == 0 || len > USER_EMAIL_MAX)
		return error_rule(e, ERR_INVALID, "email_invalid", "email", 0,
		                  "'email' must be 1 to %d bytes", USER_EMAIL_MAX);
	const char *at = strchr(in, '@');
	if (!utf8_is_clean(in, len) || at == NULL || at == in || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strpbrk(in, " \t\r\n<>\"(),;:[]\\") != NULL)
		return error_rule(e, ERR_INVALID, "email_invalid", "email", 0,
		                  "'email' is not an e-mail address");
	char *folded = text_fold(in);
	int rc = 0;
	if (folded == NULL || strlen(folded) > USER_EMAIL_MAX)
		rc = error_rule(e, ERR_INVALID, "email_invalid", "email", 0,
		                "'email' is not an e-mail address");
	else
		memcpy(out, folded, strlen(folded) + 1);
	free(folded);
	return rc;
}

char *text_fold(const char *in)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, -1, &folded,
	                                  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	                                      UTF8PROC_CASEFOLD);
	if (n < 0) {
		free(folded);
		return NULL;
	}
	return (char *)folded;
}
