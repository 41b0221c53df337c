/*
 * nsr_related.c - read-only erp operations over SuiteQL and the REST record API:
 *   related_transactions  (for `backhaul report`) every transaction created from a
 *                         transaction, directly or through another: breadth first with
 *                         SuiteQL on transaction.createdfrom; customer refunds applying
 *                         a credit memo of the chain (a customer refund has no
 *                         createdfrom in NetSuite: the credit memo's customer's refunds
 *                         are read and kept when their apply sublist names it); for a
 *                         sales order, the exchange sales orders whose otherrefnum names
 *                         it (the plugin writes exchange_of there). Each transaction is
 *                         then read (GET, sublists expanded) for its lines and totals.
 *                         NetSuite's REST API has no general ledger of a transaction in
 *                         this plugin's reach, so the answer has no "gl" (not known).
 *   check_items           every SKU through the item cache / SuiteQL; all unknown SKUs
 *                         named in one UNKNOWN_SKU refusal
 *
 * Answers: sdk/RECORDS.md ("Read-only operations for backhaul report", "Additions of
 * 2026-11-27"). Ownership: netsuite-rest plugin. Threading: stateless; thread-safe.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "../common/text.h"
#include "nsr.h"

/* ------------------------------------------------------------------ check_items */

int bh_nsr_check_items(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *q = NULL, *o = NULL, *items;
	struct bh_nsr_map m = {0};
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &q, st)) != BH_OK)
		return rc;
	struct json_object *skus = bh_nsr_jarr(q, "skus");
	if (!skus) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT", "the query needs a skus array");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(skus); i++) {
		const char *sku = json_object_get_string(json_object_array_get_idx(skus, i));
		if (!sku || !*sku) {
			rc = bh_nsr_fail(st, BH_EREJECT, "UNKNOWN_SKU",
					 "unknown SKU '': no NetSuite item has %s = ''", c->sku_field);
			goto out;
		}
		if (bh_nsr_map_add(&m, sku) != BH_OK)
			goto nomem;
	}
	/* names every unknown SKU and the field searched */
	if ((rc = bh_nsr_items_resolve(c, &m, st)) != BH_OK)
		goto out;
	o = json_object_new_object();
	items = json_object_new_array();
	if (!o || !items) {
		json_object_put(items);
		goto nomem;
	}
	json_object_object_add(o, "items", items);
	for (size_t i = 0; i < m.n; i++) {
		struct json_object *it = json_object_new_object();
		json_object_object_add(it, "sku", json_object_new_string(m.key[i]));
		json_object_object_add(it, "internal_id", json_object_new_string(m.val[i]));
		json_object_array_add(items, it);
	}
	rc = bh_nsr_dump(o, out);
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	bh_nsr_map_free(&m);
	json_object_put(o);
	json_object_put(q);
	return rc;
}

/* ------------------------------------------------------------------ related */

/* SuiteQL transaction type -> REST record type and canonical type. */
static const struct {
	const char *sql, *rest, *type;
} types[] = {
	{"SalesOrd", "salesOrder", "sales_order"}, {"CashSale", "cashSale", "cash_sale"},
	{"CustInvc", "invoice", "invoice"}, {"ItemShip", "itemFulfillment", "item_fulfillment"},
	{"RtnAuth", "returnAuthorization", "return_authorization"},
	{"ItemRcpt", "itemReceipt", "item_receipt"}, {"CashRfnd", "cashRefund", "cash_refund"},
	{"CustCred", "creditMemo", "credit_memo"}, {"CustRfnd", "customerRefund", "customer_refund"},
};

static int type_index(const char *sql)
{
	for (size_t i = 0; sql && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].sql, sql) == 0)
			return (int)i;
	return -1;
}

struct node {
	char id[32];
	char parent[32];       /* "" none */
	int type;              /* index into types[] */
	bool exchange;
	struct json_object *rec;   /* the record, read expanded */
};

struct nodes {
	struct node *v;
	size_t n;
};

static struct node *find_node(struct nodes *ns, const char *id)
{
	for (size_t i = 0; id && i < ns->n; i++)
		if (strcmp(ns->v[i].id, id) == 0)
			return &ns->v[i];
	return NULL;
}

