/* The single table from enum err to API error codes and HTTP statuses. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
	enum err code;
	const char *name;
	int status;
} table[] = {
	{ ERR_BAD_JSON, "invalid_json", 400 },
	{ ERR_INVALID, "invalid_request", 400 },
	{ ERR_UNAUTHENTICATED, "unauthenticated", 401 },
	{ ERR_BAD_CREDENTIALS, "invalid_credentials", 401 },
	{ ERR_BAD_SIGNATURE, "invalid_signature", 401 },
	{ ERR_CSRF, "csrf_token_invalid", 403 },
	{ ERR_FORBIDDEN, "forbidden", 403 },
	{ ERR_NOT_FOUND, "not_found", 404 },
	{ ERR_METHOD, "method_not_allowed", 405 },
	{ ERR_CONFLICT, "conflict", 409 },
	{ ERR_TOO_LARGE, "payload_too_large", 413 },
	{ ERR_MEDIA_TYPE, "unsupported_media_type", 415 },
	{ ERR_RANGE, "range_not_satisfiable", 416 },
	{ ERR_UNPROCESSABLE, "unprocessable", 422 },
	{ ERR_RATE_LIMITED, "too_many_attempts", 429 },
	{ ERR_INTERNAL, "internal_error", 500 },
	{ ERR_UPSTREAM, "bad_gateway", 502 },
	{ ERR_UNAVAILABLE, "unavailable", 503 },
};

__attribute__((format(printf, 6, 0))) static void fill(struct error *e, enum err code,
                                                       const char *rule, const char *field,
                                                       long long limit, const char *fmt, va_list ap)
{
	e->code = code;
	e->rule = rule;
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
	e->limit = limit;
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

int error_set(struct error *e, enum err code, const char *fmt, ...)
{
	if (e != NULL) {
		va_list ap;
		va_start(ap, fmt);
		fill(e, code, NULL, NULL, 0, fmt, ap);
		va_end(ap);
	}
	return code;
}

int error_rule(struct error *e, enum err code, const char *rule, const char *field, long long limit,
               const char *fmt, ...)
{
	if (e != NULL) {
		va_list ap;
		va_start(ap, fmt);
		fill(e, code, rule, field, limit, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *err_code_name(enum err code)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return table[i].name;
	return "internal_error";
}

int err_http_status(enum err code)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return table[i].status;
	return 500;
}
