/*
 * loop_plugin.c - the `loop` endpoint plugin: Loop Returns as a source of canonical
 * `return/1` records and as the `portal` capability (plus `diagnostics`).
 *
 * This file holds the descriptor, the config map and the lifecycle; see loop.h for the
 * modules. Settings (`backhaul plugins --describe loop`):
 *   api_key (secret: api_key_file / api_key_env), base_url, api_version, timeout,
 *   connections, rate_limit + rate_burst (requests per minute kept by the limiter),
 *   retries, retry_backoff, max_retry_wait, rate_limited_wait, lookback, window,
 *   overlap, page_size, find_returns_span, states, webhook_path, webhook_secret,
 *   webhook_secret_previous.
 *
 * Ownership: the context owns the HTTP client, the limiter and the auth header; the
 * core owns the config strings until destroy(). Threading: init/configure/start/stop/
 * destroy on the main thread; see loop.h for the rest.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <backhaul/diag.h>
#include <backhaul/portal.h>

#include "http.h"
#include "loop.h"

static const char *const all_states[BH_LOOP_N_STATES] = {"open", "closed", "cancelled",
							  "expired", "review"};

static int lp_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct bh_loop *lp = calloc(1, sizeof(*lp));
	pthread_condattr_t ca;

	if (!lp)
		return BH_ENOMEM;
	lp->inst = inst;
	lp->host = host;
	pthread_mutex_init(&lp->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lp->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	lp->sync_init = true;
	*ctx = lp;
	return BH_OK;
}

static int set_origin(struct bh_loop *lp)
{
	const char *u = lp->base_url;
	const char *p = strstr(u, "://");
	if ((strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) || !p || !p[3])
		return BH_ECONFIG;
	size_t n = strcspn(p + 3, "/?#");
	size_t ol = (size_t)(p + 3 - u) + n;
	if (n == 0 || ol >= sizeof(lp->origin))
		return BH_ECONFIG;
	memcpy(lp->origin, u, ol);
	lp->origin[ol] = '\0';
	size_t bl = strlen(u);
	while (bl > ol && u[bl - 1] == '/')
		bl--;
	if ((size_t)snprintf(lp->api_base, sizeof(lp->api_base), "%.*s/%s", (int)bl, u,
			     lp->api_version) >= sizeof(lp->api_base))
		return BH_ECONFIG;
	return BH_OK;
}

static int lp_configure(void *ctx)
{
	struct bh_loop *lp = ctx;
	const struct bh_host *h = lp->host;

	if (set_origin(lp) != 0) {
		bh_plg_error(h, lp->inst, "base_url must be an http(s) URL such as "
			     "https://api.loopreturns.com/api, not '%s'", lp->base_url);
		return BH_ECONFIG;
	}
	if (!*lp->api_version || strpbrk(lp->api_version, "/?# ")) {
		bh_plg_error(h, lp->inst, "api_version must be a version such as v1 or 2026-07");
		return BH_ECONFIG;
	}
	if (strpbrk(lp->api_key, "\r\n") || !*lp->api_key) {
		bh_plg_error(h, lp->inst, "api_key is empty or holds a line break");
		return BH_ECONFIG;
	}
	if (lp->rate_burst >= lp->rate_limit) {
		bh_plg_error(h, lp->inst, "rate_burst (%lld) must be below rate_limit (%lld)",
			     (long long)lp->rate_burst, (long long)lp->rate_limit);
		return BH_ECONFIG;
	}
	if (lp->overlap_ms >= lp->window_ms) {
		bh_plg_error(h, lp->inst, "overlap must be shorter than window");
		return BH_ECONFIG;
	}
	lp->n_states = 0;
	for (size_t i = 0; lp->states_cfg && lp->states_cfg[i]; i++) {
		const char *s = lp->states_cfg[i];
		size_t k;
		for (k = 0; k < BH_LOOP_N_STATES && strcmp(s, all_states[k]) != 0; k++)
			;
		if (k == BH_LOOP_N_STATES) {
			bh_plg_error(h, lp->inst, "states: '%s' is not one of open, closed, cancelled, "
				     "expired, review", s);
			return BH_ECONFIG;
		}
		bool dup = false;
		for (size_t j = 0; j < lp->n_states; j++)
			dup = dup || lp->states[j] == all_states[k];
		if (!dup)
			lp->states[lp->n_states++] = all_states[k];
	}
	if (lp->n_states == 0) {
		bh_plg_error(h, lp->inst, "states must name at least one state");
		return BH_ECONFIG;
	}
	if (lp->webhook_path && lp->webhook_path[0] != '/') {
		bh_plg_error(h, lp->inst, "webhook_path must start with '/', not '%s'",
			     lp->webhook_path);
		return BH_ECONFIG;
	}
	if (lp->webhook_path && !lp->webhook_secret) {
		bh_plg_error(h, lp->inst, "webhook_path needs webhook_secret (webhook_secret_file or "
			     "webhook_secret_env): Loop signs each webhook with it");
		return BH_ECONFIG;
	}
	size_t hl = strlen(lp->api_key) + 32;
	lp->auth_header = malloc(hl);
	if (!lp->auth_header)
		return BH_ENOMEM;
	snprintf(lp->auth_header, hl, "X-Authorization: %s", lp->api_key);
	if (bh_loop_limit_init(&lp->limit, lp->rate_limit, lp->rate_burst) != 0)
		return BH_ECONFIG;
	if (bh_http_client_new((long)lp->timeout_ms, (size_t)lp->connections, &lp->http) != 0)
		return BH_ENOMEM;
	return BH_OK;
}

static int lp_start(void *ctx)
{
	struct bh_loop *lp = ctx;
	pthread_mutex_lock(&lp->stop_lock);
	lp->stopping = false;
	pthread_mutex_unlock(&lp->stop_lock);
	if (!lp->webhook_path)
		return BH_OK;
	int rc = lp->host->http_route(lp->inst, "POST", lp->webhook_path, bh_loop_webhook, lp);
	if (rc != 0)
		bh_plg_error(lp->host, lp->inst, "cannot receive webhooks on %s (%s)", lp->webhook_path,
			     rc == BH_EEXIST ? "the path is taken" : "the HTTP listener is disabled");
	return rc;
}

static void lp_stop(void *ctx)
{
	struct bh_loop *lp = ctx;
	pthread_mutex_lock(&lp->stop_lock);
	lp->stopping = true;
	pthread_cond_broadcast(&lp->stop_cond);
	pthread_mutex_unlock(&lp->stop_lock);
}

static void lp_destroy(void *ctx)
{
	struct bh_loop *lp = ctx;
	if (!lp)
		return;
	bh_http_client_free(lp->http);
	bh_loop_limit_destroy(&lp->limit);
	if (lp->auth_header) {
		/* the key must not linger in freed memory */
		memset(lp->auth_header, 0, strlen(lp->auth_header));
		free(lp->auth_header);
	}
	if (lp->sync_init) {
		pthread_cond_destroy(&lp->stop_cond);
		pthread_mutex_destroy(&lp->stop_lock);
	}
	free(lp);
}

