/*
 * Inbound events: the list that one webhook body fills, and the readers that turn untrusted
 * JSON values into event fields that are clean UTF-8 within the bounds providers.h promises.
 * Every string an event holds is made here.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "core/utf8.h"
#include "core/xmalloc.h"
#include "providers/internal.h"

#define TIME_MIN_MS 946684800000LL /* 2000-01-01T00:00:00Z */

const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_t *jobj(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_object(v) ? v : NULL;
}

json_t *jarr(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_array(v) ? v : NULL;
}

bool jint(const json_t *obj, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool is_kept_control(int32_t cp)
{
	return cp == '\t' || cp == '\n' || cp == '\r';
}

char *text_clean(const char *s, size_t len, size_t max, bool *is_truncated)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	char *out = xmalloc((len > max / 3 ? max : len * 3) + 1);
	size_t i = 0, n = 0;
	bool cut = false;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		size_t in = step > 0 ? (size_t)step : 1;
		const char *src = s + i;
		size_t size = in;
		if (step <= 0 || (cp < 0x20 && !is_kept_control(cp)) || cp == 0x7f) {
			src = replacement;
			size = 3;
		}
		if (n + size > max) {
			cut = true;
			break;
		}
		memcpy(out + n, src, size);
		n += size;
		i += in;
	}
	out[n] = '\0';
	if (is_truncated != NULL)
		*is_truncated = cut;
	return out;
}

char *field_text(const json_t *v, size_t max, bool *is_truncated)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return text_clean(json_string_value(v), json_string_length(v), max, is_truncated);
}

static bool id_ok(const char *s, size_t len)
{
	if (len == 0 || len > INBOUND_ID_MAX || !utf8_is_clean(s, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			return false;
	return true;
}

char *id_from(const char *s)
{
	if (s == NULL || !id_ok(s, strlen(s)))
		return NULL;
	return xstrdup(s);
}

char *field_id(const json_t *v)
{
	if (!json_is_string(v) || !id_ok(json_string_value(v), json_string_length(v)))
		return NULL;
	return xstrndup(json_string_value(v), json_string_length(v));
}

char *field_id_or_int(const json_t *v)
{
	char digits[32];
	if (!json_is_integer(v))
		return field_id(v);
	snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return xstrdup(digits);
}

char *field_url(const json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len > INBOUND_URL_MAX || !utf8_is_clean(s, len) || strcspn(s, " \t\r\n") != len)
		return NULL;
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return NULL;
	return xstrndup(s, len);
}

int64_t time_clamp(bool is_set, int64_t raw, int64_t units, int64_t now_ms)
{
	int64_t latest =
	    now_ms > INT64_MAX - INBOUND_FUTURE_MAX_MS ? INT64_MAX : now_ms + INBOUND_FUTURE_MAX_MS;
	if (!is_set || raw < 0 || raw > latest / units)
		return now_ms;
	if (raw * units < TIME_MIN_MS)
		return now_ms;
	return raw * units;
}

int64_t time_from_json(const json_t *v, int64_t units, int64_t now_ms)
{
	if (json_is_integer(v))
		return time_clamp(true, json_integer_value(v), units, now_ms);
	if (!json_is_string(v))
		return now_ms;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0 || len > 18 || strspn(s, "0123456789") != len)
		return now_ms;
	return time_clamp(true, strtoll(s, NULL, 10), units, now_ms);
}

bool location_read(const json_t *lat, const json_t *lon, struct inbound_message *m)
{
	if (!json_is_number(lat) || !json_is_number(lon))
		return false;
	double la = json_number_value(lat), lo = json_number_value(lon);
	if (!isfinite(la) || !isfinite(lo) || fabs(la) > 90.0 || fabs(lo) > 180.0)
		return false;
	m->latitude = la;
	m->longitude = lo;
	return true;
}

struct inbound_list *inbound_list_new(void)
{
	return xcalloc(1, sizeof(struct inbound_list));
}

void inbound_list_push(struct inbound_list *list, struct inbound_event *ev)
{
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->events = xrealloc(list->events, list->cap * sizeof(*list->events));
	}
	list->events[list->count++] = *ev;
	memset(ev, 0, sizeof(*ev));
}

void inbound_list_skip(struct inbound_list *list, const char *fmt, ...)
{
	if (list->reason_count < INBOUND_MAX_REASONS) {
		char raw[INBOUND_REASON_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(raw, sizeof(raw), fmt, ap);
		va_end(ap);
		reason_quote(list->reasons[list->reason_count++], INBOUND_REASON_MAX, raw);
	}
	list->skipped++;
}

void inbound_list_ignore(struct inbound_list *list, enum channel_kind channel,
                         const char *channel_id, int64_t time_ms, const char *fmt, ...)
{
	char raw[INBOUND_NAME_MAX];
	struct inbound_event ev = { .kind = INBOUND_KIND_IGNORED, .channel = channel };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ev.channel_id = channel_id != NULL ? xstrdup(channel_id) : NULL;
	ev.time_ms = time_ms;
	ev.reason = text_clean(raw, strlen(raw), INBOUND_NAME_MAX, NULL);
	inbound_list_push(list, &ev);
}

void reason_quote(char *dst, size_t size, const char *s)
{
	char *clean = text_clean(s != NULL ? s : "", s != NULL ? strlen(s) : 0, size - 1, NULL);
	memcpy(dst, clean, strlen(clean) + 1);
	free(clean);
}

void inbound_event_clear(struct inbound_event *ev)
{
	char **strings[] = {
		&ev->channel_id,         &ev->contact_id,     &ev->contact_name,
		&ev->message_id,         &ev->msg.raw_type,   &ev->msg.text,
		&ev->msg.payload,        &ev->msg.media_ref,  &ev->msg.media_mime,
		&ev->msg.file_name,      &ev->msg.place_name, &ev->msg.place_address,
		&ev->msg.reply_to_id,    &ev->msg.story_url,  &ev->msg.app_id,
		&ev->status.error_title, &ev->reason,
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	memset(ev, 0, sizeof(*ev));
}

void inbound_list_free(struct inbound_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		inbound_event_clear(&list->events[i]);
	free(list->events);
	free(list);
}
