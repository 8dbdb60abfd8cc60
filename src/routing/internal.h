/*
 * Private to routing/: what its .c files share (the normalised word lists, the parsed
 * config's layout, the placeholder scanner). Nothing outside src/routing/ includes this;
 * the module's public face is routing.h.
 */
#ifndef ROUTING_INTERNAL_H
#define ROUTING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One word of a normalised text. */
struct route_word {
	size_t off, len;    /* bytes, in route_words.text */
	size_t cp_off, ncp; /* code points, in route_words.cps */
	uint32_t hash;      /* of the bytes, to compare words quickly */
	bool has_digit;     /* numbers never match by a typing slip */
};

/* A normalised text: its words joined by single spaces, and each word's code points. */
struct route_words {
	char *text;
	size_t len;
	int32_t *cps;
	struct route_word *words;
	size_t count;
	bool is_truncated; /* the input was longer than ROUTE_MAX_TEXT_BYTES */
};

/* The longest prefix of s[0..len), at most max bytes, that splits no UTF-8 sequence. */
size_t route_utf8_cut(const char *s, size_t len, size_t max);

/* Normalises s[0..len); free with route_words_free. */
void route_words_init(struct route_words *w, const char *s, size_t len);
void route_words_free(struct route_words *w);

struct route_answer {
	char *text; /* as written */
	struct route_words norm;
};

struct route_option {
	struct route_answer *answers;
	size_t nanswers;
	bool has_team;
	int64_t team_id;
	char *reply; /* NULL when none */
};

struct route_config {
	bool is_enabled;
	char *welcome;
	char *fallback;
	char *assignment; /* NULL when none */
	char *give_up;    /* NULL when none */
	int max_attempts;
	bool match_first_message;
	int reopen_hours;
	struct route_option *options;
	size_t noptions;
};

/* Placeholders are {name} with 1 to ROUTE_PLACEHOLDER_MAX letters, digits or underscores;
 * any other brace is plain text. */
#define ROUTE_PLACEHOLDER_MAX 32

/*
 * Finds the next placeholder in s at or after from: true with [*start, *end) spanning it,
 * braces included.
 */
bool route_placeholder_find(const char *s, size_t from, size_t *start, size_t *end);

#endif
