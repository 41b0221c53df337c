/*
 * erp_contract.c - the contract suite of the `erp` capability (sdk/include/backhaul/erp.h,
 * sdk/RECORDS.md), run unchanged against every ERP endpoint plugin: built once per
 * plugin with -DBH_ERP_PLUGIN='"netsuite-soap"' (the default) or '"netsuite-rest"'.
 *
 * It talks to the plugin only through the erp operations table of an engine instance
 * loaded by the real loader, against backhaul-sim's NetSuite on loopback, and checks
 * outcomes only through the erp interface and the simulator's control API (records,
 * general ledger). Scenario data: shared/SCENARIOS.md S1 (refund to the card), S3
 * (store credit with a gift-card adjustment line and a bonus), S7 (handling fee), S8
 * (close an RA), a credit memo with a customer refund, the change feeds, and the
 * additions of the flows (RECORDS.md): find_sales_order's "billing" (cash sale /
 * invoice), a sales order paid by gift card ("adjustments", S4/S5), check_items, a
 * refund's bonus_item, two concurrent deliveries of one item receipt, and
 * related_transactions over an S1 chain (with a customer refund and an exchange order).
 *
 * For every operation: the normal path, the idempotent repeat (created:false, same
 * internal id), not-found (BH_ENOENT), unknown SKU (BH_EREJECT "UNKNOWN_SKU" naming the
 * SKU and the field, nothing written) and retry classification (injected 5xx /
 * concurrency faults -> BH_ERETRY; a wrong token -> BH_EAUTH).
 *
 * Plugin config keys this suite relies on (same meaning in every ERP plugin): account,
 * consumer_key, consumer_secret (_env), token_id, token_secret (_env), base_url,
 * retries (0 here: one attempt per operation), timeout, sku_field (default itemId),
 * flag_field (default custbody_bh_review_flag), bonus_item / gift_card_item (defaults
 * RETURN-BONUS / GIFT-CARD).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/erp.h>

#include "harness.h"

#ifndef BH_ERP_PLUGIN
#define BH_ERP_PLUGIN "netsuite-soap"
#endif

typedef int (*erp_fn)(void *ctx, const char *doc, char **out, struct bh_status *st);

static struct bh_test_sim sim;
static const struct bh_erp_ops *erp;
static void *ectx;
static char ns_base[64];

/* ------------------------------------------------------------------ helpers */

static json_object *jparse(const char *s)
{
	return s ? json_tokener_parse(s) : NULL;
}

static const char *jstr(json_object *o, const char *path)
{
	/* dotted path: "lines.0.sku" */
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_object *cur = o;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(cur, json_type_array))
			cur = json_object_array_get_idx(cur, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(cur, tok, &cur))
			cur = NULL;
	}
	return cur && !json_object_is_type(cur, json_type_null) ? json_object_get_string(cur) : NULL;
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* Call an operation; *res = parsed answer (or NULL). Returns the rc. */
static int call(erp_fn fn, const char *doc, json_object **res, struct bh_status *st)
{
	char *out = NULL;
	memset(st, 0, sizeof(*st));
	int rc = fn(ectx, doc, &out, st);
	if (res)
		*res = jparse(out);
	if (rc != 0 && rc != BH_ENOENT)
		diag("  rc %d: %s %s", rc, st->code, st->message);
	free(out);
	return rc;
}

static int changes(const char *feed, const char *cursor, json_object **res, struct bh_status *st)
{
	char *out = NULL;
	memset(st, 0, sizeof(*st));
	int rc = erp->changes(ectx, feed, cursor, &out, st);
	*res = jparse(out);
	free(out);
	return rc;
}

static json_object *ctl(const char *method, const char *path, const char *body)
{
	char *resp = NULL;
	long code = bh_test_ctl(&sim, method, path, body, &resp);
	json_object *o = jparse(resp);
	if (code != 200)
		diag("control %s %s -> %ld %s", method, path, code, resp ? resp : "");
	free(resp);
	return o;
}

/* Number of records of a type with that external id in the simulator. */
static int count_records(const char *type, const char *eid)
{
	char p[256];
	snprintf(p, sizeof(p), "/control/netsuite/records?type=%s&externalId=%s", type, eid);
	json_object *o = ctl("GET", p, NULL), *a;
	int n = o && json_object_object_get_ex(o, "records", &a) ? (int)json_object_array_length(a) : -1;
	json_object_put(o);
	return n;
}

static void clear_faults(void)
{
	json_object_put(ctl("DELETE", "/control/faults", NULL));
}

/* The next `count` NetSuite requests (any operation, any transport) meet fault `kind`. */
static void fault(const char *kind, int count)
{
	char b[256];
	snprintf(b, sizeof(b), "{\"service\":\"netsuite\",\"operation\":\"*\",\"%s\":1.0,\"count\":%d}",
		 kind, count);
	json_object_put(ctl("POST", "/control/faults", b));
}

/* cents of a "12.34" string (test-side parsing of the simulator's money) */
static long long cents(const char *s)
{
	if (!s)
		return 0x7fffffff;
	bool neg = *s == '-';
	if (neg || *s == '+')
		s++;
	long long whole = 0, frac = 0;
	int nd = 0;
	for (; *s && *s != '.'; s++)
		whole = whole * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s && nd < 2; s++, nd++)
			frac = frac * 10 + (*s - '0');
	for (; nd < 2; nd++)
		frac *= 10;
	return (neg ? -1 : 1) * (whole * 100 + frac);
}

/* The GL transaction with this external id in the chain of a sales order, or NULL
 * (borrowed from *chain, which the caller puts). */
