/*
 * The secret key against the database: the key file's fingerprint is recorded on the first
 * start that has one, and a later start with a missing or another key is refused, unless the
 * operator asks to start over, which marks every channel whose credentials are lost.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define LOST_CREDENTIALS                                                                       \
	"its credentials were sealed with a secret key that was replaced: remove the channel " \
	"and connect it again"

/* The recorded fingerprint, empty when none. */
static int read_fingerprint(struct store_tx *tx, char fingerprint[SEAL_FINGERPRINT_LEN])
{
	struct store_rows *r;
	fingerprint[0] = '\0';
	int rc =
	    store_query(tx, "SELECT fingerprint FROM secret_key WHERE id = 1", STORE_NO_ARGS, &r);
	if (rc < 0)
		return rc;
	if ((rc = store_next(r)) == 1)
		snprintf(fingerprint, SEAL_FINGERPRINT_LEN, "%s", store_text(r, 0));
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* The active channels whose credentials seal does not open: their ids in *out (to free). A
 * web chat's credentials hold nothing: with start_over they are sealed again, not listed. */
static int lost_channels(struct store_tx *tx, const struct seal *seal, bool start_over,
                         int64_t **out, size_t *n)
{
	struct store_rows *r;
	*out = NULL;
	*n = 0;
	int rc = store_query(tx, "SELECT id, kind, credentials FROM channels WHERE is_active = 1",
	                     STORE_NO_ARGS, &r);
	if (rc < 0)
		return rc;
	size_t cap = 0;
	while ((rc = store_next(r)) == 1) {
		char *plain = seal_decrypt(seal, store_text(r, 2));
		if (plain != NULL) {
			sodium_memzero(plain, strlen(plain));
			free(plain);
			continue;
		}
		int64_t id = store_int(r, 0);
		if (start_over && strcmp(store_text(r, 1), "webchat") == 0) {
			char *sealed = seal_encrypt(seal, "{}");
			rc = store_exec(tx, "UPDATE channels SET credentials = $2 WHERE id = $1",
			                STORE_ARGS(SV_INT(id), SV_TEXT(sealed)));
			free(sealed);
			if (rc < 0)
				break;
			continue;
		}
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? 2 * cap : 8) * sizeof(**out));
		(*out)[(*n)++] = id;
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

static int record(struct store_tx *tx, const char *fingerprint, int64_t now)
{
	return store_exec(tx,
	                  "INSERT INTO secret_key (id, fingerprint, recorded_at) VALUES (1, $1, $2)"
	                  " ON CONFLICT (id) DO UPDATE SET fingerprint = $1, recorded_at = $2",
	                  STORE_ARGS(SV_TEXT(fingerprint), SV_INT(now)));
}

int secret_key_open(struct store_tx *tx, const char *path, bool start_over, int64_t now,
                    struct seal **out, struct error *e)
{
	char recorded[SEAL_FINGERPRINT_LEN], fingerprint[SEAL_FINGERPRINT_LEN];
	int64_t active = 0, *lost = NULL;
	size_t nlost = 0;
	struct seal *seal = NULL;
	*out = NULL;
	int rc = read_fingerprint(tx, recorded);
	if (rc >= 0)
		rc = store_get_int(tx, "SELECT count(*) FROM channels WHERE is_active = 1",
		                   STORE_NO_ARGS, &active);
	if (rc < 0)
		return store_failed(e, rc);
	/* Nothing is sealed yet (a new database, or every channel removed): a key may be made. */
	rc = seal_open(path, start_over || active == 0, &seal, e);
	if (rc == ERR_NOT_FOUND)
		return error_set(
		    e, ERR_CONFLICT,
		    "the secret key file %s is missing, and the channels' credentials "
		    "in the database were sealed with it: restore it from its backup, or "
		    "start with --new-secret-key to connect every channel again",
		    path);
	if (rc < 0)
		return rc;
	seal_fingerprint(seal, fingerprint);
	if (strcmp(recorded, fingerprint) == 0)
		goto out;
	/* Another key, or none recorded yet (a database older than the record): the channels
	 * tell whether this key sealed them. */
	if ((rc = lost_channels(tx, seal, start_over, &lost, &nlost)) < 0) {
		rc = store_failed(e, rc);
		goto out;
	}
	if (nlost > 0 && !start_over) {
		rc = error_set(
		    e, ERR_CONFLICT,
		    "the secret key file %s is not the key the channels' credentials were "
		    "sealed with (%zu channel%s credentials do not open with it): give the "
		    "right --secret-key-file, or start with --new-secret-key to connect "
		    "every channel again",
		    path, nlost, nlost == 1 ? "'s" : "s'");
		goto out;
	}
	for (size_t i = 0; i < nlost && rc >= 0; i++) {
		rc = channel_note_error(tx, lost[i], LOST_CREDENTIALS, now);
		log_warn("channel %lld needs its credentials again: the secret key was replaced",
		         (long long)lost[i]);
	}
	if (rc >= 0)
		rc = record(tx, fingerprint, now);
	rc = store_failed(e, rc);
out:
	free(lost);
	if (rc < 0)
		seal_free(seal);
	else
		*out = seal;
	return rc;
}

int secret_key_check(struct store_tx *tx, const struct seal *seal, struct error *e)
{
	char recorded[SEAL_FINGERPRINT_LEN], fingerprint[SEAL_FINGERPRINT_LEN];
	int rc = read_fingerprint(tx, recorded);
	if (rc < 0)
		return store_failed(e, rc);
	seal_fingerprint(seal, fingerprint);
	if (strcmp(recorded, fingerprint) != 0)
		return error_set(e, ERR_CONFLICT,
		                 "the secret key is not the one the database recorded");
	return 0;
}
