/*
 * cli_ops.c - operator subcommands working on the outbox directly: `dead`, `log`;
 * and `plugins`. The outbox may be open in a running daemon at the same time (LMDB
 * is multi-process); after a replay the daemon is woken through the control socket.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <backhaul/diag.h>

#include "cli.h"
#include "control.h"
#include "err.h"
#include "log.h"

static void fmt_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int dead_list_cb(void *arg, const struct bh_dead_info *d)
{
	size_t *n = arg;
	char last[32];
	fmt_time(d->last_attempt_ms, last, sizeof(last));
	printf("%-32s %-28s %-32s attempts %-3d last %s\n    %s\n", d->id, d->topic, d->key,
	       d->attempts, last, d->error ? d->error : "");
	(*n)++;
	return 0;
}

static void wake_daemon(const struct bh_cli_globals *g)
{
	char dir[4096], path[4200], *reply = NULL;
	if (bh_cli_state_dir(g, dir, sizeof(dir)) != 0)
		return;
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	if (bh_control_request(path, "wake", &reply) == 0)
		printf("the running daemon was told to deliver now\n");
	free(reply);
}

static void dead_usage(FILE *fp)
{
	fprintf(fp, "usage: backhaul [-c DIR] dead list\n"
		    "       backhaul [-c DIR] dead show ID\n"
		    "       backhaul [-c DIR] dead replay ID | --all\n"
		    "       backhaul [-c DIR] dead drop ID\n\n"
		    "Dead letters are records a flow rejected or gave up on, kept with their last\n"
		    "error, attempts and times. ID is FLOW/SEQ as `dead list` prints it. `replay`\n"
		    "puts them back in their flow's queue (attempts reset); `drop` deletes one\n"
		    "for good.\n");
}

int bh_cli_dead(const struct bh_cli_globals *g, int argc, char **argv)
{
	if (argc < 1 || bh_cli_wants_help(argc, argv)) {
		dead_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? BH_EX_USAGE : 0;
	}
	const char *verb = argv[0];
	if (strcmp(verb, "list") != 0 && argc < 2) {
		dead_usage(stderr);
		return BH_EX_USAGE;
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 && strcmp(verb, "replay") != 0 &&
	    strcmp(verb, "drop") != 0) {
		fprintf(stderr, "backhaul dead: unknown action '%s'\n", verb);
		dead_usage(stderr);
		return BH_EX_USAGE;
	}
	struct bh_outbox *ob;
	if (bh_cli_open_outbox(g, &ob) != 0)
		return BH_EX_IOERR;
	int ex = 0, rc;
	if (strcmp(verb, "list") == 0) {
		size_t n = 0;
		bh_outbox_dead_foreach(ob, dead_list_cb, &n);
		printf("%zu dead letter%s%s\n", n, n == 1 ? "" : "s",
		       n ? "; `backhaul dead show ID` for details, `backhaul dead replay ID|--all` to retry" : "");
	} else if (strcmp(verb, "show") == 0) {
		struct bh_dead_info d;
		rc = bh_outbox_dead_get(ob, argv[1], &d);
		if (rc != 0) {
			fprintf(stderr, "backhaul dead show: no dead letter '%s'\n", argv[1]);
			ex = BH_EX_DATAERR;
		} else {
			char t0[32], t1[32], t2[32];
			fmt_time(d.time_ms, t0, sizeof(t0));
			fmt_time(d.first_attempt_ms, t1, sizeof(t1));
			fmt_time(d.last_attempt_ms, t2, sizeof(t2));
			printf("id:            %s\nrecord:        %llu\ntopic:         %s\nkey:           %s\n"
			       "source:        %s\nrecord time:   %s\nattempts:      %d\nfirst attempt: %s\n"
			       "last attempt:  %s\nlast error:    %s\nbody:\n%.*s\n\nreplay: backhaul dead replay %s\n",
			       d.id, (unsigned long long)d.seq, d.topic, d.key, d.source, t0, d.attempts, t1,
			       t2, d.error ? d.error : "", (int)d.body_len, d.body, d.id);
			bh_outbox_dead_info_free(&d);
		}
	} else if (strcmp(verb, "replay") == 0) {
		size_t n = 0;
		bool all = strcmp(argv[1], "--all") == 0;
		rc = bh_outbox_dead_replay(ob, all ? NULL : argv[1], &n);
		if (rc != 0 && !all) {
			fprintf(stderr, "backhaul dead replay: no dead letter '%s'\n", argv[1]);
			ex = BH_EX_DATAERR;
		} else {
			printf("replayed %zu dead letter%s\n", n, n == 1 ? "" : "s");
			if (n)
				wake_daemon(g);
		}
	} else {
		rc = bh_outbox_dead_drop(ob, argv[1]);
		if (rc != 0) {
			fprintf(stderr, "backhaul dead drop: no dead letter '%s'\n", argv[1]);
			ex = BH_EX_DATAERR;
		} else {
			printf("dropped %s\n", argv[1]);
		}
	}
	bh_outbox_close(ob);
	return ex;
}

static int log_cb(void *arg, const char *js)
{
	bool raw = *(bool *)arg;
	if (raw) {
		printf("%s\n", js);
		return 0;
	}
	json_object *o = json_tokener_parse(js);
	if (!o) {
		printf("%s\n", js);
		return 0;
	}
	json_object *v;
	char t0[32], t1[32];
	int64_t s = json_object_object_get_ex(o, "started_ms", &v) ? json_object_get_int64(v) : 0;
	int64_t f = json_object_object_get_ex(o, "finished_ms", &v) ? json_object_get_int64(v) : 0;
	fmt_time(s, t0, sizeof(t0));
	fmt_time(f, t1, sizeof(t1));
	const char *type = json_object_object_get_ex(o, "type", &v) ? json_object_get_string(v) : "";
	if (strcmp(type, "source") == 0) {
		printf("%s  source %-22s poll finished %s (%lld ms): %lld new records, %s\n", t0,
		       json_object_get_string(json_object_object_get(o, "source")), t1,
		       (long long)(f - s), (long long)json_object_get_int64(json_object_object_get(o, "emitted")),
		       json_object_get_string(json_object_object_get(o, "result")));
	} else {
		printf("%s  flow   %-22s cycle finished %s: ok %lld, retried %lld, dead %lld\n", t0,
		       json_object_get_string(json_object_object_get(o, "flow")), t1,
		       (long long)json_object_get_int64(json_object_object_get(o, "ok")),
		       (long long)json_object_get_int64(json_object_object_get(o, "retried")),
		       (long long)json_object_get_int64(json_object_object_get(o, "dead")));
		json_object *errs = json_object_object_get(o, "errors");
		for (size_t i = 0; errs && i < json_object_array_length(errs); i++)
			printf("      error: %s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	}
	json_object_put(o);
	return 0;
}

int bh_cli_log(const struct bh_cli_globals *g, int argc, char **argv)
{
	long n = 20;
	bool raw = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--cycles") == 0 && i + 1 < argc) {
			char *end;
			n = strtol(argv[++i], &end, 10);
			if (*end || n <= 0) {
				fprintf(stderr, "backhaul log: --cycles wants a positive number, not '%s'\n",
					argv[i]);
				return BH_EX_USAGE;
			}
		} else if (strcmp(argv[i], "--json") == 0) {
			raw = true;
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul [-c DIR] log [--cycles N] [--json]\n\n"
			       "Show the last N (default 20) sync-log entries: each source poll (new\n"
			       "records, result) and each flow cycle (ok, retried, dead, errors).\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul log: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	struct bh_outbox *ob;
	if (bh_cli_open_outbox(g, &ob) != 0)
		return BH_EX_IOERR;
	bh_outbox_log_foreach(ob, (size_t)n, log_cb, &raw);
	bh_outbox_close(ob);
	return 0;
}

int bh_cli_plugins(const struct bh_cli_globals *g, int argc, char **argv)
{
	const char *describe = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--describe") == 0 && i + 1 < argc) {
			describe = argv[++i];
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul plugins [--describe NAME]\n\n"
			       "List the plugins found on the plugin path (refused ones are reported\n"
			       "on stderr with the reason), or print one plugin's settings: every key\n"
			       "with its type, default, bounds and documentation.\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul plugins: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	(void)g;
	char path[8192];
	const char *env = getenv("BH_PLUGIN_PATH");
	snprintf(path, sizeof(path), "%s%s%s", env && *env ? env : "", env && *env ? ":" : "",
		 BH_PLUGINDIR);
	struct bh_loader *ld = NULL;
	if (bh_loader_load(path, &ld) != 0)
		return BH_EX_SOFTWARE;
	int ex = 0;
	if (describe) {
		const struct bh_plugin *p = bh_loader_find(ld, describe);
		if (!p) {
			fprintf(stderr, "backhaul plugins: no plugin named '%s' on %s\n", describe, path);
			ex = BH_EX_DATAERR;
		} else {
			const struct bh_plugin_desc *d = p->desc;
			printf("%s %s — %s plugin (ABI %u.%u, %s)\n%s\nfile: %s\n\n", d->name, d->version,
			       bh_kind_name(d->kind), d->abi_major, d->abi_minor, d->license,
			       d->description, p->path);
			printf("settings common to every [%s NAME] section:\n", bh_kind_name(d->kind));
			bh_conf_describe(d->kind == BH_KIND_FLOW ? bh_flow_map : bh_endpoint_map, stdout);
			printf("\nsettings of plugin %s:\n", d->name);
			if (d->config)
				bh_conf_describe(d->config, stdout);
			else
				printf("  (none)\n");
		}
	} else {
		for (size_t i = 0; i < ld->n; i++) {
			const struct bh_plugin_desc *d = ld->plugins[i].desc;
			printf("%-22s %-8s %-8s %s\n", d->name, bh_kind_name(d->kind), d->version,
			       d->description);
		}
		printf("%zu plugin%s loaded from %s%s\n", ld->n, ld->n == 1 ? "" : "s", path,
		       ld->refused ? " (some files were refused: see the errors above)" : "");
	}
	bh_loader_free(ld);
	return ex;
}

int bh_cli_test_connection(const struct bh_cli_globals *g, int argc, char **argv)
{
	if (argc < 1 || bh_cli_wants_help(argc, argv)) {
		FILE *fp = argc < 1 ? stderr : stdout;
		fprintf(fp, "usage: backhaul [-c DIR] test-connection NAME\n\n"
			    "Check that endpoint NAME (a [endpoint NAME] section) reaches its service,\n"
			    "that its credentials authenticate and that they carry the permissions\n"
			    "the flows need. Prints one line per check with what to fix.\n"
			    "Exit 0 when every check passed, 77 when credentials or permissions are\n"
			    "refused, 69 when the service cannot be reached, 78 for configuration.\n");
		return argc < 1 ? BH_EX_USAGE : 0;
	}
	if (!getenv("BH_LOG_LEVEL"))
		bh_log_set_level(BH_LOG_ERR);
	struct bh_engine_opts opts = {.conf_dir = g->conf_dir, .state_dir = g->state_dir,
				      .check_only = true};
	struct bh_engine *eng = NULL;
	int rc = bh_engine_create(&opts, &eng);
	struct bh_instance *in = eng ? bh_engine_find(eng, argv[0]) : NULL;
	int ex = 0;
	if (!in || in->kind != BH_KIND_ENDPOINT) {
		fprintf(stderr, "backhaul test-connection: no endpoint named '%s' in %s\n", argv[0],
			g->conf_dir);
		ex = BH_EX_CONFIG;
		goto out;
	}
	if (in->disabled) {
		fprintf(stderr, "backhaul test-connection: endpoint '%s' is disabled or its "
			"configuration is invalid (run `backhaul check-config`)\n", argv[0]);
		ex = BH_EX_CONFIG;
		goto out;
	}
	const struct bh_diag_ops *ops = in->plugin->desc->capability
						? in->plugin->desc->capability(in->ctx, BH_CAP_DIAG)
						: NULL;
	if (!ops) {
		fprintf(stderr, "backhaul test-connection: plugin '%s' offers no connection test\n",
			in->plugin->desc->name);
		ex = BH_EX_UNAVAILABLE;
		goto out;
	}
	char *out = NULL;
	struct bh_status st;
	memset(&st, 0, sizeof(st));
	rc = ops->test_connection(in->ctx, &out, &st);
	json_object *o = out ? json_tokener_parse(out) : NULL;
	json_object *checks = o ? json_object_object_get(o, "checks") : NULL;
	printf("endpoint %s (plugin %s):\n", in->name, in->plugin->desc->name);
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		bool okc = json_object_get_boolean(json_object_object_get(c, "ok"));
		printf("  %s %-28s %s\n", okc ? "ok  " : "FAIL",
		       json_object_get_string(json_object_object_get(c, "name")),
		       json_object_get_string(json_object_object_get(c, "detail")));
	}
	if (rc != 0 && !checks)
		printf("  FAIL %s%s%s\n", st.code[0] ? st.code : bh_strerror(rc), st.message[0] ? ": " : "",
		       st.message);
	json_object_put(o);
	free(out);
	ex = rc == 0 ? 0 : rc == BH_EAUTH ? 77 : rc == BH_ERETRY ? BH_EX_UNAVAILABLE : BH_EX_DATAERR;
	printf("%s\n", rc == 0 ? "all checks passed" : "connection test FAILED");
out:
	bh_engine_destroy(eng);
	return ex;
}
