/*
 * sim_shopify_model.h - helpers shared by the Shopify simulator's order model files
 * (sim_shopify_values.c, _parse.c, _order.c, _render.c, _refund.c, _giftcard.c).
 * The model's public side (used by REST, GraphQL, control) is in sim_shopify.h.
 *
 * Ownership: functions returning json_object or char * return new references / malloc'd
 * strings. Threading: callers hold the service's data lock as sim_shopify.h says.
 */
#ifndef BH_SIM_SHOPIFY_MODEL_H
#define BH_SIM_SHOPIFY_MODEL_H

#include "sim_shopify.h"

/** Parse error sink: message buffer. PERR formats into it and yields BH_EINVAL. */
struct perr {
	char *buf;
	size_t len;
};

#define PERR(e, ...) (snprintf((e)->buf, (e)->len, __VA_ARGS__), BH_EINVAL)

/* ---------------------------------------------------------------- values (sim_shopify_values.c) */

/** strdup of member k's text (NULL when absent or null). */
char *bh_shp_jdup(struct json_object *o, const char *k);
/** Boolean member (true/false or "true"), def when absent. */
bool bh_shp_jbool(struct json_object *o, const char *k, bool def);
/** Money member k, or k_set.shop_money.amount: 1 found, 0 absent, -1 not exact. */
int bh_shp_jmoney(struct json_object *o, const char *k, int64_t *v);
/** Deep copy (NULL stays NULL). */
struct json_object *bh_shp_jcopy(struct json_object *v);
/** The members of `in` not listed in `consumed` (NULL-terminated), deep-copied. */
struct json_object *bh_shp_extras(struct json_object *in, const char *const *consumed);
/** Add the extras to out (deep copies), skipping keys already present. */
void bh_shp_add_extras(struct json_object *out, struct json_object *extra);
/** "43.20" as a JSON string. */
struct json_object *bh_shp_jmoney_str(int64_t c);
/** 43.2 as a JSON number written from its decimal text (refund line subtotals). */
struct json_object *bh_shp_jmoney_num(int64_t c);
/** k: "43.20" and (with_set) k_set: {shop_money, presentment_money}. */
void bh_shp_add_money(struct json_object *o, const char *k, int64_t c, const char *cur,
		      bool with_set);
struct json_object *bh_shp_jstr_or_null(const char *s);
/** k: REST timestamp in its own offset, or null when unset. */
void bh_shp_add_time(struct json_object *o, const char *k, const struct bh_shp_time *t);
/** "gid://shopify/<type>/<id>" as a JSON string. */
struct json_object *bh_shp_gid_json(const char *type, int64_t id);
/** The service's now in the shop's offset. */
void bh_shp_now_time(struct bh_shp_svc *s, struct bh_shp_time *t);

/* ---------------------------------------------------------------- parts (sim_shopify_parse.c) */

int bh_shp_parse_time_member(struct json_object *o, const char *k, struct bh_shp_time *t,
			     struct perr *e);
int bh_shp_parse_taxlines(struct json_object *arr, struct bh_shp_taxline **out, size_t *n,
			  const char *where, struct perr *e);
int bh_shp_parse_allocs(struct json_object *arr, struct bh_shp_alloc **out, size_t *n,
			const char *where, struct perr *e);
int bh_shp_parse_line(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_line *l, size_t i,
		      struct perr *e);
int bh_shp_parse_ship(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_shipline *sl,
		      size_t i, struct perr *e);
int bh_shp_parse_app(struct json_object *j, struct bh_shp_discapp *a, size_t i, struct perr *e);
int bh_shp_parse_txn(struct bh_shp_svc *s, const struct bh_shp_order *o, struct json_object *j,
		     struct bh_shp_txn *t, const char *where, struct perr *e);
/** An embedded refund (fixtures): its transactions are appended to the order. */
int bh_shp_parse_refund(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *j,
			struct bh_shp_refund *r, size_t ri, struct perr *e);
int bh_shp_parse_customer(struct bh_shp_svc *s, struct json_object *j, struct bh_shp_customer *c,
			  struct perr *e);
/** strdup of member k's text, or of def. */
char *bh_shp_dup_or(struct json_object *j, const char *k, const char *def);
int64_t bh_shp_sum_tax(const struct bh_shp_taxline *t, size_t n);
int64_t bh_shp_sum_alloc(const struct bh_shp_alloc *a, size_t n);
/** Append a zeroed transaction to the order; *slot points at it. */
int bh_shp_txn_push(struct bh_shp_order *o, struct bh_shp_txn **slot);
void bh_shp_taxlines_free(struct bh_shp_taxline *t, size_t n);
void bh_shp_line_free(struct bh_shp_line *l);
void bh_shp_ship_free(struct bh_shp_shipline *sl);
void bh_shp_app_free(struct bh_shp_discapp *a);
void bh_shp_txn_free(struct bh_shp_txn *t);
void bh_shp_refund_free(struct bh_shp_refund *r);

/* ---------------------------------------------------------------- order (sim_shopify_order.c) */

/** Tags: a string "a, b" or an array of strings -> "a, b" (malloc'd). */
char *bh_shp_norm_tags(struct json_object *j);
/** financial_status from the transactions (refunded, partially_refunded, paid, ...). */
const char *bh_shp_financial_status(const struct bh_shp_order *o);

#endif
