/*
 * Line-buffered logging to stderr; each line is written with one call so threads do not mix.
 * Every control byte of the message is escaped here, so no logged value (a path, a provider's
 * text) can end a line early and forge the next one.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Appends s to out from *len with \n, \r, \t, \\ and other control bytes as \xHH; stops
 * where a whole escape would not fit in size - 1 bytes (one is left for the newline). */
static void append_escaped(char *out, size_t size, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[4] = { c };
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
		if (*len + n >= size - 1)
			return;
		for (size_t i = 0; i < n; i++)
			out[(*len)++] = esc[i];
	}
}

__attribute__((format(printf, 2, 0))) static void log_line(const char *level, const char *fmt,
                                                           va_list ap)
{
	char message[2048];
	char line[4096];
	struct timespec ts;
	struct tm tm;
	if (vsnprintf(message, sizeof(message), fmt, ap) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, ts.tv_nsec / 1000000, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	size_t len = (size_t)n;
	append_escaped(line, sizeof(line), &len, message);
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

#define LOG_FN(name, level)               \
	void name(const char *fmt, ...)   \
	{                                 \
		va_list ap;               \
		va_start(ap, fmt);        \
		log_line(level, fmt, ap); \
		va_end(ap);               \
	}

LOG_FN(log_info, "info")
LOG_FN(log_warn, "warn")
LOG_FN(log_error, "error")
