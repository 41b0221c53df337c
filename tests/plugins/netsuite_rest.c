/*
 * netsuite_rest.c - the netsuite-rest endpoint plugin against backhaul-sim's NetSuite
 * REST simulator, loaded through the engine's real loader.
 *
 * Covers: signed requests whose query parameters are part of the signature (the sim
 * verifies every signature); each erp operation normal / idempotent replay / not found;
 * unknown SKU (nothing written, replay after the item exists); retry classification of
 * 429, 5xx and timeouts (sim fault injection), 401; concurrent duplicate deliveries
 * (exactly one document); the request cap against the account concurrency limit;
 * SCENARIOS S1 end to end through the erp operations with the general ledger read
 * through the sim's control API; S3 (store credit with a bonus); the change feeds and
 * the source (poll -> records through a mock-sink flow); diagnostics.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/diag.h>
#include <backhaul/erp.h>

#include "harness.h"

static struct bh_test_sim sim;
static struct bh_test_engine te;
static const struct bh_erp_ops *erp;
static void *ns;          /* retries = 0: classification is seen as is */
static void *ns_retry;    /* retries = 2 */
static void *ns_bad;      /* wrong token secret */
static void *ns_cap;      /* max_requests = 2 */
static void *ns_fast;     /* timeout = 1s */
static char sink_path[256];

typedef int (*op_fn)(void *, const char *, char **, struct bh_status *);

/* ------------------------------------------------------------------ helpers */

static struct json_object *ctl(const char *method, const char *path, const char *body,
			       long *status)
{
	char *resp = NULL;
	long st = bh_test_ctl(&sim, method, path, body, &resp);
	struct json_object *o = resp ? json_tokener_parse(resp) : NULL;
	if (status)
		*status = st;
	if (st < 200 || st >= 300)
		diag("control %s %s -> %ld %s", method, path, st, resp ? resp : "");
	free(resp);
	return o;
}

static int op(op_fn fn, void *ctx, const char *doc, struct json_object **out, struct bh_status *st)
{
	char *text = NULL;
	memset(st, 0, sizeof(*st));
	int rc = fn(ctx, doc, &text, st);
	if (out)
		*out = text ? json_tokener_parse(text) : NULL;
	if (rc != 0)
		diag("  -> rc %d code %s: %s", rc, st->code, st->message);
	free(text);
	return rc;
}

static int feed(const char *name, const char *cursor, struct json_object **out,
		struct bh_status *st)
{
	char *text = NULL;
	memset(st, 0, sizeof(*st));
	int rc = erp->changes(ns, name, cursor, &text, st);
	if (out)
		*out = text ? json_tokener_parse(text) : NULL;
	if (rc != 0)
		diag("  -> rc %d code %s: %s", rc, st->code, st->message);
	free(text);
	return rc;
}

/* Member by dotted path ("a.b.0.c"); numbers index arrays. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &o))
			o = NULL;
	}
	return o;
}

static const char *js(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static long long cents(const char *s)
{
	if (!s)
		return -999999999;
	long long sign = 1, whole = 0, frac = 0;
	if (*s == '-') {
		sign = -1;
		s++;
	}
	while (*s >= '0' && *s <= '9')
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		int d = 0;
		while (*s >= '0' && *s <= '9' && d < 2) {
			frac = frac * 10 + (*s++ - '0');
			d++;
		}
		if (d == 1)
			frac *= 10;
	}
	return sign * (whole * 100 + frac);
}

/* Signed debit (debit - credit) in cents on `account` over the chain's transactions of
 * REST type `type` (NULL: all). */
static long long gl(struct json_object *chain, const char *type, const char *account)
{
	struct json_object *txs = jget(chain, "transactions");
	long long sum = 0;
	for (size_t i = 0; txs && i < json_object_array_length(txs); i++) {
		struct json_object *t = json_object_array_get_idx(txs, i);
		if (type && strcmp(js(t, "type") ? js(t, "type") : "", type) != 0)
			continue;
		struct json_object *lines = jget(t, "gl");
		for (size_t k = 0; lines && k < json_object_array_length(lines); k++) {
			struct json_object *l = json_object_array_get_idx(lines, k);
			if (strcmp(js(l, "account"), account) == 0)
				sum += cents(js(l, "debit")) - cents(js(l, "credit"));
		}
	}
	return sum;
}

static int count_records(const char *type, const char *eid)
{
	char path[256];
	snprintf(path, sizeof(path), "/control/netsuite/records?type=%s&externalId=%s", type, eid);
	struct json_object *o = ctl("GET", path, NULL, NULL);
	struct json_object *r = jget(o, "records");
	int n = r ? (int)json_object_array_length(r) : -1;
	json_object_put(o);
	return n;
}

static void add_fault(const char *rule)
{
	long st;
	json_object_put(ctl("POST", "/control/faults", rule, &st));
	ok(st == 200, "fault rule added: %s", rule);
}

static void clear_faults(void)
{
	json_object_put(ctl("DELETE", "/control/faults", NULL, NULL));
}

static int sink_has(const char *prefix)
{
	FILE *f = fopen(sink_path, "r");
	char line[512];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(f);
	return n;
}

static bool wait_sink(const char *prefix, int want)
{
	int64_t dl = tap_mono_ms() + 15000;
	while (tap_mono_ms() < dl) {
		if (sink_has(prefix) >= want)
			return true;
		struct timespec ts = {0, 20 * 1000000L}; /* polling the sink's output file */
		nanosleep(&ts, NULL);
	}
	return false;
}

static int64_t polls_of(const char *name)
{
	struct bh_instance *in = bh_engine_find(te.eng, name);
	pthread_mutex_lock(&te.eng->lock);
	int64_t n = (int64_t)in->polls;
	pthread_mutex_unlock(&te.eng->lock);
	return n;
}

/* Ask the source to poll and wait until that poll is finished. */
static bool sync_source(const char *name)
{
	int64_t before = polls_of(name);
	if (bh_engine_sync_now(te.eng, name) != 0)
		return false;
	int64_t dl = tap_mono_ms() + 15000;
	while (tap_mono_ms() < dl) {
		if (polls_of(name) > before)
			return true;
		struct timespec ts = {0, 20 * 1000000L}; /* polling the poll counter */
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A sales order through the erp operations: customer + order; returns its internal id. */
static void make_order(const char *order_id, const char *lines_json, const char *shipping,
		       char *so_id, size_t len)
{
	char doc[2048];
	struct json_object *out = NULL;
	struct bh_status st;
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-customer-%s\",\"email\":\"c%s@example.com\","
		 "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}", order_id, order_id);
	ok(op(erp->upsert_customer, ns, doc, NULL, &st) == 0, "customer for order %s", order_id);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-%s\",\"customer_external_id\":\"shopify-customer-%s\","
		 "\"storefront_order_id\":\"%s\",\"name\":\"#%s\",\"date\":\"2026-11-01T10:00:00Z\","
		 "\"currency\":\"USD\",\"lines\":%s,\"shipping\":{\"amount\":\"%s\",\"tax\":\"0.00\"},"
		 "\"tenders\":[{\"kind\":\"card\",\"amount\":\"1.00\"}],\"exchange_of\":null}",
		 order_id, order_id, order_id, order_id, lines_json, shipping);
	int rc = op(erp->upsert_sales_order, ns, doc, &out, &st);
	ok(rc == 0 && js(out, "internal_id"), "sales order %s created", order_id);
	snprintf(so_id, len, "%s", js(out, "internal_id") ? js(out, "internal_id") : "0");
	json_object_put(out);
}

