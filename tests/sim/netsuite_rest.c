/*
 * netsuite_rest.c - the NetSuite REST simulator end to end over the NetSuite service's
 * record store: TBA (OAuth 1.0a) verification and its 401 shape, record create / get /
 * PATCH / upsert by external id / transforms (sales order -> return authorization ->
 * item receipt -> cash refund) with their general-ledger postings, SuiteQL queries the
 * engine relies on (with paging), error shapes equal to shared/reference's rest-samples,
 * and the 429 of the shared account concurrency limit.
 *
 * Requests are built as bh_sim_req and handed to bh_sim_ns_rest_handle() directly, each
 * signed like a real client signs them. Owned by the NetSuite REST helper.
 * Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim.h"
#include "sim_ns_oauth.h"
#include "sim_ns_rest.h"
#include "sim_ns_store.h"
#include "tap.h"

#define HOST "127.0.0.1:8080"
#define BASE "http://" HOST
#define REST "/services/rest/record/v1/"
#define ACCOUNT "1234567_SB1"
#define CK "bh-sim-consumer-key"
#define CS "bh-sim-consumer-secret"
#define TK "bh-sim-token-id"
#define TS "bh-sim-token-secret"

static struct bh_sim_ns *ns;
static unsigned nonce_seq;

struct opts {
	const char *realm, *ck, *tk, *cs, *ts;      /* NULL: the defaults */
	const char *sig_method;
	int64_t ts_delta;                            /* seconds added to the clock */
	const char *nonce;                           /* fixed nonce */
	bool no_auth;
	bool unsigned_query;                         /* sign without the query params */
	bool no_prefer;
	const char *accept;
	bool strict;
	bool via_service;                            /* through the service's dispatch */
};

struct result {
	int status;
	struct json_object *body;                    /* parsed body or NULL */
	char location[512];
	char audit[64];
	char ctype[128];
};

static void result_free(struct result *r)
{
	json_object_put(r->body);
	memset(r, 0, sizeof(*r));
}

static int64_t now_s(void)
{
	int64_t ms;
	bh_sim_ns_lock(ns);
	ms = bh_sim_ns_now_ms(ns);
	bh_sim_ns_unlock(ns);
	return ms / 1000;
}

static struct result call(const char *method, const char *path, const char *query,
			  const char *body, const struct opts *o)
{
	static const struct opts none;
	struct bh_sim_header h[8];
	size_t nh = 0;
	struct bh_sim_req req;
	struct bh_sim_resp resp;
	struct result r;
	char auth[2048], nonce[32], stamp[32];
	char *base = NULL, *sig = NULL, *sig_enc = NULL;

	if (!o)
		o = &none;
	memset(&resp, 0, sizeof(resp));
	memset(&r, 0, sizeof(r));
	h[nh++] = (struct bh_sim_header){ "Host", HOST };
	h[nh++] = (struct bh_sim_header){ "Content-Type", "application/json" };
	if (!o->no_prefer)
		h[nh++] = (struct bh_sim_header){ "Prefer", "transient" };
	if (o->accept)
		h[nh++] = (struct bh_sim_header){ "Accept", o->accept };
	if (o->strict)
		h[nh++] = (struct bh_sim_header){ "X-NetSuite-PropertyNameValidation", "error" };
	if (!o->no_auth) {
		struct bh_sim_ns_oauth p = { 0 };
		snprintf(nonce, sizeof(nonce), "%s", o->nonce ? o->nonce : "");
		if (!o->nonce)
			snprintf(nonce, sizeof(nonce), "N0nce%08u", ++nonce_seq);
		snprintf(stamp, sizeof(stamp), "%lld", (long long)(now_s() + o->ts_delta));
		p.consumer_key = (char *)(o->ck ? o->ck : CK);
		p.token = (char *)(o->tk ? o->tk : TK);
		p.nonce = nonce;
		p.timestamp = stamp;
		p.signature_method = (char *)(o->sig_method ? o->sig_method : "HMAC-SHA256");
		p.version = "1.0";
		base = bh_sim_ns_oauth_base_string(method, BASE, path,
						   o->unsigned_query ? "" : query, &p);
		sig = bh_sim_ns_oauth_sign(base, o->cs ? o->cs : CS, o->ts ? o->ts : TS);
		sig_enc = bh_sim_ns_oauth_pct(sig, strlen(sig));
		snprintf(auth, sizeof(auth),
			 "OAuth realm=\"%s\", oauth_consumer_key=\"%s\", oauth_token=\"%s\", "
			 "oauth_signature_method=\"%s\", oauth_timestamp=\"%s\", oauth_nonce=\"%s\", "
			 "oauth_version=\"1.0\", oauth_signature=\"%s\"",
			 o->realm ? o->realm : ACCOUNT, p.consumer_key, p.token, p.signature_method,
			 stamp, nonce, sig_enc);
		h[nh++] = (struct bh_sim_header){ "Authorization", auth };
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.headers = h;
	req.n_headers = nh;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	req.base_url = BASE;
	if (o->via_service)
		bh_sim_service_netsuite.handle(ns, &req, &resp);
	else
		bh_sim_ns_rest_handle(ns, &req, &resp);
	r.status = resp.status;
	if (resp.body && resp.body_len)
		r.body = json_tokener_parse(resp.body);
	for (size_t i = 0; i < resp.n_headers; i++) {
		if (strcasecmp(resp.headers[i].name, "Location") == 0)
			snprintf(r.location, sizeof(r.location), "%s", resp.headers[i].value);
		if (strcasecmp(resp.headers[i].name, "X-BH-Sim-Login-Audit") == 0)
			snprintf(r.audit, sizeof(r.audit), "%s", resp.headers[i].value);
	}
	if (resp.content_type)
		snprintf(r.ctype, sizeof(r.ctype), "%s", resp.content_type);
	bh_sim_resp_clear(&resp);
	free(base);
	free(sig);
	free(sig_enc);
	return r;
}

/* JSON path lookup: "item.items.0.quantity" (numbers index arrays). */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &o))
			return NULL;
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);
	return v ? json_object_get_string(v) : NULL;
}

