/*
 * crash.c - S16 duplicates and crashes (shared/SCENARIOS.md): the same Loop webhook
 * delivered three times (Loop's duplicate delivery plus a byte-identical retry), the same
 * return seen again by the poll, and a kill -9 of the engine between each NetSuite write
 * and its outbox acknowledgement: still exactly one RA, one receipt, one refund, and
 * the S1 ledger.
 *
 * The crash point is found by fault injection: every NetSuite answer is held 700 ms
 * after the request took effect ({"timeout_processed": true}); the test watches the
 * simulator for the new record and kills the engine while the engine still waits for
 * that answer, then restarts it on the same state directory.
 * Built twice: netsuite-soap and netsuite-rest.
 *
 * Ownership: one harness per run. Threading: single-threaded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static struct e2e T;

/* Wait for record type/eid to appear, then kill -9 the engine at once and restart it.
 * Returns true when the record appeared (the kill then fell inside the held answer). */
static bool kill_after_write(const char *what, const char *type, const char *eid)
{
	json_object *r = e2e_ns_wait(&T, type, eid, E2E_WAIT_MS);
	if (r)
		e2e_engine_kill(&T);
	if (!ok(r != NULL, "S16: %s: %s %s written, engine killed -9 before the answer", what, type,
		eid)) {
		return false;
	}
	json_object_put(r);
	ok(e2e_engine_start(&T) == 0, "S16: %s: the engine restarts on the same outbox", what);
	return true;
}

int main(void)
{
	int64_t t0 = tap_mono_ms();
	struct e2e_order o;
	char eid[80];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	e2e_setup(&T, E2E_ERP, scn_tap_ok);
	if (!scn_begin(&T))
		return done_testing();
	diag("S16 - duplicates and crashes");
	if (!ok(e2e_order_place(&T, &o, 16, lines, 1, "5.00", NULL) == 0, "S16: order %s placed", o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S16: sales order in NetSuite, billed")) {
		e2e_teardown(&T, true);
		return done_testing();
	}
	ok(e2e_ctl(&T, "POST", "/control/loop/settings", "{\"webhook_dup\":true}", NULL) == 200,
	   "S16: Loop delivers every webhook twice");
	ok(e2e_ctl(&T, "POST", "/control/faults",
		   "{\"service\":\"netsuite\",\"operation\":\"*\",\"rate_timeout\":1,"
		   "\"timeout_ms\":700,\"timeout_processed\":true}",
		   NULL) == 200,
	   "S16: every NetSuite answer is held 700 ms after it took effect");

	struct scn_return s = {
		.what = "S16", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	is_int(e2e_return_place(&T, s.rid, &o, s.lines, s.outcome, NULL, NULL), 200,
	       "S16: return %s opened in Loop", s.rid);
	json_object *hooks = NULL;
	e2e_ctl(&T, "GET", "/control/webhooks?wait_ms=10000", NULL, &hooks);
	json_object_put(hooks);
	is_int(e2e_loop_redeliver(&T, s.rid, "return.created"), 200,
	       "S16: the same return.created webhook a third time, byte for byte");
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	kill_after_write("RA", "returnAuthorization", eid);
	/* the poll sees the same return again */
	e2e_sync(&T, "loop");

	e2e_loop_process(&T, "S16", s.rid);
	snprintf(eid, sizeof(eid), "loop-ir-%s", s.rid);
	kill_after_write("receipt", "itemReceipt", eid);
	snprintf(eid, sizeof(eid), "loop-cr-%s", s.rid);
	kill_after_write("refund", "cashRefund", eid);

	ok(e2e_ctl(&T, "DELETE", "/control/faults", NULL, NULL) == 200, "S16: NetSuite answers at once again");
	e2e_settle(&T, E2E_WAIT_MS, false);
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	json_object *ra = e2e_ns_get(&T, "returnAuthorization", eid);
	s.ra_id = e2e_int(ra, "internal_id", 0);
	if (ra)
		e2e_expect_lines(&T, "S16", ra, s.ra_lines);
	json_object_put(ra);
	scn_refund(&T, &o, &s, false, true);
	is_int(e2e_ns_count_from(&T, "returnAuthorization", o.so_id), 1, "S16: one RA on the sales order");
	is_int(e2e_ns_count_from(&T, "itemReceipt", s.ra_id), 1, "S16: one receipt on the RA");
	is_int(e2e_ns_count_from(&T, "cashRefund", s.ra_id) + e2e_ns_count_from(&T, "creditMemo", s.ra_id),
	       1, "S16: one refund on the RA");
	/* the kills fell between write and ack: the restarted engine met each document */
	snprintf(eid, sizeof(eid), "loop-ra-%s already existed", s.rid);
	ok(e2e_log_has(&T, eid, NULL), "S16: after the first kill the RA was found written (created:false)");
	ok(e2e_log_has(&T, s.rid, "already has a receipt"),
	   "S16: after the second kill the receipt was found written (no second receipt)");
	snprintf(eid, sizeof(eid), "loop-cr-%s already existed", s.rid);
	ok(e2e_log_has(&T, eid, NULL), "S16: after the third kill the refund was found written");
	e2e_idempotent_sync(&T, "S16");
	e2e_expect_dead(&T, 0, "S16: no dead letters");
	diag("%s: %.1f s, %d engine starts", T.erp, (double)(tap_mono_ms() - t0) / 1000.0,
	     T.engine_starts);
	int rc = done_testing();
	e2e_teardown(&T, rc != 0);
	return rc;
}
