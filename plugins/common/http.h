/*
 * http.h - a small HTTP client for endpoint plugins (libcurl easy handles).
 *
 * One bh_http_client per endpoint instance holds a pool of easy handles so connections
 * are kept alive and reused across threads: a call takes a handle from the pool (or
 * makes one), performs the request, and puts it back. Requests have a total timeout.
 * The result carries the HTTP status, response headers of interest (Retry-After,
 * Location, Link, X-Shopify-Shop-Api-Call-Limit — any header by name), and the body.
 * Transport errors (DNS, refused, reset, timeout) give status 0 and a curl message.
 *
 * Secrets: callers pass auth headers in `headers`; nothing here logs a header or body.
 * Threading: every function is thread-safe. curl_global_init is the engine's job
 * before threads start; bh_http_client_new calls it too (it is idempotent and
 * reference-counted in libcurl >= 7.84).
 */
#ifndef BH_PLUG_HTTP_H
#define BH_PLUG_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct bh_http_client;

struct bh_http_response {
	long status;              /**< HTTP status, 0 on transport error */
	char *body;               /**< malloc'd, NUL-terminated (may be empty) */
	size_t body_len;
	char *headers;            /**< raw response header block, malloc'd */
	char error[256];          /**< transport error text when status is 0 */
	int timed_out;            /**< 1 when the transport error was a timeout */
};

/** timeout_ms: total per request. max_handles: pooled connections kept (>= 1). */
int bh_http_client_new(long timeout_ms, size_t max_handles, struct bh_http_client **out);
void bh_http_client_free(struct bh_http_client *c);

/**
 * Perform one request. headers: NULL-terminated "Name: value" strings. body may be
 * NULL (no body). Returns 0 when a response or transport error was recorded in *resp
 * (check resp->status), BH_ENOMEM otherwise. Free with bh_http_response_clear.
 */
int bh_http_request(struct bh_http_client *c, const char *method, const char *url,
		    const char *const *headers, const char *body, size_t body_len,
		    struct bh_http_response *resp);
void bh_http_response_clear(struct bh_http_response *resp);

/** A response header's value (case-insensitive name) copied into buf; returns its
 *  length or -1 when absent. */
int bh_http_header(const struct bh_http_response *resp, const char *name, char *buf,
		   size_t len);
/** Retry-After in milliseconds (seconds or HTTP-date), 0 when absent or unparsable. */
int64_t bh_http_retry_after_ms(const struct bh_http_response *resp);
/** Percent-encode s (RFC 3986 unreserved kept) into a malloc'd string. */
char *bh_http_escape(const char *s);

#endif
