/*
 * netsuite_store.c - the NetSuite simulator's store and general ledger (TAP).
 *
 * Drives the account through the control API and the store API (sim_ns_store.h) the
 * way SOAP/REST and operators do, and checks: money/time helpers, SCENARIOS.md postings
 * for S1 (full refund to card), S3 (store credit with a bonus), S6 (split tender) and S7
 * (restocking fee) line by line, over-return refusal (S2/S13), RA status lifecycle,
 * externalId uniqueness per record group and upsert, operator actions, the per-order
 * chain GL, that every posting balances and that the trial balance sums to zero.
 *
 * Ownership: NetSuite service helper. Runs single-threaded; no reference data needed.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "netsuite_util.h"
#include "tap.h"

static struct bh_sim_ns *ns;

static int64_t item_id(const char *sku)
{
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *r = bh_sim_ns_item_by_sku(ns, sku);
	int64_t id = r ? r->id : -1;
	bh_sim_ns_unlock(ns);
	return id;
}

/* "Dr Sales Returns 40.00; Dr Sales Tax Payable 3.20; Cr Payment Clearing 43.20" */
static const char *gl_text(int64_t id)
{
	static char buf[2048];
	char m[32];
	buf[0] = 0;
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	for (size_t i = 0; r && i < r->n_gl; i++) {
		const struct bh_sim_ns_gl_line *g = &r->gl[i];
		const struct bh_sim_ns_account *a = bh_sim_ns_account_get(ns, g->account);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s %s %s", i ? "; " : "",
			 g->debit ? "Dr" : "Cr", a ? a->name : "?",
			 bh_sim_ns_money_fmt(g->debit ? g->debit : g->credit, m, sizeof(m)));
	}
	bh_sim_ns_unlock(ns);
	return buf;
}

static const char *status_of(int64_t id)
{
	static char buf[80];
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	snprintf(buf, sizeof(buf), "%s", r ? bh_sim_ns_status_text(ns, r) : "(none)");
	bh_sim_ns_unlock(ns);
	return buf;
}

static int64_t total_of(int64_t id)
{
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	int64_t t = r ? r->total : -1;
	bh_sim_ns_unlock(ns);
	return t;
}

static int64_t ctl_id(const char *method, const char *path, const char *body, const char *key)
{
	int st;
	struct json_object *o = t_ctl(ns, method, path, NULL, body, &st);
	int64_t id = -1;
	if (st == 200)
		id = t_jint(o, key);
	else
		diag("%s %s -> %d %s", method, path, st, o ? json_object_to_json_string(o) : "");
	json_object_put(o);
	return id;
}

static int64_t so_new(const char *body)
{
	return ctl_id("POST", "/sales_orders", body, "internal_id");
}

/* Initialize `to` from `from`, let `edit` adjust the draft, add it. Returns the id or a
 * negative code; err receives the store's error. */
typedef void (*edit_fn)(struct bh_sim_ns_rec *d, void *arg);

static int64_t derive(enum bh_sim_ns_type to, int64_t from, const char *eid, edit_fn edit,
		      void *arg, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *d = NULL;
	int64_t id = 0;
	int rc;
	memset(err, 0, sizeof(*err));
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *src = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, from);
	rc = src ? bh_sim_ns_initialize(ns, to, src, NULL, &d, err) : BH_ENOENT;
	if (rc == BH_OK) {
		if (eid)
			bh_sim_ns_str_set(&d->external_id, eid);
		if (edit)
			edit(d, arg);
		rc = bh_sim_ns_add(ns, d, NULL, &id, err);
	}
	bh_sim_ns_unlock(ns);
	return rc == BH_OK ? id : rc;
}

/* Keep only the first `n` lines of a draft, with quantity q (0 = as initialized). */
struct keep {
	size_t n;
	int64_t q;
};

static void keep_lines(struct bh_sim_ns_rec *d, void *arg)
{
	struct keep *k = arg;
	for (size_t i = k->n; i < d->n_lines; i++) {
		free(d->lines[i].description);
		free(d->lines[i].cf);
	}
	if (d->n_lines > k->n)
		d->n_lines = k->n;
	for (size_t i = 0; i < d->n_lines && k->q; i++) {
		d->lines[i].quantity = k->q;
		d->lines[i].amount = BH_SIM_NS_UNSET;
		d->lines[i].tax = BH_SIM_NS_UNSET;
	}
}

