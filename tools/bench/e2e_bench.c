/*
 * e2e_bench.c - shared parts of the end-to-end benchmarks (see e2e_bench.h).
 *
 * Ownership: see e2e_bench.h. Threading: single-threaded.
 */
#include "e2e_bench.h"

#include "engine.h"
#include "simctl.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bh_bench_env(const char *argv0)
{
	char exe[PATH_MAX], top[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	(void)argv0;
	if (n <= 0)
		return;
	exe[n] = '\0';
	/* <top>/tools/bench/NAME (or <top>/tools/bench/.libs/NAME) */
	snprintf(top, sizeof(top), "%s", exe);
	char *s = strrchr(top, '/');
	if (s)
		*s = '\0';
	size_t tl = strlen(top);
	if (tl > 6 && strcmp(top + tl - 6, "/.libs") == 0)
		top[tl - 6] = '\0';
	for (int up = 0; up < 2; up++)
		if ((s = strrchr(top, '/')) != NULL)
			*s = '\0';
	if (!getenv("BH_TOP_BUILDDIR"))
		setenv("BH_TOP_BUILDDIR", top, 1);
	const char *b = getenv("BH_TOP_BUILDDIR");
	/* the reference data (Oracle's XSD for the SOAP simulator), found as make check
	 * finds it: configure's BH_DEFAULT_SHARED_DIR, by default ../shared beside the
	 * source tree */
	if (!getenv("BH_SHARED_DIR")) {
		char mk[PATH_MAX + 16], line[PATH_MAX], src[PATH_MAX] = "", dflt[PATH_MAX] = "";
		snprintf(mk, sizeof(mk), "%s/Makefile", b);
		FILE *f = fopen(mk, "r");
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "abs_top_srcdir = ", 17) == 0)
				snprintf(src, sizeof(src), "%s", line + 17);
			else if (strncmp(line, "BH_DEFAULT_SHARED_DIR = ", 24) == 0)
				snprintf(dflt, sizeof(dflt), "%s", line + 24);
		}
		if (f)
			fclose(f);
		char dir[PATH_MAX * 2];
		if (strncmp(dflt, "$(abs_top_srcdir)", 17) == 0)
			snprintf(dir, sizeof(dir), "%s%s", src, dflt + 17);
		else
			snprintf(dir, sizeof(dir), "%s", dflt);
		if (dir[0] && bh_sc_is_dir(dir))
			setenv("BH_SHARED_DIR", dir, 1);
	}
	bh_sc_plugin_path_from_build(b);
}

int bh_bench_ok(int pass, const char *msg)
{
	if (!pass)
		fprintf(stderr, "FAILED: %s\n", msg);
	return pass;
}

int64_t bh_bench_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bh_bench_parse_time(const char *s)
{
	struct tm tm;
	int ms = 0, oh = 0, om = 0;
	char sign = '+';
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%3d%c%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &sign, &oh, &om) != 10)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t t = (int64_t)timegm(&tm) * 1000 + ms;
	int64_t off = ((int64_t)oh * 60 + om) * 60000;
	return sign == '-' ? t + off : t - off;
}

int bh_bench_orders(struct e2e *t, int n, uint64_t seed, char (*ids)[32], char (*line)[32],
		    int *qty)
{
	char body[128], path[128];
	json_object *r = NULL;
	snprintf(body, sizeof(body), "{\"seed\":%" PRIu64 ",\"orders\":%d}", seed, n);
	if (e2e_ctl(t, "POST", "/control/seed", body, &r) != 200) {
		fprintf(stderr, "seeding %d orders refused: %s\n", n, r ? json_object_to_json_string(r) : "");
		json_object_put(r);
		return -1;
	}
	json_object_put(r);
	snprintf(path, sizeof(path), "/control/shopify/orders?limit=%d", n + 100);
	r = NULL;
	if (e2e_ctl(t, "GET", path, NULL, &r) != 200) {
		json_object_put(r);
		return -1;
	}
	json_object *orders = e2e_get(r, "orders");
	int k = 0;
	for (size_t i = 0; orders && i < json_object_array_length(orders) && k < n; i++) {
		json_object *o = json_object_array_get_idx(orders, i);
		json_object *l0 = e2e_get(o, "line_items.0");
		if (!l0)
			continue;
		snprintf(ids[k], 32, "%" PRId64, e2e_int(o, "id", 0));
		snprintf(line[k], 32, "%" PRId64, e2e_int(l0, "id", 0));
		qty[k] = (int)e2e_int(l0, "quantity", 1);
		k++;
	}
	json_object_put(r);
	/* the engine writes every sales order (webhooks) */
	int64_t dl = bh_bench_wall_ms() + 300000;
	int have = 0;
	while (bh_bench_wall_ms() < dl) {
		r = NULL;
		if (e2e_ctl(t, "GET", "/control/netsuite/records?type=salesOrder", NULL, &r) == 200)
			have = e2e_get(r, "records") ? (int)json_object_array_length(e2e_get(r, "records")) : 0;
		json_object_put(r);
		if (have >= n)
			return k == n ? 0 : -1;
		struct timespec ts = {1, 0}; /* polling the simulator for the sales orders */
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "only %d of %d sales orders reached NetSuite\n", have, n);
	return -1;
}

int bh_bench_open(struct e2e *t, const char *order_id, const char *line_id, int qty,
		  struct bh_bench_ret *r)
{
	char body[300];
	snprintf(body, sizeof(body),
		 "{\"shopify_order_id\":\"%s\",\"outcome\":\"refund\",\"lines\":[{\"line_item_id\":"
		 "\"%s\",\"quantity\":%d}]}",
		 order_id, line_id, qty);
	memset(r, 0, sizeof(*r));
	long code = e2e_return_create(t, body, r->rid, NULL);
	r->opened_ms = bh_bench_wall_ms();
	return code == 200 && r->rid[0] ? 0 : -1;
}

