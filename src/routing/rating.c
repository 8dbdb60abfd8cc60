/*
 * A customer's reply read as a rating: one number, in digits (any script, digit emoji and
 * keycaps through the normaliser) or as a number word, alone or with words that carry no
 * meaning of their own ("el 4", "un 5, gracias", "5 estrellas"). Pure, like the rest of routing/.
 */
#include <string.h>

#include "routing/internal.h"
#include "routing/routing.h"

/* What may follow or precede the number without making it something else. */
static const char *const units[] = { "estrella", "estrellas", "punto", "puntos",
	                             "point",    "points",    "star",  "stars" };

static bool is_unit(const char *s, size_t len)
{
	for (size_t i = 0; i < NELEM(units); i++)
		if (strlen(units[i]) == len && memcmp(units[i], s, len) == 0)
			return true;
	return false;
}

/* The value of a word of digits only (at most three), or -1. */
static int digits_value(const char *s, size_t len)
{
	if (len > 3)
		return -1;
	int value = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = 10 * value + (s[i] - '0');
	}
	return value;
}

int route_rating(const char *text, int max)
{
	struct route_words w;
	route_words_init(&w, text, strlen(text));
	int value = 0, numbers = 0;
	bool is_rating = !w.is_truncated;
	for (size_t i = 0; i < w.count && is_rating; i++) {
		const struct route_word *x = &w.words[i];
		const char *s = w.text + x->off;
		int digits = digits_value(s, x->len);
		if (route_negation_at(&w, i) > 0) {
			is_rating = false;
		} else if (digits >= 0 || (x->is_number_word && (x->kinds & ROUTE_CARDINAL))) {
			value = digits >= 0 ? digits : x->number;
			numbers++;
		} else if (!(x->kinds & (ROUTE_MENU | ROUTE_LINK)) && !is_unit(s, x->len)) {
			is_rating = false;
		}
	}
	route_words_free(&w);
	return is_rating && numbers == 1 && value >= 1 && value <= max ? value : 0;
}
