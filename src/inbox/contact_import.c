/*
 * Contacts in from a CSV file (RFC 4180, parsed by libcsv) in the export's columns: the whole
 * file is checked first and every bad cell reported (line, column, reason) with nothing
 * written; then every row is applied in the caller's transaction — a contact whose phone or
 * e-mail is known is updated, the others are created — through contact_update, so an import
 * obeys the same rules as an edit.
 */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xmalloc.h"
#include "inbox/internal.h"

struct cell {
	char *s;
	size_t len;
};

struct row {
	struct cell *cells;
	size_t n;
	int line; /* the record's number, the header's 1 */
};

/* The file as libcsv hands it over: its rows, the header first. */
struct sheet {
	struct row *rows;
	size_t nrows, cap;
	struct row current;
	size_t current_cap;
	int line;
	bool is_over; /* more rows than may be imported: the rest is not kept */
};

static void on_cell(void *s, size_t len, void *arg)
{
	struct sheet *sh = arg;
	if (sh->is_over)
		return;
	struct row *r = &sh->current;
	r->cells = xgrow(r->cells, &sh->current_cap, r->n, sizeof(*r->cells));
	char *copy = xmalloc(len + 1);
	memcpy(copy, s != NULL ? s : "", len);
	copy[len] = '\0';
	r->cells[r->n++] = (struct cell){ copy, len };
}

static void row_free(struct row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cells[i].s);
	free(r->cells);
}

static void on_row(int c, void *arg)
{
	(void)c;
	struct sheet *sh = arg;
	sh->current.line = ++sh->line;
	if (!sh->is_over && sh->nrows > CONTACT_IMPORT_MAX)
		sh->is_over = true;
	if (sh->is_over) {
		row_free(&sh->current);
	} else {
		sh->rows = xgrow(sh->rows, &sh->cap, sh->nrows, sizeof(*sh->rows));
		sh->rows[sh->nrows++] = sh->current;
	}
	sh->current = (struct row){ 0 };
	sh->current_cap = 0;
}

static void sheet_free(struct sheet *sh)
{
	for (size_t i = 0; i < sh->nrows; i++)
		row_free(&sh->rows[i]);
	free(sh->rows);
	row_free(&sh->current);
}

/* Cells are kept as they are: libcsv would otherwise trim spaces and tabs. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* The problems found, as {line, column, reason}: at most CONTACT_IMPORT_PROBLEMS_MAX listed,
 * all counted. */
struct problems {
	json_t *list;
	size_t count;
};

