/*
 * nsr_return.c - return authorizations over the NetSuite REST record API.
 *
 *   create_return_authorization  read by external id (replay -> created=false); resolve
 *                  every SKU (lines and adjustment items) before writing; read the sales
 *                  order, link each line to the order line of its item (orderLine) and
 *                  POST salesOrder/<id>/!transform/returnAuthorization?replace=item with
 *                  the external id, memo, return id (otherRefNum) and lines (rate,
 *                  amount, tax1Amt); adjustments (gift card, store or exchange credit,
 *                  fee) are extra lines of their item with quantity 1. The approval
 *                  status is the account's default, as with netsuite-soap.
 *   get_return_authorization     GET returnAuthorization/<id|eid:x>?expandSubResources
 *   close_return_authorization   PATCH the open lines with isClosed=true (lines merged
 *                  by their line key); a closed or cancelled RA is left as it is. The
 *                  answer is the RA as get answers it plus "created": false and
 *                  "changed" (whether lines were closed now).
 *
 * Ownership: netsuite-rest plugin. Threading: stateless per call; thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "nsr.h"

/* ------------------------------------------------------------------ helpers */

static struct json_object *ref_obj(const char *id)
{
	struct json_object *o = json_object_new_object();
	if (o)
		json_object_object_add(o, "id", json_object_new_string(id));
	return o;
}

/* What is still open for item on a create-form's lines, after what this document
 * took (used[]). */
static int64_t open_of(struct json_object *form_items, const char *item, const int64_t *used)
{
	int64_t open = 0;
	for (size_t i = 0; item && form_items && i < json_object_array_length(form_items); i++) {
		struct json_object *l = json_object_array_get_idx(form_items, i);
		const char *it = bh_nsr_jref_id(l, "item");
		int64_t q = 0;
		if (!it || strcmp(it, item) != 0 || bh_nsr_jqty(l, "quantity", &q) != BH_OK)
			continue;
		open += (q < 0 ? -q : q) - used[i];
	}
	return open > 0 ? open : 0;
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

int bh_nsr_collect_skus(struct json_object *doc, struct bh_nsr_map *m, const char *what,
			struct bh_status *st)
{
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	struct json_object *adj = bh_nsr_jarr(doc, "adjustments");
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		const char *sku = bh_nsr_jstr(json_object_array_get_idx(lines, i), "sku");
		if (!sku || !*sku)
			return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					   "%s: line %zu has no SKU", what, i + 1);
		if (bh_nsr_map_add(m, sku) != BH_OK)
			return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	for (size_t i = 0; adj && i < json_object_array_length(adj); i++) {
		const char *item = bh_nsr_jstr(json_object_array_get_idx(adj, i), "item");
		if (!item || !*item)
			return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
					   "%s: adjustment %zu names no item", what, i + 1);
		if (bh_nsr_map_add(m, item) != BH_OK)
			return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	return BH_OK;
}

int bh_nsr_adjustment(struct json_object *doc, size_t i, const struct bh_nsr_map *skus,
		      const char *what, struct bh_nsr_adj *a, struct bh_status *st)
{
	struct json_object *j = json_object_array_get_idx(bh_nsr_jarr(doc, "adjustments"), i);
	a->item = bh_nsr_map_get(skus, bh_nsr_jstr(j, "item"));
	a->memo = bh_nsr_jstr(j, "memo");
	if (!a->item)
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "%s: adjustment %zu names no known item", what, i + 1);
	if (bh_nsr_jmoney(j, "amount", &a->amount) != BH_OK)
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "%s: adjustment %zu needs an exact amount", what, i + 1);
	return BH_OK;
}

/* ------------------------------------------------------------------ create */

