/*
 * sales_order.c - the sales-order flow in the engine, against the in-memory endpoint
 * (flowlib-fake): documents written (customer, sales order lines/shipping/tenders, the
 * gift-card / store-credit tenders as adjustment lines, S4-S6), xrefs, updates and stale
 * versions, unknown SKU -> dead letter naming SKU(s) and field with nothing written, not
 * even the customer, then a clean replay (S14; and an ERP without check_items), exchange
 * orders waiting for their
 * original (by id, and by name through the storefront), authentication refusals
 * retried, bad input rejected, dry run writing nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowlib_scen.h"
#include "flowlib_test.h"

static const char *conf =
	"[endpoint erp]\nplugin = flowlib-fake\n\n"
	"[flow sales-order]\nplugin = sales-order\n"
	"subscribe = storefront.order.created, storefront.order.updated\n"
	"erp = erp\nstorefront = erp\nmissing_retry = 30ms\nauth_retry = 30ms\n"
	"min_backoff = 10ms\nmax_backoff = 40ms\nmax_attempts = 100\n";

static char buf[16384], tmp[1024], xb[256];

static const char *order_sku(const char *id, const char *name, const char *sku)
{
	return scen_order(buf, sizeof(buf), id, name, "2026-11-01T10:00:05Z",
			  scen_oline(tmp, sizeof(tmp), "15001", sku, 2, "10.00", "0.00", "1.60"), "20.00",
			  "0.00", "5.00", "1.60", "26.60",
			  "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"26.60\"}", NULL);
}

static void test_basic(struct flt *t)
{
	flt_ingest(t, "shopify", "storefront.order.created", "order:5001:a", scen_s1_order(buf, sizeof(buf)));
	ok(flt_wait(t, "sales-order", 1, 0, 0, 5000), "S1 order acknowledged");
	json_object *d = flt_dump(t);
	is_int(flt_n(d, "customers"), 1, "one customer");
	is_str(flt_path(flt_get(d, "customers", 0), "external_id"), "shopify-customer-7000000000000001",
	       "customer external id shopify-customer-<id>");
	is_str(flt_path(flt_get(d, "customers", 0), "doc.email"), "a@example.com", "customer email");
	is_int(flt_n(d, "sales_orders"), 1, "one sales order");
	json_object *so = flt_get(d, "sales_orders", 0);
	is_str(flt_path(so, "external_id"), "shopify-order-5001", "sales order external id");
	is_str(flt_path(so, "doc.customer_external_id"), "shopify-customer-7000000000000001",
	       "sales order's customer");
	is_str(flt_path(so, "doc.storefront_order_id"), "5001", "Shopify order id on the sales order");
	is_str(flt_path(so, "doc.name"), "#1001", "order name");
	is_str(flt_path(so, "doc.lines.0.sku"), "TEE-BLK-M", "line SKU");
	is_str(flt_path(so, "doc.lines.0.rate"), "40.00", "line rate 40.00");
	is_str(flt_path(so, "doc.lines.0.amount"), "40.00", "line amount 40.00");
	is_str(flt_path(so, "doc.lines.0.tax"), "3.20", "line tax 3.20");
	is_str(flt_path(so, "doc.shipping.amount"), "5.00", "shipping 5.00");
	is_str(flt_path(so, "doc.total"), "48.20", "total 48.20");
	is_str(flt_path(so, "doc.tenders.0.kind"), "card", "tender card");
	is_str(flt_path(so, "doc.tenders.0.amount"), "48.20", "tender 48.20");
	ok(flt_path(so, "doc.exchange_of") == NULL, "not an exchange");
	ok(flt_path(so, "doc.adjustments.0") == NULL, "card order: no adjustment line");
	ok(flt_calls(d, "check_items") >= 1, "items checked before writing");
	const char *iid = flt_path(so, "internal_id");
	is_str(flt_xref(t, "so", "5001", xb, sizeof(xb)), iid, "xref so:5001 = the internal id");
	is_str(flt_xref(t, "paid", "5001", xb, sizeof(xb)), "card=4820,gift_card=0,store_credit=0,other=0",
	       "xref paid:5001");
	is_str(flt_xref(t, "line", "5001:14001", xb, sizeof(xb)), "1", "xref line:5001:14001 = 1 unit");
	json_object_put(d);

	/* an update: the same documents, upserted again */
	scen_order(buf, sizeof(buf), S1_OID, "#1001", "2026-11-01T11:00:00Z",
		   scen_oline(tmp, sizeof(tmp), "14001", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "5.00", "3.20", "48.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"48.20\"}", NULL);
	flt_ingest(t, "shopify", "storefront.order.updated", "order:5001:b", buf);
	ok(flt_wait(t, "sales-order", 2, 0, 0, 5000), "update acknowledged");
	d = flt_dump(t);
	is_int(flt_n(d, "sales_orders"), 1, "still one sales order after the update");
	is_int(flt_calls(d, "upsert_sales_order"), 2, "upserted twice");
	json_object_put(d);
	/* an older version arriving late is skipped */
	scen_s1_order(buf, sizeof(buf));
	flt_ingest(t, "shopify", "storefront.order.updated", "order:5001:old", buf);
	ok(flt_wait(t, "sales-order", 3, 0, 0, 5000), "stale version acknowledged");
	d = flt_dump(t);
	is_int(flt_calls(d, "upsert_sales_order"), 2, "stale version not written");
	json_object_put(d);
}

