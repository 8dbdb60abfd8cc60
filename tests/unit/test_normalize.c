/*
 * route_normalize: the one text transformation behind matching. Table first: each row is a
 * text as a customer (or an admin) might type it and the words the matcher must see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "core/buf.h"
#include "routing/internal.h"
#include "routing/routing.h"

struct row {
	const char *in;
	const char *want;
};

static const struct row rows[] = {
	/* case, accents, spaces */
	{ "Soporte", "soporte" },
	{ "SOPORTE!!", "soporte" },
	{ "  necesito   soporte\ttécnico\n", "necesito soporte tecnico" },
	{ "¿Dónde está?", "donde esta" },
	{ "ÑANDÚ", "nandu" },
	{ "Straße", "strasse" },
	{ "ÅNGSTRÖM", "angstrom" },
	{ "İstanbul", "istanbul" },
	{ "Alcalá de Henares", "alcala de henares" },
	{ "vèntas", "ventas" },
	{ "Ça va", "ca va" },
	{ "a\u00A0b", "a b" },          /* no-break space */
	{ "a\u2003b", "a b" },          /* em space */
	{ "so\u00ADporte", "soporte" }, /* soft hyphen is ignorable */
	{ "sopor\u200Bte", "soporte" }, /* zero-width space is ignorable */
	{ "\u202Bhola\u202C", "hola" }, /* right-to-left embedding */
	{ "ﬁn", "fin" },                /* ligature */
	{ "ＶＥＮＴＡＳ", "ventas" },   /* full-width letters */
	/* punctuation becomes spaces */
	{ "Opción 1.", "opcion 1" },
	{ "1)", "1" },
	{ "don't", "don t" },
	{ "e-mail", "e mail" },
	{ "C/ Mayor, 5", "c mayor 5" },
	{ "OPT_SALES", "opt sales" },
	{ "...!!!", "" },
	{ "", "" },
	{ "   ", "" },
	/* digits of every kind become ASCII */
	{ "1️⃣", "1" },
	{ "2️⃣ ventas", "2 ventas" },
	{ "🔟", "10" },
	{ "①", "1" },
	{ "⑳", "20" },
	{ "❶", "1" },
	{ "❿", "10" },
	{ "➀", "1" },
	{ "➓", "10" },
	{ "⓫", "11" },
	{ "⓵", "1" },
	{ "⓿", "0" },
	{ "１２", "12" },
	{ "٣", "3" }, /* Arabic-Indic */
	{ "۴", "4" }, /* extended Arabic-Indic */
	{ "३", "3" }, /* Devanagari */
	{ "๕", "5" }, /* Thai */
	{ "𝟏", "1" }, /* mathematical bold */
	{ "x²", "x2" },
	{ "½", "1 2" },
	{ "Ⅻ", "xii" },
	{ "mp3", "mp3" },
	/* emoji and symbols are spaces */
	{ "👍", "" },
	{ "hola😀adiós", "hola adios" },
	{ "👨‍👩‍👧 familia", "familia" },
	{ "#️⃣", "" },
	{ "€ 100", "100" },
	/* other scripts */
	{ "مرحبا بكم", "مرحبا بكم" },
	{ "שלום", "שלום" },
	{ "Привет", "привет" },
	{ "Γειά", "γεια" },
	{ "日本語", "日 本 語" },
	{ "ﾃｽﾄ", "テ ス ト" },
	{ "한국어 지원", "한국어 지원" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = route_normalize(rows[i].in, strlen(rows[i].in));
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu: '%s' normalised to '%s', want '%s'", i, rows[i].in, got,
			         rows[i].want);
		free(got);
	}
}

/* Untrusted bytes: invalid UTF-8 never crashes and counts as a space. */
static const struct {
	const char *in;
	size_t len;
	const char *want;
} raw_rows[] = {
	{ "sop\xffrte", 7, "sop rte" },
	{ "soporte\xff", 8, "soporte" },
	{ "\xc3", 1, "" }, /* truncated sequence */
	{ "hola\xc3", 5, "hola" },
	{ "\xc0\xaf", 2, "" },           /* overlong '/' */
	{ "\xed\xa0\x80uno", 6, "uno" }, /* a UTF-16 surrogate */
	{ "\xf4\x90\x80\x80x", 5, "x" }, /* beyond U+10FFFF */
	{ "a\0b", 3, "a b" },            /* NUL inside the text */
	{ "\x80\x80\x80", 3, "" },
	{ "caf\xc3\xa9\xe9", 6, "cafe" }, /* Latin-1 é after a UTF-8 é */
};

