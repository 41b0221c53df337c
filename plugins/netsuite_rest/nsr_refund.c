/*
 * nsr_refund.c - documents derived from a return authorization, over the REST record
 * API transform (POST returnAuthorization/<id>/!transform/<to>?replace=item):
 *
 * The lines are linked (orderLine) to the lines of the transform's create-form (the
 * record NetSuite would make, REST's equivalent of SOAP initialize), which carry what is
 * still open on the RA:
 *   create_item_receipt  itemReceipt: each line on an RA line of its SKU with that
 *                        quantity still to receive; itemReceive, restock.
 *   create_refund        cashRefund or creditMemo: lines on RA lines of their SKUs with
 *                        that quantity still to refund (rate, amount, tax1Amt);
 *                        adjustments on the RA's line of their item when it has one
 *                        left, else extra lines; a bonus is a bonus_item line (+) and a
 *                        line (-) on the document's bonus_item, else gift_card_item. A credit memo may carry a customer
 *                        refund: a new customerRefund of the memo's customer whose
 *                        apply line takes the amount from that credit memo.
 * Each document is read by external id first (replay -> created=false) and read again
 * after a failure that may hide a success or a concurrent delivery of the same document
 * (then it is answered with created=false); a receipt refused because another receipt
 * already took the RA is refused with ALREADY_RECEIVED naming the RA. Every SKU is resolved before anything is
 * written (UNKNOWN_SKU rejects the whole document).
 *
 * Ownership: netsuite-rest plugin. Threading: stateless per call; thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nsr.h"

static struct json_object *ref_obj(const char *id)
{
	struct json_object *o = json_object_new_object();
	if (o)
		json_object_object_add(o, "id", json_object_new_string(id));
	return o;
}

static struct json_object *money_line(const char *item_id, const char *order_line, int64_t qty,
				      int64_t rate, int64_t amount, int64_t tax, const char *memo)
{
	struct json_object *l = json_object_new_object();
	if (!l)
		return NULL;
	if (order_line)
		json_object_object_add(l, "orderLine", json_object_new_int64(atoll(order_line)));
	json_object_object_add(l, "item", ref_obj(item_id));
	json_object_object_add(l, "quantity", json_object_new_int64(qty));
	json_object_object_add(l, "rate", bh_nsr_money_json(rate));
	json_object_object_add(l, "amount", bh_nsr_money_json(amount));
	json_object_object_add(l, "tax1Amt", bh_nsr_money_json(tax));
	if (memo && *memo)
		json_object_object_add(l, "description", json_object_new_string(memo));
	return l;
}

static struct json_object *sublist(struct json_object *items)
{
	struct json_object *s = json_object_new_object();
	if (s)
		json_object_object_add(s, "items", items);
	else
		json_object_put(items);
	return s;
}

/* ------------------------------------------------------------------ item receipt */

/* A receipt refused from what we read and not written by anyone under its external id:
 * when the RA has nothing left to receive for the document's lines (another receipt
 * took it: the race window the flow's own quantity check cannot close), say so. */
static int already_received(struct bh_nsr *c, const char *ra_id, struct json_object *doc,
			    const struct bh_nsr_map *skus, const char *eid, int rc,
			    struct bh_status *st)
{
	struct json_object *ra = NULL;
	struct bh_status saved = *st;
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	const char *short_sku = NULL;

	if (bh_nsr_get(c, BH_NSR_T_RA, ra_id, true, NULL, &ra, st) != BH_OK) {
		*st = saved;
		json_object_put(ra);
		return rc;
	}
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(ra, "item"), "items");
	for (size_t i = 0; lines && !short_sku && i < json_object_array_length(lines); i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);
		const char *sku = bh_nsr_jstr(l, "sku");
		const char *item = bh_nsr_map_get(skus, sku);
		int64_t q = 0, open = 0;
		if (bh_nsr_jqty(l, "quantity", &q) != BH_OK)
			continue;
		for (size_t k = 0; items && item && k < json_object_array_length(items); k++) {
			struct json_object *x = json_object_array_get_idx(items, k);
			const char *it = bh_nsr_jref_id(x, "item");
			int64_t qty = 0, rcv = 0;
			if (!it || strcmp(it, item) != 0 || bh_nsr_jbool(x, "isClosed", false))
				continue;
			bh_nsr_jqty(x, "quantity", &qty);
			bh_nsr_jqty(x, "quantityReceived", &rcv);
			qty = qty < 0 ? -qty : qty;
			rcv = rcv < 0 ? -rcv : rcv;
			if (qty > rcv)
				open += qty - rcv;
		}
		if (open < q)
			short_sku = sku;
	}
	if (short_sku) {
		const char *ext = bh_nsr_jstr(ra, "externalId");
		const char *tran = bh_nsr_jstr(ra, "tranId");
		rc = bh_nsr_fail(st, BH_EREJECT, "ALREADY_RECEIVED",
				 "return authorization %s (%s) is already received by another item "
				 "receipt: nothing left to receive for %s; item receipt %s not written "
				 "(NetSuite: %s)", tran ? tran : ra_id, ext ? ext : ra_id, short_sku, eid,
				 saved.message);
	} else {
		*st = saved;
	}
	json_object_put(ra);
	return rc;
}

