/*
 * nssoap_items.c - items by SKU: the SKU lives in the configured item field (`sku_field`:
 * "itemId" by default, or a custitem_* custom field). Lookups go through a bounded cache
 * (item_cache_size entries, item_cache_ttl each; the oldest entry is replaced when
 * full) that also answers the reverse question (internal id -> SKU) needed to report
 * lines by SKU. Unknown SKUs are never cached, so an item created later is found at
 * once (a replayed dead letter succeeds).
 *
 * Ownership: netsuite-soap plugin. Threading: the cache is guarded by its mutex; remote
 * lookups run outside it (two threads may look up the same SKU at once; both store the
 * same answer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nssoap.h"

struct ent {
	char *sku, *iid;
	int64_t expires;
};

struct bh_nss_items {
	pthread_mutex_t mu;
	struct ent *v;
	size_t cap, n, next;
	int64_t ttl;
};

int bh_nss_items_new(size_t cap, int64_t ttl_ms, struct bh_nss_items **out)
{
	struct bh_nss_items *it = calloc(1, sizeof(*it));
	if (!it)
		return BH_ENOMEM;
	it->cap = cap ? cap : 1;
	it->ttl = ttl_ms;
	it->v = calloc(it->cap, sizeof(*it->v));
	if (!it->v || pthread_mutex_init(&it->mu, NULL) != 0) {
		free(it->v);
		free(it);
		return BH_ENOMEM;
	}
	*out = it;
	return BH_OK;
}

void bh_nss_items_free(struct bh_nss_items *it)
{
	if (!it)
		return;
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].sku);
		free(it->v[i].iid);
	}
	free(it->v);
	pthread_mutex_destroy(&it->mu);
	free(it);
}

/* Look up by sku (by_sku) or by internal id; copies the other side into out. */
static bool cache_get(struct bh_nss_items *it, int64_t now, const char *key, bool by_sku, char *out,
		      size_t len)
{
	bool hit = false;
	pthread_mutex_lock(&it->mu);
	for (size_t i = 0; i < it->n && !hit; i++) {
		struct ent *e = &it->v[i];
		if (e->expires < now || strcmp(by_sku ? e->sku : e->iid, key) != 0)
			continue;
		snprintf(out, len, "%s", by_sku ? e->iid : e->sku);
		hit = true;
	}
	pthread_mutex_unlock(&it->mu);
	return hit;
}

static void cache_put(struct bh_nss_items *it, int64_t now, const char *sku, const char *iid)
{
	char *s = strdup(sku), *d = strdup(iid);
	if (!s || !d) {
		free(s);
		free(d);
		return;
	}
	pthread_mutex_lock(&it->mu);
	struct ent *e = NULL;
	for (size_t i = 0; i < it->n && !e; i++)
		if (!strcmp(it->v[i].sku, sku) || !strcmp(it->v[i].iid, iid))
			e = &it->v[i];
	if (!e) {
		if (it->n < it->cap) {
			e = &it->v[it->n++];
		} else {
			e = &it->v[it->next];
			it->next = (it->next + 1) % it->cap;
		}
	}
	free(e->sku);
	free(e->iid);
	e->sku = s;
	e->iid = d;
	e->expires = now + it->ttl;
	pthread_mutex_unlock(&it->mu);
}

static bool sku_is_item_id(const struct bh_nss *c)
{
	return !strcmp(c->sku_field, "itemId");
}

/* The SKU of an item record (the configured field). */
static const char *rec_sku(const struct bh_nss *c, const struct bh_nss_rec *r)
{
	return sku_is_item_id(c) ? r->item_id : bh_nss_rec_cf(r, c->sku_field);
}

int bh_nss_item_iid(struct bh_nss *c, const char *sku, char *iid, size_t len,
		    struct bh_status *st)
{
	struct bh_nss_req q;
	struct bh_nss_page pg;
	xmlNodePtr basic;
	int64_t now = c->host->mono_ms();
	int rc;

