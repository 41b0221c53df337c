/*
 * sim_shopify_gql_schema.c - the GraphQL Admin API types and fields the Shopify
 * simulator serves: the order reads a connector needs (research §4, §5), as static
 * tables. Field names follow shopify.dev's Admin GraphQL reference; only a subset of
 * each type exists here, and anything else is answered like Shopify answers an unknown
 * field (undefinedField). Connections offer edges/node/cursor, nodes and pageInfo.
 *
 * Ownership: immutable static data. Threading: read-only, any thread (the name index
 * is built once under pthread_once).
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "sim_shopify_gql.h"

#define NN BH_GF_NONNULL
#define LS BH_GF_LIST
#define CN (BH_GF_CONN | BH_GF_NONNULL)
#define FR BH_GF_FREE
#define F(n, t, fl, a, r) {n, &T_##t, fl, a, r}
#define END {NULL, NULL, 0, NULL, R_NONE}

/* forward declarations (tentative definitions) so tables can point at each other */
static const struct bh_gtype T_ID, T_String, T_Int, T_Float, T_Boolean, T_DateTime, T_Decimal,
	T_UnsignedInt64, T_Date;
static const struct bh_gtype T_OrderSortKeys, T_GiftCardSortKeys, T_OrderDisplayFinancialStatus,
	T_OrderDisplayFulfillmentStatus, T_OrderCancelReason, T_CurrencyCode, T_OrderTransactionKind,
	T_OrderTransactionStatus, T_OrderTransactionErrorCode, T_RefundLineItemRestockType,
	T_DiscountApplicationAllocationMethod, T_DiscountApplicationTargetSelection,
	T_DiscountApplicationTargetType, T_OrderAdjustmentDiscrepancyReason, T_CountPrecision,
	T_CountryCode, T_ReturnStatus;
static const struct bh_gtype T_QueryRoot, T_Mutation, T_Order, T_LineItem, T_ProductVariant,
	T_Product, T_TaxLine, T_DiscountAllocation, T_DiscountCodeApplication,
	T_ManualDiscountApplication, T_AutomaticDiscountApplication, T_ScriptDiscountApplication,
	T_PricingPercentageValue, T_MoneyV2, T_MoneyBag, T_ShippingLine, T_OrderTransaction,
	T_Refund, T_RefundLineItem, T_RefundShippingLine, T_OrderAdjustment, T_Customer,
	T_MailingAddress, T_Attribute, T_GiftCard, T_Return, T_Shop, T_Count, T_PageInfo;
static const struct bh_gtype T_DiscountApplication, T_Node, T_PricingValue;
static const struct bh_gtype T_OrderConnection, T_OrderEdge, T_LineItemConnection, T_LineItemEdge,
	T_ShippingLineConnection, T_ShippingLineEdge, T_DiscountApplicationConnection,
	T_DiscountApplicationEdge, T_RefundLineItemConnection, T_RefundLineItemEdge,
	T_RefundShippingLineConnection, T_RefundShippingLineEdge, T_OrderTransactionConnection,
	T_OrderTransactionEdge, T_OrderAdjustmentConnection, T_OrderAdjustmentEdge,
	T_GiftCardConnection, T_GiftCardEdge, T_ReturnConnection, T_ReturnEdge;

/* ---------------------------------------------------------------- scalars, enums */

#define SCALAR(n) static const struct bh_gtype T_##n = {#n, BH_GK_SCALAR, NULL, NULL, NULL}
SCALAR(ID);
SCALAR(String);
SCALAR(Int);
SCALAR(Float);
SCALAR(Boolean);
SCALAR(DateTime);
SCALAR(Decimal);
SCALAR(UnsignedInt64);
SCALAR(Date);

#define ENUM(n, ...)                                                                    \
	static const char *const V_##n[] = {__VA_ARGS__, NULL};                          \
	static const struct bh_gtype T_##n = {#n, BH_GK_ENUM, NULL, NULL, V_##n}
ENUM(OrderSortKeys, "CREATED_AT", "CUSTOMER_NAME", "DESTINATION", "FINANCIAL_STATUS",
     "FULFILLMENT_STATUS", "ID", "ORDER_NUMBER", "PO_NUMBER", "PROCESSED_AT", "RELEVANCE",
     "TOTAL_ITEMS_QUANTITY", "TOTAL_PRICE", "UPDATED_AT");
ENUM(GiftCardSortKeys, "AMOUNT_SPENT", "BALANCE", "CODE", "CREATED_AT", "CUSTOMER_NAME",
     "DISABLED_AT", "EXPIRES_ON", "ID", "INITIAL_VALUE", "RELEVANCE", "UPDATED_AT");
ENUM(OrderDisplayFinancialStatus, "AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID",
     "PARTIALLY_REFUNDED", "PENDING", "REFUNDED", "VOIDED");
ENUM(OrderDisplayFulfillmentStatus, "FULFILLED", "IN_PROGRESS", "ON_HOLD", "OPEN",
     "PARTIALLY_FULFILLED", "PENDING_FULFILLMENT", "RESTOCKED", "SCHEDULED", "UNFULFILLED");
