/*
 * ra_flow.c - the `return-authorization` flow: a returns-portal return (return/1) -> a
 * return authorization loop-ra-<rid> created from the original sales order, lines and
 * amounts as paid, netted to what goes back to the original payment by gift-card /
 * store-credit / exchange-credit lines and a handling-fee line (SCENARIOS S1-S7).
 *
 * Records: portal.return.created, and portal.return.updated while the return is open
 * and has no RA yet. portal.return.cancelled (and updates to cancelled / expired) give
 * the return's units back to the over-return guard: the items may be returned again. Skipped (acknowledged, logged) when create_on_refund is set: the
 * refund flow then writes the RA when the return closes (S12). A return whose sales
 * order is not in the ERP yet is retried (S15); an over-return (S2/S13), an unknown
 * SKU (S14) or totals that do not reconcile are rejected naming the figures. Xrefs
 * ra:<rid> and returned:<order>:<line> commit with the acknowledgement; the RA write
 * is idempotent on its external id (S16).
 *
 * Cancelled while waiting (e.g. for its order, S15): a retried record whose return was
 * cancelled meanwhile writes no RA. The return-cancel flow records the cancellation
 * (xref cancelled:<rid>); it is read before the RA is written and again after it, and
 * with `portal` set the return's state is re-read from the portal before writing. An
 * RA written in the race window is closed by whichever side reads last (this flow's
 * second read of the mark, or return-cancel's follow-up re-check): see flowlib.h,
 * bh_fl_ensure_ra, and plugins/flow_return_cancel/return_cancel.c.
 *
 * Ownership: flows helper. Threading: deliver() may run concurrently; the context is
 * read-only after configure(). Run it with concurrency 1 when several returns of one
 * order may arrive together: the over-return guard reads what earlier acknowledgements
 * wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flowlib/flowlib.h"

struct ra_flow {
	struct bh_fl_env env;
	bool create_on_refund;
};

static int ra_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct ra_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->env.inst = inst;
	f->env.h = host;
	*ctx = f;
	return BH_OK;
}

static int ra_configure(void *ctx)
{
	struct ra_flow *f = ctx;
	int rc = bh_fl_env_configure(&f->env);
	if (rc == 0 && f->create_on_refund)
		bh_plg_info(f->env.h, f->env.inst, "create_on_refund is set: returns get their RA "
			    "from the refund flow when they close; this flow only acknowledges");
	return rc;
}

static void ra_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct ra_flow *f = ctx;
	const struct bh_host *h = f->env.h;
	const char *topic = h->rec_topic(rec);
	struct bh_fl_return r;
	struct bh_fl_settle s;
	struct bh_fl_paid paid;
	char err[512], buf[64], iid[64];
	size_t len = 0;
	const char *body = h->rec_body(rec, &len);

	if (bh_fl_return_parse(body, len, &r, err, sizeof(err)) != 0) {
		h->result_reject(res, "record %s: %s", h->rec_id(rec), err);
		goto out;
	}
	if (f->create_on_refund) {
		h->log(f->env.inst, BH_LOG_INFO, "return %s: create_on_refund is set; the RA is "
		       "written when the return closes", r.id);
		h->counter_add(f->env.inst, "skipped_create_on_refund", 1);
		goto out;
	}
	bool update = topic && !strcmp(topic, "portal.return.updated");
	if (bh_fl_return_dead(&r) || (topic && !strcmp(topic, "portal.return.cancelled"))) {
		/* cancelled or expired: its units may be returned again */
		int rc = bh_fl_release_returned(&f->env, res, &r);
		if (rc < 0)
			h->result_retry(res, 0, "return %s: out of memory", r.id);
		else if (rc > 0)
			h->log(f->env.inst, BH_LOG_INFO, "return %s is %s: its units on order %s can be "
			       "returned again", r.id, r.state ? r.state : "cancelled",
			       r.order_name ? r.order_name : r.order_id);
		else
			h->log(f->env.inst, BH_LOG_INFO, "return %s is %s; no RA written", r.id,
			       r.state ? r.state : "cancelled");
		h->counter_add(f->env.inst, rc > 0 ? "released" : "skipped_dead", 1);
		goto out;
	}
	if (update && (!r.state || strcmp(r.state, "open") != 0)) {
		h->log(f->env.inst, BH_LOG_DEBUG, "return %s: update in state %s; no RA from it", r.id,
		       r.state ? r.state : "?");
		goto out;
	}
	if (bh_fl_xref(h, f->env.inst, BH_FL_XREF_RA, r.id, buf, sizeof(buf)) > 0) {
		h->log(f->env.inst, BH_LOG_DEBUG, "return %s: RA %s already written", r.id, buf);
		goto out;
	}
	if (bh_fl_return_reconcile(&r, err, sizeof(err)) != 0) {
		h->result_reject(res, "%s", err);
		goto out;
	}
	bh_fl_paid_lookup(&f->env, r.order_id, &paid);
	if (bh_fl_settle_return(&r, &paid, false, &s, err, sizeof(err)) != 0) {
		h->result_reject(res, "%s", err);
		goto out;
	}
	bh_fl_ensure_ra(&f->env, res, &r, &s, iid, sizeof(iid));
