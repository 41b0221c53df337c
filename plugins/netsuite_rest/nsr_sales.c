/*
 * nsr_sales.c - customers and sales orders over the NetSuite REST record API.
 *
 *   upsert_customer     PUT customer/eid:<external id> (isPerson with names, else the
 *                       e-mail as company name)
 *   upsert_sales_order  PUT salesOrder/eid:<external id>: entity by the customer's
 *                       external id, lines by SKU on sku_field
 *                       (rate after discount, amount, tax1Amt), shippingCost, the
 *                       Shopify order id in shopify_order_field, exchange_of (else the
 *                       order name) in otherRefNum; adjustments (the flow's non-card
 *                       tenders) are untaxed lines of quantity 1 on their item, as on
 *                       return authorizations (as netsuite-soap). An existing order whose lines and shipping are
 *                       unchanged is not written again (created=false); a changed one is
 *                       sent with the existing line keys so RAs keep their links.
 *   find_sales_order    by external id, or by Shopify order id with SuiteQL; "billing"
 *                       from the cash sale / invoice created from it (SuiteQL on
 *                       transaction.createdfrom), null when not billed
 *
 * Ownership: netsuite-rest plugin. Threading: stateless per call; thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "nsr.h"

/* ------------------------------------------------------------------ customers */

static bool same(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

int bh_nsr_upsert_customer(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *doc = NULL, *body = NULL, *cur = NULL;
	struct bh_nsr_reply r;
	char id[32] = "", path[512];
	bool existed = false;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if ((rc = bh_nsr_parse_doc(text, &doc, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(doc, "external_id");
	const char *email = bh_nsr_jstr(doc, "email");
	const char *first = bh_nsr_jstr(doc, "first_name");
	const char *last = bh_nsr_jstr(doc, "last_name");
	if (!bh_nsr_eid_valid(eid)) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "customer external_id missing or not [A-Za-z0-9_-]");
		goto out;
	}
	snprintf(path, sizeof(path), "eid:%s", eid);
	rc = bh_nsr_get(c, BH_NSR_T_CUSTOMER, path, false, "email,firstName,lastName", &cur, st);
	if (rc != BH_OK && rc != BH_ENOENT)
		goto out;
	existed = rc == BH_OK;
	if (existed) {
		snprintf(id, sizeof(id), "%s", bh_nsr_jstr(cur, "id") ? bh_nsr_jstr(cur, "id") : "");
		if (same(bh_nsr_jstr(cur, "email"), email) &&
		    same(bh_nsr_jstr(cur, "firstName"), first) &&
		    same(bh_nsr_jstr(cur, "lastName"), last)) {
			rc = bh_nsr_answer(out, id, eid, "customer", false, NULL);
			goto out;
		}
	}
	if (bh_nsr_dry_run(c)) {
		rc = bh_nsr_dry_answer(c, out, eid, "customer", "upsert");
		goto out;
	}
	body = json_object_new_object();
	if (!body) {
		rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		goto out;
	}
	if ((first && *first) || (last && *last)) {
		json_object_object_add(body, "isPerson", json_object_new_boolean(1));
		json_object_object_add(body, "firstName", json_object_new_string(first ? first : ""));
		json_object_object_add(body, "lastName", json_object_new_string(last ? last : ""));
	} else if (email && *email) {
		json_object_object_add(body, "isPerson", json_object_new_boolean(0));
		json_object_object_add(body, "companyName", json_object_new_string(email));
	} else {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "customer %s has neither a name nor an e-mail", eid);
		goto out;
	}
	if (email && *email)
		json_object_object_add(body, "email", json_object_new_string(email));
	snprintf(path, sizeof(path), "%s%s/eid:%s", BH_NSR_REST_PATH, BH_NSR_T_CUSTOMER, eid);
	rc = bh_nsr_request(c, "PUT", path, body, BH_NSR_F_IDEMPOTENT, &r, st);
	if (rc == BH_OK && r.location_id[0])
		snprintf(id, sizeof(id), "%s", r.location_id);
	else if (rc == BH_OK)
		rc = bh_nsr_find_eid(c, BH_NSR_T_CUSTOMER, eid, id, sizeof(id), st);
	else
		rc = bh_nsr_reread_after(c, rc, BH_NSR_T_CUSTOMER, eid, id, sizeof(id), st);
	if (rc == BH_OK)
		rc = bh_nsr_answer(out, id, eid, "customer", !existed, NULL);
out:
	bh_nsr_reply_clear(&r);
	json_object_put(cur);
	json_object_put(body);
	json_object_put(doc);
	return rc;
}

/* ------------------------------------------------------------------ sales orders */

/* The line we want on the order. */
struct want_line {
	const char *item;
	const char *memo;     /* adjustments: the line's description */
	int64_t qty, rate, amount, tax;
};

/* Lines of an existing order equal to the wanted ones (same items, quantities,
 * amounts and tax, in order) and same shipping? */
static bool same_order(struct json_object *so, const struct want_line *w, size_t n,
		       int64_t shipping)
{
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(so, "item"), "items");
	int64_t v;
	if (!items || json_object_array_length(items) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		const char *item = bh_nsr_jref_id(l, "item");
		int64_t q;
		if (!item || strcmp(item, w[i].item) != 0)
			return false;
		if (bh_nsr_jqty(l, "quantity", &q) != BH_OK || (q < 0 ? -q : q) != w[i].qty)
			return false;
		if (bh_nsr_jmoney(l, "amount", &v) != BH_OK || v != w[i].amount)
			return false;
		if (bh_nsr_jmoney(l, "tax1Amt", &v) == BH_OK ? v != w[i].tax : w[i].tax != 0)
			return false;
	}
	if (bh_nsr_jmoney(so, "shippingCost", &v) != BH_OK)
		v = 0;
	return v == shipping;
}

