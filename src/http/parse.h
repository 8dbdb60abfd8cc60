/*
 * Inside http/: the parsers for what the server reads out of requests itself. libmicrohttpd
 * splits the request line, headers, cookies and query string; these read the values the API
 * gives meaning to: path segments, whole numbers in query parameters, Last-Event-ID and the
 * conversation list's cursor. Pure (no I/O, no allocation); fuzz/fuzz_http.c fuzzes them.
 */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

#define HTTP_CURSOR_TEXT_MAX 64 /* a cursor's text, NUL included */

/* True when path matches pattern ("/a/:id/b/:name"): each ":id" segment, a positive decimal of
 * at most 18 digits, goes to params in order; a ":name" segment is copied to name. */
bool http_path_match(const char *pattern, const char *path, int64_t params[HTTP_MAX_PARAMS],
                     char name[HTTP_NAME_MAX + 1]);
/* True when s is a whole number (strtoll's syntax, nothing after it, no overflow) in [lo, hi]. */
bool http_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* A decimal of 1 to 18 digits without a leading zero (but "0" itself), followed by stop;
 * *end points at the stop. */
bool http_parse_decimal(const char *s, char stop, const char **end, int64_t *out);
/* An event id (Last-Event-ID): decimal digits, at most 18 of them. */
bool http_parse_event_id(const char *s, int64_t *out);
/* A Content-Type naming JSON: "application/json" in any case, parameters allowed after ';'. */
bool http_is_json_type(const char *content_type);
/* True when a request with this Origin header (NULL: none, not from a page) comes from a page
 * of ours: an origin whose host[:port] is the request's Host, or the origin of public_url. */
bool http_is_own_origin(const char *origin, const char *host, const char *public_url);
/* A list's cursor: "key.id" (the last item's sort key and id) in base64url without padding.
 * Decoding is strict and refuses anything http_cursor_encode would not write (id must be positive).
 */
void http_cursor_encode(int64_t key, int64_t id, char out[HTTP_CURSOR_TEXT_MAX]);
bool http_cursor_decode(const char *text, int64_t *key, int64_t *id);

#endif
