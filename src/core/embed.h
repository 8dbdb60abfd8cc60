/*
 * Files compiled into the binary by cmake/embed.cmake (SQL migrations, later the web UI).
 * Each generated array ends with an entry whose name is NULL.
 */
#ifndef CORE_EMBED_H
#define CORE_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name;
	const char *data; /* NUL-terminated; size excludes the NUL */
	size_t size;
};

#endif
