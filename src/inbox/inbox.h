/*
 * inbox/: the rules — teams and assignment, conversations and what agents do with them,
 * routing applied to conversations, contacts, canned responses, metrics and web chat
 * visitors. Every read takes the actor asking and applies the visibility rule
 * (visibility/); the HTTP handlers and the CLI only translate. Writes that only admins may
 * make are checked by the caller's route. All functions work inside a store transaction the
 * caller owns; times are UTC ms. Grouped by the file that holds them.
 */
#ifndef INBOX_INBOX_H
#define INBOX_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts/accounts.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/seal.h"
#include "core/token.h"
#include "hours/hours.h"
#include "routing/routing.h"
#include "store/store.h"

/* teams.c */

#define TEAM_NAME_MAX     200
#define CSAT_QUESTION_MAX 500 /* bytes of a team's satisfaction question (csat.c) */
#define CSAT_SCALE        5   /* satisfaction ratings go from 1 to this */

/* How a conversation arriving in a team is given to a person. */
enum assignment { ASSIGN_MANUAL, ASSIGN_ROUND_ROBIN, ASSIGN_BALANCED };

struct team {
	int64_t id;
	int64_t account_id;
	char name[TEAM_NAME_MAX + 1];
	enum assignment assignment;
	bool is_online_only;    /* only members who are online get conversations */
	int max_open;           /* open conversations per member; 0: no cap */
	bool does_reply_assign; /* a member who replies to an unassigned one becomes its assignee */
	int first_response_minutes; /* business minutes to the first answer; 0: no target */
	int next_response_minutes;  /* … to each later answer; 0: no target */
	int reassign_after_minutes; /* an assignee silent this long loses it; 0: never */
	bool does_reassign_offline; /* an assignee going offline loses their open ones */
	char csat_question[CSAT_QUESTION_MAX + 1]; /* asked on resolving; "": none (csat.c) */
	int64_t member_count;
	bool is_member; /* the actor belongs to it: set by team_list only */
	int64_t created_at;
	int64_t updated_at;
};

/* Teams. An admin sees every team of the account; an agent only those they belong to. */
int team_create(struct store_tx *tx, int64_t account_id, const char *name, int64_t now,
                struct team *out, struct error *e);
/* What a team update sets; NULL (or -1) leaves a field as it is. */
struct team_changes {
	const char *name;
	const char *assignment; /* "manual", "round_robin" or "balanced" */
	int is_online_only;
	int max_open; /* 0 to 1000 */
	int does_reply_assign;
	int does_reassign_offline;
	const char *csat_question; /* "" asks nothing */
	/* -1 leaves it, 0 removes it (null in the API), else 1 to TEAM_MINUTES_MAX */
	int first_response_minutes, next_response_minutes, reassign_after_minutes;
};
#define TEAM_MINUTES_MAX (30 * 24 * 60)
int team_update(struct store_tx *tx, int64_t account_id, int64_t id, const struct team_changes *in,
                int64_t now, struct team *out, struct error *e);
/* Deleting a team removes its memberships; its conversations move to the general inbox.
 * ERR_CONFLICT while the saved routing configuration sends conversations to it. */
int team_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e);
int team_get(struct store_tx *tx, const struct actor *who, int64_t id, struct team *out,
             struct error *e);
int team_find_name(struct store_tx *tx, int64_t account_id, const char *name, struct team *out,
                   struct error *e);
/* Every team of the account, for agents too (a conversation may be transferred to any team),
 * each with is_member set for the actor. */
int team_list(struct store_tx *tx, const struct actor *who, struct team **out, size_t *n,
              struct error *e);
/* Only active users of the same account can join; a second add is a conflict. */
int team_member_add(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t user_id,
                    int64_t now, struct error *e);
int team_member_remove(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t user_id,
                       struct error *e);
int team_members(struct store_tx *tx, int64_t account_id, int64_t team_id, struct user **out,
                 size_t *n, struct error *e);
const char *assignment_name(enum assignment a);
/* The team as the API answers it. */
json_t *team_json(const struct team *t);
/*
 * Gives a conversation that just arrived in its team to a member, by the team's method:
 * manual leaves it in the team's queue; round robin takes the next member in turn; balanced
 * the member with the fewest open conversations. Only active members, only online ones
 * when the team says so, and none already at the team's cap: when nobody qualifies it waits
 * in the queue. *assignee (may be NULL) is 0 then.
 */
int team_assign(struct store_tx *tx, int64_t team_id, int64_t conversation_id, int64_t now,
                int64_t *assignee, struct error *e);
/* team_assign, giving it to the member `other` only when nobody else can take it, and never
 * when is_never. */
int team_assign_other(struct store_tx *tx, int64_t team_id, int64_t conversation_id, int64_t now,
                      int64_t other, bool is_never, int64_t *assignee, struct error *e);
/* Assigns the team's waiting conversations, oldest first, while members have room. Team
 * updates and new members call it themselves, and so does inbox_user_update. */