/* Append extra lines (item, amount) to a draft. */
struct extra {
	int64_t item[4];
	int64_t amount[4];
	size_t n;
};

static void add_extra(struct bh_sim_ns_rec *d, void *arg)
{
	struct extra *x = arg;
	for (size_t i = 0; i < x->n; i++) {
		struct bh_sim_ns_line *l = bh_sim_ns_rec_add_line(d);
		l->item = x->item[i];
		l->quantity = 1;
		l->amount = x->amount[i];
	}
}

static void test_helpers(void)
{
	int64_t c, ms;
	char buf[40];
	ok(bh_sim_ns_money_parse("43.2", &c) == BH_OK && c == 4320, "money: 43.2 -> 4320 cents");
	ok(bh_sim_ns_money_parse("-64.80", &c) == BH_OK && c == -6480, "money: -64.80");
	ok(bh_sim_ns_money_parse("10.805", &c) == BH_OK && c == 1081, "money: half-up to the cent");
	ok(bh_sim_ns_money_parse("1e2", &c) != BH_OK, "money: exponent refused");
	is_str(bh_sim_ns_money_fmt(-500, buf, sizeof(buf)), "-5.00", "money fmt");
	ok(bh_sim_ns_qty_parse("2.0", &c) == BH_OK && c == 2, "quantity 2.0");
	ok(bh_sim_ns_qty_parse("1.5", &c) != BH_OK, "fractional quantity refused");
	ok(bh_sim_ns_time_parse("2024-01-01T08:00:00Z", &ms) == BH_OK, "time parse Z");
	is_str(bh_sim_ns_time_fmt(ms, buf, sizeof(buf)), "2024-01-01T00:00:00.000-08:00",
	       "time in Pacific standard time");
	ok(bh_sim_ns_time_parse("2024-07-01T12:00:00.250-07:00", &ms) == BH_OK, "time parse offset");
	is_str(bh_sim_ns_time_fmt(ms, buf, sizeof(buf)), "2024-07-01T12:00:00.250-07:00",
	       "time in Pacific daylight time");
	ok(bh_sim_ns_time_parse("2024-03-10", &ms) == BH_OK, "date only");
	is_str(bh_sim_ns_time_fmt(ms, buf, sizeof(buf)), "2024-03-10T00:00:00.000-08:00",
	       "date only = Pacific midnight");
}

static void seed(void)
{
	int st;
	struct json_object *o = t_ctl(ns, "POST", "/items", NULL,
		"{\"items\":["
		"{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee black M\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
		"{\"sku\":\"TEE-BLK-L\",\"name\":\"Tee black L\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
		"{\"sku\":\"MUG\",\"name\":\"Mug\",\"type\":\"inventory\",\"cost\":\"4.00\",\"price\":\"12.00\"},"
		"{\"sku\":\"HOODIE\",\"name\":\"Hoodie\",\"type\":\"inventory\",\"cost\":\"25.00\",\"price\":\"60.00\"},"
		"{\"sku\":\"JACKET\",\"name\":\"Jacket\",\"type\":\"inventory\",\"cost\":\"45.00\",\"price\":\"100.00\"},"
		"{\"sku\":\"WebOrderGiftCard\",\"name\":\"Gift card\",\"type\":\"giftcard\"},"
		"{\"sku\":\"RESTOCK-FEE\",\"name\":\"Restocking fee\",\"type\":\"fee\"},"
		"{\"sku\":\"LOOP-BONUS\",\"name\":\"Return bonus\",\"type\":\"noninventory\",\"account\":\"Return Incentive Expense\"},"
		"{\"sku\":\"SHIPPING\",\"name\":\"Shipping\",\"type\":\"shipping\"}]}", &st);
	is_int(st, 200, "POST /items");
	is_int((long long)json_object_array_length(json_object_object_get(o, "internal_ids")), 9,
	       "nine internal ids");
	json_object_put(o);
	o = t_ctl(ns, "POST", "/items", NULL,
		  "{\"items\":[{\"sku\":\"MUG\",\"name\":\"Mug\",\"type\":\"inventory\",\"cost\":\"4.00\",\"price\":\"12.00\"}]}",
		  &st);
	is_int(json_object_get_int64(json_object_array_get_idx(json_object_object_get(o, "internal_ids"), 0)),
	       item_id("MUG"), "an existing SKU is updated, not duplicated");
	json_object_put(o);
	o = t_ctl(ns, "GET", "/items", "sku=TEE-BLK-M", NULL, &st);
	struct json_object *it = json_object_array_get_idx(json_object_object_get(o, "items"), 0);
	is_str(t_jstr(it, "cost"), "15.00", "GET /items?sku= cost");
	is_str(t_jstr(it, "record_type"), "inventoryItem", "inventory item record type");
	json_object_put(o);
	o = t_ctl(ns, "GET", "/items", "sku=WebOrderGiftCard", NULL, &st);
	it = json_object_array_get_idx(json_object_object_get(o, "items"), 0);
	is_str(t_jstr(it, "account"), "Gift Card Liability", "gift card item posts to Gift Card Liability");
	json_object_put(o);
	int64_t c = ctl_id("POST", "/customers",
			   "{\"customers\":[{\"external_id\":\"shopify-cust-1\",\"email\":\"jane@example.com\","
			   "\"first_name\":\"Jane\",\"last_name\":\"Doe\"}]}", "internal_ids");
	(void)c;
}

