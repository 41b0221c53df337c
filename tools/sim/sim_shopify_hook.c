/*
 * sim_shopify_hook.c - the Shopify simulator's webhooks: subscriptions, the outbox that
 * carries deliveries out of the data lock, header and signature construction, the
 * delivery log, and the control operations /webhooks, /webhook_secret, /deliveries.
 *
 * A delivery is the bare REST resource (no envelope), POSTed to every subscription of
 * its topic with Shopify's headers (research §6): X-Shopify-Topic,
 * X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app secret, raw body)),
 * X-Shopify-Shop-Domain, X-Shopify-API-Version (the subscription's), X-Shopify-Webhook-Id
 * (a fresh UUID per delivery: the dedupe key), X-Shopify-Triggered-At, X-Shopify-Event-Id
 * (one UUID shared by every delivery of one merchant action, e.g. refunds/create and
 * orders/updated of one refund). The framework's bh_sim_webhook_send retries failures;
 * a share `dup_rate` of deliveries is sent twice (same headers, at-least-once), chosen
 * deterministically from (seed, delivery number).
 *
 * Ownership: subscriptions and the log belong to the service (freed by
 * bh_shp_hooks_free); an outbox owns its pending bodies until flushed.
 * Threading: hook_lock guards subscriptions, the log, the secret and the counters; the
 * network send happens with no lock held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify.h"

static const char *const topics[] = {"orders/create", "orders/updated", "orders/cancelled",
				     "refunds/create", NULL};

void bh_shp_outbox_add(struct bh_shp_outbox *ob, const char *topic, char *body, uint64_t event)
{
	if (!body)
		return;
	if (ob->n == ob->cap) {
		size_t nc = ob->cap ? ob->cap * 2 : 8;
		struct bh_shp_pending *n = realloc(ob->items, nc * sizeof(*n));
		if (!n) {
			free(body);
			return;
		}
		ob->items = n;
		ob->cap = nc;
	}
	ob->items[ob->n].topic = bh_shp_strdup(topic);
	ob->items[ob->n].body = body;
	ob->items[ob->n].event = event;
	ob->n++;
}

size_t bh_shp_webhook_headers(const struct bh_shp_wh_meta *m, const char *body, size_t len,
			      struct bh_sim_header hdr[8], char **hmac)
{
	size_t n = 0;
	*hmac = bh_sim_hmac_b64(m->secret, body, len);
	hdr[n++] = (struct bh_sim_header){"Content-Type", "application/json"};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Topic", m->topic};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Hmac-Sha256", *hmac ? *hmac : ""};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Shop-Domain", m->shop_domain};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-API-Version", m->api_version};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Webhook-Id", m->webhook_id};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Triggered-At", m->triggered_at};
	hdr[n++] = (struct bh_sim_header){"X-Shopify-Event-Id", m->event_id};
	return n;
}

static void delivery_free(struct bh_shp_delivery *d)
{
	free(d->topic);
	free(d->address);
	free(d->webhook_id);
	free(d->event_id);
	free(d->triggered_at);
	free(d->hmac);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* One planned delivery, copied out of the lock. */
struct plan {
	char *address, *api_version, *topic, *body, *hmac;
	char webhook_id[37], event_id[37], triggered[64];
	bool dup;
};

static void triggered_at(int64_t ms, char buf[64])
{
	char b[40];
	bh_shp_time_fmt_utc(ms / 1000, b);
	b[19] = 0; /* drop the Z */
	snprintf(buf, 64, "%.19s.%03dZ", b, (int)(ms % 1000));
}

