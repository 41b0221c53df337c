/*
 * review_flag_sim.c - S10 end to end against backhaul-sim with the real loop and
 * netsuite-soap plugins: the RA flag field set in NetSuite puts the Loop return into
 * review; after a person finished the review in Loop the next cycle flags it again
 * while the field is still set; once the field is cleared nothing is flagged and the
 * return can be processed.
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

/* Wait for n more completed polls of the netsuite source and the flow to be idle
 * (every record it was given delivered). */
static bool cycles(struct bh_test_engine *te, int n)
{
	struct cnt_arg pa = {te, "netsuite", "polls", lcs_count(te, "netsuite", "polls") + n};
	if (!lcs_wait(te, 20000, count_at_least, &pa))
		return false;
	struct bh_instance *src = bh_engine_find(te->eng, "netsuite");
	int64_t dl = tap_mono_ms() + 10000;
	while (tap_mono_ms() < dl) {
		pthread_mutex_lock(&te->eng->lock);
		uint64_t emitted = src->emitted;
		pthread_mutex_unlock(&te->eng->lock);
		long long done = lcs_count(te, "review-flag", "ok") + lcs_count(te, "review-flag", "dead");
		if ((uint64_t)done >= emitted)
			return true;
		struct timespec ts = {0, 20 * 1000000L}; /* polling the counters */
		nanosleep(&ts, NULL);
	}
	return false;
}

int main(void)
{
	struct lcs s;
	struct lcs_order o;
	struct bh_test_engine te;
	char conf[8192], eps[4096], rid[32], iid[32], path[128], st[64];
	lcs_begin(&s);
	lcs_endpoints(&s, eps, sizeof(eps), false, true);
	snprintf(conf, sizeof(conf),
		 "%s[flow review-flag]\nplugin = review-flag\nsubscribe = erp.ra.flagged\n"
		 "portal = loop\nerp = netsuite\nmin_backoff = 50ms\nmax_backoff = 200ms\n", eps);
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with loop, netsuite-soap and review-flag");
	if (rc != 0) {
		bh_test_engine_stop(&te);
		goto out;
	}
	ok(lcs_order(&s, "LC-S10", &o), "order %s in Shopify and NetSuite", o.name);
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	if (!ok(lcs_ra(&s, &te, &o, rid, iid, sizeof(iid)), "its RA in NetSuite (%s)", iid)) {
		bh_test_engine_stop(&te);
		goto out;
	}
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/flag", iid);
	is_int(lcs_post(&s, path, "{\"value\":true}", NULL, NULL, 0), 200,
	       "the operator ticks the flag field (%s)", s.flag_field);
	struct st_arg review = {&s, rid, "review"};
	ok(lcs_wait(&te, 20000, loop_state, &review), "cycle 1: return %s in review in Loop", rid);
	is_int(lcs_count(&te, "review-flag", "returns_flagged"), 1, "flagged once");

	/* still set, still in review: later cycles change nothing */
	ok(cycles(&te, 2), "two more cycles");
	is_int(lcs_count(&te, "review-flag", "returns_flagged"), 1, "not flagged again while in review");
	ok(lcs_count(&te, "review-flag", "already_in_review") >= 1, "counted as already in review");

	/* a person finishes the review in Loop; the field is still set in NetSuite */
	snprintf(path, sizeof(path), "/control/loop/returns/%s/unflag", rid);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "review finished in Loop (open)");
	ok(lcs_wait(&te, 20000, loop_state, &review), "the next cycle flags it again");
	is_int(lcs_count(&te, "review-flag", "returns_flagged"), 2, "flagged twice in all");

	/* the operator clears the field, the reviewer opens the return */
	snprintf(path, sizeof(path), "/control/netsuite/ra/%s/flag", iid);
	is_int(lcs_post(&s, path, "{\"value\":false}", NULL, NULL, 0), 200, "flag field cleared");
	snprintf(path, sizeof(path), "/control/loop/returns/%s/unflag", rid);
	is_int(lcs_post(&s, path, "{}", NULL, NULL, 0), 200, "review finished in Loop");
	ok(cycles(&te, 2), "two more cycles");
	snprintf(path, sizeof(path), "/control/loop/returns/%s", rid);
	ok(lcs_get(&s, path, "state", st, sizeof(st)) && strcmp(st, "open") == 0,
	   "nothing flags it once the field is cleared (%s)", st);
	is_int(lcs_count(&te, "review-flag", "returns_flagged"), 2, "still two flags in all");
	is_int(lcs_count(&te, "review-flag", "dead"), 0, "nothing dead-lettered");

	/* processing continues */
	snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid);
	lcs_post(&s, path, "{}", NULL, NULL, 0);
	struct st_arg closed = {&s, rid, "closed"};
	ok(lcs_wait(&te, 20000, loop_state, &closed), "the return can be processed");
	bh_test_engine_stop(&te);
out:
	bh_test_sim_stop(&s.sim);
	return done_testing();
}
