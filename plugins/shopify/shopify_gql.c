/*
 * shopify_gql.c - one GraphQL Admin API request with Shopify's failure modes handled.
 *
 * POST {base}/admin/api/{version}/graphql.json, JSON {"query","variables"}, header
 * X-Shopify-Access-Token. The reply is classified (research §2):
 *   THROTTLED (errors[].extensions.code, whatever the HTTP status, 200 or 429): wait
 *       (requestedQueryCost - currentlyAvailable) / restoreRate from extensions.cost,
 *       then send again. Capability calls wait only up to call_max_wait (else BH_ERETRY
 *       with that delay); the poll up to max_wait, at most 20 times per request.
 *   429 without THROTTLED, 5xx, INTERNAL_SERVER_ERROR, transport errors and timeouts:
 *       transient. The poll retries up to max_retries times after Retry-After (seconds,
 *       possibly fractional) or an exponential backoff from retry_backoff; capability
 *       calls return BH_ERETRY at once with that delay as retry_after_ms.
 *   401: a client-credentials token is refreshed once and the request sent again;
 *       otherwise BH_EAUTH. 403 / ACCESS_DENIED: BH_EAUTH. 404: BH_EREJECT (wrong URL or
 *       version). MAX_COST_EXCEEDED: BH_ETOOBIG (the caller asks for less).
 *       Other GraphQL errors: BH_EREJECT with Shopify's message.
 * Waits end early with BH_ESTOPPED when stop() is called, and never pass the call's
 * deadline.
 *
 * Threading: any thread; counters go through the host (thread-safe). The token is
 * copied into a local buffer for the request and wiped after.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "shopify.h"

void bh_shopify_status(struct bh_status *st, int http, const char *code, const char *fmt, ...)
{
	va_list ap;
	if (!st)
		return;
	st->http_status = http;
	snprintf(st->code, sizeof(st->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
}

int bh_shopify_sleep(struct bh_shopify *s, int64_t ms)
{
	struct timespec now, dl;
	bool stopped;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dl.tv_sec = now.tv_sec + (time_t)(ms / 1000);
	dl.tv_nsec = now.tv_nsec + (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping) {
		if (pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &dl) != 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > dl.tv_sec ||
			    (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec))
				break;
		}
	}
	stopped = s->stopping;
	pthread_mutex_unlock(&s->stop_lock);
	return stopped ? BH_ESTOPPED : BH_OK;
}

/* The first GraphQL error's code (extensions.code) and message. */
static const char *first_error(json_object *reply, const char **msg)
{
	json_object *e = bh_shopify_get(reply, "errors");
	*msg = NULL;
	if (!e)
		return NULL;
	if (json_object_is_type(e, json_type_string)) {
		*msg = json_object_get_string(e);
		return "";
	}
	if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) == 0)
		return NULL;
	/* THROTTLED anywhere in the list wins: it decides the wait */
	for (size_t i = 0; i < json_object_array_length(e); i++) {
		json_object *x = json_object_array_get_idx(e, i);
		const char *c = bh_shopify_str(bh_shopify_get(x, "extensions"), "code");
		if (c && strcmp(c, "THROTTLED") == 0) {
			*msg = bh_shopify_str(x, "message");
			return c;
		}
	}
	json_object *x = json_object_array_get_idx(e, 0);
	const char *c = bh_shopify_str(bh_shopify_get(x, "extensions"), "code");
	*msg = bh_shopify_str(x, "message");
	return c ? c : "";
}

static char *request_body(const char *query, json_object *vars)
{
	json_object *o = json_object_new_object();
	char *t;
	if (!o)
		return NULL;
	json_object_object_add(o, "query", json_object_new_string(query));
	if (vars)
		json_object_object_add(o, "variables", json_object_get(vars));
	t = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return t;
}

static int64_t backoff(const struct bh_shopify *s, int attempt)
{
	int64_t w = s->retry_backoff_ms > 0 ? s->retry_backoff_ms : 1000;
	for (int i = 1; i < attempt && w < 60000; i++)
		w *= 2;
	return w < 60000 ? w : 60000;
}

/* A short, single-line excerpt of a body for messages. */
static void excerpt(const char *body, char *out, size_t len)
{
	size_t k = 0;
	for (; body && *body && k + 1 < len && k < 200; body++)
		out[k++] = (*body == '\n' || *body == '\r') ? ' ' : *body;
	out[k] = '\0';
}

