/* Suggestions from the team's corrections (routing/suggest.c): what a reply is remembered as,
 * and which words route_suggest proposes, in what order, and what it leaves out. */
#include "routing_test.h"

#define CONFIG                                                                                  \
	"{'welcome_message': 'Hola: 1 Soporte 2 Ventas', 'fallback_message': 'Responde 1 o 2'," \
	" 'options': [{'answers': ['1', 'soporte'], 'team': 'Soporte'},"                        \
	"  {'answers': ['2', 'ventas', 'factura'], 'team': 'Ventas'},"                          \
	"  {'answers': ['horario'], 'reply': 'De 9 a 18'}]}"

static void test_reply_key(void **state)
{
	(void)state;
	static const struct {
		const char *text, *key;
	} cases[] = {
		{ "Tengo una AVERÍA!!", "tengo una averia" },
		{ "mi teléfono es +34 612 345 678, llamadme", "mi telefono es llamadme" },
		{ "escribid a juan.perez@example.com por favor", "escribid a por favor" },
		{ "mirad https://example.com/pedido?id=7 y www.example.org", "mirad y" },
		{ "pedido 12345A, DNI 12345678Z", "pedido dni" },
		{ "2", "" },
		{ "", "" },
		{ "@", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *key = route_reply_key(cases[i].text, strlen(cases[i].text));
		if (strcmp(key, cases[i].key) != 0)
			fail_msg("'%s': '%s', want '%s'", cases[i].text, key, cases[i].key);
		free(key);
	}
	char *key = route_reply_key(NULL, 0);
	assert_string_equal(key, "");
	free(key);
}

/* The suggestions as "text:count:fallbacks:moves:team:option:conflict:conflict_option" lines. */
static char *describe(const struct route_suggestion *s, size_t n)
{
	static char out[4096];
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len,
		                        "%s%s:%lld:%lld:%lld:%lld:%d:%d:%d", i > 0 ? " | " : "",
		                        s[i].text, (long long)s[i].count, (long long)s[i].fallbacks,
		                        (long long)s[i].moves, (long long)s[i].team_id, s[i].option,
		                        (int)s[i].conflict, s[i].conflict_option);
	return out;
}

static void expect(const struct route_config *cfg, const struct route_reply_seen *replies, size_t n,
                   const char *const *dismissed, size_t ndismissed, size_t max, const char *want)
{
	struct route_suggestion *s = NULL;
	size_t count = route_suggest(cfg, replies, n, dismissed, ndismissed, max, &s);
	const char *got = describe(s, count);
	if (strcmp(got, want) != 0)
		fail_msg("got  %s\nwant %s", got, want);
	route_suggestions_free(s, count);
}

static void test_fallbacks_and_moves(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(CONFIG);
	const struct route_reply_seen replies[] = {
		{ "tengo una averia", 0, 3 },
		{ "averia en el router", 0, 1 },
		{ "el router no va tengo una averia", 1, 2 }, /* moved to Soporte */
		{ "quiero comprar averia", 1, 1 },            /* moved to Soporte */
		{ "presupuesto para la oficina", 2, 1 },      /* moved to Ventas */
		{ "presupuesto", 2, 1 },                      /* moved to Ventas */
		{ "hola buenas tardes", 0, 9 },               /* only menu words */
		{ "soporte urgente", 0, 1 },                  /* soporte is an answer already */
		{ "urgente", 0, 1 },
	};
	/* averia: 4 fell back + 3 moved to Soporte (team 1, option 0); router: 1 + 2 (the moves
	 * decide the team); presupuesto: moved to Ventas twice; urgente: fell back twice, no team.
	 * "comprar", "oficina" and "hola buenas tardes" are too rare or stop words. */
	expect(cfg, replies, sizeof(replies) / sizeof(replies[0]), NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "averia:7:4:3:1:0:0:-1 | router:3:1:2:1:0:0:-1 | presupuesto:2:0:2:2:1:0:-1 | "
	       "urgente:2:2:0:0:-1:0:-1");
	/* At most max, the most useful first. */
	expect(cfg, replies, sizeof(replies) / sizeof(replies[0]), NULL, 0, 1,
	       "averia:7:4:3:1:0:0:-1");
	/* A dismissed word stays out, whatever its case or accents. */
	const char *const dismissed[] = { "router", "averia" };
	expect(cfg, replies, sizeof(replies) / sizeof(replies[0]), dismissed, 2,
	       ROUTE_MAX_SUGGESTIONS, "presupuesto:2:0:2:2:1:0:-1 | urgente:2:2:0:0:-1:0:-1");
	route_config_free(cfg);
}

static void test_left_out(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(CONFIG);
	/* Each of these twice: numbers, short words, stop words, negations, number words, answers
	 * of the option it would go to, and with no config the same minus what only answers say. */
	const struct route_reply_seen replies[] = {
		{ "no tv la segunda y tambien what have you", 0, 2 },
		{ "soporte", 1, 2 },
		{ "ventas", 0, 2 },
		{ "unico", 0, 1 },
	};
	expect(cfg, replies, sizeof(replies) / sizeof(replies[0]), NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "");
	expect(NULL, replies, sizeof(replies) / sizeof(replies[0]), NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "soporte:2:0:2:1:-1:0:-1 | ventas:2:2:0:0:-1:0:-1");
	expect(cfg, NULL, 0, NULL, 0, ROUTE_MAX_SUGGESTIONS, "");
	route_config_free(cfg);
}

static void test_conflicts(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(CONFIG);
	/* Agents move replies with "factura" to Soporte: it is Ventas's answer, a duplicate. */
	const struct route_reply_seen duplicate[] = {
		{ "no me llega la factura", 1, 2 },
	};
	expect(cfg, duplicate, 1, NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "factura:2:0:2:1:0:1:1 | llega:2:0:2:1:0:0:-1");
	/* With "pedido" in Soporte, "pedido ventas" would tie with Ventas: both exact, one word
	 * each. "ventas" itself is Ventas's answer: a duplicate. */
	const struct route_reply_seen tie[] = {
		{ "pedido ventas", 1, 2 },
		{ "pedido roto", 1, 1 },
	};
	expect(cfg, tie, 2, NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "pedido:3:0:3:1:0:2:1 | ventas:2:0:2:1:0:1:1");
	/* Without the tie it is clean. */
	const struct route_reply_seen clean[] = {
		{ "pedido roto", 1, 3 },
	};
	expect(cfg, clean, 1, NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "pedido:3:0:3:1:0:0:-1 | roto:3:0:3:1:0:0:-1");
	route_config_free(cfg);
}

/* Ties in the order: count, then moves, then the word; a team tie goes to the lower id. */
static void test_order(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(CONFIG);
	const struct route_reply_seen replies[] = {
		{ "zeta", 0, 2 },
		{ "alfa", 0, 2 },
		{ "beta", 2, 2 },
		{ "beta", 1, 2 },
	};
	expect(cfg, replies, 4, NULL, 0, ROUTE_MAX_SUGGESTIONS,
	       "beta:2:0:2:1:0:0:-1 | alfa:2:2:0:0:-1:0:-1 | zeta:2:2:0:0:-1:0:-1");
	route_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_key), cmocka_unit_test(test_fallbacks_and_moves),
		cmocka_unit_test(test_left_out),  cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