int team_fill_queue(struct store_tx *tx, int64_t team_id, int64_t now, struct error *e);
/* user_update (accounts/) and what it means for the teams: a user who is online afterwards
 * takes what waits in their teams' queues. Every change to a user from above inbox/ goes
 * through it. */
int inbox_user_update(struct store_tx *tx, int64_t account_id, int64_t id,
                      const struct user_changes *in, int64_t now, struct user *out,
                      struct error *e);
/* A reopened conversation keeps its agent while they can take it; otherwise it is assigned
 * again by its team's method. */
int team_reassign_if_away(struct store_tx *tx, int64_t conversation_id, int64_t now,
                          struct error *e);

/* business_hours.c */

/* The hours that apply to a team (its own, else the account's; team_id 0: the account's) as
 * *out to free, or NULL when there are none: then it is always open. */
int business_hours_of_team(struct store_tx *tx, int64_t account_id, int64_t team_id,
                           struct hours **out, struct error *e);
/* As GET …/business-hours answers: the owner's own document (null: none), whether the team
 * uses the account's, open now, and the next opening (null: never). */
int business_hours_json(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t now,
                        json_t **out, struct error *e);
/* Checks and saves the document of the account (team_id 0) or a team; ERR_UNPROCESSABLE
 * naming the field. The queued conversations of the account then look at the hours again. */
int business_hours_put(struct store_tx *tx, int64_t account_id, int64_t team_id, const json_t *doc,
                       int64_t now, struct error *e);
/* ERR_NOT_FOUND when the owner has none of its own. */
int business_hours_delete(struct store_tx *tx, int64_t account_id, int64_t team_id, int64_t now,
                          struct error *e);
/* 1 when the team is open at now, 0 when not (*opens_at, may be NULL: the next opening, 0
 * for never), negative on failure. */
int business_hours_team_is_open(struct store_tx *tx, int64_t account_id, int64_t team_id,
                                int64_t now, int64_t *opens_at, struct error *e);
/* 1 when the account is closed at now and its hours say the welcome waits for the opening
 * ("welcome_when_closed": false), 0 when not, negative on failure. */
int business_hours_defer_welcome(struct store_tx *tx, int64_t account_id, int64_t now,
                                 struct error *e);
/* The team's out-of-hours message for a customer writing in language (NULL: unknown), with
 * {opens_at} filled, when the team is closed at now and has one; NULL otherwise. To free. */
char *business_hours_closed_message(struct store_tx *tx, int64_t account_id, int64_t team_id,
                                    int64_t now, const char *language);
/* The scheduler's job: the earliest time a queued conversation's team opens, and giving
 * those due to their team's method. */
int business_hours_next_due(struct store_tx *tx, int64_t *due, struct error *e);
int business_hours_open_queues(struct store_tx *tx, int64_t now, struct error *e);

/* response_targets.c */

/* A customer's message in a team's conversation: unless one is already pending, its
 * response target (first when no agent ever answered, else next) falls due after the team's
 * minutes of business time; and, when the team reassigns, its assignee has that long. */
int targets_customer_wrote(struct store_tx *tx, int64_t id, int64_t now, struct error *e);
/* An agent answered: the pending target is met or missed, nothing waits any more. */
int targets_answered(struct store_tx *tx, int64_t id, int64_t user_id, int64_t now,
                     struct error *e);
/* Resolved without an answer: dropped before its due time, missed after. */
int targets_resolved(struct store_tx *tx, int64_t id, int64_t now, struct error *e);
/* The scheduler's job: the earliest reassignment, and reassigning those due. */
int targets_next_reassignment(struct store_tx *tx, int64_t *due, struct error *e);
int targets_reassign_due(struct store_tx *tx, int64_t now, struct error *e);
/* The user went offline: their open and pending conversations in teams that reassign when
 * the assignee goes offline go to another member (or back to the queue). */
int targets_assignee_offline(struct store_tx *tx, int64_t user_id, int64_t now, struct error *e);
/* {"teams": [{id, name, met, missed}], "agents": […]} of the targets falling due in
 * [from, to); missed includes those still waiting past their due time at now. */
int targets_metrics(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, int64_t now,
                    json_t **out, struct error *e);

/* conversations.c */

/*
 * Conversations. An admin sees all of the account's; an agent sees the general inbox (no
 * team), the conversations of their teams and those assigned to them — nothing else, and
 * an id they may not see is answered as not found.
 */
#define REPLY_TEXT_MAX  65536
#define REPLY_WINDOW_MS (24LL * 3600 * 1000) /* Meta's customer-service window */
/* Messenger: how long a human may still answer, with the HUMAN_AGENT tag after 24 hours. */
#define HUMAN_AGENT_WINDOW_MS (7 * REPLY_WINDOW_MS)

/* Where a conversation stands; stored, filtered on and answered by its name. */
enum conversation_status {
	STATUS_ROUTING, /* routing is still talking to the customer */
	STATUS_OPEN,
	STATUS_PENDING,
	STATUS_SNOOZED,
	STATUS_RESOLVED,
};
/* "routing", "open", "pending", "snoozed", "resolved": the API's and the database's words. */
const char *conversation_status_name(enum conversation_status status);
/* ERR_INVALID for any other word. */
int conversation_status_parse(const char *name, enum conversation_status *out);
/* A comma-separated list of statuses ("open,routing") as a filter's `statuses`: each word
 * once, in the list's order; ERR_INVALID for an unknown or repeated word or an empty one. */
