/*
 * nssoap_returns.c - erp operations on returns:
 *   create_return_authorization  initialize from the sales order, then add with the
 *                                flow's external id; lines matched to the order's lines
 *                                by SKU (orderLine), adjustments as lines of their items
 *   get_return_authorization     get; status (canonical), flag field, lines
 *   create_item_receipt          initialize from the RA, then add (itemReceive/restock)
 *   create_refund                cash refund or credit memo initialized from the RA, then
 *                                add; a bonus adds bonus_item (+, the expense) and the
 *                                document's bonus_item, else gift_card_item (-, the
 *                                credit issued) lines; a credit memo may carry a customer refund applying
 *                                it (customerRefund cannot be initialized from an RA)
 *   close_return_authorization   update the RA with isClosed=true on every open line
 * Every write reads by external id first (a repeat answers created:false) and SKUs are
 * resolved before anything is written (UNKNOWN_SKU writes nothing). When initialize or
 * add fails, the record is read again by external id: a concurrent delivery of the same
 * document may have written it (then that is the answer, created:false); a receipt
 * whose RA another receipt already took is refused with ALREADY_RECEIVED.
 *
 * Ownership: netsuite-soap plugin. Threading: per-call state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "../common/text.h"
#include "nssoap.h"

/* ------------------------------------------------------------------ documents */

struct ref {
	const char *iid, *eid;
};

/* {"internal_id"} or {"external_id"} (o itself, or its member `key` when key is set). */
static int ref_of(struct json_object *o, const char *key, const char *what, struct ref *r,
		  struct bh_status *st)
{
	struct json_object *v = o;
	if (key && !json_object_object_get_ex(o, key, &v))
		v = NULL;
	r->iid = bh_nss_json_str(v, "internal_id");
	r->eid = bh_nss_json_str(v, "external_id");
	if ((r->iid && *r->iid) || (r->eid && *r->eid))
		return BH_OK;
	bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "%s needs internal_id or external_id", what);
	return BH_EREJECT;
}

int bh_nss_dl_add(struct bh_nss_dlines *d, struct bh_nss_dline **out)
{
	struct bh_nss_dline *g = realloc(d->v, (d->n + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	d->v = g;
	*out = memset(&g[d->n++], 0, sizeof(*g));
	return BH_OK;
}

int bh_nss_read_lines(struct bh_nss *c, struct json_object *doc, struct bh_nss_dlines *d,
		      bool link, struct bh_status *st)
{
	struct json_object *a, *v;
	int rc;
	if (!json_object_object_get_ex(doc, "lines", &a) || !json_object_is_type(a, json_type_array))
		return BH_OK;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *l = json_object_array_get_idx(a, i);
		struct bh_nss_dline *x;
		bool has_amount;
		if ((rc = bh_nss_dl_add(d, &x)) != BH_OK)
			return rc;
		x->sku = bh_nss_json_str(l, "sku");
		x->link = link;
		x->qty = json_object_object_get_ex(l, "quantity", &v) ? json_object_get_int64(v) : 1;
		x->restock = !json_object_object_get_ex(l, "restock", &v) || json_object_get_boolean(v);
		if (x->qty <= 0) {
			bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "line %zu: quantity must be positive", i + 1);
			return BH_EREJECT;
		}
		if ((rc = bh_nss_json_money(l, "rate", &x->rate, NULL, st)) != BH_OK ||
		    (rc = bh_nss_json_money(l, "amount", &x->amount, &has_amount, st)) != BH_OK ||
		    (rc = bh_nss_json_money(l, "tax", &x->tax, NULL, st)) != BH_OK)
			return rc;
		if (!has_amount)
			x->amount = x->rate * x->qty;
		if ((rc = bh_nss_item_iid(c, x->sku, x->iid, sizeof(x->iid), st)) != BH_OK)
			return rc;
	}
	return BH_OK;
}

int bh_nss_read_adjustments(struct bh_nss *c, struct json_object *doc, struct bh_nss_dlines *d,
			    bool link, struct bh_status *st)
{
	struct json_object *a;
	int rc;
	if (!json_object_object_get_ex(doc, "adjustments", &a) || !json_object_is_type(a, json_type_array))
		return BH_OK;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *j = json_object_array_get_idx(a, i);
		struct bh_nss_dline *x;
		if ((rc = bh_nss_dl_add(d, &x)) != BH_OK)
			return rc;
		x->sku = bh_nss_json_str(j, "item");
		x->memo = bh_nss_json_str(j, "memo");
		x->qty = 1;
		x->adjustment = true;
		x->link = link;
		if ((rc = bh_nss_json_money(j, "amount", &x->amount, NULL, st)) != BH_OK)
			return rc;
		x->rate = x->amount;
		if (!x->sku) {
			bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "adjustment %zu has no item", i + 1);
			return BH_EREJECT;
		}
		if ((rc = bh_nss_item_iid(c, x->sku, x->iid, sizeof(x->iid), st)) != BH_OK)
			return rc;
	}
	return BH_OK;
}