static int64_t id_from_location(const char *loc)
{
	const char *s = strrchr(loc, '/');
	return s ? strtoll(s + 1, NULL, 10) : 0;
}

static char *load_ref(const char *rel)
{
	const char *dir = tap_shared_dir();
	char file[8192];
	struct json_object *o;
	char *s;
	if (!dir)
		return NULL;
	snprintf(file, sizeof(file), "%s/reference/netsuite-suitetalk/rest-samples/%s", dir, rel);
	o = json_object_from_file(file);
	if (!o)
		return NULL;
	s = strdup(json_object_to_json_string(o));
	json_object_put(o);
	return s;
}

/* Same keys everywhere (arrays: element-wise on the shorter), recursively. */
static bool same_keys(struct json_object *a, struct json_object *b, char *why, size_t len)
{
	if (json_object_get_type(a) != json_object_get_type(b) &&
	    !(json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))) {
		snprintf(why, len, "type differs");
		return false;
	}
	if (json_object_is_type(a, json_type_object)) {
		if (json_object_object_length(a) != json_object_object_length(b)) {
			snprintf(why, len, "key counts %d vs %d", json_object_object_length(a),
				 json_object_object_length(b));
			return false;
		}
		json_object_object_foreach(a, k, v) {
			struct json_object *w;
			if (!json_object_object_get_ex(b, k, &w)) {
				snprintf(why, len, "missing key %s", k);
				return false;
			}
			if (!same_keys(v, w, why, len))
				return false;
		}
	} else if (json_object_is_type(a, json_type_array)) {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b)) {
			snprintf(why, len, "array lengths differ");
			return false;
		}
		for (size_t i = 0; i < n; i++)
			if (!same_keys(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i),
				       why, len))
				return false;
	}
	return true;
}

/* The response equals the reference sample in keys and in type/title/status/codes. */
static void shape_is(const struct result *r, const char *sample, bool same_detail, const char *what)
{
	char *text = load_ref(sample), why[128] = "";
	struct json_object *ref;
	if (!text) {
		ok(1, "%s (# SKIP rest-samples absent)", what);
		return;
	}
	ref = json_tokener_parse(text);
	free(text);
	bool keys = r->body && same_keys(r->body, ref, why, sizeof(why));
	bool vals = r->body && r->status == json_object_get_int(jget(ref, "status")) &&
		    strcmp(jstr(r->body, "type"), jstr(ref, "type")) == 0 &&
		    strcmp(jstr(r->body, "title"), jstr(ref, "title")) == 0 &&
		    strcmp(jstr(r->body, "o:errorDetails.0.o:errorCode"),
			   jstr(ref, "o:errorDetails.0.o:errorCode")) == 0 &&
		    (!same_detail || strcmp(jstr(r->body, "o:errorDetails.0.detail"),
					    jstr(ref, "o:errorDetails.0.detail")) == 0);
	ok(keys && vals, "%s: same shape as rest-samples/%s", what, sample);
	if (!keys || !vals)
		diag("  %s; got %s", why, r->body ? json_object_to_json_string(r->body) : "(none)");
	json_object_put(ref);
}

static struct result suiteql(const char *q, const char *params_json, const char *query)
{
	char body[4096];
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "q", json_object_new_string(q));
	if (params_json)
		json_object_object_add(b, "params", json_tokener_parse(params_json));
	snprintf(body, sizeof(body), "%s", json_object_to_json_string(b));
	json_object_put(b);
	return call("POST", "/services/rest/query/v1/suiteql", query, body, NULL);
}

/* Net GL of one record per account name: "+" debit, "-" credit, "Account=amount;..." */
static void gl_of(const char *eid, enum bh_sim_ns_type t, char *out, size_t len)
{
	struct bh_sim_ns_rec *r;
	struct json_object *gl;
	size_t o = 0;
	out[0] = '\0';
	bh_sim_ns_lock(ns);
	r = bh_sim_ns_find_eid(ns, t, eid);
	gl = r ? bh_sim_ns_gl_json(ns, r) : NULL;
	bh_sim_ns_unlock(ns);
	for (size_t i = 0; gl && i < json_object_array_length(gl); i++) {
		struct json_object *l = json_object_array_get_idx(gl, i);
		const char *d = jstr(l, "debit"), *c = jstr(l, "credit");
		bool debit = strcmp(d, "0.00") != 0;
		o += (size_t)snprintf(out + o, len - o, "%s%s %s%s", o ? ";" : "", jstr(l, "account"),
				      debit ? "Dr " : "Cr ", debit ? d : c);
	}
	json_object_put(gl);
}

