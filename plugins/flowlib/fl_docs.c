/*
 * fl_docs.c - the ERP documents the flows write (sdk/RECORDS.md "ERP documents"):
 * customer, sales order, return authorization, item receipt, refund.
 *
 * Ownership: flowlib; built objects belong to the caller. Threading: pure functions.
 */
#include <stdio.h>
#include <string.h>

#include "fl_priv.h"

#define XID_MAX 160

struct json_object *bh_fl_customer_doc(const struct bh_fl_order *o, const char *guest_xid)
{
	char xid[XID_MAX];
	struct json_object *d = json_object_new_object();
	if (!d)
		return NULL;
	if (o->customer_id)
		bh_fl_xid(xid, sizeof(xid), BH_FL_XID_CUSTOMER, o->customer_id);
	else
		snprintf(xid, sizeof(xid), "%s", guest_xid ? guest_xid : BH_FL_XID_CUSTOMER "guest");
	bh_fl_jadd_str(d, "external_id", xid);
	bh_fl_jadd_str(d, "email", o->email);
	bh_fl_jadd_str(d, "first_name", o->customer_id ? o->first_name : "Guest");
	bh_fl_jadd_str(d, "last_name", o->customer_id ? o->last_name : "Customer");
	return d;
}

int bh_fl_sales_order_doc(const struct bh_fl_order *o, const char *customer_xid,
			  const char *exchange_of, struct json_object **out, char *err,
			  size_t errlen)
{
	return bh_fl_sales_order_doc_ex(o, customer_xid, exchange_of, NULL, out, err, errlen);
}

/* One adjustment line of the sales order for a non-card tender (amount > 0 cents). */
static int add_tender_adj(struct json_object *a, const char *kind, const char *item,
			  int64_t amount, const char *order_name, const char *how)
{
	char memo[256];
	if (amount == 0)
		return BH_OK;
	struct json_object *j = json_object_new_object();
	if (!j)
		return BH_ENOMEM;
	bh_fl_jadd_str(j, "kind", kind);
	bh_fl_jadd_str(j, "item", item);
	bh_fl_jadd_money(j, "amount", -amount);
	snprintf(memo, sizeof(memo), "Shopify order %s: paid by %s", order_name, how);
	bh_fl_jadd_str(j, "memo", memo);
	json_object_array_add(a, j);
	return BH_OK;
}

int bh_fl_sales_order_doc_ex(const struct bh_fl_order *o, const char *customer_xid,
			     const char *exchange_of, const struct bh_fl_items *it,
			     struct json_object **out, char *err, size_t errlen)
{
	char xid[XID_MAX], memo[256];
	const char *nm = o->name ? o->name : o->id;
	const char *gc_item = it && it->gift_card ? it->gift_card : "GIFT-CARD";
	const char *sc_item = it && it->store_credit ? it->store_credit : "GIFT-CARD";
	*out = NULL;
	struct json_object *d = json_object_new_object(), *lines = json_object_new_array();
	struct json_object *ship = json_object_new_object(), *tenders = json_object_new_array();
	struct json_object *adj = json_object_new_array();
	if (!d || !lines || !ship || !tenders || !adj) {
		json_object_put(d);
		json_object_put(lines);
		json_object_put(ship);
		json_object_put(tenders);
		json_object_put(adj);
		return BH_ENOMEM;
	}
	json_object_object_add(d, "adjustments", adj);
	bh_fl_xid(xid, sizeof(xid), BH_FL_XID_ORDER, o->id);
	bh_fl_jadd_str(d, "external_id", xid);
	bh_fl_jadd_str(d, "customer_external_id", customer_xid);
	bh_fl_jadd_str(d, "storefront_order_id", o->id);
	bh_fl_jadd_str(d, "name", o->name);
	bh_fl_jadd_str(d, "date", o->created_at);
	bh_fl_jadd_str(d, "currency", o->currency);
	json_object_object_add(d, "lines", lines);
	json_object_object_add(d, "shipping", ship);
	json_object_object_add(d, "tenders", tenders);
	for (size_t i = 0; i < o->n_lines; i++) {
		const struct bh_fl_order_line *l = &o->lines[i];
		if (l->quantity == 0)
			continue; /* removed by an order edit */
		if (!l->sku) {
			json_object_put(d);
			return bh_fl_err(err, errlen, "order %s: line %zu ('%s', id %s) has no SKU; every "
					 "line needs one to match an ERP item", nm, i + 1,
					 l->title ? l->title : "", l->id ? l->id : "?");
		}
		int64_t amount = bh_fl_line_amount(l->price, l->quantity, l->discount);
		struct json_object *j = json_object_new_object();
		if (!j) {
			json_object_put(d);
			return BH_ENOMEM;
		}
		bh_fl_jadd_str(j, "sku", l->sku);
		json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
		bh_fl_jadd_money(j, "rate", bh_fl_unit_rate(amount, l->quantity));
		bh_fl_jadd_money(j, "amount", amount);
		bh_fl_jadd_money(j, "discount", l->discount);
		bh_fl_jadd_money(j, "tax", l->tax);
		bh_fl_jadd_str(j, "line_id", l->id);
		json_object_array_add(lines, j);
	}
	bh_fl_jadd_money(ship, "amount", o->shipping_price - o->shipping_discount);
	bh_fl_jadd_money(ship, "tax", o->shipping_tax);
	bh_fl_jadd_money(d, "discount", o->totals.discount);
	bh_fl_jadd_money(d, "tax", o->totals.tax);
	bh_fl_jadd_money(d, "total", o->totals.total);
	/* tenders summed by kind, in the order met */
	static const char *const kinds[] = {"card", "gift_card", "store_credit", "other"};
	struct bh_fl_paid p;
	bh_fl_paid_of_order(o, &p);
	const int64_t amounts[] = {p.card, p.gift_card, p.store_credit, p.other};
	for (size_t k = 0; k < 4; k++) {
		if (!amounts[k])
			continue;
		struct json_object *t = json_object_new_object();
		bh_fl_jadd_str(t, "kind", kinds[k]);
		bh_fl_jadd_money(t, "amount", amounts[k]);
		json_object_array_add(tenders, t);
	}
	/* the non-card tenders as negative lines on the items of their liability: the order's
	 * billing then debits Gift Card Liability for them instead of Payment Clearing */
	if (add_tender_adj(adj, "gift_card", gc_item, p.gift_card, nm, "gift card") != 0 ||
	    add_tender_adj(adj, "store_credit", sc_item, p.store_credit, nm, "store credit") != 0) {
		json_object_put(d);
		return BH_ENOMEM;
	}
	bh_fl_jadd_str(d, "exchange_of", exchange_of);
	if (exchange_of)
		snprintf(memo, sizeof(memo), "Shopify order %s (exchange for %s)", nm,
			 o->exchange_original_name ? o->exchange_original_name : exchange_of);
	else
		snprintf(memo, sizeof(memo), "Shopify order %s", nm);
	bh_fl_jadd_str(d, "memo", memo);
	*out = d;
	return BH_OK;
}

