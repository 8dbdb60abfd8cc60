/*
 * centralita simulate: the webhook body a provider would send for one customer text, signed
 * with the channel's secret and posted to the running server, so that demos and people
 * trying the routing need no provider account.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/token.h"

#define ANSWER_MAX 65536 /* bytes of the server's answer printed */

static char *whatsapp(const char *external_id, const char *from, const char *name, const char *text,
                      const char *mid, int64_t now_ms)
{
	char seconds[24];
	snprintf(seconds, sizeof(seconds), "%lld", (long long)(now_ms / 1000));
	json_t *value =
	    json_pack("{s:s,s:{s:s,s:s},s:[{s:{s:s},s:s}],s:[{s:s,s:s,s:s,s:s,s:{s:s}}]}",
	              "messaging_product", "whatsapp", "metadata", "display_phone_number",
	              external_id, "phone_number_id", external_id, "contacts", "profile", "name",
	              name, "wa_id", from, "messages", "from", from, "id", mid, "timestamp",
	              seconds, "type", "text", "text", "body", text);
	json_t *body =
	    json_pack("{s:s,s:[{s:s,s:[{s:s,s:o}]}]}", "object", "whatsapp_business_account",
	              "entry", "id", external_id, "changes", "field", "messages", "value", value);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

/* Messenger and Instagram share the Messenger Platform's envelope. */
static char *messaging(enum channel_kind kind, const char *external_id, const char *from,
                       const char *text, const char *mid, int64_t now_ms)
{
	json_t *body = json_pack(
	    "{s:s,s:[{s:s,s:I,s:[{s:{s:s},s:{s:s},s:I,s:{s:s,s:s}}]}]}", "object",
	    kind == CHANNEL_MESSENGER ? "page" : "instagram", "entry", "id", external_id, "time",
	    (json_int_t)now_ms, "messaging", "sender", "id", from, "recipient", "id", external_id,
	    "timestamp", (json_int_t)now_ms, "message", "mid", mid, "text", text);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

static char *telegram(const char *from, const char *name, const char *text, int64_t now_ms)
{
	char *end;
	long long user = strtoll(from, &end, 10);
	if (*from == '\0' || *end != '\0' || user <= 0)
		return NULL;
	unsigned int id;
	token_random_bytes(&id, sizeof(id));
	json_int_t message_id = (json_int_t)(id & 0x7fffffff);
	json_t *person =
	    json_pack("{s:I,s:b,s:s}", "id", (json_int_t)user, "is_bot", 0, "first_name", name);
	json_t *chat = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)user, "type", "private",
	                         "first_name", name);
	json_t *body = json_pack("{s:I,s:{s:I,s:o,s:o,s:I,s:s}}", "update_id", message_id,
	                         "message", "message_id", message_id, "from", person, "chat", chat,
	                         "date", (json_int_t)(now_ms / 1000), "text", text);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}

/*
 * The body (to free) of a customer message `text` from `from` (a wa_id, PSID, IGSID or, for
 * Telegram, a numeric user id) with display name `name`, to the channel the provider knows
 * as external_id, at now_ms, with a fresh random message id. NULL when from is not numeric
 * for Telegram.
 */
static char *simulate_payload(enum channel_kind kind, const char *external_id, const char *from,
                              const char *name, const char *text, int64_t now_ms)
{
	char random[TOKEN_TEXT_LEN], mid[TOKEN_TEXT_LEN + 16];
	token_generate(random);
	switch (kind) {
	case CHANNEL_WHATSAPP:
		snprintf(mid, sizeof(mid), "wamid.sim-%s", random);
		return whatsapp(external_id, from, name, text, mid, now_ms);
	case CHANNEL_MESSENGER:
	case CHANNEL_INSTAGRAM:
		snprintf(mid, sizeof(mid), "m_sim-%s", random);
		return messaging(kind, external_id, from, text, mid, now_ms);
	case CHANNEL_TELEGRAM:
		return telegram(from, name, text, now_ms);
	case CHANNEL_WEBCHAT: /* the widget posts to the visitor API, not to a webhook */
		break;
	}
	return NULL;
}