int conversation_statuses_parse(const char *list, char *out, size_t size);

struct conversation {
	int64_t id;
	int64_t account_id;
	int64_t channel_id;
	enum channel_kind kind;
	int64_t contact_id;
	char contact_name[INBOUND_NAME_MAX + 1];
	enum conversation_status status;
	int64_t team_id;     /* 0: the general inbox */
	int64_t assignee_id; /* 0: nobody */
	int routing_attempts;
	int64_t last_customer_at; /* 0 when the customer never wrote */
	int64_t last_activity_at;
	int64_t resolved_at;
	int64_t created_at;
	int64_t updated_at;
	int64_t due_at; /* when its current response target falls due; 0: none */
};

/* A conversation this close to its target is "soon" due (the inbox marks it). */
#define CONVERSATION_DUE_SOON_MS (15 * 60 * 1000)

struct message {
	int64_t id;
	int64_t conversation_id;
	bool is_inbound;
	char sender[16];   /* contact, agent, routing, provider_app */
	int64_t author_id; /* the agent who replied; 0: none */
	char author_name[USER_NAME_MAX + 1];
	char type[16];
	char *raw_type; /* NULL when absent; strings owned by the message */
	char *text;
	char *details; /* JSON object text */
	char status[16];
	int64_t error_code;
	char *error_title;
	int64_t edited_at;
	int64_t created_at;
	/* Its file (media/), when it has one: media_state "" when not. */
	char media_state[8]; /* pending, ready, failed */
	char *media_error;   /* failed: why */
	char file_sha256[65];
	int64_t file_size;
	char file_mime[128];
	/* While in the outbox: its state there (pending, sending, failed; "" once out of it),
	 * the failed attempts, when the next is due and the last failure's reason (owned). */
	char outbox_state[16];
	int64_t attempts;
	int64_t next_attempt_at;
	char *last_error;
};

int conversation_get(struct store_tx *tx, const struct actor *who, int64_t id,
                     struct conversation *out, struct error *e);
/* Whether the provider still takes an agent's free-form reply: WhatsApp and Instagram within
 * 24 hours of the customer's last message, Messenger within 7 days; Telegram and web chat
 * always. (Routing only ever answers a message that just came in.) */
bool conversation_window_is_open(const struct conversation *c, int64_t now);
/*
 * An agent's reply: refused with ERR_CONFLICT outside the provider's window; queued in the
 * outbox otherwise (on Messenger after 24 hours with the HUMAN_AGENT tag). A human reply ends
 * routing, and a resolved conversation reopens. Call outbox_worker_wake() after commit.
 */
int conversation_reply(struct store_tx *tx, const struct actor *who, int64_t id, const char *text,
                       int64_t now, int64_t *first_id, size_t *parts, struct error *e);
/* An agent's file (uploads.c): its bytes are in the file store under sha256. */
struct upload_input {
	const char *sha256;
	const char *mime_type; /* media_mime_clean's */
	const char *file_name; /* channel_file_name_check's */
	int64_t size;
	int64_t max_bytes; /* the operator's limit, 0 for none */
};
struct upload {
	int64_t id;
	char sha256[65];
	char kind[16];
	char mime_type[128];
	char file_name[CHANNEL_FILE_NAME_MAX + 1];
	int64_t size;
};
/* Whether the actor may attach a file of this type and size to the conversation: the
 * visibility rule (ERR_NOT_FOUND), then the provider's (channel_file_check); *kind its kind. */
int upload_check(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                 const char *mime_type, int64_t size, int64_t max_bytes, const char **kind,
                 struct error *e);
/* upload_check, then the file's row (once per content) and the upload's: out->id and kind. */
int upload_create(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                  const struct upload_input *in, int64_t now, struct upload *out, struct error *e);
/* An upload of the conversation; ERR_UNPROCESSABLE when it has none of that id. */
int upload_get(struct store_tx *tx, int64_t account_id, int64_t conversation_id, int64_t id,
               struct upload *out, struct error *e);
/*
 * A reply with a file: upload_id (of this conversation) with caption (NULL for none), as a
 * reply goes (the visibility rule, takeover, window, assignment), checked against the
 * provider's limits before anything is queued (ERR_UNPROCESSABLE). WhatsApp, Telegram and web
 * chat send the caption with the file; Messenger and Instagram, whose attachments have none,
 * get it as a text right after (*parts 2). Call outbox_worker_wake() after commit.
 */
int conversation_send_file(struct store_tx *tx, const struct actor *who, int64_t id,
                           int64_t upload_id, const char *caption, int64_t max_bytes, int64_t now,
                           int64_t *first_id, size_t *parts, struct error *e);
/* A WhatsApp template to send: name, language code and parameters (may be NULL). */
struct template_request {
	const char *name;
	const char *language;
	const json_t *parameters;
};
/* A template sent like a reply, inside the window or out of it, checked first against the
 * synced template (template_prepare); the stored message holds the text it shows. */
