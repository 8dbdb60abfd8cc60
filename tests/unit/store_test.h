/*
 * A throwaway database for the tests that need a real one. SQLite: a fresh file under
 * $CENTRALITA_TEST_TMP named after the test and the process, removed with its WAL
 * companions. PostgreSQL, when CENTRALITA_TEST_STORE=postgres (ctest's *_pg tests): a fresh
 * database of that name on the cluster of $CENTRALITA_TEST_PG (scripts/with-postgres.sh,
 * which make unit runs ctest under), dropped afterwards. Header-only (static inline) so each
 * test stays one file.
 */
#ifndef TESTS_STORE_TEST_H
#define TESTS_STORE_TEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline bool test_db_is_postgres(void)
{
	const char *store = getenv("CENTRALITA_TEST_STORE");
	return store != NULL && strcmp(store, "postgres") == 0;
}

static inline void test_pg_quiet(void *arg, const char *message)
{
}

/* Runs one statement on the cluster's postgres database; exits the test when it fails. */
static inline void test_pg_admin(const char *sql)
{
	const char *cluster = getenv("CENTRALITA_TEST_PG");
	if (cluster == NULL) {
		fprintf(stderr, "CENTRALITA_TEST_PG is not set: run the tests with "
		                "scripts/with-postgres.sh (make unit does)\n");
		exit(1);
	}
	char conninfo[512];
	snprintf(conninfo, sizeof(conninfo), "%s dbname=postgres", cluster);
	PGconn *pg = PQconnectdb(conninfo);
	PQsetNoticeProcessor(pg, test_pg_quiet, NULL);
	PGresult *res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(pg));
		exit(1);
	}
	PQclear(res);
	PQfinish(pg);
}

/* Fills url with "sqlite:DIR/NAME_PID.db" and removes any file left there, or with the
 * key=value string of a new, empty PostgreSQL database NAME_PID. */
static inline void test_db_new(char *url, size_t size, const char *name)
{
	if (test_db_is_postgres()) {
		char sql[256];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s_%d", name, getpid());
		test_pg_admin(sql);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s_%d", name, getpid());
		test_pg_admin(sql);
		snprintf(url, size, "%s dbname=%s_%d", getenv("CENTRALITA_TEST_PG"), name,
		         getpid());
		return;
	}
	const char *tmp = getenv("CENTRALITA_TEST_TMP");
	mkdir(tmp ? tmp : "/tmp", 0700);
	snprintf(url, size, "sqlite:%s/%s_%d.db", tmp ? tmp : "/tmp", name, getpid());
	unlink(url + 7);
}

/* Removes the database of url and its -wal and -shm files, or drops the PostgreSQL one. */
static inline void test_db_remove(const char *url)
{
	char file[520];
	if (test_db_is_postgres()) {
		snprintf(file, sizeof(file), "DROP DATABASE %s WITH (FORCE)",
		         strrchr(url, '=') + 1);
		test_pg_admin(file);
		return;
	}
	unlink(url + 7);
	snprintf(file, sizeof(file), "%s-wal", url + 7);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", url + 7);
	unlink(file);
}

#endif
