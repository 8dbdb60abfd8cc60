/* Time, read in one place: wall-clock UTC milliseconds for stored times, monotonic for intervals.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);
int64_t clock_mono_us(void);

#endif
