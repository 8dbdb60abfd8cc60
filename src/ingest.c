/*
 * ingest: canonical inbound events into contacts, conversations and messages, in the
 * caller's transaction. A message already stored (same channel and provider id) is
 * counted as a duplicate and changes nothing, so providers' retries are harmless.
 */
#include "ingest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "events/events.h"
#include "media/media.h"
#include "outbox/outbox.h"

static const char *const type_names[] = {
	[INBOUND_TYPE_TEXT] = "text",         [INBOUND_TYPE_REPLY] = "reply",
	[INBOUND_TYPE_IMAGE] = "image",       [INBOUND_TYPE_AUDIO] = "audio",
	[INBOUND_TYPE_VIDEO] = "video",       [INBOUND_TYPE_DOCUMENT] = "document",
	[INBOUND_TYPE_STICKER] = "sticker",   [INBOUND_TYPE_LOCATION] = "location",
	[INBOUND_TYPE_CONTACTS] = "contacts", [INBOUND_TYPE_UNSUPPORTED] = "unsupported",
};

static const char *const delivery_names[] = {
	[INBOUND_SENT] = "sent",
	[INBOUND_DELIVERED] = "delivered",
	[INBOUND_READ] = "read",
	[INBOUND_FAILED] = "failed",
};

/* Where a message goes: the contact's identity on the channel and its conversation. */
struct place {
	int64_t contact_id;
	int64_t identity_id;
	int64_t conversation_id;
	enum router_event_kind event; /* what the message is to routing */
	bool is_routing;              /* the conversation waits in routing */
	bool is_new;                  /* the conversation was created in this transaction */
	int64_t resolved_at;          /* when a reopened conversation had been resolved */
	int rating; /* the message rates the resolved conversation (csat.c), which stays so; 0 */
};

/* Finds the identity of the event's contact on the channel, creating contact and identity. */
static int find_identity(struct store_tx *tx, const struct channel *ch,
                         const struct inbound_event *ev, int64_t now, struct place *p)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT id, contact_id, coalesce(name, '') FROM contact_identities"
	                     " WHERE channel_id = $1 AND external_id = $2",
	                     STORE_ARGS(SV_INT(ch->id), SV_TEXT(ev->contact_id)), &r);
	if (rc < 0)
		return rc;
	bool is_found = (rc = store_next(r)) == 1;
	bool is_renamed = false;
	if (is_found) {
		p->identity_id = store_int(r, 0);
		p->contact_id = store_int(r, 1);
		is_renamed = ev->contact_name != NULL && strcmp(ev->contact_name, store_text(r, 2));
	}
	store_rows_free(r);
	if (rc < 0)
		return rc;
	if (is_renamed) {
		/* The contact follows the provider's name unless someone renamed it. */
		rc = store_exec(
		    tx,
		    "UPDATE contacts SET name = $2 WHERE id = $1 AND name IN"
		    " (SELECT coalesce(name, external_id) FROM contact_identities WHERE id = $3"
		    " UNION SELECT '+' || external_id FROM contact_identities WHERE id = $3)",
		    STORE_ARGS(SV_INT(p->contact_id), SV_TEXT(ev->contact_name),
		               SV_INT(p->identity_id)));
		if (rc >= 0)
			rc = store_exec(
			    tx, "UPDATE contact_identities SET name = $2 WHERE id = $1",
			    STORE_ARGS(SV_INT(p->identity_id), SV_TEXT(ev->contact_name)));
		return rc;
	}
	if (is_found)
		return 0;
	/* WhatsApp identifies customers by phone number (wa_id, digits without '+'). */
	char phone[INBOUND_ID_MAX + 2] = "";
	if (ch->kind == CHANNEL_WHATSAPP)
		snprintf(phone, sizeof(phone), "+%s", ev->contact_id);
	const char *name = ev->contact_name != NULL ? ev->contact_name
	                   : phone[0]               ? phone
	                                            : ev->contact_id;
	rc = store_get_int(tx,
	                   "INSERT INTO contacts (account_id, name, phone, created_at, updated_at)"
	                   " VALUES ($1, $2, $3, $4, $4) RETURNING id",
	                   STORE_ARGS(SV_INT(ch->account_id), SV_TEXT(name),
	                              SV_TEXT_NULL(phone[0] ? phone : NULL), SV_INT(now)),
	                   &p->contact_id);
	if (rc < 0)
		return rc;
	return store_get_int(tx,
	                     "INSERT INTO contact_identities (account_id, contact_id, channel_id,"
	                     " external_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
	                     " RETURNING id",
	                     STORE_ARGS(SV_INT(ch->account_id), SV_INT(p->contact_id),
	                                SV_INT(ch->id), SV_TEXT(ev->contact_id),
	                                SV_TEXT_NULL(ev->contact_name), SV_INT(now)),
	                     &p->identity_id);
}

