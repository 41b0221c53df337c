/*
 * e2e_bench.h - what the end-to-end benchmarks (tools/bench/latency.c, throughput.c)
 * share: finding the build tree, a store of orders already in NetSuite, opening returns
 * in Loop at a given pace, reading when NetSuite wrote each RA, percentiles.
 * They drive backhaul-sim and `backhaul run` through the e2e harness (tests/e2e/e2e.h).
 *
 * Ownership: arrays returned are malloc'd and owned by the caller.
 * Threading: single-threaded.
 */
#ifndef BH_E2E_BENCH_H
#define BH_E2E_BENCH_H

#include <stdint.h>

#include <backhaul/erp.h>

#include "e2e.h"

/** One return the benchmark opened. */
struct bh_bench_ret {
	char rid[32];
	int64_t opened_ms;       /* wall clock when Loop had created it (control call returned) */
	int64_t written_ms;      /* the RA's creation time in NetSuite, 0 until seen */
};

/** Set BH_TOP_BUILDDIR, BH_PLUGIN_PATH and BH_SHARED_DIR from the program's location
 *  in a build tree (tools/bench/NAME) when they are not set. */
void bh_bench_env(const char *argv0);
/** The harness's assertion hook for benchmarks: prints failures only. */
int bh_bench_ok(int pass, const char *msg);
/** Wall clock, ms since the epoch. */
int64_t bh_bench_wall_ms(void);
/** "2026-11-26T14:46:55.099-08:00" -> ms since the epoch, or -1. */
int64_t bh_bench_parse_time(const char *s);
/** Seed n orders (the simulators' generator) and wait until the engine wrote n sales
 *  orders. Fills ids[i] / line[i] (first line id) / qty[i] of each order. 0 or -1. */
int bh_bench_orders(struct e2e *t, int n, uint64_t seed, char (*ids)[32], char (*line)[32],
		    int *qty);
/** Open one full return of order ids[i] (first line, qty units); 0 or -1. */
int bh_bench_open(struct e2e *t, const char *order_id, const char *line_id, int qty,
		  struct bh_bench_ret *r);
/** Wait until every RA loop-ra-<rid> of rets exists (deadline ms); fill written_ms from
 *  NetSuite's creation time. Returns how many were found. */
int bh_bench_collect(struct e2e *t, struct bh_bench_ret *rets, int n, int deadline_ms);
/** The RA document a flow would send for order order_id (its sales order's first line
 *  as NetSuite holds it), external id "<prefix>-<i>". malloc'd JSON text or NULL. */
char *bh_bench_ra_doc(struct e2e *t, const char *order_id, const char *prefix, int i);

/** The ERP plugin of t->erp loaded alone in an in-process engine (no flows, no Loop):
 *  the baseline the end-to-end figures are compared with. */
struct bh_bench_erp {
	struct bh_engine *eng;
	const struct bh_erp_ops *ops;
	void *ctx;
};
int bh_bench_erp_open(struct e2e *t, int concurrency, struct bh_bench_erp *e);
void bh_bench_erp_close(struct bh_bench_erp *e);

/** Sort values and return the p-th percentile (0..100), nearest rank. */
int64_t bh_bench_pct(int64_t *v, int n, double p);

#endif
