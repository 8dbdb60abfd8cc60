/*
 * The matcher, table first: what customers type in Spanish and English against typical menus,
 * and which option (and answer) must win, exactly, by a typing slip or by a number word, or
 * why not (a tie, nothing matched, only negated mentions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "core/buf.h"
#include "routing/routing.h"
#include "routing_test.h"

/* In both menus option 2 is the FAQ (a reply, no team); the others have teams. */
static const char spanish_doc[] =
    "{\"welcome_message\": \"1 Soporte, 2 Ventas, 3 Horario, 4 Alcalá, 5 Facturación\","
    " \"fallback_message\": \"Responde con un número del 1 al 5.\","
    " \"options\": ["
    "  {\"answers\": [\"1\", \"soporte\", \"ayuda\", \"soporte técnico\", \"no funciona\","
    "   \"OPT_SUPPORT\", \"avería\"], \"team\": \"Soporte\"},"
    "  {\"answers\": [\"2\", \"ventas\", \"comprar\", \"presupuesto\", \"precio\", \"opt-sales\"],"
    "   \"team\": \"Ventas\", \"reply\": \"Te pasamos con ventas.\"},"
    "  {\"answers\": [\"3\", \"horario\", \"a qué hora abrís\"], \"reply\": \"De 9 a 18 h.\"},"
    "  {\"answers\": [\"4\", \"Alcalá de Henares\"], \"team\": \"Alcalá\"},"
    "  {\"answers\": [\"5\", \"facturación\", \"factura\", \"devolución\", \"contabilidad\"],"
    "   \"team\": \"Administración\"}"
    " ]}";

static const char english_doc[] =
    "{\"welcome_message\": \"1 Support, 2 Sales, 3 Opening hours, 4 Billing\","
    " \"fallback_message\": \"Please answer 1, 2, 3 or 4.\","
    " \"options\": ["
    "  {\"answers\": [\"1\", \"support\", \"help\", \"technical support\"], \"team\": \"Support\"},"
    "  {\"answers\": [\"2\", \"sales\", \"buy\", \"pricing\"], \"team\": \"Sales\"},"
    "  {\"answers\": [\"3\", \"opening hours\", \"hours\"], \"reply\": \"9 to 6.\"},"
    "  {\"answers\": [\"4\", \"billing\", \"invoice\", \"refund\"], \"team\": \"Billing\"}"
    " ]}";

/* A menu without numbers: "dos" is a word here, and "Dos Hermanas" a place. */
static const char places_doc[] =
    "{'welcome_message': '¿Desde dónde nos escribes?', 'fallback_message': '¿Desde dónde?',"
    " 'options': ["
    "  {'answers': ['Dos Hermanas', 'Sevilla', 'La Quinta'], 'team': 'Soporte'},"
    "  {'answers': ['Madrid', 'segunda mano'], 'team': 'Ventas'}"
    " ]}";

/* Ten numbered options, and a place whose name begins with a number word. */
static const char ten_doc[] =
    "{'welcome_message': 'Elige del 1 al 10', 'fallback_message': 'Del 1 al 10, por favor.',"
    " 'options': ["
    "  {'answers': ['1'], 'team': 1}, {'answers': ['2'], 'team': 1},"
    "  {'answers': ['3'], 'team': 1}, {'answers': ['4'], 'team': 1},"
    "  {'answers': ['5'], 'team': 1}, {'answers': ['6'], 'team': 1},"
    "  {'answers': ['7'], 'team': 1}, {'answers': ['8'], 'team': 1},"
    "  {'answers': ['9'], 'team': 1}, {'answers': ['10'], 'team': 1},"
    "  {'answers': ['Dos Hermanas', 'cuarto de baño'], 'team': 2}"
    " ]}";

/* A yes-or-no question: "no" is an answer, not a negation of one. */
static const char yes_no_doc[] =
    "{'welcome_message': '¿Ya eres cliente?', 'fallback_message': 'Sí o no.',"
    " 'options': ["
    "  {'answers': ['sí', 'yes'], 'team': 'Soporte'},"
    "  {'answers': ['no'], 'team': 'Ventas'}"
    " ]}";

enum menu { ES, EN, PLACES, TEN, YES_NO, NMENUS };
enum want { EXACT, SLIP, NUMBER_WORD, NO_MATCH, NEGATED, TIE, NO_WORDS };

struct row {
	enum menu menu;
	const char *text;
	int option;         /* the winner, or -1 */
	const char *answer; /* the winning answer as written, or NULL */
	enum want want;
};