/* A customer's message to a resolved conversation: the rating of the question it was asked,
 * which keeps it resolved, or else the question dropped. */
static int take_rating(struct store_tx *tx, const struct inbound_message *m, struct place *p)
{
	bool is_text = m->type == INBOUND_TYPE_TEXT || m->type == INBOUND_TYPE_REPLY;
	int rc = csat_reply_rating(tx, p->conversation_id, is_text ? m->text : NULL,
	                           is_text ? m->payload : NULL, &p->rating);
	if (rc == 0 && p->rating > 0)
		p->event = ROUTER_CUSTOMER_MESSAGE;
	else if (rc == 0)
		rc = csat_drop(tx, p->conversation_id);
	return rc;
}

/*
 * The identity's current conversation: the latest one, reopened when it was resolved and
 * `reopen` is set (unless m rates it); a new one when there is none.
 */
static int find_conversation(struct store_tx *tx, const struct channel *ch,
                             const struct inbound_message *m, bool reopen, int64_t now,
                             struct place *p)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT id, status, coalesce(resolved_at, 0) FROM conversations"
	                     " WHERE identity_id = $1 ORDER BY id DESC LIMIT 1",
	                     STORE_ARGS(SV_INT(p->identity_id)), &r);
	if (rc < 0)
		return rc;
	enum conversation_status status = STATUS_OPEN;
	p->conversation_id = 0;
	p->event = ROUTER_FIRST_MESSAGE;
	if ((rc = store_next(r)) == 1) {
		p->conversation_id = store_int(r, 0);
		conversation_status_parse(store_text(r, 1), &status);
		p->is_routing = status == STATUS_ROUTING;
		p->resolved_at = store_int(r, 2);
		p->event =
		    status == STATUS_RESOLVED ? ROUTER_REOPENING_MESSAGE : ROUTER_CUSTOMER_MESSAGE;
	}
	store_rows_free(r);
	if (rc < 0)
		return rc;
	if (p->conversation_id != 0 && status == STATUS_RESOLVED && reopen &&
	    ((rc = take_rating(tx, m, p)) < 0 || p->rating > 0))
		return rc;
	/* The customer writing reopens a resolved conversation and wakes a snoozed one. */
	if (p->conversation_id != 0 && (status == STATUS_RESOLVED || status == STATUS_SNOOZED) &&
	    reopen)
		return store_exec(tx,
		                  "UPDATE conversations SET status = 'open', snoozed_until = NULL,"
		                  " updated_at = $2 WHERE id = $1",
		                  STORE_ARGS(SV_INT(p->conversation_id), SV_INT(now)));
	if (p->conversation_id != 0)
		return 0;
	p->is_new = true;
	return store_get_int(tx,
	                     "INSERT INTO conversations (account_id, channel_id, contact_id,"
	                     " identity_id, status, last_activity_at, created_at, updated_at)"
	                     " VALUES ($1, $2, $3, $4, 'open', $5, $5, $5) RETURNING id",
	                     STORE_ARGS(SV_INT(ch->account_id), SV_INT(ch->id),
	                                SV_INT(p->contact_id), SV_INT(p->identity_id), SV_INT(now)),
	                     &p->conversation_id);
}

static void set_string(json_t *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(obj, key, json_string(value));
}

