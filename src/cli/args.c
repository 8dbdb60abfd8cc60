/* The command line's words: flags and positional arguments, help, usage errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "centralita: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'centralita %s--help')\n", cmd);
	va_end(ap);
	exit(2);
}

/* The configuration items other commands than serve read (the rest they take and ignore,
 * so that one set of flags and environment works for every command). */
static bool is_for_command(const struct command *cmd, const char *flag)
{
	static const char *const shared[] = { "db", "secret-key-file", "public-url",
		                              "busy-timeout" };
	if (strcmp(cmd->name, "serve") == 0)
		return true;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		if (strcmp(shared[i], flag) == 0)
			return true;
	return false;
}

static void print_help(const struct command *cmd)
{
	printf("usage: centralita %s\n\n%s\n", cmd->usage, cmd->summary);
	bool has_flags = cmd->uses_config || (cmd->flags && cmd->flags[0].name);
	if (has_flags)
		printf("\nflags:\n");
	for (struct cli_flag *f = cmd->flags; f && f->name; f++) {
		printf("  --%-18s %s\n", f->name, f->help);
		char file_flag[64];
		snprintf(file_flag, sizeof(file_flag), "%s-file PATH", f->name);
		if (f->kind == CLI_SECRET)
			printf(
			    "  --%-18s the same from the first line of PATH (- reads standard input),\n"
			    "  %20s out of sight of other users, unlike a flag in the process list\n",
			    file_flag, "");
	}
	for (int i = 0; cmd->uses_config && config_items[i].flag; i++)
		if (is_for_command(cmd, config_items[i].flag))
			printf("  --%-18s %s [%s]\n", config_items[i].flag, config_items[i].help,
			       config_items[i].env);
	if (cmd->uses_config && strcmp(cmd->name, "serve") != 0)
		printf("  (and every flag of 'centralita serve --help', accepted and unused)\n");
}

static struct cli_flag *find_flag(const struct command *cmd, const char *name)
{
	for (struct cli_flag *f = cmd->flags; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* The secret flag that --name (NAME-file) reads from a file, or NULL. */
static struct cli_flag *find_secret_file_flag(const struct command *cmd, const char *name)
{
	size_t len = strlen(name);
	if (len <= 5 || strcmp(name + len - 5, "-file") != 0)
		return NULL;
	for (struct cli_flag *f = cmd->flags; f && f->name; f++)
		if (f->kind == CLI_SECRET && strlen(f->name) == len - 5 &&
		    strncmp(f->name, name, len - 5) == 0)
			return f;
	return NULL;
}

/* A secret's value from the first line of path ("-": standard input), to keep until exit. */
static const char *read_secret(const char *prefix, const char *flag, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (f == NULL)
		cli_usage_error(prefix, "--%s-file: cannot open %s: %s", flag, path,
		                strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (!is_stdin)
		fclose(f);
	if (n > 0)
		line[strcspn(line, "\r\n")] = '\0';
	if (n <= 0 || line[0] == '\0') {
		free(line);
		cli_usage_error(prefix, "--%s-file: %s has no value on its first line", flag,
		                is_stdin ? "standard input" : path);
	}
	return line;
}

void cli_parse_args(const struct command *cmd, int argc, char **argv, struct config *c, char **pos)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s ", cmd->name);
	int npos = 0;
	struct error e;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_help(cmd);
			exit(0);
		}
		if (strncmp(arg, "-", 1) != 0 || strcmp(arg, "-") == 0) {
			if (npos == cmd->npositional)
				cli_usage_error(prefix, "unexpected argument '%s'", arg);
			pos[npos++] = argv[i];
			continue;
		}
		char name[64];
		const char *value = NULL;
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (strncmp(arg, "--", 2) != 0 || len - 2 >= sizeof(name))
			cli_usage_error(prefix, "unknown flag %s", arg);
		memcpy(name, arg + 2, len - 2);
		name[len - 2] = '\0';
		struct cli_flag *own = find_flag(cmd, name);
		struct cli_flag *from_file = find_secret_file_flag(cmd, name);
		bool is_config = false;
		for (int k = 0; cmd->uses_config && config_items[k].flag; k++)
			is_config |= strcmp(config_items[k].flag, name) == 0;
		if (own == NULL && from_file == NULL && !is_config)
			cli_usage_error(prefix, "unknown flag --%s", name);
		if (own != NULL && own->kind == CLI_SWITCH) {
			if (eq != NULL)
				cli_usage_error(prefix, "--%s takes no value", name);
			own->value = "1";
			continue;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			cli_usage_error(prefix, "--%s needs a value", name);
		if (from_file != NULL)
			from_file->value = read_secret(prefix, from_file->name, value);
		else if (own != NULL)
			own->value = value;
		else if (config_set_flag(c, name, value, &e) < 0)
			cli_usage_error(prefix, "%s", e.message);
	}
	if (npos != cmd->npositional)
		cli_usage_error(prefix, "expected: centralita %s", cmd->usage);
}

const char *cli_flag(const struct command *cmd, const char *name)
{
	const struct cli_flag *f = find_flag(cmd, name);
	if (f == NULL) {
		fprintf(stderr, "centralita: the command '%s' has no flag --%s\n", cmd->name, name);
		abort();
	}
	return f->value;
}

__attribute__((format(printf, 1, 0))) static void say(const char *fmt, va_list ap)
{
	fprintf(stderr, "centralita: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return 1;
}

int cli_refuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return CLI_EXIT_REFUSED;
}

char *cli_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}
