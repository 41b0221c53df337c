/*
 * sim_loop_actions.c - return actions (process, cancel, flag, close) and the asynchronous
 * processing worker of the Loop simulator.
 *
 * Process Return answers 200 `true` when the return is QUEUED; a worker thread processes
 * it after settings.process_delay_ms: it creates the exchange order in the Shopify
 * simulator (control POST /orders, name <prefix><original number>), a gift card for
 * credit / gift-card outcomes when settings.credit_gift_card is on (control
 * POST /gift_cards), fills refunds[] per gateway and issues that refund in Shopify
 * (control POST /orders/<id>/refund, setting shopify_refund), closes the return and sends
 * return.closed then return.updated. When it cannot (a configured failure, Shopify
 * missing or refusing), the return stays as it was and return.processing.failed is sent.
 *
 * Refusals use the bodies Loop publishes, with HTTP status settings.action_error_status
 * (200 by default: Loop's spec models them on HTTP 200):
 *   process  closed/expired  {"errors":{"message":"Return is <state> and therefore cannot
 *                            be processed.","code":"UNPROCESSABLE_RETURN"}}
 *            cancelled       {"message":"Return is cancelled and therefore cannot be processed."}
 *            review          {"errors":{"message":"Return is review and therefore cannot be
 *                            processed.","code":"UNPROCESSABLE_FLAGGED_RETURN"}} unless
 *                            settings.allow_flagged_processing
 *   cancel   expired         {"content":"Return is expired and cannot be processed."}
 *            review          {"content":"Return is flagged and cannot be processed."}
 *            closed/cancelled UNPROCESSABLE_RETURN as above
 *   flag     closed/cancelled/expired UNPROCESSABLE_RETURN; already in review -> true
 *   close    cancelled       {"message":"Return is cancelled and therefore cannot be processed."}
 *            closed/expired  UNPROCESSABLE_RETURN
 * Unknown return: 404 {"errors":{"message":"Return not found.","code":"NOT_FOUND"}}.
 *
 * Ownership: a job is a return id; the worker copies what it needs (struct snap) under
 * the lock and frees the copy itself. Answers are written into the caller's resp.
 * Threading: the worker owns jobs[] under worker_lock. Processing takes bh_loop.lock in
 * two short phases around the Shopify calls, which run with no lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sim_loop_priv.h"

static void reply_true(struct bh_sim_resp *resp)
{
	bh_loop_reply_raw(resp, 200, "true", 4);
}

static void refuse_state(struct bh_loop *s, struct bh_sim_resp *resp, enum bh_loop_state st,
			 const char *code)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "Return is %s and therefore cannot be processed.",
		 bh_loop_state_name(st));
	bh_loop_reply_error(resp, s->set.action_error_status, code, msg);
}

static void refuse_plain(struct bh_loop *s, struct bh_sim_resp *resp, const char *key,
			 const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(msg));
	bh_loop_reply(resp, s->set.action_error_status, o);
}

static void close_now(struct bh_loop *s, struct bh_loop_outbox *ob, struct bh_loop_return *r)
{
	r->state = BH_LOOP_CLOSED;
	bh_loop_touch(r, bh_loop_now_ms());
	bh_loop_emit(s, ob, r, "return.closed");
	bh_loop_emit(s, ob, r, "return.updated");
}

void bh_loop_action(struct bh_loop *s, int64_t id, enum bh_loop_act act, const char *source,
		    const char *body, struct bh_sim_resp *resp)
{
	struct bh_loop_outbox ob = {0};
	struct bh_loop_return *r;
	bool enqueue = false;

	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r) {
		bh_loop_reply_error(resp, 404, "NOT_FOUND", "Return not found.");
		goto out;
	}
	switch (act) {
	case BH_LOOP_ACT_PROCESS:
		if (r->state == BH_LOOP_CANCELLED) {
			refuse_plain(s, resp, "message",
				     "Return is cancelled and therefore cannot be processed.");
			goto out;
		}
		if (r->state == BH_LOOP_REVIEW && !s->set.allow_flagged_processing) {
			refuse_state(s, resp, r->state, "UNPROCESSABLE_FLAGGED_RETURN");
			goto out;
		}
		if (r->state != BH_LOOP_OPEN && r->state != BH_LOOP_REVIEW) {
			refuse_state(s, resp, r->state, "UNPROCESSABLE_RETURN");
			goto out;
		}
		if (body && *body) {
			struct json_object *b = json_tokener_parse(body);
			if (b && json_object_is_type(b, json_type_object) &&
			    json_object_object_length(b) > 0) {
				free(r->process_details);
				r->process_details = bh_loop_json_text(b, NULL);
			}
			json_object_put(b);
		}
		if (!r->queued) {
			r->queued = true;
			enqueue = true;
		}
		reply_true(resp);
		break;
	case BH_LOOP_ACT_CANCEL:
		if (r->state == BH_LOOP_EXPIRED) {
			refuse_plain(s, resp, "content", "Return is expired and cannot be processed.");
			goto out;
		}
		if (r->state == BH_LOOP_REVIEW) {
			refuse_plain(s, resp, "content", "Return is flagged and cannot be processed.");
			goto out;
		}
		if (r->state != BH_LOOP_OPEN) {
			refuse_state(s, resp, r->state, "UNPROCESSABLE_RETURN");
			goto out;
		}
		r->state = BH_LOOP_CANCELLED;
		bh_loop_release_units(r);
		bh_loop_touch(r, bh_loop_now_ms());
		bh_loop_emit(s, &ob, r, "return.updated");
		reply_true(resp);
		break;
	case BH_LOOP_ACT_FLAG:
		if (r->state == BH_LOOP_REVIEW) {
			reply_true(resp);
			goto out;
		}
		if (r->state != BH_LOOP_OPEN) {
			refuse_state(s, resp, r->state, "UNPROCESSABLE_RETURN");
			goto out;
		}
		r->state = BH_LOOP_REVIEW;
		bh_loop_touch(r, bh_loop_now_ms());
		bh_loop_emit(s, &ob, r, "return.updated");
		reply_true(resp);
		break;
	case BH_LOOP_ACT_CLOSE:
		if (r->state == BH_LOOP_CANCELLED) {
			refuse_plain(s, resp, "message",
				     "Return is cancelled and therefore cannot be processed.");
			goto out;
		}
		if (r->state != BH_LOOP_OPEN && r->state != BH_LOOP_REVIEW) {
			refuse_state(s, resp, r->state, "UNPROCESSABLE_RETURN");
			goto out;
		}
		close_now(s, &ob, r);
		reply_true(resp);
		break;
	}
out:
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
	if (enqueue)
		bh_loop_enqueue(s, id, source);
}

/* ---------------------------------------------------------------- processing --- */

