/*
 * framework.c - TAP tests of the backhaul-sim framework (no real service needed).
 *
 * A small test service ("testsvc") is defined here and served through sim_http.c on
 * 127.0.0.1:0; a libcurl client talks to it and to the control port. Covered: free and
 * distinct ports, request/response helpers (case-insensitive headers, query decoding,
 * raw body bytes, 413), keep-alive, fault rules (rate 1.0, count, operation matching,
 * latency, timeout, reset, seeded determinism), webhook delivery to a local MHD
 * receiver with retries and duplicates, in-process control calls, the control API,
 * crypto helpers, and the seed generator (determinism and exact arithmetic).
 * Asynchronous outcomes are awaited with deadlines (condition variables or polling),
 * never with fixed sleeps.
 */
#include "sim.h"
#include "sim_seed.h"
#include "tap.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <openssl/sha.h>

/* ------------------------------------------------------------------ test service */

static atomic_int handled_count;

static void testsvc_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object();
	char *qa, *qb, *qm;
	char *sha;

	(void)svc;
	if (strcmp(req->path, "/count") == 0) {
		atomic_fetch_add(&handled_count, 1);
		json_object_object_add(o, "count", json_object_new_int(atomic_load(&handled_count)));
		bh_sim_resp_json(resp, 200, o);
		return;
	}
	if (strncmp(req->path, "/status/", 8) == 0) {
		int st = atoi(req->path + 8);

		json_object_object_add(o, "status", json_object_new_int(st));
		bh_sim_resp_json(resp, st, o);
		bh_sim_resp_header(resp, "X-Status-Echo", req->path + 8);
		return;
	}
	if (strcmp(req->path, "/many-headers") == 0) {
		for (int i = 0; i < 20; i++) {
			char name[16];

			snprintf(name, sizeof(name), "X-H%d", i);
			bh_sim_resp_header(resp, name, "v");
		}
		bh_sim_resp_text(resp, 204, NULL, NULL, 0);
		json_object_put(o);
		return;
	}
	/* /echo and anything else */
	qa = bh_sim_req_query(req, "a");
	qb = bh_sim_req_query(req, "b");
	qm = bh_sim_req_query(req, "missing");
	sha = bh_sim_sha256_hex(req->body, req->body_len);
	json_object_object_add(o, "method", json_object_new_string(req->method));
	json_object_object_add(o, "path", json_object_new_string(req->path));
	json_object_object_add(o, "query", json_object_new_string(req->query));
	json_object_object_add(o, "a", qa ? json_object_new_string(qa) : NULL);
	json_object_object_add(o, "b", qb ? json_object_new_string(qb) : NULL);
	json_object_object_add(o, "missing_is_null", json_object_new_boolean(qm == NULL));
	json_object_object_add(o, "x_test",
			       bh_sim_req_header(req, "X-Test-Header")
				       ? json_object_new_string(bh_sim_req_header(req, "X-TEST-HEADER"))
				       : NULL);
	json_object_object_add(o, "body_len", json_object_new_int64((int64_t)req->body_len));
	json_object_object_add(o, "body_nul_terminated",
			       json_object_new_boolean(req->body[req->body_len] == '\0'));
	json_object_object_add(o, "body_sha256", json_object_new_string(sha ? sha : ""));
	json_object_object_add(o, "base_url", json_object_new_string(req->base_url));
	free(qa);
	free(qb);
	free(qm);
	free(sha);
	bh_sim_resp_json(resp, 200, o);
	bh_sim_resp_header(resp, "X-Served-By", "testsvc");
}

static void testsvc_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object();

	(void)svc;
	if (strcmp(req->path, "/nested") == 0) {
		struct bh_sim_resp inner;
		int rc = bh_sim_control_call("othersvc", "GET", "/hello", "x=1", NULL, &inner);

		json_object_object_add(o, "rc", json_object_new_int(rc));
		json_object_object_add(o, "inner_status", json_object_new_int(inner.status));
		json_object_object_add(o, "inner_body",
				       json_object_new_string(inner.body ? inner.body : ""));
		bh_sim_resp_clear(&inner);
		bh_sim_resp_json(resp, 200, o);
		return;
	}
	if (strcmp(req->path, "/nostatus") == 0) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "method", json_object_new_string(req->method));
	json_object_object_add(o, "path", json_object_new_string(req->path));
	json_object_object_add(o, "query", json_object_new_string(req->query));
	json_object_object_add(o, "body", json_object_new_string(req->body));
	json_object_object_add(o, "base_url", json_object_new_string(req->base_url));
	bh_sim_resp_json(resp, 200, o);
}

static void testsvc_op_name(void *svc, const struct bh_sim_req *req, char *buf, size_t len)
{
	const char *p = req->path + (req->path[0] == '/');
	size_t n = strcspn(p, "/");

	(void)svc;
	snprintf(buf, len, "test:%.*s", (int)n, p);
}

static void testsvc_fault(void *svc, enum bh_sim_fault f, const struct bh_sim_req *req,
			  struct bh_sim_resp *resp)
{
	(void)svc;
	(void)req;
	if (f == BH_SIM_FAULT_HTTP_429) {
		static const char body[] = "{\"errors\":\"THROTTLED-TEST\"}";

		bh_sim_resp_text(resp, 429, "application/json", body, sizeof(body) - 1);
		bh_sim_resp_header(resp, "Retry-After", "2.0");
	}
	/* Anything else: leave status 0 -> framework default. */
}

static const struct bh_sim_service testsvc = {
	.name = "testsvc",
	.handle = testsvc_handle,
	.control = testsvc_control,
	.op_name = testsvc_op_name,
	.fault = testsvc_fault,
};

static void othersvc_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char text[256];

	snprintf(text, sizeof(text), "{\"other\":\"%s\",\"state\":\"%s\",\"q\":\"%s\"}", req->path,
		 (const char *)svc, req->query);
	bh_sim_resp_text(resp, 201, "application/json", text, strlen(text));
}

static void othersvc_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	othersvc_control(svc, req, resp);
}

static const struct bh_sim_service othersvc = {
	.name = "othersvc",
	.handle = othersvc_handle,
	.control = othersvc_control,
};

/* Fake shopify/netsuite control handlers for the seed apply test. */
static struct json_object *fake_shopify_orders; /* what POST /orders received */
static struct json_object *fake_ns_items;

static void fake_shopify_control(void *svc, const struct bh_sim_req *req,
				 struct bh_sim_resp *resp)
{
	struct json_object *body = json_tokener_parse(req->body), *orders = NULL;
	struct json_object *ans = json_object_new_object();
	struct json_object *ids = json_object_new_array(), *names = json_object_new_array();

