/*
 * Events: the store side (events_emit* inside the caller's transaction) and the hub, one
 * thread that reads the events table after each write commits here or another server's is
 * heard (store_listen), and every tick, and fans new rows out to its subscribers, writing to
 * their sockets (epoll tells it when a full one drains or a client went away). Locks: the
 * store's writer, then the hub's, which guards every subscriber; only the hub's thread frees
 * subscribers, so one stays valid while the hub's lock is held or on the hub's thread.
 */
#include "events/events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "visibility/visibility.h"

/* How often the hub looks for new events without a wake-up: often where nothing tells it of
 * other processes' commits (SQLite: the command line writes to the same file), seldom where
 * every commit is heard (docs/DECISIONS.md). Never slower than the heartbeat. */
#define TICK_MS        50
#define SAFETY_TICK_MS 1000
#define BATCH          256                /* events read at a time */
#define PRUNE_EVERY    (10LL * 60 * 1000) /* how often events past EVENTS_KEEP_MS are deleted */
#define CHECK_EVERY    1000               /* how often the streams' logins are checked */
#define EPOLL_BATCH    64                 /* socket events taken at a time */

/*
 * An event about a conversation carries its account, team and assignee as they are now, read
 * first (where): then the event is one row of VALUES. An INSERT … SELECT is a statement of
 * many rows to SQLite, which keeps a statement journal of every page it changes for it: the
 * read and the row cost less (docs/BENCHMARK.md). The columns that follow EVENT_COLUMNS:
 * $1 account, $2 conversation, $3 team, $4 assignee, $5 was team, $6 was assignee, $7 kind,
 * then data, created_at and is_for_visitor. In the data, a value that may be null is cast,
 * so that PostgreSQL knows its type.
 */
#define EVENT_COLUMNS                                                            \
	"INSERT INTO events (account_id, conversation_id, team_id, assignee_id," \
	" was_team_id, was_assignee_id, kind, data, created_at, is_for_visitor)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, "
#define EVENT_ARGS(w, was_team, was_assignee, kind)                                       \
	SV_INT((w)->account_id), SV_INT((w)->conversation_id), id_or_null((w)->team_id),  \
	    id_or_null((w)->assignee_id), id_or_null(was_team), id_or_null(was_assignee), \
	    SV_TEXT(kind)

struct where {
	int64_t account_id;
	int64_t conversation_id;
	int64_t team_id;     /* 0: none */
	int64_t assignee_id; /* 0: none */
	char status[16];     /* the conversation's */
};

static struct store_value id_or_null(int64_t id)
{
	return id > 0 ? SV_INT(id) : SV_NULL;
}

/* Where the conversation is now; 0, or ERR_NOT_FOUND when there is no such conversation. */
static int read_where(struct store_tx *tx, int64_t conversation_id, struct where *w)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT account_id, coalesce(team_id, 0), coalesce(assignee_id, 0),"
	                     " status FROM conversations WHERE id = $1",
	                     STORE_ARGS(SV_INT(conversation_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1) {
		*w = (struct where){ .account_id = store_int(r, 0),
			             .conversation_id = conversation_id,
			             .team_id = store_int(r, 1),
			             .assignee_id = store_int(r, 2) };
		snprintf(w->status, sizeof(w->status), "%s", store_text(r, 3));
	}
	store_rows_free(r);
	return rc < 0 ? rc : rc == 1 ? 0 : ERR_NOT_FOUND;
}

/*
 * Every event's data is a JSON object that the database builds (json_object()) in the
 * statement that inserts the event, from the values of the rows it is about: one statement,
 * and one way to write event JSON.
 */
int events_emit(struct store_tx *tx, int64_t conversation_id, const char *kind, const char *key,
                int64_t value, int64_t now)
{
	struct where w;
	int rc = read_where(tx, conversation_id, &w);
	if (rc == 0)
		rc = store_exec(tx,
		                EVENT_COLUMNS "json_object($8, $9, 'conversation_id', $2), $10, 0)",
		                STORE_ARGS(EVENT_ARGS(&w, w.team_id, w.assignee_id, kind),
		                           SV_TEXT(key), SV_INT(value), SV_INT(now)));
	return rc < 0 && rc != ERR_NOT_FOUND ? rc : 0;
}

/* What an event is about, for its webhook deliveries (0: not about one). */
struct about {
	int64_t account_id;
	int64_t event_id;
	int64_t conversation_id;
	int64_t message_id;
	int64_t contact_id;
	int64_t at;
};

/*
 * Outbound webhooks hear of events through their deliveries, queued here in the event's
 * transaction: one per enabled endpoint of the account that subscribes to the event's
 * webhook type (NULL: none). The endpoints are read first, so that an account with none (most
 * events) costs one read, and each delivery is one row of VALUES (see EVENT_COLUMNS).
 */
