/*
 * sim_shopify_gql_cost.c - the requested cost of a GraphQL query, by the rules Shopify
 * documents (research §2): scalars and enums cost 0, an object 1, a connection
 * 2 + n x (cost of one node's selection) where n is `first` or `last`; interfaces and
 * unions cost the most expensive possible selection. Simulator choices where Shopify
 * publishes no rule: the structural `edges` and `pageInfo` objects cost nothing (the 2
 * covers them), a plain list of objects (Order.transactions, LineItem.taxLines...)
 * costs like one object plus its selection. Mutations would add 10 (none are served).
 * Execution counts the actual cost the same way with real sizes
 * (sim_shopify_gql_exec.c), so actual <= requested.
 *
 * Connections must say first or last: "you must provide one of first or last"
 * (Shopify's message); at most 250 (research §3).
 *
 * Ownership: none kept. Threading: per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_shopify_gql.h"

#define COST_CAP 100000000LL

int bh_shp_gql_page_size(struct bh_shp_gctx *c, const struct bh_gql_sel *sel, bool *last)
{
	const struct bh_gql_value *f = bh_shp_gql_arg(c, sel, "first");
	const struct bh_gql_value *l = bh_shp_gql_arg(c, sel, "last");
	const struct bh_gql_value *v = f ? f : l;
	struct json_object *e;
	char m[240];
	long long n;
	*last = !f && l;
	if (f && l) {
		snprintf(m, sizeof(m),
			 "Passing both `first` and `last` to paginate the `%s` connection is not "
			 "supported.",
			 sel->name);
		bh_shp_gql_error(c, m, sel->line, sel->col, true);
		return -1;
	}
	if (!v) {
		bh_shp_gql_error(c, "you must provide one of first or last", sel->line, sel->col, true);
		return -1;
	}
	n = v->kind == BH_GQL_V_INT ? strtoll(v->text, NULL, 10) : -1;
	if (n < 0 || n > 250) {
		snprintf(m, sizeof(m),
			 "Argument '%s' on Field '%s' has an invalid value (%lld). The page size must "
			 "be between 0 and 250.",
			 f ? "first" : "last", sel->name, n);
		e = bh_shp_gql_error(c, m, sel->line, sel->col, true);
		bh_shp_gql_error_ext(e, "argumentLiteralsIncompatible", "typeName", "Field",
				     "argumentName", f ? "first" : "last", NULL);
		return -1;
	}
	return (int)n;
}

static long long cost_sel(struct bh_shp_gctx *c, const struct bh_gtype *t,
			  const struct bh_gql_selset *ss, int depth, bool *bad);

static long long cost_concrete(struct bh_shp_gctx *c, const struct bh_gtype *p,
			       const struct bh_gtype *t, const struct bh_gql_selset *ss, int depth,
			       bool *bad)
{
	long long sum = 0;
	if (!ss || depth > 64)
		return 0;
	for (size_t i = 0; i < ss->n; i++) {
		const struct bh_gql_sel *s = &ss->items[i];
		if (!bh_shp_gql_included(c, s->dirs, s->ndirs))
			continue;
		if (s->kind == BH_GQL_FIELD) {
			const struct bh_gfield *f;
			long long one = 0;
			if (strcmp(s->name, "__typename") == 0)
				continue;
			f = bh_shp_gql_field(t, s->name);
			if (!f)
				f = bh_shp_gql_field(p, s->name);
			if (!f || f->type->kind == BH_GK_SCALAR || f->type->kind == BH_GK_ENUM)
				continue;
			if (c->depth < sizeof(c->path) / sizeof(c->path[0]))
				c->path[c->depth] = s->alias ? s->alias : s->name;
			c->depth++;
			if (f->flags & BH_GF_CONN) {
				bool last;
				int n = bh_shp_gql_page_size(c, s, &last);
				if (n < 0)
					*bad = true;
				else
					one = 2 + (long long)n * cost_sel(c, f->type, s->sel, depth + 1, bad);
			} else if (f->flags & BH_GF_FREE) {
				one = cost_sel(c, f->type, s->sel, depth + 1, bad);
			} else {
				one = 1 + cost_sel(c, f->type, s->sel, depth + 1, bad);
			}
			c->depth--;
			sum += one;
		} else {
			const struct bh_gtype *ct = t;
			const struct bh_gql_selset *sub = s->sel;
			if (s->kind == BH_GQL_INLINE) {
				if (s->type_cond)
					ct = bh_shp_gql_type(s->type_cond);
			} else {
				const struct bh_gql_frag *fr = bh_shp_gql_frag(c, s->name);
				ct = fr ? bh_shp_gql_type(fr->type_cond) : NULL;
				sub = fr ? fr->sel : NULL;
			}
			if (ct && bh_shp_gql_possible(ct, p))
				sum += cost_concrete(c, p, ct, sub, depth + 1, bad);
		}
		if (sum > COST_CAP)
			sum = COST_CAP;
	}
	return sum;
}

static long long cost_sel(struct bh_shp_gctx *c, const struct bh_gtype *t,
			  const struct bh_gql_selset *ss, int depth, bool *bad)
{
	long long best = 0;
	if (!t->possible)
		return cost_concrete(c, t, t, ss, depth, bad);
	for (size_t i = 0; t->possible[i]; i++) {
		long long v = cost_concrete(c, t->possible[i], t, ss, depth, bad);
		if (v > best)
			best = v;
	}
	return best;
}

int bh_shp_gql_sel_cost(struct bh_shp_gctx *c, const struct bh_gtype *t,
			const struct bh_gql_selset *ss)
{
	bool bad = false;
	size_t depth = c->depth;
	long long v = cost_sel(c, t, ss, 0, &bad);
	c->depth = depth;
	return v > COST_CAP ? (int)COST_CAP : (int)v;
}

int bh_shp_gql_cost(struct bh_shp_gctx *c)
{
	bool bad = false;
	long long v;
	const struct bh_gtype *root = bh_shp_gql_root(c->op->kind);
	c->depth = 0;
	v = cost_sel(c, root, c->op->sel, 0, &bad) + (c->op->kind == BH_GQL_MUTATION ? 10 : 0);
	c->depth = 0;
	if (bad)
		return -1;
	return v > COST_CAP ? (int)COST_CAP : (int)v;
}
