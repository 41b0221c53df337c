/*
 * loop_records.h - the records the `loop` source emits for one Loop return.
 *
 * Topics and idempotency keys are those of sdk/RECORDS.md:
 *   portal.return.created          return:<id>:created
 *   portal.return.updated          return:<id>:<state>:<updated_at>
 *   portal.return.closed           return:<id>:closed
 *   portal.return.cancelled        return:<id>:cancelled
 *   portal.return.processing_failed return:<id>:failed:<updated_at>
 * Which records one sighting gives:
 *   webhook return.created   created
 *   webhook return.updated   updated
 *   webhook return.closed    closed
 *   a poll                   created, and updated when updated_at is later than
 *                            created_at
 *   and always, from the state: closed (state closed), cancelled (state cancelled) —
 *   Loop has no cancel trigger and may close a return through return.updated only.
 * So a webhook and a poll of the same change give the same keys and the engine keeps
 * one record. Each body's "trigger" is the Loop trigger that announces that change
 * (return.created, return.updated, return.closed; return.updated for cancelled), the
 * same whichever way the change was seen.
 *
 * Ownership: bodies are malloc'd, freed by bh_loop_recs_free. Thread-safe (no state).
 */
#ifndef BH_LOOP_RECORDS_H
#define BH_LOOP_RECORDS_H

#include <stddef.h>

#include <json-c/json.h>

#include <backhaul/plugin.h>

#include "loop_map.h"

#define BH_LOOP_MAX_RECS 4

struct bh_loop_recs {
	size_t n;
	struct bh_emit e[BH_LOOP_MAX_RECS];
	char key[BH_LOOP_MAX_RECS][128];
	char *body[BH_LOOP_MAX_RECS];
};

/** Records for a return seen through webhook `trigger` (NULL: seen by a poll). Appends
 *  to rs (rs->n must leave room for BH_LOOP_MAX_RECS). Returns 0, BH_EPROTO (err),
 *  BH_ENOMEM. info (optional) receives the return's identity. */
int bh_loop_records(json_object *lr, const char *trigger, struct bh_loop_recs *rs,
		    struct bh_loop_info *info, char *err, size_t errlen);
/** The portal.return.processing_failed record of a return, with Loop's message. */
int bh_loop_record_failed(json_object *lr, const char *message, struct bh_loop_recs *rs,
			  struct bh_loop_info *info, char *err, size_t errlen);
void bh_loop_recs_free(struct bh_loop_recs *rs);

#endif
