/*
 * nssoap_orders.c - erp operations on customers and sales orders:
 *   find_sales_order    get by externalId, or a transaction search on the configured
 *                       Shopify order id body field (shopify_order_field)
 *   upsert_customer     read by externalId, then upsert (no write when unchanged)
 *   upsert_sales_order  SKUs resolved first (UNKNOWN_SKU writes nothing), read by
 *                       externalId; an existing order with the same lines is returned as
 *                       is, otherwise upsert (entity by the customer's externalId);
 *                       adjustments (gift card, store credit tenders) are untaxed lines
 *                       of quantity 1 on their item, as on return authorizations
 *   find_sales_order    also answers "billing": the cash sale or invoice created from
 *                       the order (a transaction search on createdFrom), or null
 *
 * Canonical answers: see sdk/RECORDS.md ("ERP documents" and the netsuite extension).
 * Ownership: netsuite-soap plugin. Threading: per-call state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "../common/text.h"
#include "nssoap.h"

static struct json_object *jmoney(int64_t cents)
{
	char buf[32];
	return json_object_new_string(bh_money_format(cents, buf, sizeof(buf)));
}

/* Canonical sales order of a parsed record. */
static int so_json(struct bh_nss *c, const struct bh_nss_rec *r, struct json_object **out,
		   struct bh_status *st)
{
	char status[80], tbuf[40];
	const char **iids = calloc(r->n_lines ? r->n_lines : 1, sizeof(*iids));
	char **skus = calloc(r->n_lines ? r->n_lines : 1, sizeof(*skus));
	struct json_object *o = NULL, *lines;
	int rc;

	if (!iids || !skus) {
		rc = BH_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->n_lines; i++)
		iids[i] = r->lines[i].item;
	if ((rc = bh_nss_item_skus(c, iids, r->n_lines, skus, st)) != BH_OK)
		goto out;
	o = json_object_new_object();
	lines = json_object_new_array();
	if (!o || !lines) {
		json_object_put(lines);
		rc = BH_ENOMEM;
		goto out;
	}
	bh_plug_snake(r->status, status, sizeof(status));
	const char *sid = bh_nss_rec_cf(r, c->shopify_field);
	json_object_object_add(o, "internal_id", json_object_new_string(r->internal_id ? r->internal_id : ""));
	json_object_object_add(o, "external_id", r->external_id ? json_object_new_string(r->external_id) : NULL);
	json_object_object_add(o, "type", json_object_new_string("sales_order"));
	json_object_object_add(o, "tran_id", r->tran_id ? json_object_new_string(r->tran_id) : NULL);
	json_object_object_add(o, "status", json_object_new_string(status));
	struct json_object *cu = json_object_new_object();
	json_object_object_add(cu, "internal_id", r->entity ? json_object_new_string(r->entity) : NULL);
	json_object_object_add(o, "customer", cu);
	json_object_object_add(o, "storefront_order_id", sid ? json_object_new_string(sid) : NULL);
	json_object_object_add(o, "other_ref_num", r->other_ref_num ? json_object_new_string(r->other_ref_num) : NULL);
	json_object_object_add(o, "date", r->tran_date_ms ? json_object_new_string(bh_nss_time_fmt(r->tran_date_ms, false, tbuf, sizeof(tbuf))) : NULL);
	json_object_object_add(o, "memo", r->memo ? json_object_new_string(r->memo) : NULL);
	json_object_object_add(o, "total", jmoney(r->total));
	json_object_object_add(o, "tax", jmoney(r->tax_total));
	struct json_object *sh = json_object_new_object();
	json_object_object_add(sh, "amount", jmoney(r->shipping));
	json_object_object_add(o, "shipping", sh);
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_nss_line *l = &r->lines[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "line", json_object_new_int64(l->line));
		json_object_object_add(j, "sku", skus[i] ? json_object_new_string(skus[i]) : NULL);
		json_object_object_add(j, "item_internal_id", l->item ? json_object_new_string(l->item) : NULL);
		json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
		json_object_object_add(j, "rate", jmoney(l->rate));
		json_object_object_add(j, "amount", jmoney(l->amount));
		json_object_object_add(j, "tax", jmoney(l->tax));
		json_object_object_add(j, "quantity_fulfilled", json_object_new_int64(l->qty_received));
		json_object_object_add(j, "quantity_billed", json_object_new_int64(l->qty_billed));
		json_object_object_add(j, "closed", json_object_new_boolean(l->closed));
		json_object_array_add(lines, j);
	}
	json_object_object_add(o, "lines", lines);
	*out = o;
	o = NULL;
