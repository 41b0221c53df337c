/*
 * engine.c - engine assembly: config, plugins, instances, routes, start and stop.
 * See engine.h for the lifecycle and threading rules.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "engine.h"
#include "err.h"
#include "listener.h"
#include "log.h"

#define SUB "engine"

#ifndef BH_PLUGINDIR
#define BH_PLUGINDIR "/usr/local/lib/backhaul"
#endif
#ifndef BH_LOCALSTATEDIR
#define BH_LOCALSTATEDIR "/var/lib/backhaul"
#endif

#define E_OFF(f) offsetof(struct bh_engine_conf, f)
#define I_OFF(f) offsetof(struct bh_inst_common, f)

const struct bh_cfg_entry bh_engine_map[] = {
	{BH_CFG_STR, "state_dir", BH_LOCALSTATEDIR, 0, E_OFF(state_dir), 0, 0, NULL,
	 "directory of the outbox (LMDB) and the control socket"},
	{BH_CFG_LIST, "plugin_path", NULL, 0, E_OFF(plugin_path), 0, 0, NULL,
	 "extra absolute plugin directories, searched before the install directory"},
	{BH_CFG_ENUM, "log_level", "info", 0, E_OFF(log_level), 0, 0, "error|warn|notice|info|debug",
	 "lowest level logged"},
	{BH_CFG_STR, "log_file", NULL, 0, E_OFF(log_file), 0, 0, NULL,
	 "append log lines to this file instead of stderr"},
	{BH_CFG_BOOL, "http_enabled", "true", 0, E_OFF(http_enabled), 0, 0, NULL,
	 "run the HTTP listener for webhooks"},
	{BH_CFG_STR, "http_listen", "127.0.0.1", 0, E_OFF(http_listen), 0, 0, NULL,
	 "address the webhook listener binds to (loopback by default; put a TLS proxy in front)"},
	{BH_CFG_INT, "http_port", "8787", 0, E_OFF(http_port), 0, 65535, NULL,
	 "webhook listener port (0 = any free port, shown by `backhaul status`)"},
	{BH_CFG_SIZE, "http_max_body", "1M", 0, E_OFF(http_max_body), 1024, 64 << 20, NULL,
	 "largest accepted webhook body; larger requests get 413"},
	{BH_CFG_INT, "workers", "4", 0, E_OFF(workers), 1, 256, NULL,
	 "delivery worker threads shared by all flows"},
	{BH_CFG_SIZE, "outbox_initial_size", "16M", 0, E_OFF(outbox_initial_size), 1 << 20, 0, NULL,
	 "initial outbox map size"},
	{BH_CFG_SIZE, "outbox_max_size", "4G", 0, E_OFF(outbox_max_size), 1 << 20, 0, NULL,
	 "the outbox grows up to this size, then sources pause until deliveries free space"},
	{BH_CFG_BOOL, "durable", "true", 0, E_OFF(durable), 0, 0, NULL,
	 "fsync every commit (group-committed); false only for throwaway test runs"},
	{BH_CFG_DURATION, "shutdown_timeout", "10s", 0, E_OFF(shutdown_timeout_ms), 100, 600000, NULL,
	 "how long SIGTERM waits for in-flight deliveries"},
	{BH_CFG_BOOL, "dry_run", "false", 0, E_OFF(dry_run), 0, 0, NULL,
	 "compute and log everything, write nothing to the outside services"},
	{BH_CFG_INT, "sync_log_entries", "10000", 0, E_OFF(log_cap), 10, 10000000, NULL,
	 "sync-log entries kept"},
	{0},
};

#define COMMON_HEAD                                                                        \
	{BH_CFG_STR, "plugin", NULL, BH_CFG_REQUIRED, I_OFF(plugin), 0, 0, NULL,           \
	 "plugin implementing this instance (see `backhaul plugins`)"},                    \
	{BH_CFG_BOOL, "enabled", "true", 0, I_OFF(enabled), 0, 0, NULL,                    \
	 "false keeps the section but does not run it"}

const struct bh_cfg_entry bh_endpoint_map[] = {
	COMMON_HEAD,
	{BH_CFG_INT, "concurrency", "5", 0, I_OFF(concurrency), 1, 64, NULL,
	 "deliveries in flight against this endpoint, across all flows"},
	{BH_CFG_DURATION, "poll_interval", "90m", 0, I_OFF(poll_interval_ms), 1000, 0, NULL,
	 "how often the source polls for changes"},
	{BH_CFG_BOOL, "poll", "true", 0, I_OFF(poll), 0, 0, NULL,
	 "poll on the interval (webhooks still work when false)"},
	{0},
};

const struct bh_cfg_entry bh_flow_map[] = {
	COMMON_HEAD,
	{BH_CFG_LIST, "subscribe", NULL, BH_CFG_REQUIRED, I_OFF(subscribe), 0, 0, NULL,
	 "record topics delivered to this flow; a trailing * matches a prefix"},
	{BH_CFG_INT, "concurrency", "1", 0, I_OFF(concurrency), 1, 64, NULL,
	 "deliveries in flight for this flow (1 keeps records in order)"},
	{BH_CFG_INT, "max_attempts", "10", 0, I_OFF(max_attempts), 1, 1000000, NULL,
	 "attempts before a record goes to dead letters"},
	{BH_CFG_DURATION, "max_age", "7d", 0, I_OFF(max_age_ms), 1000, 0, NULL,
	 "age after which a failing record goes to dead letters"},
	{BH_CFG_DURATION, "min_backoff", "1s", 0, I_OFF(min_backoff_ms), 1, 0, NULL,
	 "first retry delay (exponential with full jitter)"},
	{BH_CFG_DURATION, "max_backoff", "1h", 0, I_OFF(max_backoff_ms), 1, 0, NULL,
	 "longest retry delay"},
	{BH_CFG_INT, "batch", "32", 0, I_OFF(batch), 1, 4096, NULL,
	 "records claimed per worker turn (acknowledged in one commit)"},
	{0},
};

static void conf_err(void *arg, const char *file, int line, const char *msg)
{
	struct bh_engine *eng = arg;
	eng->config_errors++;
	if (file)
		BH_LOG_ERROR("config", "%s:%d: %s", file, line, msg);
	else
		BH_LOG_ERROR("config", "%s", msg);
}

struct bh_instance *bh_engine_find(struct bh_engine *eng, const char *name)
{
	for (size_t i = 0; i < eng->n_insts; i++)
		if (strcmp(eng->insts[i]->name, name) == 0)
			return eng->insts[i];
	return NULL;
}

static size_t route_cb(void *arg, const char *topic, uint32_t *flows, size_t max)
{
	struct bh_engine *eng = arg;
	size_t n = 0;
	for (size_t i = 0; i < eng->n_routes && n < max; i++) {
		const struct bh_route *r = &eng->routes[i];
		if (r->flow->disabled)
			continue;
		size_t pl = strlen(r->pattern);
		bool hit = (pl > 0 && r->pattern[pl - 1] == '*')
				   ? strncmp(topic, r->pattern, pl - 1) == 0
				   : strcmp(topic, r->pattern) == 0;
		if (!hit)
			continue;
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			if (flows[k] == r->flow->flow_id)
				dup = true;
		if (!dup)
			flows[n++] = r->flow->flow_id;
	}
	return n;
}

static void notify_cb(void *arg)
{
	bh_engine_wake(arg);
}

void bh_engine_wake(struct bh_engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	eng->wake_seq++;
	for (size_t i = 0; i < eng->n_insts; i++)
		eng->insts[i]->next_due_ms = 0;
	pthread_cond_broadcast(&eng->work_cond);
	pthread_cond_broadcast(&eng->source_cond);
	pthread_mutex_unlock(&eng->lock);
}

static char *build_plugin_path(struct bh_engine *eng)
{
	size_t cap = 4096, len = 0;
	char *p = calloc(1, cap);
	if (!p)
		return NULL;
#define ADD(s)                                                                             \
	do {                                                                               \
		const char *s_ = (s);                                                      \
		if (s_ && *s_ && len + strlen(s_) + 2 < cap) {                             \
			len += (size_t)snprintf(p + len, cap - len, "%s%s", len ? ":" : "", s_); \
		}                                                                          \
	} while (0)
	ADD(eng->opts.plugin_path);
	if (eng->ec.plugin_path)
		for (const char *const *d = eng->ec.plugin_path; *d; d++)
			ADD(*d);
	ADD(getenv("BH_PLUGIN_PATH"));
	ADD(BH_PLUGINDIR);
#undef ADD
	return p;
}

static const struct bh_conf_section empty_engine_section = {BH_SEC_ENGINE, NULL, NULL, 0, NULL, 0};

static int create_instance(struct bh_engine *eng, const struct bh_conf_section *sec)
{
	const char *pname = bh_conf_get(sec, "plugin");
	const char *kind = sec->kind == BH_SEC_FLOW ? "flow" : "endpoint";
	char msg[512];
	if (!pname) {
		snprintf(msg, sizeof(msg), "[%s %s]: missing required key 'plugin'", kind, sec->name);
		conf_err(eng, sec->file, sec->line, msg);
		return BH_ECONFIG;
	}
	const struct bh_plugin *pl = bh_loader_find(eng->loader, pname);
	if (!pl) {
		snprintf(msg, sizeof(msg), "[%s %s]: plugin '%s' is not installed or was refused "
			 "(see `backhaul plugins`)", kind, sec->name, pname);
		conf_err(eng, sec->file, sec->line, msg);
		return BH_ECONFIG;
	}
	enum bh_plugin_kind want = sec->kind == BH_SEC_FLOW ? BH_KIND_FLOW : BH_KIND_ENDPOINT;
	if (pl->desc->kind != want) {
		snprintf(msg, sizeof(msg), "[%s %s]: plugin '%s' is a %s plugin, not a %s", kind,
			 sec->name, pname, bh_kind_name(pl->desc->kind), kind);
		conf_err(eng, sec->file, sec->line, msg);
		return BH_ECONFIG;
	}
	struct bh_instance *in = calloc(1, sizeof(*in));
	if (!in)
		return BH_ENOMEM;
	in->eng = eng;
	in->kind = want;
	in->name = strdup(sec->name);
	in->plugin = pl;
	in->sec = sec;
	in->disabled = true;
	struct bh_instance **ni = realloc(eng->insts, (eng->n_insts + 1) * sizeof(*ni));
	if (!ni || !in->name) {
		free(in->name);
		free(in);
		return BH_ENOMEM;
	}
	eng->insts = ni;
	eng->insts[eng->n_insts++] = in;

	int rc = pl->desc->init(in, bh_host_table(), &in->ctx);
	if (rc != 0) {
		BH_LOG_ERROR(SUB, "[%s %s]: plugin '%s' init failed: %s; instance disabled", kind,
			     in->name, pname, bh_strerror(rc));
		return BH_EPLUGIN;
	}
	in->inited = true;
	const struct bh_cfg_entry *maps[2] = {want == BH_KIND_FLOW ? bh_flow_map : bh_endpoint_map,
					      pl->desc->config};
	void *bases[2] = {&in->common, in->ctx};
	size_t nm = pl->desc->config ? 2 : 1;
	if (bh_conf_apply(sec, maps, bases, nm, &in->vals, conf_err, eng) != 0) {
		BH_LOG_ERROR(SUB, "[%s %s]: configuration refused; instance disabled", kind, in->name);
		return BH_ECONFIG;
	}
	if (!in->common.enabled) {
		BH_LOG_INFO(SUB, "[%s %s]: enabled = false; not run", kind, in->name);
		return BH_OK;
	}
	in->disabled = false;
	return BH_OK;
}

static int configure_instance(struct bh_instance *in)
{
	if (in->disabled || !in->plugin->desc->configure)
		return BH_OK;
	int rc = in->plugin->desc->configure(in->ctx);
	if (rc != 0) {
		BH_LOG_ERROR(SUB, "[%s %s]: plugin '%s' refused its configuration (%s); instance disabled",
			     bh_kind_name(in->kind), in->name, in->plugin->desc->name, bh_strerror(rc));
		in->eng->config_errors++;
		in->disabled = true;
	}
	return rc;
}

static int add_routes(struct bh_engine *eng, struct bh_instance *fl)
{
	for (const char *const *t = fl->common.subscribe; t && *t; t++) {
		struct bh_route *nr = realloc(eng->routes, (eng->n_routes + 1) * sizeof(*nr));
		if (!nr)
			return BH_ENOMEM;
		eng->routes = nr;
		nr[eng->n_routes].pattern = strdup(*t);
		nr[eng->n_routes].flow = fl;
		eng->n_routes++;
	}
	return BH_OK;
}

static int ensure_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? BH_OK : BH_EIO;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	return mkdir(tmp, 0700) == 0 || errno == EEXIST ? BH_OK : bh_err_from_errno(errno);
}

int bh_engine_create(const struct bh_engine_opts *opts, struct bh_engine **out)
{
	struct bh_engine *eng = calloc(1, sizeof(*eng));
	int rc;
	if (!eng)
		return BH_ENOMEM;
	eng->opts = *opts;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&eng->work_cond, &ca);
	pthread_cond_init(&eng->source_cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = eng;

	unsigned n_err = 0;
	rc = bh_conf_load_dir(opts->conf_dir, &eng->conf, conf_err, eng, &n_err);
	if (rc == BH_ENOENT) {
		BH_LOG_ERROR("config", "configuration directory %s does not exist", opts->conf_dir);
		eng->config_errors++;
		return BH_ECONFIG;
	}
	if (rc != 0)
		return rc;

	const struct bh_conf_section *es = bh_conf_find(eng->conf, BH_SEC_ENGINE, NULL);
	const struct bh_cfg_entry *emaps[1] = {bh_engine_map};
	void *ebases[1] = {&eng->ec};
	if (bh_conf_apply(es ? es : &empty_engine_section, emaps, ebases, 1, &eng->engine_vals,
			  conf_err, eng) != 0)
		return BH_ECONFIG;
	if (opts->state_dir)
		eng->ec.state_dir = opts->state_dir;
	if (opts->dry_run)
		eng->ec.dry_run = true;
	static const int levels[] = {BH_LOG_ERR, BH_LOG_WARN, BH_LOG_NOTICE, BH_LOG_INFO,
				     BH_LOG_DEBUG};
	if (!getenv("BH_LOG_LEVEL"))
		bh_log_set_level(levels[eng->ec.log_level]);
	if (eng->ec.log_file && !opts->check_only && bh_log_open(eng->ec.log_file) != 0)
		BH_LOG_WARN(SUB, "cannot open log_file %s: %s", eng->ec.log_file, strerror(errno));

	char *path = build_plugin_path(eng);
	rc = bh_loader_load(path, &eng->loader);
	free(path);
	if (rc != 0)
		return rc;

	for (size_t i = 0; i < eng->conf->n_secs; i++) {
		const struct bh_conf_section *sec = &eng->conf->secs[i];
		if (sec->kind == BH_SEC_ENGINE)
			continue;
		rc = create_instance(eng, sec);
		if (rc == BH_ENOMEM)
			return rc;
	}

	if (!opts->check_only) {
		rc = ensure_dir(eng->ec.state_dir);
		if (rc != 0) {
			BH_LOG_ERROR(SUB, "state directory %s cannot be created: %s", eng->ec.state_dir,
				     bh_strerror(rc));
			return rc;
		}
		struct bh_outbox_opts oo = {
			.dir = eng->ec.state_dir,
			.initial_size = eng->ec.outbox_initial_size,
			.max_size = eng->ec.outbox_max_size,
			.no_sync = !eng->ec.durable,
			.log_cap = (unsigned)eng->ec.log_cap,
			.route = route_cb,
			.route_arg = eng,
			.notify = notify_cb,
			.notify_arg = eng,
		};
		rc = bh_outbox_open(&oo, &eng->outbox);
		if (rc != 0) {
			BH_LOG_ERROR(SUB, "outbox in %s cannot be opened: %s", eng->ec.state_dir,
				     bh_strerror(rc));
			return rc;
		}
	}

	/* Endpoints first: flows look them up while configuring. */
	for (size_t i = 0; i < eng->n_insts; i++)
		if (eng->insts[i]->kind == BH_KIND_ENDPOINT)
			configure_instance(eng->insts[i]);
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		if (in->kind != BH_KIND_FLOW)
			continue;
		configure_instance(in);
		if (in->disabled)
			continue;
		if (eng->outbox) {
			struct bh_retry_policy pol = {
				.max_attempts = (int)in->common.max_attempts,
				.max_age_ms = in->common.max_age_ms,
				.min_backoff_ms = in->common.min_backoff_ms,
				.max_backoff_ms = in->common.max_backoff_ms,
			};
			rc = bh_outbox_flow(eng->outbox, in->name, &pol, &in->flow_id);
			if (rc != 0)
				return rc;
		}
		rc = add_routes(eng, in);
		if (rc != 0)
			return rc;
	}
	return BH_OK;
}

