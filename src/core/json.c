/* Untrusted JSON: a nesting limit before jansson parses, then declared-field reading. */
#include "core/json.h"

#include <string.h>

/* Refuses nesting deeper than JSON_MAX_DEPTH without building anything. */
static bool depth_ok(const char *p, size_t len)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

json_t *json_parse(const char *data, size_t len, struct error *e)
{
	if (!depth_ok(data, len)) {
		error_set(e, ERR_BAD_JSON, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (root == NULL)
		error_set(e, ERR_BAD_JSON, "malformed JSON at line %d, column %d: %s", je.line,
		          je.column, je.text);
	return root;
}

static const char *kind_name(enum json_field_kind kind)
{
	switch (kind) {
	case JSON_FIELD_STRING:
		return "a string";
	case JSON_FIELD_BOOL:
		return "true or false";
	case JSON_FIELD_INT:
		return "an integer";
	case JSON_FIELD_VALUE:
		return "a JSON value";
	}
	return "?";
}

static bool kind_matches(const json_t *v, enum json_field_kind kind)
{
	switch (kind) {
	case JSON_FIELD_STRING:
		return json_is_string(v);
	case JSON_FIELD_BOOL:
		return json_is_boolean(v);
	case JSON_FIELD_INT:
		return json_is_integer(v);
	case JSON_FIELD_VALUE:
		return true;
	}
	return false;
}

static int check_object(const json_t *obj, const struct json_field *fields, size_t n,
                        struct error *e)
{
	if (!json_is_object(obj))
		return error_set(e, ERR_INVALID, "the body must be a JSON object");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i = 0;
		while (i < n && strcmp(fields[i].name, key) != 0)
			i++;
		if (i == n)
			return error_rule(e, ERR_INVALID, "unknown_field", key, 0,
			                  "unknown field '%.64s'", key);
		if (!kind_matches(v, fields[i].kind))
			return error_rule(e, ERR_INVALID, "wrong_type", key, 0, "'%s' must be %s",
			                  key, kind_name(fields[i].kind));
		if (fields[i].kind == JSON_FIELD_STRING &&
		    json_string_length(v) > fields[i].max_len)
			return error_rule(e, ERR_INVALID, "too_long", key,
			                  (long long)fields[i].max_len,
			                  "'%s' is longer than %zu bytes", key, fields[i].max_len);
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].is_required && json_object_get(obj, fields[i].name) == NULL)
			return error_rule(e, ERR_INVALID, "required", fields[i].name, 0,
			                  "'%s' is required", fields[i].name);
	return 0;
}

int json_read_fields(const json_t *obj, const struct json_field *fields, size_t n, struct error *e)
{
	int rc = check_object(obj, fields, n, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, fields[i].name);
		if (fields[i].is_present != NULL)
			*fields[i].is_present = v != NULL;
		if (v == NULL)
			continue;
		switch (fields[i].kind) {
		case JSON_FIELD_STRING:
			*(const char **)fields[i].out = json_string_value(v);
			break;
		case JSON_FIELD_BOOL:
			*(bool *)fields[i].out = json_is_true(v);
			break;
		case JSON_FIELD_INT:
			*(json_int_t *)fields[i].out = json_integer_value(v);
			break;
		case JSON_FIELD_VALUE:
			*(const json_t **)fields[i].out = v;
			break;
		}
	}
	return 0;
}
