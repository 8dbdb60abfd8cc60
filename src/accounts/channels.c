/*
 * Channels: connect, list, remove, and the look-ups the webhooks need. Credentials are
 * checked per kind, sealed as one JSON object, and summarised by their last 4 characters.
 */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/token.h"
#include "core/xmalloc.h"

#define CHANNEL_COLUMNS                                                             \
	"id, account_id, kind, name, external_id, telegram_mode, is_active, hints," \
	" last_inbound_at, last_error, last_error_at, created_at, updated_at,"      \
	" allowed_origins, waba_id, ask_contact"

static void read_channel(struct store_rows *r, void *item)
{
	struct channel *c = item;
	memset(c, 0, sizeof(*c));
	c->id = store_int(r, 0);
	c->account_id = store_int(r, 1);
	channel_kind_parse(store_text(r, 2), &c->kind);
	snprintf(c->name, sizeof(c->name), "%s", store_text(r, 3));
	snprintf(c->external_id, sizeof(c->external_id), "%s", store_text(r, 4));
	c->is_polling = strcmp(store_text(r, 5), "polling") == 0;
	c->is_active = store_int(r, 6) != 0;
	snprintf(c->hints, sizeof(c->hints), "%s", store_text(r, 7));
	c->last_inbound_at = store_int(r, 8);
	snprintf(c->last_error, sizeof(c->last_error), "%s", store_text(r, 9));
	c->last_error_at = store_int(r, 10);
	c->created_at = store_int(r, 11);
	c->updated_at = store_int(r, 12);
	snprintf(c->allowed_origins, sizeof(c->allowed_origins), "%s", store_text(r, 13));
	snprintf(c->waba_id, sizeof(c->waba_id), "%s", store_text(r, 14));
	c->ask_contact = store_int(r, 15) != 0;
}

static int query_channels(struct store_tx *tx, const char *sql, const struct store_value *args,
                          int nargs, struct channel **out, size_t *n, struct error *e)
{
	void *items;
	int rc =
	    store_collect(tx, sql, args, nargs, sizeof(struct channel), read_channel, &items, n);
	*out = items;
	return store_failed(e, rc);
}

static int query_channel(struct store_tx *tx, const char *sql, const struct store_value *args,
                         int nargs, struct channel *out, struct error *e)
{
	int rc = store_get_row(tx, sql, args, nargs, read_channel, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such channel");
	return store_failed(e, rc);
}

int channel_get(struct store_tx *tx, int64_t account_id, int64_t id, struct channel *out,
                struct error *e)
{
	return query_channel(tx,
	                     "SELECT " CHANNEL_COLUMNS " FROM channels WHERE account_id = $1"
	                     " AND id = $2",
	                     STORE_ARGS(SV_INT(account_id), SV_INT(id)), out, e);
}

int channel_list(struct store_tx *tx, int64_t account_id, struct channel **out, size_t *n,
                 struct error *e)
{
	return query_channels(tx,
	                      "SELECT " CHANNEL_COLUMNS " FROM channels WHERE account_id = $1"
	                      " ORDER BY is_active DESC, id DESC",
	                      STORE_ARGS(SV_INT(account_id)), out, n, e);
}

int channel_find_active(struct store_tx *tx, enum channel_kind kind, int64_t id,
                        struct channel *out, struct error *e)
{
	return query_channel(tx,
	                     "SELECT " CHANNEL_COLUMNS " FROM channels WHERE kind = $1 AND id = $2"
	                     " AND is_active = 1",
	                     STORE_ARGS(SV_TEXT(channel_kind_name(kind)), SV_INT(id)), out, e);
}

int channel_find_external(struct store_tx *tx, enum channel_kind kind, const char *external_id,
                          struct channel *out, struct error *e)
{
	return query_channel(tx,
	                     "SELECT " CHANNEL_COLUMNS " FROM channels WHERE kind = $1"
	                     " AND external_id = $2 AND is_active = 1",
	                     STORE_ARGS(SV_TEXT(channel_kind_name(kind)), SV_TEXT(external_id)),
	                     out, e);
}

int channel_find_verify_token(struct store_tx *tx, enum channel_kind kind, const char *verify_token,
                              struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	int64_t id;
	token_hash(verify_token, strlen(verify_token), hash);
	int rc = store_get_int(tx,
	                       "SELECT id FROM channels WHERE kind = $1 AND verify_token_hash = $2"
	                       " AND is_active = 1",
	                       STORE_ARGS(SV_TEXT(channel_kind_name(kind)), SV_TEXT(hash)), &id);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_NOT_FOUND, "no channel has that verify token");
	return store_failed(e, rc);
}

