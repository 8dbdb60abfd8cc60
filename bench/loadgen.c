/*
 * loadgen: the benchmark's HTTP load generator. Keep-alive HTTP/1.1 connections to 127.0.0.1
 * on non-blocking sockets driven by one epoll loop, one request in flight per connection.
 *
 * Closed loop (no --rate): --conns connections each send their next request as soon as the
 * answer arrives; this finds the most the server sustains. Open loop (--rate R): requests are
 * scheduled every 1/R s on a timer whatever the answers do, sent on an idle connection (a new
 * one up to --conns, else they wait in a queue), and latency is counted from each request's
 * scheduled time, so queueing anywhere shows in the figures (no coordinated omission).
 *
 * Targets: signed WhatsApp webhooks (POST /webhooks/whatsapp, bench/webhook.h) or GET --get
 * PATH (with --token, as that API token's user). Offers load for --seconds, then waits at most
 * --drain-seconds for the answers in flight. Prints one JSON object on stdout; never connects
 * anywhere but 127.0.0.1. Several servers on one database: --port P1,P2 spreads the
 * connections over them in turn, and --events-port says whose stream the agent holds.
 *
 * With --events-token, an agent's event stream (GET /api/v1/events) is open during the load,
 * and each webhook is timed from its scheduled send to its event (message.created, inbound) on
 * the stream: the k-th such event is the k-th webhook's, as the server commits them in about
 * the order they arrive (a webhook overtaking its neighbour shifts both by the gap between
 * them, a millisecond at 1,000/s). With --streams N instead of a load, it opens N idle event
 * streams as that user, prints one line when all are open and holds them for --seconds.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "providers/providers.h"
#include "webhook.h"

#define REQUEST_MAX (WEBHOOK_BODY_MAX + 512)
#define ANSWER_MAX  (256 * 1024) /* the largest answer: a page of conversations or messages */
#define MAX_CONNS   4096

#define MAX_PORTS 8

struct options {
	int ports[MAX_PORTS]; /* connection i goes to ports[i % nports] */
	int nports;
	int events_port; /* the event stream's server: the first port unless given */
	const char *get; /* the path of a GET; NULL: webhooks */
	const char *token;
	const char *events_token;
	int streams;
	int conns;
	double rate; /* 0: closed loop */
	double seconds;
	double drain_seconds;
	const char *phone_number_id;
	const char *app_secret;
	uint32_t contacts;
	uint64_t wa_base;
	const char *id_prefix;
};

struct conn {
	int fd;
	bool is_connecting;
	bool is_busy;     /* a request is assigned: being written or awaiting its answer */
	bool is_idle;     /* on the idle list (open loop) */
	int64_t sched_us; /* when the request in flight was due */
	char out[REQUEST_MAX];
	size_t out_len, out_off;
	char in[ANSWER_MAX];
	size_t in_len;
};

struct run {
	const struct options *o;
	int epfd;
	struct conn *conns[MAX_CONNS];
	int nconns;
	int *idle; /* indexes of connected conns with nothing in flight */
	int nidle;
	int64_t *waiting; /* open loop: scheduled times of requests with no connection yet */
	size_t wait_head, wait_len, wait_cap;
	struct webhook_mix mix;
	uint64_t seq;
	uint32_t *latency_us;
	size_t nlatency, latency_cap;
	uint64_t sent, ok, failed, unanswered, opened, broken;
	int first_status; /* the first non-200 status, for the log */
	int64_t last_done_us;
	struct stream *events; /* --events-token: the agent's stream */
	int64_t *sched_by_seq; /* the scheduled time of each webhook, in the order sent */
	size_t sched_cap;
	uint32_t *event_us; /* webhook to event latencies */
	size_t nevents, events_cap;
	bool is_stream_ended;
};

static void die(const char *what) __attribute__((noreturn));

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* An event stream: the raw bytes read (chunked, or the body as it comes), and the SSE text
 * they carry. */
struct stream {
	int fd;
	char raw[16384];
	size_t raw_len;
	bool is_chunked;
	size_t chunk_left; /* bytes of the current chunk still to come; 0: a size line is next */
	char text[65536];
	size_t text_len;
};