static json_object *gl_tx(const char *so_iid, const char *eid, json_object **chain)
{
	char p[128];
	json_object *txs;
	snprintf(p, sizeof(p), "/control/netsuite/gl/order?sales_order=%s", so_iid);
	*chain = ctl("GET", p, NULL);
	if (!*chain || !json_object_object_get_ex(*chain, "transactions", &txs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(txs); i++) {
		json_object *t = json_object_array_get_idx(txs, i);
		const char *e = jstr(t, "external_id");
		if (e && !strcmp(e, eid))
			return t;
	}
	return NULL;
}

/* Signed (debit - credit) cents posted to an account by a GL transaction. */
static long long gl_net(json_object *tx, const char *account)
{
	json_object *gl;
	long long net = 0;
	if (!tx || !json_object_object_get_ex(tx, "gl", &gl))
		return 0x7fffffff;
	for (size_t i = 0; i < json_object_array_length(gl); i++) {
		json_object *g = json_object_array_get_idx(gl, i);
		if (strcmp(jstr(g, "account"), account))
			continue;
		net += cents(jstr(g, "debit")) - cents(jstr(g, "credit"));
	}
	return net;
}

static bool gl_balanced(json_object *tx)
{
	json_object *gl;
	long long sum = 0;
	if (!tx || !json_object_object_get_ex(tx, "gl", &gl))
		return false;
	for (size_t i = 0; i < json_object_array_length(gl); i++) {
		json_object *g = json_object_array_get_idx(gl, i);
		sum += cents(jstr(g, "debit")) - cents(jstr(g, "credit"));
	}
	return sum == 0 && json_object_array_length(gl) > 0;
}

/* A write: checks rc 0, the type and created; copies internal_id into iid. */
static void write_ok(erp_fn fn, const char *doc, const char *type, bool created, char *iid,
		     size_t len, const char *what)
{
	struct bh_status st;
	json_object *r = NULL;
	int rc = call(fn, doc, &r, &st);
	is_int(rc, 0, "%s: succeeds", what);
	is_str(jstr(r, "type"), type, "%s: type %s", what, type);
	ok(jbool(r, "created") == created, "%s: created is %s", what, created ? "true" : "false");
	const char *id = jstr(r, "internal_id");
	ok(id && *id, "%s: has an internal id (%s)", what, id ? id : "none");
	if (iid) {
		if (created || !*iid)
			snprintf(iid, len, "%s", id ? id : "");
		else
			is_str(id, iid, "%s: same internal id as the first write", what);
	}
	json_object_put(r);
}

static void expect_rc(erp_fn fn, const char *doc, int want, const char *code, const char *what)
{
	struct bh_status st;
	int rc = call(fn, doc, NULL, &st);
	is_int(rc, want, "%s: rc %d", what, want);
	if (code)
		is_str(st.code, code, "%s: code %s", what, code);
}

static void unknown_sku(erp_fn fn, const char *doc, const char *type, const char *eid,
			const char *what)
{
	struct bh_status st;
	int rc = call(fn, doc, NULL, &st);
	is_int(rc, BH_EREJECT, "%s with an unknown SKU: BH_EREJECT", what);
	is_str(st.code, "UNKNOWN_SKU", "%s: code UNKNOWN_SKU", what);
	ok(strstr(st.message, "NO-SUCH-SKU") && strstr(st.message, "itemId"),
	   "%s: the message names the SKU and the field (%s)", what, st.message);
	is_int(count_records(type, eid), 0, "%s: nothing written", what);
}

/* An order billed as a cash sale and fulfilled: returns the sales order internal id. */
static void order(const char *n, const char *sku, const char *rate, const char *tax,
		  const char *shipping, char *so_iid, size_t len)
{
	char doc[1600], iid[32] = "";
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-customer-70000000000000%s\",\"email\":\"c%s@example.com\","
		 "\"first_name\":\"Cust\",\"last_name\":\"N%s\"}", n, n, n);
	write_ok(erp->upsert_customer, doc, "customer", true, iid, sizeof(iid), "upsert_customer");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-52103985732452%s\","
		 "\"customer_external_id\":\"shopify-customer-70000000000000%s\","
		 "\"storefront_order_id\":\"52103985732452%s\",\"name\":\"#%s\","
		 "\"date\":\"2026-11-01T10:00:00Z\",\"currency\":\"USD\","
		 "\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"rate\":\"%s\",\"amount\":\"%s\","
		 "\"discount\":\"0.00\",\"tax\":\"%s\"}],\"shipping\":{\"amount\":\"%s\",\"tax\":\"0.00\"},"
		 "\"discount\":\"0.00\",\"tax\":\"%s\",\"total\":\"0.00\","
		 "\"tenders\":[{\"kind\":\"card\",\"amount\":\"0.00\"}],\"exchange_of\":null,"
		 "\"memo\":\"order #%s\"}",
		 n, n, n, n, sku, rate, rate, tax, shipping, tax, n);
	write_ok(erp->upsert_sales_order, doc, "sales_order", true, so_iid, len, "upsert_sales_order");
	char b[96];
	snprintf(b, sizeof(b), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", so_iid);
	json_object_put(ctl("POST", "/control/netsuite/bill", b));
	snprintf(b, sizeof(b), "{\"sales_order\":%s}", so_iid);
	json_object_put(ctl("POST", "/control/netsuite/fulfill", b));
}

/* Read every page of a feed from cursor; returns the records (new array) and stores the
 * last next_cursor in cur_out (malloc'd). */
static json_object *feed_all(const char *feed, const char *cursor, char **cur_out)
{
	json_object *all = json_object_new_array();
	char *cur = cursor ? strdup(cursor) : NULL;
	for (int guard = 0; guard < 100; guard++) {
		struct bh_status st;
		json_object *r = NULL, *recs;
		int rc = changes(feed, cur, &r, &st);
		if (rc != 0) {
			diag("changes(%s): %d %s %s", feed, rc, st.code, st.message);
			json_object_put(r);
			break;
		}
		if (json_object_object_get_ex(r, "records", &recs))
			for (size_t i = 0; i < json_object_array_length(recs); i++)
				json_object_array_add(all, json_object_get(json_object_array_get_idx(recs, i)));
		free(cur);
		cur = jstr(r, "next_cursor") ? strdup(jstr(r, "next_cursor")) : NULL;
		bool more = jbool(r, "more");
		json_object_put(r);
		if (!more)
			break;
	}
	if (cur_out)
		*cur_out = cur;
	else
		free(cur);
	return all;
}

static json_object *find_rec(json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		const char *v = jstr(r, key);
		if (v && !strcmp(v, value))
			return r;
	}
	return NULL;
}

/* ------------------------------------------------------------------ the suite */

static void seed_items(void)
{
	json_object_put(ctl("POST", "/control/netsuite/items",
			    "{\"items\":["
			    "{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee black M\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
			    "{\"sku\":\"HOODIE\",\"name\":\"Hoodie\",\"type\":\"inventory\",\"cost\":\"25.00\",\"price\":\"60.00\"},"
			    "{\"sku\":\"GIFT-CARD\",\"name\":\"Gift Card\",\"type\":\"giftcard\",\"cost\":\"0.00\",\"price\":\"0.00\"},"
			    "{\"sku\":\"RESTOCKING-FEE\",\"name\":\"Restocking Fee\",\"type\":\"fee\",\"cost\":\"0.00\",\"price\":\"0.00\"},"
			    "{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus\",\"type\":\"noninventory\",\"account\":\"Return Incentive Expense\",\"cost\":\"0.00\",\"price\":\"0.00\"},"
			    "{\"sku\":\"CAP\",\"name\":\"Cap\",\"type\":\"inventory\",\"cost\":\"8.00\",\"price\":\"25.00\"},"
			    "{\"sku\":\"STORE-CREDIT\",\"name\":\"Store credit\",\"type\":\"giftcard\",\"account\":\"Store Credit Liability\",\"account_kind\":\"liability\",\"cost\":\"0.00\",\"price\":\"0.00\"}"
			    "]}"));
}