static int want_money(struct json_object *o, const char *key, int64_t *v, bool required,
		      const char *what, struct bh_status *st)
{
	int rc = bh_nsr_jmoney(o, key, v);
	if (rc == BH_ENOENT && !required) {
		*v = 0;
		return BH_OK;
	}
	if (rc != BH_OK)
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT", "%s: %s %s", what, key,
				   rc == BH_ENOENT ? "is missing" : "is not an exact amount");
	return BH_OK;
}

static int customer_id(struct bh_nsr *c, const char *ceid, char *id, size_t len,
		       struct bh_status *st)
{
	int rc = bh_nsr_find_eid(c, BH_NSR_T_CUSTOMER, ceid, id, len, st);
	if (rc == BH_ENOENT)
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST",
				 "customer %s does not exist in NetSuite", ceid);
	return rc;
}

int bh_nsr_upsert_sales_order(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *doc = NULL, *body = NULL, *existing = NULL, *items;
	struct bh_nsr_map skus = {0};
	struct want_line *want = NULL;
	struct bh_nsr_reply r;
	char cust[32], id[32] = "", path[512], ref[256];
	size_t n_want = 0;
	int64_t shipping = 0;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if ((rc = bh_nsr_parse_doc(text, &doc, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(doc, "external_id");
	const char *ceid = bh_nsr_jstr(doc, "customer_external_id");
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	size_t nl = lines ? json_object_array_length(lines) : 0;
	if (!bh_nsr_eid_valid(eid) || !bh_nsr_eid_valid(ceid) || nl == 0) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "a sales order needs external_id, customer_external_id (both "
				 "[A-Za-z0-9_-]) and lines");
		goto out;
	}
	/* every SKU (lines and adjustment items) first: an unknown one rejects the order
	 * before anything is written */
	if ((rc = bh_nsr_collect_skus(doc, &skus, eid, st)) != BH_OK ||
	    (rc = bh_nsr_items_resolve(c, &skus, st)) != BH_OK)
		goto out;

	struct json_object *adj = bh_nsr_jarr(doc, "adjustments");
	size_t na = adj ? json_object_array_length(adj) : 0;
	want = calloc(nl + na + 1, sizeof(*want));
	if (!want)
		goto nomem;
	for (size_t i = 0; i < nl; i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);
		struct want_line *w = &want[n_want++];
		w->item = bh_nsr_map_get(&skus, bh_nsr_jstr(l, "sku"));
		if (bh_nsr_jqty(l, "quantity", &w->qty) != BH_OK || w->qty <= 0) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "sales order %s: line %zu has no positive quantity", eid,
					 i + 1);
			goto out;
		}
		if ((rc = want_money(l, "rate", &w->rate, true, eid, st)) != BH_OK ||
		    (rc = want_money(l, "tax", &w->tax, false, eid, st)) != BH_OK)
			goto out;
		if (bh_nsr_jmoney(l, "amount", &w->amount) != BH_OK)
			w->amount = w->rate * w->qty;
	}
	/* adjustments (gift card / store credit tenders): untaxed lines of quantity 1, as
	 * on a return authorization */
	for (size_t i = 0; i < na; i++) {
		struct bh_nsr_adj a;
		struct want_line *w = &want[n_want++];
		if ((rc = bh_nsr_adjustment(doc, i, &skus, eid, &a, st)) != BH_OK)
			goto out;
		*w = (struct want_line){.item = a.item, .memo = a.memo, .qty = 1, .rate = a.amount,
					.amount = a.amount};
	}
	struct json_object *ship = bh_nsr_jobj(doc, "shipping");
	if (ship && (rc = want_money(ship, "amount", &shipping, false, eid, st)) != BH_OK)
		goto out;

	if ((rc = customer_id(c, ceid, cust, sizeof(cust), st)) != BH_OK)
		goto out;
	snprintf(ref, sizeof(ref), "eid:%s", eid);
	rc = bh_nsr_get(c, BH_NSR_T_SO, ref, true, NULL, &existing, st);
	if (rc != BH_OK && rc != BH_ENOENT)
		goto out;
	if (existing && same_order(existing, want, n_want, shipping)) {
		rc = bh_nsr_answer(out, bh_nsr_jstr(existing, "id"), eid, "sales_order", false, NULL);
		goto out;
	}
	if (bh_nsr_dry_run(c)) {
		rc = bh_nsr_dry_answer(c, out, eid, "sales_order", "upsert");
		goto out;
	}

	body = json_object_new_object();
	items = json_object_new_array();
	if (!body || !items) {
		json_object_put(items);
		goto nomem;
	}
	struct json_object *ent = json_object_new_object();
	json_object_object_add(ent, "id", json_object_new_string(cust));
	json_object_object_add(body, "entity", ent);
	const char *date = bh_nsr_jstr(doc, "date");
	if (date && strlen(date) >= 10) {
		char d[11];
		memcpy(d, date, 10);
		d[10] = '\0';
		json_object_object_add(body, "tranDate", json_object_new_string(d));
	}
	const char *memo = bh_nsr_jstr(doc, "memo");
	const char *name = bh_nsr_jstr(doc, "name");
	if (memo && *memo)
		json_object_object_add(body, "memo", json_object_new_string(memo));
	else if (name && *name) {
		char m[160];
		snprintf(m, sizeof(m), "Shopify order %s", name);
		json_object_object_add(body, "memo", json_object_new_string(m));
	}
	const char *exch = bh_nsr_jstr(doc, "exchange_of");
	if ((exch && *exch) || (name && *name))
		json_object_object_add(body, "otherRefNum",
				       json_object_new_string(exch && *exch ? exch : name));
	const char *shop_id = bh_nsr_jstr(doc, "storefront_order_id");
	if (shop_id && *shop_id && c->shopify_order_field && *c->shopify_order_field)
		json_object_object_add(body, c->shopify_order_field, json_object_new_string(shop_id));
	json_object_object_add(body, "shippingCost", bh_nsr_money_json(shipping));
	struct json_object *old_items =
		existing ? bh_nsr_jarr(bh_nsr_jobj(existing, "item"), "items") : NULL;
	for (size_t i = 0; i < n_want; i++) {
		struct json_object *l = json_object_new_object(), *it = json_object_new_object();
		json_object_object_add(it, "id", json_object_new_string(want[i].item));
		/* keep the key of an existing line with the same item (RAs link to it) */
		if (old_items && i < json_object_array_length(old_items)) {
			struct json_object *ol = json_object_array_get_idx(old_items, i);
			const char *oi = bh_nsr_jref_id(ol, "item");
			const char *key = bh_nsr_jstr(ol, "line");
			if (oi && key && strcmp(oi, want[i].item) == 0)
				json_object_object_add(l, "line", json_object_new_int64(atoll(key)));
		}
		json_object_object_add(l, "item", it);
		json_object_object_add(l, "quantity", json_object_new_int64(want[i].qty));
		json_object_object_add(l, "rate", bh_nsr_money_json(want[i].rate));
		json_object_object_add(l, "amount", bh_nsr_money_json(want[i].amount));
		json_object_object_add(l, "tax1Amt", bh_nsr_money_json(want[i].tax));
		if (want[i].memo && *want[i].memo)
			json_object_object_add(l, "description", json_object_new_string(want[i].memo));
		json_object_array_add(items, l);
	}
	struct json_object *sub = json_object_new_object();
	json_object_object_add(sub, "items", items);
	json_object_object_add(body, "item", sub);

	snprintf(path, sizeof(path), "%s%s/eid:%s", BH_NSR_REST_PATH, BH_NSR_T_SO, eid);
	rc = bh_nsr_request(c, "PUT", path, body, BH_NSR_F_IDEMPOTENT, &r, st);
	if (rc == BH_OK && r.location_id[0])
		snprintf(id, sizeof(id), "%s", r.location_id);
	else if (rc == BH_OK)
		rc = bh_nsr_find_eid(c, BH_NSR_T_SO, eid, id, sizeof(id), st);
	else
		rc = bh_nsr_reread_after(c, rc, BH_NSR_T_SO, eid, id, sizeof(id), st);
	if (rc == BH_OK)
		rc = bh_nsr_answer(out, id, eid, "sales_order", existing == NULL, NULL);
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	bh_nsr_reply_clear(&r);
	free(want);
	bh_nsr_map_free(&skus);
	json_object_put(existing);
	json_object_put(body);
	json_object_put(doc);
	return rc;
}