/* A blocking connection to the server on 127.0.0.1. */
static int connect_blocking(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connecting to the server");
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Moves the chunks' data from s->raw to s->text; false when the framing is broken. */
static bool dechunk(struct stream *s)
{
	size_t off = 0;
	while (off < s->raw_len) {
		if (!s->is_chunked) /* the body ends with the connection */
			s->chunk_left = s->raw_len - off;
		if (s->chunk_left == 0) {
			char *eol = memmem(s->raw + off, s->raw_len - off, "\r\n", 2);
			if (eol == NULL)
				break;
			if (eol == s->raw + off) { /* the CRLF that ends a chunk's data */
				off += 2;
				continue;
			}
			s->chunk_left = strtoul(s->raw + off, NULL, 16);
			if (s->chunk_left == 0)
				return false; /* the last chunk: the stream ended */
			off = (size_t)(eol - s->raw) + 2;
			continue;
		}
		size_t n = s->raw_len - off < s->chunk_left ? s->raw_len - off : s->chunk_left;
		if (n > sizeof(s->text) - s->text_len)
			return false;
		memcpy(s->text + s->text_len, s->raw + off, n);
		s->text_len += n;
		s->chunk_left -= n;
		off += n;
	}
	memmove(s->raw, s->raw + off, s->raw_len - off);
	s->raw_len -= off;
	return true;
}

/* Opens an event stream as the token's user: answered 200, its first frame read. */
static struct stream *open_stream(int port, const char *token)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	s->fd = connect_blocking(port);
	char req[512];
	int n = snprintf(req, sizeof(req),
	                 "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                 "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n",
	                 token);
	if (write(s->fd, req, (size_t)n) != n)
		die("writing the event stream's request");
	char *end = NULL;
	while (end == NULL || s->text_len == 0) {
		ssize_t got = read(s->fd, s->raw + s->raw_len, sizeof(s->raw) - 1 - s->raw_len);
		if (got <= 0)
			die("reading the event stream's answer");
		s->raw_len += (size_t)got;
		s->raw[s->raw_len] = '\0';
		if (end == NULL && (end = strstr(s->raw, "\r\n\r\n")) != NULL) {
			if (strncmp(s->raw, "HTTP/1.1 200", 12) != 0) {
				fprintf(stderr, "loadgen: the event stream was refused: %.300s\n",
				        s->raw);
				exit(1);
			}
			size_t head = (size_t)(end - s->raw) + 4;
			s->is_chunked = memmem(s->raw, head, "chunked", 7) != NULL;
			memmove(s->raw, s->raw + head, s->raw_len - head);
			s->raw_len -= head;
		}
		if (end != NULL && !dechunk(s))
			die("the event stream's framing");
	}
	return s;
}

/* Whether the JSON text has "direction" set to "in", however it is spaced (PostgreSQL's
 * json_build_object writes `"direction" : "in"`). */
static bool is_inbound(const char *json)
{
	for (const char *p = strstr(json, "\"direction\""); p != NULL;
	     p = strstr(p + 1, "\"direction\"")) {
		const char *v = p + strlen("\"direction\"");
		v += strspn(v, " ");
		if (*v++ != ':')
			continue;
		v += strspn(v, " ");
		if (strncmp(v, "\"in\"", 4) == 0)
			return true;
	}
	return false;
}

/* The stream's complete frames: each inbound message.created is the next webhook's. */
static void take_events(struct run *r, int64_t now_us)
{
	struct stream *s = r->events;
	char *start = s->text, *end;
	while ((end = memmem(start, s->text_len - (size_t)(start - s->text), "\n\n", 2)) != NULL) {
		*end = '\0';
		if (strstr(start, "event: message.created\n") != NULL && is_inbound(start)) {
			size_t k = r->nevents;
			r->event_us = xgrow(r->event_us, &r->events_cap, k, sizeof(r->event_us[0]));
			int64_t us = k < r->seq ? now_us - r->sched_by_seq[k] : 0;
			r->event_us[r->nevents++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
		}
		start = end + 2;
	}
	s->text_len -= (size_t)(start - s->text);
	memmove(s->text, start, s->text_len);
}

static void on_stream(struct run *r)
{
	struct stream *s = r->events;
	ssize_t n = read(s->fd, s->raw + s->raw_len, sizeof(s->raw) - s->raw_len);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) { /* the server ended it (a reader that falls far behind is cut) */
		fprintf(stderr, "loadgen: the server ended the event stream after %zu events\n",
		        r->nevents);
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		r->is_stream_ended = true;
		return;
	}
	s->raw_len += (size_t)n;
	if (!dechunk(s))
		die("the event stream's framing");
	take_events(r, clock_mono_us());
}