static const struct row rows[] = {
	/* numbers: whole words only, never a slip */
	{ ES, "1", 0, "1", EXACT },
	{ ES, "1.", 0, "1", EXACT },
	{ ES, "1)", 0, "1", EXACT },
	{ ES, "opción 1", 0, "1", EXACT },
	{ ES, "Opción 1, por favor", 0, "1", EXACT },
	{ ES, "el 3", 2, "3", EXACT },
	{ ES, "2", 1, "2", EXACT },
	{ ES, "3", 2, "3", EXACT },
	{ ES, "4", 3, "4", EXACT },
	{ ES, "5", 4, "5", EXACT },
	{ ES, "12", -1, NULL, NO_MATCH },
	{ ES, "22", -1, NULL, NO_MATCH },
	{ ES, "6", -1, NULL, NO_MATCH },
	{ ES, "0", -1, NULL, NO_MATCH },
	{ ES, "11", -1, NULL, NO_MATCH },
	{ ES, "1 1", 0, "1", EXACT },
	{ ES, "1 o 2", -1, NULL, TIE },
	{ ES, "2.5", -1, NULL, TIE },
	{ ES, "opcion2", -1, NULL, NO_MATCH },
	{ ES, "1️⃣", 0, "1", EXACT },
	{ ES, "2️⃣", 1, "2", EXACT },
	{ ES, "１", 0, "1", EXACT },
	{ ES, "①", 0, "1", EXACT },
	{ ES, "❸", 2, "3", EXACT },
	{ ES, "🔟", -1, NULL, NO_MATCH },
	{ ES, "٤", 3, "4", EXACT },
	/* words: whole, any case, any accent */
	{ ES, "soporte", 0, "soporte", EXACT },
	{ ES, "SOPORTE!!", 0, "soporte", EXACT },
	{ ES, "Sóporte", 0, "soporte", EXACT },
	{ ES, "necesito soporte", 0, "soporte", EXACT },
	{ ES, "soportemos", -1, NULL, NO_MATCH },
	{ ES, "ayuda", 0, "ayuda", EXACT },
	{ ES, "¡¡AYUDA!!", 0, "ayuda", EXACT },
	{ ES, "ventas", 1, "ventas", EXACT },
	{ ES, "Ventas.", 1, "ventas", EXACT },
	{ ES, "VENTAS", 1, "ventas", EXACT },
	{ ES, "vèntas", 1, "ventas", EXACT },
	{ ES, "ＶＥＮＴＡＳ", 1, "ventas", EXACT },
	{ ES, "Quiero hablar con ventas, por favor!", 1, "ventas", EXACT },
	{ ES, "quiero comprar un coche", 1, "comprar", EXACT },
	{ ES, "presupuesto", 1, "presupuesto", EXACT },
	{ ES, "precio", 1, "precio", EXACT },
	{ ES, "¿qué precio tiene?", 1, "precio", EXACT },
	{ ES, "horario", 2, "horario", EXACT },
	{ ES, "¿Cuál es el horario?", 2, "horario", EXACT },
	{ ES, "factura", 4, "factura", EXACT },
	{ ES, "facturacion", 4, "facturación", EXACT },
	{ ES, "FACTURACIÓN", 4, "facturación", EXACT },
	{ ES, "devolucion", 4, "devolución", EXACT },
	{ ES, "2 ventas", 1, "2", EXACT },
	{ ES, "3 horario", 2, "3", EXACT },
	/* phrases: all their words, consecutive */
	{ ES, "necesito soporte técnico", 0, "soporte técnico", EXACT },
	{ ES, "soporte\ntécnico", 0, "soporte técnico", EXACT },
	{ ES, "SOPORTE TECNICO", 0, "soporte técnico", EXACT },
	{ ES, "no funciona", 0, "no funciona", EXACT },
	{ ES, "el router no funciona", 0, "no funciona", EXACT },
	{ ES, "funciona", -1, NULL, NO_MATCH },
	{ ES, "no me funciona", -1, NULL, NO_MATCH },
	{ ES, "¿a qué hora abrís?", 2, "a qué hora abrís", EXACT },
	{ ES, "a que hora abris", 2, "a qué hora abrís", EXACT },
	{ ES, "a qué hora", -1, NULL, NO_MATCH },
	{ ES, "Alcalá de Henares", 3, "Alcalá de Henares", EXACT },
	{ ES, "vivo en alcala de henares", 3, "Alcalá de Henares", EXACT },
	{ ES, "vivo en alcalá", -1, NULL, NO_MATCH },
	{ ES, "alcalá henares", -1, NULL, NO_MATCH },
	{ ES, "henares de alcalá", -1, NULL, NO_MATCH },
	/* more words win over fewer */
	{ ES, "soporte técnico para comprar", 0, "soporte técnico", EXACT },
	{ ES, "no funciona, quiero una devolución", 0, "no funciona", EXACT },
	/* typing slips: one edit, in words of five letters or more */
	{ ES, "soprte", 0, "soporte", SLIP },   /* deletion */
	{ ES, "sopporte", 0, "soporte", SLIP }, /* insertion */
	{ ES, "soporta", 0, "soporte", SLIP },  /* substitution */
	{ ES, "soporet", 0, "soporte", SLIP },  /* swap at the end */
	{ ES, "spoorte", 0, "soporte", SLIP },  /* swap inside */
	{ ES, "osporte", 0, "soporte", SLIP },  /* swap at the start */
	{ ES, "soporteq", 0, "soporte", SLIP }, /* insertion at the end */
	{ ES, "xsoporte", 0, "soporte", SLIP }, /* insertion at the start */
	{ ES, "sprte", -1, NULL, NO_MATCH },    /* two edits */
	{ ES, "sopotre", 0, "soporte", SLIP },
	{ ES, "ayda", 0, "ayuda", SLIP }, /* a five-letter answer word */
	{ ES, "ayudaa", 0, "ayuda", SLIP },
	{ ES, "ventsa", 1, "ventas", SLIP },
	{ ES, "venta", 1, "ventas", SLIP },
	{ ES, "comprra", 1, "comprar", SLIP },
	{ ES, "compar", 1, "comprar", SLIP },
	{ ES, "presupueso", 1, "presupuesto", SLIP },
	{ ES, "precios", 1, "precio", SLIP },
	{ ES, "prezio", 1, "precio", SLIP },
	{ ES, "hoario", 2, "horario", SLIP },
	{ ES, "facturas", 4, "factura", SLIP },
	{ ES, "devolusion", 4, "devolución", SLIP },
	{ ES, "necesito soporte tecnco", 0, "soporte", EXACT }, /* exact beats a longer slip */
	{ ES, "necesito soprte tecnco", 0, "soporte técnico", SLIP },
	{ ES, "alcala de henraes", 3, "Alcalá de Henares", SLIP },
	{ ES, "soport3", -1, NULL, NO_MATCH }, /* a digit is no slip */
	{ ES, "socorro", -1, NULL, NO_MATCH },
	/* an exact match anywhere beats a slip */
	{ ES, "ventas soprte", 1, "ventas", EXACT },
	{ ES, "soprte 2", 1, "2", EXACT },
	{ ES, "precios de soporte", 0, "soporte", EXACT },
	/* ties between options are not understood */
	{ ES, "quiero comprar y necesito soporte", -1, NULL, TIE },
	{ ES, "soporte o ventas", -1, NULL, TIE },
	{ ES, "factura de ventas", -1, NULL, TIE },
	{ ES, "soprte o vntas", -1, NULL, TIE }, /* two slips */
	/* nothing to match */
	{ ES, "", -1, NULL, NO_WORDS },
	{ ES, "👍", -1, NULL, NO_WORDS },
	{ ES, "???", -1, NULL, NO_WORDS },
	{ ES, "hola", -1, NULL, NO_MATCH },
	{ ES, "hola buenas tardes", -1, NULL, NO_MATCH },
	{ ES, "/start", -1, NULL, NO_MATCH },
	/* number words and ordinals answer a numbered menu */
	{ ES, "tres", 2, "3", NUMBER_WORD },
	{ ES, "dos", 1, "2", NUMBER_WORD },
	{ ES, "DOS!!", 1, "2", NUMBER_WORD },
	{ ES, "la dos", 1, "2", NUMBER_WORD },
	{ ES, "la segunda", 1, "2", NUMBER_WORD },
	{ ES, "opción dos", 1, "2", NUMBER_WORD },
	{ ES, "segunda opción", 1, "2", NUMBER_WORD },
	{ ES, "el cuarto", 3, "4", NUMBER_WORD },
	{ ES, "la quinta, por favor", 4, "5", NUMBER_WORD },
	{ ES, "uno", 0, "1", NUMBER_WORD },
	{ ES, "el uno", 0, "1", NUMBER_WORD },
	{ ES, "primero", 0, "1", NUMBER_WORD },
	{ ES, "la primera", 0, "1", NUMBER_WORD },
	{ ES, "1º", 0, "1", NUMBER_WORD },
	{ ES, "1ª", 0, "1", NUMBER_WORD },
	{ ES, "el 2º", 1, "2", NUMBER_WORD },
	{ ES, "3ª opción", 2, "3", NUMBER_WORD },
	{ ES, "1er", 0, "1", NUMBER_WORD },
	{ ES, "2do", 1, "2", NUMBER_WORD },
	{ ES, "5to", 4, "5", NUMBER_WORD },
	{ ES, "número tres", 2, "3", NUMBER_WORD },
	{ ES, "numero 3", 2, "3", EXACT },
	{ ES, "nº 2", 1, "2", EXACT }, /* "no 2": nº, not a negation */
	{ ES, "Nº 4", 3, "4", EXACT },
	{ ES, "quiero la dos", 1, "2", NUMBER_WORD },
	{ ES, "Hola, la dos por favor", 1, "2", NUMBER_WORD },
	{ ES, "la dos, ventas", 1, "2", NUMBER_WORD }, /* the same option twice */
	/* ... and where they must not */
	{ ES, "una", -1, NULL, NO_MATCH },
	{ ES, "un segundo", -1, NULL, NO_MATCH },
	{ ES, "espera un segundo", -1, NULL, NO_MATCH },
	{ ES, "quiero una factura", 4, "factura", EXACT },
	{ ES, "la segunda vez que escribo", -1, NULL, NO_MATCH },
	{ ES, "dos cosas", -1, NULL, NO_MATCH },
	{ ES, "uno o dos", -1, NULL, NO_MATCH },
	{ ES, "la dos o la tres", -1, NULL, NO_MATCH },
	{ ES, "la dos, la tres", -1, NULL, TIE },
	{ ES, "la segunda, soporte", -1, NULL, TIE },
	{ ES, "primero, quiero comprar", -1, NULL, TIE }, /* "first" as a discourse word */
	{ ES, "primero quiero comprar", 1, "comprar", EXACT },
	{ ES, "seis", -1, NULL, NO_MATCH }, /* no option 6 */
	{ ES, "doss", -1, NULL, NO_MATCH }, /* number words never slip */
	{ ES, "2 o", 1, "2", EXACT },
	/* negated mentions are set aside */
	{ ES, "no es de ventas, es de contabilidad", 4, "contabilidad", EXACT },
	{ ES, "no quiero comprar, tengo una avería", 0, "avería", EXACT },
	{ ES, "no quiero comprar", -1, NULL, NEGATED },
	{ ES, "no ventas", -1, NULL, NEGATED },
	{ ES, "No quiero hablar con ventas", -1, NULL, NEGATED },
	{ ES, "tampoco es de ventas", -1, NULL, NEGATED },
	{ ES, "nada de ventas, soporte", 0, "soporte", EXACT },
	{ ES, "ni ventas ni facturación: soporte", 0, "soporte", EXACT },
	{ ES, "no es ventas ni contabilidad", -1, NULL, NEGATED },
	{ ES, "no es ventas sino soporte", 0, "soporte", EXACT },
	{ ES, "no es de ventas pero sí de soporte", 0, "soporte", EXACT },
	{ ES, "no es soporte técnico, es ventas", 1, "ventas", EXACT },
	{ ES, "no la dos, la tres", 2, "3", NUMBER_WORD },
	{ ES, "no el 2, el 3", 2, "3", EXACT },
	{ ES, "no quiero ventas. Bueno sí, ventas", 1, "ventas", EXACT },
	/* ... and where they must not */
	{ ES, "no", -1, NULL, NO_MATCH },
	{ ES, "no, quiero comprar", 1, "comprar", EXACT },
	{ ES, "No. Ventas", 1, "ventas", EXACT },
	{ ES, "no quiero esperar. Soporte", 0, "soporte", EXACT },
	{ ES, "no sé, ventas", 1, "ventas", EXACT },
	{ ES, "no sé si es de ventas", 1, "ventas", EXACT },
	{ ES, "¿no tenéis soporte?", 0, "soporte", EXACT }, /* a question asks for it */
	{ ES, "no tenéis soporte?", 0, "soporte", EXACT },
	{ ES, "¿no es de ventas?", 1, "ventas", EXACT },
	{ ES, "no es de ventas?", 1, "ventas", EXACT },
	{ ES, "soporte. ¿No es de ventas?", -1, NULL, TIE },
	{ ES, "¡Hola! ¿No hacéis presupuestos?", 1, "presupuesto", SLIP },
	{ ES, "no me llega la factura", 4, "factura", EXACT },
	{ ES, "no me funciona", -1, NULL, NO_MATCH },
	{ ES, "no no funciona", 0, "no funciona", EXACT }, /* the answer's own negation */
	{ ES, "no 2", 1, "2", EXACT },
	{ ES, "no, 2", 1, "2", EXACT },
	{ ES, "la dos no, la tres", -1, NULL, TIE }, /* only a negation before counts */

	{ EN, "1", 0, "1", EXACT },
	{ EN, "option 3", 2, "3", EXACT },
	{ EN, "3.", 2, "3", EXACT },
	{ EN, "33", -1, NULL, NO_MATCH },
	{ EN, "2️⃣", 1, "2", EXACT },
	{ EN, "help", 0, "help", EXACT },
	{ EN, "HELP!!!", 0, "help", EXACT },
	{ EN, "I need help!", 0, "help", EXACT },
	{ EN, "helpful", -1, NULL, NO_MATCH },
	{ EN, "hepl", -1, NULL, NO_MATCH }, /* four letters: no slips */
	{ EN, "support", 0, "support", EXACT },
	{ EN, "suport", 0, "support", SLIP },
	{ EN, "supprot", 0, "support", SLIP },
	{ EN, "suppport", 0, "support", SLIP },
	{ EN, "technical support please", 0, "technical support", EXACT },
	{ EN, "technical suport", 0, "technical support", SLIP },
	{ EN, "sales", 1, "sales", EXACT },
	{ EN, "slaes", 1, "sales", SLIP },
	{ EN, "salse", 1, "sales", SLIP },
	{ EN, "sale", 1, "sales", SLIP },
	{ EN, "sells", -1, NULL, NO_MATCH },
	{ EN, "I want to buy", 1, "buy", EXACT },
	{ EN, "buying", -1, NULL, NO_MATCH },
	{ EN, "pricing", 1, "pricing", EXACT },
	{ EN, "What are your opening hours?", 2, "opening hours", EXACT },
	{ EN, "hours", 2, "hours", EXACT },
	{ EN, "opening", -1, NULL, NO_MATCH },
	{ EN, "billing", 3, "billing", EXACT },
	{ EN, "biling", 3, "billing", SLIP },
	{ EN, "invoice", 3, "invoice", EXACT },
	{ EN, "refund please", 3, "refund", EXACT },
	{ EN, "refunds", 3, "refund", SLIP },
	{ EN, "4 billing", 3, "4", EXACT },
	{ EN, "I want to buy but need help", -1, NULL, TIE },
	{ EN, "support for billing", -1, NULL, TIE },
	{ EN, "technical support for billing", 0, "technical support", EXACT },
	{ EN, "slaes help", 0, "help", EXACT },
	{ EN, "hi", -1, NULL, NO_MATCH },
	{ EN, "Thanks", -1, NULL, NO_MATCH },
	{ EN, "!!!", -1, NULL, NO_WORDS },
	/* number words and ordinals */
	{ EN, "two", 1, "2", NUMBER_WORD },
	{ EN, "option two", 1, "2", NUMBER_WORD },
	{ EN, "the second one", 1, "2", NUMBER_WORD },
	{ EN, "the second", 1, "2", NUMBER_WORD },
	{ EN, "second option please", 1, "2", NUMBER_WORD },
	{ EN, "2nd", 1, "2", NUMBER_WORD },
	{ EN, "the 3rd one", 2, "3", NUMBER_WORD },
	{ EN, "I'll take option four", 3, "4", NUMBER_WORD },
	{ EN, "one", 0, "1", NUMBER_WORD },
	{ EN, "the first one", 0, "1", NUMBER_WORD },
	{ EN, "number one please", 0, "1", NUMBER_WORD },
	{ EN, "4th", 3, "4", NUMBER_WORD },
	{ EN, "2th", -1, NULL, NO_MATCH },
	{ EN, "wait a second", -1, NULL, NO_MATCH },
	{ EN, "a second", -1, NULL, NO_MATCH },
	{ EN, "one moment", -1, NULL, NO_MATCH },
	{ EN, "that one", -1, NULL, NO_MATCH },
	{ EN, "first I want to buy", 1, "buy", EXACT },
	{ EN, "no one", -1, NULL, NEGATED },
	/* negations */
	{ EN, "not sales, billing", 3, "billing", EXACT },
	{ EN, "I don't want to buy, I need help", 0, "help", EXACT },
	{ EN, "I don't want to talk to sales", -1, NULL, NEGATED },
	{ EN, "dont want sales", -1, NULL, NEGATED },
	{ EN, "I'm not looking for sales", -1, NULL, NEGATED },
	{ EN, "no sales", -1, NULL, NEGATED },
	{ EN, "it's not about billing but support", 0, "support", EXACT },
	{ EN, "neither sales nor billing", -1, NULL, NEGATED },
	{ EN, "not two, three", 2, "3", NUMBER_WORD },
	/* ... and where they must not */
	{ EN, "not sure, sales maybe", 1, "sales", EXACT },
	{ EN, "not sure sales maybe", 1, "sales", EXACT },
	{ EN, "don't you have support?", 0, "support", EXACT },
	{ EN, "isn't this sales?", 1, "sales", EXACT },
	{ EN, "no thanks. Sales", 1, "sales", EXACT },
	{ EN, "No. 2", 1, "2", EXACT },
	{ EN, "no", -1, NULL, NO_MATCH },

	/* without numbers, a number word is only a word */
	{ PLACES, "dos", -1, NULL, NO_MATCH },
	{ PLACES, "la dos", -1, NULL, NO_MATCH },
	{ PLACES, "Dos Hermanas", 0, "Dos Hermanas", EXACT },
	{ PLACES, "vivo en dos hermanas", 0, "Dos Hermanas", EXACT },
	{ PLACES, "la quinta", 0, "La Quinta", EXACT },
	{ PLACES, "la quinto", -1, NULL, NO_MATCH }, /* number words never slip */
	{ PLACES, "segundo mano", -1, NULL, NO_MATCH },
	{ PLACES, "segunda mano", 1, "segunda mano", EXACT },
	{ PLACES, "no es Madrid, es Sevilla", 0, "Sevilla", EXACT },
	{ PLACES, "ni Madrid ni Sevilla", -1, NULL, NEGATED },

	{ TEN, "diez", 9, "10", NUMBER_WORD },
	{ TEN, "décimo", 9, "10", NUMBER_WORD },
	{ TEN, "la décima opción", 9, "10", NUMBER_WORD },
	{ TEN, "el 10º", 9, "10", NUMBER_WORD },
	{ TEN, "10th", 9, "10", NUMBER_WORD },
	{ TEN, "ten", 9, "10", NUMBER_WORD },
	{ TEN, "séptima", 6, "7", NUMBER_WORD },
	{ TEN, "7mo", 6, "7", NUMBER_WORD },
	{ TEN, "nueve", 8, "9", NUMBER_WORD },
	{ TEN, "ninth", 8, "9", NUMBER_WORD },
	{ TEN, "el cuatro", 3, "4", NUMBER_WORD },
	{ TEN, "el cuarto", 3, "4", NUMBER_WORD },
	{ TEN, "el cuarto de baño", 10, "cuarto de baño", EXACT },
	{ TEN, "dos", 1, "2", NUMBER_WORD },
	{ TEN, "dos hermanas", 10, "Dos Hermanas", EXACT },
	{ TEN, "11", -1, NULL, NO_MATCH },
	{ TEN, "once", -1, NULL, NO_MATCH },

	{ YES_NO, "no", 1, "no", EXACT },
	{ YES_NO, "No, no", 1, "no", EXACT },
	{ YES_NO, "sí", 0, "sí", EXACT },
	{ YES_NO, "yes", 0, "yes", EXACT },
};

