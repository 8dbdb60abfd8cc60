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

static int list(struct http_request *req, struct store_tx *tx, void *filter, json_t **answer,
                struct error *e)
{
	const struct contact_filter *f = filter;
	int64_t total = 0;
	json_t *items = contact_list(tx, &req->who, f, &total, e);
	if (items == NULL)
		return e->code;
	size_t n = json_array_size(items);
	json_t *next = json_null();
	if (n == (size_t)f->limit) {
		char cursor[HTTP_CURSOR_TEXT_MAX];
		json_t *last = json_array_get(items, n - 1);
		http_cursor_encode(json_integer_value(json_object_get(last, "updated_at")),
		                   json_integer_value(json_object_get(last, "id")), cursor);
		next = json_string(cursor);
	}
	*answer = json_pack("{s:o,s:I,s:o}", "contacts", items, "total", (json_int_t)total,
	                    "next_cursor", next);
	return 0;
}

void api_contacts_list(struct http_request *req, struct http_response *res)
{
	struct contact_filter f;
	struct error e;
	if (read_filter(req, &f, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_READ, 200, list, &f);
}

/* {"contact": …} as who sees it, with its conversations or not. */
static int answer_contact(struct http_request *req, struct store_tx *tx, bool with_conversations,
                          json_t **answer, struct error *e)
{
	json_t *contact = contact_get(tx, &req->who, req->params[0], with_conversations, e);
	if (contact == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "contact", contact);
	return 0;
}

static int get(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
               struct error *e)
{
	(void)arg;
	return answer_contact(req, tx, true, answer, e);
}

void api_contact_get(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, get, NULL);
}

static int update(struct http_request *req, struct store_tx *tx, void *changes, json_t **answer,
                  struct error *e)
{
	int rc = contact_update(tx, &req->who, req->params[0], changes, clock_now_ms(), e);
	return rc < 0 ? rc : answer_contact(req, tx, false, answer, e);
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
	api_run(req, res, STORE_WRITE, 200, update, body);
	json_decref(body);
}

static int merge(struct http_request *req, struct store_tx *tx, void *other, json_t **answer,
                 struct error *e)
{
	int rc = contact_merge(tx, &req->who, req->params[0], *(const int64_t *)other,
	                       clock_now_ms(), e);
	return rc < 0 ? rc : answer_contact(req, tx, false, answer, e);
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
	int64_t other_id = other;
	if (other <= 0)
		http_reply_errorf(res, ERR_INVALID, "'contact_id' must be a contact's id");
	else
		api_run(req, res, STORE_WRITE, 200, merge, &other_id);
}

/* The CSV is the one answer that is not JSON: it is written into the response's body. */
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
	snprintf(res->content_disposition, sizeof(res->content_disposition),
	         "attachment; filename=\"contacts.csv\"");
}

static int attributes(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                      struct error *e)
{
	(void)arg;
	json_t *items = contact_attribute_list(tx, req->who.account_id, e);
	if (items == NULL)
		return e->code;
	*answer = json_pack("{s:o}", "attributes", items);
	return 0;
}

void api_contact_attributes_list(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_READ, 200, attributes, NULL);
}

/* A new attribute key and its label. */
struct attribute {
	const char *key;
	const char *label;
};

static int create_attribute(struct http_request *req, struct store_tx *tx, void *arg,
                            json_t **answer, struct error *e)
{
	const struct attribute *a = arg;
	json_t *attribute = NULL;
	int rc = contact_attribute_create(tx, req->who.account_id, a->key, a->label, clock_now_ms(),
	                                  &attribute, e);
	if (rc == 0)
		*answer = json_pack("{s:o}", "attribute", attribute);
	return rc;
}

void api_contact_attribute_create(struct http_request *req, struct http_response *res)
{
	struct attribute a = { 0 };
	const struct json_field fields[] = {
		{ "key", JSON_FIELD_STRING, true, CONTACT_ATTR_KEY_MAX, &a.key, NULL },
		{ "label", JSON_FIELD_STRING, true, CONTACT_ATTR_LABEL_MAX, &a.label, NULL },
	};
	json_t *body = api_read_body(req, res, fields, 2);
	if (body == NULL)
		return;
	api_run(req, res, STORE_WRITE, 201, create_attribute, &a);
	json_decref(body);
}

static int delete_attribute(struct http_request *req, struct store_tx *tx, void *arg,
                            json_t **answer, struct error *e)
{
	(void)arg;
	(void)answer;
	return contact_attribute_delete(tx, req->who.account_id, req->name, e);
}

void api_contact_attribute_delete(struct http_request *req, struct http_response *res)
{
	api_run(req, res, STORE_WRITE, 200, delete_attribute, NULL);
}

/* The CSV file is the body (text/csv), up to HTTP_IMPORT_BODY_MAX. A dry run (arg) imports it
 * inside a savepoint it then undoes: the same checks and counts, nothing written. */
static int import(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                  struct error *e)
{
	bool is_dry_run = *(const int64_t *)arg == 1;
	struct contact_import_result r;
	json_t *problems = NULL;
	int rc = is_dry_run ? store_failed(e, store_savepoint(tx)) : 0;
	if (rc == 0)
		rc = contact_import_csv(tx, req->who.account_id,
		                        req->body.data ? req->body.data : "", req->body.len,
		                        clock_now_ms(), &r, &problems, e);
	if (rc == 0 && is_dry_run)
		rc = store_failed(e, store_savepoint_end(tx, false));
	if (rc < 0 && problems != NULL)
		*answer = json_pack("{s:{s:s,s:s,s:o}}", "error", "code", err_code_name(e->code),
		                    "message", e->message, "problems", problems);
	else if (rc == 0)
		*answer = json_pack("{s:I,s:I,s:b}", "created", (json_int_t)r.created, "updated",
		                    (json_int_t)r.updated, "dry_run", is_dry_run);
	return rc;
}

void api_contacts_import(struct http_request *req, struct http_response *res)
{
	int64_t dry_run = 0;
	struct error e = { 0 };
	if (api_query_int(req, "dry_run", 0, 1, 0, &dry_run, &e) < 0)
		http_reply_error(res, &e);
	else
		api_run(req, res, STORE_WRITE, 200, import, &dry_run);
}
