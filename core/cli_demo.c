/*
 * cli_demo.c - the `backhaul demo` command: start backhaul-sim and the engine (`backhaul
 * run`, a separate process) with the shipped demo conf.d on free loopback ports, play
 * a realistic day through the simulators (cli_demo_day.c), print what landed in
 * NetSuite (cli_demo_report.c), show the operator's fix for the dead letter, stop.
 *
 * Finding things: backhaul-sim and the plugins are looked up next to this binary first
 * (a build tree: ./backhaul-sim, ./plugins/<dir>/.libs), then installed (bindir,
 * pkglibdir); the demo conf.d templates in --demo-dir, $BH_DEMO_DIR, the source tree
 * beside a build tree, then $(pkgdatadir)/demo/conf.d.
 *
 * Ownership: struct bh_demo (cli_demo.h) owns the directory and the children; the
 * directory is kept for inspection. Threading: the command's main thread only.
 */
#include "cli_demo.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
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

#ifndef BH_PKGDATADIR
#define BH_PKGDATADIR "/usr/local/share/backhaul"
#endif

#define SHOPIFY_TOKEN "shpat_demo000000000000000000000000000001"
#define SHOPIFY_WEBHOOK "demo-shopify-app-secret"
#define LOOP_KEY "demo-loop-api-key"
#define LOOP_WEBHOOK "demo-loop-webhook-secret"

/* ------------------------------------------------------------------ small helpers */

static bool is_exec(const char *p)
{
	return access(p, X_OK) == 0;
}

long bh_demo_ctl(struct bh_demo *d, const char *method, const char *path, const char *body,
		 json_object **out)
{
	return bh_sc_ctl(d->control, method, path, body, out);
}

int bh_demo_sync(struct bh_demo *d, const char *source)
{
	return bh_sc_sync(d->sock, source, 30000);
}

int bh_demo_settle(struct bh_demo *d, int timeout_ms)
{
	return bh_sc_settle(d->sock, d->control, timeout_ms, false);
}

/* `backhaul report order` for the first exchange of the day (the longest chain), run
 * as an operator would while everything is still up. */
static void show_one_chain(struct bh_demo *d)
{
	const struct bh_demo_return *r = NULL;
	for (int i = 0; i < d->n_ret && !r; i++)
		if (d->ret[i].kind == BH_DEMO_EXCHANGE && d->ret[i].done)
			r = &d->ret[i];
	for (int i = 0; i < d->n_ret && !r; i++)
		if (d->ret[i].done)
			r = &d->ret[i];
	if (!r)
		return;
	char out[600];
	snprintf(out, sizeof(out), "%s/report.out", d->dir);
	unlink(out);
	printf("\n== one order's whole chain, as the operator sees it\n   $ backhaul -c %s report "
	       "order '%s'\n", d->conf_dir, r->order_name);
	fflush(stdout);
	const char *argv[] = {d->exe, "-c", d->conf_dir, "report", "order", r->order_name, NULL};
	pid_t pid = bh_sc_spawn(out, argv);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	char *text = bh_sc_read_file(out);
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
		printf("   %s\n", line);
	free(text);
}

static void stop_child(pid_t *pid, int timeout_ms)
{
	bh_sc_reap(*pid, SIGTERM, timeout_ms);
	*pid = 0;
}

/* ------------------------------------------------------------------ finding things */

