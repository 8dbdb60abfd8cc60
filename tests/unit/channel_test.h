/*
 * Helpers for the providers/ tests: reading provider fixtures from $CENTRALITA_FIXTURES,
 * checking that every event keeps providers.h's promises (clean UTF-8, bounded), and a
 * deterministic source of garbage for the "never crash, never leak" tests.
 */
#ifndef TESTS_CHANNEL_TEST_H
#define TESTS_CHANNEL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"
#include "providers/providers.h"

/* 2025-11-25T19:46:40Z: a little after the fixtures' own times. */
#define TEST_NOW_MS 1764100000000LL

/* The fixture's bytes, NUL-terminated; the test frees them. Fails the test when unreadable. */
static inline char *fixture_read(const char *name, size_t *len)
{
	const char *dir = getenv("CENTRALITA_FIXTURES");
	char path[1024];
	FILE *f;
	char *data;
	long size;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	data[size] = '\0';
	*len = (size_t)size;
	return data;
}

static inline void assert_string_clean(const char *s, size_t max)
{
	if (s == NULL)
		return;
	assert_true(strlen(s) > 0 || max == 0);
	assert_true(strlen(s) <= max);
	assert_true(utf8_is_clean(s, strlen(s)));
}

static inline void assert_id_clean(const char *s)
{
	if (s == NULL)
		return;
	assert_string_clean(s, INBOUND_ID_MAX);
	assert_null(strpbrk(s, " \t\r\n"));
}

/* Every event of the list keeps the promises providers.h makes about its fields. */
static inline void assert_list_clean(const struct inbound_list *list)
{
	assert_true(list->reason_count <= INBOUND_MAX_REASONS);
	assert_true(list->reason_count <= list->skipped);
	for (size_t i = 0; i < list->reason_count; i++)
		assert_true(utf8_is_clean(list->reasons[i], strlen(list->reasons[i])));
	for (size_t i = 0; i < list->count; i++) {
		const struct inbound_event *ev = &list->events[i];
		assert_id_clean(ev->channel_id);
		assert_id_clean(ev->contact_id);
		assert_id_clean(ev->message_id);
		assert_id_clean(ev->msg.reply_to_id);
		assert_id_clean(ev->msg.app_id);
		assert_string_clean(ev->contact_name, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.raw_type, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.text, INBOUND_TEXT_MAX);
		assert_string_clean(ev->msg.payload, INBOUND_PAYLOAD_MAX);
		assert_string_clean(ev->msg.media_ref, INBOUND_URL_MAX);
		assert_string_clean(ev->msg.media_mime, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.file_name, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.place_name, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.place_address, INBOUND_NAME_MAX);
		assert_string_clean(ev->msg.story_url, INBOUND_URL_MAX);
		assert_string_clean(ev->status.error_title, INBOUND_NAME_MAX);
		assert_string_clean(ev->reason, INBOUND_NAME_MAX);
		assert_true(ev->time_ms >= 946684800000LL);
		assert_true(ev->time_ms <= TEST_NOW_MS + INBOUND_FUTURE_MAX_MS);
		if (ev->kind == INBOUND_KIND_IGNORED)
			assert_non_null(ev->reason);
		if (ev->kind == INBOUND_KIND_MESSAGE || ev->kind == INBOUND_KIND_ECHO ||
		    ev->kind == INBOUND_KIND_EDIT) {
			assert_non_null(ev->contact_id);
			assert_non_null(ev->message_id);
			assert_non_null(ev->msg.raw_type);
		}
		if (ev->kind == INBOUND_KIND_STATUS)
			assert_true((ev->message_id != NULL) != (ev->status.watermark_ms != 0));
	}
}

/* xorshift64*: the same garbage on every run. */
static inline uint64_t test_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

/*
 * Calls parse(data, len) on every prefix of the fixture and on `rounds` copies with a few
 * random bytes changed: whatever comes back must be clean, and nothing may crash or leak.
 */
static inline void garble(const char *data, size_t len, int rounds,
                          void (*parse)(const char *data, size_t len))
{
	uint64_t state = 0x9e3779b97f4a7c15ULL ^ len;
	char *copy = malloc(len + 1);
	assert_non_null(copy);
	for (size_t cut = 0; cut <= len; cut++) {
		memcpy(copy, data, cut);
		parse(copy, cut);
	}
	for (int r = 0; r < rounds; r++) {
		memcpy(copy, data, len);
		for (int flips = 1 + (int)(test_random(&state) % 4); flips > 0; flips--) {
			static const char noise[] = "{}[]\",:0\\u\xc3\xa9\xff\x01 9e-";
			uint64_t x = test_random(&state);
			copy[x % len] = noise[(x >> 32) % (sizeof(noise) - 1)];
		}
		parse(copy, len);
	}
	free(copy);
}

#endif