static int64_t cust(void)
{
	int st;
	struct json_object *o = t_ctl(ns, "GET", "/customers", "email=jane@example.com", NULL, &st);
	int64_t id = t_jint(json_object_array_get_idx(json_object_object_get(o, "customers"), 0),
			    "internal_id");
	json_object_put(o);
	return id;
}

static void test_s1(void)
{
	char body[1024];
	struct bh_sim_ns_err err;
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"shopify-order-1001\",\"customer\":%lld,\"tran_id\":\"SO1001\","
		 "\"shopify_order_id\":9007199254740993,\"shipping\":\"5.00\","
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"tax\":\"3.20\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	ok(so > 0, "S1: sales order created");
	is_str(gl_text(so), "", "S1: a sales order does not post");
	is_int(total_of(so), 4820, "S1: order total 48.20");
	is_str(status_of(so), "Pending Fulfillment", "S1: order pending fulfillment");

	int64_t cs = ctl_id("POST", "/bill", "{\"sales_order\":0}", "internal_id");
	is_int(cs, -1, "bill of a missing order refused");
	snprintf(body, sizeof(body), "{\"sales_order\":%lld,\"as\":\"cash_sale\"}", (long long)so);
	cs = ctl_id("POST", "/bill", body, "internal_id");
	ok(cs > 0, "S1: billed as a cash sale");
	is_str(gl_text(cs),
	       "Cr Sales 40.00; Cr Sales Tax Payable 3.20; Cr Sales 5.00; Dr Payment Clearing 48.20",
	       "S1: cash sale posting");
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)so);
	int64_t ful = ctl_id("POST", "/fulfill", body, "internal_id");
	is_str(gl_text(ful), "Dr Cost of Goods Sold 15.00; Cr Inventory 15.00", "S1: fulfilment posts COGS at cost");
	is_str(status_of(so), "Billed", "S1: order billed and fulfilled");

	int64_t ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "loop-ra-1", NULL, NULL, &err);
	ok(ra > 0, "S1: RA from the sales order (%s)", err.message);
	is_int(total_of(ra), 4320, "S1: RA total 43.20 (40.00 + 3.20 tax, shipping not refunded)");
	is_str(gl_text(ra), "", "S1: an RA does not post");
	is_str(status_of(ra), "Pending Receipt", "S1: RA pending receipt");

	snprintf(body, sizeof(body), "{\"restock\":true}");
	char path[64];
	snprintf(path, sizeof(path), "/ra/%lld/receive", (long long)ra);
	int64_t ir = ctl_id("POST", path, body, "internal_id");
	ok(ir > 0, "S1: item receipt (restock)");
	is_str(gl_text(ir), "Cr Cost of Goods Sold 15.00; Dr Inventory 15.00", "S1: receipt Dr Inventory / Cr COGS 15.00");
	is_str(status_of(ra), "Pending Refund", "S1: RA pending refund after receipt");
	int64_t ir2 = ctl_id("POST", path, body, "internal_id");
	is_int(ir2, -1, "S1: nothing left to receive");

	int64_t cr = derive(BH_SIM_NS_T_CASH_REFUND, ra, "loop-refund-1", NULL, NULL, &err);
	ok(cr > 0, "S1: cash refund from the RA");
	is_int(total_of(cr), 4320, "S1: cash refund 43.20");
	is_str(gl_text(cr), "Dr Sales Returns 40.00; Dr Sales Tax Payable 3.20; Cr Payment Clearing 43.20",
	       "S1: refund posting exactly as SCENARIOS.md");
	is_str(status_of(ra), "Refunded", "S1: RA refunded");
	int64_t cr2 = derive(BH_SIM_NS_T_CASH_REFUND, ra, "loop-refund-1b", NULL, NULL, &err);
	ok(cr2 < 0 && err.code && !strcmp(err.code, "INVALID_INITIALIZE_REF"),
	   "S1: a second refund cannot be initialized (%s)", err.code ? err.code : "");

	/* the chain, found by the Shopify order id beyond 2^53 */
	int st;
	struct json_object *o = t_ctl(ns, "GET", "/gl/order", "shopify_order_id=9007199254740993", NULL, &st);
	is_int(st, 200, "S1: GL of the order by Shopify order id (> 2^53, exact)");
	struct json_object *txs = json_object_object_get(o, "transactions");
	is_int((long long)json_object_array_length(txs), 6, "S1: SO, cash sale, fulfilment, RA, receipt, refund");
	struct json_object *net = json_object_object_get(o, "net");
	is_str(t_jstr(net, "Payment Clearing"), "5.00", "S1: net cash kept = shipping 5.00");
	is_str(t_jstr(net, "Sales Tax Payable"), NULL, "S1: tax nets to zero");
	is_str(t_jstr(net, "Inventory"), NULL, "S1: inventory back where it was");
	ok(json_object_get_boolean(json_object_object_get(o, "balanced")), "S1: chain balanced");
	json_object_put(o);
}

