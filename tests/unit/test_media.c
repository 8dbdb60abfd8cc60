/*
 * Customers' files: where the providers' answers say a file is (providers/media.c), refusing
 * what could leave its place in a URL or header, and the file store (media/files.c), which
 * names a content only once it is whole and keeps the same content once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/media.h"

static const struct channel_send whatsapp = { .kind = CHANNEL_WHATSAPP,
	                                      .api_url = "http://graph.test",
	                                      .api_version = "v25.0",
	                                      .token = "EAAtoken" };
static const struct channel_send telegram = { .kind = CHANNEL_TELEGRAM,
	                                      .api_url = "http://tg.test/",
	                                      .token = "7000000001:AAHtoken" };

static void whatsapp_lookup_and_answer(void **state)
{
	(void)state;
	struct channel_request *r;
	struct error e;
	assert_int_equal(media_lookup_new(&whatsapp, "1003383421387256", &r, &e), 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->url, "http://graph.test/v25.0/1003383421387256");
	assert_int_equal(r->header_count, 1);
	assert_string_equal(r->headers[0], "Authorization: Bearer EAAtoken");
	channel_request_free(r);
	assert_int_equal(media_lookup_new(&whatsapp, "12/../34", &r, &e), ERR_INVALID);
	assert_int_equal(media_lookup_new(&whatsapp, "", &r, &e), ERR_INVALID);

	struct media_source src;
	struct send_result out;
	const char *hex = "{\"url\":\"https://lookaside.test/x?mid=1\",\"mime_type\":\"Audio/OGG; "
	                  "codecs=opus\",\"sha256\":\"" /* sha256("") */
	                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	                  "\"file_size\":\"5201\",\"id\":\"1\"}";
	assert_int_equal(media_source_read(&whatsapp, "1", 200, hex, strlen(hex), &src, &out), 0);
	assert_string_equal(src.url, "https://lookaside.test/x?mid=1");
	assert_string_equal(src.url_for_log, "https://lookaside.test/x");
	assert_true(src.is_bearer);
	assert_string_equal(src.mime_type, "audio/ogg");
	assert_true(src.has_sha256);
	assert_int_equal(src.sha256[0], 0xe3);
	assert_int_equal(src.size, 5201);
	media_source_clear(&src);
	const char *b64 = "{\"url\":\"https://l.test/y\",\"sha256\":"
	                  "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"file_size\":7}";
	assert_int_equal(media_source_read(&whatsapp, "1", 200, b64, strlen(b64), &src, &out), 0);
	assert_true(src.has_sha256);
	assert_int_equal(src.sha256[0], 0xe3);
	assert_null(src.mime_type);
	media_source_clear(&src);
	/* No usable URL, and the Graph error for an id that does not exist: for good. */
	const char *bad = "{\"url\":\"javascript:alert(1)\"}";
	assert_int_equal(media_source_read(&whatsapp, "1", 200, bad, strlen(bad), &src, &out), -1);
	assert_int_equal(out.outcome, SEND_PERMANENT);
	const char *gone = "{\"error\":{\"message\":\"Unsupported get request.\",\"type\":"
	                   "\"GraphMethodException\",\"code\":100,\"error_subcode\":33}}";
	assert_int_equal(media_source_read(&whatsapp, "1", 400, gone, strlen(gone), &src, &out),
	                 -1);
	assert_int_equal(out.outcome, SEND_PERMANENT);
	assert_int_equal(media_source_read(&whatsapp, "1", 0, NULL, 0, &src, &out), -1);
	assert_int_equal(out.outcome, SEND_TRANSIENT);
}

