/*
 * sim_shopify_rest.c - the REST Admin API endpoints of the Shopify simulator (GET only;
 * REST is legacy, research §1):
 *   /orders.json          status (open default | closed | cancelled | any),
 *                         financial_status, fulfillment_status (any | shipped | partial |
 *                         unshipped | unfulfilled), ids, since_id, name,
 *                         created_at_min/max, updated_at_min/max, processed_at_min/max
 *                         (inclusive), order ("updated_at asc"; keys id, created_at,
 *                         updated_at, processed_at; default "id desc", "id asc" with
 *                         since_id), limit (default 50, capped at 250), fields, page_info.
 *                         Pages are linked with a Link header: <URL>; rel="next",
 *                         <URL>; rel="previous", URL = ...orders.json?page_info=P&limit=N
 *                         [&fields=..]. page_info is base64url JSON holding the filters
 *                         and the position; with page_info only limit and fields may be
 *                         passed: another parameter -> 400 {"errors":{"status":"status
 *                         cannot be passed when page_info is present. See
 *                         https://shopify.dev/api/usage/pagination-rest for more
 *                         information."}}; a bad page_info -> 400
 *                         {"errors":{"page_info":"Invalid value."}} (both as reported by
 *                         Shopify users). Other bad filter values: 400 the same way.
 *   /orders/count.json    {"count":n} with the same filters
 *   /orders/{id}.json     {"order":{...}} (fields)
 *   /orders/{id}/transactions.json, /orders/{id}/refunds.json, /orders/{id}/refunds/{r}.json
 *   /gift_cards.json, /gift_cards/{id}.json  (no "code": REST shows last_characters)
 * Unknown paths and other methods: 404 {"errors":"Not Found"}.
 *
 * Ownership: answers are built from deep copies while the data lock is held shared.
 * Threading: any thread; takes the data lock shared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "sim_shopify.h"

#define PAGINATION_DOC "See https://shopify.dev/api/usage/pagination-rest for more information."

enum { ST_OPEN, ST_CLOSED, ST_CANCELLED, ST_ANY };
enum { FU_ANY, FU_SHIPPED, FU_PARTIAL, FU_UNSHIPPED };

struct rfilter {
	int status, ful;
	char *fin;
	bool has_since;
	int64_t since_id;
	int64_t *ids;
	size_t nids;
	bool has[3][2];        /* created, updated, processed x min, max */
	int64_t range[3][2];
	char *name;
};

static const char *const range_keys[3][2] = {{"created_at_min", "created_at_max"},
					      {"updated_at_min", "updated_at_max"},
					      {"processed_at_min", "processed_at_max"}};
static const char *const filter_params[] = {
	"status", "financial_status", "fulfillment_status", "ids", "since_id", "name",
	"created_at_min", "created_at_max", "updated_at_min", "updated_at_max", "processed_at_min",
	"processed_at_max", "order", NULL};

static void rfilter_free(struct rfilter *f)
{
	free(f->fin);
	free(f->ids);
	free(f->name);
}

/* Parameter source: the request's query, or the JSON object decoded from page_info. */
struct psrc {
	const struct bh_sim_req *req;
	struct json_object *saved;
};

static char *pget(const struct psrc *p, const char *k)
{
	if (p->saved) {
		const char *v = bh_shp_jstr(p->saved, k);
		return v ? strdup(v) : NULL;
	}
	return bh_sim_req_query(p->req, k);
}

static void bad_param(struct bh_sim_resp *resp, const char *k, const char *msg)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, k, json_object_new_string(msg));
	json_object_object_add(o, "errors", e);
	bh_sim_resp_json(resp, 400, o);
}

