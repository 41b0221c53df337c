/**
 * @file diag.h
 * @brief The `diagnostics` capability: what `backhaul test-connection NAME` runs.
 *
 * An endpoint offering it checks, in order, that its service is reachable, that the
 * configured credentials authenticate, and that they carry the permissions the flows
 * need — each as one named check with a one-line, operator-readable detail that says
 * what to fix ("wrong token", "account id must look like 1234567 or 1234567_SB1",
 * "clock is 7 minutes off: TBA refuses timestamps beyond 5 minutes", "missing scope
 * read_orders"). Secrets never appear in the details.
 *
 * *out = {"checks": [{"name": "reachable"|"authentication"|"permission:<what>"|...,
 *                     "ok": bool, "detail": str}, ...]}
 * test_connection is called after configure() WITHOUT start() (the CLI loads the
 * instance but does not run it: no webhook routes, no source thread), so it must not
 * depend on anything start() sets up.
 * Returns 0 when every check passed, BH_EAUTH / BH_ERETRY / BH_EREJECT otherwise (the
 * checks still describe what passed). Memory: *out is malloc'd, freed by the caller.
 */
#ifndef BACKHAUL_DIAG_H
#define BACKHAUL_DIAG_H

#include <backhaul/capability.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BH_CAP_DIAG "diagnostics"

struct bh_diag_ops {
	uint32_t size;  /**< sizeof(struct bh_diag_ops) of the implementer */
	int (*test_connection)(void *ctx, char **out, struct bh_status *st);
};

#ifdef __cplusplus
}
#endif
#endif
