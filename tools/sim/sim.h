/*
 * sim.h - shared contract of the backhaul-sim simulators (Shopify, Loop, NetSuite).
 *
 * backhaul-sim is one program (tools/sim/) that serves several simulated services,
 * each on its own 127.0.0.1 port, plus one control port (HTTP, JSON) used by tests,
 * the demo and benchmarks to seed data, drive shoppers/warehouses/operators, inspect
 * state and inject faults.
 *
 * Layering
 *   sim_http.c     libmicrohttpd wrapper: accepts a connection, gathers the whole raw
 *                  body (bounded), builds a bh_sim_req, calls the service's handler,
 *                  sends the bh_sim_resp. Applies latency/fault injection first.
 *   sim_registry.c registered services, their ports, in-process control calls.
 *   sim_control.c  the control port router (/control/...) and the framework's own ops.
 *   sim_faults.c   fault/latency rules (global, documented there).
 *   sim_webhook.c  outbound webhook delivery thread (libcurl) with retries.
 *   sim_crypto.c   HMAC, base64, hex, sha256, random ids (OpenSSL).
 *   sim_seed.c     deterministic seed data generator (sim_seed.h).
 *   sim_main.c     option parsing, service start-up, port report, signal handling.
 *   sim_<svc>.c    one service each; registers itself through bh_sim_service.
 *
 * Threading and ownership
 *   Handlers run on libmicrohttpd worker threads, concurrently. Each service guards its
 *   own state with its own mutex. A service that needs another service's data
 *   (Loop reading a Shopify order, Loop creating an exchange order) calls that
 *   service's control handler in-process with bh_sim_control_call() (below), never its
 *   HTTP port and never another service's symbols, and never while holding its own
 *   lock if the other side may call back.
 *   A bh_sim_req and everything it points to is owned by sim_http.c and valid only
 *   during the handler call. A handler fills bh_sim_resp with malloc'd memory that
 *   sim_http.c frees after sending (bh_sim_resp_* helpers do this for you).
 *
 * Money is decimal strings or integer minor units, never double. Ids are int64 or
 * strings; Shopify ids beyond 2^53 must survive every path (json-c int64 is exact).
 */
#ifndef BH_SIM_H
#define BH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/** One HTTP header (name as received; compare case-insensitively). */
struct bh_sim_header {
	const char *name;
	const char *value;
};

/** A request as the service sees it. The body is the raw bytes received. */
struct bh_sim_req {
	const char *method;                 /* "GET", "POST", ... */
	const char *path;                   /* URL path without the query string */
	const char *query;                  /* raw query string without '?', "" if none */
	const struct bh_sim_header *headers;
	size_t n_headers;
	const char *body;                   /* NUL-terminated copy of the raw body */
	size_t body_len;
	const char *base_url;               /* "http://127.0.0.1:PORT" of this service */
};

/** A response. Use the helpers; sim_http.c frees body and header strings. */
struct bh_sim_resp {
	int status;
	char *body;
	size_t body_len;
	char *content_type;
	struct bh_sim_header_owned {
		char *name;
		char *value;
	} headers[16];
	size_t n_headers;
};

/* --- request helpers (sim_http.c) --- */
/** Header value by case-insensitive name, or NULL. */
const char *bh_sim_req_header(const struct bh_sim_req *req, const char *name);
/** Decoded query parameter (first occurrence) into a malloc'd string, or NULL. */
char *bh_sim_req_query(const struct bh_sim_req *req, const char *name);

/* --- response helpers (sim_http.c) --- */
/** Set status and a JSON body (serialised with json-c, plain, no escaping of '/'). Takes
 *  ownership of obj (it is put). */
void bh_sim_resp_json(struct bh_sim_resp *resp, int status, struct json_object *obj);
/** Set status and a body copied from text with the given content type. */
void bh_sim_resp_text(struct bh_sim_resp *resp, int status, const char *content_type,
		      const char *text, size_t len);
/** Add a header (copied). Silently ignored beyond 16 headers. */
void bh_sim_resp_header(struct bh_sim_resp *resp, const char *name, const char *value);

