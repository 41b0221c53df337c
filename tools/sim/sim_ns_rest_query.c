/*
 * sim_ns_rest_query.c - SuiteQL over the NetSuite record store:
 * POST /services/rest/query/v1/suiteql (header "Prefer: transient", body {"q": "...",
 * "params": [...]}, ?limit=1..1000 (default 1000) &offset=) answering
 * {"links","count","hasMore","offset","totalResults","items":[{"links":[],col:"text"}]}.
 *
 * Owned by the NetSuite REST helper. The SuiteQL engine (sim_ns_suiteql.c) runs under
 * the store lock over four tables with NetSuite's analytics column names:
 *   transaction      id, tranid, transactionnumber, externalid, type ('SalesOrd',
 *                    'RtnAuth', 'ItemRcpt', 'CustCred', 'CashRfnd', 'CustRfnd', 'CashSale',
 *                    'CustInvc', 'ItemShip'), recordtype ('returnauthorization'), status
 *                    (letter, e.g. 'B'; BUILTIN.DF gives 'Return Authorization : Pending
 *                    Receipt'), entity, createdfrom, trandate, createddate,
 *                    lastmodifieddate, memo, otherrefnum, currency, foreigntotal,
 *                    custbody_* (checkboxes 'T'/'F'; the configured flag field reads 'F'
 *                    when never set)
 *   transactionline  transaction, id (line key; 0 is the main line), linesequencenumber,
 *                    uniquekey, mainline ('T'/'F'), taxline, item, itemtype, quantity,
 *                    rate, foreignamount, netamount, isclosed, createdfrom, memo,
 *                    location, quantitybilled, quantityshiprecv, entity, custcol_*.
 *                    As in NetSuite, item lines of sales transactions (sales order, cash
 *                    sale, invoice, item fulfilment) carry negative quantity and amounts;
 *                    the main line carries the transaction total (negated on returns,
 *                    receipts, credits and cash refunds).
 *   item             id, itemid, displayname, itemtype ('InvtPart', 'NonInvtPart',
 *                    'OthCharge', 'GiftCert', 'Discount', 'TaxItem'), externalid,
 *                    isinactive, cost, incomeaccount, createddate, lastmodifieddate,
 *                    custitem_*
 *   customer         id, entityid, externalid, firstname, lastname, companyname, email,
 *                    phone, isperson, datecreated, lastmodifieddate, custentity_*
 * Dates are shown and read in the account's time zone (the store's, America/Los_Angeles)
 * with NetSuite's default format M/D/YYYY; TO_CHAR/TO_DATE take Oracle formats.
 * Equality on transaction.id/externalid/createdfrom, transactionline.transaction,
 * item.id and customer.id/externalid uses the store's indexes instead of scanning.
 *
 * Threading: handlers run concurrently; each run holds the store lock for its duration.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim_ns_rest_priv.h"
#include "sim_ns_store.h"
#include "sim_ns_suiteql.h"

#define QUERY_PREFIX "Invalid search query. Detailed unprocessed description follows. "

struct qsrc {
	struct bh_sim_ns *ns;
};

/* A transactionline row: lives on the scan's stack during the callback chain. */
struct lrow {
	const struct bh_sim_ns_rec *rec;
	const struct bh_sim_ns_line *line;      /* NULL: the main line */
	size_t idx;
};

/* ---------------------------------------------------------------- value helpers */

static void v_null(struct bh_sim_sql_val *v)
{
	memset(v, 0, sizeof(*v));
}

static void v_str(struct bh_sim_sql_val *v, const char *s)
{
	v_null(v);
	if (s) {
		v->type = BH_SQL_STR;
		v->s = s;
	}
}

static int v_int(struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v, int64_t n)
{
	v_null(v);
	v->type = BH_SQL_NUM;
	v->s = bh_sim_sql_printf(ctx, "%lld", (long long)n);
	return v->s ? 0 : BH_ENOMEM;
}

