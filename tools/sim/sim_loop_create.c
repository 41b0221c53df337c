/*
 * sim_loop_create.c - the shopper's side of the Loop simulator: create a return on a
 * simulated Shopify order (control POST /returns).
 *
 * The order is read from the Shopify simulator in-process (control GET /orders/<id>,
 * REST order shape) with no lock held; units are then checked and taken under the lock.
 *
 * Amounts per returned unit are exact integer cents taken from the Shopify line:
 *   price    = the line's unit "price";
 *   discount = the line's discount total (sum of discount_allocations[].amount, or
 *              total_discount when there are none) split over its quantity;
 *   tax      = the line's tax total (sum of tax_lines[].price) split over its quantity.
 * A split gives every unit floor(total / quantity) and the first (total % quantity)
 * units of the line one more cent. Each unit of a Shopify line has a fixed slot (0..q-1)
 * and a return takes the lowest free slots, so the units of all returns of a line always
 * add up exactly to the line's totals. Units in open, review or closed returns are taken;
 * cancelled and expired returns and removed lines give them back.
 *
 * Original tenders (for refunds[] per gateway) come from the order's "transactions"
 * (kind sale/capture, status success or absent), else from control
 * GET /orders/<id>/transactions, else the single gateway of payment_gateway_names with
 * the order's total_price.
 *
 * Ownership: the parsed Shopify order is local to the call; the new return and, on the
 * first return of an order, its struct bh_loop_order pass to the store.
 * Threading: takes bh_loop.lock only around the bookkeeping; Shopify is called unlocked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_loop_priv.h"

#define ERR(status, ...)                                                                   \
	do {                                                                               \
		snprintf(err, sizeof(err), __VA_ARGS__);                                   \
		err_status = (status);                                                     \
		goto fail;                                                                 \
	} while (0)

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static char *jdup(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);
	return bh_loop_strdup(v ? json_object_get_string(v) : "");
}

static int64_t sum_money(struct json_object *arr, const char *k, int *bad)
{
	int64_t total = 0, v;
	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (bh_loop_json_money(jget(json_object_array_get_idx(arr, i), k), &v))
			(*bad)++;
		else
			total += v;
	}
	return total;
}

static void ppm_fmt(int64_t ppm, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%lld.%06lld", (long long)(ppm / 1000000), (long long)(ppm % 1000000));
	while (n > 3 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
}

static struct json_object *shopify_get(const char *path, int *status)
{
	struct bh_sim_resp resp;
	struct json_object *o = NULL;
	memset(&resp, 0, sizeof(resp));
	if (bh_sim_control_call("shopify", "GET", path, NULL, NULL, &resp) != 0) {
		*status = -1;
		return NULL;
	}
	*status = resp.status;
	if (resp.status >= 200 && resp.status < 300 && resp.body)
		o = json_tokener_parse(resp.body);
	bh_sim_resp_clear(&resp);
	return o;
}

static int add_tender(struct bh_loop_return *r, const char *gw, int64_t amount)
{
	struct bh_loop_gw *g;
	for (size_t i = 0; i < r->n_tenders; i++)
		if (strcmp(r->tenders[i].gateway, gw) == 0) {
			r->tenders[i].amount += amount;
			return 0;
		}
	g = realloc(r->tenders, (r->n_tenders + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	r->tenders = g;
	g[r->n_tenders].gateway = strdup(gw);
	g[r->n_tenders].amount = amount;
	if (!g[r->n_tenders].gateway)
		return BH_ENOMEM;
	r->n_tenders++;
	return 0;
}

static void tenders_from(struct bh_loop_return *r, struct json_object *txs)
{
	for (size_t i = 0; txs && i < json_object_array_length(txs); i++) {
		struct json_object *t = json_object_array_get_idx(txs, i);
		struct json_object *kind = jget(t, "kind"), *st = jget(t, "status"), *gw = jget(t, "gateway");
		int64_t amount;
		if (!gw || bh_loop_json_money(jget(t, "amount"), &amount) || amount <= 0)
			continue;
		if (kind && strcmp(json_object_get_string(kind), "sale") != 0 &&
		    strcmp(json_object_get_string(kind), "capture") != 0)
			continue;
		if (st && strcmp(json_object_get_string(st), "success") != 0)
			continue;
		add_tender(r, json_object_get_string(gw), amount);
	}
}

struct want {
	int64_t line_item_id;
	int quantity;
	struct json_object *spec;   /* borrowed from the body */
};

