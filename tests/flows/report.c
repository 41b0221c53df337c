/*
 * report.c - `backhaul report order NAME` through the CLI binary on a conf.d whose
 * endpoint is the in-memory fake seeded from tests/data/flows/report_seed.json: the
 * order, the sales order and its transactions with GL, each return with its RA,
 * receipt, refund and exchange order, text and --json; exact Shopify ids; unknown
 * order; unreachable / refused endpoints; the 1.0 ops tables (no find_returns /
 * related_transactions); endpoint choice; usage.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "tap.h"

static char dir[128], bin[2048], seed[2048], plugdir[2048];

/* Run `backhaul -c <dir>/<confd> ARGS`; *out / *err = what it printed (malloc'd). */
static int run(const char *confd, const char *args, char **out, char **err)
{
	char cmd[16384], p[256];
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/%s' %s >'%s/out' 2>'%s/err'", bin, dir, confd,
		 args, dir, dir);
	int st = system(cmd);
	const char *names[2] = {"out", "err"};
	char **dst[2] = {out, err};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
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
	snprintf(p, sizeof(p), "%s/%s", dir, confd);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/10.conf", dir, confd);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return;
	fprintf(fp, "[engine]\nstate_dir = %s/state-%s\nplugin_path = %s\nhttp_enabled = false\n\n%s",
		dir, confd, plugdir, body);
	fclose(fp);
}

static int has(const char *hay, const char *needle)
{
	int r = hay && strstr(hay, needle) != NULL;
	if (!r)
		diag("  missing: %s", needle);
	return r;
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
	int len = e ? (int)(e - b) : (int)strlen(b), r = 1;
	va_list ap;
	va_start(ap, key);
	for (const char *w; (w = va_arg(ap, const char *));) {
		char *line = strndup(b, (size_t)len);
		if (!strstr(line, w)) {
			diag("  line '%s' lacks '%s'", line, w);
			r = 0;
		}
		free(line);
	}
	va_end(ap);
	return r;
}

/* Every transaction row's total ends where its table's "Total" heading ends. */
static int totals_aligned(const char *out)
{
	int end = -1, rows = 0, r = 1;
	for (const char *l = out; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, n);
		const char *h = strstr(line, " Total  Int. id");
		if (h) {
			end = (int)(h - line) + 6;
		} else if (end > 0 && (int)n > end + 2 && line[end] == ' ' && line[end + 1] == ' ' &&
			   (strstr(line, "sales order ") || strstr(line, "cash sale ") ||
			    strstr(line, "return authorization ") || strstr(line, "item receipt ") ||
			    strstr(line, "cash refund ") || strstr(line, "credit memo "))) {
			rows++;
		} else if (end > 0 && (strstr(line, "  sales order  ") ||
				       strstr(line, "  cash refund  "))) {
			diag("  misaligned: %s", line);
			r = 0;
		}
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return r && rows > 0;
}

