/*
 * refund.c - the refund flow in the engine (with sales-order and return-authorization
 * feeding the fake ERP): waiting for the RA's receipt, the S1 cash refund, the S3 credit
 * document with its bonus, an invoiced order's credit memo + customer refund (S7),
 * duplicates and a lost answer after the write (S16: one refund), an RA missing
 * (retried) or closed in the ERP (rejected), create_on_refund writing RA + receipt +
 * refund together (S12), and dry run writing nothing.
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
	"[flow refund]\nplugin = refund\nsubscribe = portal.return.closed\nerp = erp\n"        \
	"missing_retry = 30ms\nmin_backoff = 10ms\nmax_backoff = 40ms\nmax_attempts = 100\n"

static char buf[16384], tmp[2048], tmp2[1024], xb[256];
static const char *FL = "refund";

static json_object *by_xid(json_object *d, const char *table, const char *xid, int *count)
{
	json_object *a = json_object_object_get(d, table), *hit = NULL;
	*count = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *r = json_object_array_get_idx(a, i);
		const char *x = flt_path(r, "external_id");
		if (x && !strcmp(x, xid)) {
			hit = r;
			(*count)++;
		}
	}
	return hit;
}

static int calls_for(json_object *d, const char *op, const char *xid)
{
	json_object *a = json_object_object_get(d, "calls");
	int n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i);
		const char *x = flt_path(c, "arg.external_id");
		if (!strcmp(flt_path(c, "op"), op) && x && !strcmp(x, xid))
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

static void closed(struct flt *t, const char *src, const char *rid, const char *body)
{
	char key[64];
	snprintf(key, sizeof(key), "return:%s:closed", rid);
	flt_ingest(t, src, "portal.return.closed", key, body);
}

static void test_s1(struct flt *t)
{
	int n;
	order(t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	created(t, "7001", scen_s1_return(buf, sizeof(buf), "7001", "open", false));
	closed(t, "loop", "7001", scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(t, FL, 0, 2, 0, 5000), "S1: the refund waits for the RA's receipt");
	ok(flt_log_has(t, FL, "waiting for the item receipt", 5000), "S1: the retry says so");
	json_object *d = flt_dump(t);
	is_int(flt_calls(d, "create_refund"), 0, "S1: no refund before the receipt");
	json_object_put(d);
	flt_ctl(t, "receive", "{\"external_id\":\"loop-ra-7001\"}");
	ok(flt_wait(t, FL, 1, 0, 0, 5000), "S1: refunded once the warehouse received");
	d = flt_dump(t);
	json_object *rf = by_xid(d, "refunds", "loop-cr-7001", &n);
	is_int(n, 1, "S1: one cash refund loop-cr-7001");
	json_object *ra = by_xid(d, "ras", "loop-ra-7001", &n);
	is_str(flt_path(rf, "doc.document"), "cash_refund", "S1: a cash refund (cash sale)");
	is_str(flt_path(rf, "doc.ra.internal_id"), flt_path(ra, "internal_id"), "S1: from the RA");
	is_str(flt_path(rf, "doc.lines.0.sku"), "TEE-BLK-M", "S1: line TEE-BLK-M");
	is_str(flt_path(rf, "doc.lines.0.amount"), "40.00", "S1: 40.00");
	is_str(flt_path(rf, "doc.lines.0.tax"), "3.20", "S1: tax 3.20 (refund 43.20)");
	ok(flt_path(rf, "doc.adjustments.0") == NULL, "S1: no adjustment");
	ok(flt_path(rf, "doc.bonus") == NULL && flt_path(rf, "doc.customer_refund") == NULL,
	   "S1: no bonus, no customer refund");
	is_str(flt_xref(t, "refund", "7001", xb, sizeof(xb)), flt_path(rf, "internal_id"),
	       "S1: xref refund:7001");
	json_object_put(d);

	/* S16: the same closed webhook again, and the poll's copy of it (another source) */
	closed(t, "loop", "7001", scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	closed(t, "loop-poll", "7001", scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(t, FL, 2, 0, 0, 5000), "S16: the poll's copy acknowledged");
	d = flt_dump(t);
	by_xid(d, "refunds", "loop-cr-7001", &n);
	is_int(n, 1, "S16: still one refund");
	is_int(calls_for(d, "create_refund", "loop-cr-7001"), 1, "S16: written once");
	json_object_put(d);
}

