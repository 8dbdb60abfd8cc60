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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_limit_kept),
		cmocka_unit_test(test_limit_cut),
		cmocka_unit_test(test_limit_cut_ignorable),
		cmocka_unit_test(test_limit_cut_multibyte),
		cmocka_unit_test(test_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
