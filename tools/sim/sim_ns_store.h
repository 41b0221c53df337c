/*
 * sim_ns_store.h - the NetSuite simulator's record store and general ledger.
 *
 * Purpose
 *   One in-memory NetSuite account: customers, items, transactions (sales orders, cash
 *   sales, invoices, item fulfilments, return authorizations, item receipts, credit memos,
 *   cash refunds, customer refunds), their custom fields, createdFrom links, externalId
 *   uniqueness per record group, derived statuses, and the general ledger every posting
 *   transaction writes (chart of accounts and posting rules of shared/SCENARIOS.md).
 *   SOAP (sim_ns_soap.c), the REST record API + SuiteQL (sim_ns_rest.c) and the control
 *   API (sim_netsuite.c) all read and write through this header, so a record written by
 *   one transport is seen by the others and posts to the same ledger.
 *
 * Ownership
 *   Owned by the NetSuite service helper (sim_ns_store.c, sim_ns_gl.c). struct bh_sim_ns
 *   is opaque. Records (struct bh_sim_ns_rec) are owned by the store once added and are
 *   never freed before bh_sim_ns_free (there is no delete); a "draft" made with
 *   bh_sim_ns_rec_new / bh_sim_ns_initialize belongs to the caller until it is passed to
 *   bh_sim_ns_add / bh_sim_ns_update / bh_sim_ns_upsert, which always take it (free it or
 *   keep it) whatever they return.
 *
 * Threading (read this)
 *   One mutex per service. EVERY function below must be called with that mutex held
 *   (bh_sim_ns_lock ... bh_sim_ns_unlock), EXCEPT: bh_sim_ns_lock, bh_sim_ns_unlock,
 *   bh_sim_ns_conc_acquire, bh_sim_ns_conc_release, bh_sim_ns_conc_limit and the pure
 *   helpers marked "pure" (no store access; any thread). Pointers returned by lookups are
 *   borrowed: read them only while holding the lock. Do not call another service
 *   (bh_sim_control_call) while holding it.
 *
 * Conventions
 *   Money is int64 cents (minor units), signed; never double. Decimal strings in and out
 *   go through bh_sim_ns_money_parse / bh_sim_ns_money_fmt ("43.20", "-5.00"). More
 *   than two decimals are rounded half away from zero to the cent. Quantities are whole
 *   units (int64). Times are Unix epoch milliseconds (int64). Internal ids are positive
 *   int64 drawn from one account-wide sequence (unique across all record types).
 *   "Unset" in a draft: int64 fields BH_SIM_NS_UNSET, tri-state booleans -1, strings
 *   NULL. Error codes are NetSuite's own strings (DUP_RCRD, RCRD_DSNT_EXIST,
 *   INVALID_KEY_OR_REF, USER_ERROR, INVALID_INITIALIZE_REF, INSUFFICIENT_PERMISSION,
 *   TRANS_ALREADY_REFUNDED, INVALID_FLD_VALUE, INVALID_RCRD_TYPE, INVALID_INITIALIZE_ARG,
 *   CANT_CANCEL_APPRVD_RETRN_AUTH); 
 *   each transport maps them onto its wire shape (SOAP statusDetail, REST o:errorCode).
 */
#ifndef BH_SIM_NS_STORE_H
#define BH_SIM_NS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct bh_sim_ns;

/** "Not set" for int64 fields of a draft. */
#define BH_SIM_NS_UNSET INT64_MIN

/* ------------------------------------------------------------------ record types */

/** Record types the simulator keeps. Names are SOAP RecordType values, which are also
 *  the REST record ids ("salesOrder", "returnAuthorization", ...). */
