/*
 * Suggestions from the team's own corrections: the words of replies that fell back, or whose
 * conversations agents moved to another team, that would be worth adding as answers. The
 * caller remembers the replies (as route_reply_key makes them); this file only counts words
 * and checks what adding one would do. Pure: no I/O, allocates only what it returns.
 */
#include "routing/internal.h"
#include "routing/routing.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

/* A suggestion needs words of this many characters or more. */
#define SUGGEST_MIN_CHARS 3
/* Replies matched again to see whether an added word would tie, per suggestion. */
#define TIE_CHECKS 50

/* True for a run of non-space bytes that is an e-mail or a web address. */
static bool is_address(const char *s, size_t len)
{
	if (memchr(s, '@', len) != NULL)
		return true;
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(s + i, "://", 3) == 0)
			return true;
	return len >= 4 && (s[0] == 'w' || s[0] == 'W') && (s[1] == 'w' || s[1] == 'W') &&
	       (s[2] == 'w' || s[2] == 'W') && s[3] == '.';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *route_reply_key(const char *text, size_t len)
{
	if (text == NULL)
		len = 0;
	len = route_utf8_cut(text != NULL ? text : "", len, ROUTE_MAX_TEXT_BYTES);
	/* Addresses become spaces before normalising, which would split them into words. */
	char *plain = xmalloc(len + 1);
	if (len > 0)
		memcpy(plain, text, len);
	plain[len] = '\0';
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && !is_space(plain[end]))
			end++;
		if (end > i && is_address(plain + i, end - i))
			memset(plain + i, ' ', end - i);
		i = end + 1;
	}
	struct route_words w;
	route_words_init(&w, plain, len);
	free(plain);
	char *out = xmalloc(w.len + 1);
	size_t n = 0;
	for (size_t i = 0; i < w.count; i++) {
		if (w.words[i].has_digit)
			continue;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, w.text + w.words[i].off, w.words[i].len);
		n += w.words[i].len;
	}
	out[n] = '\0';
	route_words_free(&w);
	return out;
}

/* One word of one reply. */
struct mention {
	const char *word; /* in the reply's normalised words */
	size_t len;
	size_t reply;
};

static int compare_words(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c != 0 ? c : alen < blen ? -1 : alen > blen;
}

static int compare_mentions(const void *x, const void *y)
{
	const struct mention *a = x, *b = y;
	int c = compare_words(a->word, a->len, b->word, b->len);
	return c != 0 ? c : a->reply < b->reply ? -1 : a->reply > b->reply;
}

/* Whether a word could be an answer worth suggesting. */
static bool is_candidate(const struct route_word *x)
{
	return !x->has_digit && x->kinds == 0 && x->ncp >= SUGGEST_MIN_CHARS;
}

/* The option an answer equal to word belongs to, or -1. */
static int answer_option(const struct route_config *cfg, const char *word, size_t len)
{
	for (size_t o = 0; cfg != NULL && o < cfg->noptions; o++)
		for (size_t a = 0; a < cfg->options[o].nanswers; a++) {
			const struct route_words *norm = &cfg->options[o].answers[a].norm;
			if (compare_words(norm->text, norm->len, word, len) == 0)
				return (int)o;
		}
	return -1;
}

static int team_option(const struct route_config *cfg, int64_t team_id)
{
	for (size_t o = 0; cfg != NULL && team_id != 0 && o < cfg->noptions; o++)
		if (cfg->options[o].has_team && cfg->options[o].team_id == team_id)
			return (int)o;
	return -1;
}

static bool is_dismissed(const char *word, size_t len, const char *const *dismissed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (compare_words(dismissed[i], strlen(dismissed[i]), word, len) == 0)
			return true;
	return false;
}

/* Moves per team for one word, as they are counted. */
struct team_count {
	int64_t team_id;
	int64_t count;
};

static void count_team(struct team_count **teams, size_t *n, size_t *cap, int64_t team_id,
                       int64_t count)
{
	for (size_t i = 0; i < *n; i++)
		if ((*teams)[i].team_id == team_id) {
			(*teams)[i].count += count;
			return;
		}
	*teams = xgrow(*teams, cap, *n, sizeof(**teams));
	(*teams)[(*n)++] = (struct team_count){ team_id, count };
}

/* The suggestion for the mentions [m, end) of one word (end > m), or false to leave it out. */
static bool suggestion_of(const struct route_config *cfg, const struct route_reply_seen *replies,
                          const struct mention *m, const struct mention *end,
                          const char *const *dismissed, size_t ndismissed,
                          struct route_suggestion *s)
{
	struct team_count *teams = NULL;
	size_t nteams = 0, cap = 0;
	*s = (struct route_suggestion){ .option = -1, .conflict_option = -1 };
	for (const struct mention *p = m; p < end; p++) {
		if (p > m && p[-1].reply == p->reply)
			continue; /* once per reply */
		const struct route_reply_seen *r = &replies[p->reply];
		if (r->team_id == 0)
			s->fallbacks += r->count;
		else
			count_team(&teams, &nteams, &cap, r->team_id, r->count);
	}
	for (size_t i = 0; i < nteams; i++)
		if (teams[i].count > s->moves ||
		    (teams[i].count == s->moves && teams[i].team_id < s->team_id)) {
			s->moves = teams[i].count;
			s->team_id = teams[i].team_id;
		}
	free(teams);
	s->count = s->fallbacks + s->moves;
	if (s->count < ROUTE_SUGGEST_MIN || is_dismissed(m->word, m->len, dismissed, ndismissed))
		return false;
	s->option = team_option(cfg, s->team_id);
	int already = answer_option(cfg, m->word, m->len);
	if (already >= 0 && (s->option < 0 || already == s->option))
		return false;
	if (already >= 0) {
		s->conflict = ROUTE_CONFLICT_DUPLICATE;
		s->conflict_option = already;
	}
	s->text = xstrndup(m->word, m->len);
	return true;
}

