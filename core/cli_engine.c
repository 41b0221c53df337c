/*
 * cli_engine.c - `backhaul run`, `check-config`, `sync`, `status`, `version` and the
 * helpers shared by subcommands.
 *
 * `run` blocks SIGTERM/SIGINT/SIGHUP in every thread before the engine starts its
 * threads, then waits for them with sigwait() on the main thread and stops the engine:
 * sources stop, workers finish their batch (bounded by shutdown_timeout), nothing
 * unacknowledged is lost.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "control.h"
#include "err.h"
#include "log.h"

#ifndef BH_SYSCONFDIR
#define BH_SYSCONFDIR "/usr/local/etc/backhaul"
#endif

const char *bh_cli_default_conf_dir(void)
{
	const char *e = getenv("BACKHAUL_CONF_DIR");
	return e && *e ? e : BH_SYSCONFDIR "/conf.d";
}

bool bh_cli_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

static void quiet_err(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	(void)file;
	(void)line;
	(void)msg;
}

int bh_cli_state_dir(const struct bh_cli_globals *g, char *buf, size_t len)
{
	if (g->state_dir) {
		snprintf(buf, len, "%s", g->state_dir);
		return BH_OK;
	}
	struct bh_conf *conf = NULL;
	unsigned nerr = 0;
	int rc = bh_conf_load_dir(g->conf_dir, &conf, quiet_err, NULL, &nerr);
	if (rc != 0) {
		fprintf(stderr, "backhaul: configuration directory %s: %s\n", g->conf_dir,
			bh_strerror(rc));
		return rc;
	}
	struct bh_engine_conf ec;
	memset(&ec, 0, sizeof(ec));
	struct bh_conf_values *vals = NULL;
	const struct bh_conf_section *es = bh_conf_find(conf, BH_SEC_ENGINE, NULL);
	static const struct bh_conf_section empty = {BH_SEC_ENGINE, NULL, NULL, 0, NULL, 0};
	const struct bh_cfg_entry *maps[1] = {bh_engine_map};
	void *bases[1] = {&ec};
	rc = bh_conf_apply(es ? es : &empty, maps, bases, 1, &vals, quiet_err, NULL);
	if (rc == 0)
		snprintf(buf, len, "%s", ec.state_dir);
	else
		fprintf(stderr, "backhaul: [engine] section of %s is invalid; run `backhaul check-config`\n",
			g->conf_dir);
	bh_conf_values_free(vals);
	bh_conf_free(conf);
	return rc;
}

int bh_cli_open_outbox(const struct bh_cli_globals *g, struct bh_outbox **out)
{
	char dir[4096];
	int rc = bh_cli_state_dir(g, dir, sizeof(dir));
	if (rc != 0)
		return rc;
	struct bh_outbox_opts oo = {.dir = dir};
	rc = bh_outbox_open(&oo, out);
	if (rc != 0)
		fprintf(stderr, "backhaul: cannot open the outbox in %s: %s\n", dir, bh_strerror(rc));
	return rc;
}

static int control_path(const struct bh_cli_globals *g, char *buf, size_t len)
{
	char dir[4096];
	int rc = bh_cli_state_dir(g, dir, sizeof(dir));
	if (rc == 0)
		snprintf(buf, len, "%s/control.sock", dir);
	return rc;
}

int bh_cli_run(const struct bh_cli_globals *g, int argc, char **argv)
{
	bool dry = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry = true;
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul [-c DIR] run [--dry-run]\n\n"
			       "Run the engine in the foreground until SIGTERM or SIGINT.\n"
			       "  --dry-run   compute and log everything, write nothing to the\n"
			       "              outside services (go-live rehearsal)\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul run: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct bh_engine_opts opts = {.conf_dir = g->conf_dir, .state_dir = g->state_dir,
				      .dry_run = dry};
	struct bh_engine *eng = NULL;
	int rc = bh_engine_create(&opts, &eng);
	if (rc != 0) {
		BH_LOG_ERROR("main", "cannot start: %s", bh_strerror(rc));
		bh_engine_destroy(eng);
		return rc == BH_ECONFIG ? BH_EX_CONFIG : BH_EX_SOFTWARE;
	}
	if (eng->config_errors)
		BH_LOG_WARN("main", "%u configuration error(s): the affected instances are disabled "
			    "(see `backhaul check-config`)", eng->config_errors);
	rc = bh_engine_start(eng);
	if (rc != 0) {
		BH_LOG_ERROR("main", "cannot start: %s", bh_strerror(rc));
		bh_engine_destroy(eng);
		return BH_EX_UNAVAILABLE;
	}
	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			BH_LOG_INFO("main", "SIGHUP: polling every source now (reload needs a restart)");
			bh_engine_sync_now(eng, NULL);
			continue;
		}
		break;
	}
	BH_LOG_INFO("main", "signal %d: stopping", sig);
	bool stuck;
	bh_engine_stop(eng);
	stuck = eng->workers_stuck;
	bh_engine_destroy(eng);
	if (stuck)
		_exit(0); /* a plugin is still inside a call; everything acked is committed */
	return 0;
}

