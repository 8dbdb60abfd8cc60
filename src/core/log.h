/*
 * One-line logs to stderr: time, level, message, as text or as JSON objects (one per line,
 * for log collectors). The message's control bytes are escaped (\n, \xHH), so untrusted values
 * may be logged as they are. Callers never pass secrets (tokens, passwords, app secrets) or
 * query strings, which may carry them.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON };

/* Lines below level are dropped. Set once at start, before threads log (default: info, text). */
void log_configure(enum log_level level, enum log_format format);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One answered request (the access log): "ADDRESS METHOD PATH STATUS DURATIONus", then
 * ": reason" when reason is not NULL; in JSON, each as its own field. */
struct log_request {
	const char *address;
	const char *method;
	const char *path; /* without the query string */
	int status;
	long long duration_us;
	const char *reason; /* why a 4xx or 5xx, or NULL */
};
void log_request(enum log_level level, const struct log_request *r);

#endif