/* Link each line to an initialized line of the same item with room left (orderLine). */
static int link_lines(const struct bh_nss_rec *init, struct bh_nss_dlines *d)
{
	int64_t *claimed = calloc(init->n_lines + 1, sizeof(*claimed));
	if (!claimed)
		return BH_ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		struct bh_nss_dline *x = &d->v[i];
		x->order_line = 0;
		if (!x->link)
			continue;
		for (size_t k = 0; k < init->n_lines; k++) {
			const struct bh_nss_line *l = &init->lines[k];
			if (!l->item || strcmp(l->item, x->iid) || l->closed)
				continue;
			if (l->quantity - claimed[k] < x->qty)
				continue;
			claimed[k] += x->qty;
			/* initialize answers lines whose orderLine names the source line */
			x->order_line = l->order_line > 0 ? l->order_line : l->line;
			break;
		}
	}
	free(claimed);
	return BH_OK;
}

/* ------------------------------------------------------------------ initialize */

/* initialize <to> from the record (type from_type, internal id from_iid). */
static int initialize(struct bh_nss *c, const char *to, const char *from_type, const char *from_iid,
		      struct bh_nss_rec *out, struct bh_status *st)
{
	struct bh_nss_req q;
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	int rc = bh_nss_req_new(&q, c, "initialize", BH_NSS_PREFS_NONE, false);
	if (rc != BH_OK)
		return rc;
	xmlNodePtr ir = xmlNewChild(q.op, q.msgs, (const xmlChar *)"initializeRecord", NULL);
	if (!ir || !bh_nss_el(ir, q.core, "type", to) ||
	    !bh_nss_ref_el(ir, q.core, "reference", from_iid, NULL, from_type)) {
		rc = BH_ENOMEM;
		goto out;
	}
	if ((rc = bh_nss_call(c, &q, &doc, &op, st, NULL, 0)) != BH_OK)
		goto out;
	xmlNodePtr rr = bh_nss_child(op, "readResponse");
	if ((rc = bh_nss_status_check(bh_nss_child(rr, "status"), st)) != BH_OK)
		goto out;
	xmlNodePtr r = bh_nss_child(rr, "record");
	rc = r ? bh_nss_rec_parse(r, out) : BH_EPROTO;
	if (rc == BH_EPROTO)
		bh_nss_status_set(st, -1, "PROTOCOL", "initialize answered without a record");
out:
	if (doc)
		xmlFreeDoc(doc);
	bh_nss_req_free(&q);
	return rc;
}

/* Resolve a reference to an existing record (its internal id); BH_ENOENT names it. */
static int must_get(struct bh_nss *c, const char *type, const char *label, const struct ref *r,
		    struct bh_nss_rec *out, struct bh_status *st)
{
	int rc = bh_nss_get(c, type, r->iid, r->iid ? NULL : r->eid, out, st);
	if (rc == BH_ENOENT)
		bh_nss_status_set(st, -1, "RCRD_DSNT_EXIST", "%s %s does not exist in NetSuite", label,
				  r->iid ? r->iid : r->eid);
	return rc;
}

bool bh_nss_put_line(xmlNsPtr ns, xmlNodePtr list, const struct bh_nss_dline *x)
{
	/* RA / CashRefund / CreditMemo item order: item, orderLine, quantity, description,
	 * rate, amount, taxAmount */
	xmlNodePtr it = xmlNewChild(list, ns, (const xmlChar *)"item", NULL);
	return it && bh_nss_ref_el(it, ns, "item", x->iid, NULL, NULL) &&
	       (!x->order_line || bh_nss_el_i64(it, ns, "orderLine", x->order_line)) &&
	       bh_nss_el_i64(it, ns, "quantity", x->qty) &&
	       (!x->memo || bh_nss_el(it, ns, "description", x->memo)) &&
	       bh_nss_el_money(it, ns, "rate", x->rate) && bh_nss_el_money(it, ns, "amount", x->amount) &&
	       (!x->tax || bh_nss_el_money(it, ns, "taxAmount", x->tax));
}

