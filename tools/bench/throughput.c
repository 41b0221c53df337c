/*
 * tools/bench/throughput.c - returns per second through the full return-authorization
 * flow, next to the simulators' own ceiling measured in the same run (a benchmark, not a
 * test: never run by make check).
 *
 * backhaul-sim and `backhaul run` run as separate processes (the e2e harness,
 * tests/e2e/e2e.h). The store is seeded with 3N orders which the engine writes to
 * NetSuite first. Then, in one run:
 *   webhooks    N returns opened in Loop as fast as Loop's control API takes them (one
 *               client); each goes webhook -> engine listener -> outbox ->
 *               return-authorization flow (storefront and ERP reads, SKU checks) -> RA
 *               written in NetSuite. Shows whether the flow keeps pace with the offered
 *               load: returns/s = N / (last RA written - first return opened).
 *   backlog     Loop's webhooks off, N more returns opened, then one `sync --now` of the
 *               Loop source fetches them all and the flow drains the outbox: the full
 *               RA flow's capacity, returns/s = N / (last RA written - sync request).
 *   ERP alone   the same ERP plugin loaded in this process (an in-process engine with
 *               only the NetSuite endpoint), create_return_authorization called directly
 *               for the last N orders from as many threads as the endpoint's
 *               concurrency (5): what the NetSuite simulator and the transport sustain
 *               without Loop, the listener, the outbox and the flow.
 *   HTTP        the NetSuite simulator's bare request ceiling: GET of an unknown path
 *               (404) on keep-alive connections from 5 threads for --seconds.
 * Usage: tools/bench/throughput [--returns N] [--transport soap|rest] [--seconds S]
 * Ownership: single run. Threading: client threads share only atomic counters.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <backhaul/erp.h>

#include "e2e_bench.h"
#include "engine.h"

#define THREADS 5

/* ------------------------------------------------------------------ ERP alone */

struct direct {
	const struct bh_erp_ops *ops;
	void *ctx;
	char **docs;
	int n;
	atomic_int next, ok, failed;
};

static void *direct_main(void *arg)
{
	struct direct *d = arg;
	int i;
	while ((i = atomic_fetch_add(&d->next, 1)) < d->n) {
		char *out = NULL;
		struct bh_status st;
		memset(&st, 0, sizeof(st));
		int rc = d->ops->create_return_authorization(d->ctx, d->docs[i], &out, &st);
		if (rc == 0) {
			atomic_fetch_add(&d->ok, 1);
		} else if (atomic_fetch_add(&d->failed, 1) < 3) {
			fprintf(stderr, "direct RA %d: %d %s: %s\n", i, rc, st.code, st.message);
		}
		free(out);
	}
	return NULL;
}

