/*
 * sim_shopify_render.c - the REST shape of orders, line items, refunds and transactions
 * as Shopify's Admin API (and its webhooks) serialize them: decimal strings with
 * *_set MoneyBags, refund_line_items subtotal/total_tax as JSON numbers, timestamps in
 * each value's own UTC offset, admin_graphql_api_id gids, and the input's unknown
 * members verbatim.
 *
 * Ownership: every rendering is a new json_object sharing nothing with the model (safe
 * to serialize after the data lock is released). Threading: data lock held (shared).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

/* ------------------------------------------------------------------ REST rendering */

static struct json_object *taxlines_rest(const struct bh_shp_taxline *t, size_t n, const char *cur)
{
	struct json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		char *end;
		double r = strtod(t[i].rate, &end);
		json_object_object_add(o, "price", bh_shp_jmoney_str(t[i].price));
		json_object_object_add(o, "rate", json_object_new_double_s(r, t[i].rate));
		json_object_object_add(o, "title", bh_shp_jstr_or_null(t[i].title));
		json_object_object_add(o, "price_set", bh_shp_rest_set(t[i].price, cur));
		if (!t[i].extra || !json_object_object_get_ex(t[i].extra, "channel_liable", NULL))
			json_object_object_add(o, "channel_liable", NULL);
		bh_shp_add_extras(o, t[i].extra);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *allocs_rest(const struct bh_shp_alloc *al, size_t n, const char *cur)
{
	struct json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "amount", bh_shp_jmoney_str(al[i].amount));
		json_object_object_add(o, "amount_set", bh_shp_rest_set(al[i].amount, cur));
		json_object_object_add(o, "discount_application_index",
				       json_object_new_int(al[i].index));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *bh_shp_line_rest(const struct bh_shp_order *ord, const struct bh_shp_line *l)
{
	struct json_object *o = json_object_new_object();
	const char *cur = ord->currency;
	json_object_object_add(o, "id", json_object_new_int64(l->id));
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("LineItem", l->id));
	json_object_object_add(o, "current_quantity", json_object_new_int(l->current_quantity));
	json_object_object_add(o, "fulfillable_quantity",
			       json_object_new_int(l->fulfillable_quantity));
	json_object_object_add(o, "fulfillment_service", bh_shp_jstr_or_null(l->fulfillment_service));
	json_object_object_add(o, "fulfillment_status", bh_shp_jstr_or_null(l->fulfillment_status));
	json_object_object_add(o, "gift_card", json_object_new_boolean(l->gift_card));
	if (!l->extra || !json_object_object_get_ex(l->extra, "grams", NULL))
		json_object_object_add(o, "grams", json_object_new_int(0));
	json_object_object_add(o, "name", bh_shp_jstr_or_null(l->name));
	bh_shp_add_money(o, "price", l->price, cur, true);
	if (!l->extra || !json_object_object_get_ex(l->extra, "product_exists", NULL))
		json_object_object_add(o, "product_exists", json_object_new_boolean(l->has_product));
	json_object_object_add(o, "product_id",
			       l->has_product ? json_object_new_int64(l->product_id) : NULL);
	json_object_object_add(o, "properties",
			       l->properties ? bh_shp_jcopy(l->properties) : json_object_new_array());
	json_object_object_add(o, "quantity", json_object_new_int(l->quantity));
	json_object_object_add(o, "requires_shipping", json_object_new_boolean(l->requires_shipping));
	json_object_object_add(o, "sku", bh_shp_jstr_or_null(l->sku));
	json_object_object_add(o, "taxable", json_object_new_boolean(l->taxable));
	json_object_object_add(o, "title", bh_shp_jstr_or_null(l->title));
	bh_shp_add_money(o, "total_discount", l->total_discount, cur, true);
	json_object_object_add(o, "variant_id",
			       l->has_variant ? json_object_new_int64(l->variant_id) : NULL);
	json_object_object_add(o, "variant_title", bh_shp_jstr_or_null(l->variant_title));
	json_object_object_add(o, "vendor", bh_shp_jstr_or_null(l->vendor));
	json_object_object_add(o, "tax_lines", taxlines_rest(l->tax, l->ntax, cur));
	if (!l->extra || !json_object_object_get_ex(l->extra, "duties", NULL))
		json_object_object_add(o, "duties", json_object_new_array());
	json_object_object_add(o, "discount_allocations", allocs_rest(l->alloc, l->nalloc, cur));
	bh_shp_add_extras(o, l->extra);
	return o;
}

