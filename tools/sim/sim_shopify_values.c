/*
 * sim_shopify_values.c - value helpers of the Shopify simulator: exact money (int64
 * cents <-> "43.20" / "43.2"), RFC 3339 timestamps with their UTC offsets, and the JSON
 * helpers the model uses to read REST-shaped input and write REST-shaped output
 * (members, money members and their *_set bags, verbatim extras, gids).
 *
 * Money is never a double: amounts are parsed from their decimal text (JSON numbers
 * through their literal) and printed from integers.
 * Ownership: returned json_objects are new references. Threading: pure functions,
 * except bh_shp_now_time (reads the service clock).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

/* ------------------------------------------------------------------ money */

int bh_shp_money_parse(const char *s, int64_t *out)
{
	bool neg = false;
	int64_t whole = 0, frac = 0;
	int nf = 0, nd = 0;

	if (!s)
		return BH_EINVAL;
	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (isdigit((unsigned char)*s)) {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return BH_EINVAL;
		whole = whole * 10 + (*s++ - '0');
		nd++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			if (nf < 2)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return BH_EINVAL;
			nf++;
			s++;
		}
	}
	if (nd == 0 && nf == 0)
		return BH_EINVAL;
	while (*s == ' ')
		s++;
	if (*s)
		return BH_EINVAL;
	if (nf == 1)
		frac *= 10;
	*out = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

int bh_shp_money_json(struct json_object *j, int64_t *out)
{
	if (!j)
		return BH_EINVAL;
	switch (json_object_get_type(j)) {
	case json_type_int: {
		int64_t v = json_object_get_int64(j);
		if (v > INT64_MAX / 100 || v < -INT64_MAX / 100)
			return BH_EINVAL;
		*out = v * 100;
		return 0;
	}
	case json_type_double:
	case json_type_string:
		return bh_shp_money_parse(json_object_get_string(j), out);
	default:
		return BH_EINVAL;
	}
}

void bh_shp_money_fmt(int64_t c, char *buf)
{
	uint64_t a = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
	snprintf(buf, 32, "%s%" PRIu64 ".%02u", c < 0 ? "-" : "", a / 100, (unsigned)(a % 100));
}

void bh_shp_money_fmt_min(int64_t c, char *buf)
{
	uint64_t a = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
	unsigned f = (unsigned)(a % 100);
	if (f % 10 == 0)
		snprintf(buf, 32, "%s%" PRIu64 ".%u", c < 0 ? "-" : "", a / 100, f / 10);
	else
		snprintf(buf, 32, "%s%" PRIu64 ".%02u", c < 0 ? "-" : "", a / 100, f);
}

/* ------------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int bh_shp_time_parse(const char *s, struct bh_shp_time *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 1;
	int off = 0;

	if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return BH_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return BH_EINVAL;
	s += 10;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi))
			return BH_EINVAL;
		s += 5;
		if (*s == ':') {
			if (digits(s + 1, 2, &se))
				return BH_EINVAL;
			s += 3;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s))
				s++;
		}
		if (h > 23 || mi > 59 || se > 60)
			return BH_EINVAL;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s == '-' ? -1 : 1;
			s++;
			if (digits(s, 2, &oh))
				return BH_EINVAL;
			s += 2;
			if (*s == ':')
				s++;
			if (*s) {
				if (digits(s, 2, &om))
					return BH_EINVAL;
				s += 2;
			}
			off = sign * (oh * 60 + om);
		} else if (strcmp(s, " UTC") == 0) {
			s += 4;
		}
	}
	if (*s)
		return BH_EINVAL;
	out->t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
		 (int64_t)off * 60;
	out->off_min = off;
	out->set = true;
	return 0;
}

void bh_shp_time_fmt_rest(const struct bh_shp_time *t, char *buf)
{
	int64_t l = t->t + (int64_t)t->off_min * 60;
	int64_t days = l >= 0 ? l / 86400 : (l - 86399) / 86400;
	int64_t sec = l - days * 86400;
	int y;
	unsigned m, d;
	int off = t->off_min < 0 ? -t->off_min : t->off_min;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 40, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", y, m, d, (int)(sec / 3600),
		 (int)(sec / 60 % 60), (int)(sec % 60), t->off_min < 0 ? '-' : '+', off / 60, off % 60);
}

void bh_shp_time_fmt_utc(int64_t t, char *buf)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t sec = t - days * 86400;
	int y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 40, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600),
		 (int)(sec / 60 % 60), (int)(sec % 60));
}

/* ------------------------------------------------------------------ JSON helpers */

struct json_object *bh_shp_jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;  /* NULL for JSON null */
}

const char *bh_shp_jstr(struct json_object *o, const char *k)
{
	struct json_object *v = bh_shp_jget(o, k);
	if (!v)
		return NULL;
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	return json_object_get_string(v);
}