int bh_nsr_create_receipt(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *doc = NULL, *ra = NULL, *body = NULL, *items = NULL;
	struct bh_nsr_map skus = {0};
	int64_t *used = NULL;
	char id[32] = "", ra_id[32] = "";
	bool existed = false, absent = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &doc, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(doc, "external_id");
	struct json_object *raref = bh_nsr_jobj(doc, "ra");
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	size_t nl = lines ? json_object_array_length(lines) : 0;
	if (!bh_nsr_eid_valid(eid) || !raref) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "item receipt needs a valid external_id and an ra reference");
		goto out;
	}
	rc = bh_nsr_find_eid(c, BH_NSR_T_IR, eid, id, sizeof(id), st);
	if (rc == BH_OK) {
		rc = bh_nsr_answer(out, id, eid, "item_receipt", false, NULL);
		goto out;
	}
	if (rc != BH_ENOENT)
		goto out;
	absent = true;
	for (size_t i = 0; i < nl; i++) {
		const char *sku = bh_nsr_jstr(json_object_array_get_idx(lines, i), "sku");
		if (!sku || !*sku) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "%s: line %zu has no SKU", eid, i + 1);
			goto out;
		}
		if (bh_nsr_map_add(&skus, sku) != BH_OK)
			goto nomem;
	}
	if ((rc = bh_nsr_items_resolve(c, &skus, st)) != BH_OK)
		goto out;
	if ((rc = bh_nsr_ref_id(c, BH_NSR_T_RA, raref, "return authorization", ra_id,
				sizeof(ra_id), st)) != BH_OK) {
		ra_id[0] = '\0';
		goto out;
	}
	/* the receipt NetSuite would make: its lines carry what is left to receive */
	if ((rc = bh_nsr_create_form(c, BH_NSR_T_RA, ra_id, BH_NSR_T_IR, &ra, st)) != BH_OK)
		goto out;
	struct json_object *form_items = bh_nsr_jarr(bh_nsr_jobj(ra, "item"), "items");
	used = calloc((form_items ? json_object_array_length(form_items) : 0) + 1, sizeof(*used));
	body = json_object_new_object();
	if (!used || !body)
		goto nomem;
	json_object_object_add(body, "externalId", json_object_new_string(eid));
	const char *memo = bh_nsr_jstr(doc, "memo");
	if (memo && *memo)
		json_object_object_add(body, "memo", json_object_new_string(memo));
	if (nl > 0) {
		items = json_object_new_array();
		if (!items)
			goto nomem;
		for (size_t i = 0; i < nl; i++) {
			struct json_object *l = json_object_array_get_idx(lines, i);
			const char *sku = bh_nsr_jstr(l, "sku");
			int64_t q;
			if (bh_nsr_jqty(l, "quantity", &q) != BH_OK || q <= 0) {
				rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
						 "%s: line %zu (%s) needs a positive quantity", eid,
						 i + 1, sku);
				goto out;
			}
			const char *ol = bh_nsr_form_line(form_items, bh_nsr_map_get(&skus, sku), q,
							  used);
			if (!ol) {
				rc = bh_nsr_fail(st, BH_EREJECT, "NOTHING_TO_RECEIVE",
						 "%s: return authorization %s has no %lld of %s left "
						 "to receive", eid, ra_id, (long long)q, sku);
				goto out;
			}
			struct json_object *il = json_object_new_object();
			json_object_object_add(il, "orderLine", json_object_new_int64(atoll(ol)));
			json_object_object_add(il, "quantity", json_object_new_int64(q));
			json_object_object_add(il, "itemReceive", json_object_new_boolean(1));
			json_object_object_add(il, "restock",
					       json_object_new_boolean(bh_nsr_jbool(l, "restock", true)));
			json_object_array_add(items, il);
		}
		json_object_object_add(body, "item", sublist(items));
		items = NULL;
	}
	if (bh_nsr_dry_run(c)) {
		rc = bh_nsr_dry_answer(c, out, eid, "item_receipt", "create");
		goto out;
	}
	rc = bh_nsr_transform(c, BH_NSR_T_RA, ra_id, BH_NSR_T_IR, body, id, sizeof(id), &existed,
			      st);
	if (rc == BH_OK) {
		c->host->counter_add(c->inst, "receipts_created", 1);
		rc = bh_nsr_answer(out, id, eid, "item_receipt", !existed, NULL);
	}
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	/* refused from what we read (nothing left to receive...): a concurrent delivery of
	 * the same receipt may have taken it; then the receipt exists and this is a replay */
	if (rc == BH_EREJECT && absent &&
	    bh_nsr_reread_after(c, rc, BH_NSR_T_IR, eid, id, sizeof(id), st) == BH_OK)
		rc = bh_nsr_answer(out, id, eid, "item_receipt", false, NULL);
	else if (rc == BH_EREJECT && absent && ra_id[0] && strcmp(st->code, "UNKNOWN_SKU") != 0)
		rc = already_received(c, ra_id, doc, &skus, eid, rc, st);
	free(used);
	bh_nsr_map_free(&skus);
	json_object_put(items);
	json_object_put(body);
	json_object_put(ra);
	json_object_put(doc);
	return rc;
}