/* Fulfil and bill (cash sale) an order through the control API. */
static void fulfil_and_bill(const char *so_id)
{
	char body[128];
	long s1, s2;
	snprintf(body, sizeof(body), "{\"sales_order\":%s}", so_id);
	json_object_put(ctl("POST", "/control/netsuite/fulfill", body, &s1));
	snprintf(body, sizeof(body), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", so_id);
	json_object_put(ctl("POST", "/control/netsuite/bill", body, &s2));
	ok(s1 == 200 && s2 == 200, "order %s fulfilled and billed as a cash sale", so_id);
}

/* ------------------------------------------------------------------ parts */

static void test_items(void)
{
	long st;
	json_object_put(ctl("POST", "/control/netsuite/items",
			    "{\"items\":["
			    "{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee black M\",\"type\":\"inventory\","
			    "\"cost\":\"15.00\",\"price\":\"40.00\"},"
			    "{\"sku\":\"MUG\",\"name\":\"Mug\",\"type\":\"inventory\",\"cost\":\"4.00\","
			    "\"price\":\"12.00\"},"
			    "{\"sku\":\"HOODIE\",\"name\":\"Hoodie\",\"type\":\"inventory\","
			    "\"cost\":\"20.00\",\"price\":\"60.00\"},"
			    "{\"sku\":\"GIFT-CARD\",\"name\":\"Gift Card\",\"type\":\"giftcard\"},"
			    "{\"sku\":\"RESTOCKING-FEE\",\"name\":\"Restocking Fee\",\"type\":\"fee\"},"
			    "{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus\",\"type\":\"noninventory\","
			    "\"account\":\"Return Incentive Expense\"}]}",
			    &st));
	ok(st == 200, "catalog created in the simulator");
}

static void test_diagnostics(void)
{
	const struct bh_diag_ops *d = NULL;
	void *ctx = NULL;
	char *out = NULL;
	struct bh_status st;

	d = bh_test_cap(&te, "ns", BH_CAP_DIAG, &ctx);
	ok(d && d->test_connection, "diagnostics capability offered");
	if (!d)
		return;
	memset(&st, 0, sizeof(st));
	int rc = d->test_connection(ctx, &out, &st);
	is_int(rc, 0, "test-connection passes against the simulator");
	struct json_object *o = out ? json_tokener_parse(out) : NULL;
	struct json_object *checks = jget(o, "checks");
	int n = checks ? (int)json_object_array_length(checks) : 0, good = 0;
	bool auth = false, perm = false, clock = false;
	for (int i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(checks, i);
		if (json_object_get_boolean(jget(c, "ok")))
			good++;
		else
			diag("  failed check %s: %s", js(c, "name"), js(c, "detail"));
		auth |= strcmp(js(c, "name"), "authentication") == 0;
		perm |= strcmp(js(c, "name"), "permission:returnAuthorization") == 0;
		clock |= strcmp(js(c, "name"), "clock") == 0;
	}
	ok(n >= 10 && good == n, "%d of %d checks passed", good, n);
	ok(auth && perm, "authentication and per-record permission checks present");
	if (!clock)
		diag("no clock check: the simulator sent no Date header");
	ok(!strstr(out ? out : "", "bh-sim-token-secret") && !strstr(out ? out : "", "bh-sim-consumer-secret"),
	   "no secret in the checks");
	json_object_put(o);
	free(out);
	out = NULL;

	d = bh_test_cap(&te, "ns-bad", BH_CAP_DIAG, &ctx);
	rc = d->test_connection(ctx, &out, &st);
	is_int(rc, BH_EAUTH, "wrong token secret: test-connection says BH_EAUTH");
	o = out ? json_tokener_parse(out) : NULL;
	checks = jget(o, "checks");
	bool auth_failed = false, reachable = false;
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		struct json_object *c = json_object_array_get_idx(checks, i);
		if (strcmp(js(c, "name"), "authentication") == 0 &&
		    !json_object_get_boolean(jget(c, "ok")))
			auth_failed = true;
		if (strcmp(js(c, "name"), "reachable") == 0 && json_object_get_boolean(jget(c, "ok")))
			reachable = true;
	}
	ok(reachable && auth_failed, "reachable but authentication failed, with a detail");
	ok(!strstr(out ? out : "", "wrong-secret"), "the wrong secret is not echoed");
	json_object_put(o);
	free(out);

	/* the account's clock 7 minutes ahead: TBA refuses our timestamps */
	json_object_put(ctl("POST", "/control/netsuite/clock", "{\"offset_ms\":420000}", NULL));
	d = bh_test_cap(&te, "ns", BH_CAP_DIAG, &ctx);
	out = NULL;
	rc = d->test_connection(ctx, &out, &st);
	is_int(rc, BH_EAUTH, "clock 7 minutes off: BH_EAUTH");
	ok(out && strstr(out, "\"authentication\"") && strstr(st.message, "clock"),
	   "the authentication check names the clock as a cause (%s)", st.message);
	free(out);
	json_object_put(ctl("POST", "/control/netsuite/clock", "{\"offset_ms\":0}", NULL));

	/* a role without customer refunds */
	long s;
	json_object_put(ctl("POST", "/control/netsuite/accounts",
			    "{\"account\":\"1234567_SB1\",\"consumer_key\":\"bh-sim-consumer-key\","
			    "\"consumer_secret\":\"bh-sim-consumer-secret\",\"token_id\":\"bh-sim-token-id\","
			    "\"token_secret\":\"bh-sim-token-secret\",\"deny\":[\"customerRefund\"]}",
			    &s));
	d = bh_test_cap(&te, "ns", BH_CAP_DIAG, &ctx);
	out = NULL;
	rc = d->test_connection(ctx, &out, &st);
	is_int(rc, BH_EAUTH, "a role without customerRefund: BH_EAUTH");
	ok(out && strstr(out, "permission:customerRefund") && strstr(st.message, "customerRefund"),
	   "the failing permission is named (%s)", st.message);
	free(out);
	json_object_put(ctl("POST", "/control/netsuite/accounts",
			    "{\"account\":\"1234567_SB1\",\"consumer_key\":\"bh-sim-consumer-key\","
			    "\"consumer_secret\":\"bh-sim-consumer-secret\",\"token_id\":\"bh-sim-token-id\","
			    "\"token_secret\":\"bh-sim-token-secret\",\"deny\":[]}",
			    &s));
}