static void test_s3(void)
{
	char body[1024];
	struct bh_sim_ns_err err;
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"shopify-order-1003\",\"customer\":%lld,"
		 "\"lines\":[{\"sku\":\"HOODIE\",\"quantity\":1,\"rate\":\"60.00\",\"tax\":\"4.80\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)so);
	ok(ctl_id("POST", "/bill", body, "internal_id") > 0, "S3: billed");
	struct extra gc = {.item = {item_id("WebOrderGiftCard")}, .amount = {-6480}, .n = 1};
	int64_t ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "loop-ra-3", add_extra, &gc, &err);
	ok(ra > 0, "S3: RA with a gift-card line (%s)", err.message);
	is_int(total_of(ra), 0, "S3: RA total 0.00");
	struct extra bonus = {.item = {item_id("LOOP-BONUS"), item_id("WebOrderGiftCard")},
			      .amount = {500, -500}, .n = 2};
	int64_t cm = derive(BH_SIM_NS_T_CREDIT_MEMO, ra, "loop-credit-3", add_extra, &bonus, &err);
	ok(cm > 0, "S3: credit memo from the RA plus the bonus (%s)", err.message);
	is_str(gl_text(cm),
	       "Dr Sales Returns 60.00; Dr Sales Tax Payable 4.80; Cr Gift Card Liability 64.80; "
	       "Dr Return Incentive Expense 5.00; Cr Gift Card Liability 5.00",
	       "S3: credit and bonus postings exactly as SCENARIOS.md, no cash, no AR");
	is_int(total_of(cm), 0, "S3: credit memo total 0.00");
	is_str(status_of(ra), "Pending Receipt", "S3: refunded lines but the hoodie is not back yet");
}