struct snap {
	int64_t id;
	enum bh_loop_outcome outcome;
	struct bh_loop_amounts a;
	int64_t gift_value;
	char *order_name, *email, *first_name, *last_name, *currency, *tax_title, *tax_rate;
	int64_t customer_id, provider_order_id;
	char *exchange_name;
	struct bh_loop_exchange *ex;
	size_t n_ex;
	char *details;
	char *refund_body;        /* Shopify refund to create, JSON text, or NULL */
	char *credit_gateway, *upsell_gateway; /* settings copied under the lock */
	bool refunds_committed;   /* refunds[] allocated in phase 1 (undo on failure) */
};

static void snap_free(struct snap *p)
{
	free(p->order_name);
	free(p->email);
	free(p->first_name);
	free(p->last_name);
	free(p->currency);
	free(p->tax_title);
	free(p->tax_rate);
	free(p->exchange_name);
	for (size_t i = 0; i < p->n_ex; i++) {
		free(p->ex[i].sku);
		free(p->ex[i].title);
	}
	free(p->ex);
	free(p->details);
	free(p->refund_body);
	free(p->credit_gateway);
	free(p->upsell_gateway);
}

static struct json_object *jm(int64_t cents)
{
	char buf[32];
	bh_loop_money_fmt(cents, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static void add_attr(struct json_object *arr, const char *name, const char *value)
{
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "value", json_object_new_string(value));
	json_object_array_add(arr, a);
}

static struct json_object *exchange_order_body(const struct snap *p)
{
	struct json_object *root = json_object_new_object(), *orders = json_object_new_array(),
			   *o = json_object_new_object(), *lines = json_object_new_array(),
			   *tx = json_object_new_array(), *attrs = json_object_new_array(),
			   *cust = json_object_new_object();
	char buf[64];

