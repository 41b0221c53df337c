/*
 * loop_time.h - timestamps of the `loop` plugin: Loop's formats to epoch milliseconds
 * and back to RFC 3339 UTC.
 *
 * Loop writes "2020-10-29T16:07:31+00:00" (ISO 8601 with offset), line items'
 * returned_at as "2020-10-29 16:07:31" (no zone: UTC), and accepts
 * "2022-01-01T00:00:00.000Z" in list queries. Pure functions; thread-safe.
 */
#ifndef BH_LOOP_TIME_H
#define BH_LOOP_TIME_H

#include <stddef.h>
#include <stdint.h>

/** Parse "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS][.frac][Z|+HH[:MM]|-HH[:MM]]" (no zone =
 *  UTC) into ms since the epoch. Returns 0 or BH_EINVAL. */
int bh_loop_time_parse(const char *s, int64_t *ms);
/** RFC 3339 UTC: "2020-10-29T16:07:31Z", with ".123" only when ms are not zero. */
char *bh_loop_time_fmt(int64_t ms, char *buf, size_t len);
/** Loop's query format: "2020-10-29T16:07:31.000Z". */
char *bh_loop_time_fmt_query(int64_t ms, char *buf, size_t len);

#endif
