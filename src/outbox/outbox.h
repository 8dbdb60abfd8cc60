/*
 * The outbox: every message Centralita sends is committed here in the same transaction as
 * the change that caused it, and one delivery worker (its own thread, libcurl multi) sends
 * it. Per conversation, messages leave in the order they were queued. Work is claimed with
 * a lease in the store, so several workers on one database never send a message twice.
 */
#ifndef OUTBOX_OUTBOX_H
#define OUTBOX_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "providers/providers.h"
#include "store/store.h"

#define OUTBOX_MAX_IN_FLIGHT   64                   /* sends in flight in one worker */
#define OUTBOX_MAX_PER_CHANNEL 16                   /* of which on one channel */
#define OUTBOX_GIVE_UP_MS      (24LL * 3600 * 1000) /* transient failures stop after this */

/* A file to send: an agent's upload, in the file store under sha256. */
struct outbox_file {
	const char *kind; /* "image", "audio", "video" or "document" */
	const char *sha256;
	const char *mime_type;
	const char *file_name;
};

/* A text to send in a conversation. */
struct outbox_text {
	int64_t account_id;
	int64_t conversation_id;
	int64_t channel_id;
	enum channel_kind kind;
	const char *sender; /* "agent" or "routing" */
	int64_t author_id;  /* the agent; 0 for routing */
	const char *text;   /* valid UTF-8 */
	/* What the provider gets beside or instead of the text (NULL: none), kept in the
	 * message's details: {"template": …} (sent in its place; type "template", one message
	 * however long the text it shows), {"tag": "HUMAN_AGENT"} (Messenger) or {"menu":
	 * [{"id", "title"}]} (the welcome's choices; channel_menu_fits). */
	const json_t *send;
	/* A file sent with text as its caption (NULL or "" for none; not split): one message of
	 * the file's kind, its media row ready. NULL for a text. */
	const struct outbox_file *file;
};

/*
 * Queues t inside tx: the text is split into the provider's parts (a template's is not),
 * each stored as an outgoing message ('queued') with its outbox row. *first_id (may be NULL) gets
 * the first part's message id and *parts how many there are. Call outbox_worker_wake() after
 * commit.
 */
int outbox_enqueue(struct store_tx *tx, const struct outbox_text *t, int64_t now, int64_t *first_id,
                   size_t *parts, struct error *e);

/* Queues a provider call that is not a message (method and params of the Bot API) inside tx;
 * the worker makes it once, soon, and only logs a failure. Call outbox_worker_wake() after
 * commit. */
int outbox_call(struct store_tx *tx, int64_t account_id, int64_t channel_id, const char *method,
                const json_t *params, int64_t now);

/*
 * "Retry now": puts an outgoing message of the conversation that did not reach the customer
 * back in line, due at once and with a fresh 24 hours: one waiting after a failed attempt,
 * one refused for good, or one the provider reported failed after accepting it (it goes back
 * into the outbox). ERR_NOT_FOUND when the conversation has no such message of an agent or of
 * routing; ERR_CONFLICT while it is being sent, or when nothing failed. Call
 * outbox_worker_wake() after commit.
 */
int outbox_retry_now(struct store_tx *tx, int64_t conversation_id, int64_t message_id, int64_t now,
                     struct error *e);

/*
 * Undelivered: an outgoing message of `alias` (a messages row of conversation `conv`) that
 * failed, or waits in the outbox after a failed attempt, and that no later outgoing message
 * of its conversation got past (once one is delivered, the failure is history). SQL for a
 * WHERE clause; `conv` may be the outer query's conversation, so that the index bounds it.
 */
#define OUTBOX_UNDELIVERED(alias, conv)                                                         \
	" " alias ".direction = 'out' AND " alias ".id > coalesce((SELECT d.id FROM messages d" \
	" WHERE d.conversation_id = " conv " AND d.direction = 'out'"                           \
	" AND d.status IN ('sent', 'delivered', 'read') ORDER BY d.id DESC LIMIT 1), 0)"        \
	" AND (" alias ".status = 'failed' OR EXISTS (SELECT 1 FROM outbox u"                   \
	" WHERE u.message_id = " alias ".id AND u.attempts > 0))"

/* A channel's undelivered messages that are still in the outbox: refused for good, and
 * waiting to retry. */
int outbox_channel_undelivered(struct store_tx *tx, int64_t channel_id, int64_t *failed,
                               int64_t *retrying, struct error *e);

struct outbox_stats {
	int64_t pending;           /* waiting, first attempt */
	int64_t retrying;          /* waiting after a failed attempt */
	int64_t in_flight;         /* claimed by a worker */
	int64_t failed;            /* refused for good */
	int64_t oldest_pending_ms; /* age of the oldest waiting message, 0 when none */
};
int outbox_stats(struct store_tx *tx, int64_t account_id, int64_t now, struct outbox_stats *out,
                 struct error *e);
/* The stats as the API answers them. */
json_t *outbox_stats_json(const struct outbox_stats *s);

struct outbox_worker;

/* Starts the delivery thread; config gives the providers' URLs and the send timeout, files
 * the bytes of the files agents send. */
struct file_store;
struct outbox_worker *outbox_worker_start(struct store *st, const struct seal *seal,
                                          const struct config *config, struct file_store *files,
                                          struct error *e);
/* Tells the worker that new messages were committed. Safe from any thread; w may be NULL. */
void outbox_worker_wake(struct outbox_worker *w);
/* Stops claiming, waits for the sends in flight (each bounded by the send timeout) and
 * records their outcomes, then stops the thread: a clean stop sends nothing twice. */
void outbox_worker_stop(struct outbox_worker *w);

#endif