/* Writes the next request into c->out. */
static void build_request(struct run *r, struct conn *c)
{
	const struct options *o = r->o;
	if (o->get != NULL) {
		c->out_len = (size_t)snprintf(c->out, sizeof(c->out),
		                              "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\n",
		                              o->get, o->token ? "Authorization: Bearer " : "",
		                              o->token ? o->token : "", o->token ? "\r\n" : "");
		return;
	}
	char body[WEBHOOK_BODY_MAX], signature[META_SIGNATURE_LEN];
	struct webhook_message m = {
		.phone_number_id = o->phone_number_id,
		.id_prefix = o->id_prefix,
		.seq = ++r->seq,
		.wa_base = o->wa_base,
		.now_s = clock_now_ms() / 1000,
	};
	m.contact = webhook_mix_next(&r->mix, &m.kind);
	size_t len = webhook_body(&m, body);
	meta_signature_header(body, len, o->app_secret, signature);
	int n = snprintf(c->out, sizeof(c->out),
	                 "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                 "Content-Type: application/json\r\nX-Hub-Signature-256: %s\r\n"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 signature, len, body);
	if (n < 0 || (size_t)n >= sizeof(c->out)) {
		fprintf(stderr, "loadgen: request longer than %d bytes\n", REQUEST_MAX);
		exit(1);
	}
	c->out_len = (size_t)n;
}

static void watch(struct run *r, int i, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };
	if (epoll_ctl(r->epfd, op, r->conns[i]->fd, &ev) < 0)
		die("epoll_ctl");
}

/* Starts a non-blocking connect on slot i. */
static void open_conn(struct run *r, int i)
{
	struct conn *c = r->conns[i];
	struct sockaddr_in addr = { .sin_family = AF_INET,
		                    .sin_port = htons((uint16_t)r->o->ports[i % r->o->nports]) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->is_connecting = true;
	c->in_len = 0;
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS)
		die("connect");
	watch(r, i, EPOLLOUT, EPOLL_CTL_ADD);
	r->opened++;
}

static int new_conn(struct run *r)
{
	int i = r->nconns++;
	r->conns[i] = xcalloc(1, sizeof(struct conn));
	open_conn(r, i);
	return i;
}

/* Writes what is left of the request; waits for EPOLLOUT when the socket is full. */
static bool flush(struct run *r, int i)
{
	struct conn *c = r->conns[i];
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN) {
			watch(r, i, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
			return true;
		}
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	watch(r, i, EPOLLIN, EPOLL_CTL_MOD);
	return true;
}

