/*
 * The routing configuration document: validated as a whole, every problem named with its
 * path, then turned into the immutable struct route_config that the matcher and the router
 * read; and written back out with team names (API, CLI) or team ids (store). No I/O: teams
 * are resolved through the caller's struct route_teams.
 */
#include "routing/internal.h"
#include "routing/routing.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

/* Room for "options[49].answers[99]" or a field path with a cut key. */
#define PATH_MAX_BYTES 160
/* Quoted names and keys in paths and reasons are cut to this many bytes. */
#define QUOTE_MAX_BYTES 64

#define DEFAULT_MAX_ATTEMPTS 3
#define DEFAULT_REOPEN_HOURS 24

static const char *const top_fields[] = {
	"enabled",      "welcome_message", "fallback_message",    "assignment_message",
	"max_attempts", "give_up_message", "match_first_message", "reopen_routing_after_hours",
	"options",
};

static const char *const option_fields[] = { "answers", "team", "reply", "button" };

struct parser {
	struct route_problems *problems;
	const struct route_teams *teams;
	struct route_config *cfg;
};

/* ---- Problems ---- */

static void add_problem(struct route_problems *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_problem(struct route_problems *p, const char *path, const char *fmt, ...)
{
	if (p->count >= ROUTE_MAX_PROBLEMS) {
		p->omitted++;
		return;
	}
	if (p->items == NULL)
		p->items = xcalloc(ROUTE_MAX_PROBLEMS, sizeof(*p->items));
	struct buf reason = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&reason, fmt, ap);
	va_end(ap);
	p->items[p->count].path = xstrdup(path);
	p->items[p->count].reason = buf_take(&reason);
	p->count++;
}

void route_problems_free(struct route_problems *p)
{
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].path);
		free(p->items[i].reason);
	}
	free(p->items);
	*p = (struct route_problems){ 0 };
}

static json_t *problem_json(const char *path, const char *reason)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "reason", json_string(reason));
	return o;
}

json_t *route_problems_to_json(const struct route_problems *p)
{
	json_t *list = json_array();
	for (size_t i = 0; i < p->count; i++)
		json_array_append_new(list, problem_json(p->items[i].path, p->items[i].reason));
	if (p->omitted > 0) {
		char reason[64];
		snprintf(reason, sizeof(reason), "%zu more problems", p->omitted);
		json_array_append_new(list, problem_json("", reason));
	}
	return list;
}

/* ---- Paths ---- */

/* Bytes of s to quote: at most QUOTE_MAX_BYTES, whole characters. */
static int quote_len(const char *s)
{
	return (int)route_utf8_cut(s, strlen(s), QUOTE_MAX_BYTES);
}

/* Formats a path. Paths are bounded (indices, field names, keys quoted to QUOTE_MAX_BYTES)
 * and fit; one that did not would only be cut short. */
static void path_printf(char out[PATH_MAX_BYTES], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void path_printf(char out[PATH_MAX_BYTES], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, PATH_MAX_BYTES, fmt, ap);
	va_end(ap);
}

/* prefix.name, or name at the top. */
static void field_path(char out[PATH_MAX_BYTES], const char *prefix, const char *name)
{
	path_printf(out, "%s%s%.*s", prefix, prefix[0] != '\0' ? "." : "", quote_len(name), name);
}

/* ---- Placeholders and messages ---- */

static bool is_placeholder_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

bool route_placeholder_find(const char *s, size_t from, size_t *start, size_t *end)
{
	for (const char *open = strchr(s + from, '{'); open != NULL; open = strchr(open + 1, '{')) {
		size_t n = 1;
		while (n <= ROUTE_PLACEHOLDER_MAX && is_placeholder_char(open[n]))
			n++;
		if (n > 1 && open[n] == '}') {
			*start = (size_t)(open - s);
			*end = *start + n + 1;
			return true;
		}
	}
	return false;
}