static int queue_webhooks(struct store_tx *tx, const char *type, const struct about *a)
{
	if (type == NULL)
		return 0;
	int64_t *ids;
	size_t n;
	int rc = store_get_ints(tx,
	                        "SELECT w.id FROM webhooks w JOIN webhook_subscriptions s"
	                        " ON s.webhook_id = w.id AND s.type = $2"
	                        " WHERE w.account_id = $1 AND w.is_enabled = 1 ORDER BY w.id",
	                        STORE_ARGS(SV_INT(a->account_id), SV_TEXT(type)), &ids, &n);
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = store_exec(
		    tx,
		    "INSERT INTO webhook_deliveries (account_id, webhook_id, event_id, type,"
		    " conversation_id, message_id, contact_id, state, next_attempt_at, created_at)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)",
		    STORE_ARGS(SV_INT(a->account_id), SV_INT(ids[i]), SV_INT(a->event_id),
		               SV_TEXT(type), id_or_null(a->conversation_id),
		               id_or_null(a->message_id), id_or_null(a->contact_id),
		               SV_INT(a->at)));
	free(ids);
	return rc < 0 ? rc : 0;
}

/* A conversation's event, for its deliveries. */
static struct about about_conversation(const struct where *w, int64_t event_id, int64_t at)
{
	return (struct about){ .account_id = w->account_id,
		               .event_id = event_id,
		               .conversation_id = w->conversation_id,
		               .at = at };
}

int events_emit_conversation_created(struct store_tx *tx, int64_t conversation_id, int64_t now)
{
	struct where w;
	int64_t id = 0;
	int rc = read_where(tx, conversation_id, &w);
	if (rc == 0)
		rc = store_get_int(
		    tx,
		    EVENT_COLUMNS "json_object('conversation_id', $2), $8, 0)"
		                  " RETURNING id",
		    STORE_ARGS(EVENT_ARGS(&w, w.team_id, w.assignee_id, "conversation.created"),
		               SV_INT(now)),
		    &id);
	if (rc < 0)
		return rc;
	struct about a = about_conversation(&w, id, now);
	return queue_webhooks(tx, "conversation.created", &a);
}

/* The data is built by the database, in the order events_emit would write it: one statement. A
 * web chat visitor hears of its outgoing messages once they are sent. */
int events_emit_message(struct store_tx *tx, const char *kind, int64_t message_id, int64_t now)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT v.account_id, v.id, coalesce(v.team_id, 0),"
	                     " coalesce(v.assignee_id, 0), m.direction, m.sender, m.status"
	                     " FROM messages m JOIN conversations v ON v.id = m.conversation_id"
	                     " WHERE m.id = $1",
	                     STORE_ARGS(SV_INT(message_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) != 1) {
		store_rows_free(r);
		return rc < 0 ? rc : ERR_NOT_FOUND;
	}
	struct where w = { .account_id = store_int(r, 0),
		           .conversation_id = store_int(r, 1),
		           .team_id = store_int(r, 2),
		           .assignee_id = store_int(r, 3) };
	char direction[8], sender[16], status[16]; /* the message's */
	snprintf(direction, sizeof(direction), "%s", store_text(r, 4));
	snprintf(sender, sizeof(sender), "%s", store_text(r, 5));
	snprintf(status, sizeof(status), "%s", store_text(r, 6));
	store_rows_free(r);
	bool is_for_visitor = strcmp(kind, "message.updated") == 0 &&
	                      strcmp(direction, "out") == 0 && strcmp(status, "sent") == 0;
	int64_t id = 0;
	rc = store_get_int(tx,
	                   EVENT_COLUMNS "json_object('message_id', $8, 'direction', $9,"
	                                 " 'sender', $10, 'status', $11, 'conversation_id', $2),"
	                                 " $12, $13) RETURNING id",
	                   STORE_ARGS(EVENT_ARGS(&w, w.team_id, w.assignee_id, kind),
	                              SV_INT(message_id), SV_TEXT(direction), SV_TEXT(sender),
	                              SV_TEXT(status), SV_INT(now), SV_INT(is_for_visitor)),
	                   &id);
	struct about a = about_conversation(&w, id, now);
	a.message_id = message_id;
	return rc < 0 ? rc : queue_webhooks(tx, kind, &a);
}

int events_emit_messages(struct store_tx *tx, const char *kind, int64_t now, const char *sql,
                         const struct store_value *args, int nargs)
{
	int64_t *ids;
	size_t n;
	int rc = store_get_ints(tx, sql, args, nargs, &ids, &n);
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = events_emit_message(tx, kind, ids[i], now);
	free(ids);
	return rc < 0 ? rc : (int)n;
}

/* The webhook type of a conversation.updated (NULL: none): who it is assigned to, the team it
 * moved to (by hand or by routing), its resolution, the customer's rating. */
static int conversation_webhook_type(struct store_tx *tx, int64_t conversation_id,
                                     const char *action, bool is_team_changed, const char **type)
{
	*type = NULL;
	if (strcmp(action, "assignment") == 0)
		*type = "conversation.assigned";
	else if (strcmp(action, "transfer") == 0 ||
	         (strcmp(action, "routing") == 0 && is_team_changed))
		*type = "conversation.transferred";
	else if (strcmp(action, "csat") == 0)
		*type = "csat.answered";
	if (strcmp(action, "status") != 0)
		return 0;
	int64_t is_resolved = 0;
	int rc = store_get_int(tx, "SELECT status = 'resolved' FROM conversations WHERE id = $1",
	                       STORE_ARGS(SV_INT(conversation_id)), &is_resolved);
	if (rc == 0 && is_resolved)
		*type = "conversation.resolved";
	return rc;
}

