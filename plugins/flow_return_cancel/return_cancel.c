/*
 * return_cancel.c - flow `return-cancel`: a return cancelled in the returns portal
 * closes its return authorization in the ERP (SCENARIOS S8; the "Return Cancellation"
 * sync of the commercial connector, research/loop.md §5).
 *
 * Subscribes (conf.d): portal.return.cancelled (return/1). Only records whose return is
 * in state `cancelled` act; anything else is acknowledged with a debug line.
 *   close_ra_on_cancel = true (default): the RA is found by the cross-reference
 *     ra:<return id> (its internal id, written by the return-authorization flow) or by
 *     its external id <ra_prefix><return id>, read, and every open line closed with
 *     erp.close_return_authorization. No RA, or an RA already closed / cancelled /
 *     refunded: nothing is written (logged, counted).
 *   close_ra_on_cancel = false: nothing is written; an info line and the counter
 *     `ra_left_open` say so.
 * Idempotent: closing a closed RA succeeds without effect, and the RA is read first.
 * Dry run: the RA is read, the close is logged and not sent; nothing is recorded.
 *
 * The race with the return-authorization flow (a return cancelled while its RA is not
 * written yet, e.g. still waiting for its order, S15). Every acknowledged cancellation
 * records cancelled:<rid> = "close" | "leave" (close_ra_on_cancel); the RA flows read it
 * and write no RA for a return marked so. The mark alone could lose the close: this
 * flow reads "no RA" (1), the RA flow reads "no mark" (a) and writes the RA (b), then
 * this flow commits the mark (2). Hence two more reads, one on each side:
 *   - the RA flow reads the mark again after its write (c) and closes the RA when it
 *     finds "close" (flowlib bh_fl_ensure_ra);
 *   - when this flow finds no RA, the mark commits together with a follow-up record (the
 *     same cancellation, same topic, key return-cancel-recheck:<rid>, delivered to this
 *     flow again). On that follow-up (3) the RA is read again and closed when it exists.
 * If the RA exists, (b) precedes (c). If (c) missed the mark, then (c) precedes (2), which
 * precedes (3): so (b) precedes (3), and the re-check finds the RA. Either the RA flow or
 * the re-check closes it; both closing is harmless (closing a closed RA succeeds). No
 * timing is assumed: the order comes from the commits (the mark and the follow-up are
 * one storage transaction, the follow-up is delivered only after it). The follow-up is
 * routed by topic, so it reaches every flow subscribed to the cancellation (the
 * return-authorization flow releases nothing twice: it keeps released:<rid>).
 *
 * Counters: ra_closed, ra_left_open, ra_already_closed, no_ra, recheck.
 * Ownership: lifecycle-flows helper. Threading: deliver() may run concurrently; the
 * context is read-only after configure().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/erp.h>
#include <backhaul/plugin.h>

#include "lcflow.h"
/* only the xref names and values shared with the RA flows (macros, nothing linked) */
#include "../flowlib/flowlib.h"

#define RECHECK_KEY "return-cancel-recheck:"

struct rcancel {
	bh_instance *inst;
	const struct bh_host *host;
	const char *erp_name;
	bool close_ra;
	const char *ra_prefix;
	int64_t auth_retry_ms;
	struct bh_cap erp;
};

static int rc_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct rcancel *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	*ctx = f;
	return BH_OK;
}

static int rc_configure(void *ctx)
{
	struct rcancel *f = ctx;
	int rc = bh_lc_endpoint(f->host, f->inst, "erp", f->erp_name, BH_CAP_ERP,
				&f->erp);
	if (rc != 0)
		return rc;
	const struct bh_erp_ops *ops = f->erp.ops;
	if (!ops->get_return_authorization || !ops->close_return_authorization) {
		bh_plg_error(f->host, f->inst, "erp = %s: its erp capability cannot read or close "
			     "return authorizations", f->erp_name);
		return BH_ECONFIG;
	}
	return BH_OK;
}