static void test_s6_s7(void)
{
	char body[1024];
	struct bh_sim_ns_err err;
	/* S6: 108.00 paid 60.00 gift card + 48.00 card */
	snprintf(body, sizeof(body),
		 "{\"customer\":%lld,\"lines\":[{\"sku\":\"JACKET\",\"quantity\":1,\"rate\":\"100.00\",\"tax\":\"8.00\"},"
		 "{\"sku\":\"WebOrderGiftCard\",\"quantity\":1,\"amount\":\"-60.00\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)so);
	int64_t cs = ctl_id("POST", "/bill", body, "internal_id");
	is_str(gl_text(cs),
	       "Cr Sales 100.00; Cr Sales Tax Payable 8.00; Dr Gift Card Liability 60.00; Dr Payment Clearing 48.00",
	       "S6: split tender sale, gift-card tender Dr Gift Card Liability");
	int64_t ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, NULL, NULL, NULL, &err);
	is_int(total_of(ra), 4800, "S6: RA 108.00 with gift-card line -60.00 = 48.00");
	int64_t cr = derive(BH_SIM_NS_T_CASH_REFUND, ra, NULL, NULL, NULL, &err);
	is_str(gl_text(cr),
	       "Dr Sales Returns 100.00; Dr Sales Tax Payable 8.00; Cr Gift Card Liability 60.00; Cr Payment Clearing 48.00",
	       "S6: split refund posting");

	/* S7: S1 with a 5.00 restocking fee */
	snprintf(body, sizeof(body),
		 "{\"customer\":%lld,\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"tax\":\"3.20\"}]}",
		 (long long)cust());
	so = so_new(body);
	struct extra fee = {.item = {item_id("RESTOCK-FEE")}, .amount = {-500}, .n = 1};
	ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, NULL, add_extra, &fee, &err);
	is_int(total_of(ra), 3820, "S7: RA 38.20 with the fee line");
	cr = derive(BH_SIM_NS_T_CASH_REFUND, ra, NULL, NULL, NULL, &err);
	is_str(gl_text(cr),
	       "Dr Sales Returns 40.00; Dr Sales Tax Payable 3.20; Cr Restocking Fee Income 5.00; Cr Payment Clearing 38.20",
	       "S7: fee posting");
}

static void test_s4(void)
{
	char body[1024];
	struct bh_sim_ns_err err;
	int st;
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"shopify-order-1004\",\"customer\":%lld,\"tran_id\":\"SO1004\","
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"tax\":\"3.20\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)so);
	ok(ctl_id("POST", "/bill", body, "internal_id") > 0, "S4: original billed");
	struct extra gc = {.item = {item_id("WebOrderGiftCard")}, .amount = {-4320}, .n = 1};
	int64_t ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "loop-ra-4", add_extra, &gc, &err);
	is_int(total_of(ra), 0, "S4: RA item 43.20 and exchange credit -43.20 = 0.00");
	int64_t cm = derive(BH_SIM_NS_T_CREDIT_MEMO, ra, "loop-credit-4", NULL, NULL, &err);
	is_str(gl_text(cm), "Dr Sales Returns 40.00; Dr Sales Tax Payable 3.20; Cr Gift Card Liability 43.20",
	       "S4: credit document posting");
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"shopify-order-EXC1004\",\"customer\":%lld,\"exchange_of\":\"shopify-order-1004\","
		 "\"lines\":[{\"sku\":\"TEE-BLK-L\",\"quantity\":1,\"rate\":\"40.00\",\"tax\":\"3.20\"},"
		 "{\"sku\":\"WebOrderGiftCard\",\"quantity\":1,\"amount\":\"-43.20\"}]}",
		 (long long)cust());
	int64_t exc = so_new(body);
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)exc);
	int64_t cs = ctl_id("POST", "/bill", body, "internal_id");
	is_str(gl_text(cs), "Cr Sales 40.00; Cr Sales Tax Payable 3.20; Dr Gift Card Liability 43.20",
	       "S4: exchange order billing paid by the exchange credit");
	snprintf(body, sizeof(body), "sales_order=%lld", (long long)so);
	struct json_object *o = t_ctl(ns, "GET", "/gl/order", body, NULL, &st);
	is_int((long long)json_object_array_length(json_object_object_get(o, "transactions")), 6,
	       "S4: the chain holds SO, cash sale, RA, credit memo, exchange SO and its cash sale");
	struct json_object *net = json_object_object_get(o, "net");
	is_str(t_jstr(net, "Gift Card Liability"), NULL, "S4: liability nets to zero");
	is_str(t_jstr(net, "Sales Returns"), "40.00", "S4: Sales Returns 40.00 ...");
	is_str(t_jstr(net, "Sales"), "-80.00", "S4: ... against the exchange's Sales 40.00 (plus the original sale)");
	is_str(t_jstr(net, "Payment Clearing"), "43.20", "S4: only the original card payment moved cash");
	json_object_put(o);
}