char *route_fill(const char *template, const struct route_value *values, size_t n)
{
	struct buf b = BUF_INIT;
	size_t pos = 0, start, end;
	while (route_placeholder_find(template, pos, &start, &end)) {
		size_t i = 0;
		while (i < n &&
		       !(strlen(values[i].placeholder) == end - start &&
		         memcmp(template + start, values[i].placeholder, end - start) == 0))
			i++;
		const char *value = i < n ? values[i].value : NULL;
		buf_append(&b, template + pos, start - pos);
		if (i == n)
			buf_append(&b, template + start, end - start);
		else if (value != NULL && value[0] != '\0')
			buf_append(&b, value,
			           route_utf8_cut(value, strlen(value), ROUTE_MAX_NAME_BYTES));
		else
			while (b.len > 0 && b.data[b.len - 1] == ' ')
				b.data[--b.len] = '\0';
		pos = end;
	}
	buf_puts(&b, template + pos);
	return buf_take(&b);
}

static bool is_named(const char *s, size_t start, size_t end, const char *placeholder)
{
	return end - start == strlen(placeholder) &&
	       memcmp(s + start, placeholder, end - start) == 0;
}

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Checks placeholders and length; the length counts each placeholder at its longest, so
 * the filled message never exceeds ROUTE_MAX_MESSAGE_BYTES. */
static void check_message(struct parser *ps, const char *path, const char *s, bool may_use_team)
{
	size_t len = 0, pos = 0, start, end;
	while (route_placeholder_find(s, pos, &start, &end)) {
		int name_len = (int)(end - start);
		if (is_named(s, start, end, "{team}") && !may_use_team)
			add_problem(ps->problems, path,
			            "{team} is only available in assignment_message");
		else if (!is_named(s, start, end, "{contact_name}") &&
		         !is_named(s, start, end, "{team}"))
			add_problem(ps->problems, path, "unknown placeholder %.*s; %s", name_len,
			            s + start,
			            may_use_team ? "the placeholders are {contact_name} and {team}"
			                         : "the only placeholder here is {contact_name}");
		len += start - pos + ROUTE_MAX_NAME_BYTES;
		pos = end;
	}
	len += strlen(s + pos);
	if (len > ROUTE_MAX_MESSAGE_BYTES)
		add_problem(ps->problems, path,
		            "is %zu bytes long, counting each placeholder as %d; at most %d", len,
		            ROUTE_MAX_NAME_BYTES, ROUTE_MAX_MESSAGE_BYTES);
}

/*
 * Reads a message field of obj. A required one must be a non-blank string; an optional one
 * may also be absent, null or blank, all meaning "none" (NULL). Returns a copy or NULL.
 */
static char *read_message(struct parser *ps, const json_t *obj, const char *prefix,
                          const char *name, bool is_required, bool may_use_team)
{
	char path[PATH_MAX_BYTES];
	field_path(path, prefix, name);
	const json_t *v = json_object_get(obj, name);
	if (v == NULL || json_is_null(v)) {
		if (is_required)
			add_problem(ps->problems, path, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		add_problem(ps->problems, path, "must be a string");
		return NULL;
	}
	const char *s = json_string_value(v);
	if (!utf8_is_clean(s, json_string_length(v))) {
		add_problem(ps->problems, path,
		            "contains control characters (only tabs and line breaks are allowed)");
		return NULL;
	}
	if (is_blank(s)) {
		if (is_required)
			add_problem(ps->problems, path, "must not be empty");
		return NULL;
	}
	check_message(ps, path, s, may_use_team);
	return xstrdup(s);
}

/* ---- Scalars ---- */

static void read_bool(struct parser *ps, const json_t *obj, const char *name, bool *out)
{
	const json_t *v = json_object_get(obj, name);
	if (v == NULL)
		return;
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else
		add_problem(ps->problems, name, "must be true or false");
}

static void read_int(struct parser *ps, const json_t *obj, const char *name, int lo, int hi,
                     int *out)
{
	const json_t *v = json_object_get(obj, name);
	if (v == NULL)
		return;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		add_problem(ps->problems, name, "must be a whole number from %d to %d", lo, hi);
	else
		*out = (int)json_integer_value(v);
}

static void check_unknown_fields(struct parser *ps, const json_t *obj, const char *prefix,
                                 const char *const *known, size_t nknown)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i = 0;
		while (i < nknown && strcmp(known[i], key) != 0)
			i++;
		if (i == nknown) {
			char path[PATH_MAX_BYTES];
			field_path(path, prefix, key);
			add_problem(ps->problems, path, "unknown field");
		}
	}
}

