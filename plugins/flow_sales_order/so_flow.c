/*
 * so_flow.c - the `sales-order` flow: a storefront order (order/1) -> the ERP customer
 * (shopify-customer-<id>) and sales order (shopify-order-<id>): lines by SKU at the unit
 * price net of discount, tax, shipping, discount, tenders, and the non-card tenders as
 * negative adjustment lines (gift card on gift_card_item, store credit on
 * store_credit_item: billing the order debits Gift Card Liability for them, S4-S6). An
 * exchange order created by
 * the returns portal is linked to its original (`exchange_of`) and waits (retry) until
 * the original is in the ERP. Acknowledged with the xrefs so:<order id> (internal id),
 * paid:<order id> (tenders by kind, used by the returns flows to split refunds),
 * line:<order id>:<line id> (ordered units, the over-return guard) and
 * so-version:<order id> (the updated_at written; older versions are skipped).
 *
 * Idempotent: both writes are upserts keyed by external id. Nothing partial on an
 * unknown SKU (S14): every line SKU and adjustment item is checked with erp check_items
 * before the customer is written; an unknown one rejects the record naming the order,
 * the SKUs and the field (dead letter; replay it once the item exists). An ERP without
 * check_items refuses the SKU on the sales order write instead, after the customer was
 * upserted (complete and keyed, so a replay updates it).
 *
 * Ownership: flows helper. Threading: deliver() runs concurrently on worker threads; the
 * context is read-only after configure().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flowlib/flowlib.h"

#define XREF_VERSION "so-version"

struct so_flow {
	struct bh_fl_env env;
	const char *guest_customer;
	bool skip_cancelled;
};

static int so_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct so_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->env.inst = inst;
	f->env.h = host;
	*ctx = f;
	return BH_OK;
}

static int so_configure(void *ctx)
{
	struct so_flow *f = ctx;
	if (!f->guest_customer || !*f->guest_customer) {
		bh_plg_error(f->env.h, f->env.inst, "guest_customer must not be empty");
		return BH_ECONFIG;
	}
	return bh_fl_env_configure(&f->env);
}

/* The original of an exchange order, as the ERP knows it (external id into xid).
 * Returns 0 or BH_FL_STOP. */
static int exchange_original(struct so_flow *f, const struct bh_fl_order *o, bh_result *res,
			     char *xid, size_t len)
{
	const struct bh_host *h = f->env.h;
	const char *nm = o->name ? o->name : o->id;
	const char *orig = o->exchange_original_id;
	char idbuf[64], what[256], err[256];
	struct bh_status st = {0};
	if (!orig && o->exchange_original_name && f->env.sf && f->env.sf->find_order_by_name) {
		char *out = NULL;
		int rc = f->env.sf->find_order_by_name(f->env.sf_ctx, o->exchange_original_name, &out, &st);
		if (rc == 0) {
			struct bh_fl_order oo;
			if (bh_fl_order_parse(out, 0, &oo, err, sizeof(err)) == 0 && oo.id) {
				snprintf(idbuf, sizeof(idbuf), "%s", oo.id);
				orig = idbuf;
			}
			bh_fl_order_free(&oo);
		} else if (rc != BH_ENOENT) {
			free(out);
			snprintf(what, sizeof(what), "exchange order %s: find original order %s", nm,
				 o->exchange_original_name);
			bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
			return BH_FL_STOP;
		}
		free(out);
	}
	if (!orig) {
		h->result_retry(res, f->env.missing_retry_ms, "exchange order %s: its original order "
				"(%s) is not identified yet; waiting", nm,
				o->exchange_original_name ? o->exchange_original_name : "name unknown");
		return BH_FL_STOP;
	}
	struct bh_fl_erp_doc so;
	int rc = bh_fl_find_sales_order(&f->env, orig, &so, &st);
	if (rc == BH_ENOENT) {
		h->result_retry(res, f->env.missing_retry_ms, "exchange order %s: its original order %s "
				"(storefront id %s) is not in the ERP yet; waiting", nm,
				o->exchange_original_name ? o->exchange_original_name : "", orig);
		return BH_FL_STOP;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "exchange order %s: find the original's sales order", nm);
		bh_fl_fail(h, res, rc, &st, f->env.auth_retry_ms, what);
		return BH_FL_STOP;
	}
	if (so.external_id && *so.external_id)
		snprintf(xid, len, "%s", so.external_id);
	else
		bh_fl_xid(xid, len, BH_FL_XID_ORDER, orig);
	bh_fl_erp_doc_free(&so);
	return BH_OK;
}