int bh_nsr_create_ra(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *doc = NULL, *so = NULL, *body = NULL, *items = NULL;
	struct bh_nsr_map skus = {0};
	int64_t *used = NULL;
	char id[32] = "";
	bool existed = false, absent = false;
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &doc, st)) != BH_OK)
		return rc;
	const char *eid = bh_nsr_jstr(doc, "external_id");
	struct json_object *lines = bh_nsr_jarr(doc, "lines");
	struct json_object *adj = bh_nsr_jarr(doc, "adjustments");
	struct json_object *soref = bh_nsr_jobj(doc, "sales_order");
	if (!bh_nsr_eid_valid(eid) || !lines || json_object_array_length(lines) == 0 || !soref) {
		rc = bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				 "return authorization needs a valid external_id, sales_order and "
				 "at least one line");
		goto out;
	}
	rc = bh_nsr_find_eid(c, BH_NSR_T_RA, eid, id, sizeof(id), st);
	if (rc == BH_OK) {
		rc = bh_nsr_answer(out, id, eid, "return_authorization", false, NULL);
		goto out;
	}
	if (rc != BH_ENOENT)
		goto out;
	absent = true;
	if ((rc = bh_nsr_collect_skus(doc, &skus, eid, st)) != BH_OK ||
	    (rc = bh_nsr_items_resolve(c, &skus, st)) != BH_OK)
		goto out;
	char so_id[32];
	if ((rc = bh_nsr_ref_id(c, BH_NSR_T_SO, soref, "sales order", so_id, sizeof(so_id), st)) !=
	    BH_OK)
		goto out;
	/* the RA NetSuite would make from the order: its lines carry what is left to return */
	if ((rc = bh_nsr_create_form(c, BH_NSR_T_SO, so_id, BH_NSR_T_RA, &so, st)) != BH_OK)
		goto out;
	struct json_object *form_items = bh_nsr_jarr(bh_nsr_jobj(so, "item"), "items");
	size_t n_form = form_items ? json_object_array_length(form_items) : 0;
	used = calloc(n_form + 1, sizeof(*used));
	items = json_object_new_array();
	if (!used || !items)
		goto nomem;

	for (size_t i = 0; i < json_object_array_length(lines); i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);
		const char *sku = bh_nsr_jstr(l, "sku");
		const char *item = bh_nsr_map_get(&skus, sku);
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
			rc = bh_nsr_fail(st, BH_EREJECT, "OVER_RETURN",
					 "%s: cannot return %lld of %s: sales order %s has %lld of it "
					 "left to return", eid, (long long)q, sku, so_id,
					 (long long)open_of(form_items, item, used));
			goto out;
		}
		json_object_array_add(items, money_line(item, ol, q, rate, amount, tax, NULL));
	}
	for (size_t i = 0; adj && i < json_object_array_length(adj); i++) {
		struct bh_nsr_adj a;
		if ((rc = bh_nsr_adjustment(doc, i, &skus, eid, &a, st)) != BH_OK)
			goto out;
		json_object_array_add(items, money_line(a.item, NULL, 1, a.amount, a.amount, 0, a.memo));
	}
	if (bh_nsr_dry_run(c)) {
		rc = bh_nsr_dry_answer(c, out, eid, "return_authorization", "create");
		goto out;
	}
	body = json_object_new_object();
	if (!body)
		goto nomem;
	json_object_object_add(body, "externalId", json_object_new_string(eid));
	const char *memo = bh_nsr_jstr(doc, "memo");
	const char *ret = bh_nsr_jstr(doc, "return_id");
	if (memo && *memo) {
		json_object_object_add(body, "memo", json_object_new_string(memo));
	} else if (ret && *ret) {
		char m[128];
		snprintf(m, sizeof(m), "Loop return %s", ret);
		json_object_object_add(body, "memo", json_object_new_string(m));
	}
	if (ret && *ret)
		json_object_object_add(body, "otherRefNum", json_object_new_string(ret));
	struct json_object *sub = json_object_new_object();
	json_object_object_add(sub, "items", items);
	items = NULL;
	json_object_object_add(body, "item", sub);
	rc = bh_nsr_transform(c, BH_NSR_T_SO, so_id, BH_NSR_T_RA, body, id, sizeof(id), &existed,
			      st);
	if (rc == BH_OK) {
		c->host->counter_add(c->inst, "ra_created", 1);
		rc = bh_nsr_answer(out, id, eid, "return_authorization", !existed, NULL);
	}
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	/* refused from what we read: a concurrent delivery may have written the RA */
	if (rc == BH_EREJECT && absent &&
	    bh_nsr_reread_after(c, rc, BH_NSR_T_RA, eid, id, sizeof(id), st) == BH_OK)
		rc = bh_nsr_answer(out, id, eid, "return_authorization", false, NULL);
	free(used);
	bh_nsr_map_free(&skus);
	json_object_put(items);
	json_object_put(body);
	json_object_put(so);
	json_object_put(doc);
	return rc;
}

