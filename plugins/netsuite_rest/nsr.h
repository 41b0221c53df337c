/*
 * nsr.h - internals of the netsuite-rest endpoint plugin (NetSuite REST record API v1 +
 * SuiteQL with token-based authentication).
 *
 * Files:
 *   nsr_plugin.c     descriptor, config map, lifecycle, capability tables
 *   nsr_oauth.c      OAuth 1.0a signing, account host rules (nsr_oauth.h)
 *   nsr_http.c       one signed request: concurrency gate, fresh nonce per attempt,
 *                    back-off and re-sends, error classification into bh_status;
 *                    SuiteQL pages, record reads
 *   nsr_doc.c        JSON helpers: exact money, documents in and answers out
 *   nsr_items.c      SKU <-> item internal id lookups (SuiteQL) with a TTL cache
 *   nsr_write.c      read-before-write by external id, transforms and their
 *                    create-forms (what is left open), re-read after a failed write
 *   nsr_sales.c      customers and sales orders (upsert, find)
 *   nsr_return.c     return authorizations (create by transform, get, close)
 *   nsr_refund.c     item receipts, cash refunds, credit memos, customer refunds
 *   nsr_feed.c       change feeds (changes()) and the source (poll())
 *   nsr_related.c    related_transactions (backhaul report) and check_items
 *   nsr_diag.c       the diagnostics capability (test-connection)
 *
 * Ownership: owned by the netsuite-rest plugin helper. Everything here is hidden in
 * the .so (only bh_plugin_descriptor is exported).
 *
 * Threading: configuration is read-only after configure(). Capability operations run
 * concurrently on worker threads: the request gate (max_requests in flight) and the
 * item cache have their own mutexes; everything else is per call. poll() runs on the
 * source thread. No global mutable state.
 *
 * Errors: negative BH_E* codes with a filled struct bh_status (code = NetSuite's
 * o:errorCode, message = its detail, never a secret).
 */
#ifndef BH_NSR_H
#define BH_NSR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <backhaul/capability.h>
#include <backhaul/plugin.h>

#include "nsr_oauth.h"

struct json_object;
struct bh_http_client;

/** Record ids of the REST record API used here. */
#define BH_NSR_T_CUSTOMER "customer"
#define BH_NSR_T_SO "salesOrder"
#define BH_NSR_T_RA "returnAuthorization"
#define BH_NSR_T_IR "itemReceipt"
#define BH_NSR_T_CM "creditMemo"
#define BH_NSR_T_CR "cashRefund"
#define BH_NSR_T_CRF "customerRefund"

#define BH_NSR_REST_PATH "/services/rest/record/v1/"
#define BH_NSR_SUITEQL_PATH "/services/rest/query/v1/suiteql"

struct bh_nsr_cache_entry {
	char *sku;
	char *id;
	int64_t at_ms;   /* monotonic time of the lookup */
};

struct bh_nsr {
	bh_instance *inst;
	const struct bh_host *host;

	/* configuration, filled by the core (see the map in nsr_plugin.c); the keys are
	 * netsuite-soap's where they mean the same, so conf.d can switch transports */
	const char *account;
	const char *consumer_key;
	const char *consumer_secret;   /* SECRET */
	const char *token_id;
	const char *token_secret;      /* SECRET */
	const char *base_url;
	const char *version;           /* SOAP's; accepted and unused here */
	const char *sku_field;
	const char *flag_field;
	const char *shopify_order_field;
	const char *ra_prefix;
	const char *gift_card_item;
	const char *bonus_item;
	int64_t max_requests;
	int64_t timeout_ms;
	int64_t retries;
	int64_t retry_backoff_ms;
	int64_t page_size;
	int64_t item_cache_size;
	int64_t item_cache_ttl_ms;

	/* derived in configure() */
	char base[512];            /* scheme://host[:port], no trailing slash */
	char sku_col[128];         /* SuiteQL column of sku_field ("itemid") */
	char flag_col[128];
	char shopify_col[128];
	struct bh_nsr_cred cred;
	struct bh_http_client *http;
	atomic_bool stopping;          /* stop(): retry loops give up */

	/* request gate: at most max_requests in flight */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	int64_t in_flight;

	/* item cache (SKU -> internal id), guarded by items_lock */
	pthread_mutex_t items_lock;
	struct bh_nsr_cache_entry *cache;
	size_t n_cache, cap_cache;
};

/* ------------------------------------------------------------------ nsr_http.c */

