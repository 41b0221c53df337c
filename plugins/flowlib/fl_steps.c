/*
 * fl_steps.c - steps shared by the returns flows: endpoints from settings, the sales
 * order and RA lookups, what the order was paid with, and creating an RA with its
 * over-return guard (see flowlib.h).
 *
 * Ownership: flowlib. Threading: called from deliver() on worker threads; everything
 * here works on the caller's data and the (thread-safe) host and capability calls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_priv.h"

int bh_fl_env_configure(struct bh_fl_env *e)
{
	struct bh_cap cap;
	int rc = bh_fl_endpoint(e->h, e->inst, "erp", e->erp_name, BH_CAP_ERP, &cap);
	if (rc != 0)
		return rc;
	e->erp = cap.ops;
	e->erp_ctx = cap.ctx;
	if (e->storefront_name && *e->storefront_name) {
		rc = bh_fl_endpoint(e->h, e->inst, "storefront", e->storefront_name, BH_CAP_STOREFRONT,
				    &cap);
		if (rc != 0)
			return rc;
		e->sf = cap.ops;
		e->sf_ctx = cap.ctx;
	}
	if (e->portal_name && *e->portal_name) {
		rc = bh_fl_endpoint(e->h, e->inst, "portal", e->portal_name, BH_CAP_PORTAL, &cap);
		if (rc != 0)
			return rc;
		e->po = cap.ops;
		e->po_ctx = cap.ctx;
		if (!e->po->get_return) {
			bh_plg_error(e->h, e->inst, "portal = %s: its portal capability cannot read "
				     "returns", e->portal_name);
			return BH_ECONFIG;
		}
	}
	/* items a flow uses are set (defaults); NULL ones are not used by that flow */
	const struct bh_fl_items *it = &e->items;
	const struct {
		const char *key, *v;
	} items[] = {{"gift_card_item", it->gift_card},
		     {"store_credit_item", it->store_credit},
		     {"exchange_credit_item", it->exchange_credit},
		     {"fee_item", it->fee},
		     {"bonus_item", it->bonus}};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (items[i].v && !*items[i].v) {
			bh_plg_error(e->h, e->inst, "%s must not be empty: it names the ERP item (SKU) "
				     "of those lines", items[i].key);
			return BH_ECONFIG;
		}
	return BH_OK;
}

static int call_find(const struct bh_fl_env *e, const char *key, const char *value,
		     struct bh_fl_erp_doc *so, struct bh_status *st)
{
	struct json_object *q = json_object_new_object();
	char *out = NULL, err[256];
	if (!q)
		return BH_ENOMEM;
	bh_fl_jadd_str(q, key, value);
	memset(st, 0, sizeof(*st));
	int rc = e->erp->find_sales_order(e->erp_ctx, json_object_to_json_string(q), &out, st);
	json_object_put(q);
	if (rc == 0) {
		rc = bh_fl_erp_doc_parse(out, so, err, sizeof(err));
		if (rc != 0) {
			bh_fl_erp_doc_free(so);
			snprintf(st->code, sizeof(st->code), "PROTOCOL");
			snprintf(st->message, sizeof(st->message), "find_sales_order answered badly: %s", err);
			rc = BH_EPROTO;
		}
	}
	free(out);
	return rc;
}

int bh_fl_find_sales_order(const struct bh_fl_env *e, const char *order_id,
			   struct bh_fl_erp_doc *so, struct bh_status *st)
{
	char xid[160];
	memset(so, 0, sizeof(*so));
	bh_fl_xid(xid, sizeof(xid), BH_FL_XID_ORDER, order_id);
	int rc = call_find(e, "external_id", xid, so, st);
	if (rc == BH_ENOENT)
		rc = call_find(e, "shopify_order_id", order_id, so, st);
	return rc;
}