/* Reads the filters; on a bad value answers 400 and returns false. */
static bool read_filter(const struct psrc *p, struct rfilter *f, enum bh_shp_sort *key, bool *desc,
			struct bh_sim_resp *resp)
{
	char *v;
	memset(f, 0, sizeof(*f));
	*key = BH_SHP_SORT_ID;
	*desc = true;
	v = pget(p, "status");
	if (!v || strcmp(v, "open") == 0)
		f->status = ST_OPEN;
	else if (strcmp(v, "closed") == 0)
		f->status = ST_CLOSED;
	else if (strcmp(v, "cancelled") == 0)
		f->status = ST_CANCELLED;
	else if (strcmp(v, "any") == 0)
		f->status = ST_ANY;
	else
		goto bad_status;
	free(v);
	v = pget(p, "financial_status");
	if (v && strcmp(v, "any") != 0)
		f->fin = v;
	else
		free(v);
	v = pget(p, "fulfillment_status");
	if (!v || strcmp(v, "any") == 0)
		f->ful = FU_ANY;
	else if (strcmp(v, "shipped") == 0)
		f->ful = FU_SHIPPED;
	else if (strcmp(v, "partial") == 0)
		f->ful = FU_PARTIAL;
	else if (strcmp(v, "unshipped") == 0 || strcmp(v, "unfulfilled") == 0)
		f->ful = FU_UNSHIPPED;
	else {
		free(v);
		bad_param(resp, "fulfillment_status", "Invalid value.");
		return false;
	}
	free(v);
	v = pget(p, "since_id");
	if (v) {
		char *end;
		f->since_id = strtoll(v, &end, 10);
		f->has_since = true;
		if (!*v || *end) {
			free(v);
			bad_param(resp, "since_id", "Invalid value.");
			return false;
		}
		free(v);
	}
	v = pget(p, "ids");
	if (v) {
		size_t n = 1;
		char *save = NULL, *tok;
		for (char *c = v; *c; c++)
			n += *c == ',';
		f->ids = calloc(n, sizeof(*f->ids));
		for (tok = strtok_r(v, ",", &save); f->ids && tok; tok = strtok_r(NULL, ",", &save))
			f->ids[f->nids++] = strtoll(tok, NULL, 10);
		free(v);
		if (!f->nids) {
			bad_param(resp, "ids", "Invalid value.");
			return false;
		}
	}
	f->name = pget(p, "name");
	for (int k = 0; k < 3; k++)
		for (int e = 0; e < 2; e++) {
			struct bh_shp_time t;
			v = pget(p, range_keys[k][e]);
			if (!v)
				continue;
			if (bh_shp_time_parse(v, &t)) {
				free(v);
				bad_param(resp, range_keys[k][e], "Invalid value.");
				return false;
			}
			free(v);
			f->has[k][e] = true;
			f->range[k][e] = t.t;
		}
	v = pget(p, "order");
	if (v) {
		char field[32] = "", dir[8] = "asc";
		int n = sscanf(v, "%31s %7s", field, dir);
		bool ok = n >= 1 && (strcmp(dir, "asc") == 0 || strcmp(dir, "desc") == 0);
		if (ok && strcmp(field, "id") == 0)
			*key = BH_SHP_SORT_ID;
		else if (ok && strcmp(field, "created_at") == 0)
			*key = BH_SHP_SORT_CREATED;
		else if (ok && strcmp(field, "updated_at") == 0)
			*key = BH_SHP_SORT_UPDATED;
		else if (ok && strcmp(field, "processed_at") == 0)
			*key = BH_SHP_SORT_PROCESSED;
		else
			ok = false;
		free(v);
		if (!ok) {
			bad_param(resp, "order", "Invalid value.");
			return false;
		}
		*desc = strcmp(dir, "desc") == 0;
	} else if (f->has_since) {
		*desc = false;
	}
	return true;
bad_status:
	free(v);
	bad_param(resp, "status", "Invalid value.");
	return false;
}