/** What one request answered. */
struct bh_nsr_reply {
	long status;                  /* HTTP status, 0 on a transport error */
	struct json_object *json;     /* parsed body, or NULL (empty or not JSON) */
	char location_id[32];         /* last path segment of Location, "" when none */
	int64_t server_time;          /* Date header in Unix seconds, 0 when absent */
	int64_t client_time;          /* our clock (Unix seconds) when it was signed */
};

#define BH_NSR_F_TRANSIENT 0x1u   /* Prefer: transient (SuiteQL) */
#define BH_NSR_F_NO_RETRY 0x2u    /* one attempt only */
#define BH_NSR_F_CREATE_FORM 0x8u /* Accept: ...; type=create-form (transform, unsaved) */
#define BH_NSR_F_IDEMPOTENT 0x4u  /* safe to re-send after any transient failure (reads,
				     PUT upserts, PATCH of closed lines); without it only a
				     429 (refused before any processing) is re-sent */

void bh_nsr_reply_clear(struct bh_nsr_reply *r);

/**
 * Send one signed request to c->base + path (path includes an encoded query). body is
 * serialised as JSON when not NULL. Waits for a slot of the request gate. Transient
 * failures are re-sent up to `retries` times with jittered back-off (a fresh nonce
 * each time): any of them with BH_NSR_F_IDEMPOTENT, only 429 without.
 * Returns 0 on 2xx; otherwise the classified code (BH_ENOENT for 404) with st filled.
 * *out is always filled (clear it).
 */
int bh_nsr_request(struct bh_nsr *c, const char *method, const char *path,
		   struct json_object *body, unsigned flags, struct bh_nsr_reply *out,
		   struct bh_status *st);

/**
 * Classify an HTTP outcome: 2xx -> 0; 0 (transport) / 429 / 5xx -> BH_ERETRY; 401 ->
 * BH_EAUTH; 403 -> BH_EAUTH; 404 -> BH_ENOENT; other 4xx -> BH_EREJECT. st gets the
 * status, NetSuite's o:errorCode and detail (from body), and retry_after_ms. Pure.
 */
int bh_nsr_classify(long status, int timed_out, const char *transport_error,
		    const char *body, int64_t retry_after_ms, struct bh_status *st);

/**
 * One SuiteQL page: POST suiteql?limit=&offset= with Prefer: transient and
 * {"q", "params"} (params borrowed, may be NULL). *items = a new reference to the
 * "items" array; *more = hasMore. Returns 0 or a classified code.
 */
int bh_nsr_suiteql(struct bh_nsr *c, const char *q, struct json_object *params, int64_t limit,
		   int64_t offset, struct json_object **items, bool *more, struct bh_status *st);

/** GET a record: type and ref ("123" or "eid:x", encoded here), optional expand of the
 *  sublists and field list. *rec = the parsed record. BH_ENOENT when none. */
int bh_nsr_get(struct bh_nsr *c, const char *type, const char *ref, bool expand,
	       const char *fields, struct json_object **rec, struct bh_status *st);

/** "eid:<x>" for an external id, or "<id>" for an internal one, into buf. */
void bh_nsr_ref(char *buf, size_t len, const char *internal_id, const char *external_id);

/** Sleep before re-attempt `attempt` (1 = first): exponential with full jitter from
 *  retry_backoff, at least retry_after_ms (capped). false when stopping: give up. */
bool bh_nsr_backoff(struct bh_nsr *c, int64_t attempt, int64_t retry_after_ms);
/** Parse an HTTP date (Date header) into Unix seconds; 0 when unparsable. */
int64_t bh_nsr_http_date(const char *value);

/* ------------------------------------------------------------------ nsr_doc.c */

/** A member as text (strings, numbers, booleans), or NULL when absent or null. */
const char *bh_nsr_jstr(struct json_object *o, const char *key);
/** A member that must be an object (or NULL). */
struct json_object *bh_nsr_jobj(struct json_object *o, const char *key);
/** A member that must be an array (or NULL). */
struct json_object *bh_nsr_jarr(struct json_object *o, const char *key);
/** Money member (decimal string or JSON number text) in cents; more than two decimals
 *  are rounded half away from zero. BH_ENOENT when absent/null, BH_EINVAL when bad. */