static void record(struct run *r, int64_t sched_us, int64_t now_us)
{
	r->latency_us =
	    xgrow(r->latency_us, &r->latency_cap, r->nlatency, sizeof(r->latency_us[0]));
	int64_t us = now_us - sched_us;
	r->latency_us[r->nlatency++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* A request ended (answered, or its connection broke). */
static void complete(struct run *r, int64_t sched_us, bool is_ok)
{
	int64_t now = clock_mono_us();
	record(r, sched_us, now);
	r->last_done_us = now;
	if (is_ok)
		r->ok++;
	else
		r->failed++;
}

static void reconnect(struct run *r, int i);

/* Assigns a request due at sched_us to connection i (sent once it is connected). */
static void assign(struct run *r, int i, int64_t sched_us)
{
	struct conn *c = r->conns[i];
	c->is_busy = true;
	c->sched_us = sched_us;
	c->out_off = 0;
	build_request(r, c);
	r->sent++;
	if (r->events != NULL) {
		r->sched_by_seq =
		    xgrow(r->sched_by_seq, &r->sched_cap, r->seq - 1, sizeof(r->sched_by_seq[0]));
		r->sched_by_seq[r->seq - 1] = sched_us;
	}
	if (!c->is_connecting && !flush(r, i))
		reconnect(r, i);
}

/* The connection broke: its request (if any) failed; a new connection takes the slot. */
static void reconnect(struct run *r, int i)
{
	struct conn *c = r->conns[i];
	if (c->is_busy)
		complete(r, c->sched_us, false);
	r->broken++;
	c->is_busy = false;
	close(c->fd);
	open_conn(r, i);
}

static bool has_header_value(const char *head, size_t len, const char *name, const char *value,
                             long *number)
{
	size_t nlen = strlen(name);
	for (const char *p = head; p + nlen < head + len; p++) {
		if ((p == head || p[-1] == '\n') && strncasecmp(p, name, nlen) == 0) {
			p += nlen;
			while (*p == ' ')
				p++;
			if (number != NULL) {
				*number = strtol(p, NULL, 10);
				return true;
			}
			return strncasecmp(p, value, strlen(value)) == 0;
		}
	}
	return false;
}

/* Parses a complete answer in c->in: 1 done (status in *status), 0 not yet, -1 malformed. */
static int parse_answer(struct conn *c, int *status, bool *must_close)
{
	c->in[c->in_len < ANSWER_MAX ? c->in_len : ANSWER_MAX - 1] = '\0';
	char *end = strstr(c->in, "\r\n\r\n");
	if (end == NULL)
		return c->in_len >= ANSWER_MAX - 1 ? -1 : 0;
	size_t head = (size_t)(end - c->in) + 4;
	long length = -1;
	if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1 ||
	    !has_header_value(c->in, head, "Content-Length:", NULL, &length) || length < 0)
		return -1;
	if (c->in_len < head + (size_t)length)
		return c->in_len >= ANSWER_MAX - 1 ? -1 : 0;
	*must_close = has_header_value(c->in, head, "Connection:", "close", NULL);
	return 1;
}

/* What a connection does when it has nothing in flight: the next waiting request, or idle. */
static void next_request(struct run *r, int i, bool is_offering)
{
	if (r->o->rate > 0 && r->wait_len > 0) {
		int64_t sched = r->waiting[r->wait_head];
		r->wait_head = (r->wait_head + 1) % r->wait_cap;
		r->wait_len--;
		assign(r, i, sched);
	} else if (r->o->rate == 0 && is_offering) {
		assign(r, i, clock_mono_us());
	} else if (!r->conns[i]->is_idle) {
		r->conns[i]->is_idle = true;
		r->idle[r->nidle++] = i;
	}
}

static void on_readable(struct run *r, int i, bool is_offering)
{
	struct conn *c = r->conns[i];
	ssize_t n = read(c->fd, c->in + c->in_len, ANSWER_MAX - 1 - c->in_len);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		reconnect(r, i);
		return;
	}
	c->in_len += (size_t)n;
	int status = 0;
	bool must_close = false;
	int rc = parse_answer(c, &status, &must_close);
	if (rc == 0)
		return;
	if (rc < 0 || !c->is_busy) {
		reconnect(r, i);
		return;
	}
	if (status != 200 && r->first_status == 0) {
		r->first_status = status;
		fprintf(stderr, "loadgen: first answer other than 200: %.300s\n", c->in);
	}
	complete(r, c->sched_us, status == 200);
	c->is_busy = false;
	c->in_len = 0;
	if (must_close) {
		close(c->fd);
		open_conn(r, i);
		return;
	}
	next_request(r, i, is_offering);
}

static void on_connected(struct run *r, int i, bool is_offering)
{
	struct conn *c = r->conns[i];
	int err = 0;
	socklen_t len = sizeof(err);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		fprintf(stderr, "loadgen: connect: %s\n", strerror(err));
		exit(1);
	}
	c->is_connecting = false;
	watch(r, i, EPOLLIN, EPOLL_CTL_MOD);
	if (!c->is_busy)
		next_request(r, i, is_offering);
	else if (!flush(r, i))
		reconnect(r, i);
}

