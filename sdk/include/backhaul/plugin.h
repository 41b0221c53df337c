/**
 * @file plugin.h
 * @brief The Backhaul plugin SDK: descriptor, host table, config map, records, results.
 *
 * OVERVIEW
 *   A plugin is a shared object exporting exactly one symbol, `bh_plugin_descriptor`,
 *   defined with BH_PLUGIN_DEFINE(). The engine (the "core") loads every plugin once at
 *   start-up, on one thread, from an explicit search path, and checks the descriptor:
 *   magic, ABI major equal to the engine's, ABI minor not newer than the engine's,
 *   desc_size large enough, required fields present, names unique. A refused plugin is
 *   reported with one line naming it, its path and both versions; the engine goes on.
 *
 * KINDS
 *   endpoint  talks to one outside service (Shopify, Loop, NetSuite...). It may be a
 *             *source* (poll() and/or webhook routes that emit records) and may offer
 *             *capabilities* (storefront, portal, erp) that flows call.
 *   flow      subscribes to record topics and delivers each record (deliver()), using
 *             endpoints' capabilities looked up by instance name.
 *
 * LIFECYCLE (per configured instance; one plugin may have many instances)
 *   init(inst, host, &ctx)  allocate the private context only; no I/O.
 *   [core fills typed config values into ctx at each bh_cfg_entry.offset]
 *   configure(ctx)          check the filled values; may refuse with a logged message.
 *   start(ctx)              open sessions, register webhook routes, warm tokens.
 *   poll(ctx) / deliver()   the running phase, on core threads (see THREADING).
 *   stop(ctx)               idempotent; must return within the engine's shutdown timeout.
 *   destroy(ctx)            always called when init succeeded, whatever failed later.
 *
 * THREADING
 *   init/configure/start/stop/destroy are called from the main thread.
 *   poll() is called from the instance's own source thread, never concurrently with
 *   itself. deliver() is called from worker threads; when the flow's `concurrency` is
 *   above 1 it runs concurrently for different records on the same ctx and must be
 *   thread-safe. Webhook handlers run on listener threads, concurrently.
 *   Capability operations may be called from any worker thread concurrently.
 *
 * OWNERSHIP
 *   Everything the core hands out (records, request objects, config strings) is owned
 *   by the core: records and requests are borrowed for the duration of the call, config
 *   values until destroy(). Strings passed to host functions are copied before they
 *   return. Memory a capability operation returns through `char **out` is allocated
 *   with malloc(3) by the callee and freed with free(3) by the caller.
 *
 * DELIVERY
 *   Delivery is at-least-once: a crash between an effect and its acknowledgement
 *   delivers the record again. Flows make effects idempotent with deterministic
 *   external ids and read-before-write. A deliver() call ends in exactly one outcome:
 *   ok (default), retry (bh_host.result_retry) or reject (bh_host.result_reject).
 *   Cross-reference writes and follow-up records attached to the result commit in
 *   the same storage transaction as the acknowledgement, and only on ok.
 *
 * VERSIONING
 *   ABI major changes break compatibility; minor changes only append fields to the
 *   descriptor and host table. A plugin built against minor N runs on an engine with
 *   minor >= N. Changelog:
 *     1.0 (2026-11-26) first version.
 */
#ifndef BACKHAUL_PLUGIN_H
#define BACKHAUL_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <backhaul/errors.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_PLUGIN_MAGIC 0x4c504842u /**< "BHPL" read as little-endian bytes */
#define BH_ABI_MAJOR 1
#define BH_ABI_MINOR 0

#if defined(__GNUC__)
#define BH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BH_EXPORT __attribute__((visibility("default")))
#else
#define BH_PRINTF(f, a)
#define BH_EXPORT
#endif

/** Opaque handle of one configured plugin instance, owned by the core. */
typedef struct bh_instance bh_instance;
/** Opaque canonical record, borrowed during deliver(). */
typedef struct bh_record bh_record;
/** Opaque outcome of one deliver() call. */
typedef struct bh_result bh_result;