out:
	for (size_t i = 0; skus && i < r->n_lines; i++)
		free(skus[i]);
	free(skus);
	free(iids);
	json_object_put(o);
	return rc;
}

/* The sales order whose Shopify order id field equals id. */
static int so_by_shopify_id(struct bh_nss *c, const char *id, struct bh_nss_rec *out,
			    struct bh_status *st)
{
	struct bh_nss_req q;
	struct bh_nss_page pg;
	xmlNodePtr basic;
	static const char *const types[] = {"_salesOrder"};
	int rc = bh_nss_search_new(&q, c, "platformCommon:TransactionSearchBasic", false, &basic);
	if (rc != BH_OK)
		return rc;
	if (!bh_nss_crit_enum(&q, basic, "type", types, 1) ||
	    !bh_nss_crit_cf_string(&q, basic, c->shopify_field, "is", id)) {
		bh_nss_req_free(&q);
		return BH_ENOMEM;
	}
	rc = bh_nss_search_run(c, &q, &pg, st);
	bh_nss_req_free(&q);
	if (rc != BH_OK)
		return rc;
	if (!pg.n) {
		bh_nss_page_clear(&pg);
		bh_nss_status_set(st, -1, "RCRD_DSNT_EXIST",
				  "no sales order has %s = %s", c->shopify_field, id);
		return BH_ENOENT;
	}
	*out = pg.recs[0];
	memset(&pg.recs[0], 0, sizeof(pg.recs[0]));
	bh_nss_page_clear(&pg);
	return BH_OK;
}

int bh_nss_billing(struct bh_nss *c, const char *so_iid, const char **out, struct bh_status *st)
{
	struct bh_nss_req q;
	struct bh_nss_page pg;
	xmlNodePtr basic;
	static const char *const types[] = {"_cashSale", "_invoice"};
	const char *ids[] = {so_iid};
	int rc;

	*out = NULL;
	if (!so_iid || !*so_iid)
		return BH_OK;
	if ((rc = bh_nss_search_new(&q, c, "platformCommon:TransactionSearchBasic", true, &basic)) != BH_OK)
		return rc;
	/* XSD order: createdFrom, ..., type */
	if (!bh_nss_crit_refs(&q, basic, "createdFrom", ids, 1) ||
	    !bh_nss_crit_enum(&q, basic, "type", types, 2)) {
		bh_nss_req_free(&q);
		return BH_ENOMEM;
	}
	rc = bh_nss_search_run(c, &q, &pg, st);
	bh_nss_req_free(&q);
	if (rc != BH_OK)
		return rc;
	for (size_t i = 0; i < pg.n && !*out; i++) {
		if (!strcmp(pg.recs[i].xsi, "CashSale"))
			*out = "cash_sale";
		else if (!strcmp(pg.recs[i].xsi, "Invoice"))
			*out = "invoice";
	}
	bh_nss_page_clear(&pg);
	return BH_OK;
}

int bh_nss_find_sales_order(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *qo, *res = NULL;
	struct bh_nss_rec r = {0};
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(query, &qo, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(qo, "external_id");
	const char *sid = bh_nss_json_str(qo, "shopify_order_id");
	if (eid)
		rc = bh_nss_get(c, "salesOrder", NULL, eid, &r, st);
	else if (sid)
		rc = so_by_shopify_id(c, sid, &r, st);
	else {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
				  "the query needs external_id or shopify_order_id");
		rc = BH_EREJECT;
	}
	const char *billing = NULL;
	if (rc == BH_OK && (rc = bh_nss_billing(c, r.internal_id, &billing, st)) == BH_OK &&
	    (rc = so_json(c, &r, &res, st)) == BH_OK) {
		json_object_object_add(res, "billing", billing ? json_object_new_string(billing) : NULL);
		rc = bh_nss_json_out(res, out);
	}
	bh_nss_rec_clear(&r);
	json_object_put(qo);
	return rc;
}