/** A request handler. Return 0; set resp->status. */
typedef void (*bh_sim_handler)(void *svc, const struct bh_sim_req *req,
			       struct bh_sim_resp *resp);

/**
 * Fault and latency injection, shared by all services (sim_faults.c). A service's
 * handler is only reached when bh_sim_fault_check() returned BH_SIM_FAULT_NONE; the
 * other outcomes are produced by sim_http.c in the shape the service declares. One
 * exception: a timeout rule with "timeout_processed":true runs the handler first and
 * then holds its answer (the request took effect, the client gave up waiting).
 */
enum bh_sim_fault {
	BH_SIM_FAULT_NONE = 0,
	BH_SIM_FAULT_HTTP_5XX,
	BH_SIM_FAULT_HTTP_429,
	BH_SIM_FAULT_TIMEOUT,          /* hold the request past the client's timeout */
	BH_SIM_FAULT_RESET,            /* close the connection without a response */
	BH_SIM_FAULT_SOAP,             /* NetSuite: a SOAP fault (e.g. WS_REQUEST_BLOCKED) */
};

/**
 * A simulated service. Each sim_<svc>.c exports one `const struct bh_sim_service
 * bh_sim_service_<svc>` that sim_main.c lists.
 */
struct bh_sim_service {
	const char *name;                   /* "shopify", "loop", "netsuite" */
	/** Create the service state; opts is the JSON object of options (may be empty). */
	void *(*create)(struct json_object *opts);
	/** Serve one request arriving on this service's port. */
	bh_sim_handler handle;
	/** Serve a control request; req->path is relative to "/control/<name>". */
	bh_sim_handler control;
	/** Free everything. */
	void (*destroy)(void *svc);
	/** Name the operation a request performs, for fault rules ("graphql",
	 *  "rest:orders", "soap:upsert", "rest:record", "suiteql", "loop:list"...). Writes
	 *  into buf (NUL-terminated). Optional: NULL means "*" only. */
	void (*op_name)(void *svc, const struct bh_sim_req *req, char *buf, size_t len);
	/** Produce the service's own shape of an injected fault (a 429 with Shopify's
	 *  THROTTLED body, a SOAP fault with WS_REQUEST_BLOCKED...). Optional: NULL means a
	 *  plain JSON error with the right status. */
	void (*fault)(void *svc, enum bh_sim_fault f, const struct bh_sim_req *req,
		      struct bh_sim_resp *resp);
};


/** The services sim_main.c serves (each defined in its own sim_<svc>.c). */
extern const struct bh_sim_service bh_sim_service_shopify;
extern const struct bh_sim_service bh_sim_service_loop;
extern const struct bh_sim_service bh_sim_service_netsuite;

/* --- registry and in-process calls between services (sim_registry.c) ---
 * Services never link each other's symbols. A service that needs another one calls its
 * control handler in-process: bh_sim_control_call("shopify", "GET", "/orders/123",
 * NULL, NULL, &resp). The seed generator applies its data the same way. */

/** Register a created service (sim_main.c and tests do this). Returns 0 or -1. */
int bh_sim_registry_add(const struct bh_sim_service *svc, void *state);
/** The state of a registered service by name, or NULL. */
void *bh_sim_registry_state(const char *name);
/** Remove every registration (tests, shutdown). Does not destroy states. */
void bh_sim_registry_clear(void);
/** Call service `svc`'s control handler with a synthetic request. Returns 0 and fills
 *  resp (free with bh_sim_resp_clear), or -1 when the service is not registered. */
int bh_sim_control_call(const char *svc, const char *method, const char *path,
			const char *query, const char *body, struct bh_sim_resp *resp);
/** Free what a response holds and zero it. */
void bh_sim_resp_clear(struct bh_sim_resp *resp);

/** Outbound webhook delivery with retries (sim_webhook.c): POST body to url with the
 *  given headers from a background thread; retried with backoff on non-2xx; delivered
 *  twice when dup is true. Copies everything. */
void bh_sim_webhook_send(const char *url, const struct bh_sim_header *headers, size_t n,
			 const char *body, size_t len, bool dup);

