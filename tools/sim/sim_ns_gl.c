/*
 * sim_ns_gl.c - the NetSuite simulator's general ledger: posting rules, the balance
 * assertion, the trial balance and the per-order chain report.
 *
 * Posting rules (shared/SCENARIOS.md, standard NetSuite behaviour):
 *   sales order, return authorization: no posting.
 *   cash sale / invoice: each line Cr the item's account (negative lines, e.g. a gift
 *     card tender, Dr it), line tax Cr Sales Tax Payable, shipping Cr the shipping item's
 *     account (Sales), body discount Dr the discount item's account (Sales); the net
 *     Dr Payment Clearing (cash sale; or the record's account) or Accounts Receivable.
 *   item fulfilment: inventory lines Dr COGS / Cr Inventory at item cost.
 *   item receipt: restocked inventory lines Dr Inventory / Cr COGS at item cost.
 *   cash refund / credit memo: each line Dr its return account (Sales Returns for
 *     goods, shipping and discounts whose account is income; otherwise the item's own
 *     account: Gift Card Liability, Restocking Fee Income, Return Incentive Expense...),
 *     negative lines Cr it; tax Dr Sales Tax Payable; the net Cr Payment Clearing (cash
 *     refund) or Accounts Receivable (credit memo).
 *   customer refund: Dr Accounts Receivable / Cr Payment Clearing.
 * Every transaction balances to the cent or it is refused (UNEXPECTED_ERROR).
 *
 * Ownership: NetSuite service helper. Threading: called with the store lock held.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "sim_ns_store.h"

struct gl_buf {
	struct bh_sim_ns_gl_line *v;
	size_t n, cap;
	bool nomem;
};

/* Post a signed amount (positive = debit) to an account. */
static void post(struct gl_buf *b, int64_t account, int64_t signed_cents, int64_t line,
		 const char *memo)
{
	if (!signed_cents)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct bh_sim_ns_gl_line *g = realloc(b->v, cap * sizeof(*g));
		if (!g) {
			b->nomem = true;
			return;
		}
		b->v = g;
		b->cap = cap;
	}
	struct bh_sim_ns_gl_line *g = &b->v[b->n++];
	g->account = account;
	g->debit = signed_cents > 0 ? signed_cents : 0;
	g->credit = signed_cents < 0 ? -signed_cents : 0;
	g->line = line;
	g->memo = memo;
}

static struct bh_sim_ns_rec *item_of(struct bh_sim_ns *ns, int64_t id)
{
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	return (r && bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM) ? r : NULL;
}

static int64_t sales_account(struct bh_sim_ns *ns, int64_t item)
{
	struct bh_sim_ns_rec *it = item_of(ns, item);
	return (it && it->income_account > 0) ? it->income_account : BH_SIM_NS_ACCT_SALES;
}

static int64_t return_account(struct bh_sim_ns *ns, int64_t item)
{
	struct bh_sim_ns_rec *it = item_of(ns, item);
	int64_t acct = sales_account(ns, item);
	if (!it)
		return BH_SIM_NS_ACCT_SALES_RETURNS;
	switch (it->kind) {
	case BH_SIM_NS_K_GIFTCARD:
	case BH_SIM_NS_K_FEE:
	case BH_SIM_NS_K_TAX:
		return acct;
	default: {
		const struct bh_sim_ns_account *a = bh_sim_ns_account_get(ns, acct);
		return (a && a->kind == BH_SIM_NS_A_INCOME) ? BH_SIM_NS_ACCT_SALES_RETURNS : acct;
	}
	}
}