	if (!sku || !*sku) {
		bh_nss_status_set(st, -1, "UNKNOWN_SKU", "a line has no SKU (item field %s)",
				  c->sku_field);
		return BH_EREJECT;
	}
	if (cache_get(c->items, now, sku, true, iid, len))
		return BH_OK;
	if ((rc = bh_nss_search_new(&q, c, "platformCommon:ItemSearchBasic", true, &basic)) != BH_OK)
		return rc;
	xmlNodePtr ok = sku_is_item_id(c) ? bh_nss_crit_string(&q, basic, "itemId", "is", sku)
					  : bh_nss_crit_cf_string(&q, basic, c->sku_field, "is", sku);
	if (!ok) {
		bh_nss_req_free(&q);
		return BH_ENOMEM;
	}
	rc = bh_nss_search_run(c, &q, &pg, st);
	bh_nss_req_free(&q);
	if (rc != BH_OK)
		return rc;
	const struct bh_nss_rec *found = NULL;
	/* "is" is case-insensitive in NetSuite: prefer the exact spelling */
	for (size_t i = 0; i < pg.n && !found; i++) {
		const char *s = rec_sku(c, &pg.recs[i]);
		if (s && !strcmp(s, sku) && pg.recs[i].internal_id)
			found = &pg.recs[i];
	}
	for (size_t i = 0; i < pg.n && !found; i++)
		if (pg.recs[i].internal_id)
			found = &pg.recs[i];
	if (!found) {
		bh_nss_page_clear(&pg);
		bh_nss_status_set(st, -1, "UNKNOWN_SKU",
				  "SKU '%s' is not an item in NetSuite (matched on item field %s)", sku,
				  c->sku_field);
		return BH_EREJECT;
	}
	snprintf(iid, len, "%s", found->internal_id);
	cache_put(c->items, now, sku, found->internal_id);
	bh_nss_page_clear(&pg);
	return BH_OK;
}

int bh_nss_item_skus(struct bh_nss *c, const char *const *iids, size_t n, char **skus,
		     struct bh_status *st)
{
	int64_t now = c->host->mono_ms();
	const char **miss = calloc(n ? n : 1, sizeof(*miss));
	size_t n_miss = 0;
	int rc = BH_OK;

	if (!miss)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		skus[i] = NULL;
		if (!iids[i])
			continue;
		if (cache_get(c->items, now, iids[i], false, buf, sizeof(buf))) {
			skus[i] = strdup(buf);
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < n_miss && !dup; k++)
			dup = !strcmp(miss[k], iids[i]);
		if (!dup)
			miss[n_miss++] = iids[i];
	}
	if (n_miss) {
		struct bh_nss_req q;
		struct bh_nss_page pg;
		xmlNodePtr basic;
		if ((rc = bh_nss_search_new(&q, c, "platformCommon:ItemSearchBasic", true, &basic)) != BH_OK)
			goto out;
		if (!bh_nss_crit_refs(&q, basic, "internalId", miss, n_miss)) {
			bh_nss_req_free(&q);
			rc = BH_ENOMEM;
			goto out;
		}
		rc = bh_nss_search_run(c, &q, &pg, st);
		bh_nss_req_free(&q);
		while (rc == BH_OK) {
			for (size_t k = 0; k < pg.n; k++) {
				const char *s = rec_sku(c, &pg.recs[k]);
				if (!s || !pg.recs[k].internal_id)
					continue;
				cache_put(c->items, now, s, pg.recs[k].internal_id);
				for (size_t i = 0; i < n; i++)
					if (!skus[i] && iids[i] && !strcmp(iids[i], pg.recs[k].internal_id))
						skus[i] = strdup(s);
			}
			int next = pg.page_index + 1, pages = pg.total_pages;
			char sid[sizeof(pg.search_id)];
			snprintf(sid, sizeof(sid), "%s", pg.search_id);
			bh_nss_page_clear(&pg);
			if (next > pages || !sid[0])
				break;
			rc = bh_nss_search_more(c, sid, next, true, &pg, st);
		}
		if (rc != BH_OK)
			goto out;
	}
out:
	free(miss);
	return rc;
}
