/* The account itself: its name and the settings an admin changes for all its users; and the
 * public URL the server started with. */
#include <stdio.h>
#include <string.h>

#include "accounts/accounts.h"

static void read_account(struct store_rows *r, void *item)
{
	struct account *a = item;
	memset(a, 0, sizeof(*a));
	a->id = store_int(r, 0);
	snprintf(a->name, sizeof(a->name), "%s", store_text(r, 1));
	a->is_masking_restricted = store_int(r, 2) != 0;
}

int account_get(struct store_tx *tx, int64_t id, struct account *out, struct error *e)
{
	int rc = store_get_row(tx, "SELECT id, name, mask_restricted FROM accounts WHERE id = $1",
	                       STORE_ARGS(SV_INT(id)), read_account, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such account");
	return store_failed(e, rc);
}

int account_update(struct store_tx *tx, int64_t id, bool has_masking, bool is_masking,
                   struct error *e)
{
	if (!has_masking)
		return 0;
	int rc = store_exec(tx, "UPDATE accounts SET mask_restricted = $2 WHERE id = $1",
	                    STORE_ARGS(SV_INT(id), SV_INT(is_masking)));
	return store_failed(e, rc < 0 ? rc : 0);
}

json_t *account_json(const struct account *a)
{
	return json_pack("{s:I,s:s,s:b}", "id", (json_int_t)a->id, "name", a->name,
	                 "mask_restricted", a->is_masking_restricted);
}

int public_url_record(struct store_tx *tx, const char *url, int64_t now, struct error *e)
{
	int rc = store_exec(tx,
	                    "INSERT INTO public_url (id, url, recorded_at) VALUES (1, $1, $2)"
	                    " ON CONFLICT (id) DO UPDATE SET url = $1, recorded_at = $2",
	                    STORE_ARGS(SV_TEXT(url), SV_INT(now)));
	return store_failed(e, rc);
}

/* Where read_url copies the URL to. */
struct url_out {
	char *out;
	size_t size;
};

static void read_url(struct store_rows *r, void *item)
{
	struct url_out *to = item;
	snprintf(to->out, to->size, "%s", store_text(r, 0));
}

int public_url_recorded(struct store_tx *tx, char *out, size_t size, struct error *e)
{
	struct url_out to = { out, size };
	int rc = store_get_row(tx, "SELECT url FROM public_url WHERE id = 1", STORE_NO_ARGS,
	                       read_url, &to);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no server has started on this database yet");
	return store_failed(e, rc);
}
