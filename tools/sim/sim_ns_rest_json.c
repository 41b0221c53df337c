/*
 * sim_ns_rest_json.c - NetSuite REST record API v1 JSON for store records: rendering
 * (links, references {links,id,refName}, sublists {links,items,totalResults}, custom
 * fields as top-level properties named by script id) and applying request bodies to
 * drafts (create, PATCH/PUT, transform overrides).
 *
 * Owned by the NetSuite REST helper. Every function runs with the store lock held (it
 * resolves references). Money is int64 cents in the store; on the wire it is a JSON
 * number whose text is produced from the cents (bh_sim_ns_rest_money) and read back
 * from the number's original text (json-c keeps it), never through double.
 *
 * Field names are the REST record API's: externalId, tranId, tranDate, entity (customer
 * on customerRefund), createdFrom, memo, otherRefNum, currency, orderStatus, status,
 * location, shippingCost, shipMethod, discountItem, discountRate, taxItem, account,
 * paymentMethod, subtotal, taxTotal, total, item {items:[{line, item, description,
 * quantity, rate, amount, tax1Amt, taxCode, isTaxable, isClosed, location, orderLine,
 * itemReceive, restock, quantityReceived|quantityFulfilled, quantityBilled, custcol_*}]},
 * apply {items:[{doc, amount, apply}]} (customerRefund), custbody_*; customers:
 * entityId, firstName, lastName, companyName, email, phone, isPerson, custentity_*;
 * items: itemId, displayName, cost, isInactive, incomeAccount, custitem_*.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim_ns_rest_priv.h"
#include "sim_ns_store.h"
#include "sim_ns_suiteql.h"

/* ---------------------------------------------------------------- types */

enum bh_sim_ns_type bh_sim_ns_rest_type(const char *name)
{
	for (int t = 1; t < BH_SIM_NS_T_COUNT; t++) {
		const char *n = bh_sim_ns_type_name((enum bh_sim_ns_type)t);
		if (n && strcasecmp(n, name) == 0)
			return (enum bh_sim_ns_type)t;
	}
	return BH_SIM_NS_T_NONE;
}

const char *bh_sim_ns_rest_type_label(enum bh_sim_ns_type t)
{
	switch (t) {
	case BH_SIM_NS_T_SALES_ORDER:
		return "Sales Order";
	case BH_SIM_NS_T_CASH_SALE:
		return "Cash Sale";
	case BH_SIM_NS_T_INVOICE:
		return "Invoice";
	case BH_SIM_NS_T_ITEM_FULFILLMENT:
		return "Item Fulfillment";
	case BH_SIM_NS_T_RETURN_AUTHORIZATION:
		return "Return Authorization";
	case BH_SIM_NS_T_ITEM_RECEIPT:
		return "Item Receipt";
	case BH_SIM_NS_T_CREDIT_MEMO:
		return "Credit Memo";
	case BH_SIM_NS_T_CASH_REFUND:
		return "Cash Refund";
	case BH_SIM_NS_T_CUSTOMER_REFUND:
		return "Customer Refund";
	default:
		return NULL;
	}
}

const char *bh_sim_ns_rest_itemtype(enum bh_sim_ns_type t)
{
	switch (t) {
	case BH_SIM_NS_T_INVENTORY_ITEM:
		return "InvtPart";
	case BH_SIM_NS_T_NON_INVENTORY_ITEM:
		return "NonInvtPart";
	case BH_SIM_NS_T_OTHER_CHARGE_ITEM:
		return "OthCharge";
	case BH_SIM_NS_T_GIFT_CERT_ITEM:
		return "GiftCert";
	case BH_SIM_NS_T_DISCOUNT_ITEM:
		return "Discount";
	case BH_SIM_NS_T_SALES_TAX_ITEM:
		return "TaxItem";
	default:
		return NULL;
	}
}

static bool is_set(int64_t v)
{
	return v != BH_SIM_NS_UNSET && v != 0;
}

/* ---------------------------------------------------------------- numbers */

struct json_object *bh_sim_ns_rest_rawnum(const char *text)
{
	struct json_object *o = json_object_new_int64(0);
	char *t = strdup(text);
	if (!o || !t) {
		free(t);
		json_object_put(o);
		return NULL;
	}
	/* The value is only ever serialised: print the exact decimal text. */
	json_object_set_serializer(o, json_object_userdata_to_json_string, t,
				   json_object_free_userdata);
	return o;
}

struct json_object *bh_sim_ns_rest_money(int64_t cents)
{
	char buf[40];
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	unsigned frac = (unsigned)(a % 100);
	if (frac % 10 == 0)
		snprintf(buf, sizeof(buf), "%s%llu.%u", cents < 0 ? "-" : "",
			 (unsigned long long)(a / 100), frac / 10);
	else
		snprintf(buf, sizeof(buf), "%s%llu.%02u", cents < 0 ? "-" : "",
			 (unsigned long long)(a / 100), frac);
	return bh_sim_ns_rest_rawnum(buf);
}