static bool ful_matches(const struct bh_shp_order *o, int ful)
{
	const char *fs = o->fulfillment_status;
	switch (ful) {
	case FU_SHIPPED:
		return fs && strcmp(fs, "fulfilled") == 0;
	case FU_PARTIAL:
		return fs && strcmp(fs, "partial") == 0;
	case FU_UNSHIPPED:
		return !fs || strcmp(fs, "unfulfilled") == 0;
	default:
		return true;
	}
}

static bool fin_matches(const struct bh_shp_order *o, const char *fin)
{
	const char *fs = o->financial_status ? o->financial_status : "";
	if (strcmp(fin, "unpaid") == 0)
		return strcmp(fs, "authorized") == 0 || strcmp(fs, "partially_paid") == 0 ||
		       strcmp(fs, "pending") == 0;
	return strcmp(fs, fin) == 0;
}

static bool keep_order(const struct bh_shp_order *o, void *ud)
{
	const struct rfilter *f = ud;
	switch (f->status) {
	case ST_OPEN:
		if (o->closed.set || o->cancelled.set)
			return false;
		break;
	case ST_CLOSED:
		if (!o->closed.set)
			return false;
		break;
	case ST_CANCELLED:
		if (!o->cancelled.set)
			return false;
		break;
	default:
		break;
	}
	if (f->fin && !fin_matches(o, f->fin))
		return false;
	if (!ful_matches(o, f->ful))
		return false;
	if (f->has_since && o->id <= f->since_id)
		return false;
	if (f->nids) {
		bool in = false;
		for (size_t i = 0; i < f->nids && !in; i++)
			in = f->ids[i] == o->id;
		if (!in)
			return false;
	}
	if (f->name && !(o->name && (strcmp(o->name, f->name) == 0 ||
				     (o->name[0] == '#' && strcmp(o->name + 1, f->name) == 0))))
		return false;
	for (int k = 0; k < 3; k++) {
		int64_t t = k == 0 ? o->created.t : k == 1 ? o->updated.t : o->processed.t;
		if (f->has[k][0] && t < f->range[k][0])
			return false;
		if (f->has[k][1] && t > f->range[k][1])
			return false;
	}
	return true;
}

/* Keep only the comma-separated top-level fields of obj (fields=...). */
static void apply_fields(struct json_object *obj, const char *fields)
{
	struct json_object *keep;
	if (!fields || !*fields || !obj)
		return;
	keep = json_object_new_object();
	{
		char *copy = strdup(fields), *save = NULL, *tok;
		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
		     tok = strtok_r(NULL, ",", &save)) {
			struct json_object *v;
			while (*tok == ' ')
				tok++;
			if (json_object_object_get_ex(obj, tok, &v))
				json_object_object_add(keep, tok, json_object_get(v));
		}
		free(copy);
	}
	{
		/* rebuild obj in place with the kept members only */
		struct json_object_iterator it = json_object_iter_begin(obj), end = json_object_iter_end(obj);
		const char *names[512];
		size_t n = 0;
		while (!json_object_iter_equal(&it, &end) && n < 512) {
			names[n++] = json_object_iter_peek_name(&it);
			json_object_iter_next(&it);
		}
		for (size_t i = n; i > 0; i--)
			if (!json_object_object_get_ex(keep, names[i - 1], NULL))
				json_object_object_del(obj, names[i - 1]);
	}
	json_object_put(keep);
}

static char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(n * 3 + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = 0;
	return o;
}

static char *make_page_info(struct json_object *saved, const char *dir, const struct bh_shp_order *o,
			    enum bh_shp_sort key)
{
	struct json_object *j = json_object_new_object();
	char *out;
	const char *txt;
	json_object_object_add(j, "direction", json_object_new_string(dir));
	json_object_object_add(j, "last_id", json_object_new_int64(o->id));
	json_object_object_add(j, "last_value", json_object_new_int64(bh_shp_sort_value(o, key)));
	json_object_object_add(j, "q", json_object_get(saved));
	txt = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	out = bh_shp_b64(txt, strlen(txt), true);
	json_object_put(j);
	return out;
}