/* ------------------------------------------------------------------ refunds */

/* The item a refund's bonus credit is issued on (Cr): the document's bonus_item (the
 * flow's setting, RECORDS.md "Additions for the flows"), else our gift_card_item. */
static const char *bonus_credit_item(const struct bh_nsr *c, struct json_object *doc)
{
	const char *v = bh_nsr_jstr(doc, "bonus_item");
	return v && *v ? v : c->gift_card_item;
}

/* The lines of a cash refund / credit memo. */
static int refund_lines(struct bh_nsr *c, struct json_object *doc, const char *eid,
			const char *ra_id, struct json_object *form, const struct bh_nsr_map *skus,
			int64_t bonus, struct json_object *items, struct bh_status *st)
{
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	struct json_object *adj = bh_nsr_jarr(doc, "adjustments");
	struct json_object *form_items = bh_nsr_jarr(bh_nsr_jobj(form, "item"), "items");
	int64_t *used = calloc((form_items ? json_object_array_length(form_items) : 0) + 1,
			       sizeof(*used));
	int rc = BH_OK;

	if (!used)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);
		const char *sku = bh_nsr_jstr(l, "sku");
		const char *item = bh_nsr_map_get(skus, sku);
		int64_t q, rate, amount, tax = 0;
		if (bh_nsr_jqty(l, "quantity", &q) != BH_OK || q <= 0 ||
		    bh_nsr_jmoney(l, "rate", &rate) != BH_OK ||
		    (bh_nsr_jmoney(l, "tax", &tax) != BH_OK && bh_nsr_jstr(l, "tax"))) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "%s: line %zu (%s) needs a positive quantity and exact "
					 "rate and tax", eid, i + 1, sku);
			goto out;
		}
		if (bh_nsr_jmoney(l, "amount", &amount) != BH_OK)
			amount = rate * q;
		const char *ol = bh_nsr_form_line(form_items, item, q, used);
		if (!ol) {
			rc = bh_nsr_fail(st, BH_EREJECT, "NOTHING_TO_REFUND",
					 "%s: return authorization %s has no %lld of %s left to "
					 "refund", eid, ra_id, (long long)q, sku);
			goto out;
		}
		json_object_array_add(items, money_line(item, ol, q, rate, amount, tax, NULL));
	}
	for (size_t i = 0; adj && i < json_object_array_length(adj); i++) {
		struct bh_nsr_adj a;
		if ((rc = bh_nsr_adjustment(doc, i, skus, eid, &a, st)) != BH_OK)
			goto out;
		/* linked to the RA's line of that item when it has one left */
		const char *ol = bh_nsr_form_line(form_items, a.item, 1, used);
		json_object_array_add(items, money_line(a.item, ol, 1, a.amount, a.amount, 0, a.memo));
	}
	if (bonus > 0) {
		/* Dr our bonus (expense) item, Cr the item the credit is issued on: the
		 * document's bonus_item, else our gift_card_item */
		json_object_array_add(items, money_line(bh_nsr_map_get(skus, c->bonus_item), NULL, 1,
							bonus, bonus, 0, "Return bonus credit"));
		json_object_array_add(items, money_line(bh_nsr_map_get(skus, bonus_credit_item(c, doc)),
							NULL, 1, -bonus, -bonus, 0,
							"Return bonus credit"));
	}
out:
	free(used);
	return rc;
}

