/* Splitting long texts into provider-sized parts on word and character boundaries. */
#include "channel_test.h"

static const struct text_limit bytes10 = { 10, TEXT_UNIT_BYTES };

/* Splits text with limit and checks the parts against the expected ones (NULL-ended). */
static void expect_parts(const char *text, struct text_limit limit, const char *const *expected)
{
	struct text_parts *p = NULL;
	struct error e = { 0 };
	size_t n = 0;

	if (text_split(text, strlen(text), limit, &p, &e) != 0)
		fail_msg("refused: %s", e.message);
	while (expected[n] != NULL)
		n++;
	for (size_t i = 0; i < p->count && i < n; i++)
		assert_string_equal(p->parts[i], expected[i]);
	assert_int_equal(p->count, n);
	text_parts_free(p);
}

static void test_provider_limits(void **state)
{
	(void)state;
	assert_int_equal(channel_text_limit(CHANNEL_WHATSAPP).max, 4096);
	assert_int_equal(channel_text_limit(CHANNEL_WHATSAPP).unit, TEXT_UNIT_UTF16);
	assert_int_equal(channel_text_limit(CHANNEL_MESSENGER).max, 2000);
	assert_int_equal(channel_text_limit(CHANNEL_MESSENGER).unit, TEXT_UNIT_UTF16);
	assert_int_equal(channel_text_limit(CHANNEL_INSTAGRAM).max, 999);
	assert_int_equal(channel_text_limit(CHANNEL_INSTAGRAM).unit, TEXT_UNIT_BYTES);
	assert_int_equal(channel_text_limit(CHANNEL_TELEGRAM).max, 4096);
	assert_int_equal(channel_text_limit(CHANNEL_TELEGRAM).unit, TEXT_UNIT_UTF16);
}

static void test_a_text_that_fits_is_one_part_unchanged(void **state)
{
	(void)state;
	expect_parts("hola", bytes10, (const char *const[]){ "hola", NULL });
	expect_parts("  dos  sp ", bytes10, (const char *const[]){ "  dos  sp ", NULL });
	expect_parts("0123456789", bytes10, (const char *const[]){ "0123456789", NULL });
}

static void test_cuts_fall_on_whitespace_which_is_dropped(void **state)
{
	(void)state;
	expect_parts("hello world again", bytes10,
	             (const char *const[]){ "hello", "world", "again", NULL });
	expect_parts("one two three four five", bytes10,
	             (const char *const[]){ "one two", "three four", "five", NULL });
	expect_parts("line one\n\nline two", bytes10,
	             (const char *const[]){ "line one", "line two", NULL });
	/* The whole whitespace run goes, even where it is longer than a part. */
	expect_parts("abcdefgh            ijk", bytes10,
	             (const char *const[]){ "abcdefgh", "ijk", NULL });
	/* A cut right before a space. */
	expect_parts("0123456789 abc", bytes10, (const char *const[]){ "0123456789", "abc", NULL });
	/* Once a text is split, its leading whitespace goes too; trailing stays with the last. */
	expect_parts("  abcdef ghij  ", bytes10, (const char *const[]){ "abcdef", "ghij  ", NULL });
	expect_parts("            abc", bytes10, (const char *const[]){ "abc", NULL });
	/* Unicode spaces break; the no-break space does not. */
	expect_parts("abcd\xe2\x80\x83"
	             "efgh",
	             (struct text_limit){ 6, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "abcd", "efgh", NULL });
	expect_parts("abcd\xc2\xa0"
	             "efgh",
	             (struct text_limit){ 6, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "abcd\xc2\xa0"
	                                    "e",
	                                    "fgh", NULL });
}

static void test_a_word_longer_than_a_part_is_cut(void **state)
{
	(void)state;
	expect_parts("abcdefghijklmnopqrstuvwxyz", bytes10,
	             (const char *const[]){ "abcdefghij", "klmnopqrst", "uvwxyz", NULL });
	expect_parts("hi abcdefghijklmnop", bytes10,
	             (const char *const[]){ "hi", "abcdefghij", "klmnop", NULL });
	/* A URL with no spaces in a 999-byte Instagram part. */
	char url[2600] = "https://example.org/";
	for (size_t i = strlen(url); i < 2500; i++)
		url[i] = (char)('a' + i % 26);
	url[2500] = '\0';
	struct text_parts *p = NULL;
	assert_int_equal(text_split(url, 2500, channel_text_limit(CHANNEL_INSTAGRAM), &p, NULL), 0);
	assert_int_equal(p->count, 3);
	assert_int_equal(strlen(p->parts[0]), 999);
	assert_int_equal(strlen(p->parts[1]), 999);
	assert_int_equal(strlen(p->parts[2]), 502);
	text_parts_free(p);
}

