/*
 * Authentication: argon2id passwords, the failed-login throttle, sessions and API tokens.
 * Secrets handed out (session and API tokens) are stored only as SHA-256 hashes.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define SESSION_TTL_MS    (30LL * 24 * 3600 * 1000)
#define THROTTLE_RESET_MS (3600LL * 1000) /* failures older than this start over */
#define API_TOKEN_PREFIX  "ctk_"

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX], struct error *e)
{
	size_t len = strlen(password);
	if (len < USER_PASSWORD_MIN || len > USER_PASSWORD_MAX)
		return error_rule(e, ERR_INVALID, "password_length", "password", USER_PASSWORD_MIN,
		                  "'password' must be %d to %d bytes", USER_PASSWORD_MIN,
		                  USER_PASSWORD_MAX);
	if (crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return error_set(e, ERR_UNAVAILABLE, "not enough memory to hash the password");
	return 0;
}

int auth_lock_seconds(int failures, int free, int longest)
{
	if (failures < free)
		return 0;
	if (failures < free + 5)
		return 1 << (failures - free);
	return longest;
}

/* A hash no password matches in practice, verified against for unknown e-mails so that
 * they take as long to refuse as known ones. */
static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	char password[TOKEN_TEXT_LEN];
	token_generate(password);
	if (auth_password_hash(password, dummy_hash, NULL) < 0)
		dummy_hash[0] = '\0';
}

/* How a throttle counter locks: after `free` failures, 1 s doubling to 16 s, then longest. */
struct lock_rule {
	int free;
	int longest; /* seconds */
};

static int lock_counter(struct store_tx *tx, const char *source, const char *email, int64_t until)
{
	return store_exec(tx,
	                  "UPDATE login_throttle SET locked_until = $3"
	                  " WHERE source = $1 AND email = $2",
	                  STORE_ARGS(SV_TEXT(source), SV_TEXT(email), SV_INT(until)));
}

/*
 * Counts one attempt of (source, email) as a failure before its password is checked, and
 * locks the counter for what that failure earns: one statement reads and raises the count,
 * so parallel attempts cannot both see the same one. An attempt while locked is not
 * counted: *locked_until is set (> now) and the attempt must be refused. *seconds is the
 * lock this attempt set (0: none).
 */
static int count_attempt(struct store_tx *tx, const char *source, const char *email,
                         const struct lock_rule *rule, int64_t now, int64_t *locked_until,
                         int *seconds)
{
	struct store_rows *r;
	int rc = store_query(
	    tx,
	    "INSERT INTO login_throttle AS t (source, email, failures, last_failure_at,"
	    " locked_until) VALUES ($1, $2, 1, $3, 0)"
	    " ON CONFLICT (source, email) DO UPDATE SET failures ="
	    " CASE WHEN t.locked_until > $3 THEN t.failures"
	    " WHEN $3 - t.last_failure_at > $4 THEN 1 ELSE t.failures + 1 END,"
	    " last_failure_at = CASE WHEN t.locked_until > $3 THEN t.last_failure_at"
	    " ELSE $3 END RETURNING failures, locked_until",
	    STORE_ARGS(SV_TEXT(source), SV_TEXT(email), SV_INT(now), SV_INT(THROTTLE_RESET_MS)),
	    &r);
	if (rc < 0)
		return rc;
	int64_t failures = 0;
	*locked_until = 0;
	*seconds = 0;
	if ((rc = store_next(r)) == 1) {
		failures = store_int(r, 0);
		*locked_until = store_int(r, 1);
	}
	store_rows_free(r);
	if (rc < 0 || *locked_until > now)
		return rc < 0 ? rc : 0;
	*locked_until = 0;
	*seconds = auth_lock_seconds(failures > INT32_MAX ? INT32_MAX : (int)failures, rule->free,
	                             rule->longest);
	return *seconds == 0 ? 0 : lock_counter(tx, source, email, now + 1000LL * *seconds);
}

struct attempt {
	const char *email, *source;
	int source_failures;
	int64_t now;
	bool has_user;
	struct actor who;
	char hash[AUTH_HASH_MAX];
	int64_t locked_until;              /* > now: refused, locked until then */
	int source_seconds, email_seconds; /* the locks this attempt's failure set */
};

/* Counts the attempt for its source (every e-mail) and for its source and e-mail, then
 * reads the user: one transaction. What it finds is set afresh: a group may run it again. */