static struct route_config *menus[NMENUS];

static int setup(void **state)
{
	(void)state;
	menus[ES] = test_config(spanish_doc);
	menus[EN] = test_config(english_doc);
	menus[PLACES] = test_config(places_doc);
	menus[TEN] = test_config(ten_doc);
	menus[YES_NO] = test_config(yes_no_doc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NMENUS; i++)
		route_config_free(menus[i]);
	return 0;
}

static const char *want_name(enum want w)
{
	static const char *const names[] = { "exact",   "slip", "number word", "no match",
		                             "negated", "tie",  "no words" };
	return names[w];
}

static enum want got_kind(const struct route_decision *d)
{
	switch (d->reason) {
	case ROUTE_MATCHED:
		if (d->match->source == ROUTE_FROM_NUMBER_WORD)
			return NUMBER_WORD;
		return d->match->is_exact ? EXACT : SLIP;
	case ROUTE_NEGATED:
		return NEGATED;
	case ROUTE_TIE:
		return TIE;
	case ROUTE_NO_WORDS:
		return NO_WORDS;
	default:
		return NO_MATCH;
	}
}

static struct route_decision *match_text(enum menu menu, const char *text)
{
	struct route_message msg = { .kind = ROUTE_MSG_TEXT, .text = text };
	return route_match(menus[menu], &msg);
}

