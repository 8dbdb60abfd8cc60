/*
 * Error codes shared by every module, and the one table that maps them to the API's
 * error codes and HTTP statuses. Functions that can fail return 0 or a negative enum err;
 * when a caller needs words for a person, they come through a struct error.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

enum err {
	ERR_OK = 0,
	ERR_BAD_JSON = -1,        /* 400: the body is not JSON we can read */
	ERR_INVALID = -2,         /* 400: a field is missing, unknown, of the wrong type or size */
	ERR_UNAUTHENTICATED = -3, /* 401: no valid session or token */
	ERR_BAD_CREDENTIALS = -4, /* 401: wrong e-mail or password */
	ERR_BAD_SIGNATURE = -5,   /* 401: a webhook's signature does not verify */
	ERR_CSRF = -6,            /* 403: missing or wrong X-CSRF-Token */
	ERR_FORBIDDEN = -7,       /* 403: authenticated, but not allowed */
	ERR_NOT_FOUND = -8,       /* 404 */
	ERR_METHOD = -9,          /* 405 */
	ERR_CONFLICT = -10,       /* 409: clashes with what is stored */
	ERR_TOO_LARGE = -11,      /* 413 */
	ERR_UNPROCESSABLE = -12,  /* 422: well-formed but not acceptable */
	ERR_RATE_LIMITED = -13,   /* 429 */
	ERR_INTERNAL = -14,       /* 500 */
	ERR_UNAVAILABLE = -15,    /* 503: the store is busy or full; try again */
	ERR_MEDIA_TYPE = -16,     /* 415: a JSON endpoint's body sent as something else */
	ERR_RANGE = -17,          /* 416: a Range outside the file */
	ERR_UPSTREAM = -18,       /* 502: a provider's API failed or answered nonsense */
};

/*
 * rule names, for the errors an admin can meet in a form, which check the input failed: a
 * stable snake_case code the web UI translates (docs/API.md lists them), with the field it
 * is about and the bound it broke (0 when none). The English message stays the fallback.
 */
struct error {
	enum err code;
	const char *rule; /* a static string, or NULL */
	char field[48];
	long long limit;
	char message[256];
};

/* Fills *e (when not NULL, with no rule) and returns code, so callers can write
 * `return error_set(...)`. */
int error_set(struct error *e, enum err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As error_set, naming the rule broken, its field (may be NULL) and its bound. */
int error_rule(struct error *e, enum err code, const char *rule, const char *field, long long limit,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
const char *err_code_name(enum err code);
int err_http_status(enum err code);

#endif
