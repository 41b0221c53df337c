/*
 * sim_shopify.c - the Shopify Admin API simulator service (bh_sim_service_shopify,
 * name "shopify"): creation and options, request routing, authentication, the
 * client-credentials token endpoint, the REST leaky bucket, fault shapes.
 *
 * Follows shared/research/shopify.md; Shopify's own REST examples (the JSON files of
 * shared/reference/shopify/) load as orders and come back out unchanged in ids
 * and amounts. Files: see sim_shopify.h.
 *
 * ======================================================================= HTTP API ===
 * Every /admin/api/{version}/... request needs X-Shopify-Access-Token: the static token
 * (option "access_token", control POST /access_token) or a live token from the
 * client-credentials grant. Missing, unknown or expired: 401
 *   {"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}
 * {version}: "YYYY-MM" with a quarter month (01, 04, 07, 10) or "unstable"; anything
 * else 404 {"errors":"Not Found"}. A version older than "oldest_version" falls forward
 * to it. Every answer carries X-Shopify-API-Version (the version served).
 *
 * POST /admin/oauth/access_token  (op "oauth")
 *   form-urlencoded (or JSON) grant_type=client_credentials&client_id=..&client_secret=..
 *   -> 200 {"access_token":"shpat_<32 hex>","scope":"...","expires_in":N}; the token
 *   stops working N seconds later (option "token_ttl_s", default 86399). Wrong client:
 *   401 {"error":"invalid_client","error_description":...}; other grant types: 400
 *   {"error":"unsupported_grant_type",...} (RFC 6749 shapes; Shopify's exact text for
 *   this grant was not found [inference]).
 *
 * POST /admin/api/{v}/graphql.json  (op "graphql"): sim_shopify_gql*.c.
 * GET  /admin/api/{v}/orders.json, orders/{id}.json, ... (op "rest:orders",
 *   "rest:gift_cards", "rest:other"): sim_shopify_rest.c. REST requests share one leaky
 *   bucket (option rest.bucket_size 40, rest.leak_rate 2/s): every answer carries
 *   X-Shopify-Shop-Api-Call-Limit: used/size; a request finding the bucket full gets
 *   429 {"errors":"Exceeded 2 calls per second for api client. Reduce request rates to
 *   resume uninterrupted service."} with Retry-After: seconds until one call leaks
 *   ("0.5", "2.0"). 401s are not counted.
 *
 * Injected faults (fault callback): 429 -> GraphQL: the THROTTLED body with HTTP 429;
 * REST: the 429 above with Retry-After 2.0. 5xx -> 500, GraphQL
 * {"errors":[{"message":"Internal error. Looks like something went wrong on our end.\n
 * Request ID: <uuid> (include this in support requests).","extensions":{"code":
 * "INTERNAL_SERVER_ERROR","requestId":"<uuid>"}}]}, REST {"errors":"Internal Server
 * Error"}. Timeout -> 504 {"errors":"Gateway Timeout"}.
 *
 * ==================================================================== CONTROL API ===
 * (/control/shopify/..., also the in-process API through bh_sim_control_call; bodies
 * JSON; errors {"error":"message"} with 400/404/409; money as decimal strings)
 *   POST /orders            {"orders":[order...]} or {"order":order} or a bare order,
 *                           in Shopify REST shape (fixtures load as they are). id,
 *                           line/shipping ids, name, order_number and absent totals are
 *                           assigned/computed; "transactions" or "tenders"
 *                           [{gateway, amount, kind:"sale", status}] (default: one sale
 *                           of the total on the default gateway). All or nothing; an id
 *                           already present -> 409. Fires orders/create.
 *                           -> 201 {"ids":[int64...],"names":["#1001",...]}
 *   GET  /orders/<id>       -> 200 the bare order in REST shape (orders/<id>.json's
 *                           "order"); 404 when unknown
 *   GET  /orders?name=%231001 (or ?ids=1,2 ; none: every order, ?limit=N caps)
 *                           -> {"orders":[...]}
 *   GET  /orders/<id>/transactions -> {"transactions":[...]}
 *   GET  /orders/<id>/refunds      -> {"refunds":[...]}
 *   POST /orders/<id>/refund  {"refund_line_items":[{"line_item_id","quantity",
 *                           "restock_type"}], "shipping":{"full_refund":true} |
 *                           {"amount":"5.00","tax":"0.00"}, "transactions":[{"amount",
 *                           "gateway"?,"parent_id"?}] (default: spread over the
 *                           original payments), "note", "restock"} (or wrapped in
 *                           "refund"). Amounts are pro-rated exactly (sim_shopify_refund.c).
 *                           Fires refunds/create then orders/updated.
 *                           -> 201 {"refund":{...REST refund...}}; 409 over-refund
 *   POST /orders/<id>/update {"tags":"a, b"|[..], "note", "email",
 *                           "fulfillment_status":"fulfilled", "cancel":true,
 *                           "cancel_reason":"customer", "close":true} -> {"order":{...}};
 *                           fires orders/updated (and orders/cancelled on cancel)
 *   POST /gift_cards        {"gift_card":{"initial_value":"25.00","currency","code",
 *                           "note","customer_id","order_id","expires_on"}} (or bare)
 *                           -> 201 {"gift_card":{... with "code"}}
 *   GET  /gift_cards/<id>   -> {"gift_card":{...}}     GET /gift_cards -> {"gift_cards":[]}
 *   POST /webhooks          {"topic":"orders/create","address":URL,"api_version"?}
 *                           -> 201 {"webhook":{"id","topic","address","api_version",
 *                           "format":"json","created_at"}}; topics: orders/create,
 *                           orders/updated, orders/cancelled, refunds/create
 *   GET  /webhooks          -> {"webhooks":[...]}     DELETE /webhooks/<id>
 *   POST /webhook_secret    {"secret":"..."} (the app secret signing deliveries)
 *   GET  /deliveries[?topic=] -> {"deliveries":[{seq, topic, address, webhook_id,
 *                           event_id, triggered_at, hmac, duplicate, body}]} (last 256)
 *                           DELETE /deliveries clears the log
 *   POST /access_token      {"token":"shpat_..."} sets the static Admin API token
 *   POST /app               {"client_id","client_secret","scope","token_ttl_s"}
 *                           (client-credentials settings; secret also signs webhooks
 *                           unless "webhook_secret" was set explicitly)
 *   POST /clock             {"advance_ms":N} and/or {"frozen":true|false} -> {"now_ms":N}
 *                           (the service clock: timestamps, token expiry, buckets)
 *   GET|POST /rate_limits   {"graphql":{"maximum_available","restore_rate",
 *                           "currently_available","max_query_cost"},"rest":{"bucket_size",
 *                           "leak_rate","used"}} -> the same shape, current values
 *   POST /settings          {"dup_rate":0.05,"seed":1,"throttle_status":200} -> settings
 *   GET  /stats             -> {"orders","gift_cards","webhooks","deliveries","duplicates"}
 *   POST /reset             forget orders, gift cards and deliveries (settings,
 *                           subscriptions and credentials stay)
 *
 * create() options (top level, or inside "shopify"), all optional:
 *   shop_domain ("backhaul-sim.myshopify.com"), shop_name, api_version ("2026-10"),
 *   oldest_version ("2025-10"), currency ("USD"), default_gateway ("shopify_payments"),
 *   shop_utc_offset ("+00:00"), timezone ("Etc/UTC"), access_token, client_id,
 *   client_secret, webhook_secret (default: client_secret), scope, token_ttl_s (86399),
 *   graphql {maximum_available 1000, restore_rate 50, max_query_cost 1000},
 *   rest {bucket_size 40, leak_rate 2}, throttle_status (200), gql_fixed_decimals
 *   (false), dup_rate (0.05: share of webhook deliveries sent twice, drawn from a
 *   splitmix64 stream of seed and the delivery number, so runs repeat), seed (1),
 *   first_id (5800000000000; use > 2^53 to exercise big ids), first_order_number (1001),
 *   webhooks [{topic, address}].
 *
 * Ownership and threading: see sim_shopify.h (three locks; lock order data -> hook ->
 * rate; webhooks are sent with no lock held).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include <backhaul/errors.h>

#include "sim_shopify.h"

#define AUTH_ERROR "[API] Invalid API key or access token (unrecognized login or wrong password)"
#define REST_429 \
	"Exceeded 2 calls per second for api client. Reduce request rates to resume " \
	"uninterrupted service."

/* ------------------------------------------------------------------ small helpers */