void bh_shp_outbox_flush(struct bh_shp_svc *s, struct bh_shp_outbox *ob)
{
	struct plan *plans = NULL;
	size_t np = 0, cap = 0;
	char events[8][37];
	uint64_t event_keys[8];
	size_t nev = 0;
	int64_t now = bh_shp_now_ms(s);

	pthread_mutex_lock(&s->hook_lock);
	for (size_t i = 0; i < ob->n; i++) {
		const struct bh_shp_pending *p = &ob->items[i];
		const char *ev = NULL;
		for (size_t k = 0; k < nev; k++)
			if (event_keys[k] == p->event)
				ev = events[k];
		for (size_t h = 0; h < s->nhooks; h++) {
			const struct bh_shp_hook *hk = &s->hooks[h];
			struct plan *pl;
			struct bh_shp_wh_meta m;
			struct bh_sim_header hdr[8];
			uint64_t seq;
			if (strcmp(hk->topic, p->topic) != 0)
				continue;
			if (!ev) {
				size_t k = nev < 8 ? nev++ : 7;
				bh_sim_uuid(events[k]);
				event_keys[k] = p->event;
				ev = events[k];
			}
			if (np == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct plan *n = realloc(plans, nc * sizeof(*n));
				if (!n)
					break;
				plans = n;
				cap = nc;
			}
			pl = &plans[np++];
			memset(pl, 0, sizeof(*pl));
			pl->address = bh_shp_strdup(hk->address);
			pl->api_version = bh_shp_strdup(hk->api_version);
			pl->topic = bh_shp_strdup(p->topic);
			pl->body = bh_shp_strdup(p->body);
			bh_sim_uuid(pl->webhook_id);
			memcpy(pl->event_id, ev, sizeof(pl->event_id));
			pl->event_id[sizeof(pl->event_id) - 1] = 0;
			triggered_at(now, pl->triggered);
			seq = ++s->delivery_seq;
			pl->dup = s->dup_rate > 0 &&
				  (double)(bh_shp_mix(s->seed * 0x9e3779b97f4a7c15ULL + seq) >> 11) <
					  s->dup_rate * 9007199254740992.0;
			m = (struct bh_shp_wh_meta){pl->topic, pl->api_version, pl->webhook_id,
						     pl->event_id, pl->triggered, s->shop_domain,
						     s->webhook_secret};
			bh_shp_webhook_headers(&m, pl->body ? pl->body : "",
					       pl->body ? strlen(pl->body) : 0, hdr, &pl->hmac);
			/* log */
			{
				struct bh_shp_delivery *d = &s->log[s->log_next];
				delivery_free(d);
				d->seq = seq;
				d->topic = bh_shp_strdup(pl->topic);
				d->address = bh_shp_strdup(pl->address);
				d->webhook_id = bh_shp_strdup(pl->webhook_id);
				d->event_id = bh_shp_strdup(pl->event_id);
				d->triggered_at = bh_shp_strdup(pl->triggered);
				d->hmac = bh_shp_strdup(pl->hmac);
				d->body = bh_shp_strdup(pl->body);
				d->dup = pl->dup;
				s->log_next = (s->log_next + 1) % BH_SHP_DELIVERY_LOG;
				if (s->log_count < BH_SHP_DELIVERY_LOG)
					s->log_count++;
			}
			s->deliveries_total++;
			if (pl->dup)
				s->duplicates_total++;
		}
	}
	pthread_mutex_unlock(&s->hook_lock);

	for (size_t i = 0; i < np; i++) {
		struct plan *pl = &plans[i];
		struct bh_sim_header hdr[8];
		if (pl->address && pl->body && pl->hmac) {
			size_t n = 0;
			hdr[n++] = (struct bh_sim_header){"Content-Type", "application/json"};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Topic", pl->topic};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Hmac-Sha256", pl->hmac};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Shop-Domain", s->shop_domain};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-API-Version", pl->api_version};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Webhook-Id", pl->webhook_id};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Triggered-At", pl->triggered};
			hdr[n++] = (struct bh_sim_header){"X-Shopify-Event-Id", pl->event_id};
			bh_sim_webhook_send(pl->address, hdr, n, pl->body, strlen(pl->body), pl->dup);
		}
		free(pl->address);
		free(pl->api_version);
		free(pl->topic);
		free(pl->body);
		free(pl->hmac);
	}
	free(plans);
	for (size_t i = 0; i < ob->n; i++) {
		free(ob->items[i].topic);
		free(ob->items[i].body);
	}
	free(ob->items);
	memset(ob, 0, sizeof(*ob));
}

