/*
 * sim_shopify_ctl.c - the Shopify simulator's control API (documented at the top of
 * sim_shopify.c): seeding orders and gift cards, refunds and order updates that fire
 * webhooks, reading orders back, credentials, clock, rate limits and settings.
 *
 * Ownership: request bodies are parsed here and released before returning; rendered
 * webhook bodies move into an outbox that is flushed after the data lock is released.
 * Threading: data changes take the data lock exclusively, reads take it shared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify.h"

static char *to_text(struct json_object *o)
{
	char *t = bh_shp_strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return t;
}

/* The order's REST text, copied (webhook bodies). */
static char *order_text(struct bh_shp_svc *s, const struct bh_shp_order *o)
{
	const struct bh_shp_text *t = bh_shp_order_rest_text(s, o);
	return t ? strdup(t->text) : NULL;
}

static bool has_hook(struct bh_shp_svc *s, const char *topic)
{
	bool yes = false;
	pthread_mutex_lock(&s->hook_lock);
	for (size_t i = 0; i < s->nhooks && !yes; i++)
		yes = strcmp(s->hooks[i].topic, topic) == 0;
	pthread_mutex_unlock(&s->hook_lock);
	return yes;
}

static int err_status(int rc)
{
	switch (rc) {
	case BH_EREJECT:
	case BH_EEXIST:
		return 409;
	case BH_ENOMEM:
		return 500;
	default:
		return 400;
	}
}

/* ------------------------------------------------------------------ orders */

static void post_orders(struct bh_shp_svc *s, struct json_object *body, struct bh_sim_resp *resp)
{
	struct json_object *list = bh_shp_jget(body, "orders"), *one = bh_shp_jget(body, "order");
	struct json_object *ids, *names, *out;
	struct bh_shp_order **parsed = NULL;
	struct bh_shp_outbox ob = {0};
	size_t n, got = 0;
	char err[256];
	int rc = 0;
	bool hook;

	if (list && !json_object_is_type(list, json_type_array)) {
		bh_shp_json_error(resp, 400, "orders must be an array");
		return;
	}
	if (!list && !one && !(body && json_object_is_type(body, json_type_object))) {
		bh_shp_json_error(resp, 400, "body must be {\"orders\":[...]} or {\"order\":{...}}");
		return;
	}
	n = list ? json_object_array_length(list) : 1;
	parsed = calloc(n ? n : 1, sizeof(*parsed));
	if (!parsed) {
		bh_shp_json_error(resp, 500, "out of memory");
		return;
	}
	hook = has_hook(s, "orders/create");
	pthread_rwlock_wrlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		struct json_object *j = list ? json_object_array_get_idx(list, i) : one ? one : body;
		char e2[200];
		rc = bh_shp_order_from_json(s, j, &parsed[i], e2, sizeof(e2));
		if (rc) {
			snprintf(err, sizeof(err), "orders[%zu]: %s", i, e2);
			break;
		}
		got = i + 1;
		if (bh_shp_store_get(s, parsed[i]->id)) {
			rc = BH_EEXIST;
		} else {
			for (size_t k = 0; k < i; k++)
				if (parsed[k]->id == parsed[i]->id)
					rc = BH_EEXIST;
		}
		if (rc) {
			snprintf(err, sizeof(err), "orders[%zu]: an order with id %" PRId64 " exists", i,
				 parsed[i]->id);
			break;
		}
	}
	if (!rc) {
		for (size_t i = 0; i < n; i++) {
			rc = bh_shp_store_add(s, parsed[i]);
			if (rc) {
				/* only out of memory can fail here: drop what was not added */
				snprintf(err, sizeof(err), "out of memory");
				for (size_t k = i; k < n; k++)
					bh_shp_order_free(parsed[k]);
				got = 0;
				break;
			}
			if (hook)
				bh_shp_outbox_add(&ob, "orders/create",
						  order_text(s, parsed[i]), i);
		}
		if (!rc)
			got = 0;
	}
	ids = json_object_new_array();
	names = json_object_new_array();
	if (!rc)
		for (size_t i = 0; i < n; i++) {
			json_object_array_add(ids, json_object_new_int64(parsed[i]->id));
			json_object_array_add(names, json_object_new_string(parsed[i]->name));
		}
	pthread_rwlock_unlock(&s->lock);
	for (size_t i = 0; i < got; i++)
		bh_shp_order_free(parsed[i]);
	free(parsed);
	bh_shp_outbox_flush(s, &ob);
	if (rc) {
		json_object_put(ids);
		json_object_put(names);
		bh_shp_json_error(resp, err_status(rc), err);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "ids", ids);
	json_object_object_add(out, "names", names);
	bh_sim_resp_json(resp, 201, out);
}

