/*
 * sim_shopify_store.c - the Shopify simulator's order indexes and cursor paging.
 *
 * Purpose: four arrays of order pointers, each sorted by (key, id) for the keys id,
 * created_at, updated_at and processed_at. Lookups by id and cursor positioning are
 * binary searches; a page walks the chosen index from the cursor, so paging is
 * O(log n + page) when the filter matches. Only updated_at changes after an order is
 * added: callers unlink the order from that index before changing it and relink after.
 * Also the base64/base64url helpers used for opaque cursors.
 *
 * Ownership: the indexes own the orders (freed by bh_shp_store_clear).
 * Threading: callers hold the service's data lock (shared for reads, exclusive for
 * add/unlink/relink/clear).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <backhaul/errors.h>

#include "sim_shopify.h"

int64_t bh_shp_sort_value(const struct bh_shp_order *o, enum bh_shp_sort k)
{
	switch (k) {
	case BH_SHP_SORT_CREATED:
		return o->created.t;
	case BH_SHP_SORT_UPDATED:
		return o->updated.t;
	case BH_SHP_SORT_PROCESSED:
		return o->processed.t;
	case BH_SHP_SORT_ID:
	default:
		return o->id;
	}
}

static int cmp_key(const struct bh_shp_order *o, enum bh_shp_sort k, int64_t v, int64_t id)
{
	int64_t ov = bh_shp_sort_value(o, k);
	if (ov != v)
		return ov < v ? -1 : 1;
	if (o->id != id)
		return o->id < id ? -1 : 1;
	return 0;
}

/* first index whose (key,id) is > (v,id) (gt=true) or >= (gt=false) */
static size_t bound(struct bh_shp_order *const *a, size_t n, enum bh_shp_sort k, int64_t v,
		    int64_t id, bool gt)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(a[mid], k, v, id);
		if (c < 0 || (gt && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bh_shp_store_add(struct bh_shp_svc *s, struct bh_shp_order *o)
{
	if (bh_shp_store_get(s, o->id))
		return BH_EEXIST;
	if (s->norders == s->caporders) {
		size_t nc = s->caporders ? s->caporders * 2 : 256;
		for (int k = 0; k < 4; k++) {
			struct bh_shp_order **n = realloc(s->idx[k], nc * sizeof(*n));
			if (!n)
				return BH_ENOMEM;
			s->idx[k] = n;
		}
		s->caporders = nc;
	}
	for (int k = 0; k < 4; k++) {
		struct bh_shp_order **a = s->idx[k];
		size_t pos = bound(a, s->norders, (enum bh_shp_sort)k,
				   bh_shp_sort_value(o, (enum bh_shp_sort)k), o->id, false);
		memmove(&a[pos + 1], &a[pos], (s->norders - pos) * sizeof(*a));
		a[pos] = o;
	}
	s->norders++;
	return 0;
}

struct bh_shp_order *bh_shp_store_get(const struct bh_shp_svc *s, int64_t id)
{
	size_t pos;
	if (!s->norders)
		return NULL;
	pos = bound(s->idx[BH_SHP_SORT_ID], s->norders, BH_SHP_SORT_ID, id, id, false);
	if (pos < s->norders && s->idx[BH_SHP_SORT_ID][pos]->id == id)
		return s->idx[BH_SHP_SORT_ID][pos];
	return NULL;
}

void bh_shp_store_unlink(struct bh_shp_svc *s, struct bh_shp_order *o)
{
	struct bh_shp_order **a = s->idx[BH_SHP_SORT_UPDATED];
	size_t pos = bound(a, s->norders, BH_SHP_SORT_UPDATED, o->updated.t, o->id, false);
	if (pos < s->norders && a[pos] == o) {
		memmove(&a[pos], &a[pos + 1], (s->norders - pos - 1) * sizeof(*a));
		a[s->norders - 1] = NULL;
	}
}

void bh_shp_store_relink(struct bh_shp_svc *s, struct bh_shp_order *o)
{
	struct bh_shp_order **a = s->idx[BH_SHP_SORT_UPDATED];
	size_t n = s->norders - 1;  /* the order is missing from this index */
	size_t pos = bound(a, n, BH_SHP_SORT_UPDATED, o->updated.t, o->id, false);
	if (!bh_shp_store_get(s, o->id))
		return;
	memmove(&a[pos + 1], &a[pos], (n - pos) * sizeof(*a));
	a[pos] = o;
}

void bh_shp_store_clear(struct bh_shp_svc *s)
{
	for (size_t i = 0; i < s->norders; i++)
		bh_shp_order_free(s->idx[BH_SHP_SORT_ID][i]);
	for (int k = 0; k < 4; k++) {
		free(s->idx[k]);
		s->idx[k] = NULL;
	}
	s->norders = s->caporders = 0;
}

static bool in_range(const struct bh_shp_page_req *r, const struct bh_shp_order *o)
{
	int64_t v = bh_shp_sort_value(o, r->key);
	if (r->has_min && v < r->min)
		return false;
	if (r->has_max && v > r->max)
		return false;
	return true;
}

static bool keep(const struct bh_shp_page_req *r, const struct bh_shp_order *o)
{
	return in_range(r, o) && (!r->filter || r->filter(o, r->ud));
}

int bh_shp_store_page(const struct bh_shp_svc *s, const struct bh_shp_page_req *r,
		      struct bh_shp_page *out)
{
	struct bh_shp_order *const *a = s->idx[r->key];
	size_t n = s->norders;
	bool asc = r->desc == r->backward;  /* iterate the index ascending? */
	long long pos, start, step = asc ? 1 : -1;
	bool more = false, other = false;
	size_t got = 0;

	memset(out, 0, sizeof(*out));
	out->items = calloc(r->limit ? r->limit : 1, sizeof(*out->items));
	if (!out->items)
		return BH_ENOMEM;
	if (asc) {
		size_t p = r->has_cursor ? bound(a, n, r->key, r->cur_value, r->cur_id, true) : 0;
		if (r->has_min) {
			size_t m = bound(a, n, r->key, r->min, INT64_MIN, false);
			if (m > p)
				p = m;
		}
		pos = (long long)p;
	} else {
		size_t p = r->has_cursor ? bound(a, n, r->key, r->cur_value, r->cur_id, false) : n;
		if (r->has_max) {
			size_t m = bound(a, n, r->key, r->max, INT64_MAX, true);
			if (m < p)
				p = m;
		}
		pos = (long long)p - 1;
	}
	start = pos;
	for (; pos >= 0 && pos < (long long)n; pos += step) {
		const struct bh_shp_order *o = a[pos];
		int64_t v = bh_shp_sort_value(o, r->key);
		if (asc && r->has_max && v > r->max)
			break;
		if (!asc && r->has_min && v < r->min)
			break;
		if (!keep(r, o))
			continue;
		if (got == r->limit) {
			more = true;
			break;
		}
		out->items[got++] = o;
	}
	/* anything on the other side of the starting point? */
	for (pos = start - step; pos >= 0 && pos < (long long)n; pos -= step) {
		const struct bh_shp_order *o = a[pos];
		int64_t v = bh_shp_sort_value(o, r->key);
		if (asc && r->has_min && v < r->min)
			break;
		if (!asc && r->has_max && v > r->max)
			break;
		if (keep(r, o)) {
			other = true;
			break;
		}
	}
	out->n = got;
	if (r->backward) {
		for (size_t i = 0; i < got / 2; i++) {
			const struct bh_shp_order *t = out->items[i];
			out->items[i] = out->items[got - 1 - i];
			out->items[got - 1 - i] = t;
		}
		out->more_before = more;
		out->more_after = other;
	} else {
		out->more_after = more;
		out->more_before = other;
	}
	return 0;
}

char *bh_shp_b64(const void *data, size_t len, bool url)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(cap);
	int n;
	if (!out)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	out[n] = 0;
	if (url) {
		for (int i = 0; i < n; i++) {
			if (out[i] == '+')
				out[i] = '-';
			else if (out[i] == '/')
				out[i] = '_';
			else if (out[i] == '=') {
				out[i] = 0;
				break;
			}
		}
	}
	return out;
}

static int b64v(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *bh_shp_unb64(const char *s, size_t *len)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 3 / 4 + 4);
	uint32_t acc = 0;
	int bits = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;
		if (s[i] == '=')
			break;
		v = b64v(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = 0;
	if (len)
		*len = o;
	return out;
}