	json_object_object_add(o, "name", json_object_new_string(p->exchange_name));
	json_object_object_add(o, "email", json_object_new_string(p->email));
	json_object_object_add(o, "currency", json_object_new_string(p->currency));
	bh_loop_fmt_iso(bh_loop_now_ms(), buf, sizeof(buf));
	json_object_object_add(o, "created_at", json_object_new_string(buf));
	if (p->customer_id)
		json_object_object_add(cust, "id", json_object_new_int64(p->customer_id));
	json_object_object_add(cust, "email", json_object_new_string(p->email));
	json_object_object_add(cust, "first_name", json_object_new_string(p->first_name));
	json_object_object_add(cust, "last_name", json_object_new_string(p->last_name));
	json_object_object_add(o, "customer", cust);
	for (size_t i = 0; i < p->n_ex; i++) {
		const struct bh_loop_exchange *x = &p->ex[i];
		struct json_object *li = json_object_new_object();
		json_object_object_add(li, "sku", json_object_new_string(x->sku));
		json_object_object_add(li, "title", json_object_new_string(x->title));
		json_object_object_add(li, "quantity", json_object_new_int(1));
		json_object_object_add(li, "price", jm(x->price));
		if (x->variant_id)
			json_object_object_add(li, "variant_id", json_object_new_int64(x->variant_id));
		if (x->product_id)
			json_object_object_add(li, "product_id", json_object_new_int64(x->product_id));
		if (x->tax) {
			struct json_object *tl = json_object_new_array(), *t = json_object_new_object();
			json_object_object_add(t, "title", json_object_new_string(p->tax_title));
			/* the rate is sent as the decimal text of the original order's rate */
			json_object_object_add(t, "rate",
					       json_object_new_double_s(strtod(p->tax_rate, NULL),
									p->tax_rate));
			json_object_object_add(t, "price", jm(x->tax));
			json_object_array_add(tl, t);
			json_object_object_add(li, "tax_lines", tl);
		}
		if (x->discount) {
			struct json_object *dl = json_object_new_array(), *d = json_object_new_object();
			json_object_object_add(d, "amount", jm(x->discount));
			json_object_array_add(dl, d);
			json_object_object_add(li, "discount_allocations", dl);
		}
		json_object_array_add(lines, li);
	}
	json_object_object_add(o, "line_items", lines);
	json_object_object_add(o, "shipping_lines", json_object_new_array());
	if (p->a.ex_credit > 0) {
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "gateway", json_object_new_string(p->credit_gateway));
		json_object_object_add(t, "amount", jm(p->a.ex_credit));
		json_object_object_add(t, "kind", json_object_new_string("sale"));
		json_object_array_add(tx, t);
	}
	if (p->a.upsell > 0) {
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "gateway", json_object_new_string(p->upsell_gateway));
		json_object_object_add(t, "amount", jm(p->a.upsell));
		json_object_object_add(t, "kind", json_object_new_string("sale"));
		json_object_array_add(tx, t);
	}
	json_object_object_add(o, "transactions", tx);
	snprintf(buf, sizeof(buf), "Loop Exchange, %s", p->order_name);
	json_object_object_add(o, "tags", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)p->id);
	add_attr(attrs, "loop_return_id", buf);
	add_attr(attrs, "original_order", p->order_name);
	if (p->details) {
		/* Process Return's optional body: its key/values go on the new order */
		struct json_object *d = json_tokener_parse(p->details);
		json_object_object_foreach(d, k, v) {
			add_attr(attrs, k, json_object_is_type(v, json_type_string)
						   ? json_object_get_string(v)
						   : json_object_to_json_string_ext(
							     v, JSON_C_TO_STRING_PLAIN));
		}
		json_object_put(d);
	}
	json_object_object_add(o, "note_attributes", attrs);
	json_object_object_add(o, "source_name", json_object_new_string("loop"));
	json_object_array_add(orders, o);
	json_object_object_add(root, "orders", orders);
	return root;
}

