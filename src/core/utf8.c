/* UTF-8 validation on top of utf8proc_iterate; see utf8.h. */
#include "core/utf8.h"

#include <sys/types.h>
#include <utf8proc.h>

bool utf8_is_clean(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			return false;
		if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
			return false;
		if (cp == 0x7f)
			return false;
		i += (size_t)n;
	}
	return true;
}