static int call_get_ra(const struct bh_fl_env *e, const char *key, const char *value,
		       struct bh_fl_erp_doc *ra, struct bh_status *st)
{
	struct json_object *q = json_object_new_object();
	char *out = NULL, err[256];
	if (!q)
		return BH_ENOMEM;
	bh_fl_jadd_str(q, key, value);
	memset(st, 0, sizeof(*st));
	int rc = e->erp->get_return_authorization(e->erp_ctx, json_object_to_json_string(q), &out, st);
	json_object_put(q);
	if (rc == 0) {
		rc = bh_fl_erp_doc_parse(out, ra, err, sizeof(err));
		if (rc != 0) {
			bh_fl_erp_doc_free(ra);
			snprintf(st->code, sizeof(st->code), "PROTOCOL");
			snprintf(st->message, sizeof(st->message),
				 "get_return_authorization answered badly: %s", err);
			rc = BH_EPROTO;
		}
	}
	free(out);
	return rc;
}

int bh_fl_get_ra(const struct bh_fl_env *e, const char *return_id, struct bh_fl_erp_doc *ra,
		 struct bh_status *st)
{
	char iid[64], xid[160];
	memset(ra, 0, sizeof(*ra));
	int n = bh_fl_xref(e->h, e->inst, BH_FL_XREF_RA, return_id, iid, sizeof(iid));
	if (n > 0) {
		int rc = call_get_ra(e, "internal_id", iid, ra, st);
		if (rc != BH_ENOENT)
			return rc;
	}
	bh_fl_xid(xid, sizeof(xid), BH_FL_XID_RA, return_id);
	return call_get_ra(e, "external_id", xid, ra, st);
}

void bh_fl_paid_lookup(const struct bh_fl_env *e, const char *order_id, struct bh_fl_paid *p)
{
	char buf[256], err[256];
	memset(p, 0, sizeof(*p));
	if (bh_fl_xref(e->h, e->inst, BH_FL_XREF_PAID, order_id, buf, sizeof(buf)) > 0 &&
	    bh_fl_paid_parse(buf, p) == 0)
		return;
	memset(p, 0, sizeof(*p));
	if (!e->sf || !e->sf->get_order)
		return;
	struct bh_status st = {0};
	char *out = NULL;
	if (e->sf->get_order(e->sf_ctx, order_id, &out, &st) == 0) {
		struct bh_fl_order o;
		if (bh_fl_order_parse(out, 0, &o, err, sizeof(err)) == 0)
			bh_fl_paid_of_order(&o, p);
		else
			bh_plg_warn(e->h, e->inst, "order %s from the storefront: %s", order_id, err);
		bh_fl_order_free(&o);
	} else {
		bh_plg_debug(e->h, e->inst, "order %s: storefront lookup of its tenders failed: %s %s",
			     order_id, st.code, st.message);
	}
	free(out);
}

bool bh_fl_return_dead(const struct bh_fl_return *r)
{
	return r->state && (!strcmp(r->state, "cancelled") || !strcmp(r->state, "expired"));
}

bool bh_fl_ra_closed(const struct bh_fl_erp_doc *ra)
{
	return ra->status && (!strcmp(ra->status, "closed") || !strcmp(ra->status, "cancelled"));
}

void bh_fl_ra_receipt_state(const struct bh_fl_erp_doc *ra, const struct bh_fl_return *r,
			    int64_t *received, int64_t *units)
{
	*received = 0;
	*units = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		const char *sku = r->lines[i].sku;
		bool seen = false;
		*units += r->lines[i].quantity;
		for (size_t k = 0; k < i && sku; k++)
			if (r->lines[k].sku && !strcmp(r->lines[k].sku, sku))
				seen = true;
		if (sku && !seen)
			*received += bh_fl_erp_received(ra, sku);
	}
}

/* ------------------------------------------------------------------ items */

/* Add s to the array a unless it is there already. */
static void add_sku(struct json_object *a, const char *s)
{
	if (!s || !*s)
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return;
	json_object_array_add(a, json_object_new_string(s));
}

