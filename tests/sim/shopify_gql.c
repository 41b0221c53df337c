/*
 * tests/sim/shopify_gql.c - TAP tests of the Shopify simulator's GraphQL Admin API:
 * Shopify's fixture order read back through GraphQL with exact ids and amounts, ids
 * beyond 2^53, cursor pagination by updated_at over 250+ orders, the error shapes
 * (unknown field, arguments, variables, parse errors), fragments/aliases/directives,
 * search syntax and its warnings, the cost numbers and THROTTLED / MAX_COST_EXCEEDED.
 *
 * The service is called directly (no HTTP) with its clock frozen so bucket numbers are
 * exact. Reference fixtures are read in place; those checks skip when absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "shopify_util.h"

#define OPTS "{\"access_token\":\"" TOKEN "\"}"

static void test_fixture(void)
{
	char *text = ref_file("rest-2026-07_order_450789469_get.json");
	void *s;
	struct shp_ans a;
	struct json_object *o;
	if (!text) {
		ok(1, "# SKIP reference data absent (set BH_SHARED_DIR)");
		return;
	}
	s = shp_new(OPTS);
	is_int(shp_post_orders(s, text), 201, "fixture order loaded");
	a = shp_gql(s,
		    "query One($id: ID!) { order(id: $id) { id legacyResourceId name email "
		    "createdAt updatedAt displayFinancialStatus currencyCode tags paymentGatewayNames "
		    "totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount } } "
		    "subtotalPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } "
		    "totalDiscountsSet { shopMoney { amount } } "
		    "currentTotalPriceSet { shopMoney { amount } } "
		    "customer { id email firstName } "
		    "lineItems(first: 10) { edges { cursor node { id sku quantity currentQuantity "
		    "originalUnitPriceSet { shopMoney { amount } } "
		    "discountedUnitPriceAfterAllDiscountsSet { shopMoney { amount } } "
		    "discountAllocations { allocatedAmountSet { shopMoney { amount } } "
		    "discountApplication { ... on DiscountCodeApplication { code } value { "
		    "... on MoneyV2 { amount } } } } "
		    "taxLines { title rate priceSet { shopMoney { amount } } } variant { id sku } } } "
		    "pageInfo { hasNextPage } } "
		    "shippingLines(first: 5) { nodes { title code originalPriceSet { shopMoney { amount } } } } "
		    "discountApplications(first: 5) { nodes { allocationMethod targetSelection "
		    "... on DiscountCodeApplication { code } } } "
		    "transactions { kind status gateway amountSet { shopMoney { amount } } } "
		    "refunds { id note totalRefundedSet { shopMoney { amount } } "
		    "refundLineItems(first: 5) { nodes { quantity restockType lineItem { id } "
		    "subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } } } "
		    "customAttributes { key value } } }",
		    "{\"id\":\"gid://shopify/Order/450789469\"}");
	is_int(a.status, 200, "GraphQL order(id:) -> 200");
	o = jp(a.json, "data.order");
	ok(o != NULL, "data.order present%s", o ? "" : a.body);
	is_str(js(o, "id"), "gid://shopify/Order/450789469", "gid");
	is_str(js(o, "legacyResourceId"), "450789469", "legacyResourceId");
	is_str(js(o, "name"), "#1001", "name");
	is_str(js(o, "createdAt"), "2008-01-10T16:00:00Z", "createdAt in UTC");
	is_str(js(o, "displayFinancialStatus"), "PARTIALLY_REFUNDED", "displayFinancialStatus");
	is_str(js(o, "totalPriceSet.shopMoney.amount"), "598.94", "total 598.94");
	is_str(js(o, "totalPriceSet.shopMoney.currencyCode"), "USD", "currencyCode");
	is_str(js(o, "subtotalPriceSet.shopMoney.amount"), "597.0", "subtotal Decimal 597.0");
	is_str(js(o, "totalTaxSet.shopMoney.amount"), "11.94", "tax");
	is_str(js(o, "totalDiscountsSet.shopMoney.amount"), "10.0", "discounts");
	is_str(js(o, "currentTotalPriceSet.shopMoney.amount"), "199.65", "current total");
	is_str(js(o, "customer.id"), "gid://shopify/Customer/207119551", "customer id");
	is_int((long long)json_object_array_length(jp(o, "lineItems.edges")), 3, "3 line items");
	is_str(js(o, "lineItems.edges.0.node.id"), "gid://shopify/LineItem/466157049", "line gid");
	is_str(js(o, "lineItems.edges.0.node.sku"), "IPOD2008GREEN", "sku");
	is_int(ji(o, "lineItems.edges.0.node.currentQuantity"), 0, "currentQuantity after refund");
	is_str(js(o, "lineItems.edges.0.node.originalUnitPriceSet.shopMoney.amount"), "199.0",
	       "unit price 199.0");
	is_str(js(o, "lineItems.edges.0.node.discountedUnitPriceAfterAllDiscountsSet.shopMoney.amount"),
	       "195.66", "unit price after all discounts 199.00 - 3.34");
	is_str(js(o, "lineItems.edges.0.node.discountAllocations.0.allocatedAmountSet.shopMoney.amount"),
	       "3.34", "allocation 3.34");
	is_str(js(o, "lineItems.edges.1.node.discountAllocations.0.allocatedAmountSet.shopMoney.amount"),
	       "3.33", "allocation 3.33");
	is_str(js(o, "lineItems.edges.0.node.discountAllocations.0.discountApplication.code"), "TENOFF",
	       "allocation -> discount code application");
	is_str(js(o, "lineItems.edges.0.node.discountAllocations.0.discountApplication.value.amount"),
	       "10.0", "application value MoneyV2 10.0");
	is_str(js(o, "lineItems.edges.0.node.taxLines.0.priceSet.shopMoney.amount"), "3.98",
	       "line tax 3.98");
	is_str(js(o, "lineItems.edges.0.node.taxLines.0.rate"), "0.06", "tax rate 0.06");
	is_str(js(o, "lineItems.edges.0.node.variant.id"), "gid://shopify/ProductVariant/39072856",
	       "variant gid");
	ok(js(o, "lineItems.edges.0.cursor") != NULL, "edge cursor");
	ok(!json_object_get_boolean(jp(o, "lineItems.pageInfo.hasNextPage")), "no next page of lines");
	is_str(js(o, "shippingLines.nodes.0.title"), "Free Shipping", "shipping line");
	is_str(js(o, "shippingLines.nodes.0.originalPriceSet.shopMoney.amount"), "0.0", "shipping 0.0");
	is_str(js(o, "discountApplications.nodes.0.code"), "TENOFF", "discount application code");
	is_str(js(o, "discountApplications.nodes.0.allocationMethod"), "ACROSS", "allocationMethod");
	is_str(js(o, "transactions.0.kind"), "REFUND", "transaction kind REFUND");
	is_str(js(o, "transactions.0.amountSet.shopMoney.amount"), "209.0", "transaction 209.0");
	is_str(js(o, "refunds.0.id"), "gid://shopify/Refund/509562969", "refund gid");
	is_str(js(o, "refunds.0.totalRefundedSet.shopMoney.amount"), "209.0", "refund total");
	is_str(js(o, "refunds.0.refundLineItems.nodes.0.subtotalSet.shopMoney.amount"), "195.66",
	       "refund line subtotal");
	is_str(js(o, "refunds.0.refundLineItems.nodes.0.restockType"), "LEGACY_RESTOCK", "restockType");
	is_str(js(o, "customAttributes.0.key"), "custom engraving", "note attribute");
	ok(!jp(a.json, "errors"), "no errors");
	ans_free(&a);
	a = shp_gql(s,
		    "query More($id: ID!, $n: Int!, $after: String) { node(id: $id) { __typename "
		    "... on Refund { c: refundLineItems(first: $n, after: $after) { pageInfo { "
		    "hasNextPage endCursor } nodes { quantity lineItem { sku } } } } } }",
		    "{\"id\":\"gid://shopify/Refund/509562969\",\"n\":1}");
	is_str(js(a.json, "data.node.__typename"), "Refund", "node(id:) finds a Refund");
	is_str(js(a.json, "data.node.c.nodes.0.lineItem.sku"), "IPOD2008BLACK", "... first refund line");
	ok(json_object_get_boolean(jp(a.json, "data.node.c.pageInfo.hasNextPage")), "... has a next");
	{
		char vars[400];
		snprintf(vars, sizeof(vars),
			 "{\"id\":\"gid://shopify/Refund/509562969\",\"n\":5,\"after\":\"%s\"}",
			 js(a.json, "data.node.c.pageInfo.endCursor"));
		ans_free(&a);
		a = shp_gql(s,
			    "query More($id: ID!, $n: Int!, $after: String) { node(id: $id) { "
			    "... on Refund { c: refundLineItems(first: $n, after: $after) { pageInfo { "
			    "hasNextPage } nodes { lineItem { sku } } } } } }",
			    vars);
		is_str(js(a.json, "data.node.c.nodes.0.lineItem.sku"), "IPOD2008GREEN",
		       "nested cursor continues with the second refund line");
		ok(!json_object_get_boolean(jp(a.json, "data.node.c.pageInfo.hasNextPage")),
		   "... and that is the last");
	}
	ans_free(&a);
	free(text);
	bh_sim_service_shopify.destroy(s);
}

static void test_big_id(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\",\"first_id\":9007199254740993}");
	struct shp_ans a;
	is_int(shp_post_orders(s, "{\"order\":{\"line_items\":[{\"sku\":\"A\",\"quantity\":1,"
				  "\"price\":\"43.20\"}]}}"),
	       201, "order with a generated id > 2^53");
	a = shp_gql(s, "{ order(id: \"gid://shopify/Order/9007199254740993\") { id legacyResourceId "
		       "totalPriceSet { shopMoney { amount } } lineItems(first: 1) { nodes { id } } } }",
		    NULL);
	is_str(js(a.json, "data.order.id"), "gid://shopify/Order/9007199254740993", "exact gid");
	is_str(js(a.json, "data.order.legacyResourceId"), "9007199254740993", "exact legacy id");
	is_str(js(a.json, "data.order.lineItems.nodes.0.id"), "gid://shopify/LineItem/9007199254740994",
	       "line id next");
	is_str(js(a.json, "data.order.totalPriceSet.shopMoney.amount"), "43.2", "Decimal 43.2");
	ans_free(&a);
	a = shp_gql(s, "{ order(id: \"gid://shopify/Order/1\") { id } }", NULL);
	ok(jp(a.json, "data") && !jp(a.json, "data.order") &&
		   json_object_object_get_ex(jp(a.json, "data"), "order", NULL),
	   "unknown order -> null");
	ans_free(&a);
	a = shp_gql(s, "{ order(id: \"12\") { id } }", NULL);
	is_str(js(a.json, "errors.0.message"), "Invalid global id '12'", "malformed gid error");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

static void seed_orders(void *s, int n)
{
	struct json_object *b = json_object_new_object(), *arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object(), *li = json_object_new_array(),
				   *l = json_object_new_object();
		char ts[40];
		/* 290 orders: 20 before the window, ties on updated_at (several per second) */
		snprintf(ts, sizeof(ts), "2026-%s-%02dT%02d:%02d:00Z", i < 20 ? "10" : "11",
			 1 + (i % 25), (i / 25) % 24, (i * 7) % 3);
		json_object_object_add(o, "updated_at", json_object_new_string(ts));
		json_object_object_add(o, "created_at", json_object_new_string("2026-10-01T00:00:00Z"));
		json_object_object_add(o, "tags", json_object_new_string(i % 2 ? "odd" : "even"));
		json_object_object_add(l, "sku", json_object_new_string(i % 3 ? "SKU-A" : "SKU-B"));
		json_object_object_add(l, "quantity", json_object_new_int(1));
		json_object_object_add(l, "price", json_object_new_string("10.00"));
		json_object_array_add(li, l);
		json_object_object_add(o, "line_items", li);
		json_object_array_add(arr, o);
	}
	json_object_object_add(b, "orders", arr);
	shp_post_orders(s, json_object_to_json_string(b));
	json_object_put(b);
}

