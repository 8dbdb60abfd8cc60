/*
 * Random tokens and their hashes (libsodium). Sessions and API tokens are handed out once
 * and stored only as a SHA-256 hash; comparisons of secrets are constant-time.
 */
#ifndef CORE_TOKEN_H
#define CORE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_BYTES    32
#define TOKEN_TEXT_LEN 44 /* base64url of 32 bytes without padding, plus NUL */
#define TOKEN_HASH_LEN 65 /* hex SHA-256 plus NUL */

/* Must run once before any other call here (and before threads start). */
int token_init(void);
/* Fills out with n random bytes. */
void token_random_bytes(void *out, size_t n);
/* Writes a random base64url token of TOKEN_BYTES bytes' entropy. */
void token_generate(char out[TOKEN_TEXT_LEN]);
void token_hash(const char *token, size_t len, char out[TOKEN_HASH_LEN]);
/* Constant-time comparison of two NUL-terminated secrets; false when lengths differ. */
bool token_equal(const char *a, const char *b);

#endif
