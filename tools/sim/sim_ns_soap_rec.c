/*
 * sim_ns_soap_rec.c - SuiteTalk record XML <-> the store: parsing <record xsi:type=...>
 * into drafts, and emitting stored records with their fields in each type's XSD
 * sequence order (tables below were derived from Oracle's 2023_2 XSDs, filtered to the
 * fields the simulator keeps), so responses validate against the schema.
 *
 * Ownership: NetSuite service helper. Threading: called with the store lock held, on the
 * request's own XML trees.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include <backhaul/errors.h>

#include "sim_ns_soap.h"
#include "sim_ns_util.h"

/* ------------------------------------------------------------------ xml helpers */

xmlNodePtr bh_sim_ns_first_elem(xmlNodePtr n)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

xmlNodePtr bh_sim_ns_next_elem(xmlNodePtr n)
{
	for (xmlNodePtr c = n ? n->next : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

char *bh_sim_ns_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

char *bh_sim_ns_text(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	if (!v)
		return NULL;
	char *b = (char *)v, *e;
	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	char *s = strndup(b, (size_t)(e - b));
	xmlFree(v);
	return s;
}

const char *bh_sim_ns_xsi_type(xmlNodePtr n, char *buf, size_t len, const char **nsuri)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"type",
				  (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance");
	*nsuri = NULL;
	if (!v)
		return NULL;
	const char *colon = strchr((const char *)v, ':');
	char prefix[64] = "";
	if (colon) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - (const char *)v),
			 (const char *)v);
		snprintf(buf, len, "%s", colon + 1);
	} else {
		snprintf(buf, len, "%s", (const char *)v);
	}
	xmlFree(v);
	xmlNsPtr ns = xmlSearchNs(n->doc, n, colon ? (const xmlChar *)prefix : NULL);
	if (ns)
		*nsuri = (const char *)ns->href;
	return buf;
}

void bh_sim_ns_xns_init(struct bh_sim_ns_xns *x, const char *v)
{
	snprintf(x->msgs, sizeof(x->msgs), "urn:messages_%s.platform.webservices.netsuite.com", v);
	snprintf(x->core, sizeof(x->core), "urn:core_%s.platform.webservices.netsuite.com", v);
	snprintf(x->coretyp, sizeof(x->coretyp), "urn:types.core_%s.platform.webservices.netsuite.com", v);
	snprintf(x->common, sizeof(x->common), "urn:common_%s.platform.webservices.netsuite.com", v);
	snprintf(x->faults, sizeof(x->faults), "urn:faults_%s.platform.webservices.netsuite.com", v);
	snprintf(x->sales, sizeof(x->sales), "urn:sales_%s.transactions.webservices.netsuite.com", v);
	snprintf(x->customers, sizeof(x->customers), "urn:customers_%s.transactions.webservices.netsuite.com", v);
	snprintf(x->purchases, sizeof(x->purchases), "urn:purchases_%s.transactions.webservices.netsuite.com", v);
	snprintf(x->accounting, sizeof(x->accounting), "urn:accounting_%s.lists.webservices.netsuite.com", v);
	snprintf(x->relationships, sizeof(x->relationships), "urn:relationships_%s.lists.webservices.netsuite.com", v);
}

char *bh_sim_ns_soap_double(int64_t cents, char *buf, size_t len)
{
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	unsigned frac = (unsigned)(a % 100);
	if (frac % 10 == 0)
		snprintf(buf, len, "%s%llu.%u", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
			 frac / 10);
	else
		snprintf(buf, len, "%s%llu.%02u", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
			 frac);
	return buf;
}

/* ------------------------------------------------------------------ type table */

enum {
	F_END = 0,
	F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_CUSTOMER, F_CURRENCY, F_TRAN_DATE,
	F_TRAN_ID, F_CREATED_FROM, F_ORDER_STATUS, F_STATUS, F_OTHER_REF_NUM, F_MEMO,
	F_LOCATION, F_ACCOUNT, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_SHIP_METHOD,
	F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_APPLIED,
	F_ITEM_LIST, F_APPLY_LIST, F_CUSTOM_FIELDS, F_ENTITY_ID, F_IS_PERSON, F_FIRST_NAME,
	F_LAST_NAME, F_COMPANY_NAME, F_PHONE, F_EMAIL, F_IS_INACTIVE, F_ITEM_ID,
	F_DISPLAY_NAME, F_COST, F_RATE, F_INCOME_ACCOUNT,
	L_ITEM, L_ORDER_LINE, L_LINE, L_QUANTITY, L_QTY_RECEIVED, L_QTY_BILLED,
	L_QTY_FULFILLED, L_DESCRIPTION, L_RATE, L_AMOUNT, L_IS_TAXABLE, L_TAX_CODE,
	L_TAX_AMOUNT, L_IS_CLOSED, L_ITEM_RECEIVE, L_RESTOCK, L_LOCATION, L_CUSTOM_FIELDS,
	L_APPLY, L_DOC, L_TOTAL,
};