enum bh_sim_ns_type {
	BH_SIM_NS_T_NONE = 0,
	/* entities */
	BH_SIM_NS_T_CUSTOMER,
	/* items */
	BH_SIM_NS_T_INVENTORY_ITEM,        /* inventoryItem */
	BH_SIM_NS_T_NON_INVENTORY_ITEM,    /* nonInventorySaleItem */
	BH_SIM_NS_T_OTHER_CHARGE_ITEM,     /* otherChargeSaleItem */
	BH_SIM_NS_T_GIFT_CERT_ITEM,        /* giftCertificateItem */
	BH_SIM_NS_T_DISCOUNT_ITEM,         /* discountItem */
	BH_SIM_NS_T_SALES_TAX_ITEM,        /* salesTaxItem */
	/* transactions (one externalId group) */
	BH_SIM_NS_T_SALES_ORDER,           /* salesOrder */
	BH_SIM_NS_T_CASH_SALE,             /* cashSale */
	BH_SIM_NS_T_INVOICE,               /* invoice */
	BH_SIM_NS_T_ITEM_FULFILLMENT,      /* itemFulfillment */
	BH_SIM_NS_T_RETURN_AUTHORIZATION,  /* returnAuthorization */
	BH_SIM_NS_T_ITEM_RECEIPT,          /* itemReceipt */
	BH_SIM_NS_T_CREDIT_MEMO,           /* creditMemo */
	BH_SIM_NS_T_CASH_REFUND,           /* cashRefund */
	BH_SIM_NS_T_CUSTOMER_REFUND,       /* customerRefund */
	BH_SIM_NS_T_COUNT
};

/** Record groups: externalIds are unique (case-insensitively) within a group. */
enum bh_sim_ns_group {
	BH_SIM_NS_G_NONE = 0,
	BH_SIM_NS_G_ENTITY,
	BH_SIM_NS_G_ITEM,
	BH_SIM_NS_G_TRANSACTION,
};

/** pure. RecordType / REST record id of a type ("returnAuthorization"), NULL for NONE. */
const char *bh_sim_ns_type_name(enum bh_sim_ns_type t);
/** pure. Type from a RecordType / REST record id (exact case), or BH_SIM_NS_T_NONE. */
enum bh_sim_ns_type bh_sim_ns_type_parse(const char *name);
/** pure. Group of a type. */
enum bh_sim_ns_group bh_sim_ns_type_group(enum bh_sim_ns_type t);
/** pure. SuiteQL transaction.type code ("SalesOrd", "RtnAuth", "ItemRcpt", "CustCred",
 *  "CashRfnd", "CustRfnd", "CashSale", "CustInvc", "ItemShip"), NULL for non-transactions. */
const char *bh_sim_ns_type_suiteql(enum bh_sim_ns_type t);
/** pure. SOAP search TransactionType value ("_returnAuthorization"), NULL if none. */
const char *bh_sim_ns_type_search(enum bh_sim_ns_type t);
/** pure. Type from a TransactionType search value ("_salesOrder"), or NONE. */
enum bh_sim_ns_type bh_sim_ns_type_from_search(const char *value);
/** pure. Display prefix of tranId ("SO", "RMA", "IR", "CM", "CR", "CS", "INV", "IF",
 *  "CRF"). */
const char *bh_sim_ns_type_tranid_prefix(enum bh_sim_ns_type t);

/** What an item is used for; drives posting rules (control API "type"). */
enum bh_sim_ns_item_kind {
	BH_SIM_NS_K_NONE = 0,
	BH_SIM_NS_K_INVENTORY,    /* "inventory": receivable; fulfilment/receipt post cost */
	BH_SIM_NS_K_NONINVENTORY, /* "noninventory": receivable, no cost postings */
	BH_SIM_NS_K_GIFTCARD,     /* "giftcard": Shopify gift card / store credit, posts to
				     Gift Card Liability (a non-inventory item, per the
				     NetSuite Connector's WebOrderGiftCard guidance) */
	BH_SIM_NS_K_FEE,          /* "fee": restocking/handling fee, Restocking Fee Income */
	BH_SIM_NS_K_DISCOUNT,     /* "discount" */
	BH_SIM_NS_K_SHIPPING,     /* "shipping" */
	BH_SIM_NS_K_TAX,          /* "tax": sales tax item with a rate, Sales Tax Payable */
};

/** pure. Kind from its control API name ("inventory", ...) or K_NONE. */
enum bh_sim_ns_item_kind bh_sim_ns_kind_parse(const char *name);
/** pure. Control API name of a kind. */
const char *bh_sim_ns_kind_name(enum bh_sim_ns_item_kind k);

/* ------------------------------------------------------------------ records */

enum bh_sim_ns_cf_type {
	BH_SIM_NS_CF_BOOLEAN = 1, /* value "true" / "false" */
	BH_SIM_NS_CF_STRING,
	BH_SIM_NS_CF_LONG,        /* decimal integer text */
	BH_SIM_NS_CF_DOUBLE,      /* decimal text as received */
	BH_SIM_NS_CF_DATE,        /* xsd:dateTime text as received */
	BH_SIM_NS_CF_SELECT,      /* value = internalId of the selected entry */
};

