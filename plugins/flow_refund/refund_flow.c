/*
 * refund_flow.c - the `refund` flow: a closed return (portal.return.closed) -> the
 * refund document from its RA: a cash refund loop-cr-<rid>, or a credit memo
 * loop-cm-<rid> with a customer refund loop-crf-<rid> for the cash part. The document
 * follows the original billing (`refund_document = by_billing`: cash sale -> cash
 * refund, invoice -> credit memo; unknown billing -> cash refund) or is forced. Lines as
 * on the RA, gift-card / store-credit / exchange-credit / fee adjustments from the
 * closed return's actual split (refunds[] per gateway), and the merchant's bonus
 * (S3: Dr Return Incentive Expense / Cr Gift Card Liability, the ERP document's
 * `bonus`, issued on bonus_item).
 *
 * The RA must exist (retry until it does) unless create_on_refund is set: then the RA
 * and the item receipt loop-ir-<rid> are written here first (S12). Without it the flow
 * waits (retry) until the RA has a receipt when wait_for_receipt is set (S11). Every
 * write is idempotent on its external id; the xref refund:<rid> commits with the ack.
 *
 * Ownership: flows helper. Threading: deliver() may run concurrently; the context is
 * read-only after configure().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flowlib/flowlib.h"

enum { DOC_BY_BILLING = 0, DOC_CASH_REFUND = 1, DOC_CREDIT_MEMO = 2 };

struct refund_flow {
	struct bh_fl_env env;
	bool create_on_refund;
	bool restock;
	bool wait_for_receipt;
	int refund_document;
};

static int rf_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct refund_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->env.inst = inst;
	f->env.h = host;
	*ctx = f;
	return BH_OK;
}

static int rf_configure(void *ctx)
{
	struct refund_flow *f = ctx;
	return bh_fl_env_configure(&f->env);
}

/* Create the item receipt of a return against ra_iid. 0 or BH_FL_STOP. */
static int make_receipt(struct refund_flow *f, bh_result *res, const struct bh_fl_return *r,
			const char *ra_iid)
{
	const struct bh_host *h = f->env.h;
	struct json_object *doc = NULL;
	struct bh_status st = {0};
	char err[512], what[256], *out = NULL;
	int ret = BH_FL_STOP;
	int rc = bh_fl_receipt_doc(r, ra_iid, f->restock, &doc, err, sizeof(err));
	if (rc != 0) {
		if (rc == BH_EINVAL)
			h->result_reject(res, "%s", err);
		else
			h->result_retry(res, 0, "return %s: out of memory", r->id);
		goto out;
	}
	if (h->dry_run(f->env.inst)) {
		snprintf(what, sizeof(what), "dry run: return %s: would create item receipt", r->id);
		bh_fl_log_doc(h, f->env.inst, what, doc);
		ret = BH_OK;
		goto out;
	}
	rc = f->env.erp->create_item_receipt(f->env.erp_ctx, json_object_to_json_string(doc), &out, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s: create item receipt " BH_FL_XID_RECEIPT "%s",
			 r->id, r->id);
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		goto out;
	}
	struct bh_fl_write w;
	if (bh_fl_write_parse(out, &w) == 0 && w.internal_id[0]) {
		h->result_xref_put(res, BH_FL_XREF_RECEIPT, r->id, w.internal_id);
		h->log(f->env.inst, BH_LOG_INFO, "return %s: item receipt %s %s (internal id %s)", r->id,
		       w.external_id, w.created ? "created" : "already existed", w.internal_id);
	}
	h->counter_add(f->env.inst, "receipts_created", 1);
	ret = BH_OK;
out:
	free(out);
	json_object_put(doc);
	return ret;
}

/* Which document: the setting, or the sales order's billing. */
static enum bh_fl_refund_doc pick_document(struct refund_flow *f, const struct bh_fl_return *r,
					   const char *so_iid)
{
	if (f->refund_document == DOC_CASH_REFUND)
		return BH_FL_DOC_CASH_REFUND;
	if (f->refund_document == DOC_CREDIT_MEMO)
		return BH_FL_DOC_CREDIT_MEMO;
	struct bh_fl_erp_doc so;
	struct bh_status st;
	enum bh_fl_refund_doc d = BH_FL_DOC_CASH_REFUND;
	int rc = bh_fl_find_sales_order(&f->env, r->order_id, &so, &st);
	if (rc == 0 && so.billing && !strcmp(so.billing, "invoice"))
		d = BH_FL_DOC_CREDIT_MEMO;
	if (rc != 0 || !so.billing)
		f->env.h->log(f->env.inst, BH_LOG_INFO, "return %s: the ERP does not say how order %s "
			      "(sales order %s) was billed; writing a cash refund", r->id,
			      r->order_name ? r->order_name : r->order_id, so_iid ? so_iid : "?");
	bh_fl_erp_doc_free(&so);
	return d;
}

