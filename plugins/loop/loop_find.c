/*
 * loop_find.c - portal find_returns of the `loop` plugin: every return of one storefront
 * order, in every state, oldest first (sdk/RECORDS.md, "Read-only operations for
 * backhaul report"). Used by `backhaul report order NAME`.
 *
 * Loop offers no order filter on the Detailed Returns List (filters: from/to, filter =
 * created_at|updated_at, state), and Get Return Details by order (`order_id` = the
 * Shopify order id, or `order_name`) answers ONE return object. So:
 *   1. Get Return Details by order_id (the storefront order id; by order_name when only
 *      the name is given, or when Loop does not know the id). 404 means the order has
 *      no return in Loop: the answer is {"returns": []} (never BH_ENOENT).
 *   2. That return's created_at anchors a bounded walk of the Detailed Returns List by
 *      created_at over [created_at - find_returns_span, created_at + find_returns_span]
 *      (the end clipped to now): every return of one order is made within the shop's
 *      return window of that order, so the span (default 120 days, one list window
 *      each way) holds them all. Both sides are read because Loop does not document
 *      which of several returns the by-order lookup answers. The walk goes in windows
 *      of at most `window` (Loop refuses more than 120 days), in three passes per window
 *      (no state = open, closed and expired, as Loop documents; then cancelled; then
 *      review), with paginate=true, pageSize = `page_size`, following nextPageUrl.
 *   3. Rows whose provider_order_id is the storefront order id (rows without it: whose
 *      order_name is the name, '#' ignored) are mapped to return/1 ("trigger": null),
 *      one per return id (the most recently updated copy, the lookup's included), and
 *      sorted by created_at, then id.
 * Cost: one lookup, plus (windows x 3 x pages) list requests when the order has a
 * return; all go through the limiter. A return older or newer than the span is not
 * found (find_returns_span sets it, up to 365 days).
 *
 * Ownership: *out is malloc'd for the caller. Threading: may run on any thread,
 * concurrently with everything else; nothing here is shared but the API layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "http.h"
#include "loop.h"
#include "loop_map.h"
#include "loop_time.h"

#define FIND_MAX_PAGES 2000

/* The list passes that together cover every state (no state = open, closed, expired). */
static const char *const passes[] = {NULL, "cancelled", "review"};

struct found {
	json_object *ret;    /* return/1 */
	int64_t created_ms;
	int64_t updated_ms;
	char id[32];
};

struct finder {
	struct bh_loop *lp;
	char sf_id[32];      /* storefront order id ("" when not given) */
	const char *name;    /* order name without '#' (NULL when not given) */
	struct found *f;
	size_t n, cap;
	long long pages, rows;
	char err[256];
};

static int refuse(struct bh_status *st, const char *code, const char *msg)
{
	snprintf(st->code, sizeof(st->code), "%s", code);
	snprintf(st->message, sizeof(st->message), "%s", msg);
	return BH_EREJECT;
}

static const char *strip_hash(const char *s)
{
	return s && s[0] == '#' ? s + 1 : s;
}

/* Is this Loop row a return of the order asked for? */
static bool row_matches(const struct finder *fd, json_object *row)
{
	char pid[32];
	json_object *v;
	if (fd->sf_id[0] && bh_loop_json_id(row, "provider_order_id", pid, sizeof(pid)))
		return strcmp(pid, fd->sf_id) == 0;
	if (!fd->name || !json_object_object_get_ex(row, "order_name", &v) ||
	    !json_object_is_type(v, json_type_string))
		return false;
	return strcmp(strip_hash(json_object_get_string(v)), fd->name) == 0;
}

/* Map a matching row and keep it (the most recently updated copy per id). */
static int keep(struct finder *fd, json_object *row)
{
	struct bh_loop_info info;
	json_object *ret = NULL;
	int rc = bh_loop_map_return(row, NULL, false, NULL, &info, &ret, fd->err,
				    sizeof(fd->err));
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < fd->n; i++) {
		if (strcmp(fd->f[i].id, info.id) != 0)
			continue;
		if (info.updated_ms > fd->f[i].updated_ms) {
			json_object_put(fd->f[i].ret);
			fd->f[i].ret = ret;
			fd->f[i].updated_ms = info.updated_ms;
			fd->f[i].created_ms = info.created_ms;
		} else {
			json_object_put(ret);
		}
		return BH_OK;
	}
	if (fd->n == fd->cap) {
		size_t cap = fd->cap ? fd->cap * 2 : 8;
		struct found *nf = realloc(fd->f, cap * sizeof(*nf));
		if (!nf) {
			json_object_put(ret);
			return BH_ENOMEM;
		}
		fd->f = nf;
		fd->cap = cap;
	}
	struct found *e = &fd->f[fd->n++];
	e->ret = ret;
	e->created_ms = info.created_ms;
	e->updated_ms = info.updated_ms;
	snprintf(e->id, sizeof(e->id), "%s", info.id);
	return BH_OK;
}

