/*
 * shopify_exchange.c - the canonical order of a fetched node, with the exchange link.
 *
 * An exchange order made by the returns portal is recognised by the mapper (name
 * prefix, default "EXC", and/or a configured tag); its original order is found by name
 * through the storefront API: "EXC1004" -> "#1004" (exchange_original_prefix + the
 * rest of the name); a further exchange "EXC1004-2" tries "#1004-2", then "#1004".
 * When no such order exists, original_order_id stays null (RECORDS.md: the flow
 * retries); a transient failure of the lookup fails the whole call so that the record
 * is not emitted without its link.
 *
 * Ownership: node borrowed, *out new. Threading: any thread.
 */
#include <stdio.h>
#include <string.h>

#include "shopify.h"

int bh_shopify_canonical(struct bh_shopify *s, json_object *node, struct bh_shopify_call *call,
			 json_object **out)
{
	char err[200], orig[128], alt[128], id[32], exact[128];
	json_object *o = NULL, *ex;
	int rc = bh_shopify_map_order(&s->map, node, &o, err, sizeof(err));
	*out = NULL;
	if (rc) {
		bh_shopify_status(call ? call->st : NULL, 200, "UNMAPPABLE", "order %s: %s",
				  bh_shopify_str(node, "id") ? bh_shopify_str(node, "id") : "?", err);
		return rc;
	}
	ex = bh_shopify_get(o, "exchange");
	if (ex && !json_object_is_type(ex, json_type_null) &&
	    bh_shopify_exchange_of(&s->map, bh_shopify_str(o, "name"), bh_shopify_get(o, "tags"),
				   orig, sizeof(orig), alt, sizeof(alt)) &&
	    orig[0]) {
		rc = bh_shopify_find_name(s, orig, call, id, sizeof(id), exact, sizeof(exact));
		if (rc == BH_ENOENT && alt[0])
			rc = bh_shopify_find_name(s, alt, call, id, sizeof(id), exact, sizeof(exact));
		if (rc == BH_OK) {
			json_object_object_add(ex, "original_order_id", json_object_new_string(id));
			json_object_object_add(ex, "original_order_name", json_object_new_string(exact));
		} else if (rc == BH_ENOENT) {
			bh_plg_warn(s->host, s->inst, "exchange order %s: no original order named %s",
				    bh_shopify_str(o, "name"), orig);
		} else {
			json_object_put(o);
			return rc;
		}
	}
	*out = o;
	return BH_OK;
}
