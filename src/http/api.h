/* Inside http/: the API handlers the route table names, and the helpers they are made of. */
#ifndef HTTP_API_H
#define HTTP_API_H

#include "core/json.h"
#include "http/http.h"

/* api.c */

/*
 * The one handler shape. A handler reads and checks its input (api_read_body, api_query_*),
 * then hands api_run what happens inside one transaction: call makes the inbox call and
 * builds the answer (*answer, to be taken) from what the same transaction sees, so the
 * answer is what was committed. api_run begins (mode), runs call, commits a write or rolls
 * a read back, then answers status with *answer ({"ok": true} without one) or the error; an error
 * with an *answer (a richer error body) is answered with it. Returns 0 once it answered
 * success, so the caller may wake a worker for what was committed.
 */
typedef int (*api_call)(struct http_request *req, struct store_tx *tx, void *arg, json_t **answer,
                        struct error *e);
int api_run(struct http_request *req, struct http_response *res, enum store_mode mode, int status,
            api_call call, void *arg);

/* The parts api_run is made of, for the handlers that answer otherwise (webhooks, streams,
 * sessions). Begins a transaction; on failure answers 503 and returns NULL. */
struct store_tx *api_begin(struct http_request *req, struct http_response *res,
                           enum store_mode mode);
/* Ends tx: rolls back and answers *e when rc < 0, else commits (answering a failed commit).
 * Returns 0 when the caller should answer success. */
int api_finish(struct http_response *res, struct store_tx *tx, int rc, const struct error *e);
/* Reads body fields (answering the error); NULL when the caller should stop. The returned
 * body owns the strings read and is released by the caller. */
json_t *api_read_body(struct http_request *req, struct http_response *res,
                      const struct json_field *fields, size_t n);

/* A query parameter that must be a whole number in [lo, hi]; def when absent. */
int api_query_int(struct http_request *req, const char *name, int64_t lo, int64_t hi, int64_t def,
                  int64_t *out, struct error *e);
/* A free-text query parameter of at most max bytes; NULL when absent or empty. */
int api_query_text(struct http_request *req, const char *name, size_t max, const char **out,
                   struct error *e);

/* Answers 200 with what report makes of the account's ?from=&to= range, in UTC ms (to: now
 * by default, from: 7 days before to; 400 when from is after to). */
typedef int (*api_range_report)(struct store_tx *tx, int64_t account_id, int64_t from, int64_t to,
                                json_t **out, struct error *e);
void api_reply_range_report(struct http_request *req, struct http_response *res,
                            api_range_report report);
/* A list's keyset cursor (http_cursor_encode in http/parse.h writes it); ERR_INVALID for
 * anything this server would not have given. */
int api_cursor_decode(const char *text, int64_t *at, int64_t *id, struct error *e);

void api_health(struct http_request *req, struct http_response *res);
void api_prometheus(struct http_request *req, struct http_response *res);

/* api_media.c */
void api_message_media(struct http_request *req, struct http_response *res);
void api_upload(struct http_request *req, struct http_response *res);
/* Answers a message's file found with rc (f and e as its finder filled them; f->file_name is
 * taken): the bytes, one range of them, or the error. */
void api_reply_file(struct http_request *req, struct http_response *res, int rc,
                    struct message_file *f, struct error *e);

void api_webhook_verify(struct http_request *req, struct http_response *res);
void api_webhook_meta(struct http_request *req, struct http_response *res);
void api_webhook_telegram(struct http_request *req, struct http_response *res);

void api_login(struct http_request *req, struct http_response *res);
void api_logout(struct http_request *req, struct http_response *res);
void api_me(struct http_request *req, struct http_response *res);
void api_me_update(struct http_request *req, struct http_response *res);
void api_tokens_list(struct http_request *req, struct http_response *res);
void api_token_create(struct http_request *req, struct http_response *res);
void api_token_delete(struct http_request *req, struct http_response *res);

void api_hours_get(struct http_request *req, struct http_response *res);
void api_hours_put(struct http_request *req, struct http_response *res);
void api_hours_delete(struct http_request *req, struct http_response *res);
void api_team_hours_get(struct http_request *req, struct http_response *res);
void api_team_hours_put(struct http_request *req, struct http_response *res);
void api_team_hours_delete(struct http_request *req, struct http_response *res);
void api_account_get(struct http_request *req, struct http_response *res);
void api_account_update(struct http_request *req, struct http_response *res);
void api_users_list(struct http_request *req, struct http_response *res);
void api_user_create(struct http_request *req, struct http_response *res);
void api_user_get(struct http_request *req, struct http_response *res);
void api_user_update(struct http_request *req, struct http_response *res);