/* Get Return Details by order: 0 with *out, BH_ENOENT when Loop has no return for it. */
static int lookup(struct finder *fd, json_object **out, struct bh_status *st)
{
	struct bh_loop *lp = fd->lp;
	char path[512];
	int rc = BH_ENOENT;

	*out = NULL;
	if (fd->sf_id[0]) {
		snprintf(path, sizeof(path), "warehouse/return/details?order_id=%s", fd->sf_id);
		rc = bh_loop_request(lp, "GET", path, NULL, 0, out, st);
	}
	if (rc == BH_ENOENT && fd->name) {
		char hashed[256];
		snprintf(hashed, sizeof(hashed), "#%s", fd->name);
		char *e = bh_http_escape(hashed);
		if (!e)
			return BH_ENOMEM;
		snprintf(path, sizeof(path), "warehouse/return/details?order_name=%s", e);
		free(e);
		memset(st, 0, sizeof(*st));
		rc = bh_loop_request(lp, "GET", path, NULL, 0, out, st);
	}
	if (rc != 0)
		return rc;
	if (!*out || !json_object_is_type(*out, json_type_object) ||
	    !json_object_object_get_ex(*out, "id", NULL)) {
		json_object_put(*out);
		*out = NULL;
		snprintf(st->code, sizeof(st->code), "NOT_A_RETURN");
		snprintf(st->message, sizeof(st->message),
			 "Get Return Details by order did not answer a return object");
		return BH_EPROTO;
	}
	return BH_OK;
}

/* One pass (state or none) over one window, every page. */
static int walk_pass(struct finder *fd, const char *fe, const char *te, const char *state,
		     struct bh_status *st)
{
	struct bh_loop *lp = fd->lp;
	char *url = malloc(512);
	int rc = BH_OK;

	if (!url)
		return BH_ENOMEM;
	snprintf(url, 512,
		 "warehouse/return/list?filter=created_at&from=%s&to=%s%s%s&paginate=true"
		 "&pageSize=%lld", fe, te, state ? "&state=" : "", state ? state : "",
		 (long long)lp->page_size);
	for (int pages = 0; url && rc == 0; pages++) {
		json_object *j = NULL, *arr = NULL, *nx = NULL;
		char *next = NULL;

		if (pages >= FIND_MAX_PAGES) {
			rc = refuse(st, "TOO_MANY_PAGES", "the returns list has more than 2000 pages "
				    "in one window; lower find_returns_span or raise page_size");
			break;
		}
		memset(st, 0, sizeof(*st));
		rc = bh_loop_request(lp, "GET", url, NULL, 0, &j, st);
		if (rc != 0)
			break;
		fd->pages++;
		if (j && json_object_is_type(j, json_type_array)) {
			arr = j;
		} else if (j && json_object_is_type(j, json_type_object) &&
			   json_object_object_get_ex(j, "returns", &arr) &&
			   json_object_is_type(arr, json_type_array)) {
			if (json_object_object_get_ex(j, "nextPageUrl", &nx) && nx &&
			    json_object_is_type(nx, json_type_string) && *json_object_get_string(nx))
				next = strdup(json_object_get_string(nx));
		} else {
			json_object_put(j);
			snprintf(st->code, sizeof(st->code), "NOT_A_LIST");
			snprintf(st->message, sizeof(st->message),
				 "the returns list is neither {\"returns\":[...]} nor an array");
			rc = BH_EPROTO;
			break;
		}
		if (next && strcmp(next, url) == 0) {
			free(next);
			json_object_put(j);
			snprintf(st->code, sizeof(st->code), "NOT_A_LIST");
			snprintf(st->message, sizeof(st->message), "nextPageUrl repeats the page");
			rc = BH_EPROTO;
			break;
		}
		for (size_t i = 0; i < json_object_array_length(arr) && rc == 0; i++) {
			json_object *row = json_object_array_get_idx(arr, i);
			fd->rows++;
			if (row_matches(fd, row))
				rc = keep(fd, row);
		}
		if (rc != 0 && rc != BH_ENOMEM) {
			snprintf(st->code, sizeof(st->code), "BAD_RETURN");
			snprintf(st->message, sizeof(st->message), "%s", fd->err);
		}
		json_object_put(j);
		free(url);
		url = next;
	}
	free(url);
	return rc;
}

