/*
 * Text normalisation for matching. Customer texts and configured answers go through the same
 * steps (NFKC, case folding, accents and other marks stripped, every decimal digit and digit
 * emoji to ASCII, anything but letters and digits to spaces), so that comparing them is
 * comparing words. Untrusted input is read safely: bounded, invalid UTF-8 taken as spaces.
 */
#include "routing/internal.h"
#include "routing/routing.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/xmalloc.h"

#define NORMALIZE_OPTIONS                                                           \
	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | \
	 UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)

#define REPLACEMENT_CHAR 0xFFFD

/* Digit emoji and dingbats that NFKC leaves alone; the circled ①… and full-width ０… it maps. */
static const struct {
	int32_t first, last;
	int value; /* of first; the others count up */
} digit_symbols[] = {
	{ 0x24EB, 0x24F4, 11 },   /* ⓫…⓴ negative circled 11 to 20 */
	{ 0x24F5, 0x24FE, 1 },    /* ⓵…⓾ double circled 1 to 10 */
	{ 0x24FF, 0x24FF, 0 },    /* ⓿ */
	{ 0x2776, 0x277F, 1 },    /* ❶…❿ */
	{ 0x2780, 0x2789, 1 },    /* ➀…➉ */
	{ 0x278A, 0x2793, 1 },    /* ➊…➓ */
	{ 0x1F51F, 0x1F51F, 10 }, /* 🔟 keycap ten */
};

/* Scripts written without spaces between words: each character is a word of its own. */
static const struct {
	int32_t first, last;
} own_word_ranges[] = {
	{ 0x3040, 0x30FF },   /* Hiragana, Katakana */
	{ 0x31F0, 0x31FF },   /* Katakana phonetic extensions */
	{ 0x3400, 0x4DBF },   /* CJK extension A */
	{ 0x4E00, 0x9FFF },   /* CJK unified ideographs */
	{ 0xF900, 0xFAFF },   /* CJK compatibility ideographs */
	{ 0x20000, 0x3FFFF }, /* CJK extensions B and later */
};

/* The value of a digit symbol, or -1. */
static int symbol_digit_value(int32_t cp)
{
	for (size_t i = 0; i < NELEM(digit_symbols); i++)
		if (cp >= digit_symbols[i].first && cp <= digit_symbols[i].last)
			return digit_symbols[i].value + (int)(cp - digit_symbols[i].first);
	return -1;
}

/*
 * The value of a decimal digit (category Nd) of any script. Unicode encodes every decimal
 * digit in a contiguous run from 0 to 9 (a stability guarantee), and runs that touch are whole
 * runs, so a digit's value is its distance from the run's start, modulo 10.
 */
static int decimal_digit_value(int32_t cp)
{
	if (cp >= '0' && cp <= '9')
		return cp - '0';
	int before = 0;
	while (before < 60 && utf8proc_category(cp - before - 1) == UTF8PROC_CATEGORY_ND)
		before++;
	return before % 10;
}

static bool is_own_word(int32_t cp)
{
	for (size_t i = 0; i < NELEM(own_word_ranges); i++)
		if (cp >= own_word_ranges[i].first && cp <= own_word_ranges[i].last)
			return true;
	return false;
}

static bool is_word_char(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}

/* True when cp, once normalised, would extend the word before it. */
static bool continues_word(int32_t cp)
{
	if (symbol_digit_value(cp) >= 0 || utf8proc_category(cp) == UTF8PROC_CATEGORY_ND)
		return true;
	return is_word_char(cp) && !is_own_word(cp);
}

/*
 * True when the text s[0..len) (what follows a cut) starts with a character that continues a
 * word, looking past what normalisation removes (marks, ignorable characters) as the
 * normaliser would. Invalid bytes count as spaces.
 */
