/*
 * report_e2e.c - `backhaul report order NAME` through the CLI binary against a seeded
 * backhaul-sim with the real shopify, loop and netsuite-soap plugins: an order with a
 * return that was received in NetSuite and processed in Loop; the report shows the
 * order, its sales order and — where the plugins offer the read operations appended
 * for the report (find_returns, related_transactions) — the return with its RA and
 * receipt; otherwise it says what it cannot show (those checks are skipped). Unknown
 * order and an unreachable ERP give their exit codes.
 */
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

	/* the scenario: order, return, RA, warehouse receipt, processed in Loop */
	int rc = bh_test_engine_start(eps, &te);
	is_int(rc, 0, "an engine to write the RA through netsuite-soap");
	ok(lcs_order(&s, "LC-REP", &o), "order %s (id %s) in Shopify and NetSuite", o.name, o.id);
	ok(lcs_return(&s, &o, rid, sizeof(rid)), "return %s in Loop", rid);
	bool have_ra = rc == 0 && lcs_ra(&s, &te, &o, rid, iid, sizeof(iid));
	ok(have_ra, "RA loop-ra-%s (%s)", rid, iid);
	if (have_ra) {
		snprintf(path, sizeof(path), "/control/netsuite/ra/%s/receive", iid);
		lcs_post(&s, path, "{\"restock\":true}", NULL, NULL, 0);
		snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid);
		lcs_post(&s, path, "{}", NULL, NULL, 0);
		struct st_arg closed = {&s, rid, "closed"};
		ok(lcs_wait(&te, 20000, loop_state, &closed), "received in NetSuite, processed in Loop");
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
	ok(has(out, "LC-REP") && has(out, "total 86.40"), "its line and total");
	ok(has(out, "in ERP 'netsuite':") && has(out, "sales_order") &&
		   has(out, "shopify-order-"), "its sales order in NetSuite");
	bool returns_listed = !strstr(out, "cannot list an order's returns");
	bool related = !strstr(out, "cannot list related transactions");
	if (returns_listed) {
		snprintf(want, sizeof(want), "return %s in portal 'loop': state closed", rid);
		ok(has(out, want), "the return, closed in Loop");
	} else {
		ok(1, "# SKIP the loop plugin offers no find_returns (returns are not listed)");
	}
	if (returns_listed && related) {
		snprintf(want, sizeof(want), "loop-ra-%s", rid);
		ok(has(out, want) && has(out, "item_receipt"), "its RA and the warehouse receipt");
	} else {
		ok(1, "# SKIP find_returns / related_transactions missing: RA chain not shown");
	}
	if (!related)
		diag("netsuite-soap offers no related_transactions yet");
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