static void check_row(size_t i, const struct row *r)
{
	struct route_decision *d = match_text(r->menu, r->text);
	enum want got = got_kind(d);
	int option = d->match != NULL ? (int)d->match->option : -1;
	const char *answer = d->match != NULL ? d->match->answer_text : NULL;
	if (got != r->want || option != r->option ||
	    (r->answer != NULL && (answer == NULL || strcmp(answer, r->answer) != 0)))
		fail_msg("row %zu '%s' ('%s'): got %s option %d '%s', want %s option %d '%s'", i,
		         r->text, d->normalized, want_name(got), option, answer ? answer : "",
		         want_name(r->want), r->option, r->answer ? r->answer : "");
	/* In the Spanish and English menus option 2 is the FAQ. */
	bool is_faq = (r->menu == ES || r->menu == EN) && r->option == 2;
	enum route_outcome outcome = r->option < 0 ? ROUTE_FALLBACK
	                             : is_faq      ? ROUTE_REPLY
	                                           : ROUTE_TEAM;
	if (d->outcome != outcome)
		fail_msg("row %zu '%s': outcome %d, want %d", i, r->text, d->outcome, outcome);
	route_decision_free(d);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(i, &rows[i]);
}

/* Interactive replies match on the button's id (exactly) and on its title (as text). */
struct interactive_row {
	const char *title;
	const char *payload;
	int option;
	enum route_source source;
	enum route_reason reason;
};

