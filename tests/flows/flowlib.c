/*
 * flowlib.c - unit tests of the flows' shared library: return/1 and order/1 parsing
 * with exact cents, the reconcile checks, the settlement and the RA / refund / receipt /
 * sales order documents for SCENARIOS.md S1-S7 (exact amounts), ERP answers and feed
 * records. Pure computation: no engine, no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/money.h"
#include "../../plugins/flowlib/flowlib.h"
#include "tap.h"

static char body[8192];

/* A return/1 body. lines/totals/refunds are JSON fragments. */
static const char *ret_json(const char *rid, const char *state, const char *lines,
			    const char *totals, const char *refunds)
{
	snprintf(body, sizeof(body),
		 "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"trigger\":\"return.created\","
		 "\"created_at\":\"2026-11-03T09:00:00Z\",\"updated_at\":\"2026-11-03T09:00:00Z\","
		 "\"currency\":\"USD\",\"order\":{\"portal_order_id\":\"91000001\","
		 "\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1001\"},"
		 "\"customer\":{\"email\":\"a@example.com\"},\"outcome\":\"refund\",\"lines\":[%s],"
		 "\"totals\":{%s},\"refunds\":[%s],\"exchange\":null,\"flagged\":false}",
		 rid, state, lines, totals, refunds);
	return body;
}

static const char *line(char *buf, size_t len, const char *sku, int qty, const char *price,
			const char *disc, const char *tax, const char *refund)
{
	snprintf(buf, len, "{\"line_item_id\":\"14000000000000001\",\"sku\":\"%s\",\"title\":\"T\","
		 "\"quantity\":%d,\"price\":\"%s\",\"discount\":\"%s\",\"tax\":\"%s\",\"refund\":\"%s\","
		 "\"outcome\":\"refund\",\"portal_line_ids\":[\"1\"]}", sku, qty, price, disc, tax, refund);
	return buf;
}

static const char *totals(char *buf, size_t len, const char *gross, const char *disc,
			  const char *tax, const char *total, const char *refund, const char *credit,
			  const char *gift, const char *exch, const char *upsell, const char *fee,
			  const char *bonus)
{
	snprintf(buf, len, "\"gross\":\"%s\",\"discount\":\"%s\",\"tax\":\"%s\",\"total\":\"%s\","
		 "\"refund\":\"%s\",\"credit\":\"%s\",\"gift_card\":\"%s\",\"exchange\":\"%s\","
		 "\"upsell\":\"%s\",\"handling_fee\":\"%s\",\"bonus\":\"%s\"", gross, disc, tax, total,
		 refund, credit, gift, exch, upsell, fee, bonus);
	return buf;
}

static const struct bh_fl_items items = {"GIFT-CARD", "GIFT-CARD", "GIFT-CARD", "RESTOCKING-FEE",
					 "GIFT-CARD"};

static int64_t cents(const char *s)
{
	int64_t c = -999999;
	if (!s || bh_money_parse(s, &c) != 0)
		return -999999;
	return c;
}