/* The RA reference {"internal_id"} from the cross-reference, else {"external_id"}. */
static char *ra_ref(struct rcancel *f, const char *rid, char *ext, size_t extlen)
{
	char iid[64];
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	snprintf(ext, extlen, "%s%s", f->ra_prefix, rid);
	int n = f->host->xref_get(f->inst, "ra", rid, iid, sizeof(iid));
	if (n > 0 && bh_lc_is_id(iid))
		json_object_object_add(o, "internal_id", json_object_new_string(iid));
	else
		json_object_object_add(o, "external_id", json_object_new_string(ext));
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* Units received on the RA's lines (for the log). */
static int64_t received_units(json_object *ra)
{
	json_object *lines, *v;
	int64_t n = 0;
	if (!json_object_object_get_ex(ra, "lines", &lines) ||
	    !json_object_is_type(lines, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		if (json_object_object_get_ex(l, "quantity_received", &v))
			n += json_object_get_int64(v);
	}
	return n;
}

/* Record that the return is cancelled (with the ok outcome; not in dry run). */
static void mark_cancelled(struct rcancel *f, bh_result *res, const char *rid)
{
	if (f->host->dry_run(f->inst))
		return;
	f->host->result_xref_put(res, BH_FL_XREF_CANCELLED, rid,
				 f->close_ra ? BH_FL_CANCELLED_CLOSE : BH_FL_CANCELLED_LEAVE);
}

/* True when rec is this flow's own re-check (a follow-up it emitted). */
static bool is_recheck(struct rcancel *f, const bh_record *rec)
{
	const char *src = f->host->rec_source(rec), *me = f->host->instance_name(f->inst);
	const char *key = f->host->rec_key(rec);
	return src && me && !strcmp(src, me) && key &&
	       !strncmp(key, RECHECK_KEY, strlen(RECHECK_KEY));
}

/* No RA yet: commit the mark with a follow-up that reads the RA again (see the file
 * comment). Returns 0 or BH_ENOMEM (outcome set). */
static int schedule_recheck(struct rcancel *f, const bh_record *rec, bh_result *res,
			    const char *rid)
{
	char key[96];
	size_t len = 0;
	const char *body = f->host->rec_body(rec, &len);
	snprintf(key, sizeof(key), RECHECK_KEY "%s", rid);
	struct bh_emit e = {.topic = f->host->rec_topic(rec), .key = key, .body = body,
			    .body_len = len};
	int rc = f->host->result_emit(res, &e);
	if (rc != 0) {
		f->host->result_retry(res, 0, "return %s: cannot queue the re-check of its return "
				      "authorization: %s", rid, bh_lc_errname(rc));
		return rc;
	}
	return BH_OK;
}

static void rc_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct rcancel *f = ctx;
	const struct bh_host *h = f->host;
	const struct bh_erp_ops *ops = f->erp.ops;
	struct bh_status st;
	char ext[128], what[256];
	char *ref = NULL, *out = NULL;
	json_object *ra = NULL;

	json_object *body = bh_lc_body(h, rec, res, "return/1");
	if (!body)
		return;
	const char *rid = bh_lc_str(body, "id");
	const char *state = bh_lc_str(body, "state");
	const char *oname = bh_lc_str2(body, "order", "name");
	if (!oname)
		oname = "(unknown order)";
	if (!bh_lc_is_id(rid)) {
		h->result_reject(res, "record %s: return/1 without a decimal \"id\"", h->rec_id(rec));
		goto out;
	}
	if (!state || strcmp(state, "cancelled") != 0) {
		bh_plg_debug(h, f->inst, "return %s (order %s) is '%s', not cancelled: nothing to do",
			     rid, oname, state ? state : "?");
		goto out;
	}
	if (!f->close_ra) {
		bh_plg_info(h, f->inst, "return %s (order %s) was cancelled in the portal; its return "
			    "authorization %s%s is left as is (close_ra_on_cancel = false)", rid, oname,
			    f->ra_prefix, rid);
		h->counter_add(f->inst, "ra_left_open", 1);
		mark_cancelled(f, res, rid);
		goto out;
	}
	if (!(ref = ra_ref(f, rid, ext, sizeof(ext)))) {
		h->result_retry(res, 0, "return %s: out of memory", rid);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return_authorization(f->erp.ctx, ref, &out, &st);
	if (rc == BH_ENOENT) {
		bool again = is_recheck(f, rec);
		if (!again && !h->dry_run(f->inst) && schedule_recheck(f, rec, res, rid) != 0)
			goto out;
		bh_plg_info(h, f->inst, "return %s (order %s) was cancelled in the portal; no return "
			    "authorization %s exists in %s%s", rid, oname, ext, f->erp.instance,
			    again ? " (re-check): none will be written for it"
				  : ": recorded, so none will be written; re-checking once recorded");
		h->counter_add(f->inst, again ? "recheck" : "no_ra", 1);
		mark_cancelled(f, res, rid);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (order %s): reading return authorization %s "
			 "in '%s'", rid, oname, ext, f->erp.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	ra = out ? json_tokener_parse(out) : NULL;
	const char *iid = bh_lc_str(ra, "internal_id");
	const char *rstat = bh_lc_str(ra, "status");
	if (!iid) {
		h->result_retry(res, 0, "return %s: '%s' answered return authorization %s without "
				"an internal_id", rid, f->erp.instance, ext);
		goto out;
	}
	if (rstat && (strcmp(rstat, "closed") == 0 || strcmp(rstat, "cancelled") == 0 ||
		      strcmp(rstat, "refunded") == 0)) {
		bh_plg_info(h, f->inst, "return %s (order %s) cancelled in the portal: return "
			    "authorization %s (internal id %s) is already %s, nothing to close", rid,
			    oname, ext, iid, rstat);
		h->counter_add(f->inst, "ra_already_closed", 1);
		mark_cancelled(f, res, rid);
		goto out;
	}
	int64_t got = received_units(ra);
	if (got > 0)
		bh_plg_warn(h, f->inst, "return %s (order %s): return authorization %s already has "
			    "%lld unit(s) received; closing its open lines anyway", rid, oname, ext,
			    (long long)got);
	if (h->dry_run(f->inst)) {
		bh_plg_info(h, f->inst, "dry run: would close every open line of return authorization "
			    "%s (internal id %s, status %s) because return %s (order %s) was "
			    "cancelled in the portal", ext, iid, rstat ? rstat : "?", rid, oname);
		goto out;
	}
	char *ref2 = NULL;
	json_object *r2 = json_object_new_object();
	if (r2) {
		json_object_object_add(r2, "internal_id", json_object_new_string(iid));
		ref2 = strdup(json_object_to_json_string_ext(r2, JSON_C_TO_STRING_PLAIN));
		json_object_put(r2);
	}
	if (!ref2) {
		h->result_retry(res, 0, "return %s: out of memory", rid);
		goto out;
	}
	free(out);
	out = NULL;
	memset(&st, 0, sizeof(st));
	rc = ops->close_return_authorization(f->erp.ctx, ref2, &out, &st);
	free(ref2);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (order %s): closing return authorization %s "
			 "(internal id %s) in '%s'", rid, oname, ext, iid, f->erp.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	bh_plg_info(h, f->inst, "return %s (order %s) cancelled in the portal: closed every open "
		    "line of return authorization %s (internal id %s)", rid, oname, ext, iid);
	h->counter_add(f->inst, "ra_closed", 1);
	mark_cancelled(f, res, rid);
out:
	json_object_put(ra);
	json_object_put(body);
	free(ref);
	free(out);
}

static void rc_destroy(void *ctx)
{
	free(ctx);
}

#define O(x) offsetof(struct rcancel, x)
static const struct bh_cfg_entry rc_config[] = {
	{BH_CFG_STR, "erp", NULL, BH_CFG_REQUIRED, O(erp_name), 0, 0, NULL,
	 "ERP endpoint instance (netsuite-soap or netsuite-rest) holding the RAs"},
	{BH_CFG_BOOL, "close_ra_on_cancel", "true", 0, O(close_ra), 0, 0, NULL,
	 "close every open line of the RA when the return is cancelled in the portal "
	 "(false: leave the RA, log and count it)"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs Backhaul creates (<prefix><return id>)"},
	{BH_CFG_DURATION, "auth_retry", BH_LC_AUTH_RETRY_DEFAULT, 0, O(auth_retry_ms), 1000, 0,
	 NULL, "retry delay when the ERP refuses the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "return-cancel", .version = "1.0.0",
		 .description = "closes the ERP return authorization of a return cancelled in "
				"the portal",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = rc_config, .init = rc_init,
		 .configure = rc_configure, .destroy = rc_destroy, .deliver = rc_deliver);
