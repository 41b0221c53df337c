/*
 * shopify_map.c - a complete GraphQL Admin API Order node -> canonical order/1
 * (sdk/RECORDS.md), exactly: every amount is parsed from Shopify's decimal strings into
 * integer cents and summed in cents; ids are the numeric tails of the gids, as strings,
 * so ids beyond 2^53 stay exact; times are normalised to UTC.
 *
 * The node is the selection of shopify_query.c (BhOrder) with every connection page
 * already fetched. Exchange orders are recognised here (name prefix and/or tag); the
 * original's id is looked up by shopify_exchange.c.
 *
 * Ownership: the node is borrowed; *out is a new object for the caller.
 * Threading: pure, any thread.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shopify.h"

struct mctx {
	char *err;
	size_t errlen;
	int64_t *dapp;      /* allocated cents per discount application index */
	size_t ndapp;
};

static int fail(struct mctx *m, const char *fmt, ...) BH_PRINTF(2, 3);

static int fail(struct mctx *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
	return BH_EPROTO;
}

/* shopMoney.amount of a MoneyBag member, in cents. An absent bag is 0 when optional. */
static int bag(struct mctx *m, json_object *o, const char *key, bool required, int64_t *cents)
{
	json_object *b = bh_shopify_get(o, key);
	const char *a;
	*cents = 0;
	if (!b || json_object_is_type(b, json_type_null))
		return required ? fail(m, "order field %s is missing", key) : BH_OK;
	a = bh_shopify_str(bh_shopify_get(b, "shopMoney"), "amount");
	if (!a || bh_shopify_cents(a, cents) != BH_OK)
		return fail(m, "amount of %s is not an exact decimal", key);
	return BH_OK;
}

static json_object *nodes(json_object *conn)
{
	json_object *n = bh_shopify_get(conn, "nodes");
	return n && json_object_is_type(n, json_type_array) ? n : NULL;
}

static json_object *list(json_object *o, const char *key)
{
	json_object *n = bh_shopify_get(o, key);
	return n && json_object_is_type(n, json_type_array) ? n : NULL;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int id_member(struct mctx *m, json_object *o, const char *key, json_object *dst,
		     const char *as, bool required)
{
	char id[32];
	const char *g = bh_shopify_str(o, key);
	if (!g) {
		if (required)
			return fail(m, "missing %s", key);
		json_object_object_add(dst, as, NULL);
		return BH_OK;
	}
	if (bh_shopify_gid_tail(g, id, sizeof(id)) != BH_OK)
		return fail(m, "malformed id %s", g);
	json_object_object_add(dst, as, json_object_new_string(id));
	return BH_OK;
}

static int time_member(struct mctx *m, json_object *o, const char *key, json_object *dst,
		       const char *as, bool required)
{
	char t[32];
	const char *v = bh_shopify_str(o, key);
	if (!v) {
		if (required)
			return fail(m, "missing %s", key);
		json_object_object_add(dst, as, NULL);
		return BH_OK;
	}
	if (bh_shopify_time_utc(v, t, sizeof(t)) != BH_OK)
		return fail(m, "malformed time %s", v);
	json_object_object_add(dst, as, json_object_new_string(t));
	return BH_OK;
}

static void add_dapp(struct mctx *m, json_object *alloc, int64_t cents)
{
	json_object *ix = bh_shopify_path(alloc, "discountApplication.index");
	int64_t i;
	if (!ix || !json_object_is_type(ix, json_type_int))
		return;
	i = json_object_get_int64(ix);
	if (i < 0 || i > 4096)
		return;
	if ((size_t)i >= m->ndapp) {
		size_t nn = (size_t)i + 8;
		int64_t *p = realloc(m->dapp, nn * sizeof(*p));
		if (!p)
			return;
		memset(p + m->ndapp, 0, (nn - m->ndapp) * sizeof(*p));
		m->dapp = p;
		m->ndapp = nn;
	}
	m->dapp[i] += cents;
}

/* Σ discountAllocations of an item (line or shipping line), also per application. */
static int allocations(struct mctx *m, json_object *item, int64_t *sum)
{
	json_object *a = list(item, "discountAllocations");
	*sum = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *al = json_object_array_get_idx(a, i);
		int64_t c;
		int rc = bag(m, al, "allocatedAmountSet", true, &c);
		if (rc)
			return rc;
		*sum += c;
		add_dapp(m, al, c);
	}
	return BH_OK;
}