int channel_remove(struct store_tx *tx, int64_t account_id, int64_t id, int64_t now,
                   struct error *e)
{
	int rc =
	    store_exec(tx,
	               "UPDATE channels SET is_active = 0, updated_at = $3 WHERE account_id = $1"
	               " AND id = $2 AND is_active = 1",
	               STORE_ARGS(SV_INT(account_id), SV_INT(id), SV_INT(now)));
	if (rc < 0)
		return store_failed(e, rc);
	return rc > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no such active channel");
}

int channel_note_error(struct store_tx *tx, int64_t id, const char *error, int64_t now)
{
	int rc =
	    store_exec(tx, "UPDATE channels SET last_error = $2, last_error_at = $3 WHERE id = $1",
	               STORE_ARGS(SV_INT(id), SV_TEXT_NULL(error), error ? SV_INT(now) : SV_NULL));
	return rc < 0 ? rc : 0;
}

/* ---- Checking what an admin typed ---- */

static bool is_digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n <= max && s[n] == '\0';
}

/* Printable ASCII without spaces: what every provider token and secret is made of. */
static bool is_token_text(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++)
		if (s[n] <= ' ' || s[n] > '~')
			return false;
	return n > 0 && n <= max;
}

/* Telegram: "<bot id>:<secret>" as BotFather gives it. */
static bool is_bot_token(const char *s)
{
	const char *colon = strchr(s, ':');
	if (colon == NULL || colon == s || colon - s > 20)
		return false;
	for (const char *p = s; p < colon; p++)
		if (*p < '0' || *p > '9')
			return false;
	size_t n = strspn(colon + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                             "0123456789_-");
	return n >= 20 && n <= 200 && colon[1 + n] == '\0';
}

/* Which input fields each kind takes: required (R), optional (O) or not at all (0). */
enum { NO = 0, REQUIRED, OPTIONAL };
#define NFIELDS 8
static const char *const field_names[NFIELDS] = {
	"phone_number_id", "page_id",    "instagram_account_id",
	"access_token",    "app_secret", "verify_token",
	"bot_token",       "mode",
};
static const unsigned char field_use[5][NFIELDS] = {
	[CHANNEL_WHATSAPP] = { REQUIRED, NO, NO, REQUIRED, REQUIRED, REQUIRED, NO, NO },
	[CHANNEL_MESSENGER] = { NO, REQUIRED, NO, REQUIRED, REQUIRED, REQUIRED, NO, NO },
	[CHANNEL_INSTAGRAM] = { NO, NO, REQUIRED, REQUIRED, REQUIRED, REQUIRED, NO, NO },
	[CHANNEL_TELEGRAM] = { NO, NO, NO, NO, NO, NO, REQUIRED, OPTIONAL },
	[CHANNEL_WEBCHAT] = { NO, NO, NO, NO, NO, NO, NO, NO },
};

/* An origin as browsers send it: http(s)://host[:port], lowercase, nothing after. */
static bool is_origin(const char *s)
{
	const char *host = strncmp(s, "https://", 8) == 0  ? s + 8
	                   : strncmp(s, "http://", 7) == 0 ? s + 7
	                                                   : NULL;
	if (host == NULL || strlen(s) > CHANNEL_ORIGIN_MAX)
		return false;
	size_t n = strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-");
	if (n == 0)
		return false;
	if (host[n] == ':')
		return is_digits(host + n + 1, 5);
	return host[n] == '\0';
}

/* Web chat's allowed origins: absent, or an array of 1 to CHANNEL_ORIGINS distinct ones. */
static int check_origins(const json_t *list, struct error *e)
{
	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > CHANNEL_ORIGINS)
		return error_set(
		    e, ERR_INVALID,
		    "'allowed_origins' must be a list of 1 to %d origins, or absent for "
		    "any",
		    CHANNEL_ORIGINS);
	size_t i, j;
	const json_t *v;
	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL || !is_origin(s))
			return error_set(e, ERR_INVALID,
			                 "'allowed_origins[%zu]' must be an origin like "
			                 "https://shop.example.com (lowercase, no path)",
			                 i);
		for (j = 0; j < i; j++)
			if (strcmp(s, json_string_value(json_array_get(list, j))) == 0)
				return error_set(e, ERR_INVALID,
				                 "'allowed_origins[%zu]' is listed twice", i);
	}
	return 0;
}