ENUM(OrderCancelReason, "CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF");
ENUM(CurrencyCode, "USD", "EUR", "GBP", "CAD", "AUD");
ENUM(OrderTransactionKind, "AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND",
     "SALE", "SUGGESTED_REFUND", "VOID");
ENUM(OrderTransactionStatus, "AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS",
     "UNKNOWN");
ENUM(OrderTransactionErrorCode, "CALL_ISSUER", "CARD_DECLINED", "EXPIRED_CARD", "GENERIC_ERROR",
     "INCORRECT_NUMBER", "PROCESSING_ERROR");
ENUM(RefundLineItemRestockType, "CANCEL", "LEGACY_RESTOCK", "NO_RESTOCK", "RETURN");
ENUM(DiscountApplicationAllocationMethod, "ACROSS", "EACH", "ONE");
ENUM(DiscountApplicationTargetSelection, "ALL", "ENTITLED", "EXPLICIT");
ENUM(DiscountApplicationTargetType, "LINE_ITEM", "SHIPPING_LINE");
ENUM(OrderAdjustmentDiscrepancyReason, "CUSTOMER", "DAMAGE", "FULL_RETURN_BALANCING_ADJUSTMENT",
     "PENDING_REFUND_DISCREPANCY", "REFUND_DISCREPANCY", "RESTOCK", "SHIPPING_REFUND");
ENUM(CountPrecision, "AT_LEAST", "EXACT");
ENUM(CountryCode, "US", "CA", "GB", "DE", "FR", "AU");
ENUM(ReturnStatus, "CANCELED", "CLOSED", "DECLINED", "OPEN", "REQUESTED");

/* ---------------------------------------------------------------- arguments */

#define ARGS_CONN {"first", &T_Int, 0}, {"after", &T_String, 0}, {"last", &T_Int, 0}, \
	{"before", &T_String, 0}, {"reverse", &T_Boolean, 0}
static const struct bh_garg A_conn[] = {ARGS_CONN, {NULL, NULL, 0}};
static const struct bh_garg A_orders[] = {ARGS_CONN,
					  {"query", &T_String, 0},
					  {"sortKey", &T_OrderSortKeys, 0},
					  {"savedSearchId", &T_ID, 0},
					  {NULL, NULL, 0}};
static const struct bh_garg A_giftcards[] = {ARGS_CONN,
					     {"query", &T_String, 0},
					     {"sortKey", &T_GiftCardSortKeys, 0},
					     {"savedSearchId", &T_ID, 0},
					     {NULL, NULL, 0}};
static const struct bh_garg A_shiplines[] = {ARGS_CONN, {"includeRemovals", &T_Boolean, 0},
					     {NULL, NULL, 0}};
static const struct bh_garg A_id[] = {{"id", &T_ID, BH_GF_NONNULL}, {NULL, NULL, 0}};
static const struct bh_garg A_first[] = {{"first", &T_Int, 0}, {NULL, NULL, 0}};
static const struct bh_garg A_txns[] = {{"first", &T_Int, 0},
					{"capturable", &T_Boolean, 0},
					{"manuallyResolvable", &T_Boolean, 0},
					{NULL, NULL, 0}};
static const struct bh_garg A_count[] = {{"query", &T_String, 0}, {"limit", &T_Int, 0},
					 {NULL, NULL, 0}};

/* ---------------------------------------------------------------- objects */

static const struct bh_gfield F_QueryRoot[] = {
	F("orders", OrderConnection, CN, A_orders, R_Q_ORDERS),
	F("order", Order, 0, A_id, R_Q_ORDER),
	F("ordersCount", Count, 0, A_count, R_Q_ORDERS_COUNT),
	F("giftCards", GiftCardConnection, CN, A_giftcards, R_Q_GIFTCARDS),
	F("giftCard", GiftCard, 0, A_id, R_Q_GIFTCARD),
	F("shop", Shop, NN, NULL, R_Q_SHOP),
	F("node", Node, 0, A_id, R_Q_NODE),
	END};
static const struct bh_gtype T_QueryRoot = {"QueryRoot", BH_GK_OBJECT, F_QueryRoot, NULL, NULL};
static const struct bh_gfield F_Mutation[] = {END};
static const struct bh_gtype T_Mutation = {"Mutation", BH_GK_OBJECT, F_Mutation, NULL, NULL};

