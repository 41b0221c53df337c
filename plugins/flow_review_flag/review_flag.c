/*
 * review_flag.c - flow `review-flag`: a return authorization whose flag field is set in
 * the ERP puts its return into manual review in the returns portal (SCENARIOS S10; the
 * flagging part of the commercial connector's RA sync, research/loop.md §5).
 *
 * Subscribes (conf.d): erp.ra.flagged (erp-ra/1). The ERP source emits one record per
 * flagged RA on every poll cycle (a new idempotency key each cycle, sdk/RECORDS.md), so
 * the return is flagged again on every cycle while the field stays set — also after a
 * person finished a review in the portal — and never again once the field is cleared.
 * Per record:
 *   - with `erp` set, the RA is read first and nothing happens when its flag was
 *     cleared since the poll (a record that waited in the queue is stale);
 *   - the return is read: closed, cancelled or expired returns are left alone (the
 *     portal refuses to flag them), a return already in review needs nothing;
 *   - otherwise portal.flag(return id).
 * Idempotent: flagging a flagged return succeeds without effect. Dry run: reads only,
 * the flag is logged and not sent.
 *
 * Counters: returns_flagged, already_in_review, return_final, flag_cleared, no_return.
 * Ownership: lifecycle-flows helper. Threading: deliver() may run concurrently; the
 * context is read-only after configure().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/erp.h>
#include <backhaul/plugin.h>
#include <backhaul/portal.h>

#include "../flow_return_cancel/lcflow.h"

struct rflag {
	bh_instance *inst;
	const struct bh_host *host;
	const char *portal_name;
	const char *erp_name;
	const char *ra_prefix;
	int64_t auth_retry_ms;
	struct bh_cap portal, erp;
	bool have_erp;
};

static int rf_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct rflag *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	*ctx = f;
	return BH_OK;
}

static int rf_configure(void *ctx)
{
	struct rflag *f = ctx;
	int rc = bh_lc_endpoint(f->host, f->inst, "portal", f->portal_name, BH_CAP_PORTAL,
				&f->portal);
	if (rc != 0)
		return rc;
	const struct bh_portal_ops *pops = f->portal.ops;
	if (!pops->get_return || !pops->flag) {
		bh_plg_error(f->host, f->inst, "portal = %s: its portal capability cannot read or "
			     "flag returns", f->portal_name);
		return BH_ECONFIG;
	}
	if (f->erp_name) {
		rc = bh_lc_endpoint(f->host, f->inst, "erp", f->erp_name, BH_CAP_ERP,
				    &f->erp);
		if (rc != 0)
			return rc;
		const struct bh_erp_ops *eops = f->erp.ops;
		if (!eops->get_return_authorization) {
			bh_plg_error(f->host, f->inst, "erp = %s: its erp capability cannot read "
				     "return authorizations", f->erp_name);
			return BH_ECONFIG;
		}
		f->have_erp = true;
	}
	return BH_OK;
}

/* 1 when the RA's flag is still set, 0 when cleared or the RA is gone, or an outcome
 * was set (-1). */
static int flag_still_set(struct rflag *f, const char *iid, const char *rid, bh_result *res)
{
	const struct bh_erp_ops *ops = f->erp.ops;
	struct bh_status st;
	char what[512], *out = NULL;
	json_object *ref = json_object_new_object(), *ra = NULL;
	int ret = -1;

	if (!ref) {
		f->host->result_retry(res, 0, "return %s: out of memory", rid);
		return -1;
	}
	json_object_object_add(ref, "internal_id", json_object_new_string(iid));
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return_authorization(f->erp.ctx,
					       json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN),
					       &out, &st);
	if (rc == BH_ENOENT) {
		ret = 0;
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s: reading return authorization %s in '%s'", rid,
			 iid, f->erp.instance);
		bh_lc_fail(f->host, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	ra = out ? json_tokener_parse(out) : NULL;
	ret = bh_lc_bool(ra, "flag", false) ? 1 : 0;
out:
	json_object_put(ref);
	json_object_put(ra);
	free(out);
	return ret;
}