static int answer(struct json_object *o, char **out)
{
	return bh_nss_json_out(o, out);
}

/* ------------------------------------------------------------------ races */

/* A write of (type, eid) was refused (initialize or add): a concurrent delivery of the
 * same document may have written it first (the initialize then finds nothing left:
 * INVALID_INITIALIZE_REF). Re-read by external id; when the record exists it is the
 * answer: 0 and its internal id in iid. Otherwise rc with st as it was. Transient
 * failures are bh_nss_write's business (re-read before any re-send, within `retries`). */
static int settle_race(struct bh_nss *c, int rc, const char *type, const char *eid, char *iid,
		       size_t len, struct bh_status *st)
{
	struct bh_nss_rec cur = {0};
	struct bh_status saved;
	if (rc != BH_EREJECT)
		return rc;
	saved = *st;
	if (bh_nss_get(c, type, NULL, eid, &cur, st) == BH_OK && cur.internal_id) {
		snprintf(iid, len, "%s", cur.internal_id);
		bh_plg_info(c->host, c->inst, "%s %s exists after a failed write (%s): written by a "
			    "concurrent delivery", type, eid, saved.code);
		memset(st, 0, sizeof(*st));
		bh_nss_rec_clear(&cur);
		return BH_OK;
	}
	bh_nss_rec_clear(&cur);
	*st = saved;
	return rc;
}

/* After a refused receipt that does not exist: when the RA has nothing left to receive
 * for the document's lines (another receipt took it), say so clearly. */
static int already_received(struct bh_nss *c, const char *ra_iid, const struct bh_nss_dlines *dl,
			    const char *eid, int rc, struct bh_status *st)
{
	struct bh_nss_rec ra = {0};
	struct bh_status saved = *st;
	const char *short_sku = NULL;
	if (rc != BH_EREJECT || bh_nss_get(c, "returnAuthorization", ra_iid, NULL, &ra, st) != BH_OK) {
		*st = saved;
		bh_nss_rec_clear(&ra);
		return rc;
	}
	for (size_t i = 0; i < dl->n && !short_sku; i++) {
		int64_t open = 0;
		for (size_t k = 0; k < ra.n_lines; k++) {
			const struct bh_nss_line *l = &ra.lines[k];
			if (l->item && !strcmp(l->item, dl->v[i].iid) && !l->closed &&
			    l->quantity > l->qty_received)
				open += l->quantity - l->qty_received;
		}
		if (open < dl->v[i].qty)
			short_sku = dl->v[i].sku;
	}
	if (short_sku)
		bh_nss_status_set(st, -1, "ALREADY_RECEIVED",
				  "return authorization %s (%s) is already received by another item "
				  "receipt: nothing left to receive for %s; item receipt %s not written "
				  "(NetSuite: %s)", ra.tran_id ? ra.tran_id : ra_iid,
				  ra.external_id ? ra.external_id : ra_iid, short_sku ? short_sku : "?", eid,
				  saved.message);
	else
		*st = saved;
	bh_nss_rec_clear(&ra);
	return rc;
}

/* ------------------------------------------------------------------ RA */