/* ---- Options ---- */

static void read_answer(struct parser *ps, const json_t *v, const char *path,
                        struct route_answer *a)
{
	if (!json_is_string(v)) {
		add_problem(ps->problems, path, "must be a string");
		return;
	}
	size_t len = json_string_length(v);
	if (len > ROUTE_MAX_ANSWER_BYTES) {
		add_problem(ps->problems, path, "is %zu bytes long; at most %d", len,
		            ROUTE_MAX_ANSWER_BYTES);
		return;
	}
	if (!utf8_is_clean(json_string_value(v), len)) {
		add_problem(ps->problems, path, "contains control characters");
		return;
	}
	a->text = xstrdup(json_string_value(v));
	route_words_init(&a->norm, a->text, len);
	if (a->norm.count == 0)
		add_problem(ps->problems, path,
		            "is empty after normalisation (it needs a letter or a digit)");
}

static void read_answers(struct parser *ps, const json_t *obj, size_t index,
                         struct route_option *opt)
{
	char path[PATH_MAX_BYTES];
	path_printf(path, "options[%zu].answers", index);
	const json_t *list = json_object_get(obj, "answers");
	if (list == NULL || json_is_null(list)) {
		add_problem(ps->problems, path, "is required: an option needs at least one answer");
		return;
	}
	if (!json_is_array(list)) {
		add_problem(ps->problems, path, "must be an array of strings");
		return;
	}
	size_t n = json_array_size(list);
	if (n == 0)
		add_problem(ps->problems, path, "needs at least one answer");
	if (n > ROUTE_MAX_ANSWERS) {
		add_problem(ps->problems, path, "has %zu answers; at most %d", n,
		            ROUTE_MAX_ANSWERS);
		n = ROUTE_MAX_ANSWERS;
	}
	opt->answers = xcalloc(n, sizeof(*opt->answers));
	opt->nanswers = n;
	for (size_t i = 0; i < n; i++) {
		char answer_path[PATH_MAX_BYTES];
		path_printf(answer_path, "options[%zu].answers[%zu]", index, i);
		read_answer(ps, json_array_get(list, i), answer_path, &opt->answers[i]);
	}
}

/* Reads the option's team; returns whether one was given, valid or not. */
static bool read_team(struct parser *ps, const json_t *obj, const char *prefix,
                      struct route_option *opt)
{
	char path[PATH_MAX_BYTES];
	field_path(path, prefix, "team");
	const json_t *v = json_object_get(obj, "team");
	if (v == NULL || json_is_null(v))
		return false;
	if (json_is_string(v)) {
		const char *name = json_string_value(v);
		if (ps->teams->team_by_name(ps->teams->ctx, name, &opt->team_id) == 0)
			opt->has_team = true;
		else
			add_problem(ps->problems, path, "there is no team called '%.*s'",
			            quote_len(name), name);
	} else if (json_is_integer(v)) {
		int64_t id = json_integer_value(v);
		if (ps->teams->team_name(ps->teams->ctx, id) != NULL) {
			opt->team_id = id;
			opt->has_team = true;
		} else {
			add_problem(ps->problems, path, "there is no team with id %" PRId64, id);
		}
	} else {
		add_problem(ps->problems, path, "must be a team's name");
	}
	return true;
}