	(void)svc;
	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/orders") != 0 || !body ||
	    !json_object_object_get_ex(body, "orders", &orders)) {
		json_object_put(body);
		json_object_put(ans);
		json_object_put(ids);
		json_object_put(names);
		bh_sim_resp_text(resp, 400, "application/json", "{\"error\":\"bad\"}", 15);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		struct json_object *ord = json_object_array_get_idx(orders, i), *v;

		json_object_array_add(fake_shopify_orders, json_object_get(ord));
		json_object_object_get_ex(ord, "id", &v);
		json_object_array_add(ids, json_object_new_int64(json_object_get_int64(v)));
		json_object_object_get_ex(ord, "name", &v);
		json_object_array_add(names, json_object_get(v));
	}
	json_object_put(body);
	json_object_object_add(ans, "ids", ids);
	json_object_object_add(ans, "names", names);
	bh_sim_resp_json(resp, 200, ans);
}

static void fake_ns_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct json_object *body = json_tokener_parse(req->body), *items = NULL;
	struct json_object *ans = json_object_new_object(), *ids = json_object_new_array();

	(void)svc;
	if (!body || !json_object_object_get_ex(body, "items", &items)) {
		json_object_put(body);
		json_object_put(ans);
		json_object_put(ids);
		bh_sim_resp_text(resp, 400, "application/json", "{\"error\":\"bad\"}", 15);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object_array_add(fake_ns_items, json_object_get(json_object_array_get_idx(items, i)));
		json_object_array_add(ids, json_object_new_int64((int64_t)(500 + i)));
	}
	json_object_put(body);
	json_object_object_add(ans, "internal_ids", ids);
	bh_sim_resp_json(resp, 200, ans);
}

static const struct bh_sim_service fake_shopify = {
	.name = "shopify", .handle = fake_shopify_control, .control = fake_shopify_control,
};
static const struct bh_sim_service fake_netsuite = {
	.name = "netsuite", .handle = fake_ns_control, .control = fake_ns_control,
};

/* --------------------------------------------------------------------- HTTP client */

struct http_result {
	CURLcode cc;
	long status;
	char *body;
	size_t len;
	char headers[4096];
	double seconds;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct http_result *r = ud;
	char *b = realloc(r->body, r->len + sz * n + 1);

	if (!b)
		return 0;
	memcpy(b + r->len, p, sz * n);
	r->body = b;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct http_result *r = ud;
	size_t have = strlen(r->headers);

	if (have + sz * n + 1 < sizeof(r->headers)) {
		memcpy(r->headers + have, p, sz * n);
		r->headers[have + sz * n] = '\0';
	}
	return sz * n;
}

static void result_free(struct http_result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* One request on handle h (reused: keep-alive). body may be NULL. */
static void http(CURL *h, const char *method, const char *url, const char *const *hdrs,
		 const char *body, long body_len, long timeout_ms, struct http_result *r)
{
	struct curl_slist *sl = NULL;
	int64_t t0 = tap_mono_ms();

	memset(r, 0, sizeof(*r));
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
	/* the caller's headers first: curl honours the first Expect header it finds */
	for (size_t i = 0; hdrs && hdrs[i]; i++)
		sl = curl_slist_append(sl, hdrs[i]);
	sl = curl_slist_append(sl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body_len);
	}
	r->cc = curl_easy_perform(h);
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->seconds = (double)(tap_mono_ms() - t0) / 1000.0;
	curl_slist_free_all(sl);
}

static struct json_object *result_json(const struct http_result *r)
{
	return r->body ? json_tokener_parse(r->body) : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

/* -------------------------------------------------------------- webhook receiver */

struct received {
	char path[64];
	char sig[128];
	char *body;
	size_t len;
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct received rx[64];
static size_t n_rx;
static int fail_left_fail2 = 2;

struct rx_conn {
	char *body;
	size_t len;
};

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct rx_conn *rc = *con_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = 200;
	const char *sig;