static void test_customer_and_order(void)
{
	struct json_object *out = NULL, *out2 = NULL;
	struct bh_status st;
	const char *cust = "{\"external_id\":\"shopify-customer-7000000000000001\","
			   "\"email\":\"a@example.com\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}";

	is_int(op(erp->upsert_customer, ns, cust, &out, &st), 0, "upsert_customer");
	ok(json_object_get_boolean(jget(out, "created")), "customer created");
	is_str(js(out, "type"), "customer", "answer type customer");
	is_int(op(erp->upsert_customer, ns, cust, &out2, &st), 0, "upsert_customer again");
	ok(!json_object_get_boolean(jget(out2, "created")), "replay: created false");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "replay: same internal id");
	json_object_put(out2);
	is_int(op(erp->upsert_customer, ns,
		  "{\"external_id\":\"shopify-customer-7000000000000001\",\"email\":\"b@example.com\","
		  "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}", &out2, &st),
	       0, "upsert_customer with a new e-mail");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "update keeps the customer");
	json_object_put(out2);
	json_object_put(out);

	/* unknown SKU: nothing written */
	const char *bad = "{\"external_id\":\"shopify-order-5210398573245212999\","
			  "\"customer_external_id\":\"shopify-customer-7000000000000001\","
			  "\"storefront_order_id\":\"5210398573245212999\",\"name\":\"#1999\","
			  "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
			  "\"amount\":\"40.00\",\"tax\":\"3.20\"},{\"sku\":\"NO-SUCH-SKU\",\"quantity\":1,"
			  "\"rate\":\"1.00\",\"amount\":\"1.00\",\"tax\":\"0.00\"}]}";
	is_int(op(erp->upsert_sales_order, ns, bad, NULL, &st), BH_EREJECT,
	       "sales order with an unknown SKU: BH_EREJECT");
	is_str(st.code, "UNKNOWN_SKU", "code UNKNOWN_SKU");
	ok(strstr(st.message, "NO-SUCH-SKU") && strstr(st.message, "itemId"),
	   "the message names the SKU and the field: %s", st.message);
	is_int(count_records("salesOrder", "shopify-order-5210398573245212999"), 0,
	       "nothing was written");

	/* customer that does not exist */
	is_int(op(erp->upsert_sales_order, ns,
		  "{\"external_id\":\"shopify-order-1\",\"customer_external_id\":\"shopify-customer-404\","
		  "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\"}]}", NULL, &st),
	       BH_ENOENT, "order of an unknown customer: BH_ENOENT");

	/* normal + replay */
	const char *order =
		"{\"external_id\":\"shopify-order-5210398573245212345\","
		"\"customer_external_id\":\"shopify-customer-7000000000000001\","
		"\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1001\","
		"\"date\":\"2026-11-01T10:00:00Z\",\"currency\":\"USD\","
		"\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\","
		"\"discount\":\"0.00\",\"tax\":\"3.20\"}],\"shipping\":{\"amount\":\"5.00\",\"tax\":\"0.00\"},"
		"\"discount\":\"0.00\",\"tax\":\"3.20\",\"total\":\"48.20\","
		"\"tenders\":[{\"kind\":\"card\",\"amount\":\"48.20\"}],\"exchange_of\":null,"
		"\"memo\":\"Shopify order #1001\"}";
	is_int(op(erp->upsert_sales_order, ns, order, &out, &st), 0, "upsert_sales_order");
	ok(json_object_get_boolean(jget(out, "created")), "order created");
	is_str(js(out, "type"), "sales_order", "answer type sales_order");
	is_int(op(erp->upsert_sales_order, ns, order, &out2, &st), 0, "upsert_sales_order again");
	ok(!json_object_get_boolean(jget(out2, "created")), "replay: created false");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "replay: same order");
	is_int(count_records("salesOrder", "shopify-order-5210398573245212345"), 1,
	       "exactly one sales order");
	json_object_put(out2);

	/* find */
	is_int(op(erp->find_sales_order, ns, "{\"external_id\":\"shopify-order-5210398573245212345\"}",
		  &out2, &st), 0, "find_sales_order by external id");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "found the order");
	is_str(js(out2, "lines.0.sku"), "TEE-BLK-M", "line SKU read back through the item");
	is_str(js(out2, "lines.0.amount"), "40.00", "line amount exact");
	is_str(js(out2, "lines.0.tax"), "3.20", "line tax exact");
	is_str(js(out2, "shipping.amount"), "5.00", "shipping");
	is_str(js(out2, "storefront_order_id"), "5210398573245212345",
	       "Shopify order id (beyond 2^53) kept exact");
	is_str(js(out2, "total"), "48.20", "total");
	json_object_put(out2);
	is_int(op(erp->find_sales_order, ns, "{\"shopify_order_id\":\"5210398573245212345\"}", &out2,
		  &st), 0, "find_sales_order by Shopify order id (SuiteQL ?limit=&offset= signed)");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "same order by Shopify id");
	json_object_put(out2);
	is_int(op(erp->find_sales_order, ns, "{\"shopify_order_id\":\"1\"}", NULL, &st), BH_ENOENT,
	       "unknown Shopify order: BH_ENOENT");
	is_int(op(erp->find_sales_order, ns, "{\"external_id\":\"shopify-order-404\"}", NULL, &st),
	       BH_ENOENT, "unknown external id: BH_ENOENT");
	json_object_put(out);
}

