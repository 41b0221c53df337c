/*
 * sim_shopify.h - private declarations shared by the Shopify simulator's files.
 *
 * Files:
 *   sim_shopify.c        the bh_sim_service: options, routing, auth, OAuth token
 *                        endpoint, REST bucket, faults; documents HTTP and control APIs
 *   sim_shopify_ctl.c    the control API
 *   sim_shopify_values.c money/time/JSON value helpers     (helpers: sim_shopify_model.h)
 *   sim_shopify_parse.c  parsing an order's parts from REST JSON
 *   sim_shopify_order.c  orders from REST JSON, computed totals, lookups, cached REST text
 *   sim_shopify_render.c the REST shape of orders, lines, refunds, transactions
 *   sim_shopify_refund.c refunds and order updates
 *   sim_shopify_giftcard.c gift cards
 *   sim_shopify_store.c  the order indexes (id, created, updated, processed) and paging
 *   sim_shopify_rest.c   REST Admin API endpoints (orders, transactions, refunds, gift cards)
 *   sim_shopify_hook.c   webhook subscriptions, payload/header construction, delivery
 *   sim_shopify_gql*.c   the GraphQL Admin API subset (see sim_shopify_gql.h)
 *   sim_graphql.c/.h     a generic GraphQL document parser (no Shopify knowledge)
 *
 * Ownership and threading: one struct bh_shp_svc per service instance. `lock` (a
 * rwlock) guards the data (orders, gift cards, id counters); readers (REST GET, GraphQL)
 * take it shared, changes take it exclusive. `hook_lock` guards webhook subscriptions,
 * the delivery log, the webhook secret and the duplicate settings. `rate_lock` guards
 * the rate-limit buckets, credentials, issued tokens and the clock. Lock order: data ->
 * hook -> rate (a lock is only taken after the ones before it). Never call another
 * service or bh_sim_webhook_send while holding any of them.
 *
 * Money is int64 minor units (cents); every amount is exact. Ids are int64.
 */
#ifndef BH_SIM_SHOPIFY_H
#define BH_SIM_SHOPIFY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct json_object;

/* ---------------------------------------------------------------- time, money */

/** A timestamp: seconds since the epoch (UTC) plus the UTC offset it is shown in. */
struct bh_shp_time {
	int64_t t;
	int off_min;  /* offset in minutes for REST rendering */
	bool set;
};

/** Parse an exact decimal amount ("43.20", "-5", "0.5") into cents. More than two
 *  fractional digits are allowed only when the extra ones are zeros. 0 or BH_EINVAL. */
int bh_shp_money_parse(const char *s, int64_t *out);
/** Amount from a JSON string or number (using its literal text). 0 or BH_EINVAL. */
int bh_shp_money_json(struct json_object *j, int64_t *out);
/** "43.20" (REST). buf >= 32 bytes. */
void bh_shp_money_fmt(int64_t cents, char *buf);
/** "43.2", "40.0" (GraphQL Decimal, Ruby Float#to_s style). buf >= 32 bytes. */
void bh_shp_money_fmt_min(int64_t cents, char *buf);
/** RFC 3339 ("2008-01-10T11:00:00-05:00", "...Z", fractions ignored) or a bare date
 *  ("2026-11-01", midnight UTC). 0 or BH_EINVAL. */
int bh_shp_time_parse(const char *s, struct bh_shp_time *out);
/** REST form, in the timestamp's own offset: "2008-01-10T11:00:00-05:00". buf >= 40. */
void bh_shp_time_fmt_rest(const struct bh_shp_time *t, char *buf);
/** GraphQL DateTime form, UTC: "2008-01-10T16:00:00Z". buf >= 40. */
void bh_shp_time_fmt_utc(int64_t t, char *buf);

/* ---------------------------------------------------------------- model */

struct bh_shp_taxline {
	char *title;
	char *rate;           /* decimal literal as given ("0.06"); rendered as a JSON number */
	int64_t price;
	struct json_object *extra;
};

struct bh_shp_alloc {
	int64_t amount;
	int index;            /* discount_application_index */
};

struct bh_shp_line {
	int64_t id, variant_id, product_id;
	bool has_variant, has_product;
	char *sku, *title, *name, *variant_title, *vendor, *fulfillment_status, *fulfillment_service;
	int quantity, current_quantity, fulfillable_quantity, refunded_quantity;
	int64_t price, total_discount;
	bool taxable, gift_card, requires_shipping;
	struct bh_shp_taxline *tax;
	size_t ntax;
	struct bh_shp_alloc *alloc;
	size_t nalloc;
	struct json_object *properties;   /* [{name, value}] */
	struct json_object *extra;
};