static int check_input(const struct channel_input *in, enum channel_kind *kind, char *name,
                       struct error *e)
{
	if (in->kind == NULL || channel_kind_parse(in->kind, kind) < 0)
		return error_set(e, ERR_INVALID,
		                 "'kind' must be \"whatsapp\", \"messenger\", \"instagram\", "
		                 "\"telegram\" or \"webchat\"");
	if (in->name == NULL)
		return error_rule(e, ERR_INVALID, "required", "name", 0, "'name' is required");
	int rc = text_check_name("name", in->name, CHANNEL_NAME_MAX, name, e);
	if (rc < 0)
		return rc;
	const char *values[NFIELDS] = {
		in->phone_number_id, in->page_id,    in->instagram_account_id,
		in->access_token,    in->app_secret, in->verify_token,
		in->bot_token,       in->mode
	};
	for (int i = 0; i < NFIELDS; i++) {
		unsigned char use = field_use[*kind][i];
		if (use == REQUIRED && values[i] == NULL)
			return error_rule(e, ERR_INVALID, "required", field_names[i], 0,
			                  "'%s' is required for %s channels", field_names[i],
			                  in->kind);
		if (use == NO && values[i] != NULL)
			return error_set(e, ERR_INVALID, "'%s' does not apply to %s channels",
			                 field_names[i], in->kind);
	}
	if (in->waba_id != NULL && *kind != CHANNEL_WHATSAPP)
		return error_set(e, ERR_INVALID, "'waba_id' does not apply to %s channels",
		                 in->kind);
	if (in->waba_id != NULL && !is_digits(in->waba_id, 64))
		return error_set(e, ERR_INVALID,
		                 "'waba_id' must be the WhatsApp Business Account's numeric id");
	if (*kind != CHANNEL_WEBCHAT && in->allowed_origins != NULL)
		return error_set(e, ERR_INVALID, "'allowed_origins' does not apply to %s channels",
		                 in->kind);
	if (*kind != CHANNEL_WEBCHAT && in->ask_contact)
		return error_set(e, ERR_INVALID, "'ask_contact' does not apply to %s channels",
		                 in->kind);
	if (*kind == CHANNEL_WEBCHAT)
		return check_origins(in->allowed_origins, e);
	if (*kind == CHANNEL_TELEGRAM) {
		if (!is_bot_token(in->bot_token))
			return error_rule(e, ERR_INVALID, "bot_token_invalid", "bot_token", 0,
			                  "'bot_token' must be a token from BotFather, like "
			                  "123456:ABC-DEF…");
		if (in->mode != NULL && strcmp(in->mode, "webhook") != 0 &&
		    strcmp(in->mode, "polling") != 0)
			return error_set(e, ERR_INVALID,
			                 "'mode' must be \"webhook\" or \"polling\"");
		return 0;
	}
	int id_field = (int)*kind; /* phone_number_id, page_id, instagram_account_id */
	if (!is_digits(values[id_field], 64))
		return error_rule(e, ERR_INVALID, "numeric_id", field_names[id_field], 0,
		                  "'%s' must be the provider's numeric id", field_names[id_field]);
	if (!is_token_text(in->access_token, CHANNEL_SECRET_MAX))
		return error_set(e, ERR_INVALID, "'access_token' is not a valid token");
	if (!is_token_text(in->app_secret, 256))
		return error_set(e, ERR_INVALID, "'app_secret' is not a valid app secret");
	if (!is_token_text(in->verify_token, 256))
		return error_set(
		    e, ERR_INVALID,
		    "'verify_token' must be 1 to 256 printable characters without spaces");
	return 0;
}

/* The provider's id of a Meta channel's account, as given. */
static const char *meta_external_id(const struct channel_input *in, enum channel_kind kind)
{
	return kind == CHANNEL_WHATSAPP    ? in->phone_number_id
	       : kind == CHANNEL_MESSENGER ? in->page_id
	                                   : in->instagram_account_id;
}

/* "…" plus the last 4 characters, or less of a short secret so it is never shown whole. */
static json_t *hint(const char *secret)
{
	size_t len = strlen(secret);
	size_t shown = len >= 12 ? 4 : len / 3;
	return json_string(secret + len - shown);
}

