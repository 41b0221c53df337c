/*
 * sim_loop_ctl.c - the Loop simulator's control API (the shopper, the warehouse, the
 * merchant admin, and inspection for tests). Operations are listed in sim_loop.c's
 * header comment; this file implements them.
 *
 * Answers are JSON; errors are {"error":"message"} with 400 (bad request), 404 (no such
 * return) or 409 (not allowed in the return's state / over-return).
 * Ownership: the request body is parsed into a local json_object freed before return;
 * answers go into resp.
 * Threading: each operation takes bh_loop.lock briefly; nothing is held across calls to
 * other services (return creation and processing call Shopify unlocked).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_loop_priv.h"

static void ctl_error(struct bh_sim_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	bh_loop_reply(resp, status, o);
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	long long x;
	if (!s || !*s)
		return false;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static void reply_return(struct bh_loop *s, struct bh_loop_return *r, struct bh_sim_resp *resp)
{
	size_t n;
	const char *t = bh_loop_render(s, r, &n);
	bh_loop_reply_raw(resp, 200, t, n);
}

/* settings shared by create() options and POST /settings; caller holds the lock */
int bh_loop_apply_settings(struct bh_loop *s, struct json_object *o, char *err, size_t errlen)
{
	struct json_object *v;
	int64_t x;

#define STR_OPT(name, field)                                                       \
	if ((v = jget(o, name))) {                                                 \
		char *c;                                                           \
		if (!json_object_is_type(v, json_type_string)) {                   \
			snprintf(err, errlen, "%s must be a string", name);        \
			return BH_EINVAL;                                          \
		}                                                                  \
		c = strdup(json_object_get_string(v));                             \
		if (!c)                                                            \
			return BH_ENOMEM;                                          \
		free(s->set.field);                                                \
		s->set.field = c;                                                  \
	}
#define INT_OPT(name, field, lo, hi)                                               \
	if ((v = jget(o, name))) {                                                 \
		if (bh_loop_json_int64(v, &x) || x < (lo) || x > (hi)) {           \
			snprintf(err, errlen, "%s must be an integer in [%d, %d]", name, (int)(lo), \
				 (int)(hi));                                       \
			return BH_EINVAL;                                          \
		}                                                                  \
		s->set.field = (int)x;                                             \
	}
#define BOOL_OPT(name, field)                                                      \
	if ((v = jget(o, name))) {                                                 \
		if (!json_object_is_type(v, json_type_boolean)) {                  \
			snprintf(err, errlen, "%s must be true or false", name);   \
			return BH_EINVAL;                                          \
		}                                                                  \
		s->set.field = json_object_get_boolean(v);                         \
	}
	STR_OPT("webhook_secret", webhook_secret)
	STR_OPT("exchange_prefix", exchange_prefix)
	STR_OPT("exchange_credit_gateway", exchange_credit_gateway)
	STR_OPT("upsell_gateway", upsell_gateway)
	INT_OPT("rate_limit_per_minute", rate_limit, 0, 1000000)
	INT_OPT("process_delay_ms", process_delay_ms, 0, 3600000)
	INT_OPT("action_error_status", action_error_status, 200, 599)
	BOOL_OPT("credit_gift_card", credit_gift_card)
	BOOL_OPT("allow_flagged_processing", allow_flagged_processing)
	BOOL_OPT("webhook_dup", webhook_dup)
	BOOL_OPT("label_at_create", label_at_create)
	BOOL_OPT("shopify_refund", shopify_refund)
#undef STR_OPT
#undef INT_OPT
#undef BOOL_OPT
	if ((v = jget(o, "shop_id"))) {
		if (bh_loop_json_int64(v, &x) || x <= 0) {
			snprintf(err, errlen, "shop_id must be a positive integer");
			return BH_EINVAL;
		}
		s->set.shop_id = x;
	}
	if ((v = jget(o, "credit_method"))) {
		const char *m = json_object_get_string(v);
		if (strcmp(m, "gift_card") == 0)
			s->set.credit_method = BH_LOOP_CREDIT_GIFT_CARD;
		else if (strcmp(m, "shopify_store_credit") == 0)
			s->set.credit_method = BH_LOOP_CREDIT_STORE_CREDIT;
		else {
			snprintf(err, errlen, "credit_method must be gift_card or shopify_store_credit");
			return BH_EINVAL;
		}
	}
	/* cached renders depend on shop_id and credit_method */
	for (size_t i = 0; i < s->n_returns; i++) {
		free(s->returns[i]->cache);
		s->returns[i]->cache = NULL;
	}
	return 0;
}

