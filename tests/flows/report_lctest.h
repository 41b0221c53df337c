/*
 * report_lctest.h - test helpers (header-only) for the return-lifecycle flow tests and
 * the report test: the engine in-process with the `lifecycle-fake` endpoint
 * (report_fake.h) and the flows from $BH_PLUGIN_PATH, its log in a file at info level,
 * and polling helpers (no sleeps: a condition polled against a deadline).
 *
 *   lc_start(&t, extra, conf)     temp dir, conf.d with [engine] (+ extra engine keys,
 *                                 e.g. "dry_run = true", or NULL) + conf, engine started;
 *                                 plugins: $BH_PLUGIN_PATH and the build tree's
 *                                 tests/flows/.libs (the fake);
 *                                 t.ctl/t.fx = the fake's control table and context
 *                                 (instance "fake")
 *   lc_stop(&t)                   stop, destroy, remove the temp dir
 *   lc_emit(&t, topic, key, body) emit a record from the fake
 *   lc_wait_done(&t, flow, n)     wait until the flow has finished n deliveries (ok,
 *                                 retried or dead) in total; returns true in time
 *   lc_count(&t, flow, what)      "ok", "retried", "dead" totals; a counter name else
 *   lc_log_has(&t, text)          the engine log contains text
 *   lc_dead_error(&t, buf, len)   the errors of every dead letter, one per line ("" none)
 * Not thread-safe; call from the test's main thread.
 */
#ifndef BH_TEST_REPORT_LCTEST_H
#define BH_TEST_REPORT_LCTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine.h"
#include "log.h"
#include "report_fake.h"
#include "tap.h"

struct lc_test {
	struct bh_engine *eng;
	char dir[128];
	char logpath[256];
	const struct bh_lcfake_ctl *ctl;
	void *fx;
};

__attribute__((unused)) static int lc_start(struct lc_test *t, const char *extra,
					 const char *conf)
{
	char p[256];
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/bh-lc-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(p, sizeof(p), "%s/conf.d", t->dir);
	mkdir(p, 0700);
	snprintf(t->logpath, sizeof(t->logpath), "%s/engine.log", t->dir);
	snprintf(p, sizeof(p), "%s/conf.d/10-test.conf", t->dir);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return -1;
	const char *top = getenv("BH_TOP_BUILDDIR");
	fprintf(fp, "[engine]\nstate_dir = %s/state\nhttp_enabled = false\nlog_level = info\n"
		    "log_file = %s\nworkers = 2\nplugin_path = %s/tests/flows/.libs\n%s\n\n%s\n",
		t->dir, t->logpath, top ? top : ".", extra ? extra : "", conf);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/conf.d", t->dir);
	struct bh_engine_opts opts = {.conf_dir = p};
	int rc = bh_engine_create(&opts, &t->eng);
	if (rc == 0 && t->eng->config_errors)
		rc = BH_ECONFIG;
	if (rc != 0)
		return rc;
	struct bh_instance *in = bh_engine_find(t->eng, "fake");
	if (!in || in->disabled)
		return BH_ENOENT;
	t->fx = in->ctx;
	t->ctl = in->plugin->desc->capability(in->ctx, BH_LCFAKE_CTL);
	return bh_engine_start(t->eng);
}

__attribute__((unused)) static void lc_stop(struct lc_test *t)
{
	if (t->eng)
		bh_engine_destroy(t->eng);
	t->eng = NULL;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", t->dir);
}

__attribute__((unused)) static int lc_emit(struct lc_test *t, const char *topic, const char *key,
					    const char *body)
{
	return t->ctl->emit(t->fx, topic, key, body);
}

__attribute__((unused)) static long long lc_count(struct lc_test *t, const char *flow,
					       const char *what)
{
	struct bh_instance *in = bh_engine_find(t->eng, flow);
	long long v = 0;
	if (!in)
		return -1;
	pthread_mutex_lock(&t->eng->lock);
	if (strcmp(what, "ok") == 0)
		v = (long long)in->total_ok;
	else if (strcmp(what, "retried") == 0)
		v = (long long)in->total_retried;
	else if (strcmp(what, "dead") == 0)
		v = (long long)in->total_dead;
	else
		for (size_t i = 0; i < in->n_counters; i++)
			if (strcmp(in->counters[i].name, what) == 0)
				v = in->counters[i].value;
	pthread_mutex_unlock(&t->eng->lock);
	return v;
}

__attribute__((unused)) static bool lc_wait_done(struct lc_test *t, const char *flow, long long n)
{
	int64_t dl = tap_mono_ms() + 10000;
	while (tap_mono_ms() < dl) {
		if (lc_count(t, flow, "ok") + lc_count(t, flow, "retried") +
			    lc_count(t, flow, "dead") >= n)
			return true;
		struct timespec ts = {0, 2 * 1000000L}; /* polling the counters */
		nanosleep(&ts, NULL);
	}
	return false;
}

__attribute__((unused)) static bool lc_log_has(struct lc_test *t, const char *text)
{
	FILE *fp = fopen(t->logpath, "r");
	char line[4096];
	bool found = false;
	while (fp && !found && fgets(line, sizeof(line), fp))
		found = strstr(line, text) != NULL;
	if (fp)
		fclose(fp);
	return found;
}

struct lc_dead_arg {
	char *buf;
	size_t len;
};

static int lc_dead_cb(void *arg, const struct bh_dead_info *d)
{
	struct lc_dead_arg *a = arg;
	size_t n = strlen(a->buf);
	if (n + 1 < a->len)
		snprintf(a->buf + n, a->len - n, "%s\n", d->error ? d->error : "");
	return 0;
}

__attribute__((unused)) static const char *lc_dead_error(struct lc_test *t, char *buf, size_t len)
{
	struct lc_dead_arg a = {buf, len};
	buf[0] = '\0';
	bh_outbox_dead_foreach(t->eng->outbox, lc_dead_cb, &a);
	return buf;
}

#endif