int bh_nss_ra_json(struct bh_nss *c, const struct bh_nss_rec *ra, struct json_object **out,
		   struct bh_status *st)
{
	char status[80], tbuf[40], mbuf[32];
	const char **iids = calloc(ra->n_lines ? ra->n_lines : 1, sizeof(*iids));
	char **skus = calloc(ra->n_lines ? ra->n_lines : 1, sizeof(*skus));
	int rc = BH_ENOMEM;
	if (!iids || !skus)
		goto out;
	for (size_t i = 0; i < ra->n_lines; i++)
		iids[i] = ra->lines[i].item;
	if ((rc = bh_nss_item_skus(c, iids, ra->n_lines, skus, st)) != BH_OK)
		goto out;
	struct json_object *o = json_object_new_object(), *lines = json_object_new_array();
	const char *flag = bh_nss_rec_cf(ra, c->flag_field);
	size_t pl = strlen(c->ra_prefix);
	const char *rid = ra->external_id && !strncmp(ra->external_id, c->ra_prefix, pl)
				  ? ra->external_id + pl : NULL;
	bh_plug_snake(ra->status, status, sizeof(status));
	json_object_object_add(o, "internal_id", json_object_new_string(ra->internal_id ? ra->internal_id : ""));
	json_object_object_add(o, "external_id", ra->external_id ? json_object_new_string(ra->external_id) : NULL);
	json_object_object_add(o, "type", json_object_new_string("return_authorization"));
	json_object_object_add(o, "tran_id", ra->tran_id ? json_object_new_string(ra->tran_id) : NULL);
	json_object_object_add(o, "return_id", rid ? json_object_new_string(rid) : NULL);
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "flag", json_object_new_boolean(flag && (!strcmp(flag, "true") || !strcmp(flag, "T"))));
	struct json_object *so = json_object_new_object();
	json_object_object_add(so, "internal_id", ra->created_from ? json_object_new_string(ra->created_from) : NULL);
	json_object_object_add(o, "sales_order", so);
	json_object_object_add(o, "total", json_object_new_string(bh_money_format(ra->total, mbuf, sizeof(mbuf))));
	json_object_object_add(o, "last_modified", ra->modified_ms ? json_object_new_string(bh_nss_time_fmt(ra->modified_ms, false, tbuf, sizeof(tbuf))) : NULL);
	for (size_t i = 0; i < ra->n_lines; i++) {
		const struct bh_nss_line *l = &ra->lines[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "line", json_object_new_int64(l->line));
		json_object_object_add(j, "sku", skus[i] ? json_object_new_string(skus[i]) : NULL);
		json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
		json_object_object_add(j, "quantity_received", json_object_new_int64(l->qty_received));
		json_object_object_add(j, "quantity_billed", json_object_new_int64(l->qty_billed));
		json_object_object_add(j, "closed", json_object_new_boolean(l->closed));
		json_object_object_add(j, "rate", json_object_new_string(bh_money_format(l->rate, mbuf, sizeof(mbuf))));
		json_object_object_add(j, "amount", json_object_new_string(bh_money_format(l->amount, mbuf, sizeof(mbuf))));
		json_object_object_add(j, "tax", json_object_new_string(bh_money_format(l->tax, mbuf, sizeof(mbuf))));
		json_object_array_add(lines, j);
	}
	json_object_object_add(o, "lines", lines);
	*out = o;
	rc = BH_OK;
out:
	for (size_t i = 0; skus && i < ra->n_lines; i++)
		free(skus[i]);
	free(skus);
	free(iids);
	return rc;
}

int bh_nss_create_ra(void *ctx, const char *doc_text, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d;
	struct bh_nss_dlines dl = {0};
	struct bh_nss_rec cur = {0}, so = {0}, init = {0};
	struct bh_nss_req q = {0};
	struct ref sor;
	char iid[32];
	bool dup = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(doc_text, &d, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(d, "external_id");
	const char *rid = bh_nss_json_str(d, "return_id");
	const char *memo = bh_nss_json_str(d, "memo");
	if (!eid || !*eid) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the return authorization has no external_id");
		rc = BH_EREJECT;
		goto out;
	}
	if ((rc = ref_of(d, "sales_order", "sales_order", &sor, st)) != BH_OK ||
	    (rc = bh_nss_read_lines(c, d, &dl, true, st)) != BH_OK ||
	    (rc = bh_nss_read_adjustments(c, d, &dl, false, st)) != BH_OK)
		goto out;
	if (!dl.n) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the return authorization has no lines");
		rc = BH_EREJECT;
		goto out;
	}
	rc = bh_nss_get(c, "returnAuthorization", NULL, eid, &cur, st);
	if (rc == BH_OK) {
		rc = answer(bh_nss_write_answer(cur.internal_id, eid, "return_authorization", false), out);
		goto out;
	}
	if (rc != BH_ENOENT)
		goto out;
	if ((rc = must_get(c, "salesOrder", "sales order", &sor, &so, st)) != BH_OK)
		goto out;
	if (c->host->dry_run(c->inst)) {
		bh_nss_status_set(st, -1, "DRY_RUN", "dry run: return authorization %s not written", eid);
		rc = answer(bh_nss_write_answer(NULL, eid, "return_authorization", false), out);
		goto out;
	}
	if ((rc = initialize(c, "returnAuthorization", "salesOrder", so.internal_id, &init, st)) != BH_OK)
		goto race;
	if ((rc = link_lines(&init, &dl)) != BH_OK)
		goto out;
	if ((rc = bh_nss_req_new(&q, c, "add", BH_NSS_PREFS_WRITE, false)) != BH_OK)
		goto out;
	rc = BH_ENOMEM;
	xmlNodePtr r = bh_nss_record_el(&q, "tranCust:ReturnAuthorization", NULL, eid);
	const char *entity = init.entity ? init.entity : so.entity;
	/* XSD order: entity, otherRefNum, memo, createdFrom, itemList */
	if (!r || (entity && !bh_nss_ref_el(r, q.cust, "entity", entity, NULL, NULL)) ||
	    (rid && !bh_nss_el(r, q.cust, "otherRefNum", rid)) ||
	    (memo && !bh_nss_el(r, q.cust, "memo", memo)) ||
	    !bh_nss_ref_el(r, q.cust, "createdFrom", so.internal_id, NULL, NULL))
		goto out;
	xmlNodePtr il = xmlNewChild(r, q.cust, (const xmlChar *)"itemList", NULL);
	if (!il)
		goto out;
	for (size_t i = 0; i < dl.n; i++)
		if (!bh_nss_put_line(q.cust, il, &dl.v[i]))
			goto out;
	rc = bh_nss_write(c, &q, "returnAuthorization", eid, iid, sizeof(iid), &dup, st);
	if (rc == BH_OK) {
		rc = answer(bh_nss_write_answer(iid, eid, "return_authorization", !dup), out);
		goto out;
	}
