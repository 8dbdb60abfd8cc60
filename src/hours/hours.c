/* Business hours; see hours.h. Times of day are minutes from local midnight, [from, to). */
#include "hours/hours.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "core/zone.h"

#define DAY_MINUTES 1440
#define SCAN_DAYS   400 /* how far ahead an opening or a closing is looked for */

struct interval {
	int from, to;
};

struct day {
	int n;
	struct interval iv[HOURS_INTERVALS_MAX];
};

struct holiday {
	int year, month, mday;
	bool has_hours;
	struct day hours; /* when has_hours; else closed all day */
};

struct hours {
	char zone[ZONE_NAME_MAX];
	struct day week[7]; /* by tm_wday: 0 Sunday */
	struct holiday *holidays;
	size_t nholidays;
	char *message_es, *message_en;
	bool is_silent_when_closed; /* "welcome_when_closed": false */
};

static const char *const day_names[7] = { "sunday",   "monday", "tuesday", "wednesday",
	                                  "thursday", "friday", "saturday" };

/* ---- Reading the document ------------------------------------------------------------ */

static int read_time(const char *s, int *out)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int hh = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
	if (hh > 24 || mm > 59 || (hh == 24 && mm != 0))
		return -1;
	*out = hh * 60 + mm;
	return 0;
}

static int cmp_interval(const void *a, const void *b)
{
	return ((const struct interval *)a)->from - ((const struct interval *)b)->from;
}

/* An array of "HH:MM-HH:MM" at path into *d, sorted; refuses inverted and overlapping ones. */
static int read_day(const json_t *v, const char *path, struct day *d, struct error *e)
{
	if (!json_is_array(v) || json_array_size(v) > HOURS_INTERVALS_MAX)
		return error_set(e, ERR_UNPROCESSABLE,
		                 "%s must be an array of at most %d intervals like \"09:00-14:00\"",
		                 path, HOURS_INTERVALS_MAX);
	d->n = 0;
	size_t i;
	const json_t *x;
	json_array_foreach(v, i, x)
	{
		const char *s = json_string_value(x);
		struct interval iv;
		if (s == NULL || strlen(s) != 11 || s[5] != '-' || read_time(s, &iv.from) < 0 ||
		    read_time(s + 6, &iv.to) < 0 || iv.from == DAY_MINUTES)
			return error_set(e, ERR_UNPROCESSABLE,
			                 "%s[%zu] must be an interval like \"09:00-14:00\"", path,
			                 i);
		if (iv.to <= iv.from)
			return error_set(e, ERR_UNPROCESSABLE, "%s[%zu]: %s ends before it starts",
			                 path, i, s);
		d->iv[d->n++] = iv;
	}
	qsort(d->iv, (size_t)d->n, sizeof(d->iv[0]), cmp_interval);
	for (int k = 1; k < d->n; k++)
		if (d->iv[k].from < d->iv[k - 1].to)
			return error_set(e, ERR_UNPROCESSABLE, "%s: two intervals overlap", path);
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int read_date(const char *s, struct holiday *out)
{
	int y, m, d, len = 0;
	if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 ||
	    len != 10 || s[4] != '-' || s[7] != '-' || y < 2000 || y > 2200 || m < 1 || m > 12 ||
	    d < 1 || d > month_days(y, m))
		return -1;
	out->year = y;
	out->month = m;
	out->mday = d;
	return 0;
}

static int read_week(const json_t *week, struct hours *h, struct error *e)
{
	if (!json_is_object(week))
		return error_set(e, ERR_UNPROCESSABLE, "'week' must be an object of days");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)week, key, v)
	{
		int wday = -1;
		for (int k = 0; k < 7; k++)
			if (strcmp(key, day_names[k]) == 0)
				wday = k;
		char path[64];
		snprintf(path, sizeof(path), "week.%.20s", key);
		if (wday < 0)
			return error_set(e, ERR_UNPROCESSABLE,
			                 "%s: days are monday, tuesday, … sunday", path);
		if (read_day(v, path, &h->week[wday], e) < 0)
			return -1;
	}
	return 0;
}

