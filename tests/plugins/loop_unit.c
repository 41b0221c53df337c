/*
 * loop_unit.c - the `loop` plugin's pure modules without any network: times, the
 * classification of Loop's answers (errors inside 200 bodies included), the limiter's
 * schedule, and the mapping of constructed returns (outcomes, bonus, exchange with
 * upsell, ids beyond 2^53, amounts as JSON numbers, malformed amounts).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/errors.h>

#include "loop_errors.h"
#include "loop_limit.h"
#include "loop_map.h"
#include "loop_records.h"
#include "loop_time.h"
#include "money.h"
#include "tap.h"

static json_object *J(const char *s)
{
	json_object *o = json_tokener_parse(s);
	if (!o)
		diag("bad test JSON: %s", s);
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
	if (!o)
		return "(null)";
	return json_object_get_string(o);
}

static void test_time(void)
{
	int64_t ms;
	char buf[40];
	is_int(bh_loop_time_parse("2020-10-29T16:07:31+00:00", &ms), 0, "ISO with offset parses");
	is_str(bh_loop_time_fmt(ms, buf, sizeof(buf)), "2020-10-29T16:07:31Z", "formatted in UTC");
	is_int(bh_loop_time_parse("2020-10-29T18:07:31+02:00", &ms), 0, "offset +02:00");
	is_str(bh_loop_time_fmt(ms, buf, sizeof(buf)), "2020-10-29T16:07:31Z", "converted to UTC");
	is_int(bh_loop_time_parse("2019-07-08 02:55:28", &ms), 0, "returned_at without zone");
	is_str(bh_loop_time_fmt(ms, buf, sizeof(buf)), "2019-07-08T02:55:28Z", "taken as UTC");
	is_int(bh_loop_time_parse("2022-01-01T00:00:00.250Z", &ms), 0, "milliseconds");
	is_str(bh_loop_time_fmt(ms, buf, sizeof(buf)), "2022-01-01T00:00:00.250Z", "kept");
	is_str(bh_loop_time_fmt_query(ms - 250, buf, sizeof(buf)), "2022-01-01T00:00:00.000Z",
	       "query format always has milliseconds");
	ok(bh_loop_time_parse("29/10/2020", &ms) != 0, "garbage refused");
	ok(bh_loop_time_parse("2020-13-01T00:00:00Z", &ms) != 0, "month 13 refused");
}

static int classify(long status, const char *body, struct bh_status *st)
{
	json_object *j = body ? json_tokener_parse(body) : NULL;
	memset(st, 0, sizeof(*st));
	int rc = bh_loop_classify(status, j, "Connection refused", st);
	json_object_put(j);
	return rc;
}

static void test_errors(void)
{
	struct bh_status st;
	is_int(classify(200, "{\"returns\":[]}", &st), 0, "a plain 200 is fine");
	is_int(classify(200, "true", &st), 0, "200 true is fine");
	is_int(classify(200, "{\"errors\":{\"message\":\"Return is closed and therefore cannot be "
			     "processed.\",\"code\":\"UNPROCESSABLE_RETURN\"}}", &st),
	       BH_EREJECT, "errors inside a 200 body: a refusal");
	is_str(st.code, "UNPROCESSABLE_RETURN", "Loop's code kept");
	is_str(st.message, "Return is closed and therefore cannot be processed.", "and its message");
	is_int(classify(200, "{\"errors\":{\"message\":\"Something broke\",\"code\":\"UNEXPECTED_ERROR\"}}",
			&st), BH_ERETRY, "UNEXPECTED_ERROR inside a 200: transient");
	is_int(classify(200, "{\"errors\":{\"message\":\"Return not found.\",\"code\":\"NOT_FOUND\"}}",
			&st), BH_ENOENT, "NOT_FOUND inside a 200: no such return");
	is_int(classify(200, "{\"errors\":{\"message\":\"nope\",\"code\":\"NOT_AUTHORIZED\"}}", &st),
	       BH_EAUTH, "NOT_AUTHORIZED inside a 200: auth");
	is_int(classify(401, "{\"error\":{\"code\":\"401\",\"http_code\":\"GEN-UNAUTHORIZED\","
			     "\"message\":\"Unauthorized.\"}}", &st), BH_EAUTH, "401 is auth");
	is_str(st.code, "GEN-UNAUTHORIZED", "the 401 body's swapped code is read");
	ok(strncmp(st.message, "the API key was refused (401)", 29) == 0,
	   "the 401 message says the key was refused: %s", st.message);
	ok(strstr(st.message, "missing scope") != NULL, "and that a missing scope also gives 401");
	is_int(classify(422, "{\"message\":\"The given data was invalid.\",\"errors\":{\"to\":"
			     "[\"The date range between from and to may not be greater than 120 days.\"]}}",
			&st), BH_EREJECT, "422 validation: reject");
	is_str(st.message, "The date range between from and to may not be greater than 120 days.",
	       "the field's message is reported");
	is_str(st.code, "HTTP_422", "no Loop code: HTTP_422");
	is_int(classify(429, "{\"message\":\"Too Many Attempts.\"}", &st), BH_ERETRY, "429 retry");
	is_str(st.code, "RATE_LIMITED", "429 code");
	is_int(classify(503, "<html>oops</html>", &st), BH_ERETRY, "5xx with an HTML body: retry");
	is_int(classify(404, "{\"errors\":{\"message\":\"Return not found.\",\"code\":\"NOT_FOUND\"}}",
			&st), BH_ENOENT, "404 not found");
	is_int(classify(0, NULL, &st), BH_ERETRY, "transport error: retry");
	ok(strstr(st.message, "Connection refused") != NULL, "with the transport's words");

	json_object *b = J("{\"content\":\"Return is expired and cannot be processed.\"}");
	memset(&st, 0, sizeof(st));
	is_int(bh_loop_action_refusal(b, &st), BH_EREJECT, "{\"content\"} refusal");
	is_str(st.code, "REFUSED", "no code: REFUSED");
	is_str(st.message, "Return is expired and cannot be processed.", "message from content");
	json_object_put(b);
	b = J("false");
	is_int(bh_loop_action_refusal(b, &st), BH_EREJECT, "false is a refusal");
	json_object_put(b);
}

static void test_limiter(void)
{
	struct bh_loop_limit l;
	is_int(bh_loop_limit_init(&l, 10, 10), BH_EINVAL, "burst must be below the rate");
	is_int(bh_loop_limit_init(&l, 290, 10), 0, "290/min, burst 10");
	int64_t t0 = 1000000000, at[1200];
	for (int i = 0; i < 1200; i++)
		at[i] = t0 + bh_loop_limit_reserve(&l, t0);
	int burst = 0;
	for (int i = 0; i < 1200; i++)
		burst += at[i] == t0;
	is_int(burst, 10, "ten requests may go at once");
	int worst = 0;
	for (int i = 0, j = 0; i < 1200; i++) {
		while (at[i] - at[j] >= 60000000)
			j++;
		if (i - j + 1 > worst)
			worst = i - j + 1;
	}
	ok(worst <= 290 && worst >= 285, "any 60 s holds at most 290 requests (worst %d)", worst);
	bh_loop_limit_destroy(&l);

	bh_loop_limit_init(&l, 120, 2);
	int64_t t = 5000000;
	is_int(bh_loop_limit_reserve(&l, t), 0, "first goes now");
	bh_loop_limit_hold(&l, t, 1500);
	int64_t d = bh_loop_limit_reserve(&l, t + 1000000);
	ok(d >= 500000 && d <= 600000, "after a 429 hold of 1.5 s, the next waits the rest (%" PRId64 " us)", d);
	bh_loop_limit_destroy(&l);
}

/* the invariant the flows check */
static void check_invariant(json_object *b, const char *what)
{
	static const char *const lhs[] = {"refund", "credit", "gift_card", "exchange", "handling_fee"};
	int64_t l = 0, r = 0, v;
	json_object *t;
	json_object_object_get_ex(b, "totals", &t);
	for (size_t i = 0; i < 5; i++) {
		json_object *m;
		json_object_object_get_ex(t, lhs[i], &m);
		if (bh_money_parse(json_object_get_string(m), &v) == 0)
			l += v;
	}
	json_object *m;
	json_object_object_get_ex(t, "total", &m);
	bh_money_parse(json_object_get_string(m), &v);
	r += v;
	json_object_object_get_ex(t, "upsell", &m);
	bh_money_parse(json_object_get_string(m), &v);
	r += v;
	is_int(l, r, "%s: refund + credit + gift_card + exchange + fee = total + upsell", what);
}

