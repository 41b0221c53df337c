/*
 * refunds.c - end-to-end scenarios paid back in money (shared/SCENARIOS.md): S1 full
 * refund to the card, S2 partial return with an order discount and a later over-return
 * refused, S6 split tender, S7 handling fee, S13 several returns on one order and a
 * third refused.
 *
 * backhaul-sim and `backhaul run` run as separate processes (tests/e2e/e2e.h); the
 * shopper orders in Shopify and returns in Loop, NetSuite bills and fulfils the sales
 * order, the warehouse ships and Loop processes, and the NetSuite simulator's records
 * and general ledger are compared with SCENARIOS.md to the cent; then a second sync
 * cycle must write nothing. Built twice: netsuite-soap and netsuite-rest.
 *
 * Ownership: one harness per run. Threading: single-threaded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static struct e2e T;

/* ------------------------------------------------------------------ S1 */

static void s1(void)
{
	struct e2e_order o;
	char eid[80];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("S1 - full refund to the card");
	if (!ok(e2e_order_place(&T, &o, 1, lines, 1, "5.00", NULL) == 0, "S1: order %s placed", o.name))
		return;
	if (!ok(e2e_order_sync(&T, &o, "cash_sale") == 0,
		"S1: sales order in NetSuite, billed as a cash sale, fulfilled"))
		return;
	snprintf(eid, sizeof(eid), "shopify-order-%s", o.id);
	json_object *so = e2e_ns_get(&T, "salesOrder", eid);
	is_str(e2e_str(so, "custom_fields.custbody_bh_shopify_order_id"), o.id,
	       "S1: the Shopify order id (> 2^53) is exact on the sales order");
	is_int(e2e_cents(so, "total"), 4820, "S1: sales order total 48.20 (40.00 + 3.20 + 5.00)");
	json_object_put(so);

	struct scn_return s = {
		.what = "S1", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	is_str(s.doc_type, "cashRefund", "S1: billed as a cash sale, refunded by a cash refund");
	e2e_idempotent_sync(&T, "S1");
}

/* S1 billed as an invoice: by billing, the refund is a credit memo and a customer refund
 * (SCENARIOS.md posting rules; refund_document = by_billing). */
static void s1_invoice(void)
{
	struct e2e_order o;
	char eid[80];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("S1 billed as an invoice - credit memo + customer refund");
	if (!ok(e2e_order_place(&T, &o, 11, lines, 1, "5.00", NULL) == 0, "S1/inv: order %s placed",
		o.name) ||
	    !ok(e2e_order_sync(&T, &o, "invoice") == 0, "S1/inv: sales order billed as an invoice"))
		return;
	struct scn_return s = {
		.what = "S1/inv", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Accounts Receivable=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	e2e_loop_process(&T, s.what, s.rid);
	char type[32];
	json_object *cm = scn_wait_doc(&T, s.rid, type);
	if (!ok(cm && strcmp(type, "creditMemo") == 0,
		"S1/inv: billed by invoice, refunded by credit memo loop-cm-%s", s.rid))
		diag("  the flow wrote %s", cm ? type : "nothing");
	if (cm && strcmp(type, "creditMemo") == 0) {
		is_int(e2e_cents(cm, "total"), 4320, "S1/inv: credit memo 43.20");
		is_int(e2e_int(cm, "created_from", 0), s.ra_id, "S1/inv: credit memo created from the RA");
		snprintf(eid, sizeof(eid), "loop-crf-%s", s.rid);
		json_object *crf = e2e_ns_wait(&T, "customerRefund", eid, E2E_WAIT_MS);
		ok(crf != NULL, "S1/inv: customer refund %s written", eid);
		is_int(e2e_cents(crf, "total"), 4320, "S1/inv: customer refund 43.20");
		json_object_put(crf);
	}
	json_object_put(cm);
	is_int(scn_doc_count(&T, s.rid), 1, "S1/inv: exactly one refund/credit document");
	/* the whole order: the invoice stays receivable (no customer payment in this story),
	 * the return nets to the card */
	e2e_gl_expect_order(&T, "S1/inv order ledger", o.id,
			    "Accounts Receivable=48.20;Sales=-45.00;Sales Returns=40.00;"
			    "Payment Clearing=-43.20");
	e2e_idempotent_sync(&T, "S1/inv");
}

/* ------------------------------------------------------------------ S2 */

static void over_return_id(json_object *ret, void *arg)
{
	json_object_object_add(ret, "id", json_object_new_string(arg));
}

static void s2(void)
{
	struct e2e_order o;
	char rid2[32];
	static const struct e2e_line_spec lines[] = {{"MUG", 3, "12.00", "3.60", "2.58"}};
	diag("S2 - partial return with an order discount");
	if (!ok(e2e_order_place(&T, &o, 2, lines, 1, NULL, NULL) == 0, "S2: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S2: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {
		.what = "S2", .lines = "0:2", .outcome = "refund",
		.ra_lines = "MUG:2:21.60:1.72", .ra_total = "23.32", .doc_total = "23.32",
		.gl = "Sales Returns=21.60;Sales Tax Payable=1.72;Payment Clearing=-23.32;"
		      "Inventory=8.50;Cost of Goods Sold=-8.50"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	char eid[80];
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	json_object *ra = e2e_ns_get(&T, "returnAuthorization", eid);
	is_int(e2e_cents(e2e_line(ra, "MUG"), "rate"), 1080, "S2: RA rate 10.80 (12.00 less 10%%)");
	json_object_put(ra);
	scn_refund(&T, &o, &s, true, true);

	/* the third unit stays sold: Loop refuses 2 more, and the engine refuses them too
	 * when a portal does report them (the same return under another id) */
	long code = e2e_return_place(&T, rid2, &o, "0:2", "refund", NULL, NULL);
	is_int(code, 409, "S2: Loop refuses a return of 2 more units (1 left)");
	char fake[32];
	snprintf(fake, sizeof(fake), "%" PRId64, (int64_t)atoll(s.rid) + 900000);
	is_int(e2e_loop_forge(&T, s.rid, "return.created", over_return_id, fake), 200,
	       "S2: a portal reporting 2 more units is heard");
	e2e_settle(&T, E2E_WAIT_MS, true);
	char *dead = e2e_dead_list(&T, NULL);
	ok(dead && strstr(dead, fake), "S2: the over-return of return %s is dead-lettered", fake);
	if (dead && strstr(dead, fake)) {
		const char *line = strstr(dead, fake);
		const char *msg = strstr(line, "\n    ");
		char m[400] = "";
		if (msg)
			snprintf(m, sizeof(m), "%.*s", (int)strcspn(msg + 5, "\n"), msg + 5);
		diag("S2: dead letter says: %s", m);
		ok(strstr(m, "MUG") && strstr(m, "2") && strstr(m, "1"),
		   "S2: the reason names the SKU and the quantities (2 asked, 1 left)");
	}
	free(dead);
	snprintf(eid, sizeof(eid), "loop-ra-%s", fake);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S2: no RA for the over-return");
	e2e_idempotent_sync(&T, "S2");
}

/* ------------------------------------------------------------------ S6 */

static void s6(void)
{
	struct e2e_order o;
	static const struct e2e_line_spec lines[] = {{"JACKET", 1, "100.00", NULL, "8.00"}};
	diag("S6 - split tender: 60.00 gift card + 48.00 card");
	if (!ok(e2e_order_place(&T, &o, 6, lines, 1, NULL, "gift_card:60.00,shopify_payments") == 0,
		"S6: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S6: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {
		.what = "S6", .lines = "0:1", .outcome = "refund",
		.ra_lines = "JACKET:1:100.00:8.00;GIFT-CARD:1:-60.00", .ra_total = "48.00",
		.doc_total = "48.00",
		.gl = "Sales Returns=100.00;Sales Tax Payable=8.00;Payment Clearing=-48.00;"
		      "Gift Card Liability=-60.00;Inventory=42.00;Cost of Goods Sold=-42.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	json_object *r = NULL;
	e2e_ctlf(&T, "GET", &r, "/control/loop/returns/%s", s.rid);
	diag("S6: Loop refunded per gateway: %s",
	     e2e_get(r, "refunds") ? json_object_to_json_string(e2e_get(r, "refunds")) : "?");
	json_object_put(r);
	e2e_idempotent_sync(&T, "S6");
}

/* ------------------------------------------------------------------ S7 */

static void s7(void)
{
	struct e2e_order o;
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("S7 - handling fee 5.00");
	if (!ok(e2e_order_place(&T, &o, 7, lines, 1, "5.00", NULL) == 0, "S7: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S7: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {
		.what = "S7", .lines = "0:1", .outcome = "refund",
		.extra = "\"handling_fee\":\"5.00\"",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20;RESTOCKING-FEE:1:-5.00", .ra_total = "38.20",
		.doc_total = "38.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Restocking Fee Income=-5.00;"
		      "Payment Clearing=-38.20;Inventory=15.00;Cost of Goods Sold=-15.00"};
	if (!scn_return_ra(&T, &o, &s))
		return;
	scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S7");
}

/* ------------------------------------------------------------------ S13 */

static void s13(void)
{
	struct e2e_order o;
	char rid3[32], fake[32];
	static const struct e2e_line_spec lines[] = {{"TEE-WHT-M", 2, "40.00", NULL, "6.40"}};
	diag("S13 - several returns on one order");
	if (!ok(e2e_order_place(&T, &o, 13, lines, 1, NULL, NULL) == 0, "S13: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S13: sales order in NetSuite, billed"))
		return;
	struct scn_return a = {
		.what = "S13 return A", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-WHT-M:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	struct scn_return b = a;
	b.what = "S13 return B";
	if (!scn_return_ra(&T, &o, &a))
		return;
	scn_refund(&T, &o, &a, true, true);
	if (!scn_return_ra(&T, &o, &b))
		return;
	ok(a.ra_id != b.ra_id, "S13: two RAs on the same sales order");
	scn_refund(&T, &o, &b, true, true);

	is_int(e2e_return_place(&T, rid3, &o, "0:1", "refund", NULL, NULL), 409,
	       "S13: Loop refuses a third return (both units returned)");
	snprintf(fake, sizeof(fake), "%" PRId64, (int64_t)atoll(b.rid) + 900000);
	is_int(e2e_loop_forge(&T, b.rid, "return.created", over_return_id, fake), 200,
	       "S13: a portal reporting a unit already returned is heard");
	e2e_settle(&T, E2E_WAIT_MS, true);
	char *dead = e2e_dead_list(&T, NULL);
	const char *at = dead ? strstr(dead, fake) : NULL;
	ok(at != NULL, "S13: the third return (%s) is dead-lettered", fake);
	if (at) {
		const char *msg = strstr(at, "\n    ");
		char m[400] = "";
		if (msg)
			snprintf(m, sizeof(m), "%.*s", (int)strcspn(msg + 5, "\n"), msg + 5);
		diag("S13: dead letter says: %s", m);
		ok(strstr(m, "TEE-WHT-M") != NULL, "S13: the reason names the SKU (over-return)");
	}
	free(dead);
	char eid[80];
	snprintf(eid, sizeof(eid), "loop-ra-%s", fake);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S13: no third RA");
	e2e_idempotent_sync(&T, "S13");
}

int main(void)
{
	int64_t t0 = tap_mono_ms();
	e2e_setup(&T, E2E_ERP, scn_tap_ok);
	if (!scn_begin(&T))
		return done_testing();
	s1();
	s1_invoice();
	s2();
	s6();
	s7();
	s13();
	return scn_end(&T, t0, 2, "only the two forged over-returns are dead letters");
}
