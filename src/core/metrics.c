/* Process-wide counters and histograms for GET /metrics; see metrics.h. */
#include "core/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

static const char *const labels[] = { "whatsapp", "messenger", "instagram",
	                              "telegram", "webchat",   "other" };
#define LABELS (sizeof(labels) / sizeof(labels[0]))

static const struct {
	const char *name, *label, *help;
} counters[METRICS_COUNTERS] = {
	[METRICS_WEBHOOKS_RECEIVED] = { "centralita_webhooks_received_total", "kind",
	                                "Webhook requests answered with success, by channel kind." },
	[METRICS_WEBHOOKS_REFUSED] = { "centralita_webhooks_refused_total", "kind",
	                               "Webhook requests refused (4xx or 5xx), by channel kind." },
	[METRICS_SENDS] = { "centralita_sends_total", "provider",
	                    "Send attempts to a provider's API, by provider." },
	[METRICS_SEND_FAILURES] = { "centralita_send_failures_total", "provider",
	                            "Send attempts the provider did not accept, by provider." },
	[METRICS_STORE_ERRORS] = { "centralita_store_errors_total", NULL,
	                           "Database statements that failed." },
};

static atomic_llong counts[METRICS_COUNTERS][LABELS];

/* A histogram over fixed bounds: per-bucket counts (not cumulative), their sum and count. */
#define BOUNDS_MAX 12
struct histogram {
	const char *name, *help;
	double bounds[BOUNDS_MAX];
	int nbounds;
	double scale; /* what one unit of the observed integers is in the exposed unit */
	atomic_llong buckets[BOUNDS_MAX + 1];
	atomic_llong sum, count;
};

static struct histogram group_size = {
	.name = "centralita_store_group_jobs",
	.help = "Jobs (webhooks, visitors' messages, other writes) per group commit of the store.",
	.bounds = { 1, 2, 4, 8, 16, 32, 64 },
	.nbounds = 7,
	.scale = 1.0,
};
static struct histogram commit_time = {
	.name = "centralita_store_group_commit_seconds",
	.help = "Time each group commit of the store took.",
	.bounds = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 },
	.nbounds = 10,
	.scale = 1e-6,
};
static atomic_llong scheduler_lag_ms;

static size_t label_index(const char *label)
{
	for (size_t i = 0; label != NULL && i < LABELS - 1; i++)
		if (strcmp(labels[i], label) == 0)
			return i;
	return LABELS - 1;
}

void metrics_count(enum metrics_counter c, const char *label)
{
	atomic_fetch_add(&counts[c][counters[c].label != NULL ? label_index(label) : 0], 1);
}

static void observe(struct histogram *h, int64_t v)
{
	int i = 0;
	while (i < h->nbounds && (double)v * h->scale > h->bounds[i])
		i++;
	atomic_fetch_add(&h->buckets[i], 1);
	atomic_fetch_add(&h->sum, v);
	atomic_fetch_add(&h->count, 1);
}

void metrics_group(int jobs, int64_t commit_us)
{
	observe(&group_size, jobs);
	observe(&commit_time, commit_us);
}

void metrics_scheduler_lag(int64_t lag_ms)
{
	atomic_store(&scheduler_lag_ms, lag_ms > 0 ? lag_ms : 0);
}

static void write_histogram(struct buf *out, struct histogram *h)
{
	long long cumulative = 0;
	buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
	for (int i = 0; i <= h->nbounds; i++) {
		cumulative += atomic_load(&h->buckets[i]);
		if (i < h->nbounds)
			buf_printf(out, "%s_bucket{le=\"%g\"} %lld\n", h->name, h->bounds[i],
			           cumulative);
		else
			buf_printf(out, "%s_bucket{le=\"+Inf\"} %lld\n", h->name, cumulative);
	}
	buf_printf(out, "%s_sum %.6f\n%s_count %lld\n", h->name,
	           (double)atomic_load(&h->sum) * h->scale, h->name, cumulative);
}

void metrics_write(struct buf *out)
{
	for (int c = 0; c < METRICS_COUNTERS; c++) {
		const char *name = counters[c].name;
		buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, counters[c].help, name);
		if (counters[c].label == NULL) {
			buf_printf(out, "%s %lld\n", name, atomic_load(&counts[c][0]));
			continue;
		}
		for (size_t i = 0; i < LABELS; i++)
			buf_printf(out, "%s{%s=\"%s\"} %lld\n", name, counters[c].label, labels[i],
			           atomic_load(&counts[c][i]));
	}
	write_histogram(out, &group_size);
	write_histogram(out, &commit_time);
	buf_printf(out,
	           "# HELP centralita_scheduler_lag_seconds How late the scheduler's latest round"
	           " of due work started.\n# TYPE centralita_scheduler_lag_seconds gauge\n"
	           "centralita_scheduler_lag_seconds %.3f\n",
	           (double)atomic_load(&scheduler_lag_ms) / 1000.0);
}