static int begin_attempt(struct store_tx *tx, void *arg)
{
	struct attempt *a = arg;
	a->has_user = false;
	a->locked_until = 0;
	a->source_seconds = 0;
	a->email_seconds = 0;
	const struct lock_rule by_source = { a->source_failures, 60 };
	const struct lock_rule by_email = { 5, 15 * 60 };
	/* Refused by either lock, the attempt counts at neither: retrying while locked (as a
	 * browser or a script may, many times a second) must not lock the source out. */
	int rc = store_get_int(tx,
	                       "SELECT coalesce(max(locked_until), 0) FROM login_throttle"
	                       " WHERE source = $1 AND email IN ('', $2)",
	                       STORE_ARGS(SV_TEXT(a->source), SV_TEXT(a->email)), &a->locked_until);
	if (rc < 0 || a->locked_until > a->now)
		return rc < 0 ? rc : 0;
	rc = count_attempt(tx, a->source, "", &by_source, a->now, &a->locked_until,
	                   &a->source_seconds);
	if (rc >= 0 && a->locked_until <= a->now)
		rc = count_attempt(tx, a->source, a->email, &by_email, a->now, &a->locked_until,
		                   &a->email_seconds);
	if (rc < 0 || a->locked_until > a->now)
		return rc < 0 ? rc : 0;
	struct store_rows *r;
	rc = store_query(tx,
	                 "SELECT account_id, id, role, password_hash FROM users"
	                 " WHERE email = $1 AND is_active = 1",
	                 STORE_ARGS(SV_TEXT(a->email)), &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1) {
		a->has_user = true;
		a->who.account_id = store_int(r, 0);
		a->who.user_id = store_int(r, 1);
		role_parse(store_text(r, 2), &a->who.role);
		snprintf(a->hash, sizeof(a->hash), "%s", store_text(r, 3));
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* A failure's locks run from its answer, not from the start of its slow check. */
static int restart_locks(struct store_tx *tx, void *arg)
{
	struct attempt *a = arg;
	int64_t now = clock_now_ms();
	int rc = 0;
	if (a->source_seconds > 0)
		rc = lock_counter(tx, a->source, "", now + 1000LL * a->source_seconds);
	if (rc >= 0 && a->email_seconds > 0)
		rc = lock_counter(tx, a->source, a->email, now + 1000LL * a->email_seconds);
	return rc;
}

/* A success takes its attempt back: the e-mail's count starts over, the source's loses one. */
static int take_back_attempt(struct store_tx *tx, void *arg)
{
	struct attempt *a = arg;
	int rc = store_exec(tx, "DELETE FROM login_throttle WHERE source = $1 AND email = $2",
	                    STORE_ARGS(SV_TEXT(a->source), SV_TEXT(a->email)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "UPDATE login_throttle SET failures = failures - 1"
		                " WHERE source = $1 AND email = '' AND failures > 0",
		                STORE_ARGS(SV_TEXT(a->source)));
	return rc;
}

int auth_login(struct store *st, const struct auth_source *src, const char *email,
               const char *password, int64_t now, struct actor *out, int *retry_after,
               struct error *e)
{
	char folded[USER_EMAIL_MAX + 1];
	int rc = text_fold_email(email, folded, e);
	if (rc < 0)
		return rc;
	if (strlen(password) > USER_PASSWORD_MAX)
		return error_set(e, ERR_INVALID, "'password' is longer than %d bytes",
		                 USER_PASSWORD_MAX);
	struct attempt a = { .email = folded,
		             .source = src->address,
		             .source_failures = src->failures_allowed,
		             .now = now };
	if ((rc = store_run(st, begin_attempt, &a)) < 0)
		return store_failed(e, rc);
	if (a.locked_until > now) {
		*retry_after = (int)((a.locked_until - now + 999) / 1000);
		return error_set(e, ERR_RATE_LIMITED,
		                 "too many failed logins; try again in %d seconds", *retry_after);
	}
	pthread_once(&dummy_once, make_dummy_hash);
	bool is_match = crypto_pwhash_str_verify(a.has_user ? a.hash : dummy_hash, password,
	                                         strlen(password)) == 0 &&
	                a.has_user;
	sodium_memzero(a.hash, sizeof(a.hash));
	if (!is_match && a.source_seconds + a.email_seconds > 0)
		rc = store_run(st, restart_locks, &a);
	else if (is_match)
		rc = store_run(st, take_back_attempt, &a);
	if (rc < 0)
		return store_failed(e, rc);
	if (!is_match)
		return error_set(e, ERR_BAD_CREDENTIALS, "wrong e-mail or password");
	*out = a.who;
	return 0;
}

/* A counter whose last failure is older than THROTTLE_RESET_MS counts as none (its locks, 15
 * minutes at most, are over), so it can go. A pass waits until the oldest is that old plus
 * THROTTLE_PRUNE_SLACK_MS and takes every one then old enough: passes come at most every
 * 10 minutes, however many addresses fail. */
#define THROTTLE_PRUNE_SLACK_MS (10LL * 60 * 1000)

int auth_throttle_next_prune(struct store_tx *tx, int64_t *due, struct error *e)
{
	int64_t oldest = 0;
	int rc = store_get_int(tx, "SELECT coalesce(min(last_failure_at), 0) FROM login_throttle",
	                       STORE_NO_ARGS, &oldest);
	/* None yet: look again once a counter written from now on could be due, as nothing
	 * wakes the scheduler when one is. */
	*due = (oldest > 0 ? oldest : clock_now_ms()) + THROTTLE_RESET_MS + THROTTLE_PRUNE_SLACK_MS;
	return store_failed(e, rc);
}

int auth_throttle_prune(struct store_tx *tx, int64_t now, struct error *e)
{
	int rc = store_exec(tx, "DELETE FROM login_throttle WHERE last_failure_at < $1",
	                    STORE_ARGS(SV_INT(now - THROTTLE_RESET_MS)));
	return store_failed(e, rc);
}

bool auth_password_matches(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int auth_password_verify(struct store *st, int64_t user_id, const char *password, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	struct store_rows *r;
	char hash[AUTH_HASH_MAX] = "";
	int rc = store_query(tx, "SELECT password_hash FROM users WHERE id = $1",
	                     STORE_ARGS(SV_INT(user_id)), &r);
	if (rc == 0) {
		if ((rc = store_next(r)) == 1)
			snprintf(hash, sizeof(hash), "%s", store_text(r, 0));
		store_rows_free(r);
	}
	store_rollback(tx);
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0 || !auth_password_matches(hash, password))
		return error_set(e, ERR_UNPROCESSABLE, "the current password is wrong");
	return 0;
}

int auth_session_create(struct store_tx *tx, const struct actor *who, int64_t now,
                        char token[TOKEN_TEXT_LEN], char csrf[TOKEN_TEXT_LEN], struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	token_generate(token);
	token_generate(csrf);
	token_hash(token, strlen(token), hash);
	int rc = store_exec(tx, "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2",
	                    STORE_ARGS(SV_INT(who->user_id), SV_INT(now)));
	if (rc >= 0)
		rc = store_exec(tx,
		                "INSERT INTO sessions (account_id, user_id, token_hash, csrf_token,"
		                " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
		                STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id),
		                           SV_TEXT(hash), SV_TEXT(csrf), SV_INT(now),
		                           SV_INT(now + SESSION_TTL_MS)));
	return store_failed(e, rc);
}

/* Of `users u`: 1 when the account masks customers' phone and e-mail for this restricted
 * agent. */
#define ACTOR_IS_MASKED                                                                  \
	" CASE WHEN u.role = 'restricted' AND (SELECT a.mask_restricted FROM accounts a" \
	" WHERE a.id = u.account_id) = 1 THEN 1 ELSE 0 END"

/* Reads (account, user, role, is_masked[, extra text]) from a one-row query into *who. */
static int lookup_actor(struct store_tx *tx, const char *sql, const struct store_value *args,
                        int nargs, struct actor *who, char *extra, size_t extra_size,
                        struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx, sql, args, nargs, &r);
	if (rc < 0)
		return store_failed(e, rc);
	rc = store_next(r);
	if (rc == 1) {
		who->account_id = store_int(r, 0);
		who->user_id = store_int(r, 1);
		role_parse(store_text(r, 2), &who->role);
		who->is_masked = store_int(r, 3) != 0;
		if (extra != NULL)
			snprintf(extra, extra_size, "%s", store_text(r, 4));
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	return rc == 1 ? 0
	               : error_set(e, ERR_UNAUTHENTICATED, "not logged in, or the session expired");
}

int auth_session_lookup(struct store_tx *tx, const char *token, int64_t now, struct actor *who,
                        char csrf[TOKEN_TEXT_LEN], struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	token_hash(token, strlen(token), hash);
	return lookup_actor(tx,
	                    "SELECT s.account_id, s.user_id, u.role," ACTOR_IS_MASKED
	                    ", s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id"
	                    " WHERE s.token_hash = $1"
	                    " AND s.expires_at > $2 AND u.is_active = 1",
	                    STORE_ARGS(SV_TEXT(hash), SV_INT(now)), who, csrf, TOKEN_TEXT_LEN, e);
}

int auth_session_delete(struct store_tx *tx, const char *token, struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	token_hash(token, strlen(token), hash);
	int rc =
	    store_exec(tx, "DELETE FROM sessions WHERE token_hash = $1", STORE_ARGS(SV_TEXT(hash)));
	return store_failed(e, rc);
}

int auth_token_create(struct store_tx *tx, const struct actor *who, const struct api_token *t,
                      int64_t now, char token[API_TOKEN_LEN], int64_t *id, struct error *e)
{
	char clean[TOKEN_NAME_MAX + 1];
	char hash[TOKEN_HASH_LEN];
	char secret[TOKEN_TEXT_LEN];
	int rc = text_check_name("name", t->name, TOKEN_NAME_MAX, clean, e);
	if (rc < 0)
		return rc;
	if (t->expires_at != 0 && t->expires_at <= now)
		return error_set(e, ERR_UNPROCESSABLE, "'expires_at' must be in the future");
	token_generate(secret);
	snprintf(token, API_TOKEN_LEN, API_TOKEN_PREFIX "%s", secret);
	token_hash(token, strlen(token), hash);
	rc = store_get_int(
	    tx,
	    "INSERT INTO api_tokens (account_id, user_id, name, token_hash, created_at,"
	    " expires_at, revoke_on_password_change)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
	    STORE_ARGS(SV_INT(who->account_id), SV_INT(who->user_id), SV_TEXT(clean), SV_TEXT(hash),
	               SV_INT(now), t->expires_at != 0 ? SV_INT(t->expires_at) : SV_NULL,
	               SV_INT(t->is_revoked_by_new_password)),
	    id);
	return store_failed(e, rc);
}

int auth_token_lookup(struct store_tx *tx, const char *token, int64_t now, struct actor *who,
                      struct error *e)
{
	char hash[TOKEN_HASH_LEN];
	if (strncmp(token, API_TOKEN_PREFIX, strlen(API_TOKEN_PREFIX)) != 0)
		return error_set(e, ERR_UNAUTHENTICATED, "not a Centralita API token");
	token_hash(token, strlen(token), hash);
	return lookup_actor(tx,
	                    "SELECT t.account_id, t.user_id, u.role," ACTOR_IS_MASKED
	                    " FROM api_tokens t JOIN users u ON u.id = t.user_id"
	                    " WHERE t.token_hash = $1"
	                    " AND u.is_active = 1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
	                    STORE_ARGS(SV_TEXT(hash), SV_INT(now)), who, NULL, 0, e);
}

int auth_token_delete(struct store_tx *tx, const struct actor *who, int64_t id, struct error *e)
{
	int rc = store_exec(tx, "DELETE FROM api_tokens WHERE user_id = $1 AND id = $2",
	                    STORE_ARGS(SV_INT(who->user_id), SV_INT(id)));
	if (rc < 0)
		return store_failed(e, rc);
	return rc > 0 ? 0 : error_set(e, ERR_NOT_FOUND, "no such token");
}

int auth_token_list(struct store_tx *tx, const struct actor *who, struct api_token **out, size_t *n,
                    struct error *e)
{
	struct store_rows *r;
	int rc = store_query(tx,
	                     "SELECT id, name, created_at, coalesce(expires_at, 0),"
	                     " revoke_on_password_change FROM api_tokens WHERE user_id = $1"
	                     " ORDER BY id",
	                     STORE_ARGS(SV_INT(who->user_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	struct api_token *tokens = NULL;
	size_t len = 0, cap = 0;
	while ((rc = store_next(r)) == 1) {
		tokens = xgrow(tokens, &cap, len, sizeof(*tokens));
		tokens[len].id = store_int(r, 0);
		snprintf(tokens[len].name, sizeof(tokens[len].name), "%s", store_text(r, 1));
		tokens[len].created_at = store_int(r, 2);
		tokens[len].expires_at = store_int(r, 3);
		tokens[len++].is_revoked_by_new_password = store_int(r, 4) != 0;
	}
	store_rows_free(r);
	if (rc < 0) {
		free(tokens);
		return store_failed(e, rc);
	}
	*out = tokens;
	*n = len;
	return 0;
}

json_t *api_token_json(const struct api_token *t)
{
	return json_pack("{s:I,s:s,s:I,s:o,s:b}", "id", (json_int_t)t->id, "name", t->name,
	                 "created_at", (json_int_t)t->created_at, "expires_at",
	                 t->expires_at != 0 ? json_integer(t->expires_at) : json_null(),
	                 "revoke_on_password_change", t->is_revoked_by_new_password);
}
