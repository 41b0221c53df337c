/*
 * ra_cancel.c - the ra-cancel flow in the engine with the in-memory fake endpoint: S9
 * with the setting on and off, no bounce-back on returns already cancelled/closed (S8
 * then S9), a return in review waits, idempotency, error mapping, dry run.
 */
#include "report_lctest.h"

#define CONF_ON                                                                            \
	"[endpoint fake]\nplugin = lifecycle-fake\n\n"                                      \
	"[flow rac]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\nportal = fake\n"        \
	"review_retry = 1s\nmin_backoff = 10ms\nmax_backoff = 20ms\n"

static void put_return(struct lc_test *t, const char *rid, const char *state)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"order\":{"
		 "\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1001\"},"
		 "\"lines\":[],\"flagged\":%s}",
		 rid, state, strcmp(state, "review") == 0 ? "true" : "false");
	t->ctl->put(t->fx, "return", js);
}

/* erp.ra.closed for RA iid; rid NULL leaves return_id out (only the external id). */
static int closed_rec(struct lc_test *t, const char *iid, const char *ext, const char *rid,
		      const char *status)
{
	char js[1024], rj[64] = "", k[128];
	if (rid)
		snprintf(rj, sizeof(rj), "\"return_id\":\"%s\",", rid);
	snprintf(js, sizeof(js),
		 "{\"schema\":\"erp-ra/1\",\"internal_id\":\"%s\",\"external_id\":\"%s\",%s"
		 "\"status\":\"%s\",\"flag\":false,\"last_modified\":\"2026-11-05T10:00:00Z\"}",
		 iid, ext, rj, status);
	snprintf(k, sizeof(k), "ra-closed:%s:%s", iid, status);
	return lc_emit(t, "erp.ra.closed", k, js);
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

static void test_on(void)
{
	struct lc_test t;
	char err[1024];
	int rc = lc_start(&t, NULL, CONF_ON);
	is_int(rc, 0, "engine starts with ra-cancel on the fake portal");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}

	/* S9 on: an RA closed in NetSuite cancels the open return */
	put_return(&t, "6101", "open");
	is_int(closed_rec(&t, "890", "loop-ra-6101", "6101", "closed"), 1, "record stored");
	ok(lc_wait_done(&t, "rac", 1), "delivered");
	is_int(lc_count(&t, "rac", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "portal.cancel", "6101"), 1, "portal.cancel(6101) called");
	ok(state_is(&t, "6101", "cancelled"), "return 6101 is cancelled");
	is_int(lc_count(&t, "rac", "returns_cancelled"), 1, "counter returns_cancelled");
	ok(lc_log_has(&t, "cancelled return 6101 in portal 'fake': return authorization 890 was "
			  "closed in the ERP"), "log names return and RA");

	/* the RA then also reported cancelled (another status key): one effect only */
	closed_rec(&t, "890", "loop-ra-6101", "6101", "cancelled");
	ok(lc_wait_done(&t, "rac", 2), "second record delivered");
	is_int(t.ctl->calls(t.fx, "portal.cancel", NULL), 1, "no second cancel call");
	is_int(t.ctl->effects(t.fx, "portal.cancel"), 1, "one effect");
	is_int(lc_count(&t, "rac", "return_already_final"), 1, "counted as already final");

	/* S8 then S9: cancelled in Loop, RA closed by return-cancel: no bounce-back; a
	 * processed (closed) return is not cancelled either */
	put_return(&t, "6102", "cancelled");
	put_return(&t, "6103", "closed");
	closed_rec(&t, "891", "loop-ra-6102", "6102", "closed");
	closed_rec(&t, "892", "loop-ra-6103", "6103", "closed");
	ok(lc_wait_done(&t, "rac", 4), "both delivered");
	is_int(t.ctl->calls(t.fx, "portal.cancel", NULL), 1, "neither is cancelled");
	ok(state_is(&t, "6103", "closed"), "processed return stays closed");

	/* return id from the external id when return_id is absent */
	put_return(&t, "6104", "open");
	closed_rec(&t, "893", "loop-ra-6104", NULL, "cancelled");
	ok(lc_wait_done(&t, "rac", 5), "delivered");
	ok(state_is(&t, "6104", "cancelled"), "return id taken from loop-ra-6104");

	/* an RA that names no return: dead letter naming it */
	closed_rec(&t, "894", "RA-77", NULL, "closed");
	ok(lc_wait_done(&t, "rac", 6), "delivered");
	is_int(lc_count(&t, "rac", "dead"), 1, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "return authorization 894") && strstr(err, "RA-77"),
	   "the reason names the RA: %s", err);

	/* a status other than closed/cancelled does nothing */
	put_return(&t, "6105", "open");
	closed_rec(&t, "895", "loop-ra-6105", "6105", "pending_receipt");
	ok(lc_wait_done(&t, "rac", 7), "delivered");
	ok(state_is(&t, "6105", "open"), "return 6105 untouched");
	is_int(t.ctl->calls(t.fx, "portal.get_return", "6105"), 0, "not even read");

	/* unknown return: acknowledged, counted */
	closed_rec(&t, "896", "loop-ra-6199", "6199", "closed");
	ok(lc_wait_done(&t, "rac", 8), "delivered");
	is_int(lc_count(&t, "rac", "no_return"), 1, "counter no_return");
	is_int(lc_count(&t, "rac", "dead"), 1, "not dead-lettered");

	/* a return in review waits, then is cancelled once the review is over */
	put_return(&t, "6106", "review");
	closed_rec(&t, "897", "loop-ra-6106", "6106", "closed");
	ok(lc_wait_done(&t, "rac", 9), "delivered once");
	is_int(lc_count(&t, "rac", "retried"), 1, "retried while in review");
	is_int(t.ctl->calls(t.fx, "portal.cancel", "6106"), 0, "not cancelled while in review");
	ok(lc_log_has(&t, "return 6106 is in review in portal 'fake'"), "the retry says why");
	t.ctl->set(t.fx, "return", "6106", "state", "\"open\"");
	t.ctl->set(t.fx, "return", "6106", "flagged", "false");
	ok(lc_wait_done(&t, "rac", 10), "delivered again after review_retry");
	ok(state_is(&t, "6106", "cancelled"), "cancelled after the review");

	/* the portal refuses: dead letter with its code and message */
	put_return(&t, "6107", "open");
	t.ctl->fault(t.fx, "portal.cancel", BH_EREJECT, "UNPROCESSABLE_RETURN",
		     "Return is expired and cannot be processed.", 0, 1);
	closed_rec(&t, "898", "loop-ra-6107", "6107", "closed");
	ok(lc_wait_done(&t, "rac", 11), "delivered");
	is_int(lc_count(&t, "rac", "dead"), 2, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "return 6107 (RA 898 closed): cancel in portal 'fake': UNPROCESSABLE_RETURN: "
			"Return is expired and cannot be processed.") != NULL,
	   "the reason names return, RA, code and message");

	/* a 429 with retry-after on the read, then success */
	put_return(&t, "6108", "open");
	t.ctl->fault(t.fx, "portal.get_return", BH_ERETRY, "429", "Too Many Attempts.", 30, 1);
	closed_rec(&t, "899", "loop-ra-6108", "6108", "closed");
	ok(lc_wait_done(&t, "rac", 13), "retried, then delivered");
	is_int(lc_count(&t, "rac", "retried"), 2, "one more retry");
	ok(state_is(&t, "6108", "cancelled"), "cancelled on the second attempt");
	ok(lc_log_has(&t, "reading the return in 'fake': temporary failure: 429: Too Many"),
	   "the retry reason carries the portal's words");
	lc_stop(&t);
}