static int find_paths(struct bh_demo *d, const char *demo_dir)
{
	char exe_dir[1024];
	ssize_t n = readlink("/proc/self/exe", d->exe, sizeof(d->exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "backhaul demo: cannot find this program (/proc/self/exe)\n");
		return -1;
	}
	d->exe[n] = '\0';
	snprintf(exe_dir, sizeof(exe_dir), "%s", d->exe);
	char *slash = strrchr(exe_dir, '/');
	if (slash)
		*slash = '\0';
	/* a libtool build tree runs .libs/lt-backhaul or .libs/backhaul */
	size_t el = strlen(exe_dir);
	if (el > 6 && strcmp(exe_dir + el - 6, "/.libs") == 0)
		exe_dir[el - 6] = '\0';

	snprintf(d->sim_bin, sizeof(d->sim_bin), "%s/backhaul-sim", exe_dir);
	if (!is_exec(d->sim_bin)) {
		fprintf(stderr, "backhaul demo: %s not found: build or install backhaul-sim "
				"(tools/sim) next to backhaul\n",
			d->sim_bin);
		return -1;
	}
	/* plugins of a build tree, unless the caller chose */
	bh_sc_plugin_path_from_build(exe_dir);
	/* the demo conf.d */
	const char *cands[5];
	char c2[1100], c3[1100], c4[1100];
	snprintf(c2, sizeof(c2), "%s/conf.d/demo", exe_dir);
	snprintf(c3, sizeof(c3), "%s/../conf.d/demo", exe_dir);
	snprintf(c4, sizeof(c4), "%s/demo/conf.d", BH_PKGDATADIR);
	cands[0] = demo_dir;
	cands[1] = getenv("BH_DEMO_DIR");
	cands[2] = c2;
	cands[3] = c3;
	cands[4] = c4;
	for (int i = 0; i < 5; i++) {
		char probe[1200];
		if (!cands[i] || !*cands[i])
			continue;
		snprintf(probe, sizeof(probe), "%s/20-flows.conf", cands[i]);
		if (access(probe, R_OK) == 0) {
			snprintf(d->templates, sizeof(d->templates), "%s", cands[i]);
			return 0;
		}
		if (i == 0) {
			fprintf(stderr, "backhaul demo: %s holds no demo conf.d (20-flows.conf)\n",
				cands[i]);
			return -1;
		}
	}
	fprintf(stderr, "backhaul demo: the demo conf.d was not found (tried $BH_DEMO_DIR, %s, %s, "
			"%s); pass --demo-dir DIR\n",
		c2, c3, c4);
	return -1;
}