static int v_id(struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v, int64_t id)
{
	if (id == BH_SIM_NS_UNSET || id <= 0) {
		v_null(v);
		return 0;
	}
	return v_int(ctx, v, id);
}

static int v_money(struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v, int64_t cents)
{
	char buf[40];
	v_null(v);
	if (cents == BH_SIM_NS_UNSET)
		return 0;
	bh_sim_ns_money_fmt(cents, buf, sizeof(buf));
	v->type = BH_SQL_NUM;
	v->s = bh_sim_sql_strndup(ctx, buf, strlen(buf));
	return v->s ? 0 : BH_ENOMEM;
}

static void v_ms(struct bh_sim_sql_val *v, int64_t ms)
{
	v_null(v);
	if (ms == BH_SIM_NS_UNSET || ms == 0)
		return;
	v->type = BH_SQL_DATE;
	v->t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static void v_bool(struct bh_sim_sql_val *v, int b)
{
	v_str(v, b > 0 ? "T" : "F");
}

static int v_cf(struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v, const struct bh_sim_ns_cf *f)
{
	int64_t ms;
	(void)ctx;
	v_null(v);
	if (!f || !f->value)
		return 0;
	switch (f->type) {
	case BH_SIM_NS_CF_BOOLEAN:
		v_str(v, (strcasecmp(f->value, "true") == 0 || strcmp(f->value, "T") == 0) ? "T" : "F");
		return 0;
	case BH_SIM_NS_CF_LONG:
	case BH_SIM_NS_CF_DOUBLE:
	case BH_SIM_NS_CF_SELECT:
		if (bh_sim_sql_is_dec(f->value)) {
			v->type = BH_SQL_NUM;
			v->s = f->value;
			return 0;
		}
		v_str(v, f->value);
		return 0;
	case BH_SIM_NS_CF_DATE:
		if (bh_sim_ns_time_parse(f->value, &ms) == 0)
			v_ms(v, ms);
		else
			v_str(v, f->value);
		return 0;
	default:
		v_str(v, f->value);
		return 0;
	}
}

static const char *ref_name(struct bh_sim_ns *ns, struct bh_sim_sql_ctx *ctx, int64_t id)
{
	char buf[256];
	const struct bh_sim_ns_rec *r;
	if (id == BH_SIM_NS_UNSET || id <= 0)
		return NULL;
	r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	if (!r)
		return NULL;
	bh_sim_ns_ref_name(r, buf, sizeof(buf));
	return bh_sim_sql_strndup(ctx, buf, strlen(buf));
}

static bool val_to_id(const struct bh_sim_sql_val *v, int64_t *id)
{
	const char *s = v->s;
	char *end;
	long long n;
	if ((v->type != BH_SQL_NUM && v->type != BH_SQL_STR) || !s || !isdigit((unsigned char)*s))
		return false;
	n = strtoll(s, &end, 10);
	if (*end || n <= 0)
		return false;
	*id = n;
	return true;
}

static bool is_sales(enum bh_sim_ns_type t)
{
	return t == BH_SIM_NS_T_SALES_ORDER || t == BH_SIM_NS_T_CASH_SALE ||
	       t == BH_SIM_NS_T_INVOICE || t == BH_SIM_NS_T_ITEM_FULFILLMENT;
}

static int64_t neg_if(int64_t v, bool neg)
{
	if (v == BH_SIM_NS_UNSET)
		return v;
	return neg ? -v : v;
}

/* ---------------------------------------------------------------- transaction */

static const char *const txn_cols[] = {
	"id", "tranid", "transactionnumber", "externalid", "type", "recordtype", "status",
	"entity", "createdfrom", "trandate", "createddate", "lastmodifieddate", "memo",
	"otherrefnum", "currency", "foreigntotal", NULL
};
static const char *const txn_prefixes[] = { "custbody", NULL };

static int scan_group(void *src, enum bh_sim_ns_group g, bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	size_t n = bh_sim_ns_count(q->ns);
	for (size_t i = 0; i < n; i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(q->ns, i);
		int rc;
		if (!r || bh_sim_ns_type_group(r->type) != g)
			continue;
		rc = fn(r, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int txn_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	return scan_group(src, BH_SIM_NS_G_TRANSACTION, fn, arg);
}

static int by_id(void *src, enum bh_sim_ns_group g, const struct bh_sim_sql_val *v,
		 bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	struct bh_sim_ns_rec *r;
	int64_t id;
	if (!val_to_id(v, &id))
		return BH_ENOTSUP;
	r = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, id);
	if (!r || bh_sim_ns_type_group(r->type) != g)
		return 0;
	return fn(r, arg);
}

static int txn_lookup(void *src, const char *col, const struct bh_sim_sql_val *v,
		      bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	if (strcmp(col, "id") == 0)
		return by_id(src, BH_SIM_NS_G_TRANSACTION, v, fn, arg);
	if (strcmp(col, "externalid") == 0) {
		if (v->type != BH_SQL_STR && v->type != BH_SQL_NUM)
			return BH_ENOTSUP;
		for (int t = 1; t < BH_SIM_NS_T_COUNT; t++) {
			struct bh_sim_ns_rec *r;
			if (bh_sim_ns_type_group((enum bh_sim_ns_type)t) != BH_SIM_NS_G_TRANSACTION)
				continue;
			r = bh_sim_ns_find_eid(q->ns, (enum bh_sim_ns_type)t, v->s);
			if (r) {
				int rc = fn(r, arg);
				if (rc)
					return rc;
			}
		}
		return 0;
	}
	if (strcmp(col, "createdfrom") == 0) {
		int64_t id;
		struct bh_sim_ns_rec *src_rec;
		if (!val_to_id(v, &id))
			return BH_ENOTSUP;
		src_rec = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, id);
		if (!src_rec)
			return 0;
		for (size_t i = 0; i < src_rec->n_children; i++) {
			struct bh_sim_ns_rec *ch = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE,
								 src_rec->children[i]);
			int rc;
			if (!ch || bh_sim_ns_type_group(ch->type) != BH_SIM_NS_G_TRANSACTION)
				continue;
			rc = fn(ch, arg);
			if (rc)
				return rc;
		}
		return 0;
	}
	return BH_ENOTSUP;
}

