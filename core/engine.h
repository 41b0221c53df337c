/*
 * engine.h - the running engine: instances, routing, sources, workers, listener.
 *
 * LIFECYCLE
 *   bh_engine_create   read conf.d, load plugins, open the outbox, init + configure
 *                      every enabled instance (a failing instance is disabled with an
 *                      error naming it; the others go on), resolve routes.
 *   bh_engine_start    start endpoints then flows, the HTTP listener, the control
 *                      socket, the workers and the source threads.
 *   bh_engine_stop     stop sources and listener, let workers finish their current
 *                      batch (bounded by shutdown_timeout), stop instances. Nothing
 *                      unacknowledged is lost: it stays in the outbox.
 *   bh_engine_destroy  destroy instances, close the outbox, unload plugins.
 *
 * THREADING
 *   create/start/stop/destroy: main thread. Sources: one thread per polling endpoint
 *   instance. Workers: `workers` threads shared by all flows; a flow never has more
 *   than its `concurrency` deliveries in flight, and an endpoint never more than its
 *   `concurrency` deliveries in flight across the flows that use it. The engine lock
 *   (eng->lock) guards scheduling state (inflight counts, wake-ups, cycle counters).
 */
#ifndef BH_ENGINE_H
#define BH_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <backhaul/plugin.h>

#include "config.h"
#include "loader.h"
#include "outbox.h"

#define BH_MAX_FLOW_DEPS 8

struct bh_engine;

/* Generic keys of every [endpoint NAME] / [flow NAME] section (the core's map). */
struct bh_inst_common {
	const char *plugin;
	bool enabled;
	int64_t concurrency;
	/* endpoints */
	int64_t poll_interval_ms;
	bool poll;
	/* flows */
	const char *const *subscribe;
	int64_t max_attempts;
	int64_t max_age_ms;
	int64_t min_backoff_ms;
	int64_t max_backoff_ms;
	int64_t batch;
};

struct bh_instance {
	struct bh_engine *eng;
	enum bh_plugin_kind kind;
	char *name;
	const struct bh_plugin *plugin;
	void *ctx;
	bool inited, started, disabled;
	struct bh_inst_common common;
	struct bh_conf_values *vals;
	const struct bh_conf_section *sec;

	/* endpoints */
	int inflight;                 /* deliveries in flight using this endpoint */
	pthread_t source_thread;
	bool has_source_thread;
	bool sync_requested;
	int64_t last_poll_ms, last_poll_end_ms;
	int last_poll_rc;
	uint64_t polls, emitted;

	/* flows */
	uint32_t flow_id;
	int flow_inflight;
	int64_t next_due_ms;
	struct bh_instance *deps[BH_MAX_FLOW_DEPS];
	size_t n_deps;
	/* current cycle of the sync log */
	int64_t cycle_start_ms;
	uint64_t cycle_ok, cycle_retried, cycle_dead;
	char cycle_errors[3][256];
	int cycle_n_errors;
	uint64_t total_ok, total_retried, total_dead;

	/* counters from plugins */
	struct bh_counter {
		char name[48];
		int64_t value;
	} counters[16];
	size_t n_counters;
};

struct bh_route {
	char *pattern;                /* exact topic, or prefix ending in '*' */
	struct bh_instance *flow;
};

struct bh_engine_opts {
	const char *conf_dir;
	const char *plugin_path;      /* extra directories, colon-separated (or NULL) */
	const char *state_dir;        /* overrides [engine] state_dir when not NULL */
	bool dry_run;
	bool check_only;              /* check-config: do not open the outbox */
};

struct bh_engine {
	struct bh_engine_opts opts;
	struct bh_conf *conf;
	struct bh_conf_values *engine_vals;
	struct bh_loader *loader;
	struct bh_outbox *outbox;

	/* [engine] values */
	struct bh_engine_conf {
		const char *state_dir;
		const char *const *plugin_path;
		int log_level;
		const char *log_file;
		bool http_enabled;
		const char *http_listen;
		int64_t http_port;
		uint64_t http_max_body;
		int64_t workers;
		uint64_t outbox_initial_size;
		uint64_t outbox_max_size;
		bool durable;
		int64_t shutdown_timeout_ms;
		bool dry_run;
		int64_t log_cap;
	} ec;

	struct bh_instance **insts;
	size_t n_insts;
	struct bh_route *routes;
	size_t n_routes;

	pthread_mutex_t lock;
	pthread_cond_t work_cond;     /* workers wait here */
	pthread_cond_t source_cond;   /* source threads wait here */
	bool stopping;
	bool running;
	bool workers_stuck;           /* a delivery outlived shutdown_timeout */
	uint64_t wake_seq;
	pthread_t *workers;
	size_t n_workers;
	size_t rr;                    /* round-robin position over flows */

	struct bh_listener *listener;
	struct bh_control *control;
	int64_t started_ms;
	unsigned config_errors;
};

int bh_engine_create(const struct bh_engine_opts *opts, struct bh_engine **out);
int bh_engine_start(struct bh_engine *eng);
void bh_engine_stop(struct bh_engine *eng);
void bh_engine_destroy(struct bh_engine *eng);

/** Ask one source (name) or all (NULL) to poll now. Returns 0 or BH_ENOENT. */
int bh_engine_sync_now(struct bh_engine *eng, const char *source);
/** Wake the workers (new due items, e.g. after a dead-letter replay by the CLI). */
void bh_engine_wake(struct bh_engine *eng);
struct json_object;
/** The outbox's stats and per-flow queues as a JSON object (caller puts it). */
struct json_object *bh_engine_outbox_json(struct bh_outbox *outbox);
/** Status as JSON text (malloc'd). */
char *bh_engine_status_json(struct bh_engine *eng);
/** The port the HTTP listener is bound to, or 0. */
int bh_engine_http_port(const struct bh_engine *eng);

struct bh_instance *bh_engine_find(struct bh_engine *eng, const char *name);

/* host.c */
const struct bh_host *bh_host_table(void);
/* workers.c */
int bh_workers_start(struct bh_engine *eng);
void bh_workers_stop(struct bh_engine *eng);
/* sources.c */
int bh_sources_start(struct bh_engine *eng);
void bh_sources_stop(struct bh_engine *eng);
/* the core's maps */
extern const struct bh_cfg_entry bh_engine_map[];
extern const struct bh_cfg_entry bh_endpoint_map[];
extern const struct bh_cfg_entry bh_flow_map[];

#endif
