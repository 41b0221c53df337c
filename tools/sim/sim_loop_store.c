/*
 * sim_loop_store.c - the Loop simulator's return store: lookups, unit bookkeeping,
 * the outcome arithmetic and the rendering of a return object in Loop's shape.
 *
 * The shape follows the real payloads in shared/reference/loop/ (2019 Detailed Returns
 * List rows, 2020 return.created / return.updated webhooks): ids as strings, money as
 * decimal strings, one line_items[] entry per returned unit, provider_order_id = the
 * Shopify order id (exact int64, as a string like the samples), order_id = Loop's own
 * order id, order_number = Shopify "number" (name - 1000). Fields the real samples lack
 * but Loop documents (updated_at, edited_at, shop_id, customer_detail, outcome,
 * exchange_order_*, provider_order_number, is_gift_return, label_url, destination_id,
 * outcomes{}) are added as documented in sim_loop.c's header.
 *
 * Ownership: the store owns returns and orders (struct bh_loop). Rendered text is cached
 * in the return until the next bh_loop_touch().
 * Threading: every function here expects the caller to hold bh_loop.lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_loop_priv.h"

static const char *const state_names[BH_LOOP_N_STATES] = {
	[BH_LOOP_OPEN] = "open",         [BH_LOOP_CLOSED] = "closed",
	[BH_LOOP_CANCELLED] = "cancelled", [BH_LOOP_EXPIRED] = "expired",
	[BH_LOOP_REVIEW] = "review",
};

const char *bh_loop_state_name(enum bh_loop_state s)
{
	return (unsigned)s < BH_LOOP_N_STATES ? state_names[s] : "open";
}

int bh_loop_state_parse(const char *s, enum bh_loop_state *out)
{
	for (int i = 0; i < BH_LOOP_N_STATES; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum bh_loop_state)i;
			return 0;
		}
	}
	return BH_EINVAL;
}

const char *bh_loop_outcome_name(enum bh_loop_outcome o)
{
	switch (o) {
	case BH_LOOP_OUT_CREDIT:
		return "credit";
	case BH_LOOP_OUT_EXCHANGE:
		return "exchange";
	case BH_LOOP_OUT_GIFT_CARD:
		return "gift_card";
	case BH_LOOP_OUT_REFUND:
	default:
		return "refund";
	}
}

struct bh_loop_return *bh_loop_find(struct bh_loop *s, int64_t id)
{
	if (id < s->first_return_id || id - s->first_return_id >= (int64_t)s->n_returns)
		return NULL;
	return s->returns[id - s->first_return_id];
}

struct bh_loop_order *bh_loop_order_get(struct bh_loop *s, int64_t provider_id)
{
	return bh_loop_map_get(&s->orders, provider_id);
}

struct bh_loop_order *bh_loop_order_by_name(struct bh_loop *s, const char *name)
{
	struct bh_loop_order *o;
	if (*name == '#')
		name++;
	o = bh_loop_map_get(&s->names, (int64_t)bh_loop_fnv64(name));
	if (o && strcmp(o->name[0] == '#' ? o->name + 1 : o->name, name) != 0)
		return NULL;
	return o;
}

void bh_loop_touch(struct bh_loop_return *r, int64_t now_ms)
{
	r->updated_ms = now_ms;
	free(r->cache);
	r->cache = NULL;
	r->cache_len = 0;
}

/* Cancelled, expired and removed units can be returned again. */
void bh_loop_release_units(struct bh_loop_return *r)
{
	for (size_t i = 0; i < r->n_lines; i++) {
		struct bh_loop_line *l = &r->lines[i];
		if (l->removed)
			continue;
		for (size_t j = 0; j < r->order->n_lines; j++) {
			struct bh_loop_oline *ol = &r->order->lines[j];
			if (ol->id == l->provider_line_item_id && l->slot < ol->quantity)
				ol->used[l->slot] = 0;
		}
	}
}

int bh_loop_add_return(struct bh_loop *s, struct bh_loop_return *r)
{
	int64_t *ids;
	if (s->n_returns == s->cap_returns) {
		size_t ncap = s->cap_returns ? s->cap_returns * 2 : 256;
		struct bh_loop_return **n = realloc(s->returns, ncap * sizeof(*n));
		if (!n)
			return BH_ENOMEM;
		s->returns = n;
		s->cap_returns = ncap;
	}
	ids = realloc(r->order->returns, (r->order->n_returns + 1) * sizeof(*ids));
	if (!ids)
		return BH_ENOMEM;
	r->order->returns = ids;
	r->id = s->first_return_id + (int64_t)s->n_returns;
	r->order->returns[r->order->n_returns++] = r->id;
	s->returns[s->n_returns++] = r;
	return 0;
}