static void iso_utc(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	if (bh_sim_sql_format_date(s, "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"", buf, len) != 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* ---------------------------------------------------------------- rendering */

static struct json_object *self_links(const char *href)
{
	struct json_object *arr = json_object_new_array();
	struct json_object *l = json_object_new_object();
	json_object_object_add(l, "rel", json_object_new_string("self"));
	json_object_object_add(l, "href", json_object_new_string(href));
	json_object_array_add(arr, l);
	return arr;
}

static struct json_object *link_ref(struct bh_sim_ns_rest_ctx *c, const char *type, int64_t id,
				    const char *ref_name)
{
	char href[512], ids[32];
	struct json_object *o = json_object_new_object();
	snprintf(href, sizeof(href), "%s/services/rest/record/v1/%s/%lld", c->base, type,
		 (long long)id);
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	json_object_object_add(o, "links", self_links(href));
	json_object_object_add(o, "id", json_object_new_string(ids));
	if (ref_name)
		json_object_object_add(o, "refName", json_object_new_string(ref_name));
	return o;
}

struct json_object *bh_sim_ns_rest_ref(struct bh_sim_ns_rest_ctx *c, int64_t id)
{
	const struct bh_sim_ns_rec *r;
	char name[256];
	if (!is_set(id))
		return NULL;
	r = bh_sim_ns_get(c->ns, BH_SIM_NS_T_NONE, id);
	if (!r) {
		char ids[32];
		struct json_object *o = json_object_new_object();
		snprintf(ids, sizeof(ids), "%lld", (long long)id);
		json_object_object_add(o, "id", json_object_new_string(ids));
		return o;
	}
	return link_ref(c, bh_sim_ns_type_name(r->type), id,
			bh_sim_ns_ref_name(r, name, sizeof(name)));
}

static struct json_object *account_ref(struct bh_sim_ns_rest_ctx *c, int64_t id)
{
	const struct bh_sim_ns_account *a;
	if (!is_set(id))
		return NULL;
	a = bh_sim_ns_account_get(c->ns, id);
	return link_ref(c, "account", id, a ? a->name : NULL);
}

/* A plain select value {"id": text} (location, paymentMethod...). */
static struct json_object *select_ref(const char *id, const char *ref_name)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	if (ref_name)
		json_object_object_add(o, "refName", json_object_new_string(ref_name));
	return o;
}

static void add_opt(struct json_object *o, const char *key, struct json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void add_cf(struct json_object *o, const struct bh_sim_ns_cf *cf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bh_sim_ns_cf *f = &cf[i];
		struct json_object *v = NULL;
		if (!f->script_id || !f->value)
			continue;
		switch (f->type) {
		case BH_SIM_NS_CF_BOOLEAN:
			v = json_object_new_boolean(strcasecmp(f->value, "true") == 0 ||
						    strcmp(f->value, "T") == 0);
			break;
		case BH_SIM_NS_CF_LONG:
		case BH_SIM_NS_CF_DOUBLE:
			v = bh_sim_sql_is_dec(f->value) ? bh_sim_ns_rest_rawnum(f->value)
							: json_object_new_string(f->value);
			break;
		case BH_SIM_NS_CF_SELECT:
			v = select_ref(f->value, NULL);
			break;
		default:
			v = json_object_new_string(f->value);
			break;
		}
		json_object_object_add(o, f->script_id, v);
	}
}

static const char *order_letter(enum bh_sim_ns_type t, const char *st)
{
	static const char *const so[] = { "_pendingApproval", "_pendingFulfillment", "_cancelled",
					  "_partiallyFulfilled", "_pendingBillingPartFulfilled",
					  "_pendingBilling", "_fullyBilled", "_closed", NULL };
	static const char *const ra[] = { "_pendingApproval", "_pendingReceipt", "_cancelled",
					  "_partiallyReceived", "_pendingRefundPartReceived",
					  "_pendingRefund", "_refunded", "_closed", NULL };
	static const char *const letters[] = { "A", "B", "C", "D", "E", "F", "G", "H" };
	const char *const *tab = t == BH_SIM_NS_T_SALES_ORDER ? so : ra;
	if (!st)
		return NULL;
	for (size_t i = 0; tab[i]; i++)
		if (strcmp(tab[i], st) == 0)
			return letters[i];
	return NULL;
}

struct json_object *bh_sim_ns_rest_line_json(struct bh_sim_ns_rest_ctx *c,
					     const struct bh_sim_ns_rec *r,
					     const struct bh_sim_ns_line *l)
{
	struct json_object *o = json_object_new_object();
	char href[512];

	if (r->id) {
		snprintf(href, sizeof(href), "%s/services/rest/record/v1/%s/%lld/item/%lld", c->base,
			 bh_sim_ns_type_name(r->type), (long long)r->id, (long long)l->line);
		json_object_object_add(o, "links", self_links(href));
	} else {
		json_object_object_add(o, "links", json_object_new_array());
	}
	if (l->line != BH_SIM_NS_UNSET)
		json_object_object_add(o, "line", json_object_new_int64(l->line));
	add_opt(o, "item", bh_sim_ns_rest_ref(c, l->item));
	add_str(o, "description", l->description);
	if (l->quantity != BH_SIM_NS_UNSET)
		json_object_object_add(o, "quantity", json_object_new_int64(l->quantity));
	if (l->rate != BH_SIM_NS_UNSET)
		add_opt(o, "rate", bh_sim_ns_rest_money(l->rate));
	if (l->amount != BH_SIM_NS_UNSET)
		add_opt(o, "amount", bh_sim_ns_rest_money(l->amount));
	if (l->tax != BH_SIM_NS_UNSET)
		add_opt(o, "tax1Amt", bh_sim_ns_rest_money(l->tax));
	add_opt(o, "taxCode", bh_sim_ns_rest_ref(c, l->tax_code));
	if (l->is_taxable >= 0)
		json_object_object_add(o, "isTaxable", json_object_new_boolean(l->is_taxable));
	json_object_object_add(o, "isClosed", json_object_new_boolean(l->is_closed > 0));
	if (is_set(l->location)) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%lld", (long long)l->location);
		json_object_object_add(o, "location", select_ref(ids, NULL));
	}
	if (is_set(l->order_line))
		json_object_object_add(o, "orderLine", json_object_new_int64(l->order_line));
	if (r->type == BH_SIM_NS_T_ITEM_RECEIPT) {
		json_object_object_add(o, "itemReceive", json_object_new_boolean(l->item_receive != 0));
		json_object_object_add(o, "restock", json_object_new_boolean(l->restock != 0));
	}
	if (r->type == BH_SIM_NS_T_SALES_ORDER || r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION) {
		int64_t rec = l->qty_received == BH_SIM_NS_UNSET ? 0 : l->qty_received;
		int64_t bil = l->qty_billed == BH_SIM_NS_UNSET ? 0 : l->qty_billed;
		json_object_object_add(o, r->type == BH_SIM_NS_T_SALES_ORDER ? "quantityFulfilled"
									       : "quantityReceived",
				       json_object_new_int64(rec));
		json_object_object_add(o, "quantityBilled", json_object_new_int64(bil));
	}
	add_cf(o, l->cf, l->n_cf);
	return o;
}

static struct json_object *sublist_json(struct bh_sim_ns_rest_ctx *c, const struct bh_sim_ns_rec *r,
					const char *name, bool expand)
{
	struct json_object *o = json_object_new_object();
	char href[512];
	if (r->id) {
		snprintf(href, sizeof(href), "%s/services/rest/record/v1/%s/%lld/%s", c->base,
			 bh_sim_ns_type_name(r->type), (long long)r->id, name);
		json_object_object_add(o, "links", self_links(href));
	} else {
		json_object_object_add(o, "links", json_object_new_array());
	}
	if (!expand)
		return o;
	struct json_object *items = json_object_new_array();
	size_t n = 0;
	if (strcmp(name, "item") == 0) {
		for (size_t i = 0; i < r->n_lines; i++)
			json_object_array_add(items, bh_sim_ns_rest_line_json(c, r, &r->lines[i]));
		n = r->n_lines;
	} else {
		for (size_t i = 0; i < r->n_apply; i++) {
			struct json_object *a = json_object_new_object();
			json_object_object_add(a, "links", json_object_new_array());
			json_object_object_add(a, "apply", json_object_new_boolean(1));
			add_opt(a, "doc", bh_sim_ns_rest_ref(c, r->apply[i].doc));
			add_opt(a, "amount", bh_sim_ns_rest_money(r->apply[i].amount));
			json_object_array_add(items, a);
		}
		n = r->n_apply;
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "totalResults", json_object_new_int64((int64_t)n));
	return o;
}

static bool field_wanted(const char *fields, const char *key)
{
	size_t kl = strlen(key);
	const char *p = fields;
	if (!fields || strcmp(key, "links") == 0 || strcmp(key, "id") == 0)
		return true;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && *p == ' ') {
			p++;
			n--;
		}
		if (n == kl && strncasecmp(p, key, kl) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

struct json_object *bh_sim_ns_rest_rec_json(struct bh_sim_ns_rest_ctx *c,
					    const struct bh_sim_ns_rec *r, bool expand,
					    const char *fields)
{
	struct json_object *o = json_object_new_object();
	enum bh_sim_ns_group g = bh_sim_ns_type_group(r->type);
	char buf[512];

	if (r->id) {
		snprintf(buf, sizeof(buf), "%s/services/rest/record/v1/%s/%lld", c->base,
			 bh_sim_ns_type_name(r->type), (long long)r->id);
		json_object_object_add(o, "links", self_links(buf));
		snprintf(buf, sizeof(buf), "%lld", (long long)r->id);
		json_object_object_add(o, "id", json_object_new_string(buf));
	} else {
		json_object_object_add(o, "links", json_object_new_array());
	}
	add_str(o, "externalId", r->external_id);
	if (r->created_ms) {
		iso_utc(r->created_ms, buf, sizeof(buf));
		json_object_object_add(o, "createdDate", json_object_new_string(buf));
	}
	if (r->modified_ms) {
		iso_utc(r->modified_ms, buf, sizeof(buf));
		json_object_object_add(o, "lastModifiedDate", json_object_new_string(buf));
	}
	if (g == BH_SIM_NS_G_ENTITY) {
		add_str(o, "entityId", r->entity_id);
		add_str(o, "firstName", r->first_name);
		add_str(o, "lastName", r->last_name);
		add_str(o, "companyName", r->company_name);
		add_str(o, "email", r->email);
		add_str(o, "phone", r->phone);
		if (r->is_person >= 0)
			json_object_object_add(o, "isPerson", json_object_new_boolean(r->is_person));
		add_cf(o, r->cf, r->n_cf);
	} else if (g == BH_SIM_NS_G_ITEM) {
		add_str(o, "itemId", r->item_id);
		add_str(o, "displayName", r->display_name);
		if (r->cost != BH_SIM_NS_UNSET && r->type == BH_SIM_NS_T_INVENTORY_ITEM)
			add_opt(o, "cost", bh_sim_ns_rest_money(r->cost));
		if (r->is_inactive >= 0)
			json_object_object_add(o, "isInactive", json_object_new_boolean(r->is_inactive));
		add_opt(o, "incomeAccount", account_ref(c, r->income_account));
		add_cf(o, r->cf, r->n_cf);
	} else {
		const char *letter = r->id ? bh_sim_ns_status_letter(c->ns, r) : NULL;
		const char *text = r->id ? bh_sim_ns_status_text(c->ns, r) : NULL;
		add_str(o, "tranId", r->tran_id);
		if (r->tran_date_ms != BH_SIM_NS_UNSET && r->tran_date_ms) {
			bh_sim_ns_time_fmt(r->tran_date_ms, buf, sizeof(buf));
			buf[10] = '\0';
			json_object_object_add(o, "tranDate", json_object_new_string(buf));
		}
		add_opt(o, r->type == BH_SIM_NS_T_CUSTOMER_REFUND ? "customer" : "entity",
			bh_sim_ns_rest_ref(c, r->entity));
		add_opt(o, "createdFrom", bh_sim_ns_rest_ref(c, r->created_from));
		add_str(o, "memo", r->memo);
		add_str(o, "otherRefNum", r->other_ref_num);
		if (r->currency)
			json_object_object_add(o, "currency", select_ref(r->currency, r->currency));
		if (letter && text)
			json_object_object_add(o, "status", select_ref(letter, text));
		if (r->type == BH_SIM_NS_T_SALES_ORDER || r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION) {
			const char *st = r->id ? bh_sim_ns_order_status(c->ns, r) : r->order_status;
			const char *ol = order_letter(r->type, st);
			if (ol)
				json_object_object_add(o, "orderStatus",
						       select_ref(ol, text ? text : st));
		}
		if (is_set(r->location)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)r->location);
			json_object_object_add(o, "location", select_ref(buf, NULL));
		}
		if (is_set(r->shipping_cost))
			add_opt(o, "shippingCost", bh_sim_ns_rest_money(r->shipping_cost));
		add_opt(o, "shipMethod", bh_sim_ns_rest_ref(c, r->ship_method));
		add_opt(o, "discountItem", bh_sim_ns_rest_ref(c, r->discount_item));
		if (r->discount_rate)
			json_object_object_add(o, "discountRate",
					       bh_sim_sql_is_dec(r->discount_rate)
						       ? bh_sim_ns_rest_rawnum(r->discount_rate)
						       : json_object_new_string(r->discount_rate));
		if (is_set(r->discount_total))
			add_opt(o, "discountTotal", bh_sim_ns_rest_money(r->discount_total));
		add_opt(o, "taxItem", bh_sim_ns_rest_ref(c, r->tax_item));
		add_opt(o, "account", account_ref(c, r->account));
		if (r->payment_method)
			json_object_object_add(o, "paymentMethod", select_ref(r->payment_method, NULL));
		if (r->subtotal != BH_SIM_NS_UNSET)
			add_opt(o, "subtotal", bh_sim_ns_rest_money(r->subtotal));
		if (r->tax_total != BH_SIM_NS_UNSET)
			add_opt(o, "taxTotal", bh_sim_ns_rest_money(r->tax_total));
		if (r->total != BH_SIM_NS_UNSET)
			add_opt(o, "total", bh_sim_ns_rest_money(r->total));
		add_cf(o, r->cf, r->n_cf);
		if (r->type == BH_SIM_NS_T_CUSTOMER_REFUND)
			json_object_object_add(o, "apply", sublist_json(c, r, "apply", expand));
		else
			json_object_object_add(o, "item", sublist_json(c, r, "item", expand));
	}
	if (fields) {
		struct json_object *f = json_object_new_object();
		json_object_object_foreach(o, k, v) {
			if (field_wanted(fields, k))
				json_object_object_add(f, k, json_object_get(v));
		}
		json_object_put(o);
		o = f;
	}
	return o;
}

