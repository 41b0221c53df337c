/*
 * sim_shopify_gql_order.c - GraphQL resolvers of Order, LineItem, OrderTransaction and
 * Refund over the order model (shapes documented in sim_shopify_gql_exec.c), and the
 * plain lists they share (tax lines, discount allocations, attributes).
 *
 * Ownership: answers are new json-c objects. Threading: data lock held shared.
 */
#include "sim_shopify_gql_exec.h"


static int64_t refund_total(const struct bh_shp_order *o, const struct bh_shp_refund *r)
{
	int64_t t = 0;
	for (size_t i = 0; i < r->ntxn; i++) {
		const struct bh_shp_txn *x = bh_shp_order_txn(o, r->txn_ids[i]);
		if (x && strcmp(x->status, "success") == 0)
			t += x->amount;
	}
	return t;
}

static struct json_object *tags_json(const char *tags)
{
	struct json_object *a = json_object_new_array();
	const char *p = tags;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		while (l && *p == ' ') {
			p++;
			l--;
		}
		while (l && p[l - 1] == ' ')
			l--;
		if (l)
			json_object_array_add(a, json_object_new_string_len(p, (int)l));
		p = e ? e + 1 : NULL;
	}
	return a;
}

/* name/value pairs (note_attributes, properties) as Attribute objects */
struct json_object *bh_shp_gx_attrs(struct bh_shp_gctx *c, const struct group *g,
				 const struct bh_gfield *f, struct json_object *arr)
{
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	struct gv *v = bh_gql_alloc(c->a, (n + 1) * sizeof(*v));
	if (!v)
		return json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		v[i] = gx_mk(VK_ATTR, "Attribute", NULL, NULL);
		v[i].s1 = bh_shp_jstr(x, "name");
		v[i].s2 = bh_shp_jstr(x, "value");
	}
	return bh_shp_gx_plain_list(c, g, f, v, n);
}

struct json_object *bh_shp_gx_taxlines(struct bh_shp_gctx *c, const struct group *g,
				    const struct bh_gfield *f, const struct bh_shp_order *o,
				    const struct bh_shp_taxline *t, size_t n)
{
	struct gv *v = bh_gql_alloc(c->a, (n + 1) * sizeof(*v));
	const struct bh_gql_value *first = bh_shp_gql_arg(c, g->sels[0], "first");
	if (first && first->kind == BH_GQL_V_INT && (size_t)strtoll(first->text, NULL, 10) < n)
		n = (size_t)strtoll(first->text, NULL, 10);
	if (!v)
		return json_object_new_array();
	for (size_t i = 0; i < n; i++)
		v[i] = gx_mk(VK_TAX, "TaxLine", o, &t[i]);
	return bh_shp_gx_plain_list(c, g, f, v, n);
}

struct json_object *bh_shp_gx_allocs(struct bh_shp_gctx *c, const struct group *g,
				  const struct bh_gfield *f, const struct bh_shp_order *o,
				  const struct bh_shp_alloc *a, size_t n)
{
	struct gv *v = bh_gql_alloc(c->a, (n + 1) * sizeof(*v));
	if (!v)
		return json_object_new_array();
	for (size_t i = 0; i < n; i++)
		v[i] = gx_mk(VK_ALLOC, "DiscountAllocation", o, &a[i]);
	return bh_shp_gx_plain_list(c, g, f, v, n);
}

