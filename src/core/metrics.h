/*
 * The counters and histograms behind GET /metrics (Prometheus text format): process-wide,
 * lock-free, from zero at start. Modules count what they do here; http/ writes them out with
 * the gauges it reads at scrape time. Labels are a small fixed set (the channel kinds).
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdint.h>

#include "core/buf.h"

enum metrics_counter {
	METRICS_WEBHOOKS_RECEIVED, /* by kind: answered 2xx */
	METRICS_WEBHOOKS_REFUSED,  /* by kind: answered 4xx or 5xx */
	METRICS_SENDS,             /* by provider: every send attempt to a provider's API */
	METRICS_SEND_FAILURES,     /* by provider: those not accepted */
	METRICS_STORE_ERRORS,      /* statements that failed (logged by the store) */
	METRICS_COUNTERS
};

/* Adds one to counter c under label (a channel kind's name; NULL for unlabelled counters;
 * one it does not know counts as "other"). */
void metrics_count(enum metrics_counter c, const char *label);
/* One group commit of the store: how many jobs (webhooks, visitors' messages) it held and
 * how long its commit took. */
void metrics_group(int jobs, int64_t commit_us);
/* How late the scheduler's latest round of due work started, in ms. */
void metrics_scheduler_lag(int64_t lag_ms);
/* Appends every counter and histogram, each with its HELP and TYPE lines. */
void metrics_write(struct buf *out);

#endif
