/*
 * cli_report.c - `backhaul report order NAME`: the operator's view of one order's chain
 * across the configured endpoints, read-only.
 *
 *   storefront  find_order_by_name            the order: lines, totals, tenders
 *   erp         find_sales_order              its sales order
 *               related_transactions          billing, fulfilments, RAs, receipts,
 *                                             refunds, credit memos, customer refunds,
 *                                             exchange sales orders, and each one's GL
 *                                             lines when the ERP exposes them
 *               get_return_authorization      per return: the RA's received / billed
 *                                             quantities and flag when
 *                                             related_transactions does not give them,
 *                                             the RA itself when it is not offered
 *   portal      find_returns                  the order's returns (any state)
 *               get_return                    per return id found on the ERP's RAs when
 *                                             find_returns is not offered
 *   storefront  find_order_by_name            each exchange order named by a return
 * find_returns and related_transactions were appended to the 1.0 ops tables (see
 * sdk/RECORDS.md); an endpoint without them is used through the other calls and the
 * report says what it could not show.
 *
 * The endpoints are loaded like `test-connection` does: instances configured, never
 * started (no webhook routes, no sources). By default the one enabled endpoint offering
 * each capability is used; --storefront/--portal/--erp NAME pick one.
 * Output: text (default) or --json ({"order", "sales_order", "transactions", "returns":
 * [{"return", "return_authorization", "transactions", "exchange_order"}], "errors"}).
 * Exit codes (sysexits): 0 shown, 64 usage, 66 no such order, 69 an endpoint could not
 * be reached (what could be read is still shown), 77 credentials refused, 65 an
 * endpoint refused a read or answered nonsense, 78 configuration.
 *
 * Ownership: the CLI's main thread only; everything here is freed before returning.
 */
#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/backhaul.h>

#include "cli.h"
#include "err.h"
#include "log.h"

#define EX_NOPERM 77

/* True when the ops table (of size ops->size) has member m set. */
#define OPS_HAS(type, ops, m)                                                              \
	((ops) && (ops)->size >= offsetof(type, m) + sizeof(((type *)0)->m) && (ops)->m)

struct rep {
	const struct bh_storefront_ops *sf;
	const struct bh_portal_ops *po;
	const struct bh_erp_ops *erp;
	void *sf_ctx, *po_ctx, *erp_ctx;
	const char *sf_name, *po_name, *erp_name;
	const char *ra_prefix;
	json_object *errors;   /* array of strings */
	int worst;             /* worst exit code seen */
	bool erp_failed;       /* the order's sales order could not be read */
};

/* ------------------------------------------------------------------ small helpers */

static const char *js(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	return json_object_get_string(v);
}

static const char *jsd(json_object *o, const char *k, const char *def)
{
	const char *s = js(o, k);
	return s ? s : def;
}

static json_object *jo(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static size_t jlen(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static int ex_of(int rc)
{
	switch (rc) {
	case BH_EAUTH: return EX_NOPERM;
	case BH_ERETRY: case BH_EIO: case BH_ETIMEOUT: return BH_EX_UNAVAILABLE;
	case BH_ENOMEM: return BH_EX_SOFTWARE;
	default: return BH_EX_DATAERR;
	}
}

static void worse(struct rep *r, int ex)
{
	/* severity: unavailable and auth beat data errors */
	static const int order[] = {0, BH_EX_DATAERR, BH_EX_SOFTWARE, BH_EX_UNAVAILABLE, EX_NOPERM};
	int a = 0, b = 0;
	for (int i = 0; i < 5; i++) {
		if (order[i] == r->worst)
			a = i;
		if (order[i] == ex)
			b = i;
	}
	if (b > a)
		r->worst = ex;
}

/* Record a failed call: "<cap> '<name>': <what>: <reason>". */
static void fail(struct rep *r, const char *cap, const char *name, const char *what, int rc,
		 const struct bh_status *st)
{
	char buf[1024];
	const char *why = rc == BH_ERETRY   ? "cannot be reached or is busy"
			  : rc == BH_EAUTH  ? "credentials or permissions refused"
			  : rc == BH_EREJECT ? "refused the request"
			  : rc == BH_EPROTO ? "answered something unreadable"
					    : bh_strerror(rc);
	bool code = st && st->code[0];
	snprintf(buf, sizeof(buf), "%s '%s': %s: %s%s%s%s", cap, name, what, why,
		 code ? " (" : "", code ? st->code : "", code ? ")" : "");
	if (st && st->message[0]) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, ": %s", st->message);
	}
	json_object_array_add(r->errors, json_object_new_string(buf));
	worse(r, ex_of(rc));
}

