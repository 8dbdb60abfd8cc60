/*
 * Routing in the inbox: the stored configuration (teams by id) and the router's steps
 * applied to conversations. routing/ decides; this file reads and writes the store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "events/events.h"
#include "inbox/internal.h"
#include "outbox/outbox.h"

#define NAME_CACHE 64

/* Team names and ids for routing/, from the store, for the length of one call. */
struct team_lookup {
	struct store_tx *tx;
	int64_t account_id;
	int64_t ids[NAME_CACHE];
	char *names[NAME_CACHE];
	int count;
};

static int by_name(void *ctx, const char *name, int64_t *id)
{
	struct team_lookup *l = ctx;
	struct team t;
	if (team_find_name(l->tx, l->account_id, name, &t, NULL) < 0)
		return -1;
	*id = t.id;
	return 0;
}

static const char *name_of(void *ctx, int64_t id)
{
	struct team_lookup *l = ctx;
	for (int i = 0; i < l->count; i++)
		if (l->ids[i] == id)
			return l->names[i];
	struct actor admin = { .account_id = l->account_id, .role = ROLE_ADMIN };
	struct team t;
	if (l->count == NAME_CACHE || team_get(l->tx, &admin, id, &t, NULL) < 0)
		return NULL;
	l->ids[l->count] = id;
	l->names[l->count] = xstrdup(t.name);
	return l->names[l->count++];
}

static struct route_teams lookup_teams(struct team_lookup *l)
{
	return (struct route_teams){ .ctx = l, .team_by_name = by_name, .team_name = name_of };
}

static void lookup_free(struct team_lookup *l)
{
	for (int i = 0; i < l->count; i++)
		free(l->names[i]);
	l->count = 0;
}