static bool name_matches(const char *have, const char *want)
{
	if (!have || !want)
		return false;
	if (strcmp(have, want) == 0)
		return true;
	return have[0] == '#' && want[0] != '#' && strcmp(have + 1, want) == 0;
}

static void add_order_text(struct bh_shp_svc *s, const struct bh_shp_order *o, struct bh_shp_buf *b,
			   size_t *count)
{
	const struct bh_shp_text *t = bh_shp_order_rest_text(s, o);
	if (*count)
		bh_shp_buf_add(b, ",", 1);
	if (t)
		bh_shp_buf_add(b, t->text, t->len);
	else
		b->oom = true;
	(*count)++;
}

static void get_orders(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *name = bh_sim_req_query(req, "name"), *ids = bh_sim_req_query(req, "ids");
	char *lim = bh_sim_req_query(req, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : 0;
	struct bh_shp_buf b = {0};
	size_t count = 0;

	bh_shp_buf_add(&b, "{\"orders\":[", 11);
	pthread_rwlock_rdlock(&s->lock);
	if (ids) {
		char *save = NULL, *tok;
		for (tok = strtok_r(ids, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			const struct bh_shp_order *o = bh_shp_store_get(s, strtoll(tok, NULL, 10));
			if (o)
				add_order_text(s, o, &b, &count);
		}
	} else {
		for (size_t i = 0; i < s->norders; i++) {
			const struct bh_shp_order *o = s->idx[BH_SHP_SORT_ID][i];
			if (name && !name_matches(o->name, name))
				continue;
			if (limit > 0 && count >= (size_t)limit)
				break;
			add_order_text(s, o, &b, &count);
		}
	}
	pthread_rwlock_unlock(&s->lock);
	bh_shp_buf_add(&b, "]}", 2);
	bh_shp_resp_buf(resp, 200, &b);
	free(name);
	free(ids);
	free(lim);
}

/* "/orders/<id>[/sub]": id and the rest ("" or "/sub"); false when malformed. */
static bool parse_id_path(const char *p, const char *prefix, int64_t *id, const char **rest)
{
	size_t n = strlen(prefix);
	char *end;
	long long v;
	if (strncmp(p, prefix, n) != 0 || p[n] < '0' || p[n] > '9')
		return false;
	v = strtoll(p + n, &end, 10);
	if (*end && *end != '/')
		return false;
	*id = v;
	*rest = end;
	return true;
}

static void order_sub(struct bh_shp_svc *s, const struct bh_sim_req *req, int64_t id,
		      const char *rest, struct json_object *body, struct bh_sim_resp *resp)
{
	struct bh_shp_order *o;
	struct bh_shp_outbox ob = {0};
	struct json_object *out = NULL;
	char err[256] = "";
	int rc = 0, status = 200;
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (get) {
		pthread_rwlock_rdlock(&s->lock);
		o = bh_shp_store_get(s, id);
		if (o && !*rest) {
			const struct bh_shp_text *t = bh_shp_order_rest_text(s, o);
			struct bh_shp_buf b = {0};
			if (t)
				bh_shp_buf_add(&b, t->text, t->len);
			pthread_rwlock_unlock(&s->lock);
			bh_shp_resp_buf(resp, 200, &b);
			return;
		} else if (o && strcmp(rest, "/transactions") == 0) {
			struct json_object *a = json_object_new_array();
			for (size_t i = 0; i < o->ntxns; i++)
				json_object_array_add(a, bh_shp_txn_rest(o, &o->txns[i]));
			out = json_object_new_object();
			json_object_object_add(out, "transactions", a);
		} else if (o && strcmp(rest, "/refunds") == 0) {
			struct json_object *a = json_object_new_array();
			for (size_t i = 0; i < o->nrefunds; i++)
				json_object_array_add(a, bh_shp_refund_rest(o, &o->refunds[i]));
			out = json_object_new_object();
			json_object_object_add(out, "refunds", a);
		}
		pthread_rwlock_unlock(&s->lock);
		if (!o)
			bh_shp_json_error(resp, 404, "order not found");
		else if (!out)
			bh_shp_json_error(resp, 404, "unknown control operation");
		else
			bh_sim_resp_json(resp, 200, out);
		return;
	}
	if (!post || (strcmp(rest, "/refund") != 0 && strcmp(rest, "/update") != 0)) {
		bh_shp_json_error(resp, 404, "unknown control operation");
		return;
	}
	{
		bool h_ref = has_hook(s, "refunds/create"), h_upd = has_hook(s, "orders/updated");
		bool h_can = has_hook(s, "orders/cancelled");
		pthread_rwlock_wrlock(&s->lock);
		o = bh_shp_store_get(s, id);
		if (!o) {
			rc = BH_ENOENT;
		} else if (strcmp(rest, "/refund") == 0) {
			const struct bh_shp_refund *r = NULL;
			rc = bh_shp_order_refund(s, o, body, &r, err, sizeof(err));
			if (!rc) {
				out = json_object_new_object();
				json_object_object_add(out, "refund", bh_shp_refund_rest(o, r));
				status = 201;
				if (h_ref)
					bh_shp_outbox_add(&ob, "refunds/create",
							  to_text(bh_shp_refund_rest(o, r)), 0);
				if (h_upd)
					bh_shp_outbox_add(&ob, "orders/updated",
							  order_text(s, o), 0);
			}
		} else {
			bool was_cancelled = o->cancelled.set;
			rc = bh_shp_order_update(s, o, body, err, sizeof(err));
			if (!rc) {
				out = json_object_new_object();
				json_object_object_add(out, "order", bh_shp_order_rest(s, o));
				if (h_upd)
					bh_shp_outbox_add(&ob, "orders/updated",
							  order_text(s, o), 0);
				if (h_can && !was_cancelled && o->cancelled.set)
					bh_shp_outbox_add(&ob, "orders/cancelled",
							  order_text(s, o), 0);
			}
		}
		pthread_rwlock_unlock(&s->lock);
	}
	bh_shp_outbox_flush(s, &ob);
	if (rc == BH_ENOENT)
		bh_shp_json_error(resp, 404, "order not found");
	else if (rc)
		bh_shp_json_error(resp, err_status(rc), *err ? err : "out of memory");
	else
		bh_sim_resp_json(resp, status, out);
}

/* ------------------------------------------------------------------ gift cards */

static const struct bh_shp_giftcard *gc_find(const struct bh_shp_svc *s, int64_t id)
{
	size_t lo = 0, hi = s->ngcs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->gcs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ngcs && s->gcs[lo]->id == id ? s->gcs[lo] : NULL;
}

const struct bh_shp_giftcard *bh_shp_giftcard_get(const struct bh_shp_svc *s, int64_t id)
{
	return gc_find(s, id);
}

static void post_gift_card(struct bh_shp_svc *s, struct json_object *body,
			   struct bh_sim_resp *resp)
{
	struct bh_shp_giftcard *g = NULL;
	struct json_object *out;
	char err[200];
	int rc;
	pthread_rwlock_wrlock(&s->lock);
	rc = bh_shp_giftcard_from_json(s, body, &g, err, sizeof(err));
	if (!rc && gc_find(s, g->id)) {
		snprintf(err, sizeof(err), "a gift card with id %" PRId64 " exists", g->id);
		rc = BH_EEXIST;
	}
	if (!rc && s->ngcs == s->capgcs) {
		size_t nc = s->capgcs ? s->capgcs * 2 : 16;
		struct bh_shp_giftcard **n = realloc(s->gcs, nc * sizeof(*n));
		if (!n) {
			rc = BH_ENOMEM;
			snprintf(err, sizeof(err), "out of memory");
		} else {
			s->gcs = n;
			s->capgcs = nc;
		}
	}
	if (!rc) {
		size_t pos = s->ngcs;
		while (pos > 0 && s->gcs[pos - 1]->id > g->id)
			pos--;
		memmove(&s->gcs[pos + 1], &s->gcs[pos], (s->ngcs - pos) * sizeof(*s->gcs));
		s->gcs[pos] = g;
		s->ngcs++;
		out = json_object_new_object();
		json_object_object_add(out, "gift_card", bh_shp_giftcard_rest(g, true));
	}
	pthread_rwlock_unlock(&s->lock);
	if (rc) {
		bh_shp_giftcard_free(g);
		bh_shp_json_error(resp, err_status(rc), err);
		return;
	}
	bh_sim_resp_json(resp, 201, out);
}

static void get_gift_cards(struct bh_shp_svc *s, const char *sub, struct bh_sim_resp *resp)
{
	struct json_object *out = json_object_new_object();
	pthread_rwlock_rdlock(&s->lock);
	if (strcmp(sub, "/gift_cards") == 0) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < s->ngcs; i++)
			json_object_array_add(a, bh_shp_giftcard_rest(s->gcs[i], true));
		json_object_object_add(out, "gift_cards", a);
	} else {
		const struct bh_shp_giftcard *g = gc_find(s, strtoll(sub + 12, NULL, 10));
		if (g)
			json_object_object_add(out, "gift_card", bh_shp_giftcard_rest(g, true));
	}
	pthread_rwlock_unlock(&s->lock);
	if (json_object_object_length(out) == 0) {
		json_object_put(out);
		bh_shp_json_error(resp, 404, "gift card not found");
		return;
	}
	bh_sim_resp_json(resp, 200, out);
}