static void test_multibyte_text_is_never_cut_inside_a_character(void **state)
{
	(void)state;
	/* "ñ" is 2 bytes, 1 UTF-16 unit. */
	expect_parts("ñññññ", (struct text_limit){ 5, TEXT_UNIT_BYTES },
	             (const char *const[]){ "ññ", "ññ", "ñ", NULL });
	expect_parts("ñññññ", (struct text_limit){ 4, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "ññññ", "ñ", NULL });
	/* "€" is 3 bytes; "😀" 4 bytes and 2 UTF-16 units (a surrogate pair never splits). */
	expect_parts("€€€€", (struct text_limit){ 7, TEXT_UNIT_BYTES },
	             (const char *const[]){ "€€", "€€", NULL });
	expect_parts("😀😀😀", (struct text_limit){ 5, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "😀😀", "😀", NULL });
	expect_parts("😀😀😀", (struct text_limit){ 5, TEXT_UNIT_BYTES },
	             (const char *const[]){ "😀", "😀", "😀", NULL });
	expect_parts("¿Qué tal estáis? Muy bien", (struct text_limit){ 10, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "¿Qué tal", "estáis?", "Muy bien", NULL });
}

static void test_cuts_keep_graphemes_whole(void **state)
{
	(void)state;
	/* "e" + combining acute (3 bytes): the accent stays with its letter. */
	expect_parts("e\xcc\x81"
	             "e\xcc\x81"
	             "e\xcc\x81",
	             (struct text_limit){ 4, TEXT_UNIT_BYTES },
	             (const char *const[]){ "e\xcc\x81", "e\xcc\x81", "e\xcc\x81", NULL });
	/* A family emoji (man ZWJ woman ZWJ girl: 5 code points, 8 UTF-16 units) stays whole. */
	const char *family = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91"
	                     "\xa7";
	char two[64];
	snprintf(two, sizeof(two), "%s%s", family, family);
	expect_parts(two, (struct text_limit){ 10, TEXT_UNIT_UTF16 },
	             (const char *const[]){ family, family, NULL });
	/* A grapheme longer than a part is cut between code points, as a last resort. */
	expect_parts(family, (struct text_limit){ 4, TEXT_UNIT_UTF16 },
	             (const char *const[]){ "\xf0\x9f\x91\xa8\xe2\x80\x8d",
	                                    "\xf0\x9f\x91\xa9\xe2\x80\x8d", "\xf0\x9f\x91\xa7",
	                                    NULL });
}

static void test_refused_texts(void **state)
{
	struct text_parts *p = (struct text_parts *)1;
	struct error e = { 0 };
	char *big;
	(void)state;

	assert_int_equal(text_split("", 0, bytes10, &p, &e), ERR_INVALID);
	assert_null(p);
	assert_int_equal(text_split(NULL, 0, bytes10, &p, &e), ERR_INVALID);
	assert_int_equal(text_split(" \n\t ", 4, bytes10, &p, &e), ERR_INVALID);
	assert_int_equal(text_split("a\xc3", 2, bytes10, &p, &e), ERR_INVALID);
	assert_int_equal(text_split("\xed\xa0\x80x", 4, bytes10, &p, &e), ERR_INVALID);
	assert_int_equal(text_split("a\0b", 3, bytes10, &p, &e), ERR_INVALID);
	assert_int_equal(text_split("abc", 3, (struct text_limit){ 3, TEXT_UNIT_BYTES }, &p, &e),
	                 ERR_INVALID);
	big = malloc(TEXT_SPLIT_MAX_LEN + 1);
	memset(big, 'a', TEXT_SPLIT_MAX_LEN + 1);
	assert_int_equal(text_split(big, TEXT_SPLIT_MAX_LEN + 1, bytes10, &p, &e), ERR_TOO_LARGE);
	assert_int_equal(
	    text_split(big, TEXT_SPLIT_MAX_LEN, channel_text_limit(CHANNEL_TELEGRAM), &p, &e), 0);
	assert_int_equal(p->count, 16);
	text_parts_free(p);
	free(big);
}

