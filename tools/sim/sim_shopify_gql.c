/*
 * sim_shopify_gql.c - POST /admin/api/{version}/graphql.json of the Shopify simulator.
 *
 * Request: Content-Type application/json {"query","variables","operationName"} (or
 * application/graphql with the bare document). A body that is not JSON, or has no
 * query string: 400 {"errors":{"query":"Required parameter missing or invalid"}}.
 * Everything else answers HTTP 200 like Shopify: parse errors, validation errors
 * (sim_shopify_gql_valid.c) and variable errors as {"errors":[...]} without "data";
 * execution results as {"data":...,"extensions":{"cost":...}} (plus "errors" for
 * field errors, and "search" warnings).
 *
 * Cost and throttling (research §2): the requested cost (sim_shopify_gql_cost.c) above
 * max_query_cost (1000) is refused with MAX_COST_EXCEEDED. Otherwise the leaky bucket
 * (maximum_available 1000, restore_rate 50/s, continuously refilled) must hold the
 * requested cost, else THROTTLED (HTTP throttle_status, 200 by default):
 *   {"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":
 *    "https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{
 *    "requestedQueryCost":N,"actualQueryCost":null,"throttleStatus":{
 *    "maximumAvailable":1000.0,"currentlyAvailable":A,"restoreRate":50.0}}}}
 * When it runs, the requested cost is taken, the query executes, and requested - actual
 * is given back; extensions.cost reports both and the bucket after the refund
 * (currentlyAvailable rounded down to an integer; maximum and rate as 1000.0 / 50.0).
 *
 * Ownership: one bh_shp_gctx + arena per request, freed before returning.
 * Threading: the bucket under rate_lock; execution under the data lock (shared).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "sim_shopify_gql.h"

#define RATE_DOC "https://shopify.dev/api/usage/rate-limits"

/* ---------------------------------------------------------------- errors */

struct json_object *bh_shp_gql_error(struct bh_shp_gctx *c, const char *msg, int line, int col,
				     bool with_path)
{
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(msg));
	if (line > 0) {
		struct json_object *locs = json_object_new_array(), *l = json_object_new_object();
		json_object_object_add(l, "line", json_object_new_int(line));
		json_object_object_add(l, "column", json_object_new_int(col));
		json_object_array_add(locs, l);
		json_object_object_add(e, "locations", locs);
	}
	if (with_path) {
		struct json_object *p = json_object_new_array();
		size_t n = c->depth < 64 ? c->depth : 64;
		for (size_t i = 0; i < n; i++)
			json_object_array_add(p, json_object_new_string(c->path[i]));
		json_object_object_add(e, "path", p);
	}
	if (!c->errors)
		c->errors = json_object_new_array();
	json_object_array_add(c->errors, e);
	return e;
}

void bh_shp_gql_error_ext(struct json_object *err, const char *code, ...)
{
	struct json_object *x = json_object_new_object();
	va_list ap;
	const char *k;
	json_object_object_add(x, "code", json_object_new_string(code));
	va_start(ap, code);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		json_object_object_add(x, k, json_object_new_string(v ? v : ""));
	}
	va_end(ap);
	json_object_object_add(err, "extensions", x);
}

/* ---------------------------------------------------------------- variables, arguments */

/* JSON variable value -> a literal node (arena). */
static struct bh_gql_value *from_json(struct bh_shp_gctx *c, struct json_object *j)
{
	struct bh_gql_value *v = bh_gql_alloc(c->a, sizeof(*v));
	const char *t;
	if (!v)
		return NULL;
	switch (json_object_get_type(j)) {
	case json_type_null:
		v->kind = BH_GQL_V_NULL;
		break;
	case json_type_boolean:
		v->kind = BH_GQL_V_BOOL;
		v->b = json_object_get_boolean(j);
		break;
	case json_type_int:
		v->kind = BH_GQL_V_INT;
		t = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		v->text = bh_gql_strndup(c->a, t, strlen(t));
		break;
	case json_type_double:
		v->kind = BH_GQL_V_FLOAT;
		t = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		v->text = bh_gql_strndup(c->a, t, strlen(t));
		break;
	case json_type_string:
		v->kind = BH_GQL_V_STRING;
		t = json_object_get_string(j);
		v->text = bh_gql_strndup(c->a, t, strlen(t));
		break;
	case json_type_array:
		v->kind = BH_GQL_V_LIST;
		v->n = json_object_array_length(j);
		v->items = bh_gql_alloc(c->a, (v->n + 1) * sizeof(*v->items));
		for (size_t i = 0; v->items && i < v->n; i++)
			v->items[i] = from_json(c, json_object_array_get_idx(j, i));
		break;
	default:
		v->kind = BH_GQL_V_NULL;
		break;
	}
	return v;
}