int bh_nsr_jmoney(struct json_object *o, const char *key, int64_t *cents);
/** Parse decimal text into cents (rounding past two decimals). 0 or BH_EINVAL. */
int bh_nsr_money_text(const char *s, int64_t *cents);
/** Whole quantity member (integer, or integral decimal text). BH_ENOENT / BH_EINVAL. */
int bh_nsr_jqty(struct json_object *o, const char *key, int64_t *qty);
/** A JSON number serialised exactly as the decimal text of cents ("43.20"). */
struct json_object *bh_nsr_money_json(int64_t cents);
/** A JSON boolean member (true/false, "T"/"F"); def when absent. */
bool bh_nsr_jbool(struct json_object *o, const char *key, bool def);
/** The "id" of a reference member ({"id": "5", ...}), or NULL. */
const char *bh_nsr_jref_id(struct json_object *o, const char *key);

/** Parse a document; BH_EREJECT (code INVALID_DOCUMENT) when it is not a JSON object. */
int bh_nsr_parse_doc(const char *text, struct json_object **doc, struct bh_status *st);
/** Whether an external id is usable in a REST URL ([A-Za-z0-9_-], 1..200). */
bool bh_nsr_eid_valid(const char *eid);
/** Fill st and return code. */
int bh_nsr_fail(struct bh_status *st, int code, const char *err_code, const char *fmt, ...)
	BH_PRINTF(4, 5);
/** Write the standard write answer {"internal_id","external_id","type","created"} plus
 *  the members of extra (taken; may be NULL) into *out. 0 or BH_ENOMEM. */
int bh_nsr_answer(char **out, const char *internal_id, const char *external_id,
		  const char *type, bool created, struct json_object *extra);
/** Serialise obj into *out (malloc'd). 0 or BH_ENOMEM. */
int bh_nsr_dump(struct json_object *obj, char **out);
/** Canonical RA status from NetSuite's status letter (or the display text):
 *  pending_approval, pending_receipt, cancelled, partially_received,
 *  pending_refund_partially_received, pending_refund, refunded, closed; "unknown". */
const char *bh_nsr_ra_status(const char *letter_or_text);
/** Canonical sales order status from its letter (pending_approval, pending_fulfillment,
 *  cancelled, partially_fulfilled, pending_billing_partially_fulfilled,
 *  pending_billing, billed, closed; "unknown"). */
const char *bh_nsr_so_status(const char *letter_or_text);
/** Whether the dry-run mode is on (writes are then logged, not sent). */
bool bh_nsr_dry_run(const struct bh_nsr *c);
/** The dry-run answer of a write that was not sent. */
int bh_nsr_dry_answer(struct bh_nsr *c, char **out, const char *external_id, const char *type,
		      const char *what);

/* ------------------------------------------------------------------ nsr_items.c */

/** A small ordered map of strings (SKU -> internal id, or internal id -> SKU). */
struct bh_nsr_map {
	size_t n, cap;
	char **key;
	char **val;   /* NULL until resolved */
};

/** Add a key (deduplicated). 0 or BH_ENOMEM. */
int bh_nsr_map_add(struct bh_nsr_map *m, const char *key);
/** The value of a key, or NULL. */
const char *bh_nsr_map_get(const struct bh_nsr_map *m, const char *key);
void bh_nsr_map_free(struct bh_nsr_map *m);

/**
 * Resolve every key of m (SKUs on the configured sku_field) to an item internal id,
 * from the cache or with SuiteQL. When any SKU is unknown: BH_EREJECT, st->code
 * "UNKNOWN_SKU", the message naming the SKU and the field. Thread-safe.
 */
int bh_nsr_items_resolve(struct bh_nsr *c, struct bh_nsr_map *m, struct bh_status *st);
/** Resolve item internal ids (keys of m) to their SKUs (values; the itemid when the
 *  SKU field is empty). Unknown ids stay NULL. Thread-safe. */
int bh_nsr_items_skus(struct bh_nsr *c, struct bh_nsr_map *m, struct bh_status *st);
/** Drop the cache (destroy). */
void bh_nsr_items_clear(struct bh_nsr *c);
/** The SuiteQL column for a REST field id ("itemId" -> "itemid"). */
void bh_nsr_column(char *buf, size_t len, const char *field);

/* ------------------------------------------------------------------ nsr_return.c
 * Document lines shared by sales orders, return authorizations and refunds. */

/** Add the SKUs of lines[] ("sku") and adjustments[] ("item") of doc to m (what names
 *  the document in errors). 0, BH_EREJECT (INVALID_DOCUMENT) or BH_ENOMEM. */
int bh_nsr_collect_skus(struct json_object *doc, struct bh_nsr_map *m, const char *what,
			struct bh_status *st);

/** One adjustment ({kind, item, amount, memo}): an untaxed line of quantity 1 on `item`
 *  with rate = amount. Strings are borrowed from the document / the map. */
