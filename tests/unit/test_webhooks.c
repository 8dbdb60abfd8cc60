/* webhooks/: the signature a receiver checks, against an HMAC-SHA256 computed elsewhere
 * (Node's crypto). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "webhooks/webhooks.h"

static void test_signature(void **state)
{
	char sig[WEBHOOK_SIGNATURE_MAX];
	const char *body = "{\"a\":1}";
	webhook_sign("whsec_test", 1700000000, body, strlen(body), sig);
	assert_string_equal(
	    sig,
	    "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
	webhook_sign("whsec_test", 1700000001, body, strlen(body), sig);
	assert_null(strstr(sig, "38877139021993b830af"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