static void test_text(void)
{
	char *out, *err, conf[16384];
	snprintf(conf, sizeof(conf), "[endpoint fake]\nplugin = lifecycle-fake\nseed_file = %s\n",
		 seed);
	write_conf("one", conf);
	int ex = run("one", "report order '#1001'", &out, &err);
	is_int(ex, 0, "report order #1001 exits 0");
	ok(has(out, "storefront order #1001 (id 5210398573245212345)"),
	   "the storefront order with its exact 19-digit id");
	ok(row(out, "TEE-BLK-M        Tee black M", "  2 ", "40.00", "6.40", NULL) &&
		   has(out, "totals: subtotal 80.00  discount 0.00  shipping 5.00  tax 6.40  total "
			    "91.40  refunded 43.20"),
	   "its lines and totals");
	ok(has(out, "payment partially refunded"), "its financial status in words");
	ok(has(out, "tenders: card (shopify_payments) 91.40"), "its tenders");
	ok(has(out, "in ERP 'fake':") && row(out, "SO-500", "sales order", "2026-11-01", "billed",
						  "91.40", "shopify-order-5210398573245212345", NULL),
	   "the sales order in the ERP: number, date, status, total");
	ok(row(out, "CS-501", "cash sale", "deposited", "91.40", "(from sales order 500)", NULL) &&
		   has(out, "GL Dr Payment Clearing                  91.40"),
	   "the billing with its GL");
	ok(row(out, "return 6042537 in portal 'fake'", "closed", "outcome refund", NULL),
	   "the refunded return");
	ok(row(out, "RA-790", "return authorization", "refunded", "43.20", "loop-ra-6042537", NULL) &&
		   has(out, "received 1  billed 1"),
	   "its RA with status, total and quantities");
	ok(row(out, "IR-812", "item receipt", "received", "0.00", "(from return authorization 790)",
	       NULL) && has(out, "GL Dr Inventory                         15.00"),
	   "the warehouse receipt and its GL");
	ok(row(out, "CR-813", "cash refund", "refunded", "43.20", "loop-cr-6042537", NULL) &&
		   has(out, "GL Dr Sales Returns                     40.00") &&
		   has(out, "GL Cr Payment Clearing                  43.20"),
	   "the cash refund and its GL");
	ok(row(out, "return 6042538 in portal 'fake'", "open", "outcome exchange", NULL),
	   "the exchange return");
	ok(row(out, "RA-791", "pending receipt FLAGGED", "0.00", NULL) &&
		   has(out, "GIFT-CARD        qty   1  rate    -43.20"),
	   "its RA, flagged, status in words, negative amounts with 2 decimals");
	ok(has(out, "storefront order EXC1001 (id 5210398573245299999)") &&
		   has(out, "exchange order of #1001 (return 6042538)") &&
		   row(out, "SO-600", "pending fulfillment", "43.20", "(exchange of 500)", NULL),
	   "the exchange order in the storefront and the ERP");
	const char *first = strstr(out, "SO-600");
	ok(first && !strstr(first + 1, "SO-600"), "the exchange sales order is listed once");
	ok(totals_aligned(out), "transaction totals are aligned under their heading");
	ok(!strstr(out, "sales_order") && !strstr(out, "return_authorization") &&
		   !strstr(out, "pending_") && !strstr(out, "item_receipt"),
	   "types and statuses in words, not lower_snake");
	ok(!strstr(out, "INCOMPLETE"), "nothing failed");
	free(out);
	free(err);

	/* the exchange order itself */
	ex = run("one", "report order EXC1001", &out, &err);
	is_int(ex, 0, "report order EXC1001 exits 0");
	ok(has(out, "exchange order of #1001 (return 6042538)"), "says whose exchange it is");
	free(out);
	free(err);

	ex = run("one", "report order '#9999'", &out, &err);
	is_int(ex, 66, "an unknown order exits 66");
	ok(has(err, "no order named '#9999' in storefront 'fake'"), "and says so");
	free(out);
	free(err);
}

static void test_json(void)
{
	char *out, *err;
	int ex = run("one", "report order '#1001' --json", &out, &err);
	is_int(ex, 0, "--json exits 0");
	json_object *o = json_tokener_parse(out), *v, *rets;
	ok(o != NULL, "--json prints one JSON object");
	ok(o && json_object_object_get_ex(o, "order", &v) &&
		   strcmp(json_object_get_string(json_object_object_get(v, "id")),
			  "5210398573245212345") == 0,
	   "order id exact as a string");
	ok(o && json_object_object_get_ex(o, "returns", &rets) &&
		   json_object_array_length(rets) == 2,
	   "two returns");
	if (o && rets && json_object_array_length(rets) == 2) {
		json_object *r0 = json_object_array_get_idx(rets, 0);
		json_object *tx = json_object_object_get(r0, "transactions");
		is_int((long long)json_object_array_length(tx), 2,
		       "return 6042537 carries its receipt and refund");
		json_object *ra = json_object_object_get(r0, "return_authorization");
		is_str(json_object_get_string(json_object_object_get(ra, "external_id")),
		       "loop-ra-6042537", "and its RA");
		json_object *r1 = json_object_array_get_idx(rets, 1);
		json_object *xo = json_object_object_get(r1, "exchange_order");
		is_str(json_object_get_string(json_object_object_get(
			       json_object_object_get(xo, "sales_order"), "internal_id")),
		       "600", "the exchange order's sales order");
	}
	json_object *tx = o ? json_object_object_get(o, "transactions") : NULL;
	is_int(tx ? (long long)json_object_array_length(tx) : -1, 1,
	       "only the billing is left at the order level");
	json_object_put(o);
	free(out);
	free(err);
}

