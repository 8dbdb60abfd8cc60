/*
 * scheduler/: one thread that runs work at due times kept in the database — the snooze
 * wake-ups today, and the later timers (business hours, reassignment, media fetches,
 * webhook retries) as more jobs. Each job says when its next work is due and does the work
 * that is due; between them the thread sleeps until the earliest due time or a wake-up, so
 * it is idle when nothing is due. It knows no table: the jobs (inbox/, media/) do. With
 * several servers on one database, one server at a time runs the jobs that are not
 * is_on_every_server (store_leader_try), and every server looks at the due times at least
 * once a second, since others write them too.
 */
#ifndef SCHEDULER_SCHEDULER_H
#define SCHEDULER_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

struct scheduler;

struct scheduler_job {
	const char *name; /* for the log */
	/* The earliest due time (UTC ms) of the job's work, 0 when nothing is waiting; in a read
	 * transaction. */
	int (*next_due)(struct store_tx *tx, int64_t *due, struct error *e);
	/* Does the work due at now in a write transaction, which the scheduler commits. */
	int (*run)(struct store_tx *tx, int64_t now, struct error *e);
	/* Or (run NULL), work that waits on the network (media fetches): one piece of the work
	 * due at now, outside any transaction — it opens its own short ones and never holds one
	 * while it waits — and it ends early when scheduler_is_stopping(s). */
	int (*work)(struct scheduler *s, void *arg, int64_t now, struct error *e);
	void *arg;
	/* The job claims its work so that servers never take the same piece (leases): every
	 * server runs it. Otherwise only the scheduler's leader does. */
	bool is_on_every_server;
};

/* Starts the thread over n jobs (the array must outlive the scheduler). NULL on failure. */
struct scheduler *scheduler_start(struct store *st, const struct scheduler_job *jobs, size_t n,
                                  struct error *e);
/* Something may be due sooner than the scheduler knows (a new snooze was committed): it
 * looks at the due times again. Safe from any thread; s may be NULL. */
void scheduler_wake(struct scheduler *s);
/* True once scheduler_stop was called: a job's long work gives up its piece. */
bool scheduler_is_stopping(struct scheduler *s);
/* Stops the thread after the work in hand and frees s; s may be NULL. */
void scheduler_stop(struct scheduler *s);

#endif