enum verdict { V_OK, V_TRANSIENT, V_THROTTLED, V_FAIL, V_REAUTH };

struct outcome {
	enum verdict v;
	int rc;              /* V_FAIL */
	int64_t advice_ms;   /* V_TRANSIENT / V_THROTTLED */
	json_object *reply;  /* parsed body, owned */
};

static void classify(struct bh_shopify *s, struct bh_http_response *r, struct bh_status *st,
		     struct outcome *o)
{
	const char *code, *msg;
	char ex[220];
	memset(o, 0, sizeof(*o));
	if (r->status == 0) {
		bh_shopify_status(st, 0, r->timed_out ? "TIMEOUT" : "UNREACHABLE",
				  "Shopify at %s %s: %s", s->root,
				  r->timed_out ? "timed out" : "unreachable", r->error);
		o->v = V_TRANSIENT;
		return;
	}
	excerpt(r->body, ex, sizeof(ex));
	if (r->status == 401) {
		bh_shopify_status(st, 401, "UNAUTHORIZED",
				  "Shopify refused the access token (HTTP 401): wrong, expired or "
				  "revoked token (%s)",
				  ex);
		o->v = V_REAUTH;
		return;
	}
	if (r->status == 403) {
		bh_shopify_status(st, 403, "FORBIDDEN",
				  "Shopify denied access (HTTP 403): the app lacks a permission (%s)", ex);
		o->v = V_FAIL;
		o->rc = BH_EAUTH;
		return;
	}
	if (r->status == 404) {
		bh_shopify_status(st, 404, "NOT_FOUND",
				  "HTTP 404 from %s: check base_url/shop and api_version", s->gql_url);
		o->v = V_FAIL;
		o->rc = BH_EREJECT;
		return;
	}
	o->reply = json_tokener_parse(r->body);
	code = first_error(o->reply, &msg);
	if (code && strcmp(code, "THROTTLED") == 0) {
		o->advice_ms = bh_shopify_throttle_wait_ms(o->reply, 50);
		if (o->advice_ms < 0) {
			o->advice_ms = bh_http_retry_after_ms(r);
			if (o->advice_ms <= 0)
				o->advice_ms = 1000;
		}
		bh_shopify_status(st, (int)r->status, "THROTTLED",
				  "Shopify throttled the query (cost bucket empty): retry in %lld ms",
				  (long long)o->advice_ms);
		o->v = V_THROTTLED;
		return;
	}
	if (r->status == 429 || r->status >= 500) {
		o->advice_ms = bh_http_retry_after_ms(r);
		bh_shopify_status(st, (int)r->status, r->status == 429 ? "HTTP_429" : "HTTP_5XX",
				  "Shopify answered HTTP %ld: %s", r->status, msg ? msg : ex);
		o->v = V_TRANSIENT;
		return;
	}
	if (r->status != 200) {
		bh_shopify_status(st, (int)r->status, "HTTP_ERROR", "Shopify answered HTTP %ld: %s",
				  r->status, msg ? msg : ex);
		o->v = V_FAIL;
		o->rc = BH_EREJECT;
		return;
	}
	if (!o->reply || !json_object_is_type(o->reply, json_type_object)) {
		bh_shopify_status(st, 200, "MALFORMED", "Shopify's answer is not JSON: %s", ex);
		o->v = V_FAIL;
		o->rc = BH_EPROTO;
		return;
	}
	if (!code) {
		if (!bh_shopify_get(o->reply, "data")) {
			bh_shopify_status(st, 200, "MALFORMED", "Shopify's answer has no data: %s", ex);
			o->v = V_FAIL;
			o->rc = BH_EPROTO;
			return;
		}
		o->v = V_OK;
		return;
	}
	if (strcmp(code, "MAX_COST_EXCEEDED") == 0) {
		json_object *x = bh_shopify_get(json_object_array_get_idx(
							bh_shopify_get(o->reply, "errors"), 0),
						"extensions");
		bh_shopify_status(st, 200, code, "cost=%lld max=%lld",
				  (long long)json_object_get_int64(bh_shopify_get(x, "cost")),
				  (long long)json_object_get_int64(bh_shopify_get(x, "maxCost")));
		o->v = V_FAIL;
		o->rc = BH_ETOOBIG;
		return;
	}
	if (strcmp(code, "INTERNAL_SERVER_ERROR") == 0) {
		bh_shopify_status(st, 200, code, "Shopify internal error: %s", msg ? msg : "");
		o->v = V_TRANSIENT;
		return;
	}
	if (strcmp(code, "ACCESS_DENIED") == 0) {
		bh_shopify_status(st, 200, code, "access denied: %s", msg ? msg : "");
		o->v = V_FAIL;
		o->rc = BH_EAUTH;
		return;
	}
	bh_shopify_status(st, 200, *code ? code : "GRAPHQL_ERROR", "query refused: %s",
			  msg ? msg : ex);
	o->v = V_FAIL;
	o->rc = BH_EREJECT;
}