int conversation_send_template(struct store_tx *tx, const struct actor *who, int64_t id,
                               const struct template_request *t, int64_t now, int64_t *message_id,
                               struct error *e);
/* Writing first: what an agent gives to start a WhatsApp conversation. */
struct conversation_start {
	int64_t channel_id;
	const char *to;  /* the customer's number: digits, '+' allowed in front */
	int64_t team_id; /* 0: the agent's team (their only one), or the general inbox */
	struct template_request template;
};
/* Finds or creates the contact of `to` on the channel, creates a conversation in the team,
 * assigned to the agent, and queues the template in it (*id: the conversation). ERR_CONFLICT
 * when the contact has a conversation that is not resolved on the channel. */
int conversation_start(struct store_tx *tx, const struct actor *who,
                       const struct conversation_start *in, int64_t now, int64_t *id,
                       struct error *e);
/* "Retry now" on a message of a conversation `who` sees (outbox_retry_now). Call
 * outbox_worker_wake() after commit. */
int message_retry(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                  int64_t message_id, int64_t now, struct error *e);
/* The earliest end of a snooze (UTC ms), 0 when nothing is snoozed: the scheduler's due time
 * for conversation_wake_snoozed. */
int conversation_snooze_next_end(struct store_tx *tx, int64_t *due, struct error *e);
/* Opens again the snoozed conversations whose time has come (a line in each timeline). */
int conversation_wake_snoozed(struct store_tx *tx, int64_t now, struct error *e);
/* Sends a conversation back to routing: the welcome goes out again (*queued texts). */
int conversation_back_to_routing(struct store_tx *tx, const struct actor *who, int64_t id,
                                 int64_t now, size_t *queued, struct error *e);
/* Up to limit messages older than before_id (0: the newest), newest first. */
int message_list(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                 int64_t before_id, int limit, struct message **out, size_t *n, struct error *e);
void message_list_free(struct message *list, size_t n);

/* A media message's file, as an actor may see it. */
struct message_file {
	char state[8]; /* pending, ready, failed */
	char sha256[65];
	int64_t size;
	char mime_type[128];
	char *file_name; /* the customer's name for it, or NULL; to free */
};
/* The file of message id under the conversation's visibility rule: ERR_NOT_FOUND when who
 * may not see the message or it has no file. */
int message_file_get(struct store_tx *tx, const struct actor *who, int64_t id,
                     struct message_file *out, struct error *e);
/* A conversation and a message as the API answers them; now decides window_open. */
json_t *conversation_json(const struct conversation *c, int64_t now);
json_t *message_json(const struct message *m);

/*
 * The agent's queue: conversations listed through the visibility rule, newest activity
 * first, a page at a time. The cursor is the (last_activity_at, id) of the page's last item.
 */
#define CONVERSATION_QUERY_MAX 200  /* bytes of free text searched */
#define CONVERSATION_QUERY_MIN 3    /* characters: the search indexes hold trigrams */
#define CONVERSATION_COUNT_MAX 1000 /* the list's total counts no further */
#define CONVERSATION_PAGE_MAX  100
#define PREVIEW_CHARS          120

/* The numbers index the list's statements. */
enum conversation_view {
	VIEW_VISIBLE = 0, /* everything the actor may see */
	VIEW_GENERAL = 1, /* no team */
	VIEW_MINE = 2,    /* assigned to the actor */
	VIEW_TEAM = 3,    /* one team's */
	VIEW_ALL = 4,     /* the whole account: admins only, checked by the caller */
};

/* The list's order: the newest activity first, or the soonest due time first (those without
 * a response target last, oldest first). */
enum conversation_sort { SORT_ACTIVITY = 0, SORT_DUE = 1 };

/* What narrows the list, and its order; 0 and NULL narrow nothing. */
struct conversation_filter {
	enum conversation_view view;
	int64_t team_id;   /* VIEW_TEAM */
	char statuses[48]; /* only these, as ",open,routing," (conversation_statuses_parse); "": any
	                    */
	int64_t channel_id;
	int64_t assignee_id;
	const char *tag;
	const char *q; /* contact name, phone or message text contains it; CONVERSATION_QUERY_MIN
	                * characters or more */
	int64_t id;    /* one conversation (its detail) */
	int64_t due_before; /* only those whose target falls due before it; 0: any */
	enum conversation_sort sort;
	int64_t after_key; /* the cursor: the last item's key in the sort (conversation_sort_key) */
	int64_t after_id;  /* and its id; 0: from the first */
	int limit;
};

struct conversation_item {
	struct conversation c;
	char contact_phone[INBOUND_ID_MAX + 2]; /* "+" and a WhatsApp number */
	char team_name[TEAM_NAME_MAX + 1];
	char assignee_name[USER_NAME_MAX + 1];
	int64_t last_message_id; /* 0: no message yet */
	char last_direction[4];
	char *last_preview; /* text cut to PREVIEW_CHARS characters, or the type; owned */
	int64_t last_message_at;
	char last_sender[16];   /* contact, agent, routing or provider_app */
	int64_t last_author_id; /* the agent who wrote it; 0 for none */
	char last_author_name[USER_NAME_MAX + 1];
	int64_t unread;      /* the customer's messages after the read mark */
	int64_t undelivered; /* outgoing messages not delivered (OUTBOX_UNDELIVERED) */
};