/* ---------------------------------------------------------------- applying bodies */

struct apply {
	struct bh_sim_ns_rest_ctx *c;
	bool strict;
	char path[128];
};

static int bad_value(struct apply *a, const char *path, const char *field, const char *value)
{
	char detail[512];
	snprintf(detail, sizeof(detail),
		 "Error while accessing resource: You have entered an Invalid Field Value %s for "
		 "the following field: %s", value ? value : "null", field);
	bh_sim_ns_rest_error(a->c->resp, 400, "INVALID_CONTENT", detail, path, NULL, NULL);
	return BH_EINVAL;
}

static int unknown_field(struct apply *a, const char *path)
{
	char detail[256];
	snprintf(detail, sizeof(detail),
		 "Error while accessing a resource. Unknown field name: '%s'.", path);
	bh_sim_ns_rest_error(a->c->resp, 400, "INVALID_CONTENT", detail, path, NULL, NULL);
	return BH_EINVAL;
}

static int nomem(struct apply *a)
{
	bh_sim_ns_rest_error(a->c->resp, 500, "UNEXPECTED_ERROR",
			     "An unexpected error has occurred: out of memory.", NULL, NULL, NULL);
	return BH_ENOMEM;
}

static const char *jtext(struct json_object *v)
{
	return v ? json_object_get_string(v) : NULL;
}

