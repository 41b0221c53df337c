/*
 * sim_loop_api.c - the Loop Returns HTTP API of the simulator (the service port).
 *
 * Routes, all under /api/{version}/ with version "v1" (legacy alias), "unstable" or a
 * dated "YYYY-MM" (any month is accepted):
 *   GET    warehouse/return/list              Detailed Returns List
 *   GET    warehouse/return/details           Get Return Details
 *   POST   warehouse/return/{id}/process      queue processing (async), 200 true
 *   POST   warehouse/return/{id}/remove       ?line_item_id=1,2 remove lines, then process
 *   POST   warehouse/return/{id}/cancel|flag|close
 *   POST   warehouse/return/{id}/note         {"content":...}
 *   GET    warehouse/return/{id}/notes
 *   GET    webhooks, POST webhooks, PUT webhooks/{id}, DELETE webhooks/{id}
 * Unknown route: 404 {"message":"Not Found"}; known route, wrong method: 405 with
 * Laravel's message. Then X-Authorization (401 Loop body), then the per-key rate limit
 * (429). Behaviour details are documented in sim_loop.c's header.
 *
 * Ownership: the request is borrowed (valid during the call); answers are malloc'd into
 * resp through the bh_sim_resp helpers.
 * Threading: each handler takes bh_loop.lock for the whole of its (short, in-memory)
 * work and renders its answer under it; webhooks go out after unlocking.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_loop_priv.h"

#define DAY_MS (24LL * 3600 * 1000)

/* ------------------------------------------------------------- small helpers --- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 1024;
		char *np;
		while (ncap < b->n + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void finish(struct bh_sim_resp *resp, struct buf *b)
{
	if (b->oom || !b->p)
		bh_loop_reply_error(resp, 500, "UNEXPECTED_ERROR", "An unexpected error occurred.");
	else
		bh_loop_reply_raw(resp, 200, b->p, b->n);
	free(b->p);
}

static bool parse_id(const char *s, size_t len, int64_t *out)
{
	char tmp[24];
	char *end;
	long long v;
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)tmp[i]))
			return false;
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool version_ok(const char *v, size_t n)
{
	if ((n == 2 && memcmp(v, "v1", 2) == 0) || (n == 8 && memcmp(v, "unstable", 8) == 0))
		return true;
	return n == 7 && isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[1]) &&
	       isdigit((unsigned char)v[2]) && isdigit((unsigned char)v[3]) && v[4] == '-' &&
	       isdigit((unsigned char)v[5]) && isdigit((unsigned char)v[6]) &&
	       ((v[5] == '0' && v[6] != '0') || (v[5] == '1' && v[6] <= '2'));
}

/* ------------------------------------------------------------ auth and limits --- */

static void reply_unauthorized(struct bh_sim_resp *resp)
{
	static const char body[] =
		"{\"error\":{\"code\":\"401\",\"http_code\":\"GEN-UNAUTHORIZED\","
		"\"message\":\"Unauthorized.\"}}";
	bh_loop_reply_raw(resp, 401, body, sizeof(body) - 1);
}

/* Sliding 60-second window per key: the ring holds the times of the requests admitted
 * in the last minute; a request is refused (429) while it is full. Caller holds lock. */
static int rate_check(struct bh_loop *s, struct bh_loop_key *k, int *remaining, int *retry_s)
{
	int64_t now = bh_loop_mono_ms();
	int limit = s->set.rate_limit;

	*remaining = -1;
	if (limit <= 0)
		return 0;
	if (k->cap != (size_t)limit) {
		int64_t *ring = calloc((size_t)limit, sizeof(*ring));
		if (!ring)
			return 0;
		free(k->ring);
		k->ring = ring;
		k->cap = (size_t)limit;
		k->head = k->count = 0;
	}
	while (k->count && k->ring[k->head] <= now - 60000) {
		k->head = (k->head + 1) % k->cap;
		k->count--;
	}
	if (k->count >= k->cap) {
		int64_t wait = k->ring[k->head] + 60000 - now;
		*retry_s = (int)((wait + 999) / 1000);
		if (*retry_s < 1)
			*retry_s = 1;
		*remaining = 0;
		return BH_EBUSY;
	}
	k->ring[(k->head + k->count) % k->cap] = now;
	k->count++;
	*remaining = limit - (int)k->count;
	return 0;
}