static const struct bh_gfield F_Order[] = {
	F("id", ID, NN, NULL, R_O_ID),
	F("legacyResourceId", UnsignedInt64, NN, NULL, R_O_LEGACY),
	F("name", String, NN, NULL, R_O_NAME),
	F("email", String, 0, NULL, R_O_EMAIL),
	F("phone", String, 0, NULL, R_O_PHONE),
	F("createdAt", DateTime, NN, NULL, R_O_CREATED),
	F("updatedAt", DateTime, NN, NULL, R_O_UPDATED),
	F("processedAt", DateTime, NN, NULL, R_O_PROCESSED),
	F("cancelledAt", DateTime, 0, NULL, R_O_CANCELLED_AT),
	F("closedAt", DateTime, 0, NULL, R_O_CLOSED_AT),
	F("closed", Boolean, NN, NULL, R_O_CLOSED),
	F("cancelReason", OrderCancelReason, 0, NULL, R_O_CANCEL_REASON),
	F("confirmed", Boolean, NN, NULL, R_O_CONFIRMED),
	F("test", Boolean, NN, NULL, R_O_TEST),
	F("currencyCode", CurrencyCode, NN, NULL, R_O_CURRENCY),
	F("presentmentCurrencyCode", CurrencyCode, NN, NULL, R_O_PCURRENCY),
	F("displayFinancialStatus", OrderDisplayFinancialStatus, 0, NULL, R_O_FIN_STATUS),
	F("displayFulfillmentStatus", OrderDisplayFulfillmentStatus, NN, NULL, R_O_FUL_STATUS),
	F("note", String, 0, NULL, R_O_NOTE),
	F("tags", String, LS | NN, NULL, R_O_TAGS),
	F("paymentGatewayNames", String, LS | NN, NULL, R_O_GATEWAYS),
	F("taxesIncluded", Boolean, NN, NULL, R_O_TAXES_INCLUDED),
	F("sourceName", String, 0, NULL, R_O_SOURCE_NAME),
	F("confirmationNumber", String, 0, NULL, R_O_CONFIRMATION),
	F("discountCode", String, 0, NULL, R_O_DISCOUNT_CODE),
	F("discountCodes", String, LS | NN, NULL, R_O_DISCOUNT_CODES),
	F("subtotalLineItemsQuantity", Int, NN, NULL, R_O_SUBTOTAL_QTY),
	F("subtotalPriceSet", MoneyBag, 0, NULL, R_O_SUBTOTAL_SET),
	F("totalPriceSet", MoneyBag, NN, NULL, R_O_TOTAL_PRICE_SET),
	F("totalTaxSet", MoneyBag, 0, NULL, R_O_TOTAL_TAX_SET),
	F("totalDiscountsSet", MoneyBag, 0, NULL, R_O_TOTAL_DISCOUNTS_SET),
	F("totalShippingPriceSet", MoneyBag, NN, NULL, R_O_TOTAL_SHIPPING_SET),
	F("totalRefundedSet", MoneyBag, NN, NULL, R_O_TOTAL_REFUNDED_SET),
	F("totalRefundedShippingSet", MoneyBag, NN, NULL, R_O_REFUNDED_SHIPPING_SET),
	F("totalReceivedSet", MoneyBag, NN, NULL, R_O_TOTAL_RECEIVED_SET),
	F("netPaymentSet", MoneyBag, NN, NULL, R_O_NET_PAYMENT_SET),
	F("totalOutstandingSet", MoneyBag, NN, NULL, R_O_OUTSTANDING_SET),
	F("currentSubtotalPriceSet", MoneyBag, NN, NULL, R_O_CUR_SUBTOTAL_SET),
	F("currentTotalPriceSet", MoneyBag, NN, NULL, R_O_CUR_TOTAL_SET),
	F("currentTotalTaxSet", MoneyBag, NN, NULL, R_O_CUR_TAX_SET),
	F("currentTotalDiscountsSet", MoneyBag, NN, NULL, R_O_CUR_DISCOUNTS_SET),
	F("originalTotalPriceSet", MoneyBag, NN, NULL, R_O_ORIG_TOTAL_SET),
	F("totalTipReceivedSet", MoneyBag, NN, NULL, R_O_TIP_SET),
	F("customer", Customer, 0, NULL, R_O_CUSTOMER),
	F("billingAddress", MailingAddress, 0, NULL, R_O_BILLING),
	F("shippingAddress", MailingAddress, 0, NULL, R_O_SHIPPING_ADDR),
	F("lineItems", LineItemConnection, CN, A_conn, R_O_LINES),
	F("shippingLines", ShippingLineConnection, CN, A_shiplines, R_O_SHIPLINES),
	F("shippingLine", ShippingLine, 0, NULL, R_O_SHIPLINE),
	F("discountApplications", DiscountApplicationConnection, CN, A_conn, R_O_DAPPS),
	F("taxLines", TaxLine, LS | NN, NULL, R_O_TAXLINES),
	F("transactions", OrderTransaction, LS | NN, A_txns, R_O_TXNS),
	F("refunds", Refund, LS | NN, A_first, R_O_REFUNDS),
	F("customAttributes", Attribute, LS | NN, NULL, R_O_ATTRS),
	F("returns", ReturnConnection, CN, A_conn, R_O_RETURNS),
	END};
static const struct bh_gtype *const P_Node[] = {&T_Order, &T_LineItem, &T_GiftCard, &T_Refund,
						 &T_OrderTransaction, &T_Customer, &T_Product,
						 &T_ProductVariant, &T_Return, NULL};
static const struct bh_gtype T_Order = {"Order", BH_GK_OBJECT, F_Order, NULL, NULL};

