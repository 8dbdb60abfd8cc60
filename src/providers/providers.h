/*
 * providers/: what Centralita knows about each provider — the WhatsApp Cloud API, Messenger
 * and Instagram (both on the Messenger Platform), the Telegram Bot API and our own web chat
 * widget. It verifies
 * webhooks, turns their bodies into canonical inbound events, builds send requests as data
 * and classifies the providers' answers. It is pure: no sockets, no store, no clock reads
 * (the caller passes the time in). docs/CHANNELS.md maps every provider field to the event.
 */
#ifndef PROVIDERS_PROVIDERS_H
#define PROVIDERS_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

enum channel_kind {
	CHANNEL_WHATSAPP,
	CHANNEL_MESSENGER,
	CHANNEL_INSTAGRAM,
	CHANNEL_TELEGRAM,
	CHANNEL_WEBCHAT, /* our own widget: no provider, delivery is local (outbox/worker.c) */
};

/* "whatsapp", "messenger", "instagram", "telegram", "webchat". */
const char *channel_kind_name(enum channel_kind kind);
/* The kind named name; ERR_INVALID for anything else. */
int channel_kind_parse(const char *name, enum channel_kind *out);

/* Defaults for CENTRALITA_GRAPH_API_URL, CENTRALITA_TELEGRAM_API_URL and the Graph version. */
#define CHANNEL_GRAPH_API_URL    "https://graph.facebook.com"
#define CHANNEL_TELEGRAM_API_URL "https://api.telegram.org"
#define CHANNEL_GRAPH_VERSION    "v25.0"

/* ------------------------------------------------------------------------------------------
 * The canonical inbound event. Everything in it is valid UTF-8 without control characters
 * (but \t \n \r in texts) and within the bounds below, so the rest of the program trusts it.
 */

#define INBOUND_ID_MAX        256      /* bytes in an identifier; a longer one is refused */
#define INBOUND_TEXT_MAX      65536    /* bytes of text or caption; longer is cut, never refused */
#define INBOUND_NAME_MAX      256      /* bytes of a name, title, type name or reason; cut */
#define INBOUND_PAYLOAD_MAX   1024     /* bytes of a button payload or callback data; cut */
#define INBOUND_URL_MAX       4096     /* bytes of a media or story URL; a longer one is dropped */
#define INBOUND_MAX_REASONS   8        /* skip reasons kept in a list (all are counted) */
#define INBOUND_REASON_MAX    192      /* bytes of one skip reason, NUL included */
#define INBOUND_FUTURE_MAX_MS 86400000 /* how far past now_ms a provider time may lie */

enum inbound_kind {
	INBOUND_KIND_MESSAGE, /* a customer wrote to the business: store, then route */
	INBOUND_KIND_STATUS,  /* progress of one of our outgoing messages: apply to it */
	INBOUND_KIND_ECHO,    /* the business wrote from the provider's own app: store as
	                         outgoing, never route */
	INBOUND_KIND_EDIT,    /* the customer edited message_id: replace its text */
	INBOUND_KIND_IGNORED, /* understood, but not for the inbox: log `reason` */
};

enum inbound_type {
	INBOUND_TYPE_TEXT,
	INBOUND_TYPE_REPLY, /* a tapped button, list row, quick reply, postback or inline key */
	INBOUND_TYPE_IMAGE,
	INBOUND_TYPE_AUDIO,
	INBOUND_TYPE_VIDEO,
	INBOUND_TYPE_DOCUMENT,
	INBOUND_TYPE_STICKER,
	INBOUND_TYPE_LOCATION,
	INBOUND_TYPE_CONTACTS,
	INBOUND_TYPE_UNSUPPORTED, /* reactions and anything else: raw_type names it */
};

enum inbound_delivery {
	INBOUND_SENT,
	INBOUND_DELIVERED,
	INBOUND_READ,
	INBOUND_FAILED,
};

