/*
 * sim_shopify_refund.c - refunds (control POST /orders/<id>/refund) and simple order
 * updates (tags, note, email, fulfillment, cancel, close).
 *
 * Pro-rating a refund of q of Q units: the discount share and the tax share are
 * cumulative round-half-up: share(k) = round(total * k / Q); a refund of q units after r
 * already refunded gets share(r+q) - share(r), so the shares sum exactly to the total.
 * Money goes back over the original successful sale/capture transactions in order
 * unless the body names transactions (gateway and/or parent_id); more than what was
 * received is refused. Every change bumps updated_at (strictly increasing) and drops the
 * cached REST text.
 *
 * Ownership: the refund and its transactions become part of the order.
 * Threading: data lock held exclusively.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

/* ------------------------------------------------------------------ refunds */

static int64_t round_div(int64_t num, int64_t den)
{
	/* round half away from zero */
	if (den <= 0)
		return 0;
	if (num >= 0)
		return (num * 2 + den) / (2 * den);
	return -((-num * 2 + den) / (2 * den));
}

/* cumulative pro-rated share of `total` for the first k of q units */
static int64_t share(int64_t total, int k, int q)
{
	if (q <= 0)
		return 0;
	return round_div(total * k, q);
}


static void bump_updated(struct bh_shp_svc *s, struct bh_shp_order *o)
{
	struct bh_shp_time t;
	bh_shp_now_time(s, &t);
	if (t.t <= o->updated.t)
		t.t = o->updated.t + 1;
	t.off_min = o->updated.set ? o->updated.off_min : s->shop_off_min;
	bh_shp_order_invalidate(o);
	bh_shp_store_unlink(s, o);
	o->updated = t;
	bh_shp_store_relink(s, o);
}

/* Remaining refundable amount of a parent (sale/capture) transaction. */
static int64_t parent_remaining(const struct bh_shp_order *o, const struct bh_shp_txn *p)
{
	int64_t rem = p->amount;
	for (size_t i = 0; i < o->ntxns; i++) {
		const struct bh_shp_txn *t = &o->txns[i];
		if (strcmp(t->kind, "refund") == 0 && strcmp(t->status, "success") == 0 &&
		    t->has_parent && t->parent_id == p->id)
			rem -= t->amount;
	}
	return rem;
}

static bool is_parent_kind(const struct bh_shp_txn *t)
{
	return strcmp(t->status, "success") == 0 &&
	       (strcmp(t->kind, "sale") == 0 || strcmp(t->kind, "capture") == 0);
}

