/*
 * routing/: automatic routing of new conversations to teams. A welcome message (usually a
 * numbered menu) goes out, the customer's reply is matched against the answers an admin
 * configured, and the conversation is assigned to a team, answered at once (FAQ) or met
 * with a fallback message. Pure: no I/O, no clock (callers pass UTC milliseconds), no store,
 * no HTTP. A parsed config is immutable and may be shared between threads. docs/ROUTING.md
 * explains the rules; this header is all a caller needs.
 */
#ifndef ROUTING_ROUTING_H
#define ROUTING_ROUTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of a configuration document; a document outside them is refused. */
#define ROUTE_MAX_OPTIONS       50   /* options in a document */
#define ROUTE_MAX_ANSWERS       100  /* answers in one option */
#define ROUTE_MAX_ANSWER_BYTES  200  /* one answer, as written */
#define ROUTE_MAX_MESSAGE_BYTES 4096 /* one message, each placeholder counted at its longest */
#define ROUTE_MAX_ATTEMPTS      20   /* highest max_attempts; 0 means ask for ever */
#define ROUTE_MAX_REOPEN_HOURS  8760 /* highest reopen_routing_after_hours (a year) */
#define ROUTE_MAX_PROBLEMS      100  /* problems listed; more are only counted */

#define ROUTE_MAX_BUTTON_CHARS 24 /* a button label: a WhatsApp list row (reply buttons: 20) */

/* A contact or team name put into a message is cut to this many bytes (whole characters). */
#define ROUTE_MAX_NAME_BYTES 128
/* Only the first this many bytes of a customer's text are matched (see route_match). */
#define ROUTE_MAX_TEXT_BYTES 1024

/*
 * The server's teams, as routing sees them. Routing keeps team ids; documents name teams.
 * Both functions are called only during the call they are passed to.
 */
struct route_teams {
	void *ctx;
	/* 0 with *id set when a team is called name (how names compare is the caller's
	 * choice; the store's case-folded name_key is the natural one), negative otherwise. */
	int (*team_by_name)(void *ctx, const char *name, int64_t *id);
	/* The team's current name, or NULL when there is no such team. Borrowed: it must stay
	 * valid until the call that asked for it returns. */
	const char *(*team_name)(void *ctx, int64_t id);
};

/* ---- Configuration ---------------------------------------------------------------- */

struct route_config; /* opaque; immutable once made */

/* One reason a document was refused. */
struct route_problem {
	char *path;   /* where: "options[1].answers[0]", "welcome_message"; "" for the document */
	char *reason; /* why, in a sentence fragment for people: "is empty after normalisation" */
};

/* Every problem found in a document, in the order found. Start from { 0 }. */
struct route_problems {
	struct route_problem *items;
	size_t count;
	size_t omitted; /* problems found beyond ROUTE_MAX_PROBLEMS, not listed */
};

void route_problems_free(struct route_problems *p);
/* [{"path": "...", "reason": "..."}, ...], plus {"path": "", "reason": "N more problems"}
 * when some were omitted. A new reference. */
json_t *route_problems_to_json(const struct route_problems *p);

/*
 * Validates a configuration document as a whole and returns a new config (free it with
 * route_config_free), or NULL with every problem appended to *problems. Teams are given by
 * name (a string, looked up with teams->team_by_name) or by id (an integer, checked with
 * teams->team_name), so the API can take names and the store can keep ids; see
 * route_config_to_json. teams must not be NULL. Never fails for want of memory (it aborts).
 */
struct route_config *route_config_new(const json_t *doc, const struct route_teams *teams,
                                      struct route_problems *problems);
void route_config_free(struct route_config *cfg);

bool route_config_is_enabled(const struct route_config *cfg);

/*
 * The welcome's buttons: how many (every option has a label, or none does: 0), and option i's
 * label and payload id. The id is made from the normalised label, so a tap on an old menu
 * whose option was renamed or removed names no option (and is read as typed), and one whose
 * options were reordered still names the right one.
 */
size_t route_config_buttons(const struct route_config *cfg);
const char *route_button_label(const struct route_config *cfg, size_t i);
const char *route_button_payload(const struct route_config *cfg, size_t i);

enum route_team_form {
	ROUTE_TEAM_BY_NAME, /* "team": "Soporte", the team's current name (for the API and CLI) */
	ROUTE_TEAM_BY_ID,   /* "team": 7 (for the store, so renaming a team keeps routing) */
};

