/*
 * The router: one conversation's routing as a pure state machine, (state, event, config,
 * now) → (new state, actions, audit line). It decides; the caller stores the state, applies
 * the team change and queues the texts in one transaction. No I/O, no clock.
 */
#include "routing/internal.h"
#include "routing/routing.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"

#define MS_PER_HOUR INT64_C(3600000)

static bool is_enabled(const struct route_config *cfg)
{
	return cfg != NULL && cfg->is_enabled;
}

static const char *team_name(const struct router_event *ev, int64_t team_id)
{
	if (ev->teams == NULL)
		return NULL;
	return ev->teams->team_name(ev->teams->ctx, team_id);
}

/* A routing message: {contact_name} and, in the assignment message, {team}. */
static char *fill(const char *template, const struct router_event *ev, const char *team)
{
	const struct route_value values[] = { { "{contact_name}", ev->contact_name },
		                              { "{team}", team } };
	return route_fill(template, values, 2);
}

static void add_action(struct router_result *r, enum router_action_kind kind, char *text,
                       int64_t team_id)
{
	if (r->count == ROUTER_MAX_ACTIONS)
		abort(); /* a bug here, not bad input: no step needs more */
	r->actions[r->count++] = (struct router_action){
		.kind = kind,
		.text = text,
		.team_id = team_id,
	};
}

static void send_text(struct router_result *r, const char *template, const struct router_event *ev,
                      const char *team)
{
	if (template != NULL)
		add_action(r, ROUTER_SEND_TEXT, fill(template, ev, team), 0);
}

static void set_audit(struct router_result *r, struct buf *b)
{
	r->audit = buf_take(b);
}

/* Routing is over for this conversation: it goes to the general inbox. */
static void to_inbox(struct router_result *r)
{
	r->state = (struct router_state){ 0 };
	add_action(r, ROUTER_UNASSIGN, NULL, 0);
}

static void enter_routing(struct router_result *r, const struct route_config *cfg,
                          const struct router_event *ev, const char *why)
{
	r->line.code = "welcomed";
	r->line.why = r->line.why != NULL                  ? r->line.why
	              : ev->kind == ROUTER_BACK_TO_ROUTING ? "sent_back"
	                                                   : "new";
	r->state = (struct router_state){ .is_routing = true };
	r->outcome = ROUTER_WELCOMED;
	add_action(r, ROUTER_UNASSIGN, NULL, 0);
	send_text(r, cfg->welcome, ev, NULL);
	r->actions[r->count - 1].is_welcome = true;
	struct buf b = BUF_INIT;
	buf_printf(&b, "routing: %s; welcome sent", why);
	set_audit(r, &b);
}

/* The first candidate a negation set aside, or NULL. */
static const struct route_candidate *first_negated(const struct route_decision *d)
{
	for (size_t i = 0; i < d->ncandidates; i++)
		if (d->candidates[i].negated_by != NULL)
			return &d->candidates[i];
	return NULL;
}

/* "'ventas' after 'no'": what a negation set aside, and which. */
static void describe_negated(struct buf *b, const struct route_candidate *c)
{
	buf_printf(b, "'%s' after '%s'", c->matched, c->negated_by);
}

/* "option 2 matched 'comprar'", with how and what was set aside; options count from 1 for
 * people. */
static void describe_match(struct buf *b, const struct route_decision *d)
{
	const struct route_candidate *m = d->match;
	const struct route_candidate *negated = first_negated(d);
	struct buf note = BUF_INIT;
	if (m->source == ROUTE_FROM_BUTTON) {
		buf_printf(b, "routing: option %zu matched by button '%s'", m->option + 1,
		           m->answer_text);
		return;
	}
	if (m->source == ROUTE_FROM_PAYLOAD)
		buf_puts(&note, "button id");
	else if (m->source == ROUTE_FROM_NUMBER_WORD)
		buf_printf(&note, "number word: '%s'", m->matched);
	else if (!m->is_exact)
		buf_printf(&note, "typing slip: '%s'", m->matched);
	if (negated != NULL) {
		buf_puts(&note, note.len > 0 ? "; set aside, negated: " : "set aside, negated: ");
		describe_negated(&note, negated);
	}
	buf_printf(b, "routing: option %zu matched '%s'", m->option + 1, m->answer_text);
	if (note.len > 0)
		buf_printf(b, " (%.*s)", (int)note.len, note.data);
	buf_free(&note);
}

