/*
 * The web UI's files: index.html for "/" and for every client-side route (/inbox/mine,
 * /settings/teams…), the rest under /assets/. They come from the copy compiled into the
 * binary or, with --web-dir, from disk. Every answer has a strong ETag (the content's
 * SHA-256) and must be revalidated, so a new release shows at once and an unchanged file
 * costs a 304. Names are checked before any look-up: no "..", no hidden files, no escapes.
 * Two more: /widget.js, the web chat widget other sites embed, and /demo in demo mode.
 * Scripts and style sheets built in are also kept gzip-compressed (at build time): a browser
 * that accepts gzip gets those bytes, with their own ETag, and every answer says it varies.
 */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/embed.h"
#include "http/http.h"

#define ASSETS       "/assets/"
#define WEB_PATH_MAX 255
#define DISK_MAX     (8 * 1024 * 1024)

extern const struct embed_file embed_web[];
extern const struct embed_file embed_web_gz[]; /* NAME.gz of each .js and .css */

/* No inline script or style; nothing but this origin; never framed. */
static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                          "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                          "form-action 'self'";

/* The only kinds of file served; CMakeLists.txt embeds the same extensions. */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

struct asset {
	const char *data;
	size_t size;
	char sha256[TOKEN_HASH_LEN];
	struct buf disk; /* the content, when read from --web-dir */
};

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_api_path(const char *path)
{
	return strcmp(path, "/api") == 0 || has_prefix(path, "/api/") ||
	       strcmp(path, "/webhooks") == 0 || has_prefix(path, "/webhooks/");
}

/*
 * True when every '/'-separated segment of s is non-empty, made of letters, digits, '-',
 * '_' and (when allowed) '.', and does not start with a dot: no "..", no hidden files,
 * nothing percent-encoded (libmicrohttpd has already decoded the path once).
 */
static bool is_clean_path(const char *s, bool allow_dots)
{
	size_t len = strlen(s);
	if (len == 0 || len > WEB_PATH_MAX)
		return false;
	bool at_start = true;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/') {
			if (at_start)
				return false;
			at_start = true;
			continue;
		}
		bool is_word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		               (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!is_word && !(c == '.' && allow_dots && !at_start))
			return false;
		at_start = false;
	}
	return !at_start;
}

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static bool find_embedded(const struct embed_file *files, const char *name, struct asset *a)
{
	for (const struct embed_file *f = files; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0) {
			a->data = f->data;
			a->size = f->size;
			snprintf(a->sha256, sizeof(a->sha256), "%s", f->sha256);
			return true;
		}
	}
	return false;
}

/* Reads dir/name (a regular file of at most DISK_MAX bytes) and hashes it, per request:
 * --web-dir is for development, where files change between two loads. */
static bool read_from_disk(const char *dir, const char *name, struct asset *a)
{
	char path[2048];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= DISK_MAX;
	ssize_t got = 0;
	char chunk[16384];
	while (ok && (got = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&a->disk, chunk, (size_t)got);
	close(fd);
	if (!ok || got < 0 || a->disk.len > DISK_MAX)
		return false;
	a->data = a->disk.data ? a->disk.data : "";
	a->size = a->disk.len;
	token_hash(a->data, a->size, a->sha256);
	return true;
}

/* If-None-Match: "*" or a list of entity tags, compared weakly (RFC 9110, 13.1.2). */
static bool etag_matches(const char *header, const char *etag)
{
	size_t len = strlen(etag);
	const char *p = header;
	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (has_prefix(p, "W/"))
			p += 2;
		if (strncmp(p, etag, len) == 0 &&
		    (p[len] == '\0' || strchr(" \t,", p[len]) != NULL))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* Whether Accept-Encoding takes gzip: "gzip" or "*" listed without q=0 (RFC 9110, 12.5.3).
 * Elements are compared by name alone; a later "gzip;q=0" after "*" still refuses it. */
static bool accepts_gzip(const char *header)
{
	bool is_taken = false;
	for (const char *p = header; p != NULL && *p != '\0';) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		size_t name_len = strcspn(p, " \t;,");
		bool is_gzip = name_len == 4 && strncasecmp(p, "gzip", 4) == 0;
		bool is_any = name_len == 1 && *p == '*';
		const char *q = strstr(p, "q=");
		bool is_refused = q != NULL && q < p + len && strtod(q + 2, NULL) <= 0.0;
		if (is_gzip)
			return !is_refused;
		if (is_any)
			is_taken = !is_refused;
		p += len;
	}
	return is_taken;
}

static bool is_compressible(const char *type)
{
	return has_prefix(type, "text/javascript") || has_prefix(type, "text/css");
}

static void serve_file(struct http_request *req, struct http_response *res, const char *name)
{
	const struct config *cfg = req->app->config;
	struct asset a = { 0 };
	const char *type = content_type(name);
	bool is_disk = cfg->web_dir[0] != '\0';
	bool found = type != NULL && (is_disk ? read_from_disk(cfg->web_dir, name, &a)
	                                      : find_embedded(embed_web, name, &a));
	if (!found) {
		http_reply_errorf(res, ERR_NOT_FOUND, "no such file");
		goto out;
	}
	if (!is_disk && is_compressible(type)) {
		char gz[WEB_PATH_MAX + 4];
		snprintf(gz, sizeof(gz), "%s.gz", name);
		res->is_encoding_varied = true;
		if (accepts_gzip(http_header(req, MHD_HTTP_HEADER_ACCEPT_ENCODING)) &&
		    find_embedded(embed_web_gz, gz, &a))
			res->content_encoding = "gzip";
	}
	snprintf(res->etag, sizeof(res->etag), "\"%s\"", a.sha256);
	const char *validator = http_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
	bool is_fresh = validator != NULL && etag_matches(validator, res->etag);
	res->status = is_fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
	buf_reset(&res->body);
	if (!is_fresh)
		buf_append(&res->body, a.data, a.size);
	res->content_type = type;
	res->cache_control = "no-cache";
	res->csp = CSP;
out:
	buf_free(&a.disk);
}

bool http_static(struct http_request *req, struct http_response *res)
{
	const char *path = req->path;
	if (is_api_path(path))
		return false;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		http_reply_errorf(res, ERR_METHOD, "%s is not allowed here", req->method);
	else if (has_prefix(path, ASSETS) && is_clean_path(path + strlen(ASSETS), true))
		serve_file(req, res, path + strlen(ASSETS));
	else if (strcmp(path, "/widget.js") == 0) /* the web chat widget, at a short address */
		serve_file(req, res, "widget.js");
	else if (strcmp(path, "/demo") == 0 && req->app->config->is_demo)
		serve_file(req, res, "demo.html");
	else if (strcmp(path, "/") == 0 || is_clean_path(path + 1, false))
		serve_file(req, res, "index.html");
	else
		http_reply_errorf(res, ERR_NOT_FOUND, "no such file");
	return true;
}
