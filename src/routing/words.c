/*
 * What some Spanish and English words mean to routing, beside the normaliser: number words
 * and ordinals (which answer a numbered menu), negation cues and the words a negation reaches
 * across, clause connectors, and the words a menu choice may be wrapped in. The tables hold
 * normalised words (lower case, no accents); docs/ROUTING.md states the rules. Pure.
 */
#include "routing/internal.h"

#include <stdlib.h>
#include <string.h>

/* The most words a negation reaches across before the answer it sets aside. */
#define NEGATION_REACH 6

/*
 * Every word the rules know, sorted by bytes (test_normalize checks the order), with what it
 * can be: a number word (CARDINAL, ORDINAL and its value), the first word of a negation cue,
 * a word a negation reaches across (LINK: "no ES DE ventas"), a word that begins a clause of
 * its own (CONNECTOR: "no es ventas SINO soporte"), a word a menu choice may be wrapped in
 * (MENU: "LA dos POR FAVOR"), one that makes "one" a pronoun (DETERMINER: "that one"), or
 * one too common to be worth suggesting as an answer (STOP: every word here is left out).
 * "un" and "una" are no numbers: they are articles far more often ("una factura").
 */
const struct route_lexeme route_lexicon[] = {
	{ "a", ROUTE_LINK, 0 },
	{ "about", ROUTE_LINK, 0 },
	{ "ahora", ROUTE_STOP, 0 },
	{ "al", ROUTE_LINK, 0 },
	{ "algo", ROUTE_STOP, 0 },
	{ "also", ROUTE_STOP, 0 },
	{ "although", ROUTE_CONNECTOR, 0 },
	{ "am", ROUTE_LINK, 0 },
	{ "an", ROUTE_LINK, 0 },
	{ "and", ROUTE_STOP, 0 },
	{ "any", ROUTE_LINK, 0 },
	{ "aqui", ROUTE_STOP, 0 },
	{ "are", ROUTE_LINK, 0 },
	{ "aren", ROUTE_CUE_HEAD, 0 },
	{ "arent", ROUTE_CUE_HEAD, 0 },
	{ "asking", ROUTE_LINK, 0 },
	{ "asunto", ROUTE_LINK, 0 },
	{ "aunque", ROUTE_CONNECTOR, 0 },
	{ "been", ROUTE_STOP, 0 },
	{ "buenas", ROUTE_MENU, 0 },
	{ "bueno", ROUTE_MENU, 0 },
	{ "buenos", ROUTE_MENU, 0 },
	{ "busco", ROUTE_LINK, 0 },
	{ "but", ROUTE_CONNECTOR, 0 },
	{ "calling", ROUTE_LINK, 0 },
	{ "can", ROUTE_STOP, 0 },
	{ "choose", ROUTE_MENU, 0 },
	{ "cinco", ROUTE_CARDINAL, 5 },
	{ "como", ROUTE_STOP, 0 },
	{ "con", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "consulta", ROUTE_LINK, 0 },
	{ "could", ROUTE_STOP, 0 },
	{ "cual", ROUTE_STOP, 0 },
	{ "cuando", ROUTE_STOP, 0 },
	{ "cuarta", ROUTE_ORDINAL, 4 },
	{ "cuarto", ROUTE_ORDINAL, 4 },
	{ "cuatro", ROUTE_CARDINAL, 4 },
	{ "d", ROUTE_MENU, 0 },
	{ "de", ROUTE_LINK, 0 },
	{ "decima", ROUTE_ORDINAL, 10 },
	{ "decimo", ROUTE_ORDINAL, 10 },
	{ "del", ROUTE_LINK, 0 },
	{ "departamento", ROUTE_LINK, 0 },
	{ "department", ROUTE_LINK, 0 },
	{ "dias", ROUTE_MENU, 0 },
	{ "did", ROUTE_LINK, 0 },
	{ "didn", ROUTE_CUE_HEAD, 0 },
	{ "didnt", ROUTE_CUE_HEAD, 0 },
	{ "diez", ROUTE_CARDINAL, 10 },
	{ "do", ROUTE_LINK, 0 },
	{ "does", ROUTE_LINK, 0 },
	{ "doesn", ROUTE_CUE_HEAD, 0 },
	{ "doesnt", ROUTE_CUE_HEAD, 0 },
	{ "don", ROUTE_CUE_HEAD, 0 },
	{ "donde", ROUTE_STOP, 0 },
	{ "dont", ROUTE_CUE_HEAD, 0 },
	{ "dos", ROUTE_CARDINAL, 2 },
	{ "eight", ROUTE_CARDINAL, 8 },
	{ "eighth", ROUTE_ORDINAL, 8 },
	{ "el", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "elijo", ROUTE_MENU, 0 },
	{ "en", ROUTE_LINK, 0 },
	{ "equipo", ROUTE_LINK, 0 },
	{ "era", ROUTE_LINK, 0 },
	{ "es", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "esa", ROUTE_STOP, 0 },
	{ "escojo", ROUTE_MENU, 0 },
	{ "escribo", ROUTE_LINK, 0 },
	{ "ese", ROUTE_STOP, 0 },
	{ "eso", ROUTE_STOP, 0 },
	{ "esta", ROUTE_STOP, 0 },
	{ "estan", ROUTE_STOP, 0 },
	{ "este", ROUTE_STOP, 0 },
	{ "esto", ROUTE_STOP, 0 },
	{ "estoy", ROUTE_LINK, 0 },
	{ "favor", ROUTE_MENU, 0 },
	{ "fifth", ROUTE_ORDINAL, 5 },
	{ "first", ROUTE_ORDINAL, 1 },
	{ "five", ROUTE_CARDINAL, 5 },
	{ "for", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "four", ROUTE_CARDINAL, 4 },
	{ "fourth", ROUTE_ORDINAL, 4 },
	{ "from", ROUTE_STOP, 0 },
	{ "get", ROUTE_STOP, 0 },
	{ "go", ROUTE_MENU, 0 },
	{ "got", ROUTE_STOP, 0 },
	{ "gracias", ROUTE_MENU, 0 },
	{ "hablar", ROUTE_LINK, 0 },
	{ "hacer", ROUTE_LINK, 0 },
	{ "had", ROUTE_STOP, 0 },
	{ "has", ROUTE_STOP, 0 },
	{ "have", ROUTE_STOP, 0 },
	{ "hay", ROUTE_STOP, 0 },
	{ "hello", ROUTE_MENU, 0 },
	{ "here", ROUTE_STOP, 0 },
	{ "hey", ROUTE_MENU, 0 },
	{ "hi", ROUTE_MENU, 0 },
	{ "hola", ROUTE_MENU, 0 },
	{ "how", ROUTE_STOP, 0 },
	{ "however", ROUTE_CONNECTOR, 0 },
	{ "i", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "in", ROUTE_LINK, 0 },
	{ "instead", ROUTE_CONNECTOR, 0 },
	{ "interesa", ROUTE_LINK, 0 },
	{ "interested", ROUTE_LINK, 0 },
	{ "is", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "isn", ROUTE_CUE_HEAD, 0 },
	{ "isnt", ROUTE_CUE_HEAD, 0 },
	{ "it", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "its", ROUTE_LINK, 0 },
	{ "jamas", ROUTE_CUE_HEAD, 0 },
	{ "just", ROUTE_STOP, 0 },
	{ "la", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "las", ROUTE_LINK, 0 },
	{ "le", ROUTE_LINK, 0 },
	{ "les", ROUTE_STOP, 0 },
	{ "like", ROUTE_MENU, 0 },
	{ "ll", ROUTE_MENU, 0 },
	{ "llamo", ROUTE_LINK, 0 },
	{ "lo", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "looking", ROUTE_LINK, 0 },
	{ "los", ROUTE_LINK, 0 },
	{ "m", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "marco", ROUTE_MENU, 0 },
	{ "mas", ROUTE_STOP, 0 },
	{ "me", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "mejor", ROUTE_MENU, 0 },
	{ "mi", ROUTE_LINK, 0 },
	{ "mis", ROUTE_LINK, 0 },
	{ "muy", ROUTE_STOP, 0 },
	{ "my", ROUTE_LINK, 0 },
	{ "nada", ROUTE_CUE_HEAD, 0 },
	{ "necesito", ROUTE_LINK, 0 },
	{ "need", ROUTE_LINK, 0 },
	{ "neither", ROUTE_CUE_HEAD, 0 },
	{ "never", ROUTE_CUE_HEAD, 0 },
	{ "ni", ROUTE_CUE_HEAD | ROUTE_CONNECTOR, 0 },
	{ "nine", ROUTE_CARDINAL, 9 },
	{ "ningun", ROUTE_LINK, 0 },
	{ "ninguna", ROUTE_LINK, 0 },
	{ "ninguno", ROUTE_LINK, 0 },
	{ "ninth", ROUTE_ORDINAL, 9 },
	{ "no", ROUTE_CUE_HEAD, 0 },
	{ "noches", ROUTE_MENU, 0 },
	{ "nor", ROUTE_CUE_HEAD | ROUTE_CONNECTOR, 0 },
	{ "nos", ROUTE_LINK, 0 },
	{ "not", ROUTE_CUE_HEAD, 0 },
	{ "novena", ROUTE_ORDINAL, 9 },
	{ "noveno", ROUTE_ORDINAL, 9 },
	{ "nuestro", ROUTE_STOP, 0 },
	{ "nueve", ROUTE_CARDINAL, 9 },
	{ "num", ROUTE_MENU, 0 },
	{ "number", ROUTE_MENU, 0 },
	{ "numero", ROUTE_MENU, 0 },
	{ "nunca", ROUTE_CUE_HEAD, 0 },
	{ "ocho", ROUTE_CARDINAL, 8 },
	{ "octava", ROUTE_ORDINAL, 8 },
	{ "octavo", ROUTE_ORDINAL, 8 },
	{ "of", ROUTE_LINK, 0 },
	{ "ok", ROUTE_MENU, 0 },
	{ "okay", ROUTE_MENU, 0 },
	{ "okey", ROUTE_MENU, 0 },
	{ "on", ROUTE_LINK, 0 },
	{ "one", ROUTE_CARDINAL, 1 },
	{ "opcion", ROUTE_MENU, 0 },
	{ "option", ROUTE_MENU, 0 },
	{ "os", ROUTE_LINK, 0 },
	{ "our", ROUTE_STOP, 0 },
	{ "para", ROUTE_LINK, 0 },
	{ "pero", ROUTE_CONNECTOR, 0 },
	{ "pick", ROUTE_MENU, 0 },
	{ "please", ROUTE_MENU, 0 },
	{ "pls", ROUTE_MENU, 0 },
	{ "por", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "porfa", ROUTE_MENU, 0 },
	{ "porque", ROUTE_STOP, 0 },
	{ "prefiero", ROUTE_MENU, 0 },
	{ "primer", ROUTE_ORDINAL, 1 },
	{ "primera", ROUTE_ORDINAL, 1 },
	{ "primero", ROUTE_ORDINAL, 1 },
	{ "puede", ROUTE_STOP, 0 },
	{ "puedo", ROUTE_STOP, 0 },
	{ "pues", ROUTE_MENU, 0 },
	{ "pulso", ROUTE_MENU, 0 },
	{ "que", ROUTE_LINK, 0 },
	{ "quedo", ROUTE_MENU, 0 },
	{ "queria", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "quiero", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "quinta", ROUTE_ORDINAL, 5 },
	{ "quinto", ROUTE_ORDINAL, 5 },
	{ "quisiera", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "re", ROUTE_LINK, 0 },
	{ "really", ROUTE_LINK, 0 },
	{ "s", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "saludos", ROUTE_STOP, 0 },
	{ "sea", ROUTE_LINK, 0 },
	{ "second", ROUTE_ORDINAL, 2 },
	{ "segunda", ROUTE_ORDINAL, 2 },
	{ "segundo", ROUTE_ORDINAL, 2 },
	{ "seis", ROUTE_CARDINAL, 6 },
	{ "septima", ROUTE_ORDINAL, 7 },
	{ "septimo", ROUTE_ORDINAL, 7 },
	{ "sera", ROUTE_MENU, 0 },
	{ "seria", ROUTE_MENU, 0 },
	{ "setima", ROUTE_ORDINAL, 7 },
	{ "setimo", ROUTE_ORDINAL, 7 },
	{ "seven", ROUTE_CARDINAL, 7 },
	{ "seventh", ROUTE_ORDINAL, 7 },
	{ "sexta", ROUTE_ORDINAL, 6 },
	{ "sexto", ROUTE_ORDINAL, 6 },
	{ "she", ROUTE_STOP, 0 },
	{ "si", ROUTE_MENU, 0 },
	{ "siete", ROUTE_CARDINAL, 7 },
	{ "sino", ROUTE_CONNECTOR, 0 },
	{ "six", ROUTE_CARDINAL, 6 },
	{ "sixth", ROUTE_ORDINAL, 6 },
	{ "sobre", ROUTE_LINK, 0 },
	{ "solo", ROUTE_STOP, 0 },
	{ "son", ROUTE_LINK, 0 },
	{ "soy", ROUTE_LINK, 0 },
	{ "speak", ROUTE_LINK, 0 },
	{ "su", ROUTE_LINK, 0 },
	{ "sus", ROUTE_STOP, 0 },
	{ "take", ROUTE_MENU, 0 },
	{ "talk", ROUTE_LINK, 0 },
	{ "tambien", ROUTE_STOP, 0 },
	{ "tampoco", ROUTE_CUE_HEAD, 0 },
	{ "tardes", ROUTE_MENU, 0 },
	{ "te", ROUTE_LINK, 0 },
	{ "team", ROUTE_LINK, 0 },
	{ "tema", ROUTE_LINK, 0 },
	{ "ten", ROUTE_CARDINAL, 10 },
	{ "tenemos", ROUTE_STOP, 0 },
	{ "tengo", ROUTE_STOP, 0 },
	{ "tenth", ROUTE_ORDINAL, 10 },
	{ "tercer", ROUTE_ORDINAL, 3 },
	{ "tercera", ROUTE_ORDINAL, 3 },
	{ "tercero", ROUTE_ORDINAL, 3 },
	{ "thank", ROUTE_MENU, 0 },
	{ "thanks", ROUTE_MENU, 0 },
	{ "that", ROUTE_LINK | ROUTE_MENU | ROUTE_DETERMINER, 0 },
	{ "the", ROUTE_LINK | ROUTE_MENU | ROUTE_DETERMINER, 0 },
	{ "there", ROUTE_STOP, 0 },
	{ "they", ROUTE_STOP, 0 },
	{ "third", ROUTE_ORDINAL, 3 },
	{ "this", ROUTE_LINK | ROUTE_DETERMINER, 0 },
	{ "though", ROUTE_CONNECTOR, 0 },
	{ "three", ROUTE_CARDINAL, 3 },
	{ "tiene", ROUTE_STOP, 0 },
	{ "tienen", ROUTE_STOP, 0 },
	{ "to", ROUTE_LINK, 0 },
	{ "tres", ROUTE_CARDINAL, 3 },
	{ "tu", ROUTE_LINK, 0 },
	{ "two", ROUTE_CARDINAL, 2 },
	{ "un", ROUTE_LINK, 0 },
	{ "una", ROUTE_LINK, 0 },
	{ "unas", ROUTE_LINK, 0 },
	{ "uno", ROUTE_CARDINAL, 1 },
	{ "unos", ROUTE_LINK, 0 },
	{ "usted", ROUTE_STOP, 0 },
	{ "ustedes", ROUTE_STOP, 0 },
	{ "vale", ROUTE_MENU, 0 },
	{ "wanna", ROUTE_LINK, 0 },
	{ "want", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "was", ROUTE_STOP, 0 },
	{ "wasn", ROUTE_CUE_HEAD, 0 },
	{ "wasnt", ROUTE_CUE_HEAD, 0 },
	{ "we", ROUTE_LINK, 0 },
	{ "were", ROUTE_STOP, 0 },
	{ "what", ROUTE_STOP, 0 },
	{ "when", ROUTE_STOP, 0 },
	{ "where", ROUTE_STOP, 0 },
	{ "which", ROUTE_STOP, 0 },
	{ "who", ROUTE_STOP, 0 },
	{ "why", ROUTE_STOP, 0 },
	{ "will", ROUTE_STOP, 0 },
	{ "with", ROUTE_LINK | ROUTE_MENU, 0 },
	{ "would", ROUTE_MENU, 0 },
	{ "writing", ROUTE_LINK, 0 },
	{ "ya", ROUTE_STOP, 0 },
	{ "yes", ROUTE_MENU, 0 },
	{ "you", ROUTE_MENU, 0 },
	{ "your", ROUTE_LINK, 0 },
};