static struct json_object *settings_obj(struct bh_loop *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "rate_limit_per_minute", json_object_new_int(s->set.rate_limit));
	json_object_object_add(o, "process_delay_ms", json_object_new_int(s->set.process_delay_ms));
	json_object_object_add(o, "exchange_prefix", json_object_new_string(s->set.exchange_prefix));
	json_object_object_add(o, "credit_gift_card", json_object_new_boolean(s->set.credit_gift_card));
	json_object_object_add(o, "credit_method",
			       json_object_new_string(s->set.credit_method == BH_LOOP_CREDIT_GIFT_CARD
							      ? "gift_card"
							      : "shopify_store_credit"));
	json_object_object_add(o, "exchange_credit_gateway",
			       json_object_new_string(s->set.exchange_credit_gateway));
	json_object_object_add(o, "upsell_gateway", json_object_new_string(s->set.upsell_gateway));
	json_object_object_add(o, "allow_flagged_processing",
			       json_object_new_boolean(s->set.allow_flagged_processing));
	json_object_object_add(o, "action_error_status", json_object_new_int(s->set.action_error_status));
	json_object_object_add(o, "shop_id", json_object_new_int64(s->set.shop_id));
	json_object_object_add(o, "webhook_dup", json_object_new_boolean(s->set.webhook_dup));
	json_object_object_add(o, "label_at_create", json_object_new_boolean(s->set.label_at_create));
	json_object_object_add(o, "shopify_refund", json_object_new_boolean(s->set.shopify_refund));
	return o;
}

/* Set the API keys: {"api_key":"k"} or {"api_keys":["a","b"]}, replacing (default) or
 * adding ("add":true). Caller holds the lock. */
int bh_loop_set_keys(struct bh_loop *s, struct json_object *o, char *err, size_t errlen)
{
	struct json_object *one = jget(o, "api_key"), *many = jget(o, "api_keys"), *add = jget(o, "add");
	const char *list[64];
	size_t n = 0;

	if (one) {
		if (!json_object_is_type(one, json_type_string) || !*json_object_get_string(one)) {
			snprintf(err, errlen, "api_key must be a non-empty string");
			return BH_EINVAL;
		}
		list[n++] = json_object_get_string(one);
	}
	if (many) {
		if (!json_object_is_type(many, json_type_array)) {
			snprintf(err, errlen, "api_keys must be an array of strings");
			return BH_EINVAL;
		}
		for (size_t i = 0; i < json_object_array_length(many) && n < 64; i++) {
			struct json_object *k = json_object_array_get_idx(many, i);
			if (!json_object_is_type(k, json_type_string) || !*json_object_get_string(k)) {
				snprintf(err, errlen, "api_keys must be non-empty strings");
				return BH_EINVAL;
			}
			list[n++] = json_object_get_string(k);
		}
	}
	if (!n)
		return 0;
	if (!(add && json_object_get_boolean(add))) {
		for (size_t i = 0; i < s->n_keys; i++) {
			free(s->keys[i].key);
			free(s->keys[i].ring);
		}
		s->n_keys = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct bh_loop_key *k = realloc(s->keys, (s->n_keys + 1) * sizeof(*k));
		if (!k)
			return BH_ENOMEM;
		s->keys = k;
		memset(&k[s->n_keys], 0, sizeof(*k));
		k[s->n_keys].key = strdup(list[i]);
		if (!k[s->n_keys].key)
			return BH_ENOMEM;
		s->n_keys++;
	}
	return 0;
}

void bh_loop_reset(struct bh_loop *s)
{
	for (size_t i = 0; i < s->n_returns; i++)
		bh_loop_return_free(s->returns[i]);
	s->n_returns = 0;
	for (size_t i = 0; i < s->orders.cap; i++)
		if (s->orders.vals[i])
			bh_loop_order_free(s->orders.vals[i]);
	bh_loop_map_free(&s->orders);
	bh_loop_map_free(&s->names);
	for (size_t i = 0; i < s->n_hooks; i++) {
		free(s->hooks[i].topic);
		free(s->hooks[i].trigger);
		free(s->hooks[i].url);
	}
	free(s->hooks);
	s->hooks = NULL;
	s->n_hooks = 0;
	bh_loop_deliveries_clear(s);
	s->first_return_id += 1000000; /* new ids never collide with the old ones */
}

