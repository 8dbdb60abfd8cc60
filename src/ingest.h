/*
 * ingest: the events of one webhook (or one Telegram update) into the store, inside the
 * caller's transaction: contact and identity, conversation, message — deduplicated by the
 * provider's message id — plus delivery statuses, edits and echoes. The caller commits and
 * only then acknowledges the provider, so nothing acknowledged is lost.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "inbox/inbox.h"
#include "providers/providers.h"
#include "store/store.h"

struct ingest_counts {
	size_t stored;     /* new messages (customer messages and echoes) */
	size_t duplicates; /* deliveries of messages already stored */
	size_t statuses;   /* status events that changed one of our messages */
	size_t edits;
	size_t ignored;     /* understood but not for the inbox (logged) */
	size_t queued;      /* replies routing queued: wake the outbox after commit */
	size_t media;       /* files to fetch: wake the scheduler after commit */
	int64_t message_id; /* the last message event's message, new or already stored */
};

/* Stores every event of list that belongs to channel ch; events naming another channel id
 * (a Meta body can name several) are left for that channel's call. */
int ingest_events(struct store_tx *tx, const struct channel *ch, const struct inbound_list *list,
                  int64_t now, struct ingest_counts *counts, struct error *e);

/*
 * One delivery (a webhook's body, a batch of Telegram updates) for the store's group commit:
 * its events for each of its verified channels, committed with whatever else arrived
 * meanwhile. done runs on the store's writer thread once the group is committed (rc 0) or
 * failed: then is_own tells whether e describes the delivery's own error or the group's
 * commit failed (rc).
 */
struct ingest_job {
	const struct channel *channels;
	size_t channel_count;
	const struct inbound_list *events;
	int64_t now;
	/* More work that commits with the events (the poller's offset), or NULL; sets e. */
	int (*also)(struct store_tx *tx, struct ingest_job *j);
	void (*done)(struct ingest_job *j, int rc); /* for ingest_submit */
	/* Results, for done. */
	struct ingest_counts counts; /* summed over the channels */
	struct error e;
	bool is_own;
	struct store_job job; /* private */
};
void ingest_submit(struct store *st, struct ingest_job *j);
/* For a caller that waits (the poller's thread): runs j in the next group and
 * returns once its group is committed: 0, or the error that j->e describes. */
int ingest_run(struct store *st, struct ingest_job *j);

#endif
