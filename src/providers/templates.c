/*
 * WhatsApp message templates: the Graph request that lists a WhatsApp Business Account's
 * templates a page at a time and its answer, and a template send checked against the synced
 * template (parameters counted and bounded, the Cloud API "template" object built, the text
 * the customer will read rendered). No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

#define NAME_MAX_BYTES  512  /* a template's name */
#define LANG_MAX_BYTES  16   /* a language code: "es", "en_US", "zh_HK" */
#define LINK_MAX_BYTES  2048 /* a header media link */
#define SPACES_MAX      4    /* Meta refuses parameters with more consecutive spaces */
#define PAGE_SIZE       100  /* templates asked for per page */
#define BUTTON_MAX      10   /* buttons of one template */
#define PLACEHOLDER_MAX 100  /* {{n}} of one text */

/* ---- Listing ------------------------------------------------------------------------- */

static bool is_digits(const char *s)
{
	size_t n = s != NULL ? strspn(s, "0123456789") : 0;
	return n > 0 && n <= 64 && s[n] == '\0';
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			buf_putc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

int whatsapp_templates_request_new(const struct channel_send *s, const char *waba_id,
                                   const char *after, struct channel_request **out, struct error *e)
{
	*out = NULL;
	if (!is_digits(waba_id))
		return error_set(e, ERR_INVALID,
		                 "the WhatsApp Business Account id must be a number");
	/* The same checks as a send: URL, version and token must keep to their places. */
	int rc = request_check_graph(s->api_url, s->api_version, s->token, e);
	if (rc < 0)
		return rc;
	struct buf path = BUF_INIT;
	buf_printf(&path,
	           "/%s/%s/message_templates?fields=name,language,status,category,components"
	           "&limit=%d",
	           s->api_version, waba_id, PAGE_SIZE);
	if (after != NULL) {
		buf_puts(&path, "&after=");
		put_escaped(&path, after);
	}
	struct channel_request *r = request_start(s->api_url, path.data, NULL);
	buf_free(&path);
	r->method = "GET";
	request_bearer(r, s->token);
	*out = r;
	return 0;
}

static bool is_language(const char *s)
{
	size_t n =
	    s != NULL ? strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") : 0;
	return n > 0 && n <= LANG_MAX_BYTES && s[n] == '\0';
}

static bool is_short_text(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;
	return n > 0 && n <= max && utf8_is_clean(s, n);
}

/* The components as kept: an array of objects that each have a "type" string. */
static bool is_components(const json_t *c)
{
	size_t i;
	const json_t *v;
	if (!json_is_array(c))
		return false;
	json_array_foreach(c, i, v) if (jstr(v, "type") == NULL) return false;
	return true;
}

static int malformed(struct error *e, const char *what, size_t i)
{
	return error_set(e, ERR_UPSTREAM,
	                 "the Graph API's template list is malformed: data[%zu] %s", i, what);
}

int whatsapp_templates_page_parse(long http_status, const char *body, size_t len,
                                  json_t **templates, char **after, struct error *e)
{
	*templates = NULL;
	*after = NULL;
	json_t *root = body != NULL ? json_parse(body, len, NULL) : NULL;
	int rc = 0;
	if (http_status != 200) {
		char why[200];
		reason_quote(why, sizeof(why),
		             jstr(jobj(root, "error"), "message")
		                 ? jstr(jobj(root, "error"), "message")
		                 : "no Graph error in the answer");
		rc = error_set(e, ERR_UPSTREAM,
		               "the Graph API answered %ld to the template list: %s", http_status,
		               why);
		goto out;
	}
	const json_t *data = jarr(root, "data");
	if (data == NULL) {
		rc = error_set(e, ERR_UPSTREAM,
		               "the Graph API's template list is malformed: no \"data\" list");
		goto out;
	}
	json_t *list = json_array();
	size_t i;
	const json_t *t;
	json_array_foreach(data, i, t)
	{
		const json_t *components = json_object_get(t, "components");
		if (!is_short_text(jstr(t, "name"), NAME_MAX_BYTES))
			rc = malformed(e, "has no name", i);
		else if (!is_language(jstr(t, "language")))
			rc = malformed(e, "has no language code", i);
		else if (!is_short_text(jstr(t, "status"), 64))
			rc = malformed(e, "has no status", i);
		else if (components != NULL && !is_components(components))
			rc = malformed(e, "has components that are not a list of typed objects", i);
		if (rc < 0)
			break;
		const char *category = jstr(t, "category");
		json_t *kept =
		    components != NULL ? json_incref((json_t *)components) : json_array();
		json_array_append_new(
		    list,
		    json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", jstr(t, "name"), "language",
		              jstr(t, "language"), "status", jstr(t, "status"), "category",
		              is_short_text(category, 64) ? category : "", "components", kept));
	}
	if (rc < 0) {
		json_decref(list);
		goto out;
	}
	/* Graph leaves "next" out on the last page; the cursor, not that URL, is followed, so
	 * only the configured Graph URL is ever asked. */
	const json_t *paging = jobj(root, "paging");
	if (json_object_get(paging, "next") != NULL) {
		const char *cursor = jstr(jobj(paging, "cursors"), "after");
		if (!is_short_text(cursor, 1024)) {
			json_decref(list);
			rc = error_set(e, ERR_UPSTREAM,
			               "the Graph API's template list is malformed: a next page "
			               "without an \"after\" cursor");
			goto out;
		}
		*after = xstrdup(cursor);
	}
	*templates = list;
out:
	json_decref(root);
	return rc;
}