static const struct interactive_row interactive_rows[] = {
	{ "Ventas", "opt-sales", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ "Hablar con soporte", "OPT_SUPPORT", 0, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ NULL, "opt-sales", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED }, /* Telegram callback data */
	{ NULL, "opt sales", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ NULL, "OPT-SALES", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ "Ventas", "unknown-id", 1, ROUTE_FROM_TEXT, ROUTE_MATCHED },
	{ "Soporte", "opt-sales", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED }, /* the id wins */
	{ "Soporte o ventas", "opt-sales", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ "Cataluña", "region-cat", -1, ROUTE_FROM_TEXT, ROUTE_NO_MATCH },
	{ NULL, "opt-sales-2", -1, ROUTE_FROM_TEXT, ROUTE_NO_MATCH }, /* ids match whole */
	{ NULL, "2", 1, ROUTE_FROM_PAYLOAD, ROUTE_MATCHED },
	{ "Soporte o ventas", "x", -1, ROUTE_FROM_TEXT, ROUTE_TIE },
	{ NULL, NULL, -1, ROUTE_FROM_TEXT, ROUTE_NO_WORDS },
	{ "👍", "!!", -1, ROUTE_FROM_TEXT, ROUTE_NO_WORDS },
};

static void test_interactive(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(interactive_rows) / sizeof(interactive_rows[0]); i++) {
		const struct interactive_row *r = &interactive_rows[i];
		struct route_message msg = {
			.kind = ROUTE_MSG_INTERACTIVE,
			.text = r->title,
			.payload = r->payload,
		};
		struct route_decision *d = route_match(menus[ES], &msg);
		int option = d->match != NULL ? (int)d->match->option : -1;
		if (option != r->option || d->reason != r->reason ||
		    (d->match != NULL && d->match->source != r->source))
			fail_msg(
			    "interactive row %zu: option %d reason %d, want option %d reason %d", i,
			    option, d->reason, r->option, r->reason);
		if ((r->payload != NULL) != (d->normalized_payload != NULL))
			fail_msg("interactive row %zu: normalized_payload", i);
		route_decision_free(d);
	}
}

/* A payload only counts for interactive messages. */
static void test_payload_ignored_for_text(void **state)
{
	(void)state;
	struct route_message msg = { .kind = ROUTE_MSG_TEXT, .text = "hola", .payload = "2" };
	struct route_decision *d = route_match(menus[ES], &msg);
	assert_int_equal(d->reason, ROUTE_NO_MATCH);
	assert_null(d->normalized_payload);
	route_decision_free(d);
}

