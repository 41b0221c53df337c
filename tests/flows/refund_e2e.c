/*
 * refund_e2e.c - the NetSuite-writing flows end to end against backhaul-sim with the
 * real endpoint plugins: shopify (source), loop (source) and netsuite-soap or netsuite-rest
 * (erp; -DBH_F1_ERP, the second build is refund_e2e_rest.test). One
 * section per flow, on SCENARIOS.md S1 (refund to the card), S3 (store credit with a
 * 5.00 bonus) and S7 (5.00 handling fee):
 *   sales-order           Shopify orders -> NetSuite sales orders (lines, shipping, the
 *                         Shopify id); billed as cash sales by the simulated accountant
 *   return-authorization  Loop returns -> RAs from the sales orders (gift-card and fee
 *                         lines)
 *   receipt-to-netsuite   returns processed in Loop -> item receipts (restock)
 *   refund                closed returns -> cash refunds from the RAs, with the bonus
 * and then the NetSuite simulator's general ledger of each order's chain, and a further
 * sync cycle that writes nothing new. Waits poll a condition with a deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/harness.h"

/* the ERP plugin under test: built once per transport (same flows, one config line) */
#ifndef BH_F1_ERP
#define BH_F1_ERP "netsuite-soap"
#endif

static struct bh_test_sim sim;
static struct bh_test_engine te;

struct scen {
	const char *name, *order_id, *line_id, *order_name;
	char so_iid[32], rid[32];
} sc[3] = {
	{"S1", "820001", "920001", "#1001", "", ""},
	{"S3", "820003", "920003", "#1003", "", ""},
	{"S7", "820007", "920007", "#1007", "", ""},
};

static json_object *ctl(const char *method, const char *path, const char *body)
{
	char *resp = NULL;
	long code = bh_test_ctl(&sim, method, path, body, &resp);
	json_object *o = resp ? json_tokener_parse(resp) : NULL;
	if (code < 200 || code > 299)
		diag("control %s %s -> %ld %s", method, path, code, resp ? resp : "");
	free(resp);
	return o;
}

static const char *jp(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &o))
			o = NULL;
	}
	return o && !json_object_is_type(o, json_type_null) ? json_object_get_string(o) : NULL;
}

static long long cents(const char *s)
{
	if (!s)
		return 0x7fffffff;
	bool neg = *s == '-';
	if (neg || *s == '+')
		s++;
	long long w = 0, f = 0;
	int nd = 0;
	for (; *s && *s != '.'; s++)
		w = w * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s && nd < 2; s++, nd++)
			f = f * 10 + (*s - '0');
	for (; nd < 2; nd++)
		f *= 10;
	return (neg ? -1 : 1) * (w * 100 + f);
}

/* Records of a type with an external id (caller puts); count in *n. */
static json_object *records(const char *type, const char *eid, int *n)
{
	char p[256];
	json_object *a;
	snprintf(p, sizeof(p), "/control/netsuite/records?type=%s&externalId=%s", type, eid);
	json_object *o = ctl("GET", p, NULL);
	*n = o && json_object_object_get_ex(o, "records", &a) ? (int)json_object_array_length(a) : -1;
	return o;
}

static int count(const char *type, const char *prefix, const char *id)
{
	char eid[96];
	int n;
	snprintf(eid, sizeof(eid), "%s%s", prefix, id);
	json_object_put(records(type, eid, &n));
	return n;
}

/* Poll the sources and wait until every scenario has a record of type/prefix. */
static bool wait_all(const char *type, const char *prefix, bool by_order, int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms, next_sync = 0;
	for (;;) {
		int have = 0;
		for (int i = 0; i < 3; i++)
			have += count(type, prefix, by_order ? sc[i].order_id : sc[i].rid) == 1;
		if (have == 3)
			return true;
		if (tap_mono_ms() > dl) {
			diag("%s %s*: %d of 3 after %lld ms", type, prefix, have, (long long)ms);
			return false;
		}
		if (tap_mono_ms() >= next_sync) {
			bh_engine_sync_now(te.eng, NULL);
			next_sync = tap_mono_ms() + 300;
		}
		struct timespec ts = {0, 20 * 1000000L}; /* polling a condition */
		nanosleep(&ts, NULL);
	}
}