/* 0 = go on (*remaining: requests left in the window, -1 when unlimited); BH_EAUTH or
 * BH_EBUSY = resp holds the 401 or 429 answer. */
static int gate(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp,
		int *remaining)
{
	const char *key = bh_sim_req_header(req, "X-Authorization");
	struct bh_loop_key *k = NULL;
	int retry = 0, rc, limit;
	char num[24];

	*remaining = -1;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; key && i < s->n_keys; i++)
		if (bh_sim_str_eq_ct(s->keys[i].key, key))
			k = &s->keys[i];
	if (!k) {
		pthread_mutex_unlock(&s->lock);
		reply_unauthorized(resp);
		return BH_EAUTH;
	}
	rc = rate_check(s, k, remaining, &retry);
	limit = s->set.rate_limit;
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		static const char body[] = "{\"message\":\"Too Many Attempts.\"}";
		bh_loop_reply_raw(resp, 429, body, sizeof(body) - 1);
		snprintf(num, sizeof(num), "%d", retry);
		bh_sim_resp_header(resp, "Retry-After", num);
		snprintf(num, sizeof(num), "%d", limit);
		bh_sim_resp_header(resp, "X-RateLimit-Limit", num);
		bh_sim_resp_header(resp, "X-RateLimit-Remaining", "0");
		return BH_EBUSY;
	}
	return 0;
}

static void rate_headers(struct bh_loop *s, struct bh_sim_resp *resp, int remaining)
{
	char num[24];
	int limit;
	if (remaining < 0)
		return;
	pthread_mutex_lock(&s->lock);
	limit = s->set.rate_limit;
	pthread_mutex_unlock(&s->lock);
	snprintf(num, sizeof(num), "%d", limit);
	bh_sim_resp_header(resp, "X-RateLimit-Limit", num);
	snprintf(num, sizeof(num), "%d", remaining);
	bh_sim_resp_header(resp, "X-RateLimit-Remaining", num);
}

/* ---------------------------------------------------------------------- list --- */

static bool state_default(enum bh_loop_state st)
{
	return st == BH_LOOP_OPEN || st == BH_LOOP_CLOSED || st == BH_LOOP_EXPIRED;
}