static void test_s3_crash(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	order(t, "o:5003", scen_s3_order(buf, sizeof(buf)));
	created(t, "7003", scen_s3_return(buf, sizeof(buf), "7003", "open"));
	flt_ctl(t, "receive", "{\"external_id\":\"loop-ra-7003\"}");
	flt_ctl(t, "fault", "{\"op\":\"create_refund\",\"rc\":\"retry_after_write\",\"times\":1}");
	closed(t, "loop", "7003", scen_s3_return(buf, sizeof(buf), "7003", "closed"));
	ok(flt_wait(t, FL, ok0 + 1, r0 + 1, 0, 5000), "S16: answer lost after the write, retried, acknowledged");
	json_object *d = flt_dump(t);
	json_object *rf = by_xid(d, "refunds", "loop-cr-7003", &n);
	is_int(n, 1, "S16: exactly one refund");
	is_int(calls_for(d, "create_refund", "loop-cr-7003"), 2, "S16: sent twice");
	is_str(flt_path(rf, "doc.adjustments.0.kind"), "store_credit", "S3: store credit line");
	is_str(flt_path(rf, "doc.adjustments.0.amount"), "-64.80", "S3: Cr gift card liability 64.80");
	is_str(flt_path(rf, "doc.bonus"), "5.00", "S3: bonus 5.00");
	is_str(flt_path(rf, "doc.bonus_item"), "GIFT-CARD", "S3: bonus issued on GIFT-CARD");
	ok(flt_path(rf, "doc.customer_refund") == NULL, "S3: no cash moves");
	json_object_put(d);
}

static void test_invoice(struct flt *t)
{
	int n;
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	scen_order(buf, sizeof(buf), "5007", "#1007", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14007", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "5.00", "3.20", "48.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"48.20\"}", NULL);
	order(t, "o:5007", buf);
	flt_ctl(t, "billing", "{\"external_id\":\"shopify-order-5007\",\"billing\":\"invoice\"}");
	const char *line = scen_rline(tmp2, sizeof(tmp2), "14007", "TEE-BLK-M", 1, "40.00", "0.00", "3.20",
				      "43.20");
	char lines[1024];
	snprintf(lines, sizeof(lines), "%s", line);
	scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "38.20", "0.00", "0.00", "0.00",
		    "0.00", "5.00", "0.00");
	created(t, "7017", scen_return(buf, sizeof(buf), "7017", "open", "5007", "#1007", lines, tmp, ""));
	flt_ctl(t, "receive", "{\"external_id\":\"loop-ra-7017\"}");
	closed(t, "loop", "7017",
	       scen_return(buf, sizeof(buf), "7017", "closed", "5007", "#1007", lines, tmp,
			   "{\"gateway\":\"shopify_payments\",\"amount\":\"38.20\"}"));
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "S7 on an invoiced order: acknowledged");
	json_object *d = flt_dump(t);
	json_object *cm = by_xid(d, "refunds", "loop-cm-7017", &n);
	is_int(n, 1, "invoice -> credit memo loop-cm-7017");
	is_str(flt_path(cm, "doc.document"), "credit_memo", "document credit_memo");
	is_str(flt_path(cm, "doc.adjustments.0.kind"), "fee", "S7: fee line");
	is_str(flt_path(cm, "doc.adjustments.0.amount"), "-5.00", "S7: -5.00");
	is_str(flt_path(cm, "doc.customer_refund.external_id"), "loop-crf-7017", "customer refund loop-crf-7017");
	is_str(flt_path(cm, "doc.customer_refund.amount"), "38.20", "customer refund 38.20");
	by_xid(d, "customer_refunds", "loop-crf-7017", &n);
	is_int(n, 1, "one customer refund");
	json_object_put(d);
}

/* A return/1 text marked processed:false (closed without fulfilling its outcomes). */
static char *unprocessed(char *b)
{
	char *p = strstr(b, "\"flagged\":false}");
	if (p)
		memcpy(p, "\"processed\":false,\"flagged\":false}", strlen("\"processed\":false,\"flagged\":false}") + 1);
	return b;
}