static void test_failures(void)
{
	char *out, *err, conf[16384];
	snprintf(conf, sizeof(conf), "[endpoint fake]\nplugin = lifecycle-fake\nseed_file = %s\n"
		 "fail_op = erp.find_sales_order\nfail_kind = retry\n", seed);
	write_conf("down", conf);
	int ex = run("down", "report order '#1001'", &out, &err);
	is_int(ex, 69, "an unreachable ERP exits 69");
	ok(has(out, "storefront order #1001"), "what could be read is still shown");
	ok(has(out, "  not known: the read failed (see below)"), "the ERP part says it is unknown");
	ok(has(out, "INCOMPLETE: 2 reads failed") &&
		   has(out, "erp 'fake': find the sales order of storefront order 5210398573245212345: "
			    "cannot be reached or is busy (UNREACHABLE)"),
	   "the failure names endpoint, call and reason");
	free(out);
	free(err);

	snprintf(conf, sizeof(conf), "[endpoint fake]\nplugin = lifecycle-fake\nseed_file = %s\n"
		 "fail_op = portal.find_returns\nfail_kind = auth\n", seed);
	write_conf("auth", conf);
	ex = run("auth", "report order '#1001'", &out, &err);
	is_int(ex, 77, "refused credentials exit 77");
	ok(has(out, "credentials or permissions refused (INVALID_LOGIN)"), "and say so");
	free(out);
	free(err);

	snprintf(conf, sizeof(conf), "[endpoint fake]\nplugin = lifecycle-fake\nseed_file = %s\n"
		 "fail_op = storefront.find_order_by_name\nfail_kind = retry\n", seed);
	write_conf("sfdown", conf);
	ex = run("sfdown", "report order '#1001'", &out, &err);
	is_int(ex, 69, "an unreachable storefront exits 69");
	ok(has(err, "storefront 'fake': find order #1001: cannot be reached"), "and says so");
	free(out);
	free(err);
}

static void test_old_ops(void)
{
	char *out, *err, conf[16384];
	snprintf(conf, sizeof(conf), "[endpoint fake]\nplugin = lifecycle-fake\nseed_file = %s\n"
		 "new_ops = false\n", seed);
	write_conf("old", conf);
	int ex = run("old", "report order '#1001'", &out, &err);
	is_int(ex, 0, "1.0 ops tables: exits 0");
	ok(has(out, "SO-500"), "the sales order is shown");
	ok(has(out, "note: the erp endpoint cannot list related transactions"),
	   "the report says what it cannot show (ERP)");
	ok(has(out, "note: the portal endpoint cannot list an order's returns"),
	   "the report says what it cannot show (portal)");
	free(out);
	free(err);
}

