/*
 * config_value.c - value parsers shared by conf.d and the CLI, and per-type texts.
 *
 * Purpose: turn one value in file syntax into its C value (bh_parse_bool/int/duration/
 * size), with overflow checks, no sign where a sign is meaningless and no trailing
 * garbage or whitespace; and describe each config type in words for error messages and
 * `plugins --describe` (config_priv.h).
 * Ownership: nothing is allocated here; output goes to caller buffers.
 * Threading: pure functions, safe from any thread.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_priv.h"

/* Read an unsigned decimal number at *p, advancing *p. At least one digit is needed. */
static int read_digits(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*s))
		return BH_EINVAL;
	while (isdigit((unsigned char)*s)) {
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return BH_EINVAL;
		s++;
	}
	*p = s;
	*out = v;
	return BH_OK;
}

int bh_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	if (!s || !out)
		return BH_EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return BH_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return BH_OK;
		}
	}
	return BH_EINVAL;
}

int bh_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v;
	if (!s || !out)
		return BH_EINVAL;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (read_digits(&s, &v) != BH_OK || *s != '\0')
		return BH_EINVAL;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1u)
			return BH_EINVAL;
		*out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return BH_EINVAL;
		*out = (int64_t)v;
	}
	return BH_OK;
}

/*
 * A duration is one or more <number><unit> parts ("1h30m"), units ms, s, m, h, d (any
 * case), or one bare number meaning seconds. No sign, no fractions, no spaces.
 */
int bh_parse_duration(const char *s, int64_t *ms)
{
	uint64_t total = 0;
	if (!s || !ms || *s == '\0')
		return BH_EINVAL;
	for (int part = 0; *s != '\0'; part++) {
		uint64_t n, mult;
		if (read_digits(&s, &n) != BH_OK)
			return BH_EINVAL;
		if (*s == '\0') {
			if (part > 0)         /* "1m30" is ambiguous: refuse */
				return BH_EINVAL;
			mult = 1000;
		} else if (strncasecmp(s, "ms", 2) == 0) {
			mult = 1;
			s += 2;
		} else {
			switch (tolower((unsigned char)*s)) {
			case 's': mult = 1000; break;
			case 'm': mult = 60 * 1000; break;
			case 'h': mult = 3600 * 1000; break;
			case 'd': mult = 86400 * 1000; break;
			default: return BH_EINVAL;
			}
			s++;
		}
		if (__builtin_mul_overflow(n, mult, &n) || __builtin_add_overflow(total, n, &total))
			return BH_EINVAL;
	}
	if (total > (uint64_t)INT64_MAX)
		return BH_EINVAL;
	*ms = (int64_t)total;
	return BH_OK;
}

/* A size is a number with an optional binary multiplier k, M, G, T (any case), which
 * may be followed by "B" or "iB"; a bare "B" is allowed too. No sign, no spaces. */
int bh_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult = 1;
	if (!s || !bytes)
		return BH_EINVAL;
	if (read_digits(&s, &n) != BH_OK)
		return BH_EINVAL;
	switch (tolower((unsigned char)*s)) {
	case 'k': mult = UINT64_C(1) << 10; break;
	case 'm': mult = UINT64_C(1) << 20; break;
	case 'g': mult = UINT64_C(1) << 30; break;
	case 't': mult = UINT64_C(1) << 40; break;
	default: break;
	}
	if (mult != 1) {
		s++;
		if (strcasecmp(s, "ib") == 0)
			s += 2;
	}
	if (strcasecmp(s, "b") == 0)
		s++;
	if (*s != '\0' || __builtin_mul_overflow(n, mult, &n))
		return BH_EINVAL;
	*bytes = n;
	return BH_OK;
}

const char *bh_cfg_type_word(enum bh_cfg_type type)
{
	switch (type) {
	case BH_CFG_STR: return "string";
	case BH_CFG_INT: return "integer";
	case BH_CFG_BOOL: return "boolean";
	case BH_CFG_DURATION: return "duration";
	case BH_CFG_SIZE: return "size";
	case BH_CFG_ENUM: return "value";
	case BH_CFG_LIST: return "list";
	case BH_CFG_SECRET: return "secret";
	default: return "value";
	}
}

const char *bh_cfg_type_name(enum bh_cfg_type type)
{
	switch (type) {
	case BH_CFG_STR: return "string";
	case BH_CFG_INT: return "int";
	case BH_CFG_BOOL: return "bool";
	case BH_CFG_DURATION: return "duration";
	case BH_CFG_SIZE: return "size";
	case BH_CFG_ENUM: return "enum";
	case BH_CFG_LIST: return "list";
	case BH_CFG_SECRET: return "secret";
	default: return "?";
	}
}

