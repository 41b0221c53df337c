/*
 * tools/bench/sim.c - throughput of the simulators (not run by make check).
 *
 * Purpose: create the Shopify and NetSuite services in-process (plus a trivial echo
 * service: the framework's own ceiling), serve them on 127.0.0.1 with sim_http.c, and
 * measure requests/s of each operation with C client threads (default 8), each a libcurl
 * easy handle that keeps its connection alive, for a bounded time (default 3 s):
 *   baseline          GET on the echo service (HTTP layer + framework only)
 *   soap:upsert       SuiteTalk upsert of a return authorization (Oracle's sample
 *                     envelope, a fresh tokenPassport per request), XSD validation off
 *   soap:upsert+xsd   the same with validation against Oracle's XSD on
 *   rest:create       NetSuite REST POST /record/v1/customer (OAuth 1.0a per request)
 *   graphql           Shopify GraphQL order(id:) query with line items and money sets
 * Requests are built the way a client builds them: SOAP with libxml2 trees (the sample
 * parsed once, tokenPassport nodes rewritten per request), REST/GraphQL bodies with
 * json-c, signatures with OpenSSL. The answers are checked (status + a success marker)
 * and counted; only successful answers count towards requests/s.
 *
 * Usage: tools/bench/sim [--seconds S] [--clients N] [--threads T] [--reference-dir D]
 *   --threads: MHD threads per port (0 = one per connection, the default).
 * Reference data: --reference-dir, else $BH_SHARED_DIR/reference, else
 * ../shared/reference beside the source tree ($BH_TOP_SRCDIR) or the current directory.
 * Threading: the client threads share nothing but the start/stop flags and counters.
 */
#include "sim.h"
#include "sim_seed.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/rand.h>

#define NS_ACCOUNT "1234567_SB1"
#define NS_CONSUMER_KEY "bh-sim-consumer-key"
#define NS_CONSUMER_SECRET "bh-sim-consumer-secret"
#define NS_TOKEN_ID "bh-sim-token-id"
#define NS_TOKEN_SECRET "bh-sim-token-secret"
#define SHOPIFY_TOKEN "shpat_bench_token"
#define SHOPIFY_VERSION "2026-10"

/* ------------------------------------------------------------------ echo service */

static void echo_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	static const char body[] = "{\"ok\":true}";

	(void)svc;
	(void)req;
	bh_sim_resp_text(resp, 200, "application/json", body, sizeof(body) - 1);
}

static const struct bh_sim_service echo_service = {
	.name = "echo", .handle = echo_handle, .control = echo_handle,
};

/* ------------------------------------------------------------------ client side */

struct op;

struct worker {
	const struct op *op;
	CURL *curl;
	xmlDocPtr soap_doc;             /* per-thread copy of the SOAP template */
	char *resp;
	size_t resp_len, resp_cap;
	uint64_t ok, bad;
	long last_bad_status;
	char last_bad[200];
	unsigned seq;
	int index;
};

struct op {
	const char *name;
	char url[256];
	/* Fill the request into w->curl (headers list returned for freeing). */
	struct curl_slist *(*prepare)(struct worker *w, char **body, size_t *len);
	const char *success_marker;     /* substring every good answer has */
	long success_status;
};

static atomic_bool go, stop;
static atomic_int ready;
static char shared_order_gid[64];
static int64_t ns_customer_id, ns_item_id, ns_so_id;
static xmlDocPtr soap_template;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct worker *w = ud;
	size_t len = sz * n;

	if (w->resp_len + len + 1 > w->resp_cap) {
		size_t cap = w->resp_cap ? w->resp_cap : 8192;
		char *b;

		while (cap < w->resp_len + len + 1)
			cap *= 2;
		b = realloc(w->resp, cap);
		if (!b)
			return 0;
		w->resp = b;
		w->resp_cap = cap;
	}
	memcpy(w->resp + w->resp_len, p, len);
	w->resp_len += len;
	w->resp[w->resp_len] = '\0';
	return len;
}

static void nonce(char *out, size_t n)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char raw[32];

	if (n > sizeof(raw) + 1)
		n = sizeof(raw) + 1;
	RAND_bytes(raw, (int)(n - 1));
	for (size_t i = 0; i + 1 < n; i++)
		out[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	out[n - 1] = '\0';
}

