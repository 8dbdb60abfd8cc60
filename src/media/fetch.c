/*
 * The media fetcher: the scheduler's job that downloads customers' files. A fetch is claimed
 * with a lease in a short transaction, performed with no transaction open (the provider's
 * lookup, then the bytes streamed into a draft, hashed and bounded), and its outcome recorded
 * in another: ready, failed with a reason, or due again after a backoff. A server that dies
 * mid-download leaves a lease that expires, and the next server (or the same one restarted)
 * fetches again. It never parses the bytes: the MIME type is the provider's word.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "events/events.h"
#include "media/media.h"

#define ANSWER_MAX (64 * 1024) /* bytes of a lookup's answer kept for reading */

int64_t media_limit(const char *kind, enum channel_kind channel_kind, const struct config *c)
{
	int64_t limit = strcmp(kind, "audio") == 0 || strcmp(kind, "video") == 0 ? MEDIA_LIMIT_AV
	                : strcmp(kind, "document") == 0                          ? MEDIA_LIMIT_DOC
	                                                : MEDIA_LIMIT_IMAGE;
	if (channel_kind == CHANNEL_TELEGRAM && limit > MEDIA_LIMIT_TG)
		limit = MEDIA_LIMIT_TG;
	if (c->media_max_bytes > 0 && limit > c->media_max_bytes)
		limit = c->media_max_bytes;
	return limit;
}

static bool is_file_kind(const char *type)
{
	static const char *const kinds[] = { "image", "audio", "video", "document", "sticker" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(type, kinds[i]) == 0)
			return true;
	return false;
}

int media_queue(struct store_tx *tx, int64_t account_id, int64_t channel_id, int64_t message_id,
                const char *type, const char *ref, const char *mime, int64_t now, size_t *queued)
{
	if (ref == NULL || !is_file_kind(type))
		return 0;
	int rc =
	    store_exec(tx,
	               "INSERT INTO media (message_id, account_id, channel_id, kind, ref,"
	               " mime_type, state, next_attempt_at, created_at)"
	               " VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
	               STORE_ARGS(SV_INT(message_id), SV_INT(account_id), SV_INT(channel_id),
	                          SV_TEXT(type), SV_TEXT(ref), SV_TEXT_NULL(mime), SV_INT(now)));
	*queued += rc > 0;
	return rc < 0 ? rc : 0;
}

int media_fetch_next_due(struct store_tx *tx, int64_t *due, struct error *e)
{
	int rc = store_get_int(tx,
	                       "SELECT coalesce(min(CASE WHEN lease_until > next_attempt_at"
	                       " THEN lease_until ELSE next_attempt_at END), 0) FROM media"
	                       " WHERE state = 'pending'",
	                       STORE_NO_ARGS, due);
	return store_failed(e, rc);
}

/* One claimed fetch. */
struct job {
	int64_t message_id;
	int64_t channel_id;
	enum channel_kind channel_kind;
	bool is_channel_active;
	char kind[16];
	char *ref;
	char *mime; /* the webhook's word, or NULL */
	int attempts;
	int64_t created_at;
	struct channel_secrets secrets;
};

/* How it went. */
struct outcome {
	enum send_outcome outcome; /* ACCEPTED: the file is stored */
	int retry_after_s;
	char reason[256];
	char sha256[MEDIA_SHA256_HEX];
	int64_t size;
	char *mime;
	bool is_stopped; /* the server is stopping: give the fetch back untouched */
};

static void read_job(struct store_rows *r, void *item)
{
	struct job *j = item;
	j->message_id = store_int(r, 0);
	j->channel_id = store_int(r, 1);
	channel_kind_parse(store_text(r, 2), &j->channel_kind);
	j->is_channel_active = store_int(r, 3) != 0;
	snprintf(j->kind, sizeof(j->kind), "%s", store_text(r, 4));
	j->ref = xstrdup(store_text(r, 5));
	j->mime = store_is_null(r, 6) ? NULL : xstrdup(store_text(r, 6));
	j->attempts = (int)store_int(r, 7) + 1;
	j->created_at = store_int(r, 8);
}

