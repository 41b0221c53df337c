/*
 * mock_source.c - a test and demo endpoint: a source of numbered records.
 *
 * Each poll emits the next `per_poll` records (keys "<prefix>1", "<prefix>2", ...) up
 * to `total` (0 = no limit), storing the count reached as the cursor in the same
 * commit, so a restart resumes exactly where the last committed poll ended. With
 * `webhook_path` set it also accepts POSTed JSON bodies: the record key is the
 * X-Mock-Id header (duplicates are dropped by the engine), a wrong X-Mock-Token gives
 * 401 and nothing is stored. It offers a `mock` capability whose single operation
 * counts calls, so flows can exercise endpoint lookup and concurrency caps.
 *
 * Threading: poll() runs on the source thread, the webhook handler on listener
 * threads; both only read the configuration after start. Counters are atomic.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <backhaul/diag.h>
#include <backhaul/plugin.h>

#include "mock.h"

struct msrc {
	bh_instance *inst;
	const struct bh_host *host;
	int64_t per_poll;
	int64_t total;
	const char *topic;
	const char *prefix;
	int64_t body_size;
	const char *webhook_path;
	const char *token;
	bool refuse_login;
	atomic_long calls;
	atomic_int active, max_active;
};

static int msrc_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct msrc *m = calloc(1, sizeof(*m));
	if (!m)
		return BH_ENOMEM;
	m->inst = inst;
	m->host = host;
	*ctx = m;
	return BH_OK;
}

static int msrc_configure(void *ctx)
{
	struct msrc *m = ctx;
	if (m->webhook_path && m->webhook_path[0] != '/') {
		bh_plg_error(m->host, m->inst, "webhook_path must start with '/', not '%s'",
			     m->webhook_path);
		return BH_ECONFIG;
	}
	return BH_OK;
}

static void msrc_webhook(void *ctx, const struct bh_http_req *req, struct bh_http_resp *resp)
{
	struct msrc *m = ctx;
	const char *tok = m->host->http_header(req, "X-Mock-Token");
	if (m->token && (!tok || strcmp(tok, m->token) != 0)) {
		resp->status = 401;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"bad token\"}");
		return;
	}
	const char *id = m->host->http_header(req, "X-Mock-Id");
	if (!id || !*id || req->body_len == 0) {
		resp->status = 400;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"X-Mock-Id and a body are required\"}");
		return;
	}
	struct bh_emit e = {.topic = m->topic, .key = id, .body = req->body,
			    .body_len = req->body_len};
	int rc = m->host->emit(m->inst, &e, 1, NULL);
	if (rc == BH_EBUSY) {
		resp->status = 503;
		resp->retry_after_s = 5;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"busy\"}");
	} else if (rc < 0) {
		resp->status = 500;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"not stored\"}");
	} else {
		snprintf(resp->body, sizeof(resp->body), "{\"stored\":%d}", rc);
	}
}

static int msrc_start(void *ctx)
{
	struct msrc *m = ctx;
	if (m->webhook_path)
		return m->host->http_route(m->inst, "POST", m->webhook_path, msrc_webhook, m);
	return BH_OK;
}

static int msrc_poll(void *ctx)
{
	struct msrc *m = ctx;
	char cur[32];
	int64_t done = 0;
	if (m->host->cursor_get(m->inst, cur, sizeof(cur)) > 0)
		done = strtoll(cur, NULL, 10);
	int64_t n = m->per_poll;
	if (m->total > 0 && done + n > m->total)
		n = m->total - done;
	if (n <= 0)
		return BH_OK;
	struct bh_emit *recs = calloc((size_t)n, sizeof(*recs));
	char (*keys)[64] = calloc((size_t)n, 64);
	size_t bsz = (size_t)(m->body_size > 64 ? m->body_size : 64);
	char *bodies = calloc((size_t)n, bsz);
	int rc = BH_ENOMEM;
	if (!recs || !keys || !bodies)
		goto out;
	for (int64_t i = 0; i < n; i++) {
		char *b = bodies + (size_t)i * bsz;
		snprintf(keys[i], 64, "%s%lld", m->prefix, (long long)(done + i + 1));
		int len = snprintf(b, bsz, "{\"n\":%lld,\"pad\":\"", (long long)(done + i + 1));
		while ((size_t)len < bsz - 3)
			b[len++] = 'x';
		memcpy(b + len, "\"}", 3);
		recs[i] = (struct bh_emit){.topic = m->topic, .key = keys[i], .body = b};
	}
	snprintf(cur, sizeof(cur), "%lld", (long long)(done + n));
	rc = m->host->emit(m->inst, recs, (size_t)n, cur);
	if (rc >= 0)
		rc = BH_OK;
out:
	free(recs);
	free(keys);
	free(bodies);
	return rc;
}

static int mock_hit(void *ctx, int64_t hold_ms)
{
	struct msrc *m = ctx;
	atomic_fetch_add(&m->calls, 1);
	int now = atomic_fetch_add(&m->active, 1) + 1;
	int prev = atomic_load(&m->max_active);
	while (now > prev && !atomic_compare_exchange_weak(&m->max_active, &prev, now))
		;
	if (hold_ms > 0) {
		/* simulated remote latency, bounded by the caller's setting */
		struct timespec ts = {.tv_sec = hold_ms / 1000, .tv_nsec = (hold_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	atomic_fetch_sub(&m->active, 1);
	return atomic_load(&m->max_active);
}

static const struct bh_mock_ops mock_ops = {
	.size = sizeof(struct bh_mock_ops),
	.hit = mock_hit,
};

static int mock_test_connection(void *ctx, char **out, struct bh_status *st)
{
	struct msrc *m = ctx;
	char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"checks\":[{\"name\":\"reachable\",\"ok\":true,\"detail\":\"in-process mock\"},"
		 "{\"name\":\"authentication\",\"ok\":%s,\"detail\":\"%s\"}]}",
		 m->refuse_login ? "false" : "true",
		 m->refuse_login ? "the token was refused (refuse_login = true)" : "token accepted");
	*out = strdup(buf);
	if (m->refuse_login) {
		snprintf(st->code, sizeof(st->code), "INVALID_LOGIN");
		return BH_EAUTH;
	}
	return *out ? BH_OK : BH_ENOMEM;
}