static void s1(char *so, char *ra, char *ir)
{
	char doc[1600], cr[32] = "", iid[32] = "";
	struct bh_status st;
	json_object *r;

	/* customers and sales orders */
	snprintf(doc, sizeof(doc), "{\"external_id\":\"shopify-customer-7000000000000001\","
				   "\"email\":\"ada@example.com\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}");
	write_ok(erp->upsert_customer, doc, "customer", true, iid, sizeof(iid), "S1 upsert_customer");
	write_ok(erp->upsert_customer, doc, "customer", false, iid, sizeof(iid), "S1 upsert_customer repeat");

#define SO_DOC \
		"{\"external_id\":\"shopify-order-5210398573245212345\"," \
		"\"customer_external_id\":\"shopify-customer-7000000000000001\"," \
		"\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1001\"," \
		"\"date\":\"2026-11-01T10:00:00Z\",\"currency\":\"USD\"," \
		"\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\"," \
		"\"discount\":\"0.00\",\"tax\":\"3.20\"}],\"shipping\":{\"amount\":\"5.00\",\"tax\":\"0.00\"}," \
		"\"discount\":\"0.00\",\"tax\":\"3.20\",\"total\":\"48.20\"," \
		"\"tenders\":[{\"kind\":\"card\",\"amount\":\"48.20\"}],\"exchange_of\":null,\"memo\":\"#1001\"}"
	snprintf(doc, sizeof(doc), SO_DOC, "NO-SUCH-SKU");
	unknown_sku(erp->upsert_sales_order, doc, "salesOrder", "shopify-order-5210398573245212345",
		    "S1 upsert_sales_order");
	snprintf(doc, sizeof(doc), SO_DOC, "TEE-BLK-M");
	write_ok(erp->upsert_sales_order, doc, "sales_order", true, so, 32, "S1 upsert_sales_order");
	write_ok(erp->upsert_sales_order, doc, "sales_order", false, so, 32, "S1 upsert_sales_order repeat");
	is_int(count_records("salesOrder", "shopify-order-5210398573245212345"), 1,
	       "S1: exactly one sales order");

	/* find_sales_order */
	is_int(call(erp->find_sales_order, "{\"external_id\":\"shopify-order-5210398573245212345\"}", &r, &st),
	       0, "find_sales_order by external id");
	is_str(jstr(r, "internal_id"), so, "find_sales_order: the same internal id");
	is_str(jstr(r, "lines.0.sku"), "TEE-BLK-M", "find_sales_order: line SKU");
	is_str(jstr(r, "lines.0.quantity"), "1", "find_sales_order: line quantity");
	is_str(jstr(r, "lines.0.amount"), "40.00", "find_sales_order: line amount 40.00");
	is_str(jstr(r, "storefront_order_id"), "5210398573245212345",
	       "find_sales_order: storefront order id (exact, > 2^53)");
	json_object *bv = NULL;
	ok(json_object_object_get_ex(r, "billing", &bv) && bv == NULL,
	   "find_sales_order: billing null before the order is billed");
	json_object_put(r);
	is_int(call(erp->find_sales_order, "{\"shopify_order_id\":\"5210398573245212345\"}", &r, &st), 0,
	       "find_sales_order by Shopify order id");
	is_str(jstr(r, "internal_id"), so, "find_sales_order by Shopify id: the same order");
	json_object_put(r);
	expect_rc(erp->find_sales_order, "{\"external_id\":\"shopify-order-1\"}", BH_ENOENT, NULL,
		  "find_sales_order of a missing order");
	expect_rc(erp->find_sales_order, "{\"shopify_order_id\":\"999\"}", BH_ENOENT, NULL,
		  "find_sales_order of a missing Shopify order");

	char b[96];
	snprintf(b, sizeof(b), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", so);
	json_object_put(ctl("POST", "/control/netsuite/bill", b));
	snprintf(b, sizeof(b), "{\"sales_order\":%s}", so);
	json_object_put(ctl("POST", "/control/netsuite/fulfill", b));
	is_int(call(erp->find_sales_order, "{\"external_id\":\"shopify-order-5210398573245212345\"}", &r, &st),
	       0, "find_sales_order after billing");
	is_str(jstr(r, "billing"), "cash_sale", "find_sales_order: billing cash_sale");
	json_object_put(r);

	/* return authorization */
#define RA_DOC_S1 \
		"{\"external_id\":\"loop-ra-1001\",\"sales_order\":{\"external_id\":\"%s\"}," \
		"\"return_id\":\"1001\",\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"rate\":\"40.00\"," \
		"\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],\"memo\":\"Loop return 1001\"}"
	snprintf(doc, sizeof(doc), RA_DOC_S1, "shopify-order-5210398573245212345", "NO-SUCH-SKU");
	unknown_sku(erp->create_return_authorization, doc, "returnAuthorization", "loop-ra-1001",
		    "S1 create_return_authorization");
	snprintf(doc, sizeof(doc), RA_DOC_S1, "shopify-order-404", "TEE-BLK-M");
	expect_rc(erp->create_return_authorization, doc, BH_ENOENT, NULL,
		  "create_return_authorization on a missing sales order");
	is_int(count_records("returnAuthorization", "loop-ra-1001"), 0, "  nothing written");
	snprintf(doc, sizeof(doc), RA_DOC_S1, "shopify-order-5210398573245212345", "TEE-BLK-M");
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, 32,
		 "S1 create_return_authorization");
	write_ok(erp->create_return_authorization, doc, "return_authorization", false, ra, 32,
		 "S1 create_return_authorization repeat");
	is_int(count_records("returnAuthorization", "loop-ra-1001"), 1, "S1: exactly one RA");

	/* get_return_authorization */
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1001\"}", &r, &st), 0,
	       "get_return_authorization by external id");
	is_str(jstr(r, "internal_id"), ra, "get RA: internal id");
	is_str(jstr(r, "status"), "pending_receipt", "get RA: status pending_receipt");
	ok(!jbool(r, "flag"), "get RA: flag not set");
	is_str(jstr(r, "sales_order.internal_id"), so, "get RA: created from the sales order");
	is_str(jstr(r, "lines.0.sku"), "TEE-BLK-M", "get RA: line SKU");
	is_str(jstr(r, "lines.0.quantity"), "1", "get RA: line quantity");
	is_str(jstr(r, "lines.0.quantity_received"), "0", "get RA: nothing received yet");
	json_object_put(r);
	snprintf(doc, sizeof(doc), "{\"internal_id\":\"%s\"}", ra);
	is_int(call(erp->get_return_authorization, doc, &r, &st), 0, "get_return_authorization by internal id");
	is_str(jstr(r, "external_id"), "loop-ra-1001", "get RA by internal id: external id");
	json_object_put(r);
	expect_rc(erp->get_return_authorization, "{\"external_id\":\"loop-ra-404\"}", BH_ENOENT, NULL,
		  "get_return_authorization of a missing RA");

	/* item receipt */
#define IR_DOC "{\"external_id\":\"loop-ir-1001\",\"ra\":{\"external_id\":\"%s\"}," \
	       "\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"restock\":true}]}"
	snprintf(doc, sizeof(doc), IR_DOC, "loop-ra-1001", "NO-SUCH-SKU");
	unknown_sku(erp->create_item_receipt, doc, "itemReceipt", "loop-ir-1001", "S1 create_item_receipt");
	snprintf(doc, sizeof(doc), IR_DOC, "loop-ra-404", "TEE-BLK-M");
	expect_rc(erp->create_item_receipt, doc, BH_ENOENT, NULL, "create_item_receipt on a missing RA");
	snprintf(doc, sizeof(doc), IR_DOC, "loop-ra-1001", "TEE-BLK-M");
	write_ok(erp->create_item_receipt, doc, "item_receipt", true, ir, 32, "S1 create_item_receipt");
	write_ok(erp->create_item_receipt, doc, "item_receipt", false, ir, 32, "S1 create_item_receipt repeat");
	is_int(count_records("itemReceipt", "loop-ir-1001"), 1, "S1: exactly one item receipt");
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1001\"}", &r, &st), 0,
	       "get RA after the receipt");
	is_str(jstr(r, "lines.0.quantity_received"), "1", "get RA: 1 received");
	is_str(jstr(r, "status"), "pending_refund", "get RA: pending_refund");
	json_object_put(r);

	/* cash refund 43.20 */