static int txn_column(void *src, void *row, const char *col, bool display,
		      struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	struct qsrc *q = src;
	const struct bh_sim_ns_rec *r = row;
	const char *label = bh_sim_ns_rest_type_label(r->type);

	v_null(v);
	if (strcmp(col, "id") == 0)
		return v_id(ctx, v, r->id);
	if (strcmp(col, "tranid") == 0 || strcmp(col, "transactionnumber") == 0) {
		v_str(v, r->tran_id);
		return 0;
	}
	if (strcmp(col, "externalid") == 0) {
		v_str(v, r->external_id);
		return 0;
	}
	if (strcmp(col, "type") == 0) {
		v_str(v, display ? label : bh_sim_ns_type_suiteql(r->type));
		return 0;
	}
	if (strcmp(col, "recordtype") == 0) {
		const char *n = bh_sim_ns_type_name(r->type);
		char *low = bh_sim_sql_strndup(ctx, n, strlen(n));
		if (!low)
			return BH_ENOMEM;
		for (char *p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		v_str(v, low);
		return 0;
	}
	if (strcmp(col, "status") == 0) {
		if (display) {
			const char *t = bh_sim_ns_status_text(q->ns, r);
			if (t) {
				v_str(v, bh_sim_sql_printf(ctx, "%s : %s", label ? label : "", t));
				return v->s ? 0 : BH_ENOMEM;
			}
			return 0;
		}
		v_str(v, bh_sim_ns_status_letter(q->ns, r));
		return 0;
	}
	if (strcmp(col, "entity") == 0) {
		if (display) {
			v_str(v, ref_name(q->ns, ctx, r->entity));
			return 0;
		}
		return v_id(ctx, v, r->entity);
	}
	if (strcmp(col, "createdfrom") == 0) {
		if (display) {
			v_str(v, ref_name(q->ns, ctx, r->created_from));
			return 0;
		}
		return v_id(ctx, v, r->created_from);
	}
	if (strcmp(col, "trandate") == 0) {
		v_ms(v, r->tran_date_ms);
		return 0;
	}
	if (strcmp(col, "createddate") == 0) {
		v_ms(v, r->created_ms);
		return 0;
	}
	if (strcmp(col, "lastmodifieddate") == 0) {
		v_ms(v, r->modified_ms);
		return 0;
	}
	if (strcmp(col, "memo") == 0) {
		v_str(v, r->memo);
		return 0;
	}
	if (strcmp(col, "otherrefnum") == 0) {
		v_str(v, r->other_ref_num);
		return 0;
	}
	if (strcmp(col, "currency") == 0) {
		v_str(v, r->currency ? r->currency : "USD");
		return 0;
	}
	if (strcmp(col, "foreigntotal") == 0)
		return v_money(ctx, v, r->total);
	/* custbody_* */
	{
		const struct bh_sim_ns_cf *f = bh_sim_ns_cf_get(r->cf, r->n_cf, col);
		if (!f && strcasecmp(col, bh_sim_ns_flag_field(q->ns)) == 0) {
			v_str(v, "F");
			return 0;
		}
		return v_cf(ctx, v, f);
	}
}

/* ---------------------------------------------------------------- transactionline */

static const char *const line_cols[] = {
	"transaction", "id", "linesequencenumber", "uniquekey", "mainline", "taxline", "item",
	"itemtype", "quantity", "rate", "foreignamount", "netamount", "isclosed", "createdfrom",
	"memo", "location", "quantitybilled", "quantityshiprecv", "entity", NULL
};
static const char *const line_prefixes[] = { "custcol", NULL };

static int lines_of(const struct bh_sim_ns_rec *r, bh_sim_sql_row_fn fn, void *arg)
{
	struct lrow lr = { .rec = r };
	int rc = fn(&lr, arg);
	for (size_t i = 0; !rc && i < r->n_lines; i++) {
		lr.line = &r->lines[i];
		lr.idx = i;
		rc = fn(&lr, arg);
	}
	return rc;
}

static int line_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	size_t n = bh_sim_ns_count(q->ns);
	for (size_t i = 0; i < n; i++) {
		const struct bh_sim_ns_rec *r = bh_sim_ns_at(q->ns, i);
		int rc;
		if (!r || bh_sim_ns_type_group(r->type) != BH_SIM_NS_G_TRANSACTION)
			continue;
		rc = lines_of(r, fn, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int line_lookup(void *src, const char *col, const struct bh_sim_sql_val *v,
		       bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	const struct bh_sim_ns_rec *r;
	int64_t id;
	if (strcmp(col, "transaction") != 0)
		return BH_ENOTSUP;
	if (!val_to_id(v, &id))
		return BH_ENOTSUP;
	r = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, id);
	if (!r || bh_sim_ns_type_group(r->type) != BH_SIM_NS_G_TRANSACTION)
		return 0;
	return lines_of(r, fn, arg);
}

static int line_column(void *src, void *row, const char *col, bool display,
		       struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	struct qsrc *q = src;
	const struct lrow *lr = row;
	const struct bh_sim_ns_rec *r = lr->rec;
	const struct bh_sim_ns_line *l = lr->line;
	bool neg = is_sales(r->type);

	v_null(v);
	if (strcmp(col, "transaction") == 0) {
		if (display) {
			v_str(v, ref_name(q->ns, ctx, r->id));
			return 0;
		}
		return v_id(ctx, v, r->id);
	}
	if (strcmp(col, "mainline") == 0) {
		v_bool(v, l == NULL);
		return 0;
	}
	if (strcmp(col, "taxline") == 0) {
		v_bool(v, 0);
		return 0;
	}
	if (strcmp(col, "entity") == 0) {
		if (display) {
			v_str(v, ref_name(q->ns, ctx, r->entity));
			return 0;
		}
		return v_id(ctx, v, r->entity);
	}
	if (!l) {
		/* main line */
		if (strcmp(col, "id") == 0 || strcmp(col, "linesequencenumber") == 0)
			return v_int(ctx, v, 0);
		if (strcmp(col, "uniquekey") == 0)
			return v_int(ctx, v, r->id * 1000);
		if (strcmp(col, "foreignamount") == 0 || strcmp(col, "netamount") == 0)
			return v_money(ctx, v, neg_if(r->total, !neg && r->type != BH_SIM_NS_T_CUSTOMER_REFUND));
		if (strcmp(col, "createdfrom") == 0)
			return v_id(ctx, v, r->created_from);
		if (strcmp(col, "memo") == 0) {
			v_str(v, r->memo);
			return 0;
		}
		if (strcmp(col, "isclosed") == 0) {
			v_bool(v, 0);
			return 0;
		}
		return 0;
	}
	if (strcmp(col, "id") == 0)
		return v_id(ctx, v, l->line);
	if (strcmp(col, "linesequencenumber") == 0)
		return v_int(ctx, v, (int64_t)lr->idx + 1);
	if (strcmp(col, "uniquekey") == 0)
		return v_int(ctx, v, r->id * 1000 + (l->line == BH_SIM_NS_UNSET ? 0 : l->line));
	if (strcmp(col, "item") == 0) {
		if (display) {
			v_str(v, ref_name(q->ns, ctx, l->item));
			return 0;
		}
		return v_id(ctx, v, l->item);
	}
	if (strcmp(col, "itemtype") == 0) {
		const struct bh_sim_ns_rec *it = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, l->item);
		v_str(v, it ? bh_sim_ns_rest_itemtype(it->type) : NULL);
		return 0;
	}
	if (strcmp(col, "quantity") == 0)
		return l->quantity == BH_SIM_NS_UNSET ? 0 : v_int(ctx, v, neg ? -l->quantity : l->quantity);
	if (strcmp(col, "rate") == 0)
		return v_money(ctx, v, l->rate);
	if (strcmp(col, "foreignamount") == 0 || strcmp(col, "netamount") == 0)
		return v_money(ctx, v, neg_if(l->amount, neg));
	if (strcmp(col, "isclosed") == 0) {
		v_bool(v, l->is_closed);
		return 0;
	}
	if (strcmp(col, "createdfrom") == 0)
		return v_id(ctx, v, r->created_from);
	if (strcmp(col, "memo") == 0) {
		v_str(v, l->description);
		return 0;
	}
	if (strcmp(col, "location") == 0)
		return v_id(ctx, v, l->location);
	if (strcmp(col, "quantitybilled") == 0)
		return l->qty_billed == BH_SIM_NS_UNSET ? 0 : v_int(ctx, v, l->qty_billed);
	if (strcmp(col, "quantityshiprecv") == 0)
		return l->qty_received == BH_SIM_NS_UNSET ? 0 : v_int(ctx, v, l->qty_received);
	return v_cf(ctx, v, bh_sim_ns_cf_get(l->cf, l->n_cf, col));
}

/* ---------------------------------------------------------------- item */

static const char *const item_cols[] = {
	"id", "itemid", "displayname", "itemtype", "externalid", "isinactive", "cost",
	"incomeaccount", "createddate", "lastmodifieddate", NULL
};
static const char *const item_prefixes[] = { "custitem", NULL };

static int item_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	return scan_group(src, BH_SIM_NS_G_ITEM, fn, arg);
}

