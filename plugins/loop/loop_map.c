/*
 * loop_map.c - a Loop return object to the canonical `return/1` body (see loop_map.h).
 *
 * Ownership: the Loop object is borrowed; the built object belongs to the caller.
 * Threading: pure functions, no shared state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "loop_map.h"
#include "loop_time.h"
#include "money.h"

/* ------------------------------------------------------------------ helpers --- */

static json_object *member(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v; /* NULL for JSON null */
}

static const char *str_of(json_object *o, const char *k)
{
	json_object *v = member(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool bh_loop_json_id(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v = member(o, key);
	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		/* json-c keeps integers exact as int64: Shopify ids exceed 2^53 */
		errno = 0;
		int64_t n = json_object_get_int64(v);
		if (errno || n < 0)
			return false;
		snprintf(buf, len, "%" PRId64, n);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	size_t n = strlen(s);
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\\')
			return false;
	memcpy(buf, s, n + 1);
	return true;
}

/* A money member into cents. Absent, null or "" -> 0 with *present false. */
static int money_of(json_object *o, const char *k, int64_t *cents, bool *present,
		    const char *where, char *err, size_t errlen)
{
	json_object *v = member(o, k);
	const char *text = NULL;
	*cents = 0;
	if (present)
		*present = false;
	if (!v)
		return BH_OK;
	if (json_object_is_type(v, json_type_string)) {
		text = json_object_get_string(v);
		if (!*text)
			return BH_OK;
	} else if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		if (n > INT64_MAX / 100 || n < -(INT64_MAX / 100))
			goto bad;
		*cents = n * 100;
		if (present)
			*present = true;
		return BH_OK;
	} else if (json_object_is_type(v, json_type_double)) {
		/* a number as parsed keeps its source text: never go through the double */
		text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	} else {
		goto bad;
	}
	if (bh_money_parse(text, cents) != 0)
		goto bad;
	if (present)
		*present = true;
	return BH_OK;
bad:
	snprintf(err, errlen, "%s%s%s is not an amount with at most two decimals: %s", where,
		 *where ? "." : "", k, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return BH_EPROTO;
}

static json_object *jmoney(int64_t cents)
{
	char buf[32];
	return json_object_new_string(bh_money_format(cents, buf, sizeof(buf)));
}

static json_object *jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *jtime(json_object *o, const char *k)
{
	int64_t ms;
	char buf[40];
	const char *s = str_of(o, k);
	if (!s || bh_loop_time_parse(s, &ms) != 0)
		return NULL;
	return json_object_new_string(bh_loop_time_fmt(ms, buf, sizeof(buf)));
}

static int64_t time_of(json_object *o, const char *k)
{
	int64_t ms;
	const char *s = str_of(o, k);
	return s && bh_loop_time_parse(s, &ms) == 0 ? ms : 0;
}

/* ----------------------------------------------------------------- identity --- */

static const char *const known_states[] = {"open", "closed", "cancelled", "expired", "review"};

int bh_loop_return_info(json_object *lr, struct bh_loop_info *info, char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	if (!lr || !json_object_is_type(lr, json_type_object)) {
		snprintf(err, errlen, "a return must be a JSON object");
		return BH_EPROTO;
	}
	if (!bh_loop_json_id(lr, "id", info->id, sizeof(info->id))) {
		snprintf(err, errlen, "the return has no id");
		return BH_EPROTO;
	}
	const char *st = str_of(lr, "state");
	if (st && strcmp(st, "needs review") == 0)
		st = "review"; /* the webhook documentation's spelling */
	bool known = false;
	for (size_t i = 0; st && i < sizeof(known_states) / sizeof(known_states[0]); i++)
		known = known || strcmp(st, known_states[i]) == 0;
	if (!known) {
		snprintf(err, errlen, "return %s has %s state%s%s", info->id, st ? "an unknown" : "no",
			 st ? " " : "", st ? st : "");
		return BH_EPROTO;
	}
	snprintf(info->state, sizeof(info->state), "%s", st);
	info->created_ms = time_of(lr, "created_at");
	info->updated_ms = time_of(lr, "updated_at");
	if (!info->updated_ms) {
		/* older payloads (the 2019 list, the 2020 webhooks) carry no updated_at */
		int64_t c[3] = {time_of(lr, "edited_at"), time_of(lr, "label_updated_at"),
				info->created_ms};
		for (int i = 0; i < 3; i++)
			if (c[i] > info->updated_ms)
				info->updated_ms = c[i];
	}
	if (info->updated_ms)
		bh_loop_time_fmt(info->updated_ms, info->updated_at, sizeof(info->updated_at));
	/* Processing: Loop's was_processed (boolean) and outcomes.return_processed (the
	 * time the outcomes were fulfilled, null until then). The 2019/2020 payloads carry
	 * neither: unknown. */
	json_object *wp = member(lr, "was_processed"), *oc = member(lr, "outcomes");
	bool has_wp = wp && json_object_is_type(wp, json_type_boolean);
	bool has_oc = oc && json_object_is_type(oc, json_type_object);
	const char *when = str_of(oc, "return_processed");
	info->was_processed = (has_wp && json_object_get_boolean(wp)) || (when && *when);
	info->processed = info->was_processed ? 1 : has_wp || has_oc ? 0 : -1;
	return BH_OK;
}

/* -------------------------------------------------------------------- lines --- */

struct group {
	char line_id[32];       /* Shopify line item id ("" when unknown) */
	const char *sku;        /* borrowed from the Loop object */
	const char *title;
	int64_t price, discount, tax, refund;
	int64_t quantity;
	bool exchange;
	json_object *unit_ids;  /* Loop line_item_ids */
};

struct lines {
	struct group *g;
	size_t n, cap;
	int64_t price_sum, discount_sum, tax_sum;
};

static void lines_free(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		json_object_put(ls->g[i].unit_ids);
	free(ls->g);
}

static bool unit_is_exchange(json_object *u)
{
	const char *oc = str_of(u, "outcome"), *xv = str_of(u, "exchange_variant");
	return (oc && strcmp(oc, "exchange") == 0) || (xv && *xv);
}

static int collect_lines(json_object *lr, const char *rid, struct lines *ls,
			 struct bh_loop_info *info, char *err, size_t errlen)
{
	json_object *items = member(lr, "line_items");
	json_object *seen = json_object_new_object();
	int rc = BH_OK;
	if (!seen)
		return BH_ENOMEM;
	size_t n = items && json_object_is_type(items, json_type_array)
			   ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(items, i);
		char where[96], uid[32] = "", plid[32] = "";
		int64_t price, discount, tax, refund;
		bool has_refund;

		if (!json_object_is_type(u, json_type_object)) {
			snprintf(err, errlen, "return %s: line_items[%zu] is not an object", rid, i);
			rc = BH_EPROTO;
			goto out;
		}
		snprintf(where, sizeof(where), "return %s line_items[%zu]", rid, i);
		if (bh_loop_json_id(u, "line_item_id", uid, sizeof(uid))) {
			if (json_object_object_get_ex(seen, uid, NULL)) {
				info->dup_units++;
				continue;
			}
			json_object_object_add(seen, uid, NULL);
		}
		bh_loop_json_id(u, "provider_line_item_id", plid, sizeof(plid));
		if ((rc = money_of(u, "price", &price, NULL, where, err, errlen)) ||
		    (rc = money_of(u, "discount", &discount, NULL, where, err, errlen)) ||
		    (rc = money_of(u, "tax", &tax, NULL, where, err, errlen)) ||
		    (rc = money_of(u, "refund", &refund, &has_refund, where, err, errlen)))
			goto out;
		if (!has_refund)
			refund = price - discount + tax;
		const char *sku = str_of(u, "sku");
		bool ex = unit_is_exchange(u);
		struct group *g = NULL;
		for (size_t k = 0; k < ls->n; k++) {
			struct group *c = &ls->g[k];
			if (strcmp(c->line_id, plid) == 0 && strcmp(c->sku ? c->sku : "", sku ? sku : "") == 0 &&
			    c->price == price && c->exchange == ex) {
				g = c;
				break;
			}
		}
		if (!g) {
			if (ls->n == ls->cap) {
				size_t cap = ls->cap ? ls->cap * 2 : 8;
				struct group *ng = realloc(ls->g, cap * sizeof(*ng));
				if (!ng) {
					rc = BH_ENOMEM;
					goto out;
				}
				ls->g = ng;
				ls->cap = cap;
			}
			g = &ls->g[ls->n++];
			memset(g, 0, sizeof(*g));
			snprintf(g->line_id, sizeof(g->line_id), "%s", plid);
			g->sku = sku;
			g->title = str_of(u, "title");
			g->price = price;
			g->exchange = ex;
			g->unit_ids = json_object_new_array();
		}
		g->quantity++;
		g->discount += discount;
		g->tax += tax;
		g->refund += refund;
		if (uid[0])
			json_object_array_add(g->unit_ids, json_object_new_string(uid));
		ls->price_sum += price;
		ls->discount_sum += discount;
		ls->tax_sum += tax;
	}
out:
	json_object_put(seen);
	return rc;
}

/* ------------------------------------------------------------------ totals --- */

struct totals {
	int64_t gross, discount, tax, total;
	int64_t refund, credit, gift_card, exchange, upsell, fee, bonus;
};

static int compute_totals(json_object *lr, const char *rid, const struct lines *ls,
			  struct totals *t, char *err, size_t errlen)
{
	char where[64];
	bool has_gross, has_disc, has_tax, has_total;
	int64_t credit_total, gift_raw, ex_credit;
	int rc;

	snprintf(where, sizeof(where), "return %s", rid);
	memset(t, 0, sizeof(*t));
	if ((rc = money_of(lr, "return_product_total", &t->gross, &has_gross, where, err, errlen)) ||
	    (rc = money_of(lr, "return_discount_total", &t->discount, &has_disc, where, err, errlen)) ||
	    (rc = money_of(lr, "return_tax_total", &t->tax, &has_tax, where, err, errlen)) ||
	    (rc = money_of(lr, "return_total", &t->total, &has_total, where, err, errlen)) ||
	    (rc = money_of(lr, "refund", &t->refund, NULL, where, err, errlen)) ||
	    (rc = money_of(lr, "return_credit_total", &credit_total, NULL, where, err, errlen)) ||
	    (rc = money_of(lr, "gift_card", &gift_raw, NULL, where, err, errlen)) ||
	    (rc = money_of(lr, "exchange_credit_total", &ex_credit, NULL, where, err, errlen)) ||
	    (rc = money_of(lr, "upsell", &t->upsell, NULL, where, err, errlen)) ||
	    (rc = money_of(lr, "handling_fee", &t->fee, NULL, where, err, errlen)))
		return rc;
	if (!has_gross)
		t->gross = ls->price_sum;
	if (!has_disc)
		t->discount = ls->discount_sum;
	if (!has_tax)
		t->tax = ls->tax_sum;
	if (!has_total)
		t->total = t->gross - t->discount + t->tax;
	/* Loop's gift_card also carries store credit issued as a gift card */
	t->gift_card = credit_total > 0 ? (gift_raw > credit_total ? gift_raw - credit_total : 0)
					: gift_raw;
	t->exchange = ex_credit > 0 || t->upsell > 0 ? ex_credit + t->upsell : 0;
	/* a merchant bonus shows as store credit beyond what the return is worth */
	int64_t over = t->refund + credit_total + t->gift_card + t->exchange + t->fee -
		       (t->total + t->upsell);
	if (over > 0 && credit_total > 0)
		t->bonus = over < credit_total ? over : credit_total;
	t->credit = credit_total - t->bonus;
	return BH_OK;
}

static const char *outcome_of(const struct totals *t, const char *loop_outcome)
{
	const char *one = NULL;
	int n = 0;
	if (t->refund) {
		one = "refund";
		n++;
	}
	if (t->credit) {
		one = "credit";
		n++;
	}
	if (t->gift_card) {
		one = "gift_card";
		n++;
	}
	if (t->exchange) {
		one = "exchange";
		n++;
	}
	if (n > 1)
		return "mixed";
	if (n == 1)
		return one;
	if (loop_outcome) {
		if (strcmp(loop_outcome, "credit") == 0 || strcmp(loop_outcome, "store_credit") == 0)
			return "credit";
		if (strcmp(loop_outcome, "exchange") == 0 || strcmp(loop_outcome, "gift_card") == 0)
			return loop_outcome;
	}
	return "refund";
}

/* The outcome of a line whose units were not swapped for an exchange item. */
static const char *plain_line_outcome(const struct totals *t, const char *ret_outcome)
{
	const char *one = NULL;
	int n = 0;
	if (t->refund) {
		one = "refund";
		n++;
	}
	if (t->credit) {
		one = "credit";
		n++;
	}
	if (t->gift_card) {
		one = "gift_card";
		n++;
	}
	if (n > 1)
		return "mixed";
	return n == 1 ? one : ret_outcome;
}

/* -------------------------------------------------------------------- build --- */

static json_object *exchange_obj(json_object *lr, const struct totals *t)
{
	char oid[32] = "";
	const char *name = str_of(lr, "exchange_order_name");
	json_object *xs = member(lr, "exchanges");
	size_t nx = xs && json_object_is_type(xs, json_type_array) ? json_object_array_length(xs) : 0;

	bh_loop_json_id(lr, "exchange_order_id", oid, sizeof(oid));
	if (nx > 0) {
		json_object *x = json_object_array_get_idx(xs, 0);
		if (!oid[0])
			bh_loop_json_id(x, "exchange_order_id", oid, sizeof(oid));
		if (!name || !*name)
			name = str_of(x, "exchange_order_name");
	}
	if (!t->exchange && nx == 0 && !oid[0] && !(name && *name))
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "order_id", jstr_or_null(oid));
	json_object_object_add(o, "order_name", jstr_or_null(name));
	return o;
}

