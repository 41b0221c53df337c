/*
 * receipt_to_loop_sim.c - S11 end to end against backhaul-sim with the real loop and
 * netsuite-soap plugins:
 *   - receipt first in NetSuite: the warehouse receives on the RA; the netsuite source
 *     reports the receipt and the Loop return is processed (closed); no second receipt;
 *   - processed in Loop first: the item receipt Backhaul writes (loop-ir-<rid>) comes
 *     back through the feed and is not sent to Loop again;
 *   - a warehouse receipt on a return already processed in Loop changes nothing.
 */
#include "report_sim.h"

struct st_arg {
	struct lcs *s;
	const char *rid, *want;
};

static bool loop_state(void *a)
{
	struct st_arg *x = a;
	char path[128], st[64];
	snprintf(path, sizeof(path), "/control/loop/returns/%s", x->rid);
	return lcs_get(x->s, path, "state", st, sizeof(st)) && strcmp(st, x->want) == 0;
}

struct cnt_arg {
	struct bh_test_engine *te;
	const char *inst, *what;
	long long min;
};

static bool count_at_least(void *a)
{
	struct cnt_arg *c = a;
	return lcs_count(c->te, c->inst, c->what) >= c->min;
}

static int receipts_on(struct lcs *s, const char *ra_iid)
{
	char path[160], *resp = NULL;
	int n = 0;
	snprintf(path, sizeof(path), "/control/netsuite/records?type=itemReceipt&createdFrom=%s",
		 ra_iid);
	if (bh_test_ctl(&s->sim, "GET", path, NULL, &resp) == 200 && resp) {
		json_object *o = json_tokener_parse(resp), *r;
		if (o && json_object_object_get_ex(o, "records", &r))
			n = (int)json_object_array_length(r);
		json_object_put(o);
	}
	free(resp);
	return n;
}

/* Backhaul's own receipt, through the engine's netsuite endpoint. */
static bool own_receipt(struct bh_test_engine *te, const char *rid, const char *sku)
{
	void *ctx = NULL;
	const struct bh_erp_ops *ops = bh_test_cap(te, "netsuite", BH_CAP_ERP, &ctx);
	char doc[512], *out = NULL;
	struct bh_status st;
	if (!ops)
		return false;
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ir-%s\",\"ra\":{\"external_id\":\"loop-ra-%s\"},"
		 "\"lines\":[{\"sku\":\"%s\",\"quantity\":1,\"restock\":true}]}", rid, rid, sku);
	memset(&st, 0, sizeof(st));
	int rc = ops->create_item_receipt(ctx, doc, &out, &st);
	if (rc != 0)
		diag("create_item_receipt: %d %s %s", rc, st.code, st.message);
	free(out);
	return rc == 0;
}

int main(void)
{
	struct lcs s;
	struct lcs_order o;
	struct bh_test_engine te;
	char conf[8192], eps[4096], rid[32], iid[32], rid2[32], iid2[32], path[128];
	lcs_begin(&s);
	lcs_endpoints(&s, eps, sizeof(eps), false, true);
	snprintf(conf, sizeof(conf),
		 "%s[flow receipt-to-loop]\nplugin = receipt-to-loop\nsubscribe = erp.receipt.created\n"
		 "portal = loop\nmin_backoff = 50ms\nmax_backoff = 200ms\n", eps);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with loop, netsuite-soap and receipt-to-loop");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	ok(lcs_order(&s, "LC-S11", &o), "order %s in Shopify and NetSuite", o.name);
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	if (!ok(lcs_ra(&s, &te, &o, rid, iid, sizeof(iid)), "its RA in NetSuite (%s)", iid)) {
		bh_test_engine_stop(&te);
		goto out;
	}

	/* receipt first in NetSuite */
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/receive", iid);
	is_int(lcs_post(&s, path, "{\"restock\":true}", NULL, NULL, 0), 200,
	       "the warehouse receives on RA %s in NetSuite", iid);
	struct st_arg closed = {&s, rid, "closed"};
	ok(lcs_wait(&te, 20000, loop_state, &closed), "S11: return %s processed in Loop", rid);
	is_int(lcs_count(&te, "receipt-to-loop", "returns_processed"), 1, "one process request");
	is_int(receipts_on(&s, iid), 1, "one item receipt on the RA");

	/* processed in Loop first, then Backhaul's own receipt comes through the feed */
	ok(lcs_return(&s, &o, rid2, sizeof(rid2)), "return %s in Loop", rid2);
	ok(lcs_ra(&s, &te, &o, rid2, iid2, sizeof(iid2)), "its RA (%s)", iid2);
	snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid2);
	lcs_post(&s, path, "{}", NULL, NULL, 0);
	struct st_arg closed2 = {&s, rid2, "closed"};
	ok(lcs_wait(&te, 20000, loop_state, &closed2), "return %s processed in Loop first", rid2);
	ok(own_receipt(&te, rid2, o.sku), "Backhaul's item receipt loop-ir-%s written", rid2);
	struct cnt_arg own = {&te, "receipt-to-loop", "own_receipts_skipped", 1};
	ok(lcs_wait(&te, 20000, count_at_least, &own), "the own receipt is not sent back to Loop");
	is_int(lcs_count(&te, "receipt-to-loop", "returns_processed"), 1, "still one process request");

	/* processed in Loop first, then the warehouse receives in NetSuite anyway */
	struct lcs_order o2;
	char rid3[32], iid3[32];
	ok(lcs_order(&s, "LC-S11B", &o2), "order %s", o2.name);
	ok(lcs_return(&s, &o2, rid3, sizeof(rid3)), "return %s in Loop", rid3);
	ok(lcs_ra(&s, &te, &o2, rid3, iid3, sizeof(iid3)), "its RA (%s)", iid3);
	snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid3);
	lcs_post(&s, path, "{}", NULL, NULL, 0);
	struct st_arg closed3 = {&s, rid3, "closed"};
	ok(lcs_wait(&te, 20000, loop_state, &closed3), "return %s processed in Loop", rid3);
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/receive", iid3);
	is_int(lcs_post(&s, path, "{\"restock\":true}", NULL, NULL, 0), 200,
	       "the warehouse receives on RA %s afterwards", iid3);
	struct cnt_arg fin = {&te, "receipt-to-loop", "already_final", 1};
	ok(lcs_wait(&te, 20000, count_at_least, &fin),
	   "the receipt finds the return processed: nothing sent to Loop");
	is_int(lcs_count(&te, "receipt-to-loop", "returns_processed"), 1, "still one process request");
	is_int(lcs_count(&te, "receipt-to-loop", "dead"), 0, "nothing dead-lettered");
	bh_test_engine_stop(&te);
out:
	bh_test_sim_stop(&s.sim);
	return done_testing();
}