static void test_missing_and_closed(struct flt *t)
{
	uint64_t ok0, r0, d0;
	flt_counts(t, FL, &ok0, &r0, &d0);
	/* closed in Loop without being processed: nothing to refund */
	order(t, "o:5001u", scen_s1_order(buf, sizeof(buf)));
	scen_s1_return(buf, sizeof(buf), "7090", "closed", false);
	closed(t, "loop", "7090", unprocessed(buf));
	ok(flt_wait(t, FL, ok0 + 1, 0, 0, 5000), "closed without processing: acknowledged");
	json_object *d0j = flt_dump(t);
	is_int(calls_for(d0j, "create_refund", "loop-cr-7090") + calls_for(d0j, "get_return_authorization", "loop-ra-7090"),
	       0, "closed without processing: nothing read or written");
	json_object_put(d0j);
	flt_counts(t, FL, &ok0, &r0, &d0);
	/* a closed return whose RA was never written: retried, not dead */
	scen_return(buf, sizeof(buf), "7040", "closed", "5040", "#1040",
		    scen_rline(tmp2, sizeof(tmp2), "14040", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00",
				"0.00", "0.00", "0.00", "0.00"),
		    "{\"gateway\":\"shopify_payments\",\"amount\":\"43.20\"}");
	closed(t, "loop", "7040", buf);
	ok(flt_wait(t, FL, 0, r0 + 2, 0, 5000), "RA missing: retried");
	ok(flt_log_has(t, FL, "loop-ra-7040 is not in the ERP yet", 5000), "RA missing: the retry says so");
	/* an RA closed in the ERP: no refund */
	scen_order(buf, sizeof(buf), "5050", "#1050", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14050", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"amount\":\"43.20\",\"kind\":\"card\"}", NULL);
	order(t, "o:5050", buf);
	scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00", "0.00",
		    "0.00", "0.00", "0.00");
	char line[1024];
	scen_rline(line, sizeof(line), "14050", "TEE-BLK-M", 1, "40.00", "0.00", "3.20", "43.20");
	created(t, "7050", scen_return(buf, sizeof(buf), "7050", "open", "5050", "#1050", line, tmp, ""));
	is_int(flt_erp_close_ra(t, "{\"external_id\":\"loop-ra-7050\"}"), 0, "an operator closes the RA");
	flt_counts(t, FL, &ok0, &r0, &d0);
	closed(t, "loop", "7050", scen_return(buf, sizeof(buf), "7050", "closed", "5050", "#1050", line, tmp,
					      "{\"gateway\":\"shopify_payments\",\"amount\":\"43.20\"}"));
	ok(flt_wait(t, FL, 0, 0, d0 + 1, 5000), "refund on a closed RA dead-lettered");
	char *e = flt_dead(t, "return:7050:closed");
	ok(e && strstr(e, "7050") && strstr(e, "closed"), "the reason: %s", e ? e : "");
	free(e);
	json_object *d = flt_dump(t);
	int n;
	by_xid(d, "refunds", "loop-cr-7050", &n);
	is_int(n, 0, "no refund on the closed RA");
	json_object_put(d);
}