/* The content of a MESSAGE, ECHO or EDIT. Absent strings are NULL, never "". */
struct inbound_message {
	enum inbound_type type;
	char *raw_type;         /* the provider's own name: "text", "button_reply", "reaction"… */
	char *text;             /* body, caption, or what the customer saw on a tapped button */
	bool is_text_truncated; /* text was longer than INBOUND_TEXT_MAX */
	char *payload;          /* REPLY: the button's id / payload / callback data */
	char *media_ref;        /* media id (WhatsApp, Telegram file_id) or URL (Meta) */
	char *media_mime;
	char *file_name;
	double latitude, longitude;       /* LOCATION (degrees, range-checked) */
	char *place_name, *place_address; /* LOCATION, when the customer picked a place */
	char *reply_to_id; /* the provider id of the message (or Instagram story) answered */
	char *story_url;   /* Instagram story reply: the story's media URL */
	char *app_id;      /* Meta ECHO: the app that sent it; ours means the outbox did */
};

/*
 * A STATUS refers to our outgoing messages either by provider message id (message_id set,
 * watermark_ms 0) or, for Messenger, by watermark (message_id NULL): every outgoing message
 * to this contact on this channel sent at or before watermark_ms. States only move forward;
 * the caller ignores a state older than the one stored.
 */
struct inbound_status {
	enum inbound_delivery state;
	int64_t watermark_ms;
	long error_code;   /* FAILED: the provider's code, 0 when not given */
	char *error_title; /* FAILED: the provider's short title, NULL when not given */
};

struct inbound_event {
	enum inbound_kind kind;
	enum channel_kind channel;
	char *channel_id;   /* phone_number_id, page id or IG account id; NULL for Telegram,
	                       whose channel the caller knows from the URL */
	char *contact_id;   /* the customer: wa_id, PSID, IGSID, Telegram user id (decimal);
	                       set but in IGNORED events and statuses that name nobody */
	char *contact_name; /* WhatsApp profile name, Telegram first + last name or username */
	char *message_id;   /* provider message id, the dedupe key (see docs/CHANNELS.md); a
	                       STATUS's or EDIT's target; NULL in IGNORED and watermark STATUS */
	int64_t time_ms;    /* UTC milliseconds, clamped into [2000-01-01, now + 1 day] */
	struct inbound_message msg;
	struct inbound_status status;
	char *reason; /* IGNORED: one English line for the log */
};

/*
 * The events read from one webhook body, in payload order. One bad item (a message without
 * an id, say) is left out and counted in `skipped`, with the first reasons kept for the log;
 * the others are kept. Every item is read: a signed body is answered 200 only once all it
 * carries is stored, and the HTTP body limit (1 MiB) bounds how many there can be.
 */
struct inbound_list {
	struct inbound_event *events;
	size_t count;
	size_t skipped;
	size_t reason_count;
	char reasons[INBOUND_MAX_REASONS][INBOUND_REASON_MAX];
	size_t cap; /* private */
};

/* Frees the list, its events and all their strings; list may be NULL. */
void inbound_list_free(struct inbound_list *list);

/* ------------------------------------------------------------------------------------------
 * Meta webhooks (WhatsApp, Messenger, Instagram). The caller, per POST:
 *   1. meta_webhook_new() with the kind its URL serves: parses the body, names the channels;
 *   2. looks the channels up and meta_signature_verify()s X-Hub-Signature-256 with their
 *      app secret (one app signs a whole POST) — refusing with 401 when none verifies;
 *   3. meta_webhook_events(), then keeps only events of the channels it verified.
 */

/*
 * 0 when header is "sha256=" followed by the 64 hex digits of HMAC-SHA256(app_secret, body),
 * compared in constant time; ERR_BAD_SIGNATURE when it is missing (NULL), malformed or wrong,
 * or when app_secret is NULL or empty.
 */
int meta_signature_verify(const char *header, const char *body, size_t len, const char *app_secret);

/* The X-Hub-Signature-256 value Meta would send with body (for `centralita simulate`). */
#define META_SIGNATURE_LEN 72 /* "sha256=" + 64 hex digits + NUL */
void meta_signature_header(const char *body, size_t len, const char *app_secret,
                           char out[META_SIGNATURE_LEN]);

