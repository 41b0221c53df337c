/*
 * shopify_query.c - the GraphQL documents the shopify plugin sends, and fetching
 * complete orders: a page of orders (sorted by UPDATED_AT), one order by id, an order
 * id by exact name.
 *
 * Every order is selected with the BhOrder fragment below; a connection that says
 * hasNextPage (an order with more line items than line_items_page, a refund with many
 * lines...) is completed with node(id:) queries before the order is returned, so the
 * mapper always sees every line. Refunds are named by the order query and read one by
 * one (node(id:) with BhRefund): only refunded orders pay for their details, and a
 * plain list's cost stays small whatever Shopify charges per list element. Only the fragments a document uses are sent (Shopify
 * refuses unused fragments).
 *
 * Query cost: a page asks for `first` orders, each with line_items_page lines, and
 * Shopify refuses a query whose requested cost is above its maximum
 * (MAX_COST_EXCEEDED, with the cost and the maximum). The page size then shrinks in
 * proportion and the size that fits is remembered (page_cap) for later pages.
 *
 * Ownership: pages and nodes returned belong to the caller. Threading: any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

#define PAGE_INFO "pageInfo { hasNextPage endCursor }"
#define F_MONEY "fragment BhMoney on MoneyBag { shopMoney { amount } }\n"
#define F_LINE                                                                           \
	"fragment BhLine on LineItem { id sku title quantity currentQuantity isGiftCard "    \
	"originalUnitPriceSet { ...BhMoney } discountAllocations { allocatedAmountSet { "   \
	"...BhMoney } discountApplication { index } } taxLines { title rate priceSet { "    \
	"...BhMoney } } }\n"
#define F_SHIP                                                                           \
	"fragment BhShip on ShippingLine { title code originalPriceSet { ...BhMoney } "      \
	"discountAllocations { allocatedAmountSet { ...BhMoney } discountApplication { "    \
	"index } } taxLines { title rate priceSet { ...BhMoney } } }\n"
#define F_DAPP                                                                           \
	"fragment BhDapp on DiscountApplication { __typename index targetType value { "      \
	"__typename } ... on DiscountCodeApplication { code } ... on "                        \
	"ManualDiscountApplication { title } ... on AutomaticDiscountApplication { title } " \
	"... on ScriptDiscountApplication { title } }\n"
#define F_RLINE                                                                          \
	"fragment BhRefundLine on RefundLineItem { lineItem { id sku } quantity restockType " \
	"subtotalSet { ...BhMoney } totalTaxSet { ...BhMoney } }\n"
#define F_TX "fragment BhTx on OrderTransaction { kind status gateway amountSet { ...BhMoney } }\n"
#define F_ORDER                                                                          \
	"fragment BhOrder on Order { id name email createdAt updatedAt cancelledAt "          \
	"currencyCode displayFinancialStatus tags taxesIncluded customer { id email "         \
	"firstName lastName } customAttributes { key value } totalRefundedSet { ...BhMoney } " \
	"lineItems(first: $lines) { " PAGE_INFO " nodes { ...BhLine } } "                     \
	"shippingLines(first: 5) { " PAGE_INFO " nodes { ...BhShip } } "                      \
	"discountApplications(first: 10) { " PAGE_INFO " nodes { ...BhDapp } } "              \
	"transactions(first: 50) { ...BhTx } refunds(first: 50) { id } }\n"
#define F_REFUND                                                                         \
	"fragment BhRefund on Refund { id createdAt note totalRefundedSet { ...BhMoney } "    \
	"refundLineItems(first: 10) { " PAGE_INFO " nodes { ...BhRefundLine } } "             \
	"transactions(first: 5) { " PAGE_INFO " nodes { ...BhTx } } }\n"
#define F_ALL F_MONEY F_LINE F_SHIP F_DAPP F_TX F_ORDER

static const char Q_PAGE[] =
	"query BhOrders($first: Int!, $after: String, $q: String, $lines: Int!) { "
	"orders(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) { " PAGE_INFO
	" nodes { ...BhOrder } } }\n" F_ALL;
static const char Q_ORDER[] =
	"query BhOrder($id: ID!, $lines: Int!) { order(id: $id) { ...BhOrder } }\n" F_ALL;
static const char Q_REFUND[] =
	"query BhRefund($id: ID!) { node(id: $id) { ...BhRefund } }\n" F_MONEY F_RLINE F_TX F_REFUND;
static const char Q_NAME[] =
	"query BhOrderByName($q: String!) { orders(first: 10, query: $q) { nodes { id name } } }";

#define MORE(type, conn, frag)                                                           \
	"query BhMore($id: ID!, $n: Int!, $after: String) { node(id: $id) { ... on " type    \
	" { c: " conn "(first: $n, after: $after) { " PAGE_INFO " nodes { ..." frag " } } } } }\n"
static const char Q_MORE_LINES[] = MORE("Order", "lineItems", "BhLine") F_MONEY F_LINE;
static const char Q_MORE_SHIP[] = MORE("Order", "shippingLines", "BhShip") F_MONEY F_SHIP;
static const char Q_MORE_DAPPS[] = MORE("Order", "discountApplications", "BhDapp") F_DAPP;
static const char Q_MORE_RLINES[] = MORE("Refund", "refundLineItems", "BhRefundLine") F_MONEY
	F_RLINE;
static const char Q_MORE_RTX[] = MORE("Refund", "transactions", "BhTx") F_MONEY F_TX;

static bool has_next(json_object *conn)
{
	return json_object_get_boolean(bh_shopify_path(conn, "pageInfo.hasNextPage"));
}

/* Fetch the remaining pages of parent[key] (a connection) and append them. */
static int complete(struct bh_shopify *s, json_object *parent, const char *gid,
		    const char *key, const char *query, struct bh_shopify_call *call)
{
	json_object *conn = bh_shopify_get(parent, key);
	json_object *all = bh_shopify_get(conn, "nodes");
	int guard = 0;
	if (!conn || !all || !json_object_is_type(all, json_type_array) || !gid)
		return conn ? BH_OK : BH_EPROTO;
	while (has_next(conn)) {
		const char *after = bh_shopify_str(bh_shopify_get(conn, "pageInfo"), "endCursor");
		json_object *vars = json_object_new_object(), *data = NULL, *c, *more;
		int rc;
		if (!after || ++guard > 1000) {
			json_object_put(vars);
			return BH_EPROTO;
		}
		json_object_object_add(vars, "id", json_object_new_string(gid));
		json_object_object_add(vars, "n", json_object_new_int((int)s->line_page));
		json_object_object_add(vars, "after", json_object_new_string(after));
		rc = bh_shopify_gql(s, query, vars, call, &data);
		json_object_put(vars);
		if (rc)
			return rc;
		c = bh_shopify_path(data, "node.c");
		more = bh_shopify_get(c, "nodes");
		if (!more || !json_object_is_type(more, json_type_array)) {
			json_object_put(data);
			bh_shopify_status(call ? call->st : NULL, 200, "MALFORMED",
					  "the rest of %s of %s came back without nodes", key, gid);
			return BH_EPROTO;
		}
		for (size_t i = 0; i < json_object_array_length(more); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(more, i)));
		json_object_object_add(conn, "pageInfo", json_object_get(bh_shopify_get(c, "pageInfo")));
		json_object_put(data);
	}
	return BH_OK;
}

