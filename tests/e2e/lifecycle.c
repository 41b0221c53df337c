/*
 * lifecycle.c - end-to-end scenarios of the return's life between Loop and NetSuite
 * (shared/SCENARIOS.md): S8 cancelled in Loop before receipt (setting on and off), S9
 * RA closed in NetSuite (on and off), S10 the manual review flag (re-flagged every cycle
 * while set, processing continues once cleared), S11 receipt first in NetSuite or first
 * in Loop (no second receipt, no bounce-back), S12 "create RA and item receipt on
 * refund".
 *
 * The NetSuite side is polled (the ERP change feed): the test runs `sync --now` after
 * each operator or warehouse action in NetSuite. The engine is restarted with other
 * settings between parts (same state directory, same simulators).
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
static int customer = 800;

#define S1_GL                                                                              \
	"Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;Inventory=15.00;"  \
	"Cost of Goods Sold=-15.00"

/* An S1 order (TEE-BLK-M 40.00 + 3.20, shipping 5.00) billed as a cash sale, and an
 * open return with its RA. Returns false when a step failed. */
static bool sold_and_returned(const char *what, struct e2e_order *o, struct scn_return *s)
{
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	if (!ok(e2e_order_place(&T, o, ++customer, lines, 1, "5.00", NULL) == 0, "%s: order %s placed",
		what, o->name) ||
	    !ok(e2e_order_sync(&T, o, "cash_sale") == 0, "%s: sales order in NetSuite, billed", what))
		return false;
	memset(s, 0, sizeof(*s));
	s->what = what;
	s->lines = "0:1";
	s->outcome = "refund";
	s->ra_lines = "TEE-BLK-M:1:40.00:3.20";
	s->ra_total = "43.20";
	s->doc_total = "43.20";
	s->gl = S1_GL;
	return scn_return_ra(&T, o, s);
}

static long ns_ra(struct scn_return *s, const char *action, const char *body)
{
	char path[160];
	json_object *r = NULL;
	snprintf(path, sizeof(path), "/control/netsuite/ra/%" PRId64 "/%s", s->ra_id, action);
	long code = e2e_ctl(&T, "POST", path, body ? body : "{}", &r);
	if (code != 200)
		diag("%s: NetSuite %s refused: %ld %s", s->what, action, code,
		     r ? json_object_to_json_string(r) : "");
	json_object_put(r);
	return code;
}

static long loop_action(const char *rid, const char *action)
{
	char path[160];
	snprintf(path, sizeof(path), "/control/loop/returns/%s/%s", rid, action);
	return e2e_ctl(&T, "POST", path, "{}", NULL);
}

static bool restart(const char *why)
{
	e2e_engine_stop(&T);
	return ok(e2e_engine_start(&T) == 0, "the engine restarts %s", why);
}

/* ------------------------------------------------------------------ S10 */

static void s10(void)
{
	struct e2e_order o;
	struct scn_return s;
	diag("S10 - manual review flag");
	if (!sold_and_returned("S10", &o, &s))
		return;
	is_int(ns_ra(&s, "flag", "{\"value\":true}"), 200, "S10: the operator ticks the RA flag");
	e2e_sync(&T, "netsuite");
	ok(e2e_wait_loop_state(&T, s.rid, "review", E2E_WAIT_MS),
	   "S10: the Loop return is flagged for review");
	is_int(e2e_counter(&T, "review-flag", "returns_flagged"), 1, "S10: flagged once");
	/* Loop's reviewer puts it back to open; the field is still set: flagged again */
	is_int(loop_action(s.rid, "unflag"), 200, "S10: the reviewer returns it to open in Loop");
	is_str(e2e_loop_state(&T, s.rid), "open", "S10: open again in Loop");
	e2e_sync(&T, "netsuite");
	ok(e2e_wait_loop_state(&T, s.rid, "review", E2E_WAIT_MS),
	   "S10: re-flagged on the next cycle while the field is set");
	is_int(e2e_counter(&T, "review-flag", "returns_flagged"), 2, "S10: flagged twice");
	/* clearing the field lets processing continue */
	is_int(ns_ra(&s, "flag", "{\"value\":false}"), 200, "S10: the operator clears the flag");
	is_int(loop_action(s.rid, "unflag"), 200, "S10: the reviewer returns it to open");
	e2e_sync(&T, "netsuite");
	is_str(e2e_loop_state(&T, s.rid), "open", "S10: not flagged again once the field is clear");
	is_int(e2e_counter(&T, "review-flag", "returns_flagged"), 2, "S10: no third flag");
	scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S10");
	is_str(e2e_loop_state(&T, s.rid), "closed", "S10: the return stays closed");
}