/* /returns/<id>/<op> in the shopper/warehouse/admin roles */
static void return_op(struct bh_loop *s, int64_t id, const char *op, struct json_object *body,
		      const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct bh_loop_outbox ob = {0};
	struct bh_loop_return *r;
	int64_t now = bh_loop_now_ms();

	if (strcmp(op, "process") == 0 || strcmp(op, "flag") == 0 || strcmp(op, "close") == 0) {
		/* the admin pressing the button: same rules as the API, control-style errors */
		struct bh_sim_resp inner;
		memset(&inner, 0, sizeof(inner));
		bh_loop_action(s, id,
			       op[0] == 'p' ? BH_LOOP_ACT_PROCESS
			       : op[0] == 'f' ? BH_LOOP_ACT_FLAG
					      : BH_LOOP_ACT_CLOSE,
			       "admin", req->body, &inner);
		if (inner.status == 404) {
			ctl_error(resp, 404, "no such return");
		} else if (inner.body && strcmp(inner.body, "true") == 0) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, op[0] == 'p' ? "queued" : "ok", json_object_new_boolean(1));
			bh_loop_reply(resp, 200, o);
		} else {
			ctl_error(resp, 409, inner.body ? inner.body : "refused");
		}
		bh_sim_resp_clear(&inner);
		return;
	}
	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r) {
		pthread_mutex_unlock(&s->lock);
		ctl_error(resp, 404, "no such return");
		return;
	}
	if (strcmp(op, "label_shipped") == 0 || strcmp(op, "label") == 0) {
		struct json_object *v;
		const char *status = (v = jget(body, "label_status")) ? json_object_get_string(v)
								      : "in_transit";
		char *nst = strdup(status), *ncar = NULL, *ntrk = NULL;
		if ((v = jget(body, "carrier")))
			ncar = strdup(json_object_get_string(v));
		else if (!r->carrier || !*r->carrier)
			ncar = strdup("USPS");
		if ((v = jget(body, "tracking_number")))
			ntrk = strdup(json_object_get_string(v));
		else if (!r->tracking_number || strcmp(r->tracking_number, "N/A") == 0) {
			char trk[40];
			snprintf(trk, sizeof(trk), "9400%018lld", (long long)(++s->tracking_seq + now % 100000000));
			ntrk = strdup(trk);
		}
		if (nst) {
			free(r->label_status);
			r->label_status = nst;
		}
		if (ncar) {
			free(r->carrier);
			r->carrier = ncar;
		}
		if (ntrk) {
			free(r->tracking_number);
			r->tracking_number = ntrk;
		}
		r->label_updated_ms = now;
		bh_loop_touch(r, now);
		bh_loop_emit(s, &ob, r, "label.updated");
		bh_loop_emit(s, &ob, r, "return.updated");
	} else if (strcmp(op, "cancel") == 0 || strcmp(op, "expire") == 0) {
		if (r->state != BH_LOOP_OPEN && r->state != BH_LOOP_REVIEW) {
			char msg[96];
			snprintf(msg, sizeof(msg), "return %lld is %s", (long long)id,
				 bh_loop_state_name(r->state));
			pthread_mutex_unlock(&s->lock);
			ctl_error(resp, 409, msg);
			return;
		}
		r->state = op[0] == 'c' ? BH_LOOP_CANCELLED : BH_LOOP_EXPIRED;
		bh_loop_release_units(r);
		bh_loop_touch(r, now);
		bh_loop_emit(s, &ob, r, "return.updated");
	} else if (strcmp(op, "unflag") == 0) {
		if (r->state != BH_LOOP_REVIEW) {
			pthread_mutex_unlock(&s->lock);
			ctl_error(resp, 409, "return is not in review");
			return;
		}
		r->state = BH_LOOP_OPEN;
		bh_loop_touch(r, now);
		bh_loop_emit(s, &ob, r, "return.updated");
	} else if (strcmp(op, "fail_processing") == 0) {
		struct json_object *v;
		int64_t times = 1;
		if ((v = jget(body, "times")) && (bh_loop_json_int64(v, &times) || times < 0)) {
			pthread_mutex_unlock(&s->lock);
			ctl_error(resp, 400, "times must be a non-negative integer");
			return;
		}
		r->fail_next = (int)times;
		free(r->fail_message);
		r->fail_message = (v = jget(body, "message")) ? strdup(json_object_get_string(v)) : NULL;
	} else {
		pthread_mutex_unlock(&s->lock);
		ctl_error(resp, 404, "unknown return operation");
		return;
	}
	reply_return(s, r, resp);
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
}

