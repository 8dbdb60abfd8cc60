/*
 * accounts/: the tables every worker needs, beneath inbox/ — users, login sessions and API
 * tokens, the connected channels and their sealed credentials. events/, outbox/, poller/
 * and inbox/ use it; it calls nothing above it (no inbox/, events/, outbox/, http/).
 * All functions but auth_login and auth_password_verify work inside a store transaction
 * the caller owns; times are UTC ms.
 */
#ifndef ACCOUNTS_ACCOUNTS_H
#define ACCOUNTS_ACCOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "core/token.h"
#include "providers/providers.h"
#include "store/store.h"

#define USER_EMAIL_MAX    320
#define USER_NAME_MAX     200
#define USER_PASSWORD_MIN 8
#define USER_PASSWORD_MAX 256
#define TOKEN_NAME_MAX    200
#define AUTH_HASH_MAX     128                  /* argon2id encoded hash, NUL included */
#define API_TOKEN_LEN     (TOKEN_TEXT_LEN + 4) /* "ctk_" + token + NUL */

/* The values are what CONVERSATION_VISIBLE (visibility/) is given as $3. A restricted agent
 * sees only the conversations assigned to them. */
enum role { ROLE_AGENT = 0, ROLE_ADMIN = 1, ROLE_RESTRICTED = 2 };
enum availability { AVAILABILITY_ONLINE, AVAILABILITY_AWAY, AVAILABILITY_OFFLINE };

/* Who is asking: every visibility decision starts from this. */
struct actor {
	int64_t account_id;
	int64_t user_id;
	enum role role;
	bool is_masked; /* restricted, in an account that masks customers' phone and e-mail */
};

struct user {
	int64_t id;
	int64_t account_id;
	char email[USER_EMAIL_MAX + 1];
	char name[USER_NAME_MAX + 1];
	enum role role;
	enum availability availability;
	bool is_active;
	int64_t created_at;
	int64_t updated_at;
};

/* What a create or an update sets; NULL (or -1 for is_active) leaves a field as it is. */
struct user_changes {
	const char *email;
	const char *name;
	const char *role;          /* "admin", "agent" or "restricted" */
	const char *availability;  /* "online", "away" or "offline" */
	const char *password_hash; /* from auth_password_hash */
	int is_active;
};

/* account.c */

/* The account's settings an admin changes through /api/v1/account. */
struct account {
	int64_t id;
	char name[USER_NAME_MAX + 1];
	bool is_masking_restricted; /* restricted agents see phones and e-mails masked */
};

int account_get(struct store_tx *tx, int64_t id, struct account *out, struct error *e);
/* Sets is_masking_restricted when has_masking. */
int account_update(struct store_tx *tx, int64_t id, bool has_masking, bool is_masking,
                   struct error *e);
json_t *account_json(const struct account *a);
/* The public URL the server started with, recorded for the command line (one row). */
int public_url_record(struct store_tx *tx, const char *url, int64_t now, struct error *e);
/* The recorded public URL into out; ERR_NOT_FOUND when no server has started yet. */
int public_url_recorded(struct store_tx *tx, char *out, size_t size, struct error *e);

/* users.c */

const char *role_name(enum role role);
/* "admin", "agent" or "restricted" into *out; -1 for anything else. */
int role_parse(const char *s, enum role *out);
const char *availability_name(enum availability availability);

/* Users. Creating needs email, name, role and password_hash. */
int user_create(struct store_tx *tx, int64_t account_id, const struct user_changes *in, int64_t now,
                struct user *out, struct error *e);
/* Refuses to deactivate or demote the last active admin. Deactivation ends the user's
 * sessions and API tokens. */
int user_update(struct store_tx *tx, int64_t account_id, int64_t id, const struct user_changes *in,
                int64_t now, struct user *out, struct error *e);
int user_get(struct store_tx *tx, int64_t account_id, int64_t id, struct user *out,
             struct error *e);
/* Looks a user up by e-mail in any account (e-mails are unique across the server). */
int user_find_email(struct store_tx *tx, const char *email, struct user *out, struct error *e);
/* *out is an array of *n users the caller frees. */
int user_list(struct store_tx *tx, int64_t account_id, struct user **out, size_t *n,
              struct error *e);
/* The number of users on the server, every account's, active or not. */
int user_count(struct store_tx *tx, int64_t *n, struct error *e);
/* The number of active admins of the account. */
int user_count_admins(struct store_tx *tx, int64_t account_id, int64_t *n, struct error *e);
/* Presence: the users with an event stream open on this server were there at now. Setting
 * someone online (user_update) forgets when they were last there, so only a stream opened
 * since counts. */