/* A customer refund of credit memo cm_id (amount_text may be NULL: the whole credit). */
static int customer_refund(struct bh_nsr *c, const char *cm_id, struct json_object *crf,
			   struct json_object **answer, struct bh_status *st)
{
	const char *eid = bh_nsr_jstr(crf, "external_id");
	struct json_object *body = NULL, *cm = NULL, *a;
	char id[32] = "";
	bool created = false;
	int64_t amount = 0, total = 0;
	int rc;

	if (!bh_nsr_eid_valid(eid))
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "customer_refund needs a valid external_id");
	rc = bh_nsr_find_eid(c, BH_NSR_T_CRF, eid, id, sizeof(id), st);
	if (rc != BH_OK && rc != BH_ENOENT)
		return rc;
	if (rc == BH_ENOENT) {
		if (bh_nsr_dry_run(c)) {
			bh_plg_info(c->host, c->inst, "dry run: would create customerRefund %s", eid);
			id[0] = '\0';
			goto answer;
		}
		rc = bh_nsr_jmoney(crf, "amount", &amount);
		if (rc == BH_EINVAL) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "customer_refund %s: amount is not exact", eid);
			goto out;
		}
		bool whole = rc == BH_ENOENT;
		/* the credit memo's customer and credit */
		rc = bh_nsr_get(c, BH_NSR_T_CM, cm_id, false, "entity,total", &cm, st);
		if (rc != BH_OK)
			goto out;
		const char *entity = bh_nsr_jref_id(cm, "entity");
		if (!entity || bh_nsr_jmoney(cm, "total", &total) != BH_OK) {
			rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
					 "credit memo %s read without entity or total", cm_id);
			goto out;
		}
		if (whole)
			amount = total;
		/* a new customer refund applying the credit memo (as SOAP adds one with an
		 * applyList; NetSuite cannot initialize it from the RA) */
		body = json_object_new_object();
		struct json_object *ap = json_object_new_array();
		struct json_object *line = json_object_new_object();
		if (!body || !ap || !line) {
			json_object_put(ap);
			json_object_put(line);
			rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
			goto out;
		}
		json_object_object_add(body, "externalId", json_object_new_string(eid));
		json_object_object_add(body, "customer", ref_obj(entity));
		json_object_object_add(line, "doc", ref_obj(cm_id));
		json_object_object_add(line, "apply", json_object_new_boolean(1));
		json_object_object_add(line, "amount", bh_nsr_money_json(amount));
		json_object_array_add(ap, line);
		json_object_object_add(body, "apply", sublist(ap));
		bool existed = false;
		rc = bh_nsr_create_record(c, BH_NSR_T_CRF, body, id, sizeof(id), &existed, st);
		if (rc != BH_OK)
			goto out;
		created = !existed;
	}
answer:
	a = json_object_new_object();
	if (!a) {
		rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		goto out;
	}
	json_object_object_add(a, "internal_id", id[0] ? json_object_new_string(id) : NULL);
	json_object_object_add(a, "external_id", json_object_new_string(eid));
	json_object_object_add(a, "type", json_object_new_string("customer_refund"));
	json_object_object_add(a, "created", json_object_new_boolean(created));
	*answer = a;
	rc = BH_OK;
out:
	json_object_put(cm);
	json_object_put(body);
	return rc;
}