/* Parse an operation's answer; NULL and an error recorded when unreadable. */
static json_object *answer(struct rep *r, const char *cap, const char *name, const char *what,
			   char *out)
{
	json_object *o = out ? json_tokener_parse(out) : NULL;
	free(out);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fail(r, cap, name, what, BH_EPROTO, NULL);
		return NULL;
	}
	return o;
}

static char *ref_json(const char *key, const char *val)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(val));
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* ------------------------------------------------------------------ gathering */

static json_object *sf_order_by_name(struct rep *r, const char *name, int *rc_out)
{
	struct bh_status st;
	char *out = NULL, what[160];
	memset(&st, 0, sizeof(st));
	int rc = r->sf->find_order_by_name(r->sf_ctx, name, &out, &st);
	*rc_out = rc;
	if (rc == BH_ENOENT) {
		free(out);
		return NULL;
	}
	snprintf(what, sizeof(what), "find order %s", name);
	if (rc != 0) {
		free(out);
		fail(r, "storefront", r->sf_name, what, rc, &st);
		return NULL;
	}
	return answer(r, "storefront", r->sf_name, what, out);
}

static json_object *erp_sales_order(struct rep *r, const char *order_id)
{
	struct bh_status st;
	char *out = NULL, what[160];
	char *q = ref_json("shopify_order_id", order_id);
	memset(&st, 0, sizeof(st));
	int rc = q ? r->erp->find_sales_order(r->erp_ctx, q, &out, &st) : BH_ENOMEM;
	free(q);
	snprintf(what, sizeof(what), "find the sales order of storefront order %s", order_id);
	if (rc == BH_ENOENT) {
		free(out);
		return NULL;
	}
	if (rc != 0) {
		free(out);
		fail(r, "erp", r->erp_name, what, rc, &st);
		return NULL;
	}
	return answer(r, "erp", r->erp_name, what, out);
}

static json_object *erp_related(struct rep *r, const char *iid)
{
	struct bh_status st;
	char *out = NULL, what[160];
	char *q = ref_json("internal_id", iid);
	memset(&st, 0, sizeof(st));
	int rc = q ? r->erp->related_transactions(r->erp_ctx, q, &out, &st) : BH_ENOMEM;
	free(q);
	snprintf(what, sizeof(what), "related transactions of %s", iid);
	if (rc != 0) {
		free(out);
		fail(r, "erp", r->erp_name, what, rc, &st);
		return NULL;
	}
	json_object *o = answer(r, "erp", r->erp_name, what, out), *t;
	if (!o)
		return NULL;
	t = jo(o, "transactions");
	if (t && json_object_is_type(t, json_type_array)) {
		json_object_get(t);
		json_object_put(o);
		return t;
	}
	json_object_put(o);
	fail(r, "erp", r->erp_name, what, BH_EPROTO, NULL);
	return NULL;
}

static json_object *erp_ra(struct rep *r, const char *ext)
{
	struct bh_status st;
	char *out = NULL, what[160];
	char *q = ref_json("external_id", ext);
	memset(&st, 0, sizeof(st));
	int rc = q ? r->erp->get_return_authorization(r->erp_ctx, q, &out, &st) : BH_ENOMEM;
	free(q);
	if (rc == BH_ENOENT) {
		free(out);
		return NULL;
	}
	snprintf(what, sizeof(what), "read return authorization %s", ext);
	if (rc != 0) {
		free(out);
		fail(r, "erp", r->erp_name, what, rc, &st);
		return NULL;
	}
	return answer(r, "erp", r->erp_name, what, out);
}

static json_object *portal_returns(struct rep *r, json_object *order)
{
	struct bh_status st;
	char *out = NULL, what[160];
	json_object *q = json_object_new_object();
	json_object_object_add(q, "storefront_order_id", js(order, "id")
				   ? json_object_new_string(js(order, "id")) : NULL);
	json_object_object_add(q, "order_name", js(order, "name")
				   ? json_object_new_string(js(order, "name")) : NULL);
	memset(&st, 0, sizeof(st));
	int rc = r->po->find_returns(r->po_ctx, json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN),
				     &out, &st);
	json_object_put(q);
	snprintf(what, sizeof(what), "find the returns of order %s", jsd(order, "name", "?"));
	if (rc != 0) {
		free(out);
		fail(r, "portal", r->po_name, what, rc, &st);
		return NULL;
	}
	json_object *o = answer(r, "portal", r->po_name, what, out), *a;
	if (!o)
		return NULL;
	a = jo(o, "returns");
	if (a && json_object_is_type(a, json_type_array)) {
		json_object_get(a);
		json_object_put(o);
		return a;
	}
	json_object_put(o);
	fail(r, "portal", r->po_name, what, BH_EPROTO, NULL);
	return NULL;
}

