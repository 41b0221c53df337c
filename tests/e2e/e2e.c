/*
 * e2e.c - the end-to-end harness (see e2e.h): processes, conf.d, control APIs,
 * waiting, JSON and general-ledger assertions.
 *
 * Ownership: struct e2e owns its directory and child processes; returned JSON objects
 * are new references. Threading: single-threaded (the test's main thread).
 */
#include "e2e.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "simctl.h"
#include "tap.h"

#define SHOPIFY_TOKEN "shpat_e2e0000000000000000000000000001"
#define SHOPIFY_WHSEC "e2e-shopify-webhook-secret"
#define LOOP_KEY "e2e-loop-api-key"
#define LOOP_WHSEC "e2e-loop-webhook-secret"

/* ------------------------------------------------------------------ small helpers */

/* One assertion, counted by the test program (see e2e_ok_fn). */
__attribute__((format(printf, 3, 4))) static int t_ok(struct e2e *t, int pass, const char *fmt,
						       ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return t->ok(pass, msg);
}

static void diag_tail(const char *path, int lines)
{
	char *text = bh_sc_read_file(path);
	if (!text) {
		diag("(no %s)", path);
		return;
	}
	size_t n = strlen(text);
	const char *p = text + n;
	int seen = 0;
	while (p > text && seen <= lines) {
		p--;
		if (*p == '\n')
			seen++;
	}
	diag("--- last lines of %s", path);
	for (char *line = strtok((char *)p, "\n"); line; line = strtok(NULL, "\n"))
		diag("  %s", line);
	free(text);
}

/* ------------------------------------------------------------------ HTTP */

long e2e_ctl(struct e2e *t, const char *method, const char *path, const char *body,
	     json_object **out)
{
	return bh_sc_ctl(t->control, method, path, body, out);
}

long e2e_ctlf(struct e2e *t, const char *method, json_object **out, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return e2e_ctl(t, method, path, NULL, out);
}