static void test_create_on_refund(void)
{
	struct flt t;
	char c[4096];
	int n;
	snprintf(c, sizeof(c), "%s\ncreate_on_refund = true\n", BASE);
	ok(flt_start(&t, c, false) == 0 && t.fake, "S12: engine with create_on_refund");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"GIFT-CARD\",\"RESTOCKING-FEE\"]}");
	order(&t, "o:5001", scen_s1_order(buf, sizeof(buf)));
	closed(&t, "loop", "7001", scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(&t, FL, 1, 0, 0, 5000), "S12: closed return acknowledged");
	json_object *d = flt_dump(&t);
	json_object *ra = by_xid(d, "ras", "loop-ra-7001", &n);
	is_int(n, 1, "S12: RA created on refund");
	json_object *ir = by_xid(d, "receipts", "loop-ir-7001", &n);
	is_int(n, 1, "S12: item receipt created on refund");
	is_str(flt_path(ir, "doc.ra.internal_id"), flt_path(ra, "internal_id"), "S12: receipt on the RA");
	is_str(flt_path(ir, "doc.lines.0.restock"), "true", "S12: restocked");
	json_object *rf = by_xid(d, "refunds", "loop-cr-7001", &n);
	is_int(n, 1, "S12: cash refund created");
	is_str(flt_path(rf, "doc.ra.internal_id"), flt_path(ra, "internal_id"), "S12: refund from the RA");
	/* order of the writes */
	json_object *calls = json_object_object_get(d, "calls");
	int ra_at = -1, ir_at = -1, rf_at = -1;
	for (size_t i = 0; i < json_object_array_length(calls); i++) {
		const char *op = flt_path(json_object_array_get_idx(calls, i), "op");
		if (!strcmp(op, "create_return_authorization") && ra_at < 0)
			ra_at = (int)i;
		if (!strcmp(op, "create_item_receipt") && ir_at < 0)
			ir_at = (int)i;
		if (!strcmp(op, "create_refund") && rf_at < 0)
			rf_at = (int)i;
	}
	ok(ra_at >= 0 && ra_at < ir_at && ir_at < rf_at, "S12: RA, then receipt, then refund");
	json_object_put(d);
	is_str(flt_xref(&t, "returned", "5001:14001", xb, sizeof(xb)), "1", "S12: returned units recorded");
	ok(flt_xref(&t, "ra", "7001", xb, sizeof(xb)) && flt_xref(&t, "ir", "7001", xb, sizeof(xb)) &&
		   flt_xref(&t, "refund", "7001", xb, sizeof(xb)), "S12: xrefs ra, ir, refund");
	/* an unknown SKU on the return: nothing partial (the RA write refuses first) */
	scen_order(buf, sizeof(buf), "5060", "#1060", "2026-11-01T10:00:05Z",
		   scen_oline(tmp2, sizeof(tmp2), "14060", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	order(&t, "o:5060", buf);
	scen_return(buf, sizeof(buf), "7060", "closed", "5060", "#1060",
		    scen_rline(tmp2, sizeof(tmp2), "14060", "TEE-GONE", 1, "40.00", "0.00", "3.20", "43.20"),
		    scen_totals(tmp, sizeof(tmp), "40.00", "0.00", "3.20", "43.20", "43.20", "0.00", "0.00",
				"0.00", "0.00", "0.00", "0.00"),
		    "{\"gateway\":\"shopify_payments\",\"amount\":\"43.20\"}");
	closed(&t, "loop", "7060", buf);
	ok(flt_wait(&t, FL, 0, 0, 1, 5000), "S12 + S14: dead-lettered");
	char *e = flt_dead(&t, "return:7060:closed");
	ok(e && strstr(e, "UNKNOWN_SKU") && strstr(e, "TEE-GONE"), "S14: %s", e ? e : "");
	free(e);
	d = flt_dump(&t);
	is_int(calls_for(d, "create_item_receipt", "loop-ir-7060") + calls_for(d, "create_refund", "loop-cr-7060"),
	       0, "S14: no receipt or refund attempted");
	by_xid(d, "ras", "loop-ra-7060", &n);
	is_int(n, 0, "S14: no RA");
	json_object_put(d);
	flt_stop(&t);

	/* dry run with create_on_refund: everything computed, nothing written */
	ok(flt_start(&t, c, true) == 0 && t.fake, "dry run engine");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	flt_ctl(&t, "so", "{\"external_id\":\"shopify-order-5001\",\"storefront_order_id\":\"5001\","
		"\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]}");
	closed(&t, "loop", "7001", scen_s1_return(buf, sizeof(buf), "7001", "closed", false));
	ok(flt_wait(&t, FL, 1, 0, 0, 5000), "dry run: acknowledged");
	d = flt_dump(&t);
	is_int(flt_calls(d, "create_return_authorization") + flt_calls(d, "create_item_receipt") +
		       flt_calls(d, "create_refund"), 0, "dry run: nothing written");
	json_object_put(d);
	ok(flt_xref(&t, "refund", "7001", xb, sizeof(xb)) == NULL, "dry run: no xref");
	flt_stop(&t);
}

int main(void)
{
	struct flt t;
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("run through make check (BH_TOP_BUILDDIR unset)");
	if (flt_start(&t, BASE, false) != 0 || !t.fake) {
		ok(0, "engine with the refund flow and the fake ERP starts");
		flt_stop(&t);
		return done_testing();
	}
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"HOODIE-GRY-M\",\"GIFT-CARD\",\"RESTOCKING-FEE\"]}");
	test_s1(&t);
	test_s3_crash(&t);
	test_invoice(&t);
	test_missing_and_closed(&t);
	flt_stop(&t);
	test_create_on_refund();
	return done_testing();
}
