/*
 * The send side's entry: checking what goes into a request (URLs, tokens and ids must not be
 * able to leave their place in a URL or header), then dispatch to the provider's builder
 * and classifier. No I/O here; the shared request shell is request.c.
 */
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "providers/internal.h"

#define URL_MAX   1024 /* bytes of a configured base URL */
#define TOKEN_MAX 4096 /* bytes of a credential */
#define ID_DIGITS 64   /* digits of a numeric id */

static bool is_visible_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static int check_base_url(const char *url, const char *what, struct error *e)
{
	if (url == NULL || strlen(url) > URL_MAX || !is_visible_ascii(url) ||
	    strpbrk(url, "?#") != NULL ||
	    (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		return error_set(e, ERR_INVALID,
		                 "%s must be an http:// or https:// URL without a "
		                 "query",
		                 what);
	return 0;
}

/* "v" digits "." digits, as in v25.0: it goes into the URL path. */
static int check_version(const char *version, struct error *e)
{
	const char *p = version;
	size_t major = 0, minor = 0;

	if (p != NULL && *p == 'v') {
		major = strspn(++p, "0123456789");
		p += major;
		if (major > 0 && *p == '.')
			minor = strspn(++p, "0123456789");
		p += minor;
	}
	if (major == 0 || major > 4 || minor == 0 || minor > 4 || *p != '\0')
		return error_set(e, ERR_INVALID, "the Graph API version must look like v25.0");
	return 0;
}

int request_check_token(const char *token, const char *allowed, struct error *e)
{
	size_t len = token != NULL ? strlen(token) : 0;
	if (len == 0 || len > TOKEN_MAX || !is_visible_ascii(token) ||
	    (allowed != NULL && strspn(token, allowed) != len))
		return error_set(e, ERR_INVALID,
		                 "the token is missing or holds characters a "
		                 "token cannot have");
	return 0;
}

static int check_number(const char *s, bool may_be_negative, const char *what, struct error *e)
{
	const char *digits = s != NULL && may_be_negative && s[0] == '-' ? s + 1 : s;
	size_t len = digits != NULL ? strlen(digits) : 0;
	if (len == 0 || len > ID_DIGITS || strspn(digits, "0123456789") != len ||
	    (may_be_negative && len > 18))
		return error_set(e, ERR_INVALID, "%s must be a number", what);
	return 0;
}

static int check_text(enum channel_kind kind, const char *text, struct error *e)
{
	struct text_limit limit = channel_text_limit(kind);
	size_t units = text != NULL ? text_units(text, strlen(text), limit.unit) : 0;

	if (text == NULL || text[0] == '\0')
		return error_set(e, ERR_INVALID, "the text is empty");
	if (units == SIZE_MAX)
		return error_set(e, ERR_INVALID, "the text is not valid UTF-8");
	if (units > limit.max)
		return error_set(e, ERR_INVALID,
		                 "the text is longer than %s accepts: split it first",
		                 channel_kind_name(kind));
	return 0;
}

int request_check_graph(const char *api_url, const char *version, const char *token,
                        struct error *e)
{
	int rc = check_base_url(api_url, "the Graph API URL", e);
	if (rc == 0)
		rc = check_version(version, e);
	if (rc == 0)
		rc = request_check_token(token, NULL, e);
	return rc;
}

int request_check_target(const struct channel_send *s, struct error *e)
{
	bool is_telegram = s->kind == CHANNEL_TELEGRAM;
	int rc;

	if ((rc = check_base_url(
	         s->api_url, is_telegram ? "the Telegram API URL" : "the Graph API URL", e)) < 0)
		return rc;
	if (!is_telegram && (rc = check_version(s->api_version, e)) < 0)
		return rc;
	if (s->kind == CHANNEL_WHATSAPP &&
	    (rc = check_number(s->channel_id, false, "the phone number id", e)) < 0)
		return rc;
	if ((rc = request_check_token(s->token,
	                              is_telegram ? "0123456789:_-abcdefghijklmnopqrstuvwxyz"
	                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                          : NULL,
	                              e)) < 0)
		return rc;
	return check_number(s->recipient, is_telegram, "the recipient", e);
}

static int check_send(const struct channel_send *s, struct error *e)
{
	int rc = request_check_target(s, e);
	if (rc < 0)
		return rc;
	if (s->template != NULL)
		return s->kind == CHANNEL_WHATSAPP && json_is_object(s->template)
		           ? 0
		           : error_set(e, ERR_INVALID, "a template is sent on WhatsApp only");
	if (s->tag != NULL && (s->kind != CHANNEL_MESSENGER || strcmp(s->tag, "HUMAN_AGENT") != 0))
		return error_set(e, ERR_INVALID, "only Messenger takes the HUMAN_AGENT tag");
	if (s->menu != NULL && !channel_menu_fits(s->kind, s->text, s->menu))
		return error_set(e, ERR_INVALID, "the menu does not fit %s's buttons",
		                 channel_kind_name(s->kind));
	return check_text(s->kind, s->text, e);
}

int channel_request_new(const struct channel_send *s, struct channel_request **out, struct error *e)
{
	int rc;

	*out = NULL;
	if ((rc = s->file != NULL ? request_check_file(s, e) : check_send(s, e)) < 0)
		return rc;
	switch (s->kind) {
	case CHANNEL_WHATSAPP:
		*out = whatsapp_request(s);
		break;
	case CHANNEL_MESSENGER:
	case CHANNEL_INSTAGRAM:
		*out = messenger_request(s);
		break;
	case CHANNEL_TELEGRAM:
		*out = telegram_request(s);
		break;
	case CHANNEL_WEBCHAT: /* delivered locally by the outbox: no request */
		break;
	}
	if (*out == NULL)
		return error_set(e, ERR_INVALID, "unknown channel kind");
	return 0;
}

void channel_send_classify(enum channel_kind kind, long http_status, const char *body, size_t len,
                           struct send_result *out)
{
	json_t *root = body != NULL ? json_parse(body, len, NULL) : NULL;

	memset(out, 0, sizeof(*out));
	if (kind == CHANNEL_TELEGRAM)
		telegram_classify(http_status, root, out);
	else
		graph_classify(kind, http_status, root, out);
	json_decref(root);
}