/* Replace refunds[i] ({"id"} only) by the refund's details, connections completed. */
static int refund_details(struct bh_shopify *s, json_object *refunds, size_t i,
			  struct bh_shopify_call *call)
{
	const char *rg = bh_shopify_str(json_object_array_get_idx(refunds, i), "id");
	json_object *vars, *data = NULL, *r;
	int rc;
	if (!rg)
		return BH_EPROTO;
	vars = json_object_new_object();
	json_object_object_add(vars, "id", json_object_new_string(rg));
	rc = bh_shopify_gql(s, Q_REFUND, vars, call, &data);
	json_object_put(vars);
	if (rc)
		return rc;
	r = bh_shopify_get(data, "node");
	if (!r || !bh_shopify_str(r, "id")) {
		json_object_put(data);
		bh_shopify_status(call ? call->st : NULL, 200, "MALFORMED", "refund %s not readable", rg);
		return BH_EPROTO;
	}
	json_object_get(r);
	json_object_put(data);
	json_object_array_put_idx(refunds, i, r);
	if ((rc = complete(s, r, bh_shopify_str(r, "id"), "refundLineItems", Q_MORE_RLINES, call)) ||
	    (rc = complete(s, r, bh_shopify_str(r, "id"), "transactions", Q_MORE_RTX, call)))
		return rc;
	return BH_OK;
}

