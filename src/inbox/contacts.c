/*
 * Contacts through their visibility rule (CONTACT_VISIBLE, next to the conversations' in
 * internal.h): the list and its search, one contact with the conversations the actor may
 * see, edits and merges. The CSV export is contact_export.c's, the attributes an admin
 * declares contact_attributes.c's. Nothing here shows a contact or a conversation outside
 * the actor's sight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "events/events.h"
#include "inbox/internal.h"

#define CONTACT_COLUMNS "k.id, k.name, k.phone, k.email, k.notes, k.created_at, k.updated_at"

/*
 * The list's filter after the visibility rule: $4 tag, $5 LIKE pattern, $6 and $7 the cursor.
 * The match folds A-Z only (ascii_lower, as SQLite's LIKE does), which is what the API
 * promises.
 */
#define CONTACT_LIKE(column) " ascii_lower(" column ") LIKE ascii_lower($5) ESCAPE '\\'"
#define CONTACT_MATCHES \
	" (" CONTACT_LIKE("k.name") " OR" CONTACT_LIKE("k.phone") " OR" CONTACT_LIKE("k.email") ")"
#define CONTACT_FILTER                                          \
	" AND ($4 = '' OR EXISTS (SELECT 1 FROM contact_tags g" \
	" WHERE g.contact_id = k.id AND g.name = $4))"          \
	" AND ($5 = '' OR" CONTACT_MATCHES ")"                  \
	" AND ($7 = 0 OR k.updated_at < $6 OR (k.updated_at = $6 AND k.id < $7))"

static json_t *text_or_null(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? json_null() : json_string(store_text(r, col));
}

/* Column col, a phone number (or, with is_email, an e-mail address), as who may see it. */
static json_t *contact_field(const struct actor *who, struct store_rows *r, int col, bool is_email)
{
	char masked[VISIBILITY_MASKED_MAX];
	if (store_is_null(r, col) || !who->is_masked)
		return text_or_null(r, col);
	if (is_email)
		visibility_mask_email(store_text(r, col), masked);
	else
		visibility_mask_phone(store_text(r, col), masked);
	return json_string(masked);
}

/* Adds tags, attributes and identities to a contact read by read_contacts. A WhatsApp
 * identity is the customer's phone number, so it is masked like the phone. */
