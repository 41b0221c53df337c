/*
 * sim_loop.c - the Loop Returns simulator service (bh_sim_service_loop, name "loop").
 *
 * Purpose: a faithful, in-memory stand-in for Loop's Returns API and webhooks as
 * documented in shared/research/loop.md and the real payloads in shared/reference/loop/.
 * Files: sim_loop.c (service glue, this documentation), sim_loop_api.c (HTTP API),
 * sim_loop_ctl.c (control API), sim_loop_create.c (returns from Shopify orders),
 * sim_loop_actions.c (actions, async processing worker), sim_loop_store.c (store,
 * arithmetic, rendering), sim_loop_hooks.c (webhooks), sim_loop_util.c (helpers),
 * sim_loop_priv.h (internal declarations).
 *
 * Ownership: create() returns a struct bh_loop that owns all state; destroy() stops the
 * processing worker and frees everything. Threading: one mutex (bh_loop.lock) guards
 * the state; handlers are called concurrently by libmicrohttpd threads; one worker
 * thread processes queued returns. Other services are called (bh_sim_control_call) and
 * webhooks sent with no lock held.
 *
 * ======================================================================== HTTP API ===
 * Base path /api/{version}/, version "v1" (Loop's legacy alias of 2026-07), "unstable"
 * or any dated "YYYY-MM". Header X-Authorization: <api key> (raw key, no "Bearer").
 *   - 401 {"error":{"code":"401","http_code":"GEN-UNAUTHORIZED","message":"Unauthorized."}}
 *     for a missing/unknown key (the body as published, field roles swapped).
 *   - 300 requests per minute per key (setting rate_limit_per_minute; 0 = off): a
 *     SLIDING 60-second window. Over it: 429 {"message":"Too Many Attempts."} with
 *     Retry-After (seconds until the oldest request leaves the window) and
 *     X-RateLimit-Limit / X-RateLimit-Remaining, which every authenticated answer carries.
 *     Loop documents only "429, pause briefly"; the body and headers are those of Loop's
 *     framework (Laravel) [inference].
 *   - Unknown route 404 {"message":"Not Found"}; wrong method 405 (Laravel message).
 *
 * GET warehouse/return/list  (op "loop:list")
 *   from, to: ISO-8601 ("2022-01-01T00:00:00.000Z", "2022-01-01 00:00:00+00:00",
 *   "2022-01-01 00:00:00" = UTC, "2022-01-01"). No from/to: the last 24 hours; only to:
 *   the 24 hours before it; only from: from .. now. Range over 120 days, to < from, or an
 *   unparsable date: 422 {"message":m,"errors":{"to":[m]}} (Laravel validation shape).
 *   filter=created_at (default) | updated_at: which timestamp from/to apply to.
 *   state=open|closed|cancelled|expired|review: ONE state; none = open, closed and
 *   expired only; anything else 422.
 *   Without paginate: a bare JSON array of every match (ascending id).
 *   paginate=true: {"returns":[...],"nextPageUrl":url|null,"previousPageUrl":url|null};
 *   pageSize default 100, max 750 (more: 422). The cursor is Laravel's: URL-safe base64
 *   (no padding) of {"id":<return id>,"_pointsToNextItems":true|false}; pages go by
 *   ascending return id; the URLs repeat the request's query with cursor replaced. A
 *   malformed cursor is a 422 (Laravel would silently restart; we prefer loud).
 *
 * GET warehouse/return/details  (op "loop:details")
 *   exactly one of return_id | order_id (the SHOPIFY order id) | order_name ("#1001" or
 *   "1001"); none or several: 422. currency_type=shop|presentment accepted (shop only is
 *   simulated). Several returns on one order: the most recent. Unknown return:
 *   404 {"errors":{"message":"Return not found.","code":"NOT_FOUND"}}; unknown order:
 *   404 {"errors":{"message":"Order not found.","code":"ORDER_NOT_FOUND"}}.
 *
 * POST warehouse/return/{id}/process|cancel|flag|close|remove|note, GET .../notes
 *   (op "loop:action"): see sim_loop_actions.c for the state rules and the published
 *   refusal bodies, which come with HTTP 200 (setting action_error_status to change).
 *   process: optional JSON object body, its key/values become note_attributes of the
 *   exchange order and a note on the return. 200 `true` = queued; after
 *   process_delay_ms (default 50) the worker closes the return (return.closed, then
 *   return.updated) or sends return.processing.failed.
 *   remove?line_item_id=1,2 (Loop line ids): only refund/credit lines qualify (not units
 *   swapped for an exchange); 422 {"error":{"message":"The line item id field is
 *   required."}}, {"message":"Return cannot be modified."} (not open, or already queued),
 *   {"message":"There are no line items that qualify for removal"}, {"message":"Not all
 *   line items qualify for removal"}; success 200 true, the units become returnable
 *   again, edited_at is set, return.updated is sent and the return is queued.
 *   note {"content":...}: 1..254 characters else 422 {"errors":{"message":"Content is
 *   required and must be less than 255 characters."}}; 200 true.
 *   notes: {"notes":[{"id","content","created_at"}]} or 422 `false` when none.
 *
 * GET|POST webhooks, PUT|DELETE webhooks/{id}  (op "loop:webhooks")
 *   {"topic","trigger","url","status"} with status defaulting to "inactive" (as Loop
 *   does); create 201 {id, shop_id, topic, trigger, url, status}; update/delete 204;
 *   unknown id 404 {"errors":{"message":"Webhook not found.","code":"NOT_FOUND"}};
 *   invalid topic/trigger/url/status 422 {"message":"Must be one of the following
 *   values:...","errors":{field:[...]}}. Topics: return, label, restock, label.request,
 *   giftcard, happy.returns.shipment, return.processing. Only ACTIVE subscriptions get
 *   deliveries.
 *
 * ==================================================================== THE RETURN ====
 * Field names and types follow the real samples: "id", "order_id" (Loop's own order id),
 * "provider_order_id" (Shopify's, exact int64) and line ids are STRINGS; money is a
 * decimal string; one line_items[] entry per returned unit. Choices where the research
 * marks things unknown [sim]:
 *   - "outcome": refund | credit | exchange | gift_card (control "split" and
 *     "store_credit" map to refund and credit). Per line "outcome": "default", or
 *     "exchange" for units swapped for an exchange item (exchange_variant = its title).
 *   - "total" = return_total (value of the returned units after discounts, with tax).
 *   - refund outcome: refund = return_total - handling_fee. credit: return_credit_total
 *     = return_total - handling_fee + bonus (the bonus is derivable as
 *     return_credit_total - (return_total - handling_fee)); "gift_card" carries the same
 *     value when credit is delivered as a Shopify gift card (credit_method gift_card,
 *     default). gift_card outcome: gift_card = return_total - handling_fee. exchange:
 *     exchange_credit_total = min(available, exchange_total), upsell = the shortfall
 *     (charged to the shopper), the surplus is refunded (or credit with leftover=credit).
 *   - refunds[] ({gateway, amount}) is empty until the return is processed, then holds
 *     the refund per original gateway (see sim_loop_store.c) and, with credit_method
 *     shopify_store_credit, a "shopify_store_credit" entry.
 *   - exchange items: tax = the original line's rate applied half-up to the cent unless
 *     given; the exchange order is created in Shopify at processing, named
 *     <exchange_prefix><original number> (default prefix "EXC"; "-2", "-3" for further
 *     exchange orders on the same original), tagged "Loop Exchange, #1004", paid by a
 *     transaction on gateway exchange_credit_gateway ("gift_card", the exchange credit)
 *     and, for an upsell, upsell_gateway ("shopify_payments"). exchange_order_id/name
 *     are set on the return and on each exchanges[] entry.
 *   - gift_card_id: the Shopify gift card created at processing (credit_gift_card on).
 *   - money back to the original payments is refunded IN SHOPIFY at processing (setting
 *     shopify_refund, default on), as Loop does: control POST /orders/<id>/refund with
 *     refund_line_items (restock_type "return"; refund outcome only) and one transaction
 *     per refunds[] gateway. If Shopify refuses, processing fails (return.processing.failed)
 *     and the allocation is undone.
 *   - state "review" is what flagging produces (list filter spelling).
 *   - label: at creation label_status "new" with carrier USPS and a tracking number
 *     (control "label": false gives the "pending"/"N/A" shape of the real created sample).
 *   - outcomes{return_processed, refund_processed, gift_card_processed,
 *     exchange_processed} timestamps and was_processed, as in 3P warehouse schemas.
 *
 * ======================================================================= WEBHOOKS ====
 * POST to each active subscription whose trigger matches, X-Loop-Signature =
 * base64(HMAC-SHA256(webhook_secret, raw body)); bodies in sim_loop_hooks.c. Triggers:
 * return.created (+ label.created when a label exists), return.updated (any change),
 * return.closed (processed or closed), label.updated (control label_shipped),
 * return.processing.failed. Delivery and retries: bh_sim_webhook_send (webhook_dup
 * setting: every delivery twice).
 *
 * ==================================================================== CONTROL API ====
 * (paths relative to /control/loop; errors {"error":msg} with 400/404/409)
 *   POST /returns   {"shopify_order_id": int64|"str" (or "order_name":"#1001"),
 *                    "lines":[{"line_item_id": <Shopify line id>, "quantity": n,
 *                              "reason"?, "parent_reason"?, "comment"?}],
 *                    "outcome":"refund|credit|store_credit|exchange|gift_card|split",
 *                    "bonus":"5.00" (credit only), "handling_fee":"3.00",
 *                    "exchange":[{"sku","price","title"?,"variant_id"?,"product_id"?,
 *                                 "tax"?,"discount"?}] (exchange only),
 *                    "leftover":"refund|credit", "refunds":[{"gateway","amount"}]
 *                    (explicit split used at processing), "created_at":"ISO" (back-date),
 *                    "is_gift":bool, "label":bool, "carrier"?, "tracking_number"?,
 *                    "label_status"?}
 *                   -> 200 the return object (as the API shows it); sends return.created.
 *                   Over-return (more units than remain returnable) -> 409 naming the
 *                   line, SKU, units bought and units already in returns.
 *   GET  /returns[?state=..&shopify_order_id=..] -> {"returns":[...]}
 *   GET  /returns/<id>                 -> the return object
 *   POST /returns/<id>/label_shipped   {"label_status"?="in_transit","carrier"?,
 *                                       "tracking_number"?} -> the return; label.updated
 *                                       + return.updated ("/label" is an alias)
 *   POST /returns/<id>/cancel          shopper/admin cancel (open or review) -> return
 *   POST /returns/<id>/expire          label never shipped (open or review) -> return
 *   POST /returns/<id>/unflag          admin finished the review: review -> open
 *   POST /returns/<id>/process|flag|close  the admin's buttons: same rules as the API;
 *                                       -> {"queued":true} / {"ok":true}, refusal 409
 *                                       {"error":"<Loop's refusal body>"}
 *   POST /returns/<id>/fail_processing {"times":1,"message":"..."} next processing
 *                                       attempts fail (return.processing.failed)
 *   POST /webhooks   {"topic":"return","trigger":"return.created","url":...,
 *                     "status"?} -> {"id":n} (ACTIVE unless status "inactive", like a
 *                     subscription made in the Loop admin)
 *   GET  /webhooks   -> {"webhooks":[...]};  DELETE /webhooks -> {} (remove all)
 *   POST /api_key    {"api_key":"k"} or {"api_keys":[...]}, "add":true to keep others
 *   POST /webhook_secret {"secret":"..."}
 *   GET|POST /settings  {rate_limit_per_minute, process_delay_ms, exchange_prefix,
 *                     credit_gift_card, credit_method, exchange_credit_gateway,
 *                     upsell_gateway, allow_flagged_processing, action_error_status,
 *                     shop_id, webhook_dup, label_at_create, shopify_refund,
 *                     webhook_secret}
 *                     -> the settings
 *   GET  /deliveries[?trigger=..&return_id=..] -> {"deliveries":[{seq, trigger, url,
 *                     return_id, signature, body}]} (last 512 sent); DELETE clears
 *   GET  /idle       -> {"idle":bool} (no processing queued or running)
 *   POST /reset      forget returns, orders, subscriptions and deliveries
 *
 * create() options (top level, or inside "loop"): the settings above plus "api_key" /
 * "api_keys" (default key "sim-loop-api-key"), "webhook_secret" (default
 * "sim-loop-webhook-secret"), "first_return_id" (default 6100001).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_loop_priv.h"

static void *loop_create(struct json_object *opts)
{
	struct bh_loop *s = calloc(1, sizeof(*s));
	struct json_object *o = opts, *v;
	char err[160];

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->set.rate_limit = 300;
	s->set.process_delay_ms = 50;
	s->set.exchange_prefix = strdup("EXC");
	s->set.credit_gift_card = true;
	s->set.credit_method = BH_LOOP_CREDIT_GIFT_CARD;
	s->set.exchange_credit_gateway = strdup("gift_card");
	s->set.upsell_gateway = strdup("shopify_payments");
	s->set.allow_flagged_processing = false;
	s->set.action_error_status = 200;
	s->set.shop_id = 81234;
	s->set.label_at_create = true;
	s->set.shopify_refund = true;
	s->set.webhook_secret = strdup("sim-loop-webhook-secret");
	s->first_return_id = 6100001;
	s->next_line_id = 59200001;
	s->next_loop_order_id = 26500001;
	s->next_exchange_id = 710001;
	s->next_note_id = 0;
	s->next_hook_id = 12340;
	s->deliv_cap = 512;
	s->deliv = calloc(s->deliv_cap, sizeof(*s->deliv));
	if (!s->set.exchange_prefix || !s->set.exchange_credit_gateway || !s->set.upsell_gateway ||
	    !s->set.webhook_secret || !s->deliv)
		goto fail;
	if (opts && json_object_object_get_ex(opts, "loop", &v) &&
	    json_object_is_type(v, json_type_object))
		o = v;
	if (o && json_object_is_type(o, json_type_object)) {
		int64_t first;
		if (bh_loop_apply_settings(s, o, err, sizeof(err)) ||
		    bh_loop_set_keys(s, o, err, sizeof(err))) {
			fprintf(stderr, "backhaul-sim: loop: %s\n", err);
			goto fail;
		}
		if (json_object_object_get_ex(o, "first_return_id", &v) &&
		    bh_loop_json_int64(v, &first) == 0 && first > 0)
			s->first_return_id = first;
	}
	if (!s->n_keys) {
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "api_key", json_object_new_string("sim-loop-api-key"));
		bh_loop_set_keys(s, d, err, sizeof(err));
		json_object_put(d);
		if (!s->n_keys)
			goto fail;
	}
	bh_loop_worker_start(s);
	return s;
fail:
	free(s->set.exchange_prefix);
	free(s->set.exchange_credit_gateway);
	free(s->set.upsell_gateway);
	free(s->set.webhook_secret);
	for (size_t i = 0; i < s->n_keys; i++) {
		free(s->keys[i].key);
		free(s->keys[i].ring);
	}
	free(s->keys);
	free(s->deliv);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

static void loop_destroy(void *svc)
{
	struct bh_loop *s = svc;
	if (!s)
		return;
	bh_loop_worker_stop(s);
	pthread_mutex_lock(&s->lock);
	bh_loop_reset(s);
	pthread_mutex_unlock(&s->lock);
	free(s->returns);
	free(s->deliv);
	for (size_t i = 0; i < s->n_keys; i++) {
		free(s->keys[i].key);
		free(s->keys[i].ring);
	}
	free(s->keys);
	free(s->set.exchange_prefix);
	free(s->set.exchange_credit_gateway);
	free(s->set.upsell_gateway);
	free(s->set.webhook_secret);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void loop_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	bh_loop_api_handle(svc, req, resp);
}

static void loop_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	bh_loop_ctl_handle(svc, req, resp);
}

static void loop_op_name(void *svc, const struct bh_sim_req *req, char *buf, size_t len)
{
	const char *p = req->path;
	(void)svc;
	if (strstr(p, "/warehouse/return/list"))
		snprintf(buf, len, "loop:list");
	else if (strstr(p, "/warehouse/return/details"))
		snprintf(buf, len, "loop:details");
	else if (strstr(p, "/warehouse/return/"))
		snprintf(buf, len, "loop:action");
	else if (strstr(p, "/webhooks"))
		snprintf(buf, len, "loop:webhooks");
	else
		snprintf(buf, len, "loop:other");
}

/* Injected faults in Loop's shapes: 429 as the rate limiter answers it (Retry-After 1 so
 * engine tests stay fast), 5xx as {"errors":{"message","code":"UNEXPECTED_ERROR"}}. */
