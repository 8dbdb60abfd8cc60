/*
 * A growable, length-carrying byte buffer for building output (in the spirit of Redis's
 * sds). The data is always NUL-terminated so it can be used as a C string.
 */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT  \
	{         \
		0 \
	}

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);
/* Hands the NUL-terminated data to the caller, who frees it; the buffer is left empty. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

#endif
