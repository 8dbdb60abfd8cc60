/*
 * One outbound HTTP request for libcurl (the outbox worker, the Telegram poller, the media
 * fetcher, the webhook sender): the easy handle set up the one way they all need — timeouts,
 * no signals, http(s) only, the answer collected up to a cap (the rest is read and dropped, so
 * a send is never cut short; a caller that streams the answer elsewhere sets its own write
 * function). URLs an admin typed are guarded besides (fetch_guard): no redirects, and no
 * connection to loopback, private, link-local or metadata addresses, checked on the address
 * each connection is opened to, so a name that resolves elsewhere later gains nothing.
 */
#ifndef CORE_FETCH_H
#define CORE_FETCH_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/err.h"

#define FETCH_URL_MAX 2048 /* bytes of a URL an admin may type */

struct fetch {
	CURL *easy;
	struct curl_slist *headers;
	struct buf answer;
	size_t answer_max;
	bool is_guarded;
	char refused[128]; /* why a guarded fetch refused to connect; "" when it did not */
	curl_mime *mime;   /* a multipart body's (fetch_post_form) */
	int file_fd;       /* its file part's bytes, read at file_at; not owned */
	int64_t file_at;
};

/* A multipart/form-data body: text fields, then one file part of file_size bytes read from
 * file_fd (positioned reads; the caller keeps it open until the transfer ends and closes it). */
struct fetch_form {
	char *const *names;
	char *const *values;
	size_t field_count;
	const char *file_field, *file_name, *file_mime;
	int file_fd;
	int64_t file_size;
};

/* Sets f up to POST body to url with n "Name: value" headers; CURLINFO_PRIVATE gives back
 * private. The caller adds f->easy to its multi handle. */
void fetch_post(struct fetch *f, const char *url, char *const *headers, size_t n, const char *body,
                size_t len, long timeout_ms, size_t answer_max, void *private);
/* Like fetch_post, with form as the body; curl writes the form's Content-Type. */
void fetch_post_form(struct fetch *f, const char *url, char *const *headers, size_t n,
                     const struct fetch_form *form, long timeout_ms, size_t answer_max,
                     void *private);
/* Sets f up to GET url, following at most 3 redirects (a provider's file link). */
void fetch_get(struct fetch *f, const char *url, char *const *headers, size_t n, long timeout_ms,
               size_t answer_max, void *private);
/* The next transfer of multi that finished, taken off it: its CURLINFO_PRIVATE, *code its
 * result; NULL when no other has finished. */
void *fetch_next_done(CURLM *multi, CURLcode *code);
/* Guards f (after fetch_post): no redirects, no proxy, and unless allow_private (the
 * operator's opt-in for receivers on the same network) every connection it opens must go to
 * a public address. */
void fetch_guard(struct fetch *f, bool allow_private);
/* Why an address is refused for URLs an admin typed ("a loopback address"), or NULL when it is
 * public. */
const char *fetch_address_refusal(const struct sockaddr *sa);
/* Checks a URL an admin typed, at save time: http(s), at most FETCH_URL_MAX bytes, a host
 * that resolves (ERR_INVALID for the first two, ERR_UNPROCESSABLE for this), and unless
 * allow_private only to public addresses (ERR_UNPROCESSABLE naming the one refused). Resolving may
 * block: call it outside a transaction. */
int fetch_check_url(const char *url, bool allow_private, struct error *e);
/* Frees what fetch_post or fetch_get made (after curl_multi_remove_handle); f may be empty. */
void fetch_clear(struct fetch *f);

/*
 * A thread of its own driving a multi handle (the outbox worker, the webhook sender). Its run
 * function loops: it ends once is_stopping is set and its transfers are done, takes is_woken
 * (atomic_exchange to false) to know that work may be waiting, and waits in
 * curl_multi_poll, which fetch_loop_wake and fetch_loop_stop interrupt.
 */
struct fetch_loop {
	CURLM *multi;
	pthread_t thread;
	atomic_bool is_stopping;
	atomic_bool is_woken;
};
/* Makes the multi handle (per_host connections to one host, total in all, kept open for
 * reuse) and starts run(arg) on a thread called name, woken once to begin with. -1 when the
 * thread cannot start (nothing is left to free). */
int fetch_loop_start(struct fetch_loop *l, const char *name, long per_host, long total,
                     void *(*run)(void *), void *arg);
/* From any thread: the loop's next round looks for work. */
void fetch_loop_wake(struct fetch_loop *l);
/* Asks the loop to end once its transfers are done, waits for it and frees the handle. */
void fetch_loop_stop(struct fetch_loop *l);

#endif