static const struct bh_gfield F_LineItem[] = {
	F("id", ID, NN, NULL, R_L_ID),
	F("name", String, NN, NULL, R_L_NAME),
	F("title", String, NN, NULL, R_L_TITLE),
	F("sku", String, 0, NULL, R_L_SKU),
	F("quantity", Int, NN, NULL, R_L_QTY),
	F("currentQuantity", Int, NN, NULL, R_L_CUR_QTY),
	F("refundableQuantity", Int, NN, NULL, R_L_REFUNDABLE_QTY),
	F("unfulfilledQuantity", Int, NN, NULL, R_L_UNFULFILLED_QTY),
	F("variantTitle", String, 0, NULL, R_L_VARIANT_TITLE),
	F("vendor", String, 0, NULL, R_L_VENDOR),
	F("requiresShipping", Boolean, NN, NULL, R_L_REQ_SHIPPING),
	F("taxable", Boolean, NN, NULL, R_L_TAXABLE),
	F("isGiftCard", Boolean, NN, NULL, R_L_GIFT_CARD),
	F("originalUnitPriceSet", MoneyBag, NN, NULL, R_L_ORIG_UNIT),
	F("discountedUnitPriceSet", MoneyBag, NN, NULL, R_L_DISC_UNIT),
	F("discountedUnitPriceAfterAllDiscountsSet", MoneyBag, NN, NULL, R_L_DISC_UNIT_ALL),
	F("originalTotalSet", MoneyBag, NN, NULL, R_L_ORIG_TOTAL),
	F("discountedTotalSet", MoneyBag, NN, NULL, R_L_DISC_TOTAL),
	F("totalDiscountSet", MoneyBag, NN, NULL, R_L_TOTAL_DISCOUNT),
	F("discountAllocations", DiscountAllocation, LS | NN, NULL, R_L_ALLOCS),
	F("taxLines", TaxLine, LS | NN, A_first, R_L_TAXLINES),
	F("variant", ProductVariant, 0, NULL, R_L_VARIANT),
	F("product", Product, 0, NULL, R_L_PRODUCT),
	F("customAttributes", Attribute, LS | NN, NULL, R_L_ATTRS),
	END};
static const struct bh_gtype T_LineItem = {"LineItem", BH_GK_OBJECT, F_LineItem, NULL, NULL};

static const struct bh_gfield F_ProductVariant[] = {
	F("id", ID, NN, NULL, R_V_ID), F("legacyResourceId", UnsignedInt64, NN, NULL, R_V_LEGACY),
	F("sku", String, 0, NULL, R_V_SKU), F("title", String, NN, NULL, R_V_TITLE), END};
static const struct bh_gtype T_ProductVariant = {"ProductVariant", BH_GK_OBJECT, F_ProductVariant,
						  NULL, NULL};
static const struct bh_gfield F_Product[] = {
	F("id", ID, NN, NULL, R_P_ID), F("legacyResourceId", UnsignedInt64, NN, NULL, R_P_LEGACY),
	F("title", String, NN, NULL, R_P_TITLE), END};
static const struct bh_gtype T_Product = {"Product", BH_GK_OBJECT, F_Product, NULL, NULL};

static const struct bh_gfield F_TaxLine[] = {
	F("title", String, NN, NULL, R_T_TITLE),
	F("rate", Float, 0, NULL, R_T_RATE),
	F("ratePercentage", Float, 0, NULL, R_T_RATE_PCT),
	F("priceSet", MoneyBag, NN, NULL, R_T_PRICE_SET),
	F("channelLiable", Boolean, 0, NULL, R_T_CHANNEL),
	END};
static const struct bh_gtype T_TaxLine = {"TaxLine", BH_GK_OBJECT, F_TaxLine, NULL, NULL};

static const struct bh_gfield F_DiscountAllocation[] = {
	F("allocatedAmountSet", MoneyBag, NN, NULL, R_A_AMOUNT_SET),
	F("discountApplication", DiscountApplication, NN, NULL, R_A_APP),
	END};
static const struct bh_gtype T_DiscountAllocation = {"DiscountAllocation", BH_GK_OBJECT,
						      F_DiscountAllocation, NULL, NULL};

#define DAPP_FIELDS                                                                     \
	F("allocationMethod", DiscountApplicationAllocationMethod, NN, NULL, R_D_ALLOCATION), \
	F("targetSelection", DiscountApplicationTargetSelection, NN, NULL, R_D_TARGET_SEL), \
	F("targetType", DiscountApplicationTargetType, NN, NULL, R_D_TARGET_TYPE),           \
	F("value", PricingValue, NN, NULL, R_D_VALUE), F("index", Int, NN, NULL, R_D_INDEX)
static const struct bh_gfield F_DiscountApplication[] = {DAPP_FIELDS, END};
static const struct bh_gfield F_DiscountCodeApplication[] = {
	DAPP_FIELDS, F("code", String, NN, NULL, R_D_CODE), END};
static const struct bh_gfield F_ManualDiscountApplication[] = {
	DAPP_FIELDS, F("title", String, NN, NULL, R_D_TITLE),
	F("description", String, 0, NULL, R_D_DESCRIPTION), END};
static const struct bh_gfield F_AutomaticDiscountApplication[] = {
	DAPP_FIELDS, F("title", String, NN, NULL, R_D_TITLE), END};