static int add_details(struct store_tx *tx, const struct actor *who, json_t *contact)
{
	json_int_t id = json_integer_value(json_object_get(contact, "id"));
	json_t *tags = json_array(), *attributes = json_object(), *identities = json_array();
	json_object_set_new(contact, "tags", tags);
	json_object_set_new(contact, "attributes", attributes);
	json_object_set_new(contact, "identities", identities);
	struct store_rows *r;
	int rc =
	    store_query(tx, "SELECT name FROM contact_tags WHERE contact_id = $1 ORDER BY name",
	                STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1)
		json_array_append_new(tags, json_string(store_text(r, 0)));
	store_rows_free(r);
	if (rc < 0 || (rc = store_query(tx,
	                                "SELECT key, value FROM contact_attributes"
	                                " WHERE contact_id = $1 ORDER BY key",
	                                STORE_ARGS(SV_INT(id)), &r)) < 0)
		return rc;
	while ((rc = store_next(r)) == 1)
		json_object_set_new(attributes, store_text(r, 0), json_string(store_text(r, 1)));
	store_rows_free(r);
	if (rc < 0 ||
	    (rc = store_query(tx,
	                      "SELECT i.id, ch.id, ch.kind, ch.name, i.external_id, i.name,"
	                      " i.created_at FROM contact_identities i"
	                      " JOIN channels ch ON ch.id = i.channel_id"
	                      " WHERE i.contact_id = $1 ORDER BY i.id",
	                      STORE_ARGS(SV_INT(id)), &r)) < 0)
		return rc;
	while ((rc = store_next(r)) == 1)
		json_array_append_new(
		    identities,
		    json_pack(
		        "{s:I,s:{s:I,s:s,s:s},s:o,s:o,s:I}", "id", (json_int_t)store_int(r, 0),
		        "channel", "id", (json_int_t)store_int(r, 1), "kind", store_text(r, 2),
		        "name", store_text(r, 3), "external_id",
		        strcmp(store_text(r, 2), "whatsapp") == 0 ? contact_field(who, r, 4, false)
		                                                  : json_string(store_text(r, 4)),
		        "name", text_or_null(r, 5), "created_at", (json_int_t)store_int(r, 6)));
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* Runs sql (selecting CONTACT_COLUMNS) and answers the contacts as a JSON array in *out. */
static int read_contacts(struct store_tx *tx, const struct actor *who, const char *sql,
                         const struct store_value *args, int nargs, json_t **out)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return rc;
	json_t *list = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(
		    list,
		    json_pack("{s:I,s:s,s:o,s:o,s:o,s:I,s:I}", "id", (json_int_t)store_int(r, 0),
		              "name", store_text(r, 1), "phone", contact_field(who, r, 2, false),
		              "email", contact_field(who, r, 3, true), "notes", text_or_null(r, 4),
		              "created_at", (json_int_t)store_int(r, 5), "updated_at",
		              (json_int_t)store_int(r, 6)));
	store_rows_free(r);
	for (size_t i = 0; rc >= 0 && i < json_array_size(list); i++)
		rc = add_details(tx, who, json_array_get(list, i));
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

json_t *contact_list(struct store_tx *tx, const struct actor *who, const struct contact_filter *f,
                     int64_t *total, struct error *e)
{
	char *like = inbox_like_pattern(f->q);
	const char *tag = f->tag != NULL ? f->tag : "";
	json_t *list = NULL;
	int rc = store_get_int(
	    tx, "SELECT count(*) FROM contacts k WHERE" CONTACT_VISIBLE CONTACT_FILTER,
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_INT(who->role),
	               SV_TEXT(tag), SV_TEXT(like), SV_INT(0), SV_INT(0)),
	    total);
	if (rc >= 0)
		rc = read_contacts(tx, who,
		                   "SELECT " CONTACT_COLUMNS
		                   " FROM contacts k WHERE" CONTACT_VISIBLE CONTACT_FILTER
		                   " ORDER BY k.updated_at DESC, k.id DESC LIMIT $8",
		                   STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
		                              SV_INT(who->role), SV_TEXT(tag), SV_TEXT(like),
		                              SV_INT(f->after_updated_at), SV_INT(f->after_id),
		                              SV_INT(f->limit)),
		                   &list);
	free(like);
	if (rc < 0)
		store_failed(e, rc);
	return list;
}

/* The conversations of contact id that who may see, newest first. */
static int read_conversations(struct store_tx *tx, const struct actor *who, int64_t id, json_t *out)
{
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "SELECT v.id, ch.id, ch.kind, v.status, coalesce(t.id, 0), coalesce(t.name, ''),"
	    " coalesce(u.id, 0), coalesce(u.name, ''), v.last_activity_at, v.created_at"
	    " FROM conversations v JOIN channels ch ON ch.id = v.channel_id"
	    " LEFT JOIN teams t ON t.id = v.team_id LEFT JOIN users u ON u.id = v.assignee_id"
	    " WHERE" CONVERSATION_VISIBLE " AND v.contact_id = $4"
	    " ORDER BY v.created_at DESC, v.id DESC",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_INT(who->role),
	               SV_INT(id)),
	    &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		json_t *team = json_null(), *assignee = json_null();
		if (store_int(r, 4) > 0)
			team = json_pack("{s:I,s:s}", "id", (json_int_t)store_int(r, 4), "name",
			                 store_text(r, 5));
		if (store_int(r, 6) > 0)
			assignee = json_pack("{s:I,s:s}", "id", (json_int_t)store_int(r, 6), "name",
			                     store_text(r, 7));
		json_array_append_new(
		    out, json_pack("{s:I,s:{s:I,s:s},s:s,s:o,s:o,s:I,s:I}", "id",
		                   (json_int_t)store_int(r, 0), "channel", "id",
		                   (json_int_t)store_int(r, 1), "kind", store_text(r, 2), "status",
		                   store_text(r, 3), "team", team, "assignee", assignee,
		                   "last_activity_at", (json_int_t)store_int(r, 8), "created_at",
		                   (json_int_t)store_int(r, 9)));
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