/* Complete every paged connection of one order node, and read its refunds (the order
 * query names them only: their details cost too much to ask for on every order). */
static int complete_order(struct bh_shopify *s, json_object *node, struct bh_shopify_call *call)
{
	const char *gid = bh_shopify_str(node, "id");
	json_object *refunds = bh_shopify_get(node, "refunds");
	int rc;
	if ((rc = complete(s, node, gid, "lineItems", Q_MORE_LINES, call)) ||
	    (rc = complete(s, node, gid, "shippingLines", Q_MORE_SHIP, call)) ||
	    (rc = complete(s, node, gid, "discountApplications", Q_MORE_DAPPS, call)))
		return rc;
	for (size_t i = 0; refunds && json_object_is_type(refunds, json_type_array) &&
			   i < json_object_array_length(refunds);
	     i++)
		if ((rc = refund_details(s, refunds, i, call)))
			return rc;
	return BH_OK;
}

static void cost_figures(const struct bh_status *st, long long *cost, long long *max)
{
	*cost = *max = 0;
	if (st && sscanf(st->message, "cost=%lld max=%lld", cost, max) != 2)
		*cost = *max = 0;
}

int bh_shopify_fetch_page(struct bh_shopify *s, const char *search, const char *after,
			  int limit, struct bh_shopify_call *call, struct bh_shopify_page *pg)
{
	struct bh_status local;
	struct bh_shopify_call c2 = call ? *call : (struct bh_shopify_call){.mode = BH_SHOPIFY_CALL};
	json_object *data = NULL, *orders;
	int rc, cap = atomic_load(&s->page_cap);

	if (!c2.st)
		c2.st = &local;
	memset(pg, 0, sizeof(*pg));
	if (limit > cap)
		limit = cap;
	if (limit < 1)
		limit = 1;
	for (;;) {
		json_object *vars = json_object_new_object();
		long long cost, max;
		json_object_object_add(vars, "first", json_object_new_int(limit));
		json_object_object_add(vars, "after", after ? json_object_new_string(after) : NULL);
		json_object_object_add(vars, "q", search ? json_object_new_string(search) : NULL);
		json_object_object_add(vars, "lines", json_object_new_int((int)s->line_page));
		rc = bh_shopify_gql(s, Q_PAGE, vars, &c2, &data);
		json_object_put(vars);
		if (rc != BH_ETOOBIG)
			break;
		cost_figures(c2.st, &cost, &max);
		int fit = cost > 0 && max > 0 ? (int)((long long)limit * max / cost) : limit / 2;
		if (fit >= limit)
			fit = limit - 1;
		if (fit < 1) {
			bh_shopify_status(c2.st, 200, "MAX_COST_EXCEEDED",
					  "one order costs more than Shopify's query limit (%lld > %lld): "
					  "lower line_items_page",
					  cost, max);
			return BH_EREJECT;
		}
		bh_plg_info(s->host, s->inst,
			    "query cost %lld above Shopify's maximum %lld: pages of %d orders from now on",
			    cost, max, fit);
		atomic_store(&s->page_cap, fit);
		limit = fit;
	}
	if (rc)
		return rc;
	orders = bh_shopify_path(data, "orders.nodes");
	if (!orders || !json_object_is_type(orders, json_type_array)) {
		json_object_put(data);
		bh_shopify_status(c2.st, 200, "MALFORMED", "orders page without nodes");
		return BH_EPROTO;
	}
	for (size_t i = 0; i < json_object_array_length(orders); i++)
		if ((rc = complete_order(s, json_object_array_get_idx(orders, i), &c2))) {
			json_object_put(data);
			return rc;
		}
	pg->orders = json_object_get(orders);
	pg->has_next = has_next(bh_shopify_get(data, "orders"));
	const char *end = bh_shopify_str(bh_shopify_path(data, "orders.pageInfo"), "endCursor");
	pg->end_cursor = end ? strdup(end) : NULL;
	json_object_put(data);
	if (pg->has_next && !pg->end_cursor) {
		bh_shopify_page_free(pg);
		bh_shopify_status(c2.st, 200, "MALFORMED", "hasNextPage without endCursor");
		return BH_EPROTO;
	}
	return BH_OK;
}