/*
 * The document for cfg, every field written out, as a new reference. ROUTE_TEAM_BY_NAME asks
 * teams->team_name; a team it cannot name is written by id, which route_config_new will then
 * report as an unknown team. teams may be NULL for ROUTE_TEAM_BY_ID.
 */
json_t *route_config_to_json(const struct route_config *cfg, enum route_team_form form,
                             const struct route_teams *teams);

/* ---- Matching ----------------------------------------------------------------------- */

enum route_message_kind {
	ROUTE_MSG_TEXT,        /* text typed by the customer, or a media caption */
	ROUTE_MSG_INTERACTIVE, /* a button or list reply, quick reply, postback, callback */
	ROUTE_MSG_OTHER,       /* anything without text: voice note, photo, sticker, location */
};

/* A customer's message as routing sees it. Strings are NUL-terminated, may be NULL, and may
 * even be invalid UTF-8 (bad bytes count as spaces). */
struct route_message {
	enum route_message_kind kind;
	const char *text;    /* TEXT: the text; INTERACTIVE: the title shown on the button */
	const char *payload; /* INTERACTIVE: the button's id (payload, callback data) */
};

enum route_outcome {
	ROUTE_TEAM,     /* an option with a team matched */
	ROUTE_REPLY,    /* an option with only a reply matched (the FAQ case) */
	ROUTE_FALLBACK, /* not understood */
};

enum route_reason {
	ROUTE_MATCHED,  /* outcome is ROUTE_TEAM or ROUTE_REPLY */
	ROUTE_NO_MATCH, /* no answer matched */
	ROUTE_NEGATED,  /* answers matched, but every one was negated ("no es de ventas") */
	ROUTE_TIE,      /* the best matches belong to different options */
	ROUTE_NO_WORDS, /* nothing left after normalisation: emoji, punctuation, empty */
	ROUTE_NOT_TEXT, /* a message without text (ROUTE_MSG_OTHER) */
};

enum route_source {
	ROUTE_FROM_TEXT,        /* the text (or a button's title) contains the answer's words */
	ROUTE_FROM_PAYLOAD,     /* a button's id equals the answer (after normalisation) */
	ROUTE_FROM_NUMBER_WORD, /* the answer is a number the text chose in words ("la dos") */
	ROUTE_FROM_BUTTON,      /* a tap on the welcome's button of the option (its payload id):
	                           answer_text is the label; it wins outright */
};

/* One answer that matched; the decision owns the strings. */
struct route_candidate {
	size_t option;     /* index of the option in the document, from 0 */
	size_t answer;     /* index of the answer in that option, from 0 */
	char *answer_text; /* the answer as the admin wrote it */
	char *matched;     /* the normalised words of the message it matched */
	size_t words;      /* how many words the answer has */
	bool is_exact;     /* false when a word matched by a typing slip */
	bool is_best;      /* among the best matches: the winner's, or those of options that tied */
	enum route_source source;
	/* The negation that set it aside ("no", "don t"), normalised, or NULL: a negated
	 * candidate is never among the best. */
	char *negated_by;
};

/* What the matcher made of one message; the explain API's answer. */
struct route_decision {
	enum route_outcome outcome;
	enum route_reason reason;
	char *normalized;                    /* the normalised text ("" when none) */
	char *normalized_payload;            /* the normalised button id, or NULL when none */
	bool is_truncated;                   /* the text was longer than ROUTE_MAX_TEXT_BYTES */
	const struct route_candidate *match; /* the winner (points into candidates), or NULL */
	int64_t team_id;                     /* when outcome is ROUTE_TEAM */
	struct route_candidate *candidates;  /* every answer that matched, in document order */
	size_t ncandidates;
};

/*
 * Matches a message against cfg's answers (whether or not routing is enabled, so an admin can
 * try a config before turning it on) and returns a new decision; free it with
 * route_decision_free. Never NULL.
 */
struct route_decision *route_match(const struct route_config *cfg, const struct route_message *msg);
void route_decision_free(struct route_decision *d);

/*
 * The explain body, a new reference:
 * {"normalized", "normalized_payload"?, "truncated", "outcome": "team"|"reply"|"fallback",
 *  "reason": "matched"|"no_match"|"negated"|"tie"|"no_words"|"not_text",
 *  "match": candidate or null, "team_id"?, "team"?, "candidates": [candidate...]}, a candidate
 * being {"option", "answer_index", "answer", "matched", "words", "match": "exact"|"slip",
 * "source": "text"|"payload"|"number_word"|"button", "best", "negated_by": string or null}. Indices
 * count from 0. teams may be NULL; when given, the
 * team's current name is added as "team".
 */