	(void)cls;
	(void)method;
	(void)version;
	if (!rc) {
		rc = calloc(1, sizeof(*rc));
		*con_cls = rc;
		return MHD_YES;
	}
	if (*size) {
		rc->body = realloc(rc->body, rc->len + *size + 1);
		memcpy(rc->body + rc->len, data, *size);
		rc->len += *size;
		rc->body[rc->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test-Signature");
	pthread_mutex_lock(&rx_lock);
	if (n_rx < 64) {
		struct received *e = &rx[n_rx++];

		snprintf(e->path, sizeof(e->path), "%s", url);
		snprintf(e->sig, sizeof(e->sig), "%s", sig ? sig : "");
		e->body = rc->body ? strndup(rc->body, rc->len) : strdup("");
		e->len = rc->len;
	}
	if (strcmp(url, "/fail2") == 0 && fail_left_fail2 > 0) {
		fail_left_fail2--;
		status = 500;
	}
	if (strcmp(url, "/always500") == 0)
		status = 500;
	pthread_mutex_unlock(&rx_lock);
	r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void rx_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct rx_conn *rc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rc) {
		free(rc->body);
		free(rc);
		*con_cls = NULL;
	}
}

static size_t rx_count(const char *path)
{
	size_t n = 0;

	pthread_mutex_lock(&rx_lock);
	for (size_t i = 0; i < n_rx; i++)
		if (strcmp(rx[i].path, path) == 0)
			n++;
	pthread_mutex_unlock(&rx_lock);
	return n;
}

/* ------------------------------------------------------------------- money parsing */

/* "12.34" -> 1234; "-0.50" -> -50. Exactly two decimals required. */
static bool cents(const char *s, int64_t *out)
{
	int64_t v = 0;
	bool neg = false;
	const char *p = s;

	if (!s)
		return false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	if (p[0] != '.' || !(p[1] >= '0' && p[1] <= '9') || !(p[2] >= '0' && p[2] <= '9') || p[3])
		return false;
	v = v * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	*out = neg ? -v : v;
	return true;
}

static int64_t jcents(struct json_object *o, const char *key, bool *ok)
{
	int64_t v = 0;

	if (!cents(jstr(o, key), &v))
		*ok = false;
	return v;
}

/* ------------------------------------------------------------------------- tests */

/* A short pause between two checks of a polled condition (always with a deadline). */
static void poll_pause(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static CURL *h;
static char base[64], ctl[64];
static struct bh_sim_server *srv, *srv_small, *srv_ctl, *srv_other;

static void test_ports(void)
{
	char err[256] = "";
	struct bh_sim_http_opts o = { 0 };
	struct bh_sim_http_opts small = { .max_body = 1024 * 1024 };
	struct bh_sim_http_opts copts = { .no_faults = true };

	ok(bh_sim_registry_add(&testsvc, NULL) == 0, "register testsvc");
	ok(bh_sim_registry_add(&othersvc, (void *)"other-state") == 0, "register othersvc");
	ok(bh_sim_registry_add(&testsvc, NULL) != 0, "a second registration of a name is refused");
	srv = bh_sim_http_start(&testsvc, NULL, &o, err, sizeof(err));
	srv_small = bh_sim_http_start(&testsvc, NULL, &small, err, sizeof(err));
	srv_other = bh_sim_http_start(&othersvc, (void *)"other-state", &o, err, sizeof(err));
	srv_ctl = bh_sim_http_start(&bh_sim_control_service, NULL, &copts, err, sizeof(err));
	if (!ok(srv && srv_small && srv_ctl && srv_other, "servers start on port 0 (%s)", err)) {
		done_testing();
		exit(1);
	}
	ok(bh_sim_http_port(srv) > 0 && bh_sim_http_port(srv_ctl) > 0, "ports are read back");
	ok(bh_sim_http_port(srv) != bh_sim_http_port(srv_small) &&
		   bh_sim_http_port(srv) != bh_sim_http_port(srv_ctl) &&
		   bh_sim_http_port(srv_small) != bh_sim_http_port(srv_ctl) &&
		   bh_sim_http_port(srv_other) != bh_sim_http_port(srv),
	   "ports are distinct");
	{
		struct bh_sim_http_opts same = { .port = bh_sim_http_port(srv) };
		struct bh_sim_server *dup = bh_sim_http_start(&testsvc, NULL, &same, err, sizeof(err));

		ok(dup == NULL && strstr(err, "cannot listen") != NULL,
		   "a busy port is refused with a message (%s)", err);
		bh_sim_http_stop(dup);
	}
	bh_sim_registry_set_port("testsvc", bh_sim_http_port(srv));
	bh_sim_registry_set_port("othersvc", bh_sim_http_port(srv_other));
	bh_sim_registry_set_port("control", bh_sim_http_port(srv_ctl));
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)bh_sim_http_port(srv));
	snprintf(ctl, sizeof(ctl), "http://127.0.0.1:%u", (unsigned)bh_sim_http_port(srv_ctl));
	is_str(bh_sim_http_base_url(srv), base, "base_url names 127.0.0.1 and the port");
}

static void test_request_helpers(void)
{
	struct http_result r;
	struct json_object *j;
	char url[256];
	static const char *const hdrs[] = { "x-TeSt-HeAdEr: hello there", NULL };
	unsigned char *bin = malloc(100000);
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *want;

	snprintf(url, sizeof(url), "%s/echo/x?a=hello%%20world&b=x%%2By+z&a=second&flag", base);
	http(h, "GET", url, hdrs, NULL, 0, 0, &r);
	j = result_json(&r);
	is_int(r.status, 200, "GET /echo answers 200");
	is_str(jstr(j, "path"), "/echo/x", "path without the query");
	is_str(jstr(j, "query"), "a=hello%20world&b=x%2By+z&a=second&flag", "raw query kept");
	is_str(jstr(j, "a"), "hello world", "query: %%20 decoded, first occurrence wins");
	is_str(jstr(j, "b"), "x+y z", "query: %%2B is '+', '+' is a space");
	ok(json_object_get_boolean(json_object_object_get(j, "missing_is_null")),
	   "query: absent parameter gives NULL");
	is_str(jstr(j, "x_test"), "hello there", "headers are found case-insensitively");
	is_str(jstr(j, "base_url"), base, "req->base_url is the service's URL");
	ok(strcasestr(r.headers, "X-Served-By: testsvc") != NULL, "response header added");
	ok(strcasestr(r.headers, "Content-Type: application/json") != NULL,
	   "JSON content type");
	json_object_put(j);
	result_free(&r);

	for (size_t i = 0; i < 100000; i++)
		bin[i] = (unsigned char)(1 + (i * 7919) % 255); /* every byte value but NUL */
	SHA256(bin, 100000, md);
	want = bh_sim_hex(md, sizeof(md));
	snprintf(url, sizeof(url), "%s/echo", base);
	http(h, "POST", url, NULL, (const char *)bin, 100000, 0, &r);
	j = result_json(&r);
	is_int(jint(j, "body_len"), 100000, "raw body length intact");
	is_str(jstr(j, "body_sha256"), want, "raw body bytes intact (sha256)");
	ok(json_object_get_boolean(json_object_object_get(j, "body_nul_terminated")),
	   "body is NUL-terminated for the handler");
	json_object_put(j);
	result_free(&r);
	free(want);
	free(bin);

	snprintf(url, sizeof(url), "%s/status/418", base);
	http(h, "DELETE", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 418, "handler status passed through");
	ok(strcasestr(r.headers, "X-Status-Echo: 418") != NULL, "header passed through");
	result_free(&r);

	snprintf(url, sizeof(url), "%s/many-headers", base);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 204, "204 without a body");
	ok(strcasestr(r.headers, "X-H15: v") && !strcasestr(r.headers, "X-H16:"),
	   "headers beyond 16 are ignored");
	result_free(&r);
}

static void test_keepalive_and_limits(void)
{
	struct http_result r;
	char url[128];
	long connects = 0, total = 0;
	char *big = malloc(1024 * 1024 + 2);

	snprintf(url, sizeof(url), "%s/echo", base);
	for (int i = 0; i < 50; i++) {
		http(h, "GET", url, NULL, NULL, 0, 0, &r);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
		total += connects;
		result_free(&r);
	}
	ok(total <= 1, "50 requests reuse one keep-alive connection (%ld new)", total);

	memset(big, 'x', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", (unsigned)bh_sim_http_port(srv_small));
	http(h, "POST", url, NULL, big, 1024 * 1024, 0, &r);
	is_int(r.status, 200, "a body at the limit is accepted");
	result_free(&r);
	{
		/* Like real clients with large bodies, ask first (100-continue): the 413 then
		 * arrives before any body byte is sent, with no race against a reset. */
		static const char *const expect[] = { "Expect: 100-continue", NULL };

		http(h, "POST", url, expect, big, 1024 * 1024 + 1, 0, &r);
	}
	is_int(r.status, 413, "a body over the limit (Content-Length) -> 413");
	ok(r.body && strstr(r.body, "too large"), "413 says why");
	result_free(&r);
	{
		/* Chunked upload: no Content-Length, the limit is found while reading. */
		static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };

		http(h, "POST", url, chunked, big, 1024 * 1024 + 1, 0, &r);
		is_int(r.status, 413, "a chunked body over the limit -> 413");
		result_free(&r);
	}
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 200, "the server still serves after a 413");
	result_free(&r);
	free(big);
}

