/*
 * cli/: the sub-commands behind src/main.c's table — the words of a command line, the
 * server's lifecycle, the admin commands and simulate. Commands call the modules' own
 * functions (inbox/, accounts/, http/); no rule lives here. Exit status 2 for usage
 * errors and for what the command refuses to start with (a database it cannot use, a missing
 * or wrong key, a port it cannot bind), 1 for other failures, 0 for success.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "store/store.h"

#define CLI_POSITIONAL_MAX 4
#define CLI_EXIT_REFUSED   2
#define CLI_ACCOUNT_ID     1 /* one company per server for now; every table is ready for more */

enum cli_flag_kind {
	CLI_VALUE,  /* --NAME VALUE */
	CLI_SECRET, /* also --NAME-file PATH: kept out of the process list */
	CLI_SWITCH, /* --NAME alone: value is "1" when given */
};

/* A sub-command's own flag, beyond the configuration items; value is set by cli_parse_args. */
struct cli_flag {
	const char *name;
	const char *help;
	const char *value;
	enum cli_flag_kind kind;
};

struct command {
	const char *name;
	const char *usage;
	const char *summary;
	int npositional;
	struct cli_flag *flags; /* ends with a NULL name; may be NULL */
	bool uses_config;
	int (*run)(const struct command *cmd, struct config *c, char **pos);
};

/* args.c */

/* Prints "centralita: <message> (see 'centralita <cmd>--help')" and exits with status 2. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Parses argv (after the sub-command's words) into flags, configuration items and pos;
 * --help prints the command's help and exits 0, anything wrong is a usage error. */
void cli_parse_args(const struct command *cmd, int argc, char **argv, struct config *c, char **pos);
/* The value given for the command's own flag `name`, or NULL; a name the command does not
 * declare is a programming error (it aborts). */
const char *cli_flag(const struct command *cmd, const char *name);
/* Prints "centralita: <message>" and returns 1 (the failure exit status). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "centralita: <message>" and returns CLI_EXIT_REFUSED. */
int cli_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The whole file as a string to free; NULL when it cannot be read. */
char *cli_read_file(const char *path);

/* serve.c */

/* Creates the directory holding path when it is missing (one level, mode 0700). */
void cli_make_parent_dir(const char *path);
/* Opens the configured database with a pool of `pool` connections and migrates it; a SQLite
 * file that does not exist is created only if may_create. 0, or the exit status after saying
 * why not (CLI_EXIT_REFUSED). */
int cli_open_store(struct config *c, int pool, bool may_create, struct store **st);
/* Opens the secret key checked against the database (secret_key_open): 0, or the exit
 * status after saying why not (CLI_EXIT_REFUSED). */
int cli_open_key(const struct config *c, struct store *st, bool start_over, struct seal **out);
/* Fills c->files_dir with its default when it was not given: "files" beside the SQLite
 * database, ./var/files for PostgreSQL. */
void cli_files_dir(struct config *c);
/*
 * Locks the SQLite database file at path (NULL: PostgreSQL, nothing to do) against the other
 * kind of holder: shared for a running server, exclusive for `centralita copy`, so that a copy
 * refuses a database a server uses and a server refuses to start during a copy. *fd is held
 * until cli_release_database, called only once the store is closed: closing any descriptor
 * of the file drops SQLite's own locks on it (POSIX record locks). 0, or the exit status
 * after saying why not (CLI_EXIT_REFUSED).
 */
int cli_hold_database(const char *path, bool is_exclusive, int *fd);
void cli_release_database(int fd);
int cli_serve(const struct command *cmd, struct config *c, char **pos);
int cli_migrate(const struct command *cmd, struct config *c, char **pos);

/* admin.c: each in one write transaction */

int cli_user_add(const struct command *cmd, struct config *c, char **pos);
int cli_user_list(const struct command *cmd, struct config *c, char **pos);
int cli_user_passwd(const struct command *cmd, struct config *c, char **pos);
int cli_user_deactivate(const struct command *cmd, struct config *c, char **pos);
int cli_team_add(const struct command *cmd, struct config *c, char **pos);
int cli_team_list(const struct command *cmd, struct config *c, char **pos);
int cli_team_rename(const struct command *cmd, struct config *c, char **pos);
int cli_team_delete(const struct command *cmd, struct config *c, char **pos);
int cli_member_add(const struct command *cmd, struct config *c, char **pos);
int cli_member_remove(const struct command *cmd, struct config *c, char **pos);
int cli_channel_add(const struct command *cmd, struct config *c, char **pos);
int cli_channel_list(const struct command *cmd, struct config *c, char **pos);
int cli_channel_remove(const struct command *cmd, struct config *c, char **pos);
int cli_routing_export(const struct command *cmd, struct config *c, char **pos);
int cli_routing_import(const struct command *cmd, struct config *c, char **pos);
int cli_routing_explain(const struct command *cmd, struct config *c, char **pos);
int cli_demo_logins(const struct command *cmd, struct config *c, char **pos);
/* The server's public URL for commands that print or call it: the flag or environment when
 * given (as serve reads them), else the one the server last started with, else the default.
 * Returns c->public_url or buf. */
const char *cli_public_url(struct store_tx *tx, const struct config *c, char *buf, size_t size);

/* copy.c */

/* Copies a whole installation from its SQLite database into PostgreSQL (store_copy). */
int cli_copy(const struct command *cmd, struct config *c, char **pos);

/* simulate.c */

/* Posts a correctly signed customer message to the running server, as the provider would. */
int cli_simulate(const struct command *cmd, struct config *c, char **pos);

#endif