static bool starts_in_word(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	for (int looked = 0; looked < 8 && len > 0; looked++) {
		utf8proc_int32_t cp, out[32];
		utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
		if (n <= 0)
			return false;
		int boundclass = 0;
		utf8proc_ssize_t m =
		    utf8proc_decompose_char(cp, out, NELEM(out), NORMALIZE_OPTIONS, &boundclass);
		if (m > 0)
			return m <= (utf8proc_ssize_t)NELEM(out) && continues_word(out[0]);
		p += n;
		len -= (size_t)n;
	}
	return false;
}

size_t route_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* A copy of s with every byte that starts no valid UTF-8 sequence replaced by U+FFFD, or
 * NULL when s is valid already (the usual case: providers/ hands over clean text). */
static char *replace_invalid(const char *s, size_t len, size_t *out_len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	struct buf b = BUF_INIT;
	bool is_valid = true;
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n > 0) {
			if (!is_valid)
				buf_append(&b, s + i, (size_t)n);
			i += (size_t)n;
			continue;
		}
		if (is_valid) {
			buf_append(&b, s, i);
			is_valid = false;
		}
		buf_puts(&b, "\xEF\xBF\xBD");
		i++;
	}
	if (is_valid)
		return NULL;
	*out_len = b.len;
	return buf_take(&b);
}

/* Decomposes, folds and strips, then recomposes: NFKC of the case-folded text without marks.
 * Returns the number of code points in the new array *out. */
static size_t fold_text(const char *s, size_t len, int32_t **out)
{
	*out = NULL;
	if (len == 0)
		return 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t cap = (utf8proc_ssize_t)len + 16;
	int32_t *cps = xmalloc((size_t)cap * sizeof(*cps));
	utf8proc_ssize_t n =
	    utf8proc_decompose(p, (utf8proc_ssize_t)len, cps, cap, NORMALIZE_OPTIONS);
	if (n > cap) {
		cap = n;
		cps = xrealloc(cps, (size_t)cap * sizeof(*cps));
		n = utf8proc_decompose(p, (utf8proc_ssize_t)len, cps, cap, NORMALIZE_OPTIONS);
	}
	if (n > 0)
		n = utf8proc_normalize_utf32(cps, n, NORMALIZE_OPTIONS);
	/* The input is valid UTF-8 and the options are fixed, so utf8proc cannot fail here. */
	*out = cps;
	return n > 0 ? (size_t)n : 0;
}

/* Punctuation that ends a clause (after NFKC, so full-width forms are included). */
static bool is_clause_break(int32_t cp)
{
	if (cp > 0 && cp < 0x80)
		return strchr(",.;:!?()[]\n\r", (int)cp) != NULL;
	switch (cp) {
	case 0x85:   /* next line */
	case 0xA1:   /* ¡ */
	case 0xBF:   /* ¿ */
	case 0x2013: /* en dash */
	case 0x2014: /* em dash */
	case 0x2028: /* line separator */
	case 0x2029: /* paragraph separator */
	case 0x3001: /* ideographic comma */
	case 0x3002: /* ideographic full stop */
		return true;
	default:
		return false;
	}
}

/* Builds the word list while code points are fed in one at a time. */
struct builder {
	struct buf text;
	int32_t *cps;
	size_t ncps, cap_cps;
	struct route_word *words;
	size_t count, cap_words;
	bool is_in_word;
	bool is_break_pending;    /* a clause break since the last word */
	bool is_question_pending; /* a ¿ since the last word: the next clause asks */
};

static void push_cp(struct builder *b, int32_t cp)
{
	if (b->ncps == b->cap_cps) {
		b->cap_cps = b->cap_cps ? 2 * b->cap_cps : 64;
		b->cps = xrealloc(b->cps, b->cap_cps * sizeof(*b->cps));
	}
	b->cps[b->ncps++] = cp;
}

static void end_word(struct builder *b)
{
	b->is_in_word = false;
}

