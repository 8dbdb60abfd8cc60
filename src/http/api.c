/*
 * The helpers every API handler is made of, and the one shape they share: read the input,
 * then api_run: one transaction, the inbox call, the commit, the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "http/parse.h"

struct store_tx *api_begin(struct http_request *req, struct http_response *res,
                           enum store_mode mode)
{
	struct store_tx *tx = store_begin(req->app->store, mode);
	if (tx == NULL)
		http_reply_errorf(res, ERR_UNAVAILABLE, "the database is not available");
	return tx;
}

int api_finish(struct http_response *res, struct store_tx *tx, int rc, const struct error *e)
{
	if (rc < 0) {
		store_rollback(tx);
		http_reply_error(res, e);
		return rc;
	}
	rc = store_commit(tx);
	if (rc < 0)
		http_reply_errorf(res, rc, "the change could not be saved; nothing changed");
	return rc;
}

json_t *api_read_body(struct http_request *req, struct http_response *res,
                      const struct json_field *fields, size_t n)
{
	json_t *body = http_body_json(req, res);
	struct error e;
	if (body != NULL && json_read_fields(body, fields, n, &e) < 0) {
		http_reply_error(res, &e);
		json_decref(body);
		return NULL;
	}
	return body;
}

int api_query_int(struct http_request *req, const char *name, int64_t lo, int64_t hi, int64_t def,
                  int64_t *out, struct error *e)
{
	const char *s = http_query(req, name);
	*out = def;
	if (s == NULL)
		return 0;
	if (!http_parse_int(s, lo, hi, out))
		return error_set(e, ERR_INVALID, "'%s' must be a whole number from %lld to %lld",
		                 name, (long long)lo, (long long)hi);
	return 0;
}

#define RANGE_DEFAULT_MS (7LL * 24 * 3600 * 1000)

/* ?from=&to=: see api_reply_range_report. */
static int query_range(struct http_request *req, int64_t *from, int64_t *to, struct error *e)
{
	int64_t now = clock_now_ms();
	if (api_query_int(req, "to", 1, INT64_MAX, now + 1, to, e) < 0 ||
	    api_query_int(req, "from", 0, INT64_MAX, *to - RANGE_DEFAULT_MS, from, e) < 0)
		return -1;
	return *from > *to ? error_set(e, ERR_INVALID, "'from' must not be after 'to'") : 0;
}

void api_reply_range_report(struct http_request *req, struct http_response *res,
                            api_range_report report)
{
	int64_t from, to;
	struct error e;
	if (query_range(req, &from, &to, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	json_t *out;
	if (report(tx, req->who.account_id, from, to, &out, &e) < 0)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, out);
	store_rollback(tx);
}

int api_query_text(struct http_request *req, const char *name, size_t max, const char **out,
                   struct error *e)
{
	const char *s = http_query(req, name);
	*out = s != NULL && s[0] != '\0' ? s : NULL;
	if (s != NULL && strlen(s) > max)
		return error_set(e, ERR_INVALID, "'%s' is longer than %zu bytes", name, max);
	return 0;
}

/*
 * A list's cursor: the last item's "<sort time>.id" (conversations: last_activity_at), base64url.
 * It is a position, not a secret (every page goes through the visibility rule), so it is not
 * signed; it is decoded strictly and anything else is refused.
 */
int api_cursor_decode(const char *text, int64_t *at, int64_t *id, struct error *e)
{
	if (!http_cursor_decode(text, at, id))
		return error_set(e, ERR_INVALID, "'cursor' is not one this server gave");
	return 0;
}

int api_run(struct http_request *req, struct http_response *res, enum store_mode mode, int status,
            api_call call, void *arg)
{
	struct store_tx *tx = api_begin(req, res, mode);
	if (tx == NULL)
		return ERR_UNAVAILABLE;
	json_t *answer = NULL;
	struct error e = { 0 };
	int rc = call(req, tx, arg, &answer, &e);
	if (rc < 0 && answer != NULL) {
		store_rollback(tx);
		http_reply_json(res, err_http_status(e.code), answer);
		return rc;
	}
	if (mode == STORE_READ && rc == 0)
		store_rollback(tx);
	else if ((rc = api_finish(res, tx, rc, &e)) < 0)
		goto fail;
	if (answer != NULL)
		http_reply_json(res, status, answer);
	else
		http_reply_empty(res);
	return 0;
fail:
	json_decref(answer);
	return rc;
}