const struct bh_gql_value *bh_shp_gql_arg(struct bh_shp_gctx *c, const struct bh_gql_sel *sel,
					  const char *name)
{
	for (size_t i = 0; i < sel->nargs; i++) {
		const struct bh_gql_value *v = sel->args[i].value;
		struct json_object *j;
		if (strcmp(sel->args[i].name, name) != 0)
			continue;
		if (v->kind == BH_GQL_V_VAR) {
			if (!c->vars || !json_object_object_get_ex(c->vars, v->text, &j) || !j)
				return NULL;
			v = from_json(c, j);
		}
		return v && v->kind != BH_GQL_V_NULL ? v : NULL;
	}
	return NULL;
}

bool bh_shp_gql_included(struct bh_shp_gctx *c, const struct bh_gql_directive *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool skip = strcmp(d[i].name, "skip") == 0, val = false;
		const struct bh_gql_value *v;
		struct json_object *j;
		if (!skip && strcmp(d[i].name, "include") != 0)
			continue;
		if (d[i].nargs < 1)
			continue;
		v = d[i].args[0].value;
		if (v->kind == BH_GQL_V_VAR)
			val = c->vars && json_object_object_get_ex(c->vars, v->text, &j) &&
			      json_object_get_boolean(j);
		else
			val = v->kind == BH_GQL_V_BOOL && v->b;
		if (skip ? val : !val)
			return false;
	}
	return true;
}

/* Coerce the request's variables for the chosen operation into c->vars. */
static bool coerce_vars(struct bh_shp_gctx *c, struct json_object *given)
{
	bool ok = true;
	c->vars = json_object_new_object();
	for (size_t i = 0; i < c->op->nvars; i++) {
		const struct bh_gql_vardef *d = &c->op->vars[i];
		const struct bh_gtype *t = bh_shp_gql_type(d->base);
		struct json_object *j = NULL, *e;
		bool present = given && json_object_object_get_ex(given, d->name, &j);
		const struct bh_gql_value *lit;
		const char *why = NULL;
		char m[400];
		unsigned flags = (d->list ? BH_GF_LIST : 0) | (d->nonnull ? BH_GF_NONNULL : 0);

		if (!present && d->def) {
			lit = d->def;
		} else {
			lit = present ? from_json(c, j) : NULL;
		}
		if (lit && t && t->kind == BH_GK_ENUM && lit->kind == BH_GQL_V_STRING) {
			struct bh_gql_value *ev = bh_gql_alloc(c->a, sizeof(*ev));
			if (ev) {
				*ev = *lit;
				ev->kind = BH_GQL_V_ENUM;
				lit = ev;
			}
		}
		if (!lit || lit->kind == BH_GQL_V_NULL) {
			if (d->nonnull)
				why = "Expected value to not be null";
		} else if (!t || !bh_shp_gql_literal_ok(lit, t, flags)) {
			why = NULL;
			snprintf(m, sizeof(m), "Could not coerce value %s to %s",
				 present ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)
					 : "null",
				 d->base);
			why = m;
		}
		if (why) {
			struct json_object *x = json_object_new_object(), *probs = json_object_new_array(),
					   *pr = json_object_new_object();
			char msg[300];
			snprintf(msg, sizeof(msg), "Variable $%s of type %s was provided invalid value",
				 d->name, d->type);
			e = bh_shp_gql_error(c, msg, d->line, d->col, false);
			json_object_object_add(x, "code", json_object_new_string("INVALID_VARIABLE"));
			json_object_object_add(x, "value", present ? json_object_get(j) : NULL);
			json_object_object_add(pr, "path", json_object_new_array());
			json_object_object_add(pr, "explanation", json_object_new_string(why));
			json_object_array_add(probs, pr);
			json_object_object_add(x, "problems", probs);
			json_object_object_add(e, "extensions", x);
			ok = false;
			continue;
		}
		if (present) {
			json_object_object_add(c->vars, d->name, json_object_get(j));
		} else if (d->def) {
			/* defaults: only scalars are meaningful here */
			struct json_object *dv = NULL;
			switch (d->def->kind) {
			case BH_GQL_V_INT:
				dv = json_object_new_int64(strtoll(d->def->text, NULL, 10));
				break;
			case BH_GQL_V_BOOL:
				dv = json_object_new_boolean(d->def->b);
				break;
			case BH_GQL_V_STRING:
			case BH_GQL_V_ENUM:
				dv = json_object_new_string(d->def->text);
				break;
			default:
				break;
			}
			json_object_object_add(c->vars, d->name, dv);
		}
	}
	return ok;
}

/* ---------------------------------------------------------------- bucket */

