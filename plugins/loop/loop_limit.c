/*
 * loop_limit.c - the request limiter of one `loop` instance (see loop_limit.h).
 *
 * Ownership: none beyond the struct. Threading: one mutex guards the schedule; the
 * waiting itself happens in the caller, outside the lock.
 */
#include <time.h>

#include <backhaul/errors.h>

#include "loop_limit.h"

int bh_loop_limit_init(struct bh_loop_limit *l, int64_t per_minute, int64_t burst)
{
	if (per_minute < 2 || burst < 1 || burst >= per_minute)
		return BH_EINVAL;
	/* rounded up, plus one: per_minute - burst intervals never fit in 60 s exactly */
	l->interval_us = (60LL * 1000000 + (per_minute - burst) - 1) / (per_minute - burst) + 1;
	l->tolerance_us = (burst - 1) * l->interval_us;
	l->tat_us = 0;
	l->hold_until_us = 0;
	pthread_mutex_init(&l->lock, NULL);
	l->inited = 1;
	return BH_OK;
}

void bh_loop_limit_destroy(struct bh_loop_limit *l)
{
	if (l->inited)
		pthread_mutex_destroy(&l->lock);
	l->inited = 0;
}

int64_t bh_loop_limit_reserve(struct bh_loop_limit *l, int64_t now_us)
{
	pthread_mutex_lock(&l->lock);
	int64_t at = now_us;
	if (l->tat_us - l->tolerance_us > at)
		at = l->tat_us - l->tolerance_us;
	if (l->hold_until_us > at)
		at = l->hold_until_us;
	l->tat_us = (l->tat_us > at ? l->tat_us : at) + l->interval_us;
	pthread_mutex_unlock(&l->lock);
	return at - now_us;
}

void bh_loop_limit_hold(struct bh_loop_limit *l, int64_t now_us, int64_t ms)
{
	int64_t until = now_us + ms * 1000;
	pthread_mutex_lock(&l->lock);
	if (until > l->hold_until_us)
		l->hold_until_us = until;
	if (l->tat_us < until)
		l->tat_us = until;
	pthread_mutex_unlock(&l->lock);
}

int64_t bh_loop_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
