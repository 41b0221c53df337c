/*
 * flowlib.h - the shared library of the sync flows (a noinst convenience library linked
 * into each flow plugin): canonical records parsed into C structs with exact cents, the
 * reconcile checks, the settlement of a return (what goes back how), the ERP documents
 * of sdk/RECORDS.md, ERP answers parsed, deterministic external ids, and the mapping of
 * capability errors to delivery outcomes.
 *
 * Money: every amount is int64 cents (plugins/common/money.h); never a float.
 * Ids: decimal strings, kept as text (Shopify ids exceed 2^53).
 *
 * Ownership: a parsed struct owns its JSON tree; every `const char *` in it points into
 * that tree and stays valid until the matching *_free(). Built documents are new json-c
 * objects owned by the caller (json_object_put). Error texts go to caller buffers.
 * Threading: every function is pure or works on caller-owned data; thread-safe.
 * Stability: this header is used read-only by every flow (also the portal-side flows);
 * members are only appended.
 *
 * Ownership of the library: the NetSuite-writing flows helper (plugins/flowlib/).
 */
#ifndef BH_FLOWLIB_H
#define BH_FLOWLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <backhaul/backhaul.h>

/* ------------------------------------------------------------------------------------
 * External ids (sdk/RECORDS.md "ERP documents")
 * ---------------------------------------------------------------------------------- */

#define BH_FL_XID_CUSTOMER "shopify-customer-"
#define BH_FL_XID_ORDER "shopify-order-"
#define BH_FL_XID_RA "loop-ra-"
#define BH_FL_XID_RECEIPT "loop-ir-"
#define BH_FL_XID_CASH_REFUND "loop-cr-"
#define BH_FL_XID_CREDIT_MEMO "loop-cm-"
#define BH_FL_XID_CUSTOMER_REFUND "loop-crf-"

/** Write prefix + id into buf. Returns 0, or BH_ETOOBIG when it does not fit. */
int bh_fl_xid(char *buf, size_t len, const char *prefix, const char *id);

/* Cross-reference namespaces the flows write (value: the ERP internal id unless said). */
#define BH_FL_XREF_SO "so"             /**< so:<storefront order id> */
#define BH_FL_XREF_RA "ra"             /**< ra:<return id> */
#define BH_FL_XREF_RETURNED "returned" /**< returned:<order id>:<line id> = units on RAs */
#define BH_FL_XREF_PAID "paid"         /**< paid:<order id> = "card=C,gift_card=G,store_credit=S,other=O" (cents) */
#define BH_FL_XREF_LINE "line"         /**< line:<order id>:<line id> = ordered units */
#define BH_FL_XREF_RECEIPT "ir"        /**< ir:<return id> */
#define BH_FL_XREF_REFUND "refund"     /**< refund:<return id> */
#define BH_FL_XREF_RELEASED "released" /**< released:<return id> = state: its units were
					    given back to returned:* (cancelled/expired) */
#define BH_FL_XREF_CANCELLED "cancelled" /**< cancelled:<return id> = "close" or "leave":
					      the return was cancelled in the portal (written by
					      return-cancel; the value is its close_ra_on_cancel).
					      The RA flows write no RA for it; see
					      bh_fl_ensure_ra for the race with that flow */
#define BH_FL_CANCELLED_CLOSE "close"
#define BH_FL_CANCELLED_LEAVE "leave"

/** True when an ops table (of the implementer's size ops->size) has member m set: for
 *  operations appended after 1.0 (erp check_items, related_transactions...). */
#define BH_FL_OPS_HAS(type, ops, m)                                                        \
	((ops) && (ops)->size >= offsetof(type, m) + sizeof(((type *)0)->m) && (ops)->m)

/* ------------------------------------------------------------------------------------
 * JSON helpers
 * ---------------------------------------------------------------------------------- */

/** Member `key` of object o as a string, or NULL (absent, null, not a string). */
const char *bh_fl_jstr(struct json_object *o, const char *key);
/** Member `key` as an id: a string, or an integer written exactly. NULL otherwise.
 *  Integer ids are rendered into the object's own storage (valid with o). */
const char *bh_fl_jid(struct json_object *o, const char *key);
/** Member `key` as cents. Absent or null gives 0 and *present = false (present may be
 *  NULL). Returns 0, or BH_EINVAL for a non-string or badly formed amount. */
