/*
 * tests/sim/shopify.c - TAP tests of the Shopify simulator's REST API, auth, tokens,
 * rate limits, control API, webhooks and fault shapes (GraphQL: tests/sim/shopify_gql.c).
 *
 * The service is driven through its handle/control functions with constructed
 * bh_sim_req values. Webhook deliveries go over loopback HTTP to a receiver served by
 * the framework (bh_sim_http_start on 127.0.0.1:0); their HMAC is recomputed here with
 * OpenSSL directly. Reference fixtures are read in place (tap_shared_dir()); the fixture
 * tests are skipped when the folder is absent. The service clock is frozen where time
 * matters (no sleeps; asynchronous deliveries are polled with a deadline).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "shopify_util.h"
#include "sim_shopify.h"

#define SECRET "whsec-shopify-test"
#define BIG_ID "9007199254740993"

/* ------------------------------------------------------------------ fixtures */

/* Every leaf of `want` must be present in `got` with the same JSON text. */
static void tree_cmp(struct json_object *want, struct json_object *got, char *path, size_t plen,
		     int *bad)
{
	size_t used = strlen(path);
	if (!want) {
		if (got) {
			if (*bad < 8)
				diag("  %s: want null, got %s", path, json_object_get_string(got));
			(*bad)++;
		}
		return;
	}
	if (json_object_is_type(want, json_type_object)) {
		if (!got || !json_object_is_type(got, json_type_object)) {
			if (*bad < 8)
				diag("  %s: want an object", path);
			(*bad)++;
			return;
		}
		json_object_object_foreach(want, k, v) {
			struct json_object *g = NULL;
			snprintf(path + used, plen - used, ".%s", k);
			if (!json_object_object_get_ex(got, k, &g)) {
				if (*bad < 8)
					diag("  %s: missing", path);
				(*bad)++;
			} else {
				tree_cmp(v, g, path, plen, bad);
			}
			path[used] = 0;
		}
		return;
	}
	if (json_object_is_type(want, json_type_array)) {
		size_t n = json_object_array_length(want);
		if (!got || !json_object_is_type(got, json_type_array) ||
		    json_object_array_length(got) != n) {
			if (*bad < 8)
				diag("  %s: array length differs", path);
			(*bad)++;
			return;
		}
		for (size_t i = 0; i < n; i++) {
			snprintf(path + used, plen - used, ".%zu", i);
			tree_cmp(json_object_array_get_idx(want, i), json_object_array_get_idx(got, i),
				 path, plen, bad);
			path[used] = 0;
		}
		return;
	}
	if (!got || json_object_get_type(got) != json_object_get_type(want) ||
	    strcmp(json_object_get_string(got), json_object_get_string(want)) != 0) {
		if (*bad < 8)
			diag("  %s: want %s, got %s", path, json_object_get_string(want),
			     got ? json_object_get_string(got) : "(absent)");
		(*bad)++;
	}
}

static void fixture_roundtrip(const char *file)
{
	char *text = ref_file(file), path[512] = "order";
	struct json_object *fx, *orders, *one;
	void *s;
	struct shp_ans a;
	int bad = 0;

	if (!text) {
		ok(1, "# SKIP %s not found", file);
		return;
	}
	fx = json_tokener_parse(text);
	s = shp_new("{\"access_token\":\"" TOKEN "\"}");
	is_int(shp_post_orders(s, text), 201, "%s loads through POST /orders", file);
	orders = jp(fx, "orders");
	one = orders ? json_object_array_get_idx(orders, 0) : jp(fx, "order");
	{
		char p[96];
		snprintf(p, sizeof(p), "/orders/%lld", (long long)json_object_get_int64(jp(one, "id")));
		a = shp_ctl(s, "GET", p, NULL, NULL);
	}
	tree_cmp(one, a.json, path, sizeof(path), &bad);
	is_int(bad, 0, "%s: control GET returns every fixture field unchanged", file);
	ans_free(&a);
	{
		char p[128];
		snprintf(p, sizeof(p), API "/orders/%lld.json",
			 (long long)json_object_get_int64(jp(one, "id")));
		a = shp_get(s, p, NULL);
	}
	bad = 0;
	snprintf(path, sizeof(path), "order");
	tree_cmp(one, jp(a.json, "order"), path, sizeof(path), &bad);
	is_int(bad, 0, "%s: REST orders/{id}.json returns every fixture field unchanged", file);
	ans_free(&a);
	json_object_put(fx);
	free(text);
	bh_sim_service_shopify.destroy(s);
}

