/*
 * sim_shopify_gql_valid.c - static validation of a GraphQL document against the
 * simulator's schema, with the messages, paths and extension codes graphql-ruby (and so
 * Shopify) uses, e.g.
 *   {"message":"Field 'foo' doesn't exist on type 'Order'","locations":[{"line":3,
 *    "column":5}],"path":["query","order","foo"],"extensions":{"code":"undefinedField",
 *    "typeName":"Order","fieldName":"foo"}}
 * Paths start with the operation ("query", "query Name") or "fragment Name", then
 * response keys, "... on Type" for inline fragments and "... Name" for spreads.
 * Checked: fields exist, leaf/composite selections, arguments (accepted, required,
 * literal types, unique), directives (@include/@skip), fragments (defined, used, unique,
 * type conditions, applicability, cycles), variables (defined, used, unique, input
 * types, defaults, type matches), operation names. Not checked: field merge conflicts.
 *
 * Ownership: strings come from the request arena. Threading: per request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_shopify_gql.h"

/* ---------------------------------------------------------------- helpers */

static void push(struct bh_shp_gctx *c, const char *s)
{
	if (c->depth < sizeof(c->path) / sizeof(c->path[0]))
		c->path[c->depth] = s;
	c->depth++;
}

static void pop(struct bh_shp_gctx *c)
{
	c->depth--;
}

__attribute__((format(printf, 2, 3))) static const char *fmt(struct bh_shp_gctx *c,
								const char *f, ...)
{
	va_list ap;
	int n;
	char *out;
	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0)
		return "";
	out = bh_gql_alloc(c->a, (size_t)n + 1);
	if (!out)
		return "";
	va_start(ap, f);
	vsnprintf(out, (size_t)n + 1, f, ap);
	va_end(ap);
	return out;
}

const struct bh_gql_frag *bh_shp_gql_frag(struct bh_shp_gctx *c, const char *name)
{
	for (size_t i = 0; i < c->doc.nfrags; i++)
		if (strcmp(c->doc.frags[i].name, name) == 0)
			return &c->doc.frags[i];
	return NULL;
}

/* Append printed text to a growing arena buffer. */
struct sbuf {
	struct bh_shp_gctx *c;
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = (b->cap + n + 1) * 2;
		char *np = bh_gql_alloc(b->c->a, nc);
		if (!np)
			return;
		if (b->p)
			memcpy(np, b->p, b->n);
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void print_value(struct sbuf *b, const struct bh_gql_value *v)
{
	switch (v->kind) {
	case BH_GQL_V_NULL:
		sb_str(b, "null");
		break;
	case BH_GQL_V_BOOL:
		sb_str(b, v->b ? "true" : "false");
		break;
	case BH_GQL_V_INT:
	case BH_GQL_V_FLOAT:
	case BH_GQL_V_ENUM:
		sb_str(b, v->text);
		break;
	case BH_GQL_V_VAR:
		sb_str(b, "$");
		sb_str(b, v->text);
		break;
	case BH_GQL_V_STRING: {
		struct json_object *s = json_object_new_string(v->text);
		sb_str(b, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(s);
		break;
	}
	case BH_GQL_V_LIST:
		sb_str(b, "[");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_str(b, ", ");
			print_value(b, v->items[i]);
		}
		sb_str(b, "]");
		break;
	case BH_GQL_V_OBJECT:
		sb_str(b, "{");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_str(b, ", ");
			sb_str(b, v->keys[i]);
			sb_str(b, ": ");
			print_value(b, v->items[i]);
		}
		sb_str(b, "}");
		break;
	}
}

const char *bh_shp_gql_print(struct bh_shp_gctx *c, const struct bh_gql_value *v)
{
	struct sbuf b = {c, NULL, 0, 0};
	print_value(&b, v);
	return b.p ? b.p : "";
}