static void add_link(char *buf, size_t cap, const char *base, const char *version,
		     const char *pinfo, long limit, const char *fields, const char *rel)
{
	size_t used = strlen(buf);
	char *ef = fields ? url_encode(fields) : NULL;
	snprintf(buf + used, cap - used, "%s<%s/admin/api/%s/orders.json?page_info=%s&limit=%ld%s%s>; rel=\"%s\"",
		 used ? ", " : "", base, version, pinfo, limit, ef ? "&fields=" : "", ef ? ef : "", rel);
	free(ef);
}

/* Walk the raw query: returns the first parameter not allowed with page_info, or NULL. */
static char *forbidden_with_page_info(const struct bh_sim_req *req)
{
	const char *p = req->query;
	while (p && *p) {
		const char *amp = strchr(p, '&'), *stop = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t kl = (size_t)((eq ? eq : stop) - p);
		if (kl && !(kl == 5 && strncmp(p, "limit", 5) == 0) &&
		    !(kl == 6 && strncmp(p, "fields", 6) == 0) &&
		    !(kl == 9 && strncmp(p, "page_info", 9) == 0))
			return strndup(p, kl);
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static void list_orders(struct bh_shp_svc *s, const struct bh_sim_req *req, const char *version,
			struct bh_sim_resp *resp)
{
	char *pinfo = bh_sim_req_query(req, "page_info"), *lim = bh_sim_req_query(req, "limit");
	char *fields = bh_sim_req_query(req, "fields");
	struct json_object *saved = NULL, *cur = NULL, *out, *arr;
	struct psrc src = {req, NULL};
	struct rfilter f;
	struct bh_shp_page_req pr;
	struct bh_shp_page pg;
	enum bh_shp_sort key;
	bool desc;
	long limit = 50;
	char link[2048] = "";
	char base[160];
	struct bh_shp_buf buf = {0};

	memset(&f, 0, sizeof(f));
	memset(&pr, 0, sizeof(pr));
	if (lim) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (!*lim || *end || limit < 1) {
			bad_param(resp, "limit", "Invalid value.");
			goto out;
		}
		if (limit > 250)
			limit = 250;
	}
	if (pinfo) {
		char *bad = forbidden_with_page_info(req), msg[256];
		size_t dl = 0;
		char *dec;
		if (bad) {
			snprintf(msg, sizeof(msg), "%s cannot be passed when page_info is present. %s",
				 bad, PAGINATION_DOC);
			bad_param(resp, bad, msg);
			free(bad);
			goto out;
		}
		dec = bh_shp_unb64(pinfo, &dl);
		cur = dec ? json_tokener_parse(dec) : NULL;
		free(dec);
		saved = bh_shp_jget(cur, "q");
		if (!cur || !saved || !json_object_is_type(saved, json_type_object) ||
		    !bh_shp_jstr(cur, "direction") || bh_shp_ji64(cur, "last_id", &pr.cur_id) != 1 ||
		    bh_shp_ji64(cur, "last_value", &pr.cur_value) != 1) {
			bad_param(resp, "page_info", "Invalid value.");
			goto out;
		}
		json_object_get(saved);
		pr.has_cursor = true;
		pr.backward = strcmp(bh_shp_jstr(cur, "direction"), "prev") == 0;
		src.saved = saved;
	} else {
		saved = json_object_new_object();
		for (size_t i = 0; filter_params[i]; i++) {
			char *v = bh_sim_req_query(req, filter_params[i]);
			if (v)
				json_object_object_add(saved, filter_params[i], json_object_new_string(v));
			free(v);
		}
	}
	if (!read_filter(&src, &f, &key, &desc, resp))
		goto out;
	pr.key = key;
	pr.desc = desc;
	pr.limit = (size_t)limit;
	pr.filter = keep_order;
	pr.ud = &f;
	if (key != BH_SHP_SORT_ID) {
		int k = key == BH_SHP_SORT_CREATED ? 0 : key == BH_SHP_SORT_UPDATED ? 1 : 2;
		pr.has_min = f.has[k][0];
		pr.min = f.range[k][0];
		pr.has_max = f.has[k][1];
		pr.max = f.range[k][1];
	} else if (f.has_since) {
		pr.has_min = true;
		pr.min = f.since_id + 1;
	}
	if (req->base_url && *req->base_url)
		snprintf(base, sizeof(base), "%s", req->base_url);
	else
		snprintf(base, sizeof(base), "https://%s", s->shop_domain);

	arr = fields ? json_object_new_array() : NULL;
	bh_shp_buf_add(&buf, "{\"orders\":[", 11);
	pthread_rwlock_rdlock(&s->lock);
	if (bh_shp_store_page(s, &pr, &pg) == 0) {
		for (size_t i = 0; i < pg.n; i++) {
			if (fields) {
				struct json_object *o = bh_shp_order_rest(s, pg.items[i]);
				apply_fields(o, fields);
				json_object_array_add(arr, o);
			} else {
				/* cached text: no json-c work on the hot path */
				const struct bh_shp_text *t = bh_shp_order_rest_text(s, pg.items[i]);
				if (i)
					bh_shp_buf_add(&buf, ",", 1);
				if (t)
					bh_shp_buf_add(&buf, t->text, t->len);
				else
					buf.oom = true;
			}
		}
		if (pg.more_after && pg.n) {
			char *pi = make_page_info(saved, "next", pg.items[pg.n - 1], key);
			if (pi)
				add_link(link, sizeof(link), base, version, pi, limit, fields, "next");
			free(pi);
		}
		if (pg.more_before && pg.n) {
			char *pi = make_page_info(saved, "prev", pg.items[0], key);
			if (pi)
				add_link(link, sizeof(link), base, version, pi, limit, fields, "previous");
			free(pi);
		}
		free(pg.items);
	}
	pthread_rwlock_unlock(&s->lock);
	if (fields) {
		out = json_object_new_object();
		json_object_object_add(out, "orders", arr);
		bh_sim_resp_json(resp, 200, out);
	} else {
		bh_shp_buf_add(&buf, "]}", 2);
		bh_shp_resp_buf(resp, 200, &buf);
	}
	if (*link)
		bh_sim_resp_header(resp, "Link", link);
out:
	rfilter_free(&f);
	json_object_put(saved);
	json_object_put(cur);
	free(pinfo);
	free(lim);
	free(fields);
	free(buf.p);
}

static void count_orders(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct psrc src = {req, NULL};
	struct rfilter f;
	enum bh_shp_sort key;
	bool desc;
	size_t n = 0;
	struct json_object *out;
	if (!read_filter(&src, &f, &key, &desc, resp)) {
		rfilter_free(&f);
		return;
	}
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->norders; i++)
		n += keep_order(s->idx[BH_SHP_SORT_ID][i], &f);
	pthread_rwlock_unlock(&s->lock);
	rfilter_free(&f);
	out = json_object_new_object();
	json_object_object_add(out, "count", json_object_new_int64((int64_t)n));
	bh_sim_resp_json(resp, 200, out);
}