int bh_fl_jmoney(struct json_object *o, const char *key, int64_t *cents, bool *present);
/** Member `key` as int64 (integer or decimal string); def when absent. BH_EINVAL else. */
int bh_fl_jint(struct json_object *o, const char *key, int64_t def, int64_t *out);
/** Add a money member ("12.34") to o. */
void bh_fl_jadd_money(struct json_object *o, const char *key, int64_t cents);
/** Add a string member, JSON null when s is NULL. */
void bh_fl_jadd_str(struct json_object *o, const char *key, const char *s);
/** "12.34" for cents into buf (>= 24 bytes). Returns buf. */
const char *bh_fl_money(int64_t cents, char *buf, size_t len);

/* ------------------------------------------------------------------------------------
 * `return/1`
 * ---------------------------------------------------------------------------------- */

struct bh_fl_return_line {
	const char *line_item_id;  /**< storefront line item id, or NULL */
	const char *sku;           /**< NULL when the portal gave none */
	const char *title;
	const char *outcome;       /**< "refund", "exchange", ... or NULL */
	int64_t quantity;
	int64_t price;             /**< unit price before discount */
	int64_t discount, tax, refund;   /**< totals over the quantity */
};

struct bh_fl_return_totals {
	int64_t gross, discount, tax, total;
	int64_t refund, credit, gift_card, exchange, upsell, handling_fee, bonus;
};

struct bh_fl_refund_split {
	const char *gateway;       /**< may be NULL */
	int64_t amount;
};

struct bh_fl_return {
	struct json_object *root;
	const char *id, *state, *trigger, *currency, *created_at, *updated_at, *outcome;
	const char *portal_order_id;     /**< order.portal_order_id */
	const char *order_id;            /**< order.storefront_order_id */
	const char *order_name;          /**< order.name ("#1001") */
	const char *customer_email;
	struct bh_fl_return_line *lines;
	size_t n_lines;
	struct bh_fl_return_totals totals;
	struct bh_fl_refund_split *refunds;
	size_t n_refunds;
	const char *exchange_order_id, *exchange_order_name;   /**< NULL when unknown */
	bool flagged;
	const char *error;               /**< processing_failed only */
	int processed;                   /**< `processed`: 1 true, 0 false, -1 absent/null */
};

/** Parse a `return/1` body. Requires schema "return/1", id, order.storefront_order_id,
 *  lines[] with positive quantities and well-formed money. Returns 0, BH_EINVAL (err
 *  says what and where), BH_ENOMEM. *r is zeroed first; free with bh_fl_return_free
 *  whatever the result. */
int bh_fl_return_parse(const char *body, size_t len, struct bh_fl_return *r, char *err,
		       size_t errlen);
void bh_fl_return_free(struct bh_fl_return *r);

/** The totals checks of RECORDS.md, naming both figures on failure: lines against
 *  gross/discount/tax, gross - discount + tax = total, refund + credit + gift_card +
 *  exchange + handling_fee = total + upsell, no negative amount, upsell <= exchange,
 *  discount <= price x quantity per line. Returns 0 or BH_EINVAL. */
int bh_fl_return_reconcile(const struct bh_fl_return *r, char *err, size_t errlen);

/** A line's net amount (price x quantity - discount) and unit rate after discount
 *  (rounded half away from zero when the discount does not divide evenly; amount stays
 *  exact). */
int64_t bh_fl_line_amount(int64_t price, int64_t quantity, int64_t discount);
int64_t bh_fl_unit_rate(int64_t amount, int64_t quantity);

/* ------------------------------------------------------------------------------------
 * `order/1`
 * ---------------------------------------------------------------------------------- */

struct bh_fl_order_line {
	const char *id, *sku, *title;
	int64_t quantity, price, discount, tax;
};

struct bh_fl_tender {
	const char *gateway, *kind;      /**< kind: card, gift_card, store_credit, other */
	int64_t amount;
};

