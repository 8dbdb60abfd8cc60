/*
 * One outbound HTTP POST for a libcurl multi handle (the outbox worker, the Telegram poller),
 * or one GET performed at once (the template sync): the easy handle set up the one way all need —
 * timeouts, no signals, http(s) only, the answer collected up to a cap (the rest is read and
 * dropped, so a send is never cut short).
 */
#ifndef CORE_FETCH_H
#define CORE_FETCH_H

#include <curl/curl.h>
#include <stddef.h>

#include "core/buf.h"

struct fetch {
	CURL *easy;
	struct curl_slist *headers;
	struct buf answer;
	size_t answer_max;
};

/* Sets f up to POST body to url with n "Name: value" headers; CURLINFO_PRIVATE gives back
 * private. The caller adds f->easy to its multi handle. */
void fetch_post(struct fetch *f, const char *url, char *const *headers, size_t n, const char *body,
                size_t len, long timeout_ms, size_t answer_max, void *private);
/* GETs url at once (blocking the calling thread up to timeout_ms) with n headers; the HTTP
 * status, or 0 when no answer came. The answer is in f->answer; fetch_clear() after. */
long fetch_get_now(struct fetch *f, const char *url, char *const *headers, size_t n,
                   long timeout_ms, size_t answer_max);
/* Frees what fetch_post or fetch_get_now made (after curl_multi_remove_handle); f may be empty. */
void fetch_clear(struct fetch *f);

#endif
