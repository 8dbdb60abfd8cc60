/*
 * Files compiled into the binary by cmake/embed.cmake (SQL migrations, the web UI).
 * Each generated array ends with an entry whose name is NULL.
 */
#ifndef CORE_EMBED_H
#define CORE_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name; /* the path relative to the group's folder, e.g. "js/main.js" */
	const char *data; /* NUL-terminated; size excludes the NUL */
	size_t size;
	const char *sha256; /* of the content, lower-case hex, computed at build time */
};

#endif
