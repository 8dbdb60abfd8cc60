/*
 * A whole installation from SQLite into PostgreSQL (centralita copy): every table of the
 * PostgreSQL schema, read in one snapshot of the source and written in one transaction of the
 * target, ids kept, each sequence set past the ids its column holds, and each table's row
 * count checked before the commit. Tables, columns, foreign keys and sequences come from the
 * two databases' catalogs, never from a list kept here; values travel as text, cast to the
 * target column's type. Refuses, before writing anything, what it cannot copy faithfully.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "store/store.h"

#define BATCH_ROWS   200   /* rows per INSERT */
#define BATCH_PARAMS 30000 /* and parameters per INSERT (PostgreSQL takes 65535) */

/* Migration 0001 writes the default account (id 1) on both back ends: the one row a freshly
 * migrated database holds. The copy replaces it with the source's accounts. */
static const char seeded_table[] = "accounts";

struct column {
	char *name;
	char *type; /* PostgreSQL's, as format_type spells it */
	bool is_identity;
};

struct table {
	char *name;
	struct column *cols;
	size_t ncols;
	int64_t rows;
	enum { TABLE_NEW, TABLE_VISITING, TABLE_PLACED } state; /* in the copy's order */
};

struct schema {
	struct table *tables; /* in an order where a table comes after those it references */
	size_t n;
};

static void schema_free(struct schema *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->tables[i].ncols; k++) {
			free(s->tables[i].cols[k].name);
			free(s->tables[i].cols[k].type);
		}
		free(s->tables[i].cols);
		free(s->tables[i].name);
	}
	free(s->tables);
}

/* Our names are lowercase words: anything else is refused rather than quoted. */
static int check_name(const char *name, struct error *e)
{
	if (name[0] != '\0' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name))
		return 0;
	return error_set(e, ERR_UNPROCESSABLE, "the copy cannot name the table or column \"%.60s\"",
	                 name);
}

/* ---- Schema versions ------------------------------------------------------------------ */

/* The schema version of tx's database without writing to it; *is_blank when it has no
 * tables at all. */
static int read_version(struct store_tx *tx, int *version, bool *is_blank, struct error *e)
{
	static const char sqlite_tables[] =
	    "SELECT count(*), coalesce(sum(name = 'schema_migrations'), 0) FROM sqlite_master"
	    " WHERE type = 'table'";
	static const char pg_tables[] =
	    "SELECT count(*), count(*) FILTER (WHERE tablename = 'schema_migrations')"
	    " FROM pg_tables WHERE schemaname = current_schema()";
	struct store_rows *r;
	int64_t tables = 0, has_versions = 0, v = 0;
	int rc = store_query(tx, store_dialect(tx) == STORE_SQLITE ? sqlite_tables : pg_tables,
	                     STORE_NO_ARGS, &r);
	if (rc == 0 && (rc = store_next(r)) == 1) {
		tables = store_int(r, 0);
		has_versions = store_int(r, 1);
	}
	store_rows_free(r);
	if (rc >= 0 && has_versions)
		rc = store_get_int(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations",
		                   STORE_NO_ARGS, &v);
	if (rc < 0)
		return store_failed(e, rc);
	*version = (int)v;
	*is_blank = tables == 0;
	return 0;
}

