/*
 * sim_shopify_gql.h - private declarations of the Shopify simulator's GraphQL Admin API
 * subset (schema, validation, cost, search syntax, execution).
 *
 * Files:
 *   sim_graphql.c            generic document parser (sim_graphql.h)
 *   sim_shopify_gql.c        the HTTP entry: request body, operation choice, variables,
 *                            cost limits and the THROTTLED bucket, the answer
 *   sim_shopify_gql_schema.c the types and fields served (static tables)
 *   sim_shopify_gql_valid.c  static validation with graphql-ruby's messages and codes
 *   sim_shopify_gql_cost.c   requested cost (research §2 rules)
 *   sim_shopify_gql_search.c Shopify search syntax (query: "updated_at:>='...'") and
 *                            opaque cursors
 *   sim_shopify_gql_exec.c   execution: field collection, connections, root fields
 *   sim_shopify_gql_order.c  resolvers of Order, LineItem, OrderTransaction, Refund
 *   sim_shopify_gql_parts.c  resolvers of the smaller types (sim_shopify_gql_exec.h)
 *
 * Ownership: everything of one request lives in its bh_gql_arena or in json-c objects
 * owned by the bh_shp_gctx. Threading: one context per request; the schema is
 * immutable; execution runs with the data lock held shared.
 */
#ifndef BH_SIM_SHOPIFY_GQL_H
#define BH_SIM_SHOPIFY_GQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_graphql.h"
#include "sim_shopify.h"

struct json_object;

/* ---------------------------------------------------------------- schema */

enum bh_gkind { BH_GK_SCALAR, BH_GK_ENUM, BH_GK_OBJECT, BH_GK_INTERFACE, BH_GK_UNION };

#define BH_GF_LIST 1u     /* returns a list */
#define BH_GF_NONNULL 2u  /* the (outer) type is non-null */
#define BH_GF_CONN 4u     /* a connection: first or last required, cost 2 + n x node */
#define BH_GF_FREE 8u     /* structural object that costs nothing (edges, pageInfo) */

struct bh_gtype;

struct bh_garg {
	const char *name;
	const struct bh_gtype *type;
	unsigned flags;           /* BH_GF_LIST, BH_GF_NONNULL */
};

struct bh_gfield {
	const char *name;
	const struct bh_gtype *type;
	unsigned flags;
	const struct bh_garg *args;   /* NULL-name terminated, or NULL */
	int id;                       /* resolver id (enum bh_gr) */
};

struct bh_gtype {
	const char *name;
	enum bh_gkind kind;
	const struct bh_gfield *fields;          /* objects/interfaces; NULL-name terminated */
	const struct bh_gtype *const *possible;  /* interfaces/unions: NULL terminated */
	const char *const *values;               /* enums (input validation), NULL terminated */
};