/* Open loop: a request falls due; it goes on an idle connection, a new one, or waits. */
static void dispatch(struct run *r, int64_t sched_us)
{
	if (r->nidle > 0) {
		int i = r->idle[--r->nidle];
		r->conns[i]->is_idle = false;
		assign(r, i, sched_us);
	} else if (r->nconns < r->o->conns) {
		assign(r, new_conn(r), sched_us);
	} else {
		if (r->wait_len == r->wait_cap) {
			fprintf(stderr, "loadgen: more than %zu requests waiting\n", r->wait_cap);
			exit(1);
		}
		r->waiting[(r->wait_head + r->wait_len++) % r->wait_cap] = sched_us;
	}
}

/* Requests still unanswered when the drain time ran out count as failed, with the time they
 * had waited so far as their latency: a lower bound, never left out of the percentiles. */
static void give_up(struct run *r, int64_t now_us)
{
	for (; r->wait_len > 0; r->wait_len--, r->wait_head = (r->wait_head + 1) % r->wait_cap) {
		r->unanswered++;
		record(r, r->waiting[r->wait_head], now_us);
	}
	for (int i = 0; i < r->nconns; i++) {
		if (r->conns[i]->is_busy) {
			r->unanswered++;
			record(r, r->conns[i]->sched_us, now_us);
		}
	}
}

static bool is_outstanding(const struct run *r)
{
	if (r->wait_len > 0 || (r->events != NULL && !r->is_stream_ended && r->nevents < r->ok))
		return true;
	for (int i = 0; i < r->nconns; i++)
		if (r->conns[i]->is_busy)
			return true;
	return false;
}