/* "[TaxLine!]!", "Customer", "String!" */
static const char *type_str(struct bh_shp_gctx *c, const struct bh_gtype *t, unsigned flags)
{
	if (flags & BH_GF_LIST)
		return fmt(c, (flags & BH_GF_NONNULL) ? "[%s!]!" : "[%s!]", t->name);
	return fmt(c, (flags & BH_GF_NONNULL) ? "%s!" : "%s", t->name);
}

static bool scalar_ok(const struct bh_gql_value *v, const struct bh_gtype *t)
{
	const char *n = t->name;
	if (t->kind == BH_GK_ENUM)
		return v->kind == BH_GQL_V_ENUM && bh_shp_gql_enum_has(t, v->text);
	if (strcmp(n, "Int") == 0) {
		long long x;
		char *end;
		if (v->kind != BH_GQL_V_INT)
			return false;
		x = strtoll(v->text, &end, 10);
		return x >= -2147483648LL && x <= 2147483647LL;
	}
	if (strcmp(n, "Float") == 0)
		return v->kind == BH_GQL_V_INT || v->kind == BH_GQL_V_FLOAT;
	if (strcmp(n, "Boolean") == 0)
		return v->kind == BH_GQL_V_BOOL;
	if (strcmp(n, "ID") == 0 || strcmp(n, "UnsignedInt64") == 0)
		return v->kind == BH_GQL_V_STRING || v->kind == BH_GQL_V_INT;
	return v->kind == BH_GQL_V_STRING;
}

bool bh_shp_gql_literal_ok(const struct bh_gql_value *v, const struct bh_gtype *t, unsigned flags)
{
	if (v->kind == BH_GQL_V_VAR)
		return true;
	if (v->kind == BH_GQL_V_NULL)
		return !(flags & BH_GF_NONNULL);
	if (flags & BH_GF_LIST) {
		if (v->kind != BH_GQL_V_LIST)
			return scalar_ok(v, t);
		for (size_t i = 0; i < v->n; i++)
			if (v->items[i]->kind == BH_GQL_V_NULL || !scalar_ok(v->items[i], t))
				return false;
		return true;
	}
	return scalar_ok(v, t);
}

/* ---------------------------------------------------------------- directives, args */

static void check_directives(struct bh_shp_gctx *c, const struct bh_gql_directive *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct json_object *e;
		if (strcmp(d[i].name, "include") != 0 && strcmp(d[i].name, "skip") != 0) {
			e = bh_shp_gql_error(c, fmt(c, "Directive @%s is not defined", d[i].name),
					     d[i].line, d[i].col, true);
			bh_shp_gql_error_ext(e, "undefinedDirective", "directiveName", d[i].name, NULL);
			continue;
		}
		if (d[i].nargs != 1 || strcmp(d[i].args[0].name, "if") != 0) {
			e = bh_shp_gql_error(
				c, fmt(c, "Directive '%s' is missing required arguments: if", d[i].name),
				d[i].line, d[i].col, true);
			bh_shp_gql_error_ext(e, "missingRequiredArguments", "className", "Directive",
					     "name", d[i].name, "arguments", "if", NULL);
			continue;
		}
		if (d[i].args[0].value->kind != BH_GQL_V_VAR &&
		    d[i].args[0].value->kind != BH_GQL_V_BOOL) {
			char m[160];
			snprintf(m, sizeof(m),
				 "Argument 'if' on Directive '%s' has an invalid value (%s). Expected "
				 "type 'Boolean!'.",
				 d[i].name, bh_shp_gql_print(c, d[i].args[0].value));
			e = bh_shp_gql_error(c, fmt(c, "%s", m), d[i].line, d[i].col, true);
			bh_shp_gql_error_ext(e, "argumentLiteralsIncompatible", "typeName", "Directive",
					     "argumentName", "if", NULL);
		}
	}
}