static void test_unknown_sku(struct flt *t)
{
	uint64_t ok0, r0, d0;
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	json_object *d = flt_dump(t);
	int cust0 = flt_calls(d, "upsert_customer");
	json_object_put(d);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5002:a",
		   order_sku("5002", "#1002", "NOPE-1"));
	ok(flt_wait(t, "sales-order", 0, 0, d0 + 1, 5000), "unknown SKU: dead-lettered");
	char *e = flt_dead(t, "order:5002:a");
	ok(e && strstr(e, "UNKNOWN_SKU") && strstr(e, "NOPE-1") && strstr(e, "itemid") &&
		   strstr(e, "#1002"), "dead letter names the SKU, the field and the order: %s", e ? e : "");
	free(e);
	d = flt_dump(t);
	is_int(flt_n(d, "sales_orders"), 1, "no sales order written for #1002");
	is_int(flt_calls(d, "upsert_customer"), cust0, "S14: no customer written either (nothing partial)");
	json_object_put(d);
	/* two unknown SKUs on one order: both named */
	scen_order(buf, sizeof(buf), "5009", "#1009", "2026-11-01T10:00:05Z",
		   "{\"id\":\"1\",\"sku\":\"NOPE-2\",\"title\":\"a\",\"quantity\":1,\"price\":\"10.00\","
		   "\"discount\":\"0.00\",\"tax\":\"0.00\"},{\"id\":\"2\",\"sku\":\"NOPE-3\",\"title\":\"b\","
		   "\"quantity\":1,\"price\":\"10.00\",\"discount\":\"0.00\",\"tax\":\"0.00\"},"
		   "{\"id\":\"3\",\"sku\":\"TEE-BLK-M\",\"title\":\"c\",\"quantity\":1,\"price\":\"10.00\","
		   "\"discount\":\"0.00\",\"tax\":\"0.00\"}",
		   "30.00", "0.00", "0.00", "0.00", "30.00",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"30.00\"}", NULL);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5009:a", buf);
	ok(flt_wait(t, "sales-order", 0, 0, d0 + 2, 5000), "two unknown SKUs: dead-lettered");
	e = flt_dead(t, "order:5009:a");
	ok(e && strstr(e, "NOPE-2") && strstr(e, "NOPE-3") && !strstr(e, "'TEE-BLK-M'") &&
		   strstr(e, "#1009"), "every unknown SKU named, the known one not: %s", e ? e : "");
	free(e);
	d = flt_dump(t);
	is_int(flt_calls(d, "upsert_customer"), cust0, "still no customer written");
	json_object_put(d);
	flt_ctl(t, "items", "{\"skus\":[\"NOPE-2\",\"NOPE-3\"]}");
	flt_ctl(t, "items", "{\"skus\":[\"NOPE-1\"]}");
	ok(flt_replay(t) == 2, "dead letters replayed after the items were created");
	ok(flt_wait(t, "sales-order", ok0 + 2, 0, 0, 5000), "replays acknowledged");
	d = flt_dump(t);
	is_int(flt_n(d, "sales_orders"), 3, "sales orders #1002 and #1009 written on replay");
	json_object_put(d);
}