/* ------------------------------------------------------------------ S11 */

static void s11_netsuite_first(void)
{
	struct e2e_order o;
	struct scn_return s;
	char eid[80];
	diag("S11 - received in NetSuite first");
	if (!sold_and_returned("S11/ns", &o, &s))
		return;
	loop_action(s.rid, "label_shipped");
	is_int(ns_ra(&s, "receive", "{\"restock\":true}"), 200,
	       "S11/ns: the warehouse receives the RA in NetSuite");
	e2e_sync(&T, "netsuite");
	ok(e2e_wait_loop_state(&T, s.rid, "closed", E2E_WAIT_MS),
	   "S11/ns: the NetSuite receipt processed the Loop return (Loop closed it)");
	scn_refund(&T, &o, &s, false, false);
	snprintf(eid, sizeof(eid), "loop-ir-%s", s.rid);
	is_int(e2e_ns_count(&T, "itemReceipt", eid), 0, "S11/ns: the engine wrote no receipt of its own");
	is_int(e2e_ns_count_from(&T, "itemReceipt", s.ra_id), 1, "S11/ns: one receipt on the RA");
	e2e_idempotent_sync(&T, "S11/ns");
	is_int(e2e_ns_count_from(&T, "itemReceipt", s.ra_id), 1, "S11/ns: still one receipt");
}

static int deliveries(const char *rid, const char *trigger)
{
	json_object *r = NULL;
	int n = -1;
	if (e2e_ctlf(&T, "GET", &r, "/control/loop/deliveries?trigger=%s&return_id=%s", trigger,
		     rid) == 200 && e2e_get(r, "deliveries"))
		n = (int)json_object_array_length(e2e_get(r, "deliveries"));
	json_object_put(r);
	return n;
}

static void s11_loop_first(void)
{
	struct e2e_order o;
	struct scn_return s;
	diag("S11 - processed in Loop first");
	if (!sold_and_returned("S11/loop", &o, &s))
		return;
	int64_t skipped = e2e_counter(&T, "receipt-to-loop", "own_receipts_skipped");
	scn_refund(&T, &o, &s, true, true);
	/* the ERP feed now reports the engine's own receipt: it must not bounce back */
	e2e_sync(&T, "netsuite");
	e2e_sync(&T, NULL);
	ok(e2e_counter(&T, "receipt-to-loop", "own_receipts_skipped") > skipped,
	   "S11/loop: the engine's own receipt is recognised and skipped");
	is_int(deliveries(s.rid, "return.closed"), 1, "S11/loop: Loop closed the return once");
	is_int(deliveries(s.rid, "return.processing.failed"), 0, "S11/loop: no processing attempt bounced");
	is_str(e2e_loop_state(&T, s.rid), "closed", "S11/loop: the return stays closed");
	is_int(e2e_ns_count_from(&T, "itemReceipt", s.ra_id), 1, "S11/loop: one receipt on the RA");
	e2e_idempotent_sync(&T, "S11/loop");
}

/* ------------------------------------------------------------------ S8 */

static void s8(bool on)
{
	struct e2e_order o;
	struct scn_return s;
	char eid[80];
	const char *what = on ? "S8/on" : "S8/off";
	diag("S8 - cancelled in Loop before receipt, close_ra_on_cancel = %s", on ? "true" : "false");
	if (!sold_and_returned(what, &o, &s))
		return;
	int64_t left = e2e_counter(&T, "return-cancel", "ra_left_open");
	is_int(loop_action(s.rid, "cancel"), 200, "%s: the shopper cancels in Loop", what);
	ok(e2e_wait_loop_state(&T, s.rid, "cancelled", E2E_WAIT_MS), "%s: cancelled in Loop", what);
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	if (on) {
		ok(e2e_wait_ns_status(&T, "returnAuthorization", eid, "Closed", E2E_WAIT_MS),
		   "S8/on: the RA is closed");
		json_object *ra = e2e_ns_get(&T, "returnAuthorization", eid);
		json_object *lines = e2e_get(ra, "lines");
		bool all = lines && json_object_array_length(lines) > 0;
		for (size_t i = 0; lines && i < json_object_array_length(lines); i++)
			if (!json_object_get_boolean(e2e_get(json_object_array_get_idx(lines, i), "is_closed")))
				all = false;
		ok(all, "S8/on: every RA line is closed");
		json_object_put(ra);
	} else {
		e2e_settle(&T, E2E_WAIT_MS, true);
		json_object *ra = e2e_ns_get(&T, "returnAuthorization", eid);
		const char *st = e2e_str(ra, "status");
		ok(st && strcmp(st, "Closed") != 0, "S8/off: the RA is left as it is (%s)", st ? st : "?");
		ok(!json_object_get_boolean(e2e_get(ra, "lines.0.is_closed")), "S8/off: its line stays open");
		json_object_put(ra);
		is_int(e2e_counter(&T, "return-cancel", "ra_left_open") - left, 1,
		       "S8/off: the flow counts the RA left open");
		ok(e2e_log_has(&T, s.rid, "cancelled in the portal"),
		   "S8/off: the sync log says the return was cancelled and the RA left open");
	}
	e2e_idempotent_sync(&T, what);
	snprintf(eid, sizeof(eid), "loop-ir-%s", s.rid);
	is_int(e2e_ns_count_from(&T, "itemReceipt", s.ra_id), 0, "%s: no receipt", what);
	is_int(scn_doc_count(&T, s.rid), 0, "%s: no refund", what);
}