static int read_holidays(const json_t *list, struct hours *h, struct error *e)
{
	if (!json_is_array(list) || json_array_size(list) > HOURS_HOLIDAYS_MAX)
		return error_set(e, ERR_UNPROCESSABLE, "'holidays' must be an array of at most %d",
		                 HOURS_HOLIDAYS_MAX);
	h->holidays = xcalloc(json_array_size(list) + 1, sizeof(*h->holidays));
	size_t i;
	const json_t *x;
	json_array_foreach(list, i, x)
	{
		struct holiday *d = &h->holidays[h->nholidays];
		const json_t *date = json_object_get(x, "date"),
		             *hours = json_object_get(x, "hours");
		char path[48];
		snprintf(path, sizeof(path), "holidays[%zu]", i);
		if (!json_is_object(x) || json_object_size(x) != 1 + (hours != NULL))
			return error_set(e, ERR_UNPROCESSABLE,
			                 "%s must be {\"date\": \"YYYY-MM-DD\"} and optionally"
			                 " \"hours\"",
			                 path);
		if (read_date(json_string_value(date), d) < 0)
			return error_set(e, ERR_UNPROCESSABLE, "%s.date: no such date (YYYY-MM-DD)",
			                 path);
		for (size_t k = 0; k < h->nholidays; k++)
			if (h->holidays[k].year == d->year && h->holidays[k].month == d->month &&
			    h->holidays[k].mday == d->mday)
				return error_set(e, ERR_UNPROCESSABLE, "%s.date: listed twice",
				                 path);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), ".hours");
		d->has_hours = hours != NULL;
		if (hours != NULL && read_day(hours, path, &d->hours, e) < 0)
			return -1;
		h->nholidays++;
	}
	return 0;
}

static int read_messages(const json_t *m, struct hours *h, struct error *e)
{
	const char *key;
	const json_t *v;
	if (!json_is_object(m))
		return error_set(e, ERR_UNPROCESSABLE,
		                 "'out_of_hours_message' must be an object of \"es\" and \"en\"");
	json_object_foreach((json_t *)m, key, v)
	{
		char **slot = strcmp(key, "es") == 0   ? &h->message_es
		              : strcmp(key, "en") == 0 ? &h->message_en
		                                       : NULL;
		if (slot == NULL)
			return error_set(
			    e, ERR_UNPROCESSABLE,
			    "out_of_hours_message: the languages are \"es\" and \"en\"");
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > HOURS_MESSAGE_MAX)
			return error_set(e, ERR_UNPROCESSABLE,
			                 "out_of_hours_message.%s must be text of 1 to %d bytes",
			                 key, HOURS_MESSAGE_MAX);
		*slot = xstrdup(json_string_value(v));
	}
	return 0;
}

struct hours *hours_new(const json_t *doc, struct error *e)
{
	static const char *const keys[] = { "time_zone", "week", "holidays", "out_of_hours_message",
		                            "welcome_when_closed" };
	struct hours *h = xcalloc(1, sizeof(*h));
	const char *key;
	const json_t *v;
	if (!json_is_object(doc)) {
		error_set(e, ERR_UNPROCESSABLE, "business hours must be a JSON object");
		goto fail;
	}
	json_object_foreach((json_t *)doc, key, v)
	{
		bool is_known = false;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			is_known = is_known || strcmp(key, keys[k]) == 0;
		if (!is_known) {
			error_set(e, ERR_UNPROCESSABLE, "unknown field '%.40s'", key);
			goto fail;
		}
	}
	const char *zone = json_string_value(json_object_get(doc, "time_zone"));
	if (zone == NULL || !zone_is_known(zone)) {
		error_set(e, ERR_UNPROCESSABLE,
		          "'time_zone' must be a zone of the tz database, like \"Europe/Madrid\"");
		goto fail;
	}
	snprintf(h->zone, sizeof(h->zone), "%s", zone);
	if ((v = json_object_get(doc, "week")) == NULL) {
		error_set(e, ERR_UNPROCESSABLE, "'week' is required");
		goto fail;
	}
	if (read_week(v, h, e) < 0)
		goto fail;
	if ((v = json_object_get(doc, "holidays")) != NULL && read_holidays(v, h, e) < 0)
		goto fail;
	if ((v = json_object_get(doc, "out_of_hours_message")) != NULL &&
	    read_messages(v, h, e) < 0)
		goto fail;
	if ((v = json_object_get(doc, "welcome_when_closed")) != NULL && !json_is_boolean(v)) {
		error_set(e, ERR_UNPROCESSABLE, "'welcome_when_closed' must be true or false");
		goto fail;
	}
	h->is_silent_when_closed = json_is_false(v);
	return h;
fail:
	hours_free(h);
	return NULL;
}

void hours_free(struct hours *h)
{
	if (h == NULL)
		return;
	free(h->holidays);
	free(h->message_es);
	free(h->message_en);
	free(h);
}

static json_t *day_json(const struct day *d)
{
	json_t *a = json_array();
	for (int i = 0; i < d->n; i++) {
		char s[48];
		snprintf(s, sizeof(s), "%02d:%02d-%02d:%02d", d->iv[i].from / 60,
		         d->iv[i].from % 60, d->iv[i].to / 60, d->iv[i].to % 60);
		json_array_append_new(a, json_string(s));
	}
	return a;
}

