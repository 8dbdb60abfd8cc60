/* UTF-8 validation on top of utf8proc_iterate; see utf8.h. */
#include "core/utf8.h"

#include <sys/types.h>
#include <utf8proc.h>

#include "core/buf.h"

/* The length of the character at s[0..len) when it is valid and not a control character but
 * \t \n \r; 0 otherwise (*bad: the bytes to skip). */
static size_t clean_char(const char *s, size_t len, size_t *bad)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n =
	    utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
	*bad = n > 0 ? (size_t)n : 1;
	if (n <= 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f)
		return 0;
	return (size_t)n;
}

bool utf8_is_clean(const char *s, size_t len)
{
	size_t i = 0, bad;
	while (i < len) {
		size_t n = clean_char(s + i, len - i, &bad);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

char *utf8_clean_copy(const char *s, size_t len, size_t max)
{
	struct buf out = BUF_INIT;
	size_t i = 0, bad;
	while (i < len) {
		size_t n = clean_char(s + i, len - i, &bad);
		if (out.len + (n > 0 ? n : 1) > max)
			break;
		if (n > 0)
			buf_append(&out, s + i, n);
		else
			buf_putc(&out, '?');
		i += n > 0 ? n : bad;
	}
	return buf_take(&out);
}
