/* Deliveries: their bodies, their log, sending one again, their retries, their signature. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/inbox.h"
#include "webhooks/internal.h"
#include "webhooks/webhooks.h"

json_t *webhook_log(struct store_tx *tx, int64_t account_id, int64_t webhook_id, struct error *e)
{
	json_t *w = webhook_get(tx, account_id, webhook_id, e);
	if (w == NULL)
		return NULL;
	json_decref(w);
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT d.id, d.event_id, d.type, d.state, d.attempts, d.created_at,"
	    " d.next_attempt_at, d.delivered_at, a.attempted_at, a.status, a.duration_ms,"
	    " a.error, a.answer FROM webhook_deliveries d LEFT JOIN webhook_attempts a"
	    " ON a.id = (SELECT max(id) FROM webhook_attempts WHERE delivery_id = d.id)"
	    " WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2",
	    STORE_ARGS(SV_INT(webhook_id), SV_INT(WEBHOOK_LOG_MAX)), &r);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *list = json_array();
	while ((rc = store_next(r)) == 1) {
		bool is_waiting = strcmp(store_text(r, 3), "waiting") == 0;
		json_t *last =
		    store_is_null(r, 8)
		        ? json_null()
		        : json_pack("{s:I,s:o,s:I,s:o,s:o}", "at", (json_int_t)store_int(r, 8),
		                    "status", webhook_int_or_null(r, 9), "duration_ms",
		                    (json_int_t)store_int(r, 10), "error",
		                    webhook_text_or_null(r, 11), "answer",
		                    webhook_text_or_null(r, 12));
		json_array_append_new(
		    list,
		    json_pack("{s:I,s:I,s:s,s:s,s:I,s:I,s:o,s:o,s:o}", "id",
		              (json_int_t)store_int(r, 0), "event_id", (json_int_t)store_int(r, 1),
		              "type", store_text(r, 2), "state", store_text(r, 3), "attempts",
		              (json_int_t)store_int(r, 4), "created_at",
		              (json_int_t)store_int(r, 5), "next_attempt_at",
		              is_waiting ? json_integer(store_int(r, 6)) : json_null(),
		              "delivered_at", webhook_int_or_null(r, 7), "last_attempt", last));
	}
	store_rows_free(r);
	if (rc < 0) {
		json_decref(list);
		store_failed(e, rc);
		return NULL;
	}
	return list;
}

int webhook_resend(struct store_tx *tx, int64_t account_id, int64_t webhook_id, int64_t delivery_id,
                   int64_t now, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT d.state, w.is_enabled FROM webhook_deliveries d"
	    " JOIN webhooks w ON w.id = d.webhook_id"
	    " WHERE d.id = $1 AND d.webhook_id = $2 AND w.account_id = $3",
	    STORE_ARGS(SV_INT(delivery_id), SV_INT(webhook_id), SV_INT(account_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	bool is_sending = false, is_enabled = false;
	if ((rc = store_next(r)) == 1) {
		is_sending = strcmp(store_text(r, 0), "sending") == 0;
		is_enabled = store_int(r, 1) != 0;
	}
	store_rows_free(r);
	if (rc <= 0)
		return rc < 0 ? store_failed(e, rc)
		              : error_set(e, ERR_NOT_FOUND, "no such delivery");
	if (is_sending)
		return error_set(e, ERR_CONFLICT, "the delivery is being sent right now");
	if (!is_enabled)
		return error_set(e, ERR_CONFLICT, "the webhook is disabled: enable it first");
	rc = store_exec(tx,
	                "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $2,"
	                " delivered_at = NULL WHERE id = $1",
	                STORE_ARGS(SV_INT(delivery_id), SV_INT(now)));
	return store_failed(e, rc);
}

/* A delivery whose body is still to be built. */
struct unprepared {
	int64_t id;
	int64_t account_id;
	int64_t event_id;
	char type[40];
	int64_t conversation_id;
	int64_t message_id;
	int64_t contact_id;
	int64_t created_at;
};