json_t *hours_to_json(const struct hours *h)
{
	json_t *week = json_object(), *holidays = json_array(), *messages = json_object();
	for (int k = 1; k <= 7; k++) /* Monday first */
		if (h->week[k % 7].n > 0)
			json_object_set_new(week, day_names[k % 7], day_json(&h->week[k % 7]));
	for (size_t i = 0; i < h->nholidays; i++) {
		const struct holiday *d = &h->holidays[i];
		char date[16];
		snprintf(date, sizeof(date), "%04d-%02d-%02d", d->year, d->month, d->mday);
		json_t *o = json_pack("{s:s}", "date", date);
		if (d->has_hours)
			json_object_set_new(o, "hours", day_json(&d->hours));
		json_array_append_new(holidays, o);
	}
	if (h->message_es)
		json_object_set_new(messages, "es", json_string(h->message_es));
	if (h->message_en)
		json_object_set_new(messages, "en", json_string(h->message_en));
	json_t *doc = json_pack("{s:s,s:o,s:o,s:o}", "time_zone", h->zone, "week", week, "holidays",
	                        holidays, "out_of_hours_message", messages);
	if (h->is_silent_when_closed)
		json_object_set_new(doc, "welcome_when_closed", json_false());
	return doc;
}

bool hours_welcome_when_closed(const struct hours *h)
{
	return !h->is_silent_when_closed;
}

/* ---- Open, opening, closing ------------------------------------------------------------ */

/* The hours of a local date (the holiday's when it is one). */
static const struct day *day_of(const struct hours *h, int year, int month, int mday, int wday)
{
	static const struct day closed = { 0 };
	for (size_t i = 0; i < h->nholidays; i++) {
		const struct holiday *d = &h->holidays[i];
		if (d->year == year && d->month == month && d->mday == mday)
			return d->has_hours ? &d->hours : &closed;
	}
	return &h->week[wday];
}

/* The local date k days after tm's, as a struct tm at midnight (wday filled). */
static struct tm date_after(const struct tm *tm, int k)
{
	struct tm d = { .tm_year = tm->tm_year,
		        .tm_mon = tm->tm_mon,
		        .tm_mday = tm->tm_mday + k,
		        .tm_hour = 12 };
	time_t t = timegm(&d); /* calendar arithmetic only: no zone is involved */
	gmtime_r(&t, &d);
	d.tm_hour = 0;
	return d;
}

/* UTC ms of minute m of local date d. */
static int64_t at_minute(const struct hours *h, const struct tm *d, int m)
{
	struct tm lt = { .tm_year = d->tm_year,
		         .tm_mon = d->tm_mon,
		         .tm_mday = d->tm_mday,
		         .tm_hour = m / 60,
		         .tm_min = m % 60 };
	return zone_utc(h->zone, &lt) * 1000;
}

bool hours_is_open(const struct hours *h, int64_t at_ms)
{
	struct tm tm;
	zone_local(h->zone, at_ms / 1000, &tm);
	int minute = tm.tm_hour * 60 + tm.tm_min;
	const struct day *d = day_of(h, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday);
	for (int i = 0; i < d->n; i++)
		if (d->iv[i].from <= minute && minute < d->iv[i].to)
			return true;
	return false;
}

/* The first interval boundary (starts with is_start, else ends) after at_ms where the hours
 * are then open (a start) or closed (an end); 0 when none within SCAN_DAYS. */
static int64_t next_boundary(const struct hours *h, int64_t at_ms, bool is_start)
{
	struct tm now;
	zone_local(h->zone, at_ms / 1000, &now);
	for (int k = 0; k < SCAN_DAYS; k++) {
		struct tm date = date_after(&now, k);
		const struct day *d =
		    day_of(h, date.tm_year + 1900, date.tm_mon + 1, date.tm_mday, date.tm_wday);
		for (int i = 0; i < d->n; i++) {
			int64_t t = at_minute(h, &date, is_start ? d->iv[i].from : d->iv[i].to);
			if (t > at_ms && hours_is_open(h, t) == is_start)
				return t;
		}
	}
	return 0;
}

int64_t hours_next_open(const struct hours *h, int64_t at_ms)
{
	return hours_is_open(h, at_ms) ? at_ms : next_boundary(h, at_ms, true);
}

int64_t hours_next_close(const struct hours *h, int64_t at_ms)
{
	return next_boundary(h, at_ms, false);
}