static void list_returns(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *st = bh_sim_req_query(req, "state"), *oid = bh_sim_req_query(req, "shopify_order_id");
	enum bh_loop_state want = BH_LOOP_OPEN;
	int64_t order = 0;
	struct json_object *o, *a;

	if (st && *st && bh_loop_state_parse(st, &want)) {
		ctl_error(resp, 400, "unknown state");
		goto out;
	}
	if (oid && *oid && !parse_i64(oid, &order)) {
		ctl_error(resp, 400, "shopify_order_id must be an integer");
		goto out;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_returns; i++) {
		struct bh_loop_return *r = s->returns[i];
		if (st && *st && r->state != want)
			continue;
		if (order && r->order->provider_id != order)
			continue;
		json_object_array_add(a, bh_loop_render_obj(s, r));
	}
	pthread_mutex_unlock(&s->lock);
	json_object_object_add(o, "returns", a);
	bh_loop_reply(resp, 200, o);
out:
	free(st);
	free(oid);
}

static void deliveries(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *trig = bh_sim_req_query(req, "trigger"), *rid = bh_sim_req_query(req, "return_id");
	int64_t want = 0;
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	parse_i64(rid, &want);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->deliv_count; i++) {
		struct bh_loop_delivery *d = &s->deliv[(s->deliv_head + i) % s->deliv_cap];
		struct json_object *e;
		if (trig && *trig && strcmp(trig, d->trigger) != 0)
			continue;
		if (want && d->return_id != want)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "seq", json_object_new_int64(d->seq));
		json_object_object_add(e, "trigger", json_object_new_string(d->trigger));
		json_object_object_add(e, "url", json_object_new_string(d->url));
		json_object_object_add(e, "return_id", json_object_new_int64(d->return_id));
		json_object_object_add(e, "signature", json_object_new_string(d->signature));
		json_object_object_add(e, "body", json_object_new_string(d->body));
		json_object_array_add(a, e);
	}
	pthread_mutex_unlock(&s->lock);
	json_object_object_add(o, "deliveries", a);
	bh_loop_reply(resp, 200, o);
	free(trig);
	free(rid);
}