/* Element order per type (Oracle 2023_2 XSD sequences, restricted to kept fields). */
static const unsigned char ord_SalesOrder[] = {F_CREATED_DATE, F_ENTITY, F_CURRENCY, F_TRAN_DATE, F_TRAN_ID, F_CREATED_FROM, F_ORDER_STATUS, F_OTHER_REF_NUM, F_MEMO, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_EMAIL, F_SHIP_METHOD, F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_LAST_MODIFIED, F_LOCATION, F_STATUS, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_SalesOrderItem[] = {L_ITEM, L_QUANTITY, L_DESCRIPTION, L_RATE, L_AMOUNT, L_IS_TAXABLE, L_LOCATION, L_IS_CLOSED, L_TAX_AMOUNT, L_LINE, L_QTY_BILLED, L_QTY_FULFILLED, L_TAX_CODE, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CashSale[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_TRAN_DATE, F_TRAN_ID, F_CREATED_FROM, F_LOCATION, F_OTHER_REF_NUM, F_MEMO, F_CURRENCY, F_ACCOUNT, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_SHIP_METHOD, F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_STATUS, F_EMAIL, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CashSaleItem[] = {L_ITEM, L_LINE, L_QTY_FULFILLED, L_QUANTITY, L_DESCRIPTION, L_RATE, L_AMOUNT, L_ORDER_LINE, L_IS_TAXABLE, L_LOCATION, L_TAX_CODE, L_TAX_AMOUNT, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_Invoice[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_TRAN_DATE, F_TRAN_ID, F_CREATED_FROM, F_LOCATION, F_CURRENCY, F_OTHER_REF_NUM, F_MEMO, F_ACCOUNT, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_SHIP_METHOD, F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_STATUS, F_EMAIL, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_InvoiceItem[] = {L_ITEM, L_LINE, L_DESCRIPTION, L_AMOUNT, L_IS_TAXABLE, L_QUANTITY, L_RATE, L_QTY_FULFILLED, L_ORDER_LINE, L_LOCATION, L_TAX_CODE, L_TAX_AMOUNT, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_ItemFulfillment[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_CREATED_FROM, F_TRAN_DATE, F_TRAN_ID, F_SHIP_METHOD, F_SHIPPING_COST, F_MEMO, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_ItemFulfillmentItem[] = {L_ITEM_RECEIVE, L_DESCRIPTION, L_LOCATION, L_QUANTITY, L_ITEM, L_ORDER_LINE, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_ReturnAuthorization[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_CURRENCY, F_ENTITY, F_TRAN_DATE, F_TRAN_ID, F_LOCATION, F_OTHER_REF_NUM, F_MEMO, F_CREATED_FROM, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TOTAL, F_EMAIL, F_STATUS, F_TAX_TOTAL, F_ORDER_STATUS, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_ReturnAuthorizationItem[] = {L_ITEM, L_ORDER_LINE, L_LINE, L_QUANTITY, L_QTY_RECEIVED, L_QTY_BILLED, L_DESCRIPTION, L_RATE, L_AMOUNT, L_IS_CLOSED, L_LOCATION, L_TAX_CODE, L_IS_TAXABLE, L_TAX_AMOUNT, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CreditMemo[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_CURRENCY, F_ENTITY, F_TRAN_DATE, F_TRAN_ID, F_CREATED_FROM, F_LOCATION, F_OTHER_REF_NUM, F_MEMO, F_ACCOUNT, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_APPLIED, F_EMAIL, F_SHIP_METHOD, F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_STATUS, F_ITEM_LIST, F_APPLY_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CreditMemoItem[] = {L_ITEM, L_ORDER_LINE, L_LINE, L_QUANTITY, L_DESCRIPTION, L_RATE, L_AMOUNT, L_IS_TAXABLE, L_TAX_CODE, L_LOCATION, L_TAX_AMOUNT, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CashRefund[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_TRAN_DATE, F_TRAN_ID, F_CREATED_FROM, F_LOCATION, F_OTHER_REF_NUM, F_MEMO, F_ACCOUNT, F_CURRENCY, F_DISCOUNT_ITEM, F_DISCOUNT_RATE, F_TAX_ITEM, F_EMAIL, F_SHIP_METHOD, F_SHIPPING_COST, F_SUBTOTAL, F_DISCOUNT_TOTAL, F_TAX_TOTAL, F_TOTAL, F_STATUS, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CashRefundItem[] = {L_ITEM, L_LINE, L_ORDER_LINE, L_QUANTITY, L_DESCRIPTION, L_RATE, L_AMOUNT, L_TAX_CODE, L_IS_TAXABLE, L_LOCATION, L_TAX_AMOUNT, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CustomerRefund[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_STATUS, F_CUSTOMER, F_TOTAL, F_CURRENCY, F_TRAN_DATE, F_MEMO, F_ACCOUNT, F_TRAN_ID, F_LOCATION, F_APPLY_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_CustomerRefundApply[] = {L_APPLY, L_DOC, L_LINE, L_TOTAL, L_AMOUNT, F_END};
static const unsigned char ord_ItemReceipt[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ENTITY, F_CREATED_FROM, F_TRAN_DATE, F_TRAN_ID, F_MEMO, F_CURRENCY, F_ITEM_LIST, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_ItemReceiptItem[] = {L_ITEM_RECEIVE, L_ITEM, L_ORDER_LINE, L_LINE, L_DESCRIPTION, L_LOCATION, L_QUANTITY, L_RATE, L_RESTOCK, L_CUSTOM_FIELDS, F_END};
static const unsigned char ord_InventoryItem[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_INCOME_ACCOUNT, F_COST, F_ITEM_ID, F_DISPLAY_NAME, F_IS_INACTIVE, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_NonInventorySaleItem[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_INCOME_ACCOUNT, F_ITEM_ID, F_DISPLAY_NAME, F_IS_INACTIVE, F_RATE, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_OtherChargeSaleItem[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_INCOME_ACCOUNT, F_ITEM_ID, F_DISPLAY_NAME, F_IS_INACTIVE, F_RATE, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_GiftCertificateItem[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_ITEM_ID, F_DISPLAY_NAME, F_IS_INACTIVE, F_INCOME_ACCOUNT, F_RATE, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_DiscountItem[] = {F_CREATED_DATE, F_LAST_MODIFIED, F_RATE, F_ITEM_ID, F_DISPLAY_NAME, F_IS_INACTIVE, F_INCOME_ACCOUNT, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_SalesTaxItem[] = {F_ITEM_ID, F_DISPLAY_NAME, F_RATE, F_IS_INACTIVE, F_CUSTOM_FIELDS, F_END};
static const unsigned char ord_Customer[] = {F_ENTITY_ID, F_IS_PERSON, F_FIRST_NAME, F_LAST_NAME, F_COMPANY_NAME, F_PHONE, F_EMAIL, F_IS_INACTIVE, F_LAST_MODIFIED, F_CUSTOM_FIELDS, F_END};

enum nsid { NS_SALES, NS_CUSTOMERS, NS_PURCHASES, NS_ACCOUNTING, NS_RELATIONSHIPS };

static const struct tinfo {
	const char *xsi;            /* local name of the xsi:type */
	enum nsid ns;
	const char *prefix;
	const unsigned char *body, *line;
} tinfo[BH_SIM_NS_T_COUNT] = {
	[BH_SIM_NS_T_CUSTOMER] = {"Customer", NS_RELATIONSHIPS, "listRel", ord_Customer, NULL},
	[BH_SIM_NS_T_INVENTORY_ITEM] = {"InventoryItem", NS_ACCOUNTING, "listAcct", ord_InventoryItem, NULL},
	[BH_SIM_NS_T_NON_INVENTORY_ITEM] = {"NonInventorySaleItem", NS_ACCOUNTING, "listAcct", ord_NonInventorySaleItem, NULL},
	[BH_SIM_NS_T_OTHER_CHARGE_ITEM] = {"OtherChargeSaleItem", NS_ACCOUNTING, "listAcct", ord_OtherChargeSaleItem, NULL},
	[BH_SIM_NS_T_GIFT_CERT_ITEM] = {"GiftCertificateItem", NS_ACCOUNTING, "listAcct", ord_GiftCertificateItem, NULL},
	[BH_SIM_NS_T_DISCOUNT_ITEM] = {"DiscountItem", NS_ACCOUNTING, "listAcct", ord_DiscountItem, NULL},
	[BH_SIM_NS_T_SALES_TAX_ITEM] = {"SalesTaxItem", NS_ACCOUNTING, "listAcct", ord_SalesTaxItem, NULL},
	[BH_SIM_NS_T_SALES_ORDER] = {"SalesOrder", NS_SALES, "tranSales", ord_SalesOrder, ord_SalesOrderItem},
	[BH_SIM_NS_T_CASH_SALE] = {"CashSale", NS_SALES, "tranSales", ord_CashSale, ord_CashSaleItem},
	[BH_SIM_NS_T_INVOICE] = {"Invoice", NS_SALES, "tranSales", ord_Invoice, ord_InvoiceItem},
	[BH_SIM_NS_T_ITEM_FULFILLMENT] = {"ItemFulfillment", NS_SALES, "tranSales", ord_ItemFulfillment, ord_ItemFulfillmentItem},
	[BH_SIM_NS_T_RETURN_AUTHORIZATION] = {"ReturnAuthorization", NS_CUSTOMERS, "tranCust", ord_ReturnAuthorization, ord_ReturnAuthorizationItem},
	[BH_SIM_NS_T_ITEM_RECEIPT] = {"ItemReceipt", NS_PURCHASES, "tranPurch", ord_ItemReceipt, ord_ItemReceiptItem},
	[BH_SIM_NS_T_CREDIT_MEMO] = {"CreditMemo", NS_CUSTOMERS, "tranCust", ord_CreditMemo, ord_CreditMemoItem},
	[BH_SIM_NS_T_CASH_REFUND] = {"CashRefund", NS_CUSTOMERS, "tranCust", ord_CashRefund, ord_CashRefundItem},
	[BH_SIM_NS_T_CUSTOMER_REFUND] = {"CustomerRefund", NS_CUSTOMERS, "tranCust", ord_CustomerRefund, ord_CustomerRefundApply},
};

static const char *ns_uri(const struct bh_sim_ns_xns *x, enum nsid id)
{
	switch (id) {
	case NS_SALES: return x->sales;
	case NS_CUSTOMERS: return x->customers;
	case NS_PURCHASES: return x->purchases;
	case NS_ACCOUNTING: return x->accounting;
	default: return x->relationships;
	}
}

enum bh_sim_ns_type bh_sim_ns_soap_type_of(const char *xsi_local)
{
	if (!xsi_local)
		return BH_SIM_NS_T_NONE;
	for (int t = 1; t < BH_SIM_NS_T_COUNT; t++)
		if (tinfo[t].xsi && strcmp(tinfo[t].xsi, xsi_local) == 0)
			return (enum bh_sim_ns_type)t;
	return BH_SIM_NS_T_NONE;
}

/* ------------------------------------------------------------------ parsing */

static const char *const read_only_body[] = {
	"createdDate", "lastModifiedDate", "status", "subTotal", "discountTotal", "taxTotal",
	"total", "applied", NULL,
};
static const char *const read_only_line[] = {
	"quantityReceived", "quantityBilled", "quantityFulfilled", "quantityRemaining",
	"quantityOnHand", "quantityAvailable", "onHand", NULL,
};

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static int read_only_err(struct bh_sim_ns_err *err, const char *name)
{
	err->code = "INSUFFICIENT_PERMISSION";
	snprintf(err->field, sizeof(err->field), "%s", name);
	snprintf(err->message, sizeof(err->message),
		 "You do not have permissions to set a value for element %s due to one of the following reasons: 1) The field is read-only; 2) An associated feature is disabled; 3) The field is available either when a record is created or updated, but not in both cases.",
		 name);
	return BH_EAUTH;
}

static int fld_err(struct bh_sim_ns_err *err, const char *name, const char *value)
{
	err->code = "INVALID_FLD_VALUE";
	snprintf(err->field, sizeof(err->field), "%s", name);
	snprintf(err->message, sizeof(err->message),
		 "You have entered an Invalid Field Value %s for the following field: %s",
		 value ? value : "", name);
	return BH_EINVAL;
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	if (!s || !*s)
		return false;
	long long x = strtoll(s, &end, 10);
	if (*end)
		return false;
	*v = x;
	return true;
}

static int get_bool(xmlNodePtr n, const char *name, int *out, struct bh_sim_ns_err *err)
{
	char *t = bh_sim_ns_text(n);
	int rc = BH_OK;
	if (t && (strcmp(t, "true") == 0 || strcmp(t, "1") == 0))
		*out = 1;
	else if (t && (strcmp(t, "false") == 0 || strcmp(t, "0") == 0))
		*out = 0;
	else
		rc = fld_err(err, name, t);
	free(t);
	return rc;
}

static int get_money(xmlNodePtr n, const char *name, int64_t *out, struct bh_sim_ns_err *err)
{
	char *t = bh_sim_ns_text(n);
	int rc = BH_OK;
	if (!t || bh_sim_ns_money_parse(t, out) != BH_OK)
		rc = fld_err(err, name, t);
	free(t);
	return rc;
}

static int get_qty(xmlNodePtr n, const char *name, int64_t *out, struct bh_sim_ns_err *err)
{
	char *t = bh_sim_ns_text(n);
	int rc = BH_OK;
	if (!t || bh_sim_ns_qty_parse(t, out) != BH_OK)
		rc = fld_err(err, name, t);
	free(t);
	return rc;
}

static int get_long(xmlNodePtr n, const char *name, int64_t *out, struct bh_sim_ns_err *err)
{
	char *t = bh_sim_ns_text(n);
	int rc = BH_OK;
	if (!parse_i64(t, out))
		rc = fld_err(err, name, t);
	free(t);
	return rc;
}

static int get_str(xmlNodePtr n, char **out)
{
	char *t = bh_sim_ns_text(n);
	if (!t)
		return BH_ENOMEM;
	free(*out);
	*out = t;
	return BH_OK;
}

static int get_time(xmlNodePtr n, const char *name, int64_t *out, struct bh_sim_ns_err *err)
{
	char *t = bh_sim_ns_text(n);
	int rc = BH_OK;
	if (!t || bh_sim_ns_time_parse(t, out) != BH_OK)
		rc = fld_err(err, name, t);
	free(t);
	return rc;
}

int bh_sim_ns_soap_ref(struct bh_sim_ns_soapctx *ctx, xmlNodePtr ref, enum bh_sim_ns_group g,
		       const char *what, int64_t *id, struct bh_sim_ns_err *err)
{
	char *iid = bh_sim_ns_attr(ref, "internalId");
	char *eid = bh_sim_ns_attr(ref, "externalId");
	int rc = BH_OK;

	if (iid) {
		if (!parse_i64(iid, id)) {
			err->code = "INVALID_KEY_OR_REF";
			snprintf(err->field, sizeof(err->field), "%s", what);
			snprintf(err->message, sizeof(err->message), "Invalid %s reference key %s.",
				 what, iid);
			rc = BH_ENOENT;
		} else {
			struct bh_sim_ns_rec *r = bh_sim_ns_get(ctx->ns, BH_SIM_NS_T_NONE, *id);
			/* accounts are not records: ids are checked by the store */
			if (g != BH_SIM_NS_G_NONE && (!r || bh_sim_ns_type_group(r->type) != g)) {
				err->code = "INVALID_KEY_OR_REF";
				snprintf(err->field, sizeof(err->field), "%s", what);
				snprintf(err->message, sizeof(err->message),
					 "Invalid %s reference key %s.", what, iid);
				rc = BH_ENOENT;
			}
		}
	} else if (eid) {
		struct bh_sim_ns_rec *found = NULL;
		for (int t = 1; t < BH_SIM_NS_T_COUNT && !found; t++)
			if (bh_sim_ns_type_group((enum bh_sim_ns_type)t) == g)
				found = bh_sim_ns_find_eid(ctx->ns, (enum bh_sim_ns_type)t, eid);
		if (found) {
			*id = found->id;
		} else {
			err->code = "INVALID_KEY_OR_REF";
			snprintf(err->field, sizeof(err->field), "%s", what);
			snprintf(err->message, sizeof(err->message), "Invalid %s reference key %s.",
				 what, eid);
			rc = BH_ENOENT;
		}
	} else {
		rc = BH_EINVAL;
	}
	free(iid);
	free(eid);
	return rc;
}

static int parse_ref_field(struct bh_sim_ns_soapctx *ctx, xmlNodePtr n, enum bh_sim_ns_group g,
			   const char *what, int64_t *out, struct bh_sim_ns_err *err)
{
	int rc = bh_sim_ns_soap_ref(ctx, n, g, what, out, err);
	if (rc == BH_EINVAL) {
		err->code = "INVALID_KEY_OR_REF";
		snprintf(err->field, sizeof(err->field), "%s", what);
		snprintf(err->message, sizeof(err->message), "Invalid %s reference key .", what);
		return BH_ENOENT;
	}
	return rc;
}

static int parse_custom_fields(xmlNodePtr list, struct bh_sim_ns_cf **cf, size_t *n,
			       struct bh_sim_ns_err *err)
{
	for (xmlNodePtr c = bh_sim_ns_first_elem(list); c; c = bh_sim_ns_next_elem(c)) {
		char tb[96];
		const char *uri;
		const char *t = bh_sim_ns_xsi_type(c, tb, sizeof(tb), &uri);
		char *sid = bh_sim_ns_attr(c, "scriptId");
		char *value = NULL;
		enum bh_sim_ns_cf_type ty = BH_SIM_NS_CF_STRING;
		int rc = BH_OK;
		if (!sid)
			sid = bh_sim_ns_attr(c, "internalId");
		if (!sid) {
			err->code = "USER_ERROR";
			snprintf(err->field, sizeof(err->field), "customFieldList");
			snprintf(err->message, sizeof(err->message),
				 "A custom field reference needs a scriptId or internalId.");
			return BH_EINVAL;
		}
		xmlNodePtr v = bh_sim_ns_first_elem(c);
		if (t && strcmp(t, "BooleanCustomFieldRef") == 0)
			ty = BH_SIM_NS_CF_BOOLEAN;
		else if (t && strcmp(t, "LongCustomFieldRef") == 0)
			ty = BH_SIM_NS_CF_LONG;
		else if (t && strcmp(t, "DoubleCustomFieldRef") == 0)
			ty = BH_SIM_NS_CF_DOUBLE;
		else if (t && strcmp(t, "DateCustomFieldRef") == 0)
			ty = BH_SIM_NS_CF_DATE;
		else if (t && strcmp(t, "SelectCustomFieldRef") == 0)
			ty = BH_SIM_NS_CF_SELECT;
		if (v) {
			if (ty == BH_SIM_NS_CF_SELECT) {
				value = bh_sim_ns_attr(v, "internalId");
				if (!value)
					value = bh_sim_ns_attr(v, "externalId");
			} else {
				value = bh_sim_ns_text(v);
			}
			if (ty == BH_SIM_NS_CF_BOOLEAN && value) {
				if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0) {
					free(value);
					value = strdup("true");
				} else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0) {
					free(value);
					value = strdup("false");
				} else {
					rc = fld_err(err, sid, value);
				}
			}
		}
		if (rc == BH_OK && bh_sim_ns_cf_set(cf, n, sid, ty, value) != BH_OK)
			rc = BH_ENOMEM;
		free(sid);
		free(value);
		if (rc != BH_OK)
			return rc;
	}
	return BH_OK;
}

static int parse_line(struct bh_sim_ns_soapctx *ctx, struct bh_sim_ns_rec *d, xmlNodePtr item,
		      struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_line *l = bh_sim_ns_rec_add_line(d);
	int rc = BH_OK;
	if (!l)
		return BH_ENOMEM;
	for (xmlNodePtr f = bh_sim_ns_first_elem(item); f && rc == BH_OK; f = bh_sim_ns_next_elem(f)) {
		const char *n = (const char *)f->name;
		if (in_list(read_only_line, n)) {
			if (!ctx->ignore_read_only)
				rc = read_only_err(err, n);
		} else if (strcmp(n, "item") == 0) {
			rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ITEM, "item", &l->item, err);
		} else if (strcmp(n, "orderLine") == 0) {
			rc = get_long(f, n, &l->order_line, err);
		} else if (strcmp(n, "line") == 0) {
			rc = get_long(f, n, &l->line, err);
		} else if (strcmp(n, "quantity") == 0) {
			rc = get_qty(f, n, &l->quantity, err);
		} else if (strcmp(n, "rate") == 0) {
			rc = get_money(f, n, &l->rate, err);
		} else if (strcmp(n, "amount") == 0) {
			rc = get_money(f, n, &l->amount, err);
		} else if (strcmp(n, "taxAmount") == 0 || strcmp(n, "tax1Amt") == 0) {
			rc = get_money(f, n, &l->tax, err);
		} else if (strcmp(n, "taxCode") == 0) {
			rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ITEM, "taxcode", &l->tax_code, err);
		} else if (strcmp(n, "isTaxable") == 0) {
			rc = get_bool(f, n, &l->is_taxable, err);
		} else if (strcmp(n, "isClosed") == 0) {
			rc = get_bool(f, n, &l->is_closed, err);
		} else if (strcmp(n, "itemReceive") == 0) {
			rc = get_bool(f, n, &l->item_receive, err);
		} else if (strcmp(n, "restock") == 0) {
			rc = get_bool(f, n, &l->restock, err);
		} else if (strcmp(n, "location") == 0) {
			char *iid = bh_sim_ns_attr(f, "internalId");
			if (iid && !parse_i64(iid, &l->location))
				rc = fld_err(err, n, iid);
			free(iid);
		} else if (strcmp(n, "description") == 0) {
			rc = get_str(f, &l->description);
		} else if (strcmp(n, "customFieldList") == 0) {
			rc = parse_custom_fields(f, &l->cf, &l->n_cf, err);
		}
	}
	return rc;
}

static int parse_apply(struct bh_sim_ns_rec *d, xmlNodePtr list, struct bh_sim_ns_err *err)
{
	for (xmlNodePtr a = bh_sim_ns_first_elem(list); a; a = bh_sim_ns_next_elem(a)) {
		int apply = 1;
		int64_t doc = BH_SIM_NS_UNSET, amount = BH_SIM_NS_UNSET;
		int rc = BH_OK;
		for (xmlNodePtr f = bh_sim_ns_first_elem(a); f && rc == BH_OK; f = bh_sim_ns_next_elem(f)) {
			const char *n = (const char *)f->name;
			if (strcmp(n, "apply") == 0)
				rc = get_bool(f, n, &apply, err);
			else if (strcmp(n, "doc") == 0)
				rc = get_long(f, n, &doc, err);
			else if (strcmp(n, "amount") == 0)
				rc = get_money(f, n, &amount, err);
		}
		if (rc != BH_OK)
			return rc;
		if (!apply || doc == BH_SIM_NS_UNSET)
			continue;
		struct bh_sim_ns_apply *g = realloc(d->apply, (d->n_apply + 1) * sizeof(*g));
		if (!g)
			return BH_ENOMEM;
		d->apply = g;
		g[d->n_apply].doc = doc;
		/* no amount: the store applies what is left of the credit memo */
		g[d->n_apply].amount = amount;
		d->n_apply++;
	}
	return BH_OK;
}

static int parse_tax_rate(const char *t, int64_t *ppm)
{
	char tmp[64];
	size_t n = strlen(t);
	int64_t hundredths;
	snprintf(tmp, sizeof(tmp), "%.*s", (int)(n && t[n - 1] == '%' ? n - 1 : n), t);
	if (bh_sim_ns_money_parse(tmp, &hundredths) != BH_OK)
		return BH_EINVAL;
	*ppm = hundredths * 100; /* 8.00% = 800 hundredths = 80000 ppm */
	return BH_OK;
}

int bh_sim_ns_soap_parse_record(struct bh_sim_ns_soapctx *ctx, xmlNodePtr rec,
				enum bh_sim_ns_type *type, struct bh_sim_ns_rec **out,
				struct bh_sim_ns_err *err)
{
	char tb[96];
	const char *uri;
	const char *xt = bh_sim_ns_xsi_type(rec, tb, sizeof(tb), &uri);
	enum bh_sim_ns_type t = bh_sim_ns_soap_type_of(xt);
	struct bh_sim_ns_rec *d;
	int rc = BH_OK;

	*out = NULL;
	*type = t;
	if (t == BH_SIM_NS_T_NONE) {
		err->code = "INVALID_RCRD_TYPE";
		snprintf(err->field, sizeof(err->field), "record");
		snprintf(err->message, sizeof(err->message),
			 "The record type [%s] is not supported by this account.", xt ? xt : "");
		return BH_EINVAL;
	}
	if (!(d = bh_sim_ns_rec_new(t)))
		return BH_ENOMEM;
	enum bh_sim_ns_group g = bh_sim_ns_type_group(t);
	char *iid = bh_sim_ns_attr(rec, "internalId");
	d->external_id = bh_sim_ns_attr(rec, "externalId");
	if (iid && !parse_i64(iid, &d->id))
		d->id = -1; /* never matches: RCRD_DSNT_EXIST on update */
	free(iid);

	for (xmlNodePtr f = bh_sim_ns_first_elem(rec); f && rc == BH_OK; f = bh_sim_ns_next_elem(f)) {
		const char *n = (const char *)f->name;
		if (strcmp(n, "customFieldList") == 0) {
			rc = parse_custom_fields(f, &d->cf, &d->n_cf, err);
		} else if (strcmp(n, "nullFieldList") == 0) {
			for (xmlNodePtr x = bh_sim_ns_first_elem(f); x && rc == BH_OK; x = bh_sim_ns_next_elem(x)) {
				char *name = bh_sim_ns_text(x);
				if (name && *name)
					rc = bh_sim_ns_rec_null_field(d, name);
				free(name);
			}
		} else if (in_list(read_only_body, n)) {
			if (!ctx->ignore_read_only)
				rc = read_only_err(err, n);
		} else if (g == BH_SIM_NS_G_ENTITY) {
			if (strcmp(n, "entityId") == 0)
				rc = get_str(f, &d->entity_id);
			else if (strcmp(n, "companyName") == 0)
				rc = get_str(f, &d->company_name);
			else if (strcmp(n, "firstName") == 0)
				rc = get_str(f, &d->first_name);
			else if (strcmp(n, "lastName") == 0)
				rc = get_str(f, &d->last_name);
			else if (strcmp(n, "email") == 0)
				rc = get_str(f, &d->email);
			else if (strcmp(n, "phone") == 0)
				rc = get_str(f, &d->phone);
			else if (strcmp(n, "isPerson") == 0)
				rc = get_bool(f, n, &d->is_person, err);
			else if (strcmp(n, "isInactive") == 0)
				rc = get_bool(f, n, &d->is_inactive, err);
		} else if (g == BH_SIM_NS_G_ITEM) {
			if (strcmp(n, "itemId") == 0) {
				rc = get_str(f, &d->item_id);
			} else if (strcmp(n, "displayName") == 0) {
				rc = get_str(f, &d->display_name);
			} else if (strcmp(n, "cost") == 0) {
				rc = get_money(f, n, &d->cost, err);
			} else if (strcmp(n, "rate") == 0) {
				char *txt = bh_sim_ns_text(f);
				if (!txt)
					rc = BH_ENOMEM;
				else if (t == BH_SIM_NS_T_SALES_TAX_ITEM)
					rc = parse_tax_rate(txt, &d->tax_rate_ppm) ? fld_err(err, n, txt) : BH_OK;
				else if (bh_sim_ns_money_parse(txt, &d->price) != BH_OK)
					rc = fld_err(err, n, txt);
				free(txt);
			} else if (strcmp(n, "incomeAccount") == 0 ||
				   (t == BH_SIM_NS_T_DISCOUNT_ITEM && strcmp(n, "account") == 0)) {
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_NONE, "account", &d->income_account,
						     err);
			} else if (strcmp(n, "isInactive") == 0) {
				rc = get_bool(f, n, &d->is_inactive, err);
			}
		} else {
			if (strcmp(n, "entity") == 0 || strcmp(n, "customer") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ENTITY, "entity", &d->entity, err);
			else if (strcmp(n, "createdFrom") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_TRANSACTION, "createdfrom",
						     &d->created_from, err);
			else if (strcmp(n, "tranDate") == 0)
				rc = get_time(f, n, &d->tran_date_ms, err);
			else if (strcmp(n, "tranId") == 0)
				rc = get_str(f, &d->tran_id);
			else if (strcmp(n, "memo") == 0)
				rc = get_str(f, &d->memo);
			else if (strcmp(n, "otherRefNum") == 0)
				rc = get_str(f, &d->other_ref_num);
			else if (strcmp(n, "orderStatus") == 0)
				rc = get_str(f, &d->order_status);
			else if (strcmp(n, "location") == 0) {
				char *x = bh_sim_ns_attr(f, "internalId");
				if (x && !parse_i64(x, &d->location))
					rc = fld_err(err, n, x);
				free(x);
			} else if (strcmp(n, "shippingCost") == 0)
				rc = get_money(f, n, &d->shipping_cost, err);
			else if (strcmp(n, "shipMethod") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ITEM, "shipmethod", &d->ship_method, err);
			else if (strcmp(n, "discountItem") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ITEM, "discountitem", &d->discount_item,
						     err);
			else if (strcmp(n, "discountRate") == 0)
				rc = get_str(f, &d->discount_rate);
			else if (strcmp(n, "taxItem") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_ITEM, "taxitem", &d->tax_item, err);
			else if (strcmp(n, "account") == 0)
				rc = parse_ref_field(ctx, f, BH_SIM_NS_G_NONE, "account", &d->account, err);
			else if (strcmp(n, "paymentMethod") == 0) {
				char *x = bh_sim_ns_attr(f, "internalId");
				free(d->payment_method);
				d->payment_method = x;
			} else if (strcmp(n, "itemList") == 0) {
				char *ra = bh_sim_ns_attr(f, "replaceAll");
				d->lines_given = true;
				if (ra)
					d->lines_replace_all = (strcmp(ra, "false") == 0 || strcmp(ra, "0") == 0) ? 0 : 1;
				free(ra);
				for (xmlNodePtr it = bh_sim_ns_first_elem(f); it && rc == BH_OK; it = bh_sim_ns_next_elem(it))
					rc = parse_line(ctx, d, it, err);
			} else if (strcmp(n, "applyList") == 0 && t == BH_SIM_NS_T_CUSTOMER_REFUND) {
				rc = parse_apply(d, f, err);
			}
		}
	}
	if (rc == BH_OK && t == BH_SIM_NS_T_CUSTOMER_REFUND) {
		/* apply lines without an amount take what is left on the credit memo */
		for (size_t i = 0; i < d->n_apply; i++) {
			if (d->apply[i].amount != BH_SIM_NS_UNSET)
				continue;
			struct bh_sim_ns_rec *cm = bh_sim_ns_get(ctx->ns, BH_SIM_NS_T_CREDIT_MEMO,
								 d->apply[i].doc);
			d->apply[i].amount = cm ? cm->total - cm->applied : 0;
		}
	}
	if (rc != BH_OK) {
		if (rc == BH_ENOMEM && !err->code) {
			err->code = "UNEXPECTED_ERROR";
			snprintf(err->message, sizeof(err->message), "An unexpected error occurred.");
		}
		bh_sim_ns_rec_free(d);
		return rc;
	}
	*out = d;
	return BH_OK;
}

/* ------------------------------------------------------------------ emitting */

struct em {
	struct bh_sim_ns_soapctx *ctx;
	xmlNsPtr tns;     /* the record type's namespace */
	xmlNodePtr el;
};

static xmlNodePtr text_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
}

static void time_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t ms)
{
	char buf[40];
	text_el(parent, ns, name, bh_sim_ns_time_fmt(ms, buf, sizeof(buf)));
}

static void dbl_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t cents)
{
	char buf[40];
	text_el(parent, ns, name, bh_sim_ns_soap_double(cents, buf, sizeof(buf)));
}

static void qty_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t q)
{
	char buf[40];
	snprintf(buf, sizeof(buf), "%lld.0", (long long)q);
	text_el(parent, ns, name, buf);
}

static void long_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	text_el(parent, ns, name, buf);
}

static void bool_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, bool v)
{
	text_el(parent, ns, name, v ? "true" : "false");
}

static void ref_el(struct em *e, xmlNodePtr parent, const char *name, int64_t id)
{
	char buf[32], nb[300];
	struct bh_sim_ns_rec *r = bh_sim_ns_get(e->ctx->ns, BH_SIM_NS_T_NONE, id);
	xmlNodePtr n = xmlNewChild(parent, e->tns, (const xmlChar *)name, NULL);
	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	xmlNewProp(n, (const xmlChar *)"internalId", (const xmlChar *)buf);
	if (r)
		text_el(n, e->ctx->ns_core, "name", bh_sim_ns_ref_name(r, nb, sizeof(nb)));
}

static void account_el(struct em *e, xmlNodePtr parent, const char *name, int64_t id)
{
	char buf[32];
	const struct bh_sim_ns_account *a = bh_sim_ns_account_get(e->ctx->ns, id);
	xmlNodePtr n = xmlNewChild(parent, e->tns, (const xmlChar *)name, NULL);
	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	xmlNewProp(n, (const xmlChar *)"internalId", (const xmlChar *)buf);
	if (a)
		text_el(n, e->ctx->ns_core, "name", a->name);
}

static void custom_fields(struct em *e, xmlNodePtr parent, const struct bh_sim_ns_cf *cf, size_t n)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += cf[i].value != NULL;
	if (!shown)
		return;
	xmlNodePtr list = xmlNewChild(parent, e->tns, (const xmlChar *)"customFieldList", NULL);
	for (size_t i = 0; i < n; i++) {
		static const char *const tn[] = {
			[BH_SIM_NS_CF_BOOLEAN] = "platformCore:BooleanCustomFieldRef",
			[BH_SIM_NS_CF_STRING] = "platformCore:StringCustomFieldRef",
			[BH_SIM_NS_CF_LONG] = "platformCore:LongCustomFieldRef",
			[BH_SIM_NS_CF_DOUBLE] = "platformCore:DoubleCustomFieldRef",
			[BH_SIM_NS_CF_DATE] = "platformCore:DateCustomFieldRef",
			[BH_SIM_NS_CF_SELECT] = "platformCore:SelectCustomFieldRef",
		};
		if (!cf[i].value)
			continue;
		xmlNodePtr c = xmlNewChild(list, e->ctx->ns_core, (const xmlChar *)"customField", NULL);
		xmlNewProp(c, (const xmlChar *)"scriptId", (const xmlChar *)cf[i].script_id);
		xmlNewNsProp(c, e->ctx->ns_xsi, (const xmlChar *)"type",
			     (const xmlChar *)tn[cf[i].type ? cf[i].type : BH_SIM_NS_CF_STRING]);
		if (cf[i].type == BH_SIM_NS_CF_SELECT) {
			xmlNodePtr v = xmlNewChild(c, e->ctx->ns_core, (const xmlChar *)"value", NULL);
			xmlNewProp(v, (const xmlChar *)"internalId", (const xmlChar *)cf[i].value);
		} else {
			text_el(c, e->ctx->ns_core, "value", cf[i].value);
		}
	}
}

static void emit_line(struct em *e, xmlNodePtr list, const struct bh_sim_ns_rec *r,
		      const struct bh_sim_ns_line *l, const unsigned char *ord)
{
	char buf[40];
	xmlNodePtr it = xmlNewChild(list, e->tns, (const xmlChar *)"item", NULL);
	bool money = r->type != BH_SIM_NS_T_ITEM_RECEIPT && r->type != BH_SIM_NS_T_ITEM_FULFILLMENT;
	for (const unsigned char *f = ord; *f != F_END; f++) {
		switch (*f) {
		case L_ITEM: ref_el(e, it, "item", l->item); break;
		case L_ORDER_LINE:
			if (l->order_line > 0)
				long_el(it, e->tns, "orderLine", l->order_line);
			break;
		case L_LINE:
			if (l->line > 0)
				long_el(it, e->tns, "line", l->line);
			break;
		case L_QUANTITY: qty_el(it, e->tns, "quantity", l->quantity); break;
		case L_QTY_RECEIVED: qty_el(it, e->tns, "quantityReceived", l->qty_received); break;
		case L_QTY_BILLED: qty_el(it, e->tns, "quantityBilled", l->qty_billed); break;
		case L_QTY_FULFILLED:
			if (r->type == BH_SIM_NS_T_SALES_ORDER)
				qty_el(it, e->tns, "quantityFulfilled", l->qty_received);
			break;
		case L_DESCRIPTION:
			if (l->description)
				text_el(it, e->tns, "description", l->description);
			break;
		case L_RATE:
			if (money || r->type == BH_SIM_NS_T_ITEM_RECEIPT)
				text_el(it, e->tns, "rate", bh_sim_ns_money_fmt(l->rate, buf, sizeof(buf)));
			break;
		case L_AMOUNT:
			if (money)
				dbl_el(it, e->tns, "amount", l->amount);
			break;
		case L_IS_TAXABLE:
			if (money)
				bool_el(it, e->tns, "isTaxable", l->is_taxable == 1);
			break;
		case L_TAX_CODE:
			if (l->tax_code > 0)
				ref_el(e, it, "taxCode", l->tax_code);
			break;
		case L_TAX_AMOUNT:
			if (money && l->tax)
				dbl_el(it, e->tns, "taxAmount", l->tax);
			break;
		case L_IS_CLOSED: bool_el(it, e->tns, "isClosed", l->is_closed == 1); break;
		case L_ITEM_RECEIVE: bool_el(it, e->tns, "itemReceive", l->item_receive != 0); break;
		case L_RESTOCK: bool_el(it, e->tns, "restock", l->restock == 1); break;
		case L_LOCATION:
			if (l->location > 0) {
				xmlNodePtr loc = xmlNewChild(it, e->tns, (const xmlChar *)"location", NULL);
				snprintf(buf, sizeof(buf), "%lld", (long long)l->location);
				xmlNewProp(loc, (const xmlChar *)"internalId", (const xmlChar *)buf);
			}
			break;
		case L_CUSTOM_FIELDS: custom_fields(e, it, l->cf, l->n_cf); break;
		default: break;
		}
	}
}

static void emit_apply(struct em *e, xmlNodePtr parent, const struct bh_sim_ns_rec *r)
{
	if (!r->n_apply)
		return;
	xmlNodePtr list = xmlNewChild(parent, e->tns, (const xmlChar *)"applyList", NULL);
	for (size_t i = 0; i < r->n_apply; i++) {
		struct bh_sim_ns_rec *cm = bh_sim_ns_get(e->ctx->ns, BH_SIM_NS_T_NONE, r->apply[i].doc);
		xmlNodePtr a = xmlNewChild(list, e->tns, (const xmlChar *)"apply", NULL);
		for (const unsigned char *f = ord_CustomerRefundApply; *f != F_END; f++) {
			switch (*f) {
			case L_APPLY: bool_el(a, e->tns, "apply", true); break;
			case L_DOC: long_el(a, e->tns, "doc", r->apply[i].doc); break;
			case L_LINE: long_el(a, e->tns, "line", 0); break;
			case L_TOTAL:
				if (cm)
					dbl_el(a, e->tns, "total", cm->total);
				break;
			case L_AMOUNT: dbl_el(a, e->tns, "amount", r->apply[i].amount); break;
			default: break;
			}
		}
	}
}

xmlNodePtr bh_sim_ns_soap_emit_record(struct bh_sim_ns_soapctx *ctx, xmlNodePtr parent,
				      xmlNsPtr elem_ns, const char *name,
				      const struct bh_sim_ns_rec *r, bool with_lines)
{
	const struct tinfo *ti = &tinfo[r->type];
	char buf[64], xt[96];
	struct em e = {.ctx = ctx};
	struct bh_sim_ns *ns = ctx->ns;
	enum bh_sim_ns_group g = bh_sim_ns_type_group(r->type);
	xmlNodePtr el = xmlNewChild(parent, elem_ns, (const xmlChar *)name, NULL);

	e.el = el;
	if (r->id > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)r->id);
		xmlNewProp(el, (const xmlChar *)"internalId", (const xmlChar *)buf);
	}
	if (r->external_id)
		xmlNewProp(el, (const xmlChar *)"externalId", (const xmlChar *)r->external_id);
	e.tns = xmlNewNs(el, (const xmlChar *)ns_uri(&ctx->x, ti->ns), (const xmlChar *)ti->prefix);
	snprintf(xt, sizeof(xt), "%s:%s", ti->prefix, ti->xsi);
	xmlNewNsProp(el, ctx->ns_xsi, (const xmlChar *)"type", (const xmlChar *)xt);

	for (const unsigned char *f = ti->body; *f != F_END; f++) {
		switch (*f) {
		case F_CREATED_DATE:
			if (r->created_ms)
				time_el(el, e.tns, "createdDate", r->created_ms);
			break;
		case F_LAST_MODIFIED:
			if (r->modified_ms)
				time_el(el, e.tns, "lastModifiedDate", r->modified_ms);
			break;
		case F_ENTITY:
			if (r->entity > 0)
				ref_el(&e, el, "entity", r->entity);
			break;
		case F_CUSTOMER:
			if (r->entity > 0)
				ref_el(&e, el, "customer", r->entity);
			break;
		case F_CURRENCY:
			if (g == BH_SIM_NS_G_TRANSACTION) {
				xmlNodePtr c = xmlNewChild(el, e.tns, (const xmlChar *)"currency", NULL);
				xmlNewProp(c, (const xmlChar *)"internalId", (const xmlChar *)"1");
				text_el(c, ctx->ns_core, "name", r->currency ? r->currency : "USD");
			}
			break;
		case F_TRAN_DATE:
			if (r->tran_date_ms > 0)
				time_el(el, e.tns, "tranDate", r->tran_date_ms);
			break;
		case F_TRAN_ID:
			if (r->tran_id)
				text_el(el, e.tns, "tranId", r->tran_id);
			break;
		case F_CREATED_FROM:
			if (r->created_from > 0)
				ref_el(&e, el, "createdFrom", r->created_from);
			break;
		case F_ORDER_STATUS: {
			const char *os = bh_sim_ns_order_status(ns, r);
			if (os && r->type == BH_SIM_NS_T_SALES_ORDER && !strcmp(os, "_undefined"))
				os = NULL;
			if (os)
				text_el(el, e.tns, "orderStatus", os);
			break;
		}
		case F_STATUS: {
			const char *st = r->id > 0 ? bh_sim_ns_status_text(ns, r) : NULL;
			if (st && *st)
				text_el(el, e.tns, "status", st);
			break;
		}
		case F_OTHER_REF_NUM:
			if (r->other_ref_num)
				text_el(el, e.tns, "otherRefNum", r->other_ref_num);
			break;
		case F_MEMO:
			if (r->memo)
				text_el(el, e.tns, "memo", r->memo);
			break;
		case F_LOCATION:
			if (r->location > 0 && g == BH_SIM_NS_G_TRANSACTION) {
				xmlNodePtr loc = xmlNewChild(el, e.tns, (const xmlChar *)"location", NULL);
				snprintf(buf, sizeof(buf), "%lld", (long long)r->location);
				xmlNewProp(loc, (const xmlChar *)"internalId", (const xmlChar *)buf);
			}
			break;
		case F_ACCOUNT:
			if (r->account > 0)
				account_el(&e, el, "account", r->account);
			break;
		case F_DISCOUNT_ITEM:
			if (r->discount_item > 0)
				ref_el(&e, el, "discountItem", r->discount_item);
			break;
		case F_DISCOUNT_RATE:
			if (r->discount_rate)
				text_el(el, e.tns, "discountRate", r->discount_rate);
			break;
		case F_TAX_ITEM:
			if (r->tax_item > 0 && g == BH_SIM_NS_G_TRANSACTION)
				ref_el(&e, el, "taxItem", r->tax_item);
			break;
		case F_SHIP_METHOD:
			if (r->ship_method > 0)
				ref_el(&e, el, "shipMethod", r->ship_method);
			break;
		case F_SHIPPING_COST:
			if (g == BH_SIM_NS_G_TRANSACTION && r->shipping_cost != BH_SIM_NS_UNSET &&
			    r->shipping_cost && r->type != BH_SIM_NS_T_ITEM_FULFILLMENT)
				dbl_el(el, e.tns, "shippingCost", r->shipping_cost);
			break;
		case F_SUBTOTAL: dbl_el(el, e.tns, "subTotal", r->subtotal); break;
		case F_DISCOUNT_TOTAL:
			if (r->discount_total && r->discount_total != BH_SIM_NS_UNSET)
				dbl_el(el, e.tns, "discountTotal", r->discount_total);
			break;
		case F_TAX_TOTAL: dbl_el(el, e.tns, "taxTotal", r->tax_total); break;
		case F_TOTAL: dbl_el(el, e.tns, "total", r->total); break;
		case F_APPLIED: dbl_el(el, e.tns, "applied", r->applied); break;
		case F_ITEM_LIST:
			if (with_lines && r->n_lines && ti->line) {
				xmlNodePtr list = xmlNewChild(el, e.tns, (const xmlChar *)"itemList", NULL);
				for (size_t i = 0; i < r->n_lines; i++)
					emit_line(&e, list, r, &r->lines[i], ti->line);
			}
			break;
		case F_APPLY_LIST:
			if (r->type == BH_SIM_NS_T_CUSTOMER_REFUND)
				emit_apply(&e, el, r);
			break;
		case F_CUSTOM_FIELDS: custom_fields(&e, el, r->cf, r->n_cf); break;
		case F_ENTITY_ID:
			if (r->entity_id)
				text_el(el, e.tns, "entityId", r->entity_id);
			break;
		case F_IS_PERSON: bool_el(el, e.tns, "isPerson", r->is_person == 1); break;
		case F_FIRST_NAME:
			if (r->first_name)
				text_el(el, e.tns, "firstName", r->first_name);
			break;
		case F_LAST_NAME:
			if (r->last_name)
				text_el(el, e.tns, "lastName", r->last_name);
			break;
		case F_COMPANY_NAME:
			if (r->company_name)
				text_el(el, e.tns, "companyName", r->company_name);
			break;
		case F_PHONE:
			if (r->phone)
				text_el(el, e.tns, "phone", r->phone);
			break;
		case F_EMAIL:
			if (g == BH_SIM_NS_G_ENTITY && r->email)
				text_el(el, e.tns, "email", r->email);
			break;
		case F_IS_INACTIVE: bool_el(el, e.tns, "isInactive", r->is_inactive == 1); break;
		case F_ITEM_ID:
			if (r->item_id)
				text_el(el, e.tns, "itemId", r->item_id);
			break;
		case F_DISPLAY_NAME:
			if (r->display_name)
				text_el(el, e.tns, "displayName", r->display_name);
			break;
		case F_COST: dbl_el(el, e.tns, "cost", r->cost); break;
		case F_RATE:
			if (r->type == BH_SIM_NS_T_SALES_TAX_ITEM) {
				char pct[48], d[40];
				bh_sim_ns_soap_double(r->tax_rate_ppm / 100, d, sizeof(d));
				snprintf(pct, sizeof(pct), "%s%%", d);
				text_el(el, e.tns, "rate", pct);
			} else if (r->type == BH_SIM_NS_T_DISCOUNT_ITEM) {
				text_el(el, e.tns, "rate", bh_sim_ns_money_fmt(r->price, buf, sizeof(buf)));
			} else {
				dbl_el(el, e.tns, "rate", r->price);
			}
			break;
		case F_INCOME_ACCOUNT:
			if (r->income_account > 0)
				account_el(&e, el, "incomeAccount", r->income_account);
			break;
		default:
			break;
		}
	}
	return el;
}