static void job_clear(struct job *j)
{
	free(j->ref);
	free(j->mime);
	channel_secrets_clear(&j->secrets);
}

/* Takes the next due fetch with a lease; ERR_NOT_FOUND when another server took it first. */
static int claim(struct media_fetcher *f, struct store_tx *tx, int64_t now, struct job *j,
                 struct error *e)
{
	int64_t lease = 2LL * f->config->media_timeout_s * 1000 + f->config->busy_timeout_ms;
	int rc =
	    store_get_row(tx,
	                  "SELECT md.message_id, md.channel_id, ch.kind, ch.is_active, md.kind,"
	                  " md.ref, md.mime_type, md.attempts, md.created_at FROM media md"
	                  " JOIN channels ch ON ch.id = md.channel_id"
	                  " WHERE md.state = 'pending' AND md.next_attempt_at <= $1"
	                  " AND (md.lease_until IS NULL OR md.lease_until < $1)"
	                  " ORDER BY md.next_attempt_at, md.message_id LIMIT 1",
	                  STORE_ARGS(SV_INT(now)), read_job, j);
	if (rc == 0)
		rc = store_exec(
		    tx,
		    "UPDATE media SET lease_owner = $2, lease_until = $3,"
		    " attempts = attempts + 1 WHERE message_id = $1"
		    " AND state = 'pending' AND (lease_until IS NULL OR lease_until < $4)",
		    STORE_ARGS(SV_INT(j->message_id), SV_TEXT(f->owner), SV_INT(now + lease),
		               SV_INT(now)));
	if (rc == 0)
		return ERR_NOT_FOUND;
	if (rc == 1 && j->is_channel_active)
		return channel_secrets_get(tx, f->seal, j->channel_id, &j->secrets, e);
	return store_failed(e, rc);
}

/* ---- performing the requests ----------------------------------------------------------- */

struct transfer {
	struct fetch fetch;
	struct file_draft *draft; /* where the bytes go; NULL: the answer is collected */
	struct scheduler *s;
};

static size_t to_draft(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	return file_draft_write(t->draft, data, size * n) ? size * n : 0;
}

static int check_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct transfer *t = arg;
	return scheduler_is_stopping(t->s) ? 1 : 0;
}