enum bh_plugin_kind {
	BH_KIND_ENDPOINT = 1,
	BH_KIND_FLOW = 2,
};

/** Log levels (syslog priorities). */
enum bh_log_level {
	BH_LOG_ERR = 3,
	BH_LOG_WARN = 4,
	BH_LOG_NOTICE = 5,
	BH_LOG_INFO = 6,
	BH_LOG_DEBUG = 7,
};

/* ------------------------------------------------------------------------------------
 * Typed config map
 * ---------------------------------------------------------------------------------- */

/**
 * Value types and the C type the core stores at ctx + offset:
 *   STR       const char *            (NULL when unset and no default)
 *   INT       int64_t
 *   BOOL      bool                    (true/false, yes/no, on/off, 1/0)
 *   DURATION  int64_t milliseconds    ("250ms", "30s", "90m", "2h", "1d"; bare = seconds)
 *   SIZE      uint64_t bytes          ("512", "64k", "20M", "2G"; binary multiples)
 *   ENUM      int                     index into `choices` ("soap|rest" -> 0 or 1)
 *   LIST      const char *const *     NULL-terminated; comma-separated in the file
 *   SECRET    const char *            only from `<key>_file = PATH` (file mode must not
 *                                     give group/other access) or `<key>_env = VAR`;
 *                                     never logged, redacted in config dumps
 */
enum bh_cfg_type {
	BH_CFG_END = 0,
	BH_CFG_STR,
	BH_CFG_INT,
	BH_CFG_BOOL,
	BH_CFG_DURATION,
	BH_CFG_SIZE,
	BH_CFG_ENUM,
	BH_CFG_LIST,
	BH_CFG_SECRET,
};

#define BH_CFG_REQUIRED 0x1u   /**< the key must be set (no default applies) */

/**
 * One row of a plugin's config map. The map is an array ending with a zeroed row.
 * min/max bound INT, DURATION (in ms) and SIZE values when min < max; with max 0 and
 * min > 0 only the minimum applies.
 */
struct bh_cfg_entry {
	enum bh_cfg_type type;
	const char *name;     /**< lower_snake key */
	const char *def;      /**< default in file syntax, or NULL */
	unsigned flags;       /**< BH_CFG_REQUIRED */
	size_t offset;        /**< offsetof(your ctx struct, field) */
	int64_t min, max;
	const char *choices;  /**< ENUM only: "a|b|c" */
	const char *doc;      /**< one line shown by `backhaul plugins --describe` */
};

/* ------------------------------------------------------------------------------------
 * Records
 * ---------------------------------------------------------------------------------- */

/**
 * A record to emit. The core adds the envelope id, source (the instance name) and,
 * when time_ms is 0, the time. Records whose (source, key) was already accepted are
 * dropped as duplicates. body is canonical JSON text (see sdk/RECORDS.md).
 */
struct bh_emit {
	const char *topic;   /**< e.g. "portal.return.created"; [a-z0-9._-]+ */
	const char *key;     /**< idempotency key, unique per source; required */
	const char *body;    /**< JSON text */
	size_t body_len;     /**< 0 means strlen(body) */
	int64_t time_ms;     /**< event time, ms since the epoch; 0 = now */
};

/* ------------------------------------------------------------------------------------
 * Webhooks
 * ---------------------------------------------------------------------------------- */

struct bh_http_header {
	const char *name;
	const char *value;
};

/** An inbound HTTP request, borrowed during the handler call. body holds the raw bytes
 *  exactly as received (plus a terminating NUL not counted in body_len). */
struct bh_http_req {
	const char *method;
	const char *path;
	const char *query;   /**< raw query string, "" when none */
	const struct bh_http_header *headers;
	size_t n_headers;
	const char *body;
	size_t body_len;
	const char *remote_addr;
};

/** What the handler answers. The core sends it only after the handler returned; a 2xx
 *  therefore follows the durable commit of anything the handler emitted. */
