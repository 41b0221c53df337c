/*
 * ra_cancel.c - flow `ra-cancel`: a return authorization closed or cancelled in the ERP
 * cancels its return in the returns portal (SCENARIOS S9; the "RA Cancellation" sync of
 * the commercial connector, research/loop.md §5).
 *
 * Subscribes (conf.d): erp.ra.closed (erp-ra/1). The return id comes from the record's
 * return_id, else from the RA's external id <ra_prefix><return id>.
 *   cancel_return_on_ra_close = true (default): the return is read first; a return
 *     already closed, cancelled or expired is left alone (no bounce-back when the RA
 *     was closed because the return was cancelled in the portal, S8); a return in
 *     review waits (retry after review_retry: the portal refuses to cancel a flagged
 *     return until a person finished the review); an open return is cancelled.
 *   cancel_return_on_ra_close = false: nothing is written; an info line and the counter
 *     `return_left_open` say so.
 * Idempotent: the portal's cancel of a cancelled return succeeds without effect, and the
 * state is read before. Dry run: the return is read, the cancel logged and not sent.
 *
 * Counters: returns_cancelled, return_left_open, return_already_final, no_return,
 * waiting_review.
 * Ownership: lifecycle-flows helper. Threading: deliver() may run concurrently; the
 * context is read-only after configure().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/plugin.h>
#include <backhaul/portal.h>

#include "../flow_return_cancel/lcflow.h"

struct racancel {
	bh_instance *inst;
	const struct bh_host *host;
	const char *portal_name;
	bool cancel_return;
	const char *ra_prefix;
	int64_t review_retry_ms;
	int64_t auth_retry_ms;
	struct bh_cap portal;
};

static int ra_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct racancel *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	*ctx = f;
	return BH_OK;
}

static int ra_configure(void *ctx)
{
	struct racancel *f = ctx;
	int rc = bh_lc_endpoint(f->host, f->inst, "portal", f->portal_name, BH_CAP_PORTAL,
				&f->portal);
	if (rc != 0)
		return rc;
	const struct bh_portal_ops *ops = f->portal.ops;
	if (!ops->get_return || !ops->cancel) {
		bh_plg_error(f->host, f->inst, "portal = %s: its portal capability cannot read or "
			     "cancel returns", f->portal_name);
		return BH_ECONFIG;
	}
	return BH_OK;
}

static void ra_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct racancel *f = ctx;
	const struct bh_host *h = f->host;
	const struct bh_portal_ops *ops = f->portal.ops;
	struct bh_status st;
	struct bh_lc_return ret;
	char rid[40], what[512];
	char *out = NULL;

	json_object *body = bh_lc_body(h, rec, res, "erp-ra/1");
	if (!body)
		return;
	const char *iid = bh_lc_str(body, "internal_id");
	const char *ext = bh_lc_str(body, "external_id");
	const char *status = bh_lc_str(body, "status");
	if (!iid)
		iid = "?";
	if (bh_lc_return_id(body, ext, f->ra_prefix, rid, sizeof(rid)) != 0) {
		h->result_reject(res, "record %s: return authorization %s (external id %s) names no "
				 "portal return (no return_id, external id not '%s<return id>')",
				 h->rec_id(rec), iid, ext ? ext : "none", f->ra_prefix);
		goto out;
	}
	if (!status || (strcmp(status, "closed") != 0 && strcmp(status, "cancelled") != 0)) {
		bh_plg_info(h, f->inst, "return authorization %s (return %s) is '%s', not closed or "
			    "cancelled: nothing to do", iid, rid, status ? status : "?");
		goto out;
	}
	if (!f->cancel_return) {
		bh_plg_info(h, f->inst, "return authorization %s was %s in the ERP; return %s is left "
			    "as is in the portal (cancel_return_on_ra_close = false)", iid, status,
			    rid);
		h->counter_add(f->inst, "return_left_open", 1);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return(f->portal.ctx, rid, &out, &st);
	if (rc == BH_ENOENT) {
		bh_plg_warn(h, f->inst, "return authorization %s was %s in the ERP, but return %s "
			    "does not exist in portal '%s': nothing to cancel", iid, status, rid,
			    f->portal.instance);
		h->counter_add(f->inst, "no_return", 1);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (RA %s %s): reading the return in '%s'", rid,
			 iid, status, f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	if (bh_lc_return_parse(out, &ret) != 0) {
		h->result_retry(res, 0, "return %s: portal '%s' answered a return without a state",
				rid, f->portal.instance);
		goto out;
	}
	if (bh_lc_state_final(ret.state)) {
		bh_plg_info(h, f->inst, "return authorization %s was %s in the ERP; return %s is "
			    "already %s in the portal: nothing to cancel", iid, status, rid, ret.state);
		h->counter_add(f->inst, "return_already_final", 1);
		goto out;
	}
	if (strcmp(ret.state, "review") == 0 || ret.flagged) {
		h->counter_add(f->inst, "waiting_review", 1);
		h->result_retry(res, f->review_retry_ms, "return %s is in review in portal '%s' "
				"(flagged): it is cancelled once the review is finished (RA %s %s)",
				rid, f->portal.instance, iid, status);
		goto out;
	}
	if (h->dry_run(f->inst)) {
		bh_plg_info(h, f->inst, "dry run: would cancel return %s (%s) in portal '%s' because "
			    "return authorization %s was %s in the ERP", rid, ret.state,
			    f->portal.instance, iid, status);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	rc = ops->cancel(f->portal.ctx, rid, &st);
	if (rc == BH_EREJECT && strstr(st.code, "FLAGGED")) {
		h->counter_add(f->inst, "waiting_review", 1);
		h->result_retry(res, f->review_retry_ms, "return %s: portal '%s' refused to cancel a "
				"flagged return (%s); retried after the review", rid,
				f->portal.instance, st.code);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (RA %s %s): cancel in portal '%s'", rid, iid,
			 status, f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	bh_plg_info(h, f->inst, "cancelled return %s in portal '%s': return authorization %s was "
		    "%s in the ERP", rid, f->portal.instance, iid, status);
	h->counter_add(f->inst, "returns_cancelled", 1);
out:
	json_object_put(body);
	free(out);
}

static void ra_destroy(void *ctx)
{
	free(ctx);
}

#define O(x) offsetof(struct racancel, x)
static const struct bh_cfg_entry ra_config[] = {
	{BH_CFG_STR, "portal", NULL, BH_CFG_REQUIRED, O(portal_name), 0, 0, NULL,
	 "returns-portal endpoint instance (loop) holding the returns"},
	{BH_CFG_BOOL, "cancel_return_on_ra_close", "true", 0, O(cancel_return), 0, 0, NULL,
	 "cancel the portal return when its RA is closed or cancelled in the ERP "
	 "(false: leave it, log and count it)"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs Backhaul creates (<prefix><return id>)"},
	{BH_CFG_DURATION, "review_retry", "15m", 0, O(review_retry_ms), 1000, 0, NULL,
	 "retry delay while the return is in review in the portal"},
	{BH_CFG_DURATION, "auth_retry", BH_LC_AUTH_RETRY_DEFAULT, 0, O(auth_retry_ms), 1000, 0,
	 NULL, "retry delay when the portal refuses the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "ra-cancel", .version = "1.0.0",
		 .description = "cancels the portal return of a return authorization closed in "
				"the ERP",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = ra_config, .init = ra_init,
		 .configure = ra_configure, .destroy = ra_destroy, .deliver = ra_deliver);
