/*
 * return_authorization.c - the return-authorization flow in the engine (with the
 * sales-order flow feeding the fake ERP): the RA documents of S1, S3, S4, S6, S7; xrefs;
 * duplicates and a lost answer after the write (S16: exactly one RA); a return before
 * its order (S15: retried, then written); an unknown SKU (S14: dead letter naming SKU
 * and field, clean replay); over-returns (S2, S13); totals that do not reconcile;
 * cancelled returns, closed updates, create_on_refund and dry run writing nothing; a
 * return cancelled while its RA is not written yet, in both orders of the two flows
 * (return-cancel running too): no RA, or the RA closed; the portal's state re-read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowlib_scen.h"
#include "flowlib_test.h"

#define FLOWS                                                                                  \
	"[endpoint erp]\nplugin = flowlib-fake\n\n"                                            \
	"[flow sales-order]\nplugin = sales-order\n"                                           \
	"subscribe = storefront.order.created, storefront.order.updated\nerp = erp\n"          \
	"min_backoff = 10ms\nmax_backoff = 40ms\n\n"                                           \
	"[flow return-authorization]\nplugin = return-authorization\n"                         \
	"subscribe = portal.return.created, portal.return.updated, portal.return.cancelled\n"   \
	"erp = erp\n"                                                                          \
	"storefront = erp\nmissing_retry = 30ms\nmin_backoff = 10ms\nmax_backoff = 40ms\n"     \
	"max_attempts = 100\n"

static char buf[16384], tmp[2048], tmp2[1024], xb[256];
static const char *FL = "return-authorization";

/* The RA with external id xid in a dump (borrowed), and how many there are. */
static json_object *ra_by(json_object *d, const char *xid, int *count)
{
	json_object *a = json_object_object_get(d, "ras"), *hit = NULL;
	*count = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *r = json_object_array_get_idx(a, i);
		if (!strcmp(flt_path(r, "external_id"), xid)) {
			hit = r;
			(*count)++;
		}
	}
	return hit;
}

static int creates_of(json_object *d, const char *xid)
{
	json_object *a = json_object_object_get(d, "calls");
	int n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i);
		const char *op = flt_path(c, "op"), *x = flt_path(c, "arg.external_id");
		if (!strcmp(op, "create_return_authorization") && x && !strcmp(x, xid))
			n++;
	}
	return n;
}

static void order(struct flt *t, const char *key, const char *body)
{
	uint64_t ok0, r0, d0;
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	flt_ingest(t, "shopify", "storefront.order.created", key, body);
	flt_wait(t, "sales-order", ok0 + 1, 0, 0, 5000);
}