static void check_args(struct bh_shp_gctx *c, const struct bh_gfield *f, const struct bh_gql_sel *s)
{
	struct json_object *e;
	char m[512];
	for (size_t i = 0; i < s->nargs; i++) {
		const struct bh_gql_arg *a = &s->args[i];
		const struct bh_garg *d = bh_shp_gql_argdef(f, a->name);
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->args[k].name, a->name) == 0) {
				e = bh_shp_gql_error(c,
						     fmt(c, "There can be only one argument named \"%s\"",
							 a->name),
						     a->line, a->col, true);
				bh_shp_gql_error_ext(e, "argumentNotUnique", "name", a->name, NULL);
			}
		if (!d) {
			snprintf(m, sizeof(m), "Field '%s' doesn't accept argument '%s'", f->name,
				 a->name);
			e = bh_shp_gql_error(c, fmt(c, "%s", m), a->line, a->col, true);
			bh_shp_gql_error_ext(e, "argumentNotAccepted", "name", f->name, "typeName",
					     "Field", "argumentName", a->name, NULL);
			continue;
		}
		if (!bh_shp_gql_literal_ok(a->value, d->type, d->flags)) {
			snprintf(m, sizeof(m),
				 "Argument '%s' on Field '%s' has an invalid value (%s). Expected type "
				 "'%s'.",
				 a->name, f->name, bh_shp_gql_print(c, a->value),
				 type_str(c, d->type, d->flags));
			e = bh_shp_gql_error(c, fmt(c, "%s", m), a->line, a->col, true);
			bh_shp_gql_error_ext(e, "argumentLiteralsIncompatible", "typeName", "Field",
					     "argumentName", a->name, NULL);
		}
	}
	if (f->args)
		for (const struct bh_garg *d = f->args; d->name; d++) {
			bool given = false;
			if (!(d->flags & BH_GF_NONNULL))
				continue;
			for (size_t i = 0; i < s->nargs; i++)
				given |= strcmp(s->args[i].name, d->name) == 0;
			if (given)
				continue;
			snprintf(m, sizeof(m), "Field '%s' is missing required arguments: %s", f->name,
				 d->name);
			e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
			bh_shp_gql_error_ext(e, "missingRequiredArguments", "className", "Field", "name",
					     f->name, "arguments", d->name, NULL);
		}
}

/* ---------------------------------------------------------------- selections */

static bool composite(const struct bh_gtype *t)
{
	return t->kind == BH_GK_OBJECT || t->kind == BH_GK_INTERFACE || t->kind == BH_GK_UNION;
}

static void sub_names(struct bh_shp_gctx *c, const struct bh_gql_selset *ss, struct sbuf *b)
{
	for (size_t i = 0; i < ss->n; i++) {
		if (i)
			sb_str(b, ", ");
		sb_str(b, ss->items[i].kind == BH_GQL_FIELD ? ss->items[i].name : "...");
	}
	(void)c;
}

static void check_selset(struct bh_shp_gctx *c, const struct bh_gtype *t,
			 const struct bh_gql_selset *ss);

static void check_field(struct bh_shp_gctx *c, const struct bh_gtype *t, const struct bh_gql_sel *s)
{
	const struct bh_gfield *f;
	struct json_object *e;
	char m[512];

	push(c, s->alias ? s->alias : s->name);
	check_directives(c, s->dirs, s->ndirs);
	if (strcmp(s->name, "__typename") == 0) {
		if (s->sel) {
			e = bh_shp_gql_error(c,
					     fmt(c, "Selections can't be made on scalars (field '%s' "
						    "returns String but has selections [...])",
						 s->name),
					     s->line, s->col, true);
			bh_shp_gql_error_ext(e, "selectionMismatch", "nodeName",
					     fmt(c, "field '%s'", s->name), "typeName", "String",
					     NULL);
		}
		pop(c);
		return;
	}
	f = bh_shp_gql_field(t, s->name);
	if (!f) {
		snprintf(m, sizeof(m), "Field '%s' doesn't exist on type '%s'", s->name, t->name);
		e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
		bh_shp_gql_error_ext(e, "undefinedField", "typeName", t->name, "fieldName", s->name,
				     NULL);
		pop(c);
		return;
	}
	check_args(c, f, s);
	if (!composite(f->type) && s->sel) {
		struct sbuf b = {c, NULL, 0, 0};
		sub_names(c, s->sel, &b);
		snprintf(m, sizeof(m),
			 "Selections can't be made on scalars (field '%s' returns %s but has "
			 "selections [%s])",
			 s->name, type_str(c, f->type, f->flags), b.p ? b.p : "");
		e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
		bh_shp_gql_error_ext(e, "selectionMismatch", "nodeName",
				     fmt(c, "field '%s'", s->name), "typeName", f->type->name,
				     NULL);
	} else if (composite(f->type) && !s->sel) {
		snprintf(m, sizeof(m),
			 "Field must have selections (field '%s' returns %s but has no selections. "
			 "Did you mean '%s { ... }'?)",
			 s->name, type_str(c, f->type, f->flags), s->name);
		e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
		bh_shp_gql_error_ext(e, "selectionMismatch", "nodeName",
				     fmt(c, "field '%s'", s->name), "typeName", f->type->name,
				     NULL);
	} else if (s->sel) {
		check_selset(c, f->type, s->sel);
	}
	pop(c);
}