static void apply_match(struct router_result *r, const struct route_config *cfg,
                        const struct router_event *ev, const struct route_decision *d)
{
	const struct route_option *opt = &cfg->options[d->match->option];
	struct buf b = BUF_INIT;
	describe_match(&b, d);
	r->state = (struct router_state){ 0 };
	r->outcome = ROUTER_MATCHED;
	r->option = d->match->option;
	r->line.option = d->match->option + 1;
	r->line.answer = xstrdup(d->match->answer_text);
	if (opt->has_team) {
		const char *team = team_name(ev, opt->team_id);
		r->line.code = "matched";
		r->line.team = team;
		add_action(r, ROUTER_ASSIGN_TEAM, NULL, opt->team_id);
		send_text(r, opt->reply, ev, NULL);
		send_text(r, cfg->assignment, ev, team);
		if (team != NULL)
			buf_printf(&b, "; assigned to %s", team);
		else
			buf_printf(&b, "; assigned to team %" PRId64, opt->team_id);
	} else {
		r->line.code = "answered";
		add_action(r, ROUTER_UNASSIGN, NULL, 0);
		send_text(r, opt->reply, ev, NULL);
		buf_puts(&b, "; answered, to the general inbox");
	}
	set_audit(r, &b);
}

/* "options 1, 2 and 4 matched equally": the options of the best candidates. */
static void describe_tie(struct buf *b, const struct route_decision *d)
{
	size_t options[ROUTE_MAX_OPTIONS], n = 0;
	for (size_t i = 0; i < d->ncandidates; i++) {
		const struct route_candidate *c = &d->candidates[i];
		if (c->is_best && (n == 0 || options[n - 1] != c->option))
			options[n++] = c->option;
	}
	buf_puts(b, "options ");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%zu", i == 0 ? "" : i + 1 < n ? ", " : " and ", options[i] + 1);
	buf_puts(b, " matched equally");
}

/* Why a message was not understood, for the audit line. */
static void describe_miss(struct buf *b, const struct route_decision *d)
{
	switch (d->reason) {
	case ROUTE_TIE:
		describe_tie(b, d);
		break;
	case ROUTE_NOT_TEXT:
		buf_puts(b, "not a text");
		break;
	case ROUTE_NO_WORDS:
		buf_puts(b, "no words");
		break;
	case ROUTE_NEGATED:
		buf_puts(b, "only negated answers: ");
		describe_negated(b, first_negated(d));
		break;
	case ROUTE_NO_MATCH:
	case ROUTE_MATCHED:
		buf_puts(b, "no answer matched");
		break;
	}
}

/*
 * An unrecognised reply. Up to max_attempts - 1 of them get the fallback; the last one gets
 * the give-up message instead (asking again and giving up in one breath would contradict
 * itself) and the conversation goes to the general inbox.
 */
static void apply_miss(struct router_result *r, const struct route_config *cfg,
                       const struct router_event *ev, const struct route_decision *d)
{
	int attempts = r->state.attempts + 1;
	struct buf b = BUF_INIT;
	buf_puts(&b, "routing: not understood (");
	describe_miss(&b, d);
	buf_puts(&b, ")");
	static const char *const reasons[] = {
		[ROUTE_TIE] = "tie",           [ROUTE_NOT_TEXT] = "not_text",
		[ROUTE_NO_WORDS] = "no_words", [ROUTE_NEGATED] = "negated",
		[ROUTE_NO_MATCH] = "no_match", [ROUTE_MATCHED] = "no_match"
	};
	r->line.reason = reasons[d->reason];
	r->line.attempt = attempts;
	if (cfg->max_attempts > 0 && attempts >= cfg->max_attempts) {
		to_inbox(r);
		r->line.code = "gave_up";
		r->outcome = ROUTER_GAVE_UP;
		send_text(r, cfg->give_up, ev, NULL);
		buf_printf(&b, "; gave up after %d, to the general inbox", attempts);
	} else {
		r->state.attempts = attempts;
		r->line.code = "fell_back";
		r->line.max_attempts = cfg->max_attempts;
		r->outcome = ROUTER_FELL_BACK;
		send_text(r, cfg->fallback, ev, NULL);
		if (cfg->max_attempts > 0)
			buf_printf(&b, "; fallback sent, attempt %d of %d", attempts,
			           cfg->max_attempts);
		else
			buf_printf(&b, "; fallback sent, attempt %d", attempts);
	}
	set_audit(r, &b);
}