static void rf_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct refund_flow *f = ctx;
	const struct bh_host *h = f->env.h;
	struct bh_fl_return r;
	struct bh_fl_settle s;
	struct bh_fl_paid paid;
	struct bh_fl_erp_doc ra = {0};
	struct bh_status st = {0};
	struct json_object *doc = NULL;
	char err[512], buf[64], what[320], ra_iid[64] = "", *out = NULL;
	size_t len = 0;
	bool dry = h->dry_run(f->env.inst), made_ra = false;
	const char *body = h->rec_body(rec, &len);

	if (bh_fl_return_parse(body, len, &r, err, sizeof(err)) != 0) {
		h->result_reject(res, "record %s: %s", h->rec_id(rec), err);
		goto out;
	}
	const char *oname = r.order_name ? r.order_name : r.order_id;
	if (r.state && strcmp(r.state, "closed") != 0) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s is %s, not closed; no refund", r.id, r.state);
		goto out;
	}
	if (r.processed == 0) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s (order %s) was closed without being "
		       "processed; no refund", r.id, oname);
		h->counter_add(f->env.inst, "skipped_unprocessed", 1);
		goto out;
	}
	if (bh_fl_xref(h, f->env.inst, BH_FL_XREF_REFUND, r.id, buf, sizeof(buf)) > 0) {
		h->log(f->env.inst, BH_LOG_DEBUG, "return %s: refund %s already written", r.id, buf);
		goto out;
	}
	if (bh_fl_return_reconcile(&r, err, sizeof(err)) != 0) {
		h->result_reject(res, "%s", err);
		goto out;
	}
	bh_fl_paid_lookup(&f->env, r.order_id, &paid);
	if (bh_fl_settle_return(&r, &paid, true, &s, err, sizeof(err)) != 0) {
		h->result_reject(res, "%s", err);
		goto out;
	}

	/* the RA */
	int rc = bh_fl_get_ra(&f->env, r.id, &ra, &st);
	if (rc == BH_ENOENT && f->create_on_refund) {
		if (bh_fl_ensure_ra(&f->env, res, &r, &s, ra_iid, sizeof(ra_iid)) != 0)
			goto out;
		made_ra = true;
		if (!dry) {
			rc = bh_fl_get_ra(&f->env, r.id, &ra, &st);
			if (rc == BH_ENOENT) {
				h->result_retry(res, f->env.missing_retry_ms, "return %s: RA %s was created "
						"but cannot be read back yet", r.id, ra_iid);
				goto out;
			}
		}
	} else if (rc == BH_ENOENT) {
		h->result_retry(res, f->env.missing_retry_ms, "return %s (order %s): its return "
				"authorization " BH_FL_XID_RA "%s is not in the ERP yet; waiting", r.id,
				oname, r.id);
		goto out;
	}
	if (rc != 0 && !(made_ra && dry)) {
		snprintf(what, sizeof(what), "return %s: read return authorization", r.id);
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		goto out;
	}
	if (ra.internal_id) {
		snprintf(ra_iid, sizeof(ra_iid), "%s", ra.internal_id);
		if (bh_fl_ra_closed(&ra)) {
			h->result_reject(res, "return %s (order %s): return authorization %s is %s in the "
					 "ERP; no refund written", r.id, oname, ra.internal_id, ra.status);
			goto out;
		}
		if (ra.status && !strcmp(ra.status, "pending_approval")) {
			h->result_retry(res, f->env.missing_retry_ms, "return %s: return authorization %s "
					"awaits approval in the ERP; waiting", r.id, ra.internal_id);
			goto out;
		}
	}

	/* the receipt */
	int64_t received = 0, units = 0;
	if (ra.internal_id)
		bh_fl_ra_receipt_state(&ra, &r, &received, &units);
	if (received == 0 && (f->create_on_refund || made_ra)) {
		if (make_receipt(f, res, &r, ra_iid[0] ? ra_iid : "(dry run)") != 0)
			goto out;
	} else if (received == 0 && f->wait_for_receipt) {
		h->result_retry(res, f->env.missing_retry_ms, "return %s (order %s): waiting for the "
				"item receipt on return authorization %s (0 of %" PRId64 " units "
				"received)", r.id, oname, ra_iid, units);
		goto out;
	}

	/* the refund document */
	enum bh_fl_refund_doc kind = pick_document(f, &r, ra.sales_order_iid);
	rc = bh_fl_refund_doc(&r, &s, &f->env.items, kind, ra_iid[0] ? ra_iid : "(dry run)", &doc,
			      err, sizeof(err));
	if (rc != 0) {
		if (rc == BH_EINVAL)
			h->result_reject(res, "%s", err);
		else
			h->result_retry(res, 0, "return %s: out of memory", r.id);
		goto out;
	}
	if (dry) {
		snprintf(what, sizeof(what), "dry run: return %s (order %s): would create refund", r.id,
			 oname);
		bh_fl_log_doc(h, f->env.inst, what, doc);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	rc = f->env.erp->create_refund(f->env.erp_ctx, json_object_to_json_string(doc), &out, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (order %s): create %s %s", r.id, oname,
			 kind == BH_FL_DOC_CREDIT_MEMO ? "credit memo" : "cash refund",
			 bh_fl_jstr(doc, "external_id"));
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		goto out;
	}
	struct bh_fl_write w;
	if (bh_fl_write_parse(out, &w) != 0 || !w.internal_id[0]) {
		h->result_retry(res, 0, "return %s: create_refund answered without an internal id", r.id);
		goto out;
	}
	h->result_xref_put(res, BH_FL_XREF_REFUND, r.id, w.internal_id);
	h->counter_add(f->env.inst, w.created ? "refunds_created" : "refunds_existing", 1);
	h->log(f->env.inst, BH_LOG_INFO, "return %s (order %s): %s %s %s (internal id %s): cash "
	       "%s", r.id, oname, kind == BH_FL_DOC_CREDIT_MEMO ? "credit memo" : "cash refund",
	       w.external_id, w.created ? "created" : "already existed", w.internal_id,
	       bh_fl_money(s.cash, buf, sizeof(buf)));