struct json_object *bh_shp_gx_order_field(struct bh_shp_gctx *c, const struct gv *obj,
				       const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_order *o = obj->o;
	const char *cur = o->currency;
	struct gv v;
	switch (f->id) {
	case R_O_ID:
		return gx_gid("Order", o->id);
	case R_O_LEGACY:
		return gx_legacy(o->id);
	case R_O_NAME:
		return gx_jstr(o->name);
	case R_O_EMAIL:
		return gx_jstr(o->email);
	case R_O_PHONE:
		return gx_jstr(o->phone);
	case R_O_CREATED:
		return gx_utc(&o->created);
	case R_O_UPDATED:
		return gx_utc(&o->updated);
	case R_O_PROCESSED:
		return gx_utc(&o->processed);
	case R_O_CANCELLED_AT:
		return gx_utc(&o->cancelled);
	case R_O_CLOSED_AT:
		return gx_utc(&o->closed);
	case R_O_CLOSED:
		return json_object_new_boolean(o->closed.set);
	case R_O_CANCEL_REASON:
		return o->cancelled.set ? gx_upper(o->cancel_reason) : NULL;
	case R_O_CONFIRMED:
		return json_object_new_boolean(1);
	case R_O_TEST:
		return json_object_new_boolean(o->test);
	case R_O_CURRENCY:
		return gx_jstr(o->currency);
	case R_O_PCURRENCY:
		return gx_jstr(o->presentment_currency);
	case R_O_FIN_STATUS:
		return gx_upper(o->financial_status);
	case R_O_FUL_STATUS: {
		const char *fs = o->fulfillment_status;
		if (fs && strcmp(fs, "fulfilled") == 0)
			return json_object_new_string("FULFILLED");
		if (fs && strcmp(fs, "partial") == 0)
			return json_object_new_string("PARTIALLY_FULFILLED");
		if (fs && strcmp(fs, "restocked") == 0)
			return json_object_new_string("RESTOCKED");
		return json_object_new_string("UNFULFILLED");
	}
	case R_O_NOTE:
		return gx_jstr(o->note);
	case R_O_TAGS:
		return tags_json(o->tags);
	case R_O_GATEWAYS: {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < o->ngateways; i++)
			json_object_array_add(a, json_object_new_string(o->gateways[i]));
		return a;
	}
	case R_O_TAXES_INCLUDED:
		return json_object_new_boolean(o->taxes_included);
	case R_O_SOURCE_NAME:
		return gx_jstr(o->source_name);
	case R_O_CONFIRMATION:
		return gx_jstr(o->confirmation_number);
	case R_O_DISCOUNT_CODE:
		return o->ncodes ? gx_jstr(o->codes[0].code) : NULL;
	case R_O_DISCOUNT_CODES: {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < o->ncodes; i++)
			json_object_array_add(a, json_object_new_string(o->codes[i].code));
		return a;
	}
	case R_O_SUBTOTAL_QTY: {
		int64_t q = 0;
		for (size_t i = 0; i < o->nlines; i++)
			q += o->lines[i].quantity;
		return json_object_new_int64(q);
	}
	case R_O_SUBTOTAL_SET:
		v = gx_moneybag(cur, o->subtotal_price);
		break;
	case R_O_TOTAL_PRICE_SET:
	case R_O_ORIG_TOTAL_SET:
		v = gx_moneybag(cur, o->total_price);
		break;
	case R_O_TOTAL_TAX_SET:
		v = gx_moneybag(cur, o->total_tax);
		break;
	case R_O_TOTAL_DISCOUNTS_SET:
		v = gx_moneybag(cur, o->total_discounts);
		break;
	case R_O_TOTAL_SHIPPING_SET:
		v = gx_moneybag(cur, o->total_shipping);
		break;
	case R_O_TOTAL_REFUNDED_SET:
		v = gx_moneybag(cur, bh_shp_order_refunded(o));
		break;
	case R_O_REFUNDED_SHIPPING_SET: {
		int64_t t = 0;
		for (size_t i = 0; i < o->nrefunds; i++)
			for (size_t k = 0; k < o->refunds[i].nships; k++)
				t += o->refunds[i].ships[k].amount;
		v = gx_moneybag(cur, t);
		break;
	}
	case R_O_TOTAL_RECEIVED_SET:
		v = gx_moneybag(cur, bh_shp_order_received(o));
		break;
	case R_O_NET_PAYMENT_SET:
		v = gx_moneybag(cur, bh_shp_order_received(o) - bh_shp_order_refunded(o));
		break;
	case R_O_OUTSTANDING_SET:
		v = gx_moneybag(cur, o->total_outstanding);
		break;
	case R_O_CUR_SUBTOTAL_SET:
		v = gx_moneybag(cur, o->current_subtotal);
		break;
	case R_O_CUR_TOTAL_SET:
		v = gx_moneybag(cur, o->current_total_price);
		break;
	case R_O_CUR_TAX_SET:
		v = gx_moneybag(cur, o->current_total_tax);
		break;
	case R_O_CUR_DISCOUNTS_SET:
		v = gx_moneybag(cur, o->current_total_discounts);
		break;
	case R_O_TIP_SET:
		v = gx_moneybag(cur, o->total_tip);
		break;
	case R_O_CUSTOMER:
		if (!o->customer.set)
			return NULL;
		v = gx_mk(VK_CUST, "Customer", o, &o->customer);
		v.n = o->customer.id;
		break;
	case R_O_BILLING:
	case R_O_SHIPPING_ADDR:
		v = gx_mk(VK_ADDR, "MailingAddress", o, NULL);
		v.j = f->id == R_O_BILLING ? o->billing_address : o->shipping_address;
		if (!v.j || !json_object_is_type(v.j, json_type_object))
			return NULL;
		break;
	case R_O_LINES: {
		struct gv *all = bh_gql_alloc(c->a, (o->nlines + 1) * sizeof(*all));
		int64_t *ids = bh_gql_alloc(c->a, (o->nlines + 1) * sizeof(*ids));
		if (!all || !ids)
			return NULL;
		for (size_t i = 0; i < o->nlines; i++) {
			all[i] = gx_mk(VK_LINE, "LineItem", o, &o->lines[i]);
			ids[i] = o->lines[i].id;
		}
		return bh_shp_gx_conn_value(c, g, f, bh_shp_gx_array_conn(c, g->sels[0], all, ids, o->nlines));
	}
	case R_O_SHIPLINES: {
		struct gv *all = bh_gql_alloc(c->a, (o->nships + 1) * sizeof(*all));
		int64_t *ids = bh_gql_alloc(c->a, (o->nships + 1) * sizeof(*ids));
		bool rem = bh_shp_gx_arg_bool(c, g->sels[0], "includeRemovals");
		size_t n = 0;
		if (!all || !ids)
			return NULL;
		for (size_t i = 0; i < o->nships; i++) {
			if (o->ships[i].is_removed && !rem)
				continue;
			all[n] = gx_mk(VK_SHIP, "ShippingLine", o, &o->ships[i]);
			ids[n++] = o->ships[i].id;
		}
		return bh_shp_gx_conn_value(c, g, f, bh_shp_gx_array_conn(c, g->sels[0], all, ids, n));
	}
	case R_O_SHIPLINE:
		for (size_t i = 0; i < o->nships; i++)
			if (!o->ships[i].is_removed) {
				v = gx_mk(VK_SHIP, "ShippingLine", o, &o->ships[i]);
				return bh_shp_gx_child(c, g, &v, true);
			}
		return NULL;
	case R_O_DAPPS: {
		struct gv *all = bh_gql_alloc(c->a, (o->napps + 1) * sizeof(*all));
		int64_t *ids = bh_gql_alloc(c->a, (o->napps + 1) * sizeof(*ids));
		if (!all || !ids)
			return NULL;
		for (size_t i = 0; i < o->napps; i++) {
			all[i] = gx_mk(VK_DAPP, gx_dapp_type(&o->apps[i]), o, &o->apps[i]);
			all[i].n = (int64_t)i;
			ids[i] = (int64_t)i;
		}
		return bh_shp_gx_conn_value(c, g, f, bh_shp_gx_array_conn(c, g->sels[0], all, ids, o->napps));
	}
	case R_O_TAXLINES:
		return bh_shp_gx_taxlines(c, g, f, o, o->tax, o->ntax);
	case R_O_TXNS:
	case R_O_REFUNDS: {
		bool tx = f->id == R_O_TXNS;
		size_t n = tx ? o->ntxns : o->nrefunds;
		const struct bh_gql_value *first = bh_shp_gql_arg(c, g->sels[0], "first");
		struct gv *all = bh_gql_alloc(c->a, (n + 1) * sizeof(*all));
		if (!all)
			return json_object_new_array();
		if (first && first->kind == BH_GQL_V_INT && strtoll(first->text, NULL, 10) >= 0 &&
		    (size_t)strtoll(first->text, NULL, 10) < n)
			n = (size_t)strtoll(first->text, NULL, 10);
		for (size_t i = 0; i < n; i++)
			all[i] = tx ? gx_mk(VK_TXN, "OrderTransaction", o, &o->txns[i])
				    : gx_mk(VK_REFUND, "Refund", o, &o->refunds[i]);
		return bh_shp_gx_plain_list(c, g, f, all, n);
	}
	case R_O_ATTRS:
		return bh_shp_gx_attrs(c, g, f, o->note_attributes);
	case R_O_RETURNS:
		return bh_shp_gx_conn_value(c, g, f, bh_shp_gx_array_conn(c, g->sels[0], NULL, NULL, 0));
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}