static void test_invalid_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(raw_rows) / sizeof(raw_rows[0]); i++) {
		char *got = route_normalize(raw_rows[i].in, raw_rows[i].len);
		if (strcmp(got, raw_rows[i].want) != 0)
			fail_msg("raw row %zu: got '%s', want '%s'", i, got, raw_rows[i].want);
		free(got);
	}
}

static void test_null_text(void **state)
{
	(void)state;
	char *got = route_normalize(NULL, 0);
	assert_string_equal(got, "");
	free(got);
}

/* Exactly ROUTE_MAX_TEXT_BYTES is read whole. */
static void test_limit_kept(void **state)
{
	(void)state;
	char text[ROUTE_MAX_TEXT_BYTES + 1];
	for (size_t i = 0; i < ROUTE_MAX_TEXT_BYTES; i++)
		text[i] = i % 2 == 0 ? 'a' : ' ';
	text[ROUTE_MAX_TEXT_BYTES - 1] = 'z';
	text[ROUTE_MAX_TEXT_BYTES] = '\0';
	char *got = route_normalize(text, ROUTE_MAX_TEXT_BYTES);
	assert_int_equal(strlen(got), ROUTE_MAX_TEXT_BYTES);
	assert_int_equal(got[ROUTE_MAX_TEXT_BYTES - 1], 'z');
	free(got);
}

/* len bytes of "soporte " repeated after a prefix, as a new string. */
static char *repeated(const char *prefix, size_t len)
{
	char *text = malloc(len + 1);
	size_t n = strlen(prefix);
	memcpy(text, prefix, n);
	for (size_t i = n; i < len; i++)
		text[i] = "soporte "[(i - n) % 8];
	text[len] = '\0';
	return text;
}

/* Past the limit the text is cut; a word the cut splits is dropped, whole words stay. */
static void test_limit_cut(void **state)
{
	(void)state;
	/* The cut falls on a space: 128 whole words of 8 bytes stay. */
	size_t len = (size_t)3 * ROUTE_MAX_TEXT_BYTES;
	char *text = repeated("", len);
	char *got = route_normalize(text, len);
	assert_int_equal(strlen(got), 128 * 8 - 1);
	free(got);
	free(text);

	/* Three bytes later the cut splits the 128th "soporte": "sopor" must not remain. */
	text = repeated("ab ", len);
	got = route_normalize(text, len);
	size_t n = strlen(got);
	assert_int_equal(n, 2 + 127 * 8);
	assert_string_equal(got + n - 8, " soporte");
	free(got);
	free(text);
}

/* What the cut splits is judged after normalisation: marks and ignorables are looked past. */
static void test_limit_cut_ignorable(void **state)
{
	(void)state;
	struct buf text = BUF_INIT;
	for (size_t i = 0; i < ROUTE_MAX_TEXT_BYTES - 7; i++)
		buf_putc(&text, ' ');
	/* "soporte" ends at the cut; a combining accent then a space follow: it is whole. */
	buf_puts(&text, "soporte\u0301 mas");
	char *got = route_normalize(text.data, text.len);
	assert_string_equal(got, "soporte");
	free(got);
	/* A soft hyphen then a letter: the word goes on ("soportes"), so it is dropped. */
	text.len = ROUTE_MAX_TEXT_BYTES - 7;
	buf_puts(&text, "soporte\u00ADs mas");
	got = route_normalize(text.data, text.len);
	assert_string_equal(got, "");
	free(got);
	buf_free(&text);
}

/* A cut never splits a character: 'é' is two bytes and the limit is even, so shift by one. */
static void test_limit_cut_multibyte(void **state)
{
	(void)state;
	size_t len = 1 + 2 * ROUTE_MAX_TEXT_BYTES;
	char *text = malloc(len + 1);
	text[0] = 'x';
	for (size_t i = 1; i < len; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[len] = '\0';
	/* One giant word, cut: dropped whole, so nothing remains. */
	char *got = route_normalize(text, len);
	assert_string_equal(got, "");
	free(got);
	/* With a space before the cut, the word before it stays. */
	text[3] = ' ';
	got = route_normalize(text, len);
	assert_string_equal(got, "xe");
	free(got);
	free(text);
}

/* Normalising twice changes nothing: answers are stored normalised and compared as is. */
static void test_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *once = route_normalize(rows[i].in, strlen(rows[i].in));
		char *twice = route_normalize(once, strlen(once));
		if (strcmp(once, twice) != 0)
			fail_msg("row %zu: '%s' then '%s'", i, once, twice);
		free(once);
		free(twice);
	}
}

/* ---- The word tables (words.c) ---- */