/* The query without any cursor parameter, then "&cursor=<c>". */
static char *page_url(const struct bh_sim_req *req, int64_t id, bool next)
{
	struct buf b = {0};
	char json[96];
	char *cur, *enc;
	const char *p = req->query ? req->query : "";
	bool first = true;
	int n;

	n = snprintf(json, sizeof(json), "{\"id\":%lld,\"_pointsToNextItems\":%s}", (long long)id,
		     next ? "true" : "false");
	cur = bh_loop_b64url(json, (size_t)n);
	enc = cur ? bh_loop_urlencode(cur) : NULL;
	free(cur);
	if (!enc)
		return NULL;
	puts_(&b, req->base_url ? req->base_url : "");
	puts_(&b, req->path);
	put(&b, "?", 1);
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len && !(len >= 6 && memcmp(p, "cursor", 6) == 0 && (len == 6 || p[6] == '='))) {
			if (!first)
				put(&b, "&", 1);
			put(&b, p, len);
			first = false;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (!first)
		put(&b, "&", 1);
	puts_(&b, "cursor=");
	puts_(&b, enc);
	free(enc);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static void put_json_string_or_null(struct buf *b, const char *s)
{
	struct json_object *o;
	if (!s) {
		puts_(b, "null");
		return;
	}
	o = json_object_new_string(s);
	puts_(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void handle_list(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp,
			int remaining)
{
	char *from = bh_sim_req_query(req, "from"), *to = bh_sim_req_query(req, "to");
	char *filter = bh_sim_req_query(req, "filter"), *state = bh_sim_req_query(req, "state");
	char *paginate = bh_sim_req_query(req, "paginate");
	char *page_size = bh_sim_req_query(req, "pageSize"), *cursor = bh_sim_req_query(req, "cursor");
	bool by_updated = false, paged = false, has_state = false, has_cursor = false, cur_next = true;
	enum bh_loop_state want = BH_LOOP_OPEN;
	int64_t from_ms = 0, to_ms = 0, cur_id = 0, size = 100;
	struct buf b = {0};

	if (filter && *filter) {
		if (strcmp(filter, "updated_at") == 0)
			by_updated = true;
		else if (strcmp(filter, "created_at") != 0) {
			bh_loop_reply_validation(resp, "filter", "The selected filter is invalid.");
			goto out;
		}
	}
	if (state && *state) {
		if (bh_loop_state_parse(state, &want)) {
			bh_loop_reply_validation(resp, "state", "The selected state is invalid.");
			goto out;
		}
		has_state = true;
	}
	if (from && *from && bh_loop_time_parse(from, &from_ms)) {
		bh_loop_reply_validation(resp, "from", "The from is not a valid date.");
		goto out;
	}
	if (to && *to && bh_loop_time_parse(to, &to_ms)) {
		bh_loop_reply_validation(resp, "to", "The to is not a valid date.");
		goto out;
	}
	if (!(to && *to))
		to_ms = bh_loop_now_ms();
	if (!(from && *from))
		from_ms = to_ms - DAY_MS;
	if (to_ms < from_ms) {
		bh_loop_reply_validation(resp, "to", "The to must be a date after or equal to from.");
		goto out;
	}
	if (to_ms - from_ms > 120 * DAY_MS) {
		bh_loop_reply_validation(resp, "to",
					 "The date range between from and to may not be greater than 120 days.");
		goto out;
	}
	if (paginate && *paginate) {
		if (strcmp(paginate, "true") == 0 || strcmp(paginate, "1") == 0)
			paged = true;
		else if (strcmp(paginate, "false") != 0 && strcmp(paginate, "0") != 0) {
			bh_loop_reply_validation(resp, "paginate",
						 "The paginate field must be true or false.");
			goto out;
		}
	}
	if (page_size && *page_size) {
		if (!parse_id(page_size, strlen(page_size), &size) || size < 1) {
			bh_loop_reply_validation(resp, "pageSize", "The page size must be at least 1.");
			goto out;
		}
		if (size > 750) {
			bh_loop_reply_validation(resp, "pageSize",
						 "The page size must not be greater than 750.");
			goto out;
		}
	}
	if (paged && cursor && *cursor) {
		size_t n;
		unsigned char *raw = bh_loop_b64url_decode(cursor, &n);
		struct json_object *c = raw ? json_tokener_parse((char *)raw) : NULL, *v;
		free(raw);
		if (!c || !json_object_object_get_ex(c, "id", &v) || bh_loop_json_int64(v, &cur_id)) {
			json_object_put(c);
			bh_loop_reply_validation(resp, "cursor", "The cursor is invalid.");
			goto out;
		}
		if (json_object_object_get_ex(c, "_pointsToNextItems", &v))
			cur_next = json_object_get_boolean(v);
		json_object_put(c);
		has_cursor = true;
	}

	pthread_mutex_lock(&s->lock);
#define MATCH(r)                                                                           \
	((has_state ? (r)->state == want : state_default((r)->state)) &&                   \
	 (by_updated ? (r)->updated_ms : (r)->created_ms) >= from_ms &&                     \
	 (by_updated ? (r)->updated_ms : (r)->created_ms) <= to_ms)
	if (!paged) {
		bool first = true;
		put(&b, "[", 1);
		for (size_t i = 0; i < s->n_returns; i++) {
			struct bh_loop_return *r = s->returns[i];
			size_t n;
			const char *t;
			if (!MATCH(r))
				continue;
			if (!first)
				put(&b, ",", 1);
			t = bh_loop_render(s, r, &n);
			put(&b, t, n);
			first = false;
		}
		put(&b, "]", 1);
	} else {
		struct bh_loop_return **items = calloc((size_t)size + 1, sizeof(*items));
		size_t got = 0;
		bool more = false;
		char *next = NULL, *prev = NULL;
		if (!items) {
			b.oom = true;
		} else if (!has_cursor || cur_next) {
			/* forward: ids after the cursor, ascending */
			int64_t start = has_cursor ? cur_id + 1 - s->first_return_id : 0;
			for (int64_t i = start < 0 ? 0 : start; i < (int64_t)s->n_returns; i++) {
				if (!MATCH(s->returns[i]))
					continue;
				if (got == (size_t)size) {
					more = true;
					break;
				}
				items[got++] = s->returns[i];
			}
			if (more && got)
				next = page_url(req, items[got - 1]->id, true);
			if (has_cursor && got)
				prev = page_url(req, items[0]->id, false);
		} else {
			/* backward: ids before the cursor, walked down, shown ascending */
			int64_t start = cur_id - 1 - s->first_return_id;
			if (start >= (int64_t)s->n_returns)
				start = (int64_t)s->n_returns - 1;
			for (int64_t i = start; i >= 0; i--) {
				if (!MATCH(s->returns[i]))
					continue;
				if (got == (size_t)size) {
					more = true;
					break;
				}
				items[got++] = s->returns[i];
			}
			for (size_t i = 0; i < got / 2; i++) {
				struct bh_loop_return *t = items[i];
				items[i] = items[got - 1 - i];
				items[got - 1 - i] = t;
			}
			if (got)
				next = page_url(req, items[got - 1]->id, true);
			if (more && got)
				prev = page_url(req, items[0]->id, false);
		}
		puts_(&b, "{\"returns\":[");
		for (size_t i = 0; i < got; i++) {
			size_t n;
			const char *t = bh_loop_render(s, items[i], &n);
			if (i)
				put(&b, ",", 1);
			put(&b, t, n);
		}
		puts_(&b, "],\"nextPageUrl\":");
		put_json_string_or_null(&b, next);
		puts_(&b, ",\"previousPageUrl\":");
		put_json_string_or_null(&b, prev);
		put(&b, "}", 1);
		free(next);
		free(prev);
		free(items);
	}
#undef MATCH
	pthread_mutex_unlock(&s->lock);
	finish(resp, &b);
	rate_headers(s, resp, remaining);
out:
	free(from);
	free(to);
	free(filter);
	free(state);
	free(paginate);
	free(page_size);
	free(cursor);
}

/* ------------------------------------------------------------------- details --- */

static void handle_details(struct bh_loop *s, const struct bh_sim_req *req,
			   struct bh_sim_resp *resp)
{
	char *rid = bh_sim_req_query(req, "return_id"), *oid = bh_sim_req_query(req, "order_id");
	char *oname = bh_sim_req_query(req, "order_name");
	char *ctype = bh_sim_req_query(req, "currency_type");
	int given = (rid && *rid) + (oid && *oid) + (oname && *oname);
	struct bh_loop_return *r = NULL;
	struct bh_loop_order *o = NULL;
	int64_t id = 0;

	if (ctype && *ctype && strcmp(ctype, "shop") != 0 && strcmp(ctype, "presentment") != 0) {
		bh_loop_reply_validation(resp, "currency_type",
					 "The selected currency type is invalid.");
		goto out;
	}
	if (given == 0) {
		bh_loop_reply_validation(resp, "return_id",
					 "The return id field is required when none of order id / order name are present.");
		goto out;
	}
	if (given > 1) {
		bh_loop_reply_validation(resp, rid && *rid ? "return_id" : "order_id",
					 "Only one of return id / order id / order name may be present.");
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	if (rid && *rid) {
		if (parse_id(rid, strlen(rid), &id))
			r = bh_loop_find(s, id);
		if (!r) {
			pthread_mutex_unlock(&s->lock);
			bh_loop_reply_error(resp, 404, "NOT_FOUND", "Return not found.");
			goto out;
		}
	} else {
		if (oid && *oid) {
			if (parse_id(oid, strlen(oid), &id))
				o = bh_loop_order_get(s, id);
		} else {
			o = bh_loop_order_by_name(s, oname);
		}
		if (!o || !o->n_returns) {
			pthread_mutex_unlock(&s->lock);
			bh_loop_reply_error(resp, 404, "ORDER_NOT_FOUND", "Order not found.");
			goto out;
		}
		/* several returns on one order: the most recent one */
		r = bh_loop_find(s, o->returns[o->n_returns - 1]);
	}
	{
		size_t n;
		const char *t = bh_loop_render(s, r, &n);
		bh_loop_reply_raw(resp, 200, t, n);
	}
	pthread_mutex_unlock(&s->lock);
out:
	free(rid);
	free(oid);
	free(oname);
	free(ctype);
}

/* -------------------------------------------------------------- line removal --- */

static void handle_remove(struct bh_loop *s, int64_t id, const struct bh_sim_req *req,
			  struct bh_sim_resp *resp)
{
	char *list = bh_sim_req_query(req, "line_item_id");
	struct bh_loop_outbox ob = {0};
	struct bh_loop_return *r;
	size_t asked = 0, ok = 0;
	bool enqueue = false;
	const char *p;

	if (!list || !*list) {
		static const char body[] =
			"{\"error\":{\"message\":\"The line item id field is required.\"}}";
		bh_loop_reply_raw(resp, 422, body, sizeof(body) - 1);
		free(list);
		return;
	}
	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r) {
		bh_loop_reply_error(resp, 404, "NOT_FOUND", "Return not found.");
		goto out;
	}
	if (r->state != BH_LOOP_OPEN || r->queued) {
		static const char body[] = "{\"message\":\"Return cannot be modified.\"}";
		bh_loop_reply_raw(resp, 422, body, sizeof(body) - 1);
		goto out;
	}
	/* first pass: count what qualifies (refund / credit lines of this return) */
	for (p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int64_t lid;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			asked++;
			if (parse_id(p, len, &lid)) {
				for (size_t i = 0; i < r->n_lines; i++)
					if (r->lines[i].id == lid && !r->lines[i].removed &&
					    !r->lines[i].exchange) {
						ok++;
						break;
					}
			}
		}
		p += comma ? (size_t)(comma - p) + 1 : strlen(p);
	}
	if (ok == 0) {
		static const char body[] =
			"{\"message\":\"There are no line items that qualify for removal\"}";
		bh_loop_reply_raw(resp, 422, body, sizeof(body) - 1);
		goto out;
	}
	if (ok != asked) {
		static const char body[] = "{\"message\":\"Not all line items qualify for removal\"}";
		bh_loop_reply_raw(resp, 422, body, sizeof(body) - 1);
		goto out;
	}
	for (p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int64_t lid;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len && parse_id(p, len, &lid)) {
			for (size_t i = 0; i < r->n_lines; i++) {
				struct bh_loop_line *l = &r->lines[i];
				if (l->id != lid || l->removed)
					continue;
				for (size_t j = 0; j < r->order->n_lines; j++)
					if (r->order->lines[j].id == l->provider_line_item_id &&
					    l->slot < r->order->lines[j].quantity)
						r->order->lines[j].used[l->slot] = 0;
				l->removed = true;
			}
		}
		p += comma ? (size_t)(comma - p) + 1 : strlen(p);
	}
	r->edited_ms = bh_loop_now_ms();
	bh_loop_touch(r, r->edited_ms);
	bh_loop_emit(s, &ob, r, "return.updated");
	r->queued = true;
	enqueue = true;
	bh_loop_reply_raw(resp, 200, "true", 4);
out:
	pthread_mutex_unlock(&s->lock);
	bh_loop_outbox_flush(&ob);
	if (enqueue)
		bh_loop_enqueue(s, id, "api");
	free(list);
}

/* --------------------------------------------------------------------- notes --- */

static void handle_note(struct bh_loop *s, int64_t id, const struct bh_sim_req *req,
			struct bh_sim_resp *resp)
{
	struct json_object *b = req->body_len ? json_tokener_parse(req->body) : NULL, *c = NULL;
	struct bh_loop_return *r;
	const char *content = NULL;

	if (b && json_object_object_get_ex(b, "content", &c) &&
	    json_object_is_type(c, json_type_string))
		content = json_object_get_string(c);
	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r) {
		bh_loop_reply_error(resp, 404, "NOT_FOUND", "Return not found.");
	} else if (!content || !*content || strlen(content) >= 255) {
		struct json_object *o = json_object_new_object(), *e = json_object_new_object();
		json_object_object_add(e, "message", json_object_new_string(
			"Content is required and must be less than 255 characters."));
		json_object_object_add(o, "errors", e);
		bh_loop_reply(resp, 422, o);
	} else {
		struct bh_loop_note *n = realloc(r->notes, (r->n_notes + 1) * sizeof(*n));
		if (!n || !(n[r->n_notes].content = strdup(content))) {
			if (n)
				r->notes = n;
			bh_loop_reply_error(resp, 500, "UNEXPECTED_ERROR", "An unexpected error occurred.");
		} else {
			r->notes = n;
			n[r->n_notes].id = ++s->next_note_id;
			n[r->n_notes].created_ms = bh_loop_now_ms();
			r->n_notes++;
			bh_loop_reply_raw(resp, 200, "true", 4);
		}
	}
	pthread_mutex_unlock(&s->lock);
	json_object_put(b);
}

