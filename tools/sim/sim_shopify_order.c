/*
 * sim_shopify_order.c - building an order from its REST shape (Shopify's fixtures, the
 * control API's POST /orders), the totals Shopify would show when they are absent, and
 * order-level lookups, payment sums and the cached REST text.
 *
 * Rules the simulator applies (documented choices):
 * - Presentment money equals shop money (single currency per order).
 * - An order posted without "transactions"/"tenders" and without "financial_status"
 *   gets one successful "sale" on the default gateway for its total.
 * - Totals absent from the input are computed: total_line_items_price = sum(price*qty);
 *   total_discounts = sum of all discount allocations (or of discount_codes amounts when
 *   there are no allocations); subtotal_price = line items - line discounts;
 *   total_tax = sum of line and shipping tax lines; total_price = subtotal + shipping -
 *   shipping discounts + tax (tax not added when taxes_included).
 *
 * Ownership: an order owns everything it points to. Threading: building and freeing
 * under the data lock held exclusively; lookups and the text cache under it shared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

const struct bh_shp_text *bh_shp_order_rest_text(const struct bh_shp_svc *s,
						 const struct bh_shp_order *o)
{
	/* the cache is mutable through const: cast once, here */
	struct bh_shp_order *m = (struct bh_shp_order *)(uintptr_t)o;
	struct bh_shp_text *t = atomic_load(&m->rest_text), *expected = NULL;
	struct json_object *j;
	const char *txt;
	size_t len = 0;
	if (t)
		return t;
	j = bh_shp_order_rest(s, o);
	txt = json_object_to_json_string_length(
		j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	t = txt ? malloc(sizeof(*t) + len + 1) : NULL;
	if (t) {
		t->len = len;
		memcpy(t->text, txt, len + 1);
	}
	json_object_put(j);
	if (!t)
		return NULL;
	if (!atomic_compare_exchange_strong(&m->rest_text, &expected, t)) {
		free(t);
		return expected;
	}
	return t;
}

void bh_shp_order_invalidate(struct bh_shp_order *o)
{
	free(atomic_exchange(&o->rest_text, NULL));
}

void bh_shp_order_free(struct bh_shp_order *o)
{
	if (!o)
		return;
	bh_shp_order_invalidate(o);
	free(o->name);
	free(o->email);
	free(o->phone);
	free(o->currency);
	free(o->presentment_currency);
	free(o->cancel_reason);
	free(o->financial_status);
	free(o->fulfillment_status);
	free(o->tags);
	free(o->note);
	free(o->source_name);
	free(o->confirmation_number);
	bh_shp_taxlines_free(o->tax, o->ntax);
	for (size_t i = 0; i < o->nlines; i++)
		bh_shp_line_free(&o->lines[i]);
	free(o->lines);
	for (size_t i = 0; i < o->nships; i++)
		bh_shp_ship_free(&o->ships[i]);
	free(o->ships);
	for (size_t i = 0; i < o->napps; i++)
		bh_shp_app_free(&o->apps[i]);
	free(o->apps);
	for (size_t i = 0; i < o->ncodes; i++) {
		free(o->codes[i].code);
		free(o->codes[i].type);
	}
	free(o->codes);
	for (size_t i = 0; i < o->ntxns; i++)
		bh_shp_txn_free(&o->txns[i]);
	free(o->txns);
	for (size_t i = 0; i < o->nrefunds; i++)
		bh_shp_refund_free(&o->refunds[i]);
	free(o->refunds);
	for (size_t i = 0; i < o->ngateways; i++)
		free(o->gateways[i]);
	free(o->gateways);
	free(o->customer.email);
	free(o->customer.first_name);
	free(o->customer.last_name);
	free(o->customer.phone);
	json_object_put(o->customer.extra);
	json_object_put(o->billing_address);
	json_object_put(o->shipping_address);
	json_object_put(o->note_attributes);
	json_object_put(o->extra);
	free(o);
}