/* Sum of lines (amount + tax) and adjustments of a document, in cents. */
static int64_t doc_total(struct json_object *d)
{
	int64_t t = 0;
	struct json_object *a;
	if (json_object_object_get_ex(d, "lines", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *l = json_object_array_get_idx(a, i);
			t += cents(bh_fl_jstr(l, "amount")) + cents(bh_fl_jstr(l, "tax"));
		}
	if (json_object_object_get_ex(d, "adjustments", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			t += cents(bh_fl_jstr(json_object_array_get_idx(a, i), "amount"));
	return t;
}

static struct json_object *arr_at(struct json_object *d, const char *key, size_t i)
{
	struct json_object *a;
	if (!json_object_object_get_ex(d, key, &a) || !json_object_is_type(a, json_type_array) ||
	    i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

static size_t arr_len(struct json_object *d, const char *key)
{
	struct json_object *a;
	if (!json_object_object_get_ex(d, key, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	return json_object_array_length(a);
}

/* Parse, reconcile, settle (strict as given) and build the RA; NULL on any error. */
static struct json_object *ra_of(const char *json, const struct bh_fl_paid *paid,
				 struct bh_fl_settle *s, struct bh_fl_return *r)
{
	char err[512];
	struct json_object *d = NULL;
	if (bh_fl_return_parse(json, 0, r, err, sizeof(err)) != 0 ||
	    bh_fl_return_reconcile(r, err, sizeof(err)) != 0 ||
	    bh_fl_settle_return(r, paid, false, s, err, sizeof(err)) != 0 ||
	    bh_fl_ra_doc(r, s, &items, "790", NULL, &d, err, sizeof(err)) != 0) {
		diag("%s", err);
		return NULL;
	}
	return d;
}

static void test_s1(void)
{
	char l[512], t[512];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	line(l, sizeof(l), "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	struct json_object *ra = ra_of(ret_json("6042537", "open", l, t, ""), NULL, &s, &r);
	ok(ra != NULL, "S1: return parses, reconciles, settles");
	is_str(bh_fl_jstr(ra, "external_id"), "loop-ra-6042537", "S1: RA external id");
	is_str(bh_fl_jstr(json_object_object_get(ra, "sales_order"), "internal_id"), "790",
	       "S1: RA from the sales order's internal id");
	is_int((long long)arr_len(ra, "lines"), 1, "S1: one RA line");
	struct json_object *l0 = arr_at(ra, "lines", 0);
	is_str(bh_fl_jstr(l0, "sku"), "TEE-BLK-M", "S1: line SKU");
	is_int(json_object_get_int(json_object_object_get(l0, "quantity")), 1, "S1: qty 1");
	is_str(bh_fl_jstr(l0, "rate"), "40.00", "S1: rate 40.00");
	is_str(bh_fl_jstr(l0, "amount"), "40.00", "S1: amount 40.00");
	is_str(bh_fl_jstr(l0, "tax"), "3.20", "S1: tax 3.20");
	is_int((long long)arr_len(ra, "adjustments"), 0, "S1: no adjustment line");
	is_int(doc_total(ra), 4320, "S1: RA total 43.20");
	is_int(s.cash, 4320, "S1: 43.20 back to the card");

	/* the refund at close: Shopify refunded 43.20 to the card */
	struct bh_fl_return rc;
	struct bh_fl_settle sc;
	char err[256];
	struct json_object *rf = NULL, *cm = NULL, *ir = NULL;
	ok(bh_fl_return_parse(ret_json("6042537", "closed", l, t,
				       "{\"gateway\":\"shopify_payments\",\"amount\":\"43.20\"}"),
			      0, &rc, err, sizeof(err)) == 0 &&
		   bh_fl_return_reconcile(&rc, err, sizeof(err)) == 0 &&
		   bh_fl_settle_return(&rc, NULL, true, &sc, err, sizeof(err)) == 0,
	   "S1 closed: settles strictly with refunds[]");
	ok(sc.from_refunds && sc.cash == 4320, "S1 closed: cash 43.20 from refunds[]");
	ok(bh_fl_refund_doc(&rc, &sc, &items, BH_FL_DOC_CASH_REFUND, "790", &rf, err, sizeof(err)) == 0,
	   "S1: cash refund document");
	is_str(bh_fl_jstr(rf, "external_id"), "loop-cr-6042537", "S1: cash refund external id");
	is_str(bh_fl_jstr(rf, "document"), "cash_refund", "S1: document cash_refund");
	is_str(bh_fl_jstr(json_object_object_get(rf, "ra"), "internal_id"), "790", "S1: from the RA");
	is_int(doc_total(rf), 4320, "S1: cash refund 43.20");
	ok(json_object_object_get(rf, "bonus") == NULL, "S1: no bonus");
	ok(json_object_object_get(rf, "customer_refund") == NULL, "S1: no customer refund on a cash refund");
	ok(bh_fl_refund_doc(&rc, &sc, &items, BH_FL_DOC_CREDIT_MEMO, "790", &cm, err, sizeof(err)) == 0,
	   "S1: credit memo variant (invoiced order)");
	is_str(bh_fl_jstr(cm, "external_id"), "loop-cm-6042537", "S1: credit memo external id");
	struct json_object *crf = json_object_object_get(cm, "customer_refund");
	is_str(bh_fl_jstr(crf, "external_id"), "loop-crf-6042537", "S1: customer refund external id");
	is_str(bh_fl_jstr(crf, "amount"), "43.20", "S1: customer refund 43.20");
	ok(bh_fl_receipt_doc(&rc, "790", true, &ir, err, sizeof(err)) == 0, "S1: item receipt document");
	is_str(bh_fl_jstr(ir, "external_id"), "loop-ir-6042537", "S1: receipt external id");
	is_str(bh_fl_jstr(arr_at(ir, "lines", 0), "sku"), "TEE-BLK-M", "S1: receipt line SKU");
	ok(json_object_get_boolean(json_object_object_get(arr_at(ir, "lines", 0), "restock")),
	   "S1: restock 1");
	json_object_put(ir);
	json_object_put(cm);
	json_object_put(rf);
	bh_fl_return_free(&rc);
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_s2(void)
{
	char l[512], t[512];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	line(l, sizeof(l), "MUG-WHT", 2, "12.00", "2.40", "1.72", "23.32");
	totals(t, sizeof(t), "24.00", "2.40", "1.72", "23.32", "23.32", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	struct json_object *ra = ra_of(ret_json("6042538", "open", l, t, ""), NULL, &s, &r);
	struct json_object *l0 = arr_at(ra, "lines", 0);
	is_int(json_object_get_int(json_object_object_get(l0, "quantity")), 2, "S2: MUG qty 2");
	is_str(bh_fl_jstr(l0, "rate"), "10.80", "S2: rate 10.80 (net of the 10%% discount)");
	is_str(bh_fl_jstr(l0, "amount"), "21.60", "S2: amount 21.60");
	is_str(bh_fl_jstr(l0, "tax"), "1.72", "S2: tax 1.72");
	is_int(doc_total(ra), 2332, "S2: RA total 23.32");
	is_int(s.cash, 2332, "S2: cash refund 23.32");
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_s3(void)
{
	char l[512], t[512], err[256];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	struct json_object *rf = NULL;
	line(l, sizeof(l), "HOODIE-GRY-M", 1, "60.00", "0.00", "4.80", "64.80");
	totals(t, sizeof(t), "60.00", "0.00", "4.80", "64.80", "0.00", "64.80", "0.00", "0.00", "0.00",
	       "0.00", "5.00");
	struct json_object *ra = ra_of(ret_json("6042539", "open", l, t, ""), NULL, &s, &r);
	ok(ra != NULL, "S3: store credit return settles");
	is_int(s.store_credit, 6480, "S3: store credit 64.80");
	is_int(s.bonus, 500, "S3: bonus 5.00 (outside the return's value)");
	is_int(s.cash, 0, "S3: no cash");
	struct json_object *a0 = arr_at(ra, "adjustments", 0);
	is_str(bh_fl_jstr(a0, "kind"), "store_credit", "S3: adjustment kind store_credit");
	is_str(bh_fl_jstr(a0, "item"), "GIFT-CARD", "S3: on the gift card item");
	is_str(bh_fl_jstr(a0, "amount"), "-64.80", "S3: gift-card line -64.80");
	is_str(bh_fl_jstr(arr_at(ra, "lines", 0), "amount"), "60.00", "S3: HOODIE line 60.00");
	is_int(doc_total(ra), 0, "S3: RA total 0.00");
	ok(bh_fl_refund_doc(&r, &s, &items, BH_FL_DOC_CASH_REFUND, "791", &rf, err, sizeof(err)) == 0,
	   "S3: credit document");
	is_int(doc_total(rf), 0, "S3: no cash moves");
	is_str(bh_fl_jstr(rf, "bonus"), "5.00", "S3: bonus 5.00 on the refund document");
	is_str(bh_fl_jstr(rf, "bonus_item"), "GIFT-CARD", "S3: bonus issued on the gift card item");
	json_object_put(rf);
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* issued as Shopify store credit: refunds[] carries the credit (bonus included) */
	ra = ra_of(ret_json("6042539", "closed", l, t,
			    "{\"gateway\":\"shopify_store_credit\",\"amount\":\"69.80\"}"), NULL, &s, &r);
	ok(ra && s.from_refunds && s.store_credit == 6480 && s.cash == 0 && s.bonus == 500,
	   "S3 (Shopify store credit): the refunds[] entry is the credit + bonus, not extra");
	ok(bh_fl_settle_return(&r, NULL, true, &s, err, sizeof(err)) == 0, "S3 (Shopify store credit): strict settle accepts it");
	is_int(doc_total(ra), 0, "S3 (Shopify store credit): RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_s4(void)
{
	char l[512], t[512];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	line(l, sizeof(l), "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "0.00", "0.00", "0.00", "43.20", "0.00",
	       "0.00", "0.00");
	struct json_object *ra = ra_of(ret_json("6042540", "open", l, t, ""), NULL, &s, &r);
	struct json_object *a0 = arr_at(ra, "adjustments", 0);
	is_str(bh_fl_jstr(a0, "kind"), "exchange_credit", "S4: exchange-credit adjustment");
	is_str(bh_fl_jstr(a0, "amount"), "-43.20", "S4: exchange-credit line -43.20");
	is_int(doc_total(ra), 0, "S4: RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* upsell: new item 50.00 + 4.00, the customer pays 10.80 on the exchange order */
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "0.00", "0.00", "0.00", "54.00", "10.80",
	       "0.00", "0.00");
	ra = ra_of(ret_json("6042541", "open", l, t, ""), NULL, &s, &r);
	ok(ra != NULL, "S4 upsell: reconciles (exchange 54.00 = total 43.20 + upsell 10.80)");
	is_int(s.exchange_credit, 4320, "S4 upsell: exchange credit 43.20 (exchange - upsell)");
	is_str(bh_fl_jstr(arr_at(ra, "adjustments", 0), "amount"), "-43.20",
	       "S4 upsell: exchange-credit line -43.20");
	is_int(doc_total(ra), 0, "S4 upsell: RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_s5(void)
{
	char l[512], t[512];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	line(l, sizeof(l), "CAP-BLK", 1, "25.00", "0.00", "2.00", "27.00");
	/* the refund goes to the original payment, a gift card */
	totals(t, sizeof(t), "25.00", "0.00", "2.00", "27.00", "27.00", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	struct json_object *ra =
		ra_of(ret_json("6042542", "closed", l, t, "{\"gateway\":\"gift_card\",\"amount\":\"27.00\"}"),
		      NULL, &s, &r);
	struct json_object *a0 = arr_at(ra, "adjustments", 0);
	is_str(bh_fl_jstr(a0, "kind"), "gift_card", "S5: gift-card adjustment");
	is_str(bh_fl_jstr(a0, "amount"), "-27.00", "S5: gift-card line -27.00");
	is_int(doc_total(ra), 0, "S5: RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* before the refund: estimated from the order's tenders (all gift card) */
	struct bh_fl_paid paid = {.known = true, .gift_card = 2700};
	ra = ra_of(ret_json("6042542", "open", l, t, ""), &paid, &s, &r);
	ok(s.from_paid && s.gift_card == 2700 && s.cash == 0, "S5: split estimated from the tenders");
	is_int(doc_total(ra), 0, "S5 (tenders): RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* Loop reports it as a refund to a gift card it issued */
	totals(t, sizeof(t), "25.00", "0.00", "2.00", "27.00", "0.00", "0.00", "27.00", "0.00", "0.00",
	       "0.00", "0.00");
	ra = ra_of(ret_json("6042543", "closed", l, t, ""), NULL, &s, &r);
	is_str(bh_fl_jstr(arr_at(ra, "adjustments", 0), "amount"), "-27.00",
	       "S5 (gift_card total): gift-card line -27.00");
	is_int(doc_total(ra), 0, "S5 (gift_card total): RA total 0.00");
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_s6(void)
{
	char l[512], t[512], err[256];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	struct json_object *rf = NULL;
	line(l, sizeof(l), "JACKET-NVY-M", 1, "100.00", "0.00", "8.00", "108.00");
	totals(t, sizeof(t), "100.00", "0.00", "8.00", "108.00", "108.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00", "0.00");
	struct json_object *ra =
		ra_of(ret_json("6042544", "closed", l, t,
			       "{\"gateway\":\"gift_card\",\"amount\":\"60.00\"},"
			       "{\"gateway\":\"shopify_payments\",\"amount\":\"48.00\"}"),
		      NULL, &s, &r);
	is_str(bh_fl_jstr(arr_at(ra, "lines", 0), "amount"), "100.00", "S6: JACKET 100.00");
	is_str(bh_fl_jstr(arr_at(ra, "adjustments", 0), "amount"), "-60.00", "S6: gift-card line -60.00");
	is_int(doc_total(ra), 4800, "S6: RA total 48.00");
	ok(bh_fl_refund_doc(&r, &s, &items, BH_FL_DOC_CASH_REFUND, "792", &rf, err, sizeof(err)) == 0,
	   "S6: cash refund document");
	is_int(doc_total(rf), 4800, "S6: cash refund 48.00");
	json_object_put(rf);
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* at creation: no refunds yet, the split comes from the order's tenders */
	struct bh_fl_paid paid = {.known = true, .gift_card = 6000, .card = 4800};
	ra = ra_of(ret_json("6042544", "open", l, t, ""), &paid, &s, &r);
	is_int(s.gift_card, 6000, "S6 (tenders): gift card 60.00");
	is_int(s.cash, 4800, "S6 (tenders): card 48.00");
	is_int(doc_total(ra), 4800, "S6 (tenders): RA total 48.00");
	json_object_put(ra);
	bh_fl_return_free(&r);

	/* strict settlement refuses refunds[] that do not add up */
	ok(bh_fl_return_parse(ret_json("6042545", "closed", l, t,
				       "{\"gateway\":\"shopify_payments\",\"amount\":\"100.00\"}"),
			      0, &r, err, sizeof(err)) == 0, "S6 bad split: parses");
	ok(bh_fl_settle_return(&r, NULL, true, &s, err, sizeof(err)) == BH_EINVAL &&
		   strstr(err, "100.00") && strstr(err, "108.00"),
	   "strict: refunds[] 100.00 vs refund 108.00 refused naming both (%s)", err);
	ok(bh_fl_settle_return(&r, NULL, false, &s, err, sizeof(err)) == 0 && s.cash == 10800,
	   "lenient: refunds[] ignored, all cash");
	bh_fl_return_free(&r);
}

static void test_s7(void)
{
	char l[512], t[512], err[256];
	struct bh_fl_return r;
	struct bh_fl_settle s;
	struct json_object *rf = NULL;
	line(l, sizeof(l), "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "38.20", "0.00", "0.00", "0.00", "0.00",
	       "5.00", "0.00");
	struct json_object *ra = ra_of(ret_json("6042546", "open", l, t, ""), NULL, &s, &r);
	struct json_object *a0 = arr_at(ra, "adjustments", 0);
	is_str(bh_fl_jstr(a0, "kind"), "fee", "S7: fee adjustment");
	is_str(bh_fl_jstr(a0, "item"), "RESTOCKING-FEE", "S7: on the fee item");
	is_str(bh_fl_jstr(a0, "amount"), "-5.00", "S7: fee line -5.00");
	is_int(doc_total(ra), 3820, "S7: RA total 38.20");
	ok(bh_fl_refund_doc(&r, &s, &items, BH_FL_DOC_CASH_REFUND, "793", &rf, err, sizeof(err)) == 0,
	   "S7: cash refund document");
	is_int(doc_total(rf), 3820, "S7: cash refund 38.20");
	is_str(bh_fl_jstr(arr_at(rf, "adjustments", 0), "amount"), "-5.00", "S7: refund carries the fee line");
	json_object_put(rf);
	json_object_put(ra);
	bh_fl_return_free(&r);
}

static void test_bad_returns(void)
{
	char l[512], t[512], err[512];
	struct bh_fl_return r;
	ok(bh_fl_return_parse("not json", 0, &r, err, sizeof(err)) == BH_EINVAL, "not JSON refused");
	bh_fl_return_free(&r);
	ok(bh_fl_return_parse("{\"schema\":\"order/1\",\"id\":\"1\"}", 0, &r, err, sizeof(err)) == BH_EINVAL &&
		   strstr(err, "return/1"), "wrong schema refused (%s)", err);
	bh_fl_return_free(&r);
	/* money as a binary number is refused */
	snprintf(l, sizeof(l), "{\"line_item_id\":\"1\",\"sku\":\"A\",\"quantity\":1,\"price\":40.0,"
		 "\"discount\":\"0.00\",\"tax\":\"0.00\",\"refund\":\"40.00\"}");
	totals(t, sizeof(t), "40.00", "0.00", "0.00", "40.00", "40.00", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	ok(bh_fl_return_parse(ret_json("77", "open", l, t, ""), 0, &r, err, sizeof(err)) == BH_EINVAL &&
		   strstr(err, "lines[0].price"), "a float price is refused naming it (%s)", err);
	bh_fl_return_free(&r);
	/* three decimals are refused */
	line(l, sizeof(l), "A", 1, "40.005", "0.00", "0.00", "40.00");
	ok(bh_fl_return_parse(ret_json("78", "open", l, t, ""), 0, &r, err, sizeof(err)) == BH_EINVAL,
	   "three decimals refused");
	bh_fl_return_free(&r);
	/* zero quantity */
	line(l, sizeof(l), "A", 0, "40.00", "0.00", "0.00", "40.00");
	ok(bh_fl_return_parse(ret_json("79", "open", l, t, ""), 0, &r, err, sizeof(err)) == BH_EINVAL &&
		   strstr(err, "quantity"), "quantity 0 refused (%s)", err);
	bh_fl_return_free(&r);
	/* lines do not add up to gross */
	line(l, sizeof(l), "A", 1, "40.00", "0.00", "3.20", "43.20");
	totals(t, sizeof(t), "41.00", "0.00", "3.20", "44.20", "44.20", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	ok(bh_fl_return_parse(ret_json("80", "open", l, t, ""), 0, &r, err, sizeof(err)) == 0 &&
		   bh_fl_return_reconcile(&r, err, sizeof(err)) == BH_EINVAL && strstr(err, "40.00") &&
		   strstr(err, "41.00") && strstr(err, "return 80"),
	   "gross mismatch names both figures (%s)", err);
	bh_fl_return_free(&r);
	/* outcomes do not add up to total + upsell */
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "40.00", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	ok(bh_fl_return_parse(ret_json("81", "open", l, t, ""), 0, &r, err, sizeof(err)) == 0 &&
		   bh_fl_return_reconcile(&r, err, sizeof(err)) == BH_EINVAL && strstr(err, "40.00") &&
		   strstr(err, "43.20"), "refund 40.00 vs total 43.20 refused naming both (%s)", err);
	bh_fl_return_free(&r);
	/* a line without SKU cannot become an RA line */
	snprintf(l, sizeof(l), "{\"line_item_id\":\"1\",\"sku\":null,\"title\":\"Mystery\",\"quantity\":1,"
		 "\"price\":\"40.00\",\"discount\":\"0.00\",\"tax\":\"3.20\",\"refund\":\"43.20\"}");
	totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00", "0.00", "0.00",
	       "0.00", "0.00");
	struct json_object *d = NULL;
	struct bh_fl_settle s;
	ok(bh_fl_return_parse(ret_json("82", "open", l, t, ""), 0, &r, err, sizeof(err)) == 0 &&
		   bh_fl_settle_return(&r, NULL, false, &s, err, sizeof(err)) == 0 &&
		   bh_fl_ra_doc(&r, &s, &items, "1", NULL, &d, err, sizeof(err)) == BH_EINVAL &&
		   strstr(err, "no SKU") && strstr(err, "Mystery"), "a line without SKU is refused (%s)", err);
	json_object_put(d);
	bh_fl_return_free(&r);
}

static void test_rates(void)
{
	is_int(bh_fl_unit_rate(2160, 2), 1080, "rate 21.60 / 2 = 10.80");
	is_int(bh_fl_unit_rate(1000, 3), 333, "rate 10.00 / 3 = 3.33 (amount stays 10.00)");
	is_int(bh_fl_unit_rate(1001, 2), 501, "rate 10.01 / 2 = 5.01 (half away from zero)");
	is_int(bh_fl_unit_rate(-1001, 2), -501, "rate -10.01 / 2 = -5.01");
	is_int(bh_fl_line_amount(1200, 3, 360), 3240, "amount 3 x 12.00 - 3.60 = 32.40");
}

static const char *order_json =
	"{\"schema\":\"order/1\",\"id\":\"5210398573245212345\",\"name\":\"#1002\",\"number\":1002,"
	"\"created_at\":\"2026-11-01T10:00:00Z\",\"updated_at\":\"2026-11-01T10:00:05Z\","
	"\"cancelled_at\":null,\"currency\":\"USD\",\"financial_status\":\"paid\",\"tags\":[],"
	"\"customer\":{\"id\":7000000000000001,\"email\":\"a@example.com\",\"first_name\":\"Ada\","
	"\"last_name\":\"Lovelace\"},"
	"\"lines\":[{\"id\":\"14000000000000002\",\"sku\":\"MUG-WHT\",\"title\":\"Mug\",\"quantity\":3,"
	"\"price\":\"12.00\",\"discount\":\"3.60\",\"tax\":\"2.58\"}],"
	"\"shipping\":[{\"title\":\"Standard\",\"price\":\"5.00\",\"tax\":\"0.00\"}],"
	"\"discounts\":[{\"code\":\"WELCOME10\",\"type\":\"percentage\",\"amount\":\"3.60\"}],"
	"\"totals\":{\"subtotal\":\"36.00\",\"discount\":\"3.60\",\"shipping\":\"5.00\",\"tax\":\"2.58\","
	"\"total\":\"39.98\",\"refunded\":\"0.00\"},"
	"\"tenders\":[{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"10.00\"},"
	"{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"29.98\"}],\"exchange\":null}";

static void test_order(void)
{
	struct bh_fl_order o;
	struct bh_fl_paid p, q;
	struct json_object *d = NULL;
	char err[512], buf[128];
	ok(bh_fl_order_parse(order_json, 0, &o, err, sizeof(err)) == 0, "order/1 parses");
	is_str(o.customer_id, "7000000000000001", "integer customer id kept exact beyond 2^53");
	is_str(o.id, "5210398573245212345", "order id exact");
	ok(bh_fl_order_reconcile(&o, err, sizeof(err)) == 0, "order reconciles");
	ok(bh_fl_sales_order_doc(&o, "shopify-customer-7000000000000001", NULL, &d, err, sizeof(err)) == 0,
	   "sales order document");
	is_str(bh_fl_jstr(d, "external_id"), "shopify-order-5210398573245212345", "SO external id");
	struct json_object *l0 = arr_at(d, "lines", 0);
	is_str(bh_fl_jstr(l0, "rate"), "10.80", "SO line rate 10.80 (unit net of discount)");
	is_str(bh_fl_jstr(l0, "amount"), "32.40", "SO line amount 32.40");
	is_str(bh_fl_jstr(l0, "discount"), "3.60", "SO line discount 3.60");
	is_str(bh_fl_jstr(l0, "tax"), "2.58", "SO line tax 2.58");
	is_str(bh_fl_jstr(json_object_object_get(d, "shipping"), "amount"), "5.00", "SO shipping 5.00");
	is_str(bh_fl_jstr(d, "total"), "39.98", "SO total 39.98");
	is_str(bh_fl_jstr(arr_at(d, "tenders", 0), "kind"), "card", "tender card first");
	is_str(bh_fl_jstr(arr_at(d, "tenders", 0), "amount"), "29.98", "card 29.98");
	is_str(bh_fl_jstr(arr_at(d, "tenders", 1), "kind"), "gift_card", "gift-card tender");
	is_str(bh_fl_jstr(arr_at(d, "tenders", 1), "amount"), "10.00", "gift card 10.00");
	ok(json_object_object_get(d, "exchange_of") == NULL, "not an exchange");
	struct json_object *c = bh_fl_customer_doc(&o, "guest");
	is_str(bh_fl_jstr(c, "external_id"), "shopify-customer-7000000000000001", "customer external id");
	is_str(bh_fl_jstr(c, "email"), "a@example.com", "customer email");
	json_object_put(c);
	bh_fl_paid_of_order(&o, &p);
	ok(p.known && p.card == 2998 && p.gift_card == 1000, "paid by kind");
	ok(bh_fl_paid_format(&p, buf, sizeof(buf)) == 0 && bh_fl_paid_parse(buf, &q) == 0 &&
		   q.card == 2998 && q.gift_card == 1000 && q.known, "paid xref text round-trips (%s)", buf);
	ok(bh_fl_paid_parse("card=1,gift_card=x", &q) == BH_EINVAL, "bad paid text refused");
	json_object_put(d);
	bh_fl_order_free(&o);

	/* totals that do not reconcile */
	char bad[4096];
	snprintf(bad, sizeof(bad), "%s", order_json);
	char *t = strstr(bad, "\"total\":\"39.98\"");
	memcpy(t, "\"total\":\"39.99\"", 15);
	ok(bh_fl_order_parse(bad, 0, &o, err, sizeof(err)) == 0 &&
		   bh_fl_order_reconcile(&o, err, sizeof(err)) == BH_EINVAL && strstr(err, "39.98") &&
		   strstr(err, "39.99") && strstr(err, "#1002"), "order total mismatch names both (%s)", err);
	bh_fl_order_free(&o);
}

static void test_erp(void)
{
	struct bh_fl_erp_doc d;
	struct bh_fl_write w;
	struct bh_fl_erp_event e;
	char err[256];
	ok(bh_fl_erp_doc_parse("{\"internal_id\":\"790\",\"external_id\":\"loop-ra-1\",\"status\":"
			       "\"pending_receipt\",\"flag\":true,\"sales_order\":{\"internal_id\":\"700\"},"
			       "\"lines\":[{\"sku\":\"A\",\"quantity\":2,\"quantity_received\":1,"
			       "\"quantity_billed\":0,\"closed\":false},{\"sku\":\"A\",\"quantity\":1,"
			       "\"quantity_received\":0},{\"sku\":\"GIFT-CARD\",\"quantity\":1}]}",
			       &d, err, sizeof(err)) == 0, "RA answer parses");
	ok(d.flag && !strcmp(d.sales_order_iid, "700"), "flag and sales order");
	is_int(bh_fl_erp_qty(&d, "A"), 3, "units of A on the RA");
	is_int(bh_fl_erp_received(&d, "A"), 1, "units of A received");
	bh_fl_erp_doc_free(&d);
	ok(bh_fl_write_parse("{\"internal_id\":812,\"external_id\":\"loop-ir-1\",\"type\":\"item_receipt\","
			     "\"created\":false}", &w) == 0 && !strcmp(w.internal_id, "812") && !w.created,
	   "write answer with an integer id");
	ok(bh_fl_erp_event_parse("{\"schema\":\"erp-receipt/1\",\"internal_id\":\"812\",\"external_id\":null,"
				 "\"ra\":{\"internal_id\":\"790\",\"external_id\":\"loop-ra-6042537\"},"
				 "\"return_id\":\"6042537\",\"lines\":[]}", 0, &e, err, sizeof(err)) == 0 &&
		   !strcmp(e.ra_internal_id, "790") && !strcmp(e.return_id, "6042537") && !e.external_id,
	   "erp-receipt/1 parses");
	bh_fl_erp_event_free(&e);
	ok(bh_fl_erp_event_parse("{\"schema\":\"erp-ra/1\",\"internal_id\":\"790\",\"external_id\":"
				 "\"loop-ra-6042537\",\"return_id\":\"6042537\",\"status\":\"closed\","
				 "\"flag\":true}", 0, &e, err, sizeof(err)) == 0 && e.flag &&
		   !strcmp(e.status, "closed"), "erp-ra/1 parses");
	bh_fl_erp_event_free(&e);
	char x[16];
	ok(bh_fl_xid(x, sizeof(x), BH_FL_XID_RA, "1234567890") == BH_ETOOBIG, "external id overflow refused");
}

int main(void)
{
	test_s1();
	test_s2();
	test_s3();
	test_s4();
	test_s5();
	test_s6();
	test_s7();
	test_bad_returns();
	test_rates();
	test_order();
	test_erp();
	return done_testing();
}