int bh_loop_map_return(json_object *lr, const char *trigger, bool with_error,
		       const char *error, struct bh_loop_info *info, json_object **out,
		       char *err, size_t errlen)
{
	struct lines ls = {0};
	struct totals t;
	char buf[64];
	int rc;

	*out = NULL;
	if ((rc = bh_loop_return_info(lr, info, err, errlen)) != 0)
		return rc;
	if ((rc = collect_lines(lr, info->id, &ls, info, err, errlen)) != 0 ||
	    (rc = compute_totals(lr, info->id, &ls, &t, err, errlen)) != 0)
		goto out;

	const char *outcome = outcome_of(&t, str_of(lr, "outcome"));
	const char *plain = plain_line_outcome(&t, outcome);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "schema", json_object_new_string("return/1"));
	json_object_object_add(o, "id", json_object_new_string(info->id));
	json_object_object_add(o, "state", json_object_new_string(info->state));
	json_object_object_add(o, "trigger", jstr_or_null(trigger));
	json_object_object_add(o, "created_at", jtime(lr, "created_at"));
	json_object_object_add(o, "updated_at", jstr_or_null(info->updated_at));
	json_object_object_add(o, "currency", jstr_or_null(str_of(lr, "currency")));

	json_object *ord = json_object_new_object();
	json_object_object_add(ord, "portal_order_id",
			       bh_loop_json_id(lr, "order_id", buf, sizeof(buf))
				       ? json_object_new_string(buf) : NULL);
	json_object_object_add(ord, "storefront_order_id",
			       bh_loop_json_id(lr, "provider_order_id", buf, sizeof(buf))
				       ? json_object_new_string(buf) : NULL);
	json_object_object_add(ord, "name", jstr_or_null(str_of(lr, "order_name")));
	json_object_object_add(o, "order", ord);

	json_object *cust = json_object_new_object();
	const char *email = str_of(member(lr, "customer_detail"), "email");
	if (!email || !*email)
		email = str_of(lr, "customer");
	json_object_object_add(cust, "email", jstr_or_null(email));
	json_object_object_add(o, "customer", cust);
	json_object_object_add(o, "outcome", json_object_new_string(outcome));

	json_object *lines = json_object_new_array();
	for (size_t i = 0; i < ls.n; i++) {
		struct group *g = &ls.g[i];
		json_object *l = json_object_new_object();
		json_object_object_add(l, "line_item_id", jstr_or_null(g->line_id));
		json_object_object_add(l, "sku", jstr_or_null(g->sku));
		json_object_object_add(l, "title", jstr_or_null(g->title));
		json_object_object_add(l, "quantity", json_object_new_int64(g->quantity));
		json_object_object_add(l, "price", jmoney(g->price));
		json_object_object_add(l, "discount", jmoney(g->discount));
		json_object_object_add(l, "tax", jmoney(g->tax));
		json_object_object_add(l, "refund", jmoney(g->refund));
		json_object_object_add(l, "outcome",
				       json_object_new_string(g->exchange ? "exchange" : plain));
		json_object_object_add(l, "portal_line_ids", json_object_get(g->unit_ids));
		json_object_array_add(lines, l);
	}
	json_object_object_add(o, "lines", lines);

	json_object *tot = json_object_new_object();
	json_object_object_add(tot, "gross", jmoney(t.gross));
	json_object_object_add(tot, "discount", jmoney(t.discount));
	json_object_object_add(tot, "tax", jmoney(t.tax));
	json_object_object_add(tot, "total", jmoney(t.total));
	json_object_object_add(tot, "refund", jmoney(t.refund));
	json_object_object_add(tot, "credit", jmoney(t.credit));
	json_object_object_add(tot, "gift_card", jmoney(t.gift_card));
	json_object_object_add(tot, "exchange", jmoney(t.exchange));
	json_object_object_add(tot, "upsell", jmoney(t.upsell));
	json_object_object_add(tot, "handling_fee", jmoney(t.fee));
	json_object_object_add(tot, "bonus", jmoney(t.bonus));
	json_object_object_add(o, "totals", tot);

	json_object *refunds = json_object_new_array(), *lrf = member(lr, "refunds");
	size_t nr = lrf && json_object_is_type(lrf, json_type_array) ? json_object_array_length(lrf) : 0;
	for (size_t i = 0; i < nr; i++) {
		json_object *r = json_object_array_get_idx(lrf, i), *c;
		int64_t amount;
		char where[96];
		snprintf(where, sizeof(where), "return %s refunds[%zu]", info->id, i);
		if ((rc = money_of(r, "amount", &amount, NULL, where, err, errlen)) != 0) {
			json_object_put(refunds);
			json_object_put(o);
			goto out;
		}
		c = json_object_new_object();
		json_object_object_add(c, "gateway", jstr_or_null(str_of(r, "gateway")));
		json_object_object_add(c, "amount", jmoney(amount));
		json_object_array_add(refunds, c);
	}
	json_object_object_add(o, "refunds", refunds);
	json_object_object_add(o, "exchange", exchange_obj(lr, &t));
	json_object_object_add(o, "flagged", json_object_new_boolean(strcmp(info->state, "review") == 0));
	json_object_object_add(o, "processed", info->processed < 0 ? NULL
					       : json_object_new_boolean(info->processed));
	if (with_error)
		json_object_object_add(o, "error", jstr_or_null(error));
	*out = o;
out:
	lines_free(&ls);
	return rc;
}