static void test_off(void)
{
	struct lc_test t;
	int rc = lc_start(&t, NULL,
			  "[endpoint fake]\nplugin = lifecycle-fake\n\n"
			  "[flow rac]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\nportal = fake\n"
			  "cancel_return_on_ra_close = false\n");
	is_int(rc, 0, "engine starts with cancel_return_on_ra_close = false");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}
	put_return(&t, "6101", "open");
	closed_rec(&t, "890", "loop-ra-6101", "6101", "closed");
	ok(lc_wait_done(&t, "rac", 1), "delivered");
	is_int(lc_count(&t, "rac", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "portal.cancel", NULL), 0, "no cancel call");
	is_int(t.ctl->calls(t.fx, "portal.get_return", NULL), 0, "no portal call at all");
	ok(state_is(&t, "6101", "open"), "return left open");
	is_int(lc_count(&t, "rac", "return_left_open"), 1, "counter return_left_open");
	ok(lc_log_has(&t, "return 6101 is left as is in the portal (cancel_return_on_ra_close = "
			  "false)"), "the log says so");
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
	put_return(&t, "6101", "open");
	closed_rec(&t, "890", "loop-ra-6101", "6101", "closed");
	ok(lc_wait_done(&t, "rac", 1), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.cancel", NULL), 0, "nothing written");
	ok(state_is(&t, "6101", "open"), "return untouched");
	ok(lc_log_has(&t, "dry run: would cancel return 6101 (open) in portal 'fake'"),
	   "the log says what would be written");
	lc_stop(&t);
}

int main(void)
{
	if (!getenv("BH_PLUGIN_PATH"))
		skip_all("BH_PLUGIN_PATH is not set (run through make check)");
	test_on();
	test_off();
	test_dry_run();
	return done_testing();
}
