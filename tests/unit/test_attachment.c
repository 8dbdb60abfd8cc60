/*
 * Agents' files out (providers/attachment.c): which types and sizes each provider takes, the
 * names refused, the multipart requests each provider documents, and WhatsApp's upload answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "providers/providers.h"

#define MB (1024LL * 1024)

static void limits_per_provider(void **state)
{
	(void)state;
	struct error e;
	const char *kind = NULL;
	assert_int_equal(
	    channel_file_check(CHANNEL_WHATSAPP, "application/pdf", 100 * MB, 0, &kind, &e), 0);
	assert_string_equal(kind, "document");
	assert_int_equal(
	    channel_file_check(CHANNEL_WHATSAPP, "image/jpeg", 5 * MB + 1, 0, NULL, &e),
	    ERR_UNPROCESSABLE);
	assert_string_equal(e.message, "image files on WhatsApp may be at most 5 MB");
	/* The kinds' own limits hold for the others too, unless their provider's are lower. */
	assert_int_equal(
	    channel_file_check(CHANNEL_INSTAGRAM, "image/jpeg", 5 * MB + 1, 0, NULL, &e),
	    ERR_UNPROCESSABLE);
	assert_int_equal(channel_file_check(CHANNEL_INSTAGRAM, "video/mp4", 16 * MB, 0, NULL, &e),
	                 0);
	assert_int_equal(
	    channel_file_check(CHANNEL_MESSENGER, "application/pdf", 25 * MB + 1, 0, NULL, &e),
	    ERR_UNPROCESSABLE);
	assert_int_equal(
	    channel_file_check(CHANNEL_TELEGRAM, "application/pdf", 50 * MB + 1, 0, NULL, &e),
	    ERR_UNPROCESSABLE);
	assert_int_equal(
	    channel_file_check(CHANNEL_TELEGRAM, "video/mp4", 16 * MB + 1, 0, NULL, &e),
	    ERR_UNPROCESSABLE);
	/* The operator's limit is lower still. */
	assert_int_equal(
	    channel_file_check(CHANNEL_WEBCHAT, "application/pdf", 1001, 1000, NULL, &e),
	    ERR_UNPROCESSABLE);
	assert_string_equal(e.message, "document files on web chat may be at most 1000 bytes");
	assert_int_equal(channel_file_check(CHANNEL_WHATSAPP, "application/pdf", 0, 0, NULL, &e),
	                 ERR_INVALID);
	assert_int_equal(channel_file_check(CHANNEL_WHATSAPP, "image/gif", 10, 0, NULL, &e),
	                 ERR_UNPROCESSABLE);
	assert_int_equal(channel_file_check(CHANNEL_MESSENGER, "image/gif", 10, 0, NULL, &e), 0);
	assert_int_equal(channel_file_check(CHANNEL_INSTAGRAM, "audio/mpeg", 10, 0, NULL, &e),
	                 ERR_UNPROCESSABLE);
	assert_int_equal(channel_file_check(CHANNEL_TELEGRAM, "text/html", 10, 0, NULL, &e),
	                 ERR_UNPROCESSABLE);
	assert_int_equal(channel_file_check(CHANNEL_TELEGRAM, "image/svg+xml", 10, 0, NULL, &e),
	                 ERR_UNPROCESSABLE);
}

static void names(void **state)
{
	(void)state;
	struct error e;
	char longest[CHANNEL_FILE_NAME_MAX + 2];
	memset(longest, 'a', sizeof(longest));
	longest[CHANNEL_FILE_NAME_MAX] = '\0';
	assert_int_equal(channel_file_name_check("factura 0042 (copia).pdf", &e), 0);
	assert_int_equal(channel_file_name_check("año ñandú.jpg", &e), 0);
	assert_int_equal(channel_file_name_check(longest, &e), 0);
	longest[CHANNEL_FILE_NAME_MAX] = 'a';
	longest[CHANNEL_FILE_NAME_MAX + 1] = '\0';
	const char *bad[] = { "",      NULL,        "a/b.pdf",  "a\\b.pdf",  "..",
		              ".",     "a\nb.pdf",  "a\tb.pdf", "a\rb",      "a\x7f",
		              "a\x01", "a\xc2\x85", "\xff.pdf", "\xc3(.pdf", longest };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(channel_file_name_check(bad[i], &e), ERR_INVALID);
}

static const struct channel_send whatsapp = { .kind = CHANNEL_WHATSAPP,
	                                      .api_url = "http://graph.test/",
	                                      .api_version = "v25.0",
	                                      .channel_id = "106540352242922",
	                                      .token = "EAAtoken",
	                                      .recipient = "34611000001" };

/* channel_request_new of s with f. */
static int file_request(const struct channel_send *s, const struct channel_file *f,
                        struct channel_request **r, struct error *e)
{
	struct channel_send with = *s;
	with.file = f;
	return channel_request_new(&with, r, e);
}

static const char *field(const struct channel_request *r, const char *name)
{
	for (size_t i = 0; i < r->field_count; i++)
		if (strcmp(r->field_names[i], name) == 0)
			return r->field_values[i];
	return NULL;
}

