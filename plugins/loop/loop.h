/*
 * loop.h - private declarations of the `loop` endpoint plugin (Loop Returns).
 *
 * Purpose: the plugin talks to Loop's Returns API (X-Authorization key), polls the
 * Detailed Returns List, receives Loop's webhooks and offers the `portal` and
 * `diagnostics` capabilities. Modules:
 *   loop_plugin.c   descriptor, config map, lifecycle, capability()
 *   loop_limit.c    the request limiter (token bucket shared by every thread)
 *   loop_api.c      one Loop request: URL, auth, limiter, retries, classification
 *   loop_errors.c   classification of Loop's answers (pure)
 *   loop_time.c     timestamps: Loop's formats <-> epoch ms <-> RFC 3339 UTC (pure)
 *   loop_map.c      a Loop return object -> canonical `return/1` (pure)
 *   loop_records.c  records (topic, idempotency key, body) derived from one return
 *   loop_source.c   poll(): windows x states x pages, durable cursor
 *   loop_webhook.c  the webhook route: X-Loop-Signature, records
 *   loop_actions.c  the portal operations and test-connection
 *   loop_find.c     portal find_returns (the returns of one order, for the report)
 *
 * Ownership: struct bh_loop (the instance context) owns the HTTP client, the limiter
 * and copies of derived strings; config strings belong to the core until destroy().
 * Threading: after start() the context is read-only except the limiter (its own
 * mutex) and the stop flag (stop_lock). poll() runs on the source thread, the webhook
 * handler on listener threads, capability operations on worker threads, concurrently.
 * Nothing here keeps global mutable state.
 */
#ifndef BH_LOOP_H
#define BH_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <backhaul/plugin.h>
#include <backhaul/capability.h>

#include "loop_limit.h"

struct bh_http_client;

#define BH_LOOP_N_STATES 5

struct bh_loop {
	bh_instance *inst;
	const struct bh_host *host;

	/* configuration (filled by the core) */
	const char *api_key;
	const char *base_url;
	const char *api_version;
	int64_t timeout_ms;
	int64_t connections;
	int64_t rate_limit;        /* requests per minute */
	int64_t rate_burst;
	int64_t retries;
	int64_t retry_backoff_ms;
	int64_t max_retry_wait_ms;
	int64_t rate_limited_wait_ms;
	int64_t lookback_ms;
	int64_t window_ms;
	int64_t overlap_ms;
	int64_t page_size;
	int64_t find_span_ms;      /* find_returns: list walk around the order's return */
	const char *const *states_cfg;
	const char *webhook_path;
	const char *webhook_secret;
	const char *webhook_secret_previous;

	/* derived at configure() */
	char api_base[512];        /* base_url + "/" + api_version, no trailing slash */
	char origin[256];          /* scheme://host[:port] of base_url */
	char *auth_header;         /* "X-Authorization: <key>": never logged */
	const char *states[BH_LOOP_N_STATES];
	size_t n_states;

	struct bh_http_client *http;
	struct bh_loop_limit limit;

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
	bool sync_init;
};

/* ---- loop_api.c ---------------------------------------------------------------- */

enum {
	BH_LOOP_REQ_NO_RETRY = 0x1,   /* one attempt only (diagnostics, non-idempotent) */
};

/**
 * One request to Loop. `path` is relative to the API base ("warehouse/return/list?...")
 * unless it starts with "http" (a nextPageUrl, checked against the configured origin).
 * Waits for the limiter, retries transient failures (transport, timeout, 429, 5xx,
 * UNEXPECTED_ERROR) with backoff honouring Retry-After, within `retries` and
 * `max_retry_wait`. On 0, *out (optional) is the parsed JSON answer (NULL for an empty
 * body) owned by the caller. Otherwise a BH_E* code with st filled (code, message,
 * http_status, retry_after_ms): BH_ERETRY, BH_EAUTH, BH_ENOENT, BH_EREJECT, BH_EPROTO.
 */
int bh_loop_request(struct bh_loop *lp, const char *method, const char *path,
		    const char *body, unsigned flags, json_object **out, struct bh_status *st);
/** Sleep ms unless the instance is stopping. Returns false when stopping. */
bool bh_loop_sleep(struct bh_loop *lp, int64_t ms);
/** Fetch one return (Get Return Details) as Loop's raw object; flags as for
 *  bh_loop_request. */
int bh_loop_fetch_return(struct bh_loop *lp, const char *return_id, unsigned flags,
			 json_object **out, struct bh_status *st);
/** True when s is a decimal id of 1..20 digits. */
bool bh_loop_id_ok(const char *s);

/* ---- loop_source.c / loop_webhook.c / loop_actions.c -------------------------- */

int bh_loop_poll(void *ctx);
void bh_loop_webhook(void *ctx, const struct bh_http_req *req, struct bh_http_resp *resp);
/** Base64 HMAC-SHA256 of data with key into out (at least 45 bytes). Returns 0. */
int bh_loop_sign(const char *key, const void *data, size_t len, char *out, size_t outlen);
const void *bh_loop_portal_ops(void);
/** portal find_returns (loop_find.c). */
int bh_loop_find_returns(void *ctx, const char *query, char **out, struct bh_status *st);
const void *bh_loop_diag_ops(void);

#endif
