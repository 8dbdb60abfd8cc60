/*
 * One outbound HTTP request for libcurl (the outbox worker, the Telegram poller, the media
 * fetcher): the easy handle set up the one way they all need — timeouts, no signals, http(s)
 * only, the answer collected up to a cap (the rest is read and dropped, so a send is never cut
 * short; a caller that streams the answer elsewhere sets its own write function).
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
/* Sets f up to GET url, following at most 3 redirects (a provider's file link). */
void fetch_get(struct fetch *f, const char *url, char *const *headers, size_t n, long timeout_ms,
               size_t answer_max, void *private);
/* Frees what fetch_post or fetch_get made (after curl_multi_remove_handle); f may be empty. */
void fetch_clear(struct fetch *f);

#endif