/* The stored document, or NULL when none was saved. */
static int stored_document(struct store_tx *tx, int64_t account_id, json_t **out)
{
	struct store_rows *r;
	*out = NULL;
	int rc = store_query(tx, "SELECT document FROM routing_configs WHERE account_id = $1",
	                     STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		*out = json_loads(store_text(r, 0), 0, NULL);
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int routing_load(struct store_tx *tx, int64_t account_id, const json_t *doc,
                 struct route_config **out, struct route_problems *problems, struct error *e)
{
	struct team_lookup l = { .tx = tx, .account_id = account_id };
	struct route_teams teams = lookup_teams(&l);
	json_t *stored = NULL;
	*out = NULL;
	if (doc == NULL) {
		int rc = stored_document(tx, account_id, &stored);
		if (rc < 0)
			return store_failed(e, rc);
		if (stored == NULL)
			return 0;
	}
	*out = route_config_new(doc ? doc : stored, &teams, problems);
	lookup_free(&l);
	json_decref(stored);
	if (*out == NULL && doc == NULL)
		log_error("routing: the saved configuration of account %lld no longer validates",
		          (long long)account_id);
	if (*out == NULL && doc != NULL)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the routing configuration has %zu problem%s",
		                 problems->count + problems->omitted,
		                 problems->count + problems->omitted == 1 ? "" : "s");
	return 0;
}

/*
 * The compiled configuration routing_step uses, kept between messages: compiling it (parse,
 * team look-ups, validation) cost more than the rest of routing. It is keyed by the
 * account and the saved row's updated_at, which routing_save moves forward on every save
 * (by this process or another), so a save is seen by the next message read after it.
 */
struct shared_config {
	struct route_config *cfg; /* NULL: routing is off */
	int refs;
};

static struct {
	pthread_mutex_t lock;
	struct shared_config *config;
	int64_t account_id;
	int64_t version; /* updated_at; 0 when nothing is saved */
} compiled = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void shared_release(struct shared_config *sc)
{
	pthread_mutex_lock(&compiled.lock);
	bool is_last = --sc->refs == 0;
	pthread_mutex_unlock(&compiled.lock);
	if (is_last) {
		route_config_free(sc->cfg);
		free(sc);
	}
}

/* The account's configuration as tx sees it, from the cache when it is current. */
static int shared_config_get(struct store_tx *tx, int64_t account_id, struct shared_config **out,
                             struct error *e)
{
	int64_t version = 0;
	int rc = store_get_int(tx, "SELECT updated_at FROM routing_configs WHERE account_id = $1",
	                       STORE_ARGS(SV_INT(account_id)), &version);
	if (rc < 0 && rc != ERR_NOT_FOUND)
		return store_failed(e, rc);
	pthread_mutex_lock(&compiled.lock);
	struct shared_config *sc = compiled.config;
	bool is_current =
	    sc != NULL && compiled.account_id == account_id && compiled.version == version;
	if (is_current)
		sc->refs++;
	pthread_mutex_unlock(&compiled.lock);
	if (is_current) {
		*out = sc;
		return 0;
	}
	struct route_problems problems = { 0 };
	sc = xcalloc(1, sizeof(*sc));
	sc->refs = 1;
	rc = routing_load(tx, account_id, NULL, &sc->cfg, &problems, e);
	route_problems_free(&problems);
	if (rc < 0) {
		free(sc);
		return rc;
	}
	pthread_mutex_lock(&compiled.lock);
	struct shared_config *old = compiled.config;
	compiled.config = sc;
	compiled.account_id = account_id;
	compiled.version = version;
	sc->refs++;
	pthread_mutex_unlock(&compiled.lock);
	if (old != NULL)
		shared_release(old);
	*out = sc;
	return 0;
}

json_t *routing_export(struct store_tx *tx, int64_t account_id, struct error *e)
{
	struct route_config *cfg;
	struct route_problems problems = { 0 };
	int rc = routing_load(tx, account_id, NULL, &cfg, &problems, e);
	route_problems_free(&problems);
	if (rc < 0)
		return NULL;
	if (cfg == NULL) /* nothing saved yet: routing is off */
		return json_pack("{s:b,s:[]}", "enabled", 0, "options");
	struct team_lookup l = { .tx = tx, .account_id = account_id };
	struct route_teams teams = lookup_teams(&l);
	json_t *doc = route_config_to_json(cfg, ROUTE_TEAM_BY_NAME, &teams);
	lookup_free(&l);
	route_config_free(cfg);
	return doc;
}

/* The teams the options send to, beside the document: the database then refuses to delete
 * a team in use (routing_teams, ON DELETE RESTRICT). */
static int save_teams(struct store_tx *tx, int64_t account_id, const json_t *options)
{
	int rc = store_exec(tx, "DELETE FROM routing_teams WHERE account_id = $1",
	                    STORE_ARGS(SV_INT(account_id)));
	size_t i;
	const json_t *opt;
	json_array_foreach(options, i, opt)
	{
		const json_t *team = json_object_get(opt, "team");
		if (rc >= 0 && json_is_integer(team))
			rc = store_exec(
			    tx,
			    "INSERT INTO routing_teams (account_id, team_id) VALUES ($1, $2)"
			    " ON CONFLICT DO NOTHING",
			    STORE_ARGS(SV_INT(account_id), SV_INT(json_integer_value(team))));
	}
	return rc;
}

int routing_save(struct store_tx *tx, int64_t account_id, int64_t user_id, const json_t *doc,
                 int64_t now, struct route_problems *problems, struct error *e)
{
	struct route_config *cfg;
	int rc = routing_load(tx, account_id, doc, &cfg, problems, e);
	if (rc < 0)
		return rc;
	json_t *by_id = route_config_to_json(cfg, ROUTE_TEAM_BY_ID, NULL);
	char *text = json_dumps(by_id, JSON_COMPACT);
	rc = store_exec(tx,
	                "INSERT INTO routing_configs (account_id, document, updated_by, updated_at)"
	                " VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE"
	                " SET document = $2, updated_by = $3,"
	                " updated_at = CASE WHEN $4 > routing_configs.updated_at THEN $4"
	                " ELSE routing_configs.updated_at + 1 END",
	                STORE_ARGS(SV_INT(account_id), SV_TEXT(text),
	                           user_id > 0 ? SV_INT(user_id) : SV_NULL, SV_INT(now)));
	if (rc >= 0)
		rc = save_teams(tx, account_id, json_object_get(by_id, "options"));
	free(text);
	json_decref(by_id);
	route_config_free(cfg);
	return store_failed(e, rc);
}

json_t *routing_explain(struct store_tx *tx, int64_t account_id, const struct route_config *cfg,
                        const char *text, const char *payload, struct error *e)
{
	struct team_lookup l = { .tx = tx, .account_id = account_id };
	struct route_teams teams = lookup_teams(&l);
	struct route_message msg = { .kind =
		                         payload != NULL ? ROUTE_MSG_INTERACTIVE : ROUTE_MSG_TEXT,
		                     .text = text,
		                     .payload = payload };
	struct route_decision *d = route_match(cfg, &msg);
	json_t *out = route_decision_to_json(d, &teams);
	route_decision_free(d);
	lookup_free(&l);
	return out;
}

static const char *const outcome_names[] = {
	[ROUTER_NOTHING] = NULL,      [ROUTER_WELCOMED] = "welcomed",
	[ROUTER_MATCHED] = "matched", [ROUTER_FELL_BACK] = "fell_back",
	[ROUTER_GAVE_UP] = "gave_up",
};

/* What the router needs to know of a conversation. */
struct routed {
	int64_t account_id;
	int64_t channel_id;
	enum channel_kind kind;
	struct router_state state;
	char contact_name[INBOUND_NAME_MAX + 1];
	struct events_place before; /* its team and assignee before the step */
	bool is_deferred;           /* its welcome waits for the opening */
};

static int read_routed(struct store_tx *tx, int64_t id, struct routed *out)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT v.account_id, v.channel_id, ch.kind, v.status = 'routing',"
	                     " v.routing_attempts,"
	                     " " CONTACT_OWN_NAME ", coalesce(v.team_id, 0),"
	                     " coalesce(v.assignee_id, 0), v.welcome_deferred FROM conversations v"
	                     " JOIN channels ch ON ch.id = v.channel_id"
	                     " JOIN contacts c ON c.id = v.contact_id"
	                     " JOIN contact_identities i ON i.id = v.identity_id WHERE v.id = $1",
	                     STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1) {
		out->account_id = store_int(r, 0);
		out->channel_id = store_int(r, 1);
		channel_kind_parse(store_text(r, 2), &out->kind);
		out->state.is_routing = store_int(r, 3) != 0;
		out->state.attempts = (int)store_int(r, 4);
		snprintf(out->contact_name, sizeof(out->contact_name), "%s", store_text(r, 5));
		out->before = (struct events_place){ store_int(r, 6), store_int(r, 7) };
		out->is_deferred = store_int(r, 8) != 0;
	}
	store_rows_free(r);
	return rc < 0 ? rc : rc == 1 ? 0 : ERR_NOT_FOUND;
}