int bh_fl_check_items(const struct bh_fl_env *e, bh_result *res, struct json_object *doc,
		      const char *what)
{
	static const char *const lists[][2] = {{"lines", "sku"}, {"adjustments", "item"}};
	struct bh_status st = {0};
	char *out = NULL, msg[512];
	if (!BH_FL_OPS_HAS(struct bh_erp_ops, e->erp, check_items))
		return BH_OK;
	struct json_object *q = json_object_new_object(), *skus = json_object_new_array();
	if (!q || !skus) {
		json_object_put(q);
		json_object_put(skus);
		e->h->result_retry(res, 0, "%s: out of memory", what);
		return BH_FL_STOP;
	}
	json_object_object_add(q, "skus", skus);
	for (size_t k = 0; k < 2; k++) {
		struct json_object *a = bh_fl_jarr(doc, lists[k][0]);
		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			add_sku(skus, bh_fl_jstr(json_object_array_get_idx(a, i), lists[k][1]));
	}
	if (bh_fl_jstr(doc, "bonus"))
		add_sku(skus, bh_fl_jstr(doc, "bonus_item"));
	if (json_object_array_length(skus) == 0) {
		json_object_put(q);
		return BH_OK;
	}
	int rc = e->erp->check_items(e->erp_ctx, json_object_to_json_string(q), &out, &st);
	json_object_put(q);
	free(out);
	if (rc == 0)
		return BH_OK;
	snprintf(msg, sizeof(msg), "%s: check items%s", what,
		 rc == BH_EREJECT ? " (nothing was written)" : "");
	bh_fl_fail(e->h, res, rc, &st, e->auth_retry_ms, msg);
	return BH_FL_STOP;
}

/* ------------------------------------------------------------------ cancelled returns */

int bh_fl_cancelled(const struct bh_fl_env *e, const char *return_id, char *buf, size_t len)
{
	return bh_fl_xref(e->h, e->inst, BH_FL_XREF_CANCELLED, return_id, buf, len) > 0 ? 1 : 0;
}

int bh_fl_close_ra(const struct bh_fl_env *e, bh_result *res, const char *ra_iid,
		   const char *what)
{
	struct bh_status st = {0};
	char *out = NULL;
	struct json_object *q = json_object_new_object();
	if (!q) {
		e->h->result_retry(res, 0, "%s: out of memory", what);
		return BH_FL_STOP;
	}
	bh_fl_jadd_str(q, "internal_id", ra_iid);
	int rc = e->erp->close_return_authorization(e->erp_ctx, json_object_to_json_string(q), &out,
						    &st);
	json_object_put(q);
	free(out);
	if (rc != 0) {
		bh_fl_fail(e->h, res, rc, &st, e->auth_retry_ms, what);
		return BH_FL_STOP;
	}
	return BH_OK;
}

/* The portal's word on the return (when a portal is configured): true when it is
 * cancelled or expired there. A failed read is not fatal: the mark of return-cancel
 * covers the race (see bh_fl_ensure_ra). */
static bool portal_says_dead(const struct bh_fl_env *e, const struct bh_fl_return *r,
			     char *state, size_t len)
{
	struct bh_status st = {0};
	char *out = NULL, err[256];
	bool dead = false;
	if (!e->po)
		return false;
	int rc = e->po->get_return(e->po_ctx, r->id, &out, &st);
	if (rc == 0) {
		struct bh_fl_return pr;
		if (bh_fl_return_parse(out, 0, &pr, err, sizeof(err)) == 0 && bh_fl_return_dead(&pr)) {
			snprintf(state, len, "%s", pr.state);
			dead = true;
		}
		bh_fl_return_free(&pr);
	} else {
		bh_plg_debug(e->h, e->inst, "return %s: re-reading it from portal '%s' failed (%s %s); "
			     "going by the record", r->id, e->portal_name, st.code, st.message);
	}
	free(out);
	return dead;
}

/* Before writing: is the return known cancelled? Returns 0 (go on), BH_FL_CANCELLED
 * (ok outcome, nothing more to write) or BH_FL_STOP. An RA left by the race (created,
 * then the mark committed before this flow could acknowledge) is closed when the mark
 * says "close". */