json_t *contact_get(struct store_tx *tx, const struct actor *who, int64_t id,
                    bool with_conversations, struct error *e)
{
	json_t *list = NULL;
	int rc = read_contacts(tx, who,
	                       "SELECT " CONTACT_COLUMNS " FROM contacts k WHERE" CONTACT_VISIBLE
	                       " AND k.id = $4",
	                       STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
	                                  SV_INT(who->role), SV_INT(id)),
	                       &list);
	if (rc < 0) {
		store_failed(e, rc);
		return NULL;
	}
	json_t *contact = json_incref(json_array_get(list, 0));
	json_decref(list);
	if (contact == NULL) {
		error_set(e, ERR_NOT_FOUND, "no such contact");
		return NULL;
	}
	if (!with_conversations)
		return contact;
	json_t *conversations = json_array();
	json_object_set_new(contact, "conversations", conversations);
	if ((rc = read_conversations(tx, who, id, conversations)) < 0) {
		json_decref(contact);
		store_failed(e, rc);
		return NULL;
	}
	return contact;
}

/* ERR_NOT_FOUND unless who may see contact id. */
static int check_visible(struct store_tx *tx, const struct actor *who, int64_t id, struct error *e)
{
	int64_t n = 0;
	int rc = store_get_int(
	    tx, "SELECT count(*) FROM contacts k WHERE" CONTACT_VISIBLE " AND k.id = $4",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_INT(who->role),
	               SV_INT(id)),
	    &n);
	if (rc < 0)
		return store_failed(e, rc);
	return n > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no such contact");
}

/*
 * contact.updated for contact id: one event for the admins, and one for each active agent
 * who may see the contact now (the hub cannot tell who sees a contact, so it is decided
 * here, once, at the time of the change).
 */
static int emit_updated(struct store_tx *tx, int64_t account_id, int64_t id, int64_t now)
{
	static const enum role roles[] = { ROLE_AGENT, ROLE_RESTRICTED };
	int rc = events_emit_contact(tx, account_id, id, 0, "contact.updated", now);
	for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]) && rc >= 0; k++) {
		int64_t *agents = NULL;
		size_t n = 0;
		rc = store_get_ints(tx,
		                    "SELECT id FROM users WHERE account_id = $1"
		                    " AND role = $2 AND is_active = 1 ORDER BY id",
		                    STORE_ARGS(SV_INT(account_id), SV_TEXT(role_name(roles[k]))),
		                    &agents, &n);
		struct error e;
		for (size_t i = 0; i < n && rc >= 0; i++) {
			struct actor agent = { .account_id = account_id,
				               .user_id = agents[i],
				               .role = roles[k] };
			rc = check_visible(tx, &agent, id, &e);
			if (rc == 0)
				rc = events_emit_contact(tx, account_id, id, agents[i],
				                         "contact.updated", now);
			else if (rc == ERR_NOT_FOUND)
				rc = 0;
		}
		free(agents);
	}
	return rc < 0 ? rc : 0;
}

static bool is_phone(const char *s)
{
	size_t len = strlen(s);
	return len >= 1 && len <= CONTACT_PHONE_MAX && strspn(s, "0123456789+- ") == len &&
	       strpbrk(s, "0123456789") != NULL;
}

int contact_check_field(const char *field, const json_t *v, char *buf, const char **out,
                        struct error *e)
{
	bool is_name = strcmp(field, "name") == 0;
	*out = NULL;
	if (json_is_null(v) && !is_name)
		return 0;
	if (!json_is_string(v))
		return error_set(
		    e, ERR_INVALID,
		    is_name ? "'%s' must be a string" : "'%s' must be a string or null", field);
	const char *s = json_string_value(v);
	*out = s;
	if (is_name || strcmp(field, "email") == 0) {
		*out = buf;
		return is_name ? text_check_name(field, s, CONTACT_NAME_MAX, buf, e)
		               : text_fold_email(s, buf, e);
	}
	if (strcmp(field, "phone") == 0)
		return is_phone(s)
		           ? 0
		           : error_set(e, ERR_INVALID,
		                       "'phone' must be 1 to %d of digits, '+', '-' and spaces",
		                       CONTACT_PHONE_MAX);
	return json_string_length(v) <= CONTACT_NOTES_MAX
	           ? 0
	           : error_set(e, ERR_INVALID, "'notes' is longer than %d bytes",
	                       CONTACT_NOTES_MAX);
}