int user_presence_seen(struct store_tx *tx, const int64_t *ids, size_t n, int64_t now);
/* Forgets when the user's streams were last seen (a login starts over); writes only when
 * there is something to forget. */
int user_presence_reset(struct store_tx *tx, int64_t id);
/* Sets away every online user whose streams were last seen before `before`; how many. */
int user_presence_expire(struct store_tx *tx, int64_t before, int64_t now);
/* The user as the API answers it (never the password hash). */
json_t *user_json(const struct user *u);
/* The columns users_query expects, from `users u`. */
#define USER_COLUMNS                                                                \
	"u.id, u.account_id, u.email, u.name, u.role, u.availability, u.is_active," \
	" u.created_at, u.updated_at"
/* Runs sql (selecting USER_COLUMNS) and collects the users; *out is freed by the caller. */
int users_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct user **out, size_t *n, struct error *e);

/* auth.c */

/*
 * Authentication. Password hashing is slow by design (argon2id): do it outside write
 * transactions. Sessions and API tokens are random; only their hashes are stored.
 */
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX], struct error *e);
/* Seconds a login counter stays locked after its nth failure: none before `free`, then 1 s
 * doubling to 16 s, then `longest`. */
int auth_lock_seconds(int failures, int free, int longest);
/* Where a login attempt comes from: the client's address, and how many failed logins it
 * may have (for any e-mail) before it is slowed down. */
struct auth_source {
	const char *address;
	int failures_allowed;
};
/* Checks e-mail and password with the throttle: every attempt is counted before the
 * password is checked, per source and e-mail (5 free, then a lock growing to 15 minutes)
 * and per source; a success takes its count back. On ERR_RATE_LIMITED *retry_after is set.
 * Answers the same whether or not the e-mail exists. Slow (argon2id): not for HTTP workers. */
int auth_login(struct store *st, const struct auth_source *src, const char *email,
               const char *password, int64_t now, struct actor *out, int *retry_after,
               struct error *e);
/* The scheduler's job that forgets failed logins: counters whose last failure is over an
 * hour old count as none, and are deleted (in batches, a pass at most every 10 minutes). */
int auth_throttle_next_prune(struct store_tx *tx, int64_t *due, struct error *e);
int auth_throttle_prune(struct store_tx *tx, int64_t now, struct error *e);
/* Whether password is the one hash (argon2id, auth_password_hash's) was made from. */
bool auth_password_matches(const char *hash, const char *password);
/* Checks a user's current password (before changing it); ERR_UNPROCESSABLE when wrong. */
int auth_password_verify(struct store *st, int64_t user_id, const char *password, struct error *e);
int auth_session_create(struct store_tx *tx, const struct actor *who, int64_t now,
                        char token[TOKEN_TEXT_LEN], char csrf[TOKEN_TEXT_LEN], struct error *e);
/* Finds the live session of an active user; fills *who and its CSRF token. */
int auth_session_lookup(struct store_tx *tx, const char *token, int64_t now, struct actor *who,
                        char csrf[TOKEN_TEXT_LEN], struct error *e);
int auth_session_delete(struct store_tx *tx, const char *token, struct error *e);
/* Personal API tokens: "ctk_" and 43 random characters, shown once. */
struct api_token {
	int64_t id;
	char name[TOKEN_NAME_MAX + 1];
	int64_t created_at;
	int64_t expires_at;              /* 0: never */
	bool is_revoked_by_new_password; /* a new password for its user deletes it */
};
/* Creates one from t's name, expires_at (0 or later than now) and is_revoked_by_new_password;
 * *id is its id. */
int auth_token_create(struct store_tx *tx, const struct actor *who, const struct api_token *t,
                      int64_t now, char token[API_TOKEN_LEN], int64_t *id, struct error *e);
/* The live token of an active user (not expired at now); fills *who. */
int auth_token_lookup(struct store_tx *tx, const char *token, int64_t now, struct actor *who,
                      struct error *e);
int auth_token_delete(struct store_tx *tx, const struct actor *who, int64_t id, struct error *e);
/* The actor's own tokens (never the secrets); *out is freed by the caller. */
int auth_token_list(struct store_tx *tx, const struct actor *who, struct api_token **out, size_t *n,
                    struct error *e);
/* A token as the API lists it: id, name, created_at, expires_at (null: never),
 * revoke_on_password_change (never the secret). */