/* The welcome's choices as the outbox keeps them ({"menu": [{"id", "title"}]}), when the
 * options have button labels and the channel's native form carries them; else NULL. */
static json_t *welcome_menu(const struct route_config *cfg, enum channel_kind kind,
                            const char *text)
{
	size_t n = cfg != NULL ? route_config_buttons(cfg) : 0;
	if (n == 0)
		return NULL;
	json_t *menu = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(menu,
		                      json_pack("{s:s,s:s}", "id", route_button_payload(cfg, i),
		                                "title", route_button_label(cfg, i)));
	if (channel_menu_fits(kind, text, menu))
		return json_pack("{s:o}", "menu", menu);
	json_decref(menu);
	return NULL;
}

static int apply(struct store_tx *tx, int64_t id, const struct routed *c,
                 const struct route_config *cfg, const struct router_action *a, int64_t now,
                 size_t *queued)
{
	if (a->kind == ROUTER_ASSIGN_TEAM || a->kind == ROUTER_UNASSIGN) {
		int rc = store_exec(
		    tx,
		    "UPDATE conversations SET team_id = $2, assignee_id = NULL,"
		    " updated_at = $3 WHERE id = $1",
		    STORE_ARGS(SV_INT(id),
		               a->kind == ROUTER_ASSIGN_TEAM ? SV_INT(a->team_id) : SV_NULL,
		               SV_INT(now)));
		/* In its team, the team's assignment method gives it to someone. */
		if (rc >= 0 && a->kind == ROUTER_ASSIGN_TEAM)
			rc = team_assign(tx, a->team_id, id, now, NULL, NULL);
		return rc;
	}
	struct outbox_text t = { .account_id = c->account_id,
		                 .conversation_id = id,
		                 .channel_id = c->channel_id,
		                 .kind = c->kind,
		                 .sender = "routing",
		                 .text = a->text };
	json_t *menu = a->is_welcome ? welcome_menu(cfg, c->kind, a->text) : NULL;
	t.send = menu;
	size_t parts = 0;
	int rc = outbox_enqueue(tx, &t, now, NULL, &parts, NULL);
	json_decref(menu);
	*queued += parts;
	return rc;
}