static struct json_object *ship_rest(const struct bh_shp_shipline *sl, const char *cur)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(sl->id));
	json_object_object_add(o, "carrier_identifier", bh_shp_jstr_or_null(sl->carrier_identifier));
	json_object_object_add(o, "code", bh_shp_jstr_or_null(sl->code));
	bh_shp_add_money(o, "discounted_price", sl->discounted_price, cur, true);
	json_object_object_add(o, "is_removed", json_object_new_boolean(sl->is_removed));
	json_object_object_add(o, "phone", NULL);
	bh_shp_add_money(o, "price", sl->price, cur, true);
	json_object_object_add(o, "requested_fulfillment_service_id", NULL);
	json_object_object_add(o, "source", bh_shp_jstr_or_null(sl->source));
	json_object_object_add(o, "title", bh_shp_jstr_or_null(sl->title));
	json_object_object_add(o, "tax_lines", taxlines_rest(sl->tax, sl->ntax, cur));
	json_object_object_add(o, "discount_allocations", allocs_rest(sl->alloc, sl->nalloc, cur));
	bh_shp_add_extras(o, sl->extra);
	return o;
}

struct json_object *bh_shp_txn_rest(const struct bh_shp_order *ord, const struct bh_shp_txn *t)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(t->id));
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("OrderTransaction", t->id));
	json_object_object_add(o, "amount", bh_shp_jmoney_str(t->amount));
	json_object_object_add(o, "authorization", bh_shp_jstr_or_null(t->authorization));
	bh_shp_add_time(o, "created_at", &t->created);
	json_object_object_add(o, "currency", bh_shp_jstr_or_null(t->currency));
	json_object_object_add(o, "device_id", NULL);
	json_object_object_add(o, "error_code", bh_shp_jstr_or_null(t->error_code));
	json_object_object_add(o, "gateway", bh_shp_jstr_or_null(t->gateway));
	json_object_object_add(o, "kind", bh_shp_jstr_or_null(t->kind));
	json_object_object_add(o, "location_id", NULL);
	json_object_object_add(o, "message", bh_shp_jstr_or_null(t->message));
	json_object_object_add(o, "order_id", json_object_new_int64(ord->id));
	json_object_object_add(o, "parent_id",
			       t->has_parent ? json_object_new_int64(t->parent_id) : NULL);
	json_object_object_add(o, "payment_id", bh_shp_jstr_or_null(t->payment_id));
	bh_shp_add_time(o, "processed_at", &t->processed);
	if (!t->extra || !json_object_object_get_ex(t->extra, "receipt", NULL))
		json_object_object_add(o, "receipt", json_object_new_object());
	json_object_object_add(o, "source_name", bh_shp_jstr_or_null(t->source_name));
	json_object_object_add(o, "status", bh_shp_jstr_or_null(t->status));
	json_object_object_add(o, "test", json_object_new_boolean(t->test));
	json_object_object_add(o, "user_id", NULL);
	bh_shp_add_extras(o, t->extra);
	return o;
}