struct bh_fl_order {
	struct json_object *root;
	const char *id, *name, *created_at, *updated_at, *cancelled_at, *currency;
	const char *financial_status;
	const char *customer_id, *email, *first_name, *last_name;   /**< NULL when absent */
	struct bh_fl_order_line *lines;
	size_t n_lines;
	int64_t shipping_price, shipping_discount, shipping_tax;    /**< sums over shipping[] */
	size_t n_shipping;
	struct {
		int64_t subtotal, discount, shipping, tax, total, refunded;
	} totals;
	bool taxes_included;
	struct bh_fl_tender *tenders;
	size_t n_tenders;
	bool is_exchange;                /**< `exchange` is set */
	const char *exchange_original_id, *exchange_original_name, *exchange_return_id;
};

int bh_fl_order_parse(const char *body, size_t len, struct bh_fl_order *o, char *err,
		      size_t errlen);
void bh_fl_order_free(struct bh_fl_order *o);
/** subtotal = sum of price x quantity; total = subtotal - discount + shipping + tax
 *  (tax left out when taxes_included). Returns 0 or BH_EINVAL naming both figures. */
int bh_fl_order_reconcile(const struct bh_fl_order *o, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------
 * What the customer was paid with, and what a return gives back
 * ---------------------------------------------------------------------------------- */

struct bh_fl_paid {
	bool known;
	int64_t card, gift_card, store_credit, other;
};

/** Sum an order's tenders by kind. */
void bh_fl_paid_of_order(const struct bh_fl_order *o, struct bh_fl_paid *p);
/** "card=C,gift_card=G,store_credit=S,other=O" (cents) for the paid:<order> xref. */
int bh_fl_paid_format(const struct bh_fl_paid *p, char *buf, size_t len);
/** Parse bh_fl_paid_format's text. Returns 0 or BH_EINVAL. */
int bh_fl_paid_parse(const char *text, struct bh_fl_paid *p);

/** Where a return's value goes (cents, all >= 0). cash + gift_card + store_credit +
 *  exchange_credit + fee = items_total (= the return's total). */
struct bh_fl_settle {
	int64_t items_total;       /**< sum of line amount + tax */
	int64_t cash;              /**< back to the original payment (card...) */
	int64_t gift_card;         /**< to a gift card (refund to gift card, gift-card tender) */
	int64_t store_credit;      /**< store credit issued */
	int64_t exchange_credit;   /**< applied to the exchange order (exchange - upsell) */
	int64_t fee;               /**< handling fee kept by the merchant */
	int64_t bonus;             /**< extra credit granted (not part of items_total) */
	bool from_refunds;         /**< the refund split came from refunds[] */
	bool from_paid;            /**< ... or was estimated from the order's tenders */
};

/**
 * Settle a (reconciled) return. The refund to the original payment is split by the
 * portal's refunds[] when they add up to totals.refund (gateway "gift_card" -> gift
 * card, "shopify_store_credit"/"store_credit" -> store credit, others -> cash; store
 * credit entries may instead be the totals.credit amount, bonus included or not). Without
 * usable refunds[]
 * and with paid->known, the refund is split in proportion to the order's tenders
 * (gift card and store credit tenders go back as such). strict: refunds[] that do not
 * add up are an error (used on closed returns) instead of being ignored.
 * Returns 0 or BH_EINVAL (err names both figures).
 */
int bh_fl_settle_return(const struct bh_fl_return *r, const struct bh_fl_paid *paid,
			bool strict, struct bh_fl_settle *s, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------
 * ERP documents (sdk/RECORDS.md). Items name the ERP items of the adjustment lines.
 * ---------------------------------------------------------------------------------- */

struct bh_fl_items {
	const char *gift_card;         /**< default GIFT-CARD */
	const char *store_credit;      /**< default GIFT-CARD */
	const char *exchange_credit;   /**< default GIFT-CARD */
	const char *fee;               /**< default RESTOCKING-FEE */
	const char *bonus;             /**< default GIFT-CARD: the item the bonus is issued on */
};

/** {"external_id", "email", "first_name", "last_name"}; guest_xid is used when the
 *  order has no customer id. NULL on ENOMEM. */
struct json_object *bh_fl_customer_doc(const struct bh_fl_order *o, const char *guest_xid);
/** The sales order document. customer_xid: the customer's external id; exchange_of:
 *  "shopify-order-<original>" or NULL. Lines without SKU are refused (BH_EINVAL, err
 *  names the line). */
int bh_fl_sales_order_doc(const struct bh_fl_order *o, const char *customer_xid,
			  const char *exchange_of, struct json_object **out, char *err,
			  size_t errlen);
/** The same with the items of the tender lines: `adjustments` gets one negative line per
 *  non-card tender kind ({"kind": "gift_card", "item": it->gift_card, "amount": "-X",
 *  "memo": "Shopify order #N: paid by gift card"}; store_credit on it->store_credit),
 *  so billing the order debits the liability the tender used (sdk/RECORDS.md,
 *  "Additions of 2026-11-27"). it NULL: both on GIFT-CARD. `tenders` is kept as is.
 *  bh_fl_sales_order_doc is this with it = NULL. */
int bh_fl_sales_order_doc_ex(const struct bh_fl_order *o, const char *customer_xid,
			     const char *exchange_of, const struct bh_fl_items *it,
			     struct json_object **out, char *err, size_t errlen);
/** The adjustments[] array of a settlement (gift card, store credit, exchange credit,
 *  fee lines, each negative; zero amounts left out). */
struct json_object *bh_fl_adjustments(const struct bh_fl_settle *s, const struct bh_fl_items *it,
				      const char *return_id);
/** lines[] of a return: {"sku", "quantity", "rate", "amount", "tax"}. Lines without a
 *  SKU are refused (BH_EINVAL naming the return and the line). */
int bh_fl_return_lines(const struct bh_fl_return *r, struct json_object **out, char *err,
		       size_t errlen);
/** The return authorization document; so_internal_id or so_external_id names the sales
 *  order (one of them non-NULL). */
int bh_fl_ra_doc(const struct bh_fl_return *r, const struct bh_fl_settle *s,
		 const struct bh_fl_items *it, const char *so_internal_id,
		 const char *so_external_id, struct json_object **out, char *err, size_t errlen);
/** The item receipt document (loop-ir-<rid>) against ra_internal_id: the return's lines
 *  with restock. */
int bh_fl_receipt_doc(const struct bh_fl_return *r, const char *ra_internal_id, bool restock,
		      struct json_object **out, char *err, size_t errlen);

enum bh_fl_refund_doc {
	BH_FL_DOC_CASH_REFUND = 0,
	BH_FL_DOC_CREDIT_MEMO = 1,
};

/** The refund document (loop-cr-<rid> or loop-cm-<rid>) from the RA: lines, the
 *  settlement's adjustments, bonus (and bonus_item) when > 0, and for a credit memo
 *  with cash > 0 the customer refund loop-crf-<rid> for the cash part. */
int bh_fl_refund_doc(const struct bh_fl_return *r, const struct bh_fl_settle *s,
		     const struct bh_fl_items *it, enum bh_fl_refund_doc doc,
		     const char *ra_internal_id, struct json_object **out, char *err,
		     size_t errlen);

/* ------------------------------------------------------------------------------------
 * ERP answers
 * ---------------------------------------------------------------------------------- */

struct bh_fl_erp_line {
	const char *sku;
	int64_t quantity, quantity_received, quantity_billed;
	bool closed;
};

/** A sales order (find_sales_order) or an RA (get_return_authorization) answer. */
struct bh_fl_erp_doc {
	struct json_object *root;
	const char *internal_id, *external_id, *status, *tran_id;
	const char *billing;             /**< sales order: "cash_sale", "invoice" or NULL */
	const char *sales_order_iid;     /**< RA: its sales order's internal id */
	bool flag;                       /**< RA: the flag field */
	struct bh_fl_erp_line *lines;
	size_t n_lines;
};

int bh_fl_erp_doc_parse(const char *text, struct bh_fl_erp_doc *d, char *err, size_t errlen);
void bh_fl_erp_doc_free(struct bh_fl_erp_doc *d);
/** Units of sku on the document's lines (closed lines included). */
int64_t bh_fl_erp_qty(const struct bh_fl_erp_doc *d, const char *sku);
/** Units of sku received on an RA's lines. */
int64_t bh_fl_erp_received(const struct bh_fl_erp_doc *d, const char *sku);

/** A write answer {"internal_id", "external_id", "type", "created"}. */
struct bh_fl_write {
	char internal_id[64];
	char external_id[128];
	bool created;
};

int bh_fl_write_parse(const char *text, struct bh_fl_write *w);

/* ------------------------------------------------------------------------------------
 * `erp-receipt/1` and `erp-ra/1`
 * ---------------------------------------------------------------------------------- */

struct bh_fl_erp_event {
	struct json_object *root;
	const char *schema;              /**< "erp-receipt/1" or "erp-ra/1" */
	const char *internal_id, *external_id, *return_id;
	const char *ra_internal_id, *ra_external_id;   /**< erp-receipt/1: its RA */
	const char *status;              /**< erp-ra/1 */
	bool flag;                       /**< erp-ra/1 */
};

int bh_fl_erp_event_parse(const char *body, size_t len, struct bh_fl_erp_event *e, char *err,
			  size_t errlen);
void bh_fl_erp_event_free(struct bh_fl_erp_event *e);

/* ------------------------------------------------------------------------------------
 * Calling capabilities from deliver()
 * ---------------------------------------------------------------------------------- */

/** Retry delay used for BH_EAUTH when the flow has no setting (1 hour). */
#define BH_FL_AUTH_RETRY_MS (60LL * 60 * 1000)

/**
 * Set the delivery outcome for a failed capability call: BH_ERETRY -> retry after the
 * status's retry_after; BH_EREJECT -> reject "<what>: CODE: message"; BH_EAUTH -> retry
 * after auth_retry_ms (the operator fixes credentials; nothing is dead-lettered);
 * BH_ENOENT -> reject (callers that expect ENOENT handle it first); other codes ->
 * retry (backoff). what names the place ("return 6042537: create RA loop-ra-6042537").
 */
void bh_fl_fail(const struct bh_host *h, bh_result *res, int rc, const struct bh_status *st,
		int64_t auth_retry_ms, const char *what);

/** Read an xref into buf. Returns the length, BH_ENOENT, or another negative code. */
int bh_fl_xref(const struct bh_host *h, bh_instance *inst, const char *ns, const char *key,
	       char *buf, size_t len);

/** Look up endpoint `name` offering `cap` (from configure()); logs a clear error. */
int bh_fl_endpoint(const struct bh_host *h, bh_instance *inst, const char *setting,
		   const char *name, const char *cap, struct bh_cap *out);

/** Log a document (compact JSON) at info level, prefixed by what ("dry run: would
 *  create ..."). */
void bh_fl_log_doc(const struct bh_host *h, bh_instance *inst, const char *what,
		   struct json_object *doc);

/* ------------------------------------------------------------------------------------
 * Flow steps shared by the returns flows (fl_steps.c)
 * ---------------------------------------------------------------------------------- */

/** What every flow keeps: the instance, the host, its endpoints and common settings.
 *  A flow embeds it in its context and points its config rows at these fields. */
struct bh_fl_env {
	bh_instance *inst;
	const struct bh_host *h;
	/* settings (filled by the core) */
	const char *erp_name;            /**< `erp`: endpoint instance (required) */
	const char *storefront_name;     /**< `storefront`: endpoint instance (optional) */
	int64_t missing_retry_ms;        /**< wait for something not in the ERP yet */
	int64_t auth_retry_ms;           /**< wait after an authentication refusal */
	struct bh_fl_items items;
	/* resolved by bh_fl_env_configure() */
	const struct bh_erp_ops *erp;
	void *erp_ctx;
	const struct bh_storefront_ops *sf;   /**< NULL when no storefront is configured */
	void *sf_ctx;
	/* appended: the returns portal (optional), re-read before an RA is written */
	const char *portal_name;         /**< `portal`: endpoint instance (optional) */
	const struct bh_portal_ops *po;  /**< NULL when no portal is configured */
	void *po_ctx;
};

/** Resolve the endpoints named by the settings (from configure()) and check the item
 *  settings the flow uses (non-NULL ones must not be empty); logs clear errors.
 *  Returns 0, BH_ECONFIG, or the lookup's error. */
int bh_fl_env_configure(struct bh_fl_env *e);

/** A step's result besides 0: the delivery outcome (retry or reject) is already set. */
#define BH_FL_STOP 1
/** bh_fl_ensure_ra: the return is cancelled; no RA was written, or the one the race
 *  with return-cancel left was closed. The outcome is ok (xrefs attached); the caller
 *  writes nothing more for the return. */
#define BH_FL_CANCELLED 2

/** The sales order of a storefront order: by external id shopify-order-<id>, then by
 *  the Shopify order id. Returns 0 (*so filled; free it), BH_ENOENT, or the
 *  capability's error with st filled. */
int bh_fl_find_sales_order(const struct bh_fl_env *e, const char *order_id,
			   struct bh_fl_erp_doc *so, struct bh_status *st);
/** The RA of a return: ra:<rid> xref (internal id), else external id loop-ra-<rid>.
 *  Returns 0 (*ra filled; free it), BH_ENOENT, or the capability's error. */
int bh_fl_get_ra(const struct bh_fl_env *e, const char *return_id, struct bh_fl_erp_doc *ra,
		 struct bh_status *st);
/** What the order was paid with: paid:<order> xref, else the storefront's order when a
 *  storefront is configured; p->known is false when neither answers. */
void bh_fl_paid_lookup(const struct bh_fl_env *e, const char *order_id, struct bh_fl_paid *p);

/**
 * Create the RA of a reconciled, settled return (shared by return-authorization and,
 * with create_on_refund, refund): find the sales order (not there: retry after
 * missing_retry, S15), refuse an over-return (returned:<order>:<line> xrefs against
 * the ordered quantity, S2/S13), build the document, and create it (idempotent on
 * loop-ra-<rid>). On success ra_iid holds the internal id ("" in dry run, where the
 * document is only logged) and the xrefs ra:<rid> and returned:* are attached to res.
 *
 * A return cancelled in the portal gets no RA (SCENARIOS S8/S15): before writing, the
 * cancelled:<rid> mark of return-cancel is read (and, with a portal configured, the
 * return's state re-read from it); after the create, the mark is read again. A mark
 * found after the create means return-cancel acknowledged the cancellation while the
 * RA was being written: with "close" the RA is closed here (its units released). The
 * other half of the race is return-cancel's (plugins/flow_return_cancel/return_cancel.c):
 * when it finds no RA it commits the mark and re-checks the RA in a follow-up record,
 * so whichever side reads last sees the other's write and the close is never lost.
 * Returns 0, BH_FL_STOP (outcome set on res), or BH_FL_CANCELLED.
 */
int bh_fl_ensure_ra(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r,
		    const struct bh_fl_settle *s, char *ra_iid, size_t len);

/** A return cancelled or expired after its RA was written: give its units back to the
 *  over-return guard (returned:* xrefs decreased, released:<rid> set, both attached to
 *  res) so they can be returned again. Idempotent. Returns 1 when released, 0 when
 *  there was nothing to release (no RA, or already released), BH_ENOMEM. */
int bh_fl_release_returned(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r);

/**
 * Ask the ERP whether every item of a document exists (lines[].sku, adjustments[].item,
 * bonus_item; erp check_items, sdk/RECORDS.md) before anything is written for it.
 * Unknown SKU -> reject "<what>: UNKNOWN_SKU: <the ERP's message naming the SKUs and
 * field>"; other failures per bh_fl_fail. An ERP without check_items: 0 (the write
 * itself refuses unknown SKUs). Returns 0 or BH_FL_STOP (outcome set on res).
 */
int bh_fl_check_items(const struct bh_fl_env *e, bh_result *res, struct json_object *doc,
		      const char *what);

/** The cancelled:<return id> mark (see BH_FL_XREF_CANCELLED): 1 with its value in buf
 *  ("close" or "leave"), 0 when the return is not known cancelled. */
int bh_fl_cancelled(const struct bh_fl_env *e, const char *return_id, char *buf, size_t len);

/** Close the RA with internal id ra_iid (close_return_authorization; closing a closed
 *  RA succeeds). Returns 0, or BH_FL_STOP with the outcome set (what names the place). */
int bh_fl_close_ra(const struct bh_fl_env *e, bh_result *res, const char *ra_iid,
		   const char *what);

/** Return states after which no ERP document is written ("cancelled", "expired"). */
bool bh_fl_return_dead(const struct bh_fl_return *r);
/** RA statuses that take no further document ("closed", "cancelled"). */
bool bh_fl_ra_closed(const struct bh_fl_erp_doc *ra);
/** Units of the return's SKUs received on the RA, and the return's total units. */
void bh_fl_ra_receipt_state(const struct bh_fl_erp_doc *ra, const struct bh_fl_return *r,
			    int64_t *received, int64_t *units);

#endif
