/*
 * receipt_to_loop.c - the receipt-to-loop flow in the engine with the in-memory fake
 * endpoint (S11): a warehouse receipt processes the return once; Backhaul's own
 * receipts (loop-ir-*) and returns already processed are skipped (no bounce-back);
 * a return in review waits; wait_for_full_receipt; error mapping; dry run; config.
 */
#include "report_lctest.h"

#define CONF_ON                                                                            \
	"[endpoint fake]\nplugin = lifecycle-fake\n\n"                                      \
	"[flow rtl]\nplugin = receipt-to-loop\nsubscribe = erp.receipt.created\n"           \
	"portal = fake\nreview_retry = 1s\nmin_backoff = 10ms\nmax_backoff = 20ms\n"

static void put_return(struct lc_test *t, const char *rid, const char *state)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"order\":{"
		 "\"storefront_order_id\":\"5210398573245212345\",\"name\":\"#1003\"},"
		 "\"lines\":[],\"flagged\":%s}",
		 rid, state, strcmp(state, "review") == 0 ? "true" : "false");
	t->ctl->put(t->fx, "return", js);
}

static void put_ra(struct lc_test *t, const char *iid, const char *rid, int qty, int received)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"internal_id\":\"%s\",\"external_id\":\"loop-ra-%s\",\"type\":"
		 "\"return_authorization\",\"status\":\"pending_receipt\",\"flag\":false,"
		 "\"created_from\":{\"internal_id\":\"500\",\"type\":\"sales_order\"},"
		 "\"lines\":[{\"sku\":\"TEE\",\"quantity\":%d,\"quantity_received\":%d,"
		 "\"quantity_billed\":0,\"closed\":false},{\"sku\":\"CAP\",\"quantity\":1,"
		 "\"quantity_received\":0,\"quantity_billed\":0,\"closed\":true}]}",
		 iid, rid, qty, received);
	t->ctl->put(t->fx, "transaction", js);
}

/* erp.receipt.created: receipt iid (external id ext or NULL) on RA ra_iid of return rid;
 * with_rid false leaves return_id out. */