static const struct {
	const char *word;
	int value;
} number_rows[] = {
	{ "uno", 1 },
	{ "one", 1 },
	{ "primero", 1 },
	{ "primera", 1 },
	{ "primer", 1 },
	{ "first", 1 },
	{ "1o", 1 },
	{ "1a", 1 },
	{ "1er", 1 },
	{ "1ro", 1 },
	{ "1st", 1 },
	{ "dos", 2 },
	{ "two", 2 },
	{ "segundo", 2 },
	{ "segunda", 2 },
	{ "second", 2 },
	{ "2o", 2 },
	{ "2do", 2 },
	{ "2nd", 2 },
	{ "tres", 3 },
	{ "three", 3 },
	{ "tercero", 3 },
	{ "tercera", 3 },
	{ "tercer", 3 },
	{ "third", 3 },
	{ "3er", 3 },
	{ "3ro", 3 },
	{ "3rd", 3 },
	{ "cuatro", 4 },
	{ "four", 4 },
	{ "cuarto", 4 },
	{ "cuarta", 4 },
	{ "fourth", 4 },
	{ "4to", 4 },
	{ "4th", 4 },
	{ "cinco", 5 },
	{ "five", 5 },
	{ "quinto", 5 },
	{ "quinta", 5 },
	{ "fifth", 5 },
	{ "5to", 5 },
	{ "seis", 6 },
	{ "six", 6 },
	{ "sexto", 6 },
	{ "sexta", 6 },
	{ "sixth", 6 },
	{ "6to", 6 },
	{ "siete", 7 },
	{ "seven", 7 },
	{ "septimo", 7 },
	{ "septima", 7 },
	{ "setimo", 7 },
	{ "seventh", 7 },
	{ "7mo", 7 },
	{ "ocho", 8 },
	{ "eight", 8 },
	{ "octavo", 8 },
	{ "octava", 8 },
	{ "eighth", 8 },
	{ "8vo", 8 },
	{ "nueve", 9 },
	{ "nine", 9 },
	{ "noveno", 9 },
	{ "novena", 9 },
	{ "ninth", 9 },
	{ "9no", 9 },
	{ "diez", 10 },
	{ "ten", 10 },
	{ "decimo", 10 },
	{ "decima", 10 },
	{ "tenth", 10 },
	{ "10o", 10 },
	{ "10mo", 10 },
	{ "10th", 10 },
	{ "11th", 11 },
	{ "12a", 12 },
	{ "21st", 21 },
	{ "22nd", 22 },
	{ "23rd", 23 },
	{ "13th", 13 },
	/* not numbers */
	{ "un", 0 },
	{ "una", 0 },
	{ "once", 0 },
	{ "doce", 0 },
	{ "2", 0 },
	{ "o", 0 },
	{ "", 0 },
	{ "0o", 0 },
	{ "02o", 0 },
	{ "100o", 0 },
	{ "2th", 0 },
	{ "11st", 0 },
	{ "12nd", 0 },
	{ "2er", 0 },
	{ "11vo", 0 },
	{ "2oo", 0 },
	{ "dós", 2 }, /* normalised first */
	{ "doss", 0 },
	{ "segundos", 0 },
	{ "seconds", 0 },
	{ "tre", 0 },
};

static void test_number_words(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(number_rows) / sizeof(number_rows[0]); i++) {
		const char *w = number_rows[i].word;
		struct route_words words;
		route_words_init(&words, w, strlen(w));
		int got = words.count == 1 ? words.words[0].number : 0;
		route_words_free(&words);
		if (got != number_rows[i].value)
			fail_msg("'%s' is %d, want %d", w, got, number_rows[i].value);
	}
}

/*
 * What the normaliser and the tables make of a text, word by word: "|" before a word that
 * begins a clause, "?" after one in a question, "!" after one a negation reaches, "#n" after
 * the number a menu choice makes.
 */
static const struct row annotation_rows[] = {
	{ "No es de ventas, es de contabilidad", "no es! de! ventas! | es de contabilidad" },
	{ "no quiero comprar pero sí soporte", "no quiero! comprar! | pero si soporte" },
	{ "no es ventas sino soporte", "no es! ventas! | sino soporte" },
	{ "ni ventas ni soporte", "ni ventas! | ni soporte!" },
	{ "nada de ventas", "nada de ventas!" },
	{ "no me llega la factura", "no me! llega! la factura" },
	{ "no quiero hablar con el equipo de ventas",
	  "no quiero! hablar! con! el! equipo! de! ventas!" },
	{ "I don't want to talk to sales", "i don t want! to! talk! to! sales!" },
	{ "not sure, sales maybe", "not sure! | sales maybe" },
	{ "¿no es de ventas?", "no? es? de? ventas?" },
	{ "hola ¿no tenéis soporte? vale", "hola | no? teneis? soporte? | vale" },
	{ "soporte!? ventas", "soporte? | ventas" },
	{ "nº 2", "no 2" },
	{ "la dos", "la dos#2" },
	{ "la segunda opción", "la segunda#2 opcion" },
	{ "the second one", "the second#2 one" },
	{ "that one", "that one" },
	{ "one", "one#1" },
	{ "no la dos, la tres", "no la! dos!#2 | la tres#3" },
	{ "dos hermanas", "dos hermanas" },
	{ "uno o dos", "uno o dos" },
	{ "el 2º", "el 2o#2" },
	{ "a\nb", "a | b" },
	{ "2.5", "2 | 5" },
	{ "uno（dos）", "uno#1 | dos#2" },
};

