/*
 * sim_shopify_gql_search.c - Shopify's search syntax for the `query:` argument of
 * orders/giftCards, and the opaque connection cursors.
 *
 * Search: terms separated by spaces are ANDed ("AND" may be written), "OR" separates
 * alternatives (AND binds tighter), "-" or "NOT" negates a term; a term is
 * field:value, field:>value, :>=, :<, :<=, values optionally quoted ('...' or "...").
 * Times are RFC 3339 or dates; without a UTC offset they are in the shop's time zone;
 * field:DATE matches that whole day. Order fields: updated_at, created_at, processed_at,
 * id, name, status (open|closed|cancelled|any), financial_status, fulfillment_status
 * (shipped|fulfilled|partial|unshipped|unfulfilled|any), email, tag, tag_not, test,
 * sku, gateway; a bare word matches name, email or a tag. Gift cards: id, created_at,
 * updated_at, status (enabled|disabled), customer_id. An unknown field is ignored and
 * reported like Shopify does, in extensions.search: [{"path":[key],"query":q,
 * "warnings":[{"field":f,"message":"Invalid search field for this query."}]}].
 *
 * Cursors: base64 of {"last_id":<id>,"last_value":<v>} where v is the sort value in
 * Shopify's style ("2008-01-10 16:00:00.000000" for times, the id for ID order).
 *
 * Ownership: parsed terms live in the request arena. Threading: per request.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "sim_shopify_gql.h"

static const struct {
	const char *name;
	enum bh_shp_sfield f;
	bool order, gift;
} fields[] = {
	{"updated_at", SF_UPDATED, true, true},   {"created_at", SF_CREATED, true, true},
	{"processed_at", SF_PROCESSED, true, false}, {"id", SF_ID, true, true},
	{"name", SF_NAME, true, false},           {"status", SF_STATUS, true, true},
	{"financial_status", SF_FIN, true, false}, {"fulfillment_status", SF_FUL, true, false},
	{"email", SF_EMAIL, true, false},         {"tag", SF_TAG, true, false},
	{"tag_not", SF_TAG, true, false},         {"test", SF_TEST, true, false},
	{"sku", SF_SKU, true, false},             {"gateway", SF_GATEWAY, true, false},
	{"customer_id", SF_CUSTOMER_ID, false, true},
};

static bool is_time_field(enum bh_shp_sfield f)
{
	return f == SF_UPDATED || f == SF_CREATED || f == SF_PROCESSED;
}

static void warn(struct bh_shp_gctx *c, const char *q, const char *key, const char *field,
		 const char *msg)
{
	struct json_object *entry = NULL, *w, *x;
	size_t n;
	if (!c->search)
		c->search = json_object_new_array();
	n = json_object_array_length(c->search);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(c->search, i), *p;
		if (json_object_object_get_ex(e, "path", &p) &&
		    strcmp(json_object_get_string(json_object_array_get_idx(p, 0)), key) == 0)
			entry = e;
	}
	if (!entry) {
		struct json_object *p = json_object_new_array();
		entry = json_object_new_object();
		json_object_array_add(p, json_object_new_string(key));
		json_object_object_add(entry, "path", p);
		json_object_object_add(entry, "query", json_object_new_string(q));
		json_object_object_add(entry, "warnings", json_object_new_array());
		json_object_array_add(c->search, entry);
	}
	json_object_object_get_ex(entry, "warnings", &w);
	x = json_object_new_object();
	json_object_object_add(x, "field", json_object_new_string(field));
	json_object_object_add(x, "message", json_object_new_string(msg));
	json_object_array_add(w, x);
}

/* Time value -> [lo, hi] for the operator. Returns false when unparsable. */
static bool time_range(struct bh_shp_gctx *c, const char *v, enum bh_shp_sop op,
		       struct bh_shp_sterm *t)
{
	struct bh_shp_time tm;
	size_t len = strlen(v);
	bool date_only = len == 10, zone = false, frac = false;
	int64_t x;
	if (bh_shp_time_parse(v, &tm))
		return false;
	if (!date_only) {
		const char *p = v + 10;
		zone = strchr(p, 'Z') || strchr(p, 'z') || strchr(p, '+') || strchr(p + 1, '-');
		{
			const char *dot = strchr(p, '.');
			if (dot)
				for (dot++; isdigit((unsigned char)*dot); dot++)
					frac |= *dot != '0';
		}
	}
	x = tm.t;
	if (!zone)
		x -= (int64_t)c->s->shop_off_min * 60;
	switch (op) {
	case SO_EQ:
		t->has_lo = t->has_hi = true;
		t->lo = x;
		t->hi = date_only ? x + 86399 : x;
		break;
	case SO_GT:
		t->has_lo = true;
		t->lo = date_only ? x + 86400 : x + 1;
		break;
	case SO_GE:
		t->has_lo = true;
		t->lo = frac ? x + 1 : x;
		break;
	case SO_LT:
		t->has_hi = true;
		t->hi = frac ? x : x - 1;
		break;
	case SO_LE:
		t->has_hi = true;
		t->hi = date_only ? x + 86399 : x;
		break;
	}
	return true;
}