static const struct bh_gfield F_ScriptDiscountApplication[] = {
	DAPP_FIELDS, F("title", String, NN, NULL, R_D_TITLE), END};
static const struct bh_gtype *const P_DiscountApplication[] = {
	&T_DiscountCodeApplication, &T_ManualDiscountApplication, &T_AutomaticDiscountApplication,
	&T_ScriptDiscountApplication, NULL};
static const struct bh_gtype T_DiscountApplication = {"DiscountApplication", BH_GK_INTERFACE,
						       F_DiscountApplication, P_DiscountApplication,
						       NULL};
static const struct bh_gtype T_DiscountCodeApplication = {
	"DiscountCodeApplication", BH_GK_OBJECT, F_DiscountCodeApplication, NULL, NULL};
static const struct bh_gtype T_ManualDiscountApplication = {
	"ManualDiscountApplication", BH_GK_OBJECT, F_ManualDiscountApplication, NULL, NULL};
static const struct bh_gtype T_AutomaticDiscountApplication = {
	"AutomaticDiscountApplication", BH_GK_OBJECT, F_AutomaticDiscountApplication, NULL, NULL};
static const struct bh_gtype T_ScriptDiscountApplication = {
	"ScriptDiscountApplication", BH_GK_OBJECT, F_ScriptDiscountApplication, NULL, NULL};

static const struct bh_gfield F_PricingPercentageValue[] = {
	F("percentage", Float, NN, NULL, R_PCT_PERCENTAGE), END};
static const struct bh_gtype T_PricingPercentageValue = {
	"PricingPercentageValue", BH_GK_OBJECT, F_PricingPercentageValue, NULL, NULL};
static const struct bh_gtype *const P_PricingValue[] = {&T_MoneyV2, &T_PricingPercentageValue,
							 NULL};
static const struct bh_gfield F_none[] = {END};
static const struct bh_gtype T_PricingValue = {"PricingValue", BH_GK_UNION, F_none,
						P_PricingValue, NULL};

static const struct bh_gfield F_MoneyV2[] = {F("amount", Decimal, NN, NULL, R_M_AMOUNT),
					     F("currencyCode", CurrencyCode, NN, NULL, R_M_CURRENCY),
					     END};
static const struct bh_gtype T_MoneyV2 = {"MoneyV2", BH_GK_OBJECT, F_MoneyV2, NULL, NULL};
static const struct bh_gfield F_MoneyBag[] = {F("shopMoney", MoneyV2, NN, NULL, R_MB_SHOP),
					      F("presentmentMoney", MoneyV2, NN, NULL,
						R_MB_PRESENTMENT),
					      END};
static const struct bh_gtype T_MoneyBag = {"MoneyBag", BH_GK_OBJECT, F_MoneyBag, NULL, NULL};

static const struct bh_gfield F_ShippingLine[] = {
	F("id", ID, 0, NULL, R_S_ID),
	F("title", String, NN, NULL, R_S_TITLE),
	F("code", String, 0, NULL, R_S_CODE),
	F("source", String, 0, NULL, R_S_SOURCE),
	F("carrierIdentifier", String, 0, NULL, R_S_CARRIER),
	F("originalPriceSet", MoneyBag, NN, NULL, R_S_ORIG_SET),
	F("discountedPriceSet", MoneyBag, NN, NULL, R_S_DISC_SET),
	F("taxLines", TaxLine, LS | NN, NULL, R_S_TAXLINES),
	F("discountAllocations", DiscountAllocation, LS | NN, NULL, R_S_ALLOCS),
	F("isRemoved", Boolean, NN, NULL, R_S_REMOVED),
	F("custom", Boolean, NN, NULL, R_S_CUSTOM),
	END};
static const struct bh_gtype T_ShippingLine = {"ShippingLine", BH_GK_OBJECT, F_ShippingLine, NULL,
						NULL};

static const struct bh_gfield F_OrderTransaction[] = {
	F("id", ID, NN, NULL, R_X_ID),
	F("kind", OrderTransactionKind, NN, NULL, R_X_KIND),
	F("status", OrderTransactionStatus, NN, NULL, R_X_STATUS),
	F("gateway", String, 0, NULL, R_X_GATEWAY),
	F("formattedGateway", String, 0, NULL, R_X_FGATEWAY),
	F("amountSet", MoneyBag, NN, NULL, R_X_AMOUNT_SET),
	F("createdAt", DateTime, NN, NULL, R_X_CREATED),
	F("processedAt", DateTime, 0, NULL, R_X_PROCESSED),
	F("parentTransaction", OrderTransaction, 0, NULL, R_X_PARENT),
	F("test", Boolean, NN, NULL, R_X_TEST),
	F("errorCode", OrderTransactionErrorCode, 0, NULL, R_X_ERROR_CODE),
	F("authorizationCode", String, 0, NULL, R_X_AUTH_CODE),
	F("paymentId", String, 0, NULL, R_X_PAYMENT_ID),
	F("order", Order, 0, NULL, R_X_ORDER),
	END};
static const struct bh_gtype T_OrderTransaction = {"OrderTransaction", BH_GK_OBJECT,
						    F_OrderTransaction, NULL, NULL};