/* Copy the shipped conf.d into DIR/conf.d with the @NAME@ values filled in. */
static int render_conf(struct bh_demo *d)
{
	DIR *dir = opendir(d->templates);
	struct dirent *e;
	int rc = 0, n = 0;
	char shop[64], loop[64], ns[64], port[16];
	snprintf(shop, sizeof(shop), "http://127.0.0.1:%d", d->shopify);
	snprintf(loop, sizeof(loop), "http://127.0.0.1:%d/api", d->loop);
	snprintf(ns, sizeof(ns), "http://127.0.0.1:%d", d->netsuite);
	snprintf(port, sizeof(port), "%d", d->http_port);
	const char *keys[][2] = {{"@DIR@", d->dir},          {"@HTTP_PORT@", port},
				 {"@SHOPIFY_URL@", shop},     {"@LOOP_URL@", loop},
				 {"@NETSUITE_URL@", ns},      {"@NETSUITE_PLUGIN@", d->transport},
				 {NULL, NULL}};
	mkdir(d->conf_dir, 0700);
	while (dir && rc == 0 && (e = readdir(dir)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (nl < 6 || strcmp(e->d_name + nl - 5, ".conf") != 0)
			continue;
		char src[1400], dst[700];
		snprintf(src, sizeof(src), "%s/%s", d->templates, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", d->conf_dir, e->d_name);
		char *text = bh_sc_read_file(src), *out = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&out, &len);
		if (!text || !m) {
			rc = -1;
		} else {
			for (const char *p = text; *p;) {
				bool hit = false;
				for (int k = 0; keys[k][0]; k++) {
					size_t kl = strlen(keys[k][0]);
					if (strncmp(p, keys[k][0], kl) == 0) {
						fputs(keys[k][1], m);
						p += kl;
						hit = true;
						break;
					}
				}
				if (!hit)
					fputc(*p++, m);
			}
		}
		if (m)
			fclose(m);
		if (rc == 0 && bh_sc_write_file(dst, out, 0600) != 0)
			rc = -1;
		free(text);
		free(out);
		n++;
	}
	if (dir)
		closedir(dir);
	return rc == 0 && n > 0 ? 0 : -1;
}

static int write_secrets(struct bh_demo *d)
{
	static const char *const files[][2] = {
		{"shopify.token", SHOPIFY_TOKEN},       {"shopify.webhook", SHOPIFY_WEBHOOK},
		{"loop.key", LOOP_KEY},                 {"loop.webhook", LOOP_WEBHOOK},
		{"netsuite.consumer", "bh-sim-consumer-secret"},
		{"netsuite.token", "bh-sim-token-secret"}, {NULL, NULL}};
	char p[600], text[200];
	snprintf(p, sizeof(p), "%s/secrets", d->dir);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	for (int i = 0; files[i][0]; i++) {
		snprintf(p, sizeof(p), "%s/secrets/%s", d->dir, files[i][0]);
		snprintf(text, sizeof(text), "%s\n", files[i][1]);
		if (bh_sc_write_file(p, text, 0600) != 0)
			return -1;
	}
	return 0;
}

static int start_sim(struct bh_demo *d)
{
	char cfg[600], ports[600], logp[600];
	snprintf(cfg, sizeof(cfg), "%s/sim.json", d->dir);
	snprintf(ports, sizeof(ports), "%s/ports.json", d->dir);
	snprintf(logp, sizeof(logp), "%s/sim.log", d->dir);
	/* the store is a Shopify Plus shop (GraphQL bucket 10,000, 1,000/s); 5 % of its
	 * webhooks arrive twice, as Shopify's do; Loop processes a return in 50 ms */
	char json[1024];
	snprintf(json, sizeof(json),
		 "{\"shopify\":{\"access_token\":\"%s\",\"webhook_secret\":\"%s\","
		 "\"first_id\":9007199254740993,\"dup_rate\":0.05,"
		 "\"graphql\":{\"maximum_available\":10000,\"restore_rate\":1000}},"
		 "\"loop\":{\"api_key\":\"%s\",\"webhook_secret\":\"%s\",\"process_delay_ms\":50,"
		 "\"exchange_prefix\":\"EXC\"}}\n",
		 SHOPIFY_TOKEN, SHOPIFY_WEBHOOK, LOOP_KEY, LOOP_WEBHOOK);
	if (bh_sc_write_file(cfg, json, 0600) != 0)
		return -1;
	char *argv[] = {d->sim_bin, "--ports-file", ports, "--config", cfg, NULL};
	d->sim_pid = bh_sc_spawn(logp, (const char *const *)argv);
	for (int64_t dl = bh_sc_now_ms() + 15000; bh_sc_now_ms() < dl; bh_sc_nap(20)) {
		int st;
		struct bh_sc_ports pp;
		if (bh_sc_read_ports(ports, &pp) == 0) {
			d->shopify = pp.shopify;
			d->loop = pp.loop;
			d->netsuite = pp.netsuite;
			d->control = pp.control;
			return 0;
		}
		if (waitpid(d->sim_pid, &st, WNOHANG) == d->sim_pid) {
			d->sim_pid = 0;
			break;
		}
	}
	fprintf(stderr, "backhaul demo: the simulators did not start (see %s)\n", logp);
	return -1;
}

static int start_engine(struct bh_demo *d)
{
	char logp[600];
	snprintf(logp, sizeof(logp), "%s/engine.out", d->dir);
	char *argv[] = {d->exe, "-c", d->conf_dir, "run", NULL};
	d->eng_pid = bh_sc_spawn(logp, (const char *const *)argv);
	for (int64_t dl = bh_sc_now_ms() + 20000; bh_sc_now_ms() < dl; bh_sc_nap(20)) {
		int st;
		json_object *s = bh_sc_status(d->sock);
		bool up = s && json_object_get_boolean(bh_sc_get(s, "running"));
		json_object_put(s);
		if (up)
			return 0;
		if (waitpid(d->eng_pid, &st, WNOHANG) == d->eng_pid) {
			d->eng_pid = 0;
			break;
		}
	}
	fprintf(stderr, "backhaul demo: the engine did not start; see %s and %s/backhaul.log\n",
		logp, d->dir);
	return -1;
}

/* ------------------------------------------------------------------ the command */

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: backhaul demo [--transport soap|rest] [--orders N] [--returns N]\n"
		"                     [--dir DIR] [--demo-dir DIR]\n\n"
		"Run the whole returns lifecycle against the bundled simulators: start\n"
		"backhaul-sim and the engine (with the shipped demo conf.d, on free loopback\n"
		"ports), play a day of about 200 Shopify orders and 40 Loop returns across every\n"
		"outcome (refund, partial, store credit with bonus, exchange, gift card, split\n"
		"tender, handling fee, a cancellation, a review flag, a receipt made in NetSuite)\n"
		"with one order whose SKU NetSuite does not know, then print what was written to\n"
		"NetSuite, the ledger of every returned order and the dead letters with the\n"
		"command that replays them, and show that replay. No account anywhere.\n\n"
		"  --transport soap|rest  NetSuite SuiteTalk SOAP (default) or REST\n"
		"  --orders N             orders of the day (default 200, 20..1000)\n"
		"  --returns N            returns of the day (default 40, 10..%d)\n"
		"  --dir DIR              where to keep everything (default: a new\n"
		"                         /tmp/backhaul-demo-XXXXXX, kept afterwards)\n"
		"  --demo-dir DIR         the demo conf.d to use (default: the shipped one)\n",
		BH_DEMO_MAX_RETURNS);
}