/** One custom field value (body: custbody_*, item: custitem_*, entity: custentity_*,
 *  line: custcol_*). */
struct bh_sim_ns_cf {
	char *script_id;
	enum bh_sim_ns_cf_type type;
	char *value;              /* NULL when nulled */
};

/** One item line (itemList/item on every transaction type). */
struct bh_sim_ns_line {
	int64_t line;             /* key, 1-based, unique within the record; UNSET in a draft
				     means "new line" */
	int64_t item;             /* item internal id */
	int64_t order_line;       /* the createdFrom transaction's line this comes from, or
				     UNSET/0 */
	int64_t quantity;         /* whole units */
	int64_t rate;             /* cents per unit */
	int64_t amount;           /* cents, signed (gift-card / fee lines are negative); in a
				     stored record always set (quantity x rate when not given) */
	int64_t tax;              /* cents of tax on the line (taxAmount / tax1Amt, or from
				     taxCode's rate); 0 when none */
	int64_t tax_code;         /* sales tax item internal id, or UNSET/0 */
	int is_taxable;           /* tri-state in drafts */
	int is_closed;            /* tri-state in drafts; 0/1 stored */
	int item_receive;         /* item receipt: receive this line (default true) */
	int restock;              /* item receipt: back to inventory (default true) */
	int64_t location;         /* location internal id, or UNSET/0 */
	char *description;
	int64_t qty_received;     /* SO: fulfilled; RA: received (read-only, maintained) */
	int64_t qty_billed;       /* SO: billed; RA: refunded/credited (read-only) */
	struct bh_sim_ns_cf *cf;
	size_t n_cf;
};

/** One general-ledger line. Exactly one of debit/credit is non-zero. */
struct bh_sim_ns_gl_line {
	int64_t account;          /* account id (bh_sim_ns_accounts) */
	int64_t debit;            /* cents >= 0 */
	int64_t credit;           /* cents >= 0 */
	int64_t line;             /* source line key, 0 = body (tax total, net, shipping) */
	const char *memo;         /* static text: "item", "tax", "net", "shipping", "cost",
				     "discount" */
};

/** Customer refund apply line: a credit memo applied (applyList/apply). */
struct bh_sim_ns_apply {
	int64_t doc;              /* credit memo internal id */
	int64_t amount;           /* cents */
};

/**
 * A record. Entity fields are used by customers, item fields by items, the rest by
 * transactions; unused ones stay zero/NULL/UNSET.
 */
struct bh_sim_ns_rec {
	enum bh_sim_ns_type type;
	int64_t id;               /* internalId (0 in an unsaved draft) */
	char *external_id;        /* NULL if none */
	int64_t created_ms;       /* createdDate */
	int64_t modified_ms;      /* lastModifiedDate, bumped on every change */

	/* --- customer --- */
	char *entity_id;          /* entityId (display name) */
	char *first_name, *last_name, *company_name, *email, *phone;
	int is_person;            /* tri-state */

	/* --- item --- */
	enum bh_sim_ns_item_kind kind;
	char *item_id;            /* itemId (the SKU unless sku_field is a custom field) */
	char *display_name;
	int64_t cost;             /* cents (inventory: unit cost) */
	int64_t price;            /* cents (base price) */
	int64_t tax_rate_ppm;     /* tax items: rate in millionths (8% = 80000) */
	int64_t income_account;   /* account id: sales posting account of the item */
	int is_inactive;          /* tri-state */

