/*
 * review_flag.c - the review-flag flow in the engine with the in-memory fake endpoint
 * (S10): flagged on the first cycle, re-flagged on a later cycle after a review put the
 * return back to open, nothing while already in review, nothing once the flag is
 * cleared (also for a stale queued record), closed returns left alone, error mapping,
 * without the erp check, dry run.
 */
#include "report_lctest.h"

#define CONF_ON                                                                            \
	"[endpoint fake]\nplugin = lifecycle-fake\n\n"                                      \
	"[flow rfl]\nplugin = review-flag\nsubscribe = erp.ra.flagged\nportal = fake\n"     \
	"erp = fake\nauth_retry = 1s\nmin_backoff = 10ms\nmax_backoff = 20ms\n"

static void put_return(struct lc_test *t, const char *rid, const char *state)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"order\":{"
		 "\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1002\"},"
		 "\"lines\":[],\"flagged\":%s}",
		 rid, state, strcmp(state, "review") == 0 ? "true" : "false");
	t->ctl->put(t->fx, "return", js);
}

static void put_ra(struct lc_test *t, const char *iid, const char *rid, bool flag)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"internal_id\":\"%s\",\"external_id\":\"loop-ra-%s\",\"type\":"
		 "\"return_authorization\",\"status\":\"pending_receipt\",\"flag\":%s,"
		 "\"created_from\":{\"internal_id\":\"500\",\"type\":\"sales_order\"},\"lines\":[]}",
		 iid, rid, flag ? "true" : "false");
	t->ctl->put(t->fx, "transaction", js);
}

/* One poll cycle's record for RA iid (cycle = the cycle start, part of the key). */
static int flag_rec(struct lc_test *t, const char *iid, const char *rid, long cycle)
{
	char js[1024], k[128];
	snprintf(js, sizeof(js),
		 "{\"schema\":\"erp-ra/1\",\"internal_id\":\"%s\",\"external_id\":\"loop-ra-%s\","
		 "\"return_id\":\"%s\",\"status\":\"pending_receipt\",\"flag\":true,"
		 "\"last_modified\":\"2026-11-05T10:00:00Z\"}",
		 iid, rid, rid);
	snprintf(k, sizeof(k), "ra-flag:%s:%ld", iid, cycle);
	return lc_emit(t, "erp.ra.flagged", k, js);
}

static bool state_is(struct lc_test *t, const char *rid, const char *want)
{
	char *s = t->ctl->get(t->fx, "return", rid);
	char pat[64];
	snprintf(pat, sizeof(pat), "\"state\":\"%s\"", want);
	bool r = s && strstr(s, pat);
	free(s);
	return r;
}