/* Σ taxLines and their canonical copies. */
static int tax_lines(struct mctx *m, json_object *item, int64_t *sum, json_object **out)
{
	json_object *t = list(item, "taxLines"), *arr = json_object_new_array();
	*sum = 0;
	for (size_t i = 0; t && i < json_object_array_length(t); i++) {
		json_object *tl = json_object_array_get_idx(t, i), *c, *rate;
		int64_t cents;
		int rc = bag(m, tl, "priceSet", true, &cents);
		if (rc) {
			json_object_put(arr);
			return rc;
		}
		*sum += cents;
		c = json_object_new_object();
		json_object_object_add(c, "title", str_or_null(bh_shopify_str(tl, "title")));
		rate = bh_shopify_get(tl, "rate");
		/* the rate as Shopify wrote it ("0.06"): json-c keeps a parsed number's text */
		json_object_object_add(c, "rate",
				       rate && !json_object_is_type(rate, json_type_null)
					       ? json_object_new_string(json_object_get_string(rate))
					       : NULL);
		json_object_object_add(c, "amount", bh_shopify_money(cents));
		json_object_array_add(arr, c);
	}
	*out = arr;
	return BH_OK;
}

struct totals {
	int64_t subtotal, discount, shipping, tax;
};

static int map_lines(struct mctx *m, json_object *node, json_object *out, struct totals *t)
{
	json_object *ln = nodes(bh_shopify_get(node, "lineItems")), *arr = json_object_new_array();
	json_object_object_add(out, "lines", arr);
	if (!ln)
		return fail(m, "order has no lineItems");
	for (size_t i = 0; i < json_object_array_length(ln); i++) {
		json_object *l = json_object_array_get_idx(ln, i), *c = json_object_new_object(), *tl;
		json_object *q = bh_shopify_get(l, "quantity"), *cq = bh_shopify_get(l, "currentQuantity");
		int64_t price, disc, tax, qty;
		int rc;
		json_object_array_add(arr, c);
		if ((rc = id_member(m, l, "id", c, "id", true)))
			return rc;
		json_object_object_add(c, "sku", str_or_null(bh_shopify_str(l, "sku")));
		json_object_object_add(c, "title", str_or_null(bh_shopify_str(l, "title")));
		if (!q || !json_object_is_type(q, json_type_int))
			return fail(m, "line item without %s", "quantity");
		qty = json_object_get_int64(q);
		json_object_object_add(c, "quantity", json_object_new_int64(qty));
		if ((rc = bag(m, l, "originalUnitPriceSet", true, &price)) ||
		    (rc = allocations(m, l, &disc)) || (rc = tax_lines(m, l, &tax, &tl)))
			return rc;
		json_object_object_add(c, "price", bh_shopify_money(price));
		json_object_object_add(c, "discount", bh_shopify_money(disc));
		json_object_object_add(c, "tax", bh_shopify_money(tax));
		json_object_object_add(c, "tax_lines", tl);
		json_object_object_add(c, "current_quantity",
				       cq && json_object_is_type(cq, json_type_int)
					       ? json_object_new_int64(json_object_get_int64(cq))
					       : NULL);
		json_object_object_add(c, "gift_card",
				       json_object_new_boolean(json_object_get_boolean(
					       bh_shopify_get(l, "isGiftCard"))));
		t->subtotal += price * qty;
		t->discount += disc;
		t->tax += tax;
	}
	return BH_OK;
}

