/*
 * receipt_to_loop.c - flow `receipt-to-loop`: a warehouse item receipt entered in the
 * ERP on a return authorization Backhaul created asks the returns portal to process the
 * return (SCENARIOS S11, "receipt first in NetSuite"; the "Item Receipt NS -> Loop" sync
 * of the commercial connector, research/loop.md §5).
 *
 * Subscribes (conf.d): erp.receipt.created (erp-receipt/1). Per record:
 *   - a receipt Backhaul wrote itself (external id <ir_prefix><return id>, made by the
 *     receipt-to-netsuite flow after the return was processed in the portal) is skipped:
 *     no bounce-back (S11, "processed in Loop first");
 *   - the return id comes from the record's return_id, else from the RA's external id;
 *   - with wait_for_full_receipt, the RA is read and nothing happens until every open
 *     line is fully received (each later receipt brings a new record);
 *   - the return is read first: one already closed, cancelled or expired is skipped
 *     (already processed in the portal); one in review waits (retry after
 *     review_retry: the portal refuses to process a flagged return);
 *   - otherwise portal.process(return id). Processing is asynchronous: success means
 *     queued; the outcome comes back as portal.return.closed (which the refund flow
 *     handles) or portal.return.processing_failed.
 * Idempotent: the portal's process of a queued or processed return succeeds without a
 * second effect, and the state is read first. Dry run: reads only; logged, not sent.
 *
 * Counters: returns_processed, own_receipts_skipped, already_final, waiting_review,
 * partial_receipts, no_return.
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

struct rtl {
	bh_instance *inst;
	const struct bh_host *host;
	const char *portal_name;
	const char *erp_name;
	const char *ir_prefix;
	const char *ra_prefix;
	bool full_receipt;
	int64_t review_retry_ms;
	int64_t auth_retry_ms;
	struct bh_cap portal, erp;
	bool have_erp;
};

static int rtl_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct rtl *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	*ctx = f;
	return BH_OK;
}

static int rtl_configure(void *ctx)
{
	struct rtl *f = ctx;
	int rc = bh_lc_endpoint(f->host, f->inst, "portal", f->portal_name, BH_CAP_PORTAL,
				&f->portal);
	if (rc != 0)
		return rc;
	const struct bh_portal_ops *pops = f->portal.ops;
	if (!pops->get_return || !pops->process) {
		bh_plg_error(f->host, f->inst, "portal = %s: its portal capability cannot read or "
			     "process returns", f->portal_name);
		return BH_ECONFIG;
	}
	if (f->full_receipt && !f->erp_name) {
		bh_plg_error(f->host, f->inst, "wait_for_full_receipt = true needs erp = <the ERP "
			     "endpoint> to read the return authorization's received quantities");
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

/* Units still to receive on the RA's open lines: >= 0, or -1 after setting an outcome. */
static int64_t units_missing(struct rtl *f, const char *ra_iid, const char *ra_ext,
			     const char *rid, bh_result *res)
{
	const struct bh_erp_ops *ops = f->erp.ops;
	struct bh_status st;
	char what[512], *out = NULL;
	json_object *ref = json_object_new_object(), *ra = NULL, *lines, *v;
	int64_t missing = -1;

	if (!ref) {
		f->host->result_retry(res, 0, "return %s: out of memory", rid);
		return -1;
	}
	if (bh_lc_is_id(ra_iid))
		json_object_object_add(ref, "internal_id", json_object_new_string(ra_iid));
	else
		json_object_object_add(ref, "external_id", json_object_new_string(ra_ext));
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return_authorization(f->erp.ctx,
					       json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN),
					       &out, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s: reading return authorization %s in '%s'", rid,
			 ra_iid ? ra_iid : ra_ext, f->erp.instance);
		if (rc == BH_ENOENT) /* the receipt exists, so its RA must: a lagging read */
			f->host->result_retry(res, 0, "%s: not found", what);
		else
			bh_lc_fail(f->host, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	ra = out ? json_tokener_parse(out) : NULL;
	missing = 0;
	if (ra && json_object_object_get_ex(ra, "lines", &lines) &&
	    json_object_is_type(lines, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(lines); i++) {
			json_object *l = json_object_array_get_idx(lines, i);
			if (bh_lc_bool(l, "closed", false))
				continue;
			int64_t q = 0, got = 0;
			if (json_object_object_get_ex(l, "quantity", &v))
				q = json_object_get_int64(v);
			if (json_object_object_get_ex(l, "quantity_received", &v))
				got = json_object_get_int64(v);
			if (q > got)
				missing += q - got;
		}
	}
out:
	json_object_put(ref);
	json_object_put(ra);
	free(out);
	return missing;
}

