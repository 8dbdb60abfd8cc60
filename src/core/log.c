/*
 * Line-buffered logging to stderr; each line is written with one call so threads do not mix.
 * Every control byte of the message is escaped here, so no logged value (a path, a provider's
 * text) can end a line early and forge the next one; in JSON, what is not valid UTF-8 becomes
 * U+FFFD so every line stays a valid JSON object.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

static enum log_level min_level = LOG_INFO;
static enum log_format line_format = LOG_TEXT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_configure(enum log_level level, enum log_format format)
{
	min_level = level;
	line_format = format;
}

/* A line being built: stops taking bytes where they would not fit with the newline. */
struct line {
	char data[16384]; /* a 2 KiB message escaped for JSON fits */
	size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->len + n >= sizeof(l->data) - 1)
		return;
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

static void puts_raw(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Appends s with \n, \r, \t, \\ and other control bytes as \xHH (text lines). */
static void put_text(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[4] = { (char)c };
		size_t n = 1;
		if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			n = 4;
		}
		if (l->len + n >= sizeof(l->data) - 1)
			return;
		put(l, esc, n);
	}
}

/* Appends s as a JSON string, quotes included. */
static void put_json(struct line *l, const char *s)
{
	put(l, "\"", 1);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		char esc[8];
		if (n < 0) {
			puts_raw(l, "\\ufffd");
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
			puts_raw(l, esc);
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)cp);
			puts_raw(l, esc);
		} else {
			put(l, (const char *)p, (size_t)n);
		}
		p += n;
		left -= n;
	}
	put(l, "\"", 1);
}

/* The line's start: the time and level, as text or as a JSON object's first fields. */
static void begin(struct line *l, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char time_text[80]; /* room for any int the compiler cannot bound */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(time_text, sizeof(time_text), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         ts.tv_nsec / 1000000);
	l->len = 0;
	if (line_format == LOG_JSON) {
		puts_raw(l, "{\"time\":\"");
		puts_raw(l, time_text);
		puts_raw(l, "\",\"level\":\"");
		puts_raw(l, level_names[level]);
		puts_raw(l, "\"");
	} else {
		puts_raw(l, time_text);
		puts_raw(l, " ");
		puts_raw(l, level_names[level]);
		puts_raw(l, " ");
	}
}

static void end(struct line *l)
{
	if (line_format == LOG_JSON)
		l->data[l->len++] = '}';
	l->data[l->len++] = '\n';
	fwrite(l->data, 1, l->len, stderr);
}

/* A JSON field ,"name":value; value is a string unless is_number. */
static void field(struct line *l, const char *name, const char *value, bool is_number)
{
	puts_raw(l, ",\"");
	puts_raw(l, name);
	puts_raw(l, "\":");
	if (is_number)
		puts_raw(l, value);
	else
		put_json(l, value);
}

__attribute__((format(printf, 2, 0))) static void log_line(enum log_level level, const char *fmt,
                                                           va_list ap)
{
	char message[2048];
	struct line l;
	if (level < min_level || vsnprintf(message, sizeof(message), fmt, ap) < 0)
		return;
	begin(&l, level);
	if (line_format == LOG_JSON)
		field(&l, "message", message, false);
	else
		put_text(&l, message);
	end(&l);
}

#define LOG_FN(name, level)               \
	void name(const char *fmt, ...)   \
	{                                 \
		va_list ap;               \
		va_start(ap, fmt);        \
		log_line(level, fmt, ap); \
		va_end(ap);               \
	}

LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_error, LOG_ERROR)

void log_request(enum log_level level, const struct log_request *r)
{
	char status[16], duration[32];
	struct line l;
	if (level < min_level)
		return;
	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(duration, sizeof(duration), "%lld", r->duration_us);
	begin(&l, level);
	if (line_format == LOG_JSON) {
		field(&l, "message", "request", false);
		field(&l, "address", r->address, false);
		field(&l, "method", r->method, false);
		field(&l, "path", r->path, false);
		field(&l, "status", status, true);
		field(&l, "duration_us", duration, true);
		if (r->reason != NULL)
			field(&l, "reason", r->reason, false);
	} else {
		char head[512];
		snprintf(head, sizeof(head), "%s %s %.255s %s %sus", r->address, r->method, r->path,
		         status, duration);
		put_text(&l, head);
		if (r->reason != NULL) {
			puts_raw(&l, ": ");
			put_text(&l, r->reason);
		}
	}
	end(&l);
}