static const struct bh_gfield F_Refund[] = {
	F("id", ID, NN, NULL, R_R_ID),
	F("legacyResourceId", UnsignedInt64, NN, NULL, R_R_LEGACY),
	F("createdAt", DateTime, 0, NULL, R_R_CREATED),
	F("updatedAt", DateTime, NN, NULL, R_R_UPDATED),
	F("note", String, 0, NULL, R_R_NOTE),
	F("totalRefundedSet", MoneyBag, NN, NULL, R_R_TOTAL_SET),
	F("refundLineItems", RefundLineItemConnection, CN, A_conn, R_R_LINES),
	F("refundShippingLines", RefundShippingLineConnection, CN, A_conn, R_R_SHIPS),
	F("transactions", OrderTransactionConnection, CN, A_conn, R_R_TXNS),
	F("orderAdjustments", OrderAdjustmentConnection, CN, A_conn, R_R_ADJS),
	F("order", Order, NN, NULL, R_R_ORDER),
	F("return", Return, 0, NULL, R_R_RETURN),
	END};
static const struct bh_gtype T_Refund = {"Refund", BH_GK_OBJECT, F_Refund, NULL, NULL};

static const struct bh_gfield F_RefundLineItem[] = {
	F("id", ID, 0, NULL, R_RL_ID),
	F("lineItem", LineItem, NN, NULL, R_RL_LINE),
	F("quantity", Int, NN, NULL, R_RL_QTY),
	F("restockType", RefundLineItemRestockType, NN, NULL, R_RL_RESTOCK_TYPE),
	F("restocked", Boolean, NN, NULL, R_RL_RESTOCKED),
	F("priceSet", MoneyBag, NN, NULL, R_RL_PRICE_SET),
	F("subtotalSet", MoneyBag, NN, NULL, R_RL_SUBTOTAL_SET),
	F("totalTaxSet", MoneyBag, NN, NULL, R_RL_TAX_SET),
	END};
static const struct bh_gtype T_RefundLineItem = {"RefundLineItem", BH_GK_OBJECT, F_RefundLineItem,
						  NULL, NULL};
static const struct bh_gfield F_RefundShippingLine[] = {
	F("id", ID, NN, NULL, R_RS_ID),
	F("shippingLine", ShippingLine, 0, NULL, R_RS_LINE),
	F("subtotalAmountSet", MoneyBag, NN, NULL, R_RS_SUBTOTAL_SET),
	F("taxAmountSet", MoneyBag, NN, NULL, R_RS_TAX_SET),
	END};
static const struct bh_gtype T_RefundShippingLine = {"RefundShippingLine", BH_GK_OBJECT,
						      F_RefundShippingLine, NULL, NULL};
static const struct bh_gfield F_OrderAdjustment[] = {
	F("id", ID, NN, NULL, R_ADJ_ID),
	F("amountSet", MoneyBag, NN, NULL, R_ADJ_AMOUNT_SET),
	F("taxAmountSet", MoneyBag, NN, NULL, R_ADJ_TAX_SET),
	F("reason", OrderAdjustmentDiscrepancyReason, 0, NULL, R_ADJ_REASON),
	END};
static const struct bh_gtype T_OrderAdjustment = {"OrderAdjustment", BH_GK_OBJECT,
						   F_OrderAdjustment, NULL, NULL};

static const struct bh_gfield F_Customer[] = {
	F("id", ID, NN, NULL, R_CU_ID),
	F("legacyResourceId", UnsignedInt64, NN, NULL, R_CU_LEGACY),
	F("email", String, 0, NULL, R_CU_EMAIL),
	F("firstName", String, 0, NULL, R_CU_FIRST),
	F("lastName", String, 0, NULL, R_CU_LAST),
	F("displayName", String, NN, NULL, R_CU_DISPLAY),
	F("phone", String, 0, NULL, R_CU_PHONE),
	END};
static const struct bh_gtype T_Customer = {"Customer", BH_GK_OBJECT, F_Customer, NULL, NULL};

static const struct bh_gfield F_MailingAddress[] = {
	F("address1", String, 0, NULL, R_AD_FIELD),
	F("address2", String, 0, NULL, R_AD_FIELD),
	F("city", String, 0, NULL, R_AD_FIELD),
	F("company", String, 0, NULL, R_AD_FIELD),
	F("country", String, 0, NULL, R_AD_FIELD),
	F("countryCodeV2", CountryCode, 0, NULL, R_AD_COUNTRY_CODE),
	F("firstName", String, 0, NULL, R_AD_FIELD),
	F("lastName", String, 0, NULL, R_AD_FIELD),
	F("name", String, 0, NULL, R_AD_FIELD),
	F("phone", String, 0, NULL, R_AD_FIELD),
	F("province", String, 0, NULL, R_AD_FIELD),
	F("provinceCode", String, 0, NULL, R_AD_FIELD),
	F("zip", String, 0, NULL, R_AD_FIELD),
	F("latitude", Float, 0, NULL, R_AD_LAT),
	F("longitude", Float, 0, NULL, R_AD_LNG),
	END};
