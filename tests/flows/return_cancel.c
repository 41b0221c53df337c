/*
 * return_cancel.c - the return-cancel flow in the engine with the in-memory fake
 * endpoint: S8 with the setting on and off, idempotency (cancel twice = one close),
 * no RA (recorded, re-checked once by its own follow-up record), error mapping (retry-after, auth, reject), bad bodies, dry run, configuration.
 */
#include "report_lctest.h"

#define CONF_ON                                                                            \
	"[endpoint fake]\nplugin = lifecycle-fake\n\n"                                      \
	"[flow rc]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"          \
	"erp = fake\nauth_retry = 1s\nmin_backoff = 10ms\nmax_backoff = 20ms\n"

static void put_ra(struct lc_test *t, const char *iid, const char *rid, int received)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"internal_id\":\"%s\",\"external_id\":\"loop-ra-%s\",\"type\":"
		 "\"return_authorization\",\"status\":\"pending_receipt\",\"flag\":false,"
		 "\"created_from\":{\"internal_id\":\"500\",\"type\":\"sales_order\"},"
		 "\"lines\":[{\"sku\":\"MUG\",\"quantity\":2,\"quantity_received\":%d,"
		 "\"quantity_billed\":0,\"closed\":false}]}",
		 iid, rid, received);
	t->ctl->put(t->fx, "transaction", js);
}

static int cancel_rec(struct lc_test *t, const char *rid, const char *state, const char *key)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"trigger\":"
		 "\"return.updated\",\"order\":{\"portal_order_id\":\"91\",\"storefront_order_id\":"
		 "\"5210398573245212345\",\"name\":\"#1001\"},\"lines\":[],\"flagged\":false}",
		 rid, state);
	char k[128];
	snprintf(k, sizeof(k), "return:%s:cancelled%s", rid, key ? key : "");
	return lc_emit(t, "portal.return.cancelled", k, js);
}

static bool ra_status_is(struct lc_test *t, const char *iid, const char *want)
{
	char *s = t->ctl->get(t->fx, "transaction", iid);
	char pat[64];
	snprintf(pat, sizeof(pat), "\"status\":\"%s\"", want);
	bool r = s && strstr(s, pat);
	free(s);
	return r;
}

static void test_on(void)
{
	struct lc_test t;
	char err[1024];
	int rc = lc_start(&t, NULL, CONF_ON);
	is_int(rc, 0, "engine starts with return-cancel on the fake ERP");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}

	/* S8, setting on: every line of the RA closed */
	put_ra(&t, "790", "6001", 0);
	is_int(cancel_rec(&t, "6001", "cancelled", NULL), 1, "cancel record stored");
	ok(lc_wait_done(&t, "rc", 1), "delivered");
	is_int(lc_count(&t, "rc", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "erp.close_return_authorization", "\"internal_id\":\"790\""), 1,
	       "close_return_authorization called once on the RA found by external id");
	is_int(t.ctl->calls(t.fx, "erp.get_return_authorization", "loop-ra-6001"), 1,
	       "the RA was looked up as loop-ra-6001");
	ok(ra_status_is(&t, "790", "closed"), "RA 790 is closed");
	is_int(lc_count(&t, "rc", "ra_closed"), 1, "counter ra_closed = 1");
	ok(lc_log_has(&t, "closed every open line of return authorization loop-ra-6001"),
	   "log names the RA and the return");

	/* the same cancellation again (webhook + poll): one effect only */
	cancel_rec(&t, "6001", "cancelled", ":again");
	ok(lc_wait_done(&t, "rc", 2), "second copy delivered");
	is_int(t.ctl->calls(t.fx, "erp.close_return_authorization", NULL), 1,
	       "no second close call for an RA already closed");
	is_int(t.ctl->effects(t.fx, "erp.close_return_authorization"), 1, "one effect in all");
	is_int(lc_count(&t, "rc", "ra_already_closed"), 1, "counted as already closed");

	/* no RA for the return: nothing to close, acknowledged */
	cancel_rec(&t, "6002", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 4), "no-RA record and its re-check delivered");
	is_int(lc_count(&t, "rc", "ok"), 4, "acknowledged");
	is_int(lc_count(&t, "rc", "no_ra"), 1, "counter no_ra");
	is_int(lc_count(&t, "rc", "recheck"), 1, "re-checked once (its own follow-up)");
	ok(lc_log_has(&t, "no return authorization loop-ra-6002 exists"), "log says so");
	ok(lc_log_has(&t, "(re-check): none will be written for it"), "the re-check says so");

	/* a record whose return is not cancelled does nothing */
	put_ra(&t, "791", "6003", 0);
	cancel_rec(&t, "6003", "open", NULL);
	ok(lc_wait_done(&t, "rc", 5), "open-state record delivered");
	is_int(t.ctl->calls(t.fx, "erp.get_return_authorization", "6003"), 0,
	       "a return that is not cancelled is not looked up");
	ok(ra_status_is(&t, "791", "pending_receipt"), "RA 791 untouched");

	/* transient failure with retry-after, then success */
	put_ra(&t, "792", "6004", 0);
	t.ctl->fault(t.fx, "erp.close_return_authorization", BH_ERETRY, "WS_CONCUR_SESSION_DISALLWD",
		     "Only one request may be made against a session at a time", 50, 1);
	cancel_rec(&t, "6004", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 7), "retried then delivered");
	is_int(lc_count(&t, "rc", "retried"), 1, "one retry");
	ok(ra_status_is(&t, "792", "closed"), "RA 792 closed on the second attempt");
	ok(lc_log_has(&t, "closing return authorization loop-ra-6004"), "retry reason names the RA");

	/* credentials refused: retried (not dead-lettered), then succeeds */
	put_ra(&t, "793", "6005", 1);
	t.ctl->fault(t.fx, "erp.get_return_authorization", BH_EAUTH, "INVALID_LOGIN_ATTEMPT",
		     "Invalid login attempt.", 0, 1);
	cancel_rec(&t, "6005", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 9), "auth failure retried, then delivered");
	is_int(lc_count(&t, "rc", "retried"), 2, "the auth failure was a retry");
	is_int(lc_count(&t, "rc", "dead"), 0, "nothing dead-lettered");
	ok(lc_log_has(&t, "credentials or permissions refused: INVALID_LOGIN_ATTEMPT"),
	   "the retry says the credentials were refused");
	ok(lc_log_has(&t, "already has 1 unit(s) received"), "received units are warned about");
	ok(ra_status_is(&t, "793", "closed"), "RA 793 closed");

	/* permanent refusal: dead letter with the ERP's code and message */
	put_ra(&t, "794", "6006", 0);
	t.ctl->fault(t.fx, "erp.close_return_authorization", BH_EREJECT, "INSUFFICIENT_PERMISSION",
		     "Permission Violation: you need Return Authorization edit", 0, 1);
	cancel_rec(&t, "6006", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 10), "refused record delivered");
	is_int(lc_count(&t, "rc", "dead"), 1, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "return 6006") && strstr(err, "loop-ra-6006") &&
		   strstr(err, "INSUFFICIENT_PERMISSION: Permission Violation"),
	   "dead letter names return, RA, code and message: %s", err);

	/* a body that is not return/1 */
	lc_emit(&t, "portal.return.cancelled", "bad:1", "{\"schema\":\"order/1\",\"id\":\"1\"}");
	ok(lc_wait_done(&t, "rc", 11), "bad body delivered");
	is_int(lc_count(&t, "rc", "dead"), 2, "bad body dead-lettered");
	lc_emit(&t, "portal.return.cancelled", "bad:2", "not json");
	ok(lc_wait_done(&t, "rc", 12), "non-JSON delivered");
	is_int(lc_count(&t, "rc", "dead"), 3, "non-JSON dead-lettered");
	lc_stop(&t);
}

