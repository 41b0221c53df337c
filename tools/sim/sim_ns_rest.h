/*
 * sim_ns_rest.h - NetSuite REST simulator entry point (record API v1, SuiteQL, TBA).
 *
 * Owned by the NetSuite REST helper (sim_ns_rest*.c, sim_ns_suiteql.c, sim_ns_oauth.c).
 * The NetSuite service dispatch (sim_netsuite.c) calls bh_sim_ns_rest_handle() for every
 * request whose path starts with "/services/rest/". The handler verifies the OAuth 1.0a
 * (TBA, HMAC-SHA256) Authorization header, then serves
 *   /services/rest/record/v1/<type>[/<id>|/eid:<externalId>][/!transform/<type>]
 *   /services/rest/query/v1/suiteql
 * over the shared record store (sim_ns_store.h).
 *
 * Threading: callable concurrently from libmicrohttpd worker threads; all state lives in
 * struct bh_sim_ns and is guarded by the store's own lock.
 */
#ifndef BH_SIM_NS_REST_H
#define BH_SIM_NS_REST_H

#include "sim.h"

struct bh_sim_ns;

/** Serve one request under /services/rest/ (req->path is the full URL path). */
void bh_sim_ns_rest_handle(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			   struct bh_sim_resp *resp);

#endif