/* ------------------------------------------------------------------ settings */

static struct json_object *rate_json(struct bh_shp_svc *s)
{
	struct json_object *o = json_object_new_object(), *g = json_object_new_object(),
			   *r = json_object_new_object();
	pthread_mutex_lock(&s->rate_lock);
	bh_shp_buckets_refill_locked(s, bh_shp_now_ms_locked(s));
	json_object_object_add(g, "maximum_available", json_object_new_double(s->gql_max));
	json_object_object_add(g, "restore_rate", json_object_new_double(s->gql_rate));
	json_object_object_add(g, "currently_available", json_object_new_double(s->gql_avail));
	json_object_object_add(g, "max_query_cost", json_object_new_int(s->gql_max_cost));
	json_object_object_add(r, "bucket_size", json_object_new_double(s->rest_size));
	json_object_object_add(r, "leak_rate", json_object_new_double(s->rest_rate));
	json_object_object_add(r, "used", json_object_new_double(s->rest_level));
	pthread_mutex_unlock(&s->rate_lock);
	json_object_object_add(o, "graphql", g);
	json_object_object_add(o, "rest", r);
	return o;
}

static bool num(struct json_object *o, const char *k, double *v)
{
	struct json_object *j = bh_shp_jget(o, k);
	if (!j || !(json_object_is_type(j, json_type_int) || json_object_is_type(j, json_type_double)))
		return false;
	*v = json_object_get_double(j);
	return true;
}