static void read_unprepared(struct store_rows *r, void *item)
{
	struct unprepared *u = item;
	u->id = store_int(r, 0);
	u->account_id = store_int(r, 1);
	u->event_id = store_int(r, 2);
	snprintf(u->type, sizeof(u->type), "%s", store_text(r, 3));
	u->conversation_id = store_int(r, 4);
	u->message_id = store_int(r, 5);
	u->contact_id = store_int(r, 6);
	u->created_at = store_int(r, 7);
}

/* The one message as the API answers it, or NULL when it is gone. */
static int message_object(struct store_tx *tx, const struct actor *admin,
                          const struct unprepared *u, json_t **out, struct error *e)
{
	struct message *m = NULL;
	size_t n = 0;
	int rc = message_list(tx, admin, u->conversation_id, u->message_id + 1, 1, &m, &n, e);
	if (rc == 0 && n == 1 && m[0].id == u->message_id)
		*out = message_json(&m[0]);
	if (rc == 0)
		message_list_free(m, n);
	return rc;
}

/* The object an event is about, as the API answers it (*key names it), or NULL when it no
 * longer exists. */
static int object_of(struct store_tx *tx, const struct unprepared *u, int64_t now, const char **key,
                     json_t **out, struct error *e)
{
	const struct actor admin = { .account_id = u->account_id, .role = ROLE_ADMIN };
	int rc;
	*out = NULL;
	if (strncmp(u->type, "message.", 8) == 0) {
		*key = "message";
		rc = message_object(tx, &admin, u, out, e);
	} else if (strncmp(u->type, "contact.", 8) == 0) {
		*key = "contact";
		*out = contact_get(tx, &admin, u->contact_id, false, e);
		rc = *out != NULL ? 0 : e->code;
	} else {
		*key = "conversation";
		rc = conversation_detail_json(tx, &admin, u->conversation_id, now, out, e);
	}
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

int webhook_prepare(struct store_tx *tx, int limit, struct error *e)
{
	struct unprepared *list = NULL;
	size_t n = 0;
	int rc = store_collect(
	    tx,
	    "SELECT id, account_id, event_id, type, coalesce(conversation_id, 0),"
	    " coalesce(message_id, 0), coalesce(contact_id, 0), created_at"
	    " FROM webhook_deliveries WHERE payload IS NULL ORDER BY id"
	    " LIMIT $1",
	    STORE_ARGS(SV_INT(limit)), sizeof(*list), read_unprepared, (void **)&list, &n);
	if (rc < 0)
		return store_failed(e, rc);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const struct unprepared *u = &list[i];
		const char *key = "";
		json_t *object = NULL;
		if ((rc = object_of(tx, u, u->created_at, &key, &object, e)) < 0)
			break;
		json_t *body = json_pack("{s:I,s:s,s:I,s:o}", "event_id", (json_int_t)u->event_id,
		                         "type", u->type, "created_at", (json_int_t)u->created_at,
		                         key, object != NULL ? object : json_null());
		char *text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		rc = store_failed(e, store_exec(tx,
		                                "UPDATE webhook_deliveries SET payload = $2"
		                                " WHERE id = $1",
		                                STORE_ARGS(SV_INT(u->id), SV_TEXT(text))));
		free(text);
	}
	free(list);
	return rc < 0 ? rc : 0;
}

int webhook_retry_next_due(struct store_tx *tx, int64_t *due, struct error *e)
{
	return store_failed(e, store_get_int(tx,
	                                     "SELECT coalesce(min(next_attempt_at), 0)"
	                                     " FROM webhook_deliveries WHERE state = 'waiting'",
	                                     STORE_NO_ARGS, due));
}

int webhook_retry_run(struct store_tx *tx, int64_t now, struct error *e)
{
	int rc = store_exec(tx,
	                    "UPDATE webhook_deliveries SET state = 'pending'"
	                    " WHERE state = 'waiting' AND next_attempt_at <= $1",
	                    STORE_ARGS(SV_INT(now)));
	return rc < 0 ? store_failed(e, rc) : 0;
}

void webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                  char out[WEBHOOK_SIGNATURE_MAX])
{
	char stamp[24];
	int n = snprintf(stamp, sizeof(stamp), "%lld.", (long long)t);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, WEBHOOK_SIGNATURE_MAX, "t=%lld,v1=%s", (long long)t, hex);
	sodium_memzero(&st, sizeof(st));
}