/* ------------------------------------------------------------------ tests */

static void test_auth(void)
{
	struct result r;
	struct opts o = { 0 };

	r = call("GET", REST "customer/999999", NULL, NULL, NULL);
	is_int(r.status, 404, "a signed request passes authentication (unknown record: 404)");
	shape_is(&r, "error.not-found.response.json", true, "404 NONEXISTENT_ID");
	ok(strstr(r.ctype, "application/vnd.oracle.resource+json; type=error") != NULL,
	   "error content type");
	result_free(&r);

	o.cs = "wrong-secret";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "bad signature -> 401");
	shape_is(&r, "error.invalid-login.response.json", true, "401 INVALID_LOGIN");
	is_str(r.audit, "InvalidSignature", "login audit reason InvalidSignature");
	result_free(&r);

	/* the failure is in the account's Login Audit Trail (control GET /login_audit) */
	{
		struct bh_sim_req creq = { .method = "GET", .path = "/login_audit", .query = "",
					   .body = "", .base_url = BASE };
		struct bh_sim_resp cresp;
		struct json_object *a;
		memset(&cresp, 0, sizeof(cresp));
		bh_sim_service_netsuite.control(ns, &creq, &cresp);
		a = cresp.body ? json_tokener_parse(cresp.body) : NULL;
		ok(a && strstr(json_object_to_json_string(a), "InvalidSignature") != NULL,
		   "REST login failure recorded in the login audit trail");
		json_object_put(a);
		bh_sim_resp_clear(&cresp);
	}

	memset(&o, 0, sizeof(o));
	o.via_service = true;
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 404, "the service dispatches /services/rest/ to the REST handler");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.nonce = "FixedNonce123";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 404, "first use of a nonce is accepted");
	result_free(&r);
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "reused nonce -> 401");
	is_str(r.audit, "NonceUsed", "login audit reason NonceUsed");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.ts_delta = -301;
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "timestamp 301 s old -> 401");
	is_str(r.audit, "InvalidTimestamp", "login audit reason InvalidTimestamp");
	result_free(&r);
	o.ts_delta = 301;
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "timestamp 301 s ahead -> 401");
	result_free(&r);
	o.ts_delta = -240;
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 404, "timestamp 4 minutes old is accepted");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.realm = "1234567_sb1";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "lower-case sandbox realm -> 401");
	is_str(r.audit, "InvalidAccount", "login audit reason InvalidAccount");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.sig_method = "HMAC-SHA1";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "HMAC-SHA1 -> 401");
	is_str(r.audit, "UnknownAlgorithm", "login audit reason UnknownAlgorithm");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.tk = "unknown-token";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "unknown token -> 401");
	is_str(r.audit, "token_rejected", "login audit reason token_rejected");
	result_free(&r);
	o.tk = NULL;
	o.ck = "unknown-consumer";
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_str(r.audit, "consumer_key_unknown", "login audit reason consumer_key_unknown");
	result_free(&r);

	memset(&o, 0, sizeof(o));
	o.no_auth = true;
	r = call("GET", REST "customer/999999", NULL, NULL, &o);
	is_int(r.status, 401, "no Authorization header -> 401");
	result_free(&r);

	/* the query string is part of the signed parameters */
	memset(&o, 0, sizeof(o));
	o.unsigned_query = true;
	r = call("POST", "/services/rest/query/v1/suiteql", "limit=10&offset=0",
		 "{\"q\":\"SELECT id FROM customer\"}", &o);
	is_int(r.status, 401, "query parameters left out of the signature -> 401");
	result_free(&r);
	r = call("POST", "/services/rest/query/v1/suiteql", "limit=10&offset=0",
		 "{\"q\":\"SELECT id FROM customer\"}", NULL);
	is_int(r.status, 200, "query parameters signed -> 200");
	result_free(&r);
}

static int64_t create(const char *type, const char *body, const char *what)
{
	char path[256];
	struct result r;
	int64_t id;
	snprintf(path, sizeof(path), REST "%s", type);
	r = call("POST", path, NULL, body, NULL);
	is_int(r.status, 204, "create %s -> 204", what);
	ok(strncmp(r.location, BASE REST, strlen(BASE REST)) == 0 &&
		   strstr(r.location, type) != NULL,
	   "create %s: Location %s", what, r.location);
	if (r.status != 204 && r.body)
		diag("  %s", json_object_to_json_string(r.body));
	id = id_from_location(r.location);
	result_free(&r);
	return id;
}

static int64_t cust_id, tee_id, mug_id, so_id, ra_id, ir_id, cr_id;

