/*
 * media/: the files of media messages. files.c keeps bytes content-addressed (SHA-256) behind
 * one small interface — a private directory beside the database by default — and never
 * shows a partly written file under its name. fetch.c is the scheduler's job that downloads a
 * customer's file from the provider after the webhook was answered, retrying with backoff
 * and giving up with a reason on the message. Nothing here parses a file's content.
 */
#ifndef MEDIA_MEDIA_H
#define MEDIA_MEDIA_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/seal.h"
#include "core/token.h"
#include "providers/providers.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

#define MEDIA_SHA256_HEX  65                   /* 64 hex digits and NUL */
#define MEDIA_GIVE_UP_MS  (24LL * 3600 * 1000) /* transient failures stop after this */
#define MEDIA_LIMIT_IMAGE (5LL * 1024 * 1024)  /* images and stickers (WhatsApp's limits) */
#define MEDIA_LIMIT_AV    (16LL * 1024 * 1024) /* audio and video */
#define MEDIA_LIMIT_DOC   (100LL * 1024 * 1024)
#define MEDIA_LIMIT_TG    (20LL * 1024 * 1024) /* what Telegram's getFile lets a bot download */

/* ---- files.c: the file store --------------------------------------------------------- */

/*
 * Where bytes live. A back end implements put and open; every back end takes its bytes from
 * a draft, a private file written in the store's local spool, so a download is checked
 * (size, SHA-256) before anything is named by its hash.
 */
struct file_store;

/* The directory back end: dir/ab/<sha256> for each content, dir/tmp/ for drafts (folders
 * 0700, files 0600), created when absent. */
int file_store_open_dir(const char *dir, struct file_store **out, struct error *e);
void file_store_close(struct file_store *fs);

/* A file being written: bytes go to a private temporary file, hashed as they come. */
struct file_draft {
	int fd;
	char path[1100];
	crypto_hash_sha256_state hash;
	int64_t size;
	int64_t max;       /* bytes it may hold */
	bool is_too_large; /* a write went past max */
	bool is_failed;    /* a write failed (disk full…) */
};

int file_draft_begin(struct file_store *fs, int64_t max, struct file_draft *d, struct error *e);
/* Appends; false when the bytes cannot be kept (is_too_large or is_failed says why). */
bool file_draft_write(struct file_draft *d, const void *data, size_t len);
/* The SHA-256 of what was written, in lowercase hex; call once, before file_store_put. */
void file_draft_digest(struct file_draft *d, char hex[MEDIA_SHA256_HEX]);
/* Keeps the draft's bytes under sha256 (synced, then renamed into place: never partial); the
 * same content twice is stored once. Ends the draft either way. */
int file_store_put(struct file_store *fs, struct file_draft *d, const char *sha256,
                   struct error *e);
/* Throws a draft away; d may be ended already. */
void file_draft_drop(struct file_draft *d);
/* Opens the content named sha256 for reading: *fd to close, *size its length. */
int file_store_open(struct file_store *fs, const char *sha256, int *fd, int64_t *size,
                    struct error *e);
/* Records in tx the row of content kept under sha256 (once per content, like the bytes). */
int file_record(struct store_tx *tx, const char *sha256, int64_t size, const char *mime_type,
                int64_t now);

/* ---- fetch.c: fetching customers' files ----------------------------------------------- */

/* The largest file of a kind ("image", "audio", "video", "document", "sticker") from a
 * channel of channel_kind: the kind's limit, Telegram's when lower, and the operator's
 * media_max_bytes when that is lower still. */
int64_t media_limit(const char *kind, enum channel_kind channel_kind, const struct config *c);

/* Queues the fetch of a stored message's file, due now, when it is of a kind with a file and
 * has a ref (*queued incremented); in the caller's transaction. Wake the scheduler after
 * commit. type is the message's type name, mime the provider's word (may be NULL). */
int media_queue(struct store_tx *tx, int64_t account_id, int64_t channel_id, int64_t message_id,
                const char *type, const char *ref, const char *mime, int64_t now, size_t *queued);

struct media_fetcher {
	struct store *store;
	const struct seal *seal;
	const struct config *config;
	struct file_store *files;
	char owner[TOKEN_TEXT_LEN]; /* this server's name on its leases */
};

/* The scheduler's job: the earliest due fetch, and one fetch (arg: a struct media_fetcher). */
int media_fetch_next_due(struct store_tx *tx, int64_t *due, struct error *e);
int media_fetch_work(struct scheduler *s, void *arg, int64_t now, struct error *e);

#endif