static int check_source_version(struct store *from, struct error *e)
{
	struct store_tx *tx = store_begin(from, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the source database is not available");
	int version = 0, latest = store_schema_latest();
	bool is_blank;
	int rc = store_dialect(tx) != STORE_SQLITE
	             ? error_set(e, ERR_UNPROCESSABLE, "the copy reads a SQLite database")
	             : read_version(tx, &version, &is_blank, e);
	store_rollback(tx);
	if (rc == 0 && version != latest)
		rc = error_set(e, ERR_UNPROCESSABLE,
		               "the source is at schema version %d, this binary's is %d: %s",
		               version, latest,
		               version < latest ? "migrate it first (centralita migrate --db …)"
		                                : "copy it with a newer centralita");
	return rc;
}

/* A blank target is migrated here; one with tables must be at this binary's version. */
static int prepare_target(struct store *to, struct error *e)
{
	struct store_tx *tx = store_begin(to, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the target database is not available");
	int version = 0, latest = store_schema_latest(), applied;
	bool is_blank = false;
	int rc = store_dialect(tx) != STORE_POSTGRES
	             ? error_set(e, ERR_UNPROCESSABLE, "the copy writes a PostgreSQL database")
	             : read_version(tx, &version, &is_blank, e);
	store_rollback(tx);
	if (rc < 0)
		return rc;
	if (is_blank)
		return store_migrate(to, &applied, e);
	if (version != latest)
		return error_set(
		    e, ERR_UNPROCESSABLE,
		    "the target is at schema version %d, not %d: give an empty database"
		    " (or one 'centralita migrate' made with this binary)",
		    version, latest);
	return 0;
}

/* ---- The target's schema, from PostgreSQL's catalogs ----------------------------------- */

static void read_table(struct store_rows *r, void *item)
{
	((struct table *)item)->name = xstrdup(store_text(r, 0));
}

static void read_column(struct store_rows *r, void *item)
{
	struct column *c = item;
	c->name = xstrdup(store_text(r, 0));
	c->type = xstrdup(store_text(r, 1));
	c->is_identity = store_int(r, 2) != 0;
}

static struct table *find_table(struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

/* Puts t after every table it references (the foreign keys, in edges), depth first. A cycle
 * (which our schema has not) would leave an order that the foreign keys refuse, loudly. */
static void place(struct schema *s, struct table *t, char (*edges)[2][64], size_t nedges,
                  struct table *order, size_t *n)
{
	if (t->state != TABLE_NEW)
		return;
	t->state = TABLE_VISITING;
	for (size_t i = 0; i < nedges; i++) {
		struct table *parent = find_table(s, edges[i][1]);
		if (strcmp(edges[i][0], t->name) == 0 && parent != NULL)
			place(s, parent, edges, nedges, order, n);
	}
	t->state = TABLE_PLACED;
	order[(*n)++] = *t;
}

static void read_edge(struct store_rows *r, void *item)
{
	char(*edge)[64] = item;
	snprintf(edge[0], 64, "%s", store_text(r, 0));
	snprintf(edge[1], 64, "%s", store_text(r, 1));
}

static int order_tables(struct store_tx *tx, struct schema *s)
{
	char(*edges)[2][64] = NULL;
	size_t nedges = 0, n = 0;
	int rc = store_collect(
	    tx,
	    "SELECT a.relname, b.relname FROM pg_constraint k JOIN pg_class a ON a.oid = k.conrelid"
	    " JOIN pg_class b ON b.oid = k.confrelid JOIN pg_namespace ns ON ns.oid = a.relnamespace"
	    " WHERE k.contype = 'f' AND ns.nspname = current_schema() AND a.oid <> b.oid",
	    STORE_NO_ARGS, sizeof(*edges), read_edge, (void **)&edges, &nedges);
	if (rc < 0)
		return rc;
	struct table *order = xcalloc(s->n + 1, sizeof(*order));
	for (size_t i = 0; i < s->n; i++)
		place(s, &s->tables[i], edges, nedges, order, &n);
	free(s->tables);
	s->tables = order;
	free(edges);
	return 0;
}

static int read_target_schema(struct store_tx *tx, struct schema *s, struct error *e)
{
	size_t n = 0;
	int rc = store_collect(
	    tx,
	    "SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace"
	    " WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'p')"
	    " AND NOT c.relispartition AND c.relname <> 'schema_migrations' ORDER BY c.relname",
	    STORE_NO_ARGS, sizeof(struct table), read_table, (void **)&s->tables, &n);
	s->n = n;
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		struct table *t = &s->tables[i];
		if ((rc = check_name(t->name, e)) < 0)
			return rc;
		rc = store_collect(
		    tx,
		    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity <> ''"
		    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
		    " JOIN pg_namespace ns ON ns.oid = c.relnamespace"
		    " WHERE ns.nspname = current_schema() AND c.relname = $1 AND a.attnum > 0"
		    " AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
		    STORE_ARGS(SV_TEXT(t->name)), sizeof(struct column), read_column,
		    (void **)&t->cols, &t->ncols);
		for (size_t k = 0; rc == 0 && k < t->ncols; k++)
			if ((rc = check_name(t->cols[k].name, e)) < 0)
				return rc;
	}
	if (rc == 0)
		rc = order_tables(tx, s);
	/* A sequence that no column owns would keep a value the copy cannot know. */
	int64_t stray = 0;
	if (rc == 0)
		rc = store_get_int(
		    tx,
		    "SELECT count(*) FROM pg_class q JOIN pg_namespace ns ON ns.oid = q.relnamespace"
		    " WHERE q.relkind = 'S' AND ns.nspname = current_schema() AND NOT EXISTS ("
		    "SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
		    " AND d.objid = q.oid AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i'))",
		    STORE_NO_ARGS, &stray);
	if (rc < 0)
		return store_failed(e, rc);
	if (stray > 0)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the target has a sequence that no column owns: the copy cannot "
		                 "tell what value it must take");
	return 0;
}

/* ---- The source matches it ------------------------------------------------------------ */

static void read_name(struct store_rows *r, void *item)
{
	*(char **)item = xstrdup(store_text(r, 0));
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Every name of names is in the schema's list (tables, or t's columns) and as many. */
static bool is_same_set(char **names, size_t n, const struct schema *s, const struct table *t)
{
	size_t expected = t != NULL ? t->ncols : s->n;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < expected && !found; k++)
			found =
			    strcmp(names[i], t != NULL ? t->cols[k].name : s->tables[k].name) == 0;
		if (!found)
			return false;
	}
	return n == expected;
}