json_t *api_token_json(const struct api_token *t);

/* key.c */

/*
 * Opens the key file that seals channel credentials, checked against the database in one
 * write transaction: a missing file is created only when no channel is active (or
 * start_over); a key that cannot open every active channel's credentials is refused
 * (ERR_CONFLICT, the message says what to do) unless start_over, which keeps the key, marks
 * each such channel with an error asking for its credentials again and seals the web chats'
 * (which hold none) anew. The key's fingerprint is recorded.
 */
int secret_key_open(struct store_tx *tx, const char *path, bool start_over, int64_t now,
                    struct seal **out, struct error *e);
/* Whether seal is the key the database recorded: 0, ERR_CONFLICT when not. */
int secret_key_check(struct store_tx *tx, const struct seal *seal, struct error *e);

/* channels.c */

/*
 * Channels: a provider account connected to the inbox. Credentials are sealed at rest and
 * never leave through these functions but channel_secrets_get(), for the code that talks
 * to the provider. Removing a channel deactivates it: its conversations stay.
 */
#define CHANNEL_NAME_MAX    200
#define CHANNEL_SECRET_MAX  4096
#define CHANNEL_HINTS_MAX   512
#define CHANNEL_ORIGINS     16   /* web chat: allowed origins at most */
#define CHANNEL_ORIGIN_MAX  200  /* bytes of one origin */
#define CHANNEL_ORIGINS_MAX 4096 /* bytes of the JSON array that holds them */

/* What an admin gives to connect a channel; fields that do not apply to the kind are NULL. */
struct channel_input {
	const char *kind; /* "whatsapp", "messenger", "instagram", "telegram", "webchat" */
	const char *name;
	const char *phone_number_id;      /* WhatsApp */
	const char *page_id;              /* Messenger */
	const char *instagram_account_id; /* Instagram */
	const char *access_token;
	const char *app_secret;
	const char *verify_token;
	const char *bot_token;
	const char *mode;              /* Telegram: "webhook" (default) or "polling" */
	const json_t *allowed_origins; /* web chat: an array of origins, or NULL for any */
	const char *waba_id;           /* WhatsApp, optional: its Business Account (templates) */
	bool ask_contact; /* web chat: the widget asks the visitor's name and e-mail first */
};

struct channel {
	int64_t id;
	int64_t account_id;
	enum channel_kind kind;
	char name[CHANNEL_NAME_MAX + 1];
	char external_id[INBOUND_ID_MAX + 1];
	bool is_polling; /* Telegram in getUpdates mode */
	bool is_active;
	char hints[CHANNEL_HINTS_MAX]; /* JSON object: credential name -> last 4 characters */
	char allowed_origins[CHANNEL_ORIGINS_MAX]; /* web chat: JSON array; "" for any */
	char waba_id[65];                          /* WhatsApp Business Account; "" for none */
	bool ask_contact;        /* web chat: the widget asks the visitor's name and e-mail first */
	int64_t last_inbound_at; /* 0 when never */
	char last_error[256];
	int64_t last_error_at;
	int64_t created_at;
	int64_t updated_at;
};

/* The decrypted credentials of one channel; NULL where the kind has none. */
struct channel_secrets {
	char *access_token;
	char *app_secret;
	char *verify_token;
	char *bot_token;
	char *webhook_secret; /* Telegram: X-Telegram-Bot-Api-Secret-Token */
};

/* Checks the input as a whole (fields per kind) and stores the channel, sealed. */
int channel_create(struct store_tx *tx, const struct seal *seal, int64_t account_id,
                   const struct channel_input *in, int64_t now, struct channel *out,
                   struct error *e);
int channel_get(struct store_tx *tx, int64_t account_id, int64_t id, struct channel *out,
                struct error *e);
/* Active and removed channels, newest first; *out is freed by the caller. */
int channel_list(struct store_tx *tx, int64_t account_id, struct channel **out, size_t *n,
                 struct error *e);
int channel_remove(struct store_tx *tx, int64_t account_id, int64_t id, int64_t now,
                   struct error *e);
/* The active channel of kind with this id, in any account (webhooks know no account). */
int channel_find_active(struct store_tx *tx, enum channel_kind kind, int64_t id,
                        struct channel *out, struct error *e);
/* The active channel of kind known to the provider as external_id (any account). */
int channel_find_external(struct store_tx *tx, enum channel_kind kind, const char *external_id,
                          struct channel *out, struct error *e);