static int add_node(struct nodes *ns, const char *root, const char *id, const char *sql_type,
		    const char *parent, bool exchange)
{
	int t = type_index(sql_type);
	if (!id || t < 0 || strcmp(id, root) == 0 || find_node(ns, id))
		return BH_OK;
	struct node *g = realloc(ns->v, (ns->n + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	ns->v = g;
	struct node *x = &g[ns->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->parent, sizeof(x->parent), "%s", parent ? parent : "");
	x->type = t;
	x->exchange = exchange;
	return BH_OK;
}

/* Every row of a one-parameter SuiteQL query (all pages). */
static int query_all(struct bh_nsr *c, const char *sql, const char *param,
		     struct json_object **rows, struct bh_status *st)
{
	struct json_object *params = json_object_new_array();
	struct json_object *all = json_object_new_array();
	int rc = BH_OK;

	*rows = NULL;
	if (!params || !all) {
		json_object_put(params);
		json_object_put(all);
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	json_object_array_add(params, json_object_new_string(param));
	for (int64_t off = 0;; off += c->page_size) {
		struct json_object *page = NULL;
		bool more = false;
		if ((rc = bh_nsr_suiteql(c, sql, params, c->page_size, off, &page, &more, st)) != BH_OK)
			break;
		for (size_t i = 0; i < json_object_array_length(page); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(page, i)));
		json_object_put(page);
		if (!more)
			break;
	}
	json_object_put(params);
	if (rc != BH_OK) {
		json_object_put(all);
		return rc;
	}
	*rows = all;
	return BH_OK;
}

/* Customer refunds applying credit memo cm (found through the memo's customer). */
static int refunds_of(struct bh_nsr *c, struct nodes *ns, const char *root, const char *cm,
		      struct bh_status *st)
{
	struct json_object *memo = NULL, *rows = NULL;
	int rc = bh_nsr_get(c, "creditMemo", cm, false, "entity", &memo, st);
	const char *entity = rc == BH_OK ? bh_nsr_jref_id(memo, "entity") : NULL;
	if (rc != BH_OK || !entity)
		goto out;
	rc = query_all(c, "SELECT id, type FROM transaction WHERE type = 'CustRfnd' AND entity = ? "
			  "ORDER BY id", entity, &rows, st);
	for (size_t i = 0; rc == BH_OK && i < json_object_array_length(rows); i++) {
		const char *id = bh_nsr_jstr(json_object_array_get_idx(rows, i), "id");
		struct json_object *crf = NULL;
		if (!id || find_node(ns, id))
			continue;
		if ((rc = bh_nsr_get(c, "customerRefund", id, true, NULL, &crf, st)) != BH_OK) {
			json_object_put(crf);
			break;
		}
		struct json_object *ap = bh_nsr_jarr(bh_nsr_jobj(crf, "apply"), "items");
		for (size_t k = 0; ap && k < json_object_array_length(ap); k++) {
			struct json_object *a = json_object_array_get_idx(ap, k);
			const char *doc = bh_nsr_jref_id(a, "doc");
			if (!doc)
				doc = bh_nsr_jstr(a, "doc");
			if (doc && strcmp(doc, cm) == 0 && bh_nsr_jbool(a, "apply", true)) {
				rc = add_node(ns, root, id, "CustRfnd", cm, false);
				break;
			}
		}
		json_object_put(crf);
	}
out:
	json_object_put(rows);
	json_object_put(memo);
	return rc;
}

static struct json_object *money_or_null(struct json_object *o, const char *key)
{
	int64_t v;
	char buf[32];
	return bh_nsr_jmoney(o, key, &v) == BH_OK
		       ? json_object_new_string(bh_money_format(v, buf, sizeof(buf)))
		       : NULL;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	const char *cx = bh_nsr_jstr(x->rec, "createdDate"), *cy = bh_nsr_jstr(y->rec, "createdDate");
	if (cx && cy && strcmp(cx, cy) != 0)
		return strcmp(cx, cy);
	long long i = atoll(x->id), j = atoll(y->id);
	return i < j ? -1 : i > j;
}

/* The answer's transaction of a node read expanded (SKUs in ids). */
static struct json_object *tx_json(struct nodes *ns, const struct node *x, const char *root_id,
				   const char *root_type, const struct bh_nsr_map *ids)
{
	struct json_object *t = json_object_new_object(), *lines = json_object_new_array();
	struct json_object *r = x->rec;
	char status[96];
	if (!t || !lines) {
		json_object_put(t);
		json_object_put(lines);
		return NULL;
	}
	json_object_object_add(t, "internal_id", json_object_new_string(x->id));
	json_object_object_add(t, "external_id", str_or_null(bh_nsr_jstr(r, "externalId")));
	json_object_object_add(t, "type", json_object_new_string(types[x->type].type));
	json_object_object_add(t, "tran_id", str_or_null(bh_nsr_jstr(r, "tranId")));
	struct json_object *so = bh_nsr_jobj(r, "status");
	bh_plug_snake(so ? bh_nsr_jstr(so, "refName") : NULL, status, sizeof(status));
	json_object_object_add(t, "status", status[0] ? json_object_new_string(status) : NULL);
	const char *date = bh_nsr_jstr(r, "tranDate");
	json_object_object_add(t, "date", date ? json_object_new_string_len(date, strlen(date) > 10 ? 10 : (int)strlen(date)) : NULL);
	if (x->parent[0]) {
		const struct node *p = find_node(ns, x->parent);
		struct json_object *cf = json_object_new_object();
		json_object_object_add(cf, "internal_id", json_object_new_string(x->parent));
		json_object_object_add(cf, "type", str_or_null(p ? types[p->type].type
						   : strcmp(x->parent, root_id) == 0 ? root_type : NULL));
		json_object_object_add(t, "created_from", cf);
	} else {
		json_object_object_add(t, "created_from", NULL);
	}
	if (x->exchange) {
		struct json_object *ex = json_object_new_object();
		json_object_object_add(ex, "internal_id", json_object_new_string(root_id));
		json_object_object_add(t, "exchange_of", ex);
	} else {
		json_object_object_add(t, "exchange_of", NULL);
	}
	json_object_object_add(t, "total", money_or_null(r, "total"));
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(r, "item"), "items");
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		struct json_object *j = json_object_new_object();
		int64_t q = 0;
		if (bh_nsr_jqty(l, "quantity", &q) != BH_OK)
			q = 0;
		json_object_object_add(j, "sku", str_or_null(bh_nsr_map_get(ids, bh_nsr_jref_id(l, "item"))));
		json_object_object_add(j, "quantity", json_object_new_int64(q < 0 ? -q : q));
		json_object_object_add(j, "rate", money_or_null(l, "rate"));
		json_object_object_add(j, "amount", money_or_null(l, "amount"));
		json_object_object_add(j, "tax", money_or_null(l, "tax1Amt"));
		json_object_array_add(lines, j);
	}
	json_object_object_add(t, "lines", lines);
	return t;
}