static double erp_alone(struct e2e *t, char (*ids)[32], int n, int *ok_out)
{
	struct bh_bench_erp e;
	if (bh_bench_erp_open(t, THREADS, &e) != 0)
		return -1;
	struct direct d;
	memset(&d, 0, sizeof(d));
	d.ops = e.ops;
	d.ctx = e.ctx;
	d.docs = calloc((size_t)n, sizeof(char *));
	for (int i = 0; d.docs && i < n; i++)
		if ((d.docs[i] = bh_bench_ra_doc(t, ids[i], "bench-ra", i)) != NULL)
			d.n = i + 1;
	double rate = -1;
	if (d.ops && d.n == n) {
		pthread_t th[THREADS];
		int64_t t0 = bh_bench_wall_ms();
		for (int i = 0; i < THREADS; i++)
			pthread_create(&th[i], NULL, direct_main, &d);
		for (int i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		int64_t ms = bh_bench_wall_ms() - t0;
		*ok_out = atomic_load(&d.ok);
		rate = ms > 0 ? *ok_out * 1000.0 / (double)ms : -1;
	}
	for (int i = 0; d.docs && i < n; i++)
		free(d.docs[i]);
	free(d.docs);
	bh_bench_erp_close(&e);
	return rate;
}

/* ------------------------------------------------------------------ HTTP ceiling */

struct http_load {
	char url[128];
	int64_t until;
	atomic_long done;
};

static size_t sink(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void *http_main(void *arg)
{
	struct http_load *h = arg;
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while (bh_bench_wall_ms() < h->until) {
		long code = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code == 404)
			atomic_fetch_add(&h->done, 1);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static double http_ceiling(struct e2e *t, int seconds)
{
	struct http_load h;
	pthread_t th[THREADS];
	memset(&h, 0, sizeof(h));
	snprintf(h.url, sizeof(h.url), "http://127.0.0.1:%d/bench/nothing", t->netsuite);
	int64_t t0 = bh_bench_wall_ms();
	h.until = t0 + seconds * 1000;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, http_main, &h);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	int64_t ms = bh_bench_wall_ms() - t0;
	return ms > 0 ? atomic_load(&h.done) * 1000.0 / (double)ms : -1;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	int n = 400, seconds = 3;
	const char *erp = "netsuite-soap";
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--returns") && v)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && v)
			seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--transport") && v)
			erp = strcmp(argv[++i], "rest") == 0 ? "netsuite-rest" : "netsuite-soap";
		else {
			fprintf(stderr, "usage: %s [--returns N] [--transport soap|rest] [--seconds S]\n",
				argv[0]);
			return 64;
		}
	}
	if (n < 10 || seconds < 1)
		return 64;
	bh_bench_env(argv[0]);
	static struct e2e t;
	e2e_setup(&t, erp, bh_bench_ok);
	e2e_ctl(&t, "POST", "/control/loop/settings", "{\"rate_limit_per_minute\":0}", NULL);
	if (e2e_engine_start(&t) != 0)
		return 1;
	printf("throughput: %d returns, %s, simulators and engine on 127.0.0.1 (%ld CPUs)\n", n, erp,
	       sysconf(_SC_NPROCESSORS_ONLN));
	char (*ids)[32] = calloc((size_t)3 * n, 32), (*line)[32] = calloc((size_t)3 * n, 32);
	int *qty = calloc((size_t)3 * n, sizeof(int));
	struct bh_bench_ret *rets = calloc((size_t)2 * n, sizeof(*rets));
	if (!ids || !line || !qty || !rets)
		return 1;
	int64_t s0 = bh_bench_wall_ms();
	if (bh_bench_orders(&t, 3 * n, 12, ids, line, qty) != 0)
		return 1;
	printf("setup: %d orders in NetSuite in %.1f s\n", 3 * n, (bh_bench_wall_ms() - s0) / 1000.0);

	/* the full flow, fed by webhooks as fast as Loop takes new returns */
	int64_t t0 = bh_bench_wall_ms();
	for (int i = 0; i < n; i++)
		if (bh_bench_open(&t, ids[i], line[i], qty[i], &rets[i]) != 0) {
			fprintf(stderr, "Loop refused return %d\n", i);
			return 1;
		}
	int64_t opened = bh_bench_wall_ms();
	int got = bh_bench_collect(&t, rets, n, 300000);
	int64_t last = 0;
	for (int i = 0; i < n; i++)
		if (rets[i].written_ms > last)
			last = rets[i].written_ms;
	double offered = n * 1000.0 / (double)(opened - t0 > 0 ? opened - t0 : 1);
	double flow = last > t0 ? got * 1000.0 / (double)(last - t0) : -1;
	printf("webhooks: Loop took %d returns at %.1f/s (one client); the RA flow kept pace at "
	       "%.1f returns/s,\n          the last RA written %" PRId64 " ms after the last "
	       "return was opened (%d of %d RAs)\n",
	       n, offered, flow, last - opened, got, n);

	/* the full flow draining a backlog: Loop's webhooks off, N returns opened, then one
	 * poll fetches them all and the flow works through the outbox */
	e2e_ctl(&t, "DELETE", "/control/loop/webhooks", NULL, NULL);
	struct bh_bench_ret *b = rets + n;
	for (int i = 0; i < n; i++)
		if (bh_bench_open(&t, ids[n + i], line[n + i], qty[n + i], &b[i]) != 0) {
			fprintf(stderr, "Loop refused return %d\n", n + i);
			return 1;
		}
	int64_t p0 = bh_bench_wall_ms();
	e2e_sync(&t, "loop");
	got = bh_bench_collect(&t, b, n, 300000);
	last = 0;
	for (int i = 0; i < n; i++)
		if (b[i].written_ms > last)
			last = b[i].written_ms;
	double backlog = last > p0 ? got * 1000.0 / (double)(last - p0) : -1;
	printf("backlog: one Loop poll fetched %d returns; the full RA flow drained them at "
	       "%.1f returns/s\n         (poll + outbox + return-authorization flow + %s; %d of %d "
	       "RAs)\n",
	       n, backlog, erp, got, n);
	e2e_engine_stop(&t);

	/* the ERP alone, same plugin and concurrency */
	int ok_direct = 0;
	double direct = erp_alone(&t, ids + 2 * n, n, &ok_direct);
	printf("%s alone, create_return_authorization x%d threads: %8.1f RAs/s (%d of %d)\n", erp,
	       THREADS, direct, ok_direct, n);
	double http = http_ceiling(&t, seconds);
	printf("NetSuite simulator HTTP ceiling (404, %d keep-alive clients): %8.1f requests/s\n",
	       THREADS, http);
	if (direct > 0 && backlog > 0)
		printf("draining a backlog, the full flow runs at %.0f%% of what the ERP transport "
		       "alone sustains\n",
		       100.0 * backlog / direct);
	json_object *info = NULL, *ras = NULL;
	e2e_ctl(&t, "GET", "/control/netsuite/info", NULL, &info);
	e2e_ctl(&t, "GET", "/control/netsuite/records?type=returnAuthorization", NULL, &ras);
	printf("(NetSuite simulator: %d RAs stored; SOAP requests validated against Oracle's XSD: "
	       "%s)\n",
	       e2e_get(ras, "records") ? (int)json_object_array_length(e2e_get(ras, "records")) : -1,
	       json_object_get_boolean(e2e_get(info, "soap.xsd")) ? "yes" : "no");
	json_object_put(info);
	json_object_put(ras);
	free(ids);
	free(line);
	free(qty);
	free(rets);
	e2e_teardown(&t, false);
	return 0;
}