static void test_cycles(void)
{
	struct lc_test t;
	char err[1024];
	int rc = lc_start(&t, NULL, CONF_ON);
	is_int(rc, 0, "engine starts with review-flag on the fake portal and ERP");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}

	/* cycle 1: the flag is set in NetSuite -> the return goes to review */
	put_ra(&t, "990", "6201", true);
	put_return(&t, "6201", "open");
	is_int(flag_rec(&t, "990", "6201", 1000), 1, "cycle 1 record stored");
	ok(lc_wait_done(&t, "rfl", 1), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", "6201"), 1, "portal.flag(6201) called");
	ok(state_is(&t, "6201", "review"), "return 6201 in review");
	is_int(lc_count(&t, "rfl", "returns_flagged"), 1, "counter returns_flagged");
	ok(lc_log_has(&t, "flagged return 6201 for review in portal 'fake': return authorization "
			  "990 is flagged in the ERP"), "the log names return and RA");

	/* the same cycle's record again (duplicate key) is dropped by the engine */
	is_int(flag_rec(&t, "990", "6201", 1000), 0, "a duplicate key is not stored again");

	/* cycle 2: still in review -> nothing to send */
	flag_rec(&t, "990", "6201", 2000);
	ok(lc_wait_done(&t, "rfl", 2), "cycle 2 delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", NULL), 1, "no flag call while already in review");
	is_int(lc_count(&t, "rfl", "already_in_review"), 1, "counted as already in review");

	/* a person reviews in Loop (back to open) but the field is still set: cycle 3
	 * flags again */
	t.ctl->set(t.fx, "return", "6201", "state", "\"open\"");
	t.ctl->set(t.fx, "return", "6201", "flagged", "false");
	flag_rec(&t, "990", "6201", 3000);
	ok(lc_wait_done(&t, "rfl", 3), "cycle 3 delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", "6201"), 2, "re-flagged on the next cycle");
	is_int(t.ctl->effects(t.fx, "portal.flag"), 2, "two effects: one per time it was open");
	ok(state_is(&t, "6201", "review"), "in review again");

	/* the field is cleared in NetSuite; a record of an earlier cycle still queued is
	 * stale: nothing is sent */
	put_ra(&t, "990", "6201", false);
	t.ctl->set(t.fx, "return", "6201", "state", "\"open\"");
	flag_rec(&t, "990", "6201", 4000);
	ok(lc_wait_done(&t, "rfl", 4), "stale record delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", NULL), 2, "no flag once the field is cleared");
	is_int(t.ctl->calls(t.fx, "portal.get_return", "6201"), 3,
	       "the portal is not even read when the ERP says the flag is cleared");
	is_int(lc_count(&t, "rfl", "flag_cleared"), 1, "counter flag_cleared");
	ok(state_is(&t, "6201", "open"), "processing can continue: the return stays open");

	/* a processed (closed) return is not flagged, and nothing is dead-lettered */
	put_ra(&t, "991", "6202", true);
	put_return(&t, "6202", "closed");
	flag_rec(&t, "991", "6202", 5000);
	ok(lc_wait_done(&t, "rfl", 5), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", "6202"), 0, "closed return not flagged");
	is_int(lc_count(&t, "rfl", "return_final"), 1, "counter return_final");
	ok(lc_log_has(&t, "return 6202 is closed in the portal and cannot be put into review"),
	   "the log tells the operator to clear the flag");

	/* the portal refuses the credentials: retry, not dead */
	put_ra(&t, "992", "6203", true);
	put_return(&t, "6203", "open");
	t.ctl->fault(t.fx, "portal.flag", BH_EAUTH, "401", "Unauthorized.", 0, 1);
	flag_rec(&t, "992", "6203", 6000);
	ok(lc_wait_done(&t, "rfl", 7), "auth failure retried, then delivered");
	is_int(lc_count(&t, "rfl", "retried"), 1, "one retry");
	is_int(lc_count(&t, "rfl", "dead"), 0, "nothing dead");
	ok(state_is(&t, "6203", "review"), "flagged on the second attempt");

	/* the ERP read fails permanently: dead letter naming the RA */
	put_return(&t, "6204", "open");
	put_ra(&t, "993", "6204", true);
	t.ctl->fault(t.fx, "erp.get_return_authorization", BH_EREJECT, "INSUFFICIENT_PERMISSION",
		     "Permission Violation", 0, 1);
	flag_rec(&t, "993", "6204", 7000);
	ok(lc_wait_done(&t, "rfl", 8), "delivered");
	is_int(lc_count(&t, "rfl", "dead"), 1, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "return 6204: reading return authorization 993 in 'fake': "
		       "INSUFFICIENT_PERMISSION: Permission Violation") != NULL,
	   "the reason names return, RA, code and message");
	lc_stop(&t);
}

static void test_no_erp(void)
{
	struct lc_test t;
	int rc = lc_start(&t, NULL,
			  "[endpoint fake]\nplugin = lifecycle-fake\n\n"
			  "[flow rfl]\nplugin = review-flag\nsubscribe = erp.ra.flagged\n"
			  "portal = fake\n");
	is_int(rc, 0, "engine starts with review-flag without erp");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}
	put_return(&t, "6201", "open");
	flag_rec(&t, "990", "6201", 1000);
	ok(lc_wait_done(&t, "rfl", 1), "delivered");
	is_int(t.ctl->calls(t.fx, "erp.get_return_authorization", NULL), 0, "no ERP read");
	ok(state_is(&t, "6201", "review"), "flagged from the record alone");
	lc_stop(&t);
}

static void test_dry_run(void)
{
	struct lc_test t;
	int rc = lc_start(&t, "dry_run = true", CONF_ON);
	is_int(rc, 0, "engine starts in dry-run mode");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}
	put_ra(&t, "990", "6201", true);
	put_return(&t, "6201", "open");
	flag_rec(&t, "990", "6201", 1000);
	ok(lc_wait_done(&t, "rfl", 1), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.flag", NULL), 0, "nothing written");
	ok(state_is(&t, "6201", "open"), "return untouched");
	ok(lc_log_has(&t, "dry run: would flag return 6201 (open) for review"),
	   "the log says what would be written");
	lc_stop(&t);
}

int main(void)
{
	if (!getenv("BH_PLUGIN_PATH"))
		skip_all("BH_PLUGIN_PATH is not set (run through make check)");
	test_cycles();
	test_no_erp();
	test_dry_run();
	return done_testing();
}