race:
	if (settle_race(c, rc, "returnAuthorization", eid, iid, sizeof(iid), st) == BH_OK)
		rc = answer(bh_nss_write_answer(iid, eid, "return_authorization", false), out);
out:
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	bh_nss_rec_clear(&so);
	bh_nss_rec_clear(&init);
	free(dl.v);
	json_object_put(d);
	return rc;
}

int bh_nss_get_ra(void *ctx, const char *ref_text, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d, *o = NULL;
	struct bh_nss_rec ra = {0};
	struct ref r;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(ref_text, &d, st)) != BH_OK)
		return rc;
	if ((rc = ref_of(d, NULL, "the RA reference", &r, st)) == BH_OK &&
	    (rc = bh_nss_get(c, "returnAuthorization", r.iid, r.iid ? NULL : r.eid, &ra, st)) == BH_OK &&
	    (rc = bh_nss_ra_json(c, &ra, &o, st)) == BH_OK)
		rc = answer(o, out);
	bh_nss_rec_clear(&ra);
	json_object_put(d);
	return rc;
}

int bh_nss_close_ra(void *ctx, const char *ref_text, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d, *o = NULL;
	struct bh_nss_rec ra = {0};
	struct bh_nss_req q = {0};
	struct ref r;
	char iid[32];
	bool dup, changed = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(ref_text, &d, st)) != BH_OK)
		return rc;
	if ((rc = ref_of(d, NULL, "the RA reference", &r, st)) != BH_OK ||
	    (rc = bh_nss_get(c, "returnAuthorization", r.iid, r.iid ? NULL : r.eid, &ra, st)) != BH_OK)
		goto out;
	size_t open = 0;
	for (size_t i = 0; i < ra.n_lines; i++)
		open += !ra.lines[i].closed;
	if (open && !c->host->dry_run(c->inst)) {
		if ((rc = bh_nss_req_new(&q, c, "update", BH_NSS_PREFS_WRITE, false)) != BH_OK)
			goto out;
		rc = BH_ENOMEM;
		xmlNodePtr rec = bh_nss_record_el(&q, "tranCust:ReturnAuthorization", ra.internal_id, NULL);
		xmlNodePtr il = rec ? xmlNewChild(rec, q.cust, (const xmlChar *)"itemList", NULL) : NULL;
		if (!il)
			goto out;
		xmlNewProp(il, (const xmlChar *)"replaceAll", (const xmlChar *)"false");
		for (size_t i = 0; i < ra.n_lines; i++) {
			if (ra.lines[i].closed)
				continue;
			xmlNodePtr it = xmlNewChild(il, q.cust, (const xmlChar *)"item", NULL);
			if (!it || !bh_nss_el_i64(it, q.cust, "line", ra.lines[i].line) ||
			    !bh_nss_el(it, q.cust, "isClosed", "true"))
				goto out;
		}
		/* closing again is harmless: a transient failure is simply re-sent */
		if ((rc = bh_nss_write(c, &q, NULL, NULL, iid, sizeof(iid), &dup, st)) != BH_OK)
			goto out;
		changed = true;
		bh_nss_rec_clear(&ra);
		if ((rc = bh_nss_get(c, "returnAuthorization", iid, NULL, &ra, st)) != BH_OK)
			goto out;
	}
	if ((rc = bh_nss_ra_json(c, &ra, &o, st)) != BH_OK)
		goto out;
	json_object_object_add(o, "created", json_object_new_boolean(false));
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	rc = answer(o, out);
out:
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&ra);
	json_object_put(d);
	return rc;
}

/* ------------------------------------------------------------------ item receipt */