static void test_not_text(void **state)
{
	(void)state;
	struct route_message msg = { .kind = ROUTE_MSG_OTHER };
	struct route_decision *d = route_match(menus[ES], &msg);
	assert_int_equal(d->outcome, ROUTE_FALLBACK);
	assert_int_equal(d->reason, ROUTE_NOT_TEXT);
	assert_string_equal(d->normalized, "");
	assert_int_equal(d->ncandidates, 0);
	route_decision_free(d);
}

/* The candidates: every answer that matched, in document order, the best marked. */
static void test_candidates(void **state)
{
	(void)state;
	struct route_decision *d = match_text(ES, "Necesito soporte, ventsa 2");
	assert_string_equal(d->normalized, "necesito soporte ventsa 2");
	assert_int_equal(d->outcome, ROUTE_FALLBACK);
	assert_int_equal(d->reason, ROUTE_TIE);
	assert_null(d->match);
	assert_int_equal(d->ncandidates, 3);
	const struct route_candidate *c = d->candidates;
	assert_int_equal(c[0].option, 0);
	assert_int_equal(c[0].answer, 1);
	assert_string_equal(c[0].answer_text, "soporte");
	assert_string_equal(c[0].matched, "soporte");
	assert_true(c[0].is_exact);
	assert_true(c[0].is_best);
	assert_int_equal(c[1].option, 1);
	assert_int_equal(c[1].answer, 0);
	assert_string_equal(c[1].answer_text, "2");
	assert_true(c[1].is_exact);
	assert_true(c[1].is_best);
	assert_int_equal(c[2].option, 1);
	assert_int_equal(c[2].answer, 1);
	assert_string_equal(c[2].answer_text, "ventas");
	assert_string_equal(c[2].matched, "ventsa");
	assert_false(c[2].is_exact);
	assert_false(c[2].is_best); /* a slip, and there are exact matches */
	route_decision_free(d);

	/* Two words beat one: option 0 wins outright. */
	d = match_text(ES, "Necesito soporte técnico, ventas");
	assert_int_equal(d->ncandidates, 3);
	assert_non_null(d->match);
	assert_ptr_equal(d->match, &d->candidates[1]);
	assert_string_equal(d->match->answer_text, "soporte técnico");
	assert_string_equal(d->match->matched, "soporte tecnico");
	assert_int_equal(d->match->words, 2);
	assert_false(d->candidates[0].is_best);
	assert_false(d->candidates[2].is_best);
	assert_int_equal(d->team_id, 1);
	route_decision_free(d);
}

/* A slip is reported with the words the customer actually typed. */
static void test_slip_reports_text(void **state)
{
	(void)state;
	struct route_decision *d = match_text(ES, "Quiero hablar con VNTAS");
	assert_non_null(d->match);
	assert_false(d->match->is_exact);
	assert_string_equal(d->match->answer_text, "ventas");
	assert_string_equal(d->match->matched, "vntas");
	assert_int_equal(d->outcome, ROUTE_TEAM);
	assert_int_equal(d->team_id, 2);
	route_decision_free(d);
}

/* Only the first ROUTE_MAX_TEXT_BYTES are read: an answer beyond them is not seen. */
static void test_long_text(void **state)
{
	(void)state;
	char text[ROUTE_MAX_TEXT_BYTES + 32];
	memset(text, '.', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text + ROUTE_MAX_TEXT_BYTES + 8, "ventas", 6);
	struct route_decision *d = match_text(ES, text);
	assert_true(d->is_truncated);
	assert_int_equal(d->reason, ROUTE_NO_WORDS);
	route_decision_free(d);

	memcpy(text + 100, "ventas", 6);
	d = match_text(ES, text);
	assert_true(d->is_truncated);
	assert_non_null(d->match);
	assert_int_equal(d->match->option, 1);
	route_decision_free(d);
}