char *bh_shp_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

uint64_t bh_shp_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void bh_shp_json_error(struct bh_sim_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	bh_sim_resp_json(resp, status, o);
}

void bh_shp_rest_error(struct bh_sim_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "errors", json_object_new_string(msg));
	bh_sim_resp_json(resp, status, o);
}

void bh_shp_buf_add(struct bh_shp_buf *b, const char *data, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		char *np;
		while (nc < b->n + len + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = 0;
}

void bh_shp_resp_buf(struct bh_sim_resp *resp, int status, struct bh_shp_buf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		memset(b, 0, sizeof(*b));
		bh_shp_rest_error(resp, 500, "Internal Server Error");
		return;
	}
	free(resp->body);
	free(resp->content_type);
	resp->status = status;
	resp->body = b->p;
	resp->body_len = b->n;
	resp->content_type = strdup("application/json; charset=utf-8");
	memset(b, 0, sizeof(*b));
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Clock under rate_lock. */
static int64_t now_locked(struct bh_shp_svc *s)
{
	return (s->frozen ? s->frozen_ms : wall_ms()) + s->clock_off_ms;
}

int64_t bh_shp_now_ms_locked(struct bh_shp_svc *s)
{
	return now_locked(s);
}

int64_t bh_shp_now_ms(struct bh_shp_svc *s)
{
	int64_t t;
	pthread_mutex_lock(&s->rate_lock);
	t = now_locked(s);
	pthread_mutex_unlock(&s->rate_lock);
	return t;
}

void bh_shp_clock_control(struct bh_shp_svc *s, bool set_frozen, bool frozen, int64_t advance_ms,
			  int64_t *now_out)
{
	pthread_mutex_lock(&s->rate_lock);
	if (set_frozen && frozen != s->frozen) {
		int64_t w = wall_ms();
		if (frozen) {
			s->frozen_ms = w;
		} else {
			/* keep the service time continuous when the clock starts again */
			s->clock_off_ms += s->frozen_ms - w;
		}
		s->frozen = frozen;
	}
	s->clock_off_ms += advance_ms;
	*now_out = now_locked(s);
	pthread_mutex_unlock(&s->rate_lock);
}

int64_t bh_shp_next_id(struct bh_shp_svc *s)
{
	return s->next_id++;
}

/* ------------------------------------------------------------------ options */

static const char *opt_str(struct json_object *o, const char *k, const char *def)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def;
}

