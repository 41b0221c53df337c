/*
 * outbox_claims.c - hash set of claimed sequence numbers (see outbox_claims.h).
 *
 * Ownership: the set owns its slots. Threading: the caller serialises all calls.
 */
#include <stdlib.h>

#include "err.h"
#include "outbox_claims.h"

#define CLAIMS_MIN_CAP 64

static size_t slot_of(uint64_t seq, size_t cap)
{
	return (size_t)((seq * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int rehash(struct bh_ob_claims *c, size_t cap)
{
	uint64_t *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return BH_ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		uint64_t s = c->slots[i];
		if (!s)
			continue;
		size_t j = slot_of(s, cap);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = s;
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return BH_OK;
}

bool bh_ob_claims_has(const struct bh_ob_claims *c, uint64_t seq)
{
	if (!c->cap || !seq)
		return false;
	for (size_t j = slot_of(seq, c->cap);; j = (j + 1) & (c->cap - 1)) {
		if (c->slots[j] == seq)
			return true;
		if (!c->slots[j])
			return false;
	}
}

int bh_ob_claims_add(struct bh_ob_claims *c, uint64_t seq)
{
	if (!seq)
		return BH_EINVAL;
	if (bh_ob_claims_has(c, seq))
		return BH_OK;
	if ((c->n + 1) * 2 > c->cap) {
		int rc = rehash(c, c->cap ? c->cap * 2 : CLAIMS_MIN_CAP);
		if (rc)
			return rc;
	}
	size_t j = slot_of(seq, c->cap);
	while (c->slots[j])
		j = (j + 1) & (c->cap - 1);
	c->slots[j] = seq;
	c->n++;
	return BH_OK;
}

void bh_ob_claims_del(struct bh_ob_claims *c, uint64_t seq)
{
	if (!c->cap || !seq)
		return;
	size_t mask = c->cap - 1, i = slot_of(seq, c->cap);
	while (c->slots[i] != seq) {
		if (!c->slots[i])
			return;
		i = (i + 1) & mask;
	}
	/* backward-shift deletion keeps every probe chain unbroken */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!c->slots[j])
			break;
		size_t home = slot_of(c->slots[j], c->cap);
		/* move slots[j] into the hole at i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			c->slots[i] = c->slots[j];
			i = j;
		}
	}
	c->slots[i] = 0;
	c->n--;
	if (c->n == 0 && c->cap > CLAIMS_MIN_CAP) {
		free(c->slots);
		c->slots = NULL;
		c->cap = 0;
	} else if (c->cap > CLAIMS_MIN_CAP && c->n * 8 < c->cap) {
		(void)rehash(c, c->cap / 2); /* on ENOMEM the larger table simply stays */
	}
}

void bh_ob_claims_free(struct bh_ob_claims *c)
{
	free(c->slots);
	c->slots = NULL;
	c->cap = c->n = 0;
}
