/*
 * The matcher: (config, message) → decision. An answer matches when its words appear in the
 * text as whole consecutive words, each exactly or, for a word of five letters or more (never
 * a number), one typing slip away; a number answer also matches a menu choice made in words
 * ("la dos"). A negated mention is set aside. Exact beats slip, more words beat fewer, and a
 * tie between options is not understood. Pure: allocates only the decision it returns.
 */
#include "routing/internal.h"
#include "routing/routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

/* Answer words this long or longer (in characters) may match by a typing slip. */
#define SLIP_MIN_CHARS 5

static bool is_same_word(const struct route_words *a, const struct route_word *x,
                         const struct route_words *b, const struct route_word *y)
{
	return x->hash == y->hash && x->len == y->len &&
	       memcmp(a->text + x->off, b->text + y->off, x->len) == 0;
}

static bool is_same_tail(const int32_t *a, const int32_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n * sizeof(*a)) == 0;
}

/* True when a and b are exactly one edit apart: a character inserted, deleted or replaced,
 * or two adjacent characters swapped. */
static bool is_one_edit(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	if (na < nb)
		return is_one_edit(b, nb, a, na);
	if (na - nb > 1)
		return false;
	size_t i = 0;
	while (i < nb && a[i] == b[i])
		i++;
	if (na > nb)
		return is_same_tail(a + i + 1, b + i, nb - i);
	if (i == na)
		return false;
	if (is_same_tail(a + i + 1, b + i + 1, na - i - 1))
		return true;
	return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       is_same_tail(a + i + 2, b + i + 2, na - i - 2);
}

/* Numbers, in digits or in words, match only exactly. */
static bool is_number(const struct route_word *w)
{
	return w->has_digit || w->is_number_word;
}

static bool may_slip(const struct route_word *aw)
{
	return aw->ncp >= SLIP_MIN_CHARS && !is_number(aw);
}

static bool is_slip(const struct route_words *answer, const struct route_word *aw,
                    const struct route_words *text, const struct route_word *tw)
{
	if (!may_slip(aw) || is_number(tw))
		return false;
	return is_one_edit(answer->cps + aw->cp_off, aw->ncp, text->cps + tw->cp_off, tw->ncp);
}

/* The number of slips when answer matches text from word pos on, or -1 when it does not. */
static int slips_at(const struct route_words *answer, const struct route_words *text, size_t pos)
{
	int slips = 0;
	for (size_t j = 0; j < answer->count; j++) {
		const struct route_word *aw = &answer->words[j];
		const struct route_word *tw = &text->words[pos + j];
		if (is_same_word(answer, aw, text, tw))
			continue;
		if (!is_slip(answer, aw, text, tw))
			return -1;
		slips++;
	}
	return slips;
}

/*
 * The text's word positions by the first two and by the last two characters of their word,
 * so an answer is tried only where it could match. An equal word shares both; a word one
 * slip away shares one of them, as an edit at index 2 or later leaves the first two alone
 * and one at index 0 or 1 leaves the last two alone in words of four characters or more.
 */
_Static_assert(SLIP_MIN_CHARS >= 4, "the text index relies on slips leaving two ends alone");

enum { BY_HEAD, BY_TAIL };

struct text_index {
	size_t mask;
	size_t *first[2]; /* per bucket: 1 + its first position, 0 when empty */
	size_t *next[2];  /* per position: 1 + the next position in its bucket, 0 at the end */
};

static size_t end_key(const struct route_words *w, const struct route_word *x, int end)
{
	const int32_t *cp = w->cps + x->cp_off;
	uint32_t a, b;
	if (end == BY_HEAD) {
		a = (uint32_t)cp[0];
		b = x->ncp > 1 ? (uint32_t)cp[1] : 0;
	} else {
		a = x->ncp > 1 ? (uint32_t)cp[x->ncp - 2] : 0;
		b = (uint32_t)cp[x->ncp - 1];
	}
	return (size_t)((a * 2654435761u) ^ b);
}

static void text_index_init(struct text_index *ix, const struct route_words *text)
{
	size_t buckets = 16;
	while (buckets < 2 * text->count)
		buckets *= 2;
	ix->mask = buckets - 1;
	for (int end = BY_HEAD; end <= BY_TAIL; end++) {
		ix->first[end] = xcalloc(buckets, sizeof(size_t));
		ix->next[end] = xcalloc(text->count, sizeof(size_t));
		/* Backwards, so that each bucket lists its positions in order. */
		for (size_t i = text->count; i-- > 0;) {
			size_t k = end_key(text, &text->words[i], end) & ix->mask;
			ix->next[end][i] = ix->first[end][k];
			ix->first[end][k] = i + 1;
		}
	}
}