/* ------------------------------------------------------------------ find */

static void put_money(struct json_object *o, const char *key, struct json_object *src,
		      const char *src_key)
{
	int64_t v;
	char buf[32];
	if (bh_nsr_jmoney(src, src_key, &v) == BH_OK)
		json_object_object_add(o, key, json_object_new_string(bh_money_format(v, buf,
										     sizeof(buf))));
	else
		json_object_object_add(o, key, NULL);
}

static void put_qty(struct json_object *o, const char *key, struct json_object *src,
		    const char *src_key)
{
	int64_t q;
	if (bh_nsr_jqty(src, src_key, &q) != BH_OK)
		q = 0;
	json_object_object_add(o, key, json_object_new_int64(q < 0 ? -q : q));
}

/* The canonical sales order of a REST record (SKUs resolved). */
static int canonical_so(struct bh_nsr *c, struct json_object *so, const char *billing,
			char **out, struct bh_status *st)
{
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(so, "item"), "items");
	struct bh_nsr_map ids = {0};
	struct json_object *o = json_object_new_object(), *lines = json_object_new_array();
	size_t n = items ? json_object_array_length(items) : 0;
	int rc = BH_OK;

	if (!o || !lines)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const char *item = bh_nsr_jref_id(json_object_array_get_idx(items, i), "item");
		if (item && bh_nsr_map_add(&ids, item) != BH_OK)
			goto nomem;
	}
	if ((rc = bh_nsr_items_skus(c, &ids, st)) != BH_OK)
		goto out;
	json_object_object_add(o, "internal_id", json_object_new_string(bh_nsr_jstr(so, "id") ?
									     bh_nsr_jstr(so, "id") : ""));
	const char *v = bh_nsr_jstr(so, "externalId");
	json_object_object_add(o, "external_id", v ? json_object_new_string(v) : NULL);
	json_object_object_add(o, "type", json_object_new_string("sales_order"));
	v = bh_nsr_jstr(so, "tranId");
	json_object_object_add(o, "tran_id", v ? json_object_new_string(v) : NULL);
	struct json_object *status = bh_nsr_jobj(so, "status");
	json_object_object_add(o, "status", json_object_new_string(bh_nsr_so_status(
			       status ? bh_nsr_jstr(status, "id") : bh_nsr_jstr(so, "status"))));
	v = c->shopify_order_field ? bh_nsr_jstr(so, c->shopify_order_field) : NULL;
	json_object_object_add(o, "storefront_order_id", v ? json_object_new_string(v) : NULL);
	struct json_object *cust = json_object_new_object();
	v = bh_nsr_jref_id(so, "entity");
	json_object_object_add(cust, "internal_id", v ? json_object_new_string(v) : NULL);
	json_object_object_add(o, "customer", cust);
	v = bh_nsr_jstr(so, "tranDate");
	json_object_object_add(o, "date", v ? json_object_new_string(v) : NULL);
	struct json_object *cur = bh_nsr_jobj(so, "currency");
	v = cur ? (bh_nsr_jstr(cur, "refName") ? bh_nsr_jstr(cur, "refName") : bh_nsr_jstr(cur, "id"))
		: NULL;
	json_object_object_add(o, "currency", v ? json_object_new_string(v) : NULL);
	v = bh_nsr_jstr(so, "memo");
	json_object_object_add(o, "memo", v ? json_object_new_string(v) : NULL);
	v = bh_nsr_jstr(so, "otherRefNum");
	json_object_object_add(o, "other_ref_num", v ? json_object_new_string(v) : NULL);
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		struct json_object *cl = json_object_new_object();
		const char *item = bh_nsr_jref_id(l, "item");
		const char *sku = bh_nsr_map_get(&ids, item);
		const char *key = bh_nsr_jstr(l, "line");
		json_object_object_add(cl, "line", key ? json_object_new_int64(atoll(key)) : NULL);
		json_object_object_add(cl, "sku", sku ? json_object_new_string(sku) : NULL);
		json_object_object_add(cl, "item_internal_id",
				       item ? json_object_new_string(item) : NULL);
		put_qty(cl, "quantity", l, "quantity");
		put_money(cl, "rate", l, "rate");
		put_money(cl, "amount", l, "amount");
		put_money(cl, "tax", l, "tax1Amt");
		put_qty(cl, "quantity_fulfilled", l, "quantityFulfilled");
		put_qty(cl, "quantity_billed", l, "quantityBilled");
		json_object_object_add(cl, "closed",
				       json_object_new_boolean(bh_nsr_jbool(l, "isClosed", false)));
		json_object_array_add(lines, cl);
	}
	json_object_object_add(o, "lines", lines);
	lines = NULL;
	struct json_object *ship = json_object_new_object();
	put_money(ship, "amount", so, "shippingCost");
	json_object_object_add(o, "shipping", ship);
	put_money(o, "subtotal", so, "subtotal");
	put_money(o, "tax", so, "taxTotal");
	put_money(o, "total", so, "total");
	json_object_object_add(o, "billing", billing ? json_object_new_string(billing) : NULL);
	rc = bh_nsr_dump(o, out);
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	json_object_put(lines);
	json_object_put(o);
	bh_nsr_map_free(&ids);
	return rc;
}