static int cancel_guard(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r)
{
	const struct bh_host *h = e->h;
	char mark[32], state[32] = "", what[256];
	const char *oname = r->order_name ? r->order_name : r->order_id;
	bool marked = bh_fl_cancelled(e, r->id, mark, sizeof(mark)) == 1;
	if (!marked && !portal_says_dead(e, r, state, sizeof(state)))
		return BH_OK;
	if (marked && !strcmp(mark, BH_FL_CANCELLED_CLOSE)) {
		struct bh_fl_erp_doc ra;
		struct bh_status st;
		int rc = bh_fl_get_ra(e, r->id, &ra, &st);
		if (rc != 0 && rc != BH_ENOENT) {
			snprintf(what, sizeof(what), "return %s (order %s, cancelled): read its RA", r->id,
				 oname);
			bh_fl_fail(h, res, rc, &st, e->auth_retry_ms, what);
			return BH_FL_STOP;
		}
		if (rc == 0 && !bh_fl_ra_closed(&ra) && !h->dry_run(e->inst)) {
			snprintf(what, sizeof(what), "return %s (order %s, cancelled): close RA %s", r->id,
				 oname, ra.internal_id);
			if (bh_fl_close_ra(e, res, ra.internal_id, what) != 0) {
				bh_fl_erp_doc_free(&ra);
				return BH_FL_STOP;
			}
			h->log(e->inst, BH_LOG_INFO, "return %s (order %s) was cancelled in the portal "
			       "while its RA %s was written: RA closed", r->id, oname, ra.internal_id);
			h->counter_add(e->inst, "ra_closed_cancelled", 1);
			h->result_xref_put(res, BH_FL_XREF_RA, r->id, ra.internal_id);
			h->result_xref_put(res, BH_FL_XREF_RELEASED, r->id, "cancelled");
			bh_fl_erp_doc_free(&ra);
			return BH_FL_CANCELLED;
		}
		bh_fl_erp_doc_free(&ra);
	}
	h->log(e->inst, BH_LOG_INFO, "return %s (order %s) is cancelled (%s%s); no RA written",
	       r->id, oname, marked ? "recorded by return-cancel" : "the portal says it is ",
	       marked ? "" : state);
	h->counter_add(e->inst, "skipped_cancelled", 1);
	return BH_FL_CANCELLED;
}

/* ------------------------------------------------------------------ over-return */

struct ret_group {
	char key[96];       /* line item id, or "sku-<SKU>" */
	const char *sku;
	const char *line_item_id;
	int64_t qty, before, ordered;
};

static int64_t xref_int(const struct bh_fl_env *e, const char *ns, const char *key, int64_t def)
{
	char buf[64];
	if (bh_fl_xref(e->h, e->inst, ns, key, buf, sizeof(buf)) <= 0)
		return def;
	char *end;
	long long v = strtoll(buf, &end, 10);
	return (*end || end == buf) ? def : v;
}

/* Group the return's lines by order line (storefront line id, else SKU) and read what
 * earlier returns took. *ng groups in g (room for r->n_lines). */
static void group_lines(const struct bh_fl_env *e, const struct bh_fl_return *r, struct ret_group *g,
			size_t *ng)
{
	char key[160];
	*ng = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_fl_return_line *l = &r->lines[i];
		char k[96];
		if (l->line_item_id)
			snprintf(k, sizeof(k), "%s", l->line_item_id);
		else
			snprintf(k, sizeof(k), "sku-%s", l->sku ? l->sku : "");
		size_t j;
		for (j = 0; j < *ng; j++)
			if (!strcmp(g[j].key, k))
				break;
		if (j == *ng) {
			memset(&g[j], 0, sizeof(g[j]));
			snprintf(g[j].key, sizeof(g[j].key), "%s", k);
			g[j].sku = l->sku;
			g[j].line_item_id = l->line_item_id;
			(*ng)++;
		}
		g[j].qty += l->quantity;
	}
	for (size_t j = 0; j < *ng; j++) {
		snprintf(key, sizeof(key), "%s:%s", r->order_id, g[j].key);
		g[j].before = xref_int(e, BH_FL_XREF_RETURNED, key, 0);
	}
}

