/*
 * fake_provider: a minimal, fast stand-in for the WhatsApp Cloud API's send endpoint, for the
 * outbox benchmark. One epoll loop serving HTTP/1.1 keep-alive on 127.0.0.1; every POST is
 * answered at once with 200 and WhatsApp's success body carrying a fresh message id, unique
 * across runs as Meta's are ("wamid.fake.<pid>.<start time>.<n>"): the server stores it under a
 * unique index, so a second fake must not repeat the first one's ids. It counts the requests
 * and the connections it accepted (reuse shows as few connections for many requests). Prints "port
 * N" first (--port 0 picks a free port), then, when --expect requests were answered or --seconds
 * have passed or on SIGTERM, one JSON object, and exits. Chunked bodies are refused (libcurl sends
 * Content-Length for the outbox's POSTs).
 */
#define _GNU_SOURCE /* accept4, memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX  (128 * 1024) /* a request: headers and a body of up to a 4096-character text */
#define OUT_MAX 4096

struct conn {
	struct conn *prev, *next; /* the open connections, closed at exit */
	int fd;
	char in[IN_MAX];
	size_t in_len;
	char out[OUT_MAX];
	size_t out_len, out_off;
	bool has_continued;   /* answered "Expect: 100-continue" for the request being read */
	bool is_watching_out; /* registered for EPOLLOUT: the socket was full */
};

struct counters {
	char id_prefix[64]; /* of the message ids answered */
	uint64_t requests, refused, connections;
	struct conn *conns;
	int open, max_open;
	int64_t first_us, last_us;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what) __attribute__((noreturn));

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The header's value in the head [start, end), or NULL. */
static const char *header(const char *head, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = head; p + n < end; p++)
		if (p[-1] == '\n' && strncasecmp(p, name, n) == 0) {
			p += n;
			while (*p == ' ')
				p++;
			return p;
		}
	return NULL;
}

static void append(struct conn *c, const char *data, size_t len)
{
	if (c->out_len + len > OUT_MAX) {
		fprintf(stderr, "fake_provider: answer buffer full\n");
		exit(1);
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

/* The recipient ("to") of a send body, for the answer's contacts; "" when absent. */
static void recipient(const char *body, size_t len, char out[65])
{
	const char *key = "\"to\":\"";
	out[0] = '\0';
	const char *p = memmem(body, len, key, strlen(key));
	if (p == NULL)
		return;
	p += strlen(key);
	size_t n = 0;
	while (p + n < body + len && n < 64 && p[n] != '"' && p[n] != '\\')
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/*
 * Answers every complete request in c->in. Returns false when the connection must close
 * (a malformed or chunked request, answered first).
 */
static bool serve(struct conn *c, struct counters *k)
{
	for (;;) {
		c->in[c->in_len] = '\0';
		char *end = strstr(c->in, "\r\n\r\n");
		if (end == NULL)
			return c->in_len < IN_MAX - 1;
		size_t head = (size_t)(end - c->in) + 4;
		const char *length = header(c->in + 1, end, "Content-Length:");
		const char *expect = header(c->in + 1, end, "Expect:");
		if (length == NULL || header(c->in + 1, end, "Transfer-Encoding:") != NULL) {
			const char *no = "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n"
			                 "Connection: close\r\n\r\n";
			append(c, no, strlen(no));
			k->refused++;
			return false;
		}
		size_t body = strtoul(length, NULL, 10);
		if (head + body >= IN_MAX)
			return false;
		if (c->in_len < head + body) {
			if (expect != NULL && !c->has_continued) {
				const char *go = "HTTP/1.1 100 Continue\r\n\r\n";
				append(c, go, strlen(go));
				c->has_continued = true;
			}
			return true;
		}
		char to[65], answer[512];
		recipient(c->in + head, body, to);
		k->requests++;
		int n = snprintf(
		    answer, sizeof(answer),
		    "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"%s\","
		    "\"wa_id\":\"%s\"}],\"messages\":[{\"id\":\"wamid.fake.%s.%" PRIu64 "\"}]}",
		    to, to, k->id_prefix, k->requests);
		char head_out[160];
		int h = snprintf(head_out, sizeof(head_out),
		                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                 "Content-Length: %d\r\n\r\n",
		                 n);
		append(c, head_out, (size_t)h);
		append(c, answer, (size_t)n);
		c->has_continued = false;
		memmove(c->in, c->in + head + body, c->in_len - head - body);
		c->in_len -= head + body;
	}
}

/* Writes what is pending; false when the peer is gone. */
static bool flush(int epfd, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
			epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
			c->is_watching_out = true;
			return true;
		}
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	if (c->is_watching_out) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->is_watching_out = false;
	}
	c->out_len = c->out_off = 0;
	return true;
}

static void drop(struct conn *c, struct counters *k)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		k->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
	k->open--;
}