static void problem(struct problems *p, int line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct problems *p, int line, const char *column, const char *fmt, ...)
{
	if (p->count++ >= CONTACT_IMPORT_PROBLEMS_MAX)
		return;
	char reason[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	json_array_append_new(p->list, json_pack("{s:i,s:o,s:s}", "line", line, "column",
	                                         column ? json_string(column) : json_null(),
	                                         "reason", reason));
}

static int parse(const char *csv, size_t len, struct sheet *sh, struct problems *p)
{
	struct csv_parser parser;
	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return ERR_INTERNAL;
	csv_set_space_func(&parser, no_space);
	/* A byte-order mark, as spreadsheets write it, is no part of the first column's name. */
	if (len >= 3 && memcmp(csv, "\xef\xbb\xbf", 3) == 0) {
		csv += 3;
		len -= 3;
	}
	if (csv_parse(&parser, csv, len, on_cell, on_row, sh) != len ||
	    csv_fini(&parser, on_cell, on_row, sh) != 0)
		problem(p, sh->line + 1, NULL,
		        "is not well-formed CSV: %s (a quoted cell's own quotes are doubled, and"
		        " a quote only opens or closes a cell)",
		        csv_strerror(csv_error(&parser)));
	csv_free(&parser);
	return 0;
}

/* What each column of the file is: a fixed column (0..CSV_FIXED-1), CSV_FIXED for
 * created_at (read and ignored, as id is), or CSV_FIXED + 1 for an attribute. */
#define COLUMN_CREATED   CSV_FIXED
#define COLUMN_ATTRIBUTE (CSV_FIXED + 1)

static int read_header(struct store_tx *tx, int64_t account_id, const struct row *h, int *kinds,
                       struct problems *p)
{
	bool has_name = false;
	for (size_t i = 0; i < h->n; i++) {
		const char *name = h->cells[i].s;
		kinds[i] = -1;
		if (!utf8_is_clean(name, h->cells[i].len)) {
			problem(p, 1, NULL, "column %zu's name is not UTF-8 text", i + 1);
			continue;
		}
		for (int k = 0; k < CSV_FIXED; k++)
			if (strcmp(name, contact_csv_columns[k]) == 0)
				kinds[i] = k;
		if (strcmp(name, CONTACT_CSV_CREATED) == 0)
			kinds[i] = COLUMN_CREATED;
		int64_t declared = 0;
		if (kinds[i] < 0) {
			int rc =
			    store_get_int(tx,
			                  "SELECT count(*) FROM contact_attribute_keys"
			                  " WHERE account_id = $1 AND key = $2",
			                  STORE_ARGS(SV_INT(account_id), SV_TEXT(name)), &declared);
			if (rc < 0)
				return rc;
			kinds[i] = declared ? COLUMN_ATTRIBUTE : -1;
		}
		if (kinds[i] < 0)
			problem(p, 1, name,
			        "is neither a column of the export nor a declared attribute key");
		for (size_t j = 0; j < i; j++)
			if (strcmp(h->cells[j].s, name) == 0)
				problem(p, 1, name, "is named twice");
		has_name |= kinds[i] == CSV_NAME;
	}
	if (!has_name)
		problem(p, 1, NULL,
		        "the first line must name the columns, 'name' among them, as the export"
		        " writes them");
	return 0;
}

/* The text of a cell without the ' that defuses a formula; NULL (with a problem) for a formula
 * without it. A phone number's leading + is no formula. */
static const char *cell_text(const struct cell *c, int kind)
{
	if (c->s[0] == '\'' && contact_csv_is_formula(c->s + 1))
		return c->s + 1;
	if (contact_csv_is_formula(c->s) && !(kind == CSV_PHONE && c->s[0] == '+'))
		return NULL;
	return c->s;
}

/* Checks one data row's cell, adding its change to changes. */
static void check_cell(const struct row *r, size_t i, const char *column, int kind, json_t *changes,
                       struct problems *p)
{
	const struct cell *c = &r->cells[i];
	if (!utf8_is_clean(c->s, c->len)) {
		problem(p, r->line, column, "is not UTF-8 text, or holds control characters");
		return;
	}
	const char *s = cell_text(c, kind);
	if (s == NULL) {
		problem(
		    p, r->line, column,
		    "starts like a spreadsheet formula (= + - @); put a ' before it to keep it as"
		    " text");
		return;
	}
	if (kind == CSV_ID || kind == COLUMN_CREATED || (s[0] == '\0' && kind != CSV_NAME))
		return; /* read-only, or empty: left as it is */
	struct error e;
	char buf[CONTACT_EMAIL_MAX + 1];
	const char *out;
	json_t *v = json_string(s);
	if (kind == CSV_TAGS) {
		json_t *tags = json_array();
		char *copy = xstrdup(s), *save = NULL;
		for (char *t = strtok_r(copy, " ", &save); t != NULL;
		     t = strtok_r(NULL, " ", &save))
			if (inbox_is_tag_name(t))
				json_array_append_new(tags, json_string(t));
			else
				problem(p, r->line, column,
				        "'%.64s' is not a tag: 1 to %d of a-z, 0-9, '-' and '_'", t,
				        TAG_NAME_MAX);
		free(copy);
		if (json_array_size(tags) > CONTACT_TAGS_MAX)
			problem(p, r->line, column, "has more than %d tags", CONTACT_TAGS_MAX);
		json_object_set_new(changes, "tags", tags);
	} else if (kind == COLUMN_ATTRIBUTE) {
		if (strlen(s) > CONTACT_ATTR_VALUE_MAX)
			problem(p, r->line, column, "is longer than %d bytes",
			        CONTACT_ATTR_VALUE_MAX);
		json_object_set(json_object_get(changes, "attributes"), column, v);
	} else if (contact_check_field(column, v, buf, &out, &e) < 0) {
		problem(p, r->line, column, "%s", e.message);
	} else {
		json_object_set_new(changes, column, json_string(out));
	}
	json_decref(v);
}

/* Every data row's changes, as contact_update takes them; the problems of the file. */
static json_t *check_rows(const struct sheet *sh, const int *kinds, struct problems *p)
{
	const struct row *h = &sh->rows[0];
	json_t *all = json_array();
	for (size_t r = 1; r < sh->nrows; r++) {
		const struct row *row = &sh->rows[r];
		json_t *changes = json_pack("{s:{}}", "attributes");
		json_array_append_new(all, changes);
		if (row->n != h->n) {
			problem(p, row->line, NULL, "has %zu cells where the first line names %zu",
			        row->n, h->n);
			continue;
		}
		for (size_t i = 0; i < row->n; i++)
			check_cell(row, i, h->cells[i].s, kinds[i], changes, p);
	}
	return all;
}

/* The contact a row is about (0: a new one): the one with its phone, else with its e-mail;
 * ERR_UNPROCESSABLE when they are two different contacts. */
static int match(struct store_tx *tx, int64_t account_id, const json_t *changes, int line,
                 int64_t *id, struct problems *p)
{
	const char *phone = json_string_value(json_object_get(changes, "phone"));
	const char *email = json_string_value(json_object_get(changes, "email"));
	int64_t by_phone = 0, by_email = 0;
	int rc = phone == NULL
	             ? ERR_NOT_FOUND
	             : store_get_int(tx,
	                             "SELECT min(id) FROM contacts WHERE account_id = $1"
	                             " AND phone = $2 HAVING count(*) > 0",
	                             STORE_ARGS(SV_INT(account_id), SV_TEXT(phone)), &by_phone);
	if (rc == 0 || rc == ERR_NOT_FOUND)
		rc = email == NULL
		         ? ERR_NOT_FOUND
		         : store_get_int(tx,
		                         "SELECT min(id) FROM contacts WHERE account_id = $1"
		                         " AND email = $2 HAVING count(*) > 0",
		                         STORE_ARGS(SV_INT(account_id), SV_TEXT(email)), &by_email);
	if (rc < 0 && rc != ERR_NOT_FOUND)
		return rc;
	if (by_phone > 0 && by_email > 0 && by_phone != by_email) {
		problem(p, line, "email",
		        "belongs to contact #%lld while the phone belongs to contact #%lld",
		        (long long)by_email, (long long)by_phone);
		return ERR_UNPROCESSABLE;
	}
	*id = by_phone > 0 ? by_phone : by_email;
	return 0;
}

/* Applies every row in order; a row may update a contact an earlier row created. */
static int apply(struct store_tx *tx, int64_t account_id, const struct sheet *sh, const json_t *all,
                 int64_t now, struct contact_import_result *out, struct problems *p,
                 struct error *e)
{
	const struct actor admin = { .account_id = account_id, .role = ROLE_ADMIN };
	int rc = 0;
	for (size_t i = 0; i < json_array_size(all) && rc >= 0; i++) {
		const json_t *changes = json_array_get(all, i);
		int line = sh->rows[i + 1].line;
		int64_t id = 0;
		if ((rc = match(tx, account_id, changes, line, &id, p)) < 0)
			break;
		if (id == 0) {
			rc = store_get_int(
			    tx,
			    "INSERT INTO contacts (account_id, name, created_at,"
			    " updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
			    STORE_ARGS(SV_INT(account_id),
			               SV_TEXT(json_string_value(json_object_get(changes, "name"))),
			               SV_INT(now)),
			    &id);
			if (rc < 0)
				return store_failed(e, rc);
			out->created++;
		} else {
			out->updated++;
		}
		if ((rc = contact_update(tx, &admin, id, changes, now, e)) < 0)
			problem(p, line, NULL, "%s", e->message);
	}
	return rc;
}

int contact_import_csv(struct store_tx *tx, int64_t account_id, const char *csv, size_t len,
                       int64_t now, struct contact_import_result *out, json_t **problems,
                       struct error *e)
{
	struct sheet sh = { 0 };
	struct problems p = { .list = json_array() };
	json_t *all = NULL;
	int *kinds = NULL;
	*out = (struct contact_import_result){ 0 };
	*problems = NULL;
	int rc = parse(csv, len, &sh, &p);
	if (rc == 0 && p.count == 0 && sh.nrows == 0)
		problem(&p, 1, NULL, "the file is empty: its first line must name the columns");
	if (rc == 0 && sh.is_over)
		problem(&p, CONTACT_IMPORT_MAX + 2, NULL,
		        "the file has more than %d rows of contacts: import it in parts",
		        CONTACT_IMPORT_MAX);
	if (rc == 0 && p.count == 0) {
		kinds = xcalloc(sh.rows[0].n + 1, sizeof(*kinds));
		rc = read_header(tx, account_id, &sh.rows[0], kinds, &p);
	}
	if (rc == 0 && p.count == 0)
		all = check_rows(&sh, kinds, &p);
	if (rc == 0 && p.count == 0)
		rc = apply(tx, account_id, &sh, all, now, out, &p, e);
	if (p.count > 0) {
		rc = error_set(e, ERR_UNPROCESSABLE,
		               "%zu problem%s in the file (listed in 'problems'%s): nothing was"
		               " imported",
		               p.count, p.count == 1 ? "" : "s",
		               p.count > CONTACT_IMPORT_PROBLEMS_MAX ? ", the first 1000" : "");
		*problems = json_incref(p.list);
	} else if (rc < 0 && e->code != rc) {
		rc = store_failed(e, rc);
	}
	json_decref(p.list);
	json_decref(all);
	free(kinds);
	sheet_free(&sh);
	return rc;
}
