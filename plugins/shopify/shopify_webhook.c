/*
 * shopify_webhook.c - the webhook route (webhook_path) for orders/create,
 * orders/updated (and the other orders/ topics but orders/delete) and refunds/create.
 *
 * 1. X-Shopify-Hmac-Sha256 (or Shopify-Hmac-Sha256 of the Events system) must equal
 *    base64(HMAC-SHA256(secret, raw body)), compared in constant time on the raw bytes
 *    as received, with webhook_secret or, during a rotation, webhook_secret_previous
 *    (webhook_secret defaults to client_secret). Otherwise 401 and nothing is stored.
 * 2. A delivery whose X-Shopify-Webhook-Id was already stored by this process is
 *    answered 200 at once (Shopify's retries and duplicate deliveries).
 * 3. The body (the REST resource) only names the order: the order is read back through
 *    the GraphQL API — the same query and mapping as the poll, so a change seen by both
 *    gives the same record with the same key (order:<id>:<updated_at>) and is stored
 *    once — and emitted: storefront.order.created for orders/create, .updated for the
 *    other order topics, storefront.refund.created (key refund:<id>) for refunds/create.
 *    The read is bounded by webhook_timeout (waits and each request) so Shopify's 5 s
 *    limit is kept.
 * 4. 200 after the durable commit; 503 with Retry-After when the API or the outbox is
 *    busy (Shopify delivers again, and the poll reconciles anyway); unknown topics and
 *    deleted orders are acknowledged with 200 and ignored.
 *
 * Threading: listener threads, concurrently. The webhook-id window is under wh_lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

static const char *header(struct bh_shopify *s, const struct bh_http_req *req, const char *name)
{
	const char *v = s->host->http_header(req, name);
	if (!v && strncmp(name, "X-", 2) == 0)
		v = s->host->http_header(req, name + 2); /* Events: no X- prefix */
	return v;
}

static bool seen(struct bh_shopify *s, const char *id)
{
	bool hit = false;
	if (!id || !*id || strlen(id) >= BH_SHOPIFY_WH_ID_MAX)
		return false;
	pthread_mutex_lock(&s->wh_lock);
	for (size_t i = 0; i < s->wh_n && !hit; i++)
		hit = strcmp(s->wh_ids[i], id) == 0;
	pthread_mutex_unlock(&s->wh_lock);
	return hit;
}

static void remember(struct bh_shopify *s, const char *id)
{
	if (!id || !*id || strlen(id) >= BH_SHOPIFY_WH_ID_MAX)
		return;
	pthread_mutex_lock(&s->wh_lock);
	snprintf(s->wh_ids[s->wh_pos], BH_SHOPIFY_WH_ID_MAX, "%s", id);
	s->wh_pos = (s->wh_pos + 1) % BH_SHOPIFY_WH_IDS;
	if (s->wh_n < BH_SHOPIFY_WH_IDS)
		s->wh_n++;
	pthread_mutex_unlock(&s->wh_lock);
}

static void answer(struct bh_http_resp *resp, int status, const char *fmt, ...) BH_PRINTF(3, 4);

static void answer(struct bh_http_resp *resp, int status, const char *fmt, ...)
{
	va_list ap;
	resp->status = status;
	va_start(ap, fmt);
	vsnprintf(resp->body, sizeof(resp->body), fmt, ap);
	va_end(ap);
}

/* An id member of the REST body as a decimal string (int64 exact, or a string). */
static bool rest_id(json_object *body, const char *key, char *out, size_t len)
{
	json_object *v = bh_shopify_get(body, key);
	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		if (n <= 0)
			return false;
		snprintf(out, len, "%lld", (long long)n);
		return true;
	}
	if (json_object_is_type(v, json_type_string))
		return bh_shopify_gid_tail(json_object_get_string(v), out, len) == BH_OK;
	return false;
}

static bool has_refund(json_object *order, const char *rid)
{
	json_object *rf = bh_shopify_get(order, "refunds");
	for (size_t i = 0; rf && i < json_object_array_length(rf); i++) {
		const char *id = bh_shopify_str(json_object_array_get_idx(rf, i), "id");
		if (id && strcmp(id, rid) == 0)
			return true;
	}
	return false;
}