/* ------------------------------------------------------------------ S9 */

static void s9(bool on)
{
	struct e2e_order o;
	struct scn_return s;
	const char *what = on ? "S9/on" : "S9/off";
	diag("S9 - RA closed in NetSuite, cancel_return_on_ra_close = %s", on ? "true" : "false");
	if (!sold_and_returned(what, &o, &s))
		return;
	int64_t left = e2e_counter(&T, "ra-cancel", "return_left_open");
	is_int(ns_ra(&s, "close", NULL), 200, "%s: the operator closes the RA in NetSuite", what);
	e2e_sync(&T, "netsuite");
	if (on) {
		ok(e2e_wait_loop_state(&T, s.rid, "cancelled", E2E_WAIT_MS),
		   "S9/on: the Loop return is cancelled");
	} else {
		is_str(e2e_loop_state(&T, s.rid), "open", "S9/off: the Loop return stays open");
		is_int(e2e_counter(&T, "ra-cancel", "return_left_open") - left, 1,
		       "S9/off: the flow counts the return left open");
	}
	e2e_idempotent_sync(&T, what);
	is_str(e2e_loop_state(&T, s.rid), on ? "cancelled" : "open", "%s: Loop state unchanged by a second cycle", what);
}

/* ------------------------------------------------------------------ S12 */

static void s12(void)
{
	struct e2e_order o;
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	char eid[80];
	diag("S12 - create RA and item receipt on refund");
	if (!ok(e2e_order_place(&T, &o, ++customer, lines, 1, "5.00", NULL) == 0, "S12: order %s placed",
		o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S12: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {.what = "S12", .lines = "0:1", .outcome = "refund",
			       .ra_lines = "TEE-BLK-M:1:40.00:3.20", .ra_total = "43.20",
			       .doc_total = "43.20", .gl = S1_GL};
	is_int(e2e_return_place(&T, s.rid, &o, s.lines, s.outcome, NULL, NULL), 200,
	       "S12: return %s opened in Loop", s.rid);
	e2e_settle(&T, E2E_WAIT_MS, true);
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S12: nothing written when the return is created");
	e2e_loop_process(&T, "S12", s.rid);
	json_object *ra = e2e_ns_wait(&T, "returnAuthorization", eid, E2E_WAIT_MS);
	if (!ok(ra != NULL, "S12: the refund created the RA"))
		return;
	s.ra_id = e2e_int(ra, "internal_id", 0);
	is_int(e2e_int(ra, "created_from", 0), o.so_id, "S12: RA created from the sales order");
	e2e_expect_lines(&T, "S12", ra, s.ra_lines);
	json_object_put(ra);
	scn_refund(&T, &o, &s, false, true);
	e2e_idempotent_sync(&T, "S12");
}

int main(void)
{
	int64_t t0 = tap_mono_ms();
	e2e_setup(&T, E2E_ERP, scn_tap_ok);
	if (!scn_begin(&T))
		return done_testing();
	s10();
	s11_netsuite_first();
	s11_loop_first();
	s8(true);
	s9(true);
	T.flags.keep_ra_on_cancel = true;
	T.flags.keep_return_on_ra_close = true;
	if (restart("with close_ra_on_cancel and cancel_return_on_ra_close off")) {
		s8(false);
		s9(false);
	}
	T.flags.keep_ra_on_cancel = false;
	T.flags.keep_return_on_ra_close = false;
	T.flags.create_on_refund = true;
	if (restart("with create_on_refund on"))
		s12();
	return scn_end(&T, t0, 0, "no dead letters");
}
