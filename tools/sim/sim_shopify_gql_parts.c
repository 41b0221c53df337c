/*
 * sim_shopify_gql_parts.c - GraphQL resolvers of the smaller types: ProductVariant,
 * Product, TaxLine, DiscountAllocation, DiscountApplication (+ PricingValue),
 * ShippingLine, RefundLineItem, RefundShippingLine, OrderAdjustment, Customer,
 * MailingAddress, Attribute, GiftCard, Shop, Count, MoneyBag and MoneyV2.
 *
 * Ownership: answers are new json-c objects. Threading: data lock held shared.
 */
#include "sim_shopify_gql_exec.h"

struct json_object *bh_shp_gx_misc_field(struct bh_shp_gctx *c, const struct gv *obj,
				      const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_order *o = obj->o;
	struct gv v;
	switch (f->id) {
	/* ProductVariant, Product (from the line) */
	case R_V_ID:
		return gx_gid("ProductVariant", ((const struct bh_shp_line *)obj->p)->variant_id);
	case R_V_LEGACY:
		return gx_legacy(((const struct bh_shp_line *)obj->p)->variant_id);
	case R_V_SKU:
		return gx_jstr(((const struct bh_shp_line *)obj->p)->sku);
	case R_V_TITLE: {
		const char *t = ((const struct bh_shp_line *)obj->p)->variant_title;
		return json_object_new_string(t ? t : "Default Title");
	}
	case R_P_ID:
		return gx_gid("Product", ((const struct bh_shp_line *)obj->p)->product_id);
	case R_P_LEGACY:
		return gx_legacy(((const struct bh_shp_line *)obj->p)->product_id);
	case R_P_TITLE:
		return gx_jstr(((const struct bh_shp_line *)obj->p)->title);
	/* TaxLine */
	case R_T_TITLE:
		return gx_jstr(((const struct bh_shp_taxline *)obj->p)->title);
	case R_T_RATE:
		return gx_float_text(((const struct bh_shp_taxline *)obj->p)->rate);
	case R_T_RATE_PCT:
		return gx_float_val(strtod(((const struct bh_shp_taxline *)obj->p)->rate, NULL) * 100.0);
	case R_T_PRICE_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_taxline *)obj->p)->price);
		break;
	case R_T_CHANNEL:
		return NULL;
	/* DiscountAllocation */
	case R_A_AMOUNT_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_alloc *)obj->p)->amount);
		break;
	case R_A_APP: {
		int ix = ((const struct bh_shp_alloc *)obj->p)->index;
		if (ix < 0 || (size_t)ix >= o->napps)
			return NULL;
		v = gx_mk(VK_DAPP, gx_dapp_type(&o->apps[ix]), o, &o->apps[ix]);
		v.n = ix;
		break;
	}
	/* DiscountApplication */
	case R_D_ALLOCATION:
		return gx_upper(((const struct bh_shp_discapp *)obj->p)->allocation_method);
	case R_D_TARGET_SEL:
		return gx_upper(((const struct bh_shp_discapp *)obj->p)->target_selection);
	case R_D_TARGET_TYPE:
		return gx_upper(((const struct bh_shp_discapp *)obj->p)->target_type);
	case R_D_INDEX:
		return json_object_new_int64(obj->n);
	case R_D_CODE: {
		const struct bh_shp_discapp *a = obj->p;
		return json_object_new_string(a->code ? a->code : a->title ? a->title : "");
	}
	case R_D_TITLE: {
		const struct bh_shp_discapp *a = obj->p;
		return json_object_new_string(a->title ? a->title : a->code ? a->code : "");
	}
	case R_D_DESCRIPTION:
		return gx_jstr(((const struct bh_shp_discapp *)obj->p)->description);
	case R_D_VALUE: {
		const struct bh_shp_discapp *a = obj->p;
		if (a->value_type && strcmp(a->value_type, "percentage") == 0) {
			v = gx_mk(VK_PCT, "PricingPercentageValue", o, a);
		} else {
			int64_t cents = 0;
			bh_shp_money_parse(a->value, &cents);
			v = gx_money(o->currency, cents);
		}
		break;
	}
	case R_PCT_PERCENTAGE:
		return gx_float_text(((const struct bh_shp_discapp *)obj->p)->value);
	/* ShippingLine */
	case R_S_ID:
		return gx_gid("ShippingLine", ((const struct bh_shp_shipline *)obj->p)->id);
	case R_S_TITLE:
		return gx_jstr(((const struct bh_shp_shipline *)obj->p)->title);
	case R_S_CODE:
		return gx_jstr(((const struct bh_shp_shipline *)obj->p)->code);
	case R_S_SOURCE:
		return gx_jstr(((const struct bh_shp_shipline *)obj->p)->source);
	case R_S_CARRIER:
		return gx_jstr(((const struct bh_shp_shipline *)obj->p)->carrier_identifier);
	case R_S_ORIG_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_shipline *)obj->p)->price);
		break;
	case R_S_DISC_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_shipline *)obj->p)->discounted_price);
		break;
	case R_S_TAXLINES: {
		const struct bh_shp_shipline *s = obj->p;
		return bh_shp_gx_taxlines(c, g, f, o, s->tax, s->ntax);
	}
	case R_S_ALLOCS: {
		const struct bh_shp_shipline *s = obj->p;
		return bh_shp_gx_allocs(c, g, f, o, s->alloc, s->nalloc);
	}
	case R_S_REMOVED:
		return json_object_new_boolean(((const struct bh_shp_shipline *)obj->p)->is_removed);
	case R_S_CUSTOM:
		return json_object_new_boolean(0);
	/* RefundLineItem */
	case R_RL_ID:
		return gx_gid("RefundLineItem", ((const struct bh_shp_refund_line *)obj->p)->id);
	case R_RL_LINE: {
		const struct bh_shp_line *l =
			bh_shp_order_line(o, ((const struct bh_shp_refund_line *)obj->p)->line_item_id);
		if (!l)
			return NULL;
		v = gx_mk(VK_LINE, "LineItem", o, l);
		break;
	}
	case R_RL_QTY:
		return json_object_new_int(((const struct bh_shp_refund_line *)obj->p)->quantity);
	case R_RL_RESTOCK_TYPE:
		return gx_upper(((const struct bh_shp_refund_line *)obj->p)->restock_type);
	case R_RL_RESTOCKED: {
		const char *rt = ((const struct bh_shp_refund_line *)obj->p)->restock_type;
		return json_object_new_boolean(rt && strcmp(rt, "no_restock") != 0);
	}
	case R_RL_PRICE_SET: {
		const struct bh_shp_line *l =
			bh_shp_order_line(o, ((const struct bh_shp_refund_line *)obj->p)->line_item_id);
		v = gx_moneybag(o->currency, l ? l->price : 0);
		break;
	}
	case R_RL_SUBTOTAL_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_refund_line *)obj->p)->subtotal);
		break;
	case R_RL_TAX_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_refund_line *)obj->p)->total_tax);
		break;
	/* RefundShippingLine */
	case R_RS_ID:
		return gx_gid("RefundShippingLine", ((const struct bh_shp_refund_ship *)obj->p)->id);
	case R_RS_LINE: {
		const struct bh_shp_shipline *s = bh_shp_order_ship(
			o, ((const struct bh_shp_refund_ship *)obj->p)->shipping_line_id);
		if (!s)
			return NULL;
		v = gx_mk(VK_SHIP, "ShippingLine", o, s);
		break;
	}
	case R_RS_SUBTOTAL_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_refund_ship *)obj->p)->amount);
		break;
	case R_RS_TAX_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_refund_ship *)obj->p)->tax);
		break;
	/* OrderAdjustment */
	case R_ADJ_ID:
		return gx_gid("OrderAdjustment", ((const struct bh_shp_adjust *)obj->p)->id);
	case R_ADJ_AMOUNT_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_adjust *)obj->p)->amount);
		break;
	case R_ADJ_TAX_SET:
		v = gx_moneybag(o->currency, ((const struct bh_shp_adjust *)obj->p)->tax_amount);
		break;
	case R_ADJ_REASON:
		return gx_upper(((const struct bh_shp_adjust *)obj->p)->kind);
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}

