/*
 * shopify_units.c - the shopify plugin's pure parts, linked directly: UTC times, gid
 * tails and decimal ids, exact cents, the THROTTLED wait, the webhook HMAC (Shopify's
 * known-answer vectors from research §7), the poll cursor, exchange names, tender kinds
 * and the GraphQL Order -> order/1 mapping (ids beyond 2^53, discounts, taxes,
 * shipping, tenders, refunds, taxes-included totals, malformed money).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "shopify.h"

static const struct bh_shopify_map_opts *opts(void)
{
	static const char *const gc[] = {"gift_card", NULL};
	static const char *const sc[] = {"shopify_store_credit", "store_credit", NULL};
	static const char *const ot[] = {"manual", "cash", NULL};
	static const struct bh_shopify_map_opts o = {
		.exc_prefix = "EXC", .exc_tag = NULL, .exc_original_prefix = "#",
		.exc_return_attr = "loop_return_id", .gift_card_gateways = gc,
		.store_credit_gateways = sc, .other_gateways = ot};
	return &o;
}

static void times(void)
{
	char b[32];
	ok(bh_shopify_time_utc("2008-01-10T11:00:00-05:00", b, sizeof(b)) == 0 &&
		   strcmp(b, "2008-01-10T16:00:00Z") == 0,
	   "offset -05:00 normalised to UTC (%s)", b);
	ok(bh_shopify_time_utc("2026-11-01T10:00:05.123Z", b, sizeof(b)) == 0 &&
		   strcmp(b, "2026-11-01T10:00:05Z") == 0,
	   "fractions dropped (%s)", b);
	ok(bh_shopify_time_utc("2026-03-01T02:00:00+05:30", b, sizeof(b)) == 0 &&
		   strcmp(b, "2026-02-28T20:30:00Z") == 0,
	   "+05:30 across a month end (%s)", b);
	ok(bh_shopify_time_utc("2026-13-01T00:00:00Z", b, sizeof(b)) != 0, "month 13 refused");
	ok(bh_shopify_time_utc("2026-11-01 10:00", b, sizeof(b)) != 0, "no seconds refused");
	ok(bh_shopify_time_utc("2026-11-01T10:00:00", b, sizeof(b)) != 0, "no zone refused");
	is_int(bh_shopify_time_ms("1970-01-02T00:00:00Z"), 86400000, "time_ms");
}

static void ids_and_money(void)
{
	char b[32];
	int64_t c = 0;
	ok(bh_shopify_gid_tail("gid://shopify/Order/9007199254740993", b, sizeof(b)) == 0 &&
		   strcmp(b, "9007199254740993") == 0,
	   "gid tail beyond 2^53 exact");
	ok(bh_shopify_gid_tail("gid://shopify/LineItem/14000000000000001?x=1", b, sizeof(b)) == 0 &&
		   strcmp(b, "14000000000000001") == 0,
	   "gid with parameters");
	ok(bh_shopify_gid_tail("450789469", b, sizeof(b)) == 0, "bare id accepted");
	ok(bh_shopify_gid_tail("gid://shopify/Order/abc", b, sizeof(b)) != 0, "non-numeric gid refused");
	ok(bh_shopify_gid_tail("shopify/Order/1", b, sizeof(b)) != 0, "not a gid refused");
	ok(bh_shopify_id_cmp("9", "10") < 0 && bh_shopify_id_cmp("10", "10") == 0 &&
		   bh_shopify_id_cmp("9007199254740993", "9007199254740992") > 0,
	   "ids compare numerically");
	ok(bh_shopify_cents("199.0", &c) == 0 && c == 19900, "199.0 = 19900 cents");
	ok(bh_shopify_cents("3.340", &c) == 0 && c == 334, "3.340 = 334 cents");
	ok(bh_shopify_cents("-5", &c) == 0 && c == -500, "-5 = -500 cents");
	ok(bh_shopify_cents("3.345", &c) != 0, "3.345 refused (not whole cents)");
	ok(bh_shopify_cents("1e3", &c) != 0 && bh_shopify_cents("", &c) != 0, "garbage refused");
	ok(bh_shopify_cents("90071992547409.93", &c) == 0 && c == 9007199254740993LL,
	   "an amount beyond 2^53 cents exact");
}

static void throttle(void)
{
	json_object *r = json_tokener_parse(
		"{\"errors\":[{\"message\":\"Throttled\",\"extensions\":{\"code\":\"THROTTLED\"}}],"
		"\"extensions\":{\"cost\":{\"requestedQueryCost\":752,\"actualQueryCost\":null,"
		"\"throttleStatus\":{\"maximumAvailable\":1000.0,\"currentlyAvailable\":666,"
		"\"restoreRate\":50.0}}}}");
	is_int(bh_shopify_throttle_wait_ms(r, 50), 1720, "(752 - 666) / 50 = 1.72 s");
	json_object_put(r);
	r = json_tokener_parse("{\"extensions\":{\"cost\":{\"requestedQueryCost\":10,"
			       "\"throttleStatus\":{\"currentlyAvailable\":900.5,\"restoreRate\":100}}}}");
	is_int(bh_shopify_throttle_wait_ms(r, 50), 50, "enough available: the floor");
	json_object_put(r);
	r = json_tokener_parse("{\"errors\":[]}");
	is_int(bh_shopify_throttle_wait_ms(r, 50), -1, "no cost block: -1");
	json_object_put(r);
}

static void hmac(void)
{
	char b[64];
	const char *cafe = "{\"id\":820982911946154508,\"email\":\"jon@example.com\",\"note\":\"caf\xc3\xa9\"}";
	ok(bh_shopify_hmac_b64("key", "abc", 3, b, sizeof(b)) == 0 &&
		   strcmp(b, "nBluMtwBdfhvSxy4konWYZ3mvuaZ5MN45oMJ7Zehpqs=") == 0,
	   "HMAC vector key/abc");
	ok(bh_shopify_hmac_b64("hush", "{}", 2, b, sizeof(b)) == 0 &&
		   strcmp(b, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg=") == 0,
	   "HMAC vector hush/{}");
	ok(bh_shopify_hmac_ok("hush", cafe, strlen(cafe), "ZFuR67QvKjhqpf6J7YUyBGfa2amYeTtw5lRhiua45E4="),
	   "HMAC vector with UTF-8 bytes accepted");
	ok(!bh_shopify_hmac_ok("hush", cafe, strlen(cafe) - 1,
			       "ZFuR67QvKjhqpf6J7YUyBGfa2amYeTtw5lRhiua45E4="),
	   "one byte less: refused");
	ok(!bh_shopify_hmac_ok("hush", "{}", 2, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg"),
	   "unpadded signature refused");
	ok(!bh_shopify_hmac_ok("other", "{}", 2, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg="),
	   "other secret refused");
	ok(!bh_shopify_hmac_ok(NULL, "{}", 2, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg="),
	   "no secret: refused");
}

static void cursor_and_names(void)
{
	char ts[32], id[32], orig[64], alt[64];
	json_object *tags;
	ok(bh_shopify_cursor_parse("2026-11-01T10:00:05Z 9007199254740993", ts, sizeof(ts), id,
				   sizeof(id)) == 0 &&
		   strcmp(ts, "2026-11-01T10:00:05Z") == 0 && strcmp(id, "9007199254740993") == 0,
	   "cursor parsed");
	ok(bh_shopify_cursor_parse("2026-11-01T10:00:05-01:00 1", ts, sizeof(ts), id, sizeof(id)) != 0,
	   "cursor not in UTC refused");
	ok(bh_shopify_cursor_parse("yesterday 12", ts, sizeof(ts), id, sizeof(id)) != 0,
	   "garbage cursor refused");
	ok(bh_shopify_exchange_of(opts(), "EXC1004", NULL, orig, sizeof(orig), alt, sizeof(alt)) &&
		   strcmp(orig, "#1004") == 0 && alt[0] == '\0',
	   "EXC1004 -> #1004");
	ok(bh_shopify_exchange_of(opts(), "EXC1004-2", NULL, orig, sizeof(orig), alt, sizeof(alt)) &&
		   strcmp(orig, "#1004-2") == 0 && strcmp(alt, "#1004") == 0,
	   "EXC1004-2 -> #1004-2, then #1004");
	ok(bh_shopify_exchange_of(opts(), "exc-1010", NULL, orig, sizeof(orig), alt, sizeof(alt)) &&
		   strcmp(orig, "#1010") == 0,
	   "exc-1010 -> #1010 (case, separator)");
	ok(!bh_shopify_exchange_of(opts(), "#1004", NULL, orig, sizeof(orig), alt, sizeof(alt)),
	   "#1004 is not an exchange");
	tags = json_tokener_parse("[\"Loop Exchange\",\"#1004\"]");
	{
		struct bh_shopify_map_opts o = *opts();
		o.exc_prefix = NULL;
		o.exc_tag = "loop exchange";
		ok(bh_shopify_exchange_of(&o, "#1031", tags, orig, sizeof(orig), alt, sizeof(alt)) &&
			   strcmp(orig, "#1004") == 0,
		   "recognised by tag, original from the #1004 tag");
		ok(!bh_shopify_exchange_of(&o, "EXC1004", NULL, orig, sizeof(orig), alt, sizeof(alt)),
		   "prefix disabled: EXC1004 not an exchange without the tag");
	}
	json_object_put(tags);
	is_str(bh_shopify_tender_kind(opts(), "shopify_payments"), "card", "shopify_payments: card");
	is_str(bh_shopify_tender_kind(opts(), "Gift_Card"), "gift_card", "gift_card gateway");
	is_str(bh_shopify_tender_kind(opts(), "shopify_store_credit"), "store_credit", "store credit");
	is_str(bh_shopify_tender_kind(opts(), "manual"), "other", "manual: other");
}

/* A GraphQL order as the API returns it for the BhOrder selection. */
static const char NODE[] =
	"{\"id\":\"gid://shopify/Order/9007199254740993\",\"name\":\"EXC1004\","
	"\"email\":\"a@example.com\",\"createdAt\":\"2026-11-01T10:00:00Z\","
	"\"updatedAt\":\"2026-11-01T11:00:05-01:00\",\"cancelledAt\":null,\"currencyCode\":\"USD\","
	"\"displayFinancialStatus\":\"PARTIALLY_REFUNDED\",\"tags\":[\"vip\"],\"taxesIncluded\":false,"
	"\"customer\":{\"id\":\"gid://shopify/Customer/7000000000000001\",\"email\":null,"
	"\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"},"
	"\"customAttributes\":[{\"key\":\"loop_return_id\",\"value\":\"6042537\"}],"
	"\"totalRefundedSet\":{\"shopMoney\":{\"amount\":\"12.96\"}},"
	"\"lineItems\":{\"pageInfo\":{\"hasNextPage\":false},\"nodes\":["
	"{\"id\":\"gid://shopify/LineItem/14000000000000001\",\"sku\":\"MUG\",\"title\":\"Mug\","
	"\"quantity\":3,\"currentQuantity\":2,\"isGiftCard\":false,"
	"\"originalUnitPriceSet\":{\"shopMoney\":{\"amount\":\"12.0\"}},"
	"\"discountAllocations\":[{\"allocatedAmountSet\":{\"shopMoney\":{\"amount\":\"3.6\"}},"
	"\"discountApplication\":{\"index\":0}}],"
	"\"taxLines\":[{\"title\":\"State tax\",\"rate\":0.08,\"priceSet\":{\"shopMoney\":"
	"{\"amount\":\"2.58\"}}}]},"
	"{\"id\":\"gid://shopify/LineItem/14000000000000002\",\"sku\":null,\"title\":\"Card\","
	"\"quantity\":1,\"currentQuantity\":1,\"isGiftCard\":true,"
	"\"originalUnitPriceSet\":{\"shopMoney\":{\"amount\":\"25.00\"}},"
	"\"discountAllocations\":[],\"taxLines\":[]}]},"
	"\"shippingLines\":{\"pageInfo\":{\"hasNextPage\":false},\"nodes\":[{\"title\":\"Standard\","
	"\"code\":\"STD\",\"originalPriceSet\":{\"shopMoney\":{\"amount\":\"5.0\"}},"
	"\"discountAllocations\":[{\"allocatedAmountSet\":{\"shopMoney\":{\"amount\":\"1.00\"}},"
	"\"discountApplication\":{\"index\":1}}],"
	"\"taxLines\":[{\"title\":\"State tax\",\"rate\":0.08,\"priceSet\":{\"shopMoney\":"
	"{\"amount\":\"0.32\"}}}]}]},"
	"\"discountApplications\":{\"pageInfo\":{\"hasNextPage\":false},\"nodes\":["
	"{\"__typename\":\"DiscountCodeApplication\",\"index\":0,\"targetType\":\"LINE_ITEM\","
	"\"value\":{\"__typename\":\"PricingPercentageValue\"},\"code\":\"WELCOME10\"},"
	"{\"__typename\":\"AutomaticDiscountApplication\",\"index\":1,\"targetType\":\"SHIPPING_LINE\","
	"\"value\":{\"__typename\":\"MoneyV2\"},\"title\":\"Ship promo\"}]},"
	"\"transactions\":["
	"{\"kind\":\"AUTHORIZATION\",\"status\":\"SUCCESS\",\"gateway\":\"shopify_payments\","
	"\"amountSet\":{\"shopMoney\":{\"amount\":\"54.30\"}}},"
	"{\"kind\":\"CAPTURE\",\"status\":\"SUCCESS\",\"gateway\":\"shopify_payments\","
	"\"amountSet\":{\"shopMoney\":{\"amount\":\"54.30\"}}},"
	"{\"kind\":\"SALE\",\"status\":\"SUCCESS\",\"gateway\":\"gift_card\","
	"\"amountSet\":{\"shopMoney\":{\"amount\":\"10\"}}},"
	"{\"kind\":\"SALE\",\"status\":\"FAILURE\",\"gateway\":\"gift_card\","
	"\"amountSet\":{\"shopMoney\":{\"amount\":\"99.00\"}}},"
	"{\"kind\":\"REFUND\",\"status\":\"SUCCESS\",\"gateway\":\"shopify_payments\","
	"\"amountSet\":{\"shopMoney\":{\"amount\":\"12.96\"}}}],"
	"\"refunds\":[{\"id\":\"gid://shopify/Refund/900000000000000001\","
	"\"createdAt\":\"2026-11-02T00:00:00Z\",\"note\":null,"
	"\"totalRefundedSet\":{\"shopMoney\":{\"amount\":\"12.96\"}},"
	"\"refundLineItems\":{\"pageInfo\":{\"hasNextPage\":false},\"nodes\":[{\"lineItem\":"
	"{\"id\":\"gid://shopify/LineItem/14000000000000001\",\"sku\":\"MUG\"},\"quantity\":1,"
	"\"restockType\":\"RETURN\",\"subtotalSet\":{\"shopMoney\":{\"amount\":\"10.80\"}},"
	"\"totalTaxSet\":{\"shopMoney\":{\"amount\":\"0.86\"}}}]},"
	"\"transactions\":{\"pageInfo\":{\"hasNextPage\":false},\"nodes\":[{\"kind\":\"REFUND\","
	"\"status\":\"SUCCESS\",\"gateway\":\"shopify_payments\",\"amountSet\":{\"shopMoney\":"
	"{\"amount\":\"12.96\"}}}]}}]}";

