/* Webhook authentication: Meta's X-Hub-Signature-256 and GET handshake, Telegram's secret. */
#include "channel_test.h"

#include <sodium.h>

#include "core/token.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";

/* "sha256=<hex HMAC-SHA256(key, body)>", as Meta computes it. */
static void sign(const char *key, const char *body, size_t len, char out[7 + 64 + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, 65, mac, sizeof(mac));
}

static int setup(void **state)
{
	(void)state;
	return token_init();
}

static void test_meta_signature_of_each_fixture_verifies(void **state)
{
	static const char *const fixtures[] = {
		"whatsapp/text.json",      "whatsapp/batched.json", "messenger/text.json",
		"messenger/postback.json", "instagram/text.json",   "instagram/story_reply.json",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		char *body = fixture_read(fixtures[i], &len);
		char header[80];
		sign(secret, body, len, header);
		assert_int_equal(meta_signature_verify(header, body, len, secret), 0);
		/* Another app's secret, or one changed byte of the body, must fail. */
		assert_int_equal(meta_signature_verify(header, body, len, "another secret"),
		                 ERR_BAD_SIGNATURE);
		body[len / 2] ^= 1;
		assert_int_equal(meta_signature_verify(header, body, len, secret),
		                 ERR_BAD_SIGNATURE);
		/* The signature covers every byte: a shorter body fails too. */
		body[len / 2] ^= 1;
		assert_int_equal(meta_signature_verify(header, body, len - 1, secret),
		                 ERR_BAD_SIGNATURE);
		free(body);
	}
}

