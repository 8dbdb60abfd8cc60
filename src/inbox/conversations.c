/*
 * Conversations and their messages, through the visibility rule (CONVERSATION_VISIBLE):
 * every query that touches a conversation for a person goes through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "inbox/inbox.h"
#include "outbox/outbox.h"

/* $1 account, $2 user, $3 1 for admins: what the actor may see of `conversations v`. */
#define CONVERSATION_VISIBLE                                                        \
	" v.account_id = $1 AND ($3 = 1 OR v.team_id IS NULL OR v.assignee_id = $2" \
	" OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = v.team_id"    \
	" AND tm.user_id = $2))"

#define CONVERSATION_COLUMNS                                                                \
	"v.id, v.account_id, v.channel_id, ch.kind, v.contact_id, c.name, v.status,"        \
	" coalesce(v.team_id, 0), coalesce(v.assignee_id, 0), v.routing_attempts,"          \
	" coalesce(v.last_customer_at, 0), v.last_activity_at, coalesce(v.resolved_at, 0)," \
	" v.created_at, v.updated_at FROM conversations v"                                  \
	" JOIN channels ch ON ch.id = v.channel_id JOIN contacts c ON c.id = v.contact_id"

static void read_conversation(struct store_rows *r, struct conversation *c)
{
	memset(c, 0, sizeof(*c));
	c->id = store_int(r, 0);
	c->account_id = store_int(r, 1);
	c->channel_id = store_int(r, 2);
	channel_kind_parse(store_text(r, 3), &c->kind);
	c->contact_id = store_int(r, 4);
	snprintf(c->contact_name, sizeof(c->contact_name), "%s", store_text(r, 5));
	snprintf(c->status, sizeof(c->status), "%s", store_text(r, 6));
	c->team_id = store_int(r, 7);
	c->assignee_id = store_int(r, 8);
	c->routing_attempts = (int)store_int(r, 9);
	c->last_customer_at = store_int(r, 10);
	c->last_activity_at = store_int(r, 11);
	c->resolved_at = store_int(r, 12);
	c->created_at = store_int(r, 13);
	c->updated_at = store_int(r, 14);
}

int conversation_get(struct store_tx *tx, const struct actor *who, int64_t id,
                     struct conversation *out, struct error *e)
{
	struct store_rows *r;
	int rc = store_query(
	    tx, "SELECT " CONVERSATION_COLUMNS " WHERE" CONVERSATION_VISIBLE " AND v.id = $4",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	               SV_INT(who->role == ROLE_ADMIN), SV_INT(id)),
	    &r);
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	if ((rc = store_next(r)) == 1)
		read_conversation(r, out);
	store_rows_free(r);
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	return rc == 1 ? 0 : error_set(e, ERR_NOT_FOUND, "no such conversation");
}

bool conversation_window_is_open(const struct conversation *c, int64_t now)
{
	if (c->kind == CHANNEL_TELEGRAM)
		return true;
	return c->last_customer_at > 0 && now - c->last_customer_at < REPLY_WINDOW_MS;
}

int conversation_reply(struct store_tx *tx, const struct actor *who, int64_t id, const char *text,
                       int64_t now, int64_t *first_id, size_t *parts, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	if (!conversation_window_is_open(&c, now))
		return error_set(
		    e, ERR_CONFLICT,
		    "more than 24 hours have passed since the customer's last message: "
		    "%s does not take a free-form reply now",
		    channel_kind_name(c.kind));
	/* A human reply ends routing; replying to a resolved conversation reopens it. */
	if (strcmp(c.status, "routing") == 0) {
		struct router_event takeover = { .kind = ROUTER_HUMAN_TAKEOVER };
		rc = routing_step(tx, id, &takeover, now, NULL, e);
		if (rc < 0)
			return rc;
	}
	rc = store_exec(tx,
	                "UPDATE conversations SET status = 'open', updated_at = $2 WHERE id = $1"
	                " AND status IN ('resolved', 'snoozed')",
	                STORE_ARGS(SV_INT(id), SV_INT(now)));
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	struct outbox_text t = { .account_id = c.account_id,
		                 .conversation_id = c.id,
		                 .channel_id = c.channel_id,
		                 .kind = c.kind,
		                 .sender = "agent",
		                 .author_id = who->user_id,
		                 .text = text };
	return outbox_enqueue(tx, &t, now, first_id, parts, e);
}

static char *text_or_null(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? NULL : xstrdup(store_text(r, col));
}

int message_list(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                 int64_t before_id, int limit, struct message **out, size_t *n, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, conversation_id, &c, e);
	if (rc < 0)
		return rc;
	struct store_rows *r;
	rc = store_query(
	    tx,
	    "SELECT id, conversation_id, direction, sender, coalesce(author_id, 0), type,"
	    " raw_type, text, details, status, coalesce(error_code, 0), error_title,"
	    " coalesce(edited_at, 0), created_at FROM messages"
	    " WHERE conversation_id = $1 AND ($2 = 0 OR id < $2)"
	    " ORDER BY id DESC LIMIT $3",
	    STORE_ARGS(SV_INT(conversation_id), SV_INT(before_id), SV_INT(limit)), &r);
	if (rc < 0)
		return error_set(e, rc, "the store failed");
	struct message *list = NULL;
	size_t len = 0, cap = 0;
	while ((rc = store_next(r)) == 1) {
		list = xgrow(list, &cap, len, sizeof(*list));
		struct message *m = &list[len++];
		memset(m, 0, sizeof(*m));
		m->id = store_int(r, 0);
		m->conversation_id = store_int(r, 1);
		m->is_inbound = strcmp(store_text(r, 2), "in") == 0;
		snprintf(m->sender, sizeof(m->sender), "%s", store_text(r, 3));
		m->author_id = store_int(r, 4);
		snprintf(m->type, sizeof(m->type), "%s", store_text(r, 5));
		m->raw_type = text_or_null(r, 6);
		m->text = text_or_null(r, 7);
		m->details = text_or_null(r, 8);
		snprintf(m->status, sizeof(m->status), "%s", store_text(r, 9));
		m->error_code = store_int(r, 10);
		m->error_title = text_or_null(r, 11);
		m->edited_at = store_int(r, 12);
		m->created_at = store_int(r, 13);
	}
	store_rows_free(r);
	if (rc < 0) {
		message_list_free(list, len);
		return error_set(e, rc, "the store failed");
	}
	*out = list;
	*n = len;
	return 0;
}

void message_list_free(struct message *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].raw_type);
		free(list[i].text);
		free(list[i].details);
		free(list[i].error_title);
	}
	free(list);
}

int conversation_back_to_routing(struct store_tx *tx, const struct actor *who, int64_t id,
                                 int64_t now, size_t *queued, struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, id, &c, e);
	if (rc < 0)
		return rc;
	if (strcmp(c.status, "resolved") == 0)
		return error_set(e, ERR_CONFLICT, "the conversation is resolved: reopen it first");
	struct router_event back = { .kind = ROUTER_BACK_TO_ROUTING };
	return routing_step(tx, id, &back, now, queued, e);
}
