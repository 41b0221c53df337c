/*
 * listener.h - the HTTP listener for webhooks (libmicrohttpd).
 *
 * Endpoint plugins register exact (method, path) routes from start(); the routes are
 * fixed once the listener starts. A handler sees the raw body and headers and runs on
 * a listener thread; the response is sent only after it returned, i.e. after anything
 * it emitted was durably committed. Bodies beyond max_body get 413 without calling the
 * handler; unknown paths 404; a known path with another method 405.
 */
#ifndef BH_LISTENER_H
#define BH_LISTENER_H

#include <stdint.h>
#include <backhaul/plugin.h>

struct bh_engine;
struct bh_listener;

int bh_listener_create(struct bh_engine *eng, const char *addr, int port, uint64_t max_body,
		       struct bh_listener **out);
int bh_listener_route(struct bh_listener *l, bh_instance *inst, const char *method,
		      const char *path, bh_http_handler fn, void *ctx);
int bh_listener_start(struct bh_listener *l);
int bh_listener_port(const struct bh_listener *l);
void bh_listener_stop(struct bh_listener *l);
void bh_listener_destroy(struct bh_listener *l);

#endif
