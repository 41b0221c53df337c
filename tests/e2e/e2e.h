/*
 * e2e.h - the end-to-end harness: backhaul-sim and `backhaul run` as separate processes
 * on loopback, driven through the simulators' control APIs, asserted against the
 * NetSuite simulator's records and general ledger (tests/e2e/e2e.c).
 *
 * Purpose
 *   Every scenario program of tests/e2e/ (SCENARIOS.md S1-S16) uses this harness:
 *   e2e_setup() starts the simulators, loads the catalogue, sets the credentials and
 *   subscribes the simulated Shopify and Loop webhooks to the engine's listener;
 *   e2e_engine_start() writes a conf.d with every endpoint and every flow (the NetSuite
 *   transport is one line: `plugin = netsuite-soap` or `netsuite-rest`, chosen at
 *   build time with -DE2E_ERP) and runs the daemon. The test then plays the shopper
 *   (orders, returns), the warehouse (label, receipt, processing) and the operator
 *   (flag, close, cancel) and waits by polling a condition with a deadline, never by
 *   sleeping a fixed time.
 *
 * Ownership
 *   struct e2e owns its temporary directory (removed by e2e_teardown unless a test
 *   failed, so the logs can be read) and both child processes. JSON objects returned
 *   by functions named *_get / *_wait / e2e_ctl are new references the caller puts.
 *
 * Threading
 *   Single-threaded: call everything from the test's main thread (tap.h is not
 *   thread-safe either).
 */
#ifndef BH_E2E_H
#define BH_E2E_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#ifndef E2E_ERP
#define E2E_ERP "netsuite-soap"
#endif

/** Default deadline of one wait (ms). Long enough for a loaded 2-core machine. */
#define E2E_WAIT_MS 30000

/** Settings that differ between engine starts (the commercial connector's options). */
struct e2e_flags {
	bool create_on_refund;          /* "create RA and item receipt on refund" (S12) */
	bool keep_ra_on_cancel;         /* return-cancel: close_ra_on_cancel = false (S8) */
	bool keep_return_on_ra_close;   /* ra-cancel: cancel_return_on_ra_close = false (S9) */
	bool netsuite_poll;             /* the ERP source polls every second by itself */
	const char *fee_item;           /* return-authorization/refund fee_item, NULL: default */
	const char *loop_poll;          /* the Loop source's poll_interval, NULL: 1h */
	const char *extra;              /* appended to the generated conf, or NULL */
};

/** The test program's TAP assertion (tap.h keeps its counters per translation unit,
 *  so the harness reports through the program's own `ok`). */
typedef int (*e2e_ok_fn)(int pass, const char *msg);

struct e2e {
	e2e_ok_fn ok;
	char dir[64];                   /* /tmp/bh-e2e-XXXXXX */
	char erp[32];                   /* netsuite-soap | netsuite-rest */
	char bin[1024], sim_bin[1024];
	char conf_dir[128], sock[160];
	pid_t sim_pid, eng_pid;
	int shopify, loop, netsuite, control;
	int http_port;                  /* the engine's webhook listener (kept across restarts) */
	struct e2e_flags flags;
	int engine_starts;
};

/** An order as the storefront knows it (after e2e_order_create). */
struct e2e_order {
	char id[32];                    /* Shopify order id (decimal, may exceed 2^53) */
	char name[32];                  /* "#1001" */
	int n_lines;
	char line_id[8][32];            /* Shopify line item ids, in order */
	char sku[8][48];
	int64_t so_id;                  /* NetSuite sales order internal id, 0 until synced */
	int64_t bill_id;                /* its cash sale / invoice, 0 when not billed */
};

/* ------------------------------------------------------------------ life cycle */

/** Start the simulators and prepare everything for the ERP plugin `erp` (E2E_ERP:
 *  each scenario program is built once per transport). skip_all when not run by make
 *  check; bails out when the simulator does not start. */
void e2e_setup(struct e2e *t, const char *erp, e2e_ok_fn ok_fn);
/** Write conf.d from t->flags and start `backhaul run`; wait until it answers on its
 *  control socket. Returns 0, or -1 (the log tail is printed as diagnostics). */
int e2e_engine_start(struct e2e *t);
/** SIGTERM the engine and wait for it. */
void e2e_engine_stop(struct e2e *t);
/** kill -9 the engine and reap it. */
void e2e_engine_kill(struct e2e *t);
/** Stop everything; remove the directory when every assertion passed. */
void e2e_teardown(struct e2e *t, bool keep);

/* ------------------------------------------------------------------ talking */

/** One control API call: path relative to the control port ("/control/..."); body may
 *  be NULL. Returns the HTTP status (0: no answer); *out = the parsed answer or NULL
 *  (out may be NULL). */
long e2e_ctl(struct e2e *t, const char *method, const char *path, const char *body,
	     json_object **out);