static void telegram_get_file(void **state)
{
	(void)state;
	struct channel_request *r;
	struct error e;
	assert_int_equal(media_lookup_new(&telegram, "AgAC-file_id", &r, &e), 0);
	assert_string_equal(r->url, "http://tg.test/bot7000000001:AAHtoken/getFile");
	assert_non_null(strstr(r->body, "\"file_id\":\"AgAC-file_id\""));
	assert_null(strstr(r->url_for_log, "AAHtoken"));
	channel_request_free(r);

	struct media_source src;
	struct send_result out;
	const char *ok = "{\"ok\":true,\"result\":{\"file_id\":\"x\",\"file_size\":1402,"
	                 "\"file_path\":\"photos/file_1.jpg\"}}";
	assert_int_equal(media_source_read(&telegram, "x", 200, ok, strlen(ok), &src, &out), 0);
	assert_string_equal(src.url,
	                    "http://tg.test/file/bot7000000001:AAHtoken/photos/file_1.jpg");
	assert_string_equal(src.url_for_log, "http://tg.test/file/bot<token>/photos/file_1.jpg");
	assert_false(src.is_bearer);
	assert_int_equal(src.size, 1402);
	media_source_clear(&src);
	const char *paths[] = { "../../etc/passwd", "/abs", "a b", "a?b", "a%2f" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char body[200];
		snprintf(body, sizeof(body), "{\"ok\":true,\"result\":{\"file_path\":\"%s\"}}",
		         paths[i]);
		assert_int_equal(
		    media_source_read(&telegram, "x", 200, body, strlen(body), &src, &out), -1);
		assert_int_equal(out.outcome, SEND_PERMANENT);
	}
}

static void meta_url_and_mime(void **state)
{
	(void)state;
	struct channel_send meta = { .kind = CHANNEL_MESSENGER, .api_url = "http://graph.test" };
	struct channel_request *r = (void *)1;
	struct media_source src;
	struct send_result out;
	struct error e;
	assert_int_equal(media_lookup_new(&meta, "https://cdn.test/p.jpg", &r, &e), 0);
	assert_null(r);
	assert_int_equal(
	    media_source_read(&meta, "https://cdn.test/p.jpg?oh=1", 0, NULL, 0, &src, &out), 0);
	assert_string_equal(src.url_for_log, "https://cdn.test/p.jpg");
	media_source_clear(&src);
	assert_int_equal(media_source_read(&meta, "file:///etc/passwd", 0, NULL, 0, &src, &out),
	                 -1);

	const char *good[][2] = { { "image/JPEG", "image/jpeg" },
		                  { "application/pdf; name=\"x\"", "application/pdf" } };
	for (size_t i = 0; i < 2; i++) {
		char *m = media_mime_clean(good[i][0]);
		assert_string_equal(m, good[i][1]);
		free(m);
	}
	const char *bad[] = { "", "image", "/jpeg", "image/", "text/html\r\nX: y", "a/b/c", NULL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(media_mime_clean(bad[i]));
}

static void store_names_whole_files_once(void **state)
{
	(void)state;
	char dir[512], path[700];
	const char *tmp = getenv("CENTRALITA_TEST_TMP");
	snprintf(dir, sizeof(dir), "%s/media_%d", tmp ? tmp : "/tmp", getpid());
	mkdir(tmp ? tmp : "/tmp", 0700);
	struct file_store *fs;
	struct error e;
	assert_int_equal(file_store_open_dir(dir, &fs, &e), 0);
	char sha[2][MEDIA_SHA256_HEX];
	for (int i = 0; i < 2; i++) {
		struct file_draft d;
		assert_int_equal(file_draft_begin(fs, 10, &d, &e), 0);
		assert_true(file_draft_write(&d, "hola ", 5));
		assert_true(file_draft_write(&d, "mundo", 5));
		assert_false(file_draft_write(&d, "!", 1)); /* over its 10 bytes */
		assert_true(d.is_too_large);
		file_draft_digest(&d, sha[i]);
		struct stat st;
		assert_int_equal(stat(d.path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(file_store_put(fs, &d, sha[i], &e), 0);
	}
	assert_string_equal(sha[0], sha[1]);
	/* sha256("hola mundo") */
	assert_string_equal(sha[0],
	                    "0b894166d3336435c800bea36ff21b29eaa801a52f584c006c49289a0dcf6e2f");
	int fd;
	int64_t size;
	assert_int_equal(file_store_open(fs, sha[0], &fd, &size, &e), 0);
	assert_int_equal(size, 10);
	close(fd);
	assert_int_equal(file_store_open(fs, "../../etc/passwd", &fd, &size, &e), ERR_NOT_FOUND);
	/* Both drafts are gone: one renamed into place, the other dropped as a duplicate. */
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/0b/%s", dir, sha[0]);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/0b", dir);
	rmdir(path);
	rmdir(dir);
	file_store_close(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whatsapp_lookup_and_answer),
		cmocka_unit_test(telegram_get_file),
		cmocka_unit_test(meta_url_and_mime),
		cmocka_unit_test(store_names_whole_files_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
