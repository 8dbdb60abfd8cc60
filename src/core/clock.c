/* Clock reads; see clock.h. */
#include "core/clock.h"

#include <time.h>

#define MAX_BACKOFF_MS (5LL * 60 * 1000)

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_backoff_ms(int attempts, double jitter, int retry_after_s)
{
	int64_t delay = MAX_BACKOFF_MS;
	if (attempts >= 1 && attempts <= 20)
		delay = 1000LL << (attempts - 1);
	if (delay > MAX_BACKOFF_MS)
		delay = MAX_BACKOFF_MS;
	delay += (int64_t)((double)delay * 0.2 * jitter);
	if ((int64_t)retry_after_s * 1000 > delay)
		delay = (int64_t)retry_after_s * 1000;
	return delay;
}
