/*
 * flowlib_fake.c - an in-memory ERP + storefront endpoint for the flow tests (built for
 * make check only): plugin "flowlib-fake", capabilities "erp", "storefront" and the
 * test control "flowlib-fake" (struct fl_fake_ops in flowlib_test.h), and a minimal
 * "portal" (get_return answers what the control "return" stored; actions succeed).
 * check_items answers like sdk/RECORDS.md (every unknown SKU named with the field);
 * erp_10 = true offers the 1.0 erp table without it.
 *
 * It keeps the documents as JSON and answers like sdk/RECORDS.md says: writes are
 * idempotent on external_id (created:false on repeat), unknown SKUs are BH_EREJECT
 * "UNKNOWN_SKU" naming the SKU and the field (nothing written), missing references are
 * BH_EREJECT, lookups of absent things BH_ENOENT. Every call is logged with its
 * argument. Faults can be planted per operation: retry / reject / auth / enoent, or
 * "retry_after_write" (the write happens, then the call fails as if the answer was lost
 * or the engine crashed before the acknowledgement).
 *
 * Ownership: flows helper (tests). Threading: one mutex around the store; capability
 * calls may come from any worker thread.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/backhaul.h>

#include "flowlib_fake.h"

struct fake {
	bh_instance *inst;
	const struct bh_host *host;
	const char *sku_field;
	bool erp_10;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* "hold": calls of hold_op wait until "release" */
	char hold_op[64];
	int waiting;
	json_object *db;
	long next_id;
};

static json_object *arr(json_object *db, const char *k)
{
	json_object *v;
	json_object_object_get_ex(db, k, &v);
	return v;
}

static const char *js(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void db_reset(struct fake *f)
{
	json_object_put(f->db);
	f->db = json_object_new_object();
	static const char *const tables[] = {"items", "customers", "sales_orders", "ras", "receipts",
					     "refunds", "customer_refunds", "calls", "faults", "orders",
					     "returns"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		json_object_object_add(f->db, tables[i], json_object_new_array());
	json_object_object_add(f->db, "ra_status", json_object_new_string("pending_receipt"));
}

static void set_status(struct bh_status *st, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_status(struct bh_status *st, const char *code, const char *fmt, ...)
{
	va_list ap;
	snprintf(st->code, sizeof(st->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
}

static json_object *find_by(json_object *a, const char *k, const char *v)
{
	for (size_t i = 0; v && i < json_object_array_length(a); i++) {
		json_object *o = json_object_array_get_idx(a, i);
		const char *x = js(o, k);
		if (x && !strcmp(x, v))
			return o;
	}
	return NULL;
}

static json_object *find_ref(json_object *a, json_object *ref)
{
	json_object *o = find_by(a, "internal_id", js(ref, "internal_id"));
	return o ? o : find_by(a, "external_id", js(ref, "external_id"));
}

static bool have_item(struct fake *f, const char *sku)
{
	json_object *a = arr(f->db, "items");
	for (size_t i = 0; sku && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), sku))
			return true;
	return false;
}

/* Every SKU of doc's lines[] (sku) and adjustments[] (item), and bonus_item. */
static int check_skus(struct fake *f, json_object *doc, struct bh_status *st)
{
	static const char *const lists[][2] = {{"lines", "sku"}, {"adjustments", "item"}};
	for (size_t k = 0; k < 2; k++) {
		json_object *a;
		if (!json_object_object_get_ex(doc, lists[k][0], &a) || !json_object_is_type(a, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *sku = js(json_object_array_get_idx(a, i), lists[k][1]);
			if (!have_item(f, sku)) {
				set_status(st, "UNKNOWN_SKU", "SKU '%s' not found on field %s", sku ? sku : "",
					   f->sku_field);
				return BH_EREJECT;
			}
		}
	}
	const char *bonus = js(doc, "bonus"), *bi = js(doc, "bonus_item");
	if (bonus && bi && !have_item(f, bi)) {
		set_status(st, "UNKNOWN_SKU", "SKU '%s' not found on field %s", bi, f->sku_field);
		return BH_EREJECT;
	}
	return BH_OK;
}

static json_object *new_rec(struct fake *f, const char *type, const char *xid)
{
	char id[32];
	snprintf(id, sizeof(id), "%ld", ++f->next_id);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "internal_id", json_object_new_string(id));
	json_object_object_add(o, "external_id", xid ? json_object_new_string(xid) : NULL);
	json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

static int answer(json_object *rec, bool created, char **out)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "internal_id", json_object_get(json_object_object_get(rec, "internal_id")));
	json_object_object_add(a, "external_id", json_object_get(json_object_object_get(rec, "external_id")));
	json_object_object_add(a, "type", json_object_get(json_object_object_get(rec, "type")));
	json_object_object_add(a, "created", json_object_new_boolean(created));
	*out = strdup(json_object_to_json_string(a));
	json_object_put(a);
	return BH_OK;
}

/* ------------------------------------------------------------------ faults and log */

/* A planted fault for op: returns 0 (none), or its rc; *after_write for "retry_after_write". */
static int take_fault(struct fake *f, const char *op, struct bh_status *st, bool *after_write)
{
	json_object *a = arr(f->db, "faults");
	*after_write = false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i), *t;
		const char *o = js(x, "op"), *kind = js(x, "rc");
		int times = json_object_object_get_ex(x, "times", &t) ? json_object_get_int(t) : 1;
		if (!o || strcmp(o, op) || times <= 0 || !kind)
			continue;
		json_object_object_add(x, "times", json_object_new_int(times - 1));
		const char *code = js(x, "code"), *msg = js(x, "message");
		set_status(st, code ? code : "FAKE_FAULT", "%s", msg ? msg : "planted fault");
		if (json_object_object_get_ex(x, "retry_after_ms", &t))
			st->retry_after_ms = json_object_get_int64(t);
		if (!strcmp(kind, "retry"))
			return BH_ERETRY;
		if (!strcmp(kind, "reject"))
			return BH_EREJECT;
		if (!strcmp(kind, "auth"))
			return BH_EAUTH;
		if (!strcmp(kind, "enoent"))
			return BH_ENOENT;
		if (!strcmp(kind, "retry_after_write")) {
			*after_write = true;
			return 0;
		}
	}
	return 0;
}