void bh_loop_ctl_handle(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	const char *p = req->path, *m = req->method;
	struct json_object *body = NULL;
	char err[160] = "";

	if (req->body_len) {
		body = json_tokener_parse(req->body);
		if (!body) {
			ctl_error(resp, 400, "body is not valid JSON");
			return;
		}
	}
	if (strcmp(p, "/returns") == 0 && strcmp(m, "POST") == 0) {
		bh_loop_create_return(s, body, resp);
	} else if (strcmp(p, "/returns") == 0 && strcmp(m, "GET") == 0) {
		list_returns(s, req, resp);
	} else if (strncmp(p, "/returns/", 9) == 0) {
		const char *idp = p + 9, *slash = strchr(idp, '/');
		char idbuf[24];
		int64_t id;
		size_t len = slash ? (size_t)(slash - idp) : strlen(idp);
		if (len == 0 || len >= sizeof(idbuf)) {
			ctl_error(resp, 404, "no such return");
			goto out;
		}
		memcpy(idbuf, idp, len);
		idbuf[len] = '\0';
		if (!parse_i64(idbuf, &id)) {
			ctl_error(resp, 404, "no such return");
		} else if (!slash && strcmp(m, "GET") == 0) {
			struct bh_loop_return *r;
			pthread_mutex_lock(&s->lock);
			r = bh_loop_find(s, id);
			if (r)
				reply_return(s, r, resp);
			pthread_mutex_unlock(&s->lock);
			if (!r)
				ctl_error(resp, 404, "no such return");
		} else if (slash && strcmp(m, "POST") == 0) {
			return_op(s, id, slash + 1, body, req, resp);
		} else {
			ctl_error(resp, 404, "unknown control operation");
		}
	} else if (strcmp(p, "/webhooks") == 0 && strcmp(m, "POST") == 0) {
		struct json_object *t = jget(body, "topic"), *g = jget(body, "trigger"),
				   *u = jget(body, "url"), *stv = jget(body, "status");
		const char *topic = t ? json_object_get_string(t) : "return";
		int64_t id;
		if (!g || !u || !bh_loop_topic_valid(topic) ||
		    !bh_loop_trigger_valid(json_object_get_string(g))) {
			ctl_error(resp, 400, "need topic (return|label|...), trigger and url");
		} else if (bh_loop_hook_add_ctl(s, topic, json_object_get_string(g),
						json_object_get_string(u),
						!stv || strcmp(json_object_get_string(stv), "inactive") != 0,
						&id)) {
			ctl_error(resp, 500, "out of memory");
		} else {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(id));
			bh_loop_reply(resp, 200, o);
		}
	} else if (strcmp(p, "/webhooks") == 0 && strcmp(m, "GET") == 0) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->n_hooks; i++)
			json_object_array_add(a, bh_loop_hook_obj(s, &s->hooks[i]));
		pthread_mutex_unlock(&s->lock);
		json_object_object_add(o, "webhooks", a);
		bh_loop_reply(resp, 200, o);
	} else if (strcmp(p, "/webhooks") == 0 && strcmp(m, "DELETE") == 0) {
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->n_hooks; i++) {
			free(s->hooks[i].topic);
			free(s->hooks[i].trigger);
			free(s->hooks[i].url);
		}
		s->n_hooks = 0;
		pthread_mutex_unlock(&s->lock);
		bh_loop_reply(resp, 200, json_object_new_object());
	} else if (strcmp(p, "/api_key") == 0 && strcmp(m, "POST") == 0) {
		int rc;
		pthread_mutex_lock(&s->lock);
		rc = (jget(body, "api_key") || jget(body, "api_keys")) ? bh_loop_set_keys(s, body, err, sizeof(err))
									: (snprintf(err, sizeof(err), "api_key is required"), -1);
		pthread_mutex_unlock(&s->lock);
		if (rc)
			ctl_error(resp, 400, *err ? err : "out of memory");
		else
			bh_loop_reply(resp, 200, json_object_new_object());
	} else if (strcmp(p, "/webhook_secret") == 0 && strcmp(m, "POST") == 0) {
		struct json_object *v = jget(body, "secret");
		if (!v || !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
			ctl_error(resp, 400, "secret must be a non-empty string");
		} else {
			char *c = strdup(json_object_get_string(v));
			pthread_mutex_lock(&s->lock);
			if (c) {
				free(s->set.webhook_secret);
				s->set.webhook_secret = c;
			}
			pthread_mutex_unlock(&s->lock);
			bh_loop_reply(resp, 200, json_object_new_object());
		}
	} else if (strcmp(p, "/settings") == 0 && (strcmp(m, "POST") == 0 || strcmp(m, "GET") == 0)) {
		int rc = 0;
		struct json_object *o;
		pthread_mutex_lock(&s->lock);
		if (strcmp(m, "POST") == 0)
			rc = bh_loop_apply_settings(s, body, err, sizeof(err));
		o = rc ? NULL : settings_obj(s);
		pthread_mutex_unlock(&s->lock);
		if (rc)
			ctl_error(resp, 400, *err ? err : "out of memory");
		else
			bh_loop_reply(resp, 200, o);
	} else if (strcmp(p, "/deliveries") == 0 && strcmp(m, "GET") == 0) {
		deliveries(s, req, resp);
	} else if (strcmp(p, "/deliveries") == 0 && strcmp(m, "DELETE") == 0) {
		pthread_mutex_lock(&s->lock);
		bh_loop_deliveries_clear(s);
		pthread_mutex_unlock(&s->lock);
		bh_loop_reply(resp, 200, json_object_new_object());
	} else if (strcmp(p, "/idle") == 0 && strcmp(m, "GET") == 0) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "idle", json_object_new_boolean(bh_loop_worker_idle(s)));
		bh_loop_reply(resp, 200, o);
	} else if (strcmp(p, "/reset") == 0 && strcmp(m, "POST") == 0) {
		pthread_mutex_lock(&s->lock);
		bh_loop_reset(s);
		pthread_mutex_unlock(&s->lock);
		bh_loop_reply(resp, 200, json_object_new_object());
	} else {
		ctl_error(resp, 404, "unknown control operation");
	}
out:
	json_object_put(body);
}