#define CR_DOC \
		"{\"external_id\":\"loop-cr-1001\",\"document\":\"cash_refund\",\"ra\":{\"external_id\":\"%s\"}," \
		"\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}]," \
		"\"adjustments\":[],\"bonus\":null,\"customer_refund\":null}"
	snprintf(doc, sizeof(doc), CR_DOC, "loop-ra-1001", "NO-SUCH-SKU");
	unknown_sku(erp->create_refund, doc, "cashRefund", "loop-cr-1001", "S1 create_refund");
	snprintf(doc, sizeof(doc), CR_DOC, "loop-ra-404", "TEE-BLK-M");
	expect_rc(erp->create_refund, doc, BH_ENOENT, NULL, "create_refund on a missing RA");
	snprintf(doc, sizeof(doc), CR_DOC, "loop-ra-1001", "TEE-BLK-M");
	write_ok(erp->create_refund, doc, "cash_refund", true, cr, sizeof(cr), "S1 create_refund (cash refund)");
	write_ok(erp->create_refund, doc, "cash_refund", false, cr, sizeof(cr), "S1 create_refund repeat");
	is_int(count_records("cashRefund", "loop-cr-1001"), 1, "S1: exactly one cash refund");
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1001\"}", &r, &st), 0,
	       "get RA after the refund");
	is_str(jstr(r, "status"), "refunded", "S1: RA refunded");
	is_str(jstr(r, "lines.0.quantity_billed"), "1", "S1: RA line billed");
	json_object_put(r);

	/* GL of the return */
	json_object *chain, *t = gl_tx(so, "loop-cr-1001", &chain);
	ok(t != NULL, "S1 GL: the cash refund is in the order's chain");
	is_int(gl_net(t, "Sales Returns"), 4000, "S1 GL: Dr Sales Returns 40.00");
	is_int(gl_net(t, "Sales Tax Payable"), 320, "S1 GL: Dr Sales Tax Payable 3.20");
	is_int(gl_net(t, "Payment Clearing"), -4320, "S1 GL: Cr Payment Clearing 43.20");
	ok(gl_balanced(t), "S1 GL: the refund balances");
	json_object_put(chain);
	t = gl_tx(so, "loop-ir-1001", &chain);
	is_int(gl_net(t, "Inventory"), 1500, "S1 GL: Dr Inventory 15.00");
	is_int(gl_net(t, "Cost of Goods Sold"), -1500, "S1 GL: Cr COGS 15.00");
	json_object_put(chain);
#undef SO_DOC
#undef RA_DOC_S1
#undef CR_DOC
#undef IR_DOC
}

static void s3(void)
{
	char so[32] = "", ra[32] = "", cm[32] = "", doc[1600];
	struct bh_status st;
	json_object *r;

	order("3", "HOODIE", "60.00", "4.80", "0.00", so, sizeof(so));
#define RA_DOC_S3 \
		"{\"external_id\":\"loop-ra-1003\",\"sales_order\":{\"internal_id\":\"%s\"}," \
		"\"return_id\":\"1003\",\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\"," \
		"\"amount\":\"60.00\",\"tax\":\"4.80\"}],\"adjustments\":[{\"kind\":\"store_credit\"," \
		"\"item\":\"%s\",\"amount\":\"-64.80\",\"memo\":\"store credit\"}],\"memo\":null}"
	snprintf(doc, sizeof(doc), RA_DOC_S3, so, "NO-SUCH-SKU");
	unknown_sku(erp->create_return_authorization, doc, "returnAuthorization", "loop-ra-1003",
		    "S3 create_return_authorization (adjustment item)");
	snprintf(doc, sizeof(doc), RA_DOC_S3, so, "GIFT-CARD");
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "S3 create_return_authorization with a gift-card line");
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1003\"}", &r, &st), 0,
	       "S3 get RA");
	is_str(jstr(r, "total"), "0.00", "S3: RA total 0.00");
	json_object *lines;
	ok(json_object_object_get_ex(r, "lines", &lines) && json_object_array_length(lines) == 2,
	   "S3: RA has the item line and the gift-card line");
	ok(find_rec(lines, "sku", "GIFT-CARD") != NULL, "S3: the gift-card line is reported by SKU");
	json_object_put(r);

#define CM_DOC \
		"{\"external_id\":\"loop-cm-1003\",\"document\":\"credit_memo\",\"ra\":{\"internal_id\":\"%s\"}," \
		"\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\",\"amount\":\"60.00\",\"tax\":\"4.80\"}]," \
		"\"adjustments\":[{\"kind\":\"store_credit\",\"item\":\"GIFT-CARD\",\"amount\":\"-64.80\",\"memo\":\"store credit\"}]," \
		"\"bonus\":\"5.00\",\"customer_refund\":null}"
	snprintf(doc, sizeof(doc), CM_DOC, ra);
	write_ok(erp->create_refund, doc, "credit_memo", true, cm, sizeof(cm), "S3 create_refund (credit memo, bonus)");
	write_ok(erp->create_refund, doc, "credit_memo", false, cm, sizeof(cm), "S3 create_refund repeat");
	is_int(count_records("creditMemo", "loop-cm-1003"), 1, "S3: exactly one credit memo");

	json_object *chain, *t = gl_tx(so, "loop-cm-1003", &chain);
	ok(t != NULL, "S3 GL: the credit memo is in the order's chain");
	is_int(gl_net(t, "Sales Returns"), 6000, "S3 GL: Dr Sales Returns 60.00");
	is_int(gl_net(t, "Sales Tax Payable"), 480, "S3 GL: Dr Sales Tax Payable 4.80");
	is_int(gl_net(t, "Gift Card Liability"), -6980, "S3 GL: Cr Gift Card Liability 64.80 + 5.00");
	is_int(gl_net(t, "Return Incentive Expense"), 500, "S3 GL: Dr Return Incentive Expense 5.00");
	is_int(gl_net(t, "Accounts Receivable"), 0, "S3 GL: no receivable (no cash moves)");
	is_int(gl_net(t, "Payment Clearing"), 0, "S3 GL: no cash");
	ok(gl_balanced(t), "S3 GL: balances");
	json_object_put(chain);
#undef RA_DOC_S3
#undef CM_DOC
}

static void s7(void)
{
	char so[32] = "", ra[32] = "", ir[32] = "", cr[32] = "", doc[1600];
	struct bh_status st;
	json_object *r;

	order("7", "TEE-BLK-M", "40.00", "3.20", "5.00", so, sizeof(so));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1007\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1007\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
		 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[{\"kind\":\"fee\","
		 "\"item\":\"RESTOCKING-FEE\",\"amount\":\"-5.00\",\"memo\":\"handling fee\"}],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "S7 create_return_authorization with a fee line");
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1007\"}", &r, &st), 0,
	       "S7 get RA");
	is_str(jstr(r, "total"), "38.20", "S7: RA total 38.20");
	json_object_put(r);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ir-1007\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"restock\":true}]}", ra);
	write_ok(erp->create_item_receipt, doc, "item_receipt", true, ir, sizeof(ir), "S7 create_item_receipt");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cr-1007\",\"document\":\"cash_refund\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],"
		 "\"adjustments\":[{\"kind\":\"fee\",\"item\":\"RESTOCKING-FEE\",\"amount\":\"-5.00\",\"memo\":\"handling fee\"}],"
		 "\"bonus\":null,\"customer_refund\":null}", ra);
	write_ok(erp->create_refund, doc, "cash_refund", true, cr, sizeof(cr), "S7 create_refund 38.20");
	json_object *chain, *t = gl_tx(so, "loop-cr-1007", &chain);
	is_int(gl_net(t, "Sales Returns"), 4000, "S7 GL: Dr Sales Returns 40.00");
	is_int(gl_net(t, "Sales Tax Payable"), 320, "S7 GL: Dr Sales Tax Payable 3.20");
	is_int(gl_net(t, "Restocking Fee Income"), -500, "S7 GL: Cr Restocking Fee Income 5.00");
	is_int(gl_net(t, "Payment Clearing"), -3820, "S7 GL: Cr Payment Clearing 38.20");
	ok(gl_balanced(t), "S7 GL: balances");
	json_object_put(chain);
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1007\"}", &r, &st), 0,
	       "S7 get RA after the refund");
	is_str(jstr(r, "status"), "refunded", "S7: RA refunded");
	json_object_put(r);
}

