/* Outbound requests for libcurl; see fetch.h. */
#include "core/fetch.h"

#include "core/thread.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* The file part's bytes, read where curl asks (it may rewind to send again). */
static size_t read_file(char *out, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	ssize_t got = pread(f->file_fd, out, size * n, (off_t)f->file_at);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	f->file_at += (int64_t)got;
	return (size_t)got;
}

static int seek_file(void *arg, curl_off_t offset, int origin)
{
	struct fetch *f = arg;
	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	f->file_at = (int64_t)offset;
	return CURL_SEEKFUNC_OK;
}

void fetch_post_form(struct fetch *f, const char *url, char *const *headers, size_t n,
                     const struct fetch_form *form, long timeout_ms, size_t answer_max,
                     void *private)
{
	setup(f, url, headers, n, timeout_ms, answer_max, private);
	f->mime = curl_mime_init(f->easy);
	for (size_t i = 0; i < form->field_count; i++) {
		curl_mimepart *part = curl_mime_addpart(f->mime);
		curl_mime_name(part, form->names[i]);
		curl_mime_data(part, form->values[i], CURL_ZERO_TERMINATED);
	}
	f->file_fd = form->file_fd;
	curl_mimepart *part = curl_mime_addpart(f->mime);
	curl_mime_name(part, form->file_field);
	curl_mime_filename(part, form->file_name);
	curl_mime_type(part, form->file_mime);
	curl_mime_data_cb(part, (curl_off_t)form->file_size, read_file, seek_file, NULL, f);
	curl_easy_setopt(f->easy, CURLOPT_MIMEPOST, f->mime);
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

void *fetch_next_done(CURLM *multi, CURLcode *code)
{
	CURLMsg *m;
	int queued;
	while ((m = curl_multi_info_read(multi, &queued)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		void *private = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&private);
		*code = m->data.result;
		curl_multi_remove_handle(multi, m->easy_handle);
		return private;
	}
	return NULL;
}

/* ---- the guard for URLs an admin typed ---- */

static const char *v4_refusal(uint32_t a)
{
	if (a >> 24 == 0)
		return "an unspecified address";
	if (a >> 24 == 127)
		return "a loopback address";
	if (a >> 24 == 10 || a >> 20 == (172u << 4 | 1) || a >> 16 == (192u << 8 | 168))
		return "a private address";
	if (a >> 22 == (100u << 2 | 1)) /* 100.64.0.0/10, where some clouds keep metadata */
		return "a shared (carrier-grade NAT) address";
	if (a == (169u << 24 | 254u << 16 | 169u << 8 | 254))
		return "the cloud metadata address";
	if (a >> 16 == (169u << 8 | 254))
		return "a link-local address";
	if (a >> 28 == 14)
		return "a multicast address";
	if (a >> 28 == 15 || a >> 8 == (192u << 16) || a >> 17 == (198u << 7 | 9))
		return "a reserved address";
	return NULL;
}

static uint32_t v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *v6_refusal(const unsigned char *b)
{
	static const unsigned char zero[12], mapped[12] = { [10] = 0xff, [11] = 0xff },
	                                     nat64[12] = { 0, 0x64, 0xff, 0x9b };
	/* Addresses that carry an IPv4 address: the rule for that one. */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return v4_refusal(v4_at(b + 12));
	if (memcmp(b, zero, 12) == 0)
		return b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1
		           ? (b[15] == 1 ? "a loopback address" : "an unspecified address")
		           : v4_refusal(v4_at(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 */
		return v4_refusal(v4_at(b + 2));
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address";
	if ((b[0] & 0xfe) == 0xfc)
		return "a private address";
	if (b[0] == 0xff)
		return "a multicast address";
	return NULL;
}

const char *fetch_address_refusal(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_refusal(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return v6_refusal(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return "not an internet address";
}

static void address_text(const struct sockaddr *sa, char *out, size_t size)
{
	const void *a = sa->sa_family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, a, out, (socklen_t)size) == NULL)
		snprintf(out, size, "?");
}

/* curl asks for every socket it connects: the address it is about to connect to is checked
 * here, after its own resolution, so what connects is what was checked. */
static curl_socket_t open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch *f = arg;
	const char *why = purpose == CURLSOCKTYPE_IPCXN ? fetch_address_refusal(&a->addr) : NULL;
	if (why != NULL) {
		char text[INET6_ADDRSTRLEN];
		address_text(&a->addr, text, sizeof(text));
		snprintf(f->refused, sizeof(f->refused), "refused to connect to %s: %s", text, why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

void fetch_guard(struct fetch *f, bool allow_private)
{
	f->is_guarded = true;
	curl_easy_setopt(f->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 0L);
	if (allow_private)
		return;
	curl_easy_setopt(f->easy, CURLOPT_OPENSOCKETFUNCTION, open_checked);
	curl_easy_setopt(f->easy, CURLOPT_OPENSOCKETDATA, f);
}

/* The host of an http(s) URL, without an IPv6 literal's brackets. */
static int url_host(const char *url, char *host, size_t size, struct error *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL;
	int rc = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		rc = error_set(e, ERR_INVALID, "'url' is not a valid URL");
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		rc = error_set(e, ERR_INVALID, "'url' must start with http:// or https://");
	else if (strlen(h) >= size)
		rc = error_set(e, ERR_INVALID, "'url' has too long a host");
	else if (h[0] == '[')
		snprintf(host, size, "%.*s", (int)strlen(h) - 2, h + 1);
	else
		snprintf(host, size, "%s", h);
	curl_free(scheme);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

int fetch_check_url(const char *url, bool allow_private, struct error *e)
{
	char host[256];
	if (strlen(url) > FETCH_URL_MAX)
		return error_set(e, ERR_INVALID, "'url' is longer than %d bytes", FETCH_URL_MAX);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return error_set(e, ERR_INVALID, "'url' must start with http:// or https://");
	int rc = url_host(url, host, sizeof(host), e);
	if (rc < 0 || allow_private)
		return rc;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *list;
	if (getaddrinfo(host, NULL, &hints, &list) != 0)
		return error_set(e, ERR_UNPROCESSABLE, "the host '%s' of 'url' does not resolve",
		                 host);
	for (struct addrinfo *a = list; a != NULL && rc == 0; a = a->ai_next) {
		const char *why = fetch_address_refusal(a->ai_addr);
		char text[INET6_ADDRSTRLEN];
		address_text(a->ai_addr, text, sizeof(text));
		if (why != NULL)
			rc = error_set(e, ERR_UNPROCESSABLE,
			               "'url' resolves to %s, %s: webhooks go to public addresses"
			               " only (the operator may allow private ones)",
			               text, why);
	}
	freeaddrinfo(list);
	return rc;
}

void fetch_clear(struct fetch *f)
{
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	curl_mime_free(f->mime);
	buf_free(&f->answer);
	*f = (struct fetch){ 0 };
}

int fetch_loop_start(struct fetch_loop *l, const char *name, long per_host, long total,
                     void *(*run)(void *), void *arg)
{
	l->multi = curl_multi_init();
	curl_multi_setopt(l->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
	curl_multi_setopt(l->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
	/* Keep idle connections for reuse (by default curl keeps few when few transfers are in
	 * flight, and the next one pays a new TLS handshake). */
	curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, total);
	atomic_store(&l->is_stopping, false);
	atomic_store(&l->is_woken, true);
	if (thread_start(&l->thread, name, run, arg) == 0)
		return 0;
	curl_multi_cleanup(l->multi);
	l->multi = NULL;
	return -1;
}

void fetch_loop_wake(struct fetch_loop *l)
{
	if (!atomic_exchange(&l->is_woken, true))
		curl_multi_wakeup(l->multi);
}

void fetch_loop_stop(struct fetch_loop *l)
{
	atomic_store(&l->is_stopping, true);
	curl_multi_wakeup(l->multi);
	pthread_join(l->thread, NULL);
	curl_multi_cleanup(l->multi);
}