	/* --- transaction body --- */
	char *tran_id;            /* "RMA1001"; assigned on add when not given */
	int64_t entity;           /* customer internal id */
	int64_t created_from;     /* source transaction internal id, or UNSET/0 */
	int64_t tran_date_ms;
	char *memo;
	char *other_ref_num;
	char *currency;           /* ISO code, default "USD" */
	char *order_status;       /* settable enum value without prefix check, e.g.
				     "_pendingReceipt", "_pendingApproval" (SO/RA); NULL =
				     default */
	int64_t location;         /* UNSET/0 when none */
	int64_t shipping_cost;    /* cents (SO, cash sale, invoice); UNSET/0 none */
	int64_t ship_method;      /* shipping item internal id, or UNSET/0 */
	int64_t discount_item;    /* body discount item, or UNSET/0 */
	int64_t discount_total;   /* cents, <= 0 (negative), applied to the subtotal */
	char *discount_rate;      /* as sent ("-10%" or "-5.00"); NULL none */
	int64_t tax_item;         /* body taxItem (legacy US tax), or UNSET/0 */
	int64_t account;          /* cash sale/refund: deposit account; UNSET = default */
	char *payment_method;     /* free text/id as sent */
	int64_t total;            /* cents, computed on add/update: sum(amount + tax) +
				     shipping + discount */
	int64_t subtotal;         /* cents, sum of line amounts */
	int64_t tax_total;        /* cents */
	int cancelled;            /* RA/SO cancelled (UI action; control API) */
	struct bh_sim_ns_line *lines;
	size_t n_lines;
	struct bh_sim_ns_apply *apply;   /* customer refund */
	size_t n_apply;
	struct bh_sim_ns_cf *cf;         /* body custom fields */
	size_t n_cf;
	int64_t applied;          /* credit memo: cents applied by customer refunds */
	int64_t *children;        /* ids of records whose createdFrom is this one, in
				     creation order (read-only, maintained by the store) */
	size_t n_children;
	/* --- general ledger (posting transactions only; empty otherwise) --- */
	struct bh_sim_ns_gl_line *gl;
	size_t n_gl;

	/* --- draft-only --- */
	int lines_replace_all;    /* tri-state: itemList@replaceAll (default true) */
	bool lines_given;         /* an itemList was sent */
	char **null_fields;       /* nullFieldList names */
	size_t n_null_fields;
};

/** A draft record of the given type, every field unset. Returns NULL on ENOMEM. */
struct bh_sim_ns_rec *bh_sim_ns_rec_new(enum bh_sim_ns_type type);
/** Free a draft (or a deep copy). NULL is fine. Never call it on a stored record. */
void bh_sim_ns_rec_free(struct bh_sim_ns_rec *r);
/** Append a blank (all unset) line to a draft; returns it or NULL on ENOMEM. */
struct bh_sim_ns_line *bh_sim_ns_rec_add_line(struct bh_sim_ns_rec *r);
/** Set (replace or append) a custom field on a record/draft body. value copied; NULL
 *  nulls it. Returns 0 or BH_ENOMEM. */
int bh_sim_ns_cf_set(struct bh_sim_ns_cf **cf, size_t *n, const char *script_id,
		     enum bh_sim_ns_cf_type type, const char *value);
/** A custom field by script id (case-insensitive), or NULL. */
const struct bh_sim_ns_cf *bh_sim_ns_cf_get(const struct bh_sim_ns_cf *cf, size_t n,
					     const char *script_id);
/** Set a string field of a draft (copies; replaces). Returns 0 or BH_ENOMEM. */
int bh_sim_ns_str_set(char **field, const char *value);
/** Add a name to a draft's nullFieldList (copied). Returns 0 or BH_ENOMEM. */
int bh_sim_ns_rec_null_field(struct bh_sim_ns_rec *r, const char *name);
/** A line of a record by its line key, or NULL. */
struct bh_sim_ns_line *bh_sim_ns_line_get(const struct bh_sim_ns_rec *r, int64_t line);

/* ------------------------------------------------------------------ errors */

/** A record-level error (NetSuite statusDetail). code is a static NetSuite code string;
 *  message is NetSuite's text; field names the offending field when known ("entity",
 *  "item.item", "externalId"), else "". */
struct bh_sim_ns_err {
	const char *code;
	char message[400];
	char field[64];
};

/* ------------------------------------------------------------------ service state */

/**
 * Create the account (the NetSuite service's state: bh_sim_service_netsuite.create()
 * returns exactly this pointer, so REST code and tests may cast create()'s result to
 * struct bh_sim_ns *). opts (may be NULL) keys used here: "account" (default
 * "1234567_SB1"), "version" ("2023_2"), "sku_field" ("itemId"), "flag_field"
 * ("custbody_bh_review_flag"), "shopify_field" ("custbody_bh_shopify_order_id"),
 * "concurrency_limit" (5), "ra_requires_approval" (false: new RAs are Pending Receipt
 * unless orderStatus says otherwise), "consumer_key", "consumer_secret", "token_id",
 * "token_secret" (the default credential; defaults "bh-sim-consumer-key",
 * "bh-sim-consumer-secret", "bh-sim-token-id", "bh-sim-token-secret"). The chart of
 * accounts is SCENARIOS.md's. Returns NULL on ENOMEM. No lock needed (not yet shared).
 */