static const struct bh_diag_ops mock_diag = {
	.size = sizeof(struct bh_diag_ops),
	.test_connection = mock_test_connection,
};

static const void *msrc_capability(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, BH_CAP_DIAG) == 0)
		return &mock_diag;
	return strcmp(name, BH_CAP_MOCK) == 0 ? &mock_ops : NULL;
}

static void msrc_destroy(void *ctx)
{
	free(ctx);
}

#define O(f) offsetof(struct msrc, f)
static const struct bh_cfg_entry msrc_config[] = {
	{BH_CFG_INT, "per_poll", "100", 0, O(per_poll), 1, 100000, NULL, "records emitted per poll"},
	{BH_CFG_INT, "total", "0", 0, O(total), 0, INT64_MAX, NULL, "stop after this many (0 = never)"},
	{BH_CFG_STR, "topic", "mock.record", 0, O(topic), 0, 0, NULL, "topic of the records"},
	{BH_CFG_STR, "key_prefix", "rec-", 0, O(prefix), 0, 0, NULL, "idempotency key prefix"},
	{BH_CFG_INT, "body_size", "200", 0, O(body_size), 16, 1 << 20, NULL, "bytes per body"},
	{BH_CFG_STR, "webhook_path", NULL, 0, O(webhook_path), 0, 0, NULL,
	 "accept POSTed records on this listener path"},
	{BH_CFG_SECRET, "token", NULL, 0, O(token), 0, 0, NULL,
	 "webhook shared secret expected in X-Mock-Token"},
	{BH_CFG_BOOL, "refuse_login", "false", 0, O(refuse_login), 0, 0, NULL,
	 "make test-connection report a refused login (tests)"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "mock-source", .version = "1.0.0",
		 .description = "numbered test records by poll and webhook (tests and demo)",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = msrc_config,
		 .init = msrc_init, .configure = msrc_configure, .start = msrc_start,
		 .destroy = msrc_destroy, .poll = msrc_poll, .capability = msrc_capability);
