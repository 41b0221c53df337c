/*
 * sim_shopify_parse.c - parsing the parts of a REST-shaped order (line items, shipping
 * lines, tax lines, discount allocations and applications, transactions, embedded
 * refunds, customer) into the model, and freeing them. Unknown members are kept
 * verbatim ("extras") so Shopify's own fixtures render back unchanged.
 *
 * Ownership: each part owns its strings and json_objects. Threading: callers hold the
 * service's data lock exclusively (ids are drawn from its counter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

/* ------------------------------------------------------------------ parsing */

int bh_shp_parse_time_member(struct json_object *o, const char *k, struct bh_shp_time *t,
			     struct perr *e)
{
	const char *v = bh_shp_jstr(o, k);
	memset(t, 0, sizeof(*t));
	if (!v)
		return 0;
	if (bh_shp_time_parse(v, t))
		return PERR(e, "%s: invalid timestamp '%s'", k, v);
	return 0;
}

void bh_shp_taxlines_free(struct bh_shp_taxline *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].title);
		free(t[i].rate);
		json_object_put(t[i].extra);
	}
	free(t);
}

static const char *const k_tax[] = {"title", "rate", "price", "price_set", NULL};

int bh_shp_parse_taxlines(struct json_object *arr, struct bh_shp_taxline **out, size_t *n,
			  const char *where, struct perr *e)
{
	size_t len;
	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return PERR(e, "%s.tax_lines must be an array", where);
	len = json_object_array_length(arr);
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return BH_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *t = json_object_array_get_idx(arr, i);
		struct bh_shp_taxline *tl = &(*out)[i];
		const char *rate = bh_shp_jstr(t, "rate");
		*n = i + 1;
		tl->title = bh_shp_jdup(t, "title");
		tl->rate = bh_shp_strdup(rate ? rate : "0.0");
		if (rate) {
			char *end;
			strtod(rate, &end);
			if (*end || !*rate)
				return PERR(e, "%s.tax_lines[%zu].rate: not a number", where, i);
		}
		if (bh_shp_jmoney(t, "price", &tl->price) != 1)
			return PERR(e, "%s.tax_lines[%zu].price: missing or not an exact amount", where, i);
		tl->extra = bh_shp_extras(t, k_tax);
	}
	return 0;
}

int bh_shp_parse_allocs(struct json_object *arr, struct bh_shp_alloc **out, size_t *n,
			const char *where, struct perr *e)
{
	size_t len;
	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return PERR(e, "%s.discount_allocations must be an array", where);
	len = json_object_array_length(arr);
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return BH_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *a = json_object_array_get_idx(arr, i);
		int64_t idx = 0;
		*n = i + 1;
		if (bh_shp_jmoney(a, "amount", &(*out)[i].amount) != 1)
			return PERR(e, "%s.discount_allocations[%zu].amount: missing or not exact", where, i);
		if (bh_shp_ji64(a, "discount_application_index", &idx) < 0 || idx < 0 || idx > 1000)
			return PERR(e, "%s.discount_allocations[%zu]: bad discount_application_index",
				    where, i);
		(*out)[i].index = (int)idx;
	}
	return 0;
}

int64_t bh_shp_sum_tax(const struct bh_shp_taxline *t, size_t n)
{
	int64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += t[i].price;
	return s;
}

int64_t bh_shp_sum_alloc(const struct bh_shp_alloc *a, size_t n)
{
	int64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i].amount;
	return s;
}

static const char *const k_line[] = {
	"id", "admin_graphql_api_id", "sku", "title", "name", "variant_title", "vendor", "variant_id",
	"product_id", "quantity", "current_quantity", "fulfillable_quantity", "price", "price_set",
	"total_discount", "total_discount_set", "taxable", "gift_card", "requires_shipping",
	"fulfillment_status", "fulfillment_service", "tax_lines", "discount_allocations",
	"properties", NULL};

int bh_shp_parse_line(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_line *l, size_t i,
		      struct perr *e)
{
	char where[40];
	int64_t q = 0, v;
	int rc;

