/*
 * sim_ns_util.h - internal helpers of the NetSuite simulator (not part of the store API):
 * a string-keyed open-addressing hash map and integer arithmetic helpers.
 *
 * Ownership: NetSuite service helper. Threading: a map is guarded by its owner's lock;
 * the functions themselves keep no state.
 */
#ifndef BH_SIM_NS_UTIL_H
#define BH_SIM_NS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_sim_ns_map_slot {
	char *key;
	int64_t val;
};

/** String -> int64 map (keys copied). Zero-initialised is empty. */
struct bh_sim_ns_map {
	struct bh_sim_ns_map_slot *slots;
	size_t cap, n, used;
};

void bh_sim_ns_map_free(struct bh_sim_ns_map *m);
bool bh_sim_ns_map_get(const struct bh_sim_ns_map *m, const char *key, int64_t *val);
int bh_sim_ns_map_put(struct bh_sim_ns_map *m, const char *key, int64_t val);
void bh_sim_ns_map_del(struct bh_sim_ns_map *m, const char *key);
/** Drop every entry whose value is below drop_below (expiry by time). */
int bh_sim_ns_map_prune(struct bh_sim_ns_map *m, int64_t drop_below);

/** round(a * b / d), half away from zero, without intermediate overflow. */
int64_t bh_sim_ns_mul_div_round(int64_t a, int64_t b, int64_t d);
/** ASCII lower-case copy, truncated to len - 1. */
void bh_sim_ns_lower(char *dst, const char *src, size_t len);

#endif