/* "/<word>/<id>" prefix parse: returns the position after the id or NULL. */
static const char *id_after(const char *p, const char *prefix, int64_t *id)
{
	size_t n = strlen(prefix);
	char *end;
	if (strncmp(p, prefix, n) != 0 || p[n] < '0' || p[n] > '9')
		return NULL;
	*id = strtoll(p + n, &end, 10);
	return end;
}

static void one_order(struct bh_shp_svc *s, const struct bh_sim_req *req, int64_t id,
		      const char *rest, struct bh_sim_resp *resp)
{
	struct json_object *out = NULL;
	const struct bh_shp_order *o;
	char *fields = bh_sim_req_query(req, "fields");
	int64_t rid = 0;
	const char *r2;

	pthread_rwlock_rdlock(&s->lock);
	o = bh_shp_store_get(s, id);
	if (o && strcmp(rest, ".json") == 0 && !fields) {
		const struct bh_shp_text *t = bh_shp_order_rest_text(s, o);
		struct bh_shp_buf buf = {0};
		bh_shp_buf_add(&buf, "{\"order\":", 9);
		if (t)
			bh_shp_buf_add(&buf, t->text, t->len);
		else
			buf.oom = true;
		bh_shp_buf_add(&buf, "}", 1);
		pthread_rwlock_unlock(&s->lock);
		bh_shp_resp_buf(resp, 200, &buf);
		free(fields);
		return;
	} else if (o && strcmp(rest, ".json") == 0) {
		struct json_object *ord = bh_shp_order_rest(s, o);
		apply_fields(ord, fields);
		out = json_object_new_object();
		json_object_object_add(out, "order", ord);
	} else if (o && strcmp(rest, "/transactions.json") == 0) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < o->ntxns; i++)
			json_object_array_add(a, bh_shp_txn_rest(o, &o->txns[i]));
		out = json_object_new_object();
		json_object_object_add(out, "transactions", a);
	} else if (o && strcmp(rest, "/refunds.json") == 0) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < o->nrefunds; i++)
			json_object_array_add(a, bh_shp_refund_rest(o, &o->refunds[i]));
		out = json_object_new_object();
		json_object_object_add(out, "refunds", a);
	} else if (o && (r2 = id_after(rest, "/refunds/", &rid)) && strcmp(r2, ".json") == 0) {
		for (size_t i = 0; i < o->nrefunds; i++)
			if (o->refunds[i].id == rid) {
				out = json_object_new_object();
				json_object_object_add(out, "refund",
						       bh_shp_refund_rest(o, &o->refunds[i]));
			}
	}
	pthread_rwlock_unlock(&s->lock);
	free(fields);
	if (out)
		bh_sim_resp_json(resp, 200, out);
	else
		bh_shp_rest_error(resp, 404, "Not Found");
}

