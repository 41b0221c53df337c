/*
 * scenario.h - the story every return scenario of tests/e2e/ tells (header-only, used by
 * the scenario programs next to tap.h): the shopper returns, the RA lands on the sales
 * order, the warehouse and Loop process it, the refund or credit document lands on the
 * RA, and the ledger of the return matches shared/SCENARIOS.md to the cent.
 *
 * Ownership: results are copied into the caller's struct. Threading: single-threaded.
 */
#ifndef BH_E2E_SCENARIO_H
#define BH_E2E_SCENARIO_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "e2e.h"
#include "tap.h"

/* tap.h counts per translation unit: the harness reports through this program's ok. */
__attribute__((unused)) static int scn_tap_ok(int pass, const char *msg)
{
	return ok(pass, "%s", msg);
}

struct scn_return {
	const char *what;               /* "S1" */
	const char *lines;              /* "0:1" order line index:quantity */
	const char *outcome;            /* refund, credit, exchange, gift_card */
	const char *extra;              /* extra Loop members, or NULL */
	const char *ra_lines;           /* e2e_expect_lines spec of the RA */
	const char *ra_total;           /* "43.20" */
	const char *doc_total;          /* the refund/credit document's total */
	const char *doc_lines;          /* its lines (e2e_expect_lines), NULL: the RA's */
	const char *gl;                 /* the return's ledger (e2e_gl_expect) */
	/* filled in */
	char rid[32];
	int64_t ra_id, doc_id;
	char doc_type[32];
};

struct scn_doc_arg {
	const char *rid;
	char *type;
	json_object *doc;
};

__attribute__((unused)) static bool scn_doc_exists(struct e2e *t, void *arg)
{
	struct scn_doc_arg *a = arg;
	char eid[64];
	snprintf(eid, sizeof(eid), "loop-cr-%s", a->rid);
	if ((a->doc = e2e_ns_get(t, "cashRefund", eid)) != NULL) {
		snprintf(a->type, 32, "cashRefund");
		return true;
	}
	snprintf(eid, sizeof(eid), "loop-cm-%s", a->rid);
	if ((a->doc = e2e_ns_get(t, "creditMemo", eid)) != NULL) {
		snprintf(a->type, 32, "creditMemo");
		return true;
	}
	return false;
}

/* The refund or credit document of return rid, whichever the flow chose (cash refund
 * loop-cr-<rid> or credit memo loop-cm-<rid>), waiting for it; NULL at the deadline. */
__attribute__((unused)) static json_object *scn_wait_doc(struct e2e *t, const char *rid,
							  char type[32])
{
	struct scn_doc_arg a = {rid, type, NULL};
	type[0] = '\0';
	e2e_wait(t, E2E_WAIT_MS, scn_doc_exists, &a);
	return a.doc;
}

/* How many refund/credit documents exist for rid (both types). */
__attribute__((unused)) static int scn_doc_count(struct e2e *t, const char *rid)
{
	char cr[64], cm[64];
	snprintf(cr, sizeof(cr), "loop-cr-%s", rid);
	snprintf(cm, sizeof(cm), "loop-cm-%s", rid);
	return e2e_ns_count(t, "cashRefund", cr) + e2e_ns_count(t, "creditMemo", cm);
}

/* Place the return, check the RA. Returns true when the RA exists. */
__attribute__((unused)) static bool scn_return_ra(struct e2e *t, struct e2e_order *o,
						   struct scn_return *s)
{
	char eid[64];
	long code = e2e_return_place(t, s->rid, o, s->lines, s->outcome, s->extra, NULL);
	if (!is_int(code, 200, "%s: the shopper opens return %s in Loop (%s)", s->what, s->rid,
		    s->outcome))
		return false;
	snprintf(eid, sizeof(eid), "loop-ra-%s", s->rid);
	json_object *ra = e2e_ns_wait(t, "returnAuthorization", eid, E2E_WAIT_MS);
	if (!ok(ra != NULL, "%s: RA %s written", s->what, eid))
		return false;
	s->ra_id = e2e_int(ra, "internal_id", 0);
	is_int(e2e_int(ra, "created_from", 0), o->so_id, "%s: RA created from sales order %" PRId64,
	       s->what, o->so_id);
	e2e_expect_lines(t, s->what, ra, s->ra_lines);
	is_int(e2e_cents(ra, "total"), e2e_money(s->ra_total), "%s: RA total %s", s->what,
	       s->ra_total);
	json_object_put(ra);
	return true;
}