	snprintf(where, sizeof(where), "line_items[%zu]", i);
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "%s must be an object", where);
	rc = bh_shp_ji64(j, "id", &l->id);
	if (rc < 0)
		return PERR(e, "%s.id: not an integer", where);
	if (rc == 0 || l->id <= 0)
		l->id = bh_shp_next_id(s);
	if ((rc = bh_shp_ji64(j, "variant_id", &l->variant_id)) < 0)
		return PERR(e, "%s.variant_id: not an integer", where);
	l->has_variant = rc == 1;
	if ((rc = bh_shp_ji64(j, "product_id", &l->product_id)) < 0)
		return PERR(e, "%s.product_id: not an integer", where);
	l->has_product = rc == 1;
	l->sku = bh_shp_jdup(j, "sku");
	l->title = bh_shp_jdup(j, "title");
	l->variant_title = bh_shp_jdup(j, "variant_title");
	l->vendor = bh_shp_jdup(j, "vendor");
	l->name = bh_shp_jdup(j, "name");
	if (!l->title)
		l->title = bh_shp_strdup(l->sku ? l->sku : "Item");
	if (!l->name) {
		size_t n = strlen(l->title) + (l->variant_title ? strlen(l->variant_title) + 3 : 0) + 1;
		l->name = malloc(n);
		if (!l->name)
			return BH_ENOMEM;
		snprintf(l->name, n, "%s%s%s", l->title, l->variant_title ? " - " : "",
			 l->variant_title ? l->variant_title : "");
	}
	l->fulfillment_status = bh_shp_jdup(j, "fulfillment_status");
	l->fulfillment_service = bh_shp_jdup(j, "fulfillment_service");
	if (!l->fulfillment_service)
		l->fulfillment_service = bh_shp_strdup("manual");
	if (bh_shp_ji64(j, "quantity", &q) != 1 || q < 0 || q > 1000000)
		return PERR(e, "%s.quantity: missing or invalid", where);
	l->quantity = (int)q;
	if (bh_shp_jmoney(j, "price", &l->price) != 1)
		return PERR(e, "%s.price: missing or not an exact amount", where);
	if (bh_shp_jmoney(j, "total_discount", &l->total_discount) < 0)
		return PERR(e, "%s.total_discount: not an exact amount", where);
	l->taxable = bh_shp_jbool(j, "taxable", true);
	l->gift_card = bh_shp_jbool(j, "gift_card", false);
	l->requires_shipping = bh_shp_jbool(j, "requires_shipping", !l->gift_card);
	if ((rc = bh_shp_parse_taxlines(bh_shp_jget(j, "tax_lines"), &l->tax, &l->ntax, where, e)))
		return rc;
	if ((rc = bh_shp_parse_allocs(bh_shp_jget(j, "discount_allocations"), &l->alloc, &l->nalloc, where,
			       e)))
		return rc;
	/* current/fulfillable quantities: -1 = compute after refunds are known */
	l->current_quantity = bh_shp_ji64(j, "current_quantity", &v) == 1 ? (int)v : -1;
	l->fulfillable_quantity = bh_shp_ji64(j, "fulfillable_quantity", &v) == 1 ? (int)v : -1;
	l->properties = bh_shp_jcopy(bh_shp_jget(j, "properties"));
	l->extra = bh_shp_extras(j, k_line);
	return 0;
}

void bh_shp_line_free(struct bh_shp_line *l)
{
	free(l->sku);
	free(l->title);
	free(l->name);
	free(l->variant_title);
	free(l->vendor);
	free(l->fulfillment_status);
	free(l->fulfillment_service);
	bh_shp_taxlines_free(l->tax, l->ntax);
	free(l->alloc);
	json_object_put(l->properties);
	json_object_put(l->extra);
}

static const char *const k_ship[] = {
	"id", "title", "code", "source", "carrier_identifier", "price", "price_set",
	"discounted_price", "discounted_price_set", "is_removed", "tax_lines",
	"discount_allocations", NULL};