/* ------------------------------------------------------------------ get */

static const char *return_id_of(const struct bh_nsr *c, const char *eid)
{
	size_t n = strlen(c->ra_prefix);
	return eid && strncmp(eid, c->ra_prefix, n) == 0 ? eid + n : NULL;
}

static void put_money(struct json_object *o, const char *key, struct json_object *src,
		      const char *src_key)
{
	int64_t v;
	char buf[32];
	json_object_object_add(o, key, bh_nsr_jmoney(src, src_key, &v) == BH_OK
					       ? json_object_new_string(bh_money_format(v, buf, sizeof(buf)))
					       : NULL);
}

static int64_t qty_of(struct json_object *l, const char *key)
{
	int64_t q;
	if (bh_nsr_jqty(l, key, &q) != BH_OK)
		return 0;
	return q < 0 ? -q : q;
}

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The canonical RA (get_return_authorization's answer) of an RA read expanded. */
static int ra_canonical(struct bh_nsr *c, struct json_object *ra, struct json_object **out,
			struct bh_status *st)
{
	struct json_object *o = NULL, *lines = NULL;
	struct bh_nsr_map ids = {0};
	int rc;

	*out = NULL;
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(ra, "item"), "items");
	size_t n = items ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *item = bh_nsr_jref_id(json_object_array_get_idx(items, i), "item");
		if (item && bh_nsr_map_add(&ids, item) != BH_OK)
			goto nomem;
	}
	if ((rc = bh_nsr_items_skus(c, &ids, st)) != BH_OK)
		goto out;
	o = json_object_new_object();
	lines = json_object_new_array();
	if (!o || !lines)
		goto nomem;
	const char *v = bh_nsr_jstr(ra, "id");
	json_object_object_add(o, "internal_id", json_object_new_string(v ? v : ""));
	const char *eid = bh_nsr_jstr(ra, "externalId");
	json_object_object_add(o, "external_id", jstr_or_null(eid));
	json_object_object_add(o, "type", json_object_new_string("return_authorization"));
	json_object_object_add(o, "tran_id", jstr_or_null(bh_nsr_jstr(ra, "tranId")));
	json_object_object_add(o, "return_id", jstr_or_null(return_id_of(c, eid)));
	struct json_object *status = bh_nsr_jobj(ra, "status");
	json_object_object_add(o, "status", json_object_new_string(bh_nsr_ra_status(
			       status ? bh_nsr_jstr(status, "id") : bh_nsr_jstr(ra, "status"))));
	json_object_object_add(o, "flag", json_object_new_boolean(
			       c->flag_field && *c->flag_field &&
			       bh_nsr_jbool(ra, c->flag_field, false)));
	struct json_object *so = json_object_new_object();
	json_object_object_add(so, "internal_id", jstr_or_null(bh_nsr_jref_id(ra, "createdFrom")));
	json_object_object_add(o, "sales_order", so);
	put_money(o, "total", ra, "total");
	json_object_object_add(o, "last_modified", jstr_or_null(bh_nsr_jstr(ra, "lastModifiedDate")));
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		struct json_object *cl = json_object_new_object();
		const char *sku = bh_nsr_map_get(&ids, bh_nsr_jref_id(l, "item"));
		const char *key = bh_nsr_jstr(l, "line");
		json_object_object_add(cl, "line", key ? json_object_new_int64(atoll(key)) : NULL);
		json_object_object_add(cl, "sku", jstr_or_null(sku));
		json_object_object_add(cl, "quantity", json_object_new_int64(qty_of(l, "quantity")));
		json_object_object_add(cl, "quantity_received",
				       json_object_new_int64(qty_of(l, "quantityReceived")));
		json_object_object_add(cl, "quantity_billed",
				       json_object_new_int64(qty_of(l, "quantityBilled")));
		json_object_object_add(cl, "closed",
				       json_object_new_boolean(bh_nsr_jbool(l, "isClosed", false)));
		put_money(cl, "rate", l, "rate");
		put_money(cl, "amount", l, "amount");
		put_money(cl, "tax", l, "tax1Amt");
		json_object_array_add(lines, cl);
	}
	json_object_object_add(o, "lines", lines);
	lines = NULL;
	*out = o;
	o = NULL;
	rc = BH_OK;
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	bh_nsr_map_free(&ids);
	json_object_put(lines);
	json_object_put(o);
	return rc;
}