static bool parse_pos_id(const char *s, int64_t *id)
{
	char *end;
	long long v;
	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return false;
	*id = v;
	return true;
}

static bool group_ok(const struct bh_sim_ns_rec *r, enum bh_sim_ns_group g,
		     enum bh_sim_ns_type only)
{
	if (!r)
		return false;
	if (only != BH_SIM_NS_T_NONE)
		return r->type == only;
	return g == BH_SIM_NS_G_NONE || bh_sim_ns_type_group(r->type) == g;
}

/* Resolve a reference value ({"id":..} | {"externalId":..} | "123" | 123) to an internal
 * id of a record of group g (or of type `only`). */
static int ref_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		     enum bh_sim_ns_group g, enum bh_sim_ns_type only, int64_t *out)
{
	struct json_object *idv = NULL, *eidv = NULL;
	const char *text = NULL;
	int64_t id = 0;
	const struct bh_sim_ns_rec *r = NULL;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_get_ex(v, "id", &idv);
		json_object_object_get_ex(v, "externalId", &eidv);
		if (idv && !json_object_is_type(idv, json_type_null))
			text = jtext(idv);
		else if (eidv && json_object_is_type(eidv, json_type_string)) {
			const char *eid = json_object_get_string(eidv);
			for (int t = 1; t < BH_SIM_NS_T_COUNT && !r; t++) {
				if (only != BH_SIM_NS_T_NONE && t != (int)only)
					continue;
				if (bh_sim_ns_type_group((enum bh_sim_ns_type)t) != g &&
				    g != BH_SIM_NS_G_NONE)
					continue;
				r = bh_sim_ns_find_eid(a->c->ns, (enum bh_sim_ns_type)t, eid);
			}
			if (!r)
				return bad_value(a, path, field, eid);
			*out = r->id;
			return 0;
		}
	} else if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)) {
		text = jtext(v);
	}
	if (!text || !parse_pos_id(text, &id))
		return bad_value(a, path, field, text);
	if (g != BH_SIM_NS_G_NONE || only != BH_SIM_NS_T_NONE) {
		r = bh_sim_ns_get(a->c->ns, BH_SIM_NS_T_NONE, id);
		if (!group_ok(r, g, only))
			return bad_value(a, path, field, text);
	}
	*out = id;
	return 0;
}

