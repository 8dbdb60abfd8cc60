/* store/: migrations, parameters, transactions, error mapping, a newer schema refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static char path[512];

static int setup(void **state)
{
	const char *tmp = getenv("CENTRALITA_TEST_TMP");
	mkdir(tmp ? tmp : "/tmp", 0700);
	snprintf(path, sizeof(path), "sqlite:%s/test_store_%d.db", tmp ? tmp : "/tmp", getpid());
	unlink(path + 7);
	struct store *st;
	struct error e;
	int applied = -1;
	assert_int_equal(store_open(path, 3, &st, &e), 0);
	assert_int_equal(store_migrate(st, &applied, &e), 0);
	int version = 0;
	assert_true(applied > 0);
	assert_int_equal(store_schema_version(st, &version, &e), 0);
	assert_int_equal(version, store_schema_latest());
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	store_close(*state);
	char file[520];
	unlink(path + 7);
	snprintf(file, sizeof(file), "%s-wal", path + 7);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", path + 7);
	unlink(file);
	return 0;
}

static void test_migrate_is_idempotent(void **state)
{
	struct error e;
	int applied = -1, version = 0;
	assert_int_equal(store_migrate(*state, &applied, &e), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(store_schema_version(*state, &version, &e), 0);
	assert_int_equal(version, store_schema_latest());
}

static void test_params_and_rows(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_non_null(tx);
	int64_t id = 0;
	assert_int_equal(store_get_int(tx,
	                               "INSERT INTO teams (account_id, name, name_key, created_at,"
	                               " updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
	                               STORE_ARGS(SV_INT(1), SV_TEXT("Soporte ñ"),
	                                          SV_TEXT("soporte ñ"), SV_INT(42)),
	                               &id),
	                 0);
	assert_true(id > 0);
	struct store_rows *r;
	/* Parameters may repeat and come in any order. */
	assert_int_equal(store_query(tx,
	                             "SELECT name, created_at, $2 + $2 FROM teams WHERE id = $1",
	                             STORE_ARGS(SV_INT(id), SV_INT(5)), &r),
	                 0);
	assert_int_equal(store_next(r), 1);
	assert_string_equal(store_text(r, 0), "Soporte ñ");
	assert_int_equal(store_int(r, 1), 42);
	assert_int_equal(store_int(r, 2), 10);
	assert_int_equal(store_next(r), 0);
	store_rows_free(r);
	/* A unique violation is a conflict, and the transaction goes on. */
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO teams (account_id, name, name_key, created_at,"
	                            " updated_at) VALUES (1, 'x', 'soporte ñ', 0, 0)",
	                            STORE_NO_ARGS),
	                 ERR_CONFLICT);
	assert_int_equal(store_exec(tx, "UPDATE teams SET name = $1 WHERE id = $2",
	                            STORE_ARGS(SV_TEXT_NULL(NULL), SV_INT(id))),
	                 ERR_CONFLICT); /* NOT NULL */
	assert_int_equal(
	    store_exec(tx, "UPDATE teams SET updated_at = 7 WHERE id = $1", STORE_ARGS(SV_INT(id))),
	    1);
	assert_int_equal(store_commit(tx), 0);
	int64_t n = 0;
	tx = store_begin(*state, STORE_READ);
	assert_int_equal(store_get_int(tx, "SELECT updated_at FROM teams WHERE id = $1",
	                               STORE_ARGS(SV_INT(id)), &n),
	                 0);
	assert_int_equal(n, 7);
	assert_int_equal(store_get_int(tx, "SELECT id FROM teams WHERE id = -1", STORE_NO_ARGS, &n),
	                 ERR_NOT_FOUND);
	/* Every row's first column; none is an empty list. */
	int64_t *ids = NULL;
	size_t count = 0;
	assert_int_equal(store_get_ints(tx, "SELECT id FROM teams WHERE id IN ($1, -1) ORDER BY id",
	                                STORE_ARGS(SV_INT(id)), &ids, &count),
	                 0);
	assert_int_equal(count, 1);
	assert_int_equal(ids[0], id);
	free(ids);
	assert_int_equal(
	    store_get_ints(tx, "SELECT id FROM teams WHERE id = -1", STORE_NO_ARGS, &ids, &count),
	    0);
	assert_int_equal(count, 0);
	assert_null(ids);
	assert_int_equal(store_exec(tx, "SELECT nonsense FROM nowhere", STORE_NO_ARGS),
	                 ERR_INTERNAL);
	assert_int_equal(store_exec(tx, "SELECT $2", STORE_ARGS(SV_INT(1))), ERR_INTERNAL);
	store_rollback(tx);
}

static void test_rollback_discards(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_int_equal(store_exec(tx,
	                            "INSERT INTO teams (account_id, name, name_key, created_at,"
	                            " updated_at) VALUES (1, 'Gone', 'gone', 0, 0)",
	                            STORE_NO_ARGS),
	                 1);
	store_rollback(tx);
	int64_t n = -1;
	tx = store_begin(*state, STORE_READ);
	assert_int_equal(store_get_int(tx, "SELECT count(*) FROM teams WHERE name_key = 'gone'",
	                               STORE_NO_ARGS, &n),
	                 0);
	store_rollback(tx);
	assert_int_equal(n, 0);
}

static void test_newer_database_refused(void **state)
{
	struct store_tx *tx = store_begin(*state, STORE_WRITE);
	assert_int_equal(store_exec(tx, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
	                            STORE_NO_ARGS),
	                 1);
	assert_int_equal(store_commit(tx), 0);
	struct error e;
	int applied;
	assert_int_equal(store_migrate(*state, &applied, &e), ERR_UNPROCESSABLE);
	assert_non_null(strstr(e.message, "newer than this binary"));
}

static void test_bad_url(void **state)
{
	struct store *st = NULL;
	struct error e;
	assert_int_equal(store_open("mysql://x", 2, &st, &e), ERR_INVALID);
	assert_int_equal(store_open("sqlite:/nonexistent-dir/x/y.db", 2, &st, &e), ERR_UNAVAILABLE);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_refused, setup, teardown),
		cmocka_unit_test(test_bad_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