static void test_fixtures(void)
{
	char *text = ref_file("rest-2026-07_order_450789469_get.json");
	void *s;
	struct shp_ans a;
	if (!text) {
		ok(1, "# SKIP reference data absent (set BH_SHARED_DIR)");
		return;
	}
	fixture_roundtrip("rest-2026-07_order_450789469_get.json");
	fixture_roundtrip("rest-2026-07_order_cancel_giftcard_refund.json");
	fixture_roundtrip("legacy-python-fixture_order.json");
	fixture_roundtrip("legacy-python-fixture_orders.json");

	s = shp_new("{\"access_token\":\"" TOKEN "\"}");
	a = shp_ctl(s, "POST", "/orders", NULL, text);
	is_int(ji(a.json, "ids.0"), 450789469, "fixture id 450789469 kept");
	is_str(js(a.json, "names.0"), "#1001", "fixture name kept");
	ans_free(&a);
	a = shp_get(s, API "/orders/450789469.json", NULL);
	is_int(a.status, 200, "REST GET orders/450789469.json");
	is_str(js(a.json, "order.total_price"), "598.94", "total_price");
	is_str(js(a.json, "order.current_total_price"), "199.65", "current_total_price");
	is_str(js(a.json, "order.line_items.0.discount_allocations.0.amount"), "3.34",
	       "allocation 3.34");
	is_str(js(a.json, "order.refunds.0.refund_line_items.0.subtotal"), "195.66",
	       "refund_line_items subtotal stays a JSON number 195.66");
	ok(json_object_is_type(jp(a.json, "order.refunds.0.refund_line_items.0.subtotal"),
			       json_type_double),
	   "... of JSON type number");
	ok(ans_header(&a, "X-Shopify-Shop-Api-Call-Limit") != NULL, "call limit header present");
	is_str(ans_header(&a, "X-Shopify-API-Version"), "2026-10", "API version header");
	ans_free(&a);
	a = shp_get(s, API "/orders/450789469/transactions.json", NULL);
	is_str(js(a.json, "transactions.0.amount"), "209.00", "transactions.json: refund 209.00");
	ans_free(&a);
	a = shp_get(s, API "/orders/450789469/refunds.json", NULL);
	is_int(ji(a.json, "refunds.0.id"), 509562969, "refunds.json: refund id");
	ans_free(&a);
	a = shp_get(s, API "/orders/1.json", NULL);
	is_int(a.status, 404, "unknown order -> 404");
	is_str(js(a.json, "errors"), "Not Found", "... {\"errors\":\"Not Found\"}");
	ans_free(&a);
	free(text);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ ids beyond 2^53 */

static void test_big_ids(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\"}");
	struct shp_ans a;
	is_int(shp_post_orders(s, "{\"orders\":[{\"id\":" BIG_ID ",\"email\":\"big@example.com\","
				  "\"line_items\":[{\"id\":9007199254740995,\"sku\":\"TEE-BLK-M\","
				  "\"quantity\":2,\"price\":\"40.00\",\"tax_lines\":[{\"title\":"
				  "\"Tax\",\"rate\":\"0.08\",\"price\":\"6.40\"}]}],"
				  "\"customer\":{\"id\":9007199254740997,\"email\":\"big@example.com\"}}]}"),
	       201, "order with an id beyond 2^53 accepted");
	a = shp_ctl(s, "GET", "/orders/" BIG_ID, NULL, NULL);
	is_int(a.status, 200, "control GET big id");
	ok(json_object_get_int64(jp(a.json, "id")) == 9007199254740993LL, "id exact (int64)");
	ok(json_object_get_int64(jp(a.json, "line_items.0.id")) == 9007199254740995LL,
	   "line item id exact");
	is_str(js(a.json, "total_price"), "86.40", "computed total 80.00 + 6.40 tax");
	is_str(js(a.json, "financial_status"), "paid", "default sale -> paid");
	ans_free(&a);
	a = shp_get(s, API "/orders/" BIG_ID ".json", NULL);
	ok(a.body && strstr(a.body, "\"id\":" BIG_ID ",") != NULL, "REST text carries the exact id");
	ok(a.body && strstr(a.body, "gid://shopify/Order/" BIG_ID) != NULL,
	   "admin_graphql_api_id exact");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ REST paging */

static char *link_url(const char *link, const char *rel)
{
	char want[32];
	const char *p;
	snprintf(want, sizeof(want), "rel=\"%s\"", rel);
	for (p = link; p && (p = strchr(p, '<')); p++) {
		const char *e = strchr(p, '>');
		if (!e)
			return NULL;
		if (strncmp(e + 3, want, strlen(want)) == 0)
			return strndup(p + 1, (size_t)(e - p - 1));
	}
	return NULL;
}

static void test_rest_paging(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\",\"rest\":{\"bucket_size\":1000}}");
	struct json_object *batch = json_object_new_object(), *arr = json_object_new_array();
	int64_t seen[300];
	size_t nseen = 0, pages = 0;
	bool dup = false, sorted = true, prev_seen = false;
	char *query = strdup("status=any&limit=100&order=updated_at%20asc&updated_at_min=2026-11-01T00:00:00Z");
	char last_upd[40] = "";
	struct shp_ans a;

	for (int i = 0; i < 270; i++) {
		struct json_object *o = json_object_new_object(), *li = json_object_new_array(),
				   *l = json_object_new_object();
		char ts[40];
		/* 10 orders before the window; many share a timestamp (ties by id) */
		snprintf(ts, sizeof(ts), "2026-%s-%02dT10:%02d:00Z", i < 10 ? "10" : "11",
			 1 + (i % 28), (i / 7) % 60);
		json_object_object_add(o, "updated_at", json_object_new_string(ts));
		json_object_object_add(o, "created_at", json_object_new_string(ts));
		json_object_object_add(l, "sku", json_object_new_string("SKU-1"));
		json_object_object_add(l, "quantity", json_object_new_int(1));
		json_object_object_add(l, "price", json_object_new_string("10.00"));
		json_object_array_add(li, l);
		json_object_object_add(o, "line_items", li);
		json_object_array_add(arr, o);
	}
	json_object_object_add(batch, "orders", arr);
	is_int(shp_post_orders(s, json_object_to_json_string(batch)), 201, "270 orders seeded");
	json_object_put(batch);

	while (query && pages < 10) {
		struct json_object *os;
		const char *link;
		char *next;
		a = shp_get(s, API "/orders.json", query);
		pages++;
		if (a.status != 200) {
			diag("page %zu -> %d %s", pages, a.status, a.body);
			ans_free(&a);
			break;
		}
		os = jp(a.json, "orders");
		for (size_t i = 0; os && i < json_object_array_length(os); i++) {
			struct json_object *o = json_object_array_get_idx(os, i);
			int64_t id = json_object_get_int64(jp(o, "id"));
			const char *u = js(o, "updated_at");
			for (size_t k = 0; k < nseen; k++)
				dup |= seen[k] == id;
			if (nseen < 300)
				seen[nseen++] = id;
			if (u && strcmp(u, last_upd) < 0)
				sorted = false;
			if (u)
				snprintf(last_upd, sizeof(last_upd), "%s", u);
		}
		link = ans_header(&a, "Link");
		if (pages > 1 && link && strstr(link, "rel=\"previous\""))
			prev_seen = true;
		next = link ? link_url(link, "next") : NULL;
		free(query);
		query = NULL;
		if (next) {
			char *q = strchr(next, '?');
			static const char pfx[] = "http://127.0.0.1:9" API "/orders.json?page_info=";
			ok(strncmp(next, pfx, sizeof(pfx) - 1) == 0,
			   "page %zu: next link is a full URL with page_info first", pages);
			query = q ? strdup(q + 1) : NULL;
			free(next);
		}
		ans_free(&a);
	}
	free(query);
	is_int((long long)nseen, 260, "cursor paging returns the 260 orders in the window");
	ok(!dup, "no order twice");
	ok(sorted, "ascending updated_at across pages");
	is_int((long long)pages, 3, "three pages of 100/100/60");
	ok(prev_seen, "later pages carry rel=\"previous\"");

	a = shp_get(s, API "/orders.json", "page_info=abc&status=any");
	is_int(a.status, 400, "page_info with status -> 400");
	ok(js(a.json, "errors.status") &&
		   strstr(js(a.json, "errors.status"), "status cannot be passed when page_info is present"),
	   "... with Shopify's message");
	ans_free(&a);
	a = shp_get(s, API "/orders.json", "page_info=%21%21%21");
	is_int(a.status, 400, "bad page_info -> 400");
	is_str(js(a.json, "errors.page_info"), "Invalid value.", "... Invalid value.");
	ans_free(&a);
	a = shp_get(s, API "/orders.json", "limit=500&status=any");
	is_int((long long)json_object_array_length(jp(a.json, "orders")), 250, "limit capped at 250");
	ans_free(&a);
	a = shp_get(s, API "/orders/count.json", "status=any");
	is_int(ji(a.json, "count"), 270, "orders/count.json");
	ans_free(&a);
	a = shp_get(s, API "/orders.json", "status=any&limit=1&fields=id,name");
	is_int((long long)json_object_object_length(jp(a.json, "orders.0")), 2, "fields=id,name");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ REST bucket */

static void test_rest_limit(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\"}");
	struct shp_ans a;
	bool all_ok = true;
	shp_freeze(s);
	for (int i = 1; i <= 40; i++) {
		char want[16];
		a = shp_get(s, API "/orders.json", NULL);
		snprintf(want, sizeof(want), "%d/40", i);
		if (a.status != 200 || !ans_header(&a, "X-Shopify-Shop-Api-Call-Limit") ||
		    strcmp(ans_header(&a, "X-Shopify-Shop-Api-Call-Limit"), want) != 0) {
			diag("call %d: %d %s", i, a.status,
			     ans_header(&a, "X-Shopify-Shop-Api-Call-Limit"));
			all_ok = false;
		}
		ans_free(&a);
	}
	ok(all_ok, "40 calls pass with X-Shopify-Shop-Api-Call-Limit 1/40 .. 40/40");
	a = shp_get(s, API "/orders.json", NULL);
	is_int(a.status, 429, "41st call -> 429");
	is_str(ans_header(&a, "Retry-After"), "0.5", "Retry-After 0.5 (one call leaks at 2/s)");
	ok(js(a.json, "errors") && strstr(js(a.json, "errors"), "Exceeded 2 calls per second"),
	   "Shopify's 429 body");
	ans_free(&a);
	shp_advance(s, 500);
	a = shp_get(s, API "/orders.json", NULL);
	is_int(a.status, 200, "after 0.5 s one call fits again");
	is_str(ans_header(&a, "X-Shopify-Shop-Api-Call-Limit"), "40/40", "... bucket full again");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ auth, tokens */

static void test_auth(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\",\"client_id\":\"cid\","
			  "\"client_secret\":\"csec\",\"token_ttl_s\":60}");
	const char *bad[] = {"X-Shopify-Access-Token", "shpat_wrong", NULL};
	const char *form[] = {"Content-Type", "application/x-www-form-urlencoded", NULL};
	const char *json[] = {"Content-Type", "application/json", NULL};
	struct shp_ans a;
	char tok[128] = "", *hdr[3];

	shp_freeze(s);
	a = shp_http(s, "GET", API "/orders.json", NULL, NULL, NULL);
	is_int(a.status, 401, "no token -> 401");
	is_str(js(a.json, "errors"),
	       "[API] Invalid API key or access token (unrecognized login or wrong password)",
	       "Shopify's 401 body");
	ans_free(&a);
	a = shp_http(s, "POST", API "/graphql.json", NULL, "{\"query\":\"{shop{name}}\"}", bad);
	is_int(a.status, 401, "wrong token on GraphQL -> 401");
	ans_free(&a);
	a = shp_http(s, "GET", "/admin/api/2019-13/orders.json", NULL, NULL, bad);
	is_int(a.status, 404, "invalid version -> 404");
	ans_free(&a);
	a = shp_get(s, "/admin/api/2024-01/orders.json", NULL);
	is_str(ans_header(&a, "X-Shopify-API-Version"), "2025-10", "old version falls forward");
	ans_free(&a);

	a = shp_http(s, "POST", "/admin/oauth/access_token", NULL,
		     "grant_type=client_credentials&client_id=cid&client_secret=nope", form);
	is_int(a.status, 401, "wrong client secret -> 401");
	is_str(js(a.json, "error"), "invalid_client", "... invalid_client");
	ans_free(&a);
	a = shp_http(s, "POST", "/admin/oauth/access_token", NULL,
		     "grant_type=password&client_id=cid&client_secret=csec", form);
	is_int(a.status, 400, "other grant type -> 400");
	ans_free(&a);
	a = shp_http(s, "POST", "/admin/oauth/access_token", NULL,
		     "grant_type=client_credentials&client_id=cid&client_secret=csec", form);
	is_int(a.status, 200, "client credentials grant -> 200");
	is_int(ji(a.json, "expires_in"), 60, "expires_in as configured");
	ok(js(a.json, "access_token") && strncmp(js(a.json, "access_token"), "shpat_", 6) == 0 &&
		   strlen(js(a.json, "access_token")) == 38,
	   "token shpat_ + 32 hex");
	ok(js(a.json, "scope") != NULL, "scope returned");
	if (js(a.json, "access_token"))
		snprintf(tok, sizeof(tok), "%s", js(a.json, "access_token"));
	ans_free(&a);
	a = shp_http(s, "POST", "/admin/oauth/access_token", NULL,
		     "{\"grant_type\":\"client_credentials\",\"client_id\":\"cid\",\"client_secret\":\"csec\"}",
		     json);
	is_int(a.status, 200, "JSON body accepted too");
	ans_free(&a);

	hdr[0] = "X-Shopify-Access-Token";
	hdr[1] = tok;
	hdr[2] = NULL;
	a = shp_http(s, "GET", API "/orders.json", NULL, NULL, (const char *const *)hdr);
	is_int(a.status, 200, "issued token works");
	ans_free(&a);
	shp_advance(s, 59000);
	a = shp_http(s, "GET", API "/orders.json", NULL, NULL, (const char *const *)hdr);
	is_int(a.status, 200, "still valid after 59 s");
	ans_free(&a);
	shp_advance(s, 1500);
	a = shp_http(s, "GET", API "/orders.json", NULL, NULL, (const char *const *)hdr);
	is_int(a.status, 401, "expired after 60 s -> 401");
	ans_free(&a);
	a = shp_ctl(s, "POST", "/access_token", NULL, "{\"token\":\"shpat_new\"}");
	ans_free(&a);
	hdr[1] = "shpat_new";
	a = shp_http(s, "GET", API "/orders.json", NULL, NULL, (const char *const *)hdr);
	is_int(a.status, 200, "control POST /access_token replaces the static token");
	ans_free(&a);
	a = shp_get(s, API "/orders.json", NULL);
	is_int(a.status, 401, "... and the old one stops working");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ control API */

static void test_control(void)
{
	void *s = shp_new("{\"access_token\":\"" TOKEN "\",\"first_id\":7000000000000}");
	struct shp_ans a;
	char path[96];
	long long id, line1;

	a = shp_ctl(s, "POST", "/orders", NULL,
		    "{\"orders\":[{\"email\":\"a@example.com\",\"currency\":\"USD\","
		    "\"line_items\":[{\"sku\":\"TEE-BLK-M\",\"title\":\"Tee\",\"quantity\":2,"
		    "\"price\":\"40.00\",\"tax_lines\":[{\"title\":\"Tax\",\"rate\":\"0.08\","
		    "\"price\":\"5.76\"}],\"discount_allocations\":[{\"amount\":\"8.00\"}]}],"
		    "\"shipping_lines\":[{\"title\":\"Std\",\"price\":\"5.00\"}],"
		    "\"discount_codes\":[{\"code\":\"TEN\",\"amount\":\"8.00\",\"type\":\"percentage\"}],"
		    "\"tenders\":[{\"gateway\":\"gift_card\",\"amount\":\"10.00\",\"kind\":\"sale\"},"
		    "{\"gateway\":\"shopify_payments\",\"amount\":\"72.76\",\"kind\":\"sale\"}],"
		    "\"tags\":[\"vip\",\"web\"]},"
		    "{\"name\":\"EXC1004\",\"tags\":\"exchange, 1004\",\"line_items\":[{\"sku\":\"X\","
		    "\"quantity\":1,\"price\":\"12.00\"}]}]}");
	is_int(a.status, 201, "POST /orders -> 201");
	is_str(js(a.json, "names.0"), "#1001", "assigned name #1001");
	is_str(js(a.json, "names.1"), "EXC1004", "exchange name kept");
	id = ji(a.json, "ids.0");
	is_int(id, 7000000000000LL, "id from first_id");
	ans_free(&a);

	snprintf(path, sizeof(path), "/orders/%lld", id);
	a = shp_ctl(s, "GET", path, NULL, NULL);
	is_str(js(a.json, "total_line_items_price"), "80.00", "total_line_items_price computed");
	is_str(js(a.json, "total_discounts"), "8.00", "total_discounts from allocations");
	is_str(js(a.json, "subtotal_price"), "72.00", "subtotal computed");
	is_str(js(a.json, "total_tax"), "5.76", "total_tax computed");
	is_str(js(a.json, "total_price"), "82.76", "total_price = 72 + 5 + 5.76");
	is_str(js(a.json, "financial_status"), "paid", "tenders cover the total -> paid");
	is_str(js(a.json, "payment_gateway_names.0"), "gift_card", "gift card gateway listed");
	is_str(js(a.json, "tags"), "vip, web", "tags joined");
	line1 = ji(a.json, "line_items.0.id");
	ans_free(&a);

	a = shp_ctl(s, "GET", "/orders", "name=%23EXC1004", NULL);
	is_int((long long)json_object_array_length(jp(a.json, "orders")), 0, "name lookup is exact");
	ans_free(&a);
	a = shp_ctl(s, "GET", "/orders", "name=EXC1004", NULL);
	is_str(js(a.json, "orders.0.tags"), "exchange, 1004", "GET /orders?name= finds EXC1004");
	ans_free(&a);
	a = shp_ctl(s, "GET", "/orders", "name=%231001", NULL);
	is_int(ji(a.json, "orders.0.id"), id, "GET /orders?name=%%231001");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/orders", NULL, "{\"order\":{\"id\":7000000000000,\"line_items\":[]}}");
	is_int(a.status, 409, "duplicate id -> 409");
	ans_free(&a);
	a = shp_ctl(s, "POST", "/orders", NULL, "{\"orders\":[{\"line_items\":[{\"quantity\":1,\"price\":\"1.5.0\"}]}]}");
	is_int(a.status, 400, "inexact amount -> 400");
	ans_free(&a);

	/* refund one unit: pro-rated discount 4.00 and tax 2.88 */
	snprintf(path, sizeof(path), "/orders/%lld/refund", id);
	{
		char body[256];
		snprintf(body, sizeof(body),
			 "{\"refund_line_items\":[{\"line_item_id\":%lld,\"quantity\":1,"
			 "\"restock_type\":\"return\"}],\"note\":\"size\"}",
			 line1);
		a = shp_ctl(s, "POST", path, NULL, body);
	}
	is_int(a.status, 201, "refund -> 201");
	is_str(js(a.json, "refund.refund_line_items.0.subtotal_set.shop_money.amount"), "36.00",
	       "refund subtotal 40 - 4 discount");
	is_str(js(a.json, "refund.refund_line_items.0.total_tax_set.shop_money.amount"), "2.88",
	       "refund tax 2.88");
	is_str(js(a.json, "refund.transactions.0.gateway"), "gift_card",
	       "refund spread over original payments in order (gift card first)");
	is_str(js(a.json, "refund.transactions.0.amount"), "10.00", "gift card part 10.00");
	is_str(js(a.json, "refund.transactions.1.amount"), "28.88", "card part 28.88");
	ans_free(&a);
	snprintf(path, sizeof(path), "/orders/%lld", id);
	a = shp_ctl(s, "GET", path, NULL, NULL);
	is_str(js(a.json, "financial_status"), "partially_refunded", "partially_refunded");
	is_int(ji(a.json, "line_items.0.current_quantity"), 1, "current_quantity 1");
	is_str(js(a.json, "current_total_price"), "43.88", "current_total_price 82.76 - 38.88");
	ok(strcmp(js(a.json, "updated_at"), js(a.json, "created_at")) > 0, "updated_at bumped");
	ans_free(&a);
	snprintf(path, sizeof(path), "/orders/%lld/refund", id);
	{
		char body[256];
		snprintf(body, sizeof(body),
			 "{\"refund_line_items\":[{\"line_item_id\":%lld,\"quantity\":2}]}", line1);
		a = shp_ctl(s, "POST", path, NULL, body);
	}
	is_int(a.status, 409, "refunding more than bought -> 409");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/gift_cards", NULL,
		    "{\"gift_card\":{\"initial_value\":\"25.00\",\"code\":\"abcd1234efgh5678\","
		    "\"note\":\"Loop\"}}");
	is_int(a.status, 201, "POST /gift_cards -> 201");
	is_str(js(a.json, "gift_card.last_characters"), "5678", "last_characters");
	is_str(js(a.json, "gift_card.balance"), "25.00", "balance");
	snprintf(path, sizeof(path), API "/gift_cards/%lld.json", ji(a.json, "gift_card.id"));
	ans_free(&a);
	a = shp_get(s, path, NULL);
	is_str(js(a.json, "gift_card.initial_value"), "25.00", "REST gift_cards/{id}.json");
	ok(!jp(a.json, "gift_card.code"), "REST does not reveal the code");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/nope", NULL, NULL);
	is_int(a.status, 404, "unknown control op -> 404");
	ans_free(&a);
	a = shp_ctl(s, "GET", "/stats", NULL, NULL);
	is_int(ji(a.json, "orders"), 2, "stats: 2 orders");
	ans_free(&a);
	a = shp_ctl(s, "POST", "/reset", NULL, NULL);
	ans_free(&a);
	a = shp_ctl(s, "GET", "/stats", NULL, NULL);
	is_int(ji(a.json, "orders"), 0, "reset forgets orders");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
}

