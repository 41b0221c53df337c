/*
 * sim_loop_util.c - small helpers of the Loop simulator: exact money (integer cents from
 * and to decimal strings), tax rates in millionths, timestamps in Loop's two formats,
 * JSON serialisation the way Loop's PHP stack does it (compact, "/" escaped), error
 * bodies, URL-safe base64 for list cursors, and an int64 -> pointer hash map.
 *
 * Ownership: returned strings are malloc'd; the caller frees them.
 * Threading: every function is reentrant; the map is guarded by its owner's lock.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <backhaul/errors.h>

#include "sim_loop_priv.h"

int bh_loop_money_parse(const char *s, int64_t *cents)
{
	int64_t units = 0, frac = 0;
	int neg = 0, nd = 0, nf = 0;

	if (!s)
		return BH_EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (units > (INT64_MAX / 100 - 9) / 10)
			return BH_EINVAL;
		units = units * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		for (; isdigit((unsigned char)*s); s++, nf++) {
			if (nf < 2)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return BH_EINVAL; /* sub-cent precision is not money */
		}
	}
	if (nd == 0 && nf == 0)
		return BH_EINVAL;
	if (*s)
		return BH_EINVAL;
	if (nf == 1)
		frac *= 10;
	*cents = (units * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

void bh_loop_money_fmt(int64_t cents, char *buf, size_t len)
{
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
		 (unsigned long long)(a % 100));
}

int bh_loop_json_money(struct json_object *o, int64_t *cents)
{
	if (!o)
		return BH_EINVAL;
	switch (json_object_get_type(o)) {
	case json_type_string:
		return bh_loop_money_parse(json_object_get_string(o), cents);
	case json_type_int: {
		int64_t v = json_object_get_int64(o);
		if (v > INT64_MAX / 100 || v < INT64_MIN / 100)
			return BH_EINVAL;
		*cents = v * 100;
		return 0;
	}
	case json_type_double:
		/* json-c keeps the parsed text of a number: use it, never the double. */
		return bh_loop_money_parse(json_object_get_string(o), cents);
	default:
		return BH_EINVAL;
	}
}

int bh_loop_json_int64(struct json_object *o, int64_t *v)
{
	if (!o)
		return BH_EINVAL;
	if (json_object_get_type(o) == json_type_int) {
		errno = 0;
		*v = json_object_get_int64(o);
		return errno ? -1 : 0;
	}
	if (json_object_get_type(o) == json_type_string) {
		const char *s = json_object_get_string(o);
		char *end;
		long long x;
		if (!*s)
			return BH_EINVAL;
		errno = 0;
		x = strtoll(s, &end, 10);
		if (errno || *end)
			return BH_EINVAL;
		*v = x;
		return 0;
	}
	return BH_EINVAL;
}

int bh_loop_rate_ppm(const char *s, int64_t *ppm)
{
	int64_t units = 0, frac = 0;
	int nf = 0, nd = 0;

	if (!s)
		return BH_EINVAL;
	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (units > 1000)
			return BH_EINVAL;
		units = units * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		for (; isdigit((unsigned char)*s); s++, nf++) {
			if (nf < 6)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return BH_EINVAL;
		}
	}
	if (*s || (nd == 0 && nf == 0))
		return BH_EINVAL;
	for (int i = nf; i < 6; i++)
		frac *= 10;
	*ppm = units * 1000000 + frac;
	return 0;
}

int64_t bh_loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bh_loop_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return BH_EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Accepts what Loop's docs and clients send: "2022-01-01T00:00:00.000Z",
 * "2022-01-01 00:00:00+00:00", "2022-01-01 00:00:00" (UTC), "2022-01-01" (UTC midnight),
 * offsets "+HH:MM", "+HHMM", "Z". */
int bh_loop_time_parse(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, msec = 0, off = 0;
	const char *p = s;

	if (!s)
		return BH_EINVAL;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return BH_EINVAL;
	if (*p == 'T' || *p == ' ') {
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
			off = sign * (oh * 60 + om);
		}
	}
	if (*p)
		return BH_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return BH_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*ms = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000 + msec;
	return 0;
}

