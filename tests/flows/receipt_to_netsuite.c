/*
 * receipt_to_netsuite.c - the receipt-to-netsuite flow in the engine (with sales-order
 * and return-authorization feeding the fake ERP): the receipt loop-ir-<rid> when a
 * return closes, never a second receipt (duplicates, a warehouse receipt first: S11, a
 * lost answer after the write: S16), waiting for a missing RA, nothing on a closed RA or
 * an open return, and the restock setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowlib_scen.h"
#include "flowlib_test.h"

#define BASE                                                                                   \
	"[endpoint erp]\nplugin = flowlib-fake\n\n"                                            \
	"[flow sales-order]\nplugin = sales-order\n"                                           \
	"subscribe = storefront.order.created, storefront.order.updated\nerp = erp\n"          \
	"min_backoff = 10ms\nmax_backoff = 40ms\n\n"                                           \
	"[flow return-authorization]\nplugin = return-authorization\n"                         \
	"subscribe = portal.return.created\nerp = erp\nmissing_retry = 30ms\n"                 \
	"min_backoff = 10ms\nmax_backoff = 40ms\nmax_attempts = 100\n\n"                       \
	"[flow receipt-to-netsuite]\nplugin = receipt-to-netsuite\n"                           \
	"subscribe = portal.return.closed, portal.return.updated\nerp = erp\n"                 \
	"missing_retry = 30ms\nmin_backoff = 10ms\nmax_backoff = 40ms\nmax_attempts = 100\n"

static char buf[16384], xb[256];
static const char *FL = "receipt-to-netsuite";

static int receipts_for(json_object *d, const char *xid, json_object **hit)
{
	json_object *a = json_object_object_get(d, "receipts");
	int n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *r = json_object_array_get_idx(a, i);
		if (!strcmp(flt_path(r, "external_id"), xid)) {
			n++;
			if (hit)
				*hit = r;
		}
	}
	return n;
}

static int creates(json_object *d, const char *xid)
{
	json_object *a = json_object_object_get(d, "calls");
	int n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i);
		const char *x = flt_path(c, "arg.external_id");
		if (!strcmp(flt_path(c, "op"), "create_item_receipt") && x && !strcmp(x, xid))
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

static void created(struct flt *t, const char *rid, const char *body)
{
	uint64_t ok0, r0, d0;
	char key[64];
	flt_counts(t, "return-authorization", &ok0, &r0, &d0);
	snprintf(key, sizeof(key), "return:%s:created", rid);
	flt_ingest(t, "loop", "portal.return.created", key, body);
	flt_wait(t, "return-authorization", ok0 + 1, 0, 0, 5000);
}

static void test_s1(struct flt *t)
{
	json_object *ir = NULL;
	order(t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	created(t, "7001", scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	/* an update of the still open return: nothing to receive */
	flt_ingest(t, "loop", "portal.return.updated", "return:7001:open:u1",
		   scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	flt_ingest(t, "loop", "portal.return.closed", "return:7001:closed",
		   scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(t, FL, 2, 0, 0, 5000), "S1: open update and close acknowledged");
	json_object *d = flt_dump(t);
	is_int(receipts_for(d, "loop-ir-7001", &ir), 1, "S1: one item receipt loop-ir-7001");
	is_str(flt_path(ir, "doc.lines.0.sku"), "TEE-BLK-M", "S1: TEE-BLK-M");
	is_str(flt_path(ir, "doc.lines.0.quantity"), "1", "S1: quantity 1");
	is_str(flt_path(ir, "doc.lines.0.restock"), "true", "S1: restock");
	const char *ra_iid = flt_path(flt_get(d, "ras", 0), "internal_id");
	is_str(flt_path(ir, "doc.ra.internal_id"), ra_iid, "S1: against the RA");
	is_str(flt_path(flt_get(d, "ras", 0), "lines.0.quantity_received"), "1", "S1: RA line received");
	is_str(flt_xref(t, "ir", "7001", xb, sizeof(xb)), flt_path(ir, "internal_id"), "S1: xref ir:7001");
	json_object_put(d);
	/* S16: the closed state again from the poll, and as an update */
	flt_ingest(t, "loop-poll", "portal.return.closed", "return:7001:closed",
		   scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	flt_ingest(t, "loop", "portal.return.updated", "return:7001:closed:u2",
		   scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(t, FL, 4, 0, 0, 5000), "S16: copies acknowledged");
	d = flt_dump(t);
	is_int(receipts_for(d, "loop-ir-7001", NULL), 1, "S16: still one receipt");
	is_int(creates(d, "loop-ir-7001"), 1, "S16: written once");
	json_object_put(d);
}

static void test_s11(struct flt *t)
{
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	order(t, "o:5003", scen_s3_order(buf, sizeof(buf)));
	created(t, "7003", scen_s3_return(buf, sizeof(buf), "7003", "open"));
	/* the warehouse receives in NetSuite first */
	is_int(flt_ctl(t, "receive", "{\"external_id\":\"loop-ra-7003\"}"), 0, "S11: warehouse receipt in the ERP");
	flt_ingest(t, "loop", "portal.return.closed", "return:7003:closed",
		   scen_s3_return(buf, sizeof(buf), "7003", "closed"));
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S11: closed return acknowledged");
	json_object *d = flt_dump(t);
	is_int(creates(d, "loop-ir-7003"), 0, "S11: no second receipt");
	json_object_put(d);
}

static void test_crash(struct flt *t)
{
	uint64_t ok0, r0, d0;
	char b2[1024], b3[1024];
	flt_counts(t, FL, &ok0, &r0, &d0);
	scen_order(buf, sizeof(buf), "5008", "#1008", "2026-11-01T10:00:05Z",
		   scen_oline(b2, sizeof(b2), "14008", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	order(t, "o:5008", buf);
	scen_rline(b2, sizeof(b2), "14008", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	scen_totals(b3, sizeof(b3), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00", "0.00",
		    "0.00", "0.00", "0.00");
	/* S16 + the RA not yet there: the close arrives before the creation */
	flt_ingest(t, "loop", "portal.return.closed", "return:7008:closed",
		   scen_return(buf, sizeof(buf), "7008", "closed", "5008", "#1008", b2, b3, ""));
	ok(flt_wait(t, FL, 0, r0 + 2, 0, 5000), "RA missing: retried");
	ok(flt_log_has(t, FL, "loop-ra-7008 is not in the ERP yet", 5000), "RA missing: the retry says so");
	flt_ctl(t, "fault", "{\"op\":\"create_item_receipt\",\"rc\":\"retry_after_write\",\"times\":1}");
	flt_counts(t, FL, &ok0, &r0, &d0);
	created(t, "7008", scen_return(buf, sizeof(buf), "7008", "open", "5008", "#1008", b2, b3, ""));
	ok(flt_wait(t, FL, ok0 + 1, r0 + 1, 0, 5000), "RA there: receipt written, answer lost, acknowledged");
	json_object *d = flt_dump(t);
	is_int(receipts_for(d, "loop-ir-7008", NULL), 1, "S16: exactly one receipt");
	is_int(creates(d, "loop-ir-7008"), 1, "S16: the replay saw the receipt on the RA and sent none");
	json_object_put(d);
	/* a return closed without being processed: no receipt */
	flt_counts(t, FL, &ok0, &r0, &d0);
	scen_return(buf, sizeof(buf), "7010", "closed", "5008", "#1008", b2, b3, "");
	char *p = strstr(buf, "\"flagged\":false}");
	if (p)
		strcpy(p, "\"processed\":false,\"flagged\":false}");
	flt_ingest(t, "loop", "portal.return.closed", "return:7010:closed", buf);
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "closed without processing: acknowledged");
	d = flt_dump(t);
	is_int(creates(d, "loop-ir-7010"), 0, "closed without processing: no receipt");
	json_object_put(d);
	/* an RA closed by an operator: no receipt */
	scen_order(buf, sizeof(buf), "5009", "#1009", "2026-11-01T10:00:05Z",
		   scen_oline(b2, sizeof(b2), "14009", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	order(t, "o:5009", buf);
	scen_rline(b2, sizeof(b2), "14009", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	created(t, "7009", scen_return(buf, sizeof(buf), "7009", "open", "5009", "#1009", b2, b3, ""));
	is_int(flt_erp_close_ra(t, "{\"external_id\":\"loop-ra-7009\"}"), 0, "the RA is closed in the ERP");
	flt_counts(t, FL, &ok0, &r0, &d0);
	flt_ingest(t, "loop", "portal.return.closed", "return:7009:closed",
		   scen_return(buf, sizeof(buf), "7009", "closed", "5009", "#1009", b2, b3, ""));
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "closed RA: acknowledged");
	d = flt_dump(t);
	is_int(creates(d, "loop-ir-7009"), 0, "closed RA: no receipt");
	json_object_put(d);
}

static void test_no_restock(void)
{
	struct flt t;
	char c[4096];
	json_object *ir = NULL;
	snprintf(c, sizeof(c), "%s\nrestock = false\n", BASE);
	ok(flt_start(&t, c, false) == 0 && t.fake, "engine with restock = false");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	order(&t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	created(&t, "7001", scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	flt_ingest(&t, "loop", "portal.return.closed", "return:7001:closed",
		   scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(&t, FL, 1, 0, 0, 5000), "acknowledged");
	json_object *d = flt_dump(&t);
	receipts_for(d, "loop-ir-7001", &ir);
	is_str(flt_path(ir, "doc.lines.0.restock"), "false", "receipt without restock");
	json_object_put(d);
	flt_stop(&t);
}

int main(void)
{
	struct flt t;
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("run through make check (BH_TOP_BUILDDIR unset)");
	if (flt_start(&t, BASE, false) != 0 || !t.fake) {
		ok(0, "engine with the receipt flow and the fake ERP starts");
		flt_stop(&t);
		return done_testing();
	}
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"HOODIE-GRY-M\",\"GIFT-CARD\"]}");
	test_s1(&t);
	test_s11(&t);
	test_crash(&t);
	flt_stop(&t);
	test_no_restock();
	return done_testing();
}