int bh_shp_parse_ship(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_shipline *sl,
		      size_t i, struct perr *e)
{
	char where[40];
	int rc;
	snprintf(where, sizeof(where), "shipping_lines[%zu]", i);
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "%s must be an object", where);
	if ((rc = bh_shp_ji64(j, "id", &sl->id)) < 0)
		return PERR(e, "%s.id: not an integer", where);
	if (rc == 0 || sl->id <= 0)
		sl->id = bh_shp_next_id(s);
	sl->title = bh_shp_jdup(j, "title");
	if (!sl->title)
		sl->title = bh_shp_strdup("Shipping");
	sl->code = bh_shp_jdup(j, "code");
	if (!sl->code)
		sl->code = bh_shp_strdup(sl->title);
	sl->source = bh_shp_jdup(j, "source");
	if (!sl->source)
		sl->source = bh_shp_strdup("shopify");
	sl->carrier_identifier = bh_shp_jdup(j, "carrier_identifier");
	sl->is_removed = bh_shp_jbool(j, "is_removed", false);
	if (bh_shp_jmoney(j, "price", &sl->price) != 1)
		return PERR(e, "%s.price: missing or not an exact amount", where);
	if ((rc = bh_shp_parse_taxlines(bh_shp_jget(j, "tax_lines"), &sl->tax, &sl->ntax, where, e)))
		return rc;
	if ((rc = bh_shp_parse_allocs(bh_shp_jget(j, "discount_allocations"), &sl->alloc, &sl->nalloc,
			       where, e)))
		return rc;
	rc = bh_shp_jmoney(j, "discounted_price", &sl->discounted_price);
	if (rc < 0)
		return PERR(e, "%s.discounted_price: not an exact amount", where);
	if (rc == 0)
		sl->discounted_price = sl->price - bh_shp_sum_alloc(sl->alloc, sl->nalloc);
	sl->extra = bh_shp_extras(j, k_ship);
	return 0;
}

void bh_shp_ship_free(struct bh_shp_shipline *sl)
{
	free(sl->title);
	free(sl->code);
	free(sl->source);
	free(sl->carrier_identifier);
	bh_shp_taxlines_free(sl->tax, sl->ntax);
	free(sl->alloc);
	json_object_put(sl->extra);
}

void bh_shp_app_free(struct bh_shp_discapp *a)
{
	free(a->target_type);
	free(a->type);
	free(a->value);
	free(a->value_type);
	free(a->allocation_method);
	free(a->target_selection);
	free(a->code);
	free(a->title);
	free(a->description);
}

char *bh_shp_dup_or(struct json_object *j, const char *k, const char *def)
{
	const char *v = bh_shp_jstr(j, k);
	return bh_shp_strdup(v ? v : def);
}

int bh_shp_parse_app(struct json_object *j, struct bh_shp_discapp *a, size_t i, struct perr *e)
{
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "discount_applications[%zu] must be an object", i);
	a->target_type = bh_shp_dup_or(j, "target_type", "line_item");
	a->type = bh_shp_dup_or(j, "type", "discount_code");
	a->value = bh_shp_dup_or(j, "value", "0.0");
	a->value_type = bh_shp_dup_or(j, "value_type", "fixed_amount");
	a->allocation_method = bh_shp_dup_or(j, "allocation_method", "across");
	a->target_selection = bh_shp_dup_or(j, "target_selection", "all");
	a->code = bh_shp_jdup(j, "code");
	a->title = bh_shp_jdup(j, "title");
	a->description = bh_shp_jdup(j, "description");
	return 0;
}

static const char *const k_txn[] = {
	"id", "admin_graphql_api_id", "order_id", "kind", "gateway", "status", "amount", "currency",
	"parent_id", "authorization", "message", "error_code", "source_name", "payment_id", "test",
	"created_at", "processed_at", NULL};

int bh_shp_parse_txn(struct bh_shp_svc *s, const struct bh_shp_order *o, struct json_object *j,
		     struct bh_shp_txn *t, const char *where, struct perr *e)
{
	int rc;
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "%s must be an object", where);
	if ((rc = bh_shp_ji64(j, "id", &t->id)) < 0)
		return PERR(e, "%s.id: not an integer", where);
	if (rc == 0 || t->id <= 0)
		t->id = bh_shp_next_id(s);
	if ((rc = bh_shp_ji64(j, "parent_id", &t->parent_id)) < 0)
		return PERR(e, "%s.parent_id: not an integer", where);
	t->has_parent = rc == 1;
	t->kind = bh_shp_dup_or(j, "kind", "sale");
	t->gateway = bh_shp_dup_or(j, "gateway", s->default_gateway);
	t->status = bh_shp_dup_or(j, "status", "success");
	t->currency = bh_shp_dup_or(j, "currency", o->currency);
	t->authorization = bh_shp_jdup(j, "authorization");
	t->message = bh_shp_jdup(j, "message");
	t->error_code = bh_shp_jdup(j, "error_code");
	t->source_name = bh_shp_dup_or(j, "source_name", "web");
	t->payment_id = bh_shp_jdup(j, "payment_id");
	t->test = bh_shp_jbool(j, "test", false);
	if (bh_shp_jmoney(j, "amount", &t->amount) != 1)
		return PERR(e, "%s.amount: missing or not an exact amount", where);
	if ((rc = bh_shp_parse_time_member(j, "created_at", &t->created, e)))
		return rc;
	if ((rc = bh_shp_parse_time_member(j, "processed_at", &t->processed, e)))
		return rc;
	if (!t->created.set)
		t->created = o->created;
	if (!t->processed.set)
		t->processed = t->created;
	t->extra = bh_shp_extras(j, k_txn);
	return 0;
}