/* A plain select id ({"id":"3"} or "3" or 3). */
static int select_value(struct apply *a, struct json_object *v, const char *path, const char *field,
			const char **out)
{
	struct json_object *idv = NULL;
	if (json_object_is_type(v, json_type_object)) {
		if (!json_object_object_get_ex(v, "id", &idv) &&
		    !json_object_object_get_ex(v, "refName", &idv))
			return bad_value(a, path, field, NULL);
		v = idv;
	}
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
		return bad_value(a, path, field, jtext(v));
	*out = json_object_get_string(v);
	return 0;
}

static int money_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		       int64_t *out)
{
	const char *t = jtext(v);
	if (!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_string)) ||
	    bh_sim_ns_money_parse(t, out) != 0)
		return bad_value(a, path, field, t);
	return 0;
}

static int qty_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		     int64_t *out)
{
	const char *t = jtext(v);
	if (!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_string)) ||
	    bh_sim_ns_qty_parse(t, out) != 0)
		return bad_value(a, path, field, t);
	return 0;
}

static int int_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		     int64_t *out)
{
	const char *t = jtext(v);
	if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_string)) ||
	    !parse_pos_id(t, out))
		return bad_value(a, path, field, t);
	return 0;
}

static int bool_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		      int *out)
{
	if (!json_object_is_type(v, json_type_boolean))
		return bad_value(a, path, field, jtext(v));
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

static int str_value(struct apply *a, struct json_object *v, const char *path, const char *field,
		     char **dst)
{
	if (json_object_is_type(v, json_type_null))
		return bh_sim_ns_str_set(dst, NULL) ? nomem(a) : 0;
	if (!json_object_is_type(v, json_type_string))
		return bad_value(a, path, field, jtext(v));
	return bh_sim_ns_str_set(dst, json_object_get_string(v)) ? nomem(a) : 0;
}

static bool is_custom(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(key, prefix, n) == 0 && key[n];
}

static int cf_value(struct apply *a, struct bh_sim_ns_cf **cf, size_t *n, const char *key,
		    struct json_object *v, const char *path)
{
	enum bh_sim_ns_cf_type t = BH_SIM_NS_CF_STRING;
	const char *val = NULL;
	struct json_object *idv;

	switch (json_object_get_type(v)) {
	case json_type_null:
		break;
	case json_type_boolean:
		t = BH_SIM_NS_CF_BOOLEAN;
		val = json_object_get_boolean(v) ? "true" : "false";
		break;
	case json_type_int:
		t = BH_SIM_NS_CF_LONG;
		val = json_object_get_string(v);
		break;
	case json_type_double:
		t = BH_SIM_NS_CF_DOUBLE;
		val = json_object_get_string(v);
		break;
	case json_type_string:
		val = json_object_get_string(v);
		break;
	case json_type_object:
		if (!json_object_object_get_ex(v, "id", &idv))
			return bad_value(a, path, key, NULL);
		t = BH_SIM_NS_CF_SELECT;
		val = json_object_get_string(idv);
		break;
	default:
		return bad_value(a, path, key, jtext(v));
	}
	return bh_sim_ns_cf_set(cf, n, key, t, val) ? nomem(a) : 0;
}

/* Round a * b / d (d > 0) half away from zero. a is cents and b a quantity, so the
 * product fits; should it not, divide first (a cent of error beats wrapping). */
static int64_t scale(int64_t a, int64_t b, int64_t d)
{
	int64_t p, q, r;
	if (__builtin_mul_overflow(a, b, &p))
		return a / d * b;
	q = p / d;
	r = p % d;
	if (r != 0 && 2 * (r < 0 ? -r : r) >= d)
		q += p < 0 ? -1 : 1;
	return q;
}

/* Apply one line object onto l; transform: l is a prefilled line of an initialized draft. */
static int apply_line(struct apply *a, struct bh_sim_ns_line *l, struct json_object *jl,
		      size_t idx, bool transform)
{
	char p[160];
	int64_t old_qty = l->quantity;
	bool qty_given = false, amount_given = false, tax_given = false;
	int rc = 0;

	json_object_object_foreach(jl, k, v) {
		snprintf(p, sizeof(p), "item.items[%zu].%s", idx, k);
		if (strcmp(k, "links") == 0 || strcmp(k, "quantityReceived") == 0 ||
		    strcmp(k, "quantityFulfilled") == 0 || strcmp(k, "quantityBilled") == 0 ||
		    strcmp(k, "refName") == 0)
			continue;
		if (strcmp(k, "orderLine") == 0) {
			rc = int_value(a, v, p, k, &l->order_line);
		} else if (strcmp(k, "line") == 0) {
			/* a prefilled line has no key yet: matched by orderLine instead */
			if (!transform)
				rc = int_value(a, v, p, k, &l->line);
		} else if (strcmp(k, "item") == 0) {
			rc = ref_value(a, v, p, "item", BH_SIM_NS_G_ITEM, BH_SIM_NS_T_NONE, &l->item);
		} else if (strcmp(k, "quantity") == 0) {
			rc = qty_value(a, v, p, k, &l->quantity);
			qty_given = true;
		} else if (strcmp(k, "rate") == 0) {
			rc = money_value(a, v, p, k, &l->rate);
		} else if (strcmp(k, "amount") == 0) {
			rc = money_value(a, v, p, k, &l->amount);
			amount_given = true;
		} else if (strcmp(k, "tax1Amt") == 0 || strcmp(k, "taxAmount") == 0) {
			rc = money_value(a, v, p, k, &l->tax);
			tax_given = true;
		} else if (strcmp(k, "taxCode") == 0) {
			rc = ref_value(a, v, p, "taxCode", BH_SIM_NS_G_ITEM, BH_SIM_NS_T_SALES_TAX_ITEM,
				       &l->tax_code);
		} else if (strcmp(k, "isTaxable") == 0) {
			rc = bool_value(a, v, p, k, &l->is_taxable);
		} else if (strcmp(k, "isClosed") == 0) {
			rc = bool_value(a, v, p, k, &l->is_closed);
		} else if (strcmp(k, "itemReceive") == 0) {
			rc = bool_value(a, v, p, k, &l->item_receive);
		} else if (strcmp(k, "restock") == 0) {
			rc = bool_value(a, v, p, k, &l->restock);
		} else if (strcmp(k, "location") == 0) {
			const char *s;
			rc = select_value(a, v, p, k, &s);
			if (!rc && !parse_pos_id(s, &l->location))
				rc = bad_value(a, p, k, s);
		} else if (strcmp(k, "description") == 0) {
			rc = str_value(a, v, p, k, &l->description);
		} else if (is_custom(k, "custcol")) {
			rc = cf_value(a, &l->cf, &l->n_cf, k, v, p);
		} else if (a->strict) {
			rc = unknown_field(a, p);
		}
		if (rc)
			return rc;
	}
	/* A changed quantity on a prefilled (transformed) line re-prices it pro rata,
	 * amount and tax, like NetSuite recalculating the line. */
	if (transform && qty_given && old_qty != BH_SIM_NS_UNSET && old_qty > 0 &&
	    l->quantity != old_qty) {
		if (!amount_given && l->amount != BH_SIM_NS_UNSET)
			l->amount = scale(l->amount, l->quantity, old_qty);
		if (!tax_given && l->tax != BH_SIM_NS_UNSET)
			l->tax = scale(l->tax, l->quantity, old_qty);
	}
	return 0;
}

static void line_free_fields(struct bh_sim_ns_line *l)
{
	free(l->description);
	for (size_t i = 0; i < l->n_cf; i++) {
		free(l->cf[i].script_id);
		free(l->cf[i].value);
	}
	free(l->cf);
}

static int apply_item_sublist(struct apply *a, struct bh_sim_ns_rec *d, struct json_object *v,
			      enum bh_sim_ns_rest_mode mode, bool replace)
{
	struct json_object *items = NULL;
	size_t n;

	if (json_object_is_type(v, json_type_null)) {
		/* a null sublist empties it */
		for (size_t i = 0; i < d->n_lines; i++)
			line_free_fields(&d->lines[i]);
		d->n_lines = 0;
		d->lines_given = true;
		d->lines_replace_all = 1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return bad_value(a, "item", "item", jtext(v));
	n = json_object_array_length(items);

	if (mode == BH_SIM_NS_REST_TRANSFORM) {
		/* Lines of the prefilled draft are matched by orderLine. */
		bool *keep = calloc(d->n_lines + 1, sizeof(*keep));
		size_t w = 0;
		if (!keep)
			return nomem(a);
		for (size_t i = 0; i < n; i++) {
			struct json_object *jl = json_object_array_get_idx(items, i), *ol = NULL;
			struct bh_sim_ns_line *l = NULL;
			int64_t want = 0;
			char p[64];
			int rc;
			snprintf(p, sizeof(p), "item.items[%zu].orderLine", i);
			if (!json_object_is_type(jl, json_type_object)) {
				free(keep);
				return bad_value(a, p, "item", jtext(jl));
			}
			if (json_object_object_get_ex(jl, "orderLine", &ol) &&
			    int_value(a, ol, p, "orderLine", &want) != 0) {
				free(keep);
				return BH_EINVAL;
			}
			for (size_t k = 0; want && k < d->n_lines; k++)
				if (d->lines[k].order_line == want) {
					l = &d->lines[k];
					keep[k] = true;
				}
			if (want && !l) {
				char vb[32];
				free(keep);
				snprintf(vb, sizeof(vb), "%lld", (long long)want);
				return bad_value(a, p, "orderLine", vb);
			}
			if (!l) {
				size_t before = d->n_lines;
				bool *nk;
				l = bh_sim_ns_rec_add_line(d);
				nk = realloc(keep, (d->n_lines + 1) * sizeof(*keep));
				if (!l || !nk) {
					free(nk ? nk : keep);
					return nomem(a);
				}
				keep = nk;
				keep[before] = true;
			}
			rc = apply_line(a, l, jl, i, true);
			if (rc) {
				free(keep);
				return rc;
			}
		}
		if (replace) {
			for (size_t k = 0; k < d->n_lines; k++) {
				if (keep[k])
					d->lines[w++] = d->lines[k];
				else
					line_free_fields(&d->lines[k]);
			}
			d->n_lines = w;
		}
		free(keep);
		d->lines_given = true;
		return 0;
	}

	d->lines_given = true;
	d->lines_replace_all = mode == BH_SIM_NS_REST_CREATE || replace ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *jl = json_object_array_get_idx(items, i);
		struct bh_sim_ns_line *l;
		char p[64];
		int rc;
		snprintf(p, sizeof(p), "item.items[%zu]", i);
		if (!json_object_is_type(jl, json_type_object))
			return bad_value(a, p, "item", jtext(jl));
		l = bh_sim_ns_rec_add_line(d);
		if (!l)
			return nomem(a);
		rc = apply_line(a, l, jl, i, false);
		if (rc)
			return rc;
		if (mode == BH_SIM_NS_REST_CREATE)
			l->line = BH_SIM_NS_UNSET;
	}
	return 0;
}

static int apply_apply_sublist(struct apply *a, struct bh_sim_ns_rec *d, struct json_object *v)
{
	struct json_object *items = NULL;
	size_t n;
	if (json_object_is_type(v, json_type_null)) {
		d->n_apply = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return bad_value(a, "apply", "apply", jtext(v));
	n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++) {
		struct json_object *jl = json_object_array_get_idx(items, i), *x;
		struct bh_sim_ns_apply ap = { 0, BH_SIM_NS_UNSET };
		char p[64];
		if (json_object_object_get_ex(jl, "apply", &x) && json_object_is_type(x, json_type_boolean) &&
		    !json_object_get_boolean(x))
			continue;
		snprintf(p, sizeof(p), "apply.items[%zu].doc", i);
		if (!json_object_object_get_ex(jl, "doc", &x))
			return bad_value(a, p, "doc", NULL);
		if (ref_value(a, x, p, "doc", BH_SIM_NS_G_TRANSACTION, BH_SIM_NS_T_CREDIT_MEMO, &ap.doc))
			return BH_EINVAL;
		snprintf(p, sizeof(p), "apply.items[%zu].amount", i);
		if (json_object_object_get_ex(jl, "amount", &x)) {
			if (money_value(a, x, p, "amount", &ap.amount))
				return BH_EINVAL;
		} else {
			/* not given: apply what is left of the credit memo */
			const struct bh_sim_ns_rec *cm = bh_sim_ns_get(a->c->ns, BH_SIM_NS_T_CREDIT_MEMO,
								       ap.doc);
			ap.amount = cm ? cm->total - cm->applied : 0;
		}
		struct bh_sim_ns_apply *na = realloc(d->apply, (d->n_apply + 1) * sizeof(*na));
		if (!na)
			return nomem(a);
		d->apply = na;
		d->apply[d->n_apply++] = ap;
	}
	return 0;
}

static int set_null(struct apply *a, struct bh_sim_ns_rec *d, const char *name)
{
	return bh_sim_ns_rec_null_field(d, name) ? nomem(a) : 0;
}

static int apply_entity(struct apply *a, struct bh_sim_ns_rec *d, const char *k,
			struct json_object *v, bool *known)
{
	static const struct {
		const char *name;
		size_t off;
	} strs[] = {
		{ "entityId", offsetof(struct bh_sim_ns_rec, entity_id) },
		{ "firstName", offsetof(struct bh_sim_ns_rec, first_name) },
		{ "lastName", offsetof(struct bh_sim_ns_rec, last_name) },
		{ "companyName", offsetof(struct bh_sim_ns_rec, company_name) },
		{ "email", offsetof(struct bh_sim_ns_rec, email) },
		{ "phone", offsetof(struct bh_sim_ns_rec, phone) },
	};
	*known = true;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(k, strs[i].name) == 0) {
			if (json_object_is_type(v, json_type_null))
				return set_null(a, d, k);
			return str_value(a, v, k, k, (char **)((char *)d + strs[i].off));
		}
	if (strcmp(k, "isPerson") == 0)
		return bool_value(a, v, k, k, &d->is_person);
	if (is_custom(k, "custentity"))
		return cf_value(a, &d->cf, &d->n_cf, k, v, k);
	*known = false;
	return 0;
}