/*
 * The GET handshake: 0 when mode is "subscribe", verify_token equals expected_token (constant
 * time) and challenge is 1 to 64 printable ASCII characters, safe to echo back as text/plain;
 * ERR_FORBIDDEN otherwise. Any argument may be NULL.
 */
int meta_subscription_verify(const char *mode, const char *verify_token, const char *challenge,
                             const char *expected_token);

struct meta_webhook; /* a parsed body, opaque */

#define META_MAX_CHANNELS 64 /* distinct channels one body may name */

/*
 * Parses a webhook body for `kind` (WhatsApp, Messenger or Instagram). ERR_BAD_JSON when the
 * body is not JSON or nests deeper than 64; ERR_INVALID when its "object" is not the kind's
 * ("whatsapp_business_account", "page", "instagram") or it names more than META_MAX_CHANNELS
 * channels. A body without entries is valid and yields no channels and no events.
 */
int meta_webhook_new(enum channel_kind kind, const char *body, size_t len,
                     struct meta_webhook **out, struct error *e);
void meta_webhook_free(struct meta_webhook *w);

/* The distinct channel ids the body names (phone_number_id, page id or IG account id),
 * borrowed from w; NULL when i is out of range. */
size_t meta_webhook_channel_count(const struct meta_webhook *w);
const char *meta_webhook_channel_id(const struct meta_webhook *w, size_t i);

/* The body's events; never NULL; the caller frees it with inbound_list_free(). */
struct inbound_list *meta_webhook_events(const struct meta_webhook *w, int64_t now_ms);

/* ------------------------------------------------------------------------------------------
 * Telegram webhooks: /webhooks/telegram/<channel id> with X-Telegram-Bot-Api-Secret-Token.
 */

/* True when header equals the channel's secret (constant time); false when either is NULL. */
bool telegram_secret_verify(const char *header, const char *secret);

/*
 * Parses one Update. ERR_BAD_JSON when malformed or nested deeper than 64; ERR_INVALID when
 * it is not an object with an integer update_id. Update types a support inbox does not use
 * yield no events. On success *out belongs to the caller (inbound_list_free()).
 */
int telegram_update_parse(const char *body, size_t len, int64_t now_ms, struct inbound_list **out,
                          struct error *e);

/*
 * Telegram's getUpdates answer (long polling): the events of all its updates in one list and
 * the offset that confirms them (the last update_id + 1; `offset` when there were none).
 * An {"ok": false} answer is ERR_UNAVAILABLE with Telegram's description and, for 429, its
 * retry_after; a body that is not a Bot API answer is ERR_BAD_JSON or ERR_INVALID.
 */
int telegram_updates_parse(long http_status, const char *body, size_t len, int64_t now_ms,
                           int64_t offset, struct inbound_list **out, int64_t *next_offset,
                           int *retry_after_s, struct error *e);
/* The Bot API calls a tapped inline button asks for (ev from this parser), as a new array of
 * {"method", "params"}: answerCallbackQuery (the client stops its spinner) and
 * editMessageReplyMarkup removing the keyboard it was tapped on; NULL for other events. */
json_t *telegram_callback_calls(const struct inbound_event *ev);
/* 0 when a Bot API answer (setWebhook, deleteWebhook…) is {"ok": true}. */
int telegram_answer_ok(long http_status, const char *body, size_t len, struct error *e);

/* ------------------------------------------------------------------------------------------
 * Web chat: a visitor's message, posted by the widget (docs/CHANNELS.md).
 */

#define WEBCHAT_TEXT_MAX      4096 /* bytes of a visitor's message */
#define WEBCHAT_CLIENT_ID_MAX 64   /* bytes of the widget's id for a message */

/*
 * The event of one visitor message: contact_id is the visitor's identity ("web-<id>"), the
 * message id "<visitor>:<client_id>", so a retried POST is a duplicate and one visitor's
 * ids never clash with another's. ERR_INVALID when the text is empty, blank, over
 * WEBCHAT_TEXT_MAX or holds control characters (but \t \n \r), or when client_id is not 1
 * to WEBCHAT_CLIENT_ID_MAX of [A-Za-z0-9_-]. On success *out belongs to the caller.
 */