void bh_cfg_expected(const struct bh_cfg_entry *e, char *buf, size_t len)
{
	switch (e->type) {
	case BH_CFG_STR:
		snprintf(buf, len, "any text, optionally in double quotes");
		break;
	case BH_CFG_INT:
		snprintf(buf, len, "a whole number, e.g. 42");
		break;
	case BH_CFG_BOOL:
		snprintf(buf, len, "true/false, yes/no, on/off or 1/0");
		break;
	case BH_CFG_DURATION:
		snprintf(buf, len, "e.g. 30s, 90m, 2h");
		break;
	case BH_CFG_SIZE:
		snprintf(buf, len, "e.g. 512, 64k, 20M, 2G");
		break;
	case BH_CFG_ENUM: {
		size_t n = (size_t)snprintf(buf, len, "one of: ");
		for (const char *c = e->choices ? e->choices : ""; *c && n + 3 < len; c++) {
			if (*c == '|') {
				buf[n++] = ',';
				buf[n++] = ' ';
			} else {
				buf[n++] = *c;
			}
		}
		if (n < len)
			buf[n] = '\0';
		break;
	}
	case BH_CFG_LIST:
		snprintf(buf, len, "comma-separated values, e.g. a, b, c");
		break;
	case BH_CFG_SECRET:
		snprintf(buf, len, "%s_file = PATH or %s_env = VARIABLE", e->name, e->name);
		break;
	default:
		snprintf(buf, len, "a known config type");
		break;
	}
}

bool bh_cfg_has_bounds(const struct bh_cfg_entry *e)
{
	return (e->type == BH_CFG_INT || e->type == BH_CFG_DURATION || e->type == BH_CFG_SIZE) &&
	       (e->min < e->max || (e->max == 0 && e->min > 0));
}

int64_t bh_cfg_max(const struct bh_cfg_entry *e)
{
	return e->max == 0 && e->min > 0 ? INT64_MAX : e->max;
}

void bh_cfg_format_duration(int64_t ms, char *buf, size_t len)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
	if (ms != 0) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (ms % units[i].ms == 0) {
				snprintf(buf, len, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
				return;
			}
		}
	}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}

void bh_cfg_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "TGMk";
	for (int i = 0; i < 4; i++) {
		uint64_t m = UINT64_C(1) << (10 * (4 - i));
		if (bytes != 0 && bytes % m == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes / m, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

void bh_cfg_bounds_text(const struct bh_cfg_entry *e, char *buf, size_t len)
{
	char lo[32], hi[32];
	if (e->type == BH_CFG_DURATION) {
		bh_cfg_format_duration(e->min, lo, sizeof(lo));
		bh_cfg_format_duration(e->max, hi, sizeof(hi));
	} else if (e->type == BH_CFG_SIZE && e->min >= 0) {
		bh_cfg_format_size((uint64_t)e->min, lo, sizeof(lo));
		bh_cfg_format_size((uint64_t)e->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%" PRId64, e->min);
		snprintf(hi, sizeof(hi), "%" PRId64, e->max);
	}
	if (bh_cfg_max(e) == INT64_MAX)
		snprintf(buf, len, "at least %s", lo);
	else
		snprintf(buf, len, "%s..%s", lo, hi);
}

int bh_cfg_choice_index(const struct bh_cfg_entry *e, const char *s)
{
	const char *c = e->choices;
	size_t sl = strlen(s);
	if (!c || sl == 0)
		return -1;
	for (int idx = 0;; idx++) {
		const char *bar = strchr(c, '|');
		size_t cl = bar ? (size_t)(bar - c) : strlen(c);
		if (cl == sl && strncasecmp(c, s, sl) == 0)
			return idx;
		if (!bar)
			return -1;
		c = bar + 1;
	}
}

bool bh_cfg_secret_key(const struct bh_cfg_entry *e, const char *key, const char **via)
{
	size_t nl;
	if (e->type != BH_CFG_SECRET || !e->name)
		return false;
	nl = strlen(e->name);
	if (strncmp(key, e->name, nl) != 0)
		return false;
	if (strcmp(key + nl, "_file") == 0) {
		*via = "file";
		return true;
	}
	if (strcmp(key + nl, "_env") == 0) {
		*via = "env";
		return true;
	}
	return false;
}

void bh_conf_sec_label(const struct bh_conf_section *sec, char *buf, size_t len)
{
	switch (sec->kind) {
	case BH_SEC_ENDPOINT:
		snprintf(buf, len, "[endpoint %s]", sec->name ? sec->name : "");
		break;
	case BH_SEC_FLOW:
		snprintf(buf, len, "[flow %s]", sec->name ? sec->name : "");
		break;
	default:
		snprintf(buf, len, "[engine]");
		break;
	}
}
