/*
 * centralita copy: a whole installation from its SQLite database into PostgreSQL
 * (store_copy), the source locked against a running server meanwhile, then what was copied
 * and what the operator moves by hand: the files folder and the secret key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Where the copied database's files are, and what the servers on the new one need. */
static void tell_files(struct config *c, const struct store_copy_count *counts, size_t n)
{
	long long files = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(counts[i].table, "files") == 0)
			files = counts[i].rows;
	cli_files_dir(c);
	printf("\nWhat the database does not hold, for every server on the new one:\n"
	       "  the files (%lld named by the database) stay in %s: give the servers that"
	       " folder\n"
	       "    (--files-dir %s), or copy it first (rsync -a %s/ DEST/) and give them DEST;\n"
	       "  the secret key that seals the channels' credentials: a copy of %s\n"
	       "    (--secret-key-file).\n",
	       files, c->files_dir, c->files_dir, c->files_dir, c->secret_key_file);
}

int cli_copy(const struct command *cmd, struct config *c, char **pos)
{
	const char *from = cli_flag(cmd, "from"), *to = cli_flag(cmd, "to");
	if (from == NULL || to == NULL)
		cli_usage_error("copy ", "--from and --to are both required");
	if (strncmp(from, "sqlite:", 7) != 0 || from[7] == '\0')
		cli_usage_error("copy ", "--from must be sqlite:PATH");
	if (!config_db_is_postgres(to))
		cli_usage_error("copy ",
		                "--to must be PostgreSQL: postgres://… or host=… dbname=…");
	snprintf(c->db, sizeof(c->db), "%s", from);
	const char *path = config_sqlite_path(c);
	if (access(path, F_OK) != 0)
		return cli_refuse("no database at %s", path);
	struct store *src = NULL, *dst = NULL;
	struct store_copy_count *counts = NULL;
	size_t n = 0;
	struct error e;
	int held = -1;
	int rc = cli_hold_database(path, true, &held);
	if (rc == 0 && store_open(from, 2, c->busy_timeout_ms, &src, &e) < 0)
		rc = cli_refuse("%s", e.message);
	if (rc == 0 && store_open(to, 2, c->busy_timeout_ms, &dst, &e) < 0)
		rc = cli_refuse("%s", e.message);
	if (rc == 0 && store_copy(src, dst, &counts, &n, &e) < 0)
		rc = e.code == ERR_UNPROCESSABLE || e.code == ERR_CONFLICT
		         ? cli_refuse("%s; nothing was copied", e.message)
		         : cli_fail("%s", e.message);
	store_close(dst);
	store_close(src);
	cli_release_database(held);
	if (rc != 0)
		return rc;
	printf("Copied %s into PostgreSQL in one transaction; rows per table, each counted again"
	       " in the target:\n",
	       path);
	for (size_t i = 0; i < n; i++)
		printf("  %-28s %lld\n", counts[i].table, (long long)counts[i].rows);
	tell_files(c, counts, n);
	free(counts);
	return 0;
}
