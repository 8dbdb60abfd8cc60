/*
 * webhooks/: the company's own endpoints that hear of events. Admins register an endpoint
 * (its URL, the event types it wants, a secret shown once); events/ queues one delivery per
 * event and endpoint in the event's own transaction; the sender (one thread, libcurl multi)
 * builds each delivery's body once — the object as the API answers it, with the event's type
 * and id — signs it with the endpoint's secret and posts it through the guarded client
 * (core/fetch.h), in order per conversation, until the endpoint answers 2xx. Failed attempts
 * wait for their retry (the outbox's backoff), which the scheduler makes due; an endpoint that
 * fails for its whole period (24 hours) is disabled, saying why. Grouped by file.
 */
#ifndef WEBHOOKS_WEBHOOKS_H
#define WEBHOOKS_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "core/token.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

/* endpoints.c */

#define WEBHOOKS_MAX       20                   /* endpoints per account */
#define WEBHOOK_SECRET_LEN (6 + TOKEN_TEXT_LEN) /* "whsec_" + a token, NUL included */
#define WEBHOOK_LOG_MAX    100                  /* deliveries in one log answer */
#define WEBHOOK_ANSWER_MAX 256                  /* bytes of an endpoint's answer logged */

/* Registers an endpoint for the event types in events (a JSON array of known names), its
 * url already checked by fetch_check_url. *id is its id and secret its signing secret, to
 * show this once. ERR_INVALID for a bad list, ERR_CONFLICT beyond WEBHOOKS_MAX. */
int webhook_create(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                   const char *url, const json_t *events, int64_t now, int64_t *id,
                   char secret[WEBHOOK_SECRET_LEN], struct error *e);
/* What an update sets; NULL (or -1) leaves a field as it is. Enabling an endpoint clears why
 * it was disabled, and its waiting deliveries go out again. */
struct webhook_changes {
	const char *url; /* checked by fetch_check_url */
	const json_t *events;
	int is_enabled;
};
int webhook_update(struct store_tx *tx, int64_t account_id, int64_t id,
                   const struct webhook_changes *in, int64_t now, struct error *e);
/* Deletes the endpoint with its deliveries and their log. */
int webhook_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e);
/* A new signing secret (shown this once); the old one signs nothing more. */
int webhook_rotate_secret(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                          int64_t id, int64_t now, char secret[WEBHOOK_SECRET_LEN],
                          struct error *e);
/* An endpoint, or all of the account's, as the API answers them (new references; NULL with
 * e on failure). The secret is never in them. */
json_t *webhook_get(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e);
json_t *webhook_list(struct store_tx *tx, int64_t account_id, struct error *e);

/* deliveries.c */

/* The endpoint's newest WEBHOOK_LOG_MAX deliveries, newest first, each with its last attempt
 * (status, response time, the first bytes of the answer, why it failed). */
json_t *webhook_log(struct store_tx *tx, int64_t account_id, int64_t webhook_id, struct error *e);
/* Sends a delivery again (now), whatever became of it; ERR_CONFLICT while it is being sent or
 * while its endpoint is disabled. */
int webhook_resend(struct store_tx *tx, int64_t account_id, int64_t webhook_id, int64_t delivery_id,
                   int64_t now, struct error *e);
/* Builds the bodies of up to limit queued deliveries that have none yet, oldest first. */
int webhook_prepare(struct store_tx *tx, int limit, struct error *e);
/* The scheduler's job: the earliest retry waiting, and making the due ones ready to send. */
int webhook_retry_next_due(struct store_tx *tx, int64_t *due, struct error *e);
int webhook_retry_run(struct store_tx *tx, int64_t now, struct error *e);

#define WEBHOOK_SIGNATURE_MAX 96 /* "t=<seconds>,v1=<64 hex digits>" and its NUL */

/* X-Centralita-Signature for body sent at unix time t: t=<t>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with the secret>. */
void webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                  char out[WEBHOOK_SIGNATURE_MAX]);

/* sender.c */

struct webhook_sender;

/* Starts the delivery thread; retries it schedules wake scheduler. NULL on failure. */
struct webhook_sender *webhook_sender_start(struct store *st, const struct seal *seal,
                                            const struct config *config,
                                            struct scheduler *scheduler, struct error *e);
/* Something was committed that may have queued deliveries (events_hub_listen's callback).
 * Safe from any thread; arg is the sender and may be NULL. */
void webhook_sender_wake(void *arg);
/* Stops claiming, waits for the posts in flight (each bounded by the timeout) and records
 * them, then stops the thread. */
void webhook_sender_stop(struct webhook_sender *s);

#endif