static void test_over_return_and_statuses(void)
{
	char body[1024], path[64];
	struct bh_sim_ns_err err;
	int st;
	/* S2: 3 mugs at 10.80 (after the 10% discount), tax 0.86 each */
	snprintf(body, sizeof(body),
		 "{\"customer\":%lld,\"lines\":[{\"sku\":\"MUG\",\"quantity\":3,\"rate\":\"10.80\",\"tax\":\"2.58\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	struct keep two = {1, 2};
	int64_t ra = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "ra-s2-a", keep_lines, &two, &err);
	ok(ra > 0, "S2: return 2 of 3");
	is_int(total_of(ra), 2332, "S2: RA 21.60 + 1.72 = 23.32");
	int64_t ra2 = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "ra-s2-b", keep_lines, &two, &err);
	ok(ra2 < 0 && err.code && !strcmp(err.code, "USER_ERROR") && strstr(err.message, "1 left"),
	   "S2: a later return of 2 more is refused: %s", err.message);
	struct keep one = {1, 1};
	int64_t ra3 = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "ra-s2-b", keep_lines, &one, &err);
	ok(ra3 > 0, "S13: a second RA on the same order for the last unit");
	ra2 = derive(BH_SIM_NS_T_RETURN_AUTHORIZATION, so, "ra-s2-c", NULL, NULL, &err);
	ok(ra2 < 0 && !strcmp(err.code, "INVALID_INITIALIZE_REF"),
	   "S13: nothing left to return: %s", err.code);

	/* partial receipt then refund: statuses D / E / F / G */
	struct keep recv1 = {1, 1};
	int64_t ir = derive(BH_SIM_NS_T_ITEM_RECEIPT, ra, NULL, keep_lines, &recv1, &err);
	ok(ir > 0, "receive 1 of 2");
	is_str(status_of(ra), "Pending Refund/Partially Received", "1 of 2 received, nothing refunded");
	int64_t cr = derive(BH_SIM_NS_T_CASH_REFUND, ra, NULL, keep_lines, &recv1, &err);
	ok(cr > 0, "refund 1 of 2");
	is_int(total_of(cr), 1166, "refund of one mug 10.80 + 0.86 tax");
	is_str(status_of(ra), "Partially Received", "received 1, refunded 1");
	ir = derive(BH_SIM_NS_T_ITEM_RECEIPT, ra, NULL, NULL, NULL, &err);
	is_str(status_of(ra), "Pending Refund", "all received");
	cr = derive(BH_SIM_NS_T_CASH_REFUND, ra, NULL, NULL, NULL, &err);
	is_int(total_of(cr), 1166, "second refund takes the rest (23.32 - 11.66)");
	is_str(status_of(ra), "Refunded", "refunded");

	/* close, flag, cancel */
	snprintf(path, sizeof(path), "/ra/%lld/flag", (long long)ra3);
	bh_sim_ns_lock(ns);
	int64_t before = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, ra3)->modified_ms;
	bh_sim_ns_unlock(ns);
	struct json_object *o = t_ctl(ns, "POST", path, NULL, "{\"value\":true}", &st);
	is_int(st, 200, "flag the RA");
	ok(json_object_get_boolean(json_object_object_get(json_object_object_get(o, "custom_fields"),
							  "custbody_bh_review_flag")),
	   "flag field set");
	ok(t_jint(o, "last_modified_ms") > before, "lastModifiedDate moved on");
	json_object_put(o);
	snprintf(path, sizeof(path), "/ra/%lld/cancel", (long long)ra3);
	o = t_ctl(ns, "POST", path, NULL, "{}", &st);
	is_int(st, 409, "an approved RA cannot be cancelled");
	is_str(t_jstr(o, "code"), "CANT_CANCEL_APPRVD_RETRN_AUTH", "CANT_CANCEL_APPRVD_RETRN_AUTH");
	json_object_put(o);
	snprintf(path, sizeof(path), "/ra/%lld/close", (long long)ra3);
	o = t_ctl(ns, "POST", path, NULL, "{}", &st);
	is_str(t_jstr(o, "status"), "Closed", "closing every line closes the RA");
	is_str(t_jstr(o, "status_code"), "H", "SuiteQL letter H");
	json_object_put(o);
	o = t_ctl(ns, "POST", path, NULL, "{}", &st);
	is_int(st, 200, "closing a closed RA succeeds");
	json_object_put(o);
	ir = derive(BH_SIM_NS_T_ITEM_RECEIPT, ra3, NULL, NULL, NULL, &err);
	ok(ir < 0 && !strcmp(err.code, "INVALID_INITIALIZE_REF"), "a closed RA cannot be received");
}

