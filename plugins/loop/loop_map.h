/*
 * loop_map.h - a Loop return object (webhook body, Detailed Returns List row, Get Return
 * Details answer) to the canonical `return/1` body (sdk/RECORDS.md).
 *
 * Rules (see the "loop plugin" notes in sdk/RECORDS.md):
 *   - ids are decimal strings whether Loop sends strings or integers; money is parsed
 *     into integer cents (plugins/common/money.h) and written with two decimals;
 *   - Loop's one-entry-per-unit line_items are grouped into lines by (Shopify line item,
 *     SKU, unit price, exchange or not), summing discount, tax and refund exactly; a unit
 *     repeated with the same Loop line_item_id is counted once (info->dup_units);
 *   - totals come from Loop's header (return_product_total, ...), the sums of the units
 *     only where the header lacks them; credit = return_credit_total - bonus, where the
 *     bonus is what the payouts exceed total + upsell by (store credit only);
 *     gift_card = Loop's gift_card less the credit it carries; exchange =
 *     exchange_credit_total + upsell (the exchange order's value);
 *   - outcome is derived from which of refund/credit/gift_card/exchange are non-zero
 *     (several: "mixed"); Loop's header `outcome` decides only when all are zero;
 *   - updated_at is Loop's updated_at, else (older payloads lack it) the latest of
 *     edited_at, label_updated_at and created_at;
 *   - processed is true when Loop's `was_processed` is true or `outcomes.return_processed`
 *     holds a time, false when either member is present without saying so (an open
 *     return, or one closed with Loop's "close", which fulfils nothing), null when the
 *     payload has neither (the real 2019/2020 payloads of shared/reference/loop).
 * Pure functions; thread-safe. The caller owns the returned json_object.
 */
#ifndef BH_LOOP_MAP_H
#define BH_LOOP_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct bh_loop_info {
	char id[32];            /* Loop return id */
	char state[16];         /* open, closed, cancelled, expired, review */
	int64_t created_ms;     /* 0 when unknown */
	int64_t updated_ms;     /* effective updated_at (see above); 0 when unknown */
	char updated_at[40];    /* RFC 3339 UTC of updated_ms ("" when unknown) */
	bool was_processed;     /* Loop's was_processed / outcomes.return_processed */
	int processed;          /* return/1 "processed": 1 true, 0 false, -1 null (neither
				 * member present, as in Loop's 2019/2020 payloads) */
	unsigned dup_units;     /* units repeated with an already seen line_item_id */
};

/** An id member (string or integer) as a decimal string into buf; false when absent,
 *  null, empty or not an id. */
bool bh_loop_json_id(json_object *o, const char *key, char *buf, size_t len);
/** The identity of a Loop return: id, state, times. Returns 0 or BH_EPROTO (err set). */
int bh_loop_return_info(json_object *lr, struct bh_loop_info *info, char *err, size_t errlen);
/**
 * Map a Loop return to return/1. trigger: the body's "trigger" (NULL writes null).
 * with_error adds "error": error (NULL writes null). Returns 0 with *out set, BH_EPROTO
 * (a missing id/state or a malformed amount, named in err), BH_ENOMEM.
 */
int bh_loop_map_return(json_object *lr, const char *trigger, bool with_error,
		       const char *error, struct bh_loop_info *info, json_object **out,
		       char *err, size_t errlen);

#endif