static const void *lp_capability(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, BH_CAP_PORTAL) == 0)
		return bh_loop_portal_ops();
	if (strcmp(name, BH_CAP_DIAG) == 0)
		return bh_loop_diag_ops();
	return NULL;
}

#define O(f) offsetof(struct bh_loop, f)
#define DAY_MS (24LL * 3600 * 1000)
static const struct bh_cfg_entry lp_config[] = {
	{BH_CFG_SECRET, "api_key", NULL, BH_CFG_REQUIRED, O(api_key), 0, 0, NULL,
	 "Loop API key (Returns scope), sent as X-Authorization (api_key_file or api_key_env)"},
	{BH_CFG_STR, "base_url", "https://api.loopreturns.com/api", 0, O(base_url), 0, 0, NULL,
	 "Loop API base URL, without the version"},
	{BH_CFG_STR, "api_version", "v1", 0, O(api_version), 0, 0, NULL,
	 "API version path: v1 (Loop's alias of 2026-07) or a dated version like 2026-10"},
	{BH_CFG_DURATION, "timeout", "30s", 0, O(timeout_ms), 100, 600000, NULL,
	 "time limit of one HTTP request"},
	{BH_CFG_INT, "connections", "4", 0, O(connections), 1, 64, NULL,
	 "HTTP connections kept open to Loop"},
	{BH_CFG_INT, "rate_limit", "290", 0, O(rate_limit), 2, 100000, NULL,
	 "most requests in any minute (Loop allows 300 per minute per key), all threads together"},
	{BH_CFG_INT, "rate_burst", "10", 0, O(rate_burst), 1, 10000, NULL,
	 "requests that may go at once before the rate applies (part of rate_limit)"},
	{BH_CFG_INT, "retries", "4", 0, O(retries), 0, 20, NULL,
	 "retries of a request after a timeout, 429 or 5xx"},
	{BH_CFG_DURATION, "retry_backoff", "1s", 0, O(retry_backoff_ms), 1, 600000, NULL,
	 "first retry delay, doubled each time (jittered; never before Retry-After)"},
	{BH_CFG_DURATION, "max_retry_wait", "60s", 0, O(max_retry_wait_ms), 0, 3600000, NULL,
	 "most time one request spends waiting between retries before giving up (retry later)"},
	{BH_CFG_DURATION, "rate_limited_wait", "2s", 0, O(rate_limited_wait_ms), 1, 600000, NULL,
	 "pause after a 429 without Retry-After (Loop documents none)"},
	{BH_CFG_DURATION, "lookback", "1d", 0, O(lookback_ms), 1000, 0, NULL,
	 "first poll: how far back to read returns by updated_at"},
	{BH_CFG_DURATION, "window", "120d", 0, O(window_ms), 60000, 120 * DAY_MS, NULL,
	 "longest from..to range per list request (Loop refuses more than 120 days)"},
	{BH_CFG_DURATION, "overlap", "5m", 0, O(overlap_ms), 0, 30 * DAY_MS, NULL,
	 "each poll re-reads this much before now (tolerates clock skew and late indexing)"},
	{BH_CFG_INT, "page_size", "250", 0, O(page_size), 1, 750, NULL,
	 "returns per page of the Detailed Returns List (Loop allows up to 750)"},
	{BH_CFG_DURATION, "find_returns_span", "120d", 0, O(find_span_ms), DAY_MS, 365 * DAY_MS, NULL,
	 "backhaul report: how far before and after an order's return its other returns are "
	 "looked for (Loop's returns list has no order filter)"},
	{BH_CFG_LIST, "states", "open,closed,cancelled,expired,review", 0, O(states_cfg), 0, 0, NULL,
	 "return states polled, each asked on its own"},
	{BH_CFG_STR, "webhook_path", NULL, 0, O(webhook_path), 0, 0, NULL,
	 "receive Loop webhooks on this listener path (e.g. /webhooks/loop)"},
	{BH_CFG_SECRET, "webhook_secret", NULL, 0, O(webhook_secret), 0, 0, NULL,
	 "Loop's webhook secret: X-Loop-Signature is checked with it"},
	{BH_CFG_SECRET, "webhook_secret_previous", NULL, 0, O(webhook_secret_previous), 0, 0, NULL,
	 "previous webhook secret, still accepted during a rotation"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "loop", .version = PACKAGE_VERSION,
		 .description = "Loop Returns: returns as portal.return.* records (poll and "
				"webhooks), portal actions (process, cancel, flag, close, note)",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = lp_config,
		 .init = lp_init, .configure = lp_configure, .start = lp_start, .stop = lp_stop,
		 .destroy = lp_destroy, .poll = bh_loop_poll, .capability = lp_capability);
