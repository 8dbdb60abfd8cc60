/*
 * A throwaway SQLite database for the tests that need a real file: its sqlite: URL under
 * $CENTRALITA_TEST_TMP (a fresh file, named after the test and the process), and its removal
 * with the WAL companions. Header-only (static inline) so each test stays one file.
 */
#ifndef TESTS_STORE_TEST_H
#define TESTS_STORE_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fills url with "sqlite:DIR/NAME_PID.db" and removes any file left there. */
static inline void test_db_new(char *url, size_t size, const char *name)
{
	const char *tmp = getenv("CENTRALITA_TEST_TMP");
	mkdir(tmp ? tmp : "/tmp", 0700);
	snprintf(url, size, "sqlite:%s/%s_%d.db", tmp ? tmp : "/tmp", name, getpid());
	unlink(url + 7);
}

/* Removes the database of url and its -wal and -shm files. */
static inline void test_db_remove(const char *url)
{
	char file[520];
	unlink(url + 7);
	snprintf(file, sizeof(file), "%s-wal", url + 7);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", url + 7);
	unlink(file);
}

#endif