static void test_meta_signature_accepts_upper_case_hex(void **state)
{
	const char body[] = "{\"object\":\"page\",\"entry\":[]}";
	char header[80];
	(void)state;
	sign(secret, body, strlen(body), header);
	for (char *p = header + 7; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(meta_signature_verify(header, body, strlen(body), secret), 0);
}

static void test_meta_signature_refuses_malformed_headers(void **state)
{
	const char body[] = "{\"object\":\"page\",\"entry\":[]}";
	size_t len = strlen(body);
	char good[80], bad[100];
	(void)state;

	sign(secret, body, len, good);
	assert_int_equal(meta_signature_verify(NULL, body, len, secret), ERR_BAD_SIGNATURE);
	assert_int_equal(meta_signature_verify("", body, len, secret), ERR_BAD_SIGNATURE);
	assert_int_equal(meta_signature_verify("sha256=", body, len, secret), ERR_BAD_SIGNATURE);
	/* The old SHA-1 header's form, and the right hex without its prefix. */
	snprintf(bad, sizeof(bad), "sha1=%s", good + 7);
	assert_int_equal(meta_signature_verify(bad, body, len, secret), ERR_BAD_SIGNATURE);
	assert_int_equal(meta_signature_verify(good + 7, body, len, secret), ERR_BAD_SIGNATURE);
	/* One hex digit short, one too many, a trailing space, a non-hex digit. */
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(good) - 1, good);
	assert_int_equal(meta_signature_verify(bad, body, len, secret), ERR_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%s0", good);
	assert_int_equal(meta_signature_verify(bad, body, len, secret), ERR_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%s ", good);
	assert_int_equal(meta_signature_verify(bad, body, len, secret), ERR_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[10] = 'g';
	assert_int_equal(meta_signature_verify(bad, body, len, secret), ERR_BAD_SIGNATURE);
	/* No secret configured never verifies, whatever the header. */
	sign("", body, len, bad);
	assert_int_equal(meta_signature_verify(bad, body, len, ""), ERR_BAD_SIGNATURE);
	assert_int_equal(meta_signature_verify(good, body, len, NULL), ERR_BAD_SIGNATURE);
	/* The right header still verifies after all that. */
	assert_int_equal(meta_signature_verify(good, body, len, secret), 0);
}

static void test_meta_signature_of_an_empty_body(void **state)
{
	char header[80];
	(void)state;
	sign(secret, "", 0, header);
	assert_int_equal(meta_signature_verify(header, "", 0, secret), 0);
	assert_int_equal(meta_signature_verify(header, NULL, 0, secret), 0);
	assert_int_equal(meta_signature_verify(header, NULL, 5, secret), ERR_BAD_SIGNATURE);
}

/* Reads one query parameter of the fixture's request line into out. */
static void query_param(const char *request, const char *name, char *out, size_t size)
{
	const char *p = strstr(request, name);
	size_t n;
	assert_non_null(p);
	p += strlen(name) + 1;
	n = strcspn(p, "& \r\n");
	assert_true(n < size);
	memcpy(out, p, n);
	out[n] = '\0';
}

static void test_meta_subscription_handshake_of_the_fixture(void **state)
{
	size_t len;
	char *request = fixture_read("whatsapp/verify_request.txt", &len);
	char mode[32], challenge[80], token[80];
	(void)state;

	query_param(request, "hub.mode", mode, sizeof(mode));
	query_param(request, "hub.challenge", challenge, sizeof(challenge));
	query_param(request, "hub.verify_token", token, sizeof(token));
	assert_string_equal(challenge, "1158201444");
	assert_int_equal(meta_subscription_verify(mode, token, challenge, token), 0);
	assert_int_equal(
	    meta_subscription_verify(mode, token, challenge, "VERIFY_TOKEN_OF_ANOTHER"),
	    ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("unsubscribe", token, challenge, token),
	                 ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify(NULL, token, challenge, token), ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify(mode, NULL, challenge, token), ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify(mode, token, challenge, NULL), ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify(mode, "", challenge, ""), ERR_FORBIDDEN);
	free(request);
}

static void test_meta_subscription_refuses_challenges_unsafe_to_echo(void **state)
{
	const char *token = "tok";
	char long_challenge[66];
	(void)state;

	memset(long_challenge, '7', 65);
	long_challenge[65] = '\0';
	assert_int_equal(meta_subscription_verify("subscribe", token, long_challenge, token),
	                 ERR_FORBIDDEN);
	long_challenge[64] = '\0';
	assert_int_equal(meta_subscription_verify("subscribe", token, long_challenge, token), 0);
	assert_int_equal(meta_subscription_verify("subscribe", token, "", token), ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("subscribe", token, NULL, token), ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("subscribe", token, "<script>", token),
	                 ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("subscribe", token, "12 34", token),
	                 ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("subscribe", token, "12\r\n34", token),
	                 ERR_FORBIDDEN);
	assert_int_equal(meta_subscription_verify("subscribe", token, "a&b", token), ERR_FORBIDDEN);
}

static void test_telegram_secret(void **state)
{
	(void)state;
	assert_true(telegram_secret_verify("s3cr3t-Token_1", "s3cr3t-Token_1"));
	assert_false(telegram_secret_verify("s3cr3t-Token_2", "s3cr3t-Token_1"));
	assert_false(telegram_secret_verify("s3cr3t-Token_1x", "s3cr3t-Token_1"));
	assert_false(telegram_secret_verify("s3cr3t-Token_", "s3cr3t-Token_1"));
	assert_false(telegram_secret_verify("", "s3cr3t-Token_1"));
	assert_false(telegram_secret_verify(NULL, "s3cr3t-Token_1"));
	/* A channel without a secret accepts no request, not every request. */
	assert_false(telegram_secret_verify("", ""));
	assert_false(telegram_secret_verify("anything", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_signature_of_each_fixture_verifies),
		cmocka_unit_test(test_meta_signature_accepts_upper_case_hex),
		cmocka_unit_test(test_meta_signature_refuses_malformed_headers),
		cmocka_unit_test(test_meta_signature_of_an_empty_body),
		cmocka_unit_test(test_meta_subscription_handshake_of_the_fixture),
		cmocka_unit_test(test_meta_subscription_refuses_challenges_unsafe_to_echo),
		cmocka_unit_test(test_telegram_secret),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