out:
	bh_fl_return_free(&r);
}

static void ra_destroy(void *ctx)
{
	free(ctx);
}

#define O(f) offsetof(struct ra_flow, f)
static const struct bh_cfg_entry ra_config[] = {
	{BH_CFG_STR, "erp", NULL, BH_CFG_REQUIRED, O(env.erp_name), 0, 0, NULL,
	 "endpoint instance offering the erp capability (netsuite-soap or netsuite-rest)"},
	{BH_CFG_STR, "storefront", NULL, 0, O(env.storefront_name), 0, 0, NULL,
	 "storefront endpoint instance, read for an order's tenders when the sales-order flow "
	 "has not recorded them"},
	{BH_CFG_STR, "portal", NULL, 0, O(env.portal_name), 0, 0, NULL,
	 "returns-portal endpoint instance: the return's state is re-read from it before the "
	 "RA is written, so a return cancelled while its record waited gets none (optional)"},
	{BH_CFG_BOOL, "create_on_refund", "false", 0, O(create_on_refund), 0, 0, NULL,
	 "create RA and item receipt on refund: write nothing when a return is created"},
	{BH_CFG_STR, "gift_card_item", "GIFT-CARD", 0, O(env.items.gift_card), 0, 0, NULL,
	 "ERP item (SKU) of refund-to-gift-card lines"},
	{BH_CFG_STR, "store_credit_item", "GIFT-CARD", 0, O(env.items.store_credit), 0, 0, NULL,
	 "ERP item (SKU) of store-credit lines"},
	{BH_CFG_STR, "exchange_credit_item", "GIFT-CARD", 0, O(env.items.exchange_credit), 0, 0,
	 NULL, "ERP item (SKU) of exchange-credit lines"},
	{BH_CFG_STR, "fee_item", "RESTOCKING-FEE", 0, O(env.items.fee), 0, 0, NULL,
	 "ERP item (SKU) of handling-fee lines"},
	{BH_CFG_DURATION, "missing_retry", "10m", 0, O(env.missing_retry_ms), 1, 0, NULL,
	 "wait before retrying a return whose sales order is not in the ERP yet"},
	{BH_CFG_DURATION, "auth_retry", "1h", 0, O(env.auth_retry_ms), 1, 0, NULL,
	 "wait before retrying after the ERP refused the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "return-authorization", .version = "1.0.0",
		 .description = "returns-portal returns -> ERP return authorizations",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = ra_config, .init = ra_init,
		 .configure = ra_configure, .destroy = ra_destroy, .deliver = ra_deliver);