struct hammer {
	char url[128];
	int ok;
};

static void *hammer_thread(void *arg)
{
	struct hammer *hm = arg;
	CURL *c = curl_easy_init();
	struct http_result r;

	for (int i = 0; i < 200; i++) {
		http(c, "GET", hm->url, NULL, NULL, 0, 0, &r);
		if (r.status == 200)
			hm->ok++;
		result_free(&r);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void test_concurrency(void)
{
	pthread_t t[4];
	struct hammer hm[4];
	int total = 0;

	for (int i = 0; i < 4; i++) {
		snprintf(hm[i].url, sizeof(hm[i].url), "%s/count", base);
		hm[i].ok = 0;
		pthread_create(&t[i], NULL, hammer_thread, &hm[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += hm[i].ok;
	}
	is_int(total, 800, "4 concurrent clients x 200 requests all answered");
	is_int(atomic_load(&handled_count), 800, "every request reached the handler once");
}

static int add_fault(const char *json)
{
	struct http_result r;
	char url[128];
	struct json_object *j;
	int id;

	snprintf(url, sizeof(url), "%s/control/faults", ctl);
	http(h, "POST", url, NULL, json, (long)strlen(json), 0, &r);
	j = result_json(&r);
	id = r.status == 200 ? (int)jint(j, "id") : -r.status;
	json_object_put(j);
	result_free(&r);
	return id;
}

static long get_status(const char *path, long timeout_ms, CURLcode *cc)
{
	struct http_result r;
	char url[256];
	long st;

	snprintf(url, sizeof(url), "%s%s", base, path);
	http(h, "GET", url, NULL, NULL, 0, timeout_ms, &r);
	st = r.status;
	if (cc)
		*cc = r.cc;
	result_free(&r);
	return st;
}

static void test_faults(void)
{
	struct http_result r;
	char url[128];
	int id, before;
	CURLcode cc;
	int64_t t0, deadline;

	/* Rate 1.0 on one operation only. */
	id = add_fault("{\"service\":\"testsvc\",\"operation\":\"test:echo\",\"rate_5xx\":1.0}");
	ok(id > 0, "POST /control/faults -> id %d", id);
	is_int(get_status("/echo", 0, NULL), 503, "rate_5xx 1.0: the matching operation fails");
	is_int(get_status("/echo", 0, NULL), 503, "... every time");
	is_int(get_status("/count", 0, NULL), 200, "another operation is untouched");
	snprintf(url, sizeof(url), "%s/echo", base);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	ok(r.body && strstr(r.body, "\"error\""), "default fault shape is {\"error\":...}");
	result_free(&r);
	{
		char del[128];

		snprintf(del, sizeof(del), "%s/control/faults/%d", ctl, id);
		http(h, "DELETE", del, NULL, NULL, 0, 0, &r);
		is_int(r.status, 200, "DELETE /control/faults/<id>");
		result_free(&r);
		http(h, "DELETE", del, NULL, NULL, 0, 0, &r);
		is_int(r.status, 404, "deleting it again -> 404");
		result_free(&r);
	}
	is_int(get_status("/echo", 0, NULL), 200, "after deletion the operation works");

	/* count: one-shot errors in the service's own shape. */
	id = add_fault("{\"service\":\"testsvc\",\"rate_429\":1,\"count\":2}");
	snprintf(url, sizeof(url), "%s/echo", base);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 429, "count 2: first request 429");
	is_str(r.body, "{\"errors\":\"THROTTLED-TEST\"}", "the service's fault callback shapes it");
	ok(strcasestr(r.headers, "Retry-After: 2.0") != NULL, "with its headers");
	result_free(&r);
	is_int(get_status("/count", 0, NULL), 429, "count 2: second request 429 (any operation)");
	is_int(get_status("/echo", 0, NULL), 200, "count 2: third request normal");
	snprintf(url, sizeof(url), "%s/control/faults", ctl);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	ok(r.body && strstr(r.body, "\"faults\":[]"), "an expired rule is gone from the list");
	result_free(&r);

	/* Prefix match and service mismatch. */
	id = add_fault("{\"service\":\"othersvc\",\"rate_5xx\":1}");
	is_int(get_status("/echo", 0, NULL), 200, "a rule for another service does not apply");
	bh_sim_faults_remove(id);
	id = add_fault("{\"service\":\"*\",\"operation\":\"test:st*\",\"rate_soap_fault\":1}");
	is_int(get_status("/status/200", 0, NULL), 500, "prefix operation match (test:st*)");
	is_int(get_status("/echo", 0, NULL), 200, "prefix does not match test:echo");
	bh_sim_faults_remove(id);

	/* Latency, applied before the handler. */
	id = add_fault("{\"service\":\"testsvc\",\"operation\":\"test:echo\",\"latency_ms\":300,\"count\":1}");
	t0 = tap_mono_ms();
	is_int(get_status("/echo", 0, NULL), 200, "latency rule: still answered");
	ok(tap_mono_ms() - t0 >= 300, "latency 300 ms applied (%" PRId64 " ms)", tap_mono_ms() - t0);
	t0 = tap_mono_ms();
	get_status("/echo", 0, NULL);
	ok(tap_mono_ms() - t0 < 300, "count 1: the next request is not delayed");

	/* Timeout: hold past the client's timeout; the handler does not run. */
	before = atomic_load(&handled_count);
	id = add_fault("{\"service\":\"testsvc\",\"rate_timeout\":1,\"timeout_ms\":800,\"count\":1}");
	get_status("/count", 200, &cc);
	is_int(cc, CURLE_OPERATION_TIMEDOUT, "timeout fault: the client times out");
	is_int(atomic_load(&handled_count), before, "timeout fault: the handler did not run");
	/* timeout_processed: the request takes effect, the answer never comes in time. */
	id = add_fault("{\"service\":\"testsvc\",\"rate_timeout\":1,\"timeout_ms\":800,"
		       "\"timeout_processed\":true,\"count\":1}");
	get_status("/count", 200, &cc);
	is_int(cc, CURLE_OPERATION_TIMEDOUT, "timeout_processed: the client times out");
	deadline = tap_mono_ms() + 3000;
	while (atomic_load(&handled_count) == before && tap_mono_ms() < deadline)
		poll_pause();
	is_int(atomic_load(&handled_count), before + 1, "timeout_processed: the handler ran");

	/* Reset: no answer at all. */
	id = add_fault("{\"service\":\"testsvc\",\"rate_reset\":1,\"count\":1}");
	get_status("/echo", 0, &cc);
	ok(cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR,
	   "reset fault: connection closed without a response (curl %d)", (int)cc);
	is_int(get_status("/echo", 0, NULL), 200, "after the reset the service answers");

	/* Validation of rules. */
	ok(add_fault("{\"rate_5xx\":1,\"bogus\":1}") == -400, "unknown rule field -> 400");
	ok(add_fault("{\"rate_5xx\":0.7,\"rate_429\":0.7}") == -400, "rates above 1 in sum -> 400");
	ok(add_fault("{\"count\":0,\"rate_5xx\":1}") == -400, "count 0 -> 400");
	ok(add_fault("[1]") == -400, "non-object body -> 400");
	(void)id;

	/* Determinism: same seed, same draws. */
	{
		char err[128];
		struct json_object *spec = json_tokener_parse(
			"{\"service\":\"det\",\"rate_5xx\":0.3,\"rate_429\":0.2}");
		char seq1[201], seq2[201];
		int faults = 0;

		for (int round = 0; round < 2; round++) {
			char *seq = round ? seq2 : seq1;
			int rid;

			bh_sim_faults_clear();
			bh_sim_faults_seed(1234);
			rid = bh_sim_faults_add(spec, err, sizeof(err));
			(void)rid;
			for (int i = 0; i < 200; i++) {
				struct bh_sim_fault_action act;

				bh_sim_fault_check("det", "x", &act);
				seq[i] = (char)('0' + act.fault);
				if (round == 0 && act.fault != BH_SIM_FAULT_NONE)
					faults++;
			}
			seq[200] = '\0';
		}
		is_str(seq2, seq1, "same fault seed -> same fault sequence");
		ok(faults > 60 && faults < 140, "rate 0.5 in total -> about half faulted (%d/200)",
		   faults);
		json_object_put(spec);
		bh_sim_faults_clear();
	}
	ok(!bh_sim_faults_active(), "no rules left");
}

struct held_req {
	char url[128];
	long status;
};

static void *held_thread(void *arg)
{
	struct held_req *hr = arg;
	CURL *c = curl_easy_init();
	struct http_result r;

	http(c, "GET", hr->url, NULL, NULL, 0, 20000, &r);
	hr->status = r.status;
	result_free(&r);
	curl_easy_cleanup(c);
	return NULL;
}

static void test_stop_releases_holds(void)
{
	char err[128];
	struct bh_sim_http_opts o = { 0 };
	struct bh_sim_server *s2;
	struct held_req hr;
	pthread_t t;
	struct json_object *spec, *list;
	int64_t deadline, t0;
	bool seen = false;

	/* A service must be named in rules: use othersvc's descriptor on a new server. */
	s2 = bh_sim_http_start(&othersvc, (void *)"s2", &o, err, sizeof(err));
	spec = json_tokener_parse("{\"service\":\"othersvc\",\"latency_ms\":20000}");
	bh_sim_faults_add(spec, err, sizeof(err));
	json_object_put(spec);
	snprintf(hr.url, sizeof(hr.url), "http://127.0.0.1:%u/x", (unsigned)bh_sim_http_port(s2));
	hr.status = -1;
	pthread_create(&t, NULL, held_thread, &hr);
	deadline = tap_mono_ms() + 5000;
	while (!seen && tap_mono_ms() < deadline) {
		struct json_object *a, *m;

		list = bh_sim_faults_list();
		a = json_object_object_get(list, "faults");
		m = json_object_array_length(a) ? json_object_object_get(json_object_array_get_idx(a, 0),
									"matched")
						: NULL;
		seen = m && json_object_get_int64(m) >= 1;
		json_object_put(list);
		if (!seen)
			poll_pause();
	}
	ok(seen, "a request is being held by a 20 s latency rule");
	t0 = tap_mono_ms();
	bh_sim_http_stop(s2);
	ok(tap_mono_ms() - t0 < 2000, "stopping the server releases it at once (%" PRId64 " ms)",
	   tap_mono_ms() - t0);
	pthread_join(t, NULL);
	bh_sim_faults_clear();
}

static void test_webhooks(void)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	char url[128], dead_url[128];
	unsigned port;
	struct bh_sim_webhook_cfg cfg = { .max_attempts = 3, .backoff_initial_ms = 50,
					  .backoff_max_ms = 200, .timeout_ms = 2000 };
	struct bh_sim_webhook_stats st;
	struct bh_sim_header hdrs[] = { { "X-Test-Signature", "sig-1" },
					{ "Content-Type", "application/json" } };
	int64_t t0;
	struct http_result r;
	char ctl_url[160];

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_POLL,
			     0, NULL, NULL, rx_handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, rx_completed, NULL, MHD_OPTION_END);
	if (!ok(d != NULL, "webhook receiver listening"))
		return;
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	bh_sim_webhook_configure(&cfg);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/fail2", port);
	bh_sim_webhook_send(url, hdrs, 2, "{\"n\":1}", 7, false);
	bh_sim_webhook_stats(&st);
	/* Delivery needs two failed attempts and >= 175 ms of back-off: still pending. */
	is_int((long long)st.pending, 1, "send returns before the delivery is done");
	ok(bh_sim_webhook_wait_idle(10000), "delivery finished (wait_idle)");
	is_int((long long)rx_count("/fail2"), 3, "two 500s then a 200: three attempts");
	pthread_mutex_lock(&rx_lock);
	{
		bool same = true;

		for (size_t i = 0; i < n_rx; i++)
			same = same && strcmp(rx[i].body, "{\"n\":1}") == 0 &&
			       strcmp(rx[i].sig, "sig-1") == 0;
		ok(same, "every attempt carries the same body and headers");
	}
	pthread_mutex_unlock(&rx_lock);
	bh_sim_webhook_stats(&st);
	is_int((long long)st.sent, 1, "stats: sent 1");
	is_int((long long)st.attempts, 3, "stats: attempts 3");

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/dup", port);
	bh_sim_webhook_send(url, hdrs, 1, "{\"n\":2}", 7, true);
	ok(bh_sim_webhook_wait_idle(10000), "dup delivery finished");
	is_int((long long)rx_count("/dup"), 2, "dup=true delivers twice");

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/always500", port);
	bh_sim_webhook_send(url, NULL, 0, "x", 1, false);
	/* A port that refuses connections: find one by binding and closing a server. */
	{
		char err[64];
		struct bh_sim_http_opts o = { 0 };
		struct bh_sim_server *tmp = bh_sim_http_start(&othersvc, NULL, &o, err, sizeof(err));

		snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%u/gone",
			 (unsigned)bh_sim_http_port(tmp));
		bh_sim_http_stop(tmp);
	}
	bh_sim_webhook_send(dead_url, NULL, 0, "y", 1, false);
	snprintf(ctl_url, sizeof(ctl_url), "%s/control/webhooks?wait_ms=10000", ctl);
	http(h, "GET", ctl_url, NULL, NULL, 0, 15000, &r);
	{
		struct json_object *j = result_json(&r);

		ok(json_object_get_boolean(json_object_object_get(j, "idle")),
		   "GET /control/webhooks?wait_ms waits until idle");
		is_int(jint(j, "failed"), 2, "always-500 and refused deliveries fail after max attempts");
		is_int(jint(j, "sent"), 3, "3 delivered in all");
		is_int(jint(j, "pending"), 0, "nothing pending");
		json_object_put(j);
	}
	result_free(&r);
	is_int((long long)rx_count("/always500"), 3, "always-500 tried max_attempts (3) times");

	/* Shutdown with a delivery waiting for its retry: dropped, thread joined. */
	bh_sim_webhook_send(url, NULL, 0, "z", 1, false);
	t0 = tap_mono_ms();
	bh_sim_webhook_shutdown();
	ok(tap_mono_ms() - t0 < 2000, "shutdown is prompt");
	bh_sim_webhook_stats(&st);
	is_int((long long)st.pending, 0, "shutdown leaves nothing pending");
	/* And a later send restarts the thread. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/again", port);
	bh_sim_webhook_send(url, NULL, 0, "{}", 2, false);
	ok(bh_sim_webhook_wait_idle(10000) && rx_count("/again") == 1,
	   "a send after shutdown restarts delivery");
	bh_sim_webhook_shutdown();
	MHD_stop_daemon(d);
	pthread_mutex_lock(&rx_lock);
	for (size_t i = 0; i < n_rx; i++)
		free(rx[i].body);
	n_rx = 0;
	pthread_mutex_unlock(&rx_lock);
}

static void test_control(void)
{
	struct bh_sim_resp resp;
	struct json_object *j;
	struct http_result r;
	char url[256];
	char want_ports[128];

	is_int(bh_sim_control_call("testsvc", "POST", "/ping?x=1&y=%232", NULL, "{\"a\":1}", &resp), 0,
	       "in-process control call");
	j = json_tokener_parse(resp.body);
	is_int(resp.status, 200, "in-process: status");
	is_str(jstr(j, "path"), "/ping", "in-process: query split from the path");
	is_str(jstr(j, "query"), "x=1&y=%232", "in-process: raw query");
	is_str(jstr(j, "body"), "{\"a\":1}", "in-process: body");
	is_str(jstr(j, "base_url"), base, "in-process: base_url from the registered port");
	json_object_put(j);
	bh_sim_resp_clear(&resp);
	ok(resp.body == NULL && resp.status == 0, "resp_clear zeroes");

	ok(bh_sim_control_call("nosuch", "GET", "/", NULL, NULL, &resp) == -1,
	   "in-process call to an unregistered service -> -1");
	bh_sim_control_call("testsvc", "GET", "/nested", NULL, NULL, &resp);
	j = json_tokener_parse(resp.body);
	is_int(jint(j, "inner_status"), 201, "a control handler can call another service");
	is_str(jstr(j, "inner_body"), "{\"other\":\"/hello\",\"state\":\"other-state\",\"q\":\"x=1\"}",
	       "with that service's state");
	json_object_put(j);
	bh_sim_resp_clear(&resp);
	bh_sim_control_call("testsvc", "GET", "/nostatus", NULL, NULL, &resp);
	is_int(resp.status, 500, "a handler that sets no status -> 500");
	bh_sim_resp_clear(&resp);

	snprintf(url, sizeof(url), "%s/control/testsvc/ping/deep?q=%%2F", ctl);
	http(h, "PUT", url, NULL, "body!", 5, 0, &r);
	j = result_json(&r);
	is_int(r.status, 200, "control port routes /control/<service>/...");
	is_str(jstr(j, "path"), "/ping/deep", "prefix stripped");
	is_str(jstr(j, "method"), "PUT", "method kept");
	is_str(jstr(j, "query"), "q=%2F", "query kept");
	is_str(jstr(j, "body"), "body!", "body kept");
	json_object_put(j);
	result_free(&r);

	snprintf(url, sizeof(url), "%s/control/ports", ctl);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	snprintf(want_ports, sizeof(want_ports), "{\"testsvc\":%u,\"othersvc\":%u,\"control\":%u}",
		 (unsigned)bh_sim_http_port(srv), (unsigned)bh_sim_http_port(srv_other),
		 (unsigned)bh_sim_http_port(srv_ctl));
	is_str(r.body, want_ports, "GET /control/ports");
	result_free(&r);
	snprintf(url, sizeof(url), "%s/control/health", ctl);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	ok(r.status == 200 && r.body && strstr(r.body, "\"status\":\"ok\"") &&
		   strstr(r.body, "\"services\":[\"testsvc\",\"othersvc\"]"),
	   "GET /control/health lists the services");
	result_free(&r);
	snprintf(url, sizeof(url), "%s/control/nosuch/x", ctl);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 404, "unknown service -> 404");
	ok(r.body && strstr(r.body, "\"error\""), "... with {\"error\":...}");
	result_free(&r);
	snprintf(url, sizeof(url), "%s/other", ctl);
	http(h, "GET", url, NULL, NULL, 0, 0, &r);
	is_int(r.status, 404, "a path outside /control -> 404");
	result_free(&r);
	snprintf(url, sizeof(url), "%s/control/faults", ctl);
	http(h, "PUT", url, NULL, "{}", 2, 0, &r);
	is_int(r.status, 405, "wrong method -> 405");
	result_free(&r);
	{
		/* Faults never apply to the control port. */
		int id = add_fault("{\"rate_5xx\":1}");

		snprintf(url, sizeof(url), "%s/control/health", ctl);
		http(h, "GET", url, NULL, NULL, 0, 0, &r);
		is_int(r.status, 200, "a '*' fault rule does not touch the control port");
		result_free(&r);
		snprintf(url, sizeof(url), "%s/control/faults", ctl);
		http(h, "DELETE", url, NULL, NULL, 0, 0, &r);
		ok(r.status == 200 && !bh_sim_faults_active(), "DELETE /control/faults clears all");
		result_free(&r);
		(void)id;
	}
}