struct bh_sim_ns *bh_sim_ns_new(struct json_object *opts);
/** Free the account and every record (no lock; nothing may use it any more). */
void bh_sim_ns_free(struct bh_sim_ns *ns);
/** Private slot for the SOAP layer (sim_ns_soap.c), NULL until set. No lock needed. */
void *bh_sim_ns_soap_slot(const struct bh_sim_ns *ns);
void bh_sim_ns_set_soap_slot(struct bh_sim_ns *ns, void *soap);

/** Lock / unlock the store (one mutex for the whole NetSuite service). */
void bh_sim_ns_lock(struct bh_sim_ns *ns);
void bh_sim_ns_unlock(struct bh_sim_ns *ns);

/** Current simulated time in ms (wall clock plus the control API clock offset). */
int64_t bh_sim_ns_now_ms(const struct bh_sim_ns *ns);
/** The account id ("1234567_SB1" by default; upper case, underscore, as in TBA realm). */
const char *bh_sim_ns_account_id(const struct bh_sim_ns *ns);
/** The SOAP version token in use ("2023_2"). */
const char *bh_sim_ns_version(const struct bh_sim_ns *ns);
/** The item field holding SKUs: "itemId" (default) or a custitem_* script id. */
const char *bh_sim_ns_sku_field(const struct bh_sim_ns *ns);
/** The RA review flag checkbox body field ("custbody_bh_review_flag" by default). */
const char *bh_sim_ns_flag_field(const struct bh_sim_ns *ns);
/** The sales order body field holding the Shopify order id
 *  ("custbody_bh_shopify_order_id" by default). */
const char *bh_sim_ns_shopify_field(const struct bh_sim_ns *ns);

/* ------------------------------------------------------------------ concurrency */

/** Take one slot of the account concurrency limit (shared by SOAP and REST). Returns 0,
 *  or BH_EBUSY when the limit is reached (SOAP: WS_REQUEST_BLOCKED fault; REST: 429
 *  CONCURRENCY_LIMIT_EXCEEDED). Lock-free; callable without the store lock. */
int bh_sim_ns_conc_acquire(struct bh_sim_ns *ns);
/** Give the slot back (exactly once per successful acquire). */
void bh_sim_ns_conc_release(struct bh_sim_ns *ns);
/** The configured limit (default 5). */
int bh_sim_ns_conc_limit(const struct bh_sim_ns *ns);
/** Set the limit and the number of slots held by other (simulated) integrations; a
 *  negative value leaves that setting unchanged. Lock-free. */
void bh_sim_ns_conc_set(struct bh_sim_ns *ns, int limit, int held);
/** Slots in use now (requests in flight + held). Lock-free. */
int bh_sim_ns_conc_in_use(const struct bh_sim_ns *ns);

/* ------------------------------------------------------------------ TBA credentials */

/** An integration record + access token of the account (control POST /accounts). */
struct bh_sim_ns_cred {
	char *account;            /* account id as it must appear in tokenPassport / realm */
	char *consumer_key, *consumer_secret;
	char *token_id, *token_secret;
	char **deny;              /* record type names this token's role may not use */
	size_t n_deny;
};

/** The credential matching account + consumer key + token id, or NULL. The account is
 *  compared exactly (a lower-case "_sb1" realm is refused, as NetSuite does). */
const struct bh_sim_ns_cred *bh_sim_ns_cred_find(const struct bh_sim_ns *ns, const char *account,
						 const char *consumer_key, const char *token_id);
/** Add or replace (same consumer key + token id) a credential; deny (may be NULL) lists
 *  record type names refused to the token's role. 0 or BH_ENOMEM / BH_EINVAL. */
int bh_sim_ns_cred_add(struct bh_sim_ns *ns, const char *account, const char *consumer_key,
		       const char *consumer_secret, const char *token_id,
		       const char *token_secret, const char *const *deny, size_t n_deny);