int channel_create(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                   const struct channel_input *in, int64_t now, struct channel *out,
                   struct error *e)
{
	enum channel_kind kind;
	char name[CHANNEL_NAME_MAX + 1];
	int rc = check_input(in, &kind, name, e);
	if (rc < 0)
		return rc;
	json_t *secrets = json_object(), *hints = json_object();
	char external[INBOUND_ID_MAX + 1], verify_hash[TOKEN_HASH_LEN] = "";
	char *origins = NULL;
	if (kind == CHANNEL_WEBCHAT) {
		/* The widget key is public (it sits in the page's HTML): it names, never grants. */
		char key[TOKEN_TEXT_LEN];
		token_generate(key);
		snprintf(external, sizeof(external), "wck_%s", key);
		if (in->allowed_origins != NULL)
			origins = json_dumps(in->allowed_origins, JSON_COMPACT);
	} else if (kind == CHANNEL_TELEGRAM) {
		char webhook_secret[TOKEN_TEXT_LEN];
		token_generate(webhook_secret);
		json_object_set_new(secrets, "bot_token", json_string(in->bot_token));
		json_object_set_new(secrets, "webhook_secret", json_string(webhook_secret));
		json_object_set_new(hints, "bot_token", hint(in->bot_token));
		snprintf(external, sizeof(external), "%.*s", (int)strcspn(in->bot_token, ":"),
		         in->bot_token);
	} else {
		json_object_set_new(secrets, "access_token", json_string(in->access_token));
		json_object_set_new(secrets, "app_secret", json_string(in->app_secret));
		json_object_set_new(secrets, "verify_token", json_string(in->verify_token));
		json_object_set_new(hints, "access_token", hint(in->access_token));
		json_object_set_new(hints, "app_secret", hint(in->app_secret));
		json_object_set_new(hints, "verify_token", hint(in->verify_token));
		snprintf(external, sizeof(external), "%s", meta_external_id(in, kind));
		token_hash(in->verify_token, strlen(in->verify_token), verify_hash);
	}
	char *plain = json_dumps(secrets, JSON_COMPACT);
	char *hint_text = json_dumps(hints, JSON_COMPACT | JSON_SORT_KEYS);
	char *sealed = seal_encrypt(seal, plain);
	sodium_memzero(plain, strlen(plain));
	free(plain);
	json_decref(secrets);
	json_decref(hints);
	int64_t id = 0;
	const char *mode = kind != CHANNEL_TELEGRAM ? NULL : in->mode ? in->mode : "webhook";
	/* A WhatsApp Business Account's templates are read as soon as the channel is added. */
	rc = store_get_int(
	    tx,
	    "INSERT INTO channels (account_id, kind, name, external_id, credentials,"
	    " hints, verify_token_hash, telegram_mode, allowed_origins, waba_id,"
	    " templates_due_at, created_at, updated_at, ask_contact) VALUES ($1, $2,"
	    " $3, $4, $5, $6, $7, $8, $9, $10,"
	    " CASE WHEN CAST($10 AS TEXT) IS NULL THEN NULL ELSE $11 END, $11, $11, $12)"
	    " RETURNING id",
	    STORE_ARGS(SV_INT(account_id), SV_TEXT(in->kind), SV_TEXT(name), SV_TEXT(external),
	               SV_TEXT(sealed), SV_TEXT(hint_text),
	               SV_TEXT_NULL(verify_hash[0] ? verify_hash : NULL), SV_TEXT_NULL(mode),
	               SV_TEXT_NULL(origins), SV_TEXT_NULL(in->waba_id), SV_INT(now),
	               SV_INT(in->ask_contact)),
	    &id);
	free(origins);
	free(sealed);
	free(hint_text);
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "channel_connected", NULL, 0,
		                  "that %s account is already connected", channel_kind_name(kind));
	if (rc < 0)
		return store_failed(e, rc);
	return channel_get(tx, account_id, id, out, e);
}

int template_forget(struct store_tx *tx, int64_t channel_id)
{
	int rc = store_exec(tx, "DELETE FROM whatsapp_templates WHERE channel_id = $1",
	                    STORE_ARGS(SV_INT(channel_id)));
	return rc < 0 ? rc : 0;
}