static int item_lookup(void *src, const char *col, const struct bh_sim_sql_val *v,
		       bh_sim_sql_row_fn fn, void *arg)
{
	if (strcmp(col, "id") == 0)
		return by_id(src, BH_SIM_NS_G_ITEM, v, fn, arg);
	return BH_ENOTSUP;
}

static int item_column(void *src, void *row, const char *col, bool display,
		       struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	struct qsrc *q = src;
	const struct bh_sim_ns_rec *r = row;
	v_null(v);
	if (strcmp(col, "id") == 0)
		return v_id(ctx, v, r->id);
	if (strcmp(col, "itemid") == 0)
		v_str(v, r->item_id);
	else if (strcmp(col, "displayname") == 0)
		v_str(v, r->display_name);
	else if (strcmp(col, "itemtype") == 0)
		v_str(v, bh_sim_ns_rest_itemtype(r->type));
	else if (strcmp(col, "externalid") == 0)
		v_str(v, r->external_id);
	else if (strcmp(col, "isinactive") == 0)
		v_bool(v, r->is_inactive);
	else if (strcmp(col, "cost") == 0)
		return v_money(ctx, v, r->cost);
	else if (strcmp(col, "incomeaccount") == 0) {
		if (display) {
			const struct bh_sim_ns_account *a = bh_sim_ns_account_get(q->ns, r->income_account);
			v_str(v, a ? a->name : NULL);
			return 0;
		}
		return v_id(ctx, v, r->income_account);
	} else if (strcmp(col, "createddate") == 0)
		v_ms(v, r->created_ms);
	else if (strcmp(col, "lastmodifieddate") == 0)
		v_ms(v, r->modified_ms);
	else
		return v_cf(ctx, v, bh_sim_ns_cf_get(r->cf, r->n_cf, col));
	return 0;
}