static double opt_num(struct json_object *o, const char *k, double def)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, k, &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return json_object_get_double(v);
	return def;
}

static int64_t opt_i64(struct json_object *o, const char *k, int64_t def)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return def;
}

/* "+05:30", "-05:00", "Z" -> minutes; BH_EINVAL otherwise. */
static int parse_offset(const char *s, int *out)
{
	int h, m;
	if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d", &h, &m) != 2 || h > 14 ||
	    m > 59)
		return BH_EINVAL;
	*out = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

static void svc_free(struct bh_shp_svc *s)
{
	if (!s)
		return;
	pthread_rwlock_wrlock(&s->lock);
	bh_shp_store_clear(s);
	for (size_t i = 0; i < s->ngcs; i++)
		bh_shp_giftcard_free(s->gcs[i]);
	free(s->gcs);
	pthread_rwlock_unlock(&s->lock);
	bh_shp_hooks_free(s);
	free(s->shop_domain);
	free(s->shop_name);
	free(s->api_version);
	free(s->oldest_version);
	free(s->currency);
	free(s->default_gateway);
	free(s->timezone);
	free(s->access_token);
	free(s->client_id);
	free(s->client_secret);
	free(s->scope);
	free(s->webhook_secret);
	free(s->tokens);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->rate_lock);
	pthread_mutex_destroy(&s->hook_lock);
	free(s);
}