static void test_records(void)
{
	char body[2048], path[256];
	struct result r;
	size_t before, after;

	cust_id = create("customer",
			 "{\"externalId\":\"shopify-cust-1\",\"firstName\":\"Ada\",\"lastName\":"
			 "\"Lovelace\",\"email\":\"ada@example.com\"}",
			 "customer");
	tee_id = create("inventoryItem",
			"{\"itemId\":\"TEE-BLK-M\",\"displayName\":\"Tee black M\",\"cost\":15.00}",
			"inventory item");
	mug_id = create("inventoryItem", "{\"itemId\":\"MUG\",\"cost\":\"4.00\"}", "second item");

	snprintf(body, sizeof(body),
		 "{\"externalId\":\"shopify-order-1001\",\"entity\":{\"id\":\"%lld\"},"
		 "\"otherRefNum\":\"#1001\",\"custbody_bh_shopify_order_id\":\"5012345678901234567\","
		 "\"shippingCost\":5.00,\"memo\":\"Shopify #1001\","
		 "\"item\":{\"items\":[{\"item\":{\"id\":\"%lld\"},\"quantity\":1,\"rate\":40.00,"
		 "\"tax1Amt\":3.20}]}}",
		 (long long)cust_id, (long long)tee_id);
	so_id = create("salesOrder", body, "sales order");

	/* get without and with sublists */
	snprintf(path, sizeof(path), REST "salesOrder/%lld", (long long)so_id);
	r = call("GET", path, NULL, NULL, NULL);
	is_int(r.status, 200, "get sales order");
	is_str(jstr(r.body, "externalId"), "shopify-order-1001", "externalId");
	is_int(strtoll(jstr(r.body, "entity.id"), NULL, 10), cust_id, "entity reference id");
	is_str(jstr(r.body, "entity.links.0.rel"), "self", "references carry links");
	is_str(jstr(r.body, "custbody_bh_shopify_order_id"), "5012345678901234567",
	       "custom body field as a top-level property, exact beyond 2^53");
	ok(jget(r.body, "item.links") && !jget(r.body, "item.items"),
	   "sublist not expanded by default");
	is_str(jstr(r.body, "total"), "48.2", "total 40.00 + 3.20 + 5.00");
	ok(strstr(r.ctype, "type=singular-resource") != NULL, "record content type");
	result_free(&r);
	r = call("GET", path, "expandSubResources=true", NULL, NULL);
	is_str(jstr(r.body, "item.items.0.quantity"), "1", "expanded line quantity");
	is_str(jstr(r.body, "item.items.0.rate"), "40.0", "expanded line rate as an exact number");
	is_str(jstr(r.body, "item.items.0.tax1Amt"), "3.2", "line tax");
	is_int(strtoll(jstr(r.body, "item.items.0.item.id"), NULL, 10), tee_id, "line item ref");
	result_free(&r);
	r = call("GET", path, "fields=tranId,total", NULL, NULL);
	ok(r.body && json_object_object_length(r.body) == 4 && jget(r.body, "tranId"),
	   "?fields= keeps only the named fields (plus links and id)");
	result_free(&r);
	r = call("GET", REST "salesOrder/eid:shopify-order-1001", NULL, NULL, NULL);
	is_int(strtoll(jstr(r.body, "id") ? jstr(r.body, "id") : "0", NULL, 10), so_id,
	       "get by eid:");
	result_free(&r);

	/* the order is paid (cash sale) and shipped (fulfilment) in NetSuite */
	{
		struct bh_sim_ns_err e;
		int64_t id;
		int rc1, rc2;
		bh_sim_ns_lock(ns);
		rc1 = bh_sim_ns_bill(ns, so_id, false, &id, &e);
		rc2 = bh_sim_ns_fulfill(ns, so_id, &id, &e);
		bh_sim_ns_unlock(ns);
		ok(rc1 == 0 && rc2 == 0, "sales order billed and fulfilled");
	}

	/* transform: sales order -> return authorization */
	snprintf(path, sizeof(path), REST "salesOrder/%lld/!transform/returnAuthorization",
		 (long long)so_id);
	bh_sim_ns_lock(ns);
	before = bh_sim_ns_count(ns);
	bh_sim_ns_unlock(ns);
	{
		struct opts o = { .accept = "application/vnd.oracle.resource+json; type=create-form" };
		r = call("POST", path, NULL, "{\"memo\":\"preview\"}", &o);
		is_int(r.status, 200, "create-form returns the prefilled record");
		is_str(jstr(r.body, "item.items.0.orderLine"), "1", "prefilled line points at the order line");
		is_str(jstr(r.body, "memo"), "preview", "body overrides apply to the form");
		result_free(&r);
		bh_sim_ns_lock(ns);
		after = bh_sim_ns_count(ns);
		bh_sim_ns_unlock(ns);
		is_int((long long)after, (long long)before, "create-form saves nothing");
	}
	r = call("POST", path, NULL,
		 "{\"externalId\":\"loop-ra-1001\",\"memo\":\"Loop return 1001\","
		 "\"custbody_bh_review_flag\":false}",
		 NULL);
	is_int(r.status, 204, "transform salesOrder -> returnAuthorization: 204");
	ok(strstr(r.location, "/returnAuthorization/") != NULL, "Location of the new RA");
	ra_id = id_from_location(r.location);
	result_free(&r);
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld", (long long)ra_id);
	r = call("GET", path, "expandSubResources=true", NULL, NULL);
	is_int(strtoll(jstr(r.body, "createdFrom.id"), NULL, 10), so_id, "RA createdFrom the order");
	is_str(jstr(r.body, "status.id"), "B", "RA status B");
	is_str(jstr(r.body, "status.refName"), "Pending Receipt", "RA Pending Receipt");
	is_str(jstr(r.body, "total"), "43.2", "RA total 43.20");
	is_str(jstr(r.body, "item.items.0.amount"), "40.0", "RA line amount");
	result_free(&r);
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld/item", (long long)ra_id);
	r = call("GET", path, NULL, NULL, NULL);
	is_str(jstr(r.body, "totalResults"), "1", "GET the item sublist");
	result_free(&r);
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld/item/1", (long long)ra_id);
	r = call("GET", path, NULL, NULL, NULL);
	is_str(jstr(r.body, "orderLine"), "1", "GET one line by its key");
	ok(strstr(jstr(r.body, "links.0.href"), "/item/1") != NULL, "line self link");
	result_free(&r);

	/* the same external id again is a duplicate */
	snprintf(path, sizeof(path), REST "salesOrder/%lld/!transform/returnAuthorization",
		 (long long)so_id);
	r = call("POST", path, NULL, "{\"externalId\":\"loop-ra-1001\"}", NULL);
	is_int(r.status, 400, "a second RA when everything was returned is refused");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorCode"), "USER_ERROR", "as USER_ERROR");
	result_free(&r);
	r = call("POST", REST "customer", NULL,
		 "{\"externalId\":\"SHOPIFY-CUST-1\",\"companyName\":\"Dup\"}", NULL);
	is_int(r.status, 400, "a duplicate external id (case-insensitive) is refused");
	is_str(jstr(r.body, "o:errorDetails.0.detail"),
	       "Error while accessing a resource. This record already exists", "duplicate message");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorPath"), "externalId", "duplicate errorPath");
	result_free(&r);

	/* RA -> item receipt -> cash refund */
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld/!transform/itemReceipt",
		 (long long)ra_id);
	r = call("POST", path, NULL, "{\"externalId\":\"loop-ir-1001\"}", NULL);
	is_int(r.status, 204, "transform returnAuthorization -> itemReceipt: 204");
	ir_id = id_from_location(r.location);
	result_free(&r);
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld/!transform/cashRefund",
		 (long long)ra_id);
	r = call("POST", path, NULL, "{\"externalId\":\"loop-cr-1001\"}", NULL);
	is_int(r.status, 204, "transform returnAuthorization -> cashRefund: 204");
	cr_id = id_from_location(r.location);
	result_free(&r);
	{
		char gl[512];
		gl_of("loop-ir-1001", BH_SIM_NS_T_ITEM_RECEIPT, gl, sizeof(gl));
		ok(strstr(gl, "Inventory Dr 15.00") && strstr(gl, "Cost of Goods Sold Cr 15.00") &&
			   strlen(gl) == strlen("Inventory Dr 15.00;Cost of Goods Sold Cr 15.00"),
		   "item receipt GL (restock): %s", gl);
		gl_of("loop-cr-1001", BH_SIM_NS_T_CASH_REFUND, gl, sizeof(gl));
		ok(strstr(gl, "Sales Returns Dr 40.00") && strstr(gl, "Sales Tax Payable Dr 3.20") &&
			   strstr(gl, "Payment Clearing Cr 43.20"),
		   "cash refund GL: %s", gl);
	}
	snprintf(path, sizeof(path), REST "returnAuthorization/%lld", (long long)ra_id);
	r = call("GET", path, NULL, NULL, NULL);
	is_str(jstr(r.body, "status.refName"), "Refunded", "RA refunded after the cash refund");
	result_free(&r);
	snprintf(path, sizeof(path), REST "itemReceipt/%lld", (long long)ir_id);
	r = call("GET", path, NULL, NULL, NULL);
	is_int(strtoll(jstr(r.body, "createdFrom.id") ? jstr(r.body, "createdFrom.id") : "0", NULL,
		       10),
	       ra_id, "item receipt createdFrom the RA");
	result_free(&r);

	/* a partial return re-prices the line pro rata (S2: 3 x 10.80, tax 0.86 each) */
	{
		int64_t so2, ra2;
		snprintf(body, sizeof(body),
			 "{\"externalId\":\"shopify-order-1002\",\"entity\":{\"id\":\"%lld\"},"
			 "\"item\":{\"items\":[{\"item\":{\"id\":\"%lld\"},\"quantity\":3,\"rate\":10.80,"
			 "\"tax1Amt\":2.58},{\"item\":{\"id\":\"%lld\"},\"quantity\":1,\"rate\":40,"
			 "\"tax1Amt\":3.2}]}}",
			 (long long)cust_id, (long long)mug_id, (long long)tee_id);
		so2 = create("salesOrder", body, "second order");
		snprintf(path, sizeof(path),
			 REST "salesOrder/%lld/!transform/returnAuthorization", (long long)so2);
		r = call("POST", path, "replace=item",
			 "{\"externalId\":\"loop-ra-1002\",\"item\":{\"items\":[{\"orderLine\":1,"
			 "\"quantity\":2}]}}",
			 NULL);
		is_int(r.status, 204, "partial RA (2 of 3, one line kept)");
		ra2 = id_from_location(r.location);
		result_free(&r);
		snprintf(path, sizeof(path), REST "returnAuthorization/%lld", (long long)ra2);
		r = call("GET", path, "expandSubResources=true", NULL, NULL);
		is_int((long long)json_object_array_length(jget(r.body, "item.items")), 1,
		       "replace=item kept only the named line");
		is_str(jstr(r.body, "item.items.0.amount"), "21.6", "amount 2 x 10.80");
		is_str(jstr(r.body, "item.items.0.tax1Amt"), "1.72", "tax 2 x 0.86");
		is_str(jstr(r.body, "total"), "23.32", "RA total 23.32");
		result_free(&r);

		/* PATCH: body field, custom field, and a line merged by key */
		r = call("PATCH", path, NULL,
			 "{\"memo\":\"checked\",\"custbody_bh_review_flag\":true,"
			 "\"item\":{\"items\":[{\"line\":1,\"description\":\"scuffed\"}]}}",
			 NULL);
		is_int(r.status, 204, "PATCH -> 204");
		result_free(&r);
		r = call("GET", path, "expandSubResources=true", NULL, NULL);
		is_str(jstr(r.body, "memo"), "checked", "PATCH changed memo");
		ok(json_object_get_boolean(jget(r.body, "custbody_bh_review_flag")),
		   "PATCH set the flag checkbox");
		is_int((long long)json_object_array_length(jget(r.body, "item.items")), 1,
		       "PATCH merged the line by key (no new line)");
		is_str(jstr(r.body, "item.items.0.description"), "scuffed", "PATCH changed the line");
		is_str(jstr(r.body, "item.items.0.quantity"), "2", "other line fields kept");
		result_free(&r);
		r = call("PATCH", path, NULL, "{\"memo\":null}", NULL);
		is_int(r.status, 204, "PATCH null");
		result_free(&r);
		r = call("GET", path, NULL, NULL, NULL);
		ok(jget(r.body, "memo") == NULL, "a null field is cleared");
		result_free(&r);
	}

	/* upsert by external id: twice -> one record */
	{
		int64_t a, b;
		snprintf(body, sizeof(body),
			 "{\"entity\":{\"id\":\"%lld\"},\"memo\":\"standalone return\","
			 "\"item\":{\"items\":[{\"item\":{\"id\":\"%lld\"},\"quantity\":1,\"rate\":25.0}]}}",
			 (long long)cust_id, (long long)mug_id);
		r = call("PUT", REST "returnAuthorization/eid:loop-return-77", NULL, body, NULL);
		is_int(r.status, 204, "upsert (PUT eid:) creates -> 204");
		if (r.status != 204 && r.body)
			diag("  %s", json_object_to_json_string(r.body));
		a = id_from_location(r.location);
		result_free(&r);
		r = call("PUT", REST "returnAuthorization/eid:loop-return-77", NULL, body, NULL);
		is_int(r.status, 204, "upsert again -> 204");
		b = id_from_location(r.location);
		result_free(&r);
		ok(a > 0 && a == b, "both upserts name the same record (%lld, %lld)", (long long)a,
		   (long long)b);
		r = suiteql("SELECT id FROM transaction WHERE externalid = 'loop-return-77'", NULL, NULL);
		is_str(jstr(r.body, "totalResults"), "1", "exactly one record has the external id");
		result_free(&r);
		r = call("GET", REST "returnAuthorization/eid:loop-return-77", "expandSubResources=true",
			 NULL, NULL);
		is_int((long long)json_object_array_length(jget(r.body, "item.items")), 1,
		       "PUT replaced the lines (not appended)");
		result_free(&r);
		r = call("PUT", REST "returnAuthorization/1", NULL, body, NULL);
		is_int(r.status, 400, "PUT with an internal id is refused");
		result_free(&r);
	}

	/* collection with a q filter */
	r = call("GET", REST "returnAuthorization", "q=externalId%20IS%20%22LOOP-RA-1001%22", NULL,
		 NULL);
	is_str(jstr(r.body, "totalResults"), "1", "collection q: externalId IS (case-insensitive)");
	is_int(strtoll(jstr(r.body, "items.0.id") ? jstr(r.body, "items.0.id") : "0", NULL, 10),
	       ra_id, "collection item id");
	result_free(&r);
	r = call("GET", REST "returnAuthorization", "q=tranId%20START_WITH%20%22RMA%22&limit=2", NULL,
		 NULL);
	is_str(jstr(r.body, "count"), "2", "collection paging count");
	ok(json_object_get_boolean(jget(r.body, "hasMore")), "collection hasMore");
	result_free(&r);
	r = call("GET", REST "returnAuthorization", "q=externalId%20SOUNDS_LIKE%20%22x%22", NULL, NULL);
	is_int(r.status, 400, "collection q with an unknown operator -> 400");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorQueryParam"), "q", "names the q parameter");
	result_free(&r);
}

