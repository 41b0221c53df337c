/*
 * flowlib_fake.h - the control table of the flow tests' in-memory endpoint
 * (flowlib_fake.c, plugin "flowlib-fake"), reached through its "flowlib-fake"
 * capability.
 *
 * ctl(ctx, cmd, arg_json, &out):
 *   "reset"                       forget everything
 *   "dump"                        *out = the store: {"items", "customers", "sales_orders",
 *                                 "ras", "receipts", "refunds", "customer_refunds",
 *                                 "calls":[{"op","arg","rc"}], "faults", "orders",
 *                                 "returns"}
 *   "items"     {"skus":[...]}    ERP items that exist
 *   "so"        {...}             a sales order synced by someone else (*out = internal id)
 *   "billing"   {"external_id","billing"}   how a sales order was billed
 *   "fault"     {"op","rc":"retry|reject|auth|enoent|retry_after_write","times",
 *                "code","message","retry_after_ms"}
 *   "ra_status" {"status"}        status of RAs created from now on
 *   "receive"   {"external_id" (RA), "sku"?, "quantity"?}   a warehouse receipt
 *   "order"     order/1           an order the storefront capability knows
 *   "return"    return/1          a return as the portal capability knows it now
 *   "hold"      {"op"}            calls of op wait (before doing anything) until "release";
 *                                 the dump's "waiting" counts the calls waiting
 *   "release"                     let held calls go on
 * Returns 0, BH_EINVAL (unknown command), BH_ENOENT. *out is malloc'd (or NULL).
 *
 * Ownership: flows helper (tests). Threading: thread-safe.
 */
#ifndef FLOWLIB_FAKE_H
#define FLOWLIB_FAKE_H

#include <stdint.h>

#define FL_FAKE_CAP "flowlib-fake"

struct fl_fake_ops {
	uint32_t size;
	int (*ctl)(void *ctx, const char *cmd, const char *arg, char **out);
};

#endif