/* Routed to a team out of its hours: the team's out-of-hours message, in the language of the
 * customer's words (text, may be NULL), and a line in the timeline. */
static int tell_out_of_hours(struct store_tx *tx, int64_t id, const struct routed *c,
                             int64_t team_id, const char *text, int64_t now, size_t *queued)
{
	const char *language = text != NULL ? hours_language_of(text) : NULL;
	char *message = business_hours_closed_message(tx, c->account_id, team_id, now, language);
	int rc = 0;
	if (message != NULL) {
		struct router_action a = { .kind = ROUTER_SEND_TEXT, .text = message };
		rc = apply(tx, id, c, NULL, &a, now, queued); /* not a welcome: no menu */
		if (rc >= 0)
			rc = conversation_line_add(
			    tx, c->account_id, id, "hours", 0,
			    "out of hours: the out-of-hours message was sent and it waits in the queue"
			    " until the team opens",
			    json_pack("{s:s}", "code", "out_of_hours"), now);
	}
	free(message);
	return rc;
}

/* Whether the step sends the welcome, to a customer who wrote (not one an agent sent back to
 * routing): the welcome that waits for the opening when the account says so. */
static bool welcomes_customer(const struct router_event *ev, const struct router_result *res)
{
	if (ev->kind != ROUTER_FIRST_MESSAGE && ev->kind != ROUTER_REOPENING_MESSAGE)
		return false;
	for (size_t i = 0; i < res->count; i++)
		if (res->actions[i].is_welcome)
			return true;
	return false;
}

/* The account is closed and its welcome waits for the opening: the account's out-of-hours
 * message and a line, once; the customer's next message is taken as their first. */
static int defer_welcome(struct store_tx *tx, int64_t id, const struct routed *c, const char *text,
                         int64_t now, size_t *queued)
{
	if (c->is_deferred)
		return 0;
	const char *language = text != NULL ? hours_language_of(text) : NULL;
	char *message = business_hours_closed_message(tx, c->account_id, 0, now, language);
	int rc = 0;
	if (message != NULL) {
		struct router_action a = { .kind = ROUTER_SEND_TEXT, .text = message };
		rc = apply(tx, id, c, NULL, &a, now, queued);
	}
	free(message);
	if (rc >= 0)
		rc = conversation_line_add(tx, c->account_id, id, "routing", 0,
		                           "routing: closed; the welcome waits for the opening",
		                           json_pack("{s:s}", "code", "welcome_deferred"), now);
	return rc;
}

/* A routing line's structure as its timeline row keeps it: {"code": "matched", "option": 2,
 * …} with only the values the code has (docs/API.md). To free. */
