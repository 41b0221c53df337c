/*
 * shopify_poll.c - the order source: poll by updated_at with a durable cursor, and the
 * record batches shared with the webhook path.
 *
 * Cursor: "<updated_at> <order id>" of the newest order processed, e.g.
 * "2026-11-01T10:00:05Z 5210398573245212345". A poll asks for orders with
 * updated_at >= that time minus poll_overlap (default 5m), sorted by UPDATED_AT
 * ascending, walks every page (GraphQL cursor pagination) and emits each page's records
 * together with the cursor advanced to the newest order seen, in one durable commit: a
 * crash or stop loses at most an uncommitted page, which the next poll fetches again.
 * The overlap is what makes the cursor safe: updated_at has one-second resolution and
 * is not written in commit order (two updates in one second, a late index, clock skew),
 * so an order can appear with an updated_at at or before a cursor already taken. Every
 * order of the window is emitted again; what was seen before carries the same
 * idempotency key and is dropped by the outbox, so a re-read costs a lookup, not a
 * write. The cursor never moves backwards. Without a cursor the first poll starts at
 * start_at (or reads every order the token can see).
 *
 * Records per order: storefront.order.created (created after the cursor, or the first
 * sync) or storefront.order.updated, key order:<id>:<updated_at>; plus one
 * storefront.refund.created per refund of the order, key refund:<refund id>, body the
 * order with "refund_id" (refunds missed by webhooks are recovered this way).
 *
 * Failures: the GraphQL layer retries 429/5xx/timeouts a bounded number of times and
 * waits out THROTTLED; past that the poll returns the error (the engine logs it and
 * the next cycle starts again from the committed cursor).
 *
 * Threading: poll() runs on the instance's source thread only; the batch helpers are
 * also used by webhook handlers (each with its own batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

#define TOPIC_CREATED "storefront.order.created"
#define TOPIC_UPDATED "storefront.order.updated"
#define TOPIC_REFUND "storefront.refund.created"

int bh_shopify_cursor_parse(const char *text, char *ts, size_t tslen, char *id, size_t idlen)
{
	char t[64], i[64], norm[32];
	if (!text || sscanf(text, "%63s %63s", t, i) != 2 || bh_shopify_time_utc(t, norm, sizeof(norm)) ||
	    strcmp(norm, t) != 0 || !bh_shopify_is_id(i) || strlen(t) >= tslen || strlen(i) >= idlen)
		return BH_ECORRUPT;
	snprintf(ts, tslen, "%s", t);
	snprintf(id, idlen, "%s", i);
	return BH_OK;
}

static char *own(struct bh_shopify_batch *b, char *p)
{
	if (!p)
		return NULL;
	if (b->n_owned == b->cap_owned) {
		size_t nc = b->cap_owned ? b->cap_owned * 2 : 32;
		char **np = realloc(b->owned, nc * sizeof(*np));
		if (!np) {
			free(p);
			return NULL;
		}
		b->owned = np;
		b->cap_owned = nc;
	}
	b->owned[b->n_owned++] = p;
	return p;
}

static int add(struct bh_shopify_batch *b, const char *topic, char *key, char *body, int64_t t)
{
	if (!own(b, key) || !own(b, body))
		return BH_ENOMEM;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 16;
		struct bh_emit *np = realloc(b->recs, nc * sizeof(*np));
		if (!np)
			return BH_ENOMEM;
		b->recs = np;
		b->cap = nc;
	}
	b->recs[b->n++] = (struct bh_emit){.topic = topic, .key = key, .body = body, .time_ms = t};
	return BH_OK;
}

static char *text(json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	return t ? strdup(t) : NULL;
}

int bh_shopify_batch_refund(struct bh_shopify_batch *b, json_object *order, const char *refund_id)
{
	json_object *rf = bh_shopify_get(order, "refunds");
	const char *created = NULL;
	char *key, *body;
	size_t kl = strlen(refund_id) + 16;
	for (size_t i = 0; rf && i < json_object_array_length(rf); i++) {
		json_object *r = json_object_array_get_idx(rf, i);
		const char *id = bh_shopify_str(r, "id");
		if (id && strcmp(id, refund_id) == 0)
			created = bh_shopify_str(r, "created_at");
	}
	key = malloc(kl);
	if (!key)
		return BH_ENOMEM;
	snprintf(key, kl, "refund:%s", refund_id);
	json_object_object_add(order, "refund_id", json_object_new_string(refund_id));
	body = text(order);
	json_object_object_del(order, "refund_id");
	return add(b, TOPIC_REFUND, key, body, created ? bh_shopify_time_ms(created) : 0);
}

int bh_shopify_batch_order(struct bh_shopify_batch *b, json_object *order, const char *topic,
			   bool with_refunds)
{
	const char *id = bh_shopify_str(order, "id"), *upd = bh_shopify_str(order, "updated_at");
	json_object *rf = bh_shopify_get(order, "refunds");
	size_t kl;
	char *key;
	int rc;
	if (!id || !upd)
		return BH_EINVAL;
	kl = strlen(id) + strlen(upd) + 16;
	key = malloc(kl);
	if (!key)
		return BH_ENOMEM;
	snprintf(key, kl, "order:%s:%s", id, upd);
	if ((rc = add(b, topic, key, text(order), bh_shopify_time_ms(upd))))
		return rc;
	for (size_t i = 0; with_refunds && rf && i < json_object_array_length(rf); i++) {
		const char *rid = bh_shopify_str(json_object_array_get_idx(rf, i), "id");
		if (rid && (rc = bh_shopify_batch_refund(b, order, rid)))
			return rc;
	}
	return BH_OK;
}

void bh_shopify_batch_free(struct bh_shopify_batch *b)
{
	for (size_t i = 0; i < b->n_owned; i++)
		free(b->owned[i]);
	free(b->owned);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

struct pos {
	bool have;
	char ts[32], id[32];
};

/* (t, id) strictly after p? */
static bool after(const struct pos *p, const char *t, const char *id)
{
	int c;
	if (!p->have)
		return true;
	c = strcmp(t, p->ts);
	return c > 0 || (c == 0 && bh_shopify_id_cmp(id, p->id) > 0);
}