long e2e_engine_post(struct e2e *t, const char *path, const char *const *headers,
		     const char *body)
{
	char url[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", t->http_port, path);
	return bh_sc_http("POST", url, headers, body, NULL);
}

/* A control call that must succeed (2xx); reports the failure as a diagnostic. */
static bool ctl_ok(struct e2e *t, const char *method, const char *path, const char *body)
{
	json_object *o = NULL;
	long code = e2e_ctl(t, method, path, body, &o);
	if (code < 200 || code > 299)
		diag("control %s %s -> %ld %s", method, path, code,
		     o ? json_object_to_json_string(o) : "");
	json_object_put(o);
	return code >= 200 && code <= 299;
}

/* ------------------------------------------------------------------ JSON */

json_object *e2e_get(json_object *o, const char *path)
{
	return bh_sc_get(o, path);
}

const char *e2e_str(json_object *o, const char *path)
{
	return bh_sc_str(o, path);
}

int64_t e2e_int(json_object *o, const char *path, int64_t def)
{
	return bh_sc_int(o, path, def);
}

int64_t e2e_money(const char *s)
{
	return bh_sc_cents(s);
}

int64_t e2e_cents(json_object *o, const char *path)
{
	json_object *v = e2e_get(o, path);
	if (!v || !json_object_is_type(v, json_type_string))
		return INT64_MIN;
	return e2e_money(json_object_get_string(v));
}

/* ------------------------------------------------------------------ processes */

static int read_ports(struct e2e *t, const char *path)
{
	struct bh_sc_ports p;
	if (bh_sc_read_ports(path, &p) != 0)
		return -1;
	t->shopify = p.shopify;
	t->loop = p.loop;
	t->netsuite = p.netsuite;
	t->control = p.control;
	return 0;
}

static void bail(struct e2e *t, const char *why)
{
	printf("Bail out! %s (see %s)\n", why, t->dir);
	fflush(stdout);
	if (t->eng_pid > 0)
		kill(t->eng_pid, SIGKILL);
	if (t->sim_pid > 0)
		kill(t->sim_pid, SIGKILL);
	exit(1);
}

/* The catalogue of SCENARIOS.md plus the special items flows and the ERP plugins use. */
static const char *const catalogue =
	"{\"items\":["
	"{\"sku\":\"TEE-BLK-M\",\"name\":\"Classic Tee Black M\",\"type\":\"inventory\","
	"\"cost\":\"15.00\",\"price\":\"40.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"TEE-BLK-L\",\"name\":\"Classic Tee Black L\",\"type\":\"inventory\","
	"\"cost\":\"15.00\",\"price\":\"40.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"TEE-WHT-M\",\"name\":\"Classic Tee White M\",\"type\":\"inventory\","
	"\"cost\":\"15.00\",\"price\":\"40.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"TEE-PRM-L\",\"name\":\"Premium Tee L\",\"type\":\"inventory\","
	"\"cost\":\"19.00\",\"price\":\"50.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"MUG\",\"name\":\"Stoneware Mug\",\"type\":\"inventory\","
	"\"cost\":\"4.25\",\"price\":\"12.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"HOODIE\",\"name\":\"Pullover Hoodie\",\"type\":\"inventory\","
	"\"cost\":\"24.00\",\"price\":\"60.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"CAP\",\"name\":\"Dad Cap\",\"type\":\"inventory\","
	"\"cost\":\"9.00\",\"price\":\"25.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"JACKET\",\"name\":\"Field Jacket\",\"type\":\"inventory\","
	"\"cost\":\"42.00\",\"price\":\"100.00\",\"tax_rate\":\"8%\"},"
	"{\"sku\":\"GIFT-CARD\",\"name\":\"Gift card / store credit\",\"type\":\"giftcard\","
	"\"account\":\"Gift Card Liability\"},"
	"{\"sku\":\"RESTOCKING-FEE\",\"name\":\"Restocking fee\",\"type\":\"fee\","
	"\"account\":\"Restocking Fee Income\"},"
	"{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus credit\",\"type\":\"noninventory\","
	"\"account\":\"Return Incentive Expense\"},"
	"{\"sku\":\"SHIPPING\",\"name\":\"Shipping\",\"type\":\"shipping\",\"account\":\"Sales\"},"
	"{\"sku\":\"DISCOUNT\",\"name\":\"Discount\",\"type\":\"discount\",\"account\":\"Sales\"},"
	"{\"sku\":\"SALES-TAX\",\"name\":\"Sales tax\",\"type\":\"tax\",\"tax_rate\":\"8%\","
	"\"account\":\"Sales Tax Payable\"}"
	"]}";

static void subscribe_webhooks(struct e2e *t)
{
	char body[512];
	static const char *const loop_triggers[] = {"return.created", "return.updated",
						    "return.closed", NULL};
	if (e2e_shopify_webhooks(t, true) != 0)
		bail(t, "cannot subscribe the Shopify webhooks");
	for (int i = 0; loop_triggers[i]; i++) {
		snprintf(body, sizeof(body),
			 "{\"topic\":\"return\",\"trigger\":\"%s\","
			 "\"url\":\"http://127.0.0.1:%d/webhooks/loop\"}",
			 loop_triggers[i], t->http_port);
		if (!ctl_ok(t, "POST", "/control/loop/webhooks", body))
			bail(t, "cannot subscribe the Loop webhooks");
	}
	snprintf(body, sizeof(body),
		 "{\"topic\":\"return.processing\",\"trigger\":\"return.processing.failed\","
		 "\"url\":\"http://127.0.0.1:%d/webhooks/loop\"}",
		 t->http_port);
	if (!ctl_ok(t, "POST", "/control/loop/webhooks", body))
		bail(t, "cannot subscribe the Loop processing webhook");
}

void e2e_setup(struct e2e *t, const char *erp, e2e_ok_fn ok_fn)
{
	const char *top = getenv("BH_TOP_BUILDDIR");
	char path[512];
	memset(t, 0, sizeof(*t));
	t->ok = ok_fn;
	if (!top || !getenv("BH_PLUGIN_PATH"))
		skip_all("run through make check (BH_TOP_BUILDDIR, BH_PLUGIN_PATH)");
	snprintf(t->erp, sizeof(t->erp), "%s", erp);
	snprintf(t->bin, sizeof(t->bin), "%s/backhaul", top);
	snprintf(t->sim_bin, sizeof(t->sim_bin), "%s/backhaul-sim", top);
	snprintf(t->dir, sizeof(t->dir), "/tmp/bh-e2e-XXXXXX");
	if (!mkdtemp(t->dir))
		bail(t, "mkdtemp");
	snprintf(t->conf_dir, sizeof(t->conf_dir), "%s/conf.d", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/state/control.sock", t->dir);
	mkdir(t->conf_dir, 0700);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	diag("transport %s, files in %s", t->erp, t->dir);

	/* secrets: files readable by their owner only */
	snprintf(path, sizeof(path), "%s/shopify.token", t->dir);
	bh_sc_write_file(path, SHOPIFY_TOKEN "\n", 0600);
	snprintf(path, sizeof(path), "%s/shopify.whsec", t->dir);
	bh_sc_write_file(path, SHOPIFY_WHSEC "\n", 0600);
	snprintf(path, sizeof(path), "%s/loop.key", t->dir);
	bh_sc_write_file(path, LOOP_KEY "\n", 0600);
	snprintf(path, sizeof(path), "%s/loop.whsec", t->dir);
	bh_sc_write_file(path, LOOP_WHSEC "\n", 0600);
	snprintf(path, sizeof(path), "%s/ns.consumer", t->dir);
	bh_sc_write_file(path, "bh-sim-consumer-secret\n", 0600);
	snprintf(path, sizeof(path), "%s/ns.token", t->dir);
	bh_sc_write_file(path, "bh-sim-token-secret\n", 0600);

	/* the simulators */
	char ports[256], out[256];
	snprintf(ports, sizeof(ports), "%s/ports.json", t->dir);
	snprintf(out, sizeof(out), "%s/sim.log", t->dir);
	/* Shopify ids above 2^53 (they must survive every path exactly) */
	char simconf[256];
	snprintf(simconf, sizeof(simconf), "%s/sim.json", t->dir);
	bh_sc_write_file(simconf, "{\"shopify\":{\"first_id\":9007199254740993}}\n", 0600);
	const char *argv[] = {t->sim_bin, "--ports-file", ports, "--config", simconf, NULL};
	t->sim_pid = bh_sc_spawn(out, argv);
	int64_t dl = tap_mono_ms() + 15000;
	while (read_ports(t, ports) != 0) {
		int st;
		if (tap_mono_ms() > dl || waitpid(t->sim_pid, &st, WNOHANG) == t->sim_pid) {
			diag_tail(out, 20);
			bail(t, "backhaul-sim did not start");
		}
		bh_sc_nap(10);
	}
	json_object *info = NULL;
	e2e_ctl(t, "GET", "/control/netsuite/info", NULL, &info);
	diag("the NetSuite simulator validates SOAP against Oracle's XSD: %s",
	     json_object_get_boolean(e2e_get(info, "soap.xsd")) ? "yes" : "no (no reference data)");
	json_object_put(info);
	t->http_port = bh_sc_free_port();
	if (t->http_port <= 0)
		bail(t, "no free port for the engine");

	if (!ctl_ok(t, "POST", "/control/netsuite/items", catalogue) ||
	    !ctl_ok(t, "POST", "/control/shopify/access_token", "{\"token\":\"" SHOPIFY_TOKEN "\"}") ||
	    !ctl_ok(t, "POST", "/control/shopify/webhook_secret", "{\"secret\":\"" SHOPIFY_WHSEC "\"}") ||
	    !ctl_ok(t, "POST", "/control/shopify/settings", "{\"dup_rate\":0}") ||
	    /* a Shopify Plus shop's GraphQL bucket (research/shopify.md): the suite is
	     * about the lifecycle, the plugin tests cover throttling */
	    !ctl_ok(t, "POST", "/control/shopify/rate_limits",
		    "{\"graphql\":{\"maximum_available\":10000,\"restore_rate\":1000}}") ||
	    !ctl_ok(t, "POST", "/control/loop/api_key", "{\"api_key\":\"" LOOP_KEY "\"}") ||
	    !ctl_ok(t, "POST", "/control/loop/webhook_secret", "{\"secret\":\"" LOOP_WHSEC "\"}") ||
	    !ctl_ok(t, "POST", "/control/loop/settings",
		    "{\"process_delay_ms\":20,\"exchange_prefix\":\"EXC\"}"))
		bail(t, "cannot configure the simulators");
	subscribe_webhooks(t);
}

/* True when a plugin named `name` is on BH_PLUGIN_PATH (a flow not built yet is left
 * out of the conf, said once, and the scenarios needing it fail on their assertions). */
static bool plugin_present(const char *name)
{
	const char *pp = getenv("BH_PLUGIN_PATH");
	char *dirs = strdup(pp ? pp : ""), *save = NULL, path[1024];
	bool found = false;
	struct stat st;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s.so", d, name);
		found = stat(path, &st) == 0;
	}
	free(dirs);
	return found;
}

/* Print a flow section when its plugin exists. */
__attribute__((format(printf, 4, 5))) static void flow_section(struct e2e *t, FILE *f,
							       const char *plugin, const char *fmt, ...)
{
	va_list ap;
	if (!plugin_present(plugin)) {
		if (t->engine_starts == 0)
			diag("flow plugin %s is not built: left out of the configuration", plugin);
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

static int write_conf(struct e2e *t)
{
	char path[256], *conf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&conf, &len);
	const struct e2e_flags *fl = &t->flags;
	const char *d = t->dir;
	if (!f)
		return -1;
	fprintf(f,
		"# generated by tests/e2e/e2e.c (%s)\n"
		"[engine]\nstate_dir = %s/state\nhttp_port = %d\nlog_level = %s\n"
		"log_file = %s/engine.log\nworkers = 6\nshutdown_timeout = 5s\n\n",
		t->erp, d, t->http_port, getenv("E2E_LOG_LEVEL") ? getenv("E2E_LOG_LEVEL") : "info", d);
	fprintf(f,
		"[endpoint shopify]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		"access_token_file = %s/shopify.token\nwebhook_path = /webhooks/shopify\n"
		"webhook_secret_file = %s/shopify.whsec\npoll_interval = 1h\nretry_backoff = 50ms\n"
		"exchange_name_prefix = EXC\nconcurrency = 8\n\n",
		t->shopify, d, d);
	fprintf(f,
		"[endpoint loop]\nplugin = loop\nbase_url = http://127.0.0.1:%d/api\n"
		"api_key_file = %s/loop.key\nwebhook_path = /webhooks/loop\n"
		"webhook_secret_file = %s/loop.whsec\npoll_interval = %s\nretry_backoff = 50ms\n"
		"rate_limit = 100000\nrate_burst = 1000\nconcurrency = 8\n\n",
		t->loop, d, d, fl->loop_poll ? fl->loop_poll : "1h");
	fprintf(f,
		"[endpoint netsuite]\nplugin = %s\nbase_url = http://127.0.0.1:%d\n"
		"account = 1234567_SB1\nconsumer_key = bh-sim-consumer-key\n"
		"consumer_secret_file = %s/ns.consumer\ntoken_id = bh-sim-token-id\n"
		"token_secret_file = %s/ns.token\npoll_interval = %s\nretry_backoff = 50ms\n"
		"item_cache_ttl = 0\nconcurrency = 5\n\n",
		t->erp, t->netsuite, d, d, fl->netsuite_poll ? "1s" : "1h");
	static const char *const retry = "min_backoff = 100ms\nmax_backoff = 1s\n"
					 "missing_retry = 300ms\nmax_attempts = 1000\n";
	flow_section(t, f, "sales-order",
		"[flow sales-order]\nplugin = sales-order\n"
		"subscribe = storefront.order.created, storefront.order.updated\n"
		"erp = netsuite\nstorefront = shopify\nconcurrency = 4\n%s\n",
		retry);
	flow_section(t, f, "return-authorization",
		"[flow return-authorization]\nplugin = return-authorization\n"
		"subscribe = portal.return.created, portal.return.updated\n"
		"erp = netsuite\nstorefront = shopify\ncreate_on_refund = %s\nconcurrency = 4\n"
		"%s%s%s%s\n",
		fl->create_on_refund ? "true" : "false", fl->fee_item ? "fee_item = " : "",
		fl->fee_item ? fl->fee_item : "", fl->fee_item ? "\n" : "", retry);
	flow_section(t, f, "refund",
		"[flow refund]\nplugin = refund\nsubscribe = portal.return.closed\n"
		"erp = netsuite\nstorefront = shopify\ncreate_on_refund = %s\nconcurrency = 4\n"
		"%s%s%s%s\n",
		fl->create_on_refund ? "true" : "false", fl->fee_item ? "fee_item = " : "",
		fl->fee_item ? fl->fee_item : "", fl->fee_item ? "\n" : "", retry);
	flow_section(t, f, "receipt-to-netsuite",
		"[flow receipt-to-netsuite]\nplugin = receipt-to-netsuite\n"
		"subscribe = portal.return.closed, portal.return.updated\nerp = netsuite\n"
		"concurrency = 4\n%s\n",
		retry);
	flow_section(t, f, "receipt-to-loop",
		"[flow receipt-to-loop]\nplugin = receipt-to-loop\nsubscribe = erp.receipt.created\n"
		"erp = netsuite\nportal = loop\nreview_retry = 1s\nconcurrency = 2\n"
		"min_backoff = 100ms\nmax_backoff = 1s\nmax_attempts = 1000\n\n");
	flow_section(t, f, "return-cancel",
		"[flow return-cancel]\nplugin = return-cancel\nsubscribe = portal.return.cancelled\n"
		"erp = netsuite\nclose_ra_on_cancel = %s\nconcurrency = 2\n"
		"min_backoff = 100ms\nmax_backoff = 1s\nmax_attempts = 1000\n\n",
		fl->keep_ra_on_cancel ? "false" : "true");
	flow_section(t, f, "ra-cancel",
		"[flow ra-cancel]\nplugin = ra-cancel\nsubscribe = erp.ra.closed\n"
		"portal = loop\ncancel_return_on_ra_close = %s\nreview_retry = 1s\nconcurrency = 2\n"
		"min_backoff = 100ms\nmax_backoff = 1s\nmax_attempts = 1000\n\n",
		fl->keep_return_on_ra_close ? "false" : "true");
	flow_section(t, f, "review-flag",
		"[flow review-flag]\nplugin = review-flag\nsubscribe = erp.ra.flagged\n"
		"erp = netsuite\nportal = loop\nconcurrency = 2\n"
		"min_backoff = 100ms\nmax_backoff = 1s\nmax_attempts = 1000\n\n");
	if (fl->extra)
		fprintf(f, "%s\n", fl->extra);
	fclose(f);
	snprintf(path, sizeof(path), "%s/10-e2e.conf", t->conf_dir);
	int rc = bh_sc_write_file(path, conf, 0600);
	free(conf);
	return rc;
}

int e2e_engine_start(struct e2e *t)
{
	char out[256], logp[256];
	if (write_conf(t) != 0)
		return -1;
	snprintf(out, sizeof(out), "%s/engine.out", t->dir);
	snprintf(logp, sizeof(logp), "%s/engine.log", t->dir);
	const char *argv[] = {t->bin, "-c", t->conf_dir, "run", NULL};
	t->eng_pid = bh_sc_spawn(out, argv);
	t->engine_starts++;
	int64_t dl = tap_mono_ms() + 20000;
	while (tap_mono_ms() < dl) {
		int st;
		if (waitpid(t->eng_pid, &st, WNOHANG) == t->eng_pid) {
			t->eng_pid = 0;
			diag("the engine exited at start-up (status %d)", st);
			diag_tail(out, 30);
			diag_tail(logp, 30);
			return -1;
		}
		json_object *s = e2e_status(t);
		bool up = s && e2e_get(s, "running") && json_object_get_boolean(e2e_get(s, "running"));
		json_object_put(s);
		if (up)
			return 0;
		bh_sc_nap(20);
	}
	diag("the engine did not answer on %s", t->sock);
	diag_tail(logp, 30);
	return -1;
}

void e2e_engine_stop(struct e2e *t)
{
	bh_sc_reap(t->eng_pid, SIGTERM, 15000);
	t->eng_pid = 0;
}

void e2e_engine_kill(struct e2e *t)
{
	bh_sc_reap(t->eng_pid, SIGKILL, 5000);
	t->eng_pid = 0;
}

void e2e_teardown(struct e2e *t, bool keep)
{
	char p[256];
	e2e_engine_stop(t);
	bh_sc_reap(t->sim_pid, SIGTERM, 10000);
	t->sim_pid = 0;
	if (keep || getenv("E2E_KEEP")) {
		snprintf(p, sizeof(p), "%s/engine.log", t->dir);
		diag_tail(p, 40);
		diag("kept %s for inspection", t->dir);
		return;
	}
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", t->dir);
}

/* ------------------------------------------------------------------ the daemon */

json_object *e2e_status(struct e2e *t)
{
	return bh_sc_status(t->sock);
}

int e2e_cli(struct e2e *t, char **out, const char *arg1, const char *arg2, const char *arg3)
{
	char outp[256];
	snprintf(outp, sizeof(outp), "%s/cli.out", t->dir);
	unlink(outp);
	const char *argv[] = {t->bin, "-c", t->conf_dir, arg1, arg2, arg3, NULL};
	pid_t pid = bh_sc_spawn(outp, argv);
	int st = 0;
	waitpid(pid, &st, 0);
	if (out)
		*out = bh_sc_read_file(outp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int e2e_sync(struct e2e *t, const char *source)
{
	if (bh_sc_sync(t->sock, source, E2E_WAIT_MS) != 0) {
		diag("the sources did not finish a poll in %d ms (or the sync was refused)",
		     E2E_WAIT_MS);
		return -1;
	}
	return e2e_settle(t, E2E_WAIT_MS, false);
}

int e2e_settle(struct e2e *t, int timeout_ms, bool allow_retrying)
{
	if (bh_sc_settle(t->sock, t->control, timeout_ms, allow_retrying) == 0)
		return 0;
	diag("the system did not settle in %d ms", timeout_ms);
	return -1;
}

bool e2e_wait(struct e2e *t, int timeout_ms, bool (*cond)(struct e2e *, void *), void *arg)
{
	int64_t dl = tap_mono_ms() + timeout_ms;
	for (;;) {
		if (cond(t, arg))
			return true;
		if (tap_mono_ms() > dl)
			return false;
		bh_sc_nap(25);
	}
}

/* ------------------------------------------------------------------ the shopper */

/* The order's first 8 line ids and SKUs from the simulator's line_items. */
static void take_lines(struct e2e_order *o, json_object *lines)
{
	for (size_t i = 0; lines && i < json_object_array_length(lines) && i < 8; i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		snprintf(o->line_id[i], sizeof(o->line_id[i]), "%" PRId64,
			 json_object_get_int64(e2e_get(l, "id")));
		snprintf(o->sku[i], sizeof(o->sku[i]), "%s", e2e_str(l, "sku") ? e2e_str(l, "sku") : "");
		o->n_lines++;
	}
}

int e2e_order_create(struct e2e *t, const char *order_json, struct e2e_order *o)
{
	json_object *r = NULL;
	memset(o, 0, sizeof(*o));
	long code = e2e_ctl(t, "POST", "/control/shopify/orders", order_json, &r);
	if (code != 201 || !e2e_get(r, "ids.0")) {
		diag("order refused by the Shopify simulator: %ld %s", code,
		     r ? json_object_to_json_string(r) : "");
		json_object_put(r);
		return -1;
	}
	snprintf(o->id, sizeof(o->id), "%" PRId64, json_object_get_int64(e2e_get(r, "ids.0")));
	snprintf(o->name, sizeof(o->name), "%s", e2e_str(r, "names.0") ? e2e_str(r, "names.0") : "");
	json_object_put(r);
	r = NULL;
	if (e2e_ctlf(t, "GET", &r, "/control/shopify/orders/%s", o->id) != 200) {
		json_object_put(r);
		return -1;
	}
	json_object *lines = e2e_get(r, "line_items");
	take_lines(o, lines);
	json_object_put(r);
	return 0;
}

int e2e_order_sync(struct e2e *t, struct e2e_order *o, const char *bill_as)
{
	char eid[64], body[160];
	snprintf(eid, sizeof(eid), "shopify-order-%s", o->id);
	int64_t t0 = tap_mono_ms();
	json_object *so = e2e_ns_wait(t, "salesOrder", eid, E2E_WAIT_MS);
	diag("order %s: sales order %s after %lld ms", o->name, so ? "written" : "absent",
	     (long long)(tap_mono_ms() - t0));
	if (getenv("E2E_DEBUG")) {
		json_object *w = NULL;
		e2e_ctl(t, "GET", "/control/webhooks", NULL, &w);
		diag("webhooks: %s", w ? json_object_to_json_string(w) : "?");
		json_object_put(w);
	}
	if (!so) {
		diag("sales order %s (%s) never reached NetSuite", eid, o->name);
		return -1;
	}
	o->so_id = e2e_int(so, "internal_id", 0);
	json_object_put(so);
	if (bill_as) {
		snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 ",\"as\":\"%s\"}", o->so_id,
			 bill_as);
		json_object *b = NULL;
		long code = e2e_ctl(t, "POST", "/control/netsuite/bill", body, &b);
		o->bill_id = e2e_int(b, "internal_id", 0);
		if (code != 200 || !o->bill_id)
			diag("billing %s refused: %ld %s", o->name, code,
			     b ? json_object_to_json_string(b) : "");
		json_object_put(b);
		if (code != 200 || !o->bill_id)
			return -1;
	}
	snprintf(body, sizeof(body), "{\"sales_order\":%" PRId64 "}", o->so_id);
	return ctl_ok(t, "POST", "/control/netsuite/fulfill", body) ? 0 : -1;
}

long e2e_return_create(struct e2e *t, const char *body, char rid[32], json_object **answer)
{
	json_object *r = NULL;
	long code = e2e_ctl(t, "POST", "/control/loop/returns", body, &r);
	rid[0] = '\0';
	if (code == 200 && e2e_str(r, "id"))
		snprintf(rid, 32, "%s", e2e_str(r, "id"));
	if (answer)
		*answer = r;
	else
		json_object_put(r);
	return code;
}

const char *e2e_loop_state(struct e2e *t, const char *rid)
{
	static char state[32];
	json_object *r = NULL;
	state[0] = '\0';
	if (e2e_ctlf(t, "GET", &r, "/control/loop/returns/%s", rid) == 200 && e2e_str(r, "state"))
		snprintf(state, sizeof(state), "%s", e2e_str(r, "state"));
	json_object_put(r);
	return state;
}

struct state_arg {
	const char *rid, *state;
};

static bool loop_state_is(struct e2e *t, void *arg)
{
	struct state_arg *a = arg;
	return strcmp(e2e_loop_state(t, a->rid), a->state) == 0;
}

bool e2e_wait_loop_state(struct e2e *t, const char *rid, const char *state, int timeout_ms)
{
	struct state_arg a = {rid, state};
	return e2e_wait(t, timeout_ms, loop_state_is, &a);
}

/* ------------------------------------------------------------------ NetSuite */

static void url_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;
	for (; *in && j + 4 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.') {
			out[j++] = (char)c;
		} else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
}

json_object *e2e_ns_find(struct e2e *t, const char *type, const char *eid)
{
	char e[256];
	json_object *r = NULL;
	url_escape(eid, e, sizeof(e));
	if (e2e_ctlf(t, "GET", &r, "/control/netsuite/records?type=%s&externalId=%s", type, e) != 200) {
		json_object_put(r);
		return NULL;
	}
	json_object *recs = json_object_get(e2e_get(r, "records"));
	json_object_put(r);
	return recs;
}

json_object *e2e_ns_get(struct e2e *t, const char *type, const char *eid)
{
	json_object *recs = e2e_ns_find(t, type, eid), *one = NULL;
	if (recs && json_object_array_length(recs) > 0) {
		int64_t id = e2e_int(json_object_array_get_idx(recs, 0), "internal_id", 0);
		if (e2e_ctlf(t, "GET", &one, "/control/netsuite/records/%s/%" PRId64, type, id) != 200) {
			json_object_put(one);
			one = NULL;
		}
	}
	json_object_put(recs);
	return one;
}

int e2e_ns_count(struct e2e *t, const char *type, const char *eid)
{
	json_object *recs = e2e_ns_find(t, type, eid);
	int n = recs ? (int)json_object_array_length(recs) : -1;
	json_object_put(recs);
	return n;
}

struct rec_arg {
	const char *type, *eid, *status;
	json_object *found;
};

static bool rec_exists(struct e2e *t, void *arg)
{
	struct rec_arg *a = arg;
	a->found = e2e_ns_get(t, a->type, a->eid);
	if (a->found && a->status && strcmp(e2e_str(a->found, "status") ? e2e_str(a->found, "status") : "",
					    a->status) != 0) {
		json_object_put(a->found);
		a->found = NULL;
	}
	return a->found != NULL;
}

json_object *e2e_ns_wait(struct e2e *t, const char *type, const char *eid, int timeout_ms)
{
	struct rec_arg a = {type, eid, NULL, NULL};
	e2e_wait(t, timeout_ms, rec_exists, &a);
	return a.found;
}

bool e2e_wait_ns_status(struct e2e *t, const char *type, const char *eid, const char *status,
			int timeout_ms)
{
	struct rec_arg a = {type, eid, status, NULL};
	bool ok = e2e_wait(t, timeout_ms, rec_exists, &a);
	json_object_put(a.found);
	if (!ok) {
		json_object *r = e2e_ns_get(t, type, eid);
		diag("%s %s: status '%s', waited for '%s'", type, eid,
		     r && e2e_str(r, "status") ? e2e_str(r, "status") : "(absent)", status);
		json_object_put(r);
	}
	return ok;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

char *e2e_ns_snapshot(struct e2e *t)
{
	json_object *r = NULL;
	if (e2e_ctl(t, "GET", "/control/netsuite/records", NULL, &r) != 200) {
		json_object_put(r);
		return NULL;
	}
	json_object *recs = e2e_get(r, "records");
	size_t n = recs ? json_object_array_length(recs) : 0;
	int64_t *ids = calloc(n + 1, sizeof(*ids));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = e2e_int(json_object_array_get_idx(recs, i), "internal_id", 0);
	if (ids)
		qsort(ids, n, sizeof(*ids), cmp_i64);
	for (size_t i = 0; f && ids && i < n; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", ids[i]);
	if (f)
		fclose(f);
	free(ids);
	json_object_put(r);
	return text;
}

json_object *e2e_line(json_object *rec, const char *sku)
{
	json_object *lines = e2e_get(rec, "lines");
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		if (e2e_str(l, "sku") && strcmp(e2e_str(l, "sku"), sku) == 0)
			return l;
	}
	return NULL;
}

/* ------------------------------------------------------------------ general ledger */

static void add_net(struct e2e_gl *g, const char *name, int64_t v)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->acct[i].name, name) == 0) {
			g->acct[i].net += v;
			return;
		}
	if (g->n < sizeof(g->acct) / sizeof(g->acct[0])) {
		snprintf(g->acct[g->n].name, sizeof(g->acct[g->n].name), "%s", name);
		g->acct[g->n].net = v;
		g->n++;
	}
}

