/* Contacts and their attribute keys: /api/v1/contacts/… and /api/v1/contact-attributes/…
 * (the visibility rule and every check of a value are in inbox/contacts.c). */
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "http/api.h"
#include "http/parse.h"

#define CONTACTS_PAGE 25

static int read_filter(struct http_request *req, struct contact_filter *f, struct error *e)
{
	int64_t limit;
	memset(f, 0, sizeof(*f));
	if (api_query_int(req, "limit", 1, CONTACT_PAGE_MAX, CONTACTS_PAGE, &limit, e) < 0 ||
	    api_query_text(req, "q", CONTACT_QUERY_MAX, &f->q, e) < 0)
		return -1;
	f->limit = (int)limit;
	f->tag = http_query(req, "tag");
	const char *cursor = http_query(req, "cursor");
	return cursor != NULL ? api_cursor_decode(cursor, &f->after_updated_at, &f->after_id, e)
	                      : 0;
}

void api_contacts_list(struct http_request *req, struct http_response *res)
{
	struct contact_filter f;
	struct error e;
	if (read_filter(req, &f, &e) < 0) {
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	int64_t total = 0;
	json_t *list = contact_list(tx, &req->who, &f, &total, &e);
	store_rollback(tx);
	if (list == NULL) {
		http_reply_error(res, &e);
		return;
	}
	size_t n = json_array_size(list);
	json_t *next = json_null();
	if (n == (size_t)f.limit) {
		char cursor[HTTP_CURSOR_TEXT_MAX];
		json_t *last = json_array_get(list, n - 1);
		http_cursor_encode(json_integer_value(json_object_get(last, "updated_at")),
		                   json_integer_value(json_object_get(last, "id")), cursor);
		next = json_string(cursor);
	}
	http_reply_json(res, 200,
	                json_pack("{s:o,s:I,s:o}", "contacts", list, "total", (json_int_t)total,
	                          "next_cursor", next));
}

/* Answers {"contact": …} as who sees it in tx, or the error. */
static void reply_contact(struct http_request *req, struct http_response *res, struct store_tx *tx,
                          bool with_conversations)
{
	struct error e;
	json_t *contact = contact_get(tx, &req->who, req->params[0], with_conversations, &e);
	if (contact == NULL)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, json_pack("{s:o}", "contact", contact));
}

void api_contact_get(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	reply_contact(req, res, tx, true);
	store_rollback(tx);
}

/* Commits a change made by the handler (rc, e) and answers the contact as it is now. */
static void finish_change(struct http_request *req, struct http_response *res, struct store_tx *tx,
                          int rc, struct error *e)
{
	if (api_finish(res, tx, rc, e) < 0 || (tx = api_begin(req, res, STORE_READ)) == NULL)
		return;
	reply_contact(req, res, tx, false);
	store_rollback(tx);
}

void api_contact_update(struct http_request *req, struct http_response *res)
{
	const json_t *ignored;
	const struct json_field fields[] = {
		{ "name", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
		{ "phone", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
		{ "email", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
		{ "notes", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
		{ "tags", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
		{ "attributes", JSON_FIELD_VALUE, false, 0, &ignored, NULL },
	};
	json_t *body = api_read_body(req, res, fields, sizeof(fields) / sizeof(fields[0]));
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct error e;
		int rc = contact_update(tx, &req->who, req->params[0], body, clock_now_ms(), &e);
		finish_change(req, res, tx, rc, &e);
	}
	json_decref(body);
}

void api_contact_merge(struct http_request *req, struct http_response *res)
{
	json_int_t other = 0;
	const struct json_field fields[] = {
		{ "contact_id", JSON_FIELD_INT, true, 0, &other, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 1);
	if (body == NULL)
		return;
	json_decref(body);
	struct error e;
	if (other <= 0) {
		error_set(&e, ERR_INVALID, "'contact_id' must be a contact's id");
		http_reply_error(res, &e);
		return;
	}
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	int rc = contact_merge(tx, &req->who, req->params[0], other, clock_now_ms(), &e);
	finish_change(req, res, tx, rc, &e);
}

void api_contacts_export(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct error e;
	buf_reset(&res->body);
	int rc = contact_export_csv(tx, req->who.account_id, &res->body, &e);
	store_rollback(tx);
	if (rc < 0) {
		http_reply_error(res, &e);
		return;
	}
	res->status = 200;
	res->content_type = "text/csv; charset=utf-8";
	res->content_disposition = "attachment; filename=\"contacts.csv\"";
}

void api_contact_attributes_list(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_READ);
	if (tx == NULL)
		return;
	struct error e;
	json_t *list = contact_attribute_list(tx, req->who.account_id, &e);
	store_rollback(tx);
	if (list == NULL)
		http_reply_error(res, &e);
	else
		http_reply_json(res, 200, json_pack("{s:o}", "attributes", list));
}

void api_contact_attribute_create(struct http_request *req, struct http_response *res)
{
	const char *key = NULL, *label = NULL;
	const struct json_field fields[] = {
		{ "key", JSON_FIELD_STRING, true, CONTACT_ATTR_KEY_MAX, &key, NULL },
		{ "label", JSON_FIELD_STRING, true, CONTACT_ATTR_LABEL_MAX, &label, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx != NULL) {
		struct error e;
		json_t *attribute = NULL;
		int rc = contact_attribute_create(tx, req->who.account_id, key, label,
		                                  clock_now_ms(), &attribute, &e);
		if (api_finish(res, tx, rc, &e) == 0)
			http_reply_json(res, 201, json_pack("{s:o}", "attribute", attribute));
		else
			json_decref(attribute);
	}
	json_decref(body);
}

void api_contact_attribute_delete(struct http_request *req, struct http_response *res)
{
	struct store_tx *tx = api_begin(req, res, STORE_WRITE);
	if (tx == NULL)
		return;
	struct error e;
	int rc = contact_attribute_delete(tx, req->who.account_id, req->name, &e);
	if (api_finish(res, tx, rc, &e) == 0)
		http_reply_empty(res);
}