static void add_adj(struct json_object *a, const char *kind, const char *item, int64_t amount,
		    const char *rid, const char *what)
{
	char memo[160];
	if (amount == 0)
		return;
	struct json_object *j = json_object_new_object();
	bh_fl_jadd_str(j, "kind", kind);
	bh_fl_jadd_str(j, "item", item);
	bh_fl_jadd_money(j, "amount", -amount);
	snprintf(memo, sizeof(memo), "Loop return %s: %s", rid, what);
	bh_fl_jadd_str(j, "memo", memo);
	json_object_array_add(a, j);
}

struct json_object *bh_fl_adjustments(const struct bh_fl_settle *s, const struct bh_fl_items *it,
				      const char *return_id)
{
	struct json_object *a = json_object_new_array();
	if (!a)
		return NULL;
	add_adj(a, "gift_card", it->gift_card, s->gift_card, return_id, "refund to gift card");
	add_adj(a, "store_credit", it->store_credit, s->store_credit, return_id, "store credit");
	add_adj(a, "exchange_credit", it->exchange_credit, s->exchange_credit, return_id,
		"exchange credit");
	add_adj(a, "fee", it->fee, s->fee, return_id, "handling fee");
	return a;
}

int bh_fl_return_lines(const struct bh_fl_return *r, struct json_object **out, char *err,
		       size_t errlen)
{
	*out = NULL;
	struct json_object *a = json_object_new_array();
	if (!a)
		return BH_ENOMEM;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_fl_return_line *l = &r->lines[i];
		if (!l->sku) {
			json_object_put(a);
			return bh_fl_err(err, errlen, "return %s (order %s): line %zu ('%s', line item %s) "
					 "has no SKU; every line needs one to match an ERP item", r->id,
					 r->order_name ? r->order_name : r->order_id, i + 1,
					 l->title ? l->title : "", l->line_item_id ? l->line_item_id : "?");
		}
		int64_t amount = bh_fl_line_amount(l->price, l->quantity, l->discount);
		struct json_object *j = json_object_new_object();
		bh_fl_jadd_str(j, "sku", l->sku);
		json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
		bh_fl_jadd_money(j, "rate", bh_fl_unit_rate(amount, l->quantity));
		bh_fl_jadd_money(j, "amount", amount);
		bh_fl_jadd_money(j, "tax", l->tax);
		json_object_array_add(a, j);
	}
	*out = a;
	return BH_OK;
}

static struct json_object *ref_obj(const char *iid, const char *xid)
{
	struct json_object *o = json_object_new_object();
	if (iid)
		bh_fl_jadd_str(o, "internal_id", iid);
	else
		bh_fl_jadd_str(o, "external_id", xid);
	return o;
}