static void accept_all(int epfd, int listener, struct counters *k)
{
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (c == NULL)
			die("calloc");
		c->fd = fd;
		c->next = k->conns;
		if (k->conns != NULL)
			k->conns->prev = c;
		k->conns = c;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		k->connections++;
		if (++k->open > k->max_open)
			k->max_open = k->open;
	}
}

/* Reads and answers; false when the connection is finished. */
static bool on_event(int epfd, struct conn *c, uint32_t events, struct counters *k)
{
	if (events & EPOLLIN) {
		ssize_t n = read(c->fd, c->in + c->in_len, IN_MAX - 1 - c->in_len);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return false;
		if (n > 0) {
			c->in_len += (size_t)n;
			uint64_t before = k->requests;
			bool keep = serve(c, k);
			if (k->requests > before) {
				int64_t now = mono_us();
				if (k->first_us == 0)
					k->first_us = now;
				k->last_us = now;
			}
			return flush(epfd, c) && keep;
		}
	}
	if (events & EPOLLOUT)
		return flush(epfd, c);
	return !(events & (EPOLLERR | EPOLLHUP));
}

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(addr);
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		die("listen");
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	int port = 0;
	uint64_t expect = 0;
	double seconds = 60;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--expect") == 0)
			expect = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
	}
	if (argc % 2 == 0 || port < 0 || port > 65535 || seconds <= 0 || seconds > 600) {
		fprintf(stderr, "usage: fake_provider [--port P] [--expect N] [--seconds S]\n");
		return 2;
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int listener = listen_on(port);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &sfd };
	if (sfd < 0 || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &lev) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &sev) < 0)
		die("epoll");
	struct counters k = { 0 };
	snprintf(k.id_prefix, sizeof(k.id_prefix), "%d.%lld", (int)getpid(), (long long)time(NULL));
	int64_t deadline = mono_us() + (int64_t)(seconds * 1e6);
	bool is_stopping = false;
	while (!is_stopping && (expect == 0 || k.requests < expect) && mono_us() < deadline) {
		struct epoll_event events[256];
		int n = epoll_wait(epfd, events, 256, 100);
		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;
			if (p == NULL)
				accept_all(epfd, listener, &k);
			else if (p == &sfd)
				is_stopping = true;
			else if (!on_event(epfd, p, events[i].events, &k))
				drop(p, &k);
		}
	}
	double span = (double)(k.last_us - k.first_us) / 1e6;
	printf("{\"requests\":%" PRIu64 ",\"connections\":%" PRIu64 ",\"max_open\":%d,"
	       "\"refused\":%" PRIu64 ",\"seconds\":%.3f,\"rate\":%.0f}\n",
	       k.requests, k.connections, k.max_open, k.refused, span,
	       span > 0 ? (double)(k.requests - 1) / span : 0.0);
	fflush(stdout);
	while (k.conns != NULL)
		drop(k.conns, &k);
	close(listener);
	close(epfd);
	close(sfd);
	return 0;
}