static void text_index_free(struct text_index *ix)
{
	for (int end = BY_HEAD; end <= BY_TAIL; end++) {
		free(ix->first[end]);
		free(ix->next[end]);
	}
}

/* True when a negation reaches the answer at text word pos. An answer that itself begins
 * with a negation ("no funciona") means it, and is never set aside. */
static bool is_negated_at(const struct route_words *answer, const struct route_words *text,
                          size_t pos)
{
	return text->words[pos].negated_by != 0 && route_negation_at(answer, 0) == 0;
}

/* Where answer matches text best (not negated, then fewest slips, then earliest): true with
 * *pos and *slips. */
static bool find_answer(const struct route_words *answer, const struct route_words *text,
                        const struct text_index *ix, size_t *pos, int *slips)
{
	bool is_negated = false;
	*slips = -1;
	if (answer->count == 0)
		return false;
	const struct route_word *head = &answer->words[0];
	int last_end = may_slip(head) ? BY_TAIL : BY_HEAD;
	for (int end = BY_HEAD; end <= last_end; end++) {
		size_t k = end_key(answer, head, end) & ix->mask;
		for (size_t p = ix->first[end][k]; p != 0; p = ix->next[end][p - 1]) {
			size_t i = p - 1;
			if (i + answer->count > text->count)
				continue;
			int s = slips_at(answer, text, i);
			if (s < 0)
				continue;
			bool neg = is_negated_at(answer, text, i);
			if (*slips < 0 || (is_negated && !neg) ||
			    (is_negated == neg && (s < *slips || (s == *slips && i < *pos)))) {
				*slips = s;
				*pos = i;
				is_negated = neg;
			}
		}
	}
	return *slips >= 0;
}

struct candidates {
	struct route_decision *d;
	size_t cap;
	const char *button_payload; /* a tap's payload as sent, to compare with the buttons' ids */
};

static void add_candidate(struct candidates *c, size_t option, size_t answer,
                          const struct route_answer *a, char *matched, bool is_exact,
                          enum route_source source, char *negated_by)
{
	struct route_decision *d = c->d;
	if (d->ncandidates == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		d->candidates = xrealloc(d->candidates, c->cap * sizeof(*d->candidates));
	}
	d->candidates[d->ncandidates++] = (struct route_candidate){
		.option = option,
		.answer = answer,
		.answer_text = xstrdup(a->text),
		.matched = matched,
		.words = a->norm.count,
		.is_exact = is_exact,
		.source = source,
		.negated_by = negated_by,
	};
}

/* The normalised words text[pos, pos + n), as a new string. */
static char *words_between(const struct route_words *text, size_t pos, size_t n)
{
	const struct route_word *first = &text->words[pos], *last = &text->words[pos + n - 1];
	return xstrndup(text->text + first->off, last->off + last->len - first->off);
}

/* The negation that reaches text word pos, as a new string, or NULL. */
static char *negation_of(const struct route_words *text, size_t pos)
{
	const struct route_word *w = &text->words[pos];
	return words_between(text, w->negated_by - 1, w->negation_len);
}

/* The text's menu choices made in words ("la dos", "the second one"): their positions. */
struct choices {
	size_t *at;
	size_t count;
};

static void choices_init(struct choices *ch, const struct route_words *text)
{
	*ch = (struct choices){ 0 };
	for (size_t i = 0; i < text->count; i++)
		if (text->words[i].choice > 0)
			ch->count++;
	if (ch->count == 0)
		return;
	ch->at = xcalloc(ch->count, sizeof(*ch->at));
	ch->count = 0;
	for (size_t i = 0; i < text->count; i++)
		if (text->words[i].choice > 0)
			ch->at[ch->count++] = i;
}

/* The text word that chose the number answer is, not negated first, then the earliest:
 * true with *pos. Only an answer that is a number in digits can be chosen in words. */
static bool find_number_word(const struct route_words *answer, const struct route_words *text,
                             const struct choices *ch, size_t *pos)
{
	if (ch->count == 0 || answer->count != 1 || !answer->words[0].has_digit)
		return false;
	bool is_found = false;
	for (size_t k = 0; k < ch->count; k++) {
		size_t i = ch->at[k];
		char digits[4];
		int n = snprintf(digits, sizeof(digits), "%d", text->words[i].choice);
		if ((size_t)n != answer->len || memcmp(digits, answer->text, answer->len) != 0)
			continue;
		if (!is_found ||
		    (text->words[*pos].negated_by != 0 && text->words[i].negated_by == 0))
			*pos = i;
		is_found = true;
	}
	return is_found;
}

