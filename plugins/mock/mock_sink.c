/*
 * mock_sink.c - a test and demo flow: counts what it is given.
 *
 * For every record it appends one line "KEY ATTEMPT MAXACTIVE" to `out_file` (one
 * write(2) with O_APPEND, so lines survive a kill -9 of the engine), writes the
 * cross-reference mock:KEY = "done" and, when `follow_topic` is set, emits a
 * follow-up record — all acknowledged together. It can be told to fail: the first
 * `retry_first` attempts of each record ask for a retry (after `retry_after`), and
 * keys starting with `reject_prefix` are rejected. With `endpoint` set it calls that
 * endpoint's `mock` capability (holding it `hold`), so the core's per-endpoint
 * concurrency cap can be observed (MAXACTIVE).
 *
 * Threading: deliver() may run concurrently; the output fd is written with single
 * write(2) calls and everything else is read-only after configure().
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backhaul/plugin.h>

#include "mock.h"

struct msink {
	bh_instance *inst;
	const struct bh_host *host;
	const char *out_file;
	int64_t retry_first;
	int64_t retry_after_ms;
	const char *reject_prefix;
	const char *endpoint;
	int64_t hold_ms;
	const char *follow_topic;
	int fd;
	struct bh_cap cap;
	bool have_cap;
};

static int msink_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct msink *m = calloc(1, sizeof(*m));
	if (!m)
		return BH_ENOMEM;
	m->inst = inst;
	m->host = host;
	m->fd = -1;
	*ctx = m;
	return BH_OK;
}

static int msink_configure(void *ctx)
{
	struct msink *m = ctx;
	if (m->endpoint) {
		int rc = m->host->endpoint(m->inst, m->endpoint, BH_CAP_MOCK, &m->cap);
		if (rc != 0) {
			bh_plg_error(m->host, m->inst, "endpoint '%s' does not exist or offers no '%s' "
				     "capability", m->endpoint, BH_CAP_MOCK);
			return rc;
		}
		m->have_cap = true;
	}
	return BH_OK;
}

static int msink_start(void *ctx)
{
	struct msink *m = ctx;
	if (m->out_file) {
		m->fd = open(m->out_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (m->fd < 0) {
			bh_plg_error(m->host, m->inst, "cannot open out_file %s", m->out_file);
			return BH_EIO;
		}
	}
	return BH_OK;
}

static void msink_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct msink *m = ctx;
	const struct bh_host *h = m->host;
	const char *key = h->rec_key(rec);
	int attempt = h->rec_attempt(rec);
	if (m->reject_prefix && strncmp(key, m->reject_prefix, strlen(m->reject_prefix)) == 0) {
		h->result_reject(res, "key %s is refused by reject_prefix '%s'", key, m->reject_prefix);
		return;
	}
	if (attempt <= m->retry_first) {
		h->result_retry(res, m->retry_after_ms, "attempt %d of %s: asked to fail the first %lld",
				attempt, key, (long long)m->retry_first);
		return;
	}
	int maxact = 0;
	if (m->have_cap) {
		const struct bh_mock_ops *ops = m->cap.ops;
		maxact = ops->hit(m->cap.ctx, m->hold_ms);
	}
	if (m->fd >= 0 && !h->dry_run(m->inst)) {
		char line[256];
		int n = snprintf(line, sizeof(line), "%s %d %d\n", key, attempt, maxact);
		if (write(m->fd, line, (size_t)n) != n) {
			h->result_retry(res, 0, "cannot write out_file");
			return;
		}
	}
	h->result_xref_put(res, "mock", key, "done");
	if (m->follow_topic) {
		char fkey[160];
		snprintf(fkey, sizeof(fkey), "follow-%s", key);
		struct bh_emit e = {.topic = m->follow_topic, .key = fkey, .body = "{\"follow\":true}"};
		h->result_emit(res, &e);
	}
}

static void msink_stop(void *ctx)
{
	struct msink *m = ctx;
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
}

static void msink_destroy(void *ctx)
{
	msink_stop(ctx);
	free(ctx);
}

#define O(f) offsetof(struct msink, f)
static const struct bh_cfg_entry msink_config[] = {
	{BH_CFG_STR, "out_file", NULL, 0, O(out_file), 0, 0, NULL,
	 "append 'KEY ATTEMPT MAXACTIVE' per delivered record"},
	{BH_CFG_INT, "retry_first", "0", 0, O(retry_first), 0, 1000, NULL,
	 "ask for a retry on the first N attempts of every record"},
	{BH_CFG_DURATION, "retry_after", "0ms", 0, O(retry_after_ms), 0, 0, NULL,
	 "retry-after given with those retries"},
	{BH_CFG_STR, "reject_prefix", NULL, 0, O(reject_prefix), 0, 0, NULL,
	 "reject records whose key starts with this"},
	{BH_CFG_STR, "endpoint", NULL, 0, O(endpoint), 0, 0, NULL,
	 "endpoint instance whose 'mock' capability is called per record"},
	{BH_CFG_DURATION, "hold", "0ms", 0, O(hold_ms), 0, 60000, NULL,
	 "how long each capability call lasts"},
	{BH_CFG_STR, "follow_topic", NULL, 0, O(follow_topic), 0, 0, NULL,
	 "emit a follow-up record on this topic with each acknowledgement"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "mock-sink", .version = "1.0.0",
		 .description = "counts delivered records; can be told to fail (tests and demo)",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = msink_config,
		 .init = msink_init, .configure = msink_configure, .start = msink_start,
		 .stop = msink_stop, .destroy = msink_destroy, .deliver = msink_deliver);