int webchat_message_parse(int64_t visitor_id, const char *name, const char *client_id,
                          const char *text, int64_t now_ms, struct inbound_list **out,
                          struct error *e);

/* ------------------------------------------------------------------------------------------
 * Sending a text: the request as data (the outbox performs it with libcurl), then the answer.
 */

struct channel_file;

struct channel_send {
	enum channel_kind kind;
	const char *api_url;     /* CENTRALITA_GRAPH_API_URL or CENTRALITA_TELEGRAM_API_URL */
	const char *api_version; /* Graph API version ("v25.0"); not used for Telegram */
	const char *channel_id;  /* WhatsApp: the phone_number_id; not used otherwise */
	const char *token;       /* Graph access token (system user or page) or bot token */
	const char *recipient;   /* wa_id, PSID, IGSID or Telegram chat id */
	const char *text;        /* one part: valid UTF-8 within channel_text_limit() */
	/* Sent instead of the text, which is then only what the inbox shows (NULL: none). */
	const json_t *template; /* WhatsApp: the Cloud API "template" (whatsapp_template_build) */
	/* Sent with the text (NULL: none). */
	const char *tag;    /* Messenger: the message tag "HUMAN_AGENT" (a human's late reply) */
	const json_t *menu; /* the welcome's choices, [{"id", "title"}], which channel_menu_fits */
	/* A file sent instead of the text (NULL: none; attachment.c). */
	const struct channel_file *file;
};

#define CHANNEL_REQUEST_MAX_HEADERS 4
#define CHANNEL_REQUEST_MAX_FIELDS  4

struct channel_request {
	const char *method; /* "POST"; "GET" for the template list */
	char *url;
	char *url_for_log; /* url with any credential in it replaced by "<token>" */
	char *headers[CHANNEL_REQUEST_MAX_HEADERS]; /* "Name: value", ready for curl_slist */
	size_t header_count;
	char *body; /* JSON */
	size_t body_len;
	/* A file's upload (attachment.c) is multipart/form-data instead of a JSON body: these text
	 * fields, then one part named file_field that the caller fills with the file's bytes. */
	const char *file_field; /* NULL for a JSON body */
	char *file_name, *file_mime;
	char *field_names[CHANNEL_REQUEST_MAX_FIELDS];
	char *field_values[CHANNEL_REQUEST_MAX_FIELDS];
	size_t field_count;
};

/*
 * Builds the request that sends s->text. ERR_INVALID, naming the field, when a field is
 * missing or unsafe (a URL that is not http(s), a token or id with characters that could
 * leave their place in a URL or header, an empty text or one over the provider's limit).
 * On success *out belongs to the caller (channel_request_free()).
 */
int channel_request_new(const struct channel_send *s, struct channel_request **out,
                        struct error *e);
void channel_request_free(struct channel_request *r);
/* A Bot API call other than sendMessage (getUpdates, setWebhook, deleteWebhook) with params
 * as its JSON body; params is taken. ERR_INVALID for a malformed token or method. */
int telegram_call_new(const char *api_url, const char *token, const char *method, json_t *params,
                      struct channel_request **out, struct error *e);

enum send_outcome {
	SEND_ACCEPTED,  /* the provider took it; message_id names it (may be "" if not given) */
	SEND_TRANSIENT, /* try again later, after retry_after_s when it is not 0 */
	SEND_PERMANENT, /* will never go through as it is: show `reason` in the inbox */
};

struct send_result {
	enum send_outcome outcome;
	char message_id[INBOUND_ID_MAX + 1]; /* same form as inbound message ids */
	int retry_after_s;
	long code;        /* the provider's error code (Graph error.code, Telegram error_code) */
	long subcode;     /* Graph error_subcode, 0 when absent */
	char reason[256]; /* one English sentence; "" when accepted */
};

/*
 * Classifies a provider's answer to a channel_request: http_status (0 when no answer came)
 * and the body (may be NULL or not JSON). Never fails; unknown answers are transient for 5xx
 * and for no answer, permanent for other 4xx.
 */
void channel_send_classify(enum channel_kind kind, long http_status, const char *body, size_t len,
                           struct send_result *out);