/* Calls the Shopify simulator; returns the parsed 2xx JSON answer or NULL (msg set). */
static struct json_object *shopify_call(const char *method, const char *path,
					struct json_object *body, const char **msg)
{
	struct bh_sim_resp resp;
	struct json_object *ans = NULL;
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;

	memset(&resp, 0, sizeof(resp));
	if (bh_sim_control_call("shopify", method, path, NULL, text, &resp) != 0) {
		*msg = "Shopify is not reachable.";
		return NULL;
	}
	if (resp.status >= 200 && resp.status < 300 && resp.body)
		ans = json_tokener_parse(resp.body);
	if (!ans)
		*msg = "Shopify refused the request.";
	bh_sim_resp_clear(&resp);
	return ans;
}

static int64_t first_id(struct json_object *ans, const char *wrap)
{
	struct json_object *v, *w;
	int64_t id = 0;
	if (json_object_object_get_ex(ans, "ids", &v) && json_object_array_length(v) > 0 &&
	    bh_loop_json_int64(json_object_array_get_idx(v, 0), &id) == 0)
		return id;
	if (wrap && json_object_object_get_ex(ans, wrap, &w) &&
	    json_object_object_get_ex(w, "id", &v) && bh_loop_json_int64(v, &id) == 0)
		return id;
	if (json_object_object_get_ex(ans, "id", &v) && bh_loop_json_int64(v, &id) == 0)
		return id;
	return 0;
}

/* The Shopify refund Loop issues for money going back to the original payments:
 * {"refund":{"note","refund_line_items":[{line_item_id, quantity, restock_type}],
 * "transactions":[{gateway, amount}]}} (control POST /orders/<id>/refund). Line items
 * only for the refund outcome (an exchange's leftover refund moves money only). Lock held. */
static char *shopify_refund_body(const struct bh_loop_return *r)
{
	struct json_object *root = json_object_new_object(), *ref = json_object_new_object(),
			   *lines = json_object_new_array(), *tx = json_object_new_array();
	char note[64], *t;

	snprintf(note, sizeof(note), "Loop return %lld", (long long)r->id);
	json_object_object_add(ref, "note", json_object_new_string(note));
	for (size_t i = 0; r->outcome == BH_LOOP_OUT_REFUND && i < r->n_lines; i++) {
		const struct bh_loop_line *l = &r->lines[i];
		bool seen = false;
		int q = 0;
		if (l->removed)
			continue;
		for (size_t k = 0; k < i; k++)
			if (!r->lines[k].removed &&
			    r->lines[k].provider_line_item_id == l->provider_line_item_id)
				seen = true;
		if (seen)
			continue;
		for (size_t k = i; k < r->n_lines; k++)
			if (!r->lines[k].removed &&
			    r->lines[k].provider_line_item_id == l->provider_line_item_id)
				q++;
		struct json_object *li = json_object_new_object();
		json_object_object_add(li, "line_item_id", json_object_new_int64(l->provider_line_item_id));
		json_object_object_add(li, "quantity", json_object_new_int(q));
		json_object_object_add(li, "restock_type", json_object_new_string("return"));
		json_object_array_add(lines, li);
	}
	for (size_t i = 0; i < r->n_refunds; i++) {
		struct json_object *x;
		if (strcmp(r->refunds[i].gateway, "manual") == 0 ||
		    strcmp(r->refunds[i].gateway, "shopify_store_credit") == 0 || r->refunds[i].amount <= 0)
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "gateway", json_object_new_string(r->refunds[i].gateway));
		json_object_object_add(x, "amount", jm(r->refunds[i].amount));
		json_object_array_add(tx, x);
	}
	json_object_object_add(ref, "refund_line_items", lines);
	json_object_object_add(ref, "transactions", tx);
	json_object_object_add(root, "refund", ref);
	t = bh_loop_json_text(root, NULL);
	json_object_put(root);
	return t;
}