/* Invalid bytes count as spaces and never crash the matcher. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	struct route_decision *d = match_text(ES, "\xff\xfe"
	                                          "ventas\xc3");
	assert_non_null(d->match);
	assert_int_equal(d->match->option, 1);
	route_decision_free(d);
}

static json_t *field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	if (v == NULL)
		fail_msg("no field '%s'", name);
	return v;
}

static void test_explain_json(void **state)
{
	(void)state;
	struct route_decision *d = match_text(ES, "Quiero comprr");
	json_t *o = route_decision_to_json(d, &test_directory);
	assert_string_equal(json_string_value(field(o, "normalized")), "quiero comprr");
	assert_null(json_object_get(o, "normalized_payload"));
	assert_true(json_is_false(field(o, "truncated")));
	assert_string_equal(json_string_value(field(o, "outcome")), "team");
	assert_string_equal(json_string_value(field(o, "reason")), "matched");
	assert_int_equal(json_integer_value(field(o, "team_id")), 2);
	assert_string_equal(json_string_value(field(o, "team")), "Ventas");
	json_t *m = field(o, "match");
	assert_int_equal(json_integer_value(field(m, "option")), 1);
	assert_int_equal(json_integer_value(field(m, "answer_index")), 2);
	assert_string_equal(json_string_value(field(m, "answer")), "comprar");
	assert_string_equal(json_string_value(field(m, "matched")), "comprr");
	assert_int_equal(json_integer_value(field(m, "words")), 1);
	assert_string_equal(json_string_value(field(m, "match")), "slip");
	assert_string_equal(json_string_value(field(m, "source")), "text");
	assert_true(json_is_true(field(m, "best")));
	assert_int_equal(json_array_size(field(o, "candidates")), 1);
	json_decref(o);
	route_decision_free(d);

	/* A FAQ reply has no team; a fallback has no match. */
	d = match_text(ES, "horario");
	o = route_decision_to_json(d, NULL);
	assert_string_equal(json_string_value(field(o, "outcome")), "reply");
	assert_null(json_object_get(o, "team_id"));
	json_decref(o);
	route_decision_free(d);

	d = match_text(ES, "1 o 2");
	o = route_decision_to_json(d, &test_directory);
	assert_string_equal(json_string_value(field(o, "outcome")), "fallback");
	assert_string_equal(json_string_value(field(o, "reason")), "tie");
	assert_true(json_is_null(field(o, "match")));
	json_t *list = field(o, "candidates");
	assert_int_equal(json_array_size(list), 2);
	assert_true(json_is_true(field(json_array_get(list, 0), "best")));
	assert_true(json_is_true(field(json_array_get(list, 1), "best")));
	json_decref(o);
	route_decision_free(d);

	struct route_message msg = { .kind = ROUTE_MSG_INTERACTIVE, .payload = "OPT_SUPPORT" };
	d = route_match(menus[ES], &msg);
	o = route_decision_to_json(d, NULL);
	assert_string_equal(json_string_value(field(o, "normalized_payload")), "opt support");
	assert_string_equal(json_string_value(field(field(o, "match"), "source")), "payload");
	assert_null(json_object_get(o, "team"));
	assert_int_equal(json_integer_value(field(o, "team_id")), 1);
	json_decref(o);
	route_decision_free(d);

	/* A negated candidate is listed with the negation that set it aside. */
	d = match_text(ES, "No es de ventas, es de contabilidad");
	o = route_decision_to_json(d, &test_directory);
	assert_string_equal(json_string_value(field(o, "reason")), "matched");
	assert_string_equal(json_string_value(field(o, "team")), "Administración");
	assert_true(json_is_null(field(field(o, "match"), "negated_by")));
	list = field(o, "candidates");
	assert_int_equal(json_array_size(list), 2);
	json_t *negated = json_array_get(list, 0);
	assert_string_equal(json_string_value(field(negated, "answer")), "ventas");
	assert_string_equal(json_string_value(field(negated, "negated_by")), "no");
	assert_true(json_is_false(field(negated, "best")));
	json_decref(o);
	route_decision_free(d);

	d = match_text(EN, "I don't want to buy");
	o = route_decision_to_json(d, NULL);
	assert_string_equal(json_string_value(field(o, "outcome")), "fallback");
	assert_string_equal(json_string_value(field(o, "reason")), "negated");
	assert_true(json_is_null(field(o, "match")));
	negated = json_array_get(field(o, "candidates"), 0);
	assert_string_equal(json_string_value(field(negated, "negated_by")), "don t");
	json_decref(o);
	route_decision_free(d);

	/* A number word names the digit answer it chose, and the word the customer wrote. */
	d = match_text(ES, "la segunda");
	o = route_decision_to_json(d, NULL);
	m = field(o, "match");
	assert_string_equal(json_string_value(field(m, "answer")), "2");
	assert_string_equal(json_string_value(field(m, "matched")), "segunda");
	assert_string_equal(json_string_value(field(m, "source")), "number_word");
	assert_string_equal(json_string_value(field(m, "match")), "exact");
	json_decref(o);
	route_decision_free(d);

	struct route_message other = { .kind = ROUTE_MSG_OTHER };
	d = route_match(menus[ES], &other);
	o = route_decision_to_json(d, NULL);
	assert_string_equal(json_string_value(field(o, "reason")), "not_text");
	json_decref(o);
	route_decision_free(d);
}

/* ---- Against a reference ---- */

/* Optimal string alignment distance (edits and adjacent swaps), the textbook way. */
static size_t osa_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t d[16][16];
	for (size_t i = 0; i <= na; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

struct ref_words {
	const char *w[16];
	size_t len[16];
	size_t n;
};

/* Splits ASCII text of lowercase letters, digits and single spaces. */
static void ref_split(const char *s, struct ref_words *out)
{
	out->n = 0;
	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		out->w[out->n] = s;
		out->len[out->n++] = len;
		s += len + (s[len] == ' ');
	}
}

static bool has_digit(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (w[i] >= '0' && w[i] <= '9')
			return true;
	return false;
}

/* The slips of answer at text word pos, or -1: the rules of docs/ROUTING.md, directly. */
static int ref_slips_at(const struct ref_words *a, const struct ref_words *t, size_t pos)
{
	int slips = 0;
	for (size_t j = 0; j < a->n; j++) {
		const char *x = a->w[j], *y = t->w[pos + j];
		size_t nx = a->len[j], ny = t->len[pos + j];
		if (nx == ny && memcmp(x, y, nx) == 0)
			continue;
		if (nx < 5 || has_digit(x, nx) || has_digit(y, ny) ||
		    osa_distance(x, nx, y, ny) != 1)
			return -1;
		slips++;
	}
	return slips;
}

static uint32_t rng_state = 12345;

static uint32_t rng(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) % n;
}

/* A random word over a tiny alphabet, so that slips and collisions are common. */
static void random_word(struct buf *b)
{
	static const char alphabet[] = "abcab";
	size_t len = 1 + rng(7);
	bool is_number = rng(8) == 0;
	for (size_t i = 0; i < len; i++)
		buf_putc(b, is_number ? "012"[rng(3)] : alphabet[rng(5)]);
}

static void random_phrase(struct buf *b, size_t max_words)
{
	size_t n = 1 + rng((uint32_t)max_words);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		random_word(b);
	}
}