/* ------------------------------------------------------------------------------------------
 * WhatsApp message templates (templates.c): the list of a WhatsApp Business Account's
 * templates, read a page at a time, and a template send checked against a synced template.
 */

#define TEMPLATE_PARAM_MAX 1024 /* characters of one parameter */
#define TEMPLATE_PAGES_MAX 50   /* pages of a template list read; beyond, the sync fails */

/*
 * The GET of one page of waba_id's templates: s gives api_url, api_version and token (checked
 * as for a send); after is the previous page's cursor, NULL for the first page.
 */
int whatsapp_templates_request_new(const struct channel_send *s, const char *waba_id,
                                   const char *after, struct channel_request **out,
                                   struct error *e);
/*
 * One answered page: *templates gets a new array of {name, language, status, category,
 * components} and *after (to free) the cursor of the next page, NULL on the last. ERR_UPSTREAM
 * with Graph's message when the answer is not 200, or naming what is malformed.
 */
int whatsapp_templates_page_parse(long http_status, const char *body, size_t len,
                                  json_t **templates, char **after, struct error *e);
/*
 * Checks parameters ({"body": [texts], "header": [texts] or {"link"|"id"}, "buttons": [texts]},
 * may be NULL) against a synced template's components and builds the Cloud API's "template"
 * object (*cloud) and the text the customer will read (*rendered, to free). ERR_UNPROCESSABLE
 * naming what is missing, extra or refused.
 */
int whatsapp_template_build(const char *name, const char *language, const json_t *components,
                            const json_t *parameters, json_t **cloud, char **rendered,
                            struct error *e);
/* What a template's components ask for: {"header_format": "TEXT"|"IMAGE"|…|null, "header": n,
 * "body": n, "buttons": n}, a new reference. */
json_t *whatsapp_template_variables(const json_t *components);

/* ------------------------------------------------------------------------------------------
 * The welcome's menu as native choices (menu.c).
 */

/* Whether kind's native form carries text with the choices menu ([{"id", "title"}]): WhatsApp
 * reply buttons (up to 3, titles up to 20 characters) or a list (up to 10, 24), Messenger and
 * Instagram quick replies (up to 13, 20), a Telegram inline keyboard; not web chat (yet).
 * When not, the text menu goes alone. */
bool channel_menu_fits(enum channel_kind kind, const char *text, const json_t *menu);

/* ------------------------------------------------------------------------------------------
 * Fetching a customer's file (providers/media.c): where its bytes are, as data; the media
 * fetcher (media/) performs the requests. WhatsApp: GET {graph}/{version}/{media id} with the
 * channel's token answers the file's URL (good for 5 minutes), MIME type, SHA-256 and size;
 * Telegram: getFile answers a file_path under {api}/file/bot<token>/; Messenger and Instagram
 * give the file's URL in the webhook itself.
 */

struct media_source {
	char *url;         /* the file's bytes */
	char *url_for_log; /* url with any credential in it replaced by "<token>" */
	bool is_bearer;    /* send the channel's token with the GET (WhatsApp) */
	char *mime_type;   /* the provider's word, NULL when it gave none */
	unsigned char sha256[32];
	bool has_sha256;
	int64_t size; /* bytes, -1 when not told */
};

/* The request that asks where a file is; *out is NULL (and 0 returned) for Messenger and
 * Instagram, whose ref is the URL already. ERR_INVALID for a ref or token that could leave
 * its place in the URL or a header. s->recipient and s->text are not used. */
int media_lookup_new(const struct channel_send *s, const char *ref, struct channel_request **out,
                     struct error *e);
/*
 * Where the file is, from the lookup's answer (http_status 0: no answer; ignored, with body,
 * for Messenger and Instagram, whose ref is the URL): 0 with *src filled (free it with
 * media_source_clear), or -1 with *out saying why and whether another try may do better.
 */
int media_source_read(const struct channel_send *s, const char *ref, long http_status,
                      const char *body, size_t len, struct media_source *src,
                      struct send_result *out);
