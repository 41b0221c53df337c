/*
 * rtn_flow.c - the `receipt-to-netsuite` flow: a return processed/closed in the portal
 * (portal.return.closed, or portal.return.updated in state closed) -> the item receipt
 * loop-ir-<rid> against its RA, restocking per setting — only when the ERP has no
 * receipt on the RA yet (no unit of the return's SKUs received). A receipt the
 * warehouse already entered in the ERP is never doubled (S11). The RA not in the ERP
 * yet -> retry; RA closed or cancelled -> nothing (logged). The write is idempotent on
 * its external id; the xref ir:<rid> commits with the acknowledgement.
 *
 * Ownership: flows helper. Threading: deliver() may run concurrently; the context is
 * read-only after configure().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flowlib/flowlib.h"

struct rtn_flow {
	struct bh_fl_env env;
	bool restock;
};

static int rtn_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct rtn_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->env.inst = inst;
	f->env.h = host;
	*ctx = f;
	return BH_OK;
}

static int rtn_configure(void *ctx)
{
	struct rtn_flow *f = ctx;
	return bh_fl_env_configure(&f->env);
}

static void rtn_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct rtn_flow *f = ctx;
	const struct bh_host *h = f->env.h;
	struct bh_fl_return r;
	struct bh_fl_erp_doc ra = {0};
	struct bh_status st = {0};
	struct json_object *doc = NULL;
	char err[512], buf[64], what[320], *out = NULL;
	size_t len = 0;
	const char *body = h->rec_body(rec, &len);

	if (bh_fl_return_parse(body, len, &r, err, sizeof(err)) != 0) {
		h->result_reject(res, "record %s: %s", h->rec_id(rec), err);
		goto out;
	}
	const char *oname = r.order_name ? r.order_name : r.order_id;
	if (!r.state || strcmp(r.state, "closed") != 0) {
		h->log(f->env.inst, BH_LOG_DEBUG, "return %s is %s; no receipt", r.id,
		       r.state ? r.state : "in no state");
		goto out;
	}
	if (r.processed == 0) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s (order %s) was closed without being "
		       "processed; no receipt", r.id, oname);
		h->counter_add(f->env.inst, "skipped_unprocessed", 1);
		goto out;
	}
	if (bh_fl_xref(h, f->env.inst, BH_FL_XREF_RECEIPT, r.id, buf, sizeof(buf)) > 0) {
		h->log(f->env.inst, BH_LOG_DEBUG, "return %s: receipt %s already written", r.id, buf);
		goto out;
	}
	int rc = bh_fl_get_ra(&f->env, r.id, &ra, &st);
	if (rc == BH_ENOENT) {
		h->result_retry(res, f->env.missing_retry_ms, "return %s (order %s): its return "
				"authorization " BH_FL_XID_RA "%s is not in the ERP yet; waiting", r.id,
				oname, r.id);
		goto out;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s: read return authorization", r.id);
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		goto out;
	}
	if (bh_fl_ra_closed(&ra)) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s: return authorization %s is %s; no receipt "
		       "written", r.id, ra.internal_id, ra.status);
		h->counter_add(f->env.inst, "skipped_ra_closed", 1);
		goto out;
	}
	if (ra.status && !strcmp(ra.status, "pending_approval")) {
		h->result_retry(res, f->env.missing_retry_ms, "return %s: return authorization %s awaits "
				"approval in the ERP; waiting", r.id, ra.internal_id);
		goto out;
	}
	int64_t received, units;
	bh_fl_ra_receipt_state(&ra, &r, &received, &units);
	if (received > 0) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s: return authorization %s already has a "
		       "receipt (%" PRId64 " of %" PRId64 " units received); no second receipt", r.id,
		       ra.internal_id, received, units);
		h->counter_add(f->env.inst, "skipped_received", 1);
		goto out;
	}
	rc = bh_fl_receipt_doc(&r, ra.internal_id, f->restock, &doc, err, sizeof(err));
	if (rc != 0) {
		if (rc == BH_EINVAL)
			h->result_reject(res, "%s", err);
		else
			h->result_retry(res, 0, "return %s: out of memory", r.id);
		goto out;
	}
	if (h->dry_run(f->env.inst)) {
		snprintf(what, sizeof(what), "dry run: return %s (order %s): would create item receipt",
			 r.id, oname);
		bh_fl_log_doc(h, f->env.inst, what, doc);
		goto out;
	}
	rc = f->env.erp->create_item_receipt(f->env.erp_ctx, json_object_to_json_string(doc), &out, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (order %s): create item receipt "
			 BH_FL_XID_RECEIPT "%s", r.id, oname, r.id);
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		goto out;
	}
	struct bh_fl_write w;
	if (bh_fl_write_parse(out, &w) != 0 || !w.internal_id[0]) {
		h->result_retry(res, 0, "return %s: create_item_receipt answered without an internal id",
				r.id);
		goto out;
	}
	h->result_xref_put(res, BH_FL_XREF_RECEIPT, r.id, w.internal_id);
	h->counter_add(f->env.inst, w.created ? "receipts_created" : "receipts_existing", 1);
	h->log(f->env.inst, BH_LOG_INFO, "return %s (order %s): item receipt %s %s (internal id %s)",
	       r.id, oname, w.external_id, w.created ? "created" : "already existed", w.internal_id);
out:
	free(out);
	json_object_put(doc);
	bh_fl_erp_doc_free(&ra);
	bh_fl_return_free(&r);
}

static void rtn_destroy(void *ctx)
{
	free(ctx);
}

#define O(f) offsetof(struct rtn_flow, f)
static const struct bh_cfg_entry rtn_config[] = {
	{BH_CFG_STR, "erp", NULL, BH_CFG_REQUIRED, O(env.erp_name), 0, 0, NULL,
	 "endpoint instance offering the erp capability (netsuite-soap or netsuite-rest)"},
	{BH_CFG_BOOL, "restock", "true", 0, O(restock), 0, 0, NULL,
	 "restock the received items (item receipt restock flag)"},
	{BH_CFG_DURATION, "missing_retry", "10m", 0, O(env.missing_retry_ms), 1, 0, NULL,
	 "wait before retrying a return whose RA is not in the ERP yet"},
	{BH_CFG_DURATION, "auth_retry", "1h", 0, O(env.auth_retry_ms), 1, 0, NULL,
	 "wait before retrying after the ERP refused the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "receipt-to-netsuite", .version = "1.0.0",
		 .description = "returns processed in the portal -> ERP item receipts on their RA",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = rtn_config, .init = rtn_init,
		 .configure = rtn_configure, .destroy = rtn_destroy, .deliver = rtn_deliver);