static const struct bh_gtype *frag_type(struct bh_shp_gctx *c, const char *cond, int line, int col)
{
	const struct bh_gtype *t = bh_shp_gql_type(cond);
	struct json_object *e;
	if (!t) {
		e = bh_shp_gql_error(c, fmt(c, "No such type %s, so it can't be a fragment condition",
					    cond),
				     line, col, true);
		bh_shp_gql_error_ext(e, "undefinedType", "typeName", cond, NULL);
		return NULL;
	}
	if (!composite(t)) {
		e = bh_shp_gql_error(c, fmt(c, "Invalid fragment on type %s (must be a composite type)",
					    cond),
				     line, col, true);
		bh_shp_gql_error_ext(e, "fragmentOnNonCompositeType", "typeName", cond, NULL);
		return NULL;
	}
	return t;
}

static void check_selset(struct bh_shp_gctx *c, const struct bh_gtype *t,
			 const struct bh_gql_selset *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		const struct bh_gql_sel *s = &ss->items[i];
		struct json_object *e;
		char m[320];
		if (s->kind == BH_GQL_FIELD) {
			check_field(c, t, s);
		} else if (s->kind == BH_GQL_INLINE) {
			const struct bh_gtype *ct = t;
			push(c, s->type_cond ? fmt(c, "... on %s", s->type_cond) : "...");
			check_directives(c, s->dirs, s->ndirs);
			if (s->type_cond)
				ct = frag_type(c, s->type_cond, s->line, s->col);
			if (ct && !bh_shp_gql_overlap(t, ct)) {
				snprintf(m, sizeof(m), "Fragment on %s can't be spread inside %s",
					 ct->name, t->name);
				e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
				bh_shp_gql_error_ext(e, "cannotSpreadFragment", "typeName", ct->name,
						     "fragmentName", "unknown", "parentName", t->name,
						     NULL);
			} else if (ct) {
				check_selset(c, ct, s->sel);
			}
			pop(c);
		} else {
			const struct bh_gql_frag *f = bh_shp_gql_frag(c, s->name);
			const struct bh_gtype *ft;
			push(c, fmt(c, "... %s", s->name));
			check_directives(c, s->dirs, s->ndirs);
			if (!f) {
				e = bh_shp_gql_error(c,
						     fmt(c, "Fragment %s was used, but not defined",
							 s->name),
						     s->line, s->col, true);
				bh_shp_gql_error_ext(e, "useAndDefineFragment", "fragmentName", s->name,
						     NULL);
			} else if ((ft = bh_shp_gql_type(f->type_cond)) && composite(ft) &&
				   !bh_shp_gql_overlap(t, ft)) {
				snprintf(m, sizeof(m), "Fragment %s on %s can't be spread inside %s",
					 s->name, ft->name, t->name);
				e = bh_shp_gql_error(c, fmt(c, "%s", m), s->line, s->col, true);
				bh_shp_gql_error_ext(e, "cannotSpreadFragment", "typeName", ft->name,
						     "fragmentName", s->name, "parentName", t->name,
						     NULL);
			}
			pop(c);
		}
	}
}

