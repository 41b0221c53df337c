/*
 * simctl.h - a client for backhaul-sim and for a running `backhaul run` daemon, seen
 * from another process: child processes, the simulators' control API over HTTP, the
 * daemon's status and sync over its control socket, JSON path reading and exact money
 * strings. Shared by `backhaul demo` (core/cli_demo*.c), the end-to-end tests
 * (tests/e2e/) and the end-to-end benchmarks (tools/bench/).
 *
 * Ownership: strings returned by bh_sc_read_file / bh_sc_http (*resp) are malloc'd and
 * the caller's; JSON objects returned (bh_sc_ctl's *out, bh_sc_status) are new
 * references the caller puts; bh_sc_get/bh_sc_str borrow from their argument.
 * Threading: every function is reentrant; nothing is shared between calls.
 */
#ifndef BH_SIMCTL_H
#define BH_SIMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/** Monotonic clock, ms. */
int64_t bh_sc_now_ms(void);
/** The interval between two looks at a condition (never a wait for an outcome). */
void bh_sc_nap(long ms);

char *bh_sc_read_file(const char *path);
int bh_sc_write_file(const char *path, const char *text, mode_t mode);
bool bh_sc_is_dir(const char *path);
/** A free TCP port on 127.0.0.1 (bound then released), or -1. */
int bh_sc_free_port(void);
/** BH_PLUGIN_PATH from a build tree's plugins/<dir>/.libs, unless already set. */
void bh_sc_plugin_path_from_build(const char *builddir);

/** One HTTP request with the headers hdrs (NULL-terminated; a JSON Content-Type is
 *  added unless hdrs has one); the status code, 0 when nothing answered. *resp (may
 *  be NULL) receives the malloc'd body. */
long bh_sc_http(const char *method, const char *url, const char *const *hdrs, const char *body,
		char **resp);
/** A request to the simulators' control API on 127.0.0.1:port; *out = parsed body. */
long bh_sc_ctl(int port, const char *method, const char *path, const char *body,
	       json_object **out);

/** "a.b.0.c" into nested objects and arrays; NULL when absent. */
json_object *bh_sc_get(json_object *o, const char *path);
/** A string member (NULL when absent or null). */
const char *bh_sc_str(json_object *o, const char *path);
/** An integer member, also from a decimal string (ids above 2^53); def when absent. */
int64_t bh_sc_int(json_object *o, const char *path, int64_t def);
/** "43.20" -> 4320 exactly; INT64_MIN when not a money string (at most 2 decimals). */
int64_t bh_sc_cents(const char *s);
/** 4320 -> "43.20", -500 -> "-5.00". */
void bh_sc_fmt_cents(int64_t v, char *buf, size_t len);

/** fork + exec argv[0] with stdout and stderr appended to out_path; the child gets
 *  SIGTERM when this process dies. The child's pid, or -1. */
pid_t bh_sc_spawn(const char *out_path, const char *const argv[]);
/** Send sig, wait up to timeout_ms, then SIGKILL; always reaps. */
void bh_sc_reap(pid_t pid, int sig, int timeout_ms);

/** The simulators' ports file {"shopify":P,"loop":P,"netsuite":P,"control":P}. */
struct bh_sc_ports {
	int shopify, loop, netsuite, control;
};
int bh_sc_read_ports(const char *path, struct bh_sc_ports *p);

/** The daemon's `status` as JSON (NULL when it does not answer). */
json_object *bh_sc_status(const char *sock);
/** Ask the daemon to poll (one source, or shopify, loop and netsuite) and wait until
 *  each has finished a poll since. 0, or -1 (refused or not within timeout_ms). */
int bh_sc_sync(const char *sock, const char *source, int timeout_ms);
/** Wait until the simulators have nothing to deliver and the engine nothing queued or
 *  in flight (allow_retrying: records waiting for a retry later do not count), twice
 *  in a row with nothing acknowledged in between. 0, or -1 after timeout_ms. */
int bh_sc_settle(const char *sock, int control_port, int timeout_ms, bool allow_retrying);

#endif