int bh_shp_order_refund(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *body,
			const struct bh_shp_refund **out, char *err, size_t errlen)
{
	struct json_object *in = bh_shp_jget(body, "refund"), *arr, *txarr, *shipj;
	struct bh_shp_refund r;
	struct bh_shp_refund *nr;
	int64_t total = 0, rsub = 0, rtax = 0, rdisc = 0, rship = 0, rshiptax = 0;
	size_t n, ntx = 0;
	int *qty = NULL;
	int rc = BH_EINVAL;
	struct {
		int64_t parent, amount;
		char *gateway;
		bool has_parent;
	} *tx = NULL;

	if (!in)
		in = body;
	memset(&r, 0, sizeof(r));
	if (!in || !json_object_is_type(in, json_type_object)) {
		snprintf(err, errlen, "body must be a refund object");
		return BH_EINVAL;
	}
	r.id = bh_shp_next_id(s);
	r.note = bh_shp_jdup(in, "note");
	r.restock = bh_shp_jbool(in, "restock", false);
	bh_shp_now_time(s, &r.created);
	r.processed = r.created;

	/* line items */
	arr = bh_shp_jget(in, "refund_line_items");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n) {
		r.lines = calloc(n, sizeof(*r.lines));
		qty = calloc(o->nlines ? o->nlines : 1, sizeof(int));
		if (!r.lines || !qty) {
			rc = BH_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		struct bh_shp_refund_line *rl = &r.lines[i];
		const struct bh_shp_line *l;
		size_t li;
		int64_t q = 0;
		int done;
		r.nlines = i + 1;
		if (bh_shp_ji64(x, "line_item_id", &rl->line_item_id) != 1) {
			snprintf(err, errlen, "refund_line_items[%zu].line_item_id is required", i);
			goto fail;
		}
		l = bh_shp_order_line(o, rl->line_item_id);
		if (!l) {
			snprintf(err, errlen, "line item %" PRId64 " is not on order %" PRId64,
				 rl->line_item_id, o->id);
			goto fail;
		}
		li = (size_t)(l - o->lines);
		if (bh_shp_ji64(x, "quantity", &q) != 1 || q <= 0) {
			snprintf(err, errlen, "refund_line_items[%zu].quantity must be positive", i);
			goto fail;
		}
		done = l->refunded_quantity + qty[li];
		if (done + q > l->quantity) {
			snprintf(err, errlen,
				 "cannot refund more items than were purchased: line item %" PRId64
				 " has %d of %d left",
				 l->id, l->quantity - done, l->quantity);
			rc = BH_EREJECT;
			goto fail;
		}
		qty[li] += (int)q;
		rl->id = bh_shp_next_id(s);
		rl->quantity = (int)q;
		rl->restock_type = bh_shp_dup_or(x, "restock_type", r.restock ? "return" : "no_restock");
		rl->has_location = bh_shp_ji64(x, "location_id", &rl->location_id) == 1;
		{
			int64_t disc = bh_shp_line_alloc_total(o, l, false);
			int64_t tax = bh_shp_sum_tax(l->tax, l->ntax);
			int64_t ds = share(disc, done + (int)q, l->quantity) - share(disc, done, l->quantity);
			int64_t ts = share(tax, done + (int)q, l->quantity) - share(tax, done, l->quantity);
			rl->subtotal = l->price * q - ds;
			rl->total_tax = ts;
			rsub += rl->subtotal;
			rtax += ts;
			rdisc += ds;
		}
	}

	/* shipping: {"full_refund": true} or {"amount": "5.00", "tax": "0.40"} */
	shipj = bh_shp_jget(in, "shipping");
	if (shipj) {
		int64_t prior = 0, avail = 0, amount = 0, tax = 0;
		bool full = bh_shp_jbool(shipj, "full_refund", false);
		for (size_t i = 0; i < o->nrefunds; i++)
			for (size_t k = 0; k < o->refunds[i].nships; k++)
				prior += o->refunds[i].ships[k].amount;
		for (size_t i = 0; i < o->nships; i++)
			avail += o->ships[i].discounted_price;
		avail -= prior;
		if (full) {
			amount = avail;
			if (prior == 0)
				for (size_t i = 0; i < o->nships; i++)
					tax += bh_shp_sum_tax(o->ships[i].tax, o->ships[i].ntax);
		} else {
			if (bh_shp_jmoney(shipj, "amount", &amount) != 1 || amount < 0 ||
			    bh_shp_jmoney(shipj, "tax", &tax) < 0) {
				snprintf(err, errlen, "shipping.amount must be an exact amount");
				goto fail;
			}
		}
		if (amount > avail) {
			snprintf(err, errlen, "shipping refund %" PRId64 " cents exceeds refundable %" PRId64,
				 amount, avail);
			rc = BH_EREJECT;
			goto fail;
		}
		if (amount > 0 || tax > 0) {
			r.ships = calloc(1, sizeof(*r.ships));
			r.adjs = calloc(1, sizeof(*r.adjs));
			if (!r.ships || !r.adjs) {
				rc = BH_ENOMEM;
				goto fail;
			}
			r.nships = 1;
			r.ships[0].id = bh_shp_next_id(s);
			r.ships[0].shipping_line_id = o->nships ? o->ships[0].id : 0;
			r.ships[0].amount = amount;
			r.ships[0].tax = tax;
			r.nadjs = 1;
			r.adjs[0].id = bh_shp_next_id(s);
			r.adjs[0].kind = bh_shp_strdup("shipping_refund");
			r.adjs[0].reason = bh_shp_strdup("Shipping refund");
			r.adjs[0].amount = -amount;
			r.adjs[0].tax_amount = -tax;
			rship = amount;
			rshiptax = tax;
		}
	}
	total = rsub + rtax + rship + rshiptax;

	/* transactions: given, or allocated over the original payments in order */
	txarr = bh_shp_jget(in, "transactions");
	if (txarr && !json_object_is_type(txarr, json_type_array)) {
		snprintf(err, errlen, "transactions must be an array");
		goto fail;
	}
	if (txarr) {
		n = json_object_array_length(txarr);
		tx = calloc(n ? n : 1, sizeof(*tx));
		if (!tx) {
			rc = BH_ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			struct json_object *x = json_object_array_get_idx(txarr, i);
			const char *gw = bh_shp_jstr(x, "gateway");
			int prc;
			if (bh_shp_jmoney(x, "amount", &tx[i].amount) != 1 || tx[i].amount <= 0) {
				snprintf(err, errlen, "transactions[%zu].amount must be a positive exact amount",
					 i);
				goto fail;
			}
			prc = bh_shp_ji64(x, "parent_id", &tx[i].parent);
			tx[i].has_parent = prc == 1;
			if (!tx[i].has_parent) {
				for (size_t k = 0; k < o->ntxns; k++)
					if (is_parent_kind(&o->txns[k]) &&
					    (!gw || strcmp(gw, o->txns[k].gateway) == 0) &&
					    parent_remaining(o, &o->txns[k]) > 0) {
						tx[i].parent = o->txns[k].id;
						tx[i].has_parent = true;
						break;
					}
			}
			if (gw) {
				tx[i].gateway = bh_shp_strdup(gw);
			} else if (tx[i].has_parent) {
				const struct bh_shp_txn *p = bh_shp_order_txn(o, tx[i].parent);
				tx[i].gateway = bh_shp_strdup(p ? p->gateway : s->default_gateway);
			} else {
				tx[i].gateway = bh_shp_strdup(s->default_gateway);
			}
			ntx = i + 1;
		}
	} else if (total > 0) {
		int64_t left = total;
		tx = calloc(o->ntxns ? o->ntxns : 1, sizeof(*tx));
		if (!tx) {
			rc = BH_ENOMEM;
			goto fail;
		}
		for (size_t k = 0; k < o->ntxns && left > 0; k++) {
			int64_t rem;
			if (!is_parent_kind(&o->txns[k]))
				continue;
			rem = parent_remaining(o, &o->txns[k]);
			if (rem <= 0)
				continue;
			tx[ntx].parent = o->txns[k].id;
			tx[ntx].has_parent = true;
			tx[ntx].amount = rem < left ? rem : left;
			tx[ntx].gateway = bh_shp_strdup(o->txns[k].gateway);
			left -= tx[ntx].amount;
			ntx++;
		}
		if (left > 0) {
			snprintf(err, errlen, "refund of %" PRId64 " cents exceeds the refundable amount",
				 total);
			rc = BH_EREJECT;
			goto fail;
		}
	}
	{
		int64_t avail = bh_shp_order_received(o) - bh_shp_order_refunded(o), want = 0;
		for (size_t i = 0; i < ntx; i++)
			want += tx[i].amount;
		if (want > avail) {
			snprintf(err, errlen,
				 "refund amount %" PRId64 " cents exceeds the refundable %" PRId64, want,
				 avail);
			rc = BH_EREJECT;
			goto fail;
		}
	}

	/* commit */
	nr = realloc(o->refunds, (o->nrefunds + 1) * sizeof(*nr));
	if (!nr) {
		rc = BH_ENOMEM;
		goto fail;
	}
	o->refunds = nr;
	if (ntx) {
		r.txn_ids = calloc(ntx, sizeof(int64_t));
		if (!r.txn_ids) {
			rc = BH_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < ntx; i++) {
		struct bh_shp_txn *t;
		if (bh_shp_txn_push(o, &t)) {
			rc = BH_ENOMEM;
			goto fail;
		}
		t->id = bh_shp_next_id(s);
		t->kind = bh_shp_strdup("refund");
		t->status = bh_shp_strdup("success");
		t->gateway = tx[i].gateway;
		tx[i].gateway = NULL;
		t->currency = bh_shp_strdup(o->currency);
		t->source_name = bh_shp_strdup("web");
		t->amount = tx[i].amount;
		t->has_parent = tx[i].has_parent;
		t->parent_id = tx[i].parent;
		t->created = t->processed = r.created;
		t->refund_id = r.id;
		r.txn_ids[r.ntxn++] = t->id;
	}
	for (size_t i = 0; i < o->nlines; i++) {
		if (!qty || !qty[i])
			continue;
		o->lines[i].refunded_quantity += qty[i];
		o->lines[i].current_quantity -= qty[i];
		if (o->lines[i].current_quantity < 0)
			o->lines[i].current_quantity = 0;
		o->lines[i].fulfillable_quantity -= qty[i];
		if (o->lines[i].fulfillable_quantity < 0)
			o->lines[i].fulfillable_quantity = 0;
	}
	o->current_subtotal -= rsub;
	o->current_total_tax -= rtax + rshiptax;
	o->current_total_discounts -= rdisc;
	o->current_total_price -= total;
	o->refunds[o->nrefunds++] = r;
	if (ntx) {
		free(o->financial_status);
		o->financial_status = bh_shp_strdup(bh_shp_financial_status(o));
	}
	bump_updated(s, o);
	*out = &o->refunds[o->nrefunds - 1];
	if (tx)
		for (size_t i = 0; i < ntx; i++)
			free(tx[i].gateway);
	free(tx);
	free(qty);
	return 0;
fail:
	if (tx)
		for (size_t i = 0; i < ntx; i++)
			free(tx[i].gateway);
	free(tx);
	free(qty);
	bh_shp_refund_free(&r);
	return rc;
}

int bh_shp_order_update(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *body,
			char *err, size_t errlen)
{
	struct json_object *in = bh_shp_jget(body, "order");
	struct json_object *v;
	if (!in)
		in = body;
	if (!in || !json_object_is_type(in, json_type_object)) {
		snprintf(err, errlen, "body must be an object");
		return BH_EINVAL;
	}
	if (json_object_object_get_ex(in, "tags", &v)) {
		char *t = bh_shp_norm_tags(v);
		if (!t)
			return BH_ENOMEM;
		free(o->tags);
		o->tags = t;
	}
	if (json_object_object_get_ex(in, "note", &v)) {
		free(o->note);
		o->note = v ? bh_shp_strdup(json_object_get_string(v)) : NULL;
	}
	if (json_object_object_get_ex(in, "email", &v)) {
		free(o->email);
		o->email = v ? bh_shp_strdup(json_object_get_string(v)) : NULL;
	}
	if (json_object_object_get_ex(in, "fulfillment_status", &v)) {
		free(o->fulfillment_status);
		o->fulfillment_status = v ? bh_shp_strdup(json_object_get_string(v)) : NULL;
		if (o->fulfillment_status && strcmp(o->fulfillment_status, "fulfilled") == 0)
			for (size_t i = 0; i < o->nlines; i++) {
				o->lines[i].fulfillable_quantity = 0;
				free(o->lines[i].fulfillment_status);
				o->lines[i].fulfillment_status = bh_shp_strdup("fulfilled");
			}
	}
	if (bh_shp_jbool(in, "cancel", false) || bh_shp_jget(in, "cancel_reason")) {
		free(o->cancel_reason);
		o->cancel_reason = bh_shp_dup_or(in, "cancel_reason", "other");
		bh_shp_now_time(s, &o->cancelled);
	}
	if (bh_shp_jbool(in, "close", false))
		bh_shp_now_time(s, &o->closed);
	bump_updated(s, o);
	return 0;
}
