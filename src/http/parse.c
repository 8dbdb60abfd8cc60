/* The parsers for what the server reads out of requests itself; see parse.h. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/parse.h"

/* Parses a positive decimal id of at most 18 digits. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
	if (len == 0 || len > 18 || s[0] == '0')
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool http_path_match(const char *pattern, const char *path, int64_t params[HTTP_MAX_PARAMS],
                     char name[HTTP_NAME_MAX + 1])
{
	int np = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		size_t plen = strcspn(pattern, "/");
		size_t slen = strcspn(path, "/");
		if (plen == 3 && strncmp(pattern, ":id", 3) == 0) {
			if (np == HTTP_MAX_PARAMS || !parse_id(path, slen, &params[np++]))
				return false;
		} else if (plen == 5 && strncmp(pattern, ":name", 5) == 0) {
			if (slen == 0 || slen > HTTP_NAME_MAX)
				return false;
			memcpy(name, path, slen);
			name[slen] = '\0';
		} else if (plen != slen || strncmp(pattern, path, plen) != 0) {
			return false;
		}
		pattern += plen;
		path += slen;
	}
	return *pattern == '\0' && *path == '\0';
}

bool http_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

bool http_parse_decimal(const char *s, char stop, const char **end, int64_t *out)
{
	int64_t v = 0;
	size_t n = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		v = n < 18 ? v * 10 + (s[n] - '0') : v;
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0') || s[n] != stop)
		return false;
	*end = s + n;
	*out = v;
	return true;
}

bool http_is_json_type(const char *content_type)
{
	static const char json[] = "application/json";
	if (content_type == NULL)
		return false;
	content_type += strspn(content_type, " \t");
	if (strncasecmp(content_type, json, sizeof(json) - 1) != 0)
		return false;
	char next = content_type[sizeof(json) - 1];
	return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* The "scheme://authority" part of a URL: its length, 0 when it has no "://". */
static size_t origin_length(const char *url)
{
	const char *sep = strstr(url, "://");
	if (sep == NULL)
		return 0;
	return (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
}

bool http_is_own_origin(const char *origin, const char *host, const char *public_url)
{
	if (origin == NULL)
		return true;
	size_t n = origin_length(public_url);
	if (n > 0 && strlen(origin) == n && strncasecmp(origin, public_url, n) == 0)
		return true;
	const char *sep = strstr(origin, "://");
	return host != NULL && sep != NULL && origin_length(origin) == strlen(origin) &&
	       strcasecmp(sep + 3, host) == 0;
}

bool http_parse_event_id(const char *s, int64_t *out)
{
	size_t len = strlen(s);
	if (len == 0 || len > 18 || strspn(s, "0123456789") != len)
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

void http_cursor_encode(int64_t key, int64_t id, char out[HTTP_CURSOR_TEXT_MAX])
{
	char plain[48];
	int len = snprintf(plain, sizeof(plain), "%lld.%lld", (long long)key, (long long)id);
	sodium_bin2base64(out, HTTP_CURSOR_TEXT_MAX, (const unsigned char *)plain, (size_t)len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool http_cursor_decode(const char *text, int64_t *key, int64_t *id)
{
	char plain[48];
	size_t len = 0;
	const char *end = NULL;
	if (strlen(text) > HTTP_CURSOR_TEXT_MAX ||
	    sodium_base642bin((unsigned char *)plain, sizeof(plain) - 1, text, strlen(text), NULL,
	                      &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    *end != '\0')
		return false;
	plain[len] = '\0';
	return memchr(plain, '\0', len) == NULL && http_parse_decimal(plain, '.', &end, key) &&
	       http_parse_decimal(end + 1, '\0', &end, id) && *id > 0;
}