static xmlNodePtr find_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static xmlNodePtr find_deep(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr f;

		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
		f = find_deep(n->children, name);
		if (f)
			return f;
	}
	return NULL;
}

static struct curl_slist *prep_soap(struct worker *w, char **body, size_t *len)
{
	xmlNodePtr tp = find_deep(xmlDocGetRootElement(w->soap_doc), "tokenPassport");
	char n[21], ts[24], base[512], key[256];
	char *sig;
	xmlChar *mem = NULL;
	int size = 0;
	struct curl_slist *h = NULL;

	nonce(n, sizeof(n));
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(base, sizeof(base), "%s&%s&%s&%s&%s", NS_ACCOUNT, NS_CONSUMER_KEY, NS_TOKEN_ID,
		 n, ts);
	snprintf(key, sizeof(key), "%s&%s", NS_CONSUMER_SECRET, NS_TOKEN_SECRET);
	sig = bh_sim_hmac_b64(key, base, strlen(base));
	xmlNodeSetContent(find_child(tp, "account"), (const xmlChar *)NS_ACCOUNT);
	xmlNodeSetContent(find_child(tp, "consumerKey"), (const xmlChar *)NS_CONSUMER_KEY);
	xmlNodeSetContent(find_child(tp, "token"), (const xmlChar *)NS_TOKEN_ID);
	xmlNodeSetContent(find_child(tp, "nonce"), (const xmlChar *)n);
	xmlNodeSetContent(find_child(tp, "timestamp"), (const xmlChar *)ts);
	xmlNodeSetContent(find_child(tp, "signature"), (const xmlChar *)sig);
	free(sig);
	xmlDocDumpMemoryEnc(w->soap_doc, &mem, &size, "UTF-8");
	*body = mem ? strndup((const char *)mem, (size_t)size) : NULL;
	*len = *body ? (size_t)size : 0;
	xmlFree(mem);
	h = curl_slist_append(h, "Content-Type: text/xml; charset=utf-8");
	h = curl_slist_append(h, "SOAPAction: \"upsert\"");
	return h;
}

/* RFC 3986 unreserved characters stay, everything else is %XX (OAuth 1.0a). */
static void pct(const char *in, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < n; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static struct curl_slist *prep_rest(struct worker *w, char **body, size_t *len)
{
	char n[21], ts[24], params[512], base[4096], enc_url[512], enc_params[1536], key[256];
	char hdr[1024], enc_sig[128], eid[64];
	char *sig;
	struct json_object *o = json_object_new_object();
	struct curl_slist *h = NULL;

	nonce(n, sizeof(n));
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(params, sizeof(params),
		 "oauth_consumer_key=%s&oauth_nonce=%s&oauth_signature_method=HMAC-SHA256"
		 "&oauth_timestamp=%s&oauth_token=%s&oauth_version=1.0",
		 NS_CONSUMER_KEY, n, ts, NS_TOKEN_ID);
	pct(w->op->url, enc_url, sizeof(enc_url));
	pct(params, enc_params, sizeof(enc_params));
	snprintf(base, sizeof(base), "POST&%s&%s", enc_url, enc_params);
	snprintf(key, sizeof(key), "%s&%s", NS_CONSUMER_SECRET, NS_TOKEN_SECRET);
	sig = bh_sim_hmac_b64(key, base, strlen(base));
	pct(sig, enc_sig, sizeof(enc_sig));
	free(sig);
	snprintf(hdr, sizeof(hdr),
		 "Authorization: OAuth realm=\"%s\", oauth_token=\"%s\", oauth_consumer_key=\"%s\", "
		 "oauth_nonce=\"%s\", oauth_timestamp=\"%s\", oauth_signature_method=\"HMAC-SHA256\", "
		 "oauth_version=\"1.0\", oauth_signature=\"%s\"",
		 NS_ACCOUNT, NS_TOKEN_ID, NS_CONSUMER_KEY, n, ts, enc_sig);
	snprintf(eid, sizeof(eid), "bench-cust-%d-%u", w->index, w->seq++);
	json_object_object_add(o, "externalId", json_object_new_string(eid));
	json_object_object_add(o, "companyName", json_object_new_string("Bench Customer"));
	json_object_object_add(o, "email", json_object_new_string("bench@example.com"));
	json_object_object_add(o, "subsidiary", json_object_new_object());
	json_object_object_add(json_object_object_get(o, "subsidiary"), "id",
			       json_object_new_string("1"));
	*body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	*len = strlen(*body);
	json_object_put(o);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	return h;
}

static struct curl_slist *prep_graphql(struct worker *w, char **body, size_t *len)
{
	struct json_object *o = json_object_new_object(), *vars = json_object_new_object();
	struct curl_slist *h = NULL;

	(void)w;
	json_object_object_add(
		o, "query",
		json_object_new_string(
			"query Bench($id: ID!) { order(id: $id) { id name createdAt "
			"totalPriceSet { shopMoney { amount currencyCode } } "
			"lineItems(first: 10) { nodes { sku quantity "
			"originalUnitPriceSet { shopMoney { amount } } } } } }"));
	json_object_object_add(vars, "id", json_object_new_string(shared_order_gid));
	json_object_object_add(o, "variables", vars);
	*body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	*len = strlen(*body);
	json_object_put(o);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "X-Shopify-Access-Token: " SHOPIFY_TOKEN);
	return h;
}