/* ------------------------------------------------------------------ webhooks */

struct rec {
	char topic[64], hmac[64], webhook_id[64], event_id[64], domain[128], version[16], trig[64];
	char *body;
};

static pthread_mutex_t rlock = PTHREAD_MUTEX_INITIALIZER;
static struct rec recs[64];
static size_t nrecs;

static void recv_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	(void)svc;
	pthread_mutex_lock(&rlock);
	if (nrecs < 64) {
		struct rec *r = &recs[nrecs++];
		const char *v;
#define H(f, n) snprintf(r->f, sizeof(r->f), "%s", (v = bh_sim_req_header(req, n)) ? v : "")
		H(topic, "X-Shopify-Topic");
		H(hmac, "X-Shopify-Hmac-Sha256");
		H(webhook_id, "X-Shopify-Webhook-Id");
		H(event_id, "X-Shopify-Event-Id");
		H(domain, "X-Shopify-Shop-Domain");
		H(version, "X-Shopify-API-Version");
		H(trig, "X-Shopify-Triggered-At");
#undef H
		r->body = strndup(req->body, req->body_len);
	}
	pthread_mutex_unlock(&rlock);
	bh_sim_resp_text(resp, 200, "text/plain", "ok", 2);
}

static const struct bh_sim_service recv_svc = {.name = "receiver", .handle = recv_handle};

