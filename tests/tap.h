/*
 * tap.h - a tiny TAP producer for Backhaul's tests (header-only).
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a final plan
 * ("1..N"), read by Automake's tap-driver.sh. Helpers:
 *   ok(cond, fmt, ...)        one assertion
 *   is_int(got, want, ...)    integers, prints both on failure
 *   is_str(got, want, ...)    strings (NULL-safe), prints both on failure
 *   diag(fmt, ...)            a "# ..." comment line
 *   skip_all(fmt, ...)        "1..0 # SKIP reason" and exit 0 (e.g. reference data absent)
 *   done_testing()            prints the plan, returns the exit status for main()
 *   tap_shared_dir()          the reference data folder: $BH_SHARED_DIR, else ../shared
 *                             relative to $BH_TOP_SRCDIR; NULL when absent
 *   tap_deadline_ms(ms)       monotonic deadline helper for polling loops (no sleeps)
 * Not thread-safe: assert from the main thread.
 */
#ifndef BH_TAP_H
#define BH_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 0))) static inline void tap_vline(int pass, const char *fmt,
								 va_list ap)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 2, 3), unused)) static int ok(int pass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

__attribute__((format(printf, 3, 4), unused)) static int is_int(long long got, long long want,
								 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vline(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		diag("  got: %lld, want: %lld", got, want);
	return got == want;
}

__attribute__((format(printf, 3, 4), unused)) static int is_str(const char *got, const char *want,
								 const char *fmt, ...)
{
	int pass = (got == NULL && want == NULL) ||
		   (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("  got: '%s', want: '%s'", got ? got : "(null)", want ? want : "(null)");
	return pass;
}

__attribute__((format(printf, 1, 2), noreturn, unused)) static void skip_all(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("1..0 # SKIP ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(0);
}

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		diag("%d of %d failed", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

__attribute__((unused)) static const char *tap_shared_dir(void)
{
	static char buf[4096];
	struct stat st;
	const char *d = getenv("BH_SHARED_DIR");
	if (d && *d && stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	const char *top = getenv("BH_TOP_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/../shared", top ? top : ".");
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return buf;
	return NULL;
}

__attribute__((unused)) static int64_t tap_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
