/*
 * Writing first: an agent starts a WhatsApp conversation with a template, to a contact the
 * channel knows or to a new number (the contact is created). The conversation is the agent's
 * from the start: in their team, assigned to them.
 */
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "inbox/internal.h"

#define PHONE_DIGITS_MIN 6
#define PHONE_DIGITS_MAX 15 /* E.164 */

/* `to` as WhatsApp's wa_id: digits only, a leading '+' dropped. */
static int read_number(const char *to, char *out, size_t size, struct error *e)
{
	const char *digits = to != NULL && to[0] == '+' ? to + 1 : to;
	size_t n = digits != NULL ? strspn(digits, "0123456789") : 0;
	if (n < PHONE_DIGITS_MIN || n > PHONE_DIGITS_MAX || digits[n] != '\0' || digits[0] == '0')
		return error_set(e, ERR_INVALID,
		                 "'to' must be a phone number in international form, like "
		                 "34600111222");
	snprintf(out, size, "%s", digits);
	return 0;
}

/* The team the conversation goes to: the one chosen, which the agent must belong to, or the
 * agent's only team, or (none) the general inbox. */
static int pick_team(struct store_tx *tx, const struct actor *who, int64_t chosen, int64_t *out,
                     struct error *e)
{
	int64_t ids[2] = { 0, 0 };
	size_t n = 0;
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id"
	    " WHERE m.user_id = $1 AND t.account_id = $2 AND ($3 = 0 OR"
	    " m.team_id = $3) ORDER BY m.team_id LIMIT 2",
	    STORE_ARGS(SV_INT(who->user_id), SV_INT(who->account_id), SV_INT(chosen)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	while ((rc = store_next(r)) == 1)
		ids[n++] = store_int(r, 0);
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	if (chosen != 0 && n == 0)
		return error_set(e, ERR_UNPROCESSABLE, "you are not a member of team %lld",
		                 (long long)chosen);
	if (n == 2)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "you belong to several teams: choose one with 'team_id'");
	*out = ids[0];
	return 0;
}

/* The contact's identity for wa_id on the channel, created with its contact when new. */
static int find_identity(struct store_tx *tx, const struct channel *ch, const char *wa_id,
                         int64_t now, int64_t *identity, int64_t *contact)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT id, contact_id FROM contact_identities WHERE channel_id = $1"
	                     " AND external_id = $2",
	                     STORE_ARGS(SV_INT(ch->id), SV_TEXT(wa_id)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1) {
		*identity = store_int(r, 0);
		*contact = store_int(r, 1);
	}
	store_rows_free(r);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* Named like ingest names a WhatsApp contact without a profile name: its number. */
	char phone[PHONE_DIGITS_MAX + 2];
	snprintf(phone, sizeof(phone), "+%s", wa_id);
	rc =
	    store_get_int(tx,
	                  "INSERT INTO contacts (account_id, name, phone, created_at, updated_at)"
	                  " VALUES ($1, $2, $2, $3, $3) RETURNING id",
	                  STORE_ARGS(SV_INT(ch->account_id), SV_TEXT(phone), SV_INT(now)), contact);
	if (rc < 0)
		return rc;
	return store_get_int(tx,
	                     "INSERT INTO contact_identities (account_id, contact_id, channel_id,"
	                     " external_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	                     STORE_ARGS(SV_INT(ch->account_id), SV_INT(*contact), SV_INT(ch->id),
	                                SV_TEXT(wa_id), SV_INT(now)),
	                     identity);
}

int conversation_start(struct store_tx *tx, const struct actor *who,
                       const struct conversation_start *in, int64_t now, int64_t *id,
                       struct error *e)
{
	char wa_id[PHONE_DIGITS_MAX + 1];
	struct channel ch;
	int64_t team = 0, identity = 0, contact = 0, open = 0;
	int rc = read_number(in->to, wa_id, sizeof(wa_id), e);
	if (rc == 0)
		rc = channel_get(tx, who->account_id, in->channel_id, &ch, e);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_UNPROCESSABLE, "there is no channel %lld",
		                 (long long)in->channel_id);
	if (rc < 0)
		return rc;
	if (ch.kind != CHANNEL_WHATSAPP || !ch.is_active)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "conversations are started on active WhatsApp channels only");
	if ((rc = pick_team(tx, who, in->team_id, &team, e)) < 0)
		return rc;
	rc = find_identity(tx, &ch, wa_id, now, &identity, &contact);
	if (rc >= 0)
		rc = store_get_int(tx,
		                   "SELECT id FROM conversations WHERE identity_id = $1"
		                   " AND status <> 'resolved'",
		                   STORE_ARGS(SV_INT(identity)), &open);
	if (rc == 0)
		return error_set(e, ERR_CONFLICT,
		                 "the contact already has conversation %lld open on this channel: "
		                 "write there",
		                 (long long)open);
	if (rc != ERR_NOT_FOUND)
		return store_failed(e, rc);
	rc = store_get_int(tx,
	                   "INSERT INTO conversations (account_id, channel_id, contact_id,"
	                   " identity_id, status, team_id, assignee_id, last_activity_at,"
	                   " created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7,"
	                   " $7, $7) RETURNING id",
	                   STORE_ARGS(SV_INT(who->account_id), SV_INT(ch.id), SV_INT(contact),
	                              SV_INT(identity), team ? SV_INT(team) : SV_NULL,
	                              SV_INT(who->user_id), SV_INT(now)),
	                   id);
	struct conversation c = { .id = *id, .account_id = who->account_id };
	if (rc >= 0)
		rc = conversation_record_line(tx, who, &c, now, "assignment",
		                              "started the conversation");
	if (rc >= 0)
		rc = events_emit_conversation(tx, *id, "assignment", NULL, now);
	if (rc >= 0)
		rc = events_place_new(tx, *id);
	if (rc < 0)
		return store_failed(e, rc);
	int64_t message = 0;
	return conversation_send_template(tx, who, *id, &in->template, now, &message, e);
}