static bool in_set(const int64_t *set, size_t n, int64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

static void fmt_cents(int64_t v, char *buf, size_t len)
{
	int64_t a = v < 0 ? -v : v;
	snprintf(buf, len, "%s%" PRId64 ".%02" PRId64, v < 0 ? "-" : "+", a / 100, a % 100);
}

int e2e_gl_add(struct e2e *t, struct e2e_gl *g, const char *shopify_order_id, int64_t root_id)
{
	json_object *gl = NULL;
	if (e2e_ctlf(t, "GET", &gl, "/control/netsuite/gl/order?shopify_order_id=%s",
		     shopify_order_id) != 200) {
		diag("GL of order %s: %s", shopify_order_id,
		     gl ? json_object_to_json_string(gl) : "(no answer)");
		json_object_put(gl);
		g->broken = true;
		return -1;
	}
	json_object *txns = e2e_get(gl, "transactions");
	size_t nt = txns ? json_object_array_length(txns) : 0;
	int64_t set[256];
	size_t ns = 0;
	if (root_id)
		set[ns++] = root_id;
	/* the root and everything created from it, transitively */
	for (bool grew = true; root_id && grew;) {
		grew = false;
		for (size_t i = 0; i < nt && ns < 256; i++) {
			json_object *x = json_object_array_get_idx(txns, i);
			int64_t id = e2e_int(x, "id", 0), from = e2e_int(x, "created_from", 0);
			if (!in_set(set, ns, id) && in_set(set, ns, from)) {
				set[ns++] = id;
				grew = true;
			}
		}
	}
	for (size_t i = 0; i < nt; i++) {
		json_object *x = json_object_array_get_idx(txns, i);
		if (root_id && !in_set(set, ns, e2e_int(x, "id", 0)))
			continue;
		json_object *lines = e2e_get(x, "gl");
		for (size_t k = 0; lines && k < json_object_array_length(lines); k++) {
			json_object *l = json_object_array_get_idx(lines, k);
			int64_t d = e2e_cents(l, "debit"), c = e2e_cents(l, "credit");
			const char *name = e2e_str(l, "account");
			if (!name || d == INT64_MIN || c == INT64_MIN) {
				g->broken = true;
				continue;
			}
			g->debit += d;
			g->credit += c;
			add_net(g, name, d - c);
		}
	}
	json_object_put(gl);
	return 0;
}

bool e2e_gl_check(struct e2e *t, const struct e2e_gl *g, const char *what, const char *expect)
{
	bool all = true, seen[48] = {false};
	char *spec = strdup(expect ? expect : ""), *save = NULL;
	if (g->broken) {
		t_ok(t, 0, "%s: the general ledger is readable", what);
		all = false;
	}
	for (char *it = strtok_r(spec, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
		while (*it == ' ')
			it++;
		char *eq = strrchr(it, '=');
		if (!eq)
			continue;
		*eq = '\0';
		int64_t want = e2e_money(eq + 1), got = 0;
		for (size_t i = 0; i < g->n; i++)
			if (strcmp(g->acct[i].name, it) == 0) {
				got = g->acct[i].net;
				seen[i] = true;
			}
		char gs[32], ws[32];
		fmt_cents(got, gs, sizeof(gs));
		fmt_cents(want, ws, sizeof(ws));
		if (!t_ok(t, got == want, "%s: GL %s %s", what, it, ws)) {
			diag("  got %s (debit +, credit -)", gs);
			all = false;
		}
	}
	free(spec);
	for (size_t i = 0; i < g->n; i++) {
		if (seen[i] || g->acct[i].net == 0)
			continue;
		char gs[32];
		fmt_cents(g->acct[i].net, gs, sizeof(gs));
		t_ok(t, 0, "%s: no other GL posting (%s %s)", what, g->acct[i].name, gs);
		all = false;
	}
	char a[32], b[32];
	fmt_cents(g->debit, a, sizeof(a));
	fmt_cents(g->credit, b, sizeof(b));
	if (!t_ok(t, g->debit == g->credit, "%s: the postings balance (debits %s, credits %s)", what,
		  a + 1, b + 1))
		all = false;
	return all;
}

bool e2e_gl_expect(struct e2e *t, const char *what, const char *shopify_order_id,
		   int64_t root_id, const char *expect)
{
	struct e2e_gl g;
	memset(&g, 0, sizeof(g));
	e2e_gl_add(t, &g, shopify_order_id, root_id);
	return e2e_gl_check(t, &g, what, expect);
}

bool e2e_gl_expect_order(struct e2e *t, const char *what, const char *shopify_order_id,
			 const char *expect)
{
	return e2e_gl_expect(t, what, shopify_order_id, 0, expect);
}

/* ------------------------------------------------------------------ the operator */

char *e2e_dead_list(struct e2e *t, int *ex)
{
	char *out = NULL;
	int rc = e2e_cli(t, &out, "dead", "list", NULL);
	if (ex)
		*ex = rc;
	return out;
}

int e2e_dead_count(struct e2e *t)
{
	char *out = e2e_dead_list(t, NULL);
	int n = -1;
	/* the last line: "N dead letter(s)..." */
	if (out) {
		char *last = out, *p;
		for (p = out; *p; p++)
			if (*p == '\n' && p[1])
				last = p + 1;
		n = atoi(last);
	}
	free(out);
	return n;
}

bool e2e_idempotent_sync(struct e2e *t, const char *what)
{
	char *before = e2e_ns_snapshot(t);
	int rc = e2e_sync(t, NULL);
	char *after = e2e_ns_snapshot(t);
	bool same = before && after && strcmp(before, after) == 0;
	t_ok(t, rc == 0 && same, "%s: a second sync cycle writes nothing new to NetSuite", what);
	if (!same)
		diag("  before: %s\n#   after:  %s", before ? before : "?", after ? after : "?");
	free(before);
	free(after);
	return same;
}

/* ------------------------------------------------------------------ webhooks by hand */

/* The last Loop delivery of `trigger` for return rid: its raw body (malloc'd). */
static char *loop_delivery(struct e2e *t, const char *rid, const char *trigger)
{
	json_object *r = NULL;
	char *body = NULL;
	if (e2e_ctlf(t, "GET", &r, "/control/loop/deliveries?trigger=%s&return_id=%s", trigger,
		     rid) == 200) {
		json_object *d = e2e_get(r, "deliveries");
		size_t n = d ? json_object_array_length(d) : 0;
		if (n && e2e_str(json_object_array_get_idx(d, n - 1), "body"))
			body = strdup(e2e_str(json_object_array_get_idx(d, n - 1), "body"));
	}
	json_object_put(r);
	return body;
}

static long post_loop_hook(struct e2e *t, const char *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char sig[128], hdr[160];
	if (!HMAC(EVP_sha256(), LOOP_WHSEC, (int)strlen(LOOP_WHSEC), (const unsigned char *)body,
		  strlen(body), md, &mdlen))
		return 0;
	EVP_EncodeBlock((unsigned char *)sig, md, (int)mdlen);
	snprintf(hdr, sizeof(hdr), "X-Loop-Signature: %s", sig);
	const char *hdrs[] = {hdr, NULL};
	return e2e_engine_post(t, "/webhooks/loop", hdrs, body);
}

long e2e_loop_redeliver(struct e2e *t, const char *rid, const char *trigger)
{
	char *body = loop_delivery(t, rid, trigger);
	long code = body ? post_loop_hook(t, body) : 0;
	if (!body)
		diag("no %s delivery of return %s to replay", trigger, rid);
	free(body);
	return code;
}

long e2e_loop_forge(struct e2e *t, const char *rid, const char *trigger,
		    void (*mutate)(json_object *ret, void *arg), void *arg)
{
	char *body = loop_delivery(t, rid, trigger);
	json_object *o = body ? json_tokener_parse(body) : NULL;
	long code = 0;
	free(body);
	if (!o) {
		diag("no %s delivery of return %s to copy", trigger, rid);
		return 0;
	}
	mutate(o, arg);
	code = post_loop_hook(t, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return code;
}

int e2e_shopify_webhooks(struct e2e *t, bool on)
{
	json_object *r = NULL;
	int rc = 0;
	if (!on) {
		if (e2e_ctl(t, "GET", "/control/shopify/webhooks", NULL, &r) != 200)
			rc = -1;
		json_object *w = e2e_get(r, "webhooks");
		for (size_t i = 0; w && i < json_object_array_length(w); i++) {
			int64_t id = e2e_int(json_object_array_get_idx(w, i), "id", 0);
			if (e2e_ctlf(t, "DELETE", NULL, "/control/shopify/webhooks/%" PRId64, id) / 100 != 2)
				rc = -1;
		}
		json_object_put(r);
		return rc;
	}
	char body[256];
	static const char *const topics[] = {"orders/create", "orders/updated", "orders/cancelled",
					     "refunds/create", NULL};
	for (int i = 0; topics[i]; i++) {
		snprintf(body, sizeof(body),
			 "{\"topic\":\"%s\",\"address\":\"http://127.0.0.1:%d/webhooks/shopify\"}",
			 topics[i], t->http_port);
		if (!ctl_ok(t, "POST", "/control/shopify/webhooks", body))
			rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ scenario builders */

static void add_money(json_object *o, const char *key, int64_t cents)
{
	char buf[32];
	int64_t a = cents < 0 ? -cents : cents;
	snprintf(buf, sizeof(buf), "%s%" PRId64 ".%02" PRId64, cents < 0 ? "-" : "", a / 100, a % 100);
	json_object_object_add(o, key, json_object_new_string(buf));
}

int e2e_order_place(struct e2e *t, struct e2e_order *o, int customer,
		    const struct e2e_line_spec *lines, int n, const char *shipping,
		    const char *tenders)
{
	json_object *ord = json_object_new_object(), *li = json_object_new_array();
	json_object *cust = json_object_new_object();
	char email[64];
	int64_t total = 0, disc_total = 0;
	snprintf(email, sizeof(email), "shopper%d@example.com", customer);
	json_object_object_add(ord, "email", json_object_new_string(email));
	json_object_object_add(cust, "id", json_object_new_int64(7000000000000000LL + customer));
	json_object_object_add(cust, "email", json_object_new_string(email));
	json_object_object_add(cust, "first_name", json_object_new_string("Shopper"));
	char last[32];
	snprintf(last, sizeof(last), "No%d", customer);
	json_object_object_add(cust, "last_name", json_object_new_string(last));
	json_object_object_add(ord, "customer", cust);
	for (int i = 0; i < n; i++) {
		json_object *l = json_object_new_object(), *tl = json_object_new_array();
		json_object *tax = json_object_new_object(), *da = json_object_new_array();
		int64_t price = e2e_money(lines[i].price), d = lines[i].discount ? e2e_money(lines[i].discount) : 0;
		int64_t tx = e2e_money(lines[i].tax);
		json_object_object_add(l, "sku", json_object_new_string(lines[i].sku));
		json_object_object_add(l, "title", json_object_new_string(lines[i].sku));
		json_object_object_add(l, "quantity", json_object_new_int(lines[i].qty));
		json_object_object_add(l, "price", json_object_new_string(lines[i].price));
		json_object_object_add(tax, "title", json_object_new_string("Sales Tax"));
		json_object_object_add(tax, "rate", json_object_new_double_s(0.08, "0.08"));
		json_object_object_add(tax, "price", json_object_new_string(lines[i].tax));
		json_object_array_add(tl, tax);
		json_object_object_add(l, "tax_lines", tl);
		if (d) {
			json_object *a = json_object_new_object();
			add_money(a, "amount", d);
			json_object_object_add(a, "discount_application_index", json_object_new_int(0));
			json_object_array_add(da, a);
		}
		json_object_object_add(l, "discount_allocations", da);
		json_object_array_add(li, l);
		total += price * lines[i].qty - d + tx;
		disc_total += d;
	}
	json_object_object_add(ord, "line_items", li);
	if (disc_total) {
		json_object *apps = json_object_new_array(), *app = json_object_new_object();
		json_object *codes = json_object_new_array(), *code = json_object_new_object();
		json_object_object_add(app, "target_type", json_object_new_string("line_item"));
		json_object_object_add(app, "type", json_object_new_string("discount_code"));
		json_object_object_add(app, "value", json_object_new_string("10.0"));
		json_object_object_add(app, "value_type", json_object_new_string("percentage"));
		json_object_object_add(app, "allocation_method", json_object_new_string("across"));
		json_object_object_add(app, "target_selection", json_object_new_string("all"));
		json_object_object_add(app, "code", json_object_new_string("TENOFF"));
		json_object_array_add(apps, app);
		json_object_object_add(ord, "discount_applications", apps);
		json_object_object_add(code, "code", json_object_new_string("TENOFF"));
		add_money(code, "amount", disc_total);
		json_object_object_add(code, "type", json_object_new_string("percentage"));
		json_object_array_add(codes, code);
		json_object_object_add(ord, "discount_codes", codes);
	}
	json_object *sl = json_object_new_array();
	if (shipping) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "title", json_object_new_string("Standard"));
		json_object_object_add(s, "price", json_object_new_string(shipping));
		json_object_object_add(s, "tax_lines", json_object_new_array());
		json_object_array_add(sl, s);
		total += e2e_money(shipping);
	}
	json_object_object_add(ord, "shipping_lines", sl);
	/* tenders: "gift_card:60.00,shopify_payments" (the last one without an amount
	 * takes the rest); NULL: the card pays everything */
	json_object *txs = json_object_new_array();
	char *spec = strdup(tenders ? tenders : "shopify_payments"), *save = NULL;
	int64_t left = total;
	for (char *it = strtok_r(spec, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		json_object *x = json_object_new_object();
		char *colon = strchr(it, ':');
		int64_t amt = left;
		if (colon) {
			*colon = '\0';
			amt = e2e_money(colon + 1);
		}
		left -= amt;
		json_object_object_add(x, "kind", json_object_new_string("sale"));
		json_object_object_add(x, "status", json_object_new_string("success"));
		json_object_object_add(x, "gateway", json_object_new_string(it));
		add_money(x, "amount", amt);
		json_object_array_add(txs, x);
	}
	free(spec);
	json_object_object_add(ord, "transactions", txs);
	json_object *wrap = json_object_new_object();
	json_object_object_add(wrap, "order", ord);
	int rc = e2e_order_create(t, json_object_to_json_string_ext(wrap, JSON_C_TO_STRING_PLAIN), o);
	json_object_put(wrap);
	return rc;
}

long e2e_return_place(struct e2e *t, char rid[32], const struct e2e_order *o, const char *lines,
		      const char *outcome, const char *extra, json_object **answer)
{
	char *body = NULL, *spec = strdup(lines), *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	bool first = true;
	fprintf(f, "{\"shopify_order_id\":\"%s\",\"outcome\":\"%s\",\"lines\":[", o->id, outcome);
	for (char *it = strtok_r(spec, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		int idx = atoi(it), qty = 1;
		char *colon = strchr(it, ':');
		if (colon)
			qty = atoi(colon + 1);
		fprintf(f, "%s{\"line_item_id\":\"%s\",\"quantity\":%d}", first ? "" : ",",
			idx >= 0 && idx < o->n_lines ? o->line_id[idx] : "0", qty);
		first = false;
	}
	fprintf(f, "]%s%s}", extra ? "," : "", extra ? extra : "");
	fclose(f);
	free(spec);
	long code = e2e_return_create(t, body, rid, answer);
	if (code != 200)
		diag("Loop refused the return (%ld): %s", code, body);
	free(body);
	return code;
}

bool e2e_loop_process(struct e2e *t, const char *what, const char *rid)
{
	char path[128];
	json_object *r = NULL;
	snprintf(path, sizeof(path), "/control/loop/returns/%s/label_shipped", rid);
	e2e_ctl(t, "POST", path, "{}", NULL);
	snprintf(path, sizeof(path), "/control/loop/returns/%s/process", rid);
	long code = e2e_ctl(t, "POST", path, "{}", &r);
	if (!t_ok(t, code == 200, "%s: Loop accepts processing return %s", what, rid))
		diag("  %ld %s", code, r ? json_object_to_json_string(r) : "");
	json_object_put(r);
	return t_ok(t, e2e_wait_loop_state(t, rid, "closed", E2E_WAIT_MS),
		    "%s: Loop processes and closes return %s", what, rid);
}

bool e2e_expect_lines(struct e2e *t, const char *what, json_object *rec, const char *spec)
{
	json_object *lines = e2e_get(rec, "lines");
	size_t have = lines ? json_object_array_length(lines) : 0, want = 0;
	bool used[64] = {false};
	char *s = strdup(spec), *save = NULL;
	bool all = true;
	for (char *it = strtok_r(s, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
		char sku[64];
		int qty = 0;
		char amount[32] = "", tax[32] = "0.00";
		want++;
		if (sscanf(it, "%63[^:]:%d:%31[^:]:%31s", sku, &qty, amount, tax) < 3) {
			t_ok(t, 0, "%s: bad line spec '%s'", what, it);
			all = false;
			continue;
		}
		/* the unused line of that SKU with that amount, else the first unused of the SKU
		 * (a document may carry one SKU twice: a gift card credit and a bonus) */
		json_object *l = NULL;
		size_t at = 0;
		for (int pass = 0; pass < 2 && !l; pass++)
			for (size_t i = 0; i < have && i < 64 && !l; i++) {
				json_object *x = json_object_array_get_idx(lines, i);
				if (used[i] || !e2e_str(x, "sku") || strcmp(e2e_str(x, "sku"), sku) != 0)
					continue;
				if (pass == 0 && e2e_cents(x, "amount") != e2e_money(amount))
					continue;
				l = x;
				at = i;
			}
		if (!t_ok(t, l != NULL, "%s: a %s line", what, sku)) {
			all = false;
			continue;
		}
		used[at] = true;
		int64_t q = e2e_int(l, "quantity", -1), a = e2e_cents(l, "amount"), x = e2e_cents(l, "tax");
		if (x == INT64_MIN)
			x = 0;
		bool good = q == qty && a == e2e_money(amount) && x == e2e_money(tax);
		if (!t_ok(t, good, "%s: %s qty %d, amount %s, tax %s", what, sku, qty, amount, tax)) {
			diag("  got qty %" PRId64 ", amount %s, tax %s", q,
			     e2e_str(l, "amount") ? e2e_str(l, "amount") : "?",
			     e2e_str(l, "tax") ? e2e_str(l, "tax") : "?");
			all = false;
		}
	}
	free(s);
	if (!t_ok(t, have == want, "%s: %zu line%s, no other", what, want, want == 1 ? "" : "s")) {
		diag("  got %zu lines: %s", have, lines ? json_object_to_json_string(lines) : "none");
		all = false;
	}
	return all;
}

int e2e_order_find(struct e2e *t, const char *name, struct e2e_order *o)
{
	char q[128];
	json_object *r = NULL;
	memset(o, 0, sizeof(*o));
	url_escape(name, q, sizeof(q));
	if (e2e_ctlf(t, "GET", &r, "/control/shopify/orders?name=%s", q) != 200 ||
	    !e2e_get(r, "orders.0")) {
		json_object_put(r);
		return -1;
	}
	json_object *ord = e2e_get(r, "orders.0"), *lines = e2e_get(ord, "line_items");
	snprintf(o->id, sizeof(o->id), "%" PRId64, json_object_get_int64(e2e_get(ord, "id")));
	snprintf(o->name, sizeof(o->name), "%s", e2e_str(ord, "name") ? e2e_str(ord, "name") : "");
	take_lines(o, lines);
	json_object_put(r);
	return 0;
}

int64_t e2e_counter(struct e2e *t, const char *instance, const char *name)
{
	json_object *s = e2e_status(t), *insts = e2e_get(s, "instances");
	int64_t v = 0;
	for (size_t i = 0; insts && i < json_object_array_length(insts); i++) {
		json_object *in = json_object_array_get_idx(insts, i);
		if (e2e_str(in, "name") && strcmp(e2e_str(in, "name"), instance) == 0) {
			json_object *c = e2e_get(in, "counters");
			json_object *x = NULL;
			if (c && json_object_object_get_ex(c, name, &x))
				v = json_object_get_int64(x);
		}
	}
	json_object_put(s);
	return v;
}

bool e2e_log_has(struct e2e *t, const char *needle1, const char *needle2)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/engine.log", t->dir);
	char *text = bh_sc_read_file(p);
	bool found = false;
	for (char *line = text ? strtok(text, "\n") : NULL; line && !found; line = strtok(NULL, "\n"))
		found = strstr(line, needle1) && (!needle2 || strstr(line, needle2));
	free(text);
	return found;
}

int e2e_ns_count_from(struct e2e *t, const char *type, int64_t created_from)
{
	json_object *r = NULL;
	int n = -1;
	if (e2e_ctlf(t, "GET", &r, "/control/netsuite/records?type=%s&createdFrom=%" PRId64, type,
		     created_from) == 200 && e2e_get(r, "records"))
		n = (int)json_object_array_length(e2e_get(r, "records"));
	json_object_put(r);
	return n;
}

bool e2e_expect_dead(struct e2e *t, int want, const char *what)
{
	char *out = e2e_dead_list(t, NULL);
	int n = -1;
	if (out) {
		char *last = out;
		for (char *p = out; *p; p++)
			if (*p == '\n' && p[1])
				last = p + 1;
		n = atoi(last);
	}
	bool good = t_ok(t, n == want, "%s", what);
	if (!good) {
		diag("  %d dead letters, want %d:", n, want);
		for (char *l = out ? strtok(out, "\n") : NULL; l; l = strtok(NULL, "\n"))
			diag("  %s", l);
	}
	free(out);
	return good;
}