static int apply_item(struct apply *a, struct bh_sim_ns_rec *d, const char *k,
		      struct json_object *v, bool *known)
{
	*known = true;
	if (strcmp(k, "itemId") == 0)
		return str_value(a, v, k, k, &d->item_id);
	if (strcmp(k, "displayName") == 0)
		return str_value(a, v, k, k, &d->display_name);
	if (strcmp(k, "cost") == 0)
		return money_value(a, v, k, k, &d->cost);
	if (strcmp(k, "isInactive") == 0)
		return bool_value(a, v, k, k, &d->is_inactive);
	if (strcmp(k, "incomeAccount") == 0) {
		const char *s;
		int64_t id;
		if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		if (!parse_pos_id(s, &id) || !bh_sim_ns_account_get(a->c->ns, id))
			return bad_value(a, k, k, s);
		d->income_account = id;
		return 0;
	}
	if (is_custom(k, "custitem"))
		return cf_value(a, &d->cf, &d->n_cf, k, v, k);
	*known = false;
	return 0;
}

static int apply_txn(struct apply *a, struct bh_sim_ns_rec *d, const char *k,
		     struct json_object *v, enum bh_sim_ns_rest_mode mode, bool replace, bool *known)
{
	bool null = json_object_is_type(v, json_type_null);
	*known = true;