static json_object *portal_return(struct rep *r, const char *rid)
{
	struct bh_status st;
	char *out = NULL, what[160];
	memset(&st, 0, sizeof(st));
	int rc = r->po->get_return(r->po_ctx, rid, &out, &st);
	snprintf(what, sizeof(what), "read return %s", rid);
	if (rc != 0) {
		free(out);
		fail(r, "portal", r->po_name, what, rc == BH_ENOENT ? BH_EREJECT : rc, &st);
		return NULL;
	}
	return answer(r, "portal", r->po_name, what, out);
}

/* related_transactions need not give an RA's received / billed quantities nor its
 * flag: take them (the lines as a whole) from get_return_authorization. */
static void ra_quantities(struct rep *r, json_object *ra, const char *ext)
{
	json_object *full = erp_ra(r, ext), *lines = jo(full, "lines"), *flag = jo(full, "flag");
	if (jlen(lines))
		json_object_object_add(ra, "lines", json_object_get(lines));
	if (flag && !jo(ra, "flag"))
		json_object_object_add(ra, "flag", json_object_get(flag));
	json_object_put(full);
}

/* The return id of an RA transaction (external id <ra_prefix><id>), or NULL. */
static const char *ra_return_id(const struct rep *r, json_object *t)
{
	const char *type = js(t, "type"), *ext = js(t, "external_id");
	size_t n = strlen(r->ra_prefix);
	if (!type || strcmp(type, "return_authorization") != 0 || !ext ||
	    strncmp(ext, r->ra_prefix, n) != 0 || !ext[n])
		return NULL;
	return ext + n;
}

static bool in_array_str(json_object *a, const char *s)
{
	for (size_t i = 0; i < jlen(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

/* Move every transaction created (transitively) from `root_iid` out of `pool` into a
 * new array, in pool order. */
static json_object *take_chain(json_object *pool, const char *root_iid)
{
	json_object *ids = json_object_new_array(), *out = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(root_iid));
	bool grew = true;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < jlen(pool); i++) {
			json_object *t = json_object_array_get_idx(pool, i);
			const char *iid = js(t, "internal_id");
			const char *from = js(jo(t, "created_from"), "internal_id");
			if (!iid || in_array_str(ids, iid) || !from || !in_array_str(ids, from))
				continue;
			json_object_array_add(ids, json_object_new_string(iid));
			grew = true;
		}
	}
	for (size_t i = 0; i < jlen(pool);) {
		json_object *t = json_object_array_get_idx(pool, i);
		const char *iid = js(t, "internal_id");
		if (iid && strcmp(iid, root_iid) != 0 && in_array_str(ids, iid)) {
			json_object_array_add(out, json_object_get(t));
			json_object_array_del_idx(pool, i, 1);
		} else {
			i++;
		}
	}
	json_object_put(ids);
	return out;
}

/* Build the whole report object for the order. Returns NULL (and *ex) when the order
 * itself cannot be shown. */
