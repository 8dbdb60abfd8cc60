/*
 * hours/: business hours — a weekly schedule (intervals per day), a time zone and holidays
 * (dates, optionally with their own hours) — and what follows from them: whether it is open
 * at a time, when it next opens, that opening said in Spanish or English for {opens_at}, and
 * the business time between two instants. Time is passed in; the zone comes from the system's
 * tz database (core/zone.h). No store, no clock.
 */
#ifndef HOURS_HOURS_H
#define HOURS_HOURS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HOURS_INTERVALS_MAX 8   /* per day */
#define HOURS_HOLIDAYS_MAX  400 /* dates in one document */
#define HOURS_MESSAGE_MAX   1024
#define HOURS_OPENING_MAX   96 /* the longest {opens_at} text, NUL included */

struct hours; /* opaque; immutable once made */

/*
 * The document:
 *   {"time_zone": "Europe/Madrid",
 *    "week": {"monday": ["09:00-14:00", "16:00-19:00"], …},       a day left out is closed
 *    "holidays": [{"date": "2026-12-25"}, {"date": "2026-12-24", "hours": ["09:00-13:00"]}],
 *    "out_of_hours_message": {"es": "Abrimos {opens_at}.", "en": "We open {opens_at}."},
 *    "welcome_when_closed": false}                  optional, true by default
 * NULL with e (ERR_UNPROCESSABLE, the message naming the field) for anything else: an unknown
 * zone or day, an interval that ends before it starts or overlaps another, an impossible date.
 */
struct hours *hours_new(const json_t *doc, struct error *e);
void hours_free(struct hours *h);
/* The document, every field written out (welcome_when_closed only when false), as a new
 * reference. */
json_t *hours_to_json(const struct hours *h);
/* Whether routing's welcome goes out while closed (the account's hours say). */
bool hours_welcome_when_closed(const struct hours *h);

bool hours_is_open(const struct hours *h, int64_t at_ms);
/* at_ms when open then, else the next opening; 0 when it never opens again (within a year
 * and a bit: a week with no hours). */
int64_t hours_next_open(const struct hours *h, int64_t at_ms);
/* The first closing after at_ms, for an open at_ms; 0 when it never closes. */
int64_t hours_next_close(const struct hours *h, int64_t at_ms);

/* The instant ms of business time after start (the clock stops out of hours); h may be NULL
 * (always open). 0 when the hours never open again before it is reached. */
int64_t hours_add_business(const struct hours *h, int64_t start_ms, int64_t ms);

/* The out-of-hours message for language ("es" or "en"), or the document's other one, or NULL
 * when it has none. Borrowed from h. */
const char *hours_message(const struct hours *h, const char *language, const char **used);
/* The opening at opening_ms as {opens_at} says it, seen from now_ms, in language ("es":
 * "hoy a las 9:00", "mañana a las 9:00", "el lunes a las 9:00", "el 2 de enero a las 9:00";
 * "en": "today at 9:00", "tomorrow at 9:00", "on Monday at 9:00", "on 2 January at 9:00"). */
void hours_say_opening(const struct hours *h, int64_t now_ms, int64_t opening_ms,
                       const char *language, char out[HOURS_OPENING_MAX]);
/* "es" or "en" by the customer's words (a handful of common ones of each), or NULL when the
 * text does not tell. */
const char *hours_language_of(const char *text);

#endif