static void credit_memo_with_customer_refund(char *so)
{
	char ra[32] = "", cm[32] = "", doc[1600];
	struct bh_status st;
	json_object *r;

	order("9", "TEE-BLK-M", "40.00", "3.20", "0.00", so, 32);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1009\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1009\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
		 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "credit memo case: create_return_authorization");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cm-1009\",\"document\":\"credit_memo\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],"
		 "\"adjustments\":[],\"bonus\":null,"
		 "\"customer_refund\":{\"external_id\":\"loop-crf-1009\",\"amount\":\"43.20\"}}", ra);
	for (int i = 0; i < 2; i++) {
		is_int(call(erp->create_refund, doc, &r, &st), 0, "credit memo + customer refund%s",
		       i ? " (repeat)" : "");
		is_str(jstr(r, "type"), "credit_memo", "  type credit_memo");
		ok(jbool(r, "created") == !i, "  created %s", i ? "false" : "true");
		json_object *crf;
		ok(json_object_object_get_ex(r, "customer_refund", &crf) && crf &&
			   !strcmp(jstr(crf, "type") ? jstr(crf, "type") : "", "customer_refund") &&
			   jbool(crf, "created") == !i,
		   "  customer_refund answered, created %s", i ? "false" : "true");
		if (!i)
			snprintf(cm, sizeof(cm), "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
		json_object_put(r);
	}
	is_int(count_records("creditMemo", "loop-cm-1009"), 1, "exactly one credit memo");
	is_int(count_records("customerRefund", "loop-crf-1009"), 1, "exactly one customer refund");
	json_object *chain, *t = gl_tx(so, "loop-cm-1009", &chain);
	is_int(gl_net(t, "Accounts Receivable"), -4320, "credit memo GL: Cr Accounts Receivable 43.20");
	json_object_put(chain);
	t = gl_tx(so, "loop-crf-1009", &chain);
	is_int(gl_net(t, "Accounts Receivable"), 4320, "customer refund GL: Dr Accounts Receivable 43.20");
	is_int(gl_net(t, "Payment Clearing"), -4320, "customer refund GL: Cr Payment Clearing 43.20");
	json_object_put(chain);
}

static void s8_close(char *ra8)
{
	char so[32] = "", doc[1600];
	struct bh_status st;
	json_object *r;

	order("8", "TEE-BLK-M", "40.00", "3.20", "0.00", so, sizeof(so));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1008\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1008\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
		 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra8, 32,
		 "S8 create_return_authorization");
	is_int(call(erp->close_return_authorization, "{\"external_id\":\"loop-ra-1008\"}", &r, &st), 0,
	       "S8 close_return_authorization");
	is_str(jstr(r, "status"), "closed", "S8: the answer says closed");
	json_object_put(r);
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1008\"}", &r, &st), 0,
	       "S8 get RA after closing");
	is_str(jstr(r, "status"), "closed", "S8: RA closed");
	ok(jbool(json_object_array_get_idx(json_object_object_get(r, "lines"), 0), "closed"),
	   "S8: its line is closed");
	json_object_put(r);
	snprintf(doc, sizeof(doc), "{\"internal_id\":\"%s\"}", ra8);
	is_int(call(erp->close_return_authorization, doc, &r, &st), 0,
	       "S8 closing a closed RA succeeds");
	is_str(jstr(r, "status"), "closed", "  still closed");
	json_object_put(r);
	expect_rc(erp->close_return_authorization, "{\"external_id\":\"loop-ra-404\"}", BH_ENOENT, NULL,
		  "close_return_authorization of a missing RA");
}

static void feeds(const char *ra1)
{
	char *cur = NULL, p[128];
	struct bh_status st;
	json_object *r;

	json_object *all = feed_all("item_receipts", NULL, &cur);
	json_object *x = find_rec(all, "external_id", "loop-ir-1001");
	ok(x != NULL, "feed item_receipts: our S1 receipt");
	is_str(jstr(x, "schema"), "erp-receipt/1", "  schema erp-receipt/1");
	is_str(jstr(x, "ra.external_id"), "loop-ra-1001", "  ra.external_id");
	is_str(jstr(x, "ra.internal_id"), ra1, "  ra.internal_id");
	is_str(jstr(x, "return_id"), "1001", "  return_id");
	is_str(jstr(x, "lines.0.sku"), "TEE-BLK-M", "  line SKU");
	is_str(jstr(x, "lines.0.quantity"), "1", "  line quantity");
	ok(find_rec(all, "external_id", "loop-ir-1007") != NULL, "feed item_receipts: the S7 receipt");
	json_object_put(all);

	/* a warehouse receipt in NetSuite after the cursor: reported, older ones not */
	char doc[1600], ra10[32] = "", so10[32] = "";
	order("10", "HOODIE", "60.00", "4.80", "0.00", so10, sizeof(so10));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1010\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1010\",\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\","
		 "\"amount\":\"60.00\",\"tax\":\"4.80\"}],\"adjustments\":[],\"memo\":null}", so10);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra10, sizeof(ra10),
		 "feeds: another RA");
	snprintf(p, sizeof(p), "/control/netsuite/ra/%s/receive", ra10);
	json_object *rec = ctl("POST", p, "{\"restock\":true}");
	const char *wh = jstr(rec, "internal_id");
	char whid[32];
	snprintf(whid, sizeof(whid), "%s", wh ? wh : "?");
	json_object_put(rec);
	all = feed_all("item_receipts", cur, NULL);
	x = find_rec(all, "internal_id", whid);
	ok(x != NULL, "feed item_receipts from the cursor: the warehouse receipt");
	ok(x && !jstr(x, "external_id"), "  a warehouse receipt has no external id");
	is_str(jstr(x, "return_id"), "1010", "  its return id");
	/* Records near the cursor's position may be read again (at-least-once: their keys
	 * make repeats harmless, and a plugin may re-read an overlap window), so the suite
	 * does not require that older receipts are absent here. */
	json_object_put(all);
	free(cur);

	all = feed_all("ra_closed", NULL, NULL);
	x = find_rec(all, "external_id", "loop-ra-1008");
	ok(x != NULL, "feed ra_closed: the closed S8 RA");
	is_str(jstr(x, "schema"), "erp-ra/1", "  schema erp-ra/1");
	is_str(jstr(x, "status"), "closed", "  status closed");
	is_str(jstr(x, "return_id"), "1008", "  return_id");
	ok(find_rec(all, "external_id", "loop-ra-1010") == NULL, "feed ra_closed: open RAs are not in it");
	json_object_put(all);

	all = feed_all("ra_flags", NULL, NULL);
	ok(find_rec(all, "external_id", "loop-ra-1001") == NULL, "feed ra_flags: nothing flagged yet");
	json_object_put(all);
	snprintf(p, sizeof(p), "/control/netsuite/ra/%s/flag", ra1);
	json_object_put(ctl("POST", p, "{\"value\":true}"));
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1001\"}", &r, &st), 0,
	       "get RA after the flag was set");
	ok(jbool(r, "flag"), "get RA: flag set");
	json_object_put(r);
	for (int cycle = 0; cycle < 2; cycle++) {
		all = feed_all("ra_flags", NULL, NULL);
		x = find_rec(all, "external_id", "loop-ra-1001");
		ok(x != NULL && jbool(x, "flag"), "feed ra_flags: the flagged RA (cycle %d)", cycle + 1);
		json_object_put(all);
	}
	json_object_put(ctl("POST", p, "{\"value\":false}"));
	all = feed_all("ra_flags", NULL, NULL);
	ok(find_rec(all, "external_id", "loop-ra-1001") == NULL, "feed ra_flags: cleared flag gone");
	json_object_put(all);

	is_int(changes("no_such_feed", NULL, &r, &st), BH_EREJECT, "an unknown feed is refused");
	json_object_put(r);
}

/* ------------------------------------------------------------------ additions for the flows */

