/*
 * loop_time.c - timestamps of the `loop` plugin (see loop_time.h).
 *
 * Ownership: callers own every buffer. Threading: pure functions (gmtime_r/timegm).
 */
#include <ctype.h>
#include <stdio.h>
#include <time.h>

#include <backhaul/errors.h>

#include "loop_time.h"

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int bh_loop_time_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, se = 0, msec = 0, off = 0;
	const char *p = s;

	if (!s)
		return BH_EINVAL;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return BH_EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return BH_EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &se))
				return BH_EINVAL;
		}
		if (*p == '.') {
			int n = 0;
			p++;
			while (isdigit((unsigned char)*p)) {
				if (n < 3)
					msec = msec * 10 + (*p - '0');
				n++;
				p++;
			}
			if (n == 0)
				return BH_EINVAL;
			for (; n < 3; n++)
				msec *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (digits(&p, 2, &oh))
				return BH_EINVAL;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
				return BH_EINVAL;
			if (oh > 23 || om > 59)
				return BH_EINVAL;
			off = sign * (oh * 60 + om);
		}
	}
	if (*p)
		return BH_EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return BH_EINVAL;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = se};
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return BH_EINVAL;
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + msec;
	return BH_OK;
}

char *bh_loop_time_fmt(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	gmtime_r(&t, &tm);
	if (frac)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

char *bh_loop_time_fmt_query(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}