int bh_engine_start(struct bh_engine *eng)
{
	int rc;
	eng->started_ms = (int64_t)time(NULL) * 1000;
	if (eng->ec.http_enabled) {
		rc = bh_listener_create(eng, eng->ec.http_listen, (int)eng->ec.http_port,
					eng->ec.http_max_body, &eng->listener);
		if (rc != 0)
			return rc;
	}
	for (int pass = 0; pass < 2; pass++) {
		enum bh_plugin_kind k = pass == 0 ? BH_KIND_ENDPOINT : BH_KIND_FLOW;
		for (size_t i = 0; i < eng->n_insts; i++) {
			struct bh_instance *in = eng->insts[i];
			if (in->kind != k || in->disabled)
				continue;
			rc = in->plugin->desc->start ? in->plugin->desc->start(in->ctx) : 0;
			if (rc != 0) {
				BH_LOG_ERROR(SUB, "[%s %s]: start failed: %s; instance disabled",
					     bh_kind_name(k), in->name, bh_strerror(rc));
				in->disabled = true;
				continue;
			}
			in->started = true;
			BH_LOG_INFO(SUB, "[%s %s]: started (plugin %s %s)", bh_kind_name(k), in->name,
				    in->plugin->desc->name, in->plugin->desc->version);
		}
	}
	for (size_t i = 0; i < eng->n_routes; i++)
		if (!eng->routes[i].flow->disabled)
			BH_LOG_DEBUG(SUB, "route %s -> flow %s", eng->routes[i].pattern,
				     eng->routes[i].flow->name);
	if (eng->listener) {
		rc = bh_listener_start(eng->listener);
		if (rc != 0)
			return rc;
	}
	eng->running = true;
	rc = bh_workers_start(eng);
	if (rc != 0)
		return rc;
	rc = bh_sources_start(eng);
	if (rc != 0)
		return rc;
	if (!eng->opts.check_only) {
		char sock[4096];
		snprintf(sock, sizeof(sock), "%s/control.sock", eng->ec.state_dir);
		rc = bh_control_start(eng, sock, &eng->control);
		if (rc != 0)
			BH_LOG_WARN(SUB, "control socket %s unavailable: %s", sock, bh_strerror(rc));
	}
	BH_LOG_INFO(SUB, "running: %zu instances, %zu routes, %zu workers%s", eng->n_insts,
		    eng->n_routes, eng->n_workers, eng->ec.dry_run ? ", DRY RUN" : "");
	return BH_OK;
}