static void loop_fault(void *svc, enum bh_sim_fault f, const struct bh_sim_req *req,
		       struct bh_sim_resp *resp)
{
	struct bh_loop *s = svc;
	(void)req;
	if (f == BH_SIM_FAULT_HTTP_429) {
		static const char body[] = "{\"message\":\"Too Many Attempts.\"}";
		char num[24];
		int limit = 300;
		if (s) {
			pthread_mutex_lock(&s->lock);
			limit = s->set.rate_limit;
			pthread_mutex_unlock(&s->lock);
		}
		bh_loop_reply_raw(resp, 429, body, sizeof(body) - 1);
		bh_sim_resp_header(resp, "Retry-After", "1");
		snprintf(num, sizeof(num), "%d", limit);
		bh_sim_resp_header(resp, "X-RateLimit-Limit", num);
		bh_sim_resp_header(resp, "X-RateLimit-Remaining", "0");
		return;
	}
	if (f == BH_SIM_FAULT_TIMEOUT) {
		bh_loop_reply_error(resp, 504, "UNEXPECTED_ERROR", "Gateway Timeout");
		return;
	}
	bh_loop_reply_error(resp, f == BH_SIM_FAULT_HTTP_5XX ? 500 : 502, "UNEXPECTED_ERROR",
			    "An unexpected error occurred.");
}

const struct bh_sim_service bh_sim_service_loop = {
	.name = "loop",
	.create = loop_create,
	.handle = loop_handle,
	.control = loop_control,
	.destroy = loop_destroy,
	.op_name = loop_op_name,
	.fault = loop_fault,
};