static void add_char(struct builder *b, int32_t cp)
{
	if (!b->is_in_word) {
		if (b->count == b->cap_words) {
			b->cap_words = b->cap_words ? 2 * b->cap_words : 16;
			b->words = xrealloc(b->words, b->cap_words * sizeof(*b->words));
		}
		if (b->count > 0)
			buf_putc(&b->text, ' ');
		bool starts = b->count == 0 || b->is_break_pending;
		b->words[b->count] = (struct route_word){
			.off = b->text.len,
			.cp_off = b->ncps,
			.starts_clause = starts,
			.is_question =
			    starts ? b->is_question_pending : b->words[b->count - 1].is_question,
		};
		b->count++;
		b->is_in_word = true;
		b->is_break_pending = false;
		b->is_question_pending = false;
	}
	struct route_word *w = &b->words[b->count - 1];
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
	buf_append(&b->text, enc, (size_t)n);
	push_cp(b, cp);
	w->len = b->text.len - w->off;
	w->ncp++;
	if (cp >= '0' && cp <= '9')
		w->has_digit = true;
}

static void add_number(struct builder *b, int value)
{
	if (value >= 10)
		add_char(b, '0' + value / 10);
	add_char(b, '0' + value % 10);
}

/* Records punctuation for the clauses: a break, and whether the clause asks. */
static void punctuate(struct builder *b, int32_t cp)
{
	if (!is_clause_break(cp))
		return;
	if (cp == 0xBF)
		b->is_question_pending = true;
	if (cp == '?') {
		/* The clause of the last word asks: mark its words back to its first. */
		for (size_t i = b->count; i-- > 0;) {
			b->words[i].is_question = true;
			if (b->words[i].starts_clause)
				break;
		}
	}
	b->is_break_pending = true;
}

static void feed(struct builder *b, int32_t cp)
{
	int value = symbol_digit_value(cp);
	if (value >= 0) {
		add_number(b, value);
	} else if (utf8proc_category(cp) == UTF8PROC_CATEGORY_ND) {
		add_char(b, '0' + decimal_digit_value(cp));
	} else if (is_word_char(cp)) {
		if (is_own_word(cp))
			end_word(b);
		add_char(b, cp);
		if (is_own_word(cp))
			end_word(b);
	} else {
		end_word(b);
		punctuate(b, cp);
	}
}

/* FNV-1a: words are short and the hash only saves a memcmp. */
static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

void route_words_init(struct route_words *w, const char *s, size_t len)
{
	if (s == NULL)
		len = 0;
	size_t cut = route_utf8_cut(s, len, ROUTE_MAX_TEXT_BYTES);
	size_t clean_len = cut;
	char *clean = replace_invalid(s, cut, &clean_len);
	int32_t *folded;
	size_t nfolded = fold_text(clean ? clean : s, clean_len, &folded);

	struct builder b = { .text = BUF_INIT };
	for (size_t i = 0; i < nfolded; i++)
		feed(&b, folded[i]);
	/* A cut that split the last word leaves a fragment, which could match what it is not. */
	if (cut < len && b.is_in_word && starts_in_word(s + cut, len - cut)) {
		b.count--;
		b.ncps = b.words[b.count].cp_off;
		b.text.len = b.count > 0 ? b.words[b.count].off - 1 : 0;
	}
	for (size_t i = 0; i < b.count; i++)
		b.words[i].hash = hash_bytes(b.text.data + b.words[i].off, b.words[i].len);

	*w = (struct route_words){
		.len = b.text.len,
		.cps = b.cps,
		.words = b.words,
		.count = b.count,
		.is_truncated = cut < len,
	};
	w->text = buf_take(&b.text);
	w->text[w->len] = '\0';
	free(folded);
	free(clean);
	route_words_annotate(w);
}

void route_words_free(struct route_words *w)
{
	free(w->text);
	free(w->cps);
	free(w->words);
	*w = (struct route_words){ 0 };
}

char *route_normalize(const char *text, size_t len)
{
	struct route_words w;
	route_words_init(&w, text, len);
	char *out = w.text;
	w.text = NULL;
	route_words_free(&w);
	return out;
}
