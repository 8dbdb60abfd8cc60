/*
 * scheduler/: one thread that runs work at due times kept in the database — the snooze
 * wake-ups and the daily template syncs today, and the later timers (business hours, reassignment,
 * media fetches, webhook retries) as more jobs. Each job says when its next work is due and does
 * the work that is due; between them the thread sleeps until the earliest due time or a wake-up, so
 * it is idle when nothing is due. It knows no table: the jobs (inbox/ functions) do.
 */
#ifndef SCHEDULER_SCHEDULER_H
#define SCHEDULER_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

struct scheduler_job {
	const char *name; /* for the log */
	/* The earliest due time (UTC ms) of the job's work, 0 when nothing is waiting; in a read
	 * transaction. */
	int (*next_due)(struct store_tx *tx, int64_t *due, struct error *e);
	/* Does the work due at now in a write transaction, which the scheduler commits. */
	int (*run)(struct store_tx *tx, int64_t now, struct error *e);
	/* Instead of run (NULL), for work that waits on the network (template syncs): called
	 * with no transaction open, it opens its own short ones, and claims its work in the
	 * store first so that another server does not do it too. ctx is given back. */
	int (*run_outside)(void *ctx, int64_t now, struct error *e);
	void *ctx;
};

/* Starts the thread over n jobs (the array must outlive the scheduler). NULL on failure. */
struct scheduler *scheduler_start(struct store *st, const struct scheduler_job *jobs, size_t n,
                                  struct error *e);
/* Something may be due sooner than the scheduler knows (a new snooze was committed): it
 * looks at the due times again. Safe from any thread; s may be NULL. */
void scheduler_wake(struct scheduler *s);
/* Stops the thread after the work in hand and frees s; s may be NULL. */
void scheduler_stop(struct scheduler *s);

#endif