struct bh_shp_shipline {
	int64_t id;
	char *title, *code, *source, *carrier_identifier;
	int64_t price, discounted_price;
	bool is_removed;
	struct bh_shp_taxline *tax;
	size_t ntax;
	struct bh_shp_alloc *alloc;
	size_t nalloc;
	struct json_object *extra;
};

struct bh_shp_discapp {
	char *target_type, *type, *value, *value_type, *allocation_method, *target_selection;
	char *code, *title, *description;
};

struct bh_shp_code {
	char *code, *type;
	int64_t amount;
};

struct bh_shp_txn {
	int64_t id, parent_id, refund_id;  /* refund_id 0 = not part of a refund */
	bool has_parent;
	char *kind, *gateway, *status, *authorization, *message, *error_code, *source_name;
	char *payment_id;
	int64_t amount;
	char *currency;
	bool test;
	struct bh_shp_time created, processed;
	struct json_object *extra;
};

struct bh_shp_refund_line {
	int64_t id, line_item_id, location_id;
	bool has_location;
	int quantity;
	char *restock_type;
	int64_t subtotal, total_tax;
};

struct bh_shp_refund_ship {
	int64_t id, shipping_line_id;
	int64_t amount, tax;
};

struct bh_shp_adjust {
	int64_t id;
	char *kind, *reason;
	int64_t amount, tax_amount;
};

struct bh_shp_refund {
	int64_t id, user_id;
	bool has_user, restock;
	struct bh_shp_time created, processed;
	char *note;
	struct bh_shp_refund_line *lines;
	size_t nlines;
	struct bh_shp_refund_ship *ships;
	size_t nships;
	struct bh_shp_adjust *adjs;
	size_t nadjs;
	int64_t *txn_ids;
	size_t ntxn;
	struct json_object *extra;
};

struct bh_shp_customer {
	bool set;
	int64_t id;
	char *email, *first_name, *last_name, *phone;
	struct json_object *extra;
};

/** Cached JSON text (length + bytes, NUL-terminated). */
struct bh_shp_text {
	size_t len;
	char text[];
};

struct bh_shp_order {
	int64_t id, order_number, number;
	char *name, *email, *phone, *currency, *presentment_currency;
	struct bh_shp_time created, updated, processed, cancelled, closed;
	char *cancel_reason, *financial_status, *fulfillment_status, *tags, *note;
	char *source_name, *confirmation_number;
	bool taxes_included, test;
	int64_t total_line_items_price, total_discounts, subtotal_price, total_tax, total_price;
	int64_t total_shipping, total_outstanding, total_tip;
	int64_t current_subtotal, current_total_discounts, current_total_tax, current_total_price;
	struct bh_shp_taxline *tax;
	size_t ntax;
	struct bh_shp_line *lines;
	size_t nlines;
	struct bh_shp_shipline *ships;
	size_t nships;
	struct bh_shp_discapp *apps;
	size_t napps;
	struct bh_shp_code *codes;
	size_t ncodes;
	struct bh_shp_txn *txns;
	size_t ntxns;
	struct bh_shp_refund *refunds;
	size_t nrefunds;
	char **gateways;
	size_t ngateways;
	struct bh_shp_customer customer;
	struct json_object *billing_address, *shipping_address, *note_attributes;
	struct json_object *extra;
	/* The REST rendering as JSON text, built on first use by any reader (atomic
	 * compare-and-swap under the shared data lock), dropped on every change (exclusive
	 * lock). A cache: logically mutable even through const pointers. */
	_Atomic(struct bh_shp_text *) rest_text;
};

struct bh_shp_giftcard {
	int64_t id, customer_id, order_id, line_item_id;
	char *code, *currency, *note, *expires_on;
	char last_characters[8];
	int64_t initial_value, balance;
	struct bh_shp_time created, updated, disabled;
};

/** A webhook subscription. */
struct bh_shp_hook {
	int64_t id;
	char *topic, *address, *api_version;
	struct bh_shp_time created;
};

/** A recorded webhook (what was handed to bh_sim_webhook_send). */
struct bh_shp_delivery {
	uint64_t seq;
	char *topic, *address, *webhook_id, *event_id, *triggered_at, *hmac, *body;
	bool dup;
};

#define BH_SHP_DELIVERY_LOG 256