struct bh_http_resp {
	int status;               /**< default 200 */
	char content_type[64];    /**< default "application/json" */
	char body[1024];          /**< short answer, NUL-terminated */
	int64_t retry_after_s;    /**< > 0 adds Retry-After */
};

typedef void (*bh_http_handler)(void *ctx, const struct bh_http_req *req,
				struct bh_http_resp *resp);

/* ------------------------------------------------------------------------------------
 * Capabilities
 * ---------------------------------------------------------------------------------- */

/** A capability found by name: `ops` points at the capability's operations table
 *  (struct bh_storefront_ops, bh_portal_ops or bh_erp_ops), `ctx` is the endpoint's
 *  context to pass as first argument. Valid until the engine stops. */
struct bh_cap {
	const void *ops;
	void *ctx;
	const char *instance;  /**< the endpoint instance's name */
};

/* ------------------------------------------------------------------------------------
 * The host table: the only way a plugin reaches the core. Append-only.
 * ---------------------------------------------------------------------------------- */

struct bh_host {
	uint32_t size;           /**< sizeof(struct bh_host) of the engine */
	uint16_t abi_major;
	uint16_t abi_minor;

	/** Log one line, prefixed "[kind:plugin:instance]"; secrets are redacted. */
	void (*log)(bh_instance *inst, int level, const char *fmt, ...) BH_PRINTF(3, 4);
	/** Wall clock, ms since the epoch (a fake clock in tests). */
	int64_t (*now_ms)(void);
	/** Monotonic clock, ms. */
	int64_t (*mono_ms)(void);
	/** The instance's configured name ("shopify-eu"). */
	const char *(*instance_name)(const bh_instance *inst);

	/**
	 * Durably store records and, when cursor is not NULL, the source's new cursor, in
	 * one storage transaction. Returns the number of new records (duplicates dropped)
	 * or BH_EBUSY when the outbox is full (the source is paused: retry later; nothing
	 * was stored), BH_EINVAL for a bad record, BH_ESTOPPED while stopping.
	 * Safe from any thread.
	 */
	int (*emit)(bh_instance *inst, const struct bh_emit *recs, size_t n,
		    const char *cursor);
	/** Copy the source's stored cursor into buf. Returns its length, or BH_ENOENT when
	 *  none was stored yet, BH_ETOOBIG when len is too small. */
	int (*cursor_get)(bh_instance *inst, char *buf, size_t len);

	/* record accessors (records are borrowed) */
	const char *(*rec_id)(const bh_record *rec);
	const char *(*rec_topic)(const bh_record *rec);
	const char *(*rec_key)(const bh_record *rec);
	const char *(*rec_source)(const bh_record *rec);
	int64_t (*rec_time)(const bh_record *rec);
	const char *(*rec_body)(const bh_record *rec, size_t *len);
	/** 1 on the first delivery attempt, 2 on the first retry, ... */
	int (*rec_attempt)(const bh_record *rec);

	/* delivery outcome */
	/** Try again later: not before retry_after_ms (0 = the flow's backoff decides). */
	void (*result_retry)(bh_result *res, int64_t retry_after_ms, const char *fmt, ...)
		BH_PRINTF(3, 4);
	/** Permanent failure: the record goes to dead letters with this reason. */
	void (*result_reject)(bh_result *res, const char *fmt, ...) BH_PRINTF(2, 3);
	/** Write namespace:key -> value with the acknowledgement (ok outcome only). */
	int (*result_xref_put)(bh_result *res, const char *ns, const char *key,
			       const char *value);
	/** Emit a follow-up record with the acknowledgement (ok outcome only). */
	int (*result_emit)(bh_result *res, const struct bh_emit *rec);

	/** Read a cross-reference. Returns the value length, BH_ENOENT, BH_ETOOBIG. */
	int (*xref_get)(bh_instance *inst, const char *ns, const char *key, char *buf,
			size_t len);

	/** Add to a named counter of this instance (shown by `backhaul status`). */
	void (*counter_add)(bh_instance *inst, const char *name, int64_t delta);