/* Every answer that matches, in document order; for one answer, the payload, then the text,
 * then a number word. A payload matches an answer only when it equals it, since it is an id,
 * not prose. */
static void collect(const struct route_config *cfg, const struct route_words *text,
                    const struct route_words *payload, struct candidates *c)
{
	struct text_index ix;
	struct choices ch;
	text_index_init(&ix, text);
	choices_init(&ch, text);
	for (size_t o = 0; o < cfg->noptions; o++) {
		const struct route_option *opt = &cfg->options[o];
		if (c->button_payload != NULL && opt->payload[0] != '\0' &&
		    strcmp(c->button_payload, opt->payload) == 0)
			add_candidate(c, o, 0, &opt->button, xstrdup(opt->payload), true,
			              ROUTE_FROM_BUTTON, NULL);
		for (size_t i = 0; i < opt->nanswers; i++) {
			const struct route_answer *a = &opt->answers[i];
			if (payload != NULL && payload->count > 0 &&
			    strcmp(payload->text, a->norm.text) == 0)
				add_candidate(c, o, i, a, xstrdup(payload->text), true,
				              ROUTE_FROM_PAYLOAD, NULL);
			size_t pos = 0;
			int slips;
			if (find_answer(&a->norm, text, &ix, &pos, &slips))
				add_candidate(c, o, i, a, words_between(text, pos, a->norm.count),
				              slips == 0, ROUTE_FROM_TEXT,
				              is_negated_at(&a->norm, text, pos)
				                  ? negation_of(text, pos)
				                  : NULL);
			if (find_number_word(&a->norm, text, &ch, &pos))
				add_candidate(c, o, i, a, words_between(text, pos, 1), true,
				              ROUTE_FROM_NUMBER_WORD,
				              text->words[pos].negated_by != 0
				                  ? negation_of(text, pos)
				                  : NULL);
		}
	}
	free(ch.at);
	text_index_free(&ix);
}

/*
 * Marks the best candidates and returns the winner, or NULL (with *is_tie when options tied).
 * A payload match wins outright: answers are unique, so it names one option. Negated
 * candidates are set aside. Then exact matches beat slips, more words beat fewer, and what is
 * left must be a single option.
 */
static const struct route_candidate *choose(struct route_decision *d, bool *is_tie)
{
	*is_tie = false;
	for (size_t i = 0; i < d->ncandidates; i++) {
		if (d->candidates[i].source == ROUTE_FROM_BUTTON) {
			d->candidates[i].is_best = true;
			return &d->candidates[i];
		}
	}
	for (size_t i = 0; i < d->ncandidates; i++) {
		if (d->candidates[i].source == ROUTE_FROM_PAYLOAD) {
			d->candidates[i].is_best = true;
			return &d->candidates[i];
		}
	}
	bool has_exact = false;
	for (size_t i = 0; i < d->ncandidates; i++)
		has_exact =
		    has_exact || (d->candidates[i].is_exact && d->candidates[i].negated_by == NULL);
	size_t most = 0;
	for (size_t i = 0; i < d->ncandidates; i++) {
		const struct route_candidate *c = &d->candidates[i];
		if (c->negated_by == NULL && c->is_exact == has_exact && c->words > most)
			most = c->words;
	}
	const struct route_candidate *best = NULL;
	for (size_t i = 0; i < d->ncandidates; i++) {
		struct route_candidate *c = &d->candidates[i];
		if (c->negated_by != NULL || c->is_exact != has_exact || c->words != most)
			continue;
		c->is_best = true;
		if (best == NULL)
			best = c;
		else if (c->option != best->option)
			*is_tie = true;
	}
	return *is_tie ? NULL : best;
}

static void decide(const struct route_config *cfg, struct route_decision *d, bool has_words)
{
	bool is_tie;
	d->match = choose(d, &is_tie);
	if (d->match == NULL) {
		d->outcome = ROUTE_FALLBACK;
		d->reason = is_tie               ? ROUTE_TIE
		            : d->ncandidates > 0 ? ROUTE_NEGATED
		            : has_words          ? ROUTE_NO_MATCH
		                                 : ROUTE_NO_WORDS;
		return;
	}
	const struct route_option *opt = &cfg->options[d->match->option];
	d->reason = ROUTE_MATCHED;
	d->outcome = opt->has_team ? ROUTE_TEAM : ROUTE_REPLY;
	d->team_id = opt->has_team ? opt->team_id : 0;
}