static int set_rates(struct bh_shp_svc *s, struct json_object *body, char *err, size_t errlen)
{
	struct json_object *g = bh_shp_jget(body, "graphql"), *r = bh_shp_jget(body, "rest");
	double v;
	pthread_mutex_lock(&s->rate_lock);
	bh_shp_buckets_refill_locked(s, bh_shp_now_ms_locked(s));
	if (num(g, "maximum_available", &v) && v > 0) {
		s->gql_max = v;
		if (s->gql_avail > v)
			s->gql_avail = v;
	}
	if (num(g, "restore_rate", &v) && v >= 0)
		s->gql_rate = v;
	if (num(g, "currently_available", &v) && v >= 0)
		s->gql_avail = v > s->gql_max ? s->gql_max : v;
	if (num(g, "max_query_cost", &v) && v >= 1)
		s->gql_max_cost = (int)v;
	if (num(r, "bucket_size", &v) && v >= 1)
		s->rest_size = v;
	if (num(r, "leak_rate", &v) && v >= 0)
		s->rest_rate = v;
	if (num(r, "used", &v) && v >= 0)
		s->rest_level = v;
	pthread_mutex_unlock(&s->rate_lock);
	(void)err;
	(void)errlen;
	return 0;
}

static struct json_object *settings_json(struct bh_shp_svc *s)
{
	struct json_object *o = json_object_new_object();
	pthread_mutex_lock(&s->hook_lock);
	json_object_object_add(o, "dup_rate", json_object_new_double(s->dup_rate));
	json_object_object_add(o, "seed", json_object_new_int64((int64_t)s->seed));
	pthread_mutex_unlock(&s->hook_lock);
	pthread_mutex_lock(&s->rate_lock);
	json_object_object_add(o, "throttle_status", json_object_new_int(s->throttle_status));
	pthread_mutex_unlock(&s->rate_lock);
	return o;
}

