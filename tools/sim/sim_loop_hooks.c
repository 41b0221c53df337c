/*
 * sim_loop_hooks.c - outbound webhooks of the Loop simulator.
 *
 * A delivery goes to every ACTIVE subscription whose trigger matches. The body depends on
 * the subscription's topic, as Loop documents it:
 *   topic "return"            the return object with "topic" and "trigger" first (the real
 *                             return.created / return.updated samples);
 *   topic "label"             {topic, trigger, shop_id, id, order_id, provider_order_id,
 *                             carrier, tracking_number, label_status, label_updated_at,
 *                             shipment_id} (Loop's documented example);
 *   topic "return.processing" {topic, trigger:"return.processing.failed", return_id,
 *                             return_state, message, source} (Return Processing topic);
 *   a topic that does not fit the trigger gets {topic, trigger} only ("the payload may be
 *   empty", Loop's setup guide).
 * Header X-Loop-Signature = base64(HMAC-SHA256(webhook secret, raw body)). Bodies are
 * compact JSON with "/" escaped (PHP json_encode), signed over exactly the bytes sent.
 *
 * Ownership: the outbox owns its copies until bh_loop_outbox_flush() hands them to
 * bh_sim_webhook_send() (which copies again) and frees them.
 * Threading: emit functions run under bh_loop.lock; flush runs with no lock held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_loop_priv.h"

static const char *const topics[] = {"return", "label", "restock", "label.request",
				     "giftcard", "happy.returns.shipment",
				     "return.processing", NULL};
static const char *const triggers[] = {"return.created", "return.updated", "return.closed",
				       "label.created", "label.updated", "restock.requested",
				       "label.request.issued", "label.request.cancelled",
				       "giftcard.requested", "shipment.processed",
				       "return.processing.failed", NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

bool bh_loop_topic_valid(const char *t)
{
	return t && in_list(topics, t);
}

bool bh_loop_trigger_valid(const char *t)
{
	return t && in_list(triggers, t);
}

struct json_object *bh_loop_hook_obj(const struct bh_loop *s, const struct bh_loop_hook *h)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(h->id));
	json_object_object_add(o, "shop_id", json_object_new_int64(s->set.shop_id));
	json_object_object_add(o, "topic", json_object_new_string(h->topic));
	json_object_object_add(o, "trigger", json_object_new_string(h->trigger));
	json_object_object_add(o, "url", json_object_new_string(h->url));
	json_object_object_add(o, "status", json_object_new_string(h->active ? "active" : "inactive"));
	return o;
}

static void record(struct bh_loop *s, const char *trigger, const char *url, const char *body,
		   const char *sig, int64_t return_id)
{
	struct bh_loop_delivery *d;
	if (!s->deliv_cap)
		return;
	d = &s->deliv[(s->deliv_head + s->deliv_count) % s->deliv_cap];
	if (s->deliv_count == s->deliv_cap) {
		free(d->trigger);
		free(d->url);
		free(d->body);
		free(d->signature);
		s->deliv_head = (s->deliv_head + 1) % s->deliv_cap;
	} else {
		s->deliv_count++;
	}
	d->seq = ++s->deliv_seq;
	d->trigger = strdup(trigger);
	d->url = strdup(url);
	d->body = strdup(body);
	d->signature = strdup(sig);
	d->return_id = return_id;
}

void bh_loop_deliveries_clear(struct bh_loop *s)
{
	for (size_t i = 0; i < s->deliv_count; i++) {
		struct bh_loop_delivery *d = &s->deliv[(s->deliv_head + i) % s->deliv_cap];
		free(d->trigger);
		free(d->url);
		free(d->body);
		free(d->signature);
	}
	s->deliv_head = s->deliv_count = 0;
}

static void outbox_add(struct bh_loop *s, struct bh_loop_outbox *ob, const struct bh_loop_hook *h,
		       const char *trigger, char *body, size_t len, int64_t return_id)
{
	char *sig = bh_sim_hmac_b64(s->set.webhook_secret, body, len);
	if (!sig) {
		free(body);
		return;
	}
	record(s, trigger, h->url, body, sig, return_id);
	if (ob->n == ob->cap) {
		size_t ncap = ob->cap ? ob->cap * 2 : 4;
		void *n = realloc(ob->items, ncap * sizeof(*ob->items));
		if (!n) {
			free(body);
			free(sig);
			return;
		}
		ob->items = n;
		ob->cap = ncap;
	}
	ob->items[ob->n].url = strdup(h->url);
	ob->items[ob->n].body = body;
	ob->items[ob->n].len = len;
	ob->items[ob->n].sig = sig;
	ob->n++;
	ob->dup = s->set.webhook_dup;
}

static char *label_body(struct bh_loop *s, struct bh_loop_return *r, const char *trigger,
			size_t *len)
{
	struct json_object *o = json_object_new_object();
	char buf[48];
	char *t;

	json_object_object_add(o, "topic", json_object_new_string("label"));
	json_object_object_add(o, "trigger", json_object_new_string(trigger));
	snprintf(buf, sizeof(buf), "%lld", (long long)s->set.shop_id);
	json_object_object_add(o, "shop_id", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)r->id);
	json_object_object_add(o, "id", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)r->order->loop_id);
	json_object_object_add(o, "order_id", json_object_new_string(buf));
	json_object_object_add(o, "provider_order_id", json_object_new_int64(r->order->provider_id));
	json_object_object_add(o, "carrier", json_object_new_string(r->carrier ? r->carrier : ""));
	json_object_object_add(o, "tracking_number",
			       json_object_new_string(r->tracking_number ? r->tracking_number : ""));
	json_object_object_add(o, "label_status",
			       json_object_new_string(r->label_status ? r->label_status : ""));
	bh_loop_fmt_iso(r->label_updated_ms ? r->label_updated_ms : r->updated_ms, buf, sizeof(buf));
	json_object_object_add(o, "label_updated_at", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)(r->id * 7 + 1000000));
	json_object_object_add(o, "shipment_id", json_object_new_string(buf));
	t = bh_loop_json_text(o, len);
	json_object_put(o);
	return t;
}

void bh_loop_emit(struct bh_loop *s, struct bh_loop_outbox *ob, struct bh_loop_return *r,
		  const char *trigger)
{
	for (size_t i = 0; i < s->n_hooks; i++) {
		const struct bh_loop_hook *h = &s->hooks[i];
		char *body = NULL;
		size_t len = 0;

		if (!h->active || strcmp(h->trigger, trigger) != 0)
			continue;
		if (strcmp(h->topic, "return") == 0) {
			size_t n;
			const char *obj = bh_loop_render(s, r, &n);
			size_t cap = n + strlen(trigger) + 64;
			body = malloc(cap);
			if (!body)
				continue;
			/* obj is "{...}": splice topic and trigger in front of its members */
			len = (size_t)snprintf(body, cap, "{\"topic\":\"return\",\"trigger\":\"%s\"%s%s",
					       trigger, n > 2 ? "," : "", obj + 1);
		} else if (strcmp(h->topic, "label") == 0) {
			body = label_body(s, r, trigger, &len);
		} else {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "topic", json_object_new_string(h->topic));
			json_object_object_add(o, "trigger", json_object_new_string(trigger));
			body = bh_loop_json_text(o, &len);
			json_object_put(o);
		}
		if (body)
			outbox_add(s, ob, h, trigger, body, len, r->id);
	}
}