/* The message's extra fields as a JSON text (to free), or NULL when there are none. */
static char *details(const struct inbound_message *m)
{
	json_t *d = json_object();
	set_string(d, "payload", m->payload);
	set_string(d, "media_ref", m->media_ref);
	set_string(d, "media_mime", m->media_mime);
	set_string(d, "file_name", m->file_name);
	set_string(d, "place_name", m->place_name);
	set_string(d, "place_address", m->place_address);
	set_string(d, "reply_to_id", m->reply_to_id);
	set_string(d, "story_url", m->story_url);
	if (m->type == INBOUND_TYPE_LOCATION) {
		json_object_set_new(d, "latitude", json_real(m->latitude));
		json_object_set_new(d, "longitude", json_real(m->longitude));
	}
	if (m->is_text_truncated)
		json_object_set_new(d, "text_truncated", json_true());
	char *text = json_object_size(d) > 0 ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	return text;
}

/* 1 (and its *id) when the channel already has a message with this provider id. */
static int is_duplicate(struct store_tx *tx, const struct channel *ch, const char *message_id,
                        int64_t *id)
{
	int rc = store_get_int(tx,
	                       "SELECT id FROM messages WHERE channel_id = $1"
	                       " AND provider_message_id = $2",
	                       STORE_ARGS(SV_INT(ch->id), SV_TEXT(message_id)), id);
	return rc == 0 ? 1 : rc == ERR_NOT_FOUND ? 0 : rc;
}

static int insert_message(struct store_tx *tx, const struct channel *ch, const struct place *p,
                          const struct inbound_event *ev, bool is_inbound, int64_t now, int64_t *id)
{
	char *extra = details(&ev->msg);
	int rc = store_get_int(
	    tx,
	    "INSERT INTO messages (account_id, conversation_id, channel_id, direction,"
	    " sender, type, raw_type, text, details, provider_message_id, status,"
	    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
	    " RETURNING id",
	    STORE_ARGS(SV_INT(ch->account_id), SV_INT(p->conversation_id), SV_INT(ch->id),
	               SV_TEXT(is_inbound ? "in" : "out"),
	               SV_TEXT(is_inbound ? "contact" : "provider_app"),
	               SV_TEXT(type_names[ev->msg.type]), SV_TEXT_NULL(ev->msg.raw_type),
	               SV_TEXT_NULL(ev->msg.text), SV_TEXT_NULL(extra), SV_TEXT(ev->message_id),
	               SV_TEXT(is_inbound ? "received" : "sent"), SV_INT(ev->time_ms)),
	    id);
	free(extra);
	if (rc >= 0)
		rc = events_emit_message(tx, "message.created", *id, now);
	if (rc < 0)
		return rc;
	/* Activity moves forward only; the customer's last message opens the reply window. */
	return store_exec(
	    tx,
	    "UPDATE conversations SET updated_at = $3,"
	    " last_activity_at = CASE WHEN last_activity_at > $2 THEN last_activity_at"
	    " ELSE $2 END,"
	    " last_customer_at = CASE WHEN $4 = 0 THEN last_customer_at"
	    " WHEN last_customer_at > $2 THEN last_customer_at ELSE $2 END"
	    " WHERE id = $1",
	    STORE_ARGS(SV_INT(p->conversation_id), SV_INT(ev->time_ms), SV_INT(now),
	               SV_INT(is_inbound)));
}

/* Routing's view of a customer's message: text, a tapped button, or anything else. */
static struct route_message route_message_of(const struct inbound_message *m)
{
	if (m->type == INBOUND_TYPE_TEXT)
		return (struct route_message){ .kind = ROUTE_MSG_TEXT, .text = m->text };
	if (m->type == INBOUND_TYPE_REPLY)
		return (struct route_message){ .kind = ROUTE_MSG_INTERACTIVE,
			                       .text = m->text,
			                       .payload = m->payload };
	return (struct route_message){ .kind = ROUTE_MSG_OTHER };
}

/* Hands a customer's message to routing when it can matter: a new or reopened conversation,
 * or one waiting in routing. */
static int route(struct store_tx *tx, const struct place *p, const struct inbound_event *ev,
                 int64_t now, struct ingest_counts *c)
{
	if (p->event == ROUTER_CUSTOMER_MESSAGE && !p->is_routing)
		return 0;
	struct router_event re = { .kind = p->event,
		                   .message = route_message_of(&ev->msg),
		                   .resolved_at_ms = p->resolved_at,
		                   .contact_name = ev->contact_name };
	struct error e;
	int rc = routing_step(tx, p->conversation_id, &re, now, &c->queued, &e);
	/* Back where it was: its agent keeps it if they still can take it. */
	if (rc == 0 && p->event == ROUTER_REOPENING_MESSAGE)
		rc = team_reassign_if_away(tx, p->conversation_id, now, &e);
	return rc;
}