/* ---------------------------------------------------------------- customer */

static const char *const cust_cols[] = {
	"id", "entityid", "externalid", "firstname", "lastname", "companyname", "email",
	"phone", "isperson", "datecreated", "lastmodifieddate", NULL
};
static const char *const cust_prefixes[] = { "custentity", NULL };

static int cust_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	return scan_group(src, BH_SIM_NS_G_ENTITY, fn, arg);
}

static int cust_lookup(void *src, const char *col, const struct bh_sim_sql_val *v,
		       bh_sim_sql_row_fn fn, void *arg)
{
	struct qsrc *q = src;
	if (strcmp(col, "id") == 0)
		return by_id(src, BH_SIM_NS_G_ENTITY, v, fn, arg);
	if (strcmp(col, "externalid") == 0 && (v->type == BH_SQL_STR || v->type == BH_SQL_NUM)) {
		struct bh_sim_ns_rec *r = bh_sim_ns_find_eid(q->ns, BH_SIM_NS_T_CUSTOMER, v->s);
		return r ? fn(r, arg) : 0;
	}
	return BH_ENOTSUP;
}

static int cust_column(void *src, void *row, const char *col, bool display,
		       struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	const struct bh_sim_ns_rec *r = row;
	(void)src;
	(void)display;
	v_null(v);
	if (strcmp(col, "id") == 0)
		return v_id(ctx, v, r->id);
	if (strcmp(col, "entityid") == 0)
		v_str(v, r->entity_id);
	else if (strcmp(col, "externalid") == 0)
		v_str(v, r->external_id);
	else if (strcmp(col, "firstname") == 0)
		v_str(v, r->first_name);
	else if (strcmp(col, "lastname") == 0)
		v_str(v, r->last_name);
	else if (strcmp(col, "companyname") == 0)
		v_str(v, r->company_name);
	else if (strcmp(col, "email") == 0)
		v_str(v, r->email);
	else if (strcmp(col, "phone") == 0)
		v_str(v, r->phone);
	else if (strcmp(col, "isperson") == 0)
		v_bool(v, r->is_person);
	else if (strcmp(col, "datecreated") == 0)
		v_ms(v, r->created_ms);
	else if (strcmp(col, "lastmodifieddate") == 0)
		v_ms(v, r->modified_ms);
	else
		return v_cf(ctx, v, bh_sim_ns_cf_get(r->cf, r->n_cf, col));
	return 0;
}