void bh_shp_txn_free(struct bh_shp_txn *t)
{
	free(t->kind);
	free(t->gateway);
	free(t->status);
	free(t->currency);
	free(t->authorization);
	free(t->message);
	free(t->error_code);
	free(t->source_name);
	free(t->payment_id);
	json_object_put(t->extra);
}

void bh_shp_refund_free(struct bh_shp_refund *r)
{
	free(r->note);
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i].restock_type);
	free(r->lines);
	free(r->ships);
	for (size_t i = 0; i < r->nadjs; i++) {
		free(r->adjs[i].kind);
		free(r->adjs[i].reason);
	}
	free(r->adjs);
	free(r->txn_ids);
	json_object_put(r->extra);
}

int bh_shp_txn_push(struct bh_shp_order *o, struct bh_shp_txn **slot)
{
	struct bh_shp_txn *n = realloc(o->txns, (o->ntxns + 1) * sizeof(*n));
	if (!n)
		return BH_ENOMEM;
	o->txns = n;
	memset(&n[o->ntxns], 0, sizeof(*n));
	*slot = &n[o->ntxns++];
	return 0;
}

static const char *const k_refund[] = {
	"id", "admin_graphql_api_id", "order_id", "created_at", "processed_at", "note", "restock",
	"user_id", "refund_line_items", "refund_shipping_lines", "order_adjustments", "transactions",
	NULL};

/* A refund embedded in an order (fixtures). */
int bh_shp_parse_refund(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *j,
			struct bh_shp_refund *r, size_t ri, struct perr *e)
{
	char where[64];
	struct json_object *arr;
	int rc;
	size_t n;

