/*
 * sim_shopify_gql_exec.h - private declarations of the GraphQL executor's files:
 * sim_shopify_gql_exec.c (field collection, connections, root fields, dispatch),
 * sim_shopify_gql_order.c (Order, LineItem, OrderTransaction, Refund resolvers) and
 * sim_shopify_gql_parts.c (the smaller types: tax lines, discounts, shipping lines,
 * refund parts, customer, address, gift card, shop, money).
 *
 * Ownership: struct gv values point into the order model (valid under the data lock)
 * or into the request arena. Threading: per request, data lock held shared.
 */
#ifndef BH_SIM_SHOPIFY_GQL_EXEC_H
#define BH_SIM_SHOPIFY_GQL_EXEC_H

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_shopify_gql.h"

enum vk {
	VK_ROOT, VK_ORDER, VK_LINE, VK_VARIANT, VK_PRODUCT, VK_TAX, VK_ALLOC, VK_DAPP, VK_PCT,
	VK_MONEY, VK_MONEYBAG, VK_SHIP, VK_TXN, VK_REFUND, VK_RLINE, VK_RSHIP, VK_ADJ, VK_CUST,
	VK_ADDR, VK_ATTR, VK_GIFT, VK_SHOP, VK_COUNT, VK_CONN, VK_EDGE, VK_PAGEINFO
};

struct conn;

/* A resolved object value. */
struct gv {
	enum vk k;
	const struct bh_gtype *type;    /* concrete type */
	const struct bh_shp_order *o;   /* owning order, when any */
	const void *p;                  /* the entity */
	int64_t n;                      /* cents, count, index, id (per kind) */
	const char *s1, *s2;            /* currency; attribute key/value */
	struct json_object *j;          /* address */
	struct conn *cn;
	size_t i;
};

struct conn {
	struct gv *items;
	const char **cursors;
	size_t n;
	bool next, prev;
};

/* A response key with the selections merged under it. */
struct group {
	const char *key;
	const struct bh_gql_sel *sels[8];
	size_t n;
};

/* ---------------------------------------------------------------- value helpers */

static inline const struct bh_gtype *gx_type(const char *name)
{
	return bh_shp_gql_type(name);
}

static inline struct json_object *gx_jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static inline struct json_object *gx_gid(const char *type, int64_t id)
{
	char b[96];
	snprintf(b, sizeof(b), "gid://shopify/%s/%" PRId64, type, id);
	return json_object_new_string(b);
}

static inline struct json_object *gx_legacy(int64_t id)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, id);
	return json_object_new_string(b);
}

static inline struct json_object *gx_utc(const struct bh_shp_time *t)
{
	char b[40];
	if (!t->set)
		return NULL;
	bh_shp_time_fmt_utc(t->t, b);
	return json_object_new_string(b);
}

/* "partially_refunded" -> "PARTIALLY_REFUNDED" */
static inline struct json_object *gx_upper(const char *s)
{
	char b[96];
	size_t i;
	if (!s)
		return NULL;
	for (i = 0; s[i] && i + 1 < sizeof(b); i++)
		b[i] = s[i] == ' ' ? '_' : (char)toupper((unsigned char)s[i]);
	b[i] = 0;
	return json_object_new_string(b);
}

static inline struct json_object *gx_money_amount(struct bh_shp_gctx *c, int64_t cents)
{
	char b[32];
	if (c->fixed_dec)
		bh_shp_money_fmt(cents, b);
	else
		bh_shp_money_fmt_min(cents, b);
	return json_object_new_string(b);
}

static inline struct json_object *gx_float_text(const char *text)
{
	char *end;
	double v = strtod(text, &end);
	return json_object_new_double_s(v, text);
}

static inline struct json_object *gx_float_val(double v)
{
	char b[48];
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(b, sizeof(b), "%.1f", v);
	else
		snprintf(b, sizeof(b), "%.15g", v);
	return json_object_new_double_s(v, b);
}

static inline int64_t gx_round_div(int64_t num, int64_t den)
{
	if (den <= 0)
		return 0;
	if (num >= 0)
		return (num * 2 + den) / (2 * den);
	return -((-num * 2 + den) / (2 * den));
}