int bh_bench_collect(struct e2e *t, struct bh_bench_ret *rets, int n, int deadline_ms)
{
	int64_t dl = bh_bench_wall_ms() + deadline_ms;
	int found = 0;
	for (;;) {
		json_object *r = NULL;
		found = 0;
		if (e2e_ctl(t, "GET", "/control/netsuite/records?type=returnAuthorization", NULL, &r) ==
		    200) {
			json_object *recs = e2e_get(r, "records");
			size_t nr = recs ? json_object_array_length(recs) : 0;
			for (int i = 0; i < n; i++) {
				char eid[64];
				snprintf(eid, sizeof(eid), "loop-ra-%s", rets[i].rid);
				for (size_t k = 0; !rets[i].written_ms && k < nr; k++) {
					json_object *x = json_object_array_get_idx(recs, k);
					const char *e = e2e_str(x, "external_id");
					if (e && strcmp(e, eid) == 0)
						rets[i].written_ms = bh_bench_parse_time(e2e_str(x, "created"));
				}
				found += rets[i].written_ms > 0;
			}
		}
		json_object_put(r);
		if (found == n || bh_bench_wall_ms() > dl)
			return found;
		struct timespec ts = {0, 200 * 1000000L}; /* polling the simulator for the RAs */
		nanosleep(&ts, NULL);
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t bh_bench_pct(int64_t *v, int n, double p)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp64);
	int idx = (int)(p / 100.0 * n + 0.999999) - 1;
	if (idx < 0)
		idx = 0;
	if (idx >= n)
		idx = n - 1;
	return v[idx];
}

char *bh_bench_ra_doc(struct e2e *t, const char *order_id, const char *prefix, int i)
{
	char eid[64];
	snprintf(eid, sizeof(eid), "shopify-order-%s", order_id);
	json_object *so = e2e_ns_get(t, "salesOrder", eid), *l = e2e_get(so, "lines.0");
	if (!l) {
		json_object_put(so);
		return NULL;
	}
	json_object *doc = json_object_new_object(), *ref = json_object_new_object();
	json_object *lines = json_object_new_array(), *line = json_object_new_object();
	char x[64];
	snprintf(x, sizeof(x), "%s-%d", prefix, i);
	json_object_object_add(doc, "external_id", json_object_new_string(x));
	json_object_object_add(ref, "external_id", json_object_new_string(eid));
	json_object_object_add(doc, "sales_order", ref);
	snprintf(x, sizeof(x), "%d", 900000000 + i);
	json_object_object_add(doc, "return_id", json_object_new_string(x));
	json_object_object_add(line, "sku", json_object_new_string(e2e_str(l, "sku")));
	json_object_object_add(line, "quantity", json_object_new_int64(e2e_int(l, "quantity", 1)));
	json_object_object_add(line, "rate", json_object_new_string(e2e_str(l, "rate")));
	json_object_object_add(line, "amount", json_object_new_string(e2e_str(l, "amount")));
	json_object_object_add(line, "tax", json_object_new_string(e2e_str(l, "tax") ? e2e_str(l, "tax") : "0.00"));
	json_object_array_add(lines, line);
	json_object_object_add(doc, "lines", lines);
	json_object_object_add(doc, "adjustments", json_object_new_array());
	json_object_object_add(doc, "memo", json_object_new_string("benchmark"));
	char *text = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	json_object_put(so);
	return text;
}

int bh_bench_erp_open(struct e2e *t, int concurrency, struct bh_bench_erp *e)
{
	char confd[256], p[300], text[2048];
	memset(e, 0, sizeof(*e));
	snprintf(confd, sizeof(confd), "%s/bench.d", t->dir);
	mkdir(confd, 0700);
	snprintf(p, sizeof(p), "%s/10-bench.conf", confd);
	snprintf(text, sizeof(text),
		 "[engine]\nstate_dir = %s/bench-state\nhttp_enabled = false\nlog_level = warn\n"
		 "log_file = %s/bench-engine.log\n\n"
		 "[endpoint netsuite]\nplugin = %s\nbase_url = http://127.0.0.1:%d\n"
		 "account = 1234567_SB1\nconsumer_key = bh-sim-consumer-key\n"
		 "consumer_secret_file = %s/ns.consumer\ntoken_id = bh-sim-token-id\n"
		 "token_secret_file = %s/ns.token\npoll = false\nconcurrency = %d\n",
		 t->dir, t->dir, t->erp, t->netsuite, t->dir, t->dir, concurrency);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	struct bh_engine_opts opts = {.conf_dir = confd};
	if (bh_engine_create(&opts, &e->eng) != 0 || e->eng->config_errors ||
	    bh_engine_start(e->eng) != 0) {
		fprintf(stderr, "the in-process engine did not start (see %s/bench-engine.log)\n", t->dir);
		if (e->eng)
			bh_engine_destroy(e->eng);
		e->eng = NULL;
		return -1;
	}
	struct bh_instance *in = bh_engine_find(e->eng, "netsuite");
	e->ops = in && in->plugin->desc->capability ? in->plugin->desc->capability(in->ctx, BH_CAP_ERP)
						    : NULL;
	e->ctx = in ? in->ctx : NULL;
	if (!e->ops) {
		bh_bench_erp_close(e);
		return -1;
	}
	return 0;
}

void bh_bench_erp_close(struct bh_bench_erp *e)
{
	if (e->eng) {
		bh_engine_stop(e->eng);
		bh_engine_destroy(e->eng);
	}
	memset(e, 0, sizeof(*e));
}