static void rf_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct rflag *f = ctx;
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
	if (bh_lc_return_id(body, ext, f->ra_prefix, rid, sizeof(rid)) != 0) {
		h->result_reject(res, "record %s: return authorization %s (external id %s) names no "
				 "portal return (no return_id, external id not '%s<return id>')",
				 h->rec_id(rec), iid ? iid : "?", ext ? ext : "none", f->ra_prefix);
		goto out;
	}
	if (!bh_lc_bool(body, "flag", false)) {
		bh_plg_debug(h, f->inst, "return authorization %s (return %s): flag not set in the "
			     "record, nothing to do", iid ? iid : "?", rid);
		goto out;
	}
	if (f->have_erp && bh_lc_is_id(iid)) {
		int set = flag_still_set(f, iid, rid, res);
		if (set < 0)
			goto out;
		if (set == 0) {
			bh_plg_info(h, f->inst, "return authorization %s (return %s): the flag was "
				    "cleared in the ERP since the poll; not flagging", iid, rid);
			h->counter_add(f->inst, "flag_cleared", 1);
			goto out;
		}
	}
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return(f->portal.ctx, rid, &out, &st);
	if (rc == BH_ENOENT) {
		bh_plg_warn(h, f->inst, "return authorization %s is flagged in the ERP, but return %s "
			    "does not exist in portal '%s'", iid ? iid : "?", rid, f->portal.instance);
		h->counter_add(f->inst, "no_return", 1);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (RA %s flagged): reading the return in '%s'",
			 rid, iid ? iid : "?", f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	if (bh_lc_return_parse(out, &ret) != 0) {
		h->result_retry(res, 0, "return %s: portal '%s' answered a return without a state",
				rid, f->portal.instance);
		goto out;
	}
	if (bh_lc_state_final(ret.state)) {
		bh_plg_info(h, f->inst, "return authorization %s is flagged in the ERP; return %s is "
			    "%s in the portal and cannot be put into review (clear the flag)",
			    iid ? iid : "?", rid, ret.state);
		h->counter_add(f->inst, "return_final", 1);
		goto out;
	}
	if (strcmp(ret.state, "review") == 0 || ret.flagged) {
		bh_plg_debug(h, f->inst, "return %s is already in review in portal '%s'", rid,
			     f->portal.instance);
		h->counter_add(f->inst, "already_in_review", 1);
		goto out;
	}
	if (h->dry_run(f->inst)) {
		bh_plg_info(h, f->inst, "dry run: would flag return %s (%s) for review in portal "
			    "'%s' because return authorization %s is flagged in the ERP", rid,
			    ret.state, f->portal.instance, iid ? iid : "?");
		goto out;
	}
	memset(&st, 0, sizeof(st));
	rc = ops->flag(f->portal.ctx, rid, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (RA %s flagged): flag in portal '%s'", rid,
			 iid ? iid : "?", f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	bh_plg_info(h, f->inst, "flagged return %s for review in portal '%s': return "
		    "authorization %s is flagged in the ERP", rid, f->portal.instance,
		    iid ? iid : "?");
	h->counter_add(f->inst, "returns_flagged", 1);
out:
	json_object_put(body);
	free(out);
}

static void rf_destroy(void *ctx)
{
	free(ctx);
}

#define O(x) offsetof(struct rflag, x)
static const struct bh_cfg_entry rf_config[] = {
	{BH_CFG_STR, "portal", NULL, BH_CFG_REQUIRED, O(portal_name), 0, 0, NULL,
	 "returns-portal endpoint instance (loop) holding the returns"},
	{BH_CFG_STR, "erp", NULL, 0, O(erp_name), 0, 0, NULL,
	 "ERP endpoint instance; when set, the RA is re-read and a flag cleared since the "
	 "poll is not sent"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs Backhaul creates (<prefix><return id>)"},
	{BH_CFG_DURATION, "auth_retry", BH_LC_AUTH_RETRY_DEFAULT, 0, O(auth_retry_ms), 1000, 0,
	 NULL, "retry delay when an endpoint refuses the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "review-flag", .version = "1.0.0",
		 .description = "flags the portal return for review while its ERP return "
				"authorization is flagged",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = rf_config, .init = rf_init,
		 .configure = rf_configure, .destroy = rf_destroy, .deliver = rf_deliver);