/* The source's tables and columns are the target's: the same schema version says so, and a
 * difference means something was changed by hand. Virtual tables (full-text search), their
 * shadow tables and the rows waiting for them (*_fts_pending, migration 0040) are SQLite's
 * indexes, rebuilt by PostgreSQL's own. */
static int check_source_schema(struct store_tx *src, const struct schema *s, struct error *e)
{
	char **names = NULL;
	size_t n = 0;
	int rc = store_collect(src,
	                       "SELECT name FROM pragma_table_list WHERE schema = 'main'"
	                       " AND type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
	                       " AND name NOT LIKE '%!_fts!_pending' ESCAPE '!'"
	                       " AND name <> 'schema_migrations'",
	                       STORE_NO_ARGS, sizeof(char *), read_name, (void **)&names, &n);
	if (rc < 0)
		return store_failed(e, rc);
	bool is_same = is_same_set(names, n, s, NULL);
	free_names(names, n);
	if (!is_same)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the source's tables are not the target's, at the same schema "
		                 "version: was one changed by hand?");
	for (size_t i = 0; i < s->n; i++) {
		const struct table *t = &s->tables[i];
		rc = store_collect(src, "SELECT name FROM pragma_table_info($1)",
		                   STORE_ARGS(SV_TEXT(t->name)), sizeof(char *), read_name,
		                   (void **)&names, &n);
		if (rc < 0)
			return store_failed(e, rc);
		is_same = is_same_set(names, n, s, t);
		free_names(names, n);
		if (!is_same)
			return error_set(
			    e, ERR_UNPROCESSABLE,
			    "the columns of %s differ between the source and the target", t->name);
	}
	return 0;
}

/* ---- The target is empty -------------------------------------------------------------- */

static int check_target_empty(struct store_tx *tx, const struct schema *s, struct error *e)
{
	char sql[256];
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->tables[i].name;
		bool is_seeded = strcmp(name, seeded_table) == 0;
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM (SELECT 1 FROM \"%s\"%s LIMIT 1) x", name,
		         is_seeded ? " WHERE id <> 1" : "");
		int64_t rows = 0;
		int rc = store_get_int(tx, sql, STORE_NO_ARGS, &rows);
		if (rc < 0)
			return store_failed(e, rc);
		if (rows > 0)
			return error_set(
			    e, ERR_CONFLICT,
			    "the target is not empty (%s has rows): give a new database", name);
	}
	snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", seeded_table);
	int rc = store_exec(tx, sql, STORE_NO_ARGS);
	return rc < 0 ? store_failed(e, rc) : 0;
}

