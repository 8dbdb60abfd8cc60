/* Time zones through the C library; see zone.h. */
#include "core/zone.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

bool zone_is_known(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len >= ZONE_NAME_MAX || name[0] == '/' || name[0] == '.' ||
	    strstr(name, "..") != NULL ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
	        len)
		return false;
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir != NULL && dir[0] ? dir : "/usr/share/zoneinfo",
	         name);
	FILE *f = fopen(path, "rb");
	char magic[4] = { 0 };
	bool is_tzif = f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f != NULL)
		fclose(f);
	return is_tzif;
}

/* With the lock held. */
static void use(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

void zone_local(const char *zone, int64_t t, struct tm *out)
{
	time_t tt = (time_t)t;
	pthread_mutex_lock(&lock);
	use(zone);
	localtime_r(&tt, out);
	pthread_mutex_unlock(&lock);
}

int64_t zone_utc(const char *zone, const struct tm *local)
{
	struct tm tm = *local;
	tm.tm_isdst = -1;
	pthread_mutex_lock(&lock);
	use(zone);
	time_t t = mktime(&tm);
	pthread_mutex_unlock(&lock);
	return (int64_t)t;
}