int events_emit_conversation(struct store_tx *tx, int64_t conversation_id, const char *action,
                             const struct events_place *before, int64_t now)
{
	struct where w;
	int rc = read_where(tx, conversation_id, &w);
	if (rc < 0)
		return rc;
	int64_t was_team = before != NULL ? before->team_id : w.team_id;
	int64_t was_assignee = before != NULL ? before->assignee_id : w.assignee_id;
	int64_t id = 0;
	rc = store_get_int(
	    tx,
	    EVENT_COLUMNS "json_object('status', $8, 'action', $9, 'team_id', CAST($3 AS BIGINT),"
	                  " 'assignee_id', CAST($4 AS BIGINT), 'conversation_id', $2), $10, 0)"
	                  " RETURNING id",
	    STORE_ARGS(EVENT_ARGS(&w, was_team, was_assignee, "conversation.updated"),
	               SV_TEXT(w.status), SV_TEXT(action), SV_INT(now)),
	    &id);
	if (rc < 0)
		return rc;
	const char *type;
	rc = conversation_webhook_type(tx, conversation_id, action, w.team_id != was_team, &type);
	struct about a = about_conversation(&w, id, now);
	return rc < 0 ? rc : queue_webhooks(tx, type, &a);
}

/* While the conversation and its events still have no team and no assignee (a welcome waits
 * for the answer), there is nothing to rewrite, and no row is written. */
int events_place_new(struct store_tx *tx, int64_t conversation_id)
{
	int rc = store_exec(tx,
	                    "UPDATE events SET (team_id, assignee_id, was_team_id, was_assignee_id)"
	                    " = (SELECT v.team_id, v.assignee_id, v.team_id, v.assignee_id"
	                    " FROM conversations v WHERE v.id = $1) WHERE conversation_id = $1"
	                    " AND (EXISTS (SELECT 1 FROM conversations v WHERE v.id = $1"
	                    " AND (v.team_id IS NOT NULL OR v.assignee_id IS NOT NULL))"
	                    " OR EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = $1"
	                    " AND (e.team_id IS NOT NULL OR e.assignee_id IS NOT NULL"
	                    " OR e.was_team_id IS NOT NULL OR e.was_assignee_id IS NOT NULL)))",
	                    STORE_ARGS(SV_INT(conversation_id)));
	return rc < 0 ? rc : 0;
}

int events_emit_contact(struct store_tx *tx, int64_t account_id, int64_t contact_id,
                        int64_t user_id, const char *kind, int64_t now)
{
	int64_t id = 0;
	int rc = store_get_int(
	    tx,
	    "INSERT INTO events (account_id, contact_id, user_id, kind, data,"
	    " created_at) VALUES ($1, $2, $3, $4, json_object('contact_id', $2), $5) RETURNING id",
	    STORE_ARGS(SV_INT(account_id), SV_INT(contact_id),
	               user_id > 0 ? SV_INT(user_id) : SV_NULL, SV_TEXT(kind), SV_INT(now)),
	    &id);
	/* The admins' copy of a change stands for it: the agents' copies repeat it. */
	struct about a = {
		.account_id = account_id, .event_id = id, .contact_id = contact_id, .at = now
	};
	return rc < 0 ? rc : queue_webhooks(tx, user_id > 0 ? NULL : kind, &a);
}

/* A subscriber; all of it under the hub's lock. */
struct events_sub {
	struct events_sub *next; /* the hub's list */
	struct events_hub *hub;
	struct actor who; /* refreshed by the login check, on the hub's thread */
	struct events_login login;
	int64_t identity_id;            /* a web chat visitor's stream: only what was sent to it */
	char address[INET6_ADDRSTRLEN]; /* the client's, for the per-address cap */
	int64_t after_id;               /* the last event considered */
	int64_t last_write_ms;          /* for the heartbeat; the hub's thread only */
	int fd;                         /* the client's socket once started, else -1 */
	struct buf out;                 /* text not yet sent, from `sent` on; freed once sent */
	size_t sent;
	bool is_out_watched; /* epoll reports when the socket can take more */
	bool is_held;   /* it holds EVENTS_HOLD_MAX unsent: no more until the socket drains half */
	bool is_ending; /* ends once its text is sent */
	bool is_closed; /* its socket is closed (or it was never started): free it */
};