static int walk(struct finder *fd, int64_t from, int64_t to, struct bh_status *st)
{
	struct bh_loop *lp = fd->lp;
	char from_q[40], to_q[40];
	int rc = BH_OK;

	for (int64_t w = from; rc == 0 && w < to;) {
		int64_t w_end = w + lp->window_ms < to ? w + lp->window_ms : to;
		bh_loop_time_fmt_query(w, from_q, sizeof(from_q));
		bh_loop_time_fmt_query(w_end, to_q, sizeof(to_q));
		char *fe = bh_http_escape(from_q), *te = bh_http_escape(to_q);
		if (!fe || !te)
			rc = BH_ENOMEM;
		for (size_t p = 0; rc == 0 && p < sizeof(passes) / sizeof(passes[0]); p++)
			rc = walk_pass(fd, fe, te, passes[p], st);
		free(fe);
		free(te);
		w = w_end;
	}
	return rc;
}

static int by_created(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	size_t lx = strlen(x->id), ly = strlen(y->id);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int parse_query(struct finder *fd, const char *query, json_object **q,
		       struct bh_status *st)
{
	json_object *v;
	*q = query ? json_tokener_parse(query) : NULL;
	if (!*q || !json_object_is_type(*q, json_type_object))
		return refuse(st, "BAD_QUERY", "find_returns takes {\"storefront_order_id\": "
			      "str|null, \"order_name\": str|null}");
	if (json_object_object_get_ex(*q, "storefront_order_id", &v) && v &&
	    !bh_loop_json_id(*q, "storefront_order_id", fd->sf_id, sizeof(fd->sf_id)))
		return refuse(st, "BAD_QUERY", "storefront_order_id is not an order id");
	if (fd->sf_id[0] && !bh_loop_id_ok(fd->sf_id))
		return refuse(st, "BAD_QUERY", "storefront_order_id is not a decimal order id");
	if (json_object_object_get_ex(*q, "order_name", &v) && v) {
		if (!json_object_is_type(v, json_type_string))
			return refuse(st, "BAD_QUERY", "order_name is not a string");
		fd->name = strip_hash(json_object_get_string(v));
		if (!*fd->name || strlen(fd->name) > 200)
			return refuse(st, "BAD_QUERY", "order_name is empty or too long");
	}
	if (!fd->sf_id[0] && !fd->name)
		return refuse(st, "BAD_QUERY", "find_returns needs storefront_order_id or order_name");
	return BH_OK;
}

int bh_loop_find_returns(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct finder fd = {.lp = ctx};
	struct bh_loop *lp = ctx;
	json_object *q = NULL, *anchor = NULL, *res = NULL, *arr;
	int rc;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	if ((rc = parse_query(&fd, query, &q, st)) != 0)
		goto out;
	rc = lookup(&fd, &anchor, st);
	if (rc == BH_ENOENT) {
		memset(st, 0, sizeof(*st));
		rc = BH_OK; /* the order has no return in Loop */
	} else if (rc == 0) {
		/* the anchor counts even when its order fields are not filled */
		if ((rc = keep(&fd, anchor)) != 0) {
			snprintf(st->code, sizeof(st->code), "BAD_RETURN");
			snprintf(st->message, sizeof(st->message), "%s", fd.err);
			goto out;
		}
		int64_t c = fd.f[0].created_ms ? fd.f[0].created_ms : lp->host->now_ms();
		int64_t now = lp->host->now_ms(), from = c - lp->find_span_ms;
		int64_t to = c + lp->find_span_ms < now ? c + lp->find_span_ms : now;
		if (to < c + 1000)
			to = c + 1000; /* Loop's times are whole seconds: include the anchor's */
		rc = walk(&fd, from, to, st);
		if (rc == 0)
			bh_plg_debug(lp->host, lp->inst, "find_returns: %zu return(s) of order %s in "
				     "%lld row(s), %lld page(s)", fd.n,
				     fd.sf_id[0] ? fd.sf_id : fd.name, fd.rows, fd.pages);
	}
	if (rc != 0)
		goto out;
	if (fd.n > 1)
		qsort(fd.f, fd.n, sizeof(*fd.f), by_created);
	res = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(res, "returns", arr);
	for (size_t i = 0; i < fd.n; i++) {
		json_object_array_add(arr, fd.f[i].ret);
		fd.f[i].ret = NULL;
	}
	*out = strdup(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
	rc = *out ? BH_OK : BH_ENOMEM;
out:
	for (size_t i = 0; i < fd.n; i++)
		json_object_put(fd.f[i].ret);
	free(fd.f);
	json_object_put(res);
	json_object_put(anchor);
	json_object_put(q);
	return rc;
}