/* Posts body to url with one extra header (through core/fetch, like every outbound request);
 * prints the answer. 0 when it was 200. */
static int post_webhook(const char *url, const char *header, const char *body)
{
	char *const headers[] = { "Content-Type: application/json", (char *)header };
	struct fetch f = { 0 };
	fetch_post(&f, url, headers, 2, body, strlen(body), 30000, ANSWER_MAX, NULL);
	CURLcode rc = curl_easy_perform(f.easy);
	long status = 0;
	curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		fprintf(stderr, "centralita: cannot post to %s: %s\n", url, curl_easy_strerror(rc));
	else
		printf("%ld %.*s\n", status, (int)f.answer.len, f.answer.data ? f.answer.data : "");
	fetch_clear(&f);
	return rc == CURLE_OK && status == 200 ? 0 : 1;
}

int cli_simulate(const struct command *cmd, struct config *c, char **pos)
{
	const char *channel = cli_flag(cmd, "channel"), *from = cli_flag(cmd, "from");
	const char *name = cli_flag(cmd, "name"), *text = cli_flag(cmd, "text");
	const char *payload = cli_flag(cmd, "payload"), *url = cli_flag(cmd, "url");
	char *end;
	long long id = channel ? strtoll(channel, &end, 10) : 0;
	if (channel == NULL || *end != '\0' || id <= 0)
		cli_usage_error("simulate ", "--channel needs a channel id");
	if (payload == NULL && (from == NULL || text == NULL))
		cli_usage_error("simulate ", "give --from and --text, or --payload");
	struct store *st;
	struct seal *seal;
	struct error e;
	struct channel ch;
	struct channel_secrets secrets = { 0 };
	int rc = cli_open_store(c, 2, false, &st);
	if (rc == 0 && (rc = cli_open_key(c, st, false, &seal)) != 0)
		store_close(st);
	if (rc != 0)
		return rc;
	struct store_tx *tx = store_begin(st, STORE_READ);
	rc = tx ? channel_get(tx, CLI_ACCOUNT_ID, id, &ch, &e)
	        : error_set(&e, ERR_UNAVAILABLE, "the database is not available");
	if (rc == 0 && strcmp(channel_kind_name(ch.kind), pos[0]) != 0)
		rc = error_set(&e, ERR_INVALID, "channel %lld is a %s channel", id,
		               channel_kind_name(ch.kind));
	if (rc == 0 && ch.kind == CHANNEL_WEBCHAT)
		rc = error_set(
		    &e, ERR_INVALID,
		    "web chat messages come from the widget's visitor API, not a webhook");
	if (rc == 0)
		rc = channel_secrets_get(tx, seal, ch.id, &secrets, &e);
	char recorded[sizeof(c->public_url)];
	const char *base = url != NULL ? url
	                   : tx        ? cli_public_url(tx, c, recorded, sizeof(recorded))
	                               : c->public_url;
	store_rollback(tx);
	store_close(st);
	seal_free(seal);
	if (rc < 0)
		return cli_fail("%s", e.message);
	char *body = payload ? cli_read_file(payload)
	                     : simulate_payload(ch.kind, ch.external_id, from,
	                                        name ? name : "Cliente", text, clock_now_ms());
	char target[1100], header[300];
	if (body == NULL) {
		channel_secrets_clear(&secrets);
		return cli_fail(payload ? "cannot read %s"
		                        : "--from must be a numeric user id for %s",
		                payload ? payload : "telegram");
	}
	if (ch.kind == CHANNEL_TELEGRAM) {
		snprintf(target, sizeof(target), "%s/webhooks/telegram/%lld", base, id);
		snprintf(header, sizeof(header), "X-Telegram-Bot-Api-Secret-Token: %s",
		         secrets.webhook_secret);
	} else {
		char signature[META_SIGNATURE_LEN];
		meta_signature_header(body, strlen(body), secrets.app_secret, signature);
		snprintf(target, sizeof(target), "%s/webhooks/%s", base, pos[0]);
		snprintf(header, sizeof(header), "X-Hub-Signature-256: %s", signature);
	}
	channel_secrets_clear(&secrets);
	rc = post_webhook(target, header, body);
	free(body);
	return rc;
}