/* Runs t's request to its end; the HTTP status (0: no answer) and curl's code. */
static CURLcode perform(struct transfer *t, long *status)
{
	curl_easy_setopt(t->fetch.easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(t->fetch.easy, CURLOPT_XFERINFOFUNCTION, check_stop);
	curl_easy_setopt(t->fetch.easy, CURLOPT_XFERINFODATA, t);
	if (t->draft != NULL) {
		curl_easy_setopt(t->fetch.easy, CURLOPT_WRITEFUNCTION, to_draft);
		curl_easy_setopt(t->fetch.easy, CURLOPT_WRITEDATA, t);
		curl_easy_setopt(t->fetch.easy, CURLOPT_MAXFILESIZE_LARGE,
		                 (curl_off_t)t->draft->max);
	}
	CURLcode code = curl_easy_perform(t->fetch.easy);
	*status = 0;
	if (code == CURLE_OK)
		curl_easy_getinfo(t->fetch.easy, CURLINFO_RESPONSE_CODE, status);
	return code;
}

static void reason(struct outcome *o, enum send_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reason(struct outcome *o, enum send_outcome outcome, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
	o->outcome = outcome;
}

/* Where the bytes are: the lookup's answer, or the webhook's URL (Meta). */
static int find_source(struct media_fetcher *f, struct scheduler *s, const struct channel_send *cs,
                       const struct job *j, struct media_source *src, struct outcome *o)
{
	struct channel_request *req = NULL;
	struct error e;
	struct send_result r;
	if (media_lookup_new(cs, j->ref, &req, &e) < 0) {
		reason(o, SEND_PERMANENT, "%s", e.message);
		return -1;
	}
	struct transfer t = { .s = s };
	long status = 0;
	CURLcode code = CURLE_OK;
	if (req != NULL) {
		long timeout = (long)f->config->media_timeout_s * 1000;
		if (strcmp(req->method, "GET") == 0)
			fetch_get(&t.fetch, req->url, req->headers, req->header_count, timeout,
			          ANSWER_MAX, NULL);
		else
			fetch_post(&t.fetch, req->url, req->headers, req->header_count, req->body,
			           req->body_len, timeout, ANSWER_MAX, NULL);
		code = perform(&t, &status);
	}
	int rc =
	    media_source_read(cs, j->ref, status, t.fetch.answer.data, t.fetch.answer.len, src, &r);
	if (rc < 0) {
		o->is_stopped = code == CURLE_ABORTED_BY_CALLBACK;
		o->retry_after_s = r.retry_after_s;
		if (code != CURLE_OK)
			reason(o, SEND_TRANSIENT, "could not reach the provider: %s",
			       curl_easy_strerror(code));
		else
			reason(o, r.outcome, "%s", r.reason);
		log_info("media: message %lld: %s %s: %s", (long long)j->message_id,
		         req != NULL ? req->method : "-", req != NULL ? req->url_for_log : "-",
		         o->reason);
	}
	fetch_clear(&t.fetch);
	channel_request_free(req);
	return rc;
}

static const char *kind_words(const char *kind)
{
	return strcmp(kind, "image") == 0      ? "images"
	       : strcmp(kind, "sticker") == 0  ? "stickers"
	       : strcmp(kind, "document") == 0 ? "documents"
	       : strcmp(kind, "audio") == 0    ? "audio"
	                                       : "videos";
}

static void too_large(struct outcome *o, const char *kind, int64_t size, int64_t limit)
{
	if (size > 0)
		reason(o, SEND_PERMANENT,
		       "The file is too large: %lld bytes, over the limit of %lld for %s.",
		       (long long)size, (long long)limit, kind_words(kind));
	else
		reason(o, SEND_PERMANENT, "The file is too large: over the limit of %lld for %s.",
		       (long long)limit, kind_words(kind));
}

/* What a browser is told the file is: the provider's word, else a safe guess by kind. */
static char *choose_mime(const struct media_source *src, const struct job *j,
                         const char *content_type)
{
	char *mime = media_mime_clean(src->mime_type);
	if (mime == NULL)
		mime = media_mime_clean(j->mime);
	if (mime == NULL) {
		mime = media_mime_clean(content_type);
		if (mime != NULL && strcmp(mime, "application/octet-stream") == 0) {
			free(mime);
			mime = NULL;
		}
	}
	if (mime != NULL)
		return mime;
	return xstrdup(strcmp(j->kind, "image") == 0     ? "image/jpeg"
	               : strcmp(j->kind, "sticker") == 0 ? "image/webp"
	               : strcmp(j->kind, "audio") == 0   ? "audio/ogg"
	               : strcmp(j->kind, "video") == 0   ? "video/mp4"
	                                                 : "application/octet-stream");
}

/* An HTML answer where a file was expected is a login or error page, not the file (unless
 * the file was announced as HTML). */
static bool is_html(const char *type)
{
	return type != NULL && strncmp(type, "text/html", 9) == 0;
}

/* The bytes, into the file store. */
static void download(struct media_fetcher *f, struct scheduler *s, const struct job *j,
                     const struct channel_send *cs, const struct media_source *src,
                     struct outcome *o)
{
	int64_t limit = media_limit(j->kind, j->channel_kind, f->config);
	if (src->size > limit) {
		too_large(o, j->kind, src->size, limit);
		return;
	}
	struct file_draft draft;
	struct error e;
	if (file_draft_begin(f->files, limit, &draft, &e) < 0) {
		reason(o, SEND_TRANSIENT, "%s", e.message);
		return;
	}
	char bearer[CHANNEL_SECRET_MAX + 32];
	char *headers[1] = { bearer };
	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", cs->token);
	struct transfer t = { .s = s, .draft = &draft };
	fetch_get(&t.fetch, src->url, headers, src->is_bearer ? 1 : 0,
	          (long)f->config->media_timeout_s * 1000, 0, NULL);
	long status = 0;
	CURLcode code = perform(&t, &status);
	sodium_memzero(bearer, sizeof(bearer));
	const char *type = NULL;
	curl_easy_getinfo(t.fetch.easy, CURLINFO_CONTENT_TYPE, &type);
	char sha256[MEDIA_SHA256_HEX];
	file_draft_digest(&draft, sha256);
	unsigned char announced[32];
	char announced_hex[MEDIA_SHA256_HEX];
	if (src->has_sha256) {
		memcpy(announced, src->sha256, sizeof(announced));
		sodium_bin2hex(announced_hex, sizeof(announced_hex), announced, sizeof(announced));
	}
	if (code == CURLE_ABORTED_BY_CALLBACK && scheduler_is_stopping(s))
		o->is_stopped = true;
	else if (code == CURLE_FILESIZE_EXCEEDED || draft.is_too_large)
		too_large(o, j->kind, -1, limit);
	else if (draft.is_failed)
		reason(o, SEND_TRANSIENT, "could not write the file to the file store");
	else if (code != CURLE_OK)
		reason(o, SEND_TRANSIENT, "could not reach the provider: %s",
		       curl_easy_strerror(code));
	else if (status == 408 || status == 429 || status >= 500)
		reason(o, SEND_TRANSIENT, "the provider answered HTTP %ld for the file", status);
	else if (status == 404 || status == 410)
		reason(o, SEND_PERMANENT, "The provider no longer has the file (HTTP %ld).",
		       status);
	else if (status < 200 || status > 299)
		reason(o, SEND_PERMANENT, "The provider refused the file (HTTP %ld).", status);
	else if (is_html(type) && !is_html(src->mime_type) && !is_html(j->mime))
		reason(o, SEND_PERMANENT, "The provider answered a web page instead of the file.");
	else if (draft.size == 0)
		reason(o, SEND_PERMANENT, "The provider sent an empty file.");
	else if (src->has_sha256 && strcmp(sha256, announced_hex) != 0)
		reason(o, SEND_PERMANENT,
		       "The file does not match the SHA-256 the provider announced.");
	else if (file_store_put(f->files, &draft, sha256, &e) < 0)
		reason(o, SEND_TRANSIENT, "%s", e.message);
	else {
		o->outcome = SEND_ACCEPTED;
		memcpy(o->sha256, sha256, sizeof(o->sha256));
		o->size = draft.size;
		o->mime = choose_mime(src, j, type);
	}
	if (o->outcome != SEND_ACCEPTED && !o->is_stopped)
		log_info("media: message %lld: GET %s: %s", (long long)j->message_id,
		         src->url_for_log, o->reason);
	file_draft_drop(&draft);
	fetch_clear(&t.fetch);
}

/* ---- recording ------------------------------------------------------------------------ */

static int record(struct media_fetcher *f, struct store_tx *tx, const struct job *j,
                  struct outcome *o, int64_t now)
{
	int rc;
	if (o->is_stopped)
		return store_exec(tx,
		                  "UPDATE media SET attempts = attempts - 1, lease_owner = NULL,"
		                  " lease_until = NULL WHERE message_id = $1 AND lease_owner = $2",
		                  STORE_ARGS(SV_INT(j->message_id), SV_TEXT(f->owner)));
	if (o->outcome == SEND_TRANSIENT && now - j->created_at < MEDIA_GIVE_UP_MS) {
		uint32_t random = randombytes_random();
		double jitter = (double)random / (double)UINT32_MAX * 2.0 - 1.0;
		int64_t delay = clock_backoff_ms(j->attempts, jitter, o->retry_after_s);
		log_info("media: message %lld: %s; retry %d in %lld ms", (long long)j->message_id,
		         o->reason, j->attempts, (long long)delay);
		return store_exec(tx,
		                  "UPDATE media SET next_attempt_at = $2, error = $3,"
		                  " lease_owner = NULL, lease_until = NULL"
		                  " WHERE message_id = $1 AND lease_owner = $4",
		                  STORE_ARGS(SV_INT(j->message_id), SV_INT(now + delay),
		                             SV_TEXT(o->reason), SV_TEXT(f->owner)));
	}
	if (o->outcome == SEND_ACCEPTED) {
		rc = file_record(tx, o->sha256, o->size, o->mime, now);
		if (rc >= 0)
			rc = store_exec(
			    tx,
			    "UPDATE media SET state = 'ready', sha256 = $2, error = NULL,"
			    " next_attempt_at = NULL, lease_owner = NULL,"
			    " lease_until = NULL WHERE message_id = $1 AND lease_owner = $3",
			    STORE_ARGS(SV_INT(j->message_id), SV_TEXT(o->sha256),
			               SV_TEXT(f->owner)));
	} else {
		char line[300];
		snprintf(line, sizeof(line), "%s%s",
		         o->outcome == SEND_TRANSIENT ? "gave up after 24 hours: " : "", o->reason);
		log_warn("media: message %lld: the file could not be fetched: %s",
		         (long long)j->message_id, line);
		rc =
		    store_exec(tx,
		               "UPDATE media SET state = 'failed', error = $2,"
		               " next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL"
		               " WHERE message_id = $1 AND lease_owner = $3",
		               STORE_ARGS(SV_INT(j->message_id), SV_TEXT(line), SV_TEXT(f->owner)));
	}
	if (rc == 1)
		rc = events_emit_message(tx, "message.updated", j->message_id, now);
	return rc;
}

int media_fetch_work(struct scheduler *s, void *arg, int64_t now, struct error *e)
{
	struct media_fetcher *f = arg;
	struct job j = { 0 };
	struct store_tx *tx = store_begin(f->store, STORE_WRITE);
	int rc = tx != NULL ? claim(f, tx, now, &j, e)
	                    : error_set(e, ERR_UNAVAILABLE, "the database is not available");
	rc = rc == 0 ? store_commit(tx) : (store_rollback(tx), rc);
	if (rc < 0) {
		job_clear(&j);
		return rc == ERR_NOT_FOUND ? 0 : store_failed(e, rc);
	}
	const struct config *c = f->config;
	struct channel_send cs = {
		.kind = j.channel_kind,
		.api_url =
		    j.channel_kind == CHANNEL_TELEGRAM ? c->telegram_api_url : c->graph_api_url,
		.api_version = c->graph_api_version,
		.token = j.channel_kind == CHANNEL_TELEGRAM ? j.secrets.bot_token
		                                            : j.secrets.access_token,
	};
	struct outcome o = { 0 };
	struct media_source src = { 0 };
	if (!j.is_channel_active)
		reason(&o, SEND_PERMANENT, "The channel was removed.");
	else if (cs.token == NULL)
		reason(&o, SEND_PERMANENT, "The channel has no credential to fetch files with.");
	else if (find_source(f, s, &cs, &j, &src, &o) == 0)
		download(f, s, &j, &cs, &src, &o);
	media_source_clear(&src);
	int64_t done = clock_now_ms();
	tx = store_begin(f->store, STORE_WRITE);
	rc = tx != NULL ? record(f, tx, &j, &o, done) : ERR_UNAVAILABLE;
	rc = rc >= 0 ? store_commit(tx) : (store_rollback(tx), rc);
	if (rc < 0)
		log_error(
		    "media: could not record the fetch of message %lld; its lease will expire "
		    "and it will be fetched again",
		    (long long)j.message_id);
	free(o.mime);
	job_clear(&j);
	return 0;
}