/* Tags: a string "a, b" or an array of strings -> "a, b". */
char *bh_shp_norm_tags(struct json_object *j)
{
	size_t n, len = 1;
	char *out;
	if (!j)
		return bh_shp_strdup("");
	if (!json_object_is_type(j, json_type_array))
		return bh_shp_strdup(json_object_get_string(j));
	n = json_object_array_length(j);
	for (size_t i = 0; i < n; i++)
		len += strlen(json_object_get_string(json_object_array_get_idx(j, i))) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, json_object_get_string(json_object_array_get_idx(j, i)));
	}
	return out;
}

int64_t bh_shp_order_received(const struct bh_shp_order *o)
{
	int64_t r = 0;
	for (size_t i = 0; i < o->ntxns; i++) {
		const struct bh_shp_txn *t = &o->txns[i];
		if (strcmp(t->status, "success") == 0 &&
		    (strcmp(t->kind, "sale") == 0 || strcmp(t->kind, "capture") == 0))
			r += t->amount;
	}
	return r;
}

int64_t bh_shp_order_refunded(const struct bh_shp_order *o)
{
	int64_t r = 0;
	for (size_t i = 0; i < o->ntxns; i++) {
		const struct bh_shp_txn *t = &o->txns[i];
		if (strcmp(t->status, "success") == 0 && strcmp(t->kind, "refund") == 0)
			r += t->amount;
	}
	return r;
}

static bool has_authorization(const struct bh_shp_order *o)
{
	for (size_t i = 0; i < o->ntxns; i++)
		if (strcmp(o->txns[i].status, "success") == 0 &&
		    strcmp(o->txns[i].kind, "authorization") == 0)
			return true;
	return false;
}

const char *bh_shp_financial_status(const struct bh_shp_order *o)
{
	int64_t rec = bh_shp_order_received(o), ref = bh_shp_order_refunded(o);
	if (rec > 0 && ref >= rec)
		return "refunded";
	if (ref > 0)
		return "partially_refunded";
	if (rec >= o->total_price)
		return "paid";
	if (rec > 0)
		return "partially_paid";
	if (has_authorization(o))
		return "authorized";
	return "pending";
}

int64_t bh_shp_line_alloc_total(const struct bh_shp_order *o, const struct bh_shp_line *l,
				bool line_level_only)
{
	int64_t s = 0;
	for (size_t i = 0; i < l->nalloc; i++) {
		if (line_level_only) {
			int ix = l->alloc[i].index;
			if (ix >= 0 && (size_t)ix < o->napps &&
			    strcmp(o->apps[ix].target_selection, "all") == 0)
				continue;
		}
		s += l->alloc[i].amount;
	}
	return s;
}

int64_t bh_shp_line_tax_total(const struct bh_shp_line *l)
{
	return bh_shp_sum_tax(l->tax, l->ntax);
}

/* Aggregate line and shipping tax lines by (title, rate) into order tax lines. */
static int aggregate_tax(struct bh_shp_order *o)
{
	for (int pass = 0; pass < 2; pass++) {
		size_t nsrc = pass ? o->nships : o->nlines;
		for (size_t i = 0; i < nsrc; i++) {
			const struct bh_shp_taxline *src = pass ? o->ships[i].tax : o->lines[i].tax;
			size_t ns = pass ? o->ships[i].ntax : o->lines[i].ntax;
			for (size_t k = 0; k < ns; k++) {
				size_t m;
				for (m = 0; m < o->ntax; m++)
					if (strcmp(o->tax[m].title ? o->tax[m].title : "",
						   src[k].title ? src[k].title : "") == 0 &&
					    strcmp(o->tax[m].rate, src[k].rate) == 0)
						break;
				if (m == o->ntax) {
					struct bh_shp_taxline *n =
						realloc(o->tax, (o->ntax + 1) * sizeof(*n));
					if (!n)
						return BH_ENOMEM;
					o->tax = n;
					memset(&n[m], 0, sizeof(*n));
					n[m].title = bh_shp_strdup(src[k].title);
					n[m].rate = bh_shp_strdup(src[k].rate);
					o->ntax++;
				}
				o->tax[m].price += src[k].price;
			}
		}
	}
	return 0;
}