static void handle_notes(struct bh_loop *s, int64_t id, struct bh_sim_resp *resp)
{
	struct bh_loop_return *r;

	pthread_mutex_lock(&s->lock);
	r = bh_loop_find(s, id);
	if (!r) {
		bh_loop_reply_error(resp, 404, "NOT_FOUND", "Return not found.");
	} else if (!r->n_notes) {
		bh_loop_reply_raw(resp, 422, "false", 5);
	} else {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (size_t i = 0; i < r->n_notes; i++) {
			struct json_object *n = json_object_new_object();
			char ts[40];
			bh_loop_fmt_iso(r->notes[i].created_ms, ts, sizeof(ts));
			json_object_object_add(n, "id", json_object_new_int64(r->notes[i].id));
			json_object_object_add(n, "content", json_object_new_string(r->notes[i].content));
			json_object_object_add(n, "created_at", json_object_new_string(ts));
			json_object_array_add(a, n);
		}
		json_object_object_add(o, "notes", a);
		bh_loop_reply(resp, 200, o);
	}
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------ webhooks --- */

static void webhook_invalid(struct bh_sim_resp *resp, const char *field, const char *msg)
{
	bh_loop_reply_validation(resp, field, msg);
}

/* Validates a create/update body; fills the fields (borrowed from body). */
static int webhook_fields(struct json_object *b, struct bh_sim_resp *resp, const char **topic,
			  const char **trigger, const char **url, int *status)
{
	struct json_object *v;
	*topic = *trigger = *url = NULL;
	*status = -1;
	if (!b || !json_object_is_type(b, json_type_object)) {
		webhook_invalid(resp, "topic", "The topic field is required.");
		return BH_EINVAL;
	}
	if (json_object_object_get_ex(b, "topic", &v) && json_object_is_type(v, json_type_string))
		*topic = json_object_get_string(v);
	if (json_object_object_get_ex(b, "trigger", &v) && json_object_is_type(v, json_type_string))
		*trigger = json_object_get_string(v);
	if (json_object_object_get_ex(b, "url", &v) && json_object_is_type(v, json_type_string))
		*url = json_object_get_string(v);
	if (!*topic) {
		webhook_invalid(resp, "topic", "The topic field is required.");
		return BH_EINVAL;
	}
	if (!bh_loop_topic_valid(*topic)) {
		webhook_invalid(resp, "topic",
				"Must be one of the following values:return,label,restock,label.request,giftcard,happy.returns.shipment,return.processing");
		return BH_EINVAL;
	}
	if (!*trigger) {
		webhook_invalid(resp, "trigger", "The trigger field is required.");
		return BH_EINVAL;
	}
	if (!bh_loop_trigger_valid(*trigger)) {
		webhook_invalid(resp, "trigger",
				"Must be one of the following values:return.created,return.updated,return.closed,label.created,label.updated,restock.requested,label.request.issued,label.request.cancelled,giftcard.requested,shipment.processed,return.processing.failed");
		return BH_EINVAL;
	}
	if (!*url || (strncmp(*url, "http://", 7) != 0 && strncmp(*url, "https://", 8) != 0)) {
		webhook_invalid(resp, "url", "The url must be a valid URL.");
		return BH_EINVAL;
	}
	if (json_object_object_get_ex(b, "status", &v) && !json_object_is_type(v, json_type_null)) {
		const char *st = json_object_get_string(v);
		if (strcmp(st, "active") == 0)
			*status = 1;
		else if (strcmp(st, "inactive") == 0)
			*status = 0;
		else {
			webhook_invalid(resp, "status",
					"Must be one of the following values:active,inactive");
			return BH_EINVAL;
		}
	}
	return 0;
}

/* Shared with the control port (POST /webhooks there defaults to active). */
static struct bh_loop_hook *hook_add(struct bh_loop *s, const char *topic, const char *trigger,
				     const char *url, bool active)
{
	struct bh_loop_hook *n = realloc(s->hooks, (s->n_hooks + 1) * sizeof(*n)), *h;
	if (!n)
		return NULL;
	s->hooks = n;
	h = &n[s->n_hooks];
	h->id = ++s->next_hook_id;
	h->topic = strdup(topic);
	h->trigger = strdup(trigger);
	h->url = strdup(url);
	h->active = active;
	if (!h->topic || !h->trigger || !h->url) {
		free(h->topic);
		free(h->trigger);
		free(h->url);
		return NULL;
	}
	s->n_hooks++;
	return h;
}

static void handle_webhooks(struct bh_loop *s, const struct bh_sim_req *req, int64_t id,
			    bool has_id, struct bh_sim_resp *resp)
{
	struct json_object *b = NULL;
	const char *topic, *trigger, *url;
	int status;

	if (!has_id && strcmp(req->method, "GET") == 0) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->n_hooks; i++)
			json_object_array_add(a, bh_loop_hook_obj(s, &s->hooks[i]));
		pthread_mutex_unlock(&s->lock);
		json_object_object_add(o, "webhooks", a);
		bh_loop_reply(resp, 200, o);
		return;
	}
	if (strcmp(req->method, "DELETE") == 0) {
		bool found = false;
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->n_hooks; i++) {
			if (s->hooks[i].id != id)
				continue;
			free(s->hooks[i].topic);
			free(s->hooks[i].trigger);
			free(s->hooks[i].url);
			memmove(&s->hooks[i], &s->hooks[i + 1], (s->n_hooks - i - 1) * sizeof(*s->hooks));
			s->n_hooks--;
			found = true;
			break;
		}
		pthread_mutex_unlock(&s->lock);
		if (found)
			bh_loop_reply_raw(resp, 204, "", 0);
		else
			bh_loop_reply_error(resp, 404, "NOT_FOUND", "Webhook not found.");
		return;
	}
	b = req->body_len ? json_tokener_parse(req->body) : NULL;
	if (webhook_fields(b, resp, &topic, &trigger, &url, &status))
		goto out;
	pthread_mutex_lock(&s->lock);
	if (!has_id) {
		struct bh_loop_hook *h = hook_add(s, topic, trigger, url, status == 1);
		if (h)
			bh_loop_reply(resp, 201, bh_loop_hook_obj(s, h));
		else
			bh_loop_reply_error(resp, 500, "FAILED_TO_CREATE_WEBHOOK",
					    "The webhook could not be created.");
	} else {
		struct bh_loop_hook *h = NULL;
		for (size_t i = 0; i < s->n_hooks; i++)
			if (s->hooks[i].id == id)
				h = &s->hooks[i];
		if (!h) {
			bh_loop_reply_error(resp, 404, "NOT_FOUND", "Webhook not found.");
		} else {
			char *nt = strdup(topic), *ng = strdup(trigger), *nu = strdup(url);
			if (!nt || !ng || !nu) {
				free(nt);
				free(ng);
				free(nu);
				bh_loop_reply_error(resp, 500, "FAILED_TO_UPDATE_WEBHOOK",
						    "The webhook could not be updated.");
			} else {
				free(h->topic);
				free(h->trigger);
				free(h->url);
				h->topic = nt;
				h->trigger = ng;
				h->url = nu;
				if (status >= 0)
					h->active = status == 1;
				bh_loop_reply_raw(resp, 204, "", 0);
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
out:
	json_object_put(b);
}

/* Control port entry to the same subscription table. Caller holds no lock. */
int bh_loop_hook_add_ctl(struct bh_loop *s, const char *topic, const char *trigger,
			 const char *url, bool active, int64_t *id)
{
	struct bh_loop_hook *h;
	pthread_mutex_lock(&s->lock);
	h = hook_add(s, topic, trigger, url, active);
	if (h)
		*id = h->id;
	pthread_mutex_unlock(&s->lock);
	return h ? 0 : -1;
}

/* -------------------------------------------------------------------- router --- */

enum route {
	R_NONE,
	R_LIST,
	R_DETAILS,
	R_ACTION,
	R_NOTES,
	R_HOOKS,
	R_HOOK_ID,
};

static void method_not_allowed(struct bh_sim_resp *resp, const char *method, const char *allowed)
{
	char msg[160];
	struct json_object *o = json_object_new_object();
	snprintf(msg, sizeof(msg), "The %s method is not supported for this route. Supported methods: %s.",
		 method, allowed);
	json_object_object_add(o, "message", json_object_new_string(msg));
	bh_loop_reply(resp, 405, o);
	bh_sim_resp_header(resp, "Allow", allowed);
}

void bh_loop_api_handle(struct bh_loop *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	const char *p = req->path, *ver, *rest, *action = NULL;
	enum route route = R_NONE;
	const char *allowed = NULL;
	int64_t id = 0;
	int remaining;

	if (strncmp(p, "/api/", 5) != 0)
		goto notfound;
	ver = p + 5;
	rest = strchr(ver, '/');
	if (!rest || !version_ok(ver, (size_t)(rest - ver)))
		goto notfound;
	rest++;
	if (strcmp(rest, "warehouse/return/list") == 0) {
		route = R_LIST;
		allowed = "GET, HEAD";
	} else if (strcmp(rest, "warehouse/return/details") == 0) {
		route = R_DETAILS;
		allowed = "GET, HEAD";
	} else if (strncmp(rest, "warehouse/return/", 17) == 0) {
		const char *idp = rest + 17, *slash = strchr(idp, '/');
		if (!slash || !parse_id(idp, (size_t)(slash - idp), &id))
			goto notfound;
		action = slash + 1;
		if (strcmp(action, "notes") == 0) {
			route = R_NOTES;
			allowed = "GET, HEAD";
		} else if (strcmp(action, "process") == 0 || strcmp(action, "remove") == 0 ||
			   strcmp(action, "cancel") == 0 || strcmp(action, "flag") == 0 ||
			   strcmp(action, "close") == 0 || strcmp(action, "note") == 0) {
			route = R_ACTION;
			allowed = "POST";
		} else {
			goto notfound;
		}
	} else if (strcmp(rest, "webhooks") == 0) {
		route = R_HOOKS;
		allowed = "GET, HEAD, POST";
	} else if (strncmp(rest, "webhooks/", 9) == 0) {
		if (!parse_id(rest + 9, strlen(rest + 9), &id))
			goto notfound;
		route = R_HOOK_ID;
		allowed = "PUT, DELETE";
	} else {
		goto notfound;
	}
	{
		bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
		bool okm = (route == R_LIST || route == R_DETAILS || route == R_NOTES) ? get
			   : route == R_ACTION ? strcmp(req->method, "POST") == 0
			   : route == R_HOOKS  ? get || strcmp(req->method, "POST") == 0
					       : strcmp(req->method, "PUT") == 0 ||
						 strcmp(req->method, "DELETE") == 0;
		if (!okm) {
			method_not_allowed(resp, req->method, allowed);
			return;
		}
	}
	if (gate(s, req, resp, &remaining))
		return;
	switch (route) {
	case R_LIST:
		handle_list(s, req, resp, remaining);
		return;
	case R_DETAILS:
		handle_details(s, req, resp);
		break;
	case R_NOTES:
		handle_notes(s, id, resp);
		break;
	case R_ACTION:
		if (strcmp(action, "process") == 0)
			bh_loop_action(s, id, BH_LOOP_ACT_PROCESS, "api", req->body, resp);
		else if (strcmp(action, "cancel") == 0)
			bh_loop_action(s, id, BH_LOOP_ACT_CANCEL, "api", NULL, resp);
		else if (strcmp(action, "flag") == 0)
			bh_loop_action(s, id, BH_LOOP_ACT_FLAG, "api", NULL, resp);
		else if (strcmp(action, "close") == 0)
			bh_loop_action(s, id, BH_LOOP_ACT_CLOSE, "api", NULL, resp);
		else if (strcmp(action, "remove") == 0)
			handle_remove(s, id, req, resp);
		else
			handle_note(s, id, req, resp);
		break;
	case R_HOOKS:
		handle_webhooks(s, req, 0, false, resp);
		break;
	case R_HOOK_ID:
		handle_webhooks(s, req, id, true, resp);
		break;
	case R_NONE:
		break;
	}
	rate_headers(s, resp, remaining);
	return;
notfound:
	bh_loop_reply_raw(resp, 404, "{\"message\":\"Not Found\"}", 23);
}
