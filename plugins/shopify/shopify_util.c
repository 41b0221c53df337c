/*
 * shopify_util.c - small pure helpers of the shopify plugin: UTC times, gid tails,
 * decimal ids, exact money, JSON lookups, the THROTTLED wait and the webhook HMAC.
 *
 * Ownership: returned json objects belong to the caller; lookups return borrowed
 * references. Threading: pure functions, safe from any thread.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "money.h"
#include "shopify.h"

static int digits(const char *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* days since 1970-01-01 of a civil date (proleptic Gregorian) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* RFC 3339 -> seconds since the epoch (fractions dropped). */
static int parse_time(const char *in, int64_t *secs)
{
	int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	if (!in || strlen(in) < 19)
		return BH_EINVAL;
	if (digits(in, 4, &Y) || in[4] != '-' || digits(in + 5, 2, &M) || in[7] != '-' ||
	    digits(in + 8, 2, &D) || (in[10] != 'T' && in[10] != 't' && in[10] != ' ') ||
	    digits(in + 11, 2, &h) || in[13] != ':' || digits(in + 14, 2, &mi) || in[16] != ':' ||
	    digits(in + 17, 2, &sec))
		return BH_EINVAL;
	p = in + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return BH_EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			return BH_EINVAL;
		p += 6;
	} else {
		return BH_EINVAL;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
		return BH_EINVAL;
	*secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec -
		sign * (oh * 3600 + om * 60);
	return BH_OK;
}

int64_t bh_shopify_time_ms(const char *in)
{
	int64_t t;
	return parse_time(in, &t) == BH_OK ? t * 1000 : 0;
}

int bh_shopify_time_utc(const char *in, char *out, size_t len)
{
	return bh_shopify_time_shift(in, 0, out, len);
}

int bh_shopify_time_shift(const char *in, int64_t delta_s, char *out, size_t len)
{
	int64_t t;
	if (len < 21 || parse_time(in, &t) != BH_OK)
		return BH_EINVAL;
	time_t tt = (time_t)(t + delta_s);
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return BH_EINVAL;
	if (strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return BH_EINVAL;
	return BH_OK;
}

bool bh_shopify_is_id(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return false;
	for (; s[n]; n++)
		if (!isdigit((unsigned char)s[n]))
			return false;
	return n <= 20;
}

int bh_shopify_gid_tail(const char *gid, char *out, size_t len)
{
	const char *t;
	if (!gid)
		return BH_EINVAL;
	t = strrchr(gid, '/');
	t = t ? t + 1 : gid;
	if (strncmp(gid, "gid://", 6) != 0 && t != gid)
		return BH_EINVAL;
	/* a gid may carry parameters: gid://shopify/Order/1?foo=bar */
	size_t n = strcspn(t, "?");
	if (n == 0 || n >= len)
		return BH_EINVAL;
	memcpy(out, t, n);
	out[n] = '\0';
	return bh_shopify_is_id(out) ? BH_OK : BH_EINVAL;
}

int bh_shopify_id_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int bh_shopify_cents(const char *s, int64_t *cents)
{
	char buf[48];
	const char *dot;
	size_t n;
	if (!s)
		return BH_EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return BH_EINVAL;
	memcpy(buf, s, n + 1);
	dot = strchr(buf, '.');
	if (dot) {
		/* "3.340" is exact; "3.345" is not representable in cents */
		size_t end = n;
		while (end > (size_t)(dot - buf) + 3 && buf[end - 1] == '0')
			buf[--end] = '\0';
	}
	return bh_money_parse(buf, cents);
}

json_object *bh_shopify_money(int64_t cents)
{
	char b[32];
	return json_object_new_string(bh_money_format(cents, b, sizeof(b)));
}

json_object *bh_shopify_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

json_object *bh_shopify_path(json_object *o, const char *path)
{
	char part[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		o = bh_shopify_get(o, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

const char *bh_shopify_str(json_object *o, const char *key)
{
	json_object *v = bh_shopify_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool bh_shopify_in_list(const char *const *list, const char *s)
{
	if (!list || !s)
		return false;
	for (; *list; list++)
		if (strcasecmp(*list, s) == 0)
			return true;
	return false;
}

static bool num(json_object *v, double *out)
{
	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return true;
	}
	return false;
}

int64_t bh_shopify_throttle_wait_ms(json_object *reply, int64_t floor_ms)
{
	/* query-cost figures, not money: doubles are fine here */
	json_object *cost = bh_shopify_path(reply, "extensions.cost");
	json_object *ts = bh_shopify_get(cost, "throttleStatus");
	double req, avail, rate;
	if (!num(bh_shopify_get(cost, "requestedQueryCost"), &req) ||
	    !num(bh_shopify_get(ts, "currentlyAvailable"), &avail) ||
	    !num(bh_shopify_get(ts, "restoreRate"), &rate) || rate <= 0)
		return -1;
	double ms = ceil((req - avail) * 1000.0 / rate);
	if (!(ms >= (double)floor_ms))
		return floor_ms;
	if (ms > 3600000.0)
		ms = 3600000.0;
	return (int64_t)ms;
}

int bh_shopify_hmac_b64(const char *secret, const char *body, size_t len, char *out,
			size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (outlen < 45 || !secret)
		return BH_EINVAL;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md,
		  &mdlen) ||
	    mdlen != 32)
		return BH_EIO;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	OPENSSL_cleanse(md, sizeof(md));
	return BH_OK;
}

bool bh_shopify_hmac_ok(const char *secret, const char *body, size_t len, const char *header)
{
	char want[64];
	if (!secret || !*secret || !header || strlen(header) != 44)
		return false;
	if (bh_shopify_hmac_b64(secret, body, len, want, sizeof(want)) != BH_OK)
		return false;
	return CRYPTO_memcmp(want, header, 44) == 0;
}
