/*
 * nssoap.h - internals of the netsuite-soap endpoint plugin (erp over SuiteTalk SOAP,
 * plus a source of ERP change records). Not installed; every symbol here is hidden by
 * the plugin's export list (only bh_plugin_descriptor is exported).
 *
 * Files
 *   nssoap_plugin.c   descriptor, config map, lifecycle, capability tables
 *   nssoap_tba.c      tokenPassport signature, nonce, account-id rules (nssoap_tba.h)
 *   nssoap_xml.c      request envelopes as libxml2 trees, response tree helpers
 *   nssoap_call.c     transport: request semaphore, fresh passport per attempt, fault
 *                     classification (research/netsuite.md §5), retries, writes that
 *                     re-read by external id before re-sending
 *   nssoap_rec.c      records of responses -> struct bh_nss_rec; exact decimals; times
 *   nssoap_search.c   search / searchMoreWithId requests and result pages
 *   nssoap_items.c    SKU <-> item internal id, bounded thread-safe cache
 *   nssoap_orders.c   find_sales_order, upsert_customer, upsert_sales_order
 *   nssoap_returns.c  return authorizations, item receipts, refunds, close; the
 *                     document lines and adjustments shared with sales orders
 *   nssoap_related.c  related_transactions (backhaul report) and check_items
 *   nssoap_feed.c     change feeds (search + searchMoreWithId) and the source poll()
 *   nssoap_diag.c     the diagnostics capability (test-connection)
 *
 * Ownership: the context (struct bh_nss) is owned by the core through init/destroy;
 * config strings are the core's (valid until destroy). Documents returned through
 * `char **out` are malloc'd here and freed by the caller.
 * Threading: capability operations run concurrently on worker threads, poll() on the
 * source thread. After start() the configuration is read-only; the HTTP client, the
 * request semaphore and the item cache are thread-safe. No global mutable state.
 */
#ifndef BH_NSSOAP_H
#define BH_NSSOAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include <backhaul/capability.h>
#include <backhaul/plugin.h>

struct bh_http_client;
struct bh_nss_items;
struct json_object;

/* ------------------------------------------------------------------ context */

/** Namespace URIs of one SuiteTalk version ("2023_2"). */
struct bh_nss_ns {
	char msgs[96], core[96], common[96], sales[96], cust[96], purch[96], rel[96], acct[96];
	char faults[96];
};

/** Counting semaphore bounding the requests in flight (max_requests). */
struct bh_nss_sem {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int in_use, max, peak;
};

struct bh_nss {
	bh_instance *inst;
	const struct bh_host *host;

	/* configuration (filled by the core at the config map's offsets) */
	const char *account;
	const char *consumer_key;
	const char *consumer_secret;   /* SECRET */
	const char *token_id;
	const char *token_secret;      /* SECRET */
	const char *base_url;
	const char *version;
	const char *sku_field;
	const char *flag_field;
	const char *shopify_field;
	const char *ra_prefix;
	const char *ir_prefix;
	const char *gift_card_item;
	const char *bonus_item;
	int64_t max_requests;
	int64_t timeout_ms;
	int64_t retries;
	int64_t retry_backoff_ms;
	int64_t page_size;
	int64_t item_cache_size;
	int64_t item_cache_ttl_ms;

	/* runtime */
	char url[600];                 /* POST target: <base>/services/NetSuitePort_<ver> */
	char base[512];
	struct bh_nss_ns ns;
	struct bh_http_client *http;
	struct bh_nss_sem sem;
	bool sem_ready;
	struct bh_nss_items *items;
	atomic_bool stopping;
};

/* ------------------------------------------------------------------ XML (nssoap_xml.c) */

/** Header preferences a request carries. */
enum bh_nss_prefs {
	BH_NSS_PREFS_NONE = 0,
	BH_NSS_PREFS_WRITE,    /* preferences: warningAsError=false, ignoreReadOnlyFields=true */
	BH_NSS_PREFS_SEARCH,   /* searchPreferences: bodyFieldsOnly, pageSize */
};