/** e2e_ctl with a printf-formatted path; no body. */
__attribute__((format(printf, 4, 5))) long e2e_ctlf(struct e2e *t, const char *method,
						     json_object **out, const char *fmt, ...);
/** Raw HTTP POST to the engine's listener (tests replaying webhooks). */
long e2e_engine_post(struct e2e *t, const char *path, const char *const *headers,
		     const char *body);
/** Run `backhaul -c CONF ARGS...` (args already split); returns its exit status and
 *  the combined stdout+stderr in *out (malloc'd; may be NULL). */
int e2e_cli(struct e2e *t, char **out, const char *arg1, const char *arg2, const char *arg3);
/** The daemon's status (control socket), or NULL. */
json_object *e2e_status(struct e2e *t);
/** Ask every source (or `source`) to poll now and wait until each polled; then settle. */
int e2e_sync(struct e2e *t, const char *source);
/** Wait until nothing moves: the simulators have no webhook pending, Loop has no
 *  processing queued, and no flow has a record queued or in flight (records waiting
 *  for a retry count as queued unless allow_retrying). Returns 0 or -1 on timeout. */
int e2e_settle(struct e2e *t, int timeout_ms, bool allow_retrying);
/** Poll cond(t, arg) until it is true or timeout_ms passed (no fixed sleeps). */
bool e2e_wait(struct e2e *t, int timeout_ms, bool (*cond)(struct e2e *, void *), void *arg);

/* ------------------------------------------------------------------ JSON */

/** Path lookup: "lines.0.sku" (array indexes as numbers). Borrowed, or NULL. */
json_object *e2e_get(json_object *o, const char *path);
/** String at path or NULL (borrowed). */
const char *e2e_str(json_object *o, const char *path);
/** Integer at path (int or decimal string), or def. */
int64_t e2e_int(json_object *o, const char *path, int64_t def);
/** Money at path ("43.20" or a JSON number of cents is NOT accepted) in cents, or
 *  INT64_MIN when absent or malformed. */
int64_t e2e_cents(json_object *o, const char *path);
/** "43.20" -> 4320; INT64_MIN when malformed. */
int64_t e2e_money(const char *s);

/* ------------------------------------------------------------------ the shopper */

/** POST an order (Shopify REST shape, JSON text) to the Shopify simulator and read
 *  back its id, name and line ids. Returns 0 or -1. */
int e2e_order_create(struct e2e *t, const char *order_json, struct e2e_order *o);
/** Find an order by name ("EXC1004") in the Shopify simulator. 0 or -1. */
int e2e_order_find(struct e2e *t, const char *name, struct e2e_order *o);
/** Wait until the engine wrote the sales order shopify-order-<id>; then, as NetSuite's
 *  own processes would, bill it (bill_as "cash_sale" | "invoice", or NULL: not billed)
 *  and fulfil it. Returns 0 or -1. */
int e2e_order_sync(struct e2e *t, struct e2e_order *o, const char *bill_as);
/** POST /control/loop/returns; *rid = the return id. Returns the HTTP status. */
long e2e_return_create(struct e2e *t, const char *body, char rid[32], json_object **answer);
/** The Loop return's state ("open", "closed", ...), or "" (static buffer). */
const char *e2e_loop_state(struct e2e *t, const char *rid);
/** Wait until the Loop return is in `state`. */
bool e2e_wait_loop_state(struct e2e *t, const char *rid, const char *state, int timeout_ms);

/** One order line for e2e_order_place: unit price, line discount total, line tax total. */
struct e2e_line_spec {
	const char *sku;
	int qty;
	const char *price, *discount, *tax;
};
/** Place an order of customer #customer (ids fixed per number) with these lines, an
 *  optional shipping price (untaxed) and tenders ("gift_card:60.00,shopify_payments":
 *  the last one without an amount takes the rest; NULL: the card pays all). */
int e2e_order_place(struct e2e *t, struct e2e_order *o, int customer,
		    const struct e2e_line_spec *lines, int n, const char *shipping,
		    const char *tenders);
/** Create a Loop return on order o: lines "0:2,1:1" (order line index:quantity),
 *  outcome, and extra JSON members ("\"handling_fee\":\"5.00\"") or NULL. Returns
 *  Loop's HTTP status; *rid is the return id. */
long e2e_return_place(struct e2e *t, char rid[32], const struct e2e_order *o, const char *lines,
		      const char *outcome, const char *extra, json_object **answer);
/** The warehouse ships the label and Loop processes the return; waits until Loop has
 *  closed it (two TAP lines). */
bool e2e_loop_process(struct e2e *t, const char *what, const char *rid);

/* ------------------------------------------------------------------ NetSuite */