void bh_shp_hooks_free(struct bh_shp_svc *s)
{
	pthread_mutex_lock(&s->hook_lock);
	for (size_t i = 0; i < s->nhooks; i++) {
		free(s->hooks[i].topic);
		free(s->hooks[i].address);
		free(s->hooks[i].api_version);
	}
	free(s->hooks);
	s->hooks = NULL;
	s->nhooks = s->caphooks = 0;
	for (size_t i = 0; i < BH_SHP_DELIVERY_LOG; i++)
		delivery_free(&s->log[i]);
	s->log_next = s->log_count = 0;
	pthread_mutex_unlock(&s->hook_lock);
}

static struct json_object *hook_json(const struct bh_shp_hook *h)
{
	struct json_object *o = json_object_new_object();
	char b[40];
	json_object_object_add(o, "id", json_object_new_int64(h->id));
	json_object_object_add(o, "address", json_object_new_string(h->address));
	json_object_object_add(o, "topic", json_object_new_string(h->topic));
	bh_shp_time_fmt_rest(&h->created, b);
	json_object_object_add(o, "created_at", json_object_new_string(b));
	json_object_object_add(o, "updated_at", json_object_new_string(b));
	json_object_object_add(o, "format", json_object_new_string("json"));
	json_object_object_add(o, "fields", json_object_new_array());
	json_object_object_add(o, "metafield_namespaces", json_object_new_array());
	json_object_object_add(o, "api_version", json_object_new_string(h->api_version));
	return o;
}

int bh_shp_hook_add(struct bh_shp_svc *s, struct json_object *in, struct json_object **out,
		    char *err, size_t errlen)
{
	const char *topic, *addr, *ver;
	struct json_object *w = bh_shp_jget(in, "webhook");
	struct bh_shp_hook h;
	bool known = false;
	if (w)
		in = w;
	topic = bh_shp_jstr(in, "topic");
	addr = bh_shp_jstr(in, "address");
	if (!addr)
		addr = bh_shp_jstr(in, "url");
	ver = bh_shp_jstr(in, "api_version");
	for (size_t i = 0; topic && topics[i]; i++)
		if (strcmp(topic, topics[i]) == 0)
			known = true;
	if (!known) {
		snprintf(err, errlen,
			 "topic must be one of orders/create, orders/updated, orders/cancelled, "
			 "refunds/create");
		return BH_EINVAL;
	}
	if (!addr || (strncmp(addr, "http://", 7) != 0 && strncmp(addr, "https://", 8) != 0)) {
		snprintf(err, errlen, "address must be an http(s) URL");
		return BH_EINVAL;
	}
	memset(&h, 0, sizeof(h));
	h.topic = strdup(topic);
	h.address = strdup(addr);
	h.api_version = strdup(ver ? ver : s->api_version);
	h.created.t = bh_shp_now_ms(s) / 1000;
	h.created.off_min = s->shop_off_min;
	h.created.set = true;
	pthread_mutex_lock(&s->hook_lock);
	if (s->nhooks == s->caphooks) {
		size_t nc = s->caphooks ? s->caphooks * 2 : 4;
		struct bh_shp_hook *n = realloc(s->hooks, nc * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&s->hook_lock);
			free(h.topic);
			free(h.address);
			free(h.api_version);
			snprintf(err, errlen, "out of memory");
			return BH_ENOMEM;
		}
		s->hooks = n;
		s->caphooks = nc;
	}
	h.id = s->next_hook_id++;
	s->hooks[s->nhooks++] = h;
	if (out)
		*out = hook_json(&h);
	pthread_mutex_unlock(&s->hook_lock);
	return 0;
}