static void test_pagination(void)
{
	void *s = shp_new(OPTS);
	const char *q = "query Page($after: String, $q: String) { orders(first: 100, after: $after, "
			"query: $q, sortKey: UPDATED_AT) { edges { cursor node { id updatedAt } } "
			"pageInfo { hasNextPage endCursor hasPreviousPage } } }";
	char *after = NULL, vars[512], last_u[40] = "", last_id[64] = "";
	char *seen[400];
	size_t nseen = 0, pages = 0;
	bool dup = false, order_ok = true, cursor_ok = true, prev_ok = true;
	struct shp_ans a;

	shp_freeze(s);
	seed_orders(s, 290);
	while (pages < 10) {
		struct json_object *edges;
		snprintf(vars, sizeof(vars), "{\"q\":\"updated_at:>='2026-11-01T00:00:00Z'\",\"after\":%s%s%s}",
			 after ? "\"" : "", after ? after : "null", after ? "\"" : "");
		a = shp_gql(s, q, vars);
		pages++;
		edges = jp(a.json, "data.orders.edges");
		if (!edges) {
			diag("page %zu: %s", pages, a.body);
			ans_free(&a);
			break;
		}
		for (size_t i = 0; i < json_object_array_length(edges); i++) {
			const char *id = js(json_object_array_get_idx(edges, i), "node.id");
			const char *u = js(json_object_array_get_idx(edges, i), "node.updatedAt");
			for (size_t k = 0; k < nseen; k++)
				dup |= strcmp(seen[k], id) == 0;
			if (nseen < 400)
				seen[nseen++] = strdup(id);
			/* (updatedAt, id) strictly ascending */
			if (strcmp(u, last_u) < 0 ||
			    (strcmp(u, last_u) == 0 &&
			     (strlen(id) < strlen(last_id) ||
			      (strlen(id) == strlen(last_id) && strcmp(id, last_id) <= 0))))
				order_ok = false;
			snprintf(last_u, sizeof(last_u), "%s", u);
			snprintf(last_id, sizeof(last_id), "%s", id);
		}
		if (json_object_array_length(edges) &&
		    strcmp(js(a.json, "data.orders.pageInfo.endCursor"),
			   js(json_object_array_get_idx(edges, json_object_array_length(edges) - 1),
			      "cursor")) != 0)
			cursor_ok = false;
		if (pages > 1 && !json_object_get_boolean(jp(a.json, "data.orders.pageInfo.hasPreviousPage")))
			prev_ok = false;
		free(after);
		after = NULL;
		if (!json_object_get_boolean(jp(a.json, "data.orders.pageInfo.hasNextPage"))) {
			ans_free(&a);
			break;
		}
		after = strdup(js(a.json, "data.orders.pageInfo.endCursor"));
		ans_free(&a);
	}
	free(after);
	is_int((long long)nseen, 270, "all 270 orders of the window, once each");
	ok(!dup, "pages do not overlap");
	ok(order_ok, "ascending (updatedAt, id) across pages, ties included");
	ok(cursor_ok, "endCursor is the last edge's cursor");
	ok(prev_ok, "hasPreviousPage on later pages");
	is_int((long long)pages, 3, "3 pages (100/100/70)");
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);

	/* backwards: last/before from the end gives the newest first page reversed */
	a = shp_gql(s, "{ orders(last: 5, sortKey: UPDATED_AT) { nodes { updatedAt } "
		       "pageInfo { hasPreviousPage hasNextPage } } }",
		    NULL);
	is_int((long long)json_object_array_length(jp(a.json, "data.orders.nodes")), 5, "last: 5");
	ok(json_object_get_boolean(jp(a.json, "data.orders.pageInfo.hasPreviousPage")),
	   "last page has previous");
	ok(!json_object_get_boolean(jp(a.json, "data.orders.pageInfo.hasNextPage")),
	   "last page has no next");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 1, reverse: true, sortKey: UPDATED_AT) { nodes { updatedAt } } "
		       "oldest: orders(first: 1, sortKey: UPDATED_AT) { nodes { updatedAt } } }",
		    NULL);
	ok(strcmp(js(a.json, "data.orders.nodes.0.updatedAt"),
		  js(a.json, "data.oldest.nodes.0.updatedAt")) > 0,
	   "reverse: newest first (alias 'oldest' gives the other end)");
	ans_free(&a);

	/* other search terms, counts, OR */
	a = shp_gql(s, "{ a: ordersCount(query: \"tag:odd\") { count precision } "
		       "b: ordersCount(query: \"sku:SKU-B\") { count } "
		       "c: ordersCount(query: \"tag:odd OR sku:SKU-B\") { count } "
		       "d: ordersCount(query: \"-tag:odd updated_at:<2026-11-01\") { count } "
		       "e: ordersCount(query: \"updated_at:2026-10-02\") { count } }",
		    NULL);
	is_int(ji(a.json, "data.a.count"), 145, "tag:odd");
	is_str(js(a.json, "data.a.precision"), "EXACT", "precision EXACT");
	is_int(ji(a.json, "data.b.count"), 97, "sku:SKU-B");
	is_int(ji(a.json, "data.c.count"), 145 + 49, "tag:odd OR sku:SKU-B");
	is_int(ji(a.json, "data.d.count"), 10, "-tag:odd before the window");
	is_int(ji(a.json, "data.e.count"), 1, "updated_at:DATE matches the day");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 2, query: \"foo:bar status:any\") { nodes { id } } }", NULL);
	is_str(js(a.json, "extensions.search.0.warnings.0.field"), "foo", "search warning field");
	is_str(js(a.json, "extensions.search.0.warnings.0.message"),
	       "Invalid search field for this query.", "search warning message");
	is_str(js(a.json, "extensions.search.0.path.0"), "orders", "search warning path");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 2, after: \"bm9wZQ==\") { nodes { id } } }", NULL);
	ok(js(a.json, "errors.0.message") && !jp(a.json, "data.orders"), "bad cursor -> error%s",
	   a.body);
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 2, sortKey: TOTAL_PRICE) { nodes { id } } }", NULL);
	ok(js(a.json, "errors.0.message") && strstr(js(a.json, "errors.0.message"), "TOTAL_PRICE"),
	   "unsupported sortKey said so");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