/* *out is an array of *n items freed with conversation_items_free; *total counts the
 * matches of the filter, cursor aside, up to CONVERSATION_COUNT_MAX + 1 (more than the most
 * counted). */
int conversation_list(struct store_tx *tx, const struct actor *who,
                      const struct conversation_filter *f, struct conversation_item **out,
                      size_t *n, int64_t *total, struct error *e);
void conversation_items_free(struct conversation_item *items, size_t n);
/* c's key in the order sort: what a cursor after it carries beside its id. */
int64_t conversation_sort_key(const struct conversation *c, enum conversation_sort sort);
/* The navigation's counts as GET /conversations/counts answers them: the open conversations
 * of each view the actor has (general, mine, their teams — every team and all for admins)
 * and those not resolved with unread customer messages, each up to CONVERSATION_COUNT_MAX
 * (`capped` names those cut there). */
int conversation_counts_json(struct store_tx *tx, const struct actor *who, int64_t now,
                             json_t **answer, struct error *e);
/* A list item as the API answers it to who: conversation_json with contact (its phone masked
 * for a masked actor), team, assignee, last message and unread count. */
json_t *conversation_item_json(const struct actor *who, const struct conversation_item *it,
                               int64_t now);
/* One conversation as GET /conversations/:id answers it: the list item with its tags (*out,
 * to take). */
int conversation_detail_json(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                             json_t **out, struct error *e);
/* The number of UTF-8 characters in q. */
size_t conversation_query_chars(const char *q);

/* conversation_routing.c */

/*
 * Routing as the inbox applies it: the account's configuration (stored with team ids,
 * shown with team names) and the router's steps applied to a conversation — its state,
 * team, the messages queued and a line in its history — inside the caller's transaction.
 */
/* The account's configuration as a document naming teams; an empty disabled one when none
 * was saved. */
json_t *routing_export(struct store_tx *tx, int64_t account_id, struct error *e);
/* Validates doc as a whole and stores it; ERR_UNPROCESSABLE with every problem in
 * *problems (to free) when it is refused. */
int routing_save(struct store_tx *tx, int64_t account_id, int64_t user_id, const json_t *doc,
                 int64_t now, struct route_problems *problems, struct error *e);
/* The stored configuration parsed, or a document's when doc is not NULL (explain can try an
 * unsaved one); *out is NULL when none is saved. */
int routing_load(struct store_tx *tx, int64_t account_id, const json_t *doc,
                 struct route_config **out, struct route_problems *problems, struct error *e);
/* route_decision_to_json with the account's team names; with a payload (may be NULL), as a
 * tap on a button whose title is text would be read. */
json_t *routing_explain(struct store_tx *tx, int64_t account_id, const struct route_config *cfg,
                        const char *text, const char *payload, struct error *e);
/* One router step for conversation_id; *queued (may be NULL) counts the texts queued. */
int routing_step(struct store_tx *tx, int64_t conversation_id, const struct router_event *ev,
                 int64_t now, size_t *queued, struct error *e);
/* The numbers for [from, to): conversations routed per option, welcomes, fallbacks,
 * give-ups and the median time from first message to assignment. *out is a new reference. */
int routing_stats(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                  struct error *e);

/* routing_suggestions.c */

/*
 * What routing learns from the team's corrections (docs/ROUTING.md, "Suggestions"): words of
 * the replies that fell back or whose conversations agents moved, as proposed answers.
 */
/* {"suggestions": [{"text", "count", "fallbacks", "moves", "team_id", "team", "option",
 * "conflict", "why"}]}, most useful first; *out is a new reference. */
int routing_suggestions(struct store_tx *tx, int64_t account_id, int64_t now, json_t **out,
                        struct error *e);
/* Never suggests text (normalised) again; *out is {"dismissed": the normalised text}.
 * ERR_INVALID when it has no word. */
int routing_dismiss(struct store_tx *tx, int64_t account_id, const char *text, int64_t now,
                    json_t **out, struct error *e);

/* actions.c */

/*
 * Agents' actions on a conversation they may see. Each is recorded in its timeline
 * (conversation_events), and those that move it end routing first: a human always wins.
 */
#define NOTE_TEXT_MAX 65536
#define TAG_NAME_MAX  64

/* Moves it to another team of the account (ERR_UNPROCESSABLE when there is none) and
 * clears the assignee. */
int conversation_transfer(struct store_tx *tx, const struct actor *who, int64_t id, int64_t team_id,
                          int64_t now, struct error *e);
/* user_id 0 unassigns. The assignee must be active and, when the conversation has a team,
 * one of its members (ERR_UNPROCESSABLE saying which). */
int conversation_assign(struct store_tx *tx, const struct actor *who, int64_t id, int64_t user_id,
                        int64_t now, struct error *e);
