/*
 * sim_faults.c - fault and latency injection rules shared by every simulated service.
 *
 * Purpose: tests and benchmarks add rules through POST /control/faults; sim_http.c asks
 * bh_sim_fault_check() for each request (service name + the service's op_name) what to
 * inject: added latency, a 5xx, a 429, a timeout (hold), a connection reset, or a SOAP
 * fault. Rates are probabilities drawn from a per-rule splitmix64 PRNG seeded from the
 * fault seed and the rule's creation rank since the seed was (re)set, so the same seed,
 * rules and request sequence give the same faults.
 *
 * Matching: "service" is a service name or "*"; "operation" is "*", an exact op name
 * ("soap:upsert") or a prefix ending in '*' ("soap:*"). Every matching rule adds its
 * latency (+ uniform jitter in [0, latency_jitter_ms]); the first matching rule whose
 * draw selects a fault decides the fault. "count" limits a rule to the next N matching
 * requests (each matching request consumes one, whether a fault was drawn or not);
 * the rule is then removed. Without count a rule lasts until deleted.
 *
 * Global state (documented exception): the rule table, the fault seed and the id
 * counter are process-wide, guarded by `lock`; `n_active` mirrors the number of rules
 * atomically so the hot path skips everything when no rule exists.
 * Threading: all functions are thread-safe.
 */
#include "sim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define RULE_NAME_MAX 96

struct rule {
	int id;
	char service[RULE_NAME_MAX];
	char operation[RULE_NAME_MAX];
	unsigned latency_ms, jitter_ms;
	double rate[5];                 /* indexed by enum kind below */
	unsigned timeout_ms;
	bool timeout_processed;
	long long count;                /* remaining matching requests, -1: unlimited */
	uint64_t rng;
	uint64_t matched, injected;
};

enum kind { K_5XX, K_429, K_TIMEOUT, K_RESET, K_SOAP, K_N };

static const char *const rate_keys[K_N] = {
	"rate_5xx", "rate_429", "rate_timeout", "rate_reset", "rate_soap_fault",
};
static const enum bh_sim_fault kind_fault[K_N] = {
	BH_SIM_FAULT_HTTP_5XX, BH_SIM_FAULT_HTTP_429, BH_SIM_FAULT_TIMEOUT,
	BH_SIM_FAULT_RESET, BH_SIM_FAULT_SOAP,
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule *rules;
static size_t n_rules, cap_rules;
static int next_id = 1;
static uint64_t fault_seed = 0x5eedfa17ULL;
static uint64_t seeded_rules;   /* rules created since the last bh_sim_faults_seed() */
static atomic_int n_active;

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

bool bh_sim_faults_active(void)
{
	return atomic_load_explicit(&n_active, memory_order_relaxed) > 0;
}

void bh_sim_faults_seed(uint64_t seed)
{
	pthread_mutex_lock(&lock);
	fault_seed = seed;
	seeded_rules = 0;
	pthread_mutex_unlock(&lock);
}

static bool name_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n == 1 && pattern[0] == '*')
		return true;
	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

enum bh_sim_fault bh_sim_fault_check(const char *service, const char *op,
				     struct bh_sim_fault_action *act)
{
	size_t w = 0;

	memset(act, 0, sizeof(*act));
	if (!bh_sim_faults_active())
		return BH_SIM_FAULT_NONE;
	if (!service)
		service = "";
	if (!op)
		op = "*";
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_rules; i++) {
		struct rule *r = &rules[i];
		bool keep = true;

		if (name_matches(r->service, service) && name_matches(r->operation, op)) {
			double total = 0;

			r->matched++;
			act->latency_ms += r->latency_ms;
			if (r->jitter_ms)
				act->latency_ms += (unsigned)(splitmix64(&r->rng) %
							     ((uint64_t)r->jitter_ms + 1));
			for (int k = 0; k < K_N; k++)
				total += r->rate[k];
			if (total > 0) {
				double u = uniform01(&r->rng), acc = 0;

				for (int k = 0; k < K_N; k++) {
					acc += r->rate[k];
					if (r->rate[k] > 0 && u < acc) {
						if (act->fault == BH_SIM_FAULT_NONE) {
							act->fault = kind_fault[k];
							act->timeout_ms = r->timeout_ms;
							act->timeout_processed = r->timeout_processed;
							act->rule_id = r->id;
							r->injected++;
						}
						break;
					}
				}
			}
			if (r->count > 0 && --r->count == 0)
				keep = false;
		}
		if (keep) {
			if (w != i)
				rules[w] = rules[i];
			w++;
		}
	}
	n_rules = w;
	atomic_store(&n_active, (int)n_rules);
	pthread_mutex_unlock(&lock);
	return act->fault;
}