void bh_shp_buckets_refill_locked(struct bh_shp_svc *s, int64_t now)
{
	if (now > s->gql_last_ms) {
		s->gql_avail += (double)(now - s->gql_last_ms) / 1000.0 * s->gql_rate;
		if (s->gql_avail > s->gql_max)
			s->gql_avail = s->gql_max;
		s->gql_last_ms = now;
	}
	if (now > s->rest_last_ms) {
		s->rest_level -= (double)(now - s->rest_last_ms) / 1000.0 * s->rest_rate;
		if (s->rest_level < 0)
			s->rest_level = 0;
		s->rest_last_ms = now;
	}
}

static struct json_object *num_text(double v, bool force_float)
{
	char b[48];
	if (force_float && v == floor(v))
		snprintf(b, sizeof(b), "%.1f", v);
	else
		snprintf(b, sizeof(b), "%.15g", v);
	return json_object_new_double_s(v, b);
}

/* extensions {"cost":{...}} from a snapshot of the bucket */
static struct json_object *cost_ext(int requested, int actual, bool has_actual, double max,
				    double avail, double rate)
{
	struct json_object *x = json_object_new_object(), *cost = json_object_new_object(),
			   *ts = json_object_new_object();
	json_object_object_add(cost, "requestedQueryCost", json_object_new_int(requested));
	json_object_object_add(cost, "actualQueryCost",
			       has_actual ? json_object_new_int(actual) : NULL);
	json_object_object_add(ts, "maximumAvailable", num_text(max, true));
	json_object_object_add(ts, "currentlyAvailable", json_object_new_int((int)floor(avail)));
	json_object_object_add(ts, "restoreRate", num_text(rate, true));
	json_object_object_add(cost, "throttleStatus", ts);
	json_object_object_add(x, "cost", cost);
	return x;
}

struct json_object *bh_shp_gql_throttled(struct bh_shp_svc *s, int requested)
{
	struct json_object *o = json_object_new_object(), *errs = json_object_new_array(),
			   *e = json_object_new_object(), *x = json_object_new_object();
	double max, avail, rate;
	pthread_mutex_lock(&s->rate_lock);
	bh_shp_buckets_refill_locked(s, bh_shp_now_ms_locked(s));
	max = s->gql_max;
	avail = s->gql_avail;
	rate = s->gql_rate;
	pthread_mutex_unlock(&s->rate_lock);
	if (requested < 0)
		requested = (int)max;
	json_object_object_add(e, "message", json_object_new_string("Throttled"));
	json_object_object_add(x, "code", json_object_new_string("THROTTLED"));
	json_object_object_add(x, "documentation", json_object_new_string(RATE_DOC));
	json_object_object_add(e, "extensions", x);
	json_object_array_add(errs, e);
	json_object_object_add(o, "errors", errs);
	json_object_object_add(o, "extensions", cost_ext(requested, 0, false, max, avail, rate));
	return o;
}

static void max_cost_error(struct bh_sim_resp *resp, int cost, int maxc)
{
	struct json_object *o = json_object_new_object(), *errs = json_object_new_array(),
			   *e = json_object_new_object(), *x = json_object_new_object();
	char m[700];
	snprintf(m, sizeof(m),
		 "Query cost is %d, which exceeds the single query max cost limit (%d).\n\n"
		 "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
		 "the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer "
		 "limits, bulk operations should be used instead.\nSee "
		 "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage "
		 "details.\n",
		 cost, maxc);
	json_object_object_add(e, "message", json_object_new_string(m));
	json_object_object_add(x, "code", json_object_new_string("MAX_COST_EXCEEDED"));
	json_object_object_add(x, "cost", json_object_new_int(cost));
	json_object_object_add(x, "maxCost", json_object_new_int(maxc));
	json_object_object_add(x, "documentation", json_object_new_string(RATE_DOC));
	json_object_object_add(e, "extensions", x);
	json_object_array_add(errs, e);
	json_object_object_add(o, "errors", errs);
	bh_sim_resp_json(resp, 200, o);
}

/* ---------------------------------------------------------------- entry */

static void bad_request(struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, "query", json_object_new_string("Required parameter missing or invalid"));
	json_object_object_add(o, "errors", e);
	bh_sim_resp_json(resp, 400, o);
}

static void errors_only(struct bh_shp_gctx *c, struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "errors", c->errors);
	c->errors = NULL;
	bh_sim_resp_json(resp, 200, o);
}