int bh_nsr_get_ra(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *ref = NULL, *ra = NULL, *o = NULL;
	int rc;

	*out = NULL;
	if ((rc = bh_nsr_parse_doc(text, &ref, st)) != BH_OK)
		return rc;
	if ((rc = bh_nsr_ra_read(c, ref, &ra, st)) == BH_OK &&
	    (rc = ra_canonical(c, ra, &o, st)) == BH_OK)
		rc = bh_nsr_dump(o, out);
	json_object_put(o);
	json_object_put(ra);
	json_object_put(ref);
	return rc;
}

/* ------------------------------------------------------------------ close */

int bh_nsr_close_ra(void *ctx, const char *text, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *ref = NULL, *ra = NULL, *body = NULL, *close = NULL, *o = NULL;
	struct bh_nsr_reply r;
	char path[256], id[32];
	bool changed = false;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if ((rc = bh_nsr_parse_doc(text, &ref, st)) != BH_OK)
		return rc;
	if ((rc = bh_nsr_ra_read(c, ref, &ra, st)) != BH_OK)
		goto out;
	snprintf(id, sizeof(id), "%s", bh_nsr_jstr(ra, "id") ? bh_nsr_jstr(ra, "id") : "");
	struct json_object *status = bh_nsr_jobj(ra, "status");
	const char *now = bh_nsr_ra_status(status ? bh_nsr_jstr(status, "id") : NULL);
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(ra, "item"), "items");
	close = json_object_new_array();
	if (!close || !id[0])
		goto nomem;
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		const char *key = bh_nsr_jstr(l, "line");
		if (!key || bh_nsr_jbool(l, "isClosed", false))
			continue;
		struct json_object *cl = json_object_new_object();
		json_object_object_add(cl, "line", json_object_new_int64(atoll(key)));
		json_object_object_add(cl, "isClosed", json_object_new_boolean(1));
		json_object_array_add(close, cl);
	}
	/* nothing open, or cancelled (no line can change): closing again succeeds */
	if (json_object_array_length(close) > 0 && strcmp(now, "cancelled") != 0 &&
	    !bh_nsr_dry_run(c)) {
		body = json_object_new_object();
		struct json_object *sub = json_object_new_object();
		if (!body || !sub) {
			json_object_put(sub);
			goto nomem;
		}
		json_object_object_add(sub, "items", close);
		close = NULL;
		json_object_object_add(body, "item", sub);
		snprintf(path, sizeof(path), "%s%s/%s", BH_NSR_REST_PATH, BH_NSR_T_RA, id);
		/* closing lines twice is harmless: the PATCH may be re-sent */
		rc = bh_nsr_request(c, "PATCH", path, body, BH_NSR_F_IDEMPOTENT, &r, st);
		if (rc == BH_ENOENT)
			rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST",
					 "return authorization %s vanished", id);
		if (rc != BH_OK)
			goto out;
		changed = true;
		c->host->counter_add(c->inst, "ra_closed", 1);
		json_object_put(ra);
		ra = NULL;
		if ((rc = bh_nsr_get(c, BH_NSR_T_RA, id, true, NULL, &ra, st)) != BH_OK)
			goto out;
	} else if (json_object_array_length(close) > 0 && bh_nsr_dry_run(c)) {
		bh_plg_info(c->host, c->inst, "dry run: would close the open lines of RA %s", id);
	}
	if ((rc = ra_canonical(c, ra, &o, st)) != BH_OK)
		goto out;
	json_object_object_add(o, "created", json_object_new_boolean(0));
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	rc = bh_nsr_dump(o, out);
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	bh_nsr_reply_clear(&r);
	json_object_put(o);
	json_object_put(close);
	json_object_put(body);
	json_object_put(ra);
	json_object_put(ref);
	return rc;
}
