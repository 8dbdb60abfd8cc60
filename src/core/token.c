/* Random tokens, SHA-256 hashes and constant-time comparison via libsodium. */
#include "core/token.h"

#include <sodium.h>
#include <string.h>

int token_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void token_random_bytes(void *out, size_t n)
{
	randombytes_buf(out, n);
}

void token_generate(char out[TOKEN_TEXT_LEN])
{
	unsigned char raw[TOKEN_BYTES];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, TOKEN_TEXT_LEN, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void token_hash(const char *token, size_t len, char out[TOKEN_HASH_LEN])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, len);
	sodium_bin2hex(out, TOKEN_HASH_LEN, digest, sizeof(digest));
}

bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}