int bh_nss_create_receipt(void *ctx, const char *doc_text, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d;
	struct bh_nss_dlines dl = {0};
	struct bh_nss_rec cur = {0}, ra = {0}, init = {0};
	struct bh_nss_req q = {0};
	struct ref rar;
	char iid[32];
	bool dup = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(doc_text, &d, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(d, "external_id");
	const char *memo = bh_nss_json_str(d, "memo");
	if (!eid || !*eid) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the item receipt has no external_id");
		rc = BH_EREJECT;
		goto out;
	}
	if ((rc = ref_of(d, "ra", "ra", &rar, st)) != BH_OK ||
	    (rc = bh_nss_read_lines(c, d, &dl, true, st)) != BH_OK)
		goto out;
	if (!dl.n) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the item receipt has no lines");
		rc = BH_EREJECT;
		goto out;
	}
	rc = bh_nss_get(c, "itemReceipt", NULL, eid, &cur, st);
	if (rc == BH_OK) {
		rc = answer(bh_nss_write_answer(cur.internal_id, eid, "item_receipt", false), out);
		goto out;
	}
	if (rc != BH_ENOENT ||
	    (rc = must_get(c, "returnAuthorization", "return authorization", &rar, &ra, st)) != BH_OK)
		goto out;
	if (c->host->dry_run(c->inst)) {
		bh_nss_status_set(st, -1, "DRY_RUN", "dry run: item receipt %s not written", eid);
		rc = answer(bh_nss_write_answer(NULL, eid, "item_receipt", false), out);
		goto out;
	}
	if ((rc = initialize(c, "itemReceipt", "returnAuthorization", ra.internal_id, &init, st)) != BH_OK)
		goto race;
	if ((rc = link_lines(&init, &dl)) != BH_OK)
		goto out;
	if ((rc = bh_nss_req_new(&q, c, "add", BH_NSS_PREFS_WRITE, false)) != BH_OK)
		goto out;
	rc = BH_ENOMEM;
	xmlNodePtr r = bh_nss_record_el(&q, "tranPurch:ItemReceipt", NULL, eid);
	/* XSD order: createdFrom, memo, itemList */
	if (!r || !bh_nss_ref_el(r, q.purch, "createdFrom", ra.internal_id, NULL, NULL) ||
	    (memo && !bh_nss_el(r, q.purch, "memo", memo)))
		goto out;
	xmlNodePtr il = xmlNewChild(r, q.purch, (const xmlChar *)"itemList", NULL);
	if (!il)
		goto out;
	xmlNewProp(il, (const xmlChar *)"replaceAll", (const xmlChar *)"true");
	for (size_t i = 0; i < dl.n; i++) {
		const struct bh_nss_dline *x = &dl.v[i];
		/* ItemReceiptItem order: itemReceive, item, orderLine, quantity, restock */
		xmlNodePtr it = xmlNewChild(il, q.purch, (const xmlChar *)"item", NULL);
		if (!it || !bh_nss_el(it, q.purch, "itemReceive", "true") ||
		    !bh_nss_ref_el(it, q.purch, "item", x->iid, NULL, NULL) ||
		    (x->order_line && !bh_nss_el_i64(it, q.purch, "orderLine", x->order_line)) ||
		    !bh_nss_el_i64(it, q.purch, "quantity", x->qty) ||
		    !bh_nss_el(it, q.purch, "restock", x->restock ? "true" : "false"))
			goto out;
	}
	rc = bh_nss_write(c, &q, "itemReceipt", eid, iid, sizeof(iid), &dup, st);
	if (rc == BH_OK) {
		rc = answer(bh_nss_write_answer(iid, eid, "item_receipt", !dup), out);
		goto out;
	}
race:
	if (settle_race(c, rc, "itemReceipt", eid, iid, sizeof(iid), st) == BH_OK)
		rc = answer(bh_nss_write_answer(iid, eid, "item_receipt", false), out);
	else
		rc = already_received(c, ra.internal_id, &dl, eid, rc, st);
out:
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	bh_nss_rec_clear(&ra);
	bh_nss_rec_clear(&init);
	free(dl.v);
	json_object_put(d);
	return rc;
}

/* ------------------------------------------------------------------ refunds */

