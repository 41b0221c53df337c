/*
 * shopify.h - private interfaces of the `shopify` endpoint plugin (storefront + source).
 *
 * Purpose: the plugin reads orders from Shopify's GraphQL Admin API and turns them into
 * canonical `order/1` records (sdk/RECORDS.md). Files:
 *   shopify_plugin.c      descriptor, config map, lifecycle, capability()
 *   shopify_auth.c        Admin API token: static, or client-credentials grant refreshed
 *                         before it expires
 *   shopify_gql.c         one GraphQL call: auth header, THROTTLED / 429 / 5xx / timeout
 *                         handling, bounded retries, error classification
 *   shopify_query.c       the query texts, fetching complete orders (connection pages
 *                         completed), by id, by name, by page
 *   shopify_map.c         GraphQL order -> order/1 (pure)
 *   shopify_exchange.c    exchange-order recognition and the link to the original order
 *   shopify_poll.c        the poll source and its durable cursor
 *   shopify_webhook.c     webhook route: HMAC, duplicate deliveries, emit
 *   shopify_storefront.c  the storefront capability (get_order, find_order_by_name,
 *                         list_orders)
 *   shopify_diag.c        the diagnostics capability (test-connection)
 *   shopify_util.c        times, gids, decimal strings, small JSON helpers (pure)
 *
 * Ownership: struct bh_shopify belongs to the engine instance (init .. destroy). Config
 * strings are the core's (valid until destroy). JSON objects returned through `**out`
 * parameters belong to the caller (json_object_put).
 *
 * Threading: poll() on the source thread, webhook handlers on listener threads and
 * capability operations on worker threads all run concurrently. After start() the
 * configuration is read-only; the token (tok_lock), the webhook duplicate window
 * (wh_lock) and the stop flag (stop_lock) have their own locks; the adaptive page size
 * is atomic. No lock is held across network I/O except tok_lock while one thread fetches
 * a new token (the others wait for it instead of fetching their own).
 */
#ifndef BH_SHOPIFY_H
#define BH_SHOPIFY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <backhaul/plugin.h>
#include <backhaul/storefront.h>
#include <backhaul/diag.h>

#include "http.h"

#define BH_SHOPIFY_WH_IDS 4096     /* webhook ids remembered for duplicate drops */
#define BH_SHOPIFY_WH_ID_MAX 80

/* Exchange settings and tender classification used by the mapper. */
struct bh_shopify_map_opts {
	const char *exc_prefix;            /* name prefix of exchange orders ("EXC"), or NULL */
	const char *exc_tag;               /* tag marking exchange orders, or NULL */
	const char *exc_original_prefix;   /* prepended to the derived original number ("#") */
	const char *exc_return_attr;       /* custom attribute holding the return id */
	const char *const *gift_card_gateways;
	const char *const *store_credit_gateways;
	const char *const *other_gateways;
};

struct bh_shopify {
	bh_instance *inst;
	const struct bh_host *host;

	/* configuration (written by the core before configure) */
	const char *base_url;
	const char *shop;
	const char *api_version;
	const char *access_token;
	const char *client_id;
	const char *client_secret;
	const char *webhook_path;
	const char *webhook_secret;
	const char *webhook_secret_previous;
	const char *start_at;
	int64_t poll_overlap_ms;    /* poll: re-read this far behind the cursor */
	int64_t timeout_ms;
	int64_t page_size;
	int64_t line_page;
	int64_t max_retries;
	int64_t retry_backoff_ms;
	int64_t max_wait_ms;        /* poll: longest single wait */
	int64_t call_wait_ms;       /* capability calls: longest THROTTLED wait inline */
	int64_t webhook_budget_ms;
	int64_t refresh_margin_ms;
	struct bh_shopify_map_opts map;

	/* runtime */
	char *root;                 /* base URL without trailing slash */
	char *gql_url;
	char *token_url;
	bool client_credentials;
	struct bh_http_client *http;
	struct bh_http_client *http_hook; /* webhook handlers: timeout = webhook_timeout */

	pthread_mutex_t tok_lock;
	char *token;                /* client-credentials token, NULL until fetched */
	char *token_scope;
	int64_t token_refresh_mono; /* refresh at/after this monotonic time */

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;   /* CLOCK_MONOTONIC */
	bool stopping;

	atomic_int page_cap;        /* orders per page known to fit the query cost limit */

	pthread_mutex_t wh_lock;
	char (*wh_ids)[BH_SHOPIFY_WH_ID_MAX];
	size_t wh_n, wh_pos;

