/*
 * The sub-commands that change or list the account's users, teams, channels and routing:
 * each runs in one write transaction and calls the same inbox/ and accounts/ functions the
 * API does, so the rules hold whichever way a change comes in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/token.h"
#include "demo.h"
#include "http/http.h"
#include "inbox/inbox.h"

typedef int (*cli_tx_fn)(struct store_tx *tx, const struct command *cmd, char **pos,
                         const struct config *c, struct error *e);

/* Runs fn in a write transaction on a migrated store; prints e's message on failure. */
static int with_tx(const struct command *cmd, struct config *c, cli_tx_fn fn, char **pos)
{
	struct store *st;
	int rc = cli_open_store(c, 2, false, &st);
	if (rc != 0)
		return rc;
	struct error e = { 0 };
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	rc = tx ? fn(tx, cmd, pos, c, &e)
	        : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (rc == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	store_close(st);
	if (rc < 0)
		return cli_fail("%s", e.message[0] ? e.message : "the change could not be saved");
	return 0;
}

static const char *password_or_random(const char *given, char generated[TOKEN_TEXT_LEN])
{
	if (given != NULL)
		return given;
	token_generate(generated);
	generated[16] = '\0';
	return generated;
}

static int user_add(struct store_tx *tx, const struct command *cmd, char **pos,
                    const struct config *c, struct error *e)
{
	char generated[TOKEN_TEXT_LEN] = "", name[USER_NAME_MAX + 1], hash[AUTH_HASH_MAX];
	const char *password = password_or_random(cli_flag(cmd, "password"), generated);
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(pos[0], "@"), pos[0]);
	struct user_changes in = { .email = pos[0],
		                   .name = cli_flag(cmd, "name") ? cli_flag(cmd, "name") : name,
		                   .role = cli_flag(cmd, "role") ? cli_flag(cmd, "role") : "agent",
		                   .password_hash = hash,
		                   .is_active = 1 };
	struct user u;
	int rc = auth_password_hash(password, hash, e);
	if (rc == 0)
		rc = user_create(tx, CLI_ACCOUNT_ID, &in, clock_now_ms(), &u, e);
	if (rc == 0) {
		printf("user %lld %s (%s)\n", (long long)u.id, u.email, role_name(u.role));
		if (generated[0] != '\0')
			printf("password: %s\n", generated);
	}
	return rc;
}

static int user_passwd(struct store_tx *tx, const struct command *cmd, char **pos,
                       const struct config *c, struct error *e)
{
	char generated[TOKEN_TEXT_LEN] = "", hash[AUTH_HASH_MAX];
	const char *password = password_or_random(cli_flag(cmd, "password"), generated);
	struct user u;
	int rc = auth_password_hash(password, hash, e);
	if (rc == 0)
		rc = user_find_email(tx, pos[0], &u, e);
	struct user_changes in = { .password_hash = hash, .is_active = -1 };
	if (rc == 0)
		rc = inbox_user_update(tx, u.account_id, u.id, &in, clock_now_ms(), &u, e);
	if (rc == 0 && generated[0] != '\0')
		printf("password: %s\n", generated);
	return rc;
}

static int user_deactivate(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	struct user u;
	struct user_changes in = { .is_active = 0 };
	int rc = user_find_email(tx, pos[0], &u, e);
	if (rc == 0)
		rc = inbox_user_update(tx, u.account_id, u.id, &in, clock_now_ms(), &u, e);
	return rc;
}

static int user_print_list(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	struct user *users;
	size_t n;
	int rc = user_list(tx, CLI_ACCOUNT_ID, &users, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\n", (long long)users[i].id, users[i].email,
		       role_name(users[i].role), users[i].is_active ? "active" : "deactivated",
		       users[i].name);
	if (rc == 0)
		free(users);
	return rc;
}

static int team_add(struct store_tx *tx, const struct command *cmd, char **pos,
                    const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_create(tx, CLI_ACCOUNT_ID, pos[0], clock_now_ms(), &t, e);
	if (rc == 0)
		printf("team %lld %s\n", (long long)t.id, t.name);
	return rc;
}

