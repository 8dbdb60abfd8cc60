/* WhatsApp templates: the list request and its pages, and sends checked against a template. */
#include "channel_test.h"

#include <jansson.h>

static const struct channel_send graph = {
	.kind = CHANNEL_WHATSAPP,
	.api_url = "https://graph.example/",
	.api_version = "v25.0",
	.token = "EAAtoken",
};

static void test_list_request(void **state)
{
	(void)state;
	struct channel_request *r = NULL;
	struct error e;
	assert_int_equal(whatsapp_templates_request_new(&graph, "1029", "QVF=/x", &r, &e), 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->url,
	                    "https://graph.example/v25.0/1029/message_templates?fields=name,"
	                    "language,status,category,components&limit=100&after=QVF%3D%2Fx");
	assert_null(strstr(r->url_for_log, "EAAtoken"));
	assert_string_equal(r->headers[1], "Authorization: Bearer EAAtoken");
	channel_request_free(r);
	assert_int_equal(whatsapp_templates_request_new(&graph, "10/29", NULL, &r, &e),
	                 ERR_INVALID);
	struct channel_send bad = graph;
	bad.token = "two words";
	assert_int_equal(whatsapp_templates_request_new(&bad, "1029", NULL, &r, &e), ERR_INVALID);
	assert_null(r);
}

static int parse(long status, const char *body, json_t **list, char **after, struct error *e)
{
	return whatsapp_templates_page_parse(status, body, strlen(body), list, after, e);
}

static void test_pages(void **state)
{
	(void)state;
	json_t *list;
	char *after;
	struct error e;
	assert_int_equal(
	    parse(200,
	          "{\"data\":[{\"name\":\"a\",\"language\":\"es\",\"status\":"
	          "\"APPROVED\",\"category\":\"UTILITY\",\"id\":\"1\"}],"
	          "\"paging\":{\"cursors\":{\"after\":\"QQ\"},\"next\":\"https://x\"}}",
	          &list, &after, &e),
	    0);
	assert_int_equal(json_array_size(list), 1);
	assert_true(json_is_array(json_object_get(json_array_get(list, 0), "components")));
	assert_string_equal(after, "QQ");
	json_decref(list);
	free(after);
	assert_int_equal(parse(200, "{\"data\":[]}", &list, &after, &e), 0);
	assert_null(after);
	json_decref(list);

	const char *bad[] = {
		"[]",
		"{\"data\":{}}",
		"{\"data\":[{\"name\":\"a\",\"status\":\"APPROVED\"}]}",
		"{\"data\":[{\"name\":\"a\",\"language\":\"e s\",\"status\":\"APPROVED\"}]}",
		"{\"data\":[{\"name\":\"a\",\"language\":\"es\",\"status\":\"A\",\"components\":[1]}]}",
		"{\"data\":[],\"paging\":{\"next\":\"https://x\"}}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(200, bad[i], &list, &after, &e), ERR_UPSTREAM);
		assert_null(list);
		assert_null(after);
	}
	assert_int_equal(parse(400, "{\"error\":{\"message\":\"(#100) Nope\"}}", &list, &after, &e),
	                 ERR_UPSTREAM);
	assert_non_null(strstr(e.message, "400"));
	assert_non_null(strstr(e.message, "(#100) Nope"));
}

static int build(const char *components, const char *params, json_t **cloud, char **text,
                 struct error *e)
{
	json_t *c = json_loads(components, 0, NULL),
	       *p = params ? json_loads(params, 0, NULL) : NULL;
	int rc = whatsapp_template_build("t", "es", c, p, cloud, text, e);
	json_decref(c);
	json_decref(p);
	return rc;
}

static void test_build(void **state)
{
	(void)state;
	json_t *cloud;
	char *text;
	struct error e;
	/* {{1}} twice takes one parameter; a copy code takes one too. */
	assert_int_equal(build("[{\"type\":\"BODY\",\"text\":\"{{1}} y {{1}}, {{2}}\"},"
	                       "{\"type\":\"BUTTONS\",\"buttons\":[{\"type\":\"COPY_CODE\","
	                       "\"example\":\"X\"}]}]",
	                       "{\"body\":[\"a\",\"b\"],\"buttons\":[\"CODE1\"]}", &cloud, &text,
	                       &e),
	                 0);
	assert_string_equal(text, "a y a, b");
	char *dump = json_dumps(cloud, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    dump, "{\"components\":[{\"parameters\":[{\"text\":\"a\",\"type\":\"text\"},"
	          "{\"text\":\"b\",\"type\":\"text\"}],\"type\":\"body\"},{\"index\":\"0\","
	          "\"parameters\":[{\"coupon_code\":\"CODE1\",\"type\":\"coupon_code\"}],"
	          "\"sub_type\":\"copy_code\",\"type\":\"button\"}],\"language\":{\"code\":"
	          "\"es\"},\"name\":\"t\"}");
	free(dump);
	free(text);
	json_decref(cloud);
	/* No variables: no components, and the parameters may be left out. */
	assert_int_equal(build("[{\"type\":\"BODY\",\"text\":\"Hola\"}]", NULL, &cloud, &text, &e),
	                 0);
	assert_null(json_object_get(cloud, "components"));
	assert_string_equal(text, "Hola");
	free(text);
	json_decref(cloud);
	/* Named parameters, more than four spaces in a row, a parameters list. */
	assert_int_equal(build("[{\"type\":\"BODY\",\"text\":\"Hola {{nombre}}\"}]",
	                       "{\"body\":[\"a\"]}", &cloud, &text, &e),
	                 ERR_UNPROCESSABLE);
	assert_int_equal(build("[{\"type\":\"BODY\",\"text\":\"{{1}}\"}]",
	                       "{\"body\":[\"a     b\"]}", &cloud, &text, &e),
	                 ERR_UNPROCESSABLE);
	assert_int_equal(
	    build("[{\"type\":\"BODY\",\"text\":\"{{1}}\"}]", "[\"a\"]", &cloud, &text, &e),
	    ERR_UNPROCESSABLE);
	assert_null(cloud);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_request),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
