/* UTF-8 checks for untrusted text (utf8proc does the decoding). */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 with no NUL and no other C0 control but \t \n \r. */
bool utf8_is_clean(const char *s, size_t len);

#endif