/* FNV-1a, 32 bits: a short id from a label (ids must fit Telegram's 64-byte callback data). */
static uint32_t label_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t code_points(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The option's button label: optional, 1 to ROUTE_MAX_BUTTON_CHARS characters, one line. */
static void read_button(struct parser *ps, const json_t *obj, const char *prefix,
                        struct route_option *opt)
{
	char path[PATH_MAX_BYTES];
	field_path(path, prefix, "button");
	const json_t *v = json_object_get(obj, "button");
	if (v == NULL || json_is_null(v))
		return;
	const char *s = json_string_value(v);
	if (s == NULL) {
		add_problem(ps->problems, path, "must be a string");
		return;
	}
	if (!utf8_is_clean(s, json_string_length(v)) || strpbrk(s, "\t\r\n") != NULL) {
		add_problem(ps->problems, path, "must be one line without control characters");
		return;
	}
	if (code_points(s) > ROUTE_MAX_BUTTON_CHARS) {
		add_problem(
		    ps->problems, path,
		    "is %zu characters long; at most %d (WhatsApp's list rows; reply buttons "
		    "and quick replies take 20)",
		    code_points(s), ROUTE_MAX_BUTTON_CHARS);
		return;
	}
	opt->button.text = xstrdup(s);
	route_words_init(&opt->button.norm, s, strlen(s));
	if (opt->button.norm.count == 0) {
		add_problem(ps->problems, path,
		            "is empty after normalisation (it needs a letter or a digit)");
		return;
	}
	snprintf(opt->payload, sizeof(opt->payload), "menu-%08" PRIx32,
	         label_hash(opt->button.norm.text));
}

static void read_option(struct parser *ps, const json_t *obj, size_t index,
                        struct route_option *opt)
{
	char path[PATH_MAX_BYTES];
	path_printf(path, "options[%zu]", index);
	if (!json_is_object(obj)) {
		add_problem(ps->problems, path, "must be an object");
		return;
	}
	check_unknown_fields(ps, obj, path, option_fields, NELEM(option_fields));
	read_answers(ps, obj, index, opt);
	bool is_team_given = read_team(ps, obj, path, opt);
	opt->reply = read_message(ps, obj, path, "reply", false, false);
	if (!is_team_given && opt->reply == NULL)
		add_problem(ps->problems, path, "needs a team, a reply or both");
	read_button(ps, obj, path, opt);
}

/* Button labels: on every option or on none, and no two the same after normalisation (nor
 * with the same id, which a 32-bit hash makes all but impossible). */
static void check_buttons(struct parser *ps)
{
	const struct route_config *cfg = ps->cfg;
	size_t labelled = 0;
	for (size_t o = 0; o < cfg->noptions; o++)
		labelled += cfg->options[o].button.text != NULL;
	if (labelled > 0 && labelled < cfg->noptions) {
		for (size_t o = 0; o < cfg->noptions; o++) {
			char path[PATH_MAX_BYTES];
			path_printf(path, "options[%zu].button", o);
			if (cfg->options[o].button.text == NULL)
				add_problem(
				    ps->problems, path,
				    "is missing: give every option a button label, or none");
		}
		return;
	}
	for (size_t o = 0; o < cfg->noptions; o++) {
		for (size_t p = 0; p < o; p++) {
			const struct route_option *a = &cfg->options[p], *b = &cfg->options[o];
			if (a->payload[0] == '\0' || b->payload[0] == '\0' ||
			    (strcmp(a->button.norm.text, b->button.norm.text) != 0 &&
			     strcmp(a->payload, b->payload) != 0))
				continue;
			char path[PATH_MAX_BYTES];
			path_printf(path, "options[%zu].button", o);
			add_problem(ps->problems, path, "is the same as options[%zu].button ('%s')",
			            p, a->button.text);
			break;
		}
	}
	ps->cfg->has_buttons = labelled > 0;
}

/* ---- Duplicate answers ---- */

struct answer_ref {
	const char *norm;
	size_t option, answer;
};

static int compare_position(const struct answer_ref *a, const struct answer_ref *b)
{
	if (a->option != b->option)
		return a->option < b->option ? -1 : 1;
	if (a->answer != b->answer)
		return a->answer < b->answer ? -1 : 1;
	return 0;
}

static int compare_refs(const void *x, const void *y)
{
	const struct answer_ref *a = x, *b = y;
	int c = strcmp(a->norm, b->norm);
	return c != 0 ? c : compare_position(a, b);
}

/* A repeated answer and the first one it repeats. */
struct duplicate {
	struct answer_ref ref, first;
};

static int compare_duplicates(const void *x, const void *y)
{
	const struct duplicate *a = x, *b = y;
	return compare_position(&a->ref, &b->ref);
}

/* Every answer must differ from every other after normalisation, or the matcher could not
 * tell the options apart. Problems come in document order, naming the first occurrence. */
static void check_duplicates(struct parser *ps)
{
	const struct route_config *cfg = ps->cfg;
	size_t n = 0;
	for (size_t o = 0; o < cfg->noptions; o++)
		n += cfg->options[o].nanswers;
	struct answer_ref *refs = xcalloc(n, sizeof(*refs));
	struct duplicate *dups = xcalloc(n, sizeof(*dups));
	size_t nrefs = 0, ndups = 0;
	for (size_t o = 0; o < cfg->noptions; o++)
		for (size_t a = 0; a < cfg->options[o].nanswers; a++)
			if (cfg->options[o].answers[a].norm.count > 0)
				refs[nrefs++] = (struct answer_ref){
					.norm = cfg->options[o].answers[a].norm.text,
					.option = o,
					.answer = a,
				};
	qsort(refs, nrefs, sizeof(*refs), compare_refs);
	for (size_t i = 1, first = 0; i < nrefs; i++) {
		if (strcmp(refs[i].norm, refs[first].norm) != 0)
			first = i;
		else
			dups[ndups++] = (struct duplicate){ .ref = refs[i], .first = refs[first] };
	}
	qsort(dups, ndups, sizeof(*dups), compare_duplicates);
	for (size_t i = 0; i < ndups; i++) {
		char path[PATH_MAX_BYTES];
		path_printf(path, "options[%zu].answers[%zu]", dups[i].ref.option,
		            dups[i].ref.answer);
		add_problem(ps->problems, path,
		            "is the same as options[%zu].answers[%zu] after normalisation ('%s')",
		            dups[i].first.option, dups[i].first.answer, dups[i].ref.norm);
	}
	free(dups);
	free(refs);
}

static void read_options(struct parser *ps, const json_t *doc)
{
	const json_t *list = json_object_get(doc, "options");
	if (list == NULL) {
		add_problem(ps->problems, "options", "is required");
		return;
	}
	if (!json_is_array(list)) {
		add_problem(ps->problems, "options", "must be an array of options");
		return;
	}
	size_t n = json_array_size(list);
	if (n == 0)
		add_problem(ps->problems, "options", "needs at least one option");
	if (n > ROUTE_MAX_OPTIONS) {
		add_problem(ps->problems, "options", "has %zu options; at most %d", n,
		            ROUTE_MAX_OPTIONS);
		n = ROUTE_MAX_OPTIONS;
	}
	ps->cfg->options = xcalloc(n, sizeof(*ps->cfg->options));
	ps->cfg->noptions = n;
	for (size_t i = 0; i < n; i++)
		read_option(ps, json_array_get(list, i), i, &ps->cfg->options[i]);
	check_duplicates(ps);
	check_buttons(ps);
}

/* ---- The document ---- */

struct route_config *route_config_new(const json_t *doc, const struct route_teams *teams,
                                      struct route_problems *problems)
{
	size_t problems_before = problems->count + problems->omitted;
	struct parser ps = {
		.problems = problems,
		.teams = teams,
		.cfg = xcalloc(1, sizeof(struct route_config)),
	};
	struct route_config *cfg = ps.cfg;
	cfg->is_enabled = true;
	cfg->max_attempts = DEFAULT_MAX_ATTEMPTS;
	cfg->reopen_hours = DEFAULT_REOPEN_HOURS;

	if (!json_is_object(doc)) {
		add_problem(problems, "", "must be a JSON object");
		goto fail;
	}
	check_unknown_fields(&ps, doc, "", top_fields, NELEM(top_fields));
	read_bool(&ps, doc, "enabled", &cfg->is_enabled);
	cfg->welcome = read_message(&ps, doc, "", "welcome_message", true, false);
	cfg->fallback = read_message(&ps, doc, "", "fallback_message", true, false);
	cfg->assignment = read_message(&ps, doc, "", "assignment_message", false, true);
	read_int(&ps, doc, "max_attempts", 0, ROUTE_MAX_ATTEMPTS, &cfg->max_attempts);
	cfg->give_up = read_message(&ps, doc, "", "give_up_message", false, false);
	read_bool(&ps, doc, "match_first_message", &cfg->match_first_message);
	read_int(&ps, doc, "reopen_routing_after_hours", 0, ROUTE_MAX_REOPEN_HOURS,
	         &cfg->reopen_hours);
	read_options(&ps, doc);
	if (problems->count + problems->omitted > problems_before)
		goto fail;
	return cfg;
fail:
	route_config_free(cfg);
	return NULL;
}

void route_config_free(struct route_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t o = 0; o < cfg->noptions; o++) {
		struct route_option *opt = &cfg->options[o];
		for (size_t a = 0; a < opt->nanswers; a++) {
			free(opt->answers[a].text);
			route_words_free(&opt->answers[a].norm);
		}
		free(opt->answers);
		free(opt->reply);
		free(opt->button.text);
		route_words_free(&opt->button.norm);
	}
	free(cfg->options);
	free(cfg->welcome);
	free(cfg->fallback);
	free(cfg->assignment);
	free(cfg->give_up);
	free(cfg);
}