static const struct bh_gtype T_MailingAddress = {"MailingAddress", BH_GK_OBJECT, F_MailingAddress,
						  NULL, NULL};
static const struct bh_gfield F_Attribute[] = {F("key", String, NN, NULL, R_AT_KEY),
					       F("value", String, 0, NULL, R_AT_VALUE), END};
static const struct bh_gtype T_Attribute = {"Attribute", BH_GK_OBJECT, F_Attribute, NULL, NULL};

static const struct bh_gfield F_GiftCard[] = {
	F("id", ID, NN, NULL, R_G_ID),
	F("legacyResourceId", UnsignedInt64, NN, NULL, R_G_LEGACY),
	F("balance", MoneyV2, NN, NULL, R_G_BALANCE),
	F("initialValue", MoneyV2, NN, NULL, R_G_INITIAL),
	F("lastCharacters", String, NN, NULL, R_G_LAST),
	F("maskedCode", String, NN, NULL, R_G_MASKED),
	F("createdAt", DateTime, NN, NULL, R_G_CREATED),
	F("updatedAt", DateTime, NN, NULL, R_G_UPDATED),
	F("deactivatedAt", DateTime, 0, NULL, R_G_DEACTIVATED),
	F("enabled", Boolean, NN, NULL, R_G_ENABLED),
	F("expiresOn", Date, 0, NULL, R_G_EXPIRES),
	F("note", String, 0, NULL, R_G_NOTE),
	F("order", Order, 0, NULL, R_G_ORDER),
	F("customer", Customer, 0, NULL, R_G_CUSTOMER),
	END};
static const struct bh_gtype T_GiftCard = {"GiftCard", BH_GK_OBJECT, F_GiftCard, NULL, NULL};

static const struct bh_gfield F_Return[] = {F("id", ID, NN, NULL, R_RET_ID),
					    F("name", String, NN, NULL, R_RET_NAME),
					    F("status", ReturnStatus, NN, NULL, R_RET_STATUS), END};
static const struct bh_gtype T_Return = {"Return", BH_GK_OBJECT, F_Return, NULL, NULL};

static const struct bh_gfield F_Shop[] = {
	F("id", ID, NN, NULL, R_SH_ID), F("name", String, NN, NULL, R_SH_NAME),
	F("myshopifyDomain", String, NN, NULL, R_SH_DOMAIN),
	F("currencyCode", CurrencyCode, NN, NULL, R_SH_CURRENCY),
	F("ianaTimezone", String, NN, NULL, R_SH_TZ), END};
static const struct bh_gtype T_Shop = {"Shop", BH_GK_OBJECT, F_Shop, NULL, NULL};

static const struct bh_gfield F_Count[] = {F("count", Int, NN, NULL, R_CNT_COUNT),
					   F("precision", CountPrecision, NN, NULL,
					     R_CNT_PRECISION),
					   END};
static const struct bh_gtype T_Count = {"Count", BH_GK_OBJECT, F_Count, NULL, NULL};

static const struct bh_gfield F_PageInfo[] = {
	F("hasNextPage", Boolean, NN, NULL, R_PI_NEXT),
	F("hasPreviousPage", Boolean, NN, NULL, R_PI_PREV),
	F("startCursor", String, 0, NULL, R_PI_START),
	F("endCursor", String, 0, NULL, R_PI_END), END};
static const struct bh_gtype T_PageInfo = {"PageInfo", BH_GK_OBJECT, F_PageInfo, NULL, NULL};

static const struct bh_gfield F_Node[] = {F("id", ID, NN, NULL, R_N_ID), END};
static const struct bh_gtype T_Node = {"Node", BH_GK_INTERFACE, F_Node, P_Node, NULL};

/* connections: XConnection {edges [XEdge], nodes [X], pageInfo}, XEdge {cursor, node} */
#define CONN(X)                                                                         \
	static const struct bh_gfield F_##X##Connection[] = {                            \
		F("edges", X##Edge, LS | NN | FR, NULL, R_C_EDGES),                      \
		F("nodes", X, LS | NN, NULL, R_C_NODES),                                 \
		F("pageInfo", PageInfo, NN | FR, NULL, R_C_PAGEINFO), END};              \
	static const struct bh_gfield F_##X##Edge[] = {                                  \
		F("cursor", String, NN, NULL, R_E_CURSOR),                               \
		F("node", X, NN, NULL, R_E_NODE), END};                                  \
	static const struct bh_gtype T_##X##Connection = {#X "Connection", BH_GK_OBJECT, \
							  F_##X##Connection, NULL, NULL}; \
	static const struct bh_gtype T_##X##Edge = {#X "Edge", BH_GK_OBJECT, F_##X##Edge, \
						    NULL, NULL}
CONN(Order);
CONN(LineItem);
CONN(ShippingLine);
CONN(DiscountApplication);
CONN(RefundLineItem);
CONN(RefundShippingLine);
CONN(OrderTransaction);
CONN(OrderAdjustment);
CONN(GiftCard);
CONN(Return);

/* ---------------------------------------------------------------- lookups */

