/**
 * @file erp.h
 * @brief The `erp` capability: an ERP's order-to-cash-return documents (NetSuite).
 *
 * See capability.h for return codes, bh_status and ownership. Documents are canonical
 * JSON (sdk/RECORDS.md). Every write carries a deterministic `external_id` chosen by
 * the flow ("loop-ra-<return id>"); the implementation makes the write idempotent on it
 * (upsert, or read by external id before add, including before re-sending after a
 * timeout), so a repeated call returns the existing document instead of a duplicate.
 * Each write answers *out = {"internal_id": str, "external_id": str, "type": str, ...}.
 *
 * Two implementations ship: netsuite-soap and netsuite-rest. A flow never knows which.
 */
#ifndef BACKHAUL_ERP_H
#define BACKHAUL_ERP_H

#include <backhaul/capability.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_CAP_ERP "erp"

struct bh_erp_ops {
	uint32_t size;  /**< sizeof(struct bh_erp_ops) of the implementer */

	/** Find a sales order: query = {"external_id": str} or {"shopify_order_id": str}.
	 *  *out = canonical sales order with lines. BH_ENOENT when none. Read-only. */
	int (*find_sales_order)(void *ctx, const char *query, char **out, struct bh_status *st);

	/** Create or update a customer keyed by its external id. */
	int (*upsert_customer)(void *ctx, const char *customer, char **out, struct bh_status *st);

	/** Create or update a sales order keyed by its external id (lines by SKU). An
	 *  unknown SKU is BH_EREJECT with code "UNKNOWN_SKU" naming the SKU and the field. */
	int (*upsert_sales_order)(void *ctx, const char *order, char **out, struct bh_status *st);

	/** Create a return authorization from a sales order (initialize from the order, then
	 *  add with the given external id and lines). Idempotent on external_id. */
	int (*create_return_authorization)(void *ctx, const char *ra, char **out,
					   struct bh_status *st);

	/** Read an RA by {"external_id"} or {"internal_id"}: status, flag field, lines with
	 *  quantities received/billed and isClosed. BH_ENOENT when none. */
	int (*get_return_authorization)(void *ctx, const char *ref, char **out,
					struct bh_status *st);

	/** Item receipt from an RA (restock per line). Idempotent on external_id. */
	int (*create_item_receipt)(void *ctx, const char *receipt, char **out,
				   struct bh_status *st);

	/** Refund document from an RA: {"document": "cash_refund"|"credit_memo", ...}; a
	 *  credit memo may carry a customer refund. Idempotent on external_id. */
	int (*create_refund)(void *ctx, const char *refund, char **out, struct bh_status *st);

	/** Close every open line of an RA. Closing a closed RA succeeds. */
	int (*close_return_authorization)(void *ctx, const char *ref, char **out,
					  struct bh_status *st);

	/** Change feed, one page: feed is "item_receipts" (receipts on engine RAs),
	 *  "ra_closed" (RAs closed or cancelled) or "ra_flags" (RAs with the flag set);
	 *  cursor is the previous page's next_cursor or NULL for the start;
	 *  *out = {"records": [...], "next_cursor": str, "more": bool}. Read-only. */
	int (*changes)(void *ctx, const char *feed, const char *cursor, char **out,
		       struct bh_status *st);

	/* Appended after 1.0 (ABI-compatible): callers check `size` and NULL first. */

	/** Read-only, for `backhaul report`: every transaction created from the given one,
	 *  directly or through another (sales order -> billing, fulfilments, RAs; RA ->
	 *  receipts, refunds; credit memo -> customer refund), and exchange sales orders
	 *  linked to it. ref = {"internal_id"} or {"external_id"} of a transaction;
	 *  *out = {"transactions": [...]} (sdk/RECORDS.md, "Read-only operations for
	 *  `backhaul report`").
	 *  BH_ENOENT when the transaction itself does not exist. May be NULL. */
	int (*related_transactions)(void *ctx, const char *ref, char **out,
				    struct bh_status *st);

	/** Read-only: do these items exist? query = {"skus": ["TEE-BLK-M", ...]}. BH_OK
	 *  with *out = {"items": [{"sku": str, "internal_id": str}, ...]} when every SKU is
	 *  known; BH_EREJECT with code "UNKNOWN_SKU" naming every unknown SKU and the item
	 *  field searched otherwise. Lets a flow refuse an order before writing anything for
	 *  it (sdk/RECORDS.md, "check_items"). May be NULL. */
	int (*check_items)(void *ctx, const char *query, char **out, struct bh_status *st);
};

#ifdef __cplusplus
}
#endif
#endif