struct json_object *bh_shp_refund_rest(const struct bh_shp_order *ord, const struct bh_shp_refund *r)
{
	struct json_object *o = json_object_new_object(), *a;
	const char *cur = ord->currency;
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("Refund", r->id));
	bh_shp_add_time(o, "created_at", &r->created);
	json_object_object_add(o, "note", bh_shp_jstr_or_null(r->note));
	json_object_object_add(o, "order_id", json_object_new_int64(ord->id));
	bh_shp_add_time(o, "processed_at", &r->processed);
	json_object_object_add(o, "restock", json_object_new_boolean(r->restock));
	json_object_object_add(o, "total_additional_fees_set", bh_shp_rest_set(0, cur));
	json_object_object_add(o, "total_duties_set", bh_shp_rest_set(0, cur));
	json_object_object_add(o, "user_id", r->has_user ? json_object_new_int64(r->user_id) : NULL);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nadjs; i++) {
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_int64(r->adjs[i].id));
		json_object_object_add(x, "order_id", json_object_new_int64(ord->id));
		json_object_object_add(x, "refund_id", json_object_new_int64(r->id));
		bh_shp_add_money(x, "amount", r->adjs[i].amount, cur, false);
		bh_shp_add_money(x, "tax_amount", r->adjs[i].tax_amount, cur, false);
		json_object_object_add(x, "kind", bh_shp_jstr_or_null(r->adjs[i].kind));
		json_object_object_add(x, "reason", bh_shp_jstr_or_null(r->adjs[i].reason));
		json_object_object_add(x, "amount_set", bh_shp_rest_set(r->adjs[i].amount, cur));
		json_object_object_add(x, "tax_amount_set",
				       bh_shp_rest_set(r->adjs[i].tax_amount, cur));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "order_adjustments", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->ntxn; i++) {
		const struct bh_shp_txn *t = bh_shp_order_txn(ord, r->txn_ids[i]);
		if (t)
			json_object_array_add(a, bh_shp_txn_rest(ord, t));
	}
	json_object_object_add(o, "transactions", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nlines; i++) {
		const struct bh_shp_refund_line *rl = &r->lines[i];
		const struct bh_shp_line *l = bh_shp_order_line(ord, rl->line_item_id);
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_int64(rl->id));
		json_object_object_add(x, "line_item_id", json_object_new_int64(rl->line_item_id));
		json_object_object_add(x, "location_id",
				       rl->has_location ? json_object_new_int64(rl->location_id) : NULL);
		json_object_object_add(x, "quantity", json_object_new_int(rl->quantity));
		json_object_object_add(x, "restock_type", bh_shp_jstr_or_null(rl->restock_type));
		json_object_object_add(x, "subtotal", bh_shp_jmoney_num(rl->subtotal));
		json_object_object_add(x, "subtotal_set", bh_shp_rest_set(rl->subtotal, cur));
		json_object_object_add(x, "total_tax", bh_shp_jmoney_num(rl->total_tax));
		json_object_object_add(x, "total_tax_set", bh_shp_rest_set(rl->total_tax, cur));
		json_object_object_add(x, "line_item", l ? bh_shp_line_rest(ord, l) : NULL);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "refund_line_items", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nships; i++) {
		const struct bh_shp_refund_ship *rs = &r->ships[i];
		const struct bh_shp_shipline *sl = bh_shp_order_ship(ord, rs->shipping_line_id);
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_int64(rs->id));
		json_object_object_add(x, "shipping_line_id",
				       json_object_new_int64(rs->shipping_line_id));
		json_object_object_add(x, "subtotal_amount_set", bh_shp_rest_set(rs->amount, cur));
		json_object_object_add(x, "tax_amount_set", bh_shp_rest_set(rs->tax, cur));
		json_object_object_add(x, "shipping_line", sl ? ship_rest(sl, cur) : NULL);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "refund_shipping_lines", a);
	if (!r->extra || !json_object_object_get_ex(r->extra, "duties", NULL))
		json_object_object_add(o, "duties", json_object_new_array());
	if (!r->extra || !json_object_object_get_ex(r->extra, "additional_fees", NULL))
		json_object_object_add(o, "additional_fees", json_object_new_array());
	if (!r->extra || !json_object_object_get_ex(r->extra, "return", NULL))
		json_object_object_add(o, "return", NULL);
	bh_shp_add_extras(o, r->extra);
	return o;
}

static struct json_object *customer_rest(const struct bh_shp_customer *c)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "email", bh_shp_jstr_or_null(c->email));
	json_object_object_add(o, "first_name", bh_shp_jstr_or_null(c->first_name));
	json_object_object_add(o, "last_name", bh_shp_jstr_or_null(c->last_name));
	json_object_object_add(o, "phone", bh_shp_jstr_or_null(c->phone));
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("Customer", c->id));
	bh_shp_add_extras(o, c->extra);
	return o;
}

struct json_object *bh_shp_order_rest(const struct bh_shp_svc *s, const struct bh_shp_order *ord)
{
	struct json_object *o = json_object_new_object(), *a;
	const char *cur = ord->currency;
	(void)s;