/* A customer and a sales order (no billing); doc_extra goes into the order document. */
static void plain_order(const char *n, const char *lines, const char *extra, char *so_iid,
			size_t len, bool cust_created, bool created, const char *what)
{
	char doc[2400], iid[32] = "";
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-customer-70000000000000%s\",\"email\":\"c%s@example.com\","
		 "\"first_name\":\"Cust\",\"last_name\":\"N%s\"}", n, n, n);
	write_ok(erp->upsert_customer, doc, "customer", cust_created, iid, sizeof(iid), "upsert_customer");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-52103985732452%s\","
		 "\"customer_external_id\":\"shopify-customer-70000000000000%s\","
		 "\"storefront_order_id\":\"52103985732452%s\",\"name\":\"#%s\","
		 "\"date\":\"2026-11-01T10:00:00Z\",\"currency\":\"USD\",\"lines\":%s,"
		 "\"shipping\":{\"amount\":\"0.00\",\"tax\":\"0.00\"},\"exchange_of\":null%s}",
		 n, n, n, n, lines, extra ? extra : "");
	write_ok(erp->upsert_sales_order, doc, "sales_order", created, so_iid, len, what);
}

static void bill(const char *so, const char *as)
{
	char b[96];
	snprintf(b, sizeof(b), "{\"sales_order\":%s,\"as\":\"%s\"}", so, as);
	json_object_put(ctl("POST", "/control/netsuite/bill", b));
}

static void billing_invoice(void)
{
	char so[32] = "";
	struct bh_status st;
	json_object *r;

	plain_order("12", "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}]",
		    NULL, so, sizeof(so), true, true, "invoice case: upsert_sales_order");
	bill(so, "invoice");
	is_int(call(erp->find_sales_order, "{\"shopify_order_id\":\"5210398573245212\"}", &r, &st), 0,
	       "find_sales_order of an order billed by invoice");
	is_str(jstr(r, "billing"), "invoice", "find_sales_order: billing invoice");
	json_object_put(r);
}

/* S4/S5: an order paid entirely by gift card; the tender is an adjustment line. */
static void gift_card_order(void)
{
	char so[32] = "", ra[32] = "", p[160];
	struct bh_status st;
	json_object *r, *lines = NULL;
#define GC_LINES "[{\"sku\":\"CAP\",\"quantity\":1,\"rate\":\"25.00\",\"amount\":\"25.00\",\"tax\":\"2.00\"}]"
#define GC_ADJ ",\"tenders\":[{\"kind\":\"gift_card\",\"amount\":\"27.00\"}],\"adjustments\":[{\"kind\":\"gift_card\"," \
	       "\"item\":\"%s\",\"amount\":\"-27.00\",\"memo\":\"gift card\"}]"
	char adj[400];
	snprintf(adj, sizeof(adj), GC_ADJ, "NO-SUCH-SKU");
	char doc[2400];
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-customer-7000000000000011\",\"email\":\"c11@example.com\","
		 "\"first_name\":\"Cust\",\"last_name\":\"N11\"}");
	write_ok(erp->upsert_customer, doc, "customer", true, NULL, 0, "gift card: upsert_customer");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-5210398573245211\",\"customer_external_id\":\"shopify-customer-7000000000000011\","
		 "\"storefront_order_id\":\"5210398573245211\",\"name\":\"#11\",\"lines\":" GC_LINES "%s}", adj);
	unknown_sku(erp->upsert_sales_order, doc, "salesOrder", "shopify-order-5210398573245211",
		    "gift card: upsert_sales_order (adjustment item)");
	snprintf(adj, sizeof(adj), GC_ADJ, "GIFT-CARD");
	plain_order("11", GC_LINES, adj, so, sizeof(so), false, true,
		    "gift card: upsert_sales_order with an adjustment");
	is_int(count_records("salesOrder", "shopify-order-5210398573245211"), 1, "gift card: one sales order");
	plain_order("11", GC_LINES, adj, so, sizeof(so), false, false,
		    "gift card: upsert_sales_order repeat");
	snprintf(p, sizeof(p), "/control/netsuite/records/salesOrder/%s", so);
	r = ctl("GET", p, NULL);
	ok(r && json_object_object_get_ex(r, "lines", &lines) && json_object_array_length(lines) == 2,
	   "gift card: the order has the item line and one gift-card line (no second line set)");
	json_object *gc = find_rec(lines, "sku", "GIFT-CARD");
	is_str(jstr(gc, "amount"), "-27.00", "gift card: the gift-card line is -27.00");
	is_str(jstr(gc, "quantity"), "1", "gift card: quantity 1");
	is_str(jstr(gc, "tax"), "0.00", "gift card: untaxed");
	json_object_put(r);

	bill(so, "cash_sale");
	json_object *chain, *txs, *cs = NULL;
	snprintf(p, sizeof(p), "/control/netsuite/gl/order?sales_order=%s", so);
	chain = ctl("GET", p, NULL);
	for (size_t i = 0; chain && json_object_object_get_ex(chain, "transactions", &txs) &&
			   i < json_object_array_length(txs); i++)
		if (!strcmp(jstr(json_object_array_get_idx(txs, i), "type"), "cashSale"))
			cs = json_object_array_get_idx(txs, i);
	ok(cs != NULL, "gift card GL: the cash sale is in the order's chain");
	is_int(gl_net(cs, "Gift Card Liability"), 2700, "gift card GL: Dr Gift Card Liability 27.00");
	is_int(gl_net(cs, "Payment Clearing"), 0, "gift card GL: no Payment Clearing");
	is_int(gl_net(cs, "Sales"), -2500, "gift card GL: Cr Sales 25.00");
	is_int(gl_net(cs, "Sales Tax Payable"), -200, "gift card GL: Cr Sales Tax Payable 2.00");
	ok(gl_balanced(cs), "gift card GL: balances");
	json_object_put(chain);

	/* an RA from it carries only the lines the return asks for */
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1011\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1011\",\"lines\":[{\"sku\":\"CAP\",\"quantity\":1,\"rate\":\"25.00\","
		 "\"amount\":\"25.00\",\"tax\":\"2.00\"}],\"adjustments\":[],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "gift card: create_return_authorization");
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1011\"}", &r, &st), 0,
	       "gift card: get RA");
	ok(json_object_object_get_ex(r, "lines", &lines) && json_object_array_length(lines) == 1 &&
		   !find_rec(lines, "sku", "GIFT-CARD"),
	   "gift card: the RA has only the returned line (no copied gift-card line)");
	is_str(jstr(r, "total"), "27.00", "gift card: RA total 27.00");
	json_object_put(r);
#undef GC_LINES
#undef GC_ADJ
}

static void check_items(void)
{
	struct bh_status st;
	json_object *r, *items = NULL;
	if (erp->size < offsetof(struct bh_erp_ops, check_items) + sizeof(erp->check_items) ||
	    !erp->check_items) {
		ok(0, "check_items is offered");
		return;
	}
	is_int(call(erp->check_items, "{\"skus\":[\"TEE-BLK-M\",\"GIFT-CARD\"]}", &r, &st), 0,
	       "check_items of known SKUs");
	ok(r && json_object_object_get_ex(r, "items", &items) && json_object_array_length(items) == 2,
	   "check_items: both items answered");
	json_object *x = find_rec(items, "sku", "TEE-BLK-M");
	ok(x && jstr(x, "internal_id") && *jstr(x, "internal_id"), "check_items: an internal id");
	json_object_put(r);
	is_int(call(erp->check_items, "{\"skus\":[\"TEE-NEW-S\",\"TEE-BLK-M\",\"TEE-NEW-L\"]}", &r, &st),
	       BH_EREJECT, "check_items with unknown SKUs: BH_EREJECT");
	is_str(st.code, "UNKNOWN_SKU", "check_items: code UNKNOWN_SKU");
	ok(strstr(st.message, "TEE-NEW-S") && strstr(st.message, "TEE-NEW-L") &&
		   strstr(st.message, "itemId") && !strstr(st.message, "TEE-BLK-M"),
	   "check_items: every unknown SKU and the field named (%s)", st.message);
	json_object_put(r);
}