int bh_sim_ns_gl_post(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	struct gl_buf b = {0};
	int64_t sum = 0;

	switch (r->type) {
	case BH_SIM_NS_T_CASH_SALE:
	case BH_SIM_NS_T_INVOICE: {
		for (size_t i = 0; i < r->n_lines; i++) {
			const struct bh_sim_ns_line *l = &r->lines[i];
			post(&b, sales_account(ns, l->item), -l->amount, l->line, "item");
			post(&b, BH_SIM_NS_ACCT_SALES_TAX, -l->tax, l->line, "tax");
		}
		post(&b, r->ship_method > 0 ? sales_account(ns, r->ship_method) : BH_SIM_NS_ACCT_SALES,
		     -r->shipping_cost, 0, "shipping");
		post(&b, r->discount_item > 0 ? sales_account(ns, r->discount_item)
					      : BH_SIM_NS_ACCT_SALES,
		     -r->discount_total, 0, "discount");
		int64_t net = r->type == BH_SIM_NS_T_INVOICE
				      ? BH_SIM_NS_ACCT_AR
				      : (r->account > 0 ? r->account : BH_SIM_NS_ACCT_PAYMENT_CLEARING);
		post(&b, net, r->total, 0, "net");
		break;
	}
	case BH_SIM_NS_T_CASH_REFUND:
	case BH_SIM_NS_T_CREDIT_MEMO: {
		for (size_t i = 0; i < r->n_lines; i++) {
			const struct bh_sim_ns_line *l = &r->lines[i];
			post(&b, return_account(ns, l->item), l->amount, l->line, "item");
			post(&b, BH_SIM_NS_ACCT_SALES_TAX, l->tax, l->line, "tax");
		}
		post(&b, r->ship_method > 0 ? return_account(ns, r->ship_method)
					    : BH_SIM_NS_ACCT_SALES_RETURNS,
		     r->shipping_cost, 0, "shipping");
		post(&b, r->discount_item > 0 ? return_account(ns, r->discount_item)
					      : BH_SIM_NS_ACCT_SALES_RETURNS,
		     r->discount_total, 0, "discount");
		int64_t net = r->type == BH_SIM_NS_T_CREDIT_MEMO
				      ? BH_SIM_NS_ACCT_AR
				      : (r->account > 0 ? r->account : BH_SIM_NS_ACCT_PAYMENT_CLEARING);
		post(&b, net, -r->total, 0, "net");
		break;
	}
	case BH_SIM_NS_T_ITEM_FULFILLMENT:
	case BH_SIM_NS_T_ITEM_RECEIPT: {
		int sign = r->type == BH_SIM_NS_T_ITEM_RECEIPT ? -1 : 1;
		for (size_t i = 0; i < r->n_lines; i++) {
			const struct bh_sim_ns_line *l = &r->lines[i];
			struct bh_sim_ns_rec *it = item_of(ns, l->item);
			if (!it || it->kind != BH_SIM_NS_K_INVENTORY)
				continue;
			if (sign < 0 && l->restock != 1)
				continue;
			int64_t cost = it->cost * l->quantity;
			post(&b, BH_SIM_NS_ACCT_COGS, sign * cost, l->line, "cost");
			post(&b, BH_SIM_NS_ACCT_INVENTORY, -sign * cost, l->line, "cost");
		}
		break;
	}
	case BH_SIM_NS_T_CUSTOMER_REFUND:
		post(&b, BH_SIM_NS_ACCT_AR, r->total, 0, "net");
		post(&b, r->account > 0 ? r->account : BH_SIM_NS_ACCT_PAYMENT_CLEARING, -r->total, 0,
		     "net");
		break;
	default:
		break;
	}
	if (b.nomem) {
		free(b.v);
		if (err) {
			err->code = "UNEXPECTED_ERROR";
			snprintf(err->message, sizeof(err->message), "An unexpected error occurred.");
			err->field[0] = 0;
		}
		return BH_ENOMEM;
	}
	for (size_t i = 0; i < b.n; i++)
		sum += b.v[i].debit - b.v[i].credit;
	if (sum != 0) {
		/* an internal inconsistency: never store an unbalanced posting */
		fprintf(stderr, "netsuite sim: unbalanced posting for %s (off by %lld cents)\n",
			bh_sim_ns_type_name(r->type), (long long)sum);
		free(b.v);
		if (err) {
			err->code = "UNEXPECTED_ERROR";
			snprintf(err->message, sizeof(err->message),
				 "An unexpected error occurred. Error ID: unbalanced-gl-%lld",
				 (long long)sum);
			err->field[0] = 0;
		}
		return BH_EINVAL;
	}
	free(r->gl);
	r->gl = b.v;
	r->n_gl = b.n;
	return BH_OK;
}

static struct json_object *money(int64_t c)
{
	char buf[32];
	return json_object_new_string(bh_sim_ns_money_fmt(c, buf, sizeof(buf)));
}

struct json_object *bh_sim_ns_gl_json(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < r->n_gl; i++) {
		const struct bh_sim_ns_gl_line *g = &r->gl[i];
		const struct bh_sim_ns_account *acct = bh_sim_ns_account_get(ns, g->account);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "account",
				       json_object_new_string(acct ? acct->name : "?"));
		json_object_object_add(o, "debit", money(g->debit));
		json_object_object_add(o, "credit", money(g->credit));
		json_object_object_add(o, "line", json_object_new_int64(g->line));
		json_object_object_add(o, "memo", json_object_new_string(g->memo ? g->memo : ""));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *bh_sim_ns_trial_balance_json(struct bh_sim_ns *ns)
{
	size_t na;
	const struct bh_sim_ns_account *accts = bh_sim_ns_accounts(ns, &na);
	int64_t *dr = calloc(na + 1, sizeof(int64_t)), *cr = calloc(na + 1, sizeof(int64_t));
	int64_t tdr = 0, tcr = 0;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	if (!dr || !cr || !o || !arr) {
		free(dr);
		free(cr);
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
		const struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
		for (size_t k = 0; k < r->n_gl; k++) {
			int64_t a = r->gl[k].account;
			if (a < 1 || (size_t)a > na)
				continue;
			dr[a] += r->gl[k].debit;
			cr[a] += r->gl[k].credit;
			tdr += r->gl[k].debit;
			tcr += r->gl[k].credit;
		}
	}
	for (size_t i = 0; i < na; i++) {
		struct json_object *e = json_object_new_object();
		int64_t id = accts[i].id;
		json_object_object_add(e, "id", json_object_new_int64(id));
		json_object_object_add(e, "name", json_object_new_string(accts[i].name));
		json_object_object_add(e, "kind",
				       json_object_new_string(bh_sim_ns_acct_kind_name(accts[i].kind)));
		json_object_object_add(e, "debit", money(dr[id]));
		json_object_object_add(e, "credit", money(cr[id]));
		json_object_object_add(e, "balance", money(dr[id] - cr[id]));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "accounts", arr);
	json_object_object_add(o, "total_debit", money(tdr));
	json_object_object_add(o, "total_credit", money(tcr));
	json_object_object_add(o, "balance", money(tdr - tcr));
	free(dr);
	free(cr);
	return o;
}