static void *shp_create(struct json_object *opts)
{
	struct bh_shp_svc *s = calloc(1, sizeof(*s));
	struct json_object *o = opts, *v, *g, *r;
	const char *off;

	if (!s)
		return NULL;
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->rate_lock, NULL);
	pthread_mutex_init(&s->hook_lock, NULL);
	if (opts && json_object_object_get_ex(opts, "shopify", &v) &&
	    json_object_is_type(v, json_type_object))
		o = v;
	s->shop_domain = bh_shp_strdup(opt_str(o, "shop_domain", "backhaul-sim.myshopify.com"));
	s->shop_name = bh_shp_strdup(opt_str(o, "shop_name", "Backhaul Sim"));
	s->api_version = bh_shp_strdup(opt_str(o, "api_version", "2026-10"));
	s->oldest_version = bh_shp_strdup(opt_str(o, "oldest_version", "2025-10"));
	s->currency = bh_shp_strdup(opt_str(o, "currency", "USD"));
	s->default_gateway = bh_shp_strdup(opt_str(o, "default_gateway", "shopify_payments"));
	s->timezone = bh_shp_strdup(opt_str(o, "timezone", "Etc/UTC"));
	s->access_token = bh_shp_strdup(opt_str(o, "access_token",
						 "shpat_00000000000000000000000000000001"));
	s->client_id = bh_shp_strdup(opt_str(o, "client_id", "sim-client-id"));
	s->client_secret = bh_shp_strdup(opt_str(o, "client_secret", "shpss_sim_client_secret"));
	s->webhook_secret = bh_shp_strdup(opt_str(o, "webhook_secret", s->client_secret));
	s->scope = bh_shp_strdup(opt_str(o, "scope", "read_orders,read_all_orders,read_gift_cards"));
	if (!s->shop_domain || !s->shop_name || !s->api_version || !s->oldest_version ||
	    !s->currency || !s->default_gateway || !s->timezone || !s->access_token ||
	    !s->client_id || !s->client_secret || !s->webhook_secret || !s->scope)
		goto fail;
	off = opt_str(o, "shop_utc_offset", "+00:00");
	if (parse_offset(off, &s->shop_off_min)) {
		fprintf(stderr, "backhaul-sim: shopify: bad shop_utc_offset '%s'\n", off);
		goto fail;
	}
	s->token_ttl_s = opt_i64(o, "token_ttl_s", 86399);
	g = NULL;
	if (o)
		json_object_object_get_ex(o, "graphql", &g);
	s->gql_max = opt_num(g, "maximum_available", 1000);
	s->gql_rate = opt_num(g, "restore_rate", 50);
	s->gql_max_cost = (int)opt_i64(g, "max_query_cost", 1000);
	r = NULL;
	if (o)
		json_object_object_get_ex(o, "rest", &r);
	s->rest_size = opt_num(r, "bucket_size", 40);
	s->rest_rate = opt_num(r, "leak_rate", 2);
	if (s->gql_max <= 0 || s->gql_rate < 0 || s->rest_size < 1 || s->rest_rate < 0 ||
	    s->gql_max_cost <= 0 || s->token_ttl_s <= 0) {
		fprintf(stderr, "backhaul-sim: shopify: bad rate limit or token settings\n");
		goto fail;
	}
	s->gql_avail = s->gql_max;
	s->throttle_status = (int)opt_i64(o, "throttle_status", 200);
	s->gql_fixed_decimals = o && json_object_object_get_ex(o, "gql_fixed_decimals", &v) &&
				json_object_get_boolean(v);
	s->dup_rate = opt_num(o, "dup_rate", 0.05);
	s->seed = (uint64_t)opt_i64(o, "seed", 1);
	s->next_id = opt_i64(o, "first_id", 5800000000000LL);
	s->next_number = opt_i64(o, "first_order_number", 1001);
	s->next_hook_id = 1400000001;
	if (s->next_id <= 0 || s->next_number < 0) {
		fprintf(stderr, "backhaul-sim: shopify: bad first_id/first_order_number\n");
		goto fail;
	}
	s->gql_last_ms = s->rest_last_ms = now_locked(s);
	if (o && json_object_object_get_ex(o, "webhooks", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			char err[160];
			if (bh_shp_hook_add(s, json_object_array_get_idx(v, i), NULL, err,
					    sizeof(err))) {
				fprintf(stderr, "backhaul-sim: shopify: webhooks[%zu]: %s\n", i, err);
				goto fail;
			}
		}
	}
	return s;
fail:
	svc_free(s);
	return NULL;
}

static void shp_destroy(void *svc)
{
	svc_free(svc);
}

/* ------------------------------------------------------------------ versions */