static void test_crypto(void)
{
	char *s;
	unsigned char *d;
	size_t n = 0;
	char uuid[37];

	s = bh_sim_hmac_b64("key", "abc", 3);
	is_str(s, "nBluMtwBdfhvSxy4konWYZ3mvuaZ5MN45oMJ7Zehpqs=", "HMAC vector key/abc");
	free(s);
	s = bh_sim_hmac_b64("hush", "{}", 2);
	is_str(s, "UFwgrGBPZilFtmKh8TqcovA78LGYb1BdWu9I4Q2oyRg=", "HMAC vector hush/{}");
	free(s);
	{
		static const char body[] =
			"{\"id\":820982911946154508,\"email\":\"jon@example.com\",\"note\":\"caf\xc3\xa9\"}";

		s = bh_sim_hmac_b64("hush", body, sizeof(body) - 1);
		is_str(s, "ZFuR67QvKjhqpf6J7YUyBGfa2amYeTtw5lRhiua45E4=", "HMAC vector with UTF-8");
		free(s);
	}
	s = bh_sim_sha256_hex("abc", 3);
	is_str(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 hex");
	free(s);
	s = bh_sim_b64("ab", 2);
	is_str(s, "YWI=", "base64 with padding");
	d = bh_sim_b64_decode(s, &n);
	ok(d && n == 2 && memcmp(d, "ab", 2) == 0, "base64 decode drops padding bytes");
	free(d);
	free(s);
	ok(bh_sim_b64_decode("YWI", &n) == NULL, "malformed base64 -> NULL");
	ok(bh_sim_str_eq_ct("abc", "abc") && !bh_sim_str_eq_ct("abc", "abd") &&
		   !bh_sim_str_eq_ct("abc", "ab") && !bh_sim_str_eq_ct(NULL, "a"),
	   "constant-time string compare");
	bh_sim_uuid(uuid);
	ok(strlen(uuid) == 36 && uuid[14] == '4' && uuid[8] == '-' && strchr("89ab", uuid[19]),
	   "uuid v4 shape (%s)", uuid);
}

/* Reconcile every order exactly; returns the number of orders that failed. */
static int check_order_arithmetic(struct json_object *data, unsigned tax_ppm, int *beyond53,
				  int *below53, int *split, int *codes, int *line_disc)
{
	struct json_object *orders = json_object_object_get(data, "orders");
	struct json_object *items = json_object_object_get(data, "items");
	int bad = 0;
	int64_t prev_id = 0;

	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		struct json_object *o = json_object_array_get_idx(orders, i);
		struct json_object *lines = json_object_object_get(o, "line_items");
		struct json_object *ships = json_object_object_get(o, "shipping_lines");
		struct json_object *txns = json_object_object_get(o, "transactions");
		struct json_object *dcs = json_object_object_get(o, "discount_codes");
		struct json_object *apps = json_object_object_get(o, "discount_applications");
		bool okk = true;
		int64_t lip = 0, disc = 0, tax = 0, ship = 0, tend = 0, code_alloc = 0;
		int64_t id = jint(o, "id");
		int code_index = -1;

		for (size_t k = 0; k < json_object_array_length(apps); k++)
			if (strcmp(jstr(json_object_array_get_idx(apps, k), "type"), "discount_code") == 0)
				code_index = (int)k;
		if (id > 9007199254740992LL)
			(*beyond53)++;
		else
			(*below53)++;
		if (id <= prev_id)
			okk = false;
		prev_id = id;
		for (size_t k = 0; k < json_object_array_length(lines); k++) {
			struct json_object *l = json_object_array_get_idx(lines, k);
			struct json_object *al = json_object_object_get(l, "discount_allocations");
			struct json_object *tl = json_object_object_get(l, "tax_lines");
			int64_t price = jcents(l, "price", &okk), qty = jint(l, "quantity");
			int64_t ldisc = 0, ltax = 0;
			bool found = false;

			for (size_t m = 0; m < json_object_array_length(items); m++)
				found = found || strcmp(jstr(json_object_array_get_idx(items, m), "sku"),
							jstr(l, "sku")) == 0;
			if (!found)
				okk = false;
			lip += price * qty;
			for (size_t m = 0; m < json_object_array_length(al); m++) {
				struct json_object *a = json_object_array_get_idx(al, m);
				int64_t amt = jcents(a, "amount", &okk);

				ldisc += amt;
				if (jint(a, "discount_application_index") == code_index)
					code_alloc += amt;
				else
					(*line_disc)++;
			}
			for (size_t m = 0; m < json_object_array_length(tl); m++)
				ltax += jcents(json_object_array_get_idx(tl, m), "price", &okk);
			/* Per-unit tax rule: qty x round_half_up(unit net x rate). */
			if (ldisc % qty == 0 && json_object_get_boolean(json_object_object_get(l, "taxable"))) {
				int64_t unit_net = price - ldisc / qty;

				if (ltax != qty * ((unit_net * tax_ppm + 500000) / 1000000))
					okk = false;
			} else if (json_object_get_boolean(json_object_object_get(l, "taxable"))) {
				okk = false; /* allocations must be whole cents per unit */
			}
			disc += ldisc;
			tax += ltax;
		}
		for (size_t k = 0; k < json_object_array_length(ships); k++)
			ship += jcents(json_object_array_get_idx(ships, k), "price", &okk);
		for (size_t k = 0; k < json_object_array_length(txns); k++)
			tend += jcents(json_object_array_get_idx(txns, k), "amount", &okk);
		if (json_object_array_length(txns) > 1)
			(*split)++;
		if (json_object_array_length(dcs) > 0) {
			(*codes)++;
			if (jcents(json_object_array_get_idx(dcs, 0), "amount", &okk) != code_alloc)
				okk = false;
		}
		if (jcents(o, "total_line_items_price", &okk) != lip ||
		    jcents(o, "total_discounts", &okk) != disc ||
		    jcents(o, "subtotal_price", &okk) != lip - disc ||
		    jcents(o, "total_tax", &okk) != tax ||
		    jcents(o, "total_price", &okk) != lip - disc + tax + ship || tend != lip - disc + tax + ship)
			okk = false;
		if (!okk) {
			if (bad < 3)
				diag("order %s does not reconcile", jstr(o, "name"));
			bad++;
		}
	}
	return bad;
}