int bh_cli_check_config(const struct bh_cli_globals *g, int argc, char **argv)
{
	bool dump = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0) {
			dump = true;
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul [-c DIR] check-config [--dump]\n\n"
			       "Validate every conf.d file, load the plugins they name and let each\n"
			       "plugin check its settings. Prints every problem as FILE:LINE: message.\n"
			       "  --dump   print the effective configuration (secrets redacted)\n"
			       "Exit status 0 when valid, 78 otherwise.\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul check-config: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	if (!getenv("BH_LOG_LEVEL"))
		bh_log_set_level(BH_LOG_WARN);
	struct bh_engine_opts opts = {.conf_dir = g->conf_dir, .state_dir = g->state_dir,
				      .check_only = true};
	struct bh_engine *eng = NULL;
	int rc = bh_engine_create(&opts, &eng);
	unsigned errs = eng ? eng->config_errors : 1;
	if (rc == 0 && errs == 0) {
		size_t ne = 0, nf = 0;
		for (size_t i = 0; i < eng->n_insts; i++)
			*(eng->insts[i]->kind == BH_KIND_FLOW ? &nf : &ne) += 1;
		if (dump) {
			const struct bh_conf_section *es = bh_conf_find(eng->conf, BH_SEC_ENGINE, NULL);
			static const struct bh_conf_section empty = {BH_SEC_ENGINE, NULL, NULL, 0, NULL, 0};
			const struct bh_cfg_entry *em[1] = {bh_engine_map};
			printf("[engine]\n");
			bh_conf_dump(es ? es : &empty, em, 1, stdout);
			for (size_t i = 0; i < eng->n_insts; i++) {
				struct bh_instance *in = eng->insts[i];
				const struct bh_cfg_entry *maps[2] = {
					in->kind == BH_KIND_FLOW ? bh_flow_map : bh_endpoint_map,
					in->plugin->desc->config};
				printf("\n[%s %s]\n", bh_kind_name(in->kind), in->name);
				bh_conf_dump(in->sec, maps, in->plugin->desc->config ? 2 : 1, stdout);
			}
		}
		printf("configuration OK: %s (%zu files, %zu endpoints, %zu flows)\n", g->conf_dir,
		       eng->conf->n_files, ne, nf);
		bh_engine_destroy(eng);
		return 0;
	}
	fprintf(stderr, "configuration INVALID: %s (%u error%s; see above)\n", g->conf_dir, errs,
		errs == 1 ? "" : "s");
	bh_engine_destroy(eng);
	return BH_EX_CONFIG;
}

int bh_cli_sync(const struct bh_cli_globals *g, int argc, char **argv)
{
	const char *source = NULL;
	bool now = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0) {
			now = true;
		} else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			source = argv[++i];
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul [-c DIR] sync --now [--source NAME]\n\n"
			       "Ask the running daemon to poll every source (or NAME) now instead of\n"
			       "waiting for its poll_interval. Exit 69 when no daemon runs.\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul sync: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	if (!now) {
		fprintf(stderr, "backhaul sync: say --now (scheduled syncs run by themselves)\n");
		return BH_EX_USAGE;
	}
	char path[4200], cmd[300], *reply = NULL;
	if (control_path(g, path, sizeof(path)) != 0)
		return BH_EX_CONFIG;
	snprintf(cmd, sizeof(cmd), "sync%s%s", source ? " " : "", source ? source : "");
	int rc = bh_control_request(path, cmd, &reply);
	if (rc != 0) {
		fprintf(stderr, "backhaul sync: no daemon is running (nothing answers on %s)\n", path);
		return BH_EX_UNAVAILABLE;
	}
	int ex = 0;
	if (strncmp(reply, "ok", 2) == 0) {
		printf("sync requested for %s\n", source ? source : "every source");
	} else {
		fprintf(stderr, "backhaul sync: %s", reply + (strncmp(reply, "error ", 6) ? 0 : 6));
		ex = BH_EX_DATAERR;
	}
	free(reply);
	return ex;
}

