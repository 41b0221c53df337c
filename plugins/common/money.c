/*
 * money.c - exact money helpers (see money.h).
 */
#include <stdio.h>
#include <string.h>

#include <backhaul/errors.h>

#include "money.h"

int bh_money_parse(const char *s, int64_t *cents)
{
	if (!s || !*s)
		return BH_EINVAL;
	int neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!(*s >= '0' && *s <= '9'))
		return BH_EINVAL;
	int64_t whole = 0;
	while (*s >= '0' && *s <= '9') {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return BH_EINVAL;
		whole = whole * 10 + (*s++ - '0');
	}
	int64_t frac = 0;
	if (*s == '.') {
		s++;
		int digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (++digits > 2)
				return BH_EINVAL;
			frac = frac * 10 + (*s++ - '0');
		}
		if (digits == 1)
			frac *= 10;
	}
	if (*s)
		return BH_EINVAL;
	int64_t v = whole * 100 + frac;
	*cents = neg ? -v : v;
	return BH_OK;
}

char *bh_money_format(int64_t cents, char *buf, size_t len)
{
	uint64_t a = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
	snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
		 (unsigned long long)(a % 100));
	return buf;
}

void bh_money_split(int64_t total, size_t n, int64_t *parts)
{
	if (n == 0)
		return;
	int64_t base = total / (int64_t)n, rem = total % (int64_t)n;
	for (size_t i = 0; i < n; i++) {
		parts[i] = base;
		if (rem > 0) {
			parts[i]++;
			rem--;
		} else if (rem < 0) {
			parts[i]--;
			rem++;
		}
	}
}