bool route_config_is_enabled(const struct route_config *cfg)
{
	return cfg->is_enabled;
}

size_t route_config_buttons(const struct route_config *cfg)
{
	return cfg->has_buttons ? cfg->noptions : 0;
}

const char *route_button_label(const struct route_config *cfg, size_t i)
{
	return cfg->options[i].button.text;
}

const char *route_button_payload(const struct route_config *cfg, size_t i)
{
	return cfg->options[i].payload;
}

/* ---- Export ---- */

static json_t *option_team_json(const struct route_option *opt, enum route_team_form form,
                                const struct route_teams *teams)
{
	if (form == ROUTE_TEAM_BY_NAME) {
		const char *name = teams->team_name(teams->ctx, opt->team_id);
		if (name != NULL)
			return json_string(name);
	}
	return json_integer(opt->team_id);
}

static json_t *option_json(const struct route_option *opt, enum route_team_form form,
                           const struct route_teams *teams)
{
	json_t *o = json_object();
	json_t *answers = json_array();
	for (size_t a = 0; a < opt->nanswers; a++)
		json_array_append_new(answers, json_string(opt->answers[a].text));
	json_object_set_new(o, "answers", answers);
	if (opt->has_team)
		json_object_set_new(o, "team", option_team_json(opt, form, teams));
	if (opt->reply != NULL)
		json_object_set_new(o, "reply", json_string(opt->reply));
	if (opt->button.text != NULL)
		json_object_set_new(o, "button", json_string(opt->button.text));
	return o;
}

json_t *route_config_to_json(const struct route_config *cfg, enum route_team_form form,
                             const struct route_teams *teams)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "enabled", json_boolean(cfg->is_enabled));
	json_object_set_new(doc, "welcome_message", json_string(cfg->welcome));
	json_object_set_new(doc, "fallback_message", json_string(cfg->fallback));
	if (cfg->assignment != NULL)
		json_object_set_new(doc, "assignment_message", json_string(cfg->assignment));
	json_object_set_new(doc, "max_attempts", json_integer(cfg->max_attempts));
	if (cfg->give_up != NULL)
		json_object_set_new(doc, "give_up_message", json_string(cfg->give_up));
	json_object_set_new(doc, "match_first_message", json_boolean(cfg->match_first_message));
	json_object_set_new(doc, "reopen_routing_after_hours", json_integer(cfg->reopen_hours));
	json_t *options = json_array();
	for (size_t o = 0; o < cfg->noptions; o++)
		json_array_append_new(options, option_json(&cfg->options[o], form, teams));
	json_object_set_new(doc, "options", options);
	return doc;
}
