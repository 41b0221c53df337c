/*
 * fl_return.c - `return/1` parsed into struct bh_fl_return with exact cents, and the
 * reconcile checks of sdk/RECORDS.md (see flowlib.h).
 *
 * Ownership: flowlib; the struct owns its JSON tree. Threading: pure functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_priv.h"

int64_t bh_fl_line_amount(int64_t price, int64_t quantity, int64_t discount)
{
	return price * quantity - discount;
}

int64_t bh_fl_unit_rate(int64_t amount, int64_t quantity)
{
	if (quantity <= 0)
		return amount;
	int64_t a = amount < 0 ? -amount : amount;
	/* half away from zero; exact when the quantity divides the amount */
	int64_t r = (a + quantity / 2) / quantity;
	return amount < 0 ? -r : r;
}

/* One money member of o, into *c; err names the place. */
static int money(struct json_object *o, const char *key, int64_t *c, const char *rid,
		 const char *where, char *err, size_t errlen)
{
	if (bh_fl_jmoney(o, key, c, NULL) != 0)
		return bh_fl_err(err, errlen, "return %s: %s%s is not a decimal amount with at most "
				 "two decimals", rid, where, key);
	return BH_OK;
}

static int parse_lines(struct bh_fl_return *r, char *err, size_t errlen)
{
	struct json_object *a = bh_fl_jarr(r->root, "lines");
	if (!a)
		return bh_fl_err(err, errlen, "return %s: lines[] is missing", r->id);
	size_t n = json_object_array_length(a);
	if (n == 0)
		return bh_fl_err(err, errlen, "return %s has no lines", r->id);
	r->lines = calloc(n, sizeof(*r->lines));
	if (!r->lines)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(a, i);
		struct bh_fl_return_line *x = &r->lines[i];
		char where[32];
		int rc;
		if (!json_object_is_type(l, json_type_object))
			return bh_fl_err(err, errlen, "return %s: lines[%zu] is not an object", r->id, i);
		snprintf(where, sizeof(where), "lines[%zu].", i);
		x->line_item_id = bh_fl_jid(l, "line_item_id");
		x->sku = bh_fl_jstr(l, "sku");
		if (x->sku && !*x->sku)
			x->sku = NULL;
		x->title = bh_fl_jstr(l, "title");
		x->outcome = bh_fl_jstr(l, "outcome");
		if (bh_fl_jint(l, "quantity", 1, &x->quantity) != 0 || x->quantity <= 0)
			return bh_fl_err(err, errlen, "return %s: %squantity must be a positive integer",
					 r->id, where);
		if ((rc = money(l, "price", &x->price, r->id, where, err, errlen)) != 0 ||
		    (rc = money(l, "discount", &x->discount, r->id, where, err, errlen)) != 0 ||
		    (rc = money(l, "tax", &x->tax, r->id, where, err, errlen)) != 0 ||
		    (rc = money(l, "refund", &x->refund, r->id, where, err, errlen)) != 0)
			return rc;
		r->n_lines++;
	}
	return BH_OK;
}

static int parse_totals(struct bh_fl_return *r, char *err, size_t errlen)
{
	struct json_object *t = bh_fl_jobj(r->root, "totals");
	struct bh_fl_return_totals *x = &r->totals;
	int rc;
	if (!t)
		return bh_fl_err(err, errlen, "return %s: totals is missing", r->id);
	if ((rc = money(t, "gross", &x->gross, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "discount", &x->discount, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "tax", &x->tax, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "total", &x->total, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "refund", &x->refund, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "credit", &x->credit, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "gift_card", &x->gift_card, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "exchange", &x->exchange, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "upsell", &x->upsell, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "handling_fee", &x->handling_fee, r->id, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "bonus", &x->bonus, r->id, "totals.", err, errlen)) != 0)
		return rc;
	return BH_OK;
}

static int parse_refunds(struct bh_fl_return *r, char *err, size_t errlen)
{
	struct json_object *a = bh_fl_jarr(r->root, "refunds");
	size_t n = a ? json_object_array_length(a) : 0;
	if (n == 0)
		return BH_OK;
	r->refunds = calloc(n, sizeof(*r->refunds));
	if (!r->refunds)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(a, i);
		char where[32];
		snprintf(where, sizeof(where), "refunds[%zu].", i);
		r->refunds[i].gateway = bh_fl_jstr(f, "gateway");
		int rc = money(f, "amount", &r->refunds[i].amount, r->id, where, err, errlen);
		if (rc != 0)
			return rc;
		r->n_refunds++;
	}
	return BH_OK;
}

