/*
 * report_e2e.c - `backhaul report order NAME` through the CLI binary against backhaul-sim
 * with the real shopify, loop and netsuite-soap plugins. The scenario: an order in
 * Shopify and NetSuite, fulfilled and billed as a cash sale in NetSuite; a Loop return
 * of one unit, its RA written through the engine's netsuite instance, received in
 * NetSuite, processed in Loop, refunded by a cash refund from the RA. The report shows
 * the order, the return as Loop has it (found by loop's find_returns) and the whole
 * chain netsuite-soap's related_transactions gives: sales order, fulfilment, cash sale,
 * RA, item receipt and cash refund, each with its number, status in words and total
 * with 2 decimals, aligned. Unknown order and an unreachable ERP give their exit codes.
 */
#include <stdarg.h>
#include <sys/wait.h>

#include "report_sim.h"

static char tmp[128], bin[2048];

static int run(const char *confd, const char *args, char **out, char **err)
{
	char cmd[8192], p[256];
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/%s' %s >'%s/out' 2>'%s/err'", bin, tmp, confd,
		 args, tmp, tmp);
	int st = system(cmd);
	const char *names[2] = {"out", "err"};
	char **dst[2] = {out, err};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, names[i]);
		FILE *fp = fopen(p, "r");
		char *b = calloc(1, 1 << 20);
		if (fp && b) {
			size_t n = fread(b, 1, (1 << 20) - 1, fp);
			b[n] = '\0';
		}
		if (fp)
			fclose(fp);
		*dst[i] = b;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_conf(const char *confd, const char *body)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, confd);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/10.conf", tmp, confd);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return;
	fprintf(fp, "[engine]\nstate_dir = %s/state\nhttp_enabled = false\n\n%s", tmp, body);
	fclose(fp);
}

static int has(const char *hay, const char *needle)
{
	int r = hay && strstr(hay, needle) != NULL;
	if (!r)
		diag("  missing: %s", needle);
	return r;
}

struct st_arg {
	struct lcs *s;
	const char *rid, *want;
};

static bool loop_state(void *a)
{
	struct st_arg *x = a;
	char path[128], st[64];
	snprintf(path, sizeof(path), "/control/loop/returns/%s", x->rid);
	return lcs_get(x->s, path, "state", st, sizeof(st)) && strcmp(st, x->want) == 0;
}

/* The internal id of the first record of a /control/netsuite/records query. */
static bool ns_record_iid(struct lcs *s, const char *query, char *iid, size_t len)
{
	char path[256], *resp = NULL;
	bool found = false;
	iid[0] = '\0';
	snprintf(path, sizeof(path), "/control/netsuite/records?%s", query);
	if (bh_test_ctl(&s->sim, "GET", path, NULL, &resp) == 200 && resp) {
		json_object *o = json_tokener_parse(resp), *recs, *v;
		if (o && json_object_object_get_ex(o, "records", &recs) &&
		    json_object_array_length(recs) > 0 &&
		    json_object_object_get_ex(json_object_array_get_idx(recs, 0), "internal_id", &v)) {
			snprintf(iid, len, "%s", json_object_get_string(v));
			found = true;
		}
		json_object_put(o);
	}
	free(resp);
	return found;
}

/* The line of out holding `key` holds every one of the NULL-terminated strings too. */
static int row(const char *out, const char *key, ...)
{
	const char *k = out ? strstr(out, key) : NULL;
	if (!k) {
		diag("  no line with: %s", key);
		return 0;
	}
	const char *b = k, *e = strchr(k, '\n');
	while (b > out && b[-1] != '\n')
		b--;
	char *line = strndup(b, e ? (size_t)(e - b) : strlen(b));
	int r = 1;
	va_list ap;
	va_start(ap, key);
	for (const char *w; (w = va_arg(ap, const char *));)
		if (!strstr(line, w)) {
			diag("  line '%s' lacks '%s'", line, w);
			r = 0;
		}
	va_end(ap);
	free(line);
	return r;
}

