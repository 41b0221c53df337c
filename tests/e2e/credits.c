/*
 * credits.c - end-to-end scenarios where no cash goes back (shared/SCENARIOS.md): S3
 * store credit with a bonus, S4 exchange (even, then with an upsell paid by card) with
 * the exchange order flowing in as an ordinary sales order linked to the original, S5
 * an order paid by gift card refunded to a gift card.
 *
 * The RA nets to zero with a gift-card / exchange-credit line; the credit document posts
 * to Gift Card Liability; over an exchange the liability and the tax net to zero.
 * Built twice: netsuite-soap and netsuite-rest.
 *
 * Ownership: one harness per run. Threading: single-threaded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static struct e2e T;

/* ------------------------------------------------------------------ S3 */

static void s3(void)
{
	struct e2e_order o;
	static const struct e2e_line_spec lines[] = {{"HOODIE", 1, "60.00", NULL, "4.80"}};
	diag("S3 - store credit with a 5.00 bonus");
	if (!ok(e2e_order_place(&T, &o, 3, lines, 1, NULL, NULL) == 0, "S3: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S3: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {
		.what = "S3", .lines = "0:1", .outcome = "credit", .extra = "\"bonus\":\"5.00\"",
		.ra_lines = "HOODIE:1:60.00:4.80;GIFT-CARD:1:-64.80", .ra_total = "0.00",
		.doc_total = "0.00",
		.doc_lines = "HOODIE:1:60.00:4.80;GIFT-CARD:1:-64.80;RETURN-BONUS:1:5.00;"
			     "GIFT-CARD:1:-5.00",
		.gl = "Sales Returns=60.00;Sales Tax Payable=4.80;Gift Card Liability=-69.80;"
		      "Return Incentive Expense=5.00;Inventory=24.00;Cost of Goods Sold=-24.00;"
		      "Payment Clearing=0.00;Accounts Receivable=0.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S3");
}

/* ------------------------------------------------------------------ S4 */

/* Wait for Loop's exchange order, its sales order (linked to the original), bill and
 * fulfil it; returns 0 with *x filled. */
static int exchange_order(const char *what, const char *rid, const struct e2e_order *orig,
			  struct e2e_order *x)
{
	json_object *r = NULL;
	char name[64] = "";
	e2e_ctlf(&T, "GET", &r, "/control/loop/returns/%s", rid);
	if (e2e_str(r, "exchange_order_name"))
		snprintf(name, sizeof(name), "%s", e2e_str(r, "exchange_order_name"));
	else
		snprintf(name, sizeof(name), "EXC%s", orig->name + 1);
	json_object_put(r);
	if (!ok(e2e_order_find(&T, name, x) == 0, "%s: Loop created exchange order %s in Shopify",
		what, name))
		return -1;
	if (!ok(e2e_order_sync(&T, x, "cash_sale") == 0,
		"%s: exchange order %s is a sales order in NetSuite, billed and fulfilled", what, name))
		return -1;
	char eid[80], orig_eid[80];
	snprintf(eid, sizeof(eid), "shopify-order-%s", x->id);
	snprintf(orig_eid, sizeof(orig_eid), "shopify-order-%s", orig->id);
	json_object *so = e2e_ns_get(&T, "salesOrder", eid);
	const char *ref = e2e_str(so, "other_ref_num");
	if (!ok(ref && (strstr(ref, orig_eid) || strstr(ref, orig->name)),
		"%s: the exchange sales order is linked to the original (%s)", what, orig_eid))
		diag("  other_ref_num '%s', memo '%s'", ref ? ref : "", e2e_str(so, "memo") ? e2e_str(so, "memo") : "");
	json_object_put(so);
	return 0;
}

static void s4(const char *what, int customer, const char *new_sku, const char *new_price,
	       const char *exchange_gl, const char *exc_tenders)
{
	struct e2e_order o, x;
	char extra[160];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("%s - exchange for %s at %s", what, new_sku, new_price);
	if (!ok(e2e_order_place(&T, &o, customer, lines, 1, NULL, NULL) == 0, "%s: order %s placed",
		what, o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "%s: sales order in NetSuite, billed", what))
		return;
	snprintf(extra, sizeof(extra), "\"exchange\":[{\"sku\":\"%s\",\"price\":\"%s\"}]", new_sku,
		 new_price);
	struct scn_return s = {
		.what = what, .lines = "0:1", .outcome = "exchange", .extra = extra,
		.ra_lines = "TEE-BLK-M:1:40.00:3.20;GIFT-CARD:1:-43.20", .ra_total = "0.00",
		.doc_total = "0.00",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Gift Card Liability=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	if (exchange_order(what, s.rid, &o, &x) != 0)
		return;
	/* how the exchange order was paid (Loop's exchange credit, plus the card for an
	 * upsell) */
	json_object *tx = NULL;
	e2e_ctlf(&T, "GET", &tx, "/control/shopify/orders/%s/transactions", x.id);
	json_object *a = e2e_get(tx, "transactions");
	char got[256] = "";
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *one = json_object_array_get_idx(a, i);
		size_t n = strlen(got);
		snprintf(got + n, sizeof(got) - n, "%s%s:%s", i ? "," : "",
			 e2e_str(one, "gateway") ? e2e_str(one, "gateway") : "?",
			 e2e_str(one, "amount") ? e2e_str(one, "amount") : "?");
	}
	is_str(got, exc_tenders, "%s: the exchange order is paid %s", what, exc_tenders);
	json_object_put(tx);
	/* the exchange order's billing alone */
	char w[64];
	snprintf(w, sizeof(w), "%s exchange billing", what);
	if (strcmp(what, "S4") == 0)
		e2e_gl_expect(&T, w, x.id, x.bill_id,
			      "Gift Card Liability=43.20;Sales=-40.00;Sales Tax Payable=-3.20");
	else
		e2e_gl_expect(&T, w, x.id, x.bill_id,
			      "Gift Card Liability=43.20;Payment Clearing=10.80;Sales=-50.00;"
			      "Sales Tax Payable=-4.00");
	/* net over the exchange: the return on the original and the whole exchange order */
	struct e2e_gl g;
	memset(&g, 0, sizeof(g));
	e2e_gl_add(&T, &g, o.id, s.ra_id);
	e2e_gl_add(&T, &g, x.id, 0);
	snprintf(w, sizeof(w), "%s net over the exchange", what);
	e2e_gl_check(&T, &g, w, exchange_gl);
	e2e_idempotent_sync(&T, what);
	char eid[80];
	snprintf(eid, sizeof(eid), "shopify-order-%s", x.id);
	is_int(e2e_ns_count(&T, "salesOrder", eid), 1, "%s: exactly one exchange sales order", what);
}

/* ------------------------------------------------------------------ S5 */

static void s5(void)
{
	struct e2e_order o;
	static const struct e2e_line_spec lines[] = {{"CAP", 1, "25.00", NULL, "2.00"}};
	diag("S5 - paid by gift card, refunded to a gift card");
	if (!ok(e2e_order_place(&T, &o, 5, lines, 1, NULL, "gift_card") == 0, "S5: order %s placed",
		o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S5: sales order in NetSuite, billed"))
		return;
	e2e_gl_expect(&T, "S5 sale (gift-card tender)", o.id, o.bill_id,
		      "Gift Card Liability=27.00;Sales=-25.00;Sales Tax Payable=-2.00;"
		      "Payment Clearing=0.00");
	struct scn_return s = {
		.what = "S5", .lines = "0:1", .outcome = "refund",
		.ra_lines = "CAP:1:25.00:2.00;GIFT-CARD:1:-27.00", .ra_total = "0.00",
		.doc_total = "0.00",
		.gl = "Sales Returns=25.00;Sales Tax Payable=2.00;Gift Card Liability=-27.00;"
		      "Inventory=9.00;Cost of Goods Sold=-9.00;Payment Clearing=0.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S5");
}

int main(void)
{
	int64_t t0 = tap_mono_ms();
	e2e_setup(&T, E2E_ERP, scn_tap_ok);
	if (!scn_begin(&T))
		return done_testing();
	s3();
	s4("S4", 4, "TEE-BLK-L", "40.00",
	   "Sales Returns=40.00;Sales=-40.00;Sales Tax Payable=0.00;Gift Card Liability=0.00;"
	   "Payment Clearing=0.00;Inventory=0.00;Cost of Goods Sold=0.00",
	   "gift_card:43.20");
	s4("S4 upsell", 41, "TEE-PRM-L", "50.00",
	   "Sales Returns=40.00;Sales=-50.00;Sales Tax Payable=-0.80;Gift Card Liability=0.00;"
	   "Payment Clearing=10.80;Inventory=-4.00;Cost of Goods Sold=4.00",
	   "gift_card:43.20,shopify_payments:10.80");
	s5();
	return scn_end(&T, t0, 0, "no dead letters");
}