static size_t wait_recs(size_t want)
{
	int64_t deadline = tap_mono_ms() + 5000;
	size_t n;
	for (;;) {
		pthread_mutex_lock(&rlock);
		n = nrecs;
		pthread_mutex_unlock(&rlock);
		if (n >= want || tap_mono_ms() > deadline)
			return n;
		bh_sim_webhook_wait_idle(50);
	}
}

/* base64(HMAC-SHA256(key, body)) with OpenSSL directly */
static void my_hmac(const char *key, const char *body, char out[64])
{
	unsigned char mac[32];
	unsigned int len = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac, &len);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)len);
}

static void test_webhooks(void)
{
	struct bh_sim_http_opts ho = {0};
	char err[128], url[96], body[256], want[64];
	struct bh_sim_server *srv;
	void *s;
	struct shp_ans a;
	long long oid, line;
	size_t n;
	bool hmac_ok = true, dup_same = true;

	/* known-answer vectors of the research notes through the header builder */
	{
		struct bh_shp_wh_meta m = {"orders/create", "2026-10", "w", "e", "t", "d", "hush"};
		struct bh_sim_header h[8];
		char *mac = NULL;
		size_t k = bh_shp_webhook_headers(&m, "{}", 2, h, &mac);
		is_int((long long)k, 8, "8 webhook headers");
		is_str(mac, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg=", "HMAC vector (hush, {})");
		free(mac);
		m.secret = "key";
		bh_shp_webhook_headers(&m, "abc", 3, h, &mac);
		is_str(mac, "nBluMtwBdfhvSxy4konWYZ3mvuaZ5MN45oMJ7Zehpqs=", "HMAC vector (key, abc)");
		is_str(h[1].name, "X-Shopify-Topic", "topic header");
		free(mac);
	}

	srv = bh_sim_http_start(&recv_svc, NULL, &ho, err, sizeof(err));
	ok(srv != NULL, "receiver listening on 127.0.0.1:%u", srv ? bh_sim_http_port(srv) : 0);
	if (!srv)
		return;
	snprintf(url, sizeof(url), "%s/hooks", bh_sim_http_base_url(srv));
	s = shp_new("{\"access_token\":\"" TOKEN "\",\"dup_rate\":0,\"shop_domain\":\"t.myshopify.com\"}");
	a = shp_ctl(s, "POST", "/webhook_secret", NULL, "{\"secret\":\"" SECRET "\"}");
	is_int(a.status, 200, "POST /webhook_secret");
	ans_free(&a);
	for (int i = 0; i < 3; i++) {
		static const char *const t[] = {"orders/create", "orders/updated", "refunds/create"};
		snprintf(body, sizeof(body), "{\"topic\":\"%s\",\"address\":\"%s\"}", t[i], url);
		a = shp_ctl(s, "POST", "/webhooks", NULL, body);
		is_int(a.status, 201, "subscribe %s", t[i]);
		ans_free(&a);
	}
	a = shp_ctl(s, "POST", "/webhooks", NULL, "{\"topic\":\"orders/nope\",\"address\":\"http://x\"}");
	is_int(a.status, 400, "unknown topic refused");
	ans_free(&a);

	a = shp_ctl(s, "POST", "/orders", NULL,
		    "{\"order\":{\"id\":" BIG_ID ",\"line_items\":[{\"id\":77,\"sku\":\"A\",\"quantity\":2,"
		    "\"price\":\"10.00\"}]}}");
	oid = ji(a.json, "ids.0");
	ans_free(&a);
	n = wait_recs(1);
	is_int((long long)n, 1, "orders/create delivered once");
	pthread_mutex_lock(&rlock);
	is_str(recs[0].topic, "orders/create", "X-Shopify-Topic");
	is_str(recs[0].domain, "t.myshopify.com", "X-Shopify-Shop-Domain");
	is_str(recs[0].version, "2026-10", "X-Shopify-API-Version");
	is_int((long long)strlen(recs[0].webhook_id), 36, "X-Shopify-Webhook-Id is a UUID");
	ok(strlen(recs[0].trig) >= 20 && recs[0].trig[strlen(recs[0].trig) - 1] == 'Z',
	   "X-Shopify-Triggered-At (%s)", recs[0].trig);
	my_hmac(SECRET, recs[0].body, want);
	is_str(recs[0].hmac, want, "X-Shopify-Hmac-Sha256 verified with OpenSSL");
	ok(recs[0].body && strstr(recs[0].body, "\"id\":" BIG_ID ",") && recs[0].body[0] == '{' &&
		   !strstr(recs[0].body, "\"order\":{"),
	   "body is the bare order with the exact id");
	pthread_mutex_unlock(&rlock);

	line = 77;
	snprintf(body, sizeof(body),
		 "{\"refund\":{\"refund_line_items\":[{\"line_item_id\":%lld,\"quantity\":1}]}}", line);
	{
		char p[64];
		snprintf(p, sizeof(p), "/orders/%lld/refund", oid);
		a = shp_ctl(s, "POST", p, NULL, body);
		is_int(a.status, 201, "refund created");
		ans_free(&a);
	}
	n = wait_recs(3);
	is_int((long long)n, 3, "refunds/create and orders/updated delivered");
	pthread_mutex_lock(&rlock);
	{
		int ref = -1, upd = -1;
		for (size_t i = 1; i < nrecs && i < 3; i++) {
			if (strcmp(recs[i].topic, "refunds/create") == 0)
				ref = (int)i;
			if (strcmp(recs[i].topic, "orders/updated") == 0)
				upd = (int)i;
		}
		ok(ref > 0 && upd > 0, "both topics seen");
		if (ref > 0 && upd > 0) {
			is_str(recs[ref].event_id, recs[upd].event_id,
			       "one merchant action: shared X-Shopify-Event-Id");
			ok(strcmp(recs[ref].webhook_id, recs[upd].webhook_id) != 0,
			   "distinct X-Shopify-Webhook-Id per delivery");
			ok(strstr(recs[ref].body, "\"order_id\":" BIG_ID) != NULL,
			   "refund body carries order_id");
		}
		for (size_t i = 0; i < nrecs; i++) {
			my_hmac(SECRET, recs[i].body, want);
			hmac_ok &= strcmp(want, recs[i].hmac) == 0;
		}
		ok(hmac_ok, "every HMAC verifies");
		for (size_t i = 0; i < nrecs; i++)
			free(recs[i].body);
		nrecs = 0;
	}
	pthread_mutex_unlock(&rlock);

	/* duplicates: dup_rate 1 -> each delivery twice with the same webhook id */
	a = shp_ctl(s, "POST", "/settings", NULL, "{\"dup_rate\":1}");
	ans_free(&a);
	a = shp_ctl(s, "POST", "/orders", NULL, "{\"order\":{\"line_items\":[]}}");
	ans_free(&a);
	n = wait_recs(2);
	is_int((long long)n, 2, "orders/create delivered twice at dup_rate 1");
	pthread_mutex_lock(&rlock);
	if (nrecs >= 2) {
		dup_same = strcmp(recs[0].webhook_id, recs[1].webhook_id) == 0 &&
			   strcmp(recs[0].hmac, recs[1].hmac) == 0;
		ok(dup_same, "the duplicate repeats the same X-Shopify-Webhook-Id and HMAC");
	}
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].body);
	nrecs = 0;
	pthread_mutex_unlock(&rlock);

	a = shp_ctl(s, "GET", "/deliveries", "topic=orders%2Fcreate", NULL);
	is_int((long long)json_object_array_length(jp(a.json, "deliveries")), 2,
	       "delivery log lists both orders/create deliveries");
	ok(json_object_get_boolean(jp(a.json, "deliveries.1.duplicate")), "... marked duplicate");
	ans_free(&a);
	bh_sim_service_shopify.destroy(s);
	bh_sim_webhook_wait_idle(2000);
	bh_sim_http_stop(srv);

	/* determinism: same seed, same duplicate pattern (from the log; the subscriber
	 * address refuses connections, one attempt each) */
	bh_sim_webhook_configure(&(struct bh_sim_webhook_cfg){.max_attempts = 1});
	{
		char pat[2][64];
		for (int run = 0; run < 2; run++) {
			void *t = shp_new("{\"dup_rate\":0.5,\"seed\":7}");
			struct shp_ans b = shp_ctl(t, "POST", "/webhooks", NULL,
						   "{\"topic\":\"orders/create\",\"address\":\"http://127.0.0.1:1/x\"}");
			ans_free(&b);
			for (int i = 0; i < 40; i++) {
				b = shp_ctl(t, "POST", "/orders", NULL, "{\"order\":{\"line_items\":[]}}");
				ans_free(&b);
			}
			b = shp_ctl(t, "GET", "/deliveries", NULL, NULL);
			for (int i = 0; i < 40; i++)
				pat[run][i] = json_object_get_boolean(
						      jp(json_object_array_get_idx(jp(b.json, "deliveries"),
										   (size_t)i),
							 "duplicate"))
						      ? '1'
						      : '0';
			pat[run][40] = 0;
			ans_free(&b);
			bh_sim_service_shopify.destroy(t);
		}
		is_str(pat[1], pat[0], "duplicate choice is deterministic (%s)", pat[0]);
		ok(strchr(pat[0], '1') && strchr(pat[0], '0'), "dup_rate 0.5 gives some of each");
	}
}

