/*
 * Splitting a long outgoing text into parts that each fit one provider message: cuts fall
 * on whitespace when a part has any, else on a grapheme boundary (utf8proc), and never inside
 * a UTF-8 sequence. Lengths are counted in the provider's unit (bytes or UTF-16 code units).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "core/xmalloc.h"
#include "providers/internal.h"

static size_t cp_units(int32_t cp, size_t bytes, enum text_unit unit)
{
	if (unit == TEXT_UNIT_BYTES)
		return bytes;
	return cp >= 0x10000 ? 2 : 1;
}

/* Decodes the code point at s[i]; 0 bytes when the sequence is invalid or is NUL. */
static size_t decode(const char *s, size_t len, size_t i, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n =
	    utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
	if (n <= 0 || c == 0)
		return 0;
	*cp = c;
	return (size_t)n;
}

size_t text_units(const char *s, size_t len, enum text_unit unit)
{
	size_t units = 0;
	for (size_t i = 0; i < len;) {
		int32_t cp;
		size_t n = decode(s, len, i, &cp);
		if (n == 0)
			return SIZE_MAX;
		units += cp_units(cp, n, unit);
		i += n;
	}
	return units;
}

/* Where a line may break: ASCII and Unicode spaces, but not the no-break ones. */
static bool is_break_space(int32_t cp)
{
	if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
		return true;
	if (cp == 0xa0 || cp == 0x2007 || cp == 0x202f)
		return false;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

static void parts_add(struct text_parts *p, size_t *cap, const char *s, size_t len)
{
	if (p->count == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		p->parts = xrealloc(p->parts, *cap * sizeof(*p->parts));
	}
	p->parts[p->count++] = xstrndup(s, len);
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
	while (i < len) {
		int32_t cp;
		size_t n = decode(s, len, i, &cp);
		if (n == 0 || !is_break_space(cp))
			break;
		i += n;
	}
	return i;
}

/*
 * The end of the part that starts at pos: the longest prefix within limit.max units, cut at
 * the start of its last whitespace run, else at its last grapheme boundary, else (a grapheme
 * longer than a part) after its last whole code point. *next is where the next part starts.
 */
static size_t part_end(const char *s, size_t len, size_t pos, struct text_limit limit, size_t *next)
{
	size_t units = 0, i = pos, run_start = pos, last_run = pos, last_boundary = pos;
	int32_t prev = -1, state = 0;
	bool in_run = false;

	while (i < len) {
		int32_t cp = 0;
		size_t n = decode(s, len, i, &cp);
		size_t u = cp_units(cp, n, limit.unit);
		bool is_space = is_break_space(cp);
		if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state))
			last_boundary = i;
		if (is_space && !in_run)
			run_start = i;
		if (is_space && run_start > pos)
			last_run = run_start;
		if (units + u > limit.max)
			break;
		in_run = is_space;
		units += u;
		prev = cp;
		i += n;
	}
	if (i == len) {
		*next = len;
		return len;
	}
	if (last_run > pos) {
		*next = skip_spaces(s, len, last_run);
		return last_run;
	}
	*next = last_boundary > pos ? last_boundary : i;
	return *next;
}

int text_split(const char *text, size_t len, struct text_limit limit, struct text_parts **out,
               struct error *e)
{
	struct text_parts *p;
	size_t cap = 0, units, pos = 0;

	*out = NULL;
	if (len > TEXT_SPLIT_MAX_LEN)
		return error_set(e, ERR_TOO_LARGE, "the text is longer than %d bytes",
		                 TEXT_SPLIT_MAX_LEN);
	if (limit.max < 4)
		return error_set(e, ERR_INVALID, "a part must hold at least 4 units");
	units = text != NULL ? text_units(text, len, limit.unit) : SIZE_MAX;
	if (units == SIZE_MAX)
		return error_set(e, ERR_INVALID, "the text is not valid UTF-8");
	if (skip_spaces(text, len, 0) == len)
		return error_set(e, ERR_INVALID, "the text is empty");
	p = xcalloc(1, sizeof(*p));
	if (units <= limit.max) {
		parts_add(p, &cap, text, len);
	} else {
		pos = skip_spaces(text, len, 0);
		while (pos < len) {
			size_t next;
			size_t end = part_end(text, len, pos, limit, &next);
			parts_add(p, &cap, text + pos, end - pos);
			pos = next;
		}
	}
	*out = p;
	return 0;
}

void text_parts_free(struct text_parts *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++)
		free(p->parts[i]);
	free(p->parts);
	free(p);
}