/* Call an upsert; 0 with *w filled, or BH_FL_STOP with the outcome set. */
static int upsert(struct so_flow *f, bh_result *res,
		  int (*op)(void *, const char *, char **, struct bh_status *), struct json_object *doc,
		  const char *what, struct bh_fl_write *w)
{
	struct bh_status st = {0};
	char *out = NULL;
	int rc = op(f->env.erp_ctx, json_object_to_json_string(doc), &out, &st);
	if (rc != 0) {
		free(out);
		bh_fl_fail(f->env.h, res, rc, &st, f->env.auth_retry_ms, what);
		return BH_FL_STOP;
	}
	rc = bh_fl_write_parse(out, w);
	free(out);
	if (rc != 0 || !w->internal_id[0]) {
		f->env.h->result_retry(res, 0, "%s: the ERP answered without an internal id", what);
		return BH_FL_STOP;
	}
	return BH_OK;
}

static void so_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct so_flow *f = ctx;
	const struct bh_host *h = f->env.h;
	struct bh_fl_order o;
	struct json_object *cust = NULL, *sodoc = NULL;
	char err[512], buf[256], what[320], exch[160];
	size_t len = 0;
	const char *body = h->rec_body(rec, &len);

	if (bh_fl_order_parse(body, len, &o, err, sizeof(err)) != 0) {
		h->result_reject(res, "record %s: %s", h->rec_id(rec), err);
		goto out;
	}
	const char *nm = o.name ? o.name : o.id;
	if (bh_fl_order_reconcile(&o, err, sizeof(err)) != 0) {
		h->result_reject(res, "%s", err);
		goto out;
	}
	/* an older version than the one already written: nothing to do */
	if (o.updated_at && bh_fl_xref(h, f->env.inst, XREF_VERSION, o.id, buf, sizeof(buf)) > 0 &&
	    strcmp(o.updated_at, buf) < 0) {
		h->log(f->env.inst, BH_LOG_INFO, "order %s: version %s is older than the one written "
		       "(%s); skipped", nm, o.updated_at, buf);
		h->counter_add(f->env.inst, "orders_stale", 1);
		goto out;
	}
	if (o.cancelled_at && f->skip_cancelled &&
	    bh_fl_xref(h, f->env.inst, BH_FL_XREF_SO, o.id, buf, sizeof(buf)) == BH_ENOENT) {
		h->log(f->env.inst, BH_LOG_INFO, "order %s was cancelled (%s) before it reached the "
		       "ERP; not created", nm, o.cancelled_at);
		h->counter_add(f->env.inst, "orders_cancelled_skipped", 1);
		goto out;
	}
	exch[0] = '\0';
	if (o.is_exchange && exchange_original(f, &o, res, exch, sizeof(exch)) != 0)
		goto out;
	cust = bh_fl_customer_doc(&o, f->guest_customer);
	if (!cust) {
		h->result_retry(res, 0, "order %s: out of memory", nm);
		goto out;
	}
	int rc = bh_fl_sales_order_doc_ex(&o, bh_fl_jstr(cust, "external_id"), exch[0] ? exch : NULL,
					  &f->env.items, &sodoc, err, sizeof(err));
	if (rc != 0) {
		if (rc == BH_EINVAL)
			h->result_reject(res, "%s", err);
		else
			h->result_retry(res, 0, "order %s: out of memory", nm);
		goto out;
	}
	/* every item known before anything is written (read-only, also in dry run) */
	snprintf(what, sizeof(what), "order %s (sales order %s)", nm, bh_fl_jstr(sodoc, "external_id"));
	if (bh_fl_check_items(&f->env, res, sodoc, what) != 0)
		goto out;
	if (h->dry_run(f->env.inst)) {
		snprintf(what, sizeof(what), "dry run: order %s: would upsert customer", nm);
		bh_fl_log_doc(h, f->env.inst, what, cust);
		snprintf(what, sizeof(what), "dry run: order %s: would upsert sales order", nm);
		bh_fl_log_doc(h, f->env.inst, what, sodoc);
		goto out;
	}
	struct bh_fl_write cw, sw;
	snprintf(what, sizeof(what), "order %s: upsert customer %s", nm, bh_fl_jstr(cust, "external_id"));
	if (upsert(f, res, f->env.erp->upsert_customer, cust, what, &cw) != 0)
		goto out;
	snprintf(what, sizeof(what), "order %s: upsert sales order %s", nm,
		 bh_fl_jstr(sodoc, "external_id"));
	if (upsert(f, res, f->env.erp->upsert_sales_order, sodoc, what, &sw) != 0)
		goto out;
	h->log(f->env.inst, BH_LOG_INFO, "order %s: sales order %s %s (internal id %s)%s%s", nm,
	       sw.external_id, sw.created ? "created" : "up to date or updated", sw.internal_id,
	       exch[0] ? ", exchange of " : "", exch);
	h->counter_add(f->env.inst, sw.created ? "orders_created" : "orders_updated", 1);
	h->result_xref_put(res, BH_FL_XREF_SO, o.id, sw.internal_id);
	struct bh_fl_paid p;
	bh_fl_paid_of_order(&o, &p);
	if (p.known && bh_fl_paid_format(&p, buf, sizeof(buf)) == 0)
		h->result_xref_put(res, BH_FL_XREF_PAID, o.id, buf);
	for (size_t i = 0; i < o.n_lines; i++) {
		char key[160], val[32];
		if (!o.lines[i].id)
			continue;
		snprintf(key, sizeof(key), "%s:%s", o.id, o.lines[i].id);
		snprintf(val, sizeof(val), "%lld", (long long)o.lines[i].quantity);
		h->result_xref_put(res, BH_FL_XREF_LINE, key, val);
	}
	if (o.updated_at)
		h->result_xref_put(res, XREF_VERSION, o.id, o.updated_at);