static void test_errors(void)
{
	void *s = shp_new(OPTS);
	struct shp_ans a;
	a = shp_gql(s, "{\n  order(id: \"gid://shopify/Order/1\") {\n    id\n    foo\n  }\n}", NULL);
	is_int(a.status, 200, "unknown field: HTTP 200");
	is_str(js(a.json, "errors.0.message"), "Field 'foo' doesn't exist on type 'Order'", "message");
	is_int(ji(a.json, "errors.0.locations.0.line"), 4, "line");
	is_int(ji(a.json, "errors.0.locations.0.column"), 5, "column");
	is_str(js(a.json, "errors.0.path.0"), "query", "path[0] query");
	is_str(js(a.json, "errors.0.path.1"), "order", "path[1] order");
	is_str(js(a.json, "errors.0.path.2"), "foo", "path[2] foo");
	is_str(js(a.json, "errors.0.extensions.code"), "undefinedField", "code undefinedField");
	is_str(js(a.json, "errors.0.extensions.typeName"), "Order", "typeName");
	is_str(js(a.json, "errors.0.extensions.fieldName"), "foo", "fieldName");
	ok(!json_object_object_get_ex(a.json, "data", NULL), "no data key");
	ans_free(&a);

	a = shp_gql(s, "query Q { orders(first: 1) { edges { node { agreements { id } } } } }", NULL);
	is_str(js(a.json, "errors.0.path.0"), "query Q", "named operation in the path");
	is_str(js(a.json, "errors.0.path.4"), "agreements", "path down to the field");
	ans_free(&a);
	a = shp_gql(s, "{ order { id } }", NULL);
	is_str(js(a.json, "errors.0.message"), "Field 'order' is missing required arguments: id",
	       "missing argument");
	is_str(js(a.json, "errors.0.extensions.code"), "missingRequiredArguments", "... code");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: \"ten\") { nodes { id } } }", NULL);
	is_str(js(a.json, "errors.0.message"),
	       "Argument 'first' on Field 'orders' has an invalid value (\"ten\"). Expected type 'Int'.",
	       "literal type");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 1, bogus: 2) { nodes { id } } }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "argumentNotAccepted", "unknown argument");
	ans_free(&a);
	a = shp_gql(s, "{ orders { nodes { id } } }", NULL);
	is_str(js(a.json, "errors.0.message"), "you must provide one of first or last",
	       "connection without first/last");
	ans_free(&a);
	a = shp_gql(s, "{ orders(first: 300) { nodes { id } } }", NULL);
	ok(js(a.json, "errors.0.message") && strstr(js(a.json, "errors.0.message"), "250"),
	   "first over 250 refused");
	ans_free(&a);
	a = shp_gql(s, "{ shop { name { x } } }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "selectionMismatch", "selection on a scalar");
	ans_free(&a);
	a = shp_gql(s, "{ shop }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "selectionMismatch", "object without selection");
	ans_free(&a);
	a = shp_gql(s, "query ($id: ID!) { order(id: $id) { id } }", "{}");
	is_str(js(a.json, "errors.0.message"), "Variable $id of type ID! was provided invalid value",
	       "missing variable");
	is_str(js(a.json, "errors.0.extensions.code"), "INVALID_VARIABLE", "... INVALID_VARIABLE");
	is_str(js(a.json, "errors.0.extensions.problems.0.explanation"), "Expected value to not be null",
	       "... explanation");
	ans_free(&a);
	a = shp_gql(s, "{ order(id: $nope) { id } }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "variableNotDefined", "undeclared variable");
	ans_free(&a);
	a = shp_gql(s, "query ($x: Int) { shop { name } }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "variableNotUsed", "unused variable");
	ans_free(&a);
	a = shp_gql(s, "query ($x: String) { orders(first: $x) { nodes { id } } }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "variableMismatch", "variable type mismatch");
	ans_free(&a);
	a = shp_gql(s, "{ shop { ...F } }", NULL);
	is_str(js(a.json, "errors.0.message"), "Fragment F was used, but not defined", "undefined fragment");
	ans_free(&a);
	a = shp_gql(s, "{ shop { name } } fragment F on Order { id }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "useAndDefineFragment", "unused fragment");
	ans_free(&a);
	a = shp_gql(s, "{ shop { ...F } } fragment F on Order { id }", NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "cannotSpreadFragment", "fragment on wrong type");
	ans_free(&a);
	a = shp_gql(s, "{ order(id: \"x\") { ...A } } fragment A on Order { ...B } fragment B on Order { ...A }",
		    NULL);
	ok(a.body && strstr(a.body, "infiniteLoop"), "fragment cycle");
	ans_free(&a);
	a = shp_gql(s, "{ shop { name }", NULL);
	is_str(js(a.json, "errors.0.message"), "Unexpected end of document", "parse error");
	ans_free(&a);
	a = shp_gql(s, "{ shop { name } }}", NULL);
	ok(js(a.json, "errors.0.message") && strstr(js(a.json, "errors.0.message"), "RCURLY"),
	   "parse error names the token");
	is_int(ji(a.json, "errors.0.locations.0.column"), 18, "... at its column");
	ans_free(&a);
	{
		const char *h[] = {"X-Shopify-Access-Token", TOKEN, NULL};
		a = shp_http(s, "POST", API "/graphql.json", NULL, "not json", h);
		is_int(a.status, 400, "body not JSON -> 400");
		is_str(js(a.json, "errors.query"), "Required parameter missing or invalid", "... body");
		ans_free(&a);
	}
	a = shp_gql(s, "mutation { orderUpdate(input: {}) { userErrors { field } } }", NULL);
	is_str(js(a.json, "errors.0.message"), "Field 'orderUpdate' doesn't exist on type 'Mutation'",
	       "mutations are not served");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

static void test_features(void)
{
	void *s = shp_new(OPTS);
	struct shp_ans a;
	shp_post_orders(s, "{\"order\":{\"name\":\"#2001\",\"email\":\"x@example.com\",\"tags\":\"a, b\","
			   "\"line_items\":[{\"sku\":\"S\",\"quantity\":2,\"price\":\"5.00\"}]}}");
	a = shp_gql(s,
		    "query ($withEmail: Boolean!) { o: orders(first: 1) { nodes { __typename ...F "
		    "email @include(if: $withEmail) note @skip(if: true) k: name } } } "
		    "fragment F on Order { name tags ... on Order { id } }",
		    "{\"withEmail\":false}");
	is_str(js(a.json, "data.o.nodes.0.__typename"), "Order", "__typename");
	is_str(js(a.json, "data.o.nodes.0.name"), "#2001", "fragment field");
	is_str(js(a.json, "data.o.nodes.0.tags.1"), "b", "tags list");
	is_str(js(a.json, "data.o.nodes.0.k"), "#2001", "alias");
	ok(js(a.json, "data.o.nodes.0.id") != NULL, "inline fragment");
	ok(!json_object_object_get_ex(jp(a.json, "data.o.nodes.0"), "email", NULL), "@include(false)");
	ok(!json_object_object_get_ex(jp(a.json, "data.o.nodes.0"), "note", NULL), "@skip(true)");
	{
		/* key order follows the selection */
		struct json_object_iterator it = json_object_iter_begin(jp(a.json, "data.o.nodes.0"));
		is_str(json_object_iter_peek_name(&it), "__typename", "response keys in selection order");
	}
	ans_free(&a);
	a = shp_ctl(s, "POST", "/gift_cards", NULL,
		    "{\"gift_card\":{\"id\":1035197676,\"initial_value\":\"100.00\",\"balance\":\"40.50\","
		    "\"code\":\"0000111122223333\"}}");
	ans_free(&a);
	a = shp_gql(s, "{ giftCard(id: \"gid://shopify/GiftCard/1035197676\") { id balance { amount "
		       "currencyCode } initialValue { amount } lastCharacters enabled } "
		       "giftCards(first: 5) { nodes { id } } shop { myshopifyDomain currencyCode } }",
		    NULL);
	is_str(js(a.json, "data.giftCard.balance.amount"), "40.5", "gift card balance");
	is_str(js(a.json, "data.giftCard.lastCharacters"), "3333", "last characters");
	is_str(js(a.json, "data.giftCards.nodes.0.id"), "gid://shopify/GiftCard/1035197676",
	       "giftCards connection");
	is_str(js(a.json, "data.shop.myshopifyDomain"), "backhaul-sim.myshopify.com", "shop domain");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);

	s = shp_new("{\"access_token\":\"" TOKEN "\",\"gql_fixed_decimals\":true}");
	shp_post_orders(s, "{\"order\":{\"line_items\":[{\"sku\":\"S\",\"quantity\":1,\"price\":\"5.50\"}]}}");
	a = shp_gql(s, "{ orders(first: 1) { nodes { totalPriceSet { shopMoney { amount } } } } }", NULL);
	is_str(js(a.json, "data.orders.nodes.0.totalPriceSet.shopMoney.amount"), "5.50",
	       "gql_fixed_decimals option");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

static void test_cost(void)
{
	void *s = shp_new(OPTS);
	struct shp_ans a;
	const char *q10 = "{ orders(first: 10) { edges { node { id } } } }";
	shp_freeze(s);
	seed_orders(s, 3);

	a = shp_gql(s, q10, NULL);
	is_int(ji(a.json, "extensions.cost.requestedQueryCost"), 12, "requested 2 + 10 x 1");
	is_int(ji(a.json, "extensions.cost.actualQueryCost"), 5, "actual 2 + 3 returned");
	is_str(js(a.json, "extensions.cost.throttleStatus.maximumAvailable"), "1000.0",
	       "maximumAvailable 1000.0");
	is_int(ji(a.json, "extensions.cost.throttleStatus.currentlyAvailable"), 995,
	       "currentlyAvailable 1000 - 5");
	is_str(js(a.json, "extensions.cost.throttleStatus.restoreRate"), "50.0", "restoreRate 50.0");
	ans_free(&a);

	a = shp_gql(s, "{ orders(first: 5) { nodes { id lineItems(first: 4) { nodes { sku "
		       "originalUnitPriceSet { shopMoney { amount } } } } } } shop { name } }",
		    NULL);
	/* 2 + 5 x (1 + (2 + 4 x (1 + 1 + 1))) + 1 = 2 + 5 x 15 + 1 */
	is_int(ji(a.json, "extensions.cost.requestedQueryCost"), 78, "nested connection cost 78");
	/* 2 + 3 x (1 + 2 + 1 x 3) + 1 = 21 */
	is_int(ji(a.json, "extensions.cost.actualQueryCost"), 21, "nested actual cost 21");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/rate_limits", NULL, "{\"graphql\":{\"currently_available\":11}}");
	ans_free(&a);
	a = shp_gql(s, q10, NULL);
	is_int(a.status, 200, "THROTTLED with HTTP 200");
	is_str(js(a.json, "errors.0.message"), "Throttled", "message Throttled");
	is_str(js(a.json, "errors.0.extensions.code"), "THROTTLED", "code THROTTLED");
	is_str(js(a.json, "errors.0.extensions.documentation"), "https://shopify.dev/api/usage/rate-limits",
	       "documentation link");
	ok(!json_object_object_get_ex(a.json, "data", NULL), "no data");
	is_int(ji(a.json, "extensions.cost.requestedQueryCost"), 12, "requested 12");
	ok(json_object_object_get_ex(jp(a.json, "extensions.cost"), "actualQueryCost", NULL) &&
		   !jp(a.json, "extensions.cost.actualQueryCost"),
	   "actualQueryCost null");
	is_int(ji(a.json, "extensions.cost.throttleStatus.currentlyAvailable"), 11,
	       "bucket untouched at 11");
	ans_free(&a);
	shp_advance(s, 20); /* 50/s: one point per 20 ms */
	a = shp_gql(s, q10, NULL);
	ok(!jp(a.json, "errors"), "12 available after 20 ms: runs");
	is_int(ji(a.json, "extensions.cost.throttleStatus.currentlyAvailable"), 7,
	       "12 taken, 12 - 5 refunded: 7 left");
	ans_free(&a);

	a = shp_gql(s, "{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }",
		    NULL);
	is_str(js(a.json, "errors.0.extensions.code"), "MAX_COST_EXCEEDED", "MAX_COST_EXCEEDED");
	is_int(ji(a.json, "errors.0.extensions.cost"), 2 + 250 * (1 + 2 + 250), "... with the cost");
	is_int(ji(a.json, "errors.0.extensions.maxCost"), 1000, "... and maxCost");
	ok(strncmp(js(a.json, "errors.0.message"), "Query cost is 63252, which exceeds the single query "
						    "max cost limit (1000).",
		   70) == 0,
	   "Shopify's message");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/settings", NULL, "{\"throttle_status\":429}");
	ans_free(&a);
	a = shp_ctl(s, "POST", "/rate_limits", NULL, "{\"graphql\":{\"currently_available\":0}}");
	ans_free(&a);
	a = shp_gql(s, q10, NULL);
	is_int(a.status, 429, "throttle_status 429 setting");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

int main(void)
{
	test_fixture();
	test_big_id();
	test_pagination();
	test_errors();
	test_features();
	test_cost();
	return done_testing();
}
