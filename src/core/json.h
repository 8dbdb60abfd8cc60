/*
 * JSON at the edge: parsing untrusted bodies with a nesting limit, and reading an object's
 * fields against a declared list (types, required, sizes; unknown fields refused).
 * Built on jansson, which already refuses invalid UTF-8 and \u0000 in strings.
 */
#ifndef CORE_JSON_H
#define CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define JSON_MAX_DEPTH 64

/* Parses len bytes; NULL with e filled (ERR_BAD_JSON) when malformed or nested too deep. */
json_t *json_parse(const char *data, size_t len, struct error *e);

enum json_field_kind {
	JSON_FIELD_STRING, /* out: const char ** borrowed from the object */
	JSON_FIELD_BOOL,   /* out: bool * */
	JSON_FIELD_INT,    /* out: json_int_t * */
	JSON_FIELD_VALUE,  /* any JSON value, checked by the caller; out: const json_t ** */
};

struct json_field {
	const char *name;
	enum json_field_kind kind;
	bool is_required;
	size_t max_len; /* strings: most bytes allowed */
	void *out;
	bool *is_present; /* may be NULL */
};

/*
 * Reads obj's members into fields[]. Fails with ERR_INVALID naming the field when obj is not
 * an object, a member is unknown or of the wrong type, a required one is missing, or a string
 * is longer than max_len. Outputs are written only on success.
 */
int json_read_fields(const json_t *obj, const struct json_field *fields, size_t n, struct error *e);

#endif
