/*
 * nssoap_related.c - read-only erp operations:
 *   related_transactions  (for `backhaul report`) every transaction created from a
 *                         transaction, directly or through another: breadth first,
 *                         one TransactionSearch on createdFrom per level (full records,
 *                         so lines come with them); customer refunds applying a credit
 *                         memo of the chain (a customer refund has no createdFrom: a
 *                         search on the credit memos' customers, kept when its applyList
 *                         names one of them); and, for a sales order, the exchange
 *                         sales orders whose otherRefNum names it (the plugin writes
 *                         exchange_of there). SuiteTalk has no general ledger API, so
 *                         the answer has no "gl" member (absent = not known).
 *   check_items           every SKU through the item cache / ItemSearchBasic; all
 *                         unknown SKUs named in one UNKNOWN_SKU refusal
 *
 * Answers: sdk/RECORDS.md ("Read-only operations for backhaul report", "Additions of
 * 2026-11-27"). Ownership: netsuite-soap plugin. Threading: per-call state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "../common/text.h"
#include "nssoap.h"

/* ------------------------------------------------------------------ check_items */

int bh_nss_check_items(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *q, *skus, *items = NULL;
	char unknown[700] = "";
	size_t n_unknown = 0;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(query, &q, st)) != BH_OK)
		return rc;
	if (!json_object_object_get_ex(q, "skus", &skus) || !json_object_is_type(skus, json_type_array)) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the query needs a skus array");
		rc = BH_EREJECT;
		goto out;
	}
	if (!(items = json_object_new_array())) {
		rc = BH_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(skus); i++) {
		const char *sku = json_object_get_string(json_object_array_get_idx(skus, i));
		char iid[32];
		struct bh_status one = {0};
		rc = bh_nss_item_iid(c, sku, iid, sizeof(iid), &one);
		if (rc == BH_EREJECT && !strcmp(one.code, "UNKNOWN_SKU")) {
			size_t w = strlen(unknown);
			snprintf(unknown + w, sizeof(unknown) - w, "%sunknown SKU '%s': no NetSuite item has %s = '%s'",
				 n_unknown ? "; " : "", sku ? sku : "", c->sku_field, sku ? sku : "");
			n_unknown++;
			continue;
		}
		if (rc != BH_OK) {
			*st = one;
			goto out;
		}
		struct json_object *it = json_object_new_object();
		json_object_object_add(it, "sku", json_object_new_string(sku));
		json_object_object_add(it, "internal_id", json_object_new_string(iid));
		json_object_array_add(items, it);
	}
	if (n_unknown) {
		bh_nss_status_set(st, -1, "UNKNOWN_SKU", "%s", unknown);
		rc = BH_EREJECT;
		goto out;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	items = NULL;
	rc = bh_nss_json_out(o, out);
out:
	json_object_put(items);
	json_object_put(q);
	return rc;
}

/* ------------------------------------------------------------------ related */

struct node {
	struct bh_nss_rec rec;
	const char *type;          /* canonical type */
	char parent[32];           /* internal id of the transaction it came from, "" none */
	bool exchange;             /* an exchange sales order of the root */
};

struct nodes {
	struct node *v;
	size_t n;
};

static const char *canon_type(const char *xsi)
{
	static const struct {
		const char *xsi, *type;
	} map[] = {
		{"SalesOrder", "sales_order"}, {"CashSale", "cash_sale"}, {"Invoice", "invoice"},
		{"ItemFulfillment", "item_fulfillment"}, {"ReturnAuthorization", "return_authorization"},
		{"ItemReceipt", "item_receipt"}, {"CashRefund", "cash_refund"},
		{"CreditMemo", "credit_memo"}, {"CustomerRefund", "customer_refund"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].xsi, xsi))
			return map[i].type;
	return NULL;
}

static struct node *find_node(struct nodes *ns, const char *iid)
{
	for (size_t i = 0; iid && i < ns->n; i++)
		if (ns->v[i].rec.internal_id && !strcmp(ns->v[i].rec.internal_id, iid))
			return &ns->v[i];
	return NULL;
}