static void test_choice(void)
{
	char *out, *err, conf[16384];
	snprintf(conf, sizeof(conf),
		 "[endpoint a]\nplugin = lifecycle-fake\nseed_file = %s\n\n"
		 "[endpoint b]\nplugin = lifecycle-fake\nseed_file = %s\nnew_ops = false\n",
		 seed, seed);
	write_conf("two", conf);
	int ex = run("two", "report order '#1001'", &out, &err);
	is_int(ex, 64, "two storefronts: usage error");
	ok(has(err, "endpoints 'a' and 'b' both offer 'storefront': choose one with --storefront"),
	   "asks to choose");
	free(out);
	free(err);
	ex = run("two", "report order '#1001' --storefront a --portal a --erp b", &out, &err);
	is_int(ex, 0, "explicit endpoints: exits 0");
	ok(has(out, "in ERP 'b'") && has(out, "returns in portal 'a': 2"), "uses the chosen ones");
	free(out);
	free(err);
	ex = run("two", "report order '#1001' --storefront a --portal a --erp nosuch", &out, &err);
	is_int(ex, 78, "an unknown endpoint exits 78");
	ok(has(err, "no endpoint named 'nosuch'"), "and names it");
	free(out);
	free(err);

	write_conf("empty", "");
	ex = run("empty", "report order '#1001'", &out, &err);
	is_int(ex, 78, "no storefront configured exits 78");
	free(out);
	free(err);

	ex = run("one", "report --help", &out, &err);
	is_int(ex, 0, "--help exits 0");
	ok(has(out, "usage: backhaul [-c DIR] report order NAME"), "and prints the usage");
	free(out);
	free(err);
	ex = run("one", "report", &out, &err);
	is_int(ex, 64, "no arguments: usage");
	free(out);
	free(err);
	ex = run("one", "report order", &out, &err);
	is_int(ex, 64, "no order name: usage");
	free(out);
	free(err);
	ex = run("one", "report invoice 12", &out, &err);
	is_int(ex, 64, "unknown report: usage");
	free(out);
	free(err);
	ex = run("one", "--help", &out, &err);
	ok(has(out, "report "), "backhaul --help lists report");
	free(out);
	free(err);
}

/* The shipped sample passes check-config once its endpoints exist and the flows are
 * enabled (samples.sh checks it alone, disabled). */
static void test_sample(void)
{
	char p[4096], line[1024], *out, *err;
	const char *src = getenv("BH_TOP_SRCDIR");
	snprintf(p, sizeof(p), "%s/conf.d/40-lifecycle.conf.example", src);
	FILE *in = fopen(p, "r");
	write_conf("sample", "[endpoint loop]\nplugin = lifecycle-fake\n\n"
			     "[endpoint netsuite]\nplugin = lifecycle-fake\n");
	snprintf(p, sizeof(p), "%s/sample/40-lifecycle.conf", dir);
	FILE *o = fopen(p, "w");
	int flows = 0;
	while (in && o && fgets(line, sizeof(line), in)) {
		if (strncmp(line, "enabled = false", 15) == 0)
			continue;
		flows += strncmp(line, "[flow ", 6) == 0;
		fputs(line, o);
	}
	if (in)
		fclose(in);
	if (o)
		fclose(o);
	is_int(flows, 4, "the sample holds the four lifecycle flows");
	int ex = run("sample", "check-config", &out, &err);
	is_int(ex, 0, "the sample, enabled, passes check-config with its endpoints present");
	ok(has(out, "2 endpoints, 4 flows"), "all four flows configured");
	if (ex != 0)
		diag("%s", err);
	free(out);
	free(err);
}

int main(void)
{
	const char *top = getenv("BH_TOP_BUILDDIR"), *src = getenv("BH_TOP_SRCDIR");
	if (!top || !src)
		skip_all("BH_TOP_BUILDDIR / BH_TOP_SRCDIR not set (run through make check)");
	snprintf(bin, sizeof(bin), "%s/backhaul", top);
	snprintf(plugdir, sizeof(plugdir), "%s/tests/flows/.libs", top);
	snprintf(seed, sizeof(seed), "%s/tests/data/flows/report_seed.json", src);
	snprintf(dir, sizeof(dir), "/tmp/bh-report-XXXXXX");
	if (!mkdtemp(dir))
		skip_all("no temp dir");
	test_text();
	test_json();
	test_failures();
	test_old_ops();
	test_choice();
	test_sample();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