static int map_shipping(struct mctx *m, json_object *node, json_object *out, struct totals *t)
{
	json_object *sl = nodes(bh_shopify_get(node, "shippingLines")), *arr = json_object_new_array();
	json_object_object_add(out, "shipping", arr);
	for (size_t i = 0; sl && i < json_object_array_length(sl); i++) {
		json_object *s = json_object_array_get_idx(sl, i), *c = json_object_new_object(), *tl;
		int64_t price, disc, tax;
		int rc;
		json_object_array_add(arr, c);
		json_object_object_add(c, "title", str_or_null(bh_shopify_str(s, "title")));
		json_object_object_add(c, "code", str_or_null(bh_shopify_str(s, "code")));
		if ((rc = bag(m, s, "originalPriceSet", true, &price)) ||
		    (rc = allocations(m, s, &disc)) || (rc = tax_lines(m, s, &tax, &tl)))
			return rc;
		json_object_object_add(c, "price", bh_shopify_money(price));
		json_object_object_add(c, "discount", bh_shopify_money(disc));
		json_object_object_add(c, "tax", bh_shopify_money(tax));
		json_object_object_add(c, "tax_lines", tl);
		t->shipping += price;
		t->discount += disc;
		t->tax += tax;
	}
	return BH_OK;
}

static void map_discounts(struct mctx *m, json_object *node, json_object *out)
{
	json_object *da = nodes(bh_shopify_get(node, "discountApplications"));
	json_object *arr = json_object_new_array();
	json_object_object_add(out, "discounts", arr);
	for (size_t i = 0; da && i < json_object_array_length(da); i++) {
		json_object *d = json_object_array_get_idx(da, i), *c = json_object_new_object();
		json_object *ix = bh_shopify_get(d, "index");
		const char *vt = bh_shopify_str(bh_shopify_get(d, "value"), "__typename");
		const char *code = bh_shopify_str(d, "code"), *tt = bh_shopify_str(d, "targetType");
		int64_t idx = ix && json_object_is_type(ix, json_type_int) ? json_object_get_int64(ix)
									   : (int64_t)i;
		char low[32] = "";
		if (!code)
			code = bh_shopify_str(d, "title");
		json_object_object_add(c, "code", str_or_null(code));
		json_object_object_add(c, "type",
				       json_object_new_string(vt && strcmp(vt, "PricingPercentageValue") == 0
								      ? "percentage"
								      : "fixed_amount"));
		json_object_object_add(c, "amount",
				       bh_shopify_money(idx >= 0 && (size_t)idx < m->ndapp ? m->dapp[idx]
											: 0));
		for (size_t k = 0; tt && tt[k] && k < sizeof(low) - 1; k++)
			low[k] = (char)tolower((unsigned char)tt[k]);
		json_object_object_add(c, "target", tt ? json_object_new_string(low) : NULL);
		json_object_array_add(arr, c);
	}
}

const char *bh_shopify_tender_kind(const struct bh_shopify_map_opts *o, const char *gateway)
{
	if (!gateway || !*gateway)
		return "other";
	if (bh_shopify_in_list(o->gift_card_gateways, gateway))
		return "gift_card";
	if (bh_shopify_in_list(o->store_credit_gateways, gateway))
		return "store_credit";
	if (bh_shopify_in_list(o->other_gateways, gateway))
		return "other";
	return "card";
}

static bool captured(json_object *tx)
{
	const char *k = bh_shopify_str(tx, "kind"), *s = bh_shopify_str(tx, "status");
	return k && s && (strcasecmp(k, "SALE") == 0 || strcasecmp(k, "CAPTURE") == 0) &&
	       strcasecmp(s, "SUCCESS") == 0;
}

