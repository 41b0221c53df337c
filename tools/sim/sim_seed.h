/*
 * sim_seed.h - deterministic seed data for the simulators (catalog, customers, orders).
 *
 * The same options always produce byte-identical JSON (own PRNG, no rand(), no clock).
 * The data is applied through the services' control APIs: netsuite POST /items, then
 * shopify POST /orders (see sim_seed.c for the exact shapes and the rounding rules).
 * Threading: generate is pure; apply makes in-process control calls (thread-safe).
 */
#ifndef BH_SIM_SEED_H
#define BH_SIM_SEED_H

#include <stdint.h>
#include <stddef.h>

struct json_object;

struct bh_sim_seed_opts {
	uint64_t seed;
	unsigned items;             /* merchandise SKUs (special items come on top), <= 192 */
	unsigned orders;
	unsigned customers;         /* 0: guest checkouts only */
	int64_t start;              /* UTC epoch seconds of the first order */
	unsigned order_name_start;  /* "#1001" */
	unsigned tax_ppm;           /* tax rate in parts per million (80000 = 8 %) */
};

/** Defaults: seed 42, 40 items, 200 orders, 60 customers, 2026-11-01T00:00:00Z, #1001,
 *  8 % tax. */
void bh_sim_seed_defaults(struct bh_sim_seed_opts *o);
/** Overlay a JSON object {"seed","items","orders","customers","start","order_name_start",
 *  "tax_rate":"0.08"} on o. Returns 0, or -1 with a message in err. */
int bh_sim_seed_opts_from_json(struct bh_sim_seed_opts *o, struct json_object *j,
			       char *err, size_t errlen);
/** Generate the data: {"seed","start","tax_rate","items":[...],"customers":[...],
 *  "orders":[...]} (new reference), or NULL with a message in err. */
struct json_object *bh_sim_seed_generate(const struct bh_sim_seed_opts *o, char *err,
					 size_t errlen);
/** Apply generated data to the registered services. On success returns 0 and *result
 *  = {"seed","items":[{"sku","internal_id"}],"orders":[{"id","name"}],"customers":n,
 *  "skipped":[service names not registered]}. -1 with a message in err otherwise. */
int bh_sim_seed_apply(struct json_object *data, struct json_object **result, char *err,
		      size_t errlen);

#endif
