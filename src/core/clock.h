/* Time, read in one place: wall-clock UTC milliseconds for stored times, monotonic for intervals.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);
int64_t clock_mono_us(void);

/* The retry delay after the nth failed attempt of anything sent out (messages, media
 * fetches, webhooks): 1 s doubling to 5 min, ±20 % jitter (jitter in [-1, 1]), and never
 * sooner than the other side's retry_after_s. */
int64_t clock_backoff_ms(int attempts, double jitter, int retry_after_s);

#endif
