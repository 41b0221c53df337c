/*
 * flowlib_test.h - helpers for the NetSuite-writing flow tests (header-only, like tap.h).
 *
 *   flt_start(&t, conf, dry_run)   the engine in-process from a conf text ([engine] is
 *                                  added), plugins from $BH_PLUGIN_PATH plus the build
 *                                  tree's tests/flows/.libs (the fake endpoint); t.fake
 *                                  is the control table of the instance named "erp"
 *                                  when it is a flowlib-fake
 *   flt_stop(&t)                   stop, destroy, remove the temp dir
 *   flt_ingest(&t, src, topic, key, body)   store a record as if `src` emitted it
 *   flt_ctl(&t, cmd, arg)          the fake's control call (flowlib_fake.h)
 *   flt_dump(&t)                   the fake's store as JSON (caller puts it)
 *   flt_wait(&t, flow, ok, retried, dead, ms)   poll the flow's outcome counters until
 *                                  each is >= the given number (deadline ms)
 *   flt_dead(&t, key)              the dead letter's error for a record key (malloc'd)
 *   flt_log_has(&t, flow, text)    a closed sync-log cycle of the flow names text
 *   flt_xref(&t, ns, key, buf)     an xref value
 *   flt_n(dump, table) / flt_calls(dump, op)   counts in a dump
 * Waits poll with a deadline; nothing sleeps for asynchronous work to finish.
 * Not thread-safe; call from the test's main thread.
 */
#ifndef FLOWLIB_TEST_H
#define FLOWLIB_TEST_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <backhaul/backhaul.h>

#include "engine.h"
#include "flowlib_fake.h"
#include "outbox.h"
#include "tap.h"

struct flt {
	struct bh_engine *eng;
	char dir[128];
	const struct fl_fake_ops *fake;
	void *fake_ctx;
};

__attribute__((unused)) static int flt_start(struct flt *t, const char *conf, bool dry_run)
{
	char p[512], plug[4096];
	const char *top = getenv("BH_TOP_BUILDDIR");
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/bh-flt-XXXXXX");
	if (!top || !mkdtemp(t->dir))
		return -1;
	snprintf(p, sizeof(p), "%s/conf.d", t->dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/conf.d/10-test.conf", t->dir);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return -1;
	fprintf(fp, "[engine]\nstate_dir = %s/state\nhttp_port = 0\nlog_level = %s\nworkers = 2\n"
		"durable = false\n\n%s\n", t->dir, getenv("FLT_LOG") ? getenv("FLT_LOG") : "error",
		conf);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/conf.d", t->dir);
	snprintf(plug, sizeof(plug), "%s/tests/flows/.libs", top);
	struct bh_engine_opts opts = {.conf_dir = p, .plugin_path = plug, .dry_run = dry_run};
	int rc = bh_engine_create(&opts, &t->eng);
	if (rc == 0 && t->eng->config_errors)
		rc = BH_ECONFIG;
	if (rc == 0)
		rc = bh_engine_start(t->eng);
	if (rc == 0) {
		struct bh_instance *in = bh_engine_find(t->eng, "erp");
		if (in && !in->disabled && in->plugin->desc->capability) {
			t->fake = in->plugin->desc->capability(in->ctx, FL_FAKE_CAP);
			t->fake_ctx = in->ctx;
		}
	}
	return rc;
}

__attribute__((unused)) static void flt_stop(struct flt *t)
{
	if (t->eng) {
		bh_engine_stop(t->eng);
		bh_engine_destroy(t->eng);
	}
	t->eng = NULL;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", t->dir);
}

__attribute__((unused)) static int flt_ingest(struct flt *t, const char *src, const char *topic,
					       const char *key, const char *body)
{
	struct bh_outbox_rec r = {.topic = topic, .key = key, .body = body, .body_len = strlen(body)};
	size_t n = 0;
	int rc = bh_outbox_ingest(t->eng->outbox, src, &r, 1, NULL, &n);
	bh_engine_wake(t->eng);
	return rc;
}

__attribute__((unused)) static int flt_ctl(struct flt *t, const char *cmd, const char *arg)
{
	char *out = NULL;
	if (!t->fake)
		return -1;
	int rc = t->fake->ctl(t->fake_ctx, cmd, arg, &out);
	free(out);
	return rc;
}

__attribute__((unused)) static json_object *flt_dump(struct flt *t)
{
	char *out = NULL;
	if (!t->fake || t->fake->ctl(t->fake_ctx, "dump", NULL, &out) != 0)
		return NULL;
	json_object *o = json_tokener_parse(out);
	free(out);
	return o;
}

__attribute__((unused)) static int flt_n(json_object *dump, const char *table)
{
	json_object *a;
	if (!dump || !json_object_object_get_ex(dump, table, &a))
		return -1;
	return (int)json_object_array_length(a);
}

/* Calls of op in the dump (all when op is NULL). */
__attribute__((unused)) static int flt_calls(json_object *dump, const char *op)
{
	json_object *a;
	int n = 0;
	if (!dump || !json_object_object_get_ex(dump, "calls", &a))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i), *o;
		if (!op || (json_object_object_get_ex(c, "op", &o) &&
			    !strcmp(json_object_get_string(o), op)))
			n++;
	}
	return n;
}