	bool locks_ready;
};

/* ---------------------------------------------------------------- shopify_util.c */

/** Normalise an RFC 3339 time with any offset to UTC "YYYY-MM-DDTHH:MM:SSZ" (fractions
 *  dropped). Returns 0 or BH_EINVAL. out must hold 21 bytes. */
int bh_shopify_time_utc(const char *in, char *out, size_t len);
/* `in` moved by delta_s seconds, as UTC "YYYY-MM-DDTHH:MM:SSZ". */
int bh_shopify_time_shift(const char *in, int64_t delta_s, char *out, size_t len);
/** Milliseconds since the epoch of an RFC 3339 time; 0 when malformed. */
int64_t bh_shopify_time_ms(const char *in);
/** The numeric tail of a gid ("gid://shopify/Order/450789469" -> "450789469"); a bare
 *  decimal id is accepted as is. Returns 0 or BH_EINVAL. */
int bh_shopify_gid_tail(const char *gid, char *out, size_t len);
/** True when s is a decimal id (digits only, 1..20 of them). */
bool bh_shopify_is_id(const char *s);
/** Compare two decimal ids numerically (no leading zeros): <0, 0, >0. */
int bh_shopify_id_cmp(const char *a, const char *b);
/** Parse a decimal amount ("199.0", "3.345" refused unless the extra digits are 0)
 *  into cents. Returns 0 or BH_EINVAL. */
int bh_shopify_cents(const char *s, int64_t *cents);
/** A new json string "12.34" for cents. */
json_object *bh_shopify_money(int64_t cents);
/** Member lookups that tolerate NULL and wrong types. */
json_object *bh_shopify_get(json_object *o, const char *key);
json_object *bh_shopify_path(json_object *o, const char *path); /* "a.b.c" */
const char *bh_shopify_str(json_object *o, const char *key);
/** True when list (NULL-terminated, may be NULL) holds s, case-insensitively. */
bool bh_shopify_in_list(const char *const *list, const char *s);
/** Milliseconds to wait for a THROTTLED answer's extensions.cost:
 *  ceil((requested - available) / restoreRate * 1000), at least floor_ms; -1 when the
 *  cost block is missing or malformed. */
int64_t bh_shopify_throttle_wait_ms(json_object *reply, int64_t floor_ms);
/** base64(HMAC-SHA256(secret, body)) into out (>= 45 bytes). Returns 0 or BH_EIO. */
int bh_shopify_hmac_b64(const char *secret, const char *body, size_t len, char *out,
			size_t outlen);
/** Constant-time check of a webhook signature header against secret. */
bool bh_shopify_hmac_ok(const char *secret, const char *body, size_t len, const char *header);

/* ---------------------------------------------------------------- shopify_map.c */

/** Map one complete GraphQL Order node to canonical order/1. The "exchange" member is
 *  set from recognition only ({"original_order_id": null, "original_order_name",
 *  "return_id"}); shopify_exchange.c resolves the original's id. Returns 0, or
 *  BH_EPROTO with a message in err. */
int bh_shopify_map_order(const struct bh_shopify_map_opts *o, json_object *node,
			 json_object **out, char *err, size_t errlen);
/** Tender kind of a gateway name: "card", "gift_card", "store_credit" or "other". */
const char *bh_shopify_tender_kind(const struct bh_shopify_map_opts *o, const char *gateway);
/** Exchange recognition: when the order (name, tags) is an exchange order, write the
 *  original order's name into orig (possibly "" when it cannot be derived) and return
 *  true. alt receives a second candidate ("#1004" for "EXC1004-2") or "". */
bool bh_shopify_exchange_of(const struct bh_shopify_map_opts *o, const char *name,
			    json_object *tags, char *orig, size_t len, char *alt, size_t altlen);

/* ---------------------------------------------------------------- shopify_auth.c */

/** The token to send. stale: the token a 401 was received with (forces a refresh of a
 *  client-credentials token unless another thread refreshed it already), or NULL.
 *  Returns 0, BH_EAUTH (credentials refused), BH_ERETRY (token endpoint unavailable),
 *  with st filled on failure. */
int bh_shopify_token(struct bh_shopify *s, const char *stale, char *buf, size_t len,
		     struct bh_status *st);
/** The scopes reported with the last client-credentials token (copied), or "". */
void bh_shopify_token_scope(struct bh_shopify *s, char *buf, size_t len);
void bh_shopify_auth_free(struct bh_shopify *s);

/* ---------------------------------------------------------------- shopify_gql.c */