/* How the order was billed: "cash_sale", "invoice" or NULL. */
static int billing_of(struct bh_nsr *c, const char *so_id, const char **billing,
		      struct bh_status *st)
{
	struct json_object *params = json_object_new_array(), *rows = NULL;
	bool more;
	int rc;

	*billing = NULL;
	if (!params)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	json_object_array_add(params, json_object_new_string(so_id));
	rc = bh_nsr_suiteql(c, "SELECT id, type FROM transaction WHERE createdfrom = ? ORDER BY id",
			    params, 100, 0, &rows, &more, st);
	json_object_put(params);
	for (size_t i = 0; rc == BH_OK && !*billing && i < json_object_array_length(rows); i++) {
		const char *t = bh_nsr_jstr(json_object_array_get_idx(rows, i), "type");
		if (t && strcmp(t, "CashSale") == 0)
			*billing = "cash_sale";
		else if (t && strcmp(t, "CustInvc") == 0)
			*billing = "invoice";
	}
	json_object_put(rows);
	return rc;
}

int bh_nsr_find_sales_order(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *q = NULL, *so = NULL, *rows = NULL;
	char ref[256];
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &q, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(q, "external_id");
	const char *shop = bh_nsr_jstr(q, "shopify_order_id");
	if (eid && *eid) {
		if (!bh_nsr_eid_valid(eid)) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "external_id '%s' is not [A-Za-z0-9_-]", eid);
			goto out;
		}
		snprintf(ref, sizeof(ref), "eid:%s", eid);
	} else if (shop && *shop) {
		char sql[512];
		bool more;
		struct json_object *params = json_object_new_array();
		if (!params) {
			rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
			goto out;
		}
		json_object_array_add(params, json_object_new_string(shop));
		snprintf(sql, sizeof(sql),
			 "SELECT id FROM transaction WHERE type = 'SalesOrd' AND %s = ? ORDER BY id",
			 c->shopify_col);
		rc = bh_nsr_suiteql(c, sql, params, 10, 0, &rows, &more, st);
		json_object_put(params);
		if (rc != BH_OK)
			goto out;
		const char *id = json_object_array_length(rows) > 0
					 ? bh_nsr_jstr(json_object_array_get_idx(rows, 0), "id")
					 : NULL;
		if (!id) {
			rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST",
					 "no sales order has %s = %s", c->shopify_order_field, shop);
			goto out;
		}
		snprintf(ref, sizeof(ref), "%s", id);
	} else {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "the query needs external_id or shopify_order_id");
		goto out;
	}
	rc = bh_nsr_get(c, BH_NSR_T_SO, ref, true, NULL, &so, st);
	if (rc == BH_ENOENT)
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST", "sales order %s does not exist",
				 ref);
	const char *billing = NULL;
	if (rc == BH_OK && (rc = billing_of(c, bh_nsr_jstr(so, "id") ? bh_nsr_jstr(so, "id") : ref,
					  &billing, st)) == BH_OK)
		rc = canonical_so(c, so, billing, out, st);
out:
	json_object_put(rows);
	json_object_put(so);
	json_object_put(q);
	return rc;
}