/* Compare with what was ordered. Returns 0 or BH_FL_STOP (rejected). */
static int over_return_check(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r,
			     const struct bh_fl_erp_doc *so, struct ret_group *g, size_t *ng)
{
	const struct bh_host *h = e->h;
	char key[160];
	group_lines(e, r, g, ng);
	for (size_t j = 0; j < *ng; j++) {
		snprintf(key, sizeof(key), "%s:%s", r->order_id, g[j].key);
		g[j].ordered = g[j].line_item_id ? xref_int(e, BH_FL_XREF_LINE, key, -1) : -1;
		if (g[j].ordered < 0 && bh_fl_erp_qty(so, g[j].sku) > 0)
			g[j].ordered = bh_fl_erp_qty(so, g[j].sku);
		if (g[j].ordered < 0) {
			/* neither the storefront line nor a sales order line with this SKU is known:
			 * the ERP judges the line (unknown SKU, bad reference) */
			h->log(e->inst, BH_LOG_INFO, "return %s: order %s has no line with SKU %s in the "
			       "ERP; the over-return check is left to the ERP", r->id,
			       r->order_name ? r->order_name : r->order_id, g[j].sku ? g[j].sku : "?");
			continue;
		}
		if (g[j].before + g[j].qty > g[j].ordered) {
			h->result_reject(res, "over-return on order %s (return %s): line %s (SKU %s) was "
					 "ordered %" PRId64 ", %" PRId64 " already returned, this return "
					 "asks for %" PRId64 " (%" PRId64 " left)",
					 r->order_name ? r->order_name : r->order_id, r->id,
					 g[j].line_item_id ? g[j].line_item_id : "-",
					 g[j].sku ? g[j].sku : "?", g[j].ordered, g[j].before, g[j].qty,
					 g[j].ordered > g[j].before ? g[j].ordered - g[j].before : 0);
			return BH_FL_STOP;
		}
	}
	return BH_OK;
}

