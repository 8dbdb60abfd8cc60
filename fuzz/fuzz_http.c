/*
 * libFuzzer: what the server parses out of requests itself (http/parse.h): paths against the
 * route patterns, whole-number query parameters, Last-Event-ID, the conversation list's
 * cursor and view=team:<id>, the session cookie / CSRF token / bearer token values, which are
 * hashed and compared, the webhooks' GET handshake (hub.challenge, echoed back) and
 * Telegram secret header, and X-Forwarded-For / X-Real-IP behind trusted proxies (the client
 * named is always the peer, a trusted hop or an address the headers hold). libmicrohttpd splits
 * headers, cookies and the query string, so a value never holds a NUL: the input up to its first
 * NUL is the value. The first 16 bytes also make a cursor that must decode to what was encoded.
 */
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/token.h"
#include "http/parse.h"
#include "providers/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = {
	"/healthz",
	"/webhooks/telegram/:id",
	"/api/v1/conversations/:id/messages",
	"/api/v1/teams/:id/members/:id",
	"/api/v1/conversations/:id/tags/:name",
};

static void check_cursor(int64_t activity_at, int64_t id)
{
	char text[HTTP_CURSOR_TEXT_MAX];
	int64_t a, i;
	http_cursor_encode(activity_at, id, text);
	if (!http_cursor_decode(text, &a, &i) || a != activity_at || i != id)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool is_ready;
	if (!is_ready && token_init() == 0)
		is_ready = true;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	int64_t params[HTTP_MAX_PARAMS];
	char name[HTTP_NAME_MAX + 1];
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (http_path_match(patterns[i], s, params, name) && strchr(patterns[i], ':') &&
		    params[0] <= 0)
			abort();

	int64_t v, w;
	if (http_parse_int(s, 1, 200, &v) && (v < 1 || v > 200))
		abort();
	(void)http_parse_int(s, INT64_MIN, INT64_MAX, &v);
	if (http_parse_event_id(s, &v) && v < 0)
		abort();
	const char *end;
	if (http_parse_decimal(s, '\0', &end, &v) && (v < 0 || *end != '\0'))
		abort();
	if (http_cursor_decode(s, &v, &w)) {
		if (v < 0 || w <= 0)
			abort();
		check_cursor(v, w);
	}
	if (size >= 16) {
		uint64_t a, i;
		memcpy(&a, data, 8);
		memcpy(&i, data + 8, 8);
		check_cursor((int64_t)(a % 1000000000000000000ULL),
		             (int64_t)(i % 999999999999999999ULL) + 1);
	}

	/* A challenge the handshake accepts is echoed: 1 to 64 printable ASCII characters. */
	if (meta_subscription_verify("subscribe", "wa-verify", s, "wa-verify") == 0) {
		size_t len = strlen(s);
		if (len == 0 || len > 64)
			abort();
		for (size_t i = 0; i < len; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				abort();
	}
	/* The mode must be "subscribe" and the token "wa-verify": one value cannot be both. */
	if (meta_subscription_verify(s, s, s, "wa-verify") == 0)
		abort();
	(void)telegram_secret_verify(s, "telegram-secret");

	struct address_ranges trusted;
	struct address peer, client, parsed;
	if (!address_ranges_parse("127.0.0.1, 10.0.0.0/8, ::1", &trusted) ||
	    !address_parse("127.0.0.1", 9, &peer))
		abort();
	client = address_client(&peer, s, s, &trusted);
	char text[ADDRESS_TEXT_MAX];
	address_format(&client, text, sizeof(text));
	if (!address_parse(text, strlen(text), &parsed) || memcmp(&parsed, &client, sizeof(parsed)))
		abort();
	(void)address_ranges_parse(s, &trusted);

	char hash[TOKEN_HASH_LEN];
	token_hash(s, strlen(s), hash);
	(void)token_equal(s, "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	free(s);
	return 0;
}
