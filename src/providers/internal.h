/*
 * Private to providers/: the helpers its files share to read untrusted JSON into bounded,
 * clean event fields, to fill event lists, to build requests and to classify answers, grouped
 * by the file that defines them. Nothing outside providers/ includes this file; providers.h
 * is the module's public face.
 */
#ifndef CHANNELS_INTERNAL_H
#define CHANNELS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "providers/providers.h"

/* inbound.c */
/* Borrowed members of the right type, or NULL (obj may be NULL or not an object). */
const char *jstr(const json_t *obj, const char *key);
json_t *jobj(const json_t *obj, const char *key);
json_t *jarr(const json_t *obj, const char *key);
/* True with *out set when obj[key] is a JSON integer. */
bool jint(const json_t *obj, const char *key, json_int_t *out);

/*
 * A copy of s[0..len) cut to whole characters within max bytes, with invalid sequences and
 * control characters (but \t \n \r) replaced by U+FFFD: it always passes utf8_is_clean().
 */
char *text_clean(const char *s, size_t len, size_t max, bool *is_truncated);
/* text_clean() of a JSON string, or NULL when v is not a non-empty string. */
char *field_text(const json_t *v, size_t max, bool *is_truncated);
/* A copy of an identifier (clean, no spaces, 1 to INBOUND_ID_MAX bytes), or NULL. */
char *field_id(const json_t *v);
/* Like field_id for a string or an integer (written in decimal). */
char *field_id_or_int(const json_t *v);
/* A copy of a URL of at most INBOUND_URL_MAX clean bytes, or NULL. */
char *field_url(const json_t *v);
/* An identifier built by the caller, checked like field_id; NULL when invalid. */
char *id_from(const char *s);

/*
 * A provider time converted to UTC ms: `units` is the number of ms in one unit of raw (1000
 * for seconds). Anything before 2000-01-01, more than INBOUND_FUTURE_MAX_MS past now_ms, or
 * not read (is_set false) becomes now_ms.
 */
int64_t time_clamp(bool is_set, int64_t raw, int64_t units, int64_t now_ms);
/* A JSON integer, or a string of decimal digits (WhatsApp), as time_clamp() reads it. */
int64_t time_from_json(const json_t *v, int64_t units, int64_t now_ms);

struct inbound_list *inbound_list_new(void);
/* Moves ev (fully built) into the list; ev is zeroed. */
void inbound_list_push(struct inbound_list *list, struct inbound_event *ev);
/* Counts a bad item and keeps its reason when there is room. */
void inbound_list_skip(struct inbound_list *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees ev's strings and zeroes it. */
void inbound_event_clear(struct inbound_event *ev);
/* An IGNORED event with a formatted reason. */
void inbound_list_ignore(struct inbound_list *list, enum channel_kind channel,
                         const char *channel_id, int64_t time_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Latitude and longitude in range, from JSON numbers; false otherwise. */
bool location_read(const json_t *lat, const json_t *lon, struct inbound_message *m);

/* A provider's text, sanitised and cut for a reason line ("" when s is NULL). */
void reason_quote(char *dst, size_t size, const char *s);

/* split.c */
/* Provider units in s[0..len) (see text_split), or SIZE_MAX when it is not valid UTF-8. */
size_t text_units(const char *s, size_t len, enum text_unit unit);

/* request.c */
/* The provider's name as agents read it ("WhatsApp"), for reason lines. */
const char *channel_kind_label(enum channel_kind kind);

/*
 * The request shell: POST to base (trailing '/' dropped) + path, with a JSON content type;
 * log_path, when not NULL, stands for path in url_for_log.
 */
struct channel_request *request_start(const char *base, const char *path, const char *log_path);
void request_bearer(struct channel_request *r, const char *token);
/* Serialises root into r->body and drops the reference. */
void request_body(struct channel_request *r, json_t *root);

/* Writes fmt into out->reason, cut to fit. */
void send_reason(struct send_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes template into out->reason with each "{}" replaced by name. */
void send_reason_named(struct send_result *out, const char *template, const char *name);
/* True for answers worth another try: none (0), 1xx, 408, 429, 5xx. */
bool http_is_transient(long http_status);

/* send.c */
/* The checks of a send's base URL, version, channel id, token and recipient. */
int request_check_target(const struct channel_send *s, struct error *e);
/* 0 when token is 1 to 4096 visible ASCII characters, all in allowed (NULL: any). */
int request_check_token(const char *token, const char *allowed, struct error *e);

/* graph.c */
/* Classify an answer from the Graph API (WhatsApp, Messenger, Instagram). */
void graph_classify(enum channel_kind kind, long http_status, const json_t *root,
                    struct send_result *out);

/*
 * The providers' parts, called by send.c and meta.c. A builder's fields have been checked
 * by channel_request_new().
 */
/* messenger.c */
struct channel_request *messenger_request(const struct channel_send *s);
/* Messenger's and Instagram's part of meta_webhook: the events of one entry. */
void messenger_entry_events(enum channel_kind kind, const json_t *entry, int64_t now_ms,
                            struct inbound_list *list);

/* send.c */
/* The checks of a Graph request's URL, version and token. */
int request_check_graph(const char *api_url, const char *version, const char *token,
                        struct error *e);

/* templates.c */
/* A send with s->template: the Cloud API's type "template". */
struct channel_request *whatsapp_template_request(const struct channel_send *s);

/* menu.c: the menu's parts of a send request, new references */
/* WhatsApp's "interactive" object: reply buttons when they fit, else a list. */
json_t *whatsapp_menu_interactive(const char *text, const json_t *menu);
/* Messenger's and Instagram's message.quick_replies. */
json_t *messenger_quick_replies(const json_t *menu);
/* Telegram's reply_markup. */
json_t *telegram_inline_keyboard(const json_t *menu);

/* attachment.c */
/* Adds a text field to a multipart request. */
void request_field(struct channel_request *r, const char *name, const char *value);
/* The checks of a send with s->file: as request_check_target, then the file's name, type and
 * caption, the tag, and WhatsApp's media id. */
int request_check_file(const struct channel_send *s, struct error *e);
/* The providers' file sends (s->file set and checked). */
struct channel_request *whatsapp_file_request(const struct channel_send *s);
struct channel_request *messenger_file_request(const struct channel_send *s);
struct channel_request *telegram_file_request(const struct channel_send *s);

/* whatsapp.c */
struct channel_request *whatsapp_request(const struct channel_send *s);
/* The channel id value of one change of a whatsapp_business_account entry, and its events. */
const json_t *whatsapp_change_channel(const json_t *change);
void whatsapp_change_events(const json_t *change, int64_t now_ms, struct inbound_list *list);

/* telegram.c */
struct channel_request *telegram_request(const struct channel_send *s);
/* Classify an answer from the Bot API. */
void telegram_classify(long http_status, const json_t *root, struct send_result *out);

#endif
