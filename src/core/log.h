/*
 * One-line logs to stderr: time, level, message. The message's control bytes are escaped
 * (\n, \xHH), so untrusted values may be logged as they are. Callers never pass secrets
 * (tokens, passwords, app secrets) or query strings, which may carry them.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