/** Number of credentials and the i-th (for listing). */
size_t bh_sim_ns_cred_count(const struct bh_sim_ns *ns);
const struct bh_sim_ns_cred *bh_sim_ns_cred_at(const struct bh_sim_ns *ns, size_t i);
/** Set the simulated clock offset (ms added to the wall clock). */
void bh_sim_ns_set_clock_offset(struct bh_sim_ns *ns, int64_t offset_ms);
/** Whether the credential's role may use the record type. */
bool bh_sim_ns_cred_allows(const struct bh_sim_ns_cred *c, enum bh_sim_ns_type t);
/** Timestamp (Unix seconds) within +-5 minutes of the simulated clock? */
bool bh_sim_ns_tba_time_ok(const struct bh_sim_ns *ns, int64_t timestamp);
/** Record a nonce for (consumer key, token). Returns 0, or BH_EEXIST when this nonce was
 *  already used with this token in the last 10 minutes, whatever its timestamp
 *  (NonceUsed). Older nonces are forgotten (their timestamps are stale anyway). */
int bh_sim_ns_nonce_use(struct bh_sim_ns *ns, const char *consumer_key, const char *token_id,
			const char *nonce, int64_t timestamp);

/* ------------------------------------------------------------------ lookups */

/** Record by internal id, optionally requiring a type (NONE = any), or NULL. */
struct bh_sim_ns_rec *bh_sim_ns_get(struct bh_sim_ns *ns, enum bh_sim_ns_type t, int64_t id);
/** Record of a type by externalId (case-insensitive), or NULL. */
struct bh_sim_ns_rec *bh_sim_ns_find_eid(struct bh_sim_ns *ns, enum bh_sim_ns_type t,
					  const char *external_id);
/** Item by SKU on the configured SKU field, or NULL. */
struct bh_sim_ns_rec *bh_sim_ns_item_by_sku(struct bh_sim_ns *ns, const char *sku);
/** The SKU of an item (value of the configured SKU field), or NULL. */
const char *bh_sim_ns_item_sku(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *item);
/** Number of stored records, and the i-th in creation order (0-based), for scans. */
size_t bh_sim_ns_count(const struct bh_sim_ns *ns);
struct bh_sim_ns_rec *bh_sim_ns_at(struct bh_sim_ns *ns, size_t i);
/** Sales order whose Shopify order id field (or otherRefNum) equals the id, or NULL. */
struct bh_sim_ns_rec *bh_sim_ns_find_shopify_order(struct bh_sim_ns *ns, const char *order_id);

/** Display name used in RecordRef <name> / REST refName: customer entityId, item
 *  itemId, transaction "<Type label> #<tranId>" ("Sales Order #SO1001"). */
const char *bh_sim_ns_ref_name(const struct bh_sim_ns_rec *r, char *buf, size_t len);

/* ------------------------------------------------------------------ derived status */

/** Display status ("Pending Receipt", "Pending Fulfillment", "Refunded", ...), the text
 *  of the read-only `status` field. */
const char *bh_sim_ns_status_text(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r);
/** SOAP TransactionStatus search value ("_returnAuthorizationPendingReceipt"), or NULL. */
const char *bh_sim_ns_status_search(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r);
/** SuiteQL status letter ("B" for RtnAuth:B Pending Receipt), or NULL. */
const char *bh_sim_ns_status_letter(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r);
/** The settable orderStatus in effect ("_pendingReceipt"...), or NULL for types without. */
const char *bh_sim_ns_order_status(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r);

/* ------------------------------------------------------------------ writes */

/**
 * Add a record from a draft (takes the draft). Resolves and checks every reference
 * (entity, items, createdFrom, taxCode...), enforces externalId uniqueness in the
 * record's group (DUP_RCRD), mandatory fields (USER_ERROR "Please enter value(s) for:
 * ..."), createdFrom rules (INVALID_INITIALIZE_REF), quantities (over-return,
 * over-receipt, over-refund), assigns internalId / tranId / line keys, computes amounts
 * and totals, updates the source transaction (quantities received/billed, statuses), and
 * posts the GL. `perm` (may be NULL = all allowed) is checked first
 * (INSUFFICIENT_PERMISSION). Returns 0 and *id, or a BH_E* code with err filled.
 */
int bh_sim_ns_add(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		  const struct bh_sim_ns_cred *perm, int64_t *id, struct bh_sim_ns_err *err);

/**
 * Update an existing record from a draft naming it by id or external_id (takes the
 * draft). Only set fields change; itemList is merged by line key when
 * lines_replace_all == 0, replaced otherwise (when lines_given). nullFieldList names are
 * cleared. Bumps lastModifiedDate. Posting transactions re-post their GL.
 * RCRD_DSNT_EXIST when the record is not found.
 */
