/* The account: /api/v1/account. Everyone signed in reads it; only admins change it. */
#include "core/json.h"
#include "http/api.h"

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	struct account a;
	int rc = account_get(tx, req->who.account_id, &a, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "account", account_json(&a));
	return rc;
}

void api_account_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

struct account_call {
	bool is_masking, has_masking;
};

static int update(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	const struct account_call *c = arg;
	int rc = account_update(tx, req->who.account_id, c->has_masking, c->is_masking, e);
	return rc < 0 ? rc : get(req, tx, NULL, answer, e);
}

void api_account_update(struct http_request *req, struct http_response *res)
{
	struct account_call c = { 0 };
	const struct json_field fields[] = {
		{ "mask_restricted", JSON_FIELD_BOOL, false, 0, &c.is_masking, &c.has_masking },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, 200, update, &c);
	json_decref(body);
}