static void test_exchange(struct flt *t)
{
	uint64_t ok0, r0, d0;
	char x[256];
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	/* exchange order EXC1044 for #1044, which is not in the ERP yet */
	snprintf(x, sizeof(x), "{\"original_order_id\":\"5044\",\"original_order_name\":\"#1044\","
		 "\"return_id\":\"6044\"}");
	scen_order(buf, sizeof(buf), "5045", "EXC1044", "2026-11-05T10:00:00Z",
		   scen_oline(tmp, sizeof(tmp), "15045", "TEE-BLK-L", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"43.20\"}", x);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5045:a", buf);
	ok(flt_wait(t, "sales-order", 0, r0 + 2, 0, 5000), "exchange order retried while its original is missing");
	ok(flt_log_has(t, "sales-order", "is not in the ERP yet", 5000),
	   "the retry says the original is not in the ERP yet");
	json_object *d = flt_dump(t);
	ok(!strstr(json_object_to_json_string(d), "shopify-order-5045"), "nothing written for EXC1044 yet");
	json_object_put(d);
	scen_order(buf, sizeof(buf), "5044", "#1044", "2026-11-01T10:00:00Z",
		   scen_oline(tmp, sizeof(tmp), "15044", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"43.20\"}", NULL);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5044:a", buf);
	ok(flt_wait(t, "sales-order", ok0 + 2, 0, 0, 5000), "original then exchange acknowledged");
	d = flt_dump(t);
	json_object *a = json_object_object_get(d, "sales_orders");
	const char *link = NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(flt_path(json_object_array_get_idx(a, i), "external_id"), "shopify-order-5045"))
			link = flt_path(json_object_array_get_idx(a, i), "doc.exchange_of");
	is_str(link, "shopify-order-5044", "exchange order linked to its original");
	json_object *x45 = NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(flt_path(json_object_array_get_idx(a, i), "external_id"), "shopify-order-5045"))
			x45 = json_object_array_get_idx(a, i);
	/* S4: billing the exchange order debits Gift Card Liability 43.20 */
	is_str(flt_path(x45, "doc.adjustments.0.kind"), "gift_card", "S4: gift-card tender line");
	is_str(flt_path(x45, "doc.adjustments.0.item"), "GIFT-CARD", "S4: on GIFT-CARD");
	is_str(flt_path(x45, "doc.adjustments.0.amount"), "-43.20", "S4: -43.20");
	is_str(flt_path(x45, "doc.adjustments.0.memo"), "Shopify order EXC1044: paid by gift card",
	       "S4: memo names the order and the tender");
	ok(!flt_path(x45, "doc.adjustments.1"), "S4: one adjustment line");
	is_str(flt_path(x45, "doc.tenders.0.kind"), "gift_card", "S4: tenders kept as they were");
	is_str(flt_path(x45, "doc.tenders.0.amount"), "43.20", "S4: tender 43.20");
	json_object_put(d);

	/* S4 upsell: TEE 50.00 + 4.00, 43.20 exchange credit (gift card) + 10.80 card */
	snprintf(x, sizeof(x), "{\"original_order_id\":\"5044\",\"original_order_name\":\"#1044\","
		 "\"return_id\":\"6047\"}");
	scen_order(buf, sizeof(buf), "5047", "EXC1047", "2026-11-05T10:00:00Z",
		   scen_oline(tmp, sizeof(tmp), "15047", "TEE-BLK-L", 1, "50.00", "0.00", "4.00"), "50.00",
		   "0.00", "0.00", "4.00", "54.00",
		   "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"43.20\"},"
		   "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"10.80\"}", x);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5047:a", buf);
	ok(flt_wait(t, "sales-order", ok0 + 3, 0, 0, 5000), "S4 upsell exchange order acknowledged");
	d = flt_dump(t);
	a = json_object_object_get(d, "sales_orders");
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(flt_path(json_object_array_get_idx(a, i), "external_id"), "shopify-order-5047"))
			x45 = json_object_array_get_idx(a, i);
	is_str(flt_path(x45, "doc.adjustments.0.amount"), "-43.20",
	       "S4 upsell: gift-card line -43.20 (Dr Gift Card Liability 43.20)");
	ok(!flt_path(x45, "doc.adjustments.1"), "S4 upsell: the card part is no adjustment "
	   "(Dr Payment Clearing 10.80)");
	is_str(flt_path(x45, "doc.total"), "54.00", "S4 upsell: total 54.00");
	is_str(flt_path(x45, "doc.tenders.0.amount"), "10.80", "S4 upsell: card tender 10.80");
	json_object_put(d);
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	ok0--; /* the lookups below count from the upsell */

	/* original id unknown: found by name through the storefront */
	flt_ctl(t, "order", scen_s1_order(buf, sizeof(buf)));
	snprintf(x, sizeof(x), "{\"original_order_id\":null,\"original_order_name\":\"#1001\","
		 "\"return_id\":null}");
	scen_order(buf, sizeof(buf), "5046", "EXC1001", "2026-11-05T10:00:00Z",
		   scen_oline(tmp, sizeof(tmp), "15046", "TEE-BLK-L", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "0.00", "3.20", "43.20",
		   "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"43.20\"}", x);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5046:a", buf);
	ok(flt_wait(t, "sales-order", ok0 + 2, 0, 0, 5000), "exchange by original name acknowledged");
	d = flt_dump(t);
	a = json_object_object_get(d, "sales_orders");
	link = NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(flt_path(json_object_array_get_idx(a, i), "external_id"), "shopify-order-5046"))
			link = flt_path(json_object_array_get_idx(a, i), "doc.exchange_of");
	is_str(link, "shopify-order-5001", "original found by name (#1001)");
	ok(flt_calls(d, "find_order_by_name") >= 1, "the storefront was asked by name");
	json_object_put(d);
}