static size_t length_or_zero(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

struct route_decision *route_match(const struct route_config *cfg, const struct route_message *msg)
{
	struct route_decision *d = xcalloc(1, sizeof(*d));
	d->outcome = ROUTE_FALLBACK;
	if (msg->kind == ROUTE_MSG_OTHER) {
		d->normalized = xstrdup("");
		d->reason = ROUTE_NOT_TEXT;
		return d;
	}
	struct route_words text, payload = { 0 };
	route_words_init(&text, msg->text, length_or_zero(msg->text));
	bool has_payload = msg->kind == ROUTE_MSG_INTERACTIVE && msg->payload != NULL;
	if (has_payload) {
		route_words_init(&payload, msg->payload, strlen(msg->payload));
		d->normalized_payload = xstrdup(payload.text);
	}
	struct candidates c = { .d = d, .button_payload = has_payload ? msg->payload : NULL };
	collect(cfg, &text, has_payload ? &payload : NULL, &c);
	decide(cfg, d, text.count > 0 || payload.count > 0);
	d->is_truncated = text.is_truncated;
	d->normalized = text.text;
	text.text = NULL;
	route_words_free(&text);
	route_words_free(&payload);
	return d;
}

void route_decision_free(struct route_decision *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ncandidates; i++) {
		free(d->candidates[i].answer_text);
		free(d->candidates[i].matched);
		free(d->candidates[i].negated_by);
	}
	free(d->candidates);
	free(d->normalized);
	free(d->normalized_payload);
	free(d);
}

/* ---- The explain body ---- */

static const char *outcome_name(enum route_outcome outcome)
{
	switch (outcome) {
	case ROUTE_TEAM:
		return "team";
	case ROUTE_REPLY:
		return "reply";
	case ROUTE_FALLBACK:
		return "fallback";
	}
	return "fallback";
}

static const char *reason_name(enum route_reason reason)
{
	switch (reason) {
	case ROUTE_MATCHED:
		return "matched";
	case ROUTE_NO_MATCH:
		return "no_match";
	case ROUTE_NEGATED:
		return "negated";
	case ROUTE_TIE:
		return "tie";
	case ROUTE_NO_WORDS:
		return "no_words";
	case ROUTE_NOT_TEXT:
		return "not_text";
	}
	return "no_match";
}

static const char *source_name(enum route_source source)
{
	switch (source) {
	case ROUTE_FROM_TEXT:
		return "text";
	case ROUTE_FROM_PAYLOAD:
		return "payload";
	case ROUTE_FROM_NUMBER_WORD:
		return "number_word";
	case ROUTE_FROM_BUTTON:
		return "button";
	}
	return "text";
}

static json_t *candidate_json(const struct route_candidate *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "option", json_integer((json_int_t)c->option));
	json_object_set_new(o, "answer_index",
	                    c->source == ROUTE_FROM_BUTTON ? json_null()
	                                                   : json_integer((json_int_t)c->answer));
	json_object_set_new(o, "answer", json_string(c->answer_text));
	json_object_set_new(o, "matched", json_string(c->matched));
	json_object_set_new(o, "words", json_integer((json_int_t)c->words));
	json_object_set_new(o, "match", json_string(c->is_exact ? "exact" : "slip"));
	json_object_set_new(o, "source", json_string(source_name(c->source)));
	json_object_set_new(o, "best", json_boolean(c->is_best));
	json_object_set_new(o, "negated_by",
	                    c->negated_by != NULL ? json_string(c->negated_by) : json_null());
	return o;
}

json_t *route_decision_to_json(const struct route_decision *d, const struct route_teams *teams)
{
	json_t *o = json_object();
	json_object_set_new(o, "normalized", json_string(d->normalized));
	if (d->normalized_payload != NULL)
		json_object_set_new(o, "normalized_payload", json_string(d->normalized_payload));
	json_object_set_new(o, "truncated", json_boolean(d->is_truncated));
	json_object_set_new(o, "outcome", json_string(outcome_name(d->outcome)));
	json_object_set_new(o, "reason", json_string(reason_name(d->reason)));
	json_object_set_new(o, "match", d->match != NULL ? candidate_json(d->match) : json_null());
	if (d->outcome == ROUTE_TEAM) {
		json_object_set_new(o, "team_id", json_integer(d->team_id));
		const char *name = teams != NULL ? teams->team_name(teams->ctx, d->team_id) : NULL;
		if (name != NULL)
			json_object_set_new(o, "team", json_string(name));
	}
	json_t *list = json_array();
	for (size_t i = 0; i < d->ncandidates; i++)
		json_array_append_new(list, candidate_json(&d->candidates[i]));
	json_object_set_new(o, "candidates", list);
	return o;
}
