/*
 * ra_cancel_sim.c - S9 end to end against backhaul-sim with the real loop and
 * netsuite-soap plugins: an operator closes the RA in NetSuite; the netsuite source
 * reports it (erp.ra.closed) and, with the setting on, the Loop return is cancelled;
 * with the setting off nothing changes in Loop. A processed (closed) return is never
 * cancelled.
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

int main(void)
{
	struct lcs s;
	struct lcs_order o;
	struct bh_test_engine te;
	char conf[8192], eps[4096], rid[32], iid[32], rid2[32], iid2[32], path[128], st[64];
	lcs_begin(&s);
	lcs_endpoints(&s, eps, sizeof(eps), false, true);

	/* setting on */
	snprintf(conf, sizeof(conf),
		 "%s[flow ra-cancel]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\nportal = loop\n"
		 "min_backoff = 50ms\nmax_backoff = 200ms\n", eps);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with loop, netsuite-soap and ra-cancel");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	ok(lcs_order(&s, "LC-S9", &o), "order %s in Shopify and NetSuite", o.name);
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	if (!ok(lcs_ra(&s, &te, &o, rid, iid, sizeof(iid)), "its RA in NetSuite (%s)", iid)) {
		bh_test_engine_stop(&te);
		goto out;
	}
	/* a second return, processed in Loop, whose RA is closed too */
	ok(lcs_return(&s, &o, rid2, sizeof(rid2)), "return %s in Loop", rid2);
	ok(lcs_ra(&s, &te, &o, rid2, iid2, sizeof(iid2)), "its RA (%s)", iid2);
	snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid2);
	lcs_post(&s, path, "{}", NULL, NULL, 0);
	struct st_arg closed2 = {&s, rid2, "closed"};
	ok(lcs_wait(&te, 20000, loop_state, &closed2), "return %s processed in Loop", rid2);

	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/close", iid);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "the operator closes RA %s", iid);
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/close", iid2);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "and RA %s", iid2);
	struct st_arg cancelled = {&s, rid, "cancelled"};
	ok(lcs_wait(&te, 20000, loop_state, &cancelled), "S9 on: return %s cancelled in Loop", rid);
	struct cnt_arg both = {&te, "ra-cancel", "ok", 2};
	ok(lcs_wait(&te, 20000, count_at_least, &both), "both closed RAs delivered");
	is_int(lcs_count(&te, "ra-cancel", "returns_cancelled"), 1, "one return cancelled");
	is_int(lcs_count(&te, "ra-cancel", "return_already_final"), 1,
	       "the processed return is left alone");
	snprintf(path, sizeof(path), "/control/loop/returns/%s", rid2);
	ok(lcs_get(&s, path, "state", st, sizeof(st)) && strcmp(st, "closed") == 0,
	   "return %s stays closed (%s)", rid2, st);
	long long polls = lcs_count(&te, "netsuite", "polls");
	struct cnt_arg pa = {&te, "netsuite", "polls", polls + 2};
	ok(lcs_wait(&te, 20000, count_at_least, &pa), "two more poll cycles");
	is_int(lcs_count(&te, "ra-cancel", "returns_cancelled"), 1, "nothing new is cancelled");
	is_int(lcs_count(&te, "ra-cancel", "dead"), 0, "nothing dead-lettered");
	bh_test_engine_stop(&te);

	/* setting off */
	snprintf(conf, sizeof(conf),
		 "%s[flow ra-cancel]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\nportal = loop\n"
		 "cancel_return_on_ra_close = false\n", eps);
	rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with cancel_return_on_ra_close = false");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	char rid3[32], iid3[32];
	/* the cancelled first return gave its unit back: it can be returned again */
	bool made = ok(lcs_return(&s, &o, rid3, sizeof(rid3)), "third return %s in Loop", rid3);
	if (made && lcs_ra(&s, &te, &o, rid3, iid3, sizeof(iid3))) {
		snprintf(path, sizeof(path), "/control/netsuite/ra/%s/close", iid3);
		lcs_post(&s, path, "{}", NULL, NULL, 0);
		/* the fresh engine reads all three closed RAs again */
		struct cnt_arg off = {&te, "ra-cancel", "return_left_open", 3};
		ok(lcs_wait(&te, 20000, count_at_least, &off),
		   "S9 off: the flow says the returns are left as they are");
		snprintf(path, sizeof(path), "/control/loop/returns/%s", rid3);
		ok(lcs_get(&s, path, "state", st, sizeof(st)) && strcmp(st, "open") == 0,
		   "return %s stays open (%s)", rid3, st);
	} else {
		ok(0, "a third return and RA for the setting-off case");
	}
	bh_test_engine_stop(&te);
out:
	bh_test_sim_stop(&s.sim);
	return done_testing();
}
