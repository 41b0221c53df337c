/*
 * cli_demo_day.c - the day `backhaul demo` plays through the simulators' control APIs:
 * the store's catalogue and ~200 orders (one with a SKU NetSuite does not know),
 * NetSuite billing and fulfilling each sales order the engine writes (as NetSuite's own
 * processes would), ~40 Loop returns across every outcome, the warehouse (labels,
 * processing in Loop, one receipt made in NetSuite) and the operator (a cancellation,
 * a review flag). It waits for each return's end state by polling with a deadline.
 *
 * Ownership: fills struct bh_demo (cli_demo.h). Threading: the command's main thread.
 */
#include "cli_demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The day's mix of returns, in the order they are opened (40 per cycle): R refund, P
 * partial, C credit + bonus, E exchange, G gift card, S split tender, F handling fee,
 * N received in NetSuite first, X cancelled in Loop, L review flag. */
static const char plan[] = "RPCEGSFNRXRPCEFRSNGLRPECFRSNGERPCEFRRPRR";

static enum bh_demo_kind kind_of(char c)
{
	switch (c) {
	case 'P': return BH_DEMO_PARTIAL;
	case 'C': return BH_DEMO_CREDIT;
	case 'E': return BH_DEMO_EXCHANGE;
	case 'G': return BH_DEMO_GIFT_CARD;
	case 'S': return BH_DEMO_SPLIT;
	case 'F': return BH_DEMO_FEE;
	case 'N': return BH_DEMO_NS_FIRST;
	case 'X': return BH_DEMO_CANCEL;
	case 'L': return BH_DEMO_FLAG;
	default: return BH_DEMO_REFUND;
	}
}

/* ------------------------------------------------------------------ set-up */

static int subscribe(struct bh_demo *d)
{
	static const char *const shp[] = {"orders/create", "orders/updated", "orders/cancelled",
					  "refunds/create", NULL};
	static const char *const loop[] = {"return.created", "return.updated", "return.closed",
					   NULL};
	char body[300];
	for (int i = 0; shp[i]; i++) {
		snprintf(body, sizeof(body),
			 "{\"topic\":\"%s\",\"address\":\"http://127.0.0.1:%d/webhooks/shopify\"}",
			 shp[i], d->http_port);
		if (bh_demo_ctl(d, "POST", "/control/shopify/webhooks", body, NULL) != 201)
			return -1;
	}
	for (int i = 0; loop[i]; i++) {
		snprintf(body, sizeof(body),
			 "{\"topic\":\"return\",\"trigger\":\"%s\","
			 "\"url\":\"http://127.0.0.1:%d/webhooks/loop\"}",
			 loop[i], d->http_port);
		if (bh_demo_ctl(d, "POST", "/control/loop/webhooks", body, NULL) / 100 != 2)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ NetSuite's side */

struct billed {
	int64_t *ids;
	size_t n, cap;
};

static bool was_billed(const struct billed *b, int64_t id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->ids[i] == id)
			return true;
	return false;
}

/* Bill and fulfil every sales order the engine wrote since the last pass (most as cash
 * sales, every seventh by invoice). Returns how many sales orders exist. */
static int bill_new(struct bh_demo *d, struct billed *b)
{
	json_object *r = NULL;
	int n = 0;
	if (bh_demo_ctl(d, "GET", "/control/netsuite/records?type=salesOrder", NULL, &r) != 200) {
		json_object_put(r);
		return -1;
	}
	json_object *recs = bh_sc_get(r, "records");
	n = recs ? (int)json_object_array_length(recs) : 0;
	for (int i = 0; i < n; i++) {
		int64_t id = bh_sc_int(json_object_array_get_idx(recs, i), "internal_id", 0);
		char body[128];
		if (!id || was_billed(b, id))
			continue;
		bool invoice = b->n % 7 == 6;
		snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 ",\"as\":\"%s\"}", id,
			 invoice ? "invoice" : "cash_sale");
		if (bh_demo_ctl(d, "POST", "/control/netsuite/bill", body, NULL) != 200)
			continue;
		snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 "}", id);
		bh_demo_ctl(d, "POST", "/control/netsuite/fulfill", body, NULL);
		if (b->n == b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 256;
			int64_t *g = realloc(b->ids, cap * sizeof(*g));
			if (!g)
				break;
			b->ids = g;
			b->cap = cap;
		}
		b->ids[b->n++] = id;
		if (invoice)
			d->invoices++;
	}
	json_object_put(r);
	return n;
}