static void gw_free(struct bh_loop_gw *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].gateway);
	free(g);
}

void bh_loop_return_free(struct bh_loop_return *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_lines; i++) {
		struct bh_loop_line *l = &r->lines[i];
		free(l->sku);
		free(l->title);
		free(l->barcode);
		free(l->reason);
		free(l->parent_reason);
		free(l->comment);
		free(l->exchange_variant);
	}
	free(r->lines);
	for (size_t i = 0; i < r->n_exchanges; i++) {
		free(r->exchanges[i].sku);
		free(r->exchanges[i].title);
	}
	free(r->exchanges);
	gw_free(r->tenders, r->n_tenders);
	gw_free(r->refunds, r->n_refunds);
	gw_free(r->forced_refunds, r->n_forced_refunds);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].content);
	free(r->notes);
	free(r->order_name);
	free(r->currency);
	free(r->email);
	free(r->first_name);
	free(r->last_name);
	free(r->addr.name);
	free(r->addr.company);
	free(r->addr.address1);
	free(r->addr.address2);
	free(r->addr.city);
	free(r->addr.state);
	free(r->addr.zip);
	free(r->addr.country);
	free(r->addr.country_code);
	free(r->addr.phone);
	free(r->tax_title);
	free(r->tax_rate);
	free(r->exchange_order_name);
	free(r->carrier);
	free(r->tracking_number);
	free(r->label_status);
	free(r->label_url);
	free(r->fail_message);
	free(r->process_details);
	free(r->cache);
	free(r);
}

void bh_loop_order_free(struct bh_loop_order *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n_lines; i++)
		free(o->lines[i].used);
	free(o->lines);
	gw_free(o->refunded, o->n_refunded);
	free(o->returns);
	free(o->name);
	free(o);
}

/*
 * The outcome arithmetic (all integer cents):
 *   product/discount/tax = sums over the live (not removed) units; total = p - d + t.
 *   available = total - handling_fee (never below 0).
 *   refund:    refund = available.
 *   credit:    return_credit_total = available + bonus; gift_card = the same when credit
 *              is delivered as a gift card (credit_method gift_card).
 *   gift_card: gift_card = available (a new gift card instead of the original payment).
 *   exchange:  exchange_credit_total = min(available, exchange_total); upsell = what the
 *              exchange costs beyond that (paid by the shopper); the rest of available
 *              is refunded (or, with leftover "credit", issued as credit).
 */
void bh_loop_amounts(const struct bh_loop_return *r, struct bh_loop_amounts *a)
{
	int64_t avail, rest;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < r->n_lines; i++) {
		if (r->lines[i].removed)
			continue;
		a->product += r->lines[i].price;
		a->discount += r->lines[i].discount;
		a->tax += r->lines[i].tax;
	}
	a->total = a->product - a->discount + a->tax;
	a->fee = r->handling_fee;
	avail = a->total - a->fee;
	if (avail < 0)
		avail = 0;
	switch (r->outcome) {
	case BH_LOOP_OUT_REFUND:
		a->refund = avail;
		break;
	case BH_LOOP_OUT_CREDIT:
		a->credit = avail + r->bonus;
		break;
	case BH_LOOP_OUT_GIFT_CARD:
		a->gift_card = avail;
		break;
	case BH_LOOP_OUT_EXCHANGE:
		for (size_t i = 0; i < r->n_exchanges; i++) {
			a->ex_product += r->exchanges[i].price;
			a->ex_discount += r->exchanges[i].discount;
			a->ex_tax += r->exchanges[i].tax;
		}
		a->ex_total = a->ex_product - a->ex_discount + a->ex_tax;
		a->ex_credit = avail < a->ex_total ? avail : a->ex_total;
		a->upsell = a->ex_total - a->ex_credit;
		rest = avail - a->ex_credit;
		if (r->leftover_credit)
			a->credit = rest;
		else
			a->refund = rest;
		break;
	}
}

static int64_t *gw_slot(struct bh_loop_gw **arr, size_t *n, const char *gateway)
{
	struct bh_loop_gw *g;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].gateway, gateway) == 0)
			return &(*arr)[i].amount;
	g = realloc(*arr, (*n + 1) * sizeof(*g));
	if (!g)
		return NULL;
	*arr = g;
	g[*n].gateway = strdup(gateway);
	g[*n].amount = 0;
	if (!g[*n].gateway)
		return NULL;
	return &g[(*n)++].amount;
}