static int team_print_list(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	struct actor admin = { .account_id = CLI_ACCOUNT_ID, .role = ROLE_ADMIN };
	struct team *teams;
	size_t n;
	int rc = team_list(tx, &admin, &teams, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%lld members\n", (long long)teams[i].id, teams[i].name,
		       (long long)teams[i].member_count);
	if (rc == 0)
		free(teams);
	return rc;
}

static int team_rename_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_find_name(tx, CLI_ACCOUNT_ID, pos[0], &t, e);
	if (rc == 0)
		rc = team_update(tx, CLI_ACCOUNT_ID, t.id,
		                 &(struct team_changes){ .name = pos[1],
		                                         .is_online_only = -1,
		                                         .max_open = -1,
		                                         .does_reply_assign = -1 },
		                 clock_now_ms(), &t, e);
	return rc;
}

static int team_delete_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	struct team t;
	int rc = team_find_name(tx, CLI_ACCOUNT_ID, pos[0], &t, e);
	if (rc == 0)
		rc = team_delete(tx, CLI_ACCOUNT_ID, t.id, e);
	return rc;
}

/* Finds the team named pos[0] and the user with e-mail pos[1]. */
static int team_and_user(struct store_tx *tx, char **pos, struct team *t, struct user *u,
                         struct error *e)
{
	int rc = team_find_name(tx, CLI_ACCOUNT_ID, pos[0], t, e);
	if (rc == 0)
		rc = user_find_email(tx, pos[1], u, e);
	return rc;
}

static int member_add(struct store_tx *tx, const struct command *cmd, char **pos,
                      const struct config *c, struct error *e)
{
	struct team t;
	struct user u;
	int rc = team_and_user(tx, pos, &t, &u, e);
	if (rc == 0)
		rc = team_member_add(tx, CLI_ACCOUNT_ID, t.id, u.id, clock_now_ms(), e);
	return rc;
}

static int member_remove(struct store_tx *tx, const struct command *cmd, char **pos,
                         const struct config *c, struct error *e)
{
	struct team t;
	struct user u;
	int rc = team_and_user(tx, pos, &t, &u, e);
	if (rc == 0)
		rc = team_member_remove(tx, CLI_ACCOUNT_ID, t.id, u.id, e);
	return rc;
}

static int channel_add(struct store_tx *tx, const struct command *cmd, char **pos,
                       const struct config *c, struct error *e)
{
	struct channel_input in = {
		.kind = pos[0],
		.name = cli_flag(cmd, "name"),
		.phone_number_id = cli_flag(cmd, "phone-number-id"),
		.page_id = cli_flag(cmd, "page-id"),
		.instagram_account_id = cli_flag(cmd, "instagram-account-id"),
		.access_token = cli_flag(cmd, "access-token"),
		.app_secret = cli_flag(cmd, "app-secret"),
		.verify_token = cli_flag(cmd, "verify-token"),
		.bot_token = cli_flag(cmd, "bot-token"),
		.mode = cli_flag(cmd, "mode"),
	};
	const char *origins = cli_flag(cmd, "allowed-origins");
	json_t *list = origins != NULL ? json_array() : NULL;
	for (const char *p = origins; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		json_array_append_new(list, json_stringn(p, strcspn(p, ",")));
	in.allowed_origins = list;
	struct seal *seal;
	struct channel ch;
	cli_make_parent_dir(c->secret_key_file);
	int rc = secret_key_open(tx, c->secret_key_file, false, clock_now_ms(), &seal, e);
	if (rc == 0) {
		rc = channel_create(tx, seal, CLI_ACCOUNT_ID, &in, clock_now_ms(), &ch, e);
		seal_free(seal);
	}
	json_decref(list);
	if (rc == 0) {
		char url[1024], recorded[sizeof(c->public_url)];
		const char *base = cli_public_url(tx, c, recorded, sizeof(recorded));
		if (ch.kind == CHANNEL_WEBCHAT)
			channel_widget_snippet(&ch, base, url, sizeof(url));
		else
			channel_webhook_url(&ch, base, url, sizeof(url));
		printf("channel %lld %s %s\n%s: %s\n", (long long)ch.id, channel_kind_name(ch.kind),
		       ch.name, ch.kind == CHANNEL_WEBCHAT ? "embed code" : "webhook URL", url);
	}
	return rc;
}

static int channel_print_list(struct store_tx *tx, const struct command *cmd, char **pos,
                              const struct config *c, struct error *e)
{
	struct channel *list;
	size_t n;
	int rc = channel_list(tx, CLI_ACCOUNT_ID, &list, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\n", (long long)list[i].id,
		       channel_kind_name(list[i].kind), list[i].external_id,
		       list[i].is_active ? "active" : "removed", list[i].name);
	if (rc == 0)
		free(list);
	return rc;
}

static int channel_remove_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                              const struct config *c, struct error *e)
{
	char *end;
	long long id = strtoll(pos[0], &end, 10);
	if (*end != '\0' || id <= 0)
		return error_set(e, ERR_INVALID, "'%s' is not a channel id", pos[0]);
	return channel_remove(tx, CLI_ACCOUNT_ID, id, clock_now_ms(), e);
}