void bh_shopify_webhook(void *ctx, const struct bh_http_req *req, struct bh_http_resp *resp)
{
	struct bh_shopify *s = ctx;
	const char *sig = header(s, req, "X-Shopify-Hmac-Sha256");
	const char *topic = header(s, req, "X-Shopify-Topic");
	const char *whid = header(s, req, "X-Shopify-Webhook-Id");
	const char *secret = s->webhook_secret ? s->webhook_secret : s->client_secret;
	struct bh_status st;
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_CALL, .st = &st, .http = s->http_hook};
	struct bh_shopify_batch b = {0};
	json_object *body = NULL, *node = NULL, *order = NULL;
	char oid[32], rid[32];
	const char *out_topic;
	bool refund;
	int rc;

	if (!sig || req->body_len == 0 ||
	    !(bh_shopify_hmac_ok(secret, req->body, req->body_len, sig) ||
	      bh_shopify_hmac_ok(s->webhook_secret_previous, req->body, req->body_len, sig))) {
		s->host->counter_add(s->inst, "webhooks_rejected", 1);
		bh_plg_warn(s->host, s->inst, "webhook from %s refused: %s HMAC",
			    req->remote_addr ? req->remote_addr : "?", sig ? "invalid" : "missing");
		answer(resp, 401, "{\"error\":\"invalid webhook signature\"}");
		return;
	}
	if (!topic) {
		answer(resp, 400, "{\"error\":\"X-Shopify-Topic missing\"}");
		return;
	}
	refund = strcmp(topic, "refunds/create") == 0;
	if (!refund && (strncmp(topic, "orders/", 7) != 0 || strcmp(topic, "orders/delete") == 0)) {
		answer(resp, 200, "{\"ignored\":\"topic not handled\"}");
		return;
	}
	if (seen(s, whid)) {
		s->host->counter_add(s->inst, "webhooks_duplicate", 1);
		answer(resp, 200, "{\"duplicate\":true}");
		return;
	}
	body = json_tokener_parse(req->body);
	if (refund ? !rest_id(body, "order_id", oid, sizeof(oid)) || !rest_id(body, "id", rid, sizeof(rid))
		   : !rest_id(body, "id", oid, sizeof(oid))) {
		json_object_put(body);
		answer(resp, 400, "{\"error\":\"body does not name the %s\"}", refund ? "refund" : "order");
		return;
	}
	json_object_put(body);

	memset(&st, 0, sizeof(st));
	call.deadline_mono = s->host->mono_ms() + s->webhook_budget_ms;
	rc = bh_shopify_fetch_order(s, oid, &call, &node);
	if (rc == BH_OK)
		rc = bh_shopify_canonical(s, node, &call, &order);
	json_object_put(node);
	if (rc == BH_ENOENT) {
		answer(resp, 200, "{\"ignored\":\"order %s not found\"}", oid);
		goto out;
	}
	if (rc) {
		bh_plg_warn(s->host, s->inst, "webhook %s for order %s not stored: %s", topic, oid,
			    st.message[0] ? st.message : "error");
		answer(resp, 503, "{\"error\":\"storefront API unavailable, deliver again\"}");
		resp->retry_after_s = st.retry_after_ms > 0 ? (st.retry_after_ms + 999) / 1000 : 5;
		goto out;
	}
	if (refund && !has_refund(order, rid)) {
		/* the API does not show the refund yet: let Shopify deliver again */
		answer(resp, 503, "{\"error\":\"refund %s not visible yet\"}", rid);
		resp->retry_after_s = 5;
		goto out;
	}
	out_topic = strcmp(topic, "orders/create") == 0 ? "storefront.order.created"
							 : "storefront.order.updated";
	rc = refund ? bh_shopify_batch_refund(&b, order, rid)
		    : bh_shopify_batch_order(&b, order, out_topic, false);
	if (rc == BH_OK)
		rc = s->host->emit(s->inst, b.recs, b.n, NULL);
	if (rc == BH_EBUSY) {
		answer(resp, 503, "{\"error\":\"busy\"}");
		resp->retry_after_s = 5;
	} else if (rc < 0) {
		answer(resp, 500, "{\"error\":\"not stored\"}");
	} else {
		remember(s, whid);
		s->host->counter_add(s->inst, "webhooks_stored", rc);
		resp->status = 200;
		snprintf(resp->body, sizeof(resp->body), "{\"stored\":%d}", rc);
	}
out:
	bh_shopify_batch_free(&b);
	json_object_put(order);
}
