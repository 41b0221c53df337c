/*
 * nsr_items.c - items by SKU for the netsuite-rest plugin.
 *
 * SKUs live in a configurable item field (sku_field: "itemId" by default, or a custom
 * field such as "custitem_shopify_sku"); lookups use SuiteQL on the item table, 50
 * SKUs per query. Found SKUs are cached (SKU -> internal id; at most item_cache_size
 * entries, the oldest evicted first) for item_cache_ttl; an
 * unknown SKU is never cached, so creating the item in NetSuite and replaying the
 * record succeeds at once. When several items carry the same SKU the active one wins.
 *
 * Ownership: netsuite-rest plugin. Threading: the cache is guarded by items_lock, held
 * only around cache reads and writes (never across a request).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "nsr.h"

#define CHUNK 50

/* ------------------------------------------------------------------ map */

int bh_nsr_map_add(struct bh_nsr_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->key[i], key) == 0)
			return BH_OK;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 8;
		char **nk = realloc(m->key, nc * sizeof(*nk));
		if (!nk)
			return BH_ENOMEM;
		m->key = nk;
		char **nv = realloc(m->val, nc * sizeof(*nv));
		if (!nv)
			return BH_ENOMEM;
		m->val = nv;
		m->cap = nc;
	}
	m->key[m->n] = strdup(key);
	if (!m->key[m->n])
		return BH_ENOMEM;
	m->val[m->n++] = NULL;
	return BH_OK;
}