static int get_uint(struct json_object *v, const char *key, unsigned max, unsigned *out,
		    char *err, size_t errlen)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "%s must be an integer", key);
		return -1;
	}
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max) {
		snprintf(err, errlen, "%s out of range (0..%u)", key, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int bh_sim_faults_add(struct json_object *spec, char *err, size_t errlen)
{
	struct rule r;
	struct json_object_iterator it, end;
	double total = 0;
	int id;

	memset(&r, 0, sizeof(r));
	snprintf(r.service, sizeof(r.service), "*");
	snprintf(r.operation, sizeof(r.operation), "*");
	r.timeout_ms = 15000;
	r.count = -1;
	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "a fault rule is a JSON object");
		return -1;
	}
	it = json_object_iter_begin(spec);
	end = json_object_iter_end(spec);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		int k;

		if (strcmp(key, "service") == 0 || strcmp(key, "operation") == 0) {
			const char *s = json_object_get_string(v);

			if (!json_object_is_type(v, json_type_string) || !*s ||
			    strlen(s) >= RULE_NAME_MAX) {
				snprintf(err, errlen, "%s must be a non-empty string", key);
				return -1;
			}
			snprintf(key[0] == 's' ? r.service : r.operation, RULE_NAME_MAX, "%s", s);
			continue;
		}
		if (strcmp(key, "latency_ms") == 0) {
			if (get_uint(v, key, 600000, &r.latency_ms, err, errlen))
				return -1;
			continue;
		}
		if (strcmp(key, "latency_jitter_ms") == 0) {
			if (get_uint(v, key, 600000, &r.jitter_ms, err, errlen))
				return -1;
			continue;
		}
		if (strcmp(key, "timeout_ms") == 0) {
			if (get_uint(v, key, 600000, &r.timeout_ms, err, errlen))
				return -1;
			continue;
		}
		if (strcmp(key, "timeout_processed") == 0) {
			if (!json_object_is_type(v, json_type_boolean)) {
				snprintf(err, errlen, "timeout_processed must be a boolean");
				return -1;
			}
			r.timeout_processed = json_object_get_boolean(v);
			continue;
		}
		if (strcmp(key, "count") == 0) {
			if (json_object_is_type(v, json_type_null))
				continue;
			if (!json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 1) {
				snprintf(err, errlen, "count must be a positive integer");
				return -1;
			}
			r.count = json_object_get_int64(v);
			continue;
		}
		for (k = 0; k < K_N; k++)
			if (strcmp(key, rate_keys[k]) == 0)
				break;
		if (k == K_N) {
			snprintf(err, errlen, "unknown fault rule field '%s'", key);
			return -1;
		}
		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int)) {
			snprintf(err, errlen, "%s must be a number in [0, 1]", key);
			return -1;
		}
		r.rate[k] = json_object_get_double(v);
		if (!(r.rate[k] >= 0 && r.rate[k] <= 1)) {
			snprintf(err, errlen, "%s must be a number in [0, 1]", key);
			return -1;
		}
	}
	for (int k = 0; k < K_N; k++)
		total += r.rate[k];
	if (total > 1.0 + 1e-9) {
		snprintf(err, errlen, "the rates add up to more than 1");
		return -1;
	}

	pthread_mutex_lock(&lock);
	if (n_rules == cap_rules) {
		size_t cap = cap_rules ? cap_rules * 2 : 8;
		struct rule *nr = realloc(rules, cap * sizeof(*nr));

		if (!nr) {
			pthread_mutex_unlock(&lock);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rules = nr;
		cap_rules = cap;
	}
	id = next_id++;
	r.id = id;
	r.rng = fault_seed ^ (++seeded_rules * 0x9e3779b97f4a7c15ULL);
	rules[n_rules++] = r;
	atomic_store(&n_active, (int)n_rules);
	pthread_mutex_unlock(&lock);
	return id;
}

struct json_object *bh_sim_faults_list(void)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_rules; i++) {
		const struct rule *r = &rules[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "id", json_object_new_int(r->id));
		json_object_object_add(j, "service", json_object_new_string(r->service));
		json_object_object_add(j, "operation", json_object_new_string(r->operation));
		json_object_object_add(j, "latency_ms", json_object_new_int64(r->latency_ms));
		json_object_object_add(j, "latency_jitter_ms",
				       json_object_new_int64(r->jitter_ms));
		for (int k = 0; k < K_N; k++)
			json_object_object_add(j, rate_keys[k],
					       json_object_new_double(r->rate[k]));
		json_object_object_add(j, "timeout_ms", json_object_new_int64(r->timeout_ms));
		json_object_object_add(j, "timeout_processed",
				       json_object_new_boolean(r->timeout_processed));
		json_object_object_add(j, "count",
				       r->count < 0 ? NULL : json_object_new_int64(r->count));
		json_object_object_add(j, "matched", json_object_new_int64((int64_t)r->matched));
		json_object_object_add(j, "injected",
				       json_object_new_int64((int64_t)r->injected));
		json_object_array_add(a, j);
	}
	pthread_mutex_unlock(&lock);
	json_object_object_add(o, "faults", a);
	return o;
}

int bh_sim_faults_remove(int id)
{
	int rc = -1;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_rules; i++) {
		if (rules[i].id == id) {
			memmove(&rules[i], &rules[i + 1], (n_rules - i - 1) * sizeof(rules[0]));
			n_rules--;
			rc = 0;
			break;
		}
	}
	atomic_store(&n_active, (int)n_rules);
	pthread_mutex_unlock(&lock);
	return rc;
}

void bh_sim_faults_clear(void)
{
	pthread_mutex_lock(&lock);
	free(rules);
	rules = NULL;
	n_rules = cap_rules = 0;
	atomic_store(&n_active, 0);
	pthread_mutex_unlock(&lock);
}

void bh_sim_fault_default(enum bh_sim_fault f, struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object();
	int status;
	const char *msg;

	switch (f) {
	case BH_SIM_FAULT_HTTP_429:
		status = 429;
		msg = "Too Many Requests (injected)";
		bh_sim_resp_header(resp, "Retry-After", "1");
		break;
	case BH_SIM_FAULT_TIMEOUT:
		status = 504;
		msg = "Gateway Timeout (injected)";
		break;
	case BH_SIM_FAULT_SOAP:
		status = 500;
		msg = "Internal Server Error (injected SOAP fault)";
		break;
	case BH_SIM_FAULT_HTTP_5XX:
	default:
		status = 503;
		msg = "Service Unavailable (injected)";
		break;
	}
	json_object_object_add(o, "error", json_object_new_string(msg));
	bh_sim_resp_json(resp, status, o);
}
