/*
 * Every contact of an account as one CSV file (RFC 4180) for an admin: one row a contact,
 * its tags joined, one column per declared attribute. Cells a spreadsheet would take for a
 * formula are defused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xmalloc.h"
#include "inbox/internal.h"

const char *const contact_csv_columns[CSV_FIXED] = { "id", "name", "phone", "email", "tags" };

bool contact_csv_is_formula(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

/* A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a formula gets a
 * leading ' so a spreadsheet takes it as text. */
static void put_cell(struct buf *out, const char *s, char sep)
{
	bool is_formula = contact_csv_is_formula(s);
	bool is_quoted = is_formula || strpbrk(s, ",\"\r\n") != NULL;
	if (is_quoted)
		buf_putc(out, '"');
	if (is_formula)
		buf_putc(out, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_putc(out, '"');
		buf_putc(out, *s);
	}
	if (is_quoted)
		buf_putc(out, '"');
	buf_putc(out, sep);
}

/* 2026-11-25T15:13:49Z */
static void put_time(struct buf *out, int64_t ms)
{
	char text[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_puts(out, text);
	buf_puts(out, "\r\n");
}

/* The declared keys, oldest first: the export's attribute columns. *keys is freed with
 * free() of each and of the array. */
static int read_keys(struct store_tx *tx, int64_t account_id, char ***keys, size_t *n)
{
	struct store_rows *r;
	size_t cap = 0;
	int rc = store_query(tx,
	                     "SELECT key FROM contact_attribute_keys WHERE account_id = $1"
	                     " ORDER BY created_at, key",
	                     STORE_ARGS(SV_INT(account_id)), &r);
	if (rc < 0)
		return rc;
	while ((rc = store_next(r)) == 1) {
		*keys = xgrow(*keys, &cap, *n, sizeof(**keys));
		(*keys)[(*n)++] = xstrdup(store_text(r, 0));
	}
	store_rows_free(r);
	return rc;
}

/* One row of the export: the contact at r (id, name, phone, email, created_at), its tags
 * and attributes from the cursors tags and attrs, which walk the contacts in id order. */
static int put_row(struct buf *out, struct store_rows *r, struct store_rows *tags, int *tag_rc,
                   struct store_rows *attrs, int *attr_rc, char **keys, size_t nkeys)
{
	int64_t id = store_int(r, 0);
	char number[24];
	snprintf(number, sizeof(number), "%lld", (long long)id);
	put_cell(out, number, ',');
	for (int col = 1; col <= 3; col++)
		put_cell(out, store_text(r, col), ',');
	struct buf joined = BUF_INIT;
	for (; *tag_rc == 1 && store_int(tags, 0) <= id; *tag_rc = store_next(tags))
		if (store_int(tags, 0) == id)
			buf_printf(&joined, "%s%s", joined.len > 0 ? " " : "", store_text(tags, 1));
	put_cell(out, joined.data != NULL ? joined.data : "", ',');
	buf_free(&joined);
	/* Attribute rows come in key order; keys in declaration order: look each key up. */
	json_t *values = json_object();
	for (; *attr_rc == 1 && store_int(attrs, 0) <= id; *attr_rc = store_next(attrs))
		if (store_int(attrs, 0) == id)
			json_object_set_new(values, store_text(attrs, 1),
			                    json_string(store_text(attrs, 2)));
	for (size_t i = 0; i < nkeys; i++) {
		const char *v = json_string_value(json_object_get(values, keys[i]));
		put_cell(out, v != NULL ? v : "", ',');
	}
	json_decref(values);
	put_time(out, store_int(r, 4));
	return *tag_rc < 0 ? *tag_rc : *attr_rc < 0 ? *attr_rc : 0;
}

int contact_export_csv(struct store_tx *tx, int64_t account_id, struct buf *out, struct error *e)
{
	char **keys = NULL;
	size_t nkeys = 0;
	int64_t count = 0;
	struct store_rows *r = NULL, *tags = NULL, *attrs = NULL;
	int rc = store_get_int(tx, "SELECT count(*) FROM contacts WHERE account_id = $1",
	                       STORE_ARGS(SV_INT(account_id)), &count);
	if (rc >= 0 && count > CONTACT_EXPORT_MAX) {
		rc = error_set(e, ERR_UNPROCESSABLE,
		               "more than %d contacts: too many to export at once",
		               CONTACT_EXPORT_MAX);
		goto out;
	}
	if (rc < 0 || (rc = read_keys(tx, account_id, &keys, &nkeys)) < 0 ||
	    (rc = store_query(tx,
	                      "SELECT id, name, coalesce(phone, ''), coalesce(email, ''),"
	                      " created_at FROM contacts WHERE account_id = $1 ORDER BY id",
	                      STORE_ARGS(SV_INT(account_id)), &r)) < 0 ||
	    (rc = store_query(tx,
	                      "SELECT g.contact_id, g.name FROM contact_tags g"
	                      " JOIN contacts k ON k.id = g.contact_id WHERE k.account_id = $1"
	                      " ORDER BY g.contact_id, g.name",
	                      STORE_ARGS(SV_INT(account_id)), &tags)) < 0 ||
	    (rc = store_query(tx,
	                      "SELECT a.contact_id, a.key, a.value FROM contact_attributes a"
	                      " JOIN contacts k ON k.id = a.contact_id WHERE k.account_id = $1"
	                      " ORDER BY a.contact_id, a.key",
	                      STORE_ARGS(SV_INT(account_id)), &attrs)) < 0) {
		store_failed(e, rc);
		goto out;
	}
	for (int i = 0; i < CSV_FIXED; i++)
		put_cell(out, contact_csv_columns[i], ',');
	for (size_t i = 0; i < nkeys; i++)
		put_cell(out, keys[i], ',');
	buf_puts(out, CONTACT_CSV_CREATED "\r\n");
	int tag_rc = store_next(tags), attr_rc = store_next(attrs);
	while (rc >= 0 && (rc = store_next(r)) == 1)
		rc = put_row(out, r, tags, &tag_rc, attrs, &attr_rc, keys, nkeys);
	if (rc < 0 || tag_rc < 0 || attr_rc < 0)
		rc = store_failed(e, rc < 0 ? rc : ERR_UNAVAILABLE);
out:
	store_rows_free(r);
	store_rows_free(tags);
	store_rows_free(attrs);
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	return rc < 0 ? rc : 0;
}