static void test_faults(struct flt *t)
{
	uint64_t ok0, r0, d0;
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	flt_ctl(t, "fault", "{\"op\":\"upsert_customer\",\"rc\":\"auth\",\"times\":1,\"code\":"
		"\"INVALID_LOGIN\",\"message\":\"token refused\"}");
	flt_ingest(t, "shopify", "storefront.order.created", "order:5003:a", scen_s3_order(buf, sizeof(buf)));
	ok(flt_wait(t, "sales-order", ok0 + 1, r0 + 1, 0, 5000), "auth refusal retried, then acknowledged");
	flt_counts(t, "sales-order", &ok0, &r0, &d0);
	ok(flt_log_has(t, "sales-order", "INVALID_LOGIN", 5000), "the retry names the auth failure");
	is_int((long long)d0, 2, "nothing more dead-lettered by the auth failure");
	/* a transient failure with retry-after */
	flt_ctl(t, "fault", "{\"op\":\"upsert_sales_order\",\"rc\":\"retry\",\"times\":2,\"code\":"
		"\"WS_REQUEST_BLOCKED\",\"retry_after_ms\":20}");
	flt_ingest(t, "shopify", "storefront.order.updated", "order:5003:b",
		   scen_order(buf, sizeof(buf), S3_OID, "#1003", "2026-11-02T10:00:05Z",
			      scen_oline(tmp, sizeof(tmp), "14003", "HOODIE-GRY-M", 1, "60.00", "0.00",
					 "4.80"),
			      "60.00", "0.00", "0.00", "4.80", "64.80",
			      "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"64.80\"}",
			      NULL));
	ok(flt_wait(t, "sales-order", ok0 + 1, r0 + 2, 0, 5000), "throttled twice, then acknowledged");
	/* a line without SKU, and totals that do not reconcile */
	scen_order(buf, sizeof(buf), "5010", "#1010", "2026-11-01T10:00:05Z",
		   "{\"id\":\"1\",\"sku\":null,\"title\":\"Gift wrap\",\"quantity\":1,\"price\":\"2.00\","
		   "\"discount\":\"0.00\",\"tax\":\"0.00\"}",
		   "2.00", "0.00", "0.00", "0.00", "2.00", "", NULL);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5010:a", buf);
	scen_order(buf, sizeof(buf), "5011", "#1011", "2026-11-01T10:00:05Z",
		   scen_oline(tmp, sizeof(tmp), "1", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"), "40.00",
		   "0.00", "5.00", "3.20", "50.00", "", NULL);
	flt_ingest(t, "shopify", "storefront.order.created", "order:5011:a", buf);
	ok(flt_wait(t, "sales-order", 0, 0, d0 + 2, 5000), "both bad orders dead-lettered");
	char *e = flt_dead(t, "order:5010:a");
	ok(e && strstr(e, "no SKU") && strstr(e, "Gift wrap"), "no-SKU line named: %s", e ? e : "");
	free(e);
	e = flt_dead(t, "order:5011:a");
	ok(e && strstr(e, "48.20") && strstr(e, "50.00") && strstr(e, "#1011"),
	   "total mismatch names both figures: %s", e ? e : "");
	free(e);
}

/* Tender items from the settings (S5 gift card, S6 split, store credit), checked before
 * anything is written; and an ERP without check_items (today's behaviour). */
static void test_tender_items(void)
{
	struct flt t;
	char c[2048];
	snprintf(c, sizeof(c), "%sgift_card_item = GC-LIAB\nstore_credit_item = SC-LIAB\n", conf);
	ok(flt_start(&t, c, false) == 0 && t.fake, "engine with gift_card_item / store_credit_item");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"GC-LIAB\"]}");
	/* S6: 60.00 gift card + 48.00 card... here 20.00 gift card + 6.60 store credit */
	const char *tenders = "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"10.00\"},"
			      "{\"gateway\":\"gift_card\",\"kind\":\"gift_card\",\"amount\":\"10.00\"},"
			      "{\"gateway\":\"shopify_store_credit\",\"kind\":\"store_credit\","
			      "\"amount\":\"6.60\"}";
	scen_order(buf, sizeof(buf), "5060", "#1060", "2026-11-01T10:00:05Z",
		   scen_oline(tmp, sizeof(tmp), "15060", "TEE-BLK-M", 2, "10.00", "0.00", "1.60"), "20.00",
		   "0.00", "5.00", "1.60", "26.60", tenders, NULL);
	flt_ingest(&t, "shopify", "storefront.order.created", "order:5060:a", buf);
	ok(flt_wait(&t, "sales-order", 0, 0, 1, 5000), "store credit item unknown: dead-lettered");
	char *e = flt_dead(&t, "order:5060:a");
	ok(e && strstr(e, "SC-LIAB") && strstr(e, "#1060"), "the adjustment item is named: %s",
	   e ? e : "");
	free(e);
	json_object *d = flt_dump(&t);
	is_int(flt_calls(d, "upsert_customer") + flt_calls(d, "upsert_sales_order"), 0,
	       "nothing written for it");
	json_object_put(d);
	flt_ctl(&t, "items", "{\"skus\":[\"SC-LIAB\"]}");
	ok(flt_replay(&t) == 1, "replayed");
	ok(flt_wait(&t, "sales-order", 1, 0, 0, 5000), "written on replay");
	d = flt_dump(&t);
	json_object *so = flt_get(d, "sales_orders", 0);
	is_str(flt_path(so, "doc.adjustments.0.item"), "GC-LIAB", "gift card on gift_card_item");
	is_str(flt_path(so, "doc.adjustments.0.amount"), "-20.00", "gift card tenders summed: -20.00");
	is_str(flt_path(so, "doc.adjustments.1.kind"), "store_credit", "store credit line");
	is_str(flt_path(so, "doc.adjustments.1.item"), "SC-LIAB", "on store_credit_item");
	is_str(flt_path(so, "doc.adjustments.1.amount"), "-6.60", "store credit -6.60");
	is_str(flt_path(so, "doc.adjustments.1.memo"), "Shopify order #1060: paid by store credit",
	       "store credit memo");
	json_object_put(d);
	flt_stop(&t);

	/* an ERP plugin without check_items: the sales order write refuses the SKU */
	snprintf(c, sizeof(c), "%s", conf);
	char *p = strstr(c, "plugin = flowlib-fake\n");
	if (p) {
		memmove(p + strlen("plugin = flowlib-fake\nerp_10 = true\n"), p + strlen("plugin = flowlib-fake\n"),
			strlen(p + strlen("plugin = flowlib-fake\n")) + 1);
		memcpy(p, "plugin = flowlib-fake\nerp_10 = true\n", strlen("plugin = flowlib-fake\nerp_10 = true\n"));
	}
	ok(flt_start(&t, c, false) == 0 && t.fake, "engine with a 1.0 erp table");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	flt_ingest(&t, "shopify", "storefront.order.created", "order:5002:a",
		   order_sku("5002", "#1002", "NOPE-1"));
	ok(flt_wait(&t, "sales-order", 0, 0, 1, 5000), "1.0 erp: unknown SKU dead-lettered");
	e = flt_dead(&t, "order:5002:a");
	ok(e && strstr(e, "UNKNOWN_SKU") && strstr(e, "NOPE-1"), "1.0 erp: named by the write: %s",
	   e ? e : "");
	free(e);
	d = flt_dump(&t);
	is_int(flt_calls(d, "check_items"), 0, "1.0 erp: check_items not called");
	is_int(flt_calls(d, "upsert_customer"), 1, "1.0 erp: the customer was written first (as before)");
	json_object_put(d);
	flt_stop(&t);
}