static void test_eid_and_upsert(void)
{
	struct bh_sim_ns_err err = {0};
	int64_t id1 = 0, id2 = 0;
	bool created = false;
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"customer\":%lld,\"lines\":[{\"sku\":\"MUG\",\"quantity\":1,\"rate\":\"12.00\"}]}",
		 (long long)cust());
	int64_t so = so_new(body);
	int64_t mug = item_id("MUG");

	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *d = NULL;
	bh_sim_ns_initialize(ns, BH_SIM_NS_T_RETURN_AUTHORIZATION, bh_sim_ns_get(ns, 0, so), NULL, &d, &err);
	bh_sim_ns_str_set(&d->external_id, "LOOP-RA-77");
	int rc = bh_sim_ns_upsert(ns, d, NULL, &id1, &created, &err);
	ok(rc == BH_OK && created, "upsert adds when the externalId is new");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_RETURN_AUTHORIZATION);
	bh_sim_ns_str_set(&d->external_id, "loop-ra-77");
	bh_sim_ns_str_set(&d->memo, "second delivery");
	rc = bh_sim_ns_upsert(ns, d, NULL, &id2, &created, &err);
	ok(rc == BH_OK && !created && id2 == id1, "upsert again (externalId case-insensitive) updates the same RA");
	is_str(bh_sim_ns_get(ns, 0, id1)->memo, "second delivery", "upsert changed the memo");
	is_int((long long)bh_sim_ns_get(ns, 0, id1)->n_lines, 1, "lines untouched when no itemList is sent");

	d = bh_sim_ns_rec_new(BH_SIM_NS_T_CREDIT_MEMO);
	bh_sim_ns_str_set(&d->external_id, "loop-ra-77");
	d->created_from = id1;
	rc = bh_sim_ns_add(ns, d, NULL, &id2, &err);
	ok(rc == BH_EEXIST && !strcmp(err.code, "DUP_RCRD"),
	   "add: externalIds are unique across the transaction group (DUP_RCRD)");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_RETURN_AUTHORIZATION);
	d->id = id1;
	rc = bh_sim_ns_upsert(ns, d, NULL, &id2, &created, &err);
	ok(rc != BH_OK && !strcmp(err.message, "You cannot set internalId with upsert."),
	   "upsert refuses internalId");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_RETURN_AUTHORIZATION);
	rc = bh_sim_ns_upsert(ns, d, NULL, &id2, &created, &err);
	ok(rc != BH_OK && !strcmp(err.message, "This operation requires a value for externalId."),
	   "upsert needs an externalId");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_RETURN_AUTHORIZATION);
	d->id = 999999;
	rc = bh_sim_ns_update(ns, d, NULL, &id2, &err);
	ok(rc == BH_ENOENT && !strcmp(err.code, "RCRD_DSNT_EXIST"), "update of a missing record: RCRD_DSNT_EXIST");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_RETURN_AUTHORIZATION);
	d->entity = 424242;
	struct bh_sim_ns_line *l = bh_sim_ns_rec_add_line(d);
	l->item = mug;
	rc = bh_sim_ns_add(ns, d, NULL, &id2, &err);
	ok(rc != BH_OK && !strcmp(err.code, "INVALID_KEY_OR_REF") && strstr(err.message, "entity"),
	   "unknown entity: INVALID_KEY_OR_REF (%s)", err.message);
	const char *deny[] = {"creditMemo"};
	bh_sim_ns_cred_add(ns, T_ACCOUNT, "ck2", "cs2", "t2", "ts2", deny, 1);
	const struct bh_sim_ns_cred *limited = bh_sim_ns_cred_find(ns, T_ACCOUNT, "ck2", "t2");
	d = bh_sim_ns_rec_new(BH_SIM_NS_T_CREDIT_MEMO);
	rc = bh_sim_ns_add(ns, d, limited, &id2, &err);
	ok(rc == BH_EAUTH && !strcmp(err.code, "INSUFFICIENT_PERMISSION"),
	   "a role without the permission: INSUFFICIENT_PERMISSION");
	bh_sim_ns_unlock(ns);
}