static json_object *map(const char *text, const char *trigger)
{
	char err[256] = "";
	struct bh_loop_info info;
	json_object *lr = J(text), *out = NULL;
	int rc = bh_loop_map_return(lr, trigger, false, NULL, &info, &out, err, sizeof(err));
	if (rc)
		diag("map failed: %s", err);
	json_object_put(lr);
	return out;
}

#define HDR(id, state) "{\"id\":" id ",\"state\":\"" state "\",\"created_at\":\"2026-11-03T09:00:00+00:00\"," \
	"\"updated_at\":\"2026-11-03T09:05:00+00:00\",\"currency\":\"USD\",\"order_id\":\"91000001\"," \
	"\"order_name\":\"#1003\",\"provider_order_id\":9007199254740993,"

static void test_outcomes(void)
{
	/* store credit issued as a gift card, with a 5.00 bonus (the simulator's shape) */
	json_object *b = map(HDR("\"6100003\"", "closed")
			     "\"outcome\":\"credit\",\"return_product_total\":\"60.00\",\"return_discount_total\":\"0.00\","
			     "\"return_tax_total\":\"4.80\",\"return_total\":\"64.80\",\"return_credit_total\":\"69.80\","
			     "\"gift_card\":\"69.80\",\"handling_fee\":\"0.00\",\"refund\":\"0.00\",\"upsell\":\"0.00\","
			     "\"exchange_credit_total\":\"0.00\",\"refunds\":[],"
			     "\"line_items\":[{\"line_item_id\":\"59200010\",\"provider_line_item_id\":\"1301\",\"sku\":\"HOODIE\","
			     "\"title\":\"Hoodie\",\"price\":\"60.00\",\"discount\":\"0.00\",\"tax\":\"4.80\",\"refund\":\"64.80\","
			     "\"outcome\":\"default\",\"exchange_variant\":\"\"}]}", "return.closed");
	is_str(jpath(b, "outcome"), "credit", "S3: outcome credit");
	is_str(jpath(b, "totals.credit"), "64.80", "S3: credit excludes the bonus");
	is_str(jpath(b, "totals.bonus"), "5.00", "S3: bonus 5.00");
	is_str(jpath(b, "totals.gift_card"), "0.00", "S3: the gift card carrying the credit is not a gift-card refund");
	is_str(jpath(b, "lines.0.outcome"), "credit", "S3: line outcome credit");
	is_str(jpath(b, "order.storefront_order_id"), "9007199254740993", "a Shopify id beyond 2^53 stays exact");
	is_str(jpath(b, "order.portal_order_id"), "91000001", "Loop's own order id kept apart");
	is_str(jpath(b, "trigger"), "return.closed", "trigger");
	check_invariant(b, "S3");
	json_object_put(b);

	/* exchange with upsell: 43.20 returned, exchange order 54.00, shopper pays 10.80 */
	b = map(HDR("6100004", "closed")
		"\"outcome\":\"exchange\",\"return_product_total\":\"40.00\",\"return_discount_total\":\"0.00\","
		"\"return_tax_total\":\"3.20\",\"return_total\":\"43.20\",\"return_credit_total\":\"0.00\","
		"\"exchange_product_total\":\"50.00\",\"exchange_tax_total\":\"4.00\",\"exchange_total\":\"54.00\","
		"\"exchange_credit_total\":\"43.20\",\"gift_card\":\"0.00\",\"handling_fee\":\"0.00\",\"refund\":\"0.00\","
		"\"upsell\":\"10.80\",\"exchange_order_id\":\"5800000000017\",\"exchange_order_name\":\"EXC1004\","
		"\"line_items\":[{\"line_item_id\":59200011,\"provider_line_item_id\":1401,\"sku\":\"TEE-BLK-M\","
		"\"price\":40,\"discount\":\"0.00\",\"tax\":3.20,\"outcome\":\"exchange\",\"exchange_variant\":\"Tee L\"}],"
		"\"exchanges\":[{\"exchange_order_id\":\"5800000000017\",\"exchange_order_name\":\"EXC1004\",\"sku\":\"TEE-BLK-L\"}]}",
		NULL);
	is_str(jpath(b, "id"), "6100004", "an integer return id becomes a string");
	is_str(jpath(b, "outcome"), "exchange", "S4 upsell: outcome exchange");
	is_str(jpath(b, "totals.exchange"), "54.00", "exchange = credit applied + upsell");
	is_str(jpath(b, "totals.upsell"), "10.80", "upsell");
	is_str(jpath(b, "exchange.order_name"), "EXC1004", "exchange order name");
	is_str(jpath(b, "exchange.order_id"), "5800000000017", "exchange order id");
	is_str(jpath(b, "lines.0.outcome"), "exchange", "line outcome exchange");
	is_str(jpath(b, "lines.0.price"), "40.00", "an integer amount 40 -> 40.00");
	is_str(jpath(b, "lines.0.tax"), "3.20", "a JSON number 3.20 read from its text, not a double");
	is_str(jpath(b, "lines.0.refund"), "43.20", "a missing unit refund is price - discount + tax");
	is_str(jpath(b, "lines.0.portal_line_ids.0"), "59200011", "Loop line id as a string");
	is_str(jpath(b, "trigger"), "(null)", "no trigger given: null");
	check_invariant(b, "S4 upsell");
	json_object_put(b);

	/* split: exchange cheaper than the return, the rest refunded -> mixed */
	b = map(HDR("6100005", "open")
		"\"return_total\":\"43.20\",\"exchange_total\":\"30.00\",\"exchange_credit_total\":\"30.00\","
		"\"refund\":\"13.20\",\"upsell\":\"0.00\",\"handling_fee\":\"0.00\",\"return_credit_total\":\"0.00\","
		"\"gift_card\":\"0.00\",\"line_items\":[]}", "return.created");
	is_str(jpath(b, "outcome"), "mixed", "exchange plus refund: mixed");
	is_str(jpath(b, "totals.gross"), "0.00", "no product total and no lines: 0.00");
	check_invariant(b, "mixed");
	json_object_put(b);

	/* gift-card outcome with a handling fee; two units of one line, one exchanged */
	b = map(HDR("6100006", "review")
		"\"outcome\":\"gift_card\",\"return_product_total\":\"50.00\",\"return_discount_total\":\"0.00\","
		"\"return_tax_total\":\"4.00\",\"return_total\":\"54.00\",\"gift_card\":\"49.00\",\"handling_fee\":\"5.00\","
		"\"refund\":\"0.00\",\"upsell\":\"0.00\",\"return_credit_total\":\"0.00\",\"exchange_credit_total\":\"0.00\","
		"\"line_items\":["
		"{\"line_item_id\":\"1\",\"provider_line_item_id\":\"77\",\"sku\":\"CAP\",\"price\":\"25.00\",\"discount\":\"0.00\",\"tax\":\"2.00\",\"refund\":\"27.00\"},"
		"{\"line_item_id\":\"2\",\"provider_line_item_id\":\"77\",\"sku\":\"CAP\",\"price\":\"25.00\",\"discount\":\"0.00\",\"tax\":\"2.00\",\"refund\":\"27.00\"}]}",
		"return.updated");
	is_str(jpath(b, "outcome"), "gift_card", "gift-card outcome");
	is_str(jpath(b, "totals.gift_card"), "49.00", "gift card 49.00");
	is_str(jpath(b, "totals.handling_fee"), "5.00", "handling fee");
	is_str(jpath(b, "lines.0.quantity"), "2", "two units grouped");
	is_str(jpath(b, "lines.0.tax"), "4.00", "tax summed exactly");
	is_str(jpath(b, "lines.0.refund"), "54.00", "refund summed exactly");
	is_str(jpath(b, "flagged"), "true", "state review is flagged");
	check_invariant(b, "gift card + fee");
	json_object_put(b);

	/* malformed amounts are refused with the field named */
	char err[256] = "";
	struct bh_loop_info info;
	json_object *lr = J(HDR("6100007", "open") "\"return_total\":\"12.345\"}"), *out = NULL;
	is_int(bh_loop_map_return(lr, NULL, false, NULL, &info, &out, err, sizeof(err)), BH_EPROTO,
	       "three decimals refused");
	ok(strstr(err, "return_total") != NULL, "the field is named: %s", err);
	json_object_put(lr);
	lr = J("{\"id\":\"1\",\"state\":\"weird\"}");
	is_int(bh_loop_map_return(lr, NULL, false, NULL, &info, &out, err, sizeof(err)), BH_EPROTO,
	       "an unknown state is refused");
	json_object_put(lr);
}