void bh_engine_stop(struct bh_engine *eng)
{
	if (!eng->running)
		return;
	pthread_mutex_lock(&eng->lock);
	eng->stopping = true;
	pthread_cond_broadcast(&eng->work_cond);
	pthread_cond_broadcast(&eng->source_cond);
	pthread_mutex_unlock(&eng->lock);
	if (eng->control) {
		bh_control_stop(eng->control);
		eng->control = NULL;
	}
	if (eng->listener)
		bh_listener_stop(eng->listener);
	bh_sources_stop(eng);
	bh_workers_stop(eng);
	for (size_t i = eng->n_insts; i-- > 0;) {
		struct bh_instance *in = eng->insts[i];
		if (in->started && in->plugin->desc->stop)
			in->plugin->desc->stop(in->ctx);
		in->started = false;
	}
	eng->running = false;
	BH_LOG_INFO(SUB, "stopped");
}

void bh_engine_destroy(struct bh_engine *eng)
{
	if (!eng)
		return;
	bh_engine_stop(eng);
	if (eng->workers_stuck) {
		/* A plugin call is still running: freeing its state would be unsafe. Everything
		 * acknowledged is committed; the process is about to exit. */
		BH_LOG_WARN(SUB, "leaving plugin state in place (a delivery is still running)");
		return;
	}
	if (eng->listener) {
		bh_listener_destroy(eng->listener);
		eng->listener = NULL;
	}
	/* flows first: they hold capabilities of endpoints */
	for (int pass = 0; pass < 2; pass++) {
		enum bh_plugin_kind k = pass == 0 ? BH_KIND_FLOW : BH_KIND_ENDPOINT;
		for (size_t i = 0; i < eng->n_insts; i++) {
			struct bh_instance *in = eng->insts[i];
			if (in->kind == k && in->inited) {
				in->plugin->desc->destroy(in->ctx);
				in->inited = false;
			}
		}
	}
	for (size_t i = 0; i < eng->n_insts; i++) {
		bh_conf_values_free(eng->insts[i]->vals);
		free(eng->insts[i]->name);
		free(eng->insts[i]);
	}
	free(eng->insts);
	for (size_t i = 0; i < eng->n_routes; i++)
		free(eng->routes[i].pattern);
	free(eng->routes);
	if (eng->outbox)
		bh_outbox_close(eng->outbox);
	bh_conf_values_free(eng->engine_vals);
	bh_conf_free(eng->conf);
	bh_loader_free(eng->loader);
	pthread_mutex_destroy(&eng->lock);
	pthread_cond_destroy(&eng->work_cond);
	pthread_cond_destroy(&eng->source_cond);
	bh_log_clear_secrets();
	free(eng);
}