	if (null && strcmp(k, "item") != 0 && strcmp(k, "apply") != 0 &&
	    (strcmp(k, "memo") == 0 || strcmp(k, "otherRefNum") == 0 || strcmp(k, "location") == 0 ||
	     strcmp(k, "shipMethod") == 0 || strcmp(k, "discountItem") == 0 ||
	     strcmp(k, "discountRate") == 0 || strcmp(k, "taxItem") == 0 ||
	     strcmp(k, "shippingCost") == 0 || strcmp(k, "paymentMethod") == 0))
		return set_null(a, d, k);
	if (strcmp(k, "tranId") == 0)
		return str_value(a, v, k, k, &d->tran_id);
	if (strcmp(k, "tranDate") == 0) {
		const char *t = jtext(v);
		if (!json_object_is_type(v, json_type_string) || bh_sim_ns_time_parse(t, &d->tran_date_ms))
			return bad_value(a, k, k, t);
		return 0;
	}
	if (strcmp(k, "entity") == 0 || strcmp(k, "customer") == 0)
		return ref_value(a, v, k, k, BH_SIM_NS_G_ENTITY, BH_SIM_NS_T_NONE, &d->entity);
	if (strcmp(k, "createdFrom") == 0)
		return ref_value(a, v, k, k, BH_SIM_NS_G_TRANSACTION, BH_SIM_NS_T_NONE,
				 &d->created_from);
	if (strcmp(k, "memo") == 0)
		return str_value(a, v, k, k, &d->memo);
	if (strcmp(k, "otherRefNum") == 0)
		return str_value(a, v, k, k, &d->other_ref_num);
	if (strcmp(k, "currency") == 0) {
		struct json_object *x = NULL;
		const char *s = NULL;
		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "refName", &x))
			s = jtext(x);
		else if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		if (!s || strlen(s) != 3)
			return bad_value(a, k, k, s);
		return bh_sim_ns_str_set(&d->currency, s) ? nomem(a) : 0;
	}
	if (strcmp(k, "orderStatus") == 0) {
		static const char *const so[] = { "_pendingApproval", "_pendingFulfillment" };
		static const char *const ra[] = { "_pendingApproval", "_pendingReceipt" };
		const char *s;
		const char *const *tab = d->type == BH_SIM_NS_T_SALES_ORDER ? so : ra;
		if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		if (d->type != BH_SIM_NS_T_SALES_ORDER && d->type != BH_SIM_NS_T_RETURN_AUTHORIZATION)
			return bad_value(a, k, k, s);
		if (strcmp(s, "A") == 0 || strcmp(s, tab[0]) == 0)
			s = tab[0];
		else if (strcmp(s, "B") == 0 || strcmp(s, tab[1]) == 0)
			s = tab[1];
		else
			return bad_value(a, k, k, s);
		return bh_sim_ns_str_set(&d->order_status, s) ? nomem(a) : 0;
	}
	if (strcmp(k, "location") == 0) {
		const char *s;
		if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		return parse_pos_id(s, &d->location) ? 0 : bad_value(a, k, k, s);
	}
	if (strcmp(k, "shippingCost") == 0)
		return money_value(a, v, k, k, &d->shipping_cost);
	if (strcmp(k, "shipMethod") == 0)
		return ref_value(a, v, k, k, BH_SIM_NS_G_ITEM, BH_SIM_NS_T_NONE, &d->ship_method);
	if (strcmp(k, "discountItem") == 0)
		return ref_value(a, v, k, k, BH_SIM_NS_G_ITEM, BH_SIM_NS_T_DISCOUNT_ITEM,
				 &d->discount_item);
	if (strcmp(k, "discountRate") == 0) {
		if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int))
			return bad_value(a, k, k, jtext(v));
		return bh_sim_ns_str_set(&d->discount_rate, jtext(v)) ? nomem(a) : 0;
	}
	if (strcmp(k, "taxItem") == 0)
		return ref_value(a, v, k, k, BH_SIM_NS_G_ITEM, BH_SIM_NS_T_SALES_TAX_ITEM,
				 &d->tax_item);
	if (strcmp(k, "account") == 0) {
		const char *s;
		int64_t id;
		if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		if (!parse_pos_id(s, &id) || !bh_sim_ns_account_get(a->c->ns, id))
			return bad_value(a, k, k, s);
		d->account = id;
		return 0;
	}
	if (strcmp(k, "paymentMethod") == 0) {
		const char *s;
		if (select_value(a, v, k, k, &s))
			return BH_EINVAL;
		return bh_sim_ns_str_set(&d->payment_method, s) ? nomem(a) : 0;
	}
	if (strcmp(k, "item") == 0 && d->type != BH_SIM_NS_T_CUSTOMER_REFUND)
		return apply_item_sublist(a, d, v, mode, replace);
	if (strcmp(k, "apply") == 0 && d->type == BH_SIM_NS_T_CUSTOMER_REFUND)
		return apply_apply_sublist(a, d, v);
	if (is_custom(k, "custbody"))
		return cf_value(a, &d->cf, &d->n_cf, k, v, k);
	*known = false;
	return 0;
}