/* ---- Sending ------------------------------------------------------------------------- */

static const json_t *component(const json_t *components, const char *type)
{
	size_t i;
	const json_t *c;
	json_array_foreach(components, i, c)
	{
		const char *t = jstr(c, "type");
		if (t != NULL && strcasecmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/*
 * The variables of a text: the highest n of its {{n}}, 0 when none; -1 when a placeholder is
 * not a positional number (named parameters).
 */
static int placeholders(const char *text)
{
	int highest = 0;
	for (const char *p = text != NULL ? strstr(text, "{{") : NULL; p != NULL;
	     p = strstr(p, "{{")) {
		const char *end = strstr(p + 2, "}}");
		if (end == NULL)
			break;
		int n = 0;
		const char *q = p + 2;
		for (; q < end && *q >= '0' && *q <= '9' && n <= PLACEHOLDER_MAX; q++)
			n = n * 10 + (*q - '0');
		if (q != end || n == 0 || n > PLACEHOLDER_MAX)
			return -1;
		if (n > highest)
			highest = n;
		p = end + 2;
	}
	return highest;
}

/* text with each {{n}} replaced by values[n - 1] (a JSON array of strings). */
static void put_filled(struct buf *b, const char *text, const json_t *values)
{
	const char *p = text;
	for (const char *open = strstr(p, "{{"); open != NULL; open = strstr(p, "{{")) {
		const char *end = strstr(open + 2, "}}");
		if (end == NULL)
			break;
		buf_append(b, p, (size_t)(open - p));
		buf_puts(
		    b, json_string_value(json_array_get(values, strtoul(open + 2, NULL, 10) - 1)));
		p = end + 2;
	}
	buf_puts(b, p);
}

/* A header's kind: "TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"; NULL without a header. */
static const char *header_format(const json_t *components)
{
	const json_t *h = component(components, "HEADER");
	if (h == NULL)
		return NULL;
	return jstr(h, "format") != NULL ? jstr(h, "format") : "TEXT";
}

static bool is_media_format(const char *format)
{
	return format != NULL &&
	       (strcasecmp(format, "IMAGE") == 0 || strcasecmp(format, "VIDEO") == 0 ||
	        strcasecmp(format, "DOCUMENT") == 0);
}

/* How many parameters button i takes: a URL with a variable or a copy code take one. */
static int button_params(const json_t *b)
{
	const char *type = jstr(b, "type");
	if (type != NULL && strcasecmp(type, "COPY_CODE") == 0)
		return 1;
	if (type != NULL && strcasecmp(type, "URL") == 0)
		return placeholders(jstr(b, "url")) > 0;
	return 0;
}

json_t *whatsapp_template_variables(const json_t *components)
{
	const char *format = header_format(components);
	const json_t *h = component(components, "HEADER");
	int buttons = 0;
	size_t i;
	const json_t *b;
	json_array_foreach(jarr(component(components, "BUTTONS"), "buttons"), i, b) buttons +=
	    button_params(b);
	int header = format == NULL                    ? 0
	             : is_media_format(format)         ? 1
	             : strcasecmp(format, "TEXT") == 0 ? placeholders(jstr(h, "text"))
	                                               : 0;
	json_t *out = json_pack("{s:i,s:i,s:i}", "header", header < 0 ? 0 : header, "body",
	                        placeholders(jstr(component(components, "BODY"), "text")),
	                        "buttons", buttons);
	json_object_set_new(out, "header_format", format ? json_string(format) : json_null());
	return out;
}

/* One text parameter as Meta takes it: 1 to TEMPLATE_PARAM_MAX characters, no newline or
 * tab, at most SPACES_MAX spaces in a row. */
static int check_text_param(const char *tname, const char *where, size_t i, const json_t *v,
                            struct error *e)
{
	const char *s = json_string_value(v);
	if (s == NULL)
		return error_set(e, ERR_UNPROCESSABLE, "%s[%zu] of template '%s' must be a text",
		                 where, i, tname);
	size_t len = strlen(s), blank = strspn(s, " ");
	if (len == blank)
		return error_set(e, ERR_UNPROCESSABLE, "%s[%zu] of template '%s' is empty", where,
		                 i, tname);
	if (text_units(s, len, TEXT_UNIT_UTF16) > TEMPLATE_PARAM_MAX)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "%s[%zu] of template '%s' is longer than %d characters", where, i,
		                 tname, TEMPLATE_PARAM_MAX);
	if (strpbrk(s, "\n\t\r") != NULL)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "%s[%zu] of template '%s' holds a line break or tab, which "
		                 "WhatsApp refuses in a parameter",
		                 where, i, tname);
	char run[SPACES_MAX + 2];
	memset(run, ' ', SPACES_MAX + 1);
	run[SPACES_MAX + 1] = '\0';
	if (strstr(s, run) != NULL)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "%s[%zu] of template '%s' has more than %d spaces in a row", where,
		                 i, tname, SPACES_MAX);
	return 0;
}

