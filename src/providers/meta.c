/*
 * What every Meta webhook has in common (WhatsApp, Messenger and Instagram): the
 * X-Hub-Signature-256 check, the GET handshake, and the {"object", "entry": [...]} envelope,
 * whose entries messenger.c and whatsapp.c read. No I/O here.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

struct meta_webhook {
	enum channel_kind kind;
	json_t *root;
	char *ids[META_MAX_CHANNELS];
	size_t id_count;
};

static void hmac(const char *body, size_t len, const char *app_secret,
                 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)app_secret, strlen(app_secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, out);
}

void meta_signature_header(const char *body, size_t len, const char *app_secret,
                           char out[META_SIGNATURE_LEN])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	hmac(body, len, app_secret, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, META_SIGNATURE_LEN - 7, mac, sizeof(mac));
}

int meta_signature_verify(const char *header, const char *body, size_t len, const char *app_secret)
{
	static const char prefix[] = "sha256=";
	unsigned char expected[crypto_auth_hmacsha256_BYTES];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	size_t mac_len = 0;
	const char *hex_end = NULL;
	int rc = ERR_BAD_SIGNATURE;

	if (header == NULL || app_secret == NULL || app_secret[0] == '\0' ||
	    (body == NULL && len > 0))
		goto out;
	if (strncmp(header, prefix, sizeof(prefix) - 1) != 0)
		goto out;
	header += sizeof(prefix) - 1;
	if (strlen(header) != 2 * sizeof(mac))
		goto out;
	if (sodium_hex2bin(mac, sizeof(mac), header, 2 * sizeof(mac), NULL, &mac_len, &hex_end) !=
	        0 ||
	    mac_len != sizeof(mac) || *hex_end != '\0')
		goto out;

	hmac(body, len, app_secret, expected);
	if (sodium_memcmp(expected, mac, sizeof(mac)) == 0)
		rc = 0;
out:
	sodium_memzero(expected, sizeof(expected));
	return rc;
}

int meta_subscription_verify(const char *mode, const char *verify_token, const char *challenge,
                             const char *expected_token)
{
	if (mode == NULL || strcmp(mode, "subscribe") != 0 || challenge == NULL ||
	    verify_token == NULL || expected_token == NULL || expected_token[0] == '\0')
		return ERR_FORBIDDEN;
	size_t len = strlen(challenge);
	if (len == 0 || len > 64)
		return ERR_FORBIDDEN;
	for (size_t i = 0; i < len; i++)
		if (challenge[i] < 0x21 || challenge[i] > 0x7e || challenge[i] == '<' ||
		    challenge[i] == '>' || challenge[i] == '&')
			return ERR_FORBIDDEN;
	return token_equal(verify_token, expected_token) ? 0 : ERR_FORBIDDEN;
}

static const char *object_name(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "whatsapp_business_account";
	case CHANNEL_MESSENGER:
		return "page";
	case CHANNEL_INSTAGRAM:
		return "instagram";
	case CHANNEL_TELEGRAM:
	case CHANNEL_WEBCHAT:
		break;
	}
	return NULL;
}

/* Adds id to the distinct ids; -1 when there would be more than META_MAX_CHANNELS. */
static int add_channel(struct meta_webhook *w, const char *id)
{
	if (id == NULL)
		return 0;
	for (size_t i = 0; i < w->id_count; i++)
		if (strcmp(w->ids[i], id) == 0)
			return 0;
	if (w->id_count == META_MAX_CHANNELS)
		return -1;
	w->ids[w->id_count++] = xstrdup(id);
	return 0;
}

static int collect_channels(struct meta_webhook *w, struct error *e)
{
	json_t *entry, *change;
	size_t i, j;

	json_array_foreach(jarr(w->root, "entry"), i, entry)
	{
		if (w->kind != CHANNEL_WHATSAPP) {
			char *id = field_id_or_int(json_object_get(entry, "id"));
			int rc = add_channel(w, id);
			free(id);
			if (rc < 0)
				goto too_many;
			continue;
		}
		json_array_foreach(jarr(entry, "changes"), j, change)
		{
			char *id = field_id(whatsapp_change_channel(change));
			int rc = add_channel(w, id);
			free(id);
			if (rc < 0)
				goto too_many;
		}
	}
	return 0;
too_many:
	return error_set(e, ERR_INVALID, "the webhook names more than %d channels",
	                 META_MAX_CHANNELS);
}

int meta_webhook_new(enum channel_kind kind, const char *body, size_t len,
                     struct meta_webhook **out, struct error *e)
{
	const char *object = object_name(kind);
	struct meta_webhook *w = NULL;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	if (object == NULL)
		return error_set(e, ERR_INVALID, "%s has no Meta webhook", channel_kind_name(kind));
	root = json_parse(body, len, e);
	if (root == NULL)
		return ERR_BAD_JSON;
	if (!json_is_object(root) || jstr(root, "object") == NULL ||
	    strcmp(jstr(root, "object"), object) != 0) {
		rc = error_set(e, ERR_INVALID, "not a %s webhook: \"object\" must be \"%s\"",
		               channel_kind_name(kind), object);
		goto fail;
	}
	w = xcalloc(1, sizeof(*w));
	w->kind = kind;
	w->root = root;
	rc = collect_channels(w, e);
	if (rc < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w != NULL)
		meta_webhook_free(w);
	else
		json_decref(root);
	return rc;
}

void meta_webhook_free(struct meta_webhook *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->id_count; i++)
		free(w->ids[i]);
	json_decref(w->root);
	free(w);
}

size_t meta_webhook_channel_count(const struct meta_webhook *w)
{
	return w->id_count;
}

const char *meta_webhook_channel_id(const struct meta_webhook *w, size_t i)
{
	return i < w->id_count ? w->ids[i] : NULL;
}

struct inbound_list *meta_webhook_events(const struct meta_webhook *w, int64_t now_ms)
{
	struct inbound_list *list = inbound_list_new();
	const json_t *entry, *change;
	size_t i, j;

	json_array_foreach(jarr(w->root, "entry"), i, entry)
	{
		if (w->kind != CHANNEL_WHATSAPP) {
			messenger_entry_events(w->kind, entry, now_ms, list);
			continue;
		}
		json_array_foreach(jarr(entry, "changes"), j, change)
		    whatsapp_change_events(change, now_ms, list);
	}
	return list;
}
