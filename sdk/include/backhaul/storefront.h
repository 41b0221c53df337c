/**
 * @file storefront.h
 * @brief The `storefront` capability: read access to orders (Shopify and the like).
 *
 * See capability.h for return codes, bh_status and ownership. Orders are canonical
 * `order` JSON objects (sdk/RECORDS.md); ids are decimal strings, exact beyond 2^53.
 */
#ifndef BACKHAUL_STOREFRONT_H
#define BACKHAUL_STOREFRONT_H

#include <backhaul/capability.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_CAP_STOREFRONT "storefront"

struct bh_storefront_ops {
	uint32_t size;  /**< sizeof(struct bh_storefront_ops) of the implementer */

	/** One order by the storefront's order id. *out = canonical order JSON.
	 *  BH_ENOENT when it does not exist. Read-only and idempotent. */
	int (*get_order)(void *ctx, const char *order_id, char **out, struct bh_status *st);

	/** One order by its name ("#1001", "EXC1004"). Same contract as get_order. */
	int (*find_order_by_name)(void *ctx, const char *name, char **out,
				  struct bh_status *st);

	/** Orders updated at or after `query.updated_at_min` (RFC 3339), one page:
	 *  query = {"updated_at_min": str, "cursor": str|null, "limit": int};
	 *  *out = {"orders": [order...], "next_cursor": str|null}. Read-only. */
	int (*list_orders)(void *ctx, const char *query, char **out, struct bh_status *st);
};

#ifdef __cplusplus
}
#endif
#endif