static bool version_valid(const char *v, size_t n)
{
	int y, m;
	if (n == 8 && strncmp(v, "unstable", 8) == 0)
		return true;
	if (n != 7 || v[4] != '-')
		return false;
	for (size_t i = 0; i < 7; i++)
		if (i != 4 && (v[i] < '0' || v[i] > '9'))
			return false;
	y = atoi(v);
	m = atoi(v + 5);
	return y >= 2000 && (m == 1 || m == 4 || m == 7 || m == 10);
}

/* The version served for a requested one (falls forward to the oldest supported). */
static void served_version(const struct bh_shp_svc *s, const char *v, size_t n, char *out,
			   size_t len)
{
	if (n == 7 && strcmp(s->oldest_version, "unstable") != 0 &&
	    strncmp(v, s->oldest_version, 7) < 0)
		snprintf(out, len, "%s", s->oldest_version);
	else
		snprintf(out, len, "%.*s", (int)n, v);
}

/* ------------------------------------------------------------------ auth */

static bool token_ok(struct bh_shp_svc *s, const char *tok)
{
	bool ok = false;
	int64_t now;
	if (!tok || !*tok)
		return false;
	pthread_mutex_lock(&s->rate_lock);
	if (bh_sim_str_eq_ct(tok, s->access_token)) {
		ok = true;
	} else {
		now = now_locked(s);
		for (size_t i = 0; i < s->ntokens && !ok; i++)
			if (bh_sim_str_eq_ct(tok, s->tokens[i].token) && s->tokens[i].expires_ms > now)
				ok = true;
	}
	pthread_mutex_unlock(&s->rate_lock);
	return ok;
}

void bh_shp_set_access_token(struct bh_shp_svc *s, const char *tok)
{
	char *c = bh_shp_strdup(tok);
	if (!c)
		return;
	pthread_mutex_lock(&s->rate_lock);
	free(s->access_token);
	s->access_token = c;
	pthread_mutex_unlock(&s->rate_lock);
}

/* Form field or JSON member of the token request body. */
static char *body_param(const struct bh_sim_req *req, struct json_object *json, const char *k)
{
	struct bh_sim_req fake;
	if (json) {
		const char *v = bh_shp_jstr(json, k);
		return v ? strdup(v) : NULL;
	}
	fake = *req;
	fake.query = req->body;
	return bh_sim_req_query(&fake, k);
}

static void oauth_error(struct bh_sim_resp *resp, int status, const char *err, const char *desc)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(err));
	json_object_object_add(o, "error_description", json_object_new_string(desc));
	bh_sim_resp_json(resp, status, o);
}

static void oauth_token(struct bh_shp_svc *s, const struct bh_sim_req *req,
			struct bh_sim_resp *resp)
{
	const char *ct = bh_sim_req_header(req, "Content-Type");
	struct json_object *json = NULL, *out;
	char *grant = NULL, *cid = NULL, *csec = NULL;
	unsigned char rnd[16];
	char tok[72];
	int64_t ttl;
	bool client_ok;