static int compare_suggestions(const void *x, const void *y)
{
	const struct route_suggestion *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->moves != b->moves)
		return a->moves > b->moves ? -1 : 1;
	return strcmp(a->text, b->text);
}

static bool has_word(const struct route_words *w, const char *word)
{
	size_t len = strlen(word);
	for (size_t i = 0; i < w->count; i++)
		if (compare_words(w->text + w->words[i].off, w->words[i].len, word, len) == 0)
			return true;
	return false;
}

/*
 * Whether adding s->text to option s->option would make one of its replies tie: those replies
 * are matched again against cfg with the word added (a copy of the option's answer list; the
 * rest is shared, and nothing is changed).
 */
static void check_tie(const struct route_config *cfg, const struct route_reply_seen *replies,
                      const struct route_words *words, size_t n, struct route_suggestion *s)
{
	struct route_config with = *cfg;
	with.options = xmalloc(cfg->noptions * sizeof(*with.options));
	memcpy(with.options, cfg->options, cfg->noptions * sizeof(*with.options));
	struct route_option *opt = &with.options[s->option];
	opt->answers = xmalloc((opt->nanswers + 1) * sizeof(*opt->answers));
	memcpy(opt->answers, cfg->options[s->option].answers,
	       opt->nanswers * sizeof(*opt->answers));
	struct route_answer *added = &opt->answers[opt->nanswers++];
	added->text = s->text;
	route_words_init(&added->norm, s->text, strlen(s->text));
	size_t checked = 0;
	for (size_t i = 0; i < n && checked < TIE_CHECKS && s->conflict == ROUTE_CONFLICT_NONE;
	     i++) {
		if ((replies[i].team_id != 0 && replies[i].team_id != s->team_id) ||
		    !has_word(&words[i], s->text))
			continue;
		checked++;
		struct route_message msg = { .kind = ROUTE_MSG_TEXT, .text = replies[i].text };
		struct route_decision *d = route_match(&with, &msg);
		for (size_t c = 0; d->reason == ROUTE_TIE && c < d->ncandidates; c++)
			if (d->candidates[c].is_best &&
			    d->candidates[c].option != (size_t)s->option &&
			    s->conflict == ROUTE_CONFLICT_NONE) {
				s->conflict = ROUTE_CONFLICT_TIE;
				s->conflict_option = (int)d->candidates[c].option;
			}
		route_decision_free(d);
	}
	route_words_free(&added->norm);
	free(opt->answers);
	free(with.options);
}

size_t route_suggest(const struct route_config *cfg, const struct route_reply_seen *replies,
                     size_t n, const char *const *dismissed, size_t ndismissed, size_t max,
                     struct route_suggestion **out)
{
	struct route_words *words = xcalloc(n > 0 ? n : 1, sizeof(*words));
	struct mention *mentions = NULL;
	size_t nmentions = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const char *text = replies[i].text != NULL ? replies[i].text : "";
		route_words_init(&words[i], text, strlen(text));
		for (size_t k = 0; k < words[i].count; k++) {
			const struct route_word *x = &words[i].words[k];
			if (!is_candidate(x) || replies[i].count <= 0)
				continue;
			mentions = xgrow(mentions, &cap, nmentions, sizeof(*mentions));
			mentions[nmentions++] =
			    (struct mention){ words[i].text + x->off, x->len, i };
		}
	}
	if (nmentions > 0)
		qsort(mentions, nmentions, sizeof(*mentions), compare_mentions);
	struct route_suggestion *all = NULL;
	size_t count = 0;
	cap = 0;
	for (size_t i = 0; i < nmentions;) {
		size_t end = i + 1;
		while (end < nmentions && compare_words(mentions[i].word, mentions[i].len,
		                                        mentions[end].word, mentions[end].len) == 0)
			end++;
		struct route_suggestion s;
		if (suggestion_of(cfg, replies, &mentions[i], &mentions[end], dismissed, ndismissed,
		                  &s)) {
			all = xgrow(all, &cap, count, sizeof(*all));
			all[count++] = s;
		}
		i = end;
	}
	free(mentions);
	if (count > 0)
		qsort(all, count, sizeof(*all), compare_suggestions);
	for (; count > max; count--)
		free(all[count - 1].text);
	for (size_t i = 0; i < count; i++)
		if (all[i].option >= 0 && all[i].conflict == ROUTE_CONFLICT_NONE)
			check_tie(cfg, replies, words, n, &all[i]);
	for (size_t i = 0; i < n; i++)
		route_words_free(&words[i]);
	free(words);
	*out = all;
	return count;
}

void route_suggestions_free(struct route_suggestion *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].text);
	free(s);
}
