/*
 * netsuite_soap_proxy.h - a recording HTTP proxy for the netsuite-soap tests.
 *
 * Listens on 127.0.0.1 (free port), forwards every request to the simulator's NetSuite
 * port unchanged (method, path, Content-Type, SOAPAction, body) and answers with the
 * simulator's status, Content-Type and body. It keeps a copy of every request (path,
 * SOAPAction, body) so the test can validate each one against Oracle's XSD, counts the
 * requests in flight (the highest number seen), and can put a Date header of its own
 * (now + offset) on answers, to play a server whose clock differs.
 *
 * Threading: one thread per connection (libmicrohttpd); every accessor is thread-safe.
 */
#ifndef BH_TEST_NSSOAP_PROXY_H
#define BH_TEST_NSSOAP_PROXY_H

#include <stddef.h>
#include <stdint.h>

struct bh_nssp;

/** Start a proxy to 127.0.0.1:target_port. Returns 0 or -1. */
int bh_nssp_start(int target_port, struct bh_nssp **out);
void bh_nssp_stop(struct bh_nssp *p);
int bh_nssp_port(const struct bh_nssp *p);
/** Captured requests; the strings are copies the caller frees. */
size_t bh_nssp_count(struct bh_nssp *p);
char *bh_nssp_body(struct bh_nssp *p, size_t i);
char *bh_nssp_action(struct bh_nssp *p, size_t i);
char *bh_nssp_path(struct bh_nssp *p, size_t i);
/** Highest number of requests in flight at once since the last reset. */
int bh_nssp_max_inflight(struct bh_nssp *p);
void bh_nssp_reset_inflight(struct bh_nssp *p);
/** Requests being forwarded now. */
int bh_nssp_inflight(struct bh_nssp *p);
/** Answer with "Date: <now + offset_s>" (0: pass the simulator's Date through). */
void bh_nssp_set_date_offset(struct bh_nssp *p, int64_t offset_s);

#endif
