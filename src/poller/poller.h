/*
 * The Telegram poller: for each active Telegram channel, either long-polls getUpdates (polling
 * mode, for servers with no public URL; the offset is stored with the updates it confirms) or
 * registers the webhook with setWebhook (webhook mode). One thread, libcurl multi, one call in
 * flight per channel. Updates go through ingest like webhook deliveries. With several servers
 * on one database, one server at a time makes a channel's calls (store_leader_try, per channel),
 * and another takes over within about a second once it is gone.
 */
#ifndef POLLER_POLLER_H
#define POLLER_POLLER_H

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "outbox/outbox.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

#define POLL_TIMEOUT_S      25   /* getUpdates long-poll timeout */
#define POLL_REFRESH_MS     5000 /* how often the channel list is read again */
#define POLL_MAX_BACKOFF_MS 60000

struct poller;

struct poller *poller_start(struct store *st, const struct seal *seal, const struct config *config,
                            struct outbox_worker *outbox, struct scheduler *scheduler,
                            struct error *e);
/* Tells the poller the Telegram channels changed (added, removed). Safe from any thread. */
void poller_wake(struct poller *p);
void poller_stop(struct poller *p);

#endif