struct race_arg {
	const char *doc;
	int rc;
	char code[64];
	bool created;
	char iid[32];
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	struct bh_status st = {0};
	char *out = NULL;
	a->rc = erp->create_item_receipt(ectx, a->doc, &out, &st);
	snprintf(a->code, sizeof(a->code), "%s", st.code);
	json_object *r = jparse(out);
	a->created = jbool(r, "created");
	snprintf(a->iid, sizeof(a->iid), "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
	json_object_put(r);
	free(out);
	return NULL;
}

/* Two concurrent deliveries of one receipt: one document, both callers OK. */
static void receipt_race(void)
{
	char so[32] = "", ra[32] = "", doc[1600];
	struct bh_status st;

	order("13", "TEE-BLK-M", "40.00", "3.20", "0.00", so, sizeof(so));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1013\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1013\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
		 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "race: create_return_authorization");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ir-1013\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"restock\":true}]}", ra);
	/* hold both first reads by external id a while, so both deliveries find nothing and
	 * go on to write (the window the flow's own quantity check cannot close) */
	json_object_put(ctl("POST", "/control/faults",
			    "{\"service\":\"netsuite\",\"operation\":\"soap:get\",\"latency_ms\":300,\"count\":2}"));
	json_object_put(ctl("POST", "/control/faults",
			    "{\"service\":\"netsuite\",\"operation\":\"rest:record\",\"latency_ms\":300,\"count\":2}"));
	struct race_arg a[2] = {{.doc = doc}, {.doc = doc}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race_thread, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	clear_faults();
	for (int i = 0; i < 2; i++)
		is_int(a[i].rc, 0, "race: concurrent create_item_receipt %d succeeds (%s)", i + 1, a[i].code);
	is_str(a[0].iid, a[1].iid, "race: both answer the same receipt");
	ok(a[0].created + a[1].created <= 1, "race: at most one says created");
	is_int(count_records("itemReceipt", "loop-ir-1013"), 1, "race: exactly one item receipt");

	/* another receipt (another external id) on the fully received RA: a clear refusal */
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ir-1013-b\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"restock\":true}]}", ra);
	is_int(call(erp->create_item_receipt, doc, NULL, &st), BH_EREJECT,
	       "a receipt on an RA already received: BH_EREJECT");
	is_str(st.code, "ALREADY_RECEIVED", "  code ALREADY_RECEIVED");
	ok(strstr(st.message, "loop-ra-1013") && strstr(st.message, "already received"),
	   "  the message names the RA and that it is received (%s)", st.message);
	is_int(count_records("itemReceipt", "loop-ir-1013-b"), 0, "  nothing written");
}

/* The refund's bonus_item: the bonus is credited on it, not on our gift_card_item. */
static void bonus_item(void)
{
	char so[32] = "", ra[32] = "", cr[32] = "", doc[1600];

	order("14", "HOODIE", "60.00", "4.80", "0.00", so, sizeof(so));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-1014\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1014\",\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\","
		 "\"amount\":\"60.00\",\"tax\":\"4.80\"}],\"adjustments\":[],\"memo\":null}", so);
	write_ok(erp->create_return_authorization, doc, "return_authorization", true, ra, sizeof(ra),
		 "bonus_item: create_return_authorization");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cr-1014\",\"document\":\"cash_refund\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"1014\",\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\","
		 "\"amount\":\"60.00\",\"tax\":\"4.80\"}],\"adjustments\":[],\"bonus\":\"5.00\","
		 "\"bonus_item\":\"STORE-CREDIT\",\"customer_refund\":null}", ra);
	write_ok(erp->create_refund, doc, "cash_refund", true, cr, sizeof(cr), "bonus_item: create_refund");
	json_object *chain, *t = gl_tx(so, "loop-cr-1014", &chain);
	is_int(gl_net(t, "Return Incentive Expense"), 500, "bonus_item GL: Dr Return Incentive Expense 5.00");
	is_int(gl_net(t, "Store Credit Liability"), -500, "bonus_item GL: Cr Store Credit Liability (bonus_item) 5.00");
	is_int(gl_net(t, "Gift Card Liability"), 0, "bonus_item GL: nothing on the plugin's gift_card_item");
	is_int(gl_net(t, "Payment Clearing"), -6480, "bonus_item GL: Cr Payment Clearing 64.80");
	ok(gl_balanced(t), "bonus_item GL: balances");
	json_object_put(chain);
}

static json_object *related_of(const char *ref, int *rc)
{
	struct bh_status st;
	json_object *r = NULL, *txs = NULL;
	*rc = call(erp->related_transactions, ref, &r, &st);
	if (r && json_object_object_get_ex(r, "transactions", &txs))
		json_object_get(txs);
	json_object_put(r);
	return txs;
}

static void related(const char *so1, const char *ra1, const char *ir1, const char *so9)
{
	char ref[128], exch[32] = "";
	int rc;
	if (erp->size < offsetof(struct bh_erp_ops, related_transactions) + sizeof(erp->related_transactions) ||
	    !erp->related_transactions) {
		ok(0, "related_transactions is offered");
		return;
	}
	/* an exchange order of the S1 order */
	char doc[1600];
	write_ok(erp->upsert_customer, "{\"external_id\":\"shopify-customer-7000000000000015\","
		 "\"email\":\"c15@example.com\",\"first_name\":\"Cust\",\"last_name\":\"N15\"}",
		 "customer", true, NULL, 0, "related: upsert_customer");
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-5210398573245215\",\"customer_external_id\":\"shopify-customer-7000000000000015\","
		 "\"storefront_order_id\":\"5210398573245215\",\"name\":\"EXC1001\",\"lines\":[{\"sku\":\"HOODIE\","
		 "\"quantity\":1,\"rate\":\"60.00\",\"amount\":\"60.00\",\"tax\":\"4.80\"}],"
		 "\"exchange_of\":\"shopify-order-5210398573245212345\"}");
	write_ok(erp->upsert_sales_order, doc, "sales_order", true, exch, sizeof(exch),
		 "related: an exchange order naming the original");

	snprintf(ref, sizeof(ref), "{\"internal_id\":\"%s\"}", so1);
	json_object *txs = related_of(ref, &rc);
	is_int(rc, 0, "related_transactions of the S1 sales order");
	ok(!find_rec(txs, "internal_id", so1), "related: the ref itself is excluded");
	json_object *x = find_rec(txs, "type", "cash_sale");
	ok(x != NULL, "related: its cash sale");
	is_str(jstr(x, "created_from.internal_id"), so1, "  created from the order");
	is_str(jstr(x, "created_from.type"), "sales_order", "  (a sales order)");
	ok(find_rec(txs, "type", "item_fulfillment") != NULL, "related: its fulfilment");
	x = find_rec(txs, "internal_id", ra1);
	is_str(jstr(x, "type"), "return_authorization", "related: the RA");
	is_str(jstr(x, "external_id"), "loop-ra-1001", "  its external id");
	is_str(jstr(x, "status"), "refunded", "  status refunded");
	is_str(jstr(x, "lines.0.sku"), "TEE-BLK-M", "  its line SKU");
	is_str(jstr(x, "total"), "43.20", "  its total");
	x = find_rec(txs, "internal_id", ir1);
	is_str(jstr(x, "type"), "item_receipt", "related: the receipt through the RA");
	is_str(jstr(x, "created_from.internal_id"), ra1, "  created from the RA");
	is_str(jstr(x, "created_from.type"), "return_authorization", "  (a return authorization)");
	x = find_rec(txs, "external_id", "loop-cr-1001");
	is_str(jstr(x, "type"), "cash_refund", "related: the cash refund through the RA");
	is_str(jstr(x, "lines.0.amount"), "40.00", "  its line amount");
	x = find_rec(txs, "internal_id", exch);
	is_str(jstr(x, "type"), "sales_order", "related: the exchange sales order");
	is_str(jstr(x, "exchange_of.internal_id"), so1, "  exchange_of the original");
	/* oldest first: the RA before its receipt before the refund */
	size_t i_ra = 99, i_ir = 99, i_cr = 99;
	for (size_t i = 0; txs && i < json_object_array_length(txs); i++) {
		const char *id = jstr(json_object_array_get_idx(txs, i), "internal_id");
		const char *e = jstr(json_object_array_get_idx(txs, i), "external_id");
		if (id && !strcmp(id, ra1))
			i_ra = i;
		if (id && !strcmp(id, ir1))
			i_ir = i;
		if (e && !strcmp(e, "loop-cr-1001"))
			i_cr = i;
	}
	ok(i_ra < i_ir && i_ir < i_cr, "related: oldest first");
	json_object_put(txs);

	snprintf(ref, sizeof(ref), "{\"internal_id\":\"%s\"}", so9);
	txs = related_of(ref, &rc);
	is_int(rc, 0, "related_transactions of the credit-memo order");
	x = find_rec(txs, "external_id", "loop-crf-1009");
	is_str(jstr(x, "type"), "customer_refund", "related: the customer refund");
	is_str(jstr(x, "created_from.type"), "credit_memo", "  through its credit memo");
	ok(find_rec(txs, "external_id", "loop-cm-1009") != NULL, "related: the credit memo");
	json_object_put(txs);

	txs = related_of("{\"external_id\":\"loop-ra-1001\"}", &rc);
	is_int(rc, 0, "related_transactions of an RA by external id");
	ok(find_rec(txs, "internal_id", ir1) && find_rec(txs, "external_id", "loop-cr-1001") &&
		   !find_rec(txs, "type", "cash_sale"),
	   "related of the RA: its receipt and refund only");
	json_object_put(txs);
	txs = related_of("{\"external_id\":\"loop-ra-404\"}", &rc);
	is_int(rc, BH_ENOENT, "related_transactions of a missing transaction: BH_ENOENT");
	json_object_put(txs);
}