static void rtl_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct rtl *f = ctx;
	const struct bh_host *h = f->host;
	const struct bh_portal_ops *ops = f->portal.ops;
	struct bh_status st;
	struct bh_lc_return ret;
	char rid[40], what[512];
	char *out = NULL;

	json_object *body = bh_lc_body(h, rec, res, "erp-receipt/1");
	if (!body)
		return;
	const char *iid = bh_lc_str(body, "internal_id");
	const char *ext = bh_lc_str(body, "external_id");
	const char *ra_iid = bh_lc_str2(body, "ra", "internal_id");
	const char *ra_ext = bh_lc_str2(body, "ra", "external_id");
	if (!iid)
		iid = "?";
	if (ext && f->ir_prefix[0] && strncmp(ext, f->ir_prefix, strlen(f->ir_prefix)) == 0) {
		bh_plg_debug(h, f->inst, "item receipt %s (%s) was written by Backhaul after the "
			     "portal processed the return: not sent back", iid, ext);
		h->counter_add(f->inst, "own_receipts_skipped", 1);
		goto out;
	}
	if (bh_lc_return_id(body, ra_ext, f->ra_prefix, rid, sizeof(rid)) != 0) {
		h->result_reject(res, "record %s: item receipt %s is on return authorization %s "
				 "(external id %s), which names no portal return (no return_id, "
				 "external id not '%s<return id>')", h->rec_id(rec), iid,
				 ra_iid ? ra_iid : "?", ra_ext ? ra_ext : "none", f->ra_prefix);
		goto out;
	}
	if (f->full_receipt) {
		char ra_ext_buf[128];
		if (!ra_ext) {
			snprintf(ra_ext_buf, sizeof(ra_ext_buf), "%s%s", f->ra_prefix, rid);
			ra_ext = ra_ext_buf;
		}
		int64_t missing = units_missing(f, ra_iid, ra_ext, rid, res);
		if (missing < 0)
			goto out;
		if (missing > 0) {
			bh_plg_info(h, f->inst, "item receipt %s on return authorization %s (return "
				    "%s): %lld unit(s) still to receive; the return is processed "
				    "after the last receipt (wait_for_full_receipt)", iid, ra_ext, rid,
				    (long long)missing);
			h->counter_add(f->inst, "partial_receipts", 1);
			goto out;
		}
	}
	memset(&st, 0, sizeof(st));
	int rc = ops->get_return(f->portal.ctx, rid, &out, &st);
	if (rc == BH_ENOENT) {
		bh_plg_warn(h, f->inst, "item receipt %s is on return authorization %s, but return %s "
			    "does not exist in portal '%s': nothing to process", iid,
			    ra_ext ? ra_ext : "?", rid, f->portal.instance);
		h->counter_add(f->inst, "no_return", 1);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (item receipt %s): reading the return in "
			 "'%s'", rid, iid, f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	if (bh_lc_return_parse(out, &ret) != 0) {
		h->result_retry(res, 0, "return %s: portal '%s' answered a return without a state",
				rid, f->portal.instance);
		goto out;
	}
	if (bh_lc_state_final(ret.state)) {
		bh_plg_info(h, f->inst, "item receipt %s: return %s is already %s in portal '%s'; "
			    "not processed again", iid, rid, ret.state, f->portal.instance);
		h->counter_add(f->inst, "already_final", 1);
		goto out;
	}
	if (strcmp(ret.state, "review") == 0 || ret.flagged) {
		h->counter_add(f->inst, "waiting_review", 1);
		h->result_retry(res, f->review_retry_ms, "item receipt %s: return %s is in review in "
				"portal '%s' (flagged); it is processed once the review is finished",
				iid, rid, f->portal.instance);
		goto out;
	}
	if (h->dry_run(f->inst)) {
		bh_plg_info(h, f->inst, "dry run: would ask portal '%s' to process return %s (%s): "
			    "item receipt %s was entered in the ERP", f->portal.instance, rid,
			    ret.state, iid);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	rc = ops->process(f->portal.ctx, rid, &st);
	if (rc == BH_EREJECT && strstr(st.code, "FLAGGED")) {
		h->counter_add(f->inst, "waiting_review", 1);
		h->result_retry(res, f->review_retry_ms, "item receipt %s: portal '%s' refused to "
				"process flagged return %s (%s); retried after the review", iid,
				f->portal.instance, rid, st.code);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (item receipt %s): process in portal '%s'",
			 rid, iid, f->portal.instance);
		bh_lc_fail(h, res, rc, &st, f->auth_retry_ms, what);
		goto out;
	}
	bh_plg_info(h, f->inst, "asked portal '%s' to process return %s: item receipt %s was "
		    "entered in the ERP", f->portal.instance, rid, iid);
	h->counter_add(f->inst, "returns_processed", 1);
out:
	json_object_put(body);
	free(out);
}

static void rtl_destroy(void *ctx)
{
	free(ctx);
}

#define O(x) offsetof(struct rtl, x)
static const struct bh_cfg_entry rtl_config[] = {
	{BH_CFG_STR, "portal", NULL, BH_CFG_REQUIRED, O(portal_name), 0, 0, NULL,
	 "returns-portal endpoint instance (loop) whose returns are processed"},
	{BH_CFG_STR, "erp", NULL, 0, O(erp_name), 0, 0, NULL,
	 "ERP endpoint instance (needed by wait_for_full_receipt)"},
	{BH_CFG_BOOL, "wait_for_full_receipt", "false", 0, O(full_receipt), 0, 0, NULL,
	 "process the return only once every open RA line is fully received (false: on the "
	 "first receipt)"},
	{BH_CFG_STR, "ir_prefix", "loop-ir-", 0, O(ir_prefix), 0, 0, NULL,
	 "external id prefix of the item receipts Backhaul writes itself (skipped)"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs Backhaul creates (<prefix><return id>)"},
	{BH_CFG_DURATION, "review_retry", "15m", 0, O(review_retry_ms), 1000, 0, NULL,
	 "retry delay while the return is in review in the portal"},
	{BH_CFG_DURATION, "auth_retry", BH_LC_AUTH_RETRY_DEFAULT, 0, O(auth_retry_ms), 1000, 0,
	 NULL, "retry delay when an endpoint refuses the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "receipt-to-loop", .version = "1.0.0",
		 .description = "processes the portal return when the warehouse receives it in "
				"the ERP",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = rtl_config, .init = rtl_init,
		 .configure = rtl_configure, .destroy = rtl_destroy, .deliver = rtl_deliver);