void bh_loop_emit_processing_failed(struct bh_loop *s, struct bh_loop_outbox *ob,
				    struct bh_loop_return *r, const char *message,
				    const char *source)
{
	static const char trigger[] = "return.processing.failed";
	for (size_t i = 0; i < s->n_hooks; i++) {
		const struct bh_loop_hook *h = &s->hooks[i];
		struct json_object *o;
		char *body;
		size_t len = 0;

		if (!h->active || strcmp(h->trigger, trigger) != 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "topic", json_object_new_string("return.processing"));
		json_object_object_add(o, "trigger", json_object_new_string(trigger));
		json_object_object_add(o, "return_id", json_object_new_int64(r->id));
		json_object_object_add(o, "return_state",
				       json_object_new_string(bh_loop_state_name(r->state)));
		json_object_object_add(o, "message", message ? json_object_new_string(message) : NULL);
		json_object_object_add(o, "source", source ? json_object_new_string(source) : NULL);
		body = bh_loop_json_text(o, &len);
		json_object_put(o);
		if (body)
			outbox_add(s, ob, h, trigger, body, len, r->id);
	}
}

void bh_loop_outbox_flush(struct bh_loop_outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++) {
		struct bh_sim_header h[2] = {
			{"Content-Type", "application/json"},
			{"X-Loop-Signature", ob->items[i].sig},
		};
		bh_sim_webhook_send(ob->items[i].url, h, 2, ob->items[i].body, ob->items[i].len,
				    ob->dup);
		free(ob->items[i].url);
		free(ob->items[i].body);
		free(ob->items[i].sig);
	}
	free(ob->items);
	memset(ob, 0, sizeof(*ob));
}