static void test_records(void)
{
	struct bh_loop_recs rs = {0};
	struct bh_loop_info info;
	char err[256];
	json_object *lr = J(HDR("6100008", "cancelled") "\"line_items\":[]}");
	is_int(bh_loop_records(lr, "return.updated", &rs, &info, err, sizeof(err)), 0, "records");
	is_int((long long)rs.n, 2, "return.updated of a cancelled return: updated + cancelled");
	is_str(rs.e[0].topic, "portal.return.updated", "updated topic");
	is_str(rs.e[0].key, "return:6100008:cancelled:2026-11-03T09:05:00Z", "updated key");
	is_str(rs.e[1].topic, "portal.return.cancelled", "cancelled topic");
	is_str(rs.e[1].key, "return:6100008:cancelled", "cancelled key");
	json_object *b = json_tokener_parse(rs.body[1]);
	is_str(jpath(b, "trigger"), "return.updated", "Loop announces a cancel with return.updated");
	json_object_put(b);
	bh_loop_recs_free(&rs);

	is_int(bh_loop_records(lr, NULL, &rs, &info, err, sizeof(err)), 0, "poll records");
	is_int((long long)rs.n, 3, "a poll: created, updated (later than created), cancelled");
	is_str(rs.e[0].key, "return:6100008:created", "created key");
	bh_loop_recs_free(&rs);

	is_int(bh_loop_record_failed(lr, "Gift card provider down", &rs, &info, err, sizeof(err)), 0,
	       "processing failed record");
	is_str(rs.e[0].topic, "portal.return.processing_failed", "failed topic");
	is_str(rs.e[0].key, "return:6100008:failed:2026-11-03T09:05:00Z", "failed key");
	b = json_tokener_parse(rs.body[0]);
	is_str(jpath(b, "error"), "Gift card provider down", "error message");
	json_object_put(b);
	bh_loop_recs_free(&rs);
	json_object_put(lr);
}

int main(void)
{
	test_time();
	test_errors();
	test_limiter();
	test_outcomes();
	test_records();
	return done_testing();
}