static int refunds_add(struct bh_loop_return *r, const char *gateway, int64_t amount)
{
	int64_t *slot = gw_slot(&r->refunds, &r->n_refunds, gateway);
	int64_t *cum = gw_slot(&r->order->refunded, &r->order->n_refunded, gateway);
	if (!slot || !cum)
		return BH_ENOMEM;
	*slot += amount;
	*cum += amount;
	return 0;
}

/* Forget refunds[] and take its amounts back out of the order's cumulative refunds. */
void bh_loop_refunds_clear(struct bh_loop_return *r)
{
	for (size_t i = 0; i < r->n_refunds; i++)
		for (size_t j = 0; j < r->order->n_refunded; j++)
			if (strcmp(r->order->refunded[j].gateway, r->refunds[i].gateway) == 0)
				r->order->refunded[j].amount -= r->refunds[i].amount;
	gw_free(r->refunds, r->n_refunds);
	r->refunds = NULL;
	r->n_refunds = 0;
}

/*
 * Fill refunds[] at processing time. A control-given split wins. Otherwise the refund
 * goes back over the original tenders in proportion to what each paid (largest
 * remainder to the cent, ties to the earlier tender), capped by what each tender has not
 * yet had refunded by earlier returns; anything left uncovered (no tender known) goes to
 * gateway "manual", the value seen in Loop's real payloads. Store credit delivered as
 * Shopify store credit adds a "shopify_store_credit" entry (Nova Module's mapping).
 */
int bh_loop_allocate_refunds(struct bh_loop_return *r, enum bh_loop_credit_method method)
{
	struct bh_loop_amounts a;
	int64_t R, A = 0, given = 0;
	int64_t share[16], cap[16];
	size_t n = r->n_tenders < 16 ? r->n_tenders : 16;

	bh_loop_amounts(r, &a);
	bh_loop_refunds_clear(r);
	R = a.refund;
	if (r->n_forced_refunds) {
		for (size_t i = 0; i < r->n_forced_refunds; i++)
			if (refunds_add(r, r->forced_refunds[i].gateway,
					r->forced_refunds[i].amount))
				return BH_ENOMEM;
		R = 0;
	}
	if (R > 0) {
		for (size_t i = 0; i < n; i++) {
			int64_t *cum = gw_slot(&r->order->refunded, &r->order->n_refunded,
					       r->tenders[i].gateway);
			if (!cum)
				return BH_ENOMEM;
			A += r->tenders[i].amount;
			cap[i] = r->tenders[i].amount - *cum;
			if (cap[i] < 0)
				cap[i] = 0;
		}
		if (A > 0) {
			int64_t rem[16];
			for (size_t i = 0; i < n; i++) {
				/* amounts below 10^9 cents each: the product stays below 2^63 */
				share[i] = R * r->tenders[i].amount / A;
				rem[i] = R * r->tenders[i].amount % A;
				given += share[i];
			}
			while (given < R) {
				size_t best = 0;
				for (size_t i = 1; i < n; i++)
					if (rem[i] > rem[best])
						best = i;
				share[best]++;
				rem[best] = -1;
				given++;
			}
			/* cap, then move the excess to tenders with room */
			int64_t excess = 0;
			for (size_t i = 0; i < n; i++) {
				if (share[i] > cap[i]) {
					excess += share[i] - cap[i];
					share[i] = cap[i];
				}
			}
			for (size_t i = 0; i < n && excess > 0; i++) {
				int64_t room = cap[i] - share[i];
				int64_t take = room < excess ? room : excess;
				share[i] += take;
				excess -= take;
			}
			for (size_t i = 0; i < n; i++)
				if (share[i] > 0 && refunds_add(r, r->tenders[i].gateway, share[i]))
					return BH_ENOMEM;
			R = excess;
		}
		if (R > 0 && refunds_add(r, "manual", R))
			return BH_ENOMEM;
	}
	if (a.credit > 0 && method == BH_LOOP_CREDIT_STORE_CREDIT &&
	    refunds_add(r, "shopify_store_credit", a.credit))
		return BH_ENOMEM;
	return 0;
}