int bh_sim_ns_update(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		     const struct bh_sim_ns_cred *perm, int64_t *id, struct bh_sim_ns_err *err);

/**
 * Upsert by externalId (takes the draft): USER_ERROR when draft->id is set ("You cannot
 * set internalId with upsert.") or external_id is missing ("This operation requires a
 * value for externalId."); otherwise update when a record of that type has the
 * externalId, add when none does. *created tells which.
 */
int bh_sim_ns_upsert(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		     const struct bh_sim_ns_cred *perm, int64_t *id, bool *created,
		     struct bh_sim_ns_err *err);

/**
 * Initialize (SOAP initialize / REST !transform create-form): an UNSAVED draft of type
 * `to` prefilled from record `from` (entity, createdFrom, lines with orderLine and the
 * quantities still open). Supported pairs: returnAuthorization <- salesOrder | cashSale
 * | invoice; itemReceipt <- returnAuthorization; creditMemo <- returnAuthorization |
 * invoice; cashRefund <- returnAuthorization | cashSale; customerRefund <- creditMemo;
 * cashSale | invoice | itemFulfillment <- salesOrder. Other pairs: INVALID_INITIALIZE_ARG;
 * a source in the wrong state (unapproved / closed / nothing left to return, receive or
 * refund): INVALID_INITIALIZE_REF. The caller owns *out.
 */
int bh_sim_ns_initialize(struct bh_sim_ns *ns, enum bh_sim_ns_type to,
			 const struct bh_sim_ns_rec *from, const struct bh_sim_ns_cred *perm,
			 struct bh_sim_ns_rec **out, struct bh_sim_ns_err *err);

/** Deep copy of a stored record (caller frees with bh_sim_ns_rec_free), or NULL. */
struct bh_sim_ns_rec *bh_sim_ns_rec_copy(const struct bh_sim_ns_rec *r);

/* Operator / warehouse actions (control API; also usable by tests). Each bumps
 * lastModifiedDate of what it changes. */
/** Bill a sales order in full: a cash sale (as_invoice false) or an invoice. */
int bh_sim_ns_bill(struct bh_sim_ns *ns, int64_t sales_order, bool as_invoice, int64_t *id,
		   struct bh_sim_ns_err *err);
/** Fulfil every open quantity of a sales order (item fulfilment, posts COGS). */
int bh_sim_ns_fulfill(struct bh_sim_ns *ns, int64_t sales_order, int64_t *id,
		      struct bh_sim_ns_err *err);
/** Receive every open receivable quantity of an RA (item receipt). */
int bh_sim_ns_ra_receive(struct bh_sim_ns *ns, int64_t ra, bool restock, int64_t *id,
			 struct bh_sim_ns_err *err);
/** Close every open line of an RA (closing a closed RA succeeds). */
int bh_sim_ns_ra_close(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err);
/** Cancel an RA (only while Pending Approval: CANT_CANCEL_APPRVD_RETRN_AUTH otherwise). */
int bh_sim_ns_ra_cancel(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err);
/** Approve an RA (Pending Approval -> Pending Receipt). */
int bh_sim_ns_ra_approve(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err);
/** Set or clear the RA review flag checkbox (the configured flag field). */
int bh_sim_ns_ra_flag(struct bh_sim_ns *ns, int64_t ra, bool value, struct bh_sim_ns_err *err);

/* ------------------------------------------------------------------ ledger */

enum bh_sim_ns_acct_kind {
	BH_SIM_NS_A_ASSET = 1,
	BH_SIM_NS_A_LIABILITY,
	BH_SIM_NS_A_INCOME,
	BH_SIM_NS_A_CONTRA_INCOME,
	BH_SIM_NS_A_EXPENSE,
};

struct bh_sim_ns_account {
	int64_t id;
	char *name;               /* "Payment Clearing", "Sales Returns", ... */
	enum bh_sim_ns_acct_kind kind;
};

/** Ids of the standard chart (SCENARIOS.md), fixed by creation order. */
enum bh_sim_ns_std_account {
	BH_SIM_NS_ACCT_PAYMENT_CLEARING = 1,
	BH_SIM_NS_ACCT_AR = 2,
	BH_SIM_NS_ACCT_INVENTORY = 3,
	BH_SIM_NS_ACCT_SALES_TAX = 4,
	BH_SIM_NS_ACCT_GIFT_CARD = 5,
	BH_SIM_NS_ACCT_SALES = 6,
	BH_SIM_NS_ACCT_SALES_RETURNS = 7,
	BH_SIM_NS_ACCT_RESTOCKING_FEE = 8,
	BH_SIM_NS_ACCT_COGS = 9,
	BH_SIM_NS_ACCT_RETURN_INCENTIVE = 10,
};