out:
	json_object_put(cust);
	json_object_put(sodoc);
	bh_fl_order_free(&o);
}

static void so_destroy(void *ctx)
{
	free(ctx);
}

#define O(f) offsetof(struct so_flow, f)
static const struct bh_cfg_entry so_config[] = {
	{BH_CFG_STR, "erp", NULL, BH_CFG_REQUIRED, O(env.erp_name), 0, 0, NULL,
	 "endpoint instance offering the erp capability (netsuite-soap or netsuite-rest)"},
	{BH_CFG_STR, "storefront", NULL, 0, O(env.storefront_name), 0, 0, NULL,
	 "storefront endpoint instance, to find an exchange order's original by name"},
	{BH_CFG_STR, "guest_customer", BH_FL_XID_CUSTOMER "guest", 0, O(guest_customer), 0, 0, NULL,
	 "ERP customer external id used for orders without a customer"},
	{BH_CFG_STR, "gift_card_item", "GIFT-CARD", 0, O(env.items.gift_card), 0, 0, NULL,
	 "ERP item (SKU) of the sales order's gift-card tender line (negative; billing debits "
	 "the gift card liability)"},
	{BH_CFG_STR, "store_credit_item", "GIFT-CARD", 0, O(env.items.store_credit), 0, 0, NULL,
	 "ERP item (SKU) of the sales order's store-credit tender line"},
	{BH_CFG_BOOL, "skip_cancelled", "true", 0, O(skip_cancelled), 0, 0, NULL,
	 "do not create orders cancelled before they reached the ERP"},
	{BH_CFG_DURATION, "missing_retry", "10m", 0, O(env.missing_retry_ms), 1, 0, NULL,
	 "wait before retrying an exchange order whose original is not in the ERP yet"},
	{BH_CFG_DURATION, "auth_retry", "1h", 0, O(env.auth_retry_ms), 1, 0, NULL,
	 "wait before retrying after the ERP refused the credentials"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "sales-order", .version = "1.0.0",
		 .description = "storefront orders -> ERP customers and sales orders",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = so_config, .init = so_init,
		 .configure = so_configure, .destroy = so_destroy, .deliver = so_deliver);