/* values (may be NULL) must be a list of exactly `want` valid text parameters. */
static int check_list(const char *tname, const char *where, const json_t *values, int want,
                      struct error *e)
{
	if (values != NULL && !json_is_array(values))
		return error_set(e, ERR_UNPROCESSABLE,
		                 "'%s' of template '%s' must be a list of texts", where, tname);
	size_t got = json_array_size(values);
	if ((int)got != want)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "template '%s' takes %d %s parameter%s, %zu given", tname, want,
		                 where, want == 1 ? "" : "s", got);
	size_t i;
	const json_t *v;
	json_array_foreach(values, i, v)
	{
		int rc = check_text_param(tname, where, i, v, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static json_t *text_params(const json_t *values)
{
	json_t *out = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(values, i, v)
	    json_array_append_new(out, json_pack("{s:s,s:O}", "type", "text", "text", v));
	return out;
}

/* A media header's parameter: {"link": "https://…"} or {"id": "<media id>"}. */
static int media_param(const char *tname, const char *format, const json_t *v, json_t **out,
                       struct error *e)
{
	const char *link = jstr(v, "link"), *id = jstr(v, "id");
	bool is_link = link != NULL && strlen(link) <= LINK_MAX_BYTES &&
	               (strncmp(link, "https://", 8) == 0 || strncmp(link, "http://", 7) == 0) &&
	               strpbrk(link, " \t\r\n\"<>") == NULL;
	if (!json_is_object(v) || json_object_size(v) != 1 || !(is_link || is_digits(id)))
		return error_set(e, ERR_UNPROCESSABLE,
		                 "template '%s' has a %s header: 'header' must be {\"link\": "
		                 "\"https://…\"} or {\"id\": \"<media id>\"}",
		                 tname, format);
	char type[16];
	snprintf(type, sizeof(type), "%s", format);
	for (char *p = type; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	json_t *media = json_object();
	json_object_set_new(media, is_link ? "link" : "id", json_string(is_link ? link : id));
	*out = json_object();
	json_object_set_new(*out, "type", json_string(type));
	json_object_set_new(*out, type, media);
	return 0;
}

/* The header's part: checks parameters.header, adds the header component, renders. */
static int build_header(const char *tname, const json_t *components, const json_t *given,
                        json_t *send, struct buf *shown, struct error *e)
{
	const char *format = header_format(components);
	if (format == NULL)
		return given == NULL
		           ? 0
		           : error_set(e, ERR_UNPROCESSABLE,
		                       "template '%s' has no header: leave 'header' out", tname);
	if (is_media_format(format)) {
		json_t *p = NULL;
		if (given == NULL)
			return error_set(e, ERR_UNPROCESSABLE,
			                 "template '%s' has a %s header: 'header' is required",
			                 tname, format);
		int rc = media_param(tname, format, given, &p, e);
		if (rc < 0)
			return rc;
		json_array_append_new(send,
		                      json_pack("{s:s,s:[o]}", "type", "header", "parameters", p));
		return 0;
	}
	if (strcasecmp(format, "TEXT") != 0)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "template '%s' has a %s header, which Centralita cannot fill",
		                 tname, format);
	const char *text = jstr(component(components, "HEADER"), "text");
	int want = placeholders(text);
	if (json_is_object(given))
		return error_set(
		    e, ERR_UNPROCESSABLE,
		    "template '%s' has a text header, not a media one: 'header' must be "
		    "a list of texts",
		    tname);
	int rc = check_list(tname, "header", given, want, e);
	if (rc < 0)
		return rc;
	if (want > 0)
		json_array_append_new(send, json_pack("{s:s,s:o}", "type", "header", "parameters",
		                                      text_params(given)));
	if (text != NULL) {
		put_filled(shown, text, given);
		buf_puts(shown, "\n\n");
	}
	return 0;
}

/* The buttons' part: one parameter for each URL button with a variable and each copy code. */
static int build_buttons(const char *tname, const json_t *components, const json_t *given,
                         json_t *send, struct buf *labels, struct error *e)
{
	const json_t *list = jarr(component(components, "BUTTONS"), "buttons");
	int want = 0;
	size_t i;
	const json_t *b;
	json_array_foreach(list, i, b) want += button_params(b);
	if (json_array_size(list) > BUTTON_MAX)
		return error_set(e, ERR_UNPROCESSABLE, "template '%s' has too many buttons", tname);
	int rc = check_list(tname, "buttons", given, want, e);
	if (rc < 0)
		return rc;
	size_t next = 0;
	json_array_foreach(list, i, b)
	{
		const char *label = jstr(b, "text");
		if (label != NULL)
			buf_printf(labels, "%s[%s]", labels->len > 0 ? " " : "", label);
		if (button_params(b) == 0)
			continue;
		const json_t *v = json_array_get(given, next++);
		bool is_code = strcasecmp(jstr(b, "type"), "COPY_CODE") == 0;
		char index[24];
		snprintf(index, sizeof(index), "%zu", i);
		json_t *param =
		    is_code ? json_pack("{s:s,s:O}", "type", "coupon_code", "coupon_code", v)
		            : json_pack("{s:s,s:O}", "type", "text", "text", v);
		json_array_append_new(send, json_pack("{s:s,s:s,s:s,s:[o]}", "type", "button",
		                                      "sub_type", is_code ? "copy_code" : "url",
		                                      "index", index, "parameters", param));
	}
	return 0;
}

static int check_parameters_object(const char *tname, const json_t *parameters, struct error *e)
{
	if (parameters == NULL)
		return 0;
	if (!json_is_object(parameters))
		return error_set(e, ERR_UNPROCESSABLE,
		                 "the parameters of template '%s' must be an object with body, "
		                 "header and buttons",
		                 tname);
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)parameters, key, v)
	{
		if (strcmp(key, "body") != 0 && strcmp(key, "header") != 0 &&
		    strcmp(key, "buttons") != 0)
			return error_set(
			    e, ERR_UNPROCESSABLE,
			    "template parameters take body, header and buttons, not '%s'", key);
	}
	return 0;
}