int64_t hours_add_business(const struct hours *h, int64_t start_ms, int64_t ms)
{
	if (h == NULL)
		return start_ms + ms;
	int64_t t = start_ms;
	/* Each round uses up one stretch of open time; a year of them is more than any target. */
	for (int round = 0; round < 366 * HOURS_INTERVALS_MAX && t > 0; round++) {
		t = hours_next_open(h, t);
		int64_t close = t > 0 ? hours_next_close(h, t) : 0;
		if (t == 0 || close == 0 || close - t >= ms)
			return t == 0 ? 0 : t + ms;
		ms -= close - t;
		t = close;
	}
	return 0;
}

/* ---- Saying it to the customer --------------------------------------------------------- */

const char *hours_message(const struct hours *h, const char *language, const char **used)
{
	bool is_en = language != NULL && strcmp(language, "en") == 0;
	const char *first = is_en ? h->message_en : h->message_es;
	const char *other = is_en ? h->message_es : h->message_en;
	*used = (first != NULL) == is_en ? "en" : "es";
	return first != NULL ? first : other;
}

/* Days from 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_of(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void hours_say_opening(const struct hours *h, int64_t now_ms, int64_t opening_ms,
                       const char *language, char out[HOURS_OPENING_MAX])
{
	static const char *const es_days[7] = { "domingo", "lunes",   "martes", "miércoles",
		                                "jueves",  "viernes", "sábado" };
	static const char *const en_days[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
		                                "Thursday", "Friday", "Saturday" };
	static const char *const es_months[12] = {
		"enero", "febrero", "marzo",      "abril",   "mayo",      "junio",
		"julio", "agosto",  "septiembre", "octubre", "noviembre", "diciembre"
	};
	static const char *const en_months[12] = {
		"January", "February", "March",     "April",   "May",      "June",
		"July",    "August",   "September", "October", "November", "December"
	};
	struct tm now, at;
	zone_local(h->zone, now_ms / 1000, &now);
	zone_local(h->zone, opening_ms / 1000, &at);
	int64_t days = days_of(at.tm_year + 1900, at.tm_mon + 1, at.tm_mday) -
	               days_of(now.tm_year + 1900, now.tm_mon + 1, now.tm_mday);
	bool is_en = language != NULL && strcmp(language, "en") == 0;
	char when[48];
	if (days == 0)
		snprintf(when, sizeof(when), "%s", is_en ? "today" : "hoy");
	else if (days == 1)
		snprintf(when, sizeof(when), "%s", is_en ? "tomorrow" : "mañana");
	else if (days < 7)
		snprintf(when, sizeof(when), is_en ? "on %s" : "el %s",
		         (is_en ? en_days : es_days)[at.tm_wday]);
	else if (is_en)
		snprintf(when, sizeof(when), "on %d %s", at.tm_mday, en_months[at.tm_mon]);
	else
		snprintf(when, sizeof(when), "el %d de %s", at.tm_mday, es_months[at.tm_mon]);
	if (is_en)
		snprintf(out, HOURS_OPENING_MAX, "%s at %d:%02d", when, at.tm_hour, at.tm_min);
	else
		snprintf(out, HOURS_OPENING_MAX, "%s a la%s %d:%02d", when,
		         at.tm_hour == 1 ? "" : "s", at.tm_hour, at.tm_min);
}

static bool is_listed(const char *word, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

const char *hours_language_of(const char *text)
{
	static const char *const es[] = { "hola",   "buenas",  "buenos", "dias",     "días",
		                          "quiero", "gracias", "favor",  "por",      "que",
		                          "qué",    "el",      "la",     "los",      "las",
		                          "de",     "una",     "es",     "está",     "esta",
		                          "mi",     "con",     "para",   "necesito", "tengo",
		                          "ayuda",  "precio",  "cuánto", "cuanto",   "y",
		                          "tenéis", "tienen",  "puedo",  "comprar",  NULL };
	static const char *const en[] = { "hello", "hi",     "hey",  "want", "need",    "thanks",
		                          "thank", "please", "the",  "is",   "my",      "with",
		                          "for",   "to",     "of",   "an",   "what",    "how",
		                          "much",  "price",  "help", "have", "i",       "you",
		                          "can",   "would",  "like", "good", "morning", "and",
		                          "buy",   "do",     NULL };
	int votes_es = 0, votes_en = 0;
	char word[32];
	size_t n = 0;
	for (const char *p = text;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || isalpha(c)) {
			if (n < sizeof(word) - 1)
				word[n++] = (char)(c < 0x80 ? tolower(c) : c);
			continue;
		}
		word[n] = '\0';
		if (n > 0 && n < sizeof(word) - 1) {
			votes_es += is_listed(word, es);
			votes_en += is_listed(word, en);
		}
		n = 0;
		if (c == '\0')
			break;
	}
	return votes_es > votes_en ? "es" : votes_en > votes_es ? "en" : NULL;
}
