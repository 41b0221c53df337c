/*
 * loop_map.c - the real Loop payloads of ../shared/reference/loop map to canonical
 * return/1 records with exact amounts and ids (read in place; skipped when absent).
 *
 * The 2019 list sample had its arithmetic edited by its author (SOURCE.txt): for it we
 * assert ids, fields and the shape (units grouped), and sums only over units the
 * author did not touch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "loop_map.h"
#include "loop_records.h"
#include "money.h"
#include "tap.h"

static char refdir[4200];

static json_object *load(const char *name)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", refdir, name);
	json_object *o = json_object_from_file(path);
	ok(o != NULL, "read %s", name);
	return o;
}

static const char *jpath(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		json_object *v = NULL;
		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &v))
			return "(absent)";
		o = v;
	}
	return o ? json_object_get_string(o) : "(null)";
}

static json_object *body_of(const struct bh_loop_recs *rs, size_t i)
{
	return i < rs->n ? json_tokener_parse(rs->body[i]) : NULL;
}

static void check_invariant(json_object *b, const char *what)
{
	static const char *const lhs[] = {"refund", "credit", "gift_card", "exchange", "handling_fee"};
	int64_t l = 0, r = 0, v = 0;
	char path[64];
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "totals.%s", lhs[i]);
		if (bh_money_parse(jpath(b, path), &v) == 0)
			l += v;
	}
	if (bh_money_parse(jpath(b, "totals.total"), &v) == 0)
		r += v;
	if (bh_money_parse(jpath(b, "totals.upsell"), &v) == 0)
		r += v;
	is_int(l, r, "%s reconciles: refund + credit + gift_card + exchange + fee = total + upsell", what);
}

static void test_created_2020(void)
{
	json_object *lr = load("webhook-return-created-aurate-2020.json");
	struct bh_loop_recs rs = {0};
	struct bh_loop_info info;
	char err[256] = "";
	if (!lr)
		return;
	is_int(bh_loop_records(lr, "return.created", &rs, &info, err, sizeof(err)), 0,
	       "return.created maps (%s)", err);
	is_int((long long)rs.n, 1, "one record");
	is_str(rs.e[0].topic, "portal.return.created", "topic");
	is_str(rs.e[0].key, "return:6042537:created", "idempotency key");
	json_object *b = body_of(&rs, 0);
	is_str(jpath(b, "schema"), "return/1", "schema");
	is_str(jpath(b, "id"), "6042537", "return id");
	is_str(jpath(b, "state"), "open", "state");
	is_str(jpath(b, "trigger"), "return.created", "trigger");
	is_str(jpath(b, "created_at"), "2020-10-29T16:07:31Z", "created_at in UTC, RFC 3339");
	is_str(jpath(b, "updated_at"), "2020-10-29T16:07:33Z",
	       "no updated_at in 2020 payloads: the latest of label_updated_at/created_at");
	is_str(jpath(b, "currency"), "USD", "currency");
	is_str(jpath(b, "order.portal_order_id"), "26442641", "Loop's order id");
	is_str(jpath(b, "order.storefront_order_id"), "2773679177825", "Shopify order id (provider_order_id)");
	is_str(jpath(b, "order.name"), "#90507", "order name");
	is_str(jpath(b, "customer.email"), "REDACTED@example.invalid", "customer e-mail");
	is_str(jpath(b, "outcome"), "refund", "outcome refund");
	is_str(jpath(b, "lines.0.line_item_id"), "5896375795809", "Shopify line item id");
	is_str(jpath(b, "lines.0.sku"), "AU1022E00000", "SKU");
	is_str(jpath(b, "lines.0.title"), "Gold Bamboo Huggie Earrings - 14K / Yellow / Single", "title");
	is_str(jpath(b, "lines.0.quantity"), "1", "quantity 1");
	is_str(jpath(b, "lines.0.price"), "120.00", "price");
	is_str(jpath(b, "lines.0.discount"), "119.88", "discount");
	is_str(jpath(b, "lines.0.tax"), "0.01", "tax");
	is_str(jpath(b, "lines.0.refund"), "0.13", "refund 120.00 - 119.88 + 0.01");
	is_str(jpath(b, "lines.0.outcome"), "refund", "line outcome");
	is_str(jpath(b, "lines.0.portal_line_ids.0"), "59160778", "Loop line id");
	is_str(jpath(b, "totals.gross"), "120.00", "gross");
	is_str(jpath(b, "totals.discount"), "119.88", "discount total");
	is_str(jpath(b, "totals.tax"), "0.01", "tax total");
	is_str(jpath(b, "totals.total"), "0.13", "total");
	is_str(jpath(b, "totals.refund"), "0.13", "refund total");
	is_str(jpath(b, "totals.credit"), "0.00", "credit");
	is_str(jpath(b, "totals.bonus"), "0.00", "bonus");
	is_int((long long)json_object_array_length(json_object_object_get(b, "refunds")), 0,
	       "no refunds yet");
	is_str(jpath(b, "exchange"), "(null)", "no exchange");
	is_str(jpath(b, "flagged"), "false", "not flagged");
	is_str(jpath(b, "processed"), "(null)",
	       "processed null: the 2020 payload has neither was_processed nor outcomes");
	check_invariant(b, "2020 created");
	json_object_put(b);
	bh_loop_recs_free(&rs);
	json_object_put(lr);
}

static void test_updated_closed_2020(void)
{
	json_object *lr = load("webhook-return-updated-closed-aurate-2020.json");
	struct bh_loop_recs rs = {0};
	struct bh_loop_info info;
	char err[256] = "";
	if (!lr)
		return;
	is_int(bh_loop_records(lr, "return.updated", &rs, &info, err, sizeof(err)), 0,
	       "return.updated (closed) maps (%s)", err);
	is_int((long long)rs.n, 2, "two records: updated and closed");
	is_str(rs.e[0].topic, "portal.return.updated", "updated topic");
	is_str(rs.e[0].key, "return:6042537:closed:2020-10-29T16:07:35Z", "updated key has state and time");
	is_str(rs.e[1].topic, "portal.return.closed", "closed topic from the state");
	is_str(rs.e[1].key, "return:6042537:closed", "closed key");
	json_object *b = body_of(&rs, 1);
	is_str(jpath(b, "trigger"), "return.closed", "closed record's trigger");
	is_str(jpath(b, "state"), "closed", "state closed");
	is_str(jpath(b, "refunds.0.gateway"), "manual", "refund gateway as reported");
	is_str(jpath(b, "refunds.0.amount"), "0.00", "refund amount as reported");
	is_str(jpath(b, "totals.refund"), "0.13", "refund total");
	is_str(jpath(b, "processed"), "(null)",
	       "processed null: closed, but the payload does not say whether it was processed");
	check_invariant(b, "2020 closed");
	json_object_put(b);
	bh_loop_recs_free(&rs);

	/* the same closed return with the members newer Loop data carries (3P warehouse
	 * schemas; the simulator's shape): processed follows them */
	static const struct {
		const char *members, *want, *what;
	} pv[] = {
		{"\"was_processed\":false,\"outcomes\":{\"return_processed\":null}", "false",
		 "closed with Loop's close: was_processed false -> processed false"},
		{"\"outcomes\":{\"return_processed\":null,\"refund_processed\":null}", "false",
		 "outcomes without return_processed -> false"},
		{"\"was_processed\":true", "true", "was_processed true -> true"},
		{"\"outcomes\":{\"return_processed\":\"2020-10-29T16:07:40+00:00\"}", "true",
		 "outcomes.return_processed set -> true"},
		{"\"was_processed\":\"yes\"", "(null)", "a was_processed that is not a boolean: unknown"},
	};
	for (size_t i = 0; i < sizeof(pv) / sizeof(pv[0]); i++) {
		json_object *c = NULL, *add = NULL;
		char text[256];
		json_object_deep_copy(lr, &c, NULL);
		snprintf(text, sizeof(text), "{%s}", pv[i].members);
		add = json_tokener_parse(text);
		json_object_object_foreach(add, k, v)
			json_object_object_add(c, k, json_object_get(v));
		json_object *m = NULL;
		is_int(bh_loop_map_return(c, "return.closed", false, NULL, &info, &m, err, sizeof(err)),
		       0, "maps with %s", pv[i].members);
		is_str(jpath(m, "processed"), pv[i].want, "%s", pv[i].what);
		json_object_put(m);
		json_object_put(add);
		json_object_put(c);
	}

	/* the same payload delivered again gives the same keys (one record in the engine) */
	struct bh_loop_recs rs2 = {0};
	bh_loop_records(lr, "return.updated", &rs2, &info, err, sizeof(err));
	is_str(rs2.e[0].key, "return:6042537:closed:2020-10-29T16:07:35Z", "redelivery: same key");
	bh_loop_recs_free(&rs2);
	json_object_put(lr);
}