/* Signed (debit - credit) cents the transaction with external id eid posted to account
 * in the chain of so_iid; 0x7fffffff when the transaction is absent. */
static long long gl(const char *so_iid, const char *eid, const char *account)
{
	char p[128];
	json_object *txs;
	long long net = 0x7fffffff;
	snprintf(p, sizeof(p), "/control/netsuite/gl/order?sales_order=%s", so_iid);
	json_object *chain = ctl("GET", p, NULL);
	if (chain && json_object_object_get_ex(chain, "transactions", &txs))
		for (size_t i = 0; i < json_object_array_length(txs); i++) {
			json_object *t = json_object_array_get_idx(txs, i), *g;
			const char *e = jp(t, "external_id");
			if (!e || strcmp(e, eid) || !json_object_object_get_ex(t, "gl", &g))
				continue;
			net = 0;
			for (size_t k = 0; k < json_object_array_length(g); k++) {
				json_object *x = json_object_array_get_idx(g, k);
				if (!strcmp(jp(x, "account"), account))
					net += cents(jp(x, "debit")) - cents(jp(x, "credit"));
			}
		}
	json_object_put(chain);
	return net;
}

static long long gl_type(const char *so_iid, const char *type, const char *account)
{
	char p[128];
	json_object *txs;
	long long net = 0x7fffffff;
	snprintf(p, sizeof(p), "/control/netsuite/gl/order?sales_order=%s", so_iid);
	json_object *chain = ctl("GET", p, NULL);
	if (chain && json_object_object_get_ex(chain, "transactions", &txs))
		for (size_t i = 0; i < json_object_array_length(txs); i++) {
			json_object *t = json_object_array_get_idx(txs, i), *g;
			if (strcmp(jp(t, "type"), type) || !json_object_object_get_ex(t, "gl", &g))
				continue;
			net = 0;
			for (size_t k = 0; k < json_object_array_length(g); k++) {
				json_object *x = json_object_array_get_idx(g, k);
				if (!strcmp(jp(x, "account"), account))
					net += cents(jp(x, "debit")) - cents(jp(x, "credit"));
			}
		}
	json_object_put(chain);
	return net;
}

static void seed(void)
{
	json_object_put(ctl("POST", "/control/netsuite/items",
			    "{\"items\":["
			    "{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee black M\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
			    "{\"sku\":\"HOODIE-GRY-M\",\"name\":\"Hoodie\",\"type\":\"inventory\",\"cost\":\"25.00\",\"price\":\"60.00\"},"
			    "{\"sku\":\"GIFT-CARD\",\"name\":\"Gift Card\",\"type\":\"giftcard\",\"cost\":\"0.00\",\"price\":\"0.00\"},"
			    "{\"sku\":\"RESTOCKING-FEE\",\"name\":\"Restocking Fee\",\"type\":\"fee\",\"cost\":\"0.00\",\"price\":\"0.00\"},"
			    "{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus\",\"type\":\"noninventory\",\"account\":\"Return Incentive Expense\",\"cost\":\"0.00\",\"price\":\"0.00\"}"
			    "]}"));
	static const char *const skus[3] = {"TEE-BLK-M", "HOODIE-GRY-M", "TEE-BLK-M"};
	static const char *const price[3] = {"40.00", "60.00", "40.00"}, *tax[3] = {"3.20", "4.80", "3.20"};
	static const char *const ship[3] = {"5.00", "0.00", "0.00"}, *total[3] = {"48.20", "64.80", "43.20"};
	for (int i = 0; i < 3; i++) {
		char b[2048];
		snprintf(b, sizeof(b),
			 "{\"order\":{\"id\":%s,\"name\":\"%s\",\"email\":\"ada%d@example.com\",\"currency\":\"USD\","
			 "\"customer\":{\"id\":%d,\"email\":\"ada%d@example.com\",\"first_name\":\"Ada\","
			 "\"last_name\":\"L%d\"},"
			 "\"line_items\":[{\"id\":%s,\"sku\":\"%s\",\"title\":\"%s\",\"quantity\":1,"
			 "\"price\":\"%s\",\"tax_lines\":[{\"title\":\"Sales Tax\",\"rate\":0.08,\"price\":\"%s\"}]}],"
			 "\"shipping_lines\":[{\"title\":\"Standard\",\"price\":\"%s\",\"tax_lines\":[]}],"
			 "\"transactions\":[{\"kind\":\"sale\",\"status\":\"success\",\"gateway\":"
			 "\"shopify_payments\",\"amount\":\"%s\"}]}}",
			 sc[i].order_id, sc[i].order_name, i, 7100 + i, i, i, sc[i].line_id, skus[i], skus[i],
			 price[i], tax[i], ship[i], total[i]);
		json_object_put(ctl("POST", "/control/shopify/orders", b));
	}
}