int channel_set_waba(struct store_tx *tx, int64_t account_id, int64_t id, const char *waba_id,
                     int64_t now, struct channel *out, struct error *e)
{
	int rc = channel_get(tx, account_id, id, out, e);
	if (rc < 0)
		return rc;
	if (out->kind != CHANNEL_WHATSAPP || !out->is_active)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "'waba_id' applies to active WhatsApp channels only");
	if (waba_id != NULL && !is_digits(waba_id, 64))
		return error_set(e, ERR_INVALID,
		                 "'waba_id' must be the WhatsApp Business Account's numeric id");
	/* Another account's templates are not this one's: they go, and a sync is due at once. */
	rc = store_exec(tx,
	                "UPDATE channels SET waba_id = $2, updated_at = $3, templates_due_at ="
	                " CASE WHEN $2 IS NULL THEN NULL ELSE $3 END WHERE id = $1",
	                STORE_ARGS(SV_INT(id), SV_TEXT_NULL(waba_id), SV_INT(now)));
	if (rc >= 0)
		rc = template_forget(tx, id);
	if (rc < 0)
		return store_failed(e, rc);
	return channel_get(tx, account_id, id, out, e);
}

int channel_set_ask_contact(struct store_tx *tx, int64_t account_id, int64_t id, bool ask,
                            int64_t now, struct channel *out, struct error *e)
{
	int rc = channel_get(tx, account_id, id, out, e);
	if (rc < 0)
		return rc;
	if (out->kind != CHANNEL_WEBCHAT || !out->is_active)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "'ask_contact' applies to active web chat channels only");
	rc = store_exec(tx, "UPDATE channels SET ask_contact = $2, updated_at = $3 WHERE id = $1",
	                STORE_ARGS(SV_INT(id), SV_INT(ask), SV_INT(now)));
	if (rc < 0)
		return store_failed(e, rc);
	return channel_get(tx, account_id, id, out, e);
}