int whatsapp_template_build(const char *name, const char *language, const json_t *components,
                            const json_t *parameters, json_t **cloud, char **rendered,
                            struct error *e)
{
	*cloud = NULL;
	*rendered = NULL;
	const json_t *body = component(components, "BODY");
	const json_t *footer = component(components, "FOOTER");
	int want = placeholders(jstr(body, "text"));
	const char *hf = header_format(components);
	if (want < 0 || (hf != NULL && strcasecmp(hf, "TEXT") == 0 &&
	                 placeholders(jstr(component(components, "HEADER"), "text")) < 0))
		return error_set(e, ERR_UNPROCESSABLE,
		                 "template '%s' uses named parameters, which Centralita does not "
		                 "fill: use a template with {{1}}-style parameters",
		                 name);
	int rc = check_parameters_object(name, parameters, e);
	if (rc < 0)
		return rc;
	json_t *send = json_array();
	struct buf shown = BUF_INIT, labels = BUF_INIT;
	rc = build_header(name, components, json_object_get(parameters, "header"), send, &shown, e);
	const json_t *values = json_object_get(parameters, "body");
	if (rc == 0)
		rc = check_list(name, "body", values, want, e);
	if (rc == 0 && want > 0)
		json_array_append_new(send, json_pack("{s:s,s:o}", "type", "body", "parameters",
		                                      text_params(values)));
	if (rc == 0)
		rc = build_buttons(name, components, json_object_get(parameters, "buttons"), send,
		                   &labels, e);
	if (rc < 0) {
		json_decref(send);
		buf_free(&shown);
		buf_free(&labels);
		return rc;
	}
	if (jstr(body, "text") != NULL)
		put_filled(&shown, jstr(body, "text"), values);
	if (jstr(footer, "text") != NULL)
		buf_printf(&shown, "\n\n%s", jstr(footer, "text"));
	if (labels.len > 0)
		buf_printf(&shown, "\n\n%s", labels.data);
	buf_free(&labels);
	*cloud = json_pack("{s:s,s:{s:s}}", "name", name, "language", "code", language);
	if (json_array_size(send) > 0)
		json_object_set_new(*cloud, "components", send);
	else
		json_decref(send);
	if (shown.len == 0)
		buf_puts(&shown, name);
	*rendered = buf_take(&shown);
	return 0;
}

struct channel_request *whatsapp_template_request(const struct channel_send *s)
{
	char path[160];
	snprintf(path, sizeof(path), "/%s/%s/messages", s->api_version, s->channel_id);
	struct channel_request *r = request_start(s->api_url, path, NULL);
	request_bearer(r, s->token);
	request_body(r, json_pack("{s:s,s:s,s:s,s:s,s:O}", "messaging_product", "whatsapp",
	                          "recipient_type", "individual", "to", s->recipient, "type",
	                          "template", "template", s->template));
	return r;
}