void api_channels_list(struct http_request *req, struct http_response *res);
void api_channel_get(struct http_request *req, struct http_response *res);
void api_channel_create(struct http_request *req, struct http_response *res);
void api_channel_remove(struct http_request *req, struct http_response *res);
void api_channel_update(struct http_request *req, struct http_response *res);
void api_channel_templates(struct http_request *req, struct http_response *res);
void api_channel_templates_sync(struct http_request *req, struct http_response *res);

void api_conversation_get(struct http_request *req, struct http_response *res);
void api_messages_list(struct http_request *req, struct http_response *res);
void api_reply(struct http_request *req, struct http_response *res);
void api_conversation_start(struct http_request *req, struct http_response *res);
void api_message_retry(struct http_request *req, struct http_response *res);
void api_outbox_stats(struct http_request *req, struct http_response *res);
void api_events(struct http_request *req, struct http_response *res);
void api_back_to_routing(struct http_request *req, struct http_response *res);

void api_routing_get(struct http_request *req, struct http_response *res);
void api_routing_put(struct http_request *req, struct http_response *res);
void api_routing_explain(struct http_request *req, struct http_response *res);
void api_routing_stats(struct http_request *req, struct http_response *res);
void api_routing_suggestions(struct http_request *req, struct http_response *res);
void api_routing_dismiss(struct http_request *req, struct http_response *res);

void api_teams_list(struct http_request *req, struct http_response *res);
void api_team_create(struct http_request *req, struct http_response *res);
void api_team_get(struct http_request *req, struct http_response *res);
void api_team_update(struct http_request *req, struct http_response *res);
void api_team_delete(struct http_request *req, struct http_response *res);
void api_team_member_add(struct http_request *req, struct http_response *res);
void api_team_member_remove(struct http_request *req, struct http_response *res);

void api_conversations_list(struct http_request *req, struct http_response *res);
void api_conversation_counts(struct http_request *req, struct http_response *res);
void api_conversation_transfer(struct http_request *req, struct http_response *res);
void api_conversation_assign(struct http_request *req, struct http_response *res);
void api_conversation_unassign(struct http_request *req, struct http_response *res);
void api_conversation_resolve(struct http_request *req, struct http_response *res);
void api_conversation_reopen(struct http_request *req, struct http_response *res);
void api_conversation_snooze(struct http_request *req, struct http_response *res);
void api_conversation_read(struct http_request *req, struct http_response *res);
void api_conversation_note(struct http_request *req, struct http_response *res);
void api_conversation_tag_put(struct http_request *req, struct http_response *res);
void api_conversation_tag_delete(struct http_request *req, struct http_response *res);
void api_conversation_events(struct http_request *req, struct http_response *res);
void api_conversation_notes(struct http_request *req, struct http_response *res);

void api_canned_list(struct http_request *req, struct http_response *res);
void api_canned_create(struct http_request *req, struct http_response *res);
void api_canned_update(struct http_request *req, struct http_response *res);
void api_canned_delete(struct http_request *req, struct http_response *res);

void api_metrics(struct http_request *req, struct http_response *res);

void api_contacts_list(struct http_request *req, struct http_response *res);
void api_contact_get(struct http_request *req, struct http_response *res);
void api_contact_update(struct http_request *req, struct http_response *res);
void api_contact_merge(struct http_request *req, struct http_response *res);
void api_contacts_export(struct http_request *req, struct http_response *res);
void api_contacts_import(struct http_request *req, struct http_response *res);
void api_contact_attributes_list(struct http_request *req, struct http_response *res);
void api_contact_attribute_create(struct http_request *req, struct http_response *res);
void api_contact_attribute_delete(struct http_request *req, struct http_response *res);

void api_webhooks_list(struct http_request *req, struct http_response *res);
void api_webhook_create(struct http_request *req, struct http_response *res);
void api_webhook_get(struct http_request *req, struct http_response *res);
void api_webhook_update(struct http_request *req, struct http_response *res);
void api_webhook_delete(struct http_request *req, struct http_response *res);
void api_webhook_rotate_secret(struct http_request *req, struct http_response *res);
void api_webhook_deliveries(struct http_request *req, struct http_response *res);
void api_webhook_resend(struct http_request *req, struct http_response *res);

void api_webchat_preflight(struct http_request *req, struct http_response *res);
void api_webchat_session(struct http_request *req, struct http_response *res);
void api_webchat_send(struct http_request *req, struct http_response *res);
void api_webchat_history(struct http_request *req, struct http_response *res);
void api_webchat_contact(struct http_request *req, struct http_response *res);
void api_webchat_media(struct http_request *req, struct http_response *res);
void api_webchat_ticket(struct http_request *req, struct http_response *res);
void api_webchat_stream(struct http_request *req, struct http_response *res);
/* The visitor of a stream request (?ticket=, which it spends), its Origin checked. */
int api_webchat_stream_visitor(struct http_request *req, struct http_response *res,
                               int64_t *identity_id, struct error *e);
void api_demo(struct http_request *req, struct http_response *res);

#endif