/* ------------------------------------------------------------------ returns */

static bool pays_with(json_object *order, const char *gateway)
{
	json_object *tx = bh_sc_get(order, "transactions");
	json_object *names = bh_sc_get(order, "payment_gateway_names");
	for (size_t i = 0; names && i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), gateway) == 0)
			return true;
	for (size_t i = 0; tx && i < json_object_array_length(tx); i++) {
		const char *g = bh_sc_str(json_object_array_get_idx(tx, i), "gateway");
		if (g && strcmp(g, gateway) == 0)
			return true;
	}
	return false;
}

/* Does order suit kind k? (split tender needs a gift card and a card; a partial return
 * a line of 2 or more; the others an order paid by card alone) */
static bool fits(json_object *order, enum bh_demo_kind k)
{
	bool gc = pays_with(order, "gift_card"), card = pays_with(order, "shopify_payments");
	json_object *l0 = bh_sc_get(order, "line_items.0");
	if (!l0)
		return false;
	if (k == BH_DEMO_SPLIT)
		return gc && card;
	if (k == BH_DEMO_PARTIAL)
		return !gc && bh_sc_int(l0, "quantity", 0) >= 2;
	return !gc && card;
}

static int open_return(struct bh_demo *d, json_object *order, struct bh_demo_return *r)
{
	json_object *l0 = bh_sc_get(order, "line_items.0"), *ans = NULL;
	const char *outcome = "refund";
	char extra[200] = "";
	int64_t qty = bh_sc_int(l0, "quantity", 1);
	switch (r->kind) {
	case BH_DEMO_PARTIAL:
		qty = 1;
		break;
	case BH_DEMO_CREDIT:
		outcome = "credit";
		snprintf(extra, sizeof(extra), ",\"bonus\":\"5.00\"");
		break;
	case BH_DEMO_EXCHANGE:
		outcome = "exchange";
		qty = 1;
		snprintf(extra, sizeof(extra), ",\"exchange\":[{\"sku\":\"%s\",\"price\":\"%s\"}]",
			 bh_sc_str(l0, "sku"), bh_sc_str(l0, "price"));
		break;
	case BH_DEMO_GIFT_CARD:
		outcome = "gift_card";
		break;
	case BH_DEMO_FEE:
		snprintf(extra, sizeof(extra), ",\"handling_fee\":\"3.00\"");
		break;
	default:
		break;
	}
	char body[700];
	snprintf(body, sizeof(body),
		 "{\"shopify_order_id\":\"%s\",\"outcome\":\"%s\",\"lines\":[{\"line_item_id\":"
		 "\"%" PRId64 "\",\"quantity\":%" PRId64 ",\"reason\":\"Too small\"}]%s}",
		 r->order_id, outcome, bh_sc_int(l0, "id", 0), qty, extra);
	long code = bh_demo_ctl(d, "POST", "/control/loop/returns", body, &ans);
	if (code == 200 && bh_sc_str(ans, "id"))
		snprintf(r->rid, sizeof(r->rid), "%s", bh_sc_str(ans, "id"));
	else
		fprintf(stderr, "   Loop refused a return on %s: %s\n", r->order_name,
			ans ? json_object_to_json_string(ans) : "");
	json_object_put(ans);
	return r->rid[0] ? 0 : -1;
}