static struct json_object *deliveries_json(struct bh_shp_svc *s, const char *topic)
{
	struct json_object *arr = json_object_new_array();
	/* oldest first */
	size_t start = (s->log_next + BH_SHP_DELIVERY_LOG - s->log_count) % BH_SHP_DELIVERY_LOG;
	for (size_t i = 0; i < s->log_count; i++) {
		const struct bh_shp_delivery *d = &s->log[(start + i) % BH_SHP_DELIVERY_LOG];
		struct json_object *o;
		if (topic && strcmp(topic, d->topic) != 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "seq", json_object_new_int64((int64_t)d->seq));
		json_object_object_add(o, "topic", json_object_new_string(d->topic));
		json_object_object_add(o, "address", json_object_new_string(d->address));
		json_object_object_add(o, "webhook_id", json_object_new_string(d->webhook_id));
		json_object_object_add(o, "event_id", json_object_new_string(d->event_id));
		json_object_object_add(o, "triggered_at", json_object_new_string(d->triggered_at));
		json_object_object_add(o, "hmac", d->hmac ? json_object_new_string(d->hmac) : NULL);
		json_object_object_add(o, "duplicate", json_object_new_boolean(d->dup));
		json_object_object_add(o, "body", d->body ? json_object_new_string(d->body) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

void bh_shp_hook_control(struct bh_shp_svc *s, const struct bh_sim_req *req, const char *sub,
			 struct json_object *body, struct bh_sim_resp *resp)
{
	const char *m = req->method;
	char err[200];
	if (strcmp(sub, "/webhooks") == 0 && strcmp(m, "POST") == 0) {
		struct json_object *h = NULL, *o;
		int rc = bh_shp_hook_add(s, body, &h, err, sizeof(err));
		if (rc) {
			bh_shp_json_error(resp, rc == BH_ENOMEM ? 500 : 400, err);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "webhook", h);
		bh_sim_resp_json(resp, 201, o);
	} else if (strcmp(sub, "/webhooks") == 0 && strcmp(m, "GET") == 0) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		pthread_mutex_lock(&s->hook_lock);
		for (size_t i = 0; i < s->nhooks; i++)
			json_object_array_add(a, hook_json(&s->hooks[i]));
		pthread_mutex_unlock(&s->hook_lock);
		json_object_object_add(o, "webhooks", a);
		bh_sim_resp_json(resp, 200, o);
	} else if (strncmp(sub, "/webhooks/", 10) == 0 && strcmp(m, "DELETE") == 0) {
		char *end;
		long long id = strtoll(sub + 10, &end, 10);
		bool found = false;
		pthread_mutex_lock(&s->hook_lock);
		for (size_t i = 0; !*end && i < s->nhooks; i++) {
			if (s->hooks[i].id != id)
				continue;
			free(s->hooks[i].topic);
			free(s->hooks[i].address);
			free(s->hooks[i].api_version);
			memmove(&s->hooks[i], &s->hooks[i + 1], (s->nhooks - i - 1) * sizeof(s->hooks[0]));
			s->nhooks--;
			found = true;
			break;
		}
		pthread_mutex_unlock(&s->hook_lock);
		if (found)
			bh_sim_resp_json(resp, 200, json_object_new_object());
		else
			bh_shp_json_error(resp, 404, "no such webhook subscription");
	} else if (strcmp(sub, "/webhook_secret") == 0 && strcmp(m, "POST") == 0) {
		const char *sec = bh_shp_jstr(body, "secret");
		char *c;
		if (!sec || !*sec) {
			bh_shp_json_error(resp, 400, "secret must be a non-empty string");
			return;
		}
		c = strdup(sec);
		pthread_mutex_lock(&s->hook_lock);
		free(s->webhook_secret);
		s->webhook_secret = c;
		pthread_mutex_unlock(&s->hook_lock);
		bh_sim_resp_json(resp, 200, json_object_new_object());
	} else if (strcmp(sub, "/deliveries") == 0 && strcmp(m, "GET") == 0) {
		char *topic = bh_sim_req_query(req, "topic");
		struct json_object *o = json_object_new_object();
		pthread_mutex_lock(&s->hook_lock);
		json_object_object_add(o, "deliveries", deliveries_json(s, topic));
		pthread_mutex_unlock(&s->hook_lock);
		free(topic);
		bh_sim_resp_json(resp, 200, o);
	} else if (strcmp(sub, "/deliveries") == 0 && strcmp(m, "DELETE") == 0) {
		pthread_mutex_lock(&s->hook_lock);
		for (size_t i = 0; i < BH_SHP_DELIVERY_LOG; i++)
			delivery_free(&s->log[i]);
		s->log_next = s->log_count = 0;
		pthread_mutex_unlock(&s->hook_lock);
		bh_sim_resp_json(resp, 200, json_object_new_object());
	} else {
		bh_shp_json_error(resp, 404, "unknown control operation");
	}
}