static void arm(int tfd, int64_t at_us)
{
	struct itimerspec t = { .it_value = { .tv_sec = at_us / 1000000,
		                              .tv_nsec = (at_us % 1000000) * 1000 } };
	if (at_us <= 0)
		t.it_value.tv_nsec = 1;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &t, NULL) < 0)
		die("timerfd_settime");
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The p-th fraction of the n sorted figures. */
static uint32_t percentile(const uint32_t *sorted, size_t n, double p)
{
	return n > 0 ? sorted[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

static void report(struct run *r, int64_t start_us, int64_t offered_until_us)
{
	qsort(r->latency_us, r->nlatency, sizeof(r->latency_us[0]), compare_u32);
	qsort(r->event_us, r->nevents, sizeof(r->event_us[0]), compare_u32);
	const uint32_t *l = r->latency_us, *ev = r->event_us;
	size_t n = r->nlatency, ne = r->nevents;
	double seconds = (double)(r->last_done_us - start_us) / 1e6;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("{\"mode\":\"%s\",\"target\":\"%s\",\"conns\":%d,\"offered_rate\":%.0f,"
	       "\"offered_seconds\":%.2f,\"seconds\":%.3f,\"sent\":%" PRIu64 ",\"ok\":%" PRIu64
	       ",\"failed\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",\"rate\":%.0f,"
	       "\"p50_us\":%" PRIu32 ",\"p90_us\":%" PRIu32 ",\"p95_us\":%" PRIu32
	       ",\"p99_us\":%" PRIu32 ",\"max_us\":%" PRIu32 ",\"firsts\":%" PRIu64
	       ",\"replies\":%" PRIu64 ",\"connections\":%" PRIu64 ",\"broken\":%" PRIu64
	       ",\"client_cpu_s\":%.2f",
	       r->o->rate > 0 ? "open" : "closed", r->o->get != NULL ? r->o->get : "webhook",
	       r->o->conns, r->o->rate, (double)(offered_until_us - start_us) / 1e6, seconds,
	       r->sent, r->ok, r->failed, r->unanswered,
	       seconds > 0 ? (double)r->ok / seconds : 0.0, percentile(l, n, 0.50),
	       percentile(l, n, 0.90), percentile(l, n, 0.95), percentile(l, n, 0.99),
	       percentile(l, n, 1.0), r->mix.firsts, r->mix.replies, r->opened, r->broken, cpu);
	if (r->events != NULL)
		printf(",\"events\":%zu,\"event_p50_us\":%" PRIu32 ",\"event_p99_us\":%" PRIu32
		       ",\"event_max_us\":%" PRIu32 ",\"stream_ended\":%s",
		       ne, percentile(ev, ne, 0.50), percentile(ev, ne, 0.99),
		       percentile(ev, ne, 1.0), r->is_stream_ended ? "true" : "false");
	printf("}\n");
}

/* Runs the load as the options say, then reports. */
static void run_load(const struct options *o)
{
	struct run r = { .o = o, .idle = xcalloc((size_t)o->conns, sizeof(int)) };
	webhook_mix_init(&r.mix, o->contacts);
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r.epfd < 0 || tfd < 0)
		die("epoll/timerfd");
	struct epoll_event tev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	epoll_ctl(r.epfd, EPOLL_CTL_ADD, tfd, &tev);
	if (o->events_token != NULL) {
		r.events = open_stream(o->events_port, o->events_token);
		struct epoll_event sev = { .events = EPOLLIN, .data.u32 = UINT32_MAX - 1 };
		if (fcntl(r.events->fd, F_SETFL, O_NONBLOCK) < 0 ||
		    epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.events->fd, &sev) < 0)
			die("watching the event stream");
		take_events(&r, clock_mono_us());
	}
	uint64_t total = o->rate > 0 ? (uint64_t)(o->rate * o->seconds) : 0;
	r.wait_cap = total > 0 ? total : 1;
	r.waiting = xcalloc(r.wait_cap, sizeof(int64_t));
	int64_t start = clock_mono_us();
	int64_t offer_end = start + (int64_t)(o->seconds * 1e6);
	int64_t drain_end = offer_end + (int64_t)(o->drain_seconds * 1e6);
	r.last_done_us = start;
	uint64_t k = 0;
	if (o->rate == 0) {
		for (int i = 0; i < o->conns; i++)
			new_conn(&r);
		arm(tfd, offer_end);
	} else {
		arm(tfd, start);
	}
	struct epoll_event events[256];
	for (;;) {
		int64_t now = clock_mono_us();
		bool is_offering = o->rate > 0 ? k < total : now < offer_end;
		if (!is_offering && !is_outstanding(&r))
			break;
		if (!is_offering && now >= drain_end) {
			give_up(&r, now);
			break;
		}
		int n = epoll_wait(r.epfd, events, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int j = 0; j < n; j++) {
			uint32_t i = events[j].data.u32;
			if (i == UINT32_MAX) {
				uint64_t ticks;
				if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					die("timerfd read");
				continue;
			}
			if (i == UINT32_MAX - 1) {
				on_stream(&r);
				continue;
			}
			if (r.conns[i]->is_connecting)
				on_connected(&r, (int)i, is_offering);
			else if (events[j].events & EPOLLIN)
				on_readable(&r, (int)i, is_offering);
			else if (events[j].events & (EPOLLERR | EPOLLHUP))
				reconnect(&r, (int)i);
			else if (!flush(&r, (int)i))
				reconnect(&r, (int)i);
		}
		if (o->rate > 0) {
			now = clock_mono_us();
			for (; k < total; k++) {
				int64_t due = start + (int64_t)((double)k * 1e6 / o->rate);
				if (due > now) {
					arm(tfd, due);
					break;
				}
				dispatch(&r, due);
			}
			if (k == total)
				arm(tfd, drain_end);
		}
	}
	report(&r, start, o->rate > 0 ? start + (int64_t)(o->seconds * 1e6) : offer_end);
	for (int i = 0; i < r.nconns; i++) {
		close(r.conns[i]->fd);
		free(r.conns[i]);
	}
	close(tfd);
	close(r.epfd);
	free(r.idle);
	free(r.waiting);
	free(r.latency_us);
	if (r.events != NULL) {
		close(r.events->fd);
		free(r.events);
	}
	free(r.sched_by_seq);
	free(r.event_us);
	webhook_mix_free(&r.mix);
}

