/*
 * record.h - the core's side of records and delivery results handed to flows.
 *
 * A bh_record wraps one claimed outbox item for the duration of deliver(). A
 * bh_result collects the outcome, cross-reference writes and follow-up records of
 * that call; workers.c turns it into a bh_outbox_result. Both are owned by the worker
 * thread that delivers; nothing here is shared.
 */
#ifndef BH_RECORD_H
#define BH_RECORD_H

#include "outbox.h"

struct bh_record {
	const struct bh_outbox_item *item;
};

struct bh_result {
	enum bh_outcome outcome;
	int64_t retry_after_ms;
	char error[512];
	struct bh_outbox_xref *xrefs;   /* strings owned (malloc'd) */
	size_t n_xrefs;
	struct bh_outbox_rec *follow;   /* strings owned (malloc'd) */
	size_t n_follow;
	bool oom;
};

void bh_result_init(struct bh_result *res);
void bh_result_clear(struct bh_result *res);

#endif