int conversation_resolve(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                         struct error *e);
/* Reopens a resolved or snoozed conversation (ERR_CONFLICT for others). */
int conversation_reopen(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                        struct error *e);
/* ERR_UNPROCESSABLE when until is not in the future. */
int conversation_snooze(struct store_tx *tx, const struct actor *who, int64_t id, int64_t until,
                        int64_t now, struct error *e);
/* Marks every message so far read. */
int conversation_mark_read(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                           struct error *e);
/* A private note for colleagues, never sent to the customer; *note is it as the API answers
 * it (to take). */
int conversation_note_add(struct store_tx *tx, const struct actor *who, int64_t id,
                          const char *text, int64_t now, json_t **note, struct error *e);
/* Adds or removes a tag (1..TAG_NAME_MAX of a-z, 0-9, '-' and '_'); both are idempotent. */
int conversation_tag(struct store_tx *tx, const struct actor *who, int64_t id, const char *name,
                     bool is_added, int64_t now, struct error *e);
/* The conversation's tags as a JSON array of names, sorted. */
json_t *conversation_tags(struct store_tx *tx, int64_t id, struct error *e);
/* The timeline, oldest first, as a JSON array of {id, kind, user_id, text, created_at}. */
json_t *conversation_events(struct store_tx *tx, const struct actor *who, int64_t id,
                            struct error *e);
/* The private notes, oldest first, in the timeline's shape: kind "note", user_id the author
 * (null once deleted), text the note. */
json_t *conversation_notes(struct store_tx *tx, const struct actor *who, int64_t id,
                           struct error *e);

/* canned.c */

/*
 * Canned responses: shortcuts admins manage and agents insert. Placeholders ({contact_name},
 * {agent_name}, {team_name}) are stored as typed and filled for a conversation when listed
 * for one, by routing's route_fill.
 */
#define CANNED_SHORTCUT_MAX 32
#define CANNED_TEXT_MAX     4096
#define CANNED_QUERY_MAX    200
#define CANNED_LIST_MAX     50

struct canned_response {
	int64_t id;
	char shortcut[CANNED_SHORTCUT_MAX + 1];
	char text[CANNED_TEXT_MAX + 1];
	int64_t created_at;
	int64_t updated_at;
};

/* Up to CANNED_LIST_MAX by shortcut; q (NULL or "": all) matches a shortcut's start (a leading
 * '/' ignored) or the text anywhere, ASCII letters in either case. *out is freed by the caller. */
int canned_list(struct store_tx *tx, int64_t account_id, const char *q,
                struct canned_response **out, size_t *n, struct error *e);
int canned_get(struct store_tx *tx, int64_t account_id, int64_t id, struct canned_response *out,
               struct error *e);
/* The shortcut may start with '/', which is not stored; ERR_CONFLICT when it is in use. */
int canned_create(struct store_tx *tx, int64_t account_id, const char *shortcut, const char *text,
                  int64_t now, int64_t *id, struct error *e);
/* NULL leaves a field as it is. */
int canned_update(struct store_tx *tx, int64_t account_id, int64_t id, const char *shortcut,
                  const char *text, int64_t now, struct error *e);
int canned_delete(struct store_tx *tx, int64_t account_id, int64_t id, struct error *e);
json_t *canned_json(const struct canned_response *c);

/* What the placeholders stand for in one conversation, for the agent who inserts them. */
struct canned_values {
	char contact_name[INBOUND_NAME_MAX + 1]; /* "" when the contact gave no name */
	char agent_name[USER_NAME_MAX + 1];
	char team_name[TEAM_NAME_MAX + 1]; /* "" in the general inbox */
};

/* ERR_NOT_FOUND when who may not see conversation_id. */
int canned_values_get(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                      struct canned_values *out, struct error *e);
/* text with its placeholders filled from v; to free. */
char *canned_fill(const char *text, const struct canned_values *v);

/* metrics.c */

/*
 * Admin metrics for [from, to]: open conversations now per team and agent, and per team
 * (the one a conversation has now) the first-response and resolution times, median and
 * 90th percentile by nearest rank. *out is a new reference.
 */
int metrics_get(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                struct error *e);

/* csat.c */

/* A team's question checked into out: one line of clean UTF-8, 1..CSAT_QUESTION_MAX bytes
 * once trimmed, or "" (the team asks nothing). ERR_INVALID naming csat_question. */
int csat_check_question(const char *in, char out[CSAT_QUESTION_MAX + 1], struct error *e);
/* c was just resolved by user_id: when its team has a question and the channel takes a message
 * now (its window), the question is queued (with buttons 1 to CSAT_SCALE where the channel
 * carries them) and a survey recorded as asked, replacing any still unanswered. */
int csat_ask(struct store_tx *tx, const struct conversation *c, int64_t user_id, int64_t now,
             struct error *e);
/* The rating a customer's message to a resolved conversation gives its unanswered survey:
 * *rating 1 to CSAT_SCALE, by a button's payload (payload, may be NULL) or by the text
 * (route_rating); 0 when none was asked or the message is no rating. */
