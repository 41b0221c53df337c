/*
 * cli_demo.h - `backhaul demo`: the whole returns lifecycle against the bundled
 * simulators, internal declarations shared by cli_demo.c (the command: paths,
 * processes, configuration, HTTP), cli_demo_day.c (the day played through the
 * simulators' control APIs) and cli_demo_report.c (what was written, the ledger, dead
 * letters).
 *
 * Ownership: struct bh_demo owns its temporary directory (kept at the end so the
 * operator can look), both child processes and every string it holds; JSON objects
 * returned by bh_demo_ctl are new references.
 * Threading: single-threaded (the command's main thread); the children are separate
 * processes.
 */
#ifndef BH_CLI_DEMO_H
#define BH_CLI_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "simctl.h"

#include "cli.h"

#define BH_DEMO_MAX_RETURNS 200

/** What the day does to one return (the scenario it illustrates). */
enum bh_demo_kind {
	BH_DEMO_REFUND = 0,      /* S1: full refund to the original payment */
	BH_DEMO_PARTIAL,         /* S2: some units of a line */
	BH_DEMO_CREDIT,          /* S3: store credit with a bonus */
	BH_DEMO_EXCHANGE,        /* S4: exchange for the same item */
	BH_DEMO_GIFT_CARD,       /* S5: refund to a gift card */
	BH_DEMO_SPLIT,           /* S6: order paid by gift card and card */
	BH_DEMO_FEE,             /* S7: handling fee */
	BH_DEMO_CANCEL,          /* S8: cancelled in Loop before receipt */
	BH_DEMO_FLAG,            /* S10: flagged for review in NetSuite */
	BH_DEMO_NS_FIRST,        /* S11: received in NetSuite first */
	BH_DEMO_KINDS
};

struct bh_demo_return {
	enum bh_demo_kind kind;
	char order_id[32], order_name[32], rid[32];
	int64_t ra_id;
	bool done;               /* reached its end state */
};

struct bh_demo {
	const struct bh_cli_globals *g;
	char dir[256];           /* the demo's directory (kept) */
	char conf_dir[300], sock[300];
	char exe[1024], sim_bin[1100], templates[1024];
	const char *transport;   /* netsuite-soap | netsuite-rest */
	int n_orders, n_returns;
	pid_t sim_pid, eng_pid;
	int shopify, loop, netsuite, control, http_port;
	int64_t t0;              /* monotonic ms at start */
	/* the day */
	int orders_synced, invoices;
	char unknown_order[32], unknown_name[32];
	struct bh_demo_return ret[BH_DEMO_MAX_RETURNS];
	int n_ret;
};

/* --- cli_demo.c --- */
/** Control API call on the simulator: path "/control/..."; returns the HTTP status,
 *  *out the parsed answer or NULL (out may be NULL). */
long bh_demo_ctl(struct bh_demo *d, const char *method, const char *path, const char *body,
		 json_object **out);
/** Ask the daemon to poll `source` (NULL: every source) now and wait for the poll. */
int bh_demo_sync(struct bh_demo *d, const char *source);
/** Wait until no flow has a record due or in flight and the simulators are idle. */
int bh_demo_settle(struct bh_demo *d, int timeout_ms);

/* --- cli_demo_day.c --- */
/** Subscribe the simulated webhooks, seed the store, sync and bill the orders, open the
 *  returns and act as warehouse and operator. Prints progress. 0 or -1. */
int bh_demo_play_day(struct bh_demo *d);
/** The operator's fix for the unknown SKU: create the item, replay the dead letter. */
int bh_demo_operator_fix(struct bh_demo *d, const char *dead_id);

/* --- cli_demo_report.c --- */
/** Print the report; *dead_id = the unknown-SKU order's dead letter id ("" if none). */
void bh_demo_report(struct bh_demo *d, char dead_id[96]);
/** Name of a kind for the report ("refund to the card (S1)"). */
const char *bh_demo_kind_name(enum bh_demo_kind k);

#endif