/* Element i of table (borrowed from dump). */
__attribute__((unused)) static json_object *flt_get(json_object *dump, const char *table, size_t i)
{
	json_object *a;
	if (!dump || !json_object_object_get_ex(dump, table, &a) || i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

/* A string at a path of members/indexes ("doc.lines.0.rate"); NULL when absent. */
__attribute__((unused)) static const char *flt_path(json_object *o, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			size_t i = (size_t)strtoul(tok, NULL, 10);
			o = i < json_object_array_length(o) ? json_object_array_get_idx(o, i) : NULL;
		} else if (!json_object_object_get_ex(o, tok, &o)) {
			o = NULL;
		}
	}
	if (!o)
		return NULL;
	return json_object_get_string(o);
}

__attribute__((unused)) static void flt_counts(struct flt *t, const char *flow, uint64_t *ok,
					       uint64_t *retried, uint64_t *dead)
{
	struct bh_instance *in = bh_engine_find(t->eng, flow);
	*ok = *retried = *dead = 0;
	if (!in)
		return;
	pthread_mutex_lock(&t->eng->lock);
	*ok = in->total_ok;
	*retried = in->total_retried;
	*dead = in->total_dead;
	pthread_mutex_unlock(&t->eng->lock);
}

__attribute__((unused)) static bool flt_wait(struct flt *t, const char *flow, uint64_t ok,
					     uint64_t retried, uint64_t dead, int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms;
	uint64_t a, b, c;
	for (;;) {
		flt_counts(t, flow, &a, &b, &c);
		if (a >= ok && b >= retried && c >= dead)
			return true;
		if (tap_mono_ms() > dl) {
			diag("flow %s: ok %llu retried %llu dead %llu; waited for %llu/%llu/%llu", flow,
			     (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
			     (unsigned long long)ok, (unsigned long long)retried,
			     (unsigned long long)dead);
			return false;
		}
		struct timespec ts = {0, 2 * 1000000L}; /* polling a condition, 2 ms */
		nanosleep(&ts, NULL);
	}
}

struct flt_dead_find {
	const char *key;
	char *error;
};

static int flt_dead_cb(void *arg, const struct bh_dead_info *d)
{
	struct flt_dead_find *f = arg;
	if (d->key && !strcmp(d->key, f->key)) {
		free(f->error);
		f->error = strdup(d->error ? d->error : "");
	}
	return 0;
}

__attribute__((unused)) static char *flt_dead(struct flt *t, const char *key)
{
	struct flt_dead_find f = {key, NULL};
	bh_outbox_dead_foreach(t->eng->outbox, flt_dead_cb, &f);
	return f.error;
}

/* Replay every dead letter and wake the workers. Returns how many. */
__attribute__((unused)) static size_t flt_replay(struct flt *t)
{
	size_t n = 0;
	bh_outbox_dead_replay(t->eng->outbox, NULL, &n);
	bh_engine_wake(t->eng);
	return n;
}

struct flt_log_find {
	const char *flow, *text;
	bool found;
};

static int flt_log_cb(void *arg, const char *json)
{
	struct flt_log_find *f = arg;
	char pat[160];
	snprintf(pat, sizeof(pat), "\"flow\":\"%s\"", f->flow);
	if (strstr(json, pat) && strstr(json, f->text))
		f->found = true;
	return 0;
}

/* The flow's sync log names text (in a closed cycle's errors); polls until ms. */
__attribute__((unused)) static bool flt_log_has(struct flt *t, const char *flow, const char *text,
						int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms;
	for (;;) {
		struct flt_log_find f = {flow, text, false};
		bh_outbox_log_foreach(t->eng->outbox, 0, flt_log_cb, &f);
		if (f.found)
			return true;
		if (tap_mono_ms() > dl)
			return false;
		struct timespec ts = {0, 2 * 1000000L}; /* polling a condition, 2 ms */
		nanosleep(&ts, NULL);
	}
}

__attribute__((unused)) static const char *flt_xref(struct flt *t, const char *ns, const char *key,
						     char *buf, size_t len)
{
	int n = bh_outbox_xref_get(t->eng->outbox, ns, key, buf, len);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Wait until the fake saw at least n calls of op. */
__attribute__((unused)) static bool flt_wait_calls(struct flt *t, const char *op, int n, int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms;
	for (;;) {
		json_object *d = flt_dump(t);
		int c = flt_calls(d, op);
		json_object_put(d);
		if (c >= n)
			return true;
		if (tap_mono_ms() > dl)
			return false;
		struct timespec ts = {0, 2 * 1000000L}; /* polling a condition, 2 ms */
		nanosleep(&ts, NULL);
	}
}

/* Call an erp operation of the instance "erp" directly (e.g. an operator closing an RA
 * in the ERP). Returns the operation's code; *out (may be NULL) is freed. */
__attribute__((unused)) static int flt_erp_close_ra(struct flt *t, const char *ref_json)
{
	struct bh_instance *in = bh_engine_find(t->eng, "erp");
	if (!in || !in->plugin->desc->capability)
		return -1;
	const struct bh_erp_ops *ops = in->plugin->desc->capability(in->ctx, BH_CAP_ERP);
	struct bh_status st = {0};
	char *out = NULL;
	int rc = ops->close_return_authorization(in->ctx, ref_json, &out, &st);
	free(out);
	return rc;
}

#endif
