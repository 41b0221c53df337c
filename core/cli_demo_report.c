/*
 * cli_demo_report.c - what `backhaul demo` prints at the end of the day: per scenario
 * the NetSuite transactions each return produced (read from the NetSuite simulator),
 * the general-ledger effect of every return, the day's trial balance, and the dead
 * letters (read from the engine's outbox) with their reasons and the exact command that
 * replays each.
 *
 * Ownership: reads struct bh_demo; prints to stdout. Threading: the command's main
 * thread.
 */
#include "cli_demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"

const char *bh_demo_kind_name(enum bh_demo_kind k)
{
	static const char *const names[BH_DEMO_KINDS] = {
		"S1  refund to the original payment",
		"S2  partial return (1 unit of a line)",
		"S3  store credit with a 5.00 bonus",
		"S4  exchange (Loop's exchange order becomes a sales order)",
		"S5  refund to a gift card",
		"S6  split tender (gift card + card)",
		"S7  handling fee 3.00 kept",
		"S8  cancelled in Loop before receipt: RA closed",
		"S10 flagged for review in NetSuite: Loop return in review",
		"S11 received in NetSuite first: Loop processed by the receipt",
	};
	return k < BH_DEMO_KINDS ? names[k] : "?";
}

static json_object *records(struct bh_demo *d, const char *query)
{
	char path[400];
	json_object *r = NULL, *recs = NULL;
	snprintf(path, sizeof(path), "/control/netsuite/records?%s", query);
	if (bh_demo_ctl(d, "GET", path, NULL, &r) == 200)
		recs = json_object_get(bh_sc_get(r, "records"));
	json_object_put(r);
	return recs;
}

static const char *short_type(const char *t)
{
	if (!t)
		return "?";
	if (!strcmp(t, "itemReceipt"))
		return "receipt";
	if (!strcmp(t, "cashRefund"))
		return "cash refund";
	if (!strcmp(t, "creditMemo"))
		return "credit memo";
	if (!strcmp(t, "customerRefund"))
		return "customer refund";
	return t;
}

/* One line per return: its RA and everything created from it. */
static void print_chain(struct bh_demo *d, const struct bh_demo_return *x)
{
	char q[200];
	json_object *ra;
	snprintf(q, sizeof(q), "type=returnAuthorization&externalId=loop-ra-%s", x->rid);
	ra = records(d, q);
	json_object *r0 = bh_sc_get(ra, "0");
	printf("   return %-8s %-8s ", x->rid, x->order_name);
	if (!r0) {
		printf("no RA\n");
		json_object_put(ra);
		return;
	}
	printf("RA %s %s [%s]", bh_sc_str(r0, "tran_id") ? bh_sc_str(r0, "tran_id") : "?",
	       bh_sc_str(r0, "total") ? bh_sc_str(r0, "total") : "?",
	       bh_sc_str(r0, "status") ? bh_sc_str(r0, "status") : "?");
	snprintf(q, sizeof(q), "createdFrom=%" PRId64, bh_sc_int(r0, "internal_id", 0));
	json_object *kids = records(d, q);
	for (size_t i = 0; kids && i < json_object_array_length(kids); i++) {
		json_object *k = json_object_array_get_idx(kids, i);
		const char *eid = bh_sc_str(k, "external_id");
		printf(" -> %s %s", short_type(bh_sc_str(k, "type")),
		       bh_sc_str(k, "tran_id") ? bh_sc_str(k, "tran_id") : "?");
		if (strcmp(bh_sc_str(k, "type") ? bh_sc_str(k, "type") : "", "itemReceipt") != 0)
			printf(" %s", bh_sc_str(k, "total") ? bh_sc_str(k, "total") : "?");
		if (!eid)
			printf(" (made in NetSuite)");
		/* a credit memo's customer refund */
		char q2[200];
		snprintf(q2, sizeof(q2), "createdFrom=%" PRId64, bh_sc_int(k, "internal_id", 0));
		json_object *gk = records(d, q2);
		for (size_t j = 0; gk && j < json_object_array_length(gk); j++) {
			json_object *g = json_object_array_get_idx(gk, j);
			printf(" -> %s %s %s", short_type(bh_sc_str(g, "type")),
			       bh_sc_str(g, "tran_id") ? bh_sc_str(g, "tran_id") : "?",
			       bh_sc_str(g, "total") ? bh_sc_str(g, "total") : "?");
		}
		json_object_put(gk);
	}
	json_object_put(kids);
	if (x->kind == BH_DEMO_EXCHANGE) {
		char path[128];
		json_object *lr = NULL;
		snprintf(path, sizeof(path), "/control/loop/returns/%s", x->rid);
		if (bh_demo_ctl(d, "GET", path, NULL, &lr) == 200 && bh_sc_str(lr, "exchange_order_name"))
			printf("; exchange order %s", bh_sc_str(lr, "exchange_order_name"));
		json_object_put(lr);
	}
	if (x->kind == BH_DEMO_CANCEL || x->kind == BH_DEMO_FLAG) {
		char path[128];
		json_object *lr = NULL;
		snprintf(path, sizeof(path), "/control/loop/returns/%s", x->rid);
		if (bh_demo_ctl(d, "GET", path, NULL, &lr) == 200 && bh_sc_str(lr, "state"))
			printf("; Loop: %s", bh_sc_str(lr, "state"));
		json_object_put(lr);
	}
	if (!x->done)
		printf("  (NOT at its end state)");
	printf("\n");
	json_object_put(ra);
}