/* S1: full refund to the card, through the erp operations; GL from the sim. */
static void test_s1(void)
{
	struct json_object *out = NULL, *out2 = NULL;
	struct bh_status st;
	char so[32];

	make_order("5210398573245210001",
		   "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\","
		   "\"tax\":\"3.20\"}]", "5.00", so, sizeof(so));
	fulfil_and_bill(so);

	const char *ra = "{\"external_id\":\"loop-ra-6042537\","
			 "\"sales_order\":{\"external_id\":\"shopify-order-5210398573245210001\"},"
			 "\"return_id\":\"6042537\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,"
			 "\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],"
			 "\"memo\":\"Loop return 6042537\"}";
	is_int(op(erp->create_return_authorization, ns, ra, &out, &st), 0, "S1: RA created");
	ok(json_object_get_boolean(jget(out, "created")), "S1: created true");
	is_str(js(out, "type"), "return_authorization", "S1: type return_authorization");
	is_int(op(erp->create_return_authorization, ns, ra, &out2, &st), 0, "S1: RA replay");
	ok(!json_object_get_boolean(jget(out2, "created")), "S1: replay created false");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "S1: replay same RA");
	json_object_put(out2);
	char ra_id[32];
	snprintf(ra_id, sizeof(ra_id), "%s", js(out, "internal_id") ? js(out, "internal_id") : "");
	json_object_put(out);

	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-6042537\"}", &out,
		  &st), 0, "S1: get RA by external id");
	is_str(js(out, "internal_id"), ra_id, "S1: same RA");
	is_str(js(out, "status"), "pending_receipt", "S1: pending receipt");
	is_str(js(out, "return_id"), "6042537", "S1: return id from the external id");
	is_str(js(out, "sales_order.internal_id"), so, "S1: created from the order");
	is_str(js(out, "lines.0.sku"), "TEE-BLK-M", "S1: line SKU");
	is_int(json_object_get_int(jget(out, "lines.0.quantity")), 1, "S1: line quantity");
	is_str(js(out, "total"), "43.20", "S1: RA total 43.20");
	ok(!json_object_get_boolean(jget(out, "flag")), "S1: not flagged");
	json_object_put(out);
	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-404\"}", NULL, &st),
	       BH_ENOENT, "get RA: unknown -> BH_ENOENT");
	is_int(op(erp->get_return_authorization, ns, "{\"internal_id\":\"999999\"}", NULL, &st),
	       BH_ENOENT, "get RA: unknown internal id -> BH_ENOENT");

	const char *ir = "{\"external_id\":\"loop-ir-6042537\",\"ra\":{\"external_id\":\"loop-ra-6042537\"},"
			 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"restock\":true}]}";
	is_int(op(erp->create_item_receipt, ns, ir, &out, &st), 0, "S1: item receipt");
	ok(json_object_get_boolean(jget(out, "created")), "S1: receipt created");
	is_str(js(out, "type"), "item_receipt", "S1: type item_receipt");
	is_int(op(erp->create_item_receipt, ns, ir, &out2, &st), 0, "S1: receipt replay");
	ok(!json_object_get_boolean(jget(out2, "created")), "S1: receipt replay created false");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "S1: same receipt");
	json_object_put(out);
	json_object_put(out2);

	char doc[1024];
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cr-6042537\",\"document\":\"cash_refund\","
		 "\"ra\":{\"internal_id\":\"%s\"},\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,"
			 "\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],"
			 "\"bonus\":null,\"customer_refund\":null}",
		 ra_id);
	is_int(op(erp->create_refund, ns, doc, &out, &st), 0, "S1: cash refund");
	ok(json_object_get_boolean(jget(out, "created")), "S1: refund created");
	is_str(js(out, "type"), "cash_refund", "S1: type cash_refund");
	is_int(op(erp->create_refund, ns, doc, &out2, &st), 0, "S1: refund replay");
	ok(!json_object_get_boolean(jget(out2, "created")), "S1: refund replay created false");
	is_str(js(out2, "internal_id"), js(out, "internal_id"), "S1: same refund");
	json_object_put(out);
	json_object_put(out2);

	is_int(count_records("returnAuthorization", "loop-ra-6042537"), 1, "S1: exactly one RA");
	is_int(count_records("itemReceipt", "loop-ir-6042537"), 1, "S1: exactly one receipt");
	is_int(count_records("cashRefund", "loop-cr-6042537"), 1, "S1: exactly one cash refund");

	struct json_object *chain =
		ctl("GET", "/control/netsuite/gl/order?shopify_order_id=5210398573245210001", NULL, NULL);
	is_int(gl(chain, "cashRefund", "Sales Returns"), 4000, "S1 GL: Dr Sales Returns 40.00");
	is_int(gl(chain, "cashRefund", "Sales Tax Payable"), 320, "S1 GL: Dr Sales Tax Payable 3.20");
	is_int(gl(chain, "cashRefund", "Payment Clearing"), -4320, "S1 GL: Cr Payment Clearing 43.20");
	is_int(gl(chain, "itemReceipt", "Inventory"), 1500, "S1 GL: Dr Inventory 15.00");
	is_int(gl(chain, "itemReceipt", "Cost of Goods Sold"), -1500, "S1 GL: Cr COGS 15.00");
	is_int(gl(chain, "returnAuthorization", "Sales Returns"), 0, "S1 GL: the RA does not post");
	ok(json_object_get_boolean(jget(chain, "balanced")), "S1 GL: balanced");
	json_object_put(chain);

	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-6042537\"}", &out,
		  &st), 0, "S1: RA read at the end");
	is_str(js(out, "status"), "refunded", "S1: RA refunded");
	is_int(json_object_get_int(jget(out, "lines.0.quantity_received")), 1, "S1: received 1");
	is_int(json_object_get_int(jget(out, "lines.0.quantity_billed")), 1, "S1: refunded 1");
	json_object_put(out);

	/* an RA for an order that is not in NetSuite yet (S15 waits and retries) */
	is_int(op(erp->create_return_authorization, ns,
		  "{\"external_id\":\"loop-ra-15\",\"sales_order\":{\"external_id\":\"shopify-order-15\"},"
		  "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"tax\":\"0.96\"}]}",
		  NULL, &st), BH_ENOENT, "RA before its order: BH_ENOENT (the flow retries)");
	/* a receipt on an unknown RA */
	is_int(op(erp->create_item_receipt, ns,
		  "{\"external_id\":\"loop-ir-404\",\"ra\":{\"external_id\":\"loop-ra-404\"},"
		  "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1}]}", NULL, &st),
	       BH_ENOENT, "receipt on an unknown RA: BH_ENOENT");
}

/* S14: unknown SKU on an RA writes nothing; after the item exists the replay succeeds. */
static void test_s14(void)
{
	struct bh_status st;
	struct json_object *out = NULL;
	char so[32];
	long s;
	make_order("5210398573245210014",
		   "[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"amount\":\"12.00\",\"tax\":\"0.96\"}]",
		   "0.00", so, sizeof(so));
	char doc[1024];
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-14\",\"sales_order\":{\"internal_id\":\"%s\"},"
			 "\"return_id\":\"14\",\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\","
			 "\"amount\":\"12.00\",\"tax\":\"0.96\"}],\"adjustments\":[{\"kind\":\"fee\","
			 "\"item\":\"HANDLING-FEE-NEW\",\"amount\":\"-2.00\",\"memo\":\"fee\"}]}",
		 so);
	is_int(op(erp->create_return_authorization, ns, doc, NULL, &st), BH_EREJECT,
	       "S14: unknown adjustment item -> BH_EREJECT");
	is_str(st.code, "UNKNOWN_SKU", "S14: UNKNOWN_SKU");
	ok(strstr(st.message, "HANDLING-FEE-NEW") && strstr(st.message, "itemId"),
	   "S14: names the SKU and the field (%s)", st.message);
	is_int(count_records("returnAuthorization", "loop-ra-14"), 0, "S14: no RA written");
	json_object_put(ctl("POST", "/control/netsuite/items",
			    "{\"items\":[{\"sku\":\"HANDLING-FEE-NEW\",\"name\":\"Handling\",\"type\":\"fee\"}]}",
			    &s));
	is_int(op(erp->create_return_authorization, ns, doc, &out, &st), 0,
	       "S14: replay after the item exists succeeds (unknown SKUs are not cached)");
	ok(json_object_get_boolean(jget(out, "created")), "S14: RA created on replay");
	json_object_put(out);
}