/* A tap on a Telegram inline keyboard is answered, and the keyboard taken away. */
static int queue_calls(struct store_tx *tx, const struct channel *ch,
                       const struct inbound_event *ev, int64_t now, struct ingest_counts *c)
{
	json_t *calls = telegram_callback_calls(ev);
	size_t i;
	const json_t *call;
	int rc = 0;
	json_array_foreach(calls, i, call)
	{
		if (rc == 0)
			rc = outbox_call(tx, ch->account_id, ch->id,
			                 json_string_value(json_object_get(call, "method")),
			                 json_object_get(call, "params"), now);
		c->queued += rc == 0;
	}
	json_decref(calls);
	return rc;
}

static int ingest_message(struct store_tx *tx, const struct channel *ch,
                          const struct inbound_event *ev, int64_t now, struct ingest_counts *c)
{
	bool is_inbound = ev->kind == INBOUND_KIND_MESSAGE;
	int rc = is_duplicate(tx, ch, ev->message_id, &c->message_id);
	if (rc != 0) {
		c->duplicates += rc == 1;
		return rc < 0 ? rc : 0;
	}
	struct place p = { 0 };
	rc = find_identity(tx, ch, ev, now, &p);
	if (rc >= 0)
		rc = find_conversation(tx, ch, &ev->msg, is_inbound, now, &p);
	if (rc >= 0 && p.is_new)
		rc = events_emit_conversation_created(tx, p.conversation_id, now);
	if (rc >= 0)
		rc = insert_message(tx, ch, &p, ev, is_inbound, now, &c->message_id);
	if (rc >= 0)
		rc =
		    media_queue(tx, ch->account_id, ch->id, c->message_id, type_names[ev->msg.type],
		                ev->msg.media_ref, ev->msg.media_mime, now, &c->media);
	if (rc < 0)
		return rc;
	c->stored++;
	/* A rating is no new request: not routed, no response target. */
	rc = p.rating > 0 ? csat_answer(tx, p.conversation_id, p.rating, now)
	     : is_inbound ? route(tx, &p, ev, now, c)
	                  : 0;
	struct error e;
	if (rc == 0 && is_inbound && p.rating == 0)
		rc = targets_customer_wrote(tx, p.conversation_id, now, &e);
	if (rc == 0)
		rc = queue_calls(tx, ch, ev, now, c);
	if (rc == 0 && p.is_new)
		rc = events_place_new(tx, p.conversation_id);
	return rc;
}

/* States only move forward: queued < sent < delivered < read; failed ends any of them. */
#define STATUS_RANK                                                                   \
	"CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2" \
	" WHEN 'read' THEN 3 ELSE 4 END"

static int status_rank(enum inbound_delivery d)
{
	return d == INBOUND_FAILED ? 4 : (int)d + 1;
}

static int ingest_status(struct store_tx *tx, const struct channel *ch,
                         const struct inbound_event *ev, int64_t now, struct ingest_counts *c)
{
	const struct inbound_status *s = &ev->status;
	int rc;
	if (ev->message_id != NULL) {
		rc = events_emit_messages(
		    tx, "message.updated", now,
		    "UPDATE messages SET status = $3, error_code = $4, error_title = $5"
		    " WHERE channel_id = $1 AND provider_message_id = $2"
		    " AND direction = 'out' AND " STATUS_RANK " < $6 RETURNING id",
		    STORE_ARGS(SV_INT(ch->id), SV_TEXT(ev->message_id),
		               SV_TEXT(delivery_names[s->state]),
		               s->state == INBOUND_FAILED ? SV_INT(s->error_code) : SV_NULL,
		               SV_TEXT_NULL(s->error_title), SV_INT(status_rank(s->state))));
	} else {
		/* Messenger's watermark: every message to this contact sent up to that time. */
		rc = events_emit_messages(
		    tx, "message.updated", now,
		    "UPDATE messages SET status = $3 WHERE direction = 'out'"
		    " AND created_at <= $4 AND " STATUS_RANK " < $5 AND status <> 'queued'"
		    " AND conversation_id IN (SELECT v.id FROM conversations v"
		    " JOIN contact_identities i ON i.id = v.identity_id"
		    " WHERE i.channel_id = $1 AND i.external_id = $2) RETURNING id",
		    STORE_ARGS(SV_INT(ch->id), SV_TEXT(ev->contact_id),
		               SV_TEXT(delivery_names[s->state]), SV_INT(s->watermark_ms),
		               SV_INT(status_rank(s->state))));
	}
	if (rc > 0)
		c->statuses++;
	return rc < 0 ? rc : 0;
}