static struct curl_slist *prep_baseline(struct worker *w, char **body, size_t *len)
{
	(void)w;
	*body = NULL;
	*len = 0;
	return NULL;
}

static void *client(void *arg)
{
	struct worker *w = arg;

	w->curl = curl_easy_init();
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load(&stop)) {
		char *body = NULL;
		size_t len = 0;
		struct curl_slist *h = w->op->prepare(w, &body, &len);
		long status = 0;

		h = curl_slist_append(h, "Expect:");
		w->resp_len = 0;
		if (w->resp)
			w->resp[0] = '\0';
		curl_easy_setopt(w->curl, CURLOPT_URL, w->op->url);
		curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
		if (body) {
			curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
			curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE, (long)len);
		} else {
			curl_easy_setopt(w->curl, CURLOPT_HTTPGET, 1L);
		}
		if (curl_easy_perform(w->curl) == CURLE_OK)
			curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status == w->op->success_status &&
		    (!w->op->success_marker ||
		     (w->resp && strstr(w->resp, w->op->success_marker)))) {
			w->ok++;
		} else {
			w->bad++;
			w->last_bad_status = status;
			snprintf(w->last_bad, sizeof(w->last_bad), "%s",
				 w->resp ? w->resp : "(no body)");
		}
		curl_slist_free_all(h);
		free(body);
	}
	curl_easy_cleanup(w->curl);
	return NULL;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double run(const struct op *op, int clients, double seconds)
{
	pthread_t *t = calloc((size_t)clients, sizeof(*t));
	struct worker *w = calloc((size_t)clients, sizeof(*w));
	uint64_t ok = 0, bad = 0;
	int64_t t0, t1;
	struct timespec dur = { (time_t)seconds,
				(long)((seconds - (double)(time_t)seconds) * 1e9) };
	double rate;

	atomic_store(&go, false);
	atomic_store(&stop, false);
	atomic_store(&ready, 0);
	for (int i = 0; i < clients; i++) {
		w[i].op = op;
		w[i].index = i;
		if (soap_template)
			w[i].soap_doc = xmlCopyDoc(soap_template, 1);
		pthread_create(&t[i], NULL, client, &w[i]);
	}
	while (atomic_load(&ready) < clients)
		sched_yield();
	t0 = mono_us();
	atomic_store(&go, true);
	nanosleep(&dur, NULL); /* the measuring window itself */
	atomic_store(&stop, true);
	for (int i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		bad += w[i].bad;
	}
	t1 = mono_us();
	rate = (double)ok / ((double)(t1 - t0) / 1e6);
	printf("%-16s %9.0f req/s  (%" PRIu64 " ok, %" PRIu64 " failed, %d clients, %.1f s)\n",
	       op->name, rate, ok, bad, clients, (double)(t1 - t0) / 1e6);
	for (int i = 0; i < clients; i++) {
		if (w[i].bad && i == 0)
			printf("    last failure: HTTP %ld %.160s\n", w[i].last_bad_status,
			       w[i].last_bad);
		free(w[i].resp);
		if (w[i].soap_doc)
			xmlFreeDoc(w[i].soap_doc);
	}
	fflush(stdout);
	free(t);
	free(w);
	return rate;
}

/* ------------------------------------------------------------------------ setup */

