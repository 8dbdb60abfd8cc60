/* UTF-8 checks for untrusted text (utf8proc does the decoding). */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 with no NUL and no other C0 control but \t \n \r. */
bool utf8_is_clean(const char *s, size_t len);
/* A copy (to free) of s[0..len) cut to at most max bytes on a character boundary, each
 * invalid sequence or control character (but \t \n \r) replaced by '?': untrusted bytes
 * made fit to show and store as text. */
char *utf8_clean_copy(const char *s, size_t len, size_t max);

#endif