static const struct bh_sim_sql_table tables[] = {
	{ "transaction", "transaction", txn_cols, txn_prefixes, txn_scan, txn_lookup, txn_column },
	{ "transactionline", "transactionLine", line_cols, line_prefixes, line_scan, line_lookup,
	  line_column },
	{ "item", "item", item_cols, item_prefixes, item_scan, item_lookup, item_column },
	{ "customer", "customer", cust_cols, cust_prefixes, cust_scan, cust_lookup, cust_column },
};

/* Offset of the account's time zone at t, read from the store's formatter. */
static int64_t tz_offset(void *src, int64_t t)
{
	char buf[64];
	size_t n;
	int sign, hh, mm;
	(void)src;
	bh_sim_ns_time_fmt(t * 1000, buf, sizeof(buf));
	n = strlen(buf);
	if (n >= 6 && (buf[n - 6] == '+' || buf[n - 6] == '-') && buf[n - 3] == ':') {
		sign = buf[n - 6] == '-' ? -1 : 1;
		hh = atoi(buf + n - 5);
		mm = atoi(buf + n - 2);
		return sign * (hh * 3600 + mm * 60);
	}
	return 0;
}

/* ---------------------------------------------------------------- paging */

static bool parse_nonneg(const char *s, int64_t *out)
{
	char *end;
	long long v;
	if (!s || !*s || !isdigit((unsigned char)*s) || strlen(s) > 12)
		return false;
	v = strtoll(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

int bh_sim_ns_rest_paging(struct bh_sim_ns_rest_ctx *c, int64_t *limit, int64_t *offset)
{
	char *l = bh_sim_req_query(c->req, "limit");
	char *o = bh_sim_req_query(c->req, "offset");
	int rc = 0;

	*limit = 1000;
	*offset = 0;
	if (l && (!parse_nonneg(l, limit) || *limit < 1 || *limit > 1000)) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_PARAMETER",
				     "Invalid value for the query parameter 'limit'. The value "
				     "must be an integer from 1 to 1000.",
				     NULL, "o:errorQueryParam", "limit");
		rc = BH_EINVAL;
	} else if (o && !parse_nonneg(o, offset)) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_PARAMETER",
				     "Invalid value for the query parameter 'offset'. The value "
				     "must be a non-negative integer.",
				     NULL, "o:errorQueryParam", "offset");
		rc = BH_EINVAL;
	}
	free(l);
	free(o);
	return rc;
}