/* ------------------------------------------------------------------ customers */

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int bh_nss_upsert_customer(void *ctx, const char *customer, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d;
	struct bh_nss_rec cur = {0};
	struct bh_nss_req q = {0};
	char iid[32];
	bool existed = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(customer, &d, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(d, "external_id");
	const char *email = bh_nss_json_str(d, "email");
	const char *first = bh_nss_json_str(d, "first_name");
	const char *last = bh_nss_json_str(d, "last_name");
	if (!eid || !*eid) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the customer has no external_id");
		rc = BH_EREJECT;
		goto out;
	}
	rc = bh_nss_get(c, "customer", NULL, eid, &cur, st);
	if (rc == BH_OK) {
		existed = true;
		if (same(cur.email, email) && same(cur.first_name, first) && same(cur.last_name, last)) {
			rc = bh_nss_json_out(bh_nss_write_answer(cur.internal_id, eid, "customer", false), out);
			goto out;
		}
	} else if (rc != BH_ENOENT) {
		goto out;
	}
	if (c->host->dry_run(c->inst)) {
		bh_nss_status_set(st, -1, "DRY_RUN", "dry run: customer %s not written", eid);
		rc = bh_nss_json_out(bh_nss_write_answer(cur.internal_id, eid, "customer", false), out);
		goto out;
	}
	if ((rc = bh_nss_req_new(&q, c, "upsert", BH_NSS_PREFS_WRITE, false)) != BH_OK)
		goto out;
	xmlNodePtr r = bh_nss_record_el(&q, "listRel:Customer", NULL, eid);
	bool person = first || last;
	/* XSD order: isPerson, firstName, lastName, companyName, email */
	if (!r || (!existed && !bh_nss_el(r, q.rel, "isPerson", person ? "true" : "false")) ||
	    (first && !bh_nss_el(r, q.rel, "firstName", first)) ||
	    (last && !bh_nss_el(r, q.rel, "lastName", last)) ||
	    (!person && !existed && !bh_nss_el(r, q.rel, "companyName", email ? email : eid)) ||
	    (email && !bh_nss_el(r, q.rel, "email", email))) {
		rc = BH_ENOMEM;
		goto out;
	}
	bool dup = false;
	rc = bh_nss_write(c, &q, "customer", eid, iid, sizeof(iid), &dup, st);
	if (rc == BH_OK)
		rc = bh_nss_json_out(bh_nss_write_answer(iid, eid, "customer", !existed && !dup), out);
out:
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	json_object_put(d);
	return rc;
}

/* ------------------------------------------------------------------ sales orders */

/* An existing order carries exactly these lines (item, quantity, amount, tax), the
 * adjustment lines included. */
static bool lines_equal(const struct bh_nss_rec *cur, const struct bh_nss_dlines *d)
{
	if (cur->n_lines != d->n)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		const struct bh_nss_line *x = &cur->lines[i];
		const struct bh_nss_dline *l = &d->v[i];
		if (!x->item || strcmp(x->item, l->iid) || x->quantity != l->qty ||
		    x->amount != l->amount || x->tax != l->tax)
			return false;
	}
	return true;
}