json_t *route_decision_to_json(const struct route_decision *d, const struct route_teams *teams);

/* The text as the matcher sees it (words separated by one space), as a new string. Reads at
 * most ROUTE_MAX_TEXT_BYTES of text. */
char *route_normalize(const char *text, size_t len);

/* The rating in a reply to a question asked from 1 to max: its one number (digits, digit
 * emoji, keycaps or a number word, "cuatro", "four") alone or with words of no meaning of
 * their own ("el 4", "5 estrellas, gracias"); 0 when the text is anything else, a number out
 * of range ("0", "6", "10") or more than one number included. */
int route_rating(const char *text, int max);

/* ---- Suggestions: what the team's own corrections teach (suggest.c) ------------------ */

/*
 * A customer's reply as the suggestions remember it: normalised (route_normalize), with every
 * word holding a digit (phone numbers, order numbers, menu numbers) and every e-mail address
 * and web address left out, as a new string ("" when nothing is left). Reads at most
 * ROUTE_MAX_TEXT_BYTES of text.
 */
char *route_reply_key(const char *text, size_t len);

/* One remembered reply: a route_reply_key, how many times it was seen, and the team agents
 * moved its conversations to, or 0 for a reply that fell back. Borrowed. */
struct route_reply_seen {
	const char *text;
	int64_t team_id;
	int64_t count;
};

#define ROUTE_MAX_SUGGESTIONS 20 /* suggestions route_suggest returns at most */
#define ROUTE_SUGGEST_MIN     2  /* replies a word must come from to be suggested */

enum route_conflict {
	ROUTE_CONFLICT_NONE,
	ROUTE_CONFLICT_DUPLICATE, /* it already is an answer of conflict_option: saving refuses it
	                           */
	ROUTE_CONFLICT_TIE,       /* added to option, some of its replies would tie with
	                             conflict_option and fall back */
};

/* A word worth adding as an answer; owned by the array route_suggest returns. */
struct route_suggestion {
	char *text;        /* one normalised word */
	int64_t count;     /* fallbacks + moves */
	int64_t fallbacks; /* replies with it that fell back */
	int64_t moves;     /* replies with it whose conversations agents moved to team_id */
	int64_t team_id;   /* the team they were moved to most, or 0 when none was */
	int option;        /* the first option sending to team_id, from 0; -1 when none */
	enum route_conflict conflict;
	int conflict_option; /* the option it conflicts with, from 0; -1 with no conflict */
};

/*
 * Turns remembered replies into at most max suggestions (*out, free with
 * route_suggestions_free), most useful first: the words of the replies, each counted once per
 * reply, with those already answers of the option they would go to (of any option when there
 * is no team), the words the routing tables know (menu words, linking words, negations, number
 * words, stop words), words of fewer than three characters, numbers and the dismissed words
 * (normalised) left out, and only words ROUTE_SUGGEST_MIN replies or more share. cfg may be
 * NULL (nothing saved). Returns how many there are.
 */
size_t route_suggest(const struct route_config *cfg, const struct route_reply_seen *replies,
                     size_t n, const char *const *dismissed, size_t ndismissed, size_t max,
                     struct route_suggestion **out);
void route_suggestions_free(struct route_suggestion *s, size_t n);

/* ---- Placeholders ------------------------------------------------------------------- */

/* One placeholder ("{contact_name}") and what it stands for (untrusted; NULL or "": none). */
struct route_value {
	const char *placeholder;
	const char *value;
};

/*
 * template with its placeholders filled in, in one pass, as a new string: what is put in is
 * never read again, so a contact called "{team}" stays "{team}". Each value is cut to
 * ROUTE_MAX_NAME_BYTES (whole characters). A placeholder without a value leaves no gap: the
 * spaces before it go with it ("¡Hola {contact_name}!" is "¡Hola!"). One not in values[0..n)
 * stays as typed. Routing's messages and canned responses are both filled by this.
 */
char *route_fill(const char *template, const struct route_value *values, size_t n);

/* ---- The router: one conversation's routing state machine ----------------------------- */