static void log_call(struct fake *f, const char *op, const char *arg, int rc)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "op", json_object_new_string(op));
	json_object *a = arg ? json_tokener_parse(arg) : NULL;
	json_object_object_add(c, "arg", a ? a : (arg ? json_object_new_string(arg) : NULL));
	json_object_object_add(c, "rc", json_object_new_int(rc));
	json_object_array_add(arr(f->db, "calls"), c);
}

typedef int (*op_fn)(struct fake *f, json_object *doc, char **out, struct bh_status *st);

static int run(struct fake *f, const char *op, const char *arg, op_fn fn, char **out,
	       struct bh_status *st)
{
	bool after_write;
	int rc;
	*out = NULL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&f->mu);
	if (f->hold_op[0] && !strcmp(f->hold_op, op)) {
		f->waiting++;
		while (f->hold_op[0] && !strcmp(f->hold_op, op))
			pthread_cond_wait(&f->cv, &f->mu);
		f->waiting--;
	}
	rc = take_fault(f, op, st, &after_write);
	if (rc == 0) {
		json_object *doc = json_tokener_parse(arg ? arg : "");
		if (!doc || !json_object_is_type(doc, json_type_object)) {
			set_status(st, "INVALID_DOCUMENT", "not a JSON object");
			rc = BH_EREJECT;
		} else {
			rc = fn(f, doc, out, st);
		}
		json_object_put(doc);
		if (rc == 0 && after_write) {
			free(*out);
			*out = NULL;
			set_status(st, "TIMEOUT", "the answer was lost after the write");
			rc = BH_ERETRY;
		}
	}
	log_call(f, op, arg, rc);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* ------------------------------------------------------------------ erp */

static json_object *so_answer(json_object *so)
{
	return json_object_get(so);
}

static int op_find_so(struct fake *f, json_object *q, char **out, struct bh_status *st)
{
	json_object *a = arr(f->db, "sales_orders");
	json_object *so = find_by(a, "external_id", js(q, "external_id"));
	if (!so)
		so = find_by(a, "storefront_order_id", js(q, "shopify_order_id"));
	if (!so) {
		set_status(st, "RCRD_DSNT_EXIST", "no such sales order");
		return BH_ENOENT;
	}
	json_object *x = so_answer(so);
	*out = strdup(json_object_to_json_string(x));
	json_object_put(x);
	return BH_OK;
}