	json_object_object_add(o, "id", json_object_new_int64(ord->id));
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("Order", ord->id));
	json_object_object_add(o, "cancel_reason", bh_shp_jstr_or_null(ord->cancel_reason));
	bh_shp_add_time(o, "cancelled_at", &ord->cancelled);
	bh_shp_add_time(o, "closed_at", &ord->closed);
	json_object_object_add(o, "confirmation_number", bh_shp_jstr_or_null(ord->confirmation_number));
	if (!ord->extra || !json_object_object_get_ex(ord->extra, "confirmed", NULL))
		json_object_object_add(o, "confirmed", json_object_new_boolean(true));
	if (!ord->extra || !json_object_object_get_ex(ord->extra, "contact_email", NULL))
		json_object_object_add(o, "contact_email", bh_shp_jstr_or_null(ord->email));
	bh_shp_add_time(o, "created_at", &ord->created);
	json_object_object_add(o, "currency", json_object_new_string(cur));
	bh_shp_add_money(o, "current_subtotal_price", ord->current_subtotal, cur, true);
	bh_shp_add_money(o, "current_total_discounts", ord->current_total_discounts, cur, true);
	bh_shp_add_money(o, "current_total_price", ord->current_total_price, cur, true);
	bh_shp_add_money(o, "current_total_tax", ord->current_total_tax, cur, true);
	a = json_object_new_array();
	for (size_t i = 0; i < ord->ncodes; i++) {
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "code", bh_shp_jstr_or_null(ord->codes[i].code));
		json_object_object_add(c, "amount", bh_shp_jmoney_str(ord->codes[i].amount));
		json_object_object_add(c, "type", bh_shp_jstr_or_null(ord->codes[i].type));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "discount_codes", a);
	json_object_object_add(o, "email", bh_shp_jstr_or_null(ord->email));
	json_object_object_add(o, "financial_status", bh_shp_jstr_or_null(ord->financial_status));
	json_object_object_add(o, "fulfillment_status", bh_shp_jstr_or_null(ord->fulfillment_status));
	json_object_object_add(o, "name", bh_shp_jstr_or_null(ord->name));
	json_object_object_add(o, "note", bh_shp_jstr_or_null(ord->note));
	json_object_object_add(o, "note_attributes", ord->note_attributes ? bh_shp_jcopy(ord->note_attributes)
									  : json_object_new_array());
	json_object_object_add(o, "number", json_object_new_int64(ord->number));
	json_object_object_add(o, "order_number", json_object_new_int64(ord->order_number));
	a = json_object_new_array();
	for (size_t i = 0; i < ord->ngateways; i++)
		json_object_array_add(a, json_object_new_string(ord->gateways[i]));
	json_object_object_add(o, "payment_gateway_names", a);
	json_object_object_add(o, "phone", bh_shp_jstr_or_null(ord->phone));
	json_object_object_add(o, "presentment_currency", bh_shp_jstr_or_null(ord->presentment_currency));
	bh_shp_add_time(o, "processed_at", &ord->processed);
	json_object_object_add(o, "source_name", bh_shp_jstr_or_null(ord->source_name));
	bh_shp_add_money(o, "subtotal_price", ord->subtotal_price, cur, true);
	json_object_object_add(o, "tags", json_object_new_string(ord->tags ? ord->tags : ""));
	json_object_object_add(o, "tax_lines", taxlines_rest(ord->tax, ord->ntax, cur));
	json_object_object_add(o, "taxes_included", json_object_new_boolean(ord->taxes_included));
	json_object_object_add(o, "test", json_object_new_boolean(ord->test));
	bh_shp_add_money(o, "total_discounts", ord->total_discounts, cur, true);
	bh_shp_add_money(o, "total_line_items_price", ord->total_line_items_price, cur, true);
	json_object_object_add(o, "total_outstanding", bh_shp_jmoney_str(ord->total_outstanding));
	bh_shp_add_money(o, "total_price", ord->total_price, cur, true);
	json_object_object_add(o, "total_shipping_price_set", bh_shp_rest_set(ord->total_shipping, cur));
	bh_shp_add_money(o, "total_tax", ord->total_tax, cur, true);
	json_object_object_add(o, "total_tip_received", bh_shp_jmoney_str(ord->total_tip));
	bh_shp_add_time(o, "updated_at", &ord->updated);
	json_object_object_add(o, "billing_address", bh_shp_jcopy(ord->billing_address));
	json_object_object_add(o, "customer", ord->customer.set ? customer_rest(&ord->customer) : NULL);
	a = json_object_new_array();
	for (size_t i = 0; i < ord->napps; i++) {
		const struct bh_shp_discapp *d = &ord->apps[i];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "target_type", bh_shp_jstr_or_null(d->target_type));
		json_object_object_add(x, "type", bh_shp_jstr_or_null(d->type));
		json_object_object_add(x, "value", bh_shp_jstr_or_null(d->value));
		json_object_object_add(x, "value_type", bh_shp_jstr_or_null(d->value_type));
		json_object_object_add(x, "allocation_method", bh_shp_jstr_or_null(d->allocation_method));
		json_object_object_add(x, "target_selection", bh_shp_jstr_or_null(d->target_selection));
		if (d->code)
			json_object_object_add(x, "code", json_object_new_string(d->code));
		if (!d->code || d->title)
			json_object_object_add(x, "title", bh_shp_jstr_or_null(d->title));
		if (d->description)
			json_object_object_add(x, "description", json_object_new_string(d->description));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "discount_applications", a);
	a = json_object_new_array_ext((int)ord->nlines);
	for (size_t i = 0; i < ord->nlines; i++)
		json_object_array_add(a, bh_shp_line_rest(ord, &ord->lines[i]));
	json_object_object_add(o, "line_items", a);
	a = json_object_new_array();
	for (size_t i = 0; i < ord->nrefunds; i++)
		json_object_array_add(a, bh_shp_refund_rest(ord, &ord->refunds[i]));
	json_object_object_add(o, "refunds", a);
	json_object_object_add(o, "shipping_address", bh_shp_jcopy(ord->shipping_address));
	a = json_object_new_array();
	for (size_t i = 0; i < ord->nships; i++)
		json_object_array_add(a, ship_rest(&ord->ships[i], cur));
	json_object_object_add(o, "shipping_lines", a);
	if (!ord->extra || !json_object_object_get_ex(ord->extra, "fulfillments", NULL))
		json_object_object_add(o, "fulfillments", json_object_new_array());
	bh_shp_add_extras(o, ord->extra);
	return o;
}