static json_object *ns_record(struct bh_demo *d, const char *type, const char *eid)
{
	char path[300];
	json_object *r = NULL, *one = NULL;
	snprintf(path, sizeof(path), "/control/netsuite/records?type=%s&externalId=%s", type, eid);
	if (bh_demo_ctl(d, "GET", path, NULL, &r) == 200 && bh_sc_get(r, "records.0"))
		one = json_object_get(bh_sc_get(r, "records.0"));
	json_object_put(r);
	return one;
}

static const char *loop_state(struct bh_demo *d, const char *rid, char buf[32])
{
	char path[128];
	json_object *r = NULL;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/control/loop/returns/%s", rid);
	if (bh_demo_ctl(d, "GET", path, NULL, &r) == 200 && bh_sc_str(r, "state"))
		snprintf(buf, 32, "%s", bh_sc_str(r, "state"));
	json_object_put(r);
	return buf;
}

static bool has_refund(struct bh_demo *d, const char *rid)
{
	char eid[64];
	json_object *x;
	snprintf(eid, sizeof(eid), "loop-cr-%s", rid);
	if ((x = ns_record(d, "cashRefund", eid)) != NULL) {
		json_object_put(x);
		return true;
	}
	snprintf(eid, sizeof(eid), "loop-cm-%s", rid);
	if ((x = ns_record(d, "creditMemo", eid)) != NULL) {
		json_object_put(x);
		return true;
	}
	return false;
}

/* Has return r reached the end of its story? */
static bool at_end(struct bh_demo *d, struct bh_demo_return *r)
{
	char st[32], eid[64];
	if (r->done)
		return true;
	switch (r->kind) {
	case BH_DEMO_CANCEL: {
		snprintf(eid, sizeof(eid), "loop-ra-%s", r->rid);
		json_object *ra = ns_record(d, "returnAuthorization", eid);
		const char *s = bh_sc_str(ra, "status");
		r->done = s && strcmp(s, "Closed") == 0;
		json_object_put(ra);
		break;
	}
	case BH_DEMO_FLAG:
		r->done = strcmp(loop_state(d, r->rid, st), "review") == 0;
		break;
	default:
		r->done = has_refund(d, r->rid) && strcmp(loop_state(d, r->rid, st), "closed") == 0;
		break;
	}
	return r->done;
}

/* POST {} to /control/loop/returns/<rid>/<action> */
static long loop_action(struct bh_demo *d, const char *rid, const char *action)
{
	char path[200];
	snprintf(path, sizeof(path), "/control/loop/returns/%s/%s", rid, action);
	return bh_demo_ctl(d, "POST", path, "{}", NULL);
}

/* ------------------------------------------------------------------ the day */