/** Resolver ids: one per field served. */
enum bh_gr {
	R_NONE = 0,
	/* QueryRoot */
	R_Q_ORDERS, R_Q_ORDER, R_Q_ORDERS_COUNT, R_Q_GIFTCARDS, R_Q_GIFTCARD, R_Q_SHOP, R_Q_NODE,
	/* connections, edges, page info */
	R_C_EDGES, R_C_NODES, R_C_PAGEINFO, R_E_CURSOR, R_E_NODE,
	R_PI_NEXT, R_PI_PREV, R_PI_START, R_PI_END,
	/* Order */
	R_O_ID, R_O_LEGACY, R_O_NAME, R_O_EMAIL, R_O_PHONE, R_O_CREATED, R_O_UPDATED,
	R_O_PROCESSED, R_O_CANCELLED_AT, R_O_CLOSED_AT, R_O_CLOSED, R_O_CANCEL_REASON,
	R_O_CONFIRMED, R_O_TEST, R_O_CURRENCY, R_O_PCURRENCY, R_O_FIN_STATUS, R_O_FUL_STATUS,
	R_O_NOTE, R_O_TAGS, R_O_GATEWAYS, R_O_TAXES_INCLUDED, R_O_SOURCE_NAME, R_O_CONFIRMATION,
	R_O_DISCOUNT_CODE, R_O_DISCOUNT_CODES, R_O_SUBTOTAL_QTY,
	R_O_SUBTOTAL_SET, R_O_TOTAL_PRICE_SET, R_O_TOTAL_TAX_SET, R_O_TOTAL_DISCOUNTS_SET,
	R_O_TOTAL_SHIPPING_SET, R_O_TOTAL_REFUNDED_SET, R_O_TOTAL_RECEIVED_SET, R_O_NET_PAYMENT_SET,
	R_O_OUTSTANDING_SET, R_O_CUR_SUBTOTAL_SET, R_O_CUR_TOTAL_SET, R_O_CUR_TAX_SET,
	R_O_CUR_DISCOUNTS_SET, R_O_ORIG_TOTAL_SET, R_O_TIP_SET, R_O_REFUNDED_SHIPPING_SET,
	R_O_CUSTOMER, R_O_BILLING, R_O_SHIPPING_ADDR, R_O_LINES, R_O_SHIPLINES, R_O_SHIPLINE,
	R_O_DAPPS, R_O_TAXLINES, R_O_TXNS, R_O_REFUNDS, R_O_ATTRS, R_O_RETURNS,
	/* LineItem */
	R_L_ID, R_L_NAME, R_L_TITLE, R_L_SKU, R_L_QTY, R_L_CUR_QTY, R_L_REFUNDABLE_QTY,
	R_L_UNFULFILLED_QTY, R_L_VARIANT_TITLE, R_L_VENDOR, R_L_REQ_SHIPPING, R_L_TAXABLE,
	R_L_GIFT_CARD, R_L_ORIG_UNIT, R_L_DISC_UNIT, R_L_DISC_UNIT_ALL, R_L_ORIG_TOTAL,
	R_L_DISC_TOTAL, R_L_TOTAL_DISCOUNT, R_L_ALLOCS, R_L_TAXLINES, R_L_VARIANT, R_L_PRODUCT,
	R_L_ATTRS,
	/* ProductVariant, Product */
	R_V_ID, R_V_LEGACY, R_V_SKU, R_V_TITLE, R_P_ID, R_P_LEGACY, R_P_TITLE,
	/* TaxLine, DiscountAllocation, DiscountApplication, PricingPercentageValue */
	R_T_TITLE, R_T_RATE, R_T_RATE_PCT, R_T_PRICE_SET, R_T_CHANNEL,
	R_A_AMOUNT_SET, R_A_APP,
	R_D_ALLOCATION, R_D_TARGET_SEL, R_D_TARGET_TYPE, R_D_VALUE, R_D_INDEX, R_D_CODE, R_D_TITLE,
	R_D_DESCRIPTION, R_PCT_PERCENTAGE,
	/* ShippingLine */
	R_S_ID, R_S_TITLE, R_S_CODE, R_S_SOURCE, R_S_CARRIER, R_S_ORIG_SET, R_S_DISC_SET,
	R_S_TAXLINES, R_S_ALLOCS, R_S_REMOVED, R_S_CUSTOM,
	/* OrderTransaction */
	R_X_ID, R_X_KIND, R_X_STATUS, R_X_GATEWAY, R_X_FGATEWAY, R_X_AMOUNT_SET, R_X_CREATED,
	R_X_PROCESSED, R_X_PARENT, R_X_TEST, R_X_ERROR_CODE, R_X_AUTH_CODE, R_X_PAYMENT_ID,
	R_X_ORDER,
	/* Refund and its parts */
	R_R_ID, R_R_LEGACY, R_R_CREATED, R_R_UPDATED, R_R_NOTE, R_R_TOTAL_SET, R_R_LINES,
	R_R_SHIPS, R_R_TXNS, R_R_ADJS, R_R_ORDER, R_R_RETURN,
	R_RL_ID, R_RL_LINE, R_RL_QTY, R_RL_RESTOCK_TYPE, R_RL_RESTOCKED, R_RL_PRICE_SET,
	R_RL_SUBTOTAL_SET, R_RL_TAX_SET,
	R_RS_ID, R_RS_LINE, R_RS_SUBTOTAL_SET, R_RS_TAX_SET,
	R_ADJ_ID, R_ADJ_AMOUNT_SET, R_ADJ_TAX_SET, R_ADJ_REASON,
	/* Customer, MailingAddress, Attribute */
	R_CU_ID, R_CU_LEGACY, R_CU_EMAIL, R_CU_FIRST, R_CU_LAST, R_CU_DISPLAY, R_CU_PHONE,
	R_AD_FIELD, R_AD_COUNTRY_CODE, R_AD_LAT, R_AD_LNG,
	R_AT_KEY, R_AT_VALUE,
	/* GiftCard */
	R_G_ID, R_G_LEGACY, R_G_BALANCE, R_G_INITIAL, R_G_LAST, R_G_MASKED, R_G_CREATED,
	R_G_UPDATED, R_G_DEACTIVATED, R_G_ENABLED, R_G_EXPIRES, R_G_NOTE, R_G_ORDER, R_G_CUSTOMER,
	/* Return, Shop, Count, MoneyBag, MoneyV2, Node */
	R_RET_ID, R_RET_NAME, R_RET_STATUS,
	R_SH_ID, R_SH_NAME, R_SH_DOMAIN, R_SH_CURRENCY, R_SH_TZ,
	R_CNT_COUNT, R_CNT_PRECISION,
	R_MB_SHOP, R_MB_PRESENTMENT, R_M_AMOUNT, R_M_CURRENCY,
	R_N_ID,
};