	/** The value of a SECRET config key of this instance, or NULL. Do not log it. */
	const char *(*secret)(bh_instance *inst, const char *key);

	/**
	 * Find the endpoint instance `name` offering `capability` ("storefront", "portal",
	 * "erp"). Call from configure() or start(): the core then counts the flow as a user
	 * of that endpoint and applies the endpoint's concurrency cap to its deliveries.
	 * Returns 0, BH_ENOENT (no such instance), BH_ENOTSUP (no such capability).
	 */
	int (*endpoint)(bh_instance *inst, const char *name, const char *capability,
			struct bh_cap *out);

	/**
	 * Register a webhook route on the engine's HTTP listener (from start()). path is
	 * exact ("/webhooks/shopify"); method "POST" usually. Returns BH_EEXIST when the
	 * route is taken, BH_ENOTSUP when the listener is disabled.
	 */
	int (*http_route)(bh_instance *inst, const char *method, const char *path,
			  bh_http_handler handler, void *ctx);
	/** Header value by case-insensitive name, or NULL. */
	const char *(*http_header)(const struct bh_http_req *req, const char *name);

	/** True when the engine runs in dry-run mode: compute and log, write nothing
	 *  outside the engine. */
	bool (*dry_run)(const bh_instance *inst);
};

/* ------------------------------------------------------------------------------------
 * The descriptor
 * ---------------------------------------------------------------------------------- */

struct bh_plugin_desc {
	uint32_t magic;       /**< BH_PLUGIN_MAGIC */
	uint16_t abi_major;   /**< BH_ABI_MAJOR at build time */
	uint16_t abi_minor;   /**< BH_ABI_MINOR at build time */
	uint32_t desc_size;   /**< sizeof(struct bh_plugin_desc) at build time */
	const char *name;     /**< unique, [a-z0-9-]+; used as `plugin = NAME` in conf.d */
	const char *version;
	const char *description;
	const char *license;
	enum bh_plugin_kind kind;
	const struct bh_cfg_entry *config;  /**< NULL: accepts no plugin keys */

	int (*init)(bh_instance *inst, const struct bh_host *host, void **ctx);
	int (*configure)(void *ctx);                    /**< optional */
	int (*start)(void *ctx);                        /**< optional */
	void (*stop)(void *ctx);                        /**< optional */
	void (*destroy)(void *ctx);

	/** Endpoint sources: fetch changes since the stored cursor and emit them.
	 *  Return 0, or a negative code (logged; the next cycle tries again). */
	int (*poll)(void *ctx);
	/** Flows: handle one record and set the outcome through the host. */
	void (*deliver)(void *ctx, const bh_record *rec, bh_result *res);
	/** Endpoints: the operations table of a capability, or NULL. */
	const void *(*capability)(void *ctx, const char *name);

	void *reserved[8];    /**< zero */
};

/** Define the plugin's one exported symbol. Use designated initialisers for fields. */
#define BH_PLUGIN_DEFINE(...)                                                          \
	BH_EXPORT const struct bh_plugin_desc bh_plugin_descriptor = {                 \
		.magic = BH_PLUGIN_MAGIC,                                              \
		.abi_major = BH_ABI_MAJOR,                                             \
		.abi_minor = BH_ABI_MINOR,                                             \
		.desc_size = sizeof(struct bh_plugin_desc),                            \
		__VA_ARGS__}

/* Logging helpers for plugins that keep `host` and `inst` in their context. */
#define bh_plg_log(h, i, lvl, ...) do { (h)->log((i), (lvl), __VA_ARGS__); } while (0)
#define bh_plg_error(h, i, ...) bh_plg_log(h, i, BH_LOG_ERR, __VA_ARGS__)
#define bh_plg_warn(h, i, ...) bh_plg_log(h, i, BH_LOG_WARN, __VA_ARGS__)
#define bh_plg_info(h, i, ...) bh_plg_log(h, i, BH_LOG_INFO, __VA_ARGS__)
#define bh_plg_debug(h, i, ...) bh_plg_log(h, i, BH_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