void bh_shp_graphql(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	const char *ct = bh_sim_req_header(req, "Content-Type");
	struct json_object *body = NULL, *vars = NULL, *out, *data, *ext;
	const char *query = NULL, *opname = NULL;
	struct bh_shp_gctx c;
	char perr[256];
	int line = 0, col = 0, cost, status, maxc;
	double max, avail, rate;
	bool ok;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.fixed_dec = s->gql_fixed_decimals;
	if (ct && strncasecmp(ct, "application/graphql", 19) == 0) {
		query = req->body;
	} else {
		struct json_object *q, *v, *n;
		body = json_tokener_parse(req->body);
		if (!body || !json_object_is_type(body, json_type_object) ||
		    !json_object_object_get_ex(body, "query", &q) ||
		    !json_object_is_type(q, json_type_string) || !*json_object_get_string(q)) {
			json_object_put(body);
			bad_request(resp);
			return;
		}
		query = json_object_get_string(q);
		if (json_object_object_get_ex(body, "variables", &v) && v) {
			if (json_object_is_type(v, json_type_string)) /* some clients send text */
				vars = json_tokener_parse(json_object_get_string(v));
			else if (json_object_is_type(v, json_type_object))
				vars = json_object_get(v);
		}
		if (json_object_object_get_ex(body, "operationName", &n) &&
		    json_object_is_type(n, json_type_string))
			opname = json_object_get_string(n);
	}
	if (!query || !*query) {
		json_object_put(body);
		json_object_put(vars);
		bad_request(resp);
		return;
	}
	c.a = bh_gql_arena_new();
	if (!c.a) {
		bh_shp_rest_error(resp, 500, "Internal Server Error");
		goto out;
	}
	if (bh_gql_parse(c.a, query, strlen(query), &c.doc, perr, sizeof(perr), &line, &col)) {
		bh_shp_gql_error(&c, perr, line, col, false);
		errors_only(&c, resp);
		goto out;
	}
	bh_shp_gql_validate(&c);
	if (c.errors) {
		errors_only(&c, resp);
		goto out;
	}
	/* the operation to run */
	for (size_t i = 0; i < c.doc.nops; i++)
		if (!opname || (c.doc.ops[i].name && strcmp(c.doc.ops[i].name, opname) == 0)) {
			if (c.op && !opname) {
				bh_shp_gql_error(&c, "An operation name is required", 0, 0, false);
				break;
			}
			c.op = &c.doc.ops[i];
		}
	if (!c.errors && !c.op) {
		char m[200];
		if (opname)
			snprintf(m, sizeof(m), "No operation named \"%s\"", opname);
		else
			snprintf(m, sizeof(m), "No operations in query document");
		bh_shp_gql_error(&c, m, 0, 0, false);
	}
	if (c.errors || !coerce_vars(&c, vars)) {
		errors_only(&c, resp);
		goto out;
	}
	cost = bh_shp_gql_cost(&c);
	if (cost < 0) {
		errors_only(&c, resp);
		goto out;
	}

	/* the bucket */
	pthread_mutex_lock(&s->rate_lock);
	maxc = s->gql_max_cost;
	if (cost <= maxc) {
		bh_shp_buckets_refill_locked(s, bh_shp_now_ms_locked(s));
		ok = s->gql_avail + 1e-9 >= cost;
		if (ok)
			s->gql_avail -= cost;
	} else {
		ok = false;
	}
	status = s->throttle_status;
	pthread_mutex_unlock(&s->rate_lock);
	if (cost > maxc) {
		max_cost_error(resp, cost, maxc);
		goto out;
	}
	if (!ok) {
		bh_sim_resp_json(resp, status, bh_shp_gql_throttled(s, cost));
		goto out;
	}

	pthread_rwlock_rdlock(&s->lock);
	data = bh_shp_gql_execute(&c);
	pthread_rwlock_unlock(&s->lock);
	if (c.actual > cost)
		c.actual = cost;

	pthread_mutex_lock(&s->rate_lock);
	s->gql_avail += cost - c.actual;
	if (s->gql_avail > s->gql_max)
		s->gql_avail = s->gql_max;
	max = s->gql_max;
	avail = s->gql_avail;
	rate = s->gql_rate;
	pthread_mutex_unlock(&s->rate_lock);

	out = json_object_new_object();
	if (c.errors) {
		json_object_object_add(out, "errors", c.errors);
		c.errors = NULL;
	}
	json_object_object_add(out, "data", data);
	ext = cost_ext(cost, c.actual, true, max, avail, rate);
	if (c.search) {
		json_object_object_add(ext, "search", c.search);
		c.search = NULL;
	}
	json_object_object_add(out, "extensions", ext);
	bh_sim_resp_json(resp, 200, out);
out:
	json_object_put(c.errors);
	json_object_put(c.search);
	json_object_put(c.vars);
	json_object_put(vars);
	json_object_put(body);
	bh_gql_arena_free(c.a);
}