/* ---- Rows ----------------------------------------------------------------------------- */

/* SELECT every column, and how many of the row's values are neither integer, text nor NULL
 * (the store's types: our schema has no other). */
static char *select_sql(const struct table *t)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "SELECT ");
	for (size_t k = 0; k < t->ncols; k++)
		buf_printf(&b, "\"%s\", ", t->cols[k].name);
	for (size_t k = 0; k < t->ncols; k++)
		buf_printf(&b, "%s(typeof(\"%s\") IN ('real', 'blob'))", k > 0 ? " + " : "",
		           t->cols[k].name);
	buf_printf(&b, " FROM \"%s\"", t->name);
	return buf_take(&b);
}

static char *insert_sql(const struct table *t, size_t rows)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "INSERT INTO \"%s\" (", t->name);
	for (size_t k = 0; k < t->ncols; k++)
		buf_printf(&b, "%s\"%s\"", k > 0 ? ", " : "", t->cols[k].name);
	buf_puts(&b, ") OVERRIDING SYSTEM VALUE VALUES ");
	for (size_t i = 0; i < rows; i++) {
		buf_puts(&b, i > 0 ? ", (" : "(");
		for (size_t k = 0; k < t->ncols; k++)
			buf_printf(&b, "%sCAST($%zu AS %s)", k > 0 ? ", " : "",
			           i * t->ncols + k + 1, t->cols[k].type);
		buf_puts(&b, ")");
	}
	return buf_take(&b);
}

/* Writes the first `rows` rows of values (their texts freed after). */
static int insert_rows(struct store_tx *dst, const struct table *t, size_t rows, char **batch_sql,
                       size_t batch_rows, struct store_value *values)
{
	char *sql = rows == batch_rows ? *batch_sql : insert_sql(t, rows);
	int rc = store_exec(dst, sql, values, (int)(rows * t->ncols));
	if (sql != *batch_sql)
		free(sql);
	for (size_t i = 0; i < rows * t->ncols; i++)
		free((char *)values[i].s);
	return rc < 0 ? rc : 0;
}

static int copy_rows(struct store_tx *src, struct store_tx *dst, struct table *t, struct error *e)
{
	size_t batch_rows =
	    BATCH_PARAMS / t->ncols < BATCH_ROWS ? BATCH_PARAMS / t->ncols : BATCH_ROWS;
	struct store_value *values = xcalloc(batch_rows * t->ncols, sizeof(*values));
	char *sql = select_sql(t), *batch_sql = insert_sql(t, batch_rows);
	struct store_rows *r = NULL;
	size_t held = 0;
	int rc = store_query(src, sql, STORE_NO_ARGS, &r);
	while (rc == 0 && (rc = store_next(r)) == 1) {
		rc = 0;
		if (store_int(r, (int)t->ncols) != 0) {
			rc =
			    error_set(e, ERR_UNPROCESSABLE,
			              "%s holds a value that is neither an integer, text nor NULL: "
			              "the copy knows no other",
			              t->name);
			break;
		}
		for (size_t k = 0; k < t->ncols; k++)
			values[held * t->ncols + k] = store_is_null(r, (int)k)
			                                  ? SV_NULL
			                                  : SV_TEXT(xstrdup(store_text(r, (int)k)));
		t->rows++;
		if (++held == batch_rows) {
			rc = insert_rows(dst, t, held, &batch_sql, batch_rows, values);
			held = 0;
		}
	}
	if (rc == 0 && held > 0)
		rc = insert_rows(dst, t, held, &batch_sql, batch_rows, values);
	else
		for (size_t i = 0; i < held * t->ncols; i++)
			free((char *)values[i].s);
	store_rows_free(r);
	free(sql);
	free(batch_sql);
	free(values);
	if (rc < 0 && e->code == 0)
		return error_set(e, rc, "cannot copy %s", t->name);
	return rc;
}

/* ---- After the rows: sequences and counts ----------------------------------------------- */

