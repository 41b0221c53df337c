/**
 * @file portal.h
 * @brief The `portal` capability: a returns portal (Loop Returns and the like).
 *
 * See capability.h for return codes, bh_status and ownership. Returns are canonical
 * `return` JSON objects (sdk/RECORDS.md). Return ids are decimal strings.
 *
 * Actions are idempotent from the caller's view: asking to cancel a cancelled return,
 * flag a flagged one or close a closed one succeeds without effect. An action the
 * return's state forbids (e.g. process on a cancelled return) is BH_EREJECT with the
 * portal's code (e.g. "UNPROCESSABLE_RETURN").
 */
#ifndef BACKHAUL_PORTAL_H
#define BACKHAUL_PORTAL_H

#include <backhaul/capability.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_CAP_PORTAL "portal"

struct bh_portal_ops {
	uint32_t size;  /**< sizeof(struct bh_portal_ops) of the implementer */

	/** One return by id; *out = canonical return JSON. BH_ENOENT if unknown. */
	int (*get_return)(void *ctx, const char *return_id, char **out, struct bh_status *st);

	/** Ask the portal to process the return (fulfil its outcomes). Asynchronous:
	 *  success means *queued*; the result arrives later as a `portal.return.closed` or
	 *  `portal.return.processing_failed` record, or by re-reading the return. */
	int (*process)(void *ctx, const char *return_id, struct bh_status *st);

	/** Cancel the return (the items may be returned again). */
	int (*cancel)(void *ctx, const char *return_id, struct bh_status *st);

	/** Flag the return for manual review. */
	int (*flag)(void *ctx, const char *return_id, struct bh_status *st);

	/** Close the return without fulfilling its outcomes. */
	int (*close)(void *ctx, const char *return_id, struct bh_status *st);

	/** Add a note (plain text, at most 255 bytes) to the return's timeline. */
	int (*note)(void *ctx, const char *return_id, const char *text, struct bh_status *st);

	/* Appended after 1.0 (ABI-compatible): callers check `size` and NULL first. */

	/** Read-only, for `backhaul report`: the returns of one storefront order, any state.
	 *  query = {"storefront_order_id": str|null, "order_name": str|null} (at least one);
	 *  *out = {"returns": [return...]} in creation order, empty when none. May be NULL. */
	int (*find_returns)(void *ctx, const char *query, char **out, struct bh_status *st);
};

#ifdef __cplusplus
}
#endif
#endif
