/*
 * Secrets at rest: channel credentials are sealed with libsodium's secretbox
 * (XSalsa20-Poly1305) under the key in CENTRALITA_SECRET_KEY_FILE. Sealed text is base64 of
 * nonce + box, so it fits a TEXT column. The key never leaves this module.
 */
#ifndef CORE_SEAL_H
#define CORE_SEAL_H

#include "core/err.h"

struct seal;

/* Loads the 32-byte key from path, creating it (mode 0600, random) when absent. Refuses a
 * key file of another size. */
int seal_open(const char *path, struct seal **out, struct error *e);
void seal_free(struct seal *s);

/* Returns a new sealed string (to free). */
char *seal_encrypt(const struct seal *s, const char *plaintext);
/* Returns the plaintext (to free), or NULL when sealed is not ours or was tampered with. */
char *seal_decrypt(const struct seal *s, const char *sealed);

#endif