int csat_reply_rating(struct store_tx *tx, int64_t conversation_id, const char *text,
                      const char *payload, int *rating);
/* Records rating as the survey's answer; emits conversation.updated ("csat"), which is the
 * csat.answered webhook. */
int csat_answer(struct store_tx *tx, int64_t conversation_id, int rating, int64_t now);
/* The conversation reopened: its unanswered survey is dropped. */
int csat_drop(struct store_tx *tx, int64_t conversation_id);
/* The conversation's latest survey as the API answers it ({"state", "rating", "agent_id",
 * "agent_name", "asked_at", "answered_at"}), or null when none was asked; *out to take. */
int csat_json(struct store_tx *tx, int64_t conversation_id, json_t **out, struct error *e);
/* The ratings answered in [from, to) per team and per agent who resolved: {"teams": [{"team_id",
 * "name", "count", "mean", "satisfied_share"}], "agents": [{"user_id", …}]}; *out to take. */
int csat_metrics(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to, json_t **out,
                 struct error *e);

/* contacts.c */

/*
 * Contacts: the people behind the conversations, with tags, custom attributes (keys an admin
 * declared) and one identity per channel they wrote from. An admin sees every contact of
 * the account; an agent those with at least one conversation they may see, and any other
 * id is answered as not found. Contacts are answered as JSON objects (docs/API.md).
 */
#define CONTACT_NAME_MAX       200
#define CONTACT_PHONE_MAX      32
#define CONTACT_EMAIL_MAX      USER_EMAIL_MAX
#define CONTACT_NOTES_MAX      65536
#define CONTACT_TAGS_MAX       100 /* tags in one PATCH */
#define CONTACT_PAGE_MAX       100
#define CONTACT_QUERY_MAX      200
#define CONTACT_ATTR_KEY_MAX   64
#define CONTACT_ATTR_LABEL_MAX 200
#define CONTACT_ATTR_VALUE_MAX 1024
#define CONTACT_EXPORT_MAX     100000 /* contacts in one CSV export */

/* What narrows the contact list; NULL narrows nothing. The cursor is the (updated_at, id)
 * of the previous page's last contact; after_id 0: from the newest. */
struct contact_filter {
	const char *q; /* name, phone or e-mail contains it (ASCII case-insensitive) */
	const char *tag;
	int64_t after_updated_at;
	int64_t after_id;
	int limit;
};

/* A page of contacts, newest-updated first, as a JSON array (to free); *total counts every
 * match of the filter, cursor aside. NULL on failure. */
json_t *contact_list(struct store_tx *tx, const struct actor *who, const struct contact_filter *f,
                     int64_t *total, struct error *e);
/* One contact; with_conversations adds those of its conversations who may see. */
json_t *contact_get(struct store_tx *tx, const struct actor *who, int64_t id,
                    bool with_conversations, struct error *e);
/* Applies a PATCH body already checked for its field names; ERR_INVALID for a bad value,
 * ERR_UNPROCESSABLE for an attribute key nobody declared. Emits contact.updated. */
int contact_update(struct store_tx *tx, const struct actor *who, int64_t id, const json_t *changes,
                   int64_t now, struct error *e);
/* Merges other_id into id: identities, conversations (a timeline line each), tags,
 * attributes and merge records move; notes are appended, phone and e-mail filled when id
 * has none; other_id is deleted and the merge recorded. Emits contact.updated. */
int contact_merge(struct store_tx *tx, const struct actor *who, int64_t id, int64_t other_id,
                  int64_t now, struct error *e);
/* Every contact of the account as CSV (RFC 4180) into out; cells that a spreadsheet would
 * take for a formula get a leading '. ERR_UNPROCESSABLE beyond CONTACT_EXPORT_MAX. */
int contact_export_csv(struct store_tx *tx, int64_t account_id, struct buf *out, struct error *e);

/* contact_import.c */

#define CONTACT_IMPORT_MAX          100000 /* rows of contacts in one CSV import */
#define CONTACT_IMPORT_PROBLEMS_MAX 1000   /* problems listed (all are counted) */

struct contact_import_result {
	int64_t created;
	int64_t updated;
};

/*
 * Imports a CSV file (len bytes) in the export's columns — name required, phone, email, tags
 * (space-separated), declared attribute keys; id and created_at read and ignored — checked
 * whole first: ERR_UNPROCESSABLE with *problems (to free), a JSON array of {line, column,
 * reason}, and nothing written. Then each row updates the contact with its phone (else its
 * e-mail), or creates one; an empty cell leaves its field as it is. Emits contact.updated.
 */
int contact_import_csv(struct store_tx *tx, int64_t account_id, const char *csv, size_t len,
                       int64_t now, struct contact_import_result *out, json_t **problems,
                       struct error *e);

/* The declared attribute keys, oldest first, as a JSON array (to free); NULL on failure. */
json_t *contact_attribute_list(struct store_tx *tx, int64_t account_id, struct error *e);
/* ERR_INVALID for a bad key or label, ERR_CONFLICT when the key exists. *out (to free) is
 * the new key as JSON. */