/* What the store keeps per conversation for routing. A new conversation starts from { 0 }. */
struct router_state {
	bool is_routing; /* waiting for the customer's choice: the conversation's "routing" state */
	int attempts;    /* unrecognised replies since the welcome */
};

enum router_event_kind {
	ROUTER_FIRST_MESSAGE,     /* a contact's first message on a channel: a new conversation */
	ROUTER_CUSTOMER_MESSAGE,  /* a customer's message on an open conversation */
	ROUTER_REOPENING_MESSAGE, /* a customer's message on a resolved conversation */
	ROUTER_HUMAN_TAKEOVER,    /* an agent replied to, assigned or transferred it */
	ROUTER_BACK_TO_ROUTING,   /* an agent sent it back to routing */
};

struct router_event {
	enum router_event_kind kind;
	struct route_message message;    /* the three message kinds */
	int64_t resolved_at_ms;          /* ROUTER_REOPENING_MESSAGE: when it was resolved (UTC) */
	const char *contact_name;        /* for {contact_name}: untrusted, may be NULL */
	const struct route_teams *teams; /* for {team} and the audit line; may be NULL */
};

enum router_action_kind {
	ROUTER_SEND_TEXT,   /* queue text to the customer */
	ROUTER_ASSIGN_TEAM, /* set the conversation's team to team_id, with no assignee */
	ROUTER_UNASSIGN,    /* clear the conversation's team and assignee */
};

struct router_action {
	enum router_action_kind kind;
	char *text; /* ROUTER_SEND_TEXT: owned by the result; at most ROUTE_MAX_MESSAGE_BYTES */
	int64_t team_id; /* ROUTER_ASSIGN_TEAM */
	bool is_welcome; /* ROUTER_SEND_TEXT: the welcome, which may carry the menu's buttons */
};

#define ROUTER_MAX_ACTIONS 3

/*
 * What to do. Store state; apply the actions in order (ASSIGN_TEAM or UNASSIGN come first,
 * then the texts in the order they are to be sent). Whenever routing decides where the
 * conversation goes there is exactly one ASSIGN_TEAM or UNASSIGN: with state.is_routing it
 * waits in routing, without it ends in the general inbox. No actions: it stays where it is.
 */
/* What the step was, for the numbers (GET /api/v1/routing/stats). */
enum router_outcome {
	ROUTER_NOTHING,   /* no routing decision (takeover, off, reopened where it was) */
	ROUTER_WELCOMED,  /* the welcome went out; it waits in routing */
	ROUTER_MATCHED,   /* an option matched: `option` says which */
	ROUTER_FELL_BACK, /* not understood: the fallback went out */
	ROUTER_GAVE_UP,   /* not understood once too often: to the general inbox */
};

/* The audit line's structure, for a UI to say it in the reader's language (the audit text is
 * English). answer is owned by the result; the other strings are borrowed from the config and
 * the event, valid while they are. */
struct router_line {
	const char *code; /* welcomed, matched, answered, fell_back, gave_up, off, turned_off,
	                   * reopened_where, stopped, not_sent_back; NULL with no audit */
	const char *why;  /* welcomed: new, reopened (after `hours`), sent_back */
	int hours;
	size_t option;      /* matched, answered: counting from 1 */
	char *answer;       /* matched, answered: the answer that matched */
	const char *team;   /* matched: the team's name; NULL when unknown */
	int attempt;        /* fell_back, gave_up */
	int max_attempts;   /* fell_back: 0 for no limit */
	const char *reason; /* fell_back, gave_up: tie, not_text, no_words, negated, no_match */
};

struct router_result {
	struct router_state state;
	struct router_action actions[ROUTER_MAX_ACTIONS];
	size_t count;
	enum router_outcome outcome;
	size_t option; /* ROUTER_MATCHED: the option, counting from 0 */
	/* One line for the conversation's history ("routing: option 2 matched 'comprar'; assigned
	 * to Ventas"), or NULL when routing had nothing to do with the event. */
	char *audit;
	struct router_line line;
};

/*
 * One step: (state, event, config, now) → result. cfg may be NULL (no routing configured,
 * as if disabled). now_ms is the current UTC time in milliseconds. Free the result with
 * router_result_free.
 */
void router_step(const struct router_state *state, const struct router_event *ev,
                 const struct route_config *cfg, int64_t now_ms, struct router_result *out);
void router_result_free(struct router_result *r);

#endif