/* 0 when an active channel of kind has verify_token; ERR_NOT_FOUND otherwise. */
int channel_find_verify_token(struct store_tx *tx, enum channel_kind kind, const char *verify_token,
                              struct error *e);
int channel_secrets_get(struct store_tx *tx, const struct seal *seal, int64_t id,
                        struct channel_secrets *out, struct error *e);
/* Wipes and frees the strings; the struct itself is the caller's. */
void channel_secrets_clear(struct channel_secrets *s);
/* Sets (NULL: clears) a WhatsApp channel's Business Account id: its synced templates are
 * dropped and a sync is due at once. ERR_UNPROCESSABLE for other kinds. *out is the channel
 * after the change. */
int channel_set_waba(struct store_tx *tx, int64_t account_id, int64_t id, const char *waba_id,
                     int64_t now, struct channel *out, struct error *e);
/* Drops the channel's synced templates (a sync fills them again). */
int template_forget(struct store_tx *tx, int64_t channel_id);
/* Whether a web chat's widget asks the visitor's name and e-mail before the chat;
 * ERR_UNPROCESSABLE for other kinds. *out is the channel after the change. */
int channel_set_ask_contact(struct store_tx *tx, int64_t account_id, int64_t id, bool ask,
                            int64_t now, struct channel *out, struct error *e);
/* Records a provider error (or clears it with NULL) for the channel's health. */
int channel_note_error(struct store_tx *tx, int64_t id, const char *error, int64_t now);
/* The channel as the API answers it: credentials as hints only, and the webhook URL or the
 * widget's snippet under public_url. */
json_t *channel_json(const struct channel *c, const char *public_url);
/* Where the provider must send this channel's webhooks. */
void channel_webhook_url(const struct channel *c, const char *public_url, char *out, size_t size);
/* The web chat's embed code: the <script> tag a site pastes to show the widget. */
void channel_widget_snippet(const struct channel *c, const char *public_url, char *out,
                            size_t size);

/* templates.c */

/*
 * WhatsApp message templates, per channel, as the last sync read them from the Graph API
 * (GET /{waba-id}/message_templates, every page up to TEMPLATE_PAGES_MAX). A channel with a
 * waba_id is synced when it is added or its waba_id changes, then once a day (the scheduler).
 */

/* Reads every page (no transaction is open meanwhile), then replaces the channel's templates
 * in one transaction; *count (may be NULL) gets how many. account_id 0: any account (the
 * scheduler). ERR_UPSTREAM when Graph fails or answers nonsense; nothing changes then. */
int template_sync(struct store *st, const struct seal *seal, const struct config *config,
                  int64_t account_id, int64_t channel_id, int64_t now, size_t *count,
                  struct error *e);
/* What the scheduler's template job needs (its ctx). */
struct template_syncer {
	struct store *st;
	const struct seal *seal;
	const struct config *config;
};
/* The scheduler's job: the earliest due sync, and the syncs due at now (ctx: a
 * template_syncer); a failed one is noted on the channel's health and tried again in an hour. */
int template_sync_next_due(struct store_tx *tx, int64_t *due, struct error *e);
struct scheduler;
int template_sync_due(struct scheduler *sched, void *ctx, int64_t now, struct error *e);
/* The channel's templates as the API lists them (a new array): name, language, category,
 * status, usable (APPROVED), variables (whatsapp_template_variables), components, synced_at. */
int template_list(struct store_tx *tx, int64_t account_id, int64_t channel_id, json_t **out,
                  struct error *e);
/*
 * A template send on channel_id checked against the synced template: *send gets the
 * outbox's {"template": <Cloud API object>} and *rendered (to free) the text the customer
 * will read. ERR_UNPROCESSABLE when the template is not synced, not in that language, not
 * APPROVED, or its parameters do not fit it.
 */
int template_prepare(struct store_tx *tx, int64_t channel_id, const char *name,
                     const char *language, const json_t *parameters, json_t **send, char **rendered,
                     struct error *e);

/* text.c */

/* Text checks shared by users and teams: trimmed, clean UTF-8, 1..max bytes. */
int text_check_name(const char *field, const char *in, size_t max, char *out, struct error *e);
/* Validates and case-folds an e-mail into out (USER_EMAIL_MAX + 1 bytes). */
int text_fold_email(const char *in, char *out, struct error *e);
/* The case-folded (NFC, casefold) copy of valid UTF-8 in, to free; NULL when invalid. */
char *text_fold(const char *in);

#endif