int bh_nsr_related(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *ref = NULL, *rows = NULL, *o = NULL, *txs = NULL;
	struct nodes ns = {0};
	struct bh_nsr_map ids = {0};
	char root_id[32] = "", root_eid[256] = "";
	const char *root_type = NULL;
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &ref, st)) != BH_OK)
		return rc;
	const char *iid = bh_nsr_jstr(ref, "internal_id");
	const char *eid = bh_nsr_jstr(ref, "external_id");
	if (iid && *iid)
		rc = query_all(c, "SELECT id, type, externalid FROM transaction WHERE id = ?", iid,
			       &rows, st);
	else if (eid && *eid)
		rc = query_all(c, "SELECT id, type, externalid FROM transaction WHERE externalid = ?",
			       eid, &rows, st);
	else
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "the reference needs internal_id or external_id");
	if (rc != BH_OK)
		goto out;
	for (size_t i = 0; !root_id[0] && i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		int t = type_index(bh_nsr_jstr(row, "type"));
		if (t < 0 || !bh_nsr_jstr(row, "id"))
			continue;
		snprintf(root_id, sizeof(root_id), "%s", bh_nsr_jstr(row, "id"));
		snprintf(root_eid, sizeof(root_eid), "%s",
			 bh_nsr_jstr(row, "externalid") ? bh_nsr_jstr(row, "externalid") : "");
		root_type = types[t].type;
	}
	json_object_put(rows);
	rows = NULL;
	if (!root_id[0]) {
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST", "transaction %s does not exist in NetSuite",
				 iid && *iid ? iid : eid);
		goto out;
	}

	/* breadth first: node k's children; ns grows while we walk it */
	for (size_t k = 0; k <= ns.n; k++) {
		char from[32];
		snprintf(from, sizeof(from), "%s", k == 0 ? root_id : ns.v[k - 1].id);
		if (k > 0 && ns.v[k - 1].exchange)
			continue;   /* an exchange order's own chain is its own */
		if ((rc = query_all(c, "SELECT id, type FROM transaction WHERE createdfrom = ? ORDER BY id",
				    from, &rows, st)) != BH_OK)
			goto out;
		for (size_t i = 0; rc == BH_OK && i < json_object_array_length(rows); i++) {
			struct json_object *row = json_object_array_get_idx(rows, i);
			rc = add_node(&ns, root_id, bh_nsr_jstr(row, "id"), bh_nsr_jstr(row, "type"), from,
				      false);
		}
		json_object_put(rows);
		rows = NULL;
		if (rc != BH_OK)
			goto out;
		bool is_cm = k == 0 ? strcmp(root_type, "credit_memo") == 0
				    : strcmp(types[ns.v[k - 1].type].type, "credit_memo") == 0;
		if (is_cm && (rc = refunds_of(c, &ns, root_id, from, st)) != BH_OK)
			goto out;
		if (k == 0 && strcmp(root_type, "sales_order") == 0 && root_eid[0]) {
			/* exchange orders name the original in otherRefNum */
			if ((rc = query_all(c, "SELECT id, type FROM transaction WHERE type = 'SalesOrd' "
					       "AND otherrefnum = ? ORDER BY id", root_eid, &rows, st)) != BH_OK)
				goto out;
			for (size_t i = 0; rc == BH_OK && i < json_object_array_length(rows); i++) {
				struct json_object *row = json_object_array_get_idx(rows, i);
				rc = add_node(&ns, root_id, bh_nsr_jstr(row, "id"), "SalesOrd", NULL, true);
			}
			json_object_put(rows);
			rows = NULL;
			if (rc != BH_OK)
				goto out;
		}
	}
	/* read each one: lines, totals, status */
	for (size_t i = 0; i < ns.n; i++) {
		if ((rc = bh_nsr_get(c, types[ns.v[i].type].rest, ns.v[i].id, true, NULL, &ns.v[i].rec,
				     st)) != BH_OK)
			goto out;
		struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(ns.v[i].rec, "item"), "items");
		for (size_t l = 0; items && l < json_object_array_length(items); l++) {
			const char *item = bh_nsr_jref_id(json_object_array_get_idx(items, l), "item");
			if (item && bh_nsr_map_add(&ids, item) != BH_OK)
				goto nomem;
		}
	}
	if ((rc = bh_nsr_items_skus(c, &ids, st)) != BH_OK)
		goto out;
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_node);
	o = json_object_new_object();
	txs = json_object_new_array();
	if (!o || !txs)
		goto nomem;
	for (size_t i = 0; i < ns.n; i++) {
		struct json_object *t = tx_json(&ns, &ns.v[i], root_id, root_type, &ids);
		if (!t)
			goto nomem;
		json_object_array_add(txs, t);
	}
	json_object_object_add(o, "transactions", txs);
	txs = NULL;
	rc = bh_nsr_dump(o, out);
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	for (size_t i = 0; i < ns.n; i++)
		json_object_put(ns.v[i].rec);
	free(ns.v);
	bh_nsr_map_free(&ids);
	json_object_put(txs);
	json_object_put(o);
	json_object_put(rows);
	json_object_put(ref);
	return rc;
}