static int ingest_edit(struct store_tx *tx, const struct channel *ch,
                       const struct inbound_event *ev, struct ingest_counts *c)
{
	int rc = store_exec(tx,
	                    "UPDATE messages SET text = $3, edited_at = $4 WHERE channel_id = $1"
	                    " AND provider_message_id = $2 AND direction = 'in'",
	                    STORE_ARGS(SV_INT(ch->id), SV_TEXT(ev->message_id),
	                               SV_TEXT_NULL(ev->msg.text), SV_INT(ev->time_ms)));
	if (rc > 0)
		c->edits++;
	return rc < 0 ? rc : 0;
}

int ingest_events(struct store_tx *tx, const struct channel *ch, const struct inbound_list *list,
                  int64_t now, struct ingest_counts *counts, struct error *e)
{
	memset(counts, 0, sizeof(*counts));
	int rc = 0;
	for (size_t i = 0; i < list->count && rc >= 0; i++) {
		const struct inbound_event *ev = &list->events[i];
		if (ev->channel_id != NULL && strcmp(ev->channel_id, ch->external_id) != 0)
			continue;
		switch (ev->kind) {
		case INBOUND_KIND_MESSAGE:
		case INBOUND_KIND_ECHO:
			rc = ingest_message(tx, ch, ev, now, counts);
			break;
		case INBOUND_KIND_STATUS:
			rc = ingest_status(tx, ch, ev, now, counts);
			break;
		case INBOUND_KIND_EDIT:
			rc = ingest_edit(tx, ch, ev, counts);
			break;
		case INBOUND_KIND_IGNORED:
			log_info("channel %lld: ignored: %s", (long long)ch->id, ev->reason);
			counts->ignored++;
			break;
		}
	}
	/* To the second: a busy channel's row is written once a second, not per message. */
	if (rc >= 0 && counts->stored > 0)
		rc = store_exec(tx,
		                "UPDATE channels SET last_inbound_at = $2 WHERE id = $1"
		                " AND coalesce(last_inbound_at, 0) <= $2 - 1000",
		                STORE_ARGS(SV_INT(ch->id), SV_INT(now)));
	return store_failed(e, rc);
}

static int run_job(struct store_tx *tx, void *arg)
{
	struct ingest_job *j = arg;
	int rc = 0;
	memset(&j->counts, 0, sizeof(j->counts));
	for (size_t i = 0; i < j->channel_count && rc == 0; i++) {
		struct ingest_counts c;
		rc = ingest_events(tx, &j->channels[i], j->events, j->now, &c, &j->e);
		j->counts.stored += c.stored;
		j->counts.duplicates += c.duplicates;
		j->counts.statuses += c.statuses;
		j->counts.edits += c.edits;
		j->counts.ignored += c.ignored;
		j->counts.queued += c.queued;
		j->counts.media += c.media;
	}
	if (rc == 0 && j->also != NULL)
		rc = j->also(tx, j);
	j->is_own = rc < 0;
	return rc;
}

static void job_done(void *arg, int rc)
{
	struct ingest_job *j = arg;
	j->done(j, rc);
}

void ingest_submit(struct store *st, struct ingest_job *j)
{
	j->is_own = false;
	j->job = (struct store_job){ .run = run_job, .done = job_done, .arg = j };
	store_submit(st, &j->job);
}

int ingest_run(struct store *st, struct ingest_job *j)
{
	j->is_own = false;
	int rc = store_run(st, run_job, j);
	if (rc < 0 && !j->is_own)
		error_set(&j->e, rc, "the store could not commit");
	return rc;
}