struct events_hub {
	struct store *st;
	int heartbeat_ms;
	int tick_ms;     /* TICK_MS or, when other servers' commits are heard, SAFETY_TICK_MS */
	int per_user;    /* streams one user (or visitor) may have open */
	int per_address; /* streams one client address may have open */
	int total;       /* streams the server has descriptors for (0: not set yet) */
	pthread_t thread;
	pthread_mutex_t lock;
	int epoll;   /* the started subscribers' sockets, and poke_fd */
	int poke_fd; /* an eventfd: a round is asked for */
	bool is_stopping;
	bool is_poked; /* a write committed since the last round began */
	bool is_ending;
	struct events_sub *subs;
	void (*listener)(void *arg); /* events_hub_listen's */
	void *listener_arg;
	int64_t next_prune_at;
	int64_t next_check_at;
	int presence_grace_ms; /* 0: presence is not kept */
	int64_t next_presence_at;
};

/* One event as the hub distributes it. */
struct row {
	int64_t id;
	int64_t account_id;
	int64_t team_id;     /* 0: none (the general inbox, or an account-wide event) */
	int64_t assignee_id; /* 0: nobody */
	int64_t was_team_id; /* before the change: whoever saw it there sees the event too */
	int64_t was_assignee_id;
	int64_t contact_id; /* an event about a contact: for user_id only, or 0: the admins */
	int64_t user_id;
	int64_t identity_id; /* the conversation's contact identity; 0 when none */
	bool is_for_visitor; /* written for web chat visitors: a message of theirs was sent */
	struct buf frame;    /* the SSE text */
};

static void sub_free(struct events_sub *s)
{
	sodium_memzero(s->login.token, sizeof(s->login.token));
	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->out);
	free(s);
}