static void test_suiteql(void)
{
	struct result r;
	char q[1024];
	int64_t t0 = now_s() - 3600;

	r = suiteql("SELECT id, tranid, status, createdfrom FROM transaction WHERE type = 'RtnAuth' "
		    "AND externalid = ?",
		    "[\"loop-ra-1001\"]", "limit=10&offset=0");
	is_int(r.status, 200, "suiteql from rest-samples");
	is_int(strtoll(jstr(r.body, "items.0.id"), NULL, 10), ra_id, "finds the RA by external id");
	is_int(strtoll(jstr(r.body, "items.0.createdfrom"), NULL, 10), so_id, "createdfrom");
	is_str(jstr(r.body, "items.0.status"), "G", "status letter of a refunded RA");
	ok(json_object_is_type(jget(r.body, "items.0.links"), json_type_array), "rows carry links");
	{
		char *text = load_ref("suiteql.find-returnAuthorization.exchange.json"), why[128];
		struct json_object *ref = text ? json_tokener_parse(text) : NULL;
		struct json_object *rb = ref ? jget(ref, "response.body") : NULL;
		json_object_object_del(r.body, "links");
		if (rb)
			json_object_object_del(rb, "links");
		if (rb && json_object_array_length(jget(rb, "items")) == 1)
			json_object_object_del(json_object_array_get_idx(jget(rb, "items"), 0), "tranid");
		json_object_object_del(json_object_array_get_idx(jget(r.body, "items"), 0), "tranid");
		ok(!rb || same_keys(r.body, rb, why, sizeof(why)),
		   "suiteql response keys equal the sample's");
		free(text);
		json_object_put(ref);
	}
	result_free(&r);

	snprintf(q, sizeof(q),
		 "SELECT ir.id, ir.createdfrom AS ra, ra.externalid AS ra_eid, "
		 "TO_CHAR(ir.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified "
		 "FROM transaction ir JOIN transaction ra ON ra.id = ir.createdfrom "
		 "WHERE ir.type = 'ItemRcpt' AND ra.type = 'RtnAuth' AND ir.lastmodifieddate >= "
		 "TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') ORDER BY ir.lastmodifieddate, ir.id");
	{
		char params[64], when[32];
		int64_t tt;
		/* T in the account's time zone */
		bh_sim_ns_time_fmt(t0 * 1000, when, sizeof(when));
		when[10] = ' ';
		when[19] = '\0';
		snprintf(params, sizeof(params), "[\"%s\"]", when);
		r = suiteql(q, params, NULL);
		is_int(r.status, 200, "receipts since T query");
		is_str(jstr(r.body, "totalResults"), "1", "one item receipt since T");
		is_int(strtoll(jstr(r.body, "items.0.ra") ? jstr(r.body, "items.0.ra") : "0", NULL, 10),
		       ra_id, "created from the RA");
		is_str(jstr(r.body, "items.0.ra_eid"), "loop-ra-1001", "joined RA external id");
		result_free(&r);
		tt = now_s() + 3600;
		bh_sim_ns_time_fmt(tt * 1000, when, sizeof(when));
		when[10] = ' ';
		when[19] = '\0';
		snprintf(params, sizeof(params), "[\"%s\"]", when);
		r = suiteql(q, params, NULL);
		is_str(jstr(r.body, "totalResults"), "0", "none modified after now + 1h");
		result_free(&r);
	}

	r = suiteql("SELECT id, externalid FROM transaction WHERE type = 'RtnAuth' AND "
		    "custbody_bh_review_flag = 'T'",
		    NULL, NULL);
	is_str(jstr(r.body, "totalResults"), "1", "RAs with the review flag set");
	is_str(jstr(r.body, "items.0.externalid"), "loop-ra-1002", "the flagged RA");
	result_free(&r);
	r = suiteql("SELECT COUNT(id) FROM transaction", NULL, NULL);
	is_int(r.status, 400, "aggregates are not offered");
	result_free(&r);
	r = suiteql("SELECT id FROM transaction WHERE type = 'RtnAuth' AND custbody_bh_review_flag = 'F' "
		    "ORDER BY id",
		    NULL, NULL);
	is_str(jstr(r.body, "totalResults"), "2", "an unset flag checkbox reads 'F'");
	result_free(&r);

	r = suiteql("SELECT id, BUILTIN.DF(entity) AS customer FROM transaction WHERE type = "
		    "'SalesOrd' AND custbody_bh_shopify_order_id = ?",
		    "[\"5012345678901234567\"]", NULL);
	is_int(strtoll(jstr(r.body, "items.0.id") ? jstr(r.body, "items.0.id") : "0", NULL, 10), so_id,
	       "sales order by Shopify order id custom field");
	is_str(jstr(r.body, "items.0.customer"), "Ada Lovelace", "BUILTIN.DF(entity)");
	result_free(&r);

	r = suiteql("SELECT tl.id, tl.quantity, tl.foreignamount, i.itemid FROM transactionline tl "
		    "JOIN item i ON i.id = tl.item WHERE tl.transaction = ? AND tl.mainline = 'F'",
		    "[\"" "0" "\"]", NULL);
	is_str(jstr(r.body, "totalResults"), "0", "no lines for an unknown transaction");
	result_free(&r);
	snprintf(q, sizeof(q),
		 "SELECT tl.id, tl.quantity, tl.foreignamount, i.itemid FROM transactionline tl "
		 "JOIN item i ON i.id = tl.item WHERE tl.transaction = %lld AND tl.mainline = 'F'",
		 (long long)so_id);
	r = suiteql(q, NULL, NULL);
	is_str(jstr(r.body, "items.0.itemid"), "TEE-BLK-M", "order lines joined to items");
	is_str(jstr(r.body, "items.0.quantity"), "-1", "sales order lines carry negative quantity");
	result_free(&r);

	/* paging */
	r = suiteql("SELECT id FROM transaction ORDER BY id", NULL, "limit=2&offset=0");
	is_str(jstr(r.body, "count"), "2", "page of 2");
	ok(json_object_get_boolean(jget(r.body, "hasMore")), "hasMore");
	is_str(jstr(r.body, "links.0.rel"), "next", "next link");
	ok(strstr(jstr(r.body, "links.0.href"), "/services/rest/query/v1/suiteql?limit=2&offset=2") !=
		   NULL,
	   "next href");
	{
		long long total = strtoll(jstr(r.body, "totalResults"), NULL, 10);
		char qs[64];
		result_free(&r);
		snprintf(qs, sizeof(qs), "limit=2&offset=%lld", (total - 1) / 2 * 2);
		r = suiteql("SELECT id FROM transaction ORDER BY id", NULL, qs);
		ok(!json_object_get_boolean(jget(r.body, "hasMore")), "last page: hasMore false");
		is_str(jstr(r.body, "offset"), qs + strlen("limit=2&offset="), "offset echoed");
		result_free(&r);
	}
	r = suiteql("SELECT id FROM transaction", NULL, "limit=1001");
	is_int(r.status, 400, "limit above 1000 refused");
	result_free(&r);

	/* errors */
	r = suiteql("SELECT nosuchcolumn FROM transaction", NULL, NULL);
	is_int(r.status, 400, "unknown column -> 400");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorCode"), "INVALID_PARAMETER", "INVALID_PARAMETER");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorQueryParam"), "q", "o:errorQueryParam q");
	ok(jstr(r.body, "o:errorDetails.0.detail") &&
		   strstr(jstr(r.body, "o:errorDetails.0.detail"),
			  "Invalid search query. Detailed unprocessed description follows. Search "
			  "error occurred: Field 'nosuchcolumn' for record 'transaction' was not "
			  "found."),
	   "NetSuite's message");
	result_free(&r);
	r = suiteql("SELECT id FROM nosuchtable", NULL, NULL);
	ok(r.status == 400 && strstr(jstr(r.body, "o:errorDetails.0.detail"), "Invalid search type"),
	   "unknown table -> 400 Invalid search type");
	result_free(&r);
	{
		struct opts o = { .no_prefer = true };
		r = call("POST", "/services/rest/query/v1/suiteql", NULL, "{\"q\":\"SELECT id FROM item\"}",
			 &o);
		is_int(r.status, 400, "SuiteQL without Prefer: transient -> 400");
		result_free(&r);
	}
}