static void test_sales_order(void)
{
	ok(wait_all("salesOrder", "shopify-order-", true, 30000), "sales-order: the three orders reached NetSuite");
	for (int i = 0; i < 3; i++) {
		char eid[64];
		int n;
		snprintf(eid, sizeof(eid), "shopify-order-%s", sc[i].order_id);
		json_object *o = records("salesOrder", eid, &n);
		snprintf(sc[i].so_iid, sizeof(sc[i].so_iid), "%s", jp(o, "records.0.internal_id") ? jp(o, "records.0.internal_id") : "");
		is_int(n, 1, "%s: one sales order %s", sc[i].name, eid);
		is_str(jp(o, "records.0.lines.0.sku"), i == 1 ? "HOODIE-GRY-M" : "TEE-BLK-M", "%s: line SKU", sc[i].name);
		is_str(jp(o, "records.0.lines.0.amount"), i == 1 ? "60.00" : "40.00", "%s: line amount", sc[i].name);
		is_str(jp(o, "records.0.lines.0.tax"), i == 1 ? "4.80" : "3.20", "%s: line tax", sc[i].name);
		if (i == 0)
			is_str(jp(o, "records.0.shipping"), "5.00", "S1: shipping 5.00");
		json_object_put(o);
		/* the accountant bills it as a cash sale and the warehouse ships it */
		char b[128];
		snprintf(b, sizeof(b), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", sc[i].so_iid);
		json_object_put(ctl("POST", "/control/netsuite/bill", b));
		snprintf(b, sizeof(b), "{\"sales_order\":%s}", sc[i].so_iid);
		json_object_put(ctl("POST", "/control/netsuite/fulfill", b));
	}
	is_int(gl_type(sc[0].so_iid, "cashSale", "Payment Clearing"), 4820, "S1 cash sale: Dr Payment Clearing 48.20");
	is_int(gl_type(sc[0].so_iid, "cashSale", "Sales"), -4500, "S1 cash sale: Cr Sales 40.00 + shipping 5.00");
	is_int(gl_type(sc[0].so_iid, "cashSale", "Sales Tax Payable"), -320, "S1 cash sale: Cr Sales Tax Payable 3.20");
}

static void test_return_authorization(void)
{
	static const char *const body[3] = {
		"{\"shopify_order_id\":\"820001\",\"lines\":[{\"line_item_id\":920001,\"quantity\":1}],\"outcome\":\"refund\"}",
		"{\"shopify_order_id\":\"820003\",\"lines\":[{\"line_item_id\":920003,\"quantity\":1}],\"outcome\":\"credit\",\"bonus\":\"5.00\"}",
		"{\"shopify_order_id\":\"820007\",\"lines\":[{\"line_item_id\":920007,\"quantity\":1}],\"outcome\":\"refund\",\"handling_fee\":\"5.00\"}",
	};
	for (int i = 0; i < 3; i++) {
		json_object *r = ctl("POST", "/control/loop/returns", body[i]);
		snprintf(sc[i].rid, sizeof(sc[i].rid), "%s", jp(r, "id") ? jp(r, "id") : "?");
		json_object_put(r);
	}
	ok(wait_all("returnAuthorization", "loop-ra-", false, 30000),
	   "return-authorization: the three returns got an RA");
	for (int i = 0; i < 3; i++) {
		char eid[64];
		int n;
		snprintf(eid, sizeof(eid), "loop-ra-%s", sc[i].rid);
		json_object *o = records("returnAuthorization", eid, &n);
		is_int(n, 1, "%s: one RA %s", sc[i].name, eid);
		is_str(jp(o, "records.0.created_from"), sc[i].so_iid, "%s: RA created from the sales order", sc[i].name);
		is_str(jp(o, "records.0.lines.0.amount"), i == 1 ? "60.00" : "40.00", "%s: item line as paid", sc[i].name);
		is_str(jp(o, "records.0.lines.0.tax"), i == 1 ? "4.80" : "3.20", "%s: item tax as paid", sc[i].name);
		if (i == 0) {
			ok(jp(o, "records.0.lines.1") == NULL, "S1: no other line");
			is_str(jp(o, "records.0.total"), "43.20", "S1: RA total 43.20");
		} else if (i == 1) {
			is_str(jp(o, "records.0.lines.1.sku"), "GIFT-CARD", "S3: gift-card line");
			is_str(jp(o, "records.0.lines.1.amount"), "-64.80", "S3: -64.80");
			is_str(jp(o, "records.0.total"), "0.00", "S3: RA total 0.00");
		} else {
			is_str(jp(o, "records.0.lines.1.sku"), "RESTOCKING-FEE", "S7: fee line");
			is_str(jp(o, "records.0.lines.1.amount"), "-5.00", "S7: -5.00");
			is_str(jp(o, "records.0.total"), "38.20", "S7: RA total 38.20");
		}
		json_object_put(o);
	}
}

static void test_receipt_and_refund(void)
{
	for (int i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "/control/loop/returns/%s/process", sc[i].rid);
		json_object_put(ctl("POST", p, NULL));
	}
	ok(wait_all("itemReceipt", "loop-ir-", false, 30000), "receipt-to-netsuite: a receipt per processed return");
	ok(wait_all("cashRefund", "loop-cr-", false, 30000), "refund: a cash refund per closed return");
	for (int i = 0; i < 3; i++) {
		char ra[64], ir[64], cr[64];
		snprintf(ra, sizeof(ra), "loop-ra-%s", sc[i].rid);
		snprintf(ir, sizeof(ir), "loop-ir-%s", sc[i].rid);
		snprintf(cr, sizeof(cr), "loop-cr-%s", sc[i].rid);
		int n;
		json_object *rao = records("returnAuthorization", ra, &n);
		json_object *iro = records("itemReceipt", ir, &n);
		json_object *cro = records("cashRefund", cr, &n);
		is_str(jp(iro, "records.0.created_from"), jp(rao, "records.0.internal_id"), "%s: receipt from the RA", sc[i].name);
		is_str(jp(cro, "records.0.created_from"), jp(rao, "records.0.internal_id"), "%s: refund from the RA", sc[i].name);
		json_object_put(rao);
		json_object_put(iro);
		json_object_put(cro);
		/* the item receipt restocks at cost */
		is_int(gl(sc[i].so_iid, ir, "Inventory"), i == 1 ? 2500 : 1500, "%s GL: Dr Inventory at cost", sc[i].name);
		is_int(gl(sc[i].so_iid, ir, "Cost of Goods Sold"), i == 1 ? -2500 : -1500, "%s GL: Cr COGS", sc[i].name);
	}
	const char *s1 = sc[0].so_iid, *s3 = sc[1].so_iid, *s7 = sc[2].so_iid;
	char cr[64];
	snprintf(cr, sizeof(cr), "loop-cr-%s", sc[0].rid);
	is_int(gl(s1, cr, "Sales Returns"), 4000, "S1 GL: Dr Sales Returns 40.00");
	is_int(gl(s1, cr, "Sales Tax Payable"), 320, "S1 GL: Dr Sales Tax Payable 3.20");
	is_int(gl(s1, cr, "Payment Clearing"), -4320, "S1 GL: Cr Payment Clearing 43.20");
	snprintf(cr, sizeof(cr), "loop-cr-%s", sc[1].rid);
	is_int(gl(s3, cr, "Sales Returns"), 6000, "S3 GL: Dr Sales Returns 60.00");
	is_int(gl(s3, cr, "Sales Tax Payable"), 480, "S3 GL: Dr Sales Tax Payable 4.80");
	is_int(gl(s3, cr, "Gift Card Liability"), -6980, "S3 GL: Cr Gift Card Liability 64.80 + bonus 5.00");
	is_int(gl(s3, cr, "Return Incentive Expense"), 500, "S3 GL: Dr Return Incentive Expense 5.00");
	is_int(gl(s3, cr, "Payment Clearing"), 0, "S3 GL: no cash moves");
	snprintf(cr, sizeof(cr), "loop-cr-%s", sc[2].rid);
	is_int(gl(s7, cr, "Sales Returns"), 4000, "S7 GL: Dr Sales Returns 40.00");
	is_int(gl(s7, cr, "Sales Tax Payable"), 320, "S7 GL: Dr Sales Tax Payable 3.20");
	is_int(gl(s7, cr, "Restocking Fee Income"), -500, "S7 GL: Cr Restocking Fee Income 5.00");
	is_int(gl(s7, cr, "Payment Clearing"), -3820, "S7 GL: Cr Payment Clearing 38.20");

	/* S16: another sync cycle writes nothing new */
	bh_engine_sync_now(te.eng, NULL);
	bh_engine_sync_now(te.eng, NULL);
	int64_t dl = tap_mono_ms() + 1500; /* let the polls and any deliveries run */
	while (tap_mono_ms() < dl) {
		struct timespec ts = {0, 50 * 1000000L}; /* observing that nothing happens */
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 3; i++) {
		is_int(count("returnAuthorization", "loop-ra-", sc[i].rid) + count("itemReceipt", "loop-ir-", sc[i].rid) +
			       count("cashRefund", "loop-cr-", sc[i].rid) + count("salesOrder", "shopify-order-", sc[i].order_id),
		       4, "%s: still exactly one sales order, RA, receipt and refund", sc[i].name);
	}
}