/* ------------------------------------------------------------------ faults, op names */

static void test_faults(void)
{
	void *s = shp_new(NULL);
	struct bh_sim_req req;
	struct bh_sim_resp resp;
	struct json_object *j;
	char op[64];

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = API "/graphql.json";
	req.query = "";
	req.body = "";
	bh_sim_service_shopify.op_name(s, &req, op, sizeof(op));
	is_str(op, "graphql", "op_name graphql");
	memset(&resp, 0, sizeof(resp));
	bh_sim_service_shopify.fault(s, BH_SIM_FAULT_HTTP_429, &req, &resp);
	j = json_tokener_parse(resp.body);
	is_int(resp.status, 429, "GraphQL 429 fault");
	is_str(js(j, "errors.0.extensions.code"), "THROTTLED", "... THROTTLED body");
	json_object_put(j);
	bh_sim_resp_clear(&resp);
	bh_sim_service_shopify.fault(s, BH_SIM_FAULT_HTTP_5XX, &req, &resp);
	j = json_tokener_parse(resp.body);
	is_int(resp.status, 500, "GraphQL 5xx fault");
	is_str(js(j, "errors.0.extensions.code"), "INTERNAL_SERVER_ERROR", "... INTERNAL_SERVER_ERROR");
	json_object_put(j);
	bh_sim_resp_clear(&resp);

	req.method = "GET";
	req.path = API "/orders.json";
	bh_sim_service_shopify.op_name(s, &req, op, sizeof(op));
	is_str(op, "rest:orders", "op_name rest:orders");
	bh_sim_service_shopify.fault(s, BH_SIM_FAULT_HTTP_429, &req, &resp);
	is_int(resp.status, 429, "REST 429 fault");
	{
		const char *ra = NULL;
		for (size_t i = 0; i < resp.n_headers; i++)
			if (strcasecmp(resp.headers[i].name, "Retry-After") == 0)
				ra = resp.headers[i].value;
		is_str(ra, "2.0", "... Retry-After 2.0");
	}
	bh_sim_resp_clear(&resp);
	req.path = "/admin/oauth/access_token";
	bh_sim_service_shopify.op_name(s, &req, op, sizeof(op));
	is_str(op, "oauth", "op_name oauth");
	bh_sim_service_shopify.destroy(s);
}

int main(void)
{
	test_fixtures();
	test_big_ids();
	test_rest_paging();
	test_rest_limit();
	test_auth();
	test_control();
	test_webhooks();
	test_faults();
	bh_sim_webhook_shutdown();
	return done_testing();
}