/* S3: store credit with a bonus -> credit memo; and a customer refund on a credit memo. */
static void test_s3(void)
{
	struct bh_status st;
	struct json_object *out = NULL;
	char so[32], doc[2048];
	make_order("5210398573245210003",
		   "[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\",\"amount\":\"60.00\",\"tax\":\"4.80\"}]",
		   "0.00", so, sizeof(so));
	fulfil_and_bill(so);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-3\",\"sales_order\":{\"internal_id\":\"%s\"},\"return_id\":\"3\","
		 "\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\",\"amount\":\"60.00\","
		 "\"tax\":\"4.80\"}],\"adjustments\":[{\"kind\":\"store_credit\",\"item\":\"GIFT-CARD\","
		 "\"amount\":\"-64.80\",\"memo\":\"store credit\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, &out, &st), 0, "S3: RA with a gift-card line");
	json_object_put(out);
	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-3\"}", &out, &st), 0,
	       "S3: RA read");
	is_str(js(out, "total"), "0.00", "S3: RA total 0.00");
	is_str(js(out, "lines.1.sku"), "GIFT-CARD", "S3: gift-card line");
	is_str(js(out, "lines.1.amount"), "-64.80", "S3: gift-card line -64.80");
	json_object_put(out);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cm-3\",\"document\":\"credit_memo\",\"ra\":{\"external_id\":\"loop-ra-3\"},"
		 "\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\",\"amount\":\"60.00\","
		 "\"tax\":\"4.80\"}],\"adjustments\":[{\"kind\":\"store_credit\",\"item\":\"GIFT-CARD\","
		 "\"amount\":\"-64.80\",\"memo\":\"store credit\"}],\"bonus\":\"5.00\",\"customer_refund\":null}");
	is_int(op(erp->create_refund, ns, doc, &out, &st), 0, "S3: credit memo with a bonus");
	is_str(js(out, "type"), "credit_memo", "S3: type credit_memo");
	ok(jget(out, "customer_refund") == NULL, "S3: no customer refund");
	json_object_put(out);
	struct json_object *chain =
		ctl("GET", "/control/netsuite/gl/order?shopify_order_id=5210398573245210003", NULL, NULL);
	is_int(gl(chain, "creditMemo", "Sales Returns"), 6000, "S3 GL: Dr Sales Returns 60.00");
	is_int(gl(chain, "creditMemo", "Sales Tax Payable"), 480, "S3 GL: Dr Sales Tax Payable 4.80");
	is_int(gl(chain, "creditMemo", "Return Incentive Expense"), 500,
	       "S3 GL: Dr Return Incentive Expense 5.00 (bonus)");
	is_int(gl(chain, "creditMemo", "Gift Card Liability"), -6980,
	       "S3 GL: Cr Gift Card Liability 64.80 + 5.00");
	is_int(gl(chain, "creditMemo", "Accounts Receivable"), 0, "S3 GL: no cash, no receivable");
	ok(json_object_get_boolean(jget(chain, "balanced")), "S3 GL: balanced");
	json_object_put(chain);

	/* credit memo refunded to the customer (customer refund applying it) */
	make_order("5210398573245210033",
		   "[{\"sku\":\"MUG\",\"quantity\":2,\"rate\":\"12.00\",\"amount\":\"24.00\",\"tax\":\"1.92\"}]",
		   "0.00", so, sizeof(so));
	fulfil_and_bill(so);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-33\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"amount\":\"12.00\","
		 "\"tax\":\"0.96\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, NULL, &st), 0, "RA for a credit memo");
	const char *cm = "{\"external_id\":\"loop-cm-33\",\"document\":\"credit_memo\","
			 "\"ra\":{\"external_id\":\"loop-ra-33\"},\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,"
			 "\"rate\":\"12.00\",\"amount\":\"12.00\",\"tax\":\"0.96\"}],\"adjustments\":[],"
			 "\"bonus\":null,\"customer_refund\":{\"external_id\":\"loop-crf-33\",\"amount\":\"12.96\"}}";
	is_int(op(erp->create_refund, ns, cm, &out, &st), 0, "credit memo with a customer refund");
	ok(json_object_get_boolean(jget(out, "customer_refund.created")), "customer refund created");
	is_str(js(out, "customer_refund.type"), "customer_refund", "type customer_refund");
	json_object_put(out);
	is_int(op(erp->create_refund, ns, cm, &out, &st), 0, "credit memo + customer refund replay");
	ok(!json_object_get_boolean(jget(out, "created")) &&
	   !json_object_get_boolean(jget(out, "customer_refund.created")), "replay: nothing created");
	json_object_put(out);
	is_int(count_records("customerRefund", "loop-crf-33"), 1, "exactly one customer refund");
	/* a customer refund of part of the credit */
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-34\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"amount\":\"12.00\","
		 "\"tax\":\"0.96\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, NULL, &st), 0, "RA for a partial refund");
	is_int(op(erp->create_refund, ns,
		  "{\"external_id\":\"loop-cm-34\",\"document\":\"credit_memo\","
		  "\"ra\":{\"external_id\":\"loop-ra-34\"},\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,"
		  "\"rate\":\"12.00\",\"amount\":\"12.00\",\"tax\":\"0.96\"}],"
		  "\"customer_refund\":{\"external_id\":\"loop-crf-34\",\"amount\":\"10.00\"}}",
		  &out, &st), 0, "credit memo with a customer refund of 10.00 of 12.96");
	json_object_put(out);
	chain = ctl("GET", "/control/netsuite/gl/order?shopify_order_id=5210398573245210033", NULL, NULL);
	is_int(gl(chain, "customerRefund", "Payment Clearing"), -1296 - 1000,
	       "customer refunds: Cr Payment Clearing 12.96 + 10.00");
	is_int(gl(chain, "creditMemo", "Accounts Receivable") + gl(chain, "customerRefund",
								    "Accounts Receivable"),
	       -296, "credit memos and customer refunds: 2.96 of credit left on AR");
	json_object_put(chain);
}

/* S8 (close an RA), the change feeds (changes), S10 flags, S11 warehouse receipt. */
static char closed_ra[32], flagged_ra[32], warehouse_ir[32];