/* The net GL effect of the RA and everything created from it, transitively. */
static void print_ledger(struct bh_demo *d, const struct bh_demo_return *x)
{
	char path[200];
	json_object *gl = NULL;
	snprintf(path, sizeof(path), "/control/netsuite/gl/order?shopify_order_id=%s", x->order_id);
	if (!x->ra_id || bh_demo_ctl(d, "GET", path, NULL, &gl) != 200) {
		json_object_put(gl);
		return;
	}
	json_object *txns = bh_sc_get(gl, "transactions");
	size_t nt = txns ? json_object_array_length(txns) : 0;
	int64_t set[64];
	size_t ns = 0;
	set[ns++] = x->ra_id;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < nt && ns < 64; i++) {
			json_object *t = json_object_array_get_idx(txns, i);
			int64_t id = bh_sc_int(t, "id", 0), from = bh_sc_int(t, "created_from", 0);
			bool has_id = false, has_from = false;
			for (size_t k = 0; k < ns; k++) {
				has_id |= set[k] == id;
				has_from |= set[k] == from;
			}
			if (!has_id && has_from) {
				set[ns++] = id;
				grew = true;
			}
		}
	}
	struct {
		char name[48];
		int64_t net;
	} acc[24];
	size_t na = 0;
	int64_t dr = 0, cr = 0;
	for (size_t i = 0; i < nt; i++) {
		json_object *t = json_object_array_get_idx(txns, i);
		bool in = false;
		for (size_t k = 0; k < ns; k++)
			in |= set[k] == bh_sc_int(t, "id", 0);
		json_object *lines = in ? bh_sc_get(t, "gl") : NULL;
		for (size_t k = 0; lines && k < json_object_array_length(lines); k++) {
			json_object *l = json_object_array_get_idx(lines, k);
			const char *name = bh_sc_str(l, "account");
			int64_t de = bh_sc_cents(bh_sc_str(l, "debit"));
			int64_t ce = bh_sc_cents(bh_sc_str(l, "credit"));
			if (!name || de == INT64_MIN || ce == INT64_MIN)
				continue;
			dr += de;
			cr += ce;
			size_t a = 0;
			while (a < na && strcmp(acc[a].name, name) != 0)
				a++;
			if (a == na && na < 24) {
				snprintf(acc[na].name, sizeof(acc[na].name), "%s", name);
				acc[na++].net = 0;
			}
			if (a < na)
				acc[a].net += de - ce;
		}
	}
	printf("   %-8s", x->order_name);
	bool any = false;
	for (size_t a = 0; a < na; a++) {
		char m[32];
		if (!acc[a].net)
			continue;
		bh_sc_fmt_cents(acc[a].net < 0 ? -acc[a].net : acc[a].net, m, sizeof(m));
		printf("%s %s %s %s", any ? "," : "", acc[a].net > 0 ? "Dr" : "Cr", acc[a].name, m);
		any = true;
	}
	if (!any)
		printf(" no posting");
	printf("%s\n", dr == cr ? "" : "  (UNBALANCED)");
	json_object_put(gl);
}

struct dead_ctx {
	struct bh_demo *d;
	int n;
	char *unknown_id;
};