static const char *reference_dir(const char *given)
{
	static char buf[4096];
	struct stat st;
	const char *env = getenv("BH_SHARED_DIR");
	const char *top = getenv("BH_TOP_SRCDIR");

	if (given)
		return given;
	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s/reference", env);
		if (stat(buf, &st) == 0)
			return buf;
	}
	snprintf(buf, sizeof(buf), "%s/../shared/reference", top ? top : ".");
	if (stat(buf, &st) == 0)
		return buf;
	snprintf(buf, sizeof(buf), "../shared/reference");
	return stat(buf, &st) == 0 ? buf : NULL;
}

/* A control call with a JSON body; returns the parsed answer or NULL (message printed). */
static struct json_object *ctl(const char *svc, const char *method, const char *path,
			       const char *body)
{
	struct bh_sim_resp r;
	struct json_object *j = NULL;

	if (bh_sim_control_call(svc, method, path, NULL, body, &r) != 0) {
		fprintf(stderr, "bench: %s is not registered\n", svc);
		return NULL;
	}
	if (r.status >= 200 && r.status < 300)
		j = json_tokener_parse(r.body ? r.body : "null");
	else
		fprintf(stderr, "bench: %s %s %s -> %d %.300s\n", svc, method, path, r.status,
			r.body ? r.body : "");
	bh_sim_resp_clear(&r);
	return j;
}

static int64_t first_id(struct json_object *j, const char *key)
{
	struct json_object *v = NULL;

	if (!j || !json_object_object_get_ex(j, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_array))
		v = json_object_array_get_idx(v, 0);
	return json_object_get_int64(v);
}

static int setup_netsuite(const char *ref)
{
	struct json_object *j;
	char path[4200], body[1024];
	xmlNodePtr rec, n;

	j = ctl("netsuite", "POST", "/items",
		"{\"items\":[{\"sku\":\"TEE-BLK-M\",\"name\":\"Classic Tee - Black / M\","
		"\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"}]}");
	ns_item_id = first_id(j, "internal_ids");
	json_object_put(j);
	j = ctl("netsuite", "POST", "/customers",
		"{\"customers\":[{\"external_id\":\"bench-customer\",\"email\":\"b@example.com\","
		"\"first_name\":\"Bench\",\"last_name\":\"Mark\"}]}");
	ns_customer_id = first_id(j, "internal_ids");
	json_object_put(j);
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"bench-so-1\",\"customer\":%" PRId64 ",\"shopify_order_id\":"
		 "\"9007199254740993\",\"tran_id\":\"#1001\",\"lines\":[{\"sku\":\"TEE-BLK-M\","
		 "\"quantity\":1000000,\"rate\":\"40.00\",\"amount\":\"40000000.00\",\"tax\":\"0.00\"}]}",
		 ns_customer_id);
	j = ctl("netsuite", "POST", "/sales_orders", body);
	ns_so_id = first_id(j, "internal_id");
	json_object_put(j);
	if (!ns_item_id || !ns_customer_id || !ns_so_id)
		return -1;
	snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 ",\"as\":\"cash_sale\"}", ns_so_id);
	json_object_put(ctl("netsuite", "POST", "/bill", body));
	snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 "}", ns_so_id);
	json_object_put(ctl("netsuite", "POST", "/fulfill", body));
	json_object_put(ctl("netsuite", "POST", "/concurrency", "{\"limit\":1000}"));

	if (!ref)
		return -1;
	snprintf(path, sizeof(path),
		 "%s/netsuite-suitetalk/2023_2/samples/envelope-upsert-returnAuthorization.request.xml",
		 ref);
	soap_template = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!soap_template) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		return -1;
	}
	/* Point the sample's references at the records made above. */
	rec = find_deep(xmlDocGetRootElement(soap_template), "record");
	snprintf(body, sizeof(body), "%" PRId64, ns_customer_id);
	xmlSetProp(find_child(rec, "entity"), (const xmlChar *)"internalId", (const xmlChar *)body);
	snprintf(body, sizeof(body), "%" PRId64, ns_so_id);
	xmlSetProp(find_child(rec, "createdFrom"), (const xmlChar *)"internalId",
		   (const xmlChar *)body);
	n = find_deep(find_child(rec, "itemList"), "item");
	snprintf(body, sizeof(body), "%" PRId64, ns_item_id);
	xmlSetProp(find_child(n, "item"), (const xmlChar *)"internalId", (const xmlChar *)body);
	xmlNodeSetContent(find_child(n, "rate"), (const xmlChar *)"40.00");
	return 0;
}

