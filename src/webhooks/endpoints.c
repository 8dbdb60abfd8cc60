/* The endpoints admins register: their URL, event types, signing secret and state. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhooks/internal.h"
#include "webhooks/webhooks.h"

/* The event types an endpoint may hear of (docs/API.md says what each carries). */
static const char *const types[] = {
	"conversation.created",     "message.created",
	"message.updated",          "conversation.assigned",
	"conversation.transferred", "conversation.resolved",
	"contact.updated",          "csat.answered",
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* ERR_INVALID unless events is a non-empty array of known types, each once. */
static int check_events(const json_t *events, struct error *e)
{
	if (!json_is_array(events) || json_array_size(events) == 0)
		return error_set(e, ERR_INVALID,
		                 "'events' must be a non-empty array of event types");
	size_t i, j;
	json_t *v, *w;
	json_array_foreach(events, i, v)
	{
		const char *name = json_string_value(v);
		bool is_known = false;
		for (size_t k = 0; name != NULL && k < NTYPES; k++)
			is_known |= strcmp(name, types[k]) == 0;
		if (!is_known)
			return error_set(
			    e, ERR_INVALID,
			    "'events' has %s%.64s%s, which is not an event type (%s, %s,"
			    " %s, %s, %s, %s, %s or %s)",
			    name ? "'" : "", name ? name : "a non-string", name ? "'" : "",
			    types[0], types[1], types[2], types[3], types[4], types[5], types[6],
			    types[7]);
		json_array_foreach(events, j, w) if (j < i && json_equal(v, w)) return error_set(
		    e, ERR_INVALID, "'events' names '%s' twice", name);
	}
	return 0;
}

static int set_events(struct store_tx *tx, int64_t id, const json_t *events)
{
	int rc = store_exec(tx, "DELETE FROM webhook_subscriptions WHERE webhook_id = $1",
	                    STORE_ARGS(SV_INT(id)));
	size_t i;
	json_t *v;
	json_array_foreach(events, i, v) if (rc >= 0) rc =
	    store_exec(tx, "INSERT INTO webhook_subscriptions (webhook_id, type) VALUES ($1, $2)",
	               STORE_ARGS(SV_INT(id), SV_TEXT(json_string_value(v))));
	return rc < 0 ? rc : 0;
}

/* A new secret into secret, and its sealed form (to free). */
static char *new_secret(const struct seal *seal, char secret[WEBHOOK_SECRET_LEN])
{
	char token[TOKEN_TEXT_LEN];
	token_generate(token);
	snprintf(secret, WEBHOOK_SECRET_LEN, "whsec_%s", token);
	sodium_memzero(token, sizeof(token));
	return seal_encrypt(seal, secret);
}

int webhook_create(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                   const char *url, const json_t *events, int64_t now, int64_t *id,
                   char secret[WEBHOOK_SECRET_LEN], struct error *e)
{
	int rc = check_events(events, e);
	if (rc < 0)
		return rc;
	int64_t n = 0;
	rc = store_get_int(tx, "SELECT count(*) FROM webhooks WHERE account_id = $1",
	                   STORE_ARGS(SV_INT(account_id)), &n);
	if (rc == 0 && n >= WEBHOOKS_MAX)
		return error_set(e, ERR_CONFLICT,
		                 "an account may have at most %d webhooks; delete one",
		                 WEBHOOKS_MAX);
	char *sealed = rc == 0 ? new_secret(seal, secret) : NULL;
	if (rc == 0)
		rc = store_get_int(
		    tx,
		    "INSERT INTO webhooks (account_id, url, secret, created_at,"
		    " updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
		    STORE_ARGS(SV_INT(account_id), SV_TEXT(url), SV_TEXT(sealed), SV_INT(now)), id);
	free(sealed);
	if (rc == 0)
		rc = set_events(tx, *id, events);
	if (rc < 0)
		sodium_memzero(secret, WEBHOOK_SECRET_LEN);
	return store_failed(e, rc);
}

/* ERR_NOT_FOUND unless the account has endpoint id. */
static int check_exists(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	int64_t n = 0;
	int rc =
	    store_get_int(tx, "SELECT count(*) FROM webhooks WHERE id = $1 AND account_id = $2",
	                  STORE_ARGS(SV_INT(id), SV_INT(account_id)), &n);
	if (rc < 0)
		return store_failed(e, rc);
	return n == 0 ? error_set(e, ERR_NOT_FOUND, "no such webhook") : 0;
}

int webhook_update(struct store_tx *tx, int64_t account_id, int64_t id,
                   const struct webhook_changes *in, int64_t now, struct error *e)
{
	int rc = check_exists(tx, account_id, id, e);
	if (rc == 0 && in->events != NULL && (rc = check_events(in->events, e)) == 0)
		rc = store_failed(e, set_events(tx, id, in->events));
	if (rc < 0)
		return rc;
	rc = store_exec(
	    tx,
	    "UPDATE webhooks SET url = coalesce($3, url),"
	    " is_enabled = CASE WHEN $4 < 0 THEN is_enabled ELSE $4 END,"
	    " disabled_at = CASE WHEN $4 < 0 THEN disabled_at WHEN $4 = 1 THEN NULL"
	    " WHEN is_enabled = 1 THEN $5 ELSE disabled_at END,"
	    " disabled_reason = CASE WHEN $4 < 0 THEN disabled_reason WHEN $4 = 1 THEN NULL"
	    " WHEN is_enabled = 1 THEN 'disabled by an admin' ELSE disabled_reason END,"
	    " failing_since = CASE WHEN $4 = 1 THEN NULL ELSE failing_since END,"
	    " updated_at = $5 WHERE id = $1 AND account_id = $2",
	    STORE_ARGS(SV_INT(id), SV_INT(account_id), SV_TEXT_NULL(in->url),
	               SV_INT(in->is_enabled), SV_INT(now)));
	return store_failed(e, rc);
}

int webhook_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	int rc = store_exec(tx, "DELETE FROM webhooks WHERE id = $1 AND account_id = $2",
	                    STORE_ARGS(SV_INT(id), SV_INT(account_id)));
	if (rc < 0)
		return store_failed(e, rc);
	return rc == 0 ? error_set(e, ERR_NOT_FOUND, "no such webhook") : 0;
}