/** A request being built: an envelope whose namespaces are declared on the root. */
struct bh_nss_req {
	xmlDocPtr doc;
	xmlNodePtr env, header, body, op;
	xmlNsPtr soapenv, xsi, msgs, core, common, sales, cust, purch, rel, acct;
	char action[32];
	bool is_write;         /* add/update/upsert: never blindly re-sent */
};

void bh_nss_ns_init(struct bh_nss_ns *ns, const char *version);
/** Start a request for SOAP operation `action`; q->op is the operation element. prefs
 *  selects the header preferences; body_fields_only and page_size apply to SEARCH.
 *  Returns 0 or BH_ENOMEM. */
int bh_nss_req_new(struct bh_nss_req *q, const struct bh_nss *c, const char *action,
		   enum bh_nss_prefs prefs, bool body_fields_only);
void bh_nss_req_free(struct bh_nss_req *q);
/** Replace the tokenPassport header with a fresh one (new nonce and timestamp).
 *  Returns 0 or a BH_E* code. */
int bh_nss_req_passport(struct bh_nss_req *q, const struct bh_nss *c);
/** Serialise the envelope (UTF-8) into a malloc'd buffer. */
int bh_nss_req_dump(struct bh_nss_req *q, char **out, size_t *len);

/** New child element with optional text (escaped by libxml2). */
xmlNodePtr bh_nss_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text);
/** New child element with a long integer / cents as a decimal text. */
xmlNodePtr bh_nss_el_i64(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t v);
xmlNodePtr bh_nss_el_money(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t cents);
/** A RecordRef-shaped element: attributes internalId / externalId / type when given. */
xmlNodePtr bh_nss_ref_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *internal_id,
			 const char *external_id, const char *type);
/** Set xsi:type="<qname>" on n. */
void bh_nss_xsi_type(struct bh_nss_req *q, xmlNodePtr n, const char *qname);
/** The record element of add/update/upsert with xsi:type and externalId/internalId. */
xmlNodePtr bh_nss_record_el(struct bh_nss_req *q, const char *xsi_qname, const char *internal_id,
			    const char *external_id);

/* response tree helpers (namespace-agnostic: match on local names) */
xmlNodePtr bh_nss_child(xmlNodePtr n, const char *local);
xmlNodePtr bh_nss_next(xmlNodePtr n, const char *local);
/** Trimmed text content (malloc'd) or NULL. */
char *bh_nss_text(xmlNodePtr n);
/** Text of the first child `local`, malloc'd, or NULL. */
char *bh_nss_child_text(xmlNodePtr n, const char *local);
/** Attribute without namespace, malloc'd, or NULL. */
char *bh_nss_attr(xmlNodePtr n, const char *name);
/** Local part of an xsi:type value ("tranCust:ReturnAuthorization" -> into buf). */
const char *bh_nss_xsi_local(xmlNodePtr n, char *buf, size_t len);

/* ------------------------------------------------------------------ calls (nssoap_call.c) */

void bh_nss_status_set(struct bh_status *st, int http_status, const char *code, const char *fmt,
		       ...) BH_PRINTF(4, 5);

/** Initialise / destroy the request semaphore. */
int bh_nss_sem_init(struct bh_nss_sem *s, int max);
void bh_nss_sem_destroy(struct bh_nss_sem *s);
/** Highest number of requests ever in flight at once (tests and status). */
int bh_nss_sem_peak(struct bh_nss_sem *s);

/**
 * Send the request once per attempt (a fresh passport each time) and classify faults.
 * Reads are retried up to c->retries times on transient failures (BH_ERETRY) with
 * jittered exponential backoff; writes (q->is_write) are sent exactly once here.
 * On success: 0, *doc the parsed response (free with xmlFreeDoc), *op the element under
 * soapenv:Body. Errors: BH_ERETRY (WS_REQUEST_BLOCKED, UNEXPECTED_ERROR, 5xx, 429,
 * timeouts, transport), BH_EAUTH (invalid login, permissions), BH_EREJECT (other
 * faults), BH_EPROTO (unparsable answer); st carries code, message, HTTP status and
 * retry-after. `hdr_date` (may be NULL, >= 64 bytes) receives the Date header.
 */