void media_source_clear(struct media_source *src);
/* A MIME type as "type/subtype" of token characters, lowercased and without parameters (to
 * free), or NULL when s (may be NULL) is not one: safe in a header. */
char *media_mime_clean(const char *s);

/* ------------------------------------------------------------------------------------------
 * Sending a file (attachment.c): which files each provider takes, and the requests that send
 * one. The request names the file; the caller streams its bytes into the request's file part.
 */

/* What an agent attaches. */
struct channel_file {
	const char *kind;      /* "image", "audio", "video" or "document" (channel_file_check) */
	const char *mime_type; /* as media_mime_clean writes it */
	const char *file_name; /* checked by channel_file_name_check */
	const char *caption;  /* NULL or "" for none; WhatsApp and Telegram send it with the file */
	const char *media_id; /* WhatsApp: the id its upload answered; NULL to upload first */
};

#define CHANNEL_FILE_NAME_MAX 255  /* bytes of a file's name */
#define CHANNEL_CAPTION_MAX   1024 /* characters of a caption (WhatsApp's and Telegram's) */

/*
 * Whether a file of mime_type and size bytes may be sent on kind: *file_kind (may be NULL) gets
 * its kind. The limit is the lowest of the kind's (images 5 MB, audio and video 16 MB,
 * documents 100 MB), the provider's and max_bytes (the operator's; 0 for none).
 * ERR_UNPROCESSABLE naming the rule otherwise (an empty file is ERR_INVALID).
 */
int channel_file_check(enum channel_kind kind, const char *mime_type, int64_t size,
                       int64_t max_bytes, const char **file_kind, struct error *e);
/* The largest file any channel may send (what an upload may bring before it is checked). */
#define CHANNEL_FILE_MAX (100LL * 1024 * 1024)
/* ERR_INVALID unless name is 1 to CHANNEL_FILE_NAME_MAX bytes of valid UTF-8 without control
 * characters or path separators, and not "." or "..". */
int channel_file_name_check(const char *name, struct error *e);

/* channel_request_new with s->file sends the file (s->text is not used): WhatsApp's upload to
 * /{phone-number-id}/media when file->media_id is NULL, else its send of the uploaded media by
 * id (a JSON body); a Messenger or Instagram send with the attachment as "filedata";
 * Telegram's sendPhoto, sendAudio, sendVideo or sendDocument. */
/* WhatsApp's answer to an upload: 0 with the media id in id, or -1 with *out classified as
 * for a send. */
int whatsapp_upload_read(long http_status, const char *body, size_t len, char *id, size_t size,
                         struct send_result *out);

/* ------------------------------------------------------------------------------------------
 * Long texts: split on word boundaries into parts that each fit one provider message.
 */

enum text_unit {
	TEXT_UNIT_BYTES, /* UTF-8 bytes */
	TEXT_UNIT_UTF16, /* UTF-16 code units: 1 per BMP character, 2 beyond (most emoji) */
};

struct text_limit {
	size_t max;
	enum text_unit unit;
};

/* WhatsApp 4096 UTF-16, Messenger 2000 UTF-16, Instagram 999 bytes, Telegram 4096 UTF-16,
 * web chat 4096 bytes. */
struct text_limit channel_text_limit(enum channel_kind kind);

#define TEXT_SPLIT_MAX_LEN 65536 /* bytes of text text_split() accepts */

struct text_parts {
	char **parts; /* NUL-terminated, in order */
	size_t count;
};

/*
 * Splits len bytes of UTF-8 into parts of at most limit.max units. A text that fits is one
 * part, unchanged. Otherwise its leading whitespace is dropped and each cut falls on the last
 * whitespace that fits (the whitespace run is dropped) or, in a word longer than a part, on
 * the last character (grapheme) boundary that fits — never inside a UTF-8 sequence. ERR_INVALID
 * when the text is not valid UTF-8 (or holds a NUL), empty or only whitespace, or limit.max is
 * below 4; ERR_TOO_LARGE beyond TEXT_SPLIT_MAX_LEN.
 */
int text_split(const char *text, size_t len, struct text_limit limit, struct text_parts **out,
               struct error *e);
void text_parts_free(struct text_parts *p);

#endif