static void test_list_2019(void)
{
	json_object *arr = load("detailed-returns-list-2019-celigo-hook.json");
	char err[256] = "";
	if (!arr)
		return;
	is_int((long long)json_object_array_length(arr), 2, "the 2019 list is a bare array of 2");

	struct bh_loop_recs rs = {0};
	struct bh_loop_info info;
	is_int(bh_loop_records(json_object_array_get_idx(arr, 0), NULL, &rs, &info, err, sizeof(err)), 0,
	       "return 1541084 maps (%s)", err);
	is_str(info.id, "1541084", "id");
	is_int(info.dup_units, 1, "its unit listed twice with line_item_id 38172886 is counted once");
	is_int((long long)rs.n, 3, "a poll of a closed return: created, updated, closed");
	is_str(rs.e[0].key, "return:1541084:created", "created key");
	is_str(rs.e[1].key, "return:1541084:closed:2019-07-16T17:59:11Z", "updated key (label time)");
	is_str(rs.e[2].key, "return:1541084:closed", "closed key");
	json_object *b = body_of(&rs, 0);
	is_str(jpath(b, "order.portal_order_id"), "17279178", "Loop order id");
	is_str(jpath(b, "order.storefront_order_id"), "968393654321", "Shopify order id");
	is_str(jpath(b, "order.name"), "#1413886", "order name");
	is_str(jpath(b, "lines.0.line_item_id"), "2071328096305", "Shopify line item id");
	is_str(jpath(b, "lines.0.sku"), "M19SW2002BLK:M", "SKU");
	is_str(jpath(b, "lines.0.quantity"), "1", "one unit");
	is_str(jpath(b, "lines.0.portal_line_ids.0"), "38172886", "Loop line id");
	is_str(jpath(b, "lines.0.price"), "56.00", "unit price");
	is_str(jpath(b, "totals.total"), "88.40", "header total passed through as published");
	is_str(jpath(b, "processed"), "(null)", "the 2019 list carries no processing member: null");
	is_str(jpath(b, "created_at"), "2019-07-08T02:55:28Z", "created_at");
	json_object_put(b);
	bh_loop_recs_free(&rs);

	is_int(bh_loop_records(json_object_array_get_idx(arr, 1), NULL, &rs, &info, err, sizeof(err)), 0,
	       "return 1527992 maps (%s)", err);
	b = body_of(&rs, 0);
	is_str(jpath(b, "id"), "1527992", "id");
	is_str(jpath(b, "state"), "closed", "state");
	is_str(jpath(b, "order.storefront_order_id"), "970330112049", "Shopify order id");
	is_str(jpath(b, "order.portal_order_id"), "16993869", "Loop order id");
	is_int((long long)json_object_array_length(json_object_object_get(b, "lines")), 2,
	       "six units grouped into two lines");
	is_str(jpath(b, "lines.0.line_item_id"), "2074944372785", "first Shopify line");
	is_str(jpath(b, "lines.0.sku"), "FM4500HYG:S", "first SKU");
	is_str(jpath(b, "lines.0.quantity"), "3", "three units");
	is_str(jpath(b, "lines.0.portal_line_ids.0"), "37548751", "Loop ids in order (1)");
	is_str(jpath(b, "lines.0.portal_line_ids.2"), "37548753", "Loop ids in order (3)");
	is_str(jpath(b, "lines.0.price"), "46.00", "unit price");
	is_str(jpath(b, "lines.1.line_item_id"), "2074944405553", "second Shopify line");
	is_str(jpath(b, "lines.1.sku"), "FM1500HYG:S", "second SKU");
	is_str(jpath(b, "lines.1.quantity"), "3", "three units");
	/* these three units were not edited by the sample's author: exact sums */
	is_str(jpath(b, "lines.1.discount"), "17.10", "discount 3 x 5.70");
	is_str(jpath(b, "lines.1.tax"), "6.78", "tax 3 x 2.26");
	is_str(jpath(b, "lines.1.refund"), "103.68", "refund 3 x 34.56");
	is_str(jpath(b, "totals.gross"), "252.00", "header product total as published");
	is_str(jpath(b, "totals.refund"), "229.20", "header refund as published");
	json_object_put(b);
	bh_loop_recs_free(&rs);
	json_object_put(arr);
}

static void test_label(void)
{
	json_object *lr = load("webhook-label-updated-docs-example.json");
	struct bh_loop_recs rs = {0};
	struct bh_loop_info info;
	char err[256] = "";
	if (!lr)
		return;
	is_int(bh_loop_records(lr, "label.updated", &rs, &info, err, sizeof(err)), BH_EPROTO,
	       "a label payload is not a return (no state): %s", err);
	is_int((long long)rs.n, 0, "no record");
	json_object_put(lr);
}

int main(void)
{
	const char *shared = tap_shared_dir();
	if (!shared)
		skip_all("../shared is absent (set BH_SHARED_DIR): no reference Loop payloads");
	snprintf(refdir, sizeof(refdir), "%s/reference/loop", shared);
	char src[4300];
	snprintf(src, sizeof(src), "%s/SOURCE.txt", refdir);
	FILE *fp = fopen(src, "r");
	if (!fp)
		skip_all("%s/SOURCE.txt is absent: no reference Loop payloads", refdir);
	fclose(fp);
	test_created_2020();
	test_updated_closed_2020();
	test_list_2019();
	test_label();
	return done_testing();
}