static void test_close_and_feeds(void)
{
	struct bh_status st;
	struct json_object *out = NULL;
	char so[32], doc[1024];
	make_order("5210398573245210008",
		   "[{\"sku\":\"MUG\",\"quantity\":3,\"rate\":\"10.80\",\"amount\":\"32.40\",\"tax\":\"2.58\"}]",
		   "0.00", so, sizeof(so));
	fulfil_and_bill(so);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-8\",\"sales_order\":{\"internal_id\":\"%s\"},\"return_id\":\"8\","
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":2,\"rate\":\"10.80\",\"amount\":\"21.60\","
		 "\"tax\":\"1.72\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, &out, &st), 0, "S2/S8: RA for 2 of 3");
	snprintf(closed_ra, sizeof(closed_ra), "%s", js(out, "internal_id") ? js(out, "internal_id") : "");
	json_object_put(out);
	/* S2: a later return of 2 more units is refused (only 1 left) */
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-82\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":2,\"rate\":\"10.80\",\"amount\":\"21.60\","
		 "\"tax\":\"1.72\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, NULL, &st), BH_EREJECT,
	       "S2: over-return refused (BH_EREJECT)");
	ok(st.message[0] != '\0', "S2: NetSuite's reason kept: %s", st.message);
	is_int(count_records("returnAuthorization", "loop-ra-82"), 0, "S2: no second RA");

	is_int(op(erp->close_return_authorization, ns, "{\"external_id\":\"loop-ra-8\"}", &out, &st), 0,
	       "S8: close the RA");
	ok(json_object_get_boolean(jget(out, "changed")), "S8: lines closed now");
	is_str(js(out, "status"), "closed", "S8: status closed");
	ok(json_object_get_boolean(jget(out, "lines.0.closed")), "S8: line closed");
	json_object_put(out);
	snprintf(doc, sizeof(doc), "{\"internal_id\":\"%s\"}", closed_ra);
	is_int(op(erp->close_return_authorization, ns, doc, &out, &st), 0,
	       "S8: closing a closed RA succeeds");
	ok(!json_object_get_boolean(jget(out, "changed")), "S8: nothing changed the second time");
	json_object_put(out);
	is_int(op(erp->close_return_authorization, ns, "{\"external_id\":\"loop-ra-404\"}", NULL, &st),
	       BH_ENOENT, "close: unknown RA -> BH_ENOENT");

	/* S11: the warehouse receives in NetSuite (a receipt without our external id) */
	make_order("5210398573245210011",
		   "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}]",
		   "0.00", so, sizeof(so));
	fulfil_and_bill(so);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-11\",\"sales_order\":{\"internal_id\":\"%s\"},\"return_id\":\"11\","
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\","
		 "\"tax\":\"3.20\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, &out, &st), 0, "S11: RA");
	char path[128], ra11[32];
	snprintf(ra11, sizeof(ra11), "%s", js(out, "internal_id") ? js(out, "internal_id") : "");
	json_object_put(out);
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/receive", ra11);
	long s;
	out = ctl("POST", path, "{\"restock\":true}", &s);
	ok(s == 200, "S11: warehouse receipt in NetSuite");
	snprintf(warehouse_ir, sizeof(warehouse_ir), "%s", js(out, "internal_id") ? js(out, "internal_id") : "");
	json_object_put(out);

	/* S10: flag an RA */
	snprintf(flagged_ra, sizeof(flagged_ra), "%s", ra11);
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/flag", flagged_ra);
	json_object_put(ctl("POST", path, "{\"value\":true}", &s));
	ok(s == 200, "S10: RA flagged in NetSuite");
	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-11\"}", &out, &st), 0,
	       "S10: RA read");
	ok(json_object_get_boolean(jget(out, "flag")), "S10: get shows the flag");
	json_object_put(out);

	/* feeds */
	struct json_object *recs;
	bool ours = false, warehouse = false;
	is_int(feed("item_receipts", NULL, &out, &st), 0, "changes item_receipts");
	recs = jget(out, "records");
	for (size_t i = 0; recs && i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);
		if (js(r, "external_id") && strcmp(js(r, "external_id"), "loop-ir-6042537") == 0) {
			ours = strcmp(js(r, "schema"), "erp-receipt/1") == 0 &&
			       strcmp(js(r, "ra.external_id"), "loop-ra-6042537") == 0 &&
			       strcmp(js(r, "return_id"), "6042537") == 0 &&
			       strcmp(js(r, "lines.0.sku"), "TEE-BLK-M") == 0 &&
			       json_object_get_int(jget(r, "lines.0.quantity")) == 1 &&
			       json_object_get_boolean(jget(r, "lines.0.restock")) && js(r, "created_at");
		}
		if (strcmp(js(r, "internal_id"), warehouse_ir) == 0)
			warehouse = !js(r, "external_id") && strcmp(js(r, "return_id"), "11") == 0;
	}
	ok(ours, "item_receipts: our receipt with RA, return id and lines");
	ok(warehouse, "item_receipts: the warehouse receipt, without an external id (S11)");
	ok(js(out, "next_cursor") && !json_object_get_boolean(jget(out, "more")), "one page, a cursor");
	char cursor[256];
	snprintf(cursor, sizeof(cursor), "%s", js(out, "next_cursor") ? js(out, "next_cursor") : "");
	json_object_put(out);
	is_int(feed("item_receipts", cursor, &out, &st), 0, "changes from the cursor");
	ok(jget(out, "records") != NULL, "changes from the cursor answered (%zu records re-read in "
	   "the overlap)", json_object_array_length(jget(out, "records")));
	json_object_put(out);

	is_int(feed("ra_closed", NULL, &out, &st), 0, "changes ra_closed");
	recs = jget(out, "records");
	bool closed = false;
	for (size_t i = 0; recs && i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);
		if (strcmp(js(r, "internal_id"), closed_ra) == 0)
			closed = strcmp(js(r, "status"), "closed") == 0 &&
				 strcmp(js(r, "schema"), "erp-ra/1") == 0 &&
				 strcmp(js(r, "return_id"), "8") == 0 && js(r, "last_modified");
	}
	ok(closed, "ra_closed: the closed RA with status closed");
	json_object_put(out);

	is_int(feed("ra_flags", NULL, &out, &st), 0,
	       "changes ra_flags (SuiteQL with signed ?limit=&offset=)");
	recs = jget(out, "records");
	ok(recs && json_object_array_length(recs) == 1 &&
	   strcmp(js(out, "records.0.internal_id"), flagged_ra) == 0 &&
	   json_object_get_boolean(jget(out, "records.0.flag")),
	   "ra_flags: exactly the flagged RA");
	json_object_put(out);
	is_int(feed("nothing", NULL, NULL, &st), BH_EREJECT, "unknown feed refused");
}

static void test_source(void)
{
	ok(sync_source("ns"), "source polled");
	char key[128];
	snprintf(key, sizeof(key), "receipt:%s ", warehouse_ir);
	ok(wait_sink(key, 1), "erp.receipt.created for the warehouse receipt delivered");
	snprintf(key, sizeof(key), "ra-closed:%s:closed ", closed_ra);
	ok(wait_sink(key, 1), "erp.ra.closed delivered");
	snprintf(key, sizeof(key), "ra-flag:%s:", flagged_ra);
	ok(wait_sink(key, 1), "erp.ra.flagged delivered");
	ok(sync_source("ns"), "source polled again");
	ok(wait_sink(key, 2), "S10: the flag is re-emitted every cycle while set");
	snprintf(key, sizeof(key), "receipt:%s ", warehouse_ir);
	is_int(sink_has(key), 1, "a receipt is delivered once (idempotency key)");

	/* clear the flag: no more flag records */
	char path[128];
	long s;
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/flag", flagged_ra);
	json_object_put(ctl("POST", path, "{\"value\":false}", &s));
	ok(sync_source("ns"), "source polled after the flag was cleared");
	snprintf(key, sizeof(key), "ra-flag:%s:", flagged_ra);
	is_int(sink_has(key), 2, "S10: cleared flag is not re-emitted");
}