/* tenders: captured amounts per gateway, in order of first appearance */
static int map_tenders(struct mctx *m, const struct bh_shopify_map_opts *o, json_object *node,
		       json_object *out)
{
	json_object *tx = list(node, "transactions"), *arr = json_object_new_array();
	int64_t *sums = NULL;
	const char **gw = NULL;
	size_t n = 0, cap = tx ? json_object_array_length(tx) : 0;
	int rc = BH_OK;
	json_object_object_add(out, "tenders", arr);
	if (cap == 0)
		return BH_OK;
	sums = calloc(cap, sizeof(*sums));
	gw = calloc(cap, sizeof(*gw));
	if (!sums || !gw) {
		rc = BH_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cap; i++) {
		json_object *t = json_object_array_get_idx(tx, i);
		const char *g = bh_shopify_str(t, "gateway");
		int64_t c;
		size_t k;
		if (!captured(t))
			continue;
		if ((rc = bag(m, t, "amountSet", true, &c)))
			goto out;
		if (!g)
			g = "";
		for (k = 0; k < n && strcmp(gw[k], g) != 0; k++)
			;
		if (k == n)
			gw[n++] = g;
		sums[k] += c;
	}
	for (size_t k = 0; k < n; k++) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "gateway", json_object_new_string(gw[k]));
		json_object_object_add(c, "kind", json_object_new_string(bh_shopify_tender_kind(o, gw[k])));
		json_object_object_add(c, "amount", bh_shopify_money(sums[k]));
		json_object_array_add(arr, c);
	}
out:
	free(sums);
	free(gw);
	return rc;
}

static json_object *lower_str(const char *s)
{
	char b[64];
	size_t k = 0;
	if (!s)
		return NULL;
	for (; s[k] && k < sizeof(b) - 1; k++)
		b[k] = (char)tolower((unsigned char)s[k]);
	b[k] = '\0';
	return json_object_new_string(b);
}

static int map_refunds(struct mctx *m, json_object *node, json_object *out)
{
	json_object *rf = list(node, "refunds"), *arr = json_object_new_array();
	json_object_object_add(out, "refunds", arr);
	for (size_t i = 0; rf && i < json_object_array_length(rf); i++) {
		json_object *r = json_object_array_get_idx(rf, i), *c = json_object_new_object();
		json_object *lines = json_object_new_array(), *txs = json_object_new_array();
		json_object *rl = nodes(bh_shopify_get(r, "refundLineItems"));
		json_object *rt = nodes(bh_shopify_get(r, "transactions"));
		int64_t amount;
		int rc;
		json_object_array_add(arr, c);
		if ((rc = id_member(m, r, "id", c, "id", true)) ||
		    (rc = time_member(m, r, "createdAt", c, "created_at", false))) {
			json_object_put(lines);
			json_object_put(txs);
			return rc;
		}
		json_object_object_add(c, "note", str_or_null(bh_shopify_str(r, "note")));
		json_object_object_add(c, "lines", lines);
		json_object_object_add(c, "transactions", txs);
		if ((rc = bag(m, r, "totalRefundedSet", false, &amount)))
			return rc;
		json_object_object_add(c, "amount", bh_shopify_money(amount));
		for (size_t k = 0; rl && k < json_object_array_length(rl); k++) {
			json_object *x = json_object_array_get_idx(rl, k), *y = json_object_new_object();
			json_object *li = bh_shopify_get(x, "lineItem");
			int64_t sub, tax;
			json_object_array_add(lines, y);
			if ((rc = id_member(m, li, "id", y, "line_item_id", false)))
				return rc;
			json_object_object_add(y, "sku", str_or_null(bh_shopify_str(li, "sku")));
			json_object_object_add(y, "quantity",
					       json_object_new_int64(json_object_get_int64(
						       bh_shopify_get(x, "quantity"))));
			json_object_object_add(y, "restock_type",
					       lower_str(bh_shopify_str(x, "restockType")));
			if ((rc = bag(m, x, "subtotalSet", false, &sub)) ||
			    (rc = bag(m, x, "totalTaxSet", false, &tax)))
				return rc;
			json_object_object_add(y, "subtotal", bh_shopify_money(sub));
			json_object_object_add(y, "tax", bh_shopify_money(tax));
		}
		for (size_t k = 0; rt && k < json_object_array_length(rt); k++) {
			json_object *x = json_object_array_get_idx(rt, k), *y;
			const char *st = bh_shopify_str(x, "status");
			int64_t a;
			if (st && strcasecmp(st, "SUCCESS") != 0)
				continue;
			if ((rc = bag(m, x, "amountSet", true, &a)))
				return rc;
			y = json_object_new_object();
			json_object_object_add(y, "gateway", str_or_null(bh_shopify_str(x, "gateway")));
			json_object_object_add(y, "kind", lower_str(bh_shopify_str(x, "kind")));
			json_object_object_add(y, "amount", bh_shopify_money(a));
			json_object_array_add(txs, y);
		}
	}
	return BH_OK;
}