/* The text without any whitespace: what no split may lose, add or reorder. */
static size_t squeeze(const char *s, char *out)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\n')
			out[n++] = *s;
	out[n] = '\0';
	return n;
}

static size_t units_of(const char *s, enum text_unit unit)
{
	size_t units = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unit == TEXT_UNIT_BYTES)
			units++;
		else if ((*p & 0xc0) != 0x80)
			units += *p >= 0xf0 ? 2 : 1;
	}
	return units;
}

static void test_random_texts_keep_every_promise(void **state)
{
	static const char *const pieces[] = {
		"a", "palabra", "ñ", "€", "😀", " ", " ", "\n", "e\xcc\x81", "supercalifragilistico",
	};
	uint64_t seed = 42;
	char text[4096], whole[4096], joined[8192], squeezed[8192];
	(void)state;

	for (int round = 0; round < 400; round++) {
		size_t len = 0, target = 1 + test_random(&seed) % 1500;
		struct text_limit limit = { 4 + test_random(&seed) % 60, test_random(&seed) % 2
			                                                     ? TEXT_UNIT_BYTES
			                                                     : TEXT_UNIT_UTF16 };
		struct text_parts *p = NULL;

		while (len < target) {
			const char *piece = pieces[test_random(&seed) % 10];
			memcpy(text + len, piece, strlen(piece));
			len += strlen(piece);
		}
		text[len] = '\0';
		if (squeeze(text, whole) == 0)
			continue;
		assert_int_equal(text_split(text, len, limit, &p, NULL), 0);
		joined[0] = '\0';
		for (size_t i = 0; i < p->count; i++) {
			const char *part = p->parts[i];
			size_t plen = strlen(part);
			assert_true(plen > 0);
			assert_true(units_of(part, limit.unit) <= limit.max);
			assert_true(utf8_is_clean(part, plen));
			/* Cuts drop whitespace: no part but a lone one begins with it, no part
			 * but the last ends with it. */
			if (p->count > 1)
				assert_true(part[0] != ' ' && part[0] != '\n');
			if (i + 1 < p->count)
				assert_true(part[plen - 1] != ' ' && part[plen - 1] != '\n');
			strcat(joined, part);
		}
		squeeze(joined, squeezed);
		assert_string_equal(squeezed, whole);
		text_parts_free(p);
	}
}

static void test_a_long_reply_for_each_provider(void **state)
{
	char *text = malloc(30000);
	size_t len = 0;
	(void)state;

	static const char sentence[] = "Gracias por escribirnos 😀 ";
	while (len < 20000) {
		memcpy(text + len, sentence, sizeof(sentence) - 1);
		len += sizeof(sentence) - 1;
	}
	text[len] = '\0';
	for (int kind = CHANNEL_WHATSAPP; kind <= CHANNEL_TELEGRAM; kind++) {
		struct text_limit limit = channel_text_limit((enum channel_kind)kind);
		struct text_parts *p = NULL;
		assert_int_equal(text_split(text, len, limit, &p, NULL), 0);
		assert_true(p->count > 1);
		for (size_t i = 0; i < p->count; i++) {
			struct channel_send s = {
				.kind = (enum channel_kind)kind,
				.api_url = "https://example.org",
				.api_version = CHANNEL_GRAPH_VERSION,
				.channel_id = "1",
				.token = "1:t",
				.recipient = "1",
				.text = p->parts[i],
			};
			struct channel_request *r = NULL;
			/* Every part is one message the provider takes. */
			assert_int_equal(channel_request_new(&s, &r, NULL), 0);
			channel_request_free(r);
			if (i + 1 < p->count)
				assert_true(units_of(p->parts[i], limit.unit) > limit.max - 30);
		}
		text_parts_free(p);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_limits),
		cmocka_unit_test(test_a_text_that_fits_is_one_part_unchanged),
		cmocka_unit_test(test_cuts_fall_on_whitespace_which_is_dropped),
		cmocka_unit_test(test_a_word_longer_than_a_part_is_cut),
		cmocka_unit_test(test_multibyte_text_is_never_cut_inside_a_character),
		cmocka_unit_test(test_cuts_keep_graphemes_whole),
		cmocka_unit_test(test_refused_texts),
		cmocka_unit_test(test_random_texts_keep_every_promise),
		cmocka_unit_test(test_a_long_reply_for_each_provider),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