static bool id_range(const char *v, enum bh_shp_sop op, struct bh_shp_sterm *t)
{
	const char *s = strncmp(v, "gid://shopify/", 14) == 0 ? strrchr(v, '/') + 1 : v;
	char *end;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end)
		return false;
	switch (op) {
	case SO_EQ:
		t->has_lo = t->has_hi = true;
		t->lo = t->hi = x;
		break;
	case SO_GT:
		t->has_lo = true;
		t->lo = x + 1;
		break;
	case SO_GE:
		t->has_lo = true;
		t->lo = x;
		break;
	case SO_LT:
		t->has_hi = true;
		t->hi = x - 1;
		break;
	case SO_LE:
		t->has_hi = true;
		t->hi = x;
		break;
	}
	return true;
}

/* Next token into buf (quotes removed inside, kept contiguous); NULL at the end. */
static const char *next_token(const char *p, char *buf, size_t cap)
{
	size_t n = 0;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return NULL;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && *p != q) {
				if (*p == '\\' && p[1])
					p++;
				if (n + 1 < cap)
					buf[n++] = *p;
				p++;
			}
			if (*p)
				p++;
			continue;
		}
		if (n + 1 < cap)
			buf[n++] = *p;
		p++;
	}
	buf[n] = 0;
	return p;
}