static void print_json(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(doc);
}

static int routing_export_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                              const struct config *c, struct error *e)
{
	json_t *doc = routing_export(tx, CLI_ACCOUNT_ID, e);
	if (doc == NULL)
		return e->code;
	print_json(doc);
	return 0;
}

static int routing_import_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                              const struct config *c, struct error *e)
{
	char *text = cli_read_file(pos[0]);
	if (text == NULL)
		return error_set(e, ERR_INVALID, "cannot read %s", pos[0]);
	json_t *doc = json_parse(text, strlen(text), e);
	free(text);
	if (doc == NULL)
		return e->code;
	struct route_problems problems = { 0 };
	int rc = routing_save(tx, CLI_ACCOUNT_ID, 0, doc, clock_now_ms(), &problems, e);
	for (size_t i = 0; i < problems.count; i++)
		fprintf(stderr, "  %s: %s\n",
		        problems.items[i].path[0] ? problems.items[i].path : "(document)",
		        problems.items[i].reason);
	route_problems_free(&problems);
	json_decref(doc);
	if (rc == 0)
		printf("routing configuration saved\n");
	return rc;
}

static int routing_explain_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                               const struct config *c, struct error *e)
{
	struct route_config *cfg;
	struct route_problems problems = { 0 };
	int rc = routing_load(tx, CLI_ACCOUNT_ID, NULL, &cfg, &problems, e);
	route_problems_free(&problems);
	if (rc == 0 && cfg == NULL)
		rc = error_set(e, ERR_UNPROCESSABLE, "no routing configuration is saved");
	if (rc == 0)
		print_json(routing_explain(tx, CLI_ACCOUNT_ID, cfg, pos[0], NULL, e));
	route_config_free(cfg);
	return rc;
}

const char *cli_public_url(struct store_tx *tx, const struct config *c, char *buf, size_t size)
{
	struct error e;
	if (c->is_public_url_given || public_url_recorded(tx, buf, size, &e) < 0)
		return c->public_url;
	return buf;
}

static int demo_logins_cmd(struct store_tx *tx, const struct command *cmd, char **pos,
                           const struct config *c, struct error *e)
{
	return demo_logins_print(tx, stdout, e);
}

#define TX_COMMAND(fn_name, tx_fn)                                           \
	int fn_name(const struct command *cmd, struct config *c, char **pos) \
	{                                                                    \
		return with_tx(cmd, c, tx_fn, pos);                          \
	}
TX_COMMAND(cli_user_add, user_add)
TX_COMMAND(cli_user_list, user_print_list)
TX_COMMAND(cli_user_passwd, user_passwd)
TX_COMMAND(cli_user_deactivate, user_deactivate)
TX_COMMAND(cli_team_add, team_add)
TX_COMMAND(cli_team_list, team_print_list)
TX_COMMAND(cli_team_rename, team_rename_cmd)
TX_COMMAND(cli_team_delete, team_delete_cmd)
TX_COMMAND(cli_member_add, member_add)
TX_COMMAND(cli_member_remove, member_remove)
TX_COMMAND(cli_channel_add, channel_add)
TX_COMMAND(cli_routing_export, routing_export_cmd)
TX_COMMAND(cli_routing_import, routing_import_cmd)
TX_COMMAND(cli_routing_explain, routing_explain_cmd)
TX_COMMAND(cli_channel_list, channel_print_list)
TX_COMMAND(cli_channel_remove, channel_remove_cmd)
TX_COMMAND(cli_demo_logins, demo_logins_cmd)