/* --streams: opens that many idle event streams, says so, and holds them for --seconds. */
static void hold_streams(const struct options *o)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	int64_t start = clock_mono_us();
	int *fds = xcalloc((size_t)o->streams, sizeof(*fds));
	for (int i = 0; i < o->streams; i++) {
		struct stream *s = open_stream(o->events_port, o->events_token);
		fds[i] = s->fd; /* an idle stream needs no buffers here: the socket only */
		free(s);
	}
	printf("{\"streams\":%d,\"open_seconds\":%.2f}\n", o->streams,
	       (double)(clock_mono_us() - start) / 1e6);
	fflush(stdout);
	struct timespec hold = { .tv_sec = (time_t)o->seconds };
	nanosleep(&hold, NULL);
	for (int i = 0; i < o->streams; i++)
		close(fds[i]);
	free(fds);
}

/* P[,P…] into ports; the count, or 0 when one is not a port. */
static int parse_ports(const char *list, int *ports)
{
	int n = 0;
	for (const char *p = list; n < MAX_PORTS; n++) {
		char *end;
		long port = strtol(p, &end, 10);
		if (end == p || port <= 0 || port > 65535 || (*end != ',' && *end != '\0'))
			return 0;
		ports[n] = (int)port;
		if (*end == '\0')
			return n + 1;
		p = end + 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: loadgen --port P[,P…] [--get PATH [--token T]] [--conns N] [--rate R]\n"
	        "               [--seconds S] [--drain-seconds S] [--phone-number-id ID]\n"
	        "               [--app-secret S] [--contacts N] [--wa-base N] [--id-prefix P]\n"
	        "               [--events-token T [--streams N]] [--events-port P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct options o = {
		.conns = 16,
		.seconds = 5,
		.drain_seconds = 10,
		.phone_number_id = "106540352242922",
		.app_secret = "bench-app-secret",
		.contacts = 10000,
		.wa_base = 34600000000ULL,
		.id_prefix = "bench",
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--port") == 0)
			o.nports = parse_ports(v, o.ports);
		else if (strcmp(a, "--events-port") == 0)
			o.events_port = atoi(v);
		else if (strcmp(a, "--get") == 0)
			o.get = v;
		else if (strcmp(a, "--token") == 0)
			o.token = v;
		else if (strcmp(a, "--events-token") == 0)
			o.events_token = v;
		else if (strcmp(a, "--streams") == 0)
			o.streams = atoi(v);
		else if (strcmp(a, "--conns") == 0)
			o.conns = atoi(v);
		else if (strcmp(a, "--rate") == 0)
			o.rate = atof(v);
		else if (strcmp(a, "--seconds") == 0)
			o.seconds = atof(v);
		else if (strcmp(a, "--drain-seconds") == 0)
			o.drain_seconds = atof(v);
		else if (strcmp(a, "--phone-number-id") == 0)
			o.phone_number_id = v;
		else if (strcmp(a, "--app-secret") == 0)
			o.app_secret = v;
		else if (strcmp(a, "--contacts") == 0)
			o.contacts = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--wa-base") == 0)
			o.wa_base = strtoull(v, NULL, 10);
		else if (strcmp(a, "--id-prefix") == 0)
			o.id_prefix = v;
		else
			usage();
	}
	if (o.events_port == 0)
		o.events_port = o.ports[0];
	if (o.nports < 1 || o.events_port <= 0 || o.events_port > 65535 || o.conns < 1 ||
	    o.conns > MAX_CONNS || o.seconds <= 0 || o.seconds > 120 || o.drain_seconds < 0 ||
	    o.drain_seconds > 120 || o.rate < 0 || o.rate > 1e6 || o.contacts == 0 ||
	    o.streams < 0 || (o.streams > 0 && o.events_token == NULL) ||
	    (o.events_token != NULL && o.get != NULL))
		usage();
	if (token_init() < 0) {
		fprintf(stderr, "libsodium could not start\n");
		return 1;
	}
	if (o.streams > 0)
		hold_streams(&o);
	else
		run_load(&o);
	return 0;
}