int bh_loop_create_return(struct bh_loop *s, struct json_object *body, struct bh_sim_resp *resp)
{
	char err[256] = "";
	int err_status = 400, st;
	struct json_object *order = NULL, *o, *v, *lines, *olines, *cust, *addr, *txs;
	struct bh_loop_return *r = calloc(1, sizeof(*r));
	struct want *want = NULL;
	size_t n_want = 0;
	int64_t provider_id = 0, now = bh_loop_now_ms(), created = 0, units = 0;
	char path[128];
	struct bh_loop_outbox ob = {0};
	bool locked = false;

	if (!r)
		ERR(500, "out of memory");
	if (!body || !json_object_is_type(body, json_type_object))
		ERR(400, "body must be a JSON object");
	/* --- the order --- */
	if ((v = jget(body, "shopify_order_id")) || (v = jget(body, "provider_order_id"))) {
		if (bh_loop_json_int64(v, &provider_id) || provider_id <= 0)
			ERR(400, "shopify_order_id must be an integer id");
		snprintf(path, sizeof(path), "/orders/%lld", (long long)provider_id);
		order = shopify_get(path, &st);
	} else if ((v = jget(body, "order_name"))) {
		char *enc = bh_loop_urlencode(json_object_get_string(v));
		struct json_object *list, *arr;
		snprintf(path, sizeof(path), "/orders?name=%s", enc ? enc : "");
		free(enc);
		list = shopify_get(path, &st);
		arr = jget(list, "orders");
		if (arr && json_object_array_length(arr) > 0)
			order = json_object_get(json_object_array_get_idx(arr, 0));
		json_object_put(list);
		if (!order && st >= 200 && st < 300)
			st = 404;
	} else {
		ERR(400, "shopify_order_id is required");
	}
	if (st < 0)
		ERR(409, "the shopify simulator is not registered");
	if (!order)
		ERR(404, "shopify order not found (status %d)", st);
	o = jget(order, "order") ? jget(order, "order") : order;
	if (bh_loop_json_int64(jget(o, "id"), &provider_id))
		ERR(409, "the shopify order has no id");
	olines = jget(o, "line_items");
	if (!olines || !json_object_is_type(olines, json_type_array))
		ERR(409, "the shopify order has no line_items");

	/* --- requested lines --- */
	lines = jget(body, "lines");
	if (!lines || !json_object_is_type(lines, json_type_array) || !json_object_array_length(lines))
		ERR(400, "lines must be a non-empty array");
	want = calloc(json_object_array_length(lines), sizeof(*want));
	if (!want)
		ERR(500, "out of memory");
	for (size_t i = 0; i < json_object_array_length(lines); i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);
		int64_t lid, q = 1;
		if (bh_loop_json_int64(jget(l, "line_item_id"), &lid))
			ERR(400, "lines[%zu].line_item_id must be an integer id", i);
		if (jget(l, "quantity") && (bh_loop_json_int64(jget(l, "quantity"), &q) || q < 1 || q > 10000))
			ERR(400, "lines[%zu].quantity must be a positive integer", i);
		want[n_want].line_item_id = lid;
		want[n_want].quantity = (int)q;
		want[n_want].spec = l;
		n_want++;
		units += q;
	}

	/* --- outcome and money options --- */
	r->outcome = BH_LOOP_OUT_REFUND;
	if ((v = jget(body, "outcome"))) {
		const char *oc = json_object_get_string(v);
		if (strcmp(oc, "refund") == 0 || strcmp(oc, "split") == 0)
			r->outcome = BH_LOOP_OUT_REFUND;
		else if (strcmp(oc, "credit") == 0 || strcmp(oc, "store_credit") == 0)
			r->outcome = BH_LOOP_OUT_CREDIT;
		else if (strcmp(oc, "exchange") == 0)
			r->outcome = BH_LOOP_OUT_EXCHANGE;
		else if (strcmp(oc, "gift_card") == 0)
			r->outcome = BH_LOOP_OUT_GIFT_CARD;
		else
			ERR(400, "outcome must be refund, credit, exchange, gift_card or split");
	}
	if ((v = jget(body, "handling_fee")) && (bh_loop_json_money(v, &r->handling_fee) || r->handling_fee < 0))
		ERR(400, "handling_fee must be a non-negative decimal string");
	if ((v = jget(body, "bonus"))) {
		if (bh_loop_json_money(v, &r->bonus) || r->bonus < 0)
			ERR(400, "bonus must be a non-negative decimal string");
		if (r->bonus && r->outcome != BH_LOOP_OUT_CREDIT)
			ERR(400, "bonus applies to the credit outcome only");
	}
	if ((v = jget(body, "leftover"))) {
		if (strcmp(json_object_get_string(v), "credit") == 0)
			r->leftover_credit = true;
		else if (strcmp(json_object_get_string(v), "refund") != 0)
			ERR(400, "leftover must be refund or credit");
	}
	if ((v = jget(body, "created_at")) && bh_loop_time_parse(json_object_get_string(v), &created))
		ERR(400, "created_at is not a valid date");
	if ((v = jget(body, "is_gift")))
		r->is_gift = json_object_get_boolean(v);
	if ((v = jget(body, "refunds"))) {
		if (!json_object_is_type(v, json_type_array))
			ERR(400, "refunds must be an array of {gateway, amount}");
		r->forced_refunds = calloc(json_object_array_length(v) + 1, sizeof(*r->forced_refunds));
		if (!r->forced_refunds)
			ERR(500, "out of memory");
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *g = json_object_array_get_idx(v, i);
			int64_t amount;
			if (!jget(g, "gateway") || bh_loop_json_money(jget(g, "amount"), &amount) || amount < 0)
				ERR(400, "refunds[%zu] needs gateway and a decimal amount", i);
			r->forced_refunds[r->n_forced_refunds].gateway = jdup(g, "gateway");
			r->forced_refunds[r->n_forced_refunds].amount = amount;
			r->n_forced_refunds++;
		}
	}

	/* --- the order's header data --- */
	r->order_name = jdup(o, "name");
	{
		int64_t num = 0, onum = 0;
		bool has_num = bh_loop_json_int64(jget(o, "number"), &num) == 0;
		bool has_onum = bh_loop_json_int64(jget(o, "order_number"), &onum) == 0;
		if (!has_onum) {
			const char *p = r->order_name;
			while (*p && (*p < '0' || *p > '9'))
				p++;
			onum = strtoll(p, NULL, 10);
		}
		if (!has_num)
			num = onum > 1000 ? onum - 1000 : onum;
		r->order_number = num;
		r->provider_order_number = onum;
	}
	r->currency = (v = jget(o, "currency")) ? bh_loop_strdup(json_object_get_string(v))
						: bh_loop_strdup("USD");
	cust = jget(o, "customer");
	addr = jget(o, "shipping_address");
	if (!addr)
		addr = jget(o, "billing_address");
	r->email = jget(o, "email") ? jdup(o, "email") : jdup(cust, "email");
	r->first_name = jget(cust, "first_name") ? jdup(cust, "first_name") : jdup(addr, "first_name");
	r->last_name = jget(cust, "last_name") ? jdup(cust, "last_name") : jdup(addr, "last_name");
	if (cust)
		bh_loop_json_int64(jget(cust, "id"), &r->customer_id);
	r->addr.name = jdup(addr, "name");
	r->addr.company = jdup(addr, "company");
	r->addr.address1 = jdup(addr, "address1");
	r->addr.address2 = jdup(addr, "address2");
	r->addr.city = jdup(addr, "city");
	r->addr.state = jdup(addr, "province");
	r->addr.zip = jdup(addr, "zip");
	r->addr.country = jdup(addr, "country");
	r->addr.country_code = jdup(addr, "country_code");
	r->addr.phone = jdup(addr, "phone");
	if (!r->email || !r->first_name || !r->last_name || !r->addr.phone || !r->currency)
		ERR(500, "out of memory");

	/* --- tenders --- */
	txs = jget(o, "transactions");
	if (txs && json_object_is_type(txs, json_type_array))
		tenders_from(r, txs);
	if (!r->n_tenders) {
		struct json_object *t;
		snprintf(path, sizeof(path), "/orders/%lld/transactions", (long long)provider_id);
		t = shopify_get(path, &st);
		if (jget(t, "transactions"))
			tenders_from(r, jget(t, "transactions"));
		json_object_put(t);
	}
	if (!r->n_tenders) {
		struct json_object *names = jget(o, "payment_gateway_names");
		int64_t total;
		if (names && json_object_array_length(names) > 0 &&
		    bh_loop_json_money(jget(o, "total_price"), &total) == 0 && total > 0)
			add_tender(r, json_object_get_string(json_object_array_get_idx(names, 0)), total);
	}

	/* --- units: amounts per unit from the Shopify lines (no lock needed yet) --- */
	r->lines = calloc((size_t)units, sizeof(*r->lines));
	if (!r->lines)
		ERR(500, "out of memory");
	for (size_t w = 0; w < n_want; w++) {
		struct json_object *ol = NULL, *spec = want[w].spec;
		int64_t price, disc, tax, q;
		int bad = 0;
		for (size_t j = 0; j < json_object_array_length(olines); j++) {
			int64_t id;
			struct json_object *c = json_object_array_get_idx(olines, j);
			if (bh_loop_json_int64(jget(c, "id"), &id) == 0 && id == want[w].line_item_id)
				ol = c;
		}
		if (!ol)
			ERR(404, "line item %lld is not on order %s", (long long)want[w].line_item_id,
			    r->order_name);
		if (bh_loop_json_money(jget(ol, "price"), &price) ||
		    bh_loop_json_int64(jget(ol, "quantity"), &q) || q < 1)
			ERR(409, "line item %lld has no price or quantity", (long long)want[w].line_item_id);
		if (jget(ol, "discount_allocations") &&
		    json_object_array_length(jget(ol, "discount_allocations")) > 0)
			disc = sum_money(jget(ol, "discount_allocations"), "amount", &bad);
		else if (jget(ol, "total_discount"))
			bad += bh_loop_json_money(jget(ol, "total_discount"), &disc) != 0;
		else
			disc = 0;
		tax = sum_money(jget(ol, "tax_lines"), "price", &bad);
		if (bad)
			ERR(409, "line item %lld has malformed amounts", (long long)want[w].line_item_id);
		if (!r->tax_title) {
			struct json_object *tl = jget(ol, "tax_lines");
			int64_t ppm_sum = 0, ppm;
			size_t ntl = tl ? json_object_array_length(tl) : 0;
			char rate[32] = "";
			for (size_t k = 0; k < ntl; k++) {
				struct json_object *rt = jget(json_object_array_get_idx(tl, k), "rate");
				if (rt && bh_loop_rate_ppm(json_object_get_string(rt), &ppm) == 0)
					ppm_sum += ppm;
			}
			if (ntl == 1 && jget(json_object_array_get_idx(tl, 0), "rate"))
				snprintf(rate, sizeof(rate), "%s",
					 json_object_get_string(jget(json_object_array_get_idx(tl, 0), "rate")));
			else if (ntl > 1)
				ppm_fmt(ppm_sum, rate, sizeof(rate));
			r->tax_title = ntl ? jdup(json_object_array_get_idx(tl, 0), "title")
					   : bh_loop_strdup("Tax");
			r->tax_rate = bh_loop_strdup(rate);
			r->tax_rate_ppm = ppm_sum;
		}
		for (int k = 0; k < want[w].quantity; k++) {
			struct bh_loop_line *l = &r->lines[r->n_lines++];
			const char *nm = jget(ol, "name") ? json_object_get_string(jget(ol, "name"))
							    : jget(ol, "title") ? json_object_get_string(jget(ol, "title"))
									       : "";
			l->provider_line_item_id = want[w].line_item_id;
			bh_loop_json_int64(jget(ol, "product_id"), &l->product_id);
			bh_loop_json_int64(jget(ol, "variant_id"), &l->variant_id);
			l->sku = jdup(ol, "sku");
			l->title = bh_loop_strdup(nm);
			l->barcode = jdup(ol, "barcode");
			l->price = price;
			/* slot-dependent shares are filled once the slot is known (under lock) */
			l->discount = disc;
			l->tax = tax;
			l->slot = (int)q; /* quantity, temporarily */
			l->reason = jget(spec, "reason") ? jdup(spec, "reason")
				    : jget(spec, "return_reason") ? jdup(spec, "return_reason")
								  : bh_loop_strdup("Other");
			l->parent_reason = jget(spec, "parent_reason") ? jdup(spec, "parent_reason") : NULL;
			l->comment = jdup(spec, "comment");
			l->exchange_variant = bh_loop_strdup("");
			if (!l->sku || !l->title || !l->reason || !l->comment || !l->exchange_variant)
				ERR(500, "out of memory");
		}
	}

	/* --- exchange items --- */
	if (r->outcome == BH_LOOP_OUT_EXCHANGE) {
		struct json_object *ex = jget(body, "exchange");
		size_t n = ex && json_object_is_type(ex, json_type_array) ? json_object_array_length(ex) : 0;
		if (!n)
			ERR(400, "the exchange outcome needs exchange: [{sku, price}]");
		if (n > r->n_lines)
			ERR(400, "more exchange items (%zu) than returned units (%zu)", n, r->n_lines);
		r->exchanges = calloc(n, sizeof(*r->exchanges));
		if (!r->exchanges)
			ERR(500, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct json_object *x = json_object_array_get_idx(ex, i);
			struct bh_loop_exchange *e = &r->exchanges[r->n_exchanges];
			if (!jget(x, "sku") || bh_loop_json_money(jget(x, "price"), &e->price) || e->price < 0)
				ERR(400, "exchange[%zu] needs sku and a decimal price", i);
			e->sku = jdup(x, "sku");
			e->title = jget(x, "title") ? jdup(x, "title") : jdup(x, "sku");
			r->n_exchanges++;
			bh_loop_json_int64(jget(x, "variant_id"), &e->variant_id);
			bh_loop_json_int64(jget(x, "product_id"), &e->product_id);
			if (jget(x, "discount") && (bh_loop_json_money(jget(x, "discount"), &e->discount) ||
						    e->discount < 0 || e->discount > e->price))
				ERR(400, "exchange[%zu].discount must be a decimal within the price", i);
			if (jget(x, "tax")) {
				if (bh_loop_json_money(jget(x, "tax"), &e->tax) || e->tax < 0)
					ERR(400, "exchange[%zu].tax must be a decimal string", i);
			} else {
				/* the original order's rate, half-up to the cent */
				e->tax = ((e->price - e->discount) * r->tax_rate_ppm + 500000) / 1000000;
			}
			r->lines[i].exchange = true;
			free(r->lines[i].exchange_variant);
			r->lines[i].exchange_variant = bh_loop_strdup(e->title);
		}
	} else if (jget(body, "exchange")) {
		ERR(400, "exchange items need outcome \"exchange\"");
	}

	/* --- under the lock: order bookkeeping, units, ids --- */
	pthread_mutex_lock(&s->lock);
	locked = true;
	{
		struct bh_loop_order *ord = bh_loop_order_get(s, provider_id);
		if (!ord) {
			ord = calloc(1, sizeof(*ord));
			if (!ord)
				ERR(500, "out of memory");
			ord->provider_id = provider_id;
			ord->name = bh_loop_strdup(r->order_name);
			ord->lines = calloc(json_object_array_length(olines) + 1, sizeof(*ord->lines));
			if (!ord->name || !ord->lines || bh_loop_map_put(&s->orders, provider_id, ord)) {
				bh_loop_order_free(ord);
				ERR(500, "out of memory");
			}
			ord->loop_id = s->next_loop_order_id++;
			bh_loop_map_put(&s->names, (int64_t)bh_loop_fnv64(ord->name[0] == '#' ? ord->name + 1
											      : ord->name),
					ord);
		}
		r->order = ord;
		/* make sure every requested Shopify line is known with its quantity */
		for (size_t i = 0; i < r->n_lines; i++) {
			struct bh_loop_line *l = &r->lines[i];
			struct bh_loop_oline *found = NULL;
			for (size_t j = 0; j < ord->n_lines; j++)
				if (ord->lines[j].id == l->provider_line_item_id)
					found = &ord->lines[j];
			if (!found) {
				struct bh_loop_oline *nl = realloc(ord->lines, (ord->n_lines + 1) * sizeof(*nl));
				if (!nl)
					ERR(500, "out of memory");
				ord->lines = nl;
				found = &nl[ord->n_lines];
				found->id = l->provider_line_item_id;
				found->quantity = l->slot;
				found->used = calloc((size_t)l->slot, 1);
				if (!found->used)
					ERR(500, "out of memory");
				ord->n_lines++;
			}
		}
		/* availability per line, then take the lowest free slots */
		for (size_t w = 0; w < n_want; w++) {
			int64_t asked = 0;
			struct bh_loop_oline *ol = NULL;
			int free_units = 0;
			for (size_t k = 0; k < n_want; k++)
				if (want[k].line_item_id == want[w].line_item_id)
					asked += want[k].quantity;
			for (size_t j = 0; j < ord->n_lines; j++)
				if (ord->lines[j].id == want[w].line_item_id)
					ol = &ord->lines[j];
			for (int k = 0; k < ol->quantity; k++)
				free_units += !ol->used[k];
			if (asked > free_units) {
				const char *sku = "";
				for (size_t i = 0; i < r->n_lines; i++)
					if (r->lines[i].provider_line_item_id == ol->id)
						sku = r->lines[i].sku;
				ERR(409,
				    "over-return: line item %lld (%s) has %d unit(s) bought, %d already in returns; %lld requested",
				    (long long)ol->id, sku, ol->quantity, ol->quantity - free_units,
				    (long long)asked);
			}
		}
		for (size_t i = 0; i < r->n_lines; i++) {
			struct bh_loop_line *l = &r->lines[i];
			struct bh_loop_oline *ol = NULL;
			int64_t q = l->slot, dtot = l->discount, ttot = l->tax;
			for (size_t j = 0; j < ord->n_lines; j++)
				if (ord->lines[j].id == l->provider_line_item_id)
					ol = &ord->lines[j];
			for (int k = 0; k < ol->quantity; k++)
				if (!ol->used[k]) {
					ol->used[k] = 1;
					l->slot = k;
					break;
				}
			l->discount = dtot / q + (l->slot < dtot % q ? 1 : 0);
			l->tax = ttot / q + (l->slot < ttot % q ? 1 : 0);
			l->id = s->next_line_id++;
			l->returned_ms = created ? created : now;
		}
	}
	for (size_t i = 0; i < r->n_exchanges; i++)
		r->exchanges[i].id = s->next_exchange_id++;
	{
		struct bh_loop_amounts a;
		bh_loop_amounts(r, &a);
		if (r->handling_fee > a.total) {
			bh_loop_release_units(r);
			ERR(400, "handling_fee %lld.%02lld exceeds the return total",
			    (long long)(r->handling_fee / 100), (long long)(r->handling_fee % 100));
		}
	}
	r->state = BH_LOOP_OPEN;
	r->created_ms = created ? created : now;
	r->updated_ms = r->created_ms;
	v = jget(body, "label");
	if (v ? json_object_get_boolean(v) : s->set.label_at_create) {
		char trk[40];
		snprintf(trk, sizeof(trk), "9400%018lld", (long long)(++s->tracking_seq + r->created_ms % 100000000));
		r->carrier = jget(body, "carrier") ? jdup(body, "carrier") : bh_loop_strdup("USPS");
		r->tracking_number = jget(body, "tracking_number") ? jdup(body, "tracking_number")
								    : bh_loop_strdup(trk);
		r->label_status = jget(body, "label_status") ? jdup(body, "label_status")
							      : bh_loop_strdup("new");
	} else {
		r->carrier = bh_loop_strdup("");
		r->tracking_number = bh_loop_strdup("N/A");
		r->label_status = bh_loop_strdup("pending");
	}
	r->label_updated_ms = r->created_ms;
	if (bh_loop_add_return(s, r)) {
		bh_loop_release_units(r);
		ERR(500, "out of memory");
	}
	bh_loop_emit(s, &ob, r, "return.created");
	if (strcmp(r->label_status, "pending") != 0)
		bh_loop_emit(s, &ob, r, "label.created");
	{
		size_t n;
		const char *t = bh_loop_render(s, r, &n);
		bh_loop_reply_raw(resp, 200, t, n);
	}
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
	json_object_put(order);
	free(want);
	return 0;
fail:
	if (locked)
		pthread_mutex_unlock(&s->lock);
	{
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "error", json_object_new_string(err));
		bh_loop_reply(resp, err_status, e);
	}
	bh_loop_return_free(r);
	json_object_put(order);
	free(want);
	return BH_EINVAL;
}
