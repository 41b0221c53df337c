/*
 * shopify_storefront.c - the `storefront` capability (sdk/include/backhaul/storefront.h):
 * get_order, find_order_by_name, list_orders, answering canonical order/1 JSON.
 *
 * Capability calls never sleep on 429/5xx/timeouts: they return BH_ERETRY with the
 * advised delay in st->retry_after_ms (the flow's retry policy takes over). A THROTTLED
 * answer is waited out inline when the advertised wait is at most max_wait.
 *
 * Ownership: *out is malloc'd for the caller. Threading: any worker thread, concurrently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

/* Internal codes -> the capability contract (capability.h). */
static int contract(int rc, struct bh_status *st)
{
	switch (rc) {
	case BH_OK:
	case BH_ERETRY:
	case BH_EREJECT:
	case BH_EAUTH:
	case BH_ENOENT:
		return rc;
	case BH_EINVAL:
	case BH_ETOOBIG:
		return BH_EREJECT;
	default:
		if (st && !st->message[0])
			bh_shopify_status(st, st->http_status, "ERROR", "Shopify call failed (%d)", rc);
		if (st && st->retry_after_ms <= 0)
			st->retry_after_ms = 1000;
		return BH_ERETRY;
	}
}

static char *dump(json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	return t ? strdup(t) : NULL;
}

static int get_canonical(struct bh_shopify *s, const char *id, struct bh_status *st,
			 json_object **out)
{
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_CALL, .st = st};
	json_object *node = NULL;
	int rc = bh_shopify_fetch_order(s, id, &call, &node);
	if (rc == BH_OK)
		rc = bh_shopify_canonical(s, node, &call, out);
	json_object_put(node);
	return rc;
}

static int sf_get_order(void *ctx, const char *order_id, char **out, struct bh_status *st)
{
	struct bh_status local;
	json_object *o = NULL;
	int rc;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	*out = NULL;
	rc = get_canonical(ctx, order_id, st, &o);
	if (rc == BH_OK) {
		*out = dump(o);
		rc = *out ? BH_OK : BH_ENOMEM;
	}
	json_object_put(o);
	return contract(rc, st);
}

static int sf_find_order_by_name(void *ctx, const char *name, char **out, struct bh_status *st)
{
	struct bh_shopify *s = ctx;
	struct bh_status local;
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_CALL};
	char id[32], exact[128];
	json_object *o = NULL;
	int rc;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	call.st = st;
	*out = NULL;
	rc = bh_shopify_find_name(s, name, &call, id, sizeof(id), exact, sizeof(exact));
	if (rc == BH_OK)
		rc = get_canonical(s, id, st, &o);
	if (rc == BH_OK) {
		*out = dump(o);
		rc = *out ? BH_OK : BH_ENOMEM;
	}
	json_object_put(o);
	return contract(rc, st);
}

static int sf_list_orders(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct bh_shopify *s = ctx;
	struct bh_status local;
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_CALL};
	struct bh_shopify_page pg = {0};
	json_object *q, *res = NULL, *arr;
	const char *min, *cursor;
	char search[96], norm[32];
	int limit = 50, rc;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	call.st = st;
	*out = NULL;
	q = query ? json_tokener_parse(query) : NULL;
	if (!q || !json_object_is_type(q, json_type_object)) {
		json_object_put(q);
		bh_shopify_status(st, 0, "BAD_QUERY", "list_orders query must be a JSON object");
		return BH_EREJECT;
	}
	min = bh_shopify_str(q, "updated_at_min");
	cursor = bh_shopify_str(q, "cursor");
	if (bh_shopify_get(q, "limit")) {
		limit = json_object_get_int(bh_shopify_get(q, "limit"));
		if (limit < 1 || limit > 250) {
			json_object_put(q);
			bh_shopify_status(st, 0, "BAD_QUERY", "limit must be 1..250");
			return BH_EREJECT;
		}
	}
	if (min && bh_shopify_time_utc(min, norm, sizeof(norm)) != BH_OK) {
		json_object_put(q);
		bh_shopify_status(st, 0, "BAD_QUERY", "updated_at_min must be an RFC 3339 time");
		return BH_EREJECT;
	}
	if (min)
		snprintf(search, sizeof(search), "updated_at:>='%s'", norm);
	rc = bh_shopify_fetch_page(s, min ? search : NULL, cursor, limit, &call, &pg);
	json_object_put(q);
	if (rc)
		return contract(rc, st);
	res = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(res, "orders", arr);
	for (size_t i = 0; i < json_object_array_length(pg.orders); i++) {
		json_object *o = NULL;
		rc = bh_shopify_canonical(s, json_object_array_get_idx(pg.orders, i), &call, &o);
		if (rc)
			break;
		json_object_array_add(arr, o);
	}
	json_object_object_add(res, "next_cursor",
			       pg.has_next && pg.end_cursor ? json_object_new_string(pg.end_cursor)
							    : NULL);
	bh_shopify_page_free(&pg);
	if (rc == BH_OK) {
		*out = dump(res);
		rc = *out ? BH_OK : BH_ENOMEM;
	}
	json_object_put(res);
	return contract(rc, st);
}

const struct bh_storefront_ops bh_shopify_storefront_ops = {
	.size = sizeof(struct bh_storefront_ops),
	.get_order = sf_get_order,
	.find_order_by_name = sf_find_order_by_name,
	.list_orders = sf_list_orders,
};