static void add_link(struct json_object *arr, const char *rel, const char *base, const char *path,
		     const char *extra, int64_t limit, int64_t offset)
{
	char href[2048];
	struct json_object *l = json_object_new_object();
	snprintf(href, sizeof(href), "%s%s?%s%slimit=%lld&offset=%lld", base, path,
		 extra ? extra : "", extra ? "&" : "", (long long)limit, (long long)offset);
	json_object_object_add(l, "rel", json_object_new_string(rel));
	json_object_object_add(l, "href", json_object_new_string(href));
	json_object_array_add(arr, l);
}

void bh_sim_ns_rest_page_links(struct bh_sim_ns_rest_ctx *c, struct json_object *obj,
			       const char *path, const char *extra_query, int64_t limit,
			       int64_t offset, int64_t total)
{
	struct json_object *arr = json_object_new_array();
	int64_t last = total > 0 ? ((total - 1) / limit) * limit : 0;
	if (offset > 0) {
		int64_t prev = offset - limit > 0 ? offset - limit : 0;
		add_link(arr, "previous", c->base, path, extra_query, limit, prev);
		add_link(arr, "first", c->base, path, extra_query, limit, 0);
	}
	if (offset + limit < total) {
		add_link(arr, "next", c->base, path, extra_query, limit, offset + limit);
		add_link(arr, "last", c->base, path, extra_query, limit, last);
	}
	add_link(arr, "self", c->base, path, extra_query, limit, offset);
	json_object_object_add(obj, "links", arr);
}

/* ---------------------------------------------------------------- running */

