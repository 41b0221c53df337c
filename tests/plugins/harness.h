/*
 * harness.h - helpers for plugin and end-to-end tests (header-only, like tap.h).
 *
 *   bh_test_sim_start(&sim, "--seed 42")   fork/exec $BH_TOP_BUILDDIR/backhaul-sim on
 *                                          free loopback ports (--ports-file), wait
 *                                          until it listens (deadline 10 s)
 *   bh_test_sim_stop(&sim)                 SIGTERM + wait
 *   bh_test_http(method, url, hdrs, body, &resp)   one HTTP request with libcurl;
 *                                          returns the status (0 on transport error),
 *                                          *resp = malloc'd body (may be NULL)
 *   bh_test_ctl(&sim, method, "/control/loop/returns", body, &resp)
 *   bh_test_engine_start(conf, &eng)       write conf into a fresh temp conf.d (the
 *                                          [engine] state_dir/http_port are added),
 *                                          create + start the engine in-process with
 *                                          the plugins from $BH_PLUGIN_PATH
 *   bh_test_engine_stop(eng)               stop + destroy + remove the temp dir
 *   bh_test_cap(eng, "netsuite", "erp", &ctx)   an instance's capability table
 * Needs libcurl (curl_global_init is done by bh_test_sim_start) and libbhcore.
 * Not thread-safe; call from the test's main thread.
 */
#ifndef BH_TEST_HARNESS_H
#define BH_TEST_HARNESS_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "simctl.h"
#include "tap.h"

struct bh_test_sim {
	pid_t pid;
	int shopify, loop, netsuite, control;
	char dir[128];
};

__attribute__((unused)) static long bh_test_http(const char *method, const char *url,
						  const char *const *hdrs, const char *body,
						  char **resp)
{
	return bh_sc_http(method, url, hdrs, body, resp);
}

__attribute__((unused)) static long bh_test_ctl(const struct bh_test_sim *s, const char *method,
						 const char *path, const char *body, char **resp)
{
	char url[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->control, path);
	return bh_test_http(method, url, NULL, body, resp);
}

__attribute__((unused)) static int bh_test_sim_start(struct bh_test_sim *s, const char *args)
{
	const char *top = getenv("BH_TOP_BUILDDIR");
	if (!top)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/bh-sim-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	char bin[4096], ports[256], cmd[8192];
	snprintf(bin, sizeof(bin), "%s/backhaul-sim", top);
	snprintf(ports, sizeof(ports), "%s/ports.json", s->dir);
	snprintf(cmd, sizeof(cmd), "exec '%s' --ports-file '%s' %s >'%s/sim.out' 2>'%s/sim.err'", bin,
		 ports, args ? args : "", s->dir, s->dir);
	s->pid = fork();
	if (s->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int64_t dl = tap_mono_ms() + 10000;
	while (tap_mono_ms() < dl) {
		FILE *fp = fopen(ports, "r");
		if (fp) {
			char line[512] = "";
			if (!fgets(line, sizeof(line), fp))
				line[0] = '\0';
			fclose(fp);
			json_object *o = json_tokener_parse(line);
			if (o) {
				json_object *v;
				if (json_object_object_get_ex(o, "shopify", &v))
					s->shopify = json_object_get_int(v);
				if (json_object_object_get_ex(o, "loop", &v))
					s->loop = json_object_get_int(v);
				if (json_object_object_get_ex(o, "netsuite", &v))
					s->netsuite = json_object_get_int(v);
				if (json_object_object_get_ex(o, "control", &v))
					s->control = json_object_get_int(v);
				json_object_put(o);
				return s->control ? 0 : -1;
			}
		}
		int st;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		struct timespec ts = {0, 10 * 1000000L}; /* polling the ports file */
		nanosleep(&ts, NULL);
	}
	return -1;
}

__attribute__((unused)) static void bh_test_sim_stop(struct bh_test_sim *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", s->dir);
}

struct bh_test_engine {
	struct bh_engine *eng;
	char dir[128];
};

/* conf: the instance sections; [engine] is prepended (state in the temp dir,
 * webhook listener on a free port). Returns 0 or an error. */
__attribute__((unused)) static int bh_test_engine_start(const char *conf, struct bh_test_engine *te)
{
	memset(te, 0, sizeof(*te));
	snprintf(te->dir, sizeof(te->dir), "/tmp/bh-eng-XXXXXX");
	if (!mkdtemp(te->dir))
		return -1;
	char p[256];
	snprintf(p, sizeof(p), "%s/conf.d", te->dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/conf.d/10-test.conf", te->dir);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return -1;
	fprintf(fp, "[engine]\nstate_dir = %s/state\nhttp_port = 0\nlog_level = warn\n\n%s\n",
		te->dir, conf);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/conf.d", te->dir);
	struct bh_engine_opts opts = {.conf_dir = p};
	int rc = bh_engine_create(&opts, &te->eng);
	if (rc == 0 && te->eng->config_errors)
		rc = BH_ECONFIG;
	if (rc == 0)
		rc = bh_engine_start(te->eng);
	return rc;
}

__attribute__((unused)) static void bh_test_engine_stop(struct bh_test_engine *te)
{
	if (te->eng)
		bh_engine_destroy(te->eng);
	te->eng = NULL;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", te->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", te->dir);
}

/* The capability table of instance `name`, and its ctx; NULL when absent. */
__attribute__((unused)) static const void *bh_test_cap(struct bh_test_engine *te, const char *name,
							const char *cap, void **ctx)
{
	struct bh_instance *in = bh_engine_find(te->eng, name);
	if (!in || in->disabled || !in->plugin->desc->capability)
		return NULL;
	*ctx = in->ctx;
	return in->plugin->desc->capability(in->ctx, cap);
}

#endif
