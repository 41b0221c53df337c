/*
 * fl_order.c - `order/1` parsed into struct bh_fl_order with exact cents, its reconcile
 * check, and the tenders summed by kind (see flowlib.h).
 *
 * Ownership: flowlib; the struct owns its JSON tree. Threading: pure functions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_priv.h"

static int money(struct json_object *o, const char *key, int64_t *c, const char *name,
		 const char *where, char *err, size_t errlen)
{
	if (bh_fl_jmoney(o, key, c, NULL) != 0)
		return bh_fl_err(err, errlen, "order %s: %s%s is not a decimal amount with at most two "
				 "decimals", name, where, key);
	return BH_OK;
}

static int parse_lines(struct bh_fl_order *o, const char *nm, char *err, size_t errlen)
{
	struct json_object *a = bh_fl_jarr(o->root, "lines");
	size_t n = a ? json_object_array_length(a) : 0;
	if (!a)
		return bh_fl_err(err, errlen, "order %s: lines[] is missing", nm);
	if (n == 0)
		return BH_OK;
	o->lines = calloc(n, sizeof(*o->lines));
	if (!o->lines)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(a, i);
		struct bh_fl_order_line *x = &o->lines[i];
		char where[32];
		int rc;
		snprintf(where, sizeof(where), "lines[%zu].", i);
		x->id = bh_fl_jid(l, "id");
		x->sku = bh_fl_jstr(l, "sku");
		if (x->sku && !*x->sku)
			x->sku = NULL;
		x->title = bh_fl_jstr(l, "title");
		if (bh_fl_jint(l, "quantity", 1, &x->quantity) != 0 || x->quantity < 0)
			return bh_fl_err(err, errlen, "order %s: %squantity must be an integer >= 0", nm,
					 where);
		if ((rc = money(l, "price", &x->price, nm, where, err, errlen)) != 0 ||
		    (rc = money(l, "discount", &x->discount, nm, where, err, errlen)) != 0 ||
		    (rc = money(l, "tax", &x->tax, nm, where, err, errlen)) != 0)
			return rc;
		o->n_lines++;
	}
	return BH_OK;
}

static int parse_shipping(struct bh_fl_order *o, const char *nm, char *err, size_t errlen)
{
	struct json_object *a = bh_fl_jarr(o->root, "shipping");
	size_t n = a ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i);
		char where[32];
		int64_t p, d, t;
		int rc;
		snprintf(where, sizeof(where), "shipping[%zu].", i);
		if ((rc = money(s, "price", &p, nm, where, err, errlen)) != 0 ||
		    (rc = money(s, "discount", &d, nm, where, err, errlen)) != 0 ||
		    (rc = money(s, "tax", &t, nm, where, err, errlen)) != 0)
			return rc;
		o->shipping_price += p;
		o->shipping_discount += d;
		o->shipping_tax += t;
		o->n_shipping++;
	}
	return BH_OK;
}

static int parse_tenders(struct bh_fl_order *o, const char *nm, char *err, size_t errlen)
{
	struct json_object *a = bh_fl_jarr(o->root, "tenders");
	size_t n = a ? json_object_array_length(a) : 0;
	if (n == 0)
		return BH_OK;
	o->tenders = calloc(n, sizeof(*o->tenders));
	if (!o->tenders)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(a, i);
		char where[32];
		snprintf(where, sizeof(where), "tenders[%zu].", i);
		o->tenders[i].gateway = bh_fl_jstr(t, "gateway");
		o->tenders[i].kind = bh_fl_jstr(t, "kind");
		int rc = money(t, "amount", &o->tenders[i].amount, nm, where, err, errlen);
		if (rc != 0)
			return rc;
		o->n_tenders++;
	}
	return BH_OK;
}

int bh_fl_order_parse(const char *body, size_t len, struct bh_fl_order *o, char *err,
		      size_t errlen)
{
	int rc;
	memset(o, 0, sizeof(*o));
	if (err && errlen)
		err[0] = '\0';
	o->root = bh_fl_parse_object(body, len, err, errlen);
	if (!o->root)
		return BH_EINVAL;
	const char *schema = bh_fl_jstr(o->root, "schema");
	if (!schema || strcmp(schema, "order/1") != 0)
		return bh_fl_err(err, errlen, "not an order/1 record (schema %s)", schema ? schema : "missing");
	o->id = bh_fl_jid(o->root, "id");
	if (!o->id)
		return bh_fl_err(err, errlen, "order/1 record without an id");
	o->name = bh_fl_jstr(o->root, "name");
	const char *nm = o->name ? o->name : o->id;
	o->created_at = bh_fl_jstr(o->root, "created_at");
	o->updated_at = bh_fl_jstr(o->root, "updated_at");
	o->cancelled_at = bh_fl_jstr(o->root, "cancelled_at");
	o->currency = bh_fl_jstr(o->root, "currency");
	o->financial_status = bh_fl_jstr(o->root, "financial_status");
	struct json_object *c = bh_fl_jobj(o->root, "customer");
	o->customer_id = bh_fl_jid(c, "id");
	o->email = bh_fl_jstr(c, "email");
	if (!o->email)
		o->email = bh_fl_jstr(o->root, "email");
	o->first_name = bh_fl_jstr(c, "first_name");
	o->last_name = bh_fl_jstr(c, "last_name");
	struct json_object *ti;
	o->taxes_included = json_object_object_get_ex(o->root, "taxes_included", &ti) && ti &&
			    json_object_get_boolean(ti);
	struct json_object *t = bh_fl_jobj(o->root, "totals");
	if (!t)
		return bh_fl_err(err, errlen, "order %s: totals is missing", nm);
	if ((rc = money(t, "subtotal", &o->totals.subtotal, nm, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "discount", &o->totals.discount, nm, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "shipping", &o->totals.shipping, nm, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "tax", &o->totals.tax, nm, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "total", &o->totals.total, nm, "totals.", err, errlen)) != 0 ||
	    (rc = money(t, "refunded", &o->totals.refunded, nm, "totals.", err, errlen)) != 0)
		return rc;
	struct json_object *x = bh_fl_jobj(o->root, "exchange");
	if (x) {
		o->is_exchange = true;
		o->exchange_original_id = bh_fl_jid(x, "original_order_id");
		o->exchange_original_name = bh_fl_jstr(x, "original_order_name");
		o->exchange_return_id = bh_fl_jid(x, "return_id");
	}
	if ((rc = parse_lines(o, nm, err, errlen)) != 0 || (rc = parse_shipping(o, nm, err, errlen)) != 0 ||
	    (rc = parse_tenders(o, nm, err, errlen)) != 0)
		return rc;
	return BH_OK;
}

void bh_fl_order_free(struct bh_fl_order *o)
{
	if (!o)
		return;
	free(o->lines);
	free(o->tenders);
	json_object_put(o->root);
	memset(o, 0, sizeof(*o));
}

int bh_fl_order_reconcile(const struct bh_fl_order *o, char *err, size_t errlen)
{
	char b1[32], b2[32];
	const char *nm = o->name ? o->name : o->id;
	int64_t sub = 0;
	for (size_t i = 0; i < o->n_lines; i++)
		sub += o->lines[i].price * o->lines[i].quantity;
	if (sub != o->totals.subtotal)
		return bh_fl_err(err, errlen, "order %s does not reconcile: lines add up to %s but "
				 "totals.subtotal is %s", nm, bh_fl_money(sub, b1, sizeof(b1)),
				 bh_fl_money(o->totals.subtotal, b2, sizeof(b2)));
	int64_t want = o->totals.subtotal - o->totals.discount + o->totals.shipping +
		       (o->taxes_included ? 0 : o->totals.tax);
	if (want != o->totals.total)
		return bh_fl_err(err, errlen, "order %s does not reconcile: subtotal - discount + "
				 "shipping + tax is %s but totals.total is %s", nm,
				 bh_fl_money(want, b1, sizeof(b1)),
				 bh_fl_money(o->totals.total, b2, sizeof(b2)));
	return BH_OK;
}

void bh_fl_paid_of_order(const struct bh_fl_order *o, struct bh_fl_paid *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < o->n_tenders; i++) {
		const struct bh_fl_tender *t = &o->tenders[i];
		const char *k = t->kind ? t->kind : "";
		if (!strcmp(k, "card"))
			p->card += t->amount;
		else if (!strcmp(k, "gift_card"))
			p->gift_card += t->amount;
		else if (!strcmp(k, "store_credit"))
			p->store_credit += t->amount;
		else
			p->other += t->amount;
	}
	p->known = o->n_tenders > 0;
}

int bh_fl_paid_format(const struct bh_fl_paid *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "card=%" PRId64 ",gift_card=%" PRId64 ",store_credit=%" PRId64
			 ",other=%" PRId64, p->card, p->gift_card, p->store_credit, p->other);
	return (n < 0 || (size_t)n >= len) ? BH_ETOOBIG : BH_OK;
}

int bh_fl_paid_parse(const char *text, struct bh_fl_paid *p)
{
	long long c, g, s, o;
	int used = 0;
	memset(p, 0, sizeof(*p));
	if (!text ||
	    sscanf(text, "card=%lld,gift_card=%lld,store_credit=%lld,other=%lld%n", &c, &g, &s, &o,
		   &used) != 4 ||
	    text[used] != '\0')
		return BH_EINVAL;
	p->card = c;
	p->gift_card = g;
	p->store_credit = s;
	p->other = o;
	p->known = true;
	return BH_OK;
}