static void test_seed(void)
{
	struct bh_sim_seed_opts o;
	struct json_object *a, *b, *c, *opts;
	char err[256] = "";
	char *sa, *sb;
	int beyond = 0, below = 0, split = 0, codes = 0, line_disc = 0;

	bh_sim_seed_defaults(&o);
	a = bh_sim_seed_generate(&o, err, sizeof(err));
	b = bh_sim_seed_generate(&o, err, sizeof(err));
	sa = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	sb = strdup(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
	ok(a && b && strcmp(sa, sb) == 0, "same seed twice -> byte-identical JSON (%zu bytes)",
	   strlen(sa));
	o.seed = 43;
	c = bh_sim_seed_generate(&o, err, sizeof(err));
	ok(strcmp(sa, json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN)) != 0,
	   "a different seed -> different data");
	json_object_put(c);
	is_int((long long)json_object_array_length(json_object_object_get(a, "orders")), 200,
	       "200 orders by default");
	is_int((long long)json_object_array_length(json_object_object_get(a, "items")), 45,
	       "40 items + 5 special items");
	is_str(jstr(json_object_array_get_idx(json_object_object_get(a, "items"), 0), "sku"),
	       "TEE-BLK-M", "scenario SKUs come first");
	is_str(jstr(json_object_array_get_idx(json_object_object_get(a, "orders"), 0), "name"), "#1001",
	       "order names start at #1001");
	is_int(check_order_arithmetic(a, 80000, &beyond, &below, &split, &codes, &line_disc), 0,
	       "every order reconciles exactly (lines - discounts + tax + shipping = total = tenders)");
	ok(beyond > 20 && below > 20, "order ids on both sides of 2^53 (%d above, %d below)", beyond,
	   below);
	ok(split > 5, "split tenders present (%d)", split);
	ok(codes > 10 && line_disc > 5, "order codes (%d) and line discounts (%d) present", codes,
	   line_disc);
	ok(strstr(sa, "\"rate\":0.08") != NULL, "tax rate serialised exactly as 0.08");
	ok(strstr(sa, "\"gateway\":\"gift_card\"") != NULL, "gift card tenders present");
	{
		/* An id beyond 2^53 survives JSON text exactly (odd: not a double). */
		struct json_object *orders = json_object_object_get(a, "orders");
		struct json_object *last = json_object_array_get_idx(orders, 199);
		char idtxt[32];
		struct json_object *re;

		snprintf(idtxt, sizeof(idtxt), "%" PRId64, jint(last, "id"));
		re = json_tokener_parse(json_object_to_json_string(last));
		ok(jint(re, "id") == jint(last, "id") && strstr(sa, idtxt),
		   "ids beyond 2^53 round-trip exactly (%s)", idtxt);
		json_object_put(re);
	}
	free(sa);
	free(sb);
	json_object_put(a);
	json_object_put(b);

	/* Options from JSON; another tax rate reconciles too. */
	bh_sim_seed_defaults(&o);
	opts = json_tokener_parse("{\"seed\":9,\"orders\":60,\"items\":12,\"customers\":0,"
				  "\"tax_rate\":\"0.0825\",\"start\":\"2026-12-01T10:00:00Z\","
				  "\"order_name_start\":5000}");
	is_int(bh_sim_seed_opts_from_json(&o, opts, err, sizeof(err)), 0, "seed options parse");
	json_object_put(opts);
	a = bh_sim_seed_generate(&o, err, sizeof(err));
	beyond = below = split = codes = line_disc = 0;
	is_int(check_order_arithmetic(a, 82500, &beyond, &below, &split, &codes, &line_disc), 0,
	       "8.25 %% tax, guests only: every order reconciles");
	is_str(jstr(json_object_array_get_idx(json_object_object_get(a, "orders"), 0), "created_at"),
	       "2026-12-01T10:00:00+00:00", "start time honoured");
	is_str(jstr(json_object_array_get_idx(json_object_object_get(a, "orders"), 0), "name"), "#5000",
	       "order_name_start honoured");
	json_object_put(a);
	opts = json_tokener_parse("{\"tax_rate\":0.08}");
	ok(bh_sim_seed_opts_from_json(&o, opts, err, sizeof(err)) == -1, "a float tax rate is refused");
	json_object_put(opts);
	opts = json_tokener_parse("{\"colour\":1}");
	ok(bh_sim_seed_opts_from_json(&o, opts, err, sizeof(err)) == -1, "unknown seed option refused");
	json_object_put(opts);
}