/* Process in Loop; check the receipt, the document, the RA's end state, the ledger.
 * expect_receipt: whether the engine writes loop-ir-<rid> (false when the warehouse
 * received in NetSuite). */
__attribute__((unused)) static void scn_refund(struct e2e *t, struct e2e_order *o,
						struct scn_return *s, bool process_in_loop,
						bool expect_receipt)
{
	char eid[64];
	if (process_in_loop)
		e2e_loop_process(t, s->what, s->rid);
	json_object *doc = scn_wait_doc(t, s->rid, s->doc_type);
	if (!ok(doc != NULL, "%s: refund/credit document written for return %s", s->what, s->rid))
		return;
	s->doc_id = e2e_int(doc, "internal_id", 0);
	diag("%s: the flow wrote a %s", s->what, s->doc_type);
	is_int(e2e_cents(doc, "total"), e2e_money(s->doc_total), "%s: %s total %s", s->what,
	       s->doc_type, s->doc_total);
	is_int(e2e_int(doc, "created_from", 0), s->ra_id, "%s: %s created from the RA", s->what,
	       s->doc_type);
	char what[64];
	snprintf(what, sizeof(what), "%s %s", s->what, s->doc_type);
	e2e_expect_lines(t, what, doc, s->doc_lines ? s->doc_lines : s->ra_lines);
	json_object_put(doc);
	snprintf(eid, sizeof(eid), "loop-ir-%s", s->rid);
	if (expect_receipt)
		is_int(e2e_ns_count(t, "itemReceipt", eid), 1, "%s: one item receipt %s", s->what,
		       eid);
	/* the receipt restocks every returned unit (the RA's positive lines) */
	json_object *irs = NULL;
	char path[128];
	snprintf(path, sizeof(path), "/control/netsuite/records?type=itemReceipt&createdFrom=%" PRId64,
		 s->ra_id);
	e2e_ctl(t, "GET", path, NULL, &irs);
	json_object *ir = e2e_get(irs, "records.0");
	char *spec = strdup(s->ra_lines), *save = NULL;
	for (char *it = strtok_r(spec, ";", &save); ir && it; it = strtok_r(NULL, ";", &save)) {
		char sku[64], amount[32];
		int qty = 0;
		if (sscanf(it, "%63[^:]:%d:%31[^:]", sku, &qty, amount) != 3 || amount[0] == '-')
			continue;
		is_int(e2e_int(e2e_line(ir, sku), "quantity", 0), qty, "%s: the receipt restocks %d %s",
		       s->what, qty, sku);
	}
	free(spec);
	json_object_put(irs);
	snprintf(eid, sizeof(eid), "loop-ra-%s", s->rid);
	ok(e2e_wait_ns_status(t, "returnAuthorization", eid, "Refunded", E2E_WAIT_MS),
	   "%s: RA ends Refunded", s->what);
	is_str(e2e_loop_state(t, s->rid), "closed", "%s: the Loop return is closed", s->what);
	snprintf(what, sizeof(what), "%s ledger", s->what);
	e2e_gl_expect(t, what, o->id, s->ra_id, s->gl);
	is_int(e2e_ns_count(t, "returnAuthorization", eid), 1, "%s: exactly one RA", s->what);
	is_int(scn_doc_count(t, s->rid), 1, "%s: exactly one refund/credit document", s->what);
}


/* The frame of every scenario program. scn_begin (after e2e_setup and the caller's
 * flags): start the engine; false (teardown done) when it does not start. scn_end: the dead letters left must be exactly want_dead,
 * then the TAP plan and teardown (the directory is kept when something failed). */
__attribute__((unused)) static bool scn_begin(struct e2e *t)
{
	if (!ok(e2e_engine_start(t) == 0, "the engine starts with every endpoint and flow (%s)",
		t->erp)) {
		e2e_teardown(t, true);
		return false;
	}
	return true;
}

__attribute__((unused)) static int scn_end(struct e2e *t, int64_t t0, int want_dead,
					   const char *what)
{
	e2e_expect_dead(t, want_dead, what);
	diag("%s: %.1f s", t->erp, (double)(tap_mono_ms() - t0) / 1000.0);
	int rc = done_testing();
	e2e_teardown(t, rc != 0);
	return rc;
}

#endif