int bh_engine_sync_now(struct bh_engine *eng, const char *source)
{
	int found = 0;
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		if (in->kind != BH_KIND_ENDPOINT || !in->has_source_thread)
			continue;
		if (source && strcmp(source, in->name) != 0)
			continue;
		in->sync_requested = true;
		found++;
	}
	pthread_cond_broadcast(&eng->source_cond);
	pthread_mutex_unlock(&eng->lock);
	return found ? BH_OK : BH_ENOENT;
}

int bh_engine_http_port(const struct bh_engine *eng)
{
	return eng->listener ? bh_listener_port(eng->listener) : 0;
}

static int flow_stats_cb(void *arg, const struct bh_outbox_flow_stats *fs)
{
	json_object *arr = arg;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "flow", json_object_new_string(fs->name ? fs->name : "?"));
	json_object_object_add(o, "queued", json_object_new_int64((int64_t)fs->queued));
	json_object_object_add(o, "due_now", json_object_new_int64((int64_t)fs->due_now));
	json_object_object_add(o, "dead", json_object_new_int64((int64_t)fs->dead));
	json_object_object_add(o, "oldest_ms", json_object_new_int64(fs->oldest_ms));
	json_object_array_add(arr, o);
	return 0;
}

struct json_object *bh_engine_outbox_json(struct bh_outbox *outbox)
{
	struct bh_outbox_stats st;
	json_object *flows = json_object_new_array();
	if (bh_outbox_stats(outbox, &st, flow_stats_cb, flows) != 0) {
		json_object_put(flows);
		return NULL;
	}
	json_object *ob = json_object_new_object();
	json_object_object_add(ob, "records", json_object_new_int64((int64_t)st.records));
	json_object_object_add(ob, "corrupt", json_object_new_int64((int64_t)st.corrupt));
	json_object_object_add(ob, "acked_total", json_object_new_int64((int64_t)st.acked_total));
	json_object_object_add(ob, "map_size", json_object_new_int64((int64_t)st.map_size));
	json_object_object_add(ob, "map_used", json_object_new_int64((int64_t)st.map_used));
	json_object_object_add(ob, "paused", json_object_new_boolean(st.paused));
	json_object_object_add(ob, "flows", flows);
	return ob;
}