/* Random menus and texts: route_match must agree with the reference on every candidate. */
static void test_against_reference(void **state)
{
	(void)state;
	for (int round = 0; round < 300; round++) {
		/* A menu of 3 options of up to 4 answers, each answer unique. */
		char *answers[3][4] = { { 0 } };
		size_t nanswers[3] = { 0 };
		struct buf doc = BUF_INIT;
		buf_puts(&doc, "{'welcome_message': 'w', 'fallback_message': 'f', 'options': [");
		for (size_t o = 0; o < 3; o++) {
			buf_puts(&doc, o > 0 ? ", {'answers': [" : "{'answers': [");
			for (int tries = 0; tries < 4; tries++) {
				struct buf a = BUF_INIT;
				random_phrase(&a, 2);
				bool is_new = true;
				for (size_t p = 0; p <= o; p++)
					for (size_t q = 0; q < nanswers[p]; q++)
						is_new =
						    is_new && strcmp(answers[p][q], a.data) != 0;
				if (!is_new) {
					buf_free(&a);
					continue;
				}
				buf_printf(&doc, "%s'%s'", nanswers[o] > 0 ? ", " : "", a.data);
				answers[o][nanswers[o]++] = buf_take(&a);
			}
			if (nanswers[o] == 0) {
				/* Every try collided: a word of its own keeps the option valid. */
				answers[o][0] = strdup(o == 0 ? "x" : o == 1 ? "y" : "z");
				nanswers[o] = 1;
				buf_printf(&doc, "'%s'", answers[o][0]);
			}
			buf_printf(&doc, "], 'reply': 'r%zu'}", o);
		}
		buf_puts(&doc, "]}");
		struct route_config *cfg = test_config(doc.data);

		for (int k = 0; k < 20; k++) {
			struct buf text = BUF_INIT;
			random_phrase(&text, 8);
			struct route_message msg = { .kind = ROUTE_MSG_TEXT, .text = text.data };
			struct route_decision *d = route_match(cfg, &msg);
			struct ref_words t;
			ref_split(text.data, &t);
			size_t seen = 0;
			for (size_t o = 0; o < 3; o++) {
				for (size_t q = 0; q < nanswers[o]; q++) {
					struct ref_words a;
					ref_split(answers[o][q], &a);
					int best = -1;
					size_t at = 0;
					for (size_t i = 0; i + a.n <= t.n; i++) {
						int sl = ref_slips_at(&a, &t, i);
						if (sl >= 0 && (best < 0 || sl < best)) {
							best = sl;
							at = i;
						}
					}
					if (best < 0)
						continue;
					if (seen >= d->ncandidates)
						fail_msg("'%s': '%s' matched but is no candidate",
						         text.data, answers[o][q]);
					const struct route_candidate *c = &d->candidates[seen++];
					size_t len = (size_t)(t.w[at + a.n - 1] +
					                      t.len[at + a.n - 1] - t.w[at]);
					if (c->option != o || c->answer != q ||
					    c->is_exact != (best == 0) ||
					    strlen(c->matched) != len ||
					    memcmp(c->matched, t.w[at], len) != 0)
						fail_msg(
						    "'%s': candidate %zu is %zu/%zu '%s' %d, want %zu/%zu "
						    "'%.*s' %d",
						    text.data, seen - 1, c->option, c->answer,
						    c->matched, c->is_exact, o, q, (int)len,
						    t.w[at], best == 0);
				}
			}
			if (seen != d->ncandidates)
				fail_msg("'%s': %zu candidates, want %zu", text.data,
				         d->ncandidates, seen);
			route_decision_free(d);
			buf_free(&text);
		}
		route_config_free(cfg);
		buf_free(&doc);
		for (size_t o = 0; o < 3; o++)
			for (size_t q = 0; q < nanswers[o]; q++)
				free(answers[o][q]);
	}
}

/* The welcome's buttons: ids made from the labels, a tap on one wins over its title, and an
 * id no option has is read as typed. */
static void test_buttons(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(
	    "{'welcome_message': 'Hola', 'fallback_message': '?', 'options': ["
	    "{'answers': ['1', 'soporte'], 'team': 'Soporte', 'button': 'Soporte'},"
	    "{'answers': ['2', 'ventas'], 'team': 'Ventas', 'button': 'Comprar algo'}]}");
	struct route_config *moved =
	    test_config("{'welcome_message': 'Hola', 'fallback_message': '?', 'options': ["
	                "{'answers': ['2', 'ventas'], 'team': 'Ventas', 'button': 'COMPRAR  algo'},"
	                "{'answers': ['1', 'soporte'], 'team': 'Soporte', 'button': 'Soporte'}]}");
	assert_int_equal(route_config_buttons(cfg), 2);
	assert_string_equal(route_button_label(cfg, 1), "Comprar algo");
	/* The same label after normalisation is the same id, wherever the option went. */
	assert_string_equal(route_button_payload(cfg, 1), route_button_payload(moved, 0));
	assert_true(strncmp(route_button_payload(cfg, 0), "menu-", 5) == 0);
	assert_int_equal(strlen(route_button_payload(cfg, 0)), 13);
	struct route_message tap = { .kind = ROUTE_MSG_INTERACTIVE,
		                     .text = "soporte",
		                     .payload = route_button_payload(cfg, 1) };
	struct route_decision *d = route_match(cfg, &tap);
	assert_non_null(d->match);
	assert_int_equal(d->match->option, 1);
	assert_int_equal(d->match->source, ROUTE_FROM_BUTTON);
	assert_string_equal(d->match->answer_text, "Comprar algo");
	route_decision_free(d);
	tap.payload = "menu-00000000";
	d = route_match(cfg, &tap);
	assert_int_equal(d->match->option, 0);
	assert_int_equal(d->match->source, ROUTE_FROM_TEXT);
	route_decision_free(d);
	/* A typed text that happens to be an id is only text. */
	struct route_message typed = { .kind = ROUTE_MSG_TEXT,
		                       .text = route_button_payload(cfg, 1) };
	d = route_match(cfg, &typed);
	assert_null(d->match);
	route_decision_free(d);
	route_config_free(cfg);
	route_config_free(moved);
}

/* Matching ignores enabled, so a config can be tried before it is switched on. */
static void test_disabled_still_matches(void **state)
{
	(void)state;
	struct route_config *cfg = test_config(
	    "{\"enabled\": false, \"welcome_message\": \"w\", \"fallback_message\": \"f\","
	    " \"options\": [{\"answers\": [\"1\"], \"team\": \"Soporte\"}]}");
	struct route_message msg = { .kind = ROUTE_MSG_TEXT, .text = "1" };
	struct route_decision *d = route_match(cfg, &msg);
	assert_int_equal(d->outcome, ROUTE_TEAM);
	route_decision_free(d);
	route_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_interactive),
		cmocka_unit_test(test_payload_ignored_for_text),
		cmocka_unit_test(test_not_text),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_slip_reports_text),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_explain_json),
		cmocka_unit_test(test_disabled_still_matches),
		cmocka_unit_test(test_buttons),
		cmocka_unit_test(test_against_reference),
	};
	printf("matcher table: %zu rows, interactive: %zu rows\n", sizeof(rows) / sizeof(rows[0]),
	       sizeof(interactive_rows) / sizeof(interactive_rows[0]));
	return cmocka_run_group_tests(tests, setup, teardown);
}