static int dead_cb(void *arg, const struct bh_dead_info *x)
{
	struct dead_ctx *c = arg;
	c->n++;
	printf("   %s  %s  attempts %d\n     reason: %s\n", x->id, x->key ? x->key : "", x->attempts,
	       x->error ? x->error : "");
	printf("     replay: backhaul -c %s dead replay %s\n", c->d->conf_dir, x->id);
	if (c->unknown_id && !c->unknown_id[0] && x->error && strstr(x->error, "SCARF-RED"))
		snprintf(c->unknown_id, 96, "%s", x->id);
	return 0;
}

void bh_demo_report(struct bh_demo *d, char dead_id[96])
{
	json_object *r = NULL;
	dead_id[0] = '\0';
	printf("\n================================ REPORT ================================\n");
	json_object *sos = records(d, "type=salesOrder"), *ras = records(d, "type=returnAuthorization");
	json_object *irs = records(d, "type=itemReceipt"), *crs = records(d, "type=cashRefund");
	json_object *cms = records(d, "type=creditMemo"), *cus = records(d, "type=customerRefund");
#define N(x) ((x) ? (int)json_object_array_length(x) : 0)
	printf("The day: %d orders in Shopify (one with a SKU NetSuite does not know), %d returns "
	       "in Loop.\n"
	       "NetSuite now holds %d sales orders (%d orders of the day and %d exchange orders "
	       "Loop created),\n"
	       "%d return authorizations, %d item receipts, %d cash refunds, %d credit memos and "
	       "%d customer refunds.\n",
	       d->n_orders + 1, d->n_ret, N(sos), d->orders_synced, N(sos) - d->orders_synced, N(ras),
	       N(irs), N(crs), N(cms), N(cus));
#undef N
	json_object_put(sos);
	json_object_put(ras);
	json_object_put(irs);
	json_object_put(crs);
	json_object_put(cms);
	json_object_put(cus);

	printf("\n-- per scenario: what each return wrote to NetSuite\n");
	for (int k = 0; k < BH_DEMO_KINDS; k++) {
		int n = 0;
		for (int i = 0; i < d->n_ret; i++)
			n += d->ret[i].kind == (enum bh_demo_kind)k;
		if (!n)
			continue;
		printf("%s: %d return%s\n", bh_demo_kind_name((enum bh_demo_kind)k), n, n == 1 ? "" : "s");
		for (int i = 0; i < d->n_ret; i++)
			if (d->ret[i].kind == (enum bh_demo_kind)k)
				print_chain(d, &d->ret[i]);
	}

	printf("\n-- the general ledger of each return: net postings of its RA and everything "
	       "created from it\n   (Dr debit, Cr credit; every return balances to the cent)\n");
	for (int k = 0; k < BH_DEMO_KINDS; k++)
		for (int i = 0; i < d->n_ret; i++)
			if (d->ret[i].kind == (enum bh_demo_kind)k)
				print_ledger(d, &d->ret[i]);

	printf("\n-- trial balance of the day (every posting in the simulated account)\n");
	if (bh_demo_ctl(d, "GET", "/control/netsuite/gl/trial_balance", NULL, &r) == 200) {
		json_object *a = bh_sc_get(r, "accounts");
		int64_t dr = 0, cr = 0;
		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, i);
			dr += bh_sc_cents(bh_sc_str(x, "debit"));
			cr += bh_sc_cents(bh_sc_str(x, "credit"));
			if (bh_sc_cents(bh_sc_str(x, "balance")) == 0)
				continue;
			printf("   %-26s %12s\n", bh_sc_str(x, "name") ? bh_sc_str(x, "name") : "?",
			       bh_sc_str(x, "balance") ? bh_sc_str(x, "balance") : "?");
		}
		char a1[32], a2[32];
		bh_sc_fmt_cents(dr, a1, sizeof(a1));
		bh_sc_fmt_cents(cr, a2, sizeof(a2));
		printf("   debits %s = credits %s%s\n", a1, a2, dr == cr ? "" : "  (UNBALANCED)");
	}
	json_object_put(r);

	printf("\n-- dead letters (records a flow gave up on), with the command that replays each\n");
	struct bh_cli_globals g = {.conf_dir = d->conf_dir, .state_dir = NULL};
	struct bh_outbox *ob = NULL;
	struct dead_ctx c = {d, 0, dead_id};
	if (bh_cli_open_outbox(&g, &ob) == 0) {
		bh_outbox_dead_foreach(ob, dead_cb, &c);
		bh_outbox_close(ob);
	}
	if (!c.n)
		printf("   none\n");
}