static inline struct gv gx_mk(enum vk k, const char *type, const struct bh_shp_order *o, const void *p)
{
	struct gv v;
	memset(&v, 0, sizeof(v));
	v.k = k;
	v.type = gx_type(type);
	v.o = o;
	v.p = p;
	return v;
}

static inline struct gv gx_moneybag(const char *cur, int64_t cents)
{
	struct gv v = gx_mk(VK_MONEYBAG, "MoneyBag", NULL, NULL);
	v.n = cents;
	v.s1 = cur;
	return v;
}

static inline struct gv gx_money(const char *cur, int64_t cents)
{
	struct gv v = gx_mk(VK_MONEY, "MoneyV2", NULL, NULL);
	v.n = cents;
	v.s1 = cur;
	return v;
}

static inline const char *gx_dapp_type(const struct bh_shp_discapp *a)
{
	if (a->type && strcmp(a->type, "manual") == 0)
		return "ManualDiscountApplication";
	if (a->type && strcmp(a->type, "automatic") == 0)
		return "AutomaticDiscountApplication";
	if (a->type && strcmp(a->type, "script") == 0)
		return "ScriptDiscountApplication";
	return "DiscountCodeApplication";
}

/* ---------------------------------------------------------------- shared by the files */

/** Execute the merged sub-selections of a group on an object (counted: +1 actual cost). */
struct json_object *bh_shp_gx_child(struct bh_shp_gctx *c, const struct group *g,
				    const struct gv *v, bool counted);
/** A plain list: its static cost once, items not counted. */
struct json_object *bh_shp_gx_plain_list(struct bh_shp_gctx *c, const struct group *g,
					 const struct bh_gfield *f, const struct gv *items, size_t n);
/** A connection value (+2) executed with the group's selections; NULL stays null. */
struct json_object *bh_shp_gx_conn_value(struct bh_shp_gctx *c, const struct group *g,
					 const struct bh_gfield *f, struct conn *cn);
/** Page an in-memory array by first/after/last/before/reverse (ids give the cursors). */
struct conn *bh_shp_gx_array_conn(struct bh_shp_gctx *c, const struct bh_gql_sel *s, struct gv *all,
				  const int64_t *ids, size_t n);
const char *bh_shp_gx_arg_text(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *name);
bool bh_shp_gx_arg_bool(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *name);
/** A field error at the current response path. */
void bh_shp_gx_error(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *msg);
struct json_object *bh_shp_gx_taxlines(struct bh_shp_gctx *c, const struct group *g,
				       const struct bh_gfield *f, const struct bh_shp_order *o,
				       const struct bh_shp_taxline *t, size_t n);
struct json_object *bh_shp_gx_allocs(struct bh_shp_gctx *c, const struct group *g,
				     const struct bh_gfield *f, const struct bh_shp_order *o,
				     const struct bh_shp_alloc *a, size_t n);
struct json_object *bh_shp_gx_attrs(struct bh_shp_gctx *c, const struct group *g,
				    const struct bh_gfield *f, struct json_object *arr);

/* resolvers: the value of field f on obj */
struct json_object *bh_shp_gx_order_field(struct bh_shp_gctx *c, const struct gv *obj,
					  const struct bh_gfield *f, const struct group *g);
struct json_object *bh_shp_gx_line_field(struct bh_shp_gctx *c, const struct gv *obj,
					 const struct bh_gfield *f, const struct group *g);
struct json_object *bh_shp_gx_txn_field(struct bh_shp_gctx *c, const struct gv *obj,
					const struct bh_gfield *f, const struct group *g);
struct json_object *bh_shp_gx_refund_field(struct bh_shp_gctx *c, const struct gv *obj,
					   const struct bh_gfield *f, const struct group *g);
struct json_object *bh_shp_gx_misc_field(struct bh_shp_gctx *c, const struct gv *obj,
					 const struct bh_gfield *f, const struct group *g);
struct json_object *bh_shp_gx_other_field(struct bh_shp_gctx *c, const struct gv *obj,
					  const struct bh_gfield *f, const struct group *g);

#endif