int bh_nss_call(struct bh_nss *c, struct bh_nss_req *q, xmlDocPtr *doc, xmlNodePtr *op,
		struct bh_status *st, char *hdr_date, size_t hdr_len);

/** Classify a platformCore:status element. 0 when isSuccess="true"; otherwise the first
 *  statusDetail's code/message go into st and the result is BH_ENOENT (RCRD_DSNT_EXIST),
 *  BH_ERETRY (transient codes), BH_EAUTH (permission / login codes) or BH_EREJECT. */
int bh_nss_status_check(xmlNodePtr status, struct bh_status *st);

/** Sleep before the attempt `attempt` (1 = first retry) unless stopping: exponential
 *  with full jitter from c->retry_backoff_ms, at least retry_after_ms. Returns false
 *  when the plugin is stopping (give up). */
bool bh_nss_backoff(struct bh_nss *c, int attempt, int64_t retry_after_ms);

/** Whether a failure of this class may be retried. */
bool bh_nss_transient(int rc);

/* ------------------------------------------------------------------ records (nssoap_rec.c) */

struct bh_nss_cf {
	char *script_id;
	char *value;          /* text, or the internalId of a select value */
};

struct bh_nss_line {
	char *item;           /* item internal id */
	int64_t line, order_line;
	int64_t quantity, qty_received, qty_billed;
	int64_t rate, amount, tax;   /* cents */
	bool has_rate, has_amount, closed, restock, receive;
	char *description;
};

/** A record of a response (fields shared by the record types we use). */
struct bh_nss_rec {
	char xsi[64];         /* local name of xsi:type ("ReturnAuthorization") */
	char *internal_id, *external_id;
	char *status, *tran_id, *memo, *other_ref_num, *order_status;
	char *entity, *created_from;   /* internal ids */
	char *item_id;                 /* items: itemId */
	char *email, *first_name, *last_name;
	int64_t created_ms, modified_ms, tran_date_ms;
	int64_t total, tax_total, shipping;      /* cents */
	bool has_total;
	struct bh_nss_cf *cf;
	size_t n_cf;
	struct bh_nss_line *lines;
	size_t n_lines;
	char **apply_docs;             /* customer refunds: applyList docs applied */
	size_t n_apply;
};

/** Parse a record element (any of the types above). Returns 0 or BH_ENOMEM/BH_EPROTO. */
int bh_nss_rec_parse(xmlNodePtr rec, struct bh_nss_rec *out);
void bh_nss_rec_clear(struct bh_nss_rec *r);
/** A custom field's value by script id (case-insensitive), or NULL. */
const char *bh_nss_rec_cf(const struct bh_nss_rec *r, const char *script_id);

/** NetSuite decimal text (xsd:double "43.2", "1.0E7", or a rate "40.00") to cents,
 *  rounding half away from zero beyond two decimals; never through binary floating
 *  point. Returns 0 or BH_EINVAL. */
int bh_nss_dec_cents(const char *s, int64_t *cents);
/** Whole quantity from "2", "2.0" (BH_EINVAL for fractions or garbage). */
int bh_nss_dec_qty(const char *s, int64_t *qty);
/** xsd:dateTime ("2024-01-01T00:00:00.000-08:00", "...Z", fractions optional) to ms. */
int bh_nss_time_parse(const char *s, int64_t *ms);
/** RFC 3339 UTC: with_ms false "2026-11-01T10:00:00Z", true "2026-11-01T10:00:00.123Z". */
char *bh_nss_time_fmt(int64_t ms, bool with_ms, char *buf, size_t len);

/* ------------------------------------------------------------------ search (nssoap_search.c) */

