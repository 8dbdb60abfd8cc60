/*
 * The contact attributes an admin declares (a key and a label each), and the values a
 * contact holds for them: only a declared key takes a value. No visibility rule here: the
 * keys are the account's, and contact_update() has checked the contact before it sets values.
 */
#include <string.h>

#include "inbox/internal.h"

json_t *contact_attribute_list(struct store_tx *tx, int64_t account_id, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT key, label, created_at FROM contact_attribute_keys"
	                     " WHERE account_id = $1 ORDER BY created_at, key",
	                     STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *list = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(list, json_pack("{s:s,s:s,s:I}", "key", store_text(r, 0),
		                                      "label", store_text(r, 1), "created_at",
		                                      (json_int_t)store_int(r, 2)));
	store_rows_free(r);
	if (rc < 0) {
		json_decref(list);
		store_failed(e, rc);
		return NULL;
	}
	return list;
}

static bool is_attribute_key(const char *key)
{
	size_t len = strlen(key);
	return len >= 1 && len <= CONTACT_ATTR_KEY_MAX &&
	       strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

int contact_attribute_create(struct store_tx *tx, int64_t account_id, const char *key,
                             const char *label, int64_t now, json_t **out, struct error *e)
{
	char clean[CONTACT_ATTR_LABEL_MAX + 1];
	if (!is_attribute_key(key))
		return error_set(e, ERR_INVALID, "'key' must be 1 to %d of a-z, 0-9 and '_'",
		                 CONTACT_ATTR_KEY_MAX);
	if (text_check_name("label", label, CONTACT_ATTR_LABEL_MAX, clean, e) < 0)
		return e->code;
	int rc =
	    store_exec(tx,
	               "INSERT INTO contact_attribute_keys (account_id, key, label, created_at)"
	               " VALUES ($1, $2, $3, $4)",
	               STORE_ARGS(SV_INT(account_id), SV_TEXT(key), SV_TEXT(clean), SV_INT(now)));
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "attribute_taken", "key", 0,
		                  "the attribute '%s' exists already", key);
	if (rc < 0)
		return store_failed(e, rc);
	*out =
	    json_pack("{s:s,s:s,s:I}", "key", key, "label", clean, "created_at", (json_int_t)now);
	return 0;
}

int contact_attribute_delete(struct store_tx *tx, int64_t account_id, const char *key,
                             struct error *e)
{
	int rc = store_exec(tx,
	                    "DELETE FROM contact_attributes WHERE key = $2 AND contact_id IN"
	                    " (SELECT id FROM contacts WHERE account_id = $1)",
	                    STORE_ARGS(SV_INT(account_id), SV_TEXT(key)));
	if (rc >= 0)
		rc = store_exec(
		    tx, "DELETE FROM contact_attribute_keys WHERE account_id = $1 AND key = $2",
		    STORE_ARGS(SV_INT(account_id), SV_TEXT(key)));
	if (rc < 0)
		return store_failed(e, rc);
	return rc > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no attribute '%.64s'", key);
}

int contact_attributes_set(struct store_tx *tx, int64_t account_id, int64_t id,
                           const json_t *attributes, struct error *e)
{
	if (!json_is_object(attributes))
		return error_set(e, ERR_INVALID, "'attributes' must be an object");
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)attributes, key, value)
	{
		if (!json_is_null(value) &&
		    (!json_is_string(value) || json_string_length(value) > CONTACT_ATTR_VALUE_MAX))
			return error_set(
			    e, ERR_INVALID,
			    "attribute values are strings of at most %d bytes, or null",
			    CONTACT_ATTR_VALUE_MAX);
		int64_t declared = 0;
		int rc = store_get_int(tx,
		                       "SELECT count(*) FROM contact_attribute_keys"
		                       " WHERE account_id = $1 AND key = $2",
		                       STORE_ARGS(SV_INT(account_id), SV_TEXT(key)), &declared);
		if (rc < 0)
			return store_failed(e, rc);
		if (declared == 0)
			return error_set(e, ERR_UNPROCESSABLE,
			                 "the attribute '%.64s' is not declared: an admin adds it"
			                 " in Settings first",
			                 key);
		if (json_is_null(value))
			rc = store_exec(
			    tx, "DELETE FROM contact_attributes WHERE contact_id = $1 AND key = $2",
			    STORE_ARGS(SV_INT(id), SV_TEXT(key)));
		else
			rc = store_exec(tx,
			                "INSERT INTO contact_attributes (contact_id, key, value)"
			                " VALUES ($1, $2, $3)"
			                " ON CONFLICT (contact_id, key) DO UPDATE SET value = $3",
			                STORE_ARGS(SV_INT(id), SV_TEXT(key),
			                           SV_TEXT(json_string_value(value))));
		if (rc < 0)
			return store_failed(e, rc);
	}
	return 0;
}