struct bh_nsr_adj {
	const char *item;   /* item internal id */
	const char *memo;
	int64_t amount;     /* cents, negative for a tender or credit */
};
/** Adjustment i of doc, its item resolved through skus. BH_EREJECT when malformed. */
int bh_nsr_adjustment(struct json_object *doc, size_t i, const struct bh_nsr_map *skus,
		      const char *what, struct bh_nsr_adj *a, struct bh_status *st);

/* ------------------------------------------------------------------ operations */

int bh_nsr_find_sales_order(void *ctx, const char *query, char **out, struct bh_status *st);
int bh_nsr_upsert_customer(void *ctx, const char *customer, char **out, struct bh_status *st);
int bh_nsr_upsert_sales_order(void *ctx, const char *order, char **out, struct bh_status *st);
int bh_nsr_create_ra(void *ctx, const char *ra, char **out, struct bh_status *st);
int bh_nsr_get_ra(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nsr_close_ra(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nsr_create_receipt(void *ctx, const char *receipt, char **out, struct bh_status *st);
int bh_nsr_create_refund(void *ctx, const char *refund, char **out, struct bh_status *st);
int bh_nsr_related(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nsr_check_items(void *ctx, const char *query, char **out, struct bh_status *st);
int bh_nsr_changes(void *ctx, const char *feed, const char *cursor, char **out,
		   struct bh_status *st);
int bh_nsr_poll(void *ctx);
int bh_nsr_test_connection(void *ctx, char **out, struct bh_status *st);

/* ------------------------------------------------------------------ nsr_write.c
 * Helpers shared by the write operations. */

/** POST <type> (create) with body (which names the externalId), with the same
 *  read-back and re-send as bh_nsr_transform. */
int bh_nsr_create_record(struct bh_nsr *c, const char *type, struct json_object *body, char *id,
			 size_t idlen, bool *existed, struct bh_status *st);
/** The unsaved record a transform would create (REST's SOAP initialize): POST
 *  <from>/<id>/!transform/<to> with Accept type=create-form. Its item lines carry
 *  orderLine and the quantity still open. BH_ENOENT (RCRD_DSNT_EXIST) when the source
 *  is gone; NetSuite's refusal (closed, nothing left) as BH_EREJECT. */
int bh_nsr_create_form(struct bh_nsr *c, const char *from, const char *from_id, const char *to,
		       struct json_object **form, struct bh_status *st);
/** The orderLine of the first line of `form_items` with item `item` and at least q
 *  open (its quantity minus used[] taken by earlier lines of this document; used[] is
 *  updated), or NULL when none has room. */
const char *bh_nsr_form_line(struct json_object *form_items, const char *item, int64_t q,
			     int64_t *used);
/** Internal id of a {"internal_id"} / {"external_id"} reference to a record of type;
 *  an external id is looked up (BH_ENOENT, code RCRD_DSNT_EXIST, names `label`). */
int bh_nsr_ref_id(struct bh_nsr *c, const char *type, struct json_object *ref, const char *label,
		  char *id, size_t idlen, struct bh_status *st);
/** Read an RA by {"internal_id"} or {"external_id"} (ref object), expanded. BH_ENOENT
 *  (code RCRD_DSNT_EXIST) when none; BH_EREJECT when the reference names nothing. */
int bh_nsr_ra_read(struct bh_nsr *c, struct json_object *ref, struct json_object **ra,
		   struct bh_status *st);
/** After a failed write (BH_ERETRY or BH_EREJECT): re-read the record by external id.
 *  Returns 0 and the id when it exists (the write went through), otherwise rc with st
 *  as it was. */
int bh_nsr_reread_after(struct bh_nsr *c, int rc, const char *type, const char *eid,
			char *id, size_t idlen, struct bh_status *st);
/** Look a record up by external id: 0 and its id, BH_ENOENT, or an error. */
int bh_nsr_find_eid(struct bh_nsr *c, const char *type, const char *eid, char *id,
		    size_t idlen, struct bh_status *st);
/** POST <from>/<id>/!transform/<to>?replace=item with body (which names the new
 *  record's externalId); *id = the new record. A failure reads the record by external
 *  id (it may have been created, by us or by a concurrent delivery: *existed) and a
 *  transient one is otherwise re-sent, up to `retries`. */
int bh_nsr_transform(struct bh_nsr *c, const char *from, const char *from_id, const char *to,
		     struct json_object *body, char *id, size_t idlen, bool *existed,
		     struct bh_status *st);

#endif