/** Every record of `type` with external id eid (0, 1 or more), or NULL on error. */
json_object *e2e_ns_find(struct e2e *t, const char *type, const char *eid);
/** The full record (lines, status, GL) of type with external id eid, or NULL. */
json_object *e2e_ns_get(struct e2e *t, const char *type, const char *eid);
/** Wait until the record exists; returns it (full) or NULL at the deadline. */
json_object *e2e_ns_wait(struct e2e *t, const char *type, const char *eid, int timeout_ms);
/** How many records of type carry external id eid. -1 on error. */
int e2e_ns_count(struct e2e *t, const char *type, const char *eid);
/** Every transaction id in the account, sorted ascending, as one comma-separated
 *  string (malloc'd): a snapshot to compare before/after a sync. */
char *e2e_ns_snapshot(struct e2e *t);
/** Wait until the RA with external id eid has status `status`. */
bool e2e_wait_ns_status(struct e2e *t, const char *type, const char *eid, const char *status,
			int timeout_ms);

/**
 * Assert the general ledger of a part of an order's chain: the net (debit - credit,
 * cents) per account over transaction `root_id` and everything created from it,
 * transitively (an RA: its receipt, refund, credit memo and that memo's customer
 * refund). `expect` lists "Account=+40.00" items separated by ';' (+ debit, - credit);
 * every other account must net to zero. Emits one TAP line per account and one for
 * the balance. Returns true when all passed.
 */
bool e2e_gl_expect(struct e2e *t, const char *what, const char *shopify_order_id,
		   int64_t root_id, const char *expect);
/** Same over a whole order chain (every transaction of the order). */
bool e2e_gl_expect_order(struct e2e *t, const char *what, const char *shopify_order_id,
			 const char *expect);

/** Net postings gathered over several chains (an exchange: the return on the original
 *  order plus the exchange order). Zero it, add chains, then check. */
struct e2e_gl {
	struct {
		char name[64];
		int64_t net;            /* debit - credit, cents */
	} acct[48];
	size_t n;
	int64_t debit, credit;
	bool broken;                    /* a ledger could not be read */
};
/** Add transaction root_id and its descendants (0: the whole chain) of an order. */
int e2e_gl_add(struct e2e *t, struct e2e_gl *g, const char *shopify_order_id, int64_t root_id);
/** Assert the accumulated nets against `expect` (as e2e_gl_expect). */
bool e2e_gl_check(struct e2e *t, const struct e2e_gl *g, const char *what, const char *expect);

/** Assert a record's lines exactly: "SKU:qty:amount[:tax];..." (tax absent = 0.00);
 *  no other line may exist. One TAP line per line plus one for the count. */
bool e2e_expect_lines(struct e2e *t, const char *what, json_object *rec, const char *spec);
/** The line of rec whose sku is `sku` (borrowed), or NULL. */
json_object *e2e_line(json_object *rec, const char *sku);

/** Snapshot the NetSuite transactions, run a sync cycle (`sync --now` + settle), and
 *  assert that nothing new was written (one TAP line). */
bool e2e_idempotent_sync(struct e2e *t, const char *what);

/* ------------------------------------------------------------------ webhooks by hand */

/** POST again, byte for byte and correctly signed, the last Loop delivery of `trigger`
 *  ("return.created") for return rid to the engine (a webhook retried by Loop). Returns
 *  the engine's HTTP status. */
long e2e_loop_redeliver(struct e2e *t, const char *rid, const char *trigger);
/** Copy the last Loop delivery of `trigger` for rid, let mutate() change it (another
 *  id, totals that do not reconcile...), sign it with Loop's secret and POST it to the
 *  engine. Returns the engine's HTTP status. */
long e2e_loop_forge(struct e2e *t, const char *rid, const char *trigger,
		    void (*mutate)(json_object *ret, void *arg), void *arg);
/** Subscribe (on) or remove (off) the Shopify webhooks to the engine. 0 or -1. */
int e2e_shopify_webhooks(struct e2e *t, bool on);

/* ------------------------------------------------------------------ the operator */

/** A plugin counter of an instance from the daemon's status (0 when absent). */
int64_t e2e_counter(struct e2e *t, const char *instance, const char *name);
/** True when one line of the engine's log contains needle1 (and needle2 if given). */
bool e2e_log_has(struct e2e *t, const char *needle1, const char *needle2);
/** How many records of type were created from transaction created_from (-1: error). */
int e2e_ns_count_from(struct e2e *t, const char *type, int64_t created_from);

/** `backhaul dead list` output (malloc'd), exit status in *ex. */
char *e2e_dead_list(struct e2e *t, int *ex);
/** Assert that `backhaul dead list` reports exactly `want` (lists them otherwise). */
bool e2e_expect_dead(struct e2e *t, int want, const char *what);
/** How many dead letters `backhaul dead list` reports. */
int e2e_dead_count(struct e2e *t);

#endif
