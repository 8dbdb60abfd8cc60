/*
 * Secrets at rest: channel credentials are sealed with libsodium's secretbox
 * (XSalsa20-Poly1305) under the key in CENTRALITA_SECRET_KEY_FILE. Sealed text is base64 of
 * nonce + box, so it fits a TEXT column. The key never leaves this module.
 */
#ifndef CORE_SEAL_H
#define CORE_SEAL_H

#include <stdbool.h>

#include "core/err.h"

struct seal;

#define SEAL_FINGERPRINT_LEN 33 /* 32 hex digits and a NUL */

/* Loads the 32-byte key from path; when absent, creates it (mode 0600, random) if may_create,
 * else ERR_NOT_FOUND. Refuses (ERR_INVALID) a key file of another size, and one that its
 * group or others may read or write, as ssh does. */
int seal_open(const char *path, bool may_create, struct seal **out, struct error *e);
void seal_free(struct seal *s);
/* A name for the key that tells keys apart and reveals nothing of it (a keyed BLAKE2b). */
void seal_fingerprint(const struct seal *s, char out[SEAL_FINGERPRINT_LEN]);

/* Returns a new sealed string (to free). */
char *seal_encrypt(const struct seal *s, const char *plaintext);
/* Returns the plaintext (to free), or NULL when sealed is not ours or was tampered with. */
char *seal_decrypt(const struct seal *s, const char *sealed);

#endif
