/*
 * report_fake.h - the in-memory endpoint `lifecycle-fake` used by the tests of the
 * return-lifecycle flows (receipt-to-loop, return-cancel, ra-cancel, review-flag) and of
 * `backhaul report order` (built for make check only; tests/flows/report_fake.c).
 *
 * It offers the `portal`, `erp` and `storefront` capabilities over JSON kept in memory
 * (optionally seeded from `seed_file` = {"orders":[order/1], "returns":[return/1],
 * "transactions":[ERP transaction, see sdk/RECORDS.md "Related transactions", RAs with
 * "flag" and per line "quantity_received", "quantity_billed", "closed"]}), records every
 * call, and can be told to fail; plus the `lifecycle-fake-ctl` capability below through
 * which an in-process test emits records, changes the data and reads the call log.
 *
 * Portal rules (like Loop's): process open -> closed (closed: no effect; review:
 * UNPROCESSABLE_FLAGGED_RETURN; cancelled/expired: UNPROCESSABLE_RETURN); cancel open ->
 * cancelled (cancelled: no effect; review, closed, expired: refused); flag open -> review
 * (review: no effect; closed, cancelled, expired: refused). ERP: close_return_authorization
 * sets status "closed" and closes every line (closed: no effect).
 * Threading: every operation takes the fake's mutex; safe from any thread.
 */
#ifndef BH_TEST_REPORT_FAKE_H
#define BH_TEST_REPORT_FAKE_H

#include <stdint.h>

#define BH_LCFAKE_CTL "lifecycle-fake-ctl"

struct bh_lcfake_ctl {
	/** Emit one record from the fake's instance (host->emit). Returns new records. */
	int (*emit)(void *ctx, const char *topic, const char *key, const char *body);
	/** Add or replace an object: kind "return" (by id), "order" (by id), "transaction"
	 *  (by internal_id). Returns 0 or BH_EINVAL. */
	int (*put)(void *ctx, const char *kind, const char *json);
	/** Set member `member` of the object (kind, id) to the JSON value text. */
	int (*set)(void *ctx, const char *kind, const char *id, const char *member,
		   const char *json_value);
	/** The object (kind, id) as JSON text (malloc'd) or NULL. */
	char *(*get)(void *ctx, const char *kind, const char *id);
	/** Calls made of `op` ("portal.process", "erp.close_return_authorization", ...)
	 *  whose argument contains `arg` (NULL: any). */
	int (*calls)(void *ctx, const char *op, const char *arg);
	/** Changes of state made by `op` (a call on an object already in the wanted state
	 *  is a call, not an effect). */
	int (*effects)(void *ctx, const char *op);
	/** Make the next `times` calls of `op` fail with rc (BH_ERETRY...), code, message. */
	void (*fault)(void *ctx, const char *op, int rc, const char *code, const char *message,
		      int64_t retry_after_ms, int times);
	/** Forget the call log and effect counts (data stays). */
	void (*reset_calls)(void *ctx);
};

#endif
