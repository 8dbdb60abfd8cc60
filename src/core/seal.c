/* Sealing secrets with secretbox; see seal.h. */
#include "core/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct seal {
	unsigned char key[crypto_secretbox_KEYBYTES];
};

static int create_key(const char *path, struct error *e)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0
		                       : error_set(e, ERR_UNAVAILABLE, "cannot create %s: %s", path,
		                                   strerror(errno));
	crypto_secretbox_keygen(key);
	ssize_t n = write(fd, key, sizeof(key));
	int rc = n == (ssize_t)sizeof(key) && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		unlink(path);
		return error_set(e, ERR_UNAVAILABLE, "cannot write %s", path);
	}
	log_info("created secret key file %s", path);
	return 0;
}

int seal_open(const char *path, bool may_create, struct seal **out, struct error *e)
{
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT) {
		if (!may_create)
			return error_set(e, ERR_NOT_FOUND, "the secret key file %s is missing",
			                 path);
		int rc = create_key(path, e);
		if (rc < 0)
			return rc;
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return error_set(e, ERR_UNAVAILABLE, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
		close(fd);
		return error_set(
		    e, ERR_INVALID,
		    "the secret key file %s is open to its group or others (mode %04o): "
		    "chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
	}
	struct seal *s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		close(fd);
		return error_set(e, ERR_UNAVAILABLE, "cannot allocate the key");
	}
	unsigned char extra;
	ssize_t n = read(fd, s->key, sizeof(s->key));
	ssize_t more = read(fd, &extra, 1);
	close(fd);
	if (n != (ssize_t)sizeof(s->key) || more != 0) {
		sodium_free(s);
		return error_set(e, ERR_INVALID, "%s must hold exactly %d bytes", path,
		                 crypto_secretbox_KEYBYTES);
	}
	*out = s;
	return 0;
}

void seal_fingerprint(const struct seal *s, char out[SEAL_FINGERPRINT_LEN])
{
	static const char context[] = "centralita secret key fingerprint";
	unsigned char digest[(SEAL_FINGERPRINT_LEN - 1) / 2];
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)context,
	                   sizeof(context) - 1, s->key, sizeof(s->key));
	sodium_bin2hex(out, SEAL_FINGERPRINT_LEN, digest, sizeof(digest));
}

void seal_free(struct seal *s)
{
	if (s != NULL)
		sodium_free(s);
}

char *seal_encrypt(const struct seal *s, const char *plaintext)
{
	size_t len = strlen(plaintext);
	size_t boxed = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	unsigned char *raw = xmalloc(boxed);
	randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)plaintext,
	                      len, raw, s->key);
	size_t b64 = sodium_base64_ENCODED_LEN(boxed, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(b64);
	sodium_bin2base64(out, b64, raw, boxed, sodium_base64_VARIANT_ORIGINAL);
	free(raw);
	return out;
}

char *seal_decrypt(const struct seal *s, const char *sealed)
{
	size_t len = strlen(sealed);
	unsigned char *raw = xmalloc(len);
	size_t boxed = 0;
	char *out = NULL;
	if (sodium_base642bin(raw, len, sealed, len, NULL, &boxed, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    boxed < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		goto out;
	size_t plain = boxed - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	out = xmalloc(plain + 1);
	if (crypto_secretbox_open_easy((unsigned char *)out, raw + crypto_secretbox_NONCEBYTES,
	                               boxed - crypto_secretbox_NONCEBYTES, raw, s->key) != 0) {
		free(out);
		out = NULL;
		goto out;
	}
	out[plain] = '\0';
out:
	free(raw);
	return out;
}