static void test_ledger(void)
{
	int st;
	size_t unbalanced = 0, postings = 0;
	bh_sim_ns_lock(ns);
	for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
		int64_t d = 0, c = 0;
		for (size_t k = 0; k < r->n_gl; k++) {
			d += r->gl[k].debit;
			c += r->gl[k].credit;
		}
		postings += r->n_gl > 0;
		unbalanced += d != c;
	}
	bh_sim_ns_unlock(ns);
	ok(postings >= 10, "%zu posting transactions", postings);
	is_int((long long)unbalanced, 0, "every posting balances: debits == credits to the cent");
	struct json_object *o = t_ctl(ns, "GET", "/gl/trial_balance", NULL, NULL, &st);
	is_int(st, 200, "trial balance");
	is_str(t_jstr(o, "balance"), "0.00", "trial balance sums to zero");
	is_str(t_jstr(o, "total_debit"), t_jstr(o, "total_credit"), "total debits == total credits");
	json_object_put(o);
	o = t_ctl(ns, "GET", "/records", "type=returnAuthorization&externalId=LOOP-RA-1", NULL, &st);
	is_int((long long)json_object_array_length(json_object_object_get(o, "records")), 1,
	       "GET /records?type=&externalId= (case-insensitive)");
	json_object_put(o);
	o = t_ctl(ns, "GET", "/records", NULL, NULL, &st);
	ok(json_object_array_length(json_object_object_get(o, "records")) > 20, "GET /records lists all transactions");
	json_object_put(o);
	o = t_ctl(ns, "GET", "/records/salesOrder/1", NULL, NULL, &st);
	is_int(st, 404, "GET /records/<type>/<missing id> -> 404");
	json_object_put(o);
}

static void test_sku_field(void)
{
	int st;
	struct bh_sim_ns *other = t_ns_new("{\"xsd\":false,\"sku_field\":\"custitem_bh_sku\"}");
	struct json_object *o = t_ctl(other, "POST", "/items", NULL,
		"{\"items\":[{\"sku\":\"ABC-1\",\"name\":\"Widget\",\"type\":\"inventory\",\"cost\":\"1.00\",\"price\":\"2.00\"}]}",
		&st);
	is_int(st, 200, "sku_field=custitem_bh_sku: POST /items");
	json_object_put(o);
	bh_sim_ns_lock(other);
	struct bh_sim_ns_rec *it = bh_sim_ns_item_by_sku(other, "ABC-1");
	ok(it && strcmp(it->item_id, "ABC-1") != 0, "the SKU lives in the custom field, not in itemId (%s)",
	   it ? it->item_id : "none");
	const struct bh_sim_ns_cf *cf = it ? bh_sim_ns_cf_get(it->cf, it->n_cf, "custitem_bh_sku") : NULL;
	is_str(cf ? cf->value : NULL, "ABC-1", "custitem_bh_sku holds the SKU");
	bh_sim_ns_unlock(other);
	o = t_ctl(other, "POST", "/sales_orders", NULL,
		  "{\"lines\":[{\"sku\":\"NOPE\",\"quantity\":1}]}", &st);
	ok(st == 404 && strstr(t_jstr(o, "error"), "custitem_bh_sku"), "unknown SKU names the field: %s",
	   t_jstr(o, "error"));
	json_object_put(o);
	bh_sim_service_netsuite.destroy(other);
}

int main(void)
{
	ns = t_ns_new("{\"xsd\":false}");
	if (!ns) {
		ok(0, "create the netsuite service");
		return done_testing();
	}
	test_helpers();
	seed();
	test_s1();
	test_s3();
	test_s4();
	test_s6_s7();
	test_over_return_and_statuses();
	test_eid_and_upsert();
	test_ledger();
	test_sku_field();
	bh_sim_service_netsuite.destroy(ns);
	return done_testing();
}
