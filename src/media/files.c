/*
 * The file store: content-addressed bytes behind put and open. The directory back end keeps
 * dir/ab/<sha256>; a draft is written under dir/tmp/, synced, and renamed into place, so a
 * name never shows a partial file, and a crash leaves at most a draft (cleared at open). A
 * back end that keeps bytes elsewhere (PostgreSQL, docs/DECISIONS.md) fills the same ops and
 * keeps this spool for drafts and as its local cache.
 */
#define _GNU_SOURCE /* mkostemp */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "media/media.h"

struct file_store {
	int (*put)(struct file_store *fs, struct file_draft *d, const char *sha256,
	           struct error *e);
	int (*open)(struct file_store *fs, const char *sha256, int *fd, int64_t *size,
	            struct error *e);
	char dir[1024];
};

static bool is_sha256_hex(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int make_dir(const char *path, struct error *e)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return error_set(e, ERR_UNAVAILABLE, "cannot create the folder %s: %s", path,
		                 strerror(errno));
	return 0;
}

/* Where the content named sha256 lives: dir/ab/abcd… */
static int content_path(const struct file_store *fs, const char *sha256, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%.2s/%s", fs->dir, sha256, sha256);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int dir_put(struct file_store *fs, struct file_draft *d, const char *sha256, struct error *e)
{
	char path[1200], bucket[1100];
	int rc = 0;
	snprintf(bucket, sizeof(bucket), "%s/%.2s", fs->dir, sha256);
	if (content_path(fs, sha256, path, sizeof(path)) < 0)
		rc = error_set(e, ERR_INTERNAL, "the file store's path is too long");
	else if (fsync(d->fd) < 0)
		rc = error_set(e, ERR_UNAVAILABLE, "cannot write a file: %s", strerror(errno));
	else
		rc = make_dir(bucket, e);
	if (rc == 0 && access(path, F_OK) != 0) {
		if (rename(d->path, path) < 0)
			rc = error_set(e, ERR_UNAVAILABLE, "cannot store a file: %s",
			               strerror(errno));
		else
			d->path[0] = '\0'; /* the name is free for another draft now */
	}
	if (rc == 0) {
		/* The rename lasts once the folder holding it is synced. */
		int dfd = open(bucket, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	file_draft_drop(d);
	return rc;
}

static int dir_open(struct file_store *fs, const char *sha256, int *fd, int64_t *size,
                    struct error *e)
{
	char path[1200];
	struct stat st;
	if (content_path(fs, sha256, path, sizeof(path)) < 0)
		return error_set(e, ERR_INTERNAL, "the file store's path is too long");
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return error_set(e, errno == ENOENT ? ERR_NOT_FOUND : ERR_UNAVAILABLE,
		                 "the file is not in the file store");
	if (fstat(*fd, &st) < 0) {
		close(*fd);
		*fd = -1;
		return error_set(e, ERR_UNAVAILABLE, "cannot read a file: %s", strerror(errno));
	}
	*size = (int64_t)st.st_size;
	return 0;
}

/* Drafts a crash left behind are of no use: nothing names them. */
static void clear_drafts(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *ent;
	while (d != NULL && (ent = readdir(d)) != NULL)
		if (strncmp(ent->d_name, "draft-", 6) == 0)
			unlinkat(dirfd(d), ent->d_name, 0);
	if (d != NULL)
		closedir(d);
}

int file_store_open_dir(const char *dir, struct file_store **out, struct error *e)
{
	char tmp[1100];
	*out = NULL;
	if (strlen(dir) == 0 || strlen(dir) >= sizeof((*out)->dir) - 80)
		return error_set(e, ERR_INVALID, "the files folder's path is empty or too long");
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	int rc = make_dir(dir, e);
	if (rc == 0)
		rc = make_dir(tmp, e);
	if (rc < 0)
		return rc;
	clear_drafts(tmp);
	struct file_store *fs = xcalloc(1, sizeof(*fs));
	fs->put = dir_put;
	fs->open = dir_open;
	snprintf(fs->dir, sizeof(fs->dir), "%s", dir);
	*out = fs;
	return 0;
}

void file_store_close(struct file_store *fs)
{
	free(fs);
}

int file_draft_begin(struct file_store *fs, int64_t max, struct file_draft *d, struct error *e)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
	snprintf(d->path, sizeof(d->path), "%s/tmp/draft-XXXXXX", fs->dir);
	d->fd = mkostemp(d->path, O_CLOEXEC); /* 0600 */
	if (d->fd < 0) {
		d->path[0] = '\0';
		return error_set(e, ERR_UNAVAILABLE, "cannot create a file: %s", strerror(errno));
	}
	crypto_hash_sha256_init(&d->hash);
	return 0;
}

bool file_draft_write(struct file_draft *d, const void *data, size_t len)
{
	if (d->size + (int64_t)len > d->max) {
		d->is_too_large = true;
		return false;
	}
	const char *p = data;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(d->fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("media: cannot write a draft: %s", strerror(errno));
			d->is_failed = true;
			return false;
		}
		done += (size_t)n;
	}
	crypto_hash_sha256_update(&d->hash, data, len);
	d->size += (int64_t)len;
	return true;
}

void file_draft_digest(struct file_draft *d, char hex[MEDIA_SHA256_HEX])
{
	unsigned char sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&d->hash, sum);
	sodium_bin2hex(hex, MEDIA_SHA256_HEX, sum, sizeof(sum));
}

int file_store_put(struct file_store *fs, struct file_draft *d, const char *sha256, struct error *e)
{
	if (!is_sha256_hex(sha256)) {
		file_draft_drop(d);
		return error_set(e, ERR_INVALID, "not a SHA-256");
	}
	return fs->put(fs, d, sha256, e);
}

void file_draft_drop(struct file_draft *d)
{
	if (d->path[0] != '\0')
		unlink(d->path);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->path[0] = '\0';
}

int file_store_open(struct file_store *fs, const char *sha256, int *fd, int64_t *size,
                    struct error *e)
{
	*fd = -1;
	if (!is_sha256_hex(sha256))
		return error_set(e, ERR_NOT_FOUND, "no such file");
	return fs->open(fs, sha256, fd, size, e);
}

int file_record(struct store_tx *tx, const char *sha256, int64_t size, const char *mime_type,
                int64_t now)
{
	return store_exec(
	    tx,
	    "INSERT INTO files (sha256, size, mime_type, created_at)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
	    STORE_ARGS(SV_TEXT(sha256), SV_INT(size), SV_TEXT(mime_type), SV_INT(now)));
}
