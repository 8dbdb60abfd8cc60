/*
 * Allocation that cannot fail: these abort with a message when memory runs out.
 * Used for small, bounded allocations where no caller could do better than abort.
 * Allocations sized by untrusted input are bounded at the edge before they get here.
 */
#ifndef CORE_XMALLOC_H
#define CORE_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grows an array of elem-sized items so that index len fits, doubling *cap as needed. */
void *xgrow(void *array, size_t *cap, size_t len, size_t elem);

#endif