int main(void)
{
	char conf[8192];
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("BH_TOP_BUILDDIR is not set (run through make check)");
	if (bh_test_sim_start(&sim, "") != 0)
		skip_all("backhaul-sim did not start");
	setenv("BH_F1_NS_CS", "bh-sim-consumer-secret", 1);
	setenv("BH_F1_NS_TS", "bh-sim-token-secret", 1);
	setenv("BH_F1_SHP_TOKEN", "shpat_00000000000000000000000000000001", 1);
	setenv("BH_F1_LOOP_KEY", "sim-loop-api-key", 1);
	seed();
	snprintf(conf, sizeof(conf),
		 "[endpoint shopify]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_F1_SHP_TOKEN\npoll_interval = 1h\nstart_at = 2020-01-01T00:00:00Z\n"
		 "retry_backoff = 50ms\n\n"
		 "[endpoint loop]\nplugin = loop\napi_key_env = BH_F1_LOOP_KEY\n"
		 "base_url = http://127.0.0.1:%d/api\npoll_interval = 1h\nlookback = 30d\n"
		 "retry_backoff = 50ms\nrate_limit = 6000\nrate_burst = 100\n\n"
		 "[endpoint netsuite]\nplugin = " BH_F1_ERP "\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_F1_NS_CS\n"
		 "token_id = bh-sim-token-id\ntoken_secret_env = BH_F1_NS_TS\nbase_url = http://127.0.0.1:%d\n"
		 "retry_backoff = 50ms\n\n"
		 "[flow sales-order]\nplugin = sales-order\n"
		 "subscribe = storefront.order.created, storefront.order.updated\nerp = netsuite\n"
		 "storefront = shopify\nmissing_retry = 200ms\nmin_backoff = 50ms\nmax_backoff = 500ms\n"
		 "max_attempts = 100\n\n"
		 "[flow return-authorization]\nplugin = return-authorization\n"
		 "subscribe = portal.return.created, portal.return.updated\nerp = netsuite\n"
		 "storefront = shopify\nmissing_retry = 200ms\nmin_backoff = 50ms\nmax_backoff = 500ms\n"
		 "max_attempts = 100\n\n"
		 "[flow receipt-to-netsuite]\nplugin = receipt-to-netsuite\n"
		 "subscribe = portal.return.closed, portal.return.updated\nerp = netsuite\n"
		 "missing_retry = 200ms\nmin_backoff = 50ms\nmax_backoff = 500ms\nmax_attempts = 100\n\n"
		 "[flow refund]\nplugin = refund\nsubscribe = portal.return.closed\nerp = netsuite\n"
		 "storefront = shopify\nmissing_retry = 200ms\nmin_backoff = 50ms\nmax_backoff = 500ms\n"
		 "max_attempts = 100\n",
		 sim.shopify, sim.loop, sim.netsuite);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with shopify, loop, %s and the four flows starts", BH_F1_ERP);
	if (rc == 0) {
		test_sales_order();
		test_return_authorization();
		test_receipt_and_refund();
	}
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	return done_testing();
}