static void whatsapp_upload_then_send(void **state)
{
	(void)state;
	struct channel_request *r;
	struct error e;
	struct channel_file f = { .kind = "document",
		                  .mime_type = "application/pdf",
		                  .file_name = "factura.pdf",
		                  .caption = "Su factura" };
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), 0);
	assert_string_equal(r->url, "http://graph.test/v25.0/106540352242922/media");
	assert_int_equal(r->header_count, 1);
	assert_string_equal(r->headers[0], "Authorization: Bearer EAAtoken");
	assert_null(r->body);
	assert_string_equal(r->file_field, "file");
	assert_string_equal(r->file_name, "factura.pdf");
	assert_string_equal(r->file_mime, "application/pdf");
	assert_string_equal(field(r, "messaging_product"), "whatsapp");
	assert_string_equal(field(r, "type"), "application/pdf");
	channel_request_free(r);

	char id[64];
	struct send_result out;
	const char *ok = "{\"id\":\"1166846181421424\"}";
	assert_int_equal(whatsapp_upload_read(200, ok, strlen(ok), id, sizeof(id), &out), 0);
	assert_string_equal(id, "1166846181421424");
	const char *odd = "{\"id\":\"12/../3\"}";
	assert_int_equal(whatsapp_upload_read(200, odd, strlen(odd), id, sizeof(id), &out), -1);
	assert_int_equal(out.outcome, SEND_PERMANENT);
	assert_int_equal(whatsapp_upload_read(503, NULL, 0, id, sizeof(id), &out), -1);
	assert_int_equal(out.outcome, SEND_TRANSIENT);

	f.media_id = "1166846181421424";
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), 0);
	assert_string_equal(r->url, "http://graph.test/v25.0/106540352242922/messages");
	assert_null(r->file_field);
	assert_non_null(strstr(r->body, "\"type\":\"document\""));
	assert_non_null(strstr(r->body,
	                       "\"document\":{\"id\":\"1166846181421424\",\"caption\":\"Su "
	                       "factura\",\"filename\":\"factura.pdf\"}"));
	channel_request_free(r);
	/* Audio takes no caption. */
	f = (struct channel_file){ .kind = "audio",
		                   .mime_type = "audio/ogg",
		                   .file_name = "nota.ogg",
		                   .caption = "x",
		                   .media_id = "1" };
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), 0);
	assert_non_null(strstr(r->body, "\"audio\":{\"id\":\"1\"}"));
	channel_request_free(r);
	f.media_id = "1\r\nX-Evil: 1";
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), ERR_INVALID);
	f.media_id = NULL;
	f.file_name = "../x.ogg";
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), ERR_INVALID);
	f.file_name = "x.html";
	f.mime_type = "text/html";
	assert_int_equal(file_request(&whatsapp, &f, &r, &e), ERR_INVALID);
}

static void messenger_and_telegram(void **state)
{
	(void)state;
	struct channel_request *r;
	struct error e;
	const struct channel_file photo = { .kind = "image",
		                            .mime_type = "image/jpeg",
		                            .file_name = "foto.jpg",
		                            .caption = "La foto" };
	struct channel_send s = { .kind = CHANNEL_MESSENGER,
		                  .api_url = "http://graph.test",
		                  .api_version = "v25.0",
		                  .token = "EAApage",
		                  .recipient = "2457894561234567",
		                  .tag = "HUMAN_AGENT" };
	assert_int_equal(file_request(&s, &photo, &r, &e), 0);
	assert_string_equal(r->url, "http://graph.test/v25.0/me/messages");
	assert_string_equal(r->file_field, "filedata");
	assert_string_equal(field(r, "recipient"), "{\"id\":\"2457894561234567\"}");
	assert_string_equal(
	    field(r, "message"),
	    "{\"attachment\":{\"type\":\"image\",\"payload\":{\"is_reusable\":false}}}");
	assert_string_equal(field(r, "messaging_type"), "MESSAGE_TAG");
	assert_string_equal(field(r, "tag"), "HUMAN_AGENT");
	channel_request_free(r);

	const struct channel_send tg = { .kind = CHANNEL_TELEGRAM,
		                         .api_url = "http://tg.test",
		                         .token = "7000000001:AAHtoken",
		                         .recipient = "510000001" };
	assert_int_equal(file_request(&tg, &photo, &r, &e), 0);
	assert_string_equal(r->url, "http://tg.test/bot7000000001:AAHtoken/sendPhoto");
	assert_string_equal(r->url_for_log, "http://tg.test/bot<token>/sendPhoto");
	assert_string_equal(r->file_field, "photo");
	assert_string_equal(field(r, "chat_id"), "510000001");
	assert_string_equal(field(r, "caption"), "La foto");
	channel_request_free(r);
	const struct channel_file voice = { .kind = "audio",
		                            .mime_type = "audio/ogg",
		                            .file_name = "nota.ogg" };
	assert_int_equal(file_request(&tg, &voice, &r, &e), 0);
	assert_string_equal(r->url_for_log, "http://tg.test/bot<token>/sendDocument");
	assert_string_equal(r->file_field, "document");
	assert_null(field(r, "caption"));
	channel_request_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limits_per_provider),
		cmocka_unit_test(names),
		cmocka_unit_test(whatsapp_upload_then_send),
		cmocka_unit_test(messenger_and_telegram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