static void fail(struct bh_loop *s, int64_t id, const char *message, const char *source,
		 bool rollback)
{
	struct bh_loop_outbox ob = {0};
	struct bh_loop_return *r;

	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (r) {
		if (rollback)
			bh_loop_refunds_clear(r);
		r->queued = false;
		bh_loop_emit_processing_failed(s, &ob, r, message, source);
	}
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
}

void bh_loop_process_now(struct bh_loop *s, int64_t id, const char *source)
{
	struct bh_loop_outbox ob = {0};
	struct bh_loop_return *r;
	struct snap p;
	const char *msg = NULL;
	int64_t ex_order_id = 0, gift_card_id = 0;
	char *ex_order_name = NULL;
	bool want_gift_card;

	memset(&p, 0, sizeof(p));
	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r || !r->queued) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (r->state != BH_LOOP_OPEN &&
	    !(r->state == BH_LOOP_REVIEW && s->set.allow_flagged_processing)) {
		/* cancelled, closed or flagged while queued */
		r->queued = false;
		if (r->state == BH_LOOP_REVIEW)
			bh_loop_emit_processing_failed(s, &ob, r, "Return failed to process", source);
		pthread_mutex_unlock(&s->lock);
		bh_loop_outbox_flush(&ob);
		return;
	}
	if (r->fail_next > 0) {
		r->fail_next--;
		r->queued = false;
		bh_loop_emit_processing_failed(s, &ob, r, r->fail_message, source);
		pthread_mutex_unlock(&s->lock);
		bh_loop_outbox_flush(&ob);
		return;
	}
	p.id = r->id;
	p.outcome = r->outcome;
	bh_loop_amounts(r, &p.a);
	p.gift_value = p.a.gift_card +
		       (s->set.credit_method == BH_LOOP_CREDIT_GIFT_CARD ? p.a.credit : 0);
	p.order_name = bh_loop_strdup(r->order_name);
	p.email = bh_loop_strdup(r->email);
	p.first_name = bh_loop_strdup(r->first_name);
	p.last_name = bh_loop_strdup(r->last_name);
	p.currency = bh_loop_strdup(r->currency);
	p.tax_title = bh_loop_strdup(r->tax_title);
	p.tax_rate = bh_loop_strdup(r->tax_rate && *r->tax_rate ? r->tax_rate : "0");
	p.customer_id = r->customer_id;
	p.provider_order_id = r->order->provider_id;
	p.details = r->process_details ? strdup(r->process_details) : NULL;
	p.credit_gateway = bh_loop_strdup(s->set.exchange_credit_gateway);
	p.upsell_gateway = bh_loop_strdup(s->set.upsell_gateway);
	if (r->outcome == BH_LOOP_OUT_EXCHANGE && r->n_exchanges > 0) {
		char name[128];
		const char *num = r->order_name[0] == '#' ? r->order_name + 1 : r->order_name;
		int k = ++r->order->n_exchange_orders;
		if (k == 1)
			snprintf(name, sizeof(name), "%s%s", s->set.exchange_prefix, num);
		else
			snprintf(name, sizeof(name), "%s%s-%d", s->set.exchange_prefix, num, k);
		p.exchange_name = strdup(name);
		p.ex = calloc(r->n_exchanges, sizeof(*p.ex));
		if (p.ex) {
			p.n_ex = r->n_exchanges;
			for (size_t i = 0; i < p.n_ex; i++) {
				p.ex[i] = r->exchanges[i];
				p.ex[i].sku = bh_loop_strdup(r->exchanges[i].sku);
				p.ex[i].title = bh_loop_strdup(r->exchanges[i].title);
			}
		}
	}
	want_gift_card = s->set.credit_gift_card && p.gift_value > 0;
	if (s->set.shopify_refund && p.a.refund > 0) {
		if (bh_loop_allocate_refunds(r, s->set.credit_method) == 0) {
			p.refunds_committed = true;
			p.refund_body = shopify_refund_body(r);
		}
	}
	pthread_mutex_unlock(&s->lock);

	/* phase 2: Shopify, no lock held */
	if (p.exchange_name) {
		struct json_object *body = exchange_order_body(&p), *ans, *v;
		ans = shopify_call("POST", "/orders", body, &msg);
		json_object_put(body);
		if (ans) {
			ex_order_id = first_id(ans, "order");
			if (json_object_object_get_ex(ans, "names", &v) &&
			    json_object_array_length(v) > 0)
				ex_order_name = bh_loop_strdup(
					json_object_get_string(json_object_array_get_idx(v, 0)));
			else
				ex_order_name = bh_loop_strdup(p.exchange_name);
			json_object_put(ans);
			if (!ex_order_id)
				msg = "Exchange order could not be created.";
		}
	}
	if (!msg && want_gift_card) {
		struct json_object *body = json_object_new_object(), *gc = json_object_new_object(),
				   *ans;
		char note[96];
		json_object_object_add(gc, "initial_value", jm(p.gift_value));
		json_object_object_add(gc, "currency", json_object_new_string(p.currency));
		if (p.customer_id)
			json_object_object_add(gc, "customer_id", json_object_new_int64(p.customer_id));
		snprintf(note, sizeof(note), "Loop return %lld (%s)", (long long)p.id, p.order_name);
		json_object_object_add(gc, "note", json_object_new_string(note));
		json_object_object_add(body, "gift_card", gc);
		ans = shopify_call("POST", "/gift_cards", body, &msg);
		json_object_put(body);
		if (ans) {
			gift_card_id = first_id(ans, "gift_card");
			json_object_put(ans);
			if (!gift_card_id)
				msg = "Gift card could not be created.";
		}
	}
	if (!msg && p.refund_body) {
		struct bh_sim_resp resp;
		char path[64];
		memset(&resp, 0, sizeof(resp));
		snprintf(path, sizeof(path), "/orders/%lld/refund", (long long)p.provider_order_id);
		if (bh_sim_control_call("shopify", "POST", path, NULL, p.refund_body, &resp) != 0)
			msg = "Shopify is not reachable.";
		else if (resp.status < 200 || resp.status >= 300)
			msg = "Shopify refused the refund.";
		bh_sim_resp_clear(&resp);
	}
	if (msg) {
		free(ex_order_name);
		fail(s, id, msg, source, p.refunds_committed);
		snap_free(&p);
		return;
	}

	/* phase 3: apply */
	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (r && r->queued &&
	    (r->state == BH_LOOP_OPEN ||
	     (r->state == BH_LOOP_REVIEW && s->set.allow_flagged_processing))) {
		int64_t now = bh_loop_now_ms();
		r->queued = false;
		if (ex_order_id) {
			r->exchange_order_id = ex_order_id;
			free(r->exchange_order_name);
			r->exchange_order_name = ex_order_name;
			ex_order_name = NULL;
			r->exchange_processed_ms = now;
		}
		if (gift_card_id)
			r->gift_card_id = gift_card_id;
		if (p.gift_value > 0)
			r->gift_card_processed_ms = now;
		if ((p.refunds_committed || bh_loop_allocate_refunds(r, s->set.credit_method) == 0) &&
		    r->n_refunds > 0)
			r->refund_processed_ms = now;
		r->processed_ms = now;
		if (r->process_details) {
			struct bh_loop_note *n = realloc(r->notes, (r->n_notes + 1) * sizeof(*n));
			if (n) {
				size_t len = strlen(r->process_details) + 32;
				r->notes = n;
				n[r->n_notes].id = ++s->next_note_id;
				n[r->n_notes].created_ms = now;
				n[r->n_notes].content = malloc(len);
				if (n[r->n_notes].content) {
					snprintf(n[r->n_notes].content, len, "Processed with: %s",
						 r->process_details);
					r->n_notes++;
				}
			}
		}
		close_now(s, &ob, r);
	} else if (r) {
		/* cancelled or closed meanwhile: what Shopify did stays done */
		r->queued = false;
	}
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
	free(ex_order_name);
	snap_free(&p);
}