static int receipt_rec(struct lc_test *t, const char *iid, const char *ext, const char *ra_iid,
		       const char *ra_ext, const char *rid, bool with_rid)
{
	char js[1024], ej[96], rj[64] = "", k[96];
	if (ext)
		snprintf(ej, sizeof(ej), "\"%s\"", ext);
	else
		snprintf(ej, sizeof(ej), "null");
	if (with_rid)
		snprintf(rj, sizeof(rj), "\"return_id\":\"%s\",", rid);
	snprintf(js, sizeof(js),
		 "{\"schema\":\"erp-receipt/1\",\"internal_id\":\"%s\",\"external_id\":%s,"
		 "\"ra\":{\"internal_id\":\"%s\",\"external_id\":\"%s\"},%s"
		 "\"created_at\":\"2026-11-05T10:00:00Z\",\"lines\":[{\"sku\":\"TEE\","
		 "\"quantity\":1,\"restock\":true}]}",
		 iid, ej, ra_iid, ra_ext, rj);
	snprintf(k, sizeof(k), "receipt:%s", iid);
	return lc_emit(t, "erp.receipt.created", k, js);
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

static void test_main(void)
{
	struct lc_test t;
	char err[2048];
	int rc = lc_start(&t, NULL, CONF_ON);
	is_int(rc, 0, "engine starts with receipt-to-loop on the fake portal");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}

	/* S11 "receipt first in NetSuite": the warehouse receipt processes the return */
	put_return(&t, "6301", "open");
	is_int(receipt_rec(&t, "812", NULL, "790", "loop-ra-6301", "6301", true), 1, "stored");
	ok(lc_wait_done(&t, "rtl", 1), "delivered");
	is_int(lc_count(&t, "rtl", "ok"), 1, "acknowledged");
	is_int(t.ctl->calls(t.fx, "portal.process", "6301"), 1, "portal.process(6301) called");
	is_int(t.ctl->calls(t.fx, "portal.get_return", "6301"), 1, "the return was read first");
	ok(state_is(&t, "6301", "closed"), "the fake processed it");
	is_int(lc_count(&t, "rtl", "returns_processed"), 1, "counter returns_processed");
	ok(lc_log_has(&t, "asked portal 'fake' to process return 6301: item receipt 812 was "
			  "entered in the ERP"), "the log names return and receipt");

	/* a second warehouse receipt on the same RA: the return is processed already */
	receipt_rec(&t, "813", NULL, "790", "loop-ra-6301", "6301", true);
	ok(lc_wait_done(&t, "rtl", 2), "second receipt delivered");
	is_int(t.ctl->calls(t.fx, "portal.process", NULL), 1, "no second process call");
	is_int(t.ctl->effects(t.fx, "portal.process"), 1, "one effect");
	is_int(lc_count(&t, "rtl", "already_final"), 1, "counted as already processed");

	/* S11 "processed in Loop first": Backhaul's own receipt never goes back */
	put_return(&t, "6302", "open");
	receipt_rec(&t, "814", "loop-ir-6302", "791", "loop-ra-6302", "6302", true);
	ok(lc_wait_done(&t, "rtl", 3), "own receipt delivered");
	is_int(t.ctl->calls(t.fx, "portal.get_return", "6302"), 0, "not even read");
	is_int(t.ctl->calls(t.fx, "portal.process", "6302"), 0, "not processed");
	is_int(lc_count(&t, "rtl", "own_receipts_skipped"), 1, "counter own_receipts_skipped");

	/* a warehouse receipt after the return was processed and closed in Loop */
	put_return(&t, "6303", "closed");
	receipt_rec(&t, "815", NULL, "792", "loop-ra-6303", "6303", true);
	ok(lc_wait_done(&t, "rtl", 4), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.process", "6303"), 0, "a closed return is not processed");
	ok(lc_log_has(&t, "return 6303 is already closed in portal 'fake'"), "the log says so");

	/* return id from the RA's external id */
	put_return(&t, "6304", "open");
	receipt_rec(&t, "816", NULL, "793", "loop-ra-6304", "6304", false);
	ok(lc_wait_done(&t, "rtl", 5), "delivered");
	ok(state_is(&t, "6304", "closed"), "return id taken from loop-ra-6304");

	/* a receipt on an RA that names no return */
	receipt_rec(&t, "817", NULL, "794", "RA-1234", "0", false);
	ok(lc_wait_done(&t, "rtl", 6), "delivered");
	is_int(lc_count(&t, "rtl", "dead"), 1, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "item receipt 817 is on return authorization 794 (external id RA-1234)") !=
		   NULL, "the reason names receipt and RA");

	/* a return in review waits, then is processed after the review */
	put_return(&t, "6305", "review");
	receipt_rec(&t, "818", NULL, "795", "loop-ra-6305", "6305", true);
	ok(lc_wait_done(&t, "rtl", 7), "delivered once");
	is_int(lc_count(&t, "rtl", "retried"), 1, "retried while in review");
	is_int(t.ctl->calls(t.fx, "portal.process", "6305"), 0, "not processed while in review");
	t.ctl->set(t.fx, "return", "6305", "state", "\"open\"");
	t.ctl->set(t.fx, "return", "6305", "flagged", "false");
	ok(lc_wait_done(&t, "rtl", 8), "delivered again after review_retry");
	ok(state_is(&t, "6305", "closed"), "processed after the review");

	/* the portal refuses (flagged in between): waits like a review */
	put_return(&t, "6306", "open");
	t.ctl->fault(t.fx, "portal.process", BH_EREJECT, "UNPROCESSABLE_FLAGGED_RETURN",
		     "Return is review and therefore cannot be processed.", 0, 1);
	receipt_rec(&t, "819", NULL, "796", "loop-ra-6306", "6306", true);
	ok(lc_wait_done(&t, "rtl", 10), "retried then delivered");
	is_int(lc_count(&t, "rtl", "retried"), 2, "a flagged refusal is a retry");
	ok(state_is(&t, "6306", "closed"), "processed on the next attempt");

	/* any other refusal: dead letter with the portal's code and message */
	put_return(&t, "6307", "open");
	t.ctl->fault(t.fx, "portal.process", BH_EREJECT, "UNPROCESSABLE_RETURN",
		     "Return is expired and therefore cannot be processed.", 0, 1);
	receipt_rec(&t, "820", NULL, "797", "loop-ra-6307", "6307", true);
	ok(lc_wait_done(&t, "rtl", 11), "delivered");
	is_int(lc_count(&t, "rtl", "dead"), 2, "dead-lettered");
	lc_dead_error(&t, err, sizeof(err));
	ok(strstr(err, "return 6307 (item receipt 820): process in portal 'fake': "
		       "UNPROCESSABLE_RETURN: Return is expired") != NULL,
	   "the reason names return, receipt, code and message");

	/* a timeout on the read: retried by backoff, then processed */
	put_return(&t, "6308", "open");
	t.ctl->fault(t.fx, "portal.get_return", BH_ERETRY, "", "timeout", 0, 2);
	receipt_rec(&t, "821", NULL, "798", "loop-ra-6308", "6308", true);
	ok(lc_wait_done(&t, "rtl", 14), "retried twice then delivered");
	ok(state_is(&t, "6308", "closed"), "processed");
	is_int(t.ctl->effects(t.fx, "portal.process"), 5, "five returns processed in all");
	lc_stop(&t);
}