/** Sort keys with an index. */
enum bh_shp_sort { BH_SHP_SORT_ID, BH_SHP_SORT_CREATED, BH_SHP_SORT_UPDATED, BH_SHP_SORT_PROCESSED };

/** An access token issued by the client-credentials grant. */
struct bh_shp_token {
	char token[72];
	int64_t expires_ms;
};

struct bh_shp_svc {
	pthread_rwlock_t lock;       /* data: orders, gift cards, id counters */
	pthread_mutex_t rate_lock;   /* buckets, tokens, credentials, clock */
	pthread_mutex_t hook_lock;   /* subscriptions, delivery log, webhook secret, sequences */

	/* fixed after create */
	char *shop_domain, *shop_name, *api_version, *oldest_version, *currency, *default_gateway;
	char *timezone;              /* IANA name reported by GraphQL shop { ianaTimezone } */
	int shop_off_min;            /* UTC offset of the shop, minutes (REST timestamps) */
	bool gql_fixed_decimals;     /* GraphQL Decimal as "43.20" instead of "43.2" */
	int gql_max_cost;            /* single query limit (MAX_COST_EXCEEDED) */
	int throttle_status;         /* HTTP status of a THROTTLED answer (200) */

	/* credentials (rate_lock) */
	char *access_token, *client_id, *client_secret, *scope;
	int64_t token_ttl_s;
	struct bh_shp_token *tokens;
	size_t ntokens, captokens;

	/* buckets and clock (rate_lock) */
	double gql_max, gql_rate, gql_avail;
	int64_t gql_last_ms;
	double rest_size, rest_rate, rest_level;
	int64_t rest_last_ms;
	int64_t clock_off_ms, frozen_ms;
	bool frozen;

	/* data (lock) */
	struct bh_shp_order **idx[4];   /* sorted by enum bh_shp_sort, then id */
	size_t norders, caporders;
	int64_t next_id, next_number;
	struct bh_shp_giftcard **gcs;   /* ascending id */
	size_t ngcs, capgcs;

	/* webhooks (hook_lock) */
	char *webhook_secret;
	double dup_rate;
	uint64_t seed;
	struct bh_shp_hook *hooks;
	size_t nhooks, caphooks;
	int64_t next_hook_id;
	uint64_t delivery_seq, event_seq;
	struct bh_shp_delivery log[BH_SHP_DELIVERY_LOG];
	size_t log_next, log_count;
	uint64_t deliveries_total, duplicates_total;
};

/* clock, credentials (sim_shopify.c) */
/** Wall-clock milliseconds plus the control clock offset (frozen when asked). */
int64_t bh_shp_now_ms(struct bh_shp_svc *s);
/** The same with rate_lock already held. */
int64_t bh_shp_now_ms_locked(struct bh_shp_svc *s);
/** Control POST /clock: freeze/unfreeze, then advance; *now_out is the new time. */
void bh_shp_clock_control(struct bh_shp_svc *s, bool set_frozen, bool frozen, int64_t advance_ms,
			  int64_t *now_out);
/** Control POST /access_token. */
void bh_shp_set_access_token(struct bh_shp_svc *s, const char *tok);
/** Control POST /app: client_id, client_secret, scope, token_ttl_s. 0 or BH_EINVAL. */
int bh_shp_app_settings(struct bh_shp_svc *s, struct json_object *body, char *err, size_t errlen);
/** Refill the GraphQL bucket and leak the REST bucket up to now (rate_lock held). */
void bh_shp_buckets_refill_locked(struct bh_shp_svc *s, int64_t now);
/** The control API (sim_shopify_ctl.c). */
void bh_shp_control(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp);
/** A gift card by id (data lock held). */
const struct bh_shp_giftcard *bh_shp_giftcard_get(const struct bh_shp_svc *s, int64_t id);

/* model (sim_shopify_order.c, _render.c, _refund.c, _giftcard.c) */
/** Build an order from a REST-shaped JSON object (fixtures, control POST /orders):
 *  absent ids and totals are assigned/computed. Called with lock held exclusively.
 *  On error returns BH_EINVAL and writes a message. */
int bh_shp_order_from_json(struct bh_shp_svc *s, struct json_object *in, struct bh_shp_order **out,
			   char *err, size_t errlen);
void bh_shp_order_free(struct bh_shp_order *o);
/** The order's REST JSON text (cached; valid while the data lock is held). NULL only
 *  when out of memory. */
const struct bh_shp_text *bh_shp_order_rest_text(const struct bh_shp_svc *s,
						 const struct bh_shp_order *o);