static void test_errors(void)
{
	struct result r;
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"entity\":{\"id\":\"%lld\"},\"item\":{\"items\":[{\"item\":{\"id\":\"9999\"},"
		 "\"quantity\":1,\"rate\":1}]}}",
		 (long long)cust_id);
	r = call("POST", REST "salesOrder", NULL, body, NULL);
	is_int(r.status, 400, "unknown item -> 400");
	shape_is(&r, "error.invalid-field-value.response.json", true, "invalid field value");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorPath"), "item.items[0].item", "o:errorPath");
	result_free(&r);

	r = call("GET", REST "returnAuthorization/abc", NULL, NULL, NULL);
	is_int(r.status, 400, "non-numeric id -> 400");
	is_str(jstr(r.body, "o:errorDetails.0.o:errorCode"), "INVALID_ID", "INVALID_ID");
	result_free(&r);
	r = call("GET", REST "noSuchRecord/1", NULL, NULL, NULL);
	is_int(r.status, 404, "unknown record type -> 404");
	result_free(&r);
	r = call("GET", REST "returnAuthorization/eid:nope", NULL, NULL, NULL);
	is_int(r.status, 404, "unknown external id -> 404");
	result_free(&r);
	r = call("POST", REST "salesorder", NULL, "{not json", NULL);
	is_int(r.status, 400, "malformed JSON -> 400");
	result_free(&r);
	{
		struct opts o = { .strict = true };
		r = call("POST", REST "customer", NULL, "{\"companyName\":\"X\",\"bogusField\":1}", &o);
		is_int(r.status, 400, "unknown field with PropertyNameValidation: error -> 400");
		is_str(jstr(r.body, "o:errorDetails.0.o:errorPath"), "bogusField", "names the field");
		result_free(&r);
		r = call("POST", REST "customer", NULL, "{\"companyName\":\"X\",\"bogusField\":1}", NULL);
		is_int(r.status, 204, "unknown field ignored by default");
		result_free(&r);
	}
	r = call("DELETE", REST "customer/1", NULL, NULL, NULL);
	is_int(r.status, 405, "DELETE is not offered");
	result_free(&r);
	r = call("GET", "/services/rest/nothing/here", NULL, NULL, NULL);
	is_int(r.status, 404, "unknown REST path -> 404");
	result_free(&r);
}

static void test_concurrency(void)
{
	struct result r;
	int limit = bh_sim_ns_conc_limit(ns);

	bh_sim_ns_conc_set(ns, -1, limit);          /* other integrations hold every slot */
	r = call("GET", REST "customer/1", NULL, NULL, NULL);
	is_int(r.status, 429, "account concurrency limit reached -> 429");
	shape_is(&r, "error.concurrency-limit.response.json", true, "429 CONCURRENCY_LIMIT_EXCEEDED");
	result_free(&r);
	bh_sim_ns_conc_set(ns, -1, limit - 1);
	r = call("GET", REST "customer/1", NULL, NULL, NULL);
	ok(r.status != 429, "one slot free -> served");
	result_free(&r);
	bh_sim_ns_conc_set(ns, -1, 0);
	is_int(bh_sim_ns_conc_in_use(ns), 0, "every slot given back");
}

int main(void)
{
	/* the NetSuite service's state is the account (sim_ns_store.h) */
	ns = bh_sim_service_netsuite.create(NULL);
	if (!ns)
		return 1;
	test_auth();
	test_records();
	test_suiteql();
	test_errors();
	test_concurrency();
	bh_sim_service_netsuite.destroy(ns);
	return done_testing();
}