static json_object *map_customer(struct mctx *m, json_object *node, int *rc)
{
	json_object *cu = bh_shopify_get(node, "customer"), *c;
	const char *email;
	*rc = BH_OK;
	if (!cu || json_object_is_type(cu, json_type_null))
		return NULL;
	c = json_object_new_object();
	if ((*rc = id_member(m, cu, "id", c, "id", true))) {
		json_object_put(c);
		return NULL;
	}
	email = bh_shopify_str(cu, "email");
	if (!email)
		email = bh_shopify_str(node, "email");
	json_object_object_add(c, "email", str_or_null(email));
	json_object_object_add(c, "first_name", str_or_null(bh_shopify_str(cu, "firstName")));
	json_object_object_add(c, "last_name", str_or_null(bh_shopify_str(cu, "lastName")));
	return c;
}

/* "#1001" -> 1001; NULL when the name is not <non-digits><digits><non-digits>. */
static json_object *name_number(const char *name)
{
	const char *p = name;
	int64_t v = 0;
	int nd = 0;
	if (!p)
		return NULL;
	while (*p && !isdigit((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p) && nd < 18) {
		v = v * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || isdigit((unsigned char)*p))
		return NULL;
	for (; *p; p++)
		if (isdigit((unsigned char)*p))
			return NULL;
	return json_object_new_int64(v);
}

static bool tag_has(json_object *tags, const char *want)
{
	for (size_t i = 0; tags && want && i < json_object_array_length(tags); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
		if (t && strcasecmp(t, want) == 0)
			return true;
	}
	return false;
}

bool bh_shopify_exchange_of(const struct bh_shopify_map_opts *o, const char *name,
			    json_object *tags, char *orig, size_t len, char *alt, size_t altlen)
{
	size_t pl = o->exc_prefix ? strlen(o->exc_prefix) : 0;
	const char *op = o->exc_original_prefix ? o->exc_original_prefix : "";
	bool by_name = name && pl > 0 && strncasecmp(name, o->exc_prefix, pl) == 0 && name[pl];
	bool by_tag = o->exc_tag && *o->exc_tag && tag_has(tags, o->exc_tag);
	orig[0] = '\0';
	alt[0] = '\0';
	if (!by_name && !by_tag)
		return false;
	if (by_name) {
		const char *rest = name + pl;
		size_t n;
		while (*rest == '-' || *rest == '#' || *rest == ' ' || *rest == '_')
			rest++;
		snprintf(orig, len, "%s%s", op, rest);
		/* a further exchange on the same original: "EXC1004-2" -> also try "#1004" */
		n = strlen(rest);
		while (n > 0 && isdigit((unsigned char)rest[n - 1]))
			n--;
		if (n > 1 && n < strlen(rest) && rest[n - 1] == '-')
			snprintf(alt, altlen, "%s%.*s", op, (int)(n - 1), rest);
		if (*rest)
			return true;
		orig[0] = '\0';
	}
	/* by tag: Loop tags the exchange order with the original's name ("#1004") */
	for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
		size_t opl = strlen(op), k;
		if (!t || strncmp(t, op, opl) != 0 || !t[opl])
			continue;
		for (k = opl; t[k] && isdigit((unsigned char)t[k]); k++)
			;
		if (!t[k]) {
			snprintf(orig, len, "%s", t);
			break;
		}
	}
	return true;
}