static void retries(void)
{
	struct bh_status st;
	char iid[32] = "";

	fault("rate_5xx", 1);
	is_int(call(erp->find_sales_order, "{\"external_id\":\"shopify-order-5210398573245212345\"}", NULL, &st),
	       BH_ERETRY, "a 5xx / UNEXPECTED_ERROR is BH_ERETRY");
	ok(st.code[0] != '\0', "  with a code (%s)", st.code);
	clear_faults();
	fault("rate_soap_fault", 1);
	is_int(call(erp->get_return_authorization, "{\"external_id\":\"loop-ra-1001\"}", NULL, &st),
	       BH_ERETRY, "a concurrency limit fault is BH_ERETRY");
	clear_faults();
	/* libcurl re-sends once on a fresh connection when a reused one is reset before any
	 * answer: two resets make sure the operation sees one */
	fault("rate_reset", 2);
	is_int(call(erp->find_sales_order, "{\"external_id\":\"shopify-order-5210398573245212345\"}", NULL, &st),
	       BH_ERETRY, "a reset connection is BH_ERETRY");
	clear_faults();

	const char *doc = "{\"external_id\":\"shopify-customer-7000000000000042\","
			  "\"email\":\"retry@example.com\",\"first_name\":\"Re\",\"last_name\":\"Try\"}";
	fault("rate_5xx", 1);
	is_int(call(erp->upsert_customer, doc, NULL, &st), BH_ERETRY, "a write meeting a 5xx is BH_ERETRY");
	clear_faults();
	write_ok(erp->upsert_customer, doc, "customer", true, iid, sizeof(iid), "the retried write");
	json_object *c = ctl("GET", "/control/netsuite/customers?email=retry@example.com", NULL), *a;
	ok(c && json_object_object_get_ex(c, "customers", &a) && json_object_array_length(a) == 1,
	   "exactly one customer after the retry");
	json_object_put(c);
}

static void bad_token(void)
{
	struct bh_test_engine te;
	char conf[2048];
	void *ctx = NULL;
	snprintf(conf, sizeof(conf),
		 "[endpoint nsbad]\nplugin = %s\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_TEST_NS_CONSUMER_SECRET\n"
		 "token_id = bh-sim-token-id\ntoken_secret_env = BH_TEST_NS_WRONG_SECRET\n"
		 "base_url = %s\nretries = 0\ntimeout = 10s\n",
		 BH_ERP_PLUGIN, ns_base);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "an instance with a wrong token starts");
	const struct bh_erp_ops *bad = rc == 0 ? bh_test_cap(&te, "nsbad", BH_CAP_ERP, &ctx) : NULL;
	if (bad) {
		struct bh_status st = {0};
		char *out = NULL;
		is_int(bad->find_sales_order(ctx, "{\"external_id\":\"x\"}", &out, &st), BH_EAUTH,
		       "a wrong token is BH_EAUTH");
		diag("  %s: %s", st.code, st.message);
		ok(!strstr(st.message, "not-the-token-secret"), "  the secret is not in the message");
		free(out);
	}
	bh_test_engine_stop(&te);
}

int main(void)
{
	struct bh_test_engine te;
	char conf[2048];

	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("BH_TOP_BUILDDIR is not set (run through make check)");
	if (bh_test_sim_start(&sim, "") != 0)
		skip_all("backhaul-sim did not start");
	setenv("BH_TEST_NS_CONSUMER_SECRET", "bh-sim-consumer-secret", 1);
	setenv("BH_TEST_NS_TOKEN_SECRET", "bh-sim-token-secret", 1);
	setenv("BH_TEST_NS_WRONG_SECRET", "not-the-token-secret", 1);
	snprintf(ns_base, sizeof(ns_base), "http://127.0.0.1:%d", sim.netsuite);
	diag("erp contract of plugin %s against %s", BH_ERP_PLUGIN, ns_base);
	json_object *info = ctl("GET", "/control/netsuite/info", NULL), *soap = NULL, *xsd = NULL;
	ok(info && json_object_object_get_ex(info, "soap", &soap) &&
		   json_object_object_get_ex(soap, "xsd", &xsd) && json_object_get_boolean(xsd),
	   "the simulator validates every SOAP request against Oracle's XSD");
	json_object_put(info);
	seed_items();

	snprintf(conf, sizeof(conf),
		 "[endpoint netsuite]\nplugin = %s\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_TEST_NS_CONSUMER_SECRET\n"
		 "token_id = bh-sim-token-id\ntoken_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "base_url = %s\nretries = 0\ntimeout = 20s\n",
		 BH_ERP_PLUGIN, ns_base);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with %s starts", BH_ERP_PLUGIN);
	erp = rc == 0 ? bh_test_cap(&te, "netsuite", BH_CAP_ERP, &ectx) : NULL;
	ok(erp != NULL, "the instance offers the erp capability");
	if (!erp) {
		bh_test_engine_stop(&te);
		bh_test_sim_stop(&sim);
		return done_testing();
	}
	ok(erp->size >= sizeof(struct bh_erp_ops), "erp ops table is complete");

	char so1[32] = "", ra1[32] = "", ir1[32] = "", ra8[32] = "", so9[32] = "";
	s1(so1, ra1, ir1);
	s3();
	s7();
	credit_memo_with_customer_refund(so9);
	s8_close(ra8);
	feeds(ra1);
	billing_invoice();
	gift_card_order();
	check_items();
	receipt_race();
	bonus_item();
	related(so1, ra1, ir1, so9);
	retries();
	bh_test_engine_stop(&te);
	bad_token();

	bh_test_sim_stop(&sim);
	return done_testing();
}
