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
 *   sim_main.c     option parsing, service start-up, port report, signal handling.
 *   sim_<svc>.c    one service each; registers itself through bh_sim_service.
 *
 * Threading and ownership
 *   Handlers run on libmicrohttpd worker threads, concurrently. Each service guards its
 *   own state with its own mutex. A service that needs another service's data
 *   (Loop reading a Shopify order, Loop creating an exchange order) calls that
 *   service's exported C function (declared in sim_<svc>.h), never its HTTP port, and
 *   never while holding its own lock if the other side may call back.
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
 * other outcomes are produced by sim_http.c in the shape the service declares.
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


/** Outbound webhook delivery with retries (sim_webhook.c): POST body to url with the
 *  given headers from a background thread; retried with backoff on non-2xx; delivered
 *  twice when dup is true. Copies everything. */
void bh_sim_webhook_send(const char *url, const struct bh_sim_header *headers, size_t n,
			 const char *body, size_t len, bool dup);

/** base64(HMAC-SHA256(key, data)) into a malloc'd string (OpenSSL). */
char *bh_sim_hmac_b64(const char *key, const void *data, size_t len);

#endif