/** Drop the cached text (exclusive lock held): call after changing an order. */
void bh_shp_order_invalidate(struct bh_shp_order *o);
/** The order in REST shape (a new object; shares nothing with the model). */
struct json_object *bh_shp_order_rest(const struct bh_shp_svc *s, const struct bh_shp_order *o);
struct json_object *bh_shp_line_rest(const struct bh_shp_order *o, const struct bh_shp_line *l);
struct json_object *bh_shp_refund_rest(const struct bh_shp_order *o, const struct bh_shp_refund *r);
struct json_object *bh_shp_txn_rest(const struct bh_shp_order *o, const struct bh_shp_txn *t);
struct json_object *bh_shp_giftcard_rest(const struct bh_shp_giftcard *g, bool with_code);
const struct bh_shp_line *bh_shp_order_line(const struct bh_shp_order *o, int64_t id);
const struct bh_shp_txn *bh_shp_order_txn(const struct bh_shp_order *o, int64_t id);
const struct bh_shp_shipline *bh_shp_order_ship(const struct bh_shp_order *o, int64_t id);
/** Add a refund (control POST /orders/<id>/refund): body in REST refund shape. Updates
 *  quantities, current totals, financial status and updated_at. Lock held exclusively.
 *  Returns 0, BH_EINVAL (bad body) or BH_EEXIST-style conflicts as BH_EREJECT. */
int bh_shp_order_refund(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *body,
			const struct bh_shp_refund **out, char *err, size_t errlen);
/** Apply a simple update (tags, note, email, cancel) and bump updated_at. */
int bh_shp_order_update(struct bh_shp_svc *s, struct bh_shp_order *o, struct json_object *body,
			char *err, size_t errlen);
int bh_shp_giftcard_from_json(struct bh_shp_svc *s, struct json_object *in,
			      struct bh_shp_giftcard **out, char *err, size_t errlen);
void bh_shp_giftcard_free(struct bh_shp_giftcard *g);
/** Sum of successful sale/capture transactions minus successful refunds. */
int64_t bh_shp_order_received(const struct bh_shp_order *o);
int64_t bh_shp_order_refunded(const struct bh_shp_order *o);
/** Per-line figures (line-level vs all discounts). */
int64_t bh_shp_line_alloc_total(const struct bh_shp_order *o, const struct bh_shp_line *l,
				bool line_level_only);
int64_t bh_shp_line_tax_total(const struct bh_shp_line *l);
/** The id counter: next Shopify-sized id. Lock held exclusively. */
int64_t bh_shp_next_id(struct bh_shp_svc *s);

/* store (sim_shopify_store.c) */
int bh_shp_store_add(struct bh_shp_svc *s, struct bh_shp_order *o);
struct bh_shp_order *bh_shp_store_get(const struct bh_shp_svc *s, int64_t id);
/** Call before changing a sort-relevant timestamp, then bh_shp_store_reindex after. */
void bh_shp_store_unlink(struct bh_shp_svc *s, struct bh_shp_order *o);
void bh_shp_store_relink(struct bh_shp_svc *s, struct bh_shp_order *o);
void bh_shp_store_clear(struct bh_shp_svc *s);
/** The sort value of an order for a key (epoch seconds or id). */
int64_t bh_shp_sort_value(const struct bh_shp_order *o, enum bh_shp_sort k);

/** A filter for paging: returns true to keep the order. */
typedef bool (*bh_shp_filter_fn)(const struct bh_shp_order *o, void *ud);

struct bh_shp_page_req {
	enum bh_shp_sort key;
	bool desc;                /* overall order */
	bool backward;            /* paging towards the start (before/last/prev) */
	bool has_cursor;
	int64_t cur_value, cur_id; /* exclusive bound */
	bool has_min, has_max;     /* inclusive range on the key (epoch or id) */
	int64_t min, max;
	size_t limit;
	bh_shp_filter_fn filter;
	void *ud;
};

struct bh_shp_page {
	const struct bh_shp_order **items;  /* malloc'd, in display order */
	size_t n;
	bool more_after, more_before;       /* in display order */
};

/** Page through the orders. Lock held (shared is enough). */
int bh_shp_store_page(const struct bh_shp_svc *s, const struct bh_shp_page_req *r,
		      struct bh_shp_page *out);

/* base64 helpers (sim_shopify_store.c) */
/** Standard base64 with padding (url=false) or base64url without padding (url=true). */
char *bh_shp_b64(const void *data, size_t len, bool url);
/** Decode either alphabet, padding optional. Returns malloc'd NUL-terminated bytes. */
char *bh_shp_unb64(const char *s, size_t *len);