/* The customer refund applying credit memo (cm_iid, entity) for amount; idempotent. */
static int customer_refund(struct bh_nss *c, const char *eid, int64_t amount, const char *cm_iid,
			   const char *entity, struct json_object **ans, struct bh_status *st)
{
	struct bh_nss_rec cur = {0};
	struct bh_nss_req q = {0};
	char iid[32];
	bool dup = false;
	int rc = bh_nss_get(c, "customerRefund", NULL, eid, &cur, st);
	if (rc == BH_OK) {
		*ans = bh_nss_write_answer(cur.internal_id, eid, "customer_refund", false);
		goto out;
	}
	if (rc != BH_ENOENT)
		goto out;
	if (c->host->dry_run(c->inst)) {
		*ans = bh_nss_write_answer(NULL, eid, "customer_refund", false);
		rc = BH_OK;
		goto out;
	}
	if ((rc = bh_nss_req_new(&q, c, "add", BH_NSS_PREFS_WRITE, false)) != BH_OK)
		goto out;
	rc = BH_ENOMEM;
	xmlNodePtr r = bh_nss_record_el(&q, "tranCust:CustomerRefund", NULL, eid);
	/* XSD order: customer, applyList; CustomerRefundApply: apply, doc, amount */
	if (!r || (entity && !bh_nss_ref_el(r, q.cust, "customer", entity, NULL, NULL)))
		goto out;
	xmlNodePtr al = xmlNewChild(r, q.cust, (const xmlChar *)"applyList", NULL);
	xmlNodePtr ap = al ? xmlNewChild(al, q.cust, (const xmlChar *)"apply", NULL) : NULL;
	if (!ap || !bh_nss_el(ap, q.cust, "apply", "true") || !bh_nss_el(ap, q.cust, "doc", cm_iid) ||
	    (amount && !bh_nss_el_money(ap, q.cust, "amount", amount)))
		goto out;
	rc = bh_nss_write(c, &q, "customerRefund", eid, iid, sizeof(iid), &dup, st);
	if (rc == BH_OK)
		*ans = bh_nss_write_answer(iid, eid, "customer_refund", !dup);
out:
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	return rc;
}

