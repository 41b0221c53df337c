/*
 * shopify_test.h - helpers of tests/plugins/shopify.c kept in their own file.
 *
 * A canned HTTP server on 127.0.0.1 (free port): it answers successive requests with the
 * given raw HTTP responses in order (the last one repeats), one request per connection,
 * so a test can show the plugin a reply the simulator does not produce (a plain 429
 * with a fractional Retry-After). Threading: one server thread; the hit counter is
 * atomic; start/stop from the test's main thread.
 */
#ifndef BH_SHOPIFY_TEST_H
#define BH_SHOPIFY_TEST_H

#include <pthread.h>
#include <stdatomic.h>

struct bh_shp_canned {
	int port;
	int fd;
	int stop_pipe[2];
	pthread_t thread;
	const char *const *responses;
	int n;
	atomic_int hits;
};

/** Listen on a free loopback port and serve responses[0..n-1]. Returns 0 or -1. */
int bh_shp_canned_start(struct bh_shp_canned *c, const char *const *responses, int n);
void bh_shp_canned_stop(struct bh_shp_canned *c);

#endif