static char *line_detail(const struct router_line *l)
{
	json_t *o = json_pack("{s:s}", "code", l->code != NULL ? l->code : "other");
	if (l->why != NULL)
		json_object_set_new(o, "why", json_string(l->why));
	if (l->hours > 0)
		json_object_set_new(o, "hours", json_integer(l->hours));
	if (l->option > 0)
		json_object_set_new(o, "option", json_integer((json_int_t)l->option));
	if (l->answer != NULL)
		json_object_set_new(o, "answer", json_string(l->answer));
	if (l->team != NULL)
		json_object_set_new(o, "team", json_string(l->team));
	if (l->attempt > 0)
		json_object_set_new(o, "attempt", json_integer(l->attempt));
	if (l->max_attempts > 0)
		json_object_set_new(o, "max_attempts", json_integer(l->max_attempts));
	if (l->reason != NULL)
		json_object_set_new(o, "reason", json_string(l->reason));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int routing_step(struct store_tx *tx, int64_t conversation_id, const struct router_event *ev,
                 int64_t now, size_t *queued, struct error *e)
{
	struct routed c = { 0 };
	size_t count = 0;
	int rc = read_routed(tx, conversation_id, &c);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such conversation");
	if (rc < 0)
		return store_failed(e, rc);
	struct shared_config *shared = NULL;
	rc = shared_config_get(tx, c.account_id, &shared, e);
	if (rc < 0)
		return rc;
	struct team_lookup l = { .tx = tx, .account_id = c.account_id };
	struct route_teams teams = lookup_teams(&l);
	struct router_event step = *ev;
	step.teams = &teams;
	if (step.contact_name == NULL)
		step.contact_name = c.contact_name;
	/* A welcome that waited for the opening: the customer's next message is their first. */
	if (c.is_deferred && c.state.is_routing && step.kind == ROUTER_CUSTOMER_MESSAGE)
		step.kind = ROUTER_FIRST_MESSAGE;
	struct router_result res;
	router_step(&c.state, &step, shared->cfg, now, &res);
	int defers = welcomes_customer(&step, &res)
	                 ? business_hours_defer_welcome(tx, c.account_id, now, e)
	                 : 0;
	rc = defers < 0 ? defers : 0;
	for (size_t i = 0; i < res.count && rc >= 0; i++)
		if (!(defers == 1 && res.actions[i].is_welcome))
			rc = apply(tx, conversation_id, &c, shared->cfg, &res.actions[i], now,
			           &count);
	/* The reply routing decided on, for what a transfer soon after says (routing_moved). */
	bool is_decided = res.outcome == ROUTER_MATCHED || res.outcome == ROUTER_FELL_BACK ||
	                  res.outcome == ROUTER_GAVE_UP;
	char *reply = is_decided && ev->message.kind != ROUTE_MSG_OTHER
	                  ? route_reply_key(ev->message.text,
	                                    ev->message.text != NULL ? strlen(ev->message.text) : 0)
	                  : NULL;
	int64_t routed_team = 0;
	for (size_t i = 0; i < res.count; i++)
		if (res.actions[i].kind == ROUTER_ASSIGN_TEAM)
			routed_team = res.actions[i].team_id;
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "UPDATE conversations SET routing_attempts = $3, updated_at = $4,"
		    " status = CASE WHEN $2 = 1 THEN 'routing' WHEN status = 'routing'"
		    " THEN 'open' ELSE status END, welcome_deferred = $5,"
		    " routed_at = CASE $6 WHEN 0 THEN routed_at WHEN 1 THEN $4 ELSE NULL END,"
		    " routed_reply = CASE $6 WHEN 1 THEN $7 ELSE routed_reply END,"
		    " routed_team_id = CASE $6 WHEN 1 THEN $8 ELSE routed_team_id END,"
		    " routed_option = CASE $6 WHEN 1 THEN $9 ELSE routed_option END WHERE id = $1",
		    STORE_ARGS(SV_INT(conversation_id), SV_INT(res.state.is_routing),
		               SV_INT(res.state.attempts), SV_INT(now), SV_INT(defers),
		               SV_INT(is_decided                       ? 1
		                      : res.outcome == ROUTER_WELCOMED ? 2
		                                                       : 0),
		               SV_TEXT(reply != NULL ? reply : ""),
		               routed_team != 0 ? SV_INT(routed_team) : SV_NULL,
		               res.outcome == ROUTER_MATCHED ? SV_INT((int64_t)res.option)
		                                             : SV_NULL));
	/* A reply not understood is remembered for the suggestions. */
	if (rc >= 0 && reply != NULL && reply[0] != '\0' && res.outcome != ROUTER_MATCHED)
		rc = routing_remember(tx, c.account_id, reply, 0, now);
	free(reply);
	if (rc >= 0 && defers == 1)
		rc = defer_welcome(tx, conversation_id, &c, ev->message.text, now, &count);
	char *detail = res.audit != NULL && defers == 0 ? line_detail(&res.line) : NULL;
	if (rc >= 0 && res.audit != NULL && defers == 0)
		rc = store_exec(
		    tx,
		    "INSERT INTO conversation_events (account_id, conversation_id, kind,"
		    " text, detail, outcome, option_index, created_at)"
		    " VALUES ($1, $2, 'routing', $3, $4, $5, $6, $7)",
		    STORE_ARGS(SV_INT(c.account_id), SV_INT(conversation_id), SV_TEXT(res.audit),
		               SV_TEXT_NULL(detail), SV_TEXT_NULL(outcome_names[res.outcome]),
		               res.outcome == ROUTER_MATCHED ? SV_INT((int64_t)res.option)
		                                             : SV_NULL,
		               SV_INT(now)));
	free(detail);
	for (size_t i = 0; i < res.count && rc >= 0; i++)
		if (res.actions[i].kind == ROUTER_ASSIGN_TEAM)
			rc = tell_out_of_hours(tx, conversation_id, &c, res.actions[i].team_id,
			                       ev->message.text, now, &count);
	if (rc >= 0)
		rc = events_emit_conversation(tx, conversation_id, "routing", &c.before, now);
	router_result_free(&res);
	lookup_free(&l);
	shared_release(shared);
	if (queued != NULL)
		*queued += count;
	return store_failed(e, rc);
}