/* Take a record into the set (moved out of *r) unless it is there already. */
static int take(struct nodes *ns, struct bh_nss_rec *r, const char *parent, bool exchange)
{
	const char *type = canon_type(r->xsi);
	if (!type || !r->internal_id || find_node(ns, r->internal_id))
		return BH_OK;
	struct node *g = realloc(ns->v, (ns->n + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	ns->v = g;
	struct node *x = &g[ns->n++];
	memset(x, 0, sizeof(*x));
	x->rec = *r;
	memset(r, 0, sizeof(*r));
	x->type = type;
	x->exchange = exchange;
	snprintf(x->parent, sizeof(x->parent), "%s", parent ? parent : "");
	return BH_OK;
}

typedef int (*crit_fn)(struct bh_nss_req *q, xmlNodePtr basic, const void *arg);

/* A TransactionSearch with full records, every page; fn adds the criteria. Each record
 * is passed to keep(), which may take it (leaving it zeroed). */
static int search_all(struct bh_nss *c, crit_fn fn, const void *arg,
		      int (*keep)(struct bh_nss_rec *r, void *karg), void *karg, struct bh_status *st)
{
	struct bh_nss_req q;
	struct bh_nss_page pg;
	xmlNodePtr basic;
	int rc = bh_nss_search_new(&q, c, "platformCommon:TransactionSearchBasic", false, &basic);
	if (rc != BH_OK)
		return rc;
	if ((rc = fn(&q, basic, arg)) != BH_OK) {
		bh_nss_req_free(&q);
		return rc;
	}
	rc = bh_nss_search_run(c, &q, &pg, st);
	bh_nss_req_free(&q);
	for (int page = 2; rc == BH_OK; page++) {
		for (size_t i = 0; rc == BH_OK && i < pg.n; i++)
			rc = keep(&pg.recs[i], karg);
		int pages = pg.total_pages;
		char sid[160];
		snprintf(sid, sizeof(sid), "%s", pg.search_id);
		bh_nss_page_clear(&pg);
		if (rc != BH_OK || page > pages || !sid[0])
			break;
		rc = bh_nss_search_more(c, sid, page, false, &pg, st);
	}
	return rc;
}

struct ids {
	const char **v;
	size_t n;
};

static int crit_internal_id(struct bh_nss_req *q, xmlNodePtr basic, const void *arg)
{
	const struct ids *ids = arg;
	return bh_nss_crit_refs(q, basic, "internalId", ids->v, ids->n) ? BH_OK : BH_ENOMEM;
}

static int crit_external_id(struct bh_nss_req *q, xmlNodePtr basic, const void *arg)
{
	return bh_nss_crit_string(q, basic, "externalIdString", "is", arg) ? BH_OK : BH_ENOMEM;
}

static int crit_created_from(struct bh_nss_req *q, xmlNodePtr basic, const void *arg)
{
	const struct ids *ids = arg;
	return bh_nss_crit_refs(q, basic, "createdFrom", ids->v, ids->n) ? BH_OK : BH_ENOMEM;
}

static int crit_refunds_of(struct bh_nss_req *q, xmlNodePtr basic, const void *arg)
{
	const struct ids *entities = arg;
	static const char *const types[] = {"_customerRefund"};
	/* XSD order: entity, ..., type */
	return bh_nss_crit_refs(q, basic, "entity", entities->v, entities->n) &&
		       bh_nss_crit_enum(q, basic, "type", types, 1)
		       ? BH_OK
		       : BH_ENOMEM;
}

static int crit_exchanges_of(struct bh_nss_req *q, xmlNodePtr basic, const void *arg)
{
	static const char *const types[] = {"_salesOrder"};
	/* XSD order: otherRefNum, ..., type */
	return bh_nss_crit_string(q, basic, "otherRefNum", "equalTo", arg) &&
		       bh_nss_crit_enum(q, basic, "type", types, 1)
		       ? BH_OK
		       : BH_ENOMEM;
}

/* keep() of the root lookup: the first transaction found. */
static int keep_first(struct bh_nss_rec *r, void *arg)
{
	struct bh_nss_rec *root = arg;
	if (root->internal_id || !canon_type(r->xsi))
		return BH_OK;
	*root = *r;
	memset(r, 0, sizeof(*r));
	return BH_OK;
}

struct keep_ctx {
	struct nodes *ns;
	const char *root;
	bool exchange;
	bool refunds;       /* customer refunds: keep those applying a credit memo of the set */
};

static int keep_child(struct bh_nss_rec *r, void *arg)
{
	struct keep_ctx *k = arg;
	if (!r->internal_id || !strcmp(r->internal_id, k->root))
		return BH_OK;
	if (k->refunds) {
		for (size_t i = 0; i < r->n_apply; i++) {
			struct node *cm = find_node(k->ns, r->apply_docs[i]);
			if (cm && !strcmp(cm->type, "credit_memo"))
				return take(k->ns, r, cm->rec.internal_id, false);
		}
		return BH_OK;
	}
	return take(k->ns, r, k->exchange ? "" : r->created_from, k->exchange);
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	if (x->rec.created_ms != y->rec.created_ms)
		return x->rec.created_ms < y->rec.created_ms ? -1 : 1;
	long long i = atoll(x->rec.internal_id), j = atoll(y->rec.internal_id);
	return i < j ? -1 : i > j;
}

static struct json_object *jmoney(int64_t cents)
{
	char buf[32];
	return json_object_new_string(bh_money_format(cents, buf, sizeof(buf)));
}

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int related_json(struct bh_nss *c, struct nodes *ns, struct bh_nss_rec *root,
			const char *root_type, struct json_object **out, struct bh_status *st)
{
	size_t nl = 0, k = 0;
	int rc = BH_ENOMEM;
	for (size_t i = 0; i < ns->n; i++)
		nl += ns->v[i].rec.n_lines;
	const char **iids = calloc(nl + 1, sizeof(*iids));
	char **skus = calloc(nl + 1, sizeof(*skus));
	struct json_object *txs = json_object_new_array();
	if (!iids || !skus || !txs)
		goto out;
	for (size_t i = 0; i < ns->n; i++)
		for (size_t l = 0; l < ns->v[i].rec.n_lines; l++)
			iids[k++] = ns->v[i].rec.lines[l].item;
	if ((rc = bh_nss_item_skus(c, iids, nl, skus, st)) != BH_OK)
		goto out;
	k = 0;
	for (size_t i = 0; i < ns->n; i++) {
		const struct node *x = &ns->v[i];
		const struct bh_nss_rec *r = &x->rec;
		struct json_object *t = json_object_new_object(), *lines = json_object_new_array();
		char status[80], tbuf[40];
		json_object_object_add(t, "internal_id", json_object_new_string(r->internal_id));
		json_object_object_add(t, "external_id", jstr_or_null(r->external_id));
		json_object_object_add(t, "type", json_object_new_string(x->type));
		json_object_object_add(t, "tran_id", jstr_or_null(r->tran_id));
		bh_plug_snake(r->status, status, sizeof(status));
		json_object_object_add(t, "status", status[0] ? json_object_new_string(status) : NULL);
		if (r->tran_date_ms) {
			bh_nss_time_fmt(r->tran_date_ms, false, tbuf, sizeof(tbuf));
			tbuf[10] = '\0';
			json_object_object_add(t, "date", json_object_new_string(tbuf));
		} else {
			json_object_object_add(t, "date", NULL);
		}
		if (x->parent[0]) {
			const struct node *p = find_node(ns, x->parent);
			struct json_object *cf = json_object_new_object();
			json_object_object_add(cf, "internal_id", json_object_new_string(x->parent));
			json_object_object_add(cf, "type", jstr_or_null(p ? p->type
								: (root->internal_id && !strcmp(root->internal_id, x->parent))
									  ? root_type : NULL));
			json_object_object_add(t, "created_from", cf);
		} else {
			json_object_object_add(t, "created_from", NULL);
		}
		if (x->exchange) {
			struct json_object *ex = json_object_new_object();
			json_object_object_add(ex, "internal_id", json_object_new_string(root->internal_id));
			json_object_object_add(t, "exchange_of", ex);
		} else {
			json_object_object_add(t, "exchange_of", NULL);
		}
		json_object_object_add(t, "total", r->has_total ? jmoney(r->total) : NULL);
		for (size_t l = 0; l < r->n_lines; l++, k++) {
			const struct bh_nss_line *ln = &r->lines[l];
			struct json_object *j = json_object_new_object();
			json_object_object_add(j, "sku", jstr_or_null(skus[k]));
			json_object_object_add(j, "quantity", json_object_new_int64(ln->quantity));
			json_object_object_add(j, "rate", ln->has_rate ? jmoney(ln->rate) : NULL);
			json_object_object_add(j, "amount", ln->has_amount ? jmoney(ln->amount) : NULL);
			json_object_object_add(j, "tax", ln->has_amount ? jmoney(ln->tax) : NULL);
			json_object_array_add(lines, j);
		}
		json_object_object_add(t, "lines", lines);
		json_object_array_add(txs, t);
	}
	*out = json_object_new_object();
	if (!*out) {
		rc = BH_ENOMEM;
		goto out;
	}
	json_object_object_add(*out, "transactions", txs);
	txs = NULL;
	rc = BH_OK;
out:
	for (size_t i = 0; skus && i < nl; i++)
		free(skus[i]);
	free(skus);
	free(iids);
	json_object_put(txs);
	return rc;
}

int bh_nss_related(void *ctx, const char *ref, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d, *o = NULL;
	struct bh_nss_rec root = {0};
	struct nodes ns = {0};
	const char **level = NULL;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(ref, &d, st)) != BH_OK)
		return rc;
	const char *iid = bh_nss_json_str(d, "internal_id");
	const char *eid = bh_nss_json_str(d, "external_id");
	if (iid && *iid) {
		struct ids one = {&iid, 1};
		rc = search_all(c, crit_internal_id, &one, keep_first, &root, st);
	} else if (eid && *eid) {
		rc = search_all(c, crit_external_id, eid, keep_first, &root, st);
	} else {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the reference needs internal_id or external_id");
		rc = BH_EREJECT;
	}
	if (rc != BH_OK)
		goto out;
	if (!root.internal_id) {
		bh_nss_status_set(st, -1, "RCRD_DSNT_EXIST", "transaction %s does not exist in NetSuite",
				  iid && *iid ? iid : eid);
		rc = BH_ENOENT;
		goto out;
	}
	const char *root_type = canon_type(root.xsi);

	/* breadth first over createdFrom; start is the first node of the current level */
	size_t start = ns.n;
	const char *first[] = {root.internal_id};
	struct ids lvl = {first, 1};
	struct keep_ctx kc = {&ns, root.internal_id, false, false};
	for (int depth = 0; depth < 8 && lvl.n; depth++) {
		if ((rc = search_all(c, crit_created_from, &lvl, keep_child, &kc, st)) != BH_OK)
			goto out;
		/* customer refunds of this level's credit memos (found through their customers) */
		struct ids ents = {0};
		const char **ev = calloc(ns.n - start + 1, sizeof(*ev));
		if (!ev) {
			rc = BH_ENOMEM;
			goto out;
		}
		for (size_t i = start; i < ns.n; i++) {
			bool dup = false;
			if (strcmp(ns.v[i].type, "credit_memo") || !ns.v[i].rec.entity)
				continue;
			for (size_t e = 0; e < ents.n; e++)
				dup |= !strcmp(ev[e], ns.v[i].rec.entity);
			if (!dup)
				ev[ents.n++] = ns.v[i].rec.entity;
		}
		ents.v = ev;
		if (ents.n) {
			struct keep_ctx kr = {&ns, root.internal_id, false, true};
			rc = search_all(c, crit_refunds_of, &ents, keep_child, &kr, st);
		}
		free(ev);
		if (rc != BH_OK)
			goto out;
		/* the next level: what this one found */
		free(level);
		level = calloc(ns.n - start + 1, sizeof(*level));
		if (!level) {
			rc = BH_ENOMEM;
			goto out;
		}
		lvl.v = level;
		lvl.n = 0;
		for (size_t i = start; i < ns.n; i++)
			level[lvl.n++] = ns.v[i].rec.internal_id;
		start = ns.n;
	}
	/* exchange sales orders naming this order (otherRefNum = its external id) */
	if (root_type && !strcmp(root_type, "sales_order") && root.external_id) {
		struct keep_ctx kx = {&ns, root.internal_id, true, false};
		if ((rc = search_all(c, crit_exchanges_of, root.external_id, keep_child, &kx, st)) != BH_OK)
			goto out;
	}
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_node);
	if ((rc = related_json(c, &ns, &root, root_type, &o, st)) == BH_OK)
		rc = bh_nss_json_out(o, out);
out:
	free(level);
	for (size_t i = 0; i < ns.n; i++)
		bh_nss_rec_clear(&ns.v[i].rec);
	free(ns.v);
	bh_nss_rec_clear(&root);
	json_object_put(d);
	return rc;
}
