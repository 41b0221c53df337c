/*
 * outbox_claims.h - the in-memory set of claimed sequence numbers of one flow
 * (core-private, used by core/outbox*.c).
 *
 * An open-addressing hash set of non-zero u64 (linear probing, backward-shift
 * deletion, no tombstones). It only ever holds items currently claimed, so its size
 * follows the in-flight batch, never the backlog; it shrinks again when emptied.
 *
 * Ownership: the set owns its slot array (bh_ob_claims_free). Threading: none; the
 * owning flow's mutex guards every call.
 */
#ifndef BH_OUTBOX_CLAIMS_H
#define BH_OUTBOX_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_ob_claims {
	uint64_t *slots;   /**< 0 = empty */
	size_t cap;        /**< power of two, or 0 */
	size_t n;
};

/** Add seq (non-zero). Returns 0 or BH_ENOMEM. Adding a present seq is a no-op. */
int bh_ob_claims_add(struct bh_ob_claims *c, uint64_t seq);
bool bh_ob_claims_has(const struct bh_ob_claims *c, uint64_t seq);
/** Remove seq if present. */
void bh_ob_claims_del(struct bh_ob_claims *c, uint64_t seq);
void bh_ob_claims_free(struct bh_ob_claims *c);

#endif
