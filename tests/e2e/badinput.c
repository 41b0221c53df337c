/*
 * badinput.c - end-to-end handling of bad input (shared/SCENARIOS.md S14, S15 and the
 * reconciliation rule of sdk/RECORDS.md):
 *   - S14 an order line whose SKU is not an item in NetSuite: the sales order is
 *     dead-lettered naming the SKU and the SKU field, nothing partial is written, and the
 *     return that comes meanwhile waits; once the item exists, `backhaul dead replay`
 *     of the exact id the dead letter shows writes the order and the return follows.
 *   - S14 on the RA: the fee item the return needs is unknown; nothing partial; the
 *     replay succeeds after the item is created.
 *   - S15 a return arriving before its order (the order only comes with the Shopify
 *     poll): it retries, is never dead-lettered, and lands once the order synced.
 *   - Loop totals that do not reconcile with their lines: rejected with both figures.
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

/* The dead letter whose list entry mentions needle: its id (FLOW/SEQ) and message. */
static bool find_dead(const char *needle, char id[64], char msg[512])
{
	char *out = e2e_dead_list(&T, NULL);
	bool found = false;
	id[0] = msg[0] = '\0';
	for (char *line = out ? strtok(out, "\n") : NULL; line && !found; line = strtok(NULL, "\n")) {
		if (line[0] == ' ' || !strchr(line, '/'))
			continue;
		char *next = strtok(NULL, "\n");
		if (strstr(line, needle) || (next && strstr(next, needle))) {
			sscanf(line, "%63s", id);
			snprintf(msg, 512, "%s", next ? next + strspn(next, " ") : "");
			found = true;
		}
	}
	free(out);
	return found;
}