int bh_shp_ji64(struct json_object *o, const char *k, int64_t *v)
{
	struct json_object *j = bh_shp_jget(o, k);
	if (!j)
		return 0;
	if (json_object_is_type(j, json_type_int)) {
		*v = json_object_get_int64(j);
		return 1;
	}
	if (json_object_is_type(j, json_type_string)) {
		const char *s = json_object_get_string(j);
		char *end;
		if (strncmp(s, "gid://shopify/", 14) == 0) {
			const char *sl = strrchr(s, '/');
			s = sl ? sl + 1 : s;
		}
		if (!*s)
			return -1;
		long long x = strtoll(s, &end, 10);
		if (*end)
			return -1;
		*v = x;
		return 1;
	}
	return -1;
}

char *bh_shp_jdup(struct json_object *o, const char *k)
{
	return bh_shp_strdup(bh_shp_jstr(o, k));
}

bool bh_shp_jbool(struct json_object *o, const char *k, bool def)
{
	struct json_object *v = bh_shp_jget(o, k);
	if (!v)
		return def;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), "true") == 0;
	return json_object_get_boolean(v);
}

/* Money member k, or k_set.shop_money.amount: 1 found, 0 absent, -1 invalid. */
int bh_shp_jmoney(struct json_object *o, const char *k, int64_t *v)
{
	struct json_object *j = bh_shp_jget(o, k);
	char setk[96];
	if (j)
		return bh_shp_money_json(j, v) == 0 ? 1 : -1;
	snprintf(setk, sizeof(setk), "%s_set", k);
	j = bh_shp_jget(bh_shp_jget(bh_shp_jget(o, setk), "shop_money"), "amount");
	if (j)
		return bh_shp_money_json(j, v) == 0 ? 1 : -1;
	return 0;
}

struct json_object *bh_shp_jcopy(struct json_object *v)
{
	struct json_object *c = NULL;
	if (!v)
		return NULL;
	if (json_object_deep_copy(v, &c, NULL) != 0)
		return NULL;
	return c;
}

static bool in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(k, *list) == 0)
			return true;
	return false;
}

/* The members of `in` not consumed by the model, deep-copied (rendered verbatim). */
struct json_object *bh_shp_extras(struct json_object *in, const char *const *consumed)
{
	struct json_object *x = NULL;
	if (!in || !json_object_is_type(in, json_type_object))
		return NULL;
	json_object_object_foreach(in, k, v) {
		if (in_list(k, consumed))
			continue;
		if (!x)
			x = json_object_new_object();
		json_object_object_add(x, k, v ? bh_shp_jcopy(v) : NULL);
	}
	return x;
}

/* Add the bh_shp_extras (deep copies) to out, skipping keys already present. */
void bh_shp_add_extras(struct json_object *out, struct json_object *extra)
{
	if (!extra)
		return;
	json_object_object_foreach(extra, k, v) {
		if (json_object_object_get_ex(out, k, NULL))
			continue;
		json_object_object_add(out, k, v ? bh_shp_jcopy(v) : NULL);
	}
}

struct json_object *bh_shp_jmoney_str(int64_t c)
{
	char b[32];
	bh_shp_money_fmt(c, b);
	return json_object_new_string(b);
}

/* A JSON number with Ruby Float#to_s text (refund_line_items subtotal/total_tax). */
struct json_object *bh_shp_jmoney_num(int64_t c)
{
	char b[32];
	bh_shp_money_fmt_min(c, b);
	return json_object_new_double_s((double)c / 100.0, b);
}

struct json_object *bh_shp_rest_set(int64_t cents, const char *currency)
{
	struct json_object *set = json_object_new_object();
	for (int i = 0; i < 2; i++) {
		struct json_object *m = json_object_new_object();
		json_object_object_add(m, "amount", bh_shp_jmoney_str(cents));
		json_object_object_add(m, "currency_code", json_object_new_string(currency));
		json_object_object_add(set, i ? "presentment_money" : "shop_money", m);
	}
	return set;
}

void bh_shp_add_money(struct json_object *o, const char *k, int64_t c, const char *cur, bool with_set)
{
	char setk[96];
	json_object_object_add(o, k, bh_shp_jmoney_str(c));
	if (with_set) {
		snprintf(setk, sizeof(setk), "%s_set", k);
		json_object_object_add(o, setk, bh_shp_rest_set(c, cur));
	}
}

struct json_object *bh_shp_jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void bh_shp_add_time(struct json_object *o, const char *k, const struct bh_shp_time *t)
{
	char b[40];
	if (!t->set) {
		json_object_object_add(o, k, NULL);
		return;
	}
	bh_shp_time_fmt_rest(t, b);
	json_object_object_add(o, k, json_object_new_string(b));
}

struct json_object *bh_shp_gid_json(const char *type, int64_t id)
{
	char b[96];
	snprintf(b, sizeof(b), "gid://shopify/%s/%" PRId64, type, id);
	return json_object_new_string(b);
}

void bh_shp_now_time(struct bh_shp_svc *s, struct bh_shp_time *t)
{
	t->t = bh_shp_now_ms(s) / 1000;
	t->off_min = s->shop_off_min;
	t->set = true;
}
