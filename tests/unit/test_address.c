/* core/address.c: addresses, ranges, and the client behind trusted proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/address.h"

static void assert_client(const char *peer, const char *forwarded, const char *real_ip,
                          const char *trusted, const char *expected)
{
	struct address p, c;
	struct address_ranges r = { 0 };
	char text[ADDRESS_TEXT_MAX];
	assert_true(address_parse(peer, strlen(peer), &p));
	if (trusted != NULL)
		assert_true(address_ranges_parse(trusted, &r));
	c = address_client(&p, forwarded, real_ip, &r);
	address_format(&c, text, sizeof(text));
	assert_string_equal(text, expected);
}

static void test_parse(void **state)
{
	struct address a;
	char text[ADDRESS_TEXT_MAX];
	assert_true(address_parse(" 10.1.2.3 ", 10, &a));
	address_format(&a, text, sizeof(text));
	assert_string_equal(text, "10.1.2.3");
	assert_true(address_parse("::ffff:10.1.2.3", 15, &a));
	address_format(&a, text, sizeof(text));
	assert_string_equal(text, "10.1.2.3");
	assert_true(address_parse("2001:DB8:0::1", 13, &a));
	address_format(&a, text, sizeof(text));
	assert_string_equal(text, "2001:db8::1");
	static const char *const bad[] = { "",        " ",          "10.1.2", "10.1.2.256",
		                           "unknown", "1.2.3.4:80", "[::1]",  "fe80::1%eth0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(address_parse(bad[i], strlen(bad[i]), &a));
}

static void test_ranges(void **state)
{
	struct address_ranges r;
	struct address a;
	assert_true(address_ranges_parse("127.0.0.1, 10.0.0.0/8 fd00::/8,::1", &r));
	assert_int_equal(r.count, 4);
	static const char *const inside[] = { "127.0.0.1", "10.255.0.7", "fd12::3", "::1",
		                              "::ffff:10.0.0.1" };
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		assert_true(address_parse(inside[i], strlen(inside[i]), &a));
		assert_true(address_ranges_contain(&r, &a));
	}
	static const char *const outside[] = { "127.0.0.2", "11.0.0.1", "fe00::1", "::2" };
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_true(address_parse(outside[i], strlen(outside[i]), &a));
		assert_false(address_ranges_contain(&r, &a));
	}
	assert_true(address_ranges_parse("0.0.0.0/0", &r));
	assert_true(address_parse("203.0.113.9", 11, &a));
	assert_true(address_ranges_contain(&r, &a));
	assert_true(address_parse("2001:db8::1", 11, &a));
	assert_false(address_ranges_contain(&r, &a)); /* an IPv4 range holds no IPv6 address */
	static const char *const bad[] = { "",          " , ",        "10.0.0.0/33",  "::/129",
		                           "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8", "proxy" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(address_ranges_parse(bad[i], &r));
	char many[1024] = "";
	for (int i = 0; i <= ADDRESS_RANGES_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.0.%d,", i);
	assert_false(address_ranges_parse(many, &r));
}

static void test_client(void **state)
{
	/* No trusted proxies, or a peer that is not one: its headers mean nothing. */
	assert_client("203.0.113.5", "198.51.100.1", "198.51.100.2", NULL, "203.0.113.5");
	assert_client("203.0.113.5", "198.51.100.1", "198.51.100.2", "127.0.0.1", "203.0.113.5");
	/* A trusted peer: the rightmost hop it does not trust (the client wrote what is left). */
	assert_client("127.0.0.1", "1.1.1.1, 198.51.100.7", NULL, "127.0.0.1", "198.51.100.7");
	assert_client("127.0.0.1", "198.51.100.7, 10.0.0.2", NULL, "127.0.0.1,10.0.0.0/8",
	              "198.51.100.7");
	assert_client("::1", "2001:db8::7", NULL, "::1", "2001:db8::7");
	/* All trusted: the leftmost. A bad entry stops at the hop that added it. */
	assert_client("127.0.0.1", "10.0.0.3, 10.0.0.2", NULL, "127.0.0.1,10.0.0.0/8", "10.0.0.3");
	assert_client("127.0.0.1", "198.51.100.7, unknown", NULL, "127.0.0.1", "127.0.0.1");
	assert_client("127.0.0.1", "198.51.100.7, garbage, 10.0.0.2", NULL, "127.0.0.1,10.0.0.0/8",
	              "10.0.0.2");
	assert_client("127.0.0.1", " , 198.51.100.7,", NULL, "127.0.0.1", "198.51.100.7");
	/* X-Real-IP only without X-Forwarded-For, and only when it is an address. */
	assert_client("127.0.0.1", NULL, "198.51.100.9", "127.0.0.1", "198.51.100.9");
	assert_client("127.0.0.1", "198.51.100.7", "198.51.100.9", "127.0.0.1", "198.51.100.7");
	assert_client("127.0.0.1", NULL, "nonsense", "127.0.0.1", "127.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