/* The highest id SQLite ever gave t (AUTOINCREMENT remembers ids of rows since deleted). */
static int source_sequence(struct store_tx *src, const char *table, int64_t *out)
{
	int64_t has = 0;
	int rc = store_get_int(src,
	                       "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	                       " AND name = 'sqlite_sequence'",
	                       STORE_NO_ARGS, &has);
	*out = 0;
	if (rc == 0 && has)
		rc = store_get_int(
		    src, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = $1",
		    STORE_ARGS(SV_TEXT(table)), out);
	return rc;
}

static int set_sequences(struct store_tx *src, struct store_tx *dst, const struct table *t)
{
	char sql[256];
	for (size_t k = 0; k < t->ncols; k++) {
		if (!t->cols[k].is_identity)
			continue;
		int64_t highest = 0, remembered = 0;
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(\"%s\"), 0) FROM \"%s\"",
		         t->cols[k].name, t->name);
		int rc = store_get_int(dst, sql, STORE_NO_ARGS, &highest);
		if (rc == 0)
			rc = source_sequence(src, t->name, &remembered);
		if (rc == 0 && remembered > highest)
			highest = remembered;
		if (rc == 0 && highest > 0)
			rc = store_get_int(
			    dst, "SELECT setval(pg_get_serial_sequence($1, $2), $3)",
			    STORE_ARGS(SV_TEXT(t->name), SV_TEXT(t->cols[k].name), SV_INT(highest)),
			    &highest);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_count(struct store_tx *dst, const struct table *t, struct error *e)
{
	char sql[160];
	int64_t rows = 0;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t->name);
	int rc = store_get_int(dst, sql, STORE_NO_ARGS, &rows);
	if (rc < 0)
		return store_failed(e, rc);
	if (rows != t->rows)
		return error_set(e, ERR_INTERNAL,
		                 "%s: %lld rows read, %lld in the target: nothing was copied",
		                 t->name, (long long)t->rows, (long long)rows);
	return 0;
}

/* ---- The copy ------------------------------------------------------------------------- */

static int copy_all(struct store_tx *src, struct store_tx *dst, struct schema *s, struct error *e)
{
	int rc = read_target_schema(dst, s, e);
	if (rc == 0)
		rc = check_source_schema(src, s, e);
	if (rc == 0)
		rc = check_target_empty(dst, s, e);
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		rc = copy_rows(src, dst, &s->tables[i], e);
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		if ((rc = set_sequences(src, dst, &s->tables[i])) < 0)
			store_failed(e, rc);
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		rc = check_count(dst, &s->tables[i], e);
	/* The planner's statistics, which a bulk load leaves empty until autovacuum comes. */
	if (rc == 0 && (rc = store_exec(dst, "ANALYZE", STORE_NO_ARGS)) < 0)
		store_failed(e, rc);
	return rc < 0 ? rc : 0;
}

int store_copy(struct store *from, struct store *to, struct store_copy_count **counts, size_t *n,
               struct error *e)
{
	struct schema s = { 0 };
	*counts = NULL;
	*n = 0;
	e->code = 0;
	int rc = check_source_version(from, e);
	if (rc == 0)
		rc = prepare_target(to, e);
	if (rc < 0)
		return rc;
	struct store_tx *src = store_begin(from, STORE_READ);
	struct store_tx *dst = src != NULL ? store_begin(to, STORE_WRITE) : NULL;
	if (dst == NULL) {
		store_rollback(src);
		return error_set(e, ERR_UNAVAILABLE, "the databases are not available");
	}
	rc = copy_all(src, dst, &s, e);
	store_rollback(src);
	if (rc == 0 && (rc = store_commit(dst)) < 0)
		error_set(e, rc, "the target refused the commit: nothing was copied");
	else if (rc < 0)
		store_rollback(dst);
	if (rc == 0) {
		*counts = xcalloc(s.n + 1, sizeof(**counts));
		for (size_t i = 0; i < s.n; i++) {
			snprintf((*counts)[i].table, sizeof((*counts)[i].table), "%s",
			         s.tables[i].name);
			(*counts)[i].rows = s.tables[i].rows;
		}
		*n = s.n;
	}
	schema_free(&s);
	return rc;
}