	if (strcmp(req->method, "POST") != 0) {
		bh_shp_rest_error(resp, 404, "Not Found");
		return;
	}
	if (ct && strncasecmp(ct, "application/json", 16) == 0) {
		json = json_tokener_parse(req->body);
		if (!json || !json_object_is_type(json, json_type_object)) {
			json_object_put(json);
			oauth_error(resp, 400, "invalid_request", "The request body is not valid JSON.");
			return;
		}
	}
	grant = body_param(req, json, "grant_type");
	cid = body_param(req, json, "client_id");
	csec = body_param(req, json, "client_secret");
	json_object_put(json);
	if (!grant || strcmp(grant, "client_credentials") != 0) {
		oauth_error(resp, 400, "unsupported_grant_type",
			    "The authorization grant type is not supported by the authorization "
			    "server.");
		goto out;
	}
	pthread_mutex_lock(&s->rate_lock);
	client_ok = cid && csec && bh_sim_str_eq_ct(cid, s->client_id) &&
		    bh_sim_str_eq_ct(csec, s->client_secret);
	pthread_mutex_unlock(&s->rate_lock);
	if (!client_ok) {
		oauth_error(resp, 401, "invalid_client",
			    "Client authentication failed due to unknown client, no client "
			    "authentication included, or unsupported authentication method.");
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		bh_shp_rest_error(resp, 500, "Internal Server Error");
		goto out;
	}
	memcpy(tok, "shpat_", 6);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(tok + 6 + 2 * i, 3, "%02x", rnd[i]);
	pthread_mutex_lock(&s->rate_lock);
	{
		int64_t now = now_locked(s);
		size_t k = 0;
		/* forget expired tokens */
		for (size_t i = 0; i < s->ntokens; i++)
			if (s->tokens[i].expires_ms > now)
				s->tokens[k++] = s->tokens[i];
		s->ntokens = k;
		if (s->ntokens == s->captokens) {
			size_t nc = s->captokens ? s->captokens * 2 : 8;
			struct bh_shp_token *n = realloc(s->tokens, nc * sizeof(*n));
			if (!n) {
				pthread_mutex_unlock(&s->rate_lock);
				bh_shp_rest_error(resp, 500, "Internal Server Error");
				goto out;
			}
			s->tokens = n;
			s->captokens = nc;
		}
		ttl = s->token_ttl_s;
		snprintf(s->tokens[s->ntokens].token, sizeof(s->tokens[0].token), "%s", tok);
		s->tokens[s->ntokens].expires_ms = now + ttl * 1000;
		s->ntokens++;
		out = json_object_new_object();
		json_object_object_add(out, "access_token", json_object_new_string(tok));
		json_object_object_add(out, "scope", json_object_new_string(s->scope));
		json_object_object_add(out, "expires_in", json_object_new_int64(ttl));
	}
	pthread_mutex_unlock(&s->rate_lock);
	bh_sim_resp_json(resp, 200, out);
out:
	free(grant);
	free(cid);
	free(csec);
}

int bh_shp_app_settings(struct bh_shp_svc *s, struct json_object *body, char *err, size_t errlen)
{
	const char *cid = bh_shp_jstr(body, "client_id"), *sec = bh_shp_jstr(body, "client_secret");
	const char *scope = bh_shp_jstr(body, "scope");
	int64_t ttl = 0;
	int rc = bh_shp_ji64(body, "token_ttl_s", &ttl);
	if (rc < 0 || (rc == 1 && ttl <= 0)) {
		snprintf(err, errlen, "token_ttl_s must be a positive integer");
		return BH_EINVAL;
	}
	pthread_mutex_lock(&s->rate_lock);
	if (cid) {
		free(s->client_id);
		s->client_id = strdup(cid);
	}
	if (sec) {
		free(s->client_secret);
		s->client_secret = strdup(sec);
	}
	if (scope) {
		free(s->scope);
		s->scope = strdup(scope);
	}
	if (rc == 1)
		s->token_ttl_s = ttl;
	pthread_mutex_unlock(&s->rate_lock);
	return 0;
}

/* ------------------------------------------------------------------ REST bucket */

/* Take one call from the REST bucket. Returns true when allowed; *used is the level
 * after the call (rounded up), *retry the seconds until a call fits. */
static bool rest_take(struct bh_shp_svc *s, int *used, int *size, double *retry)
{
	bool ok;
	int64_t now;
	pthread_mutex_lock(&s->rate_lock);
	now = now_locked(s);
	bh_shp_buckets_refill_locked(s, now);
	ok = s->rest_level + 1 <= s->rest_size + 1e-9;
	if (ok)
		s->rest_level += 1;
	*retry = ok || s->rest_rate <= 0 ? 0 : (s->rest_level + 1 - s->rest_size) / s->rest_rate;
	*used = (int)ceil(s->rest_level - 1e-9);
	*size = (int)s->rest_size;
	pthread_mutex_unlock(&s->rate_lock);
	return ok;
}

static void rest_429(struct bh_sim_resp *resp, double retry, int size)
{
	char b[32];
	bh_shp_rest_error(resp, 429, REST_429);
	snprintf(b, sizeof(b), "%.1f", retry < 0.1 ? 0.1 : retry);
	bh_sim_resp_header(resp, "Retry-After", b);
	snprintf(b, sizeof(b), "%d/%d", size, size);
	bh_sim_resp_header(resp, "X-Shopify-Shop-Api-Call-Limit", b);
}

/* ------------------------------------------------------------------ routing */