/** base64(HMAC-SHA256(key, data)) into a malloc'd string (OpenSSL). */
char *bh_sim_hmac_b64(const char *key, const void *data, size_t len);

/* ------------------------------------------------------------------------------------
 * Framework API below: used by sim_main.c, the tests and the benchmark. Services only
 * need what is above (plus, if they like, the crypto helpers).
 * ------------------------------------------------------------------------------------ */

/* --- crypto helpers (sim_crypto.c); all thread-safe, results malloc'd --- */
/** HMAC-SHA256 into out (32 bytes). Returns 0 or -1. */
int bh_sim_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		       unsigned char out[32]);
/** Standard base64 with '=' padding, no newlines. NULL only when out of memory. */
char *bh_sim_b64(const void *data, size_t len);
/** Decode standard base64 (padding required, no whitespace); NULL when malformed. The
 *  result is NUL-terminated beyond *out_len for convenience. */
unsigned char *bh_sim_b64_decode(const char *text, size_t *out_len);
/** Lower-case hex. */
char *bh_sim_hex(const void *data, size_t len);
/** Lower-case hex of SHA-256(data). */
char *bh_sim_sha256_hex(const void *data, size_t len);
/** Constant-time comparison of two NUL-terminated strings (false if either is NULL). */
bool bh_sim_str_eq_ct(const char *a, const char *b);
/** A random (RAND_bytes) RFC 4122 version-4 UUID, lower case, into out[37]. */
void bh_sim_uuid(char out[37]);

/* --- fault and latency injection (sim_faults.c) ---
 * Rules are process-global (one table under one mutex, documented in sim_faults.c).
 * A rule: {"service":"netsuite"|"*", "operation":"soap:upsert"|"soap:*"|"*",
 *  "latency_ms":N, "latency_jitter_ms":N, "rate_5xx":p, "rate_429":p,
 *  "rate_timeout":p, "rate_reset":p, "rate_soap_fault":p, "timeout_ms":N,
 *  "timeout_processed":bool, "count":N}. Rates are probabilities in [0,1] drawn from a
 * seedable PRNG; count limits the rule to the next N matching requests. */
struct bh_sim_fault_action {
	enum bh_sim_fault fault;    /* what to inject (NONE: serve normally) */
	unsigned latency_ms;        /* hold this long before anything else */
	unsigned timeout_ms;        /* for BH_SIM_FAULT_TIMEOUT: how long to hold */
	bool timeout_processed;     /* TIMEOUT: run the handler, then hold its answer */
	int rule_id;                /* rule that chose the fault, 0 if none */
};
/** True when at least one rule exists (cheap, lock-free): skip op_name otherwise. */
bool bh_sim_faults_active(void);
/** Match the rules for one request; fills act (zeroed first); returns act->fault. */
enum bh_sim_fault bh_sim_fault_check(const char *service, const char *op,
				     struct bh_sim_fault_action *act);
/** Add a rule from its JSON (not consumed). Returns its id (> 0), or -1 with a
 *  message in err. */
int bh_sim_faults_add(struct json_object *rule, char *err, size_t errlen);
/** All rules with their counters: {"faults":[{id, ..., "matched":n, "injected":n}]}. */
struct json_object *bh_sim_faults_list(void);
/** Remove one rule; 0, or -1 when there is no such id. */
int bh_sim_faults_remove(int id);
/** Remove every rule. */
void bh_sim_faults_clear(void);
/** Seed the fault PRNG: the k-th rule created afterwards draws from (seed, k). */
void bh_sim_faults_seed(uint64_t seed);
/** The framework's default answer for an injected fault (service->fault == NULL):
 *  503 / 429 + Retry-After: 1 / 504 / 500, each with {"error":"..."}. */
void bh_sim_fault_default(enum bh_sim_fault f, struct bh_sim_resp *resp);