static void test_off(void)
{
	struct lc_test t;
	int rc = lc_start(&t, NULL,
			  "[endpoint fake]\nplugin = lifecycle-fake\n\n"
			  "[flow rc]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"
			  "erp = fake\nclose_ra_on_cancel = false\n");
	is_int(rc, 0, "engine starts with close_ra_on_cancel = false");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}
	put_ra(&t, "790", "6001", 0);
	cancel_rec(&t, "6001", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 1), "delivered");
	is_int(lc_count(&t, "rc", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "erp.close_return_authorization", NULL), 0, "no close call");
	is_int(t.ctl->calls(t.fx, "erp.get_return_authorization", NULL), 0, "no ERP call at all");
	ok(ra_status_is(&t, "790", "pending_receipt"), "RA left as is");
	is_int(lc_count(&t, "rc", "ra_left_open"), 1, "counter ra_left_open = 1");
	ok(lc_log_has(&t, "return 6001 (order #1001) was cancelled in the portal; its return "
			  "authorization loop-ra-6001 is left as is (close_ra_on_cancel = false)"),
	   "the log says the RA was left open and why");
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
	put_ra(&t, "790", "6001", 0);
	cancel_rec(&t, "6001", "cancelled", NULL);
	ok(lc_wait_done(&t, "rc", 1), "delivered");
	is_int(lc_count(&t, "rc", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "erp.close_return_authorization", NULL), 0, "nothing written");
	ok(ra_status_is(&t, "790", "pending_receipt"), "RA untouched");
	ok(lc_log_has(&t, "dry run: would close every open line of return authorization "
			  "loop-ra-6001 (internal id 790"),
	   "the log says what would be written");
	lc_stop(&t);
}

static void test_config(void)
{
	struct lc_test t;
	int rc = lc_start(&t, NULL,
			  "[endpoint fake]\nplugin = lifecycle-fake\n\n"
			  "[flow rc]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"
			  "erp = nosuch\n");
	is_int(rc, BH_ECONFIG, "an unknown erp endpoint is a configuration error");
	ok(lc_log_has(&t, "erp = nosuch: no such endpoint"), "the error names the setting");
	lc_stop(&t);
}

int main(void)
{
	if (!getenv("BH_PLUGIN_PATH"))
		skip_all("BH_PLUGIN_PATH is not set (run through make check)");
	test_on();
	test_off();
	test_dry_run();
	test_config();
	return done_testing();
}