int bh_demo_play_day(struct bh_demo *d)
{
	struct billed b = {NULL, 0, 0};
	json_object *r = NULL;
	char body[600];
	int rc = -1, n_so = 0;

	if (subscribe(d) != 0) {
		fprintf(stderr, "   cannot subscribe the simulated webhooks\n");
		return -1;
	}
	/* the store: catalogue in NetSuite and the day's orders in Shopify */
	printf("== 08:00 the store opens: %d orders arrive in Shopify (webhooks to the engine)\n",
	       d->n_orders);
	snprintf(body, sizeof(body), "{\"seed\":42,\"orders\":%d}", d->n_orders);
	if (bh_demo_ctl(d, "POST", "/control/seed", body, &r) != 200) {
		fprintf(stderr, "   seeding refused: %s\n", r ? json_object_to_json_string(r) : "");
		json_object_put(r);
		return -1;
	}
	json_object_put(r);
	/* the item a store-credit bonus is charged to (Return Incentive Expense) */
	bh_demo_ctl(d, "POST", "/control/netsuite/items",
		    "{\"items\":[{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus credit\","
		    "\"type\":\"noninventory\",\"account\":\"Return Incentive Expense\"}]}",
		    NULL);
	/* one order with a scarf nobody created in NetSuite */
	r = NULL;
	if (bh_demo_ctl(d, "POST", "/control/shopify/orders",
			"{\"order\":{\"email\":\"late.scarf@example.com\",\"customer\":{\"id\":"
			"6800999000001,\"email\":\"late.scarf@example.com\",\"first_name\":\"Lena\","
			"\"last_name\":\"Scarf\"},\"line_items\":[{\"sku\":\"SCARF-RED\",\"title\":"
			"\"Wool Scarf - Red\",\"quantity\":1,\"price\":\"30.00\",\"tax_lines\":[{"
			"\"title\":\"Sales Tax\",\"rate\":0.08,\"price\":\"2.40\"}]}]}}",
			&r) == 201) {
		snprintf(d->unknown_order, sizeof(d->unknown_order), "%" PRId64,
			 bh_sc_int(r, "ids.0", 0));
		snprintf(d->unknown_name, sizeof(d->unknown_name), "%s",
			 bh_sc_str(r, "names.0") ? bh_sc_str(r, "names.0") : "?");
	}
	json_object_put(r);

	/* NetSuite bills and fulfils what the engine writes */
	int64_t dl = bh_sc_now_ms() + 60000;
	while ((n_so = bill_new(d, &b)) < d->n_orders && bh_sc_now_ms() < dl)
		bh_sc_nap(200);
	d->orders_synced = n_so;
	printf("   %d sales orders written to NetSuite in %.1f s; NetSuite billed %zu (%d by "
	       "invoice) and fulfilled them\n",
	       n_so, (double)(bh_sc_now_ms() - d->t0) / 1000.0, b.n, d->invoices);
	if (n_so < d->n_orders)
		goto out;

	/* the returns */
	printf("== 11:00 shoppers open %d returns in Loop\n", d->n_returns);
	r = NULL;
	snprintf(body, sizeof(body), "/control/shopify/orders?limit=%d", d->n_orders + 10);
	if (bh_demo_ctl(d, "GET", body, NULL, &r) != 200)
		goto out;
	json_object *orders = bh_sc_get(r, "orders");
	size_t no = orders ? json_object_array_length(orders) : 0;
	bool *used = calloc(no ? no : 1, sizeof(bool));
	for (int i = 0; used && i < d->n_returns; i++) {
		enum bh_demo_kind k = kind_of(plan[i % (int)(sizeof(plan) - 1)]);
		for (size_t j = 0; j < no; j++) {
			json_object *o = json_object_array_get_idx(orders, j);
			char id[32];
			snprintf(id, sizeof(id), "%" PRId64, bh_sc_int(o, "id", 0));
			if (used[j] || strcmp(id, d->unknown_order) == 0 || !fits(o, k))
				continue;
			used[j] = true;
			struct bh_demo_return *x = &d->ret[d->n_ret];
			memset(x, 0, sizeof(*x));
			x->kind = k;
			snprintf(x->order_id, sizeof(x->order_id), "%s", id);
			snprintf(x->order_name, sizeof(x->order_name), "%s",
				 bh_sc_str(o, "name") ? bh_sc_str(o, "name") : "?");
			if (open_return(d, o, x) == 0)
				d->n_ret++;
			break;
		}
	}
	free(used);
	json_object_put(r);

	/* every RA lands */
	dl = bh_sc_now_ms() + 30000;
	for (int i = 0; i < d->n_ret && bh_sc_now_ms() < dl;) {
		char eid[64];
		snprintf(eid, sizeof(eid), "loop-ra-%s", d->ret[i].rid);
		json_object *ra = ns_record(d, "returnAuthorization", eid);
		if (ra) {
			d->ret[i].ra_id = bh_sc_int(ra, "internal_id", 0);
			json_object_put(ra);
			i++;
		} else {
			bh_sc_nap(50);
		}
	}
	int with_ra = 0;
	for (int i = 0; i < d->n_ret; i++)
		with_ra += d->ret[i].ra_id != 0;
	printf("   %d returns, %d return authorizations in NetSuite (%.1f s)\n", d->n_ret, with_ra,
	       (double)(bh_sc_now_ms() - d->t0) / 1000.0);

	/* 14:00 the warehouse and the operators */
	printf("== 14:00 parcels arrive: Loop processes them; one warehouse receives in NetSuite;\n"
	       "   one shopper cancels; one RA is flagged for review in NetSuite\n");
	for (int i = 0; i < d->n_ret; i++) {
		struct bh_demo_return *x = &d->ret[i];
		char ra[32];
		snprintf(ra, sizeof(ra), "%" PRId64, x->ra_id);
		switch (x->kind) {
		case BH_DEMO_CANCEL:
			loop_action(d, x->rid, "cancel");
			break;
		case BH_DEMO_FLAG:
			snprintf(body, sizeof(body), "/control/netsuite/ra/%s/flag", ra);
			bh_demo_ctl(d, "POST", body, "{\"value\":true}", NULL);
			break;
		case BH_DEMO_NS_FIRST:
			loop_action(d, x->rid, "label_shipped");
			snprintf(body, sizeof(body), "/control/netsuite/ra/%s/receive", ra);
			bh_demo_ctl(d, "POST", body, "{\"restock\":true}", NULL);
			break;
		default:
			loop_action(d, x->rid, "label_shipped");
			loop_action(d, x->rid, "process");
			break;
		}
	}
	/* NetSuite's changes reach the engine by its poll: ask for one now, and again
	 * until every story has ended */
	bh_demo_sync(d, "netsuite");
	dl = bh_sc_now_ms() + 45000;
	int64_t next_sync = bh_sc_now_ms() + 2000;
	for (;;) {
		int done = 0;
		bill_new(d, &b); /* exchange orders */
		for (int i = 0; i < d->n_ret; i++)
			done += at_end(d, &d->ret[i]);
		if (done == d->n_ret || bh_sc_now_ms() > dl)
			break;
		if (bh_sc_now_ms() > next_sync) {
			bh_demo_sync(d, "netsuite");
			next_sync = bh_sc_now_ms() + 2000;
		}
		bh_sc_nap(100);
	}
	bill_new(d, &b);
	bh_demo_settle(d, 20000);
	int done = 0;
	for (int i = 0; i < d->n_ret; i++)
		done += d->ret[i].done;
	printf("   %d of %d returns reached their end (%.1f s)\n", done, d->n_ret,
	       (double)(bh_sc_now_ms() - d->t0) / 1000.0);
	rc = 0;
out:
	free(b.ids);
	return rc;
}