enum bh_shopify_mode {
	BH_SHOPIFY_CALL,   /* capability call: no retries of 429/5xx, short throttle waits */
	BH_SHOPIFY_POLL,   /* poll: bounded retries with the advised delay */
};

struct bh_shopify_call {
	enum bh_shopify_mode mode;
	int64_t deadline_mono;      /* 0 = none; waits never go past it */
	struct bh_status *st;       /* filled on failure (may be NULL) */
	struct bh_http_client *http; /* NULL: the instance's client */
};

/**
 * POST one GraphQL request. On success *data = the reply's "data" (a new reference).
 * Returns 0, BH_ERETRY (transient; st->retry_after_ms), BH_EAUTH, BH_EREJECT (the query
 * was refused), BH_ETOOBIG (MAX_COST_EXCEEDED; st->code "MAX_COST_EXCEEDED" and
 * st->message "cost=N max=M"), BH_EPROTO, BH_ESTOPPED, BH_ENOMEM.
 */
int bh_shopify_gql(struct bh_shopify *s, const char *query, json_object *vars,
		   struct bh_shopify_call *call, json_object **data);
/** Sleep ms unless stop() is called. Returns 0, or BH_ESTOPPED. */
int bh_shopify_sleep(struct bh_shopify *s, int64_t ms);
void bh_shopify_status(struct bh_status *st, int http, const char *code, const char *fmt, ...)
	BH_PRINTF(4, 5);

/* ---------------------------------------------------------------- shopify_query.c */

struct bh_shopify_page {
	json_object *orders;        /* array of complete GraphQL Order nodes (owned) */
	char *end_cursor;           /* malloc'd or NULL */
	bool has_next;
};

/** One page of orders sorted by UPDATED_AT ascending, each complete (every connection
 *  page fetched). search: Shopify search text or NULL; after: a page cursor or NULL;
 *  limit: wanted page size (reduced to what the cost limit allows). */
int bh_shopify_fetch_page(struct bh_shopify *s, const char *search, const char *after,
			  int limit, struct bh_shopify_call *call, struct bh_shopify_page *pg);
void bh_shopify_page_free(struct bh_shopify_page *pg);
/** One complete order by numeric id; BH_ENOENT when absent. */
int bh_shopify_fetch_order(struct bh_shopify *s, const char *id, struct bh_shopify_call *call,
			   json_object **node);
/** The id of the order named exactly `name`; BH_ENOENT when none. */
int bh_shopify_find_name(struct bh_shopify *s, const char *name, struct bh_shopify_call *call,
			 char *id, size_t idlen, char *exact, size_t exlen);
/** The {"shop": ...} probe used by diagnostics. */
int bh_shopify_probe(struct bh_shopify *s, const char *query, struct bh_shopify_call *call,
		     json_object **data);

/* ---------------------------------------------------------------- shopify_exchange.c */

/** Map a complete node to order/1 and resolve the exchange link (lookup by name).
 *  Returns 0, or the lookup's transient/auth error, or BH_EPROTO. */
int bh_shopify_canonical(struct bh_shopify *s, json_object *node, struct bh_shopify_call *call,
			 json_object **out);

/* ---------------------------------------------------------------- shopify_poll.c */

int bh_shopify_poll(void *ctx);
/** Parse / format the poll cursor "<updated_at> <id>". */
int bh_shopify_cursor_parse(const char *text, char *ts, size_t tslen, char *id, size_t idlen);
/** The records of one canonical order: the order record (topic given) and one
 *  storefront.refund.created per refund. Appends to recs/keys/bodies (grown). */
struct bh_shopify_batch {
	struct bh_emit *recs;
	char **owned;               /* keys and bodies to free */
	size_t n, cap, n_owned, cap_owned;
};
int bh_shopify_batch_order(struct bh_shopify_batch *b, json_object *order, const char *topic,
			   bool with_refunds);
int bh_shopify_batch_refund(struct bh_shopify_batch *b, json_object *order, const char *refund_id);
void bh_shopify_batch_free(struct bh_shopify_batch *b);

/* ---------------------------------------------------------------- shopify_webhook.c */

void bh_shopify_webhook(void *ctx, const struct bh_http_req *req, struct bh_http_resp *resp);

/* ---------------------------------------------------------------- shopify_storefront.c */

extern const struct bh_storefront_ops bh_shopify_storefront_ops;

/* ---------------------------------------------------------------- shopify_diag.c */

extern const struct bh_diag_ops bh_shopify_diag_ops;

#endif