int bh_sim_ns_rest_apply_json(struct bh_sim_ns_rest_ctx *c, struct bh_sim_ns_rec *draft,
			      struct json_object *body, enum bh_sim_ns_rest_mode mode,
			      bool replace_lines, bool strict)
{
	struct apply a = { .c = c, .strict = strict };
	enum bh_sim_ns_group g = bh_sim_ns_type_group(draft->type);
	static const char *const readonly[] = { "links", "id", "createdDate", "lastModifiedDate",
						"status", "subtotal", "taxTotal", "total",
						"discountTotal", "refName", NULL };

	if (!body)
		return 0;
	if (!json_object_is_type(body, json_type_object)) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_CONTENT",
				     "Error while accessing a resource. The request body must be "
				     "a JSON object.", NULL, NULL, NULL);
		return BH_EINVAL;
	}
	json_object_object_foreach(body, k, v) {
		bool known = false, ro = false;
		int rc = 0;
		for (size_t i = 0; readonly[i]; i++)
			if (strcmp(readonly[i], k) == 0)
				ro = true;
		if (ro)
			continue;
		if (strcmp(k, "externalId") == 0) {
			known = true;
			if (json_object_is_type(v, json_type_null))
				rc = set_null(&a, draft, k);
			else if (!json_object_is_type(v, json_type_string) &&
				 !json_object_is_type(v, json_type_int))
				rc = bad_value(&a, k, k, jtext(v));
			else
				rc = bh_sim_ns_str_set(&draft->external_id, jtext(v)) ? nomem(&a) : 0;
		} else if (g == BH_SIM_NS_G_ENTITY) {
			rc = apply_entity(&a, draft, k, v, &known);
		} else if (g == BH_SIM_NS_G_ITEM) {
			rc = apply_item(&a, draft, k, v, &known);
		} else {
			rc = apply_txn(&a, draft, k, v, mode, replace_lines, &known);
		}
		if (rc)
			return rc;
		if (!known && strict)
			return unknown_field(&a, k);
	}
	return 0;
}