int bh_fl_release_returned(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r)
{
	const struct bh_host *h = e->h;
	char buf[64], key[160], val[32];
	size_t ng = 0;
	if (bh_fl_xref(h, e->inst, BH_FL_XREF_RA, r->id, buf, sizeof(buf)) <= 0 ||
	    bh_fl_xref(h, e->inst, BH_FL_XREF_RELEASED, r->id, buf, sizeof(buf)) > 0)
		return 0;
	struct ret_group *g = calloc(r->n_lines, sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	group_lines(e, r, g, &ng);
	for (size_t j = 0; j < ng; j++) {
		int64_t left = g[j].before > g[j].qty ? g[j].before - g[j].qty : 0;
		snprintf(key, sizeof(key), "%s:%s", r->order_id, g[j].key);
		snprintf(val, sizeof(val), "%" PRId64, left);
		h->result_xref_put(res, BH_FL_XREF_RETURNED, key, val);
	}
	h->result_xref_put(res, BH_FL_XREF_RELEASED, r->id, r->state ? r->state : "released");
	free(g);
	return 1;
}

int bh_fl_ensure_ra(const struct bh_fl_env *e, bh_result *res, const struct bh_fl_return *r,
		    const struct bh_fl_settle *s, char *ra_iid, size_t len)
{
	const struct bh_host *h = e->h;
	struct bh_fl_erp_doc so;
	struct bh_status st;
	struct json_object *doc = NULL;
	struct ret_group *g = NULL;
	char what[256], err[512], key[160], val[32];
	char *out = NULL;
	size_t ng = 0;
	int rc, ret = BH_FL_STOP;
	const char *oname = r->order_name ? r->order_name : r->order_id;

	ra_iid[0] = '\0';
	memset(&so, 0, sizeof(so));
	if ((rc = cancel_guard(e, res, r)) != 0)
		return rc;
	rc = bh_fl_find_sales_order(e, r->order_id, &so, &st);
	if (rc == BH_ENOENT) {
		h->result_retry(res, e->missing_retry_ms, "return %s: the sales order of order %s "
				"(storefront id %s) is not in the ERP yet; waiting for it", r->id, oname,
				r->order_id);
		return BH_FL_STOP;
	}
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s: find the sales order of order %s", r->id, oname);
		bh_fl_fail(h, res, rc, &st, e->auth_retry_ms, what);
		return BH_FL_STOP;
	}
	g = calloc(r->n_lines, sizeof(*g));
	if (!g) {
		h->result_retry(res, 0, "return %s: out of memory", r->id);
		goto out;
	}
	if (over_return_check(e, res, r, &so, g, &ng) != 0)
		goto out;
	rc = bh_fl_ra_doc(r, s, &e->items, so.internal_id, NULL, &doc, err, sizeof(err));
	if (rc == BH_EINVAL) {
		h->result_reject(res, "%s", err);
		goto out;
	}
	if (rc != 0) {
		h->result_retry(res, 0, "return %s: out of memory building the RA", r->id);
		goto out;
	}
	if (h->dry_run(e->inst)) {
		snprintf(what, sizeof(what), "dry run: return %s (order %s): would create return "
			 "authorization", r->id, oname);
		bh_fl_log_doc(h, e->inst, what, doc);
		ret = BH_OK;
		goto out;
	}
	memset(&st, 0, sizeof(st));
	rc = e->erp->create_return_authorization(e->erp_ctx, json_object_to_json_string(doc), &out, &st);
	if (rc != 0) {
		snprintf(what, sizeof(what), "return %s (order %s): create return authorization "
			 BH_FL_XID_RA "%s", r->id, oname, r->id);
		bh_fl_fail(h, res, rc, &st, e->auth_retry_ms, what);
		goto out;
	}
	struct bh_fl_write w;
	if (bh_fl_write_parse(out, &w) != 0 || !w.internal_id[0]) {
		h->result_retry(res, 0, "return %s: create_return_authorization answered without an "
				"internal id", r->id);
		goto out;
	}
	snprintf(ra_iid, len, "%s", w.internal_id);
	h->log(e->inst, BH_LOG_INFO, "return %s (order %s): return authorization %s %s (internal id "
	       "%s)", r->id, oname, w.external_id, w.created ? "created" : "already existed",
	       w.internal_id);
	h->counter_add(e->inst, w.created ? "ra_created" : "ra_existing", 1);
	h->result_xref_put(res, BH_FL_XREF_RA, r->id, w.internal_id);
	/* the mark read again after the write: return-cancel may have found no RA and
	 * acknowledged the cancellation meanwhile (its re-check covers the other order) */
	char mark[32];
	if (bh_fl_cancelled(e, r->id, mark, sizeof(mark)) == 1 &&
	    !strcmp(mark, BH_FL_CANCELLED_CLOSE)) {
		snprintf(what, sizeof(what), "return %s (order %s, cancelled while its RA was "
			 "written): close RA %s", r->id, oname, w.internal_id);
		if (bh_fl_close_ra(e, res, w.internal_id, what) != 0)
			goto out;
		h->log(e->inst, BH_LOG_INFO, "return %s (order %s) was cancelled in the portal while "
		       "its RA %s was written: RA closed", r->id, oname, w.internal_id);
		h->counter_add(e->inst, "ra_closed_cancelled", 1);
		h->result_xref_put(res, BH_FL_XREF_RELEASED, r->id, "cancelled");
		ret = BH_FL_CANCELLED;
		goto out;
	}
	for (size_t j = 0; j < ng; j++) {
		snprintf(key, sizeof(key), "%s:%s", r->order_id, g[j].key);
		snprintf(val, sizeof(val), "%" PRId64, g[j].before + g[j].qty);
		h->result_xref_put(res, BH_FL_XREF_RETURNED, key, val);
	}
	ret = BH_OK;
out:
	free(out);
	free(g);
	json_object_put(doc);
	bh_fl_erp_doc_free(&so);
	return ret;
}
