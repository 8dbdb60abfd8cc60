/* Shared inside inbox/ only: the visibility rules and the human takeover every agent action
 * starts with. */
#ifndef INBOX_INTERNAL_H
#define INBOX_INTERNAL_H

#include "inbox/inbox.h"
#include "visibility/visibility.h"

/* CONVERSATION_VISIBLE's parameters: what the actor may see of `contacts k` — an admin every
 * contact of the account, an agent those with at least one conversation they may see. */
#define CONTACT_VISIBLE                                                           \
	" k.account_id = $1 AND ($3 = 1 OR EXISTS (SELECT 1 FROM conversations v" \
	" WHERE v.contact_id = k.id AND" CONVERSATION_VISIBLE "))"

/* A contact's own name, '' when they gave none: ingest stores the identity's id (a web chat's
 * "web-8") or the phone number for want of one, and "¡Hola web-8!" greets nobody. Needs
 * `contacts c` and `contact_identities i`. */
#define CONTACT_OWN_NAME "coalesce(nullif(nullif(c.name, i.external_id), c.phone), '')"

/* A message_file from a row of md.state, f.sha256, f.size, f.mime_type and m.details (the
 * columns MESSAGE_FILE_COLUMNS names), for store_get_row. */
#define MESSAGE_FILE_COLUMNS                                                    \
	" md.state, coalesce(f.sha256, ''), coalesce(f.size, 0),"               \
	" coalesce(f.mime_type, ''), coalesce(m.details, '{}') FROM messages m" \
	" JOIN media md ON md.message_id = m.id LEFT JOIN files f ON f.sha256 = md.sha256"
void message_file_read(struct store_rows *r, void *item);

/* conversation_get, then the end of routing when it was routing: a human always wins. */
int conversation_take_over(struct store_tx *tx, const struct actor *who, int64_t id, int64_t now,
                           struct conversation *out, struct error *e);

/* "%q%" with q's LIKE wildcards and the escape itself escaped; "" when q is NULL. To free. */
char *inbox_like_pattern(const char *q);
/* 1..TAG_NAME_MAX of a-z, 0-9, '-' and '_': conversations' and contacts' tags. */
bool inbox_is_tag_name(const char *name);
/* Adds a line to a conversation's timeline: text for people and API clients, detail (taken,
 * may be NULL) its structure ({"code": …, values}) for a UI to say it in its language. */
int conversation_line_add(struct store_tx *tx, int64_t account_id, int64_t conversation_id,
                          const char *kind, int64_t user_id, const char *text, json_t *detail,
                          int64_t now);
/* A line in c's timeline naming who did it (text follows their name), and its event. */
int conversation_record_line(struct store_tx *tx, const struct actor *who,
                             const struct conversation *c, int64_t now, const char *kind,
                             const char *text);

/* routing_suggestions.c: one more sighting of a reply (a route_reply_key) that fell back
 * (team_id 0) or whose conversation was moved to team_id, within the bounds kept. */
int routing_remember(struct store_tx *tx, int64_t account_id, const char *text, int64_t team_id,
                     int64_t now);
/* Conversation id moves from from_team_id (0: the general inbox) to to_team_id: when that
 * corrects routing soon after it placed it, the reply is remembered, and *option is the
 * option it had been routed to (-1 when the move does not count against an option). Only the
 * first transfer after routing is read. */
int routing_moved(struct store_tx *tx, int64_t account_id, int64_t id, int64_t from_team_id,
                  int64_t to_team_id, int64_t now, int64_t *option);

/* contacts.c: checks one text field of a contact's changes (name, phone, email, notes) into
 * buf (CONTACT_EMAIL_MAX + 1 bytes; the name checked, the e-mail folded); *out is NULL for a
 * JSON null. ERR_INVALID naming the field. */
int contact_check_field(const char *field, const json_t *v, char *buf, const char **out,
                        struct error *e);

/* contact_export.c: the contact CSV's columns, as the export writes them and the import reads
 * them — these, then one per declared attribute key, then CONTACT_CSV_CREATED. */
enum contact_csv_column { CSV_ID, CSV_NAME, CSV_PHONE, CSV_EMAIL, CSV_TAGS, CSV_FIXED };
extern const char *const contact_csv_columns[CSV_FIXED];
#define CONTACT_CSV_CREATED "created_at"
/* Whether a spreadsheet would take cell s for a formula (a leading = + - @, tab or CR): the
 * export defuses it with a leading ', the import refuses it without one. */
bool contact_csv_is_formula(const char *s);

/* contact_attributes.c: sets (null: removes) contact id's values of declared attributes;
 * ERR_UNPROCESSABLE for a key nobody declared. */
int contact_attributes_set(struct store_tx *tx, int64_t account_id, int64_t id,
                           const json_t *attributes, struct error *e);

#endif
