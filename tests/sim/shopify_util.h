/*
 * tests/sim/shopify_util.h - helpers shared by the Shopify simulator tests
 * (tests/sim/shopify.c, tests/sim/shopify_gql.c): create the service, build requests,
 * call its handle/control functions directly (no HTTP), read reference fixtures, walk
 * JSON paths. Header-only (static functions); single-threaded use from the test's main.
 */
#ifndef BH_TEST_SHOPIFY_UTIL_H
#define BH_TEST_SHOPIFY_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "sim.h"
#include "tap.h"

#define TOKEN "shpat_test_token_0123456789abcdef"
#define API "/admin/api/2026-10"

struct shp_ans {
	int status;
	struct json_object *json;   /* parsed body or NULL */
	char *body;
	struct bh_sim_resp resp;    /* headers kept */
};

__attribute__((unused)) static void *shp_new(const char *opts_json)
{
	struct json_object *o = json_tokener_parse(opts_json ? opts_json : "{}");
	void *s = bh_sim_service_shopify.create(o);
	json_object_put(o);
	return s;
}

__attribute__((unused)) static void ans_free(struct shp_ans *a)
{
	json_object_put(a->json);
	free(a->body);
	bh_sim_resp_clear(&a->resp);
	memset(a, 0, sizeof(*a));
}

__attribute__((unused)) static const char *ans_header(const struct shp_ans *a, const char *name)
{
	for (size_t i = 0; i < a->resp.n_headers; i++)
		if (strcasecmp(a->resp.headers[i].name, name) == 0)
			return a->resp.headers[i].value;
	return NULL;
}

static void finish(struct shp_ans *a)
{
	a->status = a->resp.status;
	a->body = a->resp.body ? strdup(a->resp.body) : strdup("");
	a->json = json_tokener_parse(a->body);
}

/* A request to the service's own port. hdrs: NULL-terminated name/value pairs. */
__attribute__((unused)) static struct shp_ans shp_http(void *svc, const char *method, const char *path,
						       const char *query, const char *body,
						       const char *const *hdrs)
{
	struct bh_sim_header h[16];
	size_t n = 0;
	struct bh_sim_req req;
	struct shp_ans a;
	memset(&a, 0, sizeof(a));
	for (; hdrs && hdrs[0] && n < 16; hdrs += 2)
		h[n++] = (struct bh_sim_header){hdrs[0], hdrs[1]};
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.headers = h;
	req.n_headers = n;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	req.base_url = "http://127.0.0.1:9";
	bh_sim_service_shopify.handle(svc, &req, &a.resp);
	finish(&a);
	return a;
}

/* An authenticated REST GET. */
__attribute__((unused)) static struct shp_ans shp_get(void *svc, const char *path, const char *query)
{
	const char *h[] = {"X-Shopify-Access-Token", TOKEN, NULL};
	return shp_http(svc, "GET", path, query, NULL, h);
}

/* A control call. */
__attribute__((unused)) static struct shp_ans shp_ctl(void *svc, const char *method, const char *path,
						      const char *query, const char *body)
{
	struct bh_sim_req req;
	struct shp_ans a;
	memset(&a, 0, sizeof(a));
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	req.base_url = "";
	bh_sim_service_shopify.control(svc, &req, &a.resp);
	finish(&a);
	return a;
}

/* A GraphQL POST: query text and variables JSON text (or NULL). */
__attribute__((unused)) static struct shp_ans shp_gql(void *svc, const char *query, const char *vars)
{
	struct json_object *b = json_object_new_object();
	const char *h[] = {"X-Shopify-Access-Token", TOKEN, "Content-Type", "application/json", NULL};
	struct shp_ans a;
	json_object_object_add(b, "query", json_object_new_string(query));
	if (vars)
		json_object_object_add(b, "variables", json_tokener_parse(vars));
	a = shp_http(svc, "POST", API "/graphql.json", NULL,
		     json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN), h);
	json_object_put(b);
	return a;
}

/* Walk "a.b.0.c" (numbers index arrays). NULL when absent. */
__attribute__((unused)) static struct json_object *jp(struct json_object *o, const char *path)
{
	char buf[512], *save = NULL, *tok;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long i = strtol(tok, &end, 10);
			if (*end || i < 0 || (size_t)i >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_object_get_ex(o, tok, &o)) {
			return NULL;
		}
	}
	return o;
}

__attribute__((unused)) static const char *js(struct json_object *o, const char *path)
{
	struct json_object *v = jp(o, path);
	return v ? json_object_get_string(v) : NULL;
}

__attribute__((unused)) static long long ji(struct json_object *o, const char *path)
{
	struct json_object *v = jp(o, path);
	return v ? (long long)json_object_get_int64(v) : -999999;
}

/* A reference fixture's text, or NULL (caller skips). */
__attribute__((unused)) static char *ref_file(const char *name)
{
	const char *dir = tap_shared_dir();
	char path[4200];
	FILE *f;
	char *buf;
	long n;
	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/reference/shopify/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

/* Freeze the service clock (deterministic buckets and timestamps). */
__attribute__((unused)) static void shp_freeze(void *svc)
{
	struct shp_ans a = shp_ctl(svc, "POST", "/clock", NULL, "{\"frozen\":true}");
	ans_free(&a);
}

__attribute__((unused)) static void shp_advance(void *svc, long long ms)
{
	char b[64];
	struct shp_ans a;
	snprintf(b, sizeof(b), "{\"advance_ms\":%lld}", ms);
	a = shp_ctl(svc, "POST", "/clock", NULL, b);
	ans_free(&a);
}

/* POST /orders with a JSON text; returns the status. */
__attribute__((unused)) static int shp_post_orders(void *svc, const char *body)
{
	struct shp_ans a = shp_ctl(svc, "POST", "/orders", NULL, body);
	int st = a.status;
	if (st != 201)
		diag("POST /orders -> %d %s", st, a.body);
	ans_free(&a);
	return st;
}

#endif
