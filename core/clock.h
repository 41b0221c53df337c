/*
 * clock.h - the core's clocks in milliseconds (inline; thread-safe).
 */
#ifndef BH_CLOCK_H
#define BH_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Wall clock, ms since the epoch. */
static inline int64_t bh_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** Monotonic clock, ms. */
static inline int64_t bh_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