int bh_sim_ns_rest_sql_run(struct bh_sim_ns_rest_ctx *c, const struct bh_sim_sql *stmt,
			   struct json_object *params, int64_t limit, int64_t offset,
			   struct json_object **items, int64_t *total, char *err, size_t errlen)
{
	struct qsrc src = { .ns = c->ns };
	struct bh_sim_sql_run run = {
		.tables = tables,
		.n_tables = sizeof(tables) / sizeof(tables[0]),
		.src = &src,
		.params = params,
		.now = bh_sim_ns_now_ms(c->ns) / 1000,
		.tz_offset = tz_offset,
		.tz_name = "America/Los_Angeles",
		.offset = offset,
		.limit = limit,
	};
	return bh_sim_sql_execute(stmt, &run, items, total, err, errlen);
}

static void query_error(struct bh_sim_ns_rest_ctx *c, const char *msg)
{
	char detail[1200];
	snprintf(detail, sizeof(detail), QUERY_PREFIX "%s", msg);
	bh_sim_ns_rest_error(c->resp, 400, "INVALID_PARAMETER", detail, NULL, "o:errorQueryParam",
			     "q");
}

void bh_sim_ns_rest_suiteql(struct bh_sim_ns_rest_ctx *c)
{
	const char *prefer = bh_sim_req_header(c->req, "Prefer");
	struct json_object *body = NULL, *q = NULL, *params = NULL, *items = NULL, *out;
	struct bh_sim_sql *stmt = NULL;
	char err[1024];
	int64_t limit, offset, total = 0;
	int rc;

	if (!prefer || !strcasestr(prefer, "transient")) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_HEADER",
				     "Invalid 'Prefer' header value. SuiteQL queries require the "
				     "header 'Prefer: transient'.",
				     NULL, "o:errorHeader", "Prefer");
		return;
	}
	if (bh_sim_ns_rest_paging(c, &limit, &offset))
		return;
	if (c->req->body_len)
		body = json_tokener_parse(c->req->body);
	if (!body || !json_object_is_type(body, json_type_object) ||
	    !json_object_object_get_ex(body, "q", &q) || !json_object_is_type(q, json_type_string)) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_CONTENT",
				     "Error while accessing a resource. The request body must be a "
				     "JSON object with the query text in \"q\".",
				     NULL, NULL, NULL);
		goto out;
	}
	if (json_object_object_get_ex(body, "params", &params) &&
	    !json_object_is_type(params, json_type_array) && !json_object_is_type(params, json_type_null)) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_CONTENT",
				     "Error while accessing a resource. \"params\" must be an array.",
				     "params", NULL, NULL);
		goto out;
	}
	rc = bh_sim_sql_parse(json_object_get_string(q), &stmt, err, sizeof(err));
	if (rc) {
		query_error(c, err);
		goto out;
	}
	bh_sim_ns_lock(c->ns);
	rc = bh_sim_ns_rest_sql_run(c, stmt, params, limit, offset, &items, &total, err, sizeof(err));
	bh_sim_ns_unlock(c->ns);
	if (rc == BH_ENOMEM) {
		bh_sim_ns_rest_error(c->resp, 500, "UNEXPECTED_ERROR",
				     "An unexpected error has occurred: out of memory.", NULL, NULL,
				     NULL);
		goto out;
	}
	if (rc) {
		query_error(c, err);
		goto out;
	}
	out = json_object_new_object();
	bh_sim_ns_rest_page_links(c, out, "/services/rest/query/v1/suiteql", NULL, limit, offset,
				  total);
	json_object_object_add(out, "count", json_object_new_int64((int64_t)json_object_array_length(items)));
	json_object_object_add(out, "hasMore", json_object_new_boolean(offset + limit < total));
	json_object_object_add(out, "offset", json_object_new_int64(offset));
	json_object_object_add(out, "totalResults", json_object_new_int64(total));
	json_object_object_add(out, "items", items);
	items = NULL;
	bh_sim_ns_rest_json(c->resp, 200, out, "collection");
out:
	json_object_put(items);
	json_object_put(body);
	bh_sim_sql_free(stmt);
}