static void test_faults(void)
{
	struct bh_status st;

	add_fault("{\"service\":\"netsuite\",\"operation\":\"suiteql\",\"rate_429\":1.0}");
	is_int(op(erp->find_sales_order, ns, "{\"shopify_order_id\":\"5210398573245212345\"}", NULL, &st),
	       BH_ERETRY, "429 CONCURRENCY_LIMIT_EXCEEDED -> BH_ERETRY");
	is_str(st.code, "CONCURRENCY_LIMIT_EXCEEDED", "code CONCURRENCY_LIMIT_EXCEEDED");
	is_int(st.http_status, 429, "HTTP 429 in bh_status");
	clear_faults();

	add_fault("{\"service\":\"netsuite\",\"operation\":\"rest:record\",\"rate_5xx\":1.0}");
	is_int(op(erp->get_return_authorization, ns, "{\"external_id\":\"loop-ra-6042537\"}", NULL, &st),
	       BH_ERETRY, "500 UNEXPECTED_ERROR -> BH_ERETRY");
	is_str(st.code, "UNEXPECTED_ERROR", "code UNEXPECTED_ERROR");
	is_int(op(erp->create_item_receipt, ns,
		  "{\"external_id\":\"loop-ir-5xx\",\"ra\":{\"external_id\":\"loop-ra-6042537\"},"
		  "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]}", NULL, &st),
	       BH_ERETRY, "a write during 5xx -> BH_ERETRY");
	clear_faults();

	int64_t t0 = tap_mono_ms();
	add_fault("{\"service\":\"netsuite\",\"operation\":\"rest:record\",\"rate_timeout\":1.0,"
		  "\"timeout_ms\":3000}");
	is_int(op(erp->get_return_authorization, ns_fast, "{\"external_id\":\"loop-ra-6042537\"}", NULL,
		  &st), BH_ERETRY, "timeout -> BH_ERETRY");
	is_str(st.code, "TIMEOUT", "code TIMEOUT");
	ok(tap_mono_ms() - t0 < 2900, "the client's 1 s timeout applied (%lld ms)",
	   (long long)(tap_mono_ms() - t0));
	clear_faults();

	/* the retrying instance rides out a short burst */
	add_fault("{\"service\":\"netsuite\",\"operation\":\"rest:record\",\"rate_429\":1.0,\"count\":2}");
	is_int(op(erp->get_return_authorization, ns_retry, "{\"external_id\":\"loop-ra-6042537\"}", NULL,
		  &st), 0, "retries = 2: two 429s, then success (fresh nonce each attempt)");
	clear_faults();
	add_fault("{\"service\":\"netsuite\",\"operation\":\"rest:record\",\"rate_5xx\":1.0,\"count\":1}");
	is_int(op(erp->get_return_authorization, ns_retry, "{\"external_id\":\"loop-ra-6042537\"}", NULL,
		  &st), 0, "retries = 2: a read after a 5xx is re-sent");
	clear_faults();

	/* 401 */
	is_int(op(erp->get_return_authorization, ns_bad, "{\"external_id\":\"loop-ra-6042537\"}", NULL,
		  &st), BH_EAUTH, "wrong token secret -> BH_EAUTH");
	is_str(st.code, "INVALID_LOGIN", "code INVALID_LOGIN");
	is_int(st.http_status, 401, "HTTP 401");

	/* a 400 user error carries NetSuite's words */
	is_int(op(erp->create_refund, ns,
		  "{\"external_id\":\"loop-cr-again\",\"document\":\"cash_refund\","
		  "\"ra\":{\"external_id\":\"loop-ra-6042537\"},\"lines\":[{\"sku\":\"TEE-BLK-M\","
		  "\"quantity\":1,\"rate\":\"40.00\",\"tax\":\"3.20\"}]}", NULL, &st),
	       BH_EREJECT, "a second refund of a refunded RA -> BH_EREJECT (400 from NetSuite)");
	ok(st.http_status == 400 && strcmp(st.code, "USER_ERROR") == 0 && st.message[0],
	   "NetSuite's code and detail kept: %s %s", st.code, st.message);
	is_int(count_records("cashRefund", "loop-cr-again"), 0, "nothing written");
	is_int(op(erp->create_refund, ns,
		  "{\"external_id\":\"loop-cr-hoodie\",\"document\":\"cash_refund\","
		  "\"ra\":{\"external_id\":\"loop-ra-11\"},\"lines\":[{\"sku\":\"HOODIE\","
		  "\"quantity\":1,\"rate\":\"60.00\",\"tax\":\"4.80\"}]}", NULL, &st),
	       BH_EREJECT, "refund of a SKU that is not on the RA -> BH_EREJECT");
	ok(strstr(st.message, "HOODIE") != NULL, "the reason names the SKU: %s", st.message);
	is_int(count_records("cashRefund", "loop-cr-hoodie"), 0, "nothing written");
}

/* An order update keeps the order (and its line keys); dry run writes nothing. */
static void test_update_and_dry_run(void)
{
	struct bh_status st;
	struct json_object *out = NULL, *found = NULL;
	char so[32], doc[2048];
	make_order("5210398573245210020",
		   "[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"amount\":\"12.00\",\"tax\":\"0.96\"}]",
		   "0.00", so, sizeof(so));
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-5210398573245210020\","
		 "\"customer_external_id\":\"shopify-customer-5210398573245210020\","
		 "\"storefront_order_id\":\"5210398573245210020\",\"name\":\"#20\","
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":2,\"rate\":\"12.00\",\"amount\":\"24.00\","
		 "\"tax\":\"1.92\"}],\"shipping\":{\"amount\":\"0.00\"}}");
	is_int(op(erp->upsert_sales_order, ns, doc, &out, &st), 0, "order update (quantity 1 -> 2)");
	ok(!json_object_get_boolean(jget(out, "created")), "update: created false");
	is_str(js(out, "internal_id"), so, "update: same order");
	json_object_put(out);
	is_int(op(erp->find_sales_order, ns, "{\"shopify_order_id\":\"5210398573245210020\"}", &found,
		  &st), 0, "updated order read");
	is_int(json_object_get_int(jget(found, "lines.0.quantity")), 2, "update: new quantity");
	is_int(json_object_get_int(jget(found, "lines.0.line")), 1, "update: line key kept");
	is_str(js(found, "lines.0.amount"), "24.00", "update: new amount");
	json_object_put(found);

	te.eng->ec.dry_run = true;
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-20\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"tax\":\"0.96\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, &out, &st), 0, "dry run: RA computed");
	ok(json_object_get_boolean(jget(out, "dry_run")) && !js(out, "internal_id"),
	   "dry run: answer says dry_run, no internal id");
	json_object_put(out);
	te.eng->ec.dry_run = false;
	is_int(count_records("returnAuthorization", "loop-ra-20"), 0, "dry run: nothing written");
}

struct dup_arg {
	const char *doc;
	int rc;
	char id[32];
	struct bh_status st;
};

static void *dup_thread(void *p)
{
	struct dup_arg *a = p;
	struct json_object *out = NULL;
	struct bh_status st;
	char *text = NULL;
	memset(&st, 0, sizeof(st));
	a->rc = erp->create_item_receipt(ns_retry, a->doc, &text, &st);
	a->st = st;
	out = text ? json_tokener_parse(text) : NULL;
	snprintf(a->id, sizeof(a->id), "%s", js(out, "internal_id") ? js(out, "internal_id") : "");
	json_object_put(out);
	free(text);
	return NULL;
}