static const struct bh_gtype *const all_types[] = {
	&T_ID, &T_String, &T_Int, &T_Float, &T_Boolean, &T_DateTime, &T_Decimal,
	&T_UnsignedInt64, &T_Date, &T_OrderSortKeys, &T_GiftCardSortKeys,
	&T_OrderDisplayFinancialStatus, &T_OrderDisplayFulfillmentStatus, &T_OrderCancelReason,
	&T_CurrencyCode, &T_OrderTransactionKind, &T_OrderTransactionStatus,
	&T_OrderTransactionErrorCode, &T_RefundLineItemRestockType,
	&T_DiscountApplicationAllocationMethod, &T_DiscountApplicationTargetSelection,
	&T_DiscountApplicationTargetType, &T_OrderAdjustmentDiscrepancyReason, &T_CountPrecision,
	&T_CountryCode, &T_ReturnStatus, &T_QueryRoot, &T_Mutation, &T_Order, &T_LineItem,
	&T_ProductVariant, &T_Product, &T_TaxLine, &T_DiscountAllocation,
	&T_DiscountCodeApplication, &T_ManualDiscountApplication, &T_AutomaticDiscountApplication,
	&T_ScriptDiscountApplication, &T_PricingPercentageValue, &T_MoneyV2, &T_MoneyBag,
	&T_ShippingLine, &T_OrderTransaction, &T_Refund, &T_RefundLineItem, &T_RefundShippingLine,
	&T_OrderAdjustment, &T_Customer, &T_MailingAddress, &T_Attribute, &T_GiftCard, &T_Return,
	&T_Shop, &T_Count, &T_PageInfo, &T_DiscountApplication, &T_Node, &T_PricingValue,
	&T_OrderConnection, &T_OrderEdge, &T_LineItemConnection, &T_LineItemEdge,
	&T_ShippingLineConnection, &T_ShippingLineEdge, &T_DiscountApplicationConnection,
	&T_DiscountApplicationEdge, &T_RefundLineItemConnection, &T_RefundLineItemEdge,
	&T_RefundShippingLineConnection, &T_RefundShippingLineEdge, &T_OrderTransactionConnection,
	&T_OrderTransactionEdge, &T_OrderAdjustmentConnection, &T_OrderAdjustmentEdge,
	&T_GiftCardConnection, &T_GiftCardEdge, &T_ReturnConnection, &T_ReturnEdge, NULL};

/* name -> type: an open-addressing table built once (pthread_once), then read-only */
#define TYPE_SLOTS 256
static const struct bh_gtype *type_slots[TYPE_SLOTS];
static pthread_once_t type_once = PTHREAD_ONCE_INIT;

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void build_types(void)
{
	for (size_t i = 0; all_types[i]; i++) {
		unsigned h = name_hash(all_types[i]->name) % TYPE_SLOTS;
		while (type_slots[h])
			h = (h + 1) % TYPE_SLOTS;
		type_slots[h] = all_types[i];
	}
}

const struct bh_gtype *bh_shp_gql_type(const char *name)
{
	unsigned h;
	if (!name)
		return NULL;
	pthread_once(&type_once, build_types);
	for (h = name_hash(name) % TYPE_SLOTS; type_slots[h]; h = (h + 1) % TYPE_SLOTS)
		if (strcmp(type_slots[h]->name, name) == 0)
			return type_slots[h];
	return NULL;
}

const struct bh_gtype *bh_shp_gql_root(enum bh_gql_opkind k)
{
	switch (k) {
	case BH_GQL_QUERY:
		return &T_QueryRoot;
	case BH_GQL_MUTATION:
		return &T_Mutation;
	default:
		return NULL;
	}
}

const struct bh_gfield *bh_shp_gql_field(const struct bh_gtype *t, const char *name)
{
	if (!t || !t->fields)
		return NULL;
	for (const struct bh_gfield *f = t->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const struct bh_garg *bh_shp_gql_argdef(const struct bh_gfield *f, const char *name)
{
	if (!f->args)
		return NULL;
	for (const struct bh_garg *a = f->args; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

bool bh_shp_gql_possible(const struct bh_gtype *t, const struct bh_gtype *c)
{
	if (t == c)
		return true;
	if (t->possible)
		for (size_t i = 0; t->possible[i]; i++)
			if (t->possible[i] == c)
				return true;
	return false;
}

bool bh_shp_gql_overlap(const struct bh_gtype *a, const struct bh_gtype *b)
{
	if (a == b)
		return true;
	if (!a->possible)
		return bh_shp_gql_possible(b, a);
	if (!b->possible)
		return bh_shp_gql_possible(a, b);
	for (size_t i = 0; a->possible[i]; i++)
		if (bh_shp_gql_possible(b, a->possible[i]))
			return true;
	return false;
}

bool bh_shp_gql_enum_has(const struct bh_gtype *t, const char *v)
{
	if (!t->values || !v)
		return false;
	for (size_t i = 0; t->values[i]; i++)
		if (strcmp(t->values[i], v) == 0)
			return true;
	return false;
}

bool bh_shp_gql_is_input(const struct bh_gtype *t)
{
	return t && (t->kind == BH_GK_SCALAR || t->kind == BH_GK_ENUM);
}