static bool stopping(struct bh_shopify *s)
{
	bool st;
	pthread_mutex_lock(&s->stop_lock);
	st = s->stopping;
	pthread_mutex_unlock(&s->stop_lock);
	return st;
}

/* Map and batch one page; *last = the last order taken. */
static int batch_page(struct bh_shopify *s, json_object *orders, const struct pos *cur,
		      const char *floor_ts, struct bh_shopify_call *call,
		      struct bh_shopify_batch *b, struct pos *last)
{
	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		json_object *o = NULL;
		const char *id, *upd, *cre, *topic;
		int rc = bh_shopify_canonical(s, json_object_array_get_idx(orders, i), call, &o);
		if (rc)
			return rc;
		id = bh_shopify_str(o, "id");
		upd = bh_shopify_str(o, "updated_at");
		cre = bh_shopify_str(o, "created_at");
		if (cur->have)
			topic = after(cur, cre, id) ? TOPIC_CREATED : TOPIC_UPDATED;
		else
			topic = !floor_ts || strcmp(cre, floor_ts) >= 0 ? TOPIC_CREATED : TOPIC_UPDATED;
		rc = bh_shopify_batch_order(b, o, topic, true);
		if (rc == BH_OK && after(last, upd, id)) {
			last->have = true;
			snprintf(last->ts, sizeof(last->ts), "%s", upd);
			snprintf(last->id, sizeof(last->id), "%s", id);
		}
		json_object_put(o);
		if (rc)
			return rc;
	}
	return BH_OK;
}

int bh_shopify_poll(void *ctx)
{
	struct bh_shopify *s = ctx;
	struct bh_status st;
	struct bh_shopify_call call = {.mode = BH_SHOPIFY_POLL, .st = &st};
	struct pos cur = {0};
	char buf[256], search[96], floor_ts[32] = "", *after_cur = NULL;
	const char *floor = NULL;
	int rc, pages = 0;
	int64_t emitted = 0;

	memset(&st, 0, sizeof(st));
	rc = s->host->cursor_get(s->inst, buf, sizeof(buf));
	if (rc > 0) {
		if (bh_shopify_cursor_parse(buf, cur.ts, sizeof(cur.ts), cur.id, sizeof(cur.id))) {
			bh_plg_error(s->host, s->inst, "stored cursor '%.60s' is not '<time> <id>'", buf);
			return BH_ECORRUPT;
		}
		cur.have = true;
		floor = cur.ts;
	} else if (rc != BH_ENOENT) {
		return rc < 0 ? rc : BH_EIO;
	} else if (s->start_at) {
		bh_shopify_time_utc(s->start_at, floor_ts, sizeof(floor_ts));
		floor = floor_ts;
	}
	if (cur.have && s->poll_overlap_ms > 0 &&
	    bh_shopify_time_shift(cur.ts, -(s->poll_overlap_ms / 1000), floor_ts,
				  sizeof(floor_ts)) == BH_OK)
		floor = floor_ts;
	if (floor)
		snprintf(search, sizeof(search), "updated_at:>='%s'", floor);
	for (;;) {
		struct bh_shopify_page pg;
		struct bh_shopify_batch b = {0};
		struct pos last = cur;
		rc = bh_shopify_fetch_page(s, floor ? search : NULL, after_cur, (int)s->page_size, &call,
					   &pg);
		if (rc)
			break;
		rc = batch_page(s, pg.orders, &cur, cur.have ? NULL : floor, &call, &b, &last);
		if (rc == BH_OK && last.have && b.n > 0) {
			char c[96];
			snprintf(c, sizeof(c), "%s %s", last.ts, last.id);
			rc = s->host->emit(s->inst, b.recs, b.n, c);
			if (rc >= 0) {
				emitted += rc;
				cur = last;
				rc = BH_OK;
			}
		}
		bh_shopify_batch_free(&b);
		free(after_cur);
		after_cur = pg.has_next && pg.end_cursor ? strdup(pg.end_cursor) : NULL;
		bh_shopify_page_free(&pg);
		pages++;
		if (rc || !after_cur)
			break;
		if (stopping(s)) {
			rc = BH_ESTOPPED;
			break;
		}
	}
	free(after_cur);
	if (rc && rc != BH_ESTOPPED && rc != BH_EBUSY)
		bh_plg_warn(s->host, s->inst, "poll stopped after %d page(s): %s%s%s", pages,
			    st.code[0] ? st.code : "", st.code[0] ? ": " : "",
			    st.message[0] ? st.message : "error");
	else if (emitted > 0)
		bh_plg_info(s->host, s->inst, "poll: %lld new record(s) over %d page(s)",
			    (long long)emitted, pages);
	return rc;
}