static void gift_cards(struct bh_shp_svc *s, const char *path, struct bh_sim_resp *resp)
{
	struct json_object *out = NULL;
	int64_t id;
	const char *r;
	pthread_rwlock_rdlock(&s->lock);
	if (strcmp(path, "/gift_cards.json") == 0) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < s->ngcs; i++)
			json_object_array_add(a, bh_shp_giftcard_rest(s->gcs[i], false));
		out = json_object_new_object();
		json_object_object_add(out, "gift_cards", a);
	} else if ((r = id_after(path, "/gift_cards/", &id)) && strcmp(r, ".json") == 0) {
		const struct bh_shp_giftcard *g = bh_shp_giftcard_get(s, id);
		if (g) {
			out = json_object_new_object();
			json_object_object_add(out, "gift_card", bh_shp_giftcard_rest(g, false));
		}
	}
	pthread_rwlock_unlock(&s->lock);
	if (out)
		bh_sim_resp_json(resp, 200, out);
	else
		bh_shp_rest_error(resp, 404, "Not Found");
}

void bh_shp_rest(struct bh_shp_svc *s, const struct bh_sim_req *req, const char *version,
		 const char *path, struct bh_sim_resp *resp)
{
	int64_t id;
	const char *rest;
	if (strcmp(req->method, "GET") != 0) {
		bh_shp_rest_error(resp, 404, "Not Found");
		return;
	}
	if (strcmp(path, "/orders.json") == 0)
		list_orders(s, req, version, resp);
	else if (strcmp(path, "/orders/count.json") == 0)
		count_orders(s, req, resp);
	else if ((rest = id_after(path, "/orders/", &id)))
		one_order(s, req, id, rest, resp);
	else if (strncmp(path, "/gift_cards", 11) == 0)
		gift_cards(s, path, resp);
	else
		bh_shp_rest_error(resp, 404, "Not Found");
}