static void test_s1_and_duplicates(struct flt *t)
{
	int n;
	order(t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	flt_ingest(t, "loop", "portal.return.created", "return:7001:created",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	ok(flt_wait(t, FL, 1, 0, 0, 5000), "S1: return acknowledged");
	json_object *d = flt_dump(t);
	json_object *ra = ra_by(d, "loop-ra-7001", &n);
	is_int(n, 1, "S1: one RA loop-ra-7001");
	const char *so_iid = flt_path(flt_get(d, "sales_orders", 0), "internal_id");
	is_str(flt_path(ra, "doc.sales_order.internal_id"), so_iid, "S1: RA from the sales order");
	is_str(flt_path(ra, "doc.return_id"), "7001", "S1: return id on the RA");
	is_str(flt_path(ra, "doc.lines.0.sku"), "TEE-BLK-M", "S1: line SKU");
	is_str(flt_path(ra, "doc.lines.0.quantity"), "1", "S1: qty 1");
	is_str(flt_path(ra, "doc.lines.0.amount"), "40.00", "S1: amount 40.00");
	is_str(flt_path(ra, "doc.lines.0.tax"), "3.20", "S1: tax 3.20");
	ok(flt_path(ra, "doc.adjustments.0") == NULL, "S1: no adjustment");
	is_str(flt_xref(t, "ra", "7001", xb, sizeof(xb)), flt_path(ra, "internal_id"), "S1: xref ra:7001");
	is_str(flt_xref(t, "returned", "5001:14001", xb, sizeof(xb)), "1", "S1: returned:5001:14001 = 1");
	json_object_put(d);

	/* S16: the same webhook again (dropped by key), an update, a poll of the same state */
	flt_ingest(t, "loop", "portal.return.created", "return:7001:created",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	flt_ingest(t, "loop", "portal.return.created", "return:7001:created",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	flt_ingest(t, "loop", "portal.return.updated", "return:7001:open:2026-11-03T09:05:00Z",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	ok(flt_wait(t, FL, 2, 0, 0, 5000), "S16: the update acknowledged");
	d = flt_dump(t);
	ra_by(d, "loop-ra-7001", &n);
	is_int(n, 1, "S16: still one RA");
	is_int(creates_of(d, "loop-ra-7001"), 1, "S16: created once (the update saw the xref)");
	json_object_put(d);
}

static void test_crash_after_write(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	order(t, "o:5003", scen_s3_order(buf, sizeof(buf)));
	flt_ctl(t, "fault", "{\"op\":\"create_return_authorization\",\"rc\":\"retry_after_write\","
		"\"times\":1}");
	flt_ingest(t, "loop", "portal.return.created", "return:7003:created",
		   scen_s3_return(buf, sizeof(buf), "7003", "open"));
	ok(flt_wait(t, FL, ok0 + 1, r0 + 1, 0, 5000), "S16: answer lost after the write, retried, acknowledged");
	json_object *d = flt_dump(t);
	json_object *ra = ra_by(d, "loop-ra-7003", &n);
	is_int(n, 1, "S16: exactly one RA after the replayed write");
	is_int(creates_of(d, "loop-ra-7003"), 2, "S16: the create was sent twice");
	/* S3's RA */
	is_str(flt_path(ra, "doc.lines.0.amount"), "60.00", "S3: HOODIE 60.00");
	is_str(flt_path(ra, "doc.lines.0.tax"), "4.80", "S3: tax 4.80");
	is_str(flt_path(ra, "doc.adjustments.0.kind"), "store_credit", "S3: store credit line");
	is_str(flt_path(ra, "doc.adjustments.0.item"), "GIFT-CARD", "S3: on GIFT-CARD");
	is_str(flt_path(ra, "doc.adjustments.0.amount"), "-64.80", "S3: -64.80 (RA total 0.00)");
	is_str(flt_xref(t, "ra", "7003", xb, sizeof(xb)), flt_path(ra, "internal_id"),
	       "S16: xref written with the second attempt's ack");
	json_object_put(d);
}

static void test_scenarios(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	/* S4: exchange for a same-price item */
	scen_order(buf, sizeof(buf), "5004", "#1004", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14004", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	order(t, "o:5004", buf);
	scen_return(buf, sizeof(buf), "7004", "open", "5004", "#1004",
		    scen_rline(tmp2, sizeof(tmp2), "14004", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "0.00", "0.00", "0.00",
				"43.20", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7004:created", buf);
	/* S6: split tender, 60.00 gift card + 48.00 card (tenders recorded by sales-order) */
	scen_order(buf, sizeof(buf), "5006", "#1006", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14006", "JACKET-NVY-M", 1, "100.00", "0.00", "8.00"),
		   "100.00", "0.00", "0.00", "8.00", "108.00",
		   "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"60.00\"},"
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"48.00\"}", NULL);
	order(t, "o:5006", buf);
	scen_return(buf, sizeof(buf), "7006", "open", "5006", "#1006",
		    scen_rline(tmp2, sizeof(tmp2), "14006", "JACKET-NVY-M", 1, "100.00", "0.00", "8.00",
			       "108.00"),
		    scen_totals(tmp, sizeof(tmp), "100.00", "0.00", "8.00", "108.00", "108.00", "0.00",
				"0.00", "0.00", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7006:created", buf);
	/* S7: handling fee */
	order(t, "o:5001b", scen_s1_order(buf, sizeof(buf)));
	scen_s1_return(buf, sizeof(buf), "7007", "open", true);
	flt_ingest(t, "loop", "portal.return.created", "return:7007:created", buf);
	ok(flt_wait(t, FL, ok0 + 2, 0, 0, 5000), "S4, S6 acknowledged");
	/* 7007 is a second return of #1001's single unit: an over-return */
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "second return of #1001's only unit dead-lettered");
	char *e = flt_dead(t, "return:7007:created");
	ok(e && strstr(e, "over-return") && strstr(e, "#1001") && strstr(e, "ordered 1") &&
		   strstr(e, "1 already returned"), "over-return names the quantities: %s", e ? e : "");
	free(e);
	json_object *d = flt_dump(t);
	json_object *ra = ra_by(d, "loop-ra-7004", &n);
	is_str(flt_path(ra, "doc.adjustments.0.kind"), "exchange_credit", "S4: exchange-credit line");
	is_str(flt_path(ra, "doc.adjustments.0.amount"), "-43.20", "S4: -43.20 (RA total 0.00)");
	ra = ra_by(d, "loop-ra-7006", &n);
	is_str(flt_path(ra, "doc.lines.0.amount"), "100.00", "S6: JACKET 100.00 + 8.00");
	is_str(flt_path(ra, "doc.adjustments.0.kind"), "gift_card", "S6: gift-card line");
	is_str(flt_path(ra, "doc.adjustments.0.amount"), "-60.00", "S6: -60.00 (RA total 48.00)");
	ok(!flt_path(ra, "doc.lines.1") && !flt_path(ra, "doc.adjustments.1"),
	   "S6: the RA carries only the returned line and its own adjustment");
	ok(!flt_path(ra, "lines.2"), "S6: the RA is not initialized with the order's tender line");
	json_object *so6 = NULL;
	for (size_t i = 0; i < json_object_array_length(json_object_object_get(d, "sales_orders")); i++)
		if (!strcmp(flt_path(flt_get(d, "sales_orders", i), "external_id"), "shopify-order-5006"))
			so6 = flt_get(d, "sales_orders", i);
	is_str(flt_path(so6, "doc.adjustments.0.amount"), "-60.00",
	       "S6: the sales order carries the gift-card tender line -60.00");
	json_object_put(d);

	/* S7 on its own order */
	scen_order(buf, sizeof(buf), "5007", "#1007", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14007", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "5.00", "3.20", "48.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"48.20\"}", NULL);
	order(t, "o:5007", buf);
	scen_return(buf, sizeof(buf), "7017", "open", "5007", "#1007",
		    scen_rline(tmp2, sizeof(tmp2), "14007", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "38.20", "0.00", "0.00",
				"0.00", "0.00", "5.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7017:created", buf);
	ok(flt_wait(t, FL, ok0 + 3, 0, 0, 5000), "S7 acknowledged");
	d = flt_dump(t);
	ra = ra_by(d, "loop-ra-7017", &n);
	is_str(flt_path(ra, "doc.adjustments.0.kind"), "fee", "S7: fee line");
	is_str(flt_path(ra, "doc.adjustments.0.item"), "RESTOCKING-FEE", "S7: on RESTOCKING-FEE");
	is_str(flt_path(ra, "doc.adjustments.0.amount"), "-5.00", "S7: -5.00 (RA total 38.20)");
	json_object_put(d);
}

static void test_s15(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	scen_return(buf, sizeof(buf), "7020", "open", "5020", "#1020",
		    scen_rline(tmp2, sizeof(tmp2), "14020", "TEE-BLK-L", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00",
				"0.00", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7020:created", buf);
	ok(flt_wait(t, FL, 0, r0 + 2, 0, 5000), "S15: retried while the order is not in the ERP");
	ok(flt_log_has(t, FL, "not in the ERP yet", 5000), "S15: the retry says why");
	flt_counts(t, FL, &ok0, &r0, &d0);
	is_int((long long)d0, 1, "S15: not dead-lettered");
	scen_order(buf, sizeof(buf), "5020", "#1020", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14020", "TEE-BLK-L", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	order(t, "o:5020", buf);
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S15: written once the order synced");
	json_object *d = flt_dump(t);
	ra_by(d, "loop-ra-7020", &n);
	is_int(n, 1, "S15: one RA");
	json_object_put(d);
}

static void test_s14(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	/* a sales order synced by someone else, with an item NetSuite no longer knows */
	flt_ctl(t, "so", "{\"external_id\":\"ns-so-5021\",\"storefront_order_id\":\"5021\","
		"\"billing\":\"cash_sale\",\"lines\":[{\"sku\":\"GHOST-1\",\"quantity\":1}]}");
	scen_return(buf, sizeof(buf), "7021", "open", "5021", "#1021",
		    scen_rline(tmp2, sizeof(tmp2), "14021", "GHOST-1", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "0.00", "43.20", "0.00",
				"0.00", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7021:created", buf);
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "S14: dead-lettered");
	char *e = flt_dead(t, "return:7021:created");
	ok(e && strstr(e, "UNKNOWN_SKU") && strstr(e, "GHOST-1") && strstr(e, "itemid") &&
		   strstr(e, "7021"), "S14: the dead letter names SKU, field and return: %s", e ? e : "");
	free(e);
	json_object *d = flt_dump(t);
	ra_by(d, "loop-ra-7021", &n);
	is_int(n, 0, "S14: nothing written");
	json_object_put(d);
	flt_ctl(t, "items", "{\"skus\":[\"GHOST-1\"]}");
	ok(flt_replay(t) >= 1, "S14: replayed after the item was created");
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S14: replay acknowledged");
	d = flt_dump(t);
	json_object *ra = ra_by(d, "loop-ra-7021", &n);
	is_int(n, 1, "S14: one RA after the replay");
	is_str(flt_path(ra, "doc.sales_order.internal_id"),
	       flt_path(flt_get(d, "sales_orders", json_object_array_length(json_object_object_get(d, "sales_orders")) - 1), "internal_id"),
	       "S14: RA on the sales order found by the Shopify order id");
	json_object_put(d);
}

static void test_over_return(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	/* S13: 2 x TEE; return A (1), return B (1), return C (1) refused */
	order(t, "o:5013", scen_s13_order(buf, sizeof(buf)));
	flt_ingest(t, "loop", "portal.return.created", "return:7131:created",
		   scen_s13_return(buf, sizeof(buf), "7131", 1));
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S13: return A acknowledged");
	flt_ingest(t, "loop", "portal.return.created", "return:7132:created",
		   scen_s13_return(buf, sizeof(buf), "7132", 1));
	ok(flt_wait(t, FL, ok0 + 2, 0, 0, 5000), "S13: return B acknowledged");
	flt_ingest(t, "loop", "portal.return.created", "return:7133:created",
		   scen_s13_return(buf, sizeof(buf), "7133", 1));
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "S13: return C dead-lettered");
	char *e = flt_dead(t, "return:7133:created");
	ok(e && strstr(e, "over-return") && strstr(e, "ordered 2") && strstr(e, "2 already returned") &&
		   strstr(e, "(0 left)") && strstr(e, "7133"), "S13: over-return reason: %s", e ? e : "");
	free(e);
	json_object *d = flt_dump(t);
	json_object *a = ra_by(d, "loop-ra-7131", &n), *b = ra_by(d, "loop-ra-7132", &n);
	ok(a && b && !strcmp(flt_path(a, "doc.sales_order.internal_id"),
			     flt_path(b, "doc.sales_order.internal_id")), "S13: two RAs on the same sales order");
	ra_by(d, "loop-ra-7133", &n);
	is_int(n, 0, "S13: no third RA");
	json_object_put(d);
	is_str(flt_xref(t, "returned", S13_OID ":14013", xb, sizeof(xb)), "2", "S13: 2 units returned");
	/* return A is cancelled in Loop: its unit can be returned again (return D) */
	flt_counts(t, FL, &ok0, &r0, &d0);
	char cancelled[4096];
	scen_return(cancelled, sizeof(cancelled), "7131", "cancelled", S13_OID, "#1013",
		    scen_rline(tmp2, sizeof(tmp2), "14013", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00",
				"0.00", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.cancelled", "return:7131:cancelled", cancelled);
	flt_ingest(t, "loop", "portal.return.updated", "return:7131:cancelled:u", cancelled);
	ok(flt_wait(t, FL, ok0 + 2, 0, 0, 5000), "S13: cancellation (and its update) acknowledged");
	is_str(flt_xref(t, "returned", S13_OID ":14013", xb, sizeof(xb)), "1", "S13: A's unit given back once");
	is_str(flt_xref(t, "released", "7131", xb, sizeof(xb)), "cancelled", "S13: released:7131");
	flt_ingest(t, "loop", "portal.return.created", "return:7134:created",
		   scen_s13_return(buf, sizeof(buf), "7134", 1));
	ok(flt_wait(t, FL, ok0 + 3, 0, 0, 5000), "S13: return D of the given-back unit acknowledged");
	d = flt_dump(t);
	ra_by(d, "loop-ra-7134", &n);
	is_int(n, 1, "S13: RA for return D");
	json_object_put(d);

	/* S2: 3 x MUG, return 2, then 2 more -> only 1 left */
	flt_counts(t, FL, &ok0, &r0, &d0);
	scen_order(buf, sizeof(buf), "5002", "#1002", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14002", "MUG-WHT", 3, "12.00", "3.60", "2.58"), "36.00",
		   "3.60", "0.00", "2.58", "34.98",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"34.98\"}", NULL);
	order(t, "o:5002", buf);
	for (int i = 0; i < 2; i++) {
		char rid[16], key[64];
		snprintf(rid, sizeof(rid), "720%d", i);
		snprintf(key, sizeof(key), "return:%s:created", rid);
		scen_return(buf, sizeof(buf), rid, "open", "5002", "#1002",
			    scen_rline(tmp2, sizeof(tmp2), "14002", "MUG-WHT", 2, "12.00", "2.40", "1.72",
				       "23.32"),
			    scen_totals(tmp, sizeof(tmp), "24.00", "2.40", "1.72", "23.32", "23.32", "0.00",
					"0.00", "0.00", "0.00", "0.00", "0.00"), "");
		flt_ingest(t, "loop", "portal.return.created", key, buf);
		if (i == 0)
			ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S2: 2 of 3 mugs returned");
	}
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "S2: 2 more mugs refused");
	e = flt_dead(t, "return:7201:created");
	ok(e && strstr(e, "ordered 3") && strstr(e, "2 already returned") && strstr(e, "asks for 2") &&
		   strstr(e, "(1 left)"), "S2: only 1 left: %s", e ? e : "");
	free(e);
	d = flt_dump(t);
	json_object *ra = ra_by(d, "loop-ra-7200", &n);
	is_str(flt_path(ra, "doc.lines.0.rate"), "10.80", "S2: rate 10.80");
	is_str(flt_path(ra, "doc.lines.0.amount"), "21.60", "S2: amount 21.60");
	is_str(flt_path(ra, "doc.lines.0.tax"), "1.72", "S2: tax 1.72");
	json_object_put(d);
}

static void test_bad_and_skips(struct flt *t)
{
	uint64_t ok0, r0, d0;
	int calls;
	flt_counts(t, FL, &ok0, &r0, &d0);
	json_object *d = flt_dump(t);
	calls = flt_calls(d, "create_return_authorization");
	json_object_put(d);
	/* totals that do not reconcile */
	scen_return(buf, sizeof(buf), "7030", "open", S1_OID, "#1001",
		    scen_rline(tmp2, sizeof(tmp2), "14001", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "40.00", "0.00", "0.00",
				"0.00", "0.00", "0.00", "0.00"), "");
	flt_ingest(t, "loop", "portal.return.created", "return:7030:created", buf);
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "unreconciled return dead-lettered");
	char *e = flt_dead(t, "return:7030:created");
	ok(e && strstr(e, "7030") && strstr(e, "40.00") && strstr(e, "43.20"),
	   "the reason names both figures: %s", e ? e : "");
	free(e);
	/* a cancelled return, and an update in state closed, write nothing */
	flt_ingest(t, "loop", "portal.return.created", "return:7031:created",
		   scen_s1_return(buf, sizeof(buf), "7031", "cancelled", false));
	flt_ingest(t, "loop", "portal.return.updated", "return:7032:closed:x",
		   scen_s1_return(buf, sizeof(buf), "7032", "closed", false));
	ok(flt_wait(t, FL, ok0 + 2, 0, 0, 5000), "cancelled return and closed update acknowledged");
	d = flt_dump(t);
	is_int(flt_calls(d, "create_return_authorization"), calls, "no RA for them");
	json_object_put(d);
	ok(flt_xref(t, "ra", "7031", xb, sizeof(xb)) == NULL, "no xref for the cancelled return");
}

/* The fake's count of held calls (see "hold"). */
static int waiting(struct flt *t)
{
	json_object *d = flt_dump(t);
	const char *w = flt_path(d, "waiting");
	int n = w ? atoi(w) : 0;
	json_object_put(d);
	return n;
}

static bool wait_held(struct flt *t, int n, int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms;
	while (waiting(t) < n) {
		if (tap_mono_ms() > dl)
			return false;
		struct timespec ts = {0, 2 * 1000000L}; /* polling a condition, 2 ms */
		nanosleep(&ts, NULL);
	}
	return true;
}

static const char *ra_return(char *b, size_t n, const char *rid, const char *state,
			     const char *oid, const char *oname, const char *line)
{
	char l[512], tt[512];
	return scen_return(b, n, rid, state, oid, oname,
			   scen_rline(l, sizeof(l), line, "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
			   scen_totals(tt, sizeof(tt), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00",
				       "0.00", "0.00", "0.00", "0.00", "0.00"), "");
}

static const char *ra_order(char *b, size_t n, const char *oid, const char *oname,
			    const char *line)
{
	char l[512];
	return scen_order(b, n, oid, oname, "2026-11-01T10:00:05Z",
			  scen_oline(l, sizeof(l), line, "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
			  "0.00", "0.00", "3.20", "43.20",
			  "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
}

/* A return cancelled while its RA is not written yet (S15 + S8), in every order of the
 * two flows' reads and writes: the RA is either never written or closed. */
static void test_cancel_race(void)
{
	struct flt t;
	char c[4096];
	int n;
	const char *RC = "return-cancel";
	uint64_t ok0, r0, d0, cok, cr, cd;
	snprintf(c, sizeof(c), "%sportal = erp\n\n[flow return-cancel]\nplugin = return-cancel\n"
		 "subscribe = portal.return.cancelled\nerp = erp\nmin_backoff = 10ms\n"
		 "max_backoff = 40ms\nmax_attempts = 100\n", FLOWS);
	ok(flt_start(&t, c, false) == 0 && t.fake, "engine with return-authorization and return-cancel");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");

	/* 1. cancelled while waiting for its order: return-cancel finds no RA and records it;
	 *    when the order arrives the RA flow writes none */
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.created", "return:7040:created",
		   ra_return(buf, sizeof(buf), "7040", "open", "5040", "#1040", "14040"));
	ok(flt_wait(&t, FL, 0, r0 + 2, 0, 5000), "race 1: the return waits for its order");
	flt_counts(&t, RC, &cok, &cr, &cd);
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.cancelled", "return:7040:cancelled",
		   ra_return(buf, sizeof(buf), "7040", "cancelled", "5040", "#1040", "14040"));
	ok(flt_wait(&t, RC, cok + 2, 0, 0, 5000), "race 1: cancellation and its re-check acknowledged");
	/* the RA flow is subscribed to the cancellation too: the record and the re-check */
	ok(flt_wait(&t, FL, ok0 + 2, 0, 0, 5000), "race 1: the RA flow saw both");
	is_str(flt_xref(&t, "cancelled", "7040", xb, sizeof(xb)), "close",
	       "race 1: cancelled:7040 recorded by return-cancel");
	flt_counts(&t, FL, &ok0, &r0, &d0);
	order(&t, "o:5040", ra_order(buf, sizeof(buf), "5040", "#1040", "14040"));
	ok(flt_wait(&t, FL, ok0 + 1, 0, 0, 5000), "race 1: the waiting return is acknowledged");
	json_object *d = flt_dump(&t);
	is_int(creates_of(d, "loop-ra-7040"), 0, "race 1: no RA written for the cancelled return");
	json_object_put(d);
	ok(flt_xref(&t, "ra", "7040", xb, sizeof(xb)) == NULL, "race 1: no ra xref");

	/* 2. the RA is being written (held in the ERP) when the cancellation comes: return-cancel
	 *    finds none, twice (its re-check too); the RA flow reads the mark after its write
	 *    and closes the RA */
	order(&t, "o:5041", ra_order(buf, sizeof(buf), "5041", "#1041", "14041"));
	flt_ctl(&t, "hold", "{\"op\":\"create_return_authorization\"}");
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.created", "return:7041:created",
		   ra_return(buf, sizeof(buf), "7041", "open", "5041", "#1041", "14041"));
	ok(wait_held(&t, 1, 5000), "race 2: the RA write is in flight");
	flt_counts(&t, RC, &cok, &cr, &cd);
	flt_ingest(&t, "loop", "portal.return.cancelled", "return:7041:cancelled",
		   ra_return(buf, sizeof(buf), "7041", "cancelled", "5041", "#1041", "14041"));
	ok(flt_wait(&t, RC, cok + 2, 0, 0, 5000), "race 2: return-cancel found no RA, re-checked, acknowledged");
	flt_ctl(&t, "release", NULL);
	ok(flt_wait(&t, FL, ok0 + 3, 0, 0, 5000), "race 2: RA flow acknowledged (return, "
	   "cancellation, re-check)");
	d = flt_dump(&t);
	json_object *ra = ra_by(d, "loop-ra-7041", &n);
	is_int(n, 1, "race 2: the RA was written");
	is_str(flt_path(ra, "status"), "closed", "race 2: ... and closed by the RA flow");
	json_object_put(d);
	is_str(flt_xref(&t, "released", "7041", xb, sizeof(xb)), "cancelled",
	       "race 2: its units released");
	ok(flt_xref(&t, "returned", "5041:14041", xb, sizeof(xb)) == NULL || !strcmp(xb, "0"),
	   "race 2: no units counted as returned");

	/* 3. the other order: the RA flow wrote the RA without seeing a mark, return-cancel read
	 *    the ERP before the RA was there (planted: its first read answers not found); its
	 *    re-check finds the RA and closes it */
	order(&t, "o:5042", ra_order(buf, sizeof(buf), "5042", "#1042", "14042"));
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.created", "return:7042:created",
		   ra_return(buf, sizeof(buf), "7042", "open", "5042", "#1042", "14042"));
	ok(flt_wait(&t, FL, ok0 + 1, 0, 0, 5000), "race 3: RA written");
	flt_ctl(&t, "fault", "{\"op\":\"get_return_authorization\",\"rc\":\"enoent\",\"times\":1}");
	flt_counts(&t, RC, &cok, &cr, &cd);
	flt_ingest(&t, "loop", "portal.return.cancelled", "return:7042:cancelled",
		   ra_return(buf, sizeof(buf), "7042", "cancelled", "5042", "#1042", "14042"));
	ok(flt_wait(&t, RC, cok + 2, 0, 0, 5000), "race 3: cancellation and re-check acknowledged");
	ok(flt_wait(&t, FL, ok0 + 3, 0, 0, 5000), "race 3: the RA flow saw both");
	d = flt_dump(&t);
	ra = ra_by(d, "loop-ra-7042", &n);
	is_str(flt_path(ra, "status"), "closed", "race 3: the re-check closed the RA");
	json_object_put(d);

	/* 4. no return-cancel record yet, but the portal says the return is cancelled */
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.created", "return:7043:created",
		   ra_return(buf, sizeof(buf), "7043", "open", "5043", "#1043", "14043"));
	ok(flt_wait(&t, FL, 0, r0 + 2, 0, 5000), "race 4: the return waits for its order");
	flt_ctl(&t, "return", ra_return(buf, sizeof(buf), "7043", "cancelled", "5043", "#1043", "14043"));
	flt_counts(&t, FL, &ok0, &r0, &d0);
	order(&t, "o:5043", ra_order(buf, sizeof(buf), "5043", "#1043", "14043"));
	ok(flt_wait(&t, FL, ok0 + 1, 0, 0, 5000), "race 4: acknowledged");
	d = flt_dump(&t);
	is_int(creates_of(d, "loop-ra-7043"), 0, "race 4: the portal's state stopped the RA");
	ok(flt_calls(d, "get_return") >= 1, "race 4: the portal was asked");
	json_object_put(d);
	/* ... and a return the portal says is open gets its RA */
	flt_ctl(&t, "return", ra_return(buf, sizeof(buf), "7044", "open", "5043", "#1043", "14043"));
	flt_counts(&t, FL, &ok0, &r0, &d0);
	flt_ingest(&t, "loop", "portal.return.created", "return:7044:created",
		   ra_return(buf, sizeof(buf), "7044", "open", "5043", "#1043", "14043"));
	ok(flt_wait(&t, FL, ok0 + 1, 0, 0, 5000), "race 4: open return acknowledged");
	d = flt_dump(&t);
	is_int(creates_of(d, "loop-ra-7044"), 1, "race 4: an open return gets its RA");
	json_object_put(d);
	flt_stop(&t);
}

static void test_settings(void)
{
	struct flt t;
	char c[4096];
	/* create_on_refund: nothing is written when the return is created (S12) */
	snprintf(c, sizeof(c), "%s\ncreate_on_refund = true\n", FLOWS);
	ok(flt_start(&t, c, false) == 0 && t.fake, "engine with create_on_refund");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	order(&t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	flt_ingest(&t, "loop", "portal.return.created", "return:7001:created",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	ok(flt_wait(&t, FL, 1, 0, 0, 5000), "create_on_refund: acknowledged");
	json_object *d = flt_dump(&t);
	is_int(flt_calls(d, "create_return_authorization") + flt_calls(d, "find_sales_order"), 0,
	       "create_on_refund: nothing asked or written");
	json_object_put(d);
	flt_stop(&t);

	/* dry run: the RA is computed and logged, nothing written, no xref */
	ok(flt_start(&t, FLOWS, true) == 0 && t.fake, "engine in dry run");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	flt_ctl(&t, "so", "{\"external_id\":\"shopify-order-5001\",\"storefront_order_id\":\"5001\","
		"\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]}");
	flt_ingest(&t, "loop", "portal.return.created", "return:7001:created",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	ok(flt_wait(&t, FL, 1, 0, 0, 5000), "dry run: acknowledged");
	d = flt_dump(&t);
	is_int(flt_calls(d, "create_return_authorization"), 0, "dry run: no RA written");
	ok(flt_calls(d, "find_sales_order") >= 1, "dry run: the sales order was read");
	json_object_put(d);
	ok(flt_xref(&t, "ra", "7001", xb, sizeof(xb)) == NULL, "dry run: no xref");
	flt_stop(&t);
}

int main(void)
{
	struct flt t;
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("run through make check (BH_TOP_BUILDDIR unset)");
	if (flt_start(&t, FLOWS, false) != 0 || !t.fake) {
		ok(0, "engine with the returns flow and the fake ERP starts");
		flt_stop(&t);
		return done_testing();
	}
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"TEE-BLK-L\",\"HOODIE-GRY-M\",\"MUG-WHT\","
		"\"JACKET-NVY-M\",\"GIFT-CARD\",\"RESTOCKING-FEE\"]}");
	test_s1_and_duplicates(&t);
	test_crash_after_write(&t);
	test_scenarios(&t);
	test_s15(&t);
	test_s14(&t);
	test_over_return(&t);
	test_bad_and_skips(&t);
	flt_stop(&t);
	test_settings();
	test_cancel_race();
	return done_testing();
}