/* REST (sim_shopify_rest.c); path is relative to /admin/api/<version> */
void bh_shp_rest(struct bh_shp_svc *s, const struct bh_sim_req *req, const char *version,
		 const char *path, struct bh_sim_resp *resp);

/* GraphQL (sim_shopify_gql.c) */
void bh_shp_graphql(struct bh_shp_svc *s, const struct bh_sim_req *req, struct bh_sim_resp *resp);
/** The THROTTLED body (also used by the fault callback). */
struct json_object *bh_shp_gql_throttled(struct bh_shp_svc *s, int requested);

/* webhooks (sim_shopify_hook.c) */
/** A webhook waiting to be sent once the data lock is released. */
struct bh_shp_pending {
	char *topic;
	char *body;
	uint64_t event;
};
struct bh_shp_outbox {
	struct bh_shp_pending *items;
	size_t n, cap;
};
/** Queue a topic with the REST body (takes ownership of body). Lock held. */
void bh_shp_outbox_add(struct bh_shp_outbox *ob, const char *topic, char *body, uint64_t event);
/** Deliver everything queued to the matching subscriptions, then empty the outbox.
 *  Must be called WITHOUT the data lock; takes it briefly itself. */
void bh_shp_outbox_flush(struct bh_shp_svc *s, struct bh_shp_outbox *ob);
/** What a delivery's headers say (all borrowed). */
struct bh_shp_wh_meta {
	const char *topic, *api_version, *webhook_id, *event_id, *triggered_at, *shop_domain;
	const char *secret;
};
/** Fill hdr with Shopify's 8 webhook headers (Content-Type, X-Shopify-Topic,
 *  X-Shopify-Hmac-Sha256, -Shop-Domain, -API-Version, -Webhook-Id, -Triggered-At,
 *  -Event-Id); values borrowed from m except the HMAC, malloc'd into *hmac (free it).
 *  Returns the header count. Exposed for tests. */
size_t bh_shp_webhook_headers(const struct bh_shp_wh_meta *m, const char *body, size_t len,
			      struct bh_sim_header hdr[8], char **hmac);
/** Add a subscription {"topic","address","api_version"?} (or wrapped in "webhook");
 *  *out (optional) gets its JSON. 0 or BH_EINVAL/BH_ENOMEM with a message. */
int bh_shp_hook_add(struct bh_shp_svc *s, struct json_object *in, struct json_object **out,
		    char *err, size_t errlen);
void bh_shp_hooks_free(struct bh_shp_svc *s);
/** Control: /webhooks..., /webhook_secret, /deliveries. No lock held. */
void bh_shp_hook_control(struct bh_shp_svc *s, const struct bh_sim_req *req, const char *sub,
			 struct json_object *body, struct bh_sim_resp *resp);

/* JSON helpers (sim_shopify_values.c) */
/** Text of member k (strings as is, numbers as their literal), NULL if absent or null. */
const char *bh_shp_jstr(struct json_object *o, const char *k);
/** Integer member (JSON integer or decimal string): 1 found, 0 absent/null, -1 invalid. */
int bh_shp_ji64(struct json_object *o, const char *k, int64_t *v);
/** Member k when present and not null, else NULL (borrowed). */
struct json_object *bh_shp_jget(struct json_object *o, const char *k);
/** A MoneyBag-free REST "*_set" object {shop_money, presentment_money}. */
struct json_object *bh_shp_rest_set(int64_t cents, const char *currency);

/* shared small helpers (sim_shopify.c) */
/** A growable byte buffer (always NUL-terminated when p != NULL). */
struct bh_shp_buf {
	char *p;
	size_t n, cap;
	bool oom;
};
void bh_shp_buf_add(struct bh_shp_buf *b, const char *data, size_t len);
/** Answer with the buffer as a JSON body (takes it over; 500 when it ran out of memory). */
void bh_shp_resp_buf(struct bh_sim_resp *resp, int status, struct bh_shp_buf *b);
void bh_shp_json_error(struct bh_sim_resp *resp, int status, const char *msg);
/** REST error body {"errors": msg} */
void bh_shp_rest_error(struct bh_sim_resp *resp, int status, const char *msg);
char *bh_shp_strdup(const char *s);
/** Deterministic 64-bit mix (splitmix64 finaliser). */
uint64_t bh_shp_mix(uint64_t x);

extern const struct bh_sim_service bh_sim_service_shopify;

#endif