static void describe_words(struct buf *b, const struct route_words *w)
{
	for (size_t i = 0; i < w->count; i++) {
		const struct route_word *x = &w->words[i];
		if (i > 0)
			buf_puts(b, x->starts_clause ? " | " : " ");
		buf_append(b, w->text + x->off, x->len);
		if (x->is_question)
			buf_putc(b, '?');
		if (x->negated_by != 0)
			buf_putc(b, '!');
		if (x->choice != 0)
			buf_printf(b, "#%d", x->choice);
	}
}

static void test_annotations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(annotation_rows) / sizeof(annotation_rows[0]); i++) {
		struct route_words w;
		route_words_init(&w, annotation_rows[i].in, strlen(annotation_rows[i].in));
		struct buf b = BUF_INIT;
		describe_words(&b, &w);
		if (strcmp(b.data ? b.data : "", annotation_rows[i].want) != 0)
			fail_msg("'%s' is '%s', want '%s'", annotation_rows[i].in, b.data,
			         annotation_rows[i].want);
		buf_free(&b);
		route_words_free(&w);
	}
}

/* The lexicon is searched by halves: it must stay sorted, each word once, and normalised. */
static void test_lexicon_sorted(void **state)
{
	(void)state;
	for (size_t i = 0; i < route_lexicon_size; i++) {
		const char *w = route_lexicon[i].word;
		if (i > 0 && strcmp(route_lexicon[i - 1].word, w) >= 0)
			fail_msg("'%s' then '%s': out of order", route_lexicon[i - 1].word, w);
		char *norm = route_normalize(w, strlen(w));
		if (strcmp(norm, w) != 0)
			fail_msg("'%s' is not normalised ('%s')", w, norm);
		free(norm);
		bool is_number = route_lexicon[i].kinds & (ROUTE_CARDINAL | ROUTE_ORDINAL);
		if (is_number != (route_lexicon[i].value > 0))
			fail_msg("'%s': a value without being a number, or the other way", w);
	}
}

/* Number words match only exactly; other words keep their slips. */
static void test_number_words_flagged(void **state)
{
	(void)state;
	struct route_words w;
	route_words_init(&w, "Segunda soporte 2º", strlen("Segunda soporte 2º"));
	assert_int_equal(w.count, 3);
	assert_true(w.words[0].is_number_word);
	assert_false(w.words[1].is_number_word);
	assert_true(w.words[2].has_digit);
	route_words_free(&w);
}

/* Replies read as a rating from 1 to 5 (route_rating), and those that are none. */
static void test_ratings(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rating;
	} cases[] = {
		{ "5", 5 },
		{ " 4 ", 4 },
		{ "4\xef\xb8\x8f\xe2\x83\xa3", 4 }, /* keycap 4 */
		{ "\xe2\x9d\xb8", 3 },              /* dingbat negative circled 3 */
		{ "cinco", 5 },
		{ "Cinco, gracias", 5 },
		{ "el 2", 2 },
		{ "un 1", 1 },
		{ "four", 4 },
		{ "5 estrellas", 5 },
		{ "3 stars", 3 },
		{ "0", 0 },
		{ "6", 0 },
		{ "10", 0 },
		{ "-1", 1 }, /* the minus is punctuation to the normaliser */
		{ "3 o 4", 0 },
		{ "no 5", 0 },
		{ "5 pero fatal", 0 },
		{ "tengo otra duda", 0 },
		{ "", 0 },
		{ "1000", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (route_rating(cases[i].text, 5) != cases[i].rating)
			fail_msg("'%s' rated %d, not %d", cases[i].text,
			         route_rating(cases[i].text, 5), cases[i].rating);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_words),
		cmocka_unit_test(test_lexicon_sorted),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_number_words_flagged),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_limit_kept),
		cmocka_unit_test(test_limit_cut),
		cmocka_unit_test(test_limit_cut_ignorable),
		cmocka_unit_test(test_limit_cut_multibyte),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_ratings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
