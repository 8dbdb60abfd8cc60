/*
 * Agents' uploads: a file an agent brings to attach to a message of one conversation. The
 * bytes are already in the file store; here the file's row and the upload's, under the
 * visibility rule (only who may see the conversation may upload to it) and the rule of what
 * the conversation's provider takes (providers/attachment.c).
 */
#include <stdio.h>
#include <string.h>

#include "inbox/internal.h"
#include "media/media.h"

int upload_check(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                 const char *mime_type, int64_t size, int64_t max_bytes, const char **kind,
                 struct error *e)
{
	struct conversation c;
	int rc = conversation_get(tx, who, conversation_id, &c, e);
	return rc < 0 ? rc : channel_file_check(c.kind, mime_type, size, max_bytes, kind, e);
}

int upload_create(struct store_tx *tx, const struct actor *who, int64_t conversation_id,
                  const struct upload_input *in, int64_t now, struct upload *out, struct error *e)
{
	const char *kind = NULL;
	int rc = upload_check(tx, who, conversation_id, in->mime_type, in->size, in->max_bytes,
	                      &kind, e);
	if (rc < 0)
		return rc;
	rc = file_record(tx, in->sha256, in->size, in->mime_type, now);
	if (rc >= 0)
		rc =
		    store_get_int(tx,
		                  "INSERT INTO uploads (account_id, conversation_id, user_id,"
		                  " sha256, kind, mime_type, file_name, size, created_at)"
		                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
		                  STORE_ARGS(SV_INT(who->account_id), SV_INT(conversation_id),
		                             SV_INT(who->user_id), SV_TEXT(in->sha256),
		                             SV_TEXT(kind), SV_TEXT(in->mime_type),
		                             SV_TEXT(in->file_name), SV_INT(in->size), SV_INT(now)),
		                  &out->id);
	if (rc < 0)
		return store_failed(e, rc);
	snprintf(out->kind, sizeof(out->kind), "%s", kind);
	return 0;
}

static void read_upload(struct store_rows *r, void *arg)
{
	struct upload *u = arg;
	u->id = store_int(r, 0);
	snprintf(u->sha256, sizeof(u->sha256), "%s", store_text(r, 1));
	snprintf(u->kind, sizeof(u->kind), "%s", store_text(r, 2));
	snprintf(u->mime_type, sizeof(u->mime_type), "%s", store_text(r, 3));
	snprintf(u->file_name, sizeof(u->file_name), "%s", store_text(r, 4));
	u->size = store_int(r, 5);
}

int upload_get(struct store_tx *tx, int64_t account_id, int64_t conversation_id, int64_t id,
               struct upload *out, struct error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = store_get_row(tx,
	                       "SELECT id, sha256, kind, mime_type, file_name, size FROM uploads"
	                       " WHERE id = $1 AND conversation_id = $2 AND account_id = $3",
	                       STORE_ARGS(SV_INT(id), SV_INT(conversation_id), SV_INT(account_id)),
	                       read_upload, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "'upload_id' names no upload of this conversation");
	return store_failed(e, rc);
}