void bh_shp_search_parse(struct bh_shp_gctx *c, const char *q, bool gift_cards,
			 const char *path_key, struct bh_shp_search *out)
{
	size_t cap = 4, gcap = 4;
	const char *p = q;
	char tok[512];
	bool neg_next = false;

	memset(out, 0, sizeof(*out));
	out->terms = bh_gql_alloc(c->a, cap * sizeof(*out->terms));
	out->group_end = bh_gql_alloc(c->a, gcap * sizeof(size_t));
	if (!out->terms || !out->group_end)
		return;
	while (p && (p = next_token(p, tok, sizeof(tok)))) {
		struct bh_shp_sterm t;
		char *colon, *val;
		const char *fname = tok;
		bool ok = false;
		if (strcmp(tok, "AND") == 0)
			continue;
		if (strcmp(tok, "NOT") == 0) {
			neg_next = true;
			continue;
		}
		if (strcmp(tok, "OR") == 0) {
			if (out->ngroups == gcap) {
				size_t *n = bh_gql_alloc(c->a, gcap * 2 * sizeof(size_t));
				if (!n)
					return;
				memcpy(n, out->group_end, gcap * sizeof(size_t));
				out->group_end = n;
				gcap *= 2;
			}
			out->group_end[out->ngroups++] = out->n;
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.neg = neg_next;
		neg_next = false;
		if (*fname == '-') {
			t.neg = !t.neg;
			fname++;
		}
		colon = strchr(fname, ':');
		if (!colon) {
			if (gift_cards)
				continue;
			t.f = SF_TEXT;
			t.text = bh_gql_strndup(c->a, fname, strlen(fname));
			ok = true;
		} else {
			*colon = 0;
			val = colon + 1;
			if (strncmp(val, ">=", 2) == 0) {
				t.op = SO_GE;
				val += 2;
			} else if (strncmp(val, "<=", 2) == 0) {
				t.op = SO_LE;
				val += 2;
			} else if (*val == '>') {
				t.op = SO_GT;
				val++;
			} else if (*val == '<') {
				t.op = SO_LT;
				val++;
			}
			for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
				if (strcmp(fields[i].name, fname) == 0 &&
				    (gift_cards ? fields[i].gift : fields[i].order)) {
					t.f = fields[i].f;
					ok = true;
					if (strcmp(fname, "tag_not") == 0)
						t.neg = !t.neg;
				}
			if (!ok) {
				warn(c, q, path_key, fname, "Invalid search field for this query.");
				continue;
			}
			t.text = bh_gql_strndup(c->a, val, strlen(val));
			if (is_time_field(t.f))
				ok = time_range(c, val, t.op, &t);
			else if (t.f == SF_ID || t.f == SF_CUSTOMER_ID)
				ok = id_range(val, t.op, &t);
			if (!ok) {
				warn(c, q, path_key, fname, "Invalid value for this field.");
				continue;
			}
		}
		if (out->n == cap) {
			struct bh_shp_sterm *n = bh_gql_alloc(c->a, cap * 2 * sizeof(*n));
			if (!n)
				return;
			memcpy(n, out->terms, cap * sizeof(*n));
			out->terms = n;
			cap *= 2;
		}
		out->terms[out->n++] = t;
	}
	if (out->ngroups == gcap) {
		size_t *n = bh_gql_alloc(c->a, (gcap + 1) * sizeof(size_t));
		if (!n)
			return;
		memcpy(n, out->group_end, gcap * sizeof(size_t));
		out->group_end = n;
	}
	out->group_end[out->ngroups++] = out->n;
}

static bool in_range(const struct bh_shp_sterm *t, int64_t v)
{
	return (!t->has_lo || v >= t->lo) && (!t->has_hi || v <= t->hi);
}

static bool has_tag(const char *tags, const char *want)
{
	const char *p = tags;
	size_t wl = strlen(want);
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		while (l && *p == ' ') {
			p++;
			l--;
		}
		while (l && p[l - 1] == ' ')
			l--;
		if (l == wl && strncasecmp(p, want, wl) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static bool order_term(const struct bh_shp_sterm *t, const struct bh_shp_order *o)
{
	const char *v = t->text;
	switch (t->f) {
	case SF_UPDATED:
		return in_range(t, o->updated.t);
	case SF_CREATED:
		return in_range(t, o->created.t);
	case SF_PROCESSED:
		return in_range(t, o->processed.t);
	case SF_ID:
		return in_range(t, o->id);
	case SF_NAME:
		return o->name && (strcasecmp(o->name, v) == 0 ||
				   (o->name[0] == '#' && strcasecmp(o->name + 1, v) == 0));
	case SF_STATUS:
		if (strcasecmp(v, "open") == 0)
			return !o->closed.set && !o->cancelled.set;
		if (strcasecmp(v, "closed") == 0)
			return o->closed.set;
		if (strcasecmp(v, "cancelled") == 0)
			return o->cancelled.set;
		return strcasecmp(v, "any") == 0;
	case SF_FIN:
		return o->financial_status && strcasecmp(o->financial_status, v) == 0;
	case SF_FUL: {
		const char *fs = o->fulfillment_status;
		if (strcasecmp(v, "any") == 0)
			return true;
		if (strcasecmp(v, "shipped") == 0 || strcasecmp(v, "fulfilled") == 0)
			return fs && strcmp(fs, "fulfilled") == 0;
		if (strcasecmp(v, "partial") == 0)
			return fs && strcmp(fs, "partial") == 0;
		if (strcasecmp(v, "unshipped") == 0 || strcasecmp(v, "unfulfilled") == 0)
			return !fs || strcmp(fs, "unfulfilled") == 0;
		return false;
	}
	case SF_EMAIL:
		return o->email && strcasecmp(o->email, v) == 0;
	case SF_TAG:
		return has_tag(o->tags, v);
	case SF_TEST:
		return o->test == (strcasecmp(v, "true") == 0);
	case SF_SKU:
		for (size_t i = 0; i < o->nlines; i++)
			if (o->lines[i].sku && strcasecmp(o->lines[i].sku, v) == 0)
				return true;
		return false;
	case SF_GATEWAY:
		for (size_t i = 0; i < o->ngateways; i++)
			if (strcasecmp(o->gateways[i], v) == 0)
				return true;
		return false;
	case SF_TEXT:
		return (o->name && (strcasestr(o->name, v) != NULL)) ||
		       (o->email && strcasestr(o->email, v) != NULL) || has_tag(o->tags, v);
	default:
		return false;
	}
}

static bool gift_term(const struct bh_shp_sterm *t, const struct bh_shp_giftcard *g)
{
	switch (t->f) {
	case SF_UPDATED:
		return in_range(t, g->updated.t);
	case SF_CREATED:
		return in_range(t, g->created.t);
	case SF_ID:
		return in_range(t, g->id);
	case SF_CUSTOMER_ID:
		return in_range(t, g->customer_id);
	case SF_STATUS:
		if (strcasecmp(t->text, "enabled") == 0)
			return !g->disabled.set;
		if (strcasecmp(t->text, "disabled") == 0)
			return g->disabled.set;
		return false;
	default:
		return false;
	}
}

bool bh_shp_search_order(const struct bh_shp_search *q, const struct bh_shp_order *o)
{
	size_t start = 0;
	if (!q || !q->n)
		return true;
	for (size_t g = 0; g < q->ngroups; g++) {
		bool all = q->group_end[g] > start || q->ngroups == 1;
		for (size_t i = start; i < q->group_end[g] && all; i++)
			all = order_term(&q->terms[i], o) != q->terms[i].neg;
		if (all)
			return true;
		start = q->group_end[g];
	}
	return false;
}

bool bh_shp_search_giftcard(const struct bh_shp_search *q, const struct bh_shp_giftcard *g)
{
	size_t start = 0;
	if (!q || !q->n)
		return true;
	for (size_t k = 0; k < q->ngroups; k++) {
		bool all = q->group_end[k] > start || q->ngroups == 1;
		for (size_t i = start; i < q->group_end[k] && all; i++)
			all = gift_term(&q->terms[i], g) != q->terms[i].neg;
		if (all)
			return true;
		start = q->group_end[k];
	}
	return false;
}

void bh_shp_search_range(const struct bh_shp_search *q, enum bh_shp_sfield f, bool *has_lo,
			 int64_t *lo, bool *has_hi, int64_t *hi)
{
	*has_lo = *has_hi = false;
	if (!q || q->ngroups != 1)
		return;
	for (size_t i = 0; i < q->n; i++) {
		const struct bh_shp_sterm *t = &q->terms[i];
		if (t->f != f || t->neg)
			continue;
		if (t->has_lo && (!*has_lo || t->lo > *lo)) {
			*has_lo = true;
			*lo = t->lo;
		}
		if (t->has_hi && (!*has_hi || t->hi < *hi)) {
			*has_hi = true;
			*hi = t->hi;
		}
	}
}

/* ---------------------------------------------------------------- cursors */

char *bh_shp_cursor_make(struct bh_shp_gctx *c, int64_t id, int64_t value, bool is_time)
{
	char json[160], *b64, *out;
	if (is_time) {
		char t[40];
		bh_shp_time_fmt_utc(value, t);
		t[10] = ' ';
		t[19] = 0;
		snprintf(json, sizeof(json), "{\"last_id\":%" PRId64 ",\"last_value\":\"%s.000000\"}",
			 id, t);
	} else {
		snprintf(json, sizeof(json), "{\"last_id\":%" PRId64 ",\"last_value\":%" PRId64 "}",
			 id, value);
	}
	b64 = bh_shp_b64(json, strlen(json), false);
	if (!b64)
		return NULL;
	out = bh_gql_strndup(c->a, b64, strlen(b64));
	free(b64);
	return out;
}

int bh_shp_cursor_parse(const char *cur, bool is_time, int64_t *id, int64_t *value)
{
	size_t n = 0;
	char *dec = bh_shp_unb64(cur, &n);
	struct json_object *j = dec ? json_tokener_parse(dec) : NULL, *v;
	int rc = -1;
	free(dec);
	if (!j || bh_shp_ji64(j, "last_id", id) != 1 || !json_object_object_get_ex(j, "last_value", &v))
		goto out;
	if (is_time) {
		struct bh_shp_time t;
		if (!json_object_is_type(v, json_type_string) ||
		    bh_shp_time_parse(json_object_get_string(v), &t))
			goto out;
		*value = t.t;
	} else {
		if (!json_object_is_type(v, json_type_int))
			goto out;
		*value = json_object_get_int64(v);
	}
	rc = 0;
out:
	json_object_put(j);
	return rc;
}