/* S16: the same receipt delivered several times at once: exactly one in NetSuite. */
static void test_duplicates(void)
{
	struct bh_status st;
	char so[32], doc[1024];
	make_order("5210398573245210016",
		   "[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"amount\":\"12.00\",\"tax\":\"0.96\"}]",
		   "0.00", so, sizeof(so));
	fulfil_and_bill(so);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-16\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\",\"tax\":\"0.96\"}]}", so);
	is_int(op(erp->create_return_authorization, ns, doc, NULL, &st), 0, "S16: RA");
	const char *ir = "{\"external_id\":\"loop-ir-16\",\"ra\":{\"external_id\":\"loop-ra-16\"},"
			 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"restock\":true}]}";
	struct dup_arg a[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct dup_arg){.doc = ir};
		pthread_create(&t[i], NULL, dup_thread, &a[i]);
	}
	int good = 0;
	bool same = true;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		good += a[i].rc == 0;
		same &= strcmp(a[i].id, a[0].id) == 0;
		if (a[i].rc != 0)
			diag("  delivery %d: rc %d %s %s", i, a[i].rc, a[i].st.code, a[i].st.message);
	}
	is_int(good, 4, "S16: four concurrent deliveries all succeed");
	ok(same && a[0].id[0], "S16: all answer the same receipt (%s)", a[0].id);
	is_int(count_records("itemReceipt", "loop-ir-16"), 1, "S16: exactly one receipt");
}

struct cap_arg {
	int fails;
};

static void *cap_thread(void *p)
{
	struct cap_arg *a = p;
	for (int i = 0; i < 6; i++) {
		char *text = NULL;
		struct bh_status st;
		memset(&st, 0, sizeof(st));
		if (erp->get_return_authorization(ns_cap, "{\"external_id\":\"loop-ra-6042537\"}", &text,
						  &st) != 0)
			a->fails++;
		free(text);
	}
	return NULL;
}

static void test_cap(void)
{
	long s;
	/* the account allows 2 requests at once; ns-cap sends at most 2 */
	json_object_put(ctl("POST", "/control/netsuite/concurrency", "{\"limit\":2,\"held\":0}", &s));
	add_fault("{\"service\":\"netsuite\",\"operation\":\"*\",\"latency_ms\":20}");
	struct cap_arg a[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		a[i].fails = 0;
		pthread_create(&t[i], NULL, cap_thread, &a[i]);
	}
	int fails = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		fails += a[i].fails;
	}
	is_int(fails, 0, "max_requests = 2 under a limit of 2: 36 reads from 6 threads, no 429");
	clear_faults();
	json_object_put(ctl("POST", "/control/netsuite/concurrency", "{\"limit\":5,\"held\":0}", &s));
}

int main(void)
{
	if (!getenv("BH_TOP_BUILDDIR") || !getenv("BH_PLUGIN_PATH"))
		skip_all("BH_TOP_BUILDDIR / BH_PLUGIN_PATH not set (run through make check)");
	if (bh_test_sim_start(&sim, "") != 0)
		skip_all("backhaul-sim did not start");
	setenv("BH_NSR_TEST_CS", "bh-sim-consumer-secret", 1);
	setenv("BH_NSR_TEST_TS", "bh-sim-token-secret", 1);
	setenv("BH_NSR_TEST_BAD", "wrong-secret", 1);
	char dir[] = "/tmp/bh-nsr-XXXXXX";
	if (!mkdtemp(dir))
		skip_all("no temp dir");
	snprintf(sink_path, sizeof(sink_path), "%s/sink.out", dir);

	static const char tmpl[] =
		"[endpoint %s]\nplugin = netsuite-rest\naccount = 1234567_SB1\n"
		"consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_NSR_TEST_CS\n"
		"token_id = bh-sim-token-id\ntoken_secret_env = %s\n"
		"base_url = http://127.0.0.1:%d/\n%s\n\n";
	char conf[10240];
	size_t n = 0;
	n += (size_t)snprintf(conf + n, sizeof(conf) - n, tmpl, "ns", "BH_NSR_TEST_TS", sim.netsuite,
			      "timeout = 10s\nretries = 0\npoll_interval = 1h");
	n += (size_t)snprintf(conf + n, sizeof(conf) - n, tmpl, "ns-retry", "BH_NSR_TEST_TS",
			      sim.netsuite, "timeout = 10s\nretries = 2\nretry_backoff = 10ms\npoll = false");
	n += (size_t)snprintf(conf + n, sizeof(conf) - n, tmpl, "ns-bad", "BH_NSR_TEST_BAD",
			      sim.netsuite, "retries = 0\npoll = false");
	n += (size_t)snprintf(conf + n, sizeof(conf) - n, tmpl, "ns-cap", "BH_NSR_TEST_TS", sim.netsuite,
			      "max_requests = 2\nretries = 0\npoll = false");
	n += (size_t)snprintf(conf + n, sizeof(conf) - n, tmpl, "ns-fast", "BH_NSR_TEST_TS",
			      sim.netsuite, "timeout = 1s\nretries = 0\npoll = false");
	snprintf(conf + n, sizeof(conf) - n,
		 "[flow sink]\nplugin = mock-sink\nsubscribe = erp.*\nout_file = %s\n", sink_path);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine started with five netsuite-rest instances");
	if (rc != 0) {
		bh_test_sim_stop(&sim);
		return done_testing();
	}
	erp = bh_test_cap(&te, "ns", BH_CAP_ERP, &ns);
	bh_test_cap(&te, "ns-retry", BH_CAP_ERP, &ns_retry);
	bh_test_cap(&te, "ns-bad", BH_CAP_ERP, &ns_bad);
	bh_test_cap(&te, "ns-cap", BH_CAP_ERP, &ns_cap);
	bh_test_cap(&te, "ns-fast", BH_CAP_ERP, &ns_fast);
	ok(erp && erp->size == sizeof(struct bh_erp_ops) && ns && ns_retry && ns_bad && ns_cap &&
	   ns_fast,
	   "erp capability of every instance");
	if (!erp) {
		bh_test_engine_stop(&te);
		bh_test_sim_stop(&sim);
		return done_testing();
	}

	/* an account id in the wrong form is refused at configure time */
	struct bh_test_engine te2;
	char conf2[1024];
	snprintf(conf2, sizeof(conf2), tmpl, "nsx", "BH_NSR_TEST_TS", sim.netsuite, "poll = false");
	char *lower = strstr(conf2, "1234567_SB1");
	if (lower)
		memcpy(lower, "1234567_sb1", 11);
	void *xctx = NULL;
	rc = bh_test_engine_start(conf2, &te2);
	ok(rc != 0 || !bh_test_cap(&te2, "nsx", BH_CAP_ERP, &xctx),
	   "account 1234567_sb1 (lower case) is refused at configure time");
	bh_test_engine_stop(&te2);

	test_items();
	test_diagnostics();
	test_customer_and_order();
	test_s1();
	test_s14();
	test_s3();
	test_close_and_feeds();
	test_source();
	test_faults();
	test_update_and_dry_run();
	test_duplicates();
	test_cap();

	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