int bh_cli_demo(const struct bh_cli_globals *g, int argc, char **argv)
{
	struct bh_demo *d = calloc(1, sizeof(*d));
	const char *demo_dir = NULL, *dir = NULL;
	int ex = BH_EX_SOFTWARE;
	if (!d)
		return BH_EX_SOFTWARE;
	d->g = g;
	d->transport = "netsuite-soap";
	d->n_orders = 200;
	d->n_returns = 40;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (bh_cli_wants_help(1, argv + i)) {
			usage(stdout);
			free(d);
			return 0;
		} else if (strcmp(a, "--transport") == 0 && v) {
			if (strcmp(v, "soap") == 0 || strcmp(v, "netsuite-soap") == 0)
				d->transport = "netsuite-soap";
			else if (strcmp(v, "rest") == 0 || strcmp(v, "netsuite-rest") == 0)
				d->transport = "netsuite-rest";
			else
				goto bad;
			i++;
		} else if (strcmp(a, "--orders") == 0 && v) {
			d->n_orders = atoi(v);
			i++;
		} else if (strcmp(a, "--returns") == 0 && v) {
			d->n_returns = atoi(v);
			i++;
		} else if (strcmp(a, "--dir") == 0 && v) {
			dir = v;
			i++;
		} else if (strcmp(a, "--demo-dir") == 0 && v) {
			demo_dir = v;
			i++;
		} else {
			goto bad;
		}
	}
	if (d->n_orders < 20 || d->n_orders > 1000 || d->n_returns < 10 ||
	    d->n_returns > BH_DEMO_MAX_RETURNS || d->n_returns > d->n_orders / 2)
		goto bad;

	d->t0 = bh_sc_now_ms();
	if (find_paths(d, demo_dir) != 0) {
		ex = BH_EX_UNAVAILABLE;
		goto out;
	}
	if (dir) {
		snprintf(d->dir, sizeof(d->dir), "%s", dir);
		if (mkdir(d->dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "backhaul demo: cannot create %s: %s\n", d->dir, strerror(errno));
			ex = BH_EX_IOERR;
			goto out;
		}
	} else {
		snprintf(d->dir, sizeof(d->dir), "/tmp/backhaul-demo-XXXXXX");
		if (!mkdtemp(d->dir)) {
			fprintf(stderr, "backhaul demo: mkdtemp: %s\n", strerror(errno));
			ex = BH_EX_IOERR;
			goto out;
		}
	}
	snprintf(d->conf_dir, sizeof(d->conf_dir), "%s/conf.d", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/state/control.sock", d->dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	printf("== Backhaul demo: Shopify + Loop + NetSuite (%s), all simulated on 127.0.0.1\n",
	       d->transport);
	printf("   everything is kept in %s\n", d->dir);
	if (write_secrets(d) != 0 || start_sim(d) != 0) {
		ex = BH_EX_UNAVAILABLE;
		goto out;
	}
	d->http_port = bh_sc_free_port();
	if (d->http_port <= 0 || render_conf(d) != 0) {
		fprintf(stderr, "backhaul demo: cannot write %s\n", d->conf_dir);
		ex = BH_EX_IOERR;
		goto out;
	}
	printf("   simulators: Shopify :%d, Loop :%d, NetSuite :%d (control :%d)\n", d->shopify,
	       d->loop, d->netsuite, d->control);
	printf("   configuration: %s (from %s)\n", d->conf_dir, d->templates);
	if (start_engine(d) != 0) {
		ex = BH_EX_UNAVAILABLE;
		goto out;
	}
	printf("   engine: pid %d, webhooks on 127.0.0.1:%d, log %s/backhaul.log\n\n", (int)d->eng_pid,
	       d->http_port, d->dir);
	if (bh_demo_play_day(d) != 0) {
		fprintf(stderr, "backhaul demo: the day did not complete; see %s/backhaul.log\n", d->dir);
		ex = BH_EX_SOFTWARE;
		goto out;
	}
	char dead_id[96] = "";
	bh_demo_report(d, dead_id);
	if (dead_id[0])
		bh_demo_operator_fix(d, dead_id);
	show_one_chain(d);
	printf("\n== done in %.1f s. Look around (the engine is stopped, its state is kept):\n",
	       (double)(bh_sc_now_ms() - d->t0) / 1000.0);
	printf("   %s -c %s log --cycles 20\n", d->exe, d->conf_dir);
	printf("   %s -c %s dead list\n", d->exe, d->conf_dir);
	printf("   %s -c %s status\n", d->exe, d->conf_dir);
	ex = 0;
out:
	stop_child(&d->eng_pid, 15000);
	stop_child(&d->sim_pid, 10000);
	free(d);
	return ex;
bad:
	usage(stderr);
	free(d);
	return BH_EX_USAGE;
}
