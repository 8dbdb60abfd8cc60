/*
 * Events: what changed, for the web inbox's live stream. The store side writes an event in
 * the transaction of the change it reports, with the conversation's team and assignee at
 * that moment (and just before it), so the visibility rule can be applied to it later. The
 * hub (one thread) reads new events from the store, filters them per subscriber with that
 * rule and the current team memberships, writes Server-Sent Events frames to each
 * subscriber's socket (handed over by http/ once the answer's headers are made, so a stream
 * costs its own state and not an HTTP connection's), and ends the streams whose login ended.
 * Recording an event also queues its
 * outbound webhook deliveries (webhook_deliveries) for the account's endpoints that subscribe
 * to its type; webhooks/ sends them.
 */
#ifndef EVENTS_EVENTS_H
#define EVENTS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "accounts/accounts.h"
#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

#define EVENTS_KEEP_MS  (24LL * 3600 * 1000) /* events are kept at least this long */
#define EVENTS_HOLD_MAX (64 * 1024) /* unread text a subscriber may hold; the rest stays stored */

/* Records an event about conversation_id (its account, team and assignee are read from it)
 * whose data is {key: value, "conversation_id"}. Every event's data is built by the database
 * in the statement that records it (json_object()), never in C. */
int events_emit(struct store_tx *tx, int64_t conversation_id, const char *kind, const char *key,
                int64_t value, int64_t now);
/* conversation.created, for a conversation made in this transaction (before its first
 * message's event). */
int events_emit_conversation_created(struct store_tx *tx, int64_t conversation_id, int64_t now);
/* An event about one message (kind message.created or message.updated): its conversation,
 * id, direction, sender and status. */
int events_emit_message(struct store_tx *tx, const char *kind, int64_t message_id, int64_t now);
/* Runs sql, which yields message ids (an UPDATE … RETURNING id), and records kind for each
 * of them; returns how many, or a negative enum err — a store_exec that reports. */
int events_emit_messages(struct store_tx *tx, const char *kind, int64_t now, const char *sql,
                         const struct store_value *args, int nargs);
/* Where a conversation was: its team and assignee (0: none). */
struct events_place {
	int64_t team_id;
	int64_t assignee_id;
};
/* conversation.updated: its status, team and assignee now, and the action that caused it
 * (transfer, assignment, status, routing, tags, read). before (may be NULL: where it is now)
 * is where it was before the change: whoever saw it there gets this event too, so a team
 * it was transferred away from hears that it left — and nothing after. */
int events_emit_conversation(struct store_tx *tx, int64_t conversation_id, const char *action,
                             const struct events_place *before, int64_t now);

/* A conversation created in this transaction: its events so far get the team and assignee
 * it has now, before and after. Nobody saw it anywhere else, so nobody outside its first
 * committed place hears of it (routing may move it out of the general inbox at once). */
int events_place_new(struct store_tx *tx, int64_t conversation_id);

/* An event about a contact (no conversation), for one audience: the account's admins when
 * user_id is 0, else that one user. data is {"contact_id"}. The caller decides who may see
 * the contact (inbox/); the hub delivers to exactly that audience. */
int events_emit_contact(struct store_tx *tx, int64_t account_id, int64_t contact_id,
                        int64_t user_id, const char *kind, int64_t now);

struct events_hub;
struct events_sub;

/* Starts the hub's thread, woken by this server's commits and by the other servers' that the
 * store hears (store_listen); idle subscribers get a ": ping" comment every sse_heartbeat_ms,
 * and the config's streams_per_user and streams_per_address cap the subscriptions. */
struct events_hub *events_hub_start(struct store *st, const struct config *c, struct error *e);
/* fn(arg) runs on the committing thread after each write transaction, which may have written
 * events (and queued webhook deliveries), with the hub's lock held: it must be quick and take
 * no lock. One listener, NULL for none; once this returns the old one is not called again. */
void events_hub_listen(struct events_hub *h, void (*fn)(void *arg), void *arg);
/* Ends every subscription (readers see the end of their stream) and refuses new ones. */
void events_hub_end(struct events_hub *h);
/* How many event streams the server has descriptors for (the HTTP server's share of them):
 * beyond it a new stream is refused with ERR_UNAVAILABLE. */
void events_hub_set_total(struct events_hub *h, int streams);
/* How many event streams are open (GET /metrics). */
int events_hub_streams(struct events_hub *h);
/* Stops the thread and frees what is left; no reader may run any more. */
void events_hub_stop(struct events_hub *h);

/* How a stream logged in: the hub checks it about once a second and ends the stream once it
 * no longer holds (logged out, token deleted, user deactivated, password changed). */
struct events_login {
	bool is_session; /* the session cookie's token; otherwise a bearer API token */
	char token[API_TOKEN_LEN];
};

/*
 * Subscribes who, logged in by login from the client address, to the events after last_id (-1:
 * only those to come), every one of them in order. An id the store cannot resume from (older
 * than the oldest kept, or newer than the newest) starts the stream with a `reset` event
 * instead, and so does a gap a slow reader falls into: a subscriber holds at most
 * EVENTS_HOLD_MAX unread, the rest is read from the store as it drains, and what was deleted
 * meanwhile is a reset. ERR_RATE_LIMITED when the user or the address has as many streams as
 * the caps allow. The hub holds the stream's text until events_sub_start gives it the
 * client's socket, or frees the subscription after events_sub_close.
 */
int events_subscribe(struct events_hub *h, const struct actor *who,
                     const struct events_login *login, const char *address, int64_t last_id,
                     struct events_sub **out, struct error *e);
/* The same for a web chat visitor (identity_id > 0): only the events written for visitors (its
 * own conversations' outgoing messages as they become sent). The per-user cap counts the
 * visitor's streams. */
int events_subscribe_visitor(struct events_hub *h, int64_t identity_id, const char *address,
                             int64_t last_id, struct events_sub **out, struct error *e);
/* The socket fd (non-blocking) is the hub's from now on: it writes head (the answer's status
 * line and headers) and then the stream to it, without blocking, from a buffer of its own,
 * and closes it at the stream's end or once the client went away. */
void events_sub_start(struct events_sub *s, int fd, const char *head, size_t len);
/* The stream will not be started (its answer could not be made): the hub frees it. */
void events_sub_close(struct events_sub *s);

#endif