static char *secret_field(json_t *obj, const char *name)
{
	const char *v = json_string_value(json_object_get(obj, name));
	return v != NULL ? xstrdup(v) : NULL;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void secrets_copy(struct channel_secrets *to, const struct channel_secrets *from)
{
	to->access_token = dup_or_null(from->access_token);
	to->app_secret = dup_or_null(from->app_secret);
	to->verify_token = dup_or_null(from->verify_token);
	to->bot_token = dup_or_null(from->bot_token);
	to->webhook_secret = dup_or_null(from->webhook_secret);
}

/*
 * Credentials already opened, by their sealed text, so that a webhook does not open the seal
 * (base64, secretbox, JSON) again: changed credentials are a new sealed text (a fresh nonce),
 * so an entry is never stale and a change needs no invalidation. Per process, like the seal.
 */
#define OPENED_MAX 16
static struct opened {
	const struct seal *seal;
	char *sealed;
	struct channel_secrets secrets;
} opened[OPENED_MAX];
static size_t opened_next;
static pthread_mutex_t opened_lock = PTHREAD_MUTEX_INITIALIZER;

/* Copies into out what sealed opened to, when it is cached. */
static bool opened_get(const struct seal *seal, const char *sealed, struct channel_secrets *out)
{
	bool is_found = false;
	pthread_mutex_lock(&opened_lock);
	for (size_t i = 0; i < OPENED_MAX && !is_found; i++) {
		struct opened *o = &opened[i];
		is_found = o->seal == seal && o->sealed != NULL && strcmp(o->sealed, sealed) == 0;
		if (is_found)
			secrets_copy(out, &o->secrets);
	}
	pthread_mutex_unlock(&opened_lock);
	return is_found;
}

/* Caches what sealed (taken) opened to, in place of the oldest entry. */
static void opened_put(const struct seal *seal, char *sealed, const struct channel_secrets *s)
{
	pthread_mutex_lock(&opened_lock);
	struct opened *o = &opened[opened_next++ % OPENED_MAX];
	free(o->sealed);
	channel_secrets_clear(&o->secrets);
	o->seal = seal;
	o->sealed = sealed;
	secrets_copy(&o->secrets, s);
	pthread_mutex_unlock(&opened_lock);
}

int channel_secrets_get(struct store_tx *tx, const struct seal *seal, int64_t id,
                        struct channel_secrets *out, struct error *e)
{
	memset(out, 0, sizeof(*out));
	struct store_rows *r;
	int rc = store_query(tx, "SELECT credentials FROM channels WHERE id = $1",
	                     STORE_ARGS(SV_INT(id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	char *sealed = NULL;
	if ((rc = store_next(r)) == 1)
		sealed = xstrdup(store_text(r, 0));
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0)
		return error_set(e, ERR_NOT_FOUND, "no such channel");
	if (opened_get(seal, sealed, out)) {
		free(sealed);
		return 0;
	}
	char *plain = seal_decrypt(seal, sealed);
	if (plain == NULL) {
		free(sealed);
		return error_set(
		    e, ERR_INTERNAL,
		    "the channel's credentials cannot be decrypted with this secret key");
	}
	json_t *obj = json_loads(plain, 0, NULL);
	sodium_memzero(plain, strlen(plain));
	free(plain);
	out->access_token = secret_field(obj, "access_token");
	out->app_secret = secret_field(obj, "app_secret");
	out->verify_token = secret_field(obj, "verify_token");
	out->bot_token = secret_field(obj, "bot_token");
	out->webhook_secret = secret_field(obj, "webhook_secret");
	json_decref(obj);
	opened_put(seal, sealed, out);
	return 0;
}

static void wipe(char **s)
{
	if (*s != NULL) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void channel_secrets_clear(struct channel_secrets *s)
{
	wipe(&s->access_token);
	wipe(&s->app_secret);
	wipe(&s->verify_token);
	wipe(&s->bot_token);
	wipe(&s->webhook_secret);
}

void channel_webhook_url(const struct channel *c, const char *public_url, char *out, size_t size)
{
	if (c->kind == CHANNEL_TELEGRAM)
		snprintf(out, size, "%s/webhooks/telegram/%lld", public_url, (long long)c->id);
	else
		snprintf(out, size, "%s/webhooks/%s", public_url, channel_kind_name(c->kind));
}

void channel_widget_snippet(const struct channel *c, const char *public_url, char *out, size_t size)
{
	snprintf(out, size, "<script src=\"%s/widget.js\" data-key=\"%s\" async></script>",
	         public_url, c->external_id);
}

static const char *id_field(enum channel_kind kind)
{
	switch (kind) {
	case CHANNEL_WHATSAPP:
		return "phone_number_id";
	case CHANNEL_MESSENGER:
		return "page_id";
	case CHANNEL_INSTAGRAM:
		return "instagram_account_id";
	case CHANNEL_WEBCHAT:
		return "widget_key";
	default:
		return "bot_id";
	}
}

static json_t *json_time(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

json_t *channel_json(const struct channel *c, const char *public_url)
{
	char url[1024];
	channel_webhook_url(c, public_url, url, sizeof(url));
	json_t *hints = json_loads(c->hints, 0, NULL);
	json_t *credentials = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(hints, key, v)
	    json_object_set_new(credentials, key, json_pack("{s:b,s:O}", "set", 1, "last4", v));
	json_decref(hints);
	json_t *out =
	    json_pack("{s:I,s:s,s:s,s:s,s:b,s:s,s:o,s:o,s:o,s:o,s:I,s:I}", "id", (json_int_t)c->id,
	              "kind", channel_kind_name(c->kind), "name", c->name, id_field(c->kind),
	              c->external_id, "active", c->is_active, "webhook_url", url, "credentials",
	              credentials, "last_inbound_at", json_time(c->last_inbound_at), "last_error",
	              c->last_error[0] ? json_string(c->last_error) : json_null(), "last_error_at",
	              json_time(c->last_error_at), "created_at", (json_int_t)c->created_at,
	              "updated_at", (json_int_t)c->updated_at);
	if (c->kind == CHANNEL_WHATSAPP)
		json_object_set_new(out, "waba_id",
		                    c->waba_id[0] ? json_string(c->waba_id) : json_null());
	if (c->kind == CHANNEL_TELEGRAM)
		json_object_set_new(out, "mode",
		                    json_string(c->is_polling ? "polling" : "webhook"));
	if (c->kind == CHANNEL_WEBCHAT) {
		char snippet[1024];
		channel_widget_snippet(c, public_url, snippet, sizeof(snippet));
		json_object_del(out, "webhook_url");
		json_object_set_new(out, "snippet", json_string(snippet));
		json_object_set_new(out, "allowed_origins",
		                    c->allowed_origins[0] ? json_loads(c->allowed_origins, 0, NULL)
		                                          : json_null());
		json_object_set_new(out, "ask_contact", json_boolean(c->ask_contact));
	}
	return out;
}
