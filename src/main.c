/*
 * centralita: the command line's index. The table below names every sub-command, its flags
 * and the function in cli/ that runs it; main() finds the command, reads the configuration
 * (defaults, then CENTRALITA_* environment, then flags) and runs it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/token.h"
#include "store/store.h"

static struct cli_flag user_add_flags[] = {
	{ "name", "the person's name (defaults to the part of the e-mail before @)", NULL,
	  CLI_VALUE },
	{ "role", "admin, agent or restricted (agent)", NULL, CLI_VALUE },
	{ "password", "the password (a random one is printed when omitted)", NULL, CLI_SECRET },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static struct cli_flag passwd_flags[] = {
	{ "password", "the new password (a random one is printed when omitted)", NULL, CLI_SECRET },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static struct cli_flag channel_flags[] = {
	{ "name", "the channel's display name (required)", NULL, CLI_VALUE },
	{ "phone-number-id", "WhatsApp: the phone number id", NULL, CLI_VALUE },
	{ "page-id", "Messenger: the page id", NULL, CLI_VALUE },
	{ "instagram-account-id", "Instagram: the account id", NULL, CLI_VALUE },
	{ "access-token", "WhatsApp, Messenger, Instagram: the access token", NULL, CLI_SECRET },
	{ "app-secret", "WhatsApp, Messenger, Instagram: the app secret", NULL, CLI_SECRET },
	{ "verify-token", "WhatsApp, Messenger, Instagram: the webhook verify token", NULL,
	  CLI_SECRET },
	{ "bot-token", "Telegram: the bot token from BotFather", NULL, CLI_SECRET },
	{ "mode", "Telegram: webhook (default) or polling", NULL, CLI_VALUE },
	{ "allowed-origins", "webchat: origins that may embed it, comma-separated (any)", NULL,
	  CLI_VALUE },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static struct cli_flag serve_flags[] = {
	{ "new-secret-key",
	  "start with the key file given (created when missing) although the channels' credentials "
	  "were sealed with another: every channel must then be connected again",
	  NULL, CLI_SWITCH },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static struct cli_flag simulate_flags[] = {
	{ "channel", "the channel's id (required)", NULL, CLI_VALUE },
	{ "from", "the customer: phone (WhatsApp), PSID, IGSID or Telegram user id", NULL,
	  CLI_VALUE },
	{ "name", "the customer's display name (Cliente)", NULL, CLI_VALUE },
	{ "text", "what the customer writes", NULL, CLI_VALUE },
	{ "payload", "post this file as the webhook body instead of building one", NULL,
	  CLI_VALUE },
	{ "url",
	  "the server to post to (the public URL: --public-url, else the one the server"
	  " started with)",
	  NULL, CLI_VALUE },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static struct cli_flag copy_flags[] = {
	{ "from", "the installation's database: sqlite:PATH (required; no server may be using it)",
	  NULL, CLI_VALUE },
	{ "to",
	  "the PostgreSQL database: postgres://… or host=… dbname=… (required; new, or as "
	  "'centralita migrate' left it)",
	  NULL, CLI_SECRET },
	{ NULL, NULL, NULL, CLI_VALUE },
};

static int cmd_version(const struct command *cmd, struct config *c, char **pos)
{
	printf("centralita %s (schema %d)\n", CENTRALITA_VERSION, store_schema_latest());
	return 0;
}

static int cmd_help(const struct command *cmd, struct config *c, char **pos);

static const struct command commands[] = {
	{ "serve", "serve [--new-secret-key] [flags]",
	  "Serves the web inbox, the API and the webhooks.", 0, serve_flags, true, cli_serve },
	{ "migrate", "migrate [--db URL]", "Brings the database schema up to date.", 0, NULL, true,
	  cli_migrate },
	{ "user add",
	  "user add EMAIL [--name NAME] [--role admin|agent|restricted] [--password-file PATH]",
	  "Creates a user.", 1, user_add_flags, true, cli_user_add },
	{ "user list", "user list", "Lists the users.", 0, NULL, true, cli_user_list },
	{ "user passwd", "user passwd EMAIL [--password-file PATH]",
	  "Sets a user's password and ends their sessions.", 1, passwd_flags, true,
	  cli_user_passwd },
	{ "user deactivate", "user deactivate EMAIL",
	  "Deactivates a user: they can no longer log in.", 1, NULL, true, cli_user_deactivate },
	{ "team add", "team add NAME", "Creates a team.", 1, NULL, true, cli_team_add },
	{ "team list", "team list", "Lists the teams.", 0, NULL, true, cli_team_list },
	{ "team rename", "team rename NAME NEW-NAME", "Renames a team.", 2, NULL, true,
	  cli_team_rename },
	{ "team delete", "team delete NAME",
	  "Deletes a team; its conversations move to the general inbox.", 1, NULL, true,
	  cli_team_delete },
	{ "team member add", "team member add TEAM EMAIL", "Adds a user to a team.", 2, NULL, true,
	  cli_member_add },
	{ "team member remove", "team member remove TEAM EMAIL", "Removes a user from a team.", 2,
	  NULL, true, cli_member_remove },
	{ "channel add",
	  "channel add whatsapp|messenger|instagram|telegram|webchat --name NAME [flags]",
	  "Connects a channel and prints the webhook URL to give the provider (for a web chat, "
	  "the embed code to paste into the site).",
	  1, channel_flags, true, cli_channel_add },
	{ "channel list", "channel list", "Lists the channels.", 0, NULL, true, cli_channel_list },
	{ "channel remove", "channel remove ID",
	  "Removes a channel; its conversations stay in the inbox.", 1, NULL, true,
	  cli_channel_remove },
	{ "routing export", "routing export", "Prints the routing configuration (teams by name).",
	  0, NULL, true, cli_routing_export },
	{ "routing import", "routing import FILE",
	  "Validates and saves a routing configuration; prints every problem when refused.", 1,
	  NULL, true, cli_routing_import },
	{ "routing explain", "routing explain TEXT",
	  "Shows which option a customer's TEXT would match, and why.", 1, NULL, true,
	  cli_routing_explain },
	{ "demo logins", "demo logins",
	  "Prints the demo account's logins again (those whose password was not changed since).", 0,
	  NULL, true, cli_demo_logins },
	{ "copy", "copy --from sqlite:PATH --to postgres://…",
	  "Copies a whole installation from its SQLite database into an empty PostgreSQL one, in one "
	  "transaction.",
	  0, copy_flags, true, cli_copy },
	{ "simulate",
	  "simulate KIND --channel ID --from USER --text TEXT [--name NAME] [--url URL]",
	  "Posts a correctly signed customer message to the running server, as the provider would.",
	  1, simulate_flags, true, cli_simulate },
	{ "version", "version", "Prints the version.", 0, NULL, false, cmd_version },
	{ "help", "help", "Lists the sub-commands.", 0, NULL, false, cmd_help },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(const struct command *cmd, struct config *c, char **pos)
{
	printf("Centralita %s: a shared inbox for WhatsApp, Messenger, Instagram, Telegram"
	       " and a web chat.\n\nusage:\n",
	       CENTRALITA_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("  centralita %-28s %s\n", commands[i].name, commands[i].summary);
	printf("\n'centralita COMMAND --help' tells more.\n");
	return 0;
}

/* How many words of argv (from index 1) spell the command's name; 0 when they do not. */
static int words_matching(const char *name, int argc, char **argv)
{
	int words = 0;
	const char *p = name;
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (strncmp(p, argv[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
			return 0;
		words++;
		p += len;
		if (*p == '\0')
			return words;
		p++;
	}
	return 0;
}

/* `centralita user` and the like: lists the group's commands. */
static int group_help(int argc, char **argv)
{
	size_t len = strlen(argv[1]);
	bool is_group = false;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strncmp(commands[i].name, argv[1], len) == 0 && commands[i].name[len] == ' ') {
			if (!is_group)
				printf("usage:\n");
			is_group = true;
			printf("  centralita %s\n", commands[i].usage);
		}
	}
	if (!is_group)
		cli_usage_error("", "unknown command '%s'", argv[1]);
	bool wants_help = argc > 2 && (strcmp(argv[argc - 1], "--help") == 0 ||
	                               strcmp(argv[argc - 1], "-h") == 0);
	return wants_help ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_help(NULL, NULL, NULL), 2;
	const struct command *cmd = NULL;
	int words = 0;
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if ((words = words_matching(commands[i].name, argc, argv)) > 0)
			cmd = &commands[i];
	if (cmd == NULL)
		return group_help(argc, argv);
	/* The database, its -wal and -shm, the key and their folder: for the service's user only.
	 */
	umask(077);
	if (token_init() < 0)
		return cli_fail("libsodium could not start");
	struct config c;
	struct error e;
	config_defaults(&c);
	if (cmd->uses_config && config_from_env(&c, &e) < 0)
		cli_usage_error("", "%s", e.message);
	char *pos[CLI_POSITIONAL_MAX] = { 0 };
	cli_parse_args(cmd, argc - 1 - words, argv + 1 + words, &c, pos);
	log_configure(c.log_level, c.log_format);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmd->run(cmd, &c, pos);
	curl_global_cleanup();
	return rc;
}