int bh_fl_return_parse(const char *body, size_t len, struct bh_fl_return *r, char *err,
		       size_t errlen)
{
	int rc;
	memset(r, 0, sizeof(*r));
	if (err && errlen)
		err[0] = '\0';
	r->root = bh_fl_parse_object(body, len, err, errlen);
	if (!r->root)
		return BH_EINVAL;
	const char *schema = bh_fl_jstr(r->root, "schema");
	if (!schema || strcmp(schema, "return/1") != 0)
		return bh_fl_err(err, errlen, "not a return/1 record (schema %s)", schema ? schema : "missing");
	r->id = bh_fl_jid(r->root, "id");
	if (!r->id)
		return bh_fl_err(err, errlen, "return/1 record without an id");
	r->state = bh_fl_jstr(r->root, "state");
	r->trigger = bh_fl_jstr(r->root, "trigger");
	r->currency = bh_fl_jstr(r->root, "currency");
	r->created_at = bh_fl_jstr(r->root, "created_at");
	r->updated_at = bh_fl_jstr(r->root, "updated_at");
	r->outcome = bh_fl_jstr(r->root, "outcome");
	r->error = bh_fl_jstr(r->root, "error");
	struct json_object *o = bh_fl_jobj(r->root, "order");
	r->portal_order_id = bh_fl_jid(o, "portal_order_id");
	r->order_id = bh_fl_jid(o, "storefront_order_id");
	r->order_name = bh_fl_jstr(o, "name");
	if (!r->order_id)
		return bh_fl_err(err, errlen, "return %s: order.storefront_order_id is missing", r->id);
	r->customer_email = bh_fl_jstr(bh_fl_jobj(r->root, "customer"), "email");
	struct json_object *x = bh_fl_jobj(r->root, "exchange");
	r->exchange_order_id = bh_fl_jid(x, "order_id");
	r->exchange_order_name = bh_fl_jstr(x, "order_name");
	struct json_object *fl;
	r->flagged = json_object_object_get_ex(r->root, "flagged", &fl) && fl &&
		     json_object_get_boolean(fl);
	r->processed = -1;
	if (json_object_object_get_ex(r->root, "processed", &fl) && fl &&
	    json_object_is_type(fl, json_type_boolean))
		r->processed = json_object_get_boolean(fl) ? 1 : 0;
	if ((rc = parse_lines(r, err, errlen)) != 0 || (rc = parse_totals(r, err, errlen)) != 0 ||
	    (rc = parse_refunds(r, err, errlen)) != 0)
		return rc;
	return BH_OK;
}

void bh_fl_return_free(struct bh_fl_return *r)
{
	if (!r)
		return;
	free(r->lines);
	free(r->refunds);
	json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}

#define M(v) bh_fl_money((v), b1, sizeof(b1))
#define M2(v) bh_fl_money((v), b2, sizeof(b2))

int bh_fl_return_reconcile(const struct bh_fl_return *r, char *err, size_t errlen)
{
	char b1[32], b2[32];
	const struct bh_fl_return_totals *t = &r->totals;
	int64_t gross = 0, disc = 0, tax = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_fl_return_line *l = &r->lines[i];
		const char *sku = l->sku ? l->sku : "(no SKU)";
		if (l->price < 0 || l->discount < 0 || l->tax < 0 || l->refund < 0)
			return bh_fl_err(err, errlen, "return %s: line %zu (%s) has a negative amount",
					 r->id, i + 1, sku);
		if (l->discount > l->price * l->quantity)
			return bh_fl_err(err, errlen, "return %s: line %zu (%s) discount %s exceeds price x "
					 "quantity %s", r->id, i + 1, sku, M(l->discount),
					 M2(l->price * l->quantity));
		gross += l->price * l->quantity;
		disc += l->discount;
		tax += l->tax;
	}
	struct {
		const char *name;
		int64_t v;
	} nonneg[] = {{"gross", t->gross},       {"discount", t->discount},
		      {"tax", t->tax},           {"total", t->total},
		      {"refund", t->refund},     {"credit", t->credit},
		      {"gift_card", t->gift_card}, {"exchange", t->exchange},
		      {"upsell", t->upsell},     {"handling_fee", t->handling_fee},
		      {"bonus", t->bonus}};
	for (size_t i = 0; i < sizeof(nonneg) / sizeof(nonneg[0]); i++)
		if (nonneg[i].v < 0)
			return bh_fl_err(err, errlen, "return %s: totals.%s is negative (%s)", r->id,
					 nonneg[i].name, M(nonneg[i].v));
	if (gross != t->gross)
		return bh_fl_err(err, errlen, "return %s does not reconcile: lines add up to gross %s "
				 "but totals.gross is %s", r->id, M(gross), M2(t->gross));
	if (disc != t->discount)
		return bh_fl_err(err, errlen, "return %s does not reconcile: line discounts add up to "
				 "%s but totals.discount is %s", r->id, M(disc), M2(t->discount));
	if (tax != t->tax)
		return bh_fl_err(err, errlen, "return %s does not reconcile: line taxes add up to %s "
				 "but totals.tax is %s", r->id, M(tax), M2(t->tax));
	if (t->gross - t->discount + t->tax != t->total)
		return bh_fl_err(err, errlen, "return %s does not reconcile: gross - discount + tax "
				 "is %s but totals.total is %s", r->id,
				 M(t->gross - t->discount + t->tax), M2(t->total));
	int64_t out = t->refund + t->credit + t->gift_card + t->exchange + t->handling_fee;
	if (out != t->total + t->upsell)
		return bh_fl_err(err, errlen, "return %s does not reconcile: refund + credit + "
				 "gift_card + exchange + handling_fee is %s but total + upsell is %s",
				 r->id, M(out), M2(t->total + t->upsell));
	if (t->upsell > t->exchange)
		return bh_fl_err(err, errlen, "return %s does not reconcile: upsell %s exceeds the "
				 "exchange value %s", r->id, M(t->upsell), M2(t->exchange));
	return BH_OK;
}