const struct bh_gtype *bh_shp_gql_type(const char *name);
/** The root type of an operation kind (Mutation has no fields here; subscriptions NULL). */
const struct bh_gtype *bh_shp_gql_root(enum bh_gql_opkind k);
const struct bh_gfield *bh_shp_gql_field(const struct bh_gtype *t, const char *name);
const struct bh_garg *bh_shp_gql_argdef(const struct bh_gfield *f, const char *name);
/** True when concrete type c is t, or a member of the interface/union t. */
bool bh_shp_gql_possible(const struct bh_gtype *t, const struct bh_gtype *c);
/** True when types a and b can overlap (fragment spread applicability). */
bool bh_shp_gql_overlap(const struct bh_gtype *a, const struct bh_gtype *b);
bool bh_shp_gql_enum_has(const struct bh_gtype *t, const char *v);
/** The built-in scalars by name ("Int", "String", ...), for variable types. */
bool bh_shp_gql_is_input(const struct bh_gtype *t);

/* ---------------------------------------------------------------- request context */

struct bh_shp_gctx {
	struct bh_shp_svc *s;
	struct bh_gql_arena *a;
	struct bh_gql_doc doc;
	const struct bh_gql_op *op;
	struct json_object *vars;       /* coerced variable values by name (owned) */
	struct json_object *errors;     /* array, created on the first error (owned) */
	struct json_object *search;     /* extensions.search entries (owned) */
	const char *path[64];           /* validation path */
	size_t depth;
	int actual;                     /* actual cost counted by execution */
	int suspend;                    /* > 0: inside a plain list, counting suspended */
	bool fixed_dec;
	bool failed;                    /* execution hit a non-null field error at the root */
};

/** Append an error {"message","locations":[{line,column}] (when line > 0),"path"
 *  (the validation path when with_path)}; returns it so callers can add extensions. */
struct json_object *bh_shp_gql_error(struct bh_shp_gctx *c, const char *msg, int line, int col,
				     bool with_path);
/** Add "extensions":{"code":code, k1:v1, k2:v2, ...} (string pairs, NULL-terminated). */
void bh_shp_gql_error_ext(struct json_object *err, const char *code, ...);