static void test_dry_run(void)
{
	struct flt t;
	char c[2048];
	snprintf(c, sizeof(c), "%s", conf);
	ok(flt_start(&t, c, true) == 0 && t.fake, "engine in dry run");
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\"]}");
	flt_ingest(&t, "shopify", "storefront.order.created", "order:5001:a", scen_s1_order(buf, sizeof(buf)));
	ok(flt_wait(&t, "sales-order", 1, 0, 0, 5000), "dry run: acknowledged");
	json_object *d = flt_dump(&t);
	is_int(flt_calls(d, "upsert_customer") + flt_calls(d, "upsert_sales_order"), 0,
	       "dry run: nothing written");
	ok(flt_xref(&t, "so", "5001", xb, sizeof(xb)) == NULL, "dry run: no xref");
	json_object_put(d);
	flt_stop(&t);
}

int main(void)
{
	struct flt t;
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("run through make check (BH_TOP_BUILDDIR unset)");
	if (flt_start(&t, conf, false) != 0 || !t.fake) {
		ok(0, "engine with the sales-order flow and the fake ERP starts");
		flt_stop(&t);
		return done_testing();
	}
	flt_ctl(&t, "items", "{\"skus\":[\"TEE-BLK-M\",\"TEE-BLK-L\",\"HOODIE-GRY-M\",\"MUG-WHT\","
		"\"GIFT-CARD\"]}");
	test_basic(&t);
	test_unknown_sku(&t);
	test_exchange(&t);
	test_faults(&t);
	flt_stop(&t);
	test_tender_items();
	test_dry_run();
	return done_testing();
}