/* ------------------------------------------------------------------- worker --- */

static void *worker_main(void *arg)
{
	struct bh_loop *s = arg;

	pthread_mutex_lock(&s->worker_lock);
	while (!s->worker_stop) {
		size_t best = 0;
		int64_t now;
		if (s->n_jobs == 0) {
			pthread_cond_wait(&s->worker_cond, &s->worker_lock);
			continue;
		}
		for (size_t i = 1; i < s->n_jobs; i++)
			if (s->jobs[i].due_ms < s->jobs[best].due_ms)
				best = i;
		now = bh_loop_mono_ms();
		if (s->jobs[best].due_ms > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t wait = s->jobs[best].due_ms - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&s->worker_cond, &s->worker_lock, &ts);
			continue;
		}
		struct bh_loop_job job = s->jobs[best];
		s->jobs[best] = s->jobs[--s->n_jobs];
		s->jobs_active++;
		pthread_mutex_unlock(&s->worker_lock);
		bh_loop_process_now(s, job.return_id, job.source);
		pthread_mutex_lock(&s->worker_lock);
		s->jobs_active--;
		pthread_cond_broadcast(&s->worker_cond);
	}
	pthread_mutex_unlock(&s->worker_lock);
	return NULL;
}

void bh_loop_worker_start(struct bh_loop *s)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->worker_lock, NULL);
	pthread_cond_init(&s->worker_cond, &ca);
	pthread_condattr_destroy(&ca);
	s->worker_stop = false;
	s->worker_running = pthread_create(&s->worker, NULL, worker_main, s) == 0;
}