static json_object *gather(struct rep *r, const char *name, int *ex)
{
	int rc = 0;
	json_object *order = sf_order_by_name(r, name, &rc);
	if (!order) {
		*ex = rc == BH_ENOENT ? BH_EX_NOINPUT : r->worst ? r->worst : BH_EX_SOFTWARE;
		return NULL;
	}
	json_object *rep = json_object_new_object(), *so = NULL, *txns = NULL, *returns = NULL;
	json_object *notes = json_object_new_array();
	json_object_object_add(rep, "order", order);
	const char *oid = js(order, "id");

	/* ERP: the sales order and everything made from it */
	if (r->erp && oid) {
		size_t nerr = jlen(r->errors);
		so = erp_sales_order(r, oid);
		r->erp_failed = jlen(r->errors) > nerr;
		if (so && js(so, "internal_id") && OPS_HAS(struct bh_erp_ops, r->erp, related_transactions))
			txns = erp_related(r, js(so, "internal_id"));
		else if (so)
			json_object_array_add(notes, json_object_new_string(
				"the erp endpoint cannot list related transactions (receipts, "
				"refunds, billing are not shown; RAs are read one by one)"));
	}

	/* Portal: the order's returns */
	if (r->po && OPS_HAS(struct bh_portal_ops, r->po, find_returns)) {
		returns = portal_returns(r, order);
	} else if (r->po) {
		returns = json_object_new_array();
		for (size_t i = 0; i < jlen(txns); i++) {
			const char *rid = ra_return_id(r, json_object_array_get_idx(txns, i));
			json_object *ret = rid ? portal_return(r, rid) : NULL;
			if (ret)
				json_object_array_add(returns, ret);
		}
		json_object_array_add(notes, json_object_new_string(
			txns ? "the portal endpoint cannot list an order's returns: only returns "
			       "with an RA in the ERP are shown"
			     : "the portal endpoint cannot list an order's returns"));
	}

	/* Per return: its RA and the RA's chain, its exchange order */
	json_object *rets = json_object_new_array();
	for (size_t i = 0; i < jlen(returns); i++) {
		json_object *ret = json_object_array_get_idx(returns, i), *e = json_object_new_object();
		const char *rid = js(ret, "id");
		char ext[128];
		json_object_object_add(e, "return", json_object_get(ret));
		snprintf(ext, sizeof(ext), "%s%s", r->ra_prefix, rid ? rid : "");
		json_object *ra = NULL;
		for (size_t k = 0; rid && k < jlen(txns); k++) {
			json_object *t = json_object_array_get_idx(txns, k);
			const char *x = ra_return_id(r, t);
			if (x && strcmp(x, rid) == 0) {
				ra = json_object_get(t);
				json_object_array_del_idx(txns, k, 1);
				break;
			}
		}
		if (!ra && rid && r->erp && !txns && so)
			ra = erp_ra(r, ext);
		else if (ra && !js(json_object_array_get_idx(jo(ra, "lines"), 0), "quantity_received"))
			ra_quantities(r, ra, ext);
		if (ra) {
			const char *iid = js(ra, "internal_id");
			json_object_object_add(e, "transactions", txns && iid ? take_chain(txns, iid)
									      : NULL);
		}
		json_object_object_add(e, "return_authorization", ra);
		const char *xname = js(jo(ret, "exchange"), "order_name");
		if (xname && r->sf) {
			int xrc = 0;
			json_object *xo = sf_order_by_name(r, xname, &xrc), *xso = NULL;
			size_t nerr = jlen(r->errors);
			if (xo && r->erp && js(xo, "id"))
				xso = erp_sales_order(r, js(xo, "id"));
			bool xfailed = jlen(r->errors) > nerr;
			/* shown under its return: not again in the order's list */
			const char *xiid = js(xso, "internal_id");
			for (size_t k = 0; xiid && k < jlen(txns); k++)
				if (js(json_object_array_get_idx(txns, k), "internal_id") &&
				    strcmp(js(json_object_array_get_idx(txns, k), "internal_id"),
					   xiid) == 0) {
					json_object_array_del_idx(txns, k, 1);
					break;
				}
			if (xo) {
				json_object *x = json_object_new_object();
				json_object_object_add(x, "order", xo);
				json_object_object_add(x, "sales_order", xso);
				if (xfailed)
					json_object_object_add(x, "sales_order_unknown",
							       json_object_new_boolean(1));
				json_object_object_add(e, "exchange_order", x);
			}
		}
		json_object_array_add(rets, e);
	}
	json_object_put(returns);
	json_object_object_add(rep, "sales_order", so);
	json_object_object_add(rep, "transactions", txns);
	json_object_object_add(rep, "returns", rets);
	json_object_object_add(rep, "notes", notes);
	json_object_object_add(rep, "errors", json_object_get(r->errors));
	*ex = r->worst;
	return rep;
}

/* ------------------------------------------------------------------ text output */

/* Money as the operator reads it: exactly 2 decimals ("40" -> "40.00", "-5.5" -> "-5.50");
 * a value that is not a decimal amount with at most 2 decimals is shown as given, "-"
 * when absent. Exact: parsed as text, never through a double. */
static const char *money(const char *v, char *buf, size_t len)
{
	if (!v || !*v)
		return "-";
	const char *p = v;
	bool neg = *p == '-';
	if (neg || *p == '+')
		p++;
	long long whole = 0, cents = 0;
	int nd = 0, nf = 0;
	for (; *p >= '0' && *p <= '9'; p++, nd++) {
		if (whole > (LLONG_MAX - 9) / 10)
			return v;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
			if (nf >= 2)
				return v; /* more than 2 decimals: show what the endpoint said */
			cents = cents * 10 + (*p - '0');
		}
	if (*p || nd == 0)
		return v;
	if (nf == 1)
		cents *= 10;
	snprintf(buf, len, "%s%lld.%02lld", neg && (whole || cents) ? "-" : "", whole, cents);
	return buf;
}

/* lower_snake words ("pending_receipt", "return_authorization") as words. */
static const char *words(const char *v, char *buf, size_t len)
{
	if (!v || !*v)
		return "-";
	snprintf(buf, len, "%s", v);
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = ' ';
	return buf;
}