static void shp_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct bh_shp_svc *s = svc;
	const char *p = req->path, *v, *slash;
	char version[16];

	if (strcmp(p, "/admin/oauth/access_token") == 0) {
		oauth_token(s, req, resp);
		return;
	}
	if (strncmp(p, "/admin/api/", 11) != 0) {
		bh_shp_rest_error(resp, 404, "Not Found");
		return;
	}
	v = p + 11;
	slash = strchr(v, '/');
	if (!slash || !version_valid(v, (size_t)(slash - v))) {
		bh_shp_rest_error(resp, 404, "Not Found");
		return;
	}
	served_version(s, v, (size_t)(slash - v), version, sizeof(version));
	if (!token_ok(s, bh_sim_req_header(req, "X-Shopify-Access-Token"))) {
		bh_shp_rest_error(resp, 401, AUTH_ERROR);
		return;
	}
	if (strcmp(slash, "/graphql.json") == 0) {
		if (strcmp(req->method, "POST") != 0)
			bh_shp_rest_error(resp, 405, "Method Not Allowed");
		else
			bh_shp_graphql(s, req, resp);
	} else {
		int used, size;
		double retry;
		char b[32];
		if (!rest_take(s, &used, &size, &retry)) {
			rest_429(resp, retry, size);
		} else {
			bh_shp_rest(s, req, version, slash, resp);
			snprintf(b, sizeof(b), "%d/%d", used, size);
			bh_sim_resp_header(resp, "X-Shopify-Shop-Api-Call-Limit", b);
		}
	}
	bh_sim_resp_header(resp, "X-Shopify-API-Version", version);
}

static void shp_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	bh_shp_control(svc, req, resp);
}

static void shp_op_name(void *svc, const struct bh_sim_req *req, char *buf, size_t len)
{
	const char *p = req->path;
	(void)svc;
	if (strcmp(p, "/admin/oauth/access_token") == 0)
		snprintf(buf, len, "oauth");
	else if (strncmp(p, "/admin/api/", 11) != 0)
		snprintf(buf, len, "other");
	else if (strstr(p, "/graphql.json"))
		snprintf(buf, len, "graphql");
	else if (strstr(p, "/orders"))
		snprintf(buf, len, "rest:orders");
	else if (strstr(p, "/gift_cards"))
		snprintf(buf, len, "rest:gift_cards");
	else
		snprintf(buf, len, "rest:other");
}

static void shp_fault(void *svc, enum bh_sim_fault f, const struct bh_sim_req *req,
		      struct bh_sim_resp *resp)
{
	struct bh_shp_svc *s = svc;
	bool gql = strstr(req->path, "/graphql.json") != NULL;
	switch (f) {
	case BH_SIM_FAULT_HTTP_429:
		if (gql) {
			bh_sim_resp_json(resp, 429, bh_shp_gql_throttled(s, -1));
		} else {
			int size;
			pthread_mutex_lock(&s->rate_lock);
			size = (int)s->rest_size;
			pthread_mutex_unlock(&s->rate_lock);
			rest_429(resp, 2.0, size);
		}
		break;
	case BH_SIM_FAULT_HTTP_5XX:
		if (gql) {
			char id[37], msg[200];
			struct json_object *o = json_object_new_object(), *errs = json_object_new_array(),
					   *e = json_object_new_object(), *x = json_object_new_object();
			bh_sim_uuid(id);
			snprintf(msg, sizeof(msg),
				 "Internal error. Looks like something went wrong on our end.\n"
				 "Request ID: %s (include this in support requests).",
				 id);
			json_object_object_add(e, "message", json_object_new_string(msg));
			json_object_object_add(x, "code", json_object_new_string("INTERNAL_SERVER_ERROR"));
			json_object_object_add(x, "requestId", json_object_new_string(id));
			json_object_object_add(e, "extensions", x);
			json_object_array_add(errs, e);
			json_object_object_add(o, "errors", errs);
			bh_sim_resp_json(resp, 500, o);
		} else {
			bh_shp_rest_error(resp, 500, "Internal Server Error");
		}
		break;
	case BH_SIM_FAULT_TIMEOUT:
		bh_shp_rest_error(resp, 504, "Gateway Timeout");
		break;
	default:
		break; /* the framework's default */
	}
}

const struct bh_sim_service bh_sim_service_shopify = {
	.name = "shopify",
	.create = shp_create,
	.handle = shp_handle,
	.control = shp_control,
	.destroy = shp_destroy,
	.op_name = shp_op_name,
	.fault = shp_fault,
};