static const char *js(json_object *o, const char *path)
{
	json_object *v = bh_shopify_path(o, path);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static void mapping(void)
{
	json_object *node = json_tokener_parse(NODE), *o = NULL, *l0, *l1, *t0, *t1, *d0, *d1;
	char err[200] = "";
	int rc = bh_shopify_map_order(opts(), node, &o, err, sizeof(err));
	is_int(rc, 0, "synthetic order maps (%s)", err);
	if (rc) {
		json_object_put(node);
		return;
	}
	is_str(js(o, "schema"), "order/1", "schema");
	is_str(js(o, "id"), "9007199254740993", "order id beyond 2^53 exact");
	is_str(js(o, "updated_at"), "2026-11-01T12:00:05Z", "updated_at in UTC");
	ok(bh_shopify_get(o, "number") && json_object_is_type(bh_shopify_get(o, "number"), json_type_int) &&
		   json_object_get_int(bh_shopify_get(o, "number")) == 1004,
	   "number from the name");
	is_str(js(o, "financial_status"), "partially_refunded", "financial_status lower case");
	is_str(js(o, "customer.id"), "7000000000000001", "customer id exact");
	is_str(js(o, "customer.email"), "a@example.com", "customer e-mail falls back to the order's");
	l0 = json_object_array_get_idx(bh_shopify_get(o, "lines"), 0);
	l1 = json_object_array_get_idx(bh_shopify_get(o, "lines"), 1);
	is_str(js(l0, "id"), "14000000000000001", "line id exact");
	is_str(js(l0, "price"), "12.00", "unit price with two decimals");
	is_str(js(l0, "discount"), "3.60", "line discount = its allocations");
	is_str(js(l0, "tax"), "2.58", "line tax = its tax lines");
	is_str(js(json_object_array_get_idx(bh_shopify_get(l0, "tax_lines"), 0), "rate"), "0.08",
	       "tax rate text kept exactly");
	ok(bh_shopify_get(l1, "sku") == NULL, "missing SKU is null");
	ok(json_object_get_boolean(bh_shopify_get(l1, "gift_card")), "gift card line flagged");
	is_str(js(o, "totals.subtotal"), "61.00", "subtotal = 3 x 12.00 + 25.00");
	is_str(js(o, "totals.discount"), "4.60", "discount = lines 3.60 + shipping 1.00");
	is_str(js(o, "totals.shipping"), "5.00", "shipping");
	is_str(js(o, "totals.tax"), "2.90", "tax = 2.58 + 0.32");
	is_str(js(o, "totals.total"), "64.30", "total = 61.00 - 4.60 + 5.00 + 2.90");
	is_str(js(o, "totals.refunded"), "12.96", "refunded");
	d0 = json_object_array_get_idx(bh_shopify_get(o, "discounts"), 0);
	d1 = json_object_array_get_idx(bh_shopify_get(o, "discounts"), 1);
	ok(js(d0, "code") && strcmp(js(d0, "code"), "WELCOME10") == 0 &&
		   strcmp(js(d0, "type"), "percentage") == 0 && strcmp(js(d0, "amount"), "3.60") == 0,
	   "discount code with its allocated amount");
	ok(js(d1, "code") && strcmp(js(d1, "code"), "Ship promo") == 0 &&
		   strcmp(js(d1, "type"), "fixed_amount") == 0 && strcmp(js(d1, "amount"), "1.00") == 0 &&
		   strcmp(js(d1, "target"), "shipping_line") == 0,
	   "automatic shipping discount");
	is_int((long long)json_object_array_length(bh_shopify_get(o, "tenders")), 2,
	       "two tenders (authorization, failure and refund ignored)");
	t0 = json_object_array_get_idx(bh_shopify_get(o, "tenders"), 0);
	t1 = json_object_array_get_idx(bh_shopify_get(o, "tenders"), 1);
	ok(js(t0, "kind") && strcmp(js(t0, "kind"), "card") == 0 &&
		   strcmp(js(t0, "amount"), "54.30") == 0,
	   "card tender = the capture");
	ok(js(t1, "kind") && strcmp(js(t1, "kind"), "gift_card") == 0 &&
		   strcmp(js(t1, "amount"), "10.00") == 0,
	   "gift card tender");
	{
		int64_t a, b, t;
		bh_shopify_cents(js(t0, "amount"), &a);
		bh_shopify_cents(js(t1, "amount"), &b);
		bh_shopify_cents(js(o, "totals.total"), &t);
		is_int(a + b, t, "tenders add up to the total");
	}
	is_str(js(json_object_array_get_idx(bh_shopify_get(o, "refunds"), 0), "id"),
	       "900000000000000001", "refund id exact");
	is_str(js(json_object_array_get_idx(
			  bh_shopify_path(json_object_array_get_idx(bh_shopify_get(o, "refunds"), 0), "lines"),
			  0),
		  "restock_type"),
	       "return", "refund line restock type");
	is_str(js(o, "exchange.original_order_name"), "#1004", "exchange recognised: original #1004");
	is_str(js(o, "exchange.return_id"), "6042537", "exchange return id from the attribute");
	ok(bh_shopify_path(o, "exchange.original_order_id") == NULL,
	   "original id unresolved by the pure mapper");
	json_object_put(o);

	/* taxes included: the total does not add tax again */
	json_object_object_add(node, "taxesIncluded", json_object_new_boolean(1));
	json_object_object_add(node, "name", json_object_new_string("#1001"));
	rc = bh_shopify_map_order(opts(), node, &o, err, sizeof(err));
	is_int(rc, 0, "taxes-included order maps");
	is_str(js(o, "totals.total"), "61.40", "taxes included: total = 61.00 - 4.60 + 5.00");
	ok(bh_shopify_get(o, "exchange") == NULL, "#1001 is no exchange");
	json_object_put(o);

	/* a fractional cent is not silently rounded */
	json_object_object_add(bh_shopify_path(json_object_array_get_idx(
						       bh_shopify_path(node, "lineItems.nodes"), 0),
					       "originalUnitPriceSet.shopMoney"),
			       "amount", json_object_new_string("12.005"));
	rc = bh_shopify_map_order(opts(), node, &o, err, sizeof(err));
	ok(rc == BH_EPROTO && o == NULL, "an amount with a fraction of a cent is refused (%s)", err);
	json_object_put(node);
}

int main(void)
{
	times();
	ids_and_money();
	throttle();
	hmac();
	cursor_and_names();
	mapping();
	return done_testing();
}
