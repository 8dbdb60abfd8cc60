/* Outbound requests for libcurl; see fetch.h. */
#include "core/fetch.h"

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;
	if (f->answer.len + len <= f->answer_max)
		buf_append(&f->answer, data, len);
	return len;
}

/* The easy handle set up as every request needs it, answer collected into f. */
static void setup(struct fetch *f, const char *url, char *const *headers, size_t n, long timeout_ms,
                  size_t answer_max, void *private)
{
	f->easy = curl_easy_init();
	f->answer_max = answer_max;
	for (size_t i = 0; i < n; i++)
		f->headers = curl_slist_append(f->headers, headers[i]);
	curl_easy_setopt(f->easy, CURLOPT_URL, url);
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_PRIVATE, private);
	curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

void fetch_post(struct fetch *f, const char *url, char *const *headers, size_t n, const char *body,
                size_t len, long timeout_ms, size_t answer_max, void *private)
{
	setup(f, url, headers, n, timeout_ms, answer_max, private);
	curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE, (long)len);
}

void fetch_get(struct fetch *f, const char *url, char *const *headers, size_t n, long timeout_ms,
               size_t answer_max, void *private)
{
	setup(f, url, headers, n, timeout_ms, answer_max, private);
	/* A provider's file link may pass through its CDN's redirects; never to another scheme,
	 * and curl sends our Authorization header to no other host. */
	curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(f->easy, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(f->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
}

void fetch_clear(struct fetch *f)
{
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	buf_free(&f->answer);
	*f = (struct fetch){ 0 };
}