/* The line holding `key` ends its Total column where the heading above it does. */
static int aligned(const char *out, const char *key, const char *total)
{
	const char *k = out ? strstr(out, key) : NULL, *h = NULL;
	for (const char *p = out; k && (p = strstr(p, " Total  Int. id")) && p < k; p++)
		h = p;
	if (!k || !h)
		return 0;
	const char *hb = h, *b = k;
	while (hb > out && hb[-1] != '\n')
		hb--;
	while (b > out && b[-1] != '\n')
		b--;
	int col = (int)(h - hb) + 6; /* just after "Total" */
	size_t tl = strlen(total);
	int r = col >= (int)tl && strncmp(b + col - tl, total, tl) == 0 && b[col] == ' ';
	if (!r)
		diag("  %s: total %s not under the heading", key, total);
	return r;
}

int main(void)
{
	struct lcs s;
	struct lcs_order o;
	struct bh_test_engine te;
	char eps[4096], rid[32], iid[32], path[256], args[256], want[256], *out, *err;
	lcs_begin(&s);
	snprintf(bin, sizeof(bin), "%s/backhaul", getenv("BH_TOP_BUILDDIR"));
	snprintf(tmp, sizeof(tmp), "/tmp/bh-repe2e-XXXXXX");
	if (!mkdtemp(tmp)) {
		bh_test_sim_stop(&s.sim);
		skip_all("no temp dir");
	}
	lcs_endpoints(&s, eps, sizeof(eps), false, false);

	/* the scenario: order fulfilled and billed, return, RA, warehouse receipt, processed
	 * in Loop, cash refund */
	char so[32] = "", q[160], body[1024], ir[32] = "";
	int rc = bh_test_engine_start(eps, &te);
	is_int(rc, 0, "an engine to write the RA and the refund through netsuite-soap");
	ok(lcs_order(&s, "LC-REP", &o), "order %s (id %s) in Shopify and NetSuite", o.name, o.id);
	snprintf(q, sizeof(q), "type=salesOrder&externalId=shopify-order-%s", o.id);
	ok(ns_record_iid(&s, q, so, sizeof(so)), "its sales order %s", so);
	snprintf(body, sizeof(body), "{\"sales_order\":%s}", so[0] ? so : "0");
	is_int(lcs_post(&s, "/control/netsuite/fulfill", body, NULL, NULL, 0), 200, "fulfilled");
	snprintf(body, sizeof(body), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", so[0] ? so : "0");
	is_int(lcs_post(&s, "/control/netsuite/bill", body, NULL, NULL, 0), 200,
	       "billed as a cash sale");
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	bool have_ra = rc == 0 && lcs_ra(&s, &te, &o, rid, iid, sizeof(iid));
	ok(have_ra, "RA loop-ra-%s (%s)", rid, iid);
	if (have_ra) {
		snprintf(path, sizeof(path), "/control/netsuite/ra/%s/receive", iid);
		lcs_post(&s, path, "{\"restock\":true}", "tran_id", ir, sizeof(ir));
		snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid);
		lcs_post(&s, path, "{}", NULL, NULL, 0);
		struct st_arg closed = {&s, rid, "closed"};
		ok(lcs_wait(&te, 20000, loop_state, &closed), "received in NetSuite (%s), processed "
		   "in Loop", ir);
		void *ctx = NULL;
		const struct bh_erp_ops *erp = bh_test_cap(&te, "netsuite", BH_CAP_ERP, &ctx);
		char *ans = NULL;
		struct bh_status st;
		memset(&st, 0, sizeof(st));
		snprintf(body, sizeof(body),
			 "{\"external_id\":\"loop-cr-%s\",\"document\":\"cash_refund\","
			 "\"ra\":{\"external_id\":\"loop-ra-%s\"},\"return_id\":\"%s\","
			 "\"lines\":[{\"sku\":\"LC-REP\",\"quantity\":1,\"rate\":\"40.00\","
			 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[],"
			 "\"bonus\":null,\"customer_refund\":null}", rid, rid, rid);
		int rrc = erp ? erp->create_refund(ctx, body, &ans, &st) : -1;
		is_int(rrc, 0, "cash refund loop-cr-%s from the RA", rid);
		if (rrc != 0)
			diag("create_refund: %s %s", st.code, st.message);
		free(ans);
	}
	bh_test_engine_stop(&te); /* also cleans up after a failed start */

	write_conf("all", eps);
	snprintf(args, sizeof(args), "report order '%s'", o.name);
	int ex = run("all", args, &out, &err);
	is_int(ex, 0, "report order %s exits 0", o.name);
	if (ex != 0)
		diag("stderr: %s", err);
	for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		diag("| %.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
	snprintf(want, sizeof(want), "storefront order %s (id %s)", o.name, o.id);
	ok(has(out, want), "the Shopify order with its id");
	ok(row(out, "LC-REP           LC-REP", "   2 ", "40.00", "6.40", NULL) &&
		   has(out, "total 86.40  refunded 43.20"), "its line, total and what was refunded");
	ok(has(out, "payment partially refunded"), "its financial status in words");
	ok(!strstr(out, "cannot list"), "both read operations are offered (no notes)");
	ok(!strstr(out, "INCOMPLETE"), "every read succeeded");

	/* the ERP chain, each with number, status in words, total with 2 decimals */
	snprintf(want, sizeof(want), "shopify-order-%s", o.id);
	ok(has(out, "in ERP 'netsuite':") &&
		   row(out, want, "sales order", o.name, "billed", "86.40", NULL) &&
		   aligned(out, want, "86.40"),
	   "the sales order: number, total");
	ok(row(out, "item fulfillment ", "(from sales order", NULL), "its fulfilment");
	ok(row(out, "cash sale ", "not deposited", "86.40", "(from sales order", NULL) &&
		   aligned(out, "cash sale ", "86.40"), "its billing: a cash sale of 86.40");

	/* the return as Loop has it, with its RA, receipt and refund under it */
	snprintf(want, sizeof(want), "return %s in portal 'loop'", rid);
	ok(row(out, want, "closed, processed", "outcome refund", NULL),
	   "the return: closed and processed in Loop");
	const char *ret = strstr(out, want);
	ok(ret && row(ret, "LC-REP           LC-REP", "   1 ", "3.20", "43.20", "refund", NULL),
	   "its line: 1 unit, refund 43.20");
	ok(has(out, "refunds: shopify_payments 43.20"), "refunded to the card in Shopify");
	snprintf(want, sizeof(want), "loop-ra-%s", rid);
	ok(row(out, want, "return authorization", "refunded", "43.20", NULL) &&
		   aligned(out, want, "43.20"),
	   "its RA: refunded, 43.20");
	ok(has(out, "received 1  billed 1"), "the RA's line received and billed");
	ok(ir[0] && row(out, ir, "item receipt", "(from return authorization", NULL),
	   "the warehouse receipt %s", ir);
	snprintf(want, sizeof(want), "loop-cr-%s", rid);
	ok(row(out, want, "cash refund", "43.20", "(from return authorization", NULL) &&
		   aligned(out, want, "43.20"),
	   "the cash refund: 43.20 from the RA");
	const char *ret_at = strstr(out, "return authorization ");
	const char *cs_at = strstr(out, "cash sale ");
	ok(cs_at && ret_at && cs_at < ret_at, "the billing at the order level, the RA's chain "
	   "under the return");
	free(out);
	free(err);

	snprintf(args, sizeof(args), "report order '#99999' --json");
	ex = run("all", args, &out, &err);
	is_int(ex, 66, "an unknown order exits 66");
	ok(has(err, "no order named '#99999' in storefront 'shopify'"), "and says so");
	free(out);
	free(err);

	/* NetSuite unreachable: what Shopify says is still shown */
	char down[4096], *p = strstr(eps, "[endpoint netsuite]");
	snprintf(down, sizeof(down), "%.*s", (int)(p ? p - eps : 0), eps);
	size_t n = strlen(down);
	snprintf(down + n, sizeof(down) - n,
		 "[endpoint netsuite]\nplugin = netsuite-soap\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_LCS_NS_CS\n"
		 "token_id = bh-sim-token-id\ntoken_secret_env = BH_LCS_NS_TS\n"
		 "base_url = http://127.0.0.1:1\nretries = 0\ntimeout = 2s\n\n"
		 "[endpoint shopify]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_LCS_SHOP_TOKEN\npoll = false\n", s.sim.shopify);
	write_conf("down", down);
	snprintf(args, sizeof(args), "report order '%s'", o.name);
	ex = run("down", args, &out, &err);
	is_int(ex, 69, "an unreachable NetSuite exits 69");
	snprintf(want, sizeof(want), "storefront order %s", o.name);
	ok(has(out, want), "the order is still shown");
	ok(has(out, "erp 'netsuite': find the sales order of storefront order"),
	   "the failure names the endpoint and the call");
	free(out);
	free(err);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		diag("could not remove %s", tmp);
	bh_test_sim_stop(&s.sim);
	return done_testing();
}