int bh_nss_create_refund(void *ctx, const char *doc_text, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *d, *cr = NULL, *ans = NULL, *cra = NULL;
	struct bh_nss_dlines dl = {0};
	struct bh_nss_rec cur = {0}, ra = {0}, init = {0};
	struct bh_nss_req q = {0};
	struct ref rar;
	char iid[32] = "", entity[32] = "";
	int64_t bonus = 0, cr_amount = 0;
	bool dup = false, created = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nss_json_in(doc_text, &d, st)) != BH_OK)
		return rc;
	const char *eid = bh_nss_json_str(d, "external_id");
	const char *kind = bh_nss_json_str(d, "document");
	const char *memo = bh_nss_json_str(d, "memo");
	const char *bonus_item = bh_nss_json_str(d, "bonus_item");
	bool memo_doc = kind && !strcmp(kind, "credit_memo");
	const char *type = memo_doc ? "creditMemo" : "cashRefund";
	const char *ctype = memo_doc ? "credit_memo" : "cash_refund";
	const char *cr_eid = NULL;
	if (!eid || !*eid || !kind || (strcmp(kind, "cash_refund") && !memo_doc)) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
				  "a refund needs external_id and document cash_refund or credit_memo");
		rc = BH_EREJECT;
		goto out;
	}
	if (json_object_object_get_ex(d, "customer_refund", &cr) && cr &&
	    !json_object_is_type(cr, json_type_null)) {
		cr_eid = bh_nss_json_str(cr, "external_id");
		if (!memo_doc || !cr_eid ||
		    (rc = bh_nss_json_money(cr, "amount", &cr_amount, NULL, st)) != BH_OK) {
			bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
					  "customer_refund needs a credit memo, an external_id and an amount");
			rc = BH_EREJECT;
			goto out;
		}
	}
	if ((rc = ref_of(d, "ra", "ra", &rar, st)) != BH_OK ||
	    (rc = bh_nss_read_lines(c, d, &dl, true, st)) != BH_OK ||
	    (rc = bh_nss_read_adjustments(c, d, &dl, true, st)) != BH_OK ||
	    (rc = bh_nss_json_money(d, "bonus", &bonus, NULL, st)) != BH_OK)
		goto out;
	if (bonus) {
		/* bonus credit: Dr the bonus item's account, Cr gift card liability */
		struct bh_nss_dline *x;
		if ((rc = bh_nss_dl_add(&dl, &x)) != BH_OK)
			goto out;
		x->sku = c->bonus_item;
		x->memo = "return bonus";
		x->qty = 1;
		x->rate = x->amount = bonus;
		x->adjustment = true;
		if ((rc = bh_nss_item_iid(c, x->sku, x->iid, sizeof(x->iid), st)) != BH_OK ||
		    (rc = bh_nss_dl_add(&dl, &x)) != BH_OK)
			goto out;
		/* the item the credit is issued on: the document's bonus_item, else ours */
		x->sku = bonus_item && *bonus_item ? bonus_item : c->gift_card_item;
		x->memo = "return bonus credit";
		x->qty = 1;
		x->rate = x->amount = -bonus;
		x->adjustment = true;
		if ((rc = bh_nss_item_iid(c, x->sku, x->iid, sizeof(x->iid), st)) != BH_OK)
			goto out;
	}
	if (!dl.n) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the refund has no lines");
		rc = BH_EREJECT;
		goto out;
	}
	rc = bh_nss_get(c, type, NULL, eid, &cur, st);
	if (rc == BH_OK) {
		snprintf(iid, sizeof(iid), "%s", cur.internal_id ? cur.internal_id : "");
		snprintf(entity, sizeof(entity), "%s", cur.entity ? cur.entity : "");
	} else if (rc != BH_ENOENT) {
		goto out;
	} else {
		if ((rc = must_get(c, "returnAuthorization", "return authorization", &rar, &ra, st)) != BH_OK)
			goto out;
		if (c->host->dry_run(c->inst)) {
			bh_nss_status_set(st, -1, "DRY_RUN", "dry run: %s %s not written", ctype, eid);
			rc = answer(bh_nss_write_answer(NULL, eid, ctype, false), out);
			goto out;
		}
		if ((rc = initialize(c, type, "returnAuthorization", ra.internal_id, &init, st)) != BH_OK) {
			if ((rc = settle_race(c, rc, type, eid, iid, sizeof(iid), st)) != BH_OK)
				goto out;
			goto written;
		}
		if ((rc = link_lines(&init, &dl)) != BH_OK)
			goto out;
		snprintf(entity, sizeof(entity), "%s", init.entity ? init.entity : ra.entity ? ra.entity : "");
		if ((rc = bh_nss_req_new(&q, c, "add", BH_NSS_PREFS_WRITE, false)) != BH_OK)
			goto out;
		rc = BH_ENOMEM;
		xmlNodePtr r = bh_nss_record_el(&q, memo_doc ? "tranCust:CreditMemo" : "tranCust:CashRefund",
						NULL, eid);
		/* XSD order (both): entity, createdFrom, memo, itemList */
		if (!r || (entity[0] && !bh_nss_ref_el(r, q.cust, "entity", entity, NULL, NULL)) ||
		    !bh_nss_ref_el(r, q.cust, "createdFrom", ra.internal_id, NULL, NULL) ||
		    (memo && !bh_nss_el(r, q.cust, "memo", memo)))
			goto out;
		xmlNodePtr il = xmlNewChild(r, q.cust, (const xmlChar *)"itemList", NULL);
		if (!il)
			goto out;
		for (size_t i = 0; i < dl.n; i++)
			if (!bh_nss_put_line(q.cust, il, &dl.v[i]))
				goto out;
		if ((rc = bh_nss_write(c, &q, type, eid, iid, sizeof(iid), &dup, st)) != BH_OK) {
			if ((rc = settle_race(c, rc, type, eid, iid, sizeof(iid), st)) != BH_OK)
				goto out;
			dup = true;
		}
		created = !dup;
	}
written:
	if (!entity[0]) {
		/* written by a concurrent delivery: its customer for the customer refund */
		struct bh_nss_rec w = {0};
		if (cr_eid && bh_nss_get(c, type, iid, NULL, &w, st) == BH_OK && w.entity)
			snprintf(entity, sizeof(entity), "%s", w.entity);
		bh_nss_rec_clear(&w);
	}
	ans = bh_nss_write_answer(iid, eid, ctype, created);
	if (!ans) {
		rc = BH_ENOMEM;
		goto out;
	}
	if (cr_eid) {
		if ((rc = customer_refund(c, cr_eid, cr_amount, iid, entity[0] ? entity : NULL, &cra, st)) != BH_OK)
			goto out;
		json_object_object_add(ans, "customer_refund", cra);
	} else {
		json_object_object_add(ans, "customer_refund", NULL);
	}
	rc = answer(ans, out);
	ans = NULL;
out:
	json_object_put(ans);
	bh_nss_req_free(&q);
	bh_nss_rec_clear(&cur);
	bh_nss_rec_clear(&ra);
	bh_nss_rec_clear(&init);
	free(dl.v);
	json_object_put(d);
	return rc;
}