void bh_shopify_page_free(struct bh_shopify_page *pg)
{
	json_object_put(pg->orders);
	free(pg->end_cursor);
	memset(pg, 0, sizeof(*pg));
}

int bh_shopify_fetch_order(struct bh_shopify *s, const char *id, struct bh_shopify_call *call,
			   json_object **node)
{
	json_object *vars, *data = NULL, *o;
	char gid[80];
	int rc;
	*node = NULL;
	if (!bh_shopify_is_id(id)) {
		bh_shopify_status(call ? call->st : NULL, 0, "BAD_ID",
				  "order id must be a decimal number, not '%.40s'", id ? id : "");
		return BH_EINVAL;
	}
	snprintf(gid, sizeof(gid), "gid://shopify/Order/%s", id);
	vars = json_object_new_object();
	json_object_object_add(vars, "id", json_object_new_string(gid));
	json_object_object_add(vars, "lines", json_object_new_int((int)s->line_page));
	rc = bh_shopify_gql(s, Q_ORDER, vars, call, &data);
	json_object_put(vars);
	if (rc == BH_ETOOBIG)
		return BH_EREJECT; /* st says MAX_COST_EXCEEDED: lower line_items_page */
	if (rc)
		return rc;
	o = bh_shopify_get(data, "order");
	if (!o || json_object_is_type(o, json_type_null)) {
		json_object_put(data);
		bh_shopify_status(call ? call->st : NULL, 200, "NOT_FOUND", "no order %s", id);
		return BH_ENOENT;
	}
	json_object_get(o);
	json_object_put(data);
	if ((rc = complete_order(s, o, call))) {
		json_object_put(o);
		return rc;
	}
	*node = o;
	return BH_OK;
}

int bh_shopify_find_name(struct bh_shopify *s, const char *name, struct bh_shopify_call *call,
			 char *id, size_t idlen, char *exact, size_t exlen)
{
	json_object *vars, *data = NULL, *nodes;
	char q[300];
	size_t k = 0;
	int rc, best = -1;
	if (!name || !*name || strlen(name) > 100) {
		bh_shopify_status(call ? call->st : NULL, 0, "BAD_NAME", "order name must be 1-100 bytes");
		return BH_EINVAL;
	}
	/* name:'#1004' with quotes and backslashes escaped */
	k += (size_t)snprintf(q, sizeof(q), "name:'");
	for (const char *p = name; *p && k + 4 < sizeof(q); p++) {
		if (*p == '\'' || *p == '\\')
			q[k++] = '\\';
		q[k++] = *p;
	}
	q[k++] = '\'';
	q[k] = '\0';
	vars = json_object_new_object();
	json_object_object_add(vars, "q", json_object_new_string(q));
	rc = bh_shopify_gql(s, Q_NAME, vars, call, &data);
	json_object_put(vars);
	if (rc)
		return rc;
	nodes = bh_shopify_path(data, "orders.nodes");
	/* the search may be loose: take the exact name, else the same name without '#' */
	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
			const char *n = bh_shopify_str(json_object_array_get_idx(nodes, i), "name");
			const char *a = n, *b = name;
			if (!n)
				continue;
			if (pass == 1) {
				a += *a == '#';
				b += *b == '#';
			}
			if (strcmp(a, b) == 0) {
				best = (int)i;
				break;
			}
		}
	if (best < 0) {
		json_object_put(data);
		bh_shopify_status(call ? call->st : NULL, 200, "NOT_FOUND", "no order named %s", name);
		return BH_ENOENT;
	}
	json_object *o = json_object_array_get_idx(nodes, (size_t)best);
	rc = bh_shopify_gid_tail(bh_shopify_str(o, "id"), id, idlen);
	snprintf(exact, exlen, "%s", bh_shopify_str(o, "name"));
	json_object_put(data);
	if (rc)
		bh_shopify_status(call ? call->st : NULL, 200, "MALFORMED", "order id malformed");
	return rc ? BH_EPROTO : BH_OK;
}

int bh_shopify_probe(struct bh_shopify *s, const char *query, struct bh_shopify_call *call,
		     json_object **data)
{
	return bh_shopify_gql(s, query, NULL, call, data);
}