static void test_full_receipt(void)
{
	struct lc_test t;
	int rc = lc_start(&t, NULL,
			  "[endpoint fake]\nplugin = lifecycle-fake\n\n"
			  "[flow rtl]\nplugin = receipt-to-loop\nsubscribe = erp.receipt.created\n"
			  "portal = fake\nerp = fake\nwait_for_full_receipt = true\n");
	is_int(rc, 0, "engine starts with wait_for_full_receipt");
	if (rc != 0) {
		lc_stop(&t);
		return;
	}
	put_return(&t, "6401", "open");
	put_ra(&t, "890", "6401", 2, 1);
	receipt_rec(&t, "830", NULL, "890", "loop-ra-6401", "6401", true);
	ok(lc_wait_done(&t, "rtl", 1), "partial receipt delivered");
	is_int(t.ctl->calls(t.fx, "portal.process", NULL), 0, "not processed on a partial receipt");
	is_int(lc_count(&t, "rtl", "partial_receipts"), 1, "counter partial_receipts");
	ok(lc_log_has(&t, "1 unit(s) still to receive"), "the log says how many are missing");
	put_ra(&t, "890", "6401", 2, 2);
	receipt_rec(&t, "831", NULL, "890", "loop-ra-6401", "6401", true);
	ok(lc_wait_done(&t, "rtl", 2), "last receipt delivered");
	is_int(t.ctl->calls(t.fx, "portal.process", "6401"), 1,
	       "processed once everything open is received (closed lines ignored)");
	lc_stop(&t);

	rc = lc_start(&t, NULL,
		      "[endpoint fake]\nplugin = lifecycle-fake\n\n"
		      "[flow rtl]\nplugin = receipt-to-loop\nsubscribe = erp.receipt.created\n"
		      "portal = fake\nwait_for_full_receipt = true\n");
	is_int(rc, BH_ECONFIG, "wait_for_full_receipt without erp is refused");
	ok(lc_log_has(&t, "wait_for_full_receipt = true needs erp"), "with a clear message");
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
	put_return(&t, "6301", "open");
	receipt_rec(&t, "812", NULL, "790", "loop-ra-6301", "6301", true);
	ok(lc_wait_done(&t, "rtl", 1), "delivered");
	is_int(t.ctl->calls(t.fx, "portal.process", NULL), 0, "nothing written");
	ok(state_is(&t, "6301", "open"), "return untouched");
	ok(lc_log_has(&t, "dry run: would ask portal 'fake' to process return 6301 (open)"),
	   "the log says what would be written");
	lc_stop(&t);
}

int main(void)
{
	if (!getenv("BH_PLUGIN_PATH"))
		skip_all("BH_PLUGIN_PATH is not set (run through make check)");
	test_main();
	test_full_receipt();
	test_dry_run();
	return done_testing();
}