/** One page of a search result. */
struct bh_nss_page {
	struct bh_nss_rec *recs;
	size_t n;
	int total_pages, page_index;
	int64_t total_records;
	char search_id[160];
};

/** Start a search request: q->op gets searchRecord xsi:type=<xsi_qname>; *basic is the
 *  element to add criteria to (the searchRecord itself for *SearchBasic types). */
int bh_nss_search_new(struct bh_nss_req *q, const struct bh_nss *c, const char *xsi_qname,
		      bool body_fields_only, xmlNodePtr *basic);
/** Criteria (append in the XSD order of the search type). */
xmlNodePtr bh_nss_crit_string(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			      const char *op, const char *value);
xmlNodePtr bh_nss_crit_enum(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *const *values, size_t n);
xmlNodePtr bh_nss_crit_refs(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *const *internal_ids, size_t n);
xmlNodePtr bh_nss_crit_date(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *op, int64_t ms);
/** customFieldList criteria: a string "is" match or a boolean match on a script id. */
xmlNodePtr bh_nss_crit_cf_string(struct bh_nss_req *q, xmlNodePtr basic, const char *script_id,
				 const char *op, const char *value);
xmlNodePtr bh_nss_crit_cf_bool(struct bh_nss_req *q, xmlNodePtr basic, const char *script_id,
			       bool value);
/** Run a search request and read its first page. */
int bh_nss_search_run(struct bh_nss *c, struct bh_nss_req *q, struct bh_nss_page *pg,
		      struct bh_status *st);
/** Fetch page `page` of an earlier search. BH_ENOENT (code INVALID_SEARCH...) when the
 *  search expired. */
int bh_nss_search_more(struct bh_nss *c, const char *search_id, int page, bool body_fields_only,
		       struct bh_nss_page *pg, struct bh_status *st);
void bh_nss_page_clear(struct bh_nss_page *pg);

/* ------------------------------------------------------------------ items (nssoap_items.c) */

int bh_nss_items_new(size_t cap, int64_t ttl_ms, struct bh_nss_items **out);
void bh_nss_items_free(struct bh_nss_items *it);
/** Internal id of the item whose SKU field equals sku. BH_EREJECT with code UNKNOWN_SKU
 *  (message naming the SKU and the field) when none; other codes from the call. */
int bh_nss_item_iid(struct bh_nss *c, const char *sku, char *iid, size_t len,
		    struct bh_status *st);
/** SKUs of items by internal id (n ids; skus[i] set to malloc'd strings or NULL when
 *  unknown). One search for every miss. Returns 0 or a call error. */
int bh_nss_item_skus(struct bh_nss *c, const char *const *iids, size_t n, char **skus,
		     struct bh_status *st);

/* ------------------------------------------------------------------ shared op helpers */

/** get one record by type and internal or external id. 0 and *rec filled, BH_ENOENT
 *  when it does not exist, or a call error. */
int bh_nss_get(struct bh_nss *c, const char *type, const char *internal_id,
	       const char *external_id, struct bh_nss_rec *rec, struct bh_status *st);
/**
 * Send a write (add/update/upsert request q) and read its writeResponse. On a transient
 * failure it waits, re-reads the record by (type, external_id) — when it now exists the
 * write took effect and that is the answer — and otherwise re-sends, up to c->retries
 * times. On success *iid (>= 24 bytes) holds the internal id. A DUP_RCRD answer to an
 * add is resolved the same way (the record exists: success, *existed = true).
 */
int bh_nss_write(struct bh_nss *c, struct bh_nss_req *q, const char *type,
		 const char *external_id, char *iid, size_t iid_len, bool *existed,
		 struct bh_status *st);
/** Store a malloc'd JSON text of obj into *out (and put obj). */
int bh_nss_json_out(struct json_object *obj, char **out);
/** The canonical write answer {"internal_id","external_id","type","created"}. */
struct json_object *bh_nss_write_answer(const char *iid, const char *eid, const char *type,
					bool created);