static json_object *map_exchange(const struct bh_shopify_map_opts *o, json_object *node,
				 const char *name, json_object *tags)
{
	char orig[128], alt[128];
	json_object *ex, *attrs;
	const char *ret = NULL;
	if (!bh_shopify_exchange_of(o, name, tags, orig, sizeof(orig), alt, sizeof(alt)))
		return NULL;
	attrs = list(node, "customAttributes");
	for (size_t i = 0; attrs && o->exc_return_attr && i < json_object_array_length(attrs); i++) {
		json_object *a = json_object_array_get_idx(attrs, i);
		const char *k = bh_shopify_str(a, "key");
		if (k && strcmp(k, o->exc_return_attr) == 0)
			ret = bh_shopify_str(a, "value");
	}
	ex = json_object_new_object();
	json_object_object_add(ex, "original_order_id", NULL);
	json_object_object_add(ex, "original_order_name", orig[0] ? json_object_new_string(orig) : NULL);
	json_object_object_add(ex, "return_id", str_or_null(ret));
	return ex;
}

static json_object *map_tags(json_object *node)
{
	json_object *t = list(node, "tags"), *arr = json_object_new_array();
	for (size_t i = 0; t && i < json_object_array_length(t); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(t, i));
		if (s)
			json_object_array_add(arr, json_object_new_string(s));
	}
	return arr;
}

int bh_shopify_map_order(const struct bh_shopify_map_opts *o, json_object *node,
			 json_object **out, char *err, size_t errlen)
{
	struct mctx m = {err, errlen, NULL, 0};
	struct totals t = {0, 0, 0, 0};
	json_object *r = json_object_new_object(), *tot, *tags, *cust;
	const char *name = bh_shopify_str(node, "name");
	int64_t refunded, total;
	bool incl = json_object_get_boolean(bh_shopify_get(node, "taxesIncluded"));
	int rc;

	*out = NULL;
	if (!r)
		return BH_ENOMEM;
	json_object_object_add(r, "schema", json_object_new_string("order/1"));
	if ((rc = id_member(&m, node, "id", r, "id", true)))
		goto fail;
	if (!name) {
		rc = fail(&m, "order without %s", "name");
		goto fail;
	}
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "number", name_number(name));
	if ((rc = time_member(&m, node, "createdAt", r, "created_at", true)) ||
	    (rc = time_member(&m, node, "updatedAt", r, "updated_at", true)) ||
	    (rc = time_member(&m, node, "cancelledAt", r, "cancelled_at", false)))
		goto fail;
	json_object_object_add(r, "currency", str_or_null(bh_shopify_str(node, "currencyCode")));
	json_object_object_add(r, "financial_status",
			       lower_str(bh_shopify_str(node, "displayFinancialStatus")));
	tags = map_tags(node);
	json_object_object_add(r, "tags", tags);
	json_object_object_add(r, "email", str_or_null(bh_shopify_str(node, "email")));
	cust = map_customer(&m, node, &rc);
	if (rc)
		goto fail;
	json_object_object_add(r, "customer", cust);
	if ((rc = map_lines(&m, node, r, &t)) || (rc = map_shipping(&m, node, r, &t)))
		goto fail;
	map_discounts(&m, node, r);
	if ((rc = bag(&m, node, "totalRefundedSet", false, &refunded)))
		goto fail;
	total = t.subtotal - t.discount + t.shipping + (incl ? 0 : t.tax);
	tot = json_object_new_object();
	json_object_object_add(tot, "subtotal", bh_shopify_money(t.subtotal));
	json_object_object_add(tot, "discount", bh_shopify_money(t.discount));
	json_object_object_add(tot, "shipping", bh_shopify_money(t.shipping));
	json_object_object_add(tot, "tax", bh_shopify_money(t.tax));
	json_object_object_add(tot, "total", bh_shopify_money(total));
	json_object_object_add(tot, "refunded", bh_shopify_money(refunded));
	json_object_object_add(r, "totals", tot);
	json_object_object_add(r, "taxes_included", json_object_new_boolean(incl));
	if ((rc = map_tenders(&m, o, node, r)) || (rc = map_refunds(&m, node, r)))
		goto fail;
	json_object_object_add(r, "exchange", map_exchange(o, node, name, tags));
	free(m.dapp);
	*out = r;
	return BH_OK;
fail:
	free(m.dapp);
	json_object_put(r);
	return rc;
}
