/*
 * tools/bench/latency.c - how long a Loop return takes to become a NetSuite return
 * authorization, end to end (a benchmark, not a test: never run by make check).
 *
 * backhaul-sim and `backhaul run` run as separate processes (the e2e harness,
 * tests/e2e/e2e.h) with every flow configured. The store is seeded with 3N orders,
 * which the engine writes to NetSuite first. Then:
 *   webhook path  N returns opened in Loop at a steady pace (--rate per second); Loop
 *                 sends return.created to the engine at once. Latency = the RA's
 *                 creation time in NetSuite minus the moment Loop had created the
 *                 return and queued its webhook (the webhook's receipt follows within
 *                 the loopback round trip).
 *   polling path  Loop's webhooks switched off, the Loop source polling every
 *                 --poll-interval seconds; N more returns at the same pace. Reported
 *                 twice: from the start of the poll that fetched the return (the
 *                 engine's sync log; the receipt is within that poll) to the NetSuite
 *                 write, and from the return's creation (what a merchant waits: mostly
 *                 the poll interval).
 *   baseline      the same ERP plugin loaded alone in this process (no Loop, listener,
 *                 outbox or flow): create_return_authorization called directly, one at
 *                 a time, for N more orders: the floor any end-to-end figure sits on.
 * Prints p50, p90, p99 and max of each, in ms, and the webhook path's p50/p99 as a
 * multiple of the baseline's. Clocks: one host, CLOCK_REALTIME, ms.
 *
 * Usage: tools/bench/latency [--returns N] [--rate R] [--transport soap|rest]
 *                            [--poll-interval S]
 * Ownership: single run. Threading: single-threaded (the children are processes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e_bench.h"
#include "outbox.h"

struct poll {
	int64_t start, end;
};

struct polls {
	struct poll *v;
	int n, cap;
};

static int log_cb(void *arg, const char *js)
{
	struct polls *p = arg;
	json_object *o = json_tokener_parse(js);
	const char *type = e2e_str(o, "type"), *src = e2e_str(o, "source");
	if (type && src && strcmp(type, "source") == 0 && strcmp(src, "loop") == 0 &&
	    e2e_int(o, "emitted", 0) > 0) {
		if (p->n == p->cap) {
			int cap = p->cap ? p->cap * 2 : 64;
			struct poll *g = realloc(p->v, (size_t)cap * sizeof(*g));
			if (!g) {
				json_object_put(o);
				return 1;
			}
			p->v = g;
			p->cap = cap;
		}
		p->v[p->n].start = e2e_int(o, "started_ms", 0);
		p->v[p->n].end = e2e_int(o, "finished_ms", 0);
		p->n++;
	}
	json_object_put(o);
	return 0;
}

static void pace(int64_t t0, int i, double rate)
{
	int64_t due = t0 + (int64_t)(i * 1000.0 / rate), now = bh_bench_wall_ms();
	if (due > now) {
		struct timespec ts = {(due - now) / 1000, ((due - now) % 1000) * 1000000L};
		nanosleep(&ts, NULL); /* the benchmark's own pace of new returns */
	}
}

static void report(const char *what, int64_t *v, int n)
{
	if (n <= 0) {
		printf("%-44s no samples\n", what);
		return;
	}
	int64_t p50 = bh_bench_pct(v, n, 50), p90 = bh_bench_pct(v, n, 90);
	int64_t p99 = bh_bench_pct(v, n, 99), max = bh_bench_pct(v, n, 100);
	printf("%-44s n=%-5d p50 %6" PRId64 " ms  p90 %6" PRId64 " ms  p99 %6" PRId64
	       " ms  max %6" PRId64 " ms\n",
	       what, n, p50, p90, p99, max);
}