static int set_settings(struct bh_shp_svc *s, struct json_object *body, char *err, size_t errlen)
{
	double v;
	int64_t i;
	if (num(body, "dup_rate", &v)) {
		if (v < 0 || v > 1) {
			snprintf(err, errlen, "dup_rate must be in [0, 1]");
			return BH_EINVAL;
		}
		pthread_mutex_lock(&s->hook_lock);
		s->dup_rate = v;
		pthread_mutex_unlock(&s->hook_lock);
	}
	if (bh_shp_ji64(body, "seed", &i) == 1) {
		pthread_mutex_lock(&s->hook_lock);
		s->seed = (uint64_t)i;
		pthread_mutex_unlock(&s->hook_lock);
	}
	if (bh_shp_ji64(body, "throttle_status", &i) == 1) {
		if (i < 200 || i > 599) {
			snprintf(err, errlen, "throttle_status must be an HTTP status");
			return BH_EINVAL;
		}
		pthread_mutex_lock(&s->rate_lock);
		s->throttle_status = (int)i;
		pthread_mutex_unlock(&s->rate_lock);
	}
	return 0;
}

static void reset(struct bh_shp_svc *s)
{
	pthread_rwlock_wrlock(&s->lock);
	bh_shp_store_clear(s);
	for (size_t i = 0; i < s->ngcs; i++)
		bh_shp_giftcard_free(s->gcs[i]);
	free(s->gcs);
	s->gcs = NULL;
	s->ngcs = s->capgcs = 0;
	pthread_rwlock_unlock(&s->lock);
}

static struct json_object *stats_json(struct bh_shp_svc *s)
{
	struct json_object *o = json_object_new_object();
	pthread_rwlock_rdlock(&s->lock);
	json_object_object_add(o, "orders", json_object_new_int64((int64_t)s->norders));
	json_object_object_add(o, "gift_cards", json_object_new_int64((int64_t)s->ngcs));
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->hook_lock);
	json_object_object_add(o, "webhooks", json_object_new_int64((int64_t)s->nhooks));
	json_object_object_add(o, "deliveries", json_object_new_int64((int64_t)s->deliveries_total));
	json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)s->duplicates_total));
	pthread_mutex_unlock(&s->hook_lock);
	return o;
}

/* ------------------------------------------------------------------ router */