static struct json_object *jmoney(int64_t cents)
{
	char buf[32];
	bh_loop_money_fmt(cents, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static struct json_object *jid(int64_t id)
{
	char buf[24];
	if (!id)
		return NULL;
	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	return json_object_new_string(buf);
}

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jiso(int64_t ms)
{
	char buf[40];
	if (!ms)
		return NULL;
	bh_loop_fmt_iso(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static struct json_object *line_obj(const struct bh_loop_line *l)
{
	struct json_object *o = json_object_new_object();
	char buf[40];

	json_object_object_add(o, "line_item_id", jid(l->id));
	json_object_object_add(o, "provider_line_item_id", jid(l->provider_line_item_id));
	json_object_object_add(o, "product_id",
			       l->product_id ? jid(l->product_id) : json_object_new_string(""));
	json_object_object_add(o, "variant_id",
			       l->variant_id ? jid(l->variant_id) : json_object_new_string(""));
	json_object_object_add(o, "sku", jstr(l->sku));
	json_object_object_add(o, "barcode", jstr(l->barcode));
	json_object_object_add(o, "title", jstr(l->title));
	json_object_object_add(o, "price", jmoney(l->price));
	json_object_object_add(o, "discount", jmoney(l->discount));
	json_object_object_add(o, "tax", jmoney(l->tax));
	json_object_object_add(o, "refund", jmoney(l->price - l->discount + l->tax));
	bh_loop_fmt_plain(l->returned_ms, buf, sizeof(buf));
	json_object_object_add(o, "returned_at", json_object_new_string(buf));
	json_object_object_add(o, "exchange_variant", jstr(l->exchange_variant));
	json_object_object_add(o, "return_reason", jstr(l->reason));
	json_object_object_add(o, "parent_return_reason", jstr(l->parent_reason));
	json_object_object_add(o, "return_comment", jstr(l->comment));
	json_object_object_add(o, "outcome",
			       json_object_new_string(l->exchange ? "exchange" : "default"));
	return o;
}

static struct json_object *exchange_obj(const struct bh_loop_return *r,
					const struct bh_loop_exchange *x)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "exchange_id", jid(x->id));
	json_object_object_add(o, "exchange_order_id", jid(r->exchange_order_id));
	json_object_object_add(o, "exchange_order_name", jstr(r->exchange_order_name));
	json_object_object_add(o, "product_id",
			       x->product_id ? jid(x->product_id) : json_object_new_string(""));
	json_object_object_add(o, "variant_id",
			       x->variant_id ? jid(x->variant_id) : json_object_new_string(""));
	json_object_object_add(o, "sku", jstr(x->sku));
	json_object_object_add(o, "type", json_object_new_string("variant"));
	json_object_object_add(o, "title", jstr(x->title));
	json_object_object_add(o, "price", jmoney(x->price));
	json_object_object_add(o, "discount", jmoney(x->discount));
	json_object_object_add(o, "tax", jmoney(x->tax));
	json_object_object_add(o, "total", jmoney(x->price - x->discount + x->tax));
	json_object_object_add(o, "out_of_stock", json_object_new_boolean(0));
	json_object_object_add(o, "out_of_stock_resolution", NULL);
	return o;
}

struct json_object *bh_loop_render_obj(struct bh_loop *s, struct bh_loop_return *r)
{
	struct json_object *o = json_object_new_object(), *cd, *ad, *arr, *oc;
	struct bh_loop_amounts a;
	char buf[40];

	bh_loop_amounts(r, &a);
	json_object_object_add(o, "id", jid(r->id));
	json_object_object_add(o, "state", json_object_new_string(bh_loop_state_name(r->state)));
	json_object_object_add(o, "created_at", jiso(r->created_ms));
	json_object_object_add(o, "updated_at", jiso(r->updated_ms));
	json_object_object_add(o, "edited_at", jiso(r->edited_ms));
	json_object_object_add(o, "total", jmoney(a.total));
	json_object_object_add(o, "order_id", jid(r->order->loop_id));
	json_object_object_add(o, "order_name", jstr(r->order_name));
	json_object_object_add(o, "provider_order_id", jid(r->order->provider_id));
	snprintf(buf, sizeof(buf), "%lld", (long long)r->order_number);
	json_object_object_add(o, "order_number", json_object_new_string(buf));
	json_object_object_add(o, "provider_order_number",
			       json_object_new_int64(r->provider_order_number));
	json_object_object_add(o, "shop_id", json_object_new_int64(s->set.shop_id));
	json_object_object_add(o, "customer", jstr(r->email));
	cd = json_object_new_object();
	json_object_object_add(cd, "email", jstr(r->email));
	json_object_object_add(cd, "first_name", jstr(r->first_name));
	json_object_object_add(cd, "last_name", jstr(r->last_name));
	json_object_object_add(o, "customer_detail", cd);
	ad = json_object_new_object();
	json_object_object_add(ad, "name", jstr(r->addr.name));
	json_object_object_add(ad, "company", jstr(r->addr.company));
	json_object_object_add(ad, "address1", jstr(r->addr.address1));
	json_object_object_add(ad, "address2", jstr(r->addr.address2));
	json_object_object_add(ad, "city", jstr(r->addr.city));
	json_object_object_add(ad, "state", jstr(r->addr.state));
	json_object_object_add(ad, "zip", jstr(r->addr.zip));
	json_object_object_add(ad, "country", jstr(r->addr.country));
	json_object_object_add(ad, "country_code", jstr(r->addr.country_code));
	json_object_object_add(ad, "phone", jstr(r->addr.phone));
	json_object_object_add(o, "address", ad);
	json_object_object_add(o, "is_gift_return", json_object_new_boolean(r->is_gift));
	json_object_object_add(o, "currency", jstr(r->currency));
	json_object_object_add(o, "outcome", json_object_new_string(bh_loop_outcome_name(r->outcome)));
	json_object_object_add(o, "return_product_total", jmoney(a.product));
	json_object_object_add(o, "return_discount_total", jmoney(a.discount));
	json_object_object_add(o, "return_tax_total", jmoney(a.tax));
	json_object_object_add(o, "return_total", jmoney(a.total));
	json_object_object_add(o, "return_credit_total", jmoney(a.credit));
	json_object_object_add(o, "exchange_product_total", jmoney(a.ex_product));
	json_object_object_add(o, "exchange_discount_total", jmoney(a.ex_discount));
	json_object_object_add(o, "exchange_tax_total", jmoney(a.ex_tax));
	json_object_object_add(o, "exchange_total", jmoney(a.ex_total));
	json_object_object_add(o, "exchange_credit_total", jmoney(a.ex_credit));
	{
		int64_t gc = a.gift_card;
		if (a.credit && s->set.credit_method == BH_LOOP_CREDIT_GIFT_CARD)
			gc += a.credit;
		json_object_object_add(o, "gift_card", jmoney(gc));
	}
	json_object_object_add(o, "gift_card_id", jid(r->gift_card_id));
	json_object_object_add(o, "gift_card_order_id", NULL);
	json_object_object_add(o, "gift_card_order_name", NULL);
	json_object_object_add(o, "handling_fee", jmoney(a.fee));
	json_object_object_add(o, "refund", jmoney(a.refund));
	arr = json_object_new_array();
	for (size_t i = 0; i < r->n_refunds; i++) {
		struct json_object *g = json_object_new_object();
		json_object_object_add(g, "gateway", jstr(r->refunds[i].gateway));
		json_object_object_add(g, "amount", jmoney(r->refunds[i].amount));
		json_object_array_add(arr, g);
	}
	json_object_object_add(o, "refunds", arr);
	json_object_object_add(o, "upsell", jmoney(a.upsell));
	json_object_object_add(o, "exchange_order_id", jid(r->exchange_order_id));
	json_object_object_add(o, "exchange_order_name", jstr(r->exchange_order_name));
	arr = json_object_new_array();
	for (size_t i = 0; i < r->n_lines; i++)
		if (!r->lines[i].removed)
			json_object_array_add(arr, line_obj(&r->lines[i]));
	json_object_object_add(o, "line_items", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < r->n_exchanges; i++)
		json_object_array_add(arr, exchange_obj(r, &r->exchanges[i]));
	json_object_object_add(o, "exchanges", arr);
	json_object_object_add(o, "carrier", jstr(r->carrier));
	json_object_object_add(o, "tracking_number", jstr(r->tracking_number));
	json_object_object_add(o, "label_status", jstr(r->label_status));
	json_object_object_add(o, "label_url", jstr(r->label_url));
	json_object_object_add(o, "label_updated_at", jiso(r->label_updated_ms));
	json_object_object_add(o, "destination_id", NULL);
	oc = json_object_new_object();
	json_object_object_add(oc, "return_processed", jiso(r->processed_ms));
	json_object_object_add(oc, "refund_processed", jiso(r->refund_processed_ms));
	json_object_object_add(oc, "gift_card_processed", jiso(r->gift_card_processed_ms));
	json_object_object_add(oc, "exchange_processed", jiso(r->exchange_processed_ms));
	json_object_object_add(o, "outcomes", oc);
	json_object_object_add(o, "was_processed", json_object_new_boolean(r->processed_ms != 0));
	return o;
}

const char *bh_loop_render(struct bh_loop *s, struct bh_loop_return *r, size_t *len)
{
	if (!r->cache) {
		struct json_object *o = bh_loop_render_obj(s, r);
		r->cache = bh_loop_json_text(o, &r->cache_len);
		json_object_put(o);
		if (!r->cache) {
			*len = 2;
			return "{}";
		}
	}
	*len = r->cache_len;
	return r->cache;
}
