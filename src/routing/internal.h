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
	/* Set by the normaliser, from the punctuation it turns into spaces: */
	bool starts_clause; /* a clause break (, . ; : ! ? ¡ ¿ …, a line break) comes before it */
	bool is_question;   /* its clause is a question (opened by ¿ or closed by ?) */
	/* Set by route_words_annotate (words.c), from the word tables: */
	uint8_t kinds;       /* enum route_word_kind bits */
	uint8_t number;      /* its value as a number word or ordinal ("dos", "2º"), or 0 */
	bool is_number_word; /* "dos", "segunda": like digits, never a typing slip */
	uint8_t choice;      /* the number this word chooses from a menu (1–99), or 0 */
	size_t negated_by;   /* 1 + the first word of a negation that reaches it, or 0 */
	size_t negation_len; /* that negation's words */
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

/* Normalises s[0..len) and annotates the words; free with route_words_free. */
void route_words_init(struct route_words *w, const char *s, size_t len);
void route_words_free(struct route_words *w);

/* ---- words.c: what some Spanish and English words mean to routing ---- */

/* What a word of the tables can be; a word may be several. */
enum route_word_kind {
	ROUTE_CARDINAL = 1 << 0,   /* "dos", "two" */
	ROUTE_ORDINAL = 1 << 1,    /* "segunda", "second", "2º" */
	ROUTE_CUE_HEAD = 1 << 2,   /* the first word of a negation cue: "no", "nada", "don" */
	ROUTE_LINK = 1 << 3,       /* a negation reaches across it: "no ES DE ventas" */
	ROUTE_CONNECTOR = 1 << 4,  /* it begins a clause: "pero", "sino", "but" */
	ROUTE_MENU = 1 << 5,       /* a menu choice may hold it: "LA dos POR FAVOR" */
	ROUTE_DETERMINER = 1 << 6, /* before "one", it makes it a pronoun: "that one" */
	ROUTE_STOP = 1 << 7,       /* only too common to be worth suggesting: "y", "and" */
};

struct route_lexeme {
	const char *word;
	uint8_t kinds;
	uint8_t value; /* of a number word */
};

/* Sorted by bytes (strcmp order), each word once. */
extern const struct route_lexeme route_lexicon[];
extern const size_t route_lexicon_size;

/* The words of the negation cue ("no", "nada de", "don t") starting at word i, or 0. */
size_t route_negation_at(const struct route_words *w, size_t i);
/* Marks clauses that begin with a connector ("pero", "but"), number words, menu choices and
 * the reach of negations; called by route_words_init once the words are built. */
void route_words_annotate(struct route_words *w);

struct route_answer {
	char *text; /* as written */
	struct route_words norm;
};

struct route_option {
	struct route_answer *answers;
	size_t nanswers;
	bool has_team;
	int64_t team_id;
	char *reply;                /* NULL when none */
	struct route_answer button; /* the welcome's button label; text NULL when none */
	char payload[16]; /* the button's id, from its normalised label: "menu-1a2b3c4d" */
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
	bool has_buttons; /* every option carries a button label */
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