/* Create the cash refund / credit memo of doc (not yet in NetSuite); *id its id. */
static int refund_create(struct bh_nsr *c, struct json_object *doc, const char *eid,
			 const char *type, const char *ctype, int64_t bonus, char *id, size_t idlen,
			 bool *created, bool *dry, char **out, struct bh_status *st)
{
	struct json_object *ra = NULL, *body = NULL, *items = NULL;
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	struct json_object *adj = bh_nsr_jarr(doc, "adjustments");
	struct bh_nsr_map skus = {0};
	bool existed = false;
	int rc;

	if ((!lines || json_object_array_length(lines) == 0) &&
	    (!adj || json_object_array_length(adj) == 0))
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "%s: a refund needs lines or adjustments", eid);
	/* every item first: nothing is written when one is unknown */
	if (bonus > 0 && (bh_nsr_map_add(&skus, c->bonus_item) != BH_OK ||
			  bh_nsr_map_add(&skus, bonus_credit_item(c, doc)) != BH_OK))
		goto nomem;
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		const char *sku = bh_nsr_jstr(json_object_array_get_idx(lines, i), "sku");
		if (!sku || !*sku) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "%s: line %zu has no SKU", eid, i + 1);
			goto out;
		}
		if (bh_nsr_map_add(&skus, sku) != BH_OK)
			goto nomem;
	}
	for (size_t i = 0; adj && i < json_object_array_length(adj); i++) {
		const char *item = bh_nsr_jstr(json_object_array_get_idx(adj, i), "item");
		if (!item || !*item) {
			rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					 "%s: adjustment %zu names no item", eid, i + 1);
			goto out;
		}
		if (bh_nsr_map_add(&skus, item) != BH_OK)
			goto nomem;
	}
	if ((rc = bh_nsr_items_resolve(c, &skus, st)) != BH_OK)
		goto out;
	char ra_id[32];
	if ((rc = bh_nsr_ref_id(c, BH_NSR_T_RA, bh_nsr_jobj(doc, "ra"), "return authorization",
				ra_id, sizeof(ra_id), st)) != BH_OK)
		goto out;
	/* the refund NetSuite would make: its lines carry what is left to refund */
	if ((rc = bh_nsr_create_form(c, BH_NSR_T_RA, ra_id, type, &ra, st)) != BH_OK)
		goto out;
	items = json_object_new_array();
	if (!items)
		goto nomem;
	if ((rc = refund_lines(c, doc, eid, ra_id, ra, &skus, bonus, items, st)) != BH_OK)
		goto out;
	if (bh_nsr_dry_run(c)) {
		*dry = true;
		rc = bh_nsr_dry_answer(c, out, eid, ctype, "create");
		goto out;
	}
	body = json_object_new_object();
	if (!body)
		goto nomem;
	json_object_object_add(body, "externalId", json_object_new_string(eid));
	const char *memo = bh_nsr_jstr(doc, "memo");
	if (memo && *memo)
		json_object_object_add(body, "memo", json_object_new_string(memo));
	json_object_object_add(body, "item", sublist(items));
	items = NULL;
	rc = bh_nsr_transform(c, BH_NSR_T_RA, ra_id, type, body, id, idlen, &existed, st);
	if (rc == BH_OK) {
		*created = !existed;
		c->host->counter_add(c->inst, "refunds_created", 1);
	}
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	/* refused from what we read (nothing left to refund...): a concurrent delivery of
	 * the same refund may have taken it; then it exists and this is a replay */
	if (rc == BH_EREJECT && bh_nsr_reread_after(c, rc, type, eid, id, idlen, st) == BH_OK)
		rc = BH_OK;
	bh_nsr_map_free(&skus);
	json_object_put(items);
	json_object_put(body);
	json_object_put(ra);
	return rc;
}

int bh_nsr_create_refund(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *doc = NULL, *extra = NULL, *crf_answer = NULL;
	char id[32] = "";
	bool created = false, dry = false;
	int64_t bonus = 0;
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &doc, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(doc, "external_id");
	const char *kind = bh_nsr_jstr(doc, "document");
	struct json_object *raref = bh_nsr_jobj(doc, "ra");
	struct json_object *crf = bh_nsr_jobj(doc, "customer_refund");
	const char *type = NULL, *ctype = NULL;
	if (kind && strcmp(kind, "cash_refund") == 0) {
		type = BH_NSR_T_CR;
		ctype = "cash_refund";
	} else if (kind && strcmp(kind, "credit_memo") == 0) {
		type = BH_NSR_T_CM;
		ctype = "credit_memo";
	}
	if (!bh_nsr_eid_valid(eid) || !type || !raref) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "refund needs a valid external_id, document cash_refund or "
				 "credit_memo, and an ra reference");
		goto out;
	}
	if (crf && strcmp(type, BH_NSR_T_CM) != 0) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "%s: a customer refund goes with a credit memo only", eid);
		goto out;
	}
	rc = bh_nsr_jmoney(doc, "bonus", &bonus);
	if (rc == BH_EINVAL || bonus < 0) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT", "%s: bonus is not an exact "
				 "non-negative amount", eid);
		goto out;
	}
	if (rc == BH_ENOENT)
		bonus = 0;
	rc = bh_nsr_find_eid(c, type, eid, id, sizeof(id), st);
	if (rc == BH_ENOENT) {
		rc = refund_create(c, doc, eid, type, ctype, bonus, id, sizeof(id), &created, &dry,
				   out, st);
		if (dry)
			goto out;
	}
	if (rc != BH_OK)
		goto out;
	if (crf && (rc = customer_refund(c, id, crf, &crf_answer, st)) != BH_OK)
		goto out;
	extra = json_object_new_object();
	if (!extra) {
		rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		goto out;
	}
	json_object_object_add(extra, "customer_refund", crf_answer);
	crf_answer = NULL;
	rc = bh_nsr_answer(out, id, eid, ctype, created, extra);
	extra = NULL;
out:
	json_object_put(crf_answer);
	json_object_put(extra);
	json_object_put(doc);
	return rc;
}
