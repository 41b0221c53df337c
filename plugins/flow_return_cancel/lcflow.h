/*
 * lcflow.h - helpers shared by the four return-lifecycle flows (receipt-to-loop,
 * return-cancel, ra-cancel, review-flag): reading a record body, naming the return,
 * reading a portal return's state, and turning a failed capability call into the
 * delivery outcome the SDK asks for.
 *
 * Ownership: lifecycle-flows helper; built once as a convenience library
 * (plugins/flow_return_cancel/liblcflow.la) linked into each of the four plugins, so
 * every symbol stays hidden behind each plugin's export list.
 * Threading: pure functions over their arguments; safe from any worker thread.
 * Errors: negative BH_E* codes.
 */
#ifndef BH_LCFLOW_H
#define BH_LCFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <backhaul/plugin.h>
#include <backhaul/capability.h>

/** Default wait before retrying after the remote side refused our credentials: long,
 *  so a wrong key does not burn a whole backlog's attempts while the operator fixes it. */
#define BH_LC_AUTH_RETRY_DEFAULT "30m"

/** Parse the record's body and check its "schema" member. Returns the parsed object
 *  (caller puts it) or NULL after rejecting the record with a message naming the
 *  record id, topic and what is wrong. */
json_object *bh_lc_body(const struct bh_host *h, const bh_record *rec, bh_result *res,
			const char *schema);

/** The string member `key` of o, or NULL when absent, null or not a string. */
const char *bh_lc_str(json_object *o, const char *key);
/** The string member o.k1.k2, or NULL. */
const char *bh_lc_str2(json_object *o, const char *k1, const char *k2);
/** The boolean member `key` of o; def when absent or not a boolean. */
bool bh_lc_bool(json_object *o, const char *key, bool def);

/** True when s is a non-empty string of decimal digits (a portal or ERP id). */
bool bh_lc_is_id(const char *s);

/**
 * The return id an ERP feed record (erp-ra/1, erp-receipt/1) is about: its "return_id",
 * else the external id `ext` with prefix `prefix` stripped. Copies it into buf and
 * returns 0, or BH_ENOENT when neither names a decimal return id.
 */
int bh_lc_return_id(json_object *body, const char *ext, const char *prefix, char *buf,
		    size_t len);

/** A portal return's state as the flows need it. */
struct bh_lc_return {
	char state[24];     /**< open, closed, cancelled, expired, review ("" unknown) */
	bool flagged;
};

/** Read state and flag from a canonical return/1 text. Returns 0 or BH_EPROTO. */
int bh_lc_return_parse(const char *json, struct bh_lc_return *out);
/** True for states that no action can change any more (closed, cancelled, expired). */
bool bh_lc_state_final(const char *state);

/**
 * Set the outcome for a capability call that returned rc (not 0) with status st:
 *   BH_ERETRY  -> retry after st->retry_after_ms (0: the flow's backoff decides)
 *   BH_EAUTH   -> retry after auth_retry_ms (the operator must fix the credentials)
 *   BH_EREJECT -> reject, "<what>: <code>: <message>"
 *   other      -> retry with the error's name (a local or protocol failure)
 * `what` names the place (e.g. "return 6042537: cancel in portal 'loop'").
 */
void bh_lc_fail(const struct bh_host *h, bh_result *res, int rc, const struct bh_status *st,
		int64_t auth_retry_ms, const char *what);

/** Look up the endpoint instance `name` (the flow's setting `key`) offering capability
 *  `cap` into *out. 0, or BH_ECONFIG after logging "<key> = <name>: <why>". */
int bh_lc_endpoint(const struct bh_host *h, bh_instance *inst, const char *key,
		   const char *name, const char *cap, struct bh_cap *out);

/** The name of a BH_E* code ("BH_ERETRY"...), for messages. */
const char *bh_lc_errname(int rc);

#endif