	snprintf(where, sizeof(where), "refunds[%zu]", ri);
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "%s must be an object", where);
	if ((rc = bh_shp_ji64(j, "id", &r->id)) < 0)
		return PERR(e, "%s.id: not an integer", where);
	if (rc == 0)
		r->id = bh_shp_next_id(s);
	if ((rc = bh_shp_ji64(j, "user_id", &r->user_id)) < 0)
		return PERR(e, "%s.user_id: not an integer", where);
	r->has_user = rc == 1;
	r->restock = bh_shp_jbool(j, "restock", false);
	r->note = bh_shp_jdup(j, "note");
	if ((rc = bh_shp_parse_time_member(j, "created_at", &r->created, e)) ||
	    (rc = bh_shp_parse_time_member(j, "processed_at", &r->processed, e)))
		return rc;
	if (!r->created.set)
		r->created = o->created;
	if (!r->processed.set)
		r->processed = r->created;

	arr = bh_shp_jget(j, "refund_line_items");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		r->lines = calloc(n, sizeof(*r->lines));
		if (!r->lines)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		struct bh_shp_refund_line *rl = &r->lines[i];
		int64_t q = 0;
		r->nlines = i + 1;
		if (bh_shp_ji64(x, "id", &rl->id) != 1)
			rl->id = bh_shp_next_id(s);
		if (bh_shp_ji64(x, "line_item_id", &rl->line_item_id) != 1)
			return PERR(e, "%s.refund_line_items[%zu].line_item_id missing", where, i);
		rc = bh_shp_ji64(x, "location_id", &rl->location_id);
		rl->has_location = rc == 1;
		if (bh_shp_ji64(x, "quantity", &q) != 1 || q < 0)
			return PERR(e, "%s.refund_line_items[%zu].quantity invalid", where, i);
		rl->quantity = (int)q;
		rl->restock_type = bh_shp_dup_or(x, "restock_type", "no_restock");
		if (bh_shp_jmoney(x, "subtotal", &rl->subtotal) < 0 ||
		    bh_shp_jmoney(x, "total_tax", &rl->total_tax) < 0)
			return PERR(e, "%s.refund_line_items[%zu]: bad subtotal/total_tax", where, i);
		{
			/* prefer the exact strings of the *_set bags over the JSON numbers */
			struct json_object *amt = bh_shp_jget(
				bh_shp_jget(bh_shp_jget(x, "subtotal_set"), "shop_money"), "amount");
			if (amt && bh_shp_money_json(amt, &rl->subtotal))
				return PERR(e, "%s.refund_line_items[%zu]: bad subtotal_set", where, i);
			amt = bh_shp_jget(bh_shp_jget(bh_shp_jget(x, "total_tax_set"), "shop_money"),
					  "amount");
			if (amt && bh_shp_money_json(amt, &rl->total_tax))
				return PERR(e, "%s.refund_line_items[%zu]: bad total_tax_set", where, i);
		}
		for (size_t k = 0; k < o->nlines; k++)
			if (o->lines[k].id == rl->line_item_id)
				o->lines[k].refunded_quantity += rl->quantity;
	}

	arr = bh_shp_jget(j, "refund_shipping_lines");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		r->ships = calloc(n, sizeof(*r->ships));
		if (!r->ships)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		struct bh_shp_refund_ship *rs = &r->ships[i];
		struct json_object *amt;
		r->nships = i + 1;
		if (bh_shp_ji64(x, "id", &rs->id) != 1)
			rs->id = bh_shp_next_id(s);
		bh_shp_ji64(x, "shipping_line_id", &rs->shipping_line_id);
		amt = bh_shp_jget(bh_shp_jget(bh_shp_jget(x, "subtotal_amount_set"), "shop_money"),
				  "amount");
		if (amt && bh_shp_money_json(amt, &rs->amount))
			return PERR(e, "%s.refund_shipping_lines[%zu]: bad amount", where, i);
		amt = bh_shp_jget(bh_shp_jget(bh_shp_jget(x, "tax_amount_set"), "shop_money"),
				  "amount");
		if (amt && bh_shp_money_json(amt, &rs->tax))
			return PERR(e, "%s.refund_shipping_lines[%zu]: bad tax", where, i);
	}

	arr = bh_shp_jget(j, "order_adjustments");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		r->adjs = calloc(n, sizeof(*r->adjs));
		if (!r->adjs)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		struct bh_shp_adjust *a = &r->adjs[i];
		r->nadjs = i + 1;
		if (bh_shp_ji64(x, "id", &a->id) != 1)
			a->id = bh_shp_next_id(s);
		a->kind = bh_shp_dup_or(x, "kind", "refund_discrepancy");
		a->reason = bh_shp_jdup(x, "reason");
		if (bh_shp_jmoney(x, "amount", &a->amount) < 0 || bh_shp_jmoney(x, "tax_amount", &a->tax_amount) < 0)
			return PERR(e, "%s.order_adjustments[%zu]: bad amount", where, i);
	}

	arr = bh_shp_jget(j, "transactions");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		r->txn_ids = calloc(n, sizeof(*r->txn_ids));
		if (!r->txn_ids)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct bh_shp_txn *t;
		char tw[128];
		snprintf(tw, sizeof(tw), "%s.transactions[%zu]", where, i);
		if ((rc = bh_shp_txn_push(o, &t)))
			return rc;
		if ((rc = bh_shp_parse_txn(s, o, json_object_array_get_idx(arr, i), t, tw, e)))
			return rc;
		if (!bh_shp_jget(json_object_array_get_idx(arr, i), "kind")) {
			free(t->kind);
			t->kind = bh_shp_strdup("refund");
		}
		t->refund_id = r->id;
		r->txn_ids[i] = t->id;
		r->ntxn = i + 1;
	}
	r->extra = bh_shp_extras(j, k_refund);
	return 0;
}

int bh_shp_parse_customer(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_customer *c,
			  struct perr *e)
{
	static const char *const k_cust[] = {"id", "email", "first_name", "last_name", "phone",
					     "admin_graphql_api_id", NULL};
	int rc;
	if (!j)
		return 0;
	if (!json_object_is_type(j, json_type_object))
		return PERR(e, "customer must be an object");
	c->set = true;
	if ((rc = bh_shp_ji64(j, "id", &c->id)) < 0)
		return PERR(e, "customer.id: not an integer");
	if (rc == 0 || c->id <= 0)
		c->id = bh_shp_next_id(s);
	c->email = bh_shp_jdup(j, "email");
	c->first_name = bh_shp_jdup(j, "first_name");
	c->last_name = bh_shp_jdup(j, "last_name");
	c->phone = bh_shp_jdup(j, "phone");
	c->extra = bh_shp_extras(j, k_cust);
	return 0;
}