int bh_demo_operator_fix(struct bh_demo *d, const char *dead_id)
{
	char cmd[1600], eid[64];
	printf("\n== the operator's fix: create the item in NetSuite, then replay\n");
	bh_demo_ctl(d, "POST", "/control/netsuite/items",
		    "{\"items\":[{\"sku\":\"SCARF-RED\",\"name\":\"Wool Scarf - Red\","
		    "\"type\":\"inventory\",\"cost\":\"11.00\",\"price\":\"30.00\",\"tax_rate\":\"8%\"}]}",
		    NULL);
	printf("   item SCARF-RED created in NetSuite\n");
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' dead replay '%s'", d->exe, d->conf_dir, dead_id);
	printf("   $ backhaul -c %s dead replay %s\n", d->conf_dir, dead_id);
	fflush(stdout);
	int rc = system(cmd);
	snprintf(eid, sizeof(eid), "shopify-order-%s", d->unknown_order);
	json_object *so = NULL;
	for (int64_t dl = bh_sc_now_ms() + 20000; bh_sc_now_ms() < dl; bh_sc_nap(100))
		if ((so = ns_record(d, "salesOrder", eid)) != NULL)
			break;
	if (so)
		printf("   order %s is now sales order %s in NetSuite (total %s)\n", d->unknown_name,
		       bh_sc_str(so, "tran_id") ? bh_sc_str(so, "tran_id") : "?",
		       bh_sc_str(so, "total") ? bh_sc_str(so, "total") : "?");
	else
		printf("   order %s did not reach NetSuite after the replay (see the log)\n",
		       d->unknown_name);
	json_object_put(so);
	return rc == 0 && so ? 0 : -1;
}