static const char *const k_order[] = {
	"id", "admin_graphql_api_id", "name", "order_number", "number", "email", "phone",
	"currency", "presentment_currency", "created_at", "updated_at", "processed_at",
	"cancelled_at", "closed_at", "cancel_reason", "financial_status", "fulfillment_status",
	"tags", "note", "source_name", "confirmation_number", "taxes_included", "test",
	"total_line_items_price", "total_line_items_price_set", "total_discounts",
	"total_discounts_set", "subtotal_price", "subtotal_price_set", "total_tax",
	"total_tax_set", "total_price", "total_price_set", "total_shipping_price_set",
	"total_outstanding", "total_tip_received", "current_subtotal_price",
	"current_subtotal_price_set", "current_total_discounts", "current_total_discounts_set",
	"current_total_tax", "current_total_tax_set", "current_total_price",
	"current_total_price_set", "tax_lines", "line_items", "shipping_lines",
	"discount_applications", "discount_codes", "transactions", "tenders", "refunds",
	"payment_gateway_names", "customer", "billing_address", "shipping_address",
	"note_attributes", NULL};

static int order_parse(struct bh_shp_svc *s, struct json_object *in, struct bh_shp_order *o,
		       struct perr *e)
{
	struct json_object *arr, *txarr;
	int rc;
	int64_t v;
	size_t n;
	bool have_alloc = false;

	if (!json_object_is_type(in, json_type_object))
		return PERR(e, "an order must be a JSON object");
	if ((rc = bh_shp_ji64(in, "id", &o->id)) < 0)
		return PERR(e, "id: not an integer");
	if (rc == 0 || o->id <= 0)
		o->id = bh_shp_next_id(s);
	o->currency = bh_shp_dup_or(in, "currency", s->currency);
	o->presentment_currency = bh_shp_dup_or(in, "presentment_currency", o->currency);
	o->email = bh_shp_jdup(in, "email");
	o->phone = bh_shp_jdup(in, "phone");
	o->note = bh_shp_jdup(in, "note");
	o->cancel_reason = bh_shp_jdup(in, "cancel_reason");
	o->fulfillment_status = bh_shp_jdup(in, "fulfillment_status");
	o->source_name = bh_shp_dup_or(in, "source_name", "web");
	o->confirmation_number = bh_shp_jdup(in, "confirmation_number");
	o->taxes_included = bh_shp_jbool(in, "taxes_included", false);
	o->test = bh_shp_jbool(in, "test", false);
	o->tags = bh_shp_norm_tags(bh_shp_jget(in, "tags"));
	if ((rc = bh_shp_parse_time_member(in, "created_at", &o->created, e)) ||
	    (rc = bh_shp_parse_time_member(in, "updated_at", &o->updated, e)) ||
	    (rc = bh_shp_parse_time_member(in, "processed_at", &o->processed, e)) ||
	    (rc = bh_shp_parse_time_member(in, "cancelled_at", &o->cancelled, e)) ||
	    (rc = bh_shp_parse_time_member(in, "closed_at", &o->closed, e)))
		return rc;
	if (!o->created.set) {
		o->created.t = bh_shp_now_ms(s) / 1000;
		o->created.off_min = s->shop_off_min;
		o->created.set = true;
	} else if (o->created.off_min == 0 && s->shop_off_min != 0) {
		const char *cs = bh_shp_jstr(in, "created_at");
		if (cs && (strchr(cs, 'Z') || strchr(cs, 'z')))
			o->created.off_min = s->shop_off_min;
	}
	if (!o->updated.set)
		o->updated = o->created;
	if (!o->processed.set)
		o->processed = o->created;