/* The PATCH's text fields and the statement that sets each. */
static const struct {
	const char *field;
	const char *sql;
} text_fields[] = {
	{ "name", "UPDATE contacts SET name = $2 WHERE id = $1" },
	{ "phone", "UPDATE contacts SET phone = $2 WHERE id = $1" },
	{ "email", "UPDATE contacts SET email = $2 WHERE id = $1" },
	{ "notes", "UPDATE contacts SET notes = $2 WHERE id = $1" },
};

static int set_tags(struct store_tx *tx, int64_t id, const json_t *tags, int64_t now,
                    struct error *e)
{
	if (!json_is_array(tags) || json_array_size(tags) > CONTACT_TAGS_MAX)
		return error_set(e, ERR_INVALID, "'tags' must be an array of at most %d tag names",
		                 CONTACT_TAGS_MAX);
	size_t i;
	const json_t *tag;
	json_array_foreach(tags, i, tag)
	{
		if (!json_is_string(tag) || !inbox_is_tag_name(json_string_value(tag)))
			return error_set(e, ERR_INVALID,
			                 "a tag is 1 to %d of a-z, 0-9, '-' and '_' (lowercase)",
			                 TAG_NAME_MAX);
	}
	int rc = store_exec(tx, "DELETE FROM contact_tags WHERE contact_id = $1",
	                    STORE_ARGS(SV_INT(id)));
	json_array_foreach(tags, i, tag)
	{
		if (rc >= 0)
			rc = store_exec(
			    tx,
			    "INSERT INTO contact_tags (contact_id, name, created_at)"
			    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			    STORE_ARGS(SV_INT(id), SV_TEXT(json_string_value(tag)), SV_INT(now)));
	}
	return rc < 0 ? store_failed(e, rc) : 0;
}

int contact_update(struct store_tx *tx, const struct actor *who, int64_t id, const json_t *changes,
                   int64_t now, struct error *e)
{
	int rc = check_visible(tx, who, id, e);
	for (size_t i = 0; rc >= 0 && i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
		const json_t *v = json_object_get(changes, text_fields[i].field);
		char buf[CONTACT_EMAIL_MAX + 1];
		const char *value;
		if (v == NULL)
			continue;
		rc = contact_check_field(text_fields[i].field, v, buf, &value, e);
		if (rc >= 0 && (rc = store_exec(tx, text_fields[i].sql,
		                                STORE_ARGS(SV_INT(id), SV_TEXT_NULL(value)))) < 0)
			store_failed(e, rc);
	}
	const json_t *tags = json_object_get(changes, "tags");
	const json_t *attributes = json_object_get(changes, "attributes");
	if (rc >= 0 && tags != NULL)
		rc = set_tags(tx, id, tags, now, e);
	if (rc >= 0 && attributes != NULL)
		rc = contact_attributes_set(tx, who->account_id, id, attributes, e);
	if (rc < 0)
		return rc;
	rc = store_exec(tx, "UPDATE contacts SET updated_at = $2 WHERE id = $1",
	                STORE_ARGS(SV_INT(id), SV_INT(now)));
	if (rc >= 0)
		rc = emit_updated(tx, who->account_id, id, now);
	return rc < 0 ? store_failed(e, rc) : 0;
}

/* Moves other's conversations to id, with a line in each one's timeline. */
static int move_conversations(struct store_tx *tx, const struct actor *who, int64_t id,
                              int64_t other, const char *line, int64_t now)
{
	int64_t *ids;
	size_t n;
	int rc =
	    store_get_ints(tx, "SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id",
	                   STORE_ARGS(SV_INT(other)), &ids, &n);
	if (rc >= 0)
		rc =
		    store_exec(tx, "UPDATE conversations SET contact_id = $1 WHERE contact_id = $2",
		               STORE_ARGS(SV_INT(id), SV_INT(other)));
	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct conversation c = { .id = ids[i], .account_id = who->account_id };
		rc = conversation_record_line(tx, who, &c, now, "contact", line);
	}
	free(ids);
	return rc < 0 ? rc : 0;
}

