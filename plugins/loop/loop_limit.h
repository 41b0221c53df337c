/*
 * loop_limit.h - the request limiter of one `loop` instance (Loop allows 300
 * requests per minute per API key).
 *
 * A token bucket in its GCRA form: a request may go at once while fewer than `burst`
 * are ahead of schedule, then one every interval T = 60 s / (per_minute - burst), so
 * that any 60-second span holds at most per_minute requests. Each caller *reserves*
 * its slot (the schedule advances at once) and then waits the returned delay, so
 * threads are served in arrival order without spinning. After a 429 the whole
 * instance holds back (bh_loop_limit_hold).
 *
 * Times are monotonic microseconds given by the caller (testable, no clock inside).
 * Ownership: the struct lives inside the instance context. Threading: every function
 * is thread-safe (one mutex); init/destroy from the main thread.
 */
#ifndef BH_LOOP_LIMIT_H
#define BH_LOOP_LIMIT_H

#include <pthread.h>
#include <stdint.h>

struct bh_loop_limit {
	pthread_mutex_t lock;
	int64_t interval_us;   /* T */
	int64_t tolerance_us;  /* (burst - 1) * T */
	int64_t tat_us;        /* theoretical arrival time of the next request */
	int64_t hold_until_us; /* after a 429: nothing before this */
	int inited;
};

/** per_minute > burst >= 1. Returns 0 or BH_EINVAL. */
int bh_loop_limit_init(struct bh_loop_limit *l, int64_t per_minute, int64_t burst);
void bh_loop_limit_destroy(struct bh_loop_limit *l);
/** Take the next slot; returns how many microseconds to wait before sending (0 = now). */
int64_t bh_loop_limit_reserve(struct bh_loop_limit *l, int64_t now_us);
/** Hold every request back for ms from now (a 429 was answered). */
void bh_loop_limit_hold(struct bh_loop_limit *l, int64_t now_us, int64_t ms);
/** Monotonic clock in microseconds. */
int64_t bh_loop_mono_us(void);

#endif