/** Static validation of the whole document; errors into c->errors. */
void bh_shp_gql_validate(struct bh_shp_gctx *c);
/** Print a literal as GraphQL source (for messages) into an arena string. */
const char *bh_shp_gql_print(struct bh_shp_gctx *c, const struct bh_gql_value *v);
/** Literal vs argument type check (no variables): true when acceptable. */
bool bh_shp_gql_literal_ok(const struct bh_gql_value *v, const struct bh_gtype *t, unsigned flags);

/** An argument's value with variables resolved (NULL when absent or null). */
const struct bh_gql_value *bh_shp_gql_arg(struct bh_shp_gctx *c, const struct bh_gql_sel *sel,
					  const char *name);
/** @include/@skip with variables resolved. */
bool bh_shp_gql_included(struct bh_shp_gctx *c, const struct bh_gql_directive *d, size_t n);
const struct bh_gql_frag *bh_shp_gql_frag(struct bh_shp_gctx *c, const char *name);

/** Requested cost of the chosen operation; -1 with errors added (first/last problems). */
int bh_shp_gql_cost(struct bh_shp_gctx *c);
/** Cost of one selection set on type t (plain lists count it once at execution). */
int bh_shp_gql_sel_cost(struct bh_shp_gctx *c, const struct bh_gtype *t,
			const struct bh_gql_selset *ss);
/** Page size of a connection field: first or last (1..250); -1 with an error added. */
int bh_shp_gql_page_size(struct bh_shp_gctx *c, const struct bh_gql_sel *sel, bool *last);

/** Execute the chosen operation: the "data" object (NULL when null). */
struct json_object *bh_shp_gql_execute(struct bh_shp_gctx *c);

/* ---------------------------------------------------------------- search, cursors */

enum bh_shp_sfield {
	SF_UPDATED, SF_CREATED, SF_PROCESSED, SF_ID, SF_NAME, SF_STATUS, SF_FIN, SF_FUL, SF_EMAIL,
	SF_TAG, SF_TEST, SF_SKU, SF_GATEWAY, SF_TEXT, SF_BALANCE_STATUS, SF_CUSTOMER_ID
};
enum bh_shp_sop { SO_EQ, SO_GT, SO_GE, SO_LT, SO_LE };

struct bh_shp_sterm {
	enum bh_shp_sfield f;
	enum bh_shp_sop op;
	bool neg;
	const char *text;       /* value as written (unquoted) */
	int64_t lo, hi;         /* inclusive range for time/id comparisons */
	bool has_lo, has_hi;
};

struct bh_shp_search {
	struct bh_shp_sterm *terms;
	size_t n;
	size_t *group_end;      /* OR groups: terms [start, group_end[g]) */
	size_t ngroups;
};

/** Parse a search query for "orders" or "gift_cards"; unknown fields become warnings in
 *  c->search (path = the field's response key). Arena allocations. */
void bh_shp_search_parse(struct bh_shp_gctx *c, const char *q, bool gift_cards,
			 const char *path_key, struct bh_shp_search *out);
bool bh_shp_search_order(const struct bh_shp_search *q, const struct bh_shp_order *o);
bool bh_shp_search_giftcard(const struct bh_shp_search *q, const struct bh_shp_giftcard *g);
/** When the query is one AND group, the inclusive range it puts on a time field. */
void bh_shp_search_range(const struct bh_shp_search *q, enum bh_shp_sfield f, bool *has_lo,
			 int64_t *lo, bool *has_hi, int64_t *hi);

/** Opaque cursor: base64 of {"last_id":id,"last_value":v}; v is the sort value as Shopify
 *  shows it (a "YYYY-MM-DD HH:MM:SS.000000" string for times, the id otherwise). */
char *bh_shp_cursor_make(struct bh_shp_gctx *c, int64_t id, int64_t value, bool is_time);
int bh_shp_cursor_parse(const char *cur, bool is_time, int64_t *id, int64_t *value);

#endif
