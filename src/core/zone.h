/*
 * Time zones from the system's tz database (Debian's tzdata) through the C library: local
 * wall-clock time of a UTC instant and back. The C library reads the zone from TZ, which is
 * process-wide, so every call takes one lock and sets TZ; nothing else in the server reads
 * local time (every stored time is UTC), so nothing else sees it change.
 */
#ifndef CORE_ZONE_H
#define CORE_ZONE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define ZONE_NAME_MAX 64

/* Whether name is a zone of the tz database ("Europe/Madrid"): a plain relative name whose
 * file under TZDIR (default /usr/share/zoneinfo) is a TZif file. */
bool zone_is_known(const char *name);
/* The local time in zone of t (UTC seconds); tm_gmtoff is its offset. */
void zone_local(const char *zone, int64_t t, struct tm *out);
/* The UTC seconds of a local wall-clock time in zone (fields as mktime takes them, and
 * normalised as it does). A time skipped by a daylight-saving change is read with the offset
 * before the change, so it lands after the gap; a repeated one is the first of the two. */
int64_t zone_utc(const char *zone, const struct tm *local);

#endif