static int open_all(struct e2e *t, struct bh_bench_ret *rets, int n, char (*ids)[32],
		    char (*line)[32], const int *qty, double rate)
{
	int64_t t0 = bh_bench_wall_ms();
	for (int i = 0; i < n; i++) {
		pace(t0, i, rate);
		if (bh_bench_open(t, ids[i], line[i], qty[i], &rets[i]) != 0) {
			fprintf(stderr, "Loop refused return %d (order %s)\n", i, ids[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = 1000, poll_s = 5;
	double rate = 50;
	const char *erp = "netsuite-soap";
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--returns") && v)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && v)
			rate = atof(argv[++i]);
		else if (!strcmp(argv[i], "--poll-interval") && v)
			poll_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--transport") && v)
			erp = strcmp(argv[++i], "rest") == 0 ? "netsuite-rest" : "netsuite-soap";
		else {
			fprintf(stderr, "usage: %s [--returns N] [--rate R] [--transport soap|rest] "
					"[--poll-interval S]\n",
				argv[0]);
			return 64;
		}
	}
	if (n < 1 || rate <= 0 || poll_s < 1)
		return 64;
	bh_bench_env(argv[0]);
	static struct e2e t;
	e2e_setup(&t, erp, bh_bench_ok);
	e2e_ctl(&t, "POST", "/control/loop/settings", "{\"rate_limit_per_minute\":0}", NULL);
	if (e2e_engine_start(&t) != 0)
		return 1;
	printf("latency: %d returns per path at %.0f/s, %s, simulators on 127.0.0.1\n", n, rate, erp);
	char (*ids)[32] = calloc((size_t)3 * n, 32), (*line)[32] = calloc((size_t)3 * n, 32);
	int *qty = calloc((size_t)3 * n, sizeof(int));
	struct bh_bench_ret *rets = calloc((size_t)2 * n, sizeof(*rets));
	int64_t *lat = calloc((size_t)n, sizeof(*lat)), *lat2 = calloc((size_t)n, sizeof(*lat2));
	int64_t *base = calloc((size_t)n, sizeof(*base));
	if (!ids || !line || !qty || !rets || !lat || !lat2 || !base)
		return 1;
	int64_t t0 = bh_bench_wall_ms();
	if (bh_bench_orders(&t, 3 * n, 11, ids, line, qty) != 0)
		return 1;
	printf("setup: %d orders in NetSuite in %.1f s\n", 3 * n, (bh_bench_wall_ms() - t0) / 1000.0);

	/* webhook path */
	if (open_all(&t, rets, n, ids, line, qty, rate) != 0)
		return 1;
	int got = bh_bench_collect(&t, rets, n, 120000);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (rets[i].written_ms)
			lat[k++] = rets[i].written_ms - rets[i].opened_ms;
	if (got < n)
		printf("webhook path: only %d of %d RAs were written\n", got, n);
	report("webhook: Loop event -> NetSuite RA written", lat, k);
	int64_t web50 = k ? bh_bench_pct(lat, k, 50) : -1, web99 = k ? bh_bench_pct(lat, k, 99) : -1;

	/* polling path: Loop's webhooks off, the Loop source polls */
	static char interval[32];
	snprintf(interval, sizeof(interval), "%ds", poll_s);
	e2e_ctl(&t, "DELETE", "/control/loop/webhooks", NULL, NULL);
	e2e_engine_stop(&t);
	t.flags.loop_poll = interval;
	if (e2e_engine_start(&t) != 0)
		return 1;
	struct bh_bench_ret *pr = rets + n;
	if (open_all(&t, pr, n, ids + n, line + n, qty + n, rate) != 0)
		return 1;
	got = bh_bench_collect(&t, pr, n, 120000 + poll_s * 2000);
	e2e_engine_stop(&t);
	if (got < n)
		printf("polling path: only %d of %d RAs were written\n", got, n);
	/* the polls that fetched returns, from the engine's sync log */
	struct polls polls = {NULL, 0, 0};
	char state[200];
	snprintf(state, sizeof(state), "%s/state", t.dir);
	struct bh_outbox_opts oo = {.dir = state};
	struct bh_outbox *ob = NULL;
	if (bh_outbox_open(&oo, &ob) == 0) {
		bh_outbox_log_foreach(ob, 0, log_cb, &polls);
		bh_outbox_close(ob);
	}
	int k1 = 0, k2 = 0;
	for (int i = 0; i < n; i++) {
		if (!pr[i].written_ms)
			continue;
		lat2[k2++] = pr[i].written_ms - pr[i].opened_ms;
		/* the first poll that started after the return existed fetched it */
		for (int p = 0; p < polls.n; p++)
			if (polls.v[p].start >= pr[i].opened_ms) {
				lat[k1++] = pr[i].written_ms - polls.v[p].start;
				break;
			}
	}
	report("polling: its poll started -> NetSuite RA written", lat, k1);
	char what[80];
	snprintf(what, sizeof(what), "polling: Loop event -> RA (poll every %d s)", poll_s);
	report(what, lat2, k2);
	printf("(%d polls fetched returns; the engine's log: %s/engine.log)\n", polls.n, t.dir);
	free(polls.v);

	/* baseline: the ERP write alone, one at a time, same plugin and simulator */
	struct bh_bench_erp e;
	int kb = 0;
	if (bh_bench_erp_open(&t, 1, &e) == 0) {
		for (int i = 0; i < n; i++) {
			char *doc = bh_bench_ra_doc(&t, ids[2 * n + i], "bench-base", i), *out = NULL;
			struct bh_status st;
			memset(&st, 0, sizeof(st));
			int64_t c0 = bh_bench_wall_ms();
			int rc = doc ? e.ops->create_return_authorization(e.ctx, doc, &out, &st) : -1;
			if (rc == 0)
				base[kb++] = bh_bench_wall_ms() - c0;
			else if (i < 3)
				fprintf(stderr, "baseline RA %d: %d %s: %s\n", i, rc, st.code, st.message);
			free(doc);
			free(out);
		}
		bh_bench_erp_close(&e);
	}
	report("baseline: the ERP write alone (in process)", base, kb);
	if (kb && web50 >= 0) {
		int64_t b50 = bh_bench_pct(base, kb, 50), b99 = bh_bench_pct(base, kb, 99);
		printf("webhook path / baseline: p50 %.1fx, p99 %.1fx (the engine's own share: "
		       "listener, outbox, flow reads)\n",
		       b50 > 0 ? (double)web50 / (double)b50 : 0.0,
		       b99 > 0 ? (double)web99 / (double)b99 : 0.0);
	}
	free(base);
	free(ids);
	free(line);
	free(qty);
	free(rets);
	free(lat);
	free(lat2);
	e2e_teardown(&t, false);
	return 0;
}