static bool has_icase(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

static int64_t flow_stat(const char *flow, const char *key)
{
	json_object *s = e2e_status(&T), *insts = e2e_get(s, "instances");
	int64_t v = -1;
	for (size_t i = 0; insts && i < json_object_array_length(insts); i++) {
		json_object *in = json_object_array_get_idx(insts, i);
		if (e2e_str(in, "name") && strcmp(e2e_str(in, "name"), flow) == 0)
			v = e2e_int(in, key, -1);
	}
	json_object_put(s);
	return v;
}

/* ------------------------------------------------------------------ S14 on the order */

static void s14_order(void)
{
	struct e2e_order o;
	char eid[80], id[64], msg[512], out_id[64];
	static const struct e2e_line_spec lines[] = {{"TEE-NEW-S", 1, "40.00", NULL, "3.20"}};
	diag("S14 - an order line whose SKU is not in NetSuite (and its return waits: S15)");
	if (!ok(e2e_order_place(&T, &o, 14, lines, 1, "5.00", NULL) == 0, "S14: order %s placed", o.name))
		return;
	e2e_settle(&T, E2E_WAIT_MS, true);
	bool dead = find_dead(o.name, id, msg) || find_dead(o.id, id, msg);
	if (!ok(dead, "S14: the order is dead-lettered"))
		return;
	snprintf(out_id, sizeof(out_id), "%s", id);
	diag("S14: %s: %s", id, msg);
	ok(strncmp(id, "sales-order/", 12) == 0, "S14: by the sales-order flow");
	ok(strstr(msg, "TEE-NEW-S") != NULL, "S14: the reason names the SKU");
	ok(has_icase(msg, "itemid"), "S14: the reason names the SKU field (itemId)");
	snprintf(eid, sizeof(eid), "shopify-order-%s", o.id);
	is_int(e2e_ns_count(&T, "salesOrder", eid), 0, "S14: nothing partial: no sales order");
	json_object *c = NULL;
	e2e_ctl(&T, "GET", "/control/netsuite/customers?email=shopper14%40example.com", NULL, &c);
	is_int(e2e_get(c, "customers") ? (long long)json_object_array_length(e2e_get(c, "customers")) : -1,
	       0, "S14: nothing partial: no customer either");
	json_object_put(c);

	/* the shopper returns it meanwhile: the RA waits for the order (S15) */
	struct scn_return s = {
		.what = "S14", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-NEW-S:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;"
		      "Inventory=16.00;Cost of Goods Sold=-16.00"};
	is_int(e2e_return_place(&T, s.rid, &o, "0:1", "refund", NULL, NULL), 200,
	       "S14: the shopper opens return %s", s.rid);
	int64_t retried = flow_stat("return-authorization", "retried");
	e2e_settle(&T, E2E_WAIT_MS, true);
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S14: no RA while the order is missing");
	ok(!find_dead(s.rid, id, msg), "S14: the return is not dead-lettered: it waits for its order");

	/* the operator creates the item, then replays the exact dead letter */
	ok(e2e_ctl(&T, "POST", "/control/netsuite/items",
		   "{\"items\":[{\"sku\":\"TEE-NEW-S\",\"name\":\"New Tee S\",\"type\":\"inventory\","
		   "\"cost\":\"16.00\",\"price\":\"40.00\",\"tax_rate\":\"8%\"}]}",
		   NULL) == 200,
	   "S14: the item TEE-NEW-S is created in NetSuite");
	char *out = NULL;
	int ex = e2e_cli(&T, &out, "dead", "replay", out_id);
	is_int(ex, 0, "S14: backhaul dead replay %s", out_id);
	ok(out && strstr(out, "replayed 1"), "S14: one dead letter replayed");
	free(out);
	if (!ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S14: the replay wrote the sales order"))
		return;
	json_object *ra = e2e_ns_wait(&T, "returnAuthorization", eid, E2E_WAIT_MS);
	ok(ra != NULL, "S14/S15: the waiting return got its RA once the order was there");
	ok(flow_stat("return-authorization", "retried") > retried, "S15: the RA flow retried meanwhile");
	s.ra_id = e2e_int(ra, "internal_id", 0);
	if (ra)
		e2e_expect_lines(&T, "S14", ra, s.ra_lines);
	json_object_put(ra);
	if (s.ra_id)
		scn_refund(&T, &o, &s, true, true);
	ok(!find_dead(out_id, id, msg), "S14: the dead letter is gone");
	e2e_idempotent_sync(&T, "S14");
}

/* ------------------------------------------------------------------ S14 on the RA */

static void s14_fee(void)
{
	struct e2e_order o;
	char eid[80], id[64], msg[512];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("S14 - the RA needs an item NetSuite does not have (fee item HANDLING-FEE)");
	if (!ok(e2e_order_place(&T, &o, 140, lines, 1, "5.00", NULL) == 0, "S14/fee: order %s placed",
		o.name) ||
	    !ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S14/fee: sales order in NetSuite, billed"))
		return;
	struct scn_return s = {
		.what = "S14/fee", .lines = "0:1", .outcome = "refund",
		.extra = "\"handling_fee\":\"5.00\"",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20;HANDLING-FEE:1:-5.00", .ra_total = "38.20",
		.doc_total = "38.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Restocking Fee Income=-5.00;"
		      "Payment Clearing=-38.20;Inventory=15.00;Cost of Goods Sold=-15.00"};
	is_int(e2e_return_place(&T, s.rid, &o, s.lines, s.outcome, s.extra, NULL), 200,
	       "S14/fee: return %s opened with a 5.00 handling fee", s.rid);
	e2e_settle(&T, E2E_WAIT_MS, true);
	if (!ok(find_dead(s.rid, id, msg), "S14/fee: the return is dead-lettered"))
		return;
	diag("S14/fee: %s: %s", id, msg);
	ok(strstr(msg, "HANDLING-FEE") != NULL, "S14/fee: the reason names the SKU");
	ok(has_icase(msg, "itemid"), "S14/fee: the reason names the SKU field");
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S14/fee: nothing partial: no RA");
	ok(e2e_ctl(&T, "POST", "/control/netsuite/items",
		   "{\"items\":[{\"sku\":\"HANDLING-FEE\",\"name\":\"Handling fee\",\"type\":\"fee\","
		   "\"account\":\"Restocking Fee Income\"}]}",
		   NULL) == 200,
	   "S14/fee: the fee item is created in NetSuite");
	is_int(e2e_cli(&T, NULL, "dead", "replay", id), 0, "S14/fee: backhaul dead replay %s", id);
	json_object *ra = e2e_ns_wait(&T, "returnAuthorization", eid, E2E_WAIT_MS);
	if (!ok(ra != NULL, "S14/fee: the replay wrote the RA"))
		return;
	s.ra_id = e2e_int(ra, "internal_id", 0);
	e2e_expect_lines(&T, "S14/fee", ra, s.ra_lines);
	json_object_put(ra);
	scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S14/fee");
}

/* ------------------------------------------------------------------ S15 */

static void s15(struct e2e_order *o_out, char rid_out[32])
{
	struct e2e_order o;
	char eid[80], id[64], msg[512];
	static const struct e2e_line_spec lines[] = {{"TEE-BLK-M", 1, "40.00", NULL, "3.20"}};
	diag("S15 - the return arrives before its order (the order only comes by the poll)");
	ok(e2e_shopify_webhooks(&T, false) == 0, "S15: Shopify's webhooks to the engine are off");
	if (!ok(e2e_order_place(&T, &o, 15, lines, 1, "5.00", NULL) == 0, "S15: order %s placed", o.name))
		return;
	struct scn_return s = {
		.what = "S15", .lines = "0:1", .outcome = "refund",
		.ra_lines = "TEE-BLK-M:1:40.00:3.20", .ra_total = "43.20", .doc_total = "43.20",
		.gl = "Sales Returns=40.00;Sales Tax Payable=3.20;Payment Clearing=-43.20;"
		      "Inventory=15.00;Cost of Goods Sold=-15.00"};
	is_int(e2e_return_place(&T, s.rid, &o, s.lines, s.outcome, NULL, NULL), 200,
	       "S15: return %s opened in Loop (webhook)", s.rid);
	int64_t retried = flow_stat("return-authorization", "retried");
	e2e_settle(&T, E2E_WAIT_MS, true);
	snprintf(eid, sizeof(eid), "shopify-order-%s", o.id);
	is_int(e2e_ns_count(&T, "salesOrder", eid), 0, "S15: the order is not in NetSuite yet");
	snprintf(eid, sizeof(eid), "loop-ra-%s", s.rid);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "S15: no RA yet");
	ok(!find_dead(s.rid, id, msg), "S15: the return is not dead-lettered");
	ok(flow_stat("return-authorization", "retried") > retried, "S15: it is being retried");
	e2e_sync(&T, "shopify");
	ok(e2e_shopify_webhooks(&T, true) == 0, "S15: Shopify's webhooks are back on");
	if (!ok(e2e_order_sync(&T, &o, "cash_sale") == 0, "S15: the poll brought the order"))
		return;
	json_object *ra = e2e_ns_wait(&T, "returnAuthorization", eid, E2E_WAIT_MS);
	ok(ra != NULL, "S15: the RA lands once the order synced");
	s.ra_id = e2e_int(ra, "internal_id", 0);
	if (ra) {
		is_int(e2e_int(ra, "created_from", 0), o.so_id, "S15: RA created from the sales order");
		e2e_expect_lines(&T, "S15", ra, s.ra_lines);
	}
	json_object_put(ra);
	if (s.ra_id)
		scn_refund(&T, &o, &s, true, true);
	e2e_idempotent_sync(&T, "S15");
	*o_out = o;
	snprintf(rid_out, 32, "%s", s.rid);
}

/* ------------------------------------------------------------------ reconciliation */

struct forge {
	char id[32];
};

static void unbalanced(json_object *ret, void *arg)
{
	struct forge *f = arg;
	json_object_object_add(ret, "id", json_object_new_string(f->id));
	json_object_object_add(ret, "state", json_object_new_string("open"));
	json_object_object_add(ret, "refund", json_object_new_string("53.20"));
	json_object_object_add(ret, "refunds", json_object_new_array());
}

static void reconcile(const struct e2e_order *o, const char *rid)
{
	struct forge f;
	char id[64], msg[512], eid[80];
	diag("Loop totals that do not reconcile");
	snprintf(f.id, sizeof(f.id), "%" PRId64, (int64_t)atoll(rid) + 900000);
	is_int(e2e_loop_forge(&T, rid, "return.created", unbalanced, &f), 200,
	       "reconcile: a return whose refund (53.20) exceeds its total (43.20) is heard");
	e2e_settle(&T, E2E_WAIT_MS, true);
	if (!ok(find_dead(f.id, id, msg), "reconcile: return %s is dead-lettered", f.id))
		return;
	diag("reconcile: %s: %s", id, msg);
	ok(strstr(msg, "53.20") && strstr(msg, "43.20"), "reconcile: the reason gives both figures");
	snprintf(eid, sizeof(eid), "loop-ra-%s", f.id);
	is_int(e2e_ns_count(&T, "returnAuthorization", eid), 0, "reconcile: no RA written");
	(void)o;
}

int main(void)
{
	int64_t t0 = tap_mono_ms();
	struct e2e_order o15;
	char rid15[32] = "";
	e2e_setup(&T, E2E_ERP, scn_tap_ok);
	T.flags.fee_item = "HANDLING-FEE";
	if (!scn_begin(&T))
		return done_testing();
	s14_order();
	s14_fee();
	s15(&o15, rid15);
	if (rid15[0])
		reconcile(&o15, rid15);
	return scn_end(&T, t0, 1, "one dead letter left: the unreconciled return");
}