void bh_loop_worker_stop(struct bh_loop *s)
{
	pthread_mutex_lock(&s->worker_lock);
	s->worker_stop = true;
	pthread_cond_broadcast(&s->worker_cond);
	pthread_mutex_unlock(&s->worker_lock);
	if (s->worker_running)
		pthread_join(s->worker, NULL);
	s->worker_running = false;
	free(s->jobs);
	s->jobs = NULL;
	s->n_jobs = s->cap_jobs = 0;
	pthread_cond_destroy(&s->worker_cond);
	pthread_mutex_destroy(&s->worker_lock);
}

void bh_loop_enqueue(struct bh_loop *s, int64_t return_id, const char *source)
{
	int delay;

	pthread_mutex_lock(&s->lock);
	delay = s->set.process_delay_ms;
	pthread_mutex_unlock(&s->lock);
	if (!s->worker_running) {
		/* no worker thread could be started: process inline */
		bh_loop_process_now(s, return_id, source);
		return;
	}
	pthread_mutex_lock(&s->worker_lock);
	if (s->n_jobs == s->cap_jobs) {
		size_t ncap = s->cap_jobs ? s->cap_jobs * 2 : 32;
		struct bh_loop_job *n = realloc(s->jobs, ncap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&s->worker_lock);
			bh_loop_process_now(s, return_id, source);
			return;
		}
		s->jobs = n;
		s->cap_jobs = ncap;
	}
	s->jobs[s->n_jobs].return_id = return_id;
	s->jobs[s->n_jobs].due_ms = bh_loop_mono_ms() + (delay > 0 ? delay : 0);
	snprintf(s->jobs[s->n_jobs].source, sizeof(s->jobs[s->n_jobs].source), "%s",
		 source ? source : "api");
	s->n_jobs++;
	pthread_cond_broadcast(&s->worker_cond);
	pthread_mutex_unlock(&s->worker_lock);
}

bool bh_loop_worker_idle(struct bh_loop *s)
{
	bool idle;
	pthread_mutex_lock(&s->worker_lock);
	idle = s->n_jobs == 0 && s->jobs_active == 0;
	pthread_mutex_unlock(&s->worker_lock);
	return idle;
}