static void print_time(const char *label, int64_t ms)
{
	if (ms <= 0) {
		printf("%s-", label);
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s%s", label, buf);
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void print_outbox(json_object *ob)
{
	printf("outbox: %lld records stored, %lld acknowledged ever, %lld corrupt, map %lld/%lld MiB%s\n",
	       (long long)jint(ob, "records"), (long long)jint(ob, "acked_total"),
	       (long long)jint(ob, "corrupt"), (long long)(jint(ob, "map_used") >> 20),
	       (long long)(jint(ob, "map_size") >> 20),
	       json_object_get_boolean(json_object_object_get(ob, "paused"))
		       ? " — FULL: sources paused" : "");
	json_object *flows = json_object_object_get(ob, "flows");
	for (size_t i = 0; flows && i < json_object_array_length(flows); i++) {
		json_object *f = json_object_array_get_idx(flows, i);
		printf("  flow %-24s queued %-8lld due now %-8lld dead %lld", jstr(f, "flow"),
		       (long long)jint(f, "queued"), (long long)jint(f, "due_now"),
		       (long long)jint(f, "dead"));
		if (jint(f, "oldest_ms"))
			print_time("  oldest ", jint(f, "oldest_ms"));
		printf("\n");
	}
}

int bh_cli_status(const struct bh_cli_globals *g, int argc, char **argv)
{
	bool as_json = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
		} else if (bh_cli_wants_help(1, argv + i)) {
			printf("usage: backhaul [-c DIR] status [--json]\n\n"
			       "Show the daemon's instances (state, polls, in-flight deliveries) and\n"
			       "the outbox (queued, due, dead letters per flow). Works without a\n"
			       "running daemon (outbox only).\n");
			return 0;
		} else {
			fprintf(stderr, "backhaul status: unknown argument '%s'\n", argv[i]);
			return BH_EX_USAGE;
		}
	}
	char path[4200], *reply = NULL;
	if (control_path(g, path, sizeof(path)) != 0)
		return BH_EX_CONFIG;
	json_object *root = NULL;
	if (bh_control_request(path, "status", &reply) == 0 && strncmp(reply, "ok\n", 3) == 0)
		root = json_tokener_parse(reply + 3);
	free(reply);
	if (!root) {
		struct bh_outbox *ob;
		if (bh_cli_open_outbox(g, &ob) != 0)
			return BH_EX_IOERR;
		root = json_object_new_object();
		json_object_object_add(root, "running", json_object_new_boolean(0));
		json_object *o = bh_engine_outbox_json(ob);
		if (o)
			json_object_object_add(root, "outbox", o);
		bh_outbox_close(ob);
	}
	if (as_json) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
		return 0;
	}
	if (json_object_get_boolean(json_object_object_get(root, "running"))) {
		printf("daemon: running (pid %lld", (long long)jint(root, "pid"));
		print_time(", since ", jint(root, "started_ms"));
		if (jint(root, "http_port"))
			printf(", webhooks on port %lld", (long long)jint(root, "http_port"));
		printf(")%s\n", json_object_get_boolean(json_object_object_get(root, "dry_run"))
					? " DRY RUN" : "");
		json_object *insts = json_object_object_get(root, "instances");
		for (size_t i = 0; insts && i < json_object_array_length(insts); i++) {
			json_object *o = json_object_array_get_idx(insts, i);
			printf("  %-8s %-24s %-10s plugin %-20s", jstr(o, "kind"), jstr(o, "name"),
			       jstr(o, "state"), jstr(o, "plugin"));
			if (strcmp(jstr(o, "kind"), "flow") == 0) {
				printf(" ok %lld retried %lld dead %lld", (long long)jint(o, "ok"),
				       (long long)jint(o, "retried"), (long long)jint(o, "dead"));
			} else if (json_object_object_get(o, "polls")) {
				printf(" polls %lld emitted %lld last %s", (long long)jint(o, "polls"),
				       (long long)jint(o, "emitted"), jstr(o, "last_poll_result"));
			}
			printf("\n");
		}
	} else {
		printf("daemon: not running\n");
	}
	json_object *ob = json_object_object_get(root, "outbox");
	if (ob)
		print_outbox(ob);
	json_object_put(root);
	return 0;
}

int bh_cli_version(const struct bh_cli_globals *g, int argc, char **argv)
{
	(void)g;
	if (bh_cli_wants_help(argc, argv)) {
		printf("usage: backhaul version\n\nPrint the engine version and its plugin ABI.\n");
		return 0;
	}
	printf("backhaul %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, BH_ABI_MAJOR, BH_ABI_MINOR);
	return 0;
}