/* ---------------------------------------------------------------- fragments */

/* Visit the spreads reachable from ss; marks used[] and detects cycles through stack. */
static bool frag_cycle(struct bh_shp_gctx *c, const struct bh_gql_selset *ss, bool *used,
		       bool *stack, int depth)
{
	if (!ss || depth > 64)
		return depth > 64;
	for (size_t i = 0; i < ss->n; i++) {
		const struct bh_gql_sel *s = &ss->items[i];
		if (s->kind == BH_GQL_SPREAD) {
			const struct bh_gql_frag *f = bh_shp_gql_frag(c, s->name);
			size_t k;
			if (!f)
				continue;
			k = (size_t)(f - c->doc.frags);
			used[k] = true;
			if (stack[k])
				return true;
			stack[k] = true;
			if (frag_cycle(c, f->sel, used, stack, depth + 1)) {
				stack[k] = false;
				return true;
			}
			stack[k] = false;
		} else if (s->sel && frag_cycle(c, s->sel, used, stack, depth + 1)) {
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- variables */

struct vuse {
	const struct bh_gql_value *v;
	const struct bh_garg *arg;   /* NULL for directive 'if' */
};

static void collect_vars(struct bh_shp_gctx *c, const struct bh_gtype *t,
			 const struct bh_gql_selset *ss, struct vuse *u, size_t *n, size_t cap,
			 int depth)
{
	if (!ss || depth > 64)
		return;
	for (size_t i = 0; i < ss->n; i++) {
		const struct bh_gql_sel *s = &ss->items[i];
		const struct bh_gfield *f = NULL;
		const struct bh_gtype *sub = t;
		for (size_t d = 0; d < s->ndirs; d++)
			for (size_t a = 0; a < s->dirs[d].nargs; a++)
				if (s->dirs[d].args[a].value->kind == BH_GQL_V_VAR && *n < cap)
					u[(*n)++] = (struct vuse){s->dirs[d].args[a].value, NULL};
		if (s->kind == BH_GQL_FIELD) {
			f = t ? bh_shp_gql_field(t, s->name) : NULL;
			for (size_t a = 0; a < s->nargs; a++) {
				const struct bh_gql_value *v = s->args[a].value;
				if (v->kind == BH_GQL_V_VAR && *n < cap)
					u[(*n)++] = (struct vuse){
						v, f ? bh_shp_gql_argdef(f, s->args[a].name) : NULL};
			}
			sub = f ? f->type : NULL;
			collect_vars(c, sub, s->sel, u, n, cap, depth + 1);
		} else if (s->kind == BH_GQL_INLINE) {
			if (s->type_cond)
				sub = bh_shp_gql_type(s->type_cond);
			collect_vars(c, sub, s->sel, u, n, cap, depth + 1);
		} else {
			const struct bh_gql_frag *fr = bh_shp_gql_frag(c, s->name);
			if (fr)
				collect_vars(c, bh_shp_gql_type(fr->type_cond), fr->sel, u, n, cap,
					     depth + 1);
		}
	}
}

static const char *op_label(struct bh_shp_gctx *c, const struct bh_gql_op *op)
{
	const char *k = op->kind == BH_GQL_QUERY ? "query" : op->kind == BH_GQL_MUTATION
								    ? "mutation"
								    : "subscription";
	if (op->name)
		return fmt(c, "%s %s", k, op->name);
	return k;
}

static void check_op_vars(struct bh_shp_gctx *c, const struct bh_gql_op *op,
			  const struct bh_gtype *root)
{
	struct vuse u[256];
	size_t n = 0;
	const char *who = op->name ? op->name : "anonymous query";
	struct json_object *e;
	char m[512];

	if (op->kind == BH_GQL_MUTATION && !op->name)
		who = "anonymous mutation";
	for (size_t i = 0; i < op->nvars; i++) {
		const struct bh_gql_vardef *v = &op->vars[i];
		const struct bh_gtype *t = bh_shp_gql_type(v->base);
		for (size_t k = 0; k < i; k++)
			if (strcmp(op->vars[k].name, v->name) == 0) {
				e = bh_shp_gql_error(c,
						     fmt(c, "There can only be one variable named \"%s\"",
							 v->name),
						     v->line, v->col, true);
				bh_shp_gql_error_ext(e, "variableNotUnique", "variableName", v->name,
						     NULL);
			}
		if (!bh_shp_gql_is_input(t)) {
			snprintf(m, sizeof(m), "%s isn't a defined input type (on $%s)", v->base,
				 v->name);
			e = bh_shp_gql_error(c, fmt(c, "%s", m), v->line, v->col, true);
			bh_shp_gql_error_ext(e, "variableRequiresValidType", "typeName", v->base,
					     "variableName", v->name, NULL);
			continue;
		}
		if (v->def && !bh_shp_gql_literal_ok(v->def, t,
						      (v->list ? BH_GF_LIST : 0) |
							      (v->nonnull ? BH_GF_NONNULL : 0))) {
			snprintf(m, sizeof(m), "Default value for $%s doesn't match type %s", v->name,
				 v->type);
			e = bh_shp_gql_error(c, fmt(c, "%s", m), v->line, v->col, true);
			bh_shp_gql_error_ext(e, "defaultValueInvalidType", "variableName", v->name,
					     "typeName", v->type, NULL);
		}
	}
	collect_vars(c, root, op->sel, u, &n, sizeof(u) / sizeof(u[0]), 0);
	for (size_t i = 0; i < n; i++) {
		const struct bh_gql_vardef *d = NULL;
		for (size_t k = 0; k < op->nvars; k++)
			if (strcmp(op->vars[k].name, u[i].v->text) == 0)
				d = &op->vars[k];
		if (!d) {
			bool dup = false;
			for (size_t k = 0; k < i; k++)
				dup |= strcmp(u[k].v->text, u[i].v->text) == 0;
			if (dup)
				continue;
			snprintf(m, sizeof(m), "Variable $%s is used by %s but not declared",
				 u[i].v->text, who);
			e = bh_shp_gql_error(c, fmt(c, "%s", m), u[i].v->line, u[i].v->col, true);
			bh_shp_gql_error_ext(e, "variableNotDefined", "variableName", u[i].v->text,
					     NULL);
			continue;
		}
		if (u[i].arg) {
			const struct bh_garg *a = u[i].arg;
			bool list = (a->flags & BH_GF_LIST) != 0;
			bool need_nn = (a->flags & BH_GF_NONNULL) != 0;
			bool base_ok = strcmp(d->base, a->type->name) == 0 ||
				       (strcmp(a->type->name, "ID") == 0 &&
					(strcmp(d->base, "String") == 0 || strcmp(d->base, "Int") == 0));
			if (!base_ok || d->list != list || (need_nn && !d->nonnull && !d->def)) {
				const char *at = type_str(c, a->type, a->flags);
				snprintf(m, sizeof(m),
					 "Type mismatch on variable $%s and argument %s (%s / %s)",
					 d->name, a->name, d->type, at);
				e = bh_shp_gql_error(c, fmt(c, "%s", m), u[i].v->line,
						     u[i].v->col, true);
				bh_shp_gql_error_ext(e, "variableMismatch", "variableName", d->name,
						     "typeName", d->type, "argumentName", a->name,
						     "errorMessage", "Type mismatch", NULL);
			}
		}
	}
	for (size_t k = 0; k < op->nvars; k++) {
		bool used = false;
		for (size_t i = 0; i < n && !used; i++)
			used = strcmp(u[i].v->text, op->vars[k].name) == 0;
		if (used)
			continue;
		snprintf(m, sizeof(m), "Variable $%s is declared by %s but not used", op->vars[k].name,
			 who);
		e = bh_shp_gql_error(c, fmt(c, "%s", m), op->vars[k].line, op->vars[k].col, true);
		bh_shp_gql_error_ext(e, "variableNotUsed", "variableName", op->vars[k].name, NULL);
	}
}

/* ---------------------------------------------------------------- document */

void bh_shp_gql_validate(struct bh_shp_gctx *c)
{
	struct bh_gql_doc *d = &c->doc;
	bool *used = bh_gql_alloc(c->a, (d->nfrags + 1) * sizeof(bool));
	bool *stack = bh_gql_alloc(c->a, (d->nfrags + 1) * sizeof(bool));
	struct json_object *e;

	if (!used || !stack)
		return;
	for (size_t i = 0; i < d->nops; i++) {
		const struct bh_gql_op *op = &d->ops[i];
		const struct bh_gtype *root = bh_shp_gql_root(op->kind);
		c->depth = 0;
		push(c, op_label(c, op));
		if (!op->name && d->nops > 1) {
			e = bh_shp_gql_error(c, "This anonymous operation must be the only defined "
						"operation.",
					     op->line, op->col, true);
			bh_shp_gql_error_ext(e, "loneAnonymousOperation", NULL);
		}
		for (size_t k = 0; op->name && k < i; k++)
			if (d->ops[k].name && strcmp(d->ops[k].name, op->name) == 0) {
				e = bh_shp_gql_error(c,
						     fmt(c, "Operation name \"%s\" must be unique",
							 op->name),
						     op->line, op->col, true);
				bh_shp_gql_error_ext(e, "operationNotUnique", "operationName", op->name,
						     NULL);
			}
		check_directives(c, op->dirs, op->ndirs);
		if (!root) {
			e = bh_shp_gql_error(c, "Schema is not configured for subscriptions", op->line,
					     op->col, true);
			bh_shp_gql_error_ext(e, "missingSubscriptionConfiguration", NULL);
		} else {
			check_selset(c, root, op->sel);
			check_op_vars(c, op, root);
		}
		frag_cycle(c, op->sel, used, stack, 0);
		pop(c);
	}
	for (size_t i = 0; i < d->nfrags; i++) {
		const struct bh_gql_frag *f = &d->frags[i];
		const struct bh_gtype *t;
		c->depth = 0;
		push(c, fmt(c, "fragment %s", f->name));
		for (size_t k = 0; k < i; k++)
			if (strcmp(d->frags[k].name, f->name) == 0) {
				e = bh_shp_gql_error(c,
						     fmt(c, "Fragment name \"%s\" must be unique",
							 f->name),
						     f->line, f->col, true);
				bh_shp_gql_error_ext(e, "fragmentNamesAreUnique", "fragmentName",
						     f->name, NULL);
			}
		t = frag_type(c, f->type_cond, f->line, f->col);
		if (t)
			check_selset(c, t, f->sel);
		memset(stack, 0, (d->nfrags + 1) * sizeof(bool));
		stack[i] = true;
		if (frag_cycle(c, f->sel, used, stack, 0)) {
			e = bh_shp_gql_error(c, fmt(c, "Fragment %s contains an infinite loop", f->name),
					     f->line, f->col, true);
			bh_shp_gql_error_ext(e, "infiniteLoop", "fragmentName", f->name, NULL);
		}
		stack[i] = false;
		pop(c);
	}
	for (size_t i = 0; i < d->nfrags; i++) {
		if (used[i])
			continue;
		c->depth = 0;
		push(c, fmt(c, "fragment %s", d->frags[i].name));
		e = bh_shp_gql_error(c, fmt(c, "Fragment %s was defined, but not used",
					    d->frags[i].name),
				     d->frags[i].line, d->frags[i].col, true);
		bh_shp_gql_error_ext(e, "useAndDefineFragment", "fragmentName", d->frags[i].name,
				     NULL);
		pop(c);
	}
	c->depth = 0;
}