int contact_attribute_create(struct store_tx *tx, int64_t account_id, const char *key,
                             const char *label, int64_t now, json_t **out, struct error *e);
/* Removes the key and every value of it. */
int contact_attribute_delete(struct store_tx *tx, int64_t account_id, const char *key,
                             struct error *e);

/* webchat.c */

/*
 * Web chat visitors: the browsers that chat through a web chat channel's widget. A visitor
 * holds a random token (wvt_…, only its hash is stored); its contact and conversation are
 * made by ingest on its first message, like any provider's customer (identity "web-<id>").
 * Visitors see their own messages and what was sent to them — nothing else.
 */
#define WEBCHAT_TOKEN_LEN       (4 + TOKEN_TEXT_LEN) /* "wvt_" + token, NUL included */
#define WEBCHAT_NAME_MAX        100
#define WEBCHAT_ADDRESS_MAX     64
#define WEBCHAT_SESSIONS_LIMIT  20                 /* new visitors per address per window */
#define WEBCHAT_SESSIONS_WINDOW (10LL * 60 * 1000) /* ms */
#define WEBCHAT_MESSAGES_LIMIT  20                 /* messages per visitor per window */
#define WEBCHAT_MESSAGES_WINDOW (60LL * 1000)      /* ms */
#define WEBCHAT_HISTORY_MAX     200                /* messages in one history answer */
#define WEBCHAT_TICKET_TTL_MS   (60LL * 1000)      /* how long a stream ticket may wait */

struct webchat_visitor {
	int64_t id;
	int64_t channel_id;
	int64_t identity_id; /* 0 until the first message */
	char name[WEBCHAT_NAME_MAX + 1];
	char email[USER_EMAIL_MAX + 1]; /* "" until given */
};

/* A new visitor of channel ch; *token_out is its token, shown this once. ERR_RATE_LIMITED,
 * with *retry_after_s, when the address started WEBCHAT_SESSIONS_LIMIT in the window. */
int webchat_visitor_create(struct store_tx *tx, const struct channel *ch, const char *name,
                           const char *address, int64_t now, char token_out[WEBCHAT_TOKEN_LEN],
                           struct webchat_visitor *out, int *retry_after_s, struct error *e);
/* The visitor holding token, on an active channel; ERR_UNAUTHENTICATED otherwise. */
int webchat_visitor_find(struct store_tx *tx, const char *token, struct webchat_visitor *out,
                         struct error *e);
/* A single-use ticket (wst_…, shown this once) that opens v's event stream within
 * WEBCHAT_TICKET_TTL_MS: EventSource puts it in the URL, where the token must never be. */
int webchat_ticket_issue(struct store_tx *tx, const struct webchat_visitor *v, int64_t now,
                         char ticket_out[WEBCHAT_TOKEN_LEN], struct error *e);
/* Spends ticket (deleting it) and finds its visitor; ERR_UNAUTHENTICATED when it is unknown,
 * spent or expired. Needs a write transaction. */
int webchat_ticket_take(struct store_tx *tx, const char *ticket, int64_t now,
                        struct webchat_visitor *out, struct error *e);
/* ERR_RATE_LIMITED (with *retry_after_s) when the visitor wrote WEBCHAT_MESSAGES_LIMIT
 * messages in the window, counted exactly across servers (the visitor's row is locked until
 * the transaction ends); notes that the visitor was seen, which a refusal's rollback undoes. */
int webchat_visitor_may_write(struct store_tx *tx, const struct webchat_visitor *v, int64_t now,
                              int *retry_after_s, struct error *e);
/* The visitor's messages after message id `after` (the newest WEBCHAT_HISTORY_MAX of them),
 * oldest first, as a JSON array of {id, direction, sender, type, text (null for a file without
 * a caption), status, created_at, agent_name, file ({url, name, size, mime_type} or null)}:
 * what it wrote, and what was sent to it. Those it gets for the first time become delivered. */
json_t *webchat_history(struct store_tx *tx, const struct webchat_visitor *v, int64_t after,
                        int64_t now, struct error *e);
/* The name and e-mail the visitor typed (the widget's form, when its channel asks), checked
 * (ERR_INVALID naming the field and its rule; nothing changed) and kept on the visitor; its
 * contact has them as soon as it exists. */
int webchat_visitor_set_contact(struct store_tx *tx, struct webchat_visitor *v, const char *name,
                                const char *email, struct error *e);
/* Gives the visitor's contact (when its first message made one) the name and e-mail the visitor
 * gave, where the contact has none of its own: an agent's edits are kept. */
int webchat_visitor_sync_contact(struct store_tx *tx, const struct webchat_visitor *v);
/* The file of message id as the visitor may read it (its own conversation; ours once sent):
 * ERR_NOT_FOUND otherwise. */
int webchat_message_file(struct store_tx *tx, const struct webchat_visitor *v, int64_t id,
                         struct message_file *out, struct error *e);
/* The demo's web chat: the oldest active web chat channel; ERR_NOT_FOUND when none. */
int webchat_demo_channel(struct store_tx *tx, struct channel *out, struct error *e);

#endif
