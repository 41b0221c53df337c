/*
 * shopify_diag.c - the `diagnostics` capability: what `backhaul test-connection NAME`
 * runs for a shopify instance.
 *
 * Checks, in order (each one line an operator can act on; secrets never appear):
 *   reachable            an HTTP answer from the shop's Admin API (or its token endpoint)
 *   api                  the GraphQL endpoint exists for api_version (404 otherwise)
 *   authentication       the token (or the client credentials) is accepted: `shop` query
 *   permission:read_orders     orders can be read (ACCESS_DENIED otherwise); with client
 *                              credentials the granted scopes are checked too
 *   permission:customer_data   customer names and e-mails can be read (protected
 *                              customer data)
 * A check that cannot run because an earlier one failed is reported as not run.
 *
 * Ownership: *out malloc'd for the caller. Threading: any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

static void check(json_object *arr, const char *name, bool ok, const char *fmt, ...)
	BH_PRINTF(4, 5);

static void check(json_object *arr, const char *name, bool ok, const char *fmt, ...)
{
	char d[700];
	va_list ap;
	json_object *c = json_object_new_object();
	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "ok", json_object_new_boolean(ok));
	json_object_object_add(c, "detail", json_object_new_string(d));
	json_object_array_add(arr, c);
}

static bool has_scope(const char *scopes, const char *want)
{
	size_t wl = strlen(want);
	for (const char *p = scopes; p && *p;) {
		size_t n = strcspn(p, ", ");
		if (n == wl && strncmp(p, want, wl) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

static int diag_test(void *ctx, char **out, struct bh_status *st)
{
	struct bh_shopify *s = ctx;
	struct bh_status local, q;
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_CALL, .st = &q};
	json_object *res = json_object_new_object(), *arr = json_object_new_array(), *data = NULL;
	char scopes[1024] = "";
	int rc, result = BH_OK;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	*out = NULL;
	json_object_object_add(res, "checks", arr);

	rc = bh_shopify_probe(s, "query BhShop { shop { name myshopifyDomain currencyCode } }", &call,
			      &data);
	if (rc == BH_ERETRY && q.http_status == 0) {
		check(arr, "reachable", false, "%s", q.message);
		result = BH_ERETRY;
		goto done;
	}
	check(arr, "reachable", true, "%s answers", s->root);
	if (rc == BH_EREJECT && q.http_status == 404) {
		check(arr, "api", false, "%s (is api_version %s served?)", q.message, s->api_version);
		result = BH_EREJECT;
		goto done;
	}
	check(arr, "api", true, "GraphQL Admin API %s", s->api_version);
	if (rc == BH_EAUTH) {
		check(arr, "authentication", false, "%s%s", q.message,
		      s->client_credentials ? "" : " - set a valid Admin API access_token");
		result = BH_EAUTH;
		goto done;
	}
	if (rc) {
		check(arr, "authentication", false, "could not check: %s", q.message);
		result = rc == BH_ERETRY ? BH_ERETRY : BH_EREJECT;
		goto done;
	}
	{
		json_object *shop = bh_shopify_get(data, "shop");
		char d[300];
		snprintf(d, sizeof(d), "%s (%s, currency %s)",
			 bh_shopify_str(shop, "name") ? bh_shopify_str(shop, "name") : "?",
			 bh_shopify_str(shop, "myshopifyDomain") ? bh_shopify_str(shop, "myshopifyDomain") : "?",
			 bh_shopify_str(shop, "currencyCode") ? bh_shopify_str(shop, "currencyCode") : "?");
		check(arr, "authentication", true, "token accepted by shop %s", d);
	}
	json_object_put(data);
	data = NULL;

	if (s->client_credentials)
		bh_shopify_token_scope(s, scopes, sizeof(scopes));
	rc = bh_shopify_probe(s, "query BhCanReadOrders { orders(first: 1) { nodes { id name "
				 "transactions(first: 1) { kind } } } }",
			      &call, &data);
	if (rc == BH_OK && scopes[0] && !has_scope(scopes, "read_orders")) {
		check(arr, "permission:read_orders", false,
		      "missing scope read_orders (granted: %s): add it to the app's scopes", scopes);
		result = BH_EAUTH;
	} else if (rc == BH_OK) {
		check(arr, "permission:read_orders", true, "orders readable%s",
		      scopes[0] && !has_scope(scopes, "read_all_orders")
			      ? " (without read_all_orders only the last 60 days)"
			      : "");
	} else {
		check(arr, "permission:read_orders", false,
		      rc == BH_EAUTH ? "missing scope read_orders: %s" : "could not check: %s",
		      q.message);
		result = rc == BH_EAUTH ? BH_EAUTH : BH_ERETRY;
	}
	json_object_put(data);
	data = NULL;
	rc = bh_shopify_probe(s, "query BhCanReadCustomers { orders(first: 1) { nodes { customer { "
				 "id email firstName lastName } } } }",
			      &call, &data);
	if (rc == BH_OK) {
		check(arr, "permission:customer_data", true, "customer names and e-mails readable");
	} else {
		check(arr, "permission:customer_data", false,
		      rc == BH_EAUTH ? "customer data refused (%s): request read_customers and "
				       "protected customer data access (name, email)"
				     : "could not check: %s",
		      q.message);
		if (result == BH_OK)
			result = rc == BH_EAUTH ? BH_EAUTH : BH_ERETRY;
	}
	json_object_put(data);
done:
	if (result != BH_OK) {
		*st = q;
		if (!st->message[0])
			bh_shopify_status(st, 0, "CHECK_FAILED", "a connection check failed");
	}
	{
		const char *t = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN);
		*out = t ? strdup(t) : NULL;
	}
	json_object_put(res);
	if (!*out)
		return BH_ENOMEM;
	return result;
}

const struct bh_diag_ops bh_shopify_diag_ops = {
	.size = sizeof(struct bh_diag_ops),
	.test_connection = diag_test,
};