static int op_customer(struct fake *f, json_object *d, char **out, struct bh_status *st)
{
	const char *xid = js(d, "external_id");
	if (!xid) {
		set_status(st, "INVALID_DOCUMENT", "customer without external_id");
		return BH_EREJECT;
	}
	json_object *a = arr(f->db, "customers"), *c = find_by(a, "external_id", xid);
	bool created = !c;
	if (!c) {
		c = new_rec(f, "customer", xid);
		json_object_array_add(a, c);
	}
	json_object_object_add(c, "doc", json_object_get(d));
	return answer(c, created, out);
}

static int op_so(struct fake *f, json_object *d, char **out, struct bh_status *st)
{
	const char *xid = js(d, "external_id"), *cust = js(d, "customer_external_id");
	const char *exch = js(d, "exchange_of");
	int rc = check_skus(f, d, st);
	if (rc != 0)
		return rc;
	if (!xid || !find_by(arr(f->db, "customers"), "external_id", cust)) {
		set_status(st, "INVALID_KEY_OR_REF", "Invalid entity reference key %s", cust ? cust : "");
		return BH_EREJECT;
	}
	if (exch && !find_by(arr(f->db, "sales_orders"), "external_id", exch)) {
		set_status(st, "INVALID_KEY_OR_REF", "exchange_of %s does not exist", exch);
		return BH_EREJECT;
	}
	json_object *a = arr(f->db, "sales_orders"), *so = find_by(a, "external_id", xid);
	bool created = !so;
	if (!so) {
		so = new_rec(f, "sales_order", xid);
		json_object_object_add(so, "billing", json_object_new_string("cash_sale"));
		json_object_object_add(so, "status", json_object_new_string("pending_fulfillment"));
		json_object_array_add(a, so);
	}
	json_object_object_add(so, "storefront_order_id",
			       json_object_get(json_object_object_get(d, "storefront_order_id")));
	/* like NetSuite: the adjustment lines (tenders on gift card items) are lines too */
	json_object *lines = json_object_new_array(), *l;
	for (size_t k = 0; k < 2; k++) {
		if (!json_object_object_get_ex(d, k ? "adjustments" : "lines", &l) ||
		    !json_object_is_type(l, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(l); i++) {
			json_object *x = json_object_array_get_idx(l, i);
			if (!k) {
				json_object_array_add(lines, json_object_get(x));
				continue;
			}
			json_object *y = json_object_new_object();
			json_object_object_add(y, "sku", json_object_get(json_object_object_get(x, "item")));
			json_object_object_add(y, "quantity", json_object_new_int(1));
			json_object_object_add(y, "amount", json_object_get(json_object_object_get(x, "amount")));
			json_object_array_add(lines, y);
		}
	}
	json_object_object_add(so, "lines", lines);
	json_object_object_add(so, "doc", json_object_get(d));
	return answer(so, created, out);
}

/* check_items: every SKU of {"skus": [...]} known, else UNKNOWN_SKU naming all unknown. */
static int op_check_items(struct fake *f, json_object *q, char **out, struct bh_status *st)
{
	json_object *skus, *items = json_object_new_array();
	char bad[400] = "";
	size_t nbad = 0;
	if (!json_object_object_get_ex(q, "skus", &skus) || !json_object_is_type(skus, json_type_array)) {
		json_object_put(items);
		set_status(st, "INVALID_DOCUMENT", "check_items without skus[]");
		return BH_EREJECT;
	}
	for (size_t i = 0; i < json_object_array_length(skus); i++) {
		const char *sku = json_object_get_string(json_object_array_get_idx(skus, i));
		if (!have_item(f, sku)) {
			size_t n = strlen(bad);
			snprintf(bad + n, sizeof(bad) - n, "%s'%s'", nbad++ ? ", " : "", sku ? sku : "");
			continue;
		}
		json_object *it = json_object_new_object();
		char id[32];
		snprintf(id, sizeof(id), "%zu", 100 + i);
		json_object_object_add(it, "sku", json_object_new_string(sku));
		json_object_object_add(it, "internal_id", json_object_new_string(id));
		json_object_array_add(items, it);
	}
	if (nbad) {
		json_object_put(items);
		set_status(st, "UNKNOWN_SKU", "unknown SKU %s: not found on field %s", bad, f->sku_field);
		return BH_EREJECT;
	}
	json_object *a = json_object_new_object();
	json_object_object_add(a, "items", items);
	*out = strdup(json_object_to_json_string(a));
	json_object_put(a);
	return BH_OK;
}

static int op_ra(struct fake *f, json_object *d, char **out, struct bh_status *st)
{
	const char *xid = js(d, "external_id");
	int rc = check_skus(f, d, st);
	if (rc != 0)
		return rc;
	json_object *a = arr(f->db, "ras"), *ra = find_by(a, "external_id", xid);
	if (ra)
		return answer(ra, false, out);
	json_object *so = find_ref(arr(f->db, "sales_orders"), json_object_object_get(d, "sales_order"));
	if (!xid || !so) {
		set_status(st, "RCRD_DSNT_EXIST", "sales order does not exist");
		return BH_EREJECT;
	}
	ra = new_rec(f, "return_authorization", xid);
	json_object_object_add(ra, "status", json_object_new_string(js(f->db, "ra_status")));
	json_object_object_add(ra, "flag", json_object_new_boolean(0));
	json_object *so_ref = json_object_new_object();
	json_object_object_add(so_ref, "internal_id", json_object_get(json_object_object_get(so, "internal_id")));
	json_object_object_add(ra, "sales_order", so_ref);
	json_object *lines = json_object_new_array(), *l;
	json_object_object_get_ex(d, "lines", &l);
	for (size_t i = 0; l && i < json_object_array_length(l); i++) {
		json_object *x = json_object_array_get_idx(l, i), *y = json_object_new_object();
		json_object_object_add(y, "sku", json_object_get(json_object_object_get(x, "sku")));
		json_object_object_add(y, "quantity", json_object_get(json_object_object_get(x, "quantity")));
		json_object_object_add(y, "quantity_received", json_object_new_int(0));
		json_object_object_add(y, "quantity_billed", json_object_new_int(0));
		json_object_object_add(y, "closed", json_object_new_boolean(0));
		json_object_array_add(lines, y);
	}
	json_object_object_get_ex(d, "adjustments", &l);
	for (size_t i = 0; l && i < json_object_array_length(l); i++) {
		json_object *x = json_object_array_get_idx(l, i), *y = json_object_new_object();
		json_object_object_add(y, "sku", json_object_get(json_object_object_get(x, "item")));
		json_object_object_add(y, "quantity", json_object_new_int(1));
		json_object_object_add(y, "quantity_received", json_object_new_int(0));
		json_object_object_add(y, "quantity_billed", json_object_new_int(0));
		json_object_object_add(y, "closed", json_object_new_boolean(0));
		json_object_array_add(lines, y);
	}
	json_object_object_add(ra, "lines", lines);
	json_object_object_add(ra, "doc", json_object_get(d));
	json_object_array_add(a, ra);
	return answer(ra, true, out);
}

static int op_get_ra(struct fake *f, json_object *q, char **out, struct bh_status *st)
{
	json_object *ra = find_ref(arr(f->db, "ras"), q);
	if (!ra) {
		set_status(st, "RCRD_DSNT_EXIST", "no such return authorization");
		return BH_ENOENT;
	}
	*out = strdup(json_object_to_json_string(ra));
	return BH_OK;
}

/* Receive qty units of sku on the RA's lines (all open units when qty < 0). */
static void receive(json_object *ra, const char *sku, int64_t qty)
{
	json_object *l = json_object_object_get(ra, "lines");
	for (size_t i = 0; l && i < json_object_array_length(l) && qty != 0; i++) {
		json_object *x = json_object_array_get_idx(l, i);
		const char *s = js(x, "sku");
		if (sku && (!s || strcmp(s, sku)))
			continue;
		int64_t q = json_object_get_int64(json_object_object_get(x, "quantity"));
		int64_t r = json_object_get_int64(json_object_object_get(x, "quantity_received"));
		int64_t take = q - r;
		if (qty > 0 && take > qty)
			take = qty;
		if (take <= 0)
			continue;
		json_object_object_add(x, "quantity_received", json_object_new_int64(r + take));
		if (qty > 0)
			qty -= take;
	}
	json_object_object_add(ra, "status", json_object_new_string("pending_refund"));
}

static int op_receipt(struct fake *f, json_object *d, char **out, struct bh_status *st)
{
	const char *xid = js(d, "external_id");
	int rc = check_skus(f, d, st);
	if (rc != 0)
		return rc;
	json_object *a = arr(f->db, "receipts"), *ir = find_by(a, "external_id", xid);
	if (ir)
		return answer(ir, false, out);
	json_object *ra = find_ref(arr(f->db, "ras"), json_object_object_get(d, "ra"));
	if (!xid || !ra) {
		set_status(st, "RCRD_DSNT_EXIST", "return authorization does not exist");
		return BH_EREJECT;
	}
	json_object *l = json_object_object_get(d, "lines");
	for (size_t i = 0; l && i < json_object_array_length(l); i++) {
		json_object *x = json_object_array_get_idx(l, i);
		receive(ra, js(x, "sku"), json_object_get_int64(json_object_object_get(x, "quantity")));
	}
	ir = new_rec(f, "item_receipt", xid);
	json_object_object_add(ir, "doc", json_object_get(d));
	json_object_array_add(a, ir);
	return answer(ir, true, out);
}

static int op_refund(struct fake *f, json_object *d, char **out, struct bh_status *st)
{
	const char *xid = js(d, "external_id"), *kind = js(d, "document");
	int rc = check_skus(f, d, st);
	if (rc != 0)
		return rc;
	json_object *a = arr(f->db, "refunds"), *rf = find_by(a, "external_id", xid);
	bool created = !rf;
	if (!rf) {
		json_object *ra = find_ref(arr(f->db, "ras"), json_object_object_get(d, "ra"));
		if (!xid || !kind || !ra) {
			set_status(st, "RCRD_DSNT_EXIST", "return authorization does not exist");
			return BH_EREJECT;
		}
		rf = new_rec(f, kind, xid);
		json_object_object_add(rf, "doc", json_object_get(d));
		json_object_array_add(a, rf);
		json_object_object_add(ra, "status", json_object_new_string("refunded"));
	}
	json_object *cr = json_object_object_get(d, "customer_refund");
	if (cr && js(cr, "external_id") &&
	    !find_by(arr(f->db, "customer_refunds"), "external_id", js(cr, "external_id"))) {
		json_object *c = new_rec(f, "customer_refund", js(cr, "external_id"));
		json_object_object_add(c, "doc", json_object_get(cr));
		json_object_array_add(arr(f->db, "customer_refunds"), c);
	}
	return answer(rf, created, out);
}

static int op_close(struct fake *f, json_object *q, char **out, struct bh_status *st)
{
	json_object *ra = find_ref(arr(f->db, "ras"), q);
	if (!ra) {
		set_status(st, "RCRD_DSNT_EXIST", "no such return authorization");
		return BH_ENOENT;
	}
	json_object *l = json_object_object_get(ra, "lines");
	for (size_t i = 0; l && i < json_object_array_length(l); i++)
		json_object_object_add(json_object_array_get_idx(l, i), "closed", json_object_new_boolean(1));
	json_object_object_add(ra, "status", json_object_new_string("closed"));
	*out = strdup(json_object_to_json_string(ra));
	return BH_OK;
}

#define WRAP(name, opname, fn)                                                                \
	static int name(void *ctx, const char *arg, char **out, struct bh_status *st)          \
	{                                                                                      \
		return run(ctx, opname, arg, fn, out, st);                                     \
	}
WRAP(e_find_so, "find_sales_order", op_find_so)
WRAP(e_customer, "upsert_customer", op_customer)
WRAP(e_so, "upsert_sales_order", op_so)
WRAP(e_ra, "create_return_authorization", op_ra)
WRAP(e_get_ra, "get_return_authorization", op_get_ra)
WRAP(e_receipt, "create_item_receipt", op_receipt)
WRAP(e_refund, "create_refund", op_refund)
WRAP(e_close, "close_return_authorization", op_close)
WRAP(e_check_items, "check_items", op_check_items)

static int e_changes(void *ctx, const char *feed, const char *cursor, char **out,
		     struct bh_status *st)
{
	(void)ctx;
	(void)feed;
	(void)cursor;
	(void)st;
	*out = strdup("{\"records\":[],\"next_cursor\":\"0\",\"more\":false}");
	return BH_OK;
}

static const struct bh_erp_ops fake_erp = {
	.size = sizeof(struct bh_erp_ops),
	.find_sales_order = e_find_so,
	.upsert_customer = e_customer,
	.upsert_sales_order = e_so,
	.create_return_authorization = e_ra,
	.get_return_authorization = e_get_ra,
	.create_item_receipt = e_receipt,
	.create_refund = e_refund,
	.close_return_authorization = e_close,
	.changes = e_changes,
	.check_items = e_check_items,
};

/* The same without check_items (an ERP plugin built against the 1.0 table). */
static const struct bh_erp_ops fake_erp_10 = {
	.size = offsetof(struct bh_erp_ops, related_transactions),
	.find_sales_order = e_find_so,
	.upsert_customer = e_customer,
	.upsert_sales_order = e_so,
	.create_return_authorization = e_ra,
	.get_return_authorization = e_get_ra,
	.create_item_receipt = e_receipt,
	.create_refund = e_refund,
	.close_return_authorization = e_close,
	.changes = e_changes,
};

/* ------------------------------------------------------------------ portal */

static int p_get(void *ctx, const char *rid, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	*out = NULL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&f->mu);
	json_object *r = find_by(arr(f->db, "returns"), "id", rid);
	int rc = r ? BH_OK : BH_ENOENT;
	if (r)
		*out = strdup(json_object_to_json_string(r));
	else
		set_status(st, "NOT_FOUND", "no return %s", rid ? rid : "");
	log_call(f, "get_return", rid, rc);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int p_action(void *ctx, const char *rid, struct bh_status *st)
{
	(void)ctx;
	(void)rid;
	memset(st, 0, sizeof(*st));
	return BH_OK;
}

static int p_note(void *ctx, const char *rid, const char *text, struct bh_status *st)
{
	(void)text;
	return p_action(ctx, rid, st);
}

static const struct bh_portal_ops fake_portal = {
	.size = offsetof(struct bh_portal_ops, find_returns),
	.get_return = p_get,
	.process = p_action,
	.cancel = p_action,
	.flag = p_action,
	.close = p_action,
	.note = p_note,
};

/* ------------------------------------------------------------------ storefront */

static int sf_lookup(struct fake *f, const char *op, const char *key, const char *v, char **out,
		     struct bh_status *st)
{
	*out = NULL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&f->mu);
	json_object *a = arr(f->db, "orders"), *o = NULL;
	for (size_t i = 0; v && i < json_object_array_length(a) && !o; i++) {
		json_object *x = json_object_array_get_idx(a, i);
		const char *s = js(x, key);
		if (s && !strcmp(s, v))
			o = x;
	}
	int rc = o ? BH_OK : BH_ENOENT;
	if (o)
		*out = strdup(json_object_to_json_string(o));
	else
		set_status(st, "NOT_FOUND", "no order %s", v ? v : "");
	log_call(f, op, v, rc);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int s_get(void *ctx, const char *id, char **out, struct bh_status *st)
{
	return sf_lookup(ctx, "get_order", "id", id, out, st);
}

static int s_by_name(void *ctx, const char *name, char **out, struct bh_status *st)
{
	return sf_lookup(ctx, "find_order_by_name", "name", name, out, st);
}

static int s_list(void *ctx, const char *q, char **out, struct bh_status *st)
{
	(void)ctx;
	(void)q;
	(void)st;
	*out = strdup("{\"orders\":[],\"next_cursor\":null}");
	return BH_OK;
}

static const struct bh_storefront_ops fake_sf = {
	.size = sizeof(struct bh_storefront_ops),
	.get_order = s_get,
	.find_order_by_name = s_by_name,
	.list_orders = s_list,
};

/* ------------------------------------------------------------------ control */

static int ctl(void *ctx, const char *cmd, const char *arg, char **out)
{
	struct fake *f = ctx;
	int rc = BH_OK;
	json_object *a = arg ? json_tokener_parse(arg) : NULL;
	*out = NULL;
	pthread_mutex_lock(&f->mu);
	if (!strcmp(cmd, "reset")) {
		db_reset(f);
	} else if (!strcmp(cmd, "dump")) {
		json_object_object_add(f->db, "waiting", json_object_new_int(f->waiting));
		*out = strdup(json_object_to_json_string_ext(f->db, JSON_C_TO_STRING_PLAIN));
	} else if (!strcmp(cmd, "hold") && a && js(a, "op")) {
		snprintf(f->hold_op, sizeof(f->hold_op), "%s", js(a, "op"));
	} else if (!strcmp(cmd, "release")) {
		f->hold_op[0] = '\0';
		pthread_cond_broadcast(&f->cv);
	} else if (!strcmp(cmd, "items") && a) {
		json_object *s = json_object_object_get(a, "skus");
		for (size_t i = 0; s && i < json_object_array_length(s); i++)
			json_object_array_add(arr(f->db, "items"), json_object_get(json_object_array_get_idx(s, i)));
	} else if (!strcmp(cmd, "so") && a) {
		/* a sales order synced by someone else: {external_id, storefront_order_id,
		 * billing, lines[]} */
		json_object *so = new_rec(f, "sales_order", js(a, "external_id"));
		json_object_object_foreach(a, k, v) json_object_object_add(so, k, json_object_get(v));
		json_object_array_add(arr(f->db, "sales_orders"), so);
		*out = strdup(js(so, "internal_id"));
	} else if (!strcmp(cmd, "billing") && a) {
		json_object *so = find_by(arr(f->db, "sales_orders"), "external_id", js(a, "external_id"));
		if (so)
			json_object_object_add(so, "billing", json_object_get(json_object_object_get(a, "billing")));
		else
			rc = BH_ENOENT;
	} else if (!strcmp(cmd, "fault") && a) {
		json_object_array_add(arr(f->db, "faults"), json_object_get(a));
	} else if (!strcmp(cmd, "ra_status") && a) {
		json_object_object_add(f->db, "ra_status", json_object_get(json_object_object_get(a, "status")));
	} else if (!strcmp(cmd, "receive") && a) {
		/* a warehouse receipt entered in the ERP: {"external_id" of the RA, "quantity"} */
		json_object *ra = find_by(arr(f->db, "ras"), "external_id", js(a, "external_id"));
		json_object *q = json_object_object_get(a, "quantity");
		if (ra)
			receive(ra, js(a, "sku"), q ? json_object_get_int64(q) : -1);
		else
			rc = BH_ENOENT;
	} else if (!strcmp(cmd, "order") && a) {
		json_object_array_add(arr(f->db, "orders"), json_object_get(a));
	} else if (!strcmp(cmd, "return") && a) {
		/* a return as the portal knows it now (replaces one with the same id) */
		json_object *rs = arr(f->db, "returns");
		for (size_t i = 0; i < json_object_array_length(rs); i++)
			if (js(json_object_array_get_idx(rs, i), "id") && js(a, "id") &&
			    !strcmp(js(json_object_array_get_idx(rs, i), "id"), js(a, "id"))) {
				json_object_array_del_idx(rs, i, 1);
				break;
			}
		json_object_array_add(rs, json_object_get(a));
	} else {
		rc = BH_EINVAL;
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(a);
	return rc;
}

static const struct fl_fake_ops fake_ctl = {.size = sizeof(struct fl_fake_ops), .ctl = ctl};

/* ------------------------------------------------------------------ plugin */

static int fk_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	db_reset(f);
	*ctx = f;
	return BH_OK;
}

static void fk_destroy(void *ctx)
{
	struct fake *f = ctx;
	json_object_put(f->db);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}

static const void *fk_cap(void *ctx, const char *name)
{
	if (!strcmp(name, BH_CAP_ERP))
		return ((struct fake *)ctx)->erp_10 ? &fake_erp_10 : &fake_erp;
	if (!strcmp(name, BH_CAP_PORTAL))
		return &fake_portal;
	if (!strcmp(name, BH_CAP_STOREFRONT))
		return &fake_sf;
	if (!strcmp(name, FL_FAKE_CAP))
		return &fake_ctl;
	return NULL;
}

#define O(f) offsetof(struct fake, f)
static const struct bh_cfg_entry fk_config[] = {
	{BH_CFG_STR, "sku_field", "itemid", 0, O(sku_field), 0, 0, NULL,
	 "the SKU field named in UNKNOWN_SKU messages"},
	{BH_CFG_BOOL, "erp_10", "false", 0, O(erp_10), 0, 0, NULL,
	 "offer the 1.0 erp ops table (no check_items)"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "flowlib-fake", .version = "1.0.0",
		 .description = "in-memory erp + storefront for the flow tests", .license = "MIT",
		 .kind = BH_KIND_ENDPOINT, .config = fk_config, .init = fk_init,
		 .destroy = fk_destroy, .capability = fk_cap);