const size_t route_lexicon_size = NELEM(route_lexicon);

/* Negation cues; each one's first word is a CUE_HEAD above. */
static const char *const negations[] = {
	"nada de", "no",     "ni",     "tampoco", "nunca", "jamas",   "don t",  "dont",
	"doesn t", "doesnt", "didn t", "didnt",   "isn t", "isnt",    "aren t", "arent",
	"wasn t",  "wasnt",  "not",    "nor",     "never", "neither",
};

/* Spanish abbreviated ordinals by value: 1er, 1ro, 2do, 3er, 3ro, 4to … 10mo. */
static const char *const spanish_suffixes[11][2] = {
	[1] = { "er", "ro" }, [2] = { "do", NULL },  [3] = { "er", "ro" }, [4] = { "to", NULL },
	[5] = { "to", NULL }, [6] = { "to", NULL },  [7] = { "mo", NULL }, [8] = { "vo", NULL },
	[9] = { "no", NULL }, [10] = { "mo", NULL },
};

static bool is_word(const char *word, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(word, s, len) == 0;
}

static const struct route_lexeme *lookup(const char *word, size_t len)
{
	size_t lo = 0, hi = route_lexicon_size;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = route_lexicon[mid].word;
		size_t slen = strlen(s);
		int c = memcmp(word, s, len < slen ? len : slen);
		if (c == 0)
			c = len < slen ? -1 : len > slen;
		if (c == 0)
			return &route_lexicon[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* "2º" (normalised "2o"), "1ª", "3rd", "2do": the value, or 0. */
static int digit_ordinal_value(const char *word, size_t len)
{
	size_t n = 0;
	int value = 0;
	while (n < len && n < 2 && word[n] >= '0' && word[n] <= '9')
		value = 10 * value + (word[n++] - '0');
	if (n == 0 || word[0] == '0' || n == len || (word[n] >= '0' && word[n] <= '9'))
		return 0;
	const char *suffix = word + n;
	size_t slen = len - n;
	if (is_word(suffix, slen, "o") || is_word(suffix, slen, "a"))
		return value;
	const char *english = value % 100 / 10 == 1 ? "th"
	                      : value % 10 == 1     ? "st"
	                      : value % 10 == 2     ? "nd"
	                      : value % 10 == 3     ? "rd"
	                                            : "th";
	if (is_word(suffix, slen, english))
		return value;
	for (int k = 0; value <= 10 && k < 2; k++)
		if (spanish_suffixes[value][k] != NULL &&
		    is_word(suffix, slen, spanish_suffixes[value][k]))
			return value;
	return 0;
}

/* True with *n its words when the words from i on, in one clause, are those of phrase. */
static bool is_phrase_at(const struct route_words *w, size_t i, const char *phrase, size_t *n)
{
	*n = 0;
	for (const char *p = phrase; *p != '\0';) {
		size_t len = strcspn(p, " ");
		if (i + *n >= w->count || (*n > 0 && w->words[i + *n].starts_clause))
			return false;
		const struct route_word *x = &w->words[i + *n];
		if (x->len != len || memcmp(w->text + x->off, p, len) != 0)
			return false;
		(*n)++;
		p += len + (p[len] == ' ');
	}
	return true;
}

static bool is_all_digits(const struct route_words *w, size_t i)
{
	const char *s = w->text + w->words[i].off;
	for (size_t k = 0; k < w->words[i].len; k++)
		if (s[k] < '0' || s[k] > '9')
			return false;
	return true;
}

size_t route_negation_at(const struct route_words *w, size_t i)
{
	if (!(w->words[i].kinds & ROUTE_CUE_HEAD))
		return 0;
	for (size_t k = 0; k < NELEM(negations); k++) {
		size_t n;
		if (!is_phrase_at(w, i, negations[k], &n))
			continue;
		/* "nº 2" normalises to "no 2": a number written in digits right after "no" is
		 * that abbreviation, not a negation. */
		if (n == 1 && strcmp(negations[k], "no") == 0 && i + 1 < w->count &&
		    is_all_digits(w, i + 1))
			return 0;
		return n;
	}
	return 0;
}

static size_t clause_end(const struct route_words *w, size_t start)
{
	size_t end = start + 1;
	while (end < w->count && !w->words[end].starts_clause)
		end++;
	return end;
}

/*
 * A menu choice is a clause holding exactly one number word or ordinal, every other word a
 * menu word or part of a negation cue ("la dos", "no, la segunda opción", "the second one").
 * "one" is a pronoun beside an ordinal or after a determiner ("the second one", "that one").
 * Marks the number's word with its value.
 */
static void mark_choice(struct route_words *w, size_t start, size_t end)
{
	bool has_ordinal = false;
	for (size_t i = start; i < end; i++)
		has_ordinal = has_ordinal || (w->words[i].kinds & ROUTE_ORDINAL);
	size_t at = 0, found = 0;
	for (size_t i = start; i < end;) {
		const struct route_word *x = &w->words[i];
		size_t n = route_negation_at(w, i);
		if (n > 0) {
			i += n;
			continue;
		}
		bool is_one = is_word(w->text + x->off, x->len, "one");
		bool is_pronoun =
		    is_one &&
		    (has_ordinal || (i > start && (w->words[i - 1].kinds & ROUTE_DETERMINER)));
		if (x->number > 0 && !is_pronoun) {
			at = i;
			found++;
		} else if (!(x->kinds & ROUTE_MENU) && !is_pronoun) {
			return;
		}
		i++;
	}
	if (found == 1)
		w->words[at].choice = w->words[at].number;
}

/*
 * Marks the words a negation reaches: those after a cue in the same clause with at most
 * NEGATION_REACH linking words between. A question's negation asks ("¿no tenéis soporte?")
 * and reaches nothing.
 */
static void mark_negations(struct route_words *w, size_t start, size_t end)
{
	if (w->words[start].is_question)
		return;
	size_t cue = 0, cue_len = 0, links = 0;
	for (size_t i = start; i < end;) {
		size_t n = route_negation_at(w, i);
		for (size_t k = i; k < i + (n > 0 ? n : 1) && k < end; k++) {
			w->words[k].negated_by = cue;
			w->words[k].negation_len = cue_len;
		}
		if (n > 0) {
			cue = i + 1;
			cue_len = n;
			links = 0;
			i += n;
			continue;
		}
		if (!(w->words[i].kinds & ROUTE_LINK) || ++links > NEGATION_REACH)
			cue = 0;
		i++;
	}
}

void route_words_annotate(struct route_words *w)
{
	for (size_t i = 0; i < w->count; i++) {
		struct route_word *x = &w->words[i];
		const char *word = w->text + x->off;
		const struct route_lexeme *lx = x->has_digit ? NULL : lookup(word, x->len);
		if (lx != NULL) {
			x->kinds = lx->kinds;
			x->number = lx->value;
			x->is_number_word = lx->value > 0;
		} else if (x->has_digit) {
			x->number = (uint8_t)digit_ordinal_value(word, x->len);
			if (x->number > 0)
				x->kinds = ROUTE_ORDINAL;
		}
		if (x->kinds & ROUTE_CONNECTOR)
			x->starts_clause = true;
	}
	for (size_t start = 0; start < w->count;) {
		size_t end = clause_end(w, start);
		mark_choice(w, start, end);
		mark_negations(w, start, end);
		start = end;
	}
}