char *bh_engine_status_json(struct bh_engine *eng)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "running", json_object_new_boolean(eng->running));
	json_object_object_add(root, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(root, "started_ms", json_object_new_int64(eng->started_ms));
	json_object_object_add(root, "dry_run", json_object_new_boolean(eng->ec.dry_run));
	json_object_object_add(root, "http_port", json_object_new_int(bh_engine_http_port(eng)));
	json_object *insts = json_object_new_array();
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(in->name));
		json_object_object_add(o, "kind", json_object_new_string(bh_kind_name(in->kind)));
		json_object_object_add(o, "plugin", json_object_new_string(in->plugin->desc->name));
		json_object_object_add(o, "state", json_object_new_string(
			in->disabled ? "disabled" : in->started ? "running" : "stopped"));
		if (in->kind == BH_KIND_ENDPOINT) {
			json_object_object_add(o, "inflight", json_object_new_int(in->inflight));
			json_object_object_add(o, "concurrency",
					       json_object_new_int64(in->common.concurrency));
			if (in->has_source_thread) {
				json_object_object_add(o, "polls", json_object_new_int64((int64_t)in->polls));
				json_object_object_add(o, "emitted",
						       json_object_new_int64((int64_t)in->emitted));
				json_object_object_add(o, "last_poll_ms",
						       json_object_new_int64(in->last_poll_ms));
				json_object_object_add(o, "last_poll_result",
						       json_object_new_string(bh_strerror(in->last_poll_rc)));
				json_object_object_add(o, "poll_interval_ms",
						       json_object_new_int64(in->common.poll_interval_ms));
			}
		} else {
			json_object_object_add(o, "inflight", json_object_new_int(in->flow_inflight));
			json_object_object_add(o, "ok", json_object_new_int64((int64_t)in->total_ok));
			json_object_object_add(o, "retried",
					       json_object_new_int64((int64_t)in->total_retried));
			json_object_object_add(o, "dead", json_object_new_int64((int64_t)in->total_dead));
		}
		if (in->n_counters) {
			json_object *c = json_object_new_object();
			for (size_t k = 0; k < in->n_counters; k++)
				json_object_object_add(c, in->counters[k].name,
						       json_object_new_int64(in->counters[k].value));
			json_object_object_add(o, "counters", c);
		}
		json_object_array_add(insts, o);
	}
	pthread_mutex_unlock(&eng->lock);
	json_object_object_add(root, "instances", insts);
	if (eng->outbox) {
		json_object *ob = bh_engine_outbox_json(eng->outbox);
		if (ob)
			json_object_object_add(root, "outbox", ob);
	}
	char *s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return s;
}