/* --- HTTP servers (sim_http.c) --- */
struct bh_sim_server;
struct bh_sim_http_opts {
	uint16_t port;              /* 0: pick a free port (read it back) */
	size_t max_body;            /* request body limit, 0: 16 MiB; beyond -> 413 */
	unsigned threads;           /* 0: one thread per connection; N: pool of N (epoll) */
	unsigned idle_timeout_s;    /* keep-alive idle timeout, 0: 60 s */
	bool no_faults;             /* do not apply fault rules (the control port) */
};
/** Start serving svc (with its state) on 127.0.0.1. NULL with a message in err. */
struct bh_sim_server *bh_sim_http_start(const struct bh_sim_service *svc, void *state,
					const struct bh_sim_http_opts *opts, char *err,
					size_t errlen);
/** The bound port. */
uint16_t bh_sim_http_port(const struct bh_sim_server *srv);
/** "http://127.0.0.1:PORT". */
const char *bh_sim_http_base_url(const struct bh_sim_server *srv);
/** Release held requests, stop the daemon, free. NULL is fine. */
void bh_sim_http_stop(struct bh_sim_server *srv);

/* --- registry extras (sim_registry.c) --- */
/** The descriptor of a registered service by name, or NULL. */
const struct bh_sim_service *bh_sim_registry_service(const char *name);
/** Record the port a service (or "control") listens on; 0 removes it. */
void bh_sim_registry_set_port(const char *name, uint16_t port);
/** The recorded port, 0 when none. */
uint16_t bh_sim_registry_port(const char *name);
/** {"shopify":P,...,"control":P} of every recorded port, in registration order. */
struct json_object *bh_sim_registry_ports_json(void);
/** Names of registered services, in registration order: {"services":[...]}. */
struct json_object *bh_sim_registry_names_json(void);

/* --- the control port (sim_control.c) ---
 * /control/ports, /control/health, /control/faults[/id], /control/seed,
 * /control/webhooks, and /control/<service>/... routed to that service's control
 * handler with the prefix stripped. Serve it with bh_sim_http_start(
 * &bh_sim_control_service, NULL, {.no_faults = true}); it is never registered. */
extern const struct bh_sim_service bh_sim_control_service;
/** Route one control request in-process (what the control port does). */
void bh_sim_control_route(const struct bh_sim_req *req, struct bh_sim_resp *resp);

/* --- webhook delivery (sim_webhook.c) ---
 * One background delivery thread, started on the first send (or by configure), with a
 * bounded queue; sends never block (a full queue drops and counts). */
struct bh_sim_webhook_cfg {
	unsigned max_attempts;        /* total attempts per delivery, 0: 8 */
	unsigned backoff_initial_ms;  /* first retry delay, 0: 200 (then x2.5 each) */
	unsigned backoff_max_ms;      /* cap on one delay, 0: 8000 */
	unsigned timeout_ms;          /* per attempt (Shopify: 1 s connect, 5 s total), 0: 5000 */
	size_t queue_max;             /* queued deliveries, 0: 10000 */
};
struct bh_sim_webhook_stats {
	uint64_t enqueued;            /* deliveries accepted (a dup counts twice) */
	uint64_t sent;                /* delivered with a 2xx */
	uint64_t failed;              /* gave up after max_attempts */
	uint64_t dropped;             /* refused: queue full, or discarded at shutdown */
	uint64_t attempts;            /* HTTP attempts made */
	uint64_t pending;             /* queued or in flight */
};
/** Set delivery parameters (NULL: defaults). Applies to later attempts. */
void bh_sim_webhook_configure(const struct bh_sim_webhook_cfg *cfg);
/** Counters. */
void bh_sim_webhook_stats(struct bh_sim_webhook_stats *st);
/** Counters plus the last deliveries, as JSON (the GET /control/webhooks answer). */
struct json_object *bh_sim_webhook_stats_json(void);
/** Wait (condition variable, no polling) until nothing is pending or timeout_ms passed.
 *  Returns true when idle. */
bool bh_sim_webhook_wait_idle(int timeout_ms);
/** Stop the delivery thread (in-flight attempts are aborted, queued ones dropped) and
 *  free everything. A later send starts it again. Also registered with atexit(). */
void bh_sim_webhook_shutdown(void);

#endif