const char *bh_nsr_map_get(const struct bh_nsr_map *m, const char *key)
{
	for (size_t i = 0; key && i < m->n; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

void bh_nsr_map_free(struct bh_nsr_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->key[i]);
		free(m->val[i]);
	}
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

void bh_nsr_column(char *buf, size_t len, const char *field)
{
	size_t i = 0;
	for (; field && field[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)field[i]);
	buf[i] = '\0';
}

/* ------------------------------------------------------------------ cache */

static char *cache_get(struct bh_nsr *c, const char *sku)
{
	char *id = NULL;
	int64_t now = c->host->mono_ms();
	pthread_mutex_lock(&c->items_lock);
	for (size_t i = 0; i < c->n_cache; i++) {
		struct bh_nsr_cache_entry *e = &c->cache[i];
		if (strcmp(e->sku, sku) != 0)
			continue;
		if (now - e->at_ms <= c->item_cache_ttl_ms)
			id = strdup(e->id);
		break;
	}
	pthread_mutex_unlock(&c->items_lock);
	return id;
}

static char *cache_sku_of(struct bh_nsr *c, const char *id)
{
	char *sku = NULL;
	int64_t now = c->host->mono_ms();
	pthread_mutex_lock(&c->items_lock);
	for (size_t i = 0; i < c->n_cache; i++) {
		struct bh_nsr_cache_entry *e = &c->cache[i];
		if (strcmp(e->id, id) == 0 && now - e->at_ms <= c->item_cache_ttl_ms) {
			sku = strdup(e->sku);
			break;
		}
	}
	pthread_mutex_unlock(&c->items_lock);
	return sku;
}

static void cache_put(struct bh_nsr *c, const char *sku, const char *id)
{
	int64_t now = c->host->mono_ms();
	pthread_mutex_lock(&c->items_lock);
	for (size_t i = 0; i < c->n_cache; i++) {
		struct bh_nsr_cache_entry *e = &c->cache[i];
		if (strcmp(e->sku, sku) == 0) {
			char *nid = strdup(id);
			if (nid) {
				free(e->id);
				e->id = nid;
				e->at_ms = now;
			}
			goto out;
		}
	}
	if (c->n_cache >= (size_t)c->item_cache_size && c->n_cache > 0) {
		/* full: the oldest entry makes room */
		size_t old = 0;
		for (size_t i = 1; i < c->n_cache; i++)
			if (c->cache[i].at_ms < c->cache[old].at_ms)
				old = i;
		free(c->cache[old].sku);
		free(c->cache[old].id);
		c->cache[old] = c->cache[--c->n_cache];
	}
	if (c->n_cache == c->cap_cache) {
		size_t nc = c->cap_cache ? c->cap_cache * 2 : 64;
		struct bh_nsr_cache_entry *ne = realloc(c->cache, nc * sizeof(*ne));
		if (!ne)
			goto out;
		c->cache = ne;
		c->cap_cache = nc;
	}
	struct bh_nsr_cache_entry *e = &c->cache[c->n_cache];
	e->sku = strdup(sku);
	e->id = strdup(id);
	e->at_ms = now;
	if (e->sku && e->id) {
		c->n_cache++;
	} else {
		free(e->sku);
		free(e->id);
	}
out:
	pthread_mutex_unlock(&c->items_lock);
}

void bh_nsr_items_clear(struct bh_nsr *c)
{
	for (size_t i = 0; i < c->n_cache; i++) {
		free(c->cache[i].sku);
		free(c->cache[i].id);
	}
	free(c->cache);
	c->cache = NULL;
	c->n_cache = c->cap_cache = 0;
}

/* ------------------------------------------------------------------ lookups */

/* Run "SELECT id, itemid, <sku col> AS sku, isinactive FROM item WHERE <col> IN (?..)"
 * for keys[from..to) of m. */
static int query_chunk(struct bh_nsr *c, const char *col, struct bh_nsr_map *m, size_t from,
		       size_t to, struct json_object **rows, struct bh_status *st)
{
	char q[1024 + CHUNK * 3];
	struct json_object *params = json_object_new_array();
	bool more = false;
	int rc;
	size_t len;

	if (!params)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	len = (size_t)snprintf(q, sizeof(q),
			       "SELECT id, itemid, %s AS sku, isinactive FROM item WHERE %s IN (",
			       c->sku_col, col);
	for (size_t i = from; i < to && len + 40 < sizeof(q); i++) {
		bool digits = strcmp(col, "id") == 0 && m->key[i][0] && strlen(m->key[i]) < 20;
		for (const char *p = m->key[i]; digits && *p; p++)
			digits = isdigit((unsigned char)*p) != 0;
		if (strcmp(col, "id") == 0 && !digits)
			continue;   /* not an internal id: cannot match */
		if (digits) {
			/* internal ids are numbers: inline them (validated digits) */
			len += (size_t)snprintf(q + len, sizeof(q) - len, "%s%s",
						i > from && q[len - 1] != '(' ? ", " : "",
						m->key[i]);
			continue;
		}
		len += (size_t)snprintf(q + len, sizeof(q) - len, "%s?",
					q[len - 1] != '(' ? ", " : "");
		json_object_array_add(params, json_object_new_string(m->key[i]));
	}
	if (q[len - 1] == '(') {
		/* nothing to look up */
		json_object_put(params);
		*rows = json_object_new_array();
		return *rows ? BH_OK : bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	snprintf(q + len, sizeof(q) - len, ") ORDER BY id");
	rc = bh_nsr_suiteql(c, q, params, 1000, 0, rows, &more, st);
	json_object_put(params);
	return rc;
}

int bh_nsr_items_resolve(struct bh_nsr *c, struct bh_nsr_map *m, struct bh_status *st)
{
	size_t todo = 0;
	int rc = BH_OK;

	for (size_t i = 0; i < m->n; i++) {
		if (!m->val[i])
			m->val[i] = cache_get(c, m->key[i]);
		if (!m->val[i])
			todo++;
	}
	if (todo == 0)
		return BH_OK;

	/* query the missing ones in chunks; collect them into a separate map */
	struct bh_nsr_map miss = {0};
	for (size_t i = 0; i < m->n; i++)
		if (!m->val[i] && bh_nsr_map_add(&miss, m->key[i]) != BH_OK) {
			bh_nsr_map_free(&miss);
			return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		}
	for (size_t from = 0; from < miss.n && rc == BH_OK; from += CHUNK) {
		size_t to = from + CHUNK < miss.n ? from + CHUNK : miss.n;
		struct json_object *rows = NULL;
		rc = query_chunk(c, c->sku_col, &miss, from, to, &rows, st);
		if (rc != BH_OK)
			break;
		for (size_t i = from; i < to; i++) {
			const char *best = NULL;
			bool best_active = false;
			for (size_t r = 0; r < json_object_array_length(rows); r++) {
				struct json_object *row = json_object_array_get_idx(rows, r);
				const char *sku = bh_nsr_jstr(row, "sku");
				const char *id = bh_nsr_jstr(row, "id");
				bool active = !bh_nsr_jbool(row, "isinactive", false);
				if (!sku || !id || strcasecmp(sku, miss.key[i]) != 0)
					continue;
				if (!best || (active && !best_active)) {
					best = id;
					best_active = active;
				}
			}
			if (best) {
				miss.val[i] = strdup(best);
				cache_put(c, miss.key[i], best);
			}
		}
		json_object_put(rows);
	}
	if (rc == BH_OK) {
		char unknown[700] = "";
		size_t n_unknown = 0;
		for (size_t i = 0; i < m->n; i++) {
			if (m->val[i])
				continue;
			const char *id = bh_nsr_map_get(&miss, m->key[i]);
			if (!id) {
				/* every unknown SKU is named, not only the first */
				size_t w = strlen(unknown);
				c->host->counter_add(c->inst, "unknown_skus", 1);
				snprintf(unknown + w, sizeof(unknown) - w,
					 "%sunknown SKU '%s': no NetSuite item has %s = '%s'",
					 n_unknown++ ? "; " : "", m->key[i], c->sku_field, m->key[i]);
				continue;
			}
			m->val[i] = strdup(id);
			if (!m->val[i]) {
				rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
				break;
			}
		}
		if (rc == BH_OK && n_unknown)
			rc = bh_nsr_fail(st, BH_EREJECT, "UNKNOWN_SKU", "%s", unknown);
	}
	bh_nsr_map_free(&miss);
	return rc;
}

int bh_nsr_items_skus(struct bh_nsr *c, struct bh_nsr_map *m, struct bh_status *st)
{
	struct bh_nsr_map miss = {0};
	int rc = BH_OK;

	for (size_t i = 0; i < m->n; i++) {
		if (!m->val[i])
			m->val[i] = cache_sku_of(c, m->key[i]);
		if (!m->val[i] && bh_nsr_map_add(&miss, m->key[i]) != BH_OK) {
			bh_nsr_map_free(&miss);
			return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		}
	}
	for (size_t from = 0; from < miss.n && rc == BH_OK; from += CHUNK) {
		size_t to = from + CHUNK < miss.n ? from + CHUNK : miss.n;
		struct json_object *rows = NULL;
		rc = query_chunk(c, "id", &miss, from, to, &rows, st);
		if (rc != BH_OK)
			break;
		for (size_t r = 0; r < json_object_array_length(rows); r++) {
			struct json_object *row = json_object_array_get_idx(rows, r);
			const char *id = bh_nsr_jstr(row, "id");
			const char *sku = bh_nsr_jstr(row, "sku");
			const char *shown = sku ? sku : bh_nsr_jstr(row, "itemid");
			for (size_t i = 0; id && shown && i < m->n; i++) {
				if (m->val[i] || strcmp(m->key[i], id) != 0)
					continue;
				m->val[i] = strdup(shown);
			}
			if (id && sku)
				cache_put(c, sku, id);
		}
		json_object_put(rows);
	}
	bh_nsr_map_free(&miss);
	return rc;
}