/* Collect the chain: BFS over children (createdFrom links and customer-refund applies),
 * plus sales orders that name the root (exchange orders: createdFrom or otherRefNum). */
static int chain_add(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == id)
			return 0;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		int64_t *g = realloc(*v, c * sizeof(*g));
		if (!g)
			return -1;
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = id;
	return 0;
}

/* Does text name the order (its internal id, externalId or tranId)? */
static bool names_order(const char *text, const struct bh_sim_ns_rec *so, const char *idtext)
{
	if (!text || !*text)
		return false;
	return !strcmp(text, idtext) || (so->tran_id && !strcmp(text, so->tran_id)) ||
	       (so->external_id && !strcmp(text, so->external_id));
}

struct json_object *bh_sim_ns_gl_chain_json(struct bh_sim_ns *ns, struct bh_sim_ns_rec *so)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct json_object *o = json_object_new_object(), *txs = json_object_new_array();
	struct json_object *net = json_object_new_object();
	size_t na;
	bh_sim_ns_accounts(ns, &na);
	int64_t *bal = calloc(na + 1, sizeof(int64_t));
	int64_t dr = 0, cr = 0;
	char buf[64];

	if (!o || !txs || !net || !bal || chain_add(&ids, &n, &cap, so->id))
		goto nomem;
	/* exchange orders created from the original (createdFrom) or naming it */
	for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
		if (r->type != BH_SIM_NS_T_SALES_ORDER || r->id == so->id)
			continue;
		const struct bh_sim_ns_cf *ex = bh_sim_ns_cf_get(r->cf, r->n_cf, BH_SIM_NS_EXCHANGE_FIELD);
		char idbuf[32];
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)so->id);
		if (r->created_from == so->id || names_order(r->other_ref_num, so, idbuf) ||
		    (ex && names_order(ex->value, so, idbuf)))
			if (chain_add(&ids, &n, &cap, r->id))
				goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, ids[i]);
		for (size_t c = 0; r && c < r->n_children; c++)
			if (chain_add(&ids, &n, &cap, r->children[c]))
				goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, ids[i]);
		struct json_object *t = json_object_new_object();
		if (!r || !t) {
			json_object_put(t);
			continue;
		}
		json_object_object_add(t, "id", json_object_new_int64(r->id));
		json_object_object_add(t, "type", json_object_new_string(bh_sim_ns_type_name(r->type)));
		json_object_object_add(t, "tran_id", json_object_new_string(r->tran_id ? r->tran_id : ""));
		json_object_object_add(t, "external_id",
				       r->external_id ? json_object_new_string(r->external_id) : NULL);
		json_object_object_add(t, "created_from", json_object_new_int64(r->created_from));
		json_object_object_add(t, "status",
				       json_object_new_string(bh_sim_ns_status_text(ns, r)));
		json_object_object_add(t, "total", money(r->total));
		json_object_object_add(t, "gl", bh_sim_ns_gl_json(ns, r));
		json_object_array_add(txs, t);
		for (size_t k = 0; k < r->n_gl; k++) {
			int64_t a = r->gl[k].account;
			if (a >= 1 && (size_t)a <= na)
				bal[a] += r->gl[k].debit - r->gl[k].credit;
			dr += r->gl[k].debit;
			cr += r->gl[k].credit;
		}
	}
	for (size_t a = 1; a <= na; a++) {
		const struct bh_sim_ns_account *acct = bh_sim_ns_account_get(ns, (int64_t)a);
		if (bal[a])
			json_object_object_add(net, acct->name,
					       json_object_new_string(bh_sim_ns_money_fmt(bal[a], buf,
											  sizeof(buf))));
	}
	json_object_object_add(o, "sales_order", json_object_new_int64(so->id));
	json_object_object_add(o, "transactions", txs);
	json_object_object_add(o, "net", net);
	json_object_object_add(o, "total_debit", money(dr));
	json_object_object_add(o, "total_credit", money(cr));
	json_object_object_add(o, "balanced", json_object_new_boolean(dr == cr));
	free(ids);
	free(bal);
	return o;
nomem:
	free(ids);
	free(bal);
	json_object_put(o);
	json_object_put(txs);
	json_object_put(net);
	return NULL;
}