int bh_nss_upsert_sales_order(void *ctx, const char *order, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d, *jl = NULL, *v;
	struct bh_nss_rec cur = {0};
	struct bh_nss_req q = {0};
	struct bh_nss_dlines dl = {0};
	char iid[32];
	int64_t shipping = 0;
	bool existed = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(order, &d, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(d, "external_id");
	const char *cust = bh_nss_json_str(d, "customer_external_id");
	const char *sid = bh_nss_json_str(d, "storefront_order_id");
	const char *name = bh_nss_json_str(d, "name");
	const char *date = bh_nss_json_str(d, "date");
	const char *memo = bh_nss_json_str(d, "memo");
	const char *exch = bh_nss_json_str(d, "exchange_of");
	if (!eid || !*eid || !cust || !*cust || !json_object_object_get_ex(d, "lines", &jl) ||
	    !json_object_is_type(jl, json_type_array) || !json_object_array_length(jl)) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
				  "a sales order needs external_id, customer_external_id and lines");
		rc = BH_EREJECT;
		goto out;
	}
	if (json_object_object_get_ex(d, "shipping", &v) &&
	    (rc = bh_nss_json_money(v, "amount", &shipping, NULL, st)) != BH_OK)
		goto out;
	/* every SKU (lines, then adjustment items) first: an unknown one writes nothing */
	if ((rc = bh_nss_read_lines(c, d, &dl, false, st)) != BH_OK ||
	    (rc = bh_nss_read_adjustments(c, d, &dl, false, st)) != BH_OK)
		goto out;
	rc = bh_nss_get(c, "salesOrder", NULL, eid, &cur, st);
	if (rc == BH_OK) {
		existed = true;
		if (lines_equal(&cur, &dl) && cur.shipping == shipping) {
			rc = bh_nss_json_out(bh_nss_write_answer(cur.internal_id, eid, "sales_order", false), out);
			goto out;
		}
	} else if (rc != BH_ENOENT) {
		goto out;
	}
	if (c->host->dry_run(c->inst)) {
		bh_nss_status_set(st, -1, "DRY_RUN", "dry run: sales order %s not written", eid);
		rc = bh_nss_json_out(bh_nss_write_answer(cur.internal_id, eid, "sales_order", false), out);
		goto out;
	}
	if ((rc = bh_nss_req_new(&q, c, "upsert", BH_NSS_PREFS_WRITE, false)) != BH_OK)
		goto out;
	xmlNodePtr r = bh_nss_record_el(&q, "tranSales:SalesOrder", NULL, eid);
	rc = BH_ENOMEM;
	/* XSD order: entity, tranDate, otherRefNum, memo, shippingCost, itemList, customFieldList */
	if (!r || !bh_nss_ref_el(r, q.sales, "entity", NULL, cust, NULL))
		goto out;
	int64_t dms;
	char dbuf[40];
	if (date && bh_nss_time_parse(date, &dms) == BH_OK &&
	    !bh_nss_el(r, q.sales, "tranDate", bh_nss_time_fmt(dms, false, dbuf, sizeof(dbuf))))
		goto out;
	if ((exch || name) && !bh_nss_el(r, q.sales, "otherRefNum", exch ? exch : name))
		goto out;
	if (memo && !bh_nss_el(r, q.sales, "memo", memo))
		goto out;
	if (shipping && !bh_nss_el_money(r, q.sales, "shippingCost", shipping))
		goto out;
	xmlNodePtr il = xmlNewChild(r, q.sales, (const xmlChar *)"itemList", NULL);
	if (!il)
		goto out;
	xmlNewProp(il, (const xmlChar *)"replaceAll", (const xmlChar *)"true");
	/* SalesOrderItem order: item, quantity, description, rate, amount, taxAmount;
	 * adjustments are untaxed lines of quantity 1 with a negative amount */
	for (size_t i = 0; i < dl.n; i++)
		if (!bh_nss_put_line(q.sales, il, &dl.v[i]))
			goto out;
	if (sid) {
		xmlNodePtr cl = xmlNewChild(r, q.sales, (const xmlChar *)"customFieldList", NULL);
		xmlNodePtr cf = cl ? xmlNewChild(cl, q.core, (const xmlChar *)"customField", NULL) : NULL;
		if (!cf)
			goto out;
		xmlNewProp(cf, (const xmlChar *)"scriptId", (const xmlChar *)c->shopify_field);
		bh_nss_xsi_type(&q, cf, "platformCore:StringCustomFieldRef");
		if (!bh_nss_el(cf, q.core, "value", sid))
			goto out;
	}
	bool dup = false;
	rc = bh_nss_write(c, &q, "salesOrder", eid, iid, sizeof(iid), &dup, st);
	if (rc == BH_OK)
		rc = bh_nss_json_out(bh_nss_write_answer(iid, eid, "sales_order", !existed && !dup), out);
out:
	free(dl.v);
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	json_object_put(d);
	return rc;
}