out:
	free(out);
	json_object_put(doc);
	bh_fl_erp_doc_free(&ra);
	bh_fl_return_free(&r);
}

static void rf_destroy(void *ctx)
{
	free(ctx);
}

#define O(f) offsetof(struct refund_flow, f)
static const struct bh_cfg_entry rf_config[] = {
	{BH_CFG_STR, "erp", NULL, BH_CFG_REQUIRED, O(env.erp_name), 0, 0, NULL,
	 "endpoint instance offering the erp capability (netsuite-soap or netsuite-rest)"},
	{BH_CFG_STR, "storefront", NULL, 0, O(env.storefront_name), 0, 0, NULL,
	 "storefront endpoint instance, read for an order's tenders when the sales-order flow "
	 "has not recorded them"},
	{BH_CFG_ENUM, "refund_document", "by_billing", 0, O(refund_document), 0, 0,
	 "by_billing|cash_refund|credit_memo",
	 "by_billing: cash sale -> cash refund, invoice -> credit memo + customer refund"},
	{BH_CFG_BOOL, "create_on_refund", "false", 0, O(create_on_refund), 0, 0, NULL,
	 "create RA and item receipt on refund (with the refund, when the return closes)"},
	{BH_CFG_BOOL, "restock", "true", 0, O(restock), 0, 0, NULL,
	 "restock the items of receipts written by this flow (create_on_refund)"},
	{BH_CFG_BOOL, "wait_for_receipt", "true", 0, O(wait_for_receipt), 0, 0, NULL,
	 "retry until the RA has an item receipt before refunding"},
	{BH_CFG_STR, "gift_card_item", "GIFT-CARD", 0, O(env.items.gift_card), 0, 0, NULL,
	 "ERP item (SKU) of refund-to-gift-card lines"},
	{BH_CFG_STR, "store_credit_item", "GIFT-CARD", 0, O(env.items.store_credit), 0, 0, NULL,
	 "ERP item (SKU) of store-credit lines"},
	{BH_CFG_STR, "exchange_credit_item", "GIFT-CARD", 0, O(env.items.exchange_credit), 0, 0,
	 NULL, "ERP item (SKU) of exchange-credit lines"},
	{BH_CFG_STR, "fee_item", "RESTOCKING-FEE", 0, O(env.items.fee), 0, 0, NULL,
	 "ERP item (SKU) of handling-fee lines"},
	{BH_CFG_STR, "bonus_item", "GIFT-CARD", 0, O(env.items.bonus), 0, 0, NULL,
	 "ERP item (SKU) the merchant's bonus credit is issued on"},
	{BH_CFG_DURATION, "missing_retry", "10m", 0, O(env.missing_retry_ms), 1, 0, NULL,
	 "wait before retrying while the RA or its receipt is not in the ERP yet"},
	{BH_CFG_DURATION, "auth_retry", "1h", 0, O(env.auth_retry_ms), 1, 0, NULL,
	 "wait before retrying after the ERP refused the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "refund", .version = "1.0.0",
		 .description = "closed returns -> ERP cash refunds or credit memos from the RA",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = rf_config, .init = rf_init,
		 .configure = rf_configure, .destroy = rf_destroy, .deliver = rf_deliver);