/* What moves from the merged contact ($2) to the survivor ($1), in order; the merged contact
 * is deleted last. Identities are distinct, so the unresolved conversation of each
 * (conversations_current) stays unique. */
static const char *const merge_steps[] = {
	"UPDATE contact_identities SET contact_id = $1 WHERE contact_id = $2",
	"INSERT INTO contact_tags (contact_id, name, created_at) SELECT $1, name, created_at"
	" FROM contact_tags WHERE contact_id = $2 ON CONFLICT DO NOTHING",
	"DELETE FROM contact_tags WHERE contact_id = $2",
	"INSERT INTO contact_attributes (contact_id, key, value) SELECT $1, key, value"
	" FROM contact_attributes WHERE contact_id = $2 ON CONFLICT DO NOTHING",
	"DELETE FROM contact_attributes WHERE contact_id = $2",
	"UPDATE contact_merges SET contact_id = $1 WHERE contact_id = $2",
	"UPDATE contacts SET phone = coalesce(phone, (SELECT phone FROM contacts WHERE id = $2)),"
	" email = coalesce(email, (SELECT email FROM contacts WHERE id = $2)),"
	" notes = (SELECT CASE WHEN coalesce(o.notes, '') = '' THEN s.notes"
	" WHEN coalesce(s.notes, '') = '' THEN o.notes"
	" ELSE s.notes || '\n\n' || o.notes END"
	" FROM contacts s, contacts o WHERE s.id = $1 AND o.id = $2) WHERE id = $1",
	"DELETE FROM contacts WHERE id = $2",
};

int contact_merge(struct store_tx *tx, const struct actor *who, int64_t id, int64_t other_id,
                  int64_t now, struct error *e)
{
	int rc = check_visible(tx, who, id, e);
	if (rc < 0)
		return rc;
	if (other_id == id)
		return error_set(e, ERR_UNPROCESSABLE, "a contact cannot be merged with itself");
	if ((rc = check_visible(tx, who, other_id, e)) < 0)
		return rc;
	/* Names come from providers too (up to INBOUND_NAME_MAX): the line has room for one. */
	struct store_rows *r;
	char name[INBOUND_NAME_MAX + 1] = "", line[INBOUND_NAME_MAX + 96];
	if ((rc = store_query(tx, "SELECT name FROM contacts WHERE id = $1",
	                      STORE_ARGS(SV_INT(other_id)), &r)) < 0)
		return store_failed(e, rc);
	if ((rc = store_next(r)) == 1)
		snprintf(name, sizeof(name), "%s", store_text(r, 0));
	store_rows_free(r);
	snprintf(line, sizeof(line),
	         "merged the contact '%s' (#%lld) into this conversation's contact", name,
	         (long long)other_id);
	if (rc >= 0)
		rc = move_conversations(tx, who, id, other_id, line, now);
	for (size_t i = 0; rc >= 0 && i < sizeof(merge_steps) / sizeof(merge_steps[0]); i++)
		rc = store_exec(tx, merge_steps[i], STORE_ARGS(SV_INT(id), SV_INT(other_id)));
	if (rc >= 0)
		rc = store_exec(
		    tx,
		    "INSERT INTO contact_merges (account_id, contact_id, merged_contact_id,"
		    " merged_name, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		    STORE_ARGS(SV_INT(who->account_id), SV_INT(id), SV_INT(other_id), SV_TEXT(name),
		               SV_INT(who->user_id), SV_INT(now)));
	if (rc >= 0)
		rc = store_exec(tx, "UPDATE contacts SET updated_at = $2 WHERE id = $1",
		                STORE_ARGS(SV_INT(id), SV_INT(now)));
	if (rc >= 0)
		rc = emit_updated(tx, who->account_id, id, now);
	return rc < 0 ? store_failed(e, rc) : 0;
}