void bh_shp_control(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	const char *p = req->path, *m = req->method, *rest;
	struct json_object *body = NULL;
	bool post = strcmp(m, "POST") == 0, get = strcmp(m, "GET") == 0;
	char err[200];
	int64_t id;

	if (req->body_len) {
		enum json_tokener_error jerr;
		body = json_tokener_parse_verbose(req->body, &jerr);
		if (!body) {
			snprintf(err, sizeof(err), "body is not JSON: %s", json_tokener_error_desc(jerr));
			bh_shp_json_error(resp, 400, err);
			return;
		}
	}
	if (strcmp(p, "/orders") == 0 && post) {
		post_orders(s, body, resp);
	} else if (strcmp(p, "/orders") == 0 && get) {
		get_orders(s, req, resp);
	} else if (parse_id_path(p, "/orders/", &id, &rest)) {
		order_sub(s, req, id, rest, body, resp);
	} else if (strcmp(p, "/gift_cards") == 0 && post) {
		post_gift_card(s, body, resp);
	} else if ((strcmp(p, "/gift_cards") == 0 || parse_id_path(p, "/gift_cards/", &id, &rest)) &&
		   get) {
		get_gift_cards(s, p, resp);
	} else if (strncmp(p, "/webhooks", 9) == 0 || strcmp(p, "/webhook_secret") == 0 ||
		   strcmp(p, "/deliveries") == 0) {
		bh_shp_hook_control(s, req, p, body, resp);
	} else if (strcmp(p, "/access_token") == 0 && post) {
		const char *t = bh_shp_jstr(body, "token");
		if (!t)
			t = bh_shp_jstr(body, "access_token");
		if (!t || !*t) {
			bh_shp_json_error(resp, 400, "token must be a non-empty string");
		} else {
			bh_shp_set_access_token(s, t);
			bh_sim_resp_json(resp, 200, json_object_new_object());
		}
	} else if (strcmp(p, "/app") == 0 && post) {
		if (bh_shp_app_settings(s, body, err, sizeof(err)))
			bh_shp_json_error(resp, 400, err);
		else
			bh_sim_resp_json(resp, 200, json_object_new_object());
	} else if (strcmp(p, "/clock") == 0 && (post || get)) {
		struct json_object *fr = bh_shp_jget(body, "frozen"), *o;
		int64_t adv = 0, now;
		if (bh_shp_ji64(body, "advance_ms", &adv) < 0) {
			bh_shp_json_error(resp, 400, "advance_ms must be an integer");
		} else {
			bh_shp_clock_control(s, fr != NULL, fr && json_object_get_boolean(fr), adv, &now);
			o = json_object_new_object();
			json_object_object_add(o, "now_ms", json_object_new_int64(now));
			bh_sim_resp_json(resp, 200, o);
		}
	} else if (strcmp(p, "/rate_limits") == 0 && (post || get)) {
		if (post && set_rates(s, body, err, sizeof(err)))
			bh_shp_json_error(resp, 400, err);
		else
			bh_sim_resp_json(resp, 200, rate_json(s));
	} else if (strcmp(p, "/settings") == 0 && (post || get)) {
		if (post && set_settings(s, body, err, sizeof(err)))
			bh_shp_json_error(resp, 400, err);
		else
			bh_sim_resp_json(resp, 200, settings_json(s));
	} else if (strcmp(p, "/stats") == 0 && get) {
		bh_sim_resp_json(resp, 200, stats_json(s));
	} else if (strcmp(p, "/reset") == 0 && post) {
		reset(s);
		{
			struct bh_sim_req r2 = *req;
			struct bh_sim_resp tmp;
			memset(&tmp, 0, sizeof(tmp));
			r2.method = "DELETE";
			bh_shp_hook_control(s, &r2, "/deliveries", NULL, &tmp);
			bh_sim_resp_clear(&tmp);
		}
		bh_sim_resp_json(resp, 200, json_object_new_object());
	} else {
		bh_shp_json_error(resp, 404, "unknown control operation");
	}
	json_object_put(body);
}