static void test_seed_apply(void)
{
	struct http_result r;
	char url[128];
	struct json_object *j, *orders;
	static const char body[] = "{\"seed\":7,\"orders\":150,\"items\":10}";
	struct bh_sim_seed_opts o;
	struct json_object *gen;
	char err[128];
	bool same = true;

	fake_shopify_orders = json_object_new_array();
	fake_ns_items = json_object_new_array();
	bh_sim_registry_add(&fake_shopify, NULL);
	bh_sim_registry_add(&fake_netsuite, NULL);
	snprintf(url, sizeof(url), "%s/control/seed", ctl);
	http(h, "POST", url, NULL, body, (long)strlen(body), 0, &r);
	j = result_json(&r);
	is_int(r.status, 200, "POST /control/seed applies through the control APIs");
	orders = json_object_object_get(j, "orders");
	is_int((long long)json_object_array_length(orders), 150, "answer lists 150 orders");
	is_int((long long)json_object_array_length(json_object_object_get(j, "items")), 15,
	       "answer lists 15 items with internal ids");
	is_int((long long)json_object_array_length(fake_shopify_orders), 150,
	       "shopify received 150 orders (in batches)");
	is_int((long long)json_object_array_length(fake_ns_items), 15, "netsuite received 15 items");

	bh_sim_seed_defaults(&o);
	o.seed = 7;
	o.orders = 150;
	o.items = 10;
	gen = bh_sim_seed_generate(&o, err, sizeof(err));
	for (size_t i = 0; i < 150; i++) {
		int64_t want = jint(json_object_array_get_idx(json_object_object_get(gen, "orders"), i), "id");

		same = same && jint(json_object_array_get_idx(fake_shopify_orders, i), "id") == want &&
		       jint(json_object_array_get_idx(orders, i), "id") == want;
	}
	ok(same, "ids reach shopify and come back exactly (int64, beyond 2^53)");
	json_object_put(gen);
	json_object_put(j);
	result_free(&r);

	http(h, "POST", url, NULL, "{\"items\":999}", 13, 0, &r);
	is_int(r.status, 400, "bad seed options -> 400");
	result_free(&r);
	json_object_put(fake_shopify_orders);
	json_object_put(fake_ns_items);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();

	test_ports();
	test_request_helpers();
	test_keepalive_and_limits();
	test_concurrency();
	test_faults();
	test_stop_releases_holds();
	test_webhooks();
	test_control();
	test_crypto();
	test_seed();
	test_seed_apply();

	bh_sim_http_stop(srv_ctl);
	bh_sim_http_stop(srv);
	bh_sim_http_stop(srv_small);
	bh_sim_http_stop(srv_other);
	bh_sim_registry_clear();
	bh_sim_faults_clear();
	bh_sim_webhook_shutdown();
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return done_testing();
}