/** Parse a JSON document argument; BH_EREJECT (code INVALID_DOCUMENT) when it is not an
 *  object. */
int bh_nss_json_in(const char *text, struct json_object **obj, struct bh_status *st);
/** Money member of a JSON object in cents (missing/null: *cents = 0, *present false).
 *  BH_EREJECT (code INVALID_DOCUMENT) when malformed. */
int bh_nss_json_money(struct json_object *o, const char *key, int64_t *cents, bool *present,
		      struct bh_status *st);
/** String member or NULL. */
const char *bh_nss_json_str(struct json_object *o, const char *key);

/* ------------------------------------------------------------------ document lines
 * (nssoap_returns.c): lines[] and adjustments[] of a document with SKUs resolved, shared
 * by sales orders, RAs and refunds. */

struct bh_nss_dline {
	char iid[32];
	const char *sku, *memo;   /* borrowed from the document */
	int64_t qty, rate, amount, tax;
	bool restock;
	bool adjustment;      /* an adjustment (gift card, fee, bonus...) */
	bool link;            /* look for a source line to link (orderLine) */
	int64_t order_line;   /* 0 = unlinked */
};

struct bh_nss_dlines {
	struct bh_nss_dline *v;
	size_t n;
};

/** Append a zeroed line. 0 or BH_ENOMEM. */
int bh_nss_dl_add(struct bh_nss_dlines *d, struct bh_nss_dline **out);
/** lines[] ({sku, quantity, rate, amount, tax, restock}) with SKUs resolved. */
int bh_nss_read_lines(struct bh_nss *c, struct json_object *doc, struct bh_nss_dlines *d,
		      bool link, struct bh_status *st);
/** adjustments[] ({kind, item, amount, memo}): one untaxed line of quantity 1 each on the
 *  item `item` (SKU), rate = amount. */
int bh_nss_read_adjustments(struct bh_nss *c, struct json_object *doc, struct bh_nss_dlines *d,
			    bool link, struct bh_status *st);
/** Append the line as an itemList <item> in namespace ns (RA, cash refund, credit memo
 *  and sales order items share the order item, orderLine, quantity, description, rate,
 *  amount, taxAmount). */
bool bh_nss_put_line(xmlNsPtr ns, xmlNodePtr list, const struct bh_nss_dline *x);

/* ------------------------------------------------------------------ operations */

int bh_nss_find_sales_order(void *ctx, const char *query, char **out, struct bh_status *st);
int bh_nss_upsert_customer(void *ctx, const char *customer, char **out, struct bh_status *st);
int bh_nss_upsert_sales_order(void *ctx, const char *order, char **out, struct bh_status *st);
int bh_nss_create_ra(void *ctx, const char *ra, char **out, struct bh_status *st);
int bh_nss_get_ra(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nss_create_receipt(void *ctx, const char *receipt, char **out, struct bh_status *st);
int bh_nss_create_refund(void *ctx, const char *refund, char **out, struct bh_status *st);
int bh_nss_close_ra(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nss_related(void *ctx, const char *ref, char **out, struct bh_status *st);
int bh_nss_check_items(void *ctx, const char *query, char **out, struct bh_status *st);
int bh_nss_changes(void *ctx, const char *feed, const char *cursor, char **out,
		   struct bh_status *st);
int bh_nss_poll(void *ctx);
int bh_nss_test_connection(void *ctx, char **out, struct bh_status *st);

/** The billing of a sales order: "cash_sale", "invoice" or NULL (not billed) in *out.
 *  One transaction search on createdFrom. */
int bh_nss_billing(struct bh_nss *c, const char *so_iid, const char **out, struct bh_status *st);

/** Canonical RA JSON (get_return_authorization answer) of a parsed RA record. */
int bh_nss_ra_json(struct bh_nss *c, const struct bh_nss_rec *ra, struct json_object **out,
		   struct bh_status *st);

#endif