	/* order number and name */
	rc = bh_shp_ji64(in, "order_number", &o->order_number);
	if (rc < 0)
		return PERR(e, "order_number: not an integer");
	if (rc == 0)
		o->order_number = s->next_number;
	if (o->order_number >= s->next_number)
		s->next_number = o->order_number + 1;
	o->name = bh_shp_jdup(in, "name");
	if (!o->name) {
		char b[32];
		snprintf(b, sizeof(b), "#%" PRId64, o->order_number);
		o->name = bh_shp_strdup(b);
	}
	o->number = bh_shp_ji64(in, "number", &v) == 1 ? v : o->order_number - 1000;

	if ((rc = bh_shp_parse_customer(s, bh_shp_jget(in, "customer"), &o->customer, e)))
		return rc;
	if (!o->email && o->customer.email)
		o->email = bh_shp_strdup(o->customer.email);
	o->billing_address = bh_shp_jcopy(bh_shp_jget(in, "billing_address"));
	o->shipping_address = bh_shp_jcopy(bh_shp_jget(in, "shipping_address"));
	o->note_attributes = bh_shp_jcopy(bh_shp_jget(in, "note_attributes"));

	/* line items */
	arr = bh_shp_jget(in, "line_items");
	if (arr && !json_object_is_type(arr, json_type_array))
		return PERR(e, "line_items must be an array");
	n = arr ? json_object_array_length(arr) : 0;
	if (n) {
		o->lines = calloc(n, sizeof(*o->lines));
		if (!o->lines)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		o->nlines = i + 1;
		if ((rc = bh_shp_parse_line(s, json_object_array_get_idx(arr, i), &o->lines[i], i, e)))
			return rc;
		if (o->lines[i].nalloc)
			have_alloc = true;
	}
	arr = bh_shp_jget(in, "shipping_lines");
	if (arr && !json_object_is_type(arr, json_type_array))
		return PERR(e, "shipping_lines must be an array");
	n = arr ? json_object_array_length(arr) : 0;
	if (n) {
		o->ships = calloc(n, sizeof(*o->ships));
		if (!o->ships)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		o->nships = i + 1;
		if ((rc = bh_shp_parse_ship(s, json_object_array_get_idx(arr, i), &o->ships[i], i, e)))
			return rc;
		if (o->ships[i].nalloc)
			have_alloc = true;
	}

