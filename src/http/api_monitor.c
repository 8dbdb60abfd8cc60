/*
 * GET /metrics: the Prometheus text exposition for monitoring, behind its own bearer token
 * (--metrics-token-file), off without one. core/metrics.c's counters and histograms, then
 * the gauges read now: open event streams and the outbox's messages by state.
 */
#include <string.h>

#include "core/metrics.h"
#include "http/api.h"

/* The outbox's rows by state, every state written even when none is there. */
static int write_outbox(struct store_tx *tx, struct buf *out)
{
	static const char *const states[] = { "pending", "sending", "failed" };
	buf_puts(out, "# HELP centralita_outbox_messages Outgoing messages in the outbox, by state"
	              " (pending: queued or waiting to retry).\n"
	              "# TYPE centralita_outbox_messages gauge\n");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		int64_t n = 0;
		int rc = store_get_int(tx, "SELECT count(*) FROM outbox WHERE state = $1",
		                       STORE_ARGS(SV_TEXT(states[i])), &n);
		if (rc < 0)
			return rc;
		buf_printf(out, "centralita_outbox_messages{state=\"%s\"} %lld\n", states[i],
		           (long long)n);
	}
	return 0;
}

void api_prometheus(struct http_request *req, struct http_response *res)
{
	const char *expected = req->app->metrics_token_hash;
	const char *auth = http_header(req, "Authorization");
	if (expected[0] == '\0') {
		http_reply_errorf(res, ERR_NOT_FOUND,
		                  "metrics are off: start the server with --metrics-token-file");
		return;
	}
	char hash[TOKEN_HASH_LEN];
	bool is_bearer = auth != NULL && strncmp(auth, "Bearer ", 7) == 0;
	if (is_bearer)
		token_hash(auth + 7, strlen(auth + 7), hash);
	if (!is_bearer || !token_equal(hash, expected)) {
		http_reply_errorf(res, ERR_UNAUTHENTICATED,
		                  "send the metrics token as Authorization: Bearer TOKEN");
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	buf_reset(&res->body);
	metrics_write(&res->body);
	buf_printf(&res->body,
	           "# HELP centralita_event_streams_open Event streams open (inbox and web chat).\n"
	           "# TYPE centralita_event_streams_open gauge\n"
	           "centralita_event_streams_open %d\n",
	           events_hub_streams(req->app->events));
	int rc = write_outbox(tx, &res->body);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_errorf(res, (enum err)rc, "the database is not answering");
		return;
	}
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