int webhook_rotate_secret(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                          int64_t id, int64_t now, char secret[WEBHOOK_SECRET_LEN], struct error *e)
{
	int rc = check_exists(tx, account_id, id, e);
	if (rc < 0)
		return rc;
	char *sealed = new_secret(seal, secret);
	rc = store_exec(tx, "UPDATE webhooks SET secret = $2, updated_at = $3 WHERE id = $1",
	                STORE_ARGS(SV_INT(id), SV_TEXT(sealed), SV_INT(now)));
	free(sealed);
	if (rc < 0)
		sodium_memzero(secret, WEBHOOK_SECRET_LEN);
	return store_failed(e, rc);
}

/* The endpoints of the account (one when id > 0) as a JSON array. */
static json_t *read_webhooks(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	struct store_rows *r;
	int rc =
	    store_query(tx,
	                "SELECT w.id, w.url, w.is_enabled, w.disabled_at, w.disabled_reason,"
	                " w.failing_since, w.created_at, w.updated_at, s.type FROM webhooks w"
	                " LEFT JOIN webhook_subscriptions s ON s.webhook_id = w.id"
	                " WHERE w.account_id = $1 AND ($2 = 0 OR w.id = $2) ORDER BY w.id, s.type",
	                STORE_ARGS(SV_INT(account_id), SV_INT(id)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *list = json_array(), *w = NULL;
	while ((rc = store_next(r)) == 1) {
		json_int_t wid = store_int(r, 0);
		if (w == NULL || json_integer_value(json_object_get(w, "id")) != wid) {
			w = json_pack(
			    "{s:I,s:s,s:[],s:b,s:o,s:o,s:o,s:I,s:I}", "id", wid, "url",
			    store_text(r, 1), "events", "enabled", store_int(r, 2) != 0,
			    "disabled_at", webhook_int_or_null(r, 3), "disabled_reason",
			    store_is_null(r, 4) ? json_null() : json_string(store_text(r, 4)),
			    "failing_since", webhook_int_or_null(r, 5), "created_at",
			    (json_int_t)store_int(r, 6), "updated_at", (json_int_t)store_int(r, 7));
			json_array_append_new(list, w);
		}
		if (!store_is_null(r, 8))
			json_array_append_new(json_object_get(w, "events"),
			                      json_string(store_text(r, 8)));
	}
	store_rows_free(r);
	if (rc < 0) {
		json_decref(list);
		store_failed(e, rc);
		return NULL;
	}
	return list;
}

json_t *webhook_get(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e)
{
	json_t *list = read_webhooks(tx, account_id, id, e);
	json_t *w = json_incref(json_array_get(list, 0));
	json_decref(list);
	if (list != NULL && w == NULL)
		error_set(e, ERR_NOT_FOUND, "no such webhook");
	return w;
}

json_t *webhook_list(struct store_tx *tx, int64_t account_id, struct error *e)
{
	return read_webhooks(tx, account_id, 0, e);
}