	/* discount codes and applications */
	arr = bh_shp_jget(in, "discount_codes");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		o->codes = calloc(n, sizeof(*o->codes));
		if (!o->codes)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(arr, i);
		o->ncodes = i + 1;
		if (json_object_is_type(c, json_type_string)) {
			o->codes[i].code = bh_shp_strdup(json_object_get_string(c));
			o->codes[i].type = bh_shp_strdup("fixed_amount");
			continue;
		}
		o->codes[i].code = bh_shp_dup_or(c, "code", "");
		o->codes[i].type = bh_shp_dup_or(c, "type", "fixed_amount");
		if (bh_shp_jmoney(c, "amount", &o->codes[i].amount) < 0)
			return PERR(e, "discount_codes[%zu].amount: not an exact amount", i);
	}
	arr = bh_shp_jget(in, "discount_applications");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		o->apps = calloc(n, sizeof(*o->apps));
		if (!o->apps)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		o->napps = i + 1;
		if ((rc = bh_shp_parse_app(json_object_array_get_idx(arr, i), &o->apps[i], i, e)))
			return rc;
	}
	if (!o->napps && have_alloc) {
		/* synthesise the application the allocations point at */
		int maxix = 0;
		for (size_t i = 0; i < o->nlines; i++)
			for (size_t k = 0; k < o->lines[i].nalloc; k++)
				if (o->lines[i].alloc[k].index > maxix)
					maxix = o->lines[i].alloc[k].index;
		for (size_t i = 0; i < o->nships; i++)
			for (size_t k = 0; k < o->ships[i].nalloc; k++)
				if (o->ships[i].alloc[k].index > maxix)
					maxix = o->ships[i].alloc[k].index;
		o->apps = calloc((size_t)maxix + 1, sizeof(*o->apps));
		if (!o->apps)
			return BH_ENOMEM;
		o->napps = (size_t)maxix + 1;
		for (int i = 0; i <= maxix; i++) {
			struct bh_shp_discapp *a = &o->apps[i];
			const struct bh_shp_code *c = (size_t)i < o->ncodes ? &o->codes[i] : NULL;
			char b[32];
			int64_t tot = 0;
			for (size_t l = 0; l < o->nlines; l++)
				for (size_t k = 0; k < o->lines[l].nalloc; k++)
					if (o->lines[l].alloc[k].index == i)
						tot += o->lines[l].alloc[k].amount;
			bh_shp_money_fmt_min(c && c->amount ? c->amount : tot, b);
			a->target_type = bh_shp_strdup("line_item");
			a->type = bh_shp_strdup(c ? "discount_code" : "manual");
			a->value = bh_shp_strdup(b);
			a->value_type = bh_shp_strdup(c && c->type ? c->type : "fixed_amount");
			a->allocation_method = bh_shp_strdup("across");
			a->target_selection = bh_shp_strdup("all");
			a->code = c ? bh_shp_strdup(c->code) : NULL;
			a->title = bh_shp_strdup(c ? c->code : "Discount");
			a->description = c ? NULL : bh_shp_strdup("Discount");
		}
	}
	for (size_t i = 0; i < o->nlines; i++)
		for (size_t k = 0; k < o->lines[i].nalloc; k++)
			if ((size_t)o->lines[i].alloc[k].index >= o->napps)
				return PERR(e, "line_items[%zu]: discount_application_index out of range",
					    i);

	/* totals (given values win) */
	{
		int64_t lip = 0, line_alloc = 0, ship_alloc = 0, ship = 0, tax = 0, codes = 0;
		for (size_t i = 0; i < o->nlines; i++) {
			lip += o->lines[i].price * o->lines[i].quantity;
			line_alloc += bh_shp_sum_alloc(o->lines[i].alloc, o->lines[i].nalloc);
			tax += bh_shp_sum_tax(o->lines[i].tax, o->lines[i].ntax);
		}
		for (size_t i = 0; i < o->nships; i++) {
			ship += o->ships[i].price;
			ship_alloc += bh_shp_sum_alloc(o->ships[i].alloc, o->ships[i].nalloc);
			tax += bh_shp_sum_tax(o->ships[i].tax, o->ships[i].ntax);
		}
		for (size_t i = 0; i < o->ncodes; i++)
			codes += o->codes[i].amount;
		if ((rc = bh_shp_jmoney(in, "total_line_items_price", &o->total_line_items_price)) < 0)
			return PERR(e, "total_line_items_price: not an exact amount");
		if (rc == 0)
			o->total_line_items_price = lip;
		if ((rc = bh_shp_jmoney(in, "total_discounts", &o->total_discounts)) < 0)
			return PERR(e, "total_discounts: not an exact amount");
		if (rc == 0)
			o->total_discounts = have_alloc ? line_alloc + ship_alloc : codes;
		if ((rc = bh_shp_jmoney(in, "subtotal_price", &o->subtotal_price)) < 0)
			return PERR(e, "subtotal_price: not an exact amount");
		if (rc == 0)
			o->subtotal_price = o->total_line_items_price -
					    (have_alloc ? line_alloc : o->total_discounts);
		if ((rc = bh_shp_jmoney(in, "total_tax", &o->total_tax)) < 0)
			return PERR(e, "total_tax: not an exact amount");
		if (rc == 0)
			o->total_tax = tax;
		if ((rc = bh_shp_jmoney(in, "total_shipping_price", &o->total_shipping)) < 0)
			return PERR(e, "total_shipping_price_set: not an exact amount");
		if (rc == 0)
			o->total_shipping = ship;
		if ((rc = bh_shp_jmoney(in, "total_price", &o->total_price)) < 0)
			return PERR(e, "total_price: not an exact amount");
		if (rc == 0)
			o->total_price = o->subtotal_price + o->total_shipping - ship_alloc +
					 (o->taxes_included ? 0 : o->total_tax);
		if (bh_shp_jmoney(in, "total_tip_received", &o->total_tip) < 0)
			return PERR(e, "total_tip_received: not an exact amount");
	}
	if ((rc = bh_shp_parse_taxlines(bh_shp_jget(in, "tax_lines"), &o->tax, &o->ntax, "order", e)))
		return rc;
	if (!bh_shp_jget(in, "tax_lines") && (rc = aggregate_tax(o)))
		return rc;

	/* transactions (control shape: "transactions" or "tenders") */
	txarr = bh_shp_jget(in, "transactions");
	if (!txarr)
		txarr = bh_shp_jget(in, "tenders");
	if (txarr && !json_object_is_type(txarr, json_type_array))
		return PERR(e, "transactions must be an array");
	n = txarr ? json_object_array_length(txarr) : 0;
	for (size_t i = 0; i < n; i++) {
		struct bh_shp_txn *t;
		char tw[40];
		snprintf(tw, sizeof(tw), "transactions[%zu]", i);
		if ((rc = bh_shp_txn_push(o, &t)))
			return rc;
		if ((rc = bh_shp_parse_txn(s, o, json_object_array_get_idx(txarr, i), t, tw, e)))
			return rc;
	}
	if (!txarr && !bh_shp_jget(in, "financial_status") && o->total_price > 0) {
		struct bh_shp_txn *t;
		if ((rc = bh_shp_txn_push(o, &t)))
			return rc;
		t->id = bh_shp_next_id(s);
		t->kind = bh_shp_strdup("sale");
		t->gateway = bh_shp_strdup(s->default_gateway);
		t->status = bh_shp_strdup("success");
		t->currency = bh_shp_strdup(o->currency);
		t->source_name = bh_shp_strdup("web");
		t->amount = o->total_price;
		t->created = t->processed = o->created;
	}

	/* embedded refunds (fixtures) */
	arr = bh_shp_jget(in, "refunds");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		o->refunds = calloc(n, sizeof(*o->refunds));
		if (!o->refunds)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		o->nrefunds = i + 1;
		if ((rc = bh_shp_parse_refund(s, o, json_object_array_get_idx(arr, i), &o->refunds[i], i, e)))
			return rc;
	}

	/* derived quantities */
	for (size_t i = 0; i < o->nlines; i++) {
		struct bh_shp_line *l = &o->lines[i];
		int rem = l->quantity - l->refunded_quantity;
		if (rem < 0)
			rem = 0;
		if (l->current_quantity < 0)
			l->current_quantity = rem;
		if (l->fulfillable_quantity < 0)
			l->fulfillable_quantity = l->fulfillment_status &&
							  strcmp(l->fulfillment_status, "fulfilled") == 0
						  ? 0
						  : rem;
	}

	/* current totals: originals minus what the refunds took */
	{
		int64_t rsub = 0, rtax = 0, rdisc = 0, rship = 0;
		for (size_t i = 0; i < o->nrefunds; i++) {
			const struct bh_shp_refund *r = &o->refunds[i];
			for (size_t k = 0; k < r->nlines; k++) {
				const struct bh_shp_line *l = bh_shp_order_line(o, r->lines[k].line_item_id);
				rsub += r->lines[k].subtotal;
				rtax += r->lines[k].total_tax;
				if (l)
					rdisc += l->price * r->lines[k].quantity - r->lines[k].subtotal;
			}
			for (size_t k = 0; k < r->nships; k++) {
				rship += r->ships[k].amount;
				rtax += r->ships[k].tax;
			}
		}
		if ((rc = bh_shp_jmoney(in, "current_subtotal_price", &o->current_subtotal)) < 0)
			return PERR(e, "current_subtotal_price: not an exact amount");
		if (rc == 0)
			o->current_subtotal = o->subtotal_price - rsub;
		if ((rc = bh_shp_jmoney(in, "current_total_tax", &o->current_total_tax)) < 0)
			return PERR(e, "current_total_tax: not an exact amount");
		if (rc == 0)
			o->current_total_tax = o->total_tax - rtax;
		if ((rc = bh_shp_jmoney(in, "current_total_discounts", &o->current_total_discounts)) < 0)
			return PERR(e, "current_total_discounts: not an exact amount");
		if (rc == 0)
			o->current_total_discounts = o->total_discounts - rdisc;
		if ((rc = bh_shp_jmoney(in, "current_total_price", &o->current_total_price)) < 0)
			return PERR(e, "current_total_price: not an exact amount");
		if (rc == 0)
			o->current_total_price = o->total_price - rsub - rtax - rship;
	}

	/* gateways, statuses */
	arr = bh_shp_jget(in, "payment_gateway_names");
	if (arr && json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		o->gateways = calloc(n ? n : 1, sizeof(char *));
		if (!o->gateways)
			return BH_ENOMEM;
		for (size_t i = 0; i < n; i++)
			o->gateways[o->ngateways++] =
				bh_shp_strdup(json_object_get_string(json_object_array_get_idx(arr, i)));
	} else {
		o->gateways = calloc(o->ntxns ? o->ntxns : 1, sizeof(char *));
		if (!o->gateways)
			return BH_ENOMEM;
		for (size_t i = 0; i < o->ntxns; i++) {
			bool seen = false;
			if (strcmp(o->txns[i].kind, "refund") == 0)
				continue;
			for (size_t k = 0; k < o->ngateways; k++)
				if (strcmp(o->gateways[k], o->txns[i].gateway) == 0)
					seen = true;
			if (!seen)
				o->gateways[o->ngateways++] = bh_shp_strdup(o->txns[i].gateway);
		}
	}
	o->financial_status = bh_shp_jdup(in, "financial_status");
	if (!o->financial_status)
		o->financial_status = bh_shp_strdup(bh_shp_financial_status(o));
	if ((rc = bh_shp_jmoney(in, "total_outstanding", &o->total_outstanding)) < 0)
		return PERR(e, "total_outstanding: not an exact amount");
	if (rc == 0) {
		int64_t out = o->current_total_price -
			      (bh_shp_order_received(o) - bh_shp_order_refunded(o));
		o->total_outstanding = out > 0 ? out : 0;
	}
	o->extra = bh_shp_extras(in, k_order);
	return 0;
}

int bh_shp_order_from_json(struct bh_shp_svc *s, struct json_object *in, struct bh_shp_order **out,
			   char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	struct bh_shp_order *o = calloc(1, sizeof(*o));
	int rc;
	if (!o)
		return BH_ENOMEM;
	rc = order_parse(s, in, o, &e);
	if (rc) {
		if (rc == BH_ENOMEM)
			snprintf(err, errlen, "out of memory");
		bh_shp_order_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

const struct bh_shp_line *bh_shp_order_line(const struct bh_shp_order *o, int64_t id)
{
	for (size_t i = 0; i < o->nlines; i++)
		if (o->lines[i].id == id)
			return &o->lines[i];
	return NULL;
}

const struct bh_shp_txn *bh_shp_order_txn(const struct bh_shp_order *o, int64_t id)
{
	for (size_t i = 0; i < o->ntxns; i++)
		if (o->txns[i].id == id)
			return &o->txns[i];
	return NULL;
}

const struct bh_shp_shipline *bh_shp_order_ship(const struct bh_shp_order *o, int64_t id)
{
	for (size_t i = 0; i < o->nships; i++)
		if (o->ships[i].id == id)
			return &o->ships[i];
	return NULL;
}