/** The chart of accounts (id order). */
const struct bh_sim_ns_account *bh_sim_ns_accounts(const struct bh_sim_ns *ns, size_t *n);
/** Account by id or by name (case-insensitive), or NULL. */
const struct bh_sim_ns_account *bh_sim_ns_account_get(const struct bh_sim_ns *ns, int64_t id);
const struct bh_sim_ns_account *bh_sim_ns_account_find(const struct bh_sim_ns *ns,
							const char *name);

/** JSON of a record's GL lines: [{"account":"Sales Returns","debit":"40.00",
 *  "credit":"0.00","line":1,"memo":"item"}...]. New object (caller puts it). */
struct json_object *bh_sim_ns_gl_json(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r);

/** Add an account to the chart (or return the existing one of that name). Returns its
 *  id, or 0 on ENOMEM. */
int64_t bh_sim_ns_account_add(struct bh_sim_ns *ns, const char *name,
			      enum bh_sim_ns_acct_kind kind);
/** pure. Kind from "asset", "liability", "income", "contra-income", "expense", or 0. */
enum bh_sim_ns_acct_kind bh_sim_ns_acct_kind_parse(const char *s);
/** pure. Name of a kind. */
const char *bh_sim_ns_acct_kind_name(enum bh_sim_ns_acct_kind k);

/** Compute and attach the GL lines of a (candidate) record per the posting rules; fails
 *  (UNEXPECTED_ERROR, nothing attached) if debits != credits. Internal to the store
 *  (sim_ns_gl.c), called by add/update. */
int bh_sim_ns_gl_post(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err);
/** Trial balance over every posting: {"accounts":[{"id","name","kind","debit","credit",
 *  "balance"}...],"total_debit","total_credit","balance":"0.00"}. New object. */
struct json_object *bh_sim_ns_trial_balance_json(struct bh_sim_ns *ns);
/** Body field an exchange sales order may carry to name its original order (internal
 *  id, externalId or tranId); otherRefNum naming the original works as well. */
#define BH_SIM_NS_EXCHANGE_FIELD "custbody_bh_exchange_of"

/** GL of an order's whole chain: the sales order and every record reached through
 *  createdFrom links (cash sales, invoices, fulfilments, RAs, receipts, refunds, credit
 *  memos, customer refunds), plus exchange sales orders (and their chains) whose
 *  otherRefNum or BH_SIM_NS_EXCHANGE_FIELD names it. {"sales_order":id,"transactions":[{"id","type","tran_id",
 *  "external_id","status","total","gl":[...]}],"net":{"<account>":"<signed debit>"},
 *  "balanced":true}. New object. */
struct json_object *bh_sim_ns_gl_chain_json(struct bh_sim_ns *ns, struct bh_sim_ns_rec *so);

/* ------------------------------------------------------------------ money (pure) */

/** pure. Parse a decimal string ("43.2", "-5.00", "1e2" refused) into cents. Returns 0
 *  or BH_EINVAL. */
int bh_sim_ns_money_parse(const char *s, int64_t *cents);
/** pure. Format cents as "43.20" / "-5.00" into buf (>= 24 bytes); returns buf. */
char *bh_sim_ns_money_fmt(int64_t cents, char *buf, size_t len);
/** pure. Parse a whole quantity ("2", "2.0"); fractional values refused (BH_EINVAL). */
int bh_sim_ns_qty_parse(const char *s, int64_t *qty);
/** pure. Format ms since epoch as NetSuite's xsd:dateTime in the account's time zone
 *  (America/Los_Angeles, e.g. "2024-01-01T00:00:00.000-08:00") into buf (>= 32). */
char *bh_sim_ns_time_fmt(int64_t ms, char *buf, size_t len);
/** pure. Parse xsd:dateTime ("2024-01-01T00:00:00Z", "...-08:00", fractional seconds,
 *  or a date "2024-01-01" read as midnight Pacific) into ms. 0 or BH_EINVAL. */
int bh_sim_ns_time_parse(const char *s, int64_t *ms);

#endif
