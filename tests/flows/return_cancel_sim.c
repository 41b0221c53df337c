/*
 * return_cancel_sim.c - S8 end to end against backhaul-sim with the real loop and
 * netsuite-soap plugins: a return cancelled in Loop (its cancellation read by the loop
 * source) closes every line of its RA in NetSuite with the setting on, and leaves the RA
 * as it is with the setting off; no receipt and no refund in either case; and the
 * closed RA does not bounce back to Loop (ra-cancel sees the return already cancelled).
 */
#include "report_sim.h"

struct ra_arg {
	struct lcs *s;
	const char *iid;
	const char *want;
};

static bool ra_status(void *a)
{
	struct ra_arg *r = a;
	char path[128], st[64];
	snprintf(path, sizeof(path), "/control/netsuite/records/returnAuthorization/%s", r->iid);
	return lcs_get(r->s, path, "status", st, sizeof(st)) && strcmp(st, r->want) == 0;
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

/* Lines of the RA all closed, and no transaction created from it. */
static void check_ra_closed_only(struct lcs *s, const char *iid, bool want_closed)
{
	char path[160], *resp = NULL;
	snprintf(path, sizeof(path), "/control/netsuite/records/returnAuthorization/%s", iid);
	bh_test_ctl(&s->sim, "GET", path, NULL, &resp);
	json_object *o = resp ? json_tokener_parse(resp) : NULL, *lines;
	int n = 0, closed = 0;
	if (o && json_object_object_get_ex(o, "lines", &lines))
		for (size_t i = 0; i < json_object_array_length(lines); i++, n++)
			closed += json_object_get_boolean(
				json_object_object_get(json_object_array_get_idx(lines, i), "is_closed"));
	json_object_put(o);
	free(resp);
	if (want_closed)
		ok(n > 0 && closed == n, "every RA line is closed (%d of %d)", closed, n);
	else
		ok(n > 0 && closed == 0, "no RA line is closed (%d of %d)", closed, n);
	snprintf(path, sizeof(path), "/control/netsuite/records?createdFrom=%s", iid);
	resp = NULL;
	bh_test_ctl(&s->sim, "GET", path, NULL, &resp);
	o = resp ? json_tokener_parse(resp) : NULL;
	json_object *recs = o ? json_object_object_get(o, "records") : NULL;
	is_int(recs ? (long long)json_object_array_length(recs) : -1, 0,
	       "no item receipt and no refund from the RA");
	json_object_put(o);
	free(resp);
}

int main(void)
{
	struct lcs s;
	struct lcs_order o;
	struct bh_test_engine te;
	char conf[8192], eps[4096], rid[32], iid[32], st[64], path[128];
	lcs_begin(&s);

	/* setting on (the default) */
	lcs_endpoints(&s, eps, sizeof(eps), true, true);
	snprintf(conf, sizeof(conf),
		 "%s[flow return-cancel]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"
		 "erp = netsuite\nmin_backoff = 50ms\nmax_backoff = 200ms\n\n"
		 "[flow ra-cancel]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\nportal = loop\n",
		 eps);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with loop, netsuite-soap, return-cancel and ra-cancel");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	ok(lcs_order(&s, "LC-S8", &o), "order %s in Shopify and NetSuite", o.name);
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	if (!ok(lcs_ra(&s, &te, &o, rid, iid, sizeof(iid)), "RA loop-ra-%s in NetSuite (%s)", rid, iid)) {
		diag("netsuite-soap cannot create the RA: S8 cannot be played");
		bh_test_engine_stop(&te);
		goto out;
	}
	snprintf(path, sizeof(path), "/control/loop/returns/%s/cancel", rid);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "the shopper cancels in Loop");
	struct ra_arg ra = {&s, iid, "Closed"};
	ok(lcs_wait(&te, 20000, ra_status, &ra), "S8 on: the RA is closed in NetSuite");
	snprintf(path, sizeof(path), "/control/netsuite/records/returnAuthorization/%s", iid);
	lcs_get(&s, path, "status", st, sizeof(st));
	diag("RA %s status: %s", iid, st);
	check_ra_closed_only(&s, iid, true);
	is_int(lcs_count(&te, "return-cancel", "ra_closed"), 1, "return-cancel closed one RA");
	/* the closed RA comes back through the ERP feed: no bounce to Loop */
	struct cnt_arg ca = {&te, "ra-cancel", "ok", 1};
	ok(lcs_wait(&te, 20000, count_at_least, &ca), "ra-cancel saw the RA closed");
	is_int(lcs_count(&te, "ra-cancel", "return_already_final"), 1,
	       "and left the cancelled return alone");
	is_int(lcs_count(&te, "ra-cancel", "returns_cancelled"), 0, "no cancel sent back to Loop");
	is_int(lcs_count(&te, "return-cancel", "dead") + lcs_count(&te, "ra-cancel", "dead"), 0,
	       "nothing dead-lettered");
	/* another sync cycle writes nothing new */
	long long polls = lcs_count(&te, "netsuite", "polls");
	struct cnt_arg pa = {&te, "netsuite", "polls", polls + 1};
	ok(lcs_wait(&te, 20000, count_at_least, &pa), "one more poll cycle");
	is_int(lcs_count(&te, "return-cancel", "ra_closed"), 1, "still one close");
	bh_test_engine_stop(&te);

	/* setting off */
	snprintf(conf, sizeof(conf),
		 "%s[flow return-cancel]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"
		 "erp = netsuite\nclose_ra_on_cancel = false\n", eps);
	rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with close_ra_on_cancel = false");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	char rid2[32], iid2[32];
	ok(lcs_return(&s, &o, rid2, sizeof(rid2)), "second return %s in Loop", rid2);
	ok(lcs_ra(&s, &te, &o, rid2, iid2, sizeof(iid2)), "its RA (%s)", iid2);
	snprintf(path, sizeof(path), "/control/loop/returns/%s/cancel", rid2);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "the shopper cancels it");
	/* both cancellations (the first return's too: a fresh engine reads it again) */
	struct cnt_arg oa = {&te, "return-cancel", "ra_left_open", 2};
	ok(lcs_wait(&te, 20000, count_at_least, &oa), "S8 off: the flow says the RAs are left open");
	snprintf(path, sizeof(path), "/control/netsuite/records/returnAuthorization/%s", iid2);
	ok(lcs_get(&s, path, "status", st, sizeof(st)) && strcmp(st, "Closed") != 0,
	   "the RA is left as is (%s)", st);
	check_ra_closed_only(&s, iid2, false);
	bh_test_engine_stop(&te);
out:
	bh_test_sim_stop(&s.sim);
	return done_testing();
}