void bh_loop_fmt_iso(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

void bh_loop_fmt_plain(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

char *bh_loop_strdup(const char *s)
{
	return strdup(s ? s : "");
}

uint64_t bh_loop_fnv64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Compact JSON with "/" escaped as "\/": what PHP's json_encode (Loop's stack) sends. */
char *bh_loop_json_text(struct json_object *o, size_t *len)
{
	size_t n = 0;
	const char *t = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	char *copy = malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, t, n + 1);
	if (len)
		*len = n;
	return copy;
}

void bh_loop_reply_raw(struct bh_sim_resp *resp, int status, const char *json, size_t len)
{
	bh_sim_resp_text(resp, status, "application/json", json, len);
}

void bh_loop_reply(struct bh_sim_resp *resp, int status, struct json_object *o)
{
	size_t n = 0;
	char *t = bh_loop_json_text(o, &n);
	if (t)
		bh_loop_reply_raw(resp, status, t, n);
	else
		bh_loop_reply_raw(resp, 500, "{}", 2);
	free(t);
	json_object_put(o);
}

void bh_loop_reply_error(struct bh_sim_resp *resp, int status, const char *code,
			 const char *message)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(message));
	if (code)
		json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(o, "errors", e);
	bh_loop_reply(resp, status, o);
}

/* Laravel's validation failure: 422 {"message":..., "errors":{field:[message]}}. */
void bh_loop_reply_validation(struct bh_sim_resp *resp, const char *field, const char *message)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object(),
			   *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(message));
	json_object_object_add(e, field, a);
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "errors", e);
	bh_loop_reply(resp, 422, o);
}

char *bh_loop_b64url(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	int n;
	if (!out)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

unsigned char *bh_loop_b64url_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = (4 - n % 4) % 4;
	char *t;
	unsigned char *out;
	int m;

	if (pad == 3)
		return NULL;
	t = malloc(n + pad + 1);
	out = malloc((n + pad) / 4 * 3 + 1);
	if (!t || !out) {
		free(t);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!isalnum((unsigned char)c) && c != '+' && c != '/' && c != '=')
			goto fail;
		t[i] = c;
	}
	for (size_t i = 0; i < pad; i++)
		t[n + i] = '=';
	t[n + pad] = '\0';
	m = EVP_DecodeBlock(out, (unsigned char *)t, (int)(n + pad));
	if (m < 0)
		goto fail;
	for (size_t i = n + pad; i > 0 && t[i - 1] == '='; i--)
		m--;
	out[m] = '\0';
	*len = (size_t)m;
	free(t);
	return out;
fail:
	free(t);
	free(out);
	return NULL;
}

char *bh_loop_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *p = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

static size_t map_slot(int64_t key, size_t cap)
{
	uint64_t z = (uint64_t)key + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (size_t)(z ^ (z >> 31)) & (cap - 1);
}

int bh_loop_map_put(struct bh_loop_map *m, int64_t key, void *val)
{
	size_t i;
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		int64_t *nk = calloc(ncap, sizeof(*nk));
		void **nv = calloc(ncap, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return BH_ENOMEM;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->vals[j])
				continue;
			i = map_slot(m->keys[j], ncap);
			while (nv[i])
				i = (i + 1) & (ncap - 1);
			nk[i] = m->keys[j];
			nv[i] = m->vals[j];
		}
		free(m->keys);
		free(m->vals);
		m->keys = nk;
		m->vals = nv;
		m->cap = ncap;
	}
	i = map_slot(key, m->cap);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->vals[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

void *bh_loop_map_get(const struct bh_loop_map *m, int64_t key)
{
	size_t i;
	if (!m->cap)
		return NULL;
	i = map_slot(key, m->cap);
	while (m->vals[i]) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void bh_loop_map_free(struct bh_loop_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