/* A money member of o, formatted (M(o, "total") in a printf argument list). */
#define M(o, k) money(js((o), (k)), (char[40]){0}, 40)
#define W(s) words((s), (char[64]){0}, 64)

static bool jtrue(json_object *o, const char *k)
{
	const char *v = js(o, k);
	return v && strcmp(v, "true") == 0;
}

static void print_order(json_object *o, const char *ind)
{
	json_object *t = jo(o, "totals"), *x = jo(o, "exchange");
	printf("%sstorefront order %s (id %s)\n", ind, jsd(o, "name", "?"), jsd(o, "id", "?"));
	printf("%s  created %s   currency %s   payment %s%s%s\n", ind, jsd(o, "created_at", "-"),
	       jsd(o, "currency", "-"), W(js(o, "financial_status")),
	       js(o, "cancelled_at") ? "   CANCELLED " : "", jsd(o, "cancelled_at", ""));
	if (x)
		printf("%s  exchange order of %s (return %s)\n", ind,
		       jsd(x, "original_order_name", "?"), jsd(x, "return_id", "?"));
	json_object *lines = jo(o, "lines");
	if (jlen(lines))
		printf("%s    %-16s %-26s %4s %10s %10s %10s\n", ind, "SKU", "Title", "Qty", "Price",
		       "Discount", "Tax");
	for (size_t i = 0; i < jlen(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		printf("%s    %-16s %-26.26s %4s %10s %10s %10s\n", ind, jsd(l, "sku", "(no sku)"),
		       jsd(l, "title", ""), jsd(l, "quantity", "?"), M(l, "price"), M(l, "discount"),
		       M(l, "tax"));
	}
	if (t)
		printf("%s  totals: subtotal %s  discount %s  shipping %s  tax %s  total %s  "
		       "refunded %s\n", ind, M(t, "subtotal"), M(t, "discount"), M(t, "shipping"),
		       M(t, "tax"), M(t, "total"), M(t, "refunded"));
	json_object *tn = jo(o, "tenders");
	if (jlen(tn)) {
		printf("%s  tenders:", ind);
		for (size_t i = 0; i < jlen(tn); i++) {
			json_object *e = json_object_array_get_idx(tn, i);
			printf("%s %s (%s) %s", i ? "," : "", W(js(e, "kind")), jsd(e, "gateway", "?"),
			       M(e, "amount"));
		}
		printf("\n");
	}
}

/* The transaction table: one header, then print_txn rows under it. */
#define TXN_ROW "%s%-22s %-12s %-10s %-24s %10s  %-8s %s"

static void print_txn_header(const char *ind)
{
	printf(TXN_ROW "\n", ind, "Transaction", "Number", "Date", "Status", "Total",
	       "Int. id", "External id");
}

/* A transaction's date as YYYY-MM-DD (ERPs answer a date or a full timestamp). */
static const char *day(const char *v, char *buf, size_t len)
{
	if (!v || !*v)
		return "-";
	bool iso = strlen(v) >= 10 && v[4] == '-' && v[7] == '-';
	snprintf(buf, len, "%.*s", iso ? 10 : (int)strlen(v), v);
	return buf;
}

static void print_txn(json_object *t, const char *ind)
{
	json_object *cf = jo(t, "created_from");
	char status[80], date[40];
	snprintf(status, sizeof(status), "%s%s", W(js(t, "status")),
		 jtrue(t, "flag") ? " FLAGGED" : "");
	printf(TXN_ROW, ind, W(js(t, "type")), jsd(t, "tran_id", "-"),
	       day(js(t, "date"), date, sizeof(date)), status,
	       M(t, "total"), jsd(t, "internal_id", "?"), jsd(t, "external_id", "-"));
	if (cf)
		printf("  (from %s %s)", W(js(cf, "type")), jsd(cf, "internal_id", "?"));
	if (jo(t, "exchange_of"))
		printf("  (exchange of %s)", jsd(jo(t, "exchange_of"), "internal_id", "?"));
	printf("\n");
	json_object *lines = jo(t, "lines");
	for (size_t i = 0; i < jlen(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		printf("%s    %-16s qty %3s", ind, jsd(l, "sku", "?"), jsd(l, "quantity", "?"));
		if (js(l, "rate"))
			printf("  rate %9s", M(l, "rate"));
		if (js(l, "amount"))
			printf("  amount %9s", M(l, "amount"));
		if (js(l, "tax"))
			printf("  tax %8s", M(l, "tax"));
		if (js(l, "quantity_received"))
			printf("  received %s", js(l, "quantity_received"));
		if (js(l, "quantity_billed"))
			printf("  billed %s", js(l, "quantity_billed"));
		if (jtrue(l, "closed"))
			printf("  closed");
		printf("\n");
	}
	json_object *gl = jo(t, "gl");
	if (gl && json_object_is_type(gl, json_type_array)) {
		if (!jlen(gl))
			printf("%s    GL: no postings\n", ind);
		for (size_t i = 0; i < jlen(gl); i++) {
			json_object *g = json_object_array_get_idx(gl, i);
			char d[40], c[40];
			const char *dr = money(js(g, "debit"), d, sizeof(d));
			const char *cr = money(js(g, "credit"), c, sizeof(c));
			bool is_dr = strcmp(dr, "-") != 0 && strcmp(dr, "0.00") != 0;
			printf("%s    GL %s %-28s %10s\n", ind, is_dr ? "Dr" : "Cr",
			       jsd(g, "account", "?"), is_dr ? dr : cr);
		}
	}
}

/* The portal state in words: "closed, processed", "closed without processing"... */
static const char *return_state(json_object *ret, char *buf, size_t len)
{
	const char *st = jsd(ret, "state", "?"), *pr = js(ret, "processed");
	if (strcmp(st, "review") == 0 || jtrue(ret, "flagged"))
		snprintf(buf, len, "%s", strcmp(st, "review") == 0 ? "in review (flagged)"
								   : "flagged");
	else if (strcmp(st, "closed") == 0 && pr)
		snprintf(buf, len, "%s", strcmp(pr, "true") == 0 ? "closed, processed"
								 : "closed without processing");
	else if (strcmp(st, "open") == 0 && pr && strcmp(pr, "false") == 0)
		snprintf(buf, len, "open, not processed yet");
	else
		snprintf(buf, len, "%s", st);
	return buf;
}

static void print_return(const struct rep *r, json_object *e)
{
	json_object *ret = jo(e, "return"), *t = jo(ret, "totals");
	char sbuf[64];
	printf("\nreturn %s in portal '%s': %s   outcome %s\n", jsd(ret, "id", "?"), r->po_name,
	       return_state(ret, sbuf, sizeof(sbuf)), W(js(ret, "outcome")));
	printf("  created %s   updated %s\n", jsd(ret, "created_at", "-"),
	       jsd(ret, "updated_at", "-"));
	json_object *lines = jo(ret, "lines");
	if (jlen(lines))
		printf("    %-16s %-26s %4s %10s %10s %10s %10s  %s\n", "SKU", "Title", "Qty",
		       "Price", "Discount", "Tax", "Refund", "Outcome");
	for (size_t i = 0; i < jlen(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		printf("    %-16s %-26.26s %4s %10s %10s %10s %10s  %s\n", jsd(l, "sku", "(no sku)"),
		       jsd(l, "title", ""), jsd(l, "quantity", "?"), M(l, "price"), M(l, "discount"),
		       M(l, "tax"), M(l, "refund"), W(js(l, "outcome")));
	}
	if (t)
		printf("  totals: total %s  refund %s  credit %s  gift card %s  exchange %s  upsell "
		       "%s  handling fee %s  bonus %s\n", M(t, "total"), M(t, "refund"),
		       M(t, "credit"), M(t, "gift_card"), M(t, "exchange"), M(t, "upsell"),
		       M(t, "handling_fee"), M(t, "bonus"));
	json_object *rf = jo(ret, "refunds");
	if (jlen(rf)) {
		printf("  refunds:");
		for (size_t i = 0; i < jlen(rf); i++) {
			json_object *x = json_object_array_get_idx(rf, i);
			printf("%s %s %s", i ? "," : "", jsd(x, "gateway", "?"), M(x, "amount"));
		}
		printf("\n");
	}
	if (js(ret, "error"))
		printf("  processing failed: %s\n", js(ret, "error"));
	json_object *ra = jo(e, "return_authorization");
	if (ra) {
		printf("  in the ERP:\n");
		print_txn_header("    ");
		print_txn(ra, "    ");
		json_object *tx = jo(e, "transactions");
		for (size_t i = 0; i < jlen(tx); i++)
			print_txn(json_object_array_get_idx(tx, i), "    ");
	} else if (r->erp && r->erp_failed) {
		printf("  in the ERP: not known (the read failed, see below)\n");
	} else if (r->erp) {
		printf("  in the ERP: no return authorization %s%s\n", r->ra_prefix,
		       jsd(ret, "id", "?"));
	}
	json_object *x = jo(e, "exchange_order");
	if (x) {
		printf("  exchange order:\n");
		print_order(jo(x, "order"), "    ");
		if (jo(x, "sales_order")) {
			print_txn_header("      ");
			print_txn(jo(x, "sales_order"), "      ");
		} else if (r->erp && jo(x, "sales_order_unknown")) {
			printf("      in the ERP: not known (the read failed, see below)\n");
		} else if (r->erp) {
			printf("      not in the ERP yet\n");
		}
	} else if (js(jo(ret, "exchange"), "order_name")) {
		printf("  exchange order %s: not found in the storefront\n",
		       js(jo(ret, "exchange"), "order_name"));
	}
}

static void print_report(const struct rep *r, json_object *rep)
{
	print_order(jo(rep, "order"), "");
	if (r->erp) {
		json_object *so = jo(rep, "sales_order");
		printf("\nin ERP '%s':\n", r->erp_name);
		json_object *tx = jo(rep, "transactions");
		if (so || jlen(tx))
			print_txn_header("  ");
		if (so)
			print_txn(so, "  ");
		else if (r->erp_failed)
			printf("  not known: the read failed (see below)\n");
		else
			printf("  no sales order for this order (not synced yet?)\n");
		for (size_t i = 0; i < jlen(tx); i++)
			print_txn(json_object_array_get_idx(tx, i), "  ");
	} else {
		printf("\n(no erp endpoint configured)\n");
	}
	json_object *rets = jo(rep, "returns");
	if (r->po)
		printf("\nreturns in portal '%s': %zu\n", r->po_name, jlen(rets));
	else
		printf("\n(no portal endpoint configured)\n");
	for (size_t i = 0; i < jlen(rets); i++)
		print_return(r, json_object_array_get_idx(rets, i));
	json_object *notes = jo(rep, "notes");
	for (size_t i = 0; i < jlen(notes); i++)
		printf("\nnote: %s\n", json_object_get_string(json_object_array_get_idx(notes, i)));
	json_object *errs = jo(rep, "errors");
	if (jlen(errs)) {
		printf("\nINCOMPLETE: %zu read%s failed:\n", jlen(errs), jlen(errs) == 1 ? "" : "s");
		for (size_t i = 0; i < jlen(errs); i++)
			printf("  %s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	}
}

/* ------------------------------------------------------------------ endpoints */

/* The endpoint for capability `cap`: the named one, or the only one offering it.
 * Returns 0 (found, or none configured when want is NULL: *ops NULL), or an exit code. */
static int pick(struct bh_engine *eng, const char *cap, const char *want, const void **ops,
		void **ctx, const char **name)
{
	*ops = NULL;
	if (want) {
		struct bh_instance *in = bh_engine_find(eng, want);
		if (!in || in->kind != BH_KIND_ENDPOINT) {
			fprintf(stderr, "backhaul report: no endpoint named '%s'\n", want);
			return BH_EX_CONFIG;
		}
		if (in->disabled) {
			fprintf(stderr, "backhaul report: endpoint '%s' is disabled or its configuration "
				"is invalid (run `backhaul check-config`)\n", want);
			return BH_EX_CONFIG;
		}
		const void *o = in->plugin->desc->capability ? in->plugin->desc->capability(in->ctx, cap)
							     : NULL;
		if (!o) {
			fprintf(stderr, "backhaul report: endpoint '%s' (plugin %s) offers no '%s' "
				"capability\n", want, in->plugin->desc->name, cap);
			return BH_EX_CONFIG;
		}
		*ops = o;
		*ctx = in->ctx;
		*name = in->name;
		return 0;
	}
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		if (in->kind != BH_KIND_ENDPOINT || in->disabled || !in->plugin->desc->capability)
			continue;
		const void *o = in->plugin->desc->capability(in->ctx, cap);
		if (!o)
			continue;
		if (*ops) {
			fprintf(stderr, "backhaul report: endpoints '%s' and '%s' both offer '%s': "
				"choose one with --%s NAME\n", *name, in->name, cap, cap);
			return BH_EX_USAGE;
		}
		*ops = o;
		*ctx = in->ctx;
		*name = in->name;
	}
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: backhaul [-c DIR] report order NAME [--json] [--storefront EP]\n"
		"                [--portal EP] [--erp EP] [--ra-prefix PREFIX]\n\n"
		"Show one order's whole chain as the configured endpoints see it, read-only:\n"
		"the storefront order (lines, totals, tenders), its sales order in the ERP and\n"
		"what was made from it (billing, RAs, item receipts, refunds, credit memos,\n"
		"customer refunds, with GL lines where the ERP exposes them), every return in\n"
		"the portal with its RA and exchange order. NAME is the storefront's order\n"
		"name (\"#1001\"; quote the #).\n\n"
		"  --json              print the gathered data as one JSON object\n"
		"  --storefront/--portal/--erp EP   the endpoint instance to read (default:\n"
		"                      the only enabled endpoint offering that capability)\n"
		"  --ra-prefix PREFIX  external id prefix of the engine's RAs (default loop-ra-)\n\n"
		"Exit status: 0 shown; 66 no such order in the storefront; 69 an endpoint\n"
		"could not be reached and 77 one refused the credentials (what could be read is\n"
		"still shown, with the failures); 65 an endpoint refused a read or answered\n"
		"nonsense; 64 usage; 78 configuration.\n");
}

int bh_cli_report(const struct bh_cli_globals *g, int argc, char **argv)
{
	const char *name = NULL, *want_sf = NULL, *want_po = NULL, *want_erp = NULL;
	bool json = false;
	struct rep r;
	memset(&r, 0, sizeof(r));
	r.ra_prefix = "loop-ra-";
	if (bh_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "order") != 0) {
		if (argc >= 1)
			fprintf(stderr, "backhaul report: unknown report '%s' (only 'order')\n", argv[0]);
		usage(stderr);
		return BH_EX_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (strcmp(a, "--json") == 0)
			json = true;
		else if (strcmp(a, "--storefront") == 0 && more)
			want_sf = argv[++i];
		else if (strcmp(a, "--portal") == 0 && more)
			want_po = argv[++i];
		else if (strcmp(a, "--erp") == 0 && more)
			want_erp = argv[++i];
		else if (strcmp(a, "--ra-prefix") == 0 && more)
			r.ra_prefix = argv[++i];
		else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "backhaul report: unknown or incomplete option '%s'\n", a);
			return BH_EX_USAGE;
		} else if (!name)
			name = a;
		else {
			fprintf(stderr, "backhaul report: one order name only ('%s' and '%s')\n", name, a);
			return BH_EX_USAGE;
		}
	}
	if (!name || !*name) {
		fprintf(stderr, "backhaul report order: which order? (e.g. backhaul report order "
			"'#1001')\n");
		return BH_EX_USAGE;
	}
	if (!getenv("BH_LOG_LEVEL"))
		bh_log_set_level(BH_LOG_ERR);
	struct bh_engine_opts opts = {.conf_dir = g->conf_dir, .state_dir = g->state_dir,
				      .check_only = true};
	struct bh_engine *eng = NULL;
	int ex = 0;
	if (bh_engine_create(&opts, &eng) != 0 || !eng) {
		fprintf(stderr, "backhaul report: the configuration in %s cannot be loaded (run "
			"`backhaul check-config`)\n", g->conf_dir);
		ex = BH_EX_CONFIG;
		goto out;
	}
	/* the configuration's log_level is the daemon's: the report prints only errors */
	if (!getenv("BH_LOG_LEVEL"))
		bh_log_set_level(BH_LOG_ERR);
	const void *ops;
	if ((ex = pick(eng, BH_CAP_STOREFRONT, want_sf, &ops, &r.sf_ctx, &r.sf_name)) != 0)
		goto out;
	r.sf = ops;
	if ((ex = pick(eng, BH_CAP_PORTAL, want_po, &ops, &r.po_ctx, &r.po_name)) != 0)
		goto out;
	r.po = ops;
	if ((ex = pick(eng, BH_CAP_ERP, want_erp, &ops, &r.erp_ctx, &r.erp_name)) != 0)
		goto out;
	r.erp = ops;
	if (!r.sf || !OPS_HAS(struct bh_storefront_ops, r.sf, find_order_by_name)) {
		fprintf(stderr, "backhaul report: no enabled storefront endpoint that can find orders "
			"by name is configured in %s\n", g->conf_dir);
		ex = BH_EX_CONFIG;
		goto out;
	}
	if (r.po && (!OPS_HAS(struct bh_portal_ops, r.po, get_return)))
		r.po = NULL;
	if (r.erp && (!OPS_HAS(struct bh_erp_ops, r.erp, find_sales_order) ||
		      !OPS_HAS(struct bh_erp_ops, r.erp, get_return_authorization)))
		r.erp = NULL;
	r.errors = json_object_new_array();
	json_object *rep = gather(&r, name, &ex);
	if (!rep) {
		if (ex == BH_EX_NOINPUT)
			fprintf(stderr, "backhaul report: no order named '%s' in storefront '%s'\n",
				name, r.sf_name);
		else
			for (size_t i = 0; i < jlen(r.errors); i++)
				fprintf(stderr, "backhaul report: %s\n",
					json_object_get_string(json_object_array_get_idx(r.errors, i)));
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_report(&r, rep);
	json_object_put(rep);
out:
	json_object_put(r.errors);
	bh_engine_destroy(eng);
	return ex;
}