static int setup_shopify(void)
{
	struct json_object *ids;
	struct bh_sim_seed_opts so;
	struct json_object *data, *res = NULL;
	char err[256];

	bh_sim_seed_defaults(&so);
	so.orders = 20;
	data = bh_sim_seed_generate(&so, err, sizeof(err));
	if (!data || bh_sim_seed_apply(data, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench: seed: %s\n", err);
		json_object_put(data);
		return -1;
	}
	ids = json_object_object_get(res, "orders");
	snprintf(shared_order_gid, sizeof(shared_order_gid), "gid://shopify/Order/%" PRId64,
		 json_object_get_int64(json_object_object_get(json_object_array_get_idx(ids, 0),
							      "id")));
	json_object_put(res);
	json_object_put(data);
	return 0;
}

/* One SOAP upsert whose record has an element the XSD does not know: with validation on
 * the simulator must answer a fault. Returns true when it did. */
static bool xsd_refuses_broken(const struct op *op)
{
	struct worker w;
	xmlNodePtr rec, memo;
	char *body = NULL;
	size_t len = 0;
	struct curl_slist *h;
	long status = 0;
	bool refused;

	memset(&w, 0, sizeof(w));
	w.op = op;
	w.soap_doc = xmlCopyDoc(soap_template, 1);
	rec = find_deep(xmlDocGetRootElement(w.soap_doc), "record");
	memo = find_child(rec, "memo");
	if (memo)
		xmlNodeSetName(memo, (const xmlChar *)"memoNotInTheSchema");
	h = prep_soap(&w, &body, &len);
	w.curl = curl_easy_init();
	curl_easy_setopt(w.curl, CURLOPT_URL, op->url);
	curl_easy_setopt(w.curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(w.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(w.curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(w.curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w.curl, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(w.curl, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(w.curl) == CURLE_OK)
		curl_easy_getinfo(w.curl, CURLINFO_RESPONSE_CODE, &status);
	refused = status == 500 && w.resp && strstr(w.resp, "Fault") &&
		  strstr(w.resp, "memoNotInTheSchema");
	curl_easy_cleanup(w.curl);
	curl_slist_free_all(h);
	free(body);
	free(w.resp);
	xmlFreeDoc(w.soap_doc);
	return refused;
}

static bool wait_schema(int timeout_ms)
{
	int64_t deadline = mono_us() + (int64_t)timeout_ms * 1000;

	while (mono_us() < deadline) {
		struct json_object *info = ctl("netsuite", "GET", "/info", NULL);
		struct json_object *soap = NULL, *v = NULL;
		bool loaded = false;

		if (info && json_object_object_get_ex(info, "soap", &soap) &&
		    json_object_object_get_ex(soap, "schema_loaded", &v))
			loaded = json_object_get_boolean(v);
		json_object_put(info);
		if (loaded)
			return true;
		{
			struct timespec ts = { 0, 20000000 };

			nanosleep(&ts, NULL);
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	double seconds = 3.0;
	int clients = 8;
	unsigned threads = 0;
	const char *ref_given = NULL, *ref;
	struct json_object *opts;
	void *shop = NULL, *ns = NULL;
	struct bh_sim_server *s_echo = NULL, *s_shop = NULL, *s_ns = NULL;
	struct bh_sim_http_opts ho;
	char err[256];
	struct op op_base = { "baseline", "", prep_baseline, "\"ok\"", 200 };
	struct op op_soap = { "soap:upsert", "", prep_soap, "isSuccess=\"true\"", 200 };
	struct op op_soap_x = { "soap:upsert+xsd", "", prep_soap, "isSuccess=\"true\"", 200 };
	struct op op_rest = { "rest:create", "", prep_rest, NULL, 204 };
	struct op op_gql = { "graphql", "", prep_graphql, "\"data\":{\"order\":{", 200 };
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
			clients = atoi(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--reference-dir") == 0 && i + 1 < argc)
			ref_given = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--clients N] [--threads T] "
					"[--reference-dir DIR]\n", argv[0]);
			return 2;
		}
	}
	if (seconds <= 0 || seconds > 60 || clients < 1 || clients > 256)
		return 2;
	ref = reference_dir(ref_given);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();

	opts = json_object_new_object();
	if (ref)
		json_object_object_add(opts, "reference_dir", json_object_new_string(ref));
	json_object_object_add(opts, "xsd", json_object_new_boolean(0));
	/* A bucket large enough that the GraphQL cost limit does not throttle the bench. */
	{
		struct json_object *g = json_object_new_object(), *r = json_object_new_object();

		json_object_object_add(g, "maximum_available", json_object_new_int(100000000));
		json_object_object_add(g, "restore_rate", json_object_new_int(100000000));
		json_object_object_add(r, "bucket_size", json_object_new_int(100000000));
		json_object_object_add(r, "leak_rate", json_object_new_int(100000000));
		json_object_object_add(opts, "graphql", g);
		json_object_object_add(opts, "rest", r);
	}
	json_object_object_add(opts, "access_token", json_object_new_string(SHOPIFY_TOKEN));
	shop = bh_sim_service_shopify.create(opts);
	ns = bh_sim_service_netsuite.create(opts);
	json_object_put(opts);
	if (!shop || !ns) {
		fprintf(stderr, "bench: cannot create the services\n");
		return 1;
	}
	bh_sim_registry_add(&bh_sim_service_shopify, shop);
	bh_sim_registry_add(&bh_sim_service_netsuite, ns);
	bh_sim_registry_add(&echo_service, NULL);

	memset(&ho, 0, sizeof(ho));
	ho.threads = threads;
	s_echo = bh_sim_http_start(&echo_service, NULL, &ho, err, sizeof(err));
	s_shop = bh_sim_http_start(&bh_sim_service_shopify, shop, &ho, err, sizeof(err));
	s_ns = bh_sim_http_start(&bh_sim_service_netsuite, ns, &ho, err, sizeof(err));
	if (!s_echo || !s_shop || !s_ns) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	bh_sim_registry_set_port("shopify", bh_sim_http_port(s_shop));
	bh_sim_registry_set_port("netsuite", bh_sim_http_port(s_ns));
	snprintf(op_base.url, sizeof(op_base.url), "%s/ping", bh_sim_http_base_url(s_echo));
	snprintf(op_soap.url, sizeof(op_soap.url), "%s/services/NetSuitePort_2023_2",
		 bh_sim_http_base_url(s_ns));
	snprintf(op_soap_x.url, sizeof(op_soap_x.url), "%s", op_soap.url);
	snprintf(op_rest.url, sizeof(op_rest.url), "%s/services/rest/record/v1/customer",
		 bh_sim_http_base_url(s_ns));
	snprintf(op_gql.url, sizeof(op_gql.url), "%s/admin/api/%s/graphql.json",
		 bh_sim_http_base_url(s_shop), SHOPIFY_VERSION);

	printf("backhaul-sim throughput: %d keep-alive clients, %.1f s per operation, %s\n",
	       clients, seconds, threads ? "MHD thread pool" : "MHD thread per connection");
	run(&op_base, clients, seconds);
	if (setup_netsuite(ref) == 0) {
		run(&op_soap, clients, seconds);
		run(&op_rest, clients, seconds);
		json_object_put(ctl("netsuite", "POST", "/xsd", "{\"enabled\":true}"));
		if (wait_schema(30000)) {
			printf("%-16s %s\n", "xsd check", xsd_refuses_broken(&op_soap_x)
				       ? "an envelope with an unknown element is refused (fault)"
				       : "WARNING: an invalid envelope was NOT refused");
			run(&op_soap_x, clients, seconds);
		}
		else
			printf("%-16s skipped (Oracle's XSD not available or not loaded)\n",
			       op_soap_x.name);
	} else {
		printf("soap/rest        skipped (NetSuite set-up failed; reference data: %s)\n",
		       ref ? ref : "not found");
		rc = 1;
	}
	if (setup_shopify() == 0)
		run(&op_gql, clients, seconds);
	else
		rc = 1;

	bh_sim_http_stop(s_echo);
	bh_sim_http_stop(s_shop);
	bh_sim_http_stop(s_ns);
	bh_sim_registry_clear();
	bh_sim_webhook_shutdown();
	bh_sim_service_shopify.destroy(shop);
	bh_sim_service_netsuite.destroy(ns);
	if (soap_template)
		xmlFreeDoc(soap_template);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