static const char *addr_key(const char *gql)
{
	static const char *const map[][2] = {{"firstName", "first_name"}, {"lastName", "last_name"},
					     {"provinceCode", "province_code"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], gql) == 0)
			return map[i][1];
	return gql;
}

struct json_object *bh_shp_gx_other_field(struct bh_shp_gctx *c, const struct gv *obj,
				       const struct bh_gfield *f, const struct group *g)
{
	const struct bh_shp_svc *s = c->s;
	struct gv v;
	switch (f->id) {
	/* Customer (p NULL: only the id is known, e.g. a gift card's customer) */
	case R_CU_ID:
		return gx_gid("Customer", obj->n);
	case R_CU_LEGACY:
		return gx_legacy(obj->n);
	case R_CU_EMAIL:
	case R_CU_FIRST:
	case R_CU_LAST:
	case R_CU_PHONE:
	case R_CU_DISPLAY: {
		const struct bh_shp_customer *cu = obj->p;
		char b[256];
		if (!cu)
			return f->id == R_CU_DISPLAY ? json_object_new_string("") : NULL;
		if (f->id == R_CU_EMAIL)
			return gx_jstr(cu->email);
		if (f->id == R_CU_FIRST)
			return gx_jstr(cu->first_name);
		if (f->id == R_CU_LAST)
			return gx_jstr(cu->last_name);
		if (f->id == R_CU_PHONE)
			return gx_jstr(cu->phone);
		if (cu->first_name || cu->last_name)
			snprintf(b, sizeof(b), "%s%s%s", cu->first_name ? cu->first_name : "",
				 cu->first_name && cu->last_name ? " " : "",
				 cu->last_name ? cu->last_name : "");
		else
			snprintf(b, sizeof(b), "%s", cu->email ? cu->email : "");
		return json_object_new_string(b);
	}
	/* MailingAddress */
	case R_AD_FIELD:
		return gx_jstr(bh_shp_jstr(obj->j, addr_key(f->name)));
	case R_AD_COUNTRY_CODE:
		return gx_jstr(bh_shp_jstr(obj->j, "country_code"));
	case R_AD_LAT:
	case R_AD_LNG: {
		const char *t = bh_shp_jstr(obj->j, f->id == R_AD_LAT ? "latitude" : "longitude");
		return t ? gx_float_text(t) : NULL;
	}
	/* Attribute */
	case R_AT_KEY:
		return json_object_new_string(obj->s1 ? obj->s1 : "");
	case R_AT_VALUE:
		return gx_jstr(obj->s2);
	/* GiftCard */
	case R_G_ID:
		return gx_gid("GiftCard", ((const struct bh_shp_giftcard *)obj->p)->id);
	case R_G_LEGACY:
		return gx_legacy(((const struct bh_shp_giftcard *)obj->p)->id);
	case R_G_BALANCE:
	case R_G_INITIAL: {
		const struct bh_shp_giftcard *gc = obj->p;
		v = gx_money(gc->currency, f->id == R_G_BALANCE ? gc->balance : gc->initial_value);
		break;
	}
	case R_G_LAST:
		return json_object_new_string(((const struct bh_shp_giftcard *)obj->p)->last_characters);
	case R_G_MASKED: {
		char b[64];
		snprintf(b, sizeof(b), "\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 "
				       "\u2022\u2022\u2022\u2022 %s",
			 ((const struct bh_shp_giftcard *)obj->p)->last_characters);
		return json_object_new_string(b);
	}
	case R_G_CREATED:
		return gx_utc(&((const struct bh_shp_giftcard *)obj->p)->created);
	case R_G_UPDATED:
		return gx_utc(&((const struct bh_shp_giftcard *)obj->p)->updated);
	case R_G_DEACTIVATED:
		return gx_utc(&((const struct bh_shp_giftcard *)obj->p)->disabled);
	case R_G_ENABLED:
		return json_object_new_boolean(!((const struct bh_shp_giftcard *)obj->p)->disabled.set);
	case R_G_EXPIRES:
		return gx_jstr(((const struct bh_shp_giftcard *)obj->p)->expires_on);
	case R_G_NOTE:
		return gx_jstr(((const struct bh_shp_giftcard *)obj->p)->note);
	case R_G_ORDER: {
		const struct bh_shp_order *o =
			bh_shp_store_get(s, ((const struct bh_shp_giftcard *)obj->p)->order_id);
		if (!o)
			return NULL;
		v = gx_mk(VK_ORDER, "Order", o, o);
		break;
	}
	case R_G_CUSTOMER: {
		int64_t cid = ((const struct bh_shp_giftcard *)obj->p)->customer_id;
		if (!cid)
			return NULL;
		v = gx_mk(VK_CUST, "Customer", NULL, NULL);
		v.n = cid;
		break;
	}
	/* Shop, Count */
	case R_SH_ID:
		return json_object_new_string("gid://shopify/Shop/548380009");
	case R_SH_NAME:
		return gx_jstr(s->shop_name);
	case R_SH_DOMAIN:
		return gx_jstr(s->shop_domain);
	case R_SH_CURRENCY:
		return gx_jstr(s->currency);
	case R_SH_TZ:
		return gx_jstr(s->timezone);
	case R_CNT_COUNT:
		return json_object_new_int64(obj->n);
	case R_CNT_PRECISION:
		return json_object_new_string(obj->s1);
	/* MoneyBag, MoneyV2 */
	case R_MB_SHOP:
	case R_MB_PRESENTMENT:
		v = gx_money(obj->s1, obj->n);
		break;
	case R_M_AMOUNT:
		return gx_money_amount(c, obj->n);
	case R_M_CURRENCY:
		return gx_jstr(obj->s1);
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}