/* Sets option's count `what` (conversations routed there, or moved away soon after) in the
 * stats' list of options, which holds each option once, in order. */
static void count_option(json_t *options, int64_t option, const char *what, json_int_t n)
{
	size_t i;
	json_t *o;
	json_array_foreach(options, i, o)
	{
		if (json_integer_value(json_object_get(o, "option")) == option) {
			json_object_set_new(o, what, json_integer(n));
			return;
		}
		if (json_integer_value(json_object_get(o, "option")) > option)
			break;
	}
	json_array_insert_new(options, i,
	                      json_pack("{s:I,s:I,s:I}", "option", (json_int_t)option,
	                                "conversations", (json_int_t)0, "moved", (json_int_t)0));
	json_object_set_new(json_array_get(options, i), what, json_integer(n));
}

/* Each option's share of conversations moved elsewhere soon after routing placed them. */
static void share_moved(json_t *options)
{
	size_t i;
	json_t *o;
	json_array_foreach(options, i, o)
	{
		json_int_t routed = json_integer_value(json_object_get(o, "conversations"));
		json_int_t moved = json_integer_value(json_object_get(o, "moved"));
		json_object_set_new(o, "moved_share",
		                    routed > 0 ? json_real((double)moved / (double)routed)
		                               : json_null());
	}
}

int routing_stats(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                  struct error *e)
{
	struct store_rows *r;
	json_t *options = json_array();
	json_int_t welcomed = 0, fell_back = 0, gave_up = 0;
	int rc = store_query(
	    tx,
	    "SELECT outcome, coalesce(option_index, -1), count(*)"
	    " FROM conversation_events WHERE account_id = $1 AND outcome IS NOT NULL"
	    " AND created_at >= $2 AND created_at < $3"
	    " GROUP BY outcome, option_index ORDER BY outcome, coalesce(option_index, -1)",
	    STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to)), &r);
	while (rc >= 0 && (rc = store_next(r)) == 1) {
		const char *outcome = store_text(r, 0);
		json_int_t n = store_int(r, 2);
		if (strcmp(outcome, "matched") == 0 || strcmp(outcome, "moved") == 0)
			count_option(options, store_int(r, 1),
			             strcmp(outcome, "matched") == 0 ? "conversations" : "moved",
			             n);
		else if (strcmp(outcome, "welcomed") == 0)
			welcomed = n;
		else if (strcmp(outcome, "fell_back") == 0)
			fell_back = n;
		else
			gave_up = n;
	}
	if (rc >= 0)
		store_rows_free(r);
	share_moved(options);
	/* From a conversation's first message to its assignment to a team by routing. */
	int64_t *waits = NULL;
	size_t n = 0, cap = 0;
	if (rc >= 0)
		rc = store_query(
		    tx,
		    "SELECT min(e.created_at) - v.created_at FROM conversation_events e"
		    " JOIN conversations v ON v.id = e.conversation_id"
		    " WHERE e.account_id = $1 AND e.outcome = 'matched' AND v.team_id IS NOT NULL"
		    " AND e.created_at >= $2 AND e.created_at < $3"
		    " GROUP BY e.conversation_id, v.created_at ORDER BY 1 LIMIT 100000",
		    STORE_ARGS(SV_INT(account_id), SV_INT(from), SV_INT(to)), &r);
	while (rc >= 0 && (rc = store_next(r)) == 1) {
		waits = xgrow(waits, &cap, n, sizeof(*waits));
		waits[n++] = store_int(r, 0);
	}
	if (rc >= 0)
		store_rows_free(r);
	int64_t median = n == 0 ? -1 : n % 2 ? waits[n / 2] : (waits[n / 2 - 1] + waits[n / 2]) / 2;
	free(waits);
	if (rc < 0) {
		json_decref(options);
		return store_failed(e, rc);
	}
	*out = json_pack("{s:I,s:I,s:o,s:I,s:I,s:I,s:o}", "from", (json_int_t)from, "to",
	                 (json_int_t)to, "routed", options, "welcomes", welcomed, "fallbacks",
	                 fell_back, "give_ups", gave_up, "median_ms_to_assignment",
	                 median >= 0 ? json_integer(median) : json_null());
	return 0;
}