/* Asks the hub's thread for a round. Called with the hub's lock held. */
static void nudge(struct events_hub *h)
{
	h->is_poked = true;
	uint64_t one = 1;
	if (write(h->poke_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("events: cannot wake the hub: %s", strerror(errno));
}

/* The socket is done with (the stream ended, or the client went away): closed now, the
 * subscriber freed by the next round. */
static void sub_end(struct events_hub *h, struct events_sub *s)
{
	if (s->fd >= 0) {
		epoll_ctl(h->epoll, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
	s->is_closed = true;
	nudge(h);
}

/* Sends what the socket takes without blocking; epoll watches for room when some is left. */
static void sub_flush(struct events_hub *h, struct events_sub *s)
{
	if (s->fd < 0)
		return;
	while (s->sent < s->out.len) {
		ssize_t n = send(s->fd, s->out.data + s->sent, s->out.len - s->sent,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			s->sent += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			break;
		else if (n == 0 || errno != EINTR) { /* the client went away */
			sub_end(h, s);
			return;
		}
	}
	size_t pending = s->out.len - s->sent;
	if (pending == 0) { /* an idle stream holds no buffer */
		buf_free(&s->out);
		s->sent = 0;
	} else if (s->sent > s->out.len / 2) { /* a reader that lags keeps it bounded */
		s->out.len -= s->sent;
		memmove(s->out.data, s->out.data + s->sent, s->out.len + 1);
		s->sent = 0;
	}
	if (s->is_held && pending < EVENTS_HOLD_MAX / 2) {
		s->is_held = false; /* the next round gives it what it missed */
		nudge(h);
	}
	if (pending == 0 && s->is_ending) {
		sub_end(h, s);
		return;
	}
	if (s->is_out_watched != (pending > 0)) {
		s->is_out_watched = pending > 0;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP |
			                            (s->is_out_watched ? EPOLLOUT : 0),
			                  .data.ptr = s };
		epoll_ctl(h->epoll, EPOLL_CTL_MOD, s->fd, &ev);
	}
}

/* The client sent something: its end (then the socket is closed), or bytes that mean nothing
 * on a stream, dropped. */
static void sub_hear(struct events_hub *h, struct events_sub *s)
{
	char scrap[256];
	ssize_t n = recv(s->fd, scrap, sizeof(scrap), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		sub_end(h, s);
}

/* Appends text and sends what the socket takes. Called with the hub's lock held. */
static void sub_push(struct events_hub *h, struct events_sub *s, const char *text, size_t len)
{
	buf_append(&s->out, text, len);
	sub_flush(h, s);
}

/* Whether the subscriber holds as much unsent text as it may: then it gets nothing more (its
 * place in the store stays where it is) until its socket drains half of it. */
static bool sub_is_held(struct events_sub *s)
{
	if (s->out.len - s->sent >= EVENTS_HOLD_MAX)
		s->is_held = true;
	return s->is_held;
}

/* Unlinks and frees the subscribers whose socket is closed; the smallest after_id of the
 * others that may take more, or -1 when there are none. Called with the hub's lock held. */
static int64_t sweep(struct events_hub *h)
{
	int64_t min_after = -1;
	for (struct events_sub **p = &h->subs; *p != NULL;) {
		struct events_sub *s = *p;
		if (s->is_closed) {
			*p = s->next;
			sub_free(s);
			continue;
		}
		if (!sub_is_held(s) && (min_after < 0 || s->after_id < min_after))
			min_after = s->after_id;
		p = &s->next;
	}
	return min_after;
}

static int read_rows(struct store_tx *tx, int64_t after, struct row *rows, int *n)
{
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT e.id, e.account_id, coalesce(e.team_id, 0),"
	    " coalesce(e.assignee_id, 0), coalesce(e.was_team_id, 0),"
	    " coalesce(e.was_assignee_id, 0), e.kind, e.data, coalesce(e.contact_id, 0),"
	    " coalesce(e.user_id, 0), coalesce(c.identity_id, 0), e.is_for_visitor FROM events e"
	    " LEFT JOIN conversations c ON c.id = e.conversation_id"
	    " WHERE e.id > $1 ORDER BY e.id LIMIT $2",
	    STORE_ARGS(SV_INT(after), SV_INT(BATCH)), &r);
	if (rc < 0)
		return rc;
	*n = 0;
	while ((rc = store_next(r)) == 1) {
		struct row *w = &rows[(*n)++];
		memset(w, 0, sizeof(*w));
		w->id = store_int(r, 0);
		w->account_id = store_int(r, 1);
		w->team_id = store_int(r, 2);
		w->assignee_id = store_int(r, 3);
		w->was_team_id = store_int(r, 4);
		w->was_assignee_id = store_int(r, 5);
		w->contact_id = store_int(r, 8);
		w->user_id = store_int(r, 9);
		w->identity_id = store_int(r, 10);
		w->is_for_visitor = store_int(r, 11) != 0;
		buf_printf(&w->frame, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)w->id,
		           store_text(r, 6), store_text(r, 7));
	}
	store_rows_free(r);
	return rc;
}

static int read_memberships(struct store_tx *tx, struct team_membership **out, size_t *n)
{
	struct store_rows *r;
	int rc = store_query(tx, "SELECT user_id, team_id FROM team_members", STORE_NO_ARGS, &r);
	if (rc < 0)
		return rc;
	size_t cap = 0;
	while ((rc = store_next(r)) == 1) {
		*out = xgrow(*out, &cap, *n, sizeof(**out));
		(*out)[(*n)++] = (struct team_membership){ store_int(r, 0), store_int(r, 1) };
	}
	store_rows_free(r);
	return rc;
}

/* Whether the subscriber may see the event: the conversation where it was when the event
 * happened, or where it was just before (a transfer away tells the old team it left). A
 * visitor sees only its own conversation's messages as they leave the outbox. */
static bool is_visible(const struct events_sub *s, const struct row *w,
                       const struct team_membership *m, size_t nm)
{
	const struct actor *who = &s->who;
	if (s->identity_id != 0)
		return w->identity_id == s->identity_id && w->is_for_visitor;
	if (w->account_id != who->account_id)
		return false;
	if (w->contact_id > 0) /* its audience was decided when it happened */
		return w->user_id > 0 ? w->user_id == who->user_id : who->role == ROLE_ADMIN;
	return visibility_sees(who, w->account_id, w->team_id, w->assignee_id, m, nm) ||
	       visibility_sees(who, w->account_id, w->was_team_id, w->was_assignee_id, m, nm);
}

/*
 * Gives every subscriber the rows it may see and has not had, and heartbeats to idle ones. The
 * rows are those after `after`: a subscriber whose place is before that (it came, or stopped
 * being held, after the sweep) waits for the next round, which starts from its place —
 * returns true when there is one. A subscriber whose next events may have been deleted as too
 * old (its place is before the oldest kept id) gets a reset first; a hole in the ids above the
 * oldest is a transaction that rolled back (PostgreSQL's sequences do not take ids back), and
 * nothing was missed there.
 */
static bool distribute(struct events_hub *h, int64_t after, int64_t oldest, const struct row *rows,
                       int n, const struct team_membership *m, size_t nm, int64_t now)
{
	struct buf text = BUF_INIT;
	bool is_behind = false;
	pthread_mutex_lock(&h->lock);
	for (struct events_sub *s = h->subs; s != NULL; s = s->next) {
		buf_reset(&text);
		if (s->is_closed || s->is_ending || sub_is_held(s))
			continue;
		if (n > 0 && s->after_id < after) {
			is_behind = true;
			continue;
		}
		if (n > 0 && s->after_id < oldest - 1)
			buf_printf(&text, "id: %lld\nevent: reset\ndata: {}\n\n",
			           (long long)(oldest - 1));
		for (int i = 0; i < n; i++) {
			if (rows[i].id <= s->after_id)
				continue;
			s->after_id = rows[i].id;
			if (is_visible(s, &rows[i], m, nm))
				buf_append(&text, rows[i].frame.data, rows[i].frame.len);
		}
		if (text.len == 0 && now - s->last_write_ms >= h->heartbeat_ms)
			buf_puts(&text, ": ping\n\n");
		if (text.len == 0)
			continue;
		s->last_write_ms = now;
		sub_push(h, s, text.data, text.len);
	}
	pthread_mutex_unlock(&h->lock);
	buf_free(&text);
	return is_behind;
}

static void prune(struct events_hub *h, int64_t now)
{
	struct store_tx *tx = store_begin(h->st, STORE_WRITE);
	if (tx == NULL)
		return;
	/* The newest event stays, so its id still tells how far the sequence went. */
	int rc = store_exec(tx,
	                    "DELETE FROM events WHERE created_at < $1"
	                    " AND id < (SELECT max(id) FROM events)",
	                    STORE_ARGS(SV_INT(now - EVENTS_KEEP_MS)));
	rc = rc >= 0 ? store_commit(tx) : (store_rollback(tx), rc);
	if (rc < 0)
		log_error("events: could not delete old events; trying again later");
	h->next_prune_at = now + PRUNE_EVERY;
}

/* Ends the streams whose login no longer holds, and follows a change of role in those that
 * do. Runs on the hub's thread, which alone unlinks subscribers, so the list from a head read
 * under the lock stays valid; new subscribers are put before that head. */
static void check_logins(struct events_hub *h, int64_t now)
{
	h->next_check_at = now + CHECK_EVERY;
	pthread_mutex_lock(&h->lock);
	struct events_sub *first = h->subs;
	pthread_mutex_unlock(&h->lock);
	if (first == NULL)
		return;
	struct store_tx *tx = store_begin(h->st, STORE_READ);
	if (tx == NULL)
		return;
	for (struct events_sub *s = first; s != NULL; s = s->next) {
		if (s->identity_id != 0) /* a visitor: no login to check */
			continue;
		struct actor who;
		char csrf[TOKEN_TEXT_LEN];
		struct error e;
		int rc = s->login.is_session
		             ? auth_session_lookup(tx, s->login.token, now, &who, csrf, &e)
		             : auth_token_lookup(tx, s->login.token, now, &who, &e);
		if (rc == 0) {
			pthread_mutex_lock(&h->lock);
			s->who = who;
			pthread_mutex_unlock(&h->lock);
		} else if (rc == ERR_UNAUTHENTICATED) {
			pthread_mutex_lock(&h->lock);
			s->is_ending = true;
			sub_flush(h, s);
			pthread_mutex_unlock(&h->lock);
		}
	}
	store_rollback(tx);
}

/*
 * Presence, twice a grace period: the users with a stream open here were there now, and
 * whoever is online but was last there (on any server) more than the grace ago goes away —
 * their last tab closed. The database holds it, so servers sharing it agree.
 */
static void keep_presence(struct events_hub *h, int64_t now)
{
	h->next_presence_at = now + h->presence_grace_ms / 2;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	pthread_mutex_lock(&h->lock);
	for (struct events_sub *s = h->subs; s != NULL; s = s->next) {
		if (s->identity_id != 0 || s->is_closed)
			continue;
		size_t i = 0;
		while (i < n && ids[i] != s->who.user_id)
			i++;
		if (i < n)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = s->who.user_id;
	}
	pthread_mutex_unlock(&h->lock);
	struct store_tx *tx = store_begin(h->st, STORE_WRITE);
	int rc = tx != NULL ? user_presence_seen(tx, ids, n, now) : ERR_UNAVAILABLE;
	if (rc >= 0)
		rc = user_presence_expire(tx, now - h->presence_grace_ms, now);
	if (tx != NULL)
		rc = rc >= 0 ? store_commit(tx) : (store_rollback(tx), rc);
	if (rc < 0)
		log_error("events: could not keep the users' presence; trying again later");
	free(ids);
}

/* One round: 1 when a full batch was read (more may be waiting), else 0. */
static int tick(struct events_hub *h)
{
	int64_t now = clock_now_ms();
	if (now >= h->next_prune_at)
		prune(h, now);
	if (now >= h->next_check_at)
		check_logins(h, now);
	if (h->presence_grace_ms > 0 && now >= h->next_presence_at)
		keep_presence(h, now);
	pthread_mutex_lock(&h->lock);
	int64_t after = sweep(h);
	pthread_mutex_unlock(&h->lock);
	if (after < 0)
		return 0;
	struct row rows[BATCH];
	struct team_membership *m = NULL;
	size_t nm = 0;
	int n = 0;
	int64_t oldest = 0;
	struct store_tx *tx = store_begin(h->st, STORE_READ);
	int rc = tx != NULL ? read_rows(tx, after, rows, &n) : ERR_UNAVAILABLE;
	if (rc >= 0 && n > 0)
		rc = read_memberships(tx, &m, &nm);
	if (rc >= 0 && n > 0)
		rc = store_get_int(tx, "SELECT min(id) FROM events", STORE_NO_ARGS, &oldest);
	store_rollback(tx);
	bool is_behind = false;
	if (rc < 0)
		log_error("events: cannot read new events; trying again shortly");
	else
		is_behind = distribute(h, after, oldest, rows, n, m, nm, now);
	for (int i = 0; i < n; i++)
		buf_free(&rows[i].frame);
	free(m);
	return rc >= 0 && (n == BATCH || is_behind);
}

/* Serves the sockets until a round is asked for or ms passed. */
static void serve_sockets(struct events_hub *h, int ms)
{
	int64_t until = clock_mono_us() / 1000 + ms;
	for (int64_t left = ms; left > 0; left = until - clock_mono_us() / 1000) {
		struct epoll_event ev[EPOLL_BATCH];
		int n = epoll_wait(h->epoll, ev, EPOLL_BATCH, (int)left);
		pthread_mutex_lock(&h->lock);
		for (int i = 0; i < n; i++) {
			struct events_sub *s = ev[i].data.ptr;
			if (s == NULL) {
				uint64_t count;
				if (read(h->poke_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
					log_error("events: cannot read the hub's wake-ups");
				h->is_poked = true;
				continue;
			}
			/* Freed only by the next round: an ended one is still there, closed. */
			if (!s->is_closed && (ev[i].events & ~(uint32_t)EPOLLOUT) != 0)
				sub_hear(h, s);
			if (!s->is_closed && (ev[i].events & EPOLLOUT) != 0)
				sub_flush(h, s);
		}
		bool is_done = h->is_poked || h->is_stopping;
		pthread_mutex_unlock(&h->lock);
		if (is_done)
			return;
	}
}

static void *run(void *arg)
{
	struct events_hub *h = arg;
	pthread_mutex_lock(&h->lock);
	while (!h->is_stopping) {
		h->is_poked = false;
		pthread_mutex_unlock(&h->lock);
		int is_more = tick(h);
		pthread_mutex_lock(&h->lock);
		if (is_more || h->is_poked || h->is_stopping)
			continue;
		pthread_mutex_unlock(&h->lock);
		serve_sockets(h, h->tick_ms);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Another server recorded events (store_listen): one more round. */
static void wake(void *arg)
{
	struct events_hub *h = arg;
	pthread_mutex_lock(&h->lock);
	nudge(h);
	pthread_mutex_unlock(&h->lock);
}

/* A write transaction committed here: it may have written events. */
static void poke(void *arg)
{
	struct events_hub *h = arg;
	pthread_mutex_lock(&h->lock);
	nudge(h);
	/* Under the lock, so the listener is never called once events_hub_listen removed it. */
	if (h->listener != NULL)
		h->listener(h->listener_arg);
	pthread_mutex_unlock(&h->lock);
}

void events_hub_listen(struct events_hub *h, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&h->lock);
	h->listener = fn;
	h->listener_arg = arg;
	pthread_mutex_unlock(&h->lock);
}

struct events_hub *events_hub_start(struct store *st, const struct config *c, struct error *e)
{
	struct events_hub *h = xcalloc(1, sizeof(*h));
	h->st = st;
	h->heartbeat_ms = c->sse_heartbeat_ms;
	h->presence_grace_ms = c->presence_grace_ms;
	h->per_user = c->streams_per_user;
	h->per_address = c->streams_per_address;
	pthread_mutex_init(&h->lock, NULL);
	h->epoll = epoll_create1(EPOLL_CLOEXEC);
	h->poke_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	bool is_ready = h->epoll >= 0 && h->poke_fd >= 0 &&
	                epoll_ctl(h->epoll, EPOLL_CTL_ADD, h->poke_fd, &ev) == 0;
	h->tick_ms = TICK_MS;
	if (is_ready && store_listen(st, wake, h) == 1)
		h->tick_ms = h->heartbeat_ms < SAFETY_TICK_MS ? h->heartbeat_ms : SAFETY_TICK_MS;
	if (!is_ready || thread_start(&h->thread, "event-hub", run, h) != 0) {
		store_listen(st, NULL, NULL);
		if (h->epoll >= 0)
			close(h->epoll);
		if (h->poke_fd >= 0)
			close(h->poke_fd);
		pthread_mutex_destroy(&h->lock);
		free(h);
		error_set(e, ERR_UNAVAILABLE, "cannot start the event hub's thread");
		return NULL;
	}
	store_on_commit(st, poke, h);
	return h;
}

void events_hub_end(struct events_hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->is_ending = true;
	for (struct events_sub *s = h->subs; s != NULL; s = s->next) {
		s->is_ending = true;
		sub_flush(h, s);
	}
	pthread_mutex_unlock(&h->lock);
}

void events_hub_set_total(struct events_hub *h, int streams)
{
	pthread_mutex_lock(&h->lock);
	h->total = streams;
	pthread_mutex_unlock(&h->lock);
}

int events_hub_streams(struct events_hub *h)
{
	int n = 0;
	pthread_mutex_lock(&h->lock);
	for (const struct events_sub *s = h->subs; s != NULL; s = s->next)
		n++;
	pthread_mutex_unlock(&h->lock);
	return n;
}

void events_hub_stop(struct events_hub *h)
{
	if (h == NULL)
		return;
	store_on_commit(h->st, NULL, NULL);
	store_listen(h->st, NULL, NULL);
	pthread_mutex_lock(&h->lock);
	h->is_stopping = true;
	nudge(h);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	while (h->subs != NULL) {
		struct events_sub *s = h->subs;
		h->subs = s->next;
		sub_free(s);
	}
	close(h->epoll);
	close(h->poke_fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* The oldest and newest ids kept (0 and 0 when there are none). */
static int read_range(struct store *st, int64_t *oldest, int64_t *newest, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	struct store_rows *r;
	/* One subquery each: SQLite answers a lone min() or max() from the index's end, but scans
	 * the whole table for both in one SELECT. */
	int rc = store_query(tx,
	                     "SELECT coalesce((SELECT min(id) FROM events), 0),"
	                     " coalesce((SELECT max(id) FROM events), 0)",
	                     STORE_NO_ARGS, &r);
	if (rc >= 0 && (rc = store_next(r)) == 1) {
		*oldest = store_int(r, 0);
		*newest = store_int(r, 1);
	}
	if (rc >= 0)
		store_rows_free(r);
	store_rollback(tx);
	return store_failed(e, rc);
}

/* 0 when s may join the hub's subscribers; otherwise the cap it meets, in e. Called with the
 * hub's lock held. */
static int over_cap(const struct events_hub *h, const struct events_sub *s, struct error *e)
{
	int all = 0, of_user = 0, of_address = 0;
	for (const struct events_sub *o = h->subs; o != NULL; o = o->next) {
		all++;
		of_user += s->identity_id != 0
		               ? o->identity_id == s->identity_id
		               : o->identity_id == 0 && o->who.user_id == s->who.user_id &&
		                     o->who.account_id == s->who.account_id;
		of_address += strcmp(o->address, s->address) == 0;
	}
	if (of_user >= h->per_user)
		return error_set(
		    e, ERR_RATE_LIMITED,
		    "this login has as many event streams open as allowed; close one first");
	if (of_address >= h->per_address)
		return error_set(
		    e, ERR_RATE_LIMITED,
		    "this address has as many event streams open as allowed; close one first");
	if (h->total > 0 && all >= h->total)
		return error_set(e, ERR_UNAVAILABLE,
		                 "the server holds as many event streams as it has descriptors for;"
		                 " try again later");
	return 0;
}

static int subscribe(struct events_hub *h, const struct actor *who,
                     const struct events_login *login, int64_t identity_id, const char *address,
                     int64_t last_id, struct events_sub **out, struct error *e)
{
	int64_t oldest = 0, newest = 0;
	int rc = read_range(h->st, &oldest, &newest, e);
	if (rc < 0)
		return rc;
	/* Events are deleted oldest first, so last_id resumes when it is not before the oldest
	 * kept (holes above it are ids that rolled back). */
	bool is_reset = last_id > newest || (last_id >= 0 && oldest > 0 && last_id < oldest - 1);
	struct events_sub *s = xcalloc(1, sizeof(*s));
	s->hub = h;
	s->who = *who;
	s->login = *login;
	s->identity_id = identity_id;
	snprintf(s->address, sizeof(s->address), "%s", address);
	s->after_id = last_id >= 0 && !is_reset ? last_id : newest;
	s->last_write_ms = clock_now_ms();
	s->fd = -1;
	buf_puts(&s->out, "retry: 2000\n\n");
	if (is_reset)
		buf_printf(&s->out, "id: %lld\nevent: reset\ndata: {}\n\n", (long long)newest);
	pthread_mutex_lock(&h->lock);
	bool is_ending = h->is_ending;
	rc =
	    is_ending ? error_set(e, ERR_UNAVAILABLE, "the server is stopping") : over_cap(h, s, e);
	if (rc == 0) {
		s->next = h->subs;
		h->subs = s;
	}
	pthread_mutex_unlock(&h->lock);
	if (rc < 0) {
		sub_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int events_subscribe(struct events_hub *h, const struct actor *who,
                     const struct events_login *login, const char *address, int64_t last_id,
                     struct events_sub **out, struct error *e)
{
	return subscribe(h, who, login, 0, address, last_id, out, e);
}

int events_subscribe_visitor(struct events_hub *h, int64_t identity_id, const char *address,
                             int64_t last_id, struct events_sub **out, struct error *e)
{
	return subscribe(h, &(struct actor){ 0 }, &(struct events_login){ 0 }, identity_id, address,
	                 last_id, out, e);
}

void events_sub_start(struct events_sub *s, int fd, const char *head, size_t len)
{
	struct events_hub *h = s->hub;
	struct buf text = BUF_INIT;
	buf_append(&text, head, len);
	pthread_mutex_lock(&h->lock);
	buf_append(&text, s->out.data + s->sent, s->out.len - s->sent);
	buf_free(&s->out);
	s->out = text;
	s->sent = 0;
	s->fd = fd;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = s };
	if (epoll_ctl(h->epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("events: cannot watch a stream's socket: %s", strerror(errno));
		close(fd);
		s->fd = -1;
		s->is_closed = true;
		nudge(h);
	} else {
		sub_flush(h, s);
	}
	pthread_mutex_unlock(&h->lock);
}

void events_sub_close(struct events_sub *s)
{
	pthread_mutex_lock(&s->hub->lock);
	s->is_closed = true;
	nudge(s->hub); /* freed by the next round, so it no longer counts against the caps */
	pthread_mutex_unlock(&s->hub->lock);
}