/* A customer's message while the conversation waits in routing. */
static void on_reply(struct router_result *r, const struct route_config *cfg,
                     const struct router_event *ev)
{
	if (!is_enabled(cfg)) {
		to_inbox(r);
		r->line.code = "turned_off";
		r->audit = xstrdup("routing: turned off while waiting; to the general inbox");
		return;
	}
	struct route_decision *d = route_match(cfg, &ev->message);
	if (d->match != NULL)
		apply_match(r, cfg, ev, d);
	else
		apply_miss(r, cfg, ev, d);
	route_decision_free(d);
}

/* A new conversation, or one reopened long enough after it was resolved; why is for the
 * audit line should the welcome go out. */
static void on_new(struct router_result *r, const struct route_config *cfg,
                   const struct router_event *ev, const char *why)
{
	if (cfg->match_first_message) {
		struct route_decision *d = route_match(cfg, &ev->message);
		bool is_matched = d->match != NULL;
		if (is_matched)
			apply_match(r, cfg, ev, d);
		route_decision_free(d);
		if (is_matched)
			return;
	}
	enter_routing(r, cfg, ev, why);
}

static bool is_reopen_due(const struct route_config *cfg, int64_t resolved_at, int64_t now)
{
	int64_t elapsed;
	if (__builtin_sub_overflow(now, resolved_at, &elapsed))
		return resolved_at < 0; /* resolved before any plausible now: long ago */
	return elapsed >= cfg->reopen_hours * MS_PER_HOUR;
}

static void on_reopening(struct router_result *r, const struct route_config *cfg,
                         const struct router_event *ev, int64_t now)
{
	if (is_enabled(cfg) && is_reopen_due(cfg, ev->resolved_at_ms, now)) {
		char why[64];
		snprintf(why, sizeof(why), "reopened %d h or more after it was resolved",
		         cfg->reopen_hours);
		r->line.why = "reopened";
		r->line.hours = cfg->reopen_hours;
		on_new(r, cfg, ev, why);
		return;
	}
	/* Back where it was: its team and assignee stay, and routing goes on if it was on. */
	if (r->state.is_routing)
		on_reply(r, cfg, ev);
	else {
		r->line.code = "reopened_where";
		r->audit = xstrdup("routing: reopened where it was");
	}
}

void router_step(const struct router_state *state, const struct router_event *ev,
                 const struct route_config *cfg, int64_t now_ms, struct router_result *out)
{
	*out = (struct router_result){ .state = *state };
	switch (ev->kind) {
	case ROUTER_FIRST_MESSAGE:
		if (is_enabled(cfg)) {
			on_new(out, cfg, ev, "new conversation");
		} else {
			to_inbox(out);
			out->line.code = "off";
			out->audit = xstrdup("routing: off; to the general inbox");
		}
		break;
	case ROUTER_REOPENING_MESSAGE:
		on_reopening(out, cfg, ev, now_ms);
		break;
	case ROUTER_CUSTOMER_MESSAGE:
		if (state->is_routing)
			on_reply(out, cfg, ev);
		break;
	case ROUTER_HUMAN_TAKEOVER:
		if (state->is_routing) {
			out->state = (struct router_state){ 0 };
			out->line.code = "stopped";
			out->audit = xstrdup("routing: stopped, an agent took over");
		}
		break;
	case ROUTER_BACK_TO_ROUTING:
		if (is_enabled(cfg))
			enter_routing(out, cfg, ev, "sent back by an agent");
		else {
			out->line.code = "not_sent_back";
			out->audit = xstrdup("routing: off; not sent back");
		}
		break;
	}
}

void router_result_free(struct router_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->actions[i].text);
	free(r->audit);
	free(r->line.answer);
	*r = (struct router_result){ 0 };
}