int bh_shopify_gql(struct bh_shopify *s, const char *query, json_object *vars,
		   struct bh_shopify_call *call, json_object **data)
{
	struct bh_status local;
	struct bh_status *st = call && call->st ? call->st : &local;
	enum bh_shopify_mode mode = call ? call->mode : BH_SHOPIFY_CALL;
	int64_t deadline = call ? call->deadline_mono : 0;
	char token[512], stale[512], hdr[600];
	const char *headers[] = {"Content-Type: application/json", "Accept: application/json", hdr,
				 NULL};
	bool reauthed = false, have_stale = false;
	int attempt = 0, throttles = 0, rc;
	char *body = request_body(query, vars);

	*data = NULL;
	memset(st, 0, sizeof(*st));
	if (!body)
		return BH_ENOMEM;
	for (;;) {
		struct bh_http_response r;
		struct outcome o;
		int64_t wait;
		bool again;

		rc = bh_shopify_token(s, have_stale ? stale : NULL, token, sizeof(token), st);
		if (rc)
			break;
		have_stale = false;
		snprintf(hdr, sizeof(hdr), "X-Shopify-Access-Token: %s", token);
		rc = bh_http_request(call && call->http ? call->http : s->http, "POST", s->gql_url,
				     headers, body, strlen(body), &r);
		OPENSSL_cleanse(hdr, sizeof(hdr));
		if (rc) {
			OPENSSL_cleanse(token, sizeof(token));
			break;
		}
		memset(st, 0, sizeof(*st));
		classify(s, &r, st, &o);
		bh_http_response_clear(&r);
		if (o.v == V_OK) {
			*data = json_object_get(bh_shopify_get(o.reply, "data"));
			json_object_put(o.reply);
			rc = BH_OK;
			break;
		}
		json_object_put(o.reply);
		if (o.v == V_REAUTH) {
			if (s->client_credentials && !reauthed) {
				reauthed = true;
				s->host->counter_add(s->inst, "token_rejected", 1);
				have_stale = true;
				snprintf(stale, sizeof(stale), "%s", token);
				OPENSSL_cleanse(token, sizeof(token));
				continue;
			}
			rc = BH_EAUTH;
			break;
		}
		OPENSSL_cleanse(token, sizeof(token));
		if (o.v == V_FAIL) {
			rc = o.rc;
			break;
		}
		/* transient or throttled: wait the advised time, within the call's limits */
		if (o.v == V_THROTTLED) {
			wait = o.advice_ms;
			again = ++throttles <= 20 &&
				wait <= (mode == BH_SHOPIFY_POLL ? s->max_wait_ms : s->call_wait_ms);
		} else {
			attempt++;
			wait = o.advice_ms > 0 ? o.advice_ms : backoff(s, attempt);
			again = mode == BH_SHOPIFY_POLL && attempt <= s->max_retries &&
				wait <= s->max_wait_ms;
		}
		st->retry_after_ms = wait;
		if (deadline > 0 && s->host->mono_ms() + wait > deadline)
			again = false;
		if (!again) {
			rc = BH_ERETRY;
			break;
		}
		if (o.v == V_THROTTLED) {
			s->host->counter_add(s->inst, "throttled", 1);
			s->host->counter_add(s->inst, "throttle_wait_ms", wait);
		} else {
			s->host->counter_add(s->inst, "retries", 1);
		}
		bh_plg_debug(s->host, s->inst, "%s; waiting %lld ms", st->message, (long long)wait);
		if (bh_shopify_sleep(s, wait) != BH_OK) {
			rc = BH_ESTOPPED;
			break;
		}
	}
	OPENSSL_cleanse(stale, sizeof(stale));
	free(body);
	return rc;
}