int bh_fl_ra_doc(const struct bh_fl_return *r, const struct bh_fl_settle *s,
		 const struct bh_fl_items *it, const char *so_internal_id,
		 const char *so_external_id, struct json_object **out, char *err, size_t errlen)
{
	char xid[XID_MAX], memo[256];
	struct json_object *lines;
	int rc = bh_fl_return_lines(r, &lines, err, errlen);
	*out = NULL;
	if (rc != 0)
		return rc;
	struct json_object *d = json_object_new_object();
	if (!d) {
		json_object_put(lines);
		return BH_ENOMEM;
	}
	bh_fl_xid(xid, sizeof(xid), BH_FL_XID_RA, r->id);
	bh_fl_jadd_str(d, "external_id", xid);
	json_object_object_add(d, "sales_order", ref_obj(so_internal_id, so_external_id));
	bh_fl_jadd_str(d, "return_id", r->id);
	json_object_object_add(d, "lines", lines);
	json_object_object_add(d, "adjustments", bh_fl_adjustments(s, it, r->id));
	snprintf(memo, sizeof(memo), "Loop return %s for order %s", r->id,
		 r->order_name ? r->order_name : r->order_id);
	bh_fl_jadd_str(d, "memo", memo);
	*out = d;
	return BH_OK;
}

int bh_fl_receipt_doc(const struct bh_fl_return *r, const char *ra_internal_id, bool restock,
		      struct json_object **out, char *err, size_t errlen)
{
	char xid[XID_MAX], memo[256];
	*out = NULL;
	struct json_object *d = json_object_new_object(), *lines = json_object_new_array();
	if (!d || !lines) {
		json_object_put(d);
		json_object_put(lines);
		return BH_ENOMEM;
	}
	json_object_object_add(d, "lines", lines);
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_fl_return_line *l = &r->lines[i];
		if (!l->sku) {
			json_object_put(d);
			return bh_fl_err(err, errlen, "return %s: line %zu ('%s') has no SKU", r->id, i + 1,
					 l->title ? l->title : "");
		}
		struct json_object *j = json_object_new_object();
		bh_fl_jadd_str(j, "sku", l->sku);
		json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
		json_object_object_add(j, "restock", json_object_new_boolean(restock));
		json_object_array_add(lines, j);
	}
	bh_fl_xid(xid, sizeof(xid), BH_FL_XID_RECEIPT, r->id);
	bh_fl_jadd_str(d, "external_id", xid);
	json_object_object_add(d, "ra", ref_obj(ra_internal_id, NULL));
	snprintf(memo, sizeof(memo), "Loop return %s received (order %s)", r->id,
		 r->order_name ? r->order_name : r->order_id);
	bh_fl_jadd_str(d, "memo", memo);
	*out = d;
	return BH_OK;
}

int bh_fl_refund_doc(const struct bh_fl_return *r, const struct bh_fl_settle *s,
		     const struct bh_fl_items *it, enum bh_fl_refund_doc doc,
		     const char *ra_internal_id, struct json_object **out, char *err,
		     size_t errlen)
{
	char xid[XID_MAX], memo[256];
	struct json_object *lines;
	int rc = bh_fl_return_lines(r, &lines, err, errlen);
	*out = NULL;
	if (rc != 0)
		return rc;
	struct json_object *d = json_object_new_object();
	if (!d) {
		json_object_put(lines);
		return BH_ENOMEM;
	}
	bool cm = doc == BH_FL_DOC_CREDIT_MEMO;
	bh_fl_xid(xid, sizeof(xid), cm ? BH_FL_XID_CREDIT_MEMO : BH_FL_XID_CASH_REFUND, r->id);
	bh_fl_jadd_str(d, "external_id", xid);
	bh_fl_jadd_str(d, "document", cm ? "credit_memo" : "cash_refund");
	json_object_object_add(d, "ra", ref_obj(ra_internal_id, NULL));
	bh_fl_jadd_str(d, "return_id", r->id);
	json_object_object_add(d, "lines", lines);
	json_object_object_add(d, "adjustments", bh_fl_adjustments(s, it, r->id));
	if (s->bonus > 0) {
		bh_fl_jadd_money(d, "bonus", s->bonus);
		bh_fl_jadd_str(d, "bonus_item", it->bonus);
	} else {
		json_object_object_add(d, "bonus", NULL);
	}
	if (cm && s->cash > 0) {
		struct json_object *c = json_object_new_object();
		bh_fl_xid(xid, sizeof(xid), BH_FL_XID_CUSTOMER_REFUND, r->id);
		bh_fl_jadd_str(c, "external_id", xid);
		bh_fl_jadd_money(c, "amount", s->cash);
		json_object_object_add(d, "customer_refund", c);
	} else {
		json_object_object_add(d, "customer_refund", NULL);
	}
	snprintf(memo, sizeof(memo), "Loop return %s refund (order %s)", r->id,
		 r->order_name ? r->order_name : r->order_id);
	bh_fl_jadd_str(d, "memo", memo);
	*out = d;
	return BH_OK;
}