struct json_object *bh_shp_gx_line_field(struct bh_shp_gctx *c, const struct gv *obj,
				      const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_order *o = obj->o;
	const struct bh_shp_line *l = obj->p;
	const char *cur = o->currency;
	int64_t q = l->quantity > 0 ? l->quantity : 1;
	struct gv v;
	switch (f->id) {
	case R_L_ID:
		return gx_gid("LineItem", l->id);
	case R_L_NAME:
		return gx_jstr(l->name);
	case R_L_TITLE:
		return gx_jstr(l->title);
	case R_L_SKU:
		return gx_jstr(l->sku);
	case R_L_QTY:
		return json_object_new_int(l->quantity);
	case R_L_CUR_QTY:
	case R_L_REFUNDABLE_QTY:
		return json_object_new_int(l->current_quantity);
	case R_L_UNFULFILLED_QTY:
		return json_object_new_int(l->fulfillable_quantity);
	case R_L_VARIANT_TITLE:
		return gx_jstr(l->variant_title);
	case R_L_VENDOR:
		return gx_jstr(l->vendor);
	case R_L_REQ_SHIPPING:
		return json_object_new_boolean(l->requires_shipping);
	case R_L_TAXABLE:
		return json_object_new_boolean(l->taxable);
	case R_L_GIFT_CARD:
		return json_object_new_boolean(l->gift_card);
	case R_L_ORIG_UNIT:
		v = gx_moneybag(cur, l->price);
		break;
	case R_L_DISC_UNIT:
		v = gx_moneybag(cur, l->price - gx_round_div(bh_shp_line_alloc_total(o, l, true), q));
		break;
	case R_L_DISC_UNIT_ALL:
		v = gx_moneybag(cur, l->price - gx_round_div(bh_shp_line_alloc_total(o, l, false), q));
		break;
	case R_L_ORIG_TOTAL:
		v = gx_moneybag(cur, l->price * l->quantity);
		break;
	case R_L_DISC_TOTAL:
		v = gx_moneybag(cur, l->price * l->quantity - bh_shp_line_alloc_total(o, l, true));
		break;
	case R_L_TOTAL_DISCOUNT:
		v = gx_moneybag(cur, bh_shp_line_alloc_total(o, l, false));
		break;
	case R_L_ALLOCS:
		return bh_shp_gx_allocs(c, g, f, o, l->alloc, l->nalloc);
	case R_L_TAXLINES:
		return bh_shp_gx_taxlines(c, g, f, o, l->tax, l->ntax);
	case R_L_VARIANT:
		if (!l->has_variant)
			return NULL;
		v = gx_mk(VK_VARIANT, "ProductVariant", o, l);
		break;
	case R_L_PRODUCT:
		if (!l->has_product)
			return NULL;
		v = gx_mk(VK_PRODUCT, "Product", o, l);
		break;
	case R_L_ATTRS:
		return bh_shp_gx_attrs(c, g, f, l->properties);
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}

struct json_object *bh_shp_gx_txn_field(struct bh_shp_gctx *c, const struct gv *obj,
				     const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_order *o = obj->o;
	const struct bh_shp_txn *t = obj->p;
	struct gv v;
	switch (f->id) {
	case R_X_ID:
		return gx_gid("OrderTransaction", t->id);
	case R_X_KIND:
		return gx_upper(t->kind);
	case R_X_STATUS:
		return gx_upper(t->status);
	case R_X_GATEWAY:
		return gx_jstr(t->gateway);
	case R_X_FGATEWAY: {
		char b[96];
		size_t i;
		if (!t->gateway)
			return NULL;
		for (i = 0; t->gateway[i] && i + 1 < sizeof(b); i++)
			b[i] = t->gateway[i] == '_' ? ' ' : t->gateway[i];
		b[i] = 0;
		b[0] = (char)toupper((unsigned char)b[0]);
		return json_object_new_string(b);
	}
	case R_X_AMOUNT_SET:
		v = gx_moneybag(t->currency ? t->currency : o->currency, t->amount);
		break;
	case R_X_CREATED:
		return gx_utc(&t->created);
	case R_X_PROCESSED:
		return gx_utc(&t->processed);
	case R_X_PARENT: {
		const struct bh_shp_txn *p = t->has_parent ? bh_shp_order_txn(o, t->parent_id) : NULL;
		if (!p)
			return NULL;
		v = gx_mk(VK_TXN, "OrderTransaction", o, p);
		break;
	}
	case R_X_TEST:
		return json_object_new_boolean(t->test);
	case R_X_ERROR_CODE:
		return gx_upper(t->error_code);
	case R_X_AUTH_CODE:
		return gx_jstr(t->authorization);
	case R_X_PAYMENT_ID:
		return gx_jstr(t->payment_id);
	case R_X_ORDER:
		v = gx_mk(VK_ORDER, "Order", o, o);
		break;
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}

struct json_object *bh_shp_gx_refund_field(struct bh_shp_gctx *c, const struct gv *obj,
					const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_order *o = obj->o;
	const struct bh_shp_refund *r = obj->p;
	struct gv v, *all;
	int64_t *ids;
	size_t n;
	switch (f->id) {
	case R_R_ID:
		return gx_gid("Refund", r->id);
	case R_R_LEGACY:
		return gx_legacy(r->id);
	case R_R_CREATED:
		return gx_utc(&r->created);
	case R_R_UPDATED:
		return gx_utc(r->processed.set ? &r->processed : &r->created);
	case R_R_NOTE:
		return gx_jstr(r->note);
	case R_R_TOTAL_SET:
		v = gx_moneybag(o->currency, refund_total(o, r));
		break;
	case R_R_LINES:
	case R_R_SHIPS:
	case R_R_TXNS:
	case R_R_ADJS:
		n = f->id == R_R_LINES ? r->nlines : f->id == R_R_SHIPS ? r->nships
					 : f->id == R_R_TXNS ? r->ntxn : r->nadjs;
		all = bh_gql_alloc(c->a, (n + 1) * sizeof(*all));
		ids = bh_gql_alloc(c->a, (n + 1) * sizeof(*ids));
		if (!all || !ids)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			if (f->id == R_R_LINES) {
				all[i] = gx_mk(VK_RLINE, "RefundLineItem", o, &r->lines[i]);
				ids[i] = r->lines[i].id;
			} else if (f->id == R_R_SHIPS) {
				all[i] = gx_mk(VK_RSHIP, "RefundShippingLine", o, &r->ships[i]);
				ids[i] = r->ships[i].id;
			} else if (f->id == R_R_TXNS) {
				const struct bh_shp_txn *t = bh_shp_order_txn(o, r->txn_ids[i]);
				all[i] = gx_mk(VK_TXN, "OrderTransaction", o, t);
				ids[i] = r->txn_ids[i];
				if (!t) {
					n = i;
					break;
				}
			} else {
				all[i] = gx_mk(VK_ADJ, "OrderAdjustment", o, &r->adjs[i]);
				ids[i] = r->adjs[i].id;
			}
		}
		return bh_shp_gx_conn_value(c, g, f, bh_shp_gx_array_conn(c, g->sels[0], all, ids, n));
	case R_R_ORDER:
		v = gx_mk(VK_ORDER, "Order", o, o);
		break;
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}
